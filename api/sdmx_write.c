/*
 * sdmx_write.c - an SDMX data answer written while the client reads it:
 * SDMX-ML 2.1 Generic and StructureSpecific (libxml2's xmlTextWriter into
 * the stream's buffer), SDMX-JSON 1.0 and 2.0 data messages and SDMX-CSV 1.0
 * and 2.0.
 *
 * libmicrohttpd asks for the body a block at a time (sdmx_stream_read(), on
 * its I/O thread, when the client's socket can take more); each time the
 * buffer is empty the stream reads the next rows from its cursor and writes
 * about STREAM_CHUNK bytes of them. So the memory an answer holds is the
 * chunk and the cursor's statement, whatever the number of rows, and a slow
 * client only delays its own rows: nothing waits for it but its socket.
 *
 * SDMX-JSON names the codes of a key by their position in the structure's
 * lists of values; the structure is written after the data sets, with each
 * dimension's and attribute's values in the order of their first use, so
 * the codes are numbered as they come (the only memory that grows: one entry
 * per distinct code).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlwriter.h>
#include <microhttpd.h>

#include "api/sdmx_data.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "store/store.h"

/* Bytes written per refill (the answer is handed over in MHD's blocks). */
#define STREAM_CHUNK ((size_t)64 << 10)

#define NS_MESSAGE "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message"
#define NS_COMMON  "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common"
#define NS_GENERIC "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/generic"
#define NS_SS      "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/structurespecific"
#define NS_XSI     "http://www.w3.org/2001/XMLSchema-instance"
#define JSON2_SCHEMA                                                                               \
    "https://raw.githubusercontent.com/sdmx-twg/sdmx-json/v2.0.0/data-message/tools/schemas/"      \
    "2.0.0/sdmx-json-data-schema.json"

/* The media type of each format (see sdmx_data.h). */
const char *sdmx_format_type(enum sdmx_format fmt)
{
    switch (fmt) {
    case SDMX_FMT_SS:
        return "application/vnd.sdmx.structurespecificdata+xml; version=2.1; charset=utf-8";
    case SDMX_FMT_JSON1:
        return "application/vnd.sdmx.data+json; version=1.0.0; charset=utf-8";
    case SDMX_FMT_JSON2:
        return "application/vnd.sdmx.data+json; version=2.0.0; charset=utf-8";
    case SDMX_FMT_CSV1:
        return "application/vnd.sdmx.data+csv; version=1.0.0; charset=utf-8";
    case SDMX_FMT_CSV2:
        return "application/vnd.sdmx.data+csv; version=2.0.0; charset=utf-8";
    case SDMX_FMT_GENERIC:
    default:
        return "application/vnd.sdmx.genericdata+xml; version=2.1; charset=utf-8";
    }
}

/* ---- codes numbered in order of first use (SDMX-JSON) ---- */

struct intern {
    char **items; /* by number */
    size_t n, cap;
    size_t *slots; /* open addressing: number + 1, 0 empty */
    size_t nslots;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static int intern_grow(struct intern *t)
{
    size_t ns = t->nslots ? t->nslots * 2 : 64;
    size_t *slots = calloc(ns, sizeof(*slots));
    if (!slots)
        return -ENOMEM;
    for (size_t i = 0; i < t->n; i++) {
        size_t j = (size_t)hash_str(t->items[i]) & (ns - 1);
        while (slots[j])
            j = (j + 1) & (ns - 1);
        slots[j] = i + 1;
    }
    free(t->slots);
    t->slots = slots;
    t->nslots = ns;
    return 0;
}

/* The number of s in t, adding it when new; -1 when out of memory. */
static long intern_get(struct intern *t, const char *s)
{
    if (2 * (t->n + 1) > t->nslots && intern_grow(t) < 0)
        return -1;
    size_t j = (size_t)hash_str(s) & (t->nslots - 1);
    while (t->slots[j]) {
        if (strcmp(t->items[t->slots[j] - 1], s) == 0)
            return (long)(t->slots[j] - 1);
        j = (j + 1) & (t->nslots - 1);
    }
    char *copy = strdup(s);
    if (!copy || buf_grow(&t->items, &t->cap, t->n + 1, sizeof(*t->items), BUF_UNCAPPED) < 0) {
        free(copy);
        return -1;
    }
    t->items[t->n] = copy;
    t->slots[j] = ++t->n;
    return (long)(t->n - 1);
}

static void intern_free(struct intern *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->items[i]);
    free(t->items);
    free(t->slots);
    memset(t, 0, sizeof(*t));
}

/* ---- the stream ---- */

#define MAX_DIMS  4 /* time included */
#define MAX_ATTRS 4

