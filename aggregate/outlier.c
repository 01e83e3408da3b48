/*
 * outlier.c - skew/kurtosis outlier check, winsorisation and log transform,
 * mirroring COINr (bluefoxr/COINr, R/treat.R: skew(), kurt(), check_SkewKurt(),
 * winsorise(), log_CT(), Treat.numeric() with combine_treat = FALSE).
 */
#include "aggregate/outlier.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct outlier_opts outlier_opts_default(void)
{
    struct outlier_opts o = {2.0, 3.5, 5, OUTLIER_LIMIT_STEPS};
    return o;
}

/* Count and mean of the non-NAN values. */
static size_t present_mean(const double *x, size_t n, double *mean)
{
    size_t m = 0;
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!isnan(x[i])) {
            s += x[i];
            m++;
        }
    }
    *mean = m ? s / (double)m : NAN;
    return m;
}

/* Sums of d^2, d^3, d^4 with d = x - mean over the non-NAN values. */
static void central_sums(const double *x, size_t n, double mean, double *s2, double *s3, double *s4)
{
    *s2 = *s3 = *s4 = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i])) {
            continue;
        }
        double d = x[i] - mean;
        *s2 += d * d;
        *s3 += d * d * d;
        *s4 += d * d * d * d;
    }
}

double outlier_skew(const double *x, size_t n)
{
    double mean, s2, s3, s4;
    size_t m = present_mean(x, n, &mean);
    if (m < 3) {
        return NAN;
    }
    central_sums(x, n, mean, &s2, &s3, &s4);
    if (s2 <= 0.0) {
        return NAN;
    }
    double dm = (double)m;
    /* e1071 type 2: sqrt(n) sum d^3 / (sum d^2)^1.5 * sqrt(n (n - 1)) / (n - 2) */
    double g = sqrt(dm) * s3 / pow(s2, 1.5);
    return g * sqrt(dm * (dm - 1.0)) / (dm - 2.0);
}

double outlier_kurt(const double *x, size_t n)
{
    double mean, s2, s3, s4;
    size_t m = present_mean(x, n, &mean);
    if (m < 4) {
        return NAN;
    }
    central_sums(x, n, mean, &s2, &s3, &s4);
    if (s2 <= 0.0) {
        return NAN;
    }
    double dm = (double)m;
    /* e1071 type 2: ((n + 1)(r - 3) + 6)(n - 1) / ((n - 2)(n - 3)), r = n sum d^4 / (sum d^2)^2 */
    double r = dm * s4 / (s2 * s2);
    return ((dm + 1.0) * (r - 3.0) + 6.0) * (dm - 1.0) / ((dm - 2.0) * (dm - 3.0));
}

int outlier_fails(const double *x, size_t n, const struct outlier_opts *opts)
{
    double sk = outlier_skew(x, n);
    double kt = outlier_kurt(x, n);
    if (isnan(sk) || isnan(kt)) {
        return 0;
    }
    /* COINr check_SkewKurt: pass <- abs(sk) < skew_thresh | kt < kurt_thresh */
    return fabs(sk) >= opts->skew_thresh && kt >= opts->kurt_thresh;
}

/* Number of present values equal to neither a nor b. */
static size_t distinct_beyond(const double *x, size_t n, double a, double b)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++) {
        c += !isnan(x[i]) && x[i] != a && x[i] != b;
    }
    return c;
}

/*
 * One winsorisation step on the side given by the sign of the skew: every value
 * equal to the extreme becomes the nearest value inwards. Returns the number of
 * values moved (0 when there is no inner value left).
 */
static int winsorise_step(double *x, size_t n, int high)
{
    double ext = NAN, inner = NAN;
    for (size_t i = 0; i < n; i++) {
        if (!isnan(x[i]) && (isnan(ext) || (high ? x[i] > ext : x[i] < ext))) {
            ext = x[i];
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (!isnan(x[i]) && x[i] != ext && (isnan(inner) || (high ? x[i] > inner : x[i] < inner))) {
            inner = x[i];
        }
    }
    if (isnan(inner) || distinct_beyond(x, n, ext, inner) == 0) {
        return 0; /* two distinct values left: one more step would make x constant */
    }
    int moved = 0;
    for (size_t i = 0; i < n; i++) {
        if (x[i] == ext) {
            x[i] = inner;
            moved++;
        }
    }
    return moved;
}

/* 1 while another winsorisation step is allowed under opts. */
static int below_limit(const struct outlier_opts *opts, int steps, int points, int last_hi,
                       int last_lo, size_t n)
{
    switch (opts->limit) {
    case OUTLIER_LIMIT_POINTS:
        return points < opts->winmax;
    case OUTLIER_LIMIT_COINR:
        /* COINr's reassigned counter; the n cap stops a run that would never end. */
        return last_hi + last_lo < opts->winmax && (size_t)steps < n;
    case OUTLIER_LIMIT_STEPS:
    default:
        return steps < opts->winmax;
    }
}

/* Winsorises out in place while it fails; fills res->steps/points. Returns 1 if it passes. */
static int winsorise(double *out, size_t n, const struct outlier_opts *opts,
                     struct outlier_result *res)
{
    int last_hi = 0, last_lo = 0;
    while (outlier_fails(out, n, opts) &&
           below_limit(opts, res->steps, res->points, last_hi, last_lo, n)) {
        int high = outlier_skew(out, n) >= 0.0;
        int moved = winsorise_step(out, n, high);
        if (moved == 0) {
            break;
        }
        *(high ? &last_hi : &last_lo) = moved;
        res->steps++;
        res->points += moved;
    }
    return !outlier_fails(out, n, opts);
}

/* COINr log_CT: log(x - min + 0.01 (max - min)) of the original values. */
static void log_ct(const double *x, size_t n, double *out)
{
    double mn = INFINITY, mx = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (!isnan(x[i])) {
            mn = x[i] < mn ? x[i] : mn;
            mx = x[i] > mx ? x[i] : mx;
        }
    }
    for (size_t i = 0; i < n; i++) {
        out[i] = isnan(x[i]) ? NAN : log(x[i] - mn + 0.01 * (mx - mn));
    }
}

int outlier_treat(const double *x, size_t n, const struct outlier_opts *opts, double *out,
                  struct outlier_result *res)
{
    struct outlier_result local;
    if (!x || !out || !opts) {
        return -EINVAL;
    }
    if (!res) {
        res = &local;
    }
    memset(res, 0, sizeof(*res));
    res->skew_before = outlier_skew(x, n);
    res->kurt_before = outlier_kurt(x, n);
    memmove(out, x, n * sizeof(*out));
    if (outlier_fails(x, n, opts)) {
        if (winsorise(out, n, opts, res)) {
            res->treatment = OUTLIER_WINSORISED;
        } else {
            log_ct(x, n, out);
            res->treatment = outlier_fails(out, n, opts) ? OUTLIER_LOG_FAILED : OUTLIER_LOG;
        }
    }
    res->skew_after = outlier_skew(out, n);
    res->kurt_after = outlier_kurt(out, n);
    return 0;
}
