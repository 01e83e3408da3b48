/*
 * impute.h - filling the missing values of one indicator across units before
 * screening (COINr's Impute step): with the mean of the unit's group
 * (COINr i_mean_grp), or with the unit's latest earlier value carried forward.
 * Pure functions; missing values are NAN.
 */
#ifndef PARKSTAT_IMPUTE_H
#define PARKSTAT_IMPUTE_H

#include <stddef.h>

/*
 * Group ids of n units from their group labels (an attribute's values, say):
 * equal labels get the same id, numbered 0, 1, ... in order of first
 * appearance; a NULL label gets -1 (no group). O(n x groups).
 * Returns the number of groups, or -EINVAL for NULL arrays.
 */
int impute_group_ids(const char *const *label, size_t n, int *gid);

/*
 * COINr i_mean_grp: out[i] = x[i] when present; a missing x[i] with gid[i] >= 0
 * becomes the mean of the present x[j] with gid[j] == gid[i], summed in index
 * order. It stays NAN when gid[i] < 0 or nothing of its group is present.
 * The means come from x alone, so out may equal x.
 * Returns the number of values filled, or -EINVAL for NULL arrays, -ENOMEM.
 */
int impute_group_mean(const double *x, const int *gid, size_t n, double *out);

/*
 * Carry forward at position p of n series of np values each (series i at
 * series[i * np .. i * np + np - 1]): a missing col[i] becomes series i's
 * latest present value before p; it stays NAN when there is none.
 * series and col must not overlap.
 * Returns the number of values filled, or -EINVAL for NULL arrays or p >= np.
 */
int impute_carry(const double *series, size_t n, size_t np, size_t p, double *col);

#endif
