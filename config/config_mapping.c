/*
 * config_mapping.c - a source's "mapping" (docs/FORMATS.md), checked for the
 * source's format and layout and parsed into struct config_mapping:
 *
 *   json  long: records unit indicator period value; wide: records unit period fields
 *   csv   long: delimiter unit indicator period value; wide: delimiter unit period fields
 *   sdmx  unit_dimension indicator_dimension [period_dimension]
 *   nbs   [unit: {"const": CODE}]
 *
 * A field is a JSON Pointer (json) or a column name (csv), or {"const": "text"}
 * where a constant is allowed (unit, indicator, period; never value).
 */
#include "config/config_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const layout_names[] = {"long", "wide", NULL};
static const char *const json_long_keys[] = {"layout", "records", "unit", "indicator",
                                             "period", "value",   NULL};
static const char *const json_wide_keys[] = {"layout", "records", "unit", "period", "fields", NULL};
static const char *const csv_long_keys[] = {"layout", "delimiter", "unit", "indicator",
                                            "period", "value",     NULL};
static const char *const csv_wide_keys[] = {"layout", "delimiter", "unit",
                                            "period", "fields",    NULL};
static const char *const sdmx_keys[] = {"unit_dimension", "indicator_dimension", "period_dimension",
                                        NULL};
static const char *const nbs_keys[] = {"unit", NULL};
static const char *const const_keys[] = {"const", NULL};

enum field_kind { FIELD_POINTER, FIELD_COLUMN };

/* Reads field key of m (path names m) into *out: a pointer or column, or a
 * constant when allow_const. Returns as the getters. */
static int get_field(struct cfg_ctx *ctx, json_t *m, const char *path, const char *key,
                     int required, enum field_kind kind, int allow_const, struct config_field *out)
{
    const char *what =
        kind == FIELD_POINTER ? "a JSON Pointer (\"\" or \"/a/b\")" : "a column name";
    json_t *v = json_object_get(m, key);
    char p[CFG_PATH_SIZE];
    const char *s;

    cfg_path_key(p, path, key);
    if (!v) {
        if (required)
            cfg_error(ctx, p, "required");
        return 0;
    }
    if (json_is_object(v) && allow_const) {
        cfg_check_keys(ctx, v, p, const_keys);
        if (cfg_get_string(ctx, v, p, "const", 1, &s) <= 0)
            return -1;
        out->constant = s;
        return 1;
    }
    if (!json_is_string(v)) {
        cfg_error(ctx, p, "expected %s%s", what, allow_const ? " or {\"const\": \"text\"}" : "");
        return -1;
    }
    if (cfg_get_string(ctx, m, path, key, 1, &s) <= 0)
        return -1;
    if ((kind == FIELD_POINTER && s[0] != '\0' && s[0] != '/') ||
        (kind == FIELD_COLUMN && s[0] == '\0')) {
        cfg_error(ctx, p, "expected %s%s", what, allow_const ? " or {\"const\": \"text\"}" : "");
        return -1;
    }
    out->path = s;
    return 1;
}

/* "fields": {CODE: pointer or column, ...}, non-empty. */
static void get_wide_fields(struct cfg_ctx *ctx, json_t *m, const char *path, enum field_kind kind,
                            struct config_mapping *out)
{
    struct config_wide_field *fields;
    char p[CFG_PATH_SIZE];
    const char *name;
    json_t *f, *v;
    size_t n = 0;

    if (cfg_get_object(ctx, m, path, "fields", 1, &f) <= 0)
        return;
    cfg_path_key(p, path, "fields");
    if (json_object_size(f) == 0) {
        cfg_error(ctx, p, "expected a non-empty object");
        return;
    }
    if (!(fields = cfg_calloc(ctx, json_object_size(f), sizeof(*fields))))
        return;
    json_object_foreach(f, name, v)
    {
        struct config_field one = {0};
        if (name[0] == '\0') {
            cfg_error(ctx, p, "empty indicator name");
            continue;
        }
        if (get_field(ctx, f, p, name, 1, kind, 0, &one) > 0)
            fields[n++] = (struct config_wide_field){name, one.path};
    }
    out->fields = fields;
    out->n_fields = n;
}

/* json and csv: the long or the wide layout. */
static void load_table(struct cfg_ctx *ctx, json_t *m, const char *path, int csv,
                       struct config_mapping *out)
{
    enum field_kind kind = csv ? FIELD_COLUMN : FIELD_POINTER;
    char p[CFG_PATH_SIZE];
    const char *d;
    int layout;

    if (cfg_get_enum(ctx, m, path, "layout", 0, layout_names, &layout) > 0)
        out->layout = (enum config_layout)layout;
    if (out->layout == CONFIG_LAYOUT_WIDE)
        cfg_check_keys(ctx, m, path, csv ? csv_wide_keys : json_wide_keys);
    else
        cfg_check_keys(ctx, m, path, csv ? csv_long_keys : json_long_keys);
    if (!csv) {
        struct config_field rec = {0};
        if (get_field(ctx, m, path, "records", 0, FIELD_POINTER, 0, &rec) > 0)
            out->records = rec.path;
    } else if (cfg_get_string(ctx, m, path, "delimiter", 0, &d) > 0) {
        if (strlen(d) != 1 || d[0] == '"' || d[0] == '\r' || d[0] == '\n') {
            cfg_path_key(p, path, "delimiter");
            cfg_error(ctx, p, "expected one character (not a quote or a line break)");
        } else {
            out->delimiter = d[0];
        }
    }
    /* no unit: the collector uses the unit the request was made for */
    get_field(ctx, m, path, "unit", 0, kind, 1, &out->unit);
    get_field(ctx, m, path, "period", 1, kind, 1, &out->period);
    if (out->layout == CONFIG_LAYOUT_WIDE) {
        get_wide_fields(ctx, m, path, kind, out);
        return;
    }
    get_field(ctx, m, path, "indicator", 1, kind, 1, &out->indicator);
    get_field(ctx, m, path, "value", 1, kind, 0, &out->value);
}

