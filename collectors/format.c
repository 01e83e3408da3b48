/*
 * format.c - the payload reader front end: picks a reader by name from a
 * static table of vtables, hands it the source's parsed mapping, and holds
 * the helpers every reader shares (JSON Pointers, numbers as offices write
 * them, period variants, record problems).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/format_priv.h"

static const struct format_ops *const readers[] = {
    &format_json_ops,
    &format_csv_ops,
    &format_sdmx_ops,
    &format_sdmxml_ops,
    &format_nbs_ops,
};

void format_err(char *err, size_t errsize, const char *fmt, ...)
{
    va_list ap;

    if (!err || errsize == 0)
        return;
    va_start(ap, fmt);
    /* clang-analyzer 14 misreads va_start here (valist.Uninitialized). */
    vsnprintf(err, errsize, fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
    va_end(ap);
}

static const struct format_ops *find_reader(const char *name)
{
    for (size_t i = 0; i < sizeof(readers) / sizeof(readers[0]); i++) {
        if (strcmp(readers[i]->name, name) == 0)
            return readers[i];
    }
    return NULL;
}

/* Builds a reader; see format.h. */
int format_new(struct format **out, const char *name, const struct config_mapping *mapping,
               char *err, size_t errsize)
{
    struct format *fmt;
    int rc;

    *out = NULL;
    const struct format_ops *ops = name ? find_reader(name) : NULL;
    if (!ops) {
        format_err(err, errsize, "format: unknown format \"%s\"", name ? name : "(null)");
        return -EINVAL;
    }
    if (mapping && mapping->format && strcmp(mapping->format, name) != 0) {
        format_err(err, errsize, "mapping: checked for format \"%s\", not \"%s\"", mapping->format,
                   name);
        return -EINVAL;
    }
    fmt = calloc(1, sizeof(*fmt));
    if (!fmt) {
        format_err(err, errsize, "out of memory");
        return -ENOMEM;
    }
    fmt->ops = ops;
    fmt->mapping = mapping;
    if ((rc = ops->init(fmt, err, errsize)) < 0)
        format_free(&fmt);
    *out = fmt;
    return rc;
}

/* Frees a reader and sets *fp = NULL; NULL and *fp == NULL are no-ops. */
void format_free(struct format **fp)
{
    if (!fp || !*fp)
        return;
    if ((*fp)->ops && (*fp)->priv)
        (*fp)->ops->fini((*fp)->priv);
    free(*fp);
    *fp = NULL;
}

/* Reads one payload; see format.h. An empty payload is refused here for all readers. */
int format_read(struct format *fmt, const char *buf, size_t len, format_record_cb cb, void *ctx,
                char *err, size_t errsize)
{
    if (len == 0 || !buf) {
        format_err(err, errsize, "empty payload");
        return -EBADMSG;
    }
    return fmt->ops->read(fmt, buf, len, cb, ctx, err, errsize);
}

/* Copies one reference token (up to '/' or the end), undoing ~1 and ~0. */
static int pointer_token(const char **p, char *tok, size_t size)
{
    size_t n = 0;
    const char *s = *p;

    for (; *s && *s != '/'; s++) {
        char c = *s;
        if (c == '~') {
            if (s[1] != '0' && s[1] != '1')
                return -EINVAL; /* RFC 6901: "~" must be followed by 0 or 1 */
            c = s[1] == '0' ? '~' : '/';
            s++;
        }
        if (n + 1 >= size)
            return -ENAMETOOLONG;
        tok[n++] = c;
    }
    tok[n] = '\0';
    *p = s;
    return 0;
}

/* An array index per RFC 6901: "0" or digits without a leading zero. */
static int pointer_index(const char *tok, size_t *out)
{
    size_t n = 0;

    if (!isdigit((unsigned char)tok[0]) || (tok[0] == '0' && tok[1] != '\0'))
        return -EINVAL;
    for (const char *s = tok; *s; s++) {
        if (!isdigit((unsigned char)*s) || n > (size_t)1 << 40)
            return -EINVAL;
        n = n * 10 + (size_t)(*s - '0');
    }
    *out = n;
    return 0;
}

