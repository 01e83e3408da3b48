/*
 * report_out.c - the bulletin as Markdown (tables a reader or a converter
 * such as pandoc takes as is; text from the API escaped, so a unit name
 * holding HTML or Markdown shows as written) and as CSV (one row per park, numbers with 15
 * significant digits, RFC 4180 quoting, for a spreadsheet or a check against
 * the API).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/report_priv.h"

/* A number with d decimals, or "—" when absent. */
static const char *fmt_num(char *buf, size_t size, struct report_num n, int d)
{
    if (!n.has)
        return "—";
    snprintf(buf, size, "%.*f", d, n.v);
    return buf;
}

/* A signed change with d decimals ("+1.20", "-0.50"), "—" when absent. */
static const char *fmt_delta(char *buf, size_t size, struct report_num a, struct report_num b,
                             int d)
{
    if (!a.has || !b.has)
        return "—";
    snprintf(buf, size, "%+.*f", d, a.v - b.v);
    return buf;
}

/* A rank change as an arrow: ▲2 (up two places), ▼1, – (same), — (none). */
static const char *fmt_rank_change(char *buf, size_t size, struct report_num c)
{
    if (!c.has)
        return "—";
    if (c.v == 0)
        return "–";
    snprintf(buf, size, "%s%.0f", c.v > 0 ? "▲" : "▼", c.v > 0 ? c.v : -c.v);
    return buf;
}

/* Markdown text from the API (names, codes, notes): HTML's & < > as entities,
 * so a name holding a tag is shown and not run; Markdown's \ ` * _ [ ] and
 * the table's | escaped with a backslash; line breaks as blanks. */
static void md_text(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '\\':
        case '`':
        case '*':
        case '_':
        case '[':
        case ']':
        case '|':
            fputc('\\', out);
            fputc(*s, out);
            break;
        case '\n':
        case '\r':
            fputc(' ', out);
            break;
        default:
            fputc(*s, out);
        }
    }
}

/* Markdown text from the API, escaped as md_text() does (see report_priv.h). */
void report_md_text(FILE *out, const char *s)
{
    md_text(out, s);
}

static void md_headline(const struct report *r, FILE *out)
{
    char a[32], b[32], c[32];
    fprintf(out, "# 高新区监测简报 Monitoring bulletin: ");
    md_text(out, r->index);
    fprintf(out, " %s\n\n", r->period);
    fprintf(out, "生成时间 Generated %s · 数据来源 Source ", r->generated);
    md_text(out, r->source_url);
    fprintf(out, "\n\n");
    fprintf(out, "## 总体 Headline\n\n");
    fprintf(out, "全市指数（园区平均）City index (mean of parks): **%s**",
            fmt_num(a, 32, r->city, 2));
    if (r->prev[0])
        fprintf(out, "，较上期 vs %s (%s): %s", r->prev, fmt_num(b, 32, r->city_prev, 2),
                fmt_delta(c, 32, r->city, r->city_prev, 2));
    fprintf(out, "\n\n");
}

static void md_parks(const struct report *r, FILE *out)
{
    char a[32], b[32], c[32];
    fprintf(out, "## 园区 Parks\n\n| 名次 Rank | 园区 Park | 得分 Score | 较上期 Change | 名次变化 "
                 "Rank change |");
    for (size_t k = 0; k < r->nkeys; k++) {
        fputc(' ', out);
        md_text(out, r->keys[k].name);
        fprintf(out, " (");
        md_text(out, r->keys[k].measure);
        fprintf(out, ") | 同比 YoY %% |");
    }
    fprintf(out, "\n|---:|---|---:|---:|---:|");
    for (size_t k = 0; k < r->nkeys; k++)
        fprintf(out, "---:|---:|");
    fputc('\n', out);
    for (size_t i = 0; i < r->nparks; i++) {
        const struct report_park *p = &r->parks[i];
        fprintf(out, "| %s | ", fmt_num(a, 32, p->rank, 0));
        md_text(out, p->name);
        fprintf(out, " (");
        md_text(out, p->unit);
        fprintf(out, ") | %s | %s | %s |", fmt_num(b, 32, p->score, 2),
                fmt_delta(c, 32, p->score, p->prev_score, 2),
                fmt_rank_change(a, 32, p->rank_change));
        for (size_t k = 0; k < r->nkeys; k++) {
            fprintf(out, " %s%s", fmt_num(b, 32, p->keys[k].value, r->keys[k].decimals),
                    p->keys[k].status[0] ? " " : "");
            md_text(out, p->keys[k].status); /* its status code, in the legend below */
            fprintf(out, "%s | %s |", p->keys[k].incomplete ? "*" : "",
                    fmt_num(c, 32, p->keys[k].yoy, 1));
        }
        fputc('\n', out);
    }
    fputc('\n', out);
    report_status_md(r, out);
}

