/*
 * index_plan.c - the plan of one composite index: the config's tree turned
 * into aggregate/composite nodes (node 0 the total, named by the index id),
 * the scored units, and the method options, all read from the typed records
 * the config loader parsed and checked (config/config_index_opts.c).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compute/compute_priv.h"
#include "config/config.h"

static void plan_leaf(const struct compute *c, const struct config_index_node *n,
                      struct cmp_leaf *lf)
{
    lf->ind = (size_t)config_indicator_find(c->cfg, n->indicator, strlen(n->indicator));
    lf->dir = n->direction;
    lf->den = n->denominator;
    lf->x_h = n->satisfactory;
    lf->x_s = n->unacceptable;
    lf->lo = n->goalposts[0];
    lf->hi = n->goalposts[1];
    if (n->bands) {
        lf->breaks = n->bands->breaks;
        lf->points = n->bands->points;
        lf->nb = n->bands->n_breaks;
    }
}

/* Appends the nodes below parent (config children cn). */
static void add_nodes(const struct compute *c, struct cmp_plan *pl,
                      const struct config_index_node *cn, size_t n, int parent)
{
    for (size_t i = 0; i < n; i++) {
        size_t me = pl->nn++;
        pl->node_id[me] = cn[i].id;
        pl->nodes[me] = (struct composite_node){parent, cn[i].weight, -1};
        if (cn[i].indicator) {
            pl->nodes[me].column = (int)pl->nl;
            plan_leaf(c, &cn[i], &pl->leaf[pl->nl++]);
        } else {
            pl->wspec[me] = cn[i].weights;
            pl->derived |= cn[i].weights != NULL;
            add_nodes(c, pl, cn[i].children, cn[i].n_children, (int)me);
        }
    }
}

static size_t count_nodes(const struct config_index_node *cn, size_t n, size_t *leaves)
{
    size_t total = n;
    for (size_t i = 0; i < n; i++) {
        *leaves += cn[i].indicator != NULL;
        total += count_nodes(cn[i].children, cn[i].n_children, leaves);
    }
    return total;
}

static void plan_method(struct cmp_plan *pl)
{
    const struct config_index *ix = pl->ix;
    static const enum cmp_norm norms[] = {
        [CONFIG_NORM_FIXED_BASE] = NORM_FIXED_BASE,
        [CONFIG_NORM_CHAINED] = NORM_CHAINED,
        [CONFIG_NORM_MINMAX] = NORM_MINMAX,
        [CONFIG_NORM_ZSCORE] = NORM_ZSCORE,
        [CONFIG_NORM_EFFICACY] = NORM_EFFICACY,
        [CONFIG_NORM_GOALPOSTS] = NORM_GOALPOSTS,
        [CONFIG_NORM_RANK] = NORM_RANK,
        [CONFIG_NORM_BANDED] = NORM_BANDED,
    };
    static const enum cmp_impute imputes[] = {[CONFIG_IMPUTE_NONE] = IMPUTE_NONE,
                                              [CONFIG_IMPUTE_CARRY] = IMPUTE_CARRY,
                                              [CONFIG_IMPUTE_GROUP_MEAN] = IMPUTE_GROUP_MEAN};
    static const enum outlier_limit limits[] = {[CONFIG_LIMIT_COINR] = OUTLIER_LIMIT_COINR,
                                                [CONFIG_LIMIT_STEPS] = OUTLIER_LIMIT_STEPS,
                                                [CONFIG_LIMIT_POINTS] = OUTLIER_LIMIT_POINTS};

    pl->norm = norms[ix->normalise];
    pl->method = ix->aggregate == CONFIG_AGG_GEOMETRIC ? COMPOSITE_GEOMETRIC : COMPOSITE_ARITHMETIC;
    pl->missing = ix->missing == CONFIG_MISSING_EXCLUDE ? COMPOSITE_EXCLUDE : COMPOSITE_REWEIGHT;
    pl->carry = ix->missing == CONFIG_MISSING_CARRY;
    pl->screen = ix->screen;
    pl->impute = imputes[ix->impute];
    pl->impute_attr = ix->impute_by;
    pl->oo = outlier_opts_default();
    pl->outlier = ix->outlier.on;
    if (ix->outlier.winmax > 0)
        pl->oo.winmax = ix->outlier.winmax;
    if (!isnan(ix->outlier.skew))
        pl->oo.skew_thresh = ix->outlier.skew;
    if (!isnan(ix->outlier.kurtosis))
        pl->oo.kurt_thresh = ix->outlier.kurtosis;
    pl->oo.limit = limits[ix->outlier.limit];
}

