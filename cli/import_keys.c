/*
 * import_keys.c - sets of (unit, indicator, period) keys for the duplicate
 * checks of an import, in memory that does not grow with the rows.
 *
 * A set is a short array of period ordinals, sorted, each with a CRoaring
 * bitmap of the (unit, indicator) pairs seen in that period. A file holds a
 * few periods and, per period, pairs that are dense runs of numbers, which
 * Roaring stores as bitmaps of 8 KiB per 65 536 pairs (or as sorted 16-bit
 * arrays when sparse): 200 000 units x 10 indicators x 12 months is about
 * 3 MB, where a sorted array of the 24 M keys would take 200 MB.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <roaring/roaring.h>

#include "cli/import_priv.h"
#include "common/buf.h"

struct period_bits {
    int32_t ord;
    roaring_bitmap_t *pairs;
};

struct keyset {
    struct period_bits *p; /* sorted by ord */
    size_t n, cap;
    size_t last; /* index of the last period used: rows come period by period */
};

struct keyset *keyset_new(void)
{
    return calloc(1, sizeof(struct keyset));
}

void keyset_free(struct keyset **ksp)
{
    struct keyset *ks = ksp ? *ksp : NULL;

    if (!ks)
        return;
    for (size_t i = 0; i < ks->n; i++)
        roaring_bitmap_free(ks->p[i].pairs);
    free(ks->p);
    free(ks);
    *ksp = NULL;
}

/* The index of ord in ks, or where it would go (*found = 0). */
static size_t find(const struct keyset *ks, int32_t ord, int *found)
{
    size_t lo = 0, hi = ks->n;

    if (ks->last < ks->n && ks->p[ks->last].ord == ord) {
        *found = 1;
        return ks->last;
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ks->p[mid].ord < ord)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < ks->n && ks->p[lo].ord == ord;
    return lo;
}

int keyset_add(struct keyset *ks, struct import_key k)
{
    int found;
    size_t i = find(ks, k.ord, &found);

    if (!found) {
        roaring_bitmap_t *b = roaring_bitmap_create();
        if (!b || BUF_GROW(&ks->p, &ks->cap, ks->n + 1, BUF_UNCAPPED) < 0) {
            roaring_bitmap_free(b);
            return -ENOMEM;
        }
        memmove(ks->p + i + 1, ks->p + i, (ks->n - i) * sizeof(*ks->p));
        ks->p[i] = (struct period_bits){k.ord, b};
        ks->n++;
    }
    ks->last = i;
    return roaring_bitmap_add_checked(ks->p[i].pairs, k.pair) ? 1 : 0;
}

int keyset_has(const struct keyset *ks, struct import_key k)
{
    int found;
    size_t i = find(ks, k.ord, &found);

    return found && roaring_bitmap_contains(ks->p[i].pairs, k.pair);
}
