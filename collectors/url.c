/*
 * url.c - source URL templates (see url.h).
 */
#include "collectors/url.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/timefmt.h"

struct out {
    char *buf;
    size_t size, len;
};

static int put(struct out *o, const char *s, size_t n)
{
    if (o->len + n >= o->size)
        return -ENOSPC;
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
    return 0;
}

/* Appends s percent-encoded: a unit id or period never changes the URL's shape. */
static int put_encoded(struct out *o, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        int plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == '~';
        char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
        int rc = plain ? put(o, (const char *)&c, 1) : put(o, esc, 3);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Writes v with at least width digits (zero-padded). */
static int put_number(struct out *o, int width, int v)
{
    char num[16];
    snprintf(num, sizeof(num), "%0*d", width, v);
    return put(o, num, strlen(num));
}

/* Writes the value of the placeholder name[0..n). */
static int expand_one(struct out *o, const char *name, size_t n, struct period p, const char *unit,
                      int64_t since)
{
    char text[PERIOD_TEXT_SIZE + 32];
#define IS(s) (n == sizeof(s) - 1 && memcmp(name, s, n) == 0)
    if (IS("period") || IS("sdmx_period")) {
        if (period_format(p, text, sizeof(text)) < 0)
            return -EINVAL;
        if (p.freq == PERIOD_HALF && IS("sdmx_period")) /* SDMX writes 2024-S1 */
            text[5] = 'S';
        return put_encoded(o, text);
    }
    if (IS("updated_after")) {
        if (since < 0 || time_format_iso(since - since % 1000000, text, sizeof(text)) < 0)
            return -EINVAL;
        return put_encoded(o, text);
    }
    if (IS("year"))
        return put_number(o, 4, p.year);
    if (IS("quarter"))
        return p.freq == PERIOD_QUARTER ? put_number(o, 1, p.index) : -EINVAL;
    if (IS("half"))
        return p.freq == PERIOD_HALF ? put_number(o, 1, p.index) : -EINVAL;
    if (IS("month"))
        return p.freq == PERIOD_MONTH ? put_number(o, 2, p.index) : -EINVAL;
    if (IS("unit"))
        return unit ? put_encoded(o, unit) : -EINVAL;
#undef IS
    return -EINVAL;
}

int url_expand(const char *tmpl, struct period p, const char *unit, char *buf, size_t size)
{
    return url_expand_since(tmpl, p, unit, 0, buf, size);
}

int url_expand_since(const char *tmpl, struct period p, const char *unit, int64_t updated_after,
                     char *buf, size_t size)
{
    struct out o = {buf, size, 0};
    const char *s = tmpl;
    int rc;

    if (size == 0)
        return -ENOSPC;
    buf[0] = '\0';
    while (*s) {
        const char *open = strchr(s, '{'), *close;
        if (!open)
            return (rc = put(&o, s, strlen(s))) < 0 ? rc : (int)o.len;
        if ((rc = put(&o, s, (size_t)(open - s))) < 0)
            return rc;
        if (!(close = strchr(open, '}')))
            return -EINVAL;
        if ((rc = expand_one(&o, open + 1, (size_t)(close - open - 1), p, unit, updated_after)) < 0)
            return rc;
        s = close + 1;
    }
    return (int)o.len;
}

int url_has_unit(const char *tmpl)
{
    return strstr(tmpl, "{unit}") != NULL;
}

int url_has_updated_after(const char *tmpl)
{
    return strstr(tmpl, "{updated_after}") != NULL;
}
