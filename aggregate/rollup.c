/*
 * rollup.c - sums up a parent-index hierarchy, deepest nodes first.
 */
#include "aggregate/rollup.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

/* Per-node accumulators while rolling up. */
struct acc {
    double sum;
    size_t children;
    size_t children_reported;
    int depth;
    int has_children;
};

/* Depth of every node (roots 0). Returns the maximum depth or -EINVAL. */
static int depths(const int *parent, size_t n, struct acc *a)
{
    int maxd = 0;
    for (size_t i = 0; i < n; i++) {
        if (parent[i] < -1 || parent[i] >= (int)n) {
            return -EINVAL;
        }
        if (parent[i] >= 0) {
            a[parent[i]].has_children = 1;
            a[parent[i]].children++;
        }
    }
    for (size_t i = 0; i < n; i++) {
        int d = 0;
        for (int p = parent[i]; p >= 0; p = parent[p]) {
            if (++d > (int)n) {
                return -EINVAL; /* a cycle */
            }
        }
        a[i].depth = d;
        maxd = d > maxd ? d : maxd;
    }
    return maxd;
}

/* Seeds leaves from their values. */
static void seed_leaves(size_t n, const double *value, struct acc *a, struct rollup_result *out)
{
    for (size_t i = 0; i < n; i++) {
        out[i].leaves_reported = 0;
        out[i].leaves_expected = 0;
        if (a[i].has_children) {
            continue;
        }
        out[i].leaves_expected = 1;
        if (!isnan(value[i])) {
            a[i].sum = value[i];
            out[i].leaves_reported = 1;
        }
    }
}

/* Final value, coverage and flags of node i. */
static void finish(struct acc *a, size_t i, struct rollup_result *r)
{
    r->flags = ROLLUP_OK;
    r->leaf_coverage = (double)r->leaves_reported / (double)r->leaves_expected;
    if (a[i].has_children) {
        r->coverage = (double)a[i].children_reported / (double)a[i].children;
    } else {
        r->coverage = r->leaves_reported ? 1.0 : 0.0;
    }
    if (r->leaves_reported == 0) {
        r->value = NAN;
        r->flags = ROLLUP_MISSING | ROLLUP_INCOMPLETE;
        return;
    }
    if (r->leaves_reported < r->leaves_expected) {
        r->flags = ROLLUP_INCOMPLETE;
    }
    r->value = a[i].sum;
}

/* Sums leaf values up the tree (contract in rollup.h). */
int rollup_sum(const int *parent, size_t n, const double *value, struct rollup_result *out)
{
    if (!parent || !value || !out) {
        return -EINVAL;
    }
    struct acc *a = calloc(n ? n : 1, sizeof(*a));
    if (!a) {
        return -ENOMEM;
    }
    int rc = depths(parent, n, a);
    if (rc < 0) {
        goto out;
    }
    seed_leaves(n, value, a, out);
    for (int d = rc; d >= 0; d--) {
        for (size_t i = 0; i < n; i++) {
            if (a[i].depth != d) {
                continue;
            }
            finish(a, i, &out[i]);
            int p = parent[i];
            if (p < 0) {
                continue;
            }
            a[p].sum += out[i].leaves_reported ? a[i].sum : 0.0;
            a[p].children_reported += out[i].leaves_reported ? 1 : 0;
            out[p].leaves_reported += out[i].leaves_reported;
            out[p].leaves_expected += out[i].leaves_expected;
        }
    }
    rc = 0;
out:
    free(a);
    return rc;
}
