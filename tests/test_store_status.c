/*
 * test_store_status.c - observations that are missing or carry a status,
 * with every vintage (schema version 10): a missing value is stored as NULL
 * and read as missing (never 0) by every reader, a change of status alone
 * is a revision, and the migration from version 7 keeps every row.
 *
 * White-box where it must be: raw rows are read through store_priv.h.
 */
#include <errno.h>
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
#include "store/store_priv.h"
#include "test_support.h"

/* ---- fixture: two units, one monthly indicator, one run ---- */

struct ctx {
    struct store *st;
    char dir[64], path[96];
    int64_t p01, p02, rev, run;
};

static int setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    ts_tmpdir(c->dir, sizeof(c->dir), "test_store_status");
    ts_path(c->path, sizeof(c->path), c->dir, "s.db");
    assert_int_equal(store_open(&c->st, c->path, 0, NULL, 0), 0);
    assert_int_equal(store_upsert_unit(c->st, "p01", "Park 1", NULL), 0);
    assert_int_equal(store_upsert_unit(c->st, "p02", "Park 2", NULL), 0);
    assert_int_equal(store_upsert_indicator(c->st, "revenue", "Revenue", "M", "flow"), 0);
    c->p01 = store_unit_id(c->st, "p01", 3);
    c->p02 = store_unit_id(c->st, "p02", 3);
    c->rev = store_indicator_id(c->st, "revenue", 7);
    assert_int_equal(store_run_begin(c->st, "test", "2023-01", 1, &c->run), 0);
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct ctx *c = *state;
    store_close(&c->st);
    ts_rmtree(c->dir);
    free(c);
    return 0;
}

static struct store_obs ob(int64_t unit, int64_t ind, int month, double v, const char *status,
                           int missing)
{
    return (struct store_obs){.unit_id = unit,
                              .indicator_id = ind,
                              .period = {2023, PERIOD_MONTH, month},
                              .value = v,
                              .status = status,
                              .missing = missing};
}

/* One text from sql on db ("(null)" for NULL). */
static void sql_text(sqlite3 *db, const char *sql, char *out, size_t size)
{
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    const unsigned char *t = sqlite3_column_text(s, 0);
    snprintf(out, size, "%s", t ? (const char *)t : "(null)");
    sqlite3_finalize(s);
}

/* Rows of a query as "period value status from to" lines ("-" for a
 * missing value or no status). */
struct text {
    char s[2048];
};

static int on_row(const struct store_obs_row *r, void *ctx)
{
    struct text *t = ctx;
    size_t used = strlen(t->s);
    char v[32];
    if (r->missing) {
        assert_true(isnan(r->value)); /* never 0 */
        snprintf(v, sizeof(v), "-");
    } else {
        snprintf(v, sizeof(v), "%g", r->value);
    }
    snprintf(t->s + used, sizeof(t->s) - used, "%s %s %s %lld %lld\n", r->period, v,
             r->status ? r->status : "-", (long long)r->valid_from, (long long)r->valid_to);
    return 0;
}

static const char *rows(struct store *st, struct store_obs_query q, struct text *t)
{
    t->s[0] = '\0';
    assert_int_equal(store_observations(st, &q, on_row, t), 0);
    return t->s;
}

/* ---- missing values ---- */

struct walked {
    int n, n_nan;
    double sum;
};

static int on_walk(int64_t unit, int64_t ind, const char *period, size_t len, double v, void *ctx)
{
    struct walked *w = ctx;
    (void)unit, (void)ind, (void)period, (void)len;
    w->n++;
    if (isnan(v))
        w->n_nan++;
    else
        w->sum += v;
    return 0;
}

static int on_column(int64_t ind, const char *period, size_t len, size_t n, const int64_t *units,
                     const double *values, void *ctx)
{
    (void)ind, (void)period, (void)len, (void)units;
    for (size_t i = 0; i < n; i++)
        on_walk(0, 0, "", 0, values[i], ctx);
    return 0;
}

