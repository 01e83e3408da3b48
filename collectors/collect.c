/*
 * collect.c - pulls of sources on the loop (see collect.h): one fetch per
 * request (the source, or each of its units); once every part has answered,
 * a thread-pool job reads the payloads and stores them (collect_ingest())
 * under the store lock into the open group transaction, which the loop
 * commits; the pull is reported after that.
 */
#include "collectors/collect_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/schedule.h"
#include "collectors/source.h"
#include "collectors/url.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "config/config.h"
#include "store/bookkeeping.h"
#include "store/observations.h"
#include "store/store.h"

#define URL_MAX 4096

/* How long a group commit may stay open while payloads are being read. */
#define COLLECT_GROUP_MS 200
/* Fetched payloads waiting to be read and stored, at most: beyond it the
 * fetcher holds new transfers (memory stays bounded however many are due). */
#define COLLECT_MAX_READING 64
/* Handles of a collector: commit_check, commit_timer, defer_idle. */
#define COLLECT_HANDLES 3

/* Store ids of the config's units and indicators, looked up once: the
 * thread-pool readers map records through these arrays, never the store. */
static int map_ids(struct collect *c)
{
    size_t nu, ni;
    const struct config_unit *units = config_units(c->cfg, &nu);
    const struct config_indicator *inds = config_indicators(c->cfg, &ni);

    c->unit_ids = calloc(nu ? nu : 1, sizeof(int64_t));
    c->indicator_ids = calloc(ni ? ni : 1, sizeof(int64_t));
    if (!c->unit_ids || !c->indicator_ids)
        return -ENOMEM;
    for (size_t i = 0; i < nu; i++)
        if ((c->unit_ids[i] = store_unit_id(c->st, units[i].id, strlen(units[i].id))) < 0)
            return -ENOENT;
    for (size_t i = 0; i < ni; i++)
        if ((c->indicator_ids[i] = store_indicator_id(c->st, inds[i].code, strlen(inds[i].code))) <
            0)
            return -ENOENT;
    return 0;
}

static void collect_free(struct collect *c);
static void commit_group(struct collect *c);
static void on_defer_idle(uv_idle_t *h);

/* A handle of c is closed; freed when all are and no reader runs. */
static void on_handle_closed(uv_handle_t *h)
{
    struct collect *c = h->data;
    if (++c->handles_closed == COLLECT_HANDLES && c->parsing == 0)
        collect_free(c);
}

static void collect_free(struct collect *c)
{
    for (size_t i = 0; i < c->n_sources; i++)
        source_free(&c->sources[i]);
    free(c->sources);
    free(c->unit_ids);
    free(c->indicator_ids);
    free(c);
}

int collect_new(struct collect **out, uv_loop_t *loop, const struct config *cfg, struct store *st,
                const struct fetch_limits *limits, char *err, size_t errsize)
{
    struct collect *c;
    int rc = -ENOMEM;

    *out = NULL;
    if (!(c = calloc(1, sizeof(*c))))
        return -ENOMEM;
    c->loop = loop;
    uv_check_init(loop, &c->commit_check);
    c->commit_check.data = c;
    uv_timer_init(loop, &c->commit_timer);
    c->commit_timer.data = c;
    uv_idle_init(loop, &c->defer_idle);
    c->defer_idle.data = c;
    c->cfg = cfg;
    c->st = st;
    config_sources(cfg, &c->n_sources);
    if (c->n_sources && !(c->sources = calloc(c->n_sources, sizeof(struct source *))))
        goto fail;
    if ((rc = map_ids(c)) < 0) {
        snprintf(err, errsize, "units or indicators missing from the database: sync first");
        goto fail;
    }
    for (size_t i = 0; i < c->n_sources; i++)
        if ((rc = source_new(&c->sources[i], cfg, i, err, errsize)) < 0)
            goto fail;
    if ((rc = fetch_new(&c->fetch, loop, limits)) < 0) {
        snprintf(err, errsize, "cannot start the fetcher: %s", strerror(-rc));
        goto fail;
    }
    *out = c;
    return 0;
fail:
    collect_close(&c);
    return rc;
}

void collect_close(struct collect **cp)
{
    struct collect *c = cp ? *cp : NULL;
    if (!c)
        return;
    fetch_close(&c->fetch); /* cancelled pulls report through their callbacks */
    *cp = NULL;
    store_lock(c->st);
    c->closing = 1; /* readers still running store nothing more */
    store_unlock(c->st);
    on_defer_idle(&c->defer_idle); /* pulls that never started report now */
    commit_group(c);
    /* Freed once its handles have closed and no payload is being read:
     * whichever comes last (on_handle_closed, after_parse) frees it. */
    uv_close((uv_handle_t *)&c->commit_check, on_handle_closed);
    uv_close((uv_handle_t *)&c->commit_timer, on_handle_closed);
    uv_close((uv_handle_t *)&c->defer_idle, on_handle_closed);
}

