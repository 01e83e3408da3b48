/*
 * formula.c - derived-indicator formulas checked and evaluated by SQLite.
 *
 * A formula is wrapped as "SELECT (expr\n) AS result FROM t" where t has one
 * column per indicator code, and prepared under an authorizer that allows one
 * SELECT, reads of t's columns and a short list of functions. SQLite's own
 * parser does the work; this file only judges what the parser asks
 * permission for. The wrapper cannot be escaped: the fixed suffix
 * ") AS result FROM t" must close the result list of the one SELECT allowed,
 * so whatever expr holds ("1) + (2" included) is that list; a second column
 * is refused by the column count and a second statement by the tail check.
 */
#include "formula/formula.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct formula_env {
    sqlite3 *db;
    char **codes; /* owned copies, ncodes of them */
    size_t ncodes;
};

struct formula {
    struct formula_env *env; /* borrowed */
    sqlite3_stmt *stmt;      /* SELECT (expr) FROM (SELECT ?1 AS code, ...) */
    size_t *refs;            /* env indices of the codes read, in bind order */
    size_t nrefs;
};

/* What the authorizer saw while one formula was prepared. */
struct auth_state {
    const struct formula_env *env;
    int n_select;
    size_t *refs;
    size_t nrefs, cap;
    int oom;
    char msg[160]; /* the first refusal, clearer than SQLite's "not authorized" */
};

static const char *const allowed_functions[] = {
    "abs", "min", "max", "round", "coalesce", "nullif", "iif", "ifnull",
};

