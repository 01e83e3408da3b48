/*
 * sdmx_data.h - the SDMX data answer of the api module (not for use outside
 * api/): the formats, and the stream that writes an answer while the client
 * reads it (sdmx_write.c), for the route (sdmx_data.c).
 */
#ifndef PARKSTAT_API_SDMX_DATA_H
#define PARKSTAT_API_SDMX_DATA_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "api/sdmx_model.h"
#include "store/sdmx.h"

enum sdmx_format {
    SDMX_FMT_GENERIC, /* SDMX-ML 2.1 Generic data */
    SDMX_FMT_SS,      /* SDMX-ML 2.1 StructureSpecific data */
    SDMX_FMT_JSON1,   /* SDMX-JSON 1.0 data message */
    SDMX_FMT_JSON2,   /* SDMX-JSON 2.0 data message */
    SDMX_FMT_CSV1,    /* SDMX-CSV 1.0 */
    SDMX_FMT_CSV2,    /* SDMX-CSV 2.0 */
};

enum sdmx_detail {
    SDMX_DETAIL_FULL,
    SDMX_DETAIL_DATAONLY,       /* no attributes */
    SDMX_DETAIL_SERIESKEYSONLY, /* series keys, no attributes, no observations */
    SDMX_DETAIL_NODATA,         /* series keys and attributes, no observations */
};

/* How an answer is written. */
struct sdmx_opts {
    enum sdmx_format fmt;
    enum sdmx_detail detail;
    int all_dims;               /* dimensionAtObservation=AllDimensions (flat) */
    int incremental;            /* updatedAfter or includeHistory: data sets say Replace */
    void (*on_free)(void *ctx); /* called when the stream is freed (may be NULL) */
    void *on_free_ctx;
};

/* The media type of a format (Content-Type). */
const char *sdmx_format_type(enum sdmx_format fmt);

struct sdmx_stream;

/*
 * A stream over cur (positioned on its first row, first; both it and st,
 * the cursor's own connection, are taken over and closed with the stream).
 * Returns 0 or -ENOMEM (st and cur are closed then too).
 */
int sdmx_stream_new(struct sdmx_stream **out, const struct sdmx_flow *f, const struct sdmx_opts *o,
                    struct store *st, struct store_sdmx_cursor *cur,
                    const struct store_sdmx_row *first);

/* libmicrohttpd's content reader: the next bytes of the answer, written on
 * demand (about 64 KiB at a time). */
ssize_t sdmx_stream_read(void *cls, uint64_t pos, char *buf, size_t max);

/* libmicrohttpd's free callback: closes the cursor and its connection. */
void sdmx_stream_free(void *cls);

/* ---- sdmx_parse.c: the request's text ---- */

/*
 * The format asked: by format= (a name of docs/API.md or a media type; NULL:
 * none), else by Accept (the served type of highest q; NULL or blank: none),
 * else SDMX-ML Generic. Returns 1 and *fmt, or 0 when neither names a
 * format served (a 406: why says what was asked, *fmt is Generic).
 */
int sdmx_choose_format(const char *format, const char *accept, enum sdmx_format *fmt, char *why,
                       size_t size);

/* Codes of one dimension in a key at most. */
#define SDMX_KEY_MAX_CODES 256

/* A key split over a flow's dimensions: n[d] codes of dimension d (0: every
 * code), pointing into text. FREQ codes are the store's (A -> "Y", S -> "H";
 * an unknown one "?", which matches nothing). */
struct sdmx_key {
    char *text;
    const char *codes[3][SDMX_KEY_MAX_CODES];
    size_t n[3];
};

/*
 * Splits key ("A..B+C"; "all", "" or NULL: everything) over f's dimensions.
 * Returns 0, -EINVAL with why (a wrong number of parts, an empty code in a
 * list, too many codes) or -ENOMEM. sdmx_key_free() after either.
 */
int sdmx_key_parse(const struct sdmx_flow *f, const char *key, struct sdmx_key *k, char *why,
                   size_t size);
void sdmx_key_free(struct sdmx_key *k);

/*
 * An SDMX period bound (sdmx_period_parse()) as the bound of each store
 * frequency ("YHQM", STORE_SDMX_FREQS): the period of that frequency holding
 * its first month, or its last (end). Returns 0 or -EINVAL.
 */
int sdmx_period_bounds(const char *text, int end, char out[4][PERIOD_TEXT_SIZE]);

/* An SDMX error message (code: the SDMX error code, 100 no results, 130 too
 * large, 140 syntax, 406 not acceptable, 500, 501 not implemented) in the
 * format fmt into a malloc'd *body of *len bytes with its *type. Returns 0
 * or -ENOMEM. */
int sdmx_error_body(enum sdmx_format fmt, int code, const char *msg, char **body, size_t *len,
                    const char **type);

#endif
