/*
 * test_results_stream.c - the result transaction fed in parts
 * (store_results_start/send/finish), applied by a writer task on a thread,
 * on the caller's thread without an executor, and on the caller's thread when
 * the executor refuses: parts are applied in order and committed together; a
 * failing part makes the whole transaction roll back (the old rows stay, the
 * error names the statement); finish without commit changes nothing.
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
#include <sys/stat.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "counting_exec.h"
#include "store/observations.h"
#include "store/results.h"
#include "store/store.h"
#include "store/store_priv.h"
#include "test_support.h"

struct ctx {
    char dir[64], path[96];
    struct store *st;
    int64_t u1, u2;
    struct counting_exec k;
    const struct exec *ex; /* what the tests pass: &k.ex or NULL */
    int tasks;             /* writer tasks each stream should start: 1 or 0 */
};

/* One number from sql, read on a connection of its own. */
static long count(const struct ctx *c, const char *sql)
{
    return ts_sql_long(c->path, sql);
}

/* Writes b as the recompute does, on this thread: one stream, one part, committed. */
static int write_results(struct store *st, const struct store_results_batch *b)
{
    struct store_results_stream *s;
    int rc = store_results_start(st, NULL, &s);
    if (rc < 0)
        return rc;
    rc = store_results_send(s, b);
    int frc = store_results_finish(&s, rc == 0);
    return rc < 0 ? rc : frc;
}

/* mode 0: a writer thread; 1: no executor; 2: an executor that refuses. */
static int setup_mode(void **state, int mode)
{
    struct ctx *c = calloc(1, sizeof(*c));
    char err[256];
    assert_non_null(c);
    counting_exec_init(&c->k, mode == 2);
    c->ex = mode == 1 ? NULL : &c->k.ex;
    c->tasks = mode == 0;
    ts_tmpdir(c->dir, sizeof(c->dir), "test_results_stream");
    ts_path(c->path, sizeof(c->path), c->dir, "t.db");
    assert_int_equal(store_open(&c->st, c->path, 0, err, sizeof(err)), 0);
    assert_int_equal(store_upsert_unit(c->st, "p1", "Park 1", NULL), 0);
    assert_int_equal(store_upsert_unit(c->st, "p2", "Park 2", NULL), 0);
    c->u1 = store_unit_id(c->st, "p1", 2);
    c->u2 = store_unit_id(c->st, "p2", 2);
    /* two old rows of index ix */
    const struct store_result old[] = {
        {"ix", c->u1, "2024", 10, 2, NAN, 0, NULL, 0, NULL, 0},
        {"ix", c->u2, "2024", 20, 1, NAN, 0, NULL, 0, NULL, 0},
    };
    const struct store_results_batch b = {.results = old, .nresults = 2, .computed_at = 1};
    assert_int_equal(write_results(c->st, &b), 0);
    *state = c;
    return 0;
}

static int setup(void **state)
{
    return setup_mode(state, 0);
}

static int setup_inline(void **state)
{
    return setup_mode(state, 1);
}

static int setup_refused(void **state)
{
    return setup_mode(state, 2);
}

static int teardown(void **state)
{
    struct ctx *c = *state;
    store_close(&c->st);
    ts_rmtree(c->dir);
    free(c);
    return 0;
}

static const char *const wipe_ix[] = {"ix"};

static void test_parts_commit_together(void **state)
{
    struct ctx *c = *state;
    struct store_results_stream *s = NULL;
    const struct store_result a[] = {{"ix", c->u1, "2025", 30, 1, NAN, 0, NULL, 0, NULL, 0}};
    const struct store_result b[] = {{"ix", c->u2, "2025", 25, 2, NAN, 0, NULL, 0, NULL, 0},
                                     {"ix", c->u1, "2026", 31, 1, 0, 0, NULL, 0, NULL, 0}};
    const struct store_index_hash h = {"ix", "0123456789abcdef"};

    assert_int_equal(store_results_start(c->st, c->ex, &s), 0);
    assert_int_equal(
        store_results_send(s, &(struct store_results_batch){.wipe = wipe_ix, .nwipe = 1}), 0);
    assert_int_equal(
        store_results_send(
            s, &(struct store_results_batch){.results = a, .nresults = 1, .computed_at = 7}),
        0);
    assert_int_equal(
        store_results_send(
            s, &(struct store_results_batch){.results = b, .nresults = 2, .computed_at = 7}),
        0);
    assert_int_equal(
        store_results_send(
            s, &(struct store_results_batch){.hashes = &h, .nhashes = 1, .computed_at = 7}),
        0);
    assert_int_equal(store_results_finish(&s, 1), 0);
    assert_null(s);
    assert_int_equal(c->k.started, c->tasks);
    /* the old 2024 rows are gone, the three new ones are there */
    assert_int_equal(count(c, "SELECT count(*) FROM result"), 3);
    assert_int_equal(count(c, "SELECT count(*) FROM result WHERE period = '2024'"), 0);
    assert_int_equal(count(c, "SELECT sum(score) FROM result"), 86);
    char hash[32];
    assert_int_equal(store_index_hash_get(c->st, "ix", hash, sizeof(hash)), 0);
    assert_string_equal(hash, "0123456789abcdef");
}

