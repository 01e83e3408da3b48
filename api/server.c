/*
 * server.c - the API server: libmicrohttpd on its own thread pool, the
 * listen address, the pool of read-only store connections, the routing table
 * and the checks every request passes before its handler runs (URI length
 * 414, route 404, method 405, admin token 401).
 *
 * A request's state is created in MHD's URI log callback, which sees the raw
 * request-target (path and query) before MHD parses it: its length decides
 * 414 and its bytes go into the ETag. The state is freed, and its store
 * connection returned to the pool, when MHD reports the request completed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api_priv.h"
#include "compute/compute.h"
#include "config/config.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/timefmt.h"
#include "store/store.h"

#define ALLOW_GET  "GET, HEAD"
#define ALLOW_POST "POST"

struct route {
    const char *prefix;   /* the path, or the part before {id} */
    const char *suffix;   /* NULL: no {id}; "": ends with {id}; else after {id} */
    const char *allow;    /* methods, as sent in Allow */
    int admin;            /* needs the bearer token */
    const char *endpoint; /* metrics label */
    api_handler fn;
};

static int route_healthz(struct api_request *rq, const char *arg, struct api_reply *rp);
static int route_metrics(struct api_request *rq, const char *arg, struct api_reply *rp);

static const struct route routes[] = {
    {"/healthz", NULL, ALLOW_GET, 0, "/healthz", route_healthz},
    {"/metrics", NULL, ALLOW_GET, 0, "/metrics", route_metrics},
    {"/api/v1/units", NULL, ALLOW_GET, 0, "/api/v1/units", api_route_units},
    {"/api/v1/indicators", NULL, ALLOW_GET, 0, "/api/v1/indicators", api_route_indicators},
    {"/api/v1/observations", NULL, ALLOW_GET, 0, "/api/v1/observations", api_route_observations},
    {"/api/v1/indices", NULL, ALLOW_GET, 0, "/api/v1/indices", api_route_indices},
    {"/api/v1/indices/", "", ALLOW_GET, 0, "/api/v1/indices/{id}", api_route_index},
    {"/api/v1/rankings/", "", ALLOW_GET, 0, "/api/v1/rankings/{id}", api_route_ranking},
    {"/api/v1/sources", NULL, ALLOW_GET, 0, "/api/v1/sources", api_route_sources},
    {"/api/v1/sources/", "/pull", ALLOW_POST, 1, "/api/v1/sources/{id}/pull", api_route_pull},
    {"/api/v1/runs", NULL, ALLOW_GET, 0, "/api/v1/runs", api_route_runs},
    {"/api/v1/series", NULL, ALLOW_GET, 0, "/api/v1/series", api_route_series},
    {"/api/v1/rejects", NULL, ALLOW_GET, 0, "/api/v1/rejects", api_route_rejects},
    {"/api/v1/recompute", NULL, ALLOW_POST, 1, "/api/v1/recompute", api_route_recompute},
    {"/", NULL, ALLOW_GET, 0, "/", api_route_static},
    {"/assets/", "", ALLOW_GET, 0, "/assets/{file}", api_route_static},
};

/* Matches path against r; an {id} segment (non-empty, no '/') is copied into
 * arg (room for size). */
static int route_match(const struct route *r, const char *path, char *arg, size_t size)
{
    size_t plen = strlen(r->prefix);

    if (!r->suffix)
        return strcmp(path, r->prefix) == 0;
    if (strncmp(path, r->prefix, plen) != 0)
        return 0;
    const char *id = path + plen;
    size_t n = strcspn(id, "/");
    if (n == 0 || n >= size || strcmp(id + n, r->suffix) != 0)
        return 0;
    memcpy(arg, id, n);
    arg[n] = '\0';
    return 1;
}

static const struct route *route_find(const char *path, char *arg, size_t size)
{
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
        if (route_match(&routes[i], path, arg, size))
            return &routes[i];
    return NULL;
}

static int method_allowed(const struct route *r, const char *method)
{
    if (strcmp(r->allow, ALLOW_POST) == 0)
        return strcmp(method, MHD_HTTP_METHOD_POST) == 0;
    return strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
}

/* Constant-time comparison of the Authorization header with "Bearer TOKEN":
 * the time depends on the token's length only, never on where they differ. */
