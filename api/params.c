/*
 * params.c - what a request may say: the one table of the query parameters
 * each endpoint takes (docs/API.md, "Parameters", holds the same), and the
 * strict checks every request passes before its handler runs:
 *
 * - the path and every query name and value are read from the raw
 *   request-target, percent-decoded here: a bad escape, an encoded NUL (%00,
 *   which would cut the text short) or bytes that are not UTF-8 are a 400
 *   naming the place, never a truncated or unknown-id answer;
 * - a name the endpoint does not take is a 400 naming it, with the closest
 *   known name ("did you mean"), and so is a name given twice.

 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_priv.h"
#include "common/buf.h"

static const struct api_params params_table[] = {
    {"/healthz", {NULL}},
    {"/metrics", {NULL}},
    {"/api/v1/units", {"limit", "cursor", "format", NULL}},
    {"/api/v1/indicators", {"limit", "cursor", "format", NULL}},
    {"/api/v1/observations",
     {"unit", "indicator", "from", "to", "as_of", "history", "limit", "cursor", "format", NULL}},
    {"/api/v1/indices", {"limit", "cursor", "format", NULL}},
    {"/api/v1/indices/{id}", {"period", "unit", "limit", "cursor", "format", NULL}},
    {"/api/v1/indices/{id}/sensitivity",
     {"period", "runs", "seed", "weights", "dirichlet", "fixed", "limit", "cursor", "format",
      NULL}},
    {"/api/v1/rankings/{id}", {"period", "limit", "cursor", "format", NULL}},
    {"/api/v1/sources", {"limit", "cursor", "format", NULL}},
    {"/api/v1/sources/{id}/pull", {"period", NULL}},
    {"/api/v1/runs", {"source", "limit", "cursor", "format", NULL}},
    {"/api/v1/series", {"unit", "indicator", "from", "to", "transform", "format", NULL}},
    {"/api/v1/rejects", {"source", "period", "limit", "cursor", "format", NULL}},
    {"/api/v1/checks",
     {"check", "rule", "unit", "indicator", "period", "limit", "cursor", "format", NULL}},
    {"/api/v1/recompute", {NULL}},
    {"/sdmx/2.1/data/{flow}",
     {"startPeriod", "endPeriod", "dimensionAtObservation", "updatedAfter", "includeHistory",
      "detail", "format", NULL}},
    {"/sdmx/2.1/dataflow/{agency}/{id}/{version}", {"references", "detail", NULL}},
    {"/sdmx/2.1/datastructure/{agency}/{id}/{version}", {"references", "detail", NULL}},
    {"/sdmx/2.1/codelist/{agency}/{id}/{version}", {"references", "detail", NULL}},
    {"/sdmx/2.1/conceptscheme/{agency}/{id}/{version}", {"references", "detail", NULL}},
    {"/sdmx/2.1/schema/{context}/{agency}/{id}/{version}",
     {"dimensionAtObservation", "explicitMeasure", NULL}},
    {"/", {"index", "period", "park", "lang", NULL}},
    {"/assets/{file}", {NULL}},
};

/* The table (see api_priv.h). */
const struct api_params *api_params_table(size_t *n)
{
    *n = sizeof(params_table) / sizeof(params_table[0]);
    return params_table;
}

static const struct api_params *params_of(const char *endpoint)
{
    for (size_t i = 0; i < sizeof(params_table) / sizeof(params_table[0]); i++)
        if (strcmp(params_table[i].endpoint, endpoint) == 0)
            return &params_table[i];
    return NULL;
}

