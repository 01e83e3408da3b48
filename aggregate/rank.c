/*
 * rank.c - competition ranking ("1224") within sibling groups, by sorting
 * (O(n log n), so 10,000 enterprises rank in about a millisecond).
 */
#include "aggregate/rank.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

/* One present score with its group and position, for sorting. */
struct keyed {
    int group;
    double score;
    size_t i;
};

/* By group, then score descending. */
static int keyed_cmp(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    if (x->group != y->group) {
        return x->group < y->group ? -1 : 1;
    }
    return (x->score < y->score) - (x->score > y->score);
}

/*
 * O(n log n): sort the present scores by (group, score descending), then walk
 * each group: a score's rank is 1 + its position among the group's sorted
 * scores at the first of its ties.
 */
int rank_desc(const double *score, const int *group, size_t n, double *rank)
{
    if (!score || !rank || score == rank) {
        return -EINVAL;
    }
    struct keyed *k = malloc((n ? n : 1) * sizeof(*k));
    if (!k) {
        return -ENOMEM;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        rank[i] = NAN;
        if (!isnan(score[i])) {
            k[m++] = (struct keyed){group ? group[i] : 0, score[i], i};
        }
    }
    qsort(k, m, sizeof(*k), keyed_cmp);
    size_t start = 0; /* first of the current group */
    for (size_t j = 0; j < m; j++) {
        if (j == 0 || k[j].group != k[j - 1].group) {
            start = j;
        }
        if (j > start && k[j].score == k[j - 1].score) {
            rank[k[j].i] = rank[k[j - 1].i]; /* ties share the minimum rank */
        } else {
            rank[k[j].i] = (double)(j - start + 1);
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
