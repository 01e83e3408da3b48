/*
 * daemon.c - parkstatd's lifecycle (see daemon.h): open the store, bring up a
 * generation (config + collector + source timers), start the API, tell
 * systemd; SIGHUP reloads, SIGTERM/SIGINT stop with a grace period for pulls
 * in flight; the loop closes every handle and uv_loop_close() must succeed.
 */
#include "daemon/daemon_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "api/api.h"
#include "common/metrics.h"
#include "common/timefmt.h"
#include "compute/compute.h"
#include "config/config.h"
#include "daemon/notify.h"
#include "store/bookkeeping.h"
#include "store/observations.h"
#include "store/store.h"

#define DEFAULT_GRACE_S 10.0

static void apply_log_level(const struct config *cfg)
{
    enum log_level level;
    if (log_level_parse(config_log_level(cfg), &level) == 0)
        log_set_level(level);
}

/* Sets the process's time zone once, before any other thread exists: the
 * calendar of every source is in the configured zone, and localtime_r()
 * answers in TZ (the only TZ user here). The environment is read-only from
 * then on (setenv is not thread-safe), so a reload cannot change the zone.
 * Returns 0 or -ENOMEM. */
static int set_zone(struct daemon *d, const struct config *cfg)
{
    if (!(d->zone = strdup(config_timezone(cfg))))
        return -ENOMEM;
    setenv("TZ", d->zone, 1);
    tzset();
    return 0;
}

/* Loads the config at path, and its file's stamp taken before (so a file
 * changed during the load never carries the stamp of what was loaded) into
 * stamp ("" when it cannot be taken). */
static struct config *load_config(const char *path, char *stamp, size_t size)
{
    struct config *cfg = NULL;
    char *errors = NULL;

    if (daemon_config_stamp(path, stamp, size) < 0)
        stamp[0] = '\0';
    if (config_load(path, &cfg, &errors) < 0) {
        /* One line per problem, each naming its place (FILE: path: message). */
        for (char *line = strtok(errors ? errors : "", "\n"); line; line = strtok(NULL, "\n"))
            log_err("%s", line);
        free(errors);
        return NULL;
    }
    return cfg;
}

static void generation_free(struct generation *g)
{
    collect_close(&g->collect);
    config_free(&g->cfg);
    free(g->timers);
    free(g);
}

/* Builds a generation from cfg (stolen on success), loaded from a file of
 * that stamp. */
static struct generation *generation_new(struct daemon *d, struct config *cfg, const char *stamp)
{
    struct generation *g = calloc(1, sizeof(*g));
    char err[512];
    int rc;

    if (!g)
        return NULL;
    g->d = d;
    g->cfg = cfg;
    snprintf(g->stamp, sizeof(g->stamp), "%s", stamp);
    /* The readers of an older generation may be storing pulls meanwhile. */
    store_lock(d->st);
    rc = compute_sync_config(d->st, cfg);
    if (rc < 0)
        log_err("%s: cannot store units and indicators: %s", config_path(cfg), store_errmsg(d->st));
    store_unlock(d->st);
    if (rc < 0)
        goto fail;
    if (collect_new(&g->collect, &d->loop, cfg, d->st, NULL, err, sizeof(err)) < 0) {
        log_err("%s: %s", config_path(cfg), err);
        goto fail;
    }
    g->n_timers = collect_source_count(g->collect);
    if (g->n_timers && !(g->timers = calloc(g->n_timers, sizeof(*g->timers))))
        goto fail;
    return g;
fail:
    g->cfg = NULL; /* not stolen on failure */
    generation_free(g);
    return NULL;
}

static size_t in_flight(const struct generation *g)
{
    return g->collect ? collect_pending(g->collect) : 0;
}

void daemon_reap(struct daemon *d)
{
    struct generation **pp = &d->draining;
    /* During the final shutdown, shutdown_all() frees every generation itself:
     * the pulls it cancels report here from inside collect_close(). */
    while (*pp && !d->closing) {
        struct generation *g = *pp;
        if (g->open_handles == 0 && in_flight(g) == 0 && g->busy == 0) {
            *pp = g->next;
            log_debug("an old configuration retired: its last pull finished");
            generation_free(g);
        } else {
            pp = &g->next;
        }
    }
    if (d->opt->once && d->gen && in_flight(d->gen) == 0) {
        int busy = 0;
        for (size_t i = 0; i < d->gen->n_timers; i++)
            busy |= !d->gen->timers[i].fired || d->gen->timers[i].wants_more ||
                    d->gen->timers[i].in_flight > 0;
        if (!busy)
            uv_stop(&d->loop);
    }
    if (d->stopping && (!d->gen || (in_flight(d->gen) == 0 && d->gen->busy == 0)) && !d->draining)
        uv_stop(&d->loop);
}

