/*
 * sensitivity.c - Monte Carlo uncertainty and first-order sensitivity of an
 * index's ranks (contract in sensitivity.h).
 */
#include "aggregate/sensitivity.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate/normalise.h"
#include "aggregate/rank.h"

/* ---- xoshiro256** seeded by splitmix64 (Blackman and Vigna) ---- */

struct rng {
    uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

/* Uniform on [0, 1). */
static double uniform(struct rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

static int pick(struct rng *r, int n)
{
    return (int)(uniform(r) * n);
}

static double normal(struct rng *r)
{
    double u = 1 - uniform(r), v = uniform(r); /* u in (0, 1] */
    return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

/* Gamma(a, 1) by Marsaglia and Tsang (2000); a < 1 boosted by U^(1/a). */
static double gamma_draw(struct rng *r, double a)
{
    if (a < 1)
        return gamma_draw(r, a + 1) * pow(1 - uniform(r), 1 / a);
    double d = a - 1.0 / 3, c = 1 / sqrt(9 * d);
    for (;;) {
        double x = normal(r), v = 1 + c * x, u;
        if (v <= 0)
            continue;
        v = v * v * v;
        u = 1 - uniform(r);
        if (log(u) < 0.5 * x * x + d - d * v + d * log(v))
            return d * v;
    }
}

/* ---- one replication ---- */

enum { NORM_NOMINAL, NORM_MINMAX, NORM_ZSCORE, NORM_RANK, N_NORMS };

struct draw {
    double *w;          /* nn node weights */
    int norm, agg, imp; /* imp 1: imputation on */
};

struct work {
    const struct composite_node *nodes;
    size_t nn, nu, nl;
    const double *y;
    const unsigned char *imputed;
    const int *group;
    enum composite_method method;
    enum composite_missing missing;
    const struct sens_opts *o;
    int varied[SENS_N_ASSUMPTIONS];
    struct composite_node *tree; /* nn, weights of the draw */
    double *z, *col, *out;       /* nu x nl, nu, nu */
    double *score, *root;        /* nu x nn, nu */
    size_t evaluations;
};

static void draw_weights(struct work *k, struct rng *r, double *w)
{
    for (size_t i = 0; i < k->nn; i++)
        w[i] = k->nodes[i].weight;
    if (k->o->dirichlet > 0) {
        /* per parent: Gamma(a w_i) for each child, then normalised */
        for (size_t p = 0; p < k->nn; p++) {
            double sum = 0, tot = 0;
            for (size_t i = 0; i < k->nn; i++)
                tot += k->nodes[i].parent == (int)p ? k->nodes[i].weight : 0;
            for (size_t i = 0; i < k->nn; i++) {
                if (k->nodes[i].parent != (int)p)
                    continue;
                w[i] = gamma_draw(r, k->o->dirichlet * k->nodes[i].weight / tot);
                sum += w[i];
            }
            for (size_t i = 0; i < k->nn; i++)
                if (k->nodes[i].parent == (int)p)
                    w[i] = sum > 0 ? w[i] / sum : k->nodes[i].weight / tot;
        }
        return;
    }
    double s = k->o->weight_spread;
    for (size_t i = 0; i < k->nn; i++)
        if (k->nodes[i].parent >= 0)
            w[i] *= 1 - s + 2 * s * uniform(r);
}

/* Draws assumption a of d afresh (only when it is varied). */
static void draw_one(struct work *k, struct rng *r, struct draw *d, int a)
{
    if (!k->varied[a])
        return;
    switch (a) {
    case SENS_WEIGHTS:
        draw_weights(k, r, d->w);
        break;
    case SENS_NORMALISATION:
        d->norm = pick(r, N_NORMS);
        break;
    case SENS_AGGREGATION:
        d->agg = pick(r, 2);
        break;
    default:
        d->imp = pick(r, 2);
    }
}

/* Scores the tree under draw d and ranks the units into rank[nu]. */
static int evaluate(struct work *k, const struct draw *d, double *rank)
{
    size_t nu = k->nu, nl = k->nl;
    enum composite_method m = k->method;
    int rc = 0;

    for (size_t i = 0; i < nu * nl; i++)
        k->z[i] = !d->imp && k->imputed && k->imputed[i] ? NAN : k->y[i];
    for (size_t l = 0; l < nl && d->norm != NORM_NOMINAL && rc >= 0; l++) {
        for (size_t u = 0; u < nu; u++)
            k->col[u] = k->z[u * nl + l];
        if (d->norm == NORM_MINMAX)
            rc = normalise_minmax(k->col, nu, 1, k->out);
        else if (d->norm == NORM_ZSCORE)
            rc = normalise_zscore(k->col, nu, 1, k->out);
        else
            rc = normalise_rank(k->col, nu, 1, k->out);
        for (size_t u = 0; u < nu; u++)
            k->z[u * nl + l] = k->out[u];
    }
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < k->nn; i++) {
        k->tree[i] = k->nodes[i];
        k->tree[i].weight = d->w[i];
    }
    if (d->agg) /* the other aggregation than the nominal one */
        m = m == COMPOSITE_ARITHMETIC ? COMPOSITE_GEOMETRIC : COMPOSITE_ARITHMETIC;
    rc = composite_scores(k->tree, k->nn, k->z, nu, nl, m, k->missing, k->score, NULL);
    for (size_t u = 0; rc == 0 && u < nu; u++)
        k->root[u] = k->score[u * k->nn];
    if (rc == 0)
        rc = rank_desc(k->root, k->group, nu, rank);
    k->evaluations++;
    return rc;
}

/* Mean absolute rank shift from the nominal ranks, over units ranked in both. */
static double shift(const double *rank, const double *nominal, size_t nu)
{
    double s = 0;
    size_t n = 0;
    for (size_t u = 0; u < nu; u++)
        if (!isnan(rank[u]) && !isnan(nominal[u])) {
            s += fabs(rank[u] - nominal[u]);
            n++;
        }
    return n ? s / (double)n : NAN;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Quantile q of sorted v[n] with linear interpolation (R's type 7). */
static double quantile(const double *v, size_t n, double q)
{
    if (n == 0)
        return NAN;
    double h = (double)(n - 1) * q, lo = floor(h);
    size_t i = (size_t)lo;
    return i + 1 < n ? v[i] + (h - lo) * (v[i + 1] - v[i]) : v[i];
}

/* Janon et al. (2014) pick-freeze estimate of a first-order index. */
static double first_order(const double *ya, const double *yc, size_t n)
{
    double sab = 0, m = 0, v = 0;
    size_t k = 0;
    for (size_t j = 0; j < n; j++) {
        if (isnan(ya[j]) || isnan(yc[j]))
            continue;
        sab += ya[j] * yc[j];
        m += (ya[j] + yc[j]) / 2;
        v += (ya[j] * ya[j] + yc[j] * yc[j]) / 2;
        k++;
    }
    if (k < 2)
        return NAN;
    m /= (double)k;
    v = v / (double)k - m * m;
    return v > 1e-300 ? (sab / (double)k - m * m) / v : NAN;
}

const char *sens_assumption_name(enum sens_assumption a)
{
    static const char *const names[SENS_N_ASSUMPTIONS] = {"weights", "normalisation", "aggregation",
                                                          "imputation"};
    return a < SENS_N_ASSUMPTIONS ? names[a] : "";
}

void sens_result_free(struct sens_result *res)
{
    if (!res)
        return;
    free(res->units);
    memset(res, 0, sizeof(*res));
}

static int uncertainty(struct work *k, const double *ranks, size_t runs, struct sens_result *res)
{
    double *v = malloc(runs * sizeof(double));
    if (!v)
        return -ENOMEM;
    for (size_t u = 0; u < k->nu; u++) {
        size_t n = 0;
        for (size_t j = 0; j < runs; j++)
            if (!isnan(ranks[j * k->nu + u]))
                v[n++] = ranks[j * k->nu + u];
        qsort(v, n, sizeof(double), cmp_double);
        res->units[u].median = quantile(v, n, 0.5);
        res->units[u].p05 = quantile(v, n, 0.05);
        res->units[u].p95 = quantile(v, n, 0.95);
    }
    free(v);
    return 0;
}

int sens_run(const struct composite_node *nodes, size_t nn, const double *y,
             const unsigned char *imputed, const int *group, size_t nu, size_t nl,
             enum composite_method method, enum composite_missing missing,
             const struct sens_opts *opts, struct sens_result *res)
{
    struct work k = {nodes, nn,  nu,   nl,   y,    imputed, group, method, missing,
                     opts,  {0}, NULL, NULL, NULL, NULL,    NULL,  NULL,   0};
    size_t runs = opts ? opts->runs : 0;
    struct draw a = {0}, c = {0};
    double *wa = NULL, *wc = NULL, *nominal = NULL, *ranks = NULL, *ya = NULL, *yc = NULL;
    double *rank = NULL;
    struct rng r;
    int rc = -ENOMEM;

    memset(res, 0, sizeof(*res));
    if (!nodes || nn == 0 || !y || nu == 0 || !opts || runs < 2 || runs > 1000000 ||
        !(opts->weight_spread >= 0 && opts->weight_spread <= 1) || !(opts->dirichlet >= 0))
        return -EINVAL;
    k.varied[SENS_WEIGHTS] = opts->weight_spread > 0 || opts->dirichlet > 0;
    k.varied[SENS_NORMALISATION] = opts->vary_normalisation;
    k.varied[SENS_AGGREGATION] = opts->vary_aggregation;
    k.varied[SENS_IMPUTATION] = opts->vary_imputation && imputed;
    k.tree = malloc(nn * sizeof(*k.tree));
    k.z = malloc(nu * (nl ? nl : 1) * sizeof(double));
    k.col = malloc(nu * sizeof(double));
    k.out = malloc(nu * sizeof(double));
    k.score = malloc(nu * nn * sizeof(double));
    k.root = malloc(nu * sizeof(double));
    wa = malloc(nn * sizeof(double));
    wc = malloc(nn * sizeof(double));
    nominal = malloc(nu * sizeof(double));
    rank = malloc(nu * sizeof(double));
    ranks = malloc(runs * nu * sizeof(double));
    ya = malloc(runs * sizeof(double));
    yc = malloc(SENS_N_ASSUMPTIONS * runs * sizeof(double));
    res->units = calloc(nu, sizeof(*res->units));
    if (!k.tree || !k.z || !k.col || !k.out || !k.score || !k.root || !wa || !wc || !nominal ||
        !rank || !ranks || !ya || !yc || !res->units)
        goto out;
    res->nu = nu;
    /* the nominal assumptions */
    a = (struct draw){wa, NORM_NOMINAL, 0, 1};
    for (size_t i = 0; i < nn; i++)
        wa[i] = nodes[i].weight;
    if ((rc = evaluate(&k, &a, nominal)) < 0)
        goto out;
    for (size_t u = 0; u < nu; u++)
        res->units[u].nominal = nominal[u];
    /* base replications: every varied assumption drawn */
    rng_seed(&r, opts->seed);
    for (size_t j = 0; j < runs; j++) {
        a = (struct draw){wa, NORM_NOMINAL, 0, 1};
        for (size_t i = 0; i < nn; i++)
            wa[i] = nodes[i].weight;
        for (int i = 0; i < SENS_N_ASSUMPTIONS; i++)
            draw_one(&k, &r, &a, i);
        if ((rc = evaluate(&k, &a, ranks + j * nu)) < 0)
            goto out;
        ya[j] = shift(ranks + j * nu, nominal, nu);
        /* pick-freeze: keep assumption i, draw the others afresh */
        for (int i = 0; i < SENS_N_ASSUMPTIONS; i++) {
            if (!k.varied[i])
                continue;
            c = a;
            c.w = wc;
            memcpy(wc, wa, nn * sizeof(double));
            for (int o = 0; o < SENS_N_ASSUMPTIONS; o++)
                if (o != i)
                    draw_one(&k, &r, &c, o);
            if ((rc = evaluate(&k, &c, rank)) < 0)
                goto out;
            yc[(size_t)i * runs + j] = shift(rank, nominal, nu);
        }
    }
    for (int i = 0; i < SENS_N_ASSUMPTIONS; i++)
        res->first_order[i] = k.varied[i] ? first_order(ya, yc + (size_t)i * runs, runs) : NAN;
    res->mean_shift = 0;
    for (size_t j = 0; j < runs; j++)
        res->mean_shift += ya[j] / (double)runs;
    rc = uncertainty(&k, ranks, runs, res);
out:
    res->evaluations = k.evaluations;
    free(k.tree);
    free(k.z);
    free(k.col);
    free(k.out);
    free(k.score);
    free(k.root);
    free(wa);
    free(wc);
    free(nominal);
    free(rank);
    free(ranks);
    free(ya);
    free(yc);
    if (rc < 0)
        sens_result_free(res);
    return rc;
}