static void test_missing_value_is_null_never_0(void **state)
{
    struct ctx *c = *state;
    struct store_counts k = {0};
    struct text t;
    char text[64];
    /* The value of a missing observation is ignored (5 here), not stored. */
    struct store_obs o[2] = {ob(c->p01, c->rev, 1, 5, NULL, 1), ob(c->p01, c->rev, 2, 7, NULL, 0)};

    assert_int_equal(store_ingest(c->st, c->run, 1000, o, 2, NULL, 0, &k), 0);
    assert_int_equal(k.n_new, 2);
    sql_text(c->st->db, "SELECT quote(value) FROM observation WHERE period = '2023-01'", text,
             sizeof(text));
    assert_string_equal(text, "NULL");
    assert_string_equal(rows(c->st, (struct store_obs_query){0}, &t), "2023-01 - - 1000 0\n"
                                                                      "2023-02 7 - 1000 0\n");

    /* The bulk readers: NAN for the missing value, in the walk and the copy. */
    struct walked w = {0};
    assert_int_equal(store_obs_walk_ids(c->st, 0, on_walk, &w), 0);
    assert_int_equal(w.n, 2);
    assert_int_equal(w.n_nan, 1);
    assert_true(w.sum == 7);
    w = (struct walked){0};
    assert_int_equal(store_obs_walk_ids(c->st, 1500, on_walk, &w), 0);
    assert_int_equal(w.n_nan, 1);
    w = (struct walked){0};
    assert_int_equal(store_obs_current(c->st, NULL, on_column, on_walk, &w), 0);
    assert_int_equal(w.n, 2);
    assert_int_equal(w.n_nan, 1);
    assert_true(w.sum == 7);

    /* Missing again: unchanged. Then 0, a value: a revision, and as of
     * before it the value is still missing. */
    memset(&k, 0, sizeof(k));
    assert_int_equal(store_ingest(c->st, c->run, 2000, o, 1, NULL, 0, &k), 0);
    assert_int_equal(k.n_unchanged, 1);
    o[0] = ob(c->p01, c->rev, 1, 0, NULL, 0);
    assert_int_equal(store_ingest(c->st, c->run, 3000, o, 1, NULL, 0, &k), 0);
    assert_int_equal(k.n_revised, 1);
    assert_string_equal(rows(c->st, (struct store_obs_query){.history = 1}, &t),
                        "2023-01 - - 1000 3000\n"
                        "2023-01 0 - 3000 0\n"
                        "2023-02 7 - 1000 0\n");
    assert_string_equal(rows(c->st, (struct store_obs_query){.as_of = 2999, .to = "2023-01"}, &t),
                        "2023-01 - - 1000 3000\n");
    /* And a value that goes missing is a revision too. */
    o[0] = ob(c->p01, c->rev, 2, 0, NULL, 1);
    assert_int_equal(store_ingest(c->st, c->run, 4000, o, 1, NULL, 0, &k), 0);
    assert_int_equal(k.n_revised, 2);
    assert_string_equal(rows(c->st, (struct store_obs_query){.from = "2023-02"}, &t),
                        "2023-02 - - 4000 0\n");
}

/* 64 rows take the fast path (one INSERT): every row's value, missingness
 * and status land where they belong. */