size_t collect_source_count(const struct collect *c)
{
    return c->n_sources;
}

long collect_source_find(const struct collect *c, const char *id)
{
    for (size_t i = 0; i < c->n_sources; i++)
        if (strcmp(source_config(c->sources[i])->id, id) == 0)
            return (long)i;
    return -1;
}

const struct source *collect_source(const struct collect *c, size_t index)
{
    return index < c->n_sources ? c->sources[index] : NULL;
}

size_t collect_pending(const struct collect *c)
{
    return c->pending;
}

/* The schedule states of source index from the store: a malloc'd array. */
static int load_states(struct collect *c, size_t index, struct schedule_state **out, size_t *n)
{
    const struct schedule_spec *spec = source_schedule(c->sources[index]);
    struct store_pull_state *ps = NULL;
    struct schedule_state *states = NULL;
    size_t np = 0, m = 0;
    int rc;

    *out = NULL;
    *n = 0;
    store_lock(c->st);
    rc = store_pull_states(c->st, spec->source_id, &ps, &np);
    store_unlock(c->st);
    if (rc < 0)
        return rc;
    if (np && !(states = calloc(np, sizeof(*states)))) {
        free(ps);
        return -ENOMEM;
    }
    for (size_t i = 0; i < np; i++) {
        if (period_parse_str(&states[m].period, ps[i].period) < 0)
            continue;
        states[m].last_attempt = ps[i].last_attempt / 1000000;
        states[m].last_success = ps[i].last_success / 1000000;
        states[m].not_published = ps[i].not_published;
        m++;
    }
    free(ps);
    *out = states;
    *n = m;
    return 0;
}

int collect_due(struct collect *c, size_t index, int64_t now, long utc_offset_s, struct period *due,
                size_t max)
{
    const struct schedule_spec *spec;
    struct schedule_state *states;
    size_t n;
    int rc;

    if (index >= c->n_sources)
        return -EINVAL;
    spec = source_schedule(c->sources[index]);
    if ((rc = load_states(c, index, &states, &n)) < 0)
        return rc;
    rc = schedule_due(spec, schedule_today(spec, now, utc_offset_s), now, states, n, due, max);
    free(states);
    return rc;
}

int64_t collect_next_wakeup(struct collect *c, size_t index, int64_t now, long utc_offset_s,
                            int64_t max_s)
{
    struct schedule_state *states;
    size_t n;
    int64_t rc;

    if (index >= c->n_sources)
        return -EINVAL;
    if ((rc = load_states(c, index, &states, &n)) < 0)
        return rc;
    rc = schedule_next_wakeup(source_schedule(c->sources[index]), now, utc_offset_s, states, n,
                              max_s);
    free(states);
    return rc;
}

static void pull_free(struct pull *p)
{
    for (size_t i = 0; p->parts && i < p->n_parts; i++) {
        free(p->parts[i].unit);
        free(p->parts[i].body);
        free(p->parts[i].etag);
        free(p->parts[i].last_modified);
        free(p->parts[i].error);
    }
    free(p->parts);
    collect_batch_free(p);
    free(p);
}

/* Reports a stored pull to its owner and frees it. */
static void report(struct pull *p)
{
    p->res.duration_s = (double)(uv_hrtime() - p->started_ns) / 1e9;
    p->c->pending--;
    if (p->cb)
        p->cb(&p->res, p->ctx);
    pull_free(p);
}

/* Commits the open group (if any), then reports its pulls whose readers have
 * handed them back (failed if the commit did); after_parse() reports the
 * others. */
static void commit_group(struct collect *c)
{
    char err[256] = "";
    int rc = 0;

    store_lock(c->st);
    struct pull *p = c->group_head;
    if (c->group_open && (rc = store_group_commit(c->st)) < 0) {
        snprintf(err, sizeof(err), "%s", store_errmsg(c->st));
        log_err("store: group commit failed: %s", err);
    }
    c->group_open = 0;
    c->group_head = c->group_tail = NULL;
    store_unlock(c->st);
    uv_check_stop(&c->commit_check);
    uv_timer_stop(&c->commit_timer);
    while (p) {
        struct pull *next = p->next_done;
        if (rc < 0 && strcmp(p->res.outcome, "cancelled") != 0) {
            snprintf(p->res_err, sizeof(p->res_err), "store: %s", err); /* "commit: ..." */
            p->res.outcome = "failed";
            p->res.error = p->res_err;
            p->res.recorded = 0;
            memset(&p->res.counts, 0, sizeof(p->res.counts));
        }
        p->committed = 1;
        if (p->back)
            report(p);
        p = next;
    }
}

