/*
 * checks.c - `parkstat checks --db FILE [--check ID] [--rule R] [--unit U]
 * [--indicator I] [--period P] [--format table|csv|json]`: the consistency
 * check violations the last recompute stored, in the order found.
 */
#include "cli/checks.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/table.h"
#include "common/period.h"
#include "common/timefmt.h"
#include "store/checks.h"
#include "store/store.h"

#define N_COLS 11

enum format { FORMAT_TABLE, FORMAT_CSV, FORMAT_JSON };

static const char *const col_names[N_COLS] = {"check",  "rule",       "unit",     "indicator",
                                              "period", "value",      "expected", "detail",
                                              "action", "valid_from", "run"};
static const enum table_align col_aligns[N_COLS] = {
    TABLE_LEFT,  TABLE_LEFT, TABLE_LEFT, TABLE_LEFT, TABLE_LEFT, TABLE_RIGHT,
    TABLE_RIGHT, TABLE_LEFT, TABLE_LEFT, TABLE_LEFT, TABLE_RIGHT};

struct out {
    enum format format;
    struct table *t;
    json_t *array;
};

static void num(double x, char *buf, size_t size)
{
    if (isnan(x))
        buf[0] = '\0';
    else
        snprintf(buf, size, "%.15g", x);
}

/* One CSV field (RFC 4180 quoting) and its separator. */
static void csv_field(const char *s, int last)
{
    if (s && strpbrk(s, ",\"\r\n")) {
        putchar('"');
        for (; *s; s++) {
            if (*s == '"')
                putchar('"');
            putchar(*s);
        }
        putchar('"');
    } else if (s) {
        fputs(s, stdout);
    }
    putchar(last ? '\n' : ',');
}

static int on_row(const struct store_violation *v, void *ctx)
{
    struct out *o = ctx;
    char value[32], expected[32], vf[40] = "", run[24] = "";

    num(v->value, value, sizeof(value));
    num(v->expected, expected, sizeof(expected));
    if (v->valid_from >= 0)
        time_format_iso(v->valid_from, vf, sizeof(vf));
    if (v->run_id >= 0)
        snprintf(run, sizeof(run), "%lld", (long long)v->run_id);
    const char *cells[N_COLS] = {v->check, v->rule,   v->unit,   v->indicator, v->period, value,
                                 expected, v->detail, v->action, vf,           run};
    switch (o->format) {
    case FORMAT_TABLE:
        return table_add_row(o->t, cells);
    case FORMAT_CSV:
        for (int i = 0; i < N_COLS; i++)
            csv_field(cells[i], i + 1 == N_COLS);
        return 0;
    case FORMAT_JSON: {
        json_t *row = json_object();
        if (!row || json_array_append_new(o->array, row) < 0)
            return -ENOMEM;
        for (int i = 0; i < N_COLS; i++) {
            json_t *x;
            if ((i == 5 || i == 6) && cells[i][0])
                x = json_real(i == 5 ? v->value : v->expected);
            else if (i == 10 && cells[i][0])
                x = json_integer((json_int_t)v->run_id);
            else if (cells[i] && cells[i][0])
                x = json_string(cells[i]);
            else
                x = json_null();
            if (json_object_set_new(row, col_names[i], x) < 0)
                return -ENOMEM;
        }
        return 0;
    }
    }
    return -EINVAL;
}

static void usage(FILE *out)
{
    fputs("usage: parkstat checks --db FILE [--check ID] [--rule RULE] [--unit U]\n"
          "           [--indicator I] [--period P] [--format table|csv|json]\n"
          "Lists the consistency check violations the last recompute stored\n"
          "(docs/CONFIG.md, \"checks\"): the check, its rule, unit, indicator and\n"
          "period, the value and what it was held against, and the vintage of the\n"
          "observation (empty for a roll-up or a computed rate).\n"
          "Without --db, `parkstat checks` asks a running parkstatd (--url).\n",
          out);
}

