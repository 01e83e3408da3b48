/*
 * store.c - the store connection: open (pragmas, schema migration), close, the
 * per-connection cache of prepared statements, error text, and the sorted
 * code -> id maps of units and indicators with their upserts.
 */
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/log.h"
#include "store/observations.h"
#include "store/store_priv.h"

/* SQL of the cached statements, indexed by enum store_stmt. */
static const char *const stmt_sql[STMT_COUNT_] = {
    [STMT_BEGIN] = "BEGIN IMMEDIATE",
    [STMT_COMMIT] = "COMMIT",
    [STMT_ROLLBACK] = "ROLLBACK",
    /* A key's first row or a revision: store_ingest has found that the key
     * has no current row (schema 12 keeps no index to say so). */
    [STMT_OBS_INSERT] = "INSERT INTO observation(unit_id, indicator_id, period, value,"
                        " valid_from, valid_to, run_id, status)"
                        " VALUES(?1, ?2, ?3, ?4, ?5, NULL, ?6, ?7)",
    [STMT_OBS_CURRENT] = "SELECT value, valid_from, status FROM observation WHERE unit_id = ?1"
                         " AND indicator_id = ?2 AND period = ?3 AND valid_to IS NULL",
    [STMT_OBS_CLOSE] = "UPDATE observation SET valid_to = ?4 WHERE unit_id = ?1"
                       " AND indicator_id = ?2 AND period = ?3 AND valid_to IS NULL",
    [STMT_REJECT_INSERT] = "INSERT INTO reject(run_id, position, raw, reason)"
                           " VALUES(?1, ?2, ?3, ?4)",
    [STMT_RUN_BEGIN] = "INSERT INTO run(source, period, started_at, pid) VALUES(?1, ?2, ?3, ?4)",
    [STMT_RUN_END] = "UPDATE run SET ended_at = ?2, outcome = ?3, n_new = ?4, n_revised = ?5,"
                     " n_unchanged = ?6, n_rejected = ?7, error = ?8 WHERE id = ?1",
    [STMT_UNIT_PUT] = "INSERT INTO unit(code, name) VALUES(?1, ?2)"
                      " ON CONFLICT(code) DO UPDATE SET name = excluded.name RETURNING id",
    [STMT_UNIT_PARENT] = "UPDATE unit SET parent_id = (SELECT p.id FROM unit p WHERE p.code = ?2)"
                         " WHERE code = ?1",
    [STMT_UNIT_ATTR_CLEAR] = "UPDATE unit SET attributes = NULL WHERE id = ?1",
    /* json_object() with bound key and value: any key text is escaped by SQLite. */
    [STMT_UNIT_ATTR_ADD] = "UPDATE unit SET attributes ="
                           " json_patch(coalesce(attributes, '{}'), json_object(?2, ?3))"
                           " WHERE id = ?1",
    [STMT_INDICATOR_PUT] =
        "INSERT INTO indicator(code, name, measure, frequency, kind, cumulative, direction,"
        " decimals, formula, numerator, denominator, scale)"
        " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
        " ON CONFLICT(code) DO UPDATE SET name = excluded.name, measure = excluded.measure,"
        " frequency = excluded.frequency, kind = excluded.kind,"
        " cumulative = excluded.cumulative, direction = excluded.direction,"
        " decimals = excluded.decimals, formula = excluded.formula,"
        " numerator = excluded.numerator, denominator = excluded.denominator,"
        " scale = excluded.scale",
};

/* Keeps the SQLite error text in st->err (contract in store_priv.h). */
int store_fail(struct store *st, const char *what)
{
    int code = sqlite3_errcode(st->db);
    snprintf(st->err, sizeof(st->err), "%s: %s", what, sqlite3_errmsg(st->db));
    /* A caller that asked not to wait tries again later: a locked database
     * or a full disk would log the same line every time. */
    if (!st->nowait || (code != SQLITE_BUSY && code != SQLITE_LOCKED && code != SQLITE_FULL))
        log_err("store: %s", st->err);
    return (code == SQLITE_BUSY || code == SQLITE_LOCKED) ? -EBUSY : -EIO;
}

