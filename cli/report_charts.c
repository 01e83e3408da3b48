/*
 * report_charts.c - the charts of the HTML bulletin (report_svg.c draws
 * them): the city index (the mean of the parks' total scores, as the
 * headline) over the REPORT_TREND periods up to the bulletin's, read from
 * /api/v1/rankings/ID for each period; the parks' scores by rank with their
 * rank changes. A period without results is a gap in the line, a park
 * without a score a row without a bar: never a 0.
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

/* Loads the city index trend (see report_priv.h). */
int report_charts_load(struct report *r, struct client *c)
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

/* The charts' section (see report_priv.h). */
void report_charts_html(const struct report *r, FILE *out)
{
    chart_trend(r, out);
    chart_ranking(r, out);
}
