/*
 * test_schedule.c - the collector calendar (collectors/schedule.h) on an
 * injected clock: every "now" and "today" is a constant computed by hand.
 *
 * Reference instants: 2024-01-20T00:00:00Z is 1705708800 (19742 days after
 * the epoch: 2024-01-01 is day 19723). Asia/Shanghai is UTC+8 (28800 s).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "collectors/schedule.h"
#include "test_support.h"

#define JAN20    INT64_C(1705708800) /* 2024-01-20T00:00:00Z */
#define HOUR     3600L
#define SHANGHAI 28800L

static struct period month(int y, int m)
{
    struct period p = {y, PERIOD_MONTH, m};
    return p;
}

static struct period quarter(int y, int q)
{
    struct period p = {y, PERIOD_QUARTER, q};
    return p;
}

static struct schedule_date date(int y, int m, int d)
{
    struct schedule_date r = {y, m, d};
    return r;
}

static void assert_date(struct schedule_date got, int y, int m, int d)
{
    assert_int_equal(got.year, y);
    assert_int_equal(got.month, m);
    assert_int_equal(got.day, d);
}

static void assert_period(struct period got, struct period want)
{
    assert_int_equal(got.freq, want.freq);
    assert_int_equal(got.year, want.year);
    assert_int_equal(got.index, want.index);
}

/* A monthly source, lag 15, 6 h polls, no revision window, no jitter. */
static struct schedule_spec monthly(struct period first)
{
    struct schedule_spec s = {"parks-monthly", PERIOD_MONTH, 15, first, 6 * HOUR, 0, 0};
    return s;
}

/* Successful pulls of months from..to (inclusive) at time t, into st. */
static size_t pulled(struct schedule_state *st, struct period from, struct period to, int64_t t)
{
    size_t n = 0;
    for (struct period p = from;; n++) {
        memset(&st[n], 0, sizeof st[n]);
        st[n].period = p;
        st[n].last_success = t;
        st[n].last_attempt = t;
        if (p.year == to.year && p.index == to.index)
            return n + 1;
        p = p.index == 12 ? month(p.year + 1, 1) : month(p.year, p.index + 1);
    }
}

static void test_schedule_days_in_month_leap_rules(void **state)
{
    (void)state;
    static const struct {
        int year, month, days;
    } rows[] = {
        {2024, 2, 29},  {2023, 2, 28}, {2000, 2, 29}, {1900, 2, 28}, {2023, 4, 30},
        {2023, 12, 31}, {2023, 1, 31}, {2023, 13, 0}, {2023, 0, 0},
    };
    for (size_t i = 0; i < TS_N(rows); i++)
        assert_int_equal(schedule_days_in_month(rows[i].year, rows[i].month), rows[i].days);
}

static void test_schedule_date_add_days_crosses_months_and_years(void **state)
{
    (void)state;
    assert_date(schedule_date_add_days(date(2023, 12, 31), 1), 2024, 1, 1);
    assert_date(schedule_date_add_days(date(2024, 3, 1), -1), 2024, 2, 29);
    assert_date(schedule_date_add_days(date(2023, 3, 1), -1), 2023, 2, 28);
    assert_date(schedule_date_add_days(date(2024, 1, 1), 366), 2025, 1, 1);
    assert_date(schedule_date_add_days(date(1970, 1, 1), -1), 1969, 12, 31);
    assert_int_equal(schedule_date_to_days(date(1970, 1, 1)), 0);
    assert_int_equal(schedule_date_to_days(date(2024, 1, 1)), 19723);
    assert_int_equal(schedule_date_cmp(date(2024, 1, 1), date(2023, 12, 31)), 1);
    assert_int_equal(schedule_date_cmp(date(2023, 11, 30), date(2023, 12, 1)), -1);
    assert_int_equal(schedule_date_cmp(date(2023, 12, 1), date(2023, 12, 1)), 0);
}

/* Walks day by day over 0001-01-01 .. 9999-12-31: every next day is the
 * calendar's next day and days <-> date round-trips. */
