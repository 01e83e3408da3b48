/*
 * outlier.h - skewness/kurtosis check and outlier treatment of one indicator
 * across units (the JRC / COINr rule): an indicator fails when |skew| >= 2 and
 * kurtosis >= 3.5; it is winsorised on its skewed side while it fails, and if
 * winsorisation cannot make it pass, the original values are log-transformed.
 * Pure functions; missing values are NAN and are ignored (and kept NAN).
 */
#ifndef PARKSTAT_OUTLIER_H
#define PARKSTAT_OUTLIER_H

#include <stddef.h>

/* How the winsorisation limit opts.winmax is counted. */
enum outlier_limit {
    /* At most winmax winsorisation steps; a step moves all tied extremes together. */
    OUTLIER_LIMIT_STEPS = 0,
    /* At most winmax points in total (tied points each count). */
    OUTLIER_LIMIT_POINTS,
    /*
     * COINr's own counter (R/treat.R winsorise(): nwin <- length(imax) + length(imin)
     * is reassigned, not accumulated), so it stops only when the latest high step
     * plus the latest low step moved >= winmax points. Capped at n steps here.
     */
    OUTLIER_LIMIT_COINR,
};

struct outlier_opts {
    double skew_thresh;       /* fail needs |skew| >= this; COINr default 2 */
    double kurt_thresh;       /* ... and kurtosis >= this; COINr default 3.5 */
    int winmax;               /* winsorisation limit, see limit; COINr default 5 */
    enum outlier_limit limit; /* how winmax is counted */
};

/* What outlier_treat() did to the indicator. */
enum outlier_treatment {
    OUTLIER_NONE = 0,   /* passed as it was (or too few values to judge) */
    OUTLIER_WINSORISED, /* winsorised until it passed */
    OUTLIER_LOG,        /* winsorisation failed: log of the original values */
    OUTLIER_LOG_FAILED, /* log used, and the logged values still fail */
};

struct outlier_result {
    enum outlier_treatment treatment;
    int steps;          /* winsorisation steps applied (OUTLIER_WINSORISED) */
    int points;         /* values changed by winsorisation (OUTLIER_WINSORISED) */
    double skew_before; /* NAN when fewer than 3 values */
    double kurt_before; /* NAN when fewer than 4 values */
    double skew_after;  /* of the returned values */
    double kurt_after;
};

/* The defaults COINr's Treat() uses: 2, 3.5, 5 steps. */
struct outlier_opts outlier_opts_default(void);

/*
 * Sample skewness as e1071::skewness(type = 2) and Excel SKEW, which COINr's
 * skew() copies: g = sqrt(n) sum d^3 / (sum d^2)^(3/2), G = g sqrt(n (n-1)) / (n-2),
 * d = x - mean, over the non-NAN values. NAN when fewer than 3 values or all equal.
 */
double outlier_skew(const double *x, size_t n);

/*
 * Sample excess kurtosis as e1071::kurtosis(type = 2) and Excel KURT, which COINr's
 * kurt() copies: r = n sum d^4 / (sum d^2)^2,
 * K = ((n + 1)(r - 3) + 6)(n - 1) / ((n - 2)(n - 3)). NAN when fewer than 4 values
 * or all equal.
 */
double outlier_kurt(const double *x, size_t n);

/*
 * 1 when x fails the check (|skew| >= skew_thresh and kurt >= kurt_thresh, COINr
 * check_SkewKurt), 0 when it passes or the statistics are undefined (NAN).
 */
int outlier_fails(const double *x, size_t n, const struct outlier_opts *opts);

/*
 * Treats x (n values, NAN missing) into out (n values; may equal x). Winsorising
 * replaces all values equal to the extreme on the skewed side (max when skew >= 0,
 * min otherwise) by the next value inwards, as COINr winsorise(). If x still fails
 * once the limit is reached, or when only two distinct values are left (one more
 * step would make x constant; COINr then gives up with NA), out becomes
 * log(x - min + 0.01 (max - min)) of the ORIGINAL x (COINr log_CT, with
 * combine_treat = FALSE). res may be NULL.
 * Returns 0, or -EINVAL for NULL arrays or opts.
 */
int outlier_treat(const double *x, size_t n, const struct outlier_opts *opts, double *out,
                  struct outlier_result *res);

#endif
