/*
 * config.c - loads the configuration file (docs/CONFIG.md): reads the JSON,
 * runs every section's checks so that all problems are reported at once,
 * and hands out the immutable result through the accessors of config.h.
 */
#include "config/config_priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/log.h"

#define ZONEINFO_DIR "/usr/share/zoneinfo"
/* A config file is a few hundred kilobytes at most; refuse absurd sizes. */
#define CONFIG_MAX_BYTES (64L * 1024 * 1024)

static const char *const top_keys[] = {"server",     "database", "timezone", "log_level", "units",
                                       "indicators", "sources",  "indices",  "checks",    NULL};
static const char *const server_keys[] = {"listen", "token_file", "threads", NULL};

/* "ADDR:PORT" with ADDR an IPv4 literal, [IPv6] or localhost; port 1..65535. */
static int valid_listen(const char *s)
{
    char host[64];
    const char *colon = strrchr(s, ':');
    unsigned char addr[16];
    size_t hlen;
    long port;
    char *end;

    if (!colon || colon == s || (size_t)(colon - s) >= sizeof(host))
        return 0;
    hlen = (size_t)(colon - s);
    memcpy(host, s, hlen);
    host[hlen] = '\0';
    if (colon[1] < '0' || colon[1] > '9')
        return 0;
    port = strtol(colon + 1, &end, 10);
    if (*end != '\0' || port < 1 || port > 65535)
        return 0;
    if (host[0] == '[') {
        if (hlen < 3 || host[hlen - 1] != ']')
            return 0;
        host[hlen - 1] = '\0';
        return inet_pton(AF_INET6, host + 1, addr) == 1;
    }
    return strcmp(host, "localhost") == 0 || inet_pton(AF_INET, host, addr) == 1;
}

/* "UTC" or Area/City[/More]: letters, digits and _ + -, no empty part.
 * Returns 0, -EINVAL for a bad form, -ENOENT when not in the zone database. */
static int timezone_check(const char *tz)
{
    static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+-/";
    char file[160];
    size_t n = strlen(tz);

    if (strcmp(tz, "UTC") == 0)
        return 0;
    if (n == 0 || n > 64 || strspn(tz, ok) != n || !strchr(tz, '/') || tz[0] == '/' ||
        tz[n - 1] == '/' || strstr(tz, "//"))
        return -EINVAL;
    snprintf(file, sizeof(file), "%s/%s", ZONEINFO_DIR, tz);
    if (access(ZONEINFO_DIR, F_OK) == 0 && access(file, R_OK) != 0)
        return -ENOENT;
    return 0;
}

const char *cfg_resolve_path(struct cfg_ctx *ctx, const char *p)
{
    char *joined;
    size_t dlen;

    if (p[0] == '/' || !ctx->dir || strcmp(p, ":memory:") == 0)
        return p;
    dlen = strlen(ctx->dir);
    joined = cfg_keep(ctx, malloc(dlen + strlen(p) + 2));
    if (!joined)
        return p;
    sprintf(joined, "%s%s%s", ctx->dir, dlen && ctx->dir[dlen - 1] == '/' ? "" : "/", p);
    return joined;
}

static void load_server(struct cfg_ctx *ctx, json_t *root)
{
    struct config *cfg = ctx->cfg;
    json_t *server;
    const char *s;

    if (cfg_get_object(ctx, root, "", "server", 0, &server) <= 0)
        return;
    cfg_check_keys(ctx, server, "server", server_keys);
    if (cfg_get_string(ctx, server, "server", "listen", 0, &s) > 0) {
        if (valid_listen(s))
            cfg->listen = s;
        else
            cfg_error(ctx, "server.listen",
                      "bad listen address \"%.80s\" (expected IPV4:PORT or [IPV6]:PORT)", s);
    }
    if (cfg_get_string(ctx, server, "server", "token_file", 0, &s) > 0) {
        if (s[0] == '\0')
            cfg_error(ctx, "server.token_file", "must not be empty");
        else
            cfg->token_file = cfg_resolve_path(ctx, s);
    }
    long threads;
    if (cfg_get_int(ctx, server, "server", "threads", 0, 1, 64, &threads) > 0)
        cfg->api_threads = (unsigned)threads;
}

