/*
 * results.c - what the aggregation engine (compute/) reads from and writes to
 * the store (the bulk walk over observations is in walk.c): the replacement
 * of index results (one row per index, period and unit, dimensions as a
 * packed blob of exact values, contributions as a blob of doubles, schema.c
 * version 3) and recompute marks
 * in one transaction, the index config hashes that decide
 * between an incremental and a full recompute, a query over results joined
 * with unit attributes, and the SQL function blob_double() that reads the
 * blobs.
 *
 * The hash table index_state is created here with CREATE TABLE IF NOT EXISTS
 * rather than by a schema migration: it is a cache (losing it only forces a
 * full recompute), so it needs no version bump of its own.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/log.h"
#include "store/results.h"
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

/* Records a message of ours (not SQLite's) in st->err, logs it and returns
 * rc. */
static int fail_msg(struct store *st, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail_msg(struct store *st, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->err, sizeof(st->err), fmt, ap);
    va_end(ap);
    log_err("store: %s", st->err);
    return rc;
}

/* ---- The blob format: little-endian IEEE doubles, NaN for none ---- */

static void le_put(unsigned char *b, double v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(b, &v, 8); /* already the stored byte order */
#else
    uint64_t u;
    memcpy(&u, &v, sizeof(u));
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(u >> (8 * i));
#endif
}

static double le_get(const unsigned char *b)
{
    uint64_t u = 0;
    double v;
    for (int i = 0; i < 8; i++)
        u |= (uint64_t)b[i] << (8 * i);
    memcpy(&v, &u, sizeof(v));
    return v;
}

/* ---- The packed form of the nodes blob (docs/INDICES.md, "Stored
 * results"): per node a tag byte, two bits per field (score, rank, rank
 * change, flags from the low bits), then the fields' bytes in that order.
 * Exact: every double comes back bit for bit but NaN payloads (none). A
 * packed blob's length is never a multiple of 8 (a zero byte is appended
 * when it would be), which tells it from the plain doubles of contribs and
 * of rows written before. ---- */

enum { PK_NONE = 0, PK_INT = 1, PK_DOUBLE = 2, PK_ZERO = 3 };

/* The code of v: none (NaN), +0, an integer of at most 53 bits (zigzag
 * LEB128 in *iv), else the 8 bytes. */
static int pk_code(double v, int64_t *iv)
{
    if (isnan(v))
        return PK_NONE;
    if (v == 0 && !signbit(v))
        return PK_ZERO;
    if (fabs(v) < 9007199254740992.0 && v == (double)(int64_t)v && v != 0) {
        *iv = (int64_t)v;
        return PK_INT;
    }
    return PK_DOUBLE;
}

/* Packs n nodes (STORE_NODE_FIELDS doubles each) into out (room for
 * pack_bound(n) bytes). Returns the length. */
static size_t pack_nodes(const double *v, size_t n, unsigned char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        size_t tag = o++;
        out[tag] = 0;
        for (int f = 0; f < STORE_NODE_FIELDS; f++) {
            int64_t iv = 0;
            double x = v[STORE_NODE_FIELDS * i + (size_t)f];
            int c = pk_code(x, &iv);
            out[tag] |= (unsigned char)(c << (2 * f));
            if (c == PK_DOUBLE) {
                le_put(out + o, x);
                o += 8;
            } else if (c == PK_INT) {
                uint64_t z = ((uint64_t)iv << 1) ^ (iv < 0 ? ~(uint64_t)0 : 0);
                do {
                    out[o++] = (unsigned char)((z & 0x7f) | (z > 0x7f ? 0x80 : 0));
                    z >>= 7;
                } while (z);
            }
        }
    }
    if (o % 8 == 0 && o > 0)
        out[o++] = 0;
    return o;
}

static size_t pack_bound(size_t n)
{
    return n * (1 + 8 * STORE_NODE_FIELDS) + 1;
}

/* Field i (node i / 4, field i % 4) of packed blob b of len bytes into *v;
 * 0, or -1 when it is out of range or the blob is cut short. */
static int unpack_field(const unsigned char *b, size_t len, int64_t i, double *v)
{
    size_t o = 0;
    for (int64_t k = 0; o < len; k++) {
        unsigned tag = b[o++];
        for (int f = 0; f < STORE_NODE_FIELDS; f++) {
            int c = (int)(tag >> (2 * f)) & 3;
            uint64_t z = 0;
            *v = c == PK_ZERO ? 0 : NAN;
            if (c == PK_DOUBLE) {
                if (len - o < 8)
                    return -1;
                *v = le_get(b + o);
                o += 8;
            } else if (c == PK_INT) {
                for (int sh = 0;; sh += 7) {
                    if (o >= len || sh > 63)
                        return -1;
                    z |= (uint64_t)(b[o] & 0x7f) << sh;
                    if (!(b[o++] & 0x80))
                        break;
                }
                *v = (double)(int64_t)((z >> 1) ^ (~(z & 1) + 1));
            }
            if (k * STORE_NODE_FIELDS + f == i)
                return 0;
        }
    }
    return -1;
}

/* SQL blob_double(blob, i): the i-th double of blob (plain doubles, or the
 * packed nodes), NULL when the blob is NULL or too short or the value is NaN
 * (none). */
static void sql_blob_double(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    const unsigned char *b = sqlite3_value_blob(argv[0]);
    sqlite3_int64 i = sqlite3_value_int64(argv[1]);
    sqlite3_int64 len = sqlite3_value_bytes(argv[0]);
    double v = NAN;
    (void)argc;
    if (b && i >= 0 && len % 8 == 0 && i < len / 8)
        v = le_get(b + 8 * i);
    else if (b && i >= 0 && len % 8 != 0 && unpack_field(b, (size_t)len, i, &v) < 0)
        v = NAN;
    if (isnan(v))
        sqlite3_result_null(cx);
    else
        sqlite3_result_double(cx, v);
}

/* Registers blob_double() on db (contract in store_priv.h). */
int store_results_sql_register(sqlite3 *db)
{
    return sqlite3_create_function(db, "blob_double", 2,
                                   SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                   sql_blob_double, NULL, NULL) == SQLITE_OK
               ? 0
               : -EIO;
}

/* 1 when index_id is among the wiped indices of b. */
static int is_wiped(const struct store_results_batch *b, const char *index_id)
{
    for (size_t i = 0; i < b->nwipe; i++)
        if (strcmp(b->wipe[i], index_id) == 0)
            return 1;
    return 0;
}

/* Sets *all to 1 when every index with stored results is wiped. Walks the
 * distinct index ids by seeking past each one in the primary key: one look-up
 * per index, not a scan of the rows. */
