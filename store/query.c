/*
 * query.c - reading the store: observations (current, as of a time, or every
 * vintage) with filters, rejects by run or source, and row counts.
 *
 * The observation query is assembled from fixed SQL fragments, one per filter
 * that is set, so SQLite can use the unit and indicator code indexes and the
 * observation primary key (a unit + indicator query is a search, not a scan).
 * Values are only ever bound, never put into the SQL text.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_priv.h"
#include "store/bookkeeping.h"
#include "store/observations.h"

/* unit, indicator, observation in that order (CROSS JOIN: SQLite keeps it):
 * units by their code index (from the cursor's unit on, for a page), for
 * each its indicators by code, and for each pair its rows by the observation
 * key. The rows come in the order asked without any sort, so a page reads
 * about what it returns, never the whole table sorted. */
static const char obs_select[] =
    "SELECT u.code, i.code, o.period, o.value, o.valid_from, o.valid_to, o.run_id, o.status"
    " FROM unit u CROSS JOIN indicator i CROSS JOIN observation o"
    " ON o.unit_id = u.id AND o.indicator_id = i.id WHERE 1";
static const char obs_order[] = " ORDER BY u.code, i.code, o.period, o.valid_from";

/* Appends a fixed fragment; the buffer is sized for all of them. */
static void append(char *buf, size_t size, const char *frag)
{
    size_t used = strlen(buf);
    snprintf(buf + used, size - used, "%s", frag);
}

/* The time condition of q: every vintage, as of a time, or current. */
static const char *obs_time_sql(const struct store_obs_query *q)
{
    if (q->history)
        return "";
    if (q->as_of)
        return " AND o.valid_from <= :as_of AND (o.valid_to IS NULL OR :as_of < o.valid_to)";
    return " AND o.valid_to IS NULL";
}

static void build_obs_sql(const struct store_obs_query *q, char *sql, size_t size)
{
    sql[0] = '\0';
    append(sql, size, obs_select);
    if (q->unit)
        append(sql, size, " AND u.code = :unit");
    if (q->indicator)
        append(sql, size, " AND i.code = :indicator");
    if (q->from)
        append(sql, size, " AND o.period >= :from");
    if (q->to)
        append(sql, size, " AND o.period <= :to");
    append(sql, size, obs_time_sql(q));
    /* u.code >= alone is what the unit code index can seek on; the row value
     * then drops the rows of that unit up to the key. */
    if (q->after_unit)
        append(sql, size,
               " AND u.code >= :au AND (u.code, i.code, o.period, o.valid_from)"
               " > (:au, :ai, :ap, :av)");
    append(sql, size, obs_order);
    if (q->limit > 0)
        append(sql, size, " LIMIT :limit");
}

static void bind_named(sqlite3_stmt *s, const char *name, const char *text)
{
    int idx = sqlite3_bind_parameter_index(s, name);
    if (idx > 0)
        store_bind_text(s, idx, text);
}

/* build_obs_sql() of a query with unit and indicator only (current values),
 * made once: a text of fixed address for store_stmt_cached(). */
static char obs_unit_ind_sql[1024];
static pthread_once_t obs_unit_ind_once = PTHREAD_ONCE_INIT;

static void obs_unit_ind_build(void)
{
    const struct store_obs_query q = {.unit = "", .indicator = ""};
    build_obs_sql(&q, obs_unit_ind_sql, sizeof(obs_unit_ind_sql));
}

/*
 * Calls cb for each observation matching q (see store.h). Returns 0, cb's
 * non-zero return, or -EIO. A NULL q means every current value.
 */