static void report_log_level(struct cfg_ctx *ctx, const char *s)
{
    static const char *const names[] = {"err", "warning", "notice", "info", "debug", NULL};
    const char *near = cfg_nearest(s, names);

    if (near)
        cfg_error(ctx, "log_level",
                  "bad log_level \"%.40s\" (did you mean \"%s\"? expected err, warning, notice, "
                  "info or debug)",
                  s, near);
    else
        cfg_error(ctx, "log_level",
                  "bad log_level \"%.40s\" (expected err, warning, notice, info or debug)", s);
}

static void load_top(struct cfg_ctx *ctx, json_t *root)
{
    struct config *cfg = ctx->cfg;
    enum log_level level;
    const char *s;
    int rc;

    cfg_check_keys(ctx, root, "", top_keys);
    load_server(ctx, root);
    if (cfg_get_string(ctx, root, "", "database", 0, &s) > 0) {
        if (s[0] == '\0')
            cfg_error(ctx, "database", "must not be empty");
        else
            cfg->database = s;
    }
    cfg->database = cfg_resolve_path(ctx, cfg->database);
    if (cfg_get_string(ctx, root, "", "timezone", 0, &s) > 0) {
        rc = timezone_check(s);
        if (rc == -EINVAL)
            cfg_error(
                ctx, "timezone",
                "bad timezone \"%.64s\" (expected Area/City as \"Asia/Shanghai\", or \"UTC\")", s);
        else if (rc < 0)
            cfg_error(ctx, "timezone", "unknown timezone \"%s\" (not in " ZONEINFO_DIR ")", s);
        else
            cfg->timezone = s;
    }
    if (cfg_get_string(ctx, root, "", "log_level", 0, &s) > 0) {
        if (log_level_parse(s, &level) == 0)
            cfg->log_level = s;
        else
            report_log_level(ctx, s);
    }
}

static void load_all(struct cfg_ctx *ctx, json_t *root)
{
    if (!json_is_object(root)) {
        cfg_error(ctx, "", "expected an object");
        return;
    }
    load_top(ctx, root);
    cfg_load_units(ctx, root);
    if (ctx->units_bad)
        return; /* loaded again from the whole text (config_load_buffer) */
    cfg_load_indicators(ctx, root);
    cfg_check_formulas(ctx);
    cfg_load_sources(ctx, root);
    cfg_load_indices(ctx, root);
    cfg_load_checks(ctx, root);
}

static struct config *config_new(const char *name)
{
    struct config *cfg = calloc(1, sizeof(*cfg));

    if (!cfg)
        return NULL;
    atomic_init(&cfg->refs, 1);
    cfg->path = strdup(name);
    if (!cfg->path) {
        free(cfg);
        return NULL;
    }
    cfg->listen = "127.0.0.1:8080";
    cfg->database = "parkstat.db";
    cfg->timezone = "Asia/Shanghai";
    cfg->log_level = "info";
    return cfg;
}

/* Adds the count of problems beyond CFG_MAX_ERRORS, then hands the text over. */
static void finish_errors(struct cfg_ctx *ctx, char **errors)
{
    if (ctx->n_errors > CFG_MAX_ERRORS) {
        int more = ctx->n_errors - CFG_MAX_ERRORS;
        ctx->n_errors = 0; /* let the summary itself through */
        cfg_error(ctx, "...", "%d more problems not shown", more);
    }
    if (errors)
        *errors = ctx->errors;
    else
        free(ctx->errors);
}

/* Past the JSON string at buf[i] (a '"'); len when unterminated. */
static size_t skip_string(const char *buf, size_t len, size_t i)
{
    for (i++; i < len; i++) {
        if (buf[i] == '\\')
            i++;
        else if (buf[i] == '"')
            return i + 1;
    }
    return len;
}

static size_t skip_blanks(const char *buf, size_t len, size_t i)
{
    while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' || buf[i] == '\r'))
        i++;
    return i;
}

/* Past the JSON value at buf[i]: strings, nesting, or a scalar's bytes. */
static size_t skip_value(const char *buf, size_t len, size_t i)
{
    int depth = 0;

    if (i < len && buf[i] == '"')
        return skip_string(buf, len, i);
    while (i < len) {
        char c = buf[i];
        if (c == '"') {
            i = skip_string(buf, len, i);
            continue;
        }
        if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (depth == 0)
                return i;
            if (--depth == 0)
                return i + 1;
        } else if (depth == 0 && (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
            return i;
        }
        i++;
    }
    return len;
}

