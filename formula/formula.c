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
 *
 * Table t is a one-row virtual table (module "ps_row") whose columns are the
 * codes: each read returns the current value of the formula being evaluated,
 * so checking and evaluating prepare the same statement. Time functions (lag,
 * yoy, pop, ytd, ytd_yoy, mean_n) read the unit's whole series, not only the
 * current value: a column read also tags its value with a subtype (the code's
 * position among the formula's references), which SQLite passes with the
 * value straight into a function's argument. A time function reads that
 * subtype to know whose series it was given; an argument that is not a code
 * as such ("yoy(a + 1)") carries none and is refused with a message. SQLite
 * still does all the parsing.
 */
#include "formula/formula.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct formula;

struct formula_env {
    sqlite3 *db;
    char **codes; /* owned copies, ncodes of them */
    size_t ncodes;
    /* the evaluation in progress (formula_eval, formula_eval_at), else NULL */
    const struct formula *cur;
    const double *values;        /* formula_eval: the current value of each ref */
    const double *const *series; /* formula_eval_at: each ref's series, np values */
    size_t np, t;                /* periods, the current period */
    int per_year;                /* periods in a year (12, 4, 2, 1) */
};

struct formula {
    struct formula_env *env; /* borrowed */
    sqlite3_stmt *stmt;      /* SELECT (expr) AS result FROM t */
    size_t *refs;            /* env indices of the codes read, in order of first use */
    size_t nrefs;
    long *slot; /* per env code: its position in refs, or -1 */
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
    "abs",    "min", "max", "round", "coalesce", "nullif",  "iif",
    "ifnull", "lag", "yoy", "pop",   "ytd",      "ytd_yoy", "mean_n",
};

/* Most codes a time function can tell apart: a subtype holds the bind
 * position, and SQLite keeps 8 bits of it. */
#define MAX_REFS 255

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

/* ---- the series functions ---- */

/* The series of argument v (a code as such), or NULL after setting an error. */
static const double *arg_series(sqlite3_context *cx, sqlite3_value *v, const char *fn)
{
    struct formula_env *env = sqlite3_user_data(cx);
    unsigned i = sqlite3_value_subtype(v);
    char msg[160];

    if (i == 0 || !env->cur || i > env->cur->nrefs) {
        snprintf(msg, sizeof(msg),
                 "%s(): the first argument must be an indicator code, not an expression", fn);
        sqlite3_result_error(cx, msg, -1);
        return NULL;
    }
    if (!env->series) {
        snprintf(msg, sizeof(msg), "%s(): needs the unit's series (evaluated per period)", fn);
        sqlite3_result_error(cx, msg, -1);
        return NULL;
    }
    return env->series[i - 1];
}

/* The periods argument n of lag() and mean_n(): an integer >= min. */
static int arg_count(sqlite3_context *cx, sqlite3_value *v, const char *fn, long min, long *n)
{
    char msg[160];
    double d = sqlite3_value_double(v);

    if ((sqlite3_value_type(v) != SQLITE_INTEGER && sqlite3_value_type(v) != SQLITE_FLOAT) ||
        d != floor(d) || d < (double)min || d > 1200) {
        snprintf(msg, sizeof(msg),
                 "%s(): the number of periods must be an integer from %ld to 1200", fn, min);
        sqlite3_result_error(cx, msg, -1);
        return -1;
    }
    *n = (long)d;
    return 0;
}

static void result_value(sqlite3_context *cx, double v)
{
    if (isfinite(v))
        sqlite3_result_double(cx, v);
    else
        sqlite3_result_null(cx);
}

/* x at period t - n, NAN before the series starts. */
static double at_lag(const struct formula_env *env, const double *s, long n)
{
    return (size_t)n <= env->t ? s[env->t - (size_t)n] : NAN;
}

/* Sum of s from the first period of t's year to t - back years; NAN if any is missing. */
static double ytd_at(const struct formula_env *env, const double *s, long back)
{
    size_t py = (size_t)env->per_year, first, t;
    double sum = 0;

    if ((size_t)back * py > env->t)
        return NAN;
    t = env->t - (size_t)back * py;
    first = t - t % py; /* series start at the first period of a year */
    for (size_t i = first; i <= t; i++)
        sum += s[i];
    return sum;
}

/* (cur - base) / |base| x 100, NAN for a missing or zero base (as aggregate/growth). */
static double pct(double cur, double base)
{
    if (isnan(cur) || isnan(base) || base == 0)
        return NAN;
    return (cur - base) / fabs(base) * 100.0;
}

static void fn_lag(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    const double *s = arg_series(cx, argv[0], "lag");
    long n = 1;

    if (!s || (argc > 1 && arg_count(cx, argv[1], "lag", 0, &n) < 0))
        return;
    result_value(cx, at_lag(sqlite3_user_data(cx), s, n));
}

static void fn_yoy(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    struct formula_env *env = sqlite3_user_data(cx);
    const double *s = arg_series(cx, argv[0], "yoy");

    (void)argc;
    if (s)
        result_value(cx, pct(s[env->t], at_lag(env, s, env->per_year)));
}

static void fn_pop(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    struct formula_env *env = sqlite3_user_data(cx);
    const double *s = arg_series(cx, argv[0], "pop");

    (void)argc;
    if (s)
        result_value(cx, pct(s[env->t], at_lag(env, s, 1)));
}

static void fn_ytd(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    const double *s = arg_series(cx, argv[0], "ytd");

    (void)argc;
    if (s)
        result_value(cx, ytd_at(sqlite3_user_data(cx), s, 0));
}

static void fn_ytd_yoy(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    struct formula_env *env = sqlite3_user_data(cx);
    const double *s = arg_series(cx, argv[0], "ytd_yoy");

    (void)argc;
    if (s)
        result_value(cx, pct(ytd_at(env, s, 0), ytd_at(env, s, 1)));
}

static void fn_mean_n(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    struct formula_env *env = sqlite3_user_data(cx);
    const double *s = arg_series(cx, argv[0], "mean_n");
    double sum = 0;
    long n;

    (void)argc;
    if (!s || arg_count(cx, argv[1], "mean_n", 1, &n) < 0)
        return;
    for (long k = 0; k < n; k++)
        sum += at_lag(env, s, k); /* a missing period makes the mean missing */
    result_value(cx, sum / (double)n);
}

static char *create_table_sql(const char *const *codes, size_t ncodes);

/* ---- table t: one row, one column per code (a virtual table) ---- */

struct row_vtab {
    sqlite3_vtab base;
    struct formula_env *env;
};

struct row_cursor {
    sqlite3_vtab_cursor base;
    int eof;
};

static int row_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                       sqlite3_vtab **out, char **err)
{
    struct formula_env *env = aux;
    struct row_vtab *vt;
    char *sql = create_table_sql((const char *const *)env->codes, env->ncodes);
    int rc;

    (void)argc;
    (void)argv;
    if (!sql)
        return SQLITE_NOMEM;
    rc = sqlite3_declare_vtab(db, sql);
    free(sql);
    if (rc != SQLITE_OK) {
        *err = sqlite3_mprintf("%s", sqlite3_errmsg(db)); /* "too many columns on t" */
        return rc;
    }
    sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
    if (!(vt = sqlite3_malloc(sizeof(*vt))))
        return SQLITE_NOMEM;
    memset(vt, 0, sizeof(*vt));
    vt->env = env;
    *out = &vt->base;
    return SQLITE_OK;
}

