/*
 * fetch.h - HTTP(S) and file:// transfers on a libuv loop, with libcurl's
 * multi socket API (curl's multi-uv pattern): one uv_poll per socket, one
 * uv_timer for curl's timeout, nothing blocking on the loop.
 *
 * A transfer is retried with exponential backoff and full jitter on connection
 * errors, timeouts, 5xx and 429 (Retry-After honoured); other 4xx fail at
 * once; 404 (and a missing file://) means "not published yet"; 304 means
 * "unchanged". The caller's callback runs once per transfer, on the loop.
 */
#ifndef PARKSTAT_FETCH_H
#define PARKSTAT_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct fetch;

/* The body limit of a request whose max_bytes is 0: 64 MiB. */
#define FETCH_MAX_BYTES_DEFAULT ((size_t)64 << 20)

struct fetch_limits {
    long max_connections;      /* global cap on open connections (0: 16) */
    long max_host_connections; /* per-host cap (0: 4) */
};

struct fetch_request {
    const char *url;          /* http://, https:// or file:// */
    long connect_timeout_ms;  /* 0: 10 s */
    long timeout_ms;          /* whole transfer, 0: 60 s */
    size_t max_bytes;         /* body limit, transfer aborted past it (0: 64 MiB) */
    const char *ca_file;      /* NULL: the system's CA store; verification stays on */
    const char *bearer_token; /* sent as "Authorization: Bearer ...", never logged */
    const char *basic_user;   /* basic auth when not NULL */
    const char *basic_password;
    const char *const *headers; /* extra "Name: value" lines */
    size_t n_headers;
    const char *etag;          /* conditional GET: If-None-Match */
    const char *last_modified; /* conditional GET: If-Modified-Since */
    int max_retries;           /* retries after the first attempt */
    long backoff_base_ms;      /* first backoff cap (0: 500 ms) */
    long backoff_max_ms;       /* backoff cap (0: 60 s) */
};

enum fetch_outcome {
    FETCH_OK,            /* 2xx with a body */
    FETCH_NOT_MODIFIED,  /* 304: nothing changed since etag/last_modified */
    FETCH_NOT_PUBLISHED, /* 404, or file:// that does not exist */
    FETCH_FAILED,        /* everything else, after the retries */
    FETCH_CANCELLED,     /* fetch_cancel_all() or shutdown */
};

struct fetch_result {
    enum fetch_outcome outcome;
    long http_status;  /* 0 for file:// and transport errors */
    const char *error; /* text when outcome is FETCH_FAILED, else NULL */
    const char *body;  /* NUL-terminated; borrowed for the callback */
    size_t len;
    const char *etag; /* response validators, borrowed; may be NULL */
    const char *last_modified;
    const char *content_type;
    int attempts;
    double duration_s; /* all attempts, backoff included */
};

typedef void (*fetch_done_cb)(const struct fetch_result *res, void *ctx);

/* Creates a fetcher on loop. Returns 0 or a negative errno. */
int fetch_new(struct fetch **out, uv_loop_t *loop, const struct fetch_limits *limits);

/*
 * Starts a transfer; the request is copied. cb(ctx) runs exactly once, later,
 * on the loop (never from inside fetch_start). Returns 0 or a negative errno.
 */
int fetch_start(struct fetch *f, const struct fetch_request *req, fetch_done_cb cb, void *ctx);

/* Number of transfers not yet completed (running or waiting to retry). */
size_t fetch_pending(const struct fetch *f);

/* hold = 1: transfers not yet running stay queued (their timeouts not started)
 * until fetch_hold(f, 0); running ones and retries go on. For back-pressure:
 * the collector holds while too many fetched payloads wait to be stored. */
void fetch_hold(struct fetch *f, int hold);

/* Cancels every pending transfer: each callback runs with FETCH_CANCELLED. */
void fetch_cancel_all(struct fetch *f);

/*
 * Cancels what is pending, cleans up curl and closes every libuv handle. The
 * memory is released once the loop has run the close callbacks (run the loop
 * until it returns; uv_loop_close() then succeeds). *fp is set to NULL.
 */
void fetch_close(struct fetch **fp);

/* The User-Agent sent: "parkstat/VERSION". */
const char *fetch_user_agent(void);

#endif
