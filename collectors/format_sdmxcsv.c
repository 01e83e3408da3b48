/*
 * format_sdmxcsv.c - the "sdmxcsv" reader: SDMX-CSV 1.0 (first column
 * DATAFLOW) and 2.0 (STRUCTURE, STRUCTURE_ID, optional ACTION), one
 * observation per row, every component a column named by its id (or
 * "ID: Name" when labels are given). libcsv in strict mode, row by row, so
 * memory does not grow with the file. The mapping is the one the other SDMX
 * readers use (format_sdmx.h), plus "delimiter".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <csv.h>

#include "collectors/format_sdmx.h"
#include "common/buf.h"

struct sdmxcsv_reader {
    struct sdmx_map map;
    char delim;
};

struct sdmxcsv_state {
    const struct sdmxcsv_reader *r;
    char **header; /* column ids */
    size_t nheader;
    char **row;
    size_t nrow, cap;
    int have_header;
    long line, row_line;
    long action_col; /* SDMX-CSV 2.0 ACTION column, or -1 */
    struct sdmx_seen *seen;
    char *comps;
    size_t comps_cap;
    format_record_cb cb;
    void *ctx;
    int rc;
};

static int sdmxcsv_init(struct format *fmt, char *err, size_t errsize)
{
    struct sdmxcsv_reader *r = calloc(1, sizeof(*r));
    int rc;

    if (!r) {
        format_err(err, errsize, "out of memory");
        return -ENOMEM;
    }
    if ((rc = sdmx_map_init(&r->map, fmt->mapping, "sdmxcsv", err, errsize)) < 0) {
        free(r);
        return rc;
    }
    r->delim = fmt->mapping->delimiter ? fmt->mapping->delimiter : ',';
    fmt->priv = r;
    return 0;
}

static void sdmxcsv_fini(void *priv)
{
    free(priv);
}

static void free_row(char **row, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(row[i]);
}

static void on_field(void *field, size_t len, void *data)
{
    struct sdmxcsv_state *st = data;
    char *copy;

    if (st->rc != 0)
        return;
    if (BUF_GROW(&st->row, &st->cap, st->nrow + 1, BUF_UNCAPPED) < 0 || !(copy = malloc(len + 1))) {
        st->rc = -ENOMEM;
        return;
    }
    if (len)
        memcpy(copy, field, len);
    copy[len] = '\0';
    st->row[st->nrow++] = copy;
}

/* The structure columns that are not components. */
static int structure_column(const char *id)
{
    return strcasecmp(id, "DATAFLOW") == 0 || strcasecmp(id, "STRUCTURE") == 0 ||
           strcasecmp(id, "STRUCTURE_ID") == 0 || strcasecmp(id, "ACTION") == 0;
}

/* The header row: ids ("FREQ: Frequency" is FREQ). */
static int take_header(struct sdmxcsv_state *st)
{
    st->header = st->row;
    st->nheader = st->nrow;
    st->row = NULL;
    st->nrow = st->cap = 0;
    st->have_header = 1;
    st->action_col = -1;
    for (size_t i = 0; i < st->nheader; i++) {
        char *colon = strchr(st->header[i], ':');
        if (colon && colon[1] == ' ')
            *colon = '\0';
        if (strcasecmp(st->header[i], "ACTION") == 0)
            st->action_col = (long)i;
    }
    return 0;
}

/* sdmx_get_fn: the row's field under column id. */
static const char *get_comp(void *arg, const char *id)
{
    const struct sdmxcsv_state *st = arg;

    for (size_t i = 0; i < st->nheader && i < st->nrow; i++) {
        if (strcasecmp(st->header[i], id) == 0)
            return st->row[i];
    }
    return NULL;
}

