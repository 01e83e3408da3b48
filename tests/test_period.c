/*
 * test_period.c - common/period: strict parsing and round trip, stepping
 * across year boundaries and the year range, nesting, month spans, ordering
 * and differences, each checked against values worked out by hand.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/period.h"

static struct period P(int year, enum period_freq freq, int index) {
    struct period p = {.year = year, .freq = freq, .index = index};
    return p;
}

static void
assert_period(struct period got, int year, enum period_freq freq, int index)
{
    assert_int_equal(got.year, year);
    assert_int_equal(got.freq, freq);
    assert_int_equal(got.index, index);
}

/* Parses a literal that must be valid. */
static struct period must(const char *text)
{
    struct period p;
    assert_int_equal(period_parse_str(&p, text), 0);
    return p;
}

static void assert_text(struct period p, const char *want)
{
    char buf[PERIOD_TEXT_SIZE];
    assert_int_equal(period_format(p, buf, sizeof(buf)), (int)strlen(want));
    assert_string_equal(buf, want);
}

static const struct {
    const char *text;
    int year;
    enum period_freq freq;
    int index;
} valid_rows[] = {
    {"2023", 2023, PERIOD_YEAR, 1},       {"1000", 1000, PERIOD_YEAR, 1},
    {"9999", 9999, PERIOD_YEAR, 1},       {"2023-H1", 2023, PERIOD_HALF, 1},
    {"2023-H2", 2023, PERIOD_HALF, 2},    {"2023-Q1", 2023, PERIOD_QUARTER, 1},
    {"2023-Q3", 2023, PERIOD_QUARTER, 3}, {"2023-Q4", 2023, PERIOD_QUARTER, 4},
    {"2023-01", 2023, PERIOD_MONTH, 1},   {"2023-07", 2023, PERIOD_MONTH, 7},
    {"2023-10", 2023, PERIOD_MONTH, 10},  {"2023-12", 2023, PERIOD_MONTH, 12},
    {"1000-01", 1000, PERIOD_MONTH, 1},   {"9999-12", 9999, PERIOD_MONTH, 12},
};

static void test_parse_valid_rows_round_trip(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(valid_rows) / sizeof(valid_rows[0]); i++) {
        struct period p = {0, 0, 0};
        const char *t = valid_rows[i].text;
        assert_int_equal(period_parse(&p, t, strlen(t)), 0);
        assert_period(p, valid_rows[i].year, valid_rows[i].freq, valid_rows[i].index);
        assert_true(period_valid(p));
        assert_text(p, t);
    }
}

/* Each row has an explicit length so embedded NULs and unterminated bytes count. */
static const struct {
    const char *text;
    size_t len;
} invalid_rows[] = {
    {"2023-Q5", 7},
    {"2023-Q0", 7},
    {"2023-H3", 7},
    {"2023-H0", 7},
    {"2023-13", 7},
    {"2023-00", 7},
    {"2023-99", 7},
    {"23-01", 5},
    {"2023-7x", 7},
    {"2023-7", 6},
    {"", 0},
    {"2023-", 5},
    {"2023-Q", 6},
    {"2023-07 ", 8},
    {" 2023", 5},
    {"2023 ", 5},
    {"2023-07-01", 10},
    {"+2023", 5},
    {"-2023", 5},
    {"0999", 4},
    {"0023-01", 7},
    {"999", 3},
    {"10000", 5},
    {"2023-q3", 7},
    {"2023-h1", 7},
    {"2023-M07", 8},
    {"2023-A1", 7},
    {"2023-S1", 7},
    {"2023/07", 7},
    {"2023Q3", 6},
    {"2023-Q3\0", 8},
    {"2023\0", 5},
    {"20\0"
     "3",
     4},
    {"2023-0\0", 7},
    {"\xef\xbc\x92\xef\xbc\x90\xef\xbc\x92\xef\xbc\x93", 12},
    {"2O23", 4},
    {"2023-Q+", 7},
    {"2023-+1", 7},
    {"2023--1", 7},
    {"2023-1 ", 7},
    {"2023- 1", 7},
    {"2023-Q31", 8},
    {"2023-Q 3", 8},
};

