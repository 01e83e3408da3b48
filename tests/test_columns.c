/*
 * test_columns.c - the column copy of current observations (store/columns.c)
 * always tells what the observation table tells: after the first build,
 * after merging a few changed units, after a rebuild for many, while another
 * connection holds the write lock, and after a damaged blob. Every check
 * compares store_obs_current() with a walk over the table.
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
#include <time.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "counting_exec.h"
#include "store/bookkeeping.h"
#include "store/observations.h"
#include "store/store.h"
#include "test_support.h"

#define NUNIT 12
#define NMON  6

struct ctx {
    char dir[64], path[96];
    struct store *st;
    int64_t unit[NUNIT], ind[2];
    int64_t now;
    struct counting_exec k;
    struct store_walk_opts wo; /* a rebuild walks two halves on k's threads */
};

/* One observation as seen by a reader. */
struct row {
    int64_t unit, ind;
    char period[16];
    double v;
    size_t seq; /* delivery order: a later row replaces an earlier one */
};

struct rows {
    struct row *v;
    size_t n, cap;
};

static void add(struct rows *r, int64_t unit, int64_t ind, const char *period, size_t len, double v)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 256;
        assert_non_null(r->v = realloc(r->v, r->cap * sizeof(*r->v)));
    }
    struct row *x = &r->v[r->n];
    x->unit = unit;
    x->ind = ind;
    assert_true(len < sizeof(x->period));
    memcpy(x->period, period, len);
    x->period[len] = '\0';
    x->v = v;
    x->seq = r->n++;
}

static int on_row(int64_t unit, int64_t ind, const char *period, size_t len, double v, void *ctx)
{
    add(ctx, unit, ind, period, len, v);
    return 0;
}

static int on_col(int64_t ind, const char *period, size_t len, size_t n, const int64_t *units,
                  const double *v, void *ctx)
{
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            assert_true(units[i - 1] < units[i]); /* ascending unit ids */
        add(ctx, units[i], ind, period, len, v[i]);
    }
    return 0;
}

