/*
 * test_ranking.c - each period's ranking in chunks of its own (schema
 * version 16, table result_ranking): written by the results transaction from
 * the rows it is sent, whichever way they come (a full recompute's wiped
 * periods, an incremental one's rows in place with their sweep, rows of
 * several periods mixed in one part), and read page by page with a keyset
 * cursor. 700 units whose codes do not follow their ids, ranks with long
 * ties that cross chunks, unranked units: every page from the chunks equals
 * the order the test computes itself and the order SQL gives without chunks;
 * the units' names kept in memory follow renames; a chunk cut short or over
 * the chunk size is refused with its sizes.
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

#include "counting_exec.h"
#include "store/observations.h"
#include "store/results.h"
#include "store/store.h"
#include "test_support.h"

#define NU 700 /* units: chunks of STORE_RANKING_CHUNK, cut inside ties */

struct ctx {
    char dir[64], path[96];
    struct store *st;
    struct counting_exec k;
    int64_t id[NU]; /* by unit number */
    char code[NU][8];
};

/* Unit n's code: the numbers scrambled, so code order is not id order. */
static void unit_code(int n, char *out, size_t size)
{
    snprintf(out, size, "u%03d", (n * 337) % NU);
}

static int setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    char err[256];
    assert_non_null(c);
    counting_exec_init(&c->k, 0);
    ts_tmpdir(c->dir, sizeof(c->dir), "test_ranking");
    ts_path(c->path, sizeof(c->path), c->dir, "t.db");
    assert_int_equal(store_open(&c->st, c->path, 0, err, sizeof(err)), 0);
    for (int n = 0; n < NU; n++) {
        unit_code(n, c->code[n], sizeof(c->code[n]));
        assert_int_equal(store_upsert_unit(c->st, c->code[n], c->code[n], NULL), 0);
        c->id[n] = store_unit_id(c->st, c->code[n], strlen(c->code[n]));
        assert_true(c->id[n] > 0);
    }
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

/* The rows of one period, by unit number: score (NaN: none), its rank
 * among all (competition ranking: ties share the best rank), rank change. */
struct period_rows {
    double score[NU], rank[NU], change[NU];
    unsigned flags[NU];
    int scored[NU]; /* 0: no row at all */
};

/* Scores from few values (long ties), some units unranked, seed s. */
static void make_rows(struct period_rows *p, unsigned s, int values)
{
    for (int n = 0; n < NU; n++) {
        unsigned h = (unsigned)n * 2654435761u ^ s * 40503u;
        h ^= h >> 13;
        p->scored[n] = 1;
        p->score[n] = (h % 29 == 0) ? NAN : (double)(h % (unsigned)values) * 2.5;
        p->flags[n] = isnan(p->score[n]) ? 1 : 0;
        p->change[n] = (h % 7 == 0) ? NAN : (double)((int)(h % 11) - 5);
    }
    for (int n = 0; n < NU; n++) {
        int better = 0;
        if (isnan(p->score[n])) {
            p->rank[n] = NAN;
            continue;
        }
        for (int m = 0; m < NU; m++)
            better += !isnan(p->score[m]) && p->score[m] > p->score[n];
        p->rank[n] = better + 1;
    }
}

/* Sends the rows of period per as a recompute does: in unit id order, in
 * parts of 100 the writer frees (it applies them later, on its thread); in
 * place with a sweep naming the units sent, or not. */