struct sdmx_stream {
    struct sdmx_flow flow;
    struct sdmx_opts o;
    struct store *st;
    struct store_sdmx_cursor *cur;
    struct store_sdmx_row row; /* the row at hand when have_row */
    int have_row;
    struct buf out; /* written, not yet handed over from out_pos */
    size_t out_pos;
    int begun, done, failed;
    int in_dataset, in_series;
    int64_t dataset;
    long nsets, nseries, nobs;   /* in the message, the data set, the series */
    char *key_unit, *key_series; /* the open series */
    char id[40], prepared[40];
    xmlTextWriterPtr w;                             /* SDMX-ML */
    struct intern dims[MAX_DIMS], attrs[MAX_ATTRS]; /* SDMX-JSON */
    size_t ndims;                                   /* flow dims + time */
};

static int is_ml(const struct sdmx_stream *s)
{
    return s->o.fmt == SDMX_FMT_GENERIC || s->o.fmt == SDMX_FMT_SS;
}

static int is_json(const struct sdmx_stream *s)
{
    return s->o.fmt == SDMX_FMT_JSON1 || s->o.fmt == SDMX_FMT_JSON2;
}

static int with_attrs(const struct sdmx_stream *s)
{
    return s->o.detail == SDMX_DETAIL_FULL || s->o.detail == SDMX_DETAIL_NODATA;
}

static int with_obs(const struct sdmx_stream *s)
{
    return s->o.detail == SDMX_DETAIL_FULL || s->o.detail == SDMX_DETAIL_DATAONLY;
}

/* Flat: every dimension on the observation (AllDimensions), only while
 * observations are written at all. */
static int flat(const struct sdmx_stream *s)
{
    return s->o.all_dims && with_obs(s);
}

/* xmlTextWriter's output: into the stream's buffer. */
static int xml_write(void *ctx, const char *p, int len)
{
    struct sdmx_stream *s = ctx;
    return buf_add(&s->out, p, (size_t)len) < 0 ? -1 : len;
}

static int xml_close(void *ctx)
{
    (void)ctx;
    return 0;
}

/* The value of dimension i (time: i == ndims) of row r in SDMX. */
static const char *dim_value(const struct sdmx_stream *s, const struct store_sdmx_row *r, size_t i,
                             char *buf, size_t size)
{
    if (i == s->flow.ndims)
        return sdmx_period(r->period, buf, size);
    if (i == 0)
        return r->unit;
    if (i == 1)
        return r->series;
    /* FREQ */
    char f = r->freq && r->freq[0] ? r->freq[0] : sdmx_period_freq(r->period);
    buf[0] = sdmx_freq_of_store(f);
    buf[1] = '\0';
    return buf[0] ? buf : "";
}

/* The value of attribute i of row r, or NULL when it has none. */
static const char *attr_value(const struct sdmx_stream *s, const struct store_sdmx_row *r, size_t i,
                              char *buf, size_t size)
{
    const char *id = s->flow.attrs[i].id;

    if (r->action == STORE_SDMX_DELETE)
        return NULL;
    if (strcmp(id, "UNIT_MEASURE") == 0)
        return r->measure && r->measure[0] ? r->measure : NULL;
    if (strcmp(id, "DECIMALS") == 0) {
        snprintf(buf, size, "%d", r->decimals);
        return r->decimals >= 0 ? buf : NULL;
    }
    if (strcmp(id, "OBS_STATUS") == 0)
        return r->status && r->status[0] ? sdmx_status_code(r->status, buf, size) : NULL;
    if (strcmp(id, "RANK") == 0) {
        snprintf(buf, size, "%ld", r->rank);
        return r->has_rank ? buf : NULL;
    }
    if (strcmp(id, "RANK_CHANGE") == 0) {
        snprintf(buf, size, "%ld", r->rank_change);
        return r->has_rank_change ? buf : NULL;
    }
    snprintf(buf, size, "%ld", r->flags); /* FLAGS */
    return buf;
}

/* The observation value as text: 15 significant digits like the JSON API;
 * NULL when missing. */
static const char *obs_value(const struct store_sdmx_row *r, char *buf, size_t size)
{
    if (!r->has_value || r->action == STORE_SDMX_DELETE || !isfinite(r->value))
        return NULL;
    snprintf(buf, size, "%.15g", r->value);
    return buf;
}

static const char *dataset_action(const struct sdmx_stream *s, const struct store_sdmx_row *r)
{
    if (r->action == STORE_SDMX_DELETE)
        return "Delete";
    return s->o.incremental ? "Replace" : "Information";
}

/* ---- text helpers ---- */

static void json_str(struct buf *b, const char *v)
{
    buf_add(b, "\"", 1);
    for (const char *p = v; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\') {
            buf_add(b, "\\", 1);
            buf_add(b, p, 1);
        } else if (c < 0x20) {
            buf_printf(b, "\\u%04x", c);
        } else {
            buf_add(b, p, 1);
        }
    }
    buf_add(b, "\"", 1);
}

