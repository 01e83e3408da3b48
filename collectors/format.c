/*
 * format.c - the payload reader front end: picks a reader by name from a
 * static table of vtables, hands it the source's parsed mapping, and holds
 * the helpers every reader shares (JSON Pointers, numbers as offices write
 * them, period variants, record problems).
 */
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "collectors/encoding.h"
#include "collectors/format_priv.h"

static const struct format_ops *const readers[] = {
    &format_json_ops,    &format_csv_ops, &format_sdmx_ops, &format_sdmxml_ops,
    &format_sdmxcsv_ops, &format_nbs_ops, &format_xlsx_ops,
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

/*
 * Reads one payload; see format.h. An empty payload is refused here for all
 * readers, and a text payload reaches its reader as UTF-8: in the mapping's
 * declared encoding, or in the one its BOM names (collectors/encoding.h).
 */
int format_read(struct format *fmt, const char *buf, size_t len, format_record_cb cb, void *ctx,
                char *err, size_t errsize)
{
    enum encoding enc = ENCODING_NONE;
    const char *text;
    char *owned = NULL;
    size_t n;
    int rc;

    if (len == 0 || !buf) {
        format_err(err, errsize, "empty payload");
        return -EBADMSG;
    }
    if (fmt->ops == &format_xlsx_ops || fmt->ops == &format_sdmxml_ops) /* a zip archive; XML */
        return fmt->ops->read(fmt, buf, len, cb, ctx, err, errsize);
    if (fmt->mapping && fmt->mapping->encoding &&
        encoding_from_name(fmt->mapping->encoding, &enc) < 0) {
        format_err(err, errsize, "mapping.encoding: unknown encoding \"%s\"",
                   fmt->mapping->encoding);
        return -EINVAL;
    }
    if ((rc = encoding_convert(enc, buf, len, &text, &n, &owned, err, errsize)) < 0)
        return rc == -EILSEQ ? -EBADMSG : rc;
    rc = fmt->ops->read(fmt, text, n, cb, ctx, err, errsize); /* n may be 0: a BOM alone */
    free(owned);
    return rc;
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
    *out = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!*out) {
        format_err(err, errsize, "line %d column %d: %s", jerr.line, jerr.column, jerr.text);
        return -EBADMSG;
    }
    return 0;
}

/* The default "no value" markers: empty, hyphen, em dash U+2014, en dash
 * U+2013, NaN, colon (Eurostat), "..", ellipsis U+2026, "x" (suppressed). */
static const char *const default_markers[] = {
    "", "-", "\xE2\x80\x94", "\xE2\x80\x93", "NaN", ":", "..", "\xE2\x80\xA6", "x", NULL};

const char *const *format_default_markers(void)
{
    return default_markers;
}

static int is_marker(const struct config_value_opts *o, const char *s, size_t n)
{
    const char *const *list = o->missing ? o->missing : default_markers;
    size_t count = o->missing ? o->n_missing : sizeof(default_markers) / sizeof(*list) - 1;

    for (size_t i = 0; i < count; i++) {
        /* byte by byte: most markers differ at the first, and no strlen()
         * per marker and row (a bulk import parses millions of values) */
        size_t j = 0;
        while (j < n && list[i][j] && list[i][j] == s[j])
            j++;
        if (j == n && list[i][n] == '\0')
            return 1;
    }
    return 0;
}

/* The flags after a value ("12.3 pe", ": c"): the offset of their blank in
 * text[0..n), or 0 when the text does not end in a blank and letters. */
static size_t flags_at(const char *text, size_t n)
{
    size_t i = n;

    while (i > 0 && ((text[i - 1] >= 'a' && text[i - 1] <= 'z') ||
                     (text[i - 1] >= 'A' && text[i - 1] <= 'Z')))
        i--;
    if (i == n || i < 2 || (text[i - 1] != ' ' && text[i - 1] != '\t'))
        return 0;
    return i - 1;
}

/* Bytes of a blank at s[0..n): ASCII space or control blank, U+00A0, U+202F, U+3000. */
static size_t blank_at(const char *s, size_t n)
{
    if (n >= 1 && isspace((unsigned char)s[0]))
        return 1;
    if (n >= 2 && memcmp(s, "\xC2\xA0", 2) == 0)
        return 2;
    if (n >= 3 && (memcmp(s, "\xE2\x80\xAF", 3) == 0 || memcmp(s, "\xE3\x80\x80", 3) == 0))
        return 3;
    return 0;
}

/* Bytes of a blank ending at s[n), or 0. */
static size_t blank_before(const char *s, size_t n)
{
    for (size_t k = 1; k <= 3 && k <= n; k++) {
        if (blank_at(s + n - k, k) == k)
            return k;
    }
    return 0;
}

