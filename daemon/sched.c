/*
 * sched.c - the libuv driver of the collector calendar: one timer per source.
 *
 * A timer fires, the due periods are read from the calendar and the store
 * (collect_due), their pulls start, and when the last one has answered the
 * timer is armed again for collect_next_wakeup() seconds. Intervals run on
 * libuv's monotonic clock; every wake-up reads the wall clock afresh, so a
 * wall-clock jump is corrected at the next wake-up (at most a day later).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collectors/schedule.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/timefmt.h"
#include "daemon/daemon_priv.h"
#include "daemon/notify.h"
#include "store/bookkeeping.h"
#include "store/store.h"

/* Pulls started per source and wake-up: catch-up proceeds in rounds. */
#define ROUND_MAX 64

long daemon_utc_offset(void)
{
    time_t now = time(NULL);
    struct tm tm;
    return localtime_r(&now, &tm) ? tm.tm_gmtoff : 0;
}

static void on_timer(uv_timer_t *h);

static void arm(struct source_timer *t)
{
    struct daemon *d = t->gen->d;
    int64_t now = (int64_t)time(NULL);
    int64_t secs = t->wants_more ? 0
                                 : collect_next_wakeup(t->gen->collect, t->index, now,
                                                       daemon_utc_offset(), SCHEDULE_MAX_SLEEP_S);
    if (secs < 0) {
        log_err("source %zu: cannot compute the next wake-up: %s", t->index, strerror((int)-secs));
        secs = 3600;
    }
    /* --once runs one pass: only a catch-up round that did not finish goes on. */
    if (!d->opt->once || t->wants_more)
        uv_timer_start(&t->timer, on_timer, (uint64_t)secs * 1000, 0);
}

static void log_result(const struct collect_result *r)
{
    if (collect_outcome_failed(r->outcome))
        log_warning("source %s %s: %s after %.2f s: %s", r->source, r->period, r->outcome,
                    r->duration_s, r->error ? r->error : "");
    else if (!strcmp(r->outcome, "ok") || !strcmp(r->outcome, "partial"))
        log_info("source %s %s: %s, %zu bytes in %.2f s: %ld new, %ld revised, %ld unchanged, "
                 "%ld rejected, %ld missing, %ld absent, %ld withdrawn",
                 r->source, r->period, r->outcome, r->bytes, r->duration_s, r->counts.n_new,
                 r->counts.n_revised, r->counts.n_unchanged, r->counts.n_rejected, r->n_missing,
                 r->n_absent, r->n_deleted);
    else
        log_info("source %s %s: %s", r->source, r->period, r->outcome);
}

static void count_result(struct daemon *d, const struct collect_result *r)
{
    const char *labels[] = {r->source, r->outcome};
    if (!d->metrics)
        return;
    metrics_counter_add(d->metrics, "parkstat_pulls_total", labels, 1);
    metrics_histogram_observe(d->metrics, "parkstat_pull_duration_seconds", &r->source,
                              r->duration_s);
    metrics_counter_add(d->metrics, "parkstat_records_new_total", &r->source,
                        (double)r->counts.n_new);
    metrics_counter_add(d->metrics, "parkstat_records_revised_total", &r->source,
                        (double)r->counts.n_revised);
    metrics_counter_add(d->metrics, "parkstat_records_rejected_total", &r->source,
                        (double)r->counts.n_rejected);
    if (collect_outcome_failed(r->outcome))
        metrics_counter_add(d->metrics, "parkstat_pull_failures_total", &r->source, 1);
    if (collect_outcome_success(r->outcome))
        metrics_gauge_set(d->metrics, "parkstat_last_success_timestamp_seconds", &r->source,
                          (double)time(NULL));
}

/* A failed pull whose run and health the store could not write. */
struct unrecorded {
    char *source, *period, *error;
    int64_t started, ended; /* us */
    double duration_s;
    long http_status, bytes;
};

