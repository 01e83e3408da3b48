/*
 * results.c - what the aggregation engine (compute/) reads from and writes to
 * the store: a bulk walk over the current (or as-of) observations by database
 * ids, the replacement of index results, contributions and recompute marks in
 * one transaction, the index config hashes that decide between an incremental
 * and a full recompute, and a query over results joined with unit attributes.
 *
 * The hash table index_state is created here with CREATE TABLE IF NOT EXISTS
 * rather than by a schema migration: it is a cache (losing it only forces a
 * full recompute), so it needs no version bump of its own.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_priv.h"

static const char index_state_sql[] = "CREATE TABLE IF NOT EXISTS index_state("
                                      " index_id TEXT PRIMARY KEY,"
                                      " config_hash TEXT NOT NULL,"
                                      " computed_at INTEGER)";

static int prepare(struct store *st, const char *sql, sqlite3_stmt **s)
{
    if (sqlite3_prepare_v2(st->db, sql, -1, s, NULL) != SQLITE_OK) {
        *s = NULL;
        return store_fail(st, "prepare");
    }
    return 0;
}

/*
 * Walks the current observations (as_of 0) or those valid at as_of (us),
 * calling cb with database ids. Returns 0, cb's non-zero return, or -EIO.
 */
int store_obs_walk_ids(struct store *st, int64_t as_of, store_obs_id_cb cb, void *ctx)
{
    sqlite3_stmt *s;
    int rc = prepare(st,
                     as_of ? "SELECT unit_id, indicator_id, period, value FROM observation"
                             " WHERE valid_from <= ?1 AND (valid_to IS NULL OR ?1 < valid_to)"
                           : "SELECT unit_id, indicator_id, period, value FROM observation"
                             " WHERE valid_to IS NULL",
                     &s);
    if (rc < 0)
        return rc;
    if (as_of)
        sqlite3_bind_int64(s, 1, as_of);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *p = (const char *)sqlite3_column_text(s, 2);
        int r = cb(sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1), p ? p : "",
                   (size_t)sqlite3_column_bytes(s, 2), sqlite3_column_double(s, 3), ctx);
        if (r != 0) {
            sqlite3_finalize(s);
            return r;
        }
    }
    rc = rc == SQLITE_DONE ? 0 : store_fail(st, "observation walk");
    sqlite3_finalize(s);
    return rc;
}

/*
 * Calls cb for every (index, period) marked for recomputation. Returns 0,
 * cb's non-zero return or -EIO.
 */
int store_recompute_marks(struct store *st, store_mark_cb cb, void *ctx)
{
    sqlite3_stmt *s;
    int rc = prepare(st, "SELECT index_id, period FROM recompute ORDER BY index_id, period", &s);
    if (rc < 0)
        return rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int r = cb((const char *)sqlite3_column_text(s, 0), (const char *)sqlite3_column_text(s, 1),
                   ctx);
        if (r != 0) {
            sqlite3_finalize(s);
            return r;
        }
    }
    rc = rc == SQLITE_DONE ? 0 : store_fail(st, "recompute marks");
    sqlite3_finalize(s);
    return rc;
}

/*
 * The stored config hash of index_id into buf (NUL-terminated, truncated to
 * size). Returns 0, -ENOENT when none is stored, -EIO.
 */
int store_index_hash_get(struct store *st, const char *index_id, char *buf, size_t size)
{
    sqlite3_stmt *s;
    int rc;

    if (sqlite3_exec(st->db, index_state_sql, NULL, NULL, NULL) != SQLITE_OK)
        return store_fail(st, "index_state");
    if ((rc = prepare(st, "SELECT config_hash FROM index_state WHERE index_id = ?1", &s)) < 0)
        return rc;
    store_bind_text(s, 1, index_id);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        const char *h = (const char *)sqlite3_column_text(s, 0);
        snprintf(buf, size, "%s", h ? h : "");
        rc = 0;
    } else {
        rc = rc == SQLITE_DONE ? -ENOENT : store_fail(st, "index hash");
    }
    sqlite3_finalize(s);
    return rc;
}

