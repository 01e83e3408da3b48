/*
 * dupkeys.c - duplicate (unit, indicator, period) keys within one batch of
 * observations: the first occurrence is kept, later ones are reported.
 */
#include <errno.h>
#include <stdlib.h>

#include "store/observations.h"

struct key {
    int64_t unit_id, indicator_id;
    long period;  /* a total order of periods of any frequency */
    size_t index; /* position in the batch: ties keep batch order */
};

static long period_key(struct period p)
{
    return ((long)p.year * 16 + (long)p.freq) * 16 + p.index;
}

static int cmp_key(const void *a, const void *b)
{
    const struct key *x = a, *y = b;
    if (x->unit_id != y->unit_id)
        return x->unit_id < y->unit_id ? -1 : 1;
    if (x->indicator_id != y->indicator_id)
        return x->indicator_id < y->indicator_id ? -1 : 1;
    if (x->period != y->period)
        return x->period < y->period ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

long store_find_duplicates(const struct store_obs *obs, size_t n, long *first_of)
{
    struct key *keys;
    long dups = 0;

    if (n == 0)
        return 0;
    if (!(keys = malloc(n * sizeof(*keys))))
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        keys[i] = (struct key){obs[i].unit_id, obs[i].indicator_id, period_key(obs[i].period), i};
        first_of[i] = -1;
    }
    qsort(keys, n, sizeof(*keys), cmp_key);
    for (size_t i = 1, first = 0; i < n; i++) {
        if (keys[i].unit_id == keys[first].unit_id &&
            keys[i].indicator_id == keys[first].indicator_id &&
            keys[i].period == keys[first].period) {
            first_of[keys[i].index] = (long)keys[first].index;
            dups++;
        } else {
            first = i;
        }
    }
    free(keys);
    return dups;
}