static void csv_field(struct buf *b, const char *v)
{
    if (!v)
        return;
    if (!strpbrk(v, ",\"\r\n")) {
        buf_addstr(b, v);
        return;
    }
    buf_add(b, "\"", 1);
    for (const char *q; (q = strchr(v, '"')); v = q + 1) {
        buf_add(b, v, (size_t)(q - v) + 1);
        buf_add(b, "\"", 1);
    }
    buf_addstr(b, v);
    buf_add(b, "\"", 1);
}

#define X(s) BAD_CAST(s)

/* ---- SDMX-ML ---- */

static void ml_begin(struct sdmx_stream *s)
{
    xmlTextWriterPtr w = s->w;
    int ss = s->o.fmt == SDMX_FMT_SS;
    char sid[SDMX_ID_MAX + 32], urn[SDMX_ID_MAX + 128];
    const char *dao = flat(s) ? "AllDimensions" : SDMX_TIME_DIM;

    snprintf(sid, sizeof(sid), "%s_%s_1_0", SDMX_AGENCY, s->flow.dsd);
    snprintf(urn, sizeof(urn),
             "urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure=%s:%s(%s):ObsLevelDim:%s",
             SDMX_AGENCY, s->flow.dsd, SDMX_VERSION, dao);
    xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL);
    xmlTextWriterStartElement(w, X(ss ? "message:StructureSpecificData" : "message:GenericData"));
    xmlTextWriterWriteAttribute(w, X("xmlns:message"), X(NS_MESSAGE));
    xmlTextWriterWriteAttribute(w, X("xmlns:common"), X(NS_COMMON));
    if (ss) {
        xmlTextWriterWriteAttribute(w, X("xmlns:ss"), X(NS_SS));
        xmlTextWriterWriteAttribute(w, X("xmlns:ns1"), X(urn));
        xmlTextWriterWriteAttribute(w, X("xmlns:xsi"), X(NS_XSI));
    } else {
        xmlTextWriterWriteAttribute(w, X("xmlns:generic"), X(NS_GENERIC));
    }
    xmlTextWriterStartElement(w, X("message:Header"));
    xmlTextWriterWriteElement(w, X("message:ID"), X(s->id));
    xmlTextWriterWriteElement(w, X("message:Test"), X("false"));
    xmlTextWriterWriteElement(w, X("message:Prepared"), X(s->prepared));
    xmlTextWriterStartElement(w, X("message:Sender"));
    xmlTextWriterWriteAttribute(w, X("id"), X(SDMX_AGENCY));
    xmlTextWriterEndElement(w);
    xmlTextWriterStartElement(w, X("message:Structure"));
    xmlTextWriterWriteAttribute(w, X("structureID"), X(sid));
    if (ss)
        xmlTextWriterWriteAttribute(w, X("namespace"), X(urn));
    xmlTextWriterWriteAttribute(w, X("dimensionAtObservation"), X(dao));
    xmlTextWriterStartElement(w, X("common:Structure"));
    xmlTextWriterStartElement(w, X("Ref"));
    xmlTextWriterWriteAttribute(w, X("agencyID"), X(SDMX_AGENCY));
    xmlTextWriterWriteAttribute(w, X("id"), X(s->flow.dsd));
    xmlTextWriterWriteAttribute(w, X("version"), X(SDMX_VERSION));
    xmlTextWriterEndElement(w); /* Ref */
    xmlTextWriterEndElement(w); /* common:Structure */
    xmlTextWriterEndElement(w); /* message:Structure */
    xmlTextWriterEndElement(w); /* message:Header */
}

static void ml_dataset(struct sdmx_stream *s, const struct store_sdmx_row *r)
{
    xmlTextWriterPtr w = s->w;
    int ss = s->o.fmt == SDMX_FMT_SS;
    char sid[SDMX_ID_MAX + 32], t[40];

    snprintf(sid, sizeof(sid), "%s_%s_1_0", SDMX_AGENCY, s->flow.dsd);
    xmlTextWriterStartElement(w, X("message:DataSet"));
    if (ss) {
        xmlTextWriterWriteAttribute(w, X("ss:structureRef"), X(sid));
        xmlTextWriterWriteAttribute(w, X("xsi:type"), X("ns1:DataSetType"));
        xmlTextWriterWriteAttribute(w, X("ss:dataScope"), X("DataStructure"));
        xmlTextWriterWriteAttribute(w, X("ss:action"), X(dataset_action(s, r)));
    } else {
        xmlTextWriterWriteAttribute(w, X("structureRef"), X(sid));
        xmlTextWriterWriteAttribute(w, X("action"), X(dataset_action(s, r)));
    }
    if (r->valid_from && time_format_iso(r->valid_from, t, sizeof(t)) > 0)
        xmlTextWriterWriteAttribute(w, X(ss ? "ss:validFromDate" : "validFromDate"), X(t));
}

