/*
 * recompute.c - index recomputation off the loop: pulls that stored new or
 * revised values ask for it, a short debounce gathers a burst of pulls into
 * one run, and the run goes to libuv's thread pool (uv_queue_work), which
 * starts it in a child process: parkstatd itself (/proc/self/exe) with
 * --recompute-child, its own store connection and its own memory. A national
 * recompute holds hundreds of MB of observations and results for seconds;
 * in a child they are returned to the system when it exits, so the daemon's
 * RSS stays what serving needs (docs/BENCHMARKS.md). The child loads the
 * config file again and refuses (exit RC_CHANGED) when the file is no longer
 * the one the running generation was loaded from (its stamp: device, inode,
 * size, modification and change times); the run is then done in the
 * daemon's process on the generation's config, as it is when no child can
 * be started. Neither pulls nor queries wait for it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "common/log.h"
#include "compute/compute.h"
#include "config/config.h"
#include "daemon/daemon_priv.h"
#include "store/store.h"

#define DEBOUNCE_MS 2000

/* The child's exit status beside 0 (done) and 1 (failed, the reason on its
 * first line): the database was busy, or the config file changed. */
#define RC_BUSY    EX_TEMPFAIL
#define RC_CHANGED 3

extern char **environ;

/* The child's process id while one runs (0: none), for begin_stop(). */
static atomic_int child_pid;

struct recompute_job {
    uv_work_t work;
    struct daemon *d;
    struct generation *gen; /* holds the config for the job's duration */
    int full;
    int rc;
    int in_child; /* 1: the child ran it */
    char err[256];
    struct compute_summary sum;
};

int daemon_config_stamp(const char *path, char *out, size_t size)
{
    struct stat sb;

    if (stat(path, &sb) < 0)
        return -errno;
    snprintf(out, size, "%llx:%llx:%llx:%lld.%09ld:%lld.%09ld", (unsigned long long)sb.st_dev,
             (unsigned long long)sb.st_ino, (unsigned long long)sb.st_size,
             (long long)sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec, (long long)sb.st_ctim.tv_sec,
             sb.st_ctim.tv_nsec);
    return 0;
}

/* The child's answer, one line on its stdout: "ok FULL INDICES PERIODS
 * RESULTS SECONDS" or "error TEXT". */
static void read_answer(int fd, struct recompute_job *job)
{
    char line[512];
    size_t len = 0;
    ssize_t n;

    while (len < sizeof(line) - 1 && (n = read(fd, line + len, sizeof(line) - 1 - len)) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        len += (size_t)n;
    }
    line[len] = '\0';
    line[strcspn(line, "\n")] = '\0';
    if (strncmp(line, "error ", 6) == 0) {
        snprintf(job->err, sizeof(job->err), "%.250s", line + 6);
        return;
    }
    int full = 0;
    unsigned long long ix = 0, per = 0, res = 0;
    if (sscanf(line, "ok %d %llu %llu %llu %lf", &full, &ix, &per, &res, &job->sum.seconds) == 5) {
        job->sum.full = full;
        job->sum.indices = (size_t)ix;
        job->sum.periods = (size_t)per;
        job->sum.results = (size_t)res;
    }
}

/*
 * Runs job in a child process. Returns 0 when the child ran it (job->rc
 * says how it went), or -ENOEXEC when it could not or would not (no child
 * could be started, the config file changed): then the caller runs it.
 */
