/*
 * report.c - `parkstat report`: the quarterly monitoring bulletin of one
 * index, read from a running parkstatd over its HTTP API and written as HTML
 * (printable, self-contained), Markdown or CSV (report_out.c, report_html.c).
 *
 * What it asks: /api/v1/indicators (names), /api/v1/rankings/ID for the
 * period and the one before, /api/v1/indices/ID for both (contributions),
 * /api/v1/series for each park's key indicators (value and year-on-year
 * growth), /api/v1/indices/ID/sensitivity for the ranks' uncertainty
 * (report_sens.c). The city headline is the mean of the parks' total scores; a
 * park's change is explained by the indicators with the largest
 * contributions to it (the API's contributions sum to the change).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/client.h"
#include "cli/curl_dl.h"
#include "cli/hint.h"
#include "cli/report.h"
#include "cli/report_priv.h"
#include "common/buf.h"

#define PATH_SIZE 1024

struct report_opts {
    const char *url, *period, *format, *output, *keys;
    int keys_given; /* --indicators: each must be known */
    double timeout_s;
};

#define DEFAULT_KEYS "revenue,industrial_value_added,tax"

static char *dup_str(const json_t *v)
{
    const char *s = json_string_value(v);
    return strdup(s ? s : "");
}

static struct report_num num_of(const json_t *v)
{
    struct report_num n = {0, 0};
    if (json_is_number(v)) {
        n.v = json_number_value(v);
        n.has = 1;
    }
    return n;
}

/* Appends a formatted note (see report_priv.h). */
int report_note(struct report *r, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (BUF_GROW(&r->notes, &r->cap_notes, r->nnotes + 1, BUF_UNCAPPED) < 0)
        return -ENOMEM;
    if (!(r->notes[r->nnotes] = strdup(buf)))
        return -ENOMEM;
    r->nnotes++;
    return 0;
}

/* The name of an indicator (see report_priv.h). */
const char *report_indicator_name(const struct report *r, const char *code)
{
    for (size_t i = 0; i < r->nindicators; i++)
        if (strcmp(r->indicators[i].code, code) == 0)
            return r->indicators[i].name;
    return code;
}

static void indicator_free(struct report_indicator *ind)
{
    free(ind->code);
    free(ind->name);
    free(ind->measure);
}

/* Releases the model (see report_priv.h). */
void report_free(struct report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nparks; i++) {
        free(r->parks[i].unit);
        free(r->parks[i].name);
        for (size_t k = 0; k < r->parks[i].ntop; k++)
            free(r->parks[i].top[k].indicator);
    }
    free(r->parks);
    report_charts_free(r);
    for (size_t i = 0; i < r->nindicators; i++)
        indicator_free(&r->indicators[i]);
    free(r->indicators);
    for (size_t i = 0; i < r->nkeys; i++)
        indicator_free(&r->keys[i]);
    for (size_t i = 0; i < r->nnotes; i++)
        free(r->notes[i]);
    free(r->notes);
    free(r->index);
    free(r->source_url);
    memset(r, 0, sizeof(*r));
}

/* GET path with name=value parameters (NULL-terminated pairs), every page of
 * a paged list (indicators, rankings, index results). */
static int fetch(struct client *c, json_t **data, const char *path, ...)
{
    char buf[PATH_SIZE];
    const char *name;
    va_list ap;
    int rc = 0;

    snprintf(buf, sizeof(buf), "%s", path);
    va_start(ap, path);
    while (rc == 0 && (name = va_arg(ap, const char *)))
        rc = client_path_add(buf, sizeof(buf), name, va_arg(ap, const char *));
    va_end(ap);
    return rc < 0 ? rc : client_get_json_all(c, buf, data);
}

