/*
 * test_json_long.c - the long-layout scanner of the "json" reader
 * (collectors/json_long.c) against the yajl walk it stands in for: every
 * payload is read both ways (tests/fuzz/json_long_diff.h) and must give the
 * same return, message and records, field by field and raw text included.
 * Payloads: the benchmark's shape, escapes, Unicode, number forms, missing
 * markers, every refusal the scanner hands to yajl (before and after records
 * were handed on), the payload files of tests/data and ../shared/real, and
 * thousands of deterministic mutations of them.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "collectors/format.h"
#include "collectors/json_long.h"
#include "config/config.h"
#include "test_support.h"
#include "tests/fuzz/json_long_diff.h"

/* The mappings the payloads are read with. */
static const char *const mappings[] = {
    JLD_MAPPINGS,
    /* one member read as two fields; a name with escapes in the pointer */
    "{\"mapping\": {\"records\": \"/da~1ta\", \"unit\": \"/code\", \"indicator\": \"/code\", "
    "\"period\": {\"const\": \"2024-05\"}, \"value\": \"/v~0\"}}",
    /* a pointer two levels deep: the scanner does not fit, yajl reads */
    "{\"mapping\": {\"records\": \"/a/data\", \"unit\": \"/unit\", \"indicator\": \"/indicator\", "
    "\"period\": \"/period\", \"value\": \"/x/value\"}}",
};
#define NMAP (sizeof(mappings) / sizeof(mappings[0]))

static struct config_mapping *map[NMAP];
static struct format *fmt[NMAP];
static struct jld_out out_yajl, out_auto, out_scan;

static int setup(void **state)
{
    char err[256];

    (void)state;
    for (size_t i = 0; i < NMAP; i++) {
        if (config_mapping_parse("json", mappings[i], &map[i], err, sizeof(err)) != 0 ||
            format_new(&fmt[i], "json", map[i], err, sizeof(err)) != 0) {
            fprintf(stderr, "mapping %zu: %s\n", i, err);
            return -1;
        }
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < NMAP; i++) {
        format_free(&fmt[i]);
        config_mapping_free(&map[i]);
    }
    free(out_yajl.text);
    free(out_auto.text);
    free(out_scan.text);
    return 0;
}

/* Reads buf with mapping i every way; fails the test when the scanner with
 * yajl after it differs from yajl alone, or when the scanner alone read it
 * whole and differs. Returns 1 when the scanner alone read it whole. */
static int same_both_ways(size_t i, const char *buf, size_t len, long stop_at)
{
    out_yajl.stop_at = out_auto.stop_at = out_scan.stop_at = stop_at;
    jld_read(fmt[i], buf, len, FORMAT_JSON_YAJL, &out_yajl);
    jld_read(fmt[i], buf, len, FORMAT_JSON_AUTO, &out_auto);
    jld_read(fmt[i], buf, len, FORMAT_JSON_SCANNER, &out_scan);
    if (!jld_same(&out_yajl, &out_auto)) {
        fprintf(stderr, "mapping %zu, payload %.*s\nyajl rc %d %s\n%s\nauto rc %d %s\n%s\n", i,
                (int)(len < 300 ? len : 300), buf, out_yajl.rc, out_yajl.err, out_yajl.text,
                out_auto.rc, out_auto.err, out_auto.text);
        fail();
    }
    if (out_scan.rc == -EAGAIN)
        return 0;
    if (!jld_same(&out_yajl, &out_scan)) {
        fprintf(stderr, "mapping %zu, scanner alone differs on %.*s\n%s\n%s\n", i,
                (int)(len < 300 ? len : 300), buf, out_yajl.text, out_scan.text);
        fail();
    }
    return 1;
}

static int same_str(size_t i, const char *text)
{
    int alone = same_both_ways(i, text, strlen(text), 0);
    if (getenv("JLD_VERBOSE"))
        fprintf(stderr, "alone %d, mapping %zu: %s (%s)\n", alone, i, text, out_scan.err);
    return alone;
}

