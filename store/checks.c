/*
 * checks.c - stored violations of the consistency checks (see checks.h).
 */
#include "store/checks.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "store/store_priv.h"

static const char insert_sql[] =
    "INSERT INTO check_violation(check_id, rule, unit, indicator, period, value, expected,"
    " detail, action, valid_from, found_at, run_id)"
    " SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, o.valid_from, ?10, o.run_id"
    " FROM (SELECT 1) LEFT JOIN (SELECT o.valid_from, o.run_id FROM observation o"
    "  JOIN unit u ON u.id = o.unit_id JOIN indicator i ON i.id = o.indicator_id"
    "  WHERE u.code = ?3 AND i.code = ?4 AND o.period = ?5 AND o.valid_to IS NULL) o";

/* A refusal: the refusing run, no vintage. */
static const char refusal_sql[] =
    "INSERT INTO check_violation(check_id, rule, unit, indicator, period, value, expected,"
    " detail, action, valid_from, found_at, run_id)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, NULL, ?10, ?11)";

/* An ingest's flag, unless the same one is there. */
static const char flag_once_sql[] =
    "INSERT INTO check_violation(check_id, rule, unit, indicator, period, value, expected,"
    " detail, action, valid_from, found_at, run_id)"
    " SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, o.valid_from, ?10, o.run_id"
    " FROM (SELECT 1) LEFT JOIN (SELECT o.valid_from, o.run_id FROM observation o"
    "  JOIN unit u ON u.id = o.unit_id JOIN indicator i ON i.id = o.indicator_id"
    "  WHERE u.code = ?3 AND i.code = ?4 AND o.period = ?5 AND o.valid_to IS NULL) o"
    " WHERE NOT EXISTS (SELECT 1 FROM check_violation c WHERE c.check_id = ?1"
    "  AND c.unit = ?3 AND c.period = ?5 AND c.detail = ?8 AND c.action = 'flag')";

static const char site_delete_sql[] =
    "DELETE FROM check_violation WHERE check_id = ?1 AND unit = ?2 AND period = ?3"
    " AND action = 'flag' AND (?4 IS NULL OR detail = ?4)";

static const char current_sql[] =
    "SELECT value FROM observation WHERE unit_id = ?1 AND indicator_id = ?2 AND period = ?3"
    " AND valid_to IS NULL";

static void bind_text(sqlite3_stmt *s, int i, const char *t)
{
    if (t)
        sqlite3_bind_text(s, i, t, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, i);
}

static void bind_real(sqlite3_stmt *s, int i, double x)
{
    if (isnan(x))
        sqlite3_bind_null(s, i);
    else
        sqlite3_bind_double(s, i, x);
}

/* Inserts one violation with the cached statement of sql (run_id bound as
 * ?11 when sql has it). 0 or -EIO. */
static int insert_one(struct store *st, const char *sql, const struct store_violation *v,
                      int64_t found_at, int64_t run_id)
{
    sqlite3_stmt *s = store_stmt_cached(st, sql);

    if (!s)
        return store_fail(st, "check violation insert");
    bind_text(s, 1, v->check);
    bind_text(s, 2, v->rule);
    bind_text(s, 3, v->unit);
    bind_text(s, 4, v->indicator);
    bind_text(s, 5, v->period);
    bind_real(s, 6, v->value);
    bind_real(s, 7, v->expected);
    bind_text(s, 8, v->detail ? v->detail : "");
    bind_text(s, 9, v->action ? v->action : "flag");
    sqlite3_bind_int64(s, 10, found_at);
    if (sql == refusal_sql)
        sqlite3_bind_int64(s, 11, run_id);
    return store_step_done(st, s, "check violation insert");
}

int store_checks_replace(struct store *st, const struct store_violation *v, size_t n,
                         int64_t found_at)
{
    int rc = store_begin(st);

    if (rc < 0)
        return rc;
    if (sqlite3_exec(st->db, "DELETE FROM check_violation WHERE action = 'flag'", NULL, NULL,
                     NULL) != SQLITE_OK)
        rc = store_fail(st, "check violations delete");
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = insert_one(st, insert_sql, &v[i], found_at, 0);
    if (rc < 0) {
        store_rollback(st);
        return rc;
    }
    return store_commit(st);
}

int store_checks_update(struct store *st, const struct store_check_site *site, size_t nsite,
                        const struct store_violation *v, size_t n, int64_t run_id, int64_t found_at)
{
    int rc = store_begin(st);

    if (rc < 0)
        return rc;
    for (size_t i = 0; i < nsite && rc == 0; i++) {
        sqlite3_stmt *s = store_stmt_cached(st, site_delete_sql);
        if (!s) {
            rc = store_fail(st, "check violations delete");
            break;
        }
        bind_text(s, 1, site[i].check);
        bind_text(s, 2, site[i].unit);
        bind_text(s, 3, site[i].period);
        bind_text(s, 4, site[i].detail);
        rc = store_step_done(st, s, "check violations delete");
    }
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = insert_one(
            st, v[i].action && strcmp(v[i].action, "reject") == 0 ? refusal_sql : flag_once_sql,
            &v[i], found_at, run_id);
    if (rc < 0) {
        store_rollback(st);
        return rc;
    }
    return store_commit(st);
}

