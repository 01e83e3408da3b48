/*
 * checks.h - consistency checks over dense series (pure: arrays in,
 * violations out). A series is v[u * np + p] for unit u and period p, NAN
 * missing; a check skips every comparison that involves a missing value.
 * Each violation found is handed to emit(); a non-zero return of emit stops
 * the check and is returned. Returns 0, emit's return, or -EINVAL.
 */
#ifndef PARKSTAT_AGGREGATE_CHECKS_H
#define PARKSTAT_AGGREGATE_CHECKS_H

#include <stddef.h>

struct check_violation {
    size_t unit;      /* row u */
    size_t period;    /* column p */
    double value;     /* the value that failed */
    double expected;  /* what it was held against: a sum, a bound, an earlier value */
    const char *what; /* a static phrase: "sum of parts", "above max", ... */
};

typedef int (*check_emit_fn)(const struct check_violation *v, void *arg);

/* |total - sum(parts)| > tol (plus a relative 1e-9 for rounding) where the
 * total and every part are present; expected is the sum of the parts.
 * mask (nu, may be NULL: every unit) selects the units checked. */
int check_sum(const double *total, const double *const *parts, size_t nparts, size_t nu, size_t np,
              double tol, const unsigned char *mask, check_emit_fn emit, void *arg);

/* v outside [lo, hi] (NAN bound: none); expected is the bound crossed. */
int check_range(const double *v, size_t nu, size_t np, double lo, double hi,
                const unsigned char *mask, check_emit_fn emit, void *arg);

/*
 * Growth against the period lag columns earlier, g = (v / v_lag - 1) * 100,
 * where v_lag > 0. Reports |g| > max (NAN: off; expected is v_lag, what
 * "growth above max"), and, when z is not NAN, g further than z robust
 * standard deviations (1.4826 x MAD) from the median growth of the masked
 * units in that period (at least 3 growths and MAD > 0; what "growth outlier").
 */
int check_growth(const double *v, size_t nu, size_t np, size_t lag, double max, double z,
                 const unsigned char *mask, check_emit_fn emit, void *arg);

/*
 * A parent's own value against the sum of its children: parent[u] is the
 * row of u's parent or -1; own (nu x np, may be NULL: every value is own)
 * says which values were reported rather than rolled up. Checked where the
 * parent (masked) has an own value and every child a value; expected is the
 * children's sum.
 */
int check_hierarchy(const double *v, const unsigned char *own, const long *parent, size_t nu,
                    size_t np, double tol, const unsigned char *mask, check_emit_fn emit,
                    void *arg);

/* A year-to-date series (per_year periods a year, column 0 the first of a
 * year) falling by more than tol below the last present value of the same
 * year; expected is that earlier value. */
int check_monotone_ytd(const double *v, size_t nu, size_t np, size_t per_year, double tol,
                       const unsigned char *mask, check_emit_fn emit, void *arg);

/* A rate outside [lo, hi], and (num, den not NULL) a numerator above its
 * denominator (value the numerator, expected the denominator). */
int check_ratio(const double *rate, const double *num, const double *den, size_t nu, size_t np,
                double lo, double hi, const unsigned char *mask, check_emit_fn emit, void *arg);

#endif
