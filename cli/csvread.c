/*
 * csvread.c - a streaming CSV record reader on libcsv that knows on which line
 * each record starts (see csvread.h).
 *
 * Line numbers: every chunk read from the file is cut into segments that end
 * just after a CR or LF, and each segment is fed to csv_parse() on its own.
 * Lines are counted by LF after each segment. libcsv calls the end-of-record
 * callback synchronously when it meets the terminator, so "no record in
 * progress" is known exactly at every segment start: the first segment with
 * content after a record end (or at the file start) is where the next record
 * begins. A quoted field spanning lines keeps the record open, so its start
 * line is kept.
 */
#include "cli/csvread.h"

#include <csv.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_SIZE 65536

struct reader {
    struct csv_parser parser;
    csvread_cb cb;
    void *ctx;
    long line;       /* line of the bytes being fed */
    long rec_line;   /* start line of the record in progress */
    int at_boundary; /* 1: no record in progress */
    int skipping;    /* 1: after a broken record, drop bytes up to the next LF */
    int overflow;    /* the record in progress exceeded CSVREAD_RECORD_MAX */
    int result;      /* the callback's non-zero return, or a negative errno */
    char *buf;       /* the fields of the record in progress, NUL after each */
    size_t len;
    size_t n_fields;
    size_t off[CSVREAD_FIELD_MAX];
    size_t flen[CSVREAD_FIELD_MAX];
};

/* Blanks around unquoted fields are data, not padding to trim. */
static int no_space(unsigned char c)
{
    (void)c;
    return 0;
}

static void reset_record(struct reader *r)
{
    r->len = 0;
    r->n_fields = 0;
    r->overflow = 0;
    r->at_boundary = 1;
}

static void deliver(struct reader *r, const char *error)
{
    struct csvread_record rec = {.line = r->rec_line, .n_fields = r->n_fields};

    if (r->overflow && !error)
        error = "record longer than 65536 bytes";
    for (size_t i = 0; i < r->n_fields && i < CSVREAD_FIELD_MAX; i++) {
        rec.field[i] = r->buf + r->off[i];
        rec.len[i] = r->flen[i];
    }
    rec.data = r->len ? r->buf : "";
    rec.data_len = r->len;
    rec.error = error;
    if (!r->result)
        r->result = r->cb(&rec, r->ctx);
    reset_record(r);
}

static void on_field(void *s, size_t len, void *data)
{
    struct reader *r = data;
    size_t i = r->n_fields++;

    if (r->overflow || len + 1 > CSVREAD_RECORD_MAX - r->len) {
        r->overflow = 1;
        return;
    }
    if (i < CSVREAD_FIELD_MAX) {
        r->off[i] = r->len;
        r->flen[i] = len;
    }
    if (len)
        memcpy(r->buf + r->len, s, len);
    r->len += len;
    r->buf[r->len++] = '\0';
}

static void on_record(int c, void *data)
{
    (void)c;
    deliver(data, NULL);
}

/* Reports the record in progress as broken and restarts the parser. */
static int broken(struct reader *r, const char *error)
{
    char msg[96];
    int strict = csv_get_opts(&r->parser);

    if (r->line != r->rec_line) {
        snprintf(msg, sizeof(msg), "%s at line %ld", error, r->line);
        error = msg;
    }
    deliver(r, error);
    csv_free(&r->parser);
    if (csv_init(&r->parser, (unsigned char)strict) != 0)
        return -ENOMEM;
    csv_set_space_func(&r->parser, no_space);
    return 0;
}

/* Feeds one segment; returns how many bytes of it were consumed. */
static size_t feed_segment(struct reader *r, const char *s, size_t n)
{
    size_t used = csv_parse(&r->parser, s, n, on_field, on_record, r);

    if (used < n) {
        int err = csv_error(&r->parser);
        if (err != CSV_EPARSE) {
            r->result = -ENOMEM;
            return n;
        }
        if (broken(r, "malformed quoting") < 0)
            r->result = -ENOMEM;
        r->skipping = 1;
    } else if (csv_get_buffer_size(&r->parser) > CSVREAD_RECORD_MAX) {
        if (broken(r, "record longer than 65536 bytes") < 0)
            r->result = -ENOMEM;
        r->skipping = 1;
        /* Leave a final LF to the skipping, which counts it. */
        return s[n - 1] == '\n' ? n - 1 : n;
    }
    return used;
}

static void feed(struct reader *r, const char *s, size_t n)
{
    size_t i = 0;

    while (i < n && !r->result) {
        size_t j = i;
        if (r->skipping) {
            const char *nl = memchr(s + i, '\n', n - i);
            if (!nl)
                return;
            i = (size_t)(nl - s) + 1;
            r->line++;
            r->skipping = 0;
            reset_record(r);
            continue;
        }
        while (j < n && s[j] != '\n' && s[j] != '\r')
            j++;
        if (r->at_boundary && j > i) {
            r->rec_line = r->line;
            r->at_boundary = 0;
        }
        size_t seg = j - i + (j < n);
        size_t used = feed_segment(r, s + i, seg);
        if (r->skipping) {
            i += used;
            continue;
        }
        if (j < n && s[j] == '\n')
            r->line++;
        i += seg;
    }
}

static void finish(struct reader *r)
{
    if (r->result)
        return;
    if (r->skipping) {
        reset_record(r);
        return;
    }
    if (csv_fini(&r->parser, on_field, on_record, r) != 0 && !r->result) {
        if (csv_error(&r->parser) == CSV_EPARSE)
            deliver(r, "unterminated quoted field");
        else
            r->result = -ENOMEM;
    }
}

int csvread_stream(FILE *in, csvread_cb cb, void *ctx)
{
    struct reader r = {.cb = cb, .ctx = ctx, .line = 1, .rec_line = 1, .at_boundary = 1};
    char *chunk = malloc(CHUNK_SIZE);
    int first = 1;

    r.buf = malloc(CSVREAD_RECORD_MAX);
    if (!chunk || !r.buf || csv_init(&r.parser, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        free(chunk);
        free(r.buf);
        return -ENOMEM;
    }
    csv_set_space_func(&r.parser, no_space);
    while (!r.result) {
        size_t n = fread(chunk, 1, CHUNK_SIZE, in);
        const char *s = chunk;
        if (first && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
            s += 3;
            n -= 3;
        }
        first = 0;
        feed(&r, s, n);
        if (n == 0 || feof(in) || ferror(in))
            break;
    }
    if (!r.result && ferror(in))
        r.result = -EIO;
    finish(&r);
    csv_free(&r.parser);
    free(chunk);
    free(r.buf);
    return r.result;
}

size_t csvread_join(const struct csvread_record *rec, char *buf, size_t size)
{
    size_t n = rec->data_len ? rec->data_len - 1 : 0; /* drop the last field's NUL */

    if (size == 0)
        return n;
    size_t k = n < size - 1 ? n : size - 1;
    for (size_t i = 0; i < k; i++)
        buf[i] = rec->data[i] ? rec->data[i] : ',';
    buf[k] = '\0';
    return n;
}
