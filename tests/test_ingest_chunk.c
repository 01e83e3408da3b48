/*
 * test_ingest_chunk.c - store_ingest() writes new keys 64 rows per INSERT
 * statement (8 per statement for the tail, the last few one by one) and redoes
 * a chunk row by row when one of its keys already has a current value. These
 * tests put existing keys at every place a chunk can hold them and check the
 * counts, the vintages and the values.
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
#include <unistd.h>

#include <cmocka.h>

#include "store/bookkeeping.h"
#include "store/observations.h"
#include "store/store.h"
#include "store/store_priv.h"

#define NPER 100 /* monthly periods 2016-01 .. 2024-04 */

struct ctx {
    struct store *st;
    int64_t unit, ind, run;
};

static int setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    char err[256];
    assert_non_null(c);
    assert_int_equal(store_open(&c->st, ":memory:", 0, err, sizeof(err)), 0);
    assert_int_equal(store_upsert_unit(c->st, "p01", "Park 1", NULL), 0);
    assert_int_equal(store_upsert_indicator(c->st, "revenue", "Revenue", "M", "flow"), 0);
    c->unit = store_unit_id(c->st, "p01", 3);
    c->ind = store_indicator_id(c->st, "revenue", 7);
    assert_int_equal(store_run_begin(c->st, "test", NULL, 100, &c->run), 0);
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct ctx *c = *state;
    store_close(&c->st);
    free(c);
    return 0;
}

/* Observation of period number p (0: 2016-01) with value v. */
static struct store_obs obs_at(const struct ctx *c, int p, double v)
{
    struct store_obs o = {c->unit, c->ind, {2016 + p / 12, PERIOD_MONTH, p % 12 + 1}, v, NULL, 0};
    return o;
}

/* Ingests periods [from, to) with value base + p; returns the counts. */
static struct store_counts put(struct ctx *c, int from, int to, double base, int64_t now)
{
    struct store_obs o[NPER];
    struct store_counts n = {0, 0, 0, 0};
    for (int p = from; p < to; p++)
        o[p - from] = obs_at(c, p, base + p);
    assert_int_equal(store_ingest(c->st, c->run, now, o, (size_t)(to - from), NULL, 0, &n), 0);
    return n;
}

struct sum {
    double total;
    long n;
};

static int add(int64_t unit, int64_t ind, const char *period, size_t len, double value, void *ctx)
{
    struct sum *s = ctx;
    (void)unit, (void)ind, (void)period, (void)len;
    s->total += value;
    s->n++;
    return 0;
}

static struct sum current(struct ctx *c, int64_t as_of)
{
    struct sum s = {0, 0};
    assert_int_equal(store_obs_walk_ids(c->st, as_of, add, &s), 0);
    return s;
}

/* 78 new keys: a chunk of 64, one of 8 and 6 rows one by one. */
static void test_all_new(void **state)
{
    struct ctx *c = *state;
    struct store_counts n = put(c, 0, 78, 1000, 200);
    long rows, cur;
    assert_int_equal(n.n_new, 78);
    assert_int_equal(n.n_revised + n.n_unchanged, 0);
    assert_int_equal(store_count_observations(c->st, &rows, &cur), 0);
    assert_int_equal(rows, 78);
    assert_int_equal(cur, 78);
    /* sum of 1000 + p for p < 78 = 78000 + 3003 */
    assert_true(current(c, 0).total == 81003.0);
}

/* Existing keys first, inside and last in the 64-row chunk, in the 8-row
 * chunk after it, and among the last rows. */
static void test_existing_keys_inside_chunks(void **state)
{
    struct ctx *c = *state;
    static const int old[] = {0, 40, 63, 64, 70, 76};
    for (size_t i = 0; i < sizeof(old) / sizeof(old[0]); i++)
        put(c, old[i], old[i] + 1, 1000, 200);
    struct store_counts n = put(c, 0, 79, 1000, 300);
    assert_int_equal(n.n_new, 73);
    assert_int_equal(n.n_unchanged, 6);
    assert_int_equal(n.n_revised, 0);
    assert_int_equal(current(c, 0).n, 79);
}

/* One revised value in a chunk of unchanged ones: one new vintage; as of
 * before the revision the old value is back. */
static void test_revision_in_chunk(void **state)
{
    struct ctx *c = *state;
    put(c, 0, 64, 1000, 200);
    struct store_obs o[64];
    struct store_counts n = {0, 0, 0, 0};
    for (int p = 0; p < 64; p++)
        o[p] = obs_at(c, p, 1000 + p + (p == 37 ? 0.5 : 0));
    assert_int_equal(store_ingest(c->st, c->run, 300, o, 64, NULL, 0, &n), 0);
    assert_int_equal(n.n_revised, 1);
    assert_int_equal(n.n_unchanged, 63);
    assert_int_equal(n.n_new, 0);
    long rows, cur;
    assert_int_equal(store_count_observations(c->st, &rows, &cur), 0);
    assert_int_equal(rows, 65);
    assert_int_equal(cur, 64);
    /* sum of 1000 + p for p < 64 = 64000 + 2016 */
    assert_true(current(c, 0).total == 66016.5);
    assert_true(current(c, 250).total == 66016.0);
}

