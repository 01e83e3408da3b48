/*
 * cmd_api_out.c - how the API commands print what the API sent: rows of JSON
 * objects become an aligned table (table.h, display width for Chinese
 * names), CSV or indented JSON. The cells are computed from the JSON values
 * here, so every format shows the same numbers.
 */
#include "cli/cmd_api_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/table.h"

#define JSON_OUT_FLAGS (JSON_INDENT(2) | JSON_REAL_PRECISION(15))
#define MAX_COLS       32

/* The printed text of one value: into buf, or a pointer to the string itself;
 * *heap is set when the text was allocated (objects as compact JSON). */
static const char *cell_text(const json_t *v, const struct api_col *col, int table, char *buf,
                             size_t size, char **heap)
{
    *heap = NULL;
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        snprintf(buf, size,
                 table && col->kind == API_COL_SIGNED && i != 0 ? "%+" JSON_INTEGER_FORMAT
                                                                : "%" JSON_INTEGER_FORMAT,
                 i);
    } else if (json_is_real(v)) {
        if (table && col->decimals >= 0)
            snprintf(buf, size, "%.*f", col->decimals, json_real_value(v));
        else
            snprintf(buf, size, "%.15g", json_real_value(v));
    } else if (json_is_boolean(v)) {
        return json_is_true(v) ? "true" : "false";
    } else if (json_is_object(v) || json_is_array(v)) {
        *heap = json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(15));
        return *heap ? *heap : "";
    } else {
        return table ? "-" : ""; /* null or absent */
    }
    return buf;
}

/* One CSV field, quoted when it holds a comma, quote or line break. */
static void csv_field(const char *s, int last, FILE *out)
{
    if (strpbrk(s, ",\"\r\n")) {
        putc('"', out);
        for (; *s; s++) {
            if (*s == '"')
                putc('"', out);
            putc(*s, out);
        }
        putc('"', out);
    } else {
        fputs(s, out);
    }
    putc(last ? '\n' : ',', out);
}

static int print_csv(const json_t *rows, const struct api_col *cols, size_t n_cols, FILE *out)
{
    const json_t *row;
    size_t r;
    char buf[64], *heap;

    for (size_t i = 0; i < n_cols; i++)
        csv_field(cols[i].key, i + 1 == n_cols, out);
    json_array_foreach(rows, r, row)
    {
        for (size_t i = 0; i < n_cols; i++) {
            const json_t *v = json_object_get(row, cols[i].key);
            csv_field(cell_text(v, &cols[i], 0, buf, sizeof(buf), &heap), i + 1 == n_cols, out);
            free(heap);
        }
    }
    return ferror(out) ? -EIO : 0;
}

/* Adds one row's cells to the table. */
static int table_row(struct table *t, const json_t *row, const struct api_col *cols, size_t n_cols)
{
    char bufs[MAX_COLS][64];
    const char *cells[MAX_COLS];
    char *heap[MAX_COLS];
    int rc;

    for (size_t i = 0; i < n_cols; i++)
        cells[i] = cell_text(json_object_get(row, cols[i].key), &cols[i], 1, bufs[i],
                             sizeof(bufs[i]), &heap[i]);
    rc = table_add_row(t, cells);
    for (size_t i = 0; i < n_cols; i++)
        free(heap[i]);
    return rc;
}

static int print_table(const json_t *rows, const struct api_col *cols, size_t n_cols, FILE *out)
{
    const char *headers[MAX_COLS];
    enum table_align aligns[MAX_COLS];
    struct table *t = NULL;
    const json_t *row;
    size_t r;
    int rc;

    for (size_t i = 0; i < n_cols; i++) {
        headers[i] = cols[i].header;
        aligns[i] = cols[i].kind == API_COL_TEXT ? TABLE_LEFT : TABLE_RIGHT;
    }
    if ((rc = table_new(&t, n_cols, headers, aligns)) < 0)
        return rc;
    json_array_foreach(rows, r, row)
    {
        if ((rc = table_row(t, row, cols, n_cols)) < 0)
            goto out;
    }
    rc = table_print(t, out);
out:
    table_free(&t);
    return rc;
}

/* Rows in the chosen format. */
int api_print_rows(enum api_format f, const json_t *rows, const struct api_col *cols, size_t n_cols,
                   FILE *out)
{
    if (n_cols == 0 || n_cols > MAX_COLS)
        return -EINVAL;
    switch (f) {
    case API_FORMAT_TABLE:
        return print_table(rows, cols, n_cols, out);
    case API_FORMAT_CSV:
        return print_csv(rows, cols, n_cols, out);
    case API_FORMAT_JSON:
        return api_print_json(rows, out);
    }
    return -EINVAL;
}

/* Indented JSON and a newline. */
int api_print_json(const json_t *v, FILE *out)
{
    if (json_dumpf(v, out, JSON_OUT_FLAGS) < 0 || putc('\n', out) == EOF)
        return -EIO;
    return 0;
}
