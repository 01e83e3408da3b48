/*
 * index_opts.c - the plan of one composite index: the config's tree turned
 * into aggregate/composite nodes (node 0 the total, named by the index id),
 * the scored units, and the method options the config loader leaves to the
 * engine, parsed with jansson from the index's JSON (docs/INDICES.md):
 *
 *   method.impute   "none" | "carry" | {"method": "group_mean", "by": ATTR}
 *   method.screen   minimum share of present indicators per unit (0 .. 1)
 *   method.outlier  true | {"winmax": 5, "skew": 2, "kurtosis": 3.5,
 *                          "limit": "steps" | "points" | "coinr"}
 *   leaf keys       "denominator": CODE, efficacy "satisfactory" (x_h) and
 *                   "unacceptable" (x_s), goalposts [lo, hi],
 *                   bands {"breaks": [...], "points": [...]}
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compute/compute_priv.h"
#include "config/config.h"

static const char *const norm_names[] = {"fixed_base", "chained",   "minmax", "zscore",
                                         "efficacy",   "goalposts", "rank",   "banded"};

struct plan_ctx {
    const struct compute *c;
    struct cmp_plan *pl;
    char *err;
    size_t errsize;
    int bad;
};

static void plan_error(struct plan_ctx *t, const char *path, const char *msg)
{
    if (!t->bad)
        snprintf(t->err, t->errsize, "indices[%s].%s: %s", t->pl->ix->id, path, msg);
    t->bad = 1;
}

static double num_or(json_t *obj, const char *key, double dflt)
{
    json_t *v = json_object_get(obj, key);
    return json_is_number(v) ? json_number_value(v) : dflt;
}

static int read_doubles(json_t *arr, double **out, size_t *n)
{
    *n = json_array_size(arr);
    *out = malloc((*n ? *n : 1) * sizeof(double));
    if (!*out)
        return -ENOMEM;
    for (size_t i = 0; i < *n; i++)
        (*out)[i] = json_is_number(json_array_get(arr, i))
                        ? json_number_value(json_array_get(arr, i))
                        : NAN;
    return 0;
}

static void parse_leaf(struct plan_ctx *t, json_t *obj, const struct config_index_node *n,
                       struct cmp_leaf *lf, const char *path, json_t *method)
{
    const char *den = json_string_value(json_object_get(obj, "denominator"));
    json_t *gp = json_object_get(obj, "goalposts");
    json_t *bands = json_object_get(obj, "bands");

    lf->ind = (size_t)config_indicator_find(t->c->cfg, n->indicator, strlen(n->indicator));
    lf->dir = n->direction;
    lf->den = den ? config_indicator_find(t->c->cfg, den, strlen(den)) : -1;
    if (den && lf->den < 0)
        plan_error(t, path, "unknown denominator indicator");
    lf->x_h = num_or(obj, "satisfactory", NAN);
    lf->x_s = num_or(obj, "unacceptable", NAN);
    if (!gp)
        gp = json_object_get(method, "goalposts");
    lf->lo = json_is_number(json_array_get(gp, 0)) ? json_number_value(json_array_get(gp, 0)) : 0;
    lf->hi = json_is_number(json_array_get(gp, 1)) ? json_number_value(json_array_get(gp, 1)) : 100;
    if (t->pl->norm == NORM_GOALPOSTS && !(lf->hi > lf->lo))
        plan_error(t, path, "goalposts must be [lo, hi] with hi > lo");
    if (!bands)
        bands = json_object_get(method, "bands");
    if (bands) {
        size_t np = 0;
        if (read_doubles(json_object_get(bands, "breaks"), &lf->breaks, &lf->nb) < 0 ||
            read_doubles(json_object_get(bands, "points"), &lf->points, &np) < 0 ||
            np != lf->nb + 1 || lf->nb == 0)
            plan_error(t, path, "bands needs breaks and one more points than breaks");
    } else if (t->pl->norm == NORM_BANDED) {
        plan_error(t, path, "banded needs \"bands\" on the leaf or in the method");
    }
}

/* Appends the nodes below parent (config children cn, JSON array arr). */
static void add_nodes(struct plan_ctx *t, const struct config_index_node *cn, size_t n, json_t *arr,
                      int parent, json_t *method)
{
    struct cmp_plan *pl = t->pl;
    for (size_t i = 0; i < n && !t->bad; i++) {
        json_t *obj = json_array_get(arr, i);
        size_t me = pl->nn++;
        pl->node_id[me] = cn[i].id;
        pl->nodes[me] = (struct composite_node){parent, cn[i].weight, -1};
        if (cn[i].indicator) {
            pl->nodes[me].column = (int)pl->nl;
            parse_leaf(t, obj, &cn[i], &pl->leaf[pl->nl++], cn[i].id, method);
        } else {
            add_nodes(t, cn[i].children, cn[i].n_children, json_object_get(obj, "children"),
                      (int)me, method);
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

static void parse_impute(struct plan_ctx *t, json_t *method)
{
    json_t *imp = json_object_get(method, "impute");
    const char *s = json_string_value(imp);
    const char *by = NULL;

    if (json_is_object(imp)) {
        s = json_string_value(json_object_get(imp, "method"));
        by = json_string_value(json_object_get(imp, "by"));
    }
    if (!imp || (s && strcmp(s, "none") == 0)) {
        t->pl->impute = IMPUTE_NONE;
    } else if (s && strcmp(s, "carry") == 0) {
        t->pl->impute = IMPUTE_CARRY;
    } else if (s && strcmp(s, "group_mean") == 0 && by) {
        t->pl->impute = IMPUTE_GROUP_MEAN;
        if (!(t->pl->impute_attr = strdup(by)))
            plan_error(t, "method.impute", "out of memory");
    } else {
        plan_error(t, "method.impute",
                   "expected \"none\", \"carry\" or {\"method\": \"group_mean\", \"by\": ATTR}");
    }
}

static void parse_outlier(struct plan_ctx *t, json_t *method)
{
    json_t *o = json_object_get(method, "outlier");
    const char *limit;

    t->pl->oo = outlier_opts_default();
    t->pl->outlier = json_is_true(o) || json_is_object(o);
    if (!json_is_object(o))
        return;
    t->pl->oo.winmax = (int)num_or(o, "winmax", t->pl->oo.winmax);
    t->pl->oo.skew_thresh = num_or(o, "skew", t->pl->oo.skew_thresh);
    t->pl->oo.kurt_thresh = num_or(o, "kurtosis", t->pl->oo.kurt_thresh);
    limit = json_string_value(json_object_get(o, "limit"));
    if (!limit || strcmp(limit, "coinr") == 0)
        t->pl->oo.limit = OUTLIER_LIMIT_COINR;
    else if (strcmp(limit, "steps") == 0)
        t->pl->oo.limit = OUTLIER_LIMIT_STEPS;
    else if (strcmp(limit, "points") == 0)
        t->pl->oo.limit = OUTLIER_LIMIT_POINTS;
    else
        plan_error(t, "method.outlier.limit", "expected \"steps\", \"points\" or \"coinr\"");
}

static void parse_method(struct plan_ctx *t, json_t *method)
{
    const struct config_index *ix = t->pl->ix;
    json_t *screen = json_object_get(method, "screen");

    for (size_t i = 0; i < sizeof(norm_names) / sizeof(norm_names[0]); i++)
        if (strcmp(ix->normalise, norm_names[i]) == 0)
            t->pl->norm = (enum cmp_norm)i;
    t->pl->method =
        strcmp(ix->aggregate, "geometric") == 0 ? COMPOSITE_GEOMETRIC : COMPOSITE_ARITHMETIC;
    t->pl->missing = strcmp(ix->missing, "exclude") == 0 ? COMPOSITE_EXCLUDE : COMPOSITE_REWEIGHT;
    t->pl->carry = strcmp(ix->missing, "carry") == 0;
    t->pl->screen = json_is_number(screen) ? json_number_value(screen) : 0;
    if (screen && !(json_is_number(screen) && t->pl->screen >= 0 && t->pl->screen <= 1))
        plan_error(t, "method.screen", "expected a share between 0 and 1");
    parse_impute(t, method);
    parse_outlier(t, method);
}

/* 1 when unit u lies below unit a (any depth). */
static int below(const struct compute *c, size_t u, long a)
{
    for (long p = c->units[u].parent_index; p >= 0; p = c->units[p].parent_index)
        if (p == a)
            return 1;
    return 0;
}

static int pick_units(struct plan_ctx *t, json_t *root)
{
    const struct compute *c = t->c;
    struct cmp_plan *pl = t->pl;
    const char *sel = pl->ix->units;
    json_t *arr = json_object_get(root, "units");
    long a = -1;
    int deep = 0;

    if (!(pl->units = malloc((c->nu ? c->nu : 1) * sizeof(size_t))) ||
        !(pl->group = malloc((c->nu ? c->nu : 1) * sizeof(int))))
        return -ENOMEM;
    if (sel) {
        deep = strncmp(sel, "descendants:", 12) == 0;
        sel = strchr(sel, ':') + 1;
        a = config_unit_find(c->cfg, sel, strlen(sel));
    }
    for (size_t u = 0; u < c->nu; u++) {
        int take = 1;
        if (json_is_array(arr)) {
            size_t i;
            json_t *v;
            take = 0;
            json_array_foreach(arr, i, v) take |= strcmp(json_string_value(v), c->units[u].id) == 0;
        } else if (sel) {
            take = deep ? below(c, u, a) : c->units[u].parent_index == a;
        }
        if (take) {
            pl->group[pl->nu] = (int)c->units[u].parent_index;
            pl->units[pl->nu++] = u;
        }
    }
    return 0;
}

static void plan_hash(struct cmp_plan *pl)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a 64 */
    for (const unsigned char *p = (const unsigned char *)pl->ix->json; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    snprintf(pl->hash, sizeof(pl->hash), "%016llx", (unsigned long long)h);
}

/* Builds the plan of ix (contract in compute_priv.h). */
int cmp_plan_new(const struct compute *c, const struct config_index *ix, struct cmp_plan **out,
                 char *err, size_t errsize)
{
    struct cmp_plan *pl = calloc(1, sizeof(*pl));
    struct plan_ctx t = {c, pl, err, errsize, 0};
    json_t *root = json_loads(ix->json, 0, NULL);
    size_t nl = 0, nn;
    int rc = -ENOMEM;

    *out = NULL;
    if (!pl || !root)
        goto out;
    pl->ix = ix;
    nn = 1 + count_nodes(ix->tree, ix->n_tree, &nl);
    pl->nodes = calloc(nn, sizeof(*pl->nodes));
    pl->node_id = calloc(nn, sizeof(char *));
    pl->leaf = calloc(nl ? nl : 1, sizeof(*pl->leaf));
    if (!pl->nodes || !pl->node_id || !pl->leaf)
        goto out;
    pl->nodes[0] = (struct composite_node){-1, 1.0, -1};
    pl->node_id[0] = ix->id;
    pl->nn = 1;
    parse_method(&t, json_object_get(root, "method"));
    add_nodes(&t, ix->tree, ix->n_tree, json_object_get(root, "tree"), 0,
              json_object_get(root, "method"));
    if ((rc = pick_units(&t, root)) < 0)
        goto out;
    plan_hash(pl);
    rc = t.bad ? -EINVAL : 0;
out:
    json_decref(root);
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
    for (size_t l = 0; pl->leaf && l < pl->nl; l++) {
        free(pl->leaf[l].breaks);
        free(pl->leaf[l].points);
    }
    free(pl->leaf);
    free(pl->nodes);
    free(pl->node_id);
    free(pl->units);
    free(pl->group);
    free(pl->impute_attr);
    free(pl);
    *pp = NULL;
}
