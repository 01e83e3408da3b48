/*
 * format_table.c - rows of text cells into records (see format_table.h).
 *
 * Before the header: blank rows, the rows skip_rows counts or those above
 * header_row, and note rows (footnotes) are dropped. The header is then
 * header_rows rows; a column's name is its texts in those rows joined with
 * "/", a text equal to the one above it (a merged cell repeated) once. After
 * the header every non-blank row that is not a note is data.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/format_table.h"
#include "common/buf.h"

enum { COL_UNIT, COL_INDICATOR, COL_PERIOD, COL_VALUE, COL_STATUS, COL_COUNT };

struct format_table {
    const struct config_mapping *m;
    format_record_cb cb;
    void *ctx;
    char delim;
    int short_empty; /* a row shorter than a mapped column: "" there, not a problem */
    char *err;
    size_t errsize;
    long skipped;        /* rows skip_rows has dropped so far */
    long header_done;    /* header rows taken so far */
    struct buf *names;   /* per column: the joined header text */
    size_t nnames;       /* columns the header has */
    char **header;       /* per column: the header's name (into names) */
    long col[COL_COUNT]; /* column of each mapped field, -1 for a constant or none */
    long *wide_col;      /* fields: the column of each of m->fields */
    /* the row being emitted, for its raw text */
    const char *const *row;
    size_t nrow;
};

int format_table_new(struct format_table **out, const struct config_mapping *m, format_record_cb cb,
                     void *ctx, char delim, int short_empty, char *err, size_t errsize)
{
    struct format_table *t = calloc(1, sizeof(*t));

    *out = NULL;
    if (!t)
        return -ENOMEM;
    t->m = m;
    t->cb = cb;
    t->ctx = ctx;
    t->delim = delim;
    t->short_empty = short_empty;
    t->err = err;
    t->errsize = errsize;
    *out = t;
    return 0;
}

void format_table_free(struct format_table **tp)
{
    struct format_table *t = tp ? *tp : NULL;

    if (!t)
        return;
    for (size_t i = 0; i < t->nnames; i++)
        buf_free(&t->names[i]);
    free(t->names);
    free(t->header);
    free(t->wide_col);
    free(t);
    *tp = NULL;
}

static int blank(const char *const *cells, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (const char *c = cells[i]; *c; c++) {
            if (!isspace((unsigned char)*c))
                return 0;
        }
    }
    return 1;
}

/* A note row: its first non-blank text starts with one of the footnotes. */
static int note(const struct config_mapping *m, const char *const *cells, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *c = cells[i];
        while (isspace((unsigned char)*c) || strncmp(c, "\xE3\x80\x80", 3) == 0)
            c += isspace((unsigned char)*c) ? 1 : 3; /* blanks and the ideographic space */
        if (!*c)
            continue;
        for (size_t k = 0; k < m->n_footnotes; k++) {
            if (strncmp(c, m->footnotes[k], strlen(m->footnotes[k])) == 0)
                return 1;
        }
        return 0;
    }
    return 0;
}

/* Trims blanks off a header text: "  数值 " names column "数值". */
static void trimmed(const char *s, const char **start, size_t *len)
{
    size_t n;

    while (isspace((unsigned char)*s))
        s++;
    n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    *start = s;
    *len = n;
}

/* Adds one header row's texts to the column names. */
static int add_header_row(struct format_table *t, const char *const *cells, size_t n)
{
    if (n > t->nnames) {
        struct buf *b = realloc(t->names, n * sizeof(*b));
        if (!b)
            return -ENOMEM;
        t->names = b;
        for (size_t i = t->nnames; i < n; i++)
            buf_init(&t->names[i], 4096);
        t->nnames = n;
    }
    for (size_t i = 0; i < n; i++) {
        struct buf *b = &t->names[i];
        const char *s, *last;
        size_t len;

        trimmed(cells[i], &s, &len);
        if (len == 0)
            continue;
        last = b->p ? strrchr(b->p, '/') : NULL;
        last = last ? last + 1 : b->p;
        if (last && strlen(last) == len && memcmp(last, s, len) == 0)
            continue; /* a merged cell over rows, already in the name */
        if (b->len)
            buf_add(b, "/", 1);
        buf_add(b, s, len);
        if (b->err == -E2BIG) {
            format_err(t->err, t->errsize, "header: column %zu: a name over %zu bytes", i + 1,
                       b->max);
            return -EBADMSG;
        }
        if (b->err)
            return b->err;
    }
    return 0;
}

