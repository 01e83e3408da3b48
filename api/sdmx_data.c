/*
 * sdmx_data.c - GET /sdmx/2.1/data/{flow}[/{key}[/{provider}]]: the SDMX 2.1
 * REST data query (docs/API.md, "SDMX").
 *
 * The handler runs on a query worker: it chooses the format (format=, else
 * Accept, else SDMX-ML Generic), reads the path and the parameters, opens a
 * read-only store connection of the answer's own and the cursor over the
 * rows, and reads the first row (none: 404). The answer itself is written by
 * the stream (sdmx_write.c) on libmicrohttpd's thread while the client
 * reads it, so it is never held whole: no answer cap applies, and the
 * cursor's connection is the answer's until the last byte is sent.
 *
 * Errors are SDMX error messages in the format asked (SDMX-ML when none
 * could be chosen) with the standard's status codes: 400 bad syntax, 404 no
 * results or unknown flow, 406 a format not served, 413 too large, 501 not
 * implemented.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api_priv.h"
#include "api/sdmx_data.h"
#include "common/log.h"
#include "common/period.h"
#include "common/timefmt.h"
#include "store/observations.h"
#include "store/sdmx.h"

/* SDMX-JSON keeps every code of the answer for its structure: past this
 * many units (without a UNIT in the key) the answer is refused (413). The
 * figure is the reply cap over 64 bytes a code. */
#define JSON_CODE_BYTES 64

/* An SDMX error answer; returns 1 (rp is complete). */
static int sdmx_fail(struct api_reply *rp, enum sdmx_format fmt, unsigned status, int code,
                     const char *msgfmt, ...) __attribute__((format(printf, 5, 6)));

static int sdmx_fail(struct api_reply *rp, enum sdmx_format fmt, unsigned status, int code,
                     const char *msgfmt, ...)
{
    char msg[512];
    va_list ap;
    char *body = NULL;
    size_t len = 0;
    const char *type = NULL;

    va_start(ap, msgfmt);
    /* The analyzer loses va_start on one caller's path (a "%s" format). */
    vsnprintf(msg, sizeof(msg), msgfmt, ap); /* NOLINT(clang-analyzer-valist.Uninitialized) */
    va_end(ap);
    if (!api_utf8_valid(msg, strlen(msg)))
        snprintf(msg, sizeof(msg), "invalid request text");
    rp->cacheable = 0;
    if (sdmx_error_body(fmt, code, msg, &body, &len, &type) < 0)
        return api_reply_error(rp, status, "%s", msg) < 0 ? -ENOMEM : 1;
    free(rp->body);
    rp->body = body;
    rp->len = len;
    rp->status = status;
    rp->content_type = type;
    return 1;
}

/* ---- how many answers are open ---- */

/* Takes one of the API_SDMX_STREAMS slots: 1, or 0 when all are taken. */
static int stream_take(struct api *a)
{
    pthread_mutex_lock(&a->pool_mu);
    int ok = a->sdmx_streams < API_SDMX_STREAMS;
    a->sdmx_streams += (unsigned)ok;
    pthread_mutex_unlock(&a->pool_mu);
    return ok;
}

/* Gives a slot back (the stream's on_free). */
static void stream_release(void *ctx)
{
    struct api *a = ctx;
    pthread_mutex_lock(&a->pool_mu);
    a->sdmx_streams--;
    pthread_mutex_unlock(&a->pool_mu);
}

/* ---- parameters ---- */

struct params {
    struct sdmx_opts o;
    struct store_sdmx_query q;
    char lo[4][PERIOD_TEXT_SIZE], hi[4][PERIOD_TEXT_SIZE];
};

/* startPeriod or endPeriod into the per-frequency bounds (end: the
 * period's last month). Returns 0, or 1 with rp a 400. */
static int period_bound(struct api_request *rq, struct api_reply *rp, const char *name, int end,
                        struct params *p)
{
    const char *v = api_param(rq, name);
    char(*out)[PERIOD_TEXT_SIZE] = end ? p->hi : p->lo;