static void test_schedule_date_days_round_trip_every_day(void **state)
{
    (void)state;
    struct schedule_date d = date(1, 1, 1);
    int64_t days = schedule_date_to_days(d);
    while (d.year <= 9999) {
        struct schedule_date next = schedule_date_from_days(days + 1);
        assert_true(schedule_date_valid(next) || next.year == 10000);
        if (d.day < schedule_days_in_month(d.year, d.month))
            assert_date(next, d.year, d.month, d.day + 1);
        else if (d.month < 12)
            assert_date(next, d.year, d.month + 1, 1);
        else
            assert_date(next, d.year + 1, 1, 1);
        assert_int_equal(schedule_date_to_days(next), days + 1);
        d = next;
        days++;
    }
    assert_int_equal(days - schedule_date_to_days(date(1, 1, 1)), 3652059); /* 9999 years */
}

static void test_schedule_date_from_time_uses_zone_offset(void **state)
{
    (void)state;
    assert_date(schedule_date_from_time(JAN20, SHANGHAI), 2024, 1, 20);
    /* 2024-01-19T16:00:00Z is midnight in Shanghai; one second earlier is the 19th */
    assert_date(schedule_date_from_time(JAN20 - 8 * HOUR, SHANGHAI), 2024, 1, 20);
    assert_date(schedule_date_from_time(JAN20 - 8 * HOUR - 1, SHANGHAI), 2024, 1, 19);
    assert_date(schedule_date_from_time(JAN20, -5 * HOUR), 2024, 1, 19);
    assert_date(schedule_date_from_time(-1, 0), 1969, 12, 31);
    assert_date(schedule_date_from_time(-86401, 0), 1969, 12, 30);
    assert_int_equal(schedule_date_start(date(2024, 1, 20), SHANGHAI), JAN20 - 8 * HOUR);
    assert_int_equal(schedule_date_start(date(2024, 1, 20), 0), JAN20);
}

static void test_schedule_release_date_table(void **state)
{
    (void)state;
    static const struct {
        struct period p;
        int lag;
        struct schedule_date want;
    } rows[] = {
        {{2023, PERIOD_MONTH, 12}, 15, {2024, 1, 15}},  /* lag crosses the year */
        {{2023, PERIOD_QUARTER, 4}, 20, {2024, 1, 20}}, /* quarter end + 20 */
        {{2024, PERIOD_MONTH, 2}, 10, {2024, 3, 10}},   /* Feb 2024 has 29 days */
        {{2023, PERIOD_MONTH, 2}, 10, {2023, 3, 10}},   /* Feb 2023 has 28 */
        {{2024, PERIOD_MONTH, 2}, 0, {2024, 2, 29}},
        {{2023, PERIOD_MONTH, 2}, 0, {2023, 2, 28}},
        {{2000, PERIOD_MONTH, 2}, 1, {2000, 3, 1}}, /* 2000-02-29 + 1 */
        {{1900, PERIOD_MONTH, 2}, 1, {1900, 3, 1}}, /* 1900-02-28 + 1 */
        {{2023, PERIOD_MONTH, 11}, 15, {2023, 12, 15}},
        {{2023, PERIOD_QUARTER, 3}, 20, {2023, 10, 20}},
        {{2023, PERIOD_HALF, 1}, 45, {2023, 8, 14}}, /* Jun 30 + 31 (Jul) + 14 */
        {{2023, PERIOD_YEAR, 1}, 90, {2024, 3, 30}}, /* 31 Jan + 29 Feb + 30 Mar */
        {{2022, PERIOD_YEAR, 1}, 90, {2023, 3, 31}}, /* 31 + 28 + 31 */
    };
    for (size_t i = 0; i < TS_N(rows); i++) {
        struct schedule_date got = schedule_release_date(rows[i].p, rows[i].lag);
        assert_date(got, rows[i].want.year, rows[i].want.month, rows[i].want.day);
    }
}

