/*
 * delete.c - withdrawn observations (an SDMX data set with action
 * "Delete"): the current vintage of each key is ended, never removed, so
 * what was known before stays readable as of any earlier time, and a later
 * ingest of the key starts a new current value.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store/store_priv.h"
#include "store/observations.h"

/* valid_to: now, or just after valid_from when the clock did not advance
 * since the vintage was written (vintages stay ordered). */
static const char delete_one_sql[] =
    "UPDATE observation SET valid_to = max(?4, valid_from + 1)"
    " WHERE unit_id = ?1 AND indicator_id = ?2 AND period = ?3 AND valid_to IS NULL"
    " RETURNING period";
static const char delete_all_sql[] =
    "UPDATE observation SET valid_to = max(?4, valid_from + 1)"
    " WHERE unit_id = ?1 AND indicator_id = ?2 AND valid_to IS NULL"
    " RETURNING period";

/* Ends the current vintage(s) of one key; calls cb per period ended. */
static int delete_key(struct store *st, int64_t now, const struct store_obs_delete *d,
                      store_deleted_cb cb, void *ctx, long *n)
{
    char period[PERIOD_TEXT_SIZE];
    sqlite3_stmt *s = store_stmt_cached(st, d->all_periods ? delete_all_sql : delete_one_sql);
    int rc;

    if (!s)
        return -EIO;
    if (!d->all_periods && period_format(d->period, period, sizeof(period)) < 0) {
        snprintf(st->err, sizeof(st->err), "delete: invalid period");
        return -EINVAL;
    }
    sqlite3_bind_int64(s, 1, d->unit_id);
    sqlite3_bind_int64(s, 2, d->indicator_id);
    if (d->all_periods)
        sqlite3_bind_null(s, 3);
    else
        sqlite3_bind_text(s, 3, period, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 4, now);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        (*n)++;
        if (cb)
            cb((const char *)sqlite3_column_text(s, 0), ctx);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
        return store_fail(st, "delete observation");
    return store_columns_touch(st, d->unit_id);
}

/* Runs a savepoint statement. Returns 0 or -EIO. */
static int savepoint(struct store *st, const char *sql)
{
    return sqlite3_exec(st->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : store_fail(st, sql);
}

int store_delete_obs(struct store *st, int64_t now, const struct store_obs_delete *d, size_t n,
                     store_deleted_cb cb, void *ctx, long *n_deleted)
{
    int nested = !sqlite3_get_autocommit(st->db);
    long count = 0;
    int rc;

    st->err[0] = '\0';
    if (n == 0)
        return 0;
    if ((rc = nested ? savepoint(st, "SAVEPOINT deletes") : store_tx_begin(st)) < 0)
        return rc;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = delete_key(st, now, &d[i], cb, ctx, &count);
    if (rc == 0)
        rc = nested ? savepoint(st, "RELEASE deletes") : store_tx_commit(st);
    if (rc < 0) {
        char err[sizeof(st->err)];
        memcpy(err, st->err, sizeof(err)); /* keep the first error's text */
        if (nested) {
            savepoint(st, "ROLLBACK TO deletes");
            savepoint(st, "RELEASE deletes");
        } else {
            store_tx_rollback(st);
        }
        memcpy(st->err, err, sizeof(err));
        return rc;
    }
    if (n_deleted)
        *n_deleted += count;
    return 0;
}
