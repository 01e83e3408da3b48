/*
 * timefmt.c - ISO 8601 timestamps <-> microseconds since the epoch (UTC).
 */
#include "common/timefmt.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* days_from_civil: days since 1970-01-01 of a proleptic Gregorian date
 * (Howard Hinnant's algorithm, valid for all years here). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 ? 28 + leap : dm[m - 1];
}

/* Reads exactly n digits at *p, advancing it. Returns the value or -1. */
static int digits(const char **p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *p += n;
    return v;
}

int64_t time_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int parse_clock(const char **pp, int64_t *secs, int64_t *frac)
{
    const char *p = *pp;
    int hh = digits(&p, 2), mi, ss = 0;
    if (hh < 0 || hh > 23 || *p++ != ':')
        return -EINVAL;
    if ((mi = digits(&p, 2)) < 0 || mi > 59)
        return -EINVAL;
    if (*p == ':') {
        p++;
        if ((ss = digits(&p, 2)) < 0 || ss > 60)
            return -EINVAL;
        if (*p == '.') {
            int64_t scale = 100000;
            p++;
            if (*p < '0' || *p > '9')
                return -EINVAL;
            for (; *p >= '0' && *p <= '9'; p++, scale /= 10)
                *frac += (*p - '0') * scale;
        }
    }
    *secs = hh * 3600 + mi * 60 + ss;
    *pp = p;
    return 0;
}

static int parse_offset(const char **pp, int64_t *offset)
{
    const char *p = *pp;
    int sign, oh, om;
    if (*p == 'Z' || *p == 'z') {
        *pp = p + 1;
        return 0;
    }
    if (*p != '+' && *p != '-')
        return *p == '\0' ? 0 : -EINVAL;
    sign = *p++ == '-' ? -1 : 1;
    if ((oh = digits(&p, 2)) < 0 || oh > 23)
        return -EINVAL;
    if (*p == ':')
        p++;
    if ((om = digits(&p, 2)) < 0 || om > 59)
        return -EINVAL;
    *offset = sign * (oh * INT64_C(3600) + om * INT64_C(60));
    *pp = p;
    return 0;
}

int time_parse_iso(const char *text, int64_t *us)
{
    const char *p = text;
    int64_t secs = 0, frac = 0, offset = 0;
    int y, m, d;

    if ((y = digits(&p, 4)) < 0 || *p++ != '-')
        return -EINVAL;
    if ((m = digits(&p, 2)) < 1 || m > 12 || *p++ != '-')
        return -EINVAL;
    if ((d = digits(&p, 2)) < 1 || d > days_in_month(y, m))
        return -EINVAL;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (parse_clock(&p, &secs, &frac) < 0 || parse_offset(&p, &offset) < 0)
            return -EINVAL;
    }
    if (*p != '\0')
        return -EINVAL;
    secs += days_from_civil(y, m, d) * 86400 - offset;
    *us = secs * 1000000 + frac;
    return 0;
}

int time_format_iso(int64_t us, char *buf, size_t size)
{
    int64_t secs = us / 1000000, frac = us % 1000000;
    struct tm tm;
    time_t t;
    char base[64];
    int n;

    if (frac < 0) {
        frac += 1000000;
        secs -= 1;
    }
    t = (time_t)secs;
    if (!gmtime_r(&t, &tm))
        return -EINVAL;
    /* Not strftime's %Y: glibc writes year 999 as "999", which is not ISO 8601
     * and which time_parse_iso() rejects; the year is zero-padded to 4 digits. */
    snprintf(base, sizeof(base), "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (frac)
        n = snprintf(buf, size, "%s.%06lldZ", base, (long long)frac);
    else
        n = snprintf(buf, size, "%sZ", base);
    return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}
