/*
 * test_check_batch.c - consistency checks on every ingest
 * (collectors/check_batch.c): a pull (collect_import, the pull's own
 * reading and storing) and `parkstat import` (import_stream) evaluate the
 * checks their batch touches against the batch and the stored values.
 *
 * The zone example: a zone reports 25 new high-tech enterprises, 11 above
 * and 15 below the size threshold (11 + 15 = 26). With action "flag" the
 * three values are stored and the violation listed with the run that stored
 * them; with "reject" the total is a reject of its run, with a reason that
 * names the check and the values, and the two parts are stored.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <uv.h>

#include "cli/import.h"
#include "collectors/check_batch.h"
#include "collectors/collect.h"
#include "compute/compute.h"
#include "config/config.h"
#include "store/bookkeeping.h"
#include "store/checks.h"
#include "store/observations.h"
#include "store/store.h"
#include "test_support.h"

/* %s: the zone_total check's action; %s: the hierarchy check's. */
static const char config_fmt[] =
    "{\"database\": \"t.db\","
    " \"units\": [{\"id\": \"zone\", \"name\": \"Zone\"},"
    "  {\"id\": \"p1\", \"name\": \"P1\", \"parent\": \"zone\"},"
    "  {\"id\": \"p2\", \"name\": \"P2\", \"parent\": \"zone\"}],"
    " \"indicators\": ["
    "  {\"code\": \"hitech_new\", \"name\": \"New high-tech enterprises\", \"frequency\": \"Y\","
    "   \"kind\": \"flow\"},"
    "  {\"code\": \"hitech_above\", \"name\": \"... above the size threshold\","
    "   \"frequency\": \"Y\", \"kind\": \"flow\"},"
    "  {\"code\": \"hitech_below\", \"name\": \"... below the size threshold\","
    "   \"frequency\": \"Y\", \"kind\": \"flow\"},"
    "  {\"code\": \"staff\", \"name\": \"Staff\", \"frequency\": \"Y\", \"kind\": \"stock\"}],"
    " \"sources\": [{\"id\": \"zones\", \"url\": \"file:///nonexistent/{year}.json\","
    "   \"format\": \"json\", \"frequency\": \"Y\", \"first_period\": \"2023\","
    "   \"mapping\": {\"records\": \"/data\", \"unit\": \"/unit\", \"indicator\": \"/code\","
    "                \"period\": \"/year\", \"value\": \"/value\"}}],"
    " \"checks\": ["
    "  {\"id\": \"zone_total\", \"rule\": \"sum\", \"total\": \"hitech_new\","
    "   \"parts\": [\"hitech_above\", \"hitech_below\"], \"action\": \"%s\"},"
    "  {\"id\": \"parks\", \"rule\": \"hierarchy\", \"indicator\": \"staff\","
    "   \"units\": [\"zone\"], \"action\": \"%s\"},"
    "  {\"id\": \"staff_growth\", \"rule\": \"growth\", \"indicator\": \"staff\","
    "   \"basis\": \"yoy\", \"max\": 200},"
    "  {\"id\": \"staff_range\", \"rule\": \"range\", \"indicator\": \"staff\", \"min\": 0}]}";

static const char zone_json[] =
    "{\"data\": [{\"unit\": \"zone\", \"code\": \"hitech_new\", \"year\": \"2024\", \"value\": 25},"
    " {\"unit\": \"zone\", \"code\": \"hitech_above\", \"year\": \"2024\", \"value\": 11},"
    " {\"unit\": \"zone\", \"code\": \"hitech_below\", \"year\": \"2024\", \"value\": 15}]}";

static const char zone_csv[] = "unit,indicator,period,value\n"
                               "zone,hitech_new,2024,25\n"
                               "zone,hitech_above,2024,11\n"
                               "zone,hitech_below,2024,15\n";

#define REASON "check zone_total: 25 != 11 + 15 (tolerance 0)"

