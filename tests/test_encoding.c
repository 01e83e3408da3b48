/*
 * test_encoding.c - payload encodings to UTF-8 (collectors/encoding.c): the
 * byte values are the published GB18030 / UTF-16 code tables' (数 = CA FD,
 * 据 = BE DD, U+1F600 = 94 39 FC 36 in GB18030; 园 = U+56ED).
 */
#include "test_support.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/encoding.h"

/* Converts in[0..len) fed in pieces of step bytes; returns the rc, text in out. */
static int feed_steps(enum encoding enc, const char *in, size_t len, size_t step, struct buf *out,
                      char *err, size_t errsize)
{
    struct encoding_conv *c = NULL;
    int rc = 0;

    assert_int_equal(encoding_conv_new(&c, enc), 0);
    buf_init(out, 1 << 20);
    for (size_t off = 0; off < len && rc == 0; off += step) {
        size_t n = len - off < step ? len - off : step;
        rc = encoding_conv_feed(c, in + off, n, 0, out, err, errsize);
    }
    if (rc == 0)
        rc = encoding_conv_feed(c, NULL, 0, 1, out, err, errsize);
    encoding_conv_free(&c);
    return rc;
}

static void test_names(void **state)
{
    enum encoding e;

    (void)state;
    assert_int_equal(encoding_from_name("GB18030", &e), 0);
    assert_int_equal(e, ENCODING_GB18030);
    assert_int_equal(encoding_from_name("utf8", &e), 0);
    assert_int_equal(e, ENCODING_UTF8);
    assert_int_equal(encoding_from_name("gb2312", &e), 0);
    assert_int_equal(e, ENCODING_GBK);
    assert_int_equal(encoding_from_name("UTF-16", &e), 0);
    assert_int_equal(e, ENCODING_UTF16LE);
    assert_int_equal(encoding_from_name("latin-9", &e), -EINVAL);
    assert_int_equal(encoding_from_name(NULL, &e), -EINVAL);
}

/* GB18030 two- and four-byte sequences, whole and split at every byte. */
static void test_gb18030_pieces(void **state)
{
    static const char in[] = "\xCA\xFD\xBE\xDD,\x94\x39\xFC\x36\r\nA\xCA\xFD\n";
    static const char want[] = "数据,\xF0\x9F\x98\x80\r\nA数\n";
    char err[128] = "";
    struct buf out;

    (void)state;
    for (size_t step = 1; step <= sizeof(in); step++) {
        assert_int_equal(
            feed_steps(ENCODING_GB18030, in, sizeof(in) - 1, step, &out, err, sizeof(err)), 0);
        assert_int_equal(out.len, strlen(want));
        assert_memory_equal(out.p, want, out.len);
        buf_free(&out);
    }
}

/* The first invalid byte's line and column (characters), whatever the pieces. */
static void test_invalid_place(void **state)
{
    /* line 2: 数 , A then 0x81 0x20 (0x20 is no GB18030 trail byte) */
    static const char in[] = "a,b\n\xCA\xFD,A\x81\x20x\n";
    char err[128];
    struct buf out;

    (void)state;
    for (size_t step = 1; step <= sizeof(in); step++) {
        err[0] = '\0';
        assert_int_equal(
            feed_steps(ENCODING_GB18030, in, sizeof(in) - 1, step, &out, err, sizeof(err)),
            -EILSEQ);
        assert_string_equal(err, "line 2 column 4: invalid GB18030 byte 0x81");
        buf_free(&out);
    }
    /* UTF-8 declared: a GBK byte in it is refused at its place */
    assert_int_equal(feed_steps(ENCODING_UTF8, "x\ny\xB9\xA4z", 7, 64, &out, err, sizeof(err)),
                     -EILSEQ);
    assert_string_equal(err, "line 2 column 2: invalid UTF-8 byte 0xB9");
    buf_free(&out);
}

/* A sequence the end of the payload cuts short is refused too. */
static void test_cut_at_end(void **state)
{
    char err[128];
    struct buf out;

    (void)state;
    for (size_t step = 1; step <= 4; step++) {
        assert_int_equal(feed_steps(ENCODING_GB18030, "ab\xCA", 3, step, &out, err, sizeof(err)),
                         -EILSEQ);
        assert_string_equal(err,
                            "line 1 column 3: the payload ends inside a GB18030 sequence 0xCA");
        buf_free(&out);
    }
    assert_int_equal(feed_steps(ENCODING_UTF16LE, "a\0b", 3, 1, &out, err, sizeof(err)), -EILSEQ);
    assert_string_equal(err, "line 1 column 2: the payload ends inside a UTF-16LE sequence 0x62");
    buf_free(&out);
}

