/*
 * components.h - what a source's mapping leaves out of each series it
 * stored (SDMX dimensions that are neither unit, indicator, period nor a
 * one-code filter), kept per (source, unit, indicator) so that a later pull
 * whose series differs in one of them is refused instead of being taken as
 * a revision of the first (schema version 9, table series_components).
 */
#ifndef PARKSTAT_STORE_COMPONENTS_H
#define PARKSTAT_STORE_COMPONENTS_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/*
 * Checks comps, the components the mapping leaves out of a series the
 * source gives for (unit_id, indicator_id) ("ID=CODE" texts, each ended by
 * '\x1f', as the SDMX readers write them), against those stored for the
 * key by an earlier pull, inside the caller's transaction. The first
 * components of a key are stored; ids a later series adds are added. Returns
 * 0 when nothing differs, 1 when a component both have differs (note, size
 * bytes: 'SEX ("M" before, "F" here)'; nothing is stored), or -EIO (-EBUSY) with
 * store_errmsg().
 */
int store_components_check(struct store *st, const char *source, int64_t unit_id,
                           int64_t indicator_id, const char *comps, char *note, size_t size);

#endif
