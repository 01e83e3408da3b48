/*
 * server.c - the API server: libmicrohttpd on its own thread pool, the
 * listen address, the pool of read-only store connections, the routing table
 * and the checks every request passes before its handler runs (URI length
 * 414, route 404, method 405, admin token 401).
 *
 * A request's state is created in MHD's URI log callback, which sees the raw
 * request-target (path and query) before MHD parses it: its length decides
 * 414, its parameter count 400, and its bytes go into the ETag. The state is
 * freed, and its store connection returned to the pool, when MHD reports the
 * request completed, or else when the connection closes.
 *
 * The connection guard bounds what a client holds: MHD's limits on
 * connections (all and per address), memory and silence, plus deadlines MHD
 * lacks, kept per connection from MHD's connect notification to its close: a
 * request's line and headers must arrive within API_HEADER_TIMEOUT_S of the
 * connect or the previous answer, its body within API_BODY_TIMEOUT_S. A
 * thread of its own (the reaper) shuts down connections past their deadline;
 * MHD then closes them as it closes any a client dropped.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
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
    const char *suffix;   /* NULL: no {id}; "": ends with {id}; "**": {id} is the
                             rest of the path, '/' included; else after {id} */
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
    {"/api/v1/indices/", "/sensitivity", ALLOW_GET, 0, "/api/v1/indices/{id}/sensitivity",
     api_route_sensitivity},
    {"/api/v1/rankings/", "", ALLOW_GET, 0, "/api/v1/rankings/{id}", api_route_ranking},
    {"/api/v1/sources", NULL, ALLOW_GET, 0, "/api/v1/sources", api_route_sources},
    {"/api/v1/sources/", "/pull", ALLOW_POST, 1, "/api/v1/sources/{id}/pull", api_route_pull},
    {"/api/v1/runs", NULL, ALLOW_GET, 0, "/api/v1/runs", api_route_runs},
    {"/api/v1/series", NULL, ALLOW_GET, 0, "/api/v1/series", api_route_series},
    {"/api/v1/rejects", NULL, ALLOW_GET, 0, "/api/v1/rejects", api_route_rejects},
    {"/api/v1/checks", NULL, ALLOW_GET, 0, "/api/v1/checks", api_route_checks},
    {"/api/v1/recompute", NULL, ALLOW_POST, 1, "/api/v1/recompute", api_route_recompute},
    {"/sdmx/2.1/data/", "**", ALLOW_GET, 0, "/sdmx/2.1/data/{flow}", api_route_sdmx_data},
    {"/sdmx/2.1/dataflow", NULL, ALLOW_GET, 0, "/sdmx/2.1/dataflow/{agency}/{id}/{version}",
     api_route_sdmx_dataflow},
    {"/sdmx/2.1/dataflow/", "**", ALLOW_GET, 0, "/sdmx/2.1/dataflow/{agency}/{id}/{version}",
     api_route_sdmx_dataflow},
    {"/sdmx/2.1/datastructure", NULL, ALLOW_GET, 0,
     "/sdmx/2.1/datastructure/{agency}/{id}/{version}", api_route_sdmx_datastructure},
    {"/sdmx/2.1/datastructure/", "**", ALLOW_GET, 0,
     "/sdmx/2.1/datastructure/{agency}/{id}/{version}", api_route_sdmx_datastructure},
    {"/sdmx/2.1/codelist", NULL, ALLOW_GET, 0, "/sdmx/2.1/codelist/{agency}/{id}/{version}",
     api_route_sdmx_codelist},
    {"/sdmx/2.1/codelist/", "**", ALLOW_GET, 0, "/sdmx/2.1/codelist/{agency}/{id}/{version}",
     api_route_sdmx_codelist},
    {"/sdmx/2.1/conceptscheme", NULL, ALLOW_GET, 0,
     "/sdmx/2.1/conceptscheme/{agency}/{id}/{version}", api_route_sdmx_conceptscheme},
    {"/sdmx/2.1/conceptscheme/", "**", ALLOW_GET, 0,
     "/sdmx/2.1/conceptscheme/{agency}/{id}/{version}", api_route_sdmx_conceptscheme},
    {"/sdmx/2.1/schema/", "**", ALLOW_GET, 0, "/sdmx/2.1/schema/{context}/{agency}/{id}/{version}",
     api_route_sdmx_schema},
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
    size_t n = strcmp(r->suffix, "**") == 0 ? strlen(id) : strcspn(id, "/");
    if (strcmp(r->suffix, "**") == 0) {
        if (n == 0 || n >= size)
            return 0;
        memcpy(arg, id, n + 1);
        return 1;
    }
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
    char why[sizeof(a->unhealthy) + 1];
    (void)arg;

    pthread_mutex_lock(&a->token_mu);
    snprintf(why, sizeof(why), "%s\n", a->unhealthy);
    pthread_mutex_unlock(&a->token_mu);
    if (why[0] != '\n')
        return api_reply_text(rp, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8", why,
                              strlen(why));
    /* Its own connection, not the pool's: all of those may be busy with
     * long queries, and /healthz runs on the I/O thread (on_request). */
    pthread_mutex_lock(&a->health_mu);
    int up = (a->health_st || pool_take(a, &a->health_st) == 0) &&
             store_schema_version(a->health_st) > 0;
    pthread_mutex_unlock(&a->health_mu);
    if (!up)
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
    api_checks_metrics(rq, a->metrics);
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
        rc = api_reply_error(rp, MHD_HTTP_URI_TOO_LONG, "request URI over %d bytes", API_MAX_URI);
    } else if (rq->nparams > API_MAX_PARAMS) {
        rc = api_reply_error(rp, MHD_HTTP_BAD_REQUEST, "%zu query parameters, at most %d",
                             rq->nparams, API_MAX_PARAMS);
    } else if ((rc = api_check_path(rq, rp)) != 0) {
        /* 1: a 400 for a bad escape, %00 or not UTF-8 (params.c) */
    } else if (!(r = route_find(path, arg, sizeof(arg)))) {
        rc = api_reply_error(rp, MHD_HTTP_NOT_FOUND, "no such resource: %.200s", path);
    } else if (!method_allowed(r, rq->method)) {
        rc = api_reply_error(rp, MHD_HTTP_METHOD_NOT_ALLOWED, "method %.16s not allowed; use %s",
                             rq->method, r->allow);
        rp->allow = r->allow;
    } else if (r->admin && !authorized(rq->api, rq->conn)) {
        rc = api_reply_error(rp, MHD_HTTP_UNAUTHORIZED, "a valid bearer token is required");
        rp->challenge = 1;
    } else if ((rc = api_check_query(rq, r->endpoint, rp)) == 0) {
        rc = r->fn(rq, r->suffix ? arg : NULL, rp); /* else 1: a 400 for the query */
    }
    if (rc > 0) /* rp is complete */
        rc = 0;
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