/* A row the store refuses (an unknown unit) in a whole chunk: an error, and
 * nothing of the batch stored. */
static void test_bad_row_in_chunk(void **state)
{
    struct ctx *c = *state;
    struct store_obs o[40];
    for (int p = 0; p < 40; p++)
        o[p] = obs_at(c, p, 1);
    o[20].unit_id = 999;
    assert_true(store_ingest(c->st, c->run, 200, o, 40, NULL, 0, NULL) < 0);
    assert_string_equal(store_errmsg(c->st), "observation 20: no unit with id 999");
    assert_int_equal(current(c, 0).n, 0);
    /* and the connection goes on */
    assert_int_equal(put(c, 0, 40, 0, 300).n_new, 40);
}

/* The references schema 12 checks in code, once per batch: an unknown
 * indicator or run is refused with the row or run named, nothing stored,
 * and a known unit and indicator in the same batch pass. */
static void test_unknown_indicator_or_run_is_refused(void **state)
{
    struct ctx *c = *state;
    struct store_obs o[70];
    for (int p = 0; p < 70; p++)
        o[p] = obs_at(c, p, 1);
    o[66].indicator_id = 777;
    assert_int_equal(store_ingest(c->st, c->run, 200, o, 70, NULL, 0, NULL), -EINVAL);
    assert_string_equal(store_errmsg(c->st), "observation 66: no indicator with id 777");
    assert_int_equal(current(c, 0).n, 0);
    o[66].indicator_id = c->ind;
    int64_t no_run = c->run + 100;
    assert_int_equal(store_ingest(c->st, no_run, 200, o, 70, NULL, 0, NULL), -EINVAL);
    char want[64];
    snprintf(want, sizeof(want), "observations: no run with id %lld", (long long)no_run);
    assert_string_equal(store_errmsg(c->st), want);
    assert_int_equal(current(c, 0).n, 0);
    struct store_counts k = {0};
    assert_int_equal(store_ingest(c->st, c->run, 200, o, 70, NULL, 0, &k), 0);
    assert_int_equal(k.n_new, 70);
}

/* A unit and an indicator added after the store loaded its code -> id maps
 * (by another process, say) are found in their tables: accepted. */