/* 1 when unit u lies below unit a (any depth). */
static int below(const struct compute *c, size_t u, long a)
{
    for (long p = c->units[u].parent_index; p >= 0; p = c->units[p].parent_index)
        if (p == a)
            return 1;
    return 0;
}

static int pick_units(const struct compute *c, struct cmp_plan *pl)
{
    const struct config_units_sel *sel = &pl->ix->unit_sel;

    if (!(pl->units = malloc((c->nu ? c->nu : 1) * sizeof(size_t))) ||
        !(pl->group = malloc((c->nu ? c->nu : 1) * sizeof(int))))
        return -ENOMEM;
    for (size_t u = 0; u < c->nu; u++) {
        int take = 1;
        switch (sel->kind) {
        case CONFIG_UNITS_ALL:
            break;
        case CONFIG_UNITS_CHILDREN:
            take = c->units[u].parent_index == sel->anchor;
            break;
        case CONFIG_UNITS_DESCENDANTS:
            take = below(c, u, sel->anchor);
            break;
        case CONFIG_UNITS_LIST:
            take = 0;
            for (size_t i = 0; i < sel->n_list && !take; i++)
                take = sel->list[i] == (long)u;
            break;
        }
        if (take) {
            pl->group[pl->nu] = (int)c->units[u].parent_index;
            pl->units[pl->nu++] = u;
        }
    }
    return 0;
}

/* The engine's methods: bumped when the same config gives different results
 * (2: like-for-like bases, a missing chained base is missing), so a database
 * computed by an older engine recomputes every index in full. */
#define METHODS_VERSION "2"

static void plan_hash(struct cmp_plan *pl)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a 64 */
    for (const unsigned char *p = (const unsigned char *)"methods " METHODS_VERSION "\n"; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    for (const unsigned char *p = (const unsigned char *)pl->ix->json; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    snprintf(pl->hash, sizeof(pl->hash), "%016llx", (unsigned long long)h);
}

/* Builds the plan of ix (contract in compute_priv.h). */
int cmp_plan_new(const struct compute *c, const struct config_index *ix, struct cmp_plan **out)
{
    struct cmp_plan *pl = calloc(1, sizeof(*pl));
    size_t nl = 0, nn;
    int rc = -ENOMEM;

    *out = NULL;
    if (!pl)
        return -ENOMEM;
    pl->ix = ix;
    nn = 1 + count_nodes(ix->tree, ix->n_tree, &nl);
    pl->nodes = calloc(nn, sizeof(*pl->nodes));
    pl->node_id = calloc(nn, sizeof(char *));
    pl->leaf = calloc(nl ? nl : 1, sizeof(*pl->leaf));
    pl->wspec = calloc(nn, sizeof(struct config_weights *));
    if (!pl->nodes || !pl->node_id || !pl->leaf || !pl->wspec)
        goto out;
    pl->nodes[0] = (struct composite_node){-1, 1.0, -1};
    pl->node_id[0] = ix->id;
    pl->wspec[0] = ix->weights;
    pl->derived = ix->weights != NULL;
    pl->nn = 1;
    plan_method(pl);
    add_nodes(c, pl, ix->tree, ix->n_tree, 0);
    if ((rc = pick_units(c, pl)) < 0)
        goto out;
    plan_hash(pl);
out:
    if (rc < 0)
        cmp_plan_free(&pl);
    *out = pl;
    return rc;
}

void cmp_plan_free(struct cmp_plan **pp)
{
    struct cmp_plan *pl = pp ? *pp : NULL;
    if (!pl)
        return;
    free(pl->leaf);
    free(pl->nodes);
    free(pl->node_id);
    free(pl->wspec);
    free(pl->units);
    free(pl->group);
    free(pl);
    *pp = NULL;
}
