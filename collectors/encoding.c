/*
 * encoding.c - payloads converted to UTF-8 with iconv (see encoding.h).
 *
 * The converter keeps the few bytes of a sequence that a piece cut short
 * (at most ENC_PEND) and the line and column reached in its output, so the
 * first invalid byte is reported where a person would look for it in an
 * editor, whatever the piece boundaries were.
 */
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "collectors/encoding.h"
#include "collectors/format_priv.h"

/* Longest sequence of any supported encoding (GB18030: 4 bytes), twice. */
#define ENC_PEND 8
/* Output block for one iconv() call. */
#define ENC_BLOCK 4096

const char *const encoding_names[] = {"utf-8", "gb18030", "gbk", "utf-16le", "utf-16be", NULL};

static const struct {
    const char *name;
    enum encoding enc;
} aliases[] = {
    {"utf-8", ENCODING_UTF8},       {"utf8", ENCODING_UTF8},       {"gb18030", ENCODING_GB18030},
    {"gbk", ENCODING_GBK},          {"gb2312", ENCODING_GBK},      {"cp936", ENCODING_GBK},
    {"utf-16le", ENCODING_UTF16LE}, {"utf-16", ENCODING_UTF16LE},  {"utf16le", ENCODING_UTF16LE},
    {"utf-16be", ENCODING_UTF16BE}, {"utf16be", ENCODING_UTF16BE},
};

struct encoding_conv {
    enum encoding enc; /* declared, then what the BOM said */
    iconv_t cd;        /* valid when open is 1 */
    int open;          /* 0: passing bytes on (or not started) */
    int started;       /* 1 once the BOM was looked for */
    int failed;        /* the first error, refused again */
    char head[3];      /* the first bytes, until there are enough for a BOM */
    size_t nhead;
    char pend[ENC_PEND]; /* a sequence a piece cut short */
    size_t npend;
    long line, col; /* place reached in the output: 1-based line, characters in it */
};

int encoding_from_name(const char *name, enum encoding *out)
{
    for (size_t i = 0; name && i < sizeof(aliases) / sizeof(aliases[0]); i++) {
        if (strcasecmp(name, aliases[i].name) == 0) {
            *out = aliases[i].enc;
            return 0;
        }
    }
    return -EINVAL;
}

const char *encoding_label(enum encoding enc)
{
    switch (enc) {
    case ENCODING_UTF8:
        return "UTF-8";
    case ENCODING_GB18030:
        return "GB18030";
    case ENCODING_GBK:
        return "GBK";
    case ENCODING_UTF16LE:
        return "UTF-16LE";
    case ENCODING_UTF16BE:
        return "UTF-16BE";
    case ENCODING_NONE:
        break;
    }
    return "bytes";
}

int encoding_conv_new(struct encoding_conv **out, enum encoding enc)
{
    struct encoding_conv *c = calloc(1, sizeof(*c));

    *out = NULL;
    if (!c)
        return -ENOMEM;
    c->enc = enc;
    c->line = 1;
    *out = c;
    return 0;
}

void encoding_conv_free(struct encoding_conv **cp)
{
    if (!cp || !*cp)
        return;
    if ((*cp)->open)
        iconv_close((*cp)->cd);
    free(*cp);
    *cp = NULL;
}

/* Moves the line and column on over n bytes of UTF-8 output. */
static void advance(struct encoding_conv *c, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)p[i];
        if (b == '\n') {
            c->line++;
            c->col = 0;
        } else if ((b & 0xC0) != 0x80) {
            c->col++;
        }
    }
}

/* "line L column C: invalid GB18030 byte 0x81" for the byte at p, or for a
 * cut sequence "... ends inside a GB18030 sequence 0xCA 0xFD" (all n bytes). */
