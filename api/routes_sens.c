/*
 * routes_sens.c - GET /api/v1/indices/{id}/sensitivity?period=: the Monte
 * Carlo uncertainty and sensitivity analysis of an index's ranks in one
 * period (compute_sensitivity(), aggregate/sensitivity.h). Seeded: the same
 * data and parameters give the same answer, so it is cached by its ETag like
 * any list, and paged: the units come limit at a time (cursor: the last
 * unit's place), from the last analysis kept for its later pages (the same
 * index, period, options and data version; units x 60 bytes), never
 * computed again per page. The analysis needs a snapshot of every unit's
 * observations (about 62 bytes per unit x indicator x period at its peak);
 * one over SENS_MAX_CELLS is refused with 413 and the CLI named, so the
 * daemon's memory stays bounded, and the snapshot is freed once the analysis
 * is done.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_priv.h"
#include "compute/compute.h"
#include "config/config.h"

/* Most index evaluations one request may ask for: runs x (1 + assumptions)
 * x units (the city's 1,000 runs over 15 parks are 75,000). */
#define MAX_WORK 50000000.0

/* Most unit x indicator x period cells of the snapshot an analysis loads:
 * 2.5 M cells peak at about 155 MB (62 bytes each, measured at 50,000 and
 * 200,000 units); 10,000 units x 10 monthly indicators x 1 year are 1.2 M. */
#define SENS_MAX_CELLS 2500000.0

/* Units per page: by default and at most. */
#define SENS_DEFAULT 1000
#define SENS_MAX     10000

/* Optional number parameter in [lo, hi]: 0 (absent: *v kept, or set), 1 with a 400. */
static int number(struct api_request *rq, struct api_reply *rp, const char *name, double lo,
                  double hi, double *v)
{
    const char *t = api_param(rq, name);
    char *end;
    double x;

    if (!t)
        return 0;
    x = strtod(t, &end);
    if (end == t || *end || !(x >= lo && x <= hi))
        return api_reply_bad(rp, "parameter '%s': expected a number from %g to %g, not \"%.32s\"",
                             name, lo, hi, t);
    *v = x;
    return 0;
}

/* fixed=normalisation,aggregation,...: the assumptions kept as configured. */
static int fixed(struct api_request *rq, struct api_reply *rp, struct sens_opts *o)
{
    const char *t = api_param(rq, "fixed");

    while (t && *t) {
        size_t n = strcspn(t, ",");
        if (n == 7 && strncmp(t, "weights", n) == 0)
            o->weight_spread = o->dirichlet = 0;
        else if (n == 13 && strncmp(t, "normalisation", n) == 0)
            o->vary_normalisation = 0;
        else if (n == 11 && strncmp(t, "aggregation", n) == 0)
            o->vary_aggregation = 0;
        else if (n == 10 && strncmp(t, "imputation", n) == 0)
            o->vary_imputation = 0;
        else
            return api_reply_bad(rp,
                                 "parameter 'fixed': \"%.*s\" is not weights, normalisation, "
                                 "aggregation or imputation",
                                 (int)(n < 32 ? n : 32), t);
        t += n + (t[n] == ',');
    }
    return 0;
}

static json_t *num(double v)
{
    return isnan(v) ? json_null() : json_real(v);
}

/* The answer with the page of units after pg's cursor (caller holds
 * sens_mu: s is the kept analysis). */
