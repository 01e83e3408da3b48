/*
 * report_charts.c - the charts of the HTML bulletin (report_svg.c draws
 * them): the city index (the mean of the parks' total scores, as the
 * headline) over the REPORT_TREND periods up to the bulletin's, read from
 * /api/v1/rankings/ID for each period; the parks' scores by rank with their
 * rank changes; each park's change since the previous period split by the
 * index's top-level dimensions: the sum of the API's contributions of the
 * leaves under each (they sum to the change), the tree from the `tree` of
 * /api/v1/indices/ID. A period without results is a gap in the line, a park
 * without a score a row without a bar, a dimension without contributions no
 * segment: never a 0.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"
#include "cli/report_priv.h"
#include "cli/report_svg.h"
#include "common/period.h"

#define SCORE_DECIMALS 2 /* as the bulletin's tables */
#define LINE_COLOR     "#d9480f"
#define BAR_COLOR      "#2f6ea8"

/* The mean of the total scores of period's ranking in *city (absent when it
 * has none). Returns 0, -ENOMEM, or another negative errno with the
 * client's error. */
static int city_of(struct client *c, const char *index, const char *period, struct report_num *city)
{
    char path[512];
    json_t *data = NULL, *row;
    double sum = 0;
    size_t i, n = 0;
    int rc;

    snprintf(path, sizeof(path), "/api/v1/rankings/%s", index);
    if ((rc = client_path_add(path, sizeof(path), "period", period)) < 0 ||
        (rc = client_get_json_all(c, path, &data)) < 0)
        return rc;
    json_array_foreach(json_object_get(data, "ranking"), i, row)
    {
        const json_t *score = json_object_get(row, "score");
        if (json_is_number(score)) {
            sum += json_number_value(score);
            n++;
        }
    }
    json_decref(data);
    city->has = n > 0;
    city->v = n ? sum / (double)n : 0;
    return 0;
}

/* The city index of the REPORT_TREND periods up to the bulletin's. */
static int load_trend(struct report *r, struct client *c)
{
    struct period p;

    if (period_parse_str(&p, r->period) < 0)
        return 0;
    r->ntrend = REPORT_TREND;
    for (size_t i = REPORT_TREND; i-- > 0; p = period_prev(p)) {
        struct report_point *pt = &r->trend[i];
        int rc;

        period_format(p, pt->period, sizeof(pt->period));
        pt->city.has = 0;
        if ((rc = city_of(c, r->index, pt->period, &pt->city)) == -ENOMEM)
            return rc;
        /* no results for a period (404) is a gap; anything else a note too */
        if (rc < 0 && client_last_error(c)->code != 404 &&
            (rc = report_note(r, "city index %s not shown: %s", pt->period,
                              client_last_error(c)->message)) < 0)
            return rc;
    }
    return 0;
}

/* The top-level dimension (its position in tree among those whose parent is
 * the index) of node, following parents; -1 when none. */
/* row's text member key, "" when none. */
static const char *str_of(const json_t *row, const char *key)
{
    const char *s = json_string_value(json_object_get(row, key));
    return s ? s : "";
}

static long top_of(const json_t *tree, const char *index, const char *node)
{
    for (size_t depth = 0; node && depth < json_array_size(tree); depth++) {
        const json_t *row = NULL;
        size_t i;
        json_array_foreach(tree, i, row)
        {
            if (strcmp(node, str_of(row, "node")) == 0)
                break;
        }
        if (i == json_array_size(tree))
            return -1;
        const char *parent = json_string_value(json_object_get(row, "parent"));
        if (parent && strcmp(parent, index) == 0) {
            long top = 0;
            for (size_t k = 0; k < i; k++)
                top += strcmp(str_of(json_array_get(tree, k), "parent"), index) == 0;
            return top;
        }
        node = parent;
    }
    return -1;
}

static struct report_park *park_of(struct report *r, const char *unit)
{
    for (size_t i = 0; unit && i < r->nparks; i++)
        if (strcmp(r->parks[i].unit, unit) == 0)
            return &r->parks[i];
    return NULL;
}

/* The top-level dimensions of the tree and each park's contributions summed
 * by them (see the head of the file). */
static int load_dims(struct report *r, const json_t *data)
{
    const json_t *tree = json_object_get(data, "tree"), *row;
    size_t i, n = 0;

    json_array_foreach(tree, i, row)
    {
        n += strcmp(str_of(row, "parent"), r->index) == 0;
    }
    if (n == 0)
        return report_note(r, "chart of the contributions by dimension not shown: the API "
                              "gives no index tree");
    r->dims = calloc(n, sizeof(*r->dims));
    r->dim_parts = calloc(n * r->nparks + 1, sizeof(*r->dim_parts));
    if (!r->dims || !r->dim_parts)
        return -ENOMEM;
    json_array_foreach(tree, i, row)
    {
        if (strcmp(str_of(row, "parent"), r->index) != 0)
            continue;
        const char *name = json_string_value(json_object_get(row, "name"));
        if (!name || !*name)
            name = json_string_value(json_object_get(row, "node"));
        if (!(r->dims[r->ndims++] = strdup(name ? name : "?")))
            return -ENOMEM;
    }
    json_array_foreach(json_object_get(data, "contributions"), i, row)
    {
        const json_t *v = json_object_get(row, "contribution");
        const struct report_park *p = park_of(r, json_string_value(json_object_get(row, "unit")));
        const char *leaf = json_string_value(json_object_get(row, "indicator"));
        long d = p && leaf && json_is_number(v) ? top_of(tree, r->index, leaf) : -1;
        if (d < 0)
            continue;
        struct report_num *part = &r->dim_parts[(size_t)(p - r->parks) * r->ndims + (size_t)d];
        part->v += json_number_value(v);
        part->has = 1;
    }
    return 0;
}

