/*
 * observations.c - `parkstat observations`: a local query through
 * store_observations(), printed as a table (two passes over the query: one to
 * measure the columns, one to print, so no row is copied; table.h measures
 * and pads), CSV (RFC 4180 quoting) or JSON (built with jansson).
 *
 * A table shows each value with its indicator's decimals; CSV and JSON with
 * 15 significant digits, the most a double holds for any decimal, so
 * "3266.61" prints as 3266.61 and not 3266.6100000000001. An unknown --unit
 * or --indicator is an error naming it, with the nearest known code.
 */
#include "cli/observations.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/hint.h"
#include "cli/table.h"
#include "common/buf.h"
#include "common/period.h"
#include "common/timefmt.h"
#include "store/observations.h"
#include "store/store.h"

enum format { FORMAT_TABLE, FORMAT_CSV, FORMAT_JSON };

/* A table shows the status after the value ("12.30 p"), CSV in a last column. */
enum { COL_UNIT, COL_INDICATOR, COL_PERIOD, COL_VALUE, COL_FROM, COL_TO, COL_STATUS, N_COLS };

static const char *const col_names[N_COLS] = {"unit",       "indicator", "period", "value",
                                              "valid_from", "valid_to",  "status"};

/* The printed text of one row's columns. */
struct row_text {
    const char *col[N_COLS];
    char value[80];
    char from[40];
    char to[40];
};

/* An indicator's code and decimals. */
struct decimals {
    char *code;
    int decimals;
};

struct printer {
    enum format format;
    int measuring; /* table: the first pass, which only measures */
    size_t width[N_COLS];
    json_t *array; /* json: the rows so far */
    long n_rows;
    struct decimals *dec; /* table: every indicator's decimals */
    size_t n_dec, cap_dec;
    int werr; /* errno of a failed write to stdout, 0 when none */
};

/* The decimals of indicator code, or -1 when unknown. */
static int decimals_of(const struct printer *p, const char *code)
{
    for (size_t i = 0; i < p->n_dec; i++)
        if (strcmp(p->dec[i].code, code) == 0)
            return p->dec[i].decimals;
    return -1;
}

static void row_texts(const struct printer *p, const struct store_obs_row *row, struct row_text *t)
{
    int d = p->format == FORMAT_TABLE ? decimals_of(p, row->indicator) : -1;
    int n;

    /* A missing value is "-" in a table and an empty CSV field, never 0. */
    if (row->missing)
        n = snprintf(t->value, sizeof(t->value), "%s", p->format == FORMAT_TABLE ? "-" : "");
    else if (d >= 0)
        n = snprintf(t->value, sizeof(t->value), "%.*f", d, row->value);
    else
        n = snprintf(t->value, sizeof(t->value), "%.15g", row->value);
    if (p->format == FORMAT_TABLE && row->status && n >= 0 && (size_t)n < sizeof(t->value))
        snprintf(t->value + n, sizeof(t->value) - (size_t)n, " %s", row->status);
    time_format_iso(row->valid_from, t->from, sizeof(t->from));
    if (row->valid_to)
        time_format_iso(row->valid_to, t->to, sizeof(t->to));
    else
        t->to[0] = '\0';
    t->col[COL_UNIT] = row->unit;
    t->col[COL_INDICATOR] = row->indicator;
    t->col[COL_PERIOD] = row->period;
    t->col[COL_VALUE] = t->value;
    t->col[COL_FROM] = t->from;
    t->col[COL_TO] = t->to;
    t->col[COL_STATUS] = row->status ? row->status : "";
}

/* Writes one CSV field, quoted when it holds a comma, quote or line break. */
static void csv_field(const char *s, int last)
{
    if (strpbrk(s, ",\"\r\n")) {
        putchar('"');
        for (; *s; s++) {
            if (*s == '"')
                putchar('"');
            putchar(*s);
        }
        putchar('"');
    } else {
        fputs(s, stdout);
    }
    putchar(last ? '\n' : ',');
}

static int table_line(const struct printer *p, const char *const col[N_COLS])
{
    static const enum table_align aligns[N_COLS] = {TABLE_LEFT,  TABLE_LEFT, TABLE_LEFT,
                                                    TABLE_RIGHT, TABLE_LEFT, TABLE_LEFT};
    return table_print_line(stdout, N_COLS - 1, p->width, aligns, col); /* status: in value */
}