static long find_column(const struct format_table *t, const char *name)
{
    for (size_t i = 0; i < t->nnames; i++) {
        if (strcmp(t->header[i], name) == 0)
            return (long)i;
    }
    return -1;
}

/* Resolves a mapped column name against the header, or fails the read. */
static int resolve(struct format_table *t, const char *path, long *out)
{
    *out = -1;
    if (!path)
        return 0;
    if ((*out = find_column(t, path)) >= 0)
        return 0;
    format_err(t->err, t->errsize, "header: no column \"%s\"", path);
    return -EBADMSG;
}

/* The header is complete: resolves every mapped column. */
static int end_header(struct format_table *t)
{
    const struct config_mapping *m = t->m;
    const struct config_field *f[COL_COUNT] = {&m->unit, &m->indicator, &m->period, &m->value,
                                               &m->status};
    int rc;

    if (!(t->header = calloc(t->nnames ? t->nnames : 1, sizeof(*t->header))))
        return -ENOMEM;
    for (size_t i = 0; i < t->nnames; i++)
        t->header[i] = t->names[i].p ? t->names[i].p : "";
    for (int c = 0; c < COL_COUNT; c++) {
        if ((rc = resolve(t, f[c]->path, &t->col[c])) < 0)
            return rc;
    }
    if (m->layout != CONFIG_LAYOUT_WIDE || m->columns != CONFIG_COLUMNS_FIELDS)
        return 0;
    if (!(t->wide_col = calloc(m->n_fields ? m->n_fields : 1, sizeof(*t->wide_col))))
        return -ENOMEM;
    for (size_t i = 0; i < m->n_fields; i++) {
        if ((rc = resolve(t, m->fields[i].path, &t->wide_col[i])) < 0)
            return rc;
    }
    return 0;
}

/* Appends one field to the raw line, quoted when it needs to be. */
static size_t raw_append(char *raw, size_t n, const char *field, char delim)
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

/* A struct format_raw builder: the current row re-joined (arg: the table). */
static int join_row(const void *arg, char *raw)
{
    const struct format_table *t = arg;
    size_t n = 0;

    for (size_t i = 0; i < t->nrow && n < FORMAT_RAW_MAX; i++) {
        if (i > 0)
            raw[n++] = t->delim;
        n = raw_append(raw, n, t->row[i], t->delim);
    }
    raw[n] = '\0';
    n = format_utf8_cut(raw, n < FORMAT_RAW_MAX ? n : FORMAT_RAW_MAX);
    raw[n] = '\0';
    return 0;
}

/* The text of a mapped field in the current row, or NULL with a problem. */
static const char *cell(const struct format_table *t, const struct config_field *f, long col,
                        struct format_record *rec, struct format_scratch *s)
{
    if (!f->path)
        return f->constant ? f->constant : ""; /* a constant, or an unmapped unit */
    if (col >= 0 && (size_t)col < t->nrow)
        return t->row[col];
    if (col >= 0 && t->short_empty)
        return "";
    format_problem(rec, s, "no field for column \"%.80s\" (the row has %zu)", f->path, t->nrow);
    return NULL;
}

/* Sets the record's period from text; with date_period a day (2023-03-31)
 * is the period of that frequency holding it, without it the period of the
 * source's frequency that starts or ends that day (the Common rules). */
static void set_period(const struct format_table *t, struct format_record *rec,
                       struct format_scratch *s, const char *text)
{
    const char *p = text;
    int y = 0, mo = 0, d = 0, n = 0;
    enum period_freq f = t->m->date_period;

    while (p && isspace((unsigned char)*p))
        p++;
    if (f && p && sscanf(p, "%4d-%2d-%2d%n", &y, &mo, &d, &n) == 3 && n == 10 &&
        (p[10] == '\0' || p[10] == 'T' || isspace((unsigned char)p[10])) && mo >= 1 && mo <= 12 &&
        d >= 1 && d <= 31 && y >= PERIOD_YEAR_MIN && y <= PERIOD_YEAR_MAX) {
        rec->period_raw = text;
        rec->period = (struct period){.year = y, .freq = f, .index = (mo - 1) / (12 / (int)f) + 1};
        rec->period_ok = 1;
        return;
    }
    format_record_period_freq(rec, s, text, t->m->freq);
}

