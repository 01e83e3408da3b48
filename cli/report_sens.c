/*
 * report_sens.c - the bulletin's rank uncertainty section: per park the
 * nominal rank, the median rank and the 5-95 % interval over the Monte Carlo
 * runs, and the first-order sensitivity index of each assumption, as GET
 * /api/v1/indices/{id}/sensitivity?period= answers with its defaults
 * (docs/INDICES.md §7). Markdown and HTML get a section of their own, CSV
 * the last columns of each park's row.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/client.h"
#include "cli/report_priv.h"

#define SENS_PATH_SIZE 1024

/* The assumptions' API names (see report_priv.h). */
const char *const report_sens_names[REPORT_SENS_N] = {"weights", "normalisation", "aggregation",
                                                      "imputation"};

/* Their labels in the bulletin. */
static const char *const sens_labels[REPORT_SENS_N] = {
    "权重 weights", "标准化方法 normalisation", "汇总方法 aggregation", "缺失值插补 imputation"};

static struct report_num sens_num(const json_t *v)
{
    struct report_num n = {0, 0};
    if (json_is_number(v)) {
        n.v = json_number_value(v);
        n.has = 1;
    }
    return n;
}

/* Loads the section (see report_priv.h). */
int report_sens_load(struct report *r, struct client *c)
{
    char path[SENS_PATH_SIZE];
    json_t *data = NULL, *row;
    size_t i;
    int rc;

    snprintf(path, sizeof(path), "/api/v1/indices/%s/sensitivity", r->index);
    rc = client_path_add(path, sizeof(path), "period", r->period);
    if (rc == 0)
        rc = client_get_json(c, path, &data);
    if (rc == -ENOMEM)
        return rc;
    if (rc < 0)
        return report_note(r, "rank uncertainty not available: %s", client_last_error(c)->message);
    r->sens.runs = (long)json_integer_value(json_object_get(data, "runs"));
    r->sens.seed = (long)json_integer_value(json_object_get(data, "seed"));
    r->sens.mean_shift = sens_num(json_object_get(data, "mean_shift"));
    for (size_t k = 0; k < REPORT_SENS_N; k++)
        r->sens.first_order[k] =
            sens_num(json_object_get(json_object_get(data, "first_order"), report_sens_names[k]));
    json_array_foreach(json_object_get(data, "units"), i, row)
    {
        const char *unit = json_string_value(json_object_get(row, "unit"));
        for (size_t p = 0; unit && p < r->nparks; p++) {
            if (strcmp(r->parks[p].unit, unit) != 0)
                continue;
            struct report_park_sens *s = &r->parks[p].sens;
            s->rank = sens_num(json_object_get(row, "rank"));
            s->median = sens_num(json_object_get(row, "median"));
            s->p05 = sens_num(json_object_get(row, "p05"));
            s->p95 = sens_num(json_object_get(row, "p95"));
        }
    }
    r->sens.has = 1;
    json_decref(data);
    return 0;
}

/* A rank: whole ones as such, quantiles between two ranks with 2 decimals. */
static const char *fmt_rank(char *buf, size_t size, struct report_num n)
{
    if (!n.has)
        return "—";
    snprintf(buf, size, n.v == floor(n.v) ? "%.0f" : "%.2f", n.v);
    return buf;
}

/* A first-order index with 3 decimals, "—" when there is none. */
static const char *fmt_index(char *buf, size_t size, struct report_num n)
{
    if (!n.has)
        return "—";
    snprintf(buf, size, "%.3f", n.v);
    return buf;
}

static void sens_intro(const struct report *r, FILE *out)
{
    char a[32];
    fprintf(out,
            "%ld 次蒙特卡洛模拟（种子 %ld），随机改变下列假设；名次平均变动 %s。"
            "Monte Carlo runs %ld (seed %ld) drawing the assumptions below; mean absolute rank "
            "shift %s.",
            r->sens.runs, r->sens.seed, fmt_index(a, sizeof(a), r->sens.mean_shift), r->sens.runs,
            r->sens.seed, fmt_index(a, sizeof(a), r->sens.mean_shift));
}

