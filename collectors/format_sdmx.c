/*
 * format_sdmx.c - the "sdmx" reader: SDMX-JSON data messages, 1.0 (top-level
 * header, structure, dataSets) and 2.0 (meta, data: {structures, dataSets}).
 *
 * Keys such as "0:1:0" index, position by position, into the value lists of
 * structure.dimensions.series (series keys) or .observation (observation
 * keys); dataSet-level dimensions (spelt "dataSet" or "dataset") have one
 * value. Data sets in the series layout ("series": {key: {"observations":
 * {key: [value, ...]}}}) and the flat layout ("observations": {key: [...]},
 * every dimension in the key) are read. Attributes are looked up too: the
 * indices after the measures in an observation's array, a series'
 * "attributes" and the data set's, into structure.attributes. The mapping
 * (format_sdmx.h) is the one SDMX-ML uses; a data set's "action" "Delete"
 * withdraws what it lists.
 *
 * A key repeated in a series or observation map (JSON allows it, jansson
 * would keep only the last) is not dropped: the payload is then read again
 * with every repeat renamed apart, and the repeats are merged: the same
 * value again is nothing new, another value is a problem of that record.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

#include "collectors/format_sdmx.h"

enum { LVL_DATASET, LVL_SERIES, LVL_OBS, LVL_COUNT };

/* Most components a key may have; SDMX structures have far fewer. */
#define SDMX_MAX_KEY 64

/* What a renamed repeat of a key carries after the key itself. */
#define REPEAT_MARK '\x01'

struct sdmx_reader {
    struct sdmx_map map;
};

/* One read in progress. */
struct sdmx_read {
    const struct sdmx_reader *r;
    json_t *levels[LVL_COUNT]; /* dimension arrays per level (may be NULL) */
    json_t *attrs[LVL_COUNT];  /* attribute arrays per level (may be NULL) */
    json_t *ds_attrs;          /* the data set's "attributes" indices, or NULL */
    size_t n_measures;         /* values before the attribute indices in an observation */
    json_t *measure_ids;       /* structure.measures.observation, or NULL */
    int action;
    int repeats;      /* 1: the payload repeats keys (renamed apart) */
    json_t *seen_obs; /* repeats: series key + '\x1f' + observation key -> first value */
    struct sdmx_seen *seen;
    format_record_cb cb;
    void *ctx;
    long pos; /* observations seen so far */
    char *comps;
    size_t comps_cap;
};

/* The observation at hand, for the component look-up. */
struct sdmx_obs {
    struct sdmx_read *rd;
    size_t idx[SDMX_MAX_KEY]; /* the key's indices: series then observation dimensions */
    size_t base[LVL_COUNT];   /* where each level's indices start in idx */
    int have[LVL_COUNT];      /* 1 when the level's part of the key is usable */
    json_t *series_attrs;     /* the series' "attributes", or NULL */
    json_t *obs;              /* the observation's array, or NULL */
    char buf[8][64];          /* codes the look-up prints (numeric values), in turn */
    unsigned next;
};

static int sdmx_init(struct format *fmt, char *err, size_t errsize)
{
    struct sdmx_reader *r = calloc(1, sizeof(*r));
    int rc;

    if (!r) {
        format_err(err, errsize, "out of memory");
        return -ENOMEM;
    }
    if ((rc = sdmx_map_init(&r->map, fmt->mapping, "sdmx", err, errsize)) < 0) {
        free(r);
        return rc;
    }
    fmt->priv = r;
    return 0;
}

static void sdmx_fini(void *priv)
{
    free(priv);
}

/* The code of values[i]: its "id", else a string or number "value", else NULL. */
static const char *value_code(json_t *values, size_t i, char *buf, size_t size)
{
    json_t *v = json_array_get(values, i);
    json_t *id = json_object_get(v, "id"), *val = json_object_get(v, "value");

    if (json_is_string(id))
        return json_string_value(id);
    if (json_is_string(val))
        return json_string_value(val);
    if (json_is_number(val)) {
        snprintf(buf, size, "%.17g", json_number_value(val));
        return buf;
    }
    return NULL;
}

