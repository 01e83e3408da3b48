/*
 * csvread.h - streams RFC 4180 CSV from a FILE* through libcsv (strict
 * quoting) and hands each record to a callback, with the line on which the
 * record starts. A UTF-8 BOM at the start is skipped, LF and CRLF both end a
 * record, blank lines are skipped, and blanks around fields are kept (they are
 * data). A record with malformed quoting or longer than CSVREAD_RECORD_MAX is
 * reported once with its error set, and reading resumes at the next line.
 */
#ifndef PARKSTAT_CSVREAD_H
#define PARKSTAT_CSVREAD_H

#include <stddef.h>
#include <stdio.h>

#define CSVREAD_FIELD_MAX  16    /* fields addressable per record; more are only counted */
#define CSVREAD_RECORD_MAX 65536 /* bytes of all fields of one record */

struct csvread_record {
    long line;                            /* 1-based line where the record starts */
    size_t n_fields;                      /* fields in the record (may exceed FIELD_MAX) */
    const char *field[CSVREAD_FIELD_MAX]; /* NUL-terminated; the first min(n_fields, MAX) */
    size_t len[CSVREAD_FIELD_MAX];        /* their lengths (a field may hold a NUL byte) */
    const char *data;                     /* every field kept, each followed by a NUL */
    size_t data_len;
    const char *error; /* non-NULL: the record is broken; only data and line are usable */
};

/* Called once per record; a non-zero return stops the reading and is returned. */
typedef int (*csvread_cb)(const struct csvread_record *rec, void *ctx);

/*
 * Reads in until EOF in fixed-size chunks (the file is never held whole) and
 * calls cb for every record. Returns 0, the callback's non-zero value, -EIO on
 * a read error or -ENOMEM.
 */
int csvread_stream(FILE *in, csvread_cb cb, void *ctx);

/*
 * Writes the fields of rec joined by commas (no re-quoting) into buf, cut to
 * size - 1 bytes and NUL-terminated. Returns the untruncated length.
 */
size_t csvread_join(const struct csvread_record *rec, char *buf, size_t size);

#endif
