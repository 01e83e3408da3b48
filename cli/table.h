/*
 * table.h - an aligned text table for the terminal: a header row, then rows of
 * cells, columns left- or right-aligned and padded to the widest cell by
 * display width (a CJK character takes two columns), two blanks between
 * columns and no trailing blanks.
 *
 * Every table of the program is printed here: table_print() for the rows it
 * holds, or, for a long query printed in two passes without keeping its rows,
 * table_widen() over every row then table_print_line() for each. Widths are
 * measured in the C.UTF-8 locale whatever the program's locale is.
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
 * character in C.UTF-8 (2 for East Asian Wide and Fullwidth, 0 for combining
 * marks), 1 for each byte that is not valid UTF-8 and for characters
 * wcwidth() rejects. "示例高新区" is 10, "e\u0301" is 1.
 */
size_t table_text_width(const char *s);

/* Widens widths[i] to the display width of cells[i] (NULL: empty). */
void table_widen(size_t *widths, size_t n_cols, const char *const *cells);

/*
 * Prints one line of n_cols cells (NULL: empty) padded to widths, aligned by
 * aligns (NULL: every column left), two blanks between columns, no trailing
 * blanks, control characters as blanks. Returns 0, or -EIO on a write error.
 */
int table_print_line(FILE *out, size_t n_cols, const size_t *widths, const enum table_align *aligns,
                     const char *const *cells);

#endif