static int authorized(struct api *a, struct MHD_Connection *conn)
{
    const char *h =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    unsigned char diff;

    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return 0;
    h += 7;
    size_t n = strlen(h);
    pthread_mutex_lock(&a->token_mu);
    diff = !a->token || n != a->token_len;
    for (size_t i = 0; a->token && i < a->token_len; i++)
        diff |= (unsigned char)(a->token[i] ^ (i < n ? h[i] : 0));
    pthread_mutex_unlock(&a->token_mu);
    return diff == 0;
}

/* Replaces the admin token (see api.h). Returns 0 or -ENOMEM (the old token
 * stays refused then: admin answers 401 until a reload succeeds). */
int api_set_token(struct api *a, const char *token)
{
    char *copy = token ? strdup(token) : NULL;
    char *old;
    size_t old_len;

    pthread_mutex_lock(&a->token_mu);
    old = a->token;
    old_len = a->token_len;
    a->token = copy;
    a->token_len = copy ? strlen(copy) : 0;
    pthread_mutex_unlock(&a->token_mu);
    if (old) {
        explicit_bzero(old, old_len);
        free(old);
    }
    return token && !copy ? -ENOMEM : 0;
}

/* Marks the service unhealthy or healthy again (see api.h). */
void api_set_unhealthy(struct api *a, const char *reason)
{
    pthread_mutex_lock(&a->token_mu);
    snprintf(a->unhealthy, sizeof(a->unhealthy), "%s", reason ? reason : "");
    pthread_mutex_unlock(&a->token_mu);
}

/* Takes a read-only connection from the pool, or opens one. */
static int pool_take(struct api *a, struct store **st)
{
    char err[256];

    pthread_mutex_lock(&a->pool_mu);
    *st = a->npool ? a->pool[--a->npool] : NULL;
    pthread_mutex_unlock(&a->pool_mu);
    if (*st)
        return 0;
    int rc = store_open(st, a->db_path, STORE_READONLY, err, sizeof(err));
    if (rc < 0)
        log_err("api: %s", err);
    return rc;
}

/* Returns a connection to the pool, closing it when the pool is full. */
static void pool_put(struct api *a, struct store *st)
{
    pthread_mutex_lock(&a->pool_mu);
    if (a->npool < API_POOL_MAX) {
        a->pool[a->npool++] = st;
        st = NULL;
    }
    pthread_mutex_unlock(&a->pool_mu);
    store_close(&st);
}

/* The request's store connection (see api_priv.h). */
int api_store_get(struct api_request *rq, struct store **st)
{
    int rc = 0;
    if (!rq->st)
        rc = pool_take(rq->api, &rq->st);
    *st = rq->st;
    return rc;
}

/* A query parameter's value (see api_priv.h). */
const char *api_param(struct api_request *rq, const char *name)
{
    return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
}

/* GET /healthz: "ok" when the database answers and the daemon has not
 * marked itself unhealthy (the database replaced under it, say). */
static int route_healthz(struct api_request *rq, const char *arg, struct api_reply *rp)
{
    struct api *a = rq->api;
    struct store *st;
    char why[sizeof(a->unhealthy) + 1];
    (void)arg;

    pthread_mutex_lock(&a->token_mu);
    snprintf(why, sizeof(why), "%s\n", a->unhealthy);
    pthread_mutex_unlock(&a->token_mu);
    if (why[0] != '\n')
        return api_reply_text(rp, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8", why,
                              strlen(why));
    if (api_store_get(rq, &st) < 0 || store_schema_version(st) <= 0)
        return api_reply_text(rp, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8",
                              "database unreachable\n", 21);
    return api_reply_text(rp, MHD_HTTP_OK, "text/plain; charset=utf-8", "ok\n", 3);
}

static long long file_size(const char *path, const char *suffix)
{
    char name[4096];
    struct stat sb;
    if (snprintf(name, sizeof(name), "%s%s", path, suffix) >= (int)sizeof(name) ||
        stat(name, &sb) != 0)
        return 0;
    return (long long)sb.st_size;
}

