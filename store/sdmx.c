/*
 * sdmx.c - the cursor of an SDMX data answer (see sdmx.h): one statement,
 * assembled from fixed fragments with every value bound, stepped by the
 * caller.
 *
 * Current observations come in the order of the observation query of the
 * API (unit, indicator, observation in that order, CROSS JOIN: SQLite walks
 * the code indexes and the current-value index and never sorts), so the
 * first row of an answer over 24 M rows comes at once and the memory held
 * does not grow with the rows. Vintages (updatedAfter, includeHistory) and
 * index results are sorted by SQLite, whose sorter spills to temporary files
 * past its cache: bounded memory there too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_priv.h"
#include "common/buf.h"
#include "store/sdmx.h"

/* Codes of one dimension at most: the request-target is 2048 bytes anyway. */
#define SDMX_MAX_CODES 512

struct store_sdmx_cursor {
    struct store *st;
    sqlite3_stmt *s;
};

/* Does the observation table have the status column (schema 8)? */
int store_sdmx_has_status(struct store *st)
{
    sqlite3_stmt *s = NULL;
    int ok = sqlite3_prepare_v2(st->db, "SELECT status FROM observation LIMIT 0", -1, &s, NULL) ==
             SQLITE_OK;
    sqlite3_finalize(s);
    return ok;
}

/* " AND col IN (:pN0, :pN1, ...)" for the codes of c (none: nothing). */
static void in_list(struct buf *b, const char *col, const char *name,
                    const struct store_sdmx_codes *c)
{
    if (!c->n)
        return;
    buf_printf(b, " AND %s IN (", col);
    for (size_t i = 0; i < c->n; i++)
        buf_printf(b, "%s:%s%zu", i ? ", " : "", name, i);
    buf_addstr(b, ")");
}

/* The period bounds: the store's period text compared with the bound of its
 * own frequency (text order is time order within one frequency). */
static void period_bounds(struct buf *b, const char *col, const struct store_sdmx_query *q)
{
    int any = 0;
    for (int f = 0; f < 4; f++)
        any |= q->lo[f] || q->hi[f];
    if (!any)
        return;
    buf_printf(b,
               " AND %s >= (CASE WHEN length(%s) = 4 THEN :loY WHEN substr(%s, 6, 1) = 'H'"
               " THEN :loH WHEN substr(%s, 6, 1) = 'Q' THEN :loQ ELSE :loM END)"
               " AND %s <= (CASE WHEN length(%s) = 4 THEN :hiY WHEN substr(%s, 6, 1) = 'H'"
               " THEN :hiH WHEN substr(%s, 6, 1) = 'Q' THEN :hiQ ELSE :hiM END)",
               col, col, col, col, col, col, col, col);
}

/* The filters of q on observation o, unit u and indicator i. */
static void obs_filters(struct buf *b, const struct store_sdmx_query *q)
{
    in_list(b, "u.code", "u", &q->unit);
    in_list(b, "i.code", "s", &q->series);
    in_list(b, "i.frequency", "f", &q->freq);
    period_bounds(b, "o.period", q);
}

#define OBS_FROM                                                                                   \
    " FROM unit u CROSS JOIN indicator i CROSS JOIN observation o"                                 \
    " ON o.unit_id = u.id AND o.indicator_id = i.id WHERE 1"
/* A vintage of the same key that began when this one ended (CMP "="): then
 * it was revised, not withdrawn; or at any time after (">="): then the key
 * has a value again. */
#define OBS_NOT_FOLLOWED(CMP)                                                                      \
    " AND NOT EXISTS (SELECT 1 FROM observation c WHERE c.unit_id = o.unit_id"                     \
    " AND c.indicator_id = o.indicator_id AND c.period = o.period"                                 \
    " AND c.valid_from " CMP " o.valid_to)"

/* The select list of an observation arm: data set, action, vintage, then the
 * row (value and status NULL for a deletion). */
static void obs_arm(struct buf *b, const char *dataset, const char *action, const char *vintage,
                    int deleted, int status)
{
    buf_printf(b,
               "SELECT %s, %s, %s, u.code, i.code, i.frequency, o.period, %s, %s, i.measure,"
               " i.decimals, NULL, NULL, NULL" OBS_FROM,
               dataset, action, vintage, deleted ? "NULL" : "o.value",
               deleted || !status ? "NULL" : "o.status");
}