/* Bytes of the thousands separator th at s[0..n) (" " also matches the
 * no-break spaces U+00A0 and U+202F), or 0. */
static size_t thousands_at(char th, const char *s, size_t n)
{
    if (!th || n == 0)
        return 0;
    if (s[0] == th)
        return 1;
    if (th == ' ' && n >= 2 && memcmp(s, "\xC2\xA0", 2) == 0)
        return 2;
    if (th == ' ' && n >= 3 && memcmp(s, "\xE2\x80\xAF", 3) == 0)
        return 3;
    return 0;
}

/* 1 when s[0..n) is inf, infinity or nan (any case, optional sign). */
static int is_non_finite_word(const char *s, size_t n)
{
    static const char *const words[] = {"inf", "infinity", "nan"};

    if (n > 0 && (s[0] == '+' || s[0] == '-')) {
        s++;
        n--;
    }
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (strlen(words[i]) == n && strncasecmp(s, words[i], n) == 0)
            return 1;
    }
    return 0;
}

/* The length of the longest configured suffix s[0..n) ends with (and its
 * factor in *factor); 0 when none. */
static size_t suffix_len(const struct config_value_opts *o, const char *s, size_t n, double *factor)
{
    size_t best = 0;

    for (size_t i = 0; i < o->n_suffixes; i++) {
        size_t k = strlen(o->suffixes[i].text);
        if (k > best && k < n && memcmp(s + n - k, o->suffixes[i].text, k) == 0) {
            best = k;
            *factor = o->suffixes[i].factor;
        }
    }
    return best;
}

