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
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_expand_table),
        cmocka_unit_test(test_url_expand_too_small_buffer),
        cmocka_unit_test(test_url_has_unit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
