/*
 * json_long.c - the long-layout scanner of the "json" reader (json_long.h):
 * one pass over the bytes, no tokens handed through callbacks, the record's
 * members matched against the mapping's member names directly.
 *
 * Whatever it is not sure yajl reads the same way makes it give up (GIVE_UP):
 * an escape in a key, a nested value in a record, a byte outside the JSON
 * grammar, a control character, ill-formed UTF-8, \u0000, a surrogate escape,
 * a repeated key, more than JSON_LONG_KEYS keys in an object, the records not
 * found. The json reader then reads the payload with yajl.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/json_long.h"
#include "common/buf.h"

#define GIVE_UP 1

/* A member name: where it is in the payload (never escaped), its length,
 * and (in a record) the fields it is read as, one bit per spec slot. */
struct key {
    const unsigned char *k;
    size_t len;
    unsigned fields;
};

struct scan {
    const unsigned char *b;
    size_t len, at;
    char *dec; /* the unescaped strings of the current element */
    size_t dused, dcap;
    /* the previous record's keys, in order: a record with the same ones
     * needs neither the repeat check nor the field look-up */
    struct key last[JSON_LONG_KEYS];
    size_t nlast;
};

/* A field as scanned: its text in the payload, or (dec) at offset off of the
 * unescaped strings, which may move while the element is read. */
struct sfield {
    enum json_long_type type;
    const char *text;
    size_t off, len;
    int dec;
};

/* Bytes a string holds as they are: printable ASCII but '"' and '\\' (DEL
 * and the rest left to the slow path, which gives up on them). */
static const unsigned char plain[256] = {
    [0x20 ... 0x21] = 1, [0x23 ... 0x5B] = 1, [0x5D ... 0x7E] = 1};

/* JSON's four blanks. */
static const unsigned char blank[256] = {[' '] = 1, ['\n'] = 1, ['\r'] = 1, ['\t'] = 1};

static inline __attribute__((always_inline)) void blanks(struct scan *s)
{
    size_t at = s->at, len = s->len;
    const unsigned char *b = s->b;

    while (at < len && blank[b[at]])
        at++;
    s->at = at;
}

