/*
 * config_checks.c - the checks[] section: consistency rules evaluated at
 * every recompute (docs/CONFIG.md, "checks"). Each rule names the indicators
 * it reads; the keys a rule takes depend on its "rule", so a key of another
 * rule is reported as unknown.
 */
#include "config/config_priv.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

static const char *const rule_names[] = {"sum",          "range", "growth", "hierarchy",
                                         "monotone_ytd", "ratio", NULL};
static const char *const action_names[] = {"flag", "reject", NULL};
static const char *const basis_names[] = {"yoy", "pop", NULL};
static const char *const precedence_names[] = {"reported", "rolled_up", NULL};

/* The keys each rule takes, in rule_names order. */
static const char *const rule_keys[][9] = {
    {"id", "rule", "action", "units", "total", "parts", "tolerance", NULL},
    {"id", "rule", "action", "units", "indicator", "min", "max", NULL},
    {"id", "rule", "action", "units", "indicator", "basis", "max", "outlier", NULL},
    {"id", "rule", "action", "units", "indicator", "tolerance", "precedence", NULL},
    {"id", "rule", "action", "units", "indicator", "tolerance", NULL},
    {"id", "rule", "action", "units", "indicator", "min", "max", NULL},
};
static const char *const base_keys[] = {"id",    "rule",      "action",     "units", "total",
                                        "parts", "tolerance", "indicator",  "min",   "max",
                                        "basis", "outlier",   "precedence", NULL};

/* A known indicator code at obj.key (or the string s at path p); -1 reported. */
static long indicator_at(struct cfg_ctx *ctx, const char *p, const char *code)
{
    const struct config *cfg = ctx->cfg;
    long k = config_indicator_find(cfg, code, strlen(code));
    const char *near;

    if (k >= 0)
        return k;
    near = cfg_nearest_in(code, cfg->indicators, cfg->n_indicators, sizeof(*cfg->indicators),
                          offsetof(struct config_indicator, code));
    if (near)
        cfg_error(ctx, p, "unknown indicator \"%.80s\" (did you mean \"%s\"?)", code, near);
    else
        cfg_error(ctx, p, "unknown indicator \"%.80s\"", code);
    return -1;
}

/* Reads the required indicator code key of obj; -1 when absent or unknown. */
static long get_indicator(struct cfg_ctx *ctx, json_t *obj, const char *path, const char *key)
{
    char p[CFG_PATH_SIZE];
    const char *code;

    if (cfg_get_string(ctx, obj, path, key, 1, &code) <= 0)
        return -1;
    cfg_path_key(p, path, key);
    return indicator_at(ctx, p, code);
}

/* "tolerance": a finite number >= 0, 0 by default. */
static void get_tolerance(struct cfg_ctx *ctx, json_t *obj, const char *path,
                          struct config_check *ck)
{
    char p[CFG_PATH_SIZE];

    if (cfg_get_number(ctx, obj, path, "tolerance", 0, &ck->tolerance) > 0 &&
        !(ck->tolerance >= 0 && isfinite(ck->tolerance))) {
        cfg_path_key(p, path, "tolerance");
        cfg_error(ctx, p, "must be a finite number >= 0");
        ck->tolerance = 0;
    }
}