int store_observations(struct store *st, const struct store_obs_query *q, store_obs_cb cb,
                       void *ctx)
{
    static const struct store_obs_query all = {0};
    char sql[1024];
    sqlite3_stmt *s = NULL;
    int rc;

    if (!q)
        q = &all;
    /* One unit's current values of one indicator (each series the API
     * answers asks for them): a statement prepared once per connection. */
    int cached = q->unit && q->indicator && !q->from && !q->to && !q->history && !q->as_of &&
                 !q->after_unit && q->limit <= 0;
    if (cached) {
        pthread_once(&obs_unit_ind_once, obs_unit_ind_build);
        if (!(s = store_stmt_cached(st, obs_unit_ind_sql)))
            return -EIO;
    } else {
        build_obs_sql(q, sql, sizeof(sql));
        if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
            return store_fail(st, "observations");
    }
    bind_named(s, ":unit", q->unit);
    bind_named(s, ":indicator", q->indicator);
    bind_named(s, ":from", q->from);
    bind_named(s, ":to", q->to);
    int idx = sqlite3_bind_parameter_index(s, ":as_of");
    if (idx > 0)
        sqlite3_bind_int64(s, idx, q->as_of);
    bind_named(s, ":au", q->after_unit);
    bind_named(s, ":ai", q->after_indicator ? q->after_indicator : "");
    bind_named(s, ":ap", q->after_period ? q->after_period : "");
    if ((idx = sqlite3_bind_parameter_index(s, ":av")) > 0)
        sqlite3_bind_int64(s, idx, q->after_valid_from);
    if ((idx = sqlite3_bind_parameter_index(s, ":limit")) > 0)
        sqlite3_bind_int64(s, idx, q->limit);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_obs_row row = {
            .unit = (const char *)sqlite3_column_text(s, 0),
            .indicator = (const char *)sqlite3_column_text(s, 1),
            .period = (const char *)sqlite3_column_text(s, 2),
            /* A missing value (NULL) is NAN and flagged, never 0. */
            .value = sqlite3_column_type(s, 3) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 3),
            .missing = sqlite3_column_type(s, 3) == SQLITE_NULL,
            .status = (const char *)sqlite3_column_text(s, 7),
            .valid_from = sqlite3_column_int64(s, 4),
            .valid_to = sqlite3_column_int64(s, 5), /* NULL reads as 0 */
            .run_id = sqlite3_column_int64(s, 6),
        };
        if ((rc = cb(&row, ctx)) != 0)
            goto out;
    }
    rc = rc == SQLITE_DONE ? 0 : store_fail(st, "observations");
out:
    if (cached) {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
    } else {
        sqlite3_finalize(s);
    }
    return rc;
}

/* Length of the valid UTF-8 sequence at p (n bytes left), or 0 when the
 * byte there starts none (stray continuation, overlong form, surrogate,
 * above U+10FFFF, cut short). */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
    size_t len;
    unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */

    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xC2 && p[0] <= 0xDF)
        len = 2;
    else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
        len = 3;
        lo = p[0] == 0xE0 ? 0xA0 : 0x80;
        hi = p[0] == 0xED ? 0x9F : 0xBF;
    } else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
        len = 4;
        lo = p[0] == 0xF0 ? 0x90 : 0x80;
        hi = p[0] == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 0;
    }
    if (n < len || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return len;
}

/* s as it is when valid UTF-8 (NULL: *copy stays NULL); else a malloc'd
 * copy in *copy with every byte above 0x7F written \xNN and a backslash
 * \\: bytes that are not UTF-8 as a whole (GBK, say) are not guessed at as
 * text, every API format can carry them, and none is lost. */
static const char *utf8_or_escaped(const char *s, char **copy)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n, i = 0, o = 0, k;

    *copy = NULL;
    if (!s)
        return NULL;
    n = strlen(s);
    while (i < n && (k = utf8_seq(p + i, n - i)) > 0)
        i += k;
    if (i == n)
        return s;
    if (!(*copy = malloc(4 * n + 1)))
        return NULL;
    for (i = 0; i < n; i++) {
        if (p[i] > 0x7F) {
            o += (size_t)sprintf(*copy + o, "\\x%02X", p[i]);
        } else {
            if (p[i] == '\\')
                (*copy)[o++] = '\\';
            (*copy)[o++] = (char)p[i];
        }
    }
    (*copy)[o] = '\0';
    return *copy;
}

/*
 * Counts what store_observations() gives for q without paging: on the
 * observation table alone (codes to ids by their unique indexes), so an
 * unfiltered count reads one table, not three.
 */
