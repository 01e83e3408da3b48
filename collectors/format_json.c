/*
 * format_json.c - the "json" reader: records found by a declarative mapping
 * of JSON Pointers (RFC 6901).
 *
 * Long layout: one array element per (unit, indicator, period, value).
 * Wide layout: one element per unit, with one member per indicator, mapped by
 * name in "fields". unit, indicator and period may be constants instead.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/format_priv.h"

struct json_reader {
    int wide;            /* 1: "layout": "wide" */
    const char *records; /* pointer to the record array ("" = root) */
    struct format_field unit;
    struct format_field indicator; /* long layout only */
    struct format_field period;
    struct format_field value; /* long layout only; never a constant */
    json_t *fields;            /* wide layout: indicator name -> pointer (borrowed) */
};

static const char *const long_keys[] = {"layout", "records", "unit", "indicator",
                                        "period", "value",   NULL};
static const char *const wide_keys[] = {"layout", "records", "unit", "period", "fields", NULL};

static int parse_mapping(struct json_reader *r, json_t *m, char *err, size_t errsize)
{
    json_t *layout = json_object_get(m, "layout");
    json_t *records = json_object_get(m, "records");
    int rc;

    if (layout && (!json_is_string(layout) || (strcmp(json_string_value(layout), "long") != 0 &&
                                               strcmp(json_string_value(layout), "wide") != 0))) {
        format_err(err, errsize, "mapping.layout: expected \"long\" or \"wide\"");
        return -EINVAL;
    }
    r->wide = layout && strcmp(json_string_value(layout), "wide") == 0;
    if ((rc = format_check_keys(m, "mapping", r->wide ? wide_keys : long_keys, err, errsize)) < 0)
        return rc;
    r->records = "";
    if (records) {
        struct format_field f;
        if ((rc = format_field_parse(records, "mapping.records", FORMAT_FIELD_POINTER, 0, &f, err,
                                     errsize)) < 0)
            return rc;
        r->records = f.path;
    }
    /* no unit: the collector uses the unit the request was made for */
    if ((json_object_get(m, "unit") &&
         (rc = format_field_parse(json_object_get(m, "unit"), "mapping.unit", FORMAT_FIELD_POINTER,
                                  1, &r->unit, err, errsize)) < 0) ||
        (rc = format_field_parse(json_object_get(m, "period"), "mapping.period",
                                 FORMAT_FIELD_POINTER, 1, &r->period, err, errsize)) < 0)
        return rc;
    if (r->wide) {
        r->fields = json_object_get(m, "fields");
        return format_fields_parse(r->fields, FORMAT_FIELD_POINTER, err, errsize);
    }
    if ((rc = format_field_parse(json_object_get(m, "indicator"), "mapping.indicator",
                                 FORMAT_FIELD_POINTER, 1, &r->indicator, err, errsize)) < 0)
        return rc;
    return format_field_parse(json_object_get(m, "value"), "mapping.value", FORMAT_FIELD_POINTER, 0,
                              &r->value, err, errsize);
}

static int json_init(struct format *fmt, json_t *mapping, char *err, size_t errsize)
{
    struct json_reader *r;
    int rc;

    if (!mapping) {
        format_err(err, errsize, "mapping: required for format \"json\"");
        return -EINVAL;
    }
    r = calloc(1, sizeof(*r));
    if (!r) {
        format_err(err, errsize, "out of memory");
        return -ENOMEM;
    }
    rc = parse_mapping(r, mapping, err, errsize);
    if (rc < 0) {
        free(r);
        return rc;
    }
    fmt->priv = r;
    return 0;
}

static void json_fini(void *priv)
{
    free(priv);
}

/* The text of a mapped field in item, or NULL with a problem on rec. */
static const char *field_text(const struct format_field *f, const char *name, json_t *item,
                              char *buf, size_t size, struct format_record *rec,
                              struct format_scratch *s)
{
    json_t *v;
    const char *text;

    if (!f->path)
        return f->constant ? f->constant : ""; /* a constant, or an unmapped unit */
    v = format_pointer_get(item, f->path);
    text = format_json_text(v, buf, size);
    if (!text && v)
        format_problem(rec, s, "%s at \"%.80s\": expected a string or an integer", name, f->path);
    else if (!text)
        format_problem(rec, s, "%s: no \"%.80s\" in record", name, f->path);
    return text;
}

/* Fills unit, indicator (long layout: ind not NULL) and period, in that order. */
static void common_fields(const struct json_reader *r, const struct format_field *ind, json_t *item,
                          struct format_record *rec, struct format_scratch *s)
{
    const char *unit = field_text(&r->unit, "unit", item, s->unit, sizeof(s->unit), rec, s);
    const char *text = NULL;

    rec->unit = unit ? unit : "";
    if (ind) {
        text = field_text(ind, "indicator", item, s->indicator, sizeof(s->indicator), rec, s);
        rec->indicator = text ? text : "";
    }
    text = field_text(&r->period, "period", item, s->period, sizeof(s->period), rec, s);
    format_record_period(rec, s, text);
}

static int read_long(const struct json_reader *r, json_t *item, long pos, format_record_cb cb,
                     void *ctx)
{
    struct format_scratch s;
    struct format_raw raw; /* the item's text, built only if asked for */
    struct format_record rec = {.position = pos};
    json_t *v;

    format_raw_attach(&rec, &raw, format_raw_json, item);
    common_fields(r, &r->indicator, item, &rec, &s);
    v = format_pointer_get(item, r->value.path);
    if (v)
        format_record_value_json(&rec, &s, v);
    else
        format_problem(&rec, &s, "value: no \"%.80s\" in record", r->value.path);
    return cb(&rec, ctx);
}

/* One record per mapped indicator; a member the unit's object lacks is "missing". */
static int read_wide(const struct json_reader *r, json_t *item, long pos, format_record_cb cb,
                     void *ctx)
{
    struct format_scratch s;
    struct format_raw raw; /* shared by the item's records: built at most once */
    struct format_record base = {.position = pos};
    const char *name;
    json_t *ptr;
    int rc = 0;

    format_raw_attach(&base, &raw, format_raw_json, item);
    common_fields(r, NULL, item, &base, &s);
    json_object_foreach(r->fields, name, ptr)
    {
        struct format_record rec = base;
        json_t *v = format_pointer_get(item, json_string_value(ptr));

        rec.indicator = name;
        if (v) {
            format_record_value_json(&rec, &s, v);
        } else {
            rec.missing = 1;
        }
        if ((rc = cb(&rec, ctx)) != 0)
            break;
    }
    return rc;
}

static int json_read(struct format *fmt, const char *buf, size_t len, format_record_cb cb,
                     void *ctx, char *err, size_t errsize)
{
    const struct json_reader *r = fmt->priv;
    json_t *root = NULL, *records;
    int rc = format_json_load(buf, len, &root, err, errsize);

    if (rc < 0)
        return rc;
    records = format_pointer_get(root, r->records);
    if (!json_is_array(records)) {
        format_err(err, errsize, "%s: %s", r->records[0] ? r->records : "(root)",
                   records ? "expected an array" : "not found");
        rc = -EBADMSG;
        goto out;
    }
    for (size_t i = 0; i < json_array_size(records) && rc == 0; i++) {
        json_t *item = json_array_get(records, i);
        long pos = (long)i + 1;
        rc = r->wide ? read_wide(r, item, pos, cb, ctx) : read_long(r, item, pos, cb, ctx);
    }
out:
    json_decref(root);
    return rc;
}

const struct format_ops format_json_ops = {
    .name = "json",
    .init = json_init,
    .fini = json_fini,
    .read = json_read,
};