/*
 * Finds the top-level "units" array in the text: 1 and its span
 * [*start, *end) (brackets included), or 0 when not found as expected (the
 * whole text is then parsed as usual, which reports any problem). A light
 * scan: strings and nesting only; jansson checks the text afterwards.
 */
static int find_units(const char *buf, size_t len, size_t *start, size_t *end)
{
    size_t i = skip_blanks(buf, len, 0);

    if (i >= len || buf[i] != '{')
        return 0;
    for (i++;;) {
        size_t key, key_end, v;
        i = skip_blanks(buf, len, i);
        if (i >= len || buf[i] != '"')
            return 0;
        key = i + 1;
        i = skip_string(buf, len, i);
        key_end = i - 1;
        i = skip_blanks(buf, len, i);
        if (i >= len || buf[i] != ':')
            return 0;
        v = skip_blanks(buf, len, i + 1);
        i = skip_value(buf, len, v);
        if (key_end - key == 5 && memcmp(buf + key, "units", 5) == 0) {
            if (v >= len || buf[v] != '[' || i > len || buf[i - 1] != ']')
                return 0;
            *start = v;
            *end = i;
            return 1;
        }
        i = skip_blanks(buf, len, i);
        if (i >= len || buf[i] != ',')
            return 0;
        i++;
    }
}

/*
 * Parses the text; with split, the "units" array is left out of the tree
 * (replaced by []) for cfg_load_units() to read from the text, one element
 * at a time: the jansson tree of 200 000 units takes 140 MB, their copies
 * 20 MB. The elements are parsed there, once; when one does not parse
 * (ctx->units_bad), config_load_buffer() loads the whole text again without
 * split, so every syntax error has jansson's own message and place.
 */
static json_t *parse(struct cfg_ctx *ctx, const char *buf, size_t len, int split,
                     json_error_t *jerr)
{
    size_t start, end;
    json_t *root;
    char *text;

    if (split && find_units(buf, len, &start, &end) && (text = malloc(len - (end - start) + 2))) {
        memcpy(text, buf, start);
        text[start] = '[';
        text[start + 1] = ']';
        memcpy(text + start + 2, buf + end, len - end);
        root = json_loadb(text, len - (end - start) + 2, JSON_REJECT_DUPLICATES, jerr);
        free(text);
        if (root) {
            ctx->units_text = buf;
            ctx->units_start = start;
            ctx->units_end = end;
            return root;
        }
    }
    return json_loadb(buf, len, JSON_REJECT_DUPLICATES, jerr);
}

/* One load of the text (split: see parse()); *ctx holds the result. */
static void load_text(struct cfg_ctx *ctx, const char *buf, size_t len, int split)
{
    json_error_t jerr;
    json_t *root;

    ctx->cfg = config_new(ctx->name);
    if (!ctx->cfg) {
        ctx->oom = 1;
        return;
    }
    root = parse(ctx, buf, len, split, &jerr);
    if (!root)
        cfg_syntax_error(ctx, jerr.line, jerr.column, jerr.text);
    ctx->cfg->root = root;
    if (root)
        load_all(ctx, root);
}

int config_load_buffer(const char *name, const char *dir, const char *buf, size_t len,
                       struct config **out, char **errors)
{
    struct cfg_ctx ctx = {.name = name, .dir = dir};
    int rc = -EINVAL;

    *out = NULL;
    if (errors)
        *errors = NULL;
    load_text(&ctx, buf, len, 1);
    if (ctx.units_bad && !ctx.oom) {
        /* a unit element that does not parse: what was read goes, and the
         * whole text is parsed as it is (jansson's message and place) */
        config_free(&ctx.cfg);
        free(ctx.errors);
        ctx = (struct cfg_ctx){.name = name, .dir = dir};
        load_text(&ctx, buf, len, 0);
    }
    if (ctx.oom)
        rc = -ENOMEM;
    else if (ctx.n_errors == 0)
        rc = 0;
    if (rc == 0)
        *out = ctx.cfg;
    else
        config_free(&ctx.cfg);
    finish_errors(&ctx, errors);
    return rc;
}

