/*
 * sdmx_parse.c - what an SDMX data request asks, read from its text alone
 * (no I/O, fuzzed by tests/fuzz/fuzz_sdmx_request.c): the format from
 * format= or Accept, the key, and the period bounds of startPeriod and
 * endPeriod per frequency.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/sdmx_data.h"

/* Writes the reason into why; returns -EINVAL. */
static int fail_why(char *why, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail_why(char *why, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, size, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

/* ---- formats ---- */

/* A media type's version parameter in params (";version=2.0.0;q=0.5"),
 * or "" when none. */
static void media_param(const char *params, size_t len, const char *name, char *out, size_t size)
{
    size_t nlen = strlen(name);

    out[0] = '\0';
    for (size_t i = 0; i < len;) {
        while (i < len && (params[i] == ';' || params[i] == ' ' || params[i] == '\t'))
            i++;
        size_t n = 0;
        while (i + n < len && params[i + n] != ';')
            n++;
        if (n > nlen && strncasecmp(params + i, name, nlen) == 0 && params[i + nlen] == '=') {
            size_t vlen = n - nlen - 1;
            const char *v = params + i + nlen + 1;
            while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
                vlen--;
            if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"')
                v++, vlen -= 2;
            snprintf(out, size, "%.*s", (int)(vlen < size ? vlen : size - 1), v);
            return;
        }
        i += n;
    }
}

static int is_type(const char *t, size_t n, const char *want)
{
    return n == strlen(want) && strncasecmp(t, want, n) == 0;
}

/* The format of one media range (type/subtype and its parameters): 1 and
 * *fmt, or 0 when it is none served. */
static int media_format(const char *t, size_t n, const char *params, size_t plen,
                        enum sdmx_format *fmt)
{
    char v[32];

    media_param(params, plen, "version", v, sizeof(v));
    if (is_type(t, n, "application/vnd.sdmx.genericdata+xml")) {
        *fmt = SDMX_FMT_GENERIC;
        return !v[0] || strcmp(v, "2.1") == 0;
    }
    if (is_type(t, n, "application/vnd.sdmx.structurespecificdata+xml")) {
        *fmt = SDMX_FMT_SS;
        return !v[0] || strcmp(v, "2.1") == 0;
    }
    if (is_type(t, n, "application/vnd.sdmx.data+json")) {
        *fmt = strncmp(v, "2.0", 3) == 0 ? SDMX_FMT_JSON2 : SDMX_FMT_JSON1;
        return !v[0] || strncmp(v, "1.0", 3) == 0 || strncmp(v, "2.0", 3) == 0;
    }
    if (is_type(t, n, "application/vnd.sdmx.data+csv")) {
        *fmt = strncmp(v, "2.0", 3) == 0 ? SDMX_FMT_CSV2 : SDMX_FMT_CSV1;
        return !v[0] || strncmp(v, "1.0", 3) == 0 || strncmp(v, "2.0", 3) == 0;
    }
    if (is_type(t, n, "application/xml") || is_type(t, n, "text/xml") ||
        is_type(t, n, "application/*") || is_type(t, n, "*/*")) {
        *fmt = SDMX_FMT_GENERIC;
        return 1;
    }
    if (is_type(t, n, "application/json")) {
        *fmt = SDMX_FMT_JSON1;
        return 1;
    }
    if (is_type(t, n, "text/csv") || is_type(t, n, "text/*")) {
        *fmt = SDMX_FMT_CSV1;
        return 1;
    }
    return 0;
}

/* The format= names (docs/API.md). */
static const struct {
    const char *name;
    enum sdmx_format fmt;
} format_names[] = {
    {"genericdata", SDMX_FMT_GENERIC},
    {"sdmx-ml", SDMX_FMT_GENERIC},
    {"structurespecificdata", SDMX_FMT_SS},
    {"jsondata", SDMX_FMT_JSON1},
    {"sdmx-json", SDMX_FMT_JSON1},
    {"sdmx-json-1.0", SDMX_FMT_JSON1},
    {"sdmx-json-2.0", SDMX_FMT_JSON2},
    {"csvdata", SDMX_FMT_CSV1},
    {"sdmx-csv", SDMX_FMT_CSV1},
    {"sdmx-csv-1.0", SDMX_FMT_CSV1},
    {"sdmx-csv-2.0", SDMX_FMT_CSV2},
};

/* The format asked (see sdmx_data.h). */
int sdmx_choose_format(const char *f, const char *accept, enum sdmx_format *fmt, char *what,
                       size_t wsize)
{
    *fmt = SDMX_FMT_GENERIC;
    if (f) {
        for (size_t i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++)
            if (strcmp(f, format_names[i].name) == 0) {
                *fmt = format_names[i].fmt;
                return 1;
            }
        size_t n = strcspn(f, ";");
        if (media_format(f, n, f + n, strlen(f + n), fmt))
            return 1;
        *fmt = SDMX_FMT_GENERIC;
        snprintf(what, wsize, "parameter 'format': \"%.64s\" is not served", f);
        return 0;
    }
    if (!accept || !accept[strspn(accept, " \t")])
        return 1;
    double best_q = 0;
    int found = 0;
    for (const char *p = accept; *p;) {
        p += strspn(p, " \t,");
        size_t n = strcspn(p, ",");
        size_t tl = strcspn(p, ";,");
        size_t t0 = 0;
        while (tl > t0 && (p[tl - 1] == ' ' || p[tl - 1] == '\t'))
            tl--;
        char q[16];
        media_param(p + tl, n - tl, "q", q, sizeof(q));
        double qv = q[0] ? strtod(q, NULL) : 1.0;
        enum sdmx_format got;
        if (tl && qv > best_q && media_format(p, tl, p + tl, n - tl, &got)) {
            best_q = qv;
            *fmt = got;
            found = 1;
        }
        p += n;
    }
    if (found)
        return 1;
    *fmt = SDMX_FMT_GENERIC;
    snprintf(what, wsize, "Accept: none of \"%.200s\" is served", accept);
    return 0;
}

/* ---- the key ---- */

/* Splits a key over the flow's dimensions (see sdmx_data.h). */
int sdmx_key_parse(const struct sdmx_flow *f, const char *key, struct sdmx_key *k, char *why,
                   size_t wsize)
{
    static const char *const freq_store[] = {"Y", "H", "Q", "M"};
    static const char sdmx_freqs[] = "ASQM";

    memset(k, 0, sizeof(*k));
    if (!key || strcmp(key, "all") == 0 || !key[0])
        return 0;
    size_t parts = 1;
    for (const char *c = key; (c = strchr(c, '.')); c++)
        parts++;
    if (parts != f->ndims)
        return fail_why(why, wsize, "key \"%.100s\": %zu dimensions, %s has %zu (%s.%s%s)", key,
                        parts, f->id, f->ndims, f->dims[0].id, f->dims[1].id,
                        f->ndims > 2 ? ".FREQ" : "");
    if (!(k->text = strdup(key)))
        return -ENOMEM;
    char *p = k->text;
    for (size_t dim = 0; dim < f->ndims; dim++) {
        char *dot = strchr(p, '.');
        if (dot)
            *dot = '\0';
        for (char *c = p; *c;) {
            char *plus = strchr(c, '+');
            if (plus)
                *plus = '\0';
            if (!*c)
                return fail_why(why, wsize, "key \"%.100s\": an empty code in dimension %s", key,
                                f->dims[dim].id);
            if (k->n[dim] == SDMX_KEY_MAX_CODES)
                return fail_why(why, wsize, "key: more than %d codes for dimension %s",
                                SDMX_KEY_MAX_CODES, f->dims[dim].id);
            const char *code = c;
            if (f->kind == SDMX_FLOW_OBS && dim == 2) {
                const char *at = strlen(c) == 1 ? strchr(sdmx_freqs, c[0]) : NULL;
                code = at ? freq_store[at - sdmx_freqs] : "?"; /* "?": matches nothing */
            }
            k->codes[dim][k->n[dim]++] = code;
            if (!plus)
                break;
            c = plus + 1;
            if (!*c)
                return fail_why(why, wsize, "key \"%.100s\": an empty code in dimension %s", key,
                                f->dims[dim].id);
        }
        p = dot ? dot + 1 : p + strlen(p);
    }
    return 0;
}

/* ---- periods ---- */

/* A period bound into per-frequency bounds (see sdmx_data.h). */
int sdmx_period_bounds(const char *text, int end, char out[4][PERIOD_TEXT_SIZE])
{
    static const enum period_freq freqs[4] = {PERIOD_YEAR, PERIOD_HALF, PERIOD_QUARTER,
                                              PERIOD_MONTH};
    struct period per, month, c;

    if (sdmx_period_parse(text, &per) < 0)
        return -EINVAL;
    month.year = per.year;
    month.freq = PERIOD_MONTH;
    month.index = end ? period_last_month(per) : period_first_month(per);
    for (int f = 0; f < 4; f++)
        if (period_container(month, freqs[f], &c) < 0 ||
            period_format(c, out[f], PERIOD_TEXT_SIZE) < 0)
            return -EINVAL;
    return 0;
}

/* Frees what a parsed key holds. */
void sdmx_key_free(struct sdmx_key *k)
{
    free(k->text);
    k->text = NULL;
}