/* A Generic <generic:Value id= value=/>. */
static void gvalue(xmlTextWriterPtr w, const char *id, const char *value)
{
    xmlTextWriterStartElement(w, X("generic:Value"));
    xmlTextWriterWriteAttribute(w, X("id"), X(id));
    xmlTextWriterWriteAttribute(w, X("value"), X(value));
    xmlTextWriterEndElement(w);
}

/* The attributes of level (or every attribute: all) of r as Generic values
 * or StructureSpecific XML attributes. */
static void ml_attrs(struct sdmx_stream *s, const struct store_sdmx_row *r, int all,
                     enum sdmx_level level)
{
    char buf[64];
    int open = 0;

    if (!with_attrs(s))
        return;
    for (size_t i = 0; i < s->flow.nattrs; i++) {
        if (!all && s->flow.attrs[i].level != level)
            continue;
        const char *v = attr_value(s, r, i, buf, sizeof(buf));
        if (!v)
            continue;
        if (s->o.fmt == SDMX_FMT_SS) {
            xmlTextWriterWriteAttribute(s->w, X(s->flow.attrs[i].id), X(v));
            continue;
        }
        if (!open++)
            xmlTextWriterStartElement(s->w, X("generic:Attributes"));
        gvalue(s->w, s->flow.attrs[i].id, v);
    }
    if (open)
        xmlTextWriterEndElement(s->w);
}

static void ml_series(struct sdmx_stream *s, const struct store_sdmx_row *r)
{
    xmlTextWriterPtr w = s->w;
    char buf[16];

    if (s->o.fmt == SDMX_FMT_SS) {
        xmlTextWriterStartElement(w, X("Series"));
        for (size_t i = 0; i < s->flow.ndims; i++)
            xmlTextWriterWriteAttribute(w, X(s->flow.dims[i].id),
                                        X(dim_value(s, r, i, buf, sizeof(buf))));
        ml_attrs(s, r, 0, SDMX_LEVEL_SERIES);
        return;
    }
    xmlTextWriterStartElement(w, X("generic:Series"));
    xmlTextWriterStartElement(w, X("generic:SeriesKey"));
    for (size_t i = 0; i < s->flow.ndims; i++)
        gvalue(w, s->flow.dims[i].id, dim_value(s, r, i, buf, sizeof(buf)));
    xmlTextWriterEndElement(w);
    ml_attrs(s, r, 0, SDMX_LEVEL_SERIES);
}

static void ml_obs(struct sdmx_stream *s, const struct store_sdmx_row *r)
{
    xmlTextWriterPtr w = s->w;
    char buf[16], vbuf[40];
    const char *v = obs_value(r, vbuf, sizeof(vbuf));
    int deleted = r->action == STORE_SDMX_DELETE;

    if (!v)
        v = "NaN"; /* SDMX-ML's missing value */
    if (s->o.fmt == SDMX_FMT_SS) {
        xmlTextWriterStartElement(w, X("Obs"));
        for (size_t i = 0; flat(s) && i < s->flow.ndims; i++)
            xmlTextWriterWriteAttribute(w, X(s->flow.dims[i].id),
                                        X(dim_value(s, r, i, buf, sizeof(buf))));
        xmlTextWriterWriteAttribute(w, X(SDMX_TIME_DIM),
                                    X(dim_value(s, r, s->flow.ndims, buf, sizeof(buf))));
        if (!deleted)
            xmlTextWriterWriteAttribute(w, X(SDMX_MEASURE), X(v));
        ml_attrs(s, r, flat(s), SDMX_LEVEL_OBS);
        xmlTextWriterEndElement(w);
        return;
    }
    xmlTextWriterStartElement(w, X("generic:Obs"));
    if (flat(s)) {
        xmlTextWriterStartElement(w, X("generic:ObsKey"));
        for (size_t i = 0; i <= s->flow.ndims; i++)
            gvalue(w, i < s->flow.ndims ? s->flow.dims[i].id : SDMX_TIME_DIM,
                   dim_value(s, r, i, buf, sizeof(buf)));
        xmlTextWriterEndElement(w);
    } else {
        xmlTextWriterStartElement(w, X("generic:ObsDimension"));
        xmlTextWriterWriteAttribute(w, X("value"),
                                    X(dim_value(s, r, s->flow.ndims, buf, sizeof(buf))));
        xmlTextWriterEndElement(w);
    }
    if (!deleted) {
        xmlTextWriterStartElement(w, X("generic:ObsValue"));
        xmlTextWriterWriteAttribute(w, X("value"), X(v));
        xmlTextWriterEndElement(w);
    }
    ml_attrs(s, r, flat(s), SDMX_LEVEL_OBS);
    xmlTextWriterEndElement(w);
}

/* ---- SDMX-JSON ---- */

