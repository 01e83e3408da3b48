/*
 * daemon_priv.h - internals shared by daemon.c (lifecycle, signals, reload,
 * --once), sched.c (per-source timers and pulls), admin.c (the API and its
 * admin requests) and recompute.c (index recomputation). Not for use outside
 * daemon/.
 */
#ifndef PARKSTAT_DAEMON_PRIV_H
#define PARKSTAT_DAEMON_PRIV_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "collectors/collect.h"
#include "common/exec.h"
#include "daemon/daemon.h"

struct config;
struct store;
struct api;
struct metrics;

/* A source's timer: wakes when the calendar says a period may be due. */
struct source_timer {
    uv_timer_t timer; /* freed with the generation once closed */
    struct generation *gen;
    size_t index;     /* source index in gen->collect */
    size_t in_flight; /* pulls of this source not yet finished */
    int wants_more;   /* more periods were due than one round takes */
    int fired;        /* the timer fired at least once (for --once) */
};

/*
 * What one configuration brought up: its config, collector and source timers.
 * A reload starts a new generation; the old one drains (its pulls in flight
 * finish under the config they started with) and is freed when idle.
 */
struct generation {
    struct daemon *d;
    struct config *cfg;
    struct collect *collect;
    struct source_timer *timers;
    size_t n_timers;
    size_t open_handles; /* timers not yet closed */
    size_t busy;         /* recompute jobs using cfg */
    char stamp[128];     /* the config file as loaded (daemon_config_stamp); "" unknown */
    int draining;
    struct generation *next; /* older generations still draining */
};

struct daemon {
    const struct daemon_options *opt;
    uv_loop_t loop;
    struct store *st;
    struct api *api;
    struct metrics *metrics;
    struct exec exec;       /* the helper threads of recompute and /series (exec_threads_init) */
    struct generation *gen; /* the current configuration */
    struct generation *draining; /* older ones, until their pulls are done */
    uv_signal_t sighup, sigterm, sigint;
    uv_timer_t watchdog;
    uv_timer_t grace; /* shutdown deadline for pulls in flight */
    uv_async_t wake;  /* admin requests from the API threads */
    int stopping;
    int closing; /* shutdown_all() runs: nothing is freed by reaping */
    int exit_status;
    int lock_fd; /* PATH.lock, flock()ed while we run; -1 before */
    /* the database's identity, taken at open and checked every second and
     * before every pull and recompute */
    char *db_path;
    unsigned long long db_dev, db_ino;
    int db_lost; /* deleted or replaced: no more writes, /healthz 503 */
    uv_timer_t identity;
    long utc_offset_s; /* of the configured time zone, refreshed per wake-up */
    char *zone;        /* TZ, set once at start; a reload that changes it fails */
    /* admin requests from the API threads, under admin_lock */
    pthread_mutex_t admin_lock;
    struct admin_req *admin_queue;
    char **source_ids; /* ids of the running config's sources */
    size_t n_source_ids;
    /* recompute */
    uv_timer_t recompute_timer; /* debounce: one recompute after a burst of pulls */
    uv_work_t recompute_work;
    int recompute_running, recompute_again, recompute_full;
    /* failed pulls the store could not record (a locked or full database):
     * their run and source health are written once it can (sched.c) */
    struct unrecorded *unrecorded;
    size_t n_unrecorded;
    /* --once bookkeeping */
    size_t once_pulls, once_failed;
};

/* Current UTC offset of the configured zone (TZ is set once, at start). */
long daemon_utc_offset(void);

/* Starts every source's timer of g (due now: fires at once). */
void sched_start(struct generation *g);

/* Stops and closes g's timers; pulls in flight go on. */
void sched_stop(struct generation *g);

/* Starts the pulls of source index due now; returns how many started. */
size_t sched_pull_due(struct source_timer *t, int64_t now);

/* Starts the HTTP API on its own threads with the admin token (copied; NULL:
 * admin answers 401) (admin.c). Returns 0 or -errno. */
int daemon_api_start(struct daemon *d, const struct config *cfg, const char *token);

/* Checks the dashboard's web root (PARKSTAT_WEB_ROOT or the installed
 * one): a directory with a readable index.html. A missing default is no
 * dashboard (logged); anything else wrong is logged, naming the path, and
 * returns -errno (the start fails with EX_NOINPUT). */
int daemon_check_web_root(void);

/* Reads cfg's admin token file's first line into *out (NULL: no token file
 * or empty). Returns 0 or -errno (logged, naming the file). */
int daemon_read_token(const struct config *cfg, char **out);

/* Wipes and frees a token read by daemon_read_token(). NULL is a no-op. */
void daemon_free_token(char *token);

/* Gives the API a fresh copy of the running configuration (start, reload). */
void daemon_api_config(struct daemon *d);

/* Stops the API (no more queries accepted). Safe to call twice. */
void daemon_api_stop(struct daemon *d);

/* uv_async callback: runs admin requests queued by the API threads. */
void daemon_admin_wake(uv_async_t *h);

/* Copies the running config's source ids for the API threads (admin.c). */
void daemon_admin_sources(struct daemon *d);

/* Frees queued admin requests and the copied ids. */
void daemon_admin_free(struct daemon *d);

/* Writes the runs and source health of failed pulls the store could not
 * record when they ended, without waiting for another connection's write
 * lock (the loop must not block); what is still refused stays for the next
 * call (every second, and after each pull) (sched.c). */
void daemon_record_failures(struct daemon *d);

/* At shutdown: a last try, then the rest is logged and dropped. */
void daemon_record_failures_free(struct daemon *d);

/* Starts a pull of one period of t's source now (admin request). */
void sched_pull_one(struct source_timer *t, struct period p);

/* Asks for a recompute of indices: incremental, or full (after a config
 * change or on request); debounced, run off the loop (recompute.c). */
void daemon_recompute(struct daemon *d, int full);

/* Checks that the database file is still the one opened (device and inode).
 * The first time it is not, logs it, tells systemd (STATUS) and turns
 * /healthz to 503. Returns 0, or -ESTALE once the database is lost. */
int daemon_db_check(struct daemon *d);

/* The stamp of the file at path: device, inode, size, modification and
 * change times as text, into out. Returns 0 or -errno. */
int daemon_config_stamp(const char *path, char *out, size_t size);

/* Stops a recompute's child process, if one runs (SIGTERM: its transaction
 * is rolled back). Any thread. */
void daemon_recompute_kill(void);

/* Called when a generation may have become idle: frees drained ones. */
void daemon_reap(struct daemon *d);

#endif
