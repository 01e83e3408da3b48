/*
 * routes_runs.c - what the collectors did: GET /api/v1/sources (health per
 * source), /api/v1/runs (newest first), /api/v1/rejects; and the two admin
 * actions, POST /api/v1/sources/{id}/pull and POST /api/v1/recompute, which
 * only hand the work to the daemon through its hooks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api_priv.h"
#include "common/period.h"
#include "common/timefmt.h"
#include "config/config.h"
#include "store/bookkeeping.h"
#include "store/store.h"

#define RUNS_DEFAULT    50
#define RUNS_MAX        1000
#define REJECTS_DEFAULT 1000
#define REJECTS_MAX     10000

static int append(json_t *array, json_t *obj)
{
    return obj && json_array_append_new(array, obj) == 0 ? 0 : -ENOMEM;
}

/* The sources' walk: one row per configured source that has been pulled, so
 * a page is cut from the whole (small) list here: rows up to the cursor's
 * source are skipped, every row is counted for the total. */
struct health_walk {
    struct api_list_walk *w;
    const char *after;
    long limit;
    long seen;
};

static int health_row(const struct store_health *h, void *ctx)
{
    struct health_walk *hw = ctx;

    hw->seen++;
    if ((hw->after && strcmp(h->source, hw->after) <= 0) || hw->w->pg.more)
        return 0;
    return api_list_take(
               hw->w,
               json_pack("{s:o,s:o,s:o,s:I,s:b,s:o,s:I,s:o,s:f,s:I,s:I,s:I,s:I,s:I}", "source",
                         api_json_str(h->source), "last_attempt", api_json_time(h->last_attempt),
                         "last_success", api_json_time(h->last_success), "consecutive_failures",
                         (json_int_t)h->consecutive_failures, "failing", h->failed, "last_outcome",
                         api_json_str(h->last_outcome), "last_status", (json_int_t)h->last_status,
                         "last_error", api_json_str(h->last_error), "last_duration_s",
                         h->last_duration_s, "last_bytes", (json_int_t)h->last_bytes, "n_new",
                         (json_int_t)h->last_counts.n_new, "n_revised",
                         (json_int_t)h->last_counts.n_revised, "n_unchanged",
                         (json_int_t)h->last_counts.n_unchanged, "n_rejected",
                         (json_int_t)h->last_counts.n_rejected),
               h->source) < 0
               ? -ENOMEM
               : 0;
}

static int walk_sources(struct store *st, const char *after, long limit, struct api_list_walk *w)
{
    struct health_walk hw = {w, after, limit, 0};
    int rc = store_health_list(st, health_row, &hw);
    w->pg.total = hw.seen;
    return rc;
}

/* The sources are counted by their walk. */
static int count_sources(struct store *st, long *n)
{
    (void)st;
    *n = 0;
    return 0;
}

/* GET /api/v1/sources: the health of every source that has been pulled. */
int api_route_sources(struct api_request *rq, const char *arg, struct api_reply *rp)
{
    static const char *const columns[] = {
        "source",       "last_attempt", "last_success", "consecutive_failures", "failing",
        "last_outcome", "last_status",  "last_error",   "last_duration_s",      "last_bytes",
        "n_new",        "n_revised",    "n_unchanged",  "n_rejected",           NULL};
    static const struct api_list list = {"sources",     API_LIST_DEFAULT, API_LIST_MAX,
                                         count_sources, walk_sources,     columns};
    (void)arg;
    return api_reply_list(rq, rp, &list);
}

/* A page of runs or rejects being walked. */
struct page_walk {
    json_t *rows;
    struct api_page pg;
};

static int run_row(const struct store_run_row *r, void *ctx)
{
    struct page_walk *w = ctx;
    char started[24], id[24];

    if (api_page_full(&w->pg))
        return 1;
    if (append(w->rows,
               json_pack("{s:I,s:o,s:o,s:o,s:o,s:o,s:I,s:I,s:I,s:I,s:o,s:o,s:o}", "id",
                         (json_int_t)r->id, "source", api_json_str(r->source), "period",
                         api_json_str(r->period), "started_at", api_json_time(r->started_at),
                         "ended_at", api_json_time(r->ended_at), "outcome",
                         api_json_str(r->outcome), "n_new", (json_int_t)r->counts.n_new,
                         "n_revised", (json_int_t)r->counts.n_revised, "n_unchanged",
                         (json_int_t)r->counts.n_unchanged, "n_rejected",
                         (json_int_t)r->counts.n_rejected, "http_status",
                         r->http_status ? json_integer(r->http_status) : json_null(), "bytes",
                         r->http_status || r->bytes ? json_integer(r->bytes) : json_null(), "error",
                         api_json_str(r->error))) < 0)
        return -ENOMEM;
    snprintf(started, sizeof(started), "%lld", (long long)r->started_at);
    snprintf(id, sizeof(id), "%lld", (long long)r->id);
    const char *const key[] = {started, id};
    api_page_took(&w->pg, key, 2);
    return 0;
}

