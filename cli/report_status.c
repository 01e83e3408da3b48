/*
 * report_status.c - the bulletin's legend of observation status codes: a key
 * value whose observation carries a status shows the code after the number
 * ("12.30 p"), and the codes shown are explained under the parks' table
 * (docs/API.md, "Observation status"): SDMX CL_OBS_STATUS in upper case,
 * Eurostat's flags in lower case; another code stands as it is.
 */
#include <stdio.h>
#include <string.h>

#include "cli/report_priv.h"

static const struct {
    const char *code, *name;
} names[] = {
    {"A", "正常值 normal value"},      {"B", "序列中断 break in series"},
    {"E", "估计值 estimated"},         {"F", "预测值 forecast"},
    {"I", "插补值 imputed"},           {"M", "缺失（不存在） missing, cannot exist"},
    {"P", "初步数 provisional"},       {"S", "罢工等特殊事件 strike or special event"},
    {"U", "可靠性低 low reliability"}, {"b", "时间序列中断 break in time series"},
    {"c", "保密 confidential"},        {"d", "定义不同 definition differs"},
    {"e", "估计值 estimated"},         {"f", "预测值 forecast"},
    {"n", "不显著 not significant"},   {"p", "初步数 provisional"},
    {"r", "修订值 revised"},           {"s", "欧盟统计局估计 Eurostat estimate"},
    {"u", "可靠性低 low reliability"}, {"z", "不适用 not applicable"},
};

const char *report_status_name(const char *code)
{
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(names[i].code, code) == 0)
            return names[i].name;
    return NULL;
}

/* 1 when code is the status of a key value of a park before park i, key k
 * (so each code is explained once, in the order first shown). */
static int shown_before(const struct report *r, size_t i, size_t k, const char *code)
{
    for (size_t a = 0; a <= i; a++)
        for (size_t b = 0; b < r->nkeys && (a < i || b < k); b++)
            if (strcmp(r->parks[a].keys[b].status, code) == 0)
                return 1;
    return 0;
}

/* Calls entry(code, name or NULL, first, out) for each status code the
 * parks' key values carry, each once. Returns how many. */
static int each_status(const struct report *r, FILE *out,
                       void (*entry)(const char *code, const char *name, int first, FILE *out))
{
    int n = 0;
    for (size_t i = 0; i < r->nparks; i++)
        for (size_t k = 0; k < r->nkeys; k++) {
            const char *code = r->parks[i].keys[k].status;
            if (!code[0] || shown_before(r, i, k, code))
                continue;
            entry(code, report_status_name(code), n++ == 0, out);
        }
    return n;
}

static void md_entry(const char *code, const char *name, int first, FILE *out)
{
    fputs(first ? "状态 Status: " : "; ", out);
    report_md_text(out, code);
    if (name)
        fprintf(out, " = %s", name);
}

void report_status_md(const struct report *r, FILE *out)
{
    if (each_status(r, out, md_entry) > 0)
        fputs("\n\n", out);
}

static void html_entry(const char *code, const char *name, int first, FILE *out)
{
    fputs(first ? "<p class=\"status\">状态 Status: " : "；", out);
    fputs("<b>", out);
    report_html_text(out, code);
    fputs("</b>", out);
    if (name)
        fprintf(out, " = %s", name);
}

void report_status_html(const struct report *r, FILE *out)
{
    if (each_status(r, out, html_entry) > 0)
        fputs("</p>\n", out);
}
