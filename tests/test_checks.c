/*
 * test_checks.c - consistency checks on hand-made series (aggregate/checks.h).
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "aggregate/checks.h"
#include "test_support.h"

/* Collects up to 16 violations. */
struct seen {
    struct check_violation v[16];
    size_t n;
};

static int collect(const struct check_violation *v, void *arg)
{
    struct seen *s = arg;

    if (s->n < 16)
        s->v[s->n] = *v;
    s->n++;
    return 0;
}

/* The zone example: a total of 25 reported while its parts are 11 and 15. */
static void test_sum_zone_example(void **state)
{
    /* unit 0: 25 vs 11 + 15 = 26; unit 1: 30 = 10 + 20; unit 2: part missing */
    const double total[3] = {25, 30, 40}, a[3] = {11, 10, NAN}, b[3] = {15, 20, 7};
    const double *parts[2] = {a, b};
    struct seen s = {0};

    (void)state;
    assert_int_equal(check_sum(total, parts, 2, 3, 1, 0, NULL, collect, &s), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.v[0].unit, 0);
    assert_int_equal(s.v[0].period, 0);
    assert_near(s.v[0].value, 25, 0);
    assert_near(s.v[0].expected, 26, 0);
    /* within a tolerance of 1 it passes; a mask that leaves unit 0 out too */
    s.n = 0;
    assert_int_equal(check_sum(total, parts, 2, 3, 1, 1, NULL, collect, &s), 0);
    assert_int_equal(s.n, 0);
    assert_int_equal(
        check_sum(total, parts, 2, 3, 1, 0, (const unsigned char[]){0, 1, 1}, collect, &s), 0);
    assert_int_equal(s.n, 0);
}

/* 0.1 + 0.2 against 0.3 is rounding, not a violation. */
static void test_sum_ignores_rounding(void **state)
{
    const double total[1] = {0.3}, a[1] = {0.1}, b[1] = {0.2};
    const double *parts[2] = {a, b};
    struct seen s = {0};

    (void)state;
    assert_int_equal(check_sum(total, parts, 2, 1, 1, 0, NULL, collect, &s), 0);
    assert_int_equal(s.n, 0);
}

static void test_range(void **state)
{
    /* one unit, four periods */
    const double v[4] = {-1, 0, 100, 101};
    struct seen s = {0};

    (void)state;
    assert_int_equal(check_range(v, 1, 4, 0, 100, NULL, collect, &s), 0);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.v[0].period, 0);
    assert_near(s.v[0].expected, 0, 0);
    assert_int_equal(s.v[1].period, 3);
    assert_near(s.v[1].value, 101, 0);
    assert_near(s.v[1].expected, 100, 0);
    s.n = 0;
    assert_int_equal(check_range(v, 1, 4, NAN, 100, NULL, collect, &s), 0);
    assert_int_equal(s.n, 1);
}

/* yoy growth with lag 4 (quarters): 100 -> 150 is +50 %, above 30. */
static void test_growth_bound(void **state)
{
    const double v[8] = {100, 100, 100, 0, 150, 120, 70, 50};
    struct seen s = {0};

    (void)state;
    assert_int_equal(check_growth(v, 1, 8, 4, 30, NAN, NULL, collect, &s), 0);
    /* p4: +50 %; p5: +20 %; p6: -30 % (not above 30); p7: base 0 skipped */
    assert_int_equal(s.n, 1);
    assert_int_equal(s.v[0].period, 4);
    assert_near(s.v[0].value, 150, 0);
    assert_near(s.v[0].expected, 100, 0);
}

/* pop growth of five units: +2, +3, +4, +5 and +40 %; median 4, MAD 1. */
static void test_growth_outlier(void **state)
{
    const double v[10] = {100, 102, 100, 103, 100, 104, 100, 105, 100, 140};
    struct seen s = {0};

    (void)state;
    /* robust sd 1.4826: unit 4 is 36 from the median, far beyond 3.5 sd */
    assert_int_equal(check_growth(v, 5, 2, 1, NAN, 3.5, NULL, collect, &s), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.v[0].unit, 4);
    assert_int_equal(s.v[0].period, 1);
    assert_near(s.v[0].value, 140, 0);
}