static void build_obs(struct buf *b, const struct store_sdmx_query *q, int status)
{
    if (q->history) {
        /* Every vintage, a data set per time a vintage began (one ingest
         * stamps its rows alike), and the withdrawals at the time they
         * happened, in time order. */
        obs_arm(b, "o.valid_from * 2", "0", "o.valid_from", 0, status);
        if (q->updated_after)
            buf_addstr(b, " AND o.valid_from > :ua");
        obs_filters(b, q);
        buf_addstr(b, " UNION ALL ");
        obs_arm(b, "o.valid_to * 2 + 1", "1", "o.valid_to", 1, status);
        buf_addstr(b, " AND o.valid_to IS NOT NULL" OBS_NOT_FOLLOWED("="));
        if (q->updated_after)
            buf_addstr(b, " AND o.valid_to > :ua");
        obs_filters(b, q);
        buf_addstr(b, " ORDER BY 1, 4, 5, 7");
    } else if (q->updated_after) {
        /* Values whose current vintage began after the time, then the keys
         * withdrawn after it. */
        obs_arm(b, "0", "0", "0", 0, status);
        buf_addstr(b, " AND o.valid_to IS NULL AND o.valid_from > :ua");
        obs_filters(b, q);
        buf_addstr(b, " UNION ALL ");
        obs_arm(b, "1", "1", "0", 1, status);
        buf_addstr(b, " AND o.valid_to > :ua" OBS_NOT_FOLLOWED(">="));
        obs_filters(b, q);
        buf_addstr(b, " ORDER BY 1, 4, 5, 7");
    } else {
        obs_arm(b, "0", "0", "0", 0, status);
        buf_addstr(b, " AND o.valid_to IS NULL");
        obs_filters(b, q);
        buf_addstr(b, " ORDER BY u.code, i.code, o.period");
    }
}

/* Index results: the total (node = the index id) from the columns, the
 * dimensions from the nodes blob (results.h), by unit, node and period. */
static void build_index(struct buf *b, const struct store_sdmx_query *q)
{
    buf_addstr(
        b, "SELECT 0, 0, 0, u.code, x.node, NULL, x.period, x.score, NULL, NULL, -1, x.rank,"
           " x.rank_change, x.flags FROM (SELECT r.unit_id AS unit_id, r.index_id AS node,"
           " r.period AS period, r.score AS score, r.rank AS rank,"
           " r.rank_change AS rank_change, r.flags AS flags, " RESULT_AT(
               "r") " AS computed_at"
                    " FROM result r WHERE r.index_id = :idx"
                    " UNION ALL SELECT r.unit_id, l.id, r.period, blob_double(r.nodes, 4 * l.pos),"
                    " blob_double(r.nodes, 4 * l.pos + 1), blob_double(r.nodes, 4 * l.pos + 2),"
                    " coalesce(blob_double(r.nodes, 4 * l.pos + 3), 0), " RESULT_AT(
                        "r") " FROM result r JOIN index_layout l ON l.index_id = r.index_id AND "
                             "l.kind = 'node'"
                             " WHERE r.index_id = :idx AND r.nodes IS NOT NULL) x"
                             " JOIN unit u ON u.id = x.unit_id WHERE 1");
    in_list(b, "u.code", "u", &q->unit);
    in_list(b, "x.node", "s", &q->series);
    period_bounds(b, "x.period", q);
    if (q->updated_after)
        buf_addstr(b, " AND x.computed_at > :ua");
    buf_addstr(b, " ORDER BY u.code, x.node, x.period");
}

/* Binds a copy of text (SQLITE_TRANSIENT): the cursor outlives the query
 * it was opened with. */
static void bind_name(sqlite3_stmt *s, const char *name, const char *text)
{
    int idx = sqlite3_bind_parameter_index(s, name);
    if (idx > 0)
        sqlite3_bind_text(s, idx, text, -1, SQLITE_TRANSIENT);
}

static void bind_codes(sqlite3_stmt *s, const char *prefix, const struct store_sdmx_codes *c)
{
    char name[32];
    for (size_t i = 0; i < c->n; i++) {
        snprintf(name, sizeof(name), ":%s%zu", prefix, i);
        bind_name(s, name, c->codes[i]);
    }
}