int store_observations_count(struct store *st, const struct store_obs_query *q, long *n)
{
    char sql[768] = "SELECT count(*) FROM observation o WHERE 1";
    sqlite3_stmt *s = NULL;
    int rc;

    *n = 0;
    if (q->unit)
        append(sql, sizeof(sql), " AND o.unit_id = (SELECT id FROM unit WHERE code = :unit)");
    if (q->indicator)
        append(sql, sizeof(sql),
               " AND o.indicator_id = (SELECT id FROM indicator WHERE code = :indicator)");
    if (q->from)
        append(sql, sizeof(sql), " AND o.period >= :from");
    if (q->to)
        append(sql, sizeof(sql), " AND o.period <= :to");
    append(sql, sizeof(sql), obs_time_sql(q));
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return store_fail(st, "observations count");
    bind_named(s, ":unit", q->unit);
    bind_named(s, ":indicator", q->indicator);
    bind_named(s, ":from", q->from);
    bind_named(s, ":to", q->to);
    int idx = sqlite3_bind_parameter_index(s, ":as_of");
    if (idx > 0)
        sqlite3_bind_int64(s, idx, q->as_of);
    if (sqlite3_step(s) == SQLITE_ROW) {
        *n = (long)sqlite3_column_int64(s, 0);
        rc = 0;
    } else {
        rc = store_fail(st, "observations count");
    }
    sqlite3_finalize(s);
    return rc;
}

/*
 * Calls cb for each reject of run_id (> 0) and/or of the runs of source (not
 * NULL), or of every run; newest run first, then by position. Returns 0, cb's
 * non-zero return, or -EIO.
 */
int store_rejects(struct store *st, int64_t run_id, const char *source, store_reject_cb cb,
                  void *ctx)
{
    /* A fixed WHERE per filter, so the run id uses reject_run and the source
     * uses run_source instead of scanning reject. */
    char sql[512] = "SELECT r.run_id, run.source, run.period, r.position, r.raw, r.reason"
                    " FROM reject r JOIN run ON run.id = r.run_id WHERE 1";
    if (run_id > 0)
        append(sql, sizeof(sql), " AND r.run_id = :run");
    if (source)
        append(sql, sizeof(sql), " AND run.source = :source");
    append(sql, sizeof(sql), " ORDER BY run.started_at DESC, run.id DESC, r.position, r.id");
    sqlite3_stmt *s = NULL;
    int rc;

    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return store_fail(st, "rejects");
    int idx = sqlite3_bind_parameter_index(s, ":run");
    if (idx > 0)
        sqlite3_bind_int64(s, idx, run_id);
    bind_named(s, ":source", source);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        char *raw = NULL, *reason = NULL;
        const char *raw_in = (const char *)sqlite3_column_text(s, 4);
        const char *reason_in = (const char *)sqlite3_column_text(s, 5);
        struct store_reject_row row = {
            .run_id = sqlite3_column_int64(s, 0),
            .source = (const char *)sqlite3_column_text(s, 1),
            .period = (const char *)sqlite3_column_text(s, 2),
            .position = (long)sqlite3_column_int64(s, 3),
            .raw = utf8_or_escaped(raw_in, &raw),
            .reason = utf8_or_escaped(reason_in, &reason),
        };
        if ((raw_in && !row.raw) || (reason_in && !row.reason))
            rc = -ENOMEM;
        else
            rc = cb(&row, ctx);
        free(raw);
        free(reason);
        if (rc != 0)
            goto out;
    }
    rc = rc == SQLITE_DONE ? 0 : store_fail(st, "rejects");
out:
    sqlite3_finalize(s);
    return rc;
}

/* The reject query of q: a fixed WHERE per filter, so the source uses
 * run_source_period (or run_source) and the runs' rejects reject_run. */
static void reject_where(const struct store_reject_query *q, char *sql, size_t size)
{
    if (q->source)
        append(sql, size, " AND run.source = :source");
    if (q->period)
        append(sql, size, " AND run.period = :period");
}

static void reject_bind(sqlite3_stmt *s, const struct store_reject_query *q)
{
    bind_named(s, ":source", q->source);
    bind_named(s, ":period", q->period);
}

