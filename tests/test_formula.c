/*
 * test_formula.c - the time functions of derived-indicator formulas (lag,
 * yoy, pop, ytd, ytd_yoy, mean_n) on hand-made series, each value computed
 * by hand in the comments, and the errors a config check reports for them.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "formula/formula.h"
#include "test_support.h"

static const char *const codes[] = {"a", "b", "unused"};

/* Two years of months: a = 1 .. 24, b = 10 everywhere except b(Feb, year 2) missing. */
static double a[24], b[24];

static void fill(void)
{
    for (int t = 0; t < 24; t++) {
        a[t] = t + 1;
        b[t] = t == 13 ? NAN : 10;
    }
}

/* The formula's value at month t of the series above (NAN when missing). */
static double at(const char *expr, size_t t)
{
    struct formula_env *env = NULL;
    struct formula *f = NULL;
    char err[160];
    const double *ser[3];
    double r = NAN;

    fill();
    assert_int_equal(formula_env_new(&env, codes, 3, err, sizeof(err)), 0);
    if (formula_compile(env, expr, &f, err, sizeof(err)) < 0)
        fail_msg("%s: %s", expr, err);
    for (size_t i = 0; i < formula_nrefs(f); i++)
        ser[i] = formula_ref(f, i) == 0 ? a : b;
    int rc = formula_eval_at(f, ser, 24, 12, t, &r);
    if (rc != 0 && rc != -ENODATA)
        fail_msg("%s at %zu: %d %s", expr, t, rc, formula_errmsg(f));
    formula_free(&f);
    formula_env_free(&env);
    return rc == 0 ? r : NAN;
}

static void test_formula_lag_yoy_pop(void **state)
{
    (void)state;
    assert_near(at("lag(a)", 5), 5, 0);                    /* a(t-1) = 5 at t = 5 (a = 6) */
    assert_near(at("lag(a, 3)", 5), 3, 0);                 /* a(2) */
    assert_near(at("lag(a, 0)", 5), 6, 0);                 /* a itself */
    assert_true(isnan(at("lag(a, 6)", 5)));                /* before the series */
    assert_near(at("yoy(a)", 12), 1200, 1e-12);            /* (13 - 1) / 1 x 100 */
    assert_near(at("yoy(a)", 23), 100.0 * 12 / 12, 1e-12); /* (24 - 12) / 12 */
    assert_true(isnan(at("yoy(a)", 11)));                  /* no year before */
    assert_near(at("pop(a)", 12), 100.0 / 12, 1e-12);      /* (13 - 12) / 12 x 100 */
    /* two codes, each with its own series: yoy(a) - yoy(b) = 1200 - 0 */
    assert_near(at("yoy(a) - yoy(b)", 12), 1200, 1e-12);
    assert_true(isnan(at("pop(b)", 13))); /* b missing now */
    assert_true(isnan(at("pop(b)", 14))); /* b missing as base */
    /* in an expression, inside CASE, and with the plain value */
    assert_near(at("CASE WHEN yoy(a) > 100 THEN a ELSE 0 END", 12), 13, 0);
    assert_near(at("a + lag(a) * 2", 3), 4 + 3 * 2, 0);
}

static void test_formula_ytd_and_mean(void **state)
{
    (void)state;
    assert_near(at("ytd(a)", 2), 1 + 2 + 3, 0);     /* March, year 1 */
    assert_near(at("ytd(a)", 14), 13 + 14 + 15, 0); /* March, year 2: a new sum */
    assert_near(at("ytd_yoy(a)", 14), (42.0 - 6) / 6 * 100, 1e-12);
    assert_true(isnan(at("ytd(b)", 13))); /* the missing February */
    assert_true(isnan(at("ytd(b)", 20))); /* and every month after it */
    assert_near(at("ytd(b)", 12), 10, 0); /* January is before it */
    assert_near(at("mean_n(a, 3)", 5), (4 + 5 + 6) / 3.0, 1e-12);
    assert_true(isnan(at("mean_n(a, 7)", 5)));  /* reaches before the series */
    assert_true(isnan(at("mean_n(b, 2)", 14))); /* a missing month in the window */
}

/* Quarters: per_year 4, so yoy looks four periods back. */
static void test_formula_quarters(void **state)
{
    struct formula_env *env = NULL;
    struct formula *f = NULL;
    const double q[8] = {100, 120, 130, 150, 110, 126, 143, 150};
    const double *ser[1] = {q};
    double r;

    (void)state;
    assert_int_equal(formula_env_new(&env, codes, 3, NULL, 0), 0);
    assert_int_equal(formula_compile(env, "yoy(a)", &f, NULL, 0), 0);
    assert_int_equal(formula_eval_at(f, ser, 8, 4, 5, &r), 0);
    assert_near(r, 5, 1e-12); /* 126 on 120 */
    formula_free(&f);
    assert_int_equal(formula_compile(env, "ytd_yoy(a)", &f, NULL, 0), 0);
    assert_int_equal(formula_eval_at(f, ser, 8, 4, 6, &r), 0);
    assert_near(r, (379.0 - 350) / 350 * 100, 1e-12); /* 110 + 126 + 143 on 100 + 120 + 130 */
    assert_int_equal(formula_eval_at(f, ser, 8, 3, 6, &r), -EINVAL);
    assert_int_equal(formula_eval_at(f, ser, 8, 4, 8, &r), -EINVAL);
    formula_free(&f);
    formula_env_free(&env);
}

/* What the config check reports (formula_check is what config_load calls). */
static void test_formula_time_function_errors(void **state)
{
    static const struct {
        const char *expr, *want;
    } bad[] = {
        {"yoy(a + 1)", "yoy(): the first argument must be an indicator code, not an expression"},
        {"lag(2 * a, 1)", "lag(): the first argument must be an indicator code"},
        {"lag(a, -1)", "lag(): the number of periods must be an integer from 0 to 1200"},
        {"lag(a, 1.5)", "lag(): the number of periods must be an integer"},
        {"mean_n(a, 0)", "mean_n(): the number of periods must be an integer from 1 to 1200"},
        {"mean_n(a)", "wrong number of arguments to function mean_n()"},
        {"yoy(revenue)", "unknown indicator \"revenue\""},
        {"ytd(a) + randomblob(4)", "function \"randomblob\" is not allowed"},
        {"ytd(a) + median(a)", "unknown function \"median\""},
    };
    char err[200];

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(formula_check(bad[i].expr, codes, 3, NULL, NULL, err, sizeof(err)),
                         -EINVAL);
        if (!strstr(err, bad[i].want))
            fail_msg("%s: want \"%s\", got \"%s\"", bad[i].expr, bad[i].want, err);
    }
    /* a plain evaluation (no series) refuses a time function with a reason */
    struct formula_env *env = NULL;
    struct formula *f = NULL;
    const double v[1] = {1};
    double r;
    assert_int_equal(formula_env_new(&env, codes, 3, NULL, 0), 0);
    assert_int_equal(formula_compile(env, "yoy(a)", &f, NULL, 0), 0);
    assert_int_equal(formula_eval(f, v, &r), -EIO);
    assert_non_null(strstr(formula_errmsg(f), "needs the unit's series"));
    formula_free(&f);
    formula_env_free(&env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formula_lag_yoy_pop),
        cmocka_unit_test(test_formula_ytd_and_mean),
        cmocka_unit_test(test_formula_quarters),
        cmocka_unit_test(test_formula_time_function_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