static void test_parse_invalid_rows_rejected_out_untouched(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(invalid_rows) / sizeof(invalid_rows[0]); i++) {
        struct period p = {42, PERIOD_QUARTER, 3};
        int rc = period_parse(&p, invalid_rows[i].text, invalid_rows[i].len);
        if (rc != -EINVAL)
            fail_msg("row %zu (\"%s\") gave %d", i, invalid_rows[i].text, rc);
        assert_period(p, 42, PERIOD_QUARTER, 3);
    }
}

static void test_parse_length_bounds_the_read(void **state)
{
    (void)state;
    struct period p;
    /* Only the first len bytes count: "2023-07xyz" read as 7 bytes is July. */
    assert_int_equal(period_parse(&p, "2023-07xyz", 7), 0);
    assert_period(p, 2023, PERIOD_MONTH, 7);
    assert_int_equal(period_parse(&p, "2023-07", 4), 0);
    assert_period(p, 2023, PERIOD_YEAR, 1);
    assert_int_equal(period_parse(&p, NULL, 0), -EINVAL);
    assert_int_equal(period_parse(NULL, "2023", 4), -EINVAL);
}

static void test_parse_str_rejects_long_and_null(void **state)
{
    (void)state;
    struct period p = {7, PERIOD_HALF, 2};
    assert_int_equal(period_parse_str(&p, "2023-07-"), -EINVAL);
    assert_int_equal(period_parse_str(&p, "2023-Q3 and a long tail of text"), -EINVAL);
    assert_int_equal(period_parse_str(&p, ""), -EINVAL);
    assert_int_equal(period_parse_str(&p, NULL), -EINVAL);
    assert_period(p, 7, PERIOD_HALF, 2);
    assert_int_equal(period_parse_str(&p, "2023-H2"), 0);
    assert_period(p, 2023, PERIOD_HALF, 2);
}

static void test_format_rejects_invalid_and_small_buffers(void **state)
{
    (void)state;
    char buf[PERIOD_TEXT_SIZE] = "zzzzzzz";
    assert_int_equal(period_format(P(999, PERIOD_YEAR, 1), buf, sizeof(buf)), -EINVAL);
    assert_int_equal(period_format(P(2023, PERIOD_QUARTER, 5), buf, sizeof(buf)), -EINVAL);
    assert_int_equal(period_format(P(2023, PERIOD_MONTH, 0), buf, sizeof(buf)), -EINVAL);
    assert_int_equal(period_format(P(2023, (enum period_freq)3, 1), buf, sizeof(buf)), -EINVAL);
    /* "2023-07" needs 8 bytes with its NUL; 7 is too small and leaves "". */
    assert_int_equal(period_format(P(2023, PERIOD_MONTH, 7), buf, 7), -ENOSPC);
    assert_string_equal(buf, "");
    assert_int_equal(period_format(P(2023, PERIOD_YEAR, 1), buf, 4), -ENOSPC);
    assert_int_equal(period_format(P(2023, PERIOD_YEAR, 1), buf, 5), 4);
    assert_string_equal(buf, "2023");
    assert_int_equal(period_format(P(2023, PERIOD_YEAR, 1), NULL, 0), -ENOSPC);
}

static void test_valid_checks_each_field(void **state)
{
    (void)state;
    assert_true(period_valid(P(2023, PERIOD_MONTH, 12)));
    assert_false(period_valid(P(2023, PERIOD_MONTH, 13)));
    assert_false(period_valid(P(2023, PERIOD_HALF, 3)));
    assert_false(period_valid(P(2023, PERIOD_YEAR, 2)));
    assert_false(period_valid(P(2023, PERIOD_YEAR, 0)));
    assert_false(period_valid(P(10000, PERIOD_YEAR, 1)));
    assert_false(period_valid(P(0, PERIOD_YEAR, 1)));
    assert_false(period_valid(P(2023, (enum period_freq)6, 1)));
    assert_false(period_valid(P(2023, (enum period_freq)0, 1)));
}

