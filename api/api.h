/*
 * api.h - the HTTP query API of parkstatd (docs/API.md): JSON and CSV over
 * units, indicators, observations, index results, runs, rejects and source
 * health; /healthz; /metrics; two admin actions behind a bearer token.
 *
 * It runs on libmicrohttpd's own threads (a small pool), each request on a
 * read-only SQLite connection of its own from a pool, so it shares nothing
 * with the daemon's loop thread but the database file, the metrics registry
 * (thread-safe) and the two admin hooks.
 */
#ifndef PARKSTAT_API_H
#define PARKSTAT_API_H

#include <stddef.h>

struct api;
struct config;
struct exec;
struct metrics;

struct api_options {
    const char *listen;      /* "ADDR:PORT" or "[V6ADDR]:PORT"; NULL: 127.0.0.1:8080;
                                port 0 picks a free port (see api_port()) */
    const char *db_path;     /* the database, opened read-only; must exist */
    const char *token;       /* admin bearer token (copied); NULL: admin always 401 */
    struct metrics *metrics; /* borrowed; NULL: the API keeps a registry of its own */
    unsigned threads;        /* query workers; 0: one per CPU but one, 1 .. 8 */
    const struct exec *exec; /* borrowed, must outlive the API: runs the query workers
                                (each a long task) and the upper half of a /series
                                snapshot's walk (compute_opts.ex); NULL: every query
                                on MHD's thread, in one part */
    /*
     * Admin hooks, called on an API thread; they must only hand the work over
     * (the daemon uses uv_async). Return 0 when accepted (202), -ENOENT for
     * an unknown source (404), another negative errno for 503. NULL: 503.
     */
    int (*pull)(void *ctx, const char *source, const char *period /* may be NULL */);
    int (*recompute)(void *ctx);
    void *hook_ctx;
    const char *web_root; /* dashboard files served at / and /assets/ (borrowed: must
                             outlive the server); NULL: those paths are 404 */
    size_t max_reply;     /* the largest answer built, in bytes; past it a 413.
                             0: 64 MiB */
};

/*
 * Starts serving. On success *out owns the server. On error *out is NULL, a
 * negative errno is returned and a message is written to err (when not NULL):
 * bad listen address (-EINVAL), database missing or not readable (-ENOENT,
 * -EIO), port in use (-EADDRINUSE or -EIO).
 */
int api_start(struct api **out, const struct api_options *opt, char *err, size_t errsize);

/*
 * Hands the API the configuration /api/v1/series needs (year-to-date rules,
 * roll-ups, formulas); steals cfg and frees the previous one. Call at start
 * and after every reload; until then /series answers 503. Thread-safe.
 */
void api_set_config(struct api *a, struct config *cfg);

/*
 * Replaces the admin bearer token (copied; NULL: admin always 401): requests
 * checked after the call accept the new token only. Thread-safe.
 */
int api_set_token(struct api *a, const char *token);

/*
 * Marks the service unhealthy (reason, copied) or healthy again (NULL):
 * while unhealthy /healthz answers 503 with the reason. Thread-safe.
 */
void api_set_unhealthy(struct api *a, const char *reason);

/* The TCP port the server listens on (useful after port 0). */
unsigned api_port(const struct api *a);

/* Stops the server, waits for requests in flight, closes every connection and
 * sets *ap = NULL. NULL is a harmless no-op. */
void api_stop(struct api **ap);

#endif