/* The payload of bench/gen_pull_data.sh's source k. */
static char *bench_payload(int k, int nrec, size_t *len)
{
    size_t cap = 256 + (size_t)nrec * 100, n = 0;
    char *b = malloc(cap);

    assert_non_null(b);
    n += (size_t)snprintf(b + n, cap - n,
                          "{\"source\": \"s%04d\", \"published\": \"2026-10-28T09:30:00+08:00\",\n"
                          " \"data\": [",
                          k);
    for (int j = 1; j <= nrec; j++)
        n += (size_t)snprintf(b + n, cap - n,
                              "%s\n  {\"unit\": \"u%04d\", \"indicator\": \"i%03d\", \"period\": "
                              "\"2026-10\", \"value\": %.2f}",
                              j > 1 ? "," : "", k, j,
                              (double)((k * 7919L + j * 104729L) % 99999989L) / 100 + 1);
    n += (size_t)snprintf(b + n, cap - n, "]}\n");
    *len = n;
    return b;
}

static void test_scanner_reads_the_bench_payload(void **state)
{
    size_t len;
    char *b = bench_payload(17, 200, &len);

    (void)state;
    assert_true(same_both_ways(0, b, len, 0));
    assert_int_equal(out_scan.rc, 0);
    assert_int_equal(out_scan.n, 200);
    /* the callback stopping it: the same records, the same return */
    assert_true(same_both_ways(0, b, len, 57));
    assert_int_equal(out_scan.rc, 7);
    assert_int_equal(out_scan.n, 57);
    free(b);
}

