/*
 * routes_sens.c - GET /api/v1/indices/{id}/sensitivity?period=: the Monte
 * Carlo uncertainty and sensitivity analysis of an index's ranks in one
 * period (compute_sensitivity(), aggregate/sensitivity.h), on the snapshot
 * /series uses. Seeded: the same data and parameters give the same answer,
 * so it is cached by its ETag like any list.
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

static json_t *answer(const char *id, const char *period, const struct sens_opts *o,
                      const struct compute_sens *s, json_t **rows)
{
    json_t *fo = json_object(), *data;

    *rows = json_array();
    for (int i = 0; fo && i < SENS_N_ASSUMPTIONS; i++)
        json_object_set_new(fo, sens_assumption_name((enum sens_assumption)i),
                            num(s->first_order[i]));
    for (size_t u = 0; *rows && u < s->nu; u++) {
        const struct compute_sens_unit *x = &s->units[u];
        json_array_append_new(*rows, json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:o}", "unit", x->unit,
                                               "name", x->name, "score", num(x->score), "rank",
                                               num(x->nominal), "median", num(x->median), "p05",
                                               num(x->p05), "p95", num(x->p95)));
    }
    data = json_pack("{s:s,s:s,s:I,s:I,s:f,s:f,s:I,s:o,s:o,s:O}", "index", id, "period", period,
                     "runs", (json_int_t)o->runs, "seed", (json_int_t)o->seed, "weight_spread",
                     o->weight_spread, "dirichlet", o->dirichlet, "evaluations",
                     (json_int_t)s->evaluations, "mean_shift", num(s->mean_shift), "first_order",
                     fo, "units", *rows);
    return data;
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
    double runs = 1000, seed = 1;
    const char *period;
    struct compute_sens s = {0};
    struct store *st;
    json_t *data, *rows;
    char err[256] = "";
    size_t nunits = 0;
    int rc;

    if (api_param_period(rq, rp, "period", &period))
        return 0;
    if (!period)
        return api_reply_bad(rp, "parameter 'period' is required"), 0;
    if (number(rq, rp, "runs", 2, 100000, &runs) ||
        number(rq, rp, "seed", 0, 9007199254740992.0, &seed) ||
        number(rq, rp, "weights", 0, 1, &o.weight_spread) ||
        number(rq, rp, "dirichlet", 0, 1e6, &o.dirichlet) || fixed(rq, rp, &o))
        return 0;
    o.runs = (size_t)runs;
    o.seed = (uint64_t)seed;
    if ((rc = api_reply_etag(rq, rp)) != 0)
        return rc < 0 ? rc : 0;
    if ((rc = api_store_get(rq, &st)) < 0)
        return rc;
    pthread_mutex_lock(&rq->api->series_mu);
    if (!rq->api->cfg) {
        rc = -EAGAIN;
    } else {
        config_units(rq->api->cfg, &nunits);
        if ((double)o.runs * (1 + SENS_N_ASSUMPTIONS) * (double)nunits > MAX_WORK)
            rc = -E2BIG;
        else if ((rc = api_series_snapshot(rq->api, st)) == 0)
            rc = compute_sensitivity(rq->api->snapshot, arg, period, &o, &s, err, sizeof(err));
    }
    pthread_mutex_unlock(&rq->api->series_mu);
    if (rc < 0) {
        compute_sens_free(&s);
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
    data = answer(arg, period, &o, &s, &rows);
    compute_sens_free(&s);
    if (!data || !rows) {
        json_decref(data);
        json_decref(rows);
        return -ENOMEM;
    }
    rc = api_reply_rows(rq, rp, data, rows, columns);
    json_decref(rows);
    return rc == 0 ? 0 : -ENOMEM;
}
