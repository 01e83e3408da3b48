/*
 * test_normalise.c - fixed base, chained, min-max, z-score, efficacy, goalposts,
 * rank and banded normalisation on hand-computed values.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "aggregate/normalise.h"
#include "test_support.h"

static void expect(const double *got, const double *want, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (isnan(want[i])) {
            assert_true(isnan(got[i]));
        } else {
            assert_near(got[i], want[i], 1e-9);
        }
    }
}

static void test_normalise_fixed_base_both_directions(void **state)
{
    (void)state;
    const double x[4] = {80, 100, 120, 0};
    double out[4];
    /* base x[1] = 100: 80, 100, 120, 0 */
    assert_int_equal(normalise_fixed_base(x, 4, 1, 1, out), 0);
    expect(out, (const double[]){80, 100, 120, 0}, 4);
    /* negative: 100/80 x 100 = 125, 100, 100/120 x 100 = 83.333, 100/0 -> NAN */
    assert_int_equal(normalise_fixed_base(x, 4, 1, -1, out), 0);
    expect(out, (const double[]){125, 100, 250.0 / 3.0, NAN}, 4);
    /* base 0 -> all NAN */
    assert_int_equal(normalise_fixed_base(x, 4, 3, 1, out), 0);
    expect(out, (const double[]){NAN, NAN, NAN, NAN}, 4);
    assert_int_equal(normalise_fixed_base(x, 4, 4, 1, out), -EINVAL);
    assert_int_equal(normalise_fixed_base(x, 4, 0, 0, out), -EINVAL);
}

static void test_normalise_chained_index(void **state)
{
    (void)state;
    /* A: 100 110 121, B: 50 50 40, weights 0.6 / 0.4 */
    double x[6] = {100, 110, 121, 50, 50, 40};
    const double w[2] = {0.6, 0.4};
    double out[3];
    /* I1 = 100 (1 + 0.6 (0.1) + 0.4 (0)) = 106; I2 = 106 (1 + 0.06 - 0.08) = 103.88 */
    assert_int_equal(normalise_chained(x, w, NULL, 2, 3, 1, out), 0);
    expect(out, (const double[]){100, 106, 103.88}, 3);
    /* B negative: its t2 ratio is 50/40 = 1.25: I2 = 106 (1 + 0.06 + 0.1) = 122.96 */
    const int dir[2] = {1, -1};
    assert_int_equal(normalise_chained(x, w, dir, 2, 3, 1, out), 0);
    expect(out, (const double[]){100, 106, 122.96}, 3);
    /* B missing at t2: A alone, weight renormalised to 1: I2 = 106 x 1.1 = 116.6 */
    x[5] = NAN;
    assert_int_equal(normalise_chained(x, w, NULL, 2, 3, 1, out), 0);
    expect(out, (const double[]){100, 106, 116.6}, 3);
    /* no item at t1: the chain breaks for good */
    double y[6] = {100, NAN, 121, 50, NAN, 40};
    assert_int_equal(normalise_chained(y, w, NULL, 2, 3, 1, out), 0);
    expect(out, (const double[]){100, NAN, NAN}, 3);
    const double bad_w[2] = {0.6, 0};
    assert_int_equal(normalise_chained(x, bad_w, NULL, 2, 3, 1, out), -EINVAL);
    assert_int_equal(normalise_chained(x, w, NULL, 2, 3, 0, out), -EINVAL);
    /* no item at the start: missing, not 100, and the chain never starts */
    double z[6] = {NAN, 110, 121, NAN, 50, 40};
    assert_int_equal(normalise_chained(z, w, NULL, 2, 3, 1, out), 0);
    expect(out, (const double[]){NAN, NAN, NAN}, 3);
}

static void test_normalise_chained_same_season(void **state)
{
    (void)state;
    /* two years of quarters, lag 4: each quarter chained to the same quarter a
     * year before. One item 40 60 80 120 | 44 63 NAN 132: I = 100 100 100 100 |
     * 110 105 NAN 110 (44/40, 63/60, 132/120); the missing Q3 breaks only Q3. */
    const double x[8] = {40, 60, 80, 120, 44, 63, NAN, 132};
    const double w[1] = {1};
    double out[8];
    assert_int_equal(normalise_chained(x, w, NULL, 1, 8, 4, out), 0);
    expect(out, (const double[]){100, 100, 100, 100, 110, 105, NAN, 110}, 8);
    /* a missing start of one season: that season's chain is missing */
    const double y[8] = {40, NAN, 80, 120, 44, 63, 88, 132};
    assert_int_equal(normalise_chained(y, w, NULL, 1, 8, 4, out), 0);
    expect(out, (const double[]){100, NAN, 100, 100, 110, NAN, 110, 110}, 8);
}

static void test_normalise_minmax_direction_and_zero_range(void **state)
{
    (void)state;
    const double x[4] = {2, 4, 10, NAN};
    double out[4];
    /* (x - 2) / 8 x 100: 0, 25, 100 */
    assert_int_equal(normalise_minmax(x, 4, 1, out), 0);
    expect(out, (const double[]){0, 25, 100, NAN}, 4);
    assert_int_equal(normalise_minmax(x, 4, -1, out), 0);
    expect(out, (const double[]){100, 75, 0, NAN}, 4);
    /* zero range: all 50 (our decision; COINr gives NaN), reported by returning 1 */
    const double flat[3] = {3, 3, NAN};
    assert_int_equal(normalise_minmax(flat, 3, -1, out), 1);
    expect(out, (const double[]){50, 50, NAN}, 3);
}