static json_t *answer(const char *id, const char *period, const struct sens_opts *o,
                      const struct compute_sens *s, struct api_page *pg, json_t **rows)
{
    json_t *fo = json_object(), *data;
    size_t from = 0;

    if (pg->nkey)
        from = (size_t)strtoul(pg->key[0], NULL, 10) + 1;
    *rows = json_array();
    for (int i = 0; fo && i < SENS_N_ASSUMPTIONS; i++)
        json_object_set_new(fo, sens_assumption_name((enum sens_assumption)i),
                            num(s->first_order[i]));
    for (size_t u = from; *rows && u < s->nu && !api_page_full(pg); u++) {
        const struct compute_sens_unit *x = &s->units[u];
        char at[24];
        const char *key[] = {at};
        if (json_array_append_new(*rows, json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:o}", "unit", x->unit,
                                                   "name", x->name, "score", num(x->score), "rank",
                                                   num(x->nominal), "median", num(x->median), "p05",
                                                   num(x->p05), "p95", num(x->p95))) < 0) {
            json_decref(fo);
            return NULL;
        }
        snprintf(at, sizeof(at), "%zu", u);
        api_page_took(pg, key, 1);
    }
    if (pg->total < 0)
        pg->total = (long)s->nu;
    data = json_pack("{s:s,s:s,s:I,s:I,s:f,s:f,s:I,s:o,s:o,s:O}", "index", id, "period", period,
                     "runs", (json_int_t)o->runs, "seed", (json_int_t)o->seed, "weight_spread",
                     o->weight_spread, "dirichlet", o->dirichlet, "evaluations",
                     (json_int_t)s->evaluations, "mean_shift", num(s->mean_shift), "first_order",
                     fo, "units", *rows);
    return data;
}

/* The snapshot's cells: units x the periods of every indicator over the
 * store's years. */
static double snapshot_cells(const struct config *cfg, const struct compute_years *y)
{
    size_t nu = 0, ni = 0;
    const struct config_indicator *ind;
    double per_year = 0;

    config_units(cfg, &nu);
    ind = config_indicators(cfg, &ni);
    for (size_t i = 0; i < ni; i++)
        per_year += (double)ind[i].freq;
    return (double)nu * per_year * (double)(y->nyears > 0 ? y->nyears : 1);
}

/* The analysis of key into a->sens, unless it is kept already (caller holds
 * sens_mu; cfg a reference of the caller's). Returns 0 or a negative errno:
 * -EFBIG (over SENS_MAX_CELLS: *cells says how many), -E2BIG (over
 * MAX_WORK), those of compute_sensitivity() with err. */
static int analyse(struct api *a, struct store *st, struct config *cfg,
                   const struct compute_years *y, const char *key, const char *id,
                   const char *period, const struct sens_opts *o, double *cells, char *err,
                   size_t errsize)
{
    struct store_data_version v;
    struct compute *c = NULL;
    struct compute_sens s = {0};
    size_t nunits = 0;
    int rc;

    if ((rc = store_data_version(st, &v)) < 0)
        return rc;
    if (a->sens_cfg == cfg && strcmp(a->sens_key, key) == 0 &&
        memcmp(&v, &a->sens_version, sizeof(v)) == 0)
        return 0;
    config_units(cfg, &nunits);
    if ((double)o->runs * (1 + SENS_N_ASSUMPTIONS) * (double)nunits > MAX_WORK)
        return -E2BIG;
    if ((*cells = snapshot_cells(cfg, y)) > SENS_MAX_CELLS)
        return -EFBIG;
    if ((rc = compute_open(&c, st, cfg, 0, &(struct compute_opts){.ex = a->exec})) == 0)
        rc = compute_sensitivity(c, id, period, o, &s, err, errsize);
    compute_free(&c); /* the snapshot is not kept: only the analysis */
    if (rc < 0) {
        compute_sens_free(&s);
        return rc;
    }
    compute_sens_free(&a->sens);
    config_free(&a->sens_cfg);
    a->sens = s;
    a->sens_cfg = config_ref(cfg);
    a->sens_version = v;
    snprintf(a->sens_key, sizeof(a->sens_key), "%s", key);
    return 0;
}