static int load_indicators(struct report *r, struct client *c)
{
    json_t *data = NULL, *row;
    size_t i;
    int rc = fetch(c, &data, "/api/v1/indicators", (const char *)NULL);

    if (rc < 0)
        return rc;
    r->indicators = calloc(json_array_size(data) + 1, sizeof(*r->indicators));
    if (!r->indicators) {
        json_decref(data);
        return -ENOMEM;
    }
    json_array_foreach(data, i, row)
    {
        struct report_indicator *ind = &r->indicators[r->nindicators++];
        ind->code = dup_str(json_object_get(row, "code"));
        ind->name = dup_str(json_object_get(row, "name"));
        ind->measure = dup_str(json_object_get(row, "measure"));
        ind->decimals = (int)json_integer_value(json_object_get(row, "decimals"));
        if (!ind->code || !ind->name || !ind->measure)
            rc = -ENOMEM;
    }
    json_decref(data);
    return rc;
}

/* Prints that --indicators names an unknown code, with the nearest known. */
static void unknown_key(const struct report *r, const char *code)
{
    const char **codes = calloc(r->nindicators + 1, sizeof(*codes));
    const char *near = NULL;

    if (codes) {
        for (size_t i = 0; i < r->nindicators; i++)
            codes[i] = r->indicators[i].code;
        near = hint_nearest(code, codes, r->nindicators);
    }
    fprintf(stderr, "parkstat report: --indicators: unknown indicator \"%s\"", code);
    if (near)
        fprintf(stderr, " (did you mean \"%s\"?)", near);
    fputc('\n', stderr);
    free(codes);
}

/*
 * The key indicators from "a,b,c", with their names and measures. Given with
 * --indicators (strict), an unknown code is an error (-EDOM, printed); the
 * default list keeps the codes the API knows.
 */
static int set_keys(struct report *r, const char *list, int strict)
{
    char buf[512], *save = NULL;
    snprintf(buf, sizeof(buf), "%s", list);
    for (char *tok = strtok_r(buf, ",", &save); tok && r->nkeys < REPORT_MAX_KEYS;
         tok = strtok_r(NULL, ",", &save)) {
        const struct report_indicator *known = NULL;
        for (size_t i = 0; i < r->nindicators; i++)
            if (strcmp(r->indicators[i].code, tok) == 0)
                known = &r->indicators[i];
        if (!known && strict) {
            unknown_key(r, tok);
            return -EDOM;
        }
        if (!known)
            continue;
        struct report_indicator *k = &r->keys[r->nkeys++];
        /* The copies are r's (report_free); the analyzer loses stores into an
         * array element at a variable index and calls them leaked. */
        // NOLINTBEGIN(clang-analyzer-unix.Malloc)
        k->code = strdup(tok);
        k->name = strdup(known->name);
        k->measure = strdup(known->measure);
        k->decimals = known->decimals;
        if (!k->code || !k->name || !k->measure)
            return -ENOMEM;
        // NOLINTEND(clang-analyzer-unix.Malloc)
    }
    return 0;
}

/* The parks of the period's ranking, in the API's order. */
static int load_ranking(struct report *r, struct client *c)
{
    json_t *data = NULL, *row;
    size_t i;
    char path[PATH_SIZE];
    int rc;

    snprintf(path, sizeof(path), "/api/v1/rankings/%s", r->index);
    if ((rc = fetch(c, &data, path, "period", r->period, (const char *)NULL)) < 0)
        return rc;
    json_t *rows = json_object_get(data, "ranking");
    r->parks = calloc(json_array_size(rows) + 1, sizeof(*r->parks));
    if (!r->parks) {
        json_decref(data);
        return -ENOMEM;
    }
    json_array_foreach(rows, i, row)
    {
        struct report_park *p = &r->parks[r->nparks++];
        p->unit = dup_str(json_object_get(row, "unit"));
        p->name = dup_str(json_object_get(row, "name"));
        p->score = num_of(json_object_get(row, "score"));
        p->rank = num_of(json_object_get(row, "rank"));
        p->rank_change = num_of(json_object_get(row, "rank_change"));
        p->flags = (long)json_integer_value(json_object_get(row, "flags"));
        if (!p->unit || !p->name)
            rc = -ENOMEM;
    }
    json_decref(data);
    return rc;
}

static struct report_park *park_find(struct report *r, const char *unit)
{
    for (size_t i = 0; i < r->nparks; i++)
        if (strcmp(r->parks[i].unit, unit) == 0)
            return &r->parks[i];
    return NULL;
}

