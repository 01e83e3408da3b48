/*
 * collect_priv.h - internals shared by collect.c (pulls on the loop) and
 * collect_ingest.c (payload -> validated records -> one store transaction).
 * Not for use outside collectors/.
 */
#ifndef PARKSTAT_COLLECT_PRIV_H
#define PARKSTAT_COLLECT_PRIV_H

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
};

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
};

/*
 * Turns the finished parts of p into a stored run: decides the outcome, reads
 * and validates the payloads, ingests in one transaction, records validators,
 * pull state and source health. Fills *res (its strings live as long as p).
 */
void collect_ingest(struct pull *p, struct collect_result *res, char *errbuf, size_t errsize);

#endif
