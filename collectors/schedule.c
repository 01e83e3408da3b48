/*
 * schedule.c - the calendar of a collector source: civil dates, release dates,
 * the periods due for a pull and the time until the next one (schedule.h).
 *
 * Pure: the caller passes the wall-clock time, the zone's UTC offset and what
 * it persisted; nothing here reads a clock, allocates or logs. Periods are
 * walked as ordinals (year * freq + index - 1) so the arithmetic needs no
 * other module's code.
 */
#include "collectors/schedule.h"

#include <assert.h>
#include <errno.h>

/* Bounds that keep every sum of times safely below INT64_MAX. */
#define SCHEDULE_TIME_MAX (INT64_C(1) << 52)
#define SCHEDULE_LAG_MAX  366
#define SCHEDULE_POLL_MAX (366L * SCHEDULE_DAY_S)

int schedule_is_leap(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int schedule_days_in_month(int year, int month)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12)
        return 0;
    return month == 2 ? 28 + schedule_is_leap(year) : dm[month - 1];
}

int schedule_date_valid(struct schedule_date d)
{
    return d.year >= 1 && d.year <= 9999 && d.day >= 1 &&
           d.day <= schedule_days_in_month(d.year, d.month);
}

/* days_from_civil (Howard Hinnant, "chrono-compatible low-level date algorithms"):
 * eras of 400 years, years starting in March so the leap day comes last. */
int64_t schedule_date_to_days(struct schedule_date d)
{
    int64_t y = (int64_t)d.year - (d.month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (d.month + (d.month > 2 ? -3 : 9)) + 2) / 5 + d.day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* civil_from_days, the inverse of the above (same source). */
struct schedule_date schedule_date_from_days(int64_t days)
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    struct schedule_date d;
    d.day = (int)(doy - (153 * mp + 2) / 5 + 1);
    d.month = (int)(mp < 10 ? mp + 3 : mp - 9);
    d.year = (int)(yoe + era * 400 + (d.month <= 2));
    return d;
}

struct schedule_date schedule_date_add_days(struct schedule_date d, long n)
{
    return schedule_date_from_days(schedule_date_to_days(d) + n);
}

int schedule_date_cmp(struct schedule_date a, struct schedule_date b)
{
    if (a.year != b.year)
        return a.year < b.year ? -1 : 1;
    if (a.month != b.month)
        return a.month < b.month ? -1 : 1;
    if (a.day != b.day)
        return a.day < b.day ? -1 : 1;
    return 0;
}

/* Floor division, so times before the epoch fall on the previous day. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

struct schedule_date schedule_date_from_time(int64_t t, long utc_offset_s)
{
    return schedule_date_from_days(floor_div(t + utc_offset_s, SCHEDULE_DAY_S));
}

int64_t schedule_date_start(struct schedule_date d, long utc_offset_s)
{
    /* local 00:00 is utc_offset_s after 00:00 UTC, so it is that much earlier in UTC */
    return schedule_date_to_days(d) * SCHEDULE_DAY_S - utc_offset_s;
}

static int freq_ok(enum period_freq freq)
{
    return freq == PERIOD_YEAR || freq == PERIOD_HALF || freq == PERIOD_QUARTER ||
           freq == PERIOD_MONTH;
}

static int period_ok(struct period p, enum period_freq freq)
{
    return p.freq == freq && freq_ok(freq) && p.year >= PERIOD_YEAR_MIN &&
           p.year <= PERIOD_YEAR_MAX && p.index >= 1 && p.index <= (int)freq;
}

/* A period's position on its frequency's time line: consecutive periods differ by 1. */
static int64_t ordinal(struct period p)
{
    return (int64_t)p.year * p.freq + (p.index - 1);
}

static struct period from_ordinal(int64_t ord, enum period_freq freq)
{
    struct period p;
    p.year = (int)floor_div(ord, freq);
    p.freq = freq;
    p.index = (int)(ord - (int64_t)p.year * freq) + 1;
    return p;
}