/* ---- the connection guard ---- */

static void request_free(struct api *a, struct api_request *rq);

/* Where a connection is, for its deadline. */
enum conn_phase {
    CONN_WAIT,    /* connected, or answered: waiting for a request line */
    CONN_HEADERS, /* request line in, headers coming */
    CONN_BODY,    /* headers in, body (if any) coming */
    CONN_ANSWER,  /* being answered: only MHD's idle timeout applies */
};

/* One open connection, from MHD's connect notification to its close. All
 * fields but rq are under a->conns_mu; rq is the I/O thread's. */
struct api_conn {
    struct api_conn *prev, *next; /* in a->conns */
    struct api_request *rq;       /* begun and not completed, or NULL */
    int fd;
    enum conn_phase phase;
    int64_t deadline_us; /* monotonic; 0: none */
};

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Moves cc (may be NULL) to phase and sets the phase's deadline. Waiting
 * and headers share one: from the connect or the last answer to the end of
 * the headers (-1: keep it). An answer has none (0). */
static void conn_phase(struct api *a, struct api_conn *cc, enum conn_phase phase)
{
    static const int timeout_s[] = {
        [CONN_WAIT] = API_HEADER_TIMEOUT_S,
        [CONN_HEADERS] = -1,
        [CONN_BODY] = API_BODY_TIMEOUT_S,
        [CONN_ANSWER] = 0,
    };
    if (!cc)
        return;
    int64_t now = mono_us();
    pthread_mutex_lock(&a->conns_mu);
    if (timeout_s[phase] >= 0)
        cc->deadline_us = timeout_s[phase] ? now + timeout_s[phase] * 1000000LL : 0;
    cc->phase = phase;
    pthread_mutex_unlock(&a->conns_mu);
}

