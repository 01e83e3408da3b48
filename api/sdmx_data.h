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
    int all_dims;    /* dimensionAtObservation=AllDimensions (flat) */
    int incremental; /* updatedAfter or includeHistory: data sets say Replace */
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

/* An SDMX error message (code: the SDMX error code, 100 no results, 130 too
 * large, 140 syntax, 406 not acceptable, 500, 501 not implemented) in the
 * format fmt into a malloc'd *body of *len bytes with its *type. Returns 0
 * or -ENOMEM. */
int sdmx_error_body(enum sdmx_format fmt, int code, const char *msg, char **body, size_t *len,
                    const char **type);

#endif