__attribute__((format(printf, 3, 4))) static void set_err(char *errbuf, size_t errsize,
                                                          const char *fmt, ...)
{
    va_list ap;

    if (!errbuf || errsize == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(errbuf, errsize, fmt, ap);
    va_end(ap);
}

/* Keeps the first refusal's reason, clearer than SQLite's "not authorized". */
__attribute__((format(printf, 2, 3))) static void refuse(struct auth_state *st, const char *fmt,
                                                         ...)
{
    va_list ap;

    if (st->msg[0] != '\0')
        return;
    va_start(ap, fmt);
    vsnprintf(st->msg, sizeof(st->msg), fmt, ap);
    va_end(ap);
}

static long code_index(const struct formula_env *env, const char *name)
{
    for (size_t i = 0; i < env->ncodes; i++) {
        if (sqlite3_stricmp(env->codes[i], name) == 0)
            return (long)i;
    }
    return -1;
}

static int add_ref(struct auth_state *st, size_t idx)
{
    for (size_t i = 0; i < st->nrefs; i++) {
        if (st->refs[i] == idx)
            return 0;
    }
    if (st->nrefs == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 8;
        size_t *r = realloc(st->refs, cap * sizeof(*r));
        if (!r) {
            st->oom = 1;
            return -ENOMEM;
        }
        st->refs = r;
        st->cap = cap;
    }
    st->refs[st->nrefs++] = idx;
    return 0;
}

static int authorize_read(struct auth_state *st, const char *table, const char *column)
{
    long idx;

    if (!table || strcmp(table, "t") != 0) {
        refuse(st, "only indicator codes may be read");
        return SQLITE_DENY;
    }
    if (column && column[0] == '\0')
        return SQLITE_OK; /* FROM t without reading a column: a constant */
    idx = column ? code_index(st->env, column) : -1;
    if (idx < 0) {
        refuse(st, "unknown indicator \"%s\"", column ? column : "");
        return SQLITE_DENY;
    }
    return add_ref(st, (size_t)idx) < 0 ? SQLITE_DENY : SQLITE_OK;
}

static int authorize(void *ud, int action, const char *a1, const char *a2, const char *dbname,
                     const char *trigger)
{
    struct auth_state *st = ud;

    (void)dbname;
    (void)trigger;
    switch (action) {
    case SQLITE_SELECT:
        if (++st->n_select == 1)
            return SQLITE_OK;
        refuse(st, "subqueries are not allowed");
        return SQLITE_DENY;
    case SQLITE_READ:
        return authorize_read(st, a1, a2);
    case SQLITE_FUNCTION:
        for (size_t i = 0; i < sizeof(allowed_functions) / sizeof(allowed_functions[0]); i++) {
            if (a2 && sqlite3_stricmp(a2, allowed_functions[i]) == 0)
                return SQLITE_OK;
        }
        refuse(st, "function \"%s\" is not allowed", a2 ? a2 : "");
        return SQLITE_DENY;
    default:
        refuse(st, "only an expression over indicator codes is allowed");
        return SQLITE_DENY;
    }
}

/* Appends "name" with embedded quotes doubled, the SQL identifier quoting. */
static char *append_ident(char *p, const char *name)
{
    *p++ = '"';
    for (; *name; name++) {
        if (*name == '"')
            *p++ = '"';
        *p++ = *name;
    }
    *p++ = '"';
    return p;
}

/* "CREATE TABLE t("a","b",...)". Identifiers cannot be bound as parameters,
 * so this one statement is assembled from the codes, each quoted. */
static char *create_table_sql(const char *const *codes, size_t ncodes)
{
    size_t size = 32;
    char *sql, *p;

    for (size_t i = 0; i < ncodes; i++)
        size += 2 * strlen(codes[i]) + 3;
    sql = malloc(size);
    if (!sql)
        return NULL;
    p = sql + sprintf(sql, "CREATE TABLE t(");
    if (ncodes == 0)
        p = append_ident(p, " "); /* a column no formula can name */
    for (size_t i = 0; i < ncodes; i++) {
        if (i > 0)
            *p++ = ',';
        p = append_ident(p, codes[i]);
    }
    *p++ = ')';
    *p = '\0';
    return sql;
}

static int env_open_db(struct formula_env *env, const char *const *codes, char *errbuf,
                       size_t errsize)
{
    char *sql = NULL;
    int rc = -ENOMEM;

    if (sqlite3_open_v2(":memory:", &env->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK)
        goto out;
    /* "revnue" in double quotes must stay an unknown column, not become a string. */
    sqlite3_db_config(env->db, SQLITE_DBCONFIG_DQS_DML, 0, (int *)NULL);
    sqlite3_db_config(env->db, SQLITE_DBCONFIG_DQS_DDL, 0, (int *)NULL);
    sqlite3_db_config(env->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
    sqlite3_limit(env->db, SQLITE_LIMIT_SQL_LENGTH, 1 << 20);
    sql = create_table_sql(codes, env->ncodes);
    if (!sql)
        goto out;
    if (sqlite3_exec(env->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
        set_err(errbuf, errsize, "%s", sqlite3_errmsg(env->db));
        rc = -EINVAL;
        goto out;
    }
    rc = 0;
out:
    free(sql);
    return rc;
}

int formula_env_new(struct formula_env **out, const char *const *codes, size_t ncodes, char *errbuf,
                    size_t errsize)
{
    struct formula_env *env;
    int rc = -ENOMEM;

    *out = NULL;
    env = calloc(1, sizeof(*env));
    if (!env)
        return -ENOMEM;
    env->codes = calloc(ncodes ? ncodes : 1, sizeof(*env->codes));
    if (!env->codes)
        goto fail;
    for (; env->ncodes < ncodes; env->ncodes++) {
        if (codes[env->ncodes][0] == '\0') {
            set_err(errbuf, errsize, "empty code");
            rc = -EINVAL;
            goto fail;
        }
        env->codes[env->ncodes] = strdup(codes[env->ncodes]);
        if (!env->codes[env->ncodes])
            goto fail;
    }
    if ((rc = env_open_db(env, codes, errbuf, errsize)) < 0)
        goto fail;
    *out = env;
    return 0;
fail:
    formula_env_free(&env);
    return rc;
}

void formula_env_free(struct formula_env **envp)
{
    struct formula_env *env = envp ? *envp : NULL;

    if (!env)
        return;
    sqlite3_close(env->db);
    for (size_t i = 0; i < env->ncodes; i++)
        free(env->codes[i]);
    free(env->codes);
    free(env);
    *envp = NULL;
}

/* "(" expr "\n) AS result": the newline ends a trailing "-- comment". */
static char *wrap_expr(const char *expr)
{
    size_t len = strlen(expr);
    char *w = malloc(len + 14);

    if (!w)
        return NULL;
    snprintf(w, len + 14, "(%s\n) AS result", expr);
    return w;
}

/* Turns SQLite's message about a failed prepare into the formula's error. */
static void prepare_error(const struct auth_state *st, sqlite3 *db, const char *expr, char *errbuf,
                          size_t errsize)
{
    const char *msg = sqlite3_errmsg(db);

    if (st && st->msg[0] != '\0')
        set_err(errbuf, errsize, "%s", st->msg);
    else if (strncmp(msg, "no such column: ", 16) == 0)
        set_err(errbuf, errsize, "unknown indicator \"%s\"", msg + 16);
    else if (strncmp(msg, "no such function: ", 18) == 0)
        set_err(errbuf, errsize, "unknown function \"%s\"", msg + 18);
    else if (strchr(expr, ';'))
        set_err(errbuf, errsize, "only one expression is allowed (found ';')");
    else
        set_err(errbuf, errsize, "%s", msg);
}

/* Checks the prepared statement is one read-only SELECT of one column. */
static int check_shape(sqlite3_stmt *stmt, const char *tail, char *errbuf, size_t errsize)
{
    tail += strspn(tail, " \t\r\n");
    if (*tail != '\0') {
        set_err(errbuf, errsize, "only one expression is allowed (found ';')");
        return -EINVAL;
    }
    if (sqlite3_column_count(stmt) != 1 || !sqlite3_stmt_readonly(stmt)) {
        set_err(errbuf, errsize, "only one expression is allowed (found ',')");
        return -EINVAL;
    }
    return 0;
}

/* Prepares sql (which embeds expr) under the authorizer when st is not NULL. */
static int prepare(sqlite3 *db, const char *sql, const char *expr, struct auth_state *st,
                   sqlite3_stmt **stmt, char *errbuf, size_t errsize)
{
    const char *tail = NULL;
    int rc;

    if (st)
        sqlite3_set_authorizer(db, authorize, st);
    rc = sqlite3_prepare_v2(db, sql, -1, stmt, &tail);
    if (st)
        sqlite3_set_authorizer(db, NULL, NULL);
    if (st && st->oom)
        rc = SQLITE_NOMEM;
    if (rc == SQLITE_NOMEM)
        return -ENOMEM;
    if (rc != SQLITE_OK) {
        prepare_error(st, db, expr, errbuf, errsize);
        return -EINVAL;
    }
    if (!*stmt) {
        set_err(errbuf, errsize, "empty formula");
        return -EINVAL;
    }
    return check_shape(*stmt, tail, errbuf, errsize);
}

static int precheck(const char *expr, char *errbuf, size_t errsize)
{
    size_t len = strlen(expr);

    if (len > FORMULA_MAX_LEN) {
        set_err(errbuf, errsize, "formula too long");
        return -EINVAL;
    }
    if (strspn(expr, " \t\r\n") == len) {
        set_err(errbuf, errsize, "empty formula");
        return -EINVAL;
    }
    return 0;
}

int formula_env_check(struct formula_env *env, const char *expr, size_t **refs, size_t *nrefs,
                      char *errbuf, size_t errsize)
{
    struct auth_state st = {.env = env};
    sqlite3_stmt *stmt = NULL;
    char *wrapped = NULL, *sql = NULL;
    int rc;

    if (refs)
        *refs = NULL;
    if (nrefs)
        *nrefs = 0;
    if ((rc = precheck(expr, errbuf, errsize)) < 0)
        return rc;
    rc = -ENOMEM;
    wrapped = wrap_expr(expr);
    sql = wrapped ? malloc(strlen(wrapped) + 16) : NULL;
    if (!sql)
        goto out;
    /* The formula is SQL by design; the authorizer and check_shape() bound it. */
    sprintf(sql, "SELECT %s FROM t", wrapped);
    if ((rc = prepare(env->db, sql, expr, &st, &stmt, errbuf, errsize)) < 0)
        goto out;
    if (refs) {
        *refs = st.refs;
        st.refs = NULL;
    }
    if (nrefs)
        *nrefs = st.nrefs;
out:
    sqlite3_finalize(stmt);
    free(st.refs);
    free(sql);
    free(wrapped);
    return rc;
}

int formula_check(const char *expr, const char *const *codes, size_t ncodes, size_t **refs,
                  size_t *nrefs, char *errbuf, size_t errsize)
{
    struct formula_env *env = NULL;
    int rc = formula_env_new(&env, codes, ncodes, errbuf, errsize);

    if (refs)
        *refs = NULL;
    if (nrefs)
        *nrefs = 0;
    if (rc == 0)
        rc = formula_env_check(env, expr, refs, nrefs, errbuf, errsize);
    formula_env_free(&env);
    return rc;
}

/* "SELECT (expr\n) FROM (SELECT ?1 AS "a", ?2 AS "b")" for the referenced codes. */
static char *eval_sql(const struct formula_env *env, const char *wrapped, const size_t *refs,
                      size_t nrefs)
{
    size_t size = strlen(wrapped) + 32;
    char *sql, *p;

    for (size_t i = 0; i < nrefs; i++)
        size += 2 * strlen(env->codes[refs[i]]) + 32;
    sql = malloc(size);
    if (!sql)
        return NULL;
    p = sql + sprintf(sql, "SELECT %s", wrapped);
    if (nrefs > 0)
        p += sprintf(p, " FROM (SELECT ");
    for (size_t i = 0; i < nrefs; i++) {
        p += sprintf(p, "%s?%zu AS ", i ? ", " : "", i + 1);
        p = append_ident(p, env->codes[refs[i]]);
    }
    if (nrefs > 0)
        *p++ = ')';
    *p = '\0';
    return sql;
}

int formula_compile(struct formula_env *env, const char *expr, struct formula **out, char *errbuf,
                    size_t errsize)
{
    struct formula *f;
    char *wrapped = NULL, *sql = NULL;
    int rc;

    *out = NULL;
    f = calloc(1, sizeof(*f));
    if (!f)
        return -ENOMEM;
    f->env = env;
    if ((rc = formula_env_check(env, expr, &f->refs, &f->nrefs, errbuf, errsize)) < 0)
        goto out;
    rc = -ENOMEM;
    wrapped = wrap_expr(expr);
    sql = wrapped ? eval_sql(env, wrapped, f->refs, f->nrefs) : NULL;
    if (!sql)
        goto out;
    /* Already judged by the authorizer in formula_env_check(): same text. */
    if ((rc = prepare(env->db, sql, expr, NULL, &f->stmt, errbuf, errsize)) < 0)
        goto out;
    *out = f;
    f = NULL;
out:
    formula_free(&f);
    free(sql);
    free(wrapped);
    return rc;
}

void formula_free(struct formula **fp)
{
    struct formula *f = fp ? *fp : NULL;

    if (!f)
        return;
    sqlite3_finalize(f->stmt);
    free(f->refs);
    free(f);
    *fp = NULL;
}

size_t formula_nrefs(const struct formula *f)
{
    return f->nrefs;
}

size_t formula_ref(const struct formula *f, size_t i)
{
    return f->refs[i];
}

int formula_eval(struct formula *f, const double *values, double *result)
{
    int rc = -EIO;

    sqlite3_reset(f->stmt);
    for (size_t i = 0; i < f->nrefs; i++) {
        int b = isnan(values[i]) ? sqlite3_bind_null(f->stmt, (int)i + 1)
                                 : sqlite3_bind_double(f->stmt, (int)i + 1, values[i]);
        if (b != SQLITE_OK)
            goto out;
    }
    switch (sqlite3_step(f->stmt)) {
    case SQLITE_ROW:
        break;
    case SQLITE_DONE:
        rc = -ENODATA;
        goto out;
    default:
        goto out;
    }
    switch (sqlite3_column_type(f->stmt, 0)) {
    case SQLITE_INTEGER:
    case SQLITE_FLOAT:
        *result = sqlite3_column_double(f->stmt, 0);
        rc = isfinite(*result) ? 0 : -ENODATA;
        break;
    case SQLITE_NULL:
        rc = -ENODATA;
        break;
    default:
        rc = -EDOM;
    }
out:
    sqlite3_reset(f->stmt);
    return rc;
}
