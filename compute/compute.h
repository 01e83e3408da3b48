/*
 * compute.h - the aggregation engine: reads stored observations, runs the pure
 * aggregate/ functions over dense arrays and writes index results back
 * (docs/INDICES.md).
 *
 * A struct compute is a snapshot of the store's observations (current, or as
 * of a time) prepared for one config: period values derived from
 * year-to-date series, roll-ups over the unit hierarchy with coverage, and
 * derived indicators evaluated by SQLite formulas (formula/formula.h) after
 * roll-up. Series and index results are read from the snapshot.
 */
#ifndef PARKSTAT_COMPUTE_H
#define PARKSTAT_COMPUTE_H

#include <stddef.h>
#include <stdint.h>

#include "aggregate/sensitivity.h"

#include "common/period.h"

struct compute;
struct config;
struct exec;
struct store;

/* Where a recompute is, for a progress line (compute_opts.progress). */
struct compute_progress {
    const char *phase;  /* "load" (reading observations), "index" (index's periods
                           computed and written one by one), "commit" */
    const char *index;  /* the index (phase "index"), else NULL */
    const char *period; /* the period just handed to the writer, else NULL */
    size_t done, total; /* periods of the index done, of its periods (with or without
                           data: an upper bound of those written) */
    double seconds;     /* since the recompute started */
};

typedef void (*compute_progress_cb)(const struct compute_progress *pr, void *ctx);

/*
 * How the engine runs, chosen by its caller; the engine starts no thread of
 * its own. NULL options: everything on the caller's thread, the default
 * thresholds. Results are the same either way.
 */
struct compute_opts {
    const struct exec *ex;        /* runs the upper half of a walk, the second half of an
                                     index's periods and the result writer beside the
                                     caller (common/exec.h); NULL: the caller's thread only */
    size_t split_cells;           /* runs of fewer leaf x unit x period cells compute their
                                     periods in one part; 0: 200,000 */
    int64_t walk_split_pages;     /* store_walk_opts.split_pages; 0: 4096 */
    int walk_table;               /* 1: current values walked from the observation table,
                                     never read from the column copy (tests compare them) */
    size_t window_bytes;          /* memory of the periods an index holds at once
                                     (compute_priv.h, cmp_run_each); 0: 192 MiB */
    compute_progress_cb progress; /* NULL: none; called on the caller's thread */
    void *progress_ctx;
};

/* Per value (series) and per result flags (bits), stored in result.flags. */
enum compute_flag {
    COMPUTE_FLAG_INCOMPLETE = 1,   /* a roll-up had coverage below 100 % */
    COMPUTE_FLAG_REWEIGHTED = 2,   /* a child was missing; weights renormalised */
    COMPUTE_FLAG_CARRIED = 4,      /* a value was carried forward from an earlier period */
    COMPUTE_FLAG_EXCLUDED = 8,     /* missing data under "exclude", or screened out */
    COMPUTE_FLAG_MISSING = 16,     /* no value */
    COMPUTE_FLAG_IMPUTED = 32,     /* a value was imputed (group mean) */
    COMPUTE_FLAG_TWO_MONTHS = 64,  /* February value covers January and February */
    COMPUTE_FLAG_DEGENERATE = 128, /* an indicator had zero spread (min-max 50, efficacy 80) */
    COMPUTE_FLAG_ROLLED_UP = 256,  /* value is a roll-up of the unit's children */
    COMPUTE_FLAG_TREATED = 512,    /* an outlier treatment changed an indicator */
    COMPUTE_FLAG_WEIGHTS_FALLBACK = 1024, /* derived weights undefined: configured ones used */
};

/*
 * Loads every current observation (as_of 0) or every one valid at as_of (us)
 * of the indicators of cfg from st and prepares the series. The config is
 * borrowed and must outlive the snapshot; the store is only read during the
 * call; o (NULL: defaults) is copied. Returns 0 and *out, or -ENOMEM, -EIO,
 * -EINVAL (a formula refused).
 */
int compute_open(struct compute **out, struct store *st, const struct config *cfg, int64_t as_of,
                 const struct compute_opts *o);

