/*
 * compute_priv.h - internals shared by the files of compute/: the snapshot
 * struct with its dense arrays and the helpers that convert series between
 * frequencies. Not for use outside compute/.
 *
 * Every series is a dense array unit x period: v[u * nper(freq) + p], where
 * period p of frequency freq starts at month mon0 + p x (12 / freq) (whole
 * years from y0: year y0 + p / freq, index p % freq + 1, but in a partial
 * snapshot of one frequency, which holds only the months around those it
 * read), and units are in config order. NAN is missing.
 */
#ifndef PARKSTAT_COMPUTE_PRIV_H
#define PARKSTAT_COMPUTE_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "common/period.h"
#include "compute/compute.h"
#include "config/config.h"

struct formula_env;

/* One indicator at one frequency. */
struct cseries {
    enum period_freq freq;
    double *v;    /* nunits x nper values */
    double *cov;  /* coverage per value (1 for own values) */
    unsigned *fl; /* COMPUTE_FLAG_* per value */
};

struct compute {
    const struct config *cfg;
    const struct config_unit *units;
    const struct config_indicator *inds;
    size_t nu, ni;
    int64_t *unit_db;  /* store id per config unit, -1 when unknown */
    int unit_db_set;   /* 1: unit_db was looked up (cmp_unit_ids), not to be again */
    int y0, nyears;    /* years covered by the loaded data (nyears 0: no data) */
    long mon0;         /* the first month held: year x 12 + month - 1 (y0 x 12 for whole years) */
    size_t nmon;       /* months held: whole periods of every frequency loaded (nyears x 12
                          for whole years; fewer in a partial snapshot, cmp_months.align) */
    struct cseries *s; /* per indicator, at its own frequency, after roll-up and formulas */
    double **cum;      /* per cumulative indicator: rolled-up year-to-date values, else NULL */
    struct formula_env *env;  /* codes = indicator codes in config order; NULL without formulas */
    int load_parts;           /* 0: from the column copy; else walked in 1 or 2 parts */
    int partial;              /* 1: only some periods were read (cmp_load's only); the
                                 roll-ups skip periods without any value */
    unsigned char **placed;   /* a partial snapshot's loading: per indicator and period,
                                 1 when a value was placed there (NULL: not known) */
    int no_rollups;           /* 1: nothing reads a parent's value (a partial recompute
                                 whose indices score no parent): flows and stocks are
                                 not rolled up */
    struct compute_opts opts; /* the caller's, for the runs of this snapshot */
    struct cmp_own *own;      /* own values a "rolled_up" roll-up replaced (checks.c) */
    size_t n_own, cap_own;
    /* A snapshot of one unit's subtree (compute_open_unit): units is a copy of
     * the subtree's config units (the unit first, parent_index renumbered),
     * cfg_of[u] the config index of unit u. NULL: every config unit. */
    struct config_unit *sub_units;
    long *cfg_of;
    /* Per indicator, 1 when the snapshot computes it (a unit's snapshot: the
     * one asked for and its components); NULL: every indicator. */
    unsigned char *want;
};

/* 1 when snapshot c computes indicator k. */
static inline int cmp_wants(const struct compute *c, size_t k)
{
    return !c->want || c->want[k];
}

/* The config index of snapshot unit u. */
static inline size_t cmp_cfg_unit(const struct compute *c, size_t u)
{
    return c->cfg_of ? (size_t)c->cfg_of[u] : u;
}

/* A parent's own value at element i of indicator k's rolled-up array (the
 * year-to-date array of a cumulative indicator), replaced by the sum of its
 * children because a hierarchy check says "rolled_up". */
struct cmp_own {
    size_t k, i;
    double v;
};

/* Months wanted by a partial load: ranges lo[i] .. hi[i] of year x 12 +
 * month - 1, inclusive. align (1, 3 or 6) lets the snapshot hold only the
 * months from the first to the last period read, widened to whole multiples
 * of align months: for a config whose indicators and indices all have the
 * frequency of that period length, none of them cumulative (no year-to-date
 * values, no frequency conversion). 0 or 12: whole years. */
struct cmp_months {
    long *lo, *hi;
    size_t n, caplo, caphi;
    int align;
};

/* Adds the months from the first of from to the last of to; 0 or -ENOMEM. */
int cmp_months_add(struct cmp_months *m, struct period from, struct period to);
/* 1 when period q overlaps a wanted month (m NULL: always). */
int cmp_months_want(const struct cmp_months *m, struct period q);
void cmp_months_free(struct cmp_months *m);

