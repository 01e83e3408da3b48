/*
 * report_html.c - the bulletin as one self-contained HTML page: inline CSS
 * only (no scripts, fonts or images to fetch), laid out for A4 paper
 * (@page, page-break rules) so a browser prints it as is. Every text from
 * the API is HTML-escaped.
 */
#include <errno.h>
#include <stdio.h>

#include "cli/report_priv.h"
#include "cli/report_svg.h"

static const char style[] =
    "@page{size:A4;margin:16mm 14mm}"
    "body{font-family:'Noto Serif CJK SC','Songti SC','SimSun',serif;font-size:10.5pt;"
    "color:#111;max-width:182mm;margin:0 auto}"
    "h1{font-size:18pt;text-align:center;margin:0 0 4pt}"
    "h2{font-size:13pt;border-bottom:1px solid #333;margin:14pt 0 6pt}"
    ".meta{text-align:center;color:#555;font-size:9pt}"
    ".headline{font-size:12pt}.headline b{font-size:15pt}"
    "table{border-collapse:collapse;width:100%;font-size:9pt;page-break-inside:auto}"
    "tr{page-break-inside:avoid}thead{display:table-header-group}"
    "th,td{border:1px solid #999;padding:2pt 4pt;text-align:right}"
    "th{background:#eee}td.t,th.t{text-align:left}"
    ".up{color:#b00}.down{color:#070}.inc{color:#b60}"
    "ul{padding-left:16pt}footer{margin-top:12pt;font-size:8.5pt;color:#555}"
    "@media print{h2{page-break-after:avoid}}"
    "figure.chart{margin:8pt 0;break-inside:avoid;page-break-inside:avoid}"
    "figure.chart svg{max-width:100%;height:auto}figcaption{font-size:9pt;color:#333}"
    "svg .up{fill:#b00}svg .down{fill:#070}";

/* Writes s with & < > " ' escaped: the SVG charts' escaping (XML's five
 * entities, which HTML reads alike). */
static void html_text(FILE *out, const char *s)
{
    svg_text(out, s);
}

/* HTML text, escaped as html_text() does (see report_priv.h). */
void report_html_text(FILE *out, const char *s)
{
    html_text(out, s);
}

static void html_num(FILE *out, struct report_num n, int decimals)
{
    if (n.has)
        fprintf(out, "%.*f", decimals, n.v);
    else
        fputs("—", out);
}

/* A signed difference in a cell classed up/down. */
static void html_delta(FILE *out, struct report_num a, struct report_num b, int decimals)
{
    if (!a.has || !b.has) {
        fputs("<td>—</td>", out);
        return;
    }
    double d = a.v - b.v;
    fprintf(out, "<td class=\"%s\">%+.*f</td>", d > 0 ? "up" : d < 0 ? "down" : "", decimals, d);
}

static void html_rank_change(FILE *out, struct report_num c)
{
    if (!c.has)
        fputs("<td>—</td>", out);
    else if (c.v == 0)
        fputs("<td>–</td>", out);
    else
        fprintf(out, "<td class=\"%s\">%s%.0f</td>", c.v > 0 ? "up" : "down", c.v > 0 ? "▲" : "▼",
                c.v > 0 ? c.v : -c.v);
}

static void html_head(const struct report *r, FILE *out)
{
    fputs("<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>", out);
    html_text(out, r->index);
    fprintf(out, " %s 监测简报</title><style>%s</style></head><body>\n<h1>高新区监测简报 ",
            r->period, style);
    html_text(out, r->index);
    fprintf(out, " %s</h1>\n<p class=\"meta\">Monitoring bulletin · 生成 generated %s · ",
            r->period, r->generated);
    html_text(out, r->source_url);
    fputs("</p>\n<h2>一、总体情况 Headline</h2>\n<p class=\"headline\">全市指数（园区平均）"
          "City index (mean of parks): <b>",
          out);
    html_num(out, r->city, 2);
    fputs("</b>", out);
    if (r->prev[0]) {
        fprintf(out, "，上期 previous (%s) ", r->prev);
        html_num(out, r->city_prev, 2);
        if (r->city.has && r->city_prev.has)
            fprintf(out, "，变化 change <b>%+.2f</b>", r->city.v - r->city_prev.v);
    }
    fprintf(out, "。参与排名园区 %zu 个 parks ranked.</p>\n", r->nparks);
}

