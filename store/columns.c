/*
 * columns.c - the column copy of current observations: per indicator and
 * period one row of table obs_column holding the current values of every
 * unit, as two blobs (unit ids ascending, little-endian int64; values,
 * little-endian doubles). A full recompute reads 360 rows instead of 3.6 M
 * (10 000 enterprises x 30 indicators x 12 months).
 *
 * Keeping it true: store_ingest() adds the unit of every new or revised
 * current value to obs_touched in the same transaction (ingest.c). A refresh
 * (one write transaction) rereads the touched units' current rows and merges
 * them into the columns they fall in, or, when many units are touched (an
 * import, the migration of an existing database), rebuilds every column from
 * one walk over the table. Observations are never deleted and a current value
 * is only ever replaced by another one of the same key, so a column never
 * loses a unit and a merge is replace-or-insert.
 *
 * Readers see exact current data either way: store_obs_current() delivers
 * the columns and then the rows of units touched since, which override.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/log.h"
#include "store/observations.h"
#include "store/store_priv.h"

/* A refresh rebuilds every column when at least 1 / COL_FULL_SHARE of the
 * units are touched: one walk is cheaper than that many look-ups. */
#define COL_FULL_SHARE 4

/* Longest period text a column keeps (SDMX texts have at most 7 bytes);
 * longer text is no period and is left out, as the loader would. */
#define COL_PERIOD_MAX 15

/* One column: the current values of indicator ind in period, by unit id. */
struct col {
    int64_t ind;
    char period[COL_PERIOD_MAX + 1];
    size_t plen;
    size_t n, cap;
    int64_t *unit;
    double *val;
    /* spilled (struct colset.spill): chunks of SPILL_CHUNK entries written
     * before unit[0..n), at these file offsets */
    int64_t *chunk;
    size_t nchunk, chunk_cap;
};

/* Columns found by (indicator id, period text) through an open-addressing
 * table of indices + 1. */
struct colset {
    struct col *v;
    size_t n, cap;
    uint32_t *slot;
    size_t nslot; /* power of 2, more than twice n */
    size_t last;  /* the previous look-up's column + 1 */
    FILE *spill;  /* a build with bounded memory: full chunks go here */
    int64_t spill_end;
};

static void colset_free(struct colset *cs)
{
    for (size_t i = 0; i < cs->n; i++) {
        free(cs->v[i].unit);
        free(cs->v[i].val);
        free(cs->v[i].chunk);
    }
    free(cs->v);
    free(cs->slot);
    if (cs->spill)
        fclose(cs->spill);
    memset(cs, 0, sizeof(*cs));
}

static uint64_t col_hash(int64_t ind, const char *period, size_t len)
{
    uint64_t h = 0xcbf29ce484222325u ^ (uint64_t)ind; /* FNV-1a over the text */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)period[i]) * 0x100000001b3u;
    return h * 0x9E3779B97F4A7C15u;
}

static int col_is(const struct col *c, int64_t ind, const char *period, size_t len)
{
    return c->ind == ind && c->plen == len && memcmp(c->period, period, len) == 0;
}

static int rehash(struct colset *cs, size_t nslot)
{
    uint32_t *slot = calloc(nslot, sizeof(*slot));
    if (!slot)
        return -ENOMEM;
    for (size_t i = 0; i < cs->n; i++) {
        const struct col *c = &cs->v[i];
        size_t h = (size_t)(col_hash(c->ind, c->period, c->plen) >> 32) & (nslot - 1);
        while (slot[h])
            h = (h + 1) & (nslot - 1);
        slot[h] = (uint32_t)i + 1;
    }
    free(cs->slot);
    cs->slot = slot;
    cs->nslot = nslot;
    return 0;
}

/* The column of (ind, period), or NULL when cs has none. */
static const struct col *colset_find(const struct colset *cs, int64_t ind, const char *period,
                                     size_t len)
{
    if (!cs->nslot)
        return NULL;
    size_t h = (size_t)(col_hash(ind, period, len) >> 32) & (cs->nslot - 1);
    while (cs->slot[h] && !col_is(&cs->v[cs->slot[h] - 1], ind, period, len))
        h = (h + 1) & (cs->nslot - 1);
    return cs->slot[h] ? &cs->v[cs->slot[h] - 1] : NULL;
}

/* The column of (ind, period) (len 1 .. COL_PERIOD_MAX), added empty when
 * new; NULL when out of memory. */
