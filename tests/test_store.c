/*
 * test_store.c - the SQLite store: schema and migrations, vintaged ingest,
 * as-of and history queries, all-or-nothing batches, rejects, definitions.
 *
 * White-box where it must be: a few tests reach the connection through
 * store_priv.h to read PRAGMAs, raw rows and query plans.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store/bookkeeping.h"
#include "store/components.h"
#include "store/observations.h"
#include "store/store_priv.h"
#include "test_support.h"

/* ---- fixtures ---- */

struct ctx {
    struct store *st;
    char dir[64];
    char path[96];
    int64_t p01, p02, rev, emp; /* unit and indicator ids */
    int64_t run;
};

static void make_path(struct ctx *c)
{
    ts_tmpdir(c->dir, sizeof(c->dir), "test_store");
    ts_path(c->path, sizeof(c->path), c->dir, "ps.db");
}

/* Two units, two indicators and one run. */
static void seed(struct ctx *c)
{
    assert_int_equal(store_upsert_unit(c->st, "city", "City", NULL), 0);
    assert_int_equal(store_upsert_unit(c->st, "p01", "Park 1", "city"), 0);
    assert_int_equal(store_upsert_unit(c->st, "p02", "Park 2", "city"), 0);
    assert_int_equal(store_upsert_indicator(c->st, "revenue", "Revenue", "M", "flow"), 0);
    assert_int_equal(store_upsert_indicator(c->st, "employees", "Employees", "M", "stock"), 0);
    c->p01 = store_unit_id(c->st, "p01", 3);
    c->p02 = store_unit_id(c->st, "p02", 3);
    c->rev = store_indicator_id(c->st, "revenue", 7);
    c->emp = store_indicator_id(c->st, "employees", 9);
    assert_true(c->p01 > 0 && c->p02 > 0 && c->rev > 0 && c->emp > 0);
    assert_int_equal(store_run_begin(c->st, "import:a.csv", "2023-01", 100, &c->run), 0);
}

static int setup_memory(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    char err[256];
    assert_non_null(c);
    assert_int_equal(store_open(&c->st, ":memory:", 0, err, sizeof(err)), 0);
    seed(c);
    *state = c;
    return 0;
}

static int setup_file(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    char err[256];
    assert_non_null(c);
    make_path(c);
    assert_int_equal(store_open(&c->st, c->path, 0, err, sizeof(err)), 0);
    seed(c);
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct ctx *c = *state;
    store_close(&c->st);
    assert_null(c->st);
    if (c->path[0])
        ts_rmtree(c->dir);
    free(c);
    return 0;
}

static struct store_obs obs(int64_t unit, int64_t ind, int year, int month, double v)
{
    return (struct store_obs){unit, ind, {year, PERIOD_MONTH, month}, v, NULL, 0};
}

/* ---- collecting query rows ---- */

struct row {
    char unit[16], indicator[16], period[8];
    double value;
    int64_t valid_from, valid_to;
};

struct rows {
    struct row v[32];
    size_t n;
};

static int collect(const struct store_obs_row *r, void *arg)
{
    struct rows *rs = arg;
    assert_true(rs->n < 32);
    struct row *o = &rs->v[rs->n++];
    snprintf(o->unit, sizeof(o->unit), "%s", r->unit);
    snprintf(o->indicator, sizeof(o->indicator), "%s", r->indicator);
    snprintf(o->period, sizeof(o->period), "%s", r->period);
    o->value = r->value;
    o->valid_from = r->valid_from;
    o->valid_to = r->valid_to;
    return 0;
}

static struct rows query(struct store *st, struct store_obs_query q)
{
    struct rows rs = {.n = 0};
    assert_int_equal(store_observations(st, &q, collect, &rs), 0);
    return rs;
}

static void assert_counts(struct store *st, long rows, long current)
{
    long r = -1, cur = -1;
    assert_int_equal(store_count_observations(st, &r, &cur), 0);
    assert_int_equal(r, rows);
    assert_int_equal(cur, current);
}

