/*
 * import_xlsx.h - `parkstat import BOOK.xlsx`: the first sheet of a
 * workbook read as the long-format CSV import reads a file.
 */
#ifndef PARKSTAT_IMPORT_XLSX_H
#define PARKSTAT_IMPORT_XLSX_H

#include <stddef.h>
#include <stdio.h>

/* 1 when path names an Excel workbook (ends in ".xlsx", any case). */
int import_xlsx_is(const char *path);

/*
 * The first sheet of the workbook at path as CSV in a temporary file (read
 * from its start; fclose() removes it): sheet row N is line N, cells quoted
 * where CSV needs it, each row padded to the width of the first. The sheet
 * is streamed (collectors/xlsx.h), never held whole. Returns the file, or
 * NULL with the reason in err ("not an .xlsx workbook (zip: ...)").
 */
FILE *import_xlsx_csv(const char *path, char *err, size_t errsize);

#endif