struct schedule_date schedule_period_end(struct period p)
{
    struct schedule_date d;
    assert(freq_ok(p.freq));
    d.year = p.year;
    d.month = p.index * (12 / (int)p.freq); /* 2023-Q3: 3 * 3 = September */
    d.day = schedule_days_in_month(d.year, d.month);
    return d;
}

struct schedule_date schedule_release_date(struct period p, int lag_days)
{
    return schedule_date_add_days(schedule_period_end(p), lag_days);
}

int schedule_latest_released(enum period_freq freq, int lag_days, struct schedule_date today,
                             struct period *out)
{
    if (!freq_ok(freq) || lag_days < 0 || lag_days > SCHEDULE_LAG_MAX ||
        !schedule_date_valid(today))
        return -EINVAL;
    /* release(p) = end(p) + lag <= today  <=>  end(p) <= today - lag =: d.
     * The period holding d qualifies only when d is its last day. */
    struct schedule_date d = schedule_date_add_days(today, -lag_days);
    struct period p = {d.year, freq, (d.month - 1) / (12 / (int)freq) + 1};
    int64_t ord = ordinal(p);
    if (schedule_date_cmp(schedule_period_end(p), d) != 0)
        ord--;
    p = from_ordinal(ord, freq);
    if (p.year < PERIOD_YEAR_MIN || p.year > PERIOD_YEAR_MAX)
        return -ERANGE;
    *out = p;
    return 0;
}

long schedule_jitter_offset(const char *source_id, long window_s)
{
    /* FNV-1a, 64 bit: offset basis 14695981039346656037, prime 2^40 + 2^8 + 0xb3 */
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    if (window_s <= 0)
        return 0;
    for (const unsigned char *s = (const unsigned char *)(source_id ? source_id : ""); *s; s++) {
        h ^= *s;
        h *= UINT64_C(0x100000001b3);
    }
    return (long)(h % (uint64_t)window_s);
}

struct schedule_date schedule_today(const struct schedule_spec *spec, int64_t now,
                                    long utc_offset_s)
{
    assert(spec);
    long jitter = schedule_jitter_offset(spec->source_id, spec->jitter_window_s);
    return schedule_date_from_time(now - jitter, utc_offset_s);
}

int schedule_spec_check(const struct schedule_spec *spec)
{
    if (!spec || !freq_ok(spec->freq) || !period_ok(spec->first_period, spec->freq))
        return -EINVAL;
    if (spec->release_lag_days < 0 || spec->release_lag_days > SCHEDULE_LAG_MAX)
        return -EINVAL;
    if (spec->poll_every_s <= 0 || spec->poll_every_s > SCHEDULE_POLL_MAX)
        return -EINVAL;
    if (spec->revision_window < 0 || spec->jitter_window_s < 0 ||
        spec->jitter_window_s > SCHEDULE_DAY_S)
        return -EINVAL;
    return 0;
}

/* The released periods to consider, as ordinals [*first, *latest]; empty
 * (*latest < *first) before first_period is released. */
static int released_range(const struct schedule_spec *spec, struct schedule_date today,
                          int64_t *first, int64_t *latest)
{
    struct period p;
    int rc = schedule_latest_released(spec->freq, spec->release_lag_days, today, &p);
    *first = ordinal(spec->first_period);
    if (rc == -ERANGE) { /* nothing released since year PERIOD_YEAR_MIN */
        *latest = *first - 1;
        return 0;
    }
    if (rc < 0)
        return rc;
    *latest = ordinal(p);
    return 0;
}

/* The state of period ord, or NULL. Searching from where the last hit left
 * off makes a walk over states sorted by period linear; any order works. */
static const struct schedule_state *find_state(const struct schedule_state *states, size_t n,
                                               enum period_freq freq, int64_t ord, size_t *hint)
{
    for (size_t k = 0; k < n; k++) {
        size_t i = (*hint + k) % n;
        if (states[i].period.freq == freq && ordinal(states[i].period) == ord) {
            *hint = i + 1;
            return &states[i];
        }
    }
    return NULL;
}

