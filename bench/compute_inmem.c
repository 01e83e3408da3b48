/*
 * compute_inmem.c - the in-memory half of bench/compute: the aggregate/
 * functions (min-max normalisation, arithmetic aggregation with reweighting,
 * ranks among siblings, contributions to the change since the previous
 * period) over a unit x indicator x period array, timed without I/O.
 * bench/compute_numpy.py computes the same from the same file.
 *
 *   bench_compute_inmem gen FILE NUNITS NIND NPER NGROUPS NDIM SEED
 *   bench_compute_inmem run FILE OUT [REPEAT]
 *
 * File (native endianness): "PSCB", int32 nu nl np ng ndim, double dimw[ndim],
 * int32 dim_of[nl], double leafw[nl], int32 dir[nl], int32 group[nu],
 * double x[np][nu][nl] (about 1 % NAN).
 * OUT: double total[np][nu], dims[np][nu][ndim], rank[np][nu],
 * contrib[np][nu][nl] (period 0: NAN).
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aggregate/composite.h"
#include "aggregate/normalise.h"
#include "aggregate/rank.h"

struct data {
    int32_t nu, nl, np, ng, ndim;
    double *dimw, *leafw, *x;
    int32_t *dim_of, *dir, *group;
};

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13; /* xorshift64 */
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static double uniform(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) / 9007199254740992.0;
}

/* Reads or writes n items of size at p: 1 when all went through. */
static int io(FILE *f, int read, void *p, size_t size, size_t n)
{
    if (read)
        return fread(p, size, n, f) == n;
    return fwrite(p, size, n, f) == n;
}

static int alloc_data(struct data *d)
{
    size_t cells = (size_t)d->np * (size_t)d->nu * (size_t)d->nl;
    d->dimw = malloc((size_t)d->ndim * sizeof(double));
    d->leafw = malloc((size_t)d->nl * sizeof(double));
    d->x = malloc(cells * sizeof(double));
    d->dim_of = malloc((size_t)d->nl * sizeof(int32_t));
    d->dir = malloc((size_t)d->nl * sizeof(int32_t));
    d->group = malloc((size_t)d->nu * sizeof(int32_t));
    return d->dimw && d->leafw && d->x && d->dim_of && d->dir && d->group ? 0 : -ENOMEM;
}

static void free_data(struct data *d)
{
    free(d->dimw);
    free(d->leafw);
    free(d->x);
    free(d->dim_of);
    free(d->dir);
    free(d->group);
}

static void generate(struct data *d, uint64_t seed)
{
    uint64_t s = seed ? seed : 1;
    for (int k = 0; k < d->ndim; k++)
        d->dimw[k] = 1 + k % 3;
    for (int l = 0; l < d->nl; l++) {
        d->dim_of[l] = l % d->ndim;
        d->leafw[l] = 0.5 + uniform(&s);
        d->dir[l] = l % 7 == 3 ? -1 : 1;
    }
    for (int u = 0; u < d->nu; u++)
        d->group[u] = u % d->ng;
    for (int p = 0; p < d->np; p++)
        for (int u = 0; u < d->nu; u++)
            for (int l = 0; l < d->nl; l++) {
                double level = 50 + 10 * (u % 17) + l;
                double v = level * (1 + 0.01 * p) * (0.8 + 0.4 * uniform(&s));
                d->x[((size_t)p * (size_t)d->nu + (size_t)u) * (size_t)d->nl + (size_t)l] =
                    uniform(&s) < 0.01 ? NAN : v;
            }
}