static void bind_query(sqlite3_stmt *s, const struct store_sdmx_query *q)
{
    static const char freqs[] = STORE_SDMX_FREQS;
    char name[8];

    bind_name(s, ":idx", q->index_id);
    bind_codes(s, "u", &q->unit);
    bind_codes(s, "s", &q->series);
    bind_codes(s, "f", &q->freq);
    for (int f = 0; f < 4; f++) {
        snprintf(name, sizeof(name), ":lo%c", freqs[f]);
        bind_name(s, name, q->lo[f] ? q->lo[f] : "");
        snprintf(name, sizeof(name), ":hi%c", freqs[f]);
        bind_name(s, name, q->hi[f] ? q->hi[f] : "~");
    }
    int idx = sqlite3_bind_parameter_index(s, ":ua");
    if (idx > 0)
        sqlite3_bind_int64(s, idx, q->updated_after);
}

/* Prepares q's statement (see sdmx.h). */
int store_sdmx_open(struct store *st, const struct store_sdmx_query *q,
                    struct store_sdmx_cursor **out)
{
    struct buf b;
    struct store_sdmx_cursor *c;

    *out = NULL;
    if (q->unit.n > SDMX_MAX_CODES || q->series.n > SDMX_MAX_CODES || q->freq.n > SDMX_MAX_CODES)
        return -EINVAL;
    buf_init(&b, (size_t)1 << 20);
    if (q->index_id)
        build_index(&b, q);
    else
        build_obs(&b, q, store_sdmx_has_status(st));
    if (b.err) {
        int rc = b.err;
        buf_free(&b);
        return rc == -E2BIG ? -EINVAL : rc;
    }
    /* The store keeps temporary files in memory (store.c): a sort of 24 M
     * vintages would then be held whole. This connection is the answer's
     * own: its sorts spill to files past the page cache. */
    if ((q->index_id || q->history || q->updated_after) &&
        sqlite3_exec(st->db, "PRAGMA temp_store=FILE", NULL, NULL, NULL) != SQLITE_OK) {
        buf_free(&b);
        return store_fail(st, "sdmx data");
    }
    if (!(c = calloc(1, sizeof(*c)))) {
        buf_free(&b);
        return -ENOMEM;
    }
    c->st = st;
    int prc = sqlite3_prepare_v2(st->db, b.p, -1, &c->s, NULL);
    buf_free(&b);
    if (prc != SQLITE_OK) {
        free(c);
        return store_fail(st, "sdmx data");
    }
    bind_query(c->s, q);
    *out = c;
    return 0;
}

static const char *text(sqlite3_stmt *s, int col)
{
    return (const char *)sqlite3_column_text(s, col);
}

/* The next row (see sdmx.h). */
int store_sdmx_next(struct store_sdmx_cursor *c, struct store_sdmx_row *row)
{
    sqlite3_stmt *s = c->s;
    int rc = sqlite3_step(s);

    if (rc == SQLITE_DONE)
        return 0;
    if (rc != SQLITE_ROW) {
        int busy = rc == SQLITE_BUSY || rc == SQLITE_LOCKED;
        store_fail(c->st, "sdmx data");
        return busy ? -EBUSY : -EIO;
    }
    memset(row, 0, sizeof(*row));
    row->dataset = sqlite3_column_int64(s, 0);
    row->action = sqlite3_column_int(s, 1) ? STORE_SDMX_DELETE : STORE_SDMX_REPLACE;
    row->valid_from = sqlite3_column_int64(s, 2);
    row->unit = text(s, 3);
    row->series = text(s, 4);
    row->freq = text(s, 5);
    row->period = text(s, 6);
    row->has_value = sqlite3_column_type(s, 7) != SQLITE_NULL;
    row->value = sqlite3_column_double(s, 7);
    row->status = text(s, 8);
    row->measure = text(s, 9);
    row->decimals = sqlite3_column_int(s, 10);
    row->has_rank = sqlite3_column_type(s, 11) != SQLITE_NULL;
    row->rank = (long)sqlite3_column_int64(s, 11);
    row->has_rank_change = sqlite3_column_type(s, 12) != SQLITE_NULL;
    row->rank_change = (long)sqlite3_column_int64(s, 12);
    row->flags = (long)sqlite3_column_int64(s, 13);
    return 1;
}

/* Ends the statement and frees the cursor (see sdmx.h). */
void store_sdmx_close(struct store_sdmx_cursor **cp)
{
    struct store_sdmx_cursor *c = cp ? *cp : NULL;
    if (!c)
        return;
    sqlite3_finalize(c->s);
    free(c);
    *cp = NULL;
}
