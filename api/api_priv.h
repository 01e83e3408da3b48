/*
 * api_priv.h - internals shared by the files of the api module: the server
 * struct, one request's state, the reply being built, the route handlers
 * (routes_*.c) and the reply helpers (reply.c). Not for use outside api/.
 */
#ifndef PARKSTAT_API_PRIV_H
#define PARKSTAT_API_PRIV_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "api/api.h"
#include "compute/compute.h"
#include "store/store.h"

struct store;
struct config;
struct compute;

/* Longest request-target (path + query) served; longer is 414. */
#define API_MAX_URI 2048
/* Read-only connections kept open between requests. */
#define API_POOL_MAX 8
/* libmicrohttpd's memory pool per connection: request line, headers and its
 * read and write buffers (MHD_OPTION_CONNECTION_MEMORY_LIMIT). */
#define API_CONN_MEMORY ((size_t)16 << 10)
/* What clients can hold (docs/API.md, "Limits"; tests/abuse/ tries each).
 * Connections open at once, from all addresses and from one address: */
#define API_MAX_CONNECTIONS 1024
#define API_MAX_PER_IP      32
/* Seconds from the connect, or the end of the previous answer, to the end of
 * the request's headers; then to the end of its body; and of silence in either
 * direction at any time (libmicrohttpd's own timeout). */
#define API_HEADER_TIMEOUT_S 10
#define API_BODY_TIMEOUT_S   10
#define API_IDLE_TIMEOUT_S   15
/* Query parameters in one request; more is a 400 before libmicrohttpd parses
 * them (each takes ~56 bytes of the connection's pool). */
#define API_MAX_PARAMS 32
/* The largest answer built (JSON or CSV): past it the request is a 413 that
 * says to ask for fewer rows. Lists are paged (api_page), so a page of the
 * largest limit stays far below it. */
#define API_MAX_REPLY ((size_t)64 << 20)
/* Rows of a code-keyed list (units, indicators, indices, sources) per page:
 * by default and at most. */
#define API_LIST_DEFAULT 1000
#define API_LIST_MAX     10000
/* Key fields of a list's cursor at most, and the cursor's bytes (decoded). */
#define API_PAGE_KEYS  4
#define API_CURSOR_MAX 768
/* The block libmicrohttpd asks a streamed answer for at a time (it takes
 * what the connection's memory pool has left, API_CONN_MEMORY). */
#define API_STREAM_BLOCK ((size_t)8 << 10)
/* SDMX data answers being sent at once (each holds a store connection of its
 * own, three descriptors and its page cache); past it a 503 (docs/API.md,
 * "Limits"). */
#define API_SDMX_STREAMS 32
/* A parent with this many units below it has its series computed one at a
 * time (its subtree's rows are in memory meanwhile: the root of 200,000
 * units about 170 MB); another asked meanwhile is a 503. */
#define API_BIG_SUBTREE 10000
/* Bodies above this size are gzipped for clients that accept it. */
#define API_GZIP_MIN 1024

struct api_cache;
struct api_jobs;
struct api_conn;

/* The config /series reads and its children lists, shared by reference: a
 * query takes one under series_mu and computes outside it, so series are
 * computed on every worker at once; a reload swaps in a new one and the last
 * query holding the old one frees it (routes_series.c). */
/* Parents' roll-ups kept per config generation: what their series are
 * computed from again (routes_series.c). */
#define API_PARENT_KEPT 32

/* One parent's rolled-up rows of one indicator and its inputs (a one-unit
 * snapshot, compute_unit_copy()), as computed in one data epoch. */
struct api_kept {
    long unit, ind;    /* config indices; unit -1: an empty slot */
    uint64_t epoch;    /* the data epoch its subtree was read in */
    int y0, nyears;    /* the store's years it was computed over */
    struct compute *c; /* NULL: an empty slot */
};

struct api_conf {
    atomic_size_t refs;
    struct config *cfg;        /* a reference of its own */
    struct compute_tree *tree; /* NULL: built per query */
    size_t *below;             /* per unit of cfg: the units below it; NULL: unknown */
    pthread_mutex_t kept_mu;   /* guards kept[] and kept_next */
    struct api_kept kept[API_PARENT_KEPT];
    size_t kept_next; /* the slot the next one replaces (round robin) */
};

