/*
 * sensitivity.c - `parkstat sensitivity ID --period P --db DB --config CONFIG`:
 * the Monte Carlo uncertainty and sensitivity analysis of an index's ranks
 * (compute_sensitivity(), aggregate/sensitivity.h) on a local database:
 * per unit its nominal rank, median rank and 5-95 % interval, then the
 * first-order sensitivity of the ranks to each assumption varied.
 */
#include "cli/sensitivity.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/table.h"
#include "compute/compute.h"
#include "config/config.h"
#include "store/store.h"

struct args {
    const char *db, *cfg, *index, *period, *format;
    struct sens_opts o;
};

static void usage(FILE *out)
{
    fputs("usage: parkstat sensitivity INDEX --period P --db DB --config CONFIG\n"
          "       [--runs N] [--seed S] [--weights SPREAD | --dirichlet A]\n"
          "       [--no-normalisation] [--no-aggregation] [--no-imputation]\n"
          "       [--format table|json|csv]\n"
          "  How far INDEX's ranks in period P depend on its weights, normalisation,\n"
          "  aggregation and imputation: N Monte Carlo runs (default 1000, seed 1);\n"
          "  weights times U(1 - SPREAD, 1 + SPREAD) (default 0.25) or drawn from\n"
          "  Dirichlet(A w); each --no-... keeps that assumption as configured.\n"
          "  Prints per unit the nominal rank, the median rank and its 5-95 % interval,\n"
          "  then the first-order sensitivity index of each assumption.\n",
          out);
}

/* A number option in [lo, hi]; 2 (usage) with a message otherwise. */
static int number(const char *name, const char *text, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(text, &end);

    if (end == text || *end || !(v >= lo && v <= hi)) {
        fprintf(stderr, "parkstat sensitivity: --%s: expected a number from %g to %g, not \"%s\"\n",
                name, lo, hi, text);
        return 2;
    }
    *out = v;
    return 0;
}