/* Bytes of the well-formed UTF-8 sequence at p (lead byte >= 0x80), 0 if none. */
static size_t utf8_len(const unsigned char *p, size_t avail)
{
    size_t n;

    if (p[0] >= 0xC2 && p[0] <= 0xDF)
        n = 2;
    else if (p[0] >= 0xE0 && p[0] <= 0xEF)
        n = 3;
    else if (p[0] >= 0xF0 && p[0] <= 0xF4)
        n = 4;
    else
        return 0;
    if (n > avail)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

static int dec_put(struct scan *s, const void *p, size_t n)
{
    if (n == 0)
        return 0;
    if (BUF_GROW(&s->dec, &s->dcap, s->dused + n, BUF_UNCAPPED) < 0)
        return -ENOMEM;
    memcpy(s->dec + s->dused, p, n);
    s->dused += n;
    return 0;
}

static int hex4(const unsigned char *p, unsigned *out)
{
    unsigned v = 0;

    for (int i = 0; i < 4; i++) {
        unsigned c = p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

/* One escape after the backslash at s->at, unescaped into s->dec. */
static int escape(struct scan *s)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    unsigned char u[3];
    unsigned cp;
    const char *e;

    if (s->at + 1 >= s->len)
        return GIVE_UP;
    if (s->b[s->at + 1] != 'u') {
        if (!s->b[s->at + 1] || !(e = strchr(from, s->b[s->at + 1])))
            return GIVE_UP;
        s->at += 2;
        return dec_put(s, &to[e - from], 1);
    }
    /* \u0000 is refused by the reader and a surrogate half may be decoded
     * otherwise than UTF-16 says: yajl's to tell */
    if (s->at + 6 > s->len || hex4(s->b + s->at + 2, &cp) < 0 || cp == 0 ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return GIVE_UP;
    s->at += 6;
    if (cp < 0x80) {
        u[0] = (unsigned char)cp;
        return dec_put(s, u, 1);
    }
    if (cp < 0x800) {
        u[0] = (unsigned char)(0xC0 | cp >> 6);
        u[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return dec_put(s, u, 2);
    }
    u[0] = (unsigned char)(0xE0 | cp >> 12);
    u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    u[2] = (unsigned char)(0x80 | (cp & 0x3F));
    return dec_put(s, u, 3);
}

/* The string at s->at (its opening quote) into f: its bytes in the payload,
 * or unescaped into s->dec. A key (key 1) must have no escape. */
static inline __attribute__((always_inline)) int string(struct scan *s, int key, struct sfield *f)
{
    const unsigned char *b = s->b;
    size_t start = ++s->at, run = start;
    int rc, esc = 0;

    for (;;) {
        size_t at = s->at, len = s->len;
        while (at < len && plain[b[at]])
            at++;
        s->at = at;
        if (at >= len)
            return GIVE_UP;
        unsigned char c = b[s->at];
        if (c == '"')
            break;
        if (c == '\\') {
            if (key)
                return GIVE_UP;
            if (!esc) {
                esc = 1;
                f->off = s->dused;
            }
            if ((rc = dec_put(s, b + run, s->at - run)) != 0 || (rc = escape(s)) != 0)
                return rc;
            run = s->at;
        } else if (c < 0x20) {
            return GIVE_UP;
        } else {
            size_t n = utf8_len(b + s->at, s->len - s->at);
            if (!n)
                return GIVE_UP;
            s->at += n;
        }
    }
    f->type = JSON_LONG_STRING;
    f->dec = esc;
    if (esc) {
        if ((rc = dec_put(s, b + run, s->at - run)) != 0)
            return rc;
        f->len = s->dused - f->off;
    } else {
        f->text = (const char *)b + start;
        f->len = s->at - start;
    }
    s->at++;
    return 0;
}

static inline __attribute__((always_inline)) int digits(struct scan *s)
{
    size_t at = s->at;

    while (s->at < s->len && s->b[s->at] >= '0' && s->b[s->at] <= '9')
        s->at++;
    return s->at > at ? 0 : GIVE_UP;
}

/* A number as the JSON grammar writes it: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static inline __attribute__((always_inline)) int number(struct scan *s, struct sfield *f)
{
    size_t start = s->at;
    int real = 0;

    if (s->b[s->at] == '-')
        s->at++;
    if (s->at < s->len && s->b[s->at] == '0')
        s->at++;
    else if (s->at >= s->len || s->b[s->at] < '1' || s->b[s->at] > '9' || digits(s))
        return GIVE_UP;
    if (s->at < s->len && s->b[s->at] == '.') {
        real = 1;
        s->at++;
        if (digits(s))
            return GIVE_UP;
    }
    if (s->at < s->len && (s->b[s->at] == 'e' || s->b[s->at] == 'E')) {
        real = 1;
        s->at++;
        if (s->at < s->len && (s->b[s->at] == '+' || s->b[s->at] == '-'))
            s->at++;
        if (digits(s))
            return GIVE_UP;
    }
    *f = (struct sfield){real ? JSON_LONG_REAL : JSON_LONG_INTEGER, (const char *)s->b + start, 0,
                         s->at - start, 0};
    return 0;
}

static inline __attribute__((always_inline)) int literal(struct scan *s, const char *word,
                                                         enum json_long_type type, struct sfield *f)
{
    size_t n = strlen(word);

    if (s->len - s->at < n || memcmp(s->b + s->at, word, n) != 0)
        return GIVE_UP;
    *f = (struct sfield){type, type == JSON_LONG_NULL ? "" : word, 0,
                         type == JSON_LONG_NULL ? 0 : n, 0};
    s->at += n;
    return 0;
}

/* A string, number, true, false or null. */
static inline __attribute__((always_inline)) int scalar(struct scan *s, struct sfield *f)
{
    switch (s->at < s->len ? s->b[s->at] : 0) {
    case '"':
        return string(s, 0, f);
    case 't':
        return literal(s, "true", JSON_LONG_BOOL, f);
    case 'f':
        return literal(s, "false", JSON_LONG_BOOL, f);
    case 'n':
        return literal(s, "null", JSON_LONG_NULL, f);
    case '-':
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
    case '8':
    case '9':
        return number(s, f);
    default:
        return GIVE_UP;
    }
}

/* A key at s->at, then its ':' and the blanks after; a key the object
 * already has, or one key too many, gives up. */
static inline __attribute__((always_inline)) int key(struct scan *s, struct key *keys, size_t *n)
{
    struct sfield f;
    int rc;

    if (s->at >= s->len || s->b[s->at] != '"' || *n == JSON_LONG_KEYS)
        return GIVE_UP;
    if ((rc = string(s, 1, &f)) != 0)
        return rc;
    for (size_t i = 0; i < *n; i++)
        if (keys[i].len == f.len && memcmp(keys[i].k, f.text, f.len) == 0)
            return GIVE_UP;
    keys[(*n)++] = (struct key){(const unsigned char *)f.text, f.len, 0};
    blanks(s);
    if (s->at >= s->len || s->b[s->at] != ':')
        return GIVE_UP;
    s->at++;
    blanks(s);
    return 0;
}

/* After a member or an element: 0 on ',' (and the blanks after it), 2 on
 * the closing byte, else GIVE_UP. */
static inline __attribute__((always_inline)) int after(struct scan *s, unsigned char close)
{
    blanks(s);
    if (s->at < s->len && s->b[s->at] == ',') {
        s->at++;
        blanks(s);
        return 0;
    }
    if (s->at < s->len && s->b[s->at] == close) {
        s->at++;
        return 2;
    }
    return GIVE_UP;
}

/* Any value beside the records, checked as yajl would. */
static int skip(struct scan *s, int depth)
{
    struct key keys[JSON_LONG_KEYS];
    size_t n = 0;
    struct sfield f;
    int rc;

    if (s->at >= s->len || (s->b[s->at] != '{' && s->b[s->at] != '[')) {
        rc = scalar(s, &f);
        s->dused = 0;
        return rc;
    }
    if (depth >= JSON_LONG_DEPTH)
        return GIVE_UP;
    unsigned char close = s->b[s->at] == '{' ? '}' : ']';
    s->at++;
    blanks(s);
    if (s->at < s->len && s->b[s->at] == close) {
        s->at++;
        return 0;
    }
    do {
        if ((close == '}' && (rc = key(s, keys, &n)) != 0) || (rc = skip(s, depth + 1)) != 0)
            return rc;
    } while ((rc = after(s, close)) == 0);
    return rc == 2 ? 0 : rc;
}

/* The fields (bits by spec slot) a record's member k[0..len) is read as. */
static unsigned fields_of(const struct json_long_spec *spec, const unsigned char *k, size_t len)
{
    unsigned bits = 0;

    for (size_t i = 0; i < JSON_LONG_FIELDS; i++)
        if (spec->key[i] && spec->key_len[i] == len && memcmp(spec->key[i], k, len) == 0)
            bits |= 1u << i;
    return bits;
}

/* One record at s->at (its '{'), handed to cb. Returns 0, GIVE_UP, -ENOMEM,
 * or 2 when cb stopped the scan. */
static int element(struct scan *s, const struct json_long_spec *spec, json_long_cb cb, void *ctx,
                   long *emitted, int *cb_rc)
{
    struct key keys[JSON_LONG_KEYS];
    struct sfield f[JSON_LONG_FIELDS] = {{0}}, k, v;
    struct json_long_field out[JSON_LONG_FIELDS];
    size_t from = s->at, n = 0;
    int rc = 2, same = 1; /* the keys so far are the previous record's, in order */

    s->dused = 0;
    s->at++;
    blanks(s);
    if (s->at < s->len && s->b[s->at] == '}')
        s->at++;
    else
        do {
            if (s->at >= s->len || s->b[s->at] != '"' || n == JSON_LONG_KEYS)
                return GIVE_UP;
            if ((rc = string(s, 1, &k)) != 0)
                return rc;
            keys[n] = (struct key){(const unsigned char *)k.text, k.len, 0};
            if (same && n < s->nlast && s->last[n].len == k.len &&
                memcmp(s->last[n].k, k.text, k.len) == 0) {
                keys[n].fields = s->last[n].fields; /* distinct in that record, so here */
            } else {
                same = 0;
                for (size_t i = 0; i < n; i++)
                    if (keys[i].len == k.len && memcmp(keys[i].k, k.text, k.len) == 0)
                        return GIVE_UP; /* a repeated key */
                keys[n].fields = fields_of(spec, keys[n].k, k.len);
            }
            blanks(s);
            if (s->at >= s->len || s->b[s->at] != ':')
                return GIVE_UP;
            s->at++;
            blanks(s);
            if ((rc = scalar(s, &v)) != 0)
                return rc;
            for (unsigned bits = keys[n].fields; bits; bits &= bits - 1)
                f[__builtin_ctz(bits)] = v;
            n++;
        } while ((rc = after(s, '}')) == 0);
    if (rc != 2)
        return rc;
    memcpy(s->last, keys, n * sizeof(*keys));
    s->nlast = n;
    for (size_t i = 0; i < JSON_LONG_FIELDS; i++)
        out[i] =
            (struct json_long_field){f[i].type, f[i].dec ? s->dec + f[i].off : f[i].text, f[i].len};
    (*emitted)++;
    return (*cb_rc = cb(ctx, *emitted, from, s->at, out)) != 0 ? 2 : 0;
}

/* The record array at s->at (its '['). */
static int records(struct scan *s, const struct json_long_spec *spec, json_long_cb cb, void *ctx,
                   long *emitted, int *cb_rc)
{
    int rc;

    if (s->at >= s->len || s->b[s->at] != '[')
        return GIVE_UP;
    s->at++;
    blanks(s);
    if (s->at < s->len && s->b[s->at] == ']') {
        s->at++;
        return 0;
    }
    do {
        if (s->at >= s->len || s->b[s->at] != '{')
            return GIVE_UP;
        if ((rc = element(s, spec, cb, ctx, emitted, cb_rc)) != 0)
            return rc;
    } while ((rc = after(s, ']')) == 0);
    return rc == 2 ? 0 : rc;
}

/* The root object: its members beside the records skipped, the records read. */
static int root_object(struct scan *s, const struct json_long_spec *spec, json_long_cb cb,
                       void *ctx, long *emitted, int *cb_rc)
{
    struct key keys[JSON_LONG_KEYS];
    size_t n = 0;
    int rc, found = 0;

    if (s->at >= s->len || s->b[s->at] != '{')
        return GIVE_UP;
    s->at++;
    blanks(s);
    do {
        if ((rc = key(s, keys, &n)) != 0)
            return rc;
        if (keys[n - 1].len == spec->records_len &&
            memcmp(keys[n - 1].k, spec->records, spec->records_len) == 0) {
            found = 1;
            rc = records(s, spec, cb, ctx, emitted, cb_rc);
        } else {
            rc = skip(s, 1);
        }
        if (rc != 0)
            return rc;
    } while ((rc = after(s, '}')) == 0);
    return rc == 2 && found ? 0 : GIVE_UP;
}

int json_long_scan(const struct json_long_spec *spec, const char *buf, size_t len, json_long_cb cb,
                   void *ctx, long *emitted, int *cb_rc)
{
    struct scan s = {.b = (const unsigned char *)buf, .len = len};
    int rc;

    *emitted = 0;
    *cb_rc = 0;
    blanks(&s);
    rc = spec->root_array ? records(&s, spec, cb, ctx, emitted, cb_rc)
                          : root_object(&s, spec, cb, ctx, emitted, cb_rc);
    if (rc == 0) {
        blanks(&s);
        rc = s.at == s.len ? 0 : GIVE_UP; /* nothing may follow the root */
    }
    free(s.dec);
    return rc == 2 ? 0 : rc;
}
