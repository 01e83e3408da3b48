/*
 * source.c - collector sources built from the config (see source.h).
 *
 * The source's JSON object stays parsed (jansson) for the code maps: jansson
 * objects are hash tables, so a payload code is mapped in O(1).
 */
#include "collectors/source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "collectors/format.h"
#include "collectors/url.h"
#include "config/config.h"

#define DEFAULT_MAX_RETRIES 3
#define MAX_HEADERS         16

struct source {
    const struct config *cfg;
    const struct config_source *cs;
    json_t *root; /* the source object */
    struct schedule_spec spec;
    struct format *format;
    const char **units; /* ids to request one by one ({unit}), borrowed */
    size_t n_units;
    char *bearer; /* secrets read from files */
    char *basic_user, *basic_password;
    char *ca_file;
    const char *headers[MAX_HEADERS];
    char *header_lines[MAX_HEADERS];
    size_t n_headers;
    long connect_timeout_ms, timeout_ms;
    size_t max_bytes;
    int max_retries;
    long backoff_base_ms;
};

/* Resolves path against the config file's folder unless it is absolute. */
static void resolve(const struct config *cfg, const char *path, char *out, size_t size)
{
    const char *cfgpath = config_path(cfg);
    const char *slash = cfgpath ? strrchr(cfgpath, '/') : NULL;
    if (path[0] == '/' || !slash)
        snprintf(out, size, "%s", path);
    else
        snprintf(out, size, "%.*s/%s", (int)(slash - cfgpath), cfgpath, path);
}

/* Reads a secret: the file's first line, without its newline. */
static int read_secret(const struct config *cfg, const char *path, char **out, char *err,
                       size_t errsize, const char *where)
{
    char full[4096], line[4096];
    FILE *fp;

    resolve(cfg, path, full, sizeof(full));
    if (!(fp = fopen(full, "r"))) {
        snprintf(err, errsize, "%s: cannot read %s: %s", where, full, strerror(errno));
        return -EINVAL;
    }
    if (!fgets(line, sizeof(line), fp))
        line[0] = '\0';
    fclose(fp);
    line[strcspn(line, "\r\n")] = '\0';
    if (!(*out = strdup(line)))
        return -ENOMEM;
    return 0;
}

static int load_auth(struct source *s, const char *where, char *err, size_t errsize)
{
    json_t *auth = json_object_get(s->root, "auth");
    const char *tok, *user, *pw;
    char at[128];
    int rc = 0;

    if (!auth)
        return 0;
    tok = json_string_value(json_object_get(auth, "bearer_token_file"));
    user = json_string_value(json_object_get(auth, "basic_user"));
    pw = json_string_value(json_object_get(auth, "basic_password_file"));
    if (tok) {
        snprintf(at, sizeof(at), "%s.auth.bearer_token_file", where);
        rc = read_secret(s->cfg, tok, &s->bearer, err, errsize, at);
    } else if (user) {
        s->basic_user = strdup(user);
        if (!s->basic_user)
            return -ENOMEM;
        if (pw) {
            snprintf(at, sizeof(at), "%s.auth.basic_password_file", where);
            rc = read_secret(s->cfg, pw, &s->basic_password, err, errsize, at);
        }
    } else {
        snprintf(err, errsize, "%s.auth: needs bearer_token_file or basic_user", where);
        rc = -EINVAL;
    }
    return rc;
}

static int load_headers(struct source *s, const char *where, char *err, size_t errsize)
{
    json_t *headers = json_object_get(s->root, "headers"), *v;
    const char *name;

    json_object_foreach(headers, name, v)
    {
        char line[1024];
        if (!json_is_string(v) || s->n_headers == MAX_HEADERS ||
            strpbrk(json_string_value(v), "\r\n") || strpbrk(name, ":\r\n ")) {
            snprintf(err, errsize, "%s.headers.%s: bad header (string value, at most %d)", where,
                     name, MAX_HEADERS);
            return -EINVAL;
        }
        snprintf(line, sizeof(line), "%s: %s", name, json_string_value(v));
        if (!(s->header_lines[s->n_headers] = strdup(line)))
            return -ENOMEM;
        s->headers[s->n_headers] = s->header_lines[s->n_headers];
        s->n_headers++;
    }
    return 0;
}

/* "units": ["p01", ...] or "children:ID": the units requested one by one. */
static int load_units(struct source *s, const char *where, char *err, size_t errsize)
{
    size_t nunits;
    const struct config_unit *units = config_units(s->cfg, &nunits);
    json_t *spec = json_object_get(s->root, "units");
    const char *text = json_string_value(spec);
    size_t i;
    json_t *v;

    if (!url_has_unit(s->cs->url))
        return 0;
    if (!(s->units = calloc(nunits ? nunits : 1, sizeof(*s->units))))
        return -ENOMEM;
    if (text && strncmp(text, "children:", 9) == 0) {
        for (i = 0; i < nunits; i++)
            if (units[i].parent && strcmp(units[i].parent, text + 9) == 0)
                s->units[s->n_units++] = units[i].id;
    } else if (json_is_array(spec)) {
        json_array_foreach(spec, i, v)
        {
            long u = json_is_string(v)
                         ? config_unit_find(s->cfg, json_string_value(v), json_string_length(v))
                         : -1;
            if (u < 0 || s->n_units == nunits) {
                snprintf(err, errsize, "%s.units[%zu]: unknown unit", where, i);
                return -EINVAL;
            }
            s->units[s->n_units++] = units[u].id;
        }
    }
    if (s->n_units == 0) {
        snprintf(err, errsize,
                 "%s.units: the URL has {unit}, so name the units "
                 "(an array of ids or \"children:ID\")",
                 where);
        return -EINVAL;
    }
    return 0;
}

