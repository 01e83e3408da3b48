/*
 * sync.c - store_sync_config(): units and indicators from the configuration
 * into their tables. Kept apart from store.c because it is the only file of
 * the store that refers to config accessors; those resolve at the final link
 * (ps_config links ps_store, not the other way round), and a program that
 * never calls store_sync_config() does not pull this object in.
 */
#include <errno.h>
#include <stdio.h>

#include "config/config.h"
#include "store/observations.h"
#include "store/store_priv.h"

static const char *freq_text(enum period_freq f)
{
    switch (f) {
    case PERIOD_YEAR:
        return "Y";
    case PERIOD_HALF:
        return "H";
    case PERIOD_QUARTER:
        return "Q";
    case PERIOD_MONTH:
        return "M";
    }
    return NULL;
}

static const char *kind_text(enum config_kind k)
{
    switch (k) {
    case CONFIG_FLOW:
        return "flow";
    case CONFIG_STOCK:
        return "stock";
    case CONFIG_RATE:
        return "rate";
    }
    return NULL;
}

/* Replaces the attributes of unit id by u's (NULL when it has none). */
static int sync_attrs(struct store *st, int64_t id, const struct config_unit *u)
{
    sqlite3_stmt *s = store_stmt_get(st, STMT_UNIT_ATTR_CLEAR);
    if (!s)
        return -EIO;
    sqlite3_bind_int64(s, 1, id);
    int rc = store_step_done(st, s, "unit attributes");
    for (size_t i = 0; rc == 0 && i < u->n_attrs; i++) {
        if (!(s = store_stmt_get(st, STMT_UNIT_ATTR_ADD)))
            return -EIO;
        sqlite3_bind_int64(s, 1, id);
        store_bind_text(s, 2, u->attrs[i].key);
        store_bind_text(s, 3, u->attrs[i].value);
        rc = store_step_done(st, s, "unit attributes");
    }
    return rc;
}

/* Units first without parents, then parents: a child may precede its parent. */
static int sync_units(struct store *st, const struct config *cfg)
{
    size_t n = 0;
    const struct config_unit *units = config_units(cfg, &n);
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < n; i++) {
        int64_t id = -1;
        rc = store_unit_put(st, units[i].id, units[i].name, &id);
        if (rc == 0)
            rc = sync_attrs(st, id, &units[i]);
    }
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = store_unit_set_parent(st, units[i].id, units[i].parent);
    return rc;
}

static int sync_indicators(struct store *st, const struct config *cfg)
{
    size_t n = 0;
    const struct config_indicator *ind = config_indicators(cfg, &n);
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct store_indicator_def d = {
            .code = ind[i].code,
            .name = ind[i].name,
            .measure = ind[i].measure,
            .frequency = freq_text(ind[i].freq),
            .kind = kind_text(ind[i].kind),
            .cumulative = ind[i].cumulative,
            .direction = ind[i].direction,
            .decimals = ind[i].decimals,
            .formula = ind[i].formula,
            .numerator = ind[i].numerator,
            .denominator = ind[i].denominator,
            .scale = ind[i].scale,
        };
        rc = store_indicator_put(st, &d);
    }
    return rc;
}

/*
 * Upserts every unit (name, parent, attributes) and indicator of cfg in one
 * transaction; rows cfg no longer names are kept. Then reloads the code -> id
 * maps. Returns 0 or a negative errno (nothing changed).
 */
int store_sync_config(struct store *st, const struct config *cfg)
{
    int rc = store_tx_begin(st);
    if (rc < 0)
        return rc;
    if ((rc = sync_units(st, cfg)) < 0 || (rc = sync_indicators(st, cfg)) < 0 ||
        (rc = store_tx_commit(st)) < 0) {
        store_tx_rollback(st);
        return rc;
    }
    return store_maps_load(st);
}
