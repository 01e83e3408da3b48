/*
 * store_priv.h - internals shared by the files of the store module (store.c,
 * schema.c, ingest.c, query.c and the rest): the connection struct, its cache of
 * prepared statements and the code -> id maps. Not for use outside store/.
 */
#ifndef PARKSTAT_STORE_PRIV_H
#define PARKSTAT_STORE_PRIV_H

#include <pthread.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "common/exec.h"
#include "store/observations.h"
#include "store/store.h"

/* How long a connection waits for another's lock before "database busy". */
#define STORE_BUSY_MS 5000

/* Statements prepared once per connection, on first use, and reused. */
enum store_stmt {
    STMT_BEGIN,
    STMT_COMMIT,
    STMT_ROLLBACK,
    STMT_OBS_INSERT,
    STMT_OBS_CURRENT,
    STMT_OBS_CLOSE,
    STMT_REJECT_INSERT,
    STMT_RUN_BEGIN,
    STMT_RUN_END,
    STMT_UNIT_PUT,
    STMT_UNIT_PARENT,
    STMT_UNIT_ATTR_CLEAR,
    STMT_UNIT_ATTR_ADD,
    STMT_INDICATOR_PUT,
    STMT_COUNT_
};

/* One code -> id pair; code is malloc'd and NUL-terminated, len its length. */
struct store_map_entry {
    char *code;
    size_t len;
    int64_t id;
};

/* A code -> id map sorted by (bytes, length) for bsearch, and its ids
 * ascending (ids[0..n)) for store_map_has_id(). */
struct store_map {
    struct store_map_entry *v;
    int64_t *ids;
    size_t n;
};

/* What store/ingest.c knows of the observation table (store_ingest()'s
 * fast path skips the look-up of current rows for units without any): the
 * table had no row when this connection found it empty at PRAGMA
 * data_version dv, and since then it holds rows only of the units marked in
 * written[] (one bit per unit id; a unit is marked before any of its rows is
 * written; batch[] marks those first written by the running batch). Valid while data_version stays
 * dv: another connection's commit changes it; this connection's own writes, rollbacks and deletes
 * do not, and leave the marks true or over-cautious. */
struct store_fresh {
    int known;         /* 1: the above holds at dv */
    int tried;         /* known == 0: the table had rows at dv (no new look) */
    int64_t dv;        /* data_version when known (or tried) was set */
    uint64_t *written; /* bit id % 64 of word id / 64 */
    uint64_t *batch;   /* the same for the units first written by this batch */
    size_t nwords;     /* of written and of batch */
    int64_t *marked;   /* the units of batch[] */
    size_t nmarked, cap;
};

struct store {
    sqlite3 *db;
    int readonly;
    int nowait;                      /* store_nowait(): a busy database fails at once, unlogged */
    sqlite3_stmt *stmt[STMT_COUNT_]; /* NULL until first use */
    /* Statements of other files, prepared once and keyed by their SQL text's
     * address (static strings): store_stmt_cached(). */
    struct {
        const char *sql;
        sqlite3_stmt *s;
    } cached[96];
    size_t ncached;
    struct store_map units;
    struct store_map indicators;
    /* store/ingest.c: units known to have no observation */
    struct store_fresh fresh;
    /* store/query_api.c: the units' names a ranking page read */
    struct store_unit_names *names;
    char err[512];      /* last error text, kept across a ROLLBACK */
    pthread_mutex_t mu; /* store_lock(): threads taking turns on the connection */
};

/*
 * Returns the cached statement id, preparing it on first use, reset and with
 * its bindings cleared; NULL on error (st->err set).
 */
sqlite3_stmt *store_stmt_get(struct store *st, enum store_stmt id);

/*
 * As store_stmt_get() for a statement given by its SQL, a string with static
 * storage (its address is the key): prepared on first use, then reset and
 * with its bindings cleared. Borrowed: do not finalize. NULL on error.
 */
sqlite3_stmt *store_stmt_cached(struct store *st, const char *sql);

/* Records the SQLite error of st->db with a context word in st->err, logs it
 * and returns -EIO (or -EBUSY for a busy/locked database). */
int store_fail(struct store *st, const char *what);

/* Steps the cached statement sql (static storage) for its one integer into
 * *v. Returns 0, or -EIO / -EBUSY with what as the error's context. */
int store_one_int(struct store *st, const char *sql, const char *what, int64_t *v);

/* Steps a cached statement that returns no rows, then resets it. 0 or -EIO. */
int store_step_done(struct store *st, sqlite3_stmt *s, const char *what);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK through the statement cache. ROLLBACK
 * keeps st->err and is a no-op when no transaction is open. */
int store_tx_begin(struct store *st);
int store_tx_commit(struct store *st);
void store_tx_rollback(struct store *st);

/* Binds text (NULL binds SQL NULL) without copying; the text must outlive the
 * step. Returns the SQLite code. */
int store_bind_text(sqlite3_stmt *s, int idx, const char *text);

/* Reloads both code -> id maps from the unit and indicator tables. */
int store_maps_load(struct store *st);

/* 1 when id is in m (a row the map was loaded from, committed then: rows of
 * unit and indicator are never deleted, so it exists), else 0 (not known
 * here: it may have been added since). O(log n), no database access. */
int store_map_has_id(const struct store_map *m, int64_t id);

/* The first position in the ascending ids[0..n) whose id is not below id
 * (n when none): where id stands or would be inserted. */
size_t store_id_lower_bound(const int64_t *ids, size_t n, int64_t id);

/* Inserts or renames the unit code; *id (may be NULL) gets its row id. */
int store_unit_put(struct store *st, const char *code, const char *name, int64_t *id);

/* Sets the parent of unit code (parent_code NULL: a root). -ENOENT when the
 * parent is not in the table. */
int store_unit_set_parent(struct store *st, const char *code, const char *parent_code);

/* Inserts or updates an indicator from every field of def. */
int store_indicator_put(struct store *st, const struct store_indicator_def *def);

/* Records that unit_id has a new or revised current value, so the column
 * copy rereads it (columns.c; called by store_ingest in its transaction). */
int store_columns_touch(struct store *st, int64_t unit_id);

/* SQL: when the results of row alias r's index and period were computed
 * (table result_period, schema version 13), for the readers of result. */
#define RESULT_AT(r)                                                                               \
    "(SELECT rp.computed_at FROM result_period rp WHERE rp.index_id = " r ".index_id"              \
    " AND rp.period = " r ".period)"

/* Registers the SQL function blob_double(blob, i) on db (results.c): the i-th
 * little-endian double of a result blob, NULL for NaN or out of range.
 * Returns 0 or -EIO. */
int store_results_sql_register(sqlite3 *db);

/*
 * Brings the schema of db to STORE_SCHEMA_VERSION (schema.c). Refuses a newer
 * database (-EPROTO) and, when readonly, an older one (-EROFS), writing a
 * message to errbuf.
 */
int store_schema_migrate(sqlite3 *db, int readonly, char *errbuf, size_t errsize);

/* Frees the names of store/query_api.c (NULL: none). */
void store_unit_names_free(struct store_unit_names *n);

/* Schema version 16 (schema.c): builds the ranking chunks (results.h,
 * STORE_RANKING_CHUNK) of every (index, period) with results from its rows,
 * inside the migration's transaction. 0, or a negative errno with the
 * message in errbuf. */
int store_results_rankings_build(sqlite3 *db, char *errbuf, size_t errsize);

#endif