/* Is s[0..len) well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF)? */
int api_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;

    while (p < end) {
        unsigned c = *p++;
        size_t n;
        unsigned min, cp;
        if (c < 0x80)
            continue;
        if (c >= 0xC2 && c <= 0xDF)
            n = 1, min = 0x80, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF)
            n = 2, min = 0x800, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4)
            n = 3, min = 0x10000, cp = c & 0x07;
        else
            return 0;
        if ((size_t)(end - p) < n)
            return 0;
        for (size_t i = 0; i < n; i++, p++) {
            if ((*p & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (*p & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
    }
    return 1;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

enum decode_err { DECODE_OK, DECODE_ESCAPE, DECODE_NUL, DECODE_UTF8 };

/* Percent-decodes s[0..len) into out (room for len + 1; '+' is a space in a
 * query, plus_space) and checks it: no bad escape, no NUL, UTF-8. */
static enum decode_err decode(const char *s, size_t len, int plus_space, char *out, size_t *olen)
{
    size_t o = 0;

    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '%') {
            int hi = i + 2 < len ? hexval(s[i + 1]) : -1;
            int lo = hi >= 0 ? hexval(s[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return DECODE_ESCAPE;
            c = (char)(hi << 4 | lo);
            i += 2;
        } else if (c == '+' && plus_space) {
            c = ' ';
        }
        if (c == '\0')
            return DECODE_NUL;
        out[o++] = c;
    }
    out[o] = '\0';
    *olen = o;
    return api_utf8_valid(out, o) ? DECODE_OK : DECODE_UTF8;
}

/* The 400 for a decode error in what (the path, or a parameter's name or
 * value as described). Returns 1. */
static int decode_fail(struct api_reply *rp, enum decode_err e, const char *what)
{
    return api_reply_bad(rp, "%s: %s", what,
                         e == DECODE_ESCAPE ? "bad percent escape (want %XX)"
                         : e == DECODE_NUL  ? "encoded NUL (%00) not allowed"
                                            : "not UTF-8");
}

/* The raw request-target's path part (see api_priv.h). */
int api_check_path(struct api_request *rq, struct api_reply *rp)
{
    size_t len = strcspn(rq->uri, "?#");
    char *out = malloc(len + 1);
    size_t olen;

    if (!out)
        return -ENOMEM;
    enum decode_err e = decode(rq->uri, len, 0, out, &olen);
    free(out);
    return e == DECODE_OK ? 0 : decode_fail(rp, e, "path");
}

/* Levenshtein distance of a and b (names of at most 63 bytes; longer: far). */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[64];

    if (la >= 64 || lb >= 64)
        return 64;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* The known name closest to name: within 2 edits (1 for names of up to 3
 * bytes), else NULL. */
static const char *closest(const struct api_params *p, const char *name)
{
    const char *best = NULL;
    size_t bestd = strlen(name) <= 3 ? 2 : 3;

    for (size_t i = 0; p->names[i]; i++) {
        size_t d = edit_distance(name, p->names[i]);
        if (d < bestd) {
            bestd = d;
            best = p->names[i];
        }
    }
    return best;
}

/* The 400 for name, which endpoint does not take. Returns 1. */
static int unknown_param(struct api_reply *rp, const struct api_params *p, const char *endpoint,
                         const char *name)
{
    char known[256] = "";
    size_t used = 0;
    const char *near = closest(p, name);

    for (size_t i = 0; p->names[i]; i++) {
        int n = snprintf(known + used, sizeof(known) - used, "%s%s", i ? ", " : "", p->names[i]);
        if (n > 0 && (size_t)n < sizeof(known) - used)
            used += (size_t)n;
    }
    if (near)
        return api_reply_bad(rp, "unknown parameter '%.64s' for %s (did you mean '%s'?)", name,
                             endpoint, near);
    return api_reply_bad(rp, "unknown parameter '%.64s' for %s (it takes %s)", name, endpoint,
                         used ? known : "no parameters");
}

static int param_known(const struct api_params *p, const char *name)
{
    for (size_t i = 0; p->names[i]; i++)
        if (strcmp(p->names[i], name) == 0)
            return 1;
    return 0;
}

/* Checks one "name=value" item of the query; seen marks the names met. */
static int check_item(struct api_reply *rp, const struct api_params *p, const char *endpoint,
                      const char *item, size_t len, char *buf, unsigned *seen)
{
    size_t nlen = strcspn(item, "=&");
    size_t olen;
    char what[128];

    if (nlen > len)
        nlen = len;
    enum decode_err e = decode(item, nlen, 1, buf, &olen);
    if (e != DECODE_OK)
        return decode_fail(rp, e, "a query parameter's name");
    if (!param_known(p, buf))
        return unknown_param(rp, p, endpoint, buf);
    for (unsigned i = 0; p->names[i]; i++) {
        if (strcmp(p->names[i], buf) != 0)
            continue;
        if (*seen & (1u << i))
            return api_reply_bad(rp, "parameter '%s' given more than once", p->names[i]);
        *seen |= 1u << i;
    }
    snprintf(what, sizeof(what), "parameter '%s'", buf);
    if (nlen < len) {
        e = decode(item + nlen + 1, len - nlen - 1, 1, buf, &olen);
        if (e != DECODE_OK)
            return decode_fail(rp, e, what);
    }
    return 0;
}

/* The raw request-target's query against the endpoint's names (see
 * api_priv.h). */
int api_check_query(struct api_request *rq, const char *endpoint, struct api_reply *rp)
{
    const struct api_params *p = params_of(endpoint);
    const char *q = strchr(rq->uri, '?');
    unsigned seen = 0;
    int rc = 0;

    if (!p || !q)
        return 0;
    q++;
    size_t qlen = strcspn(q, "#");
    char *buf = calloc(1, qlen + 1);
    if (!buf)
        return -ENOMEM;
    for (size_t i = 0; i < qlen && rc == 0;) {
        size_t n = strcspn(q + i, "&#");
        if (n > qlen - i)
            n = qlen - i;
        if (n > 0)
            rc = check_item(rp, p, endpoint, q + i, n, buf, &seen);
        i += n + 1;
    }
    free(buf);
    return rc;
}

/* ---- paging: ?limit=, ?cursor= ---- */

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* base64url without padding of in[0..n) into out (room for 4 * n / 3 + 4). */
static size_t b64_encode(const unsigned char *in, size_t n, char *out)
{
    size_t o = 0, i;

    for (i = 0; i + 2 < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
        out[o++] = b64url[v >> 18];
        out[o++] = b64url[v >> 12 & 63];
        out[o++] = b64url[v >> 6 & 63];
        out[o++] = b64url[v & 63];
    }
    if (i < n) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0);
        out[o++] = b64url[v >> 18];
        out[o++] = b64url[v >> 12 & 63];
        if (i + 1 < n)
            out[o++] = b64url[v >> 6 & 63];
    }
    out[o] = '\0';
    return o;
}

/* Decodes base64url text into out (room for size); the length, or -1. */
static long b64_decode(const char *text, unsigned char *out, size_t size)
{
    size_t o = 0, bits = 0;
    unsigned v = 0;

    for (const char *p = text; *p; p++) {
        const char *k = strchr(b64url, *p);
        if (!k)
            return -1;
        v = v << 6 | (unsigned)(k - b64url);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= size)
                return -1;
            out[o++] = (unsigned char)(v >> bits);
            v &= (1u << bits) - 1;
        }
    }
    return v == 0 && bits < 6 ? (long)o : -1;
}