static int row_disconnect(sqlite3_vtab *vt)
{
    sqlite3_free(vt);
    return SQLITE_OK;
}

static int row_best_index(sqlite3_vtab *vt, sqlite3_index_info *info)
{
    (void)vt;
    info->estimatedCost = 1;
    info->estimatedRows = 1;
    return SQLITE_OK;
}

static int row_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **out)
{
    struct row_cursor *c = sqlite3_malloc(sizeof(*c));

    (void)vt;
    if (!c)
        return SQLITE_NOMEM;
    memset(c, 0, sizeof(*c));
    *out = &c->base;
    return SQLITE_OK;
}

static int row_close(sqlite3_vtab_cursor *c)
{
    sqlite3_free(c);
    return SQLITE_OK;
}

static int row_filter(sqlite3_vtab_cursor *c, int idx, const char *idxstr, int argc,
                      sqlite3_value **argv)
{
    (void)idx;
    (void)idxstr;
    (void)argc;
    (void)argv;
    ((struct row_cursor *)c)->eof = 0;
    return SQLITE_OK;
}

static int row_next(sqlite3_vtab_cursor *c)
{
    ((struct row_cursor *)c)->eof = 1;
    return SQLITE_OK;
}

static int row_eof(sqlite3_vtab_cursor *c)
{
    return ((struct row_cursor *)c)->eof;
}