/* The previous period's scores (prev_score) and the city means. */
static int load_previous(struct report *r, struct client *c)
{
    json_t *data = NULL, *row;
    char path[PATH_SIZE];
    size_t i;

    snprintf(path, sizeof(path), "/api/v1/rankings/%s", r->index);
    if (!r->prev[0] || fetch(c, &data, path, "period", r->prev, (const char *)NULL) < 0 ||
        json_array_size(json_object_get(data, "ranking")) == 0) {
        json_decref(data);
        r->prev[0] = '\0';
        return report_note(r, "no results for the previous period: changes are not shown");
    }
    json_array_foreach(json_object_get(data, "ranking"), i, row)
    {
        struct report_park *p = park_find(r, json_string_value(json_object_get(row, "unit")));
        if (p)
            p->prev_score = num_of(json_object_get(row, "score"));
    }
    json_decref(data);
    return 0;
}

/* The mean of the parks' scores (cur) or previous scores. */
static struct report_num city_mean(const struct report *r, int prev)
{
    struct report_num m = {0, 0};
    double sum = 0;
    int n = 0;
    for (size_t i = 0; i < r->nparks; i++) {
        const struct report_num *s = prev ? &r->parks[i].prev_score : &r->parks[i].score;
        if (s->has) {
            sum += s->v;
            n++;
        }
    }
    if (n) {
        m.v = sum / n;
        m.has = 1;
    }
    return m;
}

/* Contributions of the index in period: a JSON array (new reference) in *out. */
static int load_contribs(struct report *r, struct client *c, const char *period, json_t **out)
{
    json_t *data = NULL;
    char path[PATH_SIZE];
    int rc;

    snprintf(path, sizeof(path), "/api/v1/indices/%s", r->index);
    if ((rc = fetch(c, &data, path, "period", period, (const char *)NULL)) < 0)
        return rc;
    *out = json_incref(json_object_get(data, "contributions"));
    json_decref(data);
    return *out ? 0 : -EPROTO;
}

/* Keeps the REPORT_TOP largest |delta| of p, largest first. */
static int top_insert(struct report_park *p, const char *indicator, double delta)
{
    size_t at = p->ntop;
    while (at > 0 && fabs(p->top[at - 1].delta) < fabs(delta))
        at--;
    if (at >= REPORT_TOP)
        return 0;
    if (p->ntop == REPORT_TOP)
        free(p->top[--p->ntop].indicator);
    memmove(&p->top[at + 1], &p->top[at], (p->ntop - at) * sizeof(p->top[0]));
    p->ntop++;
    p->top[at].delta = delta;
    return (p->top[at].indicator = strdup(indicator)) ? 0 : -ENOMEM;
}

/* Each park's largest contributions: the API stores, per indicator, its part
 * of the score's change since the previous period (they sum to the change). */
static int load_contributors(struct report *r, struct client *c)
{
    json_t *cur = NULL, *row;
    size_t i;
    int rc = 0;

    if (!r->prev[0] || (rc = load_contribs(r, c, r->period, &cur)) < 0)
        return r->prev[0] ? rc : 0;
    json_array_foreach(cur, i, row)
    {
        const char *unit = json_string_value(json_object_get(row, "unit"));
        const char *ind = json_string_value(json_object_get(row, "indicator"));
        const json_t *v = json_object_get(row, "contribution");
        struct report_park *p = unit && ind && json_is_number(v) ? park_find(r, unit) : NULL;
        if (p && (rc = top_insert(p, ind, json_number_value(v))) < 0)
            break;
    }
    json_decref(cur);
    return rc < 0 ? rc : 0;
}

/* The first point of /api/v1/series for unit, indicator, period, transform. */
static int series_point(struct client *c, const char *unit, const char *ind, const char *period,
                        const char *transform, json_t **data, json_t **point)
{
    int rc = fetch(c, data, "/api/v1/series", "unit", unit, "indicator", ind, "from", period, "to",
                   period, "transform", transform, (const char *)NULL);
    if (rc < 0)
        return rc;
    *point = json_array_get(json_object_get(*data, "points"), 0);
    return 0;
}