/* Drops a reference to *cp and sets it NULL; the last frees it. NULL is a
 * no-op. */
void api_conf_put(struct api_conf **cp);

struct api {
    struct MHD_Daemon *mhd;
    struct api_cache *cache; /* data epoch and finished answers (cache.c) */
    char *db_path;
    pthread_mutex_t token_mu; /* guards token, token_len and unhealthy */
    char *token;              /* NULL: admin disabled; never logged */
    size_t token_len;
    char unhealthy[256]; /* "": healthy; else why /healthz answers 503 */
    struct metrics *metrics;
    const struct exec *exec; /* borrowed from api_options: the query workers and
                                /series snapshot halves run on it; NULL: inline */
    int own_metrics;         /* metrics was created by api_start() */
    int (*pull)(void *ctx, const char *source, const char *period);
    int (*recompute)(void *ctx);
    void *hook_ctx;
    const char *web_root; /* borrowed from api_options; NULL: no dashboard */
    unsigned port;
    size_t max_reply;          /* api_options.max_reply or API_MAX_REPLY */
    pthread_mutex_t series_mu; /* guards cfg, conf, years, years_run */
    struct config *cfg;        /* the daemon's config (a reference of our own) */
    struct api_conf *conf;     /* /series: cfg and its children lists (a reference) */
    pthread_mutex_t parent_mu; /* held while the series of a parent of API_BIG_SUBTREE
                                  units or more is computed (never waited for) */
    /* /sensitivity: the last analysis, for its later pages (routes_sens.c) */
    pthread_mutex_t sens_mu; /* guards the four below; held while one is computed */
    char sens_key[256];      /* index, period and options; "" none */
    struct store_data_version sens_version;
    struct config *sens_cfg; /* the config its unit ids and names are borrowed from */
    struct compute_sens sens;
    struct compute_years years; /* /series: the store's years at run years_run */
    int64_t years_run;          /* store_obs_generation() then; -1: not known */
    /* Units with results per (index, period), counted once per data epoch:
     * the first page of a ranking or an index needs its total (count_mu). */
    pthread_mutex_t count_mu;
    struct api_count {
        int used;       /* 0: empty */
        uint64_t epoch; /* the data epoch it was counted in (0 until a commit) */
        char key[160];  /* index id, NUL, period */
        long n;
    } counts[64];
    pthread_mutex_t pool_mu; /* guards pool and npool */
    struct store *pool[API_POOL_MAX];
    size_t npool;
    unsigned sdmx_streams; /* SDMX answers open (sdmx_data.c), under pool_mu */
    struct api_jobs *jobs; /* query workers (jobs.c) */
    /* Connection guard (server.c): every open connection, and the thread that
     * closes those over their header or body deadline. */
    pthread_mutex_t conns_mu; /* guards conns, each one's phase and deadline, reaper_stop */
    pthread_cond_t reaper_cv;
    struct api_conn *conns;
    pthread_t reaper;
    int reaper_started, reaper_stop;
    pthread_mutex_t health_mu; /* guards health_st */
    struct store *health_st;   /* /healthz's own connection, never queued behind queries */
    pthread_mutex_t log_mu;    /* guards the libmicrohttpd log budget */
    int64_t log_window_us;
    unsigned log_count, log_dropped;
};

