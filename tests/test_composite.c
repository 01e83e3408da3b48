/*
 * test_composite.c - arithmetic / geometric scores over a small tree, reweighting
 * and exclusion of missing children, effective weights and contributions.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "aggregate/composite.h"
#include "test_support.h"

/*
 * 0 root
 * 1 A (weight 2): 3 a1 (w 1, column 0), 4 a2 (w 3, column 1)
 * 2 B (weight 1): 5 b1 (w 1, column 2)
 * Effective weights: a1 = 2/3 x 1/4 = 1/6, a2 = 2/3 x 3/4 = 1/2, b1 = 1/3.
 */
static const struct composite_node tree[6] = {
    {-1, 1, -1}, {0, 2, -1}, {0, 1, -1}, {1, 1, 0}, {1, 3, 1}, {2, 1, 2},
};

static void test_composite_arithmetic_two_units(void **state)
{
    (void)state;
    const double y[6] = {40, 80, 60, /* unit 1: */ 40, NAN, 60};
    double s[12];
    unsigned f[12];
    assert_int_equal(
        composite_scores(tree, 6, y, 2, 3, COMPOSITE_ARITHMETIC, COMPOSITE_REWEIGHT, s, f), 0);
    /* A = (40 + 3 x 80) / 4 = 70; B = 60; root = (2 x 70 + 60) / 3 = 66.6667 */
    assert_near(s[1], 70, 1e-12);
    assert_near(s[2], 60, 1e-12);
    assert_near(s[0], 200.0 / 3.0, 1e-12);
    assert_int_equal(f[0], COMPOSITE_OK);
    /* unit 1, a2 missing: A = 40 (reweighted), root = (80 + 60) / 3 = 46.6667 */
    assert_near(s[6 + 1], 40, 1e-12);
    assert_int_equal(f[6 + 1], COMPOSITE_REWEIGHTED);
    assert_near(s[6 + 0], 140.0 / 3.0, 1e-12);
    assert_int_equal(f[6 + 0], COMPOSITE_OK);
    assert_int_equal(f[6 + 4], COMPOSITE_MISSING);
}

static void test_composite_exclude_propagates_up(void **state)
{
    (void)state;
    const double y[3] = {40, NAN, 60};
    double s[6];
    unsigned f[6];
    assert_int_equal(
        composite_scores(tree, 6, y, 1, 3, COMPOSITE_ARITHMETIC, COMPOSITE_EXCLUDE, s, f), 0);
    assert_true(isnan(s[1]) && isnan(s[0]));
    assert_int_equal(f[1], COMPOSITE_EXCLUDED);
    assert_int_equal(f[0], COMPOSITE_EXCLUDED);
    assert_near(s[2], 60, 1e-12); /* B is complete */
}

static void test_composite_whole_branch_missing_reweights_root(void **state)
{
    (void)state;
    const double y[3] = {NAN, NAN, 60};
    double s[6];
    unsigned f[6];
    assert_int_equal(
        composite_scores(tree, 6, y, 1, 3, COMPOSITE_ARITHMETIC, COMPOSITE_REWEIGHT, s, f), 0);
    assert_int_equal(f[1], COMPOSITE_MISSING);
    assert_near(s[0], 60, 1e-12);
    assert_int_equal(f[0], COMPOSITE_REWEIGHTED);
}

static void test_composite_geometric(void **state)
{
    (void)state;
    const double y[3] = {40, 80, 60};
    double s[6];
    unsigned f[6];
    assert_int_equal(
        composite_scores(tree, 6, y, 1, 3, COMPOSITE_GEOMETRIC, COMPOSITE_REWEIGHT, s, f), 0);
    /* A = 40^(1/4) 80^(3/4) = 67.271713; root = A^(2/3) 60^(1/3) = 64.754816 (Python) */
    assert_near(s[1], pow(40, 0.25) * pow(80, 0.75), 1e-9);
    assert_near(s[1], 67.2717132203, 1e-9);
    assert_near(s[0], 64.7548162744, 1e-9);
    /* a zero under the geometric mean: NAN and flagged */
    const double z[3] = {0, 80, 60};
    assert_int_equal(
        composite_scores(tree, 6, z, 1, 3, COMPOSITE_GEOMETRIC, COMPOSITE_REWEIGHT, s, f), 0);
    assert_int_equal(f[1], COMPOSITE_NONPOSITIVE);
    assert_true(isnan(s[1]));
}