json_t *format_pointer_get(json_t *root, const char *pointer)
{
    char tok[256];
    const char *p = pointer;
    json_t *cur = root;

    if (*p && *p != '/')
        return NULL;
    while (cur && *p == '/') {
        p++;
        if (pointer_token(&p, tok, sizeof(tok)) < 0)
            return NULL;
        if (json_is_object(cur)) {
            cur = json_object_get(cur, tok);
        } else if (json_is_array(cur)) {
            size_t i;
            cur = pointer_index(tok, &i) == 0 ? json_array_get(cur, i) : NULL;
        } else {
            cur = NULL;
        }
    }
    return cur;
}

int format_json_load(const char *buf, size_t len, json_t **out, char *err, size_t errsize)
{
    json_error_t jerr;

    *out = NULL;
    if (len == 0) {
        format_err(err, errsize, "empty payload");
        return -EBADMSG;
    }
    *out = json_loadb(buf, len, 0, &jerr);
    if (!*out) {
        format_err(err, errsize, "line %d column %d: %s", jerr.line, jerr.column, jerr.text);
        return -EBADMSG;
    }
    return 0;
}

/* The "no value" markers: empty, hyphen, em dash U+2014, en dash U+2013. */
static int is_missing_marker(const char *s, size_t n)
{
    static const char *const markers[] = {"", "-", "\xE2\x80\x94", "\xE2\x80\x93"};

    for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++) {
        if (strlen(markers[i]) == n && memcmp(markers[i], s, n) == 0)
            return 1;
    }
    return 0;
}

/* Copies s[0..n) without thousands separators into buf when it is a plain
 * decimal number: [sign] digits[,ddd...] [.digits] [e[sign]digits]. */
static int number_normalise(const char *s, size_t n, char *buf, size_t size)
{
    size_t i = 0, o = 0;
    int digits = 0;

    if (n >= size)
        return -EINVAL;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        buf[o++] = s[i++];
    for (; i < n && (isdigit((unsigned char)s[i]) || s[i] == ','); i++) {
        if (s[i] == ',') {
            /* a separator sits between digits: "1,234", not ",1" or "1," */
            if (!digits || i + 1 >= n || !isdigit((unsigned char)s[i + 1]))
                return -EINVAL;
            continue;
        }
        buf[o++] = s[i];
        digits++;
    }
    if (i < n && s[i] == '.') {
        buf[o++] = s[i++];
        for (; i < n && isdigit((unsigned char)s[i]); i++, digits++)
            buf[o++] = s[i];
    }
    if (!digits)
        return -EINVAL;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        buf[o++] = s[i++];
        if (i < n && (s[i] == '-' || s[i] == '+'))
            buf[o++] = s[i++];
        if (i >= n || !isdigit((unsigned char)s[i]))
            return -EINVAL;
        for (; i < n && isdigit((unsigned char)s[i]); i++)
            buf[o++] = s[i];
    }
    buf[o] = '\0';
    return i == n ? 0 : -EINVAL;
}

int format_number_parse(const char *text, double *out)
{
    char buf[80];
    size_t n;
    double v;

    while (isspace((unsigned char)*text))
        text++;
    n = strlen(text);
    while (n > 0 && isspace((unsigned char)text[n - 1]))
        n--;
    if (is_missing_marker(text, n))
        return 1;
    if (number_normalise(text, n, buf, sizeof(buf)) < 0)
        return -EINVAL;
    v = strtod(buf, NULL);
    if (!isfinite(v))
        return -EINVAL;
    *out = v;
    return 0;
}

int format_period_parse(const char *text, struct period *out)
{
    return period_parse_agency(out, text, strlen(text), 0) == 0 ? 0 : -EINVAL;
}

void format_problem(struct format_record *rec, struct format_scratch *s, const char *fmt, ...)
{
    va_list ap;

    if (rec->problem)
        return;
    va_start(ap, fmt);
    /* clang-analyzer 14 misreads va_start here (valist.Uninitialized). */
    // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized)
    vsnprintf(s->problem, sizeof(s->problem), fmt, ap);
    va_end(ap);
    rec->problem = s->problem;
}

