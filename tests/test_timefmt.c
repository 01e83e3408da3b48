/*
 * test_timefmt.c - common/timefmt: ISO 8601 text to microseconds since the
 * epoch and back, against epoch values computed by hand, with offsets,
 * fractions, calendar errors and trailing junk.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/timefmt.h"

#define S 1000000LL /* microseconds in a second */

/*
 * Hand computation of the anchor: 2024-03-01 is 19783 days after 1970-01-01
 * (54 years = 19723 days with 13 leap days 1972..2020, plus Jan 31 + Feb 29
 * days of 2024), and 19783 * 86400 = 1709251200.
 */
#define MAR_2024 1709251200LL

static const struct {
    const char *text;
    int64_t us;
} valid_rows[] = {
    {"1970-01-01", 0},
    {"1970-01-01T00:00:00Z", 0},
    {"2024-03-01", MAR_2024 *S},
    {"2024-03-01T00:00:00Z", MAR_2024 *S},
    {"2024-03-01T00:00:00", MAR_2024 *S},
    {"2024-03-01t00:00:00z", MAR_2024 *S},
    {"2024-03-01 00:00:00Z", MAR_2024 *S},
    {"2024-03-01T08:30:00Z", (MAR_2024 + 8 * 3600LL + 30 * 60LL) * S},
    {"2024-03-01T08:30Z", (MAR_2024 + 8 * 3600LL + 30 * 60LL) * S},
    /* 08:30 at +08:00 is 00:30 UTC. */
    {"2024-03-01T08:30:00+08:00", (MAR_2024 + 30 * 60LL) * S},
    {"2024-03-01T08:30:00+0800", (MAR_2024 + 30 * 60LL) * S},
    {"2024-03-01T05:30:00+05:30", MAR_2024 *S},
    /* midnight at -05:00 is 05:00 UTC. */
    {"2024-03-01T00:00:00-05:00", (MAR_2024 + 5 * 3600LL) * S},
    /* midnight at +08:00 is the previous day 16:00 UTC. */
    {"2024-03-01T00:00:00+08:00", (MAR_2024 - 8 * 3600LL) * S},
    {"2024-02-29", (MAR_2024 - 86400) * S},
    {"2024-02-28T23:59:59Z", (MAR_2024 - 86400 - 1) * S},
    {"2000-02-29", 951782400LL * S},
    {"2000-01-01T00:00:00Z", 946684800LL * S},
    {"2024-03-01T00:00:00.5Z", MAR_2024 *S + 500000},
    {"2024-03-01T00:00:00.000001Z", MAR_2024 *S + 1},
    {"2024-03-01T00:00:00.123456+00:00", MAR_2024 *S + 123456},
    /* digits past the microsecond are cut, not rounded */
    {"2024-03-01T00:00:00.9999999Z", MAR_2024 *S + 999999},
    {"1969-12-31T23:59:59.999999Z", -1},
    {"1969-12-31", -86400 * S},
    {"9999-12-31T23:59:59Z", 253402300799LL * S},
    {"0001-01-01", -62135596800LL * S},
    {"0999-06-15T12:00:00Z", -30627460800LL * S},
    {"1900-03-01", -2203891200LL * S},
};

static void test_parse_valid_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(valid_rows) / sizeof(valid_rows[0]); i++) {
        int64_t us = 42;
        int rc = time_parse_iso(valid_rows[i].text, &us);
        if (rc != 0 || us != valid_rows[i].us)
            fail_msg("row %zu \"%s\": rc %d, %lld != %lld", i, valid_rows[i].text, rc,
                     (long long)us, (long long)valid_rows[i].us);
    }
}

static const char *const invalid_rows[] = {
    "",
    "2023-02-29",
    "1900-02-29",
    "2024-02-30",
    "2024-04-31",
    "2024-13-01",
    "2024-00-10",
    "2024-01-00",
    "2024-01-32",
    "24-03-01",
    "2024-3-01",
    "2024-03-1",
    "2024/03/01",
    "2024-03-01x",
    "2024-03-01 ",
    "2024-03-01T",
    "2024-03-01T08",
    "2024-03-01T08:3",
    "2024-03-01T24:00:00Z",
    "2024-03-01T08:60:00Z",
    "2024-03-01T08:30:61Z",
    "2024-03-01T08:30:00.Z",
    "2024-03-01T08:30:00ZZ",
    "2024-03-01T08:30:00Z junk",
    "2024-03-01T08:30:00+8:00",
    "2024-03-01T08:30:00+08",
    "2024-03-01T08:30:00+08:",
    "2024-03-01T08:30:00+24:00",
    "2024-03-01T08:30:00+08:60",
    "2024-03-01T08:30:00 +08:00",
    " 2024-03-01",
    "+2024-03-01",
};

