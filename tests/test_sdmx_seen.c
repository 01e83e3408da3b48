/*
 * test_sdmx_seen.c - the SDMX readers' collapse check (sdmx_seen_check()):
 * a (unit, indicator) pair seen again with other unmapped components is
 * noted with the component that differs; 300 000 pairs are each told apart
 * and found again; a payload with more pairs than the check holds is an
 * error, never a pair left unchecked; past the texts it keeps, a collapse is
 * still noted, with the first record.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "collectors/format_sdmx.h"

/* Unit p01's indicator ind with SEX=sex and AGE=T left out, at record pos. */
static int check_sex(struct sdmx_seen *t, const char *ind, const char *sex, long pos, char *note,
                     size_t size)
{
    char comps[64];

    snprintf(comps, sizeof(comps), "SEX=%s\037AGE=T\037", sex); /* 037: the 0x1f between */
    return sdmx_seen_check(t, "p01", ind, comps, pos, note, size);
}

static void test_seen_notes_the_component_that_differs(void **state)
{
    struct sdmx_seen *t = sdmx_seen_new(0);
    char note[256] = "";

    (void)state;
    assert_non_null(t);
    assert_int_equal(check_sex(t, "rev", "F", 1, note, sizeof(note)), 0);
    assert_int_equal(check_sex(t, "emp", "M", 2, note, sizeof(note)), 0);
    assert_int_equal(check_sex(t, "rev", "F", 3, note, sizeof(note)), 0);
    assert_string_equal(note, "");
    assert_int_equal(check_sex(t, "rev", "M", 4, note, sizeof(note)), 1);
    assert_string_equal(note, "SEX (\"F\" at record 1, \"M\" here)");
    /* the unit and indicator are told apart from their joined text */
    assert_int_equal(sdmx_seen_check(t, "p01r", "ev", "SEX=M\x1f", 5, note, sizeof(note)), 0);
    sdmx_seen_free(t);
}

/* Pair i of ten indicators per unit. */
static void pair(int i, char *unit, char *ind, size_t size)
{
    snprintf(unit, size, "u%d", i / 10);
    snprintf(ind, size, "i%d", i % 10);
}

static void test_seen_holds_many_pairs(void **state)
{
    enum { N = 300000 };
    struct sdmx_seen *t = sdmx_seen_new(0);
    char unit[16], ind[16], comps[32], note[256];

    (void)state;
    assert_non_null(t);
    for (int i = 0; i < N; i++) {
        pair(i, unit, ind, sizeof(unit));
        snprintf(comps, sizeof(comps), "S=%d\x1f", i % 3);
        assert_int_equal(sdmx_seen_check(t, unit, ind, comps, i + 1, note, sizeof(note)), 0);
    }
    int noted = 0;
    for (int i = 0; i < N; i++) {
        pair(i, unit, ind, sizeof(unit));
        snprintf(comps, sizeof(comps), "S=%d\x1f", (i % 3 + (i % 7 == 0)) % 3);
        int rc = sdmx_seen_check(t, unit, ind, comps, N + i + 1, note, sizeof(note));
        assert_int_equal(rc, i % 7 == 0);
        noted += rc;
        if (i == 7) {
            snprintf(comps, sizeof(comps), "S (\"%d\" at record 8, \"%d\" here)", 7 % 3,
                     (7 % 3 + 1) % 3);
            assert_string_equal(note, comps);
        }
    }
    assert_int_equal(noted, (N + 6) / 7);
    sdmx_seen_free(t);
}

static void test_seen_refuses_more_pairs_than_it_holds(void **state)
{
    struct sdmx_seen *t = sdmx_seen_new(1000);
    char ind[16], note[256];

    (void)state;
    assert_non_null(t);
    for (int i = 0; i < 1000; i++) {
        snprintf(ind, sizeof(ind), "i%d", i);
        assert_int_equal(sdmx_seen_check(t, "p01", ind, "S=1\x1f", i + 1, note, sizeof(note)), 0);
    }
    /* pairs already held are still checked */
    assert_int_equal(sdmx_seen_check(t, "p01", "i999", "S=1\x1f", 1001, note, sizeof(note)), 0);
    assert_int_equal(sdmx_seen_check(t, "p01", "i5", "S=2\x1f", 1002, note, sizeof(note)), 1);
    assert_null(sdmx_seen_refused(t));
    assert_int_equal(sdmx_seen_check(t, "p01", "new", "S=1\x1f", 1003, note, sizeof(note)),
                     -EOVERFLOW);
    assert_string_equal(note, "more than 1000 (unit, indicator) pairs in one payload");
    assert_string_equal(sdmx_seen_refused(t), note);
    sdmx_seen_free(t);
}

static void test_seen_notes_a_collapse_past_the_texts_it_keeps(void **state)
{
    struct sdmx_seen *t = sdmx_seen_new(0);
    char ind[16], comps[32], note[256];

    (void)state;
    assert_non_null(t);
    for (int i = 0; i < 5000; i++) { /* 5000 distinct texts: the first 4096 kept */
        snprintf(ind, sizeof(ind), "i%d", i);
        snprintf(comps, sizeof(comps), "SERIES=%d\x1f", i);
        assert_int_equal(sdmx_seen_check(t, "p01", ind, comps, i + 1, note, sizeof(note)), 0);
    }
    assert_int_equal(sdmx_seen_check(t, "p01", "i10", "SERIES=x\x1f", 5001, note, sizeof(note)), 1);
    assert_string_equal(note, "SERIES (\"10\" at record 11, \"x\" here)");
    assert_int_equal(sdmx_seen_check(t, "p01", "i4999", "SERIES=x\x1f", 5002, note, sizeof(note)),
                     1);
    assert_string_equal(note, "(components other than at record 5000)");
    sdmx_seen_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seen_notes_the_component_that_differs),
        cmocka_unit_test(test_seen_holds_many_pairs),
        cmocka_unit_test(test_seen_refuses_more_pairs_than_it_holds),
        cmocka_unit_test(test_seen_notes_a_collapse_past_the_texts_it_keeps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
