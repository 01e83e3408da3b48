/*
 * sensitivity.h - how much a composite index's ranks depend on the choices
 * made in building it, by Monte Carlo over those choices, as COINr's
 * get_sensitivity() does (Becker et al. 2022; Saisana, Saltelli and Tarantola
 * 2005): weights, normalisation, aggregation, imputation. Pure and seeded: the
 * same inputs and seed give the same answer on every machine.
 *
 * The input is one period of one index: the nominal normalised values y
 * (units x leaves, higher is better, as the engine computed them), the tree
 * with its configured weights and the nominal aggregation. Each replication
 * draws one value of every assumption, scores the tree and ranks the units:
 *  - weights: each node's weight times U(1 - s, 1 + s), or, with a Dirichlet
 *    concentration a > 0, the siblings' weights drawn from Dirichlet(a w)
 *    (mean w, closer to w as a grows);
 *  - normalisation: the nominal values, or min-max, z-score or rank
 *    normalisation of them per indicator (each is monotone per indicator, so
 *    for the cross-sectional methods this equals normalising the data);
 *  - aggregation: arithmetic or geometric means;
 *  - imputation: on (the values as imputed) or off (imputed cells missing,
 *    then reweighted), when a mask of imputed cells is given.
 * Uncertainty: per unit, the nominal rank and the median and 5-95 % interval
 * of its rank over the replications. Sensitivity: for the output Y = mean
 * absolute rank shift from the nominal ranks, the first-order index of each
 * assumption S_i = Var(E[Y | X_i]) / Var(Y), estimated by pick-freeze (Sobol
 * 1993): every base replication is paired with one that keeps X_i and draws
 * the others afresh; S_i = Cov(Y, Y_i) / Var(Y). That costs runs x (1 +
 * number of varied assumptions) evaluations.
 */
#ifndef PARKSTAT_SENSITIVITY_H
#define PARKSTAT_SENSITIVITY_H

#include <stddef.h>
#include <stdint.h>

#include "aggregate/composite.h"

/* The assumptions, in the order of sens_result.first_order. */
enum sens_assumption {
    SENS_WEIGHTS,
    SENS_NORMALISATION,
    SENS_AGGREGATION,
    SENS_IMPUTATION,
    SENS_N_ASSUMPTIONS,
};

struct sens_opts {
    size_t runs;          /* replications, >= 2 */
    uint64_t seed;        /* the same seed, the same draws */
    double weight_spread; /* s in 0 .. 1: weights times U(1 - s, 1 + s); 0: fixed */
    double dirichlet;     /* > 0: Dirichlet(a w) among siblings instead of the spread */
    int vary_normalisation;
    int vary_aggregation;
    int vary_imputation; /* needs a mask; ignored without one */
};

struct sens_unit {
    double nominal; /* rank under the nominal assumptions (NAN: not scored) */
    double median;  /* median rank over the replications where it was scored */
    double p05, p95;
};

struct sens_result {
    struct sens_unit *units; /* nu, owned (sens_result_free) */
    size_t nu;
    double first_order[SENS_N_ASSUMPTIONS]; /* NAN for an assumption not varied */
    double mean_shift;                      /* mean over replications of Y */
    size_t evaluations;                     /* index evaluations made */
};

/*
 * Runs the analysis. nodes/nn: the tree (node 0 the root, configured weights);
 * y: nu x nl nominal normalised values (NAN missing); imputed: nu x nl, 1 for
 * a cell that imputation filled (NULL: none); group: the ranking groups (NULL:
 * one group); method, missing: the nominal aggregation. Returns 0 and fills
 * *res (free with sens_result_free()), or -EINVAL (bad options or tree),
 * -ENOMEM.
 */
int sens_run(const struct composite_node *nodes, size_t nn, const double *y,
             const unsigned char *imputed, const int *group, size_t nu, size_t nl,
             enum composite_method method, enum composite_missing missing,
             const struct sens_opts *opts, struct sens_result *res);

void sens_result_free(struct sens_result *res);

/* The assumption's name ("weights", "normalisation", "aggregation", "imputation"). */
const char *sens_assumption_name(enum sens_assumption a);

#endif