/* A dimension id: a non-empty string. */
static void get_dimension(struct cfg_ctx *ctx, json_t *m, const char *path, const char *key,
                          int required, const char **out)
{
    char p[CFG_PATH_SIZE];

    if (cfg_get_string(ctx, m, path, key, required, out) > 0 && (*out)[0] == '\0') {
        cfg_path_key(p, path, key);
        cfg_error(ctx, p, "expected a dimension id");
    }
}

void cfg_load_mapping(struct cfg_ctx *ctx, json_t *src, const char *path, const char *format,
                      struct config_mapping *out)
{
    char p[CFG_PATH_SIZE];
    json_t *m = NULL;
    int r;

    *out = (struct config_mapping){.format = format,
                                   .layout = CONFIG_LAYOUT_LONG,
                                   .records = "",
                                   .delimiter = ',',
                                   .period_dimension = "TIME_PERIOD"};
    r = cfg_get_object(ctx, src, path, "mapping", strcmp(format, "nbs") != 0 && format[0], &m);
    if (r <= 0)
        return;
    out->given = 1;
    cfg_path_key(p, path, "mapping");
    if (strcmp(format, "json") == 0 || strcmp(format, "csv") == 0) {
        load_table(ctx, m, p, format[0] == 'c', out);
    } else if (strcmp(format, "sdmx") == 0) {
        cfg_check_keys(ctx, m, p, sdmx_keys);
        get_dimension(ctx, m, p, "unit_dimension", 1, &out->unit_dimension);
        get_dimension(ctx, m, p, "indicator_dimension", 1, &out->indicator_dimension);
        get_dimension(ctx, m, p, "period_dimension", 0, &out->period_dimension);
    } else if (strcmp(format, "nbs") == 0) {
        cfg_check_keys(ctx, m, p, nbs_keys);
        if (json_object_get(m, "unit") && !json_is_object(json_object_get(m, "unit"))) {
            char q[CFG_PATH_SIZE];
            cfg_path_key(q, p, "unit");
            cfg_error(ctx, q, "expected {\"const\": \"unit code\"}");
        } else {
            get_field(ctx, m, p, "unit", 0, FIELD_POINTER, 1, &out->unit);
        }
    }
}

/* A mapping parsed on its own: the mapping first (what the caller holds),
 * then the config whose root and owned list keep its strings and arrays. */
struct mapping_owner {
    struct config_mapping m;
    struct config cfg;
};

/* Frees what owner's config holds, then owner. */
static void owner_free(struct mapping_owner *o)
{
    for (size_t i = 0; i < o->cfg.n_owned; i++)
        free(o->cfg.owned[i]);
    free(o->cfg.owned);
    json_decref(o->cfg.root);
    free(o);
}

int config_mapping_parse(const char *format, const char *text, struct config_mapping **out,
                         char *err, size_t errsize)
{
    struct mapping_owner *o = calloc(1, sizeof(*o));
    struct cfg_ctx ctx = {.name = "", .cfg = o ? &o->cfg : NULL};
    json_error_t jerr;
    size_t i = 0;
    int rc = -EINVAL;

    *out = NULL;
    if (err && errsize)
        err[0] = '\0';
    if (!o) {
        if (err && errsize)
            snprintf(err, errsize, "out of memory");
        return -ENOMEM;
    }
    while (format && cfg_format_names[i] && strcmp(cfg_format_names[i], format) != 0)
        i++;
    if (!format || !cfg_format_names[i]) {
        cfg_error(&ctx, "format", "unknown format \"%.40s\"", format ? format : "(null)");
    } else if (!(o->cfg.root = json_loads(text ? text : "", JSON_REJECT_DUPLICATES, &jerr))) {
        cfg_error(&ctx, "source", "expected a JSON object (line %d column %d: %s)", jerr.line,
                  jerr.column, jerr.text);
    } else if (!json_is_object(o->cfg.root)) {
        cfg_error(&ctx, "source", "expected a JSON object");
    } else {
        cfg_load_mapping(&ctx, o->cfg.root, "", format, &o->m);
    }
    if (ctx.oom)
        rc = -ENOMEM;
    else if (ctx.n_errors == 0)
        rc = 0;
    if (err && errsize && rc < 0) {
        size_t n = ctx.errors ? strlen(ctx.errors) : 0;
        while (n > 0 && ctx.errors[n - 1] == '\n')
            n--; /* the last line's newline */
        if (n == 0)
            snprintf(err, errsize, "out of memory");
        else
            snprintf(err, errsize, "%.*s", (int)n, ctx.errors);
    }
    free(ctx.errors);
    if (rc < 0) {
        owner_free(o);
        return rc;
    }
    *out = &o->m;
    return 0;
}

void config_mapping_free(struct config_mapping **mp)
{
    if (!mp || !*mp)
        return;
    /* m is the owner's first member: the owner starts where it does */
    owner_free((struct mapping_owner *)(void *)*mp);
    *mp = NULL;
}
