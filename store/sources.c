/*
 * sources.c - collector bookkeeping in the store (schema version 2): pull
 * state per source and period (for the scheduler), response validators per
 * request (conditional GET), source health, absent keys and recompute marks.
 *
 * These run a few times per pull; their statements are prepared once per
 * connection (store_stmt_cached) and reset after each use.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/timefmt.h"
#include "store/bookkeeping.h"
#include "store/observations.h"
#include "store/results.h"
#include "store/store_priv.h"

/* The statement for sql (a string literal: its address is the cache key),
 * prepared once per connection. Borrowed: reset after use, never finalized. */
static int prepare(struct store *st, const char *sql, sqlite3_stmt **s)
{
    *s = store_stmt_cached(st, sql);
    return *s ? 0 : -EIO;
}

/* Steps a write statement to completion and finalizes it. */
static int run_write(struct store *st, sqlite3_stmt *s, const char *what)
{
    int rc = sqlite3_step(s) == SQLITE_DONE ? 0 : store_fail(st, what);
    sqlite3_reset(s);
    return rc;
}

static char *column_dup(sqlite3_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    return t ? strdup((const char *)t) : NULL;
}

int store_pull_states(struct store *st, const char *source, struct store_pull_state **out,
                      size_t *n)
{
    sqlite3_stmt *s;
    struct store_pull_state *v = NULL;
    size_t cap = 0, len = 0;
    int rc;

    *out = NULL;
    *n = 0;
    if ((rc = prepare(st,
                      "SELECT period, last_attempt, last_success, not_published"
                      " FROM pull_state WHERE source = ?1 ORDER BY period",
                      &s)) < 0)
        return rc;
    store_bind_text(s, 1, source);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (BUF_GROW(&v, &cap, len + 1, BUF_UNCAPPED) < 0) {
            rc = SQLITE_NOMEM;
            break;
        }
        memset(&v[len], 0, sizeof(v[len]));
        strncpy(v[len].period, (const char *)sqlite3_column_text(s, 0), PERIOD_TEXT_SIZE - 1);
        v[len].last_attempt = sqlite3_column_int64(s, 1);
        v[len].last_success = sqlite3_column_int64(s, 2);
        v[len].not_published = sqlite3_column_int(s, 3);
        len++;
    }
    if (rc != SQLITE_DONE) {
        rc = rc == SQLITE_NOMEM ? -ENOMEM : store_fail(st, "pull states");
        sqlite3_reset(s);
        free(v);
        return rc;
    }
    sqlite3_reset(s);
    *out = v;
    *n = len;
    return 0;
}

int store_pull_record(struct store *st, const char *source, const char *period, int64_t attempt,
                      int success, int not_published)
{
    sqlite3_stmt *s;
    int rc =
        prepare(st,
                "INSERT INTO pull_state(source, period, last_attempt, last_success,"
                " not_published) VALUES(?1, ?2, ?3, CASE WHEN ?4 THEN ?5 END, ?6)"
                " ON CONFLICT(source, period) DO UPDATE SET last_attempt = excluded.last_attempt,"
                " last_success = coalesce(excluded.last_success, last_success),"
                " not_published = excluded.not_published",
                &s);
    if (rc < 0)
        return rc;
    store_bind_text(s, 1, source);
    store_bind_text(s, 2, period);
    sqlite3_bind_int64(s, 3, attempt);
    sqlite3_bind_int(s, 4, success);
    sqlite3_bind_int64(s, 5, time_now_us());
    sqlite3_bind_int(s, 6, not_published);
    return run_write(st, s, "pull state");
}

int store_validators_get(struct store *st, const char *source, const char *period, const char *unit,
                         char **etag, char **last_modified)
{
    sqlite3_stmt *s;
    int rc = prepare(st,
                     "SELECT etag, last_modified FROM validator"
                     " WHERE source = ?1 AND period = ?2 AND unit = ?3",
                     &s);
    *etag = *last_modified = NULL;
    if (rc < 0)
        return rc;
    store_bind_text(s, 1, source);
    store_bind_text(s, 2, period);
    store_bind_text(s, 3, unit);
    if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        *etag = column_dup(s, 0);
        *last_modified = column_dup(s, 1);
        rc = 0;
    } else {
        rc = rc == SQLITE_DONE ? -ENOENT : store_fail(st, "validators");
    }
    sqlite3_reset(s);
    return rc;
}

