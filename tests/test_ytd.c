/*
 * test_ytd.c - year-to-date to period values, Jan-Feb combined, coarsening.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>

#include <cmocka.h>

#include "aggregate/ytd.h"
#include "test_support.h"

/* cumulative revenue Jan..Jun: 10, 25, 45, 60, 80, 105 */
static const double cum6[6] = {10, 25, 45, 60, 80, 105};

static void test_ytd_months_are_differences_of_cumulatives(void **state)
{
    (void)state;
    double out[6];
    unsigned fl[6];
    assert_int_equal(ytd_periods(PERIOD_MONTH, cum6, 6, out, fl), 0);
    /* Jan = 10; Feb = 25-10 = 15; Mar = 45-25 = 20; Apr = 15; May = 20; Jun = 25 */
    const double want[6] = {10, 15, 20, 15, 20, 25};
    for (int i = 0; i < 6; i++) {
        assert_near(out[i], want[i], 1e-12);
        assert_int_equal(fl[i], YTD_OK);
    }
}

static void test_ytd_missing_month_makes_next_missing_not_zero(void **state)
{
    (void)state;
    double cum[5] = {10, 25, NAN, 60, 80};
    double out[5];
    unsigned fl[5];
    assert_int_equal(ytd_periods(PERIOD_MONTH, cum, 5, out, fl), 0);
    /* Mar (missing itself) and Apr (60 - missing) are missing; May = 80 - 60 = 20 */
    assert_true(isnan(out[2]) && isnan(out[3]));
    assert_int_equal(fl[2], YTD_MISSING);
    assert_int_equal(fl[3], YTD_MISSING);
    assert_near(out[4], 20, 1e-12);
}

static void test_ytd_jan_feb_combined_flags_two_months(void **state)
{
    (void)state;
    double cum[6] = {NAN, 25, 45, 60, 80, 105};
    double out[6], q[2];
    unsigned fl[6];
    assert_int_equal(ytd_periods(PERIOD_MONTH, cum, 6, out, fl), 0);
    assert_true(isnan(out[0]));
    assert_int_equal(fl[0], YTD_MISSING);
    /* February carries Jan+Feb: 25 */
    assert_near(out[1], 25, 1e-12);
    assert_int_equal(fl[1], YTD_TWO_MONTHS);
    assert_near(out[2], 20, 1e-12);
    /* Q1 = cum(Mar) = 45, Q2 = cum(Jun) - cum(Mar) = 105 - 45 = 60, exact */
    assert_int_equal(ytd_coarse_from_cum(cum, 6, PERIOD_QUARTER, q), 2);
    assert_near(q[0], 45, 1e-12);
    assert_near(q[1], 60, 1e-12);
    /* summing the derived months gives the same Q1: Feb(25) + Mar(20) = 45 */
    assert_int_equal(ytd_coarsen(YTD_FLOW, PERIOD_MONTH, PERIOD_QUARTER, out, fl, 6, q), 2);
    assert_near(q[0], 45, 1e-12);
    assert_near(q[1], 60, 1e-12);
}

static void test_ytd_coarse_from_cum_year_and_half(void **state)
{
    (void)state;
    double cum[12];
    for (int m = 0; m < 12; m++) {
        cum[m] = 10.0 * (m + 1); /* 10 per month */
    }
    double h[2], y[1];
    /* H1 = cum(Jun) = 60, H2 = cum(Dec) - cum(Jun) = 120 - 60 = 60; year = cum(Dec) = 120 */
    assert_int_equal(ytd_coarse_from_cum(cum, 12, PERIOD_HALF, h), 2);
    assert_near(h[0], 60, 1e-12);
    assert_near(h[1], 60, 1e-12);
    assert_int_equal(ytd_coarse_from_cum(cum, 12, PERIOD_YEAR, y), 1);
    assert_near(y[0], 120, 1e-12);
    /* only 11 months: no complete year */
    assert_int_equal(ytd_coarse_from_cum(cum, 11, PERIOD_YEAR, y), 0);
    /* Q2 needs cum(Mar): missing gives a missing Q2, not cum(Jun) */
    cum[2] = NAN;
    double q[4];
    assert_int_equal(ytd_coarse_from_cum(cum, 12, PERIOD_QUARTER, q), 4);
    assert_true(isnan(q[0]) && isnan(q[1]));
    assert_near(q[2], 30, 1e-12);
}