static void test_fast_path_binds_missing_and_status_per_row(void **state)
{
    struct ctx *c = *state;
    static const char *const codes[] = {NULL, "p", "E", ""};
    struct store_obs o[64];
    struct store_counts k = {0};
    char text[128];

    for (int i = 0; i < 64; i++)
        o[i] = (struct store_obs){.unit_id = i % 2 ? c->p02 : c->p01,
                                  .indicator_id = c->rev,
                                  .period = {1990 + i / 2, PERIOD_YEAR, 1},
                                  .value = i + 0.5,
                                  .status = codes[i % 4],
                                  .missing = i % 5 == 0};
    assert_int_equal(store_ingest(c->st, c->run, 1000, o, 64, NULL, 0, &k), 0);
    assert_int_equal(k.n_new, 64);
    /* missing: i = 0, 5, ..., 60 (13 rows); status "p": i = 1, 5, ... (16),
     * "E": i = 2, 6, ... (16); NULL and "" both none (32). */
    sql_text(c->st->db,
             "SELECT count(*) FILTER (WHERE value IS NULL) || ' ' ||"
             " count(*) FILTER (WHERE status = 'p') || ' ' ||"
             " count(*) FILTER (WHERE status = 'E') || ' ' ||"
             " count(*) FILTER (WHERE status IS NULL) || ' ' || sum(value) FROM observation",
             text, sizeof(text));
    /* sum of i + 0.5 over i = 0..63 without multiples of 5: 2048 - (0 + 5 + .. + 60) - 13 * 0.5 */
    assert_string_equal(text, "13 16 16 32 1651.5");
    sql_text(c->st->db,
             "SELECT group_concat(r, ' ') FROM (SELECT quote(value) || ':' || quote(status) AS r"
             " FROM observation WHERE period IN ('1990', '1992') ORDER BY period, unit_id)",
             text, sizeof(text));
    /* i = 0 (missing, no status), 1 ("p"), 4 (no status), 5 (missing, "p") */
    assert_string_equal(text, "NULL:NULL 1.5:'p' 4.5:NULL NULL:'p'");
    /* The same rows again: all unchanged ("" is still no status). */
    memset(&k, 0, sizeof(k));
    assert_int_equal(store_ingest(c->st, c->run, 2000, o, 64, NULL, 0, &k), 0);
    assert_int_equal(k.n_unchanged, 64);
}

/* ---- status ---- */

static void test_status_only_revision_is_a_new_vintage(void **state)
{
    struct ctx *c = *state;
    struct store_counts k = {0};
    struct text t;
    static const struct {
        int64_t at;
        const char *status;
        int missing;
    } steps[] = {
        {1000, "p", 0},  /* provisional */
        {2000, "p", 0},  /* the same: unchanged */
        {3000, NULL, 0}, /* final: a revision of the status alone */
        {4000, "", 0},   /* "" is no status: unchanged */
        {5000, "E", 0},  /* estimated */
        {6000, "e", 0},  /* codes are compared as published: "e" is not "E" */
        {7000, "e", 1},  /* missing now, with the same status */
    };

    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        struct store_obs o = ob(c->p01, c->rev, 1, 12.3, steps[i].status, steps[i].missing);
        assert_int_equal(store_ingest(c->st, c->run, steps[i].at, &o, 1, NULL, 0, &k), 0);
    }
    assert_int_equal(k.n_new, 1);
    assert_int_equal(k.n_unchanged, 2);
    assert_int_equal(k.n_revised, 4);
    assert_string_equal(rows(c->st, (struct store_obs_query){.history = 1}, &t),
                        "2023-01 12.3 p 1000 3000\n"
                        "2023-01 12.3 - 3000 5000\n"
                        "2023-01 12.3 E 5000 6000\n"
                        "2023-01 12.3 e 6000 7000\n"
                        "2023-01 - e 7000 0\n");
    /* As of before the status-only revision: the old status. */
    assert_string_equal(rows(c->st, (struct store_obs_query){.as_of = 2999}, &t),
                        "2023-01 12.3 p 1000 3000\n");
    assert_string_equal(rows(c->st, (struct store_obs_query){.as_of = 3000}, &t),
                        "2023-01 12.3 - 3000 5000\n");
}

static void test_status_too_long_is_einval_and_keeps_nothing(void **state)
{
    struct ctx *c = *state;
    char status[STORE_STATUS_MAX + 2];
    memset(status, 'x', sizeof(status) - 1);
    status[sizeof(status) - 1] = '\0';
    struct store_obs o[2] = {ob(c->p01, c->rev, 1, 1, "p", 0), ob(c->p02, c->rev, 1, 2, status, 0)};
    long rows = -1;

    assert_int_equal(store_ingest(c->st, c->run, 1000, o, 2, NULL, 0, NULL), -EINVAL);
    assert_non_null(strstr(store_errmsg(c->st), "observation 1: invalid status"));
    assert_int_equal(store_count_observations(c->st, &rows, NULL), 0);
    assert_int_equal(rows, 0);
    status[STORE_STATUS_MAX] = '\0'; /* the longest taken */
    assert_int_equal(store_ingest(c->st, c->run, 1000, o, 2, NULL, 0, NULL), 0);
}

