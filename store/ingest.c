/*
 * ingest.c - the one write path for observations: store_ingest() applies a
 * batch in one transaction with vintages (new / revised / unchanged), and
 * stores its rejects; store_run_begin/end record the run around it.
 *
 * Fast path (schema 12: one B-tree, no foreign keys): the run, units and
 * indicators of a batch are checked once (check_refs); a chunk of 64 rows
 * whose keys have no current value (one primary-key look-up per series in
 * the chunk, skipped for units known to have no row at all: struct
 * store_fresh) is one INSERT. Otherwise each row reads its key's current value
 * to decide between new (insert), unchanged (nothing written) and revised
 * (close + insert).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "store/store_priv.h"
#include "store/bookkeeping.h"
#include "store/observations.h"

/* Writes the SDMX text of p ("2023", "2023-H1", "2023-Q3", "2023-07") into
 * buf (PERIOD_TEXT_SIZE bytes). Returns its length or -EINVAL. Done here, not
 * with period_format(), to keep the hot loop free of snprintf. */
static int period_text(struct period p, char *buf)
{
    char tag;
    if (p.year < PERIOD_YEAR_MIN || p.year > PERIOD_YEAR_MAX || p.index < 1 ||
        p.index > (int)p.freq)
        return -EINVAL;
    switch (p.freq) {
    case PERIOD_YEAR:
        tag = 0;
        break;
    case PERIOD_HALF:
        tag = 'H';
        break;
    case PERIOD_QUARTER:
        tag = 'Q';
        break;
    case PERIOD_MONTH:
        tag = 'M';
        break;
    default:
        return -EINVAL;
    }
    int n = 0;
    for (int d = 1000; d > 0; d /= 10)
        buf[n++] = (char)('0' + p.year / d % 10);
    if (tag) {
        buf[n++] = '-';
        if (tag == 'M')
            buf[n++] = (char)('0' + p.index / 10);
        else
            buf[n++] = tag;
        buf[n++] = (char)('0' + p.index % 10);
    }
    buf[n] = '\0';
    return n;
}

/* Binds unit, indicator and period text (borrowed) as ?1 ?2 ?3. */
static void bind_key(sqlite3_stmt *s, const struct store_obs *o, const char *period, int len)
{
    sqlite3_bind_int64(s, 1, o->unit_id);
    sqlite3_bind_int64(s, 2, o->indicator_id);
    sqlite3_bind_text(s, 3, period, len, SQLITE_STATIC);
}

/* The status of o as stored: NULL for none ("" too). */
static const char *status_of(const struct store_obs *o)
{
    return o->status && o->status[0] ? o->status : NULL;
}

/* Binds o's value (NULL when missing) as ?at and its status as ?at + 3
 * (the insert statements' layout: value, valid_from, run_id, status). Every
 * parameter is bound each time: a reset statement keeps its old bindings. */
static void bind_value_status(sqlite3_stmt *s, const struct store_obs *o, int at)
{
    const char *status = status_of(o);
    if (o->missing)
        sqlite3_bind_null(s, at);
    else
        sqlite3_bind_double(s, at, o->value);
    if (status)
        sqlite3_bind_text(s, at + 3, status, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, at + 3);
}

/* Inserts a current row for o valid from t: the key has none (the caller
 * looked). Returns 0 or -EIO. */
static int insert_current(struct store *st, sqlite3_stmt *ins, const struct store_obs *o,
                          const char *period, int len, int64_t t, int64_t run_id)
{
    sqlite3_reset(ins);
    bind_key(ins, o, period, len);
    bind_value_status(ins, o, 4);
    sqlite3_bind_int64(ins, 5, t);
    if (run_id > 0)
        sqlite3_bind_int64(ins, 6, run_id);
    else
        sqlite3_bind_null(ins, 6);
    if (sqlite3_step(ins) != SQLITE_DONE) {
        int rc = store_fail(st, "insert observation");
        sqlite3_reset(ins);
        return rc;
    }
    sqlite3_reset(ins);
    return 0;
}

/* 1 when the current row of cur (value, valid_from, status) holds what o
 * says: the same missingness, value and status. Exact compare: values are
 * what the source published, not computed. */
