/*
 * weights.h - weights derived from the data or from judgements, for the
 * children of one index node: the entropy method, CRITIC, the coefficient of
 * variation, the first principal component, and AHP's principal eigenvector
 * with its consistency ratio. Pure: arrays in, arrays out.
 *
 * The data methods take x, m units x n indicators, row-major (x[i * n + j]),
 * normally the normalised values of one period. A unit with any value missing
 * (NAN) is left out of every column (listwise), so all columns describe the
 * same units. Each returns n weights summing to 1, or an error; it never
 * guesses a weight for a degenerate column.
 */
#ifndef PARKSTAT_WEIGHTS_H
#define PARKSTAT_WEIGHTS_H

#include <stddef.h>

/*
 * Entropy weights: p_ij = x_ij / sum_i x_ij, e_j = -(1 / ln m) sum_i p_ij ln p_ij
 * (0 ln 0 = 0), w_j = (1 - e_j) / sum_k (1 - e_k). Needs x >= 0 (min-max
 * normalised values, say) and m >= 2 complete units. Returns 0, -EINVAL (NULL,
 * n == 0, a negative value), -EDOM (fewer than 2 units, a column summing to 0,
 * every column spread evenly so that no weight is defined), -ENOMEM.
 */
int weights_entropy(const double *x, size_t m, size_t n, double *w);

/*
 * CRITIC (Diakoulaki, Mavrotas and Papayannakis 1995): C_j = s_j sum_k (1 - r_jk)
 * with s_j the sample standard deviation (m - 1) and r the Pearson correlation
 * of the columns, w_j = C_j / sum_k C_k. Returns 0, -EINVAL, -EDOM (fewer than 3
 * units, a constant column), -ENOMEM.
 */
int weights_critic(const double *x, size_t m, size_t n, double *w);

/*
 * Coefficient of variation: v_j = s_j / |mean_j| (sample sd), w_j = v_j / sum v.
 * Returns 0, -EINVAL, -EDOM (fewer than 2 units, a zero mean, all v 0), -ENOMEM.
 */
int weights_cv(const double *x, size_t m, size_t n, double *w);

/*
 * PCA weights: the first principal component of the columns' correlation
 * matrix (LAPACKE_dsyev), w_j = its loading squared (they sum to 1).
 * *explained (may be NULL) = its eigenvalue / n, the share of the variance it
 * carries. Returns 0, -EINVAL, -EDOM (fewer than 3 units, a constant column),
 * -EIO (LAPACK failed), -ENOMEM.
 */
int weights_pca(const double *x, size_t m, size_t n, double *w, double *explained);

/* Saaty's random consistency index for an n x n matrix (n 1..15), else -1. */
double weights_ahp_ri(size_t n);

/*
 * AHP: a is an n x n pairwise comparison matrix, row-major, a_ij = how much
 * more child i matters than child j (positive, a_ii = 1, a_ji = 1 / a_ij to
 * 1e-6 relative). w = its principal right eigenvector normalised to sum 1
 * (power iteration, exact for a positive matrix); *lambda_max (may be NULL);
 * *cr = ((lambda_max - n) / (n - 1)) / RI(n), 0 for n <= 2. A ratio of 0.1 or
 * more means the judgements contradict each other; the caller decides.
 * Returns 0, -EINVAL (n 0 or > 15, not positive or not reciprocal), -EDOM (did
 * not converge).
 */
int weights_ahp(const double *a, size_t n, double *w, double *lambda_max, double *cr);

#endif