/* ---- the engine: missing is missing, not 0 ---- */

struct pts {
    double v[4], cov[4];
    unsigned fl[4];
    int n;
};

static int on_point(const struct compute_point *pt, void *ctx)
{
    struct pts *p = ctx;
    if (p->n < 4) {
        p->v[p->n] = pt->value;
        p->cov[p->n] = pt->coverage;
        p->fl[p->n] = pt->flags;
        p->n++;
    }
    return 0;
}

static struct pts series(struct compute *cm, const char *unit, const char *period,
                         enum compute_transform tr)
{
    struct pts p = {.n = 0};
    assert_int_equal(compute_snapshot_series(cm, unit, "staff", period, period, tr, on_point, &p),
                     0);
    assert_int_equal(p.n, 1);
    return p;
}

/* Staff (a quarterly stock) of p1, p2, p3 under city (tests/data/compute/
 * series.json): 2022-Q1 100, 200, 50; 2023-Q1 110, missing, 60. */
static void test_compute_missing_is_not_rolled_up_as_0(void **state)
{
    (void)state;
    struct config *cfg = NULL;
    struct store *st = NULL;
    struct compute *cm = NULL;
    char dir[64], path[96], rel[256], cpath[512], *errors = NULL;
    int64_t run;

    ts_data_path(cpath, sizeof(cpath), ts_path(rel, sizeof(rel), "compute", "series.json"));
    if (config_load(cpath, &cfg, &errors) < 0)
        fail_msg("%s", errors ? errors : cpath);
    ts_tmpdir(dir, sizeof(dir), "test_store_status_compute");
    ts_path(path, sizeof(path), dir, "c.db");
    assert_int_equal(store_open(&st, path, 0, NULL, 0), 0);
    assert_int_equal(compute_sync_config(st, cfg), 0);
    int64_t ind = store_indicator_id(st, "staff", 5);
    static const struct {
        const char *unit;
        int year;
        double v;
        int missing;
    } data[] = {{"p1", 2022, 100, 0}, {"p2", 2022, 200, 0}, {"p3", 2022, 50, 0},
                {"p1", 2023, 110, 0}, {"p2", 2023, 0, 1},   {"p3", 2023, 60, 0}};
    struct store_obs o[6];
    for (size_t i = 0; i < 6; i++)
        o[i] = (struct store_obs){.unit_id = store_unit_id(st, data[i].unit, 2),
                                  .indicator_id = ind,
                                  .period = {data[i].year, PERIOD_QUARTER, 1},
                                  .value = data[i].v,
                                  .missing = data[i].missing};
    assert_int_equal(store_run_begin(st, "test", NULL, 1, &run), 0);
    assert_int_equal(store_ingest(st, run, 10, o, 6, NULL, 0, NULL), 0);

    /* Current values (the column copy) and as of a time (the table walk). */
    for (int as_of = 0; as_of <= 1; as_of++) {
        assert_int_equal(compute_open(&cm, st, cfg, as_of ? 20 : 0, NULL), 0);
        struct pts p = series(cm, "p2", "2023-Q1", COMPUTE_VALUE);
        assert_true(isnan(p.v[0]));
        assert_true(p.fl[0] & COMPUTE_FLAG_MISSING);
        /* growth from a missing value is missing, not -100 % */
        p = series(cm, "p2", "2023-Q1", COMPUTE_YOY);
        assert_true(isnan(p.v[0]));
        p = series(cm, "p1", "2023-Q1", COMPUTE_YOY);
        assert_near(p.v[0], 10, 1e-9);
        /* city = 110 + 60 over 2 of 3 units: incomplete, not 170 over 3 */
        p = series(cm, "city", "2023-Q1", COMPUTE_VALUE);
        assert_near(p.v[0], 170, 1e-9);
        assert_near(p.cov[0], 2.0 / 3.0, 1e-12);
        assert_true(p.fl[0] & COMPUTE_FLAG_INCOMPLETE);
        p = series(cm, "city", "2022-Q1", COMPUTE_VALUE);
        assert_near(p.v[0], 350, 1e-9);
        assert_near(p.cov[0], 1, 1e-12);
        compute_free(&cm);
    }
    store_close(&st);
    config_free(&cfg);
    ts_rmtree(dir);
}