static int parse(int argc, char **argv, struct args *a)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"config", required_argument, NULL, 'c'},
                                         {"period", required_argument, NULL, 'p'},
                                         {"runs", required_argument, NULL, 'n'},
                                         {"seed", required_argument, NULL, 's'},
                                         {"weights", required_argument, NULL, 'w'},
                                         {"dirichlet", required_argument, NULL, 'a'},
                                         {"no-normalisation", no_argument, NULL, 'N'},
                                         {"no-aggregation", no_argument, NULL, 'A'},
                                         {"no-imputation", no_argument, NULL, 'I'},
                                         {"format", required_argument, NULL, 'f'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    double v;
    int ch, rc = 0;

    a->o = (struct sens_opts){.runs = 1000,
                              .seed = 1,
                              .weight_spread = 0.25,
                              .vary_normalisation = 1,
                              .vary_aggregation = 1,
                              .vary_imputation = 1};
    a->format = "table";
    optind = 1;
    while (rc == 0 && (ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            a->db = optarg;
            break;
        case 'c':
            a->cfg = optarg;
            break;
        case 'p':
            a->period = optarg;
            break;
        case 'n':
            if ((rc = number("runs", optarg, 2, 1000000, &v)) == 0)
                a->o.runs = (size_t)v;
            break;
        case 's':
            if ((rc = number("seed", optarg, 0, 9007199254740992.0, &v)) == 0)
                a->o.seed = (uint64_t)v;
            break;
        case 'w':
            rc = number("weights", optarg, 0, 1, &a->o.weight_spread);
            break;
        case 'a':
            rc = number("dirichlet", optarg, 0, 1e6, &a->o.dirichlet);
            break;
        case 'N':
            a->o.vary_normalisation = 0;
            break;
        case 'A':
            a->o.vary_aggregation = 0;
            break;
        case 'I':
            a->o.vary_imputation = 0;
            break;
        case 'f':
            a->format = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (rc)
        return rc;
    if (optind + 1 != argc || !a->db || !a->cfg || !a->period) {
        if (optind + 1 != argc)
            fputs("parkstat sensitivity: give one INDEX\n", stderr);
        else
            fprintf(stderr, "parkstat sensitivity: %s is required\n",
                    !a->period ? "--period"
                    : !a->db   ? "--db (the API has "
                                 "/api/v1/indices/ID/sensitivity)"
                               : "--config");
        usage(stderr);
        return 2;
    }
    if (strcmp(a->format, "table") != 0 && strcmp(a->format, "json") != 0 &&
        strcmp(a->format, "csv") != 0) {
        fprintf(stderr, "parkstat sensitivity: --format: table, json or csv, not \"%s\"\n",
                a->format);
        return 2;
    }
    a->index = argv[optind];
    return -1;
}

static void num(char *buf, size_t size, double v, int decimals)
{
    if (isnan(v))
        snprintf(buf, size, "%s", "");
    else
        snprintf(buf, size, "%.*f", decimals, v);
}

static int print_table(const struct compute_sens *s, const struct args *a, double seconds)
{
    static const char *const head[] = {"unit", "name", "score", "rank", "median", "5%", "95%"};
    static const enum table_align al[] = {TABLE_LEFT,  TABLE_LEFT,  TABLE_RIGHT, TABLE_RIGHT,
                                          TABLE_RIGHT, TABLE_RIGHT, TABLE_RIGHT};
    struct table *t = NULL;
    char c[5][32];
    int rc = table_new(&t, 7, head, al);

    for (size_t u = 0; rc == 0 && u < s->nu; u++) {
        const struct compute_sens_unit *x = &s->units[u];
        num(c[0], sizeof(c[0]), x->score, 2);
        num(c[1], sizeof(c[1]), x->nominal, 0);
        num(c[2], sizeof(c[2]), x->median, 1);
        num(c[3], sizeof(c[3]), x->p05, 1);
        num(c[4], sizeof(c[4]), x->p95, 1);
        rc =
            table_add_row(t, (const char *const[]){x->unit, x->name, c[0], c[1], c[2], c[3], c[4]});
    }
    if (rc == 0)
        rc = table_print(t, stdout);
    table_free(&t);
    printf("\n%zu runs (seed %" PRIu64 "), %zu evaluations in %.3f s; mean rank shift %.3f\n",
           a->o.runs, a->o.seed, s->evaluations, seconds, s->mean_shift);
    printf("first-order sensitivity of the ranks:");
    for (int i = 0; i < SENS_N_ASSUMPTIONS; i++) {
        if (isnan(s->first_order[i]))
            printf(" %s -", sens_assumption_name((enum sens_assumption)i));
        else
            printf(" %s %.3f", sens_assumption_name((enum sens_assumption)i), s->first_order[i]);
    }
    printf("\n");
    return rc;
}

static void json_num(double v)
{
    if (isnan(v))
        printf("null");
    else
        printf("%.17g", v);
}

static void print_json(const struct compute_sens *s, const struct args *a)
{
    printf("{\"index\": \"%s\", \"period\": \"%s\", \"runs\": %zu, \"seed\": %" PRIu64
           ", \"evaluations\": %zu, \"mean_shift\": ",
           a->index, a->period, a->o.runs, a->o.seed, s->evaluations);
    json_num(s->mean_shift);
    printf(", \"first_order\": {");
    for (int i = 0; i < SENS_N_ASSUMPTIONS; i++) {
        printf("%s\"%s\": ", i ? ", " : "", sens_assumption_name((enum sens_assumption)i));
        json_num(s->first_order[i]);
    }
    printf("}, \"units\": [");
    for (size_t u = 0; u < s->nu; u++) {
        const struct compute_sens_unit *x = &s->units[u];
        printf("%s{\"unit\": \"%s\", \"score\": ", u ? ", " : "", x->unit);
        json_num(x->score);
        printf(", \"rank\": ");
        json_num(x->nominal);
        printf(", \"median\": ");
        json_num(x->median);
        printf(", \"p05\": ");
        json_num(x->p05);
        printf(", \"p95\": ");
        json_num(x->p95);
        printf("}");
    }
    printf("]}\n");
}

static void print_csv(const struct compute_sens *s)
{
    printf("unit,score,rank,median,p05,p95\n");
    for (size_t u = 0; u < s->nu; u++) {
        const struct compute_sens_unit *x = &s->units[u];
        printf("%s", x->unit);
        for (int k = 0; k < 5; k++) {
            double v = k == 0   ? x->score
                       : k == 1 ? x->nominal
                       : k == 2 ? x->median
                       : k == 3 ? x->p05
                                : x->p95;
            if (isnan(v))
                printf(",");
            else
                printf(",%.17g", v);
        }
        printf("\n");
    }
}

int sensitivity_command(int argc, char **argv)
{
    struct args a = {0};
    struct config *cfg = NULL;
    struct store *st = NULL;
    struct compute *c = NULL;
    struct compute_sens s = {0};
    struct timespec t0, t1;
    char *errors = NULL, err[256] = "";
    int status = parse(argc, argv, &a), rc;

    if (status >= 0)
        return status;
    status = 1;
    if (config_load(a.cfg, &cfg, &errors) < 0) {
        fprintf(stderr, "%s", errors ? errors : "parkstat sensitivity: cannot load config\n");
        goto out;
    }
    if (store_open(&st, a.db, 1, err, sizeof(err)) < 0) {
        fprintf(stderr, "parkstat sensitivity: %s: %s\n", a.db, err);
        goto out;
    }
    if ((rc = compute_open(&c, st, cfg, 0, NULL)) < 0) {
        fprintf(stderr, "parkstat sensitivity: %s: %s\n", a.db, strerror(-rc));
        goto out;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = compute_sensitivity(c, a.index, a.period, &a.o, &s, err, sizeof(err));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc < 0) {
        fprintf(stderr, "parkstat sensitivity: %s\n", err[0] ? err : strerror(-rc));
        status = rc == -EINVAL || rc == -ENOENT ? 2 : 1;
        goto out;
    }
    if (strcmp(a.format, "json") == 0)
        print_json(&s, &a);
    else if (strcmp(a.format, "csv") == 0)
        print_csv(&s);
    else if (print_table(&s, &a,
                         (double)(t1.tv_sec - t0.tv_sec) +
                             (double)(t1.tv_nsec - t0.tv_nsec) / 1e9) < 0)
        goto out;
    status = fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
out:
    compute_sens_free(&s);
    compute_free(&c);
    store_close(&st);
    config_free(&cfg);
    free(errors);
    return status;
}
