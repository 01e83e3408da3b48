/*
 * checks.c - consistency checks over dense series (see checks.h).
 */
#include "aggregate/checks.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#define ON(mask, u) (!(mask) || (mask)[u])

/* Tolerance plus a relative allowance for the rounding of a sum. */
static int differs(double a, double b, double tol)
{
    double scale = fmax(fabs(a), fabs(b));

    return fabs(a - b) > tol + 1e-9 * (scale > 1 ? scale : 1);
}

int check_sum(const double *total, const double *const *parts, size_t nparts, size_t nu, size_t np,
              double tol, const unsigned char *mask, check_emit_fn emit, void *arg)
{
    if (!total || (nparts && !parts) || !emit)
        return -EINVAL;
    for (size_t u = 0; u < nu; u++) {
        if (!ON(mask, u))
            continue;
        for (size_t p = 0; p < np; p++) {
            size_t i = u * np + p;
            double s = 0;
            size_t k;

            if (isnan(total[i]))
                continue;
            for (k = 0; k < nparts && !isnan(parts[k][i]); k++)
                s += parts[k][i];
            if (k < nparts || !differs(total[i], s, tol))
                continue;
            int rc = emit(&(struct check_violation){u, p, total[i], s,
                                                    "total is not the sum of "
                                                    "its parts"},
                          arg);
            if (rc)
                return rc;
        }
    }
    return 0;
}

int check_range(const double *v, size_t nu, size_t np, double lo, double hi,
                const unsigned char *mask, check_emit_fn emit, void *arg)
{
    if (!v || !emit)
        return -EINVAL;
    for (size_t u = 0; u < nu; u++) {
        if (!ON(mask, u))
            continue;
        for (size_t p = 0; p < np; p++) {
            double x = v[u * np + p];
            int rc = 0;

            if (isnan(x))
                continue;
            if (x < lo)
                rc = emit(&(struct check_violation){u, p, x, lo, "below min"}, arg);
            else if (x > hi)
                rc = emit(&(struct check_violation){u, p, x, hi, "above max"}, arg);
            if (rc)
                return rc;
        }
    }
    return 0;
}

static int dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* Median of n values (sorted in place). */
static double median(double *x, size_t n)
{
    qsort(x, n, sizeof(*x), dbl_cmp);
    return n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
}

/* Growth of unit u at column p in %, or NAN. */
static double growth_at(const double *v, size_t np, size_t lag, size_t u, size_t p)
{
    double x, b;

    if (p < lag)
        return NAN;
    x = v[u * np + p];
    b = v[u * np + p - lag];
    if (isnan(x) || !(b > 0))
        return NAN;
    return (x / b - 1) * 100;
}

/* The outliers of column p: growths further than z robust sd from the median. */
static int growth_outliers(const double *v, size_t nu, size_t np, size_t lag, size_t p, double z,
                           const unsigned char *mask, double *g, double *tmp, check_emit_fn emit,
                           void *arg)
{
    size_t n = 0;
    double med, mad;

    for (size_t u = 0; u < nu; u++) {
        g[u] = ON(mask, u) ? growth_at(v, np, lag, u, p) : NAN;
        if (!isnan(g[u]))
            tmp[n++] = g[u];
    }
    if (n < 3)
        return 0;
    med = median(tmp, n);
    for (size_t i = 0; i < n; i++)
        tmp[i] = fabs(tmp[i] - med);
    mad = median(tmp, n) * 1.4826;
    if (!(mad > 0))
        return 0;
    for (size_t u = 0; u < nu; u++) {
        if (isnan(g[u]) || fabs(g[u] - med) <= z * mad)
            continue;
        int rc = emit(&(struct check_violation){u, p, v[u * np + p], v[u * np + p - lag],
                                                "growth outlier among the units"},
                      arg);
        if (rc)
            return rc;
    }
    return 0;
}

