/*
 * weights.c - entropy, CRITIC, coefficient-of-variation, PCA and AHP weights.
 */
#include "aggregate/weights.h"

#include <errno.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The complete rows of x (no NAN) copied into a new m_out x n array. */
static double *complete_rows(const double *x, size_t m, size_t n, size_t *m_out)
{
    double *c = malloc((m ? m : 1) * (n ? n : 1) * sizeof(double));
    size_t k = 0;

    if (!c)
        return NULL;
    for (size_t i = 0; i < m; i++) {
        size_t j = 0;
        while (j < n && !isnan(x[i * n + j]))
            j++;
        if (j < n)
            continue;
        memcpy(c + k * n, x + i * n, n * sizeof(double));
        k++;
    }
    *m_out = k;
    return c;
}

/* Mean and sample standard deviation of column j of the m x n array c. */
static void col_stats(const double *c, size_t m, size_t n, size_t j, double *mean, double *sd)
{
    double s = 0, ss = 0;

    for (size_t i = 0; i < m; i++)
        s += c[i * n + j];
    *mean = s / (double)m;
    for (size_t i = 0; i < m; i++)
        ss += (c[i * n + j] - *mean) * (c[i * n + j] - *mean);
    *sd = m > 1 ? sqrt(ss / (double)(m - 1)) : 0;
}

/* w_j = v_j / sum v; -EDOM when the sum is not positive. */
static int normalise_sum(const double *v, size_t n, double *w)
{
    double s = 0;

    for (size_t j = 0; j < n; j++)
        s += v[j];
    if (!(s > 0) || !isfinite(s))
        return -EDOM;
    for (size_t j = 0; j < n; j++)
        w[j] = v[j] / s;
    return 0;
}

int weights_entropy(const double *x, size_t m, size_t n, double *w)
{
    size_t mc;
    double *c, *d;
    int rc = -EDOM;

    if (!x || !w || n == 0)
        return -EINVAL;
    for (size_t i = 0; i < m * n; i++)
        if (x[i] < 0)
            return -EINVAL;
    if (!(c = complete_rows(x, m, n, &mc)))
        return -ENOMEM;
    if (!(d = malloc(n * sizeof(double)))) {
        free(c);
        return -ENOMEM;
    }
    if (mc < 2)
        goto out;
    for (size_t j = 0; j < n; j++) {
        double sum = 0, e = 0;
        for (size_t i = 0; i < mc; i++)
            sum += c[i * n + j];
        if (!(sum > 0))
            goto out;
        for (size_t i = 0; i < mc; i++) {
            double p = c[i * n + j] / sum;
            e -= p > 0 ? p * log(p) : 0; /* 0 ln 0 = 0 */
        }
        d[j] = 1 - e / log((double)mc); /* divergence: 0 for an even column */
        if (d[j] < 0)
            d[j] = 0; /* rounding of an even column */
    }
    rc = normalise_sum(d, n, w);
out:
    free(d);
    free(c);
    return rc;
}

/* Pearson correlation of columns j and k of c (means and sds given). */
static double corr(const double *c, size_t m, size_t n, size_t j, size_t k, const double *mean,
                   const double *sd)
{
    double s = 0;

    for (size_t i = 0; i < m; i++)
        s += (c[i * n + j] - mean[j]) * (c[i * n + k] - mean[k]);
    return s / (double)(m - 1) / (sd[j] * sd[k]);
}

/* Column means and sample sds of the complete rows; -EDOM when fewer than
 * min_m rows or a column is constant. *cp, *mp own new arrays on success. */
static int stats(const double *x, size_t m, size_t n, size_t min_m, double **cp, size_t *mc,
                 double **mp, double **sp)
{
    double *c = complete_rows(x, m, n, mc);
    double *mean = malloc(n * sizeof(double)), *sd = malloc(n * sizeof(double));
    int rc = -ENOMEM;

    if (!c || !mean || !sd)
        goto fail;
    rc = -EDOM;
    if (*mc < min_m)
        goto fail;
    for (size_t j = 0; j < n; j++) {
        col_stats(c, *mc, n, j, &mean[j], &sd[j]);
        if (!(sd[j] > 0))
            goto fail;
    }
    *cp = c;
    *mp = mean;
    *sp = sd;
    return 0;
fail:
    free(c);
    free(mean);
    free(sd);
    return rc;
}