static void test_failing_part_rolls_back_everything(void **state)
{
    struct ctx *c = *state;
    struct store_results_stream *s = NULL;
    const struct store_result good[] = {{"ix", c->u1, "2025", 30, 1, NAN, 0, NULL, 0, NULL, 0}};
    /* index_id NULL: NOT NULL constraint */
    const struct store_result bad[] = {{NULL, c->u2, "2025", 25, 2, NAN, 0, NULL, 0, NULL, 0}};

    assert_int_equal(store_results_start(c->st, c->ex, &s), 0);
    assert_int_equal(
        store_results_send(s, &(struct store_results_batch){.wipe = wipe_ix, .nwipe = 1}), 0);
    assert_int_equal(
        store_results_send(s, &(struct store_results_batch){.results = good, .nresults = 1}), 0);
    assert_int_equal(
        store_results_send(s, &(struct store_results_batch){.results = bad, .nresults = 1}), 0);
    assert_int_equal(
        store_results_send(s, &(struct store_results_batch){.results = good, .nresults = 1}), 0);
    assert_int_equal(store_results_finish(&s, 1), -EIO);
    assert_int_equal(c->k.started, c->tasks);
    assert_non_null(strstr(store_errmsg(c->st), "result insert"));
    assert_non_null(strstr(store_errmsg(c->st), "NOT NULL"));
    /* nothing of it stayed: the two old rows are back, the connection works */
    assert_int_equal(count(c, "SELECT count(*) FROM result"), 2);
    assert_int_equal(count(c, "SELECT sum(score) FROM result WHERE period = '2024'"), 30);
}

static void test_finish_without_commit_changes_nothing(void **state)
{
    struct ctx *c = *state;
    struct store_results_stream *s = NULL;
    assert_int_equal(store_results_start(c->st, c->ex, &s), 0);
    assert_int_equal(
        store_results_send(s, &(struct store_results_batch){.wipe = wipe_ix, .nwipe = 1}), 0);
    assert_int_equal(store_results_finish(&s, 0), 0);
    assert_int_equal(c->k.started, c->tasks);
    assert_int_equal(count(c, "SELECT count(*) FROM result"), 2);
    assert_int_equal(store_results_finish(&s, 1), 0); /* NULL stream: a no-op */
}

static long wal_bytes(const struct ctx *c)
{
    char wal[128];
    struct stat sb;
    snprintf(wal, sizeof(wal), "%s-wal", c->path);
    return stat(wal, &sb) == 0 ? (long)sb.st_size : -1;
}

/* store_defer_checkpoint(): the last connection to close leaves its WAL to a
 * later automatic checkpoint; the rows are there for the next opener. */
static void test_deferred_checkpoint_leaves_the_wal(void **state)
{
    struct ctx *c = *state;
    char err[256];
    const struct store_result r[] = {{"ix", c->u1, "2025", 42, 1, NAN, 0, NULL, 0, NULL, 0}};

    store_close(&c->st); /* the default: checkpoint and delete the WAL */
    assert_int_equal(wal_bytes(c), -1);
    assert_int_equal(store_open(&c->st, c->path, 0, err, sizeof(err)), 0);
    store_defer_checkpoint(c->st);
    assert_int_equal(
        write_results(c->st, &(struct store_results_batch){.results = r, .nresults = 1}), 0);
    store_close(&c->st);
    assert_true(wal_bytes(c) > 0);
    assert_int_equal(count(c, "SELECT count(*) FROM result"), 3);
    assert_int_equal(count(c, "SELECT score FROM result WHERE period = '2025'"), 42);
    assert_int_equal(store_open(&c->st, c->path, 0, err, sizeof(err)), 0);
}

/* The size of the database file itself (pages checkpointed into it). */
static long db_bytes(const struct ctx *c)
{
    struct stat sb;
    return stat(c->path, &sb) == 0 ? (long)sb.st_size : -1;
}

/* Writes n rows of index ix with 100 contributions each (about 900 bytes a
 * row, so 8000 rows take some 1800 pages of 4 KB). */