static struct col *colset_get(struct colset *cs, int64_t ind, const char *period, size_t len)
{
    if (cs->last && col_is(&cs->v[cs->last - 1], ind, period, len))
        return &cs->v[cs->last - 1];
    if (2 * (cs->n + 1) > cs->nslot && rehash(cs, cs->nslot ? 2 * cs->nslot : 256) < 0)
        return NULL;
    size_t h = (size_t)(col_hash(ind, period, len) >> 32) & (cs->nslot - 1);
    while (cs->slot[h] && !col_is(&cs->v[cs->slot[h] - 1], ind, period, len))
        h = (h + 1) & (cs->nslot - 1);
    if (!cs->slot[h]) {
        if (BUF_GROW(&cs->v, &cs->cap, cs->n + 1, BUF_UNCAPPED) < 0)
            return NULL;
        struct col *c = &cs->v[cs->n];
        memset(c, 0, sizeof(*c));
        c->ind = ind;
        memcpy(c->period, period, len);
        c->plen = len;
        cs->slot[h] = (uint32_t)++cs->n;
    }
    cs->last = cs->slot[h];
    return &cs->v[cs->slot[h] - 1];
}

static int col_reserve(struct col *c, size_t n)
{
    /* unit and val grow alike (8-byte elements); cap is what both hold, so a
     * failure after unit grew leaves a cap that is still true. */
    size_t cap_unit = c->cap, cap_val = c->cap;

    if (BUF_GROW(&c->unit, &cap_unit, n, BUF_UNCAPPED) < 0 ||
        BUF_GROW(&c->val, &cap_val, n, BUF_UNCAPPED) < 0)
        return -ENOMEM;
    c->cap = cap_unit < cap_val ? cap_unit : cap_val;
    return 0;
}

static int col_append(struct col *c, int64_t unit, double v)
{
    if (c->n == c->cap && col_reserve(c, c->n + 1) < 0)
        return -ENOMEM;
    c->unit[c->n] = unit;
    c->val[c->n++] = v;
    return 0;
}

/* Sets unit's value in c, inserting it in unit order when absent. Returns 1
 * when c changed, 0 when it held that value already, or -ENOMEM. */
static int col_put(struct col *c, int64_t unit, double v)
{
    size_t lo = store_id_lower_bound(c->unit, c->n, unit);
    if (lo < c->n && c->unit[lo] == unit) {
        uint64_t was, now;
        memcpy(&was, &c->val[lo], sizeof(was));
        memcpy(&now, &v, sizeof(now));
        if (was == now) /* the same bits: -0.0 and 0.0, NaN payloads differ */
            return 0;
        c->val[lo] = v;
        return 1;
    }
    if (col_reserve(c, c->n + 1) < 0)
        return -ENOMEM;
    memmove(c->unit + lo + 1, c->unit + lo, (c->n - lo) * sizeof(*c->unit));
    memmove(c->val + lo + 1, c->val + lo, (c->n - lo) * sizeof(*c->val));
    c->unit[lo] = unit;
    c->val[lo] = v;
    c->n++;
    return 1;
}

/* ---- Blobs: little-endian 8-byte words ---- */

static void words_put(unsigned char *b, const void *src, size_t n)
{
    if (n == 0)
        return; /* b and src may be NULL then */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(b, src, 8 * n);
#else
    const unsigned char *s = src;
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 8; k++)
            b[8 * i + k] = s[8 * i + 7 - k];
#endif
}

static void words_get(void *dst, const unsigned char *b, size_t n)
{
    words_put(dst, b, n); /* the same byte swap either way */
}

/* Fills c (its ind set) from a stored row's n and blobs at columns first ..
 * first + 2; -EINVAL, naming the column in st's error, when they disagree. */
static int col_from_row(struct store *st, struct col *c, sqlite3_stmt *s, int first,
                        const char *period, size_t plen)
{
    int64_t n = sqlite3_column_int64(s, first);
    const unsigned char *u = sqlite3_column_blob(s, first + 1);
    size_t ub = (size_t)sqlite3_column_bytes(s, first + 1);
    const unsigned char *v = sqlite3_column_blob(s, first + 2);
    size_t vb = (size_t)sqlite3_column_bytes(s, first + 2);

    if (n < 0 || ub != 8 * (size_t)n || vb != 8 * (size_t)n || (n > 0 && (!u || !v))) {
        snprintf(st->err, sizeof(st->err), "obs_column: bad blobs of indicator %lld, %.*s",
                 (long long)c->ind, (int)plen, period);
        return -EINVAL;
    }
    if (col_reserve(c, (size_t)n) < 0)
        return -ENOMEM;
    words_get(c->unit, u, (size_t)n);
    words_get(c->val, v, (size_t)n);
    c->n = (size_t)n;
    return 0;
}