static void test_schedule_latest_released_table(void **state)
{
    (void)state;
    static const struct {
        enum period_freq freq;
        int lag;
        struct schedule_date today;
        struct period want;
    } rows[] = {
        {PERIOD_MONTH, 15, {2024, 1, 14}, {2023, PERIOD_MONTH, 11}},
        {PERIOD_MONTH, 15, {2024, 1, 15}, {2023, PERIOD_MONTH, 12}},
        {PERIOD_QUARTER, 20, {2024, 4, 19}, {2023, PERIOD_QUARTER, 4}},
        {PERIOD_QUARTER, 20, {2024, 4, 20}, {2024, PERIOD_QUARTER, 1}},
        {PERIOD_MONTH, 0, {2024, 2, 28}, {2024, PERIOD_MONTH, 1}},
        {PERIOD_MONTH, 0, {2024, 2, 29}, {2024, PERIOD_MONTH, 2}},
        {PERIOD_MONTH, 10, {2024, 3, 9}, {2024, PERIOD_MONTH, 1}},
        {PERIOD_MONTH, 10, {2024, 3, 10}, {2024, PERIOD_MONTH, 2}},
        {PERIOD_HALF, 45, {2023, 8, 13}, {2022, PERIOD_HALF, 2}},
        {PERIOD_HALF, 45, {2023, 8, 14}, {2023, PERIOD_HALF, 1}},
        {PERIOD_YEAR, 90, {2024, 3, 29}, {2022, PERIOD_YEAR, 1}},
        {PERIOD_YEAR, 90, {2024, 3, 30}, {2023, PERIOD_YEAR, 1}},
    };
    for (size_t i = 0; i < TS_N(rows); i++) {
        struct period got;
        assert_int_equal(schedule_latest_released(rows[i].freq, rows[i].lag, rows[i].today, &got),
                         0);
        assert_period(got, rows[i].want);
    }
}

static void test_schedule_latest_released_rejects_bad_input(void **state)
{
    (void)state;
    struct period p = month(1999, 9);
    assert_int_equal(schedule_latest_released(3, 15, date(2024, 1, 1), &p), -EINVAL);
    assert_int_equal(schedule_latest_released(PERIOD_MONTH, -1, date(2024, 1, 1), &p), -EINVAL);
    assert_int_equal(schedule_latest_released(PERIOD_MONTH, 1, date(2023, 2, 29), &p), -EINVAL);
    assert_int_equal(schedule_latest_released(PERIOD_MONTH, 15, date(1000, 1, 5), &p), -ERANGE);
    assert_period(p, month(1999, 9)); /* untouched on error */
}

/* The example: last success 2022-10, down until 2024-01-20 (lag 15
 * released 2023-12 on 01-15): 2022-11 .. 2023-12 are due, 14 months. */
static void test_schedule_due_catches_up_14_missed_months_oldest_first(void **state)
{
    (void)state;
    struct schedule_state st[32];
    size_t n = pulled(st, month(2021, 1), month(2022, 10), JAN20 - 400 * 86400L);
    struct schedule_spec spec = monthly(month(2021, 1));
    struct period due[32];

    assert_int_equal(n, 22);
    int got = schedule_due(&spec, date(2024, 1, 20), JAN20, st, n, due, TS_N(due));
    assert_int_equal(got, 14);
    for (int i = 0; i < got; i++)
        assert_period(due[i], i < 2 ? month(2022, 11 + i) : month(2023, i - 1));
    assert_int_equal(schedule_next_wakeup(&spec, JAN20, SHANGHAI, st, n, 86400), 0);

    /* the same states in reverse order give the same answer */
    for (size_t i = 0; i < n / 2; i++) {
        struct schedule_state t = st[i];
        st[i] = st[n - 1 - i];
        st[n - 1 - i] = t;
    }
    assert_int_equal(schedule_due(&spec, date(2024, 1, 20), JAN20, st, n, due, TS_N(due)), 14);
    assert_period(due[0], month(2022, 11));
    assert_period(due[13], month(2023, 12));
}

static void test_schedule_due_caps_at_max_keeping_the_oldest(void **state)
{
    (void)state;
    struct schedule_state st[32];
    size_t n = pulled(st, month(2021, 1), month(2022, 10), JAN20 - 400 * 86400L);
    struct schedule_spec spec = monthly(month(2021, 1));
    struct period due[5];

    assert_int_equal(schedule_due(&spec, date(2024, 1, 20), JAN20, st, n, due, 5), 5);
    assert_period(due[0], month(2022, 11));
    assert_period(due[4], month(2023, 3));
    assert_int_equal(schedule_due(&spec, date(2024, 1, 20), JAN20, st, n, NULL, 0), 0);
}