static int run_child(struct recompute_job *job)
{
    const struct daemon *d = job->d;
    const char *argv[12];
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, dflt;
    int pipefd[2], status = 0, argc = 0;
    pid_t pid;

    if (!job->gen->stamp[0] || pipe(pipefd) < 0)
        return -ENOEXEC;
    /* not inherited by what other threads start meanwhile (dup2 clears it
     * on the child's stdout) */
    fcntl(pipefd[0], F_SETFD, FD_CLOEXEC);
    fcntl(pipefd[1], F_SETFD, FD_CLOEXEC);
    argv[argc++] = "parkstatd";
    argv[argc++] = "--recompute-child";
    argv[argc++] = job->full ? "full" : "incremental";
    argv[argc++] = "--stamp";
    argv[argc++] = job->gen->stamp;
    argv[argc++] = "-c";
    argv[argc++] = d->opt->config_path;
    if (d->opt->db_path) {
        argv[argc++] = "--db";
        argv[argc++] = d->opt->db_path;
    }
    argv[argc] = NULL;
    /* stdout is the answer's pipe; stderr the daemon's log; the child starts
     * with no signal blocked (libuv's pool threads block them) and the
     * default action for those the daemon handles or ignores. */
    sigemptyset(&none);
    sigemptyset(&dflt);
    sigaddset(&dflt, SIGTERM);
    sigaddset(&dflt, SIGINT);
    sigaddset(&dflt, SIGHUP);
    sigaddset(&dflt, SIGPIPE);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
    posix_spawnattr_init(&at);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &dflt);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    int rc = posix_spawn(&pid, "/proc/self/exe", &fa, &at, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(pipefd[1]);
    if (rc != 0) {
        close(pipefd[0]);
        log_warning("recompute: cannot start a child process (%s): running it in the daemon",
                    strerror(rc));
        return -ENOEXEC;
    }
    atomic_store(&child_pid, (int)pid);
    read_answer(pipefd[0], job);
    close(pipefd[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    atomic_store(&child_pid, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == RC_CHANGED) {
        log_notice("recompute: %s changed since it was loaded: running on the loaded "
                   "configuration in the daemon",
                   d->opt->config_path);
        return -ENOEXEC;
    }
    job->in_child = 1;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        job->rc = 0;
    else if (WIFEXITED(status) && WEXITSTATUS(status) == RC_BUSY)
        job->rc = -EBUSY;
    else {
        job->rc = -EIO;
        if (!job->err[0] && WIFSIGNALED(status))
            snprintf(job->err, sizeof(job->err), "the recompute process was killed by signal %d",
                     WTERMSIG(status));
        else if (!job->err[0])
            snprintf(job->err, sizeof(job->err), "the recompute process exited with status %d",
                     WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
    return 0;
}

void daemon_recompute_kill(void)
{
    int pid = atomic_load(&child_pid);
    if (pid > 0)
        kill((pid_t)pid, SIGTERM);
}

static void work(uv_work_t *w)
{
    struct recompute_job *job = w->data;
    const struct config *cfg = job->gen->cfg;
    const char *path = job->d->opt->db_path ? job->d->opt->db_path : config_database(cfg);
    struct store *st = NULL;

    if (run_child(job) == 0)
        return;
    if ((job->rc = store_open(&st, path, 0, job->err, sizeof(job->err))) < 0)
        return;
    job->rc = compute_recompute(st, cfg, job->full, &(struct compute_opts){.ex = &job->d->exec},
                                &job->sum);
    if (job->rc < 0)
        snprintf(job->err, sizeof(job->err), "%s", store_errmsg(st));
    store_close(&st);
}

int daemon_recompute_child(const struct daemon_options *opt, const char *mode, const char *stamp)
{
    struct compute_summary sum = {0};
    struct config *cfg = NULL;
    struct store *st = NULL;
    struct exec ex;
    char before[128], after[128], err[512] = "";
    char *errors = NULL;
    int full = strcmp(mode, "full") == 0, rc;

    if (!full && strcmp(mode, "incremental") != 0) {
        fprintf(stderr, "parkstatd: --recompute-child: expected full or incremental\n");
        return 2;
    }
    /* the file as it was before and after this load: the generation's? */
    if (daemon_config_stamp(opt->config_path, before, sizeof(before)) < 0 ||
        strcmp(before, stamp) != 0)
        return RC_CHANGED;
    rc = config_load(opt->config_path, &cfg, &errors);
    free(errors);
    if (rc < 0 || daemon_config_stamp(opt->config_path, after, sizeof(after)) < 0 ||
        strcmp(after, stamp) != 0) {
        config_free(&cfg);
        return RC_CHANGED;
    }
    enum log_level level;
    if (log_level_parse(config_log_level(cfg), &level) == 0)
        log_set_level(level);
    exec_threads_init(&ex);
    const char *path = opt->db_path ? opt->db_path : config_database(cfg);
    if ((rc = store_open(&st, path, 0, err, sizeof(err))) == 0) {
        rc = compute_recompute(st, cfg, full, &(struct compute_opts){.ex = &ex}, &sum);
        if (rc < 0)
            snprintf(err, sizeof(err), "%s", store_errmsg(st));
        store_close(&st);
    }
    config_free(&cfg);
    if (rc == -EBUSY)
        return RC_BUSY;
    if (rc < 0) {
        printf("error %s\n", err);
        return 1;
    }
    printf("ok %d %zu %zu %zu %.3f\n", sum.full, sum.indices, sum.periods, sum.results,
           sum.seconds);
    return fflush(stdout) == 0 ? 0 : 1;
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
        log_info("recompute (%s): %zu indices, %zu periods, %zu results in %.3f s%s",
                 job->sum.full ? "full" : "incremental", job->sum.indices, job->sum.periods,
                 job->sum.results, job->sum.seconds, job->in_child ? " (child process)" : "");
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