/* One value of a single-text-column query on the connection. */
static void sql_text(struct store *st, const char *sql, char *out, size_t size)
{
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(st->db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    const unsigned char *t = sqlite3_column_text(s, 0);
    snprintf(out, size, "%s", t ? (const char *)t : "(null)");
    sqlite3_finalize(s);
}

/* Creates a plain SQLite file with the given user_version (and one table). */
static void make_raw_db(const char *path, int version)
{
    sqlite3 *db = NULL;
    char sql[96];
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    snprintf(sql, sizeof(sql), "CREATE TABLE t(x); PRAGMA user_version = %d;", version);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* ---- schema and open ---- */

static void test_open_memory_creates_current_schema_version(void **state)
{
    struct ctx *c = *state;
    char mode[16];
    assert_int_equal(store_schema_version(c->st), STORE_SCHEMA_VERSION);
    assert_int_equal(STORE_SCHEMA_VERSION, 16);
    sql_text(c->st, "PRAGMA foreign_keys", mode, sizeof(mode));
    assert_string_equal(mode, "1");
    assert_counts(c->st, 0, 0);
}

static void test_open_file_uses_wal_and_reopen_does_not_migrate(void **state)
{
    struct ctx *c = *state;
    char text[32];
    char err[256];

    sql_text(c->st, "PRAGMA journal_mode", text, sizeof(text));
    assert_string_equal(text, "wal");
    sql_text(c->st, "PRAGMA synchronous", text, sizeof(text));
    assert_string_equal(text, "1"); /* NORMAL */
    int64_t p01 = c->p01;
    store_close(&c->st);

    /* A second migration would fail on CREATE TABLE unit: reopening works,
     * keeps the rows, and loads the look-up maps from the tables. */
    assert_int_equal(store_open(&c->st, c->path, 0, err, sizeof(err)), 0);
    assert_int_equal(store_schema_version(c->st), STORE_SCHEMA_VERSION);
    assert_int_equal(store_unit_id(c->st, "p01", 3), p01);
    assert_true(store_indicator_id(c->st, "revenue", 7) > 0);
    store_close(&c->st);

    assert_int_equal(store_open(&c->st, c->path, STORE_READONLY, err, sizeof(err)), 0);
    assert_int_equal(store_unit_id(c->st, "p01", 3), p01);
    assert_int_equal(store_upsert_indicator(c->st, "x", "X", "M", "flow"), -EIO);
    assert_non_null(strstr(store_errmsg(c->st), "readonly"));
}

static void test_open_newer_schema_is_refused(void **state)
{
    (void)state;
    struct ctx c = {0};
    struct store *st = (struct store *)&c; /* must be reset to NULL */
    char err[256];

    make_path(&c);
    make_raw_db(c.path, 99);
    assert_int_equal(store_open(&st, c.path, 0, err, sizeof(err)), -EPROTO);
    assert_null(st);
    assert_string_equal(err,
                        "database schema version 99 is newer than this parkstat (supports 16)");
    assert_int_equal(store_open(&st, c.path, STORE_READONLY, err, sizeof(err)), -EPROTO);
    ts_rmtree(c.dir);
}

static void test_open_readonly_old_schema_needs_migration(void **state)
{
    (void)state;
    struct ctx c = {0};
    struct store *st = NULL;
    char err[256];

    make_path(&c);
    make_raw_db(c.path, 0);
    assert_int_equal(store_open(&st, c.path, STORE_READONLY, err, sizeof(err)), -EROFS);
    assert_non_null(strstr(err, "needs migration"));
    /* Read-write migrates it; then read-only opens. */
    assert_int_equal(store_open(&st, c.path, 0, err, sizeof(err)), 0);
    store_close(&st);
    assert_int_equal(store_open(&st, c.path, STORE_READONLY, err, sizeof(err)), 0);
    assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
    store_close(&st);
    ts_rmtree(c.dir);
}

/* Migration 3 replaces the result and contribution tables by one result row
 * per (index, period, unit) and forgets the config hashes, so the next
 * recompute of every index is a full one. Migration 4 marks every unit with
 * observations for the column copy; migration 5 adds run.pid, 6 index_weight. */
static void test_open_migration_3_drops_results_and_hashes(void **state)
{
    (void)state;
    struct ctx c = {0};
    struct store *st = NULL;
    sqlite3 *db = NULL;
    char err[256], text[128];

    make_path(&c);
    assert_int_equal(sqlite3_open(c.path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE TABLE unit(id INTEGER PRIMARY KEY, code TEXT);"
                                  "CREATE TABLE indicator(id INTEGER PRIMARY KEY, code TEXT);"
                                  "CREATE TABLE run(id INTEGER PRIMARY KEY, ended_at INTEGER);"
                                  "CREATE TABLE result(index_id, node, unit_id, period, score);"
                                  "INSERT INTO result VALUES('ix', 'ix', 1, '2024', 50);"
                                  "CREATE TABLE contribution(index_id, unit_id, period, indicator);"
                                  "CREATE TABLE index_state(index_id TEXT PRIMARY KEY,"
                                  " config_hash TEXT NOT NULL, computed_at INTEGER);"
                                  "INSERT INTO index_state VALUES('ix', '0123456789abcdef', 7);"
                                  "CREATE TABLE observation(unit_id, indicator_id, period, value,"
                                  " valid_from, valid_to, run_id);"
                                  "INSERT INTO observation VALUES(5, 1, '2024', 1, 0, NULL, NULL);"
                                  "INSERT INTO observation VALUES(5, 1, '2023', 1, 0, NULL, NULL);"
                                  "INSERT INTO observation VALUES(9, 1, '2024', 1, 0, 3, NULL);"
                                  "PRAGMA user_version = 2;",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(store_open(&st, c.path, 0, err, sizeof(err)), 0);
    assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
    sql_text(st, "SELECT group_concat(unit_id, ' ') FROM obs_touched", text, sizeof(text));
    assert_string_equal(text, "5 9");
    sql_text(st, "SELECT count(*) FROM index_state", text, sizeof(text));
    assert_string_equal(text, "0");
    sql_text(st, "SELECT count(*) FROM result", text, sizeof(text));
    assert_string_equal(text, "0");
    sql_text(st, "SELECT count(*) FROM sqlite_schema WHERE name = 'contribution'", text,
             sizeof(text));
    assert_string_equal(text, "0");
    sql_text(st, "SELECT group_concat(name, ' ') FROM pragma_table_info('result')", text,
             sizeof(text));
    assert_string_equal(text, "index_id period unit_id score rank rank_change flags nodes "
                              "contribs computed_at");
    store_close(&st);
    ts_rmtree(c.dir);
}

static void test_open_readonly_missing_file_fails(void **state)
{
    (void)state;
    struct store *st = NULL;
    char err[256];
    assert_int_equal(
        store_open(&st, "/tmp/test_store_missing_dir/x.db", STORE_READONLY, err, sizeof(err)),
        -ENOENT);
    assert_null(st);
    assert_non_null(strstr(err, "/tmp/test_store_missing_dir/x.db"));
}

/* ---- look-ups ---- */

static void test_lookup_takes_length_and_rejects_unknown(void **state)
{
    struct ctx *c = *state;
    assert_int_equal(store_unit_id(c->st, "p01xyz", 3), c->p01);
    assert_int_equal(store_unit_id(c->st, "p0", 2), -1);
    assert_int_equal(store_unit_id(c->st, "p011", 4), -1);
    assert_int_equal(store_unit_id(c->st, "", 0), -1);
    assert_int_equal(store_indicator_id(c->st, "revenue", 7), c->rev);
    assert_int_equal(store_indicator_id(c->st, "p01", 3), -1);
    /* Unknown parent: refused, nothing inserted. */
    assert_int_equal(store_upsert_unit(c->st, "p03", "Park 3", "nowhere"), -ENOENT);
    assert_int_equal(store_unit_id(c->st, "p03", 3), -1);
    /* Rename keeps the id. */
    assert_int_equal(store_upsert_unit(c->st, "p01", "Park One", "city"), 0);
    assert_int_equal(store_unit_id(c->st, "p01", 3), c->p01);
}

/* ---- ingest ---- */

struct rejects {
    struct store_reject_row v[8];
    char text[8][3][48]; /* copies of source, raw, reason */
    size_t n;
};

static int collect_reject(const struct store_reject_row *r, void *arg)
{
    struct rejects *rs = arg;
    assert_true(rs->n < 8);
    rs->v[rs->n] = *r;
    snprintf(rs->text[rs->n][0], 48, "%s", r->source);
    snprintf(rs->text[rs->n][1], 48, "%s", r->raw ? r->raw : "(null)");
    snprintf(rs->text[rs->n][2], 48, "%s", r->reason);
    rs->n++;
    return 0;
}

static size_t count_rejects(struct store *st, int64_t run, const char *source)
{
    struct rejects rs = {.n = 0};
    assert_int_equal(store_rejects(st, run, source, collect_reject, &rs), 0);
    return rs.n;
}

static void ingest3(struct ctx *c, int64_t now, double a, double b, double d,
                    struct store_counts *k)
{
    struct store_obs o[3] = {
        obs(c->p01, c->rev, 2023, 1, a),
        obs(c->p01, c->rev, 2023, 2, b),
        obs(c->p02, c->emp, 2023, 1, d),
    };
    assert_int_equal(store_ingest(c->st, c->run, now, o, 3, NULL, 0, k), 0);
}

static void test_ingest_new_keys_counts_new(void **state)
{
    struct ctx *c = *state;
    struct store_counts k = {0};
    ingest3(c, 1000, 1.5, 2.5, 40, &k);
    assert_int_equal(k.n_new, 3);
    assert_int_equal(k.n_revised + k.n_unchanged + k.n_rejected, 0);
    assert_counts(c->st, 3, 3);
    struct rows r = query(c->st, (struct store_obs_query){0});
    assert_int_equal(r.n, 3);
    /* Ordered by unit, indicator, period. */
    assert_string_equal(r.v[0].unit, "p01");
    assert_string_equal(r.v[0].period, "2023-01");
    assert_true(r.v[0].value == 1.5);
    assert_string_equal(r.v[1].period, "2023-02");
    assert_string_equal(r.v[2].unit, "p02");
    assert_string_equal(r.v[2].indicator, "employees");
    assert_int_equal(r.v[2].valid_from, 1000);
    assert_int_equal(r.v[2].valid_to, 0);
}

static void test_ingest_identical_value_adds_no_vintage(void **state)
{
    struct ctx *c = *state;
    struct store_counts k = {0};
    ingest3(c, 1000, 1.5, 2.5, 40, NULL);
    ingest3(c, 2000, 1.5, 2.5, 40, &k);
    assert_int_equal(k.n_unchanged, 3);
    assert_int_equal(k.n_new + k.n_revised, 0);
    assert_counts(c->st, 3, 3);
    struct rows r = query(c->st, (struct store_obs_query){.history = 1});
    assert_int_equal(r.n, 3);
    assert_int_equal(r.v[0].valid_from, 1000);
}

static void test_ingest_changed_value_creates_vintage(void **state)
{
    struct ctx *c = *state;
    struct store_counts k = {0};
    ingest3(c, 1000, 1.5, 2.5, 40, NULL);
    ingest3(c, 2000, 1.5, 2.75, 40, &k);
    assert_int_equal(k.n_revised, 1);
    assert_int_equal(k.n_unchanged, 2);
    assert_int_equal(k.n_new, 0);
    assert_counts(c->st, 4, 3);

    struct rows h = query(c->st, (struct store_obs_query){.unit = "p01",
                                                          .indicator = "revenue",
                                                          .from = "2023-02",
                                                          .to = "2023-02",
                                                          .history = 1});
    assert_int_equal(h.n, 2);
    assert_true(h.v[0].value == 2.5);
    assert_int_equal(h.v[0].valid_from, 1000);
    assert_int_equal(h.v[0].valid_to, 2000);
    assert_true(h.v[1].value == 2.75);
    assert_int_equal(h.v[1].valid_from, h.v[0].valid_to);
    assert_int_equal(h.v[1].valid_to, 0);

    /* The default query sees only current values: the revised one. */
    struct rows cur = query(c->st, (struct store_obs_query){0});
    assert_int_equal(cur.n, 3);
    assert_string_equal(cur.v[1].period, "2023-02");
    assert_true(cur.v[1].value == 2.75);
    assert_int_equal(cur.v[1].valid_from, 2000);
}

static void test_as_of_sees_the_value_known_then(void **state)
{
    struct ctx *c = *state;
    static const struct {
        int64_t as_of;
        size_t n;     /* rows for p01 revenue 2023-02 */
        double value; /* when n == 1 */
    } cases[] = {
        {999, 0, 0}, {1000, 1, 2.5}, {1999, 1, 2.5}, {2000, 1, 2.75}, {5000, 1, 2.75},
    };
    ingest3(c, 1000, 1.5, 2.5, 40, NULL);
    ingest3(c, 2000, 1.5, 2.75, 40, NULL);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct rows r = query(c->st, (struct store_obs_query){.unit = "p01",
                                                              .indicator = "revenue",
                                                              .from = "2023-02",
                                                              .as_of = cases[i].as_of});
        assert_int_equal(r.n, cases[i].n);
        if (r.n == 1)
            assert_true(r.v[0].value == cases[i].value);
    }
}

static void test_ingest_is_all_or_nothing(void **state)
{
    struct ctx *c = *state;
    struct store_counts k = {0};
    struct store_obs o[3] = {
        obs(c->p01, c->rev, 2023, 3, 7),
        obs(c->p01, c->rev, 2023, 1, 9), /* a revision, also undone */
        obs(999, c->rev, 2023, 3, 8),    /* no such unit */
    };
    struct store_reject rej = {4, "p9,revenue,2023-03,x", "bad value"};

    ingest3(c, 1000, 1.5, 2.5, 40, NULL);
    assert_int_equal(store_ingest(c->st, c->run, 2000, o, 3, &rej, 1, &k), -EINVAL);
    assert_string_equal(store_errmsg(c->st), "observation 2: no unit with id 999");
    assert_int_equal(k.n_new + k.n_revised + k.n_unchanged + k.n_rejected, 0);
    assert_counts(c->st, 3, 3);
    struct rows r =
        query(c->st, (struct store_obs_query){.unit = "p01", .from = "2023-01", .to = "2023-01"});
    assert_int_equal(r.n, 1);
    assert_true(r.v[0].value == 1.5);
    assert_int_equal(count_rejects(c->st, 0, NULL), 0);
    /* The connection is usable after the rollback. */
    ingest3(c, 3000, 1.5, 2.5, 41, &k);
    assert_int_equal(k.n_revised, 1);
}

static void test_rejects_listed_by_run_and_source(void **state)
{
    struct ctx *c = *state;
    struct store_counts k = {0};
    int64_t run2 = 0;
    struct store_reject r1[2] = {
        {7, "p01,revnue,2023-01,5", "unknown indicator \"revnue\""},
        {3, NULL, "missing value"},
    };
    struct store_reject r2 = {1, "x", "bad period"};
    struct rejects rs = {.n = 0};

    assert_int_equal(store_ingest(c->st, c->run, 1000, NULL, 0, r1, 2, &k), 0);
    assert_int_equal(k.n_rejected, 2);
    assert_int_equal(store_run_begin(c->st, "fetch:parks", "2023-02", 200, &run2), 0);
    assert_int_equal(store_ingest(c->st, run2, 1000, NULL, 0, &r2, 1, &k), 0);
    assert_int_equal(k.n_rejected, 3);

    /* One run: by position. */
    assert_int_equal(store_rejects(c->st, c->run, NULL, collect_reject, &rs), 0);
    assert_int_equal(rs.n, 2);
    assert_int_equal(rs.v[0].position, 3);
    assert_string_equal(rs.text[0][1], "(null)");
    assert_string_equal(rs.text[0][2], "missing value");
    assert_int_equal(rs.v[1].position, 7);
    assert_string_equal(rs.text[1][1], "p01,revnue,2023-01,5");
    assert_string_equal(rs.text[1][2], "unknown indicator \"revnue\"");
    assert_string_equal(rs.text[1][0], "import:a.csv");

    /* By source, and all runs newest first. */
    assert_int_equal(count_rejects(c->st, 0, "fetch:parks"), 1);
    assert_int_equal(count_rejects(c->st, 0, "import:a.csv"), 2);
    assert_int_equal(count_rejects(c->st, 0, "nothing"), 0);
    assert_int_equal(count_rejects(c->st, c->run, "import:a.csv"), 2);
    assert_int_equal(count_rejects(c->st, c->run, "fetch:parks"), 0);
    rs.n = 0;
    assert_int_equal(store_rejects(c->st, 0, NULL, collect_reject, &rs), 0);
    assert_int_equal(rs.n, 3);
    assert_int_equal(rs.v[0].run_id, run2);
    assert_string_equal(rs.text[0][2], "bad period");
}

/* Rejects of a GBK payload keep their bytes: not valid UTF-8, they come back
 * hex-escaped (every byte above 0x7F \xNN, a backslash doubled; E3 B6 AB
 * alone would be valid UTF-8 and is escaped too); valid UTF-8 comes unchanged. */
static void test_rejects_not_utf8_are_hex_escaped(void **state)
{
    struct ctx *c = *state;
    struct store_counts k = {0};
    struct store_reject r[2] = {
        {1, "\xb9\xe3\xb6\xab,rev\\x,5", "unknown unit \"\xb9\xe3\xb6\xab\" \xff"},
        {2, "园区\\1,rev,5", "unknown unit \"园区\\1\""},
    };
    struct rejects rs = {.n = 0};

    assert_int_equal(store_ingest(c->st, c->run, 1000, NULL, 0, r, 2, &k), 0);
    assert_int_equal(store_rejects(c->st, c->run, NULL, collect_reject, &rs), 0);
    assert_int_equal(rs.n, 2);
    assert_string_equal(rs.text[0][1], "\\xB9\\xE3\\xB6\\xAB,rev\\\\x,5");
    assert_string_equal(rs.text[0][2], "unknown unit \"\\xB9\\xE3\\xB6\\xAB\" \\xFF");
    assert_string_equal(rs.text[1][1], "园区\\1,rev,5");
    assert_string_equal(rs.text[1][2], "unknown unit \"园区\\1\"");
    /* A page of rejects (the API's) hands them out the same. */
    struct rejects pg = {.n = 0};
    const struct store_reject_query q = {.limit = 1};
    assert_int_equal(store_rejects_page(c->st, &q, collect_reject, &pg), 0);
    assert_int_equal(pg.n, 1);
    assert_string_equal(pg.text[0][1], "\\xB9\\xE3\\xB6\\xAB,rev\\\\x,5");
    /* The bytes themselves are stored. */
    char text[64];
    sql_text(c->st, "SELECT hex(raw) FROM reject WHERE position = 1", text, sizeof(text));
    assert_string_equal(text, "B9E3B6AB2C7265765C782C35");
}

static void test_period_filters_are_inclusive(void **state)
{
    struct ctx *c = *state;
    struct store_obs o[12];
    static const struct {
        const char *from, *to;
        size_t n;
        double first;
    } cases[] = {
        {NULL, NULL, 12, 1},     {"2023-03", "2023-05", 3, 3}, {"2023-11", NULL, 2, 11},
        {NULL, "2023-02", 2, 1}, {"2023-06", "2023-06", 1, 6}, {"2024-01", NULL, 0, 0},
    };
    for (int m = 1; m <= 12; m++)
        o[m - 1] = obs(c->p01, c->rev, 2023, m, m);
    assert_int_equal(store_ingest(c->st, c->run, 1000, o, 12, NULL, 0, NULL), 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct rows r = query(c->st, (struct store_obs_query){
                                         .unit = "p01", .from = cases[i].from, .to = cases[i].to});
        assert_int_equal(r.n, cases[i].n);
        if (r.n)
            assert_true(r.v[0].value == cases[i].first);
        for (size_t j = 1; j < r.n; j++)
            assert_true(strcmp(r.v[j - 1].period, r.v[j].period) < 0);
    }
}

static void test_same_microsecond_reingest_keeps_order(void **state)
{
    struct ctx *c = *state;
    struct store_counts k = {0};
    struct store_obs a = obs(c->p01, c->rev, 2023, 1, 1);
    struct store_obs b = obs(c->p01, c->rev, 2023, 1, 2);
    struct store_obs d = obs(c->p01, c->rev, 2023, 1, 3);
    struct store_obs twice[2] = {obs(c->p02, c->rev, 2023, 1, 5), obs(c->p02, c->rev, 2023, 1, 6)};

    assert_int_equal(store_ingest(c->st, c->run, 1000, &a, 1, NULL, 0, &k), 0);
    assert_int_equal(store_ingest(c->st, c->run, 1000, &b, 1, NULL, 0, &k), 0); /* same us */
    assert_int_equal(store_ingest(c->st, c->run, 500, &d, 1, NULL, 0, &k), 0);  /* clock back */
    assert_int_equal(store_ingest(c->st, c->run, 1000, twice, 2, NULL, 0, &k), 0);
    assert_int_equal(k.n_new, 2);
    assert_int_equal(k.n_revised, 3);

    struct rows h = query(c->st, (struct store_obs_query){.history = 1});
    assert_int_equal(h.n, 5);
    static const struct {
        double value;
        int64_t from, to;
    } want[] = {{1, 1000, 1001}, {2, 1001, 1002}, {3, 1002, 0}, {5, 1000, 1001}, {6, 1001, 0}};
    for (size_t i = 0; i < 5; i++) {
        assert_true(h.v[i].value == want[i].value);
        assert_int_equal(h.v[i].valid_from, want[i].from);
        assert_int_equal(h.v[i].valid_to, want[i].to);
    }
}

static void test_ingest_invalid_period_is_einval(void **state)
{
    struct ctx *c = *state;
    struct store_obs o[2] = {obs(c->p01, c->rev, 2023, 1, 1), obs(c->p01, c->rev, 2023, 13, 1)};
    assert_int_equal(store_ingest(c->st, c->run, 1000, o, 2, NULL, 0, NULL), -EINVAL);
    assert_counts(c->st, 0, 0);
    o[1] = (struct store_obs){c->p01, c->rev, {2023, PERIOD_QUARTER, 3}, 1, NULL, 0};
    assert_int_equal(store_ingest(c->st, c->run, 1000, o, 2, NULL, 0, NULL), 0);
    struct rows r = query(c->st, (struct store_obs_query){0});
    assert_int_equal(r.n, 2);
    assert_string_equal(r.v[1].period, "2023-Q3");
}

static int stop_after_first(const struct store_obs_row *r, void *arg)
{
    (void)r;
    ++*(int *)arg;
    return 42;
}

static void test_run_end_and_callback_stop(void **state)
{
    struct ctx *c = *state;
    struct store_counts k = {1, 2, 3, 4};
    char text[64];
    int calls = 0;

    assert_int_equal(store_run_end(c->st, c->run, 900, "ok", &k, NULL), 0);
    sql_text(c->st,
             "SELECT outcome || ',' || ended_at || ',' || n_new || n_revised ||"
             " n_unchanged || n_rejected || ',' || coalesce(error, '-') FROM run",
             text, sizeof(text));
    assert_string_equal(text, "ok,900,1234,-");
    assert_int_equal(store_run_end(c->st, 12345, 900, "ok", NULL, NULL), -ENOENT);

    ingest3(c, 1000, 1, 2, 3, NULL);
    assert_int_equal(store_observations(c->st, NULL, stop_after_first, &calls), 42);
    assert_int_equal(calls, 1);
}

/* Records the SQL of every statement the connection runs. */
static int trace_sql(unsigned type, void *arg, void *p, void *x)
{
    (void)type;
    (void)x;
    snprintf(arg, 1024, "%s", sqlite3_sql(p));
    return 0;
}

static void test_unit_indicator_query_searches_not_scans(void **state)
{
    struct ctx *c = *state;
    char sql[1024] = "";
    char plan[2048] = "";
    sqlite3_stmt *s = NULL;
    struct store_obs_query qs[] = {
        {.unit = "p01", .indicator = "revenue"},
        {.unit = "p01", .indicator = "revenue", .history = 1},
        {.unit = "p01", .indicator = "revenue", .from = "2023-01", .as_of = 5},
        /* an API page: from the cursor's unit on by the code index, never a
         * scan and sort of the whole table */
        {.after_unit = "p01", .after_indicator = "revenue", .after_period = "2023-01", .limit = 10},
        {.indicator = "revenue", .after_unit = "p01", .after_period = "2023-01", .limit = 10},
    };

    for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
        struct rows r;
        sqlite3_trace_v2(c->st->db, SQLITE_TRACE_STMT, trace_sql, sql);
        r = query(c->st, qs[i]);
        sqlite3_trace_v2(c->st->db, 0, NULL, NULL);
        assert_int_equal(r.n, 0);
        assert_non_null(strstr(sql, "observation o"));

        char eqp[1100];
        snprintf(eqp, sizeof(eqp), "EXPLAIN QUERY PLAN %s", sql);
        assert_int_equal(sqlite3_prepare_v2(c->st->db, eqp, -1, &s, NULL), SQLITE_OK);
        plan[0] = '\0';
        while (sqlite3_step(s) == SQLITE_ROW) {
            size_t used = strlen(plan);
            snprintf(plan + used, sizeof(plan) - used, "%s\n", sqlite3_column_text(s, 3));
        }
        sqlite3_finalize(s);
        assert_null(strstr(plan, "SCAN o"));
        assert_non_null(strstr(plan, "SEARCH o"));
        assert_null(strstr(plan, "TEMP B-TREE")); /* rows in order, no sort */
    }
}

/* ---- store_define(): plain definitions ---- */

static const struct store_unit_attr p01_attrs[] = {{"type", "national"}, {"stage", "a\"b"}};
static const struct store_unit_def def_units[] = {
    /* A child before its parent. */
    {"p01", "江北新区高新园", "city", p01_attrs, 2},
    {"city", "City", NULL, NULL, 0},
};
static const struct store_indicator_def def_indicators[] = {
    {.code = "revenue",
     .name = "营业收入",
     .measure = "亿元",
     .frequency = "M",
     .kind = "flow",
     .cumulative = 1,
     .direction = 1,
     .decimals = 2,
     .scale = 1},
    {.code = "rd_int",
     .name = "研发投入强度",
     .measure = "%",
     .frequency = "Q",
     .kind = "rate",
     .direction = -1,
     .decimals = 1,
     .formula = "rd / revenue * 100",
     .numerator = "rd",
     .denominator = "revenue",
     .scale = 100},
};

static void test_define_upserts_units_and_indicators(void **state)
{
    struct ctx *c = *state;
    char text[160];

    /* p01 exists already (from seed) with another name and no attributes. */
    assert_int_equal(store_define(c->st, def_units, 2, def_indicators, 2), 0);
    assert_int_equal(store_unit_id(c->st, "p01", 3), c->p01);
    assert_int_equal(store_unit_id(c->st, "p02", 3), c->p02); /* kept */
    sql_text(c->st,
             "SELECT u.name || '|' || p.code || '|' || u.attributes FROM unit u"
             " JOIN unit p ON p.id = u.parent_id WHERE u.code = 'p01'",
             text, sizeof(text));
    assert_string_equal(text, "江北新区高新园|city|{\"type\":\"national\",\"stage\":\"a\\\"b\"}");
    sql_text(
        c->st,
        "SELECT frequency || kind || cumulative || direction || decimals || formula"
        " || numerator || denominator || measure || scale FROM indicator WHERE code = 'rd_int'",
        text, sizeof(text));
    assert_string_equal(text, "Qrate0-11rd / revenue * 100rdrevenue%100.0");
    assert_true(store_indicator_id(c->st, "rd_int", 6) > 0);
    /* The same definitions again change nothing. */
    assert_int_equal(store_define(c->st, def_units, 2, def_indicators, 2), 0);
    sql_text(c->st, "SELECT count(*) || ',' || (SELECT count(*) FROM indicator) FROM unit", text,
             sizeof(text));
    assert_string_equal(text, "3,3");

    /* Units stored as defined are not written again (their rows untouched:
     * changes() counts none of them); a renamed or moved one is. */
    static const struct store_unit_def plain[] = {{"city", "City", NULL, NULL, 0},
                                                  {"p03", "P3", "city", NULL, 0}};
    assert_int_equal(store_define(c->st, plain, 2, def_indicators, 1), 0);
    sql_text(c->st, "SELECT total_changes()", text, sizeof(text));
    long before = strtol(text, NULL, 10);
    assert_int_equal(store_define(c->st, plain, 2, def_indicators, 1), 0);
    sql_text(c->st, "SELECT total_changes()", text, sizeof(text));
    assert_int_equal(strtol(text, NULL, 10) - before, 1); /* the indicator only */
    static const struct store_unit_def moved[] = {{"p03", "P3 renamed", "p01", NULL, 0}};
    assert_int_equal(store_define(c->st, moved, 1, def_indicators, 1), 0);
    sql_text(c->st,
             "SELECT u.name || '|' || p.code FROM unit u JOIN unit p ON p.id = u.parent_id"
             " WHERE u.code = 'p03'",
             text, sizeof(text));
    assert_string_equal(text, "P3 renamed|p01");
    static const struct store_unit_def root[] = {{"p03", "P3 renamed", NULL, NULL, 0}};
    assert_int_equal(store_define(c->st, root, 1, def_indicators, 1), 0);
    sql_text(c->st, "SELECT coalesce(parent_id, 'root') FROM unit WHERE code = 'p03'", text,
             sizeof(text));
    assert_string_equal(text, "root");

    /* An unknown parent refuses the whole call: the new unit is not kept. */
    static const struct store_unit_def orphan[] = {{"p09", "P9", "nowhere", NULL, 0}};
    assert_int_equal(store_define(c->st, orphan, 1, def_indicators, 1), -ENOENT);
    assert_true(store_unit_id(c->st, "p09", 3) < 0);
    sql_text(c->st, "SELECT count(*) FROM unit WHERE code = 'p09'", text, sizeof(text));
    assert_string_equal(text, "0");
}

/* The components a mapping leaves out, per (source, unit, indicator): the
 * first are kept, the same again or with a new id pass (the new id is
 * added), a differing code is a conflict naming it, per source and key. */
static void test_components_checked_across_pulls(void **state)
{
    struct ctx *c = *state;
    char note[128] = "";

    assert_int_equal(store_components_check(c->st, "ilo", c->p01, c->emp,
                                            "SEX=M\x1fUNIT_MEASURE=PS\x1f", note, sizeof(note)),
                     0);
    assert_int_equal(store_components_check(c->st, "ilo", c->p01, c->emp,
                                            "SEX=M\x1fUNIT_MEASURE=PS\x1f", note, sizeof(note)),
                     0);
    assert_int_equal(store_components_check(c->st, "ilo", c->p01, c->emp,
                                            "SEX=F\x1fUNIT_MEASURE=PS\x1f", note, sizeof(note)),
                     1);
    assert_string_equal(note, "SEX (\"M\" before, \"F\" here)");
    /* an id the first lacked is added, then compared too */
    assert_int_equal(store_components_check(c->st, "ilo", c->p01, c->emp,
                                            "UNIT_MEASURE=PS\x1fSEX=M\x1f"
                                            "AGE=Y15T64\x1f",
                                            note, sizeof(note)),
                     0);
    assert_int_equal(
        store_components_check(c->st, "ilo", c->p01, c->emp, "AGE=Y_GE65\x1f", note, sizeof(note)),
        1);
    assert_string_equal(note, "AGE (\"Y15T64\" before, \"Y_GE65\" here)");
    /* other keys and other sources start afresh */
    assert_int_equal(
        store_components_check(c->st, "ilo", c->p02, c->emp, "SEX=F\x1f", note, sizeof(note)), 0);
    assert_int_equal(
        store_components_check(c->st, "oecd", c->p01, c->emp, "SEX=F\x1f", note, sizeof(note)), 0);
    assert_int_equal(
        store_components_check(c->st, "ilo", c->p01, c->rev, "SEX=F\x1f", note, sizeof(note)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_memory_creates_current_schema_version,
                                        setup_memory, teardown),
        cmocka_unit_test_setup_teardown(test_open_file_uses_wal_and_reopen_does_not_migrate,
                                        setup_file, teardown),
        cmocka_unit_test(test_open_newer_schema_is_refused),
        cmocka_unit_test(test_open_readonly_old_schema_needs_migration),
        cmocka_unit_test(test_open_migration_3_drops_results_and_hashes),
        cmocka_unit_test(test_open_readonly_missing_file_fails),
        cmocka_unit_test_setup_teardown(test_lookup_takes_length_and_rejects_unknown, setup_memory,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ingest_new_keys_counts_new, setup_memory, teardown),
        cmocka_unit_test_setup_teardown(test_ingest_new_keys_counts_new, setup_file, teardown),
        cmocka_unit_test_setup_teardown(test_ingest_identical_value_adds_no_vintage, setup_memory,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ingest_changed_value_creates_vintage, setup_memory,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ingest_changed_value_creates_vintage, setup_file,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_as_of_sees_the_value_known_then, setup_memory,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ingest_is_all_or_nothing, setup_memory, teardown),
        cmocka_unit_test_setup_teardown(test_ingest_is_all_or_nothing, setup_file, teardown),
        cmocka_unit_test_setup_teardown(test_rejects_listed_by_run_and_source, setup_memory,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_period_filters_are_inclusive, setup_memory, teardown),
        cmocka_unit_test_setup_teardown(test_same_microsecond_reingest_keeps_order, setup_memory,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ingest_invalid_period_is_einval, setup_memory,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_run_end_and_callback_stop, setup_memory, teardown),
        cmocka_unit_test_setup_teardown(test_unit_indicator_query_searches_not_scans, setup_memory,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rejects_not_utf8_are_hex_escaped, setup_memory,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_components_checked_across_pulls, setup_memory,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_define_upserts_units_and_indicators, setup_memory,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