int api_route_sensitivity(struct api_request *rq, const char *arg, struct api_reply *rp)
{
    static const char *const columns[] = {"unit",   "name", "score", "rank",
                                          "median", "p05",  "p95",   NULL};
    struct sens_opts o = {.runs = 1000,
                          .seed = 1,
                          .weight_spread = 0.25,
                          .vary_normalisation = 1,
                          .vary_aggregation = 1,
                          .vary_imputation = 1};
    double runs = 1000, seed = 1, cells = 0;
    const char *period;
    struct api *a = rq->api;
    struct config *cfg = NULL;
    struct compute_years y = {0};
    struct api_page pg;
    struct store *st;
    json_t *data = NULL, *rows = NULL;
    char err[256] = "", key[256];
    size_t nunits = 0;
    int rc;

    if (api_param_period(rq, rp, "period", &period))
        return 0;
    if (!period)
        return api_reply_bad(rp, "parameter 'period' is required"), 0;
    if (number(rq, rp, "runs", 2, 100000, &runs) ||
        number(rq, rp, "seed", 0, 9007199254740992.0, &seed) ||
        number(rq, rp, "weights", 0, 1, &o.weight_spread) ||
        number(rq, rp, "dirichlet", 0, 1e6, &o.dirichlet) || fixed(rq, rp, &o) ||
        api_page_params(rq, rp, &pg, "sensitivity", 1, SENS_DEFAULT, SENS_MAX))
        return 0;
    if (pg.nkey) {
        char *end;
        strtoul(pg.key[0], &end, 10);
        if (*end || !*pg.key[0] || *pg.key[0] == '-')
            return api_reply_bad(rp, "parameter 'cursor': not a cursor of this list"), 0;
    }
    o.runs = (size_t)runs;
    o.seed = (uint64_t)seed;
    if ((rc = api_reply_etag(rq, rp)) != 0)
        return rc < 0 ? rc : 0;
    if ((rc = api_store_get(rq, &st)) < 0)
        return rc;
    pthread_mutex_lock(&a->series_mu);
    if (a->cfg && (rc = api_series_years(a, st, &y)) == 0)
        cfg = config_ref(a->cfg);
    pthread_mutex_unlock(&a->series_mu);
    snprintf(key, sizeof(key), "%.100s|%.40s|%zu|%llu|%.17g|%.17g|%d%d%d", arg, period, o.runs,
             (unsigned long long)o.seed, o.weight_spread, o.dirichlet, o.vary_normalisation,
             o.vary_aggregation, o.vary_imputation);
    if (!cfg) {
        rc = rc < 0 ? rc : -EAGAIN;
    } else {
        config_units(cfg, &nunits);
        /* one analysis at a time, and its pages from it */
        pthread_mutex_lock(&a->sens_mu);
        rc = analyse(a, st, cfg, &y, key, arg, period, &o, &cells, err, sizeof(err));
        if (rc == 0 && !(data = answer(arg, period, &o, &a->sens, &pg, &rows)))
            rc = -ENOMEM;
        pthread_mutex_unlock(&a->sens_mu);
    }
    config_free(&cfg);
    if (rc < 0) {
        json_decref(data);
        json_decref(rows);
        rp->cacheable = 0;
        rp->etag[0] = '\0';
        switch (rc) {
        case -EAGAIN:
            return api_reply_error(rp, 503, "no configuration loaded");
        case -E2BIG:
            return api_reply_bad(rp,
                                 "parameter 'runs': %zu runs over %zu units is more work than one "
                                 "request may ask (%.0f evaluations of a unit); ask fewer runs",
                                 o.runs, nunits, MAX_WORK),
                   0;
        case -EFBIG:
            return api_reply_error(rp, 413,
                                   "the analysis needs a snapshot of %.0f unit x indicator x "
                                   "period cells, more than the daemon takes (%.0f): run "
                                   "`parkstat sensitivity %.64s --period %.32s --db DATABASE`",
                                   cells, SENS_MAX_CELLS, arg, period);
        case -ENOENT:
            return api_reply_error(rp, 404, "%s", err);
        case -EINVAL:
            return api_reply_bad(rp, "%s", err), 0;
        case -ENODATA:
            return api_reply_error(rp, 404, "%s", err);
        default:
            return rc;
        }
    }
    rc = api_reply_page(rq, rp, data, rows, columns, &pg);
    json_decref(rows);
    return rc;
}
