/*
 * normalise.h - putting one indicator on a common scale, either across units in
 * one period or over time for one unit. direction is +1 (more is better) or -1
 * (less is better). Pure; NAN in is NAN out.
 *
 * Degenerate inputs (all present values equal) are decided here, not by COINr,
 * which returns NaN for min-max: min-max gives 50 and the efficacy coefficient
 * 80 (the middle of their scales, so the indicator neither lifts nor sinks any
 * unit and direction -1 maps it to itself), z-score gives 0. These functions
 * then return 1 instead of 0 so the caller can flag the indicator.
 */
#ifndef PARKSTAT_NORMALISE_H
#define PARKSTAT_NORMALISE_H

#include <stddef.h>

/*
 * Fixed base: x[t] / x[base] x 100; direction -1: x[base] / x[t] x 100.
 * NAN where a divisor is 0 or a value is missing. Returns 0, -EINVAL (NULL,
 * base >= n, direction not +-1).
 */
int normalise_fixed_base(const double *x, size_t n, size_t base, int direction, double *out);

/*
 * Chained index over T periods of m items (x[i * T + t], weights w[i] > 0,
 * direction dir[i] or all +1 when dir is NULL), linked over lag periods:
 * I_t = I_{t-lag} (1 + sum_i w_i (r_i,t - 1)) with r = x_t / x_{t-lag}
 * (x_{t-lag} / x_t for direction -1). lag 1 links each period to the one before;
 * lag 4 on quarters (12 on months) links each to the same period a year before,
 * so every season has its own chain. The first lag periods start the chains at
 * 100 where some item has a value there, else NAN (a missing start is missing,
 * never 100). Weights are renormalised over the items whose ratio exists at t;
 * when none exists, I_t and the rest of its chain are NAN.
 * Returns 0 or -EINVAL (NULL, lag 0, a weight <= 0, a direction not +-1).
 */
int normalise_chained(const double *x, const double *w, const int *dir, size_t m, size_t T,
                      size_t lag, double *out);

/*
 * Min-max to 0..100: (x - min) / (max - min) x 100; direction -1: 100 - that.
 * Returns 0, 1 for zero range (all present values 50), -EINVAL.
 */
int normalise_minmax(const double *x, size_t n, int direction, double *out);

/*
 * z-score: direction x (x - mean) / sd with the sample sd (n - 1), as COINr's
 * n_zscore (R sd()). Returns 0, 1 when sd is 0 (all 0) or fewer than two values
 * (all NAN), -EINVAL.
 */
int normalise_zscore(const double *x, size_t n, int direction, double *out);

/*
 * Efficacy coefficient (功效系数): 60 + 40 (x - x_s) / (x_h - x_s), x_s the
 * satisfactory (worst) value, x_h the best. Pass NAN to use the observed ones:
 * min and max for direction +1, max and min for direction -1. Not clipped: a value
 * worse than x_s scores below 60. Returns 0, 1 when x_h == x_s (all 80), -EINVAL.
 */
int normalise_efficacy(const double *x, size_t n, int direction, double x_s, double x_h,
                       double *out);

/*
 * Goalposts: (x - lo) / (hi - lo) x 100 clipped to 0..100; direction -1:
 * 100 - that. Returns 0, -EINVAL when hi <= lo.
 */
int normalise_goalposts(const double *x, size_t n, int direction, double lo, double hi,
                        double *out);

/*
 * Rank normalisation on 0..100: (r - 1) / (m - 1) x 100 where r is the ascending
 * rank of direction x x among the m present values, ties sharing their average
 * rank. One present value scores 100. out must not alias x. O(n log n).
 * Returns 0, -EINVAL, -ENOMEM.
 */
int normalise_rank(const double *x, size_t n, int direction, double *out);

/*
 * Banded scoring: breaks[0] < ... < breaks[nb - 1] ascending, points has nb + 1
 * entries: x < breaks[0] scores points[0], breaks[j - 1] <= x < breaks[j] scores
 * points[j], x >= breaks[nb - 1] scores points[nb]. The table encodes the
 * direction. Returns 0, -EINVAL for unsorted breaks or NULL.
 */
int normalise_banded(const double *x, size_t n, const double *breaks, const double *points,
                     size_t nb, double *out);

#endif