static void test_parse_invalid_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(invalid_rows) / sizeof(invalid_rows[0]); i++) {
        int64_t us = 42;
        int rc = time_parse_iso(invalid_rows[i], &us);
        if (rc != -EINVAL || us != 42)
            fail_msg("row %zu \"%s\": rc %d, us %lld", i, invalid_rows[i], rc, (long long)us);
    }
}

static const struct {
    int64_t us;
    const char *text;
} format_rows[] = {
    {0, "1970-01-01T00:00:00Z"},
    {MAR_2024 * S, "2024-03-01T00:00:00Z"},
    {(MAR_2024 + 8 * 3600LL + 30 * 60LL) * S, "2024-03-01T08:30:00Z"},
    {MAR_2024 * S + 123456, "2024-03-01T00:00:00.123456Z"},
    {MAR_2024 * S + 1, "2024-03-01T00:00:00.000001Z"},
    {-1, "1969-12-31T23:59:59.999999Z"},
    {-S, "1969-12-31T23:59:59Z"},
    {253402300799LL * S + 999999, "9999-12-31T23:59:59.999999Z"},
    /* regression: glibc's %Y wrote this year as "999", not ISO 8601 */
    {-30627460800LL * S, "0999-06-15T12:00:00Z"},
    {-62135596800LL * S, "0001-01-01T00:00:00Z"},
};

static void test_format_rows(void **state)
{
    (void)state;
    char buf[32];
    for (size_t i = 0; i < sizeof(format_rows) / sizeof(format_rows[0]); i++) {
        assert_int_equal(time_format_iso(format_rows[i].us, buf, sizeof(buf)),
                         (int)strlen(format_rows[i].text));
        assert_string_equal(buf, format_rows[i].text);
    }
}

static void test_format_small_buffer_is_enospc(void **state)
{
    (void)state;
    char buf[32];
    /* "2024-03-01T00:00:00Z" is 20 bytes and needs 21 with its NUL. */
    assert_int_equal(time_format_iso(MAR_2024 * S, buf, 20), -ENOSPC);
    assert_int_equal(time_format_iso(MAR_2024 * S, buf, 21), 20);
    assert_int_equal(time_format_iso(MAR_2024 * S + 5, buf, 27), -ENOSPC);
    assert_int_equal(time_format_iso(MAR_2024 * S + 5, buf, 28), 27);
    assert_string_equal(buf, "2024-03-01T00:00:00.000005Z");
    assert_int_equal(time_format_iso(0, NULL, 0), -ENOSPC);
}

static void test_format_extremes_fit_in_32(void **state)
{
    (void)state;
    char buf[32];
    assert_true(time_format_iso(INT64_MAX, buf, sizeof(buf)) > 0);
    assert_true(time_format_iso(INT64_MIN, buf, sizeof(buf)) > 0);
}

static void test_round_trip_every_11_days_and_odd_microseconds(void **state)
{
    (void)state;
    char buf[32];
    /* 0001-01-01 .. 9999-12-31, stepping 11 days plus 12345.678901 s. */
    const int64_t step = (11LL * 86400 + 12345) * S + 678901;
    for (int64_t us = -62135596800LL * S; us < 253402300800LL * S; us += step) {
        int64_t back = 0;
        assert_true(time_format_iso(us, buf, sizeof(buf)) > 0);
        assert_int_equal(time_parse_iso(buf, &back), 0);
        assert_int_equal(back, us);
    }
}

static void test_now_is_after_2024(void **state)
{
    (void)state;
    int64_t a = time_now_us(), b = time_now_us();
    assert_true(a > MAR_2024 * S);
    assert_true(b >= a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_valid_rows),
        cmocka_unit_test(test_parse_invalid_rows),
        cmocka_unit_test(test_format_rows),
        cmocka_unit_test(test_format_small_buffer_is_enospc),
        cmocka_unit_test(test_format_extremes_fit_in_32),
        cmocka_unit_test(test_round_trip_every_11_days_and_odd_microseconds),
        cmocka_unit_test(test_now_is_after_2024),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