static void test_freq_chars_both_ways(void **state)
{
    (void)state;
    assert_int_equal(period_freq_char(PERIOD_YEAR), 'Y');
    assert_int_equal(period_freq_char(PERIOD_HALF), 'H');
    assert_int_equal(period_freq_char(PERIOD_QUARTER), 'Q');
    assert_int_equal(period_freq_char(PERIOD_MONTH), 'M');
    assert_int_equal(period_freq_char((enum period_freq)3), 0);
    assert_int_equal(period_freq_from_char('Y'), PERIOD_YEAR);
    assert_int_equal(period_freq_from_char('h'), PERIOD_HALF);
    assert_int_equal(period_freq_from_char('Q'), PERIOD_QUARTER);
    assert_int_equal(period_freq_from_char('m'), PERIOD_MONTH);
    assert_int_equal(period_freq_from_char('A'), 0);
    assert_int_equal(period_freq_from_char('\0'), 0);
}

static void test_prev_next_cross_year_boundaries(void **state)
{
    (void)state;
    assert_text(period_prev(must("2023-01")), "2022-12");
    assert_text(period_next(must("2022-12")), "2023-01");
    assert_text(period_prev(must("2023-Q1")), "2022-Q4");
    assert_text(period_next(must("2022-Q4")), "2023-Q1");
    assert_text(period_prev(must("2023-H1")), "2022-H2");
    assert_text(period_next(must("2022-H2")), "2023-H1");
    assert_text(period_prev(must("2023")), "2022");
    assert_text(period_next(must("2023")), "2024");
    assert_text(period_next(must("2023-07")), "2023-08");
    assert_text(period_prev(must("2023-Q3")), "2023-Q2");
}

static const struct {
    const char *from;
    int n;
    const char *want;
} add_rows[] = {
    {"2023-01", 0, "2023-01"},      {"2023-01", 11, "2023-12"},      {"2023-01", 12, "2024-01"},
    {"2023-01", -12, "2022-01"},    {"2023-01", -13, "2021-12"},     {"2023-03", -27, "2020-12"},
    {"2023-12", 25, "2026-01"},     {"2023-Q3", 6, "2025-Q1"},       {"2023-Q3", -11, "2020-Q4"},
    {"2023-H2", -3, "2022-H1"},     {"2023", -1023, "1000"},         {"2023", 7976, "9999"},
    {"1000-01", 107999, "9999-12"}, {"9999-12", -107999, "1000-01"},
};

static void test_add_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(add_rows) / sizeof(add_rows[0]); i++)
        assert_text(period_add(must(add_rows[i].from), add_rows[i].n), add_rows[i].want);
}

static void test_add_out_of_range_is_invalid_not_wrapped(void **state)
{
    (void)state;
    char buf[PERIOD_TEXT_SIZE];
    const int ns[] = {INT_MIN, INT_MIN + 1, -108000, INT_MAX, INT_MAX - 1, 108000};
    assert_false(period_valid(period_prev(must("1000-01"))));
    assert_false(period_valid(period_next(must("9999-12"))));
    assert_false(period_valid(period_prev(must("1000"))));
    assert_false(period_valid(period_next(must("9999-Q4"))));
    assert_false(period_valid(period_add(must("2023-07"), 107999)));
    for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
        struct period r = period_add(must("2023-07"), ns[i]);
        assert_false(period_valid(r));
        assert_int_equal(period_format(r, buf, sizeof(buf)), -EINVAL);
        assert_false(period_valid(period_add(must("5000"), ns[i])));
    }
    /* An invalid input stays invalid, even when n would bring it into range. */
    assert_false(period_valid(period_add(P(999, PERIOD_YEAR, 1), 1)));
    assert_false(period_valid(period_add(P(2023, PERIOD_MONTH, 13), -1)));
    assert_false(period_valid(period_add(P(INT_MAX, PERIOD_MONTH, 1), INT_MAX)));
}

static void test_same_last_year_keeps_index(void **state)
{
    (void)state;
    assert_text(period_same_last_year(must("2023-Q3")), "2022-Q3");
    assert_text(period_same_last_year(must("2023-01")), "2022-01");
    assert_text(period_same_last_year(must("2023-12")), "2022-12");
    assert_text(period_same_last_year(must("2023-H2")), "2022-H2");
    assert_text(period_same_last_year(must("2023")), "2022");
    assert_false(period_valid(period_same_last_year(must("1000-06"))));
    assert_false(period_valid(period_same_last_year(P(2023, PERIOD_QUARTER, 9))));
}