static int wipes_all(struct store *st, const struct store_results_batch *b, int *all)
{
    sqlite3_stmt *s;
    char last[256] = "";
    int rc = prepare(
        st, "SELECT index_id FROM result WHERE index_id > ?1 ORDER BY index_id LIMIT 1", &s);
    *all = 1;
    while (rc == 0 && *all) {
        store_bind_text(s, 1, last);
        int step = sqlite3_step(s);
        if (step == SQLITE_DONE)
            break;
        if (step != SQLITE_ROW) {
            rc = store_fail(st, "result indices");
            break;
        }
        const char *id = (const char *)sqlite3_column_text(s, 0);
        /* an id too long for last cannot be stepped over: delete row by row */
        *all = id && strlen(id) < sizeof(last) && is_wiped(b, id);
        if (*all)
            snprintf(last, sizeof(last), "%s", id);
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    return rc;
}

/* Deletes every result and the layout of the wiped indices: one range delete
 * on the primary keys, which lead with index_id; or, when every index with
 * rows is wiped (a full recompute), one DELETE without WHERE, which SQLite
 * runs as a truncation that frees the pages without visiting the rows. */
static int wipe_indices(struct store *st, const struct store_results_batch *b)
{
    static const char *const sql[5] = {
        "DELETE FROM result WHERE index_id = ?1",
        "DELETE FROM result_period WHERE index_id = ?1",
        "DELETE FROM result_ranking WHERE index_id = ?1",
        "DELETE FROM index_layout WHERE index_id = ?1",
        "DELETE FROM index_weight WHERE index_id = ?1",
    };
    int all = 0, rc = b->nwipe ? wipes_all(st, b, &all) : 0;
    if (rc == 0 && all &&
        sqlite3_exec(st->db,
                     "DELETE FROM result; DELETE FROM result_period; DELETE FROM result_ranking",
                     NULL, NULL, NULL) != SQLITE_OK)
        rc = store_fail(st, "wipe results");
    for (int k = all ? 3 : 0; k < 5 && rc == 0 && b->nwipe; k++) {
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

/* Deletes results, marks and weights of the cleared keys (from sql[0]) or
 * marks and weights of the refreshed ones (from sql[1]). */
static int clear_keys(struct store *st, const struct store_result_key *keys, size_t n, int from)
{
    static const char *const sql[5] = {
        "DELETE FROM result WHERE index_id = ?1 AND period = ?2",
        "DELETE FROM result_period WHERE index_id = ?1 AND period = ?2",
        "DELETE FROM result_ranking WHERE index_id = ?1 AND period = ?2",
        "DELETE FROM recompute WHERE index_id = ?1 AND period = ?2",
        "DELETE FROM index_weight WHERE index_id = ?1 AND period = ?2",
    };
    int rc = 0;
    for (int k = from ? 3 : 0; k < 5 && rc == 0 && n; k++) {
        sqlite3_stmt *s;
        if ((rc = prepare(st, sql[k], &s)) < 0)
            break;
        for (size_t i = 0; i < n && rc == 0; i++) {
            store_bind_text(s, 1, keys[i].index_id);
            store_bind_text(s, 2, keys[i].period);
            rc = step_reset(st, s, "clear results");
        }
        sqlite3_finalize(s);
    }
    return rc;
}

/*
 * The stored rows of the (index, period) being rewritten in place: unit ids
 * ascending with their rowids, read in one walk of the unique index, so each
 * row is updated by its rowid (one seek of integers instead of the text key's
 * index and then the table), and the rows not rewritten are known at the
 * sweep without a second walk.
 */
struct rowmap {
    char *index_id, *period; /* the key it holds; NULL: none */
    int64_t *unit, *rowid;
    size_t n, cap;
    int guess; /* how the last row of the period went (put_by_rowid): ROW_* */
};

/* How a row rewritten in place went: unchanged, or written. */
enum { ROW_SAME, ROW_WRITTEN };

static void rowmap_clear(struct rowmap *m)
{
    free(m->index_id);
    free(m->period);
    m->index_id = m->period = NULL;
    m->n = 0;
    m->guess = ROW_SAME;
}

static void rowmap_free(struct rowmap *m)
{
    rowmap_clear(m);
    free(m->unit);
    free(m->rowid);
    memset(m, 0, sizeof(*m));
}

static int rowmap_holds(const struct rowmap *m, const char *index_id, const char *period)
{
    return m->index_id && strcmp(m->index_id, index_id) == 0 && strcmp(m->period, period) == 0;
}

/* Reads the rows of (index_id, period) into m. */
static int rowmap_load(struct store *st, struct rowmap *m, const char *index_id, const char *period)
{
    sqlite3_stmt *s;
    int rc, step;

    rowmap_clear(m);
    if (!(m->index_id = strdup(index_id)) || !(m->period = strdup(period))) {
        rowmap_clear(m);
        return -ENOMEM;
    }
    if ((rc = prepare(st,
                      "SELECT unit_id, rowid FROM result WHERE index_id = ?1 AND period = ?2"
                      " ORDER BY unit_id",
                      &s)) < 0)
        return rc;
    store_bind_text(s, 1, index_id);
    store_bind_text(s, 2, period);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        if (m->n == m->cap) {
            size_t nc = m->cap ? 2 * m->cap : 1024;
            int64_t *u = realloc(m->unit, nc * sizeof(*u));
            if (u)
                m->unit = u;
            int64_t *r = u ? realloc(m->rowid, nc * sizeof(*r)) : NULL;
            if (!r) {
                rc = -ENOMEM;
                break;
            }
            m->rowid = r;
            m->cap = nc;
        }
        m->unit[m->n] = sqlite3_column_int64(s, 0);
        m->rowid[m->n++] = sqlite3_column_int64(s, 1);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = store_fail(st, "result rows");
    sqlite3_finalize(s);
    if (rc < 0)
        rowmap_clear(m);
    return rc;
}

/* The position of unit in m, or -1. */
static long rowmap_find(const struct rowmap *m, int64_t unit)
{
    size_t lo = store_id_lower_bound(m->unit, m->n, unit);
    return lo < m->n && m->unit[lo] == unit ? (long)lo : -1;
}

/* Deletes the rows of one swept (index, period) whose unit is not in its
 * list: one walk of the key's unit ids (the unique index covers it) merged
 * with the ascending list, a delete per stale unit. */
static int sweep_one(struct store *st, sqlite3_stmt *sel, sqlite3_stmt *del,
                     const struct store_result_sweep *w)
{
    int64_t *stale = NULL;
    size_t n = 0, cap = 0, j = 0;
    int rc = 0, step;

    store_bind_text(sel, 1, w->index_id);
    store_bind_text(sel, 2, w->period);
    while ((step = sqlite3_step(sel)) == SQLITE_ROW) {
        int64_t u = sqlite3_column_int64(sel, 0);
        while (j < w->nunits && w->units[j] < u)
            j++;
        if (j < w->nunits && w->units[j] == u)
            continue;
        if (n == cap) {
            size_t nc = cap ? 2 * cap : 64;
            int64_t *t = realloc(stale, nc * sizeof(*t));
            if (!t) {
                rc = -ENOMEM;
                break;
            }
            stale = t;
            cap = nc;
        }
        stale[n++] = u;
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = store_fail(st, "sweep results");
    sqlite3_reset(sel);
    for (size_t i = 0; i < n && rc == 0; i++) {
        store_bind_text(del, 1, w->index_id);
        store_bind_text(del, 2, w->period);
        sqlite3_bind_int64(del, 3, stale[i]);
        rc = step_reset(st, del, "sweep results");
    }
    free(stale);
    return rc;
}

/* The rows of m's key not rewritten (the units not in w's list) deleted by
 * rowid. */
static int sweep_mapped(struct store *st, const struct rowmap *m,
                        const struct store_result_sweep *w)
{
    sqlite3_stmt *del;
    size_t j = 0;
    int rc = prepare(st, "DELETE FROM result WHERE rowid = ?1", &del);
    for (size_t i = 0; i < m->n && rc == 0; i++) {
        while (j < w->nunits && w->units[j] < m->unit[i])
            j++;
        if (j < w->nunits && w->units[j] == m->unit[i])
            continue;
        sqlite3_bind_int64(del, 1, m->rowid[i]);
        rc = step_reset(st, del, "sweep results");
    }
    sqlite3_finalize(del);
    return rc;
}

static int sweep_keys(struct store *st, struct rowmap *m, const struct store_results_batch *b)
{
    sqlite3_stmt *sel = NULL, *del = NULL;
    int rc = 0;
    if (!b->nsweep)
        return 0;
    if (b->nsweep == 1 && rowmap_holds(m, b->sweep[0].index_id, b->sweep[0].period)) {
        rc = sweep_mapped(st, m, &b->sweep[0]);
        rowmap_clear(m); /* its rows are swept: done with */
        return rc;
    }
    if ((rc = prepare(st,
                      "SELECT unit_id FROM result WHERE index_id = ?1 AND period = ?2"
                      " ORDER BY unit_id",
                      &sel)) == 0)
        rc = prepare(st, "DELETE FROM result WHERE index_id = ?1 AND period = ?2 AND unit_id = ?3",
                     &del);
    for (size_t i = 0; i < b->nsweep && rc == 0; i++)
        rc = sweep_one(st, sel, del, &b->sweep[i]);
    sqlite3_finalize(sel);
    sqlite3_finalize(del);
    return rc;
}

/* ---- The ranking of a period in rank order (schema version 16) ----
 *
 * The writer gathers the key of every row of the (index, period) whose rows
 * it is given (a recompute sends all of a period's rows, in place or new)
 * and, once the rows go on to another period or the transaction ends, sorts
 * them into the order of a ranking page (unranked last, rank, unit code)
 * and replaces the period's chunks in result_ranking: per chunk its first
 * entry's key and up to STORE_RANKING_CHUNK entries of STORE_RANKING_ENTRY bytes,
 * little-endian: unit id (int64), score (double, NaN: none), rank (int32,
 * 0: none), rank change (int32, INT32_MIN: none), flags (uint32). ---- */

struct rank_entry {
    int64_t unit;
    double score;
    int32_t rank, change;
    uint32_t flags;
    const char *code; /* the unit's, in pool (sorting only) */
};

/* What the transaction did to an (index, period)'s ranking so far. */
enum { RK_CLEARED, RK_WRITTEN, RK_DIRTY };

struct rank_key {
    char *index_id, *period;
    int state; /* RK_*: its rows deleted; its chunks written; rebuilt at the end */
};

struct ranking {
    char *index_id, *period; /* the key being gathered; NULL: none */
    struct rank_entry *e;
    size_t n, cap;
    int fresh;             /* it had no rows when the gathering began: cleared or wiped */
    int swept;             /* a sweep named exactly the units gathered */
    int spoiled;           /* a sweep named others, or it is DIRTY: rebuilt at the end */
    struct rank_key *keys; /* the keys the transaction touched */
    size_t nkeys, capkeys;
    char **wiped; /* indices wiped by the transaction */
    size_t nwiped, capwiped;
    int64_t *ids; /* unit ids ascending, with their codes: loaded once */
    size_t *off;  /* each one's code: its offset in pool */
    char *pool;
    size_t nunits;
    int loaded;
};

static void ranking_forget(struct ranking *k)
{
    free(k->index_id);
    free(k->period);
    k->index_id = k->period = NULL;
    k->n = 0;
    k->fresh = k->swept = k->spoiled = 0;
}

static void ranking_free(struct ranking *k)
{
    ranking_forget(k);
    for (size_t i = 0; i < k->nkeys; i++) {
        free(k->keys[i].index_id);
        free(k->keys[i].period);
    }
    for (size_t i = 0; i < k->nwiped; i++)
        free(k->wiped[i]);
    free(k->keys);
    free(k->wiped);
    free(k->e);
    free(k->ids);
    free(k->off);
    free(k->pool);
    memset(k, 0, sizeof(*k));
}

static int ranking_holds(const struct ranking *k, const char *index_id, const char *period)
{
    return k->index_id && strcmp(k->index_id, index_id) == 0 && strcmp(k->period, period) == 0;
}

/* The touched key (index_id, period), or NULL. */
static struct rank_key *ranking_key(struct ranking *k, const char *index_id, const char *period)
{
    for (size_t i = 0; i < k->nkeys; i++)
        if (strcmp(k->keys[i].index_id, index_id) == 0 && strcmp(k->keys[i].period, period) == 0)
            return &k->keys[i];
    return NULL;
}

/* Sets the state of (index_id, period), adding the key. */
static int ranking_set(struct ranking *k, const char *index_id, const char *period, int state)
{
    struct rank_key *t = ranking_key(k, index_id, period);
    if (t) {
        t->state = state;
        return 0;
    }
    int rc = BUF_GROW(&k->keys, &k->capkeys, k->nkeys + 1, BUF_UNCAPPED);
    if (rc < 0)
        return rc;
    t = &k->keys[k->nkeys];
    if (!(t->index_id = strdup(index_id)) || !(t->period = strdup(period))) {
        free(t->index_id);
        return -ENOMEM;
    }
    t->state = state;
    k->nkeys++;
    return 0;
}

/* index_id's touched keys are cleared, and its later keys too (a wipe). */
static int ranking_wipe(struct ranking *k, const char *index_id)
{
    for (size_t i = 0; i < k->nkeys; i++)
        if (strcmp(k->keys[i].index_id, index_id) == 0)
            k->keys[i].state = RK_CLEARED;
    int rc = BUF_GROW(&k->wiped, &k->capwiped, k->nwiped + 1, BUF_UNCAPPED);
    if (rc < 0)
        return rc;
    if (!(k->wiped[k->nwiped] = strdup(index_id)))
        return -ENOMEM;
    k->nwiped++;
    return 0;
}

/* 1 when (index_id, period) had no rows left at this point of the
 * transaction: cleared or wiped, and not written since. */
static int ranking_fresh(struct ranking *k, const char *index_id, const char *period)
{
    const struct rank_key *t = ranking_key(k, index_id, period);
    if (t)
        return t->state == RK_CLEARED;
    for (size_t i = 0; i < k->nwiped; i++)
        if (strcmp(k->wiped[i], index_id) == 0)
            return 1;
    return 0;
}

/* The unit codes by id, read once per transaction (a ranking's ties go by
 * code). */
static int ranking_load_codes(struct store *st, struct ranking *k)
{
    sqlite3_stmt *s;
    size_t icap = 0, ocap = 0, used = 0, pcap = 0;
    int rc, step;

    if (k->loaded)
        return 0;
    k->nunits = 0;
    if ((rc = prepare(st, "SELECT id, code FROM unit ORDER BY id", &s)) < 0)
        return rc;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        const char *c = (const char *)sqlite3_column_text(s, 1);
        size_t len = c ? strlen(c) + 1 : 1;
        if ((rc = BUF_GROW(&k->ids, &icap, k->nunits + 1, BUF_UNCAPPED)) < 0 ||
            (rc = BUF_GROW(&k->off, &ocap, k->nunits + 1, BUF_UNCAPPED)) < 0 ||
            (rc = BUF_GROW(&k->pool, &pcap, used + len, BUF_UNCAPPED)) < 0)
            break;
        memcpy(k->pool + used, c ? c : "", len);
        k->ids[k->nunits] = sqlite3_column_int64(s, 0);
        k->off[k->nunits++] = used;
        used += len;
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = store_fail(st, "unit codes");
    sqlite3_finalize(s);
    k->loaded = rc == 0; /* else the transaction fails */
    return rc;
}

/* Ranking order without the codes: unranked last, rank, then unit id (the
 * runs of equal rank are put in code order after, when there are any). */
static int rank_entry_cmp(const void *a, const void *b)
{
    const struct rank_entry *x = a, *y = b;
    int ux = x->rank == 0, uy = y->rank == 0;
    if (ux != uy)
        return ux - uy;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    return (x->unit > y->unit) - (x->unit < y->unit);
}

static int rank_entry_code_cmp(const void *a, const void *b)
{
    const struct rank_entry *x = a, *y = b;
    return strcmp(x->code, y->code);
}

/* Sorts the entries by rank, the unranked last, in one pass of counting
 * (ranks are at most the number of units ranked together): 0, or -1 when a
 * rank is beyond n or memory is short (then qsort). Equal ranks keep their
 * order. */
static int rank_counting_sort(struct ranking *k)
{
    size_t n = k->n, *at = NULL;
    struct rank_entry *out = NULL;
    for (size_t i = 0; i < n; i++)
        if ((size_t)k->e[i].rank > n)
            return -1;
    if (n < 2 || !(at = calloc(n + 2, sizeof(*at))) || !(out = malloc(n * sizeof(*out)))) {
        free(at);
        return n < 2 ? 0 : -1;
    }
    for (size_t i = 0; i < n; i++) /* key: rank 1..n, the unranked (0) n + 1 */
        at[k->e[i].rank ? (size_t)k->e[i].rank : n + 1]++;
    for (size_t r = 0, sum = 0; r < n + 2; r++) {
        size_t c = at[r];
        at[r] = sum;
        sum += c;
    }
    for (size_t i = 0; i < n; i++)
        out[at[k->e[i].rank ? (size_t)k->e[i].rank : n + 1]++] = k->e[i];
    free(at);
    free(k->e);
    k->e = out;
    k->cap = n;
    return 0;
}

/* Sorts the gathered entries into ranking order: by rank, then every run of
 * one rank (ties, and the unranked) by unit code, the codes read only when
 * there is such a run. */
static int ranking_sort(struct store *st, struct ranking *k)
{
    int rc;
    if (rank_counting_sort(k) < 0)
        qsort(k->e, k->n, sizeof(*k->e), rank_entry_cmp);
    for (size_t i = 0, j; i < k->n; i = j) {
        for (j = i + 1; j < k->n && k->e[j].rank == k->e[i].rank; j++)
            ;
        if (j - i < 2)
            continue;
        if ((rc = ranking_load_codes(st, k)) < 0)
            return rc;
        for (size_t t = i; t < j; t++) {
            size_t at = store_id_lower_bound(k->ids, k->nunits, k->e[t].unit);
            if (at == k->nunits || k->ids[at] != k->e[t].unit)
                return fail_msg(st, -EIO, "ranking: unit id %lld has no code",
                                (long long)k->e[t].unit);
            k->e[t].code = k->pool + k->off[at];
        }
        qsort(k->e + i, j - i, sizeof(*k->e), rank_entry_code_cmp);
    }
    return 0;
}

static void put_u32(unsigned char *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(unsigned char *b, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

/* Replaces the chunks of (index_id, period) with the n entries e, sorted
 * here. */
static int ranking_write(struct store *st, struct ranking *k, const char *index_id,
                         const char *period)
{
    sqlite3_stmt *del = NULL, *ins = NULL;
    unsigned char *buf = NULL;
    int rc;

    if ((rc = ranking_sort(st, k)) < 0 ||
        (rc = prepare(st, "DELETE FROM result_ranking WHERE index_id = ?1 AND period = ?2", &del)) <
            0 ||
        (rc = prepare(st,
                      "INSERT INTO result_ranking(index_id, period, unranked, rank, code, n,"
                      " entries) VALUES(?1, ?2, ?3, ?4, (SELECT code FROM unit WHERE id = ?5),"
                      " ?6, ?7)",
                      &ins)) < 0)
        goto out;
    store_bind_text(del, 1, index_id);
    store_bind_text(del, 2, period);
    if ((rc = step_reset(st, del, "ranking delete")) < 0)
        goto out;
    if (k->n && !(buf = malloc((size_t)STORE_RANKING_CHUNK * STORE_RANKING_ENTRY))) {
        rc = -ENOMEM;
        goto out;
    }
    for (size_t c = 0; c < k->n && rc == 0; c += STORE_RANKING_CHUNK) {
        size_t m = k->n - c < STORE_RANKING_CHUNK ? k->n - c : STORE_RANKING_CHUNK;
        for (size_t i = 0; i < m; i++) {
            const struct rank_entry *e = &k->e[c + i];
            unsigned char *b = buf + i * STORE_RANKING_ENTRY;
            uint64_t sc;
            memcpy(&sc, &e->score, sizeof(sc));
            put_u64(b, (uint64_t)e->unit);
            put_u64(b + 8, sc);
            put_u32(b + 16, (uint32_t)e->rank);
            put_u32(b + 20, (uint32_t)e->change);
            put_u32(b + 24, e->flags);
        }
        store_bind_text(ins, 1, index_id);
        store_bind_text(ins, 2, period);
        sqlite3_bind_int(ins, 3, k->e[c].rank == 0);
        sqlite3_bind_int64(ins, 4, k->e[c].rank);
        sqlite3_bind_int64(ins, 5, k->e[c].unit);
        sqlite3_bind_int64(ins, 6, (int64_t)m);
        sqlite3_bind_blob(ins, 7, buf, (int)(m * STORE_RANKING_ENTRY), SQLITE_STATIC);
        rc = step_reset(st, ins, "ranking insert");
    }
out:
    free(buf);
    sqlite3_finalize(del);
    sqlite3_finalize(ins);
    return rc;
}

/* 1 when a unit is gathered twice (a row sent twice: its ranking is then
 * rebuilt from the rows at the end), also when the ids are too spread to
 * tell cheaply. */
static int ranking_has_twice(const struct ranking *k)
{
    int64_t max = 0;
    int twice = 0;
    for (size_t i = 0; i < k->n; i++) {
        if (k->e[i].unit < 0)
            return 1;
        max = k->e[i].unit > max ? k->e[i].unit : max;
    }
    if (max > 64 * (int64_t)k->n + (1 << 20))
        return 1;
    unsigned char *seen = calloc((size_t)max / 8 + 1, 1);
    if (!seen)
        return 1;
    for (size_t i = 0; i < k->n && !twice; i++) {
        size_t u = (size_t)k->e[i].unit;
        twice = seen[u / 8] >> (u % 8) & 1;
        seen[u / 8] |= (unsigned char)(1u << (u % 8));
    }
    free(seen);
    return twice;
}

/* Ends the gathering of the held key: its chunks are written when the rows
 * gathered are all it has (it had none before, or a sweep kept exactly
 * them), else it is left to be rebuilt from its rows at the end. */
static int ranking_flush(struct store *st, struct ranking *k)
{
    int rc = 0;
    if (!k->index_id)
        return 0;
    if (!k->spoiled && (k->swept || (k->fresh && !ranking_has_twice(k)))) {
        if ((rc = ranking_write(st, k, k->index_id, k->period)) == 0)
            rc = ranking_set(k, k->index_id, k->period, RK_WRITTEN);
    } else {
        rc = ranking_set(k, k->index_id, k->period, RK_DIRTY);
    }
    ranking_forget(k);
    return rc;
}

/* A rank or rank change as the int32 of an entry, as the row stores it (an
 * integer, NULL when not finite); none_v stands for NULL, so a value that is
 * none_v or beyond int32 is refused rather than stored wrong. */
static int rank_field(double v, int32_t none_v, int32_t *out)
{
    if (!isfinite(v)) {
        *out = none_v;
        return 0;
    }
    if (!(v > (double)INT32_MIN && v < (double)INT32_MAX + 1.0) || (int32_t)v == none_v)
        return -ERANGE;
    *out = (int32_t)v;
    return 0;
}

/* Appends one entry to the held key's. */
static int ranking_push(struct store *st, struct ranking *k, int64_t unit, double score,
                        double rank, double change, unsigned flags)
{
    int rc = BUF_GROW(&k->e, &k->cap, k->n + 1, BUF_UNCAPPED);
    if (rc < 0)
        return rc;
    struct rank_entry *e = &k->e[k->n];
    e->unit = unit;
    e->score = isfinite(score) ? score : NAN;
    e->flags = flags;
    e->code = NULL;
    if (rank_field(rank, 0, &e->rank) < 0 || e->rank < 0 ||
        rank_field(change, INT32_MIN, &e->change) < 0)
        return fail_msg(st, -ERANGE, "ranking: unit id %lld: rank %g, rank change %g out of range",
                        (long long)unit, rank, change);
    k->n++;
    return 0;
}

/* Adds row r to the ranking being gathered, first ending the one of another
 * (index, period). A key already ended in this transaction is rebuilt from
 * its rows at the end instead. */
static int ranking_add(struct store *st, struct ranking *k, const struct store_result *r)
{
    int rc;
    if (!r->index_id || !r->period)
        return 0; /* refused by the row's insert, NOT NULL */
    if (!ranking_holds(k, r->index_id, r->period)) {
        if ((rc = ranking_flush(st, k)) < 0)
            return rc;
        const struct rank_key *t = ranking_key(k, r->index_id, r->period);
        if (!(k->index_id = strdup(r->index_id)) || !(k->period = strdup(r->period))) {
            ranking_forget(k);
            return -ENOMEM;
        }
        k->fresh = ranking_fresh(k, r->index_id, r->period);
        k->spoiled = t && t->state != RK_CLEARED;
    }
    if (k->swept) /* rows after its sweep: told apart from twice-sent ones by its rows */
        k->spoiled = 1;
    if (k->spoiled)
        return 0;
    return ranking_push(st, k, r->unit_id, r->score, r->rank, r->rank_change, r->flags);
}

/* A sweep of w's key: the held key is complete when its units are exactly
 * w's; any other key is rebuilt at the end. */
static int ranking_sweep(struct ranking *k, const struct store_result_sweep *w)
{
    if (!ranking_holds(k, w->index_id, w->period))
        return ranking_set(k, w->index_id, w->period, RK_DIRTY);
    if (k->spoiled)
        return 0;
    k->swept = 0;
    k->spoiled = 1;
    if (k->n != w->nunits)
        return 0;
    size_t i = 0;
    while (i < k->n && k->e[i].unit == w->units[i]) /* the rows came in unit order */
        i++;
    if (i == k->n) {
        k->swept = 1;
        k->spoiled = 0;
        return 0;
    }
    unsigned char *seen = calloc(w->nunits + 1, 1);
    if (!seen)
        return -ENOMEM;
    for (i = 0; i < k->n; i++) {
        size_t at = store_id_lower_bound(w->units, w->nunits, k->e[i].unit);
        if (at == w->nunits || w->units[at] != k->e[i].unit || seen[at])
            break;
        seen[at] = 1;
    }
    free(seen);
    if (i == k->n) {
        k->swept = 1;
        k->spoiled = 0;
    }
    return 0;
}

/* Rebuilds the ranking of (index_id, period) from its rows. */
static int ranking_rebuild(struct store *st, struct ranking *k, const char *index_id,
                           const char *period)
{
    sqlite3_stmt *s;
    int rc, step;

    k->n = 0;
    if ((rc = prepare(st,
                      "SELECT unit_id, score, rank, rank_change, flags FROM result"
                      " WHERE index_id = ?1 AND period = ?2",
                      &s)) < 0)
        return rc;
    store_bind_text(s, 1, index_id);
    store_bind_text(s, 2, period);
    while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
        double v[3];
        for (int c = 0; c < 3; c++)
            v[c] = sqlite3_column_type(s, c + 1) == SQLITE_NULL ? NAN
                                                                : sqlite3_column_double(s, c + 1);
        rc = ranking_push(st, k, sqlite3_column_int64(s, 0), v[0], v[1], v[2],
                          (unsigned)sqlite3_column_int64(s, 4));
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = store_fail(st, "ranking rows");
    sqlite3_finalize(s);
    if (rc == 0)
        rc = ranking_write(st, k, index_id, period);
    k->n = 0;
    return rc;
}

/* Before the commit: the held key ended, the keys left to it rebuilt. */
static int ranking_end(struct store *st, struct ranking *k)
{
    int rc = ranking_flush(st, k);
    for (size_t i = 0; i < k->nkeys && rc == 0; i++)
        if (k->keys[i].state == RK_DIRTY)
            rc = ranking_rebuild(st, k, k->keys[i].index_id, k->keys[i].period);
    return rc;
}

/* Builds the chunks of every (index, period) with results from its rows
 * (contract in store_priv.h). */
int store_results_rankings_build(sqlite3 *db, char *errbuf, size_t errsize)
{
    struct store *st = calloc(1, sizeof(*st));
    struct ranking k = {0};
    sqlite3_stmt *s = NULL;
    int rc, step;

    if (!st)
        return -ENOMEM;
    st->db = db;
    if ((rc = prepare(st, "SELECT DISTINCT index_id, period FROM result", &s)) < 0)
        goto out;
    while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW)
        rc = ranking_rebuild(st, &k, (const char *)sqlite3_column_text(s, 0),
                             (const char *)sqlite3_column_text(s, 1));
    if (rc == 0 && step != SQLITE_DONE)
        rc = store_fail(st, "rankings");
out:
    sqlite3_finalize(s);
    ranking_free(&k);
    if (rc < 0)
        snprintf(errbuf, errsize, "%s", st->err);
    free(st);
    return rc;
}

/* 1 when period is among the n of list. */
static int listed(const char *const *list, size_t n, const char *period)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], period) == 0)
            return 1;
    return 0;
}

/* Deletes the rows of table (result, result_period, result_ranking,
 * index_weight) of pr's index in periods
 * not in its list: the distinct periods found by seeking past each one in
 * the unique key (one look-up per period, not a scan of the rows). */
static int prune_table(struct store *st, const char *table, const struct store_result_prune *pr)
{
    sqlite3_stmt *sel = NULL, *del = NULL;
    char sql[2][160], last[64] = "";
    int rc;

    snprintf(sql[0], sizeof(sql[0]),
             "SELECT period FROM %s WHERE index_id = ?1 AND period > ?2 ORDER BY period LIMIT 1",
             table);
    snprintf(sql[1], sizeof(sql[1]), "DELETE FROM %s WHERE index_id = ?1 AND period = ?2", table);
    if ((rc = prepare(st, sql[0], &sel)) == 0)
        rc = prepare(st, sql[1], &del);
    while (rc == 0) {
        store_bind_text(sel, 1, pr->index_id);
        store_bind_text(sel, 2, last);
        int step = sqlite3_step(sel);
        if (step == SQLITE_DONE)
            break;
        const char *per = (const char *)sqlite3_column_text(sel, 0);
        if (step != SQLITE_ROW || !per || strlen(per) >= sizeof(last)) {
            rc = store_fail(st, "prune results"); /* periods are short texts */
            break;
        }
        snprintf(last, sizeof(last), "%s", per);
        sqlite3_reset(sel);
        if (listed(pr->periods, pr->nperiods, last))
            continue;
        store_bind_text(del, 1, pr->index_id);
        store_bind_text(del, 2, last);
        rc = step_reset(st, del, "prune results");
    }
    sqlite3_finalize(sel);
    sqlite3_finalize(del);
    return rc;
}

static int prune_indices(struct store *st, const struct store_results_batch *b)
{
    int rc = 0;
    for (size_t i = 0; i < b->nprune && rc == 0; i++)
        if ((rc = prune_table(st, "result", &b->prune[i])) == 0 &&
            (rc = prune_table(st, "result_period", &b->prune[i])) == 0 &&
            (rc = prune_table(st, "result_ranking", &b->prune[i])) == 0)
            rc = prune_table(st, "index_weight", &b->prune[i]);
    return rc;
}

/* Replaces the stored layout of one index: its node and leaf ids by position. */
static int put_layout(struct store *st, sqlite3_stmt *del, sqlite3_stmt *ins,
                      const struct store_index_layout *l)
{
    store_bind_text(del, 1, l->index_id);
    int rc = step_reset(st, del, "layout delete");
    for (size_t i = 0; rc == 0 && i < l->nnodes + l->nleaves; i++) {
        int leaf = i >= l->nnodes;
        store_bind_text(ins, 1, l->index_id);
        store_bind_text(ins, 2, leaf ? "leaf" : "node");
        sqlite3_bind_int64(ins, 3, (int64_t)(leaf ? i - l->nnodes : i));
        store_bind_text(ins, 4, leaf ? l->leaves[i - l->nnodes] : l->nodes[i]);
        rc = step_reset(st, ins, "layout insert");
    }
    return rc;
}

static int put_layouts(struct store *st, const struct store_results_batch *b)
{
    sqlite3_stmt *del = NULL, *ins = NULL;
    int rc = prepare(st, "DELETE FROM index_layout WHERE index_id = ?1", &del);
    if (rc == 0)
        rc = prepare(st, "INSERT INTO index_layout(index_id, kind, pos, id) VALUES(?1, ?2, ?3, ?4)",
                     &ins);
    for (size_t i = 0; rc == 0 && i < b->nlayouts; i++)
        rc = put_layout(st, del, ins, &b->layouts[i]);
    sqlite3_finalize(del);
    sqlite3_finalize(ins);
    return rc;
}

/* Binds n doubles as a little-endian blob through buf (8 n bytes, kept
 * until the step), or NULL when v is NULL. */
static void bind_doubles(sqlite3_stmt *s, int idx, const double *v, size_t n, unsigned char *buf)
{
    if (!v) {
        sqlite3_bind_null(s, idx);
        return;
    }
    for (size_t i = 0; i < n; i++)
        le_put(buf + 8 * i, v[i]);
    sqlite3_bind_blob(s, idx, buf, (int)(8 * n), SQLITE_STATIC);
}

/* Binds n nodes packed through buf (pack_bound(n) bytes, kept until the
 * step), or NULL when v is NULL. */
static void bind_nodes(sqlite3_stmt *s, int idx, const double *v, size_t n, unsigned char *buf)
{
    if (!v) {
        sqlite3_bind_null(s, idx);
        return;
    }
    sqlite3_bind_blob(s, idx, buf, (int)pack_nodes(v, n, buf), SQLITE_STATIC);
}

/* Bytes of the largest blob of the batch. */
static size_t max_blob(const struct store_results_batch *b)
{
    size_t m = 8;
    for (size_t i = 0; i < b->nresults; i++) {
        size_t n = pack_bound(b->results[i].nnodes), c = 8 * b->results[i].ncontribs;
        n = n > c ? n : c;
        m = n > m ? n : m;
    }
    return m;
}

static void bind_int_or_null(sqlite3_stmt *s, int idx, double v)
{
    if (isfinite(v))
        sqlite3_bind_int64(s, idx, (int64_t)v);
    else
        sqlite3_bind_null(s, idx);
}

/* Binds row r to the parameters ?at+1 .. ?at+9 of s (every one, so no
 * clearing of bindings is needed); buf holds 2 mb bytes for the blobs. */
static void bind_row_at(sqlite3_stmt *s, int at, const struct store_result *r, unsigned char *buf,
                        size_t mb)
{
    store_bind_text(s, at + 1, r->index_id);
    store_bind_text(s, at + 2, r->period);
    sqlite3_bind_int64(s, at + 3, r->unit_id);
    bind_real_or_null(s, at + 4, r->score);
    bind_int_or_null(s, at + 5, r->rank);
    bind_int_or_null(s, at + 6, r->rank_change);
    sqlite3_bind_int64(s, at + 7, r->flags);
    bind_nodes(s, at + 8, r->nodes, r->nnodes, buf);
    bind_doubles(s, at + 9, r->contribs, r->ncontribs, buf + mb);
}

/* bind_row_at() at ?1 .. ?9. */
static void bind_row(sqlite3_stmt *s, const struct store_result *r, unsigned char *buf, size_t mb)
{
    bind_row_at(s, 0, r, buf, mb);
}

/* Steps s (bound) and returns 1 when it changed a row, 0 when not, or a
 * negative errno. */
static int step_changed(struct store *st, sqlite3_stmt *s, const char *what)
{
    int rc = sqlite3_step(s) == SQLITE_DONE ? 0 : store_fail(st, what);
    sqlite3_reset(s);
    return rc < 0 ? rc : sqlite3_changes(st->db) > 0;
}

/* Records b->computed_at as the time of every (index, period) of b's rows
 * (table result_period; the rows of one period are consecutive in a batch,
 * and a period split over batches gets the same time twice). */
static int put_periods(struct store *st, const struct store_results_batch *b)
{
    sqlite3_stmt *s;
    int rc = prepare(st,
                     "INSERT OR REPLACE INTO result_period(index_id, period, computed_at)"
                     " VALUES(?1, ?2, ?3)",
                     &s);
    for (size_t i = 0; i < b->nresults && rc == 0; i++) {
        const struct store_result *r = &b->results[i];
        if (i > 0 && strcmp(r->index_id, b->results[i - 1].index_id) == 0 &&
            strcmp(r->period, b->results[i - 1].period) == 0)
            continue;
        store_bind_text(s, 1, r->index_id);
        store_bind_text(s, 2, r->period);
        sqlite3_bind_int64(s, 3, b->computed_at);
        rc = step_reset(st, s, "result period");
    }
    sqlite3_finalize(s);
    return rc;
}

/* The statements of put_by_rowid(), in this order. */
enum { PUT_HAS, PUT_UPD_IF, PUT_STMTS };

/*
 * Writes r to the row rowid unless its content is the same.
 * s[PUT_UPD_IF] writes it in one seek where the row is rowid, still of r's
 * key, and holds other content; s[PUT_HAS] reads whether the row is there
 * and the same. Rows of a period mostly go the same way (a revision that
 * moves every score, or the period after it whose rows mostly stay), so the
 * way the row before went is tried first: after a written row the update
 * (one statement when it writes), after an unchanged one the read (one
 * statement when it is the same again), the other when it does not hold.
 * Since schema version 16 no index follows the rank, so any change is one
 * update. *guess is updated. Returns 1 when done, 0 when the row is gone,
 * or a negative errno.
 */
static int put_by_rowid(struct store *st, sqlite3_stmt *const s[PUT_STMTS],
                        const struct store_result *r, int64_t rowid, unsigned char *buf, size_t mb,
                        int *guess)
{
    sqlite3_stmt *u = s[PUT_UPD_IF], *h = s[PUT_HAS];
    int rc, tried = *guess == ROW_WRITTEN;
    if (tried) {
        bind_row(u, r, buf, mb);
        sqlite3_bind_int64(u, 11, rowid);
        if ((rc = step_changed(st, u, "result update")) != 0)
            return rc; /* written (1), or an error */
    }
    bind_row(h, r, buf, mb);
    sqlite3_bind_int64(h, 11, rowid);
    int step = sqlite3_step(h);
    int same = step == SQLITE_ROW && (tried || sqlite3_column_int(h, 0));
    sqlite3_reset(h);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return store_fail(st, "result row");
    if (step == SQLITE_DONE || same) { /* gone, or the same */
        *guess = ROW_SAME;
        return step == SQLITE_ROW;
    }
    *guess = ROW_WRITTEN;
    bind_row(u, r, buf, mb);
    sqlite3_bind_int64(u, 11, rowid);
    return step_changed(st, u, "result update");
}

/* The content of a result row equals the bound ?4 .. ?9 (IS: NULL equals
 * NULL; blobs compare byte by byte, so a score's every bit counts). */
#define SAME_ROW                                                                                   \
    "score IS ?4 AND rank IS ?5 AND rank_change IS ?6 AND flags IS ?7 AND nodes IS ?8"             \
    " AND contribs IS ?9"

/* Rows per INSERT of insert_rows(). */
#define INSERT_ROWS 64

/* The columns of a result row and its upsert: an existing row of the same
 * key is replaced unless its content is the same. */
#define RESULT_COLS                                                                                \
    "INSERT INTO result(index_id, period, unit_id, score, rank, rank_change, flags, nodes,"        \
    " contribs) VALUES"
#define RESULT_TUPLE "(?, ?, ?, ?, ?, ?, ?, ?, ?)"
#define INSERT_SQL_MAX                                                                             \
    (sizeof(RESULT_COLS) + INSERT_ROWS * (sizeof(RESULT_TUPLE) + 1) + sizeof(RESULT_UPSERT))
#define RESULT_UPSERT                                                                              \
    " ON CONFLICT(index_id, period, unit_id) DO UPDATE SET score = excluded.score,"                \
    " rank = excluded.rank, rank_change = excluded.rank_change, flags = excluded.flags,"           \
    " nodes = excluded.nodes, contribs = excluded.contribs"                                        \
    " WHERE NOT (score IS excluded.score AND rank IS excluded.rank"                                \
    " AND rank_change IS excluded.rank_change AND flags IS excluded.flags"                         \
    " AND nodes IS excluded.nodes AND contribs IS excluded.contribs)"

/*
 * Inserts (upserts) the rows of b INSERT_ROWS at a time, the rest one by
 * one: one statement keeps its cursors between its rows, so a row that goes
 * after the last one of the table and of its unique key (a full recompute's
 * rows, in key order) is appended without a descent from the root, and the
 * statement's start and end are paid once per INSERT_ROWS rows.
 */
static int insert_rows(struct store *st, const struct store_results_batch *b, size_t mb)
{
    char sql[INSERT_SQL_MAX];
    sqlite3_stmt *many = NULL, *one = NULL;
    unsigned char *buf = malloc((size_t)INSERT_ROWS * 2 * mb);
    size_t i = 0, len = 0;
    int rc = buf ? 0 : -ENOMEM;

    if (rc == 0 && b->nresults >= INSERT_ROWS) {
        len += (size_t)snprintf(sql + len, sizeof(sql) - len, "%s", RESULT_COLS);
        for (int k = 0; k < INSERT_ROWS; k++)
            len += (size_t)snprintf(sql + len, sizeof(sql) - len, "%s" RESULT_TUPLE, k ? "," : " ");
        snprintf(sql + len, sizeof(sql) - len, "%s", RESULT_UPSERT);
        rc = prepare(st, sql, &many);
    }
    for (; rc == 0 && i + INSERT_ROWS <= b->nresults; i += INSERT_ROWS) {
        for (int k = 0; k < INSERT_ROWS; k++)
            bind_row_at(many, 9 * k, &b->results[i + (size_t)k], buf + 2 * mb * (size_t)k, mb);
        rc = step_reset(st, many, "result insert");
    }
    if (rc == 0 && i < b->nresults)
        rc = prepare(st, RESULT_COLS " " RESULT_TUPLE RESULT_UPSERT, &one);
    for (; rc == 0 && i < b->nresults; i++) {
        bind_row(one, &b->results[i], buf, mb);
        rc = step_reset(st, one, "result insert");
    }
    sqlite3_finalize(many);
    sqlite3_finalize(one);
    free(buf);
    return rc;
}

/* Inserts the rows of b; an existing row of the same key is replaced unless
 * its content is the same (then nothing is written: a recompute after one
 * revised value rewrites only the rows it changed, and their pages). With
 * b->in_place a row of the (index, period) in m (loaded when the rows reach
 * another one) is compared and updated by its rowid (put_by_rowid); only
 * units not in m take the upsert. The time of the results is per period
 * (put_periods). */
static int put_results(struct store *st, struct rowmap *m, struct ranking *k,
                       const struct store_results_batch *b)
{
    static const char has_sql[] = "SELECT " SAME_ROW " FROM result WHERE rowid = ?11"
                                  " AND index_id = ?1 AND period = ?2 AND unit_id = ?3";
    static const char upd_if_sql[] =
        "UPDATE result SET score = ?4, rank = ?5, rank_change = ?6, flags = ?7, nodes = ?8,"
        " contribs = ?9 WHERE rowid = ?11 AND index_id = ?1 AND period = ?2 AND unit_id = ?3"
        " AND NOT (" SAME_ROW ")";
    static const char ins_sql[] = RESULT_COLS " " RESULT_TUPLE RESULT_UPSERT;
    sqlite3_stmt *ins = NULL, *put[PUT_STMTS] = {NULL};
    size_t mb = max_blob(b);
    unsigned char *buf = b->nresults && b->in_place ? malloc(2 * mb) : NULL;
    int rc = 0;

    if (!b->nresults)
        return 0;
    for (size_t i = 0; i < b->nresults && rc == 0; i++)
        rc = ranking_add(st, k, &b->results[i]);
    if (rc < 0) {
        free(buf);
        return rc;
    }
    if (!b->in_place) { /* every row new, or most: inserted in groups */
        rc = insert_rows(st, b, mb);
        return rc < 0 ? rc : put_periods(st, b);
    }
    if (!buf)
        return -ENOMEM;
    if ((rc = prepare(st, ins_sql, &ins)) == 0 && (rc = prepare(st, has_sql, &put[PUT_HAS])) == 0)
        rc = prepare(st, upd_if_sql, &put[PUT_UPD_IF]);
    for (size_t i = 0; i < b->nresults && rc == 0; i++) {
        const struct store_result *r = &b->results[i];
        long at = -1;
        if (b->in_place && !rowmap_holds(m, r->index_id, r->period))
            rc = rowmap_load(st, m, r->index_id, r->period);
        if (rc == 0 && b->in_place && (at = rowmap_find(m, r->unit_id)) >= 0)
            rc = put_by_rowid(st, put, r, m->rowid[at], buf, mb, &m->guess);
        if (rc != 0) { /* 1: written or unchanged */
            rc = rc < 0 ? rc : 0;
            continue;
        }
        bind_row(ins, r, buf, mb);
        rc = step_reset(st, ins, "result insert");
    }
    sqlite3_finalize(ins);
    for (int j = 0; j < PUT_STMTS; j++)
        sqlite3_finalize(put[j]);
    free(buf);
    return rc < 0 ? rc : put_periods(st, b);
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

/* Inserts the derived weights of the batch. */
static int put_weights(struct store *st, const struct store_results_batch *b)
{
    sqlite3_stmt *s;
    int rc = b->nweights ? prepare(st,
                                   "INSERT OR REPLACE INTO index_weight(index_id, period, node,"
                                   " child, weight, flags) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
                                   &s)
                         : 0;
    for (size_t i = 0; i < b->nweights && rc == 0; i++) {
        const struct store_index_weight *w = &b->weights[i];
        store_bind_text(s, 1, w->index_id);
        store_bind_text(s, 2, w->period);
        store_bind_text(s, 3, w->node);
        store_bind_text(s, 4, w->child);
        bind_real_or_null(s, 5, w->weight);
        sqlite3_bind_int64(s, 6, w->flags);
        rc = step_reset(st, s, "weight insert");
    }
    if (b->nweights)
        sqlite3_finalize(s);
    return rc;
}

/* Applies one batch inside the open transaction: wipes, clears, refreshes,
 * layouts, rows, sweeps, prunes, weights, hashes, in that order. Returns 0 or the
 * first error. */
static int apply(struct store *st, struct rowmap *m, struct ranking *k,
                 const struct store_results_batch *b)
{
    int rc = 0;
    if (b->nwipe || b->nclear || b->nprune) {
        rowmap_clear(m); /* its rows may go */
        rc = ranking_flush(st, k);
    }
    for (size_t i = 0; i < b->nwipe && rc == 0; i++)
        rc = ranking_wipe(k, b->wipe[i]);
    for (size_t i = 0; i < b->nclear && rc == 0; i++)
        rc = ranking_set(k, b->clear[i].index_id, b->clear[i].period, RK_CLEARED);
    if (rc < 0 || (rc = wipe_indices(st, b)) < 0 ||
        (rc = clear_keys(st, b->clear, b->nclear, 0)) < 0 ||
        (rc = clear_keys(st, b->refresh, b->nrefresh, 1)) < 0 || (rc = put_layouts(st, b)) < 0 ||
        (rc = put_results(st, m, k, b)) < 0)
        return rc;
    for (size_t i = 0; i < b->nsweep && rc == 0; i++)
        rc = ranking_sweep(k, &b->sweep[i]);
    if (rc < 0 || (rc = sweep_keys(st, m, b)) < 0 || (rc = prune_indices(st, b)) < 0 ||
        (rc = put_weights(st, b)) < 0)
        return rc;
    return put_hashes(st, b);
}

/* ---- The transaction, fed in parts, applied beside the caller ---- */

struct part {
    struct store_results_batch b;
    void *owned; /* freed once b is applied (store_results_send_owned) */
    struct part *next;
};

/* Parts with owned memory that may wait in the queue: a sender of more waits
 * for the writer, so rows computed faster than written do not pile up. */
#define STREAM_MAX_OWNED 1

struct store_results_stream {
    struct store *st;
    const struct exec *ex;
    struct exec_task *task; /* the writer; NULL: parts applied on the caller's thread */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct part *head, *tail; /* queued, not yet applied */
    pthread_cond_t room;      /* signalled when an owned part leaves the queue */
    size_t nowned;            /* owned parts queued */
    size_t max_owned;         /* at most that many (store_results_queue) */
    int done;                 /* no more parts: 1 commit, -1 roll back */
    int rc;                   /* the first error; later parts are skipped */
    int old_cache;            /* the connection's cache_size, restored at the end */
    struct rowmap map;        /* the rows being rewritten in place */
    struct ranking rank;      /* the rankings of the periods written */
};

/* Ends the transaction: commits when rc is 0 and commit is asked, else
 * rolls back. Returns rc or the commit's error. */
static int end_tx(struct store *st, struct ranking *k, int rc, int commit)
{
    if (rc == 0 && commit)
        rc = ranking_end(st, k);
    if (rc == 0 && commit)
        rc = store_tx_commit(st);
    if (rc < 0 || !commit)
        store_tx_rollback(st);
    return rc;
}

/* The writer task: applies the queued parts in order until finish. */
static void stream_main(void *arg)
{
    struct store_results_stream *s = arg;
    int rc = store_tx_begin(s->st);

    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->head && !s->done)
            pthread_cond_wait(&s->cv, &s->mu);
        struct part *p = s->head;
        if (!p)
            break;
        s->head = p->next;
        if (!s->head)
            s->tail = NULL;
        pthread_mutex_unlock(&s->mu);
        if (rc == 0)
            rc = apply(s->st, &s->map, &s->rank, &p->b);
        pthread_mutex_lock(&s->mu);
        if (p->owned) {
            s->nowned--;
            pthread_cond_signal(&s->room);
        }
        pthread_mutex_unlock(&s->mu);
        free(p->owned);
        free(p);
        pthread_mutex_lock(&s->mu);
    }
    int commit = s->done > 0;
    pthread_mutex_unlock(&s->mu);
    s->rc = end_tx(s->st, &s->rank, rc, commit);
}

