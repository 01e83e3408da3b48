/*
 * format_csv.c - the "csv" reader (libcsv): the rows of the payload, handed
 * to format_table.c, which finds the header and maps the columns.
 *
 * The payload is UTF-8 by then (format.c converts declared encodings); CRLF and quoted fields (with
 * delimiters, quotes and newlines inside) are handled by libcsv in strict mode, so a stray quote
 * makes the whole payload unreadable rather than silently shifting columns.
 * The payload is fed to libcsv one line at a time so that a record's position
 * is the line it starts on.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "collectors/format_table.h"
#include "common/buf.h"

struct csv_reader {
    const struct config_mapping *m;
    unsigned char delim; /* field delimiter, default ',' */
};

/* One read in progress. */
struct csv_state {
    const struct csv_reader *r;
    struct format_table *table; /* rows into records */
    char **row;                 /* the current row's fields, NUL-terminated */
    size_t nrow, cap;
    long line;     /* line being fed to libcsv (1-based) */
    long row_line; /* line the current row started on, 0 before it starts */
    int rc;        /* first error or the callback's stop value */
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
    r->delim = (unsigned char)(m->delimiter ? m->delimiter : ',');
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

/* libcsv's end-of-row callback. */
static void on_row(int c, void *data)
{
    struct csv_state *st = data;

    (void)c;
    if (st->rc == 0)
        st->rc = format_table_row(st->table, st->row_line, (const char *const *)st->row, st->nrow);
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
    struct csv_state st = {.r = fmt->priv, .err = err, .errsize = errsize};
    struct csv_parser p;
    int rc;

    if (format_table_new(&st.table, st.r->m, cb, ctx, (char)st.r->delim, 0, err, errsize) < 0 ||
        csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        format_table_free(&st.table);
        format_err(err, errsize, "out of memory");
        return -ENOMEM;
    }
    csv_set_delim(&p, st.r->delim);
    rc = feed(&st, &p, buf, len);
    if (rc == 0)
        rc = format_table_end(st.table);
    if (rc == -ENOMEM)
        format_err(err, errsize, "out of memory");
    csv_free(&p);
    free_row(st.row, st.nrow);
    free(st.row);
    format_table_free(&st.table);
    return rc;
}

const struct format_ops format_csv_ops = {
    .name = "csv",
    .init = csv_init_reader,
    .fini = csv_fini_reader,
    .read = csv_read,
};
