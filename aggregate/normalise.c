/*
 * normalise.c - fixed-base, chained, min-max, z-score, efficacy, goalposts, rank
 * and banded normalisation of one indicator.
 */
#include "aggregate/normalise.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

static int dir_ok(int d)
{
    return d == 1 || d == -1;
}

/* Min and max of the present values; returns their count. */
static size_t range(const double *x, size_t n, double *mn, double *mx)
{
    size_t m = 0;
    *mn = INFINITY;
    *mx = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (!isnan(x[i])) {
            *mn = x[i] < *mn ? x[i] : *mn;
            *mx = x[i] > *mx ? x[i] : *mx;
            m++;
        }
    }
    return m;
}

/* a / b x 100, NAN when undefined. */
static double ratio100(double a, double b)
{
    if (isnan(a) || isnan(b) || b == 0.0) {
        return NAN;
    }
    return a / b * 100.0;
}

int normalise_fixed_base(const double *x, size_t n, size_t base, int direction, double *out)
{
    if (!x || !out || base >= n || !dir_ok(direction)) {
        return -EINVAL;
    }
    double xb = x[base];
    for (size_t t = 0; t < n; t++) {
        /* x_t / x_base x 100, or x_base / x_t x 100 for a negative indicator */
        out[t] = direction > 0 ? ratio100(x[t], xb) : ratio100(xb, x[t]);
    }
    return 0;
}

/* Weighted mean of the item ratios between t - lag and t, minus 1; NAN if none. */
static double chain_link(const double *x, const double *w, const int *dir, size_t m, size_t T,
                         size_t t, size_t lag)
{
    double sw = 0.0, s = 0.0;
    for (size_t i = 0; i < m; i++) {
        double a = x[i * T + t], b = x[i * T + t - lag];
        double r = (dir && dir[i] < 0) ? ratio100(b, a) : ratio100(a, b);
        if (isnan(r)) {
            continue;
        }
        s += w[i] * (r / 100.0 - 1.0);
        sw += w[i];
    }
    return sw > 0.0 ? s / sw : NAN;
}

int normalise_chained(const double *x, const double *w, const int *dir, size_t m, size_t T,
                      size_t lag, double *out)
{
    if (!x || !w || !out || lag == 0) {
        return -EINVAL;
    }
    for (size_t i = 0; i < m; i++) {
        if (!(w[i] > 0.0) || (dir && !dir_ok(dir[i]))) {
            return -EINVAL;
        }
    }
    for (size_t t = 0; t < T; t++) {
        if (t >= lag) {
            /* I_t = I_{t-lag} (1 + sum w_i (x_i,t / x_i,t-lag - 1)) */
            out[t] = out[t - lag] * (1.0 + chain_link(x, w, dir, m, T, t, lag));
            continue;
        }
        /* I_t = 100 at the start of each chain where an item has a value */
        out[t] = NAN;
        for (size_t i = 0; i < m; i++) {
            if (!isnan(x[i * T + t])) {
                out[t] = 100.0;
                break;
            }
        }
    }
    return 0;
}

int normalise_minmax(const double *x, size_t n, int direction, double *out)
{
    double mn, mx;
    if (!x || !out || !dir_ok(direction)) {
        return -EINVAL;
    }
    range(x, n, &mn, &mx);
    int flat = !(mx > mn);
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i])) {
            out[i] = NAN;
        } else if (flat) {
            out[i] = 50.0; /* zero range: the middle of the scale (documented in the header) */
        } else {
            double v = (x[i] - mn) / (mx - mn) * 100.0;
            out[i] = direction > 0 ? v : 100.0 - v;
        }
    }
    return flat ? 1 : 0;
}