/* Binds c's n, units and values as ?3 ?4 ?5 through buf (16 n bytes). */
static void col_bind(sqlite3_stmt *s, const struct col *c, unsigned char *buf)
{
    sqlite3_bind_int64(s, 1, c->ind);
    sqlite3_bind_text(s, 2, c->period, (int)c->plen, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, (int64_t)c->n);
    words_put(buf, c->unit, c->n);
    words_put(buf + 8 * c->n, c->val, c->n);
    sqlite3_bind_blob(s, 4, buf, (int)(8 * c->n), SQLITE_STATIC);
    sqlite3_bind_blob(s, 5, buf + 8 * c->n, (int)(8 * c->n), SQLITE_STATIC);
}

static const char col_put_sql[] =
    "INSERT OR REPLACE INTO obs_column(indicator_id, period, n, units, vals)"
    " VALUES(?1, ?2, ?3, ?4, ?5)";

/* Writes columns v[0..n). */
static int cols_write(struct store *st, const struct col *v, size_t n)
{
    sqlite3_stmt *s = store_stmt_cached(st, col_put_sql);
    unsigned char *buf = NULL;
    size_t cap = 0;
    int rc = s ? 0 : -EIO;

    for (size_t i = 0; i < n && rc == 0; i++) {
        if (!buf || 16 * v[i].n > cap) {
            free(buf);
            cap = 16 * (v[i].n ? v[i].n : 1);
            if (!(buf = malloc(cap))) {
                rc = -ENOMEM;
                break;
            }
        }
        col_bind(s, &v[i], buf);
        rc = sqlite3_step(s) == SQLITE_DONE ? 0 : store_fail(st, "column write");
        sqlite3_reset(s);
    }
    free(buf);
    return rc;
}

/* ---- Reading ---- */

static int on_walk_row(int64_t unit, int64_t ind, const char *period, size_t len, double v,
                       void *ctx)
{
    if (len == 0 || len > COL_PERIOD_MAX)
        return 0;
    struct col *c = colset_get(ctx, ind, period, len);
    return c ? col_append(c, unit, v) : -ENOMEM;
}

/* 1 when c's unit ids ascend strictly. */
static int col_sorted(const struct col *c)
{
    for (size_t j = 1; j < c->n; j++)
        if (c->unit[j - 1] >= c->unit[j])
            return 0;
    return 1;
}

/* Every column from one walk of the current rows: two halves by unit id
 * at once on o's executor, the upper half's entries appended to the lower's. */
static int build_all(struct store *st, const struct store_walk_opts *o, struct colset *cs)
{
    struct colset hi = {0};
    void *parts[2] = {cs, &hi};
    int rc = store_obs_walk_split(st, 0, o, on_walk_row, parts);

    for (size_t i = 0; rc >= 0 && i < hi.n; i++) {
        struct col *h = &hi.v[i], *c = colset_get(cs, h->ind, h->period, h->plen);
        if (!c || col_reserve(c, c->n + h->n) < 0) {
            rc = -ENOMEM;
            break;
        }
        memcpy(c->unit + c->n, h->unit, h->n * sizeof(*h->unit));
        memcpy(c->val + c->n, h->val, h->n * sizeof(*h->val));
        c->n += h->n;
    }
    colset_free(&hi);
    /* The walk runs in key order, so every column is sorted; make sure. */
    for (size_t i = 0; rc >= 0 && i < cs->n; i++)
        if (!col_sorted(&cs->v[i]))
            rc = -EPROTO;
    if (rc == -EPROTO)
        snprintf(st->err, sizeof(st->err), "observation walk: rows not in key order");
    return rc < 0 ? rc : 0;
}

/* The touched unit ids, ascending. */
static int touched_units(struct store *st, int64_t **out, size_t *n)
{
    sqlite3_stmt *s = store_stmt_cached(st, "SELECT unit_id FROM obs_touched ORDER BY unit_id");
    int64_t *v = NULL;
    size_t cap = 0;
    int rc;

    *n = 0;
    if (!s)
        return -EIO;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (BUF_GROW(&v, &cap, *n + 1, BUF_UNCAPPED) < 0) {
            rc = -ENOMEM;
            break;
        }
        v[(*n)++] = sqlite3_column_int64(s, 0);
    }
    rc = rc == SQLITE_DONE ? 0 : rc == -ENOMEM ? rc : store_fail(st, "obs_touched");
    sqlite3_reset(s);
    if (rc < 0) {
        free(v);
        v = NULL;
        *n = 0;
    }
    *out = v;
    return rc;
}