static void write_wide_rows(struct ctx *c, const char *ix, size_t n)
{
    double con[100];
    struct store_result *r = calloc(n, sizeof(*r));
    char(*per)[16] = calloc(n, sizeof(*per));

    assert_non_null(r);
    assert_non_null(per);
    for (size_t k = 0; k < 100; k++)
        con[k] = 0.5 + (double)k;
    for (size_t i = 0; i < n; i++) {
        snprintf(per[i], sizeof(per[i]), "%zu", 1000 + i);
        r[i] = (struct store_result){ix, c->u1, per[i], (double)i, 1, NAN, 0, NULL, 0, con, 100};
    }
    assert_int_equal(
        write_results(c->st, &(struct store_results_batch){.results = r, .nresults = n}), 0);
    free(r);
    free(per);
}

/* A connection that defers its checkpoint also leaves the WAL of its own
 * commits below STORE_DEFER_CKPT_PAGES to later: 1800 pages, which SQLite's
 * default threshold of 1000 copies into the database file at the commit,
 * stay in the WAL (the file does not grow) and are read from there; a
 * connection that does not defer copies them at its commit. */
static void test_deferred_checkpoint_keeps_the_commit_in_the_wal(void **state)
{
    struct ctx *c = *state;
    char err[256];
    long before = db_bytes(c);

    assert_true(before > 0);
    store_defer_checkpoint(c->st);
    write_wide_rows(c, "wide", 8000);
    assert_true(wal_bytes(c) > 1000L * 4096);
    assert_int_equal(db_bytes(c), before);
    assert_int_equal(count(c, "SELECT count(*) FROM result WHERE index_id = 'wide'"), 8000);
    assert_int_equal(count(c, "SELECT sum(length(contribs)) / 800 FROM result"
                              " WHERE index_id = 'wide'"),
                     8000);
    /* the default: the next commit over 1000 pages copies them all */
    store_close(&c->st);
    assert_int_equal(store_open(&c->st, c->path, 0, err, sizeof(err)), 0);
    write_wide_rows(c, "wide2", 8000);
    assert_true(db_bytes(c) > before + 8000L * 800);
    assert_int_equal(count(c, "SELECT count(*) FROM result WHERE index_id LIKE 'wide%'"), 16000);
}

/* The nodes blob is packed (docs/INDICES.md) and exact: every double of
 * every kind comes back bit for bit through blob_double(), NaN as NULL; the
 * plain doubles of rows written before the packed form read as they did. */
