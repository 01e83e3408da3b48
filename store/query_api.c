/*
 * query_api.c - read-only queries for the HTTP API: units, indicators, the
 * indices in the result table, results and contributions of one index and
 * period (decoded from the result rows' blobs by blob_double(), results.c),
 * recent runs, and the data version the API's ETags are made from.
 *
 * Each runs one prepared statement per call (the API's requests are few next
 * to the ingest's rows) and hands rows to a callback; strings are borrowed
 * for the duration of the call. Values are only ever bound.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_priv.h"
#include "store/bookkeeping.h"
#include "store/observations.h"
#include "store/results.h"

static int prepare(struct store *st, const char *sql, sqlite3_stmt **s, const char *what)
{
    if (sqlite3_prepare_v2(st->db, sql, -1, s, NULL) != SQLITE_OK) {
        *s = NULL;
        return store_fail(st, what);
    }
    return 0;
}

static const char *col_text(sqlite3_stmt *s, int col)
{
    return (const char *)sqlite3_column_text(s, col);
}

static int col_null(sqlite3_stmt *s, int col)
{
    return sqlite3_column_type(s, col) == SQLITE_NULL;
}

/* The caller's callback, whichever row type it takes, and its context. */
struct walker {
    union {
        store_unit_cb unit;
        store_indicator_cb indicator;
        store_index_cb index;
        store_index_result_cb result;
        store_index_contrib_cb contrib;
        store_run_cb run;
    } cb;
    void *ctx;
};

/* Row fillers turn the current row of s into a struct and call the callback. */
typedef int (*row_fn)(sqlite3_stmt *s, const struct walker *w);

/* Steps s to the end, calling fn per row. Returns 0, the callback's non-zero
 * return, or -EIO. */
static int step_rows(struct store *st, sqlite3_stmt *s, row_fn fn, const struct walker *w,
                     const char *what)
{
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if ((rc = fn(s, w)) != 0)
            return rc;
    }
    return rc == SQLITE_DONE ? 0 : store_fail(st, what);
}

/* As step_rows(); finalizes s. */
static int walk(struct store *st, sqlite3_stmt *s, row_fn fn, const struct walker *w,
                const char *what)
{
    int rc = step_rows(st, s, fn, w, what);
    sqlite3_finalize(s);
    return rc;
}

/* As step_rows(), for a statement of store_stmt_cached(): reset, not
 * finalized. */
static int walk_cached(struct store *st, sqlite3_stmt *s, row_fn fn, const struct walker *w,
                       const char *what)
{
    int rc = step_rows(st, s, fn, w, what);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc;
}

static int unit_row(sqlite3_stmt *s, const struct walker *w)
{
    struct store_unit_row r = {
        .code = col_text(s, 0),
        .name = col_text(s, 1),
        .parent = col_text(s, 2),
        .attributes = col_text(s, 3),
    };
    return w->cb.unit(&r, w->ctx);
}

/* Every unit by code (see store.h). */
int store_units_list(struct store *st, store_unit_cb cb, void *ctx)
{
    sqlite3_stmt *s;
    int rc = prepare(st,
                     "SELECT u.code, u.name, p.code, u.attributes FROM unit u"
                     " LEFT JOIN unit p ON p.id = u.parent_id ORDER BY u.code",
                     &s, "units");
    return rc < 0 ? rc
                  : walk(st, s, unit_row, &(struct walker){.cb.unit = cb, .ctx = ctx}, "units");
}

/* Binds after (NULL: "", before every code) and limit to ?1 and ?2 of a
 * keyset page query. */
static void bind_page(sqlite3_stmt *s, const char *after, long limit)
{
    store_bind_text(s, 1, after ? after : "");
    sqlite3_bind_int64(s, 2, limit > 0 ? limit : -1);
}

/* One integer from sql with ?1 bound to text (may be NULL) into *n. */
static int count_of(struct store *st, const char *sql, const char *t1, const char *t2, long *n)
{
    sqlite3_stmt *s;
    int rc = prepare(st, sql, &s, "count");

    *n = 0;
    if (rc < 0)
        return rc;
    if (sqlite3_bind_parameter_count(s) >= 1)
        store_bind_text(s, 1, t1);
    if (sqlite3_bind_parameter_count(s) >= 2)
        store_bind_text(s, 2, t2);
    if (sqlite3_step(s) == SQLITE_ROW) {
        *n = (long)sqlite3_column_int64(s, 0);
        rc = 0;
    } else {
        rc = store_fail(st, "count");
    }
    sqlite3_finalize(s);
    return rc;
}