/* A struct format_raw builder: the row as {"COLUMN": "field", ...}. */
static int row_raw_build(const void *arg, char *text)
{
    const struct sdmxcsv_state *st = arg;
    json_t *obj = json_object();
    int rc = -ENOMEM;

    if (!obj)
        return -ENOMEM;
    for (size_t i = 0; i < st->nrow; i++) {
        const char *key = i < st->nheader ? st->header[i] : "";
        if (json_object_set_new(obj, key, json_stringn(st->row[i], strlen(st->row[i]))) < 0)
            goto out;
    }
    rc = format_raw_json(obj, text);
out:
    json_decref(obj);
    return rc;
}

/* The columns the mapping leaves out that are dimensions, as "ID=CODE\x1f". */
static int unmapped(struct sdmxcsv_state *st, size_t *n)
{
    const struct sdmx_map *m = &st->r->map;

    for (size_t i = 0; i < st->nheader && i < st->nrow; i++) {
        const char *id = st->header[i];
        if (structure_column(id) || sdmx_map_reads(m, id) || sdmx_known_attribute(id))
            continue;
        size_t need = *n + strlen(id) + strlen(st->row[i]) + 3;
        if (need > st->comps_cap) {
            size_t cap = st->comps_cap ? st->comps_cap * 2 : 256;
            while (cap < need)
                cap *= 2;
            char *p = realloc(st->comps, cap);
            if (!p)
                return -ENOMEM;
            st->comps = p;
            st->comps_cap = cap;
        }
        *n += (size_t)sprintf(st->comps + *n, "%s=%s\x1f", id, st->row[i]);
    }
    return 0;
}

/* SDMX-CSV 2.0 ACTION codes: D deletes; I, A, R, M and empty store. */
static int row_action(const struct sdmxcsv_state *st, const char **bad)
{
    const char *a =
        st->action_col >= 0 && (size_t)st->action_col < st->nrow ? st->row[st->action_col] : "";

    *bad = NULL;
    if (strcmp(a, "D") == 0)
        return SDMX_ACTION_DELETE;
    if (!*a || strcmp(a, "I") == 0 || strcmp(a, "A") == 0 || strcmp(a, "R") == 0 ||
        strcmp(a, "M") == 0)
        return SDMX_ACTION_STORE;
    *bad = a;
    return SDMX_ACTION_STORE;
}

static int emit_row(struct sdmxcsv_state *st)
{
    const struct sdmx_map *m = &st->r->map;
    const char *missing = NULL, *bad_action;
    int pass, action = row_action(st, &bad_action);

    if (st->nrow == 1 && st->row[0][0] == '\0')
        return 0; /* a blank line */
    if ((pass = sdmx_map_filter(m, get_comp, st, &missing)) == 0)
        return 0;
    for (size_t i = 0; i < m->n_measures; i++) {
        const char *measure = m->measures ? m->measures[i] : "OBS_VALUE";
        struct format_scratch s;
        struct format_record rec = {.position = st->row_line, .action = action};
        char unit[SDMX_CODE_MAX + 1], ind[SDMX_CODE_MAX + 1];
        struct format_raw raw;
        size_t n = 0;
        int rc;

        format_raw_attach(&rec, &raw, row_raw_build, st);
        if (st->nrow != st->nheader)
            format_problem(&rec, &s, "the row has %zu fields, the header %zu", st->nrow,
                           st->nheader);
        if (bad_action)
            format_problem(&rec, &s, "ACTION \"%.16s\": expected I, A, R, M or D", bad_action);
        if (pass < 0)
            format_problem(&rec, &s, "filter: no column \"%s\"", missing);
        sdmx_map_codes(m, get_comp, st, measure, unit, ind, &rec, &s);
        rec.unit = unit;
        rec.indicator = ind;
        sdmx_record_period(m, &rec, &s, get_comp(st, m->period_dim), get_comp(st, "FREQ"));
        if (action == SDMX_ACTION_STORE) {
            const char *v = get_comp(st, measure);
            if (!v || !*v || strcmp(v, "NaN") == 0) {
                rec.missing = 1;
            } else {
                format_record_value_text(&rec, &s, m->values, v);
                sdmx_record_attrs(&rec, &s, m->cm->keep_decimals ? NULL : get_comp(st, "DECIMALS"),
                                  get_comp(st, "UNIT_MULT"));
            }
            const char *code = get_comp(st, m->status_attr), *label;
            /* labels "both" (SDMX-CSV 2.0): "p: Provisional" is the code p */
            if (code && (label = strstr(code, ": ")) != NULL)
                format_record_status(&rec, &s, m->cm, code, (size_t)(label - code));
            else
                sdmx_record_status(m, &rec, &s, code);
        }
        if (!rec.problem && unmapped(st, &n) < 0)
            return -ENOMEM; /* not the collapse check skipped */
        if (!rec.problem && st->comps) {
            st->comps[n] = '\0';
            rc = sdmx_seen_check(st->seen, unit, ind, st->comps, rec.position, s.problem,
                                 sizeof(s.problem));
            if (rc < 0)
                return rc;
            rec.collapsed = rc > 0 ? s.problem : NULL;
            rec.unmapped = st->comps;
        }
        if ((rc = st->cb(&rec, st->ctx)) != 0)
            return rc;
    }
    return 0;
}