static void html_parks_head(const struct report *r, FILE *out)
{
    fputs("<h2>二、园区排名与主要指标 Parks</h2>\n<table><thead><tr><th>名次<br>Rank</th>"
          "<th class=\"t\">园区 Park</th><th>得分<br>Score</th><th>较上期<br>Change</th>"
          "<th>名次变化<br>Rank Δ</th>",
          out);
    for (size_t k = 0; k < r->nkeys; k++) {
        fputs("<th>", out);
        html_text(out, r->keys[k].name);
        fputs("<br>", out);
        html_text(out, r->keys[k].measure);
        fputs("</th><th>同比%<br>YoY</th>", out);
    }
    fputs("</tr></thead><tbody>\n", out);
}

static void html_parks(const struct report *r, FILE *out)
{
    html_parks_head(r, out);
    for (size_t i = 0; i < r->nparks; i++) {
        const struct report_park *p = &r->parks[i];
        fprintf(out, "<tr data-unit=\"");
        html_text(out, p->unit);
        fputs("\"><td>", out);
        html_num(out, p->rank, 0);
        fputs("</td><td class=\"t\">", out);
        html_text(out, p->name);
        fputs("</td><td>", out);
        html_num(out, p->score, 2);
        fputs("</td>", out);
        html_delta(out, p->score, p->prev_score, 2);
        html_rank_change(out, p->rank_change);
        for (size_t k = 0; k < r->nkeys; k++) {
            fprintf(out, "<td%s>", p->keys[k].incomplete ? " class=\"inc\"" : "");
            html_num(out, p->keys[k].value, r->keys[k].decimals);
            if (p->keys[k].status[0]) { /* its status code, in the legend below the table */
                fputs(" ", out);
                html_text(out, p->keys[k].status);
            }
            fputs(p->keys[k].incomplete ? "*</td>" : "</td>", out);
            struct report_num zero = {0, 1};
            html_delta(out, p->keys[k].yoy, zero, 1);
        }
        fputs("</tr>\n", out);
    }
    fputs("</tbody></table>\n", out);
    report_status_html(r, out);
}

static void html_contributors(const struct report *r, FILE *out)
{
    if (!r->prev[0])
        return;
    fprintf(out,
            "<h2>三、得分变化的主要贡献 Largest contributors to the change since %s</h2>\n"
            "<table><thead><tr><th class=\"t\">园区 Park</th><th class=\"t\">1</th>"
            "<th class=\"t\">2</th><th class=\"t\">3</th></tr></thead><tbody>\n",
            r->prev);
    for (size_t i = 0; i < r->nparks; i++) {
        const struct report_park *p = &r->parks[i];
        fputs("<tr><td class=\"t\">", out);
        html_text(out, p->name);
        fputs("</td>", out);
        for (size_t k = 0; k < REPORT_TOP; k++) {
            fputs("<td class=\"t\">", out);
            if (k < p->ntop) {
                html_text(out, report_indicator_name(r, p->top[k].indicator));
                fprintf(out, " <span class=\"%s\">%+.2f</span>",
                        p->top[k].delta > 0 ? "up" : "down", p->top[k].delta);
            } else {
                fputs("—", out);
            }
            fputs("</td>", out);
        }
        fputs("</tr>\n", out);
    }
    fputs("</tbody></table>\n", out);
    report_charts_dims_html(r, out);
}

/* The bulletin as a printable, self-contained HTML page (see report_priv.h). */
int report_write_html(const struct report *r, FILE *out)
{
    html_head(r, out);
    report_charts_html(r, out);
    html_parks(r, out);
    html_contributors(r, out);
    report_sens_html(r, out);
    fputs("<h2>五、数据说明 Notes on the data</h2>\n<ul>\n", out);
    if (!r->nnotes)
        fputs("<li>数据完整 All data complete.</li>\n", out);
    for (size_t i = 0; i < r->nnotes; i++) {
        fputs("<li>", out);
        html_text(out, r->notes[i]);
        fputs("</li>\n", out);
    }
    fputs("</ul>\n<footer>* 数据不完整 incomplete data. 全市指数为各园区总分的算术平均；贡献为"
          "各指标在总分变化中的份额（合计等于变化）。The city index is the mean of the parks' "
          "total scores; a "
          "contributor's number is its part of the change of the park's score (the parts sum to "
          "the change).</footer>\n"
          "</body></html>\n",
          out);
    return ferror(out) ? -EIO : 0;
}
