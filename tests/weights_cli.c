/*
 * weights_cli.c - a driver for tests/weights_numpy.py: reads "METHOD M N" and
 * M x N numbers (row-major) on stdin, prints the weights one per line, then
 * the extra figure (PCA: explained share; AHP: lambda_max and CR). Exit 1 with
 * the error code on stderr when the function refuses the input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate/weights.h"

int main(void)
{
    char method[16];
    size_t m, n;
    double *x, *w, extra = 0, cr = 0;
    int rc;

    if (scanf("%15s %zu %zu", method, &m, &n) != 3 || m == 0 || n == 0 || m > 100000 || n > 100)
        return 2;
    x = malloc(m * n * sizeof(double));
    w = malloc(n * sizeof(double));
    rc = x && w ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < m * n; i++)
        rc = scanf("%lf", &x[i]) == 1 ? 0 : -1;
    if (rc < 0) {
        free(x);
        free(w);
        return 2;
    }
    if (strcmp(method, "entropy") == 0)
        rc = weights_entropy(x, m, n, w);
    else if (strcmp(method, "critic") == 0)
        rc = weights_critic(x, m, n, w);
    else if (strcmp(method, "cv") == 0)
        rc = weights_cv(x, m, n, w);
    else if (strcmp(method, "pca") == 0)
        rc = weights_pca(x, m, n, w, &extra);
    else if (strcmp(method, "ahp") == 0)
        rc = weights_ahp(x, n, w, &extra, &cr);
    else
        rc = -1000;
    if (rc < 0) {
        fprintf(stderr, "%s: %d\n", method, rc);
        free(x);
        free(w);
        return rc == -1000 ? 2 : 1;
    }
    for (size_t j = 0; j < n; j++)
        printf("%.17g\n", w[j]);
    printf("%.17g\n%.17g\n", extra, cr);
    free(x);
    free(w);
    return 0;
}