static void test_ids_added_since_the_maps_are_found(void **state)
{
    struct ctx *c = *state;
    assert_int_equal(sqlite3_exec(c->st->db,
                                  "INSERT INTO unit(id, code, name) VALUES(40, 'p40', 'P');"
                                  "INSERT INTO indicator(id, code, name) VALUES(50, 'x', 'X')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(store_unit_id(c->st, "p40", 3), -1); /* not in the map */
    struct store_obs o[9];
    for (int p = 0; p < 9; p++) {
        o[p] = obs_at(c, p, 2);
        o[p].unit_id = p % 3 ? 40 : c->unit;
        o[p].indicator_id = p % 2 ? 50 : c->ind;
    }
    struct store_counts k = {0};
    assert_int_equal(store_ingest(c->st, c->run, 200, o, 9, NULL, 0, &k), 0);
    assert_int_equal(k.n_new, 9);
    o[8].unit_id = 41;
    assert_int_equal(store_ingest(c->st, c->run, 300, o, 9, NULL, 0, NULL), -EINVAL);
    assert_string_equal(store_errmsg(c->st), "observation 8: no unit with id 41");
}

/* The fast path of a fresh store (struct store_fresh: no look-up of current
 * rows for a unit without rows before the batch): a key three times in one
 * batch, in three chunks, is found the second and the third time (the
 * chunk's INSERT stops on the primary key): two revisions, each vintage
 * exact. */
static void test_fresh_key_thrice_in_a_batch(void **state)
{
    struct ctx *c = *state;
    struct store_obs o[192];
    struct store_counts n = {0, 0, 0, 0};
    for (int p = 0; p < 192; p++) {
        int q = p % 64, round = p / 64;
        o[p] = obs_at(c, q, 1000 + q + (q == 10 && round ? (round == 1 ? 0.5 : 0.25) : 0));
    }
    assert_int_equal(store_ingest(c->st, c->run, 200, o, 192, NULL, 0, &n), 0);
    assert_int_equal(c->st->fresh.known, 1); /* the empty table was seen */
    assert_int_equal(n.n_new, 64);
    assert_int_equal(n.n_unchanged, 126);
    assert_int_equal(n.n_revised, 2);
    long rows, cur;
    assert_int_equal(store_count_observations(c->st, &rows, &cur), 0);
    assert_int_equal(rows, 66);
    assert_int_equal(cur, 64);
    /* the clock did not move: the revisions are valid from 201 and 202;
     * sum of 1000 + p for p < 64 = 66016 */
    assert_true(current(c, 0).total == 66016.25);
    assert_true(current(c, 200).total == 66016.0);
    assert_true(current(c, 201).total == 66016.5);
    assert_true(current(c, 202).total == 66016.25);
    /* a later batch (the unit now has rows): looked up, one revision */
    for (int p = 0; p < 64; p++)
        o[p] = obs_at(c, p, 1000 + p + (p == 10 ? 0.25 : 0) + (p == 63 ? 3 : 0));
    memset(&n, 0, sizeof(n));
    assert_int_equal(store_ingest(c->st, c->run, 300, o, 64, NULL, 0, &n), 0);
    assert_int_equal(n.n_new, 0);
    assert_int_equal(n.n_unchanged, 63);
    assert_int_equal(n.n_revised, 1);
    assert_true(current(c, 0).total == 66019.25);
}

/* A batch rolled back (an invalid value in its second chunk, after the
 * first was written) leaves its unit marked: the next batch looks its keys
 * up and stores them as new, once. */
static void test_fresh_after_a_rolled_back_batch(void **state)
{
    struct ctx *c = *state;
    struct store_obs o[72];
    for (int p = 0; p < 72; p++)
        o[p] = obs_at(c, p, 1000 + p);
    o[70].value = NAN;
    assert_int_equal(store_ingest(c->st, c->run, 200, o, 72, NULL, 0, NULL), -EINVAL);
    assert_int_equal(current(c, 0).n, 0);
    struct store_counts n = put(c, 0, 72, 1000, 300);
    assert_int_equal(n.n_new, 72);
    assert_int_equal(n.n_revised + n.n_unchanged, 0);
    long rows, cur;
    assert_int_equal(store_count_observations(c->st, &rows, &cur), 0);
    assert_int_equal(rows, 72);
    assert_int_equal(cur, 72);
}

/* Rows another connection committed to a unit this one never wrote: the
 * fast path's knowledge is dropped (PRAGMA data_version moved) and a
 * changed value is a revision, an equal one unchanged: no second current
 * row. */
static void test_fresh_and_another_connection(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_ingest_chunk.XXXXXX", path[64], err[256];
    struct store *a = NULL, *b = NULL;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/s.db", dir);
    assert_int_equal(store_open(&a, path, 0, err, sizeof(err)), 0);
    assert_int_equal(store_upsert_unit(a, "p01", "Park 1", NULL), 0);
    assert_int_equal(store_upsert_unit(a, "p02", "Park 2", NULL), 0);
    assert_int_equal(store_upsert_indicator(a, "revenue", "Revenue", "M", "flow"), 0);
    struct ctx c1 = {a, store_unit_id(a, "p01", 3), store_indicator_id(a, "revenue", 7), 0};
    assert_int_equal(put(&c1, 0, 64, 1000, 200).n_new, 64);
    assert_int_equal(a->fresh.known, 1);

    /* the other connection: p02's 64 keys, 2000 + p */
    assert_int_equal(store_open(&b, path, 0, err, sizeof(err)), 0);
    struct ctx c2 = {b, store_unit_id(b, "p02", 3), c1.ind, 0};
    assert_int_equal(put(&c2, 0, 64, 2000, 250).n_new, 64);
    store_close(&b);

    /* this one: p02 again, 2000 + p but period 5 revised */
    struct store_obs o[64];
    struct store_counts n = {0, 0, 0, 0};
    c2.st = a;
    for (int p = 0; p < 64; p++)
        o[p] = obs_at(&c2, p, 2000 + p + (p == 5 ? 7 : 0));
    assert_int_equal(store_ingest(a, 0, 300, o, 64, NULL, 0, &n), 0);
    assert_int_equal(n.n_new, 0);
    assert_int_equal(n.n_unchanged, 63);
    assert_int_equal(n.n_revised, 1);
    assert_int_equal(a->fresh.known, 0);
    long rows, cur;
    assert_int_equal(store_count_observations(a, &rows, &cur), 0);
    assert_int_equal(rows, 129);
    assert_int_equal(cur, 128);
    /* p01: 64000 + 2016, p02: 128000 + 2016 + 7 */
    assert_true(current(&c1, 0).total == 66016.0 + 130023.0);
    assert_true(current(&c1, 260).total == 66016.0 + 130016.0);
    store_close(&a);
    char f[80];
    static const char *const suffix[] = {"", "-wal", "-shm", ".lock"};
    for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
        snprintf(f, sizeof(f), "%s%s", path, suffix[i]);
        unlink(f);
    }
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_all_new, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_indicator_or_run_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ids_added_since_the_maps_are_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_existing_keys_inside_chunks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revision_in_chunk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_row_in_chunk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fresh_key_thrice_in_a_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fresh_after_a_rolled_back_batch, setup, teardown),
        cmocka_unit_test(test_fresh_and_another_connection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