int check_growth(const double *v, size_t nu, size_t np, size_t lag, double max, double z,
                 const unsigned char *mask, check_emit_fn emit, void *arg)
{
    double *g, *tmp;
    int rc = 0;

    if (!v || !emit || lag == 0)
        return -EINVAL;
    if (!isnan(max)) {
        for (size_t u = 0; u < nu && rc == 0; u++) {
            if (!ON(mask, u))
                continue;
            for (size_t p = lag; p < np && rc == 0; p++) {
                double x = growth_at(v, np, lag, u, p);
                if (!isnan(x) && fabs(x) > max * (1 + 1e-12)) /* -30.000000000000004 */
                    rc = emit(&(struct check_violation){u, p, v[u * np + p], v[u * np + p - lag],
                                                        "growth above max"},
                              arg);
            }
        }
    }
    if (rc || isnan(z) || nu == 0)
        return rc;
    g = malloc(nu * sizeof(*g));
    tmp = malloc(nu * sizeof(*tmp));
    if (!g || !tmp)
        rc = -ENOMEM;
    for (size_t p = lag; p < np && rc == 0; p++)
        rc = growth_outliers(v, nu, np, lag, p, z, mask, g, tmp, emit, arg);
    free(g);
    free(tmp);
    return rc;
}

int check_hierarchy(const double *v, const unsigned char *own, const long *parent, size_t nu,
                    size_t np, double tol, const unsigned char *mask, check_emit_fn emit, void *arg)
{
    double *sum;
    size_t *nkids, *npresent;
    int rc = 0;

    if (!v || !parent || !emit)
        return -EINVAL;
    sum = calloc(nu ? nu : 1, sizeof(*sum));
    nkids = calloc(nu ? nu : 1, sizeof(*nkids));
    npresent = calloc(nu ? nu : 1, sizeof(*npresent));
    if (!sum || !nkids || !npresent) {
        rc = -ENOMEM;
        goto out;
    }
    for (size_t u = 0; u < nu; u++)
        if (parent[u] >= 0 && (size_t)parent[u] < nu)
            nkids[parent[u]]++;
    for (size_t p = 0; p < np && rc == 0; p++) {
        for (size_t u = 0; u < nu; u++)
            sum[u] = 0, npresent[u] = 0;
        for (size_t u = 0; u < nu; u++) {
            double x = v[u * np + p];
            if (parent[u] >= 0 && (size_t)parent[u] < nu && !isnan(x)) {
                sum[parent[u]] += x;
                npresent[parent[u]]++;
            }
        }
        for (size_t u = 0; u < nu && rc == 0; u++) {
            size_t i = u * np + p;
            if (!ON(mask, u) || nkids[u] == 0 || npresent[u] < nkids[u] || isnan(v[i]) ||
                (own && !own[i]) || !differs(v[i], sum[u], tol))
                continue;
            rc = emit(&(struct check_violation){u, p, v[i], sum[u],
                                                "parent is not the sum of its "
                                                "children"},
                      arg);
        }
    }
out:
    free(sum);
    free(nkids);
    free(npresent);
    return rc;
}

int check_monotone_ytd(const double *v, size_t nu, size_t np, size_t per_year, double tol,
                       const unsigned char *mask, check_emit_fn emit, void *arg)
{
    if (!v || !emit || per_year == 0)
        return -EINVAL;
    for (size_t u = 0; u < nu; u++) {
        double last = NAN;

        if (!ON(mask, u))
            continue;
        for (size_t p = 0; p < np; p++) {
            double x = v[u * np + p];

            if (p % per_year == 0)
                last = NAN;
            if (isnan(x))
                continue;
            if (!isnan(last) && x < last - tol) {
                int rc =
                    emit(&(struct check_violation){u, p, x, last, "year-to-date value falls"}, arg);
                if (rc)
                    return rc;
            }
            last = x;
        }
    }
    return 0;
}

int check_ratio(const double *rate, const double *num, const double *den, size_t nu, size_t np,
                double lo, double hi, const unsigned char *mask, check_emit_fn emit, void *arg)
{
    int rc;

    if (!rate || !emit)
        return -EINVAL;
    if ((rc = check_range(rate, nu, np, lo, hi, mask, emit, arg)) != 0 || !num || !den)
        return rc;
    for (size_t u = 0; u < nu; u++) {
        if (!ON(mask, u))
            continue;
        for (size_t p = 0; p < np; p++) {
            size_t i = u * np + p;
            if (isnan(num[i]) || isnan(den[i]) || !(num[i] > den[i]) || !differs(num[i], den[i], 0))
                continue;
            rc =
                emit(&(struct check_violation){u, p, num[i], den[i], "numerator above denominator"},
                     arg);
            if (rc)
                return rc;
        }
    }
    return 0;
}
