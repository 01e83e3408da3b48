/*
 * admin.c - the daemon's side of the HTTP API: start and stop it, and carry
 * its admin requests (pull a source, recompute) from the API threads to the
 * loop thread through a mutex-guarded queue and a uv_async wake-up.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "collectors/source.h"
#include "common/log.h"
#include "config/config.h"
#include "daemon/daemon_priv.h"

#ifndef PARKSTAT_WEB_ROOT /* set by CMake from the install prefix */
#define PARKSTAT_WEB_ROOT "/usr/local/share/parkstat/web"
#endif

struct admin_req {
    char source[128]; /* "" for a recompute */
    char period[PERIOD_TEXT_SIZE];
    struct admin_req *next;
};

static int enqueue(struct daemon *d, const char *source, const char *period)
{
    struct admin_req *r = calloc(1, sizeof(*r)), **pp;
    if (!r)
        return -ENOMEM;
    snprintf(r->source, sizeof(r->source), "%s", source ? source : "");
    snprintf(r->period, sizeof(r->period), "%s", period ? period : "");
    pthread_mutex_lock(&d->admin_lock);
    for (pp = &d->admin_queue; *pp; pp = &(*pp)->next)
        ;
    *pp = r;
    pthread_mutex_unlock(&d->admin_lock);
    uv_async_send(&d->wake);
    return 0;
}

/* Hook, on an API thread: the source must exist in the running config. The
 * config is read on the loop thread only, so the check is by the names
 * copied at start and reload (d->source_ids), guarded by the admin lock. */
static int hook_pull(void *ctx, const char *source, const char *period)
{
    struct daemon *d = ctx;
    struct period p;
    int known = 0;

    if (period && *period && period_parse_str(&p, period) < 0)
        return -EINVAL;
    pthread_mutex_lock(&d->admin_lock);
    for (size_t i = 0; i < d->n_source_ids && !known; i++)
        known = strcmp(d->source_ids[i], source) == 0;
    pthread_mutex_unlock(&d->admin_lock);
    return known ? enqueue(d, source, period) : -ENOENT;
}

static int hook_recompute(void *ctx)
{
    return enqueue(ctx, NULL, NULL);
}

void daemon_admin_sources(struct daemon *d)
{
    size_t n = d->gen ? collect_source_count(d->gen->collect) : 0;
    char **ids = n ? calloc(n, sizeof(*ids)) : NULL;

    for (size_t i = 0; ids && i < n; i++)
        ids[i] = strdup(source_config(collect_source(d->gen->collect, i))->id);
    pthread_mutex_lock(&d->admin_lock);
    for (size_t i = 0; i < d->n_source_ids; i++)
        free(d->source_ids[i]);
    free(d->source_ids);
    d->source_ids = ids;
    d->n_source_ids = ids ? n : 0;
    pthread_mutex_unlock(&d->admin_lock);
}

static void run_request(struct daemon *d, const struct admin_req *r)
{
    long idx;
    struct period p;

    if (!r->source[0]) {
        daemon_recompute(d, 1);
        return;
    }
    if (!d->gen || (idx = collect_source_find(d->gen->collect, r->source)) < 0) {
        log_warning("admin: pull of unknown source %s ignored", r->source);
        return;
    }
    log_notice("admin: pull of %s %s requested", r->source, r->period[0] ? r->period : "(due)");
    if (r->period[0] && period_parse_str(&p, r->period) == 0)
        sched_pull_one(&d->gen->timers[idx], p);
    else
        sched_pull_due(&d->gen->timers[idx], (int64_t)time(NULL));
}

void daemon_admin_wake(uv_async_t *h)
{
    struct daemon *d = h->data;
    struct admin_req *list;

    pthread_mutex_lock(&d->admin_lock);
    list = d->admin_queue;
    d->admin_queue = NULL;
    pthread_mutex_unlock(&d->admin_lock);
    while (list) {
        struct admin_req *next = list->next;
        if (!d->stopping)
            run_request(d, list);
        free(list);
        list = next;
    }
}

/* Reads the admin token, the file's first line, into *out (NULL when no
 * token file is configured or it is empty). Returns 0, or -errno when the
 * file cannot be read (logged once, naming the file). */
