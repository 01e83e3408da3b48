/*
 * config_indices.c - the indices[] section: frequency, the units an index
 * ranks, and the weighted tree of dimensions and indicators. The method and
 * leaf options are parsed by config_index_opts.c.
 */
#include "config/config_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

static const char *const index_keys[] = {"id",     "name", "frequency", "units",
                                         "method", "tree", "weights",   NULL};
static const char *const inner_keys[] = {"id", "name", "weight", "children", "weights", NULL};
static const char *const leaf_keys[] = {
    "indicator",    "id",           "name",      "weight", "direction", "denominator",
    "unacceptable", "satisfactory", "goalposts", "bands",  NULL};

/* Node ids seen in one index, for the duplicate check. */
struct seen_id {
    const char *id;
    size_t seq;
    char path[CFG_PATH_SIZE];
};

struct tree_ctx {
    struct cfg_ctx *ctx;
    const struct config_index *index;
    struct cfg_method_opts method; /* what leaves inherit */
    struct seen_id *seen;
    size_t n_seen, cap_seen;
};

static void remember_id(struct tree_ctx *t, const char *id, const char *path)
{
    if (BUF_GROW(&t->seen, &t->cap_seen, t->n_seen + 1, BUF_UNCAPPED) < 0) {
        t->ctx->oom = 1;
        return;
    }
    t->seen[t->n_seen].id = id;
    t->seen[t->n_seen].seq = t->n_seen;
    snprintf(t->seen[t->n_seen].path, CFG_PATH_SIZE, "%s", path);
    t->n_seen++;
}

