/*
 * config_sync.c - compute_sync_config(): units and indicators of the
 * configuration into the store's tables. It lives here, in the layer that
 * knows both, so the store takes plain definitions (store_define()) and
 * never sees a struct config.
 */
#include <errno.h>
#include <stdlib.h>

#include "compute/compute.h"
#include "config/config.h"
#include "store/observations.h"

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

/* The n units of cfg as store definitions in *out, their attributes in
 * *attrs_out (both to free). 0 or -ENOMEM. */
static int unit_defs(const struct config_unit *units, size_t n, struct store_unit_def **out,
                     struct store_unit_attr **attrs_out)
{
    size_t nattrs = 0;
    for (size_t i = 0; i < n; i++)
        nattrs += units[i].n_attrs;
    /* One spare element each, so an empty list is not NULL. */
    struct store_unit_def *defs = calloc(n + 1, sizeof(*defs));
    struct store_unit_attr *attrs = calloc(nattrs + 1, sizeof(*attrs));
    if (!defs || !attrs) {
        free(defs);
        free(attrs);
        return -ENOMEM;
    }
    size_t a = 0;
    for (size_t i = 0; i < n; i++) {
        defs[i] = (struct store_unit_def){
            .code = units[i].id,
            .name = units[i].name,
            .parent = units[i].parent,
            .attrs = attrs + a,
            .n_attrs = units[i].n_attrs,
        };
        for (size_t k = 0; attrs && k < units[i].n_attrs; k++, a++)
            attrs[a] = (struct store_unit_attr){units[i].attrs[k].key, units[i].attrs[k].value};
    }
    *out = defs;
    *attrs_out = attrs;
    return 0;
}

/* The n indicators of cfg as store definitions in *out (to free). */
static int indicator_defs(const struct config_indicator *ind, size_t n,
                          struct store_indicator_def **out)
{
    struct store_indicator_def *defs = calloc(n + 1, sizeof(*defs));
    if (!defs)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        defs[i] = (struct store_indicator_def){
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
    *out = defs;
    return 0;
}

/*
 * Writes every unit (name, parent, attributes) and indicator of cfg into st
 * with store_define(): one transaction, rows cfg no longer names are kept,
 * the code -> id maps reloaded. Returns 0 or a negative errno.
 */
int compute_sync_config(struct store *st, const struct config *cfg)
{
    size_t nu = 0, ni = 0;
    const struct config_unit *units = config_units(cfg, &nu);
    const struct config_indicator *ind = config_indicators(cfg, &ni);
    struct store_unit_def *udefs = NULL;
    struct store_unit_attr *attrs = NULL;
    struct store_indicator_def *idefs = NULL;

    int rc = unit_defs(units, nu, &udefs, &attrs);
    if (rc == 0 && (rc = indicator_defs(ind, ni, &idefs)) == 0)
        rc = store_define(st, udefs, nu, idefs, ni);
    free(udefs);
    free(attrs);
    free(idefs);
    return rc;
}
