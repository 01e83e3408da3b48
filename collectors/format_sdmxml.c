/*
 * format_sdmxml.c - the "sdmxml" reader: SDMX-ML data messages, read as a
 * stream with libxml2's xmlTextReader, so memory stays the same whatever the
 * message's size (the current data set's, series' and observation's
 * components only):
 *
 *   SDMX 2.1 GenericData, GenericTimeSeriesData   <generic:Series>
 *     <generic:SeriesKey><generic:Value id= value=/>..., <generic:Attributes>,
 *     <generic:Obs><generic:ObsDimension value=/><generic:ObsValue value=/>
 *     (or <generic:ObsKey> for observations without series)
 *   SDMX 2.1 StructureSpecificData, StructureSpecificTimeSeriesData and
 *   SDMX 3.0 StructureSpecificData            <Series FREQ="M" ...><Obs
 *     TIME_PERIOD= OBS_VALUE= .../> (components as XML attributes)
 *   an error message (<Error><ErrorMessage code=><Text>) or a footer with a
 *   message of severity Error: the payload is refused with its text.
 *
 * Elements are matched by local name, so any namespace prefix works; the
 * components' ids are matched without regard to case (Eurostat writes
 * "geo", "freq"). The mapping (format_sdmx.h) is the one SDMX-JSON uses.
 * Group elements are skipped: their attributes are not applied.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/xmlreader.h>

#include "collectors/format_sdmx.h"
#include "collectors/xml_errors.h"

enum { LVL_DS, LVL_SERIES, LVL_OBS, LVL_COUNT };

/* Most bytes of component ids and codes one level (data set, series,
 * observation) may hold: a bound on memory against a hostile message. */
#define LEVEL_TEXT_MAX ((size_t)1 << 20)

/* One component: offsets of its id and code in the level's text. */
struct comp {
    size_t id, code;
    int dim; /* 1: a dimension (part of the key), 0: an attribute or a measure */
};

struct level {
    struct comp *c;
    size_t n, cap;
    char *text;
    size_t used, cap_text;
};

struct sdmxml_reader {
    struct sdmx_map map;
};

/* One read in progress. */
struct xread {
    const struct sdmxml_reader *r;
    xmlTextReaderPtr x;
    struct level lv[LVL_COUNT];
    format_record_cb cb;
    void *ctx;
    long pos;
    int generic;        /* 1: GenericData, 0: StructureSpecific */
    int header_action;  /* the header's DataSetAction, or -1 */
    int action;         /* the current data set's */
    int v3;             /* 1: an SDMX 3.0 (or later) message, by its namespace */
    int header_replace; /* 1: the header's DataSetAction is Replace */
    int replace;        /* 1: the current data set's action is Replace */
    int in_dataset, in_series, in_obs, in_footer;
    int key_level;      /* SeriesKey / ObsKey: where Values go as dimensions, or -1 */
    int attrs_level;    /* Attributes: where Values go as attributes, or -1 */
    long series_obs;    /* observations seen in the current series */
    long series_serial; /* counts series, for the collapse check's cache */
    struct sdmx_seen *seen;
    long seen_serial; /* the series the cached check is for, or -1 */
    char seen_unit[SDMX_CODE_MAX + 1], seen_ind[SDMX_CODE_MAX + 1];
    int seen_rc; /* its result: 0, or 1 with the note in seen_text */
    char seen_text[256];
    char *comps; /* scratch: the unmapped components text */
    size_t comps_cap;
    int comps_ok;          /* comps holds the text of the series collapse_note() last checked */
    char message[512];     /* an error message's or an error footer's text */
    int refused;           /* 1: the message is an error (message says it) */
    struct xml_errors xml; /* libxml2's first error, with its line */
    int xml_failed;        /* libxml2 failed inside a step of ours */
};

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

/* libxml2 wants one call before threads parse (collectors read payloads on
 * libuv's thread pool). */
static void xml_init(void)
{
    xmlInitParser();
}

static int sdmxml_init(struct format *fmt, char *err, size_t errsize)
{
    struct sdmxml_reader *r = calloc(1, sizeof(*r));
    int rc;

    if (!r) {
        format_err(err, errsize, "out of memory");
        return -ENOMEM;
    }
    if ((rc = sdmx_map_init(&r->map, fmt->mapping, "sdmxml", err, errsize)) < 0) {
        free(r);
        return rc;
    }
    pthread_once(&xml_once, xml_init);
    fmt->priv = r;
    return 0;
}