static const struct {
    const char *from;
    enum period_freq to;
    const char *want; /* NULL: -EINVAL */
} container_rows[] = {
    {"2023-08", PERIOD_QUARTER, "2023-Q3"}, {"2023-08", PERIOD_HALF, "2023-H2"},
    {"2023-08", PERIOD_YEAR, "2023"},       {"2023-08", PERIOD_MONTH, "2023-08"},
    {"2023-01", PERIOD_QUARTER, "2023-Q1"}, {"2023-03", PERIOD_QUARTER, "2023-Q1"},
    {"2023-04", PERIOD_QUARTER, "2023-Q2"}, {"2023-06", PERIOD_HALF, "2023-H1"},
    {"2023-07", PERIOD_HALF, "2023-H2"},    {"2023-12", PERIOD_QUARTER, "2023-Q4"},
    {"2023-Q1", PERIOD_HALF, "2023-H1"},    {"2023-Q2", PERIOD_HALF, "2023-H1"},
    {"2023-Q3", PERIOD_HALF, "2023-H2"},    {"2023-Q4", PERIOD_YEAR, "2023"},
    {"2023-H2", PERIOD_YEAR, "2023"},       {"2023", PERIOD_YEAR, "2023"},
    {"2023-Q3", PERIOD_MONTH, NULL},        {"2023-H1", PERIOD_QUARTER, NULL},
    {"2023", PERIOD_MONTH, NULL},           {"2023-08", (enum period_freq)3, NULL},
    {"2023-08", (enum period_freq)0, NULL}, {"2023-08", (enum period_freq)6, NULL},
};

static void test_container_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(container_rows) / sizeof(container_rows[0]); i++) {
        struct period out = {1, PERIOD_YEAR, 1};
        int rc = period_container(must(container_rows[i].from), container_rows[i].to, &out);
        if (container_rows[i].want) {
            assert_int_equal(rc, 0);
            assert_text(out, container_rows[i].want);
        } else {
            assert_int_equal(rc, -EINVAL);
            assert_period(out, 1, PERIOD_YEAR, 1);
        }
    }
    struct period out;
    assert_int_equal(period_container(P(2023, PERIOD_MONTH, 0), PERIOD_YEAR, &out), -EINVAL);
    assert_int_equal(period_container(must("2023-08"), PERIOD_YEAR, NULL), -EINVAL);
}

/* Checks period_subperiods(from, freq) lists exactly the texts in want. */
static void assert_subs(const char *from, enum period_freq freq, const char *const *want, int n)
{
    struct period out[12];
    assert_int_equal(period_subperiods(must(from), freq, out, 12), n);
    for (int i = 0; i < n; i++)
        assert_text(out[i], want[i]);
}

static void test_subperiods_in_order(void **state)
{
    (void)state;
    const char *const q3[] = {"2023-07", "2023-08", "2023-09"};
    const char *const year_q[] = {"2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4"};
    const char *const h2_m[] = {"2023-07", "2023-08", "2023-09", "2023-10", "2023-11", "2023-12"};
    const char *const h2_q[] = {"2023-Q3", "2023-Q4"};
    const char *const year_h[] = {"2023-H1", "2023-H2"};
    const char *const same[] = {"2023-Q2"};
    assert_subs("2023-Q3", PERIOD_MONTH, q3, 3);
    assert_subs("2023", PERIOD_QUARTER, year_q, 4);
    assert_subs("2023-H2", PERIOD_MONTH, h2_m, 6);
    assert_subs("2023-H2", PERIOD_QUARTER, h2_q, 2);
    assert_subs("2023", PERIOD_HALF, year_h, 2);
    assert_subs("2023-Q2", PERIOD_QUARTER, same, 1);

    struct period out[12];
    assert_int_equal(period_subperiods(must("2023"), PERIOD_MONTH, out, 12), 12);
    assert_text(out[0], "2023-01");
    assert_text(out[11], "2023-12");
}