static void test_schedule_due_respects_first_period(void **state)
{
    (void)state;
    struct schedule_spec spec = monthly(month(2023, 10));
    struct period due[8];

    /* never pulled: 2023-10, 11, 12 released by 2024-01-20, nothing before first */
    assert_int_equal(schedule_due(&spec, date(2024, 1, 20), JAN20, NULL, 0, due, 8), 3);
    assert_period(due[0], month(2023, 10));
    assert_period(due[2], month(2023, 12));

    /* first period not released yet: nothing due; wake at 2024-02-15 00:00 +08 */
    spec.first_period = month(2024, 1);
    assert_int_equal(schedule_due(&spec, date(2024, 1, 20), JAN20, NULL, 0, due, 8), 0);
    assert_int_equal(schedule_next_wakeup(&spec, JAN20, SHANGHAI, NULL, 0, 40 * 86400L),
                     25 * 86400L + 16 * HOUR);
}

/* 2023-12 answered 404 an hour ago; polls every 6 h. */
static void test_schedule_due_polls_unpublished_period_at_poll_interval(void **state)
{
    (void)state;
    struct schedule_spec spec = monthly(month(2023, 12));
    struct schedule_state st = {month(2023, 12), 0, JAN20 - 1 * HOUR, 1};
    struct period due[4];

    assert_int_equal(schedule_due(&spec, date(2024, 1, 20), JAN20, &st, 1, due, 4), 0);
    assert_int_equal(schedule_next_wakeup(&spec, JAN20, SHANGHAI, &st, 1, 86400), 5 * HOUR);
    st.last_attempt = JAN20 - 6 * HOUR; /* exactly one interval: due */
    assert_int_equal(schedule_due(&spec, date(2024, 1, 20), JAN20, &st, 1, due, 4), 1);
    st.last_attempt = JAN20 - 7 * HOUR;
    assert_int_equal(schedule_due(&spec, date(2024, 1, 20), JAN20, &st, 1, due, 4), 1);
    assert_period(due[0], month(2023, 12));
    /* a failed fetch (not_published 0) waits the same interval */
    st.last_attempt = JAN20 - 1 * HOUR;
    st.not_published = 0;
    assert_int_equal(schedule_due(&spec, date(2024, 1, 20), JAN20, &st, 1, due, 4), 0);
}

static void test_schedule_due_revision_window_repulls_last_3_once_per_poll(void **state)
{
    (void)state;
    struct schedule_state st[16];
    struct schedule_spec spec = monthly(month(2023, 1));
    struct period due[16];
    spec.revision_window = 3;

    size_t n = pulled(st, month(2023, 1), month(2023, 12), JAN20 - 7 * HOUR);
    assert_int_equal(schedule_due(&spec, date(2024, 1, 20), JAN20, st, n, due, 16), 3);
    assert_period(due[0], month(2023, 10));
    assert_period(due[1], month(2023, 11));
    assert_period(due[2], month(2023, 12));

    /* 2023-11 re-pulled an hour ago: the other two stay due */
    st[10].last_success = st[10].last_attempt = JAN20 - HOUR;
    assert_int_equal(schedule_due(&spec, date(2024, 1, 20), JAN20, st, n, due, 16), 2);
    assert_period(due[0], month(2023, 10));
    assert_period(due[1], month(2023, 12));

    /* all re-pulled an hour ago: none due, next re-pull in 5 h */
    n = pulled(st, month(2023, 1), month(2023, 12), JAN20 - HOUR);
    assert_int_equal(schedule_due(&spec, date(2024, 1, 20), JAN20, st, n, due, 16), 0);
    assert_int_equal(schedule_next_wakeup(&spec, JAN20, SHANGHAI, st, n, 86400), 5 * HOUR);

    /* a re-pull that failed an hour ago is not retried at once (no storm) */
    n = pulled(st, month(2023, 1), month(2023, 12), JAN20 - 7 * HOUR);
    st[11].last_attempt = JAN20 - HOUR;
    assert_int_equal(schedule_due(&spec, date(2024, 1, 20), JAN20, st, n, due, 16), 2);
    assert_period(due[1], month(2023, 11));

    /* the window never reaches before first_period */
    spec.first_period = month(2023, 12);
    n = pulled(st, month(2023, 12), month(2023, 12), JAN20 - 7 * HOUR);
    assert_int_equal(schedule_due(&spec, date(2024, 1, 20), JAN20, st, n, due, 16), 1);
    assert_period(due[0], month(2023, 12));
}

