/*
 * unit_copy.h - one unit's rolled-up series kept apart from the snapshot
 * that computed them, so a parent's series can be served again without
 * reading its subtree.
 */
#ifndef PARKSTAT_COMPUTE_UNIT_COPY_H
#define PARKSTAT_COMPUTE_UNIT_COPY_H

#include "compute/compute.h"

/*
 * A snapshot of unit alone, copied from snapshot c (of a subtree holding it,
 * or of the whole store): its row of every indicator c computes (values,
 * coverage, flags; a cumulative indicator's year-to-date values), over c's
 * years, with c's config (which must outlive the copy). compute_snapshot_series()
 * of the copy gives the same points as of c for that unit, every indicator c
 * holds whole (the one asked for and its inputs), transform and frequency: the
 * conversions, rates and formulas work on one unit's row at a time. Returns 0
 * and *out (free with compute_free), -ENOENT (unit not in c), -ENOMEM.
 */
int compute_unit_copy(const struct compute *c, const char *unit, struct compute **out);

/* Bytes the copy's arrays hold (for a cache's budget). */
size_t compute_unit_copy_bytes(const struct compute *c);

#endif