/* The page cache of a results transaction, KiB (SQLite's default: 2 MB).
 * Rows come in key order, so the table and its unique key grow at their
 * ends; an in-place rewrite reads and writes rows all over a period. Up to
 * schema version 15 the rank index (result_rank) took each row where its
 * rank fell: with 2 MB its pages spilled to the WAL and were read back and
 * spilled again (at 200 000 units, inserting the 2.4 M rows of a first full
 * recompute took 6.3 s of system time; with 32 MB 2.5 s, with 128 or 256 MB
 * no less). Dirty pages beyond it still spill to the WAL while the rows are
 * written, overlapping the computing thread. */
#define RESULTS_CACHE_KIB 32768

/* The connection's cache_size (pages when positive, -KiB when negative). */
static int cache_size_get(sqlite3 *db)
{
    sqlite3_stmt *s;
    int v = -2000; /* SQLite's default */
    if (sqlite3_prepare_v2(db, "PRAGMA cache_size", -1, &s, NULL) == SQLITE_OK) {
        if (sqlite3_step(s) == SQLITE_ROW)
            v = sqlite3_column_int(s, 0);
        sqlite3_finalize(s);
    }
    return v;
}

static void cache_size_set(sqlite3 *db, int v)
{
    char sql[48];
    /* PRAGMA takes no bound parameters; the number is ours */
    snprintf(sql, sizeof(sql), "PRAGMA cache_size = %d", v);
    (void)sqlite3_exec(db, sql, NULL, NULL, NULL);
}