struct fx {
    struct config *cfg;
    struct store *st;
    char dir[64];
};

static struct fx *fx_new(const char *action, const char *hier_action)
{
    struct fx *f = calloc(1, sizeof(*f));
    char text[4096], path[128], err[256], *errors = NULL;

    assert_non_null(f);
    snprintf(text, sizeof(text), config_fmt, action, hier_action);
    if (config_load_buffer("t.json", NULL, text, strlen(text), &f->cfg, &errors) < 0)
        fail_msg("%s", errors ? errors : "config");
    ts_tmpdir(f->dir, sizeof(f->dir), "test_check_batch");
    ts_path(path, sizeof(path), f->dir, "t.db");
    assert_int_equal(store_open(&f->st, path, 0, err, sizeof(err)), 0);
    assert_int_equal(compute_sync_config(f->st, f->cfg), 0);
    return f;
}

static void fx_free(struct fx *f)
{
    store_close(&f->st);
    config_free(&f->cfg);
    ts_rmtree(f->dir);
    free(f);
}

/* The current value of unit, indicator, period (NAN: none). */
static double current(struct fx *f, const char *unit, const char *ind, const char *period)
{
    struct period p;
    double v;

    assert_int_equal(period_parse_str(&p, period), 0);
    assert_int_equal(store_checks_current(f->st, store_unit_id(f->st, unit, strlen(unit)),
                                          store_indicator_id(f->st, ind, strlen(ind)), p, &v),
                     0);
    return v;
}

struct vrows {
    size_t n;
    struct {
        char check[32], unit[16], period[8], action[8], detail[64];
        double value, expected;
        int64_t run_id, valid_from;
    } v[8];
};

static int take_v(const struct store_violation *v, void *ctx)
{
    struct vrows *r = ctx;

    assert_true(r->n < 8);
    snprintf(r->v[r->n].check, sizeof(r->v[0].check), "%s", v->check);
    snprintf(r->v[r->n].unit, sizeof(r->v[0].unit), "%s", v->unit);
    snprintf(r->v[r->n].period, sizeof(r->v[0].period), "%s", v->period);
    snprintf(r->v[r->n].action, sizeof(r->v[0].action), "%s", v->action);
    snprintf(r->v[r->n].detail, sizeof(r->v[0].detail), "%s", v->detail);
    r->v[r->n].value = v->value;
    r->v[r->n].expected = v->expected;
    r->v[r->n].run_id = v->run_id;
    r->v[r->n].valid_from = v->valid_from;
    r->n++;
    return 0;
}

static void violations(struct fx *f, const char *check, struct vrows *r)
{
    memset(r, 0, sizeof(*r));
    assert_int_equal(
        store_checks_page(f->st, &(struct store_violation_query){.check = check}, take_v, r), 0);
}

struct rrows {
    size_t n;
    struct {
        long position;
        char raw[64], reason[160];
    } r[8];
};

static int take_r(const struct store_reject_row *row, void *ctx)
{
    struct rrows *r = ctx;

    assert_true(r->n < 8);
    r->r[r->n].position = row->position;
    snprintf(r->r[r->n].raw, sizeof(r->r[0].raw), "%s", row->raw ? row->raw : "");
    snprintf(r->r[r->n].reason, sizeof(r->r[0].reason), "%s", row->reason);
    r->n++;
    return 0;
}

static void rejects(struct fx *f, int64_t run, struct rrows *r)
{
    memset(r, 0, sizeof(*r));
    assert_int_equal(store_rejects(f->st, run, NULL, take_r, r), 0);
}