/* A BOM decides: Excel's "Unicode text" (FF FE, UTF-16LE) needs no declaration. */
static void test_bom(void **state)
{
    static const char u16[] = "\xFF\xFE\xED\x56\x3A\x53\t\x00\x31\x00\n\x00";
    static const char u16be[] = "\xFE\xFF\x56\xED\x00\x0A";
    const char *text;
    size_t len;
    char *owned;
    char err[128];

    (void)state;
    assert_int_equal(encoding_convert(ENCODING_NONE, u16, sizeof(u16) - 1, &text, &len, &owned, err,
                                      sizeof(err)),
                     0);
    assert_non_null(owned);
    assert_string_equal(text, "园区\t1\n");
    assert_int_equal(len, strlen("园区\t1\n"));
    free(owned);
    assert_int_equal(encoding_convert(ENCODING_GB18030, u16be, sizeof(u16be) - 1, &text, &len,
                                      &owned, err, sizeof(err)),
                     0);
    assert_string_equal(text, "园\n");
    free(owned);
    /* UTF-8 BOM, nothing declared: no copy, the BOM skipped */
    assert_int_equal(
        encoding_convert(ENCODING_NONE, "\xEF\xBB\xBFz,1", 6, &text, &len, &owned, err, 128), 0);
    assert_null(owned);
    assert_int_equal(len, 3);
    assert_memory_equal(text, "z,1", 3);
    /* UTF-8 BOM over a GB18030 declaration: the BOM wins */
    assert_int_equal(encoding_convert(ENCODING_GB18030, "\xEF\xBB\xBF\xE5\x9B\xAD", 6, &text, &len,
                                      &owned, err, sizeof(err)),
                     0);
    assert_string_equal(text, "园");
    free(owned);
    /* nothing declared, no BOM: the bytes as they are, even invalid ones */
    assert_int_equal(encoding_convert(ENCODING_NONE, "\xCA\xFD", 2, &text, &len, &owned, err, 128),
                     0);
    assert_null(owned);
    assert_int_equal(len, 2);
    /* a payload shorter than any BOM */
    assert_int_equal(encoding_convert(ENCODING_GBK, "\xCA\xFD", 2, &text, &len, &owned, err, 128),
                     0);
    assert_string_equal(text, "数");
    free(owned);
    assert_int_equal(encoding_convert(ENCODING_GBK, "", 0, &text, &len, &owned, err, 128), 0);
    assert_int_equal(len, 0);
    free(owned);
}

/* A capped output buffer: the converter says so and refuses further input. */
static void test_output_cap(void **state)
{
    struct encoding_conv *c = NULL;
    struct buf out;
    char err[128];

    (void)state;
    assert_int_equal(encoding_conv_new(&c, ENCODING_GBK), 0);
    buf_init(&out, 5);
    assert_int_equal(encoding_conv_feed(c, "\xCA\xFD\xBE\xDD", 4, 0, &out, err, sizeof(err)),
                     -E2BIG);
    assert_string_equal(err, "payload too large");
    assert_int_equal(encoding_conv_feed(c, "a", 1, 1, &out, err, sizeof(err)), -E2BIG);
    buf_free(&out);
    encoding_conv_free(&c);

    /* over the cap within the first 3 bytes (converted when the BOM is
     * looked for): said too */
    err[0] = '\0';
    assert_int_equal(encoding_conv_new(&c, ENCODING_GBK), 0);
    buf_init(&out, 2);
    assert_int_equal(encoding_conv_feed(c, "abcd", 4, 0, &out, err, sizeof(err)), -E2BIG);
    assert_string_equal(err, "payload too large");
    buf_free(&out);
    encoding_conv_free(&c);
    encoding_conv_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),         cmocka_unit_test(test_gb18030_pieces),
        cmocka_unit_test(test_invalid_place), cmocka_unit_test(test_cut_at_end),
        cmocka_unit_test(test_bom),           cmocka_unit_test(test_output_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
