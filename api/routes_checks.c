/*
 * routes_checks.c - GET /api/v1/checks: the violations of the consistency
 * checks found at ingest and by the last recompute, and the records refused
 * (store/checks.h), one page by a keyset query on the violation's row id.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_priv.h"
#include "common/metrics.h"
#include "store/checks.h"
#include "store/store.h"

#define CHECKS_DEFAULT 1000
#define CHECKS_MAX     10000

struct walk {
    json_t *rows;
    struct api_page pg;
};

static json_t *real_or_null(double x)
{
    return isnan(x) ? json_null() : json_real(x);
}

static int violation_row(const struct store_violation *v, void *ctx)
{
    struct walk *w = ctx;
    char id[24];
    json_t *o;

    if (api_page_full(&w->pg))
        return 1;
    o = json_pack("{s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "id", (json_int_t)v->id,
                  "check", api_json_str(v->check), "rule", api_json_str(v->rule), "unit",
                  api_json_str(v->unit), "indicator", api_json_str(v->indicator), "period",
                  api_json_str(v->period), "value", real_or_null(v->value), "expected",
                  real_or_null(v->expected), "detail", api_json_str(v->detail), "action",
                  api_json_str(v->action), "valid_from",
                  v->valid_from >= 0 ? api_json_time(v->valid_from) : json_null(), "run",
                  v->run_id >= 0 ? json_integer((json_int_t)v->run_id) : json_null(), "found_at",
                  api_json_time(v->found_at));
    if (!o || json_array_append_new(w->rows, o) < 0)
        return -ENOMEM;
    snprintf(id, sizeof(id), "%lld", (long long)v->id);
    const char *const key[] = {id};
    api_page_took(&w->pg, key, 1);
    return 0;
}

/* GET /api/v1/checks?check=&rule=&unit=&indicator=&period=&limit=&cursor=. */
int api_route_checks(struct api_request *rq, const char *arg, struct api_reply *rp)
{
    static const char *const columns[] = {"id",         "check", "rule",     "unit",   "indicator",
                                          "period",     "value", "expected", "detail", "action",
                                          "valid_from", "run",   "found_at", NULL};
    struct store_violation_query q = {0};
    struct walk w;
    struct store *st;
    char *end;
    int rc;
    (void)arg;

    if (api_param_period(rq, rp, "period", &q.period) ||
        api_page_params(rq, rp, &w.pg, "checks", 1, CHECKS_DEFAULT, CHECKS_MAX))
        return 0;
    if (w.pg.nkey) {
        errno = 0;
        q.after_id = strtoll(w.pg.key[0], &end, 10);
        if (!*w.pg.key[0] || *end || errno || q.after_id <= 0)
            return api_reply_bad(rp, "parameter 'cursor': not a cursor of this list"), 0;
    }
    q.check = api_param(rq, "check");
    q.rule = api_param(rq, "rule");
    q.unit = api_param(rq, "unit");
    q.indicator = api_param(rq, "indicator");
    q.limit = w.pg.limit + 1;
    if ((rc = api_reply_etag(rq, rp)) != 0)
        return rc < 0 ? rc : 0;
    if (!(w.rows = json_array()))
        return -ENOMEM;
    if ((rc = api_store_get(rq, &st)) < 0 ||
        (w.pg.total < 0 && (rc = store_checks_count(st, &q, &w.pg.total)) < 0) ||
        (rc = store_checks_page(st, &q, violation_row, &w)) < 0) {
        json_decref(w.rows);
        return rc;
    }
    return api_reply_page(rq, rp, w.rows, w.rows, columns, &w.pg);
}

static int set_rule(const char *rule, long n, void *ctx)
{
    struct metrics *m = ctx;
    const char *const label[] = {rule};

    metrics_gauge_set(m, "parkstat_check_violations", label, (double)n);
    return 0;
}

/* Sets parkstat_check_violations{rule} from the stored violations (see api_priv.h). */
void api_checks_metrics(struct api_request *rq, struct metrics *m)
{
    static const char *const rules[] = {"sum",       "range",        "growth",
                                        "hierarchy", "monotone_ytd", "ratio"};
    struct store *st;

    if (api_store_get(rq, &st) < 0)
        return;
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
        set_rule(rules[i], 0, m);
    store_checks_by_rule(st, set_rule, m);
}

/* Registers parkstat_check_violations (see api_priv.h). */
int api_checks_register(struct metrics *m)
{
    static const char *const labels[] = {"rule"};

    return metrics_register(m, "parkstat_check_violations", METRICS_GAUGE,
                            "Consistency check violations the last recompute found, by rule.",
                            labels, 1, NULL, 0);
}