static void test_subperiods_errors(void **state)
{
    (void)state;
    struct period out[4] = {{1, PERIOD_YEAR, 1}, {1, PERIOD_YEAR, 1}};
    assert_int_equal(period_subperiods(must("2023-07"), PERIOD_QUARTER, out, 4), -EINVAL);
    assert_int_equal(period_subperiods(must("2023-Q3"), PERIOD_HALF, out, 4), -EINVAL);
    assert_int_equal(period_subperiods(must("2023-H1"), PERIOD_YEAR, out, 4), -EINVAL);
    assert_int_equal(period_subperiods(must("2023"), (enum period_freq)5, out, 4), -EINVAL);
    assert_int_equal(period_subperiods(P(2023, PERIOD_HALF, 3), PERIOD_MONTH, out, 4), -EINVAL);
    /* 2023-Q3 has 3 months: room for 2 is -ENOSPC and writes nothing. */
    assert_int_equal(period_subperiods(must("2023-Q3"), PERIOD_MONTH, out, 2), -ENOSPC);
    assert_period(out[0], 1, PERIOD_YEAR, 1);
    assert_int_equal(period_subperiods(must("2023"), PERIOD_MONTH, out, 4), -ENOSPC);
    assert_int_equal(period_subperiods(must("2023"), PERIOD_HALF, NULL, 0), -ENOSPC);
}

static const struct {
    const char *text;
    int first, last;
} month_rows[] = {
    {"2023", 1, 12},   {"2023-H1", 1, 6},   {"2023-H2", 7, 12},  {"2023-Q1", 1, 3},
    {"2023-Q2", 4, 6}, {"2023-Q3", 7, 9},   {"2023-Q4", 10, 12}, {"2023-01", 1, 1},
    {"2023-08", 8, 8}, {"2023-12", 12, 12},
};

static void test_first_last_month_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(month_rows) / sizeof(month_rows[0]); i++) {
        assert_int_equal(period_first_month(must(month_rows[i].text)), month_rows[i].first);
        assert_int_equal(period_last_month(must(month_rows[i].text)), month_rows[i].last);
    }
    assert_int_equal(period_first_month(P(2023, PERIOD_QUARTER, 5)), 0);
    assert_int_equal(period_last_month(P(2023, (enum period_freq)3, 1)), 0);
}

static int cmp_qsort(const void *a, const void *b)
{
    return period_cmp(*(const struct period *)a, *(const struct period *)b);
}

static void test_cmp_sorts_shuffled_periods_exactly(void **state)
{
    (void)state;
    const char *const sorted[] = {
        "2022-12", "2022-Q4", "2022-H2", "2022",    "2023-01", "2023-02", "2023-03",
        "2023-Q1", "2023-04", "2023-05", "2023-06", "2023-Q2", "2023-H1", "2023-07",
        "2023-08", "2023-09", "2023-Q3", "2023-10", "2023-11", "2023-12", "2023-Q4",
        "2023-H2", "2023",    "2024-01", "2024-Q1",
    };
    enum { N = sizeof(sorted) / sizeof(sorted[0]) };
    /* A fixed permutation: i -> (i * 7 + 3) mod 25, 7 coprime with 25. */
    struct period arr[N];
    for (int i = 0; i < N; i++)
        arr[i] = must(sorted[(i * 7 + 3) % N]);
    qsort(arr, N, sizeof(arr[0]), cmp_qsort);
    for (int i = 0; i < N; i++)
        assert_text(arr[i], sorted[i]);
}

static void test_cmp_signs(void **state)
{
    (void)state;
    assert_true(period_cmp(must("2023-08"), must("2023-09")) < 0);
    assert_true(period_cmp(must("2023-09"), must("2023-Q3")) < 0);
    assert_true(period_cmp(must("2023-Q3"), must("2023-10")) < 0);
    assert_true(period_cmp(must("2023-Q4"), must("2023-H2")) < 0);
    assert_true(period_cmp(must("2023-H2"), must("2023")) < 0);
    assert_true(period_cmp(must("2023"), must("2024-01")) < 0);
    assert_true(period_cmp(must("2023"), must("2023-H2")) > 0);
    assert_true(period_cmp(must("2023-Q1"), must("2022")) > 0);
    assert_int_equal(period_cmp(must("2023-Q3"), must("2023-Q3")), 0);
    assert_int_equal(period_cmp(must("2023"), must("2023")), 0);
}