/* The cursor's key fields as numbers: 0, or 1 with rp a 400. */
static int cursor_numbers(struct api_reply *rp, const struct api_page *pg, long long *out)
{
    for (size_t i = 0; i < pg->nkey; i++) {
        char *end;
        errno = 0;
        out[i] = strtoll(pg->key[i], &end, 10);
        if (!*pg->key[i] || *end || errno)
            return api_reply_bad(rp, "parameter 'cursor': not a cursor of this list");
    }
    return 0;
}

/* GET /api/v1/runs?source=&limit=&cursor=: runs, newest first, one page by a
 * keyset query on (started_at, id). */
int api_route_runs(struct api_request *rq, const char *arg, struct api_reply *rp)
{
    static const char *const columns[] = {
        "id",        "source",      "period",     "started_at",  "ended_at", "outcome", "n_new",
        "n_revised", "n_unchanged", "n_rejected", "http_status", "bytes",    "error",   NULL};
    const char *source = api_param(rq, "source");
    long long key[2] = {0, 0};
    struct page_walk w;
    struct store *st;
    int rc;
    (void)arg;

    if (api_page_params(rq, rp, &w.pg, "runs", 2, RUNS_DEFAULT, RUNS_MAX) ||
        cursor_numbers(rp, &w.pg, key))
        return 0;
    if ((rc = api_reply_etag(rq, rp)) != 0)
        return rc < 0 ? rc : 0;
    if (!(w.rows = json_array()))
        return -ENOMEM;
    if ((rc = api_store_get(rq, &st)) < 0 ||
        (w.pg.total < 0 && (rc = store_runs_count(st, source, &w.pg.total)) < 0) ||
        (rc = store_runs_page(st, source, key[0], key[1], w.pg.limit + 1, run_row, &w)) < 0) {
        json_decref(w.rows);
        return rc;
    }
    return api_reply_page(rq, rp, w.rows, w.rows, columns, &w.pg);
}

static int reject_row(const struct store_reject_row *r, void *ctx)
{
    struct page_walk *w = ctx;
    char started[24], run[24], pos[24], id[24];

    if (api_page_full(&w->pg))
        return 1;
    if (append(w->rows, json_pack("{s:I,s:o,s:o,s:I,s:o,s:o}", "run_id", (json_int_t)r->run_id,
                                  "source", api_json_str(r->source), "period",
                                  api_json_str(r->period), "position", (json_int_t)r->position,
                                  "raw", api_json_str(r->raw), "reason", api_json_str(r->reason))) <
        0)
        return -ENOMEM;
    snprintf(started, sizeof(started), "%lld", (long long)r->run_started_at);
    snprintf(run, sizeof(run), "%lld", (long long)r->run_id);
    snprintf(pos, sizeof(pos), "%ld", r->position);
    snprintf(id, sizeof(id), "%lld", (long long)r->id);
    const char *const key[] = {started, run, pos, id};
    api_page_took(&w->pg, key, 4);
    return 0;
}

/* GET /api/v1/rejects?source=&period=&limit=&cursor=: rejected records,
 * newest run first, one page by a keyset query. */
int api_route_rejects(struct api_request *rq, const char *arg, struct api_reply *rp)
{
    static const char *const columns[] = {"run_id", "source", "period", "position",
                                          "raw",    "reason", NULL};
    struct store_reject_query q = {0};
    long long key[4] = {0, 0, 0, 0};
    struct page_walk w;
    struct store *st;
    int rc;
    (void)arg;

    if (api_param_period(rq, rp, "period", &q.period) ||
        api_page_params(rq, rp, &w.pg, "rejects", 4, REJECTS_DEFAULT, REJECTS_MAX) ||
        cursor_numbers(rp, &w.pg, key))
        return 0;
    q.source = api_param(rq, "source");
    q.after_started = key[0];
    q.after_run = key[1];
    q.after_position = (long)key[2];
    q.after_id = key[3];
    q.limit = w.pg.limit + 1;
    if (w.pg.nkey && q.after_id == 0)
        return api_reply_bad(rp, "parameter 'cursor': not a cursor of this list"), 0;
    if ((rc = api_reply_etag(rq, rp)) != 0)
        return rc < 0 ? rc : 0;
    if (!(w.rows = json_array()))
        return -ENOMEM;
    if ((rc = api_store_get(rq, &st)) < 0 ||
        (w.pg.total < 0 && (rc = store_rejects_count(st, &q, &w.pg.total)) < 0) ||
        (rc = store_rejects_page(st, &q, reject_row, &w)) < 0) {
        json_decref(w.rows);
        return rc;
    }
    return api_reply_page(rq, rp, w.rows, w.rows, columns, &w.pg);
}