int daemon_read_token(const struct config *cfg, char **out)
{
    const char *path = config_token_file(cfg);
    char line[512];
    FILE *fp;
    int rc;

    *out = NULL;
    if (!path)
        return 0;
    if (!(fp = fopen(path, "r"))) {
        rc = -errno;
        log_err("%s: cannot read the admin token file: %s", path, strerror(-rc));
        return rc;
    }
    errno = 0;
    if (!fgets(line, sizeof(line), fp))
        line[0] = '\0';
    rc = ferror(fp) ? -(errno ? errno : EIO) : 0; /* EISDIR: a directory */
    fclose(fp);
    if (rc < 0) {
        log_err("%s: cannot read the admin token file: %s", path, strerror(-rc));
        return rc;
    }
    line[strcspn(line, "\r\n")] = '\0';
    if (line[0] && !(*out = strdup(line)))
        rc = -ENOMEM;
    explicit_bzero(line, sizeof(line));
    return rc;
}

/* Wipes and frees a token from daemon_read_token(). */
void daemon_free_token(char *token)
{
    if (token) {
        explicit_bzero(token, strlen(token));
        free(token);
    }
}

/* The dashboard's files: where PARKSTAT_WEB_ROOT says (a source tree's
 * web/dist in the demo and tests), else the installed ones. */
static const char *web_root(int *chosen)
{
    const char *env = getenv("PARKSTAT_WEB_ROOT");
    *chosen = env != NULL;
    return env ? env : PARKSTAT_WEB_ROOT;
}

int daemon_check_web_root(void)
{
    int chosen;
    const char *root = web_root(&chosen);
    char index[4096];
    struct stat sb;

    if (stat(root, &sb) < 0) {
        if (errno == ENOENT && !chosen) {
            log_notice("%s: no dashboard installed: / answers 404", root);
            return 0;
        }
        log_err("%s: bad web root%s: %s", root, chosen ? " (PARKSTAT_WEB_ROOT)" : "",
                strerror(errno));
        return -errno;
    }
    if (!S_ISDIR(sb.st_mode)) {
        log_err("%s: bad web root%s: not a directory", root, chosen ? " (PARKSTAT_WEB_ROOT)" : "");
        return -ENOTDIR;
    }
    snprintf(index, sizeof(index), "%s/index.html", root);
    if (access(index, R_OK) < 0) {
        log_err("%s: bad web root%s: cannot read index.html: %s", root,
                chosen ? " (PARKSTAT_WEB_ROOT)" : "", strerror(errno));
        return -errno;
    }
    return 0;
}

int daemon_api_start(struct daemon *d, const struct config *cfg, const char *token)
{
    struct api_options opt = {0};
    char err[512];
    int rc;

    opt.listen = d->opt->listen ? d->opt->listen : config_listen(cfg);
    opt.threads = config_api_threads(cfg);
    opt.db_path = d->opt->db_path ? d->opt->db_path : config_database(cfg);
    opt.token = token;
    opt.metrics = d->metrics;
    opt.exec = &d->exec;
    opt.pull = hook_pull;
    opt.recompute = hook_recompute;
    opt.hook_ctx = d;
    int chosen;
    opt.web_root = web_root(&chosen);
    daemon_admin_sources(d);
    rc = api_start(&d->api, &opt, err, sizeof(err));
    if (rc < 0) {
        log_err("API on %s: %s", opt.listen, err);
        return rc;
    }
    log_notice("API listening on %s (port %u)", opt.listen, api_port(d->api));
    daemon_api_config(d);
    return 0;
}

void daemon_api_config(struct daemon *d)
{
    /* The API threads hold a reference of their own: the loop's generation
     * may be retired while a query still reads the config (it is never
     * changed after its load, so both threads read it as it is). */
    if (d->api && d->gen)
        api_set_config(d->api, config_ref(d->gen->cfg));
}

void daemon_api_stop(struct daemon *d)
{
    api_stop(&d->api);
}

void daemon_admin_free(struct daemon *d)
{
    pthread_mutex_lock(&d->admin_lock);
    while (d->admin_queue) {
        struct admin_req *next = d->admin_queue->next;
        free(d->admin_queue);
        d->admin_queue = next;
    }
    for (size_t i = 0; i < d->n_source_ids; i++)
        free(d->source_ids[i]);
    free(d->source_ids);
    d->source_ids = NULL;
    d->n_source_ids = 0;
    pthread_mutex_unlock(&d->admin_lock);
}
