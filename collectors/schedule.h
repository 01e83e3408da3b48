/*
 * schedule.h - the calendar of a collector source: which periods are due for a
 * pull, and how long the driver may sleep until the next one is.
 *
 * Pure functions, no I/O, no clock reads, no libuv: the caller passes the
 * time ("now", wall-clock seconds since the epoch, UTC), the civil date in the
 * configured time zone, and what it persisted about earlier pulls. The rules
 * with worked examples are in docs/SCHEDULE.md.
 *
 * Rules in short:
 *   - period p is released on schedule_release_date(p, lag): the last day of p
 *     plus lag days (2023-12 + 15 -> 2024-01-15; 2023-Q4 + 20 -> 2024-01-20);
 *   - every released period from first_period on without a successful pull is
 *     due (catch-up after downtime, oldest first);
 *   - the last revision_window released periods are due again once per
 *     poll_every (to catch revisions);
 *   - a period attempted (or pulled) less than poll_every ago rests, so an
 *     unpublished (404, empty) or failing period is polled at poll_every;
 *   - a source's day begins jitter seconds after local midnight, where jitter
 *     is a hash of the source id modulo the jitter window (no rand()).
 */
#ifndef PARKSTAT_SCHEDULE_H
#define PARKSTAT_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

#include "common/period.h"

/* A proleptic Gregorian civil date. */
struct schedule_date {
    int year;
    int month; /* 1 .. 12 */
    int day;   /* 1 .. schedule_days_in_month() */
};

/* What a source declares (docs/CONFIG.md sources[]), plus its jitter window. */
struct schedule_spec {
    const char *source_id;      /* hashed for the jitter offset; NULL hashes as "" */
    enum period_freq freq;      /* M, Q, H or Y */
    int release_lag_days;       /* >= 0, counted from the period's last day */
    struct period first_period; /* oldest period to pull, of frequency freq */
    long poll_every_s;          /* > 0: retry / re-pull interval */
    int revision_window;        /* >= 0: re-pull the newest K released periods */
    long jitter_window_s;       /* >= 0: spread sources over this many seconds */
};

/*
 * What the caller persisted about one period of the source (the store's last
 * run per source and period). Times are wall-clock seconds since the epoch,
 * UTC; 0 (or negative) means never.
 */
struct schedule_state {
    struct period period;
    int64_t last_success; /* last pull that stored the payload */
    int64_t last_attempt; /* last pull tried, whatever its outcome */
    int not_published;    /* 1: the last attempt found nothing (404, empty);
                             informational: retried at poll_every like a failure */
};

/* Seconds in a day; wake-ups are bounded by SCHEDULE_MAX_SLEEP_S by default. */
#define SCHEDULE_DAY_S       86400L
#define SCHEDULE_MAX_SLEEP_S SCHEDULE_DAY_S

/* 1 for a leap year of the Gregorian calendar (2024, 2000), else 0 (2023, 1900). */
int schedule_is_leap(int year);

/* Days in month (1..12) of year: 28..31; 0 for a month out of range. */
int schedule_days_in_month(int year, int month);

/* 1 when d is a valid civil date (year 1 .. 9999), else 0. */
int schedule_date_valid(struct schedule_date d);

/* Days since 1970-01-01 of a valid date (negative before). */
int64_t schedule_date_to_days(struct schedule_date d);

/* The date days after 1970-01-01 (days may be negative). */
struct schedule_date schedule_date_from_days(int64_t days);

/* d plus n days (n may be negative): 2023-12-31 + 1 = 2024-01-01. */
struct schedule_date schedule_date_add_days(struct schedule_date d, long n);

/* Orders dates: <0, 0, >0 as a is before, equal to, after b. */
int schedule_date_cmp(struct schedule_date a, struct schedule_date b);

/*
 * The civil date at wall-clock time t (seconds since the epoch, UTC) in a zone
 * utc_offset_s east of UTC (+28800 for Asia/Shanghai). The driver takes the
 * offset from localtime_r()'s tm_gmtoff with TZ set to the configured zone.
 */
struct schedule_date schedule_date_from_time(int64_t t, long utc_offset_s);

/* Wall-clock time (s, UTC) of 00:00 of date d in a zone utc_offset_s east of UTC. */
int64_t schedule_date_start(struct schedule_date d, long utc_offset_s);

/* The last day of a valid period: 2024-02 -> 2024-02-29, 2023-Q4 -> 2023-12-31. */
struct schedule_date schedule_period_end(struct period p);

/* The release date of p: its last day plus lag_days (2023-12, 15 -> 2024-01-15). */
struct schedule_date schedule_release_date(struct period p, int lag_days);

/*
 * The newest period of frequency freq whose release date (lag_days >= 0) is on
 * or before today. Returns 0 and sets *out, -EINVAL for a bad frequency, lag or
 * date, -ERANGE when that period's year is outside PERIOD_YEAR_MIN..MAX.
 */
int schedule_latest_released(enum period_freq freq, int lag_days, struct schedule_date today,
                             struct period *out);

/*
 * The source's deterministic offset in [0, window_s): 64-bit FNV-1a of the id
 * bytes modulo window_s. 0 when window_s <= 0. NULL hashes as "".
 */
long schedule_jitter_offset(const char *source_id, long window_s);

/*
 * The source's "today": the civil date at now - jitter offset, so a period
 * released on day D becomes due at 00:00 local time of D plus the source's
 * jitter. Pass this to schedule_due().
 */
struct schedule_date schedule_today(const struct schedule_spec *spec, int64_t now,
                                    long utc_offset_s);

/* 0 when spec is usable (frequencies match, intervals in range), else -EINVAL. */
int schedule_spec_check(const struct schedule_spec *spec);

/*
 * Writes the periods due at wall-clock time now (s, UTC, >= 0) into due (room
 * for max <= INT_MAX entries), oldest first, and returns how many it wrote (at most max;
 * pull them and call again for the rest), or -EINVAL for a bad spec or date.
 * today is the source's civil date (schedule_today()). states (n entries, may
 * be NULL when n is 0, any order, one per period) is what was persisted; a
 * period without an entry was never tried; entries of another frequency or
 * before first_period are ignored.
 *
 * Wall-clock jumps: a last_attempt/last_success up to poll_every in the future
 * counts as just now (the period rests until it plus poll_every, so at most
 * two intervals); one further in the future is not trusted and the period is
 * due at once, so a clock set back never stalls a source and costs at most
 * one extra pull per period.
 */
int schedule_due(const struct schedule_spec *spec, struct schedule_date today, int64_t now,
                 const struct schedule_state *states, size_t n, struct period *due, size_t max);

/*
 * Seconds from now until the next period becomes due: 0 when one is due now,
 * else the earlier of the next release (00:00 local of its release date plus
 * the source's jitter) and the next poll of a resting period; never more than
 * max_s (> 0; SCHEDULE_MAX_SLEEP_S is the usual bound), so a wall-clock jump
 * or a daylight-saving change of utc_offset_s is corrected within max_s. The
 * driver sleeps on the monotonic clock (a libuv timer) for the result, then
 * reads the wall clock again. Returns -EINVAL for a bad spec or max_s.
 */
int64_t schedule_next_wakeup(const struct schedule_spec *spec, int64_t now, long utc_offset_s,
                             const struct schedule_state *states, size_t n, int64_t max_s);

#endif