/* The reply a handler fills in; reply.c turns it into an MHD response. */
struct api_reply {
    unsigned status;
    const char *content_type; /* static string */
    char *body;               /* malloc'd */
    size_t len;
    const char *allow;     /* 405: the Allow header */
    int challenge;         /* 401: add WWW-Authenticate */
    int cacheable;         /* add the ETag and honour If-None-Match */
    char etag[32];         /* set by api_reply_etag() */
    uint64_t epoch;        /* the data epoch the answer belongs to */
    const char *computed;  /* X-Parkstat-Computed (a static string), or NULL */
    int pre_gzipped;       /* body is gzip already (from the cache, or api_reply_finish()) */
    int finished;          /* api_reply_finish() has run */
    int from_cache;        /* body came from the cache */
    struct api_blob *blob; /* from the cache: body points into it (one reference held) */
    size_t cap;            /* the largest body; 0: API_MAX_REPLY */
    int paged;             /* a page of a list: X-Total-Count, X-Next-Cursor */
    long page_total, page_limit;
    char next[API_CURSOR_MAX * 4 / 3 + 96]; /* the next page's cursor, "" on the last */
    /* A streamed body (sdmx_data.c) instead of body: libmicrohttpd calls
     * stream_read for each block while the client reads, and stream_free
     * when the answer is done or dropped. Never cached, gzipped or capped. */
    ssize_t (*stream_read)(void *cls, uint64_t pos, char *buf, size_t max);
    void (*stream_free)(void *cls);
    void *stream_cls;
};

/*
 * One page of a list (params.c). A route reads ?limit= and ?cursor= with
 * api_page_params(), asks the store for the rows after pg->key (at most
 * limit + 1 of them) and counts the matches into total on the first page
 * (total < 0); its row callback calls api_page_full() first (1: the row is
 * past the page: stop the walk) and api_page_took() with the row's key after
 * taking it; api_reply_page() then sends the rows with the page.
 */
struct api_page {
    const char *tag;                /* names the list in its cursors */
    long limit, max;                /* rows in this page at most; the largest limit */
    long total;                     /* matching rows; -1: not counted yet (first page) */
    size_t nkey;                    /* key fields from the cursor; 0: the first page */
    const char *key[API_PAGE_KEYS]; /* the previous page's last key (into in) */
    char in[API_CURSOR_MAX];
    long n;                    /* rows taken */
    int more;                  /* a row past the page was seen */
    char last[API_CURSOR_MAX]; /* the last taken row's key, fields NUL-terminated */
    size_t last_len;           /* 0: none (or too long for a cursor) */
};

/* One HTTP request, created when MHD reports its URI and freed when the
 * request completes. */
struct api_request {
    struct api *api;
    struct MHD_Connection *conn;
    char *uri; /* raw request-target as sent (path + query), cut after API_MAX_URI + 1 */
    size_t uri_len;
    size_t nparams;       /* query parameters counted in the raw target */
    struct api_conn *cc;  /* the connection's guard state, or NULL */
    const char *method;   /* MHD's, valid for the request */
    int head;             /* HEAD: like GET, MHD drops the body */
    int started;          /* the handler has seen the headers */
    const char *endpoint; /* metrics label: the route pattern or "other" */
    struct store *st;     /* from the pool on first use, returned at the end */
    int64_t t0;           /* request start, us */
    /* Answered by a query worker (jobs.c) while MHD holds the connection
     * suspended: */
    const char *path; /* MHD's URL, valid for the request */
    enum { JOB_NONE, JOB_QUEUED, JOB_DONE, JOB_INLINE } job;
    struct api_reply reply;       /* filled by the worker, sent on resume */
    struct api_request *next_job; /* in the queue */
};

/* A route handler: arg is the {id} path segment or NULL. Fills rp and returns
 * 0, or a negative errno for a 500. */
typedef int (*api_handler)(struct api_request *rq, const char *arg, struct api_reply *rp);

/* ---- server.c ---- */

/* The request's read-only store connection, taken from the pool on first use.
 * Returns 0 or a negative errno. */
int api_store_get(struct api_request *rq, struct store **st);

/* A query parameter's value or NULL (MHD's, valid for the request). */
const char *api_param(struct api_request *rq, const char *name);

/* ---- cache.c ---- */

struct api_blob;

/* Drops a reference to cached answer bytes (an MHD free callback). */
void api_blob_unref(void *cls);

/* FNV-1a, 64 bits: tells versions apart; not a security hash. */
uint64_t api_fnv1a(uint64_t h, const void *data, size_t len);

/* The epoch connection and an empty cache. Returns 0 or a negative errno. */
int api_cache_new(struct api_cache **out, const char *db_path, char *err, size_t errsize);
void api_cache_free(struct api_cache **cp);