static void load_numbers(struct source *s)
{
    json_t *v;
    s->timeout_ms = (long)(s->cs->timeout_s * 1000);
    if ((v = json_object_get(s->root, "connect_timeout_s")) && json_is_number(v))
        s->connect_timeout_ms = (long)(json_number_value(v) * 1000);
    if ((v = json_object_get(s->root, "max_bytes")) && json_is_integer(v))
        s->max_bytes = (size_t)json_integer_value(v);
    s->max_retries = DEFAULT_MAX_RETRIES;
    if ((v = json_object_get(s->root, "max_retries")) && json_is_integer(v))
        s->max_retries = (int)json_integer_value(v);
    if ((v = json_object_get(s->root, "backoff_s")) && json_is_number(v))
        s->backoff_base_ms = (long)(json_number_value(v) * 1000);
    s->spec.source_id = s->cs->id;
    s->spec.freq = s->cs->freq;
    s->spec.release_lag_days = s->cs->release_lag_days;
    s->spec.first_period = s->cs->first_period;
    s->spec.poll_every_s = s->cs->poll_every_s;
    s->spec.revision_window = s->cs->revision_window;
    if ((v = json_object_get(s->root, "jitter_s")) && json_is_integer(v))
        s->spec.jitter_window_s = (long)json_integer_value(v);
}

static int load(struct source *s, const char *where, char *err, size_t errsize)
{
    json_error_t jerr;
    const char *ca;
    char path[4096], ferr[512];
    int rc;

    if (!(s->root = json_loads(s->cs->json, 0, &jerr))) {
        snprintf(err, errsize, "%s: %s", where, jerr.text);
        return -EINVAL;
    }
    load_numbers(s);
    if ((ca = json_string_value(json_object_get(s->root, "ca_file")))) {
        resolve(s->cfg, ca, path, sizeof(path));
        if (!(s->ca_file = strdup(path)))
            return -ENOMEM;
    }
    if ((rc = format_new(&s->format, s->cs->format, s->cs->json, ferr, sizeof(ferr))) < 0) {
        snprintf(err, errsize, "%s: %s", where, ferr);
        return rc;
    }
    if ((rc = load_auth(s, where, err, errsize)) < 0 ||
        (rc = load_headers(s, where, err, errsize)) < 0)
        return rc;
    return load_units(s, where, err, errsize);
}

int source_new(struct source **out, const struct config *cfg, size_t index, char *err,
               size_t errsize)
{
    size_t n;
    const struct config_source *all = config_sources(cfg, &n);
    struct source *s;
    char where[64];
    int rc;

    *out = NULL;
    if (index >= n)
        return -EINVAL;
    if (!(s = calloc(1, sizeof(*s))))
        return -ENOMEM;
    s->cfg = cfg;
    s->cs = &all[index];
    snprintf(where, sizeof(where), "sources[%zu]", index);
    if ((rc = load(s, where, err, errsize)) < 0) {
        source_free(&s);
        return rc;
    }
    *out = s;
    return 0;
}

void source_free(struct source **sp)
{
    struct source *s = sp ? *sp : NULL;
    if (!s)
        return;
    json_decref(s->root);
    format_free(&s->format);
    free(s->units);
    free(s->bearer);
    free(s->basic_user);
    free(s->basic_password);
    free(s->ca_file);
    for (size_t i = 0; i < s->n_headers; i++)
        free(s->header_lines[i]);
    free(s);
    *sp = NULL;
}

const struct config_source *source_config(const struct source *s)
{
    return s->cs;
}

const struct schedule_spec *source_schedule(const struct source *s)
{
    return &s->spec;
}

const char *const *source_request_units(const struct source *s, size_t *n)
{
    *n = s->n_units;
    return s->n_units ? s->units : NULL;
}

int source_request(const struct source *s, struct period p, const char *unit, char *url,
                   size_t urlsize, struct fetch_request *req)
{
    int rc = url_expand(s->cs->url, p, unit, url, urlsize);
    if (rc < 0)
        return rc;
    memset(req, 0, sizeof(*req));
    req->url = url;
    req->connect_timeout_ms = s->connect_timeout_ms;
    req->timeout_ms = s->timeout_ms;
    req->max_bytes = s->max_bytes;
    req->ca_file = s->ca_file;
    req->bearer_token = s->bearer;
    req->basic_user = s->basic_user;
    req->basic_password = s->basic_password;
    req->headers = s->headers;
    req->n_headers = s->n_headers;
    req->max_retries = s->max_retries;
    req->backoff_base_ms = s->backoff_base_ms;
    return 0;
}

/* Looks code up in the source's map object key ("codes"), then as our own. */
static const char *mapped(const struct source *s, const char *key, const char *code)
{
    const char *to = json_string_value(json_object_get(json_object_get(s->root, key), code));
    return to ? to : code;
}

long source_map_unit(const struct source *s, const char *code)
{
    const char *id = mapped(s, "unit_codes", code);
    return config_unit_find(s->cfg, id, strlen(id));
}

long source_map_indicator(const struct source *s, const char *code)
{
    const char *id = mapped(s, "codes", code);
    return config_indicator_find(s->cfg, id, strlen(id));
}

double source_scale(const struct source *s, long indicator)
{
    size_t n;
    const struct config_indicator *ind = config_indicators(s->cfg, &n);
    json_t *scale = json_object_get(s->root, "scale");

    if (json_is_number(scale))
        return json_number_value(scale);
    if (json_is_object(scale) && indicator >= 0 && (size_t)indicator < n) {
        json_t *v = json_object_get(scale, ind[indicator].code);
        if (json_is_number(v))
            return json_number_value(v);
    }
    return 1.0;
}