    if (!v)
        return 0;
    if (sdmx_period_bounds(v, end, out) < 0)
        return sdmx_fail(rp, p->o.fmt, MHD_HTTP_BAD_REQUEST, 140,
                         "parameter '%s': bad period \"%.64s\" (want 2023, 2023-S1, 2023-Q3, "
                         "2023-07 or 2023-07-01)",
                         name, v);
    for (int f = 0; f < 4; f++) {
        if (end)
            p->q.hi[f] = out[f];
        else
            p->q.lo[f] = out[f];
    }
    return 0;
}

/* Reads the query parameters into p. Returns 0, or 1 with rp an error. */
static int read_params(struct api_request *rq, struct api_reply *rp, const struct sdmx_flow *f,
                       struct params *p)
{
    const char *dao = api_param(rq, "dimensionAtObservation");
    const char *detail = api_param(rq, "detail");
    const char *ua = api_param(rq, "updatedAfter");
    const char *hist = api_param(rq, "includeHistory");
    enum sdmx_format fmt = p->o.fmt;
    int rc;

    if ((rc = period_bound(rq, rp, "startPeriod", 0, p)) != 0 ||
        (rc = period_bound(rq, rp, "endPeriod", 1, p)) != 0)
        return rc;
    if (dao && strcmp(dao, "AllDimensions") == 0) {
        p->o.all_dims = 1;
    } else if (dao && strcmp(dao, SDMX_TIME_DIM) != 0) {
        for (size_t i = 0; i < f->ndims; i++)
            if (strcmp(dao, f->dims[i].id) == 0)
                return sdmx_fail(rp, fmt, MHD_HTTP_NOT_IMPLEMENTED, 501,
                                 "parameter 'dimensionAtObservation': %s is not served (use "
                                 "TIME_PERIOD or AllDimensions)",
                                 dao);
        return sdmx_fail(rp, fmt, MHD_HTTP_BAD_REQUEST, 140,
                         "parameter 'dimensionAtObservation': \"%.64s\" is no dimension of %s "
                         "(want TIME_PERIOD or AllDimensions)",
                         dao, f->id);
    }
    static const char *const details[] = {"full", "dataonly", "serieskeysonly", "nodata"};
    p->o.detail = SDMX_DETAIL_FULL;
    if (detail) {
        size_t i = 0;
        while (i < 4 && strcmp(detail, details[i]) != 0)
            i++;
        if (i == 4)
            return sdmx_fail(rp, fmt, MHD_HTTP_BAD_REQUEST, 140,
                             "parameter 'detail': expected full, dataonly, serieskeysonly or "
                             "nodata, not \"%.64s\"",
                             detail);
        p->o.detail = (enum sdmx_detail)i;
    }
    if (hist && strcmp(hist, "true") != 0 && strcmp(hist, "false") != 0)
        return sdmx_fail(rp, fmt, MHD_HTTP_BAD_REQUEST, 140,
                         "parameter 'includeHistory': expected true or false, not \"%.64s\"", hist);
    p->q.history = hist && strcmp(hist, "true") == 0 && f->kind == SDMX_FLOW_OBS;
    if (ua) {
        char t[64];
        /* "+01:00" arrives as " 01:00" when the client did not escape it */
        snprintf(t, sizeof(t), "%s", ua);
        for (char *c = t; *c; c++)
            if (*c == ' ')
                *c = '+';
        if (strlen(ua) >= sizeof(t) || time_parse_iso(t, &p->q.updated_after) < 0)
            return sdmx_fail(rp, fmt, MHD_HTTP_BAD_REQUEST, 140,
                             "parameter 'updatedAfter': bad time \"%.64s\" (want ISO 8601, "
                             "2024-02-10T00:00:00Z)",
                             ua);
        if (p->q.updated_after == 0)
            p->q.updated_after = 1; /* 0 means none */
    }
    p->o.incremental = p->q.updated_after || p->q.history;
    if (fmt == SDMX_FMT_CSV1 && p->o.incremental)
        return sdmx_fail(rp, fmt, MHD_HTTP_NOT_ACCEPTABLE, 406,
                         "SDMX-CSV 1.0 cannot tell replaced from deleted rows: use SDMX-CSV 2.0 "
                         "(format=sdmx-csv-2.0) with updatedAfter or includeHistory");
    if (fmt == SDMX_FMT_CSV2 && p->q.history)
        return sdmx_fail(rp, fmt, MHD_HTTP_NOT_ACCEPTABLE, 406,
                         "SDMX-CSV has no vintage column: use SDMX-ML or SDMX-JSON with "
                         "includeHistory");
    return 0;
}