/* The current rows of the units u[0..n) in unit order, to cb. */
static int unit_rows(struct store *st, const int64_t *u, size_t n, store_obs_id_cb cb, void *ctx)
{
    sqlite3_stmt *s = store_stmt_cached(st, "SELECT indicator_id, period, value FROM observation"
                                            " WHERE unit_id = ?1 AND +valid_to IS NULL");
    int rc = s ? 0 : -EIO;
    for (size_t i = 0; i < n && rc == 0; i++) {
        sqlite3_bind_int64(s, 1, u[i]);
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            const char *p = (const char *)sqlite3_column_text(s, 1);
            /* A missing value (NULL) is NAN, never 0. */
            double v = sqlite3_column_type(s, 2) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 2);
            int r = cb(u[i], sqlite3_column_int64(s, 0), p ? p : "",
                       (size_t)sqlite3_column_bytes(s, 1), v, ctx);
            if (r != 0) {
                sqlite3_reset(s);
                return r;
            }
        }
        rc = rc == SQLITE_DONE ? 0 : store_fail(st, "touched rows");
        sqlite3_reset(s);
    }
    return rc;
}

/* Merges the touched units' current rows into their stored columns; only a
 * column that changed is written again. */
static int merge_touched(struct store *st, const int64_t *u, size_t n)
{
    struct colset fresh = {0};
    struct col old = {0};
    sqlite3_stmt *get = store_stmt_cached(st, "SELECT n, units, vals FROM obs_column"
                                              " WHERE indicator_id = ?1 AND period = ?2");
    int rc = get ? unit_rows(st, u, n, on_walk_row, &fresh) : -EIO;

    for (size_t i = 0; i < fresh.n && rc == 0; i++) {
        const struct col *f = &fresh.v[i];
        sqlite3_bind_int64(get, 1, f->ind);
        sqlite3_bind_text(get, 2, f->period, (int)f->plen, SQLITE_STATIC);
        old.n = 0;
        old.ind = f->ind;
        memcpy(old.period, f->period, f->plen);
        old.plen = f->plen;
        if ((rc = sqlite3_step(get)) == SQLITE_ROW)
            rc = col_from_row(st, &old, get, 0, f->period, f->plen);
        else
            rc = rc == SQLITE_DONE ? 0 : store_fail(st, "column read");
        sqlite3_reset(get);
        int changed = 0;
        for (size_t j = 0; j < f->n && rc >= 0; j++)
            changed |= (rc = col_put(&old, f->unit[j], f->val[j])) > 0;
        /* a touched unit's other columns still hold its values: not rewritten */
        if (rc >= 0)
            rc = changed ? cols_write(st, &old, 1) : 0;
    }
    free(old.unit);
    free(old.val);
    colset_free(&fresh);
    return rc;
}

/* Are the columns worth reading with n_touched units to patch? */
static int few_touched(struct store *st, size_t n_touched, int *few)
{
    int64_t units = 0, cols = 0;
    int rc = store_one_int(st, "SELECT count(*) FROM unit", "obs_column", &units);
    if (rc == 0)
        rc = store_one_int(st, "SELECT EXISTS(SELECT 1 FROM obs_column)", "obs_column", &cols);
    *few = n_touched == 0 || (cols && (int64_t)n_touched * COL_FULL_SHARE < units);
    return rc;
}

/* ---- A rebuild with bounded memory (store_columns_build) ---- */

/* Entries of a column held in memory while a rebuild spills (16 KiB per
 * column and half of the walk); full chunks go to a temporary file. */
#define SPILL_CHUNK 1024

static int pwrite_all(int fd, const void *b, size_t n, int64_t at)
{
    for (size_t done = 0; done < n;) {
        ssize_t w = pwrite(fd, (const char *)b + done, n - done, (off_t)(at + (int64_t)done));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? -errno : -EIO;
        done += (size_t)w;
    }
    return 0;
}

