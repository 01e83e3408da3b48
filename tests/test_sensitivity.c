/*
 * test_sensitivity.c - the Monte Carlo uncertainty and sensitivity analysis
 * (aggregate/sensitivity.h) on two-unit indices whose rank swap probability
 * is known in closed form, each derivation in its comment.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "aggregate/sensitivity.h"
#include "test_support.h"

/* root (node 0) over two indicator leaves with weights w0, w1 */
static void tree(struct composite_node nodes[3], double w0, double w1)
{
    nodes[0] = (struct composite_node){-1, 1, -1};
    nodes[1] = (struct composite_node){0, w0, 0};
    nodes[2] = (struct composite_node){0, w1, 1};
}

static void test_sens_weights_swap_probability(void **state)
{
    (void)state;
    /* A = (60, 40), B = (40, 60), weights 0.6 / 0.4: A 52, B 48, A first.
     * Weights times U(0.5, 1.5): A stays first iff 0.6 a > 0.4 b with a, b
     * uniform on [0.5, 1.5], i.e. b < 1.5 a: P = E[min(1, 1.5 a - 0.5)] =
     * 0.5 x 0.625 + 0.5 x 1 = 0.8125. So both units shift by one rank with
     * probability 0.1875: the mean shift is 0.1875, A's 95th percentile rank is
     * 2 (18.75 % > 5 %) and its median 1; weights are the only assumption
     * varied, so they carry all of it (S = 1). */
    struct composite_node nodes[3];
    const double y[4] = {60, 40, 40, 60};
    struct sens_opts o = {.runs = 20000, .seed = 7, .weight_spread = 0.5};
    struct sens_result r, r2;

    tree(nodes, 0.6, 0.4);
    assert_int_equal(
        sens_run(nodes, 3, y, NULL, NULL, 2, 2, COMPOSITE_ARITHMETIC, COMPOSITE_REWEIGHT, &o, &r),
        0);
    assert_near(r.units[0].nominal, 1, 0);
    assert_near(r.units[1].nominal, 2, 0);
    /* 3 sigma of a proportion over 20,000 runs: 3 sqrt(.8125 x .1875 / 20000) = 0.0083 */
    assert_near(r.mean_shift, 0.1875, 0.0083);
    assert_near(r.units[0].median, 1, 0);
    assert_near(r.units[0].p05, 1, 0);
    assert_near(r.units[0].p95, 2, 0);
    assert_near(r.first_order[SENS_WEIGHTS], 1, 1e-12);
    assert_true(isnan(r.first_order[SENS_AGGREGATION]));
    assert_int_equal(r.evaluations, 1 + 2 * 20000);
    /* the same seed, the same answer; another seed, other draws */
    assert_int_equal(
        sens_run(nodes, 3, y, NULL, NULL, 2, 2, COMPOSITE_ARITHMETIC, COMPOSITE_REWEIGHT, &o, &r2),
        0);
    assert_true(r2.mean_shift == r.mean_shift);
    sens_result_free(&r2);
    o.seed = 8;
    assert_int_equal(
        sens_run(nodes, 3, y, NULL, NULL, 2, 2, COMPOSITE_ARITHMETIC, COMPOSITE_REWEIGHT, &o, &r2),
        0);
    assert_true(r2.mean_shift != r.mean_shift);
    sens_result_free(&r2);
    sens_result_free(&r);
}

static void test_sens_aggregation_decides(void **state)
{
    (void)state;
    /* A = (100, 1), B = (30, 30), equal weights: arithmetic A 50.5 > B 30,
     * geometric A sqrt(100) = 10 < B 30. Aggregation drawn half and half: the
     * ranks swap in half the runs (mean shift 1/2, 3 sigma 0.0106 over 20,000).
     * Weights within +-10 % never change either order (arithmetic needs A's
     * 100 w0 + w1 below 30 (w0 + w1); geometric needs 100^w0 above 30), so the
     * first-order index of aggregation is 1 and that of weights 0, up to the
     * estimator's noise. */
    struct composite_node nodes[3];
    const double y[4] = {100, 1, 30, 30};
    struct sens_opts o = {.runs = 20000, .seed = 1, .weight_spread = 0.1, .vary_aggregation = 1};
    struct sens_result r;

    tree(nodes, 1, 1);
    assert_int_equal(
        sens_run(nodes, 3, y, NULL, NULL, 2, 2, COMPOSITE_ARITHMETIC, COMPOSITE_REWEIGHT, &o, &r),
        0);
    assert_near(r.mean_shift, 0.5, 0.0106);
    assert_near(r.first_order[SENS_AGGREGATION], 1, 0.03);
    assert_near(r.first_order[SENS_WEIGHTS], 0, 0.03);
    assert_near(r.units[0].p05, 1, 0);
    assert_near(r.units[0].p95, 2, 0);
    sens_result_free(&r);
}

static void test_sens_dominance_and_imputation(void **state)
{
    (void)state;
    /* A beats B in every indicator: no weights, normalisation or aggregation
     * can swap them (each is monotone), so every run keeps the nominal ranks
     * and no assumption has a defined share of a variance that is 0. */
    struct composite_node nodes[3];
    const double y[4] = {80, 70, 20, 10};
    struct sens_opts o = {
        .runs = 500, .seed = 3, .dirichlet = 2, .vary_normalisation = 1, .vary_aggregation = 1};
    struct sens_result r;

    tree(nodes, 0.5, 0.5);
    assert_int_equal(
        sens_run(nodes, 3, y, NULL, NULL, 2, 2, COMPOSITE_ARITHMETIC, COMPOSITE_REWEIGHT, &o, &r),
        0);
    assert_near(r.mean_shift, 0, 0);
    assert_near(r.units[1].p05, 2, 0);
    assert_near(r.units[1].p95, 2, 0);
    assert_true(isnan(r.first_order[SENS_WEIGHTS]));
    sens_result_free(&r);
    /* B's 90 was imputed: with imputation off B has only its 10 against A's
     * (20, 70) with equal weights: A 45 > B 10; on: B (90 + 10) / 2 = 50 > 45.
     * Half the runs swap. */
    const double z[4] = {20, 70, 90, 10};
    const unsigned char imp[4] = {0, 0, 1, 0};
    struct sens_opts oi = {.runs = 20000, .seed = 5, .vary_imputation = 1};
    assert_int_equal(
        sens_run(nodes, 3, z, imp, NULL, 2, 2, COMPOSITE_ARITHMETIC, COMPOSITE_REWEIGHT, &oi, &r),
        0);
    assert_near(r.units[1].nominal, 1, 0);
    assert_near(r.mean_shift, 0.5, 0.0106);
    assert_near(r.first_order[SENS_IMPUTATION], 1, 1e-12);
    sens_result_free(&r);
    /* bad options */
    struct sens_opts bad = {.runs = 1};
    assert_int_equal(
        sens_run(nodes, 3, z, NULL, NULL, 2, 2, COMPOSITE_ARITHMETIC, COMPOSITE_REWEIGHT, &bad, &r),
        -EINVAL);
    bad = (struct sens_opts){.runs = 10, .weight_spread = 2};
    assert_int_equal(
        sens_run(nodes, 3, z, NULL, NULL, 2, 2, COMPOSITE_ARITHMETIC, COMPOSITE_REWEIGHT, &bad, &r),
        -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sens_weights_swap_probability),
        cmocka_unit_test(test_sens_aggregation_decides),
        cmocka_unit_test(test_sens_dominance_and_imputation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