/* The one integer a cached statement returns (store_priv.h). */
int store_one_int(struct store *st, const char *sql, const char *what, int64_t *v)
{
    sqlite3_stmt *s = store_stmt_cached(st, sql);
    int rc;

    if (!s)
        return -EIO;
    if (sqlite3_step(s) == SQLITE_ROW) {
        *v = sqlite3_column_int64(s, 0);
        rc = 0;
    } else {
        rc = store_fail(st, what);
    }
    sqlite3_reset(s);
    return rc;
}

/* Cached statement id, reset, bindings cleared; NULL on error (store_priv.h). */
sqlite3_stmt *store_stmt_cached(struct store *st, const char *sql)
{
    sqlite3_stmt *s;
    for (size_t i = 0; i < st->ncached; i++) {
        if (st->cached[i].sql == sql) {
            s = st->cached[i].s;
            sqlite3_reset(s);
            sqlite3_clear_bindings(s);
            return s;
        }
    }
    if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) {
        store_fail(st, "prepare");
        return NULL;
    }
    if (st->ncached == sizeof(st->cached) / sizeof(st->cached[0])) {
        /* A programmer error: more cached statements than slots. */
        sqlite3_finalize(s);
        snprintf(st->err, sizeof(st->err), "prepare: statement cache full");
        return NULL;
    }
    st->cached[st->ncached].sql = sql;
    st->cached[st->ncached].s = s;
    st->ncached++;
    return s;
}

sqlite3_stmt *store_stmt_get(struct store *st, enum store_stmt id)
{
    assert(id >= 0 && id < STMT_COUNT_);
    sqlite3_stmt *s = st->stmt[id];
    if (!s) {
        if (sqlite3_prepare_v3(st->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) !=
            SQLITE_OK) {
            store_fail(st, "prepare");
            return NULL;
        }
        st->stmt[id] = s;
        return s;
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return s;
}

/* Steps s to completion and resets it; 0 or -EIO (store_priv.h). */
int store_step_done(struct store *st, sqlite3_stmt *s, const char *what)
{
    int rc = sqlite3_step(s);
    int err = (rc == SQLITE_DONE || rc == SQLITE_ROW) ? 0 : store_fail(st, what);
    sqlite3_reset(s);
    return err;
}

/* Binds borrowed text or NULL (store_priv.h). */
int store_bind_text(sqlite3_stmt *s, int idx, const char *text)
{
    return text ? sqlite3_bind_text(s, idx, text, -1, SQLITE_STATIC) : sqlite3_bind_null(s, idx);
}

/* BEGIN IMMEDIATE: takes the write lock now, waiting up to the busy timeout. */
int store_tx_begin(struct store *st)
{
    sqlite3_stmt *s = store_stmt_get(st, STMT_BEGIN);
    return s ? store_step_done(st, s, "begin") : -EIO;
}

/* COMMIT; 0 or -EIO/-EBUSY. */
int store_tx_commit(struct store *st)
{
    sqlite3_stmt *s = store_stmt_get(st, STMT_COMMIT);
    return s ? store_step_done(st, s, "commit") : -EIO;
}

/* ROLLBACK when a transaction is open; keeps st->err for store_errmsg(). */
void store_tx_rollback(struct store *st)
{
    /* An error such as SQLITE_FULL may already have rolled back. */
    if (sqlite3_get_autocommit(st->db))
        return;
    sqlite3_stmt *s = store_stmt_get(st, STMT_ROLLBACK);
    if (s) {
        if (sqlite3_step(s) != SQLITE_DONE)
            log_err("store: rollback: %s", sqlite3_errmsg(st->db));
        sqlite3_reset(s);
    }
}

/* The last error this store recorded, else SQLite's text; borrowed. */
const char *store_errmsg(const struct store *st)
{
    return st->err[0] ? st->err : sqlite3_errmsg(st->db);
}

/* PRAGMA user_version, or -EIO. */
int store_schema_version(struct store *st)
{
    sqlite3_stmt *s = NULL;
    int version = -EIO;
    if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        version = sqlite3_column_int(s, 0);
    else
        store_fail(st, "user_version");
    sqlite3_finalize(s);
    return version;
}

/* ---- code -> id maps ---- */

static int entry_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c)
        return c;
    return alen < blen ? -1 : alen > blen;
}