/* MHD's connect and close notification: the guard's list of connections.
 * A request MHD never reported complete is freed here, at the latest. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct api *a = cls;
    struct api_conn *cc = *socket_context;

    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (!ci || !(cc = calloc(1, sizeof(*cc))))
            return; /* unguarded: MHD's idle timeout still holds */
        cc->fd = ci->connect_fd;
        pthread_mutex_lock(&a->conns_mu);
        cc->next = a->conns;
        if (a->conns)
            a->conns->prev = cc;
        a->conns = cc;
        pthread_mutex_unlock(&a->conns_mu);
        *socket_context = cc;
        conn_phase(a, cc, CONN_WAIT);
        return;
    }
    if (!cc)
        return;
    pthread_mutex_lock(&a->conns_mu); /* unlinked before MHD closes the socket */
    if (cc->prev)
        cc->prev->next = cc->next;
    else
        a->conns = cc->next;
    if (cc->next)
        cc->next->prev = cc->prev;
    pthread_mutex_unlock(&a->conns_mu);
    if (cc->rq)
        request_free(a, cc->rq);
    free(cc);
    *socket_context = NULL;
}

/* What a client past its header or body deadline is told before the close. */
static const char timeout_answer[] = "HTTP/1.1 408 Request Timeout\r\n"
                                     "Connection: close\r\n"
                                     "Content-Type: text/plain; charset=utf-8\r\n"
                                     "Content-Length: 17\r\n\r\n"
                                     "request too slow\n";

/*
 * The reaper thread: twice a second, shuts down every connection past its
 * deadline. One that has sent part of a request first gets a 408 (MHD is not
 * writing to it: it writes only answers, and those come after CONN_ANSWER).
 * MHD sees the end of the stream and closes the connection as usual; the
 * socket stays open until then, and it is unlinked under conns_mu before it is
 * closed, so the descriptor is never another connection's.
 */
static void *reaper_main(void *arg)
{
    struct api *a = arg;
    static const char *const phase_names[] = {"wait", "headers", "body", "answer"};

    pthread_mutex_lock(&a->conns_mu);
    while (!a->reaper_stop) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += 500000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&a->reaper_cv, &a->conns_mu, &ts);
        int64_t now = mono_us();
        for (struct api_conn *cc = a->conns; cc && !a->reaper_stop; cc = cc->next) {
            if (!cc->deadline_us || now < cc->deadline_us)
                continue;
            if (cc->phase != CONN_WAIT)
                (void)!send(cc->fd, timeout_answer, sizeof(timeout_answer) - 1,
                            MSG_DONTWAIT | MSG_NOSIGNAL);
            shutdown(cc->fd, SHUT_RDWR);
            cc->deadline_us = 0;
            const char *label = phase_names[cc->phase];
            metrics_counter_add(a->metrics, "api_connections_timed_out_total", &label, 1);
        }
    }
    pthread_mutex_unlock(&a->conns_mu);
    return NULL;
}

