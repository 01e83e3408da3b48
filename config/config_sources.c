/*
 * config_sources.c - the sources[] section: the keys every collector shares
 * (id, url, format, frequency, schedule, timeouts). Further keys belong to
 * the collectors, which read them from the object kept as JSON.
 */
#include "config/config_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const format_names[] = {"json", "csv", "sdmx", "nbs", NULL};

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
                                  .timeout_s = 60};
    if (!json_is_object(obj)) {
        cfg_error(ctx, path, "expected object");
        return;
    }
    /* Keys beyond the common ones belong to the collectors: no unknown-key check. */
    cfg_get_id(ctx, obj, path, "id", 1, &src->id);
    if (cfg_get_string(ctx, obj, path, "url", 1, &src->url) > 0 && src->url[0] == '\0') {
        cfg_path_key(p, path, "url");
        cfg_error(ctx, p, "must not be empty");
    }
    if (cfg_get_enum(ctx, obj, path, "format", 1, format_names, &format) > 0)
        src->format = format_names[format];
    load_schedule(ctx, obj, path, src);
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
