/*
 * routes_data.c - GET /api/v1/units, /api/v1/indicators and
 * /api/v1/observations, and the checks of period parameters shared by the
 * other routes.
 *
 * Every list is built as a JSON array of objects; api_reply_rows() sends it
 * in the envelope or, with ?format=csv, as CSV with the columns named here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_priv.h"
#include "common/period.h"
#include "common/timefmt.h"
#include "store/observations.h"
#include "store/store.h"

/* Observations per page: by default and at most. */
#define OBS_DEFAULT 1000
#define OBS_MAX     10000

/* Checks an optional period parameter (see api_priv.h). */
int api_param_period(struct api_request *rq, struct api_reply *rp, const char *name,
                     const char **out)
{
    struct period p;
    const char *v = api_param(rq, name);

    *out = NULL;
    if (!v)
        return 0;
    if (period_parse_str(&p, v) < 0) {
        api_reply_error(rp, MHD_HTTP_BAD_REQUEST, "parameter '%s': bad period \"%.64s\"", name, v);
        return 1;
    }
    *out = v;
    return 0;
}

/* "monthly", "quarterly", "half-yearly" or "yearly" (see api_priv.h). */
const char *api_freq_name(int freq)
{
    return freq == PERIOD_MONTH     ? "monthly"
           : freq == PERIOD_QUARTER ? "quarterly"
           : freq == PERIOD_HALF    ? "half-yearly"
                                    : "yearly";
}

/* Appends obj (stolen) to the array ctx; -ENOMEM stops the store's walk. */
static int append(json_t *array, json_t *obj)
{
    return obj && json_array_append_new(array, obj) == 0 ? 0 : -ENOMEM;
}

static int unit_row(const struct store_unit_row *r, void *ctx)
{
    json_t *attrs = r->attributes ? json_loads(r->attributes, 0, NULL) : NULL;
    return api_list_take(ctx,
                         json_pack("{s:o,s:o,s:o,s:o}", "code", api_json_str(r->code), "name",
                                   api_json_str(r->name), "parent", api_json_str(r->parent),
                                   "attributes", attrs ? attrs : json_null()),
                         r->code);
}

static int walk_units(struct store *st, const char *after, long limit, struct api_list_walk *w)
{
    return store_units_page(st, after, limit, unit_row, w);
}

/* GET /api/v1/units: the units by code with their parent and attributes. */
int api_route_units(struct api_request *rq, const char *arg, struct api_reply *rp)
{
    static const char *const columns[] = {"code", "name", "parent", "attributes", NULL};
    static const struct api_list list = {"units",           API_LIST_DEFAULT, API_LIST_MAX,
                                         store_units_count, walk_units,       columns};
    (void)arg;
    return api_reply_list(rq, rp, &list);
}

static int indicator_row(const struct store_indicator_row *r, void *ctx)
{
    return api_list_take(
        ctx,
        json_pack("{s:o,s:o,s:o,s:o,s:o,s:b,s:i,s:i,s:o,s:o,s:o,s:o}", "code",
                  api_json_str(r->code), "name", api_json_str(r->name), "measure",
                  api_json_str(r->measure), "frequency", api_json_str(r->frequency), "kind",
                  api_json_str(r->kind), "cumulative", r->cumulative, "direction", r->direction,
                  "decimals", r->decimals, "formula", api_json_str(r->formula), "numerator",
                  api_json_str(r->numerator), "denominator", api_json_str(r->denominator), "scale",
                  r->scale != 0 ? json_real(r->scale) : json_null()),
        r->code);
}

static int walk_indicators(struct store *st, const char *after, long limit, struct api_list_walk *w)
{
    return store_indicators_page(st, after, limit, indicator_row, w);
}

/* GET /api/v1/indicators: the indicators by code with their definitions. */
int api_route_indicators(struct api_request *rq, const char *arg, struct api_reply *rp)
{
    static const char *const columns[] = {
        "code",     "name",    "measure",   "frequency",   "kind",  "cumulative", "direction",
        "decimals", "formula", "numerator", "denominator", "scale", NULL};
    static const struct api_list list = {"indicators",           API_LIST_DEFAULT, API_LIST_MAX,
                                         store_indicators_count, walk_indicators,  columns};
    (void)arg;
    return api_reply_list(rq, rp, &list);
}