static void load_sum(struct cfg_ctx *ctx, json_t *obj, const char *path, struct config_check *ck)
{
    const struct config *cfg = ctx->cfg;
    char p[CFG_PATH_SIZE], q[CFG_PATH_SIZE];
    json_t *arr, *el;
    size_t i;
    long *parts;

    ck->indicator = get_indicator(ctx, obj, path, "total");
    get_tolerance(ctx, obj, path, ck);
    if (cfg_get_array(ctx, obj, path, "parts", 1, &arr) <= 0)
        return;
    cfg_path_key(p, path, "parts");
    if (json_array_size(arr) < 2) {
        cfg_error(ctx, p, "expected at least two indicator codes");
        return;
    }
    parts = cfg_calloc(ctx, json_array_size(arr), sizeof(*parts));
    if (!parts)
        return;
    json_array_foreach(arr, i, el)
    {
        cfg_path_index(q, p, i);
        if (!json_is_string(el)) {
            cfg_error(ctx, q, "expected an indicator code");
            continue;
        }
        parts[i] = indicator_at(ctx, q, json_string_value(el));
        if (parts[i] < 0)
            continue;
        if (parts[i] == ck->indicator)
            cfg_error(ctx, q, "the total cannot be one of its parts");
        else if (ck->indicator >= 0 &&
                 cfg->indicators[parts[i]].freq != cfg->indicators[ck->indicator].freq)
            cfg_error(ctx, q, "indicator \"%s\" is not of the total's frequency",
                      cfg->indicators[parts[i]].code);
        ck->n_parts++;
    }
    ck->parts = parts;
    if (ck->n_parts != json_array_size(arr))
        ck->n_parts = 0;
}

/* "min" and "max" of range and ratio; ratio's default to [0, 100]. */
static void load_bounds(struct cfg_ctx *ctx, json_t *obj, const char *path, struct config_check *ck,
                        int required_one)
{
    char p[CFG_PATH_SIZE];
    int has_min = cfg_get_number(ctx, obj, path, "min", 0, &ck->min) > 0;
    int has_max = cfg_get_number(ctx, obj, path, "max", 0, &ck->max) > 0;

    if (required_one && !has_min && !has_max) {
        cfg_error(ctx, path, "a range check needs \"min\" or \"max\"");
        return;
    }
    if (has_min && has_max && !(ck->min <= ck->max)) {
        cfg_path_key(p, path, "max");
        cfg_error(ctx, p, "must be >= min (%g)", ck->min);
    }
}

static void load_growth(struct cfg_ctx *ctx, json_t *obj, const char *path, struct config_check *ck)
{
    char p[CFG_PATH_SIZE];
    int v = 0, has_max, has_outlier;

    ck->indicator = get_indicator(ctx, obj, path, "indicator");
    if (cfg_get_enum(ctx, obj, path, "basis", 0, basis_names, &v) > 0)
        ck->basis = (enum config_check_basis)v;
    has_max = cfg_get_number(ctx, obj, path, "max", 0, &ck->max) > 0;
    has_outlier = cfg_get_number(ctx, obj, path, "outlier", 0, &ck->outlier) > 0;
    if (has_max && !(ck->max > 0 && isfinite(ck->max))) {
        cfg_path_key(p, path, "max");
        cfg_error(ctx, p, "must be a finite number > 0 (a growth rate in %%)");
    }
    if (has_outlier && !(ck->outlier > 0 && isfinite(ck->outlier))) {
        cfg_path_key(p, path, "outlier");
        cfg_error(ctx, p, "must be a finite number > 0 (robust z-score)");
    }
    if (!has_max && !has_outlier)
        cfg_error(ctx, path, "a growth check needs \"max\" or \"outlier\"");
}

static void load_hierarchy(struct cfg_ctx *ctx, json_t *obj, const char *path,
                           struct config_check *ck)
{
    const struct config *cfg = ctx->cfg;
    char p[CFG_PATH_SIZE];
    int v = 0;

    ck->indicator = get_indicator(ctx, obj, path, "indicator");
    get_tolerance(ctx, obj, path, ck);
    if (ck->indicator >= 0 && cfg->indicators[ck->indicator].kind == CONFIG_RATE) {
        cfg_path_key(p, path, "indicator");
        cfg_error(ctx, p, "indicator \"%s\" is a rate: a parent is not the sum of its children",
                  cfg->indicators[ck->indicator].code);
    }
    if (cfg_get_enum(ctx, obj, path, "precedence", 0, precedence_names, &v) > 0)
        ck->precedence = (enum config_precedence)v;
}

static void load_monotone(struct cfg_ctx *ctx, json_t *obj, const char *path,
                          struct config_check *ck)
{
    const struct config *cfg = ctx->cfg;
    char p[CFG_PATH_SIZE];

