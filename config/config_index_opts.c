/*
 * config_index_opts.c - the method options of an index and the options of
 * its leaves (docs/INDICES.md), parsed into the typed records of config.h so
 * that the aggregation engine only reads them:
 *
 *   method.normalise  fixed_base chained minmax zscore efficacy goalposts rank banded
 *   method.base       a period (fixed_base, chained)
 *   method.base_match same_period (default) | mean: a base coarser than the frequency
 *   method.basis      level (default) | ytd: year-to-date against the base year's
 *   method.aggregate  arithmetic | geometric
 *   method.missing    reweight | carry | exclude
 *   method.impute     "none" | "carry" | {"method": "group_mean", "by": ATTR}
 *   method.screen     minimum share of present indicators per unit (0 .. 1)
 *   method.outlier    true | false | {"winmax": 5, "skew": 2, "kurtosis": 3.5,
 *                                     "limit": "coinr" | "steps" | "points"}
 *   leaf or method    "goalposts": [lo, hi], "bands": {"breaks": [...], "points": [...]}
 *   leaf              "denominator": CODE, "unacceptable" (x_s), "satisfactory" (x_h)
 *   index or inner    "weights": {"method": "entropy" | "critic" | "cv" | "pca" | "ahp",
 *                                 "matrix": [[...]] (ahp), "from": "each" | PERIOD}
 *
 * Unknown keys are errors with a "did you mean"; so are enumerated values.
 */
#include "config/config_priv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate/weights.h"

static const char *const method_keys[] = {"normalise", "base",      "base_match", "basis",
                                          "aggregate", "missing",   "impute",     "screen",
                                          "outlier",   "goalposts", "bands",      NULL};
static const char *const impute_keys[] = {"method", "by", NULL};
static const char *const outlier_keys[] = {"winmax", "skew", "kurtosis", "limit", NULL};
static const char *const bands_keys[] = {"breaks", "points", NULL};
static const char *const weights_keys[] = {"method", "matrix", "from", NULL};

/* In the order of the enums of config.h. */
static const char *const normalise_names[] = {
    "fixed_base", "chained", "minmax", "zscore", "efficacy", "goalposts", "rank", "banded", NULL};
static const char *const aggregate_names[] = {"arithmetic", "geometric", NULL};
static const char *const missing_names[] = {"reweight", "carry", "exclude", NULL};
static const char *const impute_names[] = {"none", "carry", "group_mean", NULL};
static const char *const limit_names[] = {"coinr", "steps", "points", NULL};
static const char *const base_match_names[] = {"same_period", "mean", NULL};
static const char *const basis_names[] = {"level", "ytd", NULL};
static const char *const weights_names[] = {"entropy", "critic", "cv", "pca", "ahp", NULL};

/* Reads an array of numbers of obj's member key; *out kept by the config. */
static int get_numbers(struct cfg_ctx *ctx, json_t *obj, const char *path, const char *key,
                       double **out, size_t *n)
{
    char p[CFG_PATH_SIZE], q[CFG_PATH_SIZE];
    json_t *arr, *v;
    size_t i;
    int r = cfg_get_array(ctx, obj, path, key, 1, &arr);

    if (r <= 0)
        return r;
    cfg_path_key(p, path, key);
    *n = json_array_size(arr);
    if (!(*out = cfg_calloc(ctx, *n, sizeof(double))))
        return -1;
    json_array_foreach(arr, i, v)
    {
        if (!json_is_number(v)) {
            cfg_path_index(q, p, i);
            cfg_error(ctx, q, "expected number");
            return -1;
        }
        (*out)[i] = json_number_value(v);
    }
    return 1;
}

