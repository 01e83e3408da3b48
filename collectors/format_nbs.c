/*
 * format_nbs.c - the "nbs" reader: query results of the National Bureau of
 * Statistics (data.stats.gov.cn "easyquery").
 *
 * Each returndata.datanodes[] element carries its coordinates in "wds"
 * (wdcode "zb" = indicator, "sj" = period, "reg" = region) or, when "wds" is
 * absent, in its "code" ("zb.A01_reg.110000_sj.202301"), and its value in
 * data: {"data": 123.4, "dotcount": 1, "hasdata": true, "strdata": "123.4"}.
 * hasdata:false means "not published" (data is then 0, which must not be
 * taken as a value). dotcount is the number of decimals NBS publishes: data
 * is rounded to it (a binary 6.199999 is the published 6.2), and a strdata
 * that disagrees with the rounded number is a problem, not a guess.
 * Periods: 202301 (month), 2023A..2023D (quarters 1..4), 2023 (year).
 * Monthly releases cover January and February together, so a February value
 * without a January one is normal; the reader reports what is there.
 * mapping.indicator {"const": CODE} names the indicator of a query for one
 * indicator: "zb" is then not needed, and a node whose zb differs from the
 * payload's first one is a problem (two indicators never share one code).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/format_priv.h"

struct nbs_reader {
    const char *unit;      /* mapping.unit's constant, used when a node has no "reg" */
    const char *indicator; /* mapping.indicator's constant, or NULL: the node's "zb" */
    const struct config_value_opts *values; /* NULL: the defaults */
};

static int nbs_init(struct format *fmt, char *err, size_t errsize)
{
    struct nbs_reader *r = calloc(1, sizeof(*r));

    if (!r) {
        format_err(err, errsize, "out of memory");
        return -ENOMEM;
    }
    r->unit = fmt->mapping ? fmt->mapping->unit.constant : NULL;
    r->indicator = fmt->mapping ? fmt->mapping->indicator.constant : NULL;
    r->values = fmt->mapping ? &fmt->mapping->values : NULL;
    fmt->priv = r;
    return 0;
}

static void nbs_fini(void *priv)
{
    free(priv);
}

/* The valuecode of the wds entry with wdcode code, or NULL. */
static const char *wd_value(json_t *wds, const char *code)
{
    size_t i;
    json_t *wd;

    json_array_foreach(wds, i, wd)
    {
        json_t *c = json_object_get(wd, "wdcode");
        json_t *v = json_object_get(wd, "valuecode");
        if (json_is_string(c) && strcmp(json_string_value(c), code) == 0 && json_is_string(v))
            return json_string_value(v);
    }
    return NULL;
}

/* Coordinates from a node's "code" when it has no "wds": segments
 * "WDCODE.VALUE" joined by '_' ("zb.A01_reg.110000_sj.202301"). A segment
 * starts at the beginning or after a '_' followed by lowercase letters and a
 * '.', so a value may itself hold '_' or '.'. Writes the value of wdcode into
 * out (size bytes) and returns it, or NULL when absent or too long. */
static const char *code_value(const char *code, const char *wdcode, char *out, size_t size)
{
    size_t wlen = strlen(wdcode);
    const char *p = code;

    while (p && *p) {
        const char *val, *end;
        size_t k = 0;
        while (p[k] >= 'a' && p[k] <= 'z')
            k++;
        if (k == 0 || p[k] != '.') {
            p = strchr(p, '_');
            p = p ? p + 1 : NULL;
            continue;
        }
        val = p + k + 1;
        /* the value ends before the next "_letters." */
        for (end = strchr(val, '_'); end; end = strchr(end + 1, '_')) {
            size_t j = 1;
            while (end[j] >= 'a' && end[j] <= 'z')
                j++;
            if (j > 1 && end[j] == '.')
                break;
        }
        if (!end)
            end = val + strlen(val);
        if (k == wlen && memcmp(p, wdcode, wlen) == 0) {
            if ((size_t)(end - val) >= size || end == val)
                return NULL;
            memcpy(out, val, (size_t)(end - val));
            out[end - val] = '\0';
            return out;
        }
        p = *end ? end + 1 : NULL;
    }
    return NULL;
}

