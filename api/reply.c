/*
 * reply.c - how the API answers: the JSON envelope (jansson only), CSV
 * rendering of list rows (RFC 4180), weak ETags from the data version with
 * If-None-Match, gzip for large bodies, and the request counters.
 *
 * JSON reals are written with 15 significant digits, and CSV the same, so a
 * value stored from "1.1" reads back as 1.1 in both, not 1.1000000000000001.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "api/api_priv.h"
#include "common/buf.h"
#include "common/metrics.h"
#include "common/timefmt.h"
#include "store/store.h"

#define JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

/* JSON null for NULL text, else a string (invalid UTF-8 also becomes null). */
json_t *api_json_str(const char *s)
{
    json_t *v = s ? json_string(s) : NULL;
    return v ? v : json_null();
}

/* ISO 8601 text for a µs time, JSON null for 0. */
json_t *api_json_time(int64_t us)
{
    char buf[40];
    if (us == 0 || time_format_iso(us, buf, sizeof(buf)) < 0)
        return json_null();
    return json_string(buf);
}

/* jansson's dump callback: appends to a struct buf; -1 stops the dump. */
static int dump_to_buf(const char *text, size_t size, void *data)
{
    return buf_add(data, text, size) < 0 ? -1 : 0;
}

/* Takes b's text as the body; returns b's error instead when it has one. */
static int take_body(struct api_reply *rp, struct buf *b)
{
    int rc = b->err;
    char *body = rc < 0 ? NULL : buf_take(b, &rp->len);

    buf_free(b);
    if (!body)
        return rc < 0 ? rc : -ENOMEM;
    free(rp->body);
    rp->body = body;
    return 0;
}

/* root (stolen) as the JSON body, at most API_MAX_REPLY bytes. */
static int reply_json(struct api_reply *rp, unsigned status, json_t *root)
{
    struct buf b;
    int rc;

    if (!root)
        return -ENOMEM;
    buf_init(&b, rp->cap ? rp->cap : API_MAX_REPLY);
    if (json_dump_callback(root, dump_to_buf, &b, JSON_FLAGS) < 0 && !b.err)
        b.err = -ENOMEM;
    json_decref(root);
    if ((rc = take_body(rp, &b)) < 0)
        return rc;
    rp->status = status;
    rp->content_type = "application/json";
    return 0;
}

/* The success envelope around data (stolen). */
int api_reply_ok(struct api_reply *rp, json_t *data)
{
    return reply_json(rp, MHD_HTTP_OK, json_pack("{s:s,s:o}", "status", "ok", "data", data));
}

/* The error envelope with a formatted message. */
int api_reply_error(struct api_reply *rp, unsigned status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    rp->cacheable = 0;
    /* "s?" would drop invalid UTF-8 silently; json_stringn_nocheck is not
     * wanted either, so a message that is not UTF-8 falls back to a fixed one. */
    json_t *m = json_string(msg);
    if (!m)
        m = json_string("invalid request text");
    return reply_json(rp, status,
                      json_pack("{s:s,s:{s:i,s:o}}", "status", "error", "error", "code",
                                (int)status, "message", m));
}

/* A 400 with a formatted message; returns 1 (see api_priv.h). */
int api_reply_bad(struct api_reply *rp, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    api_reply_error(rp, MHD_HTTP_BAD_REQUEST, "%s", msg);
    return 1;
}

/* A plain body (copied). */
int api_reply_text(struct api_reply *rp, unsigned status, const char *content_type,
                   const char *text, size_t len)
{
    free(rp->body);
    rp->body = malloc(len + 1);
    if (!rp->body)
        return -ENOMEM;
    memcpy(rp->body, text, len);
    rp->body[len] = '\0';
    rp->len = len;
    rp->status = status;
    rp->content_type = content_type;
    return 0;
}

/* One CSV field: quoted (with "" for ") when it holds , " CR or LF. */
static void csv_text(struct buf *b, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        buf_addstr(b, s);
        return;
    }
    buf_add(b, "\"", 1);
    for (const char *q; (q = strchr(s, '"')); s = q + 1) {
        buf_add(b, s, (size_t)(q - s) + 1);
        buf_add(b, "\"", 1);
    }
    buf_addstr(b, s);
    buf_add(b, "\"", 1);
}

static void csv_value(struct buf *b, const json_t *v)
{
    if (json_is_string(v)) {
        csv_text(b, json_string_value(v));
    } else if (json_is_integer(v)) {
        buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    } else if (json_is_real(v)) {
        buf_printf(b, "%.15g", json_real_value(v));
    } else if (json_is_boolean(v)) {
        csv_text(b, json_is_true(v) ? "true" : "false");
    } else if (json_is_object(v) || json_is_array(v)) {
        char *s = json_dumps(v, JSON_FLAGS);
        if (s)
            csv_text(b, s);
        else if (!b->err)
            b->err = -ENOMEM;
        free(s);
    } /* null: an empty field */
}