/* The path after prefix as sent, percent-decoded with '+' kept: '+' joins
 * codes in a key, and libmicrohttpd's URL has it as a space. (The server
 * checked the escapes and UTF-8 of the raw path already.) NULL when out of
 * memory. */
static char *raw_path(const struct api_request *rq, const char *fallback)
{
    static const char prefix[] = "/sdmx/2.1/data/";
    const char *p = rq->uri;
    size_t len = strcspn(p, "?#");

    if (len < sizeof(prefix) - 1 || strncmp(p, prefix, sizeof(prefix) - 1) != 0)
        return strdup(fallback ? fallback : "");
    p += sizeof(prefix) - 1;
    len -= sizeof(prefix) - 1;
    char *out = malloc(len + 1);
    size_t o = 0;
    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        unsigned hi, lo;
        if (p[i] == '%' && i + 2 < len + 1 && sscanf(p + i + 1, "%1x%1x", &hi, &lo) == 2) {
            out[o++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            out[o++] = p[i];
        }
    }
    out[o] = '\0';
    return out;
}

/* Splits the path after /sdmx/2.1/data/ into flow, key and provider (in
 * buf). Returns 0, or 1 with rp an error. */
static int split_path(struct api_reply *rp, enum sdmx_format fmt, char *buf, char **flow,
                      char **key, char **provider)
{
    char *part[3] = {buf, NULL, NULL};
    size_t n = 1;

    for (char *p = buf; (p = strchr(p, '/'));) {
        *p++ = '\0';
        if (n == 3)
            return sdmx_fail(rp, fmt, MHD_HTTP_NOT_FOUND, 100,
                             "no such resource: /sdmx/2.1/data/ takes {flow}/{key}/{provider}");
        part[n++] = p;
    }
    *flow = part[0];
    *key = part[1];
    *provider = part[2];
    if (!**flow)
        return sdmx_fail(rp, fmt, MHD_HTTP_BAD_REQUEST, 140, "path: no dataflow");
    return 0;
}

