/*
 * config_sources.c - the sources[] section: id, url, format, schedule,
 * request options (timeouts, limits, retries, CA file, auth, headers), the
 * units requested one by one, code maps and scale factors, all parsed into
 * struct config_source so that the collectors only read them. The mapping is
 * parsed by config_mapping.c. Unknown keys are errors.
 */
#include "config/config_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const cfg_format_names[] = {"json",    "csv", "sdmx", "sdmxml",
                                        "sdmxcsv", "nbs", "xlsx", NULL};
static const char *const source_keys[] = {"id",
                                          "url",
                                          "format",
                                          "frequency",
                                          "release_lag_days",
                                          "first_period",
                                          "poll_every",
                                          "revision_window",
                                          "timeout_s",
                                          "jitter_s",
                                          "updated_after_margin_s",
                                          "connect_timeout_s",
                                          "max_bytes",
                                          "max_retries",
                                          "backoff_s",
                                          "ca_file",
                                          "auth",
                                          "headers",
                                          "units",
                                          "codes",
                                          "unit_codes",
                                          "scale",
                                          "mapping",
                                          NULL};
static const char *const auth_keys[] = {"bearer_token_file", "basic_user", "basic_password_file",
                                        NULL};

#define MAX_HEADERS     16
#define MAX_BODY_BYTES  (4L * 1024 * 1024 * 1024)
#define DEFAULT_RETRIES 3

#define POLL_MAX_S (366L * 86400)

/* "30m", "6h", "1d", "45s" -> seconds; -1 when malformed or out of range. */
static long parse_duration(const char *s)
{
    size_t digits = strspn(s, "0123456789");
    long n = 0;

    if (digits == 0 || digits > 9 || s[digits] == '\0' || s[digits + 1] != '\0')
        return -1;
    for (size_t i = 0; i < digits; i++)
        n = n * 10 + (s[i] - '0');
    switch (s[digits]) {
    case 's':
        break;
    case 'm':
        n *= 60;
        break;
    case 'h':
        n *= 3600;
        break;
    case 'd':
        n *= 86400;
        break;
    default:
        return -1;
    }
    return n >= 1 && n <= POLL_MAX_S ? n : -1;
}

static void load_schedule(struct cfg_ctx *ctx, json_t *obj, const char *path,
                          struct config_source *src)
{
    char p[CFG_PATH_SIZE], text[PERIOD_TEXT_SIZE];
    const char *s;
    long v;
    int have_freq = cfg_get_freq(ctx, obj, path, "frequency", 1, &src->freq) > 0;

    if (cfg_get_int(ctx, obj, path, "release_lag_days", 0, 0, 366, &v) > 0)
        src->release_lag_days = (int)v;
    if (cfg_get_period(ctx, obj, path, "first_period", 1, &src->first_period) > 0 && have_freq &&
        src->first_period.freq != src->freq) {
        cfg_path_key(p, path, "first_period");
        period_format(src->first_period, text, sizeof(text));
        cfg_error(ctx, p, "\"%s\" is not a period of the source's frequency %c", text,
                  period_freq_char(src->freq));
    }
    if (cfg_get_string(ctx, obj, path, "poll_every", 0, &s) > 0) {
        src->poll_every_s = parse_duration(s);
        if (src->poll_every_s < 0) {
            cfg_path_key(p, path, "poll_every");
            cfg_error(ctx, p,
                      "bad duration \"%.40s\" (expected N then s, m, h or d, e.g. "
                      "\"30m\", \"6h\", \"1d\"; at most 366d)",
                      s);
        }
    }
    if (cfg_get_int(ctx, obj, path, "revision_window", 0, 0, 36, &v) > 0)
        src->revision_window = (int)v;
    if (cfg_get_number(ctx, obj, path, "timeout_s", 0, &src->timeout_s) > 0 &&
        !(src->timeout_s > 0)) {
        cfg_path_key(p, path, "timeout_s");
        cfg_error(ctx, p, "must be > 0");
    }
}