static int same_as_current(sqlite3_stmt *cur, const struct store_obs *o)
{
    const char *status = status_of(o);
    const char *old = (const char *)sqlite3_column_text(cur, 2);

    if ((sqlite3_column_type(cur, 0) == SQLITE_NULL) != (o->missing != 0))
        return 0;
    if (!o->missing && sqlite3_column_double(cur, 0) != o->value)
        return 0;
    if (!old || !status)
        return !old && !status;
    return strcmp(old, status) == 0;
}

/* One row: new (no current value: inserted), unchanged (nothing written)
 * or revised (the current row closed, the new vintage inserted): a change
 * of value, status or missingness is a revision. Vintages stay ordered even
 * when the clock did not advance since the current row was written.
 * Returns 1 when a new current value was written, 0 when not, or a
 * negative errno. */
static int ingest_one(struct store *st, sqlite3_stmt *ins, const struct store_obs *o,
                      const char *period, int len, int64_t now, int64_t run_id,
                      struct store_counts *c)
{
    sqlite3_stmt *cur = store_stmt_get(st, STMT_OBS_CURRENT);
    if (!cur)
        return -EIO;
    bind_key(cur, o, period, len);
    int step = sqlite3_step(cur);
    if (step == SQLITE_DONE) {
        sqlite3_reset(cur);
        int rc = insert_current(st, ins, o, period, len, now, run_id);
        if (rc == 0)
            c->n_new++;
        return rc < 0 ? rc : 1;
    }
    if (step != SQLITE_ROW) {
        int rc = store_fail(st, "current observation");
        sqlite3_reset(cur);
        return rc;
    }
    int same = same_as_current(cur, o);
    int64_t from = sqlite3_column_int64(cur, 1);
    sqlite3_reset(cur);
    if (same) {
        c->n_unchanged++;
        return 0;
    }
    int64_t t = now > from ? now : from + 1;
    sqlite3_stmt *close = store_stmt_get(st, STMT_OBS_CLOSE);
    if (!close)
        return -EIO;
    bind_key(close, o, period, len);
    sqlite3_bind_int64(close, 4, t);
    int rc = store_step_done(st, close, "close observation");
    if (rc == 0 && (rc = insert_current(st, ins, o, period, len, t, run_id)) == 0)
        c->n_revised++;
    return rc < 0 ? rc : 1;
}

/* Rows per statement of the fast path (the tail of a batch: 8). */
#define INGEST_CHUNK 64
#define INGEST_TAIL  8

/* Whether any of 64 (or 8) keys has a current row: one statement, a
 * primary-key look-up per key. */
#define KEY_ROW    "(?,?,?)"
#define KEY_ROWS4  KEY_ROW "," KEY_ROW "," KEY_ROW "," KEY_ROW
#define KEY_ROWS8  KEY_ROWS4 "," KEY_ROWS4
#define KEY_ROWS16 KEY_ROWS8 "," KEY_ROWS8
#define KEYS_CURRENT(ROWS)                                                                         \
    "SELECT 1 FROM (VALUES " ROWS ") AS k CROSS JOIN observation o"                                \
    " ON o.unit_id = k.column1 AND o.indicator_id = k.column2 AND o.period = k.column3"            \
    " WHERE o.valid_to IS NULL LIMIT 1"
static const char current_chunk_sql[] =
    KEYS_CURRENT(KEY_ROWS16 "," KEY_ROWS16 "," KEY_ROWS16 "," KEY_ROWS16);
static const char current_tail_sql[] = KEYS_CURRENT(KEY_ROWS8);

/* 1 when some key of the m (INGEST_CHUNK or INGEST_TAIL) rows obs[0..]
 * (periods as texts) has a current row, 0 when none has, or -EIO. */
static int chunk_has_current(struct store *st, const struct store_obs *obs, size_t m,
                             char (*period)[PERIOD_TEXT_SIZE], const int *len)
{
    sqlite3_stmt *s =
        store_stmt_cached(st, m == INGEST_CHUNK ? current_chunk_sql : current_tail_sql);
    if (!s)
        return -EIO;
    for (int i = 0, at = 1; i < (int)m; i++, at += 3) {
        sqlite3_bind_int64(s, at, obs[i].unit_id);
        sqlite3_bind_int64(s, at + 1, obs[i].indicator_id);
        sqlite3_bind_text(s, at + 2, period[i], len[i], SQLITE_STATIC);
    }
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        rc = store_fail(st, "current observations");
    sqlite3_reset(s);
    return rc < 0 ? rc : rc == SQLITE_ROW;
}

