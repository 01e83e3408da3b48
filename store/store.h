/*
 * store.h - the parkstat database: SQLite in WAL mode (docs/ARCHITECTURE.md).
 *
 * Observations are kept with every vintage: a re-ingested value that differs
 * closes the current row (valid_to) and opens a new one (valid_from); an
 * identical value adds nothing. "As of t" sees the row with
 * valid_from <= t < valid_to. Times are microseconds since the Unix epoch (UTC).
 *
 * One struct store is one connection; use it from one thread at a time.
 * Functions return 0 or a negative errno (-EIO for SQLite errors, whose text
 * store_errmsg() returns).
 */
#ifndef PARKSTAT_STORE_H
#define PARKSTAT_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "common/period.h"

struct store;
struct config;

#define STORE_READONLY 0x1 /* open an existing database read-only */

/* The schema version this build writes (PRAGMA user_version). */
#define STORE_SCHEMA_VERSION 4

/*
 * Opens (creating if needed, unless STORE_READONLY) the database at path, with
 * WAL, foreign keys and a busy timeout, and migrates its schema forward to
 * STORE_SCHEMA_VERSION. A database newer than this build is refused
 * (-EPROTO). ":memory:" works for tests. On error *out is NULL and, when
 * errbuf is not NULL, a message is written there.
 */
int store_open(struct store **out, const char *path, int flags, char *errbuf, size_t errsize);

/* A connection is used by one thread at a time. When threads take turns on
 * one (the daemon's loop and the collector's readers), each holds this lock
 * for every use: a plain mutex, not recursive; no store function takes it. */
void store_lock(struct store *st);
void store_unlock(struct store *st);

/* Closes the connection and sets *sp = NULL. NULL is a harmless no-op. */
void store_close(struct store **sp);

/* On close, leave the WAL to SQLite's automatic checkpoint (every 1000
 * pages, in some later commit) instead of checkpointing it, with two fsyncs,
 * and deleting it when this is the last connection — what already happens
 * whenever the daemon holds the database open. For writers of derived data
 * (a recompute): on power loss they lose at most their last commits, which
 * leave the recompute marks in place, so the next run redoes them. */
void store_defer_checkpoint(struct store *st);

/* The text of the last SQLite error on this connection. */
const char *store_errmsg(const struct store *st);

/* The database's schema version (PRAGMA user_version). */
int store_schema_version(struct store *st);

/*
 * Brings the unit and indicator tables in line with cfg (insert new ones,
 * update names, parents and attributes; rows the config no longer names are
 * kept, for their history). Loads the code -> id maps used by the look-ups
 * below. One transaction.
 */
int store_sync_config(struct store *st, const struct config *cfg);

/*
 * Inserts unit code or updates its name and parent (parent_code NULL: a root;
 * an unknown parent is -ENOENT and changes nothing). Attributes are kept.
 * Refreshes the look-ups below. store_sync_config() does this for a config.
 */
int store_upsert_unit(struct store *st, const char *code, const char *name,
                      const char *parent_code);

/* Inserts or updates indicator code with frequency "M", "Q", "H" or "Y" and
 * kind "flow", "stock" or "rate" (other fields default: not cumulative,
 * direction +1, 2 decimals). Refreshes the look-ups below. */
int store_upsert_indicator(struct store *st, const char *code, const char *name,
                           const char *frequency, const char *kind);

/* Database ids of a unit or indicator known from the last sync, upsert or
 * open, or -1. */
int64_t store_unit_id(const struct store *st, const char *code, size_t len);
int64_t store_indicator_id(const struct store *st, const char *code, size_t len);

/* One observation to ingest. */
struct store_obs {
    int64_t unit_id;
    int64_t indicator_id;
    struct period period;
    double value;
};

/* One record that failed validation, kept with its raw text. */
struct store_reject {
    long position;      /* row or record number in the payload, 0 if none */
    const char *raw;    /* raw text of the record (borrowed), may be NULL */
    const char *reason; /* e.g. "unknown indicator \"revnue\"" (borrowed) */
};