/* A payload read and stored as a pull of source "zones" reads it. */
static void pull(struct fx *f, const char *json, struct collect_result *res)
{
    uv_loop_t loop;
    struct collect *c = NULL;
    char err[256];

    assert_int_equal(uv_loop_init(&loop), 0);
    if (collect_new(&c, &loop, f->cfg, f->st, NULL, err, sizeof(err)) < 0)
        fail_msg("collect_new: %s", err);
    if (collect_import(c, 0, "zones", NULL, json, strlen(json), res, err, sizeof(err)) < 0)
        fail_msg("collect_import: %s", err);
    collect_close(&c);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* A CSV text imported as `parkstat import` does; its run id into *run. */
static void import_csv(struct fx *f, const char *csv, struct import_summary *sum, int64_t *run)
{
    struct import *im = NULL;
    FILE *in = fmemopen((void *)csv, strlen(csv), "r"), *msgs = fopen("/dev/null", "w");
    struct store_data_version dv;

    assert_non_null(in);
    assert_int_equal(import_new(&im, f->st, f->cfg), 0);
    import_set_messages(im, msgs, 100);
    assert_int_equal(import_stream(im, in, "zone.csv", sum), 0);
    import_free(&im);
    fclose(in);
    fclose(msgs);
    assert_int_equal(store_data_version(f->st, &dv), 0);
    *run = dv.max_run_id;
}

static void test_pull_flag(void **state)
{
    struct fx *f = fx_new("flag", "flag");
    struct collect_result res;
    struct vrows v;

    (void)state;
    pull(f, zone_json, &res);
    assert_string_equal(res.outcome, "ok");
    assert_int_equal(res.counts.n_new, 3);
    assert_int_equal(res.counts.n_rejected, 0);
    assert_near(current(f, "zone", "hitech_new", "2024"), 25, 0);
    /* found at ingest, no recompute ran */
    violations(f, "zone_total", &v);
    assert_int_equal(v.n, 1);
    assert_string_equal(v.v[0].unit, "zone");
    assert_string_equal(v.v[0].period, "2024");
    assert_string_equal(v.v[0].action, "flag");
    assert_near(v.v[0].value, 25, 0);
    assert_near(v.v[0].expected, 26, 0);
    assert_int_equal(v.v[0].run_id, res.run_id);
    assert_true(v.v[0].valid_from > 0);

    /* the same payload again: still one flag, of the first run's values */
    int64_t first = res.run_id;
    pull(f, zone_json, &res);
    assert_int_equal(res.counts.n_unchanged, 3);
    violations(f, "zone_total", &v);
    assert_int_equal(v.n, 1);
    assert_int_equal(v.v[0].run_id, first);

    /* a revised part alone, held against the stored total and other part:
     * 25 = 10 + 15, the flag goes */
    pull(f,
         "{\"data\": [{\"unit\": \"zone\", \"code\": \"hitech_above\", \"year\": \"2024\","
         " \"value\": 10}]}",
         &res);
    assert_string_equal(res.outcome, "ok");
    violations(f, "zone_total", &v);
    assert_int_equal(v.n, 0);
    /* and back to 11: flagged again, now with the total's first vintage */
    pull(f,
         "{\"data\": [{\"unit\": \"zone\", \"code\": \"hitech_above\", \"year\": \"2024\","
         " \"value\": 11}]}",
         &res);
    violations(f, "zone_total", &v);
    assert_int_equal(v.n, 1);
    assert_near(v.v[0].value, 25, 0);
    assert_near(v.v[0].expected, 26, 0);
    assert_int_equal(v.v[0].run_id, first);
    /* the recompute finds the same one, and keeps it */
    assert_int_equal(compute_recompute(f->st, f->cfg, 1, NULL, NULL), 0);
    violations(f, "zone_total", &v);
    assert_int_equal(v.n, 1);
    assert_int_equal(v.v[0].run_id, first);
    fx_free(f);
}

static void test_pull_reject(void **state)
{
    struct fx *f = fx_new("reject", "flag");
    struct collect_result res;
    struct vrows v;
    struct rrows r;

    (void)state;
    pull(f, zone_json, &res);
    assert_string_equal(res.outcome, "partial");
    assert_int_equal(res.counts.n_new, 2);
    assert_int_equal(res.counts.n_rejected, 1);
    /* nothing good lost: the parts are stored, the total is not */
    assert_true(isnan(current(f, "zone", "hitech_new", "2024")));
    assert_near(current(f, "zone", "hitech_above", "2024"), 11, 0);
    assert_near(current(f, "zone", "hitech_below", "2024"), 15, 0);
    rejects(f, res.run_id, &r);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.r[0].reason, REASON);
    assert_string_equal(r.r[0].raw, "zone,hitech_new,2024,25");
    violations(f, "zone_total", &v);
    assert_int_equal(v.n, 1);
    assert_string_equal(v.v[0].action, "reject");
    assert_int_equal(v.v[0].run_id, res.run_id);
    assert_near(v.v[0].value, 25, 0);
    assert_near(v.v[0].expected, 26, 0);
    assert_int_equal(v.v[0].valid_from, -1);

    /* the corrected total (26) is stored; the refusal stays on record, a
     * recompute keeps it */
    pull(f,
         "{\"data\": [{\"unit\": \"zone\", \"code\": \"hitech_new\", \"year\": \"2024\","
         " \"value\": 26}]}",
         &res);
    assert_string_equal(res.outcome, "ok");
    assert_near(current(f, "zone", "hitech_new", "2024"), 26, 0);
    assert_int_equal(compute_recompute(f->st, f->cfg, 1, NULL, NULL), 0);
    violations(f, "zone_total", &v);
    assert_int_equal(v.n, 1);
    assert_string_equal(v.v[0].action, "reject");

    /* a part alone that breaks the stored total: the part is refused */
    pull(f,
         "{\"data\": [{\"unit\": \"zone\", \"code\": \"hitech_below\", \"year\": \"2024\","
         " \"value\": 16}]}",
         &res);
    assert_string_equal(res.outcome, "rejected");
    rejects(f, res.run_id, &r);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.r[0].reason, "check zone_total: 26 != 11 + 16 (tolerance 0)");
    assert_near(current(f, "zone", "hitech_below", "2024"), 15, 0);
    fx_free(f);
}

