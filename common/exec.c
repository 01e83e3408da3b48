/*
 * exec.c - the executor interface (see exec.h) and its one implementation
 * with threads: a thread per task, joined when the task is waited for.
 */
#include "common/exec.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

int exec_start(const struct exec *ex, void (*fn)(void *arg), void *arg, struct exec_task **task)
{
    *task = NULL;
    return ex ? ex->start(ex, fn, arg, task) : -ENOTSUP;
}

void exec_wait(const struct exec *ex, struct exec_task *task)
{
    if (ex && task)
        ex->wait(ex, task);
}

struct exec_task {
    pthread_t th;
    void (*fn)(void *arg);
    void *arg;
};

static void *task_main(void *p)
{
    struct exec_task *t = p;
    t->fn(t->arg);
    return NULL;
}

static int threads_start(const struct exec *ex, void (*fn)(void *arg), void *arg,
                         struct exec_task **task)
{
    struct exec_task *t = malloc(sizeof(*t));
    int rc;
    (void)ex;

    if (!t)
        return -ENOMEM;
    t->fn = fn;
    t->arg = arg;
    if ((rc = pthread_create(&t->th, NULL, task_main, t)) != 0) {
        free(t);
        return -rc;
    }
    *task = t;
    return 0;
}

static void threads_wait(const struct exec *ex, struct exec_task *task)
{
    (void)ex;
    pthread_join(task->th, NULL);
    free(task);
}

void exec_threads_init(struct exec *ex)
{
    *ex = (struct exec){threads_start, threads_wait, NULL};
}
