/*
 * test_compute_weights.c - derived weights wired into the index engine
 * (docs/INDICES.md, "Derived weights"): the weights each period gets, the
 * scores that use them, the weights stored per (index, period, node), weights
 * fixed from one period, and the flagged fallback when a method gives none.
 * Config: tests/data/compute/weights.json; normalise goalposts [0, 100] on
 * values within 0..100, so the normalised values are the raw ones.
 *
 * Data (units p1 p2 p3):
 *   2021-Q1  a = 10 20 30, b = 40 50 60, c = 0 50 100
 *   2021-Q2  a = 20 20 20, b = 10 20 30
 *   2021-Q3  a = 10 -  -,  b = 20 30 -   (one complete unit)
 *   2021-Q4  a = 1 2 3,    b = 52 50 48
 * CV weights (sample sd / mean): Q1 a 10/20 = 0.5, b 10/50 = 0.2, so
 * w = 5/7, 2/7; Q2 a is constant (0), b 10/20 = 0.5, so w = 0, 1; Q3 has one
 * complete unit: no weights (-EDOM), the configured 1:1 is used, flagged.
 * Q4: a 1 / 2, b 2 / 50, w = 25/27, 2/27: scores 129/27 150/27 171/27, p3
 * first, where 1:1 (26.5 26 25.5) would put p1 first.
 * AHP [[1, 3], [1/3, 1]]: w = 3/4, 1/4 (a consistent 2 x 2 matrix).
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
#include <sqlite3.h>

#include "compute/compute.h"
#include "config/config.h"
#include "store/bookkeeping.h"
#include "store/observations.h"
#include "store/results.h"
#include "store/store.h"
#include "test_support.h"

struct fx {
    struct config *cfg;
    struct store *st;
    sqlite3 *db;
    char dir[64], path[96];
};

static void put(struct fx *f, struct store_obs *o, size_t *n, const char *unit, const char *ind,
                const char *period, double v)
{
    if (isnan(v))
        return;
    o[*n].unit_id = store_unit_id(f->st, unit, strlen(unit));
    o[*n].indicator_id = store_indicator_id(f->st, ind, strlen(ind));
    assert_int_equal(period_parse_str(&o[*n].period, period), 0);
    o[*n].value = v;
    o[*n].status = NULL;
    o[*n].missing = 0;
    (*n)++;
}

static struct fx *computed(void)
{
    static const char *const units[3] = {"p1", "p2", "p3"};
    static const char *const per[4] = {"2021-Q1", "2021-Q2", "2021-Q3", "2021-Q4"};
    static const double a[4][3] = {{10, 20, 30}, {20, 20, 20}, {10, NAN, NAN}, {1, 2, 3}};
    static const double b[4][3] = {{40, 50, 60}, {10, 20, 30}, {20, 30, NAN}, {52, 50, 48}};
    static const double c[4][3] = {{0, 50, 100}, {0, 50, 100}, {0, 50, 100}, {0, 50, 100}};
    struct fx *f = calloc(1, sizeof(*f));
    struct store_obs obs[64];
    struct compute_summary sum;
    char rel[256], path[512], *errors = NULL;
    size_t n = 0;
    int64_t run;

    assert_non_null(f);
    ts_data_path(path, sizeof(path), ts_path(rel, sizeof(rel), "compute", "weights.json"));
    if (config_load(path, &f->cfg, &errors) < 0)
        fail_msg("%s", errors ? errors : path);
    ts_tmpdir(f->dir, sizeof(f->dir), "test_compute_weights");
    ts_path(f->path, sizeof(f->path), f->dir, "t.db");
    assert_int_equal(store_open(&f->st, f->path, 0, NULL, 0), 0);
    assert_int_equal(compute_sync_config(f->st, f->cfg), 0);
    for (int p = 0; p < 4; p++)
        for (int u = 0; u < 3; u++) {
            put(f, obs, &n, units[u], "a", per[p], a[p][u]);
            put(f, obs, &n, units[u], "b", per[p], b[p][u]);
            put(f, obs, &n, units[u], "c", per[p], c[p][u]);
        }
    assert_int_equal(store_run_begin(f->st, "test", NULL, 1, &run), 0);
    assert_int_equal(store_ingest(f->st, run, 2 + (int64_t)n, obs, n, NULL, 0, NULL), 0);
    assert_int_equal(compute_recompute(f->st, f->cfg, 1, NULL, &sum), 0);
    assert_int_equal(sum.indices, 3);
    assert_int_equal(sqlite3_open(f->path, &f->db), SQLITE_OK);
    return f;
}

static void fx_free(struct fx *f)
{
    sqlite3_close(f->db);
    store_close(&f->st);
    config_free(&f->cfg);
    ts_rmtree(f->dir);
    free(f);
}

/* The total score and flags of unit in period. */
static double total(struct fx *f, const char *index, const char *unit, const char *period,
                    unsigned *flags)
{
    sqlite3_stmt *s;
    double v = NAN;
    assert_int_equal(sqlite3_prepare_v2(f->db,
                                        "SELECT score, flags FROM result r JOIN unit u"
                                        " ON u.id = r.unit_id WHERE index_id = ?1 AND u.code = ?2"
                                        " AND period = ?3",
                                        -1, &s, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(s, 1, index, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, unit, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, period, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    v = sqlite3_column_double(s, 0);
    if (flags)
        *flags = (unsigned)sqlite3_column_int(s, 1);
    sqlite3_finalize(s);
    return v;
}

struct wrow {
    char node[16], child[16];
    double w;
    unsigned flags;
};

struct wrows {
    struct wrow r[8];
    size_t n;
};

static int on_weight(const struct store_index_weight_row *row, void *ctx)
{
    struct wrows *w = ctx;
    assert_true(w->n < 8);
    snprintf(w->r[w->n].node, 16, "%s", row->node);
    snprintf(w->r[w->n].child, 16, "%s", row->child);
    w->r[w->n].w = row->weight;
    w->r[w->n].flags = row->flags;
    w->n++;
    return 0;
}

static struct wrows weights(struct fx *f, const char *index, const char *period)
{
    struct wrows w = {0};
    assert_int_equal(store_index_weights(f->st, index, period, on_weight, &w), 0);
    return w;
}

static void expect_weights(struct fx *f, const char *index, const char *period, const char *node,
                           double wa, double wb, unsigned flags)
{
    struct wrows w = weights(f, index, period);
    assert_int_equal(w.n, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_string_equal(w.r[i].node, node);
        assert_string_equal(w.r[i].child, i == 0 ? "a" : "b");
        assert_float_equal(w.r[i].w, i == 0 ? wa : wb, 1e-12);
        assert_int_equal(w.r[i].flags, flags);
    }
}

/* "from": "each": the weights of every period from that period's values. */
static void test_cv_each_period(void **state)
{
    struct fx *f = computed();
    unsigned fl;

    (void)state;
    expect_weights(f, "cv", "2021-Q1", "cv", 5.0 / 7, 2.0 / 7, 0);
    assert_float_equal(total(f, "cv", "p1", "2021-Q1", &fl), 130.0 / 7, 1e-9);
    assert_float_equal(total(f, "cv", "p2", "2021-Q1", NULL), 200.0 / 7, 1e-9);
    assert_float_equal(total(f, "cv", "p3", "2021-Q1", NULL), 270.0 / 7, 1e-9);
    assert_int_equal(fl & COMPUTE_FLAG_WEIGHTS_FALLBACK, 0);
    /* a constant column weighs 0: the score is b's */
    expect_weights(f, "cv", "2021-Q2", "cv", 0, 1, 0);
    assert_float_equal(total(f, "cv", "p1", "2021-Q2", NULL), 10, 1e-9);
    assert_float_equal(total(f, "cv", "p3", "2021-Q2", NULL), 30, 1e-9);
    fx_free(f);
}

/* One complete unit: no CV weights; the configured 1:1, flagged. */
static void test_cv_fallback_flagged(void **state)
{
    struct fx *f = computed();
    unsigned fl1, fl2;

    (void)state;
    expect_weights(f, "cv", "2021-Q3", "cv", 0.5, 0.5, COMPUTE_FLAG_WEIGHTS_FALLBACK);
    assert_float_equal(total(f, "cv", "p1", "2021-Q3", &fl1), 15, 1e-9);
    assert_float_equal(total(f, "cv", "p2", "2021-Q3", &fl2), 30, 1e-9);
    assert_true(fl1 & COMPUTE_FLAG_WEIGHTS_FALLBACK);
    assert_true(fl2 & COMPUTE_FLAG_WEIGHTS_FALLBACK);
    fx_free(f);
}

/* "from": "2021-Q1": Q1's weights 5/7, 2/7 in every period, no fallback. */
static void test_fixed_from_period(void **state)
{
    struct fx *f = computed();
    unsigned fl;

    (void)state;
    for (const char *const *p = (const char *const[]){"2021-Q1", "2021-Q2", "2021-Q3", NULL}; *p;
         p++)
        expect_weights(f, "fix", *p, "fix", 5.0 / 7, 2.0 / 7, 0);
    assert_float_equal(total(f, "fix", "p1", "2021-Q2", NULL), 120.0 / 7, 1e-9);
    assert_float_equal(total(f, "fix", "p1", "2021-Q3", &fl), 90.0 / 7, 1e-9);
    assert_int_equal(fl & COMPUTE_FLAG_WEIGHTS_FALLBACK, 0);
    fx_free(f);
}

/* AHP on a dimension: d = 3/4 a + 1/4 b, the total the mean of d and c. */
static void test_ahp_dimension(void **state)
{
    struct fx *f = computed();

    (void)state;
    expect_weights(f, "ahp", "2021-Q1", "d", 0.75, 0.25, 0);
    assert_float_equal(total(f, "ahp", "p1", "2021-Q1", NULL), (17.5 + 0) / 2, 1e-6);
    assert_float_equal(total(f, "ahp", "p2", "2021-Q1", NULL), (27.5 + 50) / 2, 1e-6);
    expect_weights(f, "ahp", "2021-Q2", "d", 0.75, 0.25, 0);
    fx_free(f);
}

/* The sensitivity analysis varies the weights the period used: its nominal
 * ranks are the derived weights' (p3 first in 2021-Q4), not 1:1's. */
static void test_sensitivity_uses_derived_weights(void **state)
{
    struct fx *f = computed();
    struct compute *c = NULL;
    struct compute_sens out;
    struct sens_opts o = {.runs = 2, .seed = 1, .weight_spread = 0};
    char err[128];

    (void)state;
    expect_weights(f, "cv", "2021-Q4", "cv", 25.0 / 27, 2.0 / 27, 0);
    assert_float_equal(total(f, "cv", "p1", "2021-Q4", NULL), 129.0 / 27, 1e-9);
    assert_float_equal(total(f, "cv", "p3", "2021-Q4", NULL), 171.0 / 27, 1e-9);
    assert_int_equal(compute_open(&c, f->st, f->cfg, 0, NULL), 0);
    if (compute_sensitivity(c, "cv", "2021-Q4", &o, &out, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_int_equal(out.nu, 3);
    assert_float_equal(out.units[0].nominal, 3, 0);
    assert_float_equal(out.units[1].nominal, 2, 0);
    assert_float_equal(out.units[2].nominal, 1, 0);
    assert_float_equal(out.units[2].median, 1, 0);
    compute_sens_free(&out);
    compute_free(&c);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cv_each_period),
        cmocka_unit_test(test_cv_fallback_flagged),
        cmocka_unit_test(test_fixed_from_period),
        cmocka_unit_test(test_ahp_dimension),
        cmocka_unit_test(test_sensitivity_uses_derived_weights),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
