/*
 * growth.c - percent growth rates with NAN for undefined bases.
 */
#include "aggregate/growth.h"

#include <errno.h>
#include <math.h>

double growth_pct(double cur, double base)
{
    if (!isfinite(cur) || !isfinite(base) || base == 0.0) {
        return NAN;
    }
    return (cur - base) / fabs(base) * 100.0;
}

int growth_lagged(const double *x, size_t n, int lag, double *out)
{
    if (!x || !out || lag < 0) {
        return -EINVAL;
    }
    /* backwards, so the base x[t - lag] is read before out[t - lag] is written */
    for (size_t t = n; t-- > 0;) {
        out[t] = t < (size_t)lag ? NAN : growth_pct(x[t], x[t - (size_t)lag]);
    }
    return 0;
}

double growth_annualised(double x0, double xt, double years)
{
    if (!isfinite(x0) || !isfinite(xt) || !isfinite(years) || x0 <= 0.0 || xt < 0.0 ||
        years <= 0.0) {
        return NAN;
    }
    /* compound annual growth: (xt / x0)^(1 / n) - 1 */
    return (pow(xt / x0, 1.0 / years) - 1.0) * 100.0;
}