/* Reads the whole file into a malloc'd buffer. Returns 0 or a negative errno. */
static int read_file(const char *path, char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *data = NULL;
    size_t cap = 0, n = 0;
    int rc = 0;

    *buf = NULL;
    if (!f)
        return -errno;
    for (;;) {
        /* Room for one more byte than read so far: a file of CONFIG_MAX_BYTES
         * or more is refused. */
        if ((rc = BUF_GROW(&data, &cap, n + 1, (size_t)CONFIG_MAX_BYTES)) < 0) {
            rc = rc == -E2BIG ? -EFBIG : rc;
            goto out;
        }
        size_t got = fread(data + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f))
        rc = -EIO;
out:
    fclose(f);
    if (rc < 0) {
        free(data);
        return rc;
    }
    *buf = data;
    *len = n;
    return 0;
}

/* The folder part of path ("dir/x.json" -> "dir", "/x.json" -> "/"), or NULL. */
static char *dir_of(const char *path, int *oom)
{
    const char *slash = strrchr(path, '/');
    char *dir;

    *oom = 0;
    if (!slash)
        return NULL;
    dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
    *oom = dir == NULL;
    return dir;
}

int config_load(const char *path, struct config **out, char **errors)
{
    char *buf = NULL, *dir = NULL;
    size_t len = 0;
    int rc, oom;

    *out = NULL;
    if (errors)
        *errors = NULL;
    rc = read_file(path, &buf, &len);
    if (rc < 0) {
        if (errors) {
            size_t size = strlen(path) + 128;
            *errors = malloc(size);
            if (*errors)
                snprintf(*errors, size, "%s: cannot read: %s\n", path, strerror(-rc));
        }
        return rc;
    }
    dir = dir_of(path, &oom);
    rc = oom ? -ENOMEM : config_load_buffer(path, dir, buf, len, out, errors);
    free(dir);
    free(buf);
    return rc;
}

void config_free(struct config **cfgp)
{
    struct config *cfg = cfgp ? *cfgp : NULL;

    if (!cfg)
        return;
    *cfgp = NULL;
    if (atomic_fetch_sub(&cfg->refs, 1) != 1)
        return;
    for (size_t i = 0; i < cfg->n_owned; i++)
        free(cfg->owned[i]);
    free(cfg->owned);
    json_decref(cfg->root);
    free(cfg->path);
    free(cfg);
}

struct config *config_ref(struct config *cfg)
{
    atomic_fetch_add(&cfg->refs, 1);
    return cfg;
}

const char *config_listen(const struct config *cfg)
{
    return cfg->listen;
}

unsigned config_api_threads(const struct config *cfg)
{
    return cfg->api_threads;
}

const char *config_token_file(const struct config *cfg)
{
    return cfg->token_file;
}

const char *config_database(const struct config *cfg)
{
    return cfg->database;
}

const char *config_timezone(const struct config *cfg)
{
    return cfg->timezone;
}

const char *config_log_level(const struct config *cfg)
{
    return cfg->log_level;
}

const char *config_path(const struct config *cfg)
{
    return cfg->path;
}

const struct config_unit *config_units(const struct config *cfg, size_t *n)
{
    *n = cfg->n_units;
    return cfg->units;
}

const struct config_indicator *config_indicators(const struct config *cfg, size_t *n)
{
    *n = cfg->n_indicators;
    return cfg->indicators;
}

const struct config_source *config_sources(const struct config *cfg, size_t *n)
{
    *n = cfg->n_sources;
    return cfg->sources;
}

const struct config_index *config_indices(const struct config *cfg, size_t *n)
{
    *n = cfg->n_indices;
    return cfg->indices;
}

long config_unit_find(const struct config *cfg, const char *id, size_t len)
{
    return cfg_find(cfg->units, cfg->unit_order, cfg->n_units, sizeof(struct config_unit),
                    offsetof(struct config_unit, id), id, len);
}

long config_indicator_find(const struct config *cfg, const char *code, size_t len)
{
    return cfg_find(cfg->indicators, cfg->indicator_order, cfg->n_indicators,
                    sizeof(struct config_indicator), offsetof(struct config_indicator, code), code,
                    len);
}

const char *config_unit_attr(const struct config_unit *unit, const char *key)
{
    for (size_t i = 0; i < unit->n_attrs; i++) {
        if (strcmp(unit->attrs[i].key, key) == 0)
            return unit->attrs[i].value;
    }
    return NULL;
}

double config_index_node_weight(const struct config_index_node *siblings, size_t n, size_t i)
{
    double sum = 0;

    for (size_t k = 0; k < n; k++)
        sum += siblings[k].weight;
    /* weights are validated > 0, so sum > 0 */
    return siblings[i].weight / sum;
}