static int invalid(struct encoding_conv *c, const char *p, size_t n, int cut, char *err,
                   size_t errsize)
{
    char hex[32] = "";
    size_t o = 0;

    if (!cut)
        n = 1; /* what follows depends on where the pieces were cut */
    for (size_t i = 0; i < n && i < 4; i++) {
        static const char digits[] = "0123456789ABCDEF";
        unsigned char b = (unsigned char)p[i];
        hex[o++] = ' ';
        hex[o++] = '0';
        hex[o++] = 'x';
        hex[o++] = digits[b >> 4];
        hex[o++] = digits[b & 15];
    }
    hex[o] = '\0';
    format_err(err, errsize, "line %ld column %ld: %s %s %s%s", c->line, c->col + 1,
               cut ? "the payload ends inside a" : "invalid", encoding_label(c->enc),
               cut ? "sequence" : "byte", hex);
    c->failed = -EILSEQ;
    return -EILSEQ;
}

/*
 * Converts as much of p[0..n) as forms whole sequences; *used says how many
 * bytes. Returns 0 (the rest, if any, is an incomplete sequence), -EILSEQ
 * (at p + *used) or the buffer's error.
 */
static int run(struct encoding_conv *c, const char *p, size_t n, size_t *used, struct buf *out)
{
    char block[ENC_BLOCK];
    char *in = (char *)p; /* iconv's prototype; the input is not written */
    size_t left = n;

    while (left > 0) {
        char *o = block;
        size_t room = sizeof(block);
        size_t r = iconv(c->cd, &in, &left, &o, &room);
        int e = r == (size_t)-1 ? errno : 0;

        advance(c, block, (size_t)(o - block));
        if (buf_add(out, block, (size_t)(o - block)) < 0) {
            *used = n - left;
            return out->err;
        }
        if (e == EILSEQ) {
            *used = n - left;
            return -EILSEQ;
        }
        if (e == EINVAL)
            break; /* an incomplete sequence at the end */
        if (e != 0 && e != E2BIG) {
            *used = n - left;
            return -e;
        }
    }
    *used = n - left;
    return 0;
}

/* Converts p[0..n) after the pending bytes; keeps a cut sequence pending. */
static int convert(struct encoding_conv *c, const char *p, size_t n, int final, struct buf *out,
                   char *err, size_t errsize)
{
    size_t used;
    int rc;

    if (!c->open) /* passing bytes on */
        return buf_add(out, p, n) < 0 ? out->err : 0;
    while (c->npend > 0 && (n > 0 || final)) {
        size_t old = c->npend;
        size_t k = n < ENC_PEND - old ? n : ENC_PEND - old;

        memcpy(c->pend + old, p, k);
        rc = run(c, c->pend, old + k, &used, out);
        if (rc == -EILSEQ)
            return invalid(c, c->pend + used, old + k - used, 0, err, errsize);
        if (rc < 0)
            return c->failed = rc;
        if (used >= old) { /* the pending sequence is done: go on in p */
            c->npend = 0;
            p += used - old;
            n -= used - old;
            break;
        }
        /* still short with k more bytes: the piece ended (k == n), else no
         * sequence is that long */
        if (k < n)
            return invalid(c, c->pend + used, old + k - used, 0, err, errsize);
        memmove(c->pend, c->pend + used, old + k - used);
        c->npend = old + k - used;
        if (final)
            return invalid(c, c->pend, c->npend, 1, err, errsize);
        return 0;
    }
    rc = run(c, p, n, &used, out);
    if (rc == -EILSEQ)
        return invalid(c, p + used, n - used, 0, err, errsize);
    if (rc < 0)
        return c->failed = rc;
    if (n - used > ENC_PEND)
        return invalid(c, p + used, n - used, 0, err, errsize); /* cannot happen: iconv */
    memcpy(c->pend, p + used, n - used);
    c->npend = n - used;
    if (final && c->npend > 0)
        return invalid(c, c->pend, c->npend, 1, err, errsize);
    return 0;
}

