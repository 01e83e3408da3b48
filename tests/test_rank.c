/*
 * test_rank.c - competition ranks within sibling groups, rank changes.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "aggregate/rank.h"
#include "test_support.h"

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

/* The definition, checked on random data: rank = 1 + the number of units of
 * the same group with a higher score. Negative scores, -0.0 and 0.0, +-inf,
 * many ties, negative and large group ids, missing scores. */
static void test_rank_matches_definition_on_random_data(void **state)
{
    (void)state;
    enum { N = 1500 };
    static const double pool[] = {
        0.0, -0.0, 1.5, -1.5, 1e300, -1e-300, 75, 75.000000000000014, INFINITY, -INFINITY};
    static double s[N], r[N];
    static int g[N];
    uint64_t x = 20261125;
    /* sizes on both sides of the insertion sort / radix sort switch (64) */
    static const int sizes[] = {N, N, 7, 63, 64, 65, N, 40, N, 2, N, 1};
    for (int round = 0; round < 12; round++) {
        const int n = sizes[round];
        for (int i = 0; i < n; i++) {
            x = x * 6364136223846793005u + 1442695040888963407u;
            unsigned v = (unsigned)(x >> 33);
            s[i] = v % 7 == 0   ? NAN
                   : v % 3 == 0 ? pool[v / 7 % 10]
                                : (double)((int)(v % 2001) - 1000) / 8;
            g[i] = round % 2 ? (int)(v >> 20) % 5 - 2 : (v & 1 ? 70000 : -70000);
        }
        assert_int_equal(rank_desc(s, round < 2 ? NULL : g, (size_t)n, r), 0);
        for (int i = 0; i < n; i++) {
            if (isnan(s[i])) {
                assert_true(isnan(r[i]));
                continue;
            }
            int higher = 0;
            for (int j = 0; j < n; j++)
                higher += !isnan(s[j]) && (round < 2 || g[j] == g[i]) && s[j] > s[i];
            assert_near(r[i], 1 + higher, 0);
        }
    }
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
        cmocka_unit_test(test_rank_matches_definition_on_random_data),
        cmocka_unit_test(test_rank_change_is_previous_minus_current),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
