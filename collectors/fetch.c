/*
 * fetch.c - libcurl multi socket API driven from libuv (see fetch.h).
 *
 * The pattern is curl's multi-uv example, with its known traps handled:
 * curl_multi_info_read() after every socket action and every timer expiry; the
 * easy handle and result copied out of the CURLMsg before the handle is
 * removed; CURL_CSELECT_ERR passed when libuv reports a poll error; polling
 * stopped inside CURL_POLL_REMOVE; and at shutdown the socket contexts stay
 * alive through curl_multi_cleanup() (which may still call the socket
 * callback), with memory released only in uv_close callbacks.
 */
#include "collectors/fetch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "common/buf.h"
#include "common/log.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define DEFAULT_TIMEOUT_MS         60000L
#define DEFAULT_BACKOFF_BASE_MS    500L
#define DEFAULT_BACKOFF_MAX_MS     60000L
/* Easy handles kept for the next transfers, at most (curl_easy_reset()). */
#define FETCH_IDLE_MAX 64

struct fetch {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;           /* curl's timeout */
    struct transfer *transfers; /* pending transfers, a doubly linked list */
    /* Transfers wait here until one of max_active places in curl is free:
     * curl's timeouts start when a handle is added, so a long queue inside
     * curl would time out transfers that never got a connection. */
    struct transfer *queue_head, *queue_tail;
    size_t active, max_active;
    size_t pending;
    size_t handles; /* open libuv handles we own; freed at zero when closing */
    int closing;
    int held;     /* fetch_hold(): new transfers wait in the queue */
    uint64_t rng; /* xorshift state for backoff jitter */
    /* Easy handles of finished transfers, reset, for the next ones: a
     * collection of thousands of payloads allocates max_active handles,
     * not one per payload (each curl_easy_init() zeroes fresh pages). */
    CURL *idle[FETCH_IDLE_MAX];
    size_t n_idle;
};

/* A socket curl asked us to watch; freed in its close callback. */
struct sock_ctx {
    uv_poll_t poll;
    curl_socket_t fd;
    struct fetch *f;
};

struct transfer {
    struct transfer *prev, *next;
    struct fetch *f;
    CURL *easy; /* from the first attempt's start to the end (NULL while queued) */
    struct curl_slist *headers;
    uv_timer_t retry_timer; /* backoff; the transfer is freed in its close callback */
    int in_multi;           /* added to the multi handle (not waiting to retry) */
    int queued;             /* waiting in the fetcher's queue */
    struct transfer *qnext;
    char *url, *ca_file, *bearer, *user, *password;
    int max_retries;
    long connect_ms, total_ms;
    long backoff_base_ms, backoff_max_ms;
    struct buf body; /* capped at the request's max_bytes */
    int too_big;
    int attempts;
    uint64_t started_ns;
    char errbuf[CURL_ERROR_SIZE];
    fetch_done_cb cb;
    void *ctx;
};

static void check_done(struct fetch *f);

const char *fetch_user_agent(void)
{
    return "parkstat/" PARKSTAT_VERSION;
}

static void handle_closed(uv_handle_t *h)
{
    struct fetch *f = h->data;
    if (--f->handles == 0 && f->closing)
        free(f);
}

static void sock_closed(uv_handle_t *h)
{
    struct sock_ctx *sc = (struct sock_ctx *)h;
    struct fetch *f = sc->f;
    free(sc);
    if (--f->handles == 0 && f->closing)
        free(f);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    struct sock_ctx *sc = (struct sock_ctx *)h;
    struct fetch *f = sc->f;
    int flags = 0, running;

    if (status < 0)
        flags = CURL_CSELECT_ERR;
    else {
        if (events & UV_READABLE)
            flags |= CURL_CSELECT_IN;
        if (events & UV_WRITABLE)
            flags |= CURL_CSELECT_OUT;
    }
    curl_multi_socket_action(f->multi, sc->fd, flags, &running);
    check_done(f);
}

