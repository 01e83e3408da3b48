/*
 * collect.h - pulls of configured sources on a libuv loop: fetch the payload
 * (or one per unit), read it with the source's format, map codes, scale and
 * validate every record, and store the source-period in one transaction with
 * its run, rejects, validators (ETag / Last-Modified) and source health.
 *
 * Outcomes of a pull: "ok" (stored, nothing rejected), "partial" (stored,
 * some records rejected), "rejected" (every record rejected: nothing stored,
 * a failure for source health, /metrics and status), "unchanged" (304,
 * nothing stored), "not_published" (404 / missing file: polled again later),
 * "failed" (transport error, HTTP error, empty or unreadable payload: nothing
 * stored for that source-period), "cancelled" (shutdown).
 */
#ifndef PARKSTAT_COLLECT_H
#define PARKSTAT_COLLECT_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "common/period.h"
#include "store/observations.h"
#include "store/store.h"

struct collect;
struct config;
struct source;
struct fetch_limits;

/* What one pull did, handed to its callback (strings borrowed). */
struct collect_result {
    const char *source;
    char period[PERIOD_TEXT_SIZE];
    const char *outcome; /* "ok", "partial", "rejected", "unchanged", "not_published",
                            "failed", "cancelled" */
    const char *error;   /* for "failed" and "rejected", else NULL */
    long http_status;    /* of the last response (the first failing one if any) */
    size_t bytes;        /* payload bytes read */
    double duration_s;
    struct store_counts counts;
    long n_missing; /* records the payload marked as "no value": stored as missing
                       (NULL, never 0) and counted in counts as well */
    long n_absent;  /* keys this source stored before that the payload no longer has */
    long n_deleted; /* current values the payload withdrew (SDMX action "Delete") */
    int64_t run_id; /* 0 when nothing was recorded (cancelled) */
    int recorded;   /* 1: its run and source health are committed; 0: the store
                       could not record them (a locked or full database), so
                       the owner records the failure once it can */
};

/*
 * Reads a payload that did not come from a request (a file: parkstat import
 * --source) exactly as a pull of source index reads it: the source's reader
 * and mapping, code maps, scale and every check; unit stands for the unit a
 * per-unit URL would name (NULL: none). The records go to st in one
 * transaction under their own run run_source (no period, no pull state,
 * health or validators). Fills *res (outcome "ok", "partial", "rejected" or
 * "failed"; error in errbuf). Returns 0 once stored, even if every record
 * was rejected, else a negative errno (nothing stored, the run "failed").
 */
int collect_import(struct collect *c, size_t index, const char *run_source, const char *unit,
                   const char *buf, size_t len, struct collect_result *res, char *errbuf,
                   size_t errsize);

/* The outcome of stored records by their counts: "ok" (none rejected),
 * "partial" (some rejected, some stored) or "rejected" (all rejected). */
const char *collect_outcome(const struct store_counts *c);

/* 1 when outcome is a failure of the source ("failed", "rejected"). */
int collect_outcome_failed(const char *outcome);

/* 1 when outcome is a success ("ok", "partial", "unchanged"). */
int collect_outcome_success(const char *outcome);

typedef void (*collect_done_cb)(const struct collect_result *res, void *ctx);

/*
 * Builds a collector for every source of cfg on loop, writing to st (both
 * borrowed; they must outlive the collector). Returns 0, or -EINVAL with the
 * first source problem in err.
 */
int collect_new(struct collect **out, uv_loop_t *loop, const struct config *cfg, struct store *st,
                const struct fetch_limits *limits, char *err, size_t errsize);

/* Cancels pulls in flight (their callbacks run with "cancelled"), closes the
 * fetcher; run the loop afterwards so its handles close. *cp = NULL. */
void collect_close(struct collect **cp);

/* Number of sources, and the index of a source id (-1 when unknown). */
size_t collect_source_count(const struct collect *c);
long collect_source_find(const struct collect *c, const char *id);
const struct source *collect_source(const struct collect *c, size_t index);

/*
 * Writes into due (room for max) the periods of source index that are due at
 * wall-clock time now (s) in a zone utc_offset_s east of UTC, oldest first,
 * from the schedule and the pull states kept in the store. Returns the count
 * or a negative errno.
 */
int collect_due(struct collect *c, size_t index, int64_t now, long utc_offset_s, struct period *due,
                size_t max);

/* Seconds from now until a period of source index may become due (see
 * schedule_next_wakeup()), at most max_s; 0 when one is due now. */
int64_t collect_next_wakeup(struct collect *c, size_t index, int64_t now, long utc_offset_s,
                            int64_t max_s);

/* Starts a pull of source index for period p. Returns 0, then cb runs once,
 * on the loop, always after this has returned (a pull none of whose requests
 * could start reports "failed" on the next loop iteration); or -EINVAL (bad
 * index or period), -ENOMEM, and cb never runs. */
int collect_pull(struct collect *c, size_t index, struct period p, collect_done_cb cb, void *ctx);

/* Pulls in flight. */
size_t collect_pending(const struct collect *c);

#endif
