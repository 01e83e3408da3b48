/*
 * format_sdmx.c - the "sdmx" reader: SDMX-JSON data messages, 1.0 (top-level
 * header, structure, dataSets) and 2.0 (meta, data: {structures, dataSets}).
 *
 * Keys such as "0:1:0" index, position by position, into the value lists of
 * structure.dimensions.series (series keys) or .observation (observation
 * keys); dataSet-level dimensions have one value. Data sets in the series
 * layout ("series": {key: {"observations": {key: [value, ...]}}}) and the flat
 * layout ("observations": {key: [...]}, every dimension in the key) are read.
 * The mapping names the unit and indicator dimensions; the period comes from
 * TIME_PERIOD (or "period_dimension") wherever it sits.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/format_priv.h"

enum { LVL_DATASET, LVL_SERIES, LVL_OBS, LVL_COUNT };
enum { WANT_UNIT, WANT_INDICATOR, WANT_PERIOD, WANT_COUNT };

/* Most components a key may have; SDMX structures have far fewer. */
#define SDMX_MAX_KEY 64

struct sdmx_reader {
    const char *dim[WANT_COUNT];            /* dimension ids: unit, indicator, period */
    const struct config_value_opts *values; /* how values are written as text */
};

/* Where a wanted dimension sits: its level and position there. */
struct sdmx_want {
    int level;
    size_t index;
    json_t *values; /* the dimension's value list */
};

/* One read in progress. */
struct sdmx_read {
    const struct sdmx_reader *r;
    json_t *levels[LVL_COUNT]; /* dimension arrays per level (may be NULL) */
    struct sdmx_want want[WANT_COUNT];
    const char *fixed[WANT_COUNT]; /* codes of dataSet-level dimensions */
    format_record_cb cb;
    void *ctx;
    long pos; /* observations seen so far */
};

static int sdmx_init(struct format *fmt, char *err, size_t errsize)
{
    const struct config_mapping *m = fmt->mapping;
    struct sdmx_reader *r;

    if (!m || !m->given || !m->unit_dimension || !m->indicator_dimension) {
        format_err(err, errsize,
                   "mapping: required for format \"sdmx\" (unit_dimension, "
                   "indicator_dimension)");
        return -EINVAL;
    }
    r = calloc(1, sizeof(*r));
    if (!r) {
        format_err(err, errsize, "out of memory");
        return -ENOMEM;
    }
    r->dim[WANT_UNIT] = m->unit_dimension;
    r->dim[WANT_INDICATOR] = m->indicator_dimension;
    r->dim[WANT_PERIOD] = m->period_dimension ? m->period_dimension : "TIME_PERIOD";
    r->values = &m->values;
    fmt->priv = r;
    return 0;
}

static void sdmx_fini(void *priv)
{
    free(priv);
}

/* The id of values[i], or NULL. */
static const char *value_id(json_t *values, size_t i)
{
    json_t *id = json_object_get(json_array_get(values, i), "id");

    return json_is_string(id) ? json_string_value(id) : NULL;
}

/* Finds each wanted dimension in the structure's dimension levels. */
static int locate_dims(struct sdmx_read *rd, json_t *dims, char *err, size_t errsize)
{
    static const char *const level_keys[LVL_COUNT] = {"dataSet", "series", "observation"};

    for (int l = 0; l < LVL_COUNT; l++) {
        rd->levels[l] = json_object_get(dims, level_keys[l]);
        if (rd->levels[l] && !json_is_array(rd->levels[l])) {
            format_err(err, errsize, "structure.dimensions.%s: expected an array", level_keys[l]);
            return -EBADMSG;
        }
    }
    for (int w = 0; w < WANT_COUNT; w++) {
        int found = 0;
        for (int l = 0; l < LVL_COUNT && !found; l++) {
            for (size_t i = 0; i < json_array_size(rd->levels[l]) && !found; i++) {
                json_t *d = json_array_get(rd->levels[l], i);
                json_t *id = json_object_get(d, "id");
                if (json_is_string(id) && strcmp(json_string_value(id), rd->r->dim[w]) == 0) {
                    rd->want[w] = (struct sdmx_want){l, i, json_object_get(d, "values")};
                    found = 1;
                }
            }
        }
        if (!found) {
            format_err(err, errsize, "structure: no dimension \"%s\"", rd->r->dim[w]);
            return -EBADMSG;
        }
        rd->fixed[w] = NULL;
        if (rd->want[w].level == LVL_DATASET && !(rd->fixed[w] = value_id(rd->want[w].values, 0))) {
            format_err(err, errsize, "structure: dimension \"%s\" has no value", rd->r->dim[w]);
            return -EBADMSG;
        }
    }
    return 0;
}