static void md_contributors(const struct report *r, FILE *out)
{
    if (!r->prev[0])
        return;
    fprintf(out, "## 变化的主要贡献 Largest contributors to the change since %s\n\n", r->prev);
    fprintf(out, "| 园区 Park | 1 | 2 | 3 |\n|---|---|---|---|\n");
    for (size_t i = 0; i < r->nparks; i++) {
        const struct report_park *p = &r->parks[i];
        fprintf(out, "| ");
        md_text(out, p->name);
        fprintf(out, " |");
        for (size_t k = 0; k < REPORT_TOP; k++) {
            if (k < p->ntop) {
                fputc(' ', out);
                md_text(out, report_indicator_name(r, p->top[k].indicator));
                fprintf(out, " %+.2f |", p->top[k].delta);
            } else {
                fprintf(out, " — |");
            }
        }
        fputc('\n', out);
    }
    fputc('\n', out);
}

/* The bulletin as Markdown (see report_priv.h). */
int report_write_md(const struct report *r, FILE *out)
{
    md_headline(r, out);
    md_parks(r, out);
    md_contributors(r, out);
    report_sens_md(r, out);
    fprintf(out, "## 数据说明 Notes on the data\n\n");
    if (!r->nnotes)
        fprintf(out, "- 数据完整 All data complete.\n");
    for (size_t i = 0; i < r->nnotes; i++) {
        fprintf(out, "- ");
        md_text(out, r->notes[i]);
        fputc('\n', out);
    }
    fprintf(out, "\n\\* 数据不完整 incomplete data. 全市指数为各园区总分的平均值 "
                 "The city index is the mean of the parks' total scores.\n");
    return ferror(out) ? -EIO : 0;
}

/* A CSV field, quoted when it holds , " CR or LF. */
static void csv_text(FILE *out, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static void csv_num(FILE *out, struct report_num n)
{
    fputc(',', out);
    if (n.has)
        fprintf(out, "%.15g", n.v);
}

static void csv_header(const struct report *r, FILE *out)
{
    fputs("index,period,rank,unit,name,score,prev_score,score_change,rank_change,flags", out);
    for (size_t k = 0; k < r->nkeys; k++) {
        fprintf(out, ",");
        csv_text(out, r->keys[k].code);
        fprintf(out, "_value,");
        csv_text(out, r->keys[k].code);
        fprintf(out, "_yoy_pct,");
        csv_text(out, r->keys[k].code);
        fprintf(out, "_incomplete,");
        csv_text(out, r->keys[k].code);
        fprintf(out, "_status");
    }
    for (int k = 1; k <= REPORT_TOP; k++)
        fprintf(out, ",contributor%d,contributor%d_change", k, k);
    report_sens_csv_header(out);
    fputs("\r\n", out);
}

/* The bulletin as CSV, one row per park (see report_priv.h). */
int report_write_csv(const struct report *r, FILE *out)
{
    csv_header(r, out);
    for (size_t i = 0; i < r->nparks; i++) {
        const struct report_park *p = &r->parks[i];
        struct report_num change = {p->score.v - p->prev_score.v,
                                    p->score.has && p->prev_score.has};
        csv_text(out, r->index);
        fprintf(out, ",%s", r->period);
        csv_num(out, p->rank);
        fputc(',', out);
        csv_text(out, p->unit);
        fputc(',', out);
        csv_text(out, p->name);
        csv_num(out, p->score);
        csv_num(out, p->prev_score);
        csv_num(out, change);
        csv_num(out, p->rank_change);
        fprintf(out, ",%ld", p->flags);
        for (size_t k = 0; k < r->nkeys; k++) {
            csv_num(out, p->keys[k].value);
            csv_num(out, p->keys[k].yoy);
            fprintf(out, ",%s,", p->keys[k].incomplete ? "true" : "false");
            csv_text(out, p->keys[k].status); /* its status codes, "e p"; empty when none */
        }
        for (size_t k = 0; k < REPORT_TOP; k++) {
            fputc(',', out);
            if (k < p->ntop) {
                csv_text(out, p->top[k].indicator);
                fprintf(out, ",%.15g", p->top[k].delta);
            } else {
                fputc(',', out);
            }
        }
        report_sens_csv(r, p, out);
        fputs("\r\n", out);
    }
    return ferror(out) ? -EIO : 0;
}
