/*
 * jobs.c - the API's query workers: requests that need the database (every
 * answer not in the cache) run here, off MHD's I/O thread, so a slow query
 * never holds up answers from the cache or other queries. A FIFO under one
 * mutex and condition variable; a handful of threads; no dependencies beyond
 * pthreads (a library would add more than these lines).
 *
 * Stopping drains the queue: every submitted job runs, so every suspended
 * connection is resumed before MHD stops; later submissions are refused (the
 * caller answers them itself) until the pool is freed after MHD has stopped.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "api/api_priv.h"

struct api_jobs {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct api_request *head, *tail; /* linked through next_job */
    int stopping;
    int joined; /* api_jobs_stop() has joined the workers (caller's thread only) */
    void (*run)(struct api_request *rq);
    size_t nthreads;
    pthread_t threads[];
};

static void *worker(void *arg)
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
    return NULL;
}

int api_jobs_new(struct api_jobs **out, unsigned nthreads, void (*run)(struct api_request *rq))
{
    struct api_jobs *j = calloc(1, sizeof(*j) + nthreads * sizeof(pthread_t));
    int rc = 0;

    *out = NULL;
    if (!j)
        return -ENOMEM;
    j->run = run;
    if (pthread_mutex_init(&j->mu, NULL) != 0) {
        free(j);
        return -ENOMEM;
    }
    if (pthread_cond_init(&j->cv, NULL) != 0) {
        pthread_mutex_destroy(&j->mu);
        free(j);
        return -ENOMEM;
    }
    for (; j->nthreads < nthreads; j->nthreads++)
        if ((rc = pthread_create(&j->threads[j->nthreads], NULL, worker, j)) != 0)
            break;
    if (j->nthreads == 0) {
        api_jobs_free(&j);
        return -(rc ? rc : EINVAL);
    }
    *out = j;
    return 0;
}

int api_jobs_submit(struct api_jobs *j, struct api_request *rq)
{
    int rc = 0;
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
    for (size_t i = 0; i < j->nthreads; i++)
        pthread_join(j->threads[i], NULL);
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