static int json_row(struct printer *p, const struct row_text *t, const struct store_obs_row *r)
{
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:o, s:o, s:b, s:s, s:o}", "unit", r->unit, "indicator", r->indicator,
        "period", r->period, "value", r->missing ? json_null() : json_real(r->value), "status",
        r->status ? json_string(r->status) : json_null(), "missing", r->missing, "valid_from",
        t->from, "valid_to", r->valid_to ? json_string(t->to) : json_null());

    if (!o || json_array_append_new(p->array, o) < 0)
        return -ENOMEM;
    return 0;
}

static int on_row(const struct store_obs_row *row, void *ctx)
{
    struct printer *p = ctx;
    struct row_text t;

    row_texts(p, row, &t);
    if (!row->valid_to && p->format == FORMAT_TABLE)
        t.col[COL_TO] = "-";
    p->n_rows++;
    switch (p->format) {
    case FORMAT_TABLE:
        if (p->measuring) {
            table_widen(p->width, N_COLS, t.col);
            break;
        }
        if (table_line(p, t.col) < 0) {
            p->werr = errno;
            return -EPIPE;
        }
        break;
    case FORMAT_CSV:
        for (int i = 0; i < N_COLS; i++)
            csv_field(t.col[i], i + 1 == N_COLS);
        if (ferror(stdout)) {
            p->werr = errno;
            return -EPIPE;
        }
        break;
    case FORMAT_JSON:
        return json_row(p, &t, row);
    }
    return 0;
}

/* Runs the query and prints its rows in p's format. */
static int print_rows(struct store *st, const struct store_obs_query *q, struct printer *p)
{
    int rc;

    memset(p->width, 0, sizeof(p->width));
    table_widen(p->width, N_COLS, col_names);
    switch (p->format) {
    case FORMAT_TABLE:
        p->measuring = 1;
        if ((rc = store_observations(st, q, on_row, p)) < 0)
            return rc;
        p->measuring = 0;
        if (table_line(p, col_names) < 0) {
            p->werr = errno;
            return -EPIPE;
        }
        return store_observations(st, q, on_row, p);
    case FORMAT_CSV:
        for (int i = 0; i < N_COLS; i++)
            csv_field(col_names[i], i + 1 == N_COLS);
        return store_observations(st, q, on_row, p);
    case FORMAT_JSON:
        if (!(p->array = json_array()))
            return -ENOMEM;
        rc = store_observations(st, q, on_row, p);
        if (rc == 0 &&
            (json_dumpf(p->array, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15)) < 0 ||
             putchar('\n') == EOF)) {
            p->werr = errno;
            rc = -EPIPE;
        }
        json_decref(p->array);
        return rc;
    }
    return -EINVAL;
}

static void usage(FILE *out)
{
    fputs("usage: parkstat observations --db FILE [--unit U] [--indicator I]\n"
          "           [--from PERIOD] [--to PERIOD] [--as-of TIME] [--history]\n"
          "           [--format table|csv|json]\n"
          "Lists stored observations: current values, or those known at --as-of\n"
          "(ISO 8601: 2024-03-01, 2024-03-01T08:30:00Z, ...+08:00), or every vintage\n"
          "with --history. valid_to is empty (\"-\" in a table, null in JSON) while a\n"
          "value is current.\n",
          out);
}

static int bad_option(const char *opt, const char *arg, const char *what)
{
    fprintf(stderr, "parkstat observations: %s: \"%s\" is not %s\n", opt, arg, what);
    return 2;
}

static int parse_format(const char *text, enum format *out)
{
    static const char *const names[] = {"table", "csv", "json"};
    static const enum format formats[] = {FORMAT_TABLE, FORMAT_CSV, FORMAT_JSON};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(text, names[i]) == 0) {
            *out = formats[i];
            return 0;
        }
    }
    return -EINVAL;
}

/* Parses the options into q and p; returns 0, or the exit status to leave with
 * (-1 for --help). */
static int parse_options(int argc, char **argv, const char **db, struct store_obs_query *q,
                         struct printer *p)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"unit", required_argument, NULL, 'u'},
                                         {"indicator", required_argument, NULL, 'i'},
                                         {"from", required_argument, NULL, 'f'},
                                         {"to", required_argument, NULL, 't'},
                                         {"as-of", required_argument, NULL, 'a'},
                                         {"history", no_argument, NULL, 'H'},
                                         {"format", required_argument, NULL, 'F'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct period per;
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "d:u:i:f:t:a:HF:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            *db = optarg;
            break;
        case 'u':
            q->unit = optarg;
            break;
        case 'i':
            q->indicator = optarg;
            break;
        case 'f':
        case 't':
            if (period_parse_str(&per, optarg) < 0)
                return bad_option(c == 'f' ? "--from" : "--to", optarg, "a period");
            *(c == 'f' ? &q->from : &q->to) = optarg;
            break;
        case 'a':
            if (time_parse_iso(optarg, &q->as_of) < 0)
                return bad_option("--as-of", optarg, "an ISO 8601 time");
            break;
        case 'H':
            q->history = 1;
            break;
        case 'F':
            if (parse_format(optarg, &p->format) < 0)
                return bad_option("--format", optarg, "table, csv or json");
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
        fprintf(stderr, "parkstat observations: %s\n",
                !*db ? "--db is required" : "unexpected argument");
        usage(stderr);
        return 2;
    }
    return 0;
}

