/*
 * composite.h - composite index scores over a tree of weighted nodes, computed
 * for a unit x indicator matrix of normalised values, and the split of a score
 * change between two periods into the contributions of its indicators.
 * Pure; NAN is missing. Carrying last values forward is the caller's business.
 */
#ifndef PARKSTAT_COMPOSITE_H
#define PARKSTAT_COMPOSITE_H

#include <stddef.h>

struct composite_node {
    int parent;    /* index of the parent node, -1 for a root */
    double weight; /* > 0, relative to its siblings */
    int column;    /* leaf: indicator column in the matrix; inner node: -1 */
};

enum composite_method {
    COMPOSITE_ARITHMETIC, /* sum w_i y_i / sum w_i */
    COMPOSITE_GEOMETRIC,  /* exp(sum w_i ln y_i / sum w_i); needs y > 0 */
};

enum composite_missing {
    COMPOSITE_REWEIGHT, /* weights normalised among the children present */
    COMPOSITE_EXCLUDE,  /* any missing child makes the node missing for the unit */
};

/* Per unit per node flags (bits). */
enum composite_flag {
    COMPOSITE_OK = 0,
    COMPOSITE_REWEIGHTED = 1,  /* some child missing; weights renormalised */
    COMPOSITE_MISSING = 2,     /* no child (or the leaf value) present: score NAN */
    COMPOSITE_EXCLUDED = 4,    /* a child missing under COMPOSITE_EXCLUDE: score NAN */
    COMPOSITE_NONPOSITIVE = 8, /* geometric mean over a value <= 0: score NAN */
};

/*
 * Scores every node for every unit. y is nunits x ncols, row-major
 * (y[u * ncols + column]). score and flags (flags may be NULL) are nunits x nn,
 * row-major (score[u * nn + node]); a leaf's score is its value. Returns 0, or
 * -EINVAL (bad parent, a cycle, a weight <= 0, a column >= ncols, a leaf with
 * children), -ENOMEM.
 */
int composite_scores(const struct composite_node *nodes, size_t nn, const double *y, size_t nunits,
                     size_t ncols, enum composite_method method, enum composite_missing missing,
                     double *score, unsigned *flags);

/*
 * Effective weight of every node within node root for one unit's row y: the
 * product of the weights normalised among present siblings on the path from the
 * node up to root (0 for nodes missing or outside root's subtree, 1 for root).
 * For the arithmetic mean score(root) = sum over leaves w_eff y. w has nn entries.
 * Returns 0, -EINVAL, -ENOMEM.
 */
int composite_effective_weights(const struct composite_node *nodes, size_t nn, size_t root,
                                const double *y, size_t ncols, enum composite_method method,
                                enum composite_missing missing, double *w);

/*
 * Splits the change of root's score from row y0 (previous period) to row y1 into
 * contributions per node (contrib has nn entries; only leaves are non-zero).
 * Arithmetic: contrib_i = w_eff_i,1 y_i,1 - w_eff_i,0 y_i,0 (exact, sums to the
 * change). Geometric: the log change term_i = w_eff_i,1 ln y_i,1 - w_eff_i,0 ln y_i,0
 * scaled by the logarithmic mean L = (S1 - S0) / (ln S1 - ln S0) (L = S when equal),
 * which also sums exactly to S1 - S0. Writes the two scores to *s0 and *s1 (may be
 * NULL). Returns 0; 1 when either score is missing (contributions NAN); -EINVAL.
 */
int composite_contrib(const struct composite_node *nodes, size_t nn, size_t root, const double *y0,
                      const double *y1, size_t ncols, enum composite_method method,
                      enum composite_missing missing, double *contrib, double *s0, double *s1);

/*
 * composite_contrib() for scores already computed: sc0 and sc1 are one unit's
 * rows of composite_scores() output (nn entries each) for the two periods, so
 * a caller that scored every unit does not score them again. Same results and
 * returns (1 when either root score is missing).
 */
int composite_contrib_scored(const struct composite_node *nodes, size_t nn, size_t root,
                             const double *sc0, const double *sc1, enum composite_method method,
                             double *contrib);

#endif
