/*
 * test_weights.c - derived weights (aggregate/weights.h) on small matrices
 * whose weights follow in closed form, each derivation in its comment. The
 * same functions are checked against numpy on random matrices by
 * tests/weights_numpy.py.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "aggregate/weights.h"
#include "test_support.h"

static void test_weights_cv(void **state)
{
    (void)state;
    /* a = 1 2 3: mean 2, sd 1, cv 1/2; b = 10 10 13: mean 11, squares 1 1 4,
     * sd sqrt(6 / 2) = sqrt 3, cv sqrt(3) / 11. A unit with a NAN is left out. */
    const double x[8] = {1, 10, 2, 10, 3, 13, NAN, 100};
    double w[2], va = 0.5, vb = sqrt(3) / 11;
    assert_int_equal(weights_cv(x, 4, 2, w), 0);
    assert_near(w[0], va / (va + vb), 1e-15);
    assert_near(w[1], vb / (va + vb), 1e-15);
    /* a zero mean has no coefficient of variation */
    const double z[4] = {-1, 1, 1, 2};
    assert_int_equal(weights_cv(z, 2, 2, w), -EDOM);
}

static void test_weights_entropy(void **state)
{
    (void)state;
    /* two units. a = 1 1: p = 1/2 1/2, e = 1, d = 0. b = 1 3: p = 1/4 3/4,
     * e = -(1/4 ln 1/4 + 3/4 ln 3/4) / ln 2, d = 1 - e. c = 0 2: p = 0 1, e = 0,
     * d = 1. */
    const double x[6] = {1, 1, 0, 1, 3, 2};
    double w[3];
    double db = 1 + (0.25 * log(0.25) + 0.75 * log(0.75)) / log(2);
    assert_int_equal(weights_entropy(x, 2, 3, w), 0);
    assert_near(w[0], 0, 1e-15);
    assert_near(w[1], db / (db + 1), 1e-15);
    assert_near(w[2], 1 / (db + 1), 1e-15);
    /* negative values are refused; evenly spread columns have no weight at all */
    const double neg[2] = {-1, 1}, even[4] = {1, 2, 1, 2};
    assert_int_equal(weights_entropy(neg, 2, 1, w), -EINVAL);
    assert_int_equal(weights_entropy(even, 2, 2, w), -EDOM);
}

static void test_weights_critic(void **state)
{
    (void)state;
    /* a = 0 1 2 (sd 1), c = 0 0 3 (mean 1, squares 1 1 4, sd sqrt 3),
     * r = (1 + 0 + 2) / (2 x 1 x sqrt 3) = sqrt(3) / 2. C_a = 1 (1 - r),
     * C_c = sqrt(3) (1 - r): w = 1 / (1 + sqrt 3), sqrt 3 / (1 + sqrt 3). */
    const double x[6] = {0, 0, 1, 0, 2, 3};
    double w[2];
    assert_int_equal(weights_critic(x, 3, 2, w), 0);
    assert_near(w[0], 1 / (1 + sqrt(3)), 1e-14);
    assert_near(w[1], sqrt(3) / (1 + sqrt(3)), 1e-14);
    /* perfectly opposed columns (r = -1) of equal spread: 1/2 each */
    const double opp[6] = {0, 2, 1, 1, 2, 0};
    assert_int_equal(weights_critic(opp, 3, 2, w), 0);
    assert_near(w[0], 0.5, 1e-15);
    /* a constant column has no correlation */
    const double flat[6] = {0, 5, 1, 5, 2, 5};
    assert_int_equal(weights_critic(flat, 3, 2, w), -EDOM);
}

static void test_weights_pca(void **state)
{
    (void)state;
    /* a = 1 2 3 4, b = 1 3 2 4, c = 1 -1 -1 1: c is uncorrelated with both
     * (centred dot products 0), corr(a, b) = 4 / 5. The correlation matrix
     * [[1 .8 0] [.8 1 0] [0 0 1]] has its largest eigenvalue 1.8 on
     * (1, 1, 0) / sqrt 2: weights 1/2 1/2 0, explained 1.8 / 3 = 0.6. */
    const double x[12] = {1, 1, 1, 2, 3, -1, 3, 2, -1, 4, 4, 1};
    double w[3], explained;
    assert_int_equal(weights_pca(x, 4, 3, w, &explained), 0);
    assert_near(w[0], 0.5, 1e-12);
    assert_near(w[1], 0.5, 1e-12);
    assert_near(w[2], 0, 1e-12);
    assert_near(explained, 0.6, 1e-12);
}

static void test_weights_ahp(void **state)
{
    (void)state;
    double w[3], lambda, cr;
    /* consistent judgements a_ij = w_i / w_j give w back, lambda = n, CR = 0 */
    const double ok[9] = {1, 5.0 / 3, 2.5, 0.6, 1, 1.5, 0.4, 2.0 / 3, 1};
    assert_int_equal(weights_ahp(ok, 3, w, &lambda, &cr), 0);
    assert_near(w[0], 0.5, 1e-13);
    assert_near(w[1], 0.3, 1e-13);
    assert_near(w[2], 0.2, 1e-13);
    assert_near(lambda, 3, 1e-12);
    assert_near(cr, 0, 1e-12);
    /* the textbook matrix [[1 3 5] [1/3 1 3] [1/5 1/3 1]] (e.g. Saaty 1980's
     * style of example): weights about .637 .258 .105, lambda 3.0385, CR 0.033 */
    const double t[9] = {1, 3, 5, 1.0 / 3, 1, 3, 0.2, 1.0 / 3, 1};
    assert_int_equal(weights_ahp(t, 3, w, &lambda, &cr), 0);
    assert_near(w[0], 0.637, 5e-4);
    assert_near(w[1], 0.258, 5e-4);
    assert_near(w[2], 0.105, 5e-4);
    assert_near(lambda, 3.0385, 5e-5);
    assert_near(cr, (lambda - 3) / 2 / 0.58, 1e-15);
    assert_true(cr < 0.1);
    /* contradictory (A > B > C > A, strongly): CR far above 0.1 */
    const double cyc[9] = {1, 9, 1.0 / 9, 1.0 / 9, 1, 9, 9, 1.0 / 9, 1};
    assert_int_equal(weights_ahp(cyc, 3, w, &lambda, &cr), 0);
    assert_true(cr > 1);
    /* not reciprocal, not positive */
    const double bad[4] = {1, 2, 2, 1}, neg[4] = {1, -2, -0.5, 1};
    assert_int_equal(weights_ahp(bad, 2, w, NULL, NULL), -EINVAL);
    assert_int_equal(weights_ahp(neg, 2, w, NULL, NULL), -EINVAL);
    assert_near(weights_ahp_ri(10), 1.49, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weights_cv),     cmocka_unit_test(test_weights_entropy),
        cmocka_unit_test(test_weights_critic), cmocka_unit_test(test_weights_pca),
        cmocka_unit_test(test_weights_ahp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