static int render_csv(struct api_reply *rp, const json_t *rows, const char *const *columns)
{
    struct buf b;
    size_t i;
    const json_t *row;
    int rc;

    buf_init(&b, rp->cap ? rp->cap : API_MAX_REPLY);
    for (size_t c = 0; columns[c]; c++) {
        if (c)
            buf_add(&b, ",", 1);
        csv_text(&b, columns[c]);
    }
    buf_add(&b, "\r\n", 2);
    json_array_foreach(rows, i, row)
    {
        for (size_t c = 0; columns[c]; c++) {
            if (c)
                buf_add(&b, ",", 1);
            csv_value(&b, json_object_get(row, columns[c]));
        }
        buf_add(&b, "\r\n", 2);
    }
    if ((rc = take_body(rp, &b)) < 0)
        return rc;
    rp->status = MHD_HTTP_OK;
    rp->content_type = "text/csv; charset=utf-8; header=present";
    return 0;
}

/* An answer over API_MAX_REPLY (-E2BIG) becomes a 413 that says what to do;
 * other results pass. */
static int too_large(struct api_reply *rp, int rc)
{
    if (rc != -E2BIG)
        return rc;
    size_t cap = rp->cap ? rp->cap : API_MAX_REPLY;
    rp->paged = 0;
    rp->cap = 0; /* the error itself is small */
    return api_reply_error(rp, MHD_HTTP_CONTENT_TOO_LARGE,
                           "answer over %zu bytes: ask for fewer rows (limit) or narrow the query",
                           cap);
}

/* The envelope with data and, for a page, its "page" member (rp->paged). */
static int reply_envelope(struct api_reply *rp, json_t *data)
{
    if (!rp->paged)
        return api_reply_ok(rp, data);
    json_t *next = rp->next[0] ? json_string(rp->next) : json_null();
    return reply_json(rp, MHD_HTTP_OK,
                      json_pack("{s:s,s:o,s:{s:I,s:I,s:o}}", "status", "ok", "data", data, "page",
                                "limit", (json_int_t)rp->page_limit, "total",
                                (json_int_t)rp->page_total, "next", next));
}

/* JSON envelope or CSV rows, by ?format= (see api_priv.h). */
int api_reply_rows(struct api_request *rq, struct api_reply *rp, json_t *data, const json_t *rows,
                   const char *const *columns)
{
    const char *format = api_param(rq, "format");
    int rc;

    if (!data)
        return -ENOMEM;
    rp->cap = rq->api->max_reply;
    if (!format || strcmp(format, "json") == 0)
        return too_large(rp, reply_envelope(rp, data));
    if (strcmp(format, "csv") == 0)
        rc = too_large(rp, render_csv(rp, rows, columns));
    else if (strcmp(format, "xlsx") == 0)
        rc = too_large(rp, api_xlsx_rows(rq, rp, data, rows, columns));
    else
        rc = api_reply_error(
            rp, MHD_HTTP_BAD_REQUEST,
            "parameter 'format': expected \"json\", \"csv\" or \"xlsx\", not \"%.64s\"", format);
    json_decref(data);
    return rc;
}

/* A page of a list (see api_priv.h). */
int api_reply_page(struct api_request *rq, struct api_reply *rp, json_t *data, const json_t *rows,
                   const char *const *columns, struct api_page *pg)
{
    int rc = api_page_finish(pg, rp);

    if (rc < 0) {
        json_decref(data);
        return rc;
    }
    return api_reply_rows(rq, rp, data, rows, columns);
}

/* Does the If-None-Match list (e.g. `W/"ab", "cd"` or `*`) hold etag? Weak
 * comparison: a W/ prefix on either side is ignored. */
static int etag_listed(const char *list, const char *etag)
{
    const char *want = strncmp(etag, "W/", 2) == 0 ? etag + 2 : etag;
    size_t wlen = strlen(want);

    while (*list) {
        list += strspn(list, " \t,");
        size_t n = strcspn(list, ",");
        size_t end = n;
        while (end && (list[end - 1] == ' ' || list[end - 1] == '\t'))
            end--;
        const char *tag = list;
        if (end == 1 && *tag == '*')
            return 1;
        if (end > 2 && strncmp(tag, "W/", 2) == 0) {
            tag += 2;
            end -= 2;
        }
        if (end == wlen && memcmp(tag, want, wlen) == 0)
            return 1;
        list += n;
    }
    return 0;
}

static int accepts_gzip(const char *ae);

/* Does the client take gzip, and is it worth it for this request? */
static int wants_gzip(struct api_request *rq)
{
    return accepts_gzip(
        MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING));
}

