/*
 * fuzz_encoding.c - libFuzzer harness for the payload encoding layer
 * (collectors/encoding.c). The first byte picks the declared encoding and
 * the size of the pieces; the rest is converted whole and in pieces, and
 * both must agree: same result, same text or same message.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/encoding.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct encoding_conv *c = NULL;
    const char *text;
    char *owned = NULL;
    size_t len, step;
    char err1[128] = "", err2[128] = "";
    struct buf out;
    int rc1, rc2 = 0;
    enum encoding enc;

    if (size < 1)
        return 0;
    enc = (enum encoding)(data[0] % 6);
    step = (size_t)(data[0] >> 3) + 1;
    data++;
    size--;
    rc1 = encoding_convert(enc, (const char *)data, size, &text, &len, &owned, err1, sizeof(err1));
    if (rc1 < 0 && !err1[0])
        __builtin_trap();
    if (encoding_conv_new(&c, enc) < 0)
        return 0;
    buf_init(&out, SIZE_MAX - 1);
    for (size_t off = 0; off < size && rc2 == 0; off += step) {
        size_t n = size - off < step ? size - off : step;
        rc2 = encoding_conv_feed(c, (const char *)data + off, n, 0, &out, err2, sizeof(err2));
    }
    if (rc2 == 0)
        rc2 = encoding_conv_feed(c, NULL, 0, 1, &out, err2, sizeof(err2));
    if (rc1 != rc2 || strcmp(err1, err2) != 0)
        __builtin_trap();
    if (rc1 == 0 && (len != out.len || (len && memcmp(text, out.p, len) != 0)))
        __builtin_trap();
    buf_free(&out);
    encoding_conv_free(&c);
    free(owned);
    return 0;
}