struct store_counts {
    long n_new;       /* keys seen for the first time */
    long n_revised;   /* a new vintage for a changed value */
    long n_unchanged; /* identical to the current value: nothing written */
    long n_rejected;
};

/* Starts an ingest run for source (e.g. "import:data.csv") and period text
 * (may be NULL). Writes its id into *run_id. started is a time in us. */
int store_run_begin(struct store *st, const char *source, const char *period, int64_t started,
                    int64_t *run_id);

/* Closes a run: outcome ("ok", "failed", "unchanged", "not_published"), counts,
 * and an error text (may be NULL). */
int store_run_end(struct store *st, int64_t run_id, int64_t ended, const char *outcome,
                  const struct store_counts *counts, const char *error);

/*
 * Ingests one batch in one transaction, all or nothing: n observations (new
 * vintages stamped with time now, in us) and nrej rejects, both tied to
 * run_id. Adds to *counts (may be NULL). On error nothing of the batch is kept.
 */
int store_ingest(struct store *st, int64_t run_id, int64_t now, const struct store_obs *obs,
                 size_t n, const struct store_reject *rej, size_t nrej,
                 struct store_counts *counts);

/* A stored observation, as handed to a query callback (strings borrowed for
 * the duration of the call). */
struct store_obs_row {
    const char *unit;
    const char *indicator;
    const char *period;
    double value;
    int64_t valid_from;
    int64_t valid_to; /* 0 while current */
    int64_t run_id;
};

struct store_obs_query {
    const char *unit;      /* NULL: all */
    const char *indicator; /* NULL: all */
    const char *from;      /* period text bounds, inclusive, same frequency; NULL: open */
    const char *to;
    int64_t as_of; /* 0: current values; else what was known at that time */
    int history;   /* 1: every vintage instead of one value per key */
};

typedef int (*store_obs_cb)(const struct store_obs_row *row, void *ctx);

/* Calls cb for each matching row, ordered by unit, indicator, period, valid_from.
 * A non-zero return from cb stops the walk and is returned. */
int store_observations(struct store *st, const struct store_obs_query *q, store_obs_cb cb,
                       void *ctx);

struct store_reject_row {
    int64_t run_id;
    const char *source;
    const char *period;
    long position;
    const char *raw;
    const char *reason;
};

typedef int (*store_reject_cb)(const struct store_reject_row *row, void *ctx);

/* Rejects of one run (run_id > 0) or of every run of source (source != NULL),
 * or all; newest run first, then by position. */
int store_rejects(struct store *st, int64_t run_id, const char *source, store_reject_cb cb,
                  void *ctx);

/* Number of observation rows (every vintage) and of current keys. */
int store_count_observations(struct store *st, long *rows, long *current);

/*
 * Duplicate keys (unit, indicator, period) within a batch: first_of[i] (room
 * for n) is set to the index of the earlier observation with the same key, or
 * -1 for a first occurrence. Returns the number of duplicates or -ENOMEM.
 */
long store_find_duplicates(const struct store_obs *obs, size_t n, long *first_of);

/* ---- Collector bookkeeping (schema version 2) ---- */

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

/* Validators of the last response for source/period/unit (unit "" for a
 * whole-source request): malloc'd copies or NULL. Returns 0 or -ENOENT. */
int store_validators_get(struct store *st, const char *source, const char *period, const char *unit,
                         char **etag, char **last_modified);
int store_validators_put(struct store *st, const char *source, const char *period, const char *unit,
                         const char *etag, const char *last_modified);

/* HTTP status and payload bytes of a run. */
int store_run_transfer(struct store *st, int64_t run_id, long http_status, long bytes);

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

/*
 * Keys whose current value came from an earlier run of the same source and
 * period but that are absent from this batch (kept, never deleted): the
 * count, or a negative errno.
 */