static void send_period(struct ctx *c, struct store_results_stream *s, const char *per,
                        const struct period_rows *p, int in_place)
{
    struct sweep_part {
        struct store_result_sweep w;
        int64_t units[NU];
    } *sw = malloc(sizeof(*sw));
    struct store_result *r = NULL;
    size_t nr = 0, nu = 0;
    int order[NU];
    assert_non_null(sw);
    for (int n = 0; n < NU; n++)
        order[n] = n;
    for (int i = 1; i < NU; i++) /* by id */
        for (int j = i; j > 0 && c->id[order[j]] < c->id[order[j - 1]]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    for (int i = 0; i < NU; i++) {
        int n = order[i];
        if (p->scored[n]) {
            if (!r)
                assert_non_null(r = malloc(100 * sizeof(*r)));
            r[nr++] = (struct store_result){
                "ix",        c->id[n], per, p->score[n], p->rank[n], p->change[n],
                p->flags[n], NULL,     0,   NULL,        0};
            sw->units[nu++] = c->id[n];
        }
        if (r && (nr == 100 || i == NU - 1)) {
            struct store_results_batch b = {
                .results = r, .nresults = nr, .in_place = in_place, .computed_at = 7};
            assert_int_equal(store_results_send_owned(s, &b, r), 0);
            r = NULL;
            nr = 0;
        }
    }
    if (!in_place) {
        free(sw);
        return;
    }
    sw->w = (struct store_result_sweep){"ix", per, sw->units, nu};
    struct store_results_batch b = {.sweep = &sw->w, .nsweep = 1};
    assert_int_equal(store_results_send_owned(s, &b, sw), 0);
}

/* The ranking the test expects, as text: units by (unranked, rank, code). */
static char *expected(const struct ctx *c, const char *per, const struct period_rows *p)
{
    int order[NU], n = 0;
    char *out = malloc(NU * 96 + 1);
    size_t used = 0;
    assert_non_null(out);
    for (int u = 0; u < NU; u++)
        if (p->scored[u])
            order[n++] = u;
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0; j--) {
            int a = order[j - 1], b = order[j];
            int ua = isnan(p->rank[a]), ub = isnan(p->rank[b]);
            int after = ua != ub                          ? ua > ub
                        : !ua && p->rank[a] != p->rank[b] ? p->rank[a] > p->rank[b]
                                                          : strcmp(c->code[a], c->code[b]) > 0;
            if (!after)
                break;
            order[j - 1] = b;
            order[j] = a;
        }
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        int u = order[i];
        used += (size_t)snprintf(
            out + used, NU * 96 + 1 - used, "%s %s %d %.17g %d %ld %d %ld %u\n", c->code[u], per,
            !isnan(p->score[u]), isnan(p->score[u]) ? 0 : p->score[u], !isnan(p->rank[u]),
            isnan(p->rank[u]) ? 0L : (long)p->rank[u], !isnan(p->change[u]),
            isnan(p->change[u]) ? 0L : (long)p->change[u], p->flags[u]);
    }
    return out;
}

struct walk {
    char *out;
    size_t used;
    int rows;
    struct store_rank_key last;
    char unit[16];
};

static int walk_row(const struct store_index_result_row *r, void *ctx)
{
    struct walk *w = ctx;
    assert_string_equal(r->node, "ix");
    assert_int_equal(r->computed_at, 7);
    assert_string_equal(r->unit_name, r->unit);
    w->used += (size_t)snprintf(w->out + w->used, NU * 96 + 1 - w->used,
                                "%s %s %d %.17g %d %ld %d %ld %ld\n", r->unit, r->period,
                                r->has_score, r->score, r->has_rank, r->rank, r->has_rank_change,
                                r->rank_change, r->flags);
    snprintf(w->unit, sizeof(w->unit), "%s", r->unit);
    w->last = (struct store_rank_key){!r->has_rank, r->has_rank ? r->rank : 0, w->unit};
    w->rows++;
    return 0;
}

/* The ranking of per read in pages of limit (0: whole), the cursor taken
 * from each page's last row. */
static char *ranking(struct ctx *c, const char *per, long limit)
{
    struct walk w = {.out = malloc(NU * 96 + 1)};
    assert_non_null(w.out);
    w.out[0] = '\0';
    for (int page = 0;; page++) {
        struct store_rank_key after = w.last;
        char unit[16];
        snprintf(unit, sizeof(unit), "%s", w.unit);
        after.unit = unit;
        int before = w.rows;
        assert_int_equal(
            store_index_ranking_page(c->st, "ix", per, page ? &after : NULL, limit, walk_row, &w),
            0);
        if (limit <= 0 || w.rows == before)
            break;
        assert_true(w.rows - before <= limit);
    }
    return w.out;
}

static long one(const struct ctx *c, const char *sql)
{
    return ts_sql_long(c->path, sql);
}

/* Every way of reading per's ranking equals want: from the chunks whole and
 * in pages of 1, 100 and 256, and (chunks deleted, then written back) by
 * SQL. */
