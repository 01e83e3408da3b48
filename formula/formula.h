/*
 * formula.h - derived-indicator formulas: SQLite expressions over indicator
 * codes ("spent / budget_adjusted * 100"), checked and evaluated by SQLite
 * itself rather than by a hand-written parser.
 *
 * An environment is one private in-memory SQLite connection that knows the
 * list of codes. A formula may use numbers, the codes, + - * / ( ), CASE and
 * the functions abs min max round coalesce nullif iif ifnull; an authorizer
 * refuses everything else (subqueries, other tables, pragmas, other
 * functions). Time functions, registered on the connection, read the unit's
 * series of a code (their first argument must be a code as such):
 *   lag(x[, n])  x n periods earlier (default 1)
 *   yoy(x)       (x_t - x_{t-1y}) / |x_{t-1y}| x 100
 *   pop(x)       the same against the period before
 *   ytd(x)       x summed from the year's first period to t (a flow)
 *   ytd_yoy(x)   ytd(x) against ytd(x) a year before, in %
 *   mean_n(x, n) the mean of the last n periods (t included)
 * A missing input or a zero base gives a missing result. The module knows nothing of the config: it
 * takes plain arrays, so the config loader checks formulas and the aggregation layer evaluates them
 * with the same code.
 */
#ifndef PARKSTAT_FORMULA_H
#define PARKSTAT_FORMULA_H

#include <stddef.h>

struct formula_env;
struct formula;

/* Longest formula text accepted, in bytes. */
#define FORMULA_MAX_LEN 4096

/*
 * Creates an environment for the ncodes codes (borrowed only during the call;
 * each must be non-empty). Returns 0, -ENOMEM, or -EINVAL when SQLite refuses
 * the codes (message in errbuf when errbuf is not NULL). *out is NULL on error.
 */
int formula_env_new(struct formula_env **out, const char *const *codes, size_t ncodes, char *errbuf,
                    size_t errsize);

/* Frees the environment and sets *envp = NULL. NULL is a harmless no-op.
 * Free every formula compiled in it first. */
void formula_env_free(struct formula_env **envp);

/*
 * Checks that expr is one allowed expression over the environment's codes.
 * Returns 0 and, when refs is not NULL, *refs = a malloc'd array (caller
 * frees) of the indices of the codes expr reads, each once, in order of first
 * use, and *nrefs their count (possibly 0, *refs then NULL). Returns -EINVAL
 * with a message in errbuf ("unknown indicator \"revnue\"", "function
 * \"randomblob\" is not allowed", "near \"*\": syntax error"), -ENOMEM.
 */
int formula_env_check(struct formula_env *env, const char *expr, size_t **refs, size_t *nrefs,
                      char *errbuf, size_t errsize);

/* One-shot formula_env_check() in a temporary environment. */
int formula_check(const char *expr, const char *const *codes, size_t ncodes, size_t **refs,
                  size_t *nrefs, char *errbuf, size_t errsize);

/*
 * Checks expr as formula_env_check() and prepares it for evaluation. The
 * formula borrows env, which must outlive it. Returns 0 and *out (free with
 * formula_free()), or the errors of formula_env_check().
 */
int formula_compile(struct formula_env *env, const char *expr, struct formula **out, char *errbuf,
                    size_t errsize);

/* Frees f and sets *fp = NULL. NULL is a harmless no-op. */
void formula_free(struct formula **fp);

/* The number of codes the formula reads, and the environment index of the i-th. */
size_t formula_nrefs(const struct formula *f);
size_t formula_ref(const struct formula *f, size_t i);

/*
 * Evaluates f with values[i] the value of code formula_ref(f, i); NAN stands
 * for a missing value (bound as SQL NULL). Returns 0 and *result; -ENODATA
 * when the result is missing (NULL: a missing input, a division by zero);
 * -EDOM when the result is not a number (a text literal); -EIO on an SQLite
 * error.
 */
int formula_eval(struct formula *f, const double *values, double *result);

/*
 * Evaluates f at period t of series: series[i] holds np values (NAN missing)
 * of code formula_ref(f, i) for one unit, the first being the first period of
 * a year, per_year periods a year (12, 4, 2 or 1). The time functions read
 * the series; a plain code reads series[i][t]. Returns as formula_eval(),
 * -EINVAL for t >= np or another per_year, and -EIO when a function refused
 * its arguments (formula_errmsg() says why).
 */
int formula_eval_at(struct formula *f, const double *const *series, size_t np, int per_year,
                    size_t t, double *result);

/* SQLite's message after an -EIO from formula_eval() or formula_eval_at(). */
const char *formula_errmsg(const struct formula *f);

#endif