long store_count_absent(struct store *st, int64_t run_id, const char *source, const char *period,
                        const struct store_obs *obs, size_t n);

/* Marks (index_id, period) for recomputation. */
int store_mark_recompute(struct store *st, const char *index_id, const char *period);

/* ---- Index results (store/results.c, used by compute/) ---- */

/* One current (or as-of) observation by database ids; period is not NUL-safe
 * beyond len bytes and is borrowed for the call. */
typedef int (*store_obs_id_cb)(int64_t unit_id, int64_t indicator_id, const char *period,
                               size_t len, double value, void *ctx);

/* Walks the current observations (as_of 0) or those valid at as_of (us) in
 * no particular order. Returns 0, cb's non-zero return, or -EIO. */
int store_obs_walk_ids(struct store *st, int64_t as_of, store_obs_id_cb cb, void *ctx);

/* As store_obs_walk_ids(), in two halves by unit id read at once: cb gets
 * ctx[0] for the lower half and ctx[1] for the upper, from two threads (each
 * ctx only ever from one). Both halves see the same data. When that cannot be
 * had (in-memory database, caller's open transaction, a commit in between)
 * everything goes to ctx[0] on the caller's thread. Returns the number of
 * parts read (1 or 2), cb's non-zero return, or -EIO. */
int store_obs_walk_split(struct store *st, int64_t as_of, store_obs_id_cb cb, void *ctx[2]);

/* One column of current values (store/columns.c): the n values of one
 * indicator in one period, by unit id ascending. All pointers are borrowed
 * for the call; period is not NUL-terminated beyond len bytes. */
typedef int (*store_column_cb)(int64_t indicator_id, const char *period, size_t len, size_t n,
                               const int64_t *unit_ids, const double *values, void *ctx);

/*
 * Every current observation, read from the column copy (table obs_column):
 * first brings the copy up to date when the connection may write and no
 * transaction is open (a write transaction; skipped when another connection
 * holds the write lock), then calls ccb per column and ocb for the current
 * rows of units changed since the copy was written, which replace what the
 * columns said of them. Returns 0, a callback's non-zero return, -EAGAIN
 * when the copy is too far behind to be worth reading (walk instead), -EIO
 * or -ENOMEM.
 */
int store_obs_current(struct store *st, store_column_cb ccb, store_obs_id_cb ocb, void *ctx);

/* Databases of fewer pages than this (default 4096, 16 MiB) are walked in one
 * part by store_obs_walk_split(); 0 splits every walk (tests). Process-wide. */
void store_set_walk_split(int64_t pages);

typedef int (*store_mark_cb)(const char *index_id, const char *period, void *ctx);

/* Calls cb for every (index, period) marked by store_mark_recompute(). */
int store_recompute_marks(struct store *st, store_mark_cb cb, void *ctx);

/* The config hash stored for index_id by store_results_replace() into buf.
 * Returns 0, -ENOENT when none, -EIO. */
int store_index_hash_get(struct store *st, const char *index_id, char *buf, size_t size);

/*
 * The positions in an index's result rows (schema version 3): node i of nodes
 * (the dimensions: every inner node but the total) fills doubles
 * STORE_NODE_FIELDS * i .. + 3 of a row's nodes blob (score, rank, rank change,
 * flags); leaf i of leaves fills double i of its contribs blob. Stored in the
 * index_layout table; ids borrowed.
 */
struct store_index_layout {
    const char *index_id;
    const char *const *nodes;
    size_t nnodes;
    const char *const *leaves;
    size_t nleaves;
};

#define STORE_NODE_FIELDS 4 /* score, rank, rank change, flags per dimension node */