/*
 * Whether period ord (released, >= first_period) wants a pull, and from when.
 * Returns 1 and sets *ready (<= now: due now) for a period never pulled
 * successfully or inside the revision window; 0 for one that is done.
 */
static int candidate(const struct schedule_spec *spec, const struct schedule_state *s, int64_t ord,
                     int64_t latest, int64_t now, int64_t *ready)
{
    int in_window = latest - ord < spec->revision_window;
    if (s && s->last_success > 0 && !in_window)
        return 0;
    int64_t touch = 0;
    if (s)
        touch = s->last_attempt > s->last_success ? s->last_attempt : s->last_success;
    /* Never touched, a time that cannot be real, or stamped by a clock since
     * set back by more than an interval (not trusted): due now. */
    if (touch <= 0 || touch > SCHEDULE_TIME_MAX ||
        (touch > now && touch - now > spec->poll_every_s))
        *ready = now;
    else
        *ready = touch + spec->poll_every_s; /* rests one poll interval */
    return 1;
}

static int args_check(const struct schedule_spec *spec, int64_t now,
                      const struct schedule_state *states, size_t n)
{
    if (schedule_spec_check(spec) < 0 || now < 0 || now > SCHEDULE_TIME_MAX)
        return -EINVAL;
    if (n > 0 && !states)
        return -EINVAL;
    return 0;
}

int schedule_due(const struct schedule_spec *spec, struct schedule_date today, int64_t now,
                 const struct schedule_state *states, size_t n, struct period *due, size_t max)
{
    int64_t first, latest, ready;
    size_t count = 0, hint = 0;
    int rc;

    if ((rc = args_check(spec, now, states, n)) < 0)
        return rc;
    if ((max > 0 && !due) || max > INT32_MAX)
        return -EINVAL;
    if ((rc = released_range(spec, today, &first, &latest)) < 0)
        return rc;
    for (int64_t ord = first; ord <= latest && count < max; ord++) {
        const struct schedule_state *s = find_state(states, n, spec->freq, ord, &hint);
        if (candidate(spec, s, ord, latest, now, &ready) && ready <= now)
            due[count++] = from_ordinal(ord, spec->freq);
    }
    return (int)count;
}

/* Wall-clock time of the next release after latest: 00:00 local of its
 * release date plus the source's jitter. INT64_MAX past year 9999. */
static int64_t next_release(const struct schedule_spec *spec, int64_t first, int64_t latest,
                            long utc_offset_s)
{
    struct period p = from_ordinal(latest + 1 > first ? latest + 1 : first, spec->freq);
    if (p.year > PERIOD_YEAR_MAX)
        return INT64_MAX;
    struct schedule_date r = schedule_release_date(p, spec->release_lag_days);
    return schedule_date_start(r, utc_offset_s) +
           schedule_jitter_offset(spec->source_id, spec->jitter_window_s);
}

int64_t schedule_next_wakeup(const struct schedule_spec *spec, int64_t now, long utc_offset_s,
                             const struct schedule_state *states, size_t n, int64_t max_s)
{
    int64_t first, latest, ready, wake;
    size_t hint = 0;
    int rc;

    if ((rc = args_check(spec, now, states, n)) < 0)
        return rc;
    if (max_s <= 0 || utc_offset_s < -SCHEDULE_DAY_S || utc_offset_s > SCHEDULE_DAY_S)
        return -EINVAL;
    struct schedule_date today = schedule_today(spec, now, utc_offset_s);
    if ((rc = released_range(spec, today, &first, &latest)) < 0)
        return rc;
    wake = next_release(spec, first, latest, utc_offset_s);
    for (int64_t ord = first; ord <= latest; ord++) {
        const struct schedule_state *s = find_state(states, n, spec->freq, ord, &hint);
        if (!candidate(spec, s, ord, latest, now, &ready))
            continue;
        if (ready <= now)
            return 0;
        if (ready < wake)
            wake = ready;
    }
    return wake - now < max_s ? wake - now : max_s;
}
