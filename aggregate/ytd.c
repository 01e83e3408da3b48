/*
 * ytd.c - year-to-date to period values, and coarsening of flows and stocks.
 */
#include "aggregate/ytd.h"

#include <errno.h>
#include <math.h>

static int freq_valid(enum period_freq f)
{
    return f == PERIOD_YEAR || f == PERIOD_HALF || f == PERIOD_QUARTER || f == PERIOD_MONTH;
}

int ytd_periods(enum period_freq freq, const double *cum, size_t n, double *out, unsigned *flags)
{
    if (!cum || !out || !freq_valid(freq) || n > (size_t)freq) {
        return -EINVAL;
    }
    for (size_t k = 0; k < n; k++) {
        unsigned f = YTD_OK;
        double v;
        if (k == 0) {
            v = cum[0];
        } else if (freq == PERIOD_MONTH && k == 1 && isnan(cum[0]) && !isnan(cum[1])) {
            /* Jan-Feb published together: February's cumulative covers both months. */
            v = cum[1];
            f = YTD_TWO_MONTHS;
        } else {
            v = cum[k] - cum[k - 1];
        }
        if (isnan(v)) {
            v = NAN;
            f = YTD_MISSING;
        }
        out[k] = v;
        if (flags) {
            flags[k] = f;
        }
    }
    return 0;
}

int ytd_coarse_from_cum(const double *cum, size_t n, enum period_freq to, double *out)
{
    if (!cum || !out || !freq_valid(to) || n > 12) {
        return -EINVAL;
    }
    size_t step = 12 / (size_t)to;
    size_t nout = n / step;
    for (size_t p = 0; p < nout; p++) {
        size_t last = (p + 1) * step - 1;
        /* cumulative at this period's end minus cumulative at the previous one's */
        double v = p == 0 ? cum[last] : cum[last] - cum[last - step];
        out[p] = isnan(v) ? NAN : v;
    }
    return (int)nout;
}

/* 1 when v[i] counts as present for a flow sum (see ytd_coarsen). */
static int carried(const unsigned *flags, const double *v, size_t i, size_t end)
{
    if (!isnan(v[i])) {
        return 1;
    }
    return flags && i + 1 < end && (flags[i + 1] & YTD_TWO_MONTHS) && !isnan(v[i + 1]);
}

int ytd_coarsen(enum ytd_kind kind, enum period_freq from, enum period_freq to, const double *v,
                const unsigned *flags, size_t n, double *out)
{
    if (!v || !out || !freq_valid(from) || !freq_valid(to) || to > from || from % to != 0) {
        return -EINVAL;
    }
    size_t step = (size_t)(from / to);
    size_t nout = n / step;
    for (size_t p = 0; p < nout; p++) {
        size_t first = p * step, end = first + step;
        if (kind == YTD_STOCK) {
            out[p] = v[end - 1]; /* stock: value at the period end */
            continue;
        }
        double s = 0.0;
        for (size_t i = first; i < end; i++) {
            if (!carried(flags, v, i, end)) {
                s = NAN;
                break;
            }
            s += isnan(v[i]) ? 0.0 : v[i];
        }
        out[p] = s;
    }
    return (int)nout;
}

int ytd_cumulate(enum ytd_kind kind, enum period_freq freq, const double *v, size_t n, double *out)
{
    if (!v || !out || !freq_valid(freq)) {
        return -EINVAL;
    }
    double s = 0.0;
    for (size_t t = 0; t < n; t++) {
        if (kind == YTD_STOCK) {
            out[t] = v[t];
            continue;
        }
        /* a new year starts a new sum; a missing period poisons the rest of its year */
        s = (t % (size_t)freq == 0 ? 0.0 : s) + v[t];
        out[t] = s;
    }
    return 0;
}