/* The copy of the key without a repeat's mark. */
static const char *key_base(const char *key, char *buf, size_t size)
{
    const char *mark = strchr(key, REPEAT_MARK);

    if (!mark)
        return key;
    snprintf(buf, size, "%.*s", (int)(mark - key), key);
    return buf;
}

/* Splits "0:1:0" into idx; returns the count or -1. */
static int split_key(const char *key, size_t *idx, size_t max)
{
    size_t n = 0;
    const char *p = key;

    for (;;) {
        size_t v = 0;
        const char *start = p;
        for (; *p >= '0' && *p <= '9' && p - start < 9; p++)
            v = v * 10 + (size_t)(*p - '0');
        if (p == start || n == max)
            return -1;
        idx[n++] = v;
        if (*p == '\0' || *p == REPEAT_MARK)
            return (int)n;
        if (*p++ != ':')
            return -1;
    }
}

/* sdmx_get_fn: a dimension at the observation, series or data set level,
 * else an attribute of the observation, series or data set. */
static const char *get_comp(void *arg, const char *id)
{
    struct sdmx_obs *o = arg;
    const struct sdmx_read *rd = o->rd;
    char *buf = o->buf[o->next++ % 8];

    for (int l = LVL_OBS; l >= LVL_DATASET; l--) {
        json_t *dims = rd->levels[l];
        for (size_t i = 0; i < json_array_size(dims); i++) {
            json_t *d = json_array_get(dims, i);
            json_t *did = json_object_get(d, "id");
            if (!json_is_string(did) || strcasecmp(json_string_value(did), id) != 0)
                continue;
            if (l == LVL_DATASET)
                return value_code(json_object_get(d, "values"), 0, buf, 64);
            if (!o->have[l])
                return NULL;
            return value_code(json_object_get(d, "values"), o->idx[o->base[l] + i], buf, 64);
        }
    }
    for (int l = LVL_OBS; l >= LVL_DATASET; l--) {
        json_t *attrs = rd->attrs[l];
        for (size_t i = 0; i < json_array_size(attrs); i++) {
            json_t *a = json_array_get(attrs, i);
            json_t *aid = json_object_get(a, "id"), *at;
            if (!json_is_string(aid) || strcasecmp(json_string_value(aid), id) != 0)
                continue;
            at = l == LVL_OBS      ? json_array_get(o->obs, rd->n_measures + i)
                 : l == LVL_SERIES ? json_array_get(o->series_attrs, i)
                                   : json_array_get(rd->ds_attrs, i);
            if (l == LVL_DATASET && !rd->ds_attrs)
                return value_code(json_object_get(a, "values"), 0, buf, 64);
            if (!json_is_integer(at) || json_integer_value(at) < 0)
                return NULL;
            return value_code(json_object_get(a, "values"), (size_t)json_integer_value(at), buf,
                              64);
        }
    }
    return NULL;
}

/* The level's array: "dataSet" or the "dataset" SDMX-JSON 1.0 producers
 * also write. */
static json_t *level_get(json_t *obj, int l)
{
    static const char *const keys[LVL_COUNT] = {"dataSet", "series", "observation"};
    json_t *v = json_object_get(obj, keys[l]);

    return !v && l == LVL_DATASET ? json_object_get(obj, "dataset") : v;
}

/* Takes the structure's dimensions and attributes; checks that the mapped
 * dimensions are there. */
