/*
 * unit_copy.c - a one-unit snapshot copied from a larger one (contract in
 * unit_copy.h). The copy is a struct compute like any other, narrowed as
 * compute_open_unit() narrows to a subtree (sub_units, cfg_of), so the same
 * code (cmp_series_at, compute_snapshot_series) computes its series.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compute/compute_priv.h"
#include "compute/unit_copy.h"

/* The position of config unit g in snapshot c, or -1. */
static long unit_pos(const struct compute *c, long g)
{
    if (!c->cfg_of)
        return g >= 0 && (size_t)g < c->nu ? g : -1;
    for (size_t i = 0; i < c->nu; i++)
        if (c->cfg_of[i] == g)
            return (long)i;
    return -1;
}

/* One unit's copy (contract in unit_copy.h). */
int compute_unit_copy(const struct compute *c, const char *unit, struct compute **out)
{
    long g = config_unit_find(c->cfg, unit, strlen(unit)), u = g >= 0 ? unit_pos(c, g) : -1;
    struct compute *o = NULL;
    int rc;

    *out = NULL;
    if (u < 0)
        return -ENOENT;
    if ((rc = cmp_open_empty(&o, c->cfg, &c->opts)) < 0)
        return rc;
    rc = -ENOMEM;
    if (!(o->sub_units = malloc(sizeof(*o->sub_units))) || !(o->cfg_of = malloc(sizeof(long))))
        goto out;
    o->sub_units[0] = c->units[u];
    o->sub_units[0].parent_index = -1;
    o->cfg_of[0] = g;
    o->units = o->sub_units;
    o->nu = 1;
    int64_t *db = realloc(o->unit_db, sizeof(int64_t)); /* one, not every config unit's */
    if (!db)
        goto out;
    o->unit_db = db;
    o->unit_db[0] = c->unit_db[u];
    o->y0 = c->y0;
    o->nyears = c->nyears;
    o->mon0 = c->mon0;
    o->nmon = c->nmon;
    o->load_parts = c->load_parts;
    o->partial = c->partial;
    if (c->want) {
        if (!(o->want = malloc(c->ni ? c->ni : 1)))
            goto out;
        memcpy(o->want, c->want, c->ni);
    }
    for (size_t k = 0; k < c->ni; k++) {
        const struct cseries *s = &c->s[k];
        if (!s->v)
            continue; /* not computed in c (no frequency either): not in the copy */
        size_t np = cmp_nper(c, s->freq), at = (size_t)u * np;
        if (cmp_series_alloc(o, s->freq, &o->s[k]) < 0)
            goto out;
        memcpy(o->s[k].v, s->v + at, np * sizeof(double));
        memcpy(o->s[k].cov, s->cov + at, np * sizeof(double));
        memcpy(o->s[k].fl, s->fl + at, np * sizeof(unsigned));
        if (c->cum[k]) {
            if (!(o->cum[k] = malloc((np ? np : 1) * sizeof(double))))
                goto out;
            memcpy(o->cum[k], c->cum[k] + at, np * sizeof(double));
        }
    }
    *out = o;
    return 0;
out:
    compute_free(&o);
    return rc;
}

/* The copy's array bytes (contract in unit_copy.h). */
size_t compute_unit_copy_bytes(const struct compute *c)
{
    size_t n = 0;
    for (size_t k = 0; k < c->ni; k++) {
        size_t np = c->s[k].v ? cmp_nper(c, c->s[k].freq) * c->nu : 0;
        n += np * (2 * sizeof(double) + sizeof(unsigned)) + (c->cum[k] ? np * sizeof(double) : 0);
    }
    return n;
}