static void json_begin(struct sdmx_stream *s)
{
    struct buf *b = &s->out;

    if (s->o.fmt == SDMX_FMT_JSON2) {
        buf_addstr(b, "{\"meta\":{\"schema\":\"" JSON2_SCHEMA "\",\"id\":");
        json_str(b, s->id);
        buf_addstr(b, ",\"test\":false,\"prepared\":");
        json_str(b, s->prepared);
        buf_addstr(b, ",\"contentLanguages\":[\"en\"],\"sender\":{\"id\":\"" SDMX_AGENCY
                      "\"}},\"data\":{\"dataSets\":[");
        return;
    }
    buf_addstr(b, "{\"header\":{\"id\":");
    json_str(b, s->id);
    buf_addstr(b, ",\"test\":false,\"prepared\":");
    json_str(b, s->prepared);
    buf_addstr(b, ",\"sender\":{\"id\":\"" SDMX_AGENCY "\"}},\"dataSets\":[");
}

static void json_dataset(struct sdmx_stream *s, const struct store_sdmx_row *r)
{
    struct buf *b = &s->out;
    char t[40];

    buf_addstr(b, s->nsets ? ",{" : "{");
    if (s->o.fmt == SDMX_FMT_JSON2)
        buf_addstr(b, "\"structure\":0,");
    buf_printf(b, "\"action\":\"%s\"", dataset_action(s, r));
    if (r->valid_from && time_format_iso(r->valid_from, t, sizeof(t)) > 0)
        buf_printf(b, ",\"validFrom\":\"%s\"", t);
    buf_addstr(b, flat(s) ? ",\"observations\":{" : ",\"series\":{");
}

/* The number of value v of component t, written; -ENOMEM stops the stream. */
static int json_index(struct sdmx_stream *s, struct intern *t, const char *v)
{
    long i = intern_get(t, v);
    if (i < 0) {
        s->out.err = -ENOMEM;
        return -1;
    }
    buf_printf(&s->out, "%ld", i);
    return 0;
}

/* "a:b:c" of r's dimensions (with time when flat). */
static void json_key(struct sdmx_stream *s, const struct store_sdmx_row *r, size_t n)
{
    char buf[16];
    buf_add(&s->out, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_add(&s->out, ":", 1);
        json_index(s, &s->dims[i], dim_value(s, r, i, buf, sizeof(buf)));
    }
    buf_add(&s->out, "\"", 1);
}

/* ,a1,a2 of the attributes of level (all: every one), null for none. */
static void json_attr_list(struct sdmx_stream *s, const struct store_sdmx_row *r, int all,
                           enum sdmx_level level, int comma_first)
{
    char buf[64];
    int n = 0;

    for (size_t i = 0; i < s->flow.nattrs; i++) {
        if (!all && s->flow.attrs[i].level != level)
            continue;
        if (n++ || comma_first)
            buf_add(&s->out, ",", 1);
        const char *v = attr_value(s, r, i, buf, sizeof(buf));
        if (v)
            json_index(s, &s->attrs[i], v);
        else
            buf_addstr(&s->out, "null");
    }
}

static void json_series(struct sdmx_stream *s, const struct store_sdmx_row *r)
{
    if (s->nseries)
        buf_add(&s->out, ",", 1);
    json_key(s, r, s->flow.ndims);
    buf_addstr(&s->out, ":{");
    if (with_attrs(s)) {
        buf_addstr(&s->out, "\"attributes\":[");
        json_attr_list(s, r, 0, SDMX_LEVEL_SERIES, 0);
        buf_addstr(&s->out, "],");
    }
    buf_addstr(&s->out, "\"observations\":{");
}

static void json_obs(struct sdmx_stream *s, const struct store_sdmx_row *r)
{
    char vbuf[40], buf[16];
    const char *v = obs_value(r, vbuf, sizeof(vbuf));

    if (flat(s) ? s->nseries : s->nobs)
        buf_add(&s->out, ",", 1);
    if (flat(s)) {
        json_key(s, r, s->flow.ndims + 1);
    } else {
        buf_add(&s->out, "\"", 1);
        json_index(s, &s->dims[s->flow.ndims], dim_value(s, r, s->flow.ndims, buf, sizeof(buf)));
        buf_add(&s->out, "\"", 1);
    }
    buf_printf(&s->out, ":[%s", v ? v : "null");
    if (with_attrs(s))
        json_attr_list(s, r, flat(s), SDMX_LEVEL_OBS, 1);
    buf_add(&s->out, "]", 1);
}

/* One component of the structure: id, name and its values in order of use. */
static void json_component(struct sdmx_stream *s, const char *id, long key_pos, int time,
                           const struct intern *t, int first)
{
    struct buf *b = &s->out;
    int v2 = s->o.fmt == SDMX_FMT_JSON2;

    buf_addstr(b, first ? "{\"id\":" : ",{\"id\":");
    json_str(b, id);
    buf_addstr(b, v2 ? ",\"names\":{\"en\":" : ",\"name\":");
    json_str(b, id);
    if (v2)
        buf_add(b, "}", 1);
    if (key_pos >= 0)
        buf_printf(b, ",\"keyPosition\":%ld", key_pos);
    if (time)
        buf_addstr(b, v2 ? ",\"roles\":[\"TIME_PERIOD\"]" : ",\"role\":\"time\"");
    buf_addstr(b, ",\"values\":[");
    for (size_t i = 0; i < t->n; i++) {
        buf_addstr(b, i ? ",{\"id\":" : "{\"id\":");
        json_str(b, t->items[i]);
        if (!v2) {
            buf_addstr(b, ",\"name\":");
            json_str(b, t->items[i]);
        }
        buf_add(b, "}", 1);
    }
    buf_addstr(b, "]}");
}

