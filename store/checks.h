/*
 * checks.h - violations of the config's consistency checks (docs/CONFIG.md,
 * "checks"), schema version 7.
 *
 * A recompute evaluates every check over the current values and replaces the
 * stored violations with what it found, in one transaction: the table always
 * holds the findings of the last recompute. Each violation keeps the check's
 * id and rule, the unit, indicator and period, the value and what it was held
 * against, a short reason, the action ("flag") and the vintage (valid_from,
 * us) of the current observation it is about, or none when the value is a
 * roll-up or derived.
 */
#ifndef PARKSTAT_STORE_CHECKS_H
#define PARKSTAT_STORE_CHECKS_H

#include <stddef.h>
#include <stdint.h>

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
    const char *action;     /* "flag" */
    int64_t valid_from;     /* the observation's vintage (read); -1: none */
    int64_t found_at;       /* when the recompute found it (read), us */
};

/*
 * Replaces every stored violation by v[0..n), found at found_at (us), in one
 * transaction; each row's vintage is looked up from the current observation
 * of its unit, indicator and period. Returns 0, -EIO or -EBUSY (nothing
 * changed).
 */
int store_checks_replace(struct store *st, const struct store_violation *v, size_t n,
                         int64_t found_at);

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