size_t format_utf8_cut(const char *s, size_t max)
{
    size_t n = strnlen(s, max + 1);

    if (n <= max)
        return n;
    n = max;
    /* step back over continuation bytes to the start of the cut sequence */
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

void format_record_period(struct format_record *rec, struct format_scratch *s, const char *text)
{
    format_record_period_freq(rec, s, text, 0);
}

void format_record_period_freq(struct format_record *rec, struct format_scratch *s,
                               const char *text, enum period_freq hint)
{
    int cut, rc;

    rec->period_raw = text ? text : "";
    rec->period_ok = 0;
    if (!text) {
        format_problem(rec, s, "period: absent");
        return;
    }
    if ((rc = period_parse_agency(&rec->period, text, strlen(text), hint)) == 0) {
        rec->period_ok = 1;
        return;
    }
    cut = (int)format_utf8_cut(text, 40);
    if (rc == -ENOTSUP)
        format_problem(rec, s, "period \"%.*s\": frequency not supported (daily or weekly)", cut,
                       text);
    else if (rc == -EDOM && !hint)
        format_problem(rec, s, "period \"%.*s\": a date, and the frequency is not known", cut,
                       text);
    else if (rc == -EDOM)
        format_problem(rec, s,
                       "period \"%.*s\": not the first or last day of a period of "
                       "frequency %c",
                       cut, text, period_freq_char(hint));
    else
        format_problem(rec, s, "period: not understood: \"%.*s\"", cut, text);
}

void format_record_value_text(struct format_record *rec, struct format_scratch *s, const char *text)
{
    int rc = format_number_parse(text, &rec->value);

    rec->missing = rc == 1;
    rec->value_ok = rc == 0;
    if (rc < 0) {
        rec->value = 0;
        format_problem(rec, s, "value: not a number: \"%.*s\"", (int)format_utf8_cut(text, 40),
                       text);
    }
}

void format_record_value_json(struct format_record *rec, struct format_scratch *s, json_t *v)
{
    rec->missing = 0;
    rec->value_ok = 0;
    rec->value = 0;
    if (!v) {
        format_problem(rec, s, "value: absent");
    } else if (json_is_null(v)) {
        rec->missing = 1;
    } else if (json_is_number(v)) {
        rec->value = json_number_value(v);
        rec->value_ok = isfinite(rec->value) ? 1 : 0;
    } else if (json_is_string(v)) {
        format_record_value_text(rec, s, json_string_value(v));
    } else {
        format_problem(rec, s, "value: expected a number, a string or null");
    }
}

void format_raw_attach(struct format_record *rec, struct format_raw *raw,
                       int (*build)(const void *arg, char *text), const void *arg)
{
    raw->build = build;
    raw->arg = arg;
    raw->state = 0;
    rec->priv_ = raw;
}

int format_raw_json(const void *arg, char *text)
{
    const size_t flags = JSON_COMPACT | JSON_ENCODE_ANY;
    size_t n = json_dumpb(arg, text, FORMAT_RAW_MAX, flags);
    char *whole;

    if (n == 0)
        return -ENOMEM; /* a dump is never empty; 0 is jansson's failure */
    if (n <= FORMAT_RAW_MAX) {
        text[n] = '\0';
        return 0;
    }
    /* Over the cap, json_dumpb() leaves the buffer undefined: dump it all
     * and keep the longest prefix that does not split a UTF-8 sequence. */
    if (!(whole = json_dumps(arg, flags)))
        return -ENOMEM;
    n = format_utf8_cut(whole, FORMAT_RAW_MAX);
    memcpy(text, whole, n);
    text[n] = '\0';
    free(whole);
    return 0;
}

/*
 * The record's raw text; see format.h. The reader's struct format_raw is
 * its own mutable stack object: the record only holds it as const, so the
 * cast does not write to anything defined const.
 */
const char *format_record_raw(const struct format_record *rec)
{
    struct format_raw *raw = rec ? (struct format_raw *)rec->priv_ : NULL;

    if (!raw)
        return NULL;
    if (raw->state == 0)
        raw->state = raw->build(raw->arg, raw->text) == 0 ? 1 : -1;
    return raw->state == 1 ? raw->text : NULL;
}
