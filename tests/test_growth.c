/*
 * test_growth.c - YoY, period-on-period, cumulative YoY and annualised growth.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "aggregate/growth.h"
#include "test_support.h"

static const struct {
    double cur, base, want; /* want NAN: undefined */
} pct_rows[] = {
    {110, 100, 10},  /* 110/100 - 1 = +10 % */
    {90, 100, -10},  /* -10 % */
    {-5, -10, 50},   /* (-5 - -10) / |-10| = +50 %: a smaller loss is growth */
    {5, 0, NAN},     /* zero base */
    {NAN, 100, NAN}, /* missing current */
    {100, NAN, NAN}, /* missing base */
    {INFINITY, 1, NAN},
};

static void test_growth_pct_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(pct_rows) / sizeof(pct_rows[0]); i++) {
        double g = growth_pct(pct_rows[i].cur, pct_rows[i].base);
        if (isnan(pct_rows[i].want)) {
            assert_true(isnan(g));
        } else {
            assert_near(g, pct_rows[i].want, 1e-12);
        }
    }
}

static void test_growth_yoy_on_quarters_and_pop(void **state)
{
    (void)state;
    /* 2022Q1..2023Q2: 100 120 130 150 | 110 0 ; YoY lag 4 */
    double x[6] = {100, 120, 130, 150, 110, 0}, out[6];
    assert_int_equal(growth_lagged(x, 6, 4, out), 0);
    for (int t = 0; t < 4; t++) {
        assert_true(isnan(out[t]));
    }
    assert_near(out[4], 10, 1e-12);   /* 110/100 - 1 */
    assert_near(out[5], -100, 1e-12); /* 0/120 - 1 */
    /* period-on-period: 120/100 - 1 = 20 %; 130/120 - 1 = 8.3333 %; 110 -> 0 = -100 %; */
    assert_int_equal(growth_lagged(x, 6, 1, out), 0);
    assert_near(out[1], 20, 1e-12);
    assert_near(out[2], 100.0 / 12.0, 1e-12);
    assert_near(out[5], -100, 1e-12);
    /* in place: same result */
    assert_int_equal(growth_lagged(x, 6, 1, x), 0);
    assert_near(x[2], 100.0 / 12.0, 1e-12);
    assert_near(x[4], (110.0 / 150.0 - 1) * 100, 1e-12);
    assert_int_equal(growth_lagged(x, 6, -1, out), -EINVAL);
}

static void test_growth_cumulative_yoy_zero_base_is_nan(void **state)
{
    (void)state;
    /* cumulative Jan..Mar 2022 = 0, 40, 90; 2023 = 10, 50, 99 */
    double cum[15] = {0, 40, 90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 50, 99}, out[15];
    assert_int_equal(growth_lagged(cum, 15, 12, out), 0);
    assert_true(isnan(out[12]));     /* base 0: NAN, never inf */
    assert_near(out[13], 25, 1e-12); /* 50/40 - 1 */
    assert_near(out[14], 10, 1e-12); /* 99/90 - 1 */
}

static void test_growth_annualised(void **state)
{
    (void)state;
    /* 100 -> 121 over 2 years: sqrt(1.21) - 1 = 10 % */
    assert_near(growth_annualised(100, 121, 2), 10, 1e-9);
    /* 100 -> 133.1 over 3 years: 1.331^(1/3) = 1.1 */
    assert_near(growth_annualised(100, 133.1, 3), 10, 1e-9);
    /* 200 -> 50 over 2 years: 0.25^(1/2) - 1 = -50 % */
    assert_near(growth_annualised(200, 50, 2), -50, 1e-9);
    assert_near(growth_annualised(200, 0, 2), -100, 1e-9);
    assert_true(isnan(growth_annualised(-100, 121, 2))); /* negative base */
    assert_true(isnan(growth_annualised(0, 121, 2)));    /* zero base */
    assert_true(isnan(growth_annualised(100, -1, 2)));
    assert_true(isnan(growth_annualised(100, 121, 0)));
    assert_true(isnan(growth_annualised(NAN, 121, 2)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_growth_pct_table),
        cmocka_unit_test(test_growth_yoy_on_quarters_and_pop),
        cmocka_unit_test(test_growth_cumulative_yoy_zero_base_is_nan),
        cmocka_unit_test(test_growth_annualised),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
