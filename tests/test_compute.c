/*
 * test_compute.c - the aggregation engine through the store: period values
 * from year-to-date series, roll-ups with coverage, rates as ratios of sums,
 * growth, SQLite-evaluated derived indicators (budget execution 89.98), and
 * every normalisation, aggregation and missing-data policy of an index, with
 * ranks, rank changes and contributions, all hand-computed.
 * Configs: tests/data/compute/{series,methods}.json.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "aggregate/growth.h"
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
    sqlite3 *db; /* a second connection for checks */
    char dir[64], path[96];
    struct store_obs obs[256];
    size_t n;
};

/* Little-endian double at b. */
static double le_double(const unsigned char *b)
{
    uint64_t u = 0;
    double v;
    for (int k = 7; k >= 0; k--)
        u = u << 8 | b[k];
    memcpy(&v, &u, sizeof(v));
    return v;
}

/* Field i of a packed nodes blob (docs/INDICES.md): per node a tag byte
 * with two bits per field (0 none, 1 zigzag LEB128 integer, 2 eight-byte
 * double, 3 zero), then the fields' bytes. NaN when absent. */
static double packed_field(const unsigned char *b, long long len, long long i)
{
    long long o = 0, k = 0;
    while (o < len) {
        unsigned tag = b[o++];
        for (int f = 0; f < 4; f++, k++) {
            unsigned c = tag >> (2 * f) & 3;
            double v = c == 3 ? 0.0 : NAN;
            if (c == 2) {
                v = le_double(b + o);
                o += 8;
            } else if (c == 1) {
                uint64_t z = 0;
                for (int sh = 0;; sh += 7) {
                    unsigned char byte = b[o++];
                    z |= (uint64_t)(byte & 0x7f) << sh;
                    if (!(byte & 0x80))
                        break;
                }
                v = (z & 1) ? -(double)(z >> 1) - 1 : (double)(z >> 1);
            }
            if (k == i)
                return v;
        }
    }
    return NAN;
}

/* blob_double(blob, i) on the check connection: the i-th little-endian
 * double of a result blob (a length that is a multiple of 8), or field i of
 * packed nodes; NULL for NaN or out of range (the stored format,
 * docs/INDICES.md), decoded here independently of the store. */
static void blob_double(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    const unsigned char *b = sqlite3_value_blob(argv[0]);
    long long i = sqlite3_value_int64(argv[1]), len = sqlite3_value_bytes(argv[0]);
    double v = NAN;
    (void)argc;
    if (b && i >= 0 && len % 8 == 0 && i < len / 8)
        v = le_double(b + 8 * i);
    else if (b && i >= 0 && len % 8 != 0)
        v = packed_field(b, len, i);
    if (isnan(v))
        sqlite3_result_null(cx);
    else
        sqlite3_result_double(cx, v);
}

/* The stored rows as one row per node and one per contribution, as the
 * checks below read them. */
static const char check_views[] =
    "CREATE TEMP VIEW node_result AS"
    " SELECT index_id, index_id AS node, unit_id, period, score, rank, rank_change, flags"
    " FROM result UNION ALL"
    " SELECT r.index_id, l.id, r.unit_id, r.period, blob_double(r.nodes, 4 * l.pos),"
    " blob_double(r.nodes, 4 * l.pos + 1), blob_double(r.nodes, 4 * l.pos + 2),"
    " blob_double(r.nodes, 4 * l.pos + 3) FROM result r JOIN index_layout l"
    " ON l.index_id = r.index_id AND l.kind = 'node' WHERE r.nodes IS NOT NULL;"
    "CREATE TEMP VIEW contribution AS"
    " SELECT r.index_id, r.unit_id, r.period, l.id AS indicator,"
    " blob_double(r.contribs, l.pos) AS contribution FROM result r JOIN index_layout l"
    " ON l.index_id = r.index_id AND l.kind = 'leaf' WHERE r.contribs IS NOT NULL;";