/* Code i's current value (NULL when missing), tagged with its reference
 * position + 1 as subtype for the time functions. */
static int row_column(sqlite3_vtab_cursor *c, sqlite3_context *cx, int i)
{
    const struct formula_env *env = ((struct row_vtab *)c->pVtab)->env;
    const struct formula *f = env->cur;
    long j = f && i >= 0 && (size_t)i < env->ncodes ? f->slot[i] : -1;
    double v = NAN;

    if (j >= 0 && env->series)
        v = env->series[j][env->t];
    else if (j >= 0 && env->values)
        v = env->values[j];
    if (isnan(v))
        sqlite3_result_null(cx);
    else
        sqlite3_result_double(cx, v);
    if (j >= 0 && j < MAX_REFS)
        sqlite3_result_subtype(cx, (unsigned)j + 1);
    return SQLITE_OK;
}

static int row_rowid(sqlite3_vtab_cursor *c, sqlite3_int64 *rowid)
{
    (void)c;
    *rowid = 1;
    return SQLITE_OK;
}

static const sqlite3_module row_module = {
    .iVersion = 0,
    .xCreate = row_connect,
    .xConnect = row_connect,
    .xBestIndex = row_best_index,
    .xDisconnect = row_disconnect,
    .xDestroy = row_disconnect,
    .xOpen = row_open,
    .xClose = row_close,
    .xFilter = row_filter,
    .xNext = row_next,
    .xEof = row_eof,
    .xColumn = row_column,
    .xRowid = row_rowid,
};

/* Registers the time functions on env's connection. */
static int register_functions(struct formula_env *env)
{
    static const struct {
        const char *name;
        int nargs;
        void (*fn)(sqlite3_context *, int, sqlite3_value **);
    } fns[] = {
        {"lag", 1, fn_lag},       {"lag", 2, fn_lag}, {"yoy", 1, fn_yoy},
        {"pop", 1, fn_pop},       {"ytd", 1, fn_ytd}, {"ytd_yoy", 1, fn_ytd_yoy},
        {"mean_n", 2, fn_mean_n},
    };
    for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
        /* SQLITE_SUBTYPE: the function reads its arguments' subtypes */
        int flags = SQLITE_UTF8 | SQLITE_SUBTYPE;
        if (sqlite3_create_function(env->db, fns[i].name, fns[i].nargs, flags, env, fns[i].fn, NULL,
                                    NULL) != SQLITE_OK)
            return -ENOMEM;
    }
    return 0;
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