/* Writes or reads the file; dir 0 writes, 1 reads. */
static int file_io(struct data *d, const char *path, int read)
{
    FILE *f = fopen(path, read ? "rb" : "wb");
    char magic[4] = {'P', 'S', 'C', 'B'};
    int ok = f != NULL;
#define IO(ptr, size, n) (ok = ok && io(f, read, ptr, size, (size_t)(n)))
    IO(magic, 1, 4);
    IO(&d->nu, sizeof(int32_t), 1);
    IO(&d->nl, sizeof(int32_t), 1);
    IO(&d->np, sizeof(int32_t), 1);
    IO(&d->ng, sizeof(int32_t), 1);
    IO(&d->ndim, sizeof(int32_t), 1);
    if (ok && read && (memcmp(magic, "PSCB", 4) != 0 || alloc_data(d) < 0))
        ok = 0;
    IO(d->dimw, sizeof(double), d->ndim);
    IO(d->dim_of, sizeof(int32_t), d->nl);
    IO(d->leafw, sizeof(double), d->nl);
    IO(d->dir, sizeof(int32_t), d->nl);
    IO(d->group, sizeof(int32_t), d->nu);
    IO(d->x, sizeof(double), (size_t)d->np * (size_t)d->nu * (size_t)d->nl);
#undef IO
    if (f && fclose(f) != 0)
        ok = 0;
    return ok ? 0 : -EIO;
}

/* Outputs and scratch of one run. */
struct out {
    double *total, *dims, *rank, *contrib;
    double *y, *score, *prev, *col, *ncol, *c; /* score, prev: nu x nn node scores */
    struct composite_node *nodes;
    size_t nn;
};

static int alloc_out(const struct data *d, struct out *o)
{
    size_t pu = (size_t)d->np * (size_t)d->nu;
    o->nn = 1 + (size_t)d->ndim + (size_t)d->nl;
    o->total = malloc(pu * sizeof(double));
    o->dims = malloc(pu * (size_t)d->ndim * sizeof(double));
    o->rank = malloc(pu * sizeof(double));
    o->contrib = malloc(pu * (size_t)d->nl * sizeof(double));
    o->y = malloc(pu * (size_t)d->nl * sizeof(double));
    o->score = malloc((size_t)d->nu * o->nn * sizeof(double));
    o->prev = malloc((size_t)d->nu * o->nn * sizeof(double));
    o->col = malloc((size_t)d->nu * sizeof(double));
    o->ncol = malloc((size_t)d->nu * sizeof(double));
    o->c = malloc(o->nn * sizeof(double));
    o->nodes = malloc(o->nn * sizeof(*o->nodes));
    if (!o->total || !o->dims || !o->rank || !o->contrib || !o->y || !o->score || !o->prev ||
        !o->col || !o->ncol || !o->c || !o->nodes)
        return -ENOMEM;
    o->nodes[0] = (struct composite_node){-1, 1, -1};
    for (int k = 0; k < d->ndim; k++)
        o->nodes[1 + k] = (struct composite_node){0, d->dimw[k], -1};
    for (int l = 0; l < d->nl; l++)
        o->nodes[1 + d->ndim + l] = (struct composite_node){1 + d->dim_of[l], d->leafw[l], l};
    return 0;
}

static void free_out(struct out *o)
{
    free(o->total);
    free(o->dims);
    free(o->rank);
    free(o->contrib);
    free(o->y);
    free(o->score);
    free(o->prev);
    free(o->col);
    free(o->ncol);
    free(o->c);
    free(o->nodes);
}