/* The years of the periods a whole-store snapshot of cfg holds. */
struct compute_years {
    int y0, nyears; /* nyears 0: no data */
};

/*
 * The years compute_open(as_of 0) would cover, without loading the values:
 * the keys of the column copy and the rows of units touched since (one walk
 * of the table when the copy is missing or far behind). A column whose units
 * the config all no longer names still counts. Returns 0 or a negative errno.
 */
int compute_years(struct store *st, const struct config *cfg, struct compute_years *out);

/* The children of each unit of a config, for compute_open_unit(). */
struct compute_tree;

/* Builds the children lists of cfg's units (cfg must outlive them).
 * Returns 0 and *out, or -ENOMEM. */
int compute_tree_new(const struct config *cfg, struct compute_tree **out);

/* Frees the lists and sets *tp = NULL. NULL is a harmless no-op. */
void compute_tree_free(struct compute_tree **tp);

/*
 * A snapshot of unit's subtree only (the unit and every unit below it) with
 * current values, over the years y (compute_years(), widened to the subtree's
 * own data if need be): the same series for that unit as compute_open()'s,
 * from its own rows and those of its descendants, never the rest of the store.
 * Only compute_snapshot_series() on unit itself is meant for it; ind (NULL:
 * every indicator) limits it to that indicator and those it is computed from
 * (a rate's components, a formula's references), the others left empty.
 * tree: cfg's
 * (compute_tree_new(); NULL: built for the call, a pass over every unit).
 * Costs the subtree's units, not the config's: every row of each of its
 * units, or for a large subtree the column copy's columns of those
 * indicators (every unit's value, a few reads per period), whichever costs
 * less. Returns 0
 * and *out, -ENOENT (unknown unit), -ENOMEM, -EIO, -EINVAL.
 */
int compute_open_unit(struct compute **out, struct store *st, const struct config *cfg,
                      const struct compute_tree *tree, const char *unit, const char *ind,
                      const struct compute_years *y, const struct compute_opts *o);

/* How compute_open_unit_by() reads a subtree's current values. */
enum compute_unit_read {
    COMPUTE_READ_AUTO,    /* the cheaper of the two for the subtree's size
                             (compute_open_unit) */
    COMPUTE_READ_ROWS,    /* every current row of each unit of the subtree */
    COMPUTE_READ_COLUMNS, /* the column copy's columns of the indicators wanted (every
                             unit of the store) and the rows of the subtree's units
                             touched since; the rows when the copy is missing or far
                             behind */
};

/*
 * As compute_open_unit(), read as how says; *used (NULL: not wanted) gets
 * what was read (COMPUTE_READ_ROWS or COMPUTE_READ_COLUMNS). The same
 * values either way, so the same series.
 */
int compute_open_unit_by(struct compute **out, struct store *st, const struct config *cfg,
                         const struct compute_tree *tree, const char *unit, const char *ind,
                         const struct compute_years *y, const struct compute_opts *o,
                         enum compute_unit_read how, enum compute_unit_read *used);

/* Frees the snapshot and sets *cp = NULL. NULL is a harmless no-op. */
void compute_free(struct compute **cp);

/*
 * Brings the unit and indicator tables of st in line with cfg (insert new
 * ones, update names, parents and attributes; rows the config no longer
 * names are kept, for their history) and loads the store's code -> id maps.
 * One transaction (store_define()). Returns 0 or a negative errno.
 */
int compute_sync_config(struct store *st, const struct config *cfg);

/* Transforms of a series. */
enum compute_transform {
    COMPUTE_VALUE,   /* period values */
    COMPUTE_YOY,     /* % change on the same period a year earlier */
    COMPUTE_POP,     /* % change on the previous period */
    COMPUTE_YTD_YOY, /* % change of the year-to-date sum on a year earlier */
};

/* One point of a series, handed to a callback (period borrowed for the call). */
struct compute_point {
    const char *period;
    double value;    /* NAN when missing */
    double coverage; /* share of children that reported (1 for own values) */
    unsigned flags;  /* COMPUTE_FLAG_* */
};