/* GET /metrics: the registry in Prometheus text, with the database size. */
static int route_metrics(struct api_request *rq, const char *arg, struct api_reply *rp)
{
    struct api *a = rq->api;
    char *text = NULL;
    size_t len = 0;
    (void)arg;

    metrics_gauge_set(a->metrics, "parkstat_database_bytes", NULL,
                      (double)(file_size(a->db_path, "") + file_size(a->db_path, "-wal")));
    int rc = metrics_render(a->metrics, &text, &len);
    if (rc < 0)
        return rc;
    free(rp->body);
    rp->body = text;
    rp->len = len;
    rp->status = MHD_HTTP_OK;
    rp->content_type = "text/plain; version=0.0.4; charset=utf-8";
    return 0;
}

/* Runs the checks, then the handler; fills rp. */
static void dispatch(struct api_request *rq, const char *path, struct api_reply *rp)
{
    char arg[API_MAX_URI + 1];
    const struct route *r = NULL;
    int rc = 0;

    if (rq->uri_len > API_MAX_URI) {
        rc = api_reply_error(rp, MHD_HTTP_URI_TOO_LONG, "request URI of %zu bytes is over %d",
                             rq->uri_len, API_MAX_URI);
    } else if (!(r = route_find(path, arg, sizeof(arg)))) {
        rc = api_reply_error(rp, MHD_HTTP_NOT_FOUND, "no such resource: %.200s", path);
    } else if (!method_allowed(r, rq->method)) {
        rc = api_reply_error(rp, MHD_HTTP_METHOD_NOT_ALLOWED, "method %.16s not allowed; use %s",
                             rq->method, r->allow);
        rp->allow = r->allow;
    } else if (r->admin && !authorized(rq->api, rq->conn)) {
        rc = api_reply_error(rp, MHD_HTTP_UNAUTHORIZED, "a valid bearer token is required");
        rp->challenge = 1;
    } else {
        rc = r->fn(rq, r->suffix ? arg : NULL, rp);
    }
    if (r)
        rq->endpoint = r->endpoint; /* for the metrics, also on 405 and 401 */
    if (rc < 0) {
        /* -E2BIG: the answer outgrew its cap (API_MAX_REPLY, METRICS_MAX_TEXT). */
        const char *what = rc == -EBUSY   ? "database busy"
                           : rc == -E2BIG ? "answer too large, narrow the query"
                                          : "internal error";
        log_err("api: %s %.200s: %s", rq->method, path, rc == -E2BIG ? what : strerror(-rc));
        rc = api_reply_error(
            rp, rc == -EBUSY ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_INTERNAL_SERVER_ERROR, "%s",
            what);
    }
    if (rc < 0) /* out of memory even for the error */
        api_reply_text(rp, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", "", 0);
}

/* A query worker's job: the handler, then MHD gets the connection back. */
static void run_job(struct api_request *rq)
{
    dispatch(rq, rq->path, &rq->reply);
    rq->job = JOB_DONE;
    MHD_resume_connection(rq->conn);
}

/*
 * MHD's access handler, on the I/O thread. Answers from the cache at once;
 * anything else is suspended and handed to a query worker, and sent when MHD
 * calls again after the worker resumed the connection. If the workers are
 * stopping, the handler runs here.
 */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    struct api_request *rq = *req_cls;
    struct api_reply rp = {0};
    (void)version, (void)upload_data;

    if (!rq)
        return MHD_NO; /* the URI callback ran out of memory */
    if (!rq->started) {
        rq->started = 1;
        rq->conn = conn;
        rq->method = method;
        rq->head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0; /* request bodies are not used */
        return MHD_YES;
    }
    switch (rq->job) {
    case JOB_QUEUED:
        return MHD_YES; /* not ours to answer yet */
    case JOB_DONE:
        rq->job = JOB_NONE;
        return api_reply_send(rq, &rq->reply);
    case JOB_INLINE:
        break;
    case JOB_NONE:
        if (api_reply_cached(rq, &rp))
            return api_reply_send(rq, &rp);
        /* Suspended before it is queued: the worker's resume always finds it
         * suspended. */
        rq->path = url;
        rq->job = JOB_QUEUED;
        MHD_suspend_connection(conn);
        if (api_jobs_submit(((struct api *)cls)->jobs, rq) < 0) {
            rq->job = JOB_INLINE; /* stopping, or no workers: answered here next */
            MHD_resume_connection(conn);
        }
        return MHD_YES;
    }
    dispatch(rq, url, &rp);
    return api_reply_send(rq, &rp);
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct api_request *rq = calloc(1, sizeof(*rq));
    (void)conn;
    if (!rq)
        return NULL;
    rq->api = cls;
    rq->uri_len = strlen(uri);
    rq->uri = strdup(uri);
    rq->endpoint = "other";
    rq->t0 = time_now_us();
    if (!rq->uri) {
        free(rq);
        return NULL;
    }
    return rq;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct api_request *rq = *req_cls;
    (void)conn, (void)toe;
    if (!rq)
        return;
    if (rq->st)
        pool_put(cls, rq->st);
    if (rq->job == JOB_DONE) /* answered by a worker, never sent */
        api_reply_discard(&rq->reply);
    free(rq->uri);
    free(rq);
    *req_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    (void)cls;
    /* MHD hands us its own printf format and arguments. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    vsnprintf(msg, sizeof(msg), fmt, ap);
#pragma GCC diagnostic pop
    msg[strcspn(msg, "\n")] = '\0';
    log_warning("api: %s", msg);
}

/* Parses "ADDR:PORT" or "[V6ADDR]:PORT" into *ss. Returns 0 or -EINVAL. */
static int parse_listen(const char *text, struct sockaddr_storage *ss, int *v6)
{
    char host[64];
    const char *colon;
    char *end;

    memset(ss, 0, sizeof(*ss));
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || close[1] != ':' || (size_t)(close - text - 1) >= sizeof(host))
            return -EINVAL;
        snprintf(host, sizeof(host), "%.*s", (int)(close - text - 1), text + 1);
        colon = close + 1;
    } else {
        colon = strrchr(text, ':');
        if (!colon || (size_t)(colon - text) >= sizeof(host))
            return -EINVAL;
        snprintf(host, sizeof(host), "%.*s", (int)(colon - text), text);
    }
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end || errno || port < 0 || port > 65535)
        return -EINVAL;
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)port);
        *v6 = 0;
    } else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        *v6 = 1;
    } else {
        return -EINVAL;
    }
    return 0;
}

