/*
 * test_outlier.c - COINr skew/kurtosis, the JRC pass/fail rule, winsorisation
 * (ties together, limit counting) and the log fallback. Expected statistics are
 * worked by hand where short, else computed with the same formula in Python.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "aggregate/outlier.h"
#include "test_support.h"

static void test_outlier_skew_kurt_hand_computed(void **state)
{
    (void)state;
    /*
     * x = 1 2 3 4 10, mean 4, d = -3 -2 -1 0 6: sum d^2 = 50, d^3 = 180, d^4 = 1394.
     * skew: sqrt(5) 180 / 50^1.5 = 1.138420; x sqrt(5 4) / 3 = 1.697056
     * kurt: r = 5 1394 / 2500 = 2.788; ((6)(2.788 - 3) + 6)(4) / (3 2) = 3.152
     */
    const double x[6] = {1, 2, NAN, 3, 4, 10};
    assert_near(outlier_skew(x, 6), 1.6970562748, 1e-9);
    assert_near(outlier_kurt(x, 6), 3.152, 1e-9);
    /* skew 1.697 < 2: passes although kurtosis is 3.152 */
    struct outlier_opts o = outlier_opts_default();
    assert_int_equal(outlier_fails(x, 6, &o), 0);
    /* too few values or no spread: undefined, never a failure */
    assert_true(isnan(outlier_skew(x, 2)));
    assert_true(isnan(outlier_kurt(x, 3)));
    const double flat[4] = {5, 5, 5, 5};
    assert_true(isnan(outlier_skew(flat, 4)));
    assert_int_equal(outlier_fails(flat, 4, &o), 0);
}

static void test_outlier_coinr_example_winsorises_one_point(void **state)
{
    (void)state;
    /* COINr's winsorise() example: 1..10, 30, 100: skew 3.0632, kurt 9.7414 (Python) */
    double x[12], out[12];
    for (int i = 0; i < 10; i++) {
        x[i] = i + 1;
    }
    x[10] = 30;
    x[11] = 100;
    struct outlier_opts o = outlier_opts_default();
    struct outlier_result r;
    assert_int_equal(outlier_treat(x, 12, &o, out, &r), 0);
    assert_near(r.skew_before, 3.0632410342, 1e-8);
    assert_near(r.kurt_before, 9.7413908346, 1e-8);
    /* 100 -> 30, then skew 1.7120 < 2 passes */
    assert_int_equal(r.treatment, OUTLIER_WINSORISED);
    assert_int_equal(r.steps, 1);
    assert_int_equal(r.points, 1);
    assert_near(out[11], 30, 0);
    assert_near(out[10], 30, 0);
    assert_near(r.skew_after, 1.7120380601, 1e-8);
    assert_near(x[11], 100, 0); /* input untouched */
}

static void test_outlier_low_side_mirrors_high_side(void **state)
{
    (void)state;
    double x[12], out[12];
    for (int i = 0; i < 10; i++) {
        x[i] = -(i + 1);
    }
    x[10] = -30;
    x[11] = -100;
    struct outlier_opts o = outlier_opts_default();
    struct outlier_result r;
    assert_int_equal(outlier_treat(x, 12, &o, out, &r), 0);
    assert_near(r.skew_before, -3.0632410342, 1e-8);
    assert_int_equal(r.treatment, OUTLIER_WINSORISED);
    assert_near(out[11], -30, 0); /* the minimum moved up to the next value */
}

/* x = 2^0 .. 2^(n-1): each step ties one more value at the top (1, 2, 3 ... points) */
static void powers(double *x, int n)
{
    for (int k = 0; k < n; k++) {
        x[k] = ldexp(1.0, k);
    }
}

static const struct {
    enum outlier_limit limit;
    int winmax;
    enum outlier_treatment want;
    int steps, points; /* winsorisation done before passing or giving up */
} limit_rows[] = {
    /* 2^0..2^29 passes after 3 steps moving 1 + 2 + 3 = 6 points (Python) */
    {OUTLIER_LIMIT_STEPS, 3, OUTLIER_WINSORISED, 3, 6},
    {OUTLIER_LIMIT_STEPS, 2, OUTLIER_LOG, 2, 3},
    {OUTLIER_LIMIT_POINTS, 6, OUTLIER_WINSORISED, 3, 6},
    {OUTLIER_LIMIT_POINTS, 3, OUTLIER_LOG, 2, 3},
    /* COINr: continue while the last step moved < winmax points */
    {OUTLIER_LIMIT_COINR, 3, OUTLIER_WINSORISED, 3, 6},
    {OUTLIER_LIMIT_COINR, 2, OUTLIER_LOG, 2, 3},
};