/* Looks at the first bytes for a BOM, then opens iconv for what was declared or found. */
static int start(struct encoding_conv *c, size_t *skip)
{
    static const char *const iconv_names[] = {
        [ENCODING_UTF8] = "UTF-8",       [ENCODING_GB18030] = "GB18030",  [ENCODING_GBK] = "GBK",
        [ENCODING_UTF16LE] = "UTF-16LE", [ENCODING_UTF16BE] = "UTF-16BE",
    };
    const unsigned char *h = (const unsigned char *)c->head;

    *skip = 0;
    if (c->nhead >= 3 && h[0] == 0xEF && h[1] == 0xBB && h[2] == 0xBF) {
        *skip = 3;
        if (c->enc != ENCODING_NONE)
            c->enc = ENCODING_UTF8;
    } else if (c->nhead >= 2 && h[0] == 0xFF && h[1] == 0xFE) {
        *skip = 2;
        c->enc = ENCODING_UTF16LE;
    } else if (c->nhead >= 2 && h[0] == 0xFE && h[1] == 0xFF) {
        *skip = 2;
        c->enc = ENCODING_UTF16BE;
    }
    c->started = 1;
    if (c->enc == ENCODING_NONE)
        return 0;
    c->cd = iconv_open("UTF-8", iconv_names[c->enc]);
    if (c->cd == (iconv_t)-1) // NOLINT(performance-no-int-to-ptr): iconv's failure value
        return -errno;
    c->open = 1;
    return 0;
}

/* Returns convert()'s failure rc, saying why (an invalid byte said it already). */
static int convert_failed(int rc, char *err, size_t errsize)
{
    if (rc == -ENOMEM)
        format_err(err, errsize, "out of memory");
    else if (rc == -E2BIG)
        format_err(err, errsize, "payload too large");
    else if (rc != -EILSEQ)
        format_err(err, errsize, "iconv: %s", strerror(-rc));
    return rc;
}

int encoding_conv_feed(struct encoding_conv *c, const char *in, size_t len, int final,
                       struct buf *out, char *err, size_t errsize)
{
    int rc;

    if (!in)
        in = ""; /* len is 0: no arithmetic on NULL below */
    if (c->failed) {
        format_err(err, errsize, "the payload was refused before");
        return c->failed;
    }
    if (!c->started) {
        size_t k = len < sizeof(c->head) - c->nhead ? len : sizeof(c->head) - c->nhead;
        size_t skip;

        memcpy(c->head + c->nhead, in, k);
        c->nhead += k;
        in += k;
        len -= k;
        if (c->nhead < sizeof(c->head) && !final)
            return 0;
        if ((rc = start(c, &skip)) < 0) {
            format_err(err, errsize, "iconv: cannot convert from %s", encoding_label(c->enc));
            return c->failed = rc;
        }
        if ((rc = convert(c, c->head + skip, c->nhead - skip, final && len == 0, out, err,
                          errsize)) < 0)
            return convert_failed(rc, err, errsize);
    }
    if (len == 0 && !final)
        return 0;
    rc = convert(c, in, len, final, out, err, errsize);
    return rc < 0 ? convert_failed(rc, err, errsize) : rc;
}

int encoding_convert(enum encoding enc, const char *in, size_t len, const char **text,
                     size_t *textlen, char **owned, char *err, size_t errsize)
{
    struct encoding_conv *c = NULL;
    struct buf b;
    int rc;

    *owned = NULL;
    *text = in;
    *textlen = len;
    if (enc == ENCODING_NONE) {
        const unsigned char *u = (const unsigned char *)in;
        if (len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF) {
            *text = in + 3;
            *textlen = len - 3;
            return 0;
        }
        if (!(len >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF))))
            return 0;
    }
    if ((rc = encoding_conv_new(&c, enc)) < 0) {
        format_err(err, errsize, "out of memory");
        return rc;
    }
    buf_init(&b, SIZE_MAX - 1);
    rc = encoding_conv_feed(c, in, len, 1, &b, err, errsize);
    encoding_conv_free(&c);
    if (rc == 0 && !(*owned = buf_take(&b, textlen)))
        rc = -ENOMEM;
    buf_free(&b);
    if (rc == 0)
        *text = *owned;
    else if (rc == -ENOMEM)
        format_err(err, errsize, "out of memory");
    return rc;
}
