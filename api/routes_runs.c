/*
 * routes_runs.c - what the collectors did: GET /api/v1/sources (health per
 * source), /api/v1/runs (newest first), /api/v1/rejects; and the two admin
 * actions, POST /api/v1/sources/{id}/pull and POST /api/v1/recompute, which
 * only hand the work to the daemon through its hooks.
 */
#include <errno.h>
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

/* Parses ?limit= into *limit (default def, 1..max). Returns 0, or 1 with rp
 * set to a 400. */
static int param_limit(struct api_request *rq, struct api_reply *rp, long def, long max,
                       long *limit)
{
    const char *v = api_param(rq, "limit");
    char *end;

    *limit = def;
    if (!v)
        return 0;
    errno = 0;
    *limit = strtol(v, &end, 10);
    if (!*v || *end || errno || *limit < 1 || *limit > max) {
        api_reply_error(rp, MHD_HTTP_BAD_REQUEST,
                        "parameter 'limit': expected 1..%ld, not \"%.64s\"", max, v);
        return 1;
    }
    return 0;
}

static int health_row(const struct store_health *h, void *ctx)
{
    return append(ctx,
                  json_pack("{s:o,s:o,s:o,s:I,s:b,s:o,s:I,s:o,s:f,s:I,s:I,s:I,s:I,s:I}", "source",
                            api_json_str(h->source), "last_attempt", api_json_time(h->last_attempt),
                            "last_success", api_json_time(h->last_success), "consecutive_failures",
                            (json_int_t)h->consecutive_failures, "failing", h->failed,
                            "last_outcome", api_json_str(h->last_outcome), "last_status",
                            (json_int_t)h->last_status, "last_error", api_json_str(h->last_error),
                            "last_duration_s", h->last_duration_s, "last_bytes",
                            (json_int_t)h->last_bytes, "n_new", (json_int_t)h->last_counts.n_new,
                            "n_revised", (json_int_t)h->last_counts.n_revised, "n_unchanged",
                            (json_int_t)h->last_counts.n_unchanged, "n_rejected",
                            (json_int_t)h->last_counts.n_rejected));
}

static int walk_sources(struct store *st, json_t *rows)
{
    return store_health_list(st, health_row, rows);
}

/* GET /api/v1/sources: the health of every source that has been pulled. */
int api_route_sources(struct api_request *rq, const char *arg, struct api_reply *rp)
{
    static const char *const columns[] = {
        "source",       "last_attempt", "last_success", "consecutive_failures", "failing",
        "last_outcome", "last_status",  "last_error",   "last_duration_s",      "last_bytes",
        "n_new",        "n_revised",    "n_unchanged",  "n_rejected",           NULL};
    (void)arg;
    return api_reply_list(rq, rp, walk_sources, columns);
}

static int run_row(const struct store_run_row *r, void *ctx)
{
    return append(
        ctx, json_pack(
                 "{s:I,s:o,s:o,s:o,s:o,s:o,s:I,s:I,s:I,s:I,s:o,s:o,s:o}", "id", (json_int_t)r->id,
                 "source", api_json_str(r->source), "period", api_json_str(r->period), "started_at",
                 api_json_time(r->started_at), "ended_at", api_json_time(r->ended_at), "outcome",
                 api_json_str(r->outcome), "n_new", (json_int_t)r->counts.n_new, "n_revised",
                 (json_int_t)r->counts.n_revised, "n_unchanged", (json_int_t)r->counts.n_unchanged,
                 "n_rejected", (json_int_t)r->counts.n_rejected, "http_status",
                 r->http_status ? json_integer(r->http_status) : json_null(), "bytes",
                 r->http_status || r->bytes ? json_integer(r->bytes) : json_null(), "error",
                 api_json_str(r->error)));
}

/* GET /api/v1/runs?source=&limit=: runs, newest first. */
int api_route_runs(struct api_request *rq, const char *arg, struct api_reply *rp)
{
    static const char *const columns[] = {
        "id",        "source",      "period",     "started_at",  "ended_at", "outcome", "n_new",
        "n_revised", "n_unchanged", "n_rejected", "http_status", "bytes",    "error",   NULL};
    struct store *st;
    long limit;
    int rc;
    (void)arg;

    if (param_limit(rq, rp, RUNS_DEFAULT, RUNS_MAX, &limit))
        return 0;
    if ((rc = api_reply_etag(rq, rp)) != 0)
        return rc < 0 ? rc : 0;
    json_t *rows = json_array();
    if (!rows)
        return -ENOMEM;
    if ((rc = api_store_get(rq, &st)) < 0 ||
        (rc = store_runs_list(st, api_param(rq, "source"), limit, run_row, rows)) < 0) {
        json_decref(rows);
        return rc;
    }
    return api_reply_rows(rq, rp, rows, rows, columns);
}

struct rejects_ctx {
    json_t *rows;
    const char *period; /* NULL: any */
    long left;          /* rows still to add */
};

static int reject_row(const struct store_reject_row *r, void *arg)
{
    struct rejects_ctx *c = arg;
    if (c->period && (!r->period || strcmp(c->period, r->period) != 0))
        return 0;
    if (c->left-- <= 0)
        return 1; /* enough: stop the walk */
    return append(c->rows,
                  json_pack("{s:I,s:o,s:o,s:I,s:o,s:o}", "run_id", (json_int_t)r->run_id, "source",
                            api_json_str(r->source), "period", api_json_str(r->period), "position",
                            (json_int_t)r->position, "raw", api_json_str(r->raw), "reason",
                            api_json_str(r->reason)));
}

/* GET /api/v1/rejects?source=&period=&limit=: rejected records, newest run
 * first. */
int api_route_rejects(struct api_request *rq, const char *arg, struct api_reply *rp)
{
    static const char *const columns[] = {"run_id", "source", "period", "position",
                                          "raw",    "reason", NULL};
    struct rejects_ctx c = {0};
    struct store *st;
    int rc;
    (void)arg;

    if (api_param_period(rq, rp, "period", &c.period) ||
        param_limit(rq, rp, REJECTS_DEFAULT, REJECTS_MAX, &c.left))
        return 0;
    if ((rc = api_reply_etag(rq, rp)) != 0)
        return rc < 0 ? rc : 0;
    if (!(c.rows = json_array()))
        return -ENOMEM;
    if ((rc = api_store_get(rq, &st)) < 0 ||
        (rc = store_rejects(st, 0, api_param(rq, "source"), reject_row, &c)) < 0) {
        json_decref(c.rows);
        return rc;
    }
    return api_reply_rows(rq, rp, c.rows, c.rows, columns);
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