/* Starts the writer on ex (contract in store.h), with a page cache of
 * RESULTS_CACHE_KIB for the transaction. Without a task the transaction
 * opens here and each part is applied as it is sent. */
int store_results_start(struct store *st, const struct exec *ex, struct store_results_stream **out)
{
    struct store_results_stream *s = calloc(1, sizeof(*s));

    *out = NULL;
    if (!s)
        return -ENOMEM;
    if (sqlite3_exec(st->db, index_state_sql, NULL, NULL, NULL) != SQLITE_OK) {
        free(s);
        return store_fail(st, "index_state");
    }
    s->st = st;
    s->ex = ex;
    s->max_owned = STREAM_MAX_OWNED;
    s->old_cache = cache_size_get(st->db);
    cache_size_set(st->db, -RESULTS_CACHE_KIB);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    pthread_cond_init(&s->room, NULL);
    if (exec_start(ex, stream_main, s, &s->task) < 0 && (s->rc = store_tx_begin(st)) < 0) {
        int rc = s->rc;
        cache_size_set(st->db, s->old_cache);
        pthread_mutex_destroy(&s->mu);
        pthread_cond_destroy(&s->cv);
        pthread_cond_destroy(&s->room);
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void store_results_queue(struct store_results_stream *s, size_t max_owned)
{
    pthread_mutex_lock(&s->mu);
    s->max_owned = max_owned ? max_owned : STREAM_MAX_OWNED;
    pthread_mutex_unlock(&s->mu);
}

int store_results_send(struct store_results_stream *s, const struct store_results_batch *b)
{
    return store_results_send_owned(s, b, NULL);
}

int store_results_send_owned(struct store_results_stream *s, const struct store_results_batch *b,
                             void *owned)
{
    if (!s->task) {
        if (s->rc == 0)
            s->rc = apply(s->st, &s->map, &s->rank, b);
        free(owned);
        return 0;
    }
    struct part *p = malloc(sizeof(*p));
    if (!p) {
        free(owned);
        return -ENOMEM;
    }
    p->b = *b;
    p->owned = owned;
    p->next = NULL;
    pthread_mutex_lock(&s->mu);
    while (owned && s->nowned >= s->max_owned)
        pthread_cond_wait(&s->room, &s->mu);
    s->nowned += owned != NULL;
    if (s->tail)
        s->tail->next = p;
    else
        s->head = p;
    s->tail = p;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return 0;
}

int store_results_finish(struct store_results_stream **sp, int commit)
{
    struct store_results_stream *s = sp ? *sp : NULL;
    if (!s)
        return 0;
    if (s->task) {
        pthread_mutex_lock(&s->mu);
        s->done = commit ? 1 : -1;
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
        exec_wait(s->ex, s->task);
    } else {
        s->rc = end_tx(s->st, &s->rank, s->rc, commit);
    }
    int rc = s->rc;
    cache_size_set(s->st->db, s->old_cache);
    rowmap_free(&s->map);
    ranking_free(&s->rank);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    pthread_cond_destroy(&s->room);
    free(s);
    *sp = NULL;
    return rc;
}

/* The two forms of store_query_results(): the total from the columns, a
 * dimension from the nodes blob at its layout position. */
#define QUERY_RESULTS(SCORE, RANK, CHANGE, FLAGS, LAYOUT)                                          \
    "SELECT u.code, u.name, p.code, " SCORE ", " RANK ", " CHANGE ", " FLAGS ", u.attributes,"     \
    " json_extract(u.attributes, '$.' || ?5)"                                                      \
    " FROM result r " LAYOUT " JOIN unit u ON u.id = r.unit_id"                                    \
    " LEFT JOIN unit p ON p.id = u.parent_id"                                                      \
    " WHERE r.index_id = ?1 AND r.period = ?3 AND (?4 IS NULL OR " SCORE " >= ?4)"                 \
    " AND (?6 IS NULL OR json_extract(u.attributes, '$.' || ?5) = ?6)"                             \
    " ORDER BY " RANK " IS NULL, " RANK ", " SCORE " DESC, u.code"

static const char query_total[] =
    QUERY_RESULTS("r.score", "r.rank", "r.rank_change", "r.flags", "");
static const char query_node[] = QUERY_RESULTS(
    "blob_double(r.nodes, 4 * l.pos)", "blob_double(r.nodes, 4 * l.pos + 1)",
    "blob_double(r.nodes, 4 * l.pos + 2)", "coalesce(blob_double(r.nodes, 4 * l.pos + 3), 0)",
    "JOIN index_layout l ON l.index_id = r.index_id AND l.kind = 'node' AND l.id = ?2"
    " AND r.nodes IS NOT NULL");

static double col_real(sqlite3_stmt *s, int col)
{
    return sqlite3_column_type(s, col) == SQLITE_NULL ? NAN : sqlite3_column_double(s, col);
}

/*
 * Results of one index node (q->node NULL or the index id: the total) and
 * period, optionally only scores >= q->min_score (NAN: all) and units whose
 * attribute q->attr_key equals q->attr_value; ordered by rank, then unit code.
 * Returns 0, cb's non-zero return, or -EIO.
 */
int store_query_results(struct store *st, const struct store_results_query *q,
                        store_result_row_cb cb, void *ctx)
{
    sqlite3_stmt *s;
    int total = !q->node || strcmp(q->node, q->index_id) == 0;
    int rc = prepare(st, total ? query_total : query_node, &s);
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
            .score = col_real(s, 3),
            .rank = col_real(s, 4),
            .rank_change = col_real(s, 5),
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

/* The derived weights of index_id and period (contract in results.h). */
int store_index_weights(struct store *st, const char *index_id, const char *period,
                        store_index_weight_cb cb, void *ctx)
{
    sqlite3_stmt *s;
    int rc = prepare(st,
                     "SELECT node, child, weight, flags FROM index_weight WHERE index_id = ?1"
                     " AND period = ?2 ORDER BY rowid",
                     &s);
    if (rc < 0)
        return rc;
    store_bind_text(s, 1, index_id);
    store_bind_text(s, 2, period);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_index_weight_row row = {
            (const char *)sqlite3_column_text(s, 0), (const char *)sqlite3_column_text(s, 1),
            sqlite3_column_type(s, 2) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 2),
            (unsigned)sqlite3_column_int64(s, 3)};
        int r = cb(&row, ctx);
        if (r != 0) {
            sqlite3_finalize(s);
            return r;
        }
    }
    rc = rc == SQLITE_DONE ? 0 : store_fail(st, "index weights");
    sqlite3_finalize(s);
    return rc;
}
