/*
 * transform.c - one unit's series of one indicator as the API's /series
 * endpoint serves it: period values or growth rates in percent
 * (aggregate/growth: year-on-year, period-on-period, cumulative year-on-year
 * on the year-to-date sums). A missing or zero base gives a missing value,
 * never inf.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate/growth.h"
#include "compute/compute_priv.h"
#include "config/config.h"

/* Year-to-date sums of flows (stocks are their own year-to-date value). A
 * January left missing because February covers both months (TWO_MONTHS,
 * published together) adds nothing: the sum from February on is exact. */
static void ytd_sums(const double *v, const unsigned *fl, size_t np, enum period_freq f, int stock,
                     double *out)
{
    double acc = 0;
    for (size_t p = 0; p < np; p++) {
        int covered = p % (size_t)f == 0 && isnan(v[p]) && p + 1 < np &&
                      (fl[p + 1] & COMPUTE_FLAG_TWO_MONTHS);
        if (p % (size_t)f == 0)
            acc = 0;
        if (!covered)
            acc += v[p];
        out[p] = stock ? v[p] : acc;
    }
}

static int parse_bound(const char *text, struct period *p)
{
    return text ? period_parse_str(p, text) : 0;
}

/* The frequency of the request: the bounds', else the indicator's. */
static enum period_freq request_freq(const struct config_indicator *ind, const struct period *from,
                                     const struct period *to, const char *tf, const char *tt)
{
    if (tf)
        return from->freq;
    if (tt)
        return to->freq;
    return ind->freq;
}

static int transform_row(const struct cseries *s, size_t u, size_t np, enum compute_transform tr,
                         int stock, double *out)
{
    const double *v = s->v + u * np;
    switch (tr) {
    case COMPUTE_VALUE:
        memcpy(out, v, np * sizeof(double));
        return 0;
    case COMPUTE_YOY:
        return growth_lagged(v, np, (int)s->freq, out);
    case COMPUTE_POP:
        return growth_lagged(v, np, 1, out);
    case COMPUTE_YTD_YOY:
        ytd_sums(v, s->fl + u * np, np, s->freq, stock, out);
        return growth_lagged(out, np, (int)s->freq, out);
    }
    return -EINVAL;
}

static int emit(struct compute *c, const struct cseries *s, size_t u, const double *row, long p0,
                long p1, compute_point_cb cb, void *ctx)
{
    size_t np = cmp_nper(c, s->freq);
    for (long p = p0; p <= p1; p++) {
        char text[PERIOD_TEXT_SIZE];
        period_format(cmp_period_at(c, s->freq, (size_t)p), text, sizeof(text));
        struct compute_point pt = {text, row[p], s->cov[u * np + (size_t)p],
                                   s->fl[u * np + (size_t)p] |
                                       (isnan(row[p]) ? COMPUTE_FLAG_MISSING : 0)};
        int rc = cb(&pt, ctx);
        if (rc)
            return rc;
    }
    return 0;
}

/* Series of one unit and indicator (contract in compute.h). */
int compute_snapshot_series(struct compute *c, const char *unit, const char *indicator,
                            const char *from, const char *to, enum compute_transform tr,
                            compute_point_cb cb, void *ctx)
{
    long u = config_unit_find(c->cfg, unit, strlen(unit));
    long k = config_indicator_find(c->cfg, indicator, strlen(indicator));
    struct period pf = {0}, pt = {0};
    struct cseries s = {0};
    double *row = NULL;
    int rc;

    if (u >= 0 && c->cfg_of) { /* a subtree snapshot: the unit's place in it */
        size_t i = 0;
        while (i < c->nu && c->cfg_of[i] != u)
            i++;
        u = i < c->nu ? (long)i : -1;
    }
    if (u < 0 || k < 0)
        return -ENOENT;
    if (parse_bound(from, &pf) < 0 || parse_bound(to, &pt) < 0 ||
        (from && to && pf.freq != pt.freq))
        return -EINVAL;
    enum period_freq f = request_freq(&c->inds[k], &pf, &pt, from, to);
    if (c->nyears == 0)
        return 0;
    if ((rc = cmp_series_at(c, (size_t)k, f, &s)) < 0)
        return rc;
    size_t np = cmp_nper(c, f);
    long p0 = from ? cmp_period_pos(c, pf) : 0, p1 = to ? cmp_period_pos(c, pt) : (long)np - 1;
    if (from && p0 < 0)
        p0 = pf.year < c->y0 ? 0 : (long)np;
    if (to && p1 < 0)
        p1 = pt.year < c->y0 ? -1 : (long)np - 1;
    if (!(row = calloc(np ? np : 1, sizeof(double)))) {
        rc = -ENOMEM;
        goto out;
    }
    rc = transform_row(&s, (size_t)u, np, tr, c->inds[k].kind == CONFIG_STOCK, row);
    if (rc == 0)
        rc = emit(c, &s, (size_t)u, row, p0, p1, cb, ctx);
out:
    free(row);
    cmp_series_free(&s);
    return rc;
}