/* Units with code after after, by code (see observations.h). */
int store_units_page(struct store *st, const char *after, long limit, store_unit_cb cb, void *ctx)
{
    sqlite3_stmt *s;
    int rc = prepare(st,
                     "SELECT u.code, u.name, p.code, u.attributes FROM unit u"
                     " LEFT JOIN unit p ON p.id = u.parent_id WHERE u.code > ?1"
                     " ORDER BY u.code LIMIT ?2",
                     &s, "units");
    if (rc < 0)
        return rc;
    bind_page(s, after, limit);
    return walk(st, s, unit_row, &(struct walker){.cb.unit = cb, .ctx = ctx}, "units");
}

int store_units_count(struct store *st, long *n)
{
    return count_of(st, "SELECT count(*) FROM unit", NULL, NULL, n);
}

int store_indicators_count(struct store *st, long *n)
{
    return count_of(st, "SELECT count(*) FROM indicator", NULL, NULL, n);
}

static int indicator_row(sqlite3_stmt *s, const struct walker *w)
{
    struct store_indicator_row r = {
        .code = col_text(s, 0),
        .name = col_text(s, 1),
        .measure = col_text(s, 2),
        .frequency = col_text(s, 3),
        .kind = col_text(s, 4),
        .cumulative = sqlite3_column_int(s, 5),
        .direction = sqlite3_column_int(s, 6),
        .decimals = sqlite3_column_int(s, 7),
        .formula = col_text(s, 8),
        .numerator = col_text(s, 9),
        .denominator = col_text(s, 10),
        .scale = sqlite3_column_double(s, 11), /* NULL reads as 0 */
    };
    return w->cb.indicator(&r, w->ctx);
}

/* Every indicator by code (see store.h). */
int store_indicators_list(struct store *st, store_indicator_cb cb, void *ctx)
{
    sqlite3_stmt *s;
    int rc = prepare(st,
                     "SELECT code, name, measure, frequency, kind, cumulative, direction,"
                     " decimals, formula, numerator, denominator, scale FROM indicator"
                     " ORDER BY code",
                     &s, "indicators");
    return rc < 0 ? rc
                  : walk(st, s, indicator_row, &(struct walker){.cb.indicator = cb, .ctx = ctx},
                         "indicators");
}

/* Indicators with code after after, by code (see observations.h). */
int store_indicators_page(struct store *st, const char *after, long limit, store_indicator_cb cb,
                          void *ctx)
{
    sqlite3_stmt *s;
    int rc = prepare(st,
                     "SELECT code, name, measure, frequency, kind, cumulative, direction,"
                     " decimals, formula, numerator, denominator, scale FROM indicator"
                     " WHERE code > ?1 ORDER BY code LIMIT ?2",
                     &s, "indicators");
    if (rc < 0)
        return rc;
    bind_page(s, after, limit);
    return walk(st, s, indicator_row, &(struct walker){.cb.indicator = cb, .ctx = ctx},
                "indicators");
}

static int index_row(sqlite3_stmt *s, const struct walker *w)
{
    struct store_index_row r = {
        .index_id = col_text(s, 0),
        .first_period = col_text(s, 1),
        .last_period = col_text(s, 2),
        .n_units = (long)sqlite3_column_int64(s, 3),
        .computed_at = sqlite3_column_int64(s, 4),
    };
    return w->cb.index(&r, w->ctx);
}

/* Every index id in the result table with its period range (see store.h). */
int store_indices_list(struct store *st, store_index_cb cb, void *ctx)
{
    sqlite3_stmt *s;
    int rc = prepare(st,
                     "SELECT index_id, min(period), max(period), count(DISTINCT unit_id),"
                     " coalesce((SELECT max(rp.computed_at) FROM result_period rp"
                     " WHERE rp.index_id = result.index_id), 0) FROM result GROUP BY index_id"
                     " ORDER BY index_id",
                     &s, "indices");
    return rc < 0 ? rc
                  : walk(st, s, index_row, &(struct walker){.cb.index = cb, .ctx = ctx}, "indices");
}

/* Indices with id after after (see results.h). */
int store_indices_page(struct store *st, const char *after, long limit, store_index_cb cb,
                       void *ctx)
{
    sqlite3_stmt *s;
    int rc = prepare(st,
                     "SELECT index_id, min(period), max(period), count(DISTINCT unit_id),"
                     " coalesce((SELECT max(rp.computed_at) FROM result_period rp"
                     " WHERE rp.index_id = result.index_id), 0) FROM result WHERE index_id > ?1"
                     " GROUP BY index_id ORDER BY index_id LIMIT ?2",
                     &s, "indices");
    if (rc < 0)
        return rc;
    bind_page(s, after, limit);
    return walk(st, s, index_row, &(struct walker){.cb.index = cb, .ctx = ctx}, "indices");
}