static int locate(struct sdmx_read *rd, json_t *st, char *err, size_t errsize)
{
    static const char *const level_keys[LVL_COUNT] = {"dataSet", "series", "observation"};
    json_t *dims = json_object_get(st, "dimensions"), *attrs = json_object_get(st, "attributes");
    const struct sdmx_map *m = &rd->r->map;
    const char *need[3] = {m->unit_dim, m->ind_dim, m->period_dim};

    for (int l = 0; l < LVL_COUNT; l++) {
        rd->levels[l] = level_get(dims, l);
        rd->attrs[l] = level_get(attrs, l);
        if (rd->levels[l] && !json_is_array(rd->levels[l])) {
            format_err(err, errsize, "structure.dimensions.%s: expected an array", level_keys[l]);
            return -EBADMSG;
        }
        if (!json_is_array(rd->attrs[l]))
            rd->attrs[l] = NULL;
    }
    rd->measure_ids = json_object_get(json_object_get(st, "measures"), "observation");
    rd->n_measures = json_is_array(rd->measure_ids) && json_array_size(rd->measure_ids) > 0
                         ? json_array_size(rd->measure_ids)
                         : 1;
    for (int w = 0; w < 3; w++) {
        int found = 0, fixed_ok = 1;
        if (!need[w])
            continue;
        for (int l = 0; l < LVL_COUNT && !found; l++) {
            for (size_t i = 0; i < json_array_size(rd->levels[l]) && !found; i++) {
                json_t *d = json_array_get(rd->levels[l], i);
                json_t *id = json_object_get(d, "id");
                char buf[64];
                if (!json_is_string(id) || strcasecmp(json_string_value(id), need[w]) != 0)
                    continue;
                found = 1;
                fixed_ok = l != LVL_DATASET ||
                           value_code(json_object_get(d, "values"), 0, buf, sizeof(buf));
            }
        }
        if (!found) {
            format_err(err, errsize, "structure: no dimension \"%s\"", need[w]);
            return -EBADMSG;
        }
        if (!fixed_ok) {
            format_err(err, errsize, "structure: dimension \"%s\" has no value", need[w]);
            return -EBADMSG;
        }
    }
    return 0;
}

/* The index of measure id in the observation's array. */
static size_t measure_index(const struct sdmx_read *rd, const char *id)
{
    for (size_t i = 0; i < json_array_size(rd->measure_ids); i++) {
        json_t *mid = json_object_get(json_array_get(rd->measure_ids, i), "id");
        if (json_is_string(mid) && strcasecmp(json_string_value(mid), id) == 0)
            return i;
    }
    return 0; /* OBS_VALUE, or a message without a measure list: the first */
}

/*
 * Splits key into o's indices for the levels first..last, and checks each
 * index has a value. Returns 0, or -1 with a problem on rec (the level's
 * part is then unusable).
 */
static int take_key(struct sdmx_obs *o, const char *key, int first, int last, const char *what,
                    struct format_record *rec, struct format_scratch *s)
{
    const struct sdmx_read *rd = o->rd;
    size_t got[SDMX_MAX_KEY] = {0}, need = 0;
    size_t start = first == LVL_OBS ? json_array_size(rd->levels[LVL_SERIES]) : 0, at = start;
    int n = split_key(key, got, SDMX_MAX_KEY);

    for (int l = first; l <= last; l++)
        need += json_array_size(rd->levels[l]);
    if (n < 0 || (size_t)n != need || start + need > SDMX_MAX_KEY) {
        format_problem(rec, s, "%skey \"%.40s\": expected %zu numbers separated by ':'", what, key,
                       need);
        return -1;
    }
    for (int l = first; l <= last; l++) {
        o->base[l] = at;
        for (size_t i = 0; i < json_array_size(rd->levels[l]); i++, at++) {
            json_t *d = json_array_get(rd->levels[l], i);
            char buf[64];
            o->idx[at] = got[at - start];
            if (!value_code(json_object_get(d, "values"), o->idx[at], buf, sizeof(buf))) {
                json_t *id = json_object_get(d, "id");
                format_problem(rec, s, "%skey \"%.40s\": no value %zu for dimension \"%s\"", what,
                               key, o->idx[at], json_is_string(id) ? json_string_value(id) : "?");
                if (first == LVL_SERIES && last == LVL_SERIES)
                    return -1; /* a bad series key: none of its codes */
            }
        }
        o->have[l] = 1;
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
    char sbuf[128], obuf[128];

    if (!obj)
        return -ENOMEM;
    if ((o->series_key &&
         json_object_set_new(obj, "series",
                             json_string(key_base(o->series_key, sbuf, sizeof(sbuf)))) < 0) ||
        json_object_set_new(obj, "observation",
                            json_string(key_base(o->obs_key, obuf, sizeof(obuf)))) < 0 ||
        json_object_set(obj, "data", o->obs ? o->obs : json_null()) < 0)
        goto out;
    rc = format_raw_json(obj, text);
out:
    json_decref(obj);
    return rc;
}

/* Appends "ID=CODE\x1f" for the dimensions the mapping does not read. */
static int unmapped(struct sdmx_obs *o, size_t *n)
{
    struct sdmx_read *rd = o->rd;

    for (int l = LVL_DATASET; l < LVL_COUNT; l++) {
        for (size_t i = 0; i < json_array_size(rd->levels[l]); i++) {
            json_t *did = json_object_get(json_array_get(rd->levels[l], i), "id");
            if (!json_is_string(did) || sdmx_map_reads(&rd->r->map, json_string_value(did)))
                continue;
            const char *id = json_string_value(did), *code = get_comp(o, id);
            size_t need = *n + strlen(id) + strlen(code ? code : "") + 3;
            if (need > rd->comps_cap) {
                size_t cap = rd->comps_cap ? rd->comps_cap * 2 : 256;
                while (cap < need)
                    cap *= 2;
                char *p = realloc(rd->comps, cap);
                if (!p)
                    return -ENOMEM;
                rd->comps = p;
                rd->comps_cap = cap;
            }
            *n += (size_t)sprintf(rd->comps + *n, "%s=%s\x1f", id, code ? code : "");
        }
    }
    return 0;
}

/*
 * A repeated observation (same series and observation key): 1 when it
 * repeats the first one's value (nothing to report), 0 when it is the first
 * or differs (then a problem is set), -ENOMEM.
 */
static int repeat_of(struct sdmx_read *rd, const char *series_key, const char *obs_key, json_t *obs,
                     struct format_record *rec, struct format_scratch *s)
{
    char sbuf[128], obuf[128], key[260];
    const char *sk = series_key ? key_base(series_key, sbuf, sizeof(sbuf)) : "";
    const char *ok = key_base(obs_key, obuf, sizeof(obuf));
    json_t *first;

