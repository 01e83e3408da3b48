/*
 * counting_exec.c - the counting test executor (see counting_exec.h).
 */
#include "counting_exec.h"

#include <errno.h>

static int counting_start(const struct exec *ex, void (*fn)(void *arg), void *arg,
                          struct exec_task **task)
{
    struct counting_exec *k = ex->data;
    int rc;
    if (k->refuse)
        return -EAGAIN;
    if ((rc = exec_start(&k->threads, fn, arg, task)) == 0)
        k->started++;
    return rc;
}

static void counting_wait(const struct exec *ex, struct exec_task *task)
{
    struct counting_exec *k = ex->data;
    exec_wait(&k->threads, task);
}

void counting_exec_init(struct counting_exec *k, int refuse)
{
    exec_threads_init(&k->threads);
    k->ex = (struct exec){counting_start, counting_wait, k};
    k->started = 0;
    k->refuse = refuse;
}
