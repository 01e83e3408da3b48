/*
 * bookkeeping.h - what happened to every input: ingest runs, their rejects,
 * and the collector's memory of its sources (pull state, validators, source
 * health) (docs/ARCHITECTURE.md, "Store").
 *
 * A run is one ingest of one source and period (a pull, a file import): it
 * begins, its batches are ingested under its id (observations.h), and it ends
 * with an outcome and counts. A reject is one record of a run that failed
 * validation, kept with its raw text and the reason.
 *
 * Rules:
 * - Every observation and every reject belongs to a run; runs and rejects
 *   are never deleted.
 * - A run has no outcome until store_run_end(); ended_at 0 means running.
 * - A run records the PID that began it; one still open whose process is
 *   gone was left by a crash, and store_runs_interrupt() closes it as
 *   "interrupted" (parkstatd and parkstat import call it at their start).
 * - Pull state is one row per (source, period): every attempt replaces the
 *   last attempt, the last success changes only on success, so a restart
 *   neither repeats finished pulls nor forgets missed ones.
 * - Validators are one pair (ETag, Last-Modified) per (source, period, unit),
 *   replaced by the last response's.
 * - Source health is one row per source, rewritten after every pull.
 * - A pull's run, batch, validators, pull state and health are written in
 *   one unit of work (store_begin() in store.h).
 */
#ifndef PARKSTAT_STORE_BOOKKEEPING_H
#define PARKSTAT_STORE_BOOKKEEPING_H

#include <stddef.h>
#include <stdint.h>

#include "common/period.h"
#include "store/observations.h"
#include "store/store.h"

/* ---- Runs ---- */

/* Starts an ingest run for source (e.g. "import:data.csv") and period text
 * (may be NULL). Writes its id into *run_id. started is a time in us. */
int store_run_begin(struct store *st, const char *source, const char *period, int64_t started,
                    int64_t *run_id);

/* Closes a run: outcome ("ok", "failed", "unchanged", "not_published",
 * "partial", "rejected"; "interrupted" only from store_runs_interrupt()), counts,
 * and an error text (may be NULL). */
int store_run_end(struct store *st, int64_t run_id, int64_t ended, const char *outcome,
                  const struct store_counts *counts, const char *error);

/*
 * Closes every run left open by a process that no longer exists (killed,
 * crashed: its PID is gone, or is this process's own, or was not recorded)
 * with outcome "interrupted", ended_at now (us) and an error naming the PID.
 * Runs of live processes (an import running beside the daemon) stay open.
 * *closed (may be NULL) gets the count. Returns 0 or -EIO.
 */
int store_runs_interrupt(struct store *st, int64_t now, long *closed);

/* HTTP status and payload bytes of a run. */
int store_run_transfer(struct store *st, int64_t run_id, long http_status, long bytes);

struct store_run_row {
    int64_t id;
    const char *source, *period;  /* period may be NULL */
    int64_t started_at, ended_at; /* us; ended_at 0 while running */
    const char *outcome;          /* NULL while running */
    struct store_counts counts;
    long http_status, bytes; /* 0 when not recorded */
    const char *error;       /* may be NULL */
};

typedef int (*store_run_cb)(const struct store_run_row *row, void *ctx);

/* Up to limit runs of source (NULL: all), newest first. Returns 0, the
 * callback's non-zero return (which stops it), or -EIO. */
int store_runs_list(struct store *st, const char *source, long limit, store_run_cb cb, void *ctx);

/* A page of that list: runs after (older than) the run after_id started at
 * after_started (after_id 0: from the newest), at most limit (0: all); and
 * how many runs source (NULL: all) has. */
int store_runs_page(struct store *st, const char *source, int64_t after_started, int64_t after_id,
                    long limit, store_run_cb cb, void *ctx);
int store_runs_count(struct store *st, const char *source, long *n);

/* ---- Rejects ---- */

/* One record that failed validation, kept with its raw text. store_ingest()
 * stores them with the batch. */
struct store_reject {
    long position;      /* row or record number in the payload, 0 if none */
    const char *raw;    /* raw text of the record (borrowed), may be NULL */
    const char *reason; /* e.g. "unknown indicator \"revnue\"" (borrowed) */
};

struct store_reject_row {
    int64_t run_id;
    const char *source;
    const char *period;
    long position;
    const char *raw;
    const char *reason;
    int64_t id, run_started_at; /* the reject's row id and its run's start (us) */
};

typedef int (*store_reject_cb)(const struct store_reject_row *row, void *ctx);

/* Rejects of one run (run_id > 0) or of every run of source (source != NULL),
 * or all; newest run first, then by position. The raw text and the reason
 * are kept byte for byte; one that is not valid UTF-8 (a GBK payload read
 * without its encoding) is handed to cb escaped: each byte above 0x7F as
 * \xNN (hex, upper case), a backslash as \\. Valid UTF-8 comes unchanged. */
int store_rejects(struct store *st, int64_t run_id, const char *source, store_reject_cb cb,
                  void *ctx);

/* Rejects of source (NULL: all) in period (NULL: all), in the order of
 * store_rejects(), after the key of the reject after_id (0: from the first)
 * and at most limit (0: all): one keyset page. */
struct store_reject_query {
    const char *source, *period;
    int64_t after_id, after_started, after_run; /* the key of the page's last reject */
    long after_position;
    long limit;
};

int store_rejects_page(struct store *st, const struct store_reject_query *q, store_reject_cb cb,
                       void *ctx);

/* How many rejects store_rejects_page() gives for q without paging. */
int store_rejects_count(struct store *st, const struct store_reject_query *q, long *n);

/* ---- Pull state (schema version 2) ---- */

/* What the scheduler needs to know of one period of a source. Times in us. */
struct store_pull_state {
    char period[PERIOD_TEXT_SIZE];
    int64_t last_attempt; /* 0: never */
    int64_t last_success; /* 0: never */
    int not_published;    /* the last attempt found some or all of it missing */
};

/* Every period of source with its pull state, as a malloc'd array for the
 * caller to free(). */
int store_pull_states(struct store *st, const char *source, struct store_pull_state **out,
                      size_t *n);

/* Records an attempt at source/period started at attempt (us); success sets
 * last_success to now, else it is kept. */
int store_pull_record(struct store *st, const char *source, const char *period, int64_t attempt,
                      int success, int not_published);

/* ---- Validators ---- */

/* Validators of the last response for source/period/unit (unit "" for a
 * whole-source request): malloc'd copies or NULL. Returns 0 or -ENOENT. */
int store_validators_get(struct store *st, const char *source, const char *period, const char *unit,
                         char **etag, char **last_modified);
int store_validators_put(struct store *st, const char *source, const char *period, const char *unit,
                         const char *etag, const char *last_modified);

/* ---- Source health ---- */

/* The health of a source, updated after every pull. */
struct store_health {
    const char *source;
    int64_t last_attempt;      /* us */
    int64_t last_success;      /* us; 0: never (when recording: this pull failed) */
    long consecutive_failures; /* read back; computed when recording */
    int failed;                /* when recording: this pull failed */
    const char *last_outcome;
    long last_status;
    const char *last_error; /* may be NULL */
    double last_duration_s;
    long last_bytes;
    struct store_counts last_counts;
};

int store_health_record(struct store *st, const struct store_health *h);

typedef int (*store_health_cb)(const struct store_health *h, void *ctx);

/* Calls cb for every source with a recorded pull, by source id. */
int store_health_list(struct store *st, store_health_cb cb, void *ctx);

#endif
