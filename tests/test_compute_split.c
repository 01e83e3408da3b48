/*
 * test_compute_split.c - a recompute that reads the observations in two
 * halves at once (store_obs_walk_split, a second connection on a task of the
 * caller's executor) and computes an index's periods in two halves at once
 * (compute/index.c) writes exactly the rows of one that does everything on
 * the caller's thread (no executor): every index of
 * tests/data/compute/methods.json (14 methods and policies), byte for byte.
 * The options' size thresholds are set to 1 to force the split on the same
 * small data; an executor that refuses every task gives the one-thread rows.
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

#include "compute/compute.h"
#include "config/config.h"
#include "counting_exec.h"
#include "store/bookkeeping.h"
#include "store/observations.h"
#include "store/store.h"
#include "test_support.h"

#define NPER 16 /* 2020-Q1 .. 2023-Q4 */

struct fx {
    struct config *cfg;
    struct store *st;
    char dir[64], path[96];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    char path[512], *errors = NULL;
    static const char *const units[] = {"p1", "p2", "p3"}, *const inds[] = {"a", "b", "c"};
    struct store_obs obs[3 * 3 * NPER];
    size_t n = 0;
    int64_t run;

    assert_non_null(f);
    ts_data_path(path, sizeof(path), "compute/methods.json");
    if (config_load(path, &f->cfg, &errors) < 0)
        fail_msg("%s", errors ? errors : path);
    ts_tmpdir(f->dir, sizeof(f->dir), "test_compute_split");
    ts_path(f->path, sizeof(f->path), f->dir, "t.db");
    assert_int_equal(store_open(&f->st, f->path, 0, NULL, 0), 0);
    assert_int_equal(compute_sync_config(f->st, f->cfg), 0);
    /* Invented values with some left out, so reweighting and exclusion act. */
    for (int u = 0; u < 3; u++)
        for (int k = 0; k < 3; k++)
            for (int p = 0; p < NPER; p++) {
                if ((u + 2 * k + p) % 7 == 0)
                    continue;
                obs[n++] = (struct store_obs){store_unit_id(f->st, units[u], 2),
                                              store_indicator_id(f->st, inds[k], 1),
                                              {2020 + p / 4, PERIOD_QUARTER, p % 4 + 1},
                                              10 + (u * 7 + k * 3 + p * 5) % 23 + 0.25 * u,
                                              NULL,
                                              0};
            }
    assert_int_equal(store_run_begin(f->st, "test", NULL, 1, &run), 0);
    assert_int_equal(store_ingest(f->st, run, 2, obs, n, NULL, 0, NULL), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    store_close(&f->st);
    config_free(&f->cfg);
    ts_rmtree(f->dir);
    free(f);
    return 0;
}

/* Every stored result row as text, in key order; the row count in *rows. */
static char *dump(const struct fx *f, size_t *rows)
{
    sqlite3 *db;
    sqlite3_stmt *s;
    size_t len = 0, cap = 1 << 16;
    char *out = malloc(cap);

    assert_non_null(out);
    *rows = 0;
    assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT index_id || ' ' || period || ' ' || unit_id ||"
                                        " ' ' || quote(score) || ' ' || quote(rank) || ' ' ||"
                                        " quote(rank_change) || ' ' || flags || ' ' ||"
                                        " quote(nodes) || ' ' || quote(contribs)"
                                        " FROM result ORDER BY index_id, period, unit_id",
                                        -1, &s, NULL),
                     SQLITE_OK);
    while (sqlite3_step(s) == SQLITE_ROW) {
        size_t n = (size_t)sqlite3_column_bytes(s, 0);
        if (len + n + 2 > cap) {
            cap = 2 * (len + n + 2);
            char *grown = realloc(out, cap);
            assert_non_null(grown);
            out = grown;
        }
        memcpy(out + len, sqlite3_column_text(s, 0), n);
        len += n;
        out[len++] = '\n';
        (*rows)++;
    }
    out[len] = '\0';
    sqlite3_finalize(s);
    sqlite3_close(db);
    return out;
}

static void test_split_paths_write_the_same_rows(void **state)
{
    struct fx *f = *state;
    struct compute_summary one, two, three;
    struct counting_exec k, no;
    size_t rows1, rows2, rows4, ni;

    config_indices(f->cfg, &ni);
    counting_exec_init(&k, 0);
    counting_exec_init(&no, 1);
    /* everything on this thread: no executor */
    assert_int_equal(
        compute_recompute(f->st, f->cfg, 1, &(struct compute_opts){.walk_table = 1}, &one), 0);
    assert_int_equal(one.load_parts, 1);
    assert_int_equal(one.split, 0);
    char *serial = dump(f, &rows1);

    /* both splits forced: the walk's upper half, the second half of each
     * index's periods and the result writer are tasks of the executor */
    const struct compute_opts split = {
        .ex = &k.ex, .split_cells = 1, .walk_split_pages = 1, .walk_table = 1};
    assert_int_equal(compute_recompute(f->st, f->cfg, 1, &split, &two), 0);
    assert_int_equal(two.load_parts, 2);
    assert_int_equal(two.split, ni - 1); /* all but the "carry" index */
    assert_int_equal(k.started, 1 + (int)(ni - 1) + 1);
    char *halves = dump(f, &rows2);

    /* an executor that starts nothing: the same, on this thread */
    const struct compute_opts refused = {
        .ex = &no.ex, .split_cells = 1, .walk_split_pages = 1, .walk_table = 1};
    assert_int_equal(compute_recompute(f->st, f->cfg, 1, &refused, &three), 0);
    assert_int_equal(three.load_parts, 1);
    assert_int_equal(three.split, 0);
    char *inline_rows = dump(f, &rows4);
    assert_int_equal(rows4, rows1);
    assert_string_equal(inline_rows, serial);
    free(inline_rows);

    /* periods held two at a time (cmp_run_each's window), with and without
     * the halves at once: the same rows */
    for (int i = 0; i < 2; i++) {
        struct compute_summary win;
        size_t rows5;
        const struct compute_opts small = {
            .ex = i ? &k.ex : NULL, .split_cells = 1, .window_bytes = 1};
        assert_int_equal(compute_recompute(f->st, f->cfg, 1, &small, &win), 0);
        char *windowed = dump(f, &rows5);
        assert_int_equal(rows5, rows1);
        assert_string_equal(windowed, serial);
        free(windowed);
    }

    /* the column copy: built on first use, then read */
    for (int i = 0; i < 2; i++) {
        struct compute_summary col;
        size_t rows3;
        assert_int_equal(compute_recompute(f->st, f->cfg, 1, NULL, &col), 0);
        assert_int_equal(col.load_parts, 0);
        char *cols = dump(f, &rows3);
        assert_int_equal(rows3, rows1);
        assert_string_equal(cols, serial);
        free(cols);
    }

    /* 14 indices x 16 quarters x the 3 parks */
    assert_int_equal(rows1, ni * NPER * 3);
    assert_int_equal(rows2, rows1);
    assert_string_equal(halves, serial);
    free(serial);
    free(halves);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_split_paths_write_the_same_rows, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