/* 1 when the row of sql (one bound id) exists, 0 when not, or -EIO. */
static int id_exists(struct store *st, const char *sql, int64_t id)
{
    sqlite3_stmt *s = store_stmt_cached(st, sql);
    if (!s)
        return -EIO;
    sqlite3_bind_int64(s, 1, id);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc == SQLITE_ROW)
        return 1;
    return rc == SQLITE_DONE ? 0 : store_fail(st, "observation references");
}

/* Ids a batch has found to exist: the last few per kind, so that a run of
 * rows of one unit costs one look-up. */
struct known {
    int64_t recent[16];
};

/* 0 when id is known or exists (then remembered), -EINVAL (with the message
 * naming the row and the id) when not, or -EIO. */
static int check_id(struct store *st, struct known *k, const char *sql, const char *what,
                    int64_t id, size_t row)
{
    int64_t *slot = &k->recent[(uint64_t)id % 16];
    if (*slot == id + 1) /* + 1: a zeroed slot remembers no id */
        return 0;
    int rc = id_exists(st, sql, id);
    if (rc == 0) {
        snprintf(st->err, sizeof(st->err), "observation %zu: no %s with id %lld", row, what,
                 (long long)id);
        return -EINVAL;
    }
    if (rc > 0)
        *slot = id + 1;
    return rc < 0 ? rc : 0;
}

/* 0 when id is in the map m (store_map_has_id) or, not known there (added
 * since the map was loaded), is found by sql; else as check_id(). */
static int known_id(struct store *st, const struct store_map *m, struct known *k, const char *sql,
                    const char *what, int64_t id, size_t row)
{
    return store_map_has_id(m, id) ? 0 : check_id(st, k, sql, what, id, row);
}

/* The referential checks of the observation table (schema 12 declares no
 * foreign keys: SQLite's cost three look-ups per row), done once per batch
 * in code: the run exists (one look-up), and every unit and indicator of
 * obs[0..n) is in the store's code -> id maps (in memory) or else found in
 * its table; a run of rows with the same id costs a compare. Rows are never
 * deleted from unit, indicator and run, so what exists now still does at
 * commit. */
static int check_refs(struct store *st, int64_t run_id, const struct store_obs *obs, size_t n)
{
    static const char unit_sql[] = "SELECT 1 FROM unit WHERE id = ?1";
    static const char indicator_sql[] = "SELECT 1 FROM indicator WHERE id = ?1";
    struct known units = {{0}}, indicators = {{0}};
    int64_t last_unit = 0, last_indicator = 0; /* ids are >= 1 */
    int rc = 0;

    if (run_id > 0 && (rc = id_exists(st, "SELECT 1 FROM run WHERE id = ?1", run_id)) <= 0) {
        if (rc == 0) {
            snprintf(st->err, sizeof(st->err), "observations: no run with id %lld",
                     (long long)run_id);
            rc = -EINVAL;
        }
        return rc;
    }
    rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (obs[i].unit_id != last_unit &&
            (rc = known_id(st, &st->units, &units, unit_sql, "unit", obs[i].unit_id, i)) == 0)
            last_unit = obs[i].unit_id;
        if (rc == 0 && obs[i].indicator_id != last_indicator &&
            (rc = known_id(st, &st->indicators, &indicators, indicator_sql, "indicator",
                           obs[i].indicator_id, i)) == 0)
            last_indicator = obs[i].indicator_id;
    }
    return rc;
}

/* One statement for INGEST_CHUNK (or INGEST_TAIL) new rows, once
 * chunk_has_current() found none of their keys current. A key twice in the
 * chunk aborts the statement on the primary key, which SQLite backs out
 * alone (the transaction goes on), and the chunk is redone row by row.
 * Fewer than INGEST_TAIL rows go row by row anyway. */
