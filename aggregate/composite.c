/*
 * composite.c - weighted arithmetic / geometric aggregation up a node tree, with
 * reweighting or exclusion for missing children, and contribution analysis.
 */
#include "aggregate/composite.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

/* Tree order: node indices sorted deepest first, so children precede parents. */
struct tree {
    size_t *order;
    int *leaf; /* 1 for a node without children */
};

static void tree_free(struct tree *t)
{
    free(t->order);
    free(t->leaf);
}

static int node_depth(const struct composite_node *nodes, size_t nn, size_t i)
{
    int d = 0;
    for (int p = nodes[i].parent; p >= 0; p = nodes[p].parent) {
        if (p >= (int)nn || ++d > (int)nn) {
            return -EINVAL;
        }
    }
    return d;
}

static int tree_build(const struct composite_node *nodes, size_t nn, size_t ncols, struct tree *t)
{
    int *depth = calloc(nn ? nn : 1, sizeof(*depth));
    t->order = calloc(nn ? nn : 1, sizeof(*t->order));
    t->leaf = calloc(nn ? nn : 1, sizeof(*t->leaf));
    int rc = -ENOMEM, maxd = 0;
    if (!depth || !t->order || !t->leaf) {
        goto out;
    }
    rc = -EINVAL;
    for (size_t i = 0; i < nn; i++) {
        t->leaf[i] = 1;
    }
    for (size_t i = 0; i < nn; i++) {
        if (!(nodes[i].weight > 0.0) || nodes[i].parent < -1 || nodes[i].parent >= (int)nn ||
            nodes[i].column >= (int)ncols || (depth[i] = node_depth(nodes, nn, i)) < 0) {
            goto out;
        }
        maxd = depth[i] > maxd ? depth[i] : maxd;
        if (nodes[i].parent >= 0) {
            t->leaf[nodes[i].parent] = 0;
        }
    }
    size_t k = 0;
    for (int d = maxd; d >= 0; d--) {
        for (size_t i = 0; i < nn; i++) {
            if (depth[i] == d) {
                t->order[k++] = i;
            }
        }
    }
    for (size_t i = 0; i < nn; i++) {
        /* a leaf needs a column, an inner node must not have one */
        if (t->leaf[i] != (nodes[i].column >= 0)) {
            goto out;
        }
    }
    rc = 0;
out:
    free(depth);
    return rc;
}

/* Accumulators of one node for one unit. */
struct agg {
    double sw;       /* weights of present children */
    double s;        /* sum w y, or sum w ln y */
    int expected;    /* children */
    int present;     /* children with a score */
    int nonpositive; /* a present child <= 0 under the geometric mean */
};

/* Scores all nodes of one unit (row y) into sc/fl, using the tree order. */
static int score_unit(const struct composite_node *nodes, size_t nn, const struct tree *t,
                      const double *y, enum composite_method method, enum composite_missing missing,
                      double *sc, unsigned *fl)
{
    struct agg *a = calloc(nn ? nn : 1, sizeof(*a));
    if (!a) {
        return -ENOMEM;
    }
    for (size_t k = 0; k < nn; k++) {
        size_t i = t->order[k];
        fl[i] = COMPOSITE_OK;
        if (t->leaf[i]) {
            sc[i] = y[nodes[i].column];
            fl[i] = isnan(sc[i]) ? COMPOSITE_MISSING : COMPOSITE_OK;
        } else if (a[i].present == 0) {
            sc[i] = NAN;
            fl[i] = COMPOSITE_MISSING;
        } else if (a[i].present < a[i].expected && missing == COMPOSITE_EXCLUDE) {
            sc[i] = NAN;
            fl[i] = COMPOSITE_EXCLUDED;
        } else if (a[i].nonpositive) {
            sc[i] = NAN;
            fl[i] = COMPOSITE_NONPOSITIVE;
        } else {
            /* weighted mean over present children: sum w y / sum w (or exp of the log form) */
            double m = a[i].s / a[i].sw;
            sc[i] = method == COMPOSITE_GEOMETRIC ? exp(m) : m;
            fl[i] = a[i].present < a[i].expected ? COMPOSITE_REWEIGHTED : COMPOSITE_OK;
        }
        int p = nodes[i].parent;
        if (p < 0) {
            continue;
        }
        a[p].expected++;
        if (isnan(sc[i])) {
            continue;
        }
        a[p].present++;
        a[p].sw += nodes[i].weight;
        if (method == COMPOSITE_GEOMETRIC) {
            a[p].nonpositive |= !(sc[i] > 0.0);
            a[p].s += sc[i] > 0.0 ? nodes[i].weight * log(sc[i]) : 0.0;
        } else {
            a[p].s += nodes[i].weight * sc[i];
        }
    }
    free(a);
    return 0;
}

int composite_scores(const struct composite_node *nodes, size_t nn, const double *y, size_t nunits,
                     size_t ncols, enum composite_method method, enum composite_missing missing,
                     double *score, unsigned *flags)
{
    struct tree t = {NULL, NULL};
    unsigned *fl = NULL;
    if (!nodes || !y || !score) {
        return -EINVAL;
    }
    int rc = tree_build(nodes, nn, ncols, &t);
    if (rc < 0) {
        goto out;
    }
    rc = -ENOMEM;
    if (!(fl = calloc(nn ? nn : 1, sizeof(*fl)))) {
        goto out;
    }
    for (size_t u = 0; u < nunits; u++) {
        if ((rc = score_unit(nodes, nn, &t, y + u * ncols, method, missing, score + u * nn, fl)) <
            0) {
            goto out;
        }
        for (size_t i = 0; flags && i < nn; i++) {
            flags[u * nn + i] = fl[i];
        }
    }
    rc = 0;
out:
    free(fl);
    tree_free(&t);
    return rc;
}

