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
    assert_string_equal(s.rec[0].unmapped, "FREQ=M;SEX=_T;"); /* kept across pulls */
    assert_string_equal(s.rec[2].unmapped, "FREQ=M;SEX=F;");
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

static void test_sdmxcsv_observation_status(void **state)
{
    /* the OBS_STATUS column ("ID: Name" header); an empty field is no
     * status; a missing value keeps its status; "unverified" is too long */
    static const char *const src =
        "{\"mapping\": {\"unit_dimension\": \"REF_AREA\", \"indicator_dimension\": "
        "\"INDICATOR\", \"status_map\": {\"A\": \"\"}}}";
    static const char *const flag =
        "{\"mapping\": {\"unit_dimension\": \"REF_AREA\", \"indicator_dimension\": "
        "\"INDICATOR\", \"status_attribute\": \"OBS_FLAG\"}}";
    static const struct fc_want w[] = {
        {2, "p01", "revenue", "2021", 0, 1, 100.5, NULL},
        {3, "p01", "revenue", "2022", 0, 1, 101.75, NULL},
        {4, "p01", "revenue", "2023", 1, 0, 0, NULL},
        {5, "p02", "revenue", "2021", 0, 1, 7, NULL},
        {6, "p02", "revenue", "2022", 0, 1, 8, "status \"unverified\": longer than 8 bytes"},
    };
    static const char *const want[] = {"", "p", "M", "", ""};
    static const char *const want_flag[] = {"", "p", "c", "e", "b"};
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_file("sdmxcsv", src, "sdmxcsv_status.csv", &s, err, sizeof(err)), 0);
    fc_check_records(&s, w, TS_N(w));
    for (size_t i = 0; i < TS_N(want); i++) {
        assert_string_equal(s.rec[i].status, want[i]);
        assert_string_equal(s.rec[i].collapsed, "");
    }
    memset(&s, 0, sizeof(s));
    assert_int_equal(fc_read_file("sdmxcsv", flag, "sdmxcsv_status.csv", &s, err, sizeof(err)), 0);
    assert_int_equal(s.n, 5);
    for (size_t i = 0; i < TS_N(want_flag); i++) {
        assert_string_equal(s.rec[i].status, want_flag[i]);
        assert_string_equal(s.rec[i].problem, "");
    }
    /* labels "both": the code before ": " */
    memset(&s, 0, sizeof(s));
    assert_int_equal(fc_read_str("sdmxcsv", src,
                                 "STRUCTURE,STRUCTURE_ID,REF_AREA: Area,INDICATOR,TIME_PERIOD,"
                                 "OBS_VALUE,OBS_STATUS: Observation status\n"
                                 "dataflow,X:Y(1.0),p01,revenue,2024,5.5,E: Estimated value\n"
                                 "dataflow,X:Y(1.0),p01,revenue,2025,6,A: Normal value\n",
                                 &s, err, sizeof(err)),
                     0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.rec[0].status, "E");
    assert_string_equal(s.rec[0].problem, "");
    assert_true(s.rec[0].value == 5.5);
    assert_string_equal(s.rec[1].status, "");
    assert_string_equal(s.rec[1].problem, "");
    fc_expect_config_error("sdmxcsv",
                           "{\"mapping\": {\"unit_dimension\": \"R\", \"indicator_dimension\": "
                           "\"I\", \"status_map\": {\"A\": 1}}}",
                           "mapping.status_map.A");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sdmxcsv_v2_actions_labels_attributes),
        cmocka_unit_test(test_sdmxcsv_observation_status),
        cmocka_unit_test(test_sdmxcsv_template_and_filter),
        cmocka_unit_test(test_sdmxcsv_bad_payloads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