static void sdmxml_fini(void *priv)
{
    free(priv);
}

/* ---- Components ---- */

static void level_clear(struct level *l)
{
    l->n = 0;
    l->used = 0;
}

static void level_free(struct level *l)
{
    free(l->c);
    free(l->text);
}

/* Appends s to the level's text; its offset in *at. Returns 0 or -ENOMEM /
 * -E2BIG. */
static int level_put(struct level *l, const char *s, size_t *at)
{
    size_t n = strlen(s) + 1;

    if (l->used + n > LEVEL_TEXT_MAX)
        return -E2BIG;
    if (l->used + n > l->cap_text) {
        size_t cap = l->cap_text ? l->cap_text : 256;
        while (cap < l->used + n)
            cap *= 2;
        char *t = realloc(l->text, cap);
        if (!t)
            return -ENOMEM;
        l->text = t;
        l->cap_text = cap;
    }
    memcpy(l->text + l->used, s, n);
    *at = l->used;
    l->used += n;
    return 0;
}

static int level_add(struct level *l, const char *id, const char *code, int dim)
{
    struct comp c = {.dim = dim};
    int rc;

    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct comp *p = realloc(l->c, cap * sizeof(*p));
        if (!p)
            return -ENOMEM;
        l->c = p;
        l->cap = cap;
    }
    if ((rc = level_put(l, id, &c.id)) < 0 || (rc = level_put(l, code, &c.code)) < 0)
        return rc;
    l->c[l->n++] = c;
    return 0;
}

/* The code of component id at level l, or NULL. */
static const char *level_get(const struct level *l, const char *id)
{
    for (size_t i = 0; i < l->n; i++) {
        if (strcasecmp(l->text + l->c[i].id, id) == 0)
            return l->text + l->c[i].code;
    }
    return NULL;
}

/* sdmx_get_fn: the observation's component, else its series', else its
 * data set's. */
static const char *get_comp(void *ctx, const char *id)
{
    const struct xread *rd = ctx;
    const char *code = NULL;

    for (int l = LVL_OBS; l >= LVL_DS && !code; l--)
        code = level_get(&rd->lv[l], id);
    return code;
}

/* 1 when id is one of the mapping's measures. */
static int is_measure(const struct sdmx_map *m, const char *id)
{
    if (!m->measures)
        return strcasecmp(id, "OBS_VALUE") == 0;
    for (size_t i = 0; i < m->n_measures; i++) {
        if (strcasecmp(m->measures[i], id) == 0)
            return 1;
    }
    return 0;
}

/* ---- libxml2 ---- */

static const char *local_name(xmlTextReaderPtr x)
{
    const xmlChar *n = xmlTextReaderConstLocalName(x);

    return n ? (const char *)n : "";
}

/* An attribute of the current element by (unqualified) name, copied into
 * buf; NULL when absent. */
static const char *attr(xmlTextReaderPtr x, const char *name, char *buf, size_t size)
{
    xmlChar *v = xmlTextReaderGetAttribute(x, (const xmlChar *)name);

    if (!v)
        return NULL;
    snprintf(buf, size, "%s", (const char *)v);
    xmlFree(v);
    return buf;
}

/* The element's text (for DataSetAction, Text), copied into buf. */
static void element_text(xmlTextReaderPtr x, char *buf, size_t size)
{
    xmlChar *v = xmlTextReaderReadString(x);

    snprintf(buf, size, "%s", v ? (const char *)v : "");
    xmlFree(v);
    /* trim blanks around the text */
    size_t n = strlen(buf), s = 0;
    while (n > 0 && strchr(" \t\r\n", buf[n - 1]))
        buf[--n] = '\0';
    while (buf[s] && strchr(" \t\r\n", buf[s]))
        s++;
    memmove(buf, buf + s, n - s + 1);
}

/* The data set's attributes that are not components. */
static int dataset_own_attribute(const char *name)
{
    static const char *const names[] = {
        "action",           "structureRef",  "setID",       "dataScope",       "reportingBeginDate",
        "reportingEndDate", "validFromDate", "validToDate", "publicationYear", "publicationPeriod",
        "dataProviderID",   "type",          NULL};

    for (size_t i = 0; names[i]; i++) {
        if (strcmp(names[i], name) == 0)
            return 1;
    }
    return 0;
}