/* ---- migration from version 7 ---- */

/* Loads tests/data/store/NAME.sql into a new database DIR/NAME.db (DIR a
 * fresh temporary directory named after TAG): its path in path. */
static sqlite3 *open_dump(const char *name, const char *tag, char *dir, size_t dsize, char *path,
                          size_t psize)
{
    char rel[256], dump[512], file[64];
    sqlite3 *db = NULL;
    size_t len;

    snprintf(file, sizeof(file), "%s.sql", name);
    ts_data_path(dump, sizeof(dump), ts_path(rel, sizeof(rel), "store", file));
    char *sql = ts_read_file(dump, &len);
    assert_non_null(sql);
    ts_tmpdir(dir, dsize, tag);
    snprintf(file, sizeof(file), "%s.db", name);
    ts_path(path, psize, dir, file);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    free(sql);
    return db;
}

/* Each time the first column of sql gives, a moment before it and after it:
 * into times[0..max), their count returned. */
static int vintage_times(sqlite3 *db, const char *sql, int64_t *times, int max)
{
    sqlite3_stmt *s = NULL;
    int nt = 0;

    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    while (sqlite3_step(s) == SQLITE_ROW && nt + 3 <= max) {
        int64_t v = sqlite3_column_int64(s, 0);
        times[nt++] = v - 1;
        times[nt++] = v;
        times[nt++] = v + 1;
    }
    sqlite3_finalize(s);
    return nt;
}

/* Schema 12: no second B-tree and no foreign keys on observation. */
static void assert_observation_alone(sqlite3 *db)
{
    char text[64];

    sql_text(db,
             "SELECT count(*) FROM sqlite_schema WHERE tbl_name = 'observation'"
             " AND type = 'index'",
             text, sizeof(text));
    assert_string_equal(text, "0");
    sql_text(db, "SELECT count(*) FROM pragma_foreign_key_list('observation')", text, sizeof(text));
    assert_string_equal(text, "0");
}

/* Every observation row, as text, on db. */
static void all_rows(sqlite3 *db, char *out, size_t size)
{
    sql_text(db,
             "SELECT group_concat(r, ' ') FROM (SELECT unit_id || ',' || indicator_id || ',' ||"
             " period || ',' || quote(value) || ',' || valid_from || ',' || quote(valid_to) ||"
             " ',' || quote(run_id) AS r FROM observation"
             " ORDER BY unit_id, indicator_id, period, valid_from)",
             out, size);
}

/* What was known as of t, read on the version 7 database by SQL (period
 * value valid_from valid_to lines, as on_row() writes them). */
static void as_of_v7(sqlite3 *db, int64_t t, char *out, size_t size)
{
    sqlite3_stmt *s = NULL;
    size_t used = 0;
    out[0] = '\0';
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT period, value, valid_from, valid_to"
                                        " FROM observation o JOIN unit u ON u.id = o.unit_id"
                                        " JOIN indicator i ON i.id = o.indicator_id"
                                        " WHERE valid_from <= ?1 AND (valid_to IS NULL OR"
                                        " ?1 < valid_to) ORDER BY u.code, i.code, period",
                                        -1, &s, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(s, 1, t);
    while (sqlite3_step(s) == SQLITE_ROW)
        used += (size_t)snprintf(out + used, size - used, "%s %g - %lld %lld\n",
                                 (const char *)sqlite3_column_text(s, 0),
                                 sqlite3_column_double(s, 1), (long long)sqlite3_column_int64(s, 2),
                                 (long long)sqlite3_column_int64(s, 3));
    sqlite3_finalize(s);
}