/* A number member that must be > 0 when present. */
static void get_positive(struct cfg_ctx *ctx, json_t *obj, const char *path, const char *key,
                         double *out)
{
    char p[CFG_PATH_SIZE];

    if (cfg_get_number(ctx, obj, path, key, 0, out) > 0 && !(*out > 0)) {
        cfg_path_key(p, path, key);
        cfg_error(ctx, p, "must be > 0");
        *out = 0;
    }
}

static void load_request(struct cfg_ctx *ctx, json_t *obj, const char *path,
                         struct config_source *src)
{
    const char *s;
    long v;

    if (cfg_get_int(ctx, obj, path, "jitter_s", 0, 0, 86400, &v) > 0)
        src->jitter_s = v;
    if (cfg_get_int(ctx, obj, path, "updated_after_margin_s", 0, 0, 86400, &v) > 0)
        src->updated_after_margin_s = v;
    get_positive(ctx, obj, path, "connect_timeout_s", &src->connect_timeout_s);
    if (cfg_get_int(ctx, obj, path, "max_bytes", 0, 1, MAX_BODY_BYTES, &v) > 0)
        src->max_bytes = v;
    if (cfg_get_int(ctx, obj, path, "max_retries", 0, 0, 20, &v) > 0)
        src->max_retries = (int)v;
    get_positive(ctx, obj, path, "backoff_s", &src->backoff_s);
    if (cfg_get_string(ctx, obj, path, "ca_file", 0, &s) > 0)
        src->ca_file = cfg_resolve_path(ctx, s);
}

static void load_auth(struct cfg_ctx *ctx, json_t *obj, const char *path, struct config_source *src)
{
    char p[CFG_PATH_SIZE], q[CFG_PATH_SIZE];
    const char *s;
    json_t *auth;

    if (cfg_get_object(ctx, obj, path, "auth", 0, &auth) <= 0)
        return;
    cfg_path_key(p, path, "auth");
    cfg_check_keys(ctx, auth, p, auth_keys);
    if (cfg_get_string(ctx, auth, p, "bearer_token_file", 0, &s) > 0)
        src->bearer_token_file = cfg_resolve_path(ctx, s);
    cfg_get_string(ctx, auth, p, "basic_user", 0, &src->basic_user);
    if (cfg_get_string(ctx, auth, p, "basic_password_file", 0, &s) > 0)
        src->basic_password_file = cfg_resolve_path(ctx, s);
    if (!json_object_get(auth, "bearer_token_file") && !json_object_get(auth, "basic_user"))
        cfg_error(ctx, p, "needs bearer_token_file or basic_user");
    if (json_object_get(auth, "bearer_token_file") && json_object_get(auth, "basic_user"))
        cfg_error(ctx, p, "bearer_token_file or basic_user, not both");
    if (json_object_get(auth, "basic_password_file") && !json_object_get(auth, "basic_user")) {
        cfg_path_key(q, p, "basic_password_file");
        cfg_error(ctx, q, "only with basic_user");
    }
}

static void load_headers(struct cfg_ctx *ctx, json_t *obj, const char *path,
                         struct config_source *src)
{
    char p[CFG_PATH_SIZE], q[CFG_PATH_SIZE];
    const char **lines;
    const char *name;
    json_t *h, *v;
    size_t n = 0;

    if (cfg_get_object(ctx, obj, path, "headers", 0, &h) <= 0)
        return;
    cfg_path_key(p, path, "headers");
    if (json_object_size(h) > MAX_HEADERS) {
        cfg_error(ctx, p, "at most %d headers", MAX_HEADERS);
        return;
    }
    if (!(lines = cfg_calloc(ctx, json_object_size(h), sizeof(*lines))))
        return;
    json_object_foreach(h, name, v)
    {
        const char *value;
        char *line;
        cfg_path_key(q, p, name);
        if (name[0] == '\0' || strpbrk(name, ":\r\n \t")) {
            cfg_error(ctx, q, "bad header name");
            continue;
        }
        if (cfg_get_string(ctx, h, p, name, 1, &value) <= 0)
            continue;
        if (strpbrk(value, "\r\n")) {
            cfg_error(ctx, q, "must not contain a line break");
            continue;
        }
        if (!(line = cfg_keep(ctx, malloc(strlen(name) + strlen(value) + 3))))
            return;
        sprintf(line, "%s: %s", name, value);
        lines[n++] = line;
    }
    src->headers = lines;
    src->n_headers = n;
}

