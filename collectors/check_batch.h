/*
 * check_batch.h - the config's consistency checks (docs/CONFIG.md, "checks")
 * on a batch of observations about to be stored, by a pull or by
 * `parkstat import`.
 *
 * Only what the batch touches is evaluated: for each check, the (unit,
 * period) places whose comparison involves a record of the batch (a total or
 * one of its parts, a parent or one of its children, a value and the one its
 * growth is measured against, a year-to-date value and the later ones of its
 * year, a rate and its numerator and denominator). Each comparison reads the
 * batch's values and, for what the batch does not bring, the current stored
 * ones by key (store_checks_current()), so the cost follows the batch, not
 * the store. What needs every unit of a period (a growth outlier) or a value
 * only the recompute makes (a roll-up, a derived indicator) is left to the
 * recompute, which evaluates every check again.
 *
 * A check with action "reject" refuses records first: the violation's own
 * record when the batch brings it, else the records of the batch it was held
 * against; each refused record gets a reason naming the check and the values
 * ("check zone_total: 25 != 11 + 15 (tolerance 0)"). The "flag" checks then
 * run on the batch without the refused records.
 */
#ifndef PARKSTAT_COLLECTORS_CHECK_BATCH_H
#define PARKSTAT_COLLECTORS_CHECK_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "common/period.h"
#include "store/checks.h"

struct config;
struct store;
struct store_obs;

struct check_batch {
    size_t n;                  /* records of the batch */
    char **refused;            /* n entries: why a record is refused (malloc'd), or NULL */
    char **raw;                /* n: "unit,indicator,period,value" of a refused one */
    size_t n_refused;          /* records with a reason */
    struct store_violation *v; /* violations found (flag and reject), to store */
    char (*vperiod)[PERIOD_TEXT_SIZE];
    size_t nv, cap_v, cap_vperiod;
    struct store_check_site *site; /* places evaluated: their flags are replaced */
    char (*speriod)[PERIOD_TEXT_SIZE];
    size_t nsite, cap_site, cap_speriod;
};

/*
 * Evaluates the checks of cfg that the batch obs[0..n) touches against the
 * batch and the values stored in st (read only). On success returns 0 and
 * fills *out (free with check_batch_free()), whose refused[] says which
 * records to reject instead of storing. Returns -ENOMEM or -EIO otherwise
 * (*out then holds nothing to free). A config without checks costs nothing.
 */
int check_batch_run(struct store *st, const struct config *cfg, const struct store_obs *obs,
                    size_t n, struct check_batch *out);

/*
 * Stores what check_batch_run() found, after the batch was ingested by run
 * run_id: at every evaluated place the earlier flags of the check are
 * replaced by the new ones (store_checks_update()). Returns 0 or -EIO.
 */
int check_batch_store(struct store *st, const struct check_batch *cb, int64_t run_id,
                      int64_t found_at);

/* Frees what *cb holds and empties it. */
void check_batch_free(struct check_batch *cb);

#endif
