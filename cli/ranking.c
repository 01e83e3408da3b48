/*
 * ranking.c - `parkstat ranking --db DB --index ID --period P [--node N]
 * [--min-score S] [--by ATTR] [--limit N]`: one index's stored results for a
 * period from a local database, best first (store_query_results).
 */
#include "cli/recompute.h"
#include "store/results.h"
#include "store/store.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

struct printer {
    long limit, n;
    const char *by;
};

static int print_row(const struct store_result_row *r, void *ctx)
{
    struct printer *p = ctx;
    if (p->limit > 0 && p->n >= p->limit)
        return 1;
    p->n++;
    char change[16] = "   -";
    if (!isnan(r->rank_change))
        snprintf(change, sizeof(change), "%+4.0f", r->rank_change);
    printf("%4.0f  %-10s %-28s %9.2f  %s  %5u", r->rank, r->unit, r->name ? r->name : "", r->score,
           change, r->flags);
    if (p->by)
        printf("  %s", r->attr_value ? r->attr_value : "-");
    putchar('\n');
    return 0;
}

static void usage(FILE *out)
{
    fputs("usage: parkstat ranking --db DB --index ID --period P [--node NODE]\n"
          "       [--min-score S] [--by ATTR [--value V]] [--limit N]\n"
          "  Prints rank, unit, name, score, rank change and flags, best first.\n",
          out);
}

int ranking_command(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"index", required_argument, NULL, 'i'},
                                         {"period", required_argument, NULL, 'p'},
                                         {"node", required_argument, NULL, 'n'},
                                         {"min-score", required_argument, NULL, 'm'},
                                         {"by", required_argument, NULL, 'b'},
                                         {"value", required_argument, NULL, 'v'},
                                         {"limit", required_argument, NULL, 'l'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct store_results_query q = {.min_score = NAN};
    struct printer pr = {0};
    const char *db = NULL;
    struct store *st = NULL;
    char errbuf[256];
    int ch, status = 1;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "d:i:p:n:m:b:v:l:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            db = optarg;
            break;
        case 'i':
            q.index_id = optarg;
            break;
        case 'p':
            q.period = optarg;
            break;
        case 'n':
            q.node = optarg;
            break;
        case 'm':
            q.min_score = strtod(optarg, NULL);
            break;
        case 'b':
            q.attr_key = pr.by = optarg;
            break;
        case 'v':
            q.attr_value = optarg;
            break;
        case 'l':
            pr.limit = strtol(optarg, NULL, 10);
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!db || !q.index_id || !q.period || optind != argc) {
        usage(stderr);
        return 2;
    }
    if (store_open(&st, db, STORE_READONLY, errbuf, sizeof(errbuf)) < 0) {
        fprintf(stderr, "parkstat ranking: %s: %s\n", db, errbuf);
        return 1;
    }
    if (store_query_results(st, &q, print_row, &pr) >= 0)
        status = 0;
    else
        fprintf(stderr, "parkstat ranking: %s\n", store_errmsg(st));
    store_close(&st);
    return status;
}