/* GET /sdmx/2.1/data/{flow}[/{key}[/{provider}]] (see the top). */
int api_route_sdmx_data(struct api_request *rq, const char *arg, struct api_reply *rp)
{
    struct params p;
    struct sdmx_key k = {0};
    struct sdmx_flow f;
    char what[300], id[SDMX_ID_MAX], err[256];
    char *path = NULL, *flow = NULL, *key = NULL, *provider = NULL;
    struct store *st = NULL;
    struct store_sdmx_cursor *cur = NULL;
    struct store_sdmx_row first;
    struct sdmx_stream *s = NULL;
    int rc, slot = 0;

    memset(&p, 0, sizeof(p));
    if (!sdmx_choose_format(
            api_param(rq, "format"),
            MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT),
            &p.o.fmt, what, sizeof(what)))
        return sdmx_fail(rp, p.o.fmt, MHD_HTTP_NOT_ACCEPTABLE, 406,
                         "%s; served: application/vnd.sdmx.genericdata+xml;version=2.1, "
                         "application/vnd.sdmx.structurespecificdata+xml;version=2.1, "
                         "application/vnd.sdmx.data+json;version=1.0.0 and 2.0.0, "
                         "application/vnd.sdmx.data+csv;version=1.0.0 and 2.0.0",
                         what),
               0;
    enum sdmx_format fmt = p.o.fmt;
    if (!(path = raw_path(rq, arg)))
        return -ENOMEM;
    if ((rc = split_path(rp, fmt, path, &flow, &key, &provider)) != 0)
        goto out;
    if ((rc = sdmx_flow_ref(flow, id, sizeof(id))) < 0) {
        rc = rc == -EINVAL ? sdmx_fail(rp, fmt, MHD_HTTP_BAD_REQUEST, 140,
                                       "path: bad dataflow reference \"%.100s\" (want ID, "
                                       "AGENCY,ID or AGENCY,ID,VERSION)",
                                       flow)
                           : sdmx_fail(rp, fmt, MHD_HTTP_NOT_FOUND, 100,
                                       "no dataflow \"%.100s\" (agency " SDMX_AGENCY
                                       ", version " SDMX_VERSION ")",
                                       flow);
        goto out;
    }
    if (provider && strcmp(provider, "all") != 0 && strcmp(provider, SDMX_AGENCY) != 0 &&
        strcmp(provider, SDMX_AGENCY "," SDMX_AGENCY) != 0) {
        rc = sdmx_fail(rp, fmt, MHD_HTTP_NOT_FOUND, 100,
                       "no data provider \"%.100s\" (the only one is " SDMX_AGENCY ")", provider);
        goto out;
    }
    if (!stream_take(rq->api)) {
        rc = sdmx_fail(rp, fmt, MHD_HTTP_SERVICE_UNAVAILABLE, 503,
                       "%d SDMX answers are being sent: try again shortly", API_SDMX_STREAMS);
        goto out;
    }
    slot = 1;
    if ((rc = store_open(&st, rq->api->db_path, STORE_READONLY, err, sizeof(err))) < 0) {
        log_err("api: %s", err);
        goto out;
    }
    if ((rc = sdmx_flow_find(st, id, &f)) < 0) {
        if (rc == -ENOENT)
            rc = sdmx_fail(rp, fmt, MHD_HTTP_NOT_FOUND, 100,
                           "no dataflow \"%.100s\" (OBS, or IDX_ and an index id)", id);
        goto out;
    }
    if ((rc = sdmx_key_parse(&f, key, &k, what, sizeof(what))) != 0) {
        if (rc == -EINVAL)
            rc = sdmx_fail(rp, fmt, MHD_HTTP_BAD_REQUEST, 140, "%s", what);
        goto out;
    }
    if ((rc = read_params(rq, rp, &f, &p)) != 0)
        goto out;
    p.q.index_id = f.kind == SDMX_FLOW_INDEX ? f.index_id : NULL;
    p.q.unit = (struct store_sdmx_codes){k.codes[0], k.n[0]};
    p.q.series = (struct store_sdmx_codes){k.codes[1], k.n[1]};
    p.q.freq = (struct store_sdmx_codes){k.codes[2], f.ndims > 2 ? k.n[2] : 0};
    if ((fmt == SDMX_FMT_JSON1 || fmt == SDMX_FMT_JSON2) && !k.n[0]) {
        long units = 0;
        size_t cap = rq->api->max_reply / JSON_CODE_BYTES;
        if ((rc = store_units_count(st, &units)) < 0)
            goto out;
        if ((size_t)units > cap) {
            rc = sdmx_fail(rp, fmt, MHD_HTTP_CONTENT_TOO_LARGE, 130,
                           "SDMX-JSON lists every code of its answer, and %ld units are more "
                           "than %zu: name the units in the key, or ask for SDMX-ML or SDMX-CSV",
                           units, cap);
            goto out;
        }
    }
    if ((rc = store_sdmx_open(st, &p.q, &cur)) < 0 || (rc = store_sdmx_next(cur, &first)) < 0)
        goto out;
    if (rc == 0) {
        rc = sdmx_fail(rp, fmt, MHD_HTTP_NOT_FOUND, 100, "no results for %s%s%s", f.id,
                       key ? " key " : "", key ? key : "");
        goto out;
    }
    p.o.on_free = stream_release;
    p.o.on_free_ctx = rq->api;
    slot = 0; /* the stream gives it back, also when it cannot be made */
    rc = sdmx_stream_new(&s, &f, &p.o, st, cur, &first);
    st = NULL; /* the stream's now (closed on failure too) */
    cur = NULL;
    if (rc < 0)
        goto out;
    rp->stream_read = sdmx_stream_read;
    rp->stream_free = sdmx_stream_free;
    rp->stream_cls = s;
    rp->status = MHD_HTTP_OK;
    rp->content_type = sdmx_format_type(fmt);
    rc = 0;
out:
    store_sdmx_close(&cur);
    store_close(&st);
    if (slot)
        stream_release(rq->api);
    sdmx_key_free(&k);
    free(path);
    return rc < 0 ? rc : 0;
}
