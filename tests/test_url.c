/*
 * test_url.c - URL templates of sources.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "collectors/url.h"

static struct period P(const char *text) {
    struct period p;
    assert_int_equal(period_parse_str(&p, text), 0);
    return p;
}

static void
test_url_expand_table(void **state)
{
    static const struct {
        const char *tmpl, *period, *unit, *want; /* want NULL: -EINVAL */
    } rows[] = {
        {"https://s.example/api/{period}.json", "2024-03", NULL,
         "https://s.example/api/2024-03.json"},
        {"https://s.example/{year}/{month}.json", "2024-03", NULL,
         "https://s.example/2024/03.json"},
        {"https://s.example/{year}Q{quarter}", "2023-Q4", NULL, "https://s.example/2023Q4"},
        {"https://s.example/{year}H{half}", "2023-H2", NULL, "https://s.example/2023H2"},
        {"file:///srv/{unit}-{period}.csv", "2024-Q1", "p01", "file:///srv/p01-2024-Q1.csv"},
        {"http://h/q?park={unit}", "2024", "a b/c", "http://h/q?park=a%20b%2Fc"},
        {"http://h/plain", "2024", NULL, "http://h/plain"},
        {"http://h/{unit}", "2024", NULL, NULL},     /* {unit} needs a unit */
        {"http://h/{month}", "2024-Q1", NULL, NULL}, /* a quarter has no month */
        {"http://h/{quarter}", "2024-05", NULL, NULL},
        {"http://h/{perod}", "2024-05", NULL, NULL}, /* unknown placeholder */
        {"http://h/{period", "2024-05", NULL, NULL}, /* unclosed */
        /* SDMX periods: a half-year is 2023-S2, anything else as {period} */
        {"http://h/d?startPeriod={sdmx_period}", "2023-H2", NULL, "http://h/d?startPeriod=2023-S2"},
        {"http://h/d?p={sdmx_period}&q={period}", "2023-Q4", NULL,
         "http://h/d?p=2023-Q4&q=2023-Q4"},
        {"http://h/d?p={sdmx_period}", "2023", NULL, "http://h/d?p=2023"},
        /* without a time, {updated_after} is the epoch: everything */
        {"http://h/d?updatedAfter={updated_after}", "2023", NULL,
         "http://h/d?updatedAfter=1970-01-01T00%3A00%3A00Z"},
    };
    char buf[128];
    (void)state;

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        int n = url_expand(rows[i].tmpl, P(rows[i].period), rows[i].unit, buf, sizeof(buf));
        if (rows[i].want) {
            assert_int_equal(n, (int)strlen(rows[i].want));
            assert_string_equal(buf, rows[i].want);
        } else {
            assert_int_equal(n, -EINVAL);
        }
    }
}

static void test_url_expand_too_small_buffer(void **state)
{
    char buf[10];
    (void)state;
    assert_int_equal(url_expand("http://h/{period}.json", P("2024-03"), NULL, buf, sizeof(buf)),
                     -ENOSPC);
}

static void test_url_has_unit(void **state)
{
    (void)state;
    assert_true(url_has_unit("http://h/{unit}/{period}"));
    assert_false(url_has_unit("http://h/{period}"));
    assert_true(url_has_updated_after("http://h/d?updatedAfter={updated_after}"));
    assert_false(url_has_updated_after("http://h/d?updatedAfter=2024-01-01"));
}

/* {updated_after}: ISO 8601 UTC, rounded down to the second (never later
 * than asked: a later time could miss a change), colons percent-encoded. */
static void test_url_updated_after(void **state)
{
    char buf[128];
    /* 2024-03-01T08:30:15.999999Z = 1709281815 s */
    int64_t t = 1709281815LL * 1000000 + 999999;
    (void)state;

    assert_int_equal(url_expand_since("http://h/OBS?updatedAfter={updated_after}&startPeriod="
                                      "{sdmx_period}",
                                      P("2024-H1"), NULL, t, buf, sizeof(buf)),
                     (int)strlen("http://h/OBS?updatedAfter=2024-03-01T08%3A30%3A15Z&startPeriod="
                                 "2024-S1"));
    assert_string_equal(buf,
                        "http://h/OBS?updatedAfter=2024-03-01T08%3A30%3A15Z&startPeriod=2024-S1");
    assert_int_equal(
        url_expand_since("http://h/{updated_after}", P("2024"), NULL, -1, buf, sizeof(buf)),
        -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_expand_table),
        cmocka_unit_test(test_url_expand_too_small_buffer),
        cmocka_unit_test(test_url_has_unit),
        cmocka_unit_test(test_url_updated_after),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