    snprintf(key, sizeof(key), "%s\x1f%s", sk, ok);
    if (!(first = json_object_get(rd->seen_obs, key)))
        return json_object_set(rd->seen_obs, key, obs ? obs : json_null()) < 0 ? -ENOMEM : 0;
    if (json_equal(first, obs))
        return 1;
    format_problem(rec, s, "observation \"%.40s\"%s%.40s repeated with another value", ok,
                   series_key ? " of series " : "", sk);
    return 0;
}

/* Reports one observation, once per measure; series_problem is the series
 * key's problem, if any (it then stands for every observation). */
static int emit_obs(struct sdmx_read *rd, struct sdmx_obs *o, const char *series_key,
                    const char *series_problem, const char *obs_key, json_t *obs)
{
    const struct sdmx_map *m = &rd->r->map;
    long pos = ++rd->pos;
    struct obs_raw what = {series_key, obs_key, obs};
    struct format_scratch ks;
    struct format_record probe = {0};
    const char *missing = NULL;
    int pass, rep;

    o->obs = json_is_array(obs) ? obs : NULL;
    o->have[LVL_OBS] = 0;
    /* the key's problems and a repeat's, once for all measures */
    if (series_problem)
        format_problem(&probe, &ks, "%s", series_problem);
    if (series_key)
        take_key(o, obs_key, LVL_OBS, LVL_OBS, "", &probe, &ks);
    else
        take_key(o, obs_key, LVL_SERIES, LVL_OBS, "", &probe, &ks);
    if (rd->repeats && (rep = repeat_of(rd, series_key, obs_key, obs, &probe, &ks)) != 0)
        return rep < 0 ? rep : 0; /* 1: the same value again, merged */
    if ((pass = sdmx_map_filter(m, get_comp, o, &missing)) == 0)
        return 0;
    for (size_t i = 0; i < m->n_measures; i++) {
        const char *measure = m->measures ? m->measures[i] : "OBS_VALUE";
        struct format_scratch s;
        struct format_record rec = {.position = pos, .action = rd->action};
        char unit[SDMX_CODE_MAX + 1], ind[SDMX_CODE_MAX + 1];
        struct format_raw raw;
        size_t n = 0;
        int rc;

        format_raw_attach(&rec, &raw, obs_raw_build, &what);
        if (probe.problem)
            format_problem(&rec, &s, "%s", probe.problem);
        if (pass < 0)
            format_problem(&rec, &s, "filter: no dimension \"%s\"", missing);
        sdmx_map_codes(m, get_comp, o, measure, unit, ind, &rec, &s);
        rec.unit = unit;
        rec.indicator = ind;
        sdmx_record_period(m, &rec, &s, get_comp(o, m->period_dim), get_comp(o, "FREQ"));
        if (rd->action == SDMX_ACTION_STORE) {
            if (json_is_array(obs)) {
                format_record_value_json(&rec, &s, m->values,
                                         json_array_get(obs, measure_index(rd, measure)));
                sdmx_record_attrs(&rec, &s, m->cm->keep_decimals ? NULL : get_comp(o, "DECIMALS"),
                                  get_comp(o, "UNIT_MULT"));
                sdmx_record_status(m, &rec, &s, get_comp(o, m->status_attr));
            } else {
                format_problem(&rec, &s, "observation \"%.40s\": expected an array", obs_key);
            }
        }
        if (!rec.problem && unmapped(o, &n) < 0)
            return -ENOMEM; /* not the collapse check skipped */
        if (!rec.problem && rd->comps) {
            rd->comps[n] = '\0';
            rc = sdmx_seen_check(rd->seen, unit, ind, rd->comps, pos, s.problem, sizeof(s.problem));
            if (rc < 0)
                return rc;
            rec.collapsed = rc > 0 ? s.problem : NULL;
            rec.unmapped = rd->comps;
        }
        if ((rc = rd->cb(&rec, rd->ctx)) != 0)
            return rc;
    }
    return 0;
}

/* A series listed in a Delete data set without observations: every period. */
static int emit_series_delete(struct sdmx_read *rd, struct sdmx_obs *o, const char *key,
                              const char *problem)
{
    const struct sdmx_map *m = &rd->r->map;
    struct format_scratch s;
    struct format_record rec = {
        .position = ++rd->pos, .action = SDMX_ACTION_DELETE, .all_periods = 1, .period_raw = ""};
    char unit[SDMX_CODE_MAX + 1], ind[SDMX_CODE_MAX + 1];
    struct obs_raw what = {key, "", NULL};
    struct format_raw raw;
    const char *missing = NULL;
    int pass;

    format_raw_attach(&rec, &raw, obs_raw_build, &what);
    if (problem)
        format_problem(&rec, &s, "%s", problem);
    o->obs = NULL;
    o->have[LVL_OBS] = 0;
    if ((pass = sdmx_map_filter(m, get_comp, o, &missing)) == 0)
        return 0;
    if (pass < 0)
        format_problem(&rec, &s, "filter: no dimension \"%s\"", missing);
    sdmx_map_codes(m, get_comp, o, m->measures ? m->measures[0] : "OBS_VALUE", unit, ind, &rec, &s);
    rec.unit = unit;
    rec.indicator = ind;
    return rd->cb(&rec, rd->ctx);
}

static int read_series(struct sdmx_read *rd, json_t *series)
{
    const char *key, *okey;
    json_t *one, *obs;
    int rc = 0;

    json_object_foreach(series, key, one)
    {
        struct sdmx_obs o = {.rd = rd, .have = {1, 0, 0}};
        struct format_scratch s;
        struct format_record probe = {0};
        json_t *observations = json_object_get(one, "observations");

        take_key(&o, key, LVL_SERIES, LVL_SERIES, "series ", &probe, &s);
        o.series_attrs = json_object_get(one, "attributes");
        if (rd->action == SDMX_ACTION_DELETE && json_object_size(observations) == 0) {
            if ((rc = emit_series_delete(rd, &o, key, probe.problem)) != 0)
                return rc;
            continue;
        }
        json_object_foreach(observations, okey, obs)
        {
            if ((rc = emit_obs(rd, &o, key, probe.problem, okey, obs)) != 0)
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
        struct sdmx_obs o = {.rd = rd, .have = {1, 0, 0}};
        if ((rc = emit_obs(rd, &o, NULL, NULL, key, obs)) != 0)
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
    json_t *st = dataset_structure(container, ds);
    json_t *series = json_object_get(ds, "series");
    json_t *observations = json_object_get(ds, "observations");
    json_t *action = json_object_get(ds, "action");
    int rc;

    if (!json_is_object(json_object_get(st, "dimensions"))) {
        format_err(err, errsize, "dataSets[%zu]: no structure with dimensions", i);
        return -EBADMSG;
    }
    rd->action = SDMX_ACTION_STORE;
    if (action && (!json_is_string(action) ||
                   (rd->action = sdmx_action_parse(json_string_value(action))) < 0)) {
        format_err(err, errsize,
                   "dataSets[%zu].action: expected Replace, Append, Merge, Information or "
                   "Delete",
                   i);
        return -EBADMSG;
    }
    if ((rc = locate(rd, st, err, errsize)) < 0)
        return rc;
    rd->ds_attrs =
        json_is_array(json_object_get(ds, "attributes")) ? json_object_get(ds, "attributes") : NULL;
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

/* ---- Repeated keys: the payload written again with each repeat renamed ---- */

struct rename {
    yajl_gen g;
    json_t *keys[256]; /* the keys of each open object (a set), by depth */
    int depth;
    int too_deep; /* nested deeper than the generator (or the key sets) can go */
};

/* 1 when the generator wrote the token; notes a nesting too deep for it. */
static int gen_ok(struct rename *r, yajl_gen_status st)
{
    if (st == yajl_max_depth_exceeded)
        r->too_deep = 1;
    return st == yajl_gen_status_ok;
}

static int rn_null(void *c)
{
    return gen_ok(c, yajl_gen_null(((struct rename *)c)->g));
}
static int rn_bool(void *c, int b)
{
    return gen_ok(c, yajl_gen_bool(((struct rename *)c)->g, b));
}
static int rn_number(void *c, const char *s, size_t n)
{
    return gen_ok(c, yajl_gen_number(((struct rename *)c)->g, s, n));
}
static int rn_string(void *c, const unsigned char *s, size_t n)
{
    return gen_ok(c, yajl_gen_string(((struct rename *)c)->g, s, n));
}
static int rn_start_map(void *c)
{
    struct rename *r = c;
    if (r->depth >= 256) {
        r->too_deep = 1;
        return 0;
    }
    if (!(r->keys[r->depth++] = json_object()))
        return 0;
    return gen_ok(r, yajl_gen_map_open(r->g));
}
static int rn_end_map(void *c)
{
    struct rename *r = c;
    json_decref(r->keys[--r->depth]);
    r->keys[r->depth] = NULL;
    return gen_ok(r, yajl_gen_map_close(r->g));
}
static int rn_start_array(void *c)
{
    return gen_ok(c, yajl_gen_array_open(((struct rename *)c)->g));
}
static int rn_end_array(void *c)
{
    return gen_ok(c, yajl_gen_array_close(((struct rename *)c)->g));
}

/* A key: the first time as it is, a repeat with REPEAT_MARK and its number. */
static int rn_key(void *c, const unsigned char *s, size_t n)
{
    struct rename *r = c;
    json_t *set = r->keys[r->depth - 1];
    char key[300];
    json_t *count;

    if (n >= 256 || memchr(s, 0, n))
        return gen_ok(r, yajl_gen_string(r->g, s, n));
    memcpy(key, s, n);
    key[n] = '\0';
    if (!(count = json_object_get(set, key))) {
        if (json_object_set_new(set, key, json_integer(0)) < 0)
            return 0;
        return gen_ok(r, yajl_gen_string(r->g, s, n));
    }
    json_integer_set(count, json_integer_value(count) + 1);
    int len = snprintf(key + n, sizeof(key) - n, "%c%lld", REPEAT_MARK,
                       (long long)json_integer_value(count));
    return gen_ok(r, yajl_gen_string(r->g, (const unsigned char *)key, n + (size_t)len));
}

static const yajl_callbacks rename_cbs = {
    rn_null,      rn_bool, NULL,       NULL,           rn_number,    rn_string,
    rn_start_map, rn_key,  rn_end_map, rn_start_array, rn_end_array,
};

/* Why buf with repeated keys could not be read: jansson's message with its
 * line and column in buf (as for a payload without repeats), read this time
 * with the repeats allowed; when jansson reads it so, why (yajl's or
 * jansson's reason about the payload as rewritten). */
static void rewrite_error(const char *buf, size_t len, const char *why, char *err, size_t errsize)
{
    json_error_t jerr;
    json_t *again = json_loadb(buf, len, 0, &jerr);

    if (!again) {
        format_err(err, errsize, "line %d column %d: %s", jerr.line, jerr.column, jerr.text);
        return;
    }
    json_decref(again);
    format_err(err, errsize, "repeated keys: the payload could not be rewritten (%.*s)",
               (int)strcspn(why, "\n"), why);
}

/* Loads buf with every repeated key renamed apart. Returns 0, or -EBADMSG
 * / -ENOMEM with err set. */
static int load_renamed(const char *buf, size_t len, json_t **out, char *err, size_t errsize)
{
    struct rename r = {0};
    yajl_handle h;
    yajl_status st;
    json_error_t jerr;
    const unsigned char *text;
    size_t tlen;
    int rc = -ENOMEM;

    *out = NULL;
    if (!(r.g = yajl_gen_alloc(NULL)))
        goto out;
    if (!(h = yajl_alloc(&rename_cbs, NULL, &r)))
        goto out;
    if ((st = yajl_parse(h, (const unsigned char *)buf, len)) == yajl_status_ok)
        st = yajl_complete_parse(h);
    if (st != yajl_status_ok) {
        if (st == yajl_status_error) {
            unsigned char *msg = yajl_get_error(h, 0, (const unsigned char *)buf, len);
            rewrite_error(buf, len, msg ? (const char *)msg : "invalid JSON", err, errsize);
            if (msg)
                yajl_free_error(h, msg);
            rc = -EBADMSG;
        } else if (r.too_deep) {
            format_err(err, errsize,
                       "repeated keys: the payload could not be rewritten (nested more than %d "
                       "deep)",
                       YAJL_MAX_DEPTH);
            rc = -EBADMSG;
        } /* else a callback ran out of memory */
        yajl_free(h);
        goto out;
    }
    yajl_free(h);
    yajl_gen_get_buf(r.g, &text, &tlen);
    if (!(*out = json_loadb((const char *)text, tlen, JSON_REJECT_DUPLICATES, &jerr))) {
        rewrite_error(buf, len, jerr.text, err, errsize);
        rc = -EBADMSG;
    } else {
        rc = 0;
    }
out:
    for (int i = 0; i < r.depth; i++)
        json_decref(r.keys[i]);
    if (r.g)
        yajl_gen_free(r.g);
    if (rc == -ENOMEM)
        format_err(err, errsize, "out of memory");
    return rc;
}

/* Loads the payload; *repeats tells whether keys were repeated (renamed). */
static int load_payload(const char *buf, size_t len, json_t **out, int *repeats, char *err,
                        size_t errsize)
{
    json_error_t jerr;

    *repeats = 0;
    *out = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (*out)
        return 0;
    if (!strstr(jerr.text, "duplicate object key"))
        return format_json_load(buf, len, out, err, errsize); /* its message */
    *repeats = 1;
    return load_renamed(buf, len, out, err, errsize);
}

static int sdmx_read_payload(struct format *fmt, const char *buf, size_t len, format_record_cb cb,
                             void *ctx, char *err, size_t errsize)
{
    struct sdmx_read rd = {.r = fmt->priv, .cb = cb, .ctx = ctx};
    json_t *root = NULL, *container, *datasets;
    int rc = load_payload(buf, len, &root, &rd.repeats, err, errsize);

    if (rc < 0)
        return rc;
    rd.seen = sdmx_seen_new(0);
    rd.seen_obs = rd.repeats ? json_object() : NULL;
    if (!rd.seen || (rd.repeats && !rd.seen_obs)) {
        format_err(err, errsize, "out of memory");
        rc = -ENOMEM;
        goto out;
    }
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
    if (rc == -ENOMEM) {
        format_err(err, errsize, "out of memory");
    } else if (rc < 0 && sdmx_seen_refused(rd.seen)) {
        format_err(err, errsize, "collapse check: %s", sdmx_seen_refused(rd.seen));
        rc = -EBADMSG;
    }
out:
    json_decref(rd.seen_obs);
    sdmx_seen_free(rd.seen);
    free(rd.comps);
    json_decref(root);
    return rc;
}

const struct format_ops format_sdmx_ops = {
    .name = "sdmx",
    .init = sdmx_init,
    .fini = sdmx_fini,
    .read = sdmx_read_payload,
};
