/*
 * screen.h - which units have data enough to be scored (COINr's Screen step
 * with unit_screen = "byNA" and dat_thresh = the minimum share). Pure.
 */
#ifndef PARKSTAT_SCREEN_H
#define PARKSTAT_SCREEN_H

#include <stddef.h>

/*
 * y holds n units x m indicator values, unit by unit (unit u's at
 * y[u * m .. u * m + m - 1]), NAN missing. kept[u] = 1 when at least the share
 * min_share of unit u's m values is present, else 0; every unit is kept when
 * m is 0. Returns the number of units kept, or -EINVAL for NULL arrays or a
 * NAN min_share.
 */
long screen_units(const double *y, size_t n, size_t m, double min_share, unsigned char *kept);

#endif