int store_indices_count(struct store *st, long *n)
{
    return count_of(st, "SELECT count(DISTINCT index_id) FROM result", NULL, NULL, n);
}

/* The latest period of index_id in the result table (see store.h). */
int store_index_latest_period(struct store *st, const char *index_id, char *period, size_t size)
{
    static const char sql[] = "SELECT max(period) FROM result WHERE index_id = ?1";
    sqlite3_stmt *s = store_stmt_cached(st, sql);
    int rc;
    if (!s)
        return -EIO;
    store_bind_text(s, 1, index_id);
    rc = sqlite3_step(s);
    if (rc != SQLITE_ROW)
        rc = store_fail(st, "index period");
    else if (col_null(s, 0))
        rc = -ENOENT;
    else
        rc = snprintf(period, size, "%s", col_text(s, 0)) < (int)size ? 0 : -ENOSPC;
    sqlite3_reset(s);
    return rc;
}

static int result_row(sqlite3_stmt *s, const struct walker *w)
{
    struct store_index_result_row r = {
        .unit = col_text(s, 0),
        .unit_name = col_text(s, 1),
        .node = col_text(s, 2),
        .period = col_text(s, 3),
        .score = sqlite3_column_double(s, 4),
        .has_score = !col_null(s, 4),
        .rank = (long)sqlite3_column_int64(s, 5),
        .has_rank = !col_null(s, 5),
        .rank_change = (long)sqlite3_column_int64(s, 6),
        .has_rank_change = !col_null(s, 6),
        .flags = (long)sqlite3_column_int64(s, 7),
        .computed_at = sqlite3_column_int64(s, 8),
    };
    return w->cb.result(&r, w->ctx);
}

/* Which form of the result and contribution queries q asks for: 0 the whole
 * period, 1 one unit (after after_unit, if given), 2 the unit codes in
 * (after_unit, last_unit], 3 those after after_unit. */
static int store_index_query_kind(const struct store_index_query *q)
{
    return q->unit ? 1 : q->last_unit ? 2 : q->after_unit ? 3 : 0;
}

/* Result rows of one index and period (see store.h). The total comes from
 * the columns of a result row and is reported as node index_id; the
 * dimensions from its nodes blob, at the positions index_layout names. */
int store_index_results(struct store *st, const char *index_id, const char *period,
                        const char *unit, int totals_only, store_index_result_cb cb, void *ctx)
{
    const struct store_index_query q = {index_id, period, unit, NULL, NULL};
    return store_index_results_q(st, &q, totals_only, cb, ctx);
}

/* As store_index_results(), of the units in q's range (see results.h). */
int store_index_results_q(struct store *st, const struct store_index_query *q, int totals_only,
                          store_index_result_cb cb, void *ctx)
{
    /* A unit or a range of unit codes reads the units by code and each one's
     * result by its key (CROSS JOIN keeps that order), so a page costs its
     * units, not the period's; the whole period is read by result key. */
#define RESULTS_FROM(FROM, WHERE)                                                                  \
    FROM " WHERE r.index_id = ?1 AND r.period = ?2 AND u.id = r.unit_id" WHERE
#define RESULTS_SQL(FROM, WHERE)                                                                   \
    "SELECT u.code, u.name, r.index_id, r.period, r.score, r.rank, r.rank_change, r.flags,"        \
    " " RESULT_AT("r") RESULTS_FROM(                                                               \
        FROM,                                                                                      \
        WHERE) " UNION ALL SELECT u.code, u.name, l.id, r.period, blob_double(r.nodes, 4 * "       \
               "l.pos),"                                                                           \
               " blob_double(r.nodes, 4 * l.pos + 1), blob_double(r.nodes, 4 * l.pos + 2),"        \
               " coalesce(blob_double(r.nodes, 4 * l.pos + 3), 0), " RESULT_AT("r") RESULTS_FROM(  \
                   FROM " CROSS JOIN index_layout l",                                              \
                   WHERE) " AND l.index_id = r.index_id AND l.kind = 'node' AND r.nodes IS NOT "   \
                          "NULL ORDER BY 1, 3"
#define BY_KEY  " FROM result r JOIN unit u"
#define BY_UNIT " FROM unit u CROSS JOIN result r"
    static const char *const all[] = {
        RESULTS_SQL(BY_KEY, ""),
        RESULTS_SQL(BY_UNIT, " AND u.code = ?3 AND u.code > ?4"),
        RESULTS_SQL(BY_UNIT, " AND u.code > ?4 AND u.code <= ?5"),
        RESULTS_SQL(BY_UNIT, " AND u.code > ?4"),
    };
    static const char totals[] =
        "SELECT u.code, u.name, r.index_id, r.period, r.score, r.rank,"
        " r.rank_change, r.flags, " RESULT_AT("r") RESULTS_FROM(
            BY_KEY, " AND (?3 IS NULL OR u.code = ?3)"
                    " AND (?4 IS NULL OR u.code > ?4)"
                    " AND (?5 IS NULL OR u.code <= ?5)") " ORDER BY r.rank IS NULL, r.rank, u.code";
#undef RESULTS_SQL
#undef RESULTS_FROM
    sqlite3_stmt *s;
    int rc = prepare(st, totals_only ? totals : all[store_index_query_kind(q)], &s, "results");
    if (rc < 0)
        return rc;
    store_bind_text(s, 1, q->index_id);
    store_bind_text(s, 2, q->period);
    store_bind_text(s, 3, q->unit);
    store_bind_text(s, 4, q->after_unit ? q->after_unit : "");
    store_bind_text(s, 5, q->last_unit);
    return walk(st, s, result_row, &(struct walker){.cb.result = cb, .ctx = ctx}, "results");
}