/* NBS quarters: 2023A..2023D are 2023-Q1..Q4; other forms as format_period_parse(). */
static void nbs_period(struct format_record *rec, struct format_scratch *s, const char *sj)
{
    size_t n = sj ? strlen(sj) : 0;

    if (n == 5 && sj[4] >= 'A' && sj[4] <= 'D') {
        char text[8];
        memcpy(text, sj, 4);
        memcpy(text + 4, "-Q", 2);
        text[6] = (char)('1' + (sj[4] - 'A'));
        text[7] = '\0';
        if (format_period_parse(text, &rec->period) == 0) {
            rec->period_raw = sj;
            rec->period_ok = 1;
            return;
        }
    }
    format_record_period(rec, s, sj);
}

/* Rounds rec->value to data.dotcount decimals (0..15) when given, and checks
 * it against a non-empty strdata. */
static void apply_dotcount(struct format_record *rec, struct format_scratch *s,
                           const struct config_value_opts *opts, json_t *data)
{
    json_t *dc = json_object_get(data, "dotcount");
    json_t *str = json_object_get(data, "strdata");
    char text[400], reason[128];
    double published;

    if (dc && !json_is_integer(dc)) {
        format_problem(rec, s, "data.dotcount: expected an integer");
        rec->value_ok = 0;
        return;
    }
    if (json_is_integer(dc)) {
        json_int_t d = json_integer_value(dc);
        if (d < 0 || d > 15) {
            format_problem(rec, s, "data.dotcount: %" JSON_INTEGER_FORMAT " is not 0..15", d);
            rec->value_ok = 0;
            return;
        }
        /* printf rounds the exact binary value to d decimals; strtod then
         * gives the double nearest that decimal, as if it had been written. */
        if (fabs(rec->value) < 1e300) {
            snprintf(text, sizeof(text), "%.*f", (int)d, rec->value);
            rec->value = strtod(text, NULL);
        }
    }
    if (json_is_string(str) && json_string_value(str)[0] &&
        format_parse_value(json_string_value(str), strlen(json_string_value(str)), opts, &published,
                           reason, sizeof(reason)) == FORMAT_VALUE_OK &&
        published != rec->value) {
        format_problem(rec, s, "data.data %.17g and strdata \"%.40s\" disagree", rec->value,
                       json_string_value(str));
        rec->value_ok = 0;
    }
}

/* The value: hasdata:false is missing; otherwise data.data (rounded to
 * dotcount decimals), or strdata. */
static void nbs_value(struct format_record *rec, struct format_scratch *s,
                      const struct config_value_opts *opts, json_t *data)
{
    json_t *has = json_object_get(data, "hasdata");
    json_t *num = json_object_get(data, "data");
    json_t *str = json_object_get(data, "strdata");

    if (!json_is_object(data)) {
        format_problem(rec, s, "data: expected an object");
    } else if (json_is_false(has)) {
        rec->missing = 1;
    } else if (json_is_number(num)) {
        format_record_value_json(rec, s, opts, num);
        if (rec->value_ok)
            apply_dotcount(rec, s, opts, data);
    } else if (json_is_string(str)) {
        format_record_value_text(rec, s, opts, json_string_value(str));
    } else {
        format_problem(rec, s, "data: no data.data number");
    }
}

/* With an indicator constant: the node's zb must be the payload's first
 * one (first_zb, size bytes; first_pos its node, 0 until one is seen). */
static void check_const_zb(struct format_record *rec, struct format_scratch *s, const char *zb,
                           char *first_zb, size_t size, long *first_pos)
{
    if (!zb)
        return;
    if (*first_pos == 0) {
        if (strlen(zb) >= size) {
            format_problem(rec, s, "zb \"%.40s...\": longer than %zu bytes", zb, size - 1);
            return;
        }
        memcpy(first_zb, zb, strlen(zb) + 1);
        *first_pos = rec->position;
    } else if (strcmp(zb, first_zb) != 0) {
        format_problem(rec, s,
                       "zb \"%.40s\" differs from \"%.40s\" at node %ld, and the mapping's "
                       "indicator {\"const\"} stands for one indicator",
                       zb, first_zb, *first_pos);
    }
}

