/*
 * results.h - index results: the scores, ranks and contributions compute/
 * derives from the observations, and the marks that say which are stale
 * (docs/ARCHITECTURE.md, "Store"; docs/INDICES.md §4).
 *
 * One result row is one unit of one index in one period: the total in
 * columns, the dimension scores and leaf contributions as blobs of doubles
 * whose positions the index's layout names.
 *
 * Rules:
 * - Results are derived data, never edited: a recompute replaces the rows of
 *   each (index, period) it computes, with their layout and config hash, in
 *   one transaction, all or nothing; readers see the old rows or the new.
 * - A mark (index, period) says the observations under it changed since its
 *   results were written (store_mark_recompute()); the recompute that
 *   replaces those results deletes the mark in the same transaction, so a
 *   crash leaves the mark and the next run redoes it.
 * - The config hash of an index decides between an incremental and a full
 *   recompute; losing it only forces a full one.
 */
#ifndef PARKSTAT_STORE_RESULTS_H
#define PARKSTAT_STORE_RESULTS_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* ---- Recompute marks and config hashes ---- */

/* Marks (index_id, period) for recomputation. */
int store_mark_recompute(struct store *st, const char *index_id, const char *period);

typedef int (*store_mark_cb)(const char *index_id, const char *period, void *ctx);

/* Calls cb for every (index, period) marked by store_mark_recompute(). */
int store_recompute_marks(struct store *st, store_mark_cb cb, void *ctx);

/* The config hash stored for index_id by the last recompute into buf.
 * Returns 0, -ENOENT when none, -EIO. */
int store_index_hash_get(struct store *st, const char *index_id, char *buf, size_t size);

/* ---- Writing results ---- */

/*
 * The positions in an index's result rows (schema version 3): node i of nodes
 * (the dimensions: every inner node but the total) fills values
 * STORE_NODE_FIELDS * i .. + 3 of a row's nodes blob (score, rank, rank change,
 * flags; packed, exact, read by SQL blob_double(): docs/INDICES.md); leaf i of
 * leaves fills double i of its contribs blob. Stored in the
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

/*
 * The ranking of an (index, period) in its own compact form (schema version
 * 16, table result_ranking): the keys of its rows in the order of a ranking
 * page (unranked last, rank, unit code), in chunks of up to
 * STORE_RANKING_CHUNK entries of STORE_RANKING_ENTRY bytes. The writer
 * builds it from the rows it is sent; a period's rows sent together (as a
 * recompute does) need no reading back.
 */
#define STORE_RANKING_CHUNK 256
#define STORE_RANKING_ENTRY 28

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

/* The units (store ids, ascending) of an (index, period) whose rows the
 * transaction has written in full: any other unit's row there is deleted. */
struct store_result_sweep {
    const char *index_id;
    const char *period;
    const int64_t *units;
    size_t nunits;
};

/* The periods an index now has results for: its rows and derived weights of
 * any other period are deleted. */
struct store_result_prune {
    const char *index_id;
    const char *const *periods;
    size_t nperiods;
};

struct store_index_hash {
    const char *index_id;
    const char *hash;
};

/* The weight of child among the children of node (an index node with derived
 * weights, docs/INDICES.md) used for one index and period. */
struct store_index_weight {
    const char *index_id;
    const char *period;
    const char *node, *child;
    double weight;  /* among child's siblings, sums to 1 */
    unsigned flags; /* COMPUTE_FLAG_WEIGHTS_FALLBACK: the configured weight */
};

/* Everything one recompute writes, or one part of it. All arrays are
 * borrowed. */
struct store_results_batch {
    const struct store_result_key *clear; /* results and marks to delete */
    size_t nclear;
    const struct store_result_key *refresh; /* marks and weights to delete: the */
    size_t nrefresh;                        /* results are rewritten in place */
    const struct store_result_sweep *sweep; /* after the rows: stale units deleted */
    size_t nsweep;
    int in_place; /* the rows most likely exist with the same rank: updated in place */
    const struct store_result_prune *prune; /* after the sweeps */
    size_t nprune;
    const struct store_index_layout *layouts; /* replace the stored layout of each */
    size_t nlayouts;
    const struct store_result *results; /* in primary key order (index, period, unit) */
    size_t nresults;                    /* for speed; any order works */
    const struct store_index_hash *hashes;
    size_t nhashes;
    const struct store_index_weight *weights; /* derived weights used (schema version 6) */
    size_t nweights;
    int64_t computed_at;     /* us */
    const char *const *wipe; /* indices whose results are all deleted first */
    size_t nwipe;            /* (a full recompute); may be NULL */
};

