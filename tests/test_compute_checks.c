/*
 * test_compute_checks.c - consistency checks run by a recompute and stored
 * with their vintage (config tests/data/compute/checks.json): the zone
 * example (a zone reporting 25 over parks reporting 11 and 15), a sum of
 * parts, a falling year-to-date series, a rate above 100 % with its
 * numerator above its denominator, and a month-on-month jump; a corrected
 * value clears its violation at the next recompute.
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

#include "compute/compute.h"
#include "config/config.h"
#include "store/bookkeeping.h"
#include "store/checks.h"
#include "store/observations.h"
#include "store/store.h"
#include "test_support.h"

/* The vintage of the first ingest and of the correction, us. */
#define T1 1700000000000000LL
#define T2 1700000100000000LL

struct fx {
    struct config *cfg;
    struct store *st;
    char dir[64], path[96];
    struct store_obs obs[32];
    size_t n;
};

static struct fx *fx_new(void)
{
    struct fx *f = calloc(1, sizeof(*f));
    char rel[256], path[512], *errors = NULL;

    assert_non_null(f);
    ts_data_path(path, sizeof(path), ts_path(rel, sizeof(rel), "compute", "checks.json"));
    if (config_load(path, &f->cfg, &errors) < 0)
        fail_msg("%s", errors ? errors : path);
    ts_tmpdir(f->dir, sizeof(f->dir), "test_compute_checks");
    ts_path(f->path, sizeof(f->path), f->dir, "t.db");
    assert_int_equal(store_open(&f->st, f->path, 0, NULL, 0), 0);
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

static void put(struct fx *f, const char *unit, const char *ind, const char *period, double v)
{
    struct store_obs *o = &f->obs[f->n++];

    assert_true(f->n <= 32);
    o->unit_id = store_unit_id(f->st, unit, strlen(unit));
    o->indicator_id = store_indicator_id(f->st, ind, strlen(ind));
    assert_int_equal(period_parse_str(&o->period, period), 0);
    o->value = v;
    o->status = NULL;
    o->missing = 0;
}

static void ingest(struct fx *f, int64_t now)
{
    int64_t run;

    assert_int_equal(store_run_begin(f->st, "test", NULL, 1, &run), 0);
    assert_int_equal(store_ingest(f->st, run, now, f->obs, f->n, NULL, 0, NULL), 0);
    f->n = 0;
}

struct rows {
    struct store_violation v[16];
    char text[16][6][32];
    size_t n;
};

static int take(const struct store_violation *v, void *ctx)
{
    struct rows *r = ctx;
    const char *s[6] = {v->check, v->rule, v->unit, v->indicator, v->period, v->detail};

    assert_string_equal(v->action, "flag");

    if (r->n < 16) {
        r->v[r->n] = *v;
        for (int i = 0; i < 6; i++)
            snprintf(r->text[r->n][i], 32, "%s", s[i] ? s[i] : "");
        /* the row's texts live only during the call: point at the copies */
        r->v[r->n].check = r->text[r->n][0];
        r->v[r->n].rule = r->text[r->n][1];
        r->v[r->n].unit = r->text[r->n][2];
        r->v[r->n].indicator = r->text[r->n][3];
        r->v[r->n].period = r->text[r->n][4];
        r->v[r->n].detail = r->text[r->n][5];
        r->v[r->n].action = "flag";
    }
    r->n++;
    return 0;
}

/* The stored violation of check at unit, period and what (a prefix of the
 * detail), or fails. */
static const struct store_violation *find(const struct rows *r, const char *check, const char *unit,
                                          const char *period, const char *what)
{
    for (size_t i = 0; i < r->n && i < 16; i++)
        if (strcmp(r->text[i][0], check) == 0 && strcmp(r->text[i][2], unit) == 0 &&
            strcmp(r->text[i][4], period) == 0 && strncmp(r->text[i][5], what, strlen(what)) == 0)
            return &r->v[i];
    fail_msg("no violation of %s at %s %s (%s)", check, unit, period, what);
    return NULL;
}

/* The value of one period of a series. */
struct point_at {
    const char *period;
    double value;
    unsigned flags;
};

static int point_take(const struct compute_point *pt, void *ctx)
{
    struct point_at *at = ctx;

    if (strcmp(pt->period, at->period) == 0) {
        at->value = pt->value;
        at->flags = pt->flags;
    }
    return 0;
}

static void load(struct fx *f)
{
    /* the zone reports 25, its parks 11 and 15 (the zone example) */
    put(f, "zone", "revenue", "2024-01", 25);
    put(f, "p1", "revenue", "2024-01", 11);
    put(f, "p2", "revenue", "2024-01", 15);
    /* zone: 11 + 15 = 26 parts against a total of 25; p1: 6 + 5 = 11 */
    put(f, "zone", "rev_ind", "2024-01", 11);
    put(f, "zone", "rev_srv", "2024-01", 15);
    put(f, "p1", "rev_ind", "2024-01", 6);
    put(f, "p1", "rev_srv", "2024-01", 5);
    /* p2: industry 20 of a revenue of 15: share 133.33 %, numerator > denominator */
    put(f, "p2", "rev_ind", "2024-01", 20);
    /* p1: year-to-date 10 then 8 */
    put(f, "p1", "revenue_ytd", "2024-01", 10);
    put(f, "p1", "revenue_ytd", "2024-02", 8);
    /* p1: revenue 11 -> 20, +81.8 % month on month (the zone rolls up 20: -20 %) */
    put(f, "p1", "revenue", "2024-02", 20);
    ingest(f, T1);
}

static void query(struct fx *f, const struct store_violation_query *q, struct rows *r)
{
    memset(r, 0, sizeof(*r));
    assert_int_equal(store_checks_page(f->st, q, take, r), 0);
}

static void test_recompute_stores_violations(void **state)
{
    struct fx *f = fx_new();
    struct compute_summary sum;
    const struct store_violation *v;
    struct rows r;
    long n;

    (void)state;
    load(f);
    assert_int_equal(compute_recompute(f->st, f->cfg, 1, NULL, &sum), 0);
    query(f, &(struct store_violation_query){0}, &r);
    assert_int_equal(r.n, 6);

    v = find(&r, "zone_parts", "zone", "2024-01", "parent");
    assert_string_equal(v->rule, "hierarchy");
    assert_string_equal(v->indicator, "revenue");
    assert_near(v->value, 25, 0);
    assert_near(v->expected, 26, 0);
    assert_int_equal(v->valid_from, T1);

    v = find(&r, "revenue_sum", "zone", "2024-01", "total");
    assert_near(v->value, 25, 0);
    assert_near(v->expected, 26, 0);
    assert_int_equal(v->valid_from, T1);

    v = find(&r, "ytd", "p1", "2024-02", "year-to-date");
    assert_string_equal(v->indicator, "revenue_ytd");
    assert_near(v->value, 8, 0);
    assert_near(v->expected, 10, 0);

    /* p2's share is computed (20 / 15 * 100), so it has no vintage */
    v = find(&r, "share", "p2", "2024-01", "above max");
    assert_near(v->value, 2000.0 / 15, 1e-9);
    assert_near(v->expected, 100, 0);
    assert_int_equal(v->valid_from, -1);
    v = find(&r, "share", "p2", "2024-01", "numerator");
    assert_near(v->value, 20, 0);
    assert_near(v->expected, 15, 0);

    v = find(&r, "revenue_pop", "p1", "2024-02", "growth");
    assert_near(v->value, 20, 0);
    assert_near(v->expected, 11, 0);

    assert_int_equal(sum.violations[CONFIG_CHECK_HIERARCHY], 1);
    assert_int_equal(sum.violations[CONFIG_CHECK_SUM], 1);
    assert_int_equal(sum.violations[CONFIG_CHECK_MONOTONE_YTD], 1);
    assert_int_equal(sum.violations[CONFIG_CHECK_RATIO], 2);
    assert_int_equal(sum.violations[CONFIG_CHECK_GROWTH], 1);
    assert_int_equal(sum.violations[CONFIG_CHECK_RANGE], 0);

    /* filters and paging */
    query(f, &(struct store_violation_query){.unit = "p2"}, &r);
    assert_int_equal(r.n, 2);
    assert_int_equal(
        store_checks_count(f->st, &(struct store_violation_query){.rule = "ratio"}, &n), 0);
    assert_int_equal(n, 2);
    query(f, &(struct store_violation_query){.limit = 2}, &r);
    assert_int_equal(r.n, 2);
    query(f, &(struct store_violation_query){.after_id = r.v[1].id}, &r);
    assert_int_equal(r.n, 4);

    /* the zone corrects its total to 26: its two violations go at the next recompute */
    put(f, "zone", "revenue", "2024-01", 26);
    ingest(f, T2);
    assert_int_equal(compute_recompute(f->st, f->cfg, 0, NULL, &sum), 0);
    query(f, &(struct store_violation_query){.unit = "zone"}, &r);
    assert_int_equal(r.n, 0);
    query(f, &(struct store_violation_query){0}, &r);
    assert_int_equal(r.n, 4);
    fx_free(f);
}

/* The zone example under a hierarchy check with precedence prec: the value
 * of the zone the snapshot uses in 2024-01 into *zone (with its flags), and
 * the stored hierarchy violations into r. */
static void zone_with(const char *prec, double *zone, unsigned *flags, struct rows *r)
{
    static const char fmt[] =
        "{\"database\": \"t.db\","
        " \"units\": [{\"id\": \"zone\", \"name\": \"Zone\"},"
        "  {\"id\": \"p1\", \"name\": \"P1\", \"parent\": \"zone\"},"
        "  {\"id\": \"p2\", \"name\": \"P2\", \"parent\": \"zone\"},"
        "  {\"id\": \"city\", \"name\": \"City\"},"
        "  {\"id\": \"z2\", \"name\": \"Z2\", \"parent\": \"city\"},"
        "  {\"id\": \"q1\", \"name\": \"Q1\", \"parent\": \"z2\"}],"
        " \"indicators\": [{\"code\": \"firms\", \"name\": \"New high-tech firms\","
        "  \"frequency\": \"Y\", \"kind\": \"flow\"}],"
        " \"checks\": [{\"id\": \"zone_total\", \"rule\": \"hierarchy\", \"indicator\": \"firms\","
        "  \"units\": [\"zone\", \"z2\"], \"precedence\": \"%s\"}]}";
    char text[1024], dir[64], path[96], *errors = NULL;
    struct config *cfg = NULL;
    struct store *st = NULL;
    struct compute *c = NULL;
    struct store_obs obs[5];
    const char *key[5][2] = {
        {"zone", "2024"}, {"p1", "2024"}, {"p2", "2024"}, {"z2", "2024"}, {"q1", "2024"}};
    /* the zone example: 25 reported, 11 above and 15 below the size
     * threshold; z2 reports 7 over its one child's 4, under city */
    const double val[5] = {25, 11, 15, 7, 4};
    struct point_at at = {.period = "2024"};
    int64_t run;

    snprintf(text, sizeof(text), fmt, prec);
    if (config_load_buffer("t.json", NULL, text, strlen(text), &cfg, &errors) < 0)
        fail_msg("%s", errors ? errors : "config");
    ts_tmpdir(dir, sizeof(dir), "test_compute_checks_prec");
    ts_path(path, sizeof(path), dir, "t.db");
    assert_int_equal(store_open(&st, path, 0, NULL, 0), 0);
    assert_int_equal(compute_sync_config(st, cfg), 0);
    memset(obs, 0, sizeof(obs)); /* every field, those added later too */
    for (size_t i = 0; i < 5; i++) {
        obs[i].unit_id = store_unit_id(st, key[i][0], strlen(key[i][0]));
        obs[i].indicator_id = store_indicator_id(st, "firms", 5);
        assert_int_equal(period_parse_str(&obs[i].period, key[i][1]), 0);
        obs[i].value = val[i];
        obs[i].status = NULL;
        obs[i].missing = 0;
    }
    assert_int_equal(store_run_begin(st, "test", NULL, 1, &run), 0);
    assert_int_equal(store_ingest(st, run, T1, obs, 5, NULL, 0, NULL), 0);
    assert_int_equal(compute_recompute(st, cfg, 1, NULL, NULL), 0);
    assert_int_equal(compute_open(&c, st, cfg, 0, NULL), 0);
    assert_int_equal(
        compute_snapshot_series(c, "zone", "firms", "2024", "2024", COMPUTE_VALUE, point_take, &at),
        0);
    *zone = at.value;
    *flags = at.flags;
    /* the city rolls up its zone z2: its reported 7, or its children's 4 */
    at.value = NAN;
    assert_int_equal(
        compute_snapshot_series(c, "city", "firms", "2024", "2024", COMPUTE_VALUE, point_take, &at),
        0);
    assert_near(at.value, strcmp(prec, "rolled_up") == 0 ? 4 : 7, 0);
    compute_free(&c);
    memset(r, 0, sizeof(*r));
    assert_int_equal(
        store_checks_page(st, &(struct store_violation_query){.rule = "hierarchy"}, take, r), 0);
    store_close(&st);
    config_free(&cfg);
    ts_rmtree(dir);
}

/* "reported": the zone's own 25 is used; "rolled_up": the sum of its
 * children, 26. A violation (25 against 26) either way. */
static void test_precedence(void **state)
{
    struct rows r;
    double zone;
    unsigned flags;
    const struct store_violation *v;

    (void)state;
    zone_with("reported", &zone, &flags, &r);
    assert_near(zone, 25, 0);
    assert_false(flags & COMPUTE_FLAG_ROLLED_UP);
    assert_int_equal(r.n, 2);
    v = find(&r, "zone_total", "zone", "2024", "parent");
    assert_near(v->value, 25, 0);
    assert_near(v->expected, 26, 0);
    assert_int_equal(v->valid_from, T1);
    v = find(&r, "zone_total", "z2", "2024", "parent");
    assert_near(v->value, 7, 0);
    assert_near(v->expected, 4, 0);

    zone_with("rolled_up", &zone, &flags, &r);
    assert_near(zone, 26, 0);
    assert_true(flags & COMPUTE_FLAG_ROLLED_UP);
    assert_int_equal(r.n, 2);
    v = find(&r, "zone_total", "zone", "2024", "parent");
    assert_near(v->value, 25, 0);
    assert_near(v->expected, 26, 0);
    assert_int_equal(v->valid_from, T1);
    v = find(&r, "zone_total", "z2", "2024", "parent");
    assert_near(v->value, 7, 0);
    assert_near(v->expected, 4, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recompute_stores_violations),
        cmocka_unit_test(test_precedence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