static int key_cmp(const void *a, const void *b)
{
    const struct row *x = a, *y = b;
    if (x->unit != y->unit)
        return x->unit < y->unit ? -1 : 1;
    if (x->ind != y->ind)
        return x->ind < y->ind ? -1 : 1;
    int c = strcmp(x->period, y->period);
    if (c)
        return c;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Sorted by key, the last delivered row of each key kept. */
static void settle(struct rows *r)
{
    size_t m = 0;
    qsort(r->v, r->n, sizeof(*r->v), key_cmp);
    for (size_t i = 0; i < r->n; i++) {
        if (m > 0 && r->v[m - 1].unit == r->v[i].unit && r->v[m - 1].ind == r->v[i].ind &&
            strcmp(r->v[m - 1].period, r->v[i].period) == 0)
            m--;
        r->v[m++] = r->v[i];
    }
    r->n = m;
}

/* store_obs_current() equals the walk; returns its code. */
static int check_equal(struct ctx *c, size_t expect_rows)
{
    struct rows w = {0}, k = {0};
    assert_int_equal(store_obs_walk_ids(c->st, 0, on_row, &w), 0);
    int rc = store_obs_current(c->st, &c->wo, on_col, on_row, &k);
    if (rc == 0) {
        settle(&w);
        settle(&k);
        assert_int_equal(k.n, w.n);
        assert_int_equal(w.n, expect_rows);
        for (size_t i = 0; i < w.n; i++) {
            assert_int_equal(k.v[i].unit, w.v[i].unit);
            assert_int_equal(k.v[i].ind, w.v[i].ind);
            assert_string_equal(k.v[i].period, w.v[i].period);
            /* a missing value is NaN in both */
            assert_true(k.v[i].v == w.v[i].v || (isnan(k.v[i].v) && isnan(w.v[i].v)));
        }
    }
    free(w.v);
    free(k.v);
    return rc;
}

static long count(struct ctx *c, const char *sql)
{
    return ts_sql_long(c->path, sql);
}

/* Ingests unit u's value v for indicator k in month m (1-based) of 2024. */
static void put(struct ctx *c, int u, int k, int m, double v)
{
    struct store_obs o = {c->unit[u], c->ind[k], {2024, PERIOD_MONTH, m}, v, NULL, 0};
    struct store_counts n = {0};
    int64_t run;
    assert_int_equal(store_run_begin(c->st, "test", NULL, c->now, &run), 0);
    assert_int_equal(store_ingest(c->st, run, c->now++, &o, 1, NULL, 0, &n), 0);
}

static int setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    char err[256], code[8];
    struct store_obs obs[NUNIT * 2 * NMON];
    size_t n = 0;
    int64_t run;

    assert_non_null(c);
    counting_exec_init(&c->k, 0);
    c->wo = (struct store_walk_opts){.ex = &c->k.ex, .split_pages = 1};
    ts_tmpdir(c->dir, sizeof(c->dir), "test_columns");
    ts_path(c->path, sizeof(c->path), c->dir, "t.db");
    assert_int_equal(store_open(&c->st, c->path, 0, err, sizeof(err)), 0);
    for (int u = 0; u < NUNIT; u++) {
        snprintf(code, sizeof(code), "e%02d", u);
        assert_int_equal(store_upsert_unit(c->st, code, code, NULL), 0);
        c->unit[u] = store_unit_id(c->st, code, strlen(code));
    }
    assert_int_equal(store_upsert_indicator(c->st, "revenue", "Revenue", "M", "flow"), 0);
    assert_int_equal(store_upsert_indicator(c->st, "staff", "Staff", "M", "stock"), 0);
    c->ind[0] = store_indicator_id(c->st, "revenue", 7);
    c->ind[1] = store_indicator_id(c->st, "staff", 5);
    for (int u = 0; u < NUNIT; u++)
        for (int k = 0; k < 2; k++)
            for (int m = 1; m <= NMON; m++)
                obs[n++] = (struct store_obs){
                    c->unit[u], c->ind[k], {2024, PERIOD_MONTH, m}, 100.0 * u + 10.0 * k + m,
                    NULL,       0};
    c->now = 1000;
    assert_int_equal(store_run_begin(c->st, "test", NULL, c->now, &run), 0);
    assert_int_equal(store_ingest(c->st, run, c->now++, obs, n, NULL, 0, NULL), 0);
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

#define ALL_ROWS ((size_t)NUNIT * 2 * NMON)

static void test_built_then_merged_match_the_table(void **state)
{
    struct ctx *c = *state;

    /* the import touched every unit: the first reader builds every column,
     * from a walk in two halves (the upper one a task of the executor) */
    assert_int_equal(count(c, "SELECT count(*) FROM obs_touched"), NUNIT);
    assert_int_equal(check_equal(c, ALL_ROWS), 0);
    assert_int_equal(c->k.started, 1);
    assert_int_equal(count(c, "SELECT count(*) FROM obs_touched"), 0);
    assert_int_equal(count(c, "SELECT count(*) FROM obs_column"), 2 * NMON);
    assert_int_equal(count(c, "SELECT sum(n) FROM obs_column"), ALL_ROWS);

    /* an unchanged value marks nothing */
    put(c, 1, 0, 1, 101);
    assert_int_equal(count(c, "SELECT count(*) FROM obs_touched"), 0);

    /* a revision and a new month of two units: merged into their columns */
    put(c, 3, 0, 2, -7.5);
    put(c, 5, 1, 7, 42);
    assert_int_equal(count(c, "SELECT count(*) FROM obs_touched"), 2);
    assert_int_equal(check_equal(c, ALL_ROWS + 1), 0);
    assert_int_equal(count(c, "SELECT count(*) FROM obs_touched"), 0);
    assert_int_equal(count(c, "SELECT count(*) FROM obs_column"), 2 * NMON + 1);
    assert_int_equal(count(c, "SELECT n FROM obs_column WHERE period = '2024-07'"), 1);
    assert_int_equal(count(c, "SELECT sum(n) FROM obs_column"), ALL_ROWS + 1);
    /* and read back from the stored columns alone */
    assert_int_equal(check_equal(c, ALL_ROWS + 1), 0);
}

/* A reader may leave a few touched units unmerged (defer_merge): it reads
 * their rows after the columns, as exact, and a later reader merges them. */
static void test_deferred_merge_reads_the_rows_then_merges(void **state)
{
    struct ctx *c = *state;
    assert_int_equal(check_equal(c, ALL_ROWS), 0);
    put(c, 3, 0, 2, -7.5);
    put(c, 5, 1, 7, 42); /* a new month */
    assert_int_equal(count(c, "SELECT count(*) FROM obs_touched"), 2);
    c->wo.defer_merge = 2;
    assert_int_equal(check_equal(c, ALL_ROWS + 1), 0);
    assert_int_equal(count(c, "SELECT count(*) FROM obs_touched"), 2);
    assert_int_equal(count(c, "SELECT count(*) FROM obs_column"), 2 * NMON); /* not 2024-07 */
    put(c, 3, 0, 2, -8.5); /* a unit touched again */
    assert_int_equal(check_equal(c, ALL_ROWS + 1), 0);
    c->wo.defer_merge = 1; /* more touched than deferred: merged */
    assert_int_equal(check_equal(c, ALL_ROWS + 1), 0);
    assert_int_equal(count(c, "SELECT count(*) FROM obs_touched"), 0);
    assert_int_equal(count(c, "SELECT n FROM obs_column WHERE period = '2024-07'"), 1);
    assert_int_equal(check_equal(c, ALL_ROWS + 1), 0);
}

static void test_many_touched_units_rebuild_every_column(void **state)
{
    struct ctx *c = *state;
    assert_int_equal(check_equal(c, ALL_ROWS), 0);
    for (int u = 0; u < NUNIT; u += 2)
        put(c, u, 1, 3, -1.0 * u);
    assert_int_equal(count(c, "SELECT count(*) FROM obs_touched"), NUNIT / 2);
    assert_int_equal(check_equal(c, ALL_ROWS), 0);
    assert_int_equal(count(c, "SELECT count(*) FROM obs_touched"), 0);
    assert_int_equal(count(c, "SELECT sum(n) FROM obs_column"), ALL_ROWS);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_exact_while_another_connection_holds_the_write_lock(void **state)
{
    struct ctx *c = *state;
    sqlite3 *db;

    assert_int_equal(check_equal(c, ALL_ROWS), 0);
    put(c, 7, 0, 4, 0.25);
    assert_int_equal(sqlite3_open(c->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    /* no refresh and no waiting for the lock (the lock is held throughout, so
     * waiting would take the whole 5 s busy timeout); the changed unit's rows
     * replace what its columns say */
    double t0 = now_s();
    assert_int_equal(check_equal(c, ALL_ROWS), 0);
    double waited = now_s() - t0;
    if (waited >= 2.5)
        fail_msg("the read took %.3f s: it waited for the write lock", waited);
    assert_int_equal(count(c, "SELECT count(*) FROM obs_touched"), 1);
    assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(check_equal(c, ALL_ROWS), 0);
    assert_int_equal(count(c, "SELECT count(*) FROM obs_touched"), 0);
}

static void test_damaged_blob_is_dropped_and_rebuilt(void **state)
{
    struct ctx *c = *state;
    sqlite3 *db;

    assert_int_equal(check_equal(c, ALL_ROWS), 0);
    assert_int_equal(sqlite3_open(c->path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db, "UPDATE obs_column SET units = x'0102' WHERE id = 3", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    /* the reader says "walk instead" (-EAGAIN) and names the column */
    struct rows k = {0};
    assert_int_equal(store_obs_current(c->st, &c->wo, on_col, on_row, &k), -EAGAIN);
    free(k.v);
    assert_non_null(strstr(store_errmsg(c->st), "obs_column: bad blobs of indicator"));
    assert_int_equal(count(c, "SELECT count(*) FROM obs_column"), 0);
    assert_int_equal(count(c, "SELECT count(*) FROM obs_touched"), NUNIT);
    assert_int_equal(check_equal(c, ALL_ROWS), 0);
    assert_int_equal(count(c, "SELECT count(*) FROM obs_column"), 2 * NMON);
}

/* Runs sql on a connection of its own. */
static void exec_sql(struct ctx *c, const char *sql)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(c->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

#define NBIG 3000 /* units added: columns of more than 1024 entries per half */

static void test_build_for_an_import_spills_and_writes_the_readers_bytes(void **state)
{
    struct ctx *c = *state;
    struct store_obs *obs = calloc((size_t)NBIG * 2 * 2, sizeof(*obs));
    struct store_walk_opts small = {.split_pages = 1}; /* no executor: one part */
    char code[16];
    size_t n = 0;
    int64_t run;

    assert_non_null(obs);
    /* a big import: 3000 more units, two months of both indicators, some
     * values missing (NaN), some units without a value in 2024-02 */
    for (int u = 0; u < NBIG; u++) {
        snprintf(code, sizeof(code), "b%04d", u);
        assert_int_equal(store_upsert_unit(c->st, code, code, NULL), 0);
        int64_t id = store_unit_id(c->st, code, strlen(code));
        for (int k = 0; k < 2; k++)
            for (int m = 1; m <= 2; m++)
                if (m == 1 || u % 11 != 0)
                    obs[n++] = (struct store_obs){id,
                                                  c->ind[k],
                                                  {2024, PERIOD_MONTH, m},
                                                  u % 7 == 3 ? NAN : 0.5 * u - k * m,
                                                  NULL,
                                                  u % 7 == 3};
    }
    assert_int_equal(store_run_begin(c->st, "test", NULL, c->now, &run), 0);
    assert_int_equal(store_ingest(c->st, run, c->now++, obs, n, NULL, 0, NULL), 0);
    free(obs);
    size_t all = ALL_ROWS + n;

    /* built by the writer of the import, in two halves that each spill */
    assert_int_equal(count(c, "SELECT count(*) FROM obs_touched"), NUNIT + NBIG);
    assert_int_equal(store_columns_build(c->st, &c->wo), 0);
    assert_int_equal(c->k.started, 1);
    assert_int_equal(count(c, "SELECT count(*) FROM obs_touched"), 0);
    assert_int_equal(count(c, "SELECT count(*) FROM obs_column"), 2 * NMON);
    assert_int_equal(count(c, "SELECT n FROM obs_column WHERE period = '2024-01'"), NUNIT + NBIG);
    assert_int_equal(count(c, "SELECT n FROM obs_column WHERE period = '2024-02'"),
                     NUNIT + NBIG - (NBIG + 10) / 11);
    assert_int_equal(check_equal(c, all), 0); /* read back as stored: no rebuild */
    assert_int_equal(c->k.started, 1);

    /* the same bytes as a reader's rebuild of every column, in memory */
    exec_sql(c, "CREATE TABLE built AS SELECT indicator_id, period, n, units, vals FROM obs_column;"
                "DELETE FROM obs_column; INSERT INTO obs_touched(unit_id) SELECT id FROM unit");
    assert_int_equal(check_equal(c, all), 0);
    assert_int_equal(c->k.started, 2);
    assert_int_equal(count(c, "SELECT count(*) FROM obs_column"), 2 * NMON);
    assert_int_equal(count(c, "SELECT count(*) FROM obs_column o JOIN built b"
                              " USING (indicator_id, period, n, units, vals)"),
                     2 * NMON);

    /* one part (no executor), every entry spilled to one file: the same */
    exec_sql(c, "DELETE FROM obs_column; INSERT INTO obs_touched(unit_id) SELECT id FROM unit");
    assert_int_equal(store_columns_build(c->st, &small), 0);
    assert_int_equal(count(c, "SELECT count(*) FROM obs_column o JOIN built b"
                              " USING (indicator_id, period, n, units, vals)"),
                     2 * NMON);

    /* a few touched units are left to the reader's merge */
    put(c, 2, 0, 3, 12.5);
    assert_int_equal(store_columns_build(c->st, &c->wo), 0);
    assert_int_equal(count(c, "SELECT count(*) FROM obs_touched"), 1);
    assert_int_equal(check_equal(c, all), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_built_then_merged_match_the_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deferred_merge_reads_the_rows_then_merges, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_many_touched_units_rebuild_every_column, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_exact_while_another_connection_holds_the_write_lock,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_blob_is_dropped_and_rebuilt, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_build_for_an_import_spills_and_writes_the_readers_bytes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