/*
 * One transaction, all or nothing, fed in parts so that rows are written
 * while later ones are still computed: store_results_start() starts a writer
 * task on ex that takes the write lock (BEGIN IMMEDIATE) and applies each
 * part sent, in order: it deletes everything of the wiped indices and the
 * results, weights and recompute marks of every cleared (index, period), the
 * weights and marks of every refreshed one, replaces the given layouts,
 * inserts or replaces the rows (an existing row of the same key is updated in
 * place: a page whose bytes stay the same is not written), deletes the rows
 * of each swept (index, period) whose unit is not in its list, the rows and
 * weights of each pruned index in periods not in its list, inserts the
 * weights and records the index hashes;
 * store_results_finish() commits (commit = 1) or rolls back, waits for the
 * task and frees the stream. With ex NULL (or when it cannot start a task)
 * start opens the transaction itself and send applies each part before it
 * returns: the same rows. From start to finish the writer owns st: the
 * caller must not use st, and must keep every array a sent part points to.
 * A failed part makes the later ones skipped and finish return its error
 * (-EIO, -EBUSY, -ENOMEM) after a rollback. start returns 0, -ENOMEM, -EIO,
 * or -EBUSY (no writer task and the write lock was not had).
 */
struct exec;
struct store_results_stream;
int store_results_start(struct store *st, const struct exec *ex, struct store_results_stream **out);
int store_results_send(struct store_results_stream *s, const struct store_results_batch *b);
/* As store_results_send(), and the stream frees owned (malloc'd; may be
 * NULL) once b is applied, or at once on failure: b may point into it. While
 * an earlier owned part still waits for the writer, the call waits, so the
 * memory of rows sent but not written stays bounded (about two parts). */
int store_results_send_owned(struct store_results_stream *s, const struct store_results_batch *b,
                             void *owned);
/* Lets up to max_owned owned parts wait for the writer instead of one (0:
 * one): a caller that writes few periods queues a whole period's rows and
 * computes the next meanwhile. */
void store_results_queue(struct store_results_stream *s, size_t max_owned);
int store_results_finish(struct store_results_stream **s, int commit);

/* ---- Reading results ---- */

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

/* ---- Results by index, period and unit ---- */

/* Rows handed to the callbacks below; strings are borrowed for the call. */
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

typedef int (*store_index_cb)(const struct store_index_row *row, void *ctx);
typedef int (*store_index_result_cb)(const struct store_index_result_row *row, void *ctx);
typedef int (*store_index_contrib_cb)(const struct store_index_contrib_row *row, void *ctx);

/* Each walk returns 0, the callback's non-zero return (which stops it), or
 * -EIO. */

/* Every index with results, by id. */
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

/* ---- Pages of those lists, for the API (keyset paging) ---- */

/* Indices with id after after (NULL: from the first), at most limit (0: all);
 * and how many indices have results. */
int store_indices_page(struct store *st, const char *after, long limit, store_index_cb cb,
                       void *ctx);
int store_indices_count(struct store *st, long *n);

/* One index and period, of one unit or of the units with code in
 * (after_unit, last_unit] (each NULL: open). */
struct store_index_query {
    const char *index_id, *period;
    const char *unit;       /* NULL: every unit */
    const char *after_unit; /* NULL: from the first */
    const char *last_unit;  /* NULL: to the last */
};

/* store_index_results() and store_index_contributions() of q's units. */
int store_index_results_q(struct store *st, const struct store_index_query *q, int totals_only,
                          store_index_result_cb cb, void *ctx);
int store_index_contributions_q(struct store *st, const struct store_index_query *q,
                                store_index_contrib_cb cb, void *ctx);

/* Where a ranking page ended: the last row's rank (unranked: no rank) and
 * unit code. */
struct store_rank_key {
    int unranked;
    long rank;
    const char *unit;
};

/* The totals of index_id for period after the key (NULL: from the best), in
 * ranking order (no rank last, then by unit), at most limit (0: all). */
int store_index_ranking_page(struct store *st, const char *index_id, const char *period,
                             const struct store_rank_key *after, long limit,
                             store_index_result_cb cb, void *ctx);

/* The totals (the unit, node index_id) of index_id for period of the units
 * with code after after (NULL: from the first), by code, at most limit; and
 * how many units have results of index_id for period. */
int store_index_units_page(struct store *st, const char *index_id, const char *period,
                           const char *after, long limit, store_index_result_cb cb, void *ctx);
int store_index_units_count(struct store *st, const char *index_id, const char *period, long *n);

/* ---- Derived weights ---- */

struct store_index_weight_row {
    const char *node, *child; /* borrowed for the call */
    double weight;
    unsigned flags;
};

typedef int (*store_index_weight_cb)(const struct store_index_weight_row *row, void *ctx);

/* The derived weights stored for index_id and period, by node and child.
 * Returns 0, the callback's non-zero return, or -EIO. */
int store_index_weights(struct store *st, const char *index_id, const char *period,
                        store_index_weight_cb cb, void *ctx);

#endif