/* One period: normalise, aggregate, rank, contributions. */
static int one_period(const struct data *d, struct out *o, size_t p)
{
    size_t nu = (size_t)d->nu, nl = (size_t)d->nl, nn = o->nn;
    double *y = o->y + p * nu * nl;
    const double *x = d->x + p * nu * nl;
    for (size_t l = 0; l < nl; l++) {
        for (size_t u = 0; u < nu; u++)
            o->col[u] = x[u * nl + l];
        /* min-max: (x - min) / (max - min) x 100, direction -1: 100 - that */
        if (normalise_minmax(o->col, nu, d->dir[l], o->ncol) < 0)
            return -EINVAL;
        for (size_t u = 0; u < nu; u++)
            y[u * nl + l] = o->ncol[u];
    }
    if (composite_scores(o->nodes, nn, y, nu, nl, COMPOSITE_ARITHMETIC, COMPOSITE_REWEIGHT,
                         o->score, NULL) < 0)
        return -EINVAL;
    for (size_t u = 0; u < nu; u++) {
        o->total[p * nu + u] = o->score[u * nn];
        for (int k = 0; k < d->ndim; k++)
            o->dims[(p * nu + u) * (size_t)d->ndim + (size_t)k] = o->score[u * nn + 1 + (size_t)k];
    }
    if (rank_desc(o->total + p * nu, d->group, nu, o->rank + p * nu) < 0)
        return -ENOMEM;
    for (size_t u = 0; u < nu; u++) {
        double *c = o->contrib + (p * nu + u) * nl;
        /* contributions: w_eff,1 y_1 - w_eff,0 y_0 from the scores of both periods */
        int rc = p == 0 ? 1
                        : composite_contrib_scored(o->nodes, nn, 0, o->prev + u * nn,
                                                   o->score + u * nn, COMPOSITE_ARITHMETIC, o->c);
        for (size_t l = 0; l < nl; l++)
            c[l] = rc == 0 ? o->c[1 + (size_t)d->ndim + l] : NAN;
    }
    double *t = o->prev; /* this period's scores are the next one's previous */
    o->prev = o->score;
    o->score = t;
    return 0;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int write_out(const struct data *d, const struct out *o, const char *path)
{
    size_t pu = (size_t)d->np * (size_t)d->nu;
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(o->total, sizeof(double), pu, f) == pu &&
             fwrite(o->dims, sizeof(double), pu * (size_t)d->ndim, f) == pu * (size_t)d->ndim &&
             fwrite(o->rank, sizeof(double), pu, f) == pu &&
             fwrite(o->contrib, sizeof(double), pu * (size_t)d->nl, f) == pu * (size_t)d->nl;
    if (f && fclose(f) != 0)
        ok = 0;
    return ok ? 0 : -EIO;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int run(const char *in, const char *outpath, int repeat)
{
    struct data d = {0};
    struct out o = {0};
    double t[64];
    int rc = file_io(&d, in, 1);
    if (rc == 0)
        rc = alloc_out(&d, &o);
    repeat = repeat < 1 ? 1 : repeat > 64 ? 64 : repeat;
    for (int r = 0; r < repeat && rc == 0; r++) {
        double t0 = now_ms();
        for (size_t p = 0; p < (size_t)d.np && rc == 0; p++)
            rc = one_period(&d, &o, p);
        t[r] = now_ms() - t0;
    }
    if (rc == 0 && (rc = write_out(&d, &o, outpath)) == 0) {
        qsort(t, (size_t)repeat, sizeof(double), cmp_double);
        printf("c_ms_median %.3f c_ms_min %.3f units %d indicators %d periods %d\n", t[repeat / 2],
               t[0], d.nu, d.nl, d.np);
    }
    free_out(&o);
    free_data(&d);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 9 && strcmp(argv[1], "gen") == 0) {
        struct data d = {.nu = atoi(argv[3]),
                         .nl = atoi(argv[4]),
                         .np = atoi(argv[5]),
                         .ng = atoi(argv[6]),
                         .ndim = atoi(argv[7])};
        int rc = alloc_data(&d);
        if (rc == 0) {
            generate(&d, strtoull(argv[8], NULL, 10));
            rc = file_io(&d, argv[2], 0);
        }
        free_data(&d);
        return rc == 0 ? 0 : 1;
    }
    if ((argc == 4 || argc == 5) && strcmp(argv[1], "run") == 0)
        return run(argv[2], argv[3], argc == 5 ? atoi(argv[4]) : 5) == 0 ? 0 : 1;
    fprintf(stderr, "usage: bench_compute_inmem gen FILE NUNITS NIND NPER NGROUPS NDIM SEED\n"
                    "       bench_compute_inmem run FILE OUT [REPEAT]\n");
    return 2;
}