/*
 * The current element's XML attributes without a namespace, as components
 * of level l (StructureSpecific). dim says which are dimensions: -1 by the
 * known-attribute list (and never the period or a measure), 0 none.
 */
static int element_comps(struct xread *rd, int l, int dim)
{
    xmlTextReaderPtr x = rd->x;
    int rc = 0;

    if (xmlTextReaderHasAttributes(x) != 1)
        return 0;
    while (rc == 0 && xmlTextReaderMoveToNextAttribute(x) == 1) {
        const char *name = local_name(x);
        const xmlChar *v = xmlTextReaderConstValue(x);
        if (xmlTextReaderIsNamespaceDecl(x) == 1 || xmlTextReaderConstNamespaceUri(x) ||
            (l == LVL_DS && dataset_own_attribute(name)))
            continue;
        int d = dim < 0 && !sdmx_known_attribute(name) && !is_measure(&rd->r->map, name) &&
                strcasecmp(name, rd->r->map.period_dim) != 0;
        rc = level_add(&rd->lv[l], name, v ? (const char *)v : "", d);
    }
    xmlTextReaderMoveToElement(x);
    return rc;
}

/* ---- Records ---- */

/* A struct format_raw builder: {"series": {...}, "observation": {...}}. */
static int obs_raw_build(const void *arg, char *text)
{
    const struct xread *rd = arg;
    static const char *const keys[LVL_COUNT] = {"dataSet", "series", "observation"};
    json_t *obj = json_object();
    int rc = -ENOMEM;

    if (!obj)
        return -ENOMEM;
    for (int l = LVL_SERIES; l < LVL_COUNT; l++) {
        const struct level *lv = &rd->lv[l];
        json_t *o = json_object();
        if (!o || json_object_set_new(obj, keys[l], o) < 0)
            goto out;
        for (size_t i = 0; i < lv->n; i++) {
            json_t *s =
                json_stringn_nocheck(lv->text + lv->c[i].code, strlen(lv->text + lv->c[i].code));
            if (json_object_set_new_nocheck(o, lv->text + lv->c[i].id, s) < 0)
                goto out;
        }
    }
    rc = format_raw_json(obj, text);
out:
    json_decref(obj);
    return rc;
}

/* Makes room for need bytes in rd->comps. Returns 0 or -ENOMEM. */
static int comps_reserve(struct xread *rd, size_t need)
{
    size_t cap = rd->comps_cap ? rd->comps_cap : 256;
    char *p;

    if (need <= rd->comps_cap)
        return 0;
    while (cap < need)
        cap *= 2;
    if (!(p = realloc(rd->comps, cap)))
        return -ENOMEM;
    rd->comps = p;
    rd->comps_cap = cap;
    return 0;
}

/* Appends "ID=CODE\x1f" for each dimension of level l the mapping does not
 * read. Returns 0 or -ENOMEM. */
static int comps_append(struct xread *rd, int l, size_t *n)
{
    const struct level *lv = &rd->lv[l];

    for (size_t i = 0; i < lv->n; i++) {
        const char *id = lv->text + lv->c[i].id, *code = lv->text + lv->c[i].code;
        if (!lv->c[i].dim || sdmx_map_reads(&rd->r->map, id))
            continue;
        if (comps_reserve(rd, *n + strlen(id) + strlen(code) + 3) < 0)
            return -ENOMEM;
        *n += (size_t)sprintf(rd->comps + *n, "%s=%s\x1f", id, code);
    }
    return 0;
}

/* The collapse check for a record with unit and indicator (cached per
 * series while they stay the same): 0, 1 with the note in rd->seen_text,
 * -EOVERFLOW or -ENOMEM. */
