/*
 * ytd.h - series published as year-to-date cumulative values (累计值) turned into
 * values of single periods, and period values turned into coarser periods
 * (flows sum their sub-periods, stocks take the period-end value).
 * Pure functions on arrays indexed by period within one year; NAN is missing.
 */
#ifndef PARKSTAT_YTD_H
#define PARKSTAT_YTD_H

#include <stddef.h>

#include "common/period.h"

/* Per-value flags (bits). */
enum ytd_flag {
    YTD_OK = 0,
    YTD_MISSING = 1,    /* value is NAN: an input it needs is missing */
    YTD_TWO_MONTHS = 2, /* February value covers January and February together */
};

enum ytd_kind {
    YTD_FLOW,  /* amounts over a period (revenue): coarser = sum of sub-periods */
    YTD_STOCK, /* levels at a date (employees): coarser = value at the period end */
};

/*
 * Derives the values of single periods from cumulative ones. cum[k] is the
 * year-to-date value at the end of period k + 1 of one year in frequency freq
 * (n <= freq consecutive periods from the first). out[0] = cum[0];
 * out[k] = cum[k] - cum[k - 1]. A missing input makes the derived value NAN,
 * never zero. Monthly special case: January missing and February present
 * (the two published together) gives out[1] = cum[1] flagged YTD_TWO_MONTHS.
 * flags may be NULL. Returns 0, or -EINVAL for NULL arrays or n > freq.
 */
int ytd_periods(enum period_freq freq, const double *cum, size_t n, double *out, unsigned *flags);

/*
 * Values of periods of frequency to from monthly year-to-date values cum[0..n-1]
 * (January first): period p = cum(last month of p) - cum(last month of p - 1),
 * the first period of the year being cum(its last month). So Q1 = cum(Mar),
 * Q2 = cum(Jun) - cum(Mar), year = cum(Dec); exact even when January is missing.
 * Writes n_out = n / (12 / to) values (complete periods only; NAN when an input is
 * missing). Returns n_out, or -EINVAL (to does not divide a year, NULL arrays,
 * n > 12).
 */
int ytd_coarse_from_cum(const double *cum, size_t n, enum period_freq to, double *out);

/*
 * Coarsens period values v[0..n-1] of frequency from (v[0] being the first period
 * of a year; n may cover several years) to frequency to: flows sum their
 * sub-periods (NAN if any is missing), stocks take the last sub-period's value.
 * flags (may be NULL) are ytd_periods() flags of v: a missing January followed by
 * a YTD_TWO_MONTHS February counts as present, as February carries it. Writes
 * n / (from / to) complete periods. Returns that count, or -EINVAL when to is not
 * coarser than or does not nest in from.
 */
int ytd_coarsen(enum ytd_kind kind, enum period_freq from, enum period_freq to, const double *v,
                const unsigned *flags, size_t n, double *out);

/*
 * Year-to-date values of period values v[0..n-1] of frequency freq, v[0] being
 * the first period of a year (n may cover several years): flows cumulate from
 * the year's first period (out[t] = v[first of t's year] + ... + v[t]; NAN from
 * the first missing period to the year's end, never a partial sum); stocks are
 * already "to date" and are copied. out may equal v. This is the basis of a
 * year-to-date index, which compares out[t] with the same period of the base
 * year. Returns 0, or -EINVAL for NULL arrays or an invalid frequency.
 */
int ytd_cumulate(enum ytd_kind kind, enum period_freq freq, const double *v, size_t n, double *out);

#endif