    ck->indicator = get_indicator(ctx, obj, path, "indicator");
    get_tolerance(ctx, obj, path, ck);
    if (ck->indicator >= 0 && !cfg->indicators[ck->indicator].cumulative) {
        cfg_path_key(p, path, "indicator");
        cfg_error(ctx, p, "indicator \"%s\" is not cumulative",
                  cfg->indicators[ck->indicator].code);
    }
}

static void load_ratio(struct cfg_ctx *ctx, json_t *obj, const char *path, struct config_check *ck)
{
    const struct config *cfg = ctx->cfg;
    char p[CFG_PATH_SIZE];

    ck->indicator = get_indicator(ctx, obj, path, "indicator");
    ck->min = 0;
    ck->max = 100;
    load_bounds(ctx, obj, path, ck, 0);
    if (ck->indicator >= 0 && cfg->indicators[ck->indicator].kind != CONFIG_RATE) {
        cfg_path_key(p, path, "indicator");
        cfg_error(ctx, p, "indicator \"%s\" is not a rate", cfg->indicators[ck->indicator].code);
    }
}

static void load_check(struct cfg_ctx *ctx, json_t *obj, const char *path, struct config_check *ck)
{
    int v = 0;

    ck->id = "";
    ck->indicator = -1;
    ck->min = ck->max = ck->outlier = NAN;
    if (!json_is_object(obj)) {
        cfg_error(ctx, path, "expected an object");
        return;
    }
    cfg_get_id(ctx, obj, path, "id", 1, &ck->id);
    if (cfg_get_enum(ctx, obj, path, "rule", 1, rule_names, &v) <= 0) {
        cfg_check_keys(ctx, obj, path, base_keys);
        return;
    }
    ck->rule = (enum config_check_rule)v;
    cfg_check_keys(ctx, obj, path, rule_keys[v]);
    if (cfg_get_enum(ctx, obj, path, "action", 0, action_names, &v) > 0)
        ck->action = (enum config_check_action)v;
    cfg_get_units_sel(ctx, obj, path, 1, &ck->units, &ck->units_text);
    switch (ck->rule) {
    case CONFIG_CHECK_SUM:
        load_sum(ctx, obj, path, ck);
        break;
    case CONFIG_CHECK_RANGE:
        ck->indicator = get_indicator(ctx, obj, path, "indicator");
        load_bounds(ctx, obj, path, ck, 1);
        break;
    case CONFIG_CHECK_GROWTH:
        load_growth(ctx, obj, path, ck);
        break;
    case CONFIG_CHECK_HIERARCHY:
        load_hierarchy(ctx, obj, path, ck);
        break;
    case CONFIG_CHECK_MONOTONE_YTD:
        load_monotone(ctx, obj, path, ck);
        break;
    case CONFIG_CHECK_RATIO:
        load_ratio(ctx, obj, path, ck);
        break;
    }
    ck->json = cfg_dump(ctx, obj);
}

void cfg_load_checks(struct cfg_ctx *ctx, json_t *root)
{
    struct config *cfg = ctx->cfg;
    char p[CFG_PATH_SIZE];
    json_t *arr, *el;
    size_t i;

    if (cfg_get_array(ctx, root, "", "checks", 0, &arr) <= 0 || json_array_size(arr) == 0)
        return;
    cfg->checks = cfg_calloc(ctx, json_array_size(arr), sizeof(*cfg->checks));
    if (!cfg->checks)
        return;
    cfg->n_checks = json_array_size(arr);
    json_array_foreach(arr, i, el)
    {
        cfg_path_index(p, "checks", i);
        load_check(ctx, el, p, &cfg->checks[i]);
    }
    /* the order array is the config's; only the duplicate report matters */
    (void)cfg_sort_unique(ctx, cfg->checks, cfg->n_checks, sizeof(*cfg->checks),
                          offsetof(struct config_check, id), "checks", "id");
}

const struct config_check *config_checks(const struct config *cfg, size_t *n)
{
    *n = cfg->n_checks;
    return cfg->checks;
}