/*
 * tests/data/store/v7.sql is the .dump of a database written by parkstat
 * at schema version 7 (three imports with revisions, see its header):
 * after the migration every row and every as-of answer is the same, value
 * is nullable, status exists, and the key is kept (schema 12: without
 * obs_current and foreign keys).
 */
static void test_migration_from_v7_keeps_every_vintage(void **state)
{
    (void)state;
    char dir[64], path[96], text[1024];
    char before[4096], after[4096], want[2048];
    int64_t times[16];
    struct store *st = NULL;
    struct text t;

    sqlite3 *db = open_dump("v7", "test_store_status_v7", dir, sizeof(dir), path, sizeof(path));
    sql_text(db, "PRAGMA user_version", text, sizeof(text));
    assert_string_equal(text, "7");
    all_rows(db, before, sizeof(before));
    sql_text(db, "SELECT count(*) || ' ' || count(DISTINCT valid_from) FROM observation", text,
             sizeof(text));
    assert_string_equal(text, "10 3"); /* 5 + 3 + 2 rows from three imports */
    /* each vintage's start, and a moment before and after it */
    int nt = vintage_times(db, "SELECT DISTINCT valid_from FROM observation ORDER BY valid_from",
                           times, 16);
    assert_int_equal(nt, 9); /* three vintages */
    char(*asof)[2048] = calloc(9, sizeof(*asof));
    assert_non_null(asof);
    for (int i = 0; i < nt; i++)
        as_of_v7(db, times[i], asof[i], sizeof(asof[i]));
    sqlite3_close(db);

    assert_int_equal(store_open(&st, path, 0, NULL, 0), 0);
    assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
    all_rows(st->db, after, sizeof(after));
    assert_string_equal(after, before);
    for (int i = 0; i < nt; i++)
        assert_string_equal(rows(st, (struct store_obs_query){.as_of = times[i]}, &t), asof[i]);
    free(asof);
    /* the current values, worked out by hand from the three imports */
    snprintf(want, sizeof(want), "%s",
             "p1 firms 2023-Q1 3.0\np1 revenue 2023-01 13.0\np1 revenue 2023-02 0.1\n"
             "p2 firms 2023-Q1 1500.0\np2 firms 2023-Q2 1490.0\np2 revenue 2023-01 -4.25\n");
    sql_text(st->db,
             "SELECT group_concat(r, '') FROM (SELECT u.code || ' ' || i.code || ' ' ||"
             " o.period || ' ' || o.value || char(10) AS r FROM observation o"
             " JOIN unit u ON u.id = o.unit_id JOIN indicator i ON i.id = o.indicator_id"
             " WHERE o.valid_to IS NULL ORDER BY 1)",
             text, sizeof(text));
    assert_string_equal(text, want);
    sql_text(st->db,
             "SELECT group_concat(name || ':' || \"notnull\", ' ') FROM"
             " pragma_table_info('observation')",
             text, sizeof(text));
    assert_string_equal(text, "unit_id:1 indicator_id:1 period:1 value:0 valid_from:1 "
                              "valid_to:0 run_id:0 status:0");
    sql_text(st->db, "SELECT sql FROM sqlite_schema WHERE name = 'observation'", text,
             sizeof(text));
    assert_non_null(strstr(text, "PRIMARY KEY(unit_id, indicator_id, period, valid_from))"
                                 " WITHOUT ROWID"));
    assert_observation_alone(st->db);
    /* and the migrated table takes a missing value with a status */
    struct store_obs o = {.unit_id = store_unit_id(st, "p1", 2),
                          .indicator_id = store_indicator_id(st, "revenue", 7),
                          .period = {2023, PERIOD_MONTH, 2},
                          .status = "p",
                          .missing = 1};
    struct store_counts k = {0};
    assert_int_equal(store_ingest(st, 0, INT64_C(4000000000000000), &o, 1, NULL, 0, &k), 0);
    assert_int_equal(k.n_revised, 1);
    sql_text(st->db, "PRAGMA integrity_check", text, sizeof(text));
    assert_string_equal(text, "ok");
    store_close(&st);
    ts_rmtree(dir);
}

