/*
 * test_rollup.c - sums and coverage up enterprise -> park -> city. Rates, the
 * ratio of two such sums, are checked where compute/ forms them
 * (test_compute: rate of sums, zero denominator).
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "aggregate/rollup.h"
#include "test_support.h"

/*
 * 0 city
 * 1 park A (parent 0): enterprises 3, 4, 5
 * 2 park B (parent 0): enterprises 6, 7
 * Enterprise 5 did not report.
 */
static const int parent[8] = {-1, 0, 0, 1, 1, 1, 2, 2};

static void test_rollup_sum_multilevel_with_coverage(void **state)
{
    (void)state;
    const double v[8] = {NAN, NAN, NAN, 10, 20, NAN, 5, 7};
    struct rollup_result r[8];
    assert_int_equal(rollup_sum(parent, 8, v, r), 0);
    /* park A = 10 + 20 = 30, 2 of 3 enterprises: coverage 0.6667, incomplete */
    assert_near(r[1].value, 30, 1e-12);
    assert_near(r[1].coverage, 2.0 / 3.0, 1e-12);
    assert_int_equal(r[1].flags, ROLLUP_INCOMPLETE);
    /* park B = 5 + 7 = 12, complete */
    assert_near(r[2].value, 12, 1e-12);
    assert_near(r[2].coverage, 1, 1e-12);
    assert_int_equal(r[2].flags, ROLLUP_OK);
    /* city = 30 + 12 = 42; both parks have values (coverage 2/2) but 4 of 5 leaves */
    assert_near(r[0].value, 42, 1e-12);
    assert_near(r[0].coverage, 1, 1e-12);
    assert_near(r[0].leaf_coverage, 0.8, 1e-12);
    assert_int_equal(r[0].leaves_reported, 4);
    assert_int_equal(r[0].leaves_expected, 5);
    assert_int_equal(r[0].flags, ROLLUP_INCOMPLETE);
    /* the silent enterprise itself */
    assert_true(isnan(r[5].value));
    assert_int_equal(r[5].flags, ROLLUP_MISSING | ROLLUP_INCOMPLETE);
}

static void test_rollup_park_with_no_reports_is_missing_not_zero(void **state)
{
    (void)state;
    const double v[8] = {0, 0, 0, 10, 20, 30, NAN, NAN};
    struct rollup_result r[8];
    assert_int_equal(rollup_sum(parent, 8, v, r), 0);
    assert_true(isnan(r[2].value));
    assert_int_equal(r[2].flags, ROLLUP_MISSING | ROLLUP_INCOMPLETE);
    /* city = 60 from park A only: 1 of 2 parks, 3 of 5 enterprises */
    assert_near(r[0].value, 60, 1e-12);
    assert_near(r[0].coverage, 0.5, 1e-12);
    assert_near(r[0].leaf_coverage, 0.6, 1e-12);
}

static void test_rollup_rejects_bad_parents_and_cycles(void **state)
{
    (void)state;
    const int bad[2] = {-1, 5}, cyc[3] = {-1, 2, 1};
    const double v[3] = {1, 2, 3};
    struct rollup_result r[3];
    assert_int_equal(rollup_sum(bad, 2, v, r), -EINVAL);
    assert_int_equal(rollup_sum(cyc, 3, v, r), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rollup_sum_multilevel_with_coverage),
        cmocka_unit_test(test_rollup_park_with_no_reports_is_missing_not_zero),
        cmocka_unit_test(test_rollup_rejects_bad_parents_and_cycles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