/* ?limit= and ?cursor= into pg (see api_priv.h). */
int api_page_params(struct api_request *rq, struct api_reply *rp, struct api_page *pg,
                    const char *tag, size_t nkey, long def, long max)
{
    const char *v = api_param(rq, "limit");
    const char *cur = api_param(rq, "cursor");
    char *end;

    memset(pg, 0, sizeof(*pg));
    pg->tag = tag;
    pg->limit = def;
    pg->max = max;
    pg->total = -1;
    if (v) {
        errno = 0;
        pg->limit = strtol(v, &end, 10);
        if (!*v || *end || errno || pg->limit < 1 || pg->limit > max)
            return api_reply_bad(rp, "parameter 'limit': expected 1..%ld, not \"%.64s\"", max, v);
    }
    if (!cur)
        return 0;
    long n = b64_decode(cur, (unsigned char *)pg->in, sizeof(pg->in) - 1);
    size_t f = 0;
    const char *field[2 + API_PAGE_KEYS] = {0};
    if (n > 0) {
        pg->in[n] = '\0';
        for (long i = 0; i <= n && f < 2 + API_PAGE_KEYS; f++) {
            field[f] = pg->in + i;
            i += (long)strlen(pg->in + i) + 1;
        }
    }
    /* tag, total, then the key's fields; every byte of the text is used */
    if (n <= 0 || f != 2 + nkey || !field[0] || !field[1] || strcmp(field[0], tag) != 0 ||
        (size_t)(field[f - 1] - pg->in) + strlen(field[f - 1]) != (size_t)n ||
        (pg->total = strtol(field[1], &end, 10)) < 0 || *end || !field[1][0])
        return api_reply_bad(rp, "parameter 'cursor': not a cursor of this list (use page.next of "
                                 "the answer before, with the same parameters)");
    for (size_t k = 0; k < nkey; k++)
        pg->key[k] = field[2 + k];
    pg->nkey = nkey;
    return 0;
}

/* In a walk's callback, before a row is taken (see api_priv.h). */
int api_page_full(struct api_page *pg)
{
    if (pg->n < pg->limit)
        return 0;
    pg->more = 1;
    return 1;
}

/* The key of the row just taken (see api_priv.h). */
void api_page_took(struct api_page *pg, const char *const *fields, size_t n)
{
    size_t used = 0;

    pg->n++;
    for (size_t i = 0; i < n; i++) {
        const char *s = fields[i] ? fields[i] : "";
        size_t len = strlen(s) + 1;
        if (used + len > sizeof(pg->last)) {
            pg->last_len = 0; /* too long for a cursor: api_page_finish() fails */
            return;
        }
        memcpy(pg->last + used, s, len);
        used += len;
    }
    pg->last_len = used;
}

/* The next cursor into rp (see api_priv.h). */
int api_page_finish(struct api_page *pg, struct api_reply *rp)
{
    char raw[sizeof(pg->last) + 64];
    int head = snprintf(raw, sizeof(raw), "%s%c%ld", pg->tag, '\0', pg->total);

    rp->paged = 1;
    rp->page_total = pg->total;
    rp->page_limit = pg->limit;
    rp->next[0] = '\0';
    if (!pg->more)
        return 0;
    if (pg->last_len == 0 || head < 0 || (size_t)head + 1 + pg->last_len > sizeof(raw) ||
        4 * ((size_t)head + 1 + pg->last_len) / 3 + 4 > sizeof(rp->next))
        return -E2BIG;
    memcpy(raw + head + 1, pg->last, pg->last_len - 1); /* without the last NUL */
    b64_encode((const unsigned char *)raw, (size_t)head + pg->last_len, rp->next);
    return 0;
}