static int collapse_note(struct xread *rd, const char *unit, const char *ind, long pos)
{
    size_t n = 0;
    int obs_dims = 0;

    for (size_t i = 0; i < rd->lv[LVL_OBS].n; i++)
        obs_dims |= rd->lv[LVL_OBS].c[i].dim;
    if (!obs_dims && rd->seen_serial == rd->series_serial && strcmp(rd->seen_unit, unit) == 0 &&
        strcmp(rd->seen_ind, ind) == 0)
        return rd->seen_rc;
    rd->comps_ok = 0;
    rd->seen_serial = -1;
    if (comps_append(rd, LVL_DS, &n) < 0 || comps_append(rd, LVL_SERIES, &n) < 0 ||
        comps_append(rd, LVL_OBS, &n) < 0 || comps_reserve(rd, n + 1) < 0)
        return -ENOMEM; /* not the check skipped */
    rd->comps[n] = '\0';
    rd->comps_ok = 1;
    rd->seen_rc =
        sdmx_seen_check(rd->seen, unit, ind, rd->comps, pos, rd->seen_text, sizeof(rd->seen_text));
    if (rd->seen_rc < 0)
        return rd->seen_rc;
    rd->seen_serial = obs_dims ? -1 : rd->series_serial;
    snprintf(rd->seen_unit, sizeof(rd->seen_unit), "%s", unit);
    snprintf(rd->seen_ind, sizeof(rd->seen_ind), "%s", ind);
    return rd->seen_rc;
}

/*
 * Reports the current observation, once per measure (all_periods: the
 * current series, listed in a Delete data set without observations).
 */
static int emit(struct xread *rd, int all_periods)
{
    const struct sdmx_map *m = &rd->r->map;
    const char *missing = NULL;
    long pos = ++rd->pos;
    int pass = sdmx_map_filter(m, get_comp, rd, &missing);

    if (pass == 0)
        return 0;
    for (size_t i = 0; i < m->n_measures; i++) {
        const char *measure = m->measures ? m->measures[i] : "OBS_VALUE";
        struct format_scratch s;
        struct format_record rec = {.position = pos, .action = rd->action};
        char unit[SDMX_CODE_MAX + 1], ind[SDMX_CODE_MAX + 1];
        struct format_raw raw;
        int rc;

        format_raw_attach(&rec, &raw, obs_raw_build, rd);
        if (pass < 0)
            format_problem(&rec, &s, "filter: no dimension \"%s\"", missing);
        sdmx_map_codes(m, get_comp, rd, measure, unit, ind, &rec, &s);
        rec.unit = unit;
        rec.indicator = ind;
        rec.all_periods = all_periods;
        rec.period_raw = "";
        if (!all_periods)
            sdmx_record_period(m, &rec, &s, get_comp(rd, m->period_dim), get_comp(rd, "FREQ"));
        if (rd->action == SDMX_ACTION_STORE) {
            const char *v = get_comp(rd, measure);
            /* SDMX 3.0 replaces whole observations: a measure a Replace
             * leaves out is deleted, one a Merge leaves out is kept as it is
             * (NaN is a value: intentionally missing) */
            if (!v && rd->v3 && !rd->replace)
                continue;
            if (!v && rd->v3) {
                rec.action = FORMAT_ACTION_DELETE;
            } else if (!v || strcmp(v, "NaN") == 0) {
                rec.missing = 1; /* SDMX-ML leaves the value out, or writes NaN */
            } else {
                format_record_value_text(&rec, &s, m->values, v);
                sdmx_record_attrs(&rec, &s, m->cm->keep_decimals ? NULL : get_comp(rd, "DECIMALS"),
                                  get_comp(rd, "UNIT_MULT"));
            }
            sdmx_record_status(m, &rec, &s, get_comp(rd, m->status_attr));
        }
        if (!rec.problem) {
            if ((rc = collapse_note(rd, unit, ind, pos)) < 0)
                return rc;
            rec.collapsed = rc > 0 ? rd->seen_text : NULL;
            rec.unmapped = rd->comps_ok ? rd->comps : NULL;
        }
        if ((rc = rd->cb(&rec, rd->ctx)) != 0)
            return rc;
    }
    return 0;
}

/* ---- Elements ---- */