int store_validators_put(struct store *st, const char *source, const char *period, const char *unit,
                         const char *etag, const char *last_modified)
{
    sqlite3_stmt *s;
    int rc = prepare(st,
                     "INSERT OR REPLACE INTO validator(source, period, unit, etag, last_modified)"
                     " VALUES(?1, ?2, ?3, ?4, ?5)",
                     &s);
    if (rc < 0)
        return rc;
    store_bind_text(s, 1, source);
    store_bind_text(s, 2, period);
    store_bind_text(s, 3, unit);
    store_bind_text(s, 4, etag);
    store_bind_text(s, 5, last_modified);
    return run_write(st, s, "validators");
}

int store_run_transfer(struct store *st, int64_t run_id, long http_status, long bytes)
{
    sqlite3_stmt *s;
    int rc = prepare(st, "UPDATE run SET http_status = ?2, bytes = ?3 WHERE id = ?1", &s);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(s, 1, run_id);
    sqlite3_bind_int64(s, 2, http_status);
    sqlite3_bind_int64(s, 3, bytes);
    return run_write(st, s, "run transfer");
}

int store_health_record(struct store *st, const struct store_health *h)
{
    sqlite3_stmt *s;
    int rc = prepare(
        st,
        "INSERT INTO source_health(source, last_attempt, last_success, consecutive_failures,"
        " last_outcome, last_status, last_error, last_duration, last_bytes, n_new, n_revised,"
        " n_unchanged, n_rejected)"
        " VALUES(?1, ?2, nullif(?3, 0), ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
        " ON CONFLICT(source) DO UPDATE SET last_attempt = excluded.last_attempt,"
        " last_success = coalesce(excluded.last_success, last_success),"
        " consecutive_failures = CASE WHEN ?4 THEN consecutive_failures + 1 ELSE 0 END,"
        " last_outcome = excluded.last_outcome, last_status = excluded.last_status,"
        " last_error = excluded.last_error, last_duration = excluded.last_duration,"
        " last_bytes = excluded.last_bytes, n_new = excluded.n_new,"
        " n_revised = excluded.n_revised, n_unchanged = excluded.n_unchanged,"
        " n_rejected = excluded.n_rejected",
        &s);
    if (rc < 0)
        return rc;
    store_bind_text(s, 1, h->source);
    sqlite3_bind_int64(s, 2, h->last_attempt);
    sqlite3_bind_int64(s, 3, h->last_success);
    sqlite3_bind_int(s, 4, h->failed ? 1 : 0);
    store_bind_text(s, 5, h->last_outcome);
    sqlite3_bind_int64(s, 6, h->last_status);
    store_bind_text(s, 7, h->last_error);
    sqlite3_bind_double(s, 8, h->last_duration_s);
    sqlite3_bind_int64(s, 9, h->last_bytes);
    sqlite3_bind_int64(s, 10, h->last_counts.n_new);
    sqlite3_bind_int64(s, 11, h->last_counts.n_revised);
    sqlite3_bind_int64(s, 12, h->last_counts.n_unchanged);
    sqlite3_bind_int64(s, 13, h->last_counts.n_rejected);
    return run_write(st, s, "source health");
}

int store_health_list(struct store *st, store_health_cb cb, void *ctx)
{
    sqlite3_stmt *s;
    int rc = prepare(st,
                     "SELECT source, last_attempt, coalesce(last_success, 0), consecutive_failures,"
                     " last_outcome, last_status, last_error, last_duration, last_bytes, n_new,"
                     " n_revised, n_unchanged, n_rejected FROM source_health ORDER BY source",
                     &s);
    if (rc < 0)
        return rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_health h = {0};
        h.source = (const char *)sqlite3_column_text(s, 0);
        h.last_attempt = sqlite3_column_int64(s, 1);
        h.last_success = sqlite3_column_int64(s, 2);
        h.consecutive_failures = sqlite3_column_int(s, 3);
        h.failed = h.consecutive_failures > 0;
        h.last_outcome = (const char *)sqlite3_column_text(s, 4);
        h.last_status = sqlite3_column_int(s, 5);
        h.last_error = (const char *)sqlite3_column_text(s, 6);
        h.last_duration_s = sqlite3_column_double(s, 7);
        h.last_bytes = sqlite3_column_int(s, 8);
        h.last_counts.n_new = sqlite3_column_int(s, 9);
        h.last_counts.n_revised = sqlite3_column_int(s, 10);
        h.last_counts.n_unchanged = sqlite3_column_int(s, 11);
        h.last_counts.n_rejected = sqlite3_column_int(s, 12);
        if ((rc = cb(&h, ctx)) != 0) {
            sqlite3_reset(s);
            return rc;
        }
    }
    rc = rc == SQLITE_DONE ? 0 : store_fail(st, "source health");
    sqlite3_reset(s);
    return rc;
}