static struct fx *fx_new(const char *config)
{
    struct fx *f = calloc(1, sizeof(*f));
    char rel[256], path[512], *errors = NULL;
    assert_non_null(f);
    ts_data_path(path, sizeof(path), ts_path(rel, sizeof(rel), "compute", config));
    if (config_load(path, &f->cfg, &errors) < 0)
        fail_msg("%s", errors ? errors : path);
    ts_tmpdir(f->dir, sizeof(f->dir), "test_compute");
    ts_path(f->path, sizeof(f->path), f->dir, "t.db");
    assert_int_equal(store_open(&f->st, f->path, 0, NULL, 0), 0);
    assert_int_equal(compute_sync_config(f->st, f->cfg), 0);
    assert_int_equal(sqlite3_open(f->path, &f->db), SQLITE_OK);
    assert_int_equal(sqlite3_create_function(f->db, "blob_double", 2, SQLITE_UTF8, NULL,
                                             blob_double, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_exec(f->db, check_views, NULL, NULL, NULL), SQLITE_OK);
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

static void put(struct fx *f, const char *unit, const char *ind, const char *period, double v)
{
    struct store_obs *o = &f->obs[f->n++];
    assert_true(f->n <= 256);
    o->unit_id = store_unit_id(f->st, unit, strlen(unit));
    o->indicator_id = store_indicator_id(f->st, ind, strlen(ind));
    assert_int_equal(period_parse_str(&o->period, period), 0);
    o->value = v;
}

static void ingest(struct fx *f)
{
    int64_t run;
    assert_int_equal(store_run_begin(f->st, "test", NULL, 1, &run), 0);
    assert_int_equal(store_ingest(f->st, run, 2 + (int64_t)f->n, f->obs, f->n, NULL, 0, NULL), 0);
    f->n = 0;
}

/* One result row: score, rank, rank change, flags (NAN for NULL). */
struct res {
    double score, rank, change;
    unsigned flags;
    int found;
};

static struct res result(struct fx *f, const char *index, const char *node, const char *unit,
                         const char *period)
{
    struct res r = {NAN, NAN, NAN, 0, 0};
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(f->db,
                                        "SELECT score, rank, rank_change, flags FROM node_result r"
                                        " JOIN unit u ON u.id = r.unit_id WHERE index_id = ?1"
                                        " AND node = ?2 AND u.code = ?3 AND period = ?4",
                                        -1, &s, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(s, 1, index, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, node, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, unit, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, period, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW) {
        r.found = 1;
        for (int i = 0; i < 3; i++) {
            double v = sqlite3_column_type(s, i) == SQLITE_NULL ? NAN : sqlite3_column_double(s, i);
            *(i == 0 ? &r.score : i == 1 ? &r.rank : &r.change) = v;
        }
        r.flags = (unsigned)sqlite3_column_int(s, 3);
    }
    sqlite3_finalize(s);
    return r;
}

static double contribution(struct fx *f, const char *index, const char *unit, const char *period,
                           const char *ind)
{
    sqlite3_stmt *s;
    double v = NAN;
    assert_int_equal(sqlite3_prepare_v2(f->db,
                                        "SELECT contribution FROM contribution c JOIN unit u"
                                        " ON u.id = c.unit_id WHERE index_id = ?1 AND u.code = ?2"
                                        " AND period = ?3 AND indicator = ?4",
                                        -1, &s, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(s, 1, index, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, unit, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, period, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, ind, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
        v = sqlite3_column_double(s, 0);
    sqlite3_finalize(s);
    return v;
}

static long count(struct fx *f, const char *sql)
{
    sqlite3_stmt *s;
    long n = -1;
    assert_int_equal(sqlite3_prepare_v2(f->db, sql, -1, &s, NULL), SQLITE_OK);
    if (sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
}

/* ---- series ---- */

struct pts {
    char period[16][PERIOD_TEXT_SIZE];
    double v[16], cov[16];
    unsigned fl[16];
    int n;
};

static int collect(const struct compute_point *pt, void *ctx)
{
    struct pts *p = ctx;
    if (p->n < 16) {
        snprintf(p->period[p->n], PERIOD_TEXT_SIZE, "%s", pt->period);
        p->v[p->n] = pt->value;
        p->cov[p->n] = pt->coverage;
        p->fl[p->n] = pt->flags;
        p->n++;
    }
    return 0;
}

static struct pts series(struct compute *c, const char *unit, const char *ind, const char *from,
                         const char *to, enum compute_transform tr)
{
    struct pts p = {.n = 0};
    assert_int_equal(compute_snapshot_series(c, unit, ind, from, to, tr, collect, &p), 0);
    return p;
}

static void load_series_data(struct fx *f)
{
    /* p1: January missing (published with February), May missing */
    static const double p1[12] = {NAN, 30, 50, 70, NAN, 120, 140, 160, 180, 200, 220, 260};
    char per[16];
    for (int m = 1; m <= 12; m++) {
        snprintf(per, sizeof(per), "2023-%02d", m);
        if (!isnan(p1[m - 1]))
            put(f, "p1", "revenue", per, p1[m - 1]);
        put(f, "p2", "revenue", per, 10.0 * m);
        snprintf(per, sizeof(per), "2022-%02d", m);
        put(f, "p2", "revenue", per, 5.0 * m);
    }
    ingest(f);
    for (int q = 1; q <= 4; q++) {
        snprintf(per, sizeof(per), "2023-Q%d", q);
        put(f, "p1", "staff", per, 100);
        put(f, "p2", "staff", per, 200 + q);
        put(f, "p3", "staff", per, 300);
    }
    put(f, "p1", "staff", "2022-Q1", 80);
    put(f, "p1", "rd", "2023-Q1", 10);
    put(f, "p1", "rdq", "2023-Q1", 100);
    put(f, "p2", "rd", "2023-Q1", 30);
    put(f, "p2", "rdq", "2023-Q1", 200);
    put(f, "p1", "rd", "2022-Q1", 0);
    put(f, "p1", "rd", "2021-Q1", 5);
    put(f, "p1", "rdq", "2021-Q1", 0);
    put(f, "p1", "budget_original", "2023", 159.36);
    put(f, "p1", "budget_adjusted", "2023", 187.95);
    put(f, "p1", "spent", "2023", 169.11);
    put(f, "p1", "committed", "2023", 8.82);
    put(f, "p1", "output", "2020", 100);
    put(f, "p1", "output", "2023", 133.1);
    /* innovation-point enterprises (issue's example) and a second series */
    put(f, "p1", "ip_firms", "2022", 5147);
    put(f, "p1", "ip_firms", "2023", 5977);
    put(f, "p2", "ip_firms", "2022", 100);
    put(f, "p2", "ip_firms", "2023", 110);
    put(f, "p2", "output", "2022", 50);
    put(f, "p2", "output", "2023", 60);
    ingest(f);
}

static void test_compute_ytd_two_months_and_exact_quarters(void **state)
{
    (void)state;
    struct fx *f = fx_new("series.json");
    struct compute *c = NULL;
    load_series_data(f);
    assert_int_equal(compute_open(&c, f->st, f->cfg, 0, NULL), 0);
    struct pts m = series(c, "p1", "revenue", "2023-01", "2023-07", COMPUTE_VALUE);
    assert_int_equal(m.n, 7);
    assert_true(isnan(m.v[0]) && (m.fl[0] & COMPUTE_FLAG_MISSING));
    assert_near(m.v[1], 30, 1e-12); /* February covers January and February */
    assert_true(m.fl[1] & COMPUTE_FLAG_TWO_MONTHS);
    assert_near(m.v[2], 20, 1e-12);
    assert_near(m.v[3], 20, 1e-12);
    assert_true(isnan(m.v[4]) && isnan(m.v[5])); /* May missing: May and June missing */
    assert_near(m.v[6], 20, 1e-12);
    struct pts q = series(c, "p1", "revenue", "2023-Q1", "2023-Q4", COMPUTE_VALUE);
    assert_int_equal(q.n, 4);
    assert_string_equal(q.period[0], "2023-Q1");
    assert_near(q.v[0], 50, 1e-12); /* cum(Mar) */
    assert_near(q.v[1], 70, 1e-12); /* cum(Jun) - cum(Mar), exact though May is missing */
    assert_near(q.v[2], 60, 1e-12);
    assert_near(q.v[3], 80, 1e-12);
    struct pts y = series(c, "p1", "revenue", "2023", "2023", COMPUTE_VALUE);
    assert_near(y.v[0], 260, 1e-12);
    compute_free(&c);
    fx_free(f);
}

static void test_compute_rollup_coverage_stock_and_rate_of_sums(void **state)
{
    (void)state;
    struct fx *f = fx_new("series.json");
    struct compute *c = NULL;
    load_series_data(f);
    assert_int_equal(compute_open(&c, f->st, f->cfg, 0, NULL), 0);
    /* city Q1 revenue = 50 (p1) + 30 (p2), p3 never reports: coverage 2/3 */
    struct pts q = series(c, "city", "revenue", "2023-Q1", "2023-Q1", COMPUTE_VALUE);
    assert_near(q.v[0], 80, 1e-12);
    assert_near(q.cov[0], 2.0 / 3.0, 1e-12);
    assert_true(q.fl[0] & COMPUTE_FLAG_INCOMPLETE);
    assert_true(q.fl[0] & COMPUTE_FLAG_ROLLED_UP);
    /* stocks sum over units; a year takes the period-end (Q4) value */
    struct pts s = series(c, "city", "staff", "2023-Q2", "2023-Q2", COMPUTE_VALUE);
    assert_near(s.v[0], 602, 1e-12);
    assert_near(s.cov[0], 1, 1e-12);
    assert_false(s.fl[0] & COMPUTE_FLAG_INCOMPLETE);
    s = series(c, "city", "staff", "2023", "2023", COMPUTE_VALUE);
    assert_near(s.v[0], 604, 1e-12);
    /* rate = sum(rd) / sum(rdq) x 100 = 40 / 300 x 100, not the mean of 10 % and 15 % */
    struct pts r = series(c, "city", "rd_int", "2023-Q1", "2023-Q1", COMPUTE_VALUE);
    assert_near(r.v[0], 40.0 / 300.0 * 100.0, 1e-12);
    assert_near(r.cov[0], 2.0 / 3.0, 1e-12); /* p3 reports neither */
    assert_true(r.fl[0] & COMPUTE_FLAG_INCOMPLETE);
    r = series(c, "p1", "rd_int", "2023-Q1", "2023-Q1", COMPUTE_VALUE);
    assert_near(r.v[0], 10, 1e-12);
    /* a zero summed denominator is no rate (5 / 0), for p1 and for the city */
    r = series(c, "p1", "rd_int", "2021-Q1", "2021-Q1", COMPUTE_VALUE);
    assert_true(isnan(r.v[0]));
    r = series(c, "city", "rd_int", "2021-Q1", "2021-Q1", COMPUTE_VALUE);
    assert_true(isnan(r.v[0]));
    compute_free(&c);
    fx_free(f);
}

static void test_compute_growth_yoy_pop_ytd_annualised(void **state)
{
    (void)state;
    struct fx *f = fx_new("series.json");
    struct compute *c = NULL;
    load_series_data(f);
    assert_int_equal(compute_open(&c, f->st, f->cfg, 0, NULL), 0);
    struct pts g = series(c, "p1", "staff", "2023-Q1", "2023-Q2", COMPUTE_YOY);
    assert_near(g.v[0], 25, 1e-12); /* 100 on 80 */
    assert_true(isnan(g.v[1]));     /* no 2022-Q2 */
    g = series(c, "p2", "staff", "2023-Q2", "2023-Q2", COMPUTE_POP);
    assert_near(g.v[0], (202.0 - 201.0) / 201.0 * 100.0, 1e-12);
    g = series(c, "p1", "rd", "2023-Q1", "2023-Q1", COMPUTE_YOY);
    assert_true(isnan(g.v[0])); /* zero base */
    /* year-to-date 2023-03: 30 on 15 */
    g = series(c, "p2", "revenue", "2023-03", "2023-03", COMPUTE_YTD_YOY);
    assert_near(g.v[0], 100, 1e-12);
    g = series(c, "p2", "revenue", "2023-03", "2023-03", COMPUTE_YOY);
    assert_near(g.v[0], 100, 1e-12); /* 10 on 5 */
    /* annualised over the series /series serves: (133.1 / 100)^(1/3) - 1 = 10 % */
    g = series(c, "p1", "output", "2020", "2023", COMPUTE_VALUE);
    assert_int_equal(g.n, 4);
    assert_near(growth_annualised(g.v[0], g.v[3], 3), 10, 1e-9);
    g = series(c, "p2", "output", "2020", "2023", COMPUTE_VALUE);
    assert_int_equal(g.n, 4);
    assert_true(isnan(growth_annualised(g.v[0], g.v[3], 3)));
    /* the call the API's /series makes, and its errors */
    struct pts one = {.n = 0};
    assert_int_equal(
        compute_snapshot_series(c, "p1", "staff", "2023-Q1", "2023-Q1", COMPUTE_YOY, collect, &one),
        0);
    assert_int_equal(one.n, 1);
    assert_near(one.v[0], 25, 1e-12);
    assert_int_equal(
        compute_snapshot_series(c, "nope", "staff", NULL, NULL, COMPUTE_VALUE, collect, &one),
        -ENOENT);
    assert_int_equal(
        compute_snapshot_series(c, "p1", "nope", NULL, NULL, COMPUTE_VALUE, collect, &one),
        -ENOENT);
    assert_int_equal(
        compute_snapshot_series(c, "p1", "staff", "2023-Q1", "2023", COMPUTE_VALUE, collect, &one),
        -EINVAL);
    compute_free(&c);
    fx_free(f);
}

static void test_compute_derived_budget_execution_8998(void **state)
{
    (void)state;
    struct fx *f = fx_new("series.json");
    struct compute *c = NULL;
    load_series_data(f);
    assert_int_equal(compute_open(&c, f->st, f->cfg, 0, NULL), 0);
    static const struct {
        const char *code;
        double want;
    } rows[] = {
        {"execution_rate", 89.98},  /* 169.11 / 187.95 x 100 = 89.976... */
        {"adjustment_rate", 17.94}, /* (187.95 - 159.36) / 159.36 x 100 = 17.940... */
        {"carry_over", 10.02},      /* 187.95 - 169.11 - 8.82 */
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct pts p = series(c, "p1", rows[i].code, "2023", "2023", COMPUTE_VALUE);
        assert_int_equal(p.n, 1);
        assert_true(p.v[0] == rows[i].want); /* rounded to the indicator's 2 decimals */
        /* after roll-up: the city has only p1's figures, flagged incomplete */
        p = series(c, "city", rows[i].code, "2023", "2023", COMPUTE_VALUE);
        assert_true(p.v[0] == rows[i].want);
        assert_true(p.fl[0] & COMPUTE_FLAG_INCOMPLETE);
    }
    struct pts p = series(c, "p2", "execution_rate", "2023", "2023", COMPUTE_VALUE);
    assert_true(isnan(p.v[0]));
    compute_free(&c);
    fx_free(f);
}

/* Time functions in formulas (formula.h), evaluated on each unit's series and
 * stored and served like any indicator. */
static void test_compute_time_functions_in_formulas(void **state)
{
    (void)state;
    struct fx *f = fx_new("series.json");
    struct compute *c = NULL;
    struct pts p;
    load_series_data(f);
    assert_int_equal(compute_open(&c, f->st, f->cfg, 0, NULL), 0);
    /* innovation-point enterprises 5,147 (2022) -> 5,977 (2023): 830 / 5147 =
     * 16.1259 %, 16.13 at the indicator's 2 decimals */
    p = series(c, "p1", "ip_firms_yoy", "2022", "2023", COMPUTE_VALUE);
    assert_int_equal(p.n, 2);
    assert_true(isnan(p.v[0])); /* no 2021 */
    assert_true(p.v[1] == 16.13);
    p = series(c, "p1", "ip_firms_prev", "2023", "2023", COMPUTE_VALUE);
    assert_true(p.v[0] == 5147);
    /* two codes in one formula, each with its own series: p2 10 % - 20 % */
    p = series(c, "p2", "gap", "2023", "2023", COMPUTE_VALUE);
    assert_true(p.v[0] == -10);
    /* p2 revenue is published year to date: 5 m in 2022, 10 m in 2023 (m = month),
     * so its month values are 5 and 10, and ytd() gives the published figures back */
    p = series(c, "p2", "revenue_ytd", "2023-01", "2023-03", COMPUTE_VALUE);
    assert_int_equal(p.n, 3);
    assert_true(p.v[0] == 10 && p.v[1] == 20 && p.v[2] == 30);
    p = series(c, "p2", "revenue_ytd", "2022-12", "2022-12", COMPUTE_VALUE);
    assert_true(p.v[0] == 60);
    /* 30 against 15 a year before: 100 %, as the engine's own /series transform */
    p = series(c, "p2", "revenue_ytd_yoy", "2023-03", "2023-03", COMPUTE_VALUE);
    struct pts g = series(c, "p2", "revenue", "2023-03", "2023-03", COMPUTE_YTD_YOY);
    assert_true(p.v[0] == 100 && g.v[0] == 100);
    p = series(c, "p2", "revenue_yoy", "2023-06", "2023-06", COMPUTE_VALUE);
    assert_true(p.v[0] == 100); /* 10 on 5 */
    p = series(c, "p2", "revenue_pop", "2023-01", "2023-02", COMPUTE_VALUE);
    assert_true(p.v[0] == 100 && p.v[1] == 0); /* Jan 10 on Dec 5, Feb 10 on 10 */
    p = series(c, "p2", "revenue_ma3", "2023-01", "2023-03", COMPUTE_VALUE);
    assert_true(p.v[0] == 6.67 && p.v[2] == 10); /* (5 + 5 + 10) / 3 for Nov, Dec, Jan */
    /* p1: January missing (published with February): its month values leave
     * January missing, so ytd() is missing all year, never a partial sum */
    p = series(c, "p1", "revenue_ytd", "2023-01", "2023-12", COMPUTE_VALUE);
    for (int i = 0; i < p.n; i++)
        assert_true(isnan(p.v[i]));
    compute_free(&c);
    fx_free(f);
}

/* ---- indices (methods.json) ---- */

static void load_method_data(struct fx *f)
{
    static const char *const units[3] = {"p1", "p2", "p3"};
    static const char *const per[5] = {"2021-Q1", "2021-Q2", "2021-Q3", "2021-Q4", "2022-Q1"};
    static const double a[5][3] = {
        {10, 20, 30}, {30, 20, 10}, {20, 20, 20}, {40, NAN, 20}, {50, 60, NAN}};
    static const double b[5][3] = {{5, 1, 3}, {1, 5, 3}, {2, 4, 4}, {2, 4, 4}, {1, 2, NAN}};
    static const double cc[5][3] = {
        {50, 100, 200}, {10, 20, 40}, {1, 1, 1}, {1, 1, 1}, {1, 2, NAN}};
    for (int p = 0; p < 5; p++)
        for (int u = 0; u < 3; u++) {
            if (!isnan(a[p][u]))
                put(f, units[u], "a", per[p], a[p][u]);
            if (!isnan(b[p][u]))
                put(f, units[u], "b", per[p], b[p][u]);
            if (!isnan(cc[p][u]))
                put(f, units[u], "c", per[p], cc[p][u]);
        }
    ingest(f);
}

static struct fx *methods_computed(void)
{
    struct fx *f = fx_new("methods.json");
    struct compute_summary sum;
    load_method_data(f);
    assert_int_equal(compute_recompute(f->st, f->cfg, 1, NULL, &sum), 0);
    assert_int_equal(sum.indices, 14);
    assert_int_equal(sum.units, 3);
    return f;
}

struct expect {
    const char *index, *node, *unit, *period;
    double score, rank, change;
    unsigned flags; /* bits that must be set */
};

/* Hand-computed: minmax a (d1, weight 1/4) and b (direction -1, d2, weight 3/4). */
static const struct expect minmax_rows[] = {
    {"mm", "mm", "p1", "2021-Q1", 0, 3, NAN, 0},
    {"mm", "mm", "p2", "2021-Q1", 87.5, 1, NAN, 0},
    {"mm", "mm", "p3", "2021-Q1", 62.5, 2, NAN, 0},
    {"mm", "d1", "p3", "2021-Q1", 100, 1, NAN, 0},
    {"mm", "d2", "p2", "2021-Q1", 100, 1, NAN, 0},
    {"mm", "mm", "p1", "2021-Q2", 100, 1, 2, 0},
    {"mm", "mm", "p2", "2021-Q2", 12.5, 3, -2, 0},
    {"mm", "mm", "p3", "2021-Q2", 37.5, 2, 0, 0},
    /* a all equal: min-max 50 (flagged); ties share rank 2 */
    {"mm", "mm", "p1", "2021-Q3", 87.5, 1, 0, COMPUTE_FLAG_DEGENERATE},
    {"mm", "mm", "p2", "2021-Q3", 12.5, 2, 1, COMPUTE_FLAG_DEGENERATE},
    {"mm", "mm", "p3", "2021-Q3", 12.5, 2, 0, COMPUTE_FLAG_DEGENERATE},
    /* p2 lacks a: reweighted to d2 alone */
    {"mm", "mm", "p2", "2021-Q4", 0, 2, 0, COMPUTE_FLAG_REWEIGHTED},
    {"mm", "mm", "p1", "2021-Q4", 100, 1, 0, 0},
    {"excl", "excl", "p2", "2021-Q4", NAN, NAN, NAN, COMPUTE_FLAG_EXCLUDED},
    {"carry", "carry", "p2", "2021-Q4", 12.5, 2, 0, COMPUTE_FLAG_CARRIED},
    /* geometric: a 0 makes the mean undefined; 50^(1/4) 100^(3/4) = 84.0896 */
    {"geo", "geo", "p1", "2021-Q1", NAN, NAN, NAN, COMPUTE_FLAG_MISSING},
    {"geo", "geo", "p2", "2021-Q1", 84.08964152537145, 1, NAN, 0},
    {"zs", "zs", "p1", "2021-Q1", -1, 3, NAN, 0},
    {"zs", "zs", "p3", "2021-Q1", 1, 1, NAN, 0},
    {"rk", "rk", "p2", "2021-Q1", 50, 2, NAN, 0},
    {"rk", "rk", "p1", "2021-Q3", 50, 1, NAN, 0},
    /* efficacy: a with x_s 0, x_h 100 -> 64; c observed 50..200 -> 60; mean 62 */
    {"eff", "eff", "p1", "2021-Q1", 62, 3, NAN, 0},
    {"eff", "eff", "p2", "2021-Q1", (68 + 60 + 40.0 * 50 / 150) / 2, 2, NAN, 0},
    {"eff", "eff", "p3", "2021-Q1", 86, 1, NAN, 0},
    {"goal", "goal", "p3", "2021-Q1", 15, 1, NAN, 0},
    {"band", "band", "p1", "2021-Q1", 5, 3, NAN, 0},
    {"band", "band", "p2", "2021-Q1", 10, 1, NAN, 0},
    /* fixed base 2021 = mean of 2021-Q1..Q4 (10, 30, 20, 40 -> 25) */
    {"fb", "fb", "p1", "2021-Q1", 40, 3, NAN, 0},  /* p3: 30 / 20 -> 150 */
    {"fb", "fb", "p1", "2022-Q1", 200, 2, NAN, 0}, /* p2: 60 / 20 -> 300 */
    {"fb", "fb", "p2", "2021-Q1", 100, 2, NAN, 0},
    /* fixed base 2021-Q2: a 10/30, b (direction -1) 1/5 -> (33.33 + 20) / 2 */
    {"fbq", "fbq", "p1", "2021-Q1", (100.0 / 3 + 20) / 2, NAN, NAN, 0},
    {"ch", "ch", "p1", "2021-Q4", 400, 1, NAN, 0},
    {"ch", "ch", "p2", "2021-Q4", NAN, NAN, NAN, COMPUTE_FLAG_MISSING},
    /* group mean by "grp": p2's missing a becomes p1's 40 (p3 is alone in y) */
    {"imp", "imp", "p2", "2021-Q4", 75, 1, NAN, COMPUTE_FLAG_IMPUTED},
    {"imp", "imp", "p3", "2022-Q1", NAN, NAN, NAN, COMPUTE_FLAG_EXCLUDED},
    /* denominated a / c: .2 .2 .15 */
    {"den", "den", "p1", "2021-Q1", 100, 1, NAN, 0},
    {"den", "den", "p3", "2021-Q1", 0, 3, NAN, 0},
};

static void check_rows(struct fx *f, const struct expect *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct expect *e = &rows[i];
        struct res r = result(f, e->index, e->node, e->unit, e->period);
        if (!r.found)
            fail_msg("row %zu (%s %s %s %s) missing", i, e->index, e->node, e->unit, e->period);
        if (isnan(e->score) != isnan(r.score) ||
            (!isnan(e->score) && fabs(e->score - r.score) > 1e-9))
            fail_msg("row %zu (%s %s %s): score %.15g, want %.15g", i, e->index, e->unit, e->period,
                     r.score, e->score);
        if (!isnan(e->rank) && r.rank != e->rank)
            fail_msg("row %zu (%s %s %s): rank %g, want %g", i, e->index, e->unit, e->period,
                     r.rank, e->rank);
        if (!isnan(e->change) && r.change != e->change)
            fail_msg("row %zu: rank change %g, want %g", i, r.change, e->change);
        if ((r.flags & e->flags) != e->flags)
            fail_msg("row %zu (%s %s %s): flags %u lack %u", i, e->index, e->unit, e->period,
                     r.flags, e->flags);
    }
}

static void test_compute_index_methods_hand_computed(void **state)
{
    (void)state;
    struct fx *f = methods_computed();
    check_rows(f, minmax_rows, sizeof(minmax_rows) / sizeof(minmax_rows[0]));
    fx_free(f);
}

static void test_compute_contributions_sum_to_score_change(void **state)
{
    (void)state;
    struct fx *f = methods_computed();
    /* p1 2021-Q1 -> Q2: 0 -> 100 = a 0.25 x 100 + b 0.75 x 100 */
    assert_near(contribution(f, "mm", "p1", "2021-Q2", "a"), 25, 1e-9);
    assert_near(contribution(f, "mm", "p1", "2021-Q2", "b"), 75, 1e-9);
    assert_near(contribution(f, "mm", "p2", "2021-Q2", "b"), -75, 1e-9);
    /* every unit, period and index with both scores: the sum is the change */
    long bad = count(f, "SELECT count(*) FROM (SELECT r1.index_id, r1.unit_id, r1.period,"
                        " r1.score - r0.score AS d, (SELECT sum(contribution) FROM contribution c"
                        "  WHERE c.index_id = r1.index_id AND c.unit_id = r1.unit_id"
                        "  AND c.period = r1.period) AS s"
                        " FROM node_result r1 JOIN node_result r0 ON r0.index_id = r1.index_id"
                        " AND r0.node = r1.node AND r0.unit_id = r1.unit_id"
                        " AND r0.period = (SELECT max(period) FROM result x WHERE"
                        "  x.index_id = r1.index_id AND x.period < r1.period)"
                        " WHERE r1.node = r1.index_id AND r1.score IS NOT NULL"
                        " AND r0.score IS NOT NULL) WHERE s IS NULL OR abs(s - d) > 1e-9");
    long checked = count(f, "SELECT count(DISTINCT index_id || unit_id || period)"
                            " FROM contribution WHERE contribution IS NOT NULL");
    assert_int_equal(bad, 0);
    assert_true(checked > 20);
    fx_free(f);
}

static void test_compute_invariants_base_100_minmax_range_ranks(void **state)
{
    (void)state;
    struct fx *f = methods_computed();
    /* base period 2021-Q2 is 100 for every unit */
    assert_int_equal(count(f, "SELECT count(*) FROM node_result WHERE index_id = 'fbq'"
                              " AND period = '2021-Q2' AND abs(score - 100) < 1e-9"),
                     6);
    /* min-max scores within 0..100 */
    assert_int_equal(count(f, "SELECT count(*) FROM node_result WHERE index_id IN ('mm', 'den')"
                              " AND (score < 0 OR score > 100)"),
                     0);
    /* ranks among siblings run from 1 with ties sharing (1, 2, 2 in 2021-Q3) */
    assert_int_equal(count(f,
                           "SELECT count(*) FROM node_result WHERE index_id = 'mm' AND node = 'mm'"
                           " AND period = '2021-Q3' AND rank = 2"),
                     2);
    fx_free(f);
}

static void test_compute_one_unit_and_all_equal(void **state)
{
    (void)state;
    struct fx *f = fx_new("methods.json");
    put(f, "p1", "a", "2021-Q1", 7);
    put(f, "p1", "b", "2021-Q1", 7);
    ingest(f);
    assert_int_equal(compute_recompute(f->st, f->cfg, 1, NULL, NULL), 0);
    struct res r = result(f, "mm", "mm", "p1", "2021-Q1");
    assert_near(r.score, 50, 1e-12); /* one value: zero range -> 50 */
    assert_true(r.rank == 1);
    assert_true(r.flags & COMPUTE_FLAG_DEGENERATE);
    r = result(f, "mm", "mm", "p2", "2021-Q1");
    assert_true(isnan(r.score) && (r.flags & COMPUTE_FLAG_MISSING));
    fx_free(f);
}

struct stage_count {
    int n;
    char unit[4][8], stage[4][32];
};

static int stage_row(const struct store_result_row *row, void *ctx)
{
    struct stage_count *s = ctx;
    snprintf(s->unit[s->n], 8, "%s", row->unit);
    snprintf(s->stage[s->n], 32, "%s", row->attr_value ? row->attr_value : "");
    s->n++;
    return 0;
}

static void test_compute_query_score_at_least_75_by_stage(void **state)
{
    (void)state;
    struct fx *f = methods_computed();
    struct stage_count s = {0};
    struct store_results_query q = {"mm", NULL, "2021-Q1", 75, "stage", NULL};
    assert_int_equal(store_query_results(f->st, &q, stage_row, &s), 0);
    assert_int_equal(s.n, 1); /* only p2 (87.5) */
    assert_string_equal(s.unit[0], "p2");
    assert_string_equal(s.stage[0], "成长期");
    /* the documented SQL (docs/INDICES.md): counts per stage */
    assert_int_equal(count(f,
                           "SELECT count(*) FROM (SELECT json_extract(u.attributes,"
                           " '$.stage') AS stage, count(*) AS n FROM result r JOIN unit u"
                           " ON u.id = r.unit_id WHERE r.index_id = 'mm'"
                           " AND r.period = '2021-Q2' AND r.score >= 30 GROUP BY stage)"
                           " WHERE (stage = '初创期' AND n = 1) OR (stage = '成长期' AND n = 1)"),
                     2);
    fx_free(f);
}

static void test_compute_incremental_marks_and_config_hash(void **state)
{
    (void)state;
    struct fx *f = methods_computed();
    struct compute_summary sum;
    /* nothing marked: nothing written */
    assert_int_equal(compute_recompute(f->st, f->cfg, 0, NULL, &sum), 0);
    assert_int_equal(sum.periods, 0);
    assert_int_equal(sum.full, 0);
    /* a revision of p1's a in 2021-Q1 marked for mm: 2021-Q1 and 2021-Q2 rewritten */
    put(f, "p1", "a", "2021-Q1", 15);
    ingest(f);
    assert_int_equal(store_mark_recompute(f->st, "mm", "2021-Q1"), 0);
    assert_int_equal(compute_recompute(f->st, f->cfg, 0, NULL, &sum), 0);
    assert_int_equal(sum.indices, 1);
    assert_int_equal(sum.periods, 2);
    assert_int_equal(count(f, "SELECT count(*) FROM recompute"), 0);
    /* a: 15 20 30 -> 0 33.33 100; p2 = 0.25 x 33.33 + 75 */
    assert_near(result(f, "mm", "mm", "p2", "2021-Q1").score, 0.25 * 100.0 / 3.0 + 75, 1e-9);
    /* others not rewritten: zs still has the old 2021-Q1 (-1 for p1 was 10) */
    assert_near(result(f, "zs", "zs", "p1", "2021-Q1").score, -1, 1e-12);
    /* a marked base period of a fixed-base index rewrites every period */
    assert_int_equal(store_mark_recompute(f->st, "fbq", "2021-Q2"), 0);
    assert_int_equal(compute_recompute(f->st, f->cfg, 0, NULL, &sum), 0);
    assert_int_equal(sum.periods, 5);
    /* a chained index: the marked period and every later one */
    assert_int_equal(store_mark_recompute(f->st, "ch", "2021-Q3"), 0);
    assert_int_equal(compute_recompute(f->st, f->cfg, 0, NULL, &sum), 0);
    assert_int_equal(sum.periods, 3);
    /* a changed hash (as after a config edit) forces a full recompute */
    assert_int_equal(sqlite3_exec(f->db,
                                  "UPDATE index_state SET config_hash = 'x'"
                                  " WHERE index_id = 'rk'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(compute_recompute(f->st, f->cfg, 0, NULL, &sum), 0);
    assert_int_equal(sum.full, 1);
    assert_int_equal(sum.periods, 5);
    assert_near(result(f, "zs", "zs", "p1", "2021-Q1").score, -1, 1e-12);
    fx_free(f);
}

/* The one text sql returns (its first column of its first row; NULL: ""),
 * for the caller to free. */
static char *query_text(struct fx *f, const char *sql)
{
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(f->db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    const char *t = (const char *)sqlite3_column_text(s, 0);
    char *out = strdup(t ? t : "");
    sqlite3_finalize(s);
    assert_non_null(out);
    return out;
}

/* Every stored result and derived weight (of the indices in the SQL list
 * ids, NULL: all) as one text, computed_at left out. */
static char *dump_results(struct fx *f, const char *ids)
{
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "SELECT group_concat(x, char(10)) FROM (SELECT index_id || ' ' || period"
             " || ' ' || unit_id || ' ' || quote(score) || ' ' || quote(rank) || ' '"
             " || quote(rank_change) || ' ' || flags || ' ' || quote(nodes) || ' '"
             " || quote(contribs) AS x FROM result WHERE %s UNION ALL SELECT index_id || ' '"
             " || period || ' ' || node || ' ' || child || ' ' || quote(weight) || ' '"
             " || flags FROM index_weight WHERE %s UNION ALL SELECT index_id || ' ' || period"
             " || ' ranking ' || unranked || ' ' || rank || ' ' || code || ' ' || n || ' '"
             " || hex(entries) FROM result_ranking WHERE %s ORDER BY 1)",
             ids ? ids : "1", ids ? ids : "1", ids ? ids : "1");
    return query_text(f, sql);
}

/* A full recompute from nothing, the reference the in-place runs are held
 * to: every index's config hash forgotten, so every old row is wiped and
 * every row written anew. */
static void recompute_wiped(struct fx *f)
{
    struct compute_summary sum;
    assert_int_equal(
        sqlite3_exec(f->db, "UPDATE index_state SET config_hash = 'x'", NULL, NULL, NULL),
        SQLITE_OK);
    assert_int_equal(compute_recompute(f->st, f->cfg, 1, NULL, &sum), 0);
    assert_int_equal(sum.full, 1);
}

/* The rows of where (NULL: every row) as they stand equal those a full
 * recompute writes from nothing, which are more than min_len bytes. */
static void assert_equals_wiped(struct fx *f, const char *where, size_t min_len)
{
    char *inc = dump_results(f, where);
    recompute_wiped(f);
    char *full = dump_results(f, where);
    assert_true(strlen(full) > min_len);
    assert_string_equal(inc, full);
    free(inc);
    free(full);
}

/* Marks period for every index whose frequency contains it (and whose id
 * is in the list only, NULL: all), as an import or a pull does. */
static void mark_all(struct fx *f, const char *period, const char *const *only)
{
    size_t n;
    const struct config_index *ix = config_indices(f->cfg, &n);
    struct period p, q;
    char text[PERIOD_TEXT_SIZE];
    assert_int_equal(period_parse_str(&p, period), 0);
    for (size_t k = 0; k < n; k++) {
        int in = !only;
        for (size_t i = 0; only && only[i]; i++)
            in |= strcmp(only[i], ix[k].id) == 0;
        if (!in || period_container(p, ix[k].freq, &q) < 0)
            continue;
        period_format(q, text, sizeof(text));
        assert_int_equal(store_mark_recompute(f->st, ix[k].id, text), 0);
    }
}

/* After revisions, an incremental recompute leaves exactly the rows a full
 * one writes: every score, rank, rank change, flag, dimension, contribution
 * and derived weight of the 14 indices of methods.json. */
static void test_compute_incremental_equals_full(void **state)
{
    (void)state;
    static const char *const rev[][4] = {
        {"p2", "a", "2021-Q3", "25"},  /* the middle: a cross-section and what follows */
        {"p3", "c", "2022-Q1", "7"},   /* a missing value now present, the last period */
        {"p1", "b", "2021-Q1", "0.5"}, /* the first period: the base of fixed-base indices */
    };
    struct fx *f = methods_computed();
    struct compute_summary sum;

    for (size_t i = 0; i < sizeof(rev) / sizeof(rev[0]); i++) {
        put(f, rev[i][0], rev[i][1], rev[i][2], atof(rev[i][3]));
        ingest(f);
        mark_all(f, rev[i][2], NULL);
        assert_int_equal(compute_recompute(f->st, f->cfg, 0, NULL, &sum), 0);
        assert_int_equal(sum.full, 0);
        assert_int_equal(sum.partial, 0); /* chained, carry, base: everything read */
        assert_true(sum.periods > 0);
        assert_equals_wiped(f, NULL, 1000);
    }
    fx_free(f);
}

/* The same when only cross-sectional indices are marked: the incremental
 * recompute then reads only the marked period and its neighbours (partial),
 * and their rows equal a full recompute's. */
static void test_compute_incremental_partial_equals_full(void **state)
{
    (void)state;
    static const char *const ids[] = {"mm",   "geo",  "excl", "zs",  "rk", "eff",
                                      "goal", "band", "imp",  "den", NULL};
    static const char in_ids[] = "index_id IN ('mm', 'geo', 'excl', 'zs', 'rk', 'eff', 'goal',"
                                 " 'band', 'imp', 'den')";
    static const char *const rev[][4] = {
        {"p2", "a", "2021-Q3", "25"},
        {"p3", "c", "2022-Q1", "7"},
        {"p1", "b", "2021-Q1", "0.5"},
        {"p3", "a", "2021-Q2", "1000"}, /* a new maximum: every unit's score moves */
    };
    /* months held: the quarters read (the one before, it, the one after with
     * data), not the two years: 2021-Q2..Q4, 2021-Q4..2022-Q1 across the
     * year's end, 2021-Q1..Q2, 2021-Q1..Q3 */
    static const size_t months[] = {9, 6, 6, 9};
    struct fx *f = methods_computed();
    struct compute_summary sum;
    /* odd revisions with a window of two periods: blocks without a needed
     * period are skipped (compute_priv.h, cmp_run_each) */
    const struct compute_opts win = {.window_bytes = 1};

    for (size_t i = 0; i < sizeof(rev) / sizeof(rev[0]); i++) {
        put(f, rev[i][0], rev[i][1], rev[i][2], atof(rev[i][3]));
        ingest(f);
        mark_all(f, rev[i][2], ids);
        assert_int_equal(compute_recompute(f->st, f->cfg, 0, i % 2 ? &win : NULL, &sum), 0);
        assert_int_equal(sum.full, 0);
        assert_int_equal(sum.partial, 1);
        assert_int_equal(sum.months, months[i]);
        assert_true(sum.periods >= 10);
        assert_equals_wiped(f, in_ids, 1000);
    }
    fx_free(f);
}

/* monthly.json's data: a (stock) and b (flow) of p1 .. p4, 2024-10 .. 2025-03,
 * a few missing; zone z has none of its own (the sum of p1 and p2). */
static void load_monthly_data(struct fx *f)
{
    static const char *const units[4] = {"p1", "p2", "p3", "p4"};
    static const char *const per[6] = {"2024-10", "2024-11", "2024-12",
                                       "2025-01", "2025-02", "2025-03"};
    for (int p = 0; p < 6; p++)
        for (int u = 0; u < 4; u++) {
            if ((p + u) % 5 != 4)
                put(f, units[u], "a", per[p], 10 + 7 * u + 3 * p + (u * p) % 4);
            if ((p * u) % 7 != 6)
                put(f, units[u], "b", per[p], 50 - 4 * u + 2 * p);
        }
    ingest(f);
}

/* A partial recompute of a config with one frequency holds only the months
 * it reads, across a year's end too, and its rows equal a full recompute's:
 * monthly indices over monthly indicators with a roll-up (zone z). */
static void test_compute_partial_months_across_year_end(void **state)
{
    (void)state;
    static const char *const rev[][4] = {
        {"p1", "a", "2024-12", "500"}, /* a new maximum: every score of December moves */
        {"p3", "b", "2025-01", "1"},   /* January: December .. February */
        {"p2", "a", "2025-03", "12"},  /* the last month: February and March */
        {"p4", "a", "2024-10", "3"},   /* the first month: October and November */
        {"p1", "a", "2024-12", "11"},  /* back inside the range */
    };
    static const size_t months[] = {3, 3, 2, 2, 3};
    /* two indices, each the month and the next with data (March: none) */
    static const size_t periods[] = {4, 4, 2, 4, 4};
    struct fx *f = fx_new("monthly.json");
    struct compute_summary sum;
    const struct compute_opts win = {.window_bytes = 1};

    load_monthly_data(f);
    assert_int_equal(compute_recompute(f->st, f->cfg, 1, NULL, &sum), 0);
    assert_int_equal(sum.months, 24); /* a full run: whole years, 2024 and 2025 */
    assert_int_equal(sum.periods, 12);
    for (size_t i = 0; i < sizeof(rev) / sizeof(rev[0]); i++) {
        put(f, rev[i][0], rev[i][1], rev[i][2], atof(rev[i][3]));
        ingest(f);
        mark_all(f, rev[i][2], NULL);
        assert_int_equal(compute_recompute(f->st, f->cfg, 0, i % 2 ? &win : NULL, &sum), 0);
        assert_int_equal(sum.full, 0);
        assert_int_equal(sum.partial, 1);
        assert_int_equal(sum.months, months[i]);
        assert_int_equal(sum.periods, periods[i]);
        assert_equals_wiped(f, NULL, 1000);
    }
    /* the zone's roll-up in the new maximum's month: p1 + p2 */
    assert_true(result(f, "mm", "mm", "z", "2024-12").found);
    fx_free(f);
}

/* A recompute under a config naming a unit the store does not know yet
 * defines it first and scores it with the others: p5, added to monthly.json
 * after its data were stored, has rows (no data: no score), and the others'
 * scores stay those of the config without it. */
static void test_compute_recompute_defines_new_units(void **state)
{
    (void)state;
    struct fx *f = fx_new("monthly.json");
    struct config *cfg = NULL;
    struct compute_summary sum;
    char rel[256], path[512], text[8192], *errors = NULL;
    static const char tail[] = "\n  ],\n  \"indicators\"";
    static const char p5[] = ", {\"id\": \"p5\", \"name\": \"P5\", \"parent\": \"r\"}";
    FILE *fp;
    size_t n;

    load_monthly_data(f);
    assert_int_equal(compute_recompute(f->st, f->cfg, 1, NULL, &sum), 0);
    struct res p3 = result(f, "mm", "mm", "p3", "2025-01");
    assert_true(p3.found && !isnan(p3.score));
    ts_data_path(path, sizeof(path), ts_path(rel, sizeof(rel), "compute", "monthly.json"));
    assert_non_null(fp = fopen(path, "r"));
    n = fread(text, 1, sizeof(text) - 128, fp);
    fclose(fp);
    text[n] = '\0';
    char *at = strstr(text, tail);
    assert_non_null(at);
    memmove(at + sizeof(p5) - 1, at, strlen(at) + 1);
    memcpy(at, p5, sizeof(p5) - 1);
    if (config_load_buffer("t.json", NULL, text, strlen(text), &cfg, &errors) < 0)
        fail_msg("%s", errors ? errors : "config");
    assert_true(store_unit_id(f->st, "p5", 2) < 0);

    assert_int_equal(compute_recompute(f->st, cfg, 1, NULL, &sum), 0);
    assert_true(store_unit_id(f->st, "p5", 2) >= 0);
    struct res r5 = result(f, "mm", "mm", "p5", "2025-01");
    assert_true(r5.found);
    assert_true(isnan(r5.score));
    struct res again = result(f, "mm", "mm", "p3", "2025-01");
    assert_true(again.found);
    assert_true(again.score == p3.score);
    assert_true(again.rank == p3.rank);
    config_free(&cfg);
    fx_free(f);
}

/* With a quarterly index over the monthly indicators (a month's revision
 * marks its quarter too) the partial snapshot keeps whole years: quarters
 * are converted from the months of their year. */
static void test_compute_partial_whole_years_with_quarters(void **state)
{
    (void)state;
    static const char *const rev[][3] = {
        {"p1", "a", "2024-12"}, {"p3", "b", "2025-01"}, {"p2", "b", "2025-03"}};
    struct fx *f = fx_new("monthly_quarterly.json");
    struct compute_summary sum;

    load_monthly_data(f);
    assert_int_equal(compute_recompute(f->st, f->cfg, 1, NULL, &sum), 0);
    for (size_t i = 0; i < sizeof(rev) / sizeof(rev[0]); i++) {
        put(f, rev[i][0], rev[i][1], rev[i][2], 400 + (double)i);
        ingest(f);
        mark_all(f, rev[i][2], NULL);
        assert_int_equal(compute_recompute(f->st, f->cfg, 0, NULL, &sum), 0);
        assert_int_equal(sum.partial, 1);
        assert_int_equal(sum.months, 24); /* 2024 and 2025, not 2024-Q4 .. 2025-Q1 */
        assert_equals_wiped(f, NULL, 1000);
    }
    fx_free(f);
}

/* An incremental recompute rewrites a period's rows in place: a row of a
 * unit no longer scored there (as after the unit left the config, which
 * leaves the index's hash alone) is deleted, the others equal a full
 * recompute's, and a period not written keeps its rows. */
static void test_compute_incremental_sweeps_stale_units(void **state)
{
    (void)state;
    static const char *const ids[] = {"mm", NULL};
    struct fx *f = methods_computed();
    struct compute_summary sum;
    long before = count(f, "SELECT count(*) FROM result WHERE index_id = 'mm'");

    assert_int_equal(sqlite3_exec(f->db,
                                  "INSERT INTO result(index_id, period, unit_id, score, rank,"
                                  " flags) SELECT 'mm', period, 1000 + max(unit_id), 1, 1, 0"
                                  " FROM result WHERE index_id = 'mm'"
                                  " AND period IN ('2021-Q1', '2021-Q4') GROUP BY period",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    put(f, "p2", "a", "2021-Q1", 40);
    ingest(f);
    mark_all(f, "2021-Q1", ids);
    assert_int_equal(compute_recompute(f->st, f->cfg, 0, NULL, &sum), 0);
    assert_int_equal(sum.full, 0);
    assert_int_equal(sum.periods, 2); /* 2021-Q1 and 2021-Q2 */
    /* the stale row of the written 2021-Q1 went, the one of 2021-Q4 stayed */
    assert_int_equal(count(f, "SELECT count(*) FROM result WHERE index_id = 'mm'"
                              " AND unit_id > 999 AND period = '2021-Q1'"),
                     0);
    assert_int_equal(count(f, "SELECT count(*) FROM result WHERE index_id = 'mm'"
                              " AND unit_id > 999 AND period = '2021-Q4'"),
                     1);
    assert_int_equal(count(f, "SELECT count(*) FROM result WHERE index_id = 'mm'"), before + 1);
    assert_int_equal(
        sqlite3_exec(f->db, "DELETE FROM result WHERE unit_id > 999", NULL, NULL, NULL), SQLITE_OK);
    assert_equals_wiped(f, "index_id = 'mm'", 100);
    fx_free(f);
}

/* A full recompute of an unchanged config rewrites the rows in place: after
 * revisions its rows and weights equal those written from nothing, and the
 * rows and weights of a period without data (here one that never had any)
 * are pruned, of every index. */
static void test_compute_full_in_place_equals_wiped(void **state)
{
    (void)state;
    struct fx *f = methods_computed();
    struct compute_summary sum;

    assert_int_equal(sqlite3_exec(f->db,
                                  "INSERT INTO result(index_id, period, unit_id, score, rank,"
                                  " flags) SELECT index_id, '2030-Q1', unit_id, 1, 1, 0"
                                  " FROM result WHERE period = '2021-Q1';"
                                  "INSERT INTO index_weight(index_id, period, node, child,"
                                  " weight, flags) VALUES('mm', '2030-Q1', 'mm', 'a', 0.5, 0)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_true(count(f, "SELECT count(*) FROM result WHERE period = '2030-Q1'") > 10);
    assert_true(count(f, "SELECT count(*) FROM index_weight WHERE period = '2030-Q1'") > 0);
    put(f, "p2", "a", "2021-Q3", 25);
    put(f, "p3", "a", "2021-Q2", 1000); /* a new maximum: ranks move */
    ingest(f);
    assert_int_equal(compute_recompute(f->st, f->cfg, 1, NULL, &sum), 0);
    assert_int_equal(sum.full, 1);
    assert_int_equal(count(f, "SELECT count(*) FROM result WHERE period = '2030-Q1'"), 0);
    assert_int_equal(count(f, "SELECT count(*) FROM index_weight WHERE period = '2030-Q1'"), 0);
    assert_equals_wiped(f, NULL, 1000);
    fx_free(f);
}

/* Counts every write to the result table (from any connection: the writer
 * thread has its own) in table result_writes. */
static void count_result_writes(struct fx *f)
{
    assert_int_equal(sqlite3_exec(f->db,
                                  "CREATE TABLE result_writes(op TEXT);"
                                  "CREATE TRIGGER rw_i AFTER INSERT ON result BEGIN"
                                  " INSERT INTO result_writes VALUES('i'); END;"
                                  "CREATE TRIGGER rw_u AFTER UPDATE ON result BEGIN"
                                  " INSERT INTO result_writes VALUES('u'); END;"
                                  "CREATE TRIGGER rw_d AFTER DELETE ON result BEGIN"
                                  " INSERT INTO result_writes VALUES('d'); END;",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
}

/* A recompute of unchanged data writes no result row, incremental or full,
 * yet the time of every period it wrote advances (result_period) and the
 * others keep theirs; after a revision it writes fewer rows than the
 * periods hold, and they equal a full recompute's. */
static void test_compute_unchanged_writes_no_row(void **state)
{
    (void)state;
    static const char *const ids[] = {"mm", NULL};
    struct fx *f = methods_computed();
    struct compute_summary sum;
    long periods = count(f, "SELECT count(*) FROM result_period");

    assert_true(periods > 20);
    assert_int_equal(count(f, "SELECT count(*) FROM (SELECT DISTINCT index_id, period"
                              " FROM result)"),
                     periods);
    count_result_writes(f);
    assert_int_equal(
        sqlite3_exec(f->db, "UPDATE result_period SET computed_at = 1", NULL, NULL, NULL),
        SQLITE_OK);
    char *before = dump_results(f, NULL);
    mark_all(f, "2021-Q1", ids);
    assert_int_equal(compute_recompute(f->st, f->cfg, 0, NULL, &sum), 0);
    assert_int_equal(sum.full, 0);
    assert_int_equal(sum.periods, 2); /* 2021-Q1 and 2021-Q2 */
    assert_int_equal(count(f, "SELECT count(*) FROM result_writes"), 0);
    assert_int_equal(count(f, "SELECT count(*) FROM result_period WHERE computed_at > 1"), 2);
    assert_int_equal(count(f, "SELECT count(*) FROM result_period WHERE computed_at > 1"
                              " AND index_id = 'mm' AND period IN ('2021-Q1', '2021-Q2')"),
                     2);
    /* a full recompute of the same config: in place, nothing written either */
    assert_int_equal(compute_recompute(f->st, f->cfg, 1, NULL, &sum), 0);
    assert_int_equal(sum.full, 1);
    assert_int_equal(count(f, "SELECT count(*) FROM result_writes"), 0);
    assert_int_equal(count(f, "SELECT count(*) FROM result_period WHERE computed_at = 1"), 0);
    char *after = dump_results(f, NULL);
    assert_string_equal(after, before);
    free(before);
    free(after);
    /* one revised value: only some rows of the two periods rewritten */
    put(f, "p2", "a", "2021-Q1", 40);
    ingest(f);
    mark_all(f, "2021-Q1", ids);
    assert_int_equal(compute_recompute(f->st, f->cfg, 0, NULL, &sum), 0);
    long written = count(f, "SELECT count(*) FROM result_writes");
    assert_true(written > 0);
    assert_true(written < count(f, "SELECT count(*) FROM result WHERE index_id = 'mm'"
                                   " AND period IN ('2021-Q1', '2021-Q2')"));
    assert_equals_wiped(f, "index_id = 'mm'", 100);
    fx_free(f);
}

/* p3's b in 2021-Q2 revised to -100, far below the others (b counts with
 * direction -1 and weight 3/4 in mm): p3 rises from rank 2 to 1 and p1
 * falls from 1 to 2, both with new scores, and in 2021-Q3 the rank changes
 * of those two move; p2 keeps b's maximum (5, normalised 0) and its a, so
 * its rows stay. The writer tries the kind of write of the row
 * before first (store/results.c put_by_rowid), yet each row whose content
 * changed is updated exactly once, no other row is written, and they equal
 * a full recompute's. */
static void test_compute_rewrites_each_changed_row_once(void **state)
{
    (void)state;
    static const char *const ids[] = {"mm", NULL};
    static const char cols[] = "index_id, period, unit_id, score, rank, rank_change, flags, nodes,"
                               " contribs";
    struct fx *f = methods_computed();
    struct compute_summary sum;
    char sql[512];

    snprintf(sql, sizeof(sql), "CREATE TABLE before AS SELECT %s FROM result", cols);
    assert_int_equal(sqlite3_exec(f->db, sql, NULL, NULL, NULL), SQLITE_OK);
    count_result_writes(f);
    put(f, "p3", "b", "2021-Q2", -100);
    ingest(f);
    mark_all(f, "2021-Q2", ids);
    assert_int_equal(compute_recompute(f->st, f->cfg, 0, NULL, &sum), 0);
    assert_int_equal(sum.periods, 2); /* 2021-Q2 and 2021-Q3 */
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM (SELECT %s FROM result EXCEPT SELECT * FROM before)", cols);
    long changed = count(f, sql);
    long moved = count(f, "SELECT count(*) FROM result r JOIN before b USING(index_id, period,"
                          " unit_id) WHERE r.rank IS NOT b.rank");
    long q3 = count(f, "SELECT count(*) FROM result r JOIN before b USING(index_id, period,"
                       " unit_id) WHERE r.period = '2021-Q3' AND r.rank IS b.rank"
                       " AND r.rank_change IS NOT b.rank_change");
    assert_int_equal(moved, 2);   /* p1 and p3 in 2021-Q2 */
    assert_int_equal(q3, 2);      /* their rank changes in 2021-Q3 */
    assert_int_equal(changed, 4); /* p1 and p3 in both periods */
    assert_int_equal(count(f, "SELECT count(*) FROM result_writes WHERE op = 'u'"), changed);
    assert_int_equal(count(f, "SELECT count(*) FROM result_writes"), changed);
    assert_int_equal(count(f, "SELECT count(*) FROM result"),
                     count(f, "SELECT count(*) FROM before"));
    assert_equals_wiped(f, "index_id = 'mm'", 100);
    fx_free(f);
}

/* Collects the API readers' answers (index list, a period's results with
 * their time) as text. */
struct answers {
    char text[16384];
    size_t used;
};

static int index_answer(const struct store_index_row *r, void *ctx)
{
    struct answers *a = ctx;
    a->used += (size_t)snprintf(a->text + a->used, sizeof(a->text) - a->used, "%s %s %s %ld %lld\n",
                                r->index_id, r->first_period, r->last_period, r->n_units,
                                (long long)r->computed_at);
    return 0;
}

static int result_answer(const struct store_index_result_row *r, void *ctx)
{
    struct answers *a = ctx;
    a->used +=
        (size_t)snprintf(a->text + a->used, sizeof(a->text) - a->used, "%s %s %s %.17g %ld %lld\n",
                         r->unit, r->node, r->period, r->score, r->rank, (long long)r->computed_at);
    return 0;
}

static void api_answers(struct fx *f, struct answers *a)
{
    a->used = 0;
    a->text[0] = '\0';
    assert_int_equal(store_indices_list(f->st, index_answer, a), 0);
    assert_int_equal(store_index_results(f->st, "mm", "2021-Q1", NULL, 0, result_answer, a), 0);
    assert_int_equal(store_index_results(f->st, "rk", "2021-Q2", NULL, 1, result_answer, a), 0);
    assert_true(a->used < sizeof(a->text) - 1);
}

/*
 * A store of schema version 12 (results timed per row) migrated to 13 answers
 * the same: each (index, period) takes the latest time of its rows. The rows
 * here get times of their own (1e6 + unit id + 1000 per period number), so a
 * period's time is its greatest unit's, which the rows say independently.
 */
static void test_compute_results_migrated_from_v12_answer_the_same(void **state)
{
    (void)state;
    struct fx *f = methods_computed();
    struct answers *before = malloc(sizeof(*before)), *after = malloc(sizeof(*after));
    assert_non_null(before);
    assert_non_null(after);

    assert_int_equal(sqlite3_exec(f->db,
                                  "UPDATE result SET computed_at = 1000000 + unit_id"
                                  " + 1000 * (SELECT count(DISTINCT period) FROM result x"
                                  " WHERE x.period < result.period);"
                                  "UPDATE result_period SET computed_at = (SELECT max(computed_at)"
                                  " FROM result r WHERE r.index_id = result_period.index_id"
                                  " AND r.period = result_period.period)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    api_answers(f, before);
    /* mm's 2021-Q1 rows answer their period's time, their greatest unit's */
    char at[32];
    long lo = count(f, "SELECT min(computed_at) FROM result WHERE index_id = 'mm'"
                       " AND period = '2021-Q1'"),
         hi = count(f, "SELECT max(computed_at) FROM result WHERE index_id = 'mm'"
                       " AND period = '2021-Q1'");
    assert_true(lo >= 1000000 && lo < hi);
    snprintf(at, sizeof(at), " 2021-Q1 %s", "");
    assert_non_null(strstr(before->text, at));
    snprintf(at, sizeof(at), " %ld\n", hi);
    assert_non_null(strstr(before->text, at));
    snprintf(at, sizeof(at), " %ld\n", lo);
    assert_null(strstr(before->text, at));
    /* back to version 12: no result_period, the times in the rows */
    store_close(&f->st);
    assert_int_equal(
        sqlite3_exec(f->db,
                     "DROP TABLE result_period; DROP TABLE result_ranking;"
                     " CREATE INDEX result_rank ON result(index_id, period, rank IS NULL,"
                     " coalesce(rank, 0)); PRAGMA user_version = 12",
                     NULL, NULL, NULL),
        SQLITE_OK);
    assert_int_equal(store_open(&f->st, f->path, 0, NULL, 0), 0);
    assert_int_equal(store_schema_version(f->st), STORE_SCHEMA_VERSION);
    api_answers(f, after);
    assert_string_equal(after->text, before->text);
    free(before);
    free(after);
    fx_free(f);
}

/* A ranking row as text, and the page's last key (kept for the next page). */
struct ranking_answer {
    struct answers *a;
    struct store_rank_key last;
    char unit[16];
    int rows;
};

static int ranking_answer(const struct store_index_result_row *r, void *ctx)
{
    struct ranking_answer *w = ctx;
    struct answers *a = w->a;
    a->used +=
        (size_t)snprintf(a->text + a->used, sizeof(a->text) - a->used,
                         "%s %s %s %d %.17g %d %ld %d %ld %ld %s %lld\n", r->node, r->period,
                         r->unit, r->has_score, r->score, r->has_rank, r->rank, r->has_rank_change,
                         r->rank_change, r->flags, r->unit_name, (long long)r->computed_at);
    w->last = (struct store_rank_key){!r->has_rank, r->has_rank ? r->rank : 0, w->unit};
    snprintf(w->unit, sizeof(w->unit), "%s", r->unit);
    w->rows++;
    return 0;
}

/* Every ranking of every index and period of the methods fixture, whole and
 * in pages of one (the keyset across ties of rank and unranked units). */
static void ranking_answers(struct fx *f, struct answers *a)
{
    static const char *const ix[] = {"mm", "excl", "carry", "geo", "zs", "rk", "eff"};
    static const char *const per[] = {"2021-Q1", "2021-Q2", "2021-Q3", "2021-Q4"};
    a->used = 0;
    a->text[0] = '\0';
    for (size_t i = 0; i < sizeof(ix) / sizeof(ix[0]); i++)
        for (size_t p = 0; p < sizeof(per) / sizeof(per[0]); p++) {
            struct ranking_answer w = {.a = a};
            assert_int_equal(
                store_index_ranking_page(f->st, ix[i], per[p], NULL, 0, ranking_answer, &w), 0);
            int whole = w.rows;
            for (int n = 0;; n++) { /* the same rows one page at a time */
                char unit[16];
                struct store_rank_key after = w.last;
                snprintf(unit, sizeof(unit), "%s", w.unit);
                after.unit = unit;
                w.rows = 0;
                assert_int_equal(store_index_ranking_page(f->st, ix[i], per[p], n ? &after : NULL,
                                                          1, ranking_answer, &w),
                                 0);
                if (w.rows == 0) {
                    assert_int_equal(n, whole);
                    break;
                }
            }
        }
    assert_true(a->used < sizeof(a->text) - 1);
}

/* The columns of index result_rank, comma-separated, into out. */
static void rank_index_columns(struct fx *f, char *out, size_t size)
{
    sqlite3_stmt *s;
    size_t used = 0;
    out[0] = '\0';
    assert_int_equal(
        sqlite3_prepare_v2(f->db,
                           "SELECT coalesce(name, '(expr)') FROM"
                           " pragma_index_xinfo('result_rank') WHERE key ORDER BY seqno",
                           -1, &s, NULL),
        SQLITE_OK);
    while (sqlite3_step(s) == SQLITE_ROW)
        used += (size_t)snprintf(out + used, size - used, "%s%s", used ? "," : "",
                                 (const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
}

/* Every ranking chunk of the store as text (key, count, entries in hex). */
static char *chunks_text(struct fx *f)
{
    return query_text(f, "SELECT group_concat(x, char(10)) FROM (SELECT index_id || ' ' || period"
                         " || ' ' || unranked || ' ' || rank || ' ' || code || ' ' || n || ' '"
                         " || hex(entries) AS x FROM result_ranking ORDER BY 1)");
}

/* The rankings of the store in chunks (schema version 16). */
static long ranking_chunks(struct fx *f)
{
    return count(f, "SELECT count(*) FROM result_ranking");
}

/*
 * A store of schema version 14 (index result_rank covers a ranking page:
 * each row's unit id, score, rank, rank change and flags) or 15 (the ranking
 * order alone, as in version 11) migrated to 16 (each period's ranking in
 * chunks of its own, result_ranking; the index dropped) answers every ranking
 * the same, whole and page by page, ties of rank and unranked units included,
 * and every index's results: from the chunks the migration builds out of the
 * rows, the same bytes a recompute writes; without any chunks (ranked by
 * SQL); and from the chunks of the next full recompute.
 */
static void test_compute_results_migrated_to_v16_rank_the_same(void **state)
{
    static const char *const old_index[] = {
        /* version 14 */
        "CREATE INDEX result_rank ON result(index_id, period, rank IS NULL, coalesce(rank, 0),"
        " unit_id, score, rank, rank_change, flags); PRAGMA user_version = 14",
        /* version 15 */
        "CREATE INDEX result_rank ON result(index_id, period, rank IS NULL, coalesce(rank, 0));"
        " PRAGMA user_version = 15",
    };
    (void)state;
    for (size_t v = 0; v < sizeof(old_index) / sizeof(old_index[0]); v++) {
        struct fx *f = methods_computed();
        struct answers *before = malloc(sizeof(*before)), *after = malloc(sizeof(*after));
        struct answers *res0 = malloc(sizeof(*res0)), *res1 = malloc(sizeof(*res1));
        char cols[256];
        if (!before || !after || !res0 || !res1)
            abort();

        ranking_answers(f, before);
        api_answers(f, res0);
        /* the fixture ranks ties (mm 2021-Q3: two units of rank 2) and unranked units */
        assert_non_null(strstr(before->text, "mm 2021-Q3 p2 1 12.5 1 2 "));
        assert_non_null(strstr(before->text, "mm 2021-Q3 p3 1 12.5 1 2 "));
        assert_non_null(strstr(before->text, "excl 2021-Q4 p2 0 0 0 0 "));
        assert_true(ranking_chunks(f) >= 28); /* 7 indices x 4 quarters */
        char *written = chunks_text(f);
        rank_index_columns(f, cols, sizeof(cols));
        assert_string_equal(cols, "");
        /* back to the older version */
        store_close(&f->st);
        assert_int_equal(sqlite3_exec(f->db, "DROP TABLE result_ranking", NULL, NULL, NULL),
                         SQLITE_OK);
        assert_int_equal(sqlite3_exec(f->db, old_index[v], NULL, NULL, NULL), SQLITE_OK);
        rank_index_columns(f, cols, sizeof(cols));
        assert_string_equal(cols, v == 0 ? "index_id,period,(expr),(expr),unit_id,score,rank,"
                                           "rank_change,flags"
                                         : "index_id,period,(expr),(expr)");
        assert_int_equal(store_open(&f->st, f->path, 0, NULL, 0), 0);
        assert_int_equal(store_schema_version(f->st), 16);
        rank_index_columns(f, cols, sizeof(cols));
        assert_string_equal(cols, "");
        char *built = chunks_text(f);
        assert_string_equal(built, written);
        ranking_answers(f, after);
        api_answers(f, res1);
        assert_string_equal(after->text, before->text);
        assert_string_equal(res1->text, res0->text);
        /* without chunks: ranked by SQL, the same */
        assert_int_equal(sqlite3_exec(f->db, "DELETE FROM result_ranking", NULL, NULL, NULL),
                         SQLITE_OK);
        ranking_answers(f, after);
        assert_string_equal(after->text, before->text);
        /* a full recompute writes them again (its time put back to the first
         * one's: it is in whole seconds, and the answers carry it) */
        long at = count(f, "SELECT max(computed_at) FROM result_period");
        assert_int_equal(count(f, "SELECT count(DISTINCT computed_at) FROM result_period"), 1);
        assert_int_equal(compute_recompute(f->st, f->cfg, 1, NULL, NULL), 0);
        char sql[96];
        snprintf(sql, sizeof(sql), "UPDATE result_period SET computed_at = %ld", at);
        assert_int_equal(sqlite3_exec(f->db, sql, NULL, NULL, NULL), SQLITE_OK);
        free(built);
        built = chunks_text(f);
        assert_string_equal(built, written);
        ranking_answers(f, after);
        assert_string_equal(after->text, before->text);
        free(written);
        free(built);
        free(before);
        free(after);
        free(res0);
        free(res1);
        fx_free(f);
    }
}

/* ---- like-for-like bases (seasonal.json) ---- */

/* Quarterly seasons and monthly seasons of the synthetic flows below. */
static const double qseason[4] = {0.6, 0.9, 1.1, 1.4};
static const double qgrowth[4] = {0.02, 0.01, 0.03, 0.02}; /* per quarter, p1..p4 */
static const double mgrowth[3] = {0.005, 0.01, 0.002};     /* per month, p1..p3 */

static double mseason(int k)
{
    return 0.5 + 0.1 * k; /* January 0.6 .. December 1.7 */
}

/* Constant growth with a strong seasonal pattern, 2021..2023: quarterly q
 * (p4 lacks 2021-Q1), its denominator qd (the seasons alone), monthly m. */
static void load_seasonal_data(struct fx *f)
{
    char per[16];
    for (int u = 0; u < 4; u++)
        for (int t = 0; t < 12; t++) {
            char unit[4] = {'p', (char)('1' + u), 0};
            snprintf(per, sizeof(per), "%d-Q%d", 2021 + t / 4, t % 4 + 1);
            if (!(u == 3 && t == 0))
                put(f, unit, "q", per, 100 * qseason[t % 4] * pow(1 + qgrowth[u], t));
            put(f, unit, "qd", per, 50 * qseason[t % 4]);
        }
    ingest(f);
    for (int u = 0; u < 3; u++)
        for (int t = 0; t < 36; t++) {
            char unit[4] = {'p', (char)('1' + u), 0};
            snprintf(per, sizeof(per), "%d-%02d", 2021 + t / 12, t % 12 + 1);
            put(f, unit, "m", per, 10 * mseason(t % 12 + 1) * pow(1 + mgrowth[u], t));
        }
    ingest(f);
}

static void expect_score(struct fx *f, const char *ix, const char *unit, const char *period,
                         double want)
{
    struct res r = result(f, ix, ix, unit, period);
    if (!r.found)
        fail_msg("%s %s %s: no result", ix, unit, period);
    if (isnan(want)) {
        if (!isnan(r.score) || !(r.flags & COMPUTE_FLAG_MISSING))
            fail_msg("%s %s %s: score %.15g flags %u, want missing", ix, unit, period, r.score,
                     r.flags);
    } else if (!(fabs(r.score - want) <= 1e-9 * fabs(want))) {
        fail_msg("%s %s %s: score %.15g, want %.15g", ix, unit, period, r.score, want);
    }
}

/* A quarterly flow with a strong season and constant growth: compared with the
 * same quarter of the base year (the default) the index follows the growth
 * path, without the seasons; only the explicit "mean" base shows the sawtooth. */
static void test_compute_like_for_like_bases(void **state)
{
    struct fx *f = fx_new("seasonal.json");
    struct compute_summary sum;
    char per[16], unit[4] = "p0";

    (void)state;
    load_seasonal_data(f);
    assert_int_equal(compute_recompute(f->st, f->cfg, 1, NULL, &sum), 0);
    assert_int_equal(sum.indices, 8);
    for (int u = 0; u < 4; u++) {
        unit[1] = (char)('1' + u);
        double mean = 0; /* the base year's mean season, grown: sum_k s_k (1+g)^k / 4 */
        for (int k = 0; k < 4; k++)
            mean += 100 * qseason[k] * pow(1 + qgrowth[u], k) / 4;
        for (int t = 0; t < 12; t++) {
            int y = t / 4, q = t % 4;
            double path = 100 * pow(1 + qgrowth[u], 4 * y),
                   x = 100 * qseason[q] * pow(1 + qgrowth[u], t);
            int gone = u == 3 && q == 0; /* p4's 2021-Q1 is missing: its Q1s have no base */
            snprintf(per, sizeof(per), "%d-Q%d", 2021 + y, q + 1);
            /* same quarter of 2021: x_t / x_(2021, q) = (1 + g)^(4 y), every quarter */
            expect_score(f, "sq", unit, per, gone ? NAN : path);
            expect_score(f, "cq", unit, per, gone ? NAN : path);
            /* the same ratios on a year-to-date basis: the rate's components
             * cumulate, the denominator repeats each year, so the ratio grows
             * like q; p4 has no year-to-date value in 2021 at all */
            expect_score(f, "yr", unit, per, u == 3 ? NAN : path);
            if (u == 3)
                continue;
            /* mean base (opt-in): x_t / mean(2021) x 100; chained and rescaled:
             * the same */
            expect_score(f, "sm", unit, per, x / mean * 100);
            expect_score(f, "cm", unit, per, x / mean * 100);
            /* chained from the single base 2021-Q1: x_t / x_(2021-Q1) */
            expect_score(f, "c1", unit, per, x / (100 * qseason[0]) * 100);
            if (q == 3) {
                /* Q1 and Q4 of one year within a point of the growth path ... */
                struct res q1 = result(f, "sq", "sq", unit,
                                       (snprintf(per, sizeof(per), "%d-Q1", 2021 + y), per));
                struct res q4 = result(f, "sq", "sq", unit,
                                       (snprintf(per, sizeof(per), "%d-Q4", 2021 + y), per));
                assert_true(fabs(q1.score - path) < 1 && fabs(q4.score - path) < 1);
                /* ... while against the annual mean the seasons dominate */
                q1 = result(f, "sm", "sm", unit,
                            (snprintf(per, sizeof(per), "%d-Q1", 2021 + y), per));
                q4 = result(f, "sm", "sm", unit,
                            (snprintf(per, sizeof(per), "%d-Q4", 2021 + y), per));
                assert_true(q4.score - q1.score > 50);
            }
        }
    }
    /* p4: a chained index whose base value is missing is missing (flagged), as
     * a fixed-base one is, not 100 */
    expect_score(f, "c1", "p4", "2021-Q1", NAN);
    expect_score(f, "c1", "p4", "2022-Q3", NAN);
    expect_score(f, "cm", "p4", "2021-Q2", NAN);
    expect_score(f, "sq", "p4", "2022-Q2", 100 * pow(1.02, 4));
    /* year-to-date monthly flows: cumulative to month k against 2021's to
     * month k = (1 + h)^(12 y) exactly, monthly and (chained) at quarter ends */
    for (int u = 0; u < 3; u++) {
        unit[1] = (char)('1' + u);
        for (int t = 0; t < 36; t++) {
            int year = t / 12; /* years after the base */
            double path = 100 * pow(1 + mgrowth[u], 12 * year);
            snprintf(per, sizeof(per), "%d-%02d", 2021 + t / 12, t % 12 + 1);
            expect_score(f, "ym", unit, per, path);
            if (t % 3 == 2) {
                snprintf(per, sizeof(per), "%d-Q%d", 2021 + t / 12, t % 12 / 3 + 1);
                expect_score(f, "yq", unit, per, path);
            }
        }
    }
    fx_free(f);
}

/* The options are refused where they make no sense, naming the path. */
static void test_compute_base_options_refused(void **state)
{
    static const struct {
        const char *method, *leaf, *want;
    } cases[] = {
        {"'normalise': 'minmax', 'basis': 'ytd'", "q", "method.basis: only for normalise"},
        {"'normalise': 'minmax', 'base_match': 'mean'", "q", "method.base_match: only for"},
        {"'normalise': 'fixed_base', 'base': '2021-Q2', 'basis': 'ytd'", "q",
         "method.basis: \"ytd\" needs a base year"},
        {"'normalise': 'fixed_base', 'base': '2021', 'basis': 'ytd', 'base_match': 'mean'", "q",
         "method.basis: \"ytd\" compares with the base year's same months"},
        {"'normalise': 'fixed_base', 'base': '2021', 'basis': 'ytd'", "r",
         "rate \"r\" has no year-to-date value"},
        {"'normalise': 'fixed_base', 'base': '2021', 'base_match': 'Mean'", "q",
         "bad base_match \"Mean\" (did you mean \"mean\"?"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[1024], *errors = NULL;
        struct config *cfg = NULL;
        snprintf(text, sizeof(text),
                 "{'units': [{'id': 'p1', 'name': 'P'}],"
                 " 'indicators': [{'code': 'q', 'name': 'Q', 'frequency': 'Q', 'kind': 'flow'},"
                 "  {'code': 'r', 'name': 'R', 'frequency': 'Q', 'kind': 'rate'}],"
                 " 'indices': [{'id': 'x', 'frequency': 'Q', 'method': {%s},"
                 "  'tree': [{'indicator': '%s', 'weight': 1}]}]}",
                 cases[i].method, cases[i].leaf);
        for (char *c = text; *c; c++)
            if (*c == '\'')
                *c = '"';
        assert_int_not_equal(
            config_load_buffer("t.json", "/srv", text, strlen(text), &cfg, &errors), 0);
        if (!errors || !strstr(errors, cases[i].want))
            fail_msg("case %zu: want \"%s\" in: %s", i, cases[i].want,
                     errors ? errors : "(loaded)");
        free(errors);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compute_ytd_two_months_and_exact_quarters),
        cmocka_unit_test(test_compute_like_for_like_bases),
        cmocka_unit_test(test_compute_time_functions_in_formulas),
        cmocka_unit_test(test_compute_base_options_refused),
        cmocka_unit_test(test_compute_rollup_coverage_stock_and_rate_of_sums),
        cmocka_unit_test(test_compute_growth_yoy_pop_ytd_annualised),
        cmocka_unit_test(test_compute_derived_budget_execution_8998),
        cmocka_unit_test(test_compute_index_methods_hand_computed),
        cmocka_unit_test(test_compute_contributions_sum_to_score_change),
        cmocka_unit_test(test_compute_invariants_base_100_minmax_range_ranks),
        cmocka_unit_test(test_compute_one_unit_and_all_equal),
        cmocka_unit_test(test_compute_query_score_at_least_75_by_stage),
        cmocka_unit_test(test_compute_incremental_marks_and_config_hash),
        cmocka_unit_test(test_compute_incremental_equals_full),
        cmocka_unit_test(test_compute_incremental_partial_equals_full),
        cmocka_unit_test(test_compute_partial_months_across_year_end),
        cmocka_unit_test(test_compute_recompute_defines_new_units),
        cmocka_unit_test(test_compute_partial_whole_years_with_quarters),
        cmocka_unit_test(test_compute_incremental_sweeps_stale_units),
        cmocka_unit_test(test_compute_full_in_place_equals_wiped),
        cmocka_unit_test(test_compute_unchanged_writes_no_row),
        cmocka_unit_test(test_compute_rewrites_each_changed_row_once),
        cmocka_unit_test(test_compute_results_migrated_from_v12_answer_the_same),
        cmocka_unit_test(test_compute_results_migrated_to_v16_rank_the_same),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