/* Maps a hook's return to the reply: 202, 404 for an unknown source, else 503. */
static int hook_reply(struct api_reply *rp, int rc, const char *what, const char *source)
{
    if (rc == 0) {
        int r = api_reply_ok(rp, json_pack("{s:b,s:s}", "accepted", 1, "action", what));
        rp->status = MHD_HTTP_ACCEPTED;
        return r;
    }
    if (rc == -ENOENT)
        return api_reply_error(rp, MHD_HTTP_NOT_FOUND, "unknown source \"%.100s\"",
                               source ? source : "");
    return api_reply_error(rp, MHD_HTTP_SERVICE_UNAVAILABLE, "%s not available: %s", what,
                           strerror(rc < 0 ? -rc : EINVAL));
}

/* The period of frequency f that holds the time us (UTC). */
static struct period period_at(int64_t us, enum period_freq f)
{
    time_t t = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    int months = 12 / (int)f;
    return (struct period){tm.tm_year + 1900, f, tm.tm_mon / months + 1};
}

/*
 * Checks a pull's period against the source's configuration: of the source's
 * frequency and within first_period .. the period one year from now. Returns
 * 0 (also when no configuration is loaded: the daemon's hook decides), 1 with
 * rp a 400 or a 404 for a source the configuration does not have.
 */
static int pull_period_check(struct api_request *rq, struct api_reply *rp, const char *source,
                             const char *text)
{
    struct api *a = rq->api;
    const struct config_source *src = NULL;
    struct period p, first, last;
    size_t n;
    int rc = 0;

    pthread_mutex_lock(&a->series_mu);
    const struct config_source *all = a->cfg ? config_sources(a->cfg, &n) : NULL;
    for (size_t i = 0; all && i < n && !src; i++)
        if (strcmp(all[i].id, source) == 0)
            src = &all[i];
    if (src) {
        first = src->first_period;
        last = period_add(period_at(time_now_us(), src->freq), (int)src->freq);
    }
    pthread_mutex_unlock(&a->series_mu);
    if (!all)
        return 0;
    if (!src) {
        api_reply_error(rp, MHD_HTTP_NOT_FOUND, "unknown source \"%.100s\"", source);
        return 1;
    }
    if (!text || period_parse_str(&p, text) < 0)
        return 0;
    char a1[PERIOD_TEXT_SIZE], a2[PERIOD_TEXT_SIZE];
    period_format(first, a1, sizeof(a1));
    period_format(last, a2, sizeof(a2));
    if (p.freq != first.freq)
        rc = api_reply_bad(rp,
                           "parameter 'period': source \"%.100s\" is %s (periods like %s), "
                           "\"%s\" is %s",
                           source, api_freq_name(first.freq), a1, text, api_freq_name(p.freq));
    else if (period_cmp(p, first) < 0 || period_cmp(p, last) > 0)
        rc = api_reply_bad(rp,
                           "parameter 'period': \"%s\" is outside %s .. %s (source \"%.100s\" "
                           "from its first_period to one year from now)",
                           text, a1, a2, source);
    return rc;
}

/* POST /api/v1/sources/{id}/pull?period=: asks the daemon for a pull. */
int api_route_pull(struct api_request *rq, const char *source, struct api_reply *rp)
{
    const char *period;
    struct api *a = rq->api;

    if (api_param_period(rq, rp, "period", &period) || pull_period_check(rq, rp, source, period))
        return 0;
    return hook_reply(rp, a->pull ? a->pull(a->hook_ctx, source, period) : -ENOSYS, "pull", source);
}

/* POST /api/v1/recompute: asks the daemon to recompute the indices. */
int api_route_recompute(struct api_request *rq, const char *arg, struct api_reply *rp)
{
    struct api *a = rq->api;
    (void)arg;
    return hook_reply(rp, a->recompute ? a->recompute(a->hook_ctx) : -ENOSYS, "recompute", NULL);
}