/* At most this many wait (the oldest go first): a database locked for hours
 * must not grow memory without bound. */
#define UNRECORDED_MAX 256

static void unrecorded_free(struct unrecorded *u)
{
    free(u->source);
    free(u->period);
    free(u->error);
}

static void remember_failure(struct daemon *d, const struct collect_result *r)
{
    struct unrecorded u = {0};
    int64_t now = time_now_us();

    if (!d->unrecorded && !(d->unrecorded = calloc(UNRECORDED_MAX, sizeof(*d->unrecorded))))
        return;
    if (d->n_unrecorded == UNRECORDED_MAX) {
        log_warning("source %s: %d failed pulls wait to be recorded: the oldest is dropped",
                    d->unrecorded[0].source, UNRECORDED_MAX);
        unrecorded_free(&d->unrecorded[0]);
        memmove(d->unrecorded, d->unrecorded + 1, (UNRECORDED_MAX - 1) * sizeof(*d->unrecorded));
        d->n_unrecorded--;
    }
    u.source = strdup(r->source);
    u.period = strdup(r->period);
    u.error = strdup(r->error ? r->error : "failed");
    u.ended = now;
    u.started = now - (int64_t)(r->duration_s * 1e6);
    u.duration_s = r->duration_s;
    u.http_status = r->http_status;
    u.bytes = (long)r->bytes;
    if (!u.source || !u.period || !u.error) {
        unrecorded_free(&u);
        return;
    }
    d->unrecorded[d->n_unrecorded++] = u;
}

/* Writes one failed pull: its run and its source health, all or nothing. */
static int record_failure(struct store *st, const struct unrecorded *u)
{
    struct store_counts none = {0};
    struct store_health h = {.source = u->source,
                             .last_attempt = u->started,
                             .failed = 1,
                             .last_outcome = "failed",
                             .last_status = u->http_status,
                             .last_error = u->error,
                             .last_duration_s = u->duration_s,
                             .last_bytes = u->bytes};
    int64_t run;

    if (store_begin(st) < 0)
        return -EIO;
    if (store_run_begin(st, u->source, u->period, u->started, &run) < 0 ||
        store_run_end(st, run, u->ended, "failed", &none, u->error) < 0 ||
        store_run_transfer(st, run, u->http_status, u->bytes) < 0 ||
        store_health_record(st, &h) < 0) {
        store_rollback(st);
        return -EIO;
    }
    return store_commit(st);
}

void daemon_record_failures(struct daemon *d)
{
    size_t done = 0;

    if (d->n_unrecorded == 0 || d->db_lost || !d->st)
        return;
    store_lock(d->st);
    store_nowait(d->st, 1);
    while (done < d->n_unrecorded && record_failure(d->st, &d->unrecorded[done]) == 0)
        done++;
    store_nowait(d->st, 0);
    store_unlock(d->st);
    if (done == 0)
        return;
    for (size_t i = 0; i < done; i++) {
        log_info("source %s %s: failure recorded in its runs and health", d->unrecorded[i].source,
                 d->unrecorded[i].period);
        unrecorded_free(&d->unrecorded[i]);
    }
    d->n_unrecorded -= done;
    memmove(d->unrecorded, d->unrecorded + done, d->n_unrecorded * sizeof(*d->unrecorded));
}

void daemon_record_failures_free(struct daemon *d)
{
    daemon_record_failures(d);
    if (d->n_unrecorded)
        log_warning("%zu failed pull(s) could not be recorded in runs and source health: %s",
                    d->n_unrecorded, d->unrecorded[0].error);
    for (size_t i = 0; i < d->n_unrecorded; i++)
        unrecorded_free(&d->unrecorded[i]);
    free(d->unrecorded);
    d->unrecorded = NULL;
    d->n_unrecorded = 0;
}