static uint64_t now_ms(void)
{
    return uv_hrtime() / 1000000;
}

static void on_commit_timer(uv_timer_t *t)
{
    commit_group(t->data);
}

/* After each loop iteration: commit once nothing is being fetched or read
 * any more, or when the group is COLLECT_GROUP_MS old (a timer makes sure
 * the loop wakes for it). A large collection so commits a few times a
 * second, each time writing the pages it changed once. */
static void on_commit_check(uv_check_t *h)
{
    struct collect *c = h->data;
    int busy = c->parsing > 0 || (c->fetch && fetch_pending(c->fetch) > 0);

    uint64_t age = now_ms() - atomic_load_explicit(&c->group_started_ms, memory_order_relaxed);
    if (busy && age < COLLECT_GROUP_MS) {
        if (!uv_is_active((uv_handle_t *)&c->commit_timer))
            uv_timer_start(&c->commit_timer, on_commit_timer, COLLECT_GROUP_MS - age, 0);
        return;
    }
    commit_group(c);
}

/* Stores pull p in the current group, opening one if needed; any thread,
 * with the store lock held. */
static void store_locked(struct pull *p)
{
    struct collect *c = p->c;

    memset(&p->res, 0, sizeof(p->res));
    p->res.source = source_config(c->sources[p->index])->id;
    memcpy(p->res.period, p->period_text, sizeof(p->res.period));
    if (!c->group_open && !c->closing && store_group_begin(c->st) == 0) {
        c->group_open = 1;
        atomic_store_explicit(&c->group_started_ms, now_ms(), memory_order_relaxed);
    }
    collect_ingest(p, &p->res, p->res_err, sizeof(p->res_err));
    p->stored = 1;
    if (!c->group_open)
        return; /* committed (or not) on its own: reported at once */
    p->in_group = 1;
    p->next_done = NULL;
    if (c->group_tail)
        c->group_tail->next_done = p;
    else
        c->group_head = p;
    c->group_tail = p;
}

/* On the loop, once p is stored and no reader holds it: reports it when its
 * group is committed (or it had none), else waits for the commit. */
static void hand_back(struct pull *p)
{
    p->back = 1;
    if (!p->in_group || p->committed)
        report(p);
    else
        uv_check_start(&p->c->commit_check, on_commit_check);
}

/* Stores a pull on the loop (nothing to read, or its reader did not store it). */
static void pull_report(struct pull *p)
{
    store_lock(p->c->st);
    store_locked(p);
    store_unlock(p->c->st);
    hand_back(p);
}

/* A reader on the thread pool: parse, then store under the store lock, so the
 * loop goes on fetching meanwhile (it takes the lock only briefly). */
static void parse_work(uv_work_t *w)
{
    struct pull *p = w->data;
    collect_parse(p);
    store_lock(p->c->st);
    if (!p->c->closing)
        store_locked(p);
    store_unlock(p->c->st);
}

static void after_parse(uv_work_t *w, int status)
{
    struct pull *p = w->data;
    struct collect *c = p->c;
    (void)status; /* cancelled work left p->batch NULL: pull_report reads it then */
    c->parsing--;
    if (c->fetch && c->parsing == COLLECT_MAX_READING / 2)
        fetch_hold(c->fetch, 0);
    if (p->stored)
        hand_back(p);
    else
        pull_report(p); /* not stored: cancelled, or closing (reported cancelled) */
    if (c->closing && c->parsing == 0 && c->handles_closed == COLLECT_HANDLES)
        collect_free(c);
}

/* Every part has answered: read and store the payloads on the thread pool
 * (parse_work), so the loop goes on fetching meanwhile. */
static void pull_finish(struct pull *p)
{
    if (!p->c->closing && collect_needs_parse(p)) {
        p->work.data = p;
        if (uv_queue_work(p->c->loop, &p->work, parse_work, after_parse) == 0) {
            if (++p->c->parsing == COLLECT_MAX_READING && p->c->fetch)
                fetch_hold(p->c->fetch, 1);
            return;
        }
    }
    pull_report(p);
}

/* The next loop iteration: finishes the pulls none of whose requests
 * started (collect_pull() queued them), which reports them. */
