/*
 * import_enc.c - a CSV file converted to UTF-8 for `parkstat import
 * --encoding` (see import_enc.h), with the collectors' iconv layer: the
 * first invalid byte refuses the file with its line and column.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/import_enc.h"
#include "collectors/encoding.h"
#include "common/buf.h"

FILE *import_enc_csv(const char *path, const char *encoding, char *err, size_t errsize)
{
    struct encoding_conv *c = NULL;
    enum encoding enc;
    FILE *in = NULL, *out = NULL;
    struct buf b;
    char chunk[65536];
    int rc = 0, done = 0;

    buf_init(&b, 4 * sizeof(chunk));
    if (encoding_from_name(encoding, &enc) < 0) {
        snprintf(err, errsize, "unknown encoding \"%s\"", encoding);
        return NULL;
    }
    if (!(in = fopen(path, "rb")) || !(out = tmpfile()) || encoding_conv_new(&c, enc) < 0) {
        snprintf(err, errsize, "%s", strerror(errno ? errno : ENOMEM));
        rc = -1;
    }
    while (rc == 0 && !done) {
        size_t n = fread(chunk, 1, sizeof(chunk), in);
        done = n < sizeof(chunk);
        if (done && ferror(in)) {
            snprintf(err, errsize, "read error");
            rc = -1;
            break;
        }
        buf_reset(&b);
        if ((rc = encoding_conv_feed(c, chunk, n, done, &b, err, errsize)) == 0 && b.len &&
            fwrite(b.p, 1, b.len, out) != b.len) {
            snprintf(err, errsize, "temporary file: write error");
            rc = -1;
        }
    }
    if (rc == 0 && (fflush(out) != 0 || fseek(out, 0, SEEK_SET) != 0)) {
        snprintf(err, errsize, "temporary file: %s", strerror(errno));
        rc = -1;
    }
    encoding_conv_free(&c);
    buf_free(&b);
    if (in)
        fclose(in);
    if (rc != 0 && out) {
        fclose(out);
        out = NULL;
    }
    return out;
}