/* Moves the current generation to the draining list. */
static void retire(struct daemon *d)
{
    struct generation *g = d->gen;
    if (!g)
        return;
    d->gen = NULL;
    g->draining = 1;
    sched_stop(g);
    g->next = d->draining;
    d->draining = g;
}

static void on_sighup(uv_signal_t *h, int signum)
{
    struct daemon *d = h->data;
    struct config *cfg;
    struct generation *g;
    char stamp[128];
    (void)signum;

    notify_reloading();
    log_notice("SIGHUP: reloading %s", d->opt->config_path);
    if ((cfg = load_config(d->opt->config_path, stamp, sizeof(stamp))) &&
        strcmp(config_timezone(cfg), d->zone) != 0) {
        log_err("%s: timezone %s differs from the running %s: a new time zone takes a restart",
                d->opt->config_path, config_timezone(cfg), d->zone);
        config_free(&cfg);
    }
    if (!cfg || !(g = generation_new(d, cfg, stamp))) {
        if (cfg)
            config_free(&cfg);
        log_err("reload failed: the running configuration stays in force");
        notify_ready("reload failed; running the previous configuration");
        return;
    }
    if (d->api) {
        /* Secrets are re-read at every reload: a leaked token is rotated by
         * writing the file anew and reloading; the old one stops here. */
        char *token = NULL;
        if (daemon_read_token(cfg, &token) < 0) {
            generation_free(g); /* and cfg, which it holds */
            log_err("reload failed: the running configuration and token stay in force");
            notify_ready("reload failed; running the previous configuration");
            return;
        }
        int rc = api_set_token(d->api, token);
        daemon_free_token(token);
        if (rc < 0)
            log_err("reload: cannot store the new admin token: admin answers 401");
    }
    apply_log_level(cfg);
    retire(d);
    d->gen = g;
    daemon_admin_sources(d);
    daemon_api_config(d);
    sched_start(g);
    daemon_recompute(d, 1); /* index definitions may have changed */
    daemon_reap(d);
    notify_ready("configuration reloaded");
    log_notice("configuration reloaded: %zu sources", g->n_timers);
}

static void on_handle_closed(uv_handle_t *h)
{
    (void)h;
}

/* Closes the loop's own handles (timers of generations close in sched_stop). */
static void close_handles(struct daemon *d)
{
    uv_close((uv_handle_t *)&d->sighup, on_handle_closed);
    uv_close((uv_handle_t *)&d->sigterm, on_handle_closed);
    uv_close((uv_handle_t *)&d->sigint, on_handle_closed);
    uv_close((uv_handle_t *)&d->watchdog, on_handle_closed);
    uv_close((uv_handle_t *)&d->grace, on_handle_closed);
    uv_close((uv_handle_t *)&d->wake, on_handle_closed);
    uv_close((uv_handle_t *)&d->recompute_timer, on_handle_closed);
    uv_close((uv_handle_t *)&d->identity, on_handle_closed);
}

static void on_grace_over(uv_timer_t *h)
{
    struct daemon *d = h->data;
    log_warning("shutdown: grace period over, cancelling pulls in flight");
    /* a recompute's child: its transaction is rolled back, its marks stay */
    daemon_recompute_kill();
    uv_stop(&d->loop);
}

static void begin_stop(struct daemon *d, const char *why)
{
    if (d->stopping)
        return;
    d->stopping = 1;
    notify_stopping();
    log_notice("%s: stopping", why);
    daemon_api_stop(d); /* stop accepting queries first */
    if (d->gen)
        sched_stop(d->gen);
    uv_timer_start(&d->grace, on_grace_over,
                   (uint64_t)((d->opt->grace_s > 0 ? d->opt->grace_s : DEFAULT_GRACE_S) * 1000), 0);
    daemon_reap(d);
}

static void on_sigterm(uv_signal_t *h, int signum)
{
    begin_stop(h->data, signum == SIGINT ? "SIGINT" : "SIGTERM");
}

static void on_watchdog(uv_timer_t *h)
{
    (void)h;
    /* Sent from the loop itself: a wedged loop stops these and systemd kills us. */
    notify_watchdog();
}

static void start_watchdog(struct daemon *d)
{
    uint64_t usec = notify_watchdog_usec();
    if (usec == 0)
        return;
    uv_timer_start(&d->watchdog, on_watchdog, 0, usec / 2000 ? usec / 2000 : 1);
    log_info("watchdog: every %.3f s", (double)usec / 2e6);
}