struct obs_walk {
    json_t *rows;
    struct api_page pg;
};

static int obs_row(const struct store_obs_row *r, void *ctx)
{
    struct obs_walk *w = ctx;
    char from[24];

    if (api_page_full(&w->pg))
        return 1;
    /* A missing value is null with "missing": true, never 0. */
    if (append(w->rows,
               json_pack("{s:o,s:o,s:o,s:o,s:o,s:b,s:o,s:o,s:I}", "unit", api_json_str(r->unit),
                         "indicator", api_json_str(r->indicator), "period", api_json_str(r->period),
                         "value", r->missing ? json_null() : json_real(r->value), "status",
                         api_json_str(r->status), "missing", r->missing, "valid_from",
                         api_json_time(r->valid_from), "valid_to", api_json_time(r->valid_to),
                         "run_id", (json_int_t)r->run_id)) < 0)
        return -ENOMEM;
    snprintf(from, sizeof(from), "%lld", (long long)r->valid_from);
    const char *const key[] = {r->unit, r->indicator, r->period, from};
    api_page_took(&w->pg, key, 4);
    return 0;
}

/* Reads and checks the observation parameters into q. Returns 0, or 1 with
 * rp set to a 400. */
static int obs_params(struct api_request *rq, struct api_reply *rp, struct store_obs_query *q)
{
    struct period a, b;
    const char *as_of = api_param(rq, "as_of");
    const char *history = api_param(rq, "history");

    q->unit = api_param(rq, "unit");
    q->indicator = api_param(rq, "indicator");
    if (api_param_period(rq, rp, "from", &q->from) || api_param_period(rq, rp, "to", &q->to))
        return 1;
    if (q->from && q->to && period_parse_str(&a, q->from) == 0 &&
        period_parse_str(&b, q->to) == 0 && a.freq != b.freq)
        return api_reply_bad(rp, "parameters 'from' and 'to': different frequencies");
    if (as_of && time_parse_iso(as_of, &q->as_of) < 0)
        return api_reply_bad(rp, "parameter 'as_of': bad time \"%.64s\"", as_of);
    if (history && strcmp(history, "0") != 0 && strcmp(history, "1") != 0)
        return api_reply_bad(rp, "parameter 'history': expected 0 or 1, not \"%.64s\"", history);
    q->history = history && history[0] == '1';
    if (q->history && as_of)
        return api_reply_bad(rp, "parameters 'history' and 'as_of' exclude each other");
    return 0;
}

/* GET /api/v1/observations: current values, values as of a time, or every
 * vintage (history=1), filtered by unit, indicator and period range; one
 * page, read by one keyset query (store_observations() after the cursor's
 * key), with the count of every match on the first page. */
int api_route_observations(struct api_request *rq, const char *arg, struct api_reply *rp)
{
    static const char *const columns[] = {"unit",    "indicator",  "period",   "value",  "status",
                                          "missing", "valid_from", "valid_to", "run_id", NULL};
    struct store_obs_query q = {0};
    struct obs_walk w;
    struct store *st;
    int rc;
    (void)arg;

    if (obs_params(rq, rp, &q) ||
        api_page_params(rq, rp, &w.pg, "observations", 4, OBS_DEFAULT, OBS_MAX))
        return 0;
    if (w.pg.nkey) {
        char *end;
        q.after_unit = w.pg.key[0];
        q.after_indicator = w.pg.key[1];
        q.after_period = w.pg.key[2];
        q.after_valid_from = strtoll(w.pg.key[3], &end, 10);
        if (*end || !*w.pg.key[3])
            return api_reply_bad(rp, "parameter 'cursor': not a cursor of this list"), 0;
    }
    q.limit = w.pg.limit + 1;
    if ((rc = api_reply_etag(rq, rp)) != 0)
        return rc < 0 ? rc : 0;
    if (!(w.rows = json_array()))
        return -ENOMEM;
    if ((rc = api_store_get(rq, &st)) < 0 ||
        (w.pg.total < 0 && (rc = store_observations_count(st, &q, &w.pg.total)) < 0) ||
        (rc = store_observations(st, &q, obs_row, &w)) < 0) {
        json_decref(w.rows);
        return rc;
    }
    return api_reply_page(rq, rp, w.rows, w.rows, columns, &w.pg);
}
