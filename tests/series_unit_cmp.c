/*
 * series_unit_cmp.c - every unit x indicator x transform series of a store,
 * from a snapshot of the unit's subtree (compute_open_unit, what GET
 * /api/v1/series serves) and from a whole-store snapshot (compute_open), must
 * be the same points: period, value and coverage bit for bit, flags. Also at
 * the coarser frequencies of each indicator (a year of a monthly flow). So
 * must the unit's row copied out of the subtree's snapshot (compute_unit_copy,
 * what the API keeps of a parent's roll-up to answer it again). The subtree
 * is read both ways compute_open_unit_by() knows: every row of its units,
 * and the column copy's columns of the indicator and its inputs with the
 * rows of the units touched since (what the API reads for a large parent).
 *
 *   series_unit_cmp CONFIG DB [STRIDE]
 *
 * STRIDE (default 1) compares every unit with children and every STRIDE-th
 * unit without (the whole-store side costs a copy of the store's array per
 * series: all 1016 units of the demo take three minutes).
 *
 * Prints the number of series and points compared and how many subtrees
 * were read from the column copy ("N from columns"); exit 0 when all agree, 1
 * on the first difference (named: unit, indicator, transform, period), 2 on
 * a usage or set-up error. Run by tests/integration/test_series_unit.sh.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compute/compute.h"
#include "compute/unit_copy.h"
#include "config/config.h"
#include "store/store.h"

#define MAX_POINTS 4096

struct pts {
    size_t n;
    char period[MAX_POINTS][PERIOD_TEXT_SIZE];
    double value[MAX_POINTS], coverage[MAX_POINTS];
    unsigned flags[MAX_POINTS];
};

static int take(const struct compute_point *pt, void *ctx)
{
    struct pts *p = ctx;
    if (p->n == MAX_POINTS)
        return -E2BIG;
    snprintf(p->period[p->n], PERIOD_TEXT_SIZE, "%s", pt->period);
    p->value[p->n] = pt->value;
    p->coverage[p->n] = pt->coverage;
    p->flags[p->n++] = pt->flags;
    return 0;
}

/* 1 when a and b are the same double (both NAN counts as the same; 0 and -0 differ). */
static int same(double a, double b)
{
    return (isnan(a) && isnan(b)) || (a == b && signbit(a) == signbit(b));
}

static const char *const tr_name[] = {"value", "yoy", "pop", "ytd_yoy"};

/* Compares one series; 0 when equal, 1 (printed) when not. */
static int compare(const struct pts *a, const struct pts *b, const char *unit, const char *ind,
                   int tr, const char *from)
{
    if (a->n != b->n) {
        printf("%s %s %s from %s: %zu points from the subtree, %zu from the store\n", unit, ind,
               tr_name[tr], from ? from : "-", a->n, b->n);
        return 1;
    }
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->period[i], b->period[i]) != 0 || !same(a->value[i], b->value[i]) ||
            !same(a->coverage[i], b->coverage[i]) || a->flags[i] != b->flags[i]) {
            printf("%s %s %s %s: subtree %.17g cov %.17g flags %u, store %s %.17g cov %.17g "
                   "flags %u\n",
                   unit, ind, tr_name[tr], a->period[i], a->value[i], a->coverage[i], a->flags[i],
                   b->period[i], b->value[i], b->coverage[i], b->flags[i]);
            return 1;
        }
    return 0;
}

