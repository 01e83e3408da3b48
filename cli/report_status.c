/*
 * report_status.c - the bulletin's legend of observation status codes: a key
 * value whose observation carries a status shows the code after the number
 * ("12.30 p"), and the codes shown are explained under the parks' table
 * (docs/API.md, "Observation status"): SDMX CL_OBS_STATUS in upper case,
 * Eurostat's flags in lower case; another code stands as it is.
 *
 * A key value of a period made of finer observations (a quarter of a monthly
 * indicator) carries every distinct status code of the unit's observations
 * within the period (report_status_of_period()), space-separated ("p" or
 * "e p"); the legend explains each code once.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/client.h"
#include "cli/report_priv.h"
#include "common/period.h"

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

/* 1 when the space-separated list codes holds code (len bytes). */
static int has_code(const char *codes, const char *code, size_t len)
{
    for (const char *s = codes; *s;) {
        size_t n = strcspn(s, " ");
        if (n == len && strncmp(s, code, len) == 0)
            return 1;
        s += n;
        s += strspn(s, " ");
    }
    return 0;
}

int report_status_of_period(struct client *c, const char *unit, const char *indicator,
                            const char *period, char *out, size_t size)
{
    char path[1024] = "/api/v1/observations";
    struct period want, p, in;
    json_t *data = NULL, *row;
    size_t i, n = 0;
    int rc;

    out[0] = '\0';
    if (period_parse_str(&want, period) < 0)
        return -EINVAL;
    if ((rc = client_path_add(path, sizeof(path), "unit", unit)) < 0 ||
        (rc = client_path_add(path, sizeof(path), "indicator", indicator)) < 0 ||
        (rc = client_get_json_all(c, path, &data)) < 0)
        return rc;
    json_array_foreach(data, i, row)
    {
        const char *per = json_string_value(json_object_get(row, "period"));
        const char *code = json_string_value(json_object_get(row, "status"));
        size_t len = code ? strlen(code) : 0;
        if (!per || !len || period_parse_str(&p, per) < 0 || p.freq == want.freq ||
            period_container(p, want.freq, &in) < 0 || period_cmp(in, want) != 0 ||
            has_code(out, code, len))
            continue;
        if (n + (n > 0) + len + 1 > size) {
            rc = -ENOSPC;
            break;
        }
        n += (size_t)snprintf(out + n, size - n, "%s%s", n ? " " : "", code);
    }
    json_decref(data);
    return rc < 0 ? rc : 0;
}

/* 1 when code (len bytes) is among the status codes of a key value of a park
 * before park i, key k, or before offset at in that key's own list (so each
 * code is explained once, in the order first shown). */
static int shown_before(const struct report *r, size_t i, size_t k, size_t at, const char *code,
                        size_t len)
{
    char own[sizeof(r->parks[0].keys[0].status)];
    for (size_t a = 0; a <= i; a++)
        for (size_t b = 0; b < r->nkeys && (a < i || b < k); b++)
            if (has_code(r->parks[a].keys[b].status, code, len))
                return 1;
    snprintf(own, sizeof(own), "%.*s", (int)at, r->parks[i].keys[k].status);
    return has_code(own, code, len);
}

/* Calls entry(code, name or NULL, first, out) for each status code the
 * parks' key values carry, each once. Returns how many. */
static int each_status(const struct report *r, FILE *out,
                       void (*entry)(const char *code, const char *name, int first, FILE *out))
{
    int n = 0;
    for (size_t i = 0; i < r->nparks; i++)
        for (size_t k = 0; k < r->nkeys; k++) {
            const char *codes = r->parks[i].keys[k].status;
            for (const char *s = codes + strspn(codes, " "); *s;) {
                char code[sizeof(r->parks[0].keys[0].status)];
                size_t len = strcspn(s, " ");
                snprintf(code, sizeof(code), "%.*s", (int)len, s);
                if (!shown_before(r, i, k, (size_t)(s - codes), code, len))
                    entry(code, report_status_name(code), n++ == 0, out);
                s += len;
                s += strspn(s, " ");
            }
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