/* Fills temp.batch_key with the batch's keys (a scratch table per connection). */
static int load_batch_keys(struct store *st, const struct store_obs *obs, size_t n)
{
    sqlite3_stmt *s;
    char period[PERIOD_TEXT_SIZE];
    int rc;

    if (sqlite3_exec(st->db,
                     "CREATE TEMP TABLE IF NOT EXISTS batch_key(unit_id INTEGER,"
                     " indicator_id INTEGER, period TEXT,"
                     " PRIMARY KEY(unit_id, indicator_id, period)) WITHOUT ROWID;"
                     "DELETE FROM temp.batch_key;",
                     NULL, NULL, NULL) != SQLITE_OK)
        return store_fail(st, "batch keys");
    if ((rc = prepare(st, "INSERT OR IGNORE INTO temp.batch_key VALUES(?1, ?2, ?3)", &s)) < 0)
        return rc;
    for (size_t i = 0; i < n && rc == 0; i++) {
        period_format(obs[i].period, period, sizeof(period));
        sqlite3_bind_int64(s, 1, obs[i].unit_id);
        sqlite3_bind_int64(s, 2, obs[i].indicator_id);
        store_bind_text(s, 3, period);
        rc = sqlite3_step(s) == SQLITE_DONE ? 0 : store_fail(st, "batch keys");
        sqlite3_reset(s);
    }
    sqlite3_reset(s);
    return rc;
}

/* 1 when an earlier run of source/period stored anything (indexed look-up). */
static int stored_before(struct store *st, int64_t run_id, const char *source, const char *period)
{
    sqlite3_stmt *s;
    int found = 0;

    if (prepare(st,
                "SELECT 1 FROM run WHERE source = ?1 AND period = ?2 AND id <> ?3"
                " AND n_new + n_revised > 0 LIMIT 1",
                &s) < 0)
        return 1; /* cannot tell: count */
    store_bind_text(s, 1, source);
    store_bind_text(s, 2, period);
    sqlite3_bind_int64(s, 3, run_id);
    found = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_reset(s);
    return found;
}

long store_count_absent(struct store *st, int64_t run_id, const char *source, const char *period,
                        const struct store_obs *obs, size_t n)
{
    sqlite3_stmt *s;
    long count = 0;
    int rc;

    /* The first pull of a source-period (the usual case) has nothing absent;
     * only a re-pull pays for the comparison, which reads every current row
     * of the earlier runs. */
    if (!stored_before(st, run_id, source, period))
        return 0;
    /* Inside a caller's transaction the scratch table rides along with it. */
    int own = sqlite3_get_autocommit(st->db);
    if (own && (rc = store_tx_begin(st)) < 0)
        return rc;
    if ((rc = load_batch_keys(st, obs, n)) < 0)
        goto out;
    if ((rc = prepare(st,
                      "SELECT count(*) FROM run r JOIN observation o ON o.run_id = r.id"
                      " WHERE r.source = ?1 AND r.period = ?2 AND r.id <> ?3"
                      " AND o.valid_to IS NULL AND NOT EXISTS (SELECT 1 FROM temp.batch_key k"
                      " WHERE k.unit_id = o.unit_id AND k.indicator_id = o.indicator_id"
                      " AND k.period = o.period)",
                      &s)) < 0)
        goto out;
    store_bind_text(s, 1, source);
    store_bind_text(s, 2, period);
    sqlite3_bind_int64(s, 3, run_id);
    if (sqlite3_step(s) == SQLITE_ROW)
        count = sqlite3_column_int64(s, 0);
    else
        rc = store_fail(st, "absent keys");
    sqlite3_reset(s);
out:
    /* Only the temp table was written: commit or roll back, it is scratch. */
    if (!own)
        ;
    else if (rc < 0)
        store_tx_rollback(st);
    else
        rc = store_tx_commit(st);
    return rc < 0 ? rc : count;
}

int store_mark_recompute(struct store *st, const char *index_id, const char *period)
{
    sqlite3_stmt *s;
    int rc = prepare(st, "INSERT OR IGNORE INTO recompute(index_id, period) VALUES(?1, ?2)", &s);
    if (rc < 0)
        return rc;
    store_bind_text(s, 1, index_id);
    store_bind_text(s, 2, period);
    return run_write(st, s, "recompute mark");
}