static int entry_qsort_cmp(const void *a, const void *b)
{
    const struct store_map_entry *x = a, *y = b;
    return entry_cmp(x->code, x->len, y->code, y->len);
}

static void map_free(struct store_map *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->v[i].code);
    free(m->v);
    free(m->ids);
    m->v = NULL;
    m->ids = NULL;
    m->n = 0;
}

static int id_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The first position in ids[0..n) (ascending) not below id (contract in
 * store_priv.h). */
size_t store_id_lower_bound(const int64_t *ids, size_t n, int64_t id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Is id in m (contract in store_priv.h)? */
int store_map_has_id(const struct store_map *m, int64_t id)
{
    size_t n = m->ids ? m->n : 0, at = store_id_lower_bound(m->ids, n, id);
    return at < n && m->ids[at] == id;
}

static int64_t map_find(const struct store_map *m, const char *code, size_t len)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = entry_cmp(code, len, m->v[mid].code, m->v[mid].len);
        if (c == 0)
            return m->v[mid].id;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

/* 1 when m's entries are in code order already (read in the order of the
 * code's unique index, whose BINARY collation is entry_cmp()'s). */
static int entries_sorted(const struct store_map *m)
{
    for (size_t i = 1; i < m->n; i++)
        if (entry_cmp(m->v[i - 1].code, m->v[i - 1].len, m->v[i].code, m->v[i].len) > 0)
            return 0;
    return 1;
}

/* Reads "SELECT code, id FROM table ORDER BY code" into a fresh sorted map. */
static int map_load(struct store *st, const char *sql, struct store_map *out)
{
    struct store_map m = {NULL, NULL, 0};
    size_t cap = 0;
    sqlite3_stmt *s = NULL;
    int rc = -EIO;

    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        goto fail;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (BUF_GROW(&m.v, &cap, m.n + 1, BUF_UNCAPPED) < 0)
            goto nomem;
        const char *code = (const char *)sqlite3_column_text(s, 0);
        size_t len = (size_t)sqlite3_column_bytes(s, 0);
        char *copy = malloc(len + 1);
        if (!copy || !code) {
            free(copy);
            goto nomem;
        }
        memcpy(copy, code, len + 1);
        m.v[m.n++] = (struct store_map_entry){copy, len, sqlite3_column_int64(s, 1)};
    }
    if (rc != SQLITE_DONE)
        goto fail;
    sqlite3_finalize(s);
    s = NULL;
    if (!(m.ids = malloc((m.n ? m.n : 1) * sizeof(*m.ids))))
        goto nomem;
    for (size_t i = 0; i < m.n; i++)
        m.ids[i] = m.v[i].id;
    if (m.n > 1 && !entries_sorted(&m))
        qsort(m.v, m.n, sizeof(*m.v), entry_qsort_cmp);
    if (m.n > 1)
        qsort(m.ids, m.n, sizeof(*m.ids), id_cmp);
    map_free(out);
    *out = m;
    return 0;
fail:
    rc = store_fail(st, "load codes");
    goto out;
nomem:
    rc = -ENOMEM;
out:
    sqlite3_finalize(s);
    map_free(&m);
    return rc;
}

/* Rebuilds both code -> id maps; on error the old maps stay. */
int store_maps_load(struct store *st)
{
    /* by code: the unique index on code holds both columns, fewer pages than
     * the table, and gives the map's order (200 000 units: no sort) */
    int rc = map_load(st, "SELECT code, id FROM unit ORDER BY code", &st->units);
    if (rc == 0)
        rc = map_load(st, "SELECT code, id FROM indicator ORDER BY code", &st->indicators);
    return rc;
}

