/*
 * test_format_nbs_real.c - the "nbs" reader on real NBS easyquery responses
 * (../shared/real/nbs_*.json, not in the tree; without them the test says so
 * and exits 77). Expected counts come from ../shared/real/README.md; each
 * value is checked against the node's own strdata, read independently here
 * with strtod.
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
#include <jansson.h>

#include "collectors/format.h"
#include "test_support.h"

static char real_dir[4096];

struct tally {
    long n, n_values, n_missing, n_problems;
    long n_strdata_equal; /* values equal to strtod(strdata) of the same node */
    char units[64][16];
    size_t n_units;
    char first_period[16], last_period[16];
    json_t *nodes; /* the payload's datanodes, for the independent check */
};

static int on_rec(const struct format_record *r, void *ctx)
{
    struct tally *t = ctx;
    json_t *node = json_array_get(t->nodes, (size_t)r->position - 1);
    const char *str = json_string_value(json_object_get(json_object_get(node, "data"), "strdata"));
    char text[16];
    size_t i;

    t->n++;
    t->n_values += r->value_ok;
    t->n_missing += r->missing;
    t->n_problems += r->problem != NULL;
    if (r->value_ok && str && strtod(str, NULL) == r->value)
        t->n_strdata_equal++;
    for (i = 0; i < t->n_units && strcmp(t->units[i], r->unit) != 0; i++)
        ;
    if (i == t->n_units && t->n_units < 64)
        snprintf(t->units[t->n_units++], sizeof(t->units[0]), "%s", r->unit);
    if (r->period_ok) {
        period_format(r->period, text, sizeof(text));
        if (!t->first_period[0] || strcmp(text, t->first_period) < 0)
            snprintf(t->first_period, sizeof(t->first_period), "%s", text);
        if (strcmp(text, t->last_period) > 0)
            snprintf(t->last_period, sizeof(t->last_period), "%s", text);
    }
    return 0;
}

/* Reads ../shared/real/<file> with the nbs reader (no mapping) into t. */
static void read_real(const char *file, struct tally *t)
{
    char path[4200], err[256] = "";
    struct format *fmt = NULL;
    json_error_t jerr;
    size_t len;
    char *buf;
    json_t *root;

    snprintf(path, sizeof(path), "%s/%s", real_dir, file);
    buf = ts_read_file(path, &len);
    assert_non_null(buf);
    root = json_loadb(buf, len, 0, &jerr);
    assert_non_null(root);
    t->nodes = json_object_get(json_object_get(root, "returndata"), "datanodes");
    assert_int_equal(format_new(&fmt, "nbs", NULL, err, sizeof(err)), 0);
    assert_int_equal(format_read(fmt, buf, len, on_rec, t, err, sizeof(err)), 0);
    format_free(&fmt);
    json_decref(root);
    free(buf);
}

/* hgyd (national, monthly): 12 nodes 202401..202412, 10 with data (Jan and
 * Feb hasdata:false), no region: the unit is left to the request. */
static void test_real_hgyd_monthly(void **state)
{
    struct tally t = {0};

    (void)state;
    read_real("nbs_hgyd_A020101_2024_monthly.json", &t);
    assert_int_equal(t.n, 12);
    assert_int_equal(t.n_values, 10);
    assert_int_equal(t.n_missing, 2);
    assert_int_equal(t.n_problems, 0);
    assert_int_equal(t.n_strdata_equal, 10);
    assert_int_equal(t.n_units, 1);
    assert_string_equal(t.units[0], "");
    assert_string_equal(t.first_period, "2024-01");
    assert_string_equal(t.last_period, "2024-12");
}

/* fsyd (provincial, monthly): 31 provinces x 13 months, every node
 * hasdata:false: 403 missing records, never a 0 value. */
static void test_real_fsyd_all_missing(void **state)
{
    struct tally t = {0};

    (void)state;
    read_real("nbs_fsyd_A01010101_reg_monthly.json", &t);
    assert_int_equal(t.n, 403);
    assert_int_equal(t.n_missing, 403);
    assert_int_equal(t.n_values, 0);
    assert_int_equal(t.n_problems, 0);
    assert_int_equal(t.n_units, 31);
    assert_string_equal(t.first_period, "2025-01");
    assert_string_equal(t.last_period, "2026-01");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_hgyd_monthly),
        cmocka_unit_test(test_real_fsyd_all_missing),
    };
    if (!ts_reference_dir(real_dir, sizeof(real_dir), "../real"))
        return 77;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