static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    struct fetch *f = userp;
    struct sock_ctx *sc = socketp;
    int events = 0;

    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        if (sc) {
            uv_poll_stop(&sc->poll);
            curl_multi_assign(f->multi, s, NULL);
            uv_close((uv_handle_t *)&sc->poll, sock_closed);
        }
        return 0;
    }
    if (!sc) {
        sc = calloc(1, sizeof(*sc));
        if (!sc)
            return -1;
        sc->fd = s;
        sc->f = f;
        if (uv_poll_init_socket(f->loop, &sc->poll, s) < 0) {
            free(sc);
            return -1;
        }
        f->handles++;
        curl_multi_assign(f->multi, s, sc);
    }
    if (what & CURL_POLL_IN)
        events |= UV_READABLE;
    if (what & CURL_POLL_OUT)
        events |= UV_WRITABLE;
    return uv_poll_start(&sc->poll, events, on_poll) < 0 ? -1 : 0;
}

static void on_timeout(uv_timer_t *h)
{
    struct fetch *f = h->data;
    int running;
    curl_multi_socket_action(f->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(f);
}

static int on_timer_set(CURLM *multi, long timeout_ms, void *userp)
{
    struct fetch *f = userp;
    (void)multi;
    if (timeout_ms < 0)
        return uv_timer_stop(&f->timer) < 0 ? -1 : 0;
    /* 0 means "now"; a 1 ms timer avoids re-entering curl from this callback. */
    return uv_timer_start(&f->timer, on_timeout, timeout_ms ? (uint64_t)timeout_ms : 1, 0) < 0 ? -1
                                                                                               : 0;
}

int fetch_new(struct fetch **out, uv_loop_t *loop, const struct fetch_limits *limits)
{
    struct fetch *f;
    long total = limits && limits->max_connections > 0 ? limits->max_connections : 16;
    long host = limits && limits->max_host_connections > 0 ? limits->max_host_connections : 4;

    *out = NULL;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return -EIO;
    f = calloc(1, sizeof(*f));
    if (!f)
        return -ENOMEM;
    f->loop = loop;
    f->multi = curl_multi_init();
    if (!f->multi) {
        free(f);
        return -ENOMEM;
    }
    f->rng = uv_hrtime() ^ ((uint64_t)(uintptr_t)f << 17) ^ 0x9e3779b97f4a7c15ULL;
    uv_timer_init(loop, &f->timer);
    f->timer.data = f;
    f->handles = 1;
    curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f);
    curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, on_timer_set);
    curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f);
    /* Caps are enforced by curl itself: transfers over them wait in its queue. */
    curl_multi_setopt(f->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, total);
    f->max_active = (size_t)total;
    curl_multi_setopt(f->multi, CURLMOPT_MAX_HOST_CONNECTIONS, host);
    *out = f;
    return 0;
}

size_t fetch_pending(const struct fetch *f)
{
    return f->pending;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *userp)
{
    struct transfer *t = userp;
    size_t n = size * nmemb;

    int rc = buf_add(&t->body, data, n);

    if (rc == -E2BIG)
        t->too_big = 1;
    return rc < 0 ? 0 : n; /* 0 aborts the transfer with CURLE_WRITE_ERROR */
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void transfer_free(uv_handle_t *h)
{
    struct transfer *t = h->data;
    struct fetch *f = t->f;

    free(t->url);
    free(t->ca_file);
    free(t->bearer);
    free(t->user);
    free(t->password);
    buf_free(&t->body);
    free(t);
    if (--f->handles == 0 && f->closing)
        free(f);
}

/* Adds one "Name: value" line to the request headers. */
static int add_header(struct transfer *t, const char *name, const char *value)
{
    char line[1024];
    struct curl_slist *l;
    int n = value ? snprintf(line, sizeof(line), "%s: %s", name, value)
                  : snprintf(line, sizeof(line), "%s", name);
    if (n < 0 || (size_t)n >= sizeof(line))
        return -EINVAL;
    if (!(l = curl_slist_append(t->headers, line)))
        return -ENOMEM;
    t->headers = l;
    return 0;
}

static int set_headers(struct transfer *t, const struct fetch_request *req)
{
    int rc = 0;
    for (size_t i = 0; i < req->n_headers && rc == 0; i++)
        rc = add_header(t, req->headers[i], NULL);
    if (rc == 0 && req->etag && *req->etag)
        rc = add_header(t, "If-None-Match", req->etag);
    if (rc == 0 && req->last_modified && *req->last_modified)
        rc = add_header(t, "If-Modified-Since", req->last_modified);
    return rc;
}

static void set_auth(struct transfer *t)
{
    if (t->bearer) {
        curl_easy_setopt(t->easy, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
        curl_easy_setopt(t->easy, CURLOPT_XOAUTH2_BEARER, t->bearer);
    } else if (t->user) {
        curl_easy_setopt(t->easy, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(t->easy, CURLOPT_USERNAME, t->user);
        curl_easy_setopt(t->easy, CURLOPT_PASSWORD, t->password ? t->password : "");
    }
}

/* Every option of t's transfer on its (new or reset) easy handle. */
static void set_options(struct transfer *t)
{
    CURL *e = t->easy;

    curl_easy_setopt(e, CURLOPT_URL, t->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, t);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https,file");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, t->connect_ms);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, t->total_ms);
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)t->body.max);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, ""); /* every encoding curl decodes */
    curl_easy_setopt(e, CURLOPT_USERAGENT, fetch_user_agent());
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    if (t->ca_file)
        curl_easy_setopt(e, CURLOPT_CAINFO, t->ca_file);
    if (t->headers)
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    set_auth(t);
    /* Proxies come from the environment (http_proxy, https_proxy, no_proxy):
     * libcurl reads them itself unless CURLOPT_PROXY is set, which we never do. */
}