static void on_pulled(const struct collect_result *r, void *ctx)
{
    struct source_timer *t = ctx;
    struct daemon *d = t->gen->d;

    log_result(r);
    count_result(d, r);
    if (!strcmp(r->outcome, "failed") && !r->recorded) {
        /* The store refused the pull's own record (a locked database): the
         * failure still goes into its runs and source health, later. */
        remember_failure(d, r);
        daemon_record_failures(d);
    }
    if (collect_outcome_failed(r->outcome))
        notify_status("source %s %s %s: %.200s", r->source, r->period, r->outcome,
                      r->error ? r->error : "");
    if (r->counts.n_new + r->counts.n_revised > 0)
        daemon_recompute(d, 0);
    if (d->opt->once) {
        printf("%-16s %-8s %-13s new %ld, revised %ld, unchanged %ld, rejected %ld%s%s\n",
               r->source, r->period, r->outcome, r->counts.n_new, r->counts.n_revised,
               r->counts.n_unchanged, r->counts.n_rejected, r->error ? ": " : "",
               r->error ? r->error : "");
        d->once_pulls++;
        d->once_failed += collect_outcome_failed(r->outcome) || !strcmp(r->outcome, "cancelled");
    }
    if (--t->in_flight > 0)
        return;
    if (t->gen->draining || d->stopping || (d->opt->once && !t->wants_more)) {
        daemon_reap(d);
        return;
    }
    arm(t);
}

size_t sched_pull_due(struct source_timer *t, int64_t now)
{
    struct period due[ROUND_MAX];
    int n = collect_due(t->gen->collect, t->index, now, daemon_utc_offset(), due, ROUND_MAX);
    size_t started = 0;

    if (daemon_db_check(t->gen->d) < 0)
        return 0; /* the database is gone: no pull writes anywhere */
    if (n < 0) {
        log_err("source %zu: cannot read its schedule: %s", t->index, strerror(-n));
        return 0;
    }
    t->wants_more = n == ROUND_MAX;
    /* No pull reports before collect_pull() has returned: counting each one
     * started is enough. */
    for (int i = 0; i < n; i++)
        if (collect_pull(t->gen->collect, t->index, due[i], on_pulled, t) == 0)
            started++;
    t->in_flight += started;
    return started;
}

void sched_pull_one(struct source_timer *t, struct period p)
{
    if (daemon_db_check(t->gen->d) == 0 &&
        collect_pull(t->gen->collect, t->index, p, on_pulled, t) == 0)
        t->in_flight++;
}

static void on_timer(uv_timer_t *h)
{
    struct source_timer *t = h->data;
    struct daemon *d = t->gen->d;

    t->fired = 1;
    if (t->gen->draining || d->stopping)
        return;
    if (sched_pull_due(t, (int64_t)time(NULL)) == 0 && t->in_flight == 0) {
        t->wants_more = 0;
        if (d->opt->once)
            daemon_reap(d); /* nothing due: this source is done */
        else
            arm(t);
    }
}

static void on_timer_closed(uv_handle_t *h)
{
    struct source_timer *t = h->data;
    struct generation *g = t->gen;
    g->open_handles--;
    daemon_reap(g->d);
}

void sched_start(struct generation *g)
{
    for (size_t i = 0; i < g->n_timers; i++) {
        struct source_timer *t = &g->timers[i];
        t->gen = g;
        t->index = i;
        uv_timer_init(&g->d->loop, &t->timer);
        t->timer.data = t;
        g->open_handles++;
        uv_timer_start(&t->timer, on_timer, 0, 0);
    }
}

void sched_stop(struct generation *g)
{
    for (size_t i = 0; i < g->n_timers; i++) {
        if (!g->timers[i].gen)
            continue; /* never started (the start failed before sched_start) */
        uv_timer_stop(&g->timers[i].timer);
        if (!uv_is_closing((uv_handle_t *)&g->timers[i].timer))
            uv_close((uv_handle_t *)&g->timers[i].timer, on_timer_closed);
    }
}