typedef int (*compute_point_cb)(const struct compute_point *pt, void *ctx);

/*
 * Calls cb for each period from..to (period texts of the indicator's frequency
 * or coarser, inclusive; NULL: the whole loaded range) of indicator at unit,
 * transformed. Returns 0, cb's non-zero return, -ENOENT (unknown unit or
 * indicator), -EINVAL (bad periods).
 */
int compute_snapshot_series(struct compute *c, const char *unit, const char *indicator,
                            const char *from, const char *to, enum compute_transform tr,
                            compute_point_cb cb, void *ctx);

/* What a recompute did. */
/* The rules of config checks (enum config_check_rule), for compute_summary. */
#define COMPUTE_CHECK_RULES 6

struct compute_summary {
    size_t indices;  /* indices recomputed */
    size_t periods;  /* (index, period) pairs written */
    size_t units;    /* distinct units scored */
    size_t results;  /* results written (unit x node x period; one stored row holds
                        a unit's nodes of one period) */
    size_t contribs; /* contributions written (unit x leaf x period) */
    double seconds;  /* wall time, load to commit */
    double load_s;   /* of which: reading the observations and preparing series */
    double write_s;  /* of which: the write transaction */
    int load_parts;  /* 0: from the column copy; else walked in 1 or 2 parts at once */
    size_t split;    /* indices whose periods were computed in two halves at once */
    int full;        /* 1 when a full recompute ran */
    int partial;     /* 1 when an incremental one read only the periods it needs */
    size_t months;   /* months the snapshot's arrays held (whole years, or a partial
                        run's periods read: compute_priv.h, struct cmp_months) */
    /* consistency check violations found, per rule (enum config_check_rule) */
    size_t violations[COMPUTE_CHECK_RULES];
};

/*
 * Recomputes index results from st's current observations and writes them in
 * one transaction. full = 1: every index and every period with data.
 * full = 0: only the (index, period) pairs marked in the recompute table and
 * the periods depending on them (the next period's rank change and
 * contributions; every later period for chained indices, carry-forward and a
 * marked base period), then clears those marks; an index whose config changed
 * since it was last computed (hash in index_state) is recomputed in full.
 * o (NULL: defaults) says how it runs; sum may be NULL. Returns 0, -EIO (a
 * store error: store_errmsg() says which), or -ENOMEM, -EINVAL (logged where
 * they arose: the config loader has checked every method option already).
 */
int compute_recompute(struct store *st, const struct config *cfg, int full,
                      const struct compute_opts *o, struct compute_summary *sum);

/* One unit's ranks under uncertainty (aggregate/sensitivity.h). */
struct compute_sens_unit {
    const char *unit; /* the unit's id, borrowed from the config */
    const char *name;
    double score;   /* its nominal score (NAN: not scored) */
    double nominal; /* its nominal rank among its siblings */
    double median, p05, p95;
};

struct compute_sens {
    struct compute_sens_unit *units; /* nu, in the index's unit order; owned */
    size_t nu;
    double first_order[SENS_N_ASSUMPTIONS]; /* NAN: not varied or no variance */
    double mean_shift;                      /* mean absolute rank shift per unit */
    size_t evaluations;
};

/*
 * The Monte Carlo uncertainty and sensitivity analysis of index_id's ranks in
 * period (text of the index's frequency) on snapshot c, with the options o
 * (runs, seed, the assumptions varied). The index is run as a recompute runs
 * it; the analysis starts from its normalised values of that period, the
 * cells imputation (or "carry") filled being those whose raw value is
 * missing. Returns 0 and *out (free with compute_sens_free()), -ENOENT
 * (unknown index), -EINVAL (a period not of the index's frequency, bad
 * options), -ENODATA (no data in that period), -ENOMEM; err says which.
 */
int compute_sensitivity(struct compute *c, const char *index_id, const char *period,
                        const struct sens_opts *o, struct compute_sens *out, char *err,
                        size_t errsize);

void compute_sens_free(struct compute_sens *s);

#endif