/* Loads the contributions by dimension of the bulletin's period. */
static int load_contribs(struct report *r, struct client *c)
{
    char path[512];
    json_t *data = NULL;
    int rc;

    if (!r->prev[0])
        return 0;
    snprintf(path, sizeof(path), "/api/v1/indices/%s", r->index);
    if ((rc = client_path_add(path, sizeof(path), "period", r->period)) < 0)
        return rc;
    if ((rc = client_get_json_all(c, path, &data)) < 0)
        return rc == -ENOMEM ? rc
                             : report_note(r,
                                           "chart of the contributions by dimension not "
                                           "shown: %s",
                                           client_last_error(c)->message);
    rc = load_dims(r, data);
    json_decref(data);
    return rc;
}

/* Releases what report_charts_load() loaded (see report_priv.h). */
void report_charts_free(struct report *r)
{
    for (size_t i = 0; i < r->ndims; i++)
        free(r->dims[i]);
    free(r->dims);
    free(r->dim_parts);
    r->dims = NULL;
    r->dim_parts = NULL;
    r->ndims = 0;
}

/* Loads the charts' data (see report_priv.h). */
int report_charts_load(struct report *r, struct client *c)
{
    int rc = load_trend(r, c);
    return rc < 0 ? rc : load_contribs(r, c);
}

/* A rank change as ▲2 (up two places), ▼1, – (same); NULL when none. */
static const char *rank_note(char *buf, size_t size, struct report_num c, const char **cls)
{
    *cls = c.has && c.v > 0 ? "up" : c.has && c.v < 0 ? "down" : "same";
    if (!c.has)
        return "—";
    if (c.v == 0)
        return "–";
    snprintf(buf, size, "%s%.0f", c.v > 0 ? "▲" : "▼", c.v > 0 ? c.v : -c.v);
    return buf;
}

static void chart_trend(const struct report *r, FILE *out)
{
    const char *labels[REPORT_TREND];
    struct report_num v[REPORT_TREND];

    if (!r->ntrend)
        return;
    for (size_t i = 0; i < r->ntrend; i++) {
        labels[i] = r->trend[i].period;
        v[i] = r->trend[i].city;
    }
    struct svg_series s = {"全市指数 City index", labels, v, r->ntrend, SCORE_DECIMALS, LINE_COLOR};
    fprintf(out,
            "<figure class=\"chart\" id=\"chart-trend\"><figcaption>图1 全市指数近%zu期走势 "
            "City index (mean of the parks' scores), last %zu periods</figcaption>\n",
            r->ntrend, r->ntrend);
    svg_line(out, &s);
    fputs("</figure>\n", out);
}

static void chart_ranking(const struct report *r, FILE *out)
{
    struct svg_bar *bars = calloc(r->nparks + 1, sizeof(*bars));
    char(*notes)[16] = calloc(r->nparks + 1, sizeof(*notes));

    if (bars && notes) {
        for (size_t i = 0; i < r->nparks; i++) {
            const struct report_park *p = &r->parks[i];
            bars[i].label = p->name;
            bars[i].value = p->score;
            bars[i].note =
                rank_note(notes[i], sizeof(notes[i]), p->rank_change, &bars[i].note_class);
        }
        fprintf(out, "<figure class=\"chart\" id=\"chart-ranking\"><figcaption>图2 园区得分与名次"
                     "变化 Parks' scores by rank, with the change of rank since the previous "
                     "period (▲ up, ▼ down, – same)</figcaption>\n");
        svg_bars(out, "园区得分 Parks' scores", bars, r->nparks, SCORE_DECIMALS, BAR_COLOR);
        fputs("</figure>\n", out);
    }
    free(bars);
    free(notes);
}

static void chart_dims(const struct report *r, FILE *out)
{
    struct svg_stack *rows;

    if (!r->ndims || !(rows = calloc(r->nparks + 1, sizeof(*rows))))
        return;
    for (size_t i = 0; i < r->nparks; i++) {
        rows[i].label = r->parks[i].name;
        rows[i].parts = &r->dim_parts[i * r->ndims];
    }
    fprintf(out,
            "<figure class=\"chart\" id=\"chart-dims\"><figcaption>图3 各维度对得分变化的贡献 "
            "Contributions of each dimension to the change of the park's score since %s "
            "(the parts sum to the change)</figcaption>\n",
            r->prev);
    svg_stacks(out, "各维度贡献 Contributions by dimension", (const char *const *)r->dims, r->ndims,
               rows, r->nparks, SCORE_DECIMALS);
    fputs("</figure>\n", out);
    free(rows);
}

/* The charts' section (see report_priv.h). */
void report_charts_html(const struct report *r, FILE *out)
{
    chart_trend(r, out);
    chart_ranking(r, out);
}

/* The chart of the contributions by dimension (see report_priv.h). */
void report_charts_dims_html(const struct report *r, FILE *out)
{
    chart_dims(r, out);
}
