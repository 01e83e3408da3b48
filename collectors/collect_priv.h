/*
 * collect_priv.h - internals shared by collect.c (pulls on the loop) and
 * collect_ingest.c (payload -> validated records -> one store transaction).
 * Not for use outside collectors/.
 */
#ifndef PARKSTAT_COLLECT_PRIV_H
#define PARKSTAT_COLLECT_PRIV_H

#include <stdatomic.h>

#include "collectors/collect.h"
#include "collectors/fetch.h"

struct collect {
    uv_loop_t *loop;
    const struct config *cfg;
    struct store *st;
    struct fetch *fetch;
    struct source **sources;
    size_t n_sources;
    size_t pending;
    int64_t *unit_ids;      /* store id of each config unit (fixed for this config) */
    int64_t *indicator_ids; /* store id of each config indicator */
    size_t parsing;         /* pulls whose payloads are being read on the thread pool */
    int closing;            /* collect_close() ran; freed when parsing reaches 0 */
    /* Group commit: pulls stored (by their readers on the thread pool, or on
     * the loop) share one transaction until commit_check commits it after a
     * loop iteration once nothing is fetched or read any more, or when it is
     * COLLECT_GROUP_MS old; each pull is reported once its group is committed
     * and its reader is done with it. The store lock guards the connection,
     * group_open, the group list and closing. */
    uv_check_t commit_check;
    uv_timer_t commit_timer; /* wakes the loop when the group is COLLECT_GROUP_MS old */
    /* Pulls none of whose requests could start: reported from defer_idle,
     * never from inside collect_pull() (a callback runs after its starter
     * has returned, libuv's rule). */
    uv_idle_t defer_idle;
    struct pull *defer_head;
    int handles_closed; /* close callbacks of commit_check, commit_timer, defer_idle run */
    int group_open;
    atomic_uint_fast64_t group_started_ms; /* uv_hrtime() in ms when the open group began;
                                            atomic: the loop reads it without the lock */
    struct pull *group_head, *group_tail;
};

struct batch;

/* One request of a pull: the whole source, or one unit of it. */
struct pull_part {
    struct pull *pull; /* the pull this part belongs to */
    char *unit;        /* NULL when one request covers every unit */
    enum fetch_outcome outcome;
    long http_status;
    char *body; /* owned copy of the payload (FETCH_OK) */
    size_t len;
    char *etag, *last_modified;
    char *error;
    int done;
};

/* One pull of one source for one period, alive until its callback has run. */
struct pull {
    struct collect *c;
    size_t index; /* source index */
    struct period period;
    char period_text[PERIOD_TEXT_SIZE];
    struct pull_part *parts;
    size_t n_parts, n_done;
    uint64_t started_ns;
    int64_t started_us;
    collect_done_cb cb;
    void *ctx;
    uv_work_t work;      /* reading the payloads off the loop */
    struct batch *batch; /* what collect_parse() read */
    int parse_rc;        /* 0, or -EBADMSG / -ENOMEM with parse_err */
    char parse_err[512];
    struct collect_result res; /* filled by collect_ingest(), reported at commit */
    char res_err[512];
    struct pull *next_done;  /* in c->group_head, waiting for the group commit */
    struct pull *next_defer; /* in c->defer_head, waiting for defer_idle */
    int stored;              /* collect_ingest() ran (store lock) */
    int in_group;            /* ... inside the open group (store lock) */
    int back;                /* no reader holds it any more (loop) */
    int committed;           /* its group is committed (loop) */
    int no_validators;       /* collect_import(): no request, so no ETag to keep */
};

/* 1 when the pull has payloads to read (nothing failed, something came). */
int collect_needs_parse(const struct pull *p);

/*
 * Reads and validates the payloads of p into p->batch: runs on a thread-pool
 * thread, so it touches neither the store nor the loop, only the immutable
 * config, the source's maps and a reader of its own.
 */
void collect_parse(struct pull *p);

/* Frees p->batch (NULL is fine). */
void collect_batch_free(struct pull *p);

/*
 * Turns the finished parts of p into a stored run, on the loop: decides the
 * outcome, ingests what collect_parse() read in one transaction, records
 * validators, pull state and source health. Fills *res (its strings live as
 * long as p).
 */
void collect_ingest(struct pull *p, struct collect_result *res, char *errbuf, size_t errsize);

#endif