/* "goalposts": [lo, hi] with hi > lo. */
static int get_goalposts(struct cfg_ctx *ctx, json_t *obj, const char *path, double out[2])
{
    char p[CFG_PATH_SIZE];
    double *v = NULL;
    size_t n = 0;
    int r;

    if (!json_object_get(obj, "goalposts"))
        return 0;
    r = get_numbers(ctx, obj, path, "goalposts", &v, &n);
    if (r <= 0)
        return r;
    cfg_path_key(p, path, "goalposts");
    if (n != 2 || !(v[1] > v[0])) {
        cfg_error(ctx, p, "expected [lo, hi] with hi > lo");
        return -1;
    }
    out[0] = v[0];
    out[1] = v[1];
    return 1;
}

/* "bands": {"breaks": [b1 < ... < bk], "points": [p0 ... pk]}, k >= 1. */
static int get_bands(struct cfg_ctx *ctx, json_t *obj, const char *path,
                     const struct config_bands **out)
{
    char p[CFG_PATH_SIZE];
    struct config_bands *b;
    double *breaks = NULL, *points = NULL;
    size_t nb = 0, np = 0;
    json_t *o;
    int r = cfg_get_object(ctx, obj, path, "bands", 0, &o);

    if (r <= 0)
        return r;
    cfg_path_key(p, path, "bands");
    cfg_check_keys(ctx, o, p, bands_keys);
    if (get_numbers(ctx, o, p, "breaks", &breaks, &nb) <= 0 ||
        get_numbers(ctx, o, p, "points", &points, &np) <= 0)
        return -1;
    if (nb == 0 || np != nb + 1) {
        cfg_error(ctx, p, "needs at least one break and one more points than breaks (%zu, %zu)", nb,
                  np);
        return -1;
    }
    for (size_t i = 1; i < nb; i++) {
        if (!(breaks[i] > breaks[i - 1])) {
            char q[CFG_PATH_SIZE];
            cfg_path_key(q, p, "breaks");
            cfg_error(ctx, q, "must be strictly increasing");
            return -1;
        }
    }
    if (!(b = cfg_calloc(ctx, 1, sizeof(*b))))
        return -1;
    *b = (struct config_bands){breaks, points, nb};
    *out = b;
    return 1;
}

/* 1 when some unit has attribute key. */
static int attr_known(const struct config *cfg, const char *key)
{
    for (size_t u = 0; u < cfg->n_units; u++)
        if (config_unit_attr(&cfg->units[u], key))
            return 1;
    return 0;
}

/* The attribute key of the units closest to key, for a "did you mean". */
static const char *attr_nearest(const struct config *cfg, const char *key)
{
    const char *near = NULL;

    for (size_t u = 0; u < cfg->n_units && !near; u++)
        near = cfg_nearest_in(key, cfg->units[u].attrs, cfg->units[u].n_attrs,
                              sizeof(struct config_attr), offsetof(struct config_attr, key));
    return near;
}

static void load_impute(struct cfg_ctx *ctx, json_t *m, const char *path, struct config_index *idx)
{
    json_t *v = json_object_get(m, "impute");
    char p[CFG_PATH_SIZE], q[CFG_PATH_SIZE];
    const char *by;
    int k;

    cfg_path_key(p, path, "impute");
    if (!v)
        return;
    if (json_is_string(v)) {
        if (cfg_get_enum(ctx, m, path, "impute", 0, impute_names, &k) <= 0)
            return;
        if (k == CONFIG_IMPUTE_GROUP_MEAN)
            cfg_error(ctx, p, "group_mean needs {\"method\": \"group_mean\", \"by\": ATTR}");
        else
            idx->impute = (enum config_impute)k;
        return;
    }
    if (!json_is_object(v)) {
        cfg_error(ctx, p,
                  "expected \"none\", \"carry\" or {\"method\": \"group_mean\", \"by\": ATTR}");
        return;
    }
    cfg_check_keys(ctx, v, p, impute_keys);
    if (cfg_get_enum(ctx, v, p, "method", 1, impute_names, &k) <= 0)
        return;
    idx->impute = (enum config_impute)k;
    if (k != CONFIG_IMPUTE_GROUP_MEAN) {
        if (json_object_get(v, "by")) {
            cfg_path_key(q, p, "by");
            cfg_error(ctx, q, "only for group_mean");
        }
        return;
    }
    if (cfg_get_string(ctx, v, p, "by", 1, &by) <= 0)
        return;
    cfg_path_key(q, p, "by");
    if (!attr_known(ctx->cfg, by)) {
        if (attr_nearest(ctx->cfg, by))
            cfg_error(ctx, q, "no unit has attribute \"%.80s\" (did you mean \"%s\"?)", by,
                      attr_nearest(ctx->cfg, by));
        else
            cfg_error(ctx, q, "no unit has attribute \"%.80s\"", by);
        return;
    }
    idx->impute_by = by;
}

