/*
 * xlsx.h - the rows of one sheet of an Excel workbook (.xlsx, Office Open
 * XML), as text, for the "xlsx" payload reader (format_xlsx.c).
 *
 * Built on libzip (the workbook from memory) and libxml2's streaming
 * xmlTextReader: the sheet is read row by row and never held whole, so
 * memory is the shared strings table, the merged ranges and one row. Cells
 * come as the text a person sees before number formatting:
 *   - shared strings and inline strings (rich text runs joined), formula
 *     string results: the text;
 *   - numbers: the stored text ("1234.5", "1.5E-3");
 *   - numbers in a date format: the day as "YYYY-MM-DD" (1900 and 1904 date
 *     systems);
 *   - booleans: "TRUE" / "FALSE"; errors: their code ("#N/A").
 * A merged range (mergeCells) repeats its top-left cell's text in each of
 * its empty cells, so a header cell merged over three columns names all
 * three.
 */
#ifndef PARKSTAT_XLSX_H
#define PARKSTAT_XLSX_H

#include <stddef.h>

struct xlsx;

/*
 * Opens a workbook held in buf[0..len) (borrowed for the workbook's life):
 * its sheet list, shared strings and number formats. Returns 0 and a new
 * workbook in *out, or -EBADMSG with the place in err ("not a zip archive",
 * "xl/workbook.xml: line 2: ..."), or -ENOMEM.
 */
int xlsx_open(struct xlsx **out, const char *buf, size_t len, char *err, size_t errsize);

/* Closes a workbook and sets *xp = NULL. NULL is a harmless no-op. */
void xlsx_close(struct xlsx **xp);

/* The number of sheets, and the name of sheet i (0-based, in workbook order). */
size_t xlsx_sheet_count(const struct xlsx *x);
const char *xlsx_sheet_name(const struct xlsx *x, size_t i);

/*
 * Finds a sheet by name (exact), or when name is NULL by 1-based position
 * index. Returns the 0-based sheet number, or -ENOENT with "sheet \"X\": not
 * in the workbook (it has: Index, Data1)" in err.
 */
int xlsx_sheet_find(const struct xlsx *x, const char *name, int index, char *err, size_t errsize);

/*
 * One row: its 1-based number in the sheet and ncells texts, cell i being
 * column i + 1 (A = 0); cells absent from the row are "". Borrowed for the
 * call. A non-zero return stops reading and is returned by xlsx_sheet_rows().
 */
typedef int (*xlsx_row_cb)(long row, const char *const *cells, size_t ncells, void *ctx);

/*
 * Streams the rows of sheet number sheet (from xlsx_sheet_find()) in order;
 * rows with no cell are not reported. Returns 0, the callback's non-zero
 * return, -EBADMSG with the place ("xl/worksheets/sheet2.xml: line 1: ...",
 * "row 12 cell B12: shared string 99 of 40") or -ENOMEM.
 */
int xlsx_sheet_rows(struct xlsx *x, int sheet, xlsx_row_cb cb, void *ctx, char *err,
                    size_t errsize);

#endif