/* What was known as of t (every vintage when t is 0), read by SQL on the
 * database before its migration, as on_row() writes it (valid_to 0 for
 * none), in store_observations()' order. */
static void vintages_sql(sqlite3 *db, int64_t t, char *out, size_t size)
{
    sqlite3_stmt *s = NULL;
    size_t used = 0;
    out[0] = '\0';
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT period, value, status, valid_from,"
                                        " coalesce(valid_to, 0)"
                                        " FROM observation o JOIN unit u ON u.id = o.unit_id"
                                        " JOIN indicator i ON i.id = o.indicator_id"
                                        " WHERE ?1 = 0 OR (valid_from <= ?1 AND (valid_to IS NULL"
                                        " OR ?1 < valid_to))"
                                        " ORDER BY u.code, i.code, period, valid_from",
                                        -1, &s, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(s, 1, t);
    while (sqlite3_step(s) == SQLITE_ROW) {
        char v[32] = "-";
        if (sqlite3_column_type(s, 1) != SQLITE_NULL)
            snprintf(v, sizeof(v), "%g", sqlite3_column_double(s, 1));
        const char *status = (const char *)sqlite3_column_text(s, 2);
        used += (size_t)snprintf(out + used, size - used, "%s %s %s %lld %lld\n",
                                 (const char *)sqlite3_column_text(s, 0), v, status ? status : "-",
                                 (long long)sqlite3_column_int64(s, 3),
                                 (long long)sqlite3_column_int64(s, 4));
    }
    sqlite3_finalize(s);
}

/* Every row with its status, in key order. */
static void all_rows_status(sqlite3 *db, char *out, size_t size)
{
    sql_text(db,
             "SELECT group_concat(r, ' ') FROM (SELECT unit_id || ',' || indicator_id || ',' ||"
             " period || ',' || quote(value) || ',' || valid_from || ',' || quote(valid_to) ||"
             " ',' || quote(run_id) || ',' || quote(status) AS r FROM observation"
             " ORDER BY unit_id, indicator_id, period, valid_from)",
             out, size);
}

/*
 * tests/data/store/v11.sql is the .dump of a database written by main's
 * store at schema version 11 (revisions, a status-only revision, missing
 * values, two withdrawals, a key again after its withdrawal; see its
 * header). Migrated to 12: every row the same, every as-of answer and the
 * history the same through the store's reader, no obs_current index and no
 * foreign keys, and the store goes on ingesting with vintages.
 */