static int bind_real_or_null(sqlite3_stmt *s, int idx, double v)
{
    return isfinite(v) ? sqlite3_bind_double(s, idx, v) : sqlite3_bind_null(s, idx);
}

static int step_reset(struct store *st, sqlite3_stmt *s, const char *what)
{
    int rc = sqlite3_step(s) == SQLITE_DONE ? 0 : store_fail(st, what);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc;
}

/* Deletes every result and contribution of the wiped indices: one range
 * delete on the primary keys, which lead with index_id. */
static int wipe_indices(struct store *st, const struct store_results_batch *b)
{
    static const char *const sql[2] = {
        "DELETE FROM result WHERE index_id = ?1",
        "DELETE FROM contribution WHERE index_id = ?1",
    };
    int rc = 0;
    for (int k = 0; k < 2 && rc == 0 && b->nwipe; k++) {
        sqlite3_stmt *s;
        if ((rc = prepare(st, sql[k], &s)) < 0)
            break;
        for (size_t i = 0; i < b->nwipe && rc == 0; i++) {
            store_bind_text(s, 1, b->wipe[i]);
            rc = step_reset(st, s, "wipe results");
        }
        sqlite3_finalize(s);
    }
    return rc;
}

/* Deletes results, contributions and marks of the cleared keys. */
static int clear_keys(struct store *st, const struct store_results_batch *b)
{
    static const char *const sql[3] = {
        "DELETE FROM result WHERE index_id = ?1 AND period = ?2",
        "DELETE FROM contribution WHERE index_id = ?1 AND period = ?2",
        "DELETE FROM recompute WHERE index_id = ?1 AND period = ?2",
    };
    int rc = 0;
    for (int k = 0; k < 3 && rc == 0; k++) {
        sqlite3_stmt *s;
        if ((rc = prepare(st, sql[k], &s)) < 0)
            break;
        for (size_t i = 0; i < b->nclear && rc == 0; i++) {
            store_bind_text(s, 1, b->clear[i].index_id);
            store_bind_text(s, 2, b->clear[i].period);
            rc = step_reset(st, s, "clear results");
        }
        sqlite3_finalize(s);
    }
    return rc;
}