static void on_retry(uv_timer_t *h);

/* An easy handle for t's first attempt: an idle one or a new one, with t's
 * options set. Returns 0 or -ENOMEM. */
static int transfer_easy(struct transfer *t)
{
    struct fetch *f = t->f;
    t->easy = f->n_idle ? f->idle[--f->n_idle] : curl_easy_init();
    if (!t->easy)
        return -ENOMEM;
    set_options(t);
    return 0;
}

/* Gives t's easy handle back: reset (no option, credential or header of t
 * stays on it; its connections stay in the multi handle's cache) and kept
 * for the next transfer, or cleaned up when enough are kept. */
static void transfer_easy_release(struct transfer *t)
{
    struct fetch *f = t->f;
    if (!t->easy)
        return;
    if (!f->closing && f->n_idle < FETCH_IDLE_MAX) {
        curl_easy_reset(t->easy);
        f->idle[f->n_idle++] = t->easy;
    } else {
        curl_easy_cleanup(t->easy);
    }
    t->easy = NULL;
}

static int transfer_add(struct transfer *t)
{
    if (!t->easy && transfer_easy(t) < 0)
        return -ENOMEM;
    t->attempts++;
    buf_reset(&t->body);
    t->too_big = 0;
    t->errbuf[0] = '\0';
    if (curl_multi_add_handle(t->f->multi, t->easy) != CURLM_OK)
        return -EIO;
    t->in_multi = 1;
    t->f->active++;
    return 0;
}

static void enqueue(struct transfer *t)
{
    struct fetch *f = t->f;
    t->queued = 1;
    t->qnext = NULL;
    if (f->queue_tail)
        f->queue_tail->qnext = t;
    else
        f->queue_head = t;
    f->queue_tail = t;
}

static void transfer_finish(struct transfer *t, enum fetch_outcome outcome, long status,
                            const char *error);

/* Hands queued transfers to curl while places are free, oldest first. */
static void start_queued(struct fetch *f)
{
    while (!f->closing && !f->held && f->active < f->max_active && f->queue_head) {
        struct transfer *t = f->queue_head;
        f->queue_head = t->qnext;
        if (!f->queue_head)
            f->queue_tail = NULL;
        t->queued = 0;
        if (transfer_add(t) < 0)
            transfer_finish(t, FETCH_FAILED, 0, "curl_multi_add_handle failed");
    }
}

/* Starts t now or queues it behind the others. Returns 0 or -EIO. */
static int transfer_begin(struct transfer *t)
{
    if (t->f->held || t->f->active >= t->f->max_active || t->f->queue_head) {
        enqueue(t);
        return 0;
    }
    return transfer_add(t);
}

void fetch_hold(struct fetch *f, int hold)
{
    f->held = hold;
    if (!hold)
        start_queued(f);
}