static void load_outlier(struct cfg_ctx *ctx, json_t *m, const char *path, struct config_index *idx)
{
    struct config_outlier *o = &idx->outlier;
    json_t *v = json_object_get(m, "outlier");
    char p[CFG_PATH_SIZE], q[CFG_PATH_SIZE];
    long winmax;
    int k;

    *o = (struct config_outlier){0, 0, NAN, NAN, CONFIG_LIMIT_COINR};
    if (!v)
        return;
    cfg_path_key(p, path, "outlier");
    if (json_is_boolean(v)) {
        o->on = json_is_true(v);
        o->limit = CONFIG_LIMIT_STEPS; /* true: the engine's defaults, 5 steps */
        return;
    }
    if (!json_is_object(v)) {
        cfg_error(ctx, p,
                  "expected true, false or {\"winmax\", \"skew\", \"kurtosis\", \"limit\"}");
        return;
    }
    o->on = 1;
    cfg_check_keys(ctx, v, p, outlier_keys);
    if (cfg_get_int(ctx, v, p, "winmax", 0, 1, 1000, &winmax) > 0)
        o->winmax = (int)winmax;
    if (cfg_get_number(ctx, v, p, "skew", 0, &o->skew) > 0 && !(o->skew > 0)) {
        cfg_path_key(q, p, "skew");
        cfg_error(ctx, q, "must be > 0");
    }
    if (cfg_get_number(ctx, v, p, "kurtosis", 0, &o->kurtosis) > 0 && !(o->kurtosis > 0)) {
        cfg_path_key(q, p, "kurtosis");
        cfg_error(ctx, q, "must be > 0");
    }
    if (cfg_get_enum(ctx, v, p, "limit", 0, limit_names, &k) > 0)
        o->limit = (enum config_outlier_limit)k;
}

/*
 * method.base_match and method.basis: only for the time-based normalisations;
 * a year-to-date basis needs a sub-annual index, a base year and the
 * same-period match (a year-to-date value has no meaningful annual mean).
 */
static void load_base_match(struct cfg_ctx *ctx, json_t *m, const char *p, struct config_index *idx)
{
    char q[CFG_PATH_SIZE];
    int v, time_based =
               idx->normalise == CONFIG_NORM_FIXED_BASE || idx->normalise == CONFIG_NORM_CHAINED;

    idx->base_match = CONFIG_BASE_SAME_PERIOD;
    idx->basis = CONFIG_BASIS_LEVEL;
    if (cfg_get_enum(ctx, m, p, "base_match", 0, base_match_names, &v) > 0)
        idx->base_match = (enum config_base_match)v;
    if (cfg_get_enum(ctx, m, p, "basis", 0, basis_names, &v) > 0)
        idx->basis = (enum config_basis)v;
    for (const char *const *k = (const char *const[]){"base_match", "basis", NULL}; *k; k++) {
        cfg_path_key(q, p, *k);
        if (json_object_get(m, *k) && !time_based)
            cfg_error(ctx, q, "only for normalise \"fixed_base\" or \"chained\"");
    }
    if (idx->basis != CONFIG_BASIS_YTD || !time_based)
        return;
    cfg_path_key(q, p, "basis");
    if (idx->freq == PERIOD_YEAR)
        cfg_error(ctx, q, "\"ytd\" needs a sub-annual index frequency");
    else if (idx->has_base && idx->base.freq != PERIOD_YEAR)
        cfg_error(ctx, q, "\"ytd\" needs a base year (\"base\": \"%d\")", idx->base.year);
    else if (idx->base_match == CONFIG_BASE_MEAN)
        cfg_error(ctx, q,
                  "\"ytd\" compares with the base year's same months: it needs"
                  " \"base_match\": \"same_period\"");
}