/* Reads a data set's action (its attribute, else the header's). */
static int dataset_start(struct xread *rd, char *err, size_t errsize)
{
    char buf[64];
    const char *a = NULL;
    xmlTextReaderPtr x = rd->x;

    /* "action" with or without a namespace prefix (data:action in 2.1 SS) */
    if (xmlTextReaderHasAttributes(x) == 1) {
        while (!a && xmlTextReaderMoveToNextAttribute(x) == 1) {
            const xmlChar *v = xmlTextReaderConstValue(x);
            if (strcmp(local_name(x), "action") == 0 && v) {
                snprintf(buf, sizeof(buf), "%s", (const char *)v);
                a = buf;
            }
        }
        xmlTextReaderMoveToElement(x);
    }
    for (int l = LVL_DS; l < LVL_COUNT; l++)
        level_clear(&rd->lv[l]);
    rd->in_dataset = 1;
    rd->action = a                        ? sdmx_action_parse(a)
                 : rd->header_action >= 0 ? rd->header_action
                                          : SDMX_ACTION_STORE;
    rd->replace = a ? strcmp(a, "Replace") == 0 : rd->header_replace;
    if (rd->action < 0) {
        format_err(err, errsize,
                   "DataSet action \"%.32s\": expected Replace, Append, Merge, Information or "
                   "Delete",
                   a);
        return -EBADMSG;
    }
    return rd->generic ? 0 : element_comps(rd, LVL_DS, 0);
}

/*
 * Adds a component from the current element's attributes to level l: its
 * id is the attribute "id" (or, when id_attr is 0 or it is absent, id), its
 * code the attribute "value" ("" when absent and empty_ok, else nothing is
 * added). Codes are taken whole, whatever their length. Returns 0 or a
 * negative errno.
 */
static int add_from_attrs(struct xread *rd, int l, int id_attr, const char *id, int empty_ok,
                          int dim)
{
    xmlChar *xid = id_attr ? xmlTextReaderGetAttribute(rd->x, BAD_CAST "id") : NULL;
    xmlChar *xv = xmlTextReaderGetAttribute(rd->x, BAD_CAST "value");
    int rc = 0;

    if (xid)
        id = (const char *)xid;
    if (id && (xv || empty_ok))
        rc = level_add(&rd->lv[l], id, xv ? (const char *)xv : "", dim);
    xmlFree(xid);
    xmlFree(xv);
    return rc;
}

/* A generic <Value id= value=/>: into the key level as a dimension, or the
 * attributes level as an attribute. */
static int generic_value(struct xread *rd)
{
    int l = rd->key_level >= 0 ? rd->key_level : rd->attrs_level;

    return l < 0 ? 0 : add_from_attrs(rd, l, 1, NULL, 1, rd->key_level >= 0);
}

/* A start tag inside a data set. Returns 0, 1 when the element is complete
 * (empty) and handled, or a negative errno. */
static int data_element(struct xread *rd, const char *name, int empty)
{
    int rc = 0;

    if (strcmp(name, "Series") == 0) {
        level_clear(&rd->lv[LVL_SERIES]);
        level_clear(&rd->lv[LVL_OBS]);
        rd->in_series = 1;
        rd->series_obs = 0;
        rd->series_serial++;
        if (!rd->generic && (rc = element_comps(rd, LVL_SERIES, -1)) < 0)
            return rc;
        if (empty) {
            rd->in_series = 0;
            return rd->action == SDMX_ACTION_DELETE ? emit(rd, 1) : 0;
        }
    } else if (strcmp(name, "Obs") == 0) {
        level_clear(&rd->lv[LVL_OBS]);
        rd->series_obs++;
        if (!rd->in_series)
            rd->series_serial++; /* an observation without series stands alone */
        if (!rd->generic && (rc = element_comps(rd, LVL_OBS, rd->in_series ? 0 : -1)) < 0)
            return rc;
        if (empty)
            return emit(rd, 0);
        rd->in_obs = 1;
    } else if (strcmp(name, "SeriesKey") == 0 && !empty) {
        rd->key_level = LVL_SERIES;
    } else if (strcmp(name, "ObsKey") == 0 && !empty) {
        rd->key_level = LVL_OBS;
    } else if (strcmp(name, "Attributes") == 0 && !empty) {
        rd->attrs_level = rd->in_obs ? LVL_OBS : rd->in_series ? LVL_SERIES : LVL_DS;
    } else if (strcmp(name, "Value") == 0) {
        return generic_value(rd);
    } else if (strcmp(name, "ObsDimension") == 0) {
        rc = add_from_attrs(rd, LVL_OBS, 1, rd->r->map.period_dim, 0, 0);
    } else if (strcmp(name, "ObsValue") == 0) {
        rc = add_from_attrs(rd, LVL_OBS, 0, "OBS_VALUE", 0, 0);
    } else if (strcmp(name, "Group") == 0 && !empty) {
        if (xmlTextReaderNext(rd->x) < 0) {
            rd->xml_failed = 1; /* said by libxml2, or by read_all() */
            return -EBADMSG;
        }
        return 2; /* skipped */
    }
    return rc;
}