/* A query worker's job: the handler, then MHD gets the connection back. */
static void run_job(struct api_request *rq)
{
    dispatch(rq, rq->path, &rq->reply);
    /* gzip and the cache's copy here, not on MHD's thread: that thread
     * answers every cached request meanwhile */
    api_reply_finish(rq, &rq->reply);
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
        conn_phase(rq->api, rq->cc, CONN_BODY);
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
        conn_phase(rq->api, rq->cc, CONN_ANSWER);
        /* Cheap and never behind the queries: on this thread. */
        if (strcmp(url, "/healthz") == 0 || rq->uri_len > API_MAX_URI ||
            rq->nparams > API_MAX_PARAMS)
            break;
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

/* Frees a request's state, returning its store connection. */
static void request_free(struct api *a, struct api_request *rq)
{
    if (rq->st)
        pool_put(a, rq->st);
    if (rq->job == JOB_DONE) /* answered by a worker, never sent */
        api_reply_discard(&rq->reply);
    free(rq->uri);
    free(rq);
}

/* Query parameters in a raw request-target: the '&'-separated parts of its
 * query, as libmicrohttpd splits them. */
static size_t count_params(const char *uri)
{
    const char *q = strchr(uri, '?');
    size_t n = 0;

    if (!q || !q[1])
        return 0;
    for (n = 1, q++; *q; q++)
        n += *q == '&';
    return n;
}

/*
 * MHD's URI log callback: the request line has arrived. Creates the
 * request's state with a copy of the raw target (at most API_MAX_URI + 1
 * bytes: longer is a 414 anyway).
 *
 * Over API_MAX_PARAMS parameters, the query is cut off in MHD's own buffer
 * before MHD parses it: every parameter takes a record in the connection's
 * memory pool, and libmicrohttpd 0.9.75 neither answers nor reports the end
 * of a request whose parameters overflow it (the connection hung until the
 * timeout and this state leaked). The request is then answered 400 from the
 * count. The URI points into MHD's read buffer, writable and MHD's alone on
 * this thread; a library that passed a copy would parse the parameters
 * itself, and the 400 would be answered all the same.
 */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct api *a = cls;
    struct api_request *rq = calloc(1, sizeof(*rq));
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct api_conn *cc = ci ? ci->socket_context : NULL;

    if (!rq)
        return NULL;
    rq->api = a;
    rq->uri_len = strnlen(uri, API_MAX_URI + 1);
    rq->uri = strndup(uri, rq->uri_len);
    rq->endpoint = "other";
    rq->t0 = time_now_us();
    if (!rq->uri) {
        free(rq);
        return NULL;
    }
    rq->nparams = count_params(uri);
    if (rq->nparams > API_MAX_PARAMS) {
        char *q = strchr(uri, '?'); /* NOLINT: MHD's buffer, see above */
        q[1] = '\0';
    }
    if (cc) {
        if (cc->rq) /* a request MHD gave up without reporting its end */
            request_free(a, cc->rq);
        cc->rq = rq;
        rq->cc = cc;
        conn_phase(a, cc, CONN_HEADERS);
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
    if (rq->cc) {
        rq->cc->rq = NULL;
        conn_phase(cls, rq->cc, CONN_WAIT);
    }
    request_free(cls, rq);
    *req_cls = NULL;
}

/* libmicrohttpd's messages logged per minute; the rest are counted, and the
 * count is logged with the first message of a later minute. Every refused
 * request would otherwise be a line or two (a flood any client can cause). */
#define MHD_LOG_PER_MINUTE 20

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct api *a = cls;
    char msg[512];
    unsigned dropped = 0;
    int64_t now = time_now_us();

    pthread_mutex_lock(&a->log_mu);
    if (now - a->log_window_us >= 60 * 1000000LL) {
        dropped = a->log_dropped;
        a->log_window_us = now;
        a->log_count = a->log_dropped = 0;
    }
    int quiet = a->log_count >= MHD_LOG_PER_MINUTE;
    if (quiet)
        a->log_dropped++;
    else
        a->log_count++;
    pthread_mutex_unlock(&a->log_mu);
    if (dropped)
        log_warning("api: %u more libmicrohttpd messages in the last minute not logged", dropped);
    if (quiet)
        return;
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
    static const char *const phase_labels[] = {"phase"};
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
    if (rc == 0)
        rc = metrics_register(m, "api_connections_timed_out_total", METRICS_COUNTER,
                              "Connections closed past their deadline, by phase (wait: no "
                              "request line, headers, body).",
                              phase_labels, 1, NULL, 0);
    if (rc == 0)
        rc = api_checks_register(m);
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
    a->max_reply = opt->max_reply ? opt->max_reply : API_MAX_REPLY;
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

/* Lets the process hold API_MAX_CONNECTIONS sockets beside its other files:
 * raises the soft descriptor limit towards the hard one (systemd's default
 * soft limit is 1024). A failure leaves the limit; accept() then fails
 * early, and MHD logs it. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    rlim_t want = API_MAX_CONNECTIONS + 256;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
        return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        log_warning("api: cannot raise the open file limit to %llu: %s",
                    (unsigned long long)rl.rlim_cur, strerror(errno));
}

/* Starts the reaper thread (see reaper_main). */
static int start_reaper(struct api *a)
{
    pthread_condattr_t ca;
    int rc;

    if ((rc = pthread_condattr_init(&ca)) != 0)
        return -rc;
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    rc = pthread_cond_init(&a->reaper_cv, &ca);
    pthread_condattr_destroy(&ca);
    if (rc != 0)
        return -rc;
    if ((rc = pthread_create(&a->reaper, NULL, reaper_main, a)) != 0) {
        pthread_cond_destroy(&a->reaper_cv);
        return -rc;
    }
    a->reaper_started = 1;
    return 0;
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
    /* TURBO: accept4/no extra shutdown() calls; fine for a localhost API.
     * One polling thread (epoll): it never blocks on a client, so slow
     * clients cost memory and a descriptor each, bounded by the limits, and
     * never the time of others. */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_AUTO |
                     MHD_USE_TURBO | MHD_ALLOW_SUSPEND_RESUME | (v6 ? MHD_USE_IPv6 : 0);
    raise_fd_limit();
    /* The logger goes first, so MHD never writes to stderr on its own. */
    a->mhd = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, a, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, a,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_URI_LOG_CALLBACK, on_uri, a,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, a, MHD_OPTION_NOTIFY_CONNECTION, on_connection,
        a, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)API_IDLE_TIMEOUT_S, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)API_MAX_CONNECTIONS, MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)API_MAX_PER_IP,
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
    pthread_mutex_init(&a->sens_mu, NULL);
    pthread_mutex_init(&a->parent_mu, NULL);
    pthread_mutex_init(&a->count_mu, NULL);
    pthread_mutex_init(&a->token_mu, NULL);
    pthread_mutex_init(&a->conns_mu, NULL);
    pthread_mutex_init(&a->health_mu, NULL);
    pthread_mutex_init(&a->log_mu, NULL);
    if (!opt->db_path) {
        snprintf(err, errsize, "api: no database path");
        rc = -EINVAL;
    } else if ((rc = api_init(a, opt, err, errsize)) == 0) {
        if ((rc = start_reaper(a)) < 0)
            snprintf(err, errsize, "api: cannot start the connection reaper: %s", strerror(-rc));
        else
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
        MHD_stop_daemon(a->mhd); /* closes every connection: a->conns is empty */
    if (a->reaper_started) {
        pthread_mutex_lock(&a->conns_mu);
        a->reaper_stop = 1;
        pthread_cond_signal(&a->reaper_cv);
        pthread_mutex_unlock(&a->conns_mu);
        pthread_join(a->reaper, NULL);
        pthread_cond_destroy(&a->reaper_cv);
    }
    api_jobs_free(&a->jobs);
    store_close(&a->health_st);
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
    compute_sens_free(&a->sens);
    config_free(&a->sens_cfg);
    pthread_mutex_destroy(&a->sens_mu);
    pthread_mutex_destroy(&a->parent_mu);
    api_conf_put(&a->conf);
    config_free(&a->cfg);
    pthread_mutex_destroy(&a->series_mu);
    pthread_mutex_destroy(&a->count_mu);
    pthread_mutex_destroy(&a->token_mu);
    pthread_mutex_destroy(&a->conns_mu);
    pthread_mutex_destroy(&a->health_mu);
    pthread_mutex_destroy(&a->log_mu);
    pthread_mutex_destroy(&a->pool_mu);
    free(a);
    *ap = NULL;
}