void cfg_load_method(struct cfg_ctx *ctx, json_t *obj, const char *path, struct config_index *idx,
                     struct cfg_method_opts *mo)
{
    char p[CFG_PATH_SIZE], q[CFG_PATH_SIZE], text[PERIOD_TEXT_SIZE];
    json_t *m;
    int v, has_norm;

    mo->goalposts[0] = 0;
    mo->goalposts[1] = 100;
    mo->bands = NULL;
    if (cfg_get_object(ctx, obj, path, "method", 1, &m) <= 0)
        return;
    cfg_path_key(p, path, "method");
    cfg_check_keys(ctx, m, p, method_keys);
    has_norm = cfg_get_enum(ctx, m, p, "normalise", 1, normalise_names, &v) > 0;
    if (has_norm)
        idx->normalise = (enum config_normalise)v;
    if (cfg_get_enum(ctx, m, p, "aggregate", 0, aggregate_names, &v) > 0)
        idx->aggregate = (enum config_aggregate)v;
    if (cfg_get_enum(ctx, m, p, "missing", 0, missing_names, &v) > 0)
        idx->missing = (enum config_missing)v;
    cfg_path_key(q, p, "base");
    idx->has_base = cfg_get_period(ctx, m, p, "base", 0, &idx->base) > 0;
    if (idx->has_base && idx->base.freq > idx->freq) {
        period_format(idx->base, text, sizeof(text));
        cfg_error(ctx, q, "base period \"%s\" is finer than the index frequency %c", text,
                  period_freq_char(idx->freq));
    }
    if (has_norm && !json_object_get(m, "base") &&
        (idx->normalise == CONFIG_NORM_FIXED_BASE || idx->normalise == CONFIG_NORM_CHAINED))
        cfg_error(ctx, q, "required for normalise \"%s\"", normalise_names[idx->normalise]);
    load_base_match(ctx, m, p, idx);
    load_impute(ctx, m, p, idx);
    if (cfg_get_number(ctx, m, p, "screen", 0, &idx->screen) > 0 &&
        !(idx->screen >= 0 && idx->screen <= 1)) {
        cfg_path_key(q, p, "screen");
        cfg_error(ctx, q, "expected a share between 0 and 1");
        idx->screen = 0;
    }
    load_outlier(ctx, m, p, idx);
    get_goalposts(ctx, m, p, mo->goalposts);
    get_bands(ctx, m, p, &mo->bands);
}

/* "denominator": a known indicator code. */
static void load_denominator(struct cfg_ctx *ctx, json_t *obj, const char *path,
                             struct config_index_node *node)
{
    const struct config *cfg = ctx->cfg;
    char p[CFG_PATH_SIZE];
    const char *code, *near;

    if (cfg_get_string(ctx, obj, path, "denominator", 0, &code) <= 0)
        return;
    node->denominator = config_indicator_find(cfg, code, strlen(code));
    if (node->denominator >= 0)
        return;
    cfg_path_key(p, path, "denominator");
    near = cfg_nearest_in(code, cfg->indicators, cfg->n_indicators, sizeof(*cfg->indicators),
                          offsetof(struct config_indicator, code));
    if (near)
        cfg_error(ctx, p, "unknown indicator \"%.80s\" (did you mean \"%s\"?)", code, near);
    else
        cfg_error(ctx, p, "unknown indicator \"%.80s\"", code);
}

