/*
 * config_indicators.c - the indicators[] section: codes, frequency, kind and
 * publication details, rate components, and derived-indicator formulas,
 * which SQLite checks (formula/formula.h); references between formulas must
 * not loop.
 */
#include "config/config_priv.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formula/formula.h"

static const char *const indicator_keys[] = {
    "code",     "name",    "measure",   "frequency",   "kind",  "cumulative", "direction",
    "decimals", "formula", "numerator", "denominator", "scale", NULL};
static const char *const kind_names[] = {"flow", "stock", "rate", NULL};

static void check_code(struct cfg_ctx *ctx, const char *path, struct config_indicator *ind)
{
    char p[CFG_PATH_SIZE];
    size_t n = strlen(ind->code);

    cfg_path_key(p, path, "code");
    if (n < 1 || n > 64 || ind->code[0] < 'a' || ind->code[0] > 'z' ||
        strspn(ind->code, "abcdefghijklmnopqrstuvwxyz0123456789_") != n) {
        cfg_error(ctx, p, "bad code \"%.80s\" (a-z first, then a-z 0-9 _, at most 64)", ind->code);
        ind->code = "";
    } else if (sqlite3_keyword_check(ind->code, (int)n)) {
        /* codes are column names inside formulas */
        cfg_error(ctx, p, "code \"%s\" is an SQL keyword", ind->code);
        ind->code = "";
    }
}

static void load_options(struct cfg_ctx *ctx, json_t *obj, const char *path,
                         struct config_indicator *ind)
{
    char p[CFG_PATH_SIZE];
    long v;

    if (cfg_get_bool(ctx, obj, path, "cumulative", 0, &ind->cumulative) > 0 && ind->cumulative &&
        ind->kind != CONFIG_FLOW) {
        cfg_path_key(p, path, "cumulative");
        cfg_error(ctx, p, "only a flow can be cumulative (kind is %s)", kind_names[ind->kind]);
    }
    if (cfg_get_int(ctx, obj, path, "direction", 0, -1, 1, &v) > 0) {
        if (v == 0) {
            cfg_path_key(p, path, "direction");
            cfg_error(ctx, p, "must be 1 or -1");
        } else {
            ind->direction = (int)v;
        }
    }
    if (cfg_get_int(ctx, obj, path, "decimals", 0, 0, 10, &v) > 0)
        ind->decimals = (int)v;
}

static void load_rate(struct cfg_ctx *ctx, json_t *obj, const char *path,
                      struct config_indicator *ind)
{
    char p[CFG_PATH_SIZE];
    int has_num = cfg_get_string(ctx, obj, path, "numerator", 0, &ind->numerator) > 0;
    int has_den = cfg_get_string(ctx, obj, path, "denominator", 0, &ind->denominator) > 0;
    int has_scale = cfg_get_number(ctx, obj, path, "scale", 0, &ind->scale) > 0;

    if ((has_num || has_den || has_scale) && ind->kind != CONFIG_RATE) {
        cfg_path_key(p, path, has_num ? "numerator" : has_den ? "denominator" : "scale");
        cfg_error(ctx, p, "only for kind \"rate\"");
    }
    if (has_num != has_den) {
        cfg_path_key(p, path, has_num ? "denominator" : "numerator");
        cfg_error(ctx, p, "required with %s", has_num ? "numerator" : "denominator");
    }
    if (has_scale && !(ind->scale > 0)) {
        cfg_path_key(p, path, "scale");
        cfg_error(ctx, p, "must be > 0");
    }
    if (!has_scale)
        ind->scale = ind->measure && strcmp(ind->measure, "%") == 0 ? 100 : 1;
}

static void load_indicator(struct cfg_ctx *ctx, json_t *obj, const char *path,
                           struct config_indicator *ind)
{
    char p[CFG_PATH_SIZE];
    int kind = CONFIG_FLOW;

    *ind = (struct config_indicator){
        .code = "", .name = "", .measure = "", .freq = PERIOD_MONTH, .direction = 1, .decimals = 2};
    if (!json_is_object(obj)) {
        cfg_error(ctx, path, "expected object");
        return;
    }
    cfg_check_keys(ctx, obj, path, indicator_keys);
    if (cfg_get_string(ctx, obj, path, "code", 1, &ind->code) > 0)
        check_code(ctx, path, ind);
    if (cfg_get_string(ctx, obj, path, "name", 1, &ind->name) > 0 && ind->name[0] == '\0') {
        cfg_path_key(p, path, "name");
        cfg_error(ctx, p, "must not be empty");
    }
    cfg_get_string(ctx, obj, path, "measure", 0, &ind->measure);
    cfg_get_freq(ctx, obj, path, "frequency", 1, &ind->freq);
    cfg_get_enum(ctx, obj, path, "kind", 1, kind_names, &kind);
    ind->kind = (enum config_kind)kind;
    load_options(ctx, obj, path, ind);
    load_rate(ctx, obj, path, ind);
    cfg_get_string(ctx, obj, path, "formula", 0, &ind->formula);
}

/* Rate components must name other, known indicators. */
static void check_components(struct cfg_ctx *ctx)
{
    struct config *cfg = ctx->cfg;
    char p[CFG_PATH_SIZE], q[CFG_PATH_SIZE];

    for (size_t i = 0; i < cfg->n_indicators; i++) {
        const struct config_indicator *ind = &cfg->indicators[i];
        const char *names[2] = {"numerator", "denominator"};
        const char *codes[2] = {ind->numerator, ind->denominator};
        for (int k = 0; k < 2; k++) {
            if (!codes[k])
                continue;
            cfg_path_index(q, "indicators", i);
            cfg_path_key(p, q, names[k]);
            if (strcmp(codes[k], ind->code) == 0)
                cfg_error(ctx, p, "must not be the indicator itself");
            else if (config_indicator_find(cfg, codes[k], strlen(codes[k])) < 0)
                cfg_error(ctx, p, "unknown indicator \"%.80s\"", codes[k]);
        }
    }
}

void cfg_load_indicators(struct cfg_ctx *ctx, json_t *root)
{
    struct config *cfg = ctx->cfg;
    char p[CFG_PATH_SIZE];
    json_t *arr;
    size_t n;

    if (cfg_get_array(ctx, root, "", "indicators", 1, &arr) <= 0)
        return;
    n = json_array_size(arr);
    if (n == 0) {
        cfg_error(ctx, "indicators", "must list at least one indicator");
        return;
    }
    cfg->indicators = cfg_calloc(ctx, n, sizeof(*cfg->indicators));
    if (!cfg->indicators)
        return;
    cfg->n_indicators = n;
    for (size_t i = 0; i < n; i++) {
        cfg_path_index(p, "indicators", i);
        load_indicator(ctx, json_array_get(arr, i), p, &cfg->indicators[i]);
    }
    cfg->indicator_order =
        cfg_sort_unique(ctx, cfg->indicators, n, sizeof(*cfg->indicators),
                        offsetof(struct config_indicator, code), "indicators", "code");
    if (cfg->indicator_order)
        check_components(ctx);
}
