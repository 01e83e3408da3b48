/*
 * table.c - the aligned text table (table.h). Cells are copied into one array
 * of strings, row after row; printing measures every column first, by display
 * width from mbrtowc() and wcwidth() in the C.UTF-8 locale, then pads each
 * cell to it. The streaming tables (table_widen, table_print_line) share the
 * measuring and the padding.
 */
#define _GNU_SOURCE /* newlocale(), uselocale(), wcwidth() */
#include "cli/table.h"

#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "common/buf.h"

#define TABLE_MAX_COLS 64

struct table {
    size_t n_cols;
    enum table_align align[TABLE_MAX_COLS];
    char **cells; /* (1 + n_rows) * n_cols strings: the header row first */
    size_t n_rows;
    size_t cap_rows; /* rows the cells array has room for, header included */
};

/* A copy of s (NULL: "") with control characters replaced by blanks. */
static char *cell_dup(const char *s)
{
    char *copy = strdup(s ? s : "");
    if (copy)
        for (char *p = copy; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                *p = ' ';
    return copy;
}

/* Appends one row of cells (copied) to the array, growing it. */
static int add_row(struct table *t, const char *const *cells)
{
    size_t used = t->n_rows + (t->cells ? 1 : 0);

    /* The array's elements are rows of n_cols cells. */
    if (buf_grow(&t->cells, &t->cap_rows, used + 1, t->n_cols * sizeof(*t->cells), BUF_UNCAPPED) <
        0)
        return -ENOMEM;
    char **row = t->cells + used * t->n_cols;
    for (size_t i = 0; i < t->n_cols; i++) {
        if (!(row[i] = cell_dup(cells[i]))) {
            while (i-- > 0)
                free(row[i]);
            return -ENOMEM;
        }
    }
    return 0;
}

/* Creates the table with its header row. */
int table_new(struct table **out, size_t n_cols, const char *const *headers,
              const enum table_align *aligns)
{
    struct table *t;
    int rc;

    *out = NULL;
    if (n_cols == 0 || n_cols > TABLE_MAX_COLS)
        return -EINVAL;
    if (!(t = calloc(1, sizeof(*t))))
        return -ENOMEM;
    t->n_cols = n_cols;
    for (size_t i = 0; i < n_cols; i++)
        t->align[i] = aligns ? aligns[i] : TABLE_LEFT;
    if ((rc = add_row(t, headers)) < 0) {
        free(t->cells);
        free(t);
        return rc;
    }
    *out = t;
    return 0;
}

/* Frees every cell and the table. */
void table_free(struct table **tp)
{
    struct table *t = tp ? *tp : NULL;

    if (!t)
        return;
    for (size_t i = 0; i < (t->n_rows + 1) * t->n_cols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t);
    *tp = NULL;
}

/* Appends a data row. */
int table_add_row(struct table *t, const char *const *cells)
{
    int rc = add_row(t, cells);
    if (rc == 0)
        t->n_rows++;
    return rc;
}

/* Rows added, the header not counted. */
size_t table_rows(const struct table *t)
{
    return t->n_rows;
}

static locale_t utf8_locale = (locale_t)0;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

/* The C.UTF-8 locale, made once: widths do not depend on the caller's locale. */
static void utf8_locale_init(void)
{
    utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* Display width of UTF-8 text; see table.h. */
size_t table_text_width(const char *s)
{
    mbstate_t st;
    size_t width = 0, left = strlen(s);
    locale_t saved = (locale_t)0;

    pthread_once(&utf8_once, utf8_locale_init);
    if (utf8_locale)
        saved = uselocale(utf8_locale);
    memset(&st, 0, sizeof(st));
    while (left > 0) {
        wchar_t wc;
        size_t n = mbrtowc(&wc, s, left, &st);
        if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
            /* not UTF-8 here: one column per byte */
            memset(&st, 0, sizeof(st));
            n = 1;
            width++;
        } else {
            int w = wcwidth(wc);
            width += w < 0 ? 1 : (size_t)w;
        }
        s += n;
        left -= n;
    }
    if (saved)
        uselocale(saved);
    return width;
}

static int pad(FILE *out, size_t n)
{
    for (; n > 0; n--)
        if (putc(' ', out) == EOF)
            return -EIO;
    return 0;
}

/* Writes a cell with control characters as blanks (a line stays one line). */
static int put_cell(FILE *out, const char *s)
{
    for (; *s; s++)
        if (putc((unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s, out) == EOF)
            return -EIO;
    return 0;
}

/* Prints one line: cells padded to widths. Blanks are held back until text
 * follows them, so a line never ends in blanks (not even after an empty last
 * cell). */
int table_print_line(FILE *out, size_t n_cols, const size_t *widths, const enum table_align *aligns,
                     const char *const *cells)
{
    size_t held = 0;

    for (size_t i = 0; i < n_cols; i++) {
        const char *cell = cells[i] ? cells[i] : "";
        size_t w = table_text_width(cell);
        size_t gap = widths[i] > w ? widths[i] - w : 0;
        enum table_align align = aligns ? aligns[i] : TABLE_LEFT;

        if (align == TABLE_RIGHT)
            held += gap;
        if (cell[0]) {
            if (pad(out, held) < 0 || put_cell(out, cell) < 0)
                return -EIO;
            held = 0;
        }
        if (align == TABLE_LEFT)
            held += gap;
        held += 2; /* between columns */
    }
    return putc('\n', out) == EOF ? -EIO : 0;
}

/* Widens widths to the cells' display widths. */
void table_widen(size_t *widths, size_t n_cols, const char *const *cells)
{
    for (size_t i = 0; i < n_cols; i++) {
        size_t w = table_text_width(cells[i] ? cells[i] : "");
        widths[i] = w > widths[i] ? w : widths[i];
    }
}

/* Measures the columns, then prints the header and the rows. */
int table_print(const struct table *t, FILE *out)
{
    size_t widths[TABLE_MAX_COLS] = {0};
    size_t n_lines = t->n_rows + 1;

    for (size_t r = 0; r < n_lines; r++)
        table_widen(widths, t->n_cols, (const char *const *)t->cells + r * t->n_cols);
    for (size_t r = 0; r < n_lines; r++)
        if (table_print_line(out, t->n_cols, widths, t->align,
                             (const char *const *)t->cells + r * t->n_cols) < 0)
            return -EIO;
    return 0;
}