#define OBS_ROW    "(?,?,?,?,?,NULL,?,?)"
#define OBS_ROWS4  OBS_ROW "," OBS_ROW "," OBS_ROW "," OBS_ROW
#define OBS_ROWS8  OBS_ROWS4 "," OBS_ROWS4
#define OBS_ROWS16 OBS_ROWS8 "," OBS_ROWS8
#define OBS_INSERT                                                                                 \
    "INSERT INTO observation(unit_id, indicator_id, period, value, valid_from, valid_to, run_id,"  \
    " status) VALUES"
static const char insert_chunk_sql[] =
    OBS_INSERT OBS_ROWS16 "," OBS_ROWS16 "," OBS_ROWS16 "," OBS_ROWS16;
static const char insert_tail_sql[] = OBS_INSERT OBS_ROWS8;

/* Inserts the m (INGEST_CHUNK or INGEST_TAIL) rows obs[0..] (periods as
 * texts) as new rows. Returns 1 when inserted, 0 when some key is there
 * already (nothing written), or -EIO. */
static int insert_chunk(struct store *st, const struct store_obs *obs, size_t m,
                        char (*period)[PERIOD_TEXT_SIZE], const int *len, int64_t t, int64_t run_id)
{
    sqlite3_stmt *s = store_stmt_cached(st, m == INGEST_CHUNK ? insert_chunk_sql : insert_tail_sql);
    if (!s)
        return -EIO;
    for (int i = 0, at = 1; i < (int)m; i++, at += 7) {
        sqlite3_bind_int64(s, at, obs[i].unit_id);
        sqlite3_bind_int64(s, at + 1, obs[i].indicator_id);
        sqlite3_bind_text(s, at + 2, period[i], len[i], SQLITE_STATIC);
        bind_value_status(s, &obs[i], at + 3);
        sqlite3_bind_int64(s, at + 4, t);
        if (run_id > 0)
            sqlite3_bind_int64(s, at + 5, run_id);
    }
    int rc = sqlite3_step(s);
    int ext = sqlite3_extended_errcode(st->db);
    sqlite3_reset(s);
    if (rc == SQLITE_DONE)
        return 1;
    if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
        return 0;
    return store_fail(st, "insert observations");
}

/* ---- units known to have no observation (struct store_fresh) ---- */

/* Unit ids the bitmaps hold, at most (2 MB each): a larger id is never
 * skipped. */
#define FRESH_MAX_UNIT ((int64_t)1 << 24)

static int bit_of(const uint64_t *map, size_t nwords, int64_t u)
{
    size_t w = (size_t)u / 64;
    return w < nwords && (map[w] >> ((uint64_t)u % 64) & 1);
}

/* Marks unit id u (0 <= u < FRESH_MAX_UNIT) as written, before any row of
 * it is, and as first written by this batch. 0, or -ENOMEM: then nothing is
 * known any more (f->known is 0) and every look-up is done. */
static int fresh_mark(struct store_fresh *f, int64_t u)
{
    size_t w = (size_t)u / 64;
    if (w >= f->nwords) {
        size_t n = f->nwords ? f->nwords : 64;
        while (n <= w)
            n *= 2;
        uint64_t *p = realloc(f->written, n * sizeof(*p)), *q = NULL;
        if (p) {
            f->written = p;
            q = realloc(f->batch, n * sizeof(*q));
        }
        if (!q) {
            f->known = 0;
            return -ENOMEM;
        }
        f->batch = q;
        memset(p + f->nwords, 0, (n - f->nwords) * sizeof(*p));
        memset(q + f->nwords, 0, (n - f->nwords) * sizeof(*q));
        f->nwords = n;
    }
    if (BUF_GROW(&f->marked, &f->cap, f->nmarked + 1, BUF_UNCAPPED) < 0) {
        f->known = 0;
        return -ENOMEM;
    }
    f->marked[f->nmarked++] = u;
    f->written[w] |= (uint64_t)1 << ((uint64_t)u % 64);
    f->batch[w] |= (uint64_t)1 << ((uint64_t)u % 64);
    return 0;
}

/* Inside the batch's transaction: 1 when struct store_fresh holds (no
 * other connection committed since it was set up; set up now when the
 * table is empty), 0 when not, or -EIO. Starts a new batch: no unit is
 * first written by it yet. */