static const struct {
    const char *a, *b;
    long want;
} diff_rows[] = {
    {"2022-11", "2023-02", 3},      {"2023-02", "2022-11", -3}, {"2023-07", "2023-07", 0},
    {"2020-Q4", "2023-Q1", 9},      {"2023-H2", "2021-H1", -5}, {"1000", "9999", 8999},
    {"1000-01", "9999-12", 107999},
};

static void test_diff_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(diff_rows) / sizeof(diff_rows[0]); i++)
        assert_int_equal(period_diff(must(diff_rows[i].a), must(diff_rows[i].b)),
                         diff_rows[i].want);
}

static void test_diff_inverts_add(void **state)
{
    (void)state;
    struct period base = must("2023-07");
    for (int n = -300; n <= 300; n += 7) {
        struct period q = period_add(base, n);
        assert_int_equal(period_diff(base, q), n);
        assert_int_equal(period_cmp(base, q) < 0, n > 0);
    }
}

/* Periods as agencies write them, with and without the source's frequency. */
static const struct {
    const char *text;
    enum period_freq hint;
    int rc;
    int year;
    enum period_freq freq;
    int index;
} agency_rows[] = {
    {"2020M01", 0, 0, 2020, PERIOD_MONTH, 1},
    {"2020M1", 0, 0, 2020, PERIOD_MONTH, 1},
    {"2020M12", 0, 0, 2020, PERIOD_MONTH, 12},
    {"2020-M07", 0, 0, 2020, PERIOD_MONTH, 7},
    {"202011", 0, 0, 2020, PERIOD_MONTH, 11},
    {"2020-11", 0, 0, 2020, PERIOD_MONTH, 11},
    {" 2020Q1 ", 0, 0, 2020, PERIOD_QUARTER, 1},
    {"2020-Q4", 0, 0, 2020, PERIOD_QUARTER, 4},
    {"2020S1", 0, 0, 2020, PERIOD_HALF, 1},
    {"2020-S2", 0, 0, 2020, PERIOD_HALF, 2},
    {"2020-H2", 0, 0, 2020, PERIOD_HALF, 2},
    {"2020-A1", 0, 0, 2020, PERIOD_YEAR, 1},
    {"2020A", 0, 0, 2020, PERIOD_YEAR, 1},
    {"2020A1", 0, 0, 2020, PERIOD_YEAR, 1},
    {"2020", PERIOD_MONTH, 0, 2020, PERIOD_YEAR, 1},
    /* dates: the period of the source's frequency that starts or ends then */
    {"2020-01-01", PERIOD_MONTH, 0, 2020, PERIOD_MONTH, 1},
    {"2020-02-29", PERIOD_MONTH, 0, 2020, PERIOD_MONTH, 2},
    {"2020-04-01", PERIOD_QUARTER, 0, 2020, PERIOD_QUARTER, 2},
    {"2020-06-30", PERIOD_QUARTER, 0, 2020, PERIOD_QUARTER, 2},
    {"2020-07-01", PERIOD_HALF, 0, 2020, PERIOD_HALF, 2},
    {"2020-01-01", PERIOD_YEAR, 0, 2020, PERIOD_YEAR, 1},
    {"2020-12-31T00:00:00", PERIOD_YEAR, 0, 2020, PERIOD_YEAR, 1},
    {"2020-10-01T00:00:00Z", PERIOD_QUARTER, 0, 2020, PERIOD_QUARTER, 4},
    {"2020-01-01", 0, -EDOM, 0, 0, 0},
    {"2020-01-15", PERIOD_MONTH, -EDOM, 0, 0, 0},
    {"2020-02-01", PERIOD_QUARTER, -EDOM, 0, 0, 0},
    {"2021-02-29", PERIOD_MONTH, -EINVAL, 0, 0, 0},
    {"2020-01-01T12:00:00", PERIOD_MONTH, -EINVAL, 0, 0, 0},
    /* ranges: the duration names the frequency */
    {"2020-01-01/P1M", 0, 0, 2020, PERIOD_MONTH, 1},
    {"2020-07-01/P3M", 0, 0, 2020, PERIOD_QUARTER, 3},
    {"2020-Q1/P3M", 0, 0, 2020, PERIOD_QUARTER, 1},
    {"2020-07-01/P6M", 0, 0, 2020, PERIOD_HALF, 2},
    {"2020-01-01/P1Y", 0, 0, 2020, PERIOD_YEAR, 1},
    {"2020-01-01/P12M", 0, 0, 2020, PERIOD_YEAR, 1},
    {"2020/P1Y", 0, 0, 2020, PERIOD_YEAR, 1},
    {"2020-02-01/P3M", 0, -EDOM, 0, 0, 0},
    {"2020-Q1/P1M", 0, -EINVAL, 0, 0, 0},
    {"2020-01-01/P2M", 0, -EINVAL, 0, 0, 0},
    /* daily and weekly: understood, and refused as such */
    {"2020-W05", 0, -ENOTSUP, 0, 0, 0},
    {"2020W5", 0, -ENOTSUP, 0, 0, 0},
    {"2020-D032", 0, -ENOTSUP, 0, 0, 0},
    {"2020-01-01/P1D", 0, -ENOTSUP, 0, 0, 0},
    {"2020-01-06/P7D", 0, -ENOTSUP, 0, 0, 0},
    {"2020-01-06/P1W", 0, -ENOTSUP, 0, 0, 0},
    {"2020-01-01T00:00:00/PT1H", 0, -ENOTSUP, 0, 0, 0},
    /* not periods */
    {"2020M13", 0, -EINVAL, 0, 0, 0},
    {"2020M0", 0, -EINVAL, 0, 0, 0},
    {"2020Q5", 0, -EINVAL, 0, 0, 0},
    {"2020S3", 0, -EINVAL, 0, 0, 0},
    {"2020-A2", 0, -EINVAL, 0, 0, 0},
    {"2020X1", 0, -EINVAL, 0, 0, 0},
    {"2020M001", 0, -EINVAL, 0, 0, 0},
    {"20201", 0, -EINVAL, 0, 0, 0},
    {"0999", 0, -EINVAL, 0, 0, 0},
    {"", 0, -EINVAL, 0, 0, 0},
    {"2020-01-01/", 0, -EINVAL, 0, 0, 0},
};