/* The API's own metric families (the daemon registers its own). */
static int register_metrics(struct metrics *m)
{
    static const char *const req_labels[] = {"endpoint", "code"};
    static const char *const dur_labels[] = {"endpoint"};
    static const double buckets[] = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5};
    int rc = metrics_register(m, "api_requests_total", METRICS_COUNTER,
                              "HTTP requests answered, by endpoint and status code.", req_labels, 2,
                              NULL, 0);
    if (rc == 0)
        rc = metrics_register(m, "api_request_duration_seconds", METRICS_HISTOGRAM,
                              "Time to answer an HTTP request.", dur_labels, 1, buckets,
                              sizeof(buckets) / sizeof(buckets[0]));
    if (rc == 0)
        rc = metrics_register(m, "parkstat_database_bytes", METRICS_GAUGE,
                              "Size of the database file and its WAL.", NULL, 0, NULL, 0);
    return rc;
}

/* One query worker per CPU (2 .. 8). MHD itself runs one I/O thread: answers
 * from the cache take microseconds, and more threads than free CPUs only
 * lengthen the tail (docs/BENCHMARKS.md, API). server.threads overrides it. */
static unsigned default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 2 ? 2u : n > 8 ? 8u : (unsigned)n;
}

/* Copies the options, checks the database and sets up metrics. */
static int api_init(struct api *a, const struct api_options *opt, char *err, size_t errsize)
{
    struct store *st = NULL;
    int rc;

    a->pull = opt->pull;
    a->recompute = opt->recompute;
    a->hook_ctx = opt->hook_ctx;
    a->web_root = opt->web_root;
    if (!(a->db_path = strdup(opt->db_path)))
        return -ENOMEM;
    if (opt->token && !(a->token = strdup(opt->token)))
        return -ENOMEM;
    a->token_len = a->token ? strlen(a->token) : 0;
    a->metrics = opt->metrics;
    a->exec = opt->exec;
    if (!a->metrics) {
        if ((rc = metrics_new(&a->metrics)) < 0)
            return rc;
        a->own_metrics = 1;
    }
    if ((rc = register_metrics(a->metrics)) < 0) {
        snprintf(err, errsize, "api: cannot register metrics: %s", strerror(-rc));
        return rc;
    }
    /* Open one connection now, so a missing database fails the start. */
    if ((rc = store_open(&st, a->db_path, STORE_READONLY, err, errsize)) < 0)
        return rc;
    a->pool[a->npool++] = st;
    if ((rc = api_jobs_new(&a->jobs, opt->threads ? opt->threads : default_threads(), opt->exec,
                           run_job)) < 0) {
        snprintf(err, errsize, "api: cannot start the query workers: %s", strerror(-rc));
        return rc;
    }
    return api_cache_new(&a->cache, a->db_path, err, errsize);
}