/* A zone (row 0) reporting 25 over two parks reporting 11 and 15. */
static void test_hierarchy_zone(void **state)
{
    /* two periods: p0 25 vs 26; p1 26 vs 26 */
    const double v[6] = {25, 26, 11, 11, 15, 15};
    const long parent[3] = {-1, 0, 0};
    const unsigned char rolled[6] = {0, 0, 1, 1, 1, 1};
    struct seen s = {0};

    (void)state;
    assert_int_equal(check_hierarchy(v, NULL, parent, 3, 2, 0, NULL, collect, &s), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.v[0].unit, 0);
    assert_int_equal(s.v[0].period, 0);
    assert_near(s.v[0].value, 25, 0);
    assert_near(s.v[0].expected, 26, 0);
    /* a rolled-up parent value is not checked against its own children */
    s.n = 0;
    assert_int_equal(check_hierarchy(v, rolled, parent, 3, 2, 0, NULL, collect, &s), 0);
    assert_int_equal(s.n, 0);
}

/* Monthly year-to-date over two years of 3 months: a fall in month 3 of
 * year 1; January of year 2 starts again. */
static void test_monotone_ytd(void **state)
{
    const double v[6] = {10, NAN, 8, 5, 9, 9};
    struct seen s = {0};

    (void)state;
    assert_int_equal(check_monotone_ytd(v, 1, 6, 3, 0, NULL, collect, &s), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.v[0].period, 2);
    assert_near(s.v[0].value, 8, 0);
    assert_near(s.v[0].expected, 10, 0);
    s.n = 0;
    assert_int_equal(check_monotone_ytd(v, 1, 6, 3, 2, NULL, collect, &s), 0);
    assert_int_equal(s.n, 0);
}

static void test_ratio(void **state)
{
    const double rate[3] = {50, 120, 80}, num[3] = {5, 12, 9}, den[3] = {10, 10, 8};
    struct seen s = {0};

    (void)state;
    assert_int_equal(check_ratio(rate, num, den, 1, 3, 0, 100, NULL, collect, &s), 0);
    assert_int_equal(s.n, 3);
    /* the rate 120 above 100, then the numerators 12 > 10 and 9 > 8 */
    assert_int_equal(s.v[0].period, 1);
    assert_near(s.v[0].value, 120, 0);
    assert_near(s.v[0].expected, 100, 0);
    assert_int_equal(s.v[1].period, 1);
    assert_near(s.v[1].value, 12, 0);
    assert_near(s.v[1].expected, 10, 0);
    assert_int_equal(s.v[2].period, 2);
}

static int stop(const struct check_violation *v, void *arg)
{
    (void)v;
    (void)arg;
    return 7;
}

static void test_emit_stops_and_bad_args(void **state)
{
    const double v[2] = {1, 200};

    (void)state;
    assert_int_equal(check_range(v, 1, 2, 0, 100, NULL, stop, NULL), 7);
    assert_int_equal(check_range(NULL, 1, 2, 0, 100, NULL, stop, NULL), -EINVAL);
    assert_int_equal(check_growth(v, 1, 2, 0, 1, NAN, NULL, stop, NULL), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sum_zone_example),
        cmocka_unit_test(test_sum_ignores_rounding),
        cmocka_unit_test(test_range),
        cmocka_unit_test(test_growth_bound),
        cmocka_unit_test(test_growth_outlier),
        cmocka_unit_test(test_hierarchy_zone),
        cmocka_unit_test(test_monotone_ytd),
        cmocka_unit_test(test_ratio),
        cmocka_unit_test(test_emit_stops_and_bad_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