/* An end tag inside a data set. */
static int data_end(struct xread *rd, const char *name)
{
    if (strcmp(name, "Obs") == 0) {
        int rc = emit(rd, 0);
        rd->in_obs = 0;
        level_clear(&rd->lv[LVL_OBS]);
        return rc;
    }
    if (strcmp(name, "Series") == 0) {
        rd->in_series = 0;
        level_clear(&rd->lv[LVL_OBS]);
        return rd->action == SDMX_ACTION_DELETE && rd->series_obs == 0 ? emit(rd, 1) : 0;
    }
    if (strcmp(name, "SeriesKey") == 0 || strcmp(name, "ObsKey") == 0)
        rd->key_level = -1;
    else if (strcmp(name, "Attributes") == 0)
        rd->attrs_level = -1;
    else if (strcmp(name, "DataSet") == 0)
        rd->in_dataset = 0;
    return 0;
}

/* Error messages and footers: <ErrorMessage code=> / <Message code=
 * severity=> with <Text>. Keeps the first error's text. */
static void error_element(struct xread *rd, const char *name, int in_error)
{
    char code[64], sev[32], text[400];

    if (strcmp(name, "ErrorMessage") == 0 || (rd->in_footer && strcmp(name, "Message") == 0)) {
        if (!attr(rd->x, "code", code, sizeof(code)))
            snprintf(code, sizeof(code), "?");
        if (!attr(rd->x, "severity", sev, sizeof(sev)))
            snprintf(sev, sizeof(sev), "%s", in_error ? "Error" : "Information");
        if (!rd->refused && strcasecmp(sev, "Error") == 0) {
            snprintf(rd->message, sizeof(rd->message), "%s %s",
                     in_error ? "error" : "footer: error", code);
            rd->refused = 1;
        }
    } else if (strcmp(name, "Text") == 0 && rd->refused == 1) {
        size_t n = strlen(rd->message);
        element_text(rd->x, text, sizeof(text));
        snprintf(rd->message + n, sizeof(rd->message) - n, ": %s", text);
        rd->refused = 2; /* the first text only */
    }
}

static int is_data_root(const char *name)
{
    return strcmp(name, "GenericData") == 0 || strcmp(name, "GenericTimeSeriesData") == 0 ||
           strcmp(name, "StructureSpecificData") == 0 ||
           strcmp(name, "StructureSpecificTimeSeriesData") == 0;
}

/* The message's root element: a data message, or an error message. */
static int root_element(struct xread *rd, const char *name, int *in_error, char *err,
                        size_t errsize)
{
    if (strcmp(name, "Error") == 0) {
        *in_error = 1;
        return 0;
    }
    if (!is_data_root(name)) {
        format_err(err, errsize, "root element <%.64s>: not an SDMX-ML data message", name);
        return -EBADMSG;
    }
    rd->generic = strncmp(name, "Generic", 7) == 0;
    /* SDMX 3.0: .../sdmxml/schemas/v3_0/message (3.1: v3_1) */
    const xmlChar *ns = xmlTextReaderConstNamespaceUri(rd->x);
    rd->v3 = ns && strstr((const char *)ns, "/schemas/v3_") != NULL;
    return 0;
}