int fetch_start(struct fetch *f, const struct fetch_request *req, fetch_done_cb cb, void *ctx)
{
    struct transfer *t;
    int rc = -ENOMEM;

    if (f->closing || !req->url)
        return -EINVAL;
    if (!(t = calloc(1, sizeof(*t))))
        return -ENOMEM;
    t->f = f;
    t->cb = cb;
    t->ctx = ctx;
    buf_init(&t->body, req->max_bytes ? req->max_bytes : FETCH_MAX_BYTES_DEFAULT);
    t->max_retries = req->max_retries > 0 ? req->max_retries : 0;
    t->connect_ms =
        req->connect_timeout_ms > 0 ? req->connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS;
    t->total_ms = req->timeout_ms > 0 ? req->timeout_ms : DEFAULT_TIMEOUT_MS;
    t->backoff_base_ms = req->backoff_base_ms > 0 ? req->backoff_base_ms : DEFAULT_BACKOFF_BASE_MS;
    t->backoff_max_ms = req->backoff_max_ms > 0 ? req->backoff_max_ms : DEFAULT_BACKOFF_MAX_MS;
    t->url = strdup(req->url);
    t->ca_file = dup_or_null(req->ca_file);
    t->bearer = dup_or_null(req->bearer_token);
    t->user = dup_or_null(req->basic_user);
    t->password = dup_or_null(req->basic_password);
    if (!t->url || (req->ca_file && !t->ca_file) || (req->bearer_token && !t->bearer) ||
        (req->basic_user && !t->user) || (req->basic_password && !t->password))
        goto fail;
    if ((rc = set_headers(t, req)) < 0)
        goto fail;
    uv_timer_init(f->loop, &t->retry_timer);
    t->retry_timer.data = t;
    f->handles++;
    t->started_ns = uv_hrtime();
    t->next = f->transfers;
    if (f->transfers)
        f->transfers->prev = t;
    f->transfers = t;
    f->pending++;
    if (transfer_begin(t) < 0) /* try again from the loop; it reports failure there */
        uv_timer_start(&t->retry_timer, on_retry, 0, 0);
    return 0;
fail:
    curl_slist_free_all(t->headers);
    free(t->url);
    free(t->ca_file);
    free(t->bearer);
    free(t->user);
    free(t->password);
    free(t);
    return rc;
}

static void transfer_unlink(struct transfer *t)
{
    struct fetch *f = t->f;
    if (t->prev)
        t->prev->next = t->next;
    else
        f->transfers = t->next;
    if (t->next)
        t->next->prev = t->prev;
    t->prev = t->next = NULL;
    f->pending--;
}