/* One page of rejects after q's key (see bookkeeping.h). */
int store_rejects_page(struct store *st, const struct store_reject_query *q, store_reject_cb cb,
                       void *ctx)
{
    char sql[1024] = "SELECT r.run_id, run.source, run.period, r.position, r.raw, r.reason, r.id,"
                     " run.started_at FROM reject r JOIN run ON run.id = r.run_id WHERE 1";
    sqlite3_stmt *s = NULL;
    int rc;

    reject_where(q, sql, sizeof(sql));
    if (q->after_id)
        append(sql, sizeof(sql),
               " AND (run.started_at < :as OR (run.started_at = :as AND (run.id < :ar"
               " OR (run.id = :ar AND (r.position, r.id) > (:ap, :ai)))))");
    append(sql, sizeof(sql), " ORDER BY run.started_at DESC, run.id DESC, r.position, r.id");
    if (q->limit > 0)
        append(sql, sizeof(sql), " LIMIT :limit");
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return store_fail(st, "rejects");
    reject_bind(s, q);
    static const char *const names[] = {":as", ":ar", ":ap", ":ai", ":limit"};
    const int64_t vals[] = {q->after_started, q->after_run, q->after_position, q->after_id,
                            q->limit};
    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
        int idx = sqlite3_bind_parameter_index(s, names[k]);
        if (idx > 0)
            sqlite3_bind_int64(s, idx, vals[k]);
    }
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        char *raw = NULL, *reason = NULL;
        const char *raw_in = (const char *)sqlite3_column_text(s, 4);
        const char *reason_in = (const char *)sqlite3_column_text(s, 5);
        struct store_reject_row row = {
            .run_id = sqlite3_column_int64(s, 0),
            .source = (const char *)sqlite3_column_text(s, 1),
            .period = (const char *)sqlite3_column_text(s, 2),
            .position = (long)sqlite3_column_int64(s, 3),
            .raw = utf8_or_escaped(raw_in, &raw),
            .reason = utf8_or_escaped(reason_in, &reason),
            .id = sqlite3_column_int64(s, 6),
            .run_started_at = sqlite3_column_int64(s, 7),
        };
        if ((raw_in && !row.raw) || (reason_in && !row.reason))
            rc = -ENOMEM;
        else
            rc = cb(&row, ctx);
        free(raw);
        free(reason);
        if (rc != 0)
            goto out;
    }
    rc = rc == SQLITE_DONE ? 0 : store_fail(st, "rejects");
out:
    sqlite3_finalize(s);
    return rc;
}

/* How many rejects q matches (see bookkeeping.h). */
int store_rejects_count(struct store *st, const struct store_reject_query *q, long *n)
{
    char sql[512] = "SELECT count(*) FROM reject r JOIN run ON run.id = r.run_id WHERE 1";
    sqlite3_stmt *s = NULL;
    int rc;

    *n = 0;
    reject_where(q, sql, sizeof(sql));
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return store_fail(st, "rejects count");
    reject_bind(s, q);
    if (sqlite3_step(s) == SQLITE_ROW) {
        *n = (long)sqlite3_column_int64(s, 0);
        rc = 0;
    } else {
        rc = store_fail(st, "rejects count");
    }
    sqlite3_finalize(s);
    return rc;
}

/* Counts every observation row into *rows and the current ones into *current
 * (either may be NULL). Returns 0 or -EIO. */
int store_count_observations(struct store *st, long *rows, long *current)
{
    static const char sql[] = "SELECT count(*), count(*) FILTER (WHERE valid_to IS NULL)"
                              " FROM observation";
    sqlite3_stmt *s = NULL;
    int rc = -EIO;

    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK ||
        sqlite3_step(s) != SQLITE_ROW) {
        rc = store_fail(st, "count observations");
        goto out;
    }
    if (rows)
        *rows = (long)sqlite3_column_int64(s, 0);
    if (current)
        *current = (long)sqlite3_column_int64(s, 1);
    rc = 0;
out:
    sqlite3_finalize(s);
    return rc;
}