/* Payloads the scanner reads alone, the same as yajl. */
static void test_scanner_reads_alone(void **state)
{
    static const char *const m0[] = {
        "{\"data\": []}",
        " \r\n\t{\"data\": [ ] } \n",
        "{\"data\": [{}]}",
        "{\"data\": [{\"unit\": \"u1\", \"indicator\": \"i1\", \"period\": \"2024-01\", \"value\": "
        "1}]}",
        /* escapes and Unicode, written and escaped */
        "{\"data\": [{\"unit\": \"u\\\"1\\\\\\/\\b\\f\\n\\r\\t\", \"indicator\": \"\\u00e9\\u4e2d"
        "\\u0041\\u07FF\\u0800\\uFFFF\", \"period\": \"2024\\u002d01\", \"value\": "
        "\"1\\u002c234\"}]}",
        "{\"data\": [{\"unit\": \"园区\", \"indicator\": \"营业收入\", \"period\": \"2024-01\", "
        "\"value\": \"12万\", \"ünïcode\": \"\xf0\x9f\x98\x80\"}]}",
        /* number forms */
        "{\"data\": [{\"unit\": \"u\", \"indicator\": \"i\", \"period\": \"2024-01\", \"value\": "
        "-0},"
        "{\"unit\": \"u\", \"indicator\": \"i\", \"period\": \"2024-02\", \"value\": 0.5e-3},"
        "{\"unit\": \"u\", \"indicator\": \"i\", \"period\": \"2024-03\", \"value\": 1E+2},"
        "{\"unit\": \"u\", \"indicator\": \"i\", \"period\": \"2024-04\", \"value\": 1e400},"
        "{\"unit\": \"u\", \"indicator\": \"i\", \"period\": \"2024-05\", \"value\": 1e-400},"
        "{\"unit\": \"u\", \"indicator\": \"i\", \"period\": \"2024-06\", \"value\": "
        "123456789012345678901234567890},"
        "{\"unit\": \"u\", \"indicator\": \"i\", \"period\": \"2024-07\", \"value\": "
        "0.1000000000000000055511151231257827021181583404541015625},"
        "{\"unit\": \"u\", \"indicator\": \"i\", \"period\": \"2024-08\", \"value\": "
        "2.2250738585072011e-308},"
        "{\"unit\": 12, \"indicator\": 3.5, \"period\": 202409, \"value\": 7}]}",
        /* missing markers, null, wrong types, absent members, a member not mapped */
        "{\"data\": [{\"unit\": \"u\", \"indicator\": \"i\", \"period\": \"2024-01\", \"value\": "
        "null},"
        "{\"unit\": \"u\", \"indicator\": \"i\", \"period\": \"2024-02\", \"value\": \"\"},"
        "{\"unit\": \"u\", \"indicator\": \"i\", \"period\": \"2024-03\", \"value\": \"-\"},"
        "{\"unit\": \"u\", \"indicator\": \"i\", \"period\": \"2024-04\", \"value\": \"—\"},"
        "{\"unit\": \"u\", \"indicator\": \"i\", \"period\": \"2024-05\", \"value\": \"NaN\"},"
        "{\"unit\": \"u\", \"indicator\": \"i\", \"period\": \"2024-06\", \"value\": \"..\"},"
        "{\"unit\": \"u\", \"indicator\": \"i\", \"period\": \"2024-07\", \"value\": true},"
        "{\"unit\": null, \"indicator\": false, \"period\": \"2024-13\"},"
        "{\"value\": \"12.5%\", \"other\": \"x\"}]}",
        /* a surrogate written in UTF-8: yajl takes it as it is, and so does the scanner */
        "{\"data\": [{\"unit\": \"\xed\xa0\x80\"}]}",
        "{\"data\": [{\"unit\": \"\xf4\x90\x80\x80\"}]}", /* past U+10FFFF: the same */
        /* members beside the records, before and after them */
        "{\"meta\": {\"a\": [1, 2, {\"b\": null}], \"c\": {}}, \"n\": -1.5e3, \"t\": true, "
        "\"data\": [{\"unit\": \"u\", \"indicator\": \"i\", \"period\": \"2024-01\", \"value\": "
        "3}], "
        "\"after\": [[], [[\"x\"]]], \"z\": \"\\u00e9\"}",
    };
    static const char *const m2[] = {
        "[]",
        "[{\"k\": \"revenue\", \"p\": \"2024-12\", \"v\": 7}, {\"p\": \"2024-12\", \"v\": 8}]",
    };
    static const char *const m1[] = {
        "{\"data\": [{\"park\": \"p01\", \"code\": \"r\", \"month\": \"2024-01\", \"value\": 1, "
        "\"status\": \"P\"}, {\"park\": \"p01\", \"code\": \"r\", \"month\": \"2024-02\", "
        "\"value\": 1, \"status\": null}, {\"park\": \"p01\", \"code\": \"r\", \"month\": "
        "\"2024-03\", \"value\": 1, \"status\": \"\"}, {\"park\": \"p01\", \"code\": \"r\", "
        "\"month\": \"2024-04\", \"value\": 1, \"status\": 5}, {\"park\": \"p01\", \"code\": "
        "\"r\", \"month\": \"2024-05\", \"value\": 1, \"status\": \"toolongstatus\"}]}",
    };
    static const char *const m3[] = {
        "{\"data\": [{\"park\": \"p01\", \"code\": \"r\", \"month\": \"2024-01\", \"value\": "
        "\"1.234,5\"}, {\"park\": \"p01\", \"code\": \"r\", \"month\": \"2024-02\", \"value\": "
        "\"3 e\"}, {\"park\": \"p01\", \"code\": \"r\", \"month\": \"2024-03\", \"value\": "
        "\"n/a\"}, {\"park\": \"p01\", \"code\": \"r\", \"month\": \"2024-04\", \"value\": "
        "\"2万\"}]}",
    };
    static const char *const m4[] = {
        "{\"da/ta\": [{\"code\": \"c1\", \"v~\": 1}, {\"code\": \"c2\"}]}",
    };

    (void)state;
    for (size_t i = 0; i < TS_N(m0); i++)
        assert_true(same_str(0, m0[i]));
    for (size_t i = 0; i < TS_N(m1); i++)
        assert_true(same_str(1, m1[i]));
    for (size_t i = 0; i < TS_N(m2); i++)
        assert_true(same_str(2, m2[i]));
    for (size_t i = 0; i < TS_N(m3); i++)
        assert_true(same_str(3, m3[i]));
    for (size_t i = 0; i < TS_N(m4); i++)
        assert_true(same_str(4, m4[i]));
    assert_int_equal(out_scan.n, 2);
}

#define REC "{\"unit\": \"u\", \"indicator\": \"i\", \"period\": \"2024-01\", \"value\": 1}"

/* Payloads the scanner gives up on (some after handing records on): yajl
 * reads them, with the same records, errors and places as yajl alone. */
