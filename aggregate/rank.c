/*
 * rank.c - competition ranking ("1224") within sibling groups.
 */
#include "aggregate/rank.h"

#include <errno.h>
#include <math.h>

int rank_desc(const double *score, const int *group, size_t n, double *rank)
{
    if (!score || !rank || score == rank) {
        return -EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        if (isnan(score[i])) {
            rank[i] = NAN;
            continue;
        }
        size_t higher = 0;
        for (size_t j = 0; j < n; j++) {
            if ((!group || group[j] == group[i]) && !isnan(score[j]) && score[j] > score[i]) {
                higher++;
            }
        }
        rank[i] = (double)(higher + 1); /* ties share the minimum rank */
    }
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