/* A year-to-date basis sums flows: a rate needs its numerator and denominator
 * (then it is their year-to-date ratio), else it has no year-to-date value. */
static void check_ytd_leaf(struct cfg_ctx *ctx, const char *path,
                           const struct config_index_node *node)
{
    long k = config_indicator_find(ctx->cfg, node->indicator, strlen(node->indicator));
    const struct config_indicator *ind = k >= 0 ? &ctx->cfg->indicators[k] : NULL;

    if (ind && ind->kind == CONFIG_RATE && !(ind->numerator && ind->denominator))
        cfg_error(ctx, path,
                  "rate \"%s\" has no year-to-date value for \"basis\": \"ytd\" (give it a"
                  " numerator and a denominator, or use \"basis\": \"level\")",
                  ind->code);
}

void cfg_load_leaf_opts(struct cfg_ctx *ctx, json_t *obj, const char *path,
                        const struct config_index *idx, const struct cfg_method_opts *mo,
                        struct config_index_node *node)
{
    node->denominator = -1;
    node->unacceptable = NAN;
    node->satisfactory = NAN;
    node->goalposts[0] = mo->goalposts[0];
    node->goalposts[1] = mo->goalposts[1];
    node->bands = mo->bands;
    load_denominator(ctx, obj, path, node);
    cfg_get_number(ctx, obj, path, "unacceptable", 0, &node->unacceptable);
    cfg_get_number(ctx, obj, path, "satisfactory", 0, &node->satisfactory);
    get_goalposts(ctx, obj, path, node->goalposts);
    get_bands(ctx, obj, path, &node->bands);
    if (idx->normalise == CONFIG_NORM_BANDED && !node->bands && !json_object_get(obj, "bands"))
        cfg_error(ctx, path, "banded needs \"bands\" on the leaf or in the method");
    if (idx->basis == CONFIG_BASIS_YTD && node->indicator)
        check_ytd_leaf(ctx, path, node);
}

/* The AHP matrix "matrix" of w (path p): n x n over the children, positive,
 * reciprocal, consistent (CR < 0.1); its weights into cw. 0 or -1 (reported). */
static int load_ahp(struct cfg_ctx *ctx, json_t *w, const char *p, size_t n,
                    struct config_weights *cw)
{
    char q[CFG_PATH_SIZE], r[CFG_PATH_SIZE], e[CFG_PATH_SIZE];
    double *a, *out, lambda;
    json_t *m, *row;
    size_t i, j;

    if (cfg_get_array(ctx, w, p, "matrix", 1, &m) <= 0)
        return -1;
    cfg_path_key(q, p, "matrix");
    if (json_array_size(m) != n || n > 15) {
        cfg_error(ctx, q, "expected a %zu x %zu matrix over the node's %zu children (at most 15)",
                  n, n, n);
        return -1;
    }
    if (!(a = cfg_calloc(ctx, n * n, sizeof(double))) ||
        !(out = cfg_calloc(ctx, n, sizeof(double))))
        return -1;
    json_array_foreach(m, i, row)
    {
        cfg_path_index(r, q, i);
        if (!json_is_array(row) || json_array_size(row) != n) {
            cfg_error(ctx, r, "expected a row of %zu numbers", n);
            return -1;
        }
        for (j = 0; j < n; j++) {
            json_t *v = json_array_get(row, j);
            cfg_path_index(e, r, j);
            if (!json_is_number(v) || !(json_number_value(v) > 0)) {
                cfg_error(ctx, e, "expected a number > 0");
                return -1;
            }
            a[i * n + j] = json_number_value(v);
        }
    }
    for (i = 0; i < n; i++)
        for (j = 0; j < n; j++) {
            double x = a[i * n + j] * a[j * n + i];
            if (fabs(x - 1) > 1e-6 || (i == j && fabs(a[i * n + i] - 1) > 1e-6)) {
                cfg_path_index(r, q, j);
                cfg_path_index(e, r, i);
                cfg_error(ctx, e, "not reciprocal: %g, but [%zu][%zu] is %g (want %g)",
                          a[j * n + i], i, j, a[i * n + j], i == j ? 1.0 : 1 / a[i * n + j]);
                return -1;
            }
        }
    if (weights_ahp(a, n, out, &lambda, &cw->cr) < 0) {
        cfg_error(ctx, q, "no principal eigenvector (the power iteration did not converge)");
        return -1;
    }
    if (!(cw->cr < 0.1)) {
        cfg_error(ctx, q,
                  "inconsistent judgements: consistency ratio %.4f >= 0.1 (lambda_max %.4f,"
                  " n %zu)",
                  cw->cr, lambda, n);
        return -1;
    }
    cw->ahp = out;
    return 0;
}