static void test_ytd_quarterly_cumulative(void **state)
{
    (void)state;
    /* cumulative Q1..Q3 = 100, 250, 330 -> 100, 150, 80; no Jan-Feb rule on quarters */
    double cum[3] = {NAN, 250, 330}, out[3];
    unsigned fl[3];
    assert_int_equal(ytd_periods(PERIOD_QUARTER, cum, 3, out, fl), 0);
    assert_true(isnan(out[1]));
    assert_near(out[2], 80, 1e-12);
    assert_int_equal(ytd_periods(PERIOD_QUARTER, cum, 5, out, fl), -EINVAL);
}

static void test_ytd_coarsen_flow_and_stock(void **state)
{
    (void)state;
    /* months of two quarters */
    double v[6] = {1, 2, 3, 4, 5, 6}, out[2];
    /* flow: Q1 = 1+2+3 = 6, Q2 = 4+5+6 = 15 */
    assert_int_equal(ytd_coarsen(YTD_FLOW, PERIOD_MONTH, PERIOD_QUARTER, v, NULL, 6, out), 2);
    assert_near(out[0], 6, 1e-12);
    assert_near(out[1], 15, 1e-12);
    /* stock: period-end value, Mar = 3 and Jun = 6 */
    assert_int_equal(ytd_coarsen(YTD_STOCK, PERIOD_MONTH, PERIOD_QUARTER, v, NULL, 6, out), 2);
    assert_near(out[0], 3, 1e-12);
    assert_near(out[1], 6, 1e-12);
    /* a missing month makes the flow quarter missing; the stock uses only the end */
    v[4] = NAN;
    assert_int_equal(ytd_coarsen(YTD_FLOW, PERIOD_MONTH, PERIOD_QUARTER, v, NULL, 6, out), 2);
    assert_true(isnan(out[1]));
    assert_int_equal(ytd_coarsen(YTD_STOCK, PERIOD_MONTH, PERIOD_QUARTER, v, NULL, 6, out), 2);
    assert_near(out[1], 6, 1e-12);
    /* quarters to half-years: (1+2) , and months to years from 5 values: 0 periods */
    double q[4] = {1, 2, 3, 4}, hy[2];
    assert_int_equal(ytd_coarsen(YTD_FLOW, PERIOD_QUARTER, PERIOD_HALF, q, NULL, 4, hy), 2);
    assert_near(hy[0], 3, 1e-12);
    assert_near(hy[1], 7, 1e-12);
    assert_int_equal(ytd_coarsen(YTD_FLOW, PERIOD_MONTH, PERIOD_YEAR, v, NULL, 5, hy), 0);
    assert_int_equal(ytd_coarsen(YTD_FLOW, PERIOD_QUARTER, PERIOD_MONTH, q, NULL, 4, hy), -EINVAL);
}

static void test_ytd_cumulate_restarts_each_year(void **state)
{
    (void)state;
    /* two years of quarters: 10 20 30 40 | 11 NAN 33 44 */
    double v[8] = {10, 20, 30, 40, 11, NAN, 33, 44}, out[8];
    assert_int_equal(ytd_cumulate(YTD_FLOW, PERIOD_QUARTER, v, 8, out), 0);
    /* 10 30 60 100 | 11, then missing to the year's end (never 11 + 33) */
    const double want[8] = {10, 30, 60, 100, 11, NAN, NAN, NAN};
    for (size_t i = 0; i < 8; i++) {
        if (isnan(want[i])) {
            assert_true(isnan(out[i]));
        } else {
            assert_near(out[i], want[i], 1e-12);
        }
    }
    /* stocks are already to date: copied; in place works */
    assert_int_equal(ytd_cumulate(YTD_STOCK, PERIOD_QUARTER, v, 8, v), 0);
    assert_near(v[6], 33, 1e-12);
    assert_int_equal(ytd_cumulate(YTD_FLOW, (enum period_freq)5, v, 8, out), -EINVAL);
    assert_int_equal(ytd_cumulate(YTD_FLOW, PERIOD_MONTH, NULL, 8, out), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ytd_months_are_differences_of_cumulatives),
        cmocka_unit_test(test_ytd_missing_month_makes_next_missing_not_zero),
        cmocka_unit_test(test_ytd_jan_feb_combined_flags_two_months),
        cmocka_unit_test(test_ytd_coarse_from_cum_year_and_half),
        cmocka_unit_test(test_ytd_quarterly_cumulative),
        cmocka_unit_test(test_ytd_coarsen_flow_and_stock),
        cmocka_unit_test(test_ytd_cumulate_restarts_each_year),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