static void test_packed_nodes_exact_and_plain_rows_read(void **state)
{
    struct ctx *c = *state;
    static const double v[] = {12.345678901234567,
                               1,
                               -3,
                               0, /* a usual node */
                               NAN,
                               200000,
                               -199999,
                               1024, /* none, big ranks */
                               -0.0,
                               9007199254740992.0,
                               -1e300,
                               5e-324, /* -0, 2^53, extremes */
                               0.1,
                               -9007199254740991.0,
                               4503599627370495.5,
                               3}; /* 2^53 - 1, a half */
    const double con[] = {0.25, NAN};
    const struct store_result row[] = {{"pk", c->u1, "2024", 1, 1, NAN, 0, v, 4, con, 2}};
    const struct store_results_batch b = {.results = row, .nresults = 1, .computed_at = 2};
    sqlite3 *db;
    sqlite3_stmt *s;

    assert_int_equal(write_results(c->st, &b), 0);
    assert_int_equal(sqlite3_open(c->path, &db), SQLITE_OK);
    assert_int_equal(store_results_sql_register(db), 0);
    /* packed: shorter than the 128 bytes of doubles, length not a multiple of 8 */
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT length(nodes), length(contribs) FROM result"
                                        " WHERE index_id = 'pk'",
                                        -1, &s, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int len = sqlite3_column_int(s, 0);
    assert_true(len < 100 && len % 8 != 0);
    assert_int_equal(sqlite3_column_int(s, 1), 16);
    sqlite3_finalize(s);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT blob_double(nodes, ?1) FROM result"
                                        " WHERE index_id = 'pk'",
                                        -1, &s, NULL),
                     SQLITE_OK);
    for (int i = 0; i < 17; i++) {
        sqlite3_bind_int(s, 1, i);
        assert_int_equal(sqlite3_step(s), SQLITE_ROW);
        if (i == 16 || isnan(v[i])) {
            assert_int_equal(sqlite3_column_type(s, 0), SQLITE_NULL);
        } else {
            double got = sqlite3_column_double(s, 0);
            assert_memory_equal(&got, &v[i], sizeof(got)); /* bit for bit, -0 too */
        }
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    /* a row of plain doubles (as written before): 1.5, then none */
    assert_int_equal(sqlite3_exec(db,
                                  "UPDATE result SET nodes = x'000000000000F83F000000000000F87F'"
                                  " WHERE index_id = 'pk'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT blob_double(nodes, 0), blob_double(nodes, 1),"
                                        " blob_double(nodes, 2), blob_double(contribs, 0)"
                                        " FROM result WHERE index_id = 'pk'",
                                        -1, &s, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_true(sqlite3_column_double(s, 0) == 1.5);
    assert_int_equal(sqlite3_column_type(s, 1), SQLITE_NULL);
    assert_int_equal(sqlite3_column_type(s, 2), SQLITE_NULL);
    assert_true(sqlite3_column_double(s, 3) == 0.25);
    sqlite3_finalize(s);
    sqlite3_close(db);
}

/* Rows of a batch not rewritten in place go in INSERT_ROWS (64) at a time:
 * the same rows as one by one, a key given twice (in one group, and in the
 * tail again) updated by the later row as one by one would, an existing row
 * replaced. */
static void test_grouped_inserts_write_what_single_ones_do(void **state)
{
    struct ctx *c = *state;
    enum { N = 150 }; /* two groups of 64 and a tail of 22 */
    struct store_result gx[N], gy[N];
    char period[N][8];
    /* two nodes of STORE_NODE_FIELDS values */
    static const double nodes[2 * STORE_NODE_FIELDS] = {0.5, 3, NAN, 7, 0.25, 1, 2, 0};
    double con[N][2];

    for (int i = 0; i < N; i++) {
        snprintf(period[i], sizeof(period[i]), "p%03d", i);
        con[i][0] = i / 7.0;
        con[i][1] = i % 3 ? -1.0 / (i + 1) : NAN;
        gx[i] = (struct store_result){
            "gx",  i % 2 ? c->u1 : c->u2, period[i], 1.0 / (i + 1), N - i,        i % 5 ? NAN : i,
            i % 4, i % 2 ? nodes : NULL,  2,         con[i],        i % 6 ? 2 : 0};
    }
    gx[20].period = gx[10].period; /* one group: a key twice */
    gx[20].unit_id = gx[10].unit_id;
    gx[140].period = gx[3].period; /* the tail: a key of the first group */
    gx[140].unit_id = gx[3].unit_id;
    gx[141].index_id = "ix"; /* an existing row: ix, 2024, u1 */
    gx[141].period = "2024";
    gx[141].unit_id = c->u1;
    memcpy(gy, gx, sizeof(gy));
    for (int i = 0; i < N; i++)
        if (strcmp(gy[i].index_id, "gx") == 0)
            gy[i].index_id = "gy";
    assert_int_equal(
        write_results(
            c->st, &(struct store_results_batch){.results = gx, .nresults = N, .computed_at = 3}),
        0);
    /* in place, with no rows stored: each row inserted by itself */
    assert_int_equal(write_results(c->st, &(struct store_results_batch){.results = gy,
                                                                        .nresults = N,
                                                                        .computed_at = 3,
                                                                        .in_place = 1}),
                     0);
    assert_int_equal(count(c, "SELECT count(*) FROM result WHERE index_id = 'gx'"), N - 3);
    assert_int_equal(count(c, "SELECT count(*) FROM result x JOIN result y"
                              " ON x.index_id = 'gx' AND y.index_id = 'gy'"
                              " AND x.period = y.period AND x.unit_id = y.unit_id"
                              " AND x.score IS y.score AND x.rank IS y.rank"
                              " AND x.rank_change IS y.rank_change AND x.flags IS y.flags"
                              " AND x.nodes IS y.nodes AND x.contribs IS y.contribs"),
                     N - 3);
    /* the later row of a key twice is the one stored */
    assert_int_equal(count(c, "SELECT rank FROM result WHERE index_id = 'gx' AND period = 'p010'"),
                     N - 20);
    assert_int_equal(count(c, "SELECT rank FROM result WHERE index_id = 'gx' AND period = 'p003'"),
                     N - 140);
    assert_int_equal(count(c, "SELECT rank FROM result WHERE index_id = 'ix' AND period = '2024'"
                              " AND unit_id = (SELECT id FROM unit WHERE code = 'p1')"),
                     N - 141);
    assert_int_equal(count(c, "SELECT count(*) FROM result WHERE index_id = 'ix'"), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_parts_commit_together, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failing_part_rolls_back_everything, setup, teardown),
        cmocka_unit_test_setup_teardown(test_finish_without_commit_changes_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_deferred_checkpoint_leaves_the_wal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deferred_checkpoint_keeps_the_commit_in_the_wal, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_packed_nodes_exact_and_plain_rows_read, setup_inline,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_grouped_inserts_write_what_single_ones_do,
                                        setup_inline, teardown),
        cmocka_unit_test_setup_teardown(test_grouped_inserts_write_what_single_ones_do, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_parts_commit_together, setup_inline, teardown),
        cmocka_unit_test_setup_teardown(test_failing_part_rolls_back_everything, setup_inline,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_finish_without_commit_changes_nothing, setup_inline,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_parts_commit_together, setup_refused, teardown),
        cmocka_unit_test_setup_teardown(test_failing_part_rolls_back_everything, setup_refused,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
