/*
 * format_csv.c - the "csv" reader (libcsv): a header row names the columns,
 * the mapping says which column holds the unit, indicator, period and value
 * (long layout) or which column holds each indicator (wide layout).
 *
 * A UTF-8 BOM is skipped; CRLF and quoted fields (with delimiters, quotes and
 * newlines inside) are handled by libcsv in strict mode, so a stray quote
 * makes the whole payload unreadable rather than silently shifting columns.
 * The payload is fed to libcsv one line at a time so that a record's position
 * is the line it starts on.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "collectors/format_priv.h"
#include "common/buf.h"

enum { COL_UNIT, COL_INDICATOR, COL_PERIOD, COL_VALUE, COL_COUNT };

struct csv_reader {
    const struct config_mapping *m;
    int wide;                                  /* 1: "layout": "wide" */
    unsigned char delim;                       /* field delimiter, default ',' */
    const struct config_field *col[COL_COUNT]; /* indicator, value unused when wide */
};

/* One read in progress. */
struct csv_state {
    const struct csv_reader *r;
    format_record_cb cb;
    void *ctx;
    char **row; /* the current row's fields, NUL-terminated */
    size_t nrow, cap;
    char **header; /* the header row, once read */
    size_t nheader;
    long col[COL_COUNT]; /* column index of each mapped field, -1 for a constant */
    long *wide_col;      /* wide: column index of each of the mapping's fields */
    long line;           /* line being fed to libcsv (1-based) */
    long row_line;       /* line the current row started on, 0 before it starts */
    int rc;              /* first error or the callback's stop value */
    char *err;
    size_t errsize;
};

static int csv_init_reader(struct format *fmt, char *err, size_t errsize)
{
    const struct config_mapping *m = fmt->mapping;
    struct csv_reader *r;

    if (!m || !m->given) {
        format_err(err, errsize, "mapping: required for format \"csv\"");
        return -EINVAL;
    }
    r = calloc(1, sizeof(*r));
    if (!r) {
        format_err(err, errsize, "out of memory");
        return -ENOMEM;
    }
    r->m = m;
    r->wide = m->layout == CONFIG_LAYOUT_WIDE;
    r->delim = (unsigned char)(m->delimiter ? m->delimiter : ',');
    r->col[COL_UNIT] = &m->unit;
    r->col[COL_INDICATOR] = &m->indicator;
    r->col[COL_PERIOD] = &m->period;
    r->col[COL_VALUE] = &m->value;
    fmt->priv = r;
    return 0;
}

static void csv_fini_reader(void *priv)
{
    free(priv);
}

static void free_row(char **row, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(row[i]);
}

/* libcsv's field callback: keeps a copy of the field in the current row. */
static void on_field(void *field, size_t len, void *data)
{
    struct csv_state *st = data;
    char *copy;

    if (st->rc != 0)
        return;
    if (BUF_GROW(&st->row, &st->cap, st->nrow + 1, BUF_UNCAPPED) < 0) {
        st->rc = -ENOMEM;
        return;
    }
    copy = malloc(len + 1);
    if (!copy) {
        st->rc = -ENOMEM;
        return;
    }
    if (len)
        memcpy(copy, field, len);
    copy[len] = '\0';
    st->row[st->nrow++] = copy;
}

static long find_column(const struct csv_state *st, const char *name)
{
    for (size_t i = 0; i < st->nheader; i++) {
        if (strcmp(st->header[i], name) == 0)
            return (long)i;
    }
    return -1;
}

/* Resolves a mapped column name against the header, or fails the read. */
static int resolve(struct csv_state *st, const char *path, long *out)
{
    *out = -1;
    if (!path)
        return 0;
    if ((*out = find_column(st, path)) >= 0)
        return 0;
    format_err(st->err, st->errsize, "header: no column \"%s\"", path);
    return -EBADMSG;
}

/* Takes the current row as the header and resolves every mapped column. */
static int take_header(struct csv_state *st)
{
    const struct config_mapping *m = st->r->m;
    int rc;

    st->header = st->row;
    st->nheader = st->nrow;
    st->row = NULL;
    st->nrow = st->cap = 0;
    for (int c = 0; c < COL_COUNT; c++) {
        if (st->r->wide && (c == COL_INDICATOR || c == COL_VALUE))
            continue;
        if ((rc = resolve(st, st->r->col[c]->path, &st->col[c])) < 0)
            return rc;
    }
    if (!st->r->wide)
        return 0;
    st->wide_col = calloc(m->n_fields ? m->n_fields : 1, sizeof(*st->wide_col));
    if (!st->wide_col)
        return -ENOMEM;
    for (size_t i = 0; i < m->n_fields; i++) {
        if ((rc = resolve(st, m->fields[i].path, &st->wide_col[i])) < 0)
            return rc;
    }
    return 0;
}

/* Appends one field to the raw line, quoted when it needs to be. */
static size_t raw_append(char *raw, size_t n, const char *field, unsigned char delim)
{
    int quote = strchr(field, delim) || strpbrk(field, "\"\r\n");

    if (quote && n < FORMAT_RAW_MAX)
        raw[n++] = '"';
    for (const char *p = field; *p && n < FORMAT_RAW_MAX; p++) {
        if (*p == '"' && n + 1 < FORMAT_RAW_MAX)
            raw[n++] = '"';
        raw[n++] = *p;
    }
    if (quote && n < FORMAT_RAW_MAX)
        raw[n++] = '"';
    return n;
}

/* Drops a UTF-8 sequence that the cap cut short at the end of raw[0..n). */
static size_t drop_partial_utf8(const char *raw, size_t n)
{
    size_t k = n;
    unsigned char lead;
    size_t need;

    while (k > 0 && ((unsigned char)raw[k - 1] & 0xC0) == 0x80)
        k--;
    if (k == 0 || (lead = (unsigned char)raw[k - 1]) < 0xC0)
        return n;
    need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    return n - (k - 1) < need ? k - 1 : n;
}

