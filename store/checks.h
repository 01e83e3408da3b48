/*
 * checks.h - violations of the config's consistency checks (docs/CONFIG.md,
 * "checks"), schema version 7 (the run and the place index: version 8).
 *
 * Each violation keeps the check's id and rule, the unit, indicator and
 * period, the value and what it was held against, a short reason, the action
 * and the vintage: valid_from (us) and run of the current observation it is
 * about (none when the value is a roll-up or derived), or for a refused
 * record the run that refused it.
 *
 * Action "flag": the value is stored and the violation marks it. An ingest
 * evaluates the checks its batch touches and replaces the flags of those
 * places (store_checks_update()); a recompute evaluates every check over the
 * current values and replaces every flag (store_checks_replace()), so the
 * flags always describe the stored values. Action "reject": the record was
 * refused at ingest (a reject of its run); such rows are kept.
 */
#ifndef PARKSTAT_STORE_CHECKS_H
#define PARKSTAT_STORE_CHECKS_H

#include <stddef.h>
#include <stdint.h>

#include "common/period.h"

struct store;

struct store_violation {
    int64_t id;            /* row id (read) */
    const char *check;     /* the check's id */
    const char *rule;      /* sum, range, growth, hierarchy, monotone_ytd, ratio */
    const char *unit;      /* unit id */
    const char *indicator; /* indicator code */
    const char *period;
    double value, expected; /* NAN: none */
    const char *detail;     /* "total is not the sum of its parts", ... */
    const char *action;     /* "flag" or "reject" */
    int64_t valid_from;     /* the observation's vintage (read); -1: none */
    int64_t found_at;       /* when it was found (read), us */
    int64_t run_id;         /* the observation's run, or the refusing run (read); -1: none */
};

/*
 * Replaces every stored flag by v[0..n) (flags), found at found_at (us), in
 * one transaction; each row's vintage and run are looked up from the current
 * observation of its unit, indicator and period. Refusals stay. Returns 0,
 * -EIO or -EBUSY (nothing changed).
 */
int store_checks_replace(struct store *st, const struct store_violation *v, size_t n,
                         int64_t found_at);

/* A place an ingest evaluated a check at: its flags there (with detail, when
 * not NULL) are replaced. */
struct store_check_site {
    const char *check, *unit, *period;
    const char *detail;
};

/*
 * What an ingest found, in one unit of work (a savepoint inside the caller's):
 * removes the flags of each site, then adds v[0..n): a flag with the vintage
 * and run of the current observation (unless the same flag is already
 * there), a refusal ("reject") with run_id. Returns 0, -EIO or -EBUSY.
 */
int store_checks_update(struct store *st, const struct store_check_site *site, size_t nsite,
                        const struct store_violation *v, size_t n, int64_t run_id,
                        int64_t found_at);

/* The current value of (unit_id, indicator_id, p) into *v: NAN when there
 * is none or it is missing. For the checks of an ingest. 0 or -EIO. */
int store_checks_current(struct store *st, int64_t unit_id, int64_t indicator_id, struct period p,
                         double *v);

/* Filters of a page of violations (NULL: any), after row after_id (0: from
 * the first), at most limit rows (0: all), ordered by row id. */
struct store_violation_query {
    const char *check, *rule, *unit, *indicator, *period;
    int64_t after_id;
    long limit;
};

typedef int (*store_violation_cb)(const struct store_violation *v, void *ctx);

/* Walks the violations of q; a non-zero return of cb stops the walk (> 0 is
 * not an error). Returns 0, cb's negative return or -EIO. */
int store_checks_page(struct store *st, const struct store_violation_query *q,
                      store_violation_cb cb, void *ctx);

/* How many violations store_checks_page() gives for q without paging. */
int store_checks_count(struct store *st, const struct store_violation_query *q, long *n);

/* Calls cb for each rule with stored violations and their number, by rule.
 * Returns 0, cb's non-zero return or -EIO. */
int store_checks_by_rule(struct store *st, int (*cb)(const char *rule, long n, void *ctx),
                         void *ctx);

#endif