/* One result row: one unit of one index in one period. */
struct store_result {
    const char *index_id;
    int64_t unit_id;
    const char *period;
    double score;           /* the total; NAN stores NULL */
    double rank;            /* 1 = best among siblings; NAN stores NULL */
    double rank_change;     /* previous rank - rank; NAN stores NULL */
    unsigned flags;         /* compute/compute.h COMPUTE_FLAG_* bits */
    const double *nodes;    /* STORE_NODE_FIELDS x nnodes as in the layout, NAN: none; */
    size_t nnodes;          /* NULL stores no dimension rows */
    const double *contribs; /* nleaves contributions, NAN: none; NULL: none computed */
    size_t ncontribs;
};

struct store_result_key {
    const char *index_id;
    const char *period;
};

struct store_index_hash {
    const char *index_id;
    const char *hash;
};

/* Everything one recompute writes. All arrays are borrowed. */
struct store_results_batch {
    const struct store_result_key *clear; /* results and marks to delete */
    size_t nclear;
    const struct store_index_layout *layouts; /* replace the stored layout of each */
    size_t nlayouts;
    const struct store_result *results; /* in primary key order (index, period, unit) */
    size_t nresults;                    /* for speed; any order works */
    const struct store_index_hash *hashes;
    size_t nhashes;
    int64_t computed_at;     /* us */
    const char *const *wipe; /* indices whose results are all deleted first */
    size_t nwipe;            /* (a full recompute); may be NULL */
};

/* Applies b in one transaction, all or nothing. Returns 0, -EIO, -EBUSY. */
int store_results_replace(struct store *st, const struct store_results_batch *b);

/*
 * The transaction of store_results_replace() fed in parts, so that rows are
 * written while later ones are still computed: store_results_start() starts
 * a thread that takes the write lock (BEGIN IMMEDIATE) and applies each part
 * sent, in order, as store_results_replace() applies its one batch (wipe,
 * clear, layouts, rows, hashes); store_results_finish() commits (commit = 1)
 * or rolls back, waits for the thread and frees the stream. From start to
 * finish the thread owns st: the caller must not use st, and must keep every
 * array a sent part points to. A failed part makes the later ones skipped and finish return
 * its error (-EIO, -EBUSY, -ENOMEM) after a rollback.
 */
struct store_results_stream;
int store_results_start(struct store *st, struct store_results_stream **out);
int store_results_send(struct store_results_stream *s, const struct store_results_batch *b);
int store_results_finish(struct store_results_stream **s, int commit);

struct store_results_query {
    const char *index_id;
    const char *node; /* NULL: the total */
    const char *period;
    double min_score;       /* NAN: no lower bound */
    const char *attr_key;   /* NULL: no filter; else reported as attr_value ... */
    const char *attr_value; /* ... and, when not NULL, required equal */
};

struct store_result_row {
    const char *unit, *name, *parent; /* parent may be NULL */
    double score, rank, rank_change;  /* NAN when NULL */
    unsigned flags;
    const char *attributes; /* JSON object or NULL */
    const char *attr_value; /* value of query attr_key, or NULL */
};

typedef int (*store_result_row_cb)(const struct store_result_row *row, void *ctx);

/* Results of one node and period, best rank first (strings borrowed for the
 * call). "Score >= 75 grouped by stage" is min_score 75, attr_key "stage". */
int store_query_results(struct store *st, const struct store_results_query *q,
                        store_result_row_cb cb, void *ctx);

/* ---- Read-only queries for the HTTP API (store/query_api.c) ---- */

/* Rows handed to the callbacks below; strings are borrowed for the call. */
struct store_unit_row {
    const char *code, *name;
    const char *parent;     /* parent's code, NULL for a root */
    const char *attributes; /* JSON object text or NULL */
};

struct store_indicator_row {
    const char *code, *name, *measure, *frequency, *kind; /* measure may be NULL */
    int cumulative, direction, decimals;
    const char *formula, *numerator, *denominator; /* each may be NULL */
    double scale;                                  /* 0 when none */
};

struct store_index_row {
    const char *index_id;
    const char *first_period, *last_period; /* min and max period text */
    long n_units;                           /* distinct units with results */
    int64_t computed_at;                    /* latest, us; 0 if unknown */
};

