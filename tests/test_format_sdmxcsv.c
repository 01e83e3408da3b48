/*
 * test_format_sdmxcsv.c - the "sdmxcsv" payload reader: SDMX-CSV 2.0 with
 * an ACTION column (D withdraws), "ID: Name" headers, UNIT_MULT, the
 * collapse note, a bad action, and a template that keeps SEX apart.
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

#include "collectors/format.h"
#include "collectors/format_priv.h"
#include "support/format_check.h"

static void test_sdmxcsv_v2_actions_labels_attributes(void **state)
{
    static const char *const src =
        "{\"mapping\": {\"unit_dimension\": \"REF_AREA\", \"indicator_dimension\": "
        "\"INDICATOR\"}}";
    static const struct fc_want w[] = {
        {2, "p01", "revenue", "2024-01", 0, 1, 1500, NULL},
        {3, "p01", "revenue", "2024-02", 0, 0, 0, NULL},
        {4, "p01", "revenue", "2024-01", 0, 1, 500, NULL},
        {5, "p01", "revenue", "2024-01", 0, 1, 500, "ACTION \"X\": expected I, A, R, M or D"},
    };
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_file("sdmxcsv", src, "sdmxcsv_v2.csv", &s, err, sizeof(err)), 0);
    fc_check_records(&s, w, TS_N(w));
    assert_int_equal(s.rec[0].action, FORMAT_ACTION_STORE);
    assert_int_equal(s.rec[1].action, FORMAT_ACTION_DELETE);
    assert_string_equal(s.rec[2].collapsed, "SEX (\"_T\" at record 2, \"F\" here)");
    assert_string_equal(s.rec[0].raw,
                        "{\"STRUCTURE\":\"dataflow\",\"STRUCTURE_ID\":\"PARKS:DF(1.0)\","
                        "\"ACTION\":\"I\",\"FREQ\":\"M\",\"REF_AREA\":\"p01\",\"INDICATOR\":"
                        "\"revenue\",\"SEX\":\"_T\",\"TIME_PERIOD\":\"2024-01\",\"OBS_VALUE\":"
                        "\"1.5\",\"UNIT_MULT\":\"3\"}");
}

static void test_sdmxcsv_template_and_filter(void **state)
{
    static const char *const src =
        "{\"mapping\": {\"unit_dimension\": \"REF_AREA\", \"indicator\": \"{INDICATOR}_{SEX}\","
        " \"filter\": {\"ACTION\": [\"I\", \"D\"]}}}";
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_file("sdmxcsv", src, "sdmxcsv_v2.csv", &s, err, sizeof(err)), 0);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.rec[0].indicator, "revenue__T");
    assert_string_equal(s.rec[2].indicator, "revenue_F");
    assert_string_equal(s.rec[2].collapsed, "");
}

static void test_sdmxcsv_bad_payloads(void **state)
{
    static const char *const src =
        "{\"mapping\": {\"unit_dimension\": \"REF_AREA\", \"indicator_dimension\": \"I\","
        " \"delimiter\": \";\"}}";

    (void)state;
    fc_expect_bad_payload("sdmxcsv", src, "A;B\n\"x;y\n", "line 2: ");
    fc_expect_config_error("sdmxcsv",
                           "{\"mapping\": {\"unit_dimension\": \"R\", \"indicator_dimension\": "
                           "\"I\", \"delimiter\": \";;\"}}",
                           "mapping.delimiter: expected one character");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sdmxcsv_v2_actions_labels_attributes),
        cmocka_unit_test(test_sdmxcsv_template_and_filter),
        cmocka_unit_test(test_sdmxcsv_bad_payloads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