/* The structure, after the data sets: the values in order of first use. */
static void json_end(struct sdmx_stream *s)
{
    struct buf *b = &s->out;
    int v2 = s->o.fmt == SDMX_FMT_JSON2;
    size_t nd = s->flow.ndims;

    buf_addstr(b, "]");
    buf_addstr(b, v2 ? ",\"structures\":[{" : ",\"structure\":{");
    buf_printf(b, "\"urn\":\"urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=%s:%s(%s)\",",
               SDMX_AGENCY, s->flow.id, SDMX_VERSION);
    buf_addstr(b, v2 ? "\"names\":{\"en\":" : "\"name\":");
    json_str(b, s->flow.id);
    buf_addstr(b, v2 ? "}," : ",");
    buf_addstr(b, "\"dimensions\":{\"dataSet\":[],\"series\":[");
    int first = 1;
    for (size_t i = 0; !flat(s) && i < nd; i++, first = 0)
        json_component(s, s->flow.dims[i].id, (long)i, 0, &s->dims[i], first);
    buf_addstr(b, "],\"observation\":[");
    first = 1;
    for (size_t i = 0; flat(s) && i < nd; i++, first = 0)
        json_component(s, s->flow.dims[i].id, (long)i, 0, &s->dims[i], first);
    json_component(s, SDMX_TIME_DIM, (long)nd, 1, &s->dims[nd], first);
    buf_addstr(b, "]},\"attributes\":{\"dataSet\":[],\"series\":[");
    first = 1;
    for (size_t i = 0; with_attrs(s) && !flat(s) && i < s->flow.nattrs; i++)
        if (s->flow.attrs[i].level == SDMX_LEVEL_SERIES) {
            json_component(s, s->flow.attrs[i].id, -1, 0, &s->attrs[i], first);
            first = 0;
        }
    buf_addstr(b, "],\"observation\":[");
    first = 1;
    for (size_t i = 0; with_attrs(s) && i < s->flow.nattrs; i++)
        if (flat(s) || s->flow.attrs[i].level == SDMX_LEVEL_OBS) {
            json_component(s, s->flow.attrs[i].id, -1, 0, &s->attrs[i], first);
            first = 0;
        }
    buf_addstr(b, "]}");
    if (v2)
        buf_addstr(b, ",\"measures\":{\"dataSet\":[],\"observation\":[{\"id\":\"" SDMX_MEASURE
                      "\",\"names\":{\"en\":\"" SDMX_MEASURE "\"}}]},\"dataSets\":[0]}]}}");
    else
        buf_addstr(b, "}}");
}

/* ---- SDMX-CSV ---- */

static void csv_header(struct sdmx_stream *s)
{
    struct buf *b = &s->out;

    buf_addstr(b, s->o.fmt == SDMX_FMT_CSV2 ? "STRUCTURE,STRUCTURE_ID,ACTION" : "DATAFLOW");
    for (size_t i = 0; i < s->flow.ndims; i++)
        buf_printf(b, ",%s", s->flow.dims[i].id);
    if (with_obs(s))
        buf_addstr(b, "," SDMX_TIME_DIM "," SDMX_MEASURE);
    for (size_t i = 0; with_attrs(s) && i < s->flow.nattrs; i++)
        if (with_obs(s) || s->flow.attrs[i].level == SDMX_LEVEL_SERIES)
            buf_printf(b, ",%s", s->flow.attrs[i].id);
    buf_addstr(b, "\r\n");
}

/* One row: an observation (with_obs) or a series key with its attributes. */
static void csv_row(struct sdmx_stream *s, const struct store_sdmx_row *r)
{
    struct buf *b = &s->out;
    char buf[64];

    if (s->o.fmt == SDMX_FMT_CSV2)
        buf_printf(b, "dataflow,%s:%s(%s),%s", SDMX_AGENCY, s->flow.id, SDMX_VERSION,
                   r->action == STORE_SDMX_DELETE ? "D"
                   : s->o.incremental             ? "R"
                                                  : "I");
    else
        buf_printf(b, "%s:%s(%s)", SDMX_AGENCY, s->flow.id, SDMX_VERSION);
    for (size_t i = 0; i < s->flow.ndims; i++) {
        buf_add(b, ",", 1);
        csv_field(b, dim_value(s, r, i, buf, sizeof(buf)));
    }
    if (with_obs(s)) {
        buf_add(b, ",", 1);
        csv_field(b, dim_value(s, r, s->flow.ndims, buf, sizeof(buf)));
        buf_add(b, ",", 1);
        csv_field(b, obs_value(r, buf, sizeof(buf)));
    }
    for (size_t i = 0; with_attrs(s) && i < s->flow.nattrs; i++)
        if (with_obs(s) || s->flow.attrs[i].level == SDMX_LEVEL_SERIES) {
            buf_add(b, ",", 1);
            csv_field(b, attr_value(s, r, i, buf, sizeof(buf)));
        }
    buf_addstr(b, "\r\n");
}