static void test_import_flag_and_reject(void **state)
{
    struct fx *f = fx_new("flag", "flag");
    struct import_summary sum;
    struct vrows v;
    struct rrows r;
    int64_t run;

    (void)state;
    import_csv(f, zone_csv, &sum, &run);
    assert_int_equal(sum.n_stored, 3);
    assert_int_equal(sum.n_rejected, 0);
    violations(f, "zone_total", &v);
    assert_int_equal(v.n, 1);
    assert_string_equal(v.v[0].action, "flag");
    assert_near(v.v[0].value, 25, 0);
    assert_near(v.v[0].expected, 26, 0);
    assert_int_equal(v.v[0].run_id, run);
    fx_free(f);

    f = fx_new("reject", "flag");
    import_csv(f, zone_csv, &sum, &run);
    assert_int_equal(sum.n_stored, 2);
    assert_int_equal(sum.n_rejected, 1);
    rejects(f, run, &r);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.r[0].position, 2); /* the line of zone,hitech_new */
    assert_string_equal(r.r[0].reason, REASON);
    assert_true(isnan(current(f, "zone", "hitech_new", "2024")));
    assert_near(current(f, "zone", "hitech_above", "2024"), 11, 0);
    violations(f, "zone_total", &v);
    assert_int_equal(v.n, 1);
    assert_string_equal(v.v[0].action, "reject");
    assert_int_equal(v.v[0].run_id, run);
    fx_free(f);
}

/* A hierarchy, a growth and a range at ingest, and what a batch costs: only
 * the places it touches. */
