/*
 * rollup.h - totals of a hierarchy of reporting units (enterprise -> park ->
 * city ...) given as a parent index array. Flows and stocks sum over children;
 * a rate is the ratio of its rolled-up numerator to its rolled-up denominator
 * (compute/series.c), never an average of rates. Each node gets its coverage,
 * so a total made from an incomplete set of reports is flagged. Pure; NAN is
 * missing.
 */
#ifndef PARKSTAT_ROLLUP_H
#define PARKSTAT_ROLLUP_H

#include <stddef.h>

enum rollup_flag {
    ROLLUP_OK = 0,
    ROLLUP_INCOMPLETE = 1, /* some leaf below the node did not report (coverage < 100 %) */
    ROLLUP_MISSING = 2,    /* nothing below the node reported: value NAN */
};

struct rollup_result {
    double value; /* sum; NAN when nothing reported */
    double
        coverage; /* direct children with a value / direct children (1 for a leaf that reported) */
    double leaf_coverage; /* leaves below that reported / leaves below */
    size_t leaves_reported;
    size_t leaves_expected;
    unsigned flags; /* enum rollup_flag bits */
};

/*
 * Sums leaf values up the tree. parent[i] is the index of node i's parent or -1
 * for a root; a node without children is a leaf and its value is value[i] (NAN
 * when it did not report); value[] of inner nodes is ignored. out has n entries.
 * Returns 0, or -EINVAL for a parent index out of range or a cycle.
 */
int rollup_sum(const int *parent, size_t n, const double *value, struct rollup_result *out);

#endif