/* ---- events ---- */

static void begin_message(struct sdmx_stream *s)
{
    if (is_ml(s))
        ml_begin(s);
    else if (is_json(s))
        json_begin(s);
    else
        csv_header(s);
}

static void end_series(struct sdmx_stream *s)
{
    if (!s->in_series)
        return;
    s->in_series = 0;
    s->nseries++;
    if (is_ml(s))
        xmlTextWriterEndElement(s->w);
    else if (is_json(s))
        buf_addstr(&s->out, "}}");
}

static void end_dataset(struct sdmx_stream *s)
{
    end_series(s);
    if (!s->in_dataset)
        return;
    s->in_dataset = 0;
    s->nsets++;
    if (is_ml(s))
        xmlTextWriterEndElement(s->w);
    else if (is_json(s))
        buf_addstr(&s->out, "}}");
}

static void begin_dataset(struct sdmx_stream *s, const struct store_sdmx_row *r)
{
    end_dataset(s);
    s->in_dataset = 1;
    s->dataset = r->dataset;
    s->nseries = 0;
    if (is_ml(s))
        ml_dataset(s, r);
    else if (is_json(s))
        json_dataset(s, r);
}

static int begin_series(struct sdmx_stream *s, const struct store_sdmx_row *r)
{
    end_series(s);
    free(s->key_unit);
    free(s->key_series);
    s->key_unit = strdup(r->unit ? r->unit : "");
    s->key_series = strdup(r->series ? r->series : "");
    if (!s->key_unit || !s->key_series)
        return -ENOMEM;
    s->in_series = 1;
    s->nobs = 0;
    if (is_ml(s))
        ml_series(s, r);
    else if (is_json(s))
        json_series(s, r);
    else if (!with_obs(s))
        csv_row(s, r);
    return 0;
}

static void write_obs(struct sdmx_stream *s, const struct store_sdmx_row *r)
{
    if (is_ml(s))
        ml_obs(s, r);
    else if (is_json(s))
        json_obs(s, r);
    else
        csv_row(s, r);
    if (flat(s))
        s->nseries++; /* JSON: observations of the data set, for the commas */
    else
        s->nobs++;
}

static void end_message(struct sdmx_stream *s)
{
    end_dataset(s);
    if (is_ml(s))
        xmlTextWriterEndDocument(s->w);
    else if (is_json(s))
        json_end(s);
}

static int same_series(const struct sdmx_stream *s, const struct store_sdmx_row *r)
{
    return s->in_series && strcmp(s->key_unit, r->unit ? r->unit : "") == 0 &&
           strcmp(s->key_series, r->series ? r->series : "") == 0;
}

/* Writes rows until about STREAM_CHUNK bytes wait or the answer ends. */
static int refill(struct sdmx_stream *s)
{
    while (s->out.len - s->out_pos < STREAM_CHUNK && !s->done) {
        if (!s->begun) {
            s->begun = 1;
            begin_message(s);
        }
        if (!s->have_row) {
            end_message(s);
            s->done = 1;
            break;
        }
        const struct store_sdmx_row *r = &s->row;
        if (!s->in_dataset || r->dataset != s->dataset)
            begin_dataset(s, r);
        if (!flat(s) && !same_series(s, r) && begin_series(s, r) < 0)
            return -ENOMEM;
        if (with_obs(s))
            write_obs(s, r);
        int rc = store_sdmx_next(s->cur, &s->row);
        if (rc < 0)
            return rc;
        s->have_row = rc == 1;
    }
    if (s->w && xmlTextWriterFlush(s->w) < 0 && !s->out.err)
        s->out.err = -EIO;
    return s->out.err;
}

/* MHD's content reader (see sdmx_data.h). */
ssize_t sdmx_stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct sdmx_stream *s = cls;
    (void)pos;

    if (s->failed)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    if (s->out_pos == s->out.len) {
        buf_reset(&s->out);
        s->out_pos = 0;
        if (s->done)
            return MHD_CONTENT_READER_END_OF_STREAM;
        int rc = refill(s);
        if (rc < 0) {
            /* The status line went out long ago: the client sees the
             * chunked body end without its last chunk. */
            log_err("api: SDMX answer %s cut short: %s", s->flow.id, strerror(-rc));
            s->failed = 1;
            return MHD_CONTENT_READER_END_WITH_ERROR;
        }
        if (s->out.len == 0)
            return MHD_CONTENT_READER_END_OF_STREAM;
    }
    size_t n = s->out.len - s->out_pos;
    if (n > max)
        n = max;
    memcpy(buf, s->out.p + s->out_pos, n);
    s->out_pos += n;
    return (ssize_t)n;
}

