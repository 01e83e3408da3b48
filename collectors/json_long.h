/*
 * json_long.h - a hand-written scanner for the commonest "json" payload: an
 * array of flat records ({"unit": .., "indicator": .., "period": .., "value":
 * ..}), at the root or at one member of the root object. Private to
 * collectors/format_json.c and its tests.
 *
 * It reads only payloads it is sure yajl reads the same way (valid JSON,
 * keys without escapes, records without nested values, strings of well-formed
 * UTF-8 without \u0000 or surrogates, at most JSON_LONG_KEYS keys an object,
 * containers beside the records at most JSON_LONG_DEPTH deep) and gives up on
 * anything else, saying how many elements it has handed on: the json reader
 * then reads the same buffer with yajl, skipping those, so a payload's records,
 * errors and their places are the same whichever reads it.
 */
#ifndef PARKSTAT_JSON_LONG_H
#define PARKSTAT_JSON_LONG_H

#include <stddef.h>

#include "collectors/format.h"

#define JSON_LONG_FIELDS 5  /* unit, indicator, period, value, status */
#define JSON_LONG_KEYS   16 /* keys an object may have, else the scanner gives up */
#define JSON_LONG_DEPTH  16 /* levels of a container beside the records */

/* What the scanner looks for: the record array and each field's member name. */
struct json_long_spec {
    int root_array;      /* 1: the payload is the record array; 0: its member `records` */
    const char *records; /* the member's name (root_array 0), not NUL-terminated */
    size_t records_len;
    const char *key[JSON_LONG_FIELDS]; /* NULL: the field is not read from a member */
    size_t key_len[JSON_LONG_FIELDS];
};

enum json_long_type {
    JSON_LONG_NONE, /* the record has no such member */
    JSON_LONG_STRING,
    JSON_LONG_INTEGER, /* a number without '.', 'e' or 'E' */
    JSON_LONG_REAL,
    JSON_LONG_NULL,
    JSON_LONG_BOOL
};

/* One field of a record: its type and text (a string unescaped; a number as
 * written; "true", "false"; "" for null), not NUL-terminated, valid until the
 * callback returns. */
struct json_long_field {
    enum json_long_type type;
    const char *text;
    size_t len;
};

/* An element of the record array: its 1-based number, its bytes [from, to)
 * in the payload ('{' to '}'), and its fields by the spec's slots. A non-zero
 * return stops the scan. */
typedef int (*json_long_cb)(void *ctx, long pos, size_t from, size_t to,
                            const struct json_long_field *field);

/*
 * Scans len bytes of buf. Returns 0 when the whole payload was read (every
 * element handed to cb) or cb stopped it (its return in *cb_rc, else 0 there);
 * 1 when the scanner gave up, -ENOMEM. *emitted is the number of elements
 * handed to cb either way.
 */
int json_long_scan(const struct json_long_spec *spec, const char *buf, size_t len, json_long_cb cb,
                   void *ctx, long *emitted, int *cb_rc);

/* How format_json_read_how() reads (the tests compare them). */
enum format_json_how {
    FORMAT_JSON_AUTO,   /* the scanner when the mapping fits it, yajl after it gives up */
    FORMAT_JSON_YAJL,   /* yajl only, as before the scanner */
    FORMAT_JSON_SCANNER /* the scanner only: -EAGAIN when it gives up or the mapping
                           does not fit it (elements may have been handed on) */
};

/* format_read() of a "json" reader, read as how says. */
int format_json_read_how(struct format *fmt, const char *buf, size_t len, format_record_cb cb,
                         void *ctx, char *err, size_t errsize, enum format_json_how how);

#endif
