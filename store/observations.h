/*
 * observations.h - what is observed and the values observed, with every
 * vintage (docs/ARCHITECTURE.md, "Store").
 *
 * A unit (an enterprise, a region) and an indicator (revenue, staff) are
 * defined once, by code; the database ids the store hands out for them key
 * every observation: (unit, indicator, period) -> value.
 *
 * Rules:
 * - Vintages are never deleted, nor are observations: a re-ingested value
 *   that differs closes the current row (valid_to) and opens a new one
 *   (valid_from); an identical value adds nothing. "Differs" covers the
 *   value, the status code (a status-only revision is a new vintage) and
 *   missingness (a missing value is stored as NULL, never as 0). A key missing from a later
 *   batch keeps its value. A value the source withdraws (store_delete_obs())
 *   has its current row closed and no new one.
 * - One current value per key (valid_to unset); "as of t" sees the row with
 *   valid_from <= t < valid_to.
 * - store_ingest() is the only write path for observations: one batch, one
 *   savepoint, all or nothing, tied to the run (bookkeeping.h) that read it.
 * - Units and indicators are only added or updated, never deleted (their
 *   history stays readable).
 * - The column copy (store_obs_current()) is derived data: readers get exactly
 *   the current values whether it is up to date or not.
 */
#ifndef PARKSTAT_STORE_OBSERVATIONS_H
#define PARKSTAT_STORE_OBSERVATIONS_H

#include <stddef.h>
#include <stdint.h>

#include "common/period.h"
#include "store/store.h"

struct exec;
struct store_reject; /* bookkeeping.h */

/* ---- Units and indicators ---- */

/* One attribute of a unit (park type, stage). */
struct store_unit_attr {
    const char *key;
    const char *value;
};

/* Everything a unit row holds. */
struct store_unit_def {
    const char *code;
    const char *name;
    const char *parent; /* parent's code, NULL for a root */
    const struct store_unit_attr *attrs;
    size_t n_attrs;
};

/* Everything an indicator row holds. */
struct store_indicator_def {
    const char *code;
    const char *name;
    const char *measure;   /* may be NULL */
    const char *frequency; /* "M", "Q", "H", "Y" */
    const char *kind;      /* "flow", "stock", "rate" */
    int cumulative;
    int direction;
    int decimals;
    const char *formula;     /* may be NULL */
    const char *numerator;   /* may be NULL */
    const char *denominator; /* may be NULL */
    double scale;            /* rates: ratio of sums times scale; 0 stores NULL */
};

/*
 * Writes the definitions: inserts the nunits units and nind indicators or
 * updates their names, parents (a child may come before its parent; every
 * parent must be in units or in the table, else -ENOENT) and attributes,
 * which replace the stored ones. Rows not given are kept, for their history.
 * One transaction, all or nothing; then reloads the code -> id maps used by
 * the look-ups below. compute_sync_config() calls it for a configuration.
 */
int store_define(struct store *st, const struct store_unit_def *units, size_t nunits,
                 const struct store_indicator_def *ind, size_t nind);

/*
 * Inserts unit code or updates its name and parent (parent_code NULL: a root;
 * an unknown parent is -ENOENT and changes nothing). Attributes are kept.
 * Refreshes the look-ups below.
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

typedef int (*store_unit_cb)(const struct store_unit_row *row, void *ctx);
typedef int (*store_indicator_cb)(const struct store_indicator_row *row, void *ctx);

/* Each walk returns 0, the callback's non-zero return (which stops it), or
 * -EIO. Units and indicators come by code. */
int store_units_list(struct store *st, store_unit_cb cb, void *ctx);
int store_indicators_list(struct store *st, store_indicator_cb cb, void *ctx);

/* Pages of those walks: codes after after (NULL: from the first), at most
 * limit rows; and the number of rows in the table. */
int store_units_page(struct store *st, const char *after, long limit, store_unit_cb cb, void *ctx);
int store_indicators_page(struct store *st, const char *after, long limit, store_indicator_cb cb,
                          void *ctx);
int store_units_count(struct store *st, long *n);
int store_indicators_count(struct store *st, long *n);

/* ---- Ingest ---- */

/* One observation to ingest. */
struct store_obs {
    int64_t unit_id;
    int64_t indicator_id;
    struct period period;
    double value;       /* finite; ignored when missing (NAN there is best) */
    const char *status; /* the published status code ("p", "e", "P", "B"), borrowed
                           for the call; NULL or "" for none; at most
                           STORE_STATUS_MAX bytes */
    int missing;        /* 1: the source said "no value": stored as NULL, never 0 */
};

/* The longest status code store_ingest() takes (bytes). */
#define STORE_STATUS_MAX 32

/* What an ingest did; a run (bookkeeping.h) records its totals. */
struct store_counts {
    long n_new;       /* keys seen for the first time */
    long n_revised;   /* a new vintage for a changed value, status or missingness */
    long n_unchanged; /* identical value, status and missingness: nothing written */
    long n_rejected;
};