/* A quarterly source with lag 20 around its release day 2024-04-20. */
static void test_schedule_due_quarterly_source(void **state)
{
    (void)state;
    struct schedule_spec spec = {"q", PERIOD_QUARTER, 20, quarter(2023, 1), 86400, 1, 0};
    struct schedule_state st[4] = {
        {quarter(2023, 1), 1, 1, 0},
        {quarter(2023, 2), 1, 1, 0},
        {quarter(2023, 3), 1, 1, 0},
        {quarter(2023, 4), JAN20, JAN20, 0},
    };
    int64_t now = JAN20 + 90 * 86400L; /* 2024-04-19T00:00Z */
    struct period due[4];

    /* 04-19: 2023-Q4 is the newest released, re-pulled in the revision window of 1 */
    assert_int_equal(schedule_due(&spec, date(2024, 4, 19), now, st, 4, due, 4), 1);
    assert_period(due[0], quarter(2023, 4));
    /* 04-20: 2024-Q1 is released and takes the window; 2023-Q4 is done */
    assert_int_equal(schedule_due(&spec, date(2024, 4, 20), now + 86400, st, 4, due, 4), 1);
    assert_period(due[0], quarter(2024, 1));
}

static void test_schedule_due_yearly_source(void **state)
{
    (void)state;
    struct schedule_spec spec = {"y", PERIOD_YEAR, 90, {2020, PERIOD_YEAR, 1}, 86400, 0, 0};
    struct schedule_state st[2] = {
        {{2020, PERIOD_YEAR, 1}, 1, 1, 0},
        {{2021, PERIOD_YEAR, 1}, 1, 1, 0},
    };
    struct period due[4];

    assert_int_equal(schedule_due(&spec, date(2024, 3, 29), JAN20, st, 2, due, 4), 1);
    assert_int_equal(due[0].year, 2022);
    assert_int_equal(schedule_due(&spec, date(2024, 3, 30), JAN20, st, 2, due, 4), 2);
    assert_int_equal(due[1].year, 2023);
    assert_int_equal(due[1].freq, PERIOD_YEAR);
}

/* States of another frequency or before first_period do not count. */
static void test_schedule_due_ignores_foreign_states(void **state)
{
    (void)state;
    struct schedule_spec spec = monthly(month(2023, 12));
    struct schedule_state st[2] = {
        {quarter(2023, 4), JAN20, JAN20, 0},
        {month(2023, 11), 0, JAN20 - 100 * HOUR, 1},
    };
    struct period due[4];

    assert_int_equal(schedule_due(&spec, date(2024, 1, 20), JAN20, st, 2, due, 4), 1);
    assert_period(due[0], month(2023, 12));
}