static int init_loop(struct daemon *d)
{
    int rc = uv_loop_init(&d->loop);
    if (rc < 0)
        return rc;
    uv_signal_init(&d->loop, &d->sighup);
    uv_signal_init(&d->loop, &d->sigterm);
    uv_signal_init(&d->loop, &d->sigint);
    uv_timer_init(&d->loop, &d->watchdog);
    uv_timer_init(&d->loop, &d->grace);
    uv_async_init(&d->loop, &d->wake, daemon_admin_wake);
    uv_timer_init(&d->loop, &d->recompute_timer);
    d->recompute_timer.data = d;
    uv_timer_init(&d->loop, &d->identity);
    d->identity.data = d;
    pthread_mutex_init(&d->admin_lock, NULL);
    d->sighup.data = d->sigterm.data = d->sigint.data = d;
    d->watchdog.data = d->grace.data = d->wake.data = d;
    if (!d->opt->once)
        uv_signal_start(&d->sighup, on_sighup, SIGHUP);
    uv_signal_start(&d->sigterm, on_sigterm, SIGTERM);
    uv_signal_start(&d->sigint, on_sigterm, SIGINT);
    return 0;
}

/* Takes the exclusive lock file next to the database (PATH.lock) and writes
 * our PID into it; the descriptor stays open (and locked) until exit. A
 * second parkstatd on the same database is refused, naming the first.
 * Returns 0 or a sysexits code. */
static int take_lock(struct daemon *d, const char *db)
{
    char path[4096], pid[32] = "";
    ssize_t n;
    int fd;

    if (snprintf(path, sizeof(path), "%s.lock", db) >= (int)sizeof(path)) {
        log_err("%s: database path too long", db);
        return EX_CONFIG;
    }
    if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
        log_err("%s: cannot create the lock file: %s", path, strerror(errno));
        return errno == EACCES || errno == EPERM ? EX_NOPERM : EX_CANTCREAT;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        n = pread(fd, pid, sizeof(pid) - 1, 0);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        log_err("%s: in use by another parkstatd (PID %s, lock file %s)", db,
                pid[0] ? pid : "unknown", path);
        close(fd);
        return EX_TEMPFAIL;
    }
    n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
        log_err("%s: cannot write the lock file: %s", path, strerror(errno));
        close(fd);
        return EX_IOERR;
    }
    d->lock_fd = fd;
    return 0;
}

int daemon_db_check(struct daemon *d)
{
    struct stat sb;
    char why[512];

    if (d->db_lost)
        return -ESTALE;
    if (!d->db_path || (stat(d->db_path, &sb) == 0 && (unsigned long long)sb.st_dev == d->db_dev &&
                        (unsigned long long)sb.st_ino == d->db_ino))
        return 0;
    d->db_lost = 1;
    snprintf(why, sizeof(why), "database %.400s was %s under the daemon: writes stopped, restart",
             d->db_path, errno == ENOENT ? "deleted" : "replaced");
    log_err("%s", why);
    notify_status("%s", why);
    if (d->api)
        api_set_unhealthy(d->api, why);
    return -ESTALE;
}

static void on_identity(uv_timer_t *h)
{
    if (daemon_db_check(h->data) == 0)
        daemon_record_failures(h->data);
}

/* Opens the database for writing. Returns 0 or a sysexits code. */
static int open_store(struct daemon *d, const struct config *cfg)
{
    const char *path = d->opt->db_path ? d->opt->db_path : config_database(cfg);
    char err[512];
    int rc = take_lock(d, path);

    if (rc)
        return rc;
    if ((rc = store_open(&d->st, path, 0, err, sizeof(err))) < 0) {
        log_err("%s: %s", path, err);
        return rc == -EACCES || rc == -EPERM ? EX_NOPERM : rc == -ENOSPC ? EX_IOERR : EX_CANTCREAT;
    }
    struct stat sb;
    if (stat(path, &sb) == 0 && strcmp(path, ":memory:") != 0 && (d->db_path = strdup(path))) {
        d->db_dev = (unsigned long long)sb.st_dev;
        d->db_ino = (unsigned long long)sb.st_ino;
        uv_timer_start(&d->identity, on_identity, 1000, 1000);
    }
    return 0;
}