static int fresh_begin(struct store *st)
{
    static const char version_sql[] = "PRAGMA data_version";
    static const char any_sql[] = "SELECT EXISTS (SELECT 1 FROM observation)";
    struct store_fresh *f = &st->fresh;
    int64_t dv, any;

    for (size_t i = 0; i < f->nmarked; i++)
        f->batch[(size_t)f->marked[i] / 64] = 0;
    f->nmarked = 0;
    int rc = store_one_int(st, version_sql, "data version", &dv);
    if (rc < 0)
        return rc;
    if (f->known && dv == f->dv)
        return 1;
    if (!f->known && f->tried && dv == f->dv)
        return 0; /* the table had rows; only this connection wrote since */
    f->known = f->tried = 0;
    if ((rc = store_one_int(st, any_sql, "observations", &any)) < 0)
        return rc;
    f->dv = dv;
    if (any) {
        f->tried = 1;
        return 0;
    }
    if (f->written)
        memset(f->written, 0, f->nwords * sizeof(*f->written));
    f->known = 1;
    return 1;
}

/* Whether the current-row look-up of obs[0..m) can be skipped: 1 when
 * struct store_fresh holds and each of the rows' units had no row before
 * this batch, else 0. A key of such a unit that this batch has written
 * already has a row valid from the batch's time: the chunk's INSERT stops
 * on the primary key and the chunk goes row by row. Marks the units as
 * written either way, as they are about to be. */
static int fresh_chunk(struct store *st, const struct store_obs *obs, size_t m)
{
    struct store_fresh *f = &st->fresh;
    int skip = f->known;
    int64_t last = 0; /* ids are >= 1 */

    for (size_t i = 0; i < m && f->known; i++) {
        int64_t u = obs[i].unit_id;
        if (u == last)
            continue;
        last = u;
        int held = u >= 0 && u < FRESH_MAX_UNIT; /* in the bitmaps */
        if (!held || (!bit_of(f->batch, f->nwords, u) &&
                      (bit_of(f->written, f->nwords, u) || fresh_mark(f, u) < 0)))
            skip = 0;
    }
    return skip && f->known;
}

/* Units whose current values a batch changed, for the column copy: the
 * last few are remembered so that a run of rows of one unit costs one mark. */
struct touched {
    int64_t recent[16];
};

static int touch(struct store *st, struct touched *t, int64_t unit_id)
{
    int64_t *slot = &t->recent[(uint64_t)unit_id % 16];
    if (*slot == unit_id + 1) /* + 1: a zeroed slot remembers no unit */
        return 0;
    *slot = unit_id + 1;
    return store_columns_touch(st, unit_id);
}