/* The ETag of uri in the current epoch (also returned). */
void api_cache_etag(struct api_cache *c, const char *uri, size_t len, char *etag, size_t size,
                    uint64_t *epoch);

/* Fills rp from a cached answer to uri (gzip or not) of this epoch: 1, else 0. */
int api_cache_get(struct api_cache *c, const char *uri, size_t len, int gzip, uint64_t epoch,
                  struct api_reply *rp);

/* Keeps a copy of rp's body for uri in this epoch, for clients that accept
 * gzip or not (gzip), telling whether the bytes are gzip (gzipped). */
void api_cache_put(struct api_cache *c, const char *uri, size_t len, int gzip, int gzipped,
                   uint64_t epoch, const struct api_reply *rp, const char *endpoint);

/* Looks uri up in one step: the current epoch, and the cached answer (gzip
 * or not) with its ETag and metrics label (*endpoint). 1 on a hit, else 0. */
int api_cache_lookup(struct api_cache *c, const char *uri, size_t len, int gzip,
                     struct api_reply *rp, const char **endpoint);

/* ---- jobs.c ---- */

/* Starts nworkers query workers on the executor ex (borrowed; it must
 * outlive the pool), each calling run(rq) for submitted requests. Workers ex
 * cannot start are left out; with none (ex NULL) every submission is refused
 * and answered by the caller. Returns 0 or -ENOMEM. */
int api_jobs_new(struct api_jobs **out, unsigned nworkers, const struct exec *ex,
                 void (*run)(struct api_request *rq));

/* Queues rq. Returns 0, -ENOTSUP without workers, or -ESHUTDOWN once stopping. */
int api_jobs_submit(struct api_jobs *j, struct api_request *rq);

/* Refuses new jobs, runs what is queued and joins the workers. */
void api_jobs_stop(struct api_jobs *j);

/* Stops (if not yet) and frees the pool. */
void api_jobs_free(struct api_jobs **jp);

/* ---- reply.c ---- */

/* A GET or HEAD answered from the cache of this epoch (or 304 by its ETag),
 * without a handler: 1 when rp is complete, else 0. */
int api_reply_cached(struct api_request *rq, struct api_reply *rp);

/* Frees what rp holds when it is not sent. */
void api_reply_discard(struct api_reply *rp);

/* {"status":"ok","data":data}; steals data. Returns 0 or -ENOMEM. */
int api_reply_ok(struct api_reply *rp, json_t *data);

/* {"status":"error","error":{"code":status,"message":...}}. Returns 0 or
 * -ENOMEM. */