/* Splits "0:1:0" into indices; returns their count or -1. */
static int split_key(const char *key, size_t *idx)
{
    int n = 0;
    const char *p = key;

    for (;;) {
        size_t v = 0;
        const char *start = p;
        for (; *p >= '0' && *p <= '9' && p - start < 9; p++)
            v = v * 10 + (size_t)(*p - '0');
        if (p == start || n == SDMX_MAX_KEY)
            return -1;
        idx[n++] = v;
        if (*p == '\0')
            return n;
        if (*p++ != ':')
            return -1;
    }
}

/*
 * Resolves the wanted dimensions of the levels from first to last (series,
 * observation, or both for a flat data set) from key into codes[]. Returns 0,
 * or -1 with a problem set on rec.
 */
static int resolve_key(const struct sdmx_read *rd, const char *key, int first, int last,
                       const char **codes, struct format_record *rec, struct format_scratch *s)
{
    size_t idx[SDMX_MAX_KEY], base[LVL_COUNT] = {0}, need = 0;
    int n = split_key(key, idx);

    for (int l = first; l <= last; l++) {
        base[l] = need;
        need += json_array_size(rd->levels[l]);
    }
    if (n < 0 || (size_t)n != need) {
        format_problem(rec, s, "key \"%.40s\": expected %zu numbers separated by ':'", key, need);
        return -1;
    }
    for (int w = 0; w < WANT_COUNT; w++) {
        const struct sdmx_want *want = &rd->want[w];
        if (want->level < first || want->level > last)
            continue;
        size_t i = idx[base[want->level] + want->index];
        if (!(codes[w] = value_id(want->values, i))) {
            format_problem(rec, s, "key \"%.40s\": no value %zu for dimension \"%s\"", key, i,
                           rd->r->dim[w]);
            return -1;
        }
    }
    return 0;
}

/* What an observation's raw text is made of. */
struct obs_raw {
    const char *series_key; /* NULL in a flat data set */
    const char *obs_key;
    json_t *obs;
};

/* A struct format_raw builder: {"series": key, "observation": key, "data": obs}. */
static int obs_raw_build(const void *arg, char *text)
{
    const struct obs_raw *o = arg;
    json_t *obj = json_object();
    int rc = -ENOMEM;

    if (!obj)
        return -ENOMEM;
    /* keys come from parsed JSON, so json_string() fails only without memory */
    if ((o->series_key && json_object_set_new(obj, "series", json_string(o->series_key)) < 0) ||
        json_object_set_new(obj, "observation", json_string(o->obs_key)) < 0 ||
        json_object_set(obj, "data", o->obs) < 0)
        goto out;
    rc = format_raw_json(obj, text);
out:
    json_decref(obj);
    return rc;
}

/* One observation; series_key is NULL in a flat data set, series_problem
 * the series key's problem, if any. */
static int emit_obs(struct sdmx_read *rd, const char *series_key, const char *const *series_codes,
                    const char *series_problem, const char *obs_key, json_t *obs)
{
    struct format_scratch s;
    struct format_record rec = {.position = ++rd->pos};
    const char *codes[WANT_COUNT];
    struct obs_raw what = {series_key, obs_key, obs};
    struct format_raw raw; /* built only if asked for */

    format_raw_attach(&rec, &raw, obs_raw_build, &what);
    memcpy(codes, series_codes, sizeof(codes));
    if (series_problem)
        format_problem(&rec, &s, "series %s", series_problem);
    if (series_key)
        resolve_key(rd, obs_key, LVL_OBS, LVL_OBS, codes, &rec, &s);
    else
        resolve_key(rd, obs_key, LVL_SERIES, LVL_OBS, codes, &rec, &s);
    rec.unit = codes[WANT_UNIT] ? codes[WANT_UNIT] : "";
    rec.indicator = codes[WANT_INDICATOR] ? codes[WANT_INDICATOR] : "";
    format_record_period(&rec, &s, codes[WANT_PERIOD]);
    if (json_is_array(obs))
        format_record_value_json(&rec, &s, rd->r->values, json_array_get(obs, 0));
    else
        format_problem(&rec, &s, "observation \"%.40s\": expected an array", obs_key);
    return rd->cb(&rec, rd->ctx);
}

