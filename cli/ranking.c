/*
 * ranking.c - `parkstat ranking --db DB --index ID --period P [--node N]
 * [--min-score S] [--by ATTR] [--limit N]`: one index's stored results for a
 * period from a local database, best first (store_query_results), as a table
 * with a header row (table.h). An unknown index, a period of another
 * frequency than the index's, and a period without results are said as such.
 */
#include "cli/hint.h"
#include "cli/recompute.h"
#include "cli/table.h"
#include "common/buf.h"
#include "common/period.h"
#include "store/results.h"
#include "store/store.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { COL_RANK, COL_UNIT, COL_NAME, COL_SCORE, COL_CHANGE, COL_FLAGS, COL_BY, N_COLS };

struct printer {
    long limit, n;
    const char *by;
    struct table *t;
};

/* A number without decimals, "-" when NULL; signed when sign is set (0 as 0). */
static const char *whole(char *buf, size_t size, double v, int sign)
{
    if (isnan(v))
        return "-";
    snprintf(buf, size, sign && v != 0 ? "%+.0f" : "%.0f", v);
    return buf;
}

static int add_row(const struct store_result_row *r, void *ctx)
{
    struct printer *p = ctx;
    char rank[32], score[48], change[32], flags[16];
    const char *cells[N_COLS];

    if (p->limit > 0 && p->n >= p->limit)
        return 1;
    p->n++;
    snprintf(flags, sizeof(flags), "%u", r->flags);
    if (isnan(r->score))
        snprintf(score, sizeof(score), "-");
    else
        snprintf(score, sizeof(score), "%.2f", r->score);
    cells[COL_RANK] = whole(rank, sizeof(rank), r->rank, 0);
    cells[COL_UNIT] = r->unit;
    cells[COL_NAME] = r->name;
    cells[COL_SCORE] = score;
    cells[COL_CHANGE] = whole(change, sizeof(change), r->rank_change, 1);
    cells[COL_FLAGS] = flags;
    cells[COL_BY] = r->attr_value ? r->attr_value : "-";
    return table_add_row(p->t, cells) < 0 ? -ENOMEM : 0;
}

/* The indices with results in the database, for the checks below. */
struct indices {
    char **ids, **first, **last;
    size_t n, cap_ids, cap_first, cap_last;
};

static int collect_index(const struct store_index_row *row, void *ctx)
{
    struct indices *x = ctx;

    if (BUF_GROW(&x->ids, &x->cap_ids, x->n + 1, BUF_UNCAPPED) < 0 ||
        BUF_GROW(&x->first, &x->cap_first, x->n + 1, BUF_UNCAPPED) < 0 ||
        BUF_GROW(&x->last, &x->cap_last, x->n + 1, BUF_UNCAPPED) < 0)
        return -ENOMEM;
    x->ids[x->n] = strdup(row->index_id);
    x->first[x->n] = strdup(row->first_period ? row->first_period : "");
    x->last[x->n] = strdup(row->last_period ? row->last_period : "");
    x->n++;
    return x->ids[x->n - 1] && x->first[x->n - 1] && x->last[x->n - 1] ? 0 : -ENOMEM;
}

static void indices_free(struct indices *x)
{
    for (size_t i = 0; i < x->n; i++) {
        free(x->ids[i]);
        free(x->first[i]);
        free(x->last[i]);
    }
    free(x->ids);
    free(x->first);
    free(x->last);
}

/*
 * Checks the index and the period's frequency against the database's results.
 * Returns 0 and the index's range of periods in range ("results A to B"), or
 * the exit status after printing the reason: 1 for an unknown index, 2 for a
 * period of another frequency.
 */
static int check_query(struct store *st, const char *db, const struct store_results_query *q,
                       struct period want, char *range, size_t range_size)
{
    struct indices x = {0};
    struct period first;
    int rc = store_indices_list(st, collect_index, &x), status = 0;
    size_t i;