/*
 * Ingests one batch in one transaction, all or nothing: n observations (new
 * vintages stamped with time now, in us) and nrej rejects, both tied to
 * run_id. Adds to *counts (may be NULL). On error nothing of the batch is kept.
 */
int store_ingest(struct store *st, int64_t run_id, int64_t now, const struct store_obs *obs,
                 size_t n, const struct store_reject *rej, size_t nrej,
                 struct store_counts *counts);

/* A key whose value the source withdrew (SDMX action "Delete"): one period
 * of (unit, indicator), or every period of it when all_periods. */
struct store_obs_delete {
    int64_t unit_id;
    int64_t indicator_id;
    struct period period; /* unset when all_periods */
    int all_periods;
};

/* Told the period text of each vintage store_delete_obs() ended. */
typedef void (*store_deleted_cb)(const char *period, void *ctx);

/*
 * Ends the current vintage of each of the n keys at time now (us): the key
 * then has no current value, as-of queries before now still see it, and no
 * row is removed (the rule above). A key without a current value changes
 * nothing. Calls cb (may be NULL) for each vintage ended and adds their
 * number to *n_deleted (may be NULL). One savepoint inside the caller's
 * transaction (or a transaction of its own): all or nothing.
 */
int store_delete_obs(struct store *st, int64_t now, const struct store_obs_delete *d, size_t n,
                     store_deleted_cb cb, void *ctx, long *n_deleted);

/*
 * store_ingest() for one part of a batch too large to hold, inside the
 * caller's unit of work (store_begin()) and without a savepoint of its own:
 * parkstat import stores a file of millions of rows in chunks, all in one
 * transaction. (A savepoint per chunk copies every page the chunk changes
 * into the sub-journal: it made such an import 40 % slower.) On an error
 * the store is left mid-part: the caller must roll its unit of work back
 * whole. Returns 0, -EINVAL outside a unit of work, or as store_ingest().
 */
int store_ingest_part(struct store *st, int64_t run_id, int64_t now, const struct store_obs *obs,
                      size_t n, const struct store_reject *rej, size_t nrej,
                      struct store_counts *counts);

/*
 * Duplicate keys (unit, indicator, period) within a batch: first_of[i] (room
 * for n) is set to the index of the earlier observation with the same key, or
 * -1 for a first occurrence. Returns the number of duplicates or -ENOMEM.
 */
long store_find_duplicates(const struct store_obs *obs, size_t n, long *first_of);

/*
 * Keys whose current value came from an earlier run of the same source and
 * period but that are absent from this batch (kept, never deleted): the
 * count, or a negative errno.
 */
long store_count_absent(struct store *st, int64_t run_id, const char *source, const char *period,
                        const struct store_obs *obs, size_t n);

/* ---- Queries by code ---- */

/* A stored observation, as handed to a query callback (strings borrowed for
 * the duration of the call). */
struct store_obs_row {
    const char *unit;
    const char *indicator;
    const char *period;
    double value;       /* NAN when missing */
    int missing;        /* 1: the source said "no value" */
    const char *status; /* status code or NULL */
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
    /* Keyset paging: only rows after this key in the order below (after_unit
     * NULL: from the first), at most limit of them (0: all). */
    const char *after_unit, *after_indicator, *after_period;
    int64_t after_valid_from;
    long limit;
};

typedef int (*store_obs_cb)(const struct store_obs_row *row, void *ctx);

/* Calls cb for each matching row, ordered by unit, indicator, period, valid_from.
 * A non-zero return from cb stops the walk and is returned. */
int store_observations(struct store *st, const struct store_obs_query *q, store_obs_cb cb,
                       void *ctx);

/* The number of rows store_observations() gives for q without its paging
 * (after_*, limit) into *n. Returns 0 or -EIO. */
int store_observations_count(struct store *st, const struct store_obs_query *q, long *n);

/* Number of observation rows (every vintage) and of current keys. */
int store_count_observations(struct store *st, long *rows, long *current);

/* ---- Bulk reads by id ---- */

/* One current (or as-of) observation by database ids; period is not NUL-safe
 * beyond len bytes and is borrowed for the call. value is NAN for a value the
 * source said is missing (never 0). */
typedef int (*store_obs_id_cb)(int64_t unit_id, int64_t indicator_id, const char *period,
                               size_t len, double value, void *ctx);

/* Walks the current observations (as_of 0) or those valid at as_of (us) in
 * no particular order. Returns 0, cb's non-zero return, or -EIO. */
int store_obs_walk_ids(struct store *st, int64_t as_of, store_obs_id_cb cb, void *ctx);

/* How a walk reads, chosen by the caller (store_obs_walk_split,
 * store_obs_current). NULL options: one part on the caller's thread. */
struct store_walk_opts {
    const struct exec *ex; /* reads the upper half beside the caller; NULL: one part */
    int64_t split_pages;   /* databases of fewer pages are walked in one part;
                              0: 4096 (16 MiB); 1: every walk with an executor */
    /* store_obs_current: columns whose period text this refuses (0) are
     * skipped, their values never read; NULL: every column. */
    int (*want_period)(const char *period, size_t len, void *ctx);
    void *want_ctx;
    /* store_obs_current: with at most this many units touched since the copy
     * was written, their rows are read after the columns (exact as ever)
     * instead of merged into the copy first: a merge reads and writes every
     * column a touched unit has, which costs a reader of a few columns more
     * than the rows; a later reader merges them. 0: merge any. */
    size_t defer_merge;
};