/* Looks up the store ids of c's units into c->unit_db, which the load then
 * uses as they are. Returns the number of units the store does not know, or
 * -ENOMEM. */
long cmp_unit_ids(struct compute *c, struct store *st);

/* A snapshot of cfg without observations yet (units, indicators, formulas'
 * environment; o copied, NULL: defaults). 0 or -ENOMEM, -EINVAL. */
int cmp_open_empty(struct compute **out, const struct config *cfg, const struct compute_opts *o);

/* Loads c's observations (current, or as of as_of) and prepares its
 * series, once. only (NULL: everything) keeps the observations of the periods
 * overlapping its months: the periods outside them are then empty. Returns
 * 0, -ENOMEM, -EIO, -EINVAL; on error c is to be freed. */
int cmp_load(struct compute *c, struct store *st, int64_t as_of, const struct cmp_months *only);

/* Number of periods of frequency f held (the loaded years x f, but in a
 * partial snapshot of fewer months). */
static inline size_t cmp_nper(const struct compute *c, enum period_freq f)
{
    return c->nmon / (12 / (size_t)f);
}

/* The period at position p of frequency f. */
struct period cmp_period_at(const struct compute *c, enum period_freq f, size_t p);

/* Position of period q in its frequency, or -1 outside the months held. */
long cmp_period_pos(const struct compute *c, struct period q);

/* Allocates a series of frequency f filled with NAN, coverage 1, flags 0. */
int cmp_series_alloc(const struct compute *c, enum period_freq f, struct cseries *out);
void cmp_series_free(struct cseries *s);

/*
 * Indicator k at frequency f (its own or coarser) into *out (allocated; free
 * with cmp_series_free): flows sum their sub-periods (cumulative monthly
 * series exactly from year-to-date values), stocks take the period-end value,
 * rates and derived indicators are recomputed from their converted inputs.
 * Returns 0, -ENOMEM, -EINVAL (f finer than the indicator).
 */
int cmp_series_at(struct compute *c, size_t k, enum period_freq f, struct cseries *out);

/* Evaluates the formula of derived indicator k at frequency f into out
 * (allocated by the caller with cmp_series_alloc). series.c */
int cmp_derived_eval(struct compute *c, size_t k, enum period_freq f, struct cseries *out);

/* Rolls up a rate k with numerator/denominator at its own frequency. */
int cmp_rate_rollup(struct compute *c, size_t k);

/* Evaluates every derived indicator in dependency order (series.c). */
int cmp_derived_all(struct compute *c);

/* ---- Index plans (index_plan.c) and runs (index.c) ---- */

#include "aggregate/composite.h"
#include "aggregate/outlier.h"

enum cmp_norm {
    NORM_FIXED_BASE,
    NORM_CHAINED,
    NORM_MINMAX,
    NORM_ZSCORE,
    NORM_EFFICACY,
    NORM_GOALPOSTS,
    NORM_RANK,
    NORM_BANDED,
};

enum cmp_impute { IMPUTE_NONE, IMPUTE_GROUP_MEAN, IMPUTE_CARRY };

/* Options of one leaf (one indicator column). */
struct cmp_leaf {
    size_t ind;           /* config indicator index */
    int dir;              /* +1 / -1 */
    long den;             /* indicator to divide by, or -1 */
    double x_s, x_h;      /* efficacy: unacceptable and satisfactory values, NAN: observed */
    double lo, hi;        /* goalposts */
    const double *breaks; /* banded: nb breaks, nb + 1 points (borrowed from the config) */
    const double *points;
    size_t nb;
};

/* An index from the config, ready to run over a snapshot. */
struct cmp_plan {
    const struct config_index *ix;
    enum cmp_norm norm;
    enum composite_method method;
    enum composite_missing missing;
    int carry; /* method.missing "carry" */
    enum cmp_impute impute;
    const char *impute_attr; /* group_mean: the unit attribute (borrowed) */
    double screen;           /* min share of present indicators, 0: off */
    int outlier;             /* 1: outlier treatment */
    struct outlier_opts oo;
    struct composite_node *nodes;        /* node 0 is the total (root) */
    const struct config_weights **wspec; /* per node: derived weights of its children, or NULL */
    int derived;                         /* 1 when some node has derived weights */
    const char **node_id;
    size_t nn;
    struct cmp_leaf *leaf; /* leaf l is composite column l */
    size_t nl;
    size_t *units; /* config unit indices scored */
    int *group;    /* per scored unit: parent config index (-1 root) */
    size_t nu;
    char hash[17]; /* FNV-1a 64 of the index JSON, hex */
};

