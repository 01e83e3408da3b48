/*
 * rank.h - ranks of units by score, descending, within groups of siblings
 * (parks of one city, say), and rank changes between periods. Pure; NAN scores
 * are not ranked.
 */
#ifndef PARKSTAT_RANK_H
#define PARKSTAT_RANK_H

#include <stddef.h>

/*
 * rank[i] = 1 + number of units in i's group with a higher score, so ties share
 * the lowest rank (1, 2, 2, 4). group[i] is the group id (NULL: one group); NAN
 * scores get NAN ranks and take no place. rank must not alias score.
 * O(n log n). Returns 0, -EINVAL or -ENOMEM.
 */
int rank_desc(const double *score, const int *group, size_t n, double *rank);

/*
 * change[i] = prev[i] - cur[i] (positive: moved up), NAN when either is NAN.
 * Returns 0 or -EINVAL.
 */
int rank_change(const double *prev, const double *cur, size_t n, double *change);

#endif