int weights_critic(const double *x, size_t m, size_t n, double *w)
{
    double *c, *mean, *sd, *v;
    size_t mc;
    int rc;

    if (!x || !w || n == 0)
        return -EINVAL;
    if ((rc = stats(x, m, n, 3, &c, &mc, &mean, &sd)) < 0)
        return rc;
    if (!(v = malloc(n * sizeof(double)))) {
        rc = -ENOMEM;
        goto out;
    }
    for (size_t j = 0; j < n; j++) {
        double conflict = 0;
        for (size_t k = 0; k < n; k++)
            conflict += k == j ? 0 : 1 - corr(c, mc, n, j, k, mean, sd);
        v[j] = sd[j] * conflict; /* contrast x conflict */
    }
    rc = normalise_sum(v, n, w);
    free(v);
out:
    free(c);
    free(mean);
    free(sd);
    return rc;
}

int weights_cv(const double *x, size_t m, size_t n, double *w)
{
    size_t mc;
    double *c, *v;
    int rc = -EDOM;

    if (!x || !w || n == 0)
        return -EINVAL;
    if (!(c = complete_rows(x, m, n, &mc)))
        return -ENOMEM;
    if (!(v = malloc(n * sizeof(double)))) {
        free(c);
        return -ENOMEM;
    }
    if (mc < 2)
        goto out;
    for (size_t j = 0; j < n; j++) {
        double mean, sd;
        col_stats(c, mc, n, j, &mean, &sd);
        if (mean == 0)
            goto out;
        v[j] = sd / fabs(mean);
    }
    rc = normalise_sum(v, n, w);
out:
    free(v);
    free(c);
    return rc;
}

int weights_pca(const double *x, size_t m, size_t n, double *w, double *explained)
{
    double *c, *mean, *sd, *r, *ev;
    size_t mc;
    int rc;

    if (!x || !w || n == 0)
        return -EINVAL;
    if ((rc = stats(x, m, n, 3, &c, &mc, &mean, &sd)) < 0)
        return rc;
    r = malloc(n * n * sizeof(double));
    ev = malloc(n * sizeof(double));
    if (!r || !ev) {
        rc = -ENOMEM;
        goto out;
    }
    for (size_t j = 0; j < n; j++)
        for (size_t k = 0; k < n; k++)
            r[j * n + k] = j == k ? 1 : corr(c, mc, n, j, k, mean, sd);
    /* eigenvalues ascending, eigenvectors in the columns of r */
    if (LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', (lapack_int)n, r, (lapack_int)n, ev) != 0) {
        rc = -EIO;
        goto out;
    }
    for (size_t j = 0; j < n; j++)
        w[j] = r[j * n + (n - 1)] * r[j * n + (n - 1)]; /* squared loadings sum to 1 */
    if (explained)
        *explained = ev[n - 1] / (double)n;
    rc = 0;
out:
    free(r);
    free(ev);
    free(c);
    free(mean);
    free(sd);
    return rc;
}

double weights_ahp_ri(size_t n)
{
    /* Saaty (1980), random index of reciprocal matrices of order 1 .. 15 */
    static const double ri[16] = {-1,   0,    0,    0.58, 0.90, 1.12, 1.24, 1.32,
                                  1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59};
    return n >= 1 && n <= 15 ? ri[n] : -1;
}

int weights_ahp(const double *a, size_t n, double *w, double *lambda_max, double *cr)
{
    double v[15], nv[15], lambda = 0;
    int converged = 0;

    if (!a || !w || n == 0 || n > 15)
        return -EINVAL;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double aij = a[i * n + j], aji = a[j * n + i];
            if (!(aij > 0) || !isfinite(aij) || fabs(aij * aji - 1) > 1e-6 ||
                (i == j && fabs(aij - 1) > 1e-12))
                return -EINVAL;
        }
    for (size_t i = 0; i < n; i++)
        v[i] = 1.0 / (double)n;
    /* power iteration: a positive matrix has one dominant positive eigenvector */
    for (int it = 0; it < 10000 && !converged; it++) {
        double s = 0, diff = 0;
        for (size_t i = 0; i < n; i++) {
            nv[i] = 0;
            for (size_t j = 0; j < n; j++)
                nv[i] += a[i * n + j] * v[j];
            s += nv[i];
        }
        lambda = s; /* v sums to 1, so sum(A v) = lambda */
        for (size_t i = 0; i < n; i++) {
            nv[i] /= s;
            diff = fmax(diff, fabs(nv[i] - v[i]));
            v[i] = nv[i];
        }
        converged = diff < 1e-14;
    }
    if (!converged)
        return -EDOM;
    memcpy(w, v, n * sizeof(double));
    if (lambda_max)
        *lambda_max = lambda;
    if (cr)
        *cr = n <= 2 ? 0 : (lambda - (double)n) / (double)(n - 1) / weights_ahp_ri(n);
    return 0;
}
