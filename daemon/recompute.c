/*
 * recompute.c - index recomputation off the loop: pulls that stored new or
 * revised values ask for it, a short debounce gathers a burst of pulls into
 * one run, and the run goes to libuv's thread pool (uv_queue_work) with a
 * store connection of its own, so neither pulls nor queries wait for it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "compute/compute.h"
#include "config/config.h"
#include "daemon/daemon_priv.h"
#include "store/store.h"

#define DEBOUNCE_MS 2000

struct recompute_job {
    uv_work_t work;
    struct daemon *d;
    struct generation *gen; /* holds the config for the job's duration */
    int full;
    int rc;
    char err[256];
    struct compute_summary sum;
};

static void work(uv_work_t *w)
{
    struct recompute_job *job = w->data;
    const struct config *cfg = job->gen->cfg;
    const char *path = job->d->opt->db_path ? job->d->opt->db_path : config_database(cfg);
    struct store *st = NULL;

    if ((job->rc = store_open(&st, path, 0, job->err, sizeof(job->err))) < 0)
        return;
    job->rc = compute_recompute(st, cfg, job->full, &(struct compute_opts){.ex = &job->d->exec},
                                &job->sum);
    if (job->rc < 0)
        snprintf(job->err, sizeof(job->err), "%s", store_errmsg(st));
    store_close(&st);
}

static void start(struct daemon *d);
static void on_debounce(uv_timer_t *h);

static void done(uv_work_t *w, int status)
{
    struct recompute_job *job = w->data;
    struct daemon *d = job->d;
    /* The collectors' group transactions can hold the write lock for longer
     * than the busy timeout during a large collection: try again later. */
    int busy = status == 0 && job->rc == -EBUSY, full = job->full;

    if (busy)
        log_warning("recompute: database busy; again in %d s", DEBOUNCE_MS / 1000);
    else if (status < 0 || job->rc < 0)
        log_err("recompute failed: %s", status < 0 ? "cancelled" : job->err);
    else
        log_info("recompute (%s): %zu indices, %zu periods, %zu results in %.3f s",
                 job->sum.full ? "full" : "incremental", job->sum.indices, job->sum.periods,
                 job->sum.results, job->sum.seconds);
    job->gen->busy--;
    free(job);
    d->recompute_running = 0;
    if (d->recompute_again && !d->stopping) {
        d->recompute_again = 0;
        start(d);
    } else if (busy && !d->stopping) {
        d->recompute_full |= full;
        uv_timer_start(&d->recompute_timer, on_debounce, DEBOUNCE_MS, 0);
    }
    daemon_reap(d);
}

static void start(struct daemon *d)
{
    struct recompute_job *job;

    if (!d->gen || d->stopping || daemon_db_check(d) < 0)
        return; /* never a recompute into a new empty file at the path */
    if (d->recompute_running) {
        d->recompute_again = 1;
        return;
    }
    if (!(job = calloc(1, sizeof(*job))))
        return;
    job->d = d;
    job->gen = d->gen;
    job->full = d->recompute_full;
    job->work.data = job;
    d->recompute_full = 0;
    if (uv_queue_work(&d->loop, &job->work, work, done) < 0) {
        free(job);
        return;
    }
    job->gen->busy++;
    d->recompute_running = 1;
}

static void on_debounce(uv_timer_t *h)
{
    start(h->data);
}

void daemon_recompute(struct daemon *d, int full)
{
    if (d->opt->once || d->stopping)
        return;
    d->recompute_full |= full;
    if (d->recompute_running) {
        d->recompute_again = 1;
        return;
    }
    uv_timer_start(&d->recompute_timer, on_debounce, DEBOUNCE_MS, 0);
}