/* Reports an unknown indicator code or unit id at path, with a suggestion. */
static long known(struct cfg_ctx *ctx, const char *path, const char *what, int units,
                  const char *id)
{
    const struct config *cfg = ctx->cfg;
    long k =
        units ? config_unit_find(cfg, id, strlen(id)) : config_indicator_find(cfg, id, strlen(id));
    const char *near;

    if (k >= 0)
        return k;
    near = units ? cfg_nearest_in(id, cfg->units, cfg->n_units, sizeof(*cfg->units),
                                  offsetof(struct config_unit, id))
                 : cfg_nearest_in(id, cfg->indicators, cfg->n_indicators, sizeof(*cfg->indicators),
                                  offsetof(struct config_indicator, code));
    if (near)
        cfg_error(ctx, path, "unknown %s \"%.80s\" (did you mean \"%s\"?)", what, id, near);
    else
        cfg_error(ctx, path, "unknown %s \"%.80s\"", what, id);
    return -1;
}

static int code_cmp(const void *a, const void *b)
{
    return strcmp(((const struct config_code *)a)->from, ((const struct config_code *)b)->from);
}

/* "codes" / "unit_codes": {PAYLOAD_CODE: our code or id}, sorted by payload code. */
static void load_code_map(struct cfg_ctx *ctx, json_t *obj, const char *path, const char *key,
                          int units, const struct config_code **out, size_t *n_out)
{
    char p[CFG_PATH_SIZE], q[CFG_PATH_SIZE];
    struct config_code *map;
    const char *from, *to;
    json_t *m, *v;
    size_t n = 0;

    if (cfg_get_object(ctx, obj, path, key, 0, &m) <= 0)
        return;
    cfg_path_key(p, path, key);
    if (!(map = cfg_calloc(ctx, json_object_size(m), sizeof(*map))))
        return;
    json_object_foreach(m, from, v)
    {
        if (cfg_get_string(ctx, m, p, from, 1, &to) <= 0)
            continue;
        cfg_path_key(q, p, from);
        if (known(ctx, q, units ? "unit" : "indicator", units, to) >= 0)
            map[n++] = (struct config_code){from, to};
    }
    qsort(map, n, sizeof(*map), code_cmp);
    *out = map;
    *n_out = n;
}

/* "scale": a number > 0 for every indicator, or {CODE: number > 0}. */
static void load_scale(struct cfg_ctx *ctx, json_t *obj, const char *path,
                       struct config_source *src)
{
    size_t n = ctx->cfg->n_indicators;
    double *scale = cfg_calloc(ctx, n, sizeof(*scale)), all = 1;
    json_t *v = json_object_get(obj, "scale"), *f;
    char p[CFG_PATH_SIZE], q[CFG_PATH_SIZE];
    const char *code;

    if (!scale)
        return;
    src->scale = scale;
    cfg_path_key(p, path, "scale");
    if (v && json_is_number(v)) {
        all = json_number_value(v);
        if (!(all > 0)) {
            cfg_error(ctx, p, "must be > 0");
            all = 1;
        }
    } else if (v && !json_is_object(v)) {
        cfg_error(ctx, p, "expected a number or {\"indicator code\": number}");
    }
    for (size_t i = 0; i < n; i++)
        scale[i] = all;
    if (!json_is_object(v))
        return;
    json_object_foreach(v, code, f)
    {
        double x;
        long k;
        cfg_path_key(q, p, code);
        if ((k = known(ctx, q, "indicator", 0, code)) < 0 ||
            cfg_get_number(ctx, v, p, code, 1, &x) <= 0)
            continue;
        if (!(x > 0))
            cfg_error(ctx, q, "must be > 0");
        else
            scale[k] = x;
    }
}

