/*
 * impute.c - group-mean and carry-forward imputation; contracts in impute.h.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate/impute.h"

int impute_group_ids(const char *const *label, size_t n, int *gid)
{
    int ng = 0;

    if (n > 0 && (!label || !gid))
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        gid[i] = -1;
        if (!label[i])
            continue;
        /* the id of the first earlier unit with this label, else a new one */
        for (size_t j = 0; j < i && gid[i] < 0; j++)
            if (gid[j] >= 0 && label[j] && strcmp(label[j], label[i]) == 0)
                gid[i] = gid[j];
        if (gid[i] < 0)
            gid[i] = ng++;
    }
    return ng;
}

int impute_group_mean(const double *x, const int *gid, size_t n, double *out)
{
    size_t ng = 0;
    double *sum;
    size_t *cnt;
    int filled = 0;

    if (n > 0 && (!x || !gid || !out))
        return -EINVAL;
    for (size_t i = 0; i < n; i++)
        if (gid[i] >= 0 && (size_t)gid[i] + 1 > ng)
            ng = (size_t)gid[i] + 1;
    sum = calloc(ng ? ng : 1, sizeof(*sum));
    cnt = calloc(ng ? ng : 1, sizeof(*cnt));
    if (!sum || !cnt) {
        free(sum);
        free(cnt);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        if (gid[i] >= 0 && !isnan(x[i])) {
            sum[gid[i]] += x[i];
            cnt[gid[i]]++;
        }
    for (size_t i = 0; i < n; i++) {
        out[i] = x[i];
        if (isnan(x[i]) && gid[i] >= 0 && cnt[gid[i]] > 0) {
            out[i] = sum[gid[i]] / (double)cnt[gid[i]];
            filled++;
        }
    }
    free(sum);
    free(cnt);
    return filled;
}

int impute_carry(const double *series, size_t n, size_t np, size_t p, double *col)
{
    int filled = 0;

    if (p >= np || (n > 0 && (!series || !col)))
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (!isnan(col[i]))
            continue;
        for (size_t q = p; q-- > 0;)
            if (!isnan(series[i * np + q])) {
                col[i] = series[i * np + q];
                filled++;
                break;
            }
    }
    return filled;
}