/* Row by row: new, unchanged or revised. */
static int ingest_rows(struct store *st, sqlite3_stmt *ins, int64_t run_id, int64_t now,
                       const struct store_obs *obs, char (*period)[PERIOD_TEXT_SIZE],
                       const int *len, size_t n, struct store_counts *c, struct touched *t)
{
    for (size_t i = 0; i < n; i++) {
        int rc = ingest_one(st, ins, &obs[i], period[i], len[i], now, run_id, c);
        if (rc == 1) /* a new current value */
            rc = touch(st, t, obs[i].unit_id);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int ingest_obs(struct store *st, int64_t run_id, int64_t now, const struct store_obs *obs,
                      size_t n, struct store_counts *c)
{
    sqlite3_stmt *ins = store_stmt_get(st, STMT_OBS_INSERT);
    char period[INGEST_CHUNK][PERIOD_TEXT_SIZE];
    int len[INGEST_CHUNK];
    struct touched t = {{0}};

    if (!ins)
        return -EIO;
    int rc = check_refs(st, run_id, obs, n);
    if (rc < 0)
        return rc;
    if ((rc = fresh_begin(st)) < 0)
        return rc;
    for (size_t at = 0, m; at < n; at += m) {
        m = n - at >= INGEST_CHUNK ? INGEST_CHUNK : n - at >= INGEST_TAIL ? INGEST_TAIL : n - at;
        rc = 0;
        for (size_t i = 0; i < m; i++) {
            const struct store_obs *o = &obs[at + i];
            len[i] = period_text(o->period, period[i]);
            const char *bad =
                len[i] < 0                           ? "period"
                : !o->missing && !isfinite(o->value) ? "value (not finite)"
                : o->status && strnlen(o->status, STORE_STATUS_MAX + 1) > STORE_STATUS_MAX
                    ? "status (too long)"
                    : NULL;
            if (bad) {
                snprintf(st->err, sizeof(st->err), "observation %zu: invalid %s", at + i, bad);
                return -EINVAL;
            }
        }
        int skip = fresh_chunk(st, obs + at, m);
        if ((m == INGEST_CHUNK || m == INGEST_TAIL) &&
            (skip || (rc = chunk_has_current(st, obs + at, m, period, len)) == 0) &&
            (rc = insert_chunk(st, obs + at, m, period, len, now, run_id)) == 1) {
            c->n_new += m;
            for (size_t i = 0; i < m && rc >= 0; i++)
                rc = touch(st, &t, obs[at + i].unit_id);
        } else if (rc >= 0) {
            rc = ingest_rows(st, ins, run_id, now, obs + at, period, len, m, c, &t);
        }
        if (rc < 0)
            return rc;
    }
    sqlite3_reset(ins);
    return 0;
}

static int ingest_rejects(struct store *st, int64_t run_id, const struct store_reject *rej,
                          size_t nrej)
{
    for (size_t i = 0; i < nrej; i++) {
        sqlite3_stmt *s = store_stmt_get(st, STMT_REJECT_INSERT);
        if (!s)
            return -EIO;
        if (run_id > 0)
            sqlite3_bind_int64(s, 1, run_id);
        sqlite3_bind_int64(s, 2, rej[i].position);
        store_bind_text(s, 3, rej[i].raw);
        store_bind_text(s, 4, rej[i].reason);
        int rc = store_step_done(st, s, "insert reject");
        if (rc < 0)
            return rc;
    }
    return 0;
}

/*
 * Ingests obs[0..n) and rej[0..nrej) in one transaction (see store.h). On any
 * error the transaction is rolled back, *counts is untouched and
 * store_errmsg() tells why.
 */
/* Runs a SAVEPOINT / RELEASE / ROLLBACK TO statement. Returns 0 or -EIO. */
static int savepoint(struct store *st, const char *sql)
{
    return sqlite3_exec(st->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : store_fail(st, sql);
}

int store_ingest(struct store *st, int64_t run_id, int64_t now, const struct store_obs *obs,
                 size_t n, const struct store_reject *rej, size_t nrej, struct store_counts *counts)
{
    struct store_counts c = {0, 0, 0, 0};
    int rc;

    st->err[0] = '\0';
    /* Inside a caller's transaction (store_begin) the batch is a savepoint:
     * still all or nothing, committed with the caller's bookkeeping. */
    int nested = !sqlite3_get_autocommit(st->db);
    if ((rc = nested ? savepoint(st, "SAVEPOINT batch") : store_tx_begin(st)) < 0)
        return rc;
    if ((rc = ingest_obs(st, run_id, now, obs, n, &c)) < 0 ||
        (rc = ingest_rejects(st, run_id, rej, nrej)) < 0 ||
        (rc = nested ? savepoint(st, "RELEASE batch") : store_tx_commit(st)) < 0) {
        if (nested) {
            char err[sizeof(st->err)];
            memcpy(err, st->err, sizeof(err)); /* keep the first error's text */
            savepoint(st, "ROLLBACK TO batch");
            savepoint(st, "RELEASE batch");
            memcpy(st->err, err, sizeof(err));
        } else {
            store_tx_rollback(st);
        }
        return rc;
    }
    if (counts) {
        counts->n_new += c.n_new;
        counts->n_revised += c.n_revised;
        counts->n_unchanged += c.n_unchanged;
        counts->n_rejected += (long)nrej;
    }
    return 0;
}

int store_ingest_part(struct store *st, int64_t run_id, int64_t now, const struct store_obs *obs,
                      size_t n, const struct store_reject *rej, size_t nrej,
                      struct store_counts *counts)
{
    struct store_counts c = {0, 0, 0, 0};
    int rc;

    st->err[0] = '\0';
    if (sqlite3_get_autocommit(st->db)) {
        snprintf(st->err, sizeof(st->err), "store_ingest_part: no unit of work open");
        return -EINVAL;
    }
    if ((rc = ingest_obs(st, run_id, now, obs, n, &c)) < 0 ||
        (rc = ingest_rejects(st, run_id, rej, nrej)) < 0)
        return rc;
    if (counts) {
        counts->n_new += c.n_new;
        counts->n_revised += c.n_revised;
        counts->n_unchanged += c.n_unchanged;
        counts->n_rejected += (long)nrej;
    }
    return 0;
}

/* Inserts a run row (outcome NULL until store_run_end()); *run_id gets its id. */
int store_run_begin(struct store *st, const char *source, const char *period, int64_t started,
                    int64_t *run_id)
{
    sqlite3_stmt *s = store_stmt_get(st, STMT_RUN_BEGIN);
    if (!s)
        return -EIO;
    store_bind_text(s, 1, source);
    store_bind_text(s, 2, period);
    sqlite3_bind_int64(s, 3, started);
    sqlite3_bind_int64(s, 4, (sqlite3_int64)getpid());
    int rc = store_step_done(st, s, "begin run");
    if (rc == 0)
        *run_id = sqlite3_last_insert_rowid(st->db);
    return rc;
}

/* Sets end time, outcome, counts (NULL: left NULL) and error of run_id.
 * -ENOENT when there is no such run. */
int store_run_end(struct store *st, int64_t run_id, int64_t ended, const char *outcome,
                  const struct store_counts *counts, const char *error)
{
    sqlite3_stmt *s = store_stmt_get(st, STMT_RUN_END);
    if (!s)
        return -EIO;
    sqlite3_bind_int64(s, 1, run_id);
    sqlite3_bind_int64(s, 2, ended);
    store_bind_text(s, 3, outcome);
    if (counts) {
        sqlite3_bind_int64(s, 4, counts->n_new);
        sqlite3_bind_int64(s, 5, counts->n_revised);
        sqlite3_bind_int64(s, 6, counts->n_unchanged);
        sqlite3_bind_int64(s, 7, counts->n_rejected);
    }
    store_bind_text(s, 8, error);
    int rc = store_step_done(st, s, "end run");
    if (rc == 0 && sqlite3_changes(st->db) != 1) {
        snprintf(st->err, sizeof(st->err), "end run: no run %lld", (long long)run_id);
        rc = -ENOENT;
    }
    return rc;
}

/* 1 when the process pid is gone (or is ours: we began no run yet, so the
 * run is a dead predecessor's that had our PID). */
static int process_gone(sqlite3_int64 pid)
{
    if (pid <= 0 || pid == (sqlite3_int64)getpid())
        return 1;
    return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

int store_runs_interrupt(struct store *st, int64_t now, long *closed)
{
    sqlite3_stmt *sel = NULL, *upd = NULL;
    long n = 0;
    int rc = store_tx_begin(st);

    if (closed)
        *closed = 0;
    if (rc < 0)
        return rc;
    if (sqlite3_prepare_v2(st->db, "SELECT id, pid FROM run WHERE ended_at IS NULL", -1, &sel,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db,
                           "UPDATE run SET ended_at = ?2, outcome = 'interrupted',"
                           " error = ?3 WHERE id = ?1 AND ended_at IS NULL",
                           -1, &upd, NULL) != SQLITE_OK) {
        rc = store_fail(st, "interrupted runs");
        goto out;
    }
    while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
        sqlite3_int64 pid =
            sqlite3_column_type(sel, 1) == SQLITE_NULL ? 0 : sqlite3_column_int64(sel, 1);
        char why[96];
        if (!process_gone(pid))
            continue;
        if (pid > 0)
            snprintf(why, sizeof(why), "interrupted: process %lld ended before the run",
                     (long long)pid);
        else
            snprintf(why, sizeof(why), "interrupted: its process ended before the run");
        sqlite3_bind_int64(upd, 1, sqlite3_column_int64(sel, 0));
        sqlite3_bind_int64(upd, 2, now);
        sqlite3_bind_text(upd, 3, why, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(upd) != SQLITE_DONE) {
            rc = store_fail(st, "close interrupted run");
            goto out;
        }
        sqlite3_reset(upd);
        n++;
    }
    rc = rc == SQLITE_DONE ? 0 : store_fail(st, "interrupted runs");
out:
    sqlite3_finalize(sel);
    sqlite3_finalize(upd);
    if (rc == 0)
        rc = store_tx_commit(st);
    if (rc < 0)
        store_tx_rollback(st);
    else if (closed)
        *closed = n;
    return rc;
}
