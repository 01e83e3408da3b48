/*
 * exec.h - how a library runs work beside its caller, chosen by the caller.
 *
 * store/ and compute/ never start threads of their own: where work can go
 * on at once (the second half of an observation walk or of an index's
 * periods, the result writer), they hand it to the executor their caller
 * passed. The daemon and the CLI own the threads: each builds one executor
 * (exec_threads_init) and passes it down. NULL, or an executor that cannot
 * start a task, makes the library run the work on the caller's thread, one
 * part after the other, with the same results.
 */
#ifndef PARKSTAT_EXEC_H
#define PARKSTAT_EXEC_H

struct exec_task;

struct exec {
    /* Starts fn(arg) beside the caller. Returns 0 and *task, to be waited
     * for exactly once, or a negative errno: nothing started. */
    int (*start)(const struct exec *ex, void (*fn)(void *arg), void *arg, struct exec_task **task);
    /* Waits until the task's fn has returned, and frees the task. */
    void (*wait)(const struct exec *ex, struct exec_task *task);
    void *data; /* the executor's own */
};

/* ex->start(); -ENOTSUP when ex is NULL (run fn yourself). */
int exec_start(const struct exec *ex, void (*fn)(void *arg), void *arg, struct exec_task **task);

/* ex->wait(); NULL task is a harmless no-op. */
void exec_wait(const struct exec *ex, struct exec_task *task);

/* Fills *ex with an executor that starts one thread per task (POSIX
 * threads, joined by exec_wait): what parkstatd and parkstat pass down.
 * It keeps no state; *ex may be copied and needs no freeing. */
void exec_threads_init(struct exec *ex);

#endif