static void test_composite_effective_weights(void **state)
{
    (void)state;
    const double y[3] = {40, 80, 60}, y_gap[3] = {40, NAN, 60};
    double w[6];
    assert_int_equal(
        composite_effective_weights(tree, 6, 0, y, 3, COMPOSITE_ARITHMETIC, COMPOSITE_REWEIGHT, w),
        0);
    assert_near(w[3], 1.0 / 6.0, 1e-12);
    assert_near(w[4], 0.5, 1e-12);
    assert_near(w[5], 1.0 / 3.0, 1e-12);
    assert_near(w[1], 2.0 / 3.0, 1e-12);
    assert_near(w[0], 1, 1e-12);
    /* a2 missing: a1 carries A's whole 2/3 */
    assert_int_equal(composite_effective_weights(tree, 6, 0, y_gap, 3, COMPOSITE_ARITHMETIC,
                                                 COMPOSITE_REWEIGHT, w),
                     0);
    assert_near(w[3], 2.0 / 3.0, 1e-12);
    assert_near(w[4], 0, 0);
    /* within A only: a1 1/4, a2 3/4, b1 outside */
    assert_int_equal(
        composite_effective_weights(tree, 6, 1, y, 3, COMPOSITE_ARITHMETIC, COMPOSITE_REWEIGHT, w),
        0);
    assert_near(w[3], 0.25, 1e-12);
    assert_near(w[4], 0.75, 1e-12);
    assert_near(w[5], 0, 0);
}

static void test_composite_arithmetic_contributions_sum_to_change(void **state)
{
    (void)state;
    const double y0[3] = {40, 80, 60}, y1[3] = {50, NAN, 90};
    double c[6], s0, s1;
    assert_int_equal(composite_contrib(tree, 6, 0, y0, y1, 3, COMPOSITE_ARITHMETIC,
                                       COMPOSITE_REWEIGHT, c, &s0, &s1),
                     0);
    /* S0 = 66.6667, S1 = (2 x 50 + 90) / 3 = 63.3333 */
    assert_near(s0, 200.0 / 3.0, 1e-12);
    assert_near(s1, 190.0 / 3.0, 1e-12);
    /* a1: 2/3 x 50 - 1/6 x 40 = 26.6667; a2: 0 - 1/2 x 80 = -40; b1: 30 - 20 = 10 */
    assert_near(c[3], 80.0 / 3.0, 1e-12);
    assert_near(c[4], -40, 1e-12);
    assert_near(c[5], 10, 1e-12);
    assert_near(c[0] + c[1] + c[2], 0, 0);
    assert_near(c[3] + c[4] + c[5], s1 - s0, 1e-12);
}

static void test_composite_geometric_contributions_log_split(void **state)
{
    (void)state;
    const double y0[3] = {40, 80, 60}, y1[3] = {50, 80, 90};
    double c[6], s0, s1;
    assert_int_equal(composite_contrib(tree, 6, 0, y0, y1, 3, COMPOSITE_GEOMETRIC,
                                       COMPOSITE_REWEIGHT, c, &s0, &s1),
                     0);
    /*
     * S0 = 64.754816, S1 = 76.934446, L = (S1 - S0) / ln(S1 / S0) = 70.669792;
     * a1: 1/6 ln(50/40) L = 2.628251; a2: 0; b1: 1/3 ln(90/60) L = 9.551378 (Python)
     */
    assert_near(c[3], 2.6282513992, 1e-9);
    assert_near(c[4], 0, 1e-12);
    assert_near(c[5], 9.5513783073, 1e-9);
    assert_near(c[3] + c[4] + c[5], s1 - s0, 1e-9);
    /* no change: contributions 0 */
    assert_int_equal(composite_contrib(tree, 6, 0, y0, y0, 3, COMPOSITE_GEOMETRIC,
                                       COMPOSITE_REWEIGHT, c, NULL, NULL),
                     0);
    assert_near(c[3] + c[4] + c[5], 0, 1e-12);
}

static void test_composite_contrib_missing_score_and_bad_tree(void **state)
{
    (void)state;
    const double y0[3] = {NAN, NAN, NAN}, y1[3] = {1, 2, 3};
    double c[6], s[6];
    assert_int_equal(composite_contrib(tree, 6, 0, y0, y1, 3, COMPOSITE_ARITHMETIC,
                                       COMPOSITE_REWEIGHT, c, NULL, NULL),
                     1);
    assert_true(isnan(c[3]));
    const struct composite_node leaf_with_child[2] = {{-1, 1, 0}, {0, 1, 1}};
    assert_int_equal(composite_scores(leaf_with_child, 2, y1, 1, 3, COMPOSITE_ARITHMETIC,
                                      COMPOSITE_REWEIGHT, s, NULL),
                     -EINVAL);
    const struct composite_node cycle[2] = {{1, 1, -1}, {0, 1, -1}};
    assert_int_equal(
        composite_scores(cycle, 2, y1, 1, 3, COMPOSITE_ARITHMETIC, COMPOSITE_REWEIGHT, s, NULL),
        -EINVAL);
    const struct composite_node bad_col[1] = {{-1, 1, 3}};
    assert_int_equal(
        composite_scores(bad_col, 1, y1, 1, 3, COMPOSITE_ARITHMETIC, COMPOSITE_REWEIGHT, s, NULL),
        -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_composite_arithmetic_two_units),
        cmocka_unit_test(test_composite_exclude_propagates_up),
        cmocka_unit_test(test_composite_whole_branch_missing_reweights_root),
        cmocka_unit_test(test_composite_geometric),
        cmocka_unit_test(test_composite_effective_weights),
        cmocka_unit_test(test_composite_arithmetic_contributions_sum_to_change),
        cmocka_unit_test(test_composite_geometric_contributions_log_split),
        cmocka_unit_test(test_composite_contrib_missing_score_and_bad_tree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
