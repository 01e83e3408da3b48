/*
 * test_buf.c - the capped growable buffer and the array growth rule: growth
 * by doubling, the exact cap boundary, size_t overflow refused, printf, and a
 * failure that keeps what was held.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"

static void test_buf_add_grows_by_doubling(void **state)
{
    struct buf b;
    char chunk[700];

    (void)state;
    memset(chunk, 'x', sizeof(chunk));
    buf_init(&b, 1u << 20);
    assert_int_equal(buf_add(&b, chunk, 700), 0);
    assert_int_equal(b.cap, BUF_FIRST_BYTES); /* 701 bytes fit the first 1024 */
    assert_int_equal(buf_add(&b, chunk, 700), 0);
    assert_int_equal(b.cap, 2048); /* 1401 bytes */
    assert_int_equal(buf_add(&b, chunk, 700), 0);
    assert_int_equal(buf_add(&b, chunk, 700), 0);
    assert_int_equal(b.cap, 4096); /* 2801 bytes */
    assert_int_equal(b.len, 2800);
    assert_int_equal(b.p[2800], '\0');
    assert_int_equal(b.p[2799], 'x');
    assert_int_equal(b.err, 0);
    buf_free(&b);
    assert_null(b.p);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.max, 1u << 20);
}

static void test_buf_cap_is_exact(void **state)
{
    struct buf b;

    (void)state;
    buf_init(&b, 10);
    assert_int_equal(buf_add(&b, "0123456789", 10), 0); /* exactly max */
    assert_int_equal(b.len, 10);
    assert_int_equal(b.cap, 11); /* clamped to max + the NUL, not 1024 */
    assert_string_equal(b.p, "0123456789");
    assert_int_equal(buf_add(&b, "", 0), 0); /* nothing more still fits */
    assert_int_equal(buf_add(&b, "a", 1), -E2BIG);
    assert_int_equal(b.err, -E2BIG);
    assert_string_equal(b.p, "0123456789"); /* kept */
    buf_free(&b);

    buf_init(&b, 10);
    assert_int_equal(buf_add(&b, "01234567890", 11), -E2BIG); /* one over */
    assert_null(b.p);
    assert_int_equal(b.len, 0);
    buf_free(&b);
}

static void test_buf_failure_keeps_content_and_sticks(void **state)
{
    struct buf b;
    size_t len = 0;

    (void)state;
    buf_init(&b, 8);
    assert_int_equal(buf_addstr(&b, "abcdef"), 0);
    assert_int_equal(buf_addstr(&b, "ghi"), -E2BIG); /* 9 > 8 */
    assert_int_equal(buf_addstr(&b, "g"), -E2BIG);   /* would fit, but the error sticks */
    assert_int_equal(buf_printf(&b, "%d", 1), -E2BIG);
    assert_int_equal(b.len, 6);
    assert_string_equal(b.p, "abcdef");
    buf_reset(&b); /* clears the error, keeps the memory */
    assert_int_equal(b.err, 0);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.p, "");
    assert_int_equal(buf_addstr(&b, "gh"), 0);
    char *s = buf_take(&b, &len);
    assert_string_equal(s, "gh");
    assert_int_equal(len, 2);
    assert_null(b.p); /* taken: empty again, same cap */
    assert_int_equal(b.max, 8);
    free(s);
}

static void test_buf_refuses_size_t_overflow(void **state)
{
    struct buf b;
    long *v = NULL;
    size_t cap = 0;

    (void)state;
    buf_init(&b, SIZE_MAX); /* becomes SIZE_MAX - 1: the NUL needs a byte */
    assert_int_equal(b.max, SIZE_MAX - 1);
    assert_int_equal(buf_addstr(&b, "0123456789"), 0);
    /* len + n would wrap to 4: refused before any allocation. */
    assert_int_equal(buf_add(&b, "x", SIZE_MAX - 5), -E2BIG);
    assert_string_equal(b.p, "0123456789");
    buf_free(&b);

    /* need * elem over SIZE_MAX is too big, not a small allocation. */
    assert_int_equal(BUF_GROW(&v, &cap, SIZE_MAX / 4, BUF_UNCAPPED), -E2BIG);
    assert_null(v);
    assert_int_equal(cap, 0);
}