static int seen_cmp(const void *a, const void *b)
{
    const struct seen_id *x = a, *y = b;
    int c = strcmp(x->id, y->id);

    return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

static void report_duplicate_nodes(struct tree_ctx *t)
{
    if (t->n_seen < 2)
        return;
    qsort(t->seen, t->n_seen, sizeof(*t->seen), seen_cmp);
    for (size_t i = 1, first = 0; i < t->n_seen; i++) {
        if (strcmp(t->seen[i].id, t->seen[first].id) != 0) {
            first = i;
            continue;
        }
        cfg_error(t->ctx, t->seen[i].path, "duplicate node id \"%s\" (first at %s)", t->seen[i].id,
                  t->seen[first].path);
    }
}

static void load_nodes(struct tree_ctx *t, json_t *arr, const char *path, int depth,
                       struct config_index_node **out, size_t *n_out);

static void load_leaf(struct tree_ctx *t, json_t *obj, const char *path,
                      struct config_index_node *node)
{
    struct cfg_ctx *ctx = t->ctx;
    const struct config_indicator *ind;
    char p[CFG_PATH_SIZE];
    const struct config *cfg = ctx->cfg;
    const char *near;
    long k, dir;

    cfg_check_keys(ctx, obj, path, leaf_keys);
    if (cfg_get_string(ctx, obj, path, "indicator", 1, &node->indicator) <= 0)
        return;
    cfg_path_key(p, path, "indicator");
    k = config_indicator_find(cfg, node->indicator, strlen(node->indicator));
    if (k < 0) {
        near = cfg_nearest_in(node->indicator, cfg->indicators, cfg->n_indicators,
                              sizeof(*cfg->indicators), offsetof(struct config_indicator, code));
        if (near)
            cfg_error(ctx, p, "unknown indicator \"%.80s\" (did you mean \"%s\"?)", node->indicator,
                      near);
        else
            cfg_error(ctx, p, "unknown indicator \"%.80s\"", node->indicator);
        return;
    }
    ind = &ctx->cfg->indicators[k];
    if (ind->freq < t->index->freq)
        cfg_error(ctx, p, "indicator \"%s\" has frequency %c, coarser than the index's %c",
                  ind->code, period_freq_char(ind->freq), period_freq_char(t->index->freq));
    node->id = ind->code;
    node->name = ind->name;
    node->direction = ind->direction;
    if (json_object_get(obj, "children")) {
        cfg_path_key(p, path, "children");
        cfg_error(ctx, p, "a leaf (with \"indicator\") has no children");
    }
    cfg_get_id(ctx, obj, path, "id", 0, &node->id);
    remember_id(t, node->id, path);
    cfg_get_string(ctx, obj, path, "name", 0, &node->name);
    if (cfg_get_int(ctx, obj, path, "direction", 0, -1, 1, &dir) > 0) {
        if (dir == 0) {
            cfg_path_key(p, path, "direction");
            cfg_error(ctx, p, "must be 1 or -1");
        } else {
            node->direction = (int)dir;
        }
    }
    cfg_load_leaf_opts(ctx, obj, path, t->index, &t->method, node);
}

static void load_inner(struct tree_ctx *t, json_t *obj, const char *path, int depth,
                       struct config_index_node *node)
{
    struct config_index_node *children = NULL;
    json_t *arr;

    cfg_check_keys(t->ctx, obj, path, inner_keys);
    if (cfg_get_id(t->ctx, obj, path, "id", 1, &node->id) > 0)
        remember_id(t, node->id, path);
    node->name = node->id;
    cfg_get_string(t->ctx, obj, path, "name", 0, &node->name);
    if (cfg_get_array(t->ctx, obj, path, "children", 1, &arr) > 0) {
        char p[CFG_PATH_SIZE];
        cfg_path_key(p, path, "children");
        load_nodes(t, arr, p, depth + 1, &children, &node->n_children);
        node->children = children;
    }
    cfg_load_weights(t->ctx, obj, path, t->index, node->children, node->n_children, &node->weights);
}

/* 1 when obj has a key close to "indicator": a leaf with a typo, reported
 * as such rather than as an inner node without children. */
static int misspelt_leaf(json_t *obj)
{
    static const char *const leaf_key[] = {"indicator", NULL};
    const char *key;
    json_t *v;

    json_object_foreach(obj, key, v)
    {
        if (cfg_nearest(key, leaf_key))
            return 1;
    }
    return 0;
}

static void load_node(struct tree_ctx *t, json_t *obj, const char *path, int depth,
                      struct config_index_node *node)
{
    char p[CFG_PATH_SIZE];

    node->id = "";
    node->name = "";
    node->weight = 1;
    node->denominator = -1;
    if (!json_is_object(obj)) {
        cfg_error(t->ctx, path, "expected object");
        return;
    }
    if (json_object_get(obj, "indicator") || misspelt_leaf(obj))
        load_leaf(t, obj, path, node);
    else
        load_inner(t, obj, path, depth, node);
    if (cfg_get_number(t->ctx, obj, path, "weight", 1, &node->weight) > 0 && !(node->weight > 0)) {
        cfg_path_key(p, path, "weight");
        cfg_error(t->ctx, p, "must be > 0");
        node->weight = 1;
    }
}

static void load_nodes(struct tree_ctx *t, json_t *arr, const char *path, int depth,
                       struct config_index_node **out, size_t *n_out)
{
    size_t n = json_array_size(arr);
    struct config_index_node *nodes;
    char p[CFG_PATH_SIZE];

    if (depth > CFG_MAX_TREE_DEPTH) {
        cfg_error(t->ctx, path, "tree deeper than %d levels", CFG_MAX_TREE_DEPTH);
        return;
    }
    if (n == 0) {
        cfg_error(t->ctx, path, "must list at least one node");
        return;
    }
    nodes = cfg_calloc(t->ctx, n, sizeof(*nodes));
    if (!nodes)
        return;
    for (size_t i = 0; i < n; i++) {
        cfg_path_index(p, path, i);
        load_node(t, json_array_get(arr, i), p, depth, &nodes[i]);
    }
    *out = nodes;
    *n_out = n;
}

static void load_index(struct cfg_ctx *ctx, json_t *obj, const char *path, struct config_index *idx)
{
    struct tree_ctx t = {.ctx = ctx, .index = idx};
    struct config_index_node *tree = NULL;
    char p[CFG_PATH_SIZE];
    json_t *arr;

    *idx = (struct config_index){.id = "",
                                 .name = "",
                                 .freq = PERIOD_YEAR,
                                 .normalise = CONFIG_NORM_MINMAX,
                                 .aggregate = CONFIG_AGG_ARITHMETIC,
                                 .missing = CONFIG_MISSING_REWEIGHT,
                                 .impute = CONFIG_IMPUTE_NONE};
    if (!json_is_object(obj)) {
        cfg_error(ctx, path, "expected object");
        return;
    }
    cfg_check_keys(ctx, obj, path, index_keys);
    cfg_get_id(ctx, obj, path, "id", 1, &idx->id);
    idx->name = idx->id;
    cfg_get_string(ctx, obj, path, "name", 0, &idx->name);
    cfg_get_freq(ctx, obj, path, "frequency", 1, &idx->freq);
    cfg_get_units_sel(ctx, obj, path, 1, &idx->unit_sel, &idx->units);
    cfg_load_method(ctx, obj, path, idx, &t.method);
    if (cfg_get_array(ctx, obj, path, "tree", 1, &arr) > 0) {
        cfg_path_key(p, path, "tree");
        load_nodes(&t, arr, p, 1, &tree, &idx->n_tree);
        idx->tree = tree;
    }
    cfg_load_weights(ctx, obj, path, idx, idx->tree, idx->n_tree, &idx->weights);
    report_duplicate_nodes(&t);
    free(t.seen);
    idx->json = cfg_dump(ctx, obj);
}

void cfg_load_indices(struct cfg_ctx *ctx, json_t *root)
{
    struct config *cfg = ctx->cfg;
    char p[CFG_PATH_SIZE];
    json_t *arr;
    size_t n;

    if (cfg_get_array(ctx, root, "", "indices", 0, &arr) <= 0)
        return;
    n = json_array_size(arr);
    if (n == 0)
        return;
    cfg->indices = cfg_calloc(ctx, n, sizeof(*cfg->indices));
    if (!cfg->indices)
        return;
    cfg->n_indices = n;
    for (size_t i = 0; i < n; i++) {
        cfg_path_index(p, "indices", i);
        load_index(ctx, json_array_get(arr, i), p, &cfg->indices[i]);
    }
    cfg_sort_unique(ctx, cfg->indices, n, sizeof(*cfg->indices), offsetof(struct config_index, id),
                    "indices", "id");
}