static int env_open_db(struct formula_env *env, char *errbuf, size_t errsize)
{
    int rc = -ENOMEM;

    if (sqlite3_open_v2(":memory:", &env->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK)
        goto out;
    /* "revnue" in double quotes must stay an unknown column, not become a string. */
    sqlite3_db_config(env->db, SQLITE_DBCONFIG_DQS_DML, 0, (int *)NULL);
    sqlite3_db_config(env->db, SQLITE_DBCONFIG_DQS_DDL, 0, (int *)NULL);
    sqlite3_db_config(env->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
    sqlite3_limit(env->db, SQLITE_LIMIT_SQL_LENGTH, 1 << 20);
    if (sqlite3_create_module(env->db, "ps_row", &row_module, env) != SQLITE_OK)
        goto out;
    if (sqlite3_exec(env->db, "CREATE VIRTUAL TABLE t USING ps_row", NULL, NULL, NULL) !=
        SQLITE_OK) {
        set_err(errbuf, errsize, "%s", sqlite3_errmsg(env->db));
        rc = -EINVAL;
        goto out;
    }
    rc = register_functions(env);
out:
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
    if ((rc = env_open_db(env, errbuf, errsize)) < 0)
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

static int step(struct formula *f, double *result);

/*
 * Prepares expr into f->stmt under the authorizer ("SELECT (expr) AS result
 * FROM t"), with f->refs, f->nrefs and f->slot, then evaluates it once on
 * made-up series (every code 1 in each of 24 months, at the last): what only
 * shows when it runs, a time function given an expression instead of a code
 * or a bad number of periods, is an error here instead of a missing value at
 * every recompute. f->env must be set; on error the caller frees f's parts.
 */
static int compile(struct formula *f, const char *expr, char *errbuf, size_t errsize)
{
    enum { NP = 24 };
    static const double ones[NP] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    struct formula_env *env = f->env;
    struct auth_state st = {.env = env};
    const double **series = NULL;
    char *wrapped = NULL, *sql = NULL;
    double r;
    int rc;

    if ((rc = precheck(expr, errbuf, errsize)) < 0)
        return rc;
    rc = -ENOMEM;
    wrapped = wrap_expr(expr);
    sql = wrapped ? malloc(strlen(wrapped) + 16) : NULL;
    if (!sql)
        goto out;
    /* The formula is SQL by design; the authorizer and check_shape() bound it. */
    sprintf(sql, "SELECT %s FROM t", wrapped);
    if ((rc = prepare(env->db, sql, expr, &st, &f->stmt, errbuf, errsize)) < 0)
        goto out;
    f->refs = st.refs;
    f->nrefs = st.nrefs;
    st.refs = NULL;
    rc = -ENOMEM;
    f->slot = malloc((env->ncodes ? env->ncodes : 1) * sizeof(long));
    series = calloc(f->nrefs ? f->nrefs : 1, sizeof(*series));
    if (!f->slot || !series)
        goto out;
    for (size_t i = 0; i < env->ncodes; i++)
        f->slot[i] = -1;
    for (size_t j = 0; j < f->nrefs; j++) {
        f->slot[f->refs[j]] = (long)j;
        series[j] = ones;
    }
    rc = formula_eval_at(f, series, NP, 12, NP - 1, &r);
    if (rc == -EIO) {
        set_err(errbuf, errsize, "%s", sqlite3_errmsg(env->db));
        rc = -EINVAL;
    } else {
        rc = rc == -ENOMEM ? rc : 0; /* a missing or text result is no error here */
    }
out:
    free(series);
    free(st.refs);
    free(sql);
    free(wrapped);
    return rc;
}

int formula_env_check(struct formula_env *env, const char *expr, size_t **refs, size_t *nrefs,
                      char *errbuf, size_t errsize)
{
    struct formula f = {.env = env};
    int rc = compile(&f, expr, errbuf, errsize);

    if (refs)
        *refs = NULL;
    if (nrefs)
        *nrefs = 0;
    if (rc == 0 && refs) {
        *refs = f.refs;
        f.refs = NULL;
    }
    if (rc == 0 && nrefs)
        *nrefs = f.nrefs;
    sqlite3_finalize(f.stmt);
    free(f.refs);
    free(f.slot);
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

int formula_compile(struct formula_env *env, const char *expr, struct formula **out, char *errbuf,
                    size_t errsize)
{
    struct formula *f;
    int rc;

    *out = NULL;
    f = calloc(1, sizeof(*f));
    if (!f)
        return -ENOMEM;
    f->env = env;
    if ((rc = compile(f, expr, errbuf, errsize)) < 0) {
        formula_free(&f);
        return rc;
    }
    *out = f;
    return 0;
}

void formula_free(struct formula **fp)
{
    struct formula *f = fp ? *fp : NULL;

    if (!f)
        return;
    sqlite3_finalize(f->stmt);
    free(f->refs);
    free(f->slot);
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

/* Steps f's statement with the evaluation set up in its env. */
static int step(struct formula *f, double *result)
{
    int rc = -EIO;

    sqlite3_reset(f->stmt);
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
    f->env->cur = NULL;
    f->env->values = NULL;
    f->env->series = NULL;
    return rc;
}

int formula_eval(struct formula *f, const double *values, double *result)
{
    f->env->cur = f;
    f->env->values = values;
    f->env->series = NULL;
    return step(f, result);
}

int formula_eval_at(struct formula *f, const double *const *series, size_t np, int per_year,
                    size_t t, double *result)
{
    if (t >= np || !(per_year == 1 || per_year == 2 || per_year == 4 || per_year == 12))
        return -EINVAL;
    f->env->cur = f;
    f->env->values = NULL;
    f->env->series = series;
    f->env->np = np;
    f->env->t = t;
    f->env->per_year = per_year;
    return step(f, result);
}

const char *formula_errmsg(const struct formula *f)
{
    return sqlite3_errmsg(f->env->db);
}