static void check(struct ctx *c, const char *per, const char *want)
{
    static const long limits[] = {0, 1, 100, 256};
    for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
        char *got = ranking(c, per, limits[i]);
        assert_string_equal(got, want);
        free(got);
    }
    sqlite3 *db;
    assert_int_equal(sqlite3_open(c->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE TEMP TABLE keep AS SELECT * FROM result_ranking;"
                                  "DELETE FROM result_ranking",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    for (size_t i = 0; i < 3; i++) {
        char *got = ranking(c, per, limits[i]);
        assert_string_equal(got, want);
        free(got);
    }
    assert_int_equal(
        sqlite3_exec(db, "INSERT INTO result_ranking SELECT * FROM keep", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
}

/* One transaction, on a writer thread. */
static struct store_results_stream *begin(struct ctx *c)
{
    struct store_results_stream *s;
    assert_int_equal(store_results_start(c->st, &c->k.ex, &s), 0);
    return s;
}

/* A full recompute: the index wiped, then 2025-01's rows p1 and, unless
 * NULL, 2025-02's p2, in one transaction. */
static void full(struct ctx *c, const struct period_rows *p1, const struct period_rows *p2)
{
    static const char *const wipe[] = {"ix"};
    struct store_results_stream *s = begin(c);
    struct store_results_batch w = {.wipe = wipe, .nwipe = 1};
    assert_int_equal(store_results_send(s, &w), 0);
    send_period(c, s, "2025-01", p1, 0);
    if (p2)
        send_period(c, s, "2025-02", p2, 0);
    assert_int_equal(store_results_finish(&s, 1), 0);
}

static void test_ranking_chunks_as_recomputes_write_them(void **state)
{
    struct ctx *c = *state;
    struct period_rows *p1 = malloc(sizeof(*p1)), *p2 = malloc(sizeof(*p2));
    assert_true(p1 && p2);
    make_rows(p1, 1, 9);
    make_rows(p2, 2, 23);

    full(c, p1, p2);
    /* 700 units: chunks of 256, 256, 188 per period, the first keys in order */
    assert_int_equal(one(c, "SELECT count(*) FROM result_ranking"), 6);
    assert_int_equal(one(c, "SELECT sum(n) FROM result_ranking WHERE period = '2025-02'"), NU);
    assert_int_equal(one(c, "SELECT min(n) FROM result_ranking"), NU - 2 * STORE_RANKING_CHUNK);
    char *want1 = expected(c, "2025-01", p1), *want2 = expected(c, "2025-02", p2);
    /* ties of 9 scores cross the chunks: a chunk starts inside a run of one rank */
    assert_true(one(c, "SELECT count(*) FROM result_ranking r WHERE period = '2025-01'"
                       " AND EXISTS (SELECT 1 FROM result x JOIN unit u ON u.id = x.unit_id"
                       " WHERE x.period = r.period AND coalesce(x.rank, 0) = r.rank"
                       " AND (x.rank IS NULL) = r.unranked AND u.code < r.code)") >= 1);
    check(c, "2025-01", want1);
    check(c, "2025-02", want2);

    /* an incremental one: 2025-02 rewritten in place, three units no longer
     * scored (their rows swept), every rank moved */
    make_rows(p2, 3, 31);
    p2->scored[5] = p2->scored[300] = p2->scored[699] = 0;
    struct store_results_stream *s = begin(c);
    send_period(c, s, "2025-02", p2, 1);
    assert_int_equal(store_results_finish(&s, 1), 0);
    assert_int_equal(one(c, "SELECT sum(n) FROM result_ranking WHERE period = '2025-02'"), NU - 3);
    free(want2);
    want2 = expected(c, "2025-02", p2);
    check(c, "2025-01", want1);
    check(c, "2025-02", want2);

    /* rows of both periods mixed in one part, in place, no sweep: rebuilt
     * from the rows at the commit */
    make_rows(p1, 4, 5);
    struct store_result *mix = malloc((size_t)2 * NU * sizeof(*mix));
    assert_non_null(mix);
    size_t nm = 0;
    for (int n = NU - 1; n >= 0; n--) {
        mix[nm++] = (struct store_result){
            "ix", c->id[n], "2025-01", p1->score[n], p1->rank[n], p1->change[n], p1->flags[n], NULL,
            0,    NULL,     0};
        if (n % 2 && p2->scored[n]) { /* half of 2025-02's rows again, the same */
            mix[nm++] = (struct store_result){"ix",
                                              c->id[n],
                                              "2025-02",
                                              p2->score[n],
                                              p2->rank[n],
                                              p2->change[n],
                                              p2->flags[n],
                                              NULL,
                                              0,
                                              NULL,
                                              0};
        }
    }
    s = begin(c);
    struct store_results_batch b = {
        .results = mix, .nresults = nm, .in_place = 1, .computed_at = 7};
    assert_int_equal(store_results_send(s, &b), 0);
    assert_int_equal(store_results_finish(&s, 1), 0);
    free(want1);
    want1 = expected(c, "2025-01", p1);
    check(c, "2025-01", want1);
    check(c, "2025-02", want2);

    /* ranks beyond the number of rows (ranked among more units than were
     * sent): sorted by comparison, not counted */
    struct period_rows *p3 = calloc(1, sizeof(*p3));
    assert_non_null(p3);
    const int who[4] = {10, 20, 30, 40};
    const double rk[4] = {9, 5, 9, NAN};
    for (int i = 0; i < 4; i++) {
        p3->scored[who[i]] = 1;
        p3->score[who[i]] = isnan(rk[i]) ? NAN : 100 - rk[i];
        p3->rank[who[i]] = rk[i];
        p3->change[who[i]] = NAN;
    }
    s = begin(c);
    send_period(c, s, "2025-03", p3, 1);
    assert_int_equal(store_results_finish(&s, 1), 0);
    char *want3 = expected(c, "2025-03", p3);
    check(c, "2025-03", want3);
    assert_int_equal(strncmp(want3, "u440 2025-03 1 95 1 5 ", 22), 0); /* unit 20 */
    free(want3);
    free(p3);

    /* a period cleared: its chunks go with its rows */
    struct store_result_key k = {"ix", "2025-01"};
    s = begin(c);
    struct store_results_batch cl = {.clear = &k, .nclear = 1};
    assert_int_equal(store_results_send(s, &cl), 0);
    assert_int_equal(store_results_finish(&s, 1), 0);
    assert_int_equal(one(c, "SELECT count(*) FROM result_ranking WHERE period = '2025-01'"), 0);
    char *none = ranking(c, "2025-01", 0);
    assert_string_equal(none, "");
    check(c, "2025-02", want2);

    free(none);
    free(mix);
    free(want1);
    free(want2);
    free(p1);
    free(p2);
}

static int first_name(const struct store_index_result_row *r, void *ctx)
{
    snprintf(ctx, 64, "%s %s", r->unit, r->unit_name);
    return 1;
}

/* The names of a page come from memory once read, but a rename, by another
 * connection or by this one, shows on the next page. */
static void test_ranking_names_follow_renames(void **state)
{
    struct ctx *c = *state;
    struct period_rows *p = malloc(sizeof(*p));
    char got[64], want[64];
    assert_non_null(p);
    make_rows(p, 5, 1000);
    full(c, p, NULL);
    assert_int_equal(store_index_ranking_page(c->st, "ix", "2025-01", NULL, 1, first_name, got), 1);
    char code[16];
    assert_int_equal(sscanf(got, "%15s", code), 1);
    snprintf(want, sizeof(want), "%s %s", code, code);
    assert_string_equal(got, want);

    sqlite3 *db;
    char sql[128];
    assert_int_equal(sqlite3_open(c->path, &db), SQLITE_OK);
    snprintf(sql, sizeof(sql), "UPDATE unit SET name = 'Renamed elsewhere' WHERE code = '%s'",
             code);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(store_index_ranking_page(c->st, "ix", "2025-01", NULL, 1, first_name, got), 1);
    snprintf(want, sizeof(want), "%s Renamed elsewhere", code);
    assert_string_equal(got, want);

    assert_int_equal(store_upsert_unit(c->st, code, "Renamed here", NULL), 0);
    assert_int_equal(store_index_ranking_page(c->st, "ix", "2025-01", NULL, 1, first_name, got), 1);
    snprintf(want, sizeof(want), "%s Renamed here", code);
    assert_string_equal(got, want);
    free(p);
}

/* Sets set on the first chunk of period per, then a page of per must be
 * refused with -EIO and msg. */
static void corrupt(struct ctx *c, const char *per, const char *set, const char *msg)
{
    char sql[256], got[64];
    sqlite3 *db;
    snprintf(sql, sizeof(sql),
             "UPDATE result_ranking SET %s WHERE period = '%s' AND unranked = 0 AND rank = 1", set,
             per);
    assert_int_equal(sqlite3_open(c->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_changes(db), 1);
    sqlite3_close(db);
    assert_int_equal(store_index_ranking_page(c->st, "ix", per, NULL, 10, first_name, got), -EIO);
    assert_string_equal(store_errmsg(c->st), msg);
}

/* A chunk that is not one the writer makes (cut short, or a count over the
 * chunk size) is refused with its sizes; the other period still reads. */
static void test_ranking_refuses_a_corrupt_chunk(void **state)
{
    struct ctx *c = *state;
    struct period_rows *p = malloc(sizeof(*p));
    assert_non_null(p);
    make_rows(p, 3, 40);
    full(c, p, p);
    char *want = expected(c, "2025-02", p);

    corrupt(c, "2025-01", "entries = substr(entries, 1, 27)",
            "ranking: a chunk of 256 entries in 27 bytes");
    char *other = ranking(c, "2025-02", 100);
    assert_string_equal(other, want);
    free(other);
    corrupt(c, "2025-02", "n = 257, entries = zeroblob(257 * 28)",
            "ranking: a chunk of 257 entries in 7196 bytes");
    free(want);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ranking_chunks_as_recomputes_write_them, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ranking_names_follow_renames, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ranking_refuses_a_corrupt_chunk, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