/*
 * w_eff from already computed scores sc of one unit: the product of
 * weight / (weights of the present siblings) on the path up to root. The
 * sibling sums are gathered per parent in one pass, so this is O(nn x depth).
 */
static int eff_weights(const struct composite_node *nodes, size_t nn, size_t root, const double *sc,
                       double *w)
{
    double stack[64];
    double *psw = nn <= 64 ? stack : malloc(nn * sizeof(*psw)); /* per parent: present weights */
    if (!psw) {
        return -ENOMEM;
    }
    for (size_t j = 0; j < nn; j++) {
        psw[j] = 0.0;
    }
    for (size_t j = 0; j < nn; j++) {
        if (nodes[j].parent >= 0 && !isnan(sc[j])) {
            psw[nodes[j].parent] += nodes[j].weight;
        }
    }
    for (size_t i = 0; i < nn; i++) {
        double prod = 1.0;
        size_t j = i;
        while (j != root && nodes[j].parent >= 0 && !isnan(sc[j])) {
            prod *= nodes[j].weight / psw[nodes[j].parent];
            j = (size_t)nodes[j].parent;
        }
        w[i] = (j == root && !isnan(sc[i]) && !isnan(sc[root])) ? prod : 0.0;
    }
    if (psw != stack) {
        free(psw);
    }
    return 0;
}

/* Scores of one row into sc (nn entries). */
static int score_row(const struct composite_node *nodes, size_t nn, const double *y, size_t ncols,
                     enum composite_method method, enum composite_missing missing, double *sc)
{
    return composite_scores(nodes, nn, y, 1, ncols, method, missing, sc, NULL);
}

int composite_effective_weights(const struct composite_node *nodes, size_t nn, size_t root,
                                const double *y, size_t ncols, enum composite_method method,
                                enum composite_missing missing, double *w)
{
    if (!w || root >= nn) {
        return -EINVAL;
    }
    double *sc = calloc(nn, sizeof(*sc));
    if (!sc) {
        return -ENOMEM;
    }
    int rc = score_row(nodes, nn, y, ncols, method, missing, sc);
    if (rc == 0) {
        rc = eff_weights(nodes, nn, root, sc, w);
    }
    free(sc);
    return rc;
}

/* One leaf's term: w y, or w ln y for the geometric mean; 0 for weight 0. */
static double term(double w, double y, enum composite_method method)
{
    if (w == 0.0) {
        return 0.0;
    }
    return method == COMPOSITE_GEOMETRIC ? w * log(y) : w * y;
}

static void split(const struct composite_node *nodes, size_t nn, const double *sc0,
                  const double *sc1, const double *w0, const double *w1, size_t root,
                  enum composite_method method, double *contrib)
{
    double S0 = sc0[root], S1 = sc1[root];
    /* logarithmic mean L(S1, S0) = (S1 - S0) / (ln S1 - ln S0), S when equal */
    double L = S1 == S0 ? S1 : (S1 - S0) / (log(S1) - log(S0));
    for (size_t i = 0; i < nn; i++) {
        contrib[i] = 0.0;
        if (nodes[i].column < 0) {
            continue;
        }
        double d = term(w1[i], sc1[i], method) - term(w0[i], sc0[i], method);
        contrib[i] = method == COMPOSITE_GEOMETRIC ? d * L : d;
    }
}

/* composite_contrib() from the scores of both rows (contract in composite.h). */
int composite_contrib_scored(const struct composite_node *nodes, size_t nn, size_t root,
                             const double *sc0, const double *sc1, enum composite_method method,
                             double *contrib)
{
    double stack[2 * 64], *w = stack;
    int rc = 0;
    if (!nodes || !sc0 || !sc1 || !contrib || root >= nn) {
        return -EINVAL;
    }
    if (isnan(sc0[root]) || isnan(sc1[root])) {
        for (size_t i = 0; i < nn; i++) {
            contrib[i] = NAN;
        }
        return 1;
    }
    if (nn > 64 && !(w = malloc(2 * nn * sizeof(*w)))) {
        return -ENOMEM;
    }
    if ((rc = eff_weights(nodes, nn, root, sc0, w)) == 0 &&
        (rc = eff_weights(nodes, nn, root, sc1, w + nn)) == 0) {
        split(nodes, nn, sc0, sc1, w, w + nn, root, method, contrib);
    }
    if (w != stack) {
        free(w);
    }
    return rc;
}

int composite_contrib(const struct composite_node *nodes, size_t nn, size_t root, const double *y0,
                      const double *y1, size_t ncols, enum composite_method method,
                      enum composite_missing missing, double *contrib, double *s0, double *s1)
{
    if (!contrib || !y0 || !y1 || root >= nn) {
        return -EINVAL;
    }
    int rc = -ENOMEM;
    double *buf = calloc(2 * nn, sizeof(*buf));
    if (!buf) {
        goto out;
    }
    double *sc0 = buf, *sc1 = buf + nn;
    if ((rc = score_row(nodes, nn, y0, ncols, method, missing, sc0)) < 0 ||
        (rc = score_row(nodes, nn, y1, ncols, method, missing, sc1)) < 0) {
        goto out;
    }
    if (s0) {
        *s0 = sc0[root];
    }
    if (s1) {
        *s1 = sc1[root];
    }
    rc = composite_contrib_scored(nodes, nn, root, sc0, sc1, method, contrib);
out:
    free(buf);
    return rc;
}
