/*
 * sensitivity.c - one index period through the Monte Carlo analysis of
 * aggregate/sensitivity.h (contract in compute.h).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate/sensitivity.h"
#include "compute/compute.h"
#include "compute/compute_priv.h"
#include "config/config.h"

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errsize, const char *fmt,
                                                      ...)
{
    va_list ap;

    if (!err || errsize == 0)
        return 0;
    va_start(ap, fmt);
    vsnprintf(err, errsize, fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
    va_end(ap);
    return 0;
}

/* 1 where leaf l of unit u had no raw value in period p but a normalised one:
 * imputation or "carry" filled it. */
static int imputed_mask(struct compute *c, const struct cmp_plan *pl, const struct cmp_run *run,
                        size_t p, unsigned char *mask)
{
    size_t np = run->np;

    memset(mask, 0, pl->nu * (pl->nl ? pl->nl : 1));
    for (size_t l = 0; l < pl->nl; l++) {
        struct cseries s = {0}, d = {0};
        int rc = cmp_series_at(c, pl->leaf[l].ind, run->freq, &s);
        if (rc == 0 && pl->leaf[l].den >= 0)
            rc = cmp_series_at(c, (size_t)pl->leaf[l].den, run->freq, &d);
        for (size_t u = 0; rc == 0 && u < pl->nu; u++) {
            size_t at = pl->units[u] * np + p;
            int raw_missing = isnan(s.v[at]) || (pl->leaf[l].den >= 0 && !(d.v[at] != 0));
            double y = run->y[(cmp_slot(run, p) * pl->nu + u) * pl->nl + l];
            mask[u * pl->nl + l] = (unsigned char)(raw_missing && !isnan(y));
        }
        cmp_series_free(&s);
        cmp_series_free(&d);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int compute_sensitivity(struct compute *c, const char *index_id, const char *period,
                        const struct sens_opts *o, struct compute_sens *out, char *err,
                        size_t errsize)
{
    const struct config_index *ix = NULL, *all;
    struct cmp_plan *pl = NULL;
    struct cmp_run run = {0};
    struct composite_node *nodes = NULL; /* the period's derived weights, if any */
    struct sens_result r = {0};
    unsigned char *mask = NULL;
    struct period q;
    size_t n;
    long p;
    int rc;

    memset(out, 0, sizeof(*out));
    all = config_indices(c->cfg, &n);
    for (size_t i = 0; i < n && !ix; i++)
        if (strcmp(all[i].id, index_id) == 0)
            ix = &all[i];
    if (!ix)
        return fail(err, errsize, "unknown index \"%.64s\"", index_id), -ENOENT;
    if (period_parse_str(&q, period) < 0 || q.freq != ix->freq)
        return fail(err, errsize, "period \"%.16s\" is not of index \"%.64s\"'s frequency %c",
                    period, index_id, period_freq_char(ix->freq)),
               -EINVAL;
    if ((rc = cmp_plan_new(c, ix, &pl)) < 0 || (rc = cmp_run_index(c, pl, &run)) < 0)
        goto out;
    p = cmp_period_pos(c, q);
    if (p < 0 || !run.has_data[p] || pl->nu == 0) {
        fail(err, errsize, "index \"%.64s\" has no data in %.16s", index_id, period);
        rc = -ENODATA;
        goto out;
    }
    rc = -ENOMEM;
    if (!(mask = malloc(pl->nu * (pl->nl ? pl->nl : 1))))
        goto out;
    if ((rc = imputed_mask(c, pl, &run, (size_t)p, mask)) < 0)
        goto out;
    size_t filled = 0;
    for (size_t i = 0; i < pl->nu * pl->nl; i++)
        filled += mask[i];
    /* derived weights: the period's are the nominal ones the runs vary */
    if (run.wt && !(nodes = cmp_period_nodes(&run, (size_t)p))) {
        rc = -ENOMEM;
        goto out;
    }
    /* nothing filled: imputation is no assumption here (its index stays NAN) */
    rc = sens_run(nodes ? nodes : pl->nodes, pl->nn,
                  run.y + cmp_slot(&run, (size_t)p) * pl->nu * pl->nl, filled ? mask : NULL,
                  pl->group, pl->nu, pl->nl, pl->method, pl->missing, o, &r);
    if (rc == -EINVAL) {
        fail(err, errsize, "bad options: runs 2 .. 1000000, weight spread 0 .. 1, dirichlet >= 0");
        goto out;
    }
    if (rc < 0)
        goto out;
    rc = -ENOMEM;
    if (!(out->units = calloc(pl->nu, sizeof(*out->units))))
        goto out;
    out->nu = pl->nu;
    for (size_t u = 0; u < pl->nu; u++) {
        const struct config_unit *cu = &c->units[pl->units[u]];
        out->units[u] =
            (struct compute_sens_unit){cu->id,
                                       cu->name,
                                       run.score[(cmp_slot(&run, (size_t)p) * pl->nu + u) * pl->nn],
                                       r.units[u].nominal,
                                       r.units[u].median,
                                       r.units[u].p05,
                                       r.units[u].p95};
    }
    memcpy(out->first_order, r.first_order, sizeof(out->first_order));
    out->mean_shift = r.mean_shift;
    out->evaluations = r.evaluations;
    rc = 0;
out:
    if (rc == -ENOMEM)
        fail(err, errsize, "out of memory");
    sens_result_free(&r);
    free(nodes);
    free(mask);
    cmp_run_free(&run);
    cmp_plan_free(&pl);
    return rc;
}

void compute_sens_free(struct compute_sens *s)
{
    if (!s)
        return;
    free(s->units);
    memset(s, 0, sizeof(*s));
}