    if (rc < 0) {
        fprintf(stderr, "parkstat ranking: %s: %s\n", db,
                rc == -EIO ? store_errmsg(st) : strerror(-rc));
        indices_free(&x);
        return 1;
    }
    for (i = 0; i < x.n && strcmp(x.ids[i], q->index_id) != 0; i++)
        ;
    if (i == x.n) {
        const char *near = hint_nearest(q->index_id, (const char *const *)x.ids, x.n);
        fprintf(stderr, "parkstat ranking: %s: unknown index \"%s\"", db, q->index_id);
        if (near)
            fprintf(stderr, " (did you mean \"%s\"?)", near);
        else if (x.n == 0)
            fprintf(stderr, " (no index has results: run parkstat recompute)");
        fputc('\n', stderr);
        status = 1;
    } else if (period_parse_str(&first, x.first[i]) == 0 && first.freq != want.freq) {
        fprintf(stderr,
                "parkstat ranking: --period %s is %s but index \"%s\" is %s (results %s to %s)\n",
                q->period, hint_freq_name(want.freq), q->index_id, hint_freq_name(first.freq),
                x.first[i], x.last[i]);
        status = 2;
    } else {
        snprintf(range, range_size, "results %s to %s", x.first[i], x.last[i]);
    }
    indices_free(&x);
    return status;
}

static void usage(FILE *out)
{
    fputs("usage: parkstat ranking --db DB --index ID --period P [--node NODE]\n"
          "       [--min-score S] [--by ATTR [--value V]] [--limit N]\n"
          "  Prints rank, unit, name, score, rank change and flags, best first.\n"
          "  Exit status: 0 ok, 1 an unknown index, no results for the period or a\n"
          "  database error, 2 usage (also a period of another frequency than the index's).\n",
          out);
}

/* Prints the results as a table; none without a filter is an error naming
 * the index's range. Returns the exit status. */
static int print_results(struct store *st, const char *db, const struct store_results_query *q,
                         struct printer *pr, const char *range)
{
    static const char *const headers[N_COLS] = {"rank",   "unit",  "name", "score",
                                                "change", "flags", NULL};
    static const enum table_align aligns[N_COLS] = {
        TABLE_RIGHT, TABLE_LEFT, TABLE_LEFT, TABLE_RIGHT, TABLE_RIGHT, TABLE_RIGHT, TABLE_LEFT};
    const char *head[N_COLS];
    int rc;

    memcpy(head, headers, sizeof(head));
    head[COL_BY] = pr->by;
    if (table_new(&pr->t, pr->by ? N_COLS : N_COLS - 1, head, aligns) < 0)
        return 1;
    if ((rc = store_query_results(st, q, add_row, pr)) < 0) {
        fprintf(stderr, "parkstat ranking: %s: %s\n", db,
                rc == -EIO ? store_errmsg(st) : strerror(-rc));
        return 1;
    }
    if (pr->n == 0 && isnan(q->min_score) && !q->attr_value) {
        fprintf(stderr, "parkstat ranking: index \"%s\"%s%s has no results for %s (%s)\n",
                q->index_id, q->node ? ", node " : "", q->node ? q->node : "", q->period, range);
        return 1;
    }
    if (table_print(pr->t, stdout) < 0 || fflush(stdout) != 0) {
        fprintf(stderr, "parkstat ranking: standard output: %s\n", strerror(errno));
        return 1;
    }
    return 0;
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
    struct period per;
    const char *db = NULL;
    struct store *st = NULL;
    char errbuf[256], range[64] = "";
    int ch, status;

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
        fprintf(stderr, "parkstat ranking: %s\n",
                optind != argc ? "unexpected argument" : "--db, --index and --period are required");
        usage(stderr);
        return 2;
    }
    if (period_parse_str(&per, q.period) < 0) {
        fprintf(stderr, "parkstat ranking: --period: \"%s\" is not a period (%s)\n", q.period,
                hint_period_forms);
        return 2;
    }
    if (store_open(&st, db, STORE_READONLY, errbuf, sizeof(errbuf)) < 0) {
        fprintf(stderr, "parkstat ranking: %s: %s\n", db, errbuf);
        return 1;
    }
    if ((status = check_query(st, db, &q, per, range, sizeof(range))) == 0)
        status = print_results(st, db, &q, &pr, range);
    table_free(&pr.t);
    store_close(&st);
    return status;
}
