/*
 * import_xlsx.h - `parkstat import BOOK.xlsx [--sheet NAME|INDEX]`: a sheet
 * of a workbook (the first by default) read as the long-format CSV import
 * reads a file.
 */
#ifndef PARKSTAT_IMPORT_XLSX_H
#define PARKSTAT_IMPORT_XLSX_H

#include <stddef.h>
#include <stdio.h>

/* 1 when path names an Excel workbook (ends in ".xlsx", any case). */
int import_xlsx_is(const char *path);

/*
 * A sheet of the workbook at path as CSV in a temporary file (read from its
 * start; fclose() removes it): sheet row N is line N, cells quoted where CSV
 * needs it, each row padded to the width of the first. The sheet is sheet
 * (--sheet): a sheet of that name, else when it is all digits the sheet at
 * that 1-based position; NULL: the first. It is streamed
 * (collectors/xlsx.h), never held whole. Returns the file, or NULL with the
 * reason in err ("not an .xlsx workbook (zip: ...)", "sheet \"Data\": not in
 * the workbook (it has: Index, Data1)").
 */
FILE *import_xlsx_csv(const char *path, const char *sheet, char *err, size_t errsize);

#endif