/* The request's ETag and whether If-None-Match matches, or a cached answer of
 * the same epoch (see api_priv.h and cache.c). */
int api_reply_etag(struct api_request *rq, struct api_reply *rp)
{
    api_cache_etag(rq->api->cache, rq->uri, rq->uri_len, rp->etag, sizeof(rp->etag), &rp->epoch);
    rp->cacheable = 1;
    const char *inm =
        MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
    if (inm && etag_listed(inm, rp->etag)) {
        rp->status = MHD_HTTP_NOT_MODIFIED;
        return 1;
    }
    return api_cache_get(rq->api->cache, rq->uri, rq->uri_len, wants_gzip(rq), rp->epoch, rp);
}

/* A GET or HEAD answered from the cache of this epoch, or 304 by the cached
 * answer's ETag: 1 when rp is complete, 0 when the request needs a handler. */
int api_reply_cached(struct api_request *rq, struct api_reply *rp)
{
    const char *endpoint = NULL;

    if ((strcmp(rq->method, MHD_HTTP_METHOD_GET) != 0 && !rq->head) || rq->uri_len > API_MAX_URI ||
        !api_cache_lookup(rq->api->cache, rq->uri, rq->uri_len, wants_gzip(rq), rp, &endpoint))
        return 0;
    rq->endpoint = endpoint ? endpoint : rq->endpoint;
    const char *inm =
        MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
    if (inm && etag_listed(inm, rp->etag)) { /* 304: the ETag, no body */
        api_blob_unref(rp->blob);
        rp->blob = NULL;
        rp->body = NULL;
        rp->len = 0;
        rp->content_type = NULL;
        rp->pre_gzipped = rp->from_cache = 0;
        rp->status = MHD_HTTP_NOT_MODIFIED;
    }
    return 1;
}

/* Frees what rp holds when it is not sent (the client went away). */
void api_reply_discard(struct api_reply *rp)
{
    if (rp->stream_free)
        rp->stream_free(rp->stream_cls);
    rp->stream_free = NULL;
    rp->stream_read = NULL;
    rp->stream_cls = NULL;
    if (rp->blob)
        api_blob_unref(rp->blob);
    else
        free(rp->body);
    rp->blob = NULL;
    rp->body = NULL;
}

int api_reply_list(struct api_request *rq, struct api_reply *rp, const struct api_list *l)
{
    struct api_list_walk w = {.pg = {0}};
    struct store *st;
    int rc;

    if (api_page_params(rq, rp, &w.pg, l->tag, 1, l->def, l->max))
        return 0;
    if ((rc = api_reply_etag(rq, rp)) != 0)
        return rc < 0 ? rc : 0;
    if (!(w.rows = json_array()))
        return -ENOMEM;
    if ((rc = api_store_get(rq, &st)) < 0 ||
        (w.pg.total < 0 && (rc = l->count(st, &w.pg.total)) < 0) ||
        (rc = l->walk(st, w.pg.nkey ? w.pg.key[0] : NULL, w.pg.limit + 1, &w)) < 0) {
        json_decref(w.rows);
        return rc;
    }
    return api_reply_page(rq, rp, w.rows, w.rows, l->columns, &w.pg);
}

/* Takes obj (stolen) into a list walk's page with key, or stops the walk
 * (see api_priv.h). */
int api_list_take(struct api_list_walk *w, json_t *obj, const char *key)
{
    if (api_page_full(&w->pg)) {
        json_decref(obj);
        return 1;
    }
    if (!obj || json_array_append_new(w->rows, obj) != 0)
        return -ENOMEM;
    api_page_took(&w->pg, &key, 1);
    return 0;
}

/* Does Accept-Encoding allow gzip (a "gzip" or "x-gzip" token without q=0)? */
static int accepts_gzip(const char *ae)
{
    while (ae && *ae) {
        ae += strspn(ae, " \t,");
        size_t n = strcspn(ae, ",");
        size_t name = strcspn(ae, " \t;,");
        char tok[64];
        if ((name == 4 && strncasecmp(ae, "gzip", 4) == 0) ||
            (name == 6 && strncasecmp(ae, "x-gzip", 6) == 0)) {
            snprintf(tok, sizeof(tok), "%.*s", (int)(n < 63 ? n : 63), ae);
            const char *q = strstr(tok, "q=");
            return !q || strtod(q + 2, NULL) > 0;
        }
        ae += n;
    }
    return 0;
}

/* Replaces rp->body by its gzip encoding. Returns 0 or -ENOMEM/-EIO. */
static int gzip_body(struct api_reply *rp)
{
    z_stream zs = {0};
    int rc = -EIO;

    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK)
        return -ENOMEM;
    uLong cap = deflateBound(&zs, (uLong)rp->len) + 32; /* + the gzip header and trailer */
    unsigned char *out = malloc(cap);
    if (!out) {
        rc = -ENOMEM;
        goto out;
    }
    zs.next_in = (unsigned char *)rp->body;
    zs.avail_in = (uInt)rp->len;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
        free(out);
        goto out;
    }
    free(rp->body);
    rp->body = (char *)out;
    rp->len = zs.total_out;
    rc = 0;