/* The wall clock was set back: last_attempt lies in the future. */
static void test_schedule_due_clock_jump_back_does_not_stall(void **state)
{
    (void)state;
    struct schedule_spec spec = monthly(month(2023, 12));
    struct schedule_state st = {month(2023, 12), 0, JAN20 + 30 * 86400L, 1};
    struct period due[4];

    /* 30 days ahead: not trusted, due at once (one pull, then normal) */
    assert_int_equal(schedule_due(&spec, date(2024, 1, 20), JAN20, &st, 1, due, 4), 1);
    assert_int_equal(schedule_next_wakeup(&spec, JAN20, SHANGHAI, &st, 1, 86400), 0);

    /* 1 h ahead (within one interval): rests until it + 6 h, i.e. 7 h from now */
    st.last_attempt = JAN20 + HOUR;
    assert_int_equal(schedule_due(&spec, date(2024, 1, 20), JAN20, &st, 1, due, 4), 0);
    assert_int_equal(schedule_next_wakeup(&spec, JAN20, SHANGHAI, &st, 1, 86400), 7 * HOUR);
    assert_int_equal(schedule_due(&spec, date(2024, 1, 20), JAN20 + 7 * HOUR - 1, &st, 1, due, 4),
                     0);
    assert_int_equal(schedule_due(&spec, date(2024, 1, 20), JAN20 + 7 * HOUR, &st, 1, due, 4), 1);

    /* the boundary: exactly one interval ahead still rests, one second more does not */
    st.last_attempt = JAN20 + 6 * HOUR;
    assert_int_equal(schedule_due(&spec, date(2024, 1, 20), JAN20, &st, 1, due, 4), 0);
    st.last_attempt = JAN20 + 6 * HOUR + 1;
    assert_int_equal(schedule_due(&spec, date(2024, 1, 20), JAN20, &st, 1, due, 4), 1);

    /* a revision re-pull stamped far in the future is redone too */
    spec.revision_window = 1;
    st.last_success = st.last_attempt = JAN20 + 365 * 86400L;
    assert_int_equal(schedule_due(&spec, date(2024, 1, 20), JAN20, &st, 1, due, 4), 1);
}

static void test_schedule_next_wakeup_next_release_with_jitter_and_cap(void **state)
{
    (void)state;
    struct schedule_state st[16];
    size_t n = pulled(st, month(2023, 1), month(2023, 12), JAN20 - 400 * HOUR);
    struct schedule_spec spec = monthly(month(2023, 1));
    int64_t to_feb15 = 25 * 86400L + 16 * HOUR; /* to 2024-02-14T16:00Z = 02-15 00:00 +08 */

    assert_int_equal(schedule_next_wakeup(&spec, JAN20, SHANGHAI, st, n, 40 * 86400L), to_feb15);
    assert_int_equal(schedule_next_wakeup(&spec, JAN20, SHANGHAI, st, n, 86400), 86400);
    /* FNV-1a("parks-monthly") = 0xd75fd7c2359832ca; mod 3600 = 1146 */
    spec.jitter_window_s = 3600;
    assert_int_equal(schedule_next_wakeup(&spec, JAN20, SHANGHAI, st, n, 40 * 86400L),
                     to_feb15 + 1146);
    assert_int_equal(schedule_next_wakeup(&spec, JAN20, SHANGHAI, st, n, 0), -EINVAL);
}

static void test_schedule_jitter_offset_is_fnv1a_mod_window(void **state)
{
    (void)state;
    /* FNV-1a 64 test vectors: "" 0xcbf29ce484222325, "a" 0xaf63dc4c8601ec8c,
     * "foobar" 0x85944171f73967e8 */
    static const struct {
        const char *id;
        long window;
        long want;
    } rows[] = {
        {"", 3600, 437},
        {"a", 3600, 1996},
        {"foobar", 3600, 168},
        {"a", 86400, 73996},
        {"foobar", 86400, 72168},
        {NULL, 3600, 437},
        {"a", 0, 0},
        {"a", -5, 0},
        {"a", 1, 0},
    };
    for (size_t i = 0; i < TS_N(rows); i++)
        assert_int_equal(schedule_jitter_offset(rows[i].id, rows[i].window), rows[i].want);

    char id[16];
    for (int i = 0; i < 1000; i++) {
        snprintf(id, sizeof id, "source-%d", i);
        long j = schedule_jitter_offset(id, 600);
        assert_true(j >= 0 && j < 600);
        assert_int_equal(schedule_jitter_offset(id, 600), j); /* deterministic */
    }
}

/* Source "a" has jitter 1996 s in a 3600 s window: its 2024-01-15 begins at
 * 00:00 +08 plus 1996 s, and only then is 2023-12 (lag 15) released for it. */