static void test_normalise_zscore_sample_sd(void **state)
{
    (void)state;
    const double x[4] = {2, NAN, 4, 6};
    double out[4];
    /* mean 4, sd = sqrt((4 + 0 + 4) / (3 - 1)) = 2 */
    assert_int_equal(normalise_zscore(x, 4, 1, out), 0);
    expect(out, (const double[]){-1, NAN, 0, 1}, 4);
    assert_int_equal(normalise_zscore(x, 4, -1, out), 0);
    expect(out, (const double[]){1, NAN, 0, -1}, 4);
    /* 1, 2, 3, 4, 10: mean 4, sd = sqrt(50 / 4) = 3.5355: (10 - 4) / 3.5355 = 1.697056 */
    const double y[5] = {1, 2, 3, 4, 10};
    double o5[5];
    assert_int_equal(normalise_zscore(y, 5, 1, o5), 0);
    assert_near(o5[4], 6.0 / sqrt(12.5), 1e-12);
    const double flat[2] = {7, 7};
    assert_int_equal(normalise_zscore(flat, 2, 1, out), 1);
    expect(out, (const double[]){0, 0}, 2);
}

static void test_normalise_efficacy_coefficient(void **state)
{
    (void)state;
    double out[3];
    /* configured: 60 + 40 (5.81 - 6) / (12 - 6) = 60 - 1.266667 = 58.733333 */
    const double one[1] = {5.81};
    assert_int_equal(normalise_efficacy(one, 1, 1, 6, 12, out), 0);
    assert_near(out[0], 58.7333333333, 1e-9);
    assert_near(round(out[0] * 100) / 100, 58.73, 1e-12);
    /* observed min/max: 6 -> 60, 9 -> 80, 12 -> 100 */
    const double x[3] = {6, 9, 12};
    assert_int_equal(normalise_efficacy(x, 3, 1, NAN, NAN, out), 0);
    expect(out, (const double[]){60, 80, 100}, 3);
    /* negative: worst is the max: 6 -> 100, 12 -> 60 */
    assert_int_equal(normalise_efficacy(x, 3, -1, NAN, NAN, out), 0);
    expect(out, (const double[]){100, 80, 60}, 3);
    const double flat[2] = {4, 4};
    assert_int_equal(normalise_efficacy(flat, 2, 1, NAN, NAN, out), 1);
    expect(out, (const double[]){80, 80}, 2);
}

static void test_normalise_goalposts_clip(void **state)
{
    (void)state;
    const double x[4] = {-10, 25, 60, NAN};
    double out[4];
    /* lo 0, hi 50: -20 % clipped to 0, 50, 120 % clipped to 100 */
    assert_int_equal(normalise_goalposts(x, 4, 1, 0, 50, out), 0);
    expect(out, (const double[]){0, 50, 100, NAN}, 4);
    assert_int_equal(normalise_goalposts(x, 4, -1, 0, 50, out), 0);
    expect(out, (const double[]){100, 50, 0, NAN}, 4);
    assert_int_equal(normalise_goalposts(x, 4, 1, 5, 5, out), -EINVAL);
}

static void test_normalise_rank_average_ties(void **state)
{
    (void)state;
    const double x[5] = {10, 20, 20, 40, NAN};
    double out[5];
    /* ranks 1, 2.5, 2.5, 4 of m = 4: (r - 1) / 3 x 100 = 0, 50, 50, 100 */
    assert_int_equal(normalise_rank(x, 5, 1, out), 0);
    expect(out, (const double[]){0, 50, 50, 100, NAN}, 5);
    assert_int_equal(normalise_rank(x, 5, -1, out), 0);
    expect(out, (const double[]){100, 50, 50, 0, NAN}, 5);
    const double one[1] = {3};
    assert_int_equal(normalise_rank(one, 1, 1, out), 0);
    assert_near(out[0], 100, 0);
}

static void test_normalise_banded_points(void **state)
{
    (void)state;
    const double x[6] = {5, 10, 15, 20, 25, NAN};
    const double breaks[2] = {10, 20}, points[3] = {0, 50, 100};
    double out[6];
    /* < 10: 0; [10, 20): 50; >= 20: 100 */
    assert_int_equal(normalise_banded(x, 6, breaks, points, 2, out), 0);
    expect(out, (const double[]){0, 50, 50, 100, 100, NAN}, 6);
    const double unsorted[2] = {20, 10};
    assert_int_equal(normalise_banded(x, 6, unsorted, points, 2, out), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalise_fixed_base_both_directions),
        cmocka_unit_test(test_normalise_chained_index),
        cmocka_unit_test(test_normalise_chained_same_season),
        cmocka_unit_test(test_normalise_minmax_direction_and_zero_range),
        cmocka_unit_test(test_normalise_zscore_sample_sd),
        cmocka_unit_test(test_normalise_efficacy_coefficient),
        cmocka_unit_test(test_normalise_goalposts_clip),
        cmocka_unit_test(test_normalise_rank_average_ties),
        cmocka_unit_test(test_normalise_banded_points),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