static const char *response_header(CURL *easy, const char *name)
{
    struct curl_header *h;
    if (curl_easy_header(easy, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
        return NULL;
    return h->value;
}

/* Runs the callback once and releases the transfer (memory goes in the close cb). */
static void transfer_finish(struct transfer *t, enum fetch_outcome outcome, long status,
                            const char *error)
{
    struct fetch_result res = {0};
    char *ctype = NULL;

    if (t->in_multi) {
        curl_multi_remove_handle(t->f->multi, t->easy);
        t->in_multi = 0;
        t->f->active--;
    }
    uv_timer_stop(&t->retry_timer);
    transfer_unlink(t);
    res.outcome = outcome;
    res.http_status = status;
    res.error = error;
    res.body = t->body.p ? t->body.p : "";
    res.len = outcome == FETCH_OK ? t->body.len : 0;
    res.attempts = t->attempts;
    res.duration_s = (double)(uv_hrtime() - t->started_ns) / 1e9;
    if (outcome == FETCH_OK || outcome == FETCH_NOT_MODIFIED) {
        res.etag = response_header(t->easy, "ETag");
        res.last_modified = response_header(t->easy, "Last-Modified");
        curl_easy_getinfo(t->easy, CURLINFO_CONTENT_TYPE, &ctype);
        res.content_type = ctype;
    }
    if (t->cb)
        t->cb(&res, t->ctx);
    transfer_easy_release(t);
    curl_slist_free_all(t->headers);
    t->headers = NULL;
    uv_close((uv_handle_t *)&t->retry_timer, transfer_free);
}

static uint64_t next_random(struct fetch *f)
{
    /* xorshift64: jitter needs spread, not cryptographic strength. */
    f->rng ^= f->rng << 13;
    f->rng ^= f->rng >> 7;
    f->rng ^= f->rng << 17;
    return f->rng;
}

/* Backoff before the next attempt: Retry-After when the server gave one,
 * else "full jitter": uniform in [0, min(max, base * 2^(attempt - 1))]. */
static uint64_t backoff_ms(struct transfer *t)
{
    curl_off_t retry_after = 0;
    uint64_t cap = (uint64_t)t->backoff_base_ms;

    if (curl_easy_getinfo(t->easy, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK &&
        retry_after > 0) {
        uint64_t ms = (uint64_t)retry_after * 1000;
        return ms < (uint64_t)t->backoff_max_ms ? ms : (uint64_t)t->backoff_max_ms;
    }
    for (int i = 1; i < t->attempts && cap < (uint64_t)t->backoff_max_ms; i++)
        cap *= 2;
    if (cap > (uint64_t)t->backoff_max_ms)
        cap = (uint64_t)t->backoff_max_ms;
    return next_random(t->f) % (cap + 1);
}

static void on_retry(uv_timer_t *h)
{
    struct transfer *t = h->data;
    if (transfer_begin(t) < 0)
        transfer_finish(t, FETCH_FAILED, 0, "curl_multi_add_handle failed");
}

static int retryable_code(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return 1;
    default:
        return 0;
    }
}

/* Decides what a finished attempt means; retries or finishes the transfer. */
static void transfer_done(struct transfer *t, CURLcode rc)
{
    long status = 0;
    char msg[CURL_ERROR_SIZE + 64];
    int retry = 0;

    t->in_multi = 0; /* the caller removed the handle */
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    if (rc == CURLE_OK) {
        if (status == 304)
            return transfer_finish(t, FETCH_NOT_MODIFIED, status, NULL);
        if (status == 404 || status == 410)
            return transfer_finish(t, FETCH_NOT_PUBLISHED, status, NULL);
        if (status == 0 || (status >= 200 && status < 300))
            return transfer_finish(t, FETCH_OK, status, NULL);
        retry = status == 429 || status >= 500;
        snprintf(msg, sizeof(msg), "HTTP %ld", status);
    } else if (t->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
        snprintf(msg, sizeof(msg), "body larger than max_bytes (%zu)", t->body.max);
    } else if (rc == CURLE_FILE_COULDNT_READ_FILE) {
        return transfer_finish(t, FETCH_NOT_PUBLISHED, 0, NULL);
    } else {
        retry = retryable_code(rc);
        snprintf(msg, sizeof(msg), "%s", t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc));
    }
    if (retry && t->attempts <= t->max_retries && !t->f->closing) {
        uint64_t delay = backoff_ms(t);
        log_debug("fetch: %s, retry %d of %d in %llu ms", msg, t->attempts, t->max_retries,
                  (unsigned long long)delay);
        uv_timer_start(&t->retry_timer, on_retry, delay, 0);
        return;
    }
    transfer_finish(t, FETCH_FAILED, status, msg);
}

static void check_done(struct fetch *f)
{
    CURLMsg *msg;
    int left;

    while ((msg = curl_multi_info_read(f->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        /* msg is invalid once the handle is removed: copy what we need first. */
        CURL *easy = msg->easy_handle;
        CURLcode rc = msg->data.result;
        struct transfer *t = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&t);
        curl_multi_remove_handle(f->multi, easy);
        f->active--;
        transfer_done(t, rc);
    }
    start_queued(f);
}

void fetch_cancel_all(struct fetch *f)
{
    /* Every transfer is finished below, the queued ones too. */
    for (struct transfer *t = f->queue_head; t; t = t->qnext)
        t->queued = 0;
    f->queue_head = f->queue_tail = NULL;
    while (f->transfers)
        transfer_finish(f->transfers, FETCH_CANCELLED, 0, "cancelled");
}

void fetch_close(struct fetch **fp)
{
    struct fetch *f = fp ? *fp : NULL;

    if (!f)
        return;
    *fp = NULL;
    f->closing = 1;
    fetch_cancel_all(f);
    while (f->n_idle)
        curl_easy_cleanup(f->idle[--f->n_idle]);
    /* curl may still call on_socket(CURL_POLL_REMOVE) for cached connections:
     * the socket contexts stay valid until their uv_close callbacks run. */
    curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, NULL);
    curl_multi_cleanup(f->multi);
    f->multi = NULL;
    uv_timer_stop(&f->timer);
    uv_close((uv_handle_t *)&f->timer, handle_closed);
}