static void test_buf_printf_appends(void **state)
{
    struct buf b;
    char big[3000];
    size_t len;

    (void)state;
    buf_init(&b, 4000);
    assert_int_equal(buf_printf(&b, "%s=%d", "n", 42), 0);
    assert_int_equal(buf_printf(&b, ",%.2f", 2.5), 0);
    assert_string_equal(b.p, "n=42,2.50");
    assert_int_equal(b.len, 9);
    /* Text longer than the first allocation: grown, not truncated. */
    memset(big, 'y', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(buf_printf(&b, "[%s]", big), 0);
    assert_int_equal(b.len, 9 + 2 + 2999);
    assert_int_equal(b.p[b.len - 1], ']');
    /* 4010 > 4000: refused whole, nothing half-written. */
    assert_int_equal(buf_printf(&b, "%s", big), -E2BIG);
    assert_int_equal(b.len, 3010);
    assert_int_equal(b.p[3010], '\0');
    char *s = buf_take(&b, &len);
    assert_int_equal(len, 3010);
    assert_int_equal(strlen(s), 3010);
    free(s);
}

static void test_buf_take_empty_is_empty_string(void **state)
{
    struct buf b;
    size_t len = 99;

    (void)state;
    buf_init(&b, 100);
    char *s = buf_take(&b, &len);
    assert_non_null(s);
    assert_string_equal(s, "");
    assert_int_equal(len, 0);
    free(s);
    buf_free(NULL); /* harmless */
}

struct pair {
    double a, b;
};

static void test_buf_grow_arrays(void **state)
{
    struct pair *v = NULL;
    size_t cap = 0;

    (void)state;
    assert_int_equal(BUF_GROW(&v, &cap, 1, BUF_UNCAPPED), 0);
    assert_int_equal(cap, BUF_FIRST_BYTES / sizeof(struct pair)); /* 64 */
    v[63] = (struct pair){1.5, 2.5};
    assert_int_equal(BUF_GROW(&v, &cap, 64, BUF_UNCAPPED), 0); /* fits: unchanged */
    assert_int_equal(cap, 64);
    assert_int_equal(BUF_GROW(&v, &cap, 65, BUF_UNCAPPED), 0);
    assert_int_equal(cap, 128);
    assert_true(v[63].a == 1.5 && v[63].b == 2.5); /* moved with the array */
    assert_int_equal(BUF_GROW(&v, &cap, 300, BUF_UNCAPPED), 0);
    assert_int_equal(cap, 512);
    free(v);

    /* A cap clamps the doubling and refuses more. */
    v = NULL;
    cap = 0;
    assert_int_equal(BUF_GROW(&v, &cap, 65, 100), 0);
    assert_int_equal(cap, 100);
    assert_int_equal(BUF_GROW(&v, &cap, 100, 100), 0);
    struct pair *before = v;
    assert_int_equal(BUF_GROW(&v, &cap, 101, 100), -E2BIG);
    assert_ptr_equal(v, before);
    assert_int_equal(cap, 100);
    free(v);

    /* Elements larger than the first allocation: one at a time, then doubling. */
    char(*rows)[4096] = NULL;
    cap = 0;
    assert_int_equal(BUF_GROW(&rows, &cap, 1, BUF_UNCAPPED), 0);
    assert_int_equal(cap, 1);
    assert_int_equal(BUF_GROW(&rows, &cap, 3, BUF_UNCAPPED), 0);
    assert_int_equal(cap, 4);
    free(rows);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_add_grows_by_doubling),
        cmocka_unit_test(test_buf_cap_is_exact),
        cmocka_unit_test(test_buf_failure_keeps_content_and_sticks),
        cmocka_unit_test(test_buf_refuses_size_t_overflow),
        cmocka_unit_test(test_buf_printf_appends),
        cmocka_unit_test(test_buf_take_empty_is_empty_string),
        cmocka_unit_test(test_buf_grow_arrays),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