static void load_units_sel(struct cfg_ctx *ctx, json_t *obj, const char *path,
                           struct config_source *src)
{
    char p[CFG_PATH_SIZE];
    const char *text;

    cfg_get_units_sel(ctx, obj, path, 1, &src->units, &text);
    cfg_path_key(p, path, "units");
    if (strstr(src->url, "{unit}") && !json_object_get(obj, "units"))
        cfg_error(ctx, p,
                  "required: the URL has {unit}, so name the units (an array of ids, "
                  "\"children:ID\" or \"descendants:ID\")");
    else if (!strstr(src->url, "{unit}") && json_object_get(obj, "units"))
        cfg_error(ctx, p, "only for a URL with {unit}");
}

static void load_source(struct cfg_ctx *ctx, json_t *obj, const char *path,
                        struct config_source *src)
{
    char p[CFG_PATH_SIZE];
    int format;

    *src = (struct config_source){.id = "",
                                  .url = "",
                                  .format = "",
                                  .freq = PERIOD_MONTH,
                                  .poll_every_s = 86400,
                                  .timeout_s = 60,
                                  .max_retries = DEFAULT_RETRIES,
                                  .updated_after_margin_s = 600};
    if (!json_is_object(obj)) {
        cfg_error(ctx, path, "expected object");
        return;
    }
    cfg_check_keys(ctx, obj, path, source_keys);
    cfg_get_id(ctx, obj, path, "id", 1, &src->id);
    if (cfg_get_string(ctx, obj, path, "url", 1, &src->url) > 0 && src->url[0] == '\0') {
        cfg_path_key(p, path, "url");
        cfg_error(ctx, p, "must not be empty");
    }
    if (cfg_get_enum(ctx, obj, path, "format", 1, cfg_format_names, &format) > 0)
        src->format = cfg_format_names[format];
    load_schedule(ctx, obj, path, src);
    load_request(ctx, obj, path, src);
    load_auth(ctx, obj, path, src);
    load_headers(ctx, obj, path, src);
    load_units_sel(ctx, obj, path, src);
    load_code_map(ctx, obj, path, "codes", 0, &src->codes, &src->n_codes);
    load_code_map(ctx, obj, path, "unit_codes", 1, &src->unit_codes, &src->n_unit_codes);
    load_scale(ctx, obj, path, src);
    cfg_load_mapping(ctx, obj, path, src->format, &src->mapping);
    src->json = cfg_dump(ctx, obj);
}

void cfg_load_sources(struct cfg_ctx *ctx, json_t *root)
{
    struct config *cfg = ctx->cfg;
    char p[CFG_PATH_SIZE];
    json_t *arr;
    size_t n;
    size_t *order;

    if (cfg_get_array(ctx, root, "", "sources", 0, &arr) <= 0)
        return;
    n = json_array_size(arr);
    if (n == 0)
        return;
    cfg->sources = cfg_calloc(ctx, n, sizeof(*cfg->sources));
    if (!cfg->sources)
        return;
    cfg->n_sources = n;
    for (size_t i = 0; i < n; i++) {
        cfg_path_index(p, "sources", i);
        load_source(ctx, json_array_get(arr, i), p, &cfg->sources[i]);
    }
    /* only for the duplicate check; sources are few and found by scanning */
    order = cfg_sort_unique(ctx, cfg->sources, n, sizeof(*cfg->sources),
                            offsetof(struct config_source, id), "sources", "id");
    (void)order;
}

const char *config_code_map(const struct config_code *map, size_t n, const char *code)
{
    struct config_code key = {code, NULL};
    const struct config_code *hit = n ? bsearch(&key, map, n, sizeof(*map), code_cmp) : NULL;

    return hit ? hit->to : code;
}