static void on_defer_idle(uv_idle_t *h)
{
    struct collect *c = h->data;
    struct pull *p = c->defer_head;

    c->defer_head = NULL;
    uv_idle_stop(h);
    while (p) {
        struct pull *next = p->next_defer;
        pull_finish(p);
        p = next;
    }
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void on_fetched(const struct fetch_result *r, void *ctx)
{
    struct pull_part *part = ctx;
    struct pull *p = part->pull;

    part->outcome = r->outcome;
    part->http_status = r->http_status;
    part->error = dup_or_null(r->error);
    if (r->outcome == FETCH_OK) {
        part->body = malloc(r->len + 1);
        if (part->body) {
            memcpy(part->body, r->body, r->len);
            part->body[r->len] = '\0';
            part->len = r->len;
        }
    }
    part->etag = dup_or_null(r->etag);
    part->last_modified = dup_or_null(r->last_modified);
    part->done = 1;
    if (++p->n_done == p->n_parts)
        pull_finish(p);
}

/*
 * The {updated_after} of a pull of source/period (us): the start of the last
 * pull of the period, when that one was answered (stored, or a 404 "nothing
 * new" after a stored one: by induction nothing since is missing), less
 * margin_s (the other side's commits lag their vintage times, and clocks
 * differ); 0, everything, when the period was never stored or its last
 * attempt failed (what that one missed is unknown). Pulls overlapping in
 * time only find their values unchanged.
 */
static int64_t pull_since(struct collect *c, const char *source, const char *period, long margin_s)
{
    struct store_pull_state *ps = NULL;
    size_t n = 0;
    int64_t since = 0;

    store_lock(c->st);
    int rc = store_pull_states(c->st, source, &ps, &n);
    store_unlock(c->st);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (strcmp(ps[i].period, period) != 0 || ps[i].last_success == 0)
            continue;
        if (ps[i].last_attempt <= ps[i].last_success || ps[i].not_published)
            since = ps[i].last_attempt - (int64_t)margin_s * 1000000;
    }
    free(ps);
    return since > 0 ? since : 0;
}

/* Starts the fetch of one part, with the validators of its last response. */
static int part_start(struct pull *p, struct pull_part *part)
{
    const struct source *src = p->c->sources[p->index];
    const struct config_source *cs = source_config(src);
    struct fetch_request req;
    char url[URL_MAX], *etag = NULL, *lm = NULL;
    int64_t since = 0;
    int rc;

    if (url_has_updated_after(cs->url))
        since = pull_since(p->c, cs->id, p->period_text, cs->updated_after_margin_s);
    if ((rc = source_request(src, p->period, part->unit, since, url, sizeof(url), &req)) < 0)
        return rc;
    store_lock(p->c->st);
    int have = store_validators_get(p->c->st, source_config(src)->id, p->period_text,
                                    part->unit ? part->unit : "", &etag, &lm) == 0;
    store_unlock(p->c->st);
    if (have) {
        req.etag = etag;
        req.last_modified = lm;
    }
    rc = fetch_start(p->c->fetch, &req, on_fetched, part);
    free(etag);
    free(lm);
    return rc;
}

int collect_pull(struct collect *c, size_t index, struct period p, collect_done_cb cb, void *ctx)
{
    const char *const *units;
    size_t n_units;
    struct pull *pl;
    int rc = -ENOMEM;

    if (index >= c->n_sources || !period_valid(p))
        return -EINVAL;
    if (!(pl = calloc(1, sizeof(*pl))))
        return -ENOMEM;
    pl->c = c;
    pl->index = index;
    pl->period = p;
    period_format(p, pl->period_text, sizeof(pl->period_text));
    pl->cb = cb;
    pl->ctx = ctx;
    pl->started_ns = uv_hrtime();
    pl->started_us = time_now_us();
    units = source_request_units(c->sources[index], &n_units);
    pl->n_parts = n_units ? n_units : 1;
    if (!(pl->parts = calloc(pl->n_parts, sizeof(*pl->parts))))
        goto fail;
    for (size_t i = 0; i < pl->n_parts; i++) {
        pl->parts[i].pull = pl;
        if (units && !(pl->parts[i].unit = strdup(units[i])))
            goto fail;
    }
    /* Every part is started before any can finish: fetch callbacks run later,
     * on the loop, never from inside fetch_start(). */
    for (size_t i = 0; i < pl->n_parts; i++) {
        if ((rc = part_start(pl, &pl->parts[i])) < 0) {
            log_err("source %s %s: cannot start request: %s", source_config(c->sources[index])->id,
                    pl->period_text, strerror(-rc));
            pl->parts[i].outcome = FETCH_FAILED;
            pl->parts[i].error = strdup("cannot build or start the request");
            pl->parts[i].done = 1;
            pl->n_done++;
        }
    }
    c->pending++;
    if (pl->n_done == pl->n_parts) { /* nothing started: finished on the next iteration */
        struct pull **pp = &c->defer_head;
        while (*pp)
            pp = &(*pp)->next_defer;
        *pp = pl; /* in the order they were asked for */
        uv_idle_start(&c->defer_idle, on_defer_idle);
    }
    return 0;
fail:
    pull_free(pl);
    return rc;
}