static void test_migration_from_v11_keeps_every_vintage(void **state)
{
    (void)state;
    char dir[64], path[96], text[1024];
    char before[4096], after[4096];
    int64_t times[32];
    struct store *st = NULL;
    struct text t;

    sqlite3 *db = open_dump("v11", "test_store_status_v11", dir, sizeof(dir), path, sizeof(path));
    sql_text(db, "PRAGMA user_version", text, sizeof(text));
    assert_string_equal(text, "11");
    sql_text(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'obs_current'", text,
             sizeof(text));
    assert_string_equal(text, "1");
    all_rows_status(db, before, sizeof(before));
    /* 7 + 4 + 3 + 1 rows by four ingests (the withdrawals close rows, add none) */
    sql_text(db,
             "SELECT count(*) || ' ' || count(valid_to) || ' ' || count(status) || ' ' ||"
             " (count(*) - count(value)) FROM observation",
             text, sizeof(text));
    assert_string_equal(text, "15 8 2 2");
    int nt = vintage_times(db,
                           "SELECT valid_from FROM observation UNION SELECT valid_to"
                           " FROM observation WHERE valid_to IS NOT NULL ORDER BY 1",
                           times, 32);
    assert_int_equal(nt, 12); /* 1, 2, 3 and 4 million */
    char(*asof)[2048] = calloc((size_t)nt + 1, sizeof(*asof));
    assert_non_null(asof);
    for (int i = 0; i < nt; i++)
        vintages_sql(db, times[i], asof[i], sizeof(asof[i]));
    vintages_sql(db, 0, asof[nt], sizeof(asof[nt]));
    sqlite3_close(db);

    assert_int_equal(store_open(&st, path, 0, NULL, 0), 0);
    assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
    all_rows_status(st->db, after, sizeof(after));
    assert_string_equal(after, before);
    for (int i = 0; i < nt; i++)
        assert_string_equal(rows(st, (struct store_obs_query){.as_of = times[i]}, &t), asof[i]);
    assert_string_equal(rows(st, (struct store_obs_query){.history = 1}, &t), asof[nt]);
    free(asof);
    /* worked out by hand from the header of v11.sql */
    assert_string_equal(rows(st, (struct store_obs_query){.unit = "p1"}, &t),
                        "2023-Q1 3 - 1000000 0\n"
                        "2023-Q2 4 - 2000000 0\n"
                        "2023 101 - 4000000 0\n"
                        "2023-01 10.5 e 4000000 0\n"
                        "2023-02 11 - 1000000 0\n"
                        "2023-03 - - 4000000 0\n");
    assert_string_equal(rows(st, (struct store_obs_query){.unit = "p2", .as_of = 2500000}, &t),
                        "2023-Q1 5 - 1000000 3000000\n"
                        "2023-01 20 - 2000000 4000000\n");
    assert_string_equal(rows(st, (struct store_obs_query){.unit = "p2"}, &t),
                        "2023-01 21 - 4000000 0\n");
    assert_observation_alone(st->db);
    /* the migrated store ingests: unchanged, revised, withdrawn key again, new */
    int64_t p1 = store_unit_id(st, "p1", 2), p2 = store_unit_id(st, "p2", 2);
    int64_t rev = store_indicator_id(st, "revenue", 7), firms = store_indicator_id(st, "firms", 5);
    struct store_obs o[] = {
        {p1, rev, {2023, PERIOD_MONTH, 2}, 11, NULL, 0},
        {p1, rev, {2023, PERIOD_MONTH, 3}, 13, NULL, 0},
        {p2, firms, {2023, PERIOD_QUARTER, 1}, 6, NULL, 0},
        {p2, rev, {2023, PERIOD_MONTH, 2}, 22, NULL, 0},
    };
    struct store_counts k = {0};
    assert_int_equal(store_ingest(st, 0, 5000000, o, 4, NULL, 0, &k), 0);
    assert_int_equal(k.n_unchanged, 1);
    assert_int_equal(k.n_revised, 1);
    assert_int_equal(k.n_new, 2);
    assert_string_equal(
        rows(st,
             (struct store_obs_query){
                 .unit = "p1", .indicator = "revenue", .from = "2023-03", .history = 1},
             &t),
        "2023-03 - - 1000000 2000000\n"
        "2023-03 12 - 2000000 4000000\n"
        "2023-03 - - 4000000 5000000\n"
        "2023-03 13 - 5000000 0\n");
    assert_string_equal(
        rows(st, (struct store_obs_query){.unit = "p2", .indicator = "firms", .history = 1}, &t),
        "2023-Q1 5 - 1000000 3000000\n"
        "2023-Q1 6 - 5000000 0\n");
    sql_text(st->db, "PRAGMA integrity_check", text, sizeof(text));
    assert_string_equal(text, "ok");
    sql_text(st->db,
             "SELECT count(*) FROM (SELECT 1 FROM observation WHERE valid_to IS NULL"
             " GROUP BY unit_id, indicator_id, period HAVING count(*) > 1)",
             text, sizeof(text));
    assert_string_equal(text, "0");
    store_close(&st);
    ts_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_missing_value_is_null_never_0, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fast_path_binds_missing_and_status_per_row, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_status_only_revision_is_a_new_vintage, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_status_too_long_is_einval_and_keeps_nothing, setup,
                                        teardown),
        cmocka_unit_test(test_compute_missing_is_not_rolled_up_as_0),
        cmocka_unit_test(test_migration_from_v7_keeps_every_vintage),
        cmocka_unit_test(test_migration_from_v11_keeps_every_vintage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
