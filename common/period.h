/*
 * period.h - statistical periods in SDMX notation: 2023, 2023-H1, 2023-Q3, 2023-07.
 *
 * A period is a small value type (no allocation): a year, a frequency and the
 * 1-based index of the period within the year. Pure functions, no I/O.
 */
#ifndef PARKSTAT_PERIOD_H
#define PARKSTAT_PERIOD_H

#include <stddef.h>

/* The frequency's value is the number of periods in a year. */
enum period_freq {
    PERIOD_YEAR = 1,
    PERIOD_HALF = 2,
    PERIOD_QUARTER = 4,
    PERIOD_MONTH = 12,
};

#define PERIOD_YEAR_MIN 1000
#define PERIOD_YEAR_MAX 9999
/* Longest text form ("2023-Q3", "2023-07") plus the terminating NUL. */
#define PERIOD_TEXT_SIZE 8

struct period {
    int year; /* PERIOD_YEAR_MIN .. PERIOD_YEAR_MAX */
    enum period_freq freq;
    int index; /* 1 .. freq */
};

/*
 * Parses exactly len bytes of text (no NUL needed; no surrounding blanks
 * allowed). Returns 0 and fills *out, or -EINVAL for anything that is not a
 * valid period ("2023-Q5", "2023-13", "23-01", "2023-7x", "", overlong); *out
 * is untouched on error.
 */
int period_parse(struct period *out, const char *text, size_t len);

/* period_parse() on a NUL-terminated string. */
int period_parse_str(struct period *out, const char *text);

/*
 * Parses len bytes of a period as statistics agencies write it (surrounding
 * blanks allowed), besides the canonical text:
 *   2020M01 2020M1 2020-M01 2020-M1 202001  a month
 *   2020Q1 2020-Q1 2020S1 2020-S1 2020H1    a quarter, a half year
 *   2020A 2020-A 2020A1 2020-A1 2020        a year
 *   2020-01-01 (also with T00:00:00 and Z)  the period of frequency hint that
 *                                           starts (or ends) that day
 *   2020-01-01/P1M 2020-Q1/P3M 2020/P1Y     a start and a duration (P1Y or P12M,
 *                                           P6M, P3M, P1M) that names the frequency
 * hint is the frequency the source says its periods have (0: not known).
 * Returns 0 and fills *out; -ENOTSUP for a daily, weekly or shorter period
 * (2020-W05, 2020-D032, 2020-01-01/P1D, 2020-01-01/P7D); -EDOM for a date
 * without hint, a date that neither starts nor ends a period of hint, or a
 * range whose start is not the start of a period of its duration; -EINVAL
 * for anything else. *out is untouched on error.
 */
int period_parse_agency(struct period *out, const char *text, size_t len, enum period_freq hint);

/*
 * Writes the canonical text of p into buf (at least PERIOD_TEXT_SIZE bytes
 * gives room for any valid period). Returns the length written, or -EINVAL for
 * an invalid period and -ENOSPC when size is too small.
 */
int period_format(struct period p, char *buf, size_t size);

/* Returns 1 when p holds a valid year, frequency and index, else 0. */
int period_valid(struct period p);

/* 'Y', 'H', 'Q', 'M' for a frequency; 0 for an invalid one. */
char period_freq_char(enum period_freq freq);

/* The frequency for 'Y', 'H', 'Q', 'M' (upper or lower case), or 0. */
enum period_freq period_freq_from_char(char c);

/*
 * The period n steps after p (n may be negative), in p's frequency. When p is
 * invalid or the result's year falls outside PERIOD_YEAR_MIN..PERIOD_YEAR_MAX,
 * returns an invalid period (year 0) that period_valid() rejects.
 */
struct period period_add(struct period p, int n);

/* period_add(p, -1) and period_add(p, 1). */
struct period period_prev(struct period p);
struct period period_next(struct period p);

/* The same period one year earlier (2023-Q3 -> 2022-Q3). */
struct period period_same_last_year(struct period p);

/*
 * The period of frequency freq that contains p (2023-08 in PERIOD_QUARTER is
 * 2023-Q3). Returns 0, or -EINVAL when freq is finer than p's frequency or does
 * not nest in it.
 */
int period_container(struct period p, enum period_freq freq, struct period *out);

/*
 * Writes the periods of frequency freq that make up p, in order, into out
 * (room for max entries): 2023-Q3 in months is 2023-07, 2023-08, 2023-09.
 * Returns their count, or -EINVAL when freq is coarser than p's or does not
 * nest, -ENOSPC when max is too small.
 */
int period_subperiods(struct period p, enum period_freq freq, struct period *out, size_t max);

/* First and last calendar month (1..12) covered by p. */
int period_first_month(struct period p);
int period_last_month(struct period p);

/*
 * Orders periods by their last month, finer first when they end together:
 * 2023-08 < 2023-09 < 2023-Q3 < 2023-10 ... 2023-12 < 2023-Q4 < 2023-H2 < 2023.
 * Returns <0, 0, >0.
 */
int period_cmp(struct period a, struct period b);

/* Number of periods from a to b (b - a), both of the same frequency. */
long period_diff(struct period a, struct period b);

#endif