/*
 * "weights" of an inner node or of the index (its top level): the method,
 * the AHP matrix, and "from": "each" (recomputed every period, the default)
 * or a period of the index's frequency whose values fix them. The data
 * methods read the normalised values of the children, so the children must be
 * indicators (leaves); entropy needs values >= 0, which zscore does not give.
 */
void cfg_load_weights(struct cfg_ctx *ctx, json_t *obj, const char *path,
                      const struct config_index *idx, const struct config_index_node *children,
                      size_t n, const struct config_weights **out)
{
    struct config_weights *cw;
    char p[CFG_PATH_SIZE], q[CFG_PATH_SIZE], text[PERIOD_TEXT_SIZE];
    json_t *w, *from;
    int k;

    *out = NULL;
    if (cfg_get_object(ctx, obj, path, "weights", 0, &w) <= 0)
        return;
    cfg_path_key(p, path, "weights");
    cfg_check_keys(ctx, w, p, weights_keys);
    if (cfg_get_enum(ctx, w, p, "method", 1, weights_names, &k) <= 0 ||
        !(cw = cfg_calloc(ctx, 1, sizeof(*cw))))
        return;
    cw->method = (enum config_weights_method)k;
    cfg_path_key(q, p, "matrix");
    if (cw->method == CONFIG_WEIGHTS_AHP) {
        if (json_object_get(w, "from")) {
            cfg_path_key(q, p, "from");
            cfg_error(ctx, q, "only for the data methods (ahp weights come from \"matrix\")");
        }
        if (load_ahp(ctx, w, p, n, cw) == 0)
            *out = cw;
        return;
    }
    if (json_object_get(w, "matrix"))
        cfg_error(ctx, q, "only for method \"ahp\"");
    for (size_t i = 0; i < n; i++) {
        if (!children[i].indicator) {
            cfg_error(ctx, p,
                      "method \"%s\" derives weights from indicator values, but child \"%s\""
                      " is a dimension (use \"ahp\", or put the weights on that dimension)",
                      weights_names[k], children[i].id);
            return;
        }
    }
    if (cw->method == CONFIG_WEIGHTS_ENTROPY && idx->normalise == CONFIG_NORM_ZSCORE)
        cfg_error(ctx, p, "entropy needs values >= 0: not with normalise \"zscore\"");
    from = json_object_get(w, "from");
    cfg_path_key(q, p, "from");
    if (from && !(json_is_string(from) && strcmp(json_string_value(from), "each") == 0)) {
        if (cfg_get_period(ctx, w, p, "from", 0, &cw->from) <= 0)
            return;
        if (cw->from.freq != idx->freq) {
            period_format(cw->from, text, sizeof(text));
            cfg_error(ctx, q, "period \"%s\" is not of the index frequency %c", text,
                      period_freq_char(idx->freq));
            return;
        }
        cw->fixed = 1;
    }
    *out = cw;
}