out:
    deflateEnd(&zs);
    return rc;
}

static void count_request(struct api_request *rq, unsigned status)
{
    char code[8];
    snprintf(code, sizeof(code), "%u", status);
    const char *const labels[] = {rq->endpoint, code};
    const char *const endpoint[] = {rq->endpoint};
    metrics_counter_add(rq->api->metrics, "api_requests_total", labels, 1);
    metrics_histogram_observe(rq->api->metrics, "api_request_duration_seconds", endpoint,
                              (double)(time_now_us() - rq->t0) / 1e6);
}

static void add_headers(struct MHD_Response *r, const struct api_reply *rp, int gzipped)
{
    if (rp->content_type)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, rp->content_type);
    if (rp->cacheable && rp->etag[0]) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, rp->etag);
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
    if (rp->computed)
        MHD_add_response_header(r, "X-Parkstat-Computed", rp->computed);
    if (gzipped)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    if (rp->allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, rp->allow);
    if (rp->challenge)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"parkstat\"");
    if (rp->paged && rp->status == MHD_HTTP_OK) {
        char total[32];
        snprintf(total, sizeof(total), "%ld", rp->page_total);
        MHD_add_response_header(r, "X-Total-Count", total);
        if (rp->next[0])
            MHD_add_response_header(r, "X-Next-Cursor", rp->next);
    }
}

/* A streamed answer (rp->stream_read): written block by block while the
 * client reads it, of a length not known beforehand (chunked). */
static enum MHD_Result send_stream(struct api_request *rq, struct api_reply *rp)
{
    struct MHD_Response *r = MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, API_STREAM_BLOCK, rp->stream_read, rp->stream_cls, rp->stream_free);

    rp->stream_read = NULL;
    if (!r) {
        rp->stream_free(rp->stream_cls);
        rp->stream_free = NULL;
        return MHD_NO;
    }
    rp->stream_free = NULL; /* the response's now */
    free(rp->body);
    rp->body = NULL;
    add_headers(r, rp, 0);
    count_request(rq, rp->status);
    enum MHD_Result ret = MHD_queue_response(rq->conn, rp->status, r);
    MHD_destroy_response(r);
    return ret;
}

/* The body gzipped when the client takes it, and kept in the cache (see
 * api_priv.h). */
void api_reply_finish(struct api_request *rq, struct api_reply *rp)
{
    if (rp->finished || rp->stream_read)
        return;
    rp->finished = 1;
    int gzip_ok = rp->body && wants_gzip(rq);

    /* A workbook is a zip already: gzip would not make it smaller. */
    if (!rp->from_cache && gzip_ok && rp->len > API_GZIP_MIN && rp->content_type != api_xlsx_type)
        rp->pre_gzipped = gzip_body(rp) == 0;
    /* Keep the finished bytes for the next identical request of this epoch. */
    if (!rp->from_cache && rp->cacheable && rp->status == MHD_HTTP_OK && rp->body)
        api_cache_put(rq->api->cache, rq->uri, rq->uri_len, gzip_ok, rp->pre_gzipped, rp->epoch, rp,
                      rq->endpoint);
}

/* Turns rp into an MHD response and queues it (see api_priv.h). */
enum MHD_Result api_reply_send(struct api_request *rq, struct api_reply *rp)
{
    if (rp->stream_read)
        return send_stream(rq, rp);
    api_reply_finish(rq, rp);
    int gzipped = rp->pre_gzipped;
    struct MHD_Response *r =
        rp->blob ? MHD_create_response_from_buffer_with_free_callback_cls(rp->len, rp->body,
                                                                          api_blob_unref, rp->blob)
                 : MHD_create_response_from_buffer_with_free_callback(rp->len, rp->body, free);
    if (!r) {
        if (rp->blob)
            api_blob_unref(rp->blob);
        else
            free(rp->body);
        rp->body = NULL;
        rp->blob = NULL;
        return MHD_NO;
    }
    rp->body = NULL; /* owned by the response now */
    rp->blob = NULL;
    add_headers(r, rp, gzipped);
    if (rp->content_type == api_xlsx_type) {
        char disp[96];
        snprintf(disp, sizeof(disp), "attachment; filename=\"%s.xlsx\"",
                 api_xlsx_filename(rq->endpoint));
        MHD_add_response_header(r, "Content-Disposition", disp);
    }
    count_request(rq, rp->status);
    enum MHD_Result ret = MHD_queue_response(rq->conn, rp->status, r);
    MHD_destroy_response(r);
    return ret;
}