static int read_series(struct sdmx_read *rd, json_t *series)
{
    const char *key, *okey;
    json_t *one, *obs;
    int rc = 0;

    json_object_foreach(series, key, one)
    {
        const char *codes[WANT_COUNT];
        struct format_scratch s;
        struct format_record probe = {0};

        memcpy(codes, rd->fixed, sizeof(codes));
        if (resolve_key(rd, key, LVL_SERIES, LVL_SERIES, codes, &probe, &s) < 0) {
            /* each observation of the series reports the bad series key */
            for (int w = 0; w < WANT_COUNT; w++)
                codes[w] = rd->want[w].level == LVL_SERIES ? NULL : codes[w];
        }
        json_object_foreach(json_object_get(one, "observations"), okey, obs)
        {
            if ((rc = emit_obs(rd, key, codes, probe.problem, okey, obs)) != 0)
                return rc;
        }
    }
    return rc;
}

static int read_flat(struct sdmx_read *rd, json_t *observations)
{
    const char *key;
    json_t *obs;
    int rc;

    json_object_foreach(observations, key, obs)
    {
        if ((rc = emit_obs(rd, NULL, rd->fixed, NULL, key, obs)) != 0)
            return rc;
    }
    return 0;
}

/* The structure a data set refers to (SDMX-JSON 2.0 may carry several). */
static json_t *dataset_structure(json_t *container, json_t *ds)
{
    json_t *structures = json_object_get(container, "structures");
    json_t *which = json_object_get(ds, "structure");

    if (json_is_array(structures))
        return json_array_get(structures,
                              json_is_integer(which) ? (size_t)json_integer_value(which) : 0);
    return json_object_get(container, "structure");
}

static int read_dataset(struct sdmx_read *rd, json_t *container, json_t *ds, size_t i, char *err,
                        size_t errsize)
{
    json_t *dims = json_object_get(dataset_structure(container, ds), "dimensions");
    json_t *series = json_object_get(ds, "series");
    json_t *observations = json_object_get(ds, "observations");
    int rc;

    if (!json_is_object(dims)) {
        format_err(err, errsize, "dataSets[%zu]: no structure with dimensions", i);
        return -EBADMSG;
    }
    if ((rc = locate_dims(rd, dims, err, errsize)) < 0)
        return rc;
    if (json_is_object(series))
        return read_series(rd, series);
    if (json_is_object(observations))
        return read_flat(rd, observations);
    if (series || observations) {
        format_err(err, errsize, "dataSets[%zu].%s: expected an object", i,
                   series ? "series" : "observations");
        return -EBADMSG;
    }
    return 0; /* a data set without data */
}

static int sdmx_read_payload(struct format *fmt, const char *buf, size_t len, format_record_cb cb,
                             void *ctx, char *err, size_t errsize)
{
    struct sdmx_read rd = {.r = fmt->priv, .cb = cb, .ctx = ctx};
    json_t *root = NULL, *container, *datasets;
    int rc = format_json_load(buf, len, &root, err, errsize);

    if (rc < 0)
        return rc;
    /* 2.0 (and some 1.0 producers) wrap the message in "data" */
    container =
        json_is_object(json_object_get(root, "data")) ? json_object_get(root, "data") : root;
    datasets = json_object_get(container, "dataSets");
    if (!json_is_array(datasets)) {
        format_err(err, errsize, "%s: %s", container == root ? "/dataSets" : "/data/dataSets",
                   datasets ? "expected an array" : "not found");
        rc = -EBADMSG;
    }
    for (size_t i = 0; rc == 0 && i < json_array_size(datasets); i++)
        rc = read_dataset(&rd, container, json_array_get(datasets, i), i, err, errsize);
    json_decref(root);
    return rc;
}

const struct format_ops format_sdmx_ops = {
    .name = "sdmx",
    .init = sdmx_init,
    .fini = sdmx_fini,
    .read = sdmx_read_payload,
};