static void on_row(int c, void *data)
{
    struct sdmxcsv_state *st = data;

    (void)c;
    if (st->rc == 0)
        st->rc = st->have_header ? emit_row(st) : take_header(st);
    free_row(st->row, st->nrow);
    st->nrow = 0;
    st->row_line = 0;
}

static int is_blank_line(const char *s, size_t n)
{
    return (n == 1 && s[0] == '\n') || (n == 2 && s[0] == '\r' && s[1] == '\n');
}

static int sdmxcsv_read(struct format *fmt, const char *buf, size_t len, format_record_cb cb,
                        void *ctx, char *err, size_t errsize)
{
    struct sdmxcsv_state st = {.r = fmt->priv, .cb = cb, .ctx = ctx};
    struct csv_parser p;
    size_t off = 0;
    int rc = 0;

    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
        buf += 3;
        len -= 3;
    }
    if (!(st.seen = sdmx_seen_new(0)) ||
        csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        sdmx_seen_free(st.seen);
        format_err(err, errsize, "out of memory");
        return -ENOMEM;
    }
    csv_set_delim(&p, (unsigned char)st.r->delim);
    /* line by line, so that a row's position is the line it starts on */
    while (off < len && st.rc == 0 && rc == 0) {
        const char *nl = memchr(buf + off, '\n', len - off);
        size_t n = nl ? (size_t)(nl - (buf + off)) + 1 : len - off;
        st.line++;
        if (st.row_line == 0 && !is_blank_line(buf + off, n))
            st.row_line = st.line;
        if (csv_parse(&p, buf + off, n, on_field, on_row, &st) != n) {
            format_err(err, errsize, "line %ld: %s", st.line, csv_strerror(csv_error(&p)));
            rc = -EBADMSG;
        }
        off += n;
    }
    if (rc == 0 && st.rc == 0 && csv_fini(&p, on_field, on_row, &st) != 0) {
        format_err(err, errsize, "line %ld: %s", st.line, csv_strerror(csv_error(&p)));
        rc = -EBADMSG;
    }
    if (rc == 0)
        rc = st.rc;
    if (rc == -ENOMEM) {
        format_err(err, errsize, "out of memory");
    } else if (rc < 0 && sdmx_seen_refused(st.seen)) {
        format_err(err, errsize, "collapse check: line %ld: %s", st.line,
                   sdmx_seen_refused(st.seen));
        rc = -EBADMSG;
    }
    if (rc == 0 && !st.have_header) {
        format_err(err, errsize, "header: no header row");
        rc = -EBADMSG;
    }
    csv_free(&p);
    free_row(st.row, st.nrow);
    free(st.row);
    free_row(st.header, st.nheader);
    free(st.header);
    free(st.comps);
    sdmx_seen_free(st.seen);
    return rc;
}

const struct format_ops format_sdmxcsv_ops = {
    .name = "sdmxcsv",
    .init = sdmxcsv_init,
    .fini = sdmxcsv_fini,
    .read = sdmxcsv_read,
};