/* MHD's free callback (see sdmx_data.h). */
void sdmx_stream_free(void *cls)
{
    struct sdmx_stream *s = cls;
    if (!s)
        return;
    if (s->o.on_free)
        s->o.on_free(s->o.on_free_ctx);
    if (s->w)
        xmlFreeTextWriter(s->w);
    store_sdmx_close(&s->cur);
    store_close(&s->st);
    buf_free(&s->out);
    for (size_t i = 0; i < MAX_DIMS; i++)
        intern_free(&s->dims[i]);
    for (size_t i = 0; i < MAX_ATTRS; i++)
        intern_free(&s->attrs[i]);
    free(s->key_unit);
    free(s->key_series);
    free(s);
}

/* A stream over cur (see sdmx_data.h). */
int sdmx_stream_new(struct sdmx_stream **out, const struct sdmx_flow *f, const struct sdmx_opts *o,
                    struct store *st, struct store_sdmx_cursor *cur,
                    const struct store_sdmx_row *first)
{
    struct sdmx_stream *s = calloc(1, sizeof(*s));
    int64_t now = time_now_us();

    *out = NULL;
    if (!s) {
        store_sdmx_close(&cur);
        store_close(&st);
        if (o->on_free)
            o->on_free(o->on_free_ctx);
        return -ENOMEM;
    }
    s->flow = *f;
    s->o = *o;
    s->st = st;
    s->cur = cur;
    s->row = *first;
    s->have_row = 1;
    buf_init(&s->out, BUF_UNCAPPED - 1);
    snprintf(s->id, sizeof(s->id), "IREF%" PRId64, now);
    if (time_format_iso(now - now % 1000000, s->prepared, sizeof(s->prepared)) < 0)
        snprintf(s->prepared, sizeof(s->prepared), "1970-01-01T00:00:00Z");
    if (is_ml(s)) {
        xmlOutputBufferPtr ob = xmlOutputBufferCreateIO(xml_write, xml_close, s, NULL);
        if (!ob || !(s->w = xmlNewTextWriter(ob))) {
            if (ob)
                xmlOutputBufferClose(ob);
            sdmx_stream_free(s);
            return -ENOMEM;
        }
    }
    *out = s;
    return 0;
}

/* ---- error messages ---- */

/* An SDMX error message (see sdmx_data.h). */
int sdmx_error_body(enum sdmx_format fmt, int code, const char *msg, char **body, size_t *len,
                    const char **type)
{
    struct buf b;

    buf_init(&b, (size_t)1 << 16);
    if (fmt == SDMX_FMT_JSON1 || fmt == SDMX_FMT_JSON2) {
        buf_printf(&b, "{\"errors\":[{\"code\":%d,\"title\":", code);
        json_str(&b, msg);
        buf_addstr(&b, "}]}");
        *type = sdmx_format_type(fmt);
    } else if (fmt == SDMX_FMT_CSV1 || fmt == SDMX_FMT_CSV2) {
        buf_printf(&b, "%d %s\n", code, msg);
        *type = "text/plain; charset=utf-8";
    } else {
        xmlBufferPtr xb = xmlBufferCreate();
        xmlTextWriterPtr w = xb ? xmlNewTextWriterMemory(xb, 0) : NULL;
        char c[16];
        snprintf(c, sizeof(c), "%d", code);
        if (w) {
            xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL);
            xmlTextWriterStartElement(w, X("message:Error"));
            xmlTextWriterWriteAttribute(w, X("xmlns:message"), X(NS_MESSAGE));
            xmlTextWriterWriteAttribute(w, X("xmlns:common"), X(NS_COMMON));
            xmlTextWriterStartElement(w, X("message:ErrorMessage"));
            xmlTextWriterWriteAttribute(w, X("code"), X(c));
            xmlTextWriterStartElement(w, X("common:Text"));
            xmlTextWriterWriteAttribute(w, X("xml:lang"), X("en"));
            xmlTextWriterWriteString(w, X(msg));
            xmlTextWriterEndDocument(w);
            xmlFreeTextWriter(w);
            buf_add(&b, xmlBufferContent(xb), (size_t)xmlBufferLength(xb));
        } else {
            b.err = -ENOMEM;
        }
        if (xb)
            xmlBufferFree(xb);
        *type = "application/xml; charset=utf-8";
    }
    if (b.err) {
        buf_free(&b);
        return -ENOMEM;
    }
    *body = buf_take(&b, len);
    return *body ? 0 : -ENOMEM;
}