int normalise_zscore(const double *x, size_t n, int direction, double *out)
{
    if (!x || !out || !dir_ok(direction)) {
        return -EINVAL;
    }
    size_t m = 0;
    double s = 0.0, ss = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!isnan(x[i])) {
            s += x[i];
            m++;
        }
    }
    double mean = m ? s / (double)m : NAN;
    for (size_t i = 0; i < n; i++) {
        if (!isnan(x[i])) {
            ss += (x[i] - mean) * (x[i] - mean);
        }
    }
    /* sample standard deviation, n - 1 in the denominator (R sd()) */
    double sd = m > 1 ? sqrt(ss / (double)(m - 1)) : NAN;
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i]) || isnan(sd)) {
            out[i] = NAN;
        } else {
            out[i] = sd > 0.0 ? direction * (x[i] - mean) / sd : 0.0;
        }
    }
    return (isnan(sd) || sd == 0.0) ? 1 : 0;
}

int normalise_efficacy(const double *x, size_t n, int direction, double x_s, double x_h,
                       double *out)
{
    double mn, mx;
    if (!x || !out || !dir_ok(direction)) {
        return -EINVAL;
    }
    range(x, n, &mn, &mx);
    if (isnan(x_s)) {
        x_s = direction > 0 ? mn : mx;
    }
    if (isnan(x_h)) {
        x_h = direction > 0 ? mx : mn;
    }
    int flat = !(x_h != x_s) || !isfinite(x_h - x_s);
    for (size_t i = 0; i < n; i++) {
        /* efficacy coefficient: 60 + 40 (x - x_s) / (x_h - x_s) */
        out[i] = isnan(x[i]) ? NAN : flat ? 80.0 : 60.0 + 40.0 * (x[i] - x_s) / (x_h - x_s);
    }
    return flat ? 1 : 0;
}

int normalise_goalposts(const double *x, size_t n, int direction, double lo, double hi, double *out)
{
    if (!x || !out || !dir_ok(direction) || !(hi > lo)) {
        return -EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        double v = (x[i] - lo) / (hi - lo) * 100.0;
        v = v < 0.0 ? 0.0 : v > 100.0 ? 100.0 : v;
        out[i] = isnan(x[i]) ? NAN : direction > 0 ? v : 100.0 - v;
    }
    return 0;
}

/* Ascending by value (values are direction x x, NAN already left out). */
static int value_cmp(const void *a, const void *b)
{
    const double *x = a, *y = b;
    return (x[0] > y[0]) - (x[0] < y[0]);
}

/*
 * O(n log n): the present values (times direction) are sorted with their
 * positions; a run of ties [j, e) shares the average rank (j + 1 + e) / 2.
 */
int normalise_rank(const double *x, size_t n, int direction, double *out)
{
    if (!x || !out || !dir_ok(direction) || x == out) {
        return -EINVAL;
    }
    double *v = malloc((n ? n : 1) * 2 * sizeof(double)); /* pairs (value, position) */
    if (!v) {
        return -ENOMEM;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        out[i] = NAN;
        if (!isnan(x[i])) {
            v[2 * m] = direction * x[i];
            v[2 * m + 1] = (double)i;
            m++;
        }
    }
    qsort(v, m, 2 * sizeof(double), value_cmp);
    for (size_t j = 0; j < m;) {
        size_t e = j + 1;
        while (e < m && v[2 * e] == v[2 * j]) {
            e++;
        }
        /* average rank of the ties: (first + last) / 2, 1-based */
        double r = ((double)(j + 1) + (double)e) / 2.0;
        for (size_t t = j; t < e; t++) {
            out[(size_t)v[2 * t + 1]] = m > 1 ? (r - 1.0) / (double)(m - 1) * 100.0 : 100.0;
        }
        j = e;
    }
    free(v);
    return 0;
}

int normalise_banded(const double *x, size_t n, const double *breaks, const double *points,
                     size_t nb, double *out)
{
    if (!x || !out || !points || (nb && !breaks)) {
        return -EINVAL;
    }
    for (size_t j = 1; j < nb; j++) {
        if (!(breaks[j] > breaks[j - 1])) {
            return -EINVAL;
        }
    }
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < nb && x[i] >= breaks[j]) {
            j++;
        }
        out[i] = isnan(x[i]) ? NAN : points[j];
    }
    return 0;
}
