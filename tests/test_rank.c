/*
 * test_rank.c - competition ranks within sibling groups, rank changes.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

/* cmocka's assert_float_equal compares floats; this compares doubles. */
#define assert_near(a, b, eps)                                                                     \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(fabs(a_ - b_) <= (eps))) {                                                           \
            fail_msg("%.15g != %.15g (+- %g)", a_, b_, (double)(eps));                             \
        }                                                                                          \
    } while (0)

#include "aggregate/rank.h"

static void test_rank_ties_share_min_rank_1224(void **state)
{
    (void)state;
    const double s[5] = {90, 80, 80, NAN, 70};
    double r[5];
    assert_int_equal(rank_desc(s, NULL, 5, r), 0);
    assert_near(r[0], 1, 0);
    assert_near(r[1], 2, 0);
    assert_near(r[2], 2, 0);
    assert_true(isnan(r[3])); /* unranked, takes no place */
    assert_near(r[4], 4, 0);
    assert_int_equal(rank_desc(s, NULL, 5, (double *)s), -EINVAL);
}

static void test_rank_within_sibling_groups(void **state)
{
    (void)state;
    /* parks of city 1: 50, 60; of city 2: 10, 40, 40 */
    const double s[5] = {50, 60, 10, 40, 40};
    const int g[5] = {1, 1, 2, 2, 2};
    double r[5];
    assert_int_equal(rank_desc(s, g, 5, r), 0);
    assert_near(r[0], 2, 0);
    assert_near(r[1], 1, 0);
    assert_near(r[2], 3, 0);
    assert_near(r[3], 1, 0);
    assert_near(r[4], 1, 0);
}

static void test_rank_change_is_previous_minus_current(void **state)
{
    (void)state;
    const double prev[4] = {3, 1, NAN, 2}, cur[4] = {1, 2, 1, NAN};
    double c[4];
    assert_int_equal(rank_change(prev, cur, 4, c), 0);
    assert_near(c[0], 2, 0);  /* 3 -> 1: up two places */
    assert_near(c[1], -1, 0); /* 1 -> 2: down one */
    assert_true(isnan(c[2]) && isnan(c[3]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rank_ties_share_min_rank_1224),
        cmocka_unit_test(test_rank_within_sibling_groups),
        cmocka_unit_test(test_rank_change_is_previous_minus_current),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
