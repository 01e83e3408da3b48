/*
 * walk.c - the bulk read of current (or as-of) observations by database ids,
 * for the aggregation engine: one SELECT over the whole table, or two halves
 * by unit id read at once, the second handed to the caller's executor
 * (common/exec.h) with a read-only connection of its own.
 *
 * Both halves must see the same data. SQLite's snapshot API is not compiled
 * into Debian's library, so each connection opens a read transaction and
 * reads the newest run id; every write of observations (store_ingest through
 * a run) adds a run in the same transaction, so equal ids mean equal
 * observations. If a commit slipped in between, the walk is done in one part
 * on the caller's connection.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_priv.h"
#include "store/observations.h"

static const char walk_now[] = "SELECT unit_id, indicator_id, period, value FROM observation"
                               /* one pass over the key range: the current row and the
                                  few closed ones of each key lie together */
                               " WHERE unit_id >= ?2 AND unit_id < ?3 AND +valid_to IS NULL";
static const char walk_as_of[] = "SELECT unit_id, indicator_id, period, value FROM observation"
                                 " WHERE unit_id >= ?2 AND unit_id < ?3"
                                 " AND valid_from <= ?1 AND (valid_to IS NULL OR ?1 < valid_to)";

/* Databases of fewer pages are walked in one part unless the caller says
 * otherwise (store_walk_opts.split_pages): 16 MiB. */
#define WALK_SPLIT_PAGES 4096

/* One range of unit ids [lo, hi) on one connection. */
struct part {
    sqlite3 *db;
    int64_t as_of, lo, hi;
    store_obs_id_cb cb;
    void *ctx;
    int rc; /* 0, cb's non-zero return, or -EIO */
    char err[256];
};

static void walk_part(void *arg)
{
    struct part *p = arg;
    sqlite3_stmt *s = NULL;
    int rc;

    if (sqlite3_prepare_v2(p->db, p->as_of ? walk_as_of : walk_now, -1, &s, NULL) != SQLITE_OK) {
        snprintf(p->err, sizeof(p->err), "observation walk: %s", sqlite3_errmsg(p->db));
        p->rc = -EIO;
        return;
    }
    sqlite3_bind_int64(s, 1, p->as_of);
    sqlite3_bind_int64(s, 2, p->lo);
    sqlite3_bind_int64(s, 3, p->hi);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *per = (const char *)sqlite3_column_text(s, 2);
        /* A missing value (NULL) is NAN, never the 0 column_double gives. */
        double v = sqlite3_column_type(s, 3) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 3);
        int r = p->cb(sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1), per ? per : "",
                      (size_t)sqlite3_column_bytes(s, 2), v, p->ctx);
        if (r != 0) {
            p->rc = r;
            break;
        }
    }
    if (p->rc == 0 && rc != SQLITE_DONE) {
        snprintf(p->err, sizeof(p->err), "observation walk: %s", sqlite3_errmsg(p->db));
        p->rc = -EIO;
    }
    sqlite3_finalize(s);
}

/* One integer from sql on db into *v (0 for NULL). Returns 0 or -EIO. */
static int one_int(sqlite3 *db, const char *sql, int64_t *v)
{
    sqlite3_stmt *s;
    int rc = -EIO;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        return -EIO;
    if (sqlite3_step(s) == SQLITE_ROW) {
        *v = sqlite3_column_int64(s, 0);
        rc = 0;
    }
    sqlite3_finalize(s);
    return rc;
}

/* Opens a read-only connection to st's file at st's data: a read transaction
 * that sees the same newest run. Returns the connection, or NULL (none
 * possible: an in-memory database, no file, a commit in between). */
static sqlite3 *open_twin(struct store *st)
{
    const char *path = sqlite3_db_filename(st->db, "main");
    sqlite3 *db = NULL;
    int64_t mine = 0, theirs = -1;

    if (!path || !path[0] ||
        sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_busy_timeout(db, 5000);
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
        one_int(db, "SELECT max(id) FROM run", &theirs) < 0 ||
        one_int(st->db, "SELECT max(id) FROM run", &mine) < 0 || mine != theirs)
        goto fail;
    return db;
fail:
    sqlite3_close(db); /* NULL is a no-op; an open read transaction ends with it */
    return NULL;
}

/* Walks every current (or as-of) observation on st's connection. */
int store_obs_walk_ids(struct store *st, int64_t as_of, store_obs_id_cb cb, void *ctx)
{
    struct part p = {st->db, as_of, INT64_MIN, INT64_MAX, cb, ctx, 0, ""};
    walk_part(&p);
    if (p.rc == -EIO)
        snprintf(st->err, sizeof(st->err), "%s", p.err);
    return p.rc;
}

/*
 * Walks the current observations (as_of 0) or those valid at as_of (us),
 * calling cb with ctx[0] for unit ids below a split point and ctx[1] for the
 * rest, the two halves at once on o's executor (contract in store.h).
 * Returns the number of parts read (1 or 2), a callback's non-zero return,
 * or -EIO.
 */
int store_obs_walk_split(struct store *st, int64_t as_of, const struct store_walk_opts *o,
                         store_obs_id_cb cb, void *ctx[2])
{
    int64_t lo = 0, hi = 0, pages = 0;
    int64_t min_pages = o && o->split_pages ? o->split_pages : WALK_SPLIT_PAGES;
    sqlite3 *twin = NULL;
    struct exec_task *task = NULL;
    int own_tx = sqlite3_get_autocommit(st->db), threaded = 0, rc = 0;

    if (own_tx && sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return store_fail(st, "observation walk");
    if (one_int(st->db, "SELECT min(unit_id) FROM observation", &lo) < 0 ||
        one_int(st->db, "SELECT max(unit_id) FROM observation", &hi) < 0) {
        rc = store_fail(st, "observation walk");
        goto out;
    }
    int64_t mid = lo + (hi - lo + 1) / 2;
    struct part parts[2] = {
        {st->db, as_of, INT64_MIN, mid, cb, ctx[0], 0, ""},
        {NULL, as_of, mid, INT64_MAX, cb, ctx[1], 0, ""},
    };
    /* Small databases are read in one part: a second connection costs more. */
    if (o && o->ex && hi > lo && own_tx && one_int(st->db, "PRAGMA page_count", &pages) == 0 &&
        pages >= min_pages && (twin = open_twin(st))) {
        parts[1].db = twin;
        threaded = exec_start(o->ex, walk_part, &parts[1], &task) == 0;
    }
    if (!threaded) /* one part on this connection: the twin's range goes to ctx[0] too */
        parts[0].hi = INT64_MAX;
    walk_part(&parts[0]);
    exec_wait(o ? o->ex : NULL, task);
    for (int i = 0; i < 2 && rc == 0; i++) {
        rc = parts[i].rc;
        if (rc == -EIO)
            snprintf(st->err, sizeof(st->err), "%s", parts[i].err);
    }
out:
    sqlite3_close(twin);
    if (own_tx)
        sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
    return rc == 0 ? 1 + threaded : rc;
}