static void test_schedule_today_starts_after_jitter(void **state)
{
    (void)state;
    struct schedule_spec spec = {"a", PERIOD_MONTH, 15, {2023, PERIOD_MONTH, 11}, 6 * HOUR,
                                 0,   3600};
    int64_t midnight = schedule_date_start(date(2024, 1, 15), SHANGHAI);
    struct period due[4];

    assert_int_equal(midnight, JAN20 - 5 * 86400L - 8 * HOUR);
    struct schedule_date d = schedule_today(&spec, midnight + 1995, SHANGHAI);
    assert_date(d, 2024, 1, 14);
    assert_int_equal(schedule_due(&spec, d, midnight + 1995, NULL, 0, due, 4), 1);
    assert_int_equal(schedule_next_wakeup(&spec, midnight + 1995, SHANGHAI, NULL, 0, 86400), 0);

    struct schedule_state st = {month(2023, 11), 1, 1, 0};
    assert_int_equal(schedule_next_wakeup(&spec, midnight + 1995, SHANGHAI, &st, 1, 86400), 1);
    d = schedule_today(&spec, midnight + 1996, SHANGHAI);
    assert_date(d, 2024, 1, 15);
    assert_int_equal(schedule_due(&spec, d, midnight + 1996, &st, 1, due, 4), 1);
    assert_period(due[0], month(2023, 12));
}

static void test_schedule_spec_check_rejects_bad_specs(void **state)
{
    (void)state;
    struct schedule_spec good = monthly(month(2023, 1));
    struct schedule_spec bad[8];
    for (size_t i = 0; i < TS_N(bad); i++)
        bad[i] = good;
    bad[0].freq = 3;
    bad[1].first_period = quarter(2023, 1);
    bad[2].poll_every_s = 0;
    bad[3].release_lag_days = -1;
    bad[4].revision_window = -1;
    bad[5].jitter_window_s = -1;
    bad[6].jitter_window_s = 86401;
    bad[7].first_period = month(2023, 13);

    assert_int_equal(schedule_spec_check(&good), 0);
    assert_int_equal(schedule_spec_check(NULL), -EINVAL);
    for (size_t i = 0; i < TS_N(bad); i++)
        assert_int_equal(schedule_spec_check(&bad[i]), -EINVAL);

    struct period due[1];
    assert_int_equal(schedule_due(&bad[2], date(2024, 1, 20), JAN20, NULL, 0, due, 1), -EINVAL);
    assert_int_equal(schedule_due(&good, date(2024, 1, 20), -1, NULL, 0, due, 1), -EINVAL);
    assert_int_equal(schedule_due(&good, date(2024, 1, 20), JAN20, NULL, 1, due, 1), -EINVAL);
    assert_int_equal(schedule_due(&good, date(2024, 1, 20), JAN20, NULL, 0, NULL, 1), -EINVAL);
    assert_int_equal(schedule_due(&good, date(2024, 2, 30), JAN20, NULL, 0, due, 1), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schedule_days_in_month_leap_rules),
        cmocka_unit_test(test_schedule_date_add_days_crosses_months_and_years),
        cmocka_unit_test(test_schedule_date_days_round_trip_every_day),
        cmocka_unit_test(test_schedule_date_from_time_uses_zone_offset),
        cmocka_unit_test(test_schedule_release_date_table),
        cmocka_unit_test(test_schedule_latest_released_table),
        cmocka_unit_test(test_schedule_latest_released_rejects_bad_input),
        cmocka_unit_test(test_schedule_due_catches_up_14_missed_months_oldest_first),
        cmocka_unit_test(test_schedule_due_caps_at_max_keeping_the_oldest),
        cmocka_unit_test(test_schedule_due_respects_first_period),
        cmocka_unit_test(test_schedule_due_polls_unpublished_period_at_poll_interval),
        cmocka_unit_test(test_schedule_due_revision_window_repulls_last_3_once_per_poll),
        cmocka_unit_test(test_schedule_due_quarterly_source),
        cmocka_unit_test(test_schedule_due_yearly_source),
        cmocka_unit_test(test_schedule_due_ignores_foreign_states),
        cmocka_unit_test(test_schedule_due_clock_jump_back_does_not_stall),
        cmocka_unit_test(test_schedule_next_wakeup_next_release_with_jitter_and_cap),
        cmocka_unit_test(test_schedule_jitter_offset_is_fnv1a_mod_window),
        cmocka_unit_test(test_schedule_today_starts_after_jitter),
        cmocka_unit_test(test_schedule_spec_check_rejects_bad_specs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