static int pread_all(int fd, void *b, size_t n, int64_t at)
{
    for (size_t done = 0; done < n;) {
        ssize_t r = pread(fd, (char *)b + done, n - done, (off_t)(at + (int64_t)done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r < 0 ? -errno : -EIO;
        done += (size_t)r;
    }
    return 0;
}

/* Writes c's SPILL_CHUNK entries to cs's file as one chunk (units, then
 * values) and empties c. */
static int col_spill(struct colset *cs, struct col *c)
{
    int fd = fileno(cs->spill), rc;

    if (BUF_GROW(&c->chunk, &c->chunk_cap, c->nchunk + 1, BUF_UNCAPPED) < 0)
        return -ENOMEM;
    if ((rc = pwrite_all(fd, c->unit, 8 * c->n, cs->spill_end)) < 0 ||
        (rc = pwrite_all(fd, c->val, 8 * c->n, cs->spill_end + 8 * (int64_t)c->n)) < 0)
        return rc;
    c->chunk[c->nchunk++] = cs->spill_end;
    cs->spill_end += 16 * (int64_t)c->n;
    c->n = 0;
    return 0;
}

static int on_spill_row(int64_t unit, int64_t ind, const char *period, size_t len, double v,
                        void *ctx)
{
    struct colset *cs = ctx;
    struct col *c;
    int rc;

    if (len == 0 || len > COL_PERIOD_MAX)
        return 0;
    if (!(c = colset_get(cs, ind, period, len)))
        return -ENOMEM;
    if (c->cap < SPILL_CHUNK && col_reserve(c, SPILL_CHUNK) < 0)
        return -ENOMEM;
    if (c->n == SPILL_CHUNK && (rc = col_spill(cs, c)) < 0)
        return rc;
    return col_append(c, unit, v);
}

/* Entries of c, spilled and held. */
static size_t col_total(const struct col *c)
{
    return c ? c->nchunk * SPILL_CHUNK + c->n : 0;
}

/* Appends c's entries (its chunks from cs's file, then those held) to out,
 * which has room for them. */
static int col_gather(const struct colset *cs, const struct col *c, struct col *out)
{
    int rc = 0;

    for (size_t k = 0; c && k < c->nchunk && rc == 0; k++) {
        int fd = fileno(cs->spill);
        if ((rc = pread_all(fd, out->unit + out->n, (size_t)8 * SPILL_CHUNK, c->chunk[k])) == 0)
            rc = pread_all(fd, out->val + out->n, (size_t)8 * SPILL_CHUNK,
                           c->chunk[k] + 8L * SPILL_CHUNK);
        out->n += SPILL_CHUNK;
    }
    if (c && rc == 0) {
        memcpy(out->unit + out->n, c->unit, c->n * sizeof(*c->unit));
        memcpy(out->val + out->n, c->val, c->n * sizeof(*c->val));
        out->n += c->n;
    }
    return rc;
}

/* Every column from one walk of the current rows as build_all() reads them,
 * spilled: the lower half's entries in lo, the upper half's in hi. */
static int build_spilled(struct store *st, const struct store_walk_opts *o, struct colset *lo,
                         struct colset *hi)
{
    void *parts[2] = {lo, hi};
    int rc;

    if (!(lo->spill = tmpfile()) || !(hi->spill = tmpfile())) {
        rc = -errno;
        snprintf(st->err, sizeof(st->err), "column copy: temporary file: %s", strerror(-rc));
        return rc;
    }
    rc = store_obs_walk_split(st, 0, o, on_spill_row, parts);
    return rc < 0 ? rc : 0;
}

/* Writes the columns of a spilled build, one at a time: the lower half's
 * entries of each, then the upper half's. */
static int write_spilled(struct store *st, const struct colset *lo, const struct colset *hi)
{
    struct col out = {0};
    int rc = 0;

    for (size_t i = 0; i < lo->n + hi->n && rc == 0; i++) {
        const struct col *l = i < lo->n ? &lo->v[i] : NULL,
                         *h = i < lo->n ? NULL : &hi->v[i - lo->n];
        if (l)
            h = colset_find(hi, l->ind, l->period, l->plen);
        else if (!h || colset_find(lo, h->ind, h->period, h->plen))
            continue; /* written with the lower half's (h is never NULL here) */
        const struct col *c = l ? l : h;
        out.n = 0;
        out.ind = c->ind;
        memcpy(out.period, c->period, c->plen);
        out.plen = c->plen;
        if (col_reserve(&out, col_total(l) + col_total(h)) < 0) {
            rc = -ENOMEM;
            break;
        }
        if ((rc = col_gather(lo, l, &out)) < 0 || (rc = col_gather(hi, h, &out)) < 0) {
            snprintf(st->err, sizeof(st->err), "column copy: temporary file: %s", strerror(-rc));
            rc = -EIO;
            break;
        }
        if (!col_sorted(&out)) {
            snprintf(st->err, sizeof(st->err), "observation walk: rows not in key order");
            rc = -EPROTO;
            break;
        }
        rc = cols_write(st, &out, 1);
    }
    free(out.unit);
    free(out.val);
    return rc;
}

/*
 * Brings the columns up to date in one write transaction. When every column
 * is rebuilt, *all gets them (the caller frees it); with hi, only a rebuild
 * is done (nothing when few units are touched), spilled (build_spilled):
 * the lower half's entries in *all, the upper half's in *hi. Returns 0,
 * -EBUSY (the write lock was not had: nothing done) or -EIO / -ENOMEM.
 */
static int refresh(struct store *st, const struct store_walk_opts *o, struct colset *all,
                   struct colset *hi)
{
    int64_t *u = NULL, v0 = 0, v1 = 0;
    size_t n = 0;
    int few = 1, rc;

    /* A rebuild walks the table outside the write lock (two connections at
     * once), then writes only when no other connection committed since. */
    if ((rc = store_change_counter(st, &v0)) < 0 || (rc = touched_units(st, &u, &n)) < 0 ||
        (rc = few_touched(st, n, &few)) < 0 || n == 0 || (few && hi) ||
        (few && o && n <= o->defer_merge))
        goto out; /* (a merge the caller defers: the reader reads their rows) */
    if (!few && (rc = hi ? build_spilled(st, o, all, hi) : build_all(st, o, all)) < 0)
        goto out;
    /* No waiting for the write lock: readers are exact without a refresh. */
    sqlite3_busy_timeout(st->db, 0);
    rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    sqlite3_busy_timeout(st->db, STORE_BUSY_MS);
    if (rc != SQLITE_OK) {
        rc = rc == SQLITE_BUSY ? -EBUSY : store_fail(st, "column refresh");
        goto out;
    }
    if (!few) {
        if ((rc = store_change_counter(st, &v1)) < 0 || v1 != v0)
            goto rollback; /* data changed meanwhile: the columns stay a snapshot */
        if (sqlite3_exec(st->db, "DELETE FROM obs_column; DELETE FROM obs_touched", NULL, NULL,
                         NULL) != SQLITE_OK) {
            rc = store_fail(st, "obs_column");
            goto rollback;
        }
        rc = hi ? write_spilled(st, all, hi) : cols_write(st, all->v, all->n);
    } else {
        free(u);
        u = NULL; /* reread inside the write transaction */
        if ((rc = touched_units(st, &u, &n)) == 0 && (rc = merge_touched(st, u, n)) == 0 &&
            sqlite3_exec(st->db, "DELETE FROM obs_touched", NULL, NULL, NULL) != SQLITE_OK)
            rc = store_fail(st, "obs_touched");
    }
    if (rc == 0 && (rc = store_tx_commit(st)) == 0)
        goto out;
rollback:
    store_tx_rollback(st);
out:
    free(u);
    return rc;
}

/* Delivers the columns of cs, freeing each once delivered: the caller's
 * copy and this one are not held whole at once. */
static int deliver(struct colset *cs, const struct store_walk_opts *o, store_column_cb ccb,
                   void *ctx)
{
    for (size_t i = 0; i < cs->n; i++) {
        struct col *c = &cs->v[i];
        int r = o && o->want_period && !o->want_period(c->period, c->plen, o->want_ctx)
                    ? 0
                    : ccb(c->ind, c->period, c->plen, c->n, c->unit, c->val, ctx);
        free(c->unit);
        free(c->val);
        c->unit = NULL;
        c->val = NULL;
        c->n = c->cap = 0;
        if (r != 0)
            return r;
    }
    return 0;
}

/* The units touched since the column copy into *u, *n, whose rows are read
 * one by one after the columns: -EAGAIN when too many are touched for that. */
static int touched_few(struct store *st, int64_t **u, size_t *n)
{
    int few = 0, rc;

    if ((rc = touched_units(st, u, n)) < 0 || (rc = few_touched(st, *n, &few)) < 0)
        return rc;
    return few ? 0 : -EAGAIN;
}

/* A read of the column copy: its read transaction (unless the caller had
 * one open), the units touched since the copy (whose rows are read after
 * the columns) and the column being read. */
struct col_read {
    int own_tx;
    int64_t *u;
    size_t n;
    struct col c;
};

/* Opens r's read transaction and reads the touched units: 0, -EAGAIN when
 * too many are touched, or -EIO. read_end() follows either way. */
static int read_begin(struct store *st, struct col_read *r)
{
    memset(r, 0, sizeof(*r));
    r->own_tx = sqlite3_get_autocommit(st->db);
    if (r->own_tx && sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        r->own_tx = 0;
        return store_fail(st, "obs_column");
    }
    return touched_few(st, &r->u, &r->n);
}

/* Ends r's read transaction and frees it; returns rc. */
static int read_end(struct store *st, struct col_read *r, int rc)
{
    if (r->own_tx)
        sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
    free(r->u);
    free(r->c.unit);
    free(r->c.val);
    return rc;
}

/* Reads every stored column, then the rows of units touched since, in one
 * read transaction. -EAGAIN when too many units are touched. */
static int read_columns(struct store *st, const struct store_walk_opts *o, store_column_cb ccb,
                        store_obs_id_cb ocb, void *ctx)
{
    sqlite3_stmt *s = NULL;
    struct col_read rd;
    struct col *c = &rd.c;
    int rc;

    if ((rc = read_begin(st, &rd)) < 0)
        goto out;
    if (sqlite3_prepare_v2(st->db, "SELECT indicator_id, period, n, units, vals FROM obs_column",
                           -1, &s, NULL) != SQLITE_OK) {
        rc = store_fail(st, "obs_column");
        goto out;
    }
    for (;;) {
        int step = sqlite3_step(s);
        if (step != SQLITE_ROW) {
            rc = step == SQLITE_DONE ? 0 : store_fail(st, "obs_column");
            break;
        }
        const char *p = (const char *)sqlite3_column_text(s, 1);
        size_t plen = (size_t)sqlite3_column_bytes(s, 1);
        if (o && o->want_period && !o->want_period(p ? p : "", plen, o->want_ctx))
            continue; /* the blobs, after the period, stay unread */
        c->ind = sqlite3_column_int64(s, 0);
        if ((rc = col_from_row(st, c, s, 2, p ? p : "", plen)) == 0)
            rc = ccb(c->ind, p ? p : "", plen, c->n, c->unit, c->val, ctx);
        if (rc != 0)
            break;
    }
    if (rc == 0)
        rc = unit_rows(st, rd.u, rd.n, ocb, ctx);
out:
    sqlite3_finalize(s);
    return read_end(st, &rd, rc);
}

/* The current observations as columns (contract in store.h). */
int store_obs_current(struct store *st, const struct store_walk_opts *o, store_column_cb ccb,
                      store_obs_id_cb ocb, void *ctx)
{
    struct colset all = {0};
    int rc = 0;

    if (!st->readonly && sqlite3_get_autocommit(st->db))
        rc = refresh(st, o, &all, NULL);
    if (rc == 0 || rc == -EBUSY)
        rc = all.n ? deliver(&all, o, ccb, ctx) : read_columns(st, o, ccb, ocb, ctx);
    if (rc == -EINVAL) {
        /* The copy is derived data: drop it (the next refresh rebuilds it from
         * the observations) and let the caller walk the table. */
        log_warning("store: %s; the column copy is rebuilt", st->err);
        if (!st->readonly && sqlite3_get_autocommit(st->db) &&
            sqlite3_exec(st->db,
                         "BEGIN IMMEDIATE; DELETE FROM obs_column;"
                         " INSERT OR IGNORE INTO obs_touched(unit_id) SELECT id FROM unit; COMMIT",
                         NULL, NULL, NULL) != SQLITE_OK)
            sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        rc = -EAGAIN;
    }
    colset_free(&all);
    return rc;
}

/* Rebuilds the column copy when a reader would (contract in
 * observations.h), holding SPILL_CHUNK entries per column in memory. */
int store_columns_build(struct store *st, const struct store_walk_opts *o)
{
    struct colset lo = {0}, hi = {0};
    int rc = st->readonly || !sqlite3_get_autocommit(st->db) ? 0 : refresh(st, o, &lo, &hi);

    colset_free(&lo);
    colset_free(&hi);
    return rc;
}

/* Marks unit_id's current values as changed (ingest.c). */
int store_columns_touch(struct store *st, int64_t unit_id)
{
    sqlite3_stmt *s =
        store_stmt_cached(st, "INSERT OR IGNORE INTO obs_touched(unit_id) VALUES(?1)");
    if (!s)
        return -EIO;
    sqlite3_bind_int64(s, 1, unit_id);
    return store_step_done(st, s, "obs_touched");
}

/* The current rows of some units (contract in observations.h). */
int store_obs_units(struct store *st, const int64_t *ids, size_t n, store_obs_id_cb cb, void *ctx)
{
    int rc, own_tx = sqlite3_get_autocommit(st->db);

    if (own_tx && sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return store_fail(st, "observation");
    rc = unit_rows(st, ids, n, cb, ctx);
    if (own_tx)
        sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
    return rc;
}

/* The (indicator, period) pairs with current values (contract in
 * observations.h): the columns' keys without their blobs, then the rows of
 * the units touched since. */
int store_obs_periods(struct store *st, store_period_cb pcb, store_obs_id_cb ocb, void *ctx)
{
    sqlite3_stmt *s = NULL;
    struct col_read rd;
    int rc;

    if ((rc = read_begin(st, &rd)) < 0)
        goto out;
    if (sqlite3_prepare_v2(st->db, "SELECT indicator_id, period FROM obs_column WHERE n > 0", -1,
                           &s, NULL) != SQLITE_OK) {
        rc = store_fail(st, "obs_column");
        goto out;
    }
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *p = (const char *)sqlite3_column_text(s, 1);
        int r =
            pcb(sqlite3_column_int64(s, 0), p ? p : "", (size_t)sqlite3_column_bytes(s, 1), ctx);
        if (r != 0) {
            rc = r;
            goto out;
        }
    }
    rc = rc == SQLITE_DONE ? unit_rows(st, rd.u, rd.n, ocb, ctx) : store_fail(st, "obs_column");
out:
    sqlite3_finalize(s);
    return read_end(st, &rd, rc);
}

/* The newest run id (contract in observations.h). */
int store_obs_generation(struct store *st, int64_t *out)
{
    return store_one_int(st, "SELECT coalesce(max(id), 0) FROM run", "run", out);
}

/* ---- Some indicators' current values (a parent's series) ---- */

/* The touched units' current rows, of the units in the sorted list
 * only[0..nonly) (NULL: every touched unit), to cb. */
static int touched_rows_of(struct store *st, int64_t *u, size_t n, const int64_t *only,
                           size_t nonly, store_obs_id_cb cb, void *ctx)
{
    size_t m = 0;

    for (size_t i = 0; i < n; i++) {
        size_t at = only ? store_id_lower_bound(only, nonly, u[i]) : 0;
        if (!only || (at < nonly && only[at] == u[i]))
            u[m++] = u[i];
    }
    return unit_rows(st, u, m, cb, ctx);
}

/* The current values of some indicators (contract in observations.h): their
 * columns by the key (indicator_id, period), then the rows of the units
 * touched since, in one read transaction. */
int store_obs_current_of(struct store *st, const int64_t *ind_ids, size_t nind,
                         const int64_t *units, size_t nunits, store_column_cb ccb,
                         store_obs_id_cb ocb, void *ctx)
{
    sqlite3_stmt *s = NULL;
    struct col_read rd;
    struct col *c = &rd.c;
    int rc;

    if ((rc = read_begin(st, &rd)) < 0)
        goto out;
    if (!(s = store_stmt_cached(st, "SELECT period, n, units, vals FROM obs_column"
                                    " WHERE indicator_id = ?1 ORDER BY period"))) {
        rc = -EIO;
        goto out;
    }
    for (size_t k = 0; k < nind && rc == 0; k++) {
        sqlite3_bind_int64(s, 1, ind_ids[k]);
        int step = SQLITE_DONE;
        while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
            const char *p = (const char *)sqlite3_column_text(s, 0);
            size_t plen = (size_t)sqlite3_column_bytes(s, 0);
            c->ind = ind_ids[k];
            if ((rc = col_from_row(st, c, s, 1, p ? p : "", plen)) == 0)
                rc = ccb(c->ind, p ? p : "", plen, c->n, c->unit, c->val, ctx);
        }
        if (rc == 0 && step != SQLITE_DONE)
            rc = store_fail(st, "obs_column");
        sqlite3_reset(s);
    }
    if (rc == 0)
        rc = touched_rows_of(st, rd.u, rd.n, units, nunits, ocb, ctx);
    if (rc == -EINVAL) {
        /* bad blobs: the next refresh of a writer drops the copy; this
         * reader reads the rows instead */
        log_warning("store: %s; the rows are read instead", st->err);
        rc = -EAGAIN;
    }
out:
    return read_end(st, &rd, rc);
}