static int put_results(struct store *st, const struct store_results_batch *b)
{
    sqlite3_stmt *s;
    int rc = prepare(st,
                     "INSERT OR REPLACE INTO result(index_id, node, unit_id, period, score, rank,"
                     " rank_change, flags, computed_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                     &s);
    for (size_t i = 0; i < b->nresults && rc == 0; i++) {
        const struct store_result *r = &b->results[i];
        store_bind_text(s, 1, r->index_id);
        store_bind_text(s, 2, r->node);
        sqlite3_bind_int64(s, 3, r->unit_id);
        store_bind_text(s, 4, r->period);
        bind_real_or_null(s, 5, r->score);
        if (isfinite(r->rank))
            sqlite3_bind_int64(s, 6, (int64_t)r->rank);
        if (isfinite(r->rank_change))
            sqlite3_bind_int64(s, 7, (int64_t)r->rank_change);
        sqlite3_bind_int64(s, 8, r->flags);
        sqlite3_bind_int64(s, 9, b->computed_at);
        rc = step_reset(st, s, "result insert");
    }
    sqlite3_finalize(s);
    return rc;
}

static int put_contribs(struct store *st, const struct store_results_batch *b)
{
    sqlite3_stmt *s;
    int rc = prepare(st,
                     "INSERT OR REPLACE INTO contribution(index_id, unit_id, period, indicator,"
                     " contribution) VALUES(?1, ?2, ?3, ?4, ?5)",
                     &s);
    for (size_t i = 0; i < b->ncontribs && rc == 0; i++) {
        const struct store_contrib *c = &b->contribs[i];
        store_bind_text(s, 1, c->index_id);
        sqlite3_bind_int64(s, 2, c->unit_id);
        store_bind_text(s, 3, c->period);
        store_bind_text(s, 4, c->indicator);
        bind_real_or_null(s, 5, c->contribution);
        rc = step_reset(st, s, "contribution insert");
    }
    sqlite3_finalize(s);
    return rc;
}

static int put_hashes(struct store *st, const struct store_results_batch *b)
{
    sqlite3_stmt *s;
    int rc = prepare(st,
                     "INSERT OR REPLACE INTO index_state(index_id, config_hash, computed_at)"
                     " VALUES(?1, ?2, ?3)",
                     &s);
    for (size_t i = 0; i < b->nhashes && rc == 0; i++) {
        store_bind_text(s, 1, b->hashes[i].index_id);
        store_bind_text(s, 2, b->hashes[i].hash);
        sqlite3_bind_int64(s, 3, b->computed_at);
        rc = step_reset(st, s, "index hash");
    }
    sqlite3_finalize(s);
    return rc;
}

/*
 * Replaces results in one transaction, all or nothing: deletes everything of
 * the wiped indices and the results, contributions and recompute marks of
 * every cleared (index, period), inserts
 * the new rows and records the index hashes. Returns 0, -EIO, -EBUSY.
 */
int store_results_replace(struct store *st, const struct store_results_batch *b)
{
    int rc;

    if (sqlite3_exec(st->db, index_state_sql, NULL, NULL, NULL) != SQLITE_OK)
        return store_fail(st, "index_state");
    if ((rc = store_tx_begin(st)) < 0)
        return rc;
    if ((rc = wipe_indices(st, b)) < 0 || (rc = clear_keys(st, b)) < 0 ||
        (rc = put_results(st, b)) < 0 || (rc = put_contribs(st, b)) < 0 ||
        (rc = put_hashes(st, b)) < 0 || (rc = store_tx_commit(st)) < 0) {
        store_tx_rollback(st);
        return rc;
    }
    return 0;
}

/*
 * Results of one index node (q->node NULL: the total, node = index id) and
 * period, optionally only scores >= q->min_score (NAN: all) and units whose
 * attribute q->attr_key equals q->attr_value; ordered by rank, then unit code.
 * Returns 0, cb's non-zero return, or -EIO.
 */
int store_query_results(struct store *st, const struct store_results_query *q,
                        store_result_row_cb cb, void *ctx)
{
    sqlite3_stmt *s;
    int rc = prepare(
        st,
        "SELECT u.code, u.name, p.code, r.score, r.rank, r.rank_change, r.flags, u.attributes,"
        " json_extract(u.attributes, '$.' || ?5)"
        " FROM result r JOIN unit u ON u.id = r.unit_id LEFT JOIN unit p ON p.id = u.parent_id"
        " WHERE r.index_id = ?1 AND r.node = coalesce(?2, ?1) AND r.period = ?3"
        " AND (?4 IS NULL OR r.score >= ?4)"
        " AND (?6 IS NULL OR json_extract(u.attributes, '$.' || ?5) = ?6)"
        " ORDER BY r.rank IS NULL, r.rank, r.score DESC, u.code",
        &s);
    if (rc < 0)
        return rc;
    store_bind_text(s, 1, q->index_id);
    store_bind_text(s, 2, q->node);
    store_bind_text(s, 3, q->period);
    bind_real_or_null(s, 4, q->min_score);
    store_bind_text(s, 5, q->attr_key);
    store_bind_text(s, 6, q->attr_key ? q->attr_value : NULL);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_result_row row = {
            .unit = (const char *)sqlite3_column_text(s, 0),
            .name = (const char *)sqlite3_column_text(s, 1),
            .parent = (const char *)sqlite3_column_text(s, 2),
            .score = sqlite3_column_type(s, 3) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 3),
            .rank = sqlite3_column_type(s, 4) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 4),
            .rank_change =
                sqlite3_column_type(s, 5) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 5),
            .flags = (unsigned)sqlite3_column_int64(s, 6),
            .attributes = (const char *)sqlite3_column_text(s, 7),
            .attr_value = (const char *)sqlite3_column_text(s, 8),
        };
        int r = cb(&row, ctx);
        if (r != 0) {
            sqlite3_finalize(s);
            return r;
        }
    }
    rc = rc == SQLITE_DONE ? 0 : store_fail(st, "results query");
    sqlite3_finalize(s);
    return rc;
}