/* Codes of units (or indicators) for a did-you-mean; decimals kept on the way. */
struct codes {
    char **code;
    size_t n, cap;
    struct printer *p; /* indicators: their decimals into p->dec */
};

static int codes_add(struct codes *c, const char *code)
{
    if (BUF_GROW(&c->code, &c->cap, c->n + 1, BUF_UNCAPPED) < 0 || !(c->code[c->n] = strdup(code)))
        return -ENOMEM;
    c->n++;
    return 0;
}

static int on_unit(const struct store_unit_row *row, void *ctx)
{
    return codes_add(ctx, row->code);
}

static int on_indicator(const struct store_indicator_row *row, void *ctx)
{
    struct codes *c = ctx;
    struct printer *p = c->p;

    if (codes_add(c, row->code) < 0 ||
        BUF_GROW(&p->dec, &p->cap_dec, p->n_dec + 1, BUF_UNCAPPED) < 0 ||
        !(p->dec[p->n_dec].code = strdup(row->code)))
        return -ENOMEM;
    p->dec[p->n_dec++].decimals = row->decimals;
    return 0;
}

static void codes_free(struct codes *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->code[i]);
    free(c->code);
}

/* Is code among c's? Else prints that it is unknown, with the nearest. */
static int known(const struct codes *c, const char *what, const char *code, const char *db)
{
    const char *near;

    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->code[i], code) == 0)
            return 1;
    near = hint_nearest(code, (const char *const *)c->code, c->n);
    fprintf(stderr, "parkstat observations: %s: unknown %s \"%s\"", db, what, code);
    if (near)
        fprintf(stderr, " (did you mean \"%s\"?)", near);
    fputc('\n', stderr);
    return 0;
}

/* Reads the units and indicators: the indicators' decimals into p, and 0 when
 * q's unit and indicator are known; else 1 with the message printed. */
static int check_codes(struct store *st, const char *db, const struct store_obs_query *q,
                       struct printer *p)
{
    struct codes units = {0}, inds = {.p = p};
    int rc, status = 0;

    if ((rc = store_units_list(st, on_unit, &units)) < 0 ||
        (rc = store_indicators_list(st, on_indicator, &inds)) < 0) {
        fprintf(stderr, "parkstat observations: %s: %s\n", db,
                rc == -EIO ? store_errmsg(st) : strerror(-rc));
        status = 1;
    } else if ((q->unit && !known(&units, "unit", q->unit, db)) ||
               (q->indicator && !known(&inds, "indicator", q->indicator, db))) {
        status = 1;
    }
    codes_free(&units);
    codes_free(&inds);
    return status;
}

int observations_command(int argc, char **argv)
{
    struct store_obs_query q = {0};
    struct printer p = {.format = FORMAT_TABLE};
    struct store *st = NULL;
    const char *db = NULL;
    char errbuf[512] = "";
    int rc, status;

    if ((status = parse_options(argc, argv, &db, &q, &p)) != 0)
        return status < 0 ? 0 : status;
    status = 1;
    if (store_open(&st, db, STORE_READONLY, errbuf, sizeof(errbuf)) < 0) {
        fprintf(stderr, "parkstat observations: %s: %s\n", db, errbuf);
        goto out;
    }
    if (check_codes(st, db, &q, &p) != 0)
        goto out;
    if ((rc = print_rows(st, &q, &p)) < 0 && rc != -EPIPE) {
        fprintf(stderr, "parkstat observations: %s: %s\n", db,
                rc == -EIO ? store_errmsg(st) : strerror(-rc));
        goto out;
    }
    if (rc == 0 && fflush(stdout) != 0)
        p.werr = errno;
    if (rc < 0 || p.werr) {
        fprintf(stderr, "parkstat observations: standard output: %s\n",
                strerror(p.werr ? p.werr : EIO));
        goto out;
    }
    status = 0;
out:
    for (size_t i = 0; i < p.n_dec; i++)
        free(p.dec[i].code);
    free(p.dec);
    store_close(&st);
    return status;
}
