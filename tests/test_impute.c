/*
 * test_impute.c - group ids from labels, group-mean and carry-forward
 * imputation, and screening by minimum data availability, hand-computed.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>

#include "aggregate/impute.h"
#include "aggregate/screen.h"
#include "test_support.h"

static void test_group_ids_first_appearance_and_null(void **state)
{
    static const char *const label[] = {"Europe", "Asia", NULL, "Europe", "Asia", "Africa"};
    int gid[6];
    (void)state;

    assert_int_equal(impute_group_ids(label, 6, gid), 3);
    assert_int_equal(gid[0], 0);
    assert_int_equal(gid[1], 1);
    assert_int_equal(gid[2], -1);
    assert_int_equal(gid[3], 0);
    assert_int_equal(gid[4], 1);
    assert_int_equal(gid[5], 2);
    assert_int_equal(impute_group_ids(label, 0, NULL), 0);
    assert_int_equal(impute_group_ids(NULL, 1, gid), -EINVAL);
}

/* Group 0 present {10, 20, 60} -> mean 30; group 1 present {5} -> 5; group 2
 * has nothing present; the unit without a group is not filled. In place. */
static void test_group_mean_fills_from_present_values_only(void **state)
{
    double x[] = {10, NAN, 20, NAN, 5, NAN, 60, NAN, NAN};
    const int gid[] = {0, 0, 0, 1, 1, 0, 0, 2, -1};
    (void)state;

    assert_int_equal(impute_group_mean(x, gid, 9, x), 3);
    assert_near(x[1], 30, 1e-12);
    assert_near(x[5], 30, 1e-12);
    assert_near(x[3], 5, 1e-12);
    assert_true(isnan(x[7]));
    assert_true(isnan(x[8]));
    assert_near(x[0] + x[2] + x[4] + x[6], 95, 0); /* present values untouched */

    /* the means come from the input alone: 1 and 3 -> 2 for both gaps */
    double y[] = {NAN, 1, NAN, 3}, out[4];
    const int one[] = {0, 0, 0, 0};
    assert_int_equal(impute_group_mean(y, one, 4, out), 2);
    assert_near(out[0], 2, 0);
    assert_near(out[2], 2, 0);
    assert_true(isnan(y[0])); /* x is not written when out differs */
    assert_int_equal(impute_group_mean(NULL, one, 4, out), -EINVAL);
}

/* Three series of 4 periods; carried into period 3 from the latest earlier
 * present value, never from period 3 itself or later. */
static void test_carry_takes_latest_earlier_value(void **state)
{
    const double series[] = {
        1,   2,   NAN, NAN, /* -> 2 (period 1) */
        NAN, NAN, NAN, 9,   /* nothing earlier: stays missing */
        7,   NAN, 8,   NAN, /* -> 8 (period 2) */
    };
    double col[] = {NAN, NAN, NAN};
    double present[] = {4, NAN, 5};
    (void)state;

    assert_int_equal(impute_carry(series, 3, 4, 3, col), 2);
    assert_near(col[0], 2, 0);
    assert_true(isnan(col[1]));
    assert_near(col[2], 8, 0);
    assert_int_equal(impute_carry(series, 3, 4, 0, present), 0); /* nothing before period 0 */
    assert_near(present[0], 4, 0);
    assert_int_equal(impute_carry(series, 3, 4, 4, col), -EINVAL);
}

/* 4 units x 5 indicators with 5, 4, 3 and 0 present: 100 %, 80 %, 60 %, 0 %. */
static void test_screen_min_share(void **state)
{
    const double y[] = {
        1, 2, 3, 4, 5, 1, NAN, 3, 4, 5, NAN, 2, NAN, 4, 5, NAN, NAN, NAN, NAN, NAN,
    };
    unsigned char kept[4];
    (void)state;

    assert_int_equal(screen_units(y, 4, 5, 0.9, kept), 1);
    assert_int_equal(kept[0], 1);
    assert_int_equal(kept[1], 0);
    assert_int_equal(screen_units(y, 4, 5, 0.8, kept), 2); /* 4 of 5 is exactly 0.8 */
    assert_int_equal(kept[1], 1);
    assert_int_equal(kept[2], 0);
    assert_int_equal(screen_units(y, 4, 5, 0.6, kept), 3);
    assert_int_equal(screen_units(y, 4, 5, 0, kept), 4); /* 0: off */
    assert_int_equal(kept[3], 1);
    assert_int_equal(screen_units(NULL, 4, 0, 0.5, kept), 4); /* no indicators: all kept */
    assert_int_equal(screen_units(y, 4, 5, NAN, kept), -EINVAL);
    assert_int_equal(screen_units(y, 4, 5, 0.5, NULL), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_group_ids_first_appearance_and_null),
        cmocka_unit_test(test_group_mean_fills_from_present_values_only),
        cmocka_unit_test(test_carry_takes_latest_earlier_value),
        cmocka_unit_test(test_screen_min_share),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
