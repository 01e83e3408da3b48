/*
 * counting_exec.h - an executor for tests (common/exec.h): runs each task on
 * a thread of its own, as parkstatd's does, and counts the tasks it started;
 * or refuses every task, so the library under test must run inline.
 */
#ifndef PARKSTAT_COUNTING_EXEC_H
#define PARKSTAT_COUNTING_EXEC_H

#include "common/exec.h"

struct counting_exec {
    struct exec ex;      /* pass &ex to the code under test */
    struct exec threads; /* does the work */
    int started;         /* tasks started so far */
    int refuse;          /* 1: every start fails with -EAGAIN */
};

/* Sets k up; refuse as above. */
void counting_exec_init(struct counting_exec *k, int refuse);

#endif