static void test_scanner_gives_up_the_same(void **state)
{
    static const char *const m0[] = {
        "{\"data\": [" REC ", {\"unit\": \"u\", \"unit\": \"v\"}]}", /* repeated key */
        "{\"data\": [" REC ", " REC "], \"data\": 1}",               /* after the records */
        "{\"data\": [" REC ", " REC "], \"m\": {\"a\": 1, \"a\": 2}}",
        "{\"data\": [" REC ", " REC "]} x", /* trailing garbage */
        "{\"data\": [" REC ", " REC "]}]",
        "{\"data\": [" REC ", " REC ",]}", /* trailing comma */
        "{\"data\": [" REC ", " REC "]",   /* truncated */
        "{\"data\": [" REC ", {\"unit\": \"u\", \"val",
        "{\"data\": [" REC ", {\"unit\": \"u\", \"value\": {\"a\": 1}}]}", /* nested */
        "{\"data\": [" REC ", {\"unit\": \"u\\u0000\"}]}",                 /* \u0000 */
        "{\"data\": [" REC ", {\"unit\": \"\\ud83d\\ude00\"}, " REC "]}",  /* surrogates */
        "{\"data\": [" REC ", {\"unit\": \"\\udc00\"}, " REC "]}",
        "{\"data\": [" REC ", {\"unit\": \"\\ud800x\"}, " REC "]}",
        "{\"data\": [" REC ", {\"un\\u0069t\": \"x\"}, " REC "]}", /* an escaped key */
        "{\"data\": [" REC ", {\"unit\": \"\\x\"}]}",              /* a bad escape */
        "{\"data\": [" REC ", {\"unit\": \"\\u12g4\"}]}",
        "{\"data\": [" REC ", /* c */ " REC "]}",         /* a comment */
        "{\"data\": [" REC ", {\"unit\": \"a\tb\"}]}",    /* a control character */
        "{\"data\": [" REC ", {\"unit\": \"a\x7f b\"}]}", /* DEL: yajl's to tell */
        "{\"data\": [" REC ", {\"unit\": \"\xff\"}]}",    /* ill-formed UTF-8 */
        "{\"data\": [" REC ", {\"unit\": \"\xe4\xb8\"}]}",
        "{\"data\": [" REC ", {\"unit\": \"\xc0\xaf\"}]}",
        "{\"data\": [" REC ", {\"value\": 01}]}", /* number forms JSON refuses */
        "{\"data\": [" REC ", {\"value\": 1.}]}",
        "{\"data\": [" REC ", {\"value\": -}]}",
        "{\"data\": [" REC ", {\"value\": +1}]}",
        "{\"data\": [" REC ", {\"value\": .5}]}",
        "{\"data\": [" REC ", {\"value\": 1e}]}",
        "{\"data\": [" REC ", {\"value\": NaN}]}",
        "{\"data\": [" REC ", {\"value\": nul}]}",
        "{\"data\": [" REC ", {\"value\": truex}]}",
        "{\"data\": [" REC ",\f" REC "]}",    /* a blank JSON does not have */
        "{\"data\": [" REC ", 42, " REC "]}", /* an element that is no object */
        "{\"data\": [" REC ", [1], " REC "]}",
        "{\"data\": [" REC ", {\"a\":1,\"b\":1,\"c\":1,\"d\":1,\"e\":1,\"f\":1,\"g\":1,\"h\":1,"
        "\"i\":1,\"j\":1,\"k\":1,\"l\":1,\"m\":1,\"n\":1,\"o\":1,\"p\":1,\"q\":1}]}", /* 17 keys */
        "{\"data\": 5}",                                                              /* no array */
        "{\"dat\": []}", /* no records */
        "{}",
        "[]",
        "{\"m\": [[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]], \"data\": [" REC "]}", /* deep */
    };
    static const char *const m2[] = {
        "{\"k\": 1}",
        "[" REC ", {\"k\": \"x\", \"p\": \"2024-01\", \"v\": 2}, 42]",
    };

    (void)state;
    for (size_t i = 0; i < TS_N(m0); i++)
        assert_false(same_str(0, m0[i]));
    for (size_t i = 0; i < TS_N(m2); i++)
        assert_false(same_str(2, m2[i]));
    /* a NUL after the root */
    const char nul[] = "{\"data\": [" REC "]}\0";
    assert_false(same_both_ways(0, nul, sizeof(nul), 0));
    assert_int_equal(out_auto.rc, -EBADMSG);
    /* a record handed on before the scanner gave up is not handed on twice */
    assert_false(same_str(0, "{\"data\": [" REC ", " REC "], \"data\": 1}"));
    assert_int_equal(out_auto.n, 2);
    assert_int_equal(out_auto.rc, -EBADMSG);
    /* and a callback stopping yajl's read stops it at the same record */
    const char *late = "{\"data\": [" REC ", " REC ", " REC ", " REC "], \"x\": 1, \"x\": 2}";
    assert_true(same_both_ways(0, late, strlen(late), 3)); /* before the repeat */
    assert_int_equal(out_auto.rc, 7);
    assert_false(same_both_ways(0, late, strlen(late), 0));
    assert_int_equal(out_auto.n, 4);
    /* a mapping the scanner does not fit: yajl alone */
    assert_false(same_str(5, "{\"a\": {\"data\": [{\"unit\": \"u\", \"x\": {\"value\": 1}}]}}"));
    assert_int_equal(out_auto.n, 1);
}