/* ---- A ranking page from the period's chunks (results.h,
 * STORE_RANKING_CHUNK): the chunk the page starts in found by its first key,
 * the page's entries read from it and the next, each unit's code and name by
 * its id. ---- */

/* One chunk: its first key and its entries, copied out of the statement. */
struct rank_chunk {
    int unranked;
    int64_t rank;
    char *code; /* owned */
    size_t n;
    unsigned char e[STORE_RANKING_CHUNK * STORE_RANKING_ENTRY];
};

static uint32_t get_u32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t get_u64(const unsigned char *b)
{
    return (uint64_t)get_u32(b) | (uint64_t)get_u32(b + 4) << 32;
}

/* Steps s (bound) for one chunk into c: 1 found, 0 none, or a negative
 * errno (a chunk that is not one of ours is -EIO). */
static int chunk_read(struct store *st, sqlite3_stmt *s, struct rank_chunk *c)
{
    int step = sqlite3_step(s), rc = 0;
    if (step == SQLITE_ROW) {
        const char *code = col_text(s, 2);
        int64_t n = sqlite3_column_int64(s, 3);
        int len = sqlite3_column_bytes(s, 4);
        const void *e = sqlite3_column_blob(s, 4);
        if (!code || n < 1 || n > STORE_RANKING_CHUNK || len != n * STORE_RANKING_ENTRY || !e) {
            snprintf(st->err, sizeof(st->err), "ranking: a chunk of %lld entries in %d bytes",
                     (long long)n, len);
            rc = -EIO;
        } else {
            c->unranked = sqlite3_column_int(s, 0) != 0;
            c->rank = sqlite3_column_int64(s, 1);
            free(c->code);
            c->n = (size_t)n;
            memcpy(c->e, e, (size_t)len);
            rc = (c->code = strdup(code)) ? 1 : -ENOMEM;
        }
    } else if (step != SQLITE_DONE) {
        rc = store_fail(st, "ranking");
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc;
}

#define CHUNK_COLS "SELECT unranked, rank, code, n, entries FROM result_ranking"

/* The first chunk of (index_id, period) into c: 1, 0 when it has none. */
static int chunk_first(struct store *st, const char *index_id, const char *period,
                       struct rank_chunk *c)
{
    static const char sql[] = CHUNK_COLS " WHERE index_id = ?1 AND period = ?2"
                                         " ORDER BY unranked, rank, code LIMIT 1";
    sqlite3_stmt *s = store_stmt_cached(st, sql);
    if (!s)
        return -EIO;
    store_bind_text(s, 1, index_id);
    store_bind_text(s, 2, period);
    return chunk_read(st, s, c);
}

/* The chunk after (up: before) the key (unranked, rank, code), or the last
 * one at or before it: 1 into c, 0 when there is none. */
static int chunk_near(struct store *st, const char *index_id, const char *period, int unranked,
                      int64_t rank, const char *code, int next, struct rank_chunk *c)
{
    static const char after_sql[] =
        CHUNK_COLS " WHERE index_id = ?1 AND period = ?2 AND (unranked, rank, code) > (?3, ?4, ?5)"
                   " ORDER BY unranked, rank, code LIMIT 1";
    static const char at_sql[] =
        CHUNK_COLS " WHERE index_id = ?1 AND period = ?2 AND (unranked, rank, code) <= (?3, ?4, ?5)"
                   " ORDER BY unranked DESC, rank DESC, code DESC LIMIT 1";
    sqlite3_stmt *s = store_stmt_cached(st, next ? after_sql : at_sql);
    if (!s)
        return -EIO;
    store_bind_text(s, 1, index_id);
    store_bind_text(s, 2, period);
    sqlite3_bind_int(s, 3, unranked);
    sqlite3_bind_int64(s, 4, rank);
    store_bind_text(s, 5, code);
    return chunk_read(st, s, c);
}

/* The code and name of the units a connection's ranking pages showed, by
 * id (a slot each, id modulo the slots), while nothing changed the store:
 * another connection's commit moves PRAGMA data_version, this one's own
 * changes its total of changes; either empties it. A page's units are then
 * read from memory instead of one look-up each in the unit table. */
#define NAME_SLOTS 16384

struct store_unit_names {
    int64_t dv, changes;
    struct {
        int64_t id; /* 0: empty (unit ids start at 1) */
        char *code, *name;
    } slot[NAME_SLOTS];
};

static void names_clear(struct store_unit_names *n)
{
    for (size_t i = 0; i < NAME_SLOTS; i++) {
        free(n->slot[i].code);
        free(n->slot[i].name);
        n->slot[i].id = 0;
        n->slot[i].code = n->slot[i].name = NULL;
    }
}

void store_unit_names_free(struct store_unit_names *n)
{
    if (n)
        names_clear(n);
    free(n);
}

/* The connection's names, emptied when the store changed since they were
 * read (inside the page's read transaction). */
static int names_check(struct store *st)
{
    int64_t dv, changes = sqlite3_total_changes64(st->db);
    int rc = store_change_counter(st, &dv);
    if (rc < 0)
        return rc;
    if (!st->names && !(st->names = calloc(1, sizeof(*st->names))))
        return -ENOMEM;
    if (st->names->dv != dv || st->names->changes != changes) {
        names_clear(st->names);
        st->names->dv = dv;
        st->names->changes = changes;
    }
    return 0;
}

/* The code and name of unit id: 1, 0 when the unit is gone, or a negative
 * errno. Borrowed until the next call. */
static int unit_by_id(struct store *st, int64_t id, const char **code, const char **name)
{
    static const char sql[] = "SELECT code, name FROM unit WHERE id = ?1";
    size_t at = (size_t)((uint64_t)id % NAME_SLOTS);
    sqlite3_stmt *s;
    int rc;

    if (id > 0 && st->names && st->names->slot[at].id == id) {
        *code = st->names->slot[at].code;
        *name = st->names->slot[at].name;
        return 1;
    }
    if (!(s = store_stmt_cached(st, sql)))
        return -EIO;
    sqlite3_bind_int64(s, 1, id);
    int step = sqlite3_step(s);
    rc = step == SQLITE_ROW ? 1 : step == SQLITE_DONE ? 0 : store_fail(st, "ranking unit");
    if (rc == 1 && st->names && id > 0) {
        const char *c = col_text(s, 0), *nm = col_text(s, 1);
        char *cc = c ? strdup(c) : NULL, *nn = nm ? strdup(nm) : NULL;
        if ((c && !cc) || (nm && !nn)) {
            free(cc);
            free(nn);
            rc = -ENOMEM;
        } else {
            free(st->names->slot[at].code);
            free(st->names->slot[at].name);
            st->names->slot[at].id = id;
            st->names->slot[at].code = cc;
            st->names->slot[at].name = nn;
            *code = cc;
            *name = nn;
        }
    } else if (rc == 1) {
        rc = -EIO; /* names_check() came first: a unit id of 0 or less is not ours */
        snprintf(st->err, sizeof(st->err), "ranking: unit id %lld", (long long)id);
    }
    sqlite3_reset(s);
    return rc;
}

/* 1 when entry i of c goes after the key (its code read only on a tie). */
static int entry_after(struct store *st, const struct rank_chunk *c, size_t i,
                       const struct store_rank_key *after)
{
    const unsigned char *e = c->e + i * STORE_RANKING_ENTRY;
    int32_t rank = (int32_t)get_u32(e + 16);
    int unranked = rank == 0;
    const char *code = NULL, *name = NULL;
    if (unranked != (after->unranked != 0))
        return unranked > (after->unranked != 0);
    if (!unranked && rank != after->rank)
        return rank > after->rank;
    if (unranked && after->rank != 0)
        return 0 > after->rank;
    int rc = unit_by_id(st, (int64_t)get_u64(e), &code, &name);
    return rc == 1 ? code && strcmp(code, after->unit) > 0 : rc;
}

/* The ranking page from the chunks: -ENOENT when the period has none. */
static int ranking_from_chunks(struct store *st, const char *index_id, const char *period,
                               const struct store_rank_key *after, long limit,
                               store_index_result_cb cb, void *ctx)
{
    static const char at_sql[] =
        "SELECT computed_at FROM result_period WHERE index_id = ?1 AND period = ?2";
    struct rank_chunk *c = calloc(1, sizeof(*c));
    int64_t computed_at = 0;
    size_t i = 0;
    int rc, stop = 0;

    if (!c)
        return -ENOMEM;
    /* one read transaction for the page (store_begin(): nested, a
     * savepoint): one snapshot, and one lock taken instead of one per
     * statement (the units' look-ups are 100 of them) */
    if ((rc = store_begin(st)) < 0) {
        free(c);
        return rc;
    }
    if ((rc = names_check(st)) < 0) {
        (void)store_commit(st);
        free(c);
        return rc;
    }
    rc = after ? chunk_near(st, index_id, period, after->unranked != 0, after->rank, after->unit, 0,
                            c)
               : 0;
    if (rc == 0) /* no key, or the key before the first chunk */
        rc = chunk_first(st, index_id, period, c);
    if (rc == 0)
        rc = -ENOENT;
    if (rc > 0 && after) { /* the first entry after the key: binary search */
        size_t lo = 0, hi = c->n;
        while (lo < hi && rc > 0) {
            size_t mid = lo + (hi - lo) / 2;
            int a = entry_after(st, c, mid, after);
            if (a < 0)
                rc = a;
            else if (a)
                hi = mid;
            else
                lo = mid + 1;
        }
        i = lo;
    }
    if (rc > 0) {
        sqlite3_stmt *s = store_stmt_cached(st, at_sql);
        if (!s) {
            rc = -EIO;
        } else {
            store_bind_text(s, 1, index_id);
            store_bind_text(s, 2, period);
            if (sqlite3_step(s) == SQLITE_ROW)
                computed_at = sqlite3_column_int64(s, 0);
            sqlite3_reset(s);
            sqlite3_clear_bindings(s);
        }
    }
    for (long k = 0; rc > 0 && !stop && (limit < 0 || k < limit); k++) {
        if (i == c->n) {
            char *code = c->code;
            c->code = NULL;
            rc = chunk_near(st, index_id, period, c->unranked, c->rank, code, 1, c);
            free(code);
            if (rc <= 0)
                break;
            i = 0;
        }
        const unsigned char *e = c->e + i++ * STORE_RANKING_ENTRY;
        uint64_t bits = get_u64(e + 8);
        int32_t rank = (int32_t)get_u32(e + 16), change = (int32_t)get_u32(e + 20);
        double score;
        const char *code = NULL, *name = NULL;
        memcpy(&score, &bits, sizeof(score));
        if ((rc = unit_by_id(st, (int64_t)get_u64(e), &code, &name)) == 1) {
            struct store_index_result_row r = {
                .unit = code,
                .unit_name = name,
                .node = index_id,
                .period = period,
                .score = isnan(score) ? 0 : score, /* as SQL reads NULL */
                .has_score = !isnan(score),
                .rank = rank,
                .has_rank = rank != 0,
                .rank_change = change != INT32_MIN ? change : 0,
                .has_rank_change = change != INT32_MIN,
                .flags = (long)get_u32(e + 24),
                .computed_at = computed_at,
            };
            stop = cb(&r, ctx);
        } else if (rc == 0) {
            snprintf(st->err, sizeof(st->err), "ranking: unit id %lld is gone",
                     (long long)get_u64(e));
            rc = -EIO;
        }
    }
    free(c->code);
    free(c);
    (void)store_commit(st);
    return rc < 0 ? rc : stop;
}

/* One page of a ranking: keyset on (unranked, rank, unit code), the order
 * of store_index_results() with totals_only (see results.h), from the
 * period's chunks; a period without any (results kept from before schema
 * version 16, until the next recompute) is ranked by SQL. */
int store_index_ranking_page(struct store *st, const char *index_id, const char *period,
                             const struct store_rank_key *after, long limit,
                             store_index_result_cb cb, void *ctx)
{
    int rc = ranking_from_chunks(st, index_id, period, after, limit > 0 ? limit : -1, cb, ctx);
    if (rc != -ENOENT)
        return rc;
    /* The time of the period's results is one subquery on the bound key
     * (every row has the same), not one per row. */
    static const char sql[] =
        "SELECT u.code, u.name, r.index_id, r.period, r.score, r.rank, r.rank_change, r.flags,"
        " (SELECT rp.computed_at FROM result_period rp WHERE rp.index_id = ?1 AND rp.period = ?2)"
        " FROM result r JOIN unit u ON u.id = r.unit_id"
        " WHERE r.index_id = ?1 AND r.period = ?2"
        " AND (?3 IS NULL OR (r.rank IS NULL, coalesce(r.rank, 0), u.code) > (?4, ?5, ?3))"
        " ORDER BY r.rank IS NULL, coalesce(r.rank, 0), u.code LIMIT ?6";
    sqlite3_stmt *s = store_stmt_cached(st, sql);
    if (!s)
        return -EIO;
    store_bind_text(s, 1, index_id);
    store_bind_text(s, 2, period);
    store_bind_text(s, 3, after ? after->unit : NULL);
    sqlite3_bind_int(s, 4, after ? after->unranked : 0);
    sqlite3_bind_int64(s, 5, after ? after->rank : 0);
    sqlite3_bind_int64(s, 6, limit > 0 ? limit : -1);
    return walk_cached(st, s, result_row, &(struct walker){.cb.result = cb, .ctx = ctx}, "ranking");
}

/* Units with results of index_id for period after after, by code (see
 * results.h). */
int store_index_units_page(struct store *st, const char *index_id, const char *period,
                           const char *after, long limit, store_index_result_cb cb, void *ctx)
{
    static const char sql[] =
        "SELECT u.code, u.name, r.index_id, r.period, r.score, r.rank, r.rank_change, r.flags,"
        " " RESULT_AT(
            "r") " FROM unit u CROSS JOIN result r"
                 " WHERE u.code > ?3 AND r.index_id = ?1 AND r.period = ?2 AND r.unit_id = u.id"
                 " ORDER BY u.code LIMIT ?4";
    sqlite3_stmt *s;
    int rc = prepare(st, sql, &s, "index units");
    if (rc < 0)
        return rc;
    store_bind_text(s, 1, index_id);
    store_bind_text(s, 2, period);
    store_bind_text(s, 3, after ? after : "");
    sqlite3_bind_int64(s, 4, limit > 0 ? limit : -1);
    return walk(st, s, result_row, &(struct walker){.cb.result = cb, .ctx = ctx}, "index units");
}

/* Units with results of index_id for period (see results.h). */
int store_index_units_count(struct store *st, const char *index_id, const char *period, long *n)
{
    return count_of(st, "SELECT count(*) FROM result WHERE index_id = ?1 AND period = ?2", index_id,
                    period, n);
}

static int contribution_row(sqlite3_stmt *s, const struct walker *w)
{
    struct store_index_contrib_row r = {
        .unit = col_text(s, 0),
        .indicator = col_text(s, 1),
        .contribution = sqlite3_column_double(s, 2),
        .has_contribution = !col_null(s, 2),
    };
    return w->cb.contrib(&r, w->ctx);
}

/* Contributions of one index and period, by unit and indicator (see store.h),
 * from the contribs blobs at the leaf positions of index_layout. */
int store_index_contributions(struct store *st, const char *index_id, const char *period,
                              const char *unit, store_index_contrib_cb cb, void *ctx)
{
    const struct store_index_query q = {index_id, period, unit, NULL, NULL};
    return store_index_contributions_q(st, &q, cb, ctx);
}

/* As store_index_contributions(), of the units in q's range (see results.h). */
int store_index_contributions_q(struct store *st, const struct store_index_query *q,
                                store_index_contrib_cb cb, void *ctx)
{
    /* as in store_index_results_q(): a unit or a range reads units by code */
#define CONTRIBS_SQL(FROM, WHERE)                                                                  \
    "SELECT u.code, l.id, blob_double(r.contribs, l.pos)" FROM " CROSS JOIN index_layout l"        \
    " WHERE r.index_id = ?1 AND r.period = ?2 AND u.id = r.unit_id" WHERE                          \
    " AND l.index_id = r.index_id AND l.kind = 'leaf' AND r.contribs IS NOT NULL"                  \
    " ORDER BY u.code, l.id"
    static const char *const sql[] = {
        CONTRIBS_SQL(BY_KEY, ""),
        CONTRIBS_SQL(BY_UNIT, " AND u.code = ?3 AND u.code > ?4"),
        CONTRIBS_SQL(BY_UNIT, " AND u.code > ?4 AND u.code <= ?5"),
        CONTRIBS_SQL(BY_UNIT, " AND u.code > ?4"),
    };
#undef CONTRIBS_SQL
#undef BY_KEY
#undef BY_UNIT
    sqlite3_stmt *s;
    int rc = prepare(st, sql[store_index_query_kind(q)], &s, "contributions");
    if (rc < 0)
        return rc;
    store_bind_text(s, 1, q->index_id);
    store_bind_text(s, 2, q->period);
    store_bind_text(s, 3, q->unit);
    store_bind_text(s, 4, q->after_unit ? q->after_unit : "");
    store_bind_text(s, 5, q->last_unit);
    return walk(st, s, contribution_row, &(struct walker){.cb.contrib = cb, .ctx = ctx},
                "contributions");
}

static int run_row(sqlite3_stmt *s, const struct walker *w)
{
    struct store_run_row r = {
        .id = sqlite3_column_int64(s, 0),
        .source = col_text(s, 1),
        .period = col_text(s, 2),
        .started_at = sqlite3_column_int64(s, 3),
        .ended_at = sqlite3_column_int64(s, 4),
        .outcome = col_text(s, 5),
        .counts.n_new = (long)sqlite3_column_int64(s, 6),
        .counts.n_revised = (long)sqlite3_column_int64(s, 7),
        .counts.n_unchanged = (long)sqlite3_column_int64(s, 8),
        .counts.n_rejected = (long)sqlite3_column_int64(s, 9),
        .http_status = (long)sqlite3_column_int64(s, 10),
        .bytes = (long)sqlite3_column_int64(s, 11),
        .error = col_text(s, 12),
    };
    return w->cb.run(&r, w->ctx);
}

/* Up to limit runs, newest first, of source or of all (see store.h). */
int store_runs_list(struct store *st, const char *source, long limit, store_run_cb cb, void *ctx)
{
    sqlite3_stmt *s;
    int rc = prepare(st,
                     "SELECT id, source, period, started_at, ended_at, outcome, n_new,"
                     " n_revised, n_unchanged, n_rejected, http_status, bytes, error FROM run"
                     " WHERE ?1 IS NULL OR source = ?1 ORDER BY started_at DESC, id DESC"
                     " LIMIT ?2",
                     &s, "runs");
    if (rc < 0)
        return rc;
    store_bind_text(s, 1, source);
    sqlite3_bind_int64(s, 2, limit);
    return walk(st, s, run_row, &(struct walker){.cb.run = cb, .ctx = ctx}, "runs");
}

/* Runs older than the key (after_started, after_id) in the order of
 * store_runs_list() (after_id 0: from the newest), at most limit (see
 * bookkeeping.h). */
int store_runs_page(struct store *st, const char *source, int64_t after_started, int64_t after_id,
                    long limit, store_run_cb cb, void *ctx)
{
    sqlite3_stmt *s;
    int rc = prepare(st,
                     "SELECT id, source, period, started_at, ended_at, outcome, n_new,"
                     " n_revised, n_unchanged, n_rejected, http_status, bytes, error FROM run"
                     " WHERE (?1 IS NULL OR source = ?1)"
                     " AND (?3 = 0 OR (started_at, id) < (?4, ?3))"
                     " ORDER BY started_at DESC, id DESC LIMIT ?2",
                     &s, "runs");
    if (rc < 0)
        return rc;
    store_bind_text(s, 1, source);
    sqlite3_bind_int64(s, 2, limit > 0 ? limit : -1);
    sqlite3_bind_int64(s, 3, after_id);
    sqlite3_bind_int64(s, 4, after_started);
    return walk(st, s, run_row, &(struct walker){.cb.run = cb, .ctx = ctx}, "runs");
}

int store_runs_count(struct store *st, const char *source, long *n)
{
    return count_of(st, "SELECT count(*) FROM run WHERE ?1 IS NULL OR source = ?1", source, NULL,
                    n);
}

/* The numbers that change whenever data the API serves changes (see store.h). */
int store_data_version(struct store *st, struct store_data_version *v)
{
    sqlite3_stmt *s;
    int rc = prepare(st,
                     "SELECT (SELECT coalesce(max(id), 0) FROM run),"
                     " (SELECT coalesce(max(ended_at), 0) FROM run),"
                     " (SELECT coalesce(max(computed_at), 0) FROM result_period),"
                     " (SELECT count(*) FROM unit), (SELECT count(*) FROM indicator)",
                     &s, "data version");
    if (rc < 0)
        return rc;
    if (sqlite3_step(s) == SQLITE_ROW) {
        v->max_run_id = sqlite3_column_int64(s, 0);
        v->max_run_ended = sqlite3_column_int64(s, 1);
        v->max_computed_at = sqlite3_column_int64(s, 2);
        v->n_units = sqlite3_column_int64(s, 3);
        v->n_indicators = sqlite3_column_int64(s, 4);
        rc = 0;
    } else {
        rc = store_fail(st, "data version");
    }
    sqlite3_finalize(s);
    return rc;
}