/* Parses the options; returns 0, or the exit status to leave with (-1: --help). */
static int parse_options(int argc, char **argv, const char **db, struct store_violation_query *q,
                         struct out *o)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"check", required_argument, NULL, 'c'},
                                         {"rule", required_argument, NULL, 'r'},
                                         {"unit", required_argument, NULL, 'u'},
                                         {"indicator", required_argument, NULL, 'i'},
                                         {"period", required_argument, NULL, 'p'},
                                         {"format", required_argument, NULL, 'F'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct period per;
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "d:c:r:u:i:p:F:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            *db = optarg;
            break;
        case 'c':
            q->check = optarg;
            break;
        case 'r':
            q->rule = optarg;
            break;
        case 'u':
            q->unit = optarg;
            break;
        case 'i':
            q->indicator = optarg;
            break;
        case 'p':
            if (period_parse_str(&per, optarg) < 0) {
                fprintf(stderr, "parkstat checks: --period: \"%s\" is not a period\n", optarg);
                return 2;
            }
            q->period = optarg;
            break;
        case 'F':
            if (strcmp(optarg, "table") == 0)
                o->format = FORMAT_TABLE;
            else if (strcmp(optarg, "csv") == 0)
                o->format = FORMAT_CSV;
            else if (strcmp(optarg, "json") == 0)
                o->format = FORMAT_JSON;
            else {
                fprintf(stderr, "parkstat checks: --format: \"%s\" is not table, csv or json\n",
                        optarg);
                return 2;
            }
            break;
        case 'h':
            usage(stdout);
            return -1;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!*db || optind < argc) {
        fprintf(stderr, "parkstat checks: %s\n", !*db ? "--db is required" : "unexpected argument");
        usage(stderr);
        return 2;
    }
    return 0;
}

/* Walks the violations into o and prints them. 0 or a negative errno. */
static int print_rows(struct store *st, const struct store_violation_query *q, struct out *o)
{
    int rc;

    switch (o->format) {
    case FORMAT_TABLE:
        if ((rc = table_new(&o->t, N_COLS, col_names, col_aligns)) < 0 ||
            (rc = store_checks_page(st, q, on_row, o)) < 0)
            return rc;
        return table_print(o->t, stdout);
    case FORMAT_CSV:
        for (int i = 0; i < N_COLS; i++)
            csv_field(col_names[i], i + 1 == N_COLS);
        return store_checks_page(st, q, on_row, o);
    case FORMAT_JSON:
        if (!(o->array = json_array()))
            return -ENOMEM;
        if ((rc = store_checks_page(st, q, on_row, o)) < 0)
            return rc;
        if (json_dumpf(o->array, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15)) < 0 ||
            putchar('\n') == EOF)
            return -EIO;
        return 0;
    }
    return -EINVAL;
}

int checks_command(int argc, char **argv)
{
    struct store_violation_query q = {0};
    struct out o = {.format = FORMAT_TABLE};
    struct store *st = NULL;
    const char *db = NULL;
    char errbuf[512] = "";
    int rc, status;

    if ((status = parse_options(argc, argv, &db, &q, &o)) != 0)
        return status < 0 ? 0 : status;
    status = 1;
    if (store_open(&st, db, STORE_READONLY, errbuf, sizeof(errbuf)) < 0) {
        fprintf(stderr, "parkstat checks: %s: %s\n", db, errbuf);
        goto out;
    }
    if ((rc = print_rows(st, &q, &o)) < 0) {
        fprintf(stderr, "parkstat checks: %s: %s\n", db,
                rc == -EIO ? store_errmsg(st) : strerror(-rc));
        goto out;
    }
    if (fflush(stdout) != 0) {
        fprintf(stderr, "parkstat checks: standard output: %s\n", strerror(errno));
        goto out;
    }
    status = 0;
out:
    table_free(&o.t);
    json_decref(o.array);
    store_close(&st);
    return status;
}