/* Builds the plan of ix from its options, which the config loader checked.
 * Returns 0 or -ENOMEM. */
int cmp_plan_new(const struct compute *c, const struct config_index *ix, struct cmp_plan **out);
void cmp_plan_free(struct cmp_plan **pp);

/* Computed scores of one index over every period of its frequency. */
struct cmp_run {
    const struct cmp_plan *pl;
    enum period_freq freq;
    size_t np;
    char (*ptext)[PERIOD_TEXT_SIZE]; /* period texts */
    unsigned char *has_data;         /* per period: some leaf has a value */
    double *y;                       /* np x nu x nl normalised values */
    unsigned *uflags; /* np x nu leaf-level flags (incomplete, imputed, carried ...) */
    double *score;    /* np x nu x nn */
    unsigned *cflags; /* np x nu x nn composite flags */
    double *rank;     /* np x nu x nn, ranks among siblings */
    double *wt;       /* np x nn: weight of node j among its siblings in period p when its
                         parent derives them (docs/INDICES.md), else NAN; NULL: none derived */
    unsigned *pflags; /* np x nn: COMPUTE_FLAG_WEIGHTS_FALLBACK of node j and its ancestors */
    int split;        /* 1 when the periods were computed in two halves at once */
    /* y, uflags, score, cflags and rank hold periods base .. base + nslot - 1
     * (every period after cmp_run_index; a window after cmp_run_each) */
    size_t base, nslot;
};

/* Position of period p (held: base <= p < base + nslot) in the run's
 * per-period arrays. */
static inline size_t cmp_slot(const struct cmp_run *run, size_t p)
{
    return p - run->base;
}

/* Runs plan pl over snapshot c (all periods), the two halves of the periods
 * at once on c->opts.ex when big enough. Returns 0, -ENOMEM, -EINVAL. */
int cmp_run_index(struct compute *c, const struct cmp_plan *pl, struct cmp_run *run);

/* Called by cmp_run_each() once period p is computed, in period order; the
 * run holds p and p - 1. A non-zero return stops the run and is returned. */
typedef int (*cmp_period_cb)(const struct cmp_run *run, size_t p, void *ctx);

/*
 * As cmp_run_index(), but the per-period arrays hold only a window of
 * periods (about CMP_WINDOW_BYTES, at least two periods and the one before),
 * handed to cb one by one: memory bounded by the units, not the periods.
 * The run's other arrays (has_data, ptext, wt, pflags) cover every period.
 * need (NULL: all) marks the periods to compute; the others are left
 * without data (only for runs whose periods do not read earlier ones: no
 * "carry"): a period not needed is passed over (cb still called) without
 * moving the window, so each block of the window starts at a needed period
 * and holds as many as fit; a callback that reads p - 1 of a needed p must
 * have p - 1 needed too.
 * Returns 0, cb's non-zero return, -ENOMEM, -EINVAL.
 */
int cmp_run_each(struct compute *c, const struct cmp_plan *pl, struct cmp_run *run,
                 const unsigned char *need, cmp_period_cb cb, void *ctx);
void cmp_run_free(struct cmp_run *run);

/* The plan's nodes (malloc'd copy) with the derived weights period p used
 * (run->wt must not be NULL); a derived weight of 0 becomes the smallest
 * positive double, which composite_scores accepts: the child then counts only
 * when it is the only one present. NULL: out of memory. */
struct composite_node *cmp_period_nodes(const struct cmp_run *run, size_t p);

/* The result flags of unit u (plan order) at node j in period p. */
unsigned cmp_result_flags(const struct cmp_run *run, size_t p, size_t u, size_t j);

/*
 * Evaluates the config's consistency checks over c and replaces the stored
 * violations with those found at found_at (us), adding their count per rule
 * to by_rule[COMPUTE_CHECK_RULES]. Returns 0 or a negative errno (logged;
 * the stored violations are then unchanged). checks.c
 */
int cmp_checks_run(struct compute *c, struct store *st, int64_t found_at, size_t *by_rule);

/* The parents whose own value of indicator k gives way to the sum of their
 * children (a hierarchy check on k with precedence "rolled_up") as a mask of
 * c->nu into *mask (malloc'd), or NULL when none. 0 or -ENOMEM. checks.c */
int cmp_checks_rolled_up(const struct compute *c, size_t k, unsigned char **mask);

/* Keeps own value v at element i of indicator k's rolled-up array for the
 * hierarchy check. 0 or -ENOMEM. checks.c */
int cmp_checks_keep_own(struct compute *c, size_t k, size_t i, double v);

#endif