static int emit_node(const struct nbs_reader *r, json_t *node, long pos, char *first_zb,
                     long *first_pos, format_record_cb cb, void *ctx)
{
    struct format_scratch s;
    struct format_record rec = {.position = pos, .unit = "", .indicator = "", .period_raw = ""};
    json_t *wds = json_object_get(node, "wds");
    json_t *code = json_object_get(node, "code");
    const char *zb, *reg, *sj;
    char zb_buf[64], reg_buf[64], sj_buf[32];
    struct format_raw raw; /* the node's text, built only if asked for */

    format_raw_attach(&rec, &raw, format_raw_json, node);
    if (!wds && json_is_string(code)) {
        /* no "wds": the coordinates are in "code" */
        const char *c = json_string_value(code);
        zb = code_value(c, "zb", zb_buf, sizeof(zb_buf));
        reg = code_value(c, "reg", reg_buf, sizeof(reg_buf));
        sj = code_value(c, "sj", sj_buf, sizeof(sj_buf));
        if (!zb && !r->indicator)
            format_problem(&rec, &s, "code: no \"zb.\" (indicator) in \"%.60s\"", c);
        else if (!sj)
            format_problem(&rec, &s, "code: no \"sj.\" (period) in \"%.60s\"", c);
    } else {
        zb = wd_value(wds, "zb");
        reg = wd_value(wds, "reg");
        sj = wd_value(wds, "sj");
        if (!json_is_array(wds))
            format_problem(&rec, &s, "wds: %s",
                           wds ? "expected an array" : "not found (and no \"code\")");
        else if (!zb && !r->indicator)
            format_problem(&rec, &s, "wds: no \"zb\" (indicator)");
        else if (!sj)
            format_problem(&rec, &s, "wds: no \"sj\" (period)");
    }
    rec.indicator = zb ? zb : "";
    if (r->indicator) {
        check_const_zb(&rec, &s, zb, first_zb, 64, first_pos);
        rec.indicator = r->indicator;
    }
    /* no region and no constant: "" lets the collector use the unit the
     * request was made for (a per-unit URL) */
    rec.unit = reg ? reg : r->unit ? r->unit : "";
    nbs_period(&rec, &s, sj);
    nbs_value(&rec, &s, r->values, json_object_get(node, "data"));
    return cb(&rec, ctx);
}

static int nbs_read(struct format *fmt, const char *buf, size_t len, format_record_cb cb, void *ctx,
                    char *err, size_t errsize)
{
    json_t *root = NULL, *code, *nodes;
    char first_zb[64] = ""; /* with an indicator constant: the first node's zb */
    long first_pos = 0;
    size_t i;
    int rc = format_json_load(buf, len, &root, err, errsize);

    if (rc < 0)
        return rc;
    code = json_object_get(root, "returncode");
    nodes = format_pointer_get(root, "/returndata/datanodes");
    if (!json_is_integer(code) || json_integer_value(code) != 200) {
        json_t *msg = json_object_get(root, "returndata");
        if (json_is_integer(code))
            format_err(err, errsize, "returncode %" JSON_INTEGER_FORMAT "%s%.200s",
                       json_integer_value(code), json_is_string(msg) ? ": " : "",
                       json_is_string(msg) ? json_string_value(msg) : "");
        else
            format_err(err, errsize, "/returncode: %s", code ? "expected an integer" : "not found");
        rc = -EBADMSG;
    } else if (!json_is_array(nodes)) {
        format_err(err, errsize, "/returndata/datanodes: %s",
                   nodes ? "expected an array" : "not found");
        rc = -EBADMSG;
    }
    for (i = 0; rc == 0 && i < json_array_size(nodes); i++)
        rc = emit_node(fmt->priv, json_array_get(nodes, i), (long)i + 1, first_zb, &first_pos, cb,
                       ctx);
    json_decref(root);
    return rc;
}

const struct format_ops format_nbs_ops = {
    .name = "nbs",
    .init = nbs_init,
    .fini = nbs_fini,
    .read = nbs_read,
};