/* The section as Markdown (see report_priv.h). */
void report_sens_md(const struct report *r, FILE *out)
{
    char a[32], b[32], c[32], d[32];

    if (!r->sens.has)
        return;
    fprintf(out, "## 排名不确定性 Rank uncertainty\n\n");
    sens_intro(r, out);
    fprintf(out, "\n\n| 园区 Park | 名次 Rank | 中位名次 Median | 5 %% | 95 %% |\n"
                 "|---|---:|---:|---:|---:|\n");
    for (size_t i = 0; i < r->nparks; i++) {
        const struct report_park *p = &r->parks[i];
        fprintf(out, "| ");
        report_md_text(out, p->name);
        fprintf(out, " (");
        report_md_text(out, p->unit);
        fprintf(out, ") | %s | %s | %s | %s |\n", fmt_rank(a, 32, p->sens.rank),
                fmt_rank(b, 32, p->sens.median), fmt_rank(c, 32, p->sens.p05),
                fmt_rank(d, 32, p->sens.p95));
    }
    fprintf(out, "\n| 假设 Assumption | 一阶敏感度 First-order index |\n|---|---:|\n");
    for (size_t k = 0; k < REPORT_SENS_N; k++)
        fprintf(out, "| %s | %s |\n", sens_labels[k], fmt_index(a, 32, r->sens.first_order[k]));
    fprintf(out, "\n— 该假设未变化或名次无变化 not varied, or no rank moved.\n\n");
}

/* The section as HTML (see report_priv.h). */
void report_sens_html(const struct report *r, FILE *out)
{
    char a[32], b[32], c[32], d[32];

    if (!r->sens.has)
        return;
    fputs("<h2>四、排名不确定性 Rank uncertainty</h2>\n<p>", out);
    sens_intro(r, out);
    fputs("</p>\n<table><thead><tr><th class=\"t\">园区 Park</th><th>名次<br>Rank</th>"
          "<th>中位名次<br>Median</th><th>5 %</th><th>95 %</th></tr></thead><tbody>\n",
          out);
    for (size_t i = 0; i < r->nparks; i++) {
        const struct report_park *p = &r->parks[i];
        fputs("<tr data-sens=\"", out);
        report_html_text(out, p->unit);
        fputs("\"><td class=\"t\">", out);
        report_html_text(out, p->name);
        fprintf(out, "</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
                fmt_rank(a, 32, p->sens.rank), fmt_rank(b, 32, p->sens.median),
                fmt_rank(c, 32, p->sens.p05), fmt_rank(d, 32, p->sens.p95));
    }
    fputs("</tbody></table>\n<table><thead><tr><th class=\"t\">假设 Assumption</th>"
          "<th>一阶敏感度<br>First-order index</th></tr></thead><tbody>\n",
          out);
    for (size_t k = 0; k < REPORT_SENS_N; k++)
        fprintf(out, "<tr data-assumption=\"%s\"><td class=\"t\">%s</td><td>%s</td></tr>\n",
                report_sens_names[k], sens_labels[k], fmt_index(a, 32, r->sens.first_order[k]));
    fputs("</tbody></table>\n<p>— 该假设未变化或名次无变化 not varied, or no rank moved.</p>\n",
          out);
}

/* The CSV's last header fields (see report_priv.h). */
void report_sens_csv_header(FILE *out)
{
    fputs(",rank_nominal,rank_median,rank_p05,rank_p95", out);
    for (size_t k = 0; k < REPORT_SENS_N; k++)
        fprintf(out, ",first_order_%s", report_sens_names[k]);
}

static void sens_csv_num(FILE *out, struct report_num n)
{
    fputc(',', out);
    if (n.has)
        fprintf(out, "%.15g", n.v);
}

/* One park's last CSV fields (see report_priv.h); empty without the section. */
void report_sens_csv(const struct report *r, const struct report_park *p, FILE *out)
{
    sens_csv_num(out, p->sens.rank);
    sens_csv_num(out, p->sens.median);
    sens_csv_num(out, p->sens.p05);
    sens_csv_num(out, p->sens.p95);
    for (size_t k = 0; k < REPORT_SENS_N; k++)
        sens_csv_num(out, r->sens.first_order[k]);
}