/* Deterministic byte mutations of buf, each read both ways. Returns how
 * many the scanner read alone. */
static long mutate_all(size_t i, const char *buf, size_t len, long rounds, uint64_t seed)
{
    static const char pick[] = "\"\\{}[],: 0-e.uEn\n\x01\xe4\xb8\xad\x80\xff/tfa";
    char *b = malloc(len + 16);
    long alone = 0;
    uint64_t x = seed;

    assert_non_null(b);
    for (long r = 0; r < rounds; r++) {
        size_t n = len, at;
        memcpy(b, buf, len);
        for (int k = 0; k < 1 + (int)(r % 3); k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            at = n ? (size_t)(x >> 8) % n : 0;
            switch ((x >> 40) % 4) {
            case 0: /* replace */
                if (n)
                    b[at] = pick[(x >> 48) % (sizeof(pick) - 1)];
                break;
            case 1: /* delete */
                if (n) {
                    memmove(b + at, b + at + 1, n - at - 1);
                    n--;
                }
                break;
            case 2: /* insert */
                if (n < len + 15) {
                    memmove(b + at + 1, b + at, n - at);
                    b[at] = pick[(x >> 48) % (sizeof(pick) - 1)];
                    n++;
                }
                break;
            default: /* cut */
                n = at;
            }
        }
        alone += same_both_ways(i, b, n, (long)(r % 5 == 4 ? 1 + r % 3 : 0));
    }
    free(b);
    return alone;
}

static void test_mutations_read_the_same(void **state)
{
    static const char *const base[] = {
        "{\"source\": \"s\", \"data\": [{\"unit\": \"u1\", \"indicator\": \"i1\", \"period\": "
        "\"2024-01\", \"value\": 12.5}, {\"unit\": \"u\\u00e9\", \"indicator\": \"营\", "
        "\"period\": \"2024-02\", \"value\": \"1,2\"}, {\"unit\": \"u3\", \"indicator\": \"i3\", "
        "\"period\": \"2024-03\", \"value\": null}], \"n\": [1, {\"a\": true}]}",
        "{\"data\": [{\"park\": \"p\", \"code\": \"c\", \"month\": \"2024-01\", \"value\": -1e-3, "
        "\"status\": \"P\"}, {\"park\": 5, \"code\": \"c\\n\", \"month\": 202402, \"value\": "
        "false}]}",
        "[{\"k\": \"a\", \"p\": \"2024-12\", \"v\": 7}, {\"k\": \"b\", \"p\": \"2024-12\"}]",
    };
    static const size_t with[] = {0, 1, 2};
    long alone = 0, total = 0;

    (void)state;
    for (size_t i = 0; i < TS_N(base); i++) {
        alone += mutate_all(with[i], base[i], strlen(base[i]), 4000, 0x9E3779B97F4A7C15ULL + i);
        alone += mutate_all(3, base[i], strlen(base[i]), 1000, 0xD1B54A32D192ED03ULL + i);
        total += 5000;
    }
    /* both sides of the scanner were reached */
    assert_true(alone > total / 20);
    assert_true(alone < total - total / 20);
}

struct numbers {
    double want[1000];
    long n, differ;
};

static int number_seen(const struct format_record *r, void *ctx)
{
    struct numbers *t = ctx;
    uint64_t got = 0, want = 0; /* the doubles' bits */

    if (r->position >= 1 && r->position <= t->n) {
        memcpy(&got, &r->value, sizeof(got));
        memcpy(&want, &t->want[r->position - 1], sizeof(want));
    }
    if (r->position < 1 || r->position > t->n || !r->value_ok || got != want)
        t->differ++;
    return 0;
}