/* Is column i a value column of a "columns" wide table? */
static int value_column(const struct format_table *t, size_t i)
{
    for (int c = 0; c < COL_COUNT; c++) {
        if (t->col[c] == (long)i)
            return 0;
    }
    return i < t->nnames && t->header[i][0] != '\0';
}

static int emit(struct format_table *t, long position)
{
    const struct config_mapping *m = t->m;
    struct format_scratch s;
    struct format_record base = {.position = position};
    struct format_raw raw; /* the row re-joined, only if asked for; shared when wide */
    const char *text;
    int wide = m->layout == CONFIG_LAYOUT_WIDE;
    int rc = 0;

    format_raw_attach(&base, &raw, join_row, t);
    text = cell(t, &m->unit, t->col[COL_UNIT], &base, &s);
    base.unit = text ? text : "";
    if (!wide || m->columns != CONFIG_COLUMNS_PERIOD)
        set_period(t, &base, &s, cell(t, &m->period, t->col[COL_PERIOD], &base, &s));
    if (!wide || m->columns == CONFIG_COLUMNS_PERIOD) {
        text = cell(t, &m->indicator, t->col[COL_INDICATOR], &base, &s);
        base.indicator = text ? text : "";
    }
    if (!wide) {
        text = cell(t, &m->value, t->col[COL_VALUE], &base, &s);
        if (text)
            format_record_value_cell(&base, &s, m, text);
        if (m->status.path && (text = cell(t, &m->status, t->col[COL_STATUS], &base, &s)) &&
            (*text || !base.status)) /* an empty status cell leaves a flag be */
            format_record_status(&base, &s, m, text, strlen(text));
        return t->cb(&base, t->ctx);
    }
    if (m->columns == CONFIG_COLUMNS_FIELDS) {
        for (size_t i = 0; i < m->n_fields && rc == 0; i++) {
            struct format_record rec = base;
            struct config_field f = {.path = m->fields[i].path};

            rec.indicator = m->fields[i].indicator;
            text = cell(t, &f, t->wide_col[i], &rec, &s);
            if (text)
                format_record_value_cell(&rec, &s, m, text);
            rc = t->cb(&rec, t->ctx);
        }
        return rc;
    }
    for (size_t i = 0; i < t->nnames && rc == 0; i++) {
        struct format_record rec = base;

        if (!value_column(t, i))
            continue;
        if (m->columns == CONFIG_COLUMNS_INDICATOR)
            rec.indicator = t->header[i];
        else
            set_period(t, &rec, &s, t->header[i]);
        if (i < t->nrow || t->short_empty)
            format_record_value_cell(&rec, &s, m, i < t->nrow ? t->row[i] : "");
        else
            format_problem(&rec, &s, "no field for column \"%.80s\" (the row has %zu)",
                           t->header[i], t->nrow);
        rc = t->cb(&rec, t->ctx);
    }
    return rc;
}

int format_table_row(struct format_table *t, long position, const char *const *cells, size_t n)
{
    const struct config_mapping *m = t->m;
    long header_rows = m->header_rows > 0 ? m->header_rows : 1;
    int rc;

    if (blank(cells, n))
        return 0; /* spreadsheets export empty rows as ",,," */
    if (t->header_done < header_rows) {
        if (m->header_row > 0 && position < m->header_row)
            return 0;
        if (t->header_done == 0 && t->skipped < m->skip_rows) {
            t->skipped++;
            return 0;
        }
        if (t->header_done == 0 && note(m, cells, n))
            return 0;
        if ((rc = add_header_row(t, cells, n)) < 0)
            return rc;
        if (++t->header_done == header_rows)
            return end_header(t);
        return 0;
    }
    if (note(m, cells, n))
        return 0;
    t->row = cells;
    t->nrow = n;
    rc = emit(t, position);
    t->row = NULL;
    t->nrow = 0;
    return rc;
}

int format_table_end(struct format_table *t)
{
    long header_rows = t->m->header_rows > 0 ? t->m->header_rows : 1;

    if (t->header_done < header_rows) {
        format_err(t->err, t->errsize, "header: no header row");
        return -EBADMSG;
    }
    return 0;
}