struct store_index_result_row {
    const char *unit, *unit_name;
    const char *node; /* "" or the index id: the total; else a dimension */
    const char *period;
    double score;
    long rank, rank_change, flags;
    int has_score, has_rank, has_rank_change; /* 0: the column is NULL */
    int64_t computed_at;
};

struct store_index_contrib_row {
    const char *unit, *indicator;
    double contribution;
    int has_contribution; /* 0: NULL */
};

struct store_run_row {
    int64_t id;
    const char *source, *period;  /* period may be NULL */
    int64_t started_at, ended_at; /* us; ended_at 0 while running */
    const char *outcome;          /* NULL while running */
    struct store_counts counts;
    long http_status, bytes; /* 0 when not recorded */
    const char *error;       /* may be NULL */
};

/* Numbers that change whenever the data the API serves changes: a new run, a
 * run ending, a recompute, a unit or indicator added. */
struct store_data_version {
    int64_t max_run_id, max_run_ended, max_computed_at;
    int64_t n_units, n_indicators;
};

typedef int (*store_unit_cb)(const struct store_unit_row *row, void *ctx);
typedef int (*store_indicator_cb)(const struct store_indicator_row *row, void *ctx);
typedef int (*store_index_cb)(const struct store_index_row *row, void *ctx);
typedef int (*store_index_result_cb)(const struct store_index_result_row *row, void *ctx);
typedef int (*store_index_contrib_cb)(const struct store_index_contrib_row *row, void *ctx);
typedef int (*store_run_cb)(const struct store_run_row *row, void *ctx);

/* Each walk returns 0, the callback's non-zero return (which stops it), or
 * -EIO. Units and indicators come by code; indices by id. */
int store_units_list(struct store *st, store_unit_cb cb, void *ctx);
int store_indicators_list(struct store *st, store_indicator_cb cb, void *ctx);
int store_indices_list(struct store *st, store_index_cb cb, void *ctx);

/* The greatest period text of index_id in the result table into period.
 * Returns 0, -ENOENT when the index has no results, -ENOSPC, -EIO. */
int store_index_latest_period(struct store *st, const char *index_id, char *period, size_t size);

/* Results of index_id for period, of unit (NULL: every unit). totals_only: the
 * total node only, best rank first (no rank last, then by unit); else every
 * node by unit and node. */
int store_index_results(struct store *st, const char *index_id, const char *period,
                        const char *unit, int totals_only, store_index_result_cb cb, void *ctx);

/* Contributions of index_id for period (unit NULL: all), by unit, indicator. */
int store_index_contributions(struct store *st, const char *index_id, const char *period,
                              const char *unit, store_index_contrib_cb cb, void *ctx);

/* Up to limit runs of source (NULL: all), newest first. */
int store_runs_list(struct store *st, const char *source, long limit, store_run_cb cb, void *ctx);

/* Fills *v. Returns 0 or -EIO. */
int store_data_version(struct store *st, struct store_data_version *v);

/*
 * A number that changes whenever another connection has committed to the
 * database since this connection last asked (PRAGMA data_version). Cheap: no
 * table is read. Compare successive values of the same connection only.
 */
int store_change_counter(struct store *st, int64_t *out);

/*
 * A unit of work: the calls between store_begin() and store_commit() (which
 * rolls back if it fails) or store_rollback() are all or nothing. It is a
 * savepoint, so it nests in a group; on its own it is a transaction.
 * store_ingest() nests in it as a savepoint too. Return 0 or -EIO / -EBUSY.
 */
int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);

/*
 * A group: one write transaction (BEGIN IMMEDIATE) around many units of work,
 * committed together by store_group_commit() (rolled back if that fails).
 * store_in_group() is 1 while a transaction is open on st.
 */
int store_group_begin(struct store *st);
int store_group_commit(struct store *st);
int store_in_group(const struct store *st);

#endif