/*
 * Id of the unit with code[0..len), as of the last sync, upsert or open; -1
 * when unknown. O(log n), no database access.
 */
int64_t store_unit_id(const struct store *st, const char *code, size_t len)
{
    return map_find(&st->units, code, len);
}

/* As store_unit_id(), for indicator codes. */
int64_t store_indicator_id(const struct store *st, const char *code, size_t len)
{
    return map_find(&st->indicators, code, len);
}

/* ---- open / close ---- */

/* Pragmas of a connection; journal_mode only for a writable file database. */
static int set_pragmas(struct store *st, const char *path, char *errbuf, size_t errsize)
{
    if (!st->readonly && strcmp(path, ":memory:") != 0) {
        sqlite3_stmt *s = NULL;
        int ok = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode=WAL", -1, &s, NULL) == SQLITE_OK &&
                 sqlite3_step(s) == SQLITE_ROW;
        const char *mode = ok ? (const char *)sqlite3_column_text(s, 0) : NULL;
        if (mode && strcmp(mode, "wal") != 0)
            log_warning("store: %s: journal mode is %s, not wal", path, mode);
        sqlite3_finalize(s);
        if (!ok)
            goto fail;
    }
    if (sqlite3_exec(st->db, "PRAGMA foreign_keys=ON", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(st->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL) != SQLITE_OK ||
        /* Savepoint and statement journals (a pull's savepoint, a multi-row
         * INSERT) in memory, not in temporary files written page by page. */
        sqlite3_exec(st->db, "PRAGMA temp_store=MEMORY", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    return 0;
fail:
    snprintf(errbuf, errsize, "%s: %s", path, sqlite3_errmsg(st->db));
    return -EIO;
}

/* 1 when db is a new file: no page yet (nothing to leave untouched). */
static int new_file(sqlite3 *db)
{
    sqlite3_stmt *s = NULL;
    int empty = sqlite3_prepare_v2(db, "PRAGMA page_count", -1, &s, NULL) == SQLITE_OK &&
                sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int64(s, 0) == 0;
    sqlite3_finalize(s);
    return empty;
}

/* Process-wide SQLite settings, before the first connection: no memory
 * statistics (they take a global mutex on every allocation, and nothing here
 * reads them). SQLite refuses it once initialised; that is harmless. */
static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;

static void sqlite_setup(void)
{
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* 1 when the connection's last error came from a full filesystem (or quota). */
static int disk_full(sqlite3 *db)
{
    int e = sqlite3_system_errno(db);
    return (sqlite3_extended_errcode(db) & 0xff) == SQLITE_FULL || e == ENOSPC || e == EDQUOT;
}

/*
 * Opens the database at path (see store.h). Flag STORE_READONLY opens an
 * existing database read-only and never migrates it.
 */
int store_open(struct store **out, const char *path, int flags, char *errbuf, size_t errsize)
{
    char dummy[8];
    struct store *st = NULL;
    int rc = -ENOMEM;
    int oflags = (flags & STORE_READONLY) ? SQLITE_OPEN_READONLY
                                          : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

    *out = NULL;
    pthread_once(&sqlite_once, sqlite_setup);
    if (!errbuf) {
        errbuf = dummy;
        errsize = sizeof(dummy);
    }
    errbuf[0] = '\0';
    st = calloc(1, sizeof(*st));
    if (!st)
        goto out;
    pthread_mutex_init(&st->mu, NULL);
    st->readonly = (flags & STORE_READONLY) != 0;
    if (sqlite3_open_v2(path, &st->db, oflags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        rc = st->db && sqlite3_errcode(st->db) == SQLITE_CANTOPEN ? -ENOENT : -EIO;
        snprintf(errbuf, errsize, "%s: %s", path,
                 st->db ? sqlite3_errmsg(st->db) : "out of memory");
        goto out;
    }
    sqlite3_busy_timeout(st->db, STORE_BUSY_MS);
    /* A new, empty file is put in WAL mode first: its migrations then append
     * to the WAL instead of syncing a rollback journal each (set_pragmas()
     * below checks the mode and sets the rest). */
    if (!st->readonly && strcmp(path, ":memory:") != 0 && new_file(st->db))
        (void)sqlite3_exec(st->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL", NULL, NULL,
                           NULL);
    /* The version check comes first: a newer database is left untouched. */
    if ((rc = store_schema_migrate(st->db, st->readonly, errbuf, errsize)) < 0)
        goto out;
    if ((rc = set_pragmas(st, path, errbuf, errsize)) < 0)
        goto out;
    if ((rc = store_results_sql_register(st->db)) < 0) {
        snprintf(errbuf, errsize, "%s: %s", path, sqlite3_errmsg(st->db));
        goto out;
    }
    if ((rc = store_maps_load(st)) < 0) {
        snprintf(errbuf, errsize, "%s: %s", path, st->err);
        goto out;
    }
    *out = st;
    return 0;
out:
    if (rc < 0 && st && st->db && (rc == -ENOSPC || disk_full(st->db))) {
        /* SQLite may only say "disk I/O error" (the WAL index cannot grow):
         * name the real cause. */
        char why[512];
        snprintf(why, sizeof(why), "%s", errbuf);
        snprintf(errbuf, errsize, "no space left on the filesystem (disk full): %s", why);
        rc = -ENOSPC;
    }
    store_close(&st);
    return rc;
}

/* Leaves the WAL to a later checkpoint (contract in store.h). */
void store_defer_checkpoint(struct store *st)
{
    (void)sqlite3_db_config(st->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    (void)sqlite3_wal_autocheckpoint(st->db, STORE_DEFER_CKPT_PAGES);
}

/* Finalizes every cached statement, closes the connection, frees the maps and
 * sets *sp = NULL. NULL or *sp == NULL is a harmless no-op. */
void store_close(struct store **sp)
{
    struct store *st = sp ? *sp : NULL;
    if (!st)
        return;
    for (int i = 0; i < STMT_COUNT_; i++)
        sqlite3_finalize(st->stmt[i]);
    for (size_t i = 0; i < st->ncached; i++)
        sqlite3_finalize(st->cached[i].s);
    if (st->db && sqlite3_close(st->db) != SQLITE_OK)
        log_err("store: close: %s", sqlite3_errmsg(st->db));
    map_free(&st->units);
    map_free(&st->indicators);
    store_unit_names_free(st->names);
    free(st->fresh.written);
    free(st->fresh.batch);
    free(st->fresh.marked);
    pthread_mutex_destroy(&st->mu);
    free(st);
    *sp = NULL;
}

void store_lock(struct store *st)
{
    pthread_mutex_lock(&st->mu);
}

void store_unlock(struct store *st)
{
    pthread_mutex_unlock(&st->mu);
}

/* ---- units and indicators ---- */

/* Upserts a unit's code and name; *id gets its row id (store_priv.h). */
int store_unit_put(struct store *st, const char *code, const char *name, int64_t *id)
{
    sqlite3_stmt *s = store_stmt_get(st, STMT_UNIT_PUT);
    if (!s)
        return -EIO;
    store_bind_text(s, 1, code);
    store_bind_text(s, 2, name);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        rc = store_fail(st, "unit");
        sqlite3_reset(s);
        return rc;
    }
    if (id)
        *id = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return 0;
}

/* Sets or clears a unit's parent; -ENOENT for an unknown parent. */
int store_unit_set_parent(struct store *st, const char *code, const char *parent_code)
{
    sqlite3_stmt *s = store_stmt_get(st, STMT_UNIT_PARENT);
    if (!s)
        return -EIO;
    store_bind_text(s, 1, code);
    store_bind_text(s, 2, parent_code);
    int rc = store_step_done(st, s, "unit parent");
    if (rc == 0 && parent_code) {
        /* The subquery yields NULL for an unknown parent: check it is set. */
        sqlite3_stmt *q =
            store_stmt_cached(st, "SELECT 1 FROM unit WHERE code = ?1 AND parent_id IS NOT NULL");
        rc = -ENOENT;
        if (q) {
            store_bind_text(q, 1, code);
            if (sqlite3_step(q) == SQLITE_ROW)
                rc = 0;
            sqlite3_reset(q);
        }
        if (rc < 0)
            snprintf(st->err, sizeof(st->err), "unit %s: unknown parent %s", code, parent_code);
    }
    return rc;
}

/* Upserts every field of an indicator (store_priv.h). */
int store_indicator_put(struct store *st, const struct store_indicator_def *d)
{
    sqlite3_stmt *s = store_stmt_get(st, STMT_INDICATOR_PUT);
    if (!s)
        return -EIO;
    store_bind_text(s, 1, d->code);
    store_bind_text(s, 2, d->name);
    store_bind_text(s, 3, d->measure);
    store_bind_text(s, 4, d->frequency);
    store_bind_text(s, 5, d->kind);
    sqlite3_bind_int(s, 6, d->cumulative);
    sqlite3_bind_int(s, 7, d->direction);
    sqlite3_bind_int(s, 8, d->decimals);
    store_bind_text(s, 9, d->formula);
    store_bind_text(s, 10, d->numerator);
    store_bind_text(s, 11, d->denominator);
    if (d->scale != 0)
        sqlite3_bind_double(s, 12, d->scale);
    return store_step_done(st, s, "indicator");
}

/*
 * Inserts unit code (or renames it) with parent parent_code (NULL: a root;
 * it must already exist, else -ENOENT and nothing changes) and refreshes the
 * look-up maps. Attributes are left as they are. One transaction.
 */
int store_upsert_unit(struct store *st, const char *code, const char *name, const char *parent_code)
{
    int rc = store_tx_begin(st);
    if (rc < 0)
        return rc;
    if ((rc = store_unit_put(st, code, name, NULL)) < 0 ||
        (rc = store_unit_set_parent(st, code, parent_code)) < 0 || (rc = store_tx_commit(st)) < 0) {
        store_tx_rollback(st);
        return rc;
    }
    return store_maps_load(st);
}

/*
 * Inserts or updates indicator code with frequency ("M", "Q", "H", "Y") and
 * kind ("flow", "stock", "rate"); the other fields take their defaults (not
 * cumulative, direction +1, 2 decimals, no formula). Refreshes the maps.
 */
int store_upsert_indicator(struct store *st, const char *code, const char *name,
                           const char *frequency, const char *kind)
{
    struct store_indicator_def d = {
        .code = code,
        .name = name,
        .frequency = frequency,
        .kind = kind,
        .direction = 1,
        .decimals = 2,
    };
    int rc = store_indicator_put(st, &d);
    return rc < 0 ? rc : store_maps_load(st);
}

/* Replaces the attributes of unit id by u's (none clears them). */
static int unit_attrs_put(struct store *st, int64_t id, const struct store_unit_def *u)
{
    sqlite3_stmt *s = store_stmt_get(st, STMT_UNIT_ATTR_CLEAR);
    if (!s)
        return -EIO;
    sqlite3_bind_int64(s, 1, id);
    int rc = store_step_done(st, s, "unit attributes");
    for (size_t i = 0; rc == 0 && i < u->n_attrs; i++) {
        if (!(s = store_stmt_get(st, STMT_UNIT_ATTR_ADD)))
            return -EIO;
        sqlite3_bind_int64(s, 1, id);
        store_bind_text(s, 2, u->attrs[i].key);
        store_bind_text(s, 3, u->attrs[i].value);
        rc = store_step_done(st, s, "unit attributes");
    }
    return rc;
}

/* A stored unit as units_same() compares it (strings owned). */
struct unit_now {
    char *code, *name, *parent; /* parent NULL: a root */
    int attrs;                  /* 1 when it has attributes */
};

static int unit_now_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const struct unit_now *)elem)->code);
}

static char *dup_col(sqlite3_stmt *s, int i)
{
    const char *t = (const char *)sqlite3_column_text(s, i);
    return t ? strdup(t) : NULL;
}

/* The stored units by code (ORDER BY code: BINARY, the order of strcmp);
 * *out NULL when none or out of memory (then every unit is written). */
static void units_now(struct store *st, struct unit_now **out, size_t *n)
{
    sqlite3_stmt *s = NULL;
    struct unit_now *v = NULL;
    size_t cap = 0;

    *out = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT u.code, u.name, p.code, u.attributes IS NOT NULL FROM unit u"
                           " LEFT JOIN unit p ON p.id = u.parent_id ORDER BY u.code",
                           -1, &s, NULL) != SQLITE_OK)
        return;
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (BUF_GROW(&v, &cap, *n + 1, BUF_UNCAPPED) < 0)
            break;
        struct unit_now *u = &v[(*n)++];
        *u = (struct unit_now){dup_col(s, 0), dup_col(s, 1), dup_col(s, 2),
                               sqlite3_column_int(s, 3)};
        if (!u->code || !u->name || (!u->parent && sqlite3_column_type(s, 2) != SQLITE_NULL)) {
            free(u->code); /* out of memory: the units after it are written */
            free(u->name);
            free(u->parent);
            (*n)--;
            break;
        }
    }
    sqlite3_finalize(s);
    *out = v;
}