/* One start tag. Returns 0, 2 when its subtree was skipped, or an error. */
static int start_element(struct xread *rd, int depth, int *in_error, char *err, size_t errsize)
{
    const char *name = local_name(rd->x);
    int empty = xmlTextReaderIsEmptyElement(rd->x) == 1;
    char text[64];

    if (depth == 0)
        return root_element(rd, name, in_error, err, errsize);
    if (*in_error || rd->in_footer) {
        error_element(rd, name, *in_error);
        return 0;
    }
    if (strcmp(name, "Footer") == 0) {
        rd->in_footer = !empty;
        return 0;
    }
    if (strcmp(name, "DataSetAction") == 0 && !rd->in_dataset) {
        element_text(rd->x, text, sizeof(text));
        rd->header_replace = strcmp(text, "Replace") == 0;
        if ((rd->header_action = sdmx_action_parse(text)) < 0) {
            format_err(err, errsize,
                       "Header DataSetAction \"%.32s\": expected Replace, Append, Merge, "
                       "Information or Delete",
                       text);
            return -EBADMSG;
        }
        return 0;
    }
    if (strcmp(name, "DataSet") == 0 && depth == 1) {
        int rc = dataset_start(rd, err, errsize);
        if (rc == 0 && empty)
            rd->in_dataset = 0;
        return rc;
    }
    if (!rd->in_dataset)
        return 0;
    return data_element(rd, name, empty);
}

static int read_all(struct xread *rd, char *err, size_t errsize)
{
    int in_error = 0, rc = 0, ret;

    while (rc >= 0 && (ret = xmlTextReaderRead(rd->x)) == 1) {
        int type = xmlTextReaderNodeType(rd->x);
        int depth = xmlTextReaderDepth(rd->x);
        if (type == XML_READER_TYPE_DOCUMENT_TYPE) {
            format_err(err, errsize, "a DOCTYPE is not allowed in an SDMX-ML message");
            return -EBADMSG;
        }
        if (type == XML_READER_TYPE_ELEMENT)
            rc = start_element(rd, depth, &in_error, err, errsize);
        else if (type == XML_READER_TYPE_END_ELEMENT && strcmp(local_name(rd->x), "Footer") == 0)
            rd->in_footer = 0;
        else if (type == XML_READER_TYPE_END_ELEMENT && rd->in_dataset)
            rc = data_end(rd, local_name(rd->x));
        if (rc == 2)
            rc = 0;
        if (rc != 0)
            break;
    }
    if (rc < 0 && sdmx_seen_refused(rd->seen)) {
        format_err(err, errsize, "collapse check: %s", sdmx_seen_refused(rd->seen));
        return -EBADMSG;
    }
    if (rc == -ENOMEM || rc == -E2BIG) {
        format_err(err, errsize, "%s",
                   rc == -ENOMEM ? "out of memory" : "a series or observation over 1 MiB");
        return -EBADMSG;
    }
    if (rc != 0 && !rd->xml_failed)
        return rc; /* an error with its text, or the callback's return */
    if (rd->xml_failed || ret < 0 || rd->xml.msg[0]) {
        format_err(err, errsize, "%s", rd->xml.msg[0] ? rd->xml.msg : "XML not well-formed");
        return -EBADMSG;
    }
    if (rd->refused || in_error) {
        format_err(err, errsize, "%s", rd->refused ? rd->message : "error message");
        return -EBADMSG;
    }
    return 0;
}

static int sdmxml_read(struct format *fmt, const char *buf, size_t len, format_record_cb cb,
                       void *ctx, char *err, size_t errsize)
{
    struct xread rd = {.r = fmt->priv,
                       .cb = cb,
                       .ctx = ctx,
                       .header_action = -1,
                       .key_level = -1,
                       .attrs_level = -1,
                       .seen_serial = -1};
    int rc;

    if (len > (size_t)INT32_MAX) {
        format_err(err, errsize, "payload over 2 GiB");
        return -EBADMSG;
    }
    if (!(rd.seen = sdmx_seen_new(0))) {
        format_err(err, errsize, "out of memory");
        return -ENOMEM;
    }
    /* no network, no entity substitution, no DTD loading */
    rd.x = xmlReaderForMemory(buf, (int)len, NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOWARNING);
    if (!rd.x) {
        sdmx_seen_free(rd.seen);
        format_err(err, errsize, "out of memory");
        return -ENOMEM;
    }
    xml_errors_begin(&rd.xml, rd.x);
    rc = read_all(&rd, err, errsize);
    xml_errors_end(&rd.xml);
    xmlFreeTextReader(rd.x);
    for (int l = 0; l < LVL_COUNT; l++)
        level_free(&rd.lv[l]);
    free(rd.comps);
    sdmx_seen_free(rd.seen);
    return rc;
}

const struct format_ops format_sdmxml_ops = {
    .name = "sdmxml",
    .init = sdmxml_init,
    .fini = sdmxml_fini,
    .read = sdmxml_read,
};