/* A struct format_raw builder: the current row re-joined (arg: the csv_state). */
static int join_row(const void *arg, char *raw)
{
    const struct csv_state *st = arg;
    size_t n = 0;

    for (size_t i = 0; i < st->nrow && n < FORMAT_RAW_MAX; i++) {
        if (i > 0)
            raw[n++] = (char)st->r->delim;
        n = raw_append(raw, n, st->row[i], st->r->delim);
    }
    if (n >= FORMAT_RAW_MAX)
        n = drop_partial_utf8(raw, n);
    raw[n] = '\0';
    return 0;
}

/* The text of a mapped field in the current row, or NULL with a problem. */
static const char *cell(const struct csv_state *st, const struct config_field *f, long col,
                        struct format_record *rec, struct format_scratch *s)
{
    if (!f->path)
        return f->constant ? f->constant : ""; /* a constant, or an unmapped unit */
    if (col >= 0 && (size_t)col < st->nrow)
        return st->row[col];
    format_problem(rec, s, "no field for column \"%.80s\" (the row has %zu)", f->path, st->nrow);
    return NULL;
}

static int blank_row(const struct csv_state *st)
{
    for (size_t i = 0; i < st->nrow; i++) {
        if (st->row[i][0] != '\0')
            return 0;
    }
    return 1;
}

static int emit_row(struct csv_state *st)
{
    const struct csv_reader *r = st->r;
    const struct config_mapping *m = r->m;
    struct format_scratch s;
    struct format_record base = {.position = st->row_line};
    struct format_raw raw; /* the row re-joined, only if asked for; shared when wide */
    const char *unit, *text;
    int rc = 0;

    if (blank_row(st))
        return 0; /* spreadsheets export empty rows as ",,," */
    format_raw_attach(&base, &raw, join_row, st);
    unit = cell(st, r->col[COL_UNIT], st->col[COL_UNIT], &base, &s);
    base.unit = unit ? unit : "";
    format_record_period(&base, &s, cell(st, r->col[COL_PERIOD], st->col[COL_PERIOD], &base, &s));
    if (!r->wide) {
        text = cell(st, r->col[COL_INDICATOR], st->col[COL_INDICATOR], &base, &s);
        base.indicator = text ? text : "";
        text = cell(st, r->col[COL_VALUE], st->col[COL_VALUE], &base, &s);
        if (text)
            format_record_value_text(&base, &s, &m->values, text);
        return st->cb(&base, st->ctx);
    }
    for (size_t i = 0; i < m->n_fields; i++) {
        struct format_record rec = base;
        struct config_field f = {.path = m->fields[i].path};

        rec.indicator = m->fields[i].indicator;
        text = cell(st, &f, st->wide_col[i], &rec, &s);
        if (text)
            format_record_value_text(&rec, &s, &m->values, text);
        if ((rc = st->cb(&rec, st->ctx)) != 0)
            break;
    }
    return rc;
}

/* libcsv's end-of-row callback. */
static void on_row(int c, void *data)
{
    struct csv_state *st = data;

    (void)c;
    if (st->rc == 0)
        st->rc = st->header ? emit_row(st) : take_header(st);
    free_row(st->row, st->nrow);
    st->nrow = 0;
    st->row_line = 0;
}

static int is_blank_line(const char *s, size_t n)
{
    return (n == 1 && s[0] == '\n') || (n == 2 && s[0] == '\r' && s[1] == '\n');
}

/* Feeds the payload line by line so that st->row_line is the line a row starts on. */
static int feed(struct csv_state *st, struct csv_parser *p, const char *buf, size_t len)
{
    size_t off = 0;

    while (off < len && st->rc == 0) {
        const char *nl = memchr(buf + off, '\n', len - off);
        size_t n = nl ? (size_t)(nl - (buf + off)) + 1 : len - off;

        st->line++;
        if (st->row_line == 0 && !is_blank_line(buf + off, n))
            st->row_line = st->line;
        if (csv_parse(p, buf + off, n, on_field, on_row, st) != n) {
            format_err(st->err, st->errsize, "line %ld: %s", st->line, csv_strerror(csv_error(p)));
            return -EBADMSG;
        }
        off += n;
    }
    if (st->rc == 0 && csv_fini(p, on_field, on_row, st) != 0) {
        format_err(st->err, st->errsize, "line %ld: %s", st->line, csv_strerror(csv_error(p)));
        return -EBADMSG;
    }
    return st->rc;
}

static int csv_read(struct format *fmt, const char *buf, size_t len, format_record_cb cb, void *ctx,
                    char *err, size_t errsize)
{
    struct csv_state st = {.r = fmt->priv, .cb = cb, .ctx = ctx, .err = err, .errsize = errsize};
    struct csv_parser p;
    int rc;

    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
        buf += 3;
        len -= 3;
    }
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        format_err(err, errsize, "out of memory");
        return -ENOMEM;
    }
    csv_set_delim(&p, st.r->delim);
    rc = feed(&st, &p, buf, len);
    if (rc == 0 && !st.header) {
        format_err(err, errsize, "header: no header row");
        rc = -EBADMSG;
    }
    if (rc == -ENOMEM)
        format_err(err, errsize, "out of memory");
    csv_free(&p);
    free_row(st.row, st.nrow);
    free(st.row);
    free_row(st.header, st.nheader);
    free(st.header);
    free(st.wide_col);
    return rc;
}

const struct format_ops format_csv_ops = {
    .name = "csv",
    .init = csv_init_reader,
    .fini = csv_fini_reader,
    .read = csv_read,
};