static void test_touched_places(void **state)
{
    struct fx *f = fx_new("flag", "reject");
    struct import_summary sum;
    struct check_batch cb;
    struct store_obs o;
    struct vrows v;
    struct rrows r;
    int64_t run;

    (void)state;
    /* staff: parks 40 and 60, the zone 100 in 2023 */
    import_csv(f,
               "unit,indicator,period,value\n"
               "p1,staff,2023,40\np2,staff,2023,60\nzone,staff,2023,100\n",
               &sum, &run);
    assert_int_equal(sum.n_stored, 3);
    /* 2024: p1 130 (+225 % > 200 %: flagged), p2 -5 (below min 0: flagged),
     * the zone 66 while its parks sum to 125: a hierarchy "reject" */
    import_csv(f,
               "unit,indicator,period,value\n"
               "p1,staff,2024,130\np2,staff,2024,-5\nzone,staff,2024,66\n",
               &sum, &run);
    assert_int_equal(sum.n_stored, 2);
    assert_int_equal(sum.n_rejected, 1);
    rejects(f, run, &r);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.r[0].reason, "check parks: 66 != 130 + -5 (tolerance 0)");
    violations(f, "staff_growth", &v);
    assert_int_equal(v.n, 1);
    assert_string_equal(v.v[0].unit, "p1");
    assert_near(v.v[0].value, 130, 0);
    assert_near(v.v[0].expected, 40, 0);
    violations(f, "staff_range", &v);
    assert_int_equal(v.n, 1);
    assert_string_equal(v.v[0].unit, "p2");
    assert_near(v.v[0].value, -5, 0);

    /* one record touches: its growth in 2024 and in 2025, its range, its
     * zone's hierarchy; nothing of the other units or years */
    memset(&o, 0, sizeof(o)); /* every field, the status ones too */
    o.unit_id = store_unit_id(f->st, "p2", 2);
    o.indicator_id = store_indicator_id(f->st, "staff", 5);
    assert_int_equal(period_parse_str(&o.period, "2024"), 0);
    o.value = 55;
    assert_int_equal(check_batch_run(f->st, f->cfg, &o, 1, &cb), 0);
    /* complete places: the zone (no stored 2024 value: incomplete, so left
     * alone), p2's growth 2024 (55 against 60), p2's range; 2025 has no value */
    assert_int_equal(cb.nsite, 2);
    assert_int_equal(cb.nv, 0);
    assert_int_equal(cb.n_refused, 0);
    check_batch_free(&cb);
    fx_free(f);
}

/* A record the source says has no value is missing in the comparison: not
 * 0, not the value stored before it. */
static void test_missing_is_not_zero(void **state)
{
    struct fx *f = fx_new("reject", "flag");
    struct import_summary sum;
    struct check_batch cb;
    struct store_obs o[2];
    int64_t run;

    (void)state;
    import_csv(
        f, "unit,indicator,period,value\nzone,hitech_above,2024,11\nzone,hitech_below,2024,15\n",
        &sum, &run);
    assert_int_equal(sum.n_stored, 2);
    memset(o, 0, sizeof(o));
    for (int i = 0; i < 2; i++) {
        const char *ind = i ? "hitech_above" : "hitech_new";
        o[i].unit_id = store_unit_id(f->st, "zone", 4);
        o[i].indicator_id = store_indicator_id(f->st, ind, strlen(ind));
        assert_int_equal(period_parse_str(&o[i].period, "2024"), 0);
    }
    o[0].value = 25;
    o[1].missing = 1; /* value 0, to be ignored */
    assert_int_equal(check_batch_run(f->st, f->cfg, o, 2, &cb), 0);
    /* 25 against a missing part: no comparison, nothing refused (read as 0:
     * 25 != 0 + 15; read as the stored 11: 25 != 11 + 15) */
    assert_int_equal(cb.n_refused, 0);
    assert_int_equal(cb.nv, 0);
    assert_int_equal(cb.nsite, 0);
    check_batch_free(&cb);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pull_flag),
        cmocka_unit_test(test_pull_reject),
        cmocka_unit_test(test_import_flag_and_reject),
        cmocka_unit_test(test_touched_places),
        cmocka_unit_test(test_missing_is_not_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
