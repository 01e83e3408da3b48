/*
 * table.h - an aligned text table for the terminal: a header row, then rows of
 * cells, columns left- or right-aligned and padded to the widest cell by
 * display width (a CJK character takes two columns), two blanks between
 * columns and no trailing blanks.
 *
 * Display width needs a UTF-8 LC_CTYPE: the program calls
 * setlocale(LC_CTYPE, "C.UTF-8") once at start.
 */
#ifndef PARKSTAT_TABLE_H
#define PARKSTAT_TABLE_H

#include <stddef.h>
#include <stdio.h>

struct table;

enum table_align {
    TABLE_LEFT,  /* text */
    TABLE_RIGHT, /* numbers */
};

/*
 * Creates a table of n_cols columns (1 .. 64) whose headers are headers[i]
 * (copied) and alignments aligns[i] (NULL: every column left). Returns 0 and
 * *out (free with table_free()), -EINVAL or -ENOMEM.
 */
int table_new(struct table **out, size_t n_cols, const char *const *headers,
              const enum table_align *aligns);

/* Frees the table and sets *tp to NULL; NULL or *tp == NULL is a no-op. */
void table_free(struct table **tp);

/*
 * Appends a row of n_cols cells (copied; a NULL cell is printed empty).
 * Control characters (tab, line breaks) become blanks so a row stays on one
 * line. Returns 0 or -ENOMEM.
 */
int table_add_row(struct table *t, const char *const *cells);

/* Number of rows added so far. */
size_t table_rows(const struct table *t);

/* Prints the header and every row to out. Returns 0, or -EIO on a write error. */
int table_print(const struct table *t, FILE *out);

/*
 * The display width of UTF-8 text in terminal columns: wcwidth() of each
 * character (2 for CJK), 1 for each byte that is not valid UTF-8 and for
 * characters wcwidth() rejects. "示例高新区" is 10.
 */
size_t table_text_width(const char *s);

#endif
