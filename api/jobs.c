/*
 * jobs.c - the API's query workers: requests that need the database (every
 * answer not in the cache) run here, off MHD's I/O thread, so a slow query
 * never holds up answers from the cache or other queries. A FIFO under one
 * mutex and condition variable; a handful of workers, each a long task on
 * the executor the API's owner passes (api_options.exec: the daemon's), so
 * the API starts no thread of its own. Without an executor (or when it
 * starts none) there are no workers and every request is answered on MHD's
 * thread, with the same answers.
 *
 * Stopping drains the queue: every submitted job runs, so every suspended
 * connection is resumed before MHD stops; later submissions are refused (the
 * caller answers them itself) until the pool is freed after MHD has stopped.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "api/api_priv.h"
#include "common/exec.h"

struct api_jobs {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct api_request *head, *tail; /* linked through next_job */
    int stopping;
    int joined; /* api_jobs_stop() has joined the workers (caller's thread only) */
    void (*run)(struct api_request *rq);
    const struct exec *ex;
    size_t nworkers;
    struct exec_task *workers[];
};

static void worker(void *arg)
{
    struct api_jobs *j = arg;

    pthread_mutex_lock(&j->mu);
    for (;;) {
        while (!j->head && !j->stopping)
            pthread_cond_wait(&j->cv, &j->mu);
        struct api_request *rq = j->head;
        if (!rq)
            break; /* stopping and drained */
        if (!(j->head = rq->next_job))
            j->tail = NULL;
        pthread_mutex_unlock(&j->mu);
        j->run(rq);
        pthread_mutex_lock(&j->mu);
    }
    pthread_mutex_unlock(&j->mu);
}

int api_jobs_new(struct api_jobs **out, unsigned nworkers, const struct exec *ex,
                 void (*run)(struct api_request *rq))
{
    struct api_jobs *j = calloc(1, sizeof(*j) + nworkers * sizeof(struct exec_task *));

    *out = NULL;
    if (!j)
        return -ENOMEM;
    j->run = run;
    j->ex = ex;
    if (pthread_mutex_init(&j->mu, NULL) != 0) {
        free(j);
        return -ENOMEM;
    }
    if (pthread_cond_init(&j->cv, NULL) != 0) {
        pthread_mutex_destroy(&j->mu);
        free(j);
        return -ENOMEM;
    }
    /* A worker the executor cannot start is one fewer; none: answered inline. */
    for (unsigned i = 0; i < nworkers; i++)
        if (exec_start(ex, worker, j, &j->workers[j->nworkers]) == 0)
            j->nworkers++;
    *out = j;
    return 0;
}

int api_jobs_submit(struct api_jobs *j, struct api_request *rq)
{
    int rc = 0;
    if (j->nworkers == 0)
        return -ENOTSUP; /* no workers: the caller answers */
    pthread_mutex_lock(&j->mu);
    if (j->stopping) {
        rc = -ESHUTDOWN;
    } else {
        rq->next_job = NULL;
        if (j->tail)
            j->tail->next_job = rq;
        else
            j->head = rq;
        j->tail = rq;
        pthread_cond_signal(&j->cv);
    }
    pthread_mutex_unlock(&j->mu);
    return rc;
}

void api_jobs_stop(struct api_jobs *j)
{
    if (!j || j->joined)
        return;
    pthread_mutex_lock(&j->mu);
    j->stopping = 1;
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->mu);
    for (size_t i = 0; i < j->nworkers; i++)
        exec_wait(j->ex, j->workers[i]);
    j->joined = 1;
}

void api_jobs_free(struct api_jobs **jp)
{
    struct api_jobs *j = jp ? *jp : NULL;
    if (!j)
        return;
    api_jobs_stop(j);
    pthread_cond_destroy(&j->cv);
    pthread_mutex_destroy(&j->mu);
    free(j);
    *jp = NULL;
}
