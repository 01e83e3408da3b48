/*
 * period.c - the period algebra: strict parsing and canonical text of SDMX
 * periods (2023, 2023-H1, 2023-Q3, 2023-07), stepping, nesting and ordering.
 *
 * A period is counted internally as an ordinal, year * freq + (index - 1), in
 * long arithmetic, so stepping by any int never overflows and a result outside
 * PERIOD_YEAR_MIN..PERIOD_YEAR_MAX is detected and turned into an invalid
 * period instead of a wrong one. Pure functions: no I/O, no allocation.
 */
#include "common/period.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <string.h>

static int freq_known(enum period_freq f)
{
    return f == PERIOD_YEAR || f == PERIOD_HALF || f == PERIOD_QUARTER || f == PERIOD_MONTH;
}

/* An invalid period that keeps p's frequency: year 0 is below PERIOD_YEAR_MIN. */
static struct period invalid_like(struct period p)
{
    struct period bad = {.year = 0, .freq = p.freq, .index = 1};
    return bad;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Reads the four-digit year at text[0..3]; returns it, or -1 (leading 0 too). */
static int parse_year(const char *text)
{
    int y = 0;
    for (int i = 0; i < 4; i++) {
        if (!is_digit(text[i]))
            return -1;
        y = y * 10 + (text[i] - '0');
    }
    return y >= PERIOD_YEAR_MIN && y <= PERIOD_YEAR_MAX ? y : -1;
}

/* Reads the two bytes after "YYYY-": "Hn", "Qn" or "MM". Returns 0 or -EINVAL. */
static int parse_suffix(const char *s, enum period_freq *freq, int *index)
{
    if (s[0] == 'H' || s[0] == 'Q') {
        /* Uppercase only: the canonical SDMX form; "2023-q3" is rejected. */
        enum period_freq f = s[0] == 'H' ? PERIOD_HALF : PERIOD_QUARTER;
        if (!is_digit(s[1]) || s[1] == '0' || s[1] - '0' > (int)f)
            return -EINVAL;
        *freq = f;
        *index = s[1] - '0';
        return 0;
    }
    if (!is_digit(s[0]) || !is_digit(s[1]))
        return -EINVAL;
    int m = (s[0] - '0') * 10 + (s[1] - '0');
    if (m < 1 || m > 12)
        return -EINVAL;
    *freq = PERIOD_MONTH;
    *index = m;
    return 0;
}

/*
 * Accepts exactly "YYYY" (len 4) or "YYYY-Hn", "YYYY-Qn", "YYYY-MM" (len 7),
 * YYYY in 1000..9999, H and Q uppercase. Any other length (including a NUL
 * counted in len) is -EINVAL. NULL out or text is -EINVAL.
 */
int period_parse(struct period *out, const char *text, size_t len)
{
    struct period p = {.freq = PERIOD_YEAR, .index = 1};

    if (!out || !text || (len != 4 && len != 7))
        return -EINVAL;
    if ((p.year = parse_year(text)) < 0)
        return -EINVAL;
    if (len == 7 && (text[4] != '-' || parse_suffix(text + 5, &p.freq, &p.index) < 0))
        return -EINVAL;
    *out = p;
    return 0;
}

/*
 * period_parse() on a NUL-terminated string; reads at most PERIOD_TEXT_SIZE
 * bytes of it, so a long string is rejected without being scanned to its end.
 */
int period_parse_str(struct period *out, const char *text)
{
    if (!text)
        return -EINVAL;
    return period_parse(out, text, strnlen(text, PERIOD_TEXT_SIZE));
}

/*
 * Canonical text of p into buf. Returns the length (4 or 7), -EINVAL for an
 * invalid p, -ENOSPC when size < length + 1 (buf then holds "" if size > 0).
 */
int period_format(struct period p, char *buf, size_t size)
{
    char t[PERIOD_TEXT_SIZE];
    int n = 4;

    if (!period_valid(p))
        return -EINVAL;
    t[0] = (char)('0' + p.year / 1000);
    t[1] = (char)('0' + p.year / 100 % 10);
    t[2] = (char)('0' + p.year / 10 % 10);
    t[3] = (char)('0' + p.year % 10);
    if (p.freq == PERIOD_MONTH) {
        t[4] = '-';
        t[5] = (char)('0' + p.index / 10);
        t[6] = (char)('0' + p.index % 10);
        n = 7;
    } else if (p.freq != PERIOD_YEAR) {
        t[4] = '-';
        t[5] = period_freq_char(p.freq);
        t[6] = (char)('0' + p.index);
        n = 7;
    }
    t[n] = '\0';
    if (!buf || size < (size_t)n + 1) {
        if (buf && size > 0)
            buf[0] = '\0';
        return -ENOSPC;
    }
    memcpy(buf, t, (size_t)n + 1);
    return n;
}

/* 1 when year is in range, freq is one of the four and index in 1..freq. */
int period_valid(struct period p)
{
    return p.year >= PERIOD_YEAR_MIN && p.year <= PERIOD_YEAR_MAX && freq_known(p.freq) &&
           p.index >= 1 && p.index <= (int)p.freq;
}

/* 'Y', 'H', 'Q', 'M', or 0 for a value that is not a frequency. */
char period_freq_char(enum period_freq freq)
{
    switch (freq) {
    case PERIOD_YEAR:
        return 'Y';
    case PERIOD_HALF:
        return 'H';
    case PERIOD_QUARTER:
        return 'Q';
    case PERIOD_MONTH:
        return 'M';
    }
    return 0;
}

/* The frequency named by c in either case, or 0. */
enum period_freq period_freq_from_char(char c)
{
    switch (c) {
    case 'Y':
    case 'y':
        return PERIOD_YEAR;
    case 'H':
    case 'h':
        return PERIOD_HALF;
    case 'Q':
    case 'q':
        return PERIOD_QUARTER;
    case 'M':
    case 'm':
        return PERIOD_MONTH;
    }
    return 0;
}

/*
 * p moved by n periods of its own frequency (2023-01 + -1 = 2022-12). For an
 * invalid p, or a result whose year falls outside PERIOD_YEAR_MIN..MAX, returns
 * an invalid period (year 0, p's frequency, index 1) that period_valid()
 * rejects; period_format() then fails with -EINVAL.
 */
struct period period_add(struct period p, int n)
{
    if (!period_valid(p))
        return invalid_like(p);
    long f = (long)p.freq;
    /* |n| < 2^31 and the ordinal < 12e4, so this long sum cannot overflow. */
    long k = (long)p.year * f + (p.index - 1) + (long)n;
    if (k < (long)PERIOD_YEAR_MIN * f || k >= ((long)PERIOD_YEAR_MAX + 1) * f)
        return invalid_like(p);
    struct period r = {.year = (int)(k / f), .freq = p.freq, .index = (int)(k % f) + 1};
    return r;
}

/* period_add(p, -1). */
struct period period_prev(struct period p)
{
    return period_add(p, -1);
}

/* period_add(p, 1). */
struct period period_next(struct period p)
{
    return period_add(p, 1);
}

/* period_add(p, -freq): same index a year earlier; invalid as period_add(). */
struct period period_same_last_year(struct period p)
{
    if (!period_valid(p))
        return invalid_like(p);
    return period_add(p, -(int)p.freq);
}

/* 1 when a period of frequency fine splits evenly into periods of coarse. */
static int nests(enum period_freq coarse, enum period_freq fine)
{
    return freq_known(coarse) && freq_known(fine) && (int)fine % (int)coarse == 0;
}

/*
 * The period of frequency freq containing p (freq == p.freq gives p). Returns 0,
 * or -EINVAL for an invalid p, a NULL out, or freq finer than p / not nesting
 * (there is none: the frequencies 1, 2, 4, 12 all nest in coarser ones).
 */
int period_container(struct period p, enum period_freq freq, struct period *out)
{
    if (!out || !period_valid(p) || !nests(freq, p.freq))
        return -EINVAL;
    int per = (int)p.freq / (int)freq; /* p-periods in one freq-period */
    struct period r = {.year = p.year, .freq = freq, .index = (p.index - 1) / per + 1};
    *out = r;
    return 0;
}

/*
 * The freq-periods that make up p, in time order, into out[0..max-1]. Returns
 * their count (freq / p.freq), -EINVAL for an invalid p or a freq coarser than
 * p's, -ENOSPC when max is below the count (out untouched).
 */
int period_subperiods(struct period p, enum period_freq freq, struct period *out, size_t max)
{
    if (!period_valid(p) || !nests(p.freq, freq))
        return -EINVAL;
    int count = (int)freq / (int)p.freq;
    if (!out || max < (size_t)count)
        return -ENOSPC;
    for (int i = 0; i < count; i++) {
        out[i].year = p.year;
        out[i].freq = freq;
        out[i].index = (p.index - 1) * count + i + 1;
    }
    return count;
}

/* First month (1..12) of p, or 0 for an invalid p. */
int period_first_month(struct period p)
{
    if (!period_valid(p))
        return 0;
    return (p.index - 1) * (12 / (int)p.freq) + 1;
}

/* Last month (1..12) of p, or 0 for an invalid p. */
int period_last_month(struct period p)
{
    if (!period_valid(p))
        return 0;
    return p.index * (12 / (int)p.freq);
}

static int cmp_long(long a, long b)
{
    return (a > b) - (a < b);
}

/*
 * Orders by (year, last month), then the finer frequency first. A total order
 * on any input, valid or not (invalid periods have last month 0 and are then
 * told apart by frequency and index), so it is safe as a qsort comparator.
 */
int period_cmp(struct period a, struct period b)
{
    int c;
    if ((c = cmp_long(a.year, b.year)) != 0)
        return c;
    if ((c = cmp_long(period_last_month(a), period_last_month(b))) != 0)
        return c;
    if ((c = cmp_long(b.freq, a.freq)) != 0)
        return c;
    return cmp_long(a.index, b.index);
}

/*
 * b - a counted in periods of their common frequency (2022-11 to 2023-02 is 3).
 * Different frequencies are a programmer error: assert()ed, and LONG_MIN when
 * assertions are off. Years are widened to long, so any ints are safe.
 */
long period_diff(struct period a, struct period b)
{
    assert(a.freq == b.freq);
    if (a.freq != b.freq)
        return LONG_MIN;
    long f = (long)a.freq;
    return ((long)b.year * f + b.index) - ((long)a.year * f + a.index);
}

/* ---- Periods as agencies write them ---- */

/* Reads 1..max digits at s[*i] (s has n bytes); the value, or -1. */
static int take_number(const char *s, size_t n, size_t *i, size_t max)
{
    int v = 0;
    size_t start = *i;

    while (*i < n && *i - start < max && is_digit(s[*i]))
        v = v * 10 + (s[(*i)++] - '0');
    return *i > start ? v : -1;
}

/* The frequency a letter names: A Y (year), S H (half), Q, M; W and D are
 * known but not supported (-ENOTSUP); anything else -EINVAL. */
static int letter_freq(char c, enum period_freq *f)
{
    switch (c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c) {
    case 'A':
    case 'Y':
        *f = PERIOD_YEAR;
        return 0;
    case 'S':
    case 'H':
        *f = PERIOD_HALF;
        return 0;
    case 'Q':
        *f = PERIOD_QUARTER;
        return 0;
    case 'M':
        *f = PERIOD_MONTH;
        return 0;
    case 'W':
    case 'D':
        return -ENOTSUP;
    default:
        return -EINVAL;
    }
}

/* A period written without a day: YYYY, YYYYMM, YYYY-MM, YYYY[-]Ln
 * (L a frequency letter). Returns 0, -ENOTSUP or -EINVAL. */
static int parse_compact(const char *s, size_t n, struct period *out)
{
    struct period p = {.freq = PERIOD_YEAR, .index = 1};
    size_t i = 4;
    int rc;

    if (n < 4 || (p.year = parse_year(s)) < 0)
        return -EINVAL;
    if (n == 4)
        goto done;
    if ((n == 6 && is_digit(s[4])) || (n == 7 && s[4] == '-' && is_digit(s[5]))) {
        /* 202001 or 2020-01 */
        i = n - 2;
        p.freq = PERIOD_MONTH;
        p.index = take_number(s, n, &i, 2);
        if (i != n || p.index < 1 || p.index > 12)
            return -EINVAL;
        goto done;
    }
    if (s[i] == '-')
        i++;
    if (i >= n || (rc = letter_freq(s[i], &p.freq)) == -EINVAL)
        return -EINVAL;
    i++;
    if (rc == -ENOTSUP) /* 2020-W05, 2020W5, 2020-D032: well-formed but too fine */
        return take_number(s, n, &i, 3) > 0 && i == n ? -ENOTSUP : -EINVAL;
    if (i == n && p.freq == PERIOD_YEAR)
        goto done; /* 2020A, 2020-A */
    p.index = take_number(s, n, &i, 2);
    if (i != n || p.index < 1 || p.index > (int)p.freq)
        return -EINVAL;
done:
    *out = p;
    return 0;
}

/* Days in month m of year y. */
static int month_days(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 ? 28 + leap : days[m - 1];
}

/* A date YYYY-MM-DD, optionally with a midnight time (T00:00, T00:00:00,
 * with Z). Returns 0 and year, month, day, or -EINVAL. */
static int parse_date(const char *s, size_t n, int *y, int *m, int *d)
{
    static const char *const midnight[] = {"T00:00", "T00:00:00", "T00:00Z", "T00:00:00Z"};
    size_t i = 5;
    int ok = n == 10;

    if (n < 10 || (*y = parse_year(s)) < 0 || s[4] != '-' || s[7] != '-')
        return -EINVAL;
    *m = take_number(s, 7, &i, 2);
    i = 8;
    *d = take_number(s, 10, &i, 2);
    if (*m < 1 || *m > 12 || *d < 1 || *d > month_days(*y, *m) || !is_digit(s[6]) ||
        !is_digit(s[9]))
        return -EINVAL;
    for (size_t k = 0; !ok && k < sizeof(midnight) / sizeof(midnight[0]); k++)
        ok = n - 10 == strlen(midnight[k]) && memcmp(s + 10, midnight[k], n - 10) == 0;
    return ok ? 0 : -EINVAL;
}

/* The period of frequency f that starts on y-m-d (start) or ends on it
 * (!start). Returns 0 or -EDOM. */
static int date_period(int y, int m, int d, enum period_freq f, int start, struct period *out)
{
    int months = 12 / (int)f;
    struct period p = {.year = y, .freq = f, .index = (m - 1) / months + 1};

    if (start ? (d != 1 || (m - 1) % months != 0) : (d != month_days(y, m) || m % months != 0))
        return -EDOM;
    *out = p;
    return 0;
}

/* A duration: P1Y P12M P6M P3M P1M; PnD PnW and PTn... are -ENOTSUP. */
static int parse_duration(const char *s, size_t n, enum period_freq *f)
{
    size_t i = 1;
    int v;

    if (n < 2 || s[0] != 'P')
        return -EINVAL;
    if (s[1] == 'T')
        return -ENOTSUP; /* hours, minutes, seconds */
    if ((v = take_number(s, n, &i, 3)) < 1 || i + 1 != n)
        return -EINVAL;
    if (s[i] == 'D' || s[i] == 'W')
        return -ENOTSUP;
    if (s[i] == 'Y' && v == 1)
        *f = PERIOD_YEAR;
    else if (s[i] == 'M' && (v == 12 || v == 6 || v == 3 || v == 1))
        *f = (enum period_freq)(12 / v);
    else
        return -EINVAL;
    return 0;
}

int period_parse_agency(struct period *out, const char *text, size_t len, enum period_freq hint)
{
    const char *s = text, *slash;
    size_t n = len;
    struct period p;
    enum period_freq f;
    int y, m, d, rc;

    if (!out || !text)
        return -EINVAL;
    while (n > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        n--;
    if (n < 4 || n > 40)
        return -EINVAL;
    if ((slash = memchr(s, '/', n))) {
        size_t k = (size_t)(slash - s);
        if ((rc = parse_duration(slash + 1, n - k - 1, &f)) < 0)
            return rc;
        if (parse_date(s, k, &y, &m, &d) == 0)
            rc = date_period(y, m, d, f, 1, &p);
        else if ((rc = parse_compact(s, k, &p)) == 0 && p.freq != f)
            rc = -EINVAL; /* 2020-Q1/P1M: the duration says another frequency */
        if (rc < 0)
            return rc;
        *out = p;
        return 0;
    }
    if (parse_date(s, n, &y, &m, &d) == 0) {
        if (!freq_known(hint))
            return -EDOM;
        if (date_period(y, m, d, hint, 1, &p) < 0 && date_period(y, m, d, hint, 0, &p) < 0)
            return -EDOM;
        *out = p;
        return 0;
    }
    if ((rc = parse_compact(s, n, &p)) < 0)
        return rc;
    *out = p;
    return 0;
}
