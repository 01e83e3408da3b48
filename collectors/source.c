/*
 * source.c - collector sources built from the config (see source.h). The
 * config loader has parsed and checked every option (config_sources.c); a
 * source reads the typed record, resolves the units it requests and reads
 * the secret files.
 */
#include "collectors/source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/format.h"
#include "collectors/url.h"
#include "config/config.h"

struct source {
    const struct config *cfg;
    const struct config_source *cs;
    struct schedule_spec spec;
    struct format *format;
    const char **units; /* ids to request one by one ({unit}), borrowed */
    size_t n_units;
    char *bearer; /* secrets read from files */
    char *basic_password;
};

/* Reads a secret: the file's first line, without its newline. */
static int read_secret(const char *path, char **out, char *err, size_t errsize, const char *where)
{
    char line[4096];
    FILE *fp;

    if (!(fp = fopen(path, "r"))) {
        snprintf(err, errsize, "%s: cannot read %s: %s", where, path, strerror(errno));
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
    const struct config_source *cs = s->cs;
    char at[128];
    int rc = 0;

    if (cs->bearer_token_file) {
        snprintf(at, sizeof(at), "%s.auth.bearer_token_file", where);
        rc = read_secret(cs->bearer_token_file, &s->bearer, err, errsize, at);
    } else if (cs->basic_password_file) {
        snprintf(at, sizeof(at), "%s.auth.basic_password_file", where);
        rc = read_secret(cs->basic_password_file, &s->basic_password, err, errsize, at);
    }
    return rc;
}

/* 1 when unit u lies below unit a (any depth). */
static int below(const struct config_unit *units, size_t u, long a)
{
    for (long p = units[u].parent_index; p >= 0; p = units[p].parent_index)
        if (p == a)
            return 1;
    return 0;
}

/* The units requested one by one when the URL has {unit} (config_source.units). */
static int load_units(struct source *s, const char *where, char *err, size_t errsize)
{
    const struct config_units_sel *sel = &s->cs->units;
    size_t nunits;
    const struct config_unit *units = config_units(s->cfg, &nunits);

    if (!url_has_unit(s->cs->url))
        return 0;
    if (!(s->units = calloc(nunits ? nunits : 1, sizeof(*s->units))))
        return -ENOMEM;
    if (sel->kind == CONFIG_UNITS_LIST) {
        for (size_t i = 0; i < sel->n_list && s->n_units < nunits; i++)
            s->units[s->n_units++] = units[sel->list[i]].id;
    } else {
        for (size_t u = 0; u < nunits; u++)
            if ((sel->kind == CONFIG_UNITS_CHILDREN && units[u].parent_index == sel->anchor) ||
                (sel->kind == CONFIG_UNITS_DESCENDANTS && below(units, u, sel->anchor)))
                s->units[s->n_units++] = units[u].id;
    }
    if (s->n_units == 0) {
        snprintf(err, errsize, "%s.units: no unit to request (the URL has {unit})", where);
        return -EINVAL;
    }
    return 0;
}

static void load_schedule(struct source *s)
{
    const struct config_source *cs = s->cs;

    s->spec.source_id = cs->id;
    s->spec.freq = cs->freq;
    s->spec.release_lag_days = cs->release_lag_days;
    s->spec.first_period = cs->first_period;
    s->spec.poll_every_s = cs->poll_every_s;
    s->spec.revision_window = cs->revision_window;
    s->spec.jitter_window_s = cs->jitter_s;
}

static int load(struct source *s, const char *where, char *err, size_t errsize)
{
    char ferr[512];
    int rc;

    load_schedule(s);
    if ((rc = format_new(&s->format, s->cs->format, &s->cs->mapping, ferr, sizeof(ferr))) < 0) {
        snprintf(err, errsize, "%s: %s", where, ferr);
        return rc;
    }
    if ((rc = load_auth(s, where, err, errsize)) < 0)
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
    format_free(&s->format);
    free(s->units);
    free(s->bearer);
    free(s->basic_password);
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

int source_request(const struct source *s, struct period p, const char *unit, int64_t updated_after,
                   char *url, size_t urlsize, struct fetch_request *req)
{
    int rc = url_expand_since(s->cs->url, p, unit, updated_after, url, urlsize);
    if (rc < 0)
        return rc;
    memset(req, 0, sizeof(*req));
    req->url = url;
    req->connect_timeout_ms = (long)(s->cs->connect_timeout_s * 1000);
    req->timeout_ms = (long)(s->cs->timeout_s * 1000);
    req->max_bytes = (size_t)s->cs->max_bytes;
    req->ca_file = s->cs->ca_file;
    req->bearer_token = s->bearer;
    req->basic_user = s->cs->basic_user;
    req->basic_password = s->basic_password;
    req->headers = s->cs->headers;
    req->n_headers = s->cs->n_headers;
    req->max_retries = s->cs->max_retries;
    req->backoff_base_ms = (long)(s->cs->backoff_s * 1000);
    return 0;
}

long source_map_unit(const struct source *s, const char *code)
{
    const char *id = config_code_map(s->cs->unit_codes, s->cs->n_unit_codes, code);
    return config_unit_find(s->cfg, id, strlen(id));
}

long source_map_indicator(const struct source *s, const char *code)
{
    const char *id = config_code_map(s->cs->codes, s->cs->n_codes, code);
    return config_indicator_find(s->cfg, id, strlen(id));
}

double source_scale(const struct source *s, long indicator)
{
    size_t n;

    config_indicators(s->cfg, &n);
    return indicator >= 0 && (size_t)indicator < n ? s->cs->scale[indicator] : 1.0;
}
