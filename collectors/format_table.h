/*
 * format_table.h - rows of text cells into records, for the readers of
 * tables (format_csv.c, format_xlsx.c): where the header is (skip_rows,
 * header_row, header_rows), note rows dropped (footnotes), the long layout
 * and the wide ones (fields, or every other column holding values for the
 * indicator or the period its header names), dates as periods. Private to
 * collectors/format*.c.
 */
#ifndef PARKSTAT_FORMAT_TABLE_H
#define PARKSTAT_FORMAT_TABLE_H

#include <stddef.h>

#include "collectors/format_priv.h"

struct format_table;

/*
 * Starts a table read with mapping m; rows go to cb as records. delim joins
 * a row's cells into its raw text (the CSV delimiter, ',' for xlsx). With
 * short_empty, a row shorter than a mapped column has an empty cell there (a
 * sheet leaves empty cells out); else that is the record's problem (a CSV
 * line cut short). err is kept for the messages of format_table_row() and
 * format_table_end(). Returns 0 or -ENOMEM.
 */
int format_table_new(struct format_table **out, const struct config_mapping *m, format_record_cb cb,
                     void *ctx, char delim, int short_empty, char *err, size_t errsize);

/*
 * One row: n cells (NUL-terminated, borrowed for the call) at position (the
 * line it starts on, or the sheet row). Returns 0, -EBADMSG when the header
 * lacks a mapped column ("header: no column \"数值\""), -ENOMEM, or the
 * callback's non-zero return.
 */
int format_table_row(struct format_table *t, long position, const char *const *cells, size_t n);

/* Ends the read: -EBADMSG "header: no header row" when none came, else 0. */
int format_table_end(struct format_table *t);

/* Frees a table read and sets *tp = NULL. NULL is a harmless no-op. */
void format_table_free(struct format_table **tp);

#endif