/* Writes the reason (when asked for) and returns FORMAT_VALUE_REJECT. */
static int refuse(char *reason, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int refuse(char *reason, size_t size, const char *fmt, ...)
{
    va_list ap;

    if (reason && size) {
        va_start(ap, fmt);
        /* clang-analyzer 14 misreads va_start here (valist.Uninitialized). */
        // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized)
        vsnprintf(reason, size, fmt, ap);
        va_end(ap);
    }
    return FORMAT_VALUE_REJECT;
}

/*
 * The number in s[0..n) (blanks, markers and suffix already taken off) into
 * buf as strtod() reads it: sign, digits without thousands separators, '.'
 * for the decimal separator, exponent. Returns 0, or FORMAT_VALUE_REJECT
 * with the reason. *nonzero is set when a mantissa digit is not 0.
 */
static int number_text(const struct config_value_opts *o, const char *s, size_t n, char *buf,
                       size_t size, int *nonzero, char *reason, size_t rsize)
{
    const char dec = o->decimal ? o->decimal : '.', th = o->thousands;
    size_t i = 0, out = 0, k, group = 0, int_digits = 0, frac_digits = 0;
    int grouped = 0;

    *nonzero = 0;
    if (n + 1 > size)
        return refuse(reason, rsize, "longer than %zu characters", size - 2);
    if (s[i] == '-' || s[i] == '+')
        buf[out++] = s[i++];
    for (; i < n; i++) {
        if (isdigit((unsigned char)s[i])) {
            if (grouped && group == 3)
                return refuse(reason, rsize,
                              "thousands separator \"%c\" not followed by groups of three digits",
                              th);
            *nonzero |= s[i] != '0';
            buf[out++] = s[i];
            group++;
            int_digits++;
        } else if ((k = thousands_at(th, s + i, n - i)) > 0) {
            if (group == 0 || (grouped ? group != 3 : group > 3))
                return refuse(reason, rsize,
                              "thousands separator \"%c\" not between groups of three digits", th);
            if (!grouped && int_digits == 1 && s[i - 1] == '0')
                return refuse(reason, rsize, "a number with thousands separators starts with 0");
            grouped = 1;
            group = 0;
            i += k - 1;
        } else {
            break;
        }
    }
    if (grouped && group != 3)
        return refuse(reason, rsize,
                      "thousands separator \"%c\" not followed by groups of three digits "
                      "(decimal separator: \"%c\")",
                      th, dec);
    if (i < n && s[i] == dec) {
        buf[out++] = '.';
        for (i++; i < n && isdigit((unsigned char)s[i]); i++, frac_digits++) {
            *nonzero |= s[i] != '0';
            buf[out++] = s[i];
        }
    }
    if (int_digits + frac_digits == 0)
        return refuse(reason, rsize, "not a number");
    if (i < n && (s[i] == '.' || s[i] == ',' || thousands_at(th, s + i, n - i))) {
        char ths[8] = "none";
        if (th)
            snprintf(ths, sizeof(ths), "\"%c\"", th);
        return refuse(reason, rsize,
                      "\"%c\" where no separator can be (decimal separator: \"%c\", "
                      "thousands separator: %s)",
                      s[i], dec, ths);
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        buf[out++] = 'e';
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+'))
            buf[out++] = s[i++];
        if (i >= n || !isdigit((unsigned char)s[i]))
            return refuse(reason, rsize, "an exponent without digits");
        for (; i < n && isdigit((unsigned char)s[i]); i++)
            buf[out++] = s[i];
    }
    if (i < n) {
        /* at most 24 bytes of what follows, within s[0..n), not splitting UTF-8 */
        size_t rest = n - i;
        if (rest > 24) {
            rest = 24;
            while (rest > 0 && ((unsigned char)s[i + rest] & 0xC0) == 0x80)
                rest--;
        }
        if (flags_at(s, n) == i)
            return refuse(reason, rsize,
                          "text after the number: \"%.*s\" (flags? read them with "
                          "\"value_flags\")",
                          (int)rest, s + i);
        return refuse(reason, rsize,
                      "text after the number: \"%.*s\" (a unit? scale it with \"suffixes\")",
                      (int)rest, s + i);
    }
    buf[out] = '\0';
    return 0;
}

int format_parse_value(const char *text, size_t len, const struct config_value_opts *opts,
                       double *out, char *reason, size_t reason_size)
{
    static const struct config_value_opts defaults = {.decimal = '.', .thousands = ','};
    const struct config_value_opts *o = opts ? opts : &defaults;
    char buf[128];
    double v, factor = 1;
    size_t k, n = len;
    int nonzero, rc;

    if (reason && reason_size)
        reason[0] = '\0';
    while (n > 0 && (k = blank_at(text, n)) > 0) {
        text += k;
        n -= k;
    }
    while (n > 0 && (k = blank_before(text, n)) > 0)
        n -= k;
    if (is_marker(o, text, n))
        return FORMAT_VALUE_MISSING;
    if (n == 0)
        return refuse(reason, reason_size, "empty, and \"\" is not a missing marker");
    if (memchr(text, '\0', n))
        return refuse(reason, reason_size, "a NUL byte in the text");
    if (is_non_finite_word(text, n))
        return refuse(reason, reason_size, "not a finite number");
    if ((k = suffix_len(o, text, n, &factor)) > 0) {
        n -= k;
        while (n > 0 && (k = blank_before(text, n)) > 0)
            n -= k;
    }
    rc = number_text(o, text, n, buf, sizeof(buf), &nonzero, reason, reason_size);
    if (rc < 0)
        return rc;
    errno = 0;
    v = strtod(buf, NULL);
    if (isinf(v))
        return refuse(reason, reason_size, "overflow: beyond the range of a double (1.8e308)");
    if (nonzero && (v == 0 || (errno == ERANGE && fabs(v) < DBL_MIN)))
        return refuse(reason, reason_size,
                      "underflow: below the smallest normal double (2.2e-308)");
    v *= factor;
    if (!isfinite(v))
        return refuse(reason, reason_size, "overflow after scaling by the suffix");
    *out = v;
    return FORMAT_VALUE_OK;
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

void format_record_status(struct format_record *rec, struct format_scratch *s,
                          const struct config_mapping *cm, const char *text, size_t len)
{
    char code[128];
    const char *status = code;
    size_t n;

    rec->status = NULL;
    while (text && len > 0 && (*text == ' ' || *text == '\t')) {
        text++;
        len--;
    }
    while (text && len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t'))
        len--;
    if (!text || len == 0)
        return;
    if (len >= sizeof(code) || memchr(text, '\0', len)) {
        format_problem(rec, s, "status \"%.*s\": longer than %d bytes",
                       (int)format_utf8_cut(text, 16), text, FORMAT_STATUS_MAX);
        return;
    }
    memcpy(code, text, len);
    code[len] = '\0';
    if (cm && cm->n_status_map > 0)
        status = config_code_map(cm->status_map, cm->n_status_map, code);
    if (status[0] == '\0')
        return; /* mapped to no status */
    n = strlen(status);
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)status[i] < 0x20 || (unsigned char)status[i] > 0x7e) {
            format_problem(rec, s, "status \"%.*s\": not printable ASCII",
                           (int)format_utf8_cut(status, 16), status);
            return;
        }
    }
    if (n > FORMAT_STATUS_MAX) {
        format_problem(rec, s, "status \"%.16s\": longer than %d bytes", status, FORMAT_STATUS_MAX);
        return;
    }
    memcpy(s->status, status, n + 1);
    rec->status = s->status;
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

void format_record_value_text(struct format_record *rec, struct format_scratch *s,
                              const struct config_value_opts *opts, const char *text)
{
    char reason[160];
    int rc = format_parse_value(text, strlen(text), opts, &rec->value, reason, sizeof(reason));

    rec->missing = rc == FORMAT_VALUE_MISSING;
    rec->value_ok = rc == FORMAT_VALUE_OK;
    if (rc != FORMAT_VALUE_OK)
        rec->value = 0;
    if (rc == FORMAT_VALUE_REJECT)
        format_problem(rec, s, "value: not a number: \"%.*s\" (%s)", (int)format_utf8_cut(text, 40),
                       text, reason);
}

/* A JSON number of at most 2^53 as its digits and a power of ten within 22
 * of them: the digits and the power are exact doubles, so one multiplication
 * or division rounds as strtod() does (Clinger's fast path). Returns 1 and
 * the value, or 0 for strtod() to read it. */
static int number_fast(const char *text, size_t len, double *out)
{
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    uint64_t m = 0;
    long e = 0, x = 0;
    size_t i = 0, ndig = 0;
    int neg = 0, xneg = 0;
    double v;

    if (i < len && text[i] == '-')
        neg = 1, i++;
    for (; i < len && text[i] >= '0' && text[i] <= '9'; i++, ndig++)
        m = m * 10 + (uint64_t)(text[i] - '0');
    if (i < len && text[i] == '.')
        for (i++; i < len && text[i] >= '0' && text[i] <= '9'; i++, ndig++, e--)
            m = m * 10 + (uint64_t)(text[i] - '0');
    if (i < len && (text[i] == 'e' || text[i] == 'E')) {
        i++;
        if (i < len && (text[i] == '+' || text[i] == '-'))
            xneg = text[i++] == '-';
        for (size_t d = 0; i < len && text[i] >= '0' && text[i] <= '9'; i++, d++)
            if (d < 4)
                x = x * 10 + (text[i] - '0');
            else
                return 0;
        e += xneg ? -x : x;
    }
    /* 19 digits cannot wrap the 64 bits; 2^53 is the doubles' exact range */
    if (i != len || ndig == 0 || ndig > 19 || m > ((uint64_t)1 << 53) || e < -22 || e > 22)
        return 0;
    v = (double)m;
    v = e < 0 ? v / pow10[-e] : v * pow10[e];
    *out = neg ? -v : v;
    return 1;
}

void format_record_value_number(struct format_record *rec, struct format_scratch *s,
                                const char *text, size_t len)
{
    int nonzero = 0;
    double v;

    if (number_fast(text, len, &v)) { /* never inf, never an underflow */
        rec->missing = 0;
        rec->value_ok = 1;
        rec->value = v;
        return;
    }

    /* number_text() would copy it unchanged ('e' for 'E'); longer texts and
     * the refusals take the general path, which says why */
    if (len > 120) {
        format_record_value_text(rec, s, NULL, text);
        return;
    }
    for (size_t i = 0; i < len && text[i] != 'e' && text[i] != 'E'; i++)
        nonzero |= text[i] >= '1' && text[i] <= '9';
    errno = 0;
    v = strtod(text, NULL);
    if (isinf(v) || (nonzero && (v == 0 || (errno == ERANGE && fabs(v) < DBL_MIN)))) {
        format_record_value_text(rec, s, NULL, text);
        return;
    }
    rec->missing = 0;
    rec->value_ok = 1;
    rec->value = v;
}

void format_record_value_cell(struct format_record *rec, struct format_scratch *s,
                              const struct config_mapping *cm, const char *text)
{
    const struct config_value_opts *opts = cm ? &cm->values : NULL;
    char value[128];
    size_t n = strlen(text), at;

    if (!cm || !cm->value_flags) {
        format_record_value_text(rec, s, opts, text);
        return;
    }
    while (n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\t'))
        n--;
    at = flags_at(text, n);
    for (size_t i = 0; at > 0 && i < cm->values.n_suffixes; i++) {
        const char *suf = cm->values.suffixes[i].text;
        if (strlen(suf) == n - at - 1 && memcmp(suf, text + at + 1, n - at - 1) == 0)
            at = 0; /* "12 mn" with the suffix "mn": a unit, not flags */
    }
    if (at == 0 || at >= sizeof(value)) {
        format_record_value_text(rec, s, opts, text); /* no flags (or no number) */
        return;
    }
    memcpy(value, text, at);
    value[at] = '\0';
    format_record_value_text(rec, s, opts, value);
    format_record_status(rec, s, cm, text + at + 1, n - at - 1);
}

void format_record_value_json(struct format_record *rec, struct format_scratch *s,
                              const struct config_value_opts *opts, json_t *v)
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
        if (!rec->value_ok)
            format_problem(rec, s, "value: not a finite number");
    } else if (json_is_string(v)) {
        format_record_value_text(rec, s, opts, json_string_value(v));
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