static int point_incomplete(const json_t *pt)
{
    const json_t *cov = json_object_get(pt, "coverage");
    const char *flags = json_string_value(json_object_get(pt, "flags"));
    return (json_is_number(cov) && json_number_value(cov) < 1) ||
           (flags && (strstr(flags, "incomplete") || strstr(flags, "missing")));
}

/* One park's key indicator: value, growth, completeness (and a note). */
static int load_key(struct report *r, struct client *c, struct report_park *p, size_t k)
{
    json_t *v = NULL, *g = NULL, *pv = NULL, *pg = NULL;
    const char *code = r->keys[k].code;
    int rc = 0;

    if (series_point(c, p->unit, code, r->period, "value", &v, &pv) < 0) {
        const struct client_error *e = client_last_error(c);
        rc = report_note(r, "%s %s: no value (%s)", p->unit, code, e->message);
        goto out;
    }
    p->keys[k].value = num_of(json_object_get(pv, "value"));
    const char *status = json_string_value(json_object_get(pv, "status"));
    snprintf(p->keys[k].status, sizeof(p->keys[k].status), "%s", status ? status : "");
    /* a value made of finer observations: every status code of its inputs */
    if (!status && p->keys[k].value.has &&
        (rc = report_status_of_period(c, p->unit, code, r->period, p->keys[k].status,
                                      sizeof(p->keys[k].status))) < 0 &&
        (rc = report_note(r, "%s %s: status codes %s", p->unit, code,
                          rc == -ENOSPC ? "not all shown" : client_last_error(c)->message)) < 0)
        goto out;
    if (series_point(c, p->unit, code, r->period, "yoy", &g, &pg) == 0)
        p->keys[k].yoy = num_of(json_object_get(pg, "value"));
    if ((p->keys[k].incomplete = point_incomplete(pv)))
        rc = report_note(r, "%s %s %s: incomplete data (coverage %.0f%%, %s)", p->unit, code,
                         r->period, json_number_value(json_object_get(pv, "coverage")) * 100,
                         json_string_value(json_object_get(pv, "flags")));
out:
    json_decref(v);
    json_decref(g);
    return rc;
}

/* The compute flag bits (compute/compute.h COMPUTE_FLAG_*), lowest first. */
static const char *const flag_names[] = {"incomplete", "reweighted", "carried",    "excluded",
                                         "missing",    "imputed",    "two_months", "degenerate",
                                         "rolled_up",  "treated"};

/* Notes on a park's total: no score, flags. */
static int note_park(struct report *r, const struct report_park *p)
{
    char text[256] = "";
    size_t n = 0;

    if (!p->score.has)
        return report_note(r, "%s %s: no score for %s", p->unit, p->name, r->period);
    for (size_t b = 0; b < sizeof(flag_names) / sizeof(flag_names[0]); b++)
        if (p->flags & (1L << b) && n < sizeof(text))
            n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%s", n ? ", " : "", flag_names[b]);
    return p->flags ? report_note(r, "%s %s: score flagged (%s)", p->unit, p->name, text) : 0;
}

static int load_parks_detail(struct report *r, struct client *c)
{
    int rc = 0;
    for (size_t i = 0; i < r->nparks && rc == 0; i++) {
        rc = note_park(r, &r->parks[i]);
        for (size_t k = 0; k < r->nkeys && rc == 0; k++)
            rc = load_key(r, c, &r->parks[i], k);
    }
    return rc;
}

/*
 * Fills r for index id and the options' period from the API at c. Returns 0;
 * -EINVAL for a bad period; -EDOM for a period of another frequency than the
 * index's or an unknown --indicators code, -ENOENT for a period without
 * results (each printed); another negative errno with the client's error.
 */