static void test_agency_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(agency_rows) / sizeof(agency_rows[0]); i++) {
        struct period p = {.year = -1};
        const char *t = agency_rows[i].text;
        int rc = period_parse_agency(&p, t, strlen(t), agency_rows[i].hint);
        if (rc != agency_rows[i].rc)
            fail_msg("\"%s\" (hint %d): rc %d, want %d", t, agency_rows[i].hint, rc,
                     agency_rows[i].rc);
        if (rc == 0)
            assert_period(p, agency_rows[i].year, agency_rows[i].freq, agency_rows[i].index);
        else
            assert_int_equal(p.year, -1); /* untouched on error */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_valid_rows_round_trip),
        cmocka_unit_test(test_parse_invalid_rows_rejected_out_untouched),
        cmocka_unit_test(test_parse_length_bounds_the_read),
        cmocka_unit_test(test_parse_str_rejects_long_and_null),
        cmocka_unit_test(test_format_rejects_invalid_and_small_buffers),
        cmocka_unit_test(test_valid_checks_each_field),
        cmocka_unit_test(test_freq_chars_both_ways),
        cmocka_unit_test(test_prev_next_cross_year_boundaries),
        cmocka_unit_test(test_add_table),
        cmocka_unit_test(test_add_out_of_range_is_invalid_not_wrapped),
        cmocka_unit_test(test_same_last_year_keeps_index),
        cmocka_unit_test(test_container_table),
        cmocka_unit_test(test_subperiods_in_order),
        cmocka_unit_test(test_subperiods_errors),
        cmocka_unit_test(test_first_last_month_table),
        cmocka_unit_test(test_cmp_sorts_shuffled_periods_exactly),
        cmocka_unit_test(test_cmp_signs),
        cmocka_unit_test(test_diff_table),
        cmocka_unit_test(test_diff_inverts_add),
        cmocka_unit_test(test_agency_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