/* A number's value is strtod()'s of its text to the bit, whichever way it
 * is read (format.c reads short ones without strtod()). */
static void test_numbers_are_strtod_of_their_text(void **state)
{
    size_t cap = (size_t)1000 * 120, len;
    char *b = malloc(cap), text[80];
    uint64_t x = 0x5DEECE66DULL;
    struct numbers *t = calloc(1, sizeof(*t));
    char err[256];

    (void)state;
    assert_non_null(b);
    assert_non_null(t);
    for (int round = 0; round < 60; round++) {
        len = (size_t)snprintf(b, cap, "{\"data\": [");
        t->n = 0;
        for (int k = 0; k < 1000; k++) {
            size_t o = 0;
            int nint, nfrac, exp;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            nint = 1 + (int)(x % (round < 30 ? 9 : 21));
            nfrac = (int)((x >> 8) % (round < 30 ? 8 : 22));
            exp = (int)((x >> 16) % 3) == 0 ? (int)((x >> 24) % 71) - 35 : 999;
            if ((x >> 32) & 1)
                text[o++] = '-';
            uint64_t y = x * 0x2545F4914F6CDD1DULL;
            for (int d = 0; d < nint; d++, y = y * 6364136223846793005ULL + 1442695040888963407ULL)
                text[o++] = (char)('0' + (d == 0 && nint > 1 ? 1 + (y >> 33) % 9 : (y >> 33) % 10));
            if (nint == 1 && (x >> 40) % 4 == 0)
                text[o - 1] = '0';
            if (nfrac) {
                text[o++] = '.';
                for (int d = 0; d < nfrac; d++, y = y * 6364136223846793005ULL + 1)
                    text[o++] = (char)('0' + (y >> 33) % 10);
            }
            if (exp != 999)
                o += (size_t)snprintf(text + o, sizeof(text) - o, "%s%d", (x >> 48) & 1 ? "E" : "e",
                                      exp);
            text[o] = '\0';
            t->want[t->n++] = strtod(text, NULL);
            len += (size_t)snprintf(b + len, cap - len,
                                    "%s{\"unit\": \"u\", \"indicator\": \"i\", \"period\": "
                                    "\"2024-01\", \"value\": %s}",
                                    k ? ", " : "", text);
        }
        len += (size_t)snprintf(b + len, cap - len, "]}");
        for (int how = FORMAT_JSON_AUTO; how <= FORMAT_JSON_SCANNER; how++) {
            t->differ = 0;
            assert_int_equal(format_json_read_how(fmt[0], b, len, number_seen, t, err, sizeof(err),
                                                  (enum format_json_how)how),
                             0);
            assert_int_equal(t->differ, 0);
        }
    }
    free(t);
    free(b);
}

/* Every payload file: tests/data's and ../shared/real's, each with every
 * mapping, whole and mutated. */
static void read_dir(const char *dir, long *files)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name), len;
        char path[4096];
        if (n < 5 || strcmp(e->d_name + n - 5, ".json") != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        char *buf = ts_read_file(path, &len);
        assert_non_null(buf);
        for (size_t i = 0; i < NMAP; i++) {
            same_both_ways(i, buf, len, 0);
            same_both_ways(i, buf, len, 2);
        }
        if (len < 20000)
            mutate_all(1, buf, len, 300, 0x2545F4914F6CDD1DULL + n);
        free(buf);
        (*files)++;
    }
    closedir(d);
}

static void test_payload_files_read_the_same(void **state)
{
    char dir[4096], real[4096];
    long files = 0;

    (void)state;
    ts_data_path(dir, sizeof(dir), "payloads");
    read_dir(dir, &files);
    assert_true(files >= 10);
    if (ts_reference_dir(real, sizeof(real), "../real"))
        read_dir(real, &files);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scanner_reads_the_bench_payload),
        cmocka_unit_test(test_scanner_reads_alone),
        cmocka_unit_test(test_scanner_gives_up_the_same),
        cmocka_unit_test(test_mutations_read_the_same),
        cmocka_unit_test(test_numbers_are_strtod_of_their_text),
        cmocka_unit_test(test_payload_files_read_the_same),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
