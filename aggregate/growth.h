/*
 * growth.h - growth rates in percent: year-on-year, period-on-period,
 * cumulative year-on-year and annualised (compound) growth. A missing or zero
 * base gives NAN, never inf. Pure functions; NAN is missing.
 */
#ifndef PARKSTAT_GROWTH_H
#define PARKSTAT_GROWTH_H

#include <stddef.h>

/*
 * Percent change from base to cur: (cur - base) / |base| x 100. Dividing by |base|
 * keeps the sign meaning "went up" for a negative base (a loss of -10 becoming -5
 * is +50 %). NAN when either is NAN or infinite, or base == 0.
 */
double growth_pct(double cur, double base);

/*
 * out[t] = growth_pct(x[t], x[t - lag]) for t >= lag, NAN for t < lag.
 * lag = 12 on months (4 on quarters) is year-on-year, lag = 1 period-on-period.
 * Cumulative year-on-year is the same on a year-to-date series:
 * (cum(t) / cum(t - 12) - 1) x 100. out may equal x (in place).
 * Returns 0, or -EINVAL for NULL arrays or lag < 0.
 */
int growth_lagged(const double *x, size_t n, int lag, double *out);

/*
 * Annualised growth over years years: ((xt / x0)^(1 / years) - 1) x 100.
 * NAN when x0 <= 0 (a negative base has no real root), xt < 0, years <= 0 or an
 * input is NAN or infinite. xt == 0 gives -100.
 */
double growth_annualised(double x0, double xt, double years);

#endif