int main(int argc, char **argv)
{
    static struct pts a, b;
    static const enum period_freq coarser[] = {PERIOD_QUARTER, PERIOD_YEAR};
    struct config *cfg = NULL;
    struct store *st = NULL;
    struct compute *whole = NULL;
    struct compute_years y;
    struct compute_tree *tree = NULL;
    char *errors = NULL, err[256] = "";
    size_t nu, ni, nseries = 0, npoints = 0, ncols = 0;
    int bad = 0;

    long stride = argc == 4 ? strtol(argv[3], NULL, 10) : 1;
    if (argc < 3 || argc > 4 || stride < 1) {
        fprintf(stderr, "usage: series_unit_cmp CONFIG DB [STRIDE]\n");
        return 2;
    }
    if (config_load(argv[1], &cfg, &errors) < 0) {
        fprintf(stderr, "%s: %s\n", argv[1], errors ? errors : "cannot load");
        return 2;
    }
    /* read-only: neither path may refresh the column copy the other reads */
    if (store_open(&st, argv[2], STORE_READONLY, err, sizeof(err)) < 0 ||
        compute_open(&whole, st, cfg, 0, NULL) < 0 || compute_years(st, cfg, &y) < 0 ||
        compute_tree_new(cfg, &tree) < 0) {
        fprintf(stderr, "%s: %s\n", argv[2], err[0] ? err : store_errmsg(st));
        return 2;
    }
    const struct config_unit *units = config_units(cfg, &nu);
    const struct config_indicator *inds = config_indicators(cfg, &ni);
    char *inner = calloc(nu ? nu : 1, 1);
    size_t nunits = 0, leaf = 0;
    if (!inner)
        return 2;
    for (size_t u = 0; u < nu; u++)
        if (units[u].parent_index >= 0)
            inner[units[u].parent_index] = 1;
    for (size_t u = 0; u < nu && !bad; u++) {
        struct compute *sub = NULL;
        if (!inner[u] && leaf++ % (size_t)stride != 0)
            continue;
        nunits++;
        int rc = compute_open_unit(&sub, st, cfg, u % 2 ? tree : NULL, units[u].id, NULL, &y, NULL);
        if (rc < 0) {
            printf("%s: compute_open_unit: %s\n", units[u].id, strerror(-rc));
            bad = 1;
            break;
        }
        for (size_t k = 0; k < ni && !bad; k++) {
            /* as the API builds it: only indicator k and its inputs */
            struct compute *one = NULL, *copy = NULL, *cols = NULL;
            enum compute_unit_read used = COMPUTE_READ_ROWS;
            if ((rc = compute_open_unit_by(&one, st, cfg, tree, units[u].id, inds[k].code, &y, NULL,
                                           COMPUTE_READ_ROWS, NULL)) < 0 ||
                (rc = compute_open_unit_by(&cols, st, cfg, tree, units[u].id, inds[k].code, &y,
                                           NULL, COMPUTE_READ_COLUMNS, &used)) < 0 ||
                (rc = compute_unit_copy(cols, units[u].id, &copy)) < 0) {
                printf("%s %s: the subtree or its copy: %s\n", units[u].id, inds[k].code,
                       strerror(-rc));
                bad = 1;
                break;
            }
            for (int tr = COMPUTE_VALUE; tr <= COMPUTE_YTD_YOY && !bad; tr++)
                for (size_t f = 0; f <= 2 && !bad; f++) {
                    /* the indicator's own frequency, then each coarser one it divides */
                    char from[PERIOD_TEXT_SIZE] = "";
                    if (f > 0) {
                        enum period_freq fq = coarser[f - 1];
                        struct period p = {.year = 2000, .freq = fq, .index = 1};
                        if (fq >= inds[k].freq || inds[k].freq % fq != 0)
                            continue;
                        period_format(p, from, sizeof(from));
                    }
                    b.n = 0;
                    int rb = compute_snapshot_series(whole, units[u].id, inds[k].code,
                                                     f ? from : NULL, NULL, tr, take, &b);
                    /* the subtree with every indicator, then with k's only
                     * from its rows and from the columns, then the unit's
                     * row copied out of the latter */
                    for (int v = 0; v < 4 && !bad; v++) {
                        struct compute *from_c = v == 0 ? sub : v == 1 ? one : v == 2 ? cols : copy;
                        a.n = 0;
                        int ra = compute_snapshot_series(from_c, units[u].id, inds[k].code,
                                                         f ? from : NULL, NULL, tr, take, &a);
                        if (ra != rb) {
                            printf("%s %s %s: %d from the subtree, %d from the store\n",
                                   units[u].id, inds[k].code, tr_name[tr], ra, rb);
                            bad = 1;
                        } else {
                            bad = compare(&a, &b, units[u].id, inds[k].code, tr, f ? from : NULL);
                        }
                    }
                    nseries++;
                    npoints += b.n;
                }
            ncols += used == COMPUTE_READ_COLUMNS;
            compute_free(&one);
            compute_free(&cols);
            compute_free(&copy);
        }
        compute_free(&sub);
    }
    printf("%zu series, %zu points compared over %zu of %zu units, %zu indicators, %zu from "
           "columns: %s\n",
           nseries, npoints, nunits, nu, ni, ncols, bad ? "DIFFERENT" : "identical");
    free(inner);
    compute_free(&whole);
    compute_tree_free(&tree);
    store_close(&st);
    config_free(&cfg);
    free(errors);
    return bad;
}