/* As store_obs_walk_ids(), in two halves by unit id read at once: cb gets
 * ctx[0] for the lower half on the caller's thread and ctx[1] for the upper
 * on a task of o->ex (each ctx only ever from one). Both halves see the same
 * data. When that cannot be had (no executor or it cannot start a task, a
 * small or in-memory database, caller's open transaction, a commit in
 * between) everything goes to ctx[0] on the caller's thread. Returns the
 * number of parts read (1 or 2), cb's non-zero return, or -EIO. */
int store_obs_walk_split(struct store *st, int64_t as_of, const struct store_walk_opts *o,
                         store_obs_id_cb cb, void *ctx[2]);

/* One column of current values (store/columns.c): the n values of one
 * indicator in one period, by unit id ascending (NAN: missing). All pointers are borrowed
 * for the call; period is not NUL-terminated beyond len bytes. */
typedef int (*store_column_cb)(int64_t indicator_id, const char *period, size_t len, size_t n,
                               const int64_t *unit_ids, const double *values, void *ctx);

/*
 * Every current observation, read from the column copy (table obs_column):
 * first brings the copy up to date when the connection may write and no
 * transaction is open (a write transaction; skipped when another connection
 * holds the write lock), then calls ccb per column and ocb for the current
 * rows of units changed since the copy was written, which replace what the
 * columns said of them. A rebuild of the whole copy walks the table with
 * store_obs_walk_split() and o (NULL: one part). Returns 0, a callback's
 * non-zero return, -EAGAIN when the copy is too far behind to be worth
 * reading (walk instead), -EIO or -ENOMEM.
 */
int store_obs_current(struct store *st, const struct store_walk_opts *o, store_column_cb ccb,
                      store_obs_id_cb ocb, void *ctx);

/*
 * Rebuilds the column copy now when store_obs_current() would rebuild it
 * (so many units changed since it was written that it walks the table: an
 * import of a whole file), for the writer of those changes (parkstat
 * import), so that the next reader does not walk. Memory stays bounded
 * whatever the units: the walk (store_obs_walk_split() with o) keeps 16 KiB
 * of each column per half and spills the rest to a temporary file, and the
 * columns are written one at a time, the same bytes a reader's rebuild writes. Does nothing when
 * few units are touched (a reader merges them cheaply), on a read-only connection or inside a
 * transaction. Returns 0, -EBUSY (another connection holds the write lock: nothing done, the next
 * reader rebuilds), -EIO or -ENOMEM.
 */
int store_columns_build(struct store *st, const struct store_walk_opts *o);

/* The current rows of the units ids[0..n) (database ids), unit by unit, in
 * one read transaction: what a reader of a few units' values needs, without
 * the rest of the store. Returns 0, cb's non-zero return, or -EIO. */
int store_obs_units(struct store *st, const int64_t *ids, size_t n, store_obs_id_cb cb, void *ctx);

/*
 * The current values of the indicators ind_ids[0..nind) only (database ids),
 * read from the column copy as it stands (never written here): ccb per
 * column of those indicators (one indexed read each, every unit's value),
 * then ocb for the current rows of the units touched since the copy was
 * written (every indicator of them), which replace what the columns said of
 * them; units (ascending database ids, NULL: all) limits those rows to its
 * units. One read transaction: exactly the current values, as
 * store_obs_current(). Returns 0, a callback's non-zero return, -EAGAIN
 * when the copy is missing, damaged or too far behind (read the rows
 * instead), -EIO or -ENOMEM.
 */
int store_obs_current_of(struct store *st, const int64_t *ind_ids, size_t nind,
                         const int64_t *units, size_t nunits, store_column_cb ccb,
                         store_obs_id_cb ocb, void *ctx);

/* One (indicator, period) key of the column copy; period borrowed for the
 * call, not NUL-terminated beyond len bytes. */
typedef int (*store_period_cb)(int64_t indicator_id, const char *period, size_t len, void *ctx);

/*
 * Which periods hold current values, cheaply: pcb for each (indicator,
 * period) of the column copy (its blobs unread; a column never loses a unit,
 * so each has a current value), then ocb for the current rows of the units
 * touched since the copy was written. Never writes. Returns 0, a callback's
 * non-zero return, -EAGAIN when the copy is missing or too far behind (walk
 * the table instead), or -EIO.
 */
int store_obs_periods(struct store *st, store_period_cb pcb, store_obs_id_cb ocb, void *ctx);

/* A number that changes whenever observations may have: the newest run id
 * (every write of observations adds a run in the same transaction). One
 * look-up of the run table's last row. Returns 0 or -EIO. */
int store_obs_generation(struct store *st, int64_t *out);

#endif