static int report_load(struct report *r, struct client *c, const char *id,
                       const struct report_opts *o)
{
    struct hint_range range;
    struct period p, first;
    time_t now = time(NULL);
    struct tm tm;
    int rc;

    if (period_parse_str(&p, o->period) < 0)
        return -EINVAL;
    period_format(p, r->period, sizeof(r->period));
    period_format(period_prev(p), r->prev, sizeof(r->prev));
    strftime(r->generated, sizeof(r->generated), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    if (!(r->index = strdup(id)) || !(r->source_url = strdup(client_url(c))))
        return -ENOMEM;
    if (hint_range_load(c, id, &range) == 0 && range.known &&
        period_parse_str(&first, range.first) == 0 && first.freq != p.freq) {
        fprintf(stderr, "parkstat report: --period %s is %s but ", r->period,
                hint_freq_name(p.freq));
        hint_range_print(stderr, id, &range);
        fputc('\n', stderr);
        return -EDOM;
    }
    if ((rc = load_indicators(r, c)) < 0 || (rc = set_keys(r, o->keys, o->keys_given)) < 0 ||
        (rc = load_ranking(r, c)) < 0)
        return rc;
    if (r->nparks == 0) {
        fprintf(stderr, "parkstat report: no results for %s: ", r->period);
        hint_range_print(stderr, id, &range);
        fputc('\n', stderr);
        return -ENOENT;
    }
    if ((rc = load_previous(r, c)) < 0 || (rc = load_contributors(r, c)) < 0 ||
        (rc = load_parks_detail(r, c)) < 0 || (rc = report_sens_load(r, c)) < 0 ||
        (rc = report_checks_load(r, c)) < 0 || (rc = report_charts_load(r, c)) < 0)
        return rc;
    r->city = city_mean(r, 0);
    r->city_prev = city_mean(r, 1);
    return 0;
}

static void usage(FILE *out)
{
    fputs("usage: parkstat report ID --period PERIOD [--format html|md|csv|xlsx|pdf]\n"
          "                       [--url URL]\n"
          "                       [--indicators A,B,C] [--output FILE] [--timeout S]\n"
          "  The monitoring bulletin of index ID for PERIOD (e.g. 2023-Q3), read from\n"
          "  parkstatd's API at URL (default $PARKSTAT_URL or http://127.0.0.1:8080):\n"
          "  the city's index (mean of the parks) and its change, the parks' scores,\n"
          "  ranks and rank changes, key indicators (--indicators, each one the API\n"
          "  knows; default those of revenue, industrial_value_added and tax it knows)\n"
          "  with year-on-year growth, the three largest contributors to each park's\n"
          "  change, each park's rank with its 5-95 % interval over the API's\n"
          "  sensitivity analysis and the first-order sensitivity of the ranks to each\n"
          "  assumption (md, html, csv), and notes on incomplete data.\n"
          "  --format html (default; printable A4, self-contained, with SVG charts of\n"
          "  the city index over eight periods and the parks' scores), md, csv, xlsx\n"
          "  (an Excel workbook: ranking, indicators, contributions, notes) or pdf (the\n"
          "  html printed to A4 by headless Chromium, which must be installed).\n"
          "  Exit status: 0 ok; 1 the API failed, no results for PERIOD, or the output\n"
          "  could not be written (pdf: no Chromium); 2 usage: a missing or bad --period, a period "
          "of\n"
          "  another frequency than the index's, an unknown --indicators code.\n",
          out);
}

/* Parses argv into o; returns 0, 1 for --help, 2 on a usage error, or 3 when
 * all is well but --period is missing. */
static int parse_args(int argc, char **argv, struct report_opts *o, const char **id)
{
    static const struct option longopts[] = {{"period", required_argument, NULL, 'p'},
                                             {"format", required_argument, NULL, 'f'},
                                             {"url", required_argument, NULL, 'u'},
                                             {"output", required_argument, NULL, 'o'},
                                             {"indicators", required_argument, NULL, 'i'},
                                             {"timeout", required_argument, NULL, 't'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int ch;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "p:f:u:o:i:t:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'p':
            o->period = optarg;
            break;
        case 'f':
            o->format = optarg;
            break;
        case 'u':
            o->url = optarg;
            break;
        case 'o':
            o->output = optarg;
            break;
        case 'i':
            o->keys = optarg;
            o->keys_given = 1;
            break;
        case 't':
            o->timeout_s = strtod(optarg, NULL);
            break;
        case 'h':
            usage(stdout);
            return 1;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc - 1 || o->timeout_s <= 0 ||
        (strcmp(o->format, "html") != 0 && strcmp(o->format, "md") != 0 &&
         strcmp(o->format, "csv") != 0 && strcmp(o->format, "xlsx") != 0 &&
         strcmp(o->format, "pdf") != 0)) {
        usage(stderr);
        return 2;
    }
    *id = argv[optind];
    return o->period ? 0 : 3;
}

/* --period is missing: says so, with the forms of a period and, when the API
 * answers, the periods index id has results for. */
static void missing_period(struct client *c, const char *id)
{
    struct hint_range range;

    fprintf(stderr, "parkstat report: --period is missing: a period such as %s\n",
            hint_period_forms);
    if (c && hint_range_load(c, id, &range) == 0) {
        fputs("parkstat report: ", stderr);
        hint_range_print(stderr, id, &range);
        fputc('\n', stderr);
    }
}

/* Writes the bulletin to --output or stdout; a failure (a full disk) is
 * printed with the path and the reason. Returns 0 or -EIO. */
static int write_report(const struct report *r, const struct report_opts *o)
{
    const char *path = o->output ? o->output : "standard output";
    FILE *out;
    int rc, err = 0;

    if (strcmp(o->format, "pdf") == 0)
        return report_write_pdf(r, o->output);
    out = o->output ? fopen(o->output, "w") : stdout;
    if (!out) {
        fprintf(stderr, "parkstat report: %s: %s\n", path, strerror(errno));
        return -EIO;
    }
    rc = strcmp(o->format, "md") == 0     ? report_write_md(r, out)
         : strcmp(o->format, "csv") == 0  ? report_write_csv(r, out)
         : strcmp(o->format, "xlsx") == 0 ? report_write_xlsx(r, out)
                                          : report_write_html(r, out);
    if (rc < 0)
        err = errno;
    if (out == stdout) {
        if (fflush(out) != 0 && !err)
            err = errno;
    } else if (fclose(out) != 0 && !err) {
        err = errno;
    }
    if (rc < 0 || err) {
        fprintf(stderr, "parkstat report: %s: %s\n", path, strerror(err ? err : EIO));
        return -EIO;
    }
    return 0;
}

/* The `report` command (see report.h). */
int report_command(int argc, char **argv)
{
    struct report_opts o = {
        .url = getenv("PARKSTAT_URL"), .format = "html", .keys = DEFAULT_KEYS, .timeout_s = 30};
    struct report r = {0};
    struct client *c = NULL;
    const char *id = NULL;
    int rc = parse_args(argc, argv, &o, &id), status = 1;

    if (rc == 1 || rc == 2)
        return rc == 1 ? 0 : 2;
    if (strcmp(o.format, "pdf") == 0 && report_pdf_check() < 0)
        return 1;
    const char *url = o.url && *o.url ? o.url : "http://127.0.0.1:8080";
    if ((rc = client_new(&c, url, o.timeout_s)) < 0) {
        char why[256] = "";
        if (rc == -ENOSYS)
            curl_dl(why, sizeof(why));
        if (!o.period)
            missing_period(NULL, id);
        fprintf(stderr, "parkstat report: %s: %s\n", url, why[0] ? why : strerror(-rc));
        status = o.period ? 1 : 2;
        goto out;
    }
    if (!o.period) {
        missing_period(c, id);
        status = 2;
    } else if ((rc = report_load(&r, c, id, &o)) == -EINVAL) {
        fprintf(stderr, "parkstat report: --period: \"%s\" is not a period (%s)\n", o.period,
                hint_period_forms);
        status = 2;
    } else if (rc == -EDOM || rc == -ENOENT) {
        status = rc == -EDOM ? 2 : 1;
    } else if (rc < 0) {
        const struct client_error *e = client_last_error(c);
        if (e->code)
            fprintf(stderr, "error %ld: %s\n", e->code, e->message);
        else
            fprintf(stderr, "parkstat report: %s\n", e->message[0] ? e->message : strerror(-rc));
        status = e->code == 400 ? 2 : 1;
    } else if (write_report(&r, &o) == 0) {
        status = 0;
    }
out:
    report_free(&r);
    client_free(&c);
    return status;
}