static void test_outlier_limit_counting_table(void **state)
{
    (void)state;
    double x[30], out[30];
    powers(x, 30);
    for (size_t i = 0; i < sizeof(limit_rows) / sizeof(limit_rows[0]); i++) {
        struct outlier_opts o = {2.0, 3.5, limit_rows[i].winmax, limit_rows[i].limit};
        struct outlier_result r;
        assert_int_equal(outlier_treat(x, 30, &o, out, &r), 0);
        assert_int_equal(r.treatment, limit_rows[i].want);
        if (r.treatment == OUTLIER_WINSORISED) {
            assert_int_equal(r.steps, limit_rows[i].steps);
            assert_int_equal(r.points, limit_rows[i].points);
            /* the top 4 values end at 2^26 */
            assert_near(out[29], ldexp(1.0, 26), 0);
            assert_near(out[26], ldexp(1.0, 26), 0);
        } else {
            /* log of the original: log(x - 1 + 0.01 (2^29 - 1)) */
            assert_near(out[0], log(0.01 * (ldexp(1.0, 29) - 1)), 1e-12);
            assert_near(out[0], 15.4960980484, 1e-9);
            assert_near(out[29], 20.1112185652, 1e-9);
        }
    }
}

static void test_outlier_log_passes_on_geometric_series(void **state)
{
    (void)state;
    /* 2^0..2^19 needs 2 steps; with 1 allowed it logs: skew 1.4279 after, passes */
    double x[20], out[20];
    powers(x, 20);
    struct outlier_opts o = {2.0, 3.5, 1, OUTLIER_LIMIT_STEPS};
    struct outlier_result r;
    assert_int_equal(outlier_treat(x, 20, &o, out, &r), 0);
    assert_int_equal(r.treatment, OUTLIER_LOG);
    assert_near(r.skew_after, 1.4279242097, 1e-8);
    /* log(0.01 (2^19 - 1)) = log(5242.87) = 8.5646 */
    assert_near(out[0], 8.5646243373, 1e-9);
}

static void test_outlier_two_valued_data_logs_and_still_fails(void **state)
{
    (void)state;
    /* 19 zeros, 1, 100: 100 -> 1, then only {0, 1} left: stop, log; still skewed */
    double x[21] = {0}, out[21];
    x[19] = 1;
    x[20] = 100;
    struct outlier_opts o = outlier_opts_default();
    struct outlier_result r;
    assert_int_equal(outlier_treat(x, 21, &o, out, &r), 0);
    assert_int_equal(r.treatment, OUTLIER_LOG_FAILED);
    assert_near(out[0], 0.0, 1e-12); /* log(0 - 0 + 0.01 100) = log 1 */
    assert_near(r.skew_after, 4.4291806060, 1e-8);
}

static void test_outlier_missing_values_stay_missing(void **state)
{
    (void)state;
    double x[13], out[13];
    for (int i = 0; i < 10; i++) {
        x[i] = i + 1;
    }
    x[10] = 30;
    x[11] = NAN;
    x[12] = 100;
    struct outlier_opts o = outlier_opts_default();
    assert_int_equal(outlier_treat(x, 13, &o, out, NULL), 0);
    assert_true(isnan(out[11]));
    assert_near(out[12], 30, 0);
    assert_int_equal(outlier_treat(NULL, 13, &o, out, NULL), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outlier_skew_kurt_hand_computed),
        cmocka_unit_test(test_outlier_coinr_example_winsorises_one_point),
        cmocka_unit_test(test_outlier_low_side_mirrors_high_side),
        cmocka_unit_test(test_outlier_limit_counting_table),
        cmocka_unit_test(test_outlier_log_passes_on_geometric_series),
        cmocka_unit_test(test_outlier_two_valued_data_logs_and_still_fails),
        cmocka_unit_test(test_outlier_missing_values_stay_missing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