int api_reply_error(struct api_reply *rp, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* api_reply_error() with 400 Bad Request; returns 1 (rp is complete), so a
 * parameter check can end with `return api_reply_bad(rp, ...)`. */
int api_reply_bad(struct api_reply *rp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A text body (copied) of the given content type. Returns 0 or -ENOMEM. */
int api_reply_text(struct api_reply *rp, unsigned status, const char *content_type,
                   const char *text, size_t len);

/*
 * A list reply: with ?format=csv the array rows (borrowed from data) as CSV
 * with the header row columns (NULL-terminated), with ?format=xlsx the same
 * as an Excel workbook (api_xlsx_rows()), else the JSON envelope of data. Steals data. A bad format
 * value is a 400. Returns 0 or -ENOMEM.
 */
int api_reply_rows(struct api_request *rq, struct api_reply *rp, json_t *data, const json_t *rows,
                   const char *const *columns);

/*
 * Computes the request's ETag from its URI and the database's data version
 * into rp->etag and marks the reply cacheable. Returns 1 when the client's
 * If-None-Match matches (rp is then a 304 without body: the caller returns
 * without running its query), 0 when not, or a negative errno.
 */
int api_reply_etag(struct api_request *rq, struct api_reply *rp);

/* The sending's work on the body: gzip when the client takes it (and the
 * body is large enough), then a copy into the answer cache. Once per reply;
 * a query worker runs it after the handler, api_reply_send() otherwise. */
void api_reply_finish(struct api_request *rq, struct api_reply *rp);

/* Queues rp on the connection (gzip, ETag, Vary, Allow, WWW-Authenticate),
 * counts it in the metrics and frees rp->body. */
enum MHD_Result api_reply_send(struct api_request *rq, struct api_reply *rp);

/* A list keyed by one code (units, indicators, indices, sources) being
 * walked: the rows and the page. */
struct api_list_walk {
    json_t *rows;
    struct api_page pg;
};

/* Such a list: the tag of its cursors, its default and largest limit, how
 * to count its rows and walk a page of them (at most limit rows with code
 * after after, NULL: from the first, each through api_list_take()), and the
 * CSV columns. */
struct api_list {
    const char *tag;
    long def, max;
    int (*count)(struct store *st, long *n);
    int (*walk)(struct store *st, const char *after, long limit, struct api_list_walk *w);
    const char *const *columns;
};

/*
 * Answers a list: ?limit= and ?cursor=, the ETag (a 304 or a cached answer
 * ends it there), the count on the first page, the page's rows, then
 * api_reply_page(). Returns 0 or a negative errno.
 */
int api_reply_list(struct api_request *rq, struct api_reply *rp, const struct api_list *l);

/* In a list walk's callback: appends obj (stolen) keyed by key and returns
 * 0, or 1 when the page is full (obj dropped: stop the walk), or -ENOMEM. */
int api_list_take(struct api_list_walk *w, json_t *obj, const char *key);

/* ---- xlsx.c ---- */

/* "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet". */
extern const char api_xlsx_type[];

/*
 * The array rows (borrowed) as an Excel workbook with the header row columns
 * (NULL-terminated, at most 32) into rp's body: Chinese headers, numbers as
 * number cells with the indicator's decimals (data, the answer's object,
 * names the indicator and transform of a series), nulls as empty cells.
 * Returns 0, -E2BIG past rp->cap, or a negative errno.
 */
int api_xlsx_rows(struct api_request *rq, struct api_reply *rp, const json_t *data,
                  const json_t *rows, const char *const *columns);

/* The file name, without ".xlsx", of an endpoint's (metrics label) workbook. */
const char *api_xlsx_filename(const char *endpoint);

/* JSON helpers that map NULL text to null and µs times to ISO text. */
json_t *api_json_str(const char *s);
json_t *api_json_time(int64_t us);

/* ---- routes_*.c ---- */

int api_route_units(struct api_request *rq, const char *arg, struct api_reply *rp);
int api_route_indicators(struct api_request *rq, const char *arg, struct api_reply *rp);
int api_route_observations(struct api_request *rq, const char *arg, struct api_reply *rp);
int api_route_sources(struct api_request *rq, const char *arg, struct api_reply *rp);
int api_route_runs(struct api_request *rq, const char *arg, struct api_reply *rp);
int api_route_rejects(struct api_request *rq, const char *arg, struct api_reply *rp);
/* routes_checks.c: GET /api/v1/checks */
int api_route_checks(struct api_request *rq, const char *arg, struct api_reply *rp);
struct metrics;
/* Registers the gauge parkstat_check_violations{rule} in m; 0 or a negative errno. */
int api_checks_register(struct metrics *m);
/* Sets it from the stored violations (every rule, 0 when none); nothing when
 * the store cannot be read. */
void api_checks_metrics(struct api_request *rq, struct metrics *m);
int api_route_pull(struct api_request *rq, const char *arg, struct api_reply *rp);
int api_route_recompute(struct api_request *rq, const char *arg, struct api_reply *rp);
int api_route_indices(struct api_request *rq, const char *arg, struct api_reply *rp);
int api_route_index(struct api_request *rq, const char *arg, struct api_reply *rp);
int api_route_ranking(struct api_request *rq, const char *arg, struct api_reply *rp);
int api_route_series(struct api_request *rq, const char *arg, struct api_reply *rp);
int api_route_sensitivity(struct api_request *rq, const char *arg, struct api_reply *rp);
/* sdmx_data.c: GET /sdmx/2.1/data/{flow}[/{key}[/{provider}]]; arg is the
 * path after /sdmx/2.1/data/ */
int api_route_sdmx_data(struct api_request *rq, const char *arg, struct api_reply *rp);

/* sdmx_struct.c: GET /sdmx/2.1/{dataflow,datastructure,codelist,conceptscheme}/...,
 * SDMX-ML 2.1 structure messages (the rest of the path in arg, "" when none). */
int api_route_sdmx_dataflow(struct api_request *rq, const char *arg, struct api_reply *rp);
int api_route_sdmx_datastructure(struct api_request *rq, const char *arg, struct api_reply *rp);
int api_route_sdmx_codelist(struct api_request *rq, const char *arg, struct api_reply *rp);
int api_route_sdmx_conceptscheme(struct api_request *rq, const char *arg, struct api_reply *rp);
/* sdmx_struct_schema.c: GET /sdmx/2.1/schema/{context}/{agency}/{id}/{version}, the
 * XML schema of a structure's StructureSpecific data. */
int api_route_sdmx_schema(struct api_request *rq, const char *arg, struct api_reply *rp);

/* The store's years (compute_years()) into *y, found again only when
 * observations were written (caller holds series_mu). 0 or a negative errno. */
int api_series_years(struct api *a, struct store *st, struct compute_years *y);

/* ---- static.c: the dashboard's files under api->web_root ---- */

/* GET / (index.html) and GET /assets/{file}. */
int api_route_static(struct api_request *rq, const char *arg, struct api_reply *rp);

/*
 * Checks an optional period parameter: 0 when absent (*out NULL) or valid
 * (*out the text), else fills rp with a 400 naming it and returns 1.
 */
int api_param_period(struct api_request *rq, struct api_reply *rp, const char *name,
                     const char **out);

/* "monthly", "quarterly", "half-yearly" or "yearly" for a period frequency. */
const char *api_freq_name(int freq);

/* ---- params.c: the parameters each endpoint takes, strict checks, paging ---- */

/* The query parameters an endpoint (its metrics label) takes. */
struct api_params {
    const char *endpoint;
    const char *names[12]; /* NULL-terminated */
};

/* Every endpoint's parameters, the table docs/API.md repeats; *n entries. */
const struct api_params *api_params_table(size_t *n);

/* Is s[0..len) well-formed UTF-8? 1 or 0. */
int api_utf8_valid(const char *s, size_t len);

/*
 * Checks the raw request-target's path: a bad percent escape, an encoded NUL
 * or bytes that are not UTF-8 fill rp with a 400 and return 1; else 0, or
 * -ENOMEM.
 */
int api_check_path(struct api_request *rq, struct api_reply *rp);

/*
 * Checks the raw query against endpoint's parameters: an unknown name (with
 * a "did you mean"), a name given twice, a bad escape, an encoded NUL or a
 * name or value that is not UTF-8 fill rp with a 400 and return 1; else 0, or
 * -ENOMEM. An endpoint not in the table takes anything.
 */
int api_check_query(struct api_request *rq, const char *endpoint, struct api_reply *rp);

/* Reads ?limit= (def when absent, 1..max) and ?cursor= (of list tag with
 * nkey key fields) into pg. Returns 0, or 1 with rp a 400 naming the
 * parameter. */
int api_page_params(struct api_request *rq, struct api_reply *rp, struct api_page *pg,
                    const char *tag, size_t nkey, long def, long max);

/* 1 when the page is full (the row at hand is past it: the walk stops), else 0. */
int api_page_full(struct api_page *pg);

/* Counts a taken row and keeps its key (n text fields, NULL as ""). */
void api_page_took(struct api_page *pg, const char *const *fields, size_t n);

/* Puts the page (total, limit, next cursor) into rp. 0 or -E2BIG. */
int api_page_finish(struct api_page *pg, struct api_reply *rp);

/* api_reply_rows() for a page: the JSON envelope gets
 * "page":{"limit","total","next"}, and both formats the headers
 * X-Total-Count and X-Next-Cursor (absent on the last page). */
int api_reply_page(struct api_request *rq, struct api_reply *rp, json_t *data, const json_t *rows,
                   const char *const *columns, struct api_page *pg);

#endif
