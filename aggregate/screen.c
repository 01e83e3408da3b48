/*
 * screen.c - minimum data availability per unit; contract in screen.h.
 */
#include <errno.h>
#include <math.h>

#include "aggregate/screen.h"

long screen_units(const double *y, size_t n, size_t m, double min_share, unsigned char *kept)
{
    long nkept = 0;

    if (isnan(min_share) || (n > 0 && (!kept || (m > 0 && !y))))
        return -EINVAL;
    for (size_t u = 0; u < n; u++) {
        size_t present = 0;
        for (size_t k = 0; k < m; k++)
            present += !isnan(y[u * m + k]);
        kept[u] = m == 0 || (double)present / (double)m >= min_share;
        nkept += kept[u];
    }
    return nkept;
}