static void register_metrics(struct daemon *d)
{
    static const char *const source[] = {"source"};
    static const char *const source_outcome[] = {"source", "outcome"};
    static const double buckets[] = {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
    struct metrics *m = d->metrics;

    metrics_register(m, "parkstat_pulls_total", METRICS_COUNTER,
                     "Pulls of a source-period by outcome.", source_outcome, 2, NULL, 0);
    metrics_register(m, "parkstat_pull_failures_total", METRICS_COUNTER,
                     "Pulls that failed or had every record rejected.", source, 1, NULL, 0);
    metrics_register(m, "parkstat_pull_duration_seconds", METRICS_HISTOGRAM,
                     "Duration of pulls, retries included.", source, 1, buckets,
                     sizeof(buckets) / sizeof(buckets[0]));
    metrics_register(m, "parkstat_records_new_total", METRICS_COUNTER,
                     "Observations stored for the first time.", source, 1, NULL, 0);
    metrics_register(m, "parkstat_records_revised_total", METRICS_COUNTER,
                     "Observations stored as a new vintage.", source, 1, NULL, 0);
    metrics_register(m, "parkstat_records_rejected_total", METRICS_COUNTER,
                     "Records rejected by validation.", source, 1, NULL, 0);
    metrics_register(m, "parkstat_last_success_timestamp_seconds", METRICS_GAUGE,
                     "Unix time of the last successful pull.", source, 1, NULL, 0);
}

/* --once: one line per source, then the exit status. */
static int once_summary(struct daemon *d)
{
    printf("parkstatd --once: %zu pulls, %zu failed\n", d->once_pulls, d->once_failed);
    return d->once_failed ? 1 : 0;
}

/* Closes the runs a crashed parkstatd or import left open (as "interrupted"). */
static void close_interrupted(struct daemon *d)
{
    long n = 0;
    if (store_runs_interrupt(d->st, time_now_us(), &n) < 0)
        log_warning("cannot close runs left open by a crash: %s", store_errmsg(d->st));
    else if (n > 0)
        log_notice("%ld run(s) left open by a crash closed as interrupted", n);
}

static int run(struct daemon *d, struct config *cfg, const char *stamp)
{
    int rc = open_store(d, cfg);
    if (rc) {
        config_free(&cfg);
        return rc;
    }
    close_interrupted(d);
    if (!(d->gen = generation_new(d, cfg, stamp))) {
        config_free(&cfg);
        return EX_CONFIG;
    }
    if (!d->opt->once) {
        char *token = NULL;
        if (daemon_check_web_root() < 0)
            return EX_NOINPUT;
        if ((rc = daemon_read_token(cfg, &token)) < 0)
            return rc == -ENOENT ? EX_OSFILE : EX_NOPERM;
        rc = daemon_api_start(d, cfg, token);
        daemon_free_token(token);
        if (rc < 0)
            return rc == -EINVAL ? EX_CONFIG : EX_UNAVAILABLE;
    }
    sched_start(d->gen);
    if (d->opt->once && d->gen->n_timers == 0)
        return once_summary(d);
    if (d->opt->once) {
        uv_run(&d->loop, UV_RUN_DEFAULT);
        return once_summary(d);
    }
    start_watchdog(d);
    notify_ready("running");
    log_notice("parkstatd %s running: %zu sources", PARKSTAT_VERSION, d->gen->n_timers);
    uv_run(&d->loop, UV_RUN_DEFAULT);
    return 0;
}

/* Stops everything still running and drains the loop until it closes. */
static void shutdown_all(struct daemon *d)
{
    daemon_api_stop(d);
    retire(d);
    d->closing = 1;
    for (struct generation *g = d->draining; g; g = g->next) {
        sched_stop(g);
        collect_close(&g->collect); /* cancels pulls in flight */
    }
    close_handles(d);
    uv_run(&d->loop, UV_RUN_DEFAULT);
    while (d->draining) {
        struct generation *g = d->draining;
        d->draining = g->next;
        generation_free(g);
    }
    if (uv_loop_close(&d->loop) != 0)
        log_err("shutdown: libuv handles left open");
    daemon_record_failures_free(d);
    store_close(&d->st);
    metrics_free(&d->metrics);
    daemon_admin_free(d);
    pthread_mutex_destroy(&d->admin_lock);
    free(d->zone);
    free(d->db_path);
    if (d->lock_fd >= 0)
        close(d->lock_fd); /* releases the lock; the file stays (unlinking races) */
}

int daemon_run(const struct daemon_options *opt)
{
    struct daemon d;
    struct config *cfg;
    char stamp[128];
    int status;

    memset(&d, 0, sizeof(d));
    d.opt = opt;
    d.lock_fd = -1;
    exec_threads_init(&d.exec);
    if (!(cfg = load_config(opt->config_path, stamp, sizeof(stamp))))
        return EX_CONFIG;
    apply_log_level(cfg);
    /* --once serves no /metrics: its pulls skip the registry. */
    if (set_zone(&d, cfg) < 0 || (!opt->once && metrics_new(&d.metrics) < 0) || init_loop(&d) < 0) {
        config_free(&cfg);
        metrics_free(&d.metrics);
        free(d.zone);
        return EX_OSERR;
    }
    if (d.metrics)
        register_metrics(&d);
    status = run(&d, cfg, stamp);
    shutdown_all(&d);
    log_info("parkstatd stopped");
    return status;
}