static int start_mhd(struct api *a, const struct api_options *opt, char *err, size_t errsize)
{
    const char *listen = opt->listen ? opt->listen : "127.0.0.1:8080";
    struct sockaddr_storage ss;
    int v6 = 0;

    if (parse_listen(listen, &ss, &v6) < 0) {
        snprintf(err, errsize, "api: bad listen address \"%.100s\" (want ADDR:PORT)", listen);
        return -EINVAL;
    }
    /* TURBO: accept4/no extra shutdown() calls; fine for a localhost API. */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_AUTO |
                     MHD_USE_TURBO | MHD_ALLOW_SUSPEND_RESUME | (v6 ? MHD_USE_IPv6 : 0);
    /* The logger goes first, so MHD never writes to stderr on its own. */
    a->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, a, MHD_OPTION_EXTERNAL_LOGGER,
                              on_mhd_log, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                              MHD_OPTION_URI_LOG_CALLBACK, on_uri, a, MHD_OPTION_NOTIFY_COMPLETED,
                              on_completed, a, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                              MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
                              MHD_OPTION_CONNECTION_MEMORY_LIMIT, API_CONN_MEMORY, MHD_OPTION_END);
    if (!a->mhd) {
        snprintf(err, errsize, "api: cannot listen on %s (address in use or not local?)", listen);
        return -EADDRINUSE;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(a->mhd, MHD_DAEMON_INFO_BIND_PORT);
    a->port = info ? info->port : 0;
    return 0;
}

/*
 * Starts the API (see api.h): copies the options, opens a first read-only
 * connection, registers the API's metrics and starts MHD's thread pool.
 */
int api_start(struct api **out, const struct api_options *opt, char *err, size_t errsize)
{
    char dummy[8];
    int rc = -ENOMEM;

    *out = NULL;
    if (!err) {
        err = dummy;
        errsize = sizeof(dummy);
    }
    err[0] = '\0';
    struct api *a = calloc(1, sizeof(*a));
    if (!a)
        return -ENOMEM;
    if (pthread_mutex_init(&a->pool_mu, NULL) != 0) {
        free(a);
        return -ENOMEM;
    }
    pthread_mutex_init(&a->series_mu, NULL);
    pthread_mutex_init(&a->token_mu, NULL);
    if (!opt->db_path) {
        snprintf(err, errsize, "api: no database path");
        rc = -EINVAL;
    } else if ((rc = api_init(a, opt, err, errsize)) == 0) {
        rc = start_mhd(a, opt, err, errsize);
    }
    if (rc < 0) {
        if (!err[0])
            snprintf(err, errsize, "api: %s", strerror(-rc));
        api_stop(&a);
        return rc;
    }
    log_info("api: listening on port %u", a->port);
    *out = a;
    return 0;
}

/* The bound port (see api.h). */
unsigned api_port(const struct api *a)
{
    return a->port;
}

/* Stops MHD (which waits for its threads), then frees everything (see api.h). */
void api_stop(struct api **ap)
{
    struct api *a = ap ? *ap : NULL;
    if (!a)
        return;
    /* Queued requests run first, so no connection is left suspended. */
    if (a->mhd)
        MHD_quiesce_daemon(a->mhd);
    api_jobs_stop(a->jobs);
    if (a->mhd)
        MHD_stop_daemon(a->mhd);
    api_jobs_free(&a->jobs);
    while (a->npool)
        store_close(&a->pool[--a->npool]);
    if (a->own_metrics)
        metrics_free(&a->metrics);
    if (a->token) {
        explicit_bzero(a->token, a->token_len);
        free(a->token);
    }
    free(a->db_path);
    api_cache_free(&a->cache);
    compute_free(&a->snapshot);
    config_free(&a->cfg);
    pthread_mutex_destroy(&a->series_mu);
    pthread_mutex_destroy(&a->token_mu);
    pthread_mutex_destroy(&a->pool_mu);
    free(a);
    *ap = NULL;
}