int store_checks_current(struct store *st, int64_t unit_id, int64_t indicator_id, struct period p,
                         double *v)
{
    sqlite3_stmt *s = store_stmt_cached(st, current_sql);
    char text[PERIOD_TEXT_SIZE];
    int rc;

    *v = NAN;
    if (!s)
        return store_fail(st, "current value");
    if (period_format(p, text, sizeof(text)) < 0)
        return 0;
    sqlite3_bind_int64(s, 1, unit_id);
    sqlite3_bind_int64(s, 2, indicator_id);
    sqlite3_bind_text(s, 3, text, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        if (sqlite3_column_type(s, 0) != SQLITE_NULL)
            *v = sqlite3_column_double(s, 0);
        rc = SQLITE_DONE;
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : store_fail(st, "current value");
}

/* The WHERE clause of q into sql (appended); parameters ?1..?5 as in bind(). */
static void where(const struct store_violation_query *q, char *sql, size_t size)
{
    static const char *const col[] = {"check_id", "rule", "unit", "indicator", "period"};
    const char *val[] = {q->check, q->rule, q->unit, q->indicator, q->period};
    size_t len = strlen(sql);

    for (size_t i = 0; i < 5; i++)
        if (val[i])
            len += (size_t)snprintf(sql + len, size - len, " AND %s = ?%zu", col[i], i + 1);
}

static void bind(sqlite3_stmt *s, const struct store_violation_query *q)
{
    const char *val[] = {q->check, q->rule, q->unit, q->indicator, q->period};

    for (int i = 0; i < 5; i++)
        if (val[i])
            sqlite3_bind_text(s, i + 1, val[i], -1, SQLITE_STATIC);
}

static double column_real(sqlite3_stmt *s, int i)
{
    return sqlite3_column_type(s, i) == SQLITE_NULL ? NAN : sqlite3_column_double(s, i);
}

int store_checks_page(struct store *st, const struct store_violation_query *q,
                      store_violation_cb cb, void *ctx)
{
    char sql[768] = "SELECT id, check_id, rule, unit, indicator, period, value, expected, detail,"
                    " action, valid_from, found_at, run_id FROM check_violation WHERE id > ?6";
    sqlite3_stmt *s = NULL;
    int rc = 0, step;

    where(q, sql, sizeof(sql));
    snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql), " ORDER BY id LIMIT ?7");
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return store_fail(st, "check violations");
    bind(s, q);
    sqlite3_bind_int64(s, 6, q->after_id);
    sqlite3_bind_int64(s, 7, q->limit > 0 ? q->limit : -1);
    while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_violation v = {
            .id = sqlite3_column_int64(s, 0),
            .check = (const char *)sqlite3_column_text(s, 1),
            .rule = (const char *)sqlite3_column_text(s, 2),
            .unit = (const char *)sqlite3_column_text(s, 3),
            .indicator = (const char *)sqlite3_column_text(s, 4),
            .period = (const char *)sqlite3_column_text(s, 5),
            .value = column_real(s, 6),
            .expected = column_real(s, 7),
            .detail = (const char *)sqlite3_column_text(s, 8),
            .action = (const char *)sqlite3_column_text(s, 9),
            .valid_from =
                sqlite3_column_type(s, 10) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 10),
            .found_at = sqlite3_column_int64(s, 11),
            .run_id = sqlite3_column_type(s, 12) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 12),
        };
        rc = cb(&v, ctx);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = store_fail(st, "check violations");
    sqlite3_finalize(s);
    return rc < 0 ? rc : 0;
}

int store_checks_count(struct store *st, const struct store_violation_query *q, long *n)
{
    char sql[512] = "SELECT count(*) FROM check_violation WHERE 1";
    sqlite3_stmt *s = NULL;
    int rc;

    *n = 0;
    where(q, sql, sizeof(sql));
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return store_fail(st, "check violations count");
    bind(s, q);
    if (sqlite3_step(s) == SQLITE_ROW) {
        *n = (long)sqlite3_column_int64(s, 0);
        rc = 0;
    } else {
        rc = store_fail(st, "check violations count");
    }
    sqlite3_finalize(s);
    return rc;
}

int store_checks_by_rule(struct store *st, int (*cb)(const char *rule, long n, void *ctx),
                         void *ctx)
{
    static const char sql[] =
        "SELECT rule, count(*) FROM check_violation GROUP BY rule ORDER BY rule";
    sqlite3_stmt *s = NULL;
    int rc = 0, step;

    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return store_fail(st, "check violations by rule");
    while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW)
        rc = cb((const char *)sqlite3_column_text(s, 0), (long)sqlite3_column_int64(s, 1), ctx);
    if (rc == 0 && step != SQLITE_DONE)
        rc = store_fail(st, "check violations by rule");
    sqlite3_finalize(s);
    return rc;
}