static void units_now_free(struct unit_now *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].code);
        free(v[i].name);
        free(v[i].parent);
    }
    free(v);
}

/* 1 when unit u is stored as it is defined, without attributes on either
 * side: nothing to write. */
static int unit_same(const struct store_unit_def *u, const struct unit_now *now, size_t n)
{
    const struct unit_now *h = now ? bsearch(u->code, now, n, sizeof(*now), unit_now_cmp) : NULL;
    return h && h->name && u->name && strcmp(h->name, u->name) == 0 && !h->attrs &&
           u->n_attrs == 0 &&
           (u->parent ? h->parent && strcmp(h->parent, u->parent) == 0 : !h->parent);
}

/* Units first without parents, then parents: a child may precede its parent.
 * A unit stored as defined is not written again: a daemon starting on a
 * national store (200,000 units) reads them once instead of writing each. */
static int units_put(struct store *st, const struct store_unit_def *units, size_t n)
{
    struct unit_now *now = NULL;
    size_t nnow = 0;
    unsigned char *same = calloc(n ? n : 1, 1);
    int rc = 0;

    if (!same)
        return -ENOMEM;
    units_now(st, &now, &nnow);
    for (size_t i = 0; i < n; i++)
        same[i] = (unsigned char)unit_same(&units[i], now, nnow);
    units_now_free(now, nnow);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        int64_t id = -1;
        if (same[i])
            continue;
        rc = store_unit_put(st, units[i].code, units[i].name, &id);
        if (rc == 0)
            rc = unit_attrs_put(st, id, &units[i]);
    }
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (!same[i])
            rc = store_unit_set_parent(st, units[i].code, units[i].parent);
    free(same);
    return rc;
}

/*
 * Upserts every unit (name, parent, attributes) and indicator given in one
 * transaction, then reloads the code -> id maps (observations.h).
 */
int store_define(struct store *st, const struct store_unit_def *units, size_t nunits,
                 const struct store_indicator_def *ind, size_t nind)
{
    int rc = store_tx_begin(st);
    if (rc < 0)
        return rc;
    if ((rc = units_put(st, units, nunits)) < 0) {
        store_tx_rollback(st);
        return rc;
    }
    for (size_t i = 0; i < nind; i++) {
        if ((rc = store_indicator_put(st, &ind[i])) < 0) {
            store_tx_rollback(st);
            return rc;
        }
    }
    if ((rc = store_tx_commit(st)) < 0) {
        store_tx_rollback(st);
        return rc;
    }
    return store_maps_load(st);
}
