/*
 * test_format_sdmx.c - the "sdmx" payload reader: SDMX-JSON 1.0 and 2.0
 * layouts, series and flat data sets, dimensions at every level, bad keys.
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

static const char *const source =
    "{\"format\": \"sdmx\", \"mapping\": {\"unit_dimension\": \"REF_AREA\", "
    "\"indicator_dimension\": \"INDICATOR\"}}";

static void test_sdmx_v1_series_layout(void **state)
{
    static const struct fc_want w[] = {
        {1, "p01", "revenue", "2023-01", 0, 1, 100.5, NULL},
        {2, "p01", "revenue", "2023-02", 0, 1, 1200.25, NULL},
        {3, "p01", "revenue", "2023-Q1", 1, 0, 0, NULL},
        {4, "p02", "tax", "2023-01", 0, 1, 7, NULL},
        {5, "", "", "2023-01", 0, 1, 8,
         "series key \"1:5\": no value 5 for dimension \"INDICATOR\""},
    };
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_file("sdmx", source, "sdmx_v1.json", &s, err, sizeof(err)), 0);
    fc_check_records(&s, w, TS_N(w));
    assert_string_equal(s.rec[1].period_raw, "2023-M02");
    assert_string_equal(s.rec[1].raw,
                        "{\"series\":\"0:0\",\"observation\":\"1\",\"data\":[\"1,200.25\"]}");
}

static void test_sdmx_v2_data_structures_layout(void **state)
{
    /* INDICATOR at dataSet level, TIME_PERIOD at series level */
    static const struct fc_want w[] = {
        {1, "p01", "rd_expense", "2023-Q3", 0, 1, 42.5, NULL},
        {2, "p02", "rd_expense", "2023", 0, 1, 3.5, NULL},
        {3, "p02", "rd_expense", "2023-Q3", 0, 0, 0, "observation \"0\": expected an array"},
    };
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_file("sdmx", source, "sdmx_v2.json", &s, err, sizeof(err)), 0);
    fc_check_records(&s, w, TS_N(w));
}

static void test_sdmx_flat_observations(void **state)
{
    static const struct fc_want w[] = {
        {1, "p01", "revenue", "2023-01", 0, 1, 10, NULL},
        {2, "p02", "revenue", "2023-02", 0, 1, 20.5, NULL},
        {3, "p01", "revenue", "2023-02", 1, 0, 0, NULL},
    };
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_file("sdmx", source, "sdmx_flat.json", &s, err, sizeof(err)), 0);
    fc_check_records(&s, w, TS_N(w));
}

static void test_sdmx_bad_observation_keys_are_problems(void **state)
{
    static const char *const payload =
        "{\"structure\": {\"dimensions\": {\"observation\": ["
        "{\"id\": \"REF_AREA\", \"values\": [{\"id\": \"p01\"}]},"
        "{\"id\": \"INDICATOR\", \"values\": [{\"id\": \"tax\"}, {\"name\": \"no id\"}]},"
        "{\"id\": \"TIME_PERIOD\", \"values\": [{\"id\": \"2023-Q5\"}, {\"id\": \"2023-Q4\"}]}]}},"
        " \"dataSets\": [{\"observations\": {\"0:0\": [1], \"0:0:x\": [2], \"0:1:1\": [3],"
        " \"0:0:0\": [4], \"0:0:1\": [], \"0:0:1:\": [5], \"0:0:1234567890\": [6],"
        " \"0:0:1\": [\"—\"]}}]}";
    static const struct fc_want w[] = {
        {1, "", "", "", 0, 1, 1, "key \"0:0\": expected 3 numbers separated by ':'"},
        {2, "", "", "", 0, 1, 2, "key \"0:0:x\": expected 3 numbers"},
        {3, "p01", "", "2023-Q4", 0, 1, 3, "no value 1 for dimension \"INDICATOR\""},
        {4, "p01", "tax", "", 0, 1, 4, "period: not understood: \"2023-Q5\""},
        {5, "p01", "tax", "2023-Q4", 0, 0, 0, "value: absent"},
        {6, "", "", "", 0, 1, 5, "key \"0:0:1:\""},
        {7, "", "", "", 0, 1, 6, "key \"0:0:1234567890\""},
        /* a repeated key is kept, not dropped: with another value, a problem */
        {8, "p01", "tax", "2023-Q4", 1, 0, 0, "observation \"0:0:1\" repeated with another value"},
    };
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_str("sdmx", source, payload, &s, err, sizeof(err)), 0);
    fc_check_records(&s, w, TS_N(w));
}

static void test_sdmx_bad_payloads_fail_with_place(void **state)
{
    (void)state;
    fc_expect_bad_payload("sdmx", source, "{\"header\": {}}", "/dataSets: not found");
    fc_expect_bad_payload("sdmx", source, "{\"meta\": {}, \"data\": {\"dataSets\": 1}}",
                          "/data/dataSets: expected an array");
    fc_expect_bad_payload("sdmx", source, "{\"dataSets\": [{\"series\": {}}]}",
                          "dataSets[0]: no structure with dimensions");
    fc_expect_bad_payload("sdmx", source,
                          "{\"structure\": {\"dimensions\": {\"series\": [{\"id\": \"REF_AREA\"}], "
                          "\"observation\": [{\"id\": \"TIME_PERIOD\"}]}}, \"dataSets\": [{}]}",
                          "structure: no dimension \"INDICATOR\"");
    fc_expect_bad_payload("sdmx", source,
                          "{\"structure\": {\"dimensions\": {\"series\": {}}}, \"dataSets\": [{}]}",
                          "structure.dimensions.series: expected an array");
    fc_expect_bad_payload(
        "sdmx", source,
        "{\"structure\": {\"dimensions\": {\"dataSet\": [{\"id\": \"REF_AREA\", "
        "\"values\": []}, {\"id\": \"INDICATOR\", \"values\": [{\"id\": \"x\"}]}, "
        "{\"id\": \"TIME_PERIOD\", \"values\": [{\"id\": \"2023\"}]}]}}, "
        "\"dataSets\": [{}]}",
        "dimension \"REF_AREA\" has no value");
    fc_expect_bad_payload(
        "sdmx", source,
        "{\"structure\": {\"dimensions\": {\"observation\": [{\"id\": \"REF_AREA\", "
        "\"values\": [{\"id\": \"a\"}]}, {\"id\": \"INDICATOR\", \"values\": [{\"id\": "
        "\"x\"}]}, {\"id\": \"TIME_PERIOD\", \"values\": [{\"id\": \"2023\"}]}]}}, "
        "\"dataSets\": [{\"series\": []}]}",
        "dataSets[0].series: expected an object");
    fc_expect_bad_payload("sdmx", source, "{\"dataSets\": [", "line 1 column");
    /* invalid JSON after a repeated key: the syntax error and its place,
     * not the rewrite of repeated keys */
    fc_expect_bad_payload("sdmx", source, "{\"a\": 1, \"a\": 2,\n \"dataSets\": [}",
                          "line 2 column 15: unexpected token near '}'");
    fc_expect_bad_payload("sdmx", source, "{\"a\": 1, \"a\": 2}\n]",
                          "line 2 column 1: end of file expected near ']'");
    /* what only jansson refuses, after a repeated key: its place in the
     * payload, not in the payload as rewritten (all on line 1) */
    fc_expect_bad_payload("sdmx", source, "{\"a\": 1,\n \"a\": 2,\n \"x\": 1e400}",
                          "line 3 column 11: real number overflow near '1e400'");
    /* a key that is a renamed repeat's own name: refused, saying so */
    fc_expect_bad_payload("sdmx", source, "{\"a\": 1, \"a\": 2, \"a\\u00011\": 3}",
                          "repeated keys: the payload could not be rewritten (duplicate object "
                          "key near");
    /* repeated keys in a payload nested deeper than yajl writes: why */
    char deep[400];
    size_t n = (size_t)snprintf(deep, sizeof(deep), "{\"a\": 1, \"a\": 2, \"b\": ");
    memset(deep + n, '[', 130);
    memset(deep + n + 130, ']', 130);
    snprintf(deep + n + 260, sizeof(deep) - n - 260, "}");
    fc_expect_bad_payload("sdmx", source, deep,
                          "repeated keys: the payload could not be rewritten (nested more than "
                          "128 deep)");
}

static void test_sdmx_custom_period_dimension(void **state)
{
    static const struct fc_want w[] = {{1, "p01", "x", "2022", 0, 1, 9, NULL}};
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(
        fc_read_str(
            "sdmx",
            "{\"mapping\": {\"unit_dimension\": \"AREA\", \"indicator_dimension\": \"IND\", "
            "\"period_dimension\": \"YEAR\"}}",
            "{\"structure\": {\"dimensions\": {\"observation\": ["
            "{\"id\": \"AREA\", \"values\": [{\"id\": \"p01\"}]},"
            "{\"id\": \"IND\", \"values\": [{\"id\": \"x\"}]},"
            "{\"id\": \"YEAR\", \"values\": [{\"id\": \"2022\"}]}]}},"
            " \"dataSets\": [{\"observations\": {\"0:0:0\": [\"9\"]}}]}",
            &s, err, sizeof(err)),
        0);
    fc_check_records(&s, w, TS_N(w));
}

static void test_sdmx_callback_stops_reading(void **state)
{
    struct fc_sink s = {.stop_after = 2};
    char err[64] = "";

    (void)state;
    assert_int_equal(fc_read_file("sdmx", source, "sdmx_v1.json", &s, err, sizeof(err)), 7);
    assert_int_equal(s.n, 2);
}

static void test_sdmx_mapping_errors_name_the_key(void **state)
{
    (void)state;
    fc_expect_config_error("sdmx", "{}", "mapping: required");
    fc_expect_config_error("sdmx", "{\"mapping\": {\"unit_dimension\": \"REF_AREA\"}}",
                           "mapping: indicator_dimension (or indicator) required");
    fc_expect_config_error(
        "sdmx", "{\"mapping\": {\"unit_dimension\": \"\", \"indicator_dimension\": \"I\"}}",
        "mapping.unit_dimension");
    fc_expect_config_error(
        "sdmx",
        "{\"mapping\": {\"unit_dimension\": \"U\", \"indicator_dimension\": \"I\", "
        "\"time\": \"T\"}}",
        "mapping: unknown key \"time\"");
}

/* Measured before: an ILOSTAT answer repeating each series key stored 3 of
 * 39 observations. Repeats are merged: the union of the observations, the
 * same value again is nothing new, another value is a problem. Also the
 * SDMX-JSON 1.0 spelling "dataset" of the level. */
static void test_sdmx_repeated_series_keys_are_merged(void **state)
{
    static const struct fc_want w[] = {
        {1, "p01", "staff", "2019", 0, 1, 10, NULL},
        {2, "p01", "staff", "2020", 0, 1, 11, NULL},
        {3, "p01", "staff", "2021", 0, 1, 12, NULL},
        {4, "p01", "staff", "2022", 0, 1, 13, NULL},
        {5, "p01", "staff", "2023", 0, 1, 14, NULL},
        /* 6: "0": [10] again, merged; 7: "1": [99] where 11 was */
        {7, "p01", "staff", "2020", 0, 1, 99,
         "observation \"1\" of series 0:0 repeated with another value"},
    };
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_file("sdmx", source, "sdmx_repeated_keys.json", &s, err, sizeof(err)),
                     0);
    fc_check_records(&s, w, TS_N(w));
    assert_string_equal(s.rec[5].raw, "{\"series\":\"0:0\",\"observation\":\"1\",\"data\":[99]}");
}

static void test_sdmx_delete_data_set(void **state)
{
    static const struct fc_want w[] = {
        {1, "p01", "revenue", "2024-02", 0, 0, 0, NULL},
        {2, "p02", "revenue", "", 0, 0, 0, NULL},
    };
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_file("sdmx", source, "sdmx_delete.json", &s, err, sizeof(err)), 0);
    fc_check_records(&s, w, TS_N(w));
    assert_int_equal(s.rec[0].action, FORMAT_ACTION_DELETE);
    assert_int_equal(s.rec[0].all_periods, 0);
    assert_int_equal(s.rec[1].action, FORMAT_ACTION_DELETE);
    assert_int_equal(s.rec[1].all_periods, 1);
}

static void test_sdmx_attributes_and_collapsed_dimension(void **state)
{
    /* UNIT_MULT 3 (data set), DECIMALS per observation, FREQ M (series
     * attribute) for the dates; SEX is left out of the mapping */
    static const struct fc_want w[] = {
        {1, "p01", "revenue", "2024-01", 0, 1, 1300, NULL},
        {2, "p01", "revenue", "2024-02", 0, 1, 2500, NULL},
        {3, "p01", "revenue", "2024-01", 0, 1, 3500, NULL},
        {4, "p01", "revenue", "2024-01", 0, 1, 4750, NULL},
    };
    static const char *const filtered =
        "{\"mapping\": {\"unit_dimension\": \"REF_AREA\", \"indicator_dimension\": "
        "\"INDICATOR\", \"filter\": {\"SEX\": \"_T\"}}}";
    static const char *const compound =
        "{\"mapping\": {\"unit\": {\"const\": \"city\"}, \"indicator\": \"{INDICATOR}.{SEX}\"}}";
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_file("sdmx", source, "sdmx_attributes.json", &s, err, sizeof(err)), 0);
    fc_check_records(&s, w, TS_N(w));
    assert_string_equal(s.rec[0].collapsed, "");
    assert_string_equal(s.rec[2].collapsed, "SEX (\"F\" at record 1, \"M\" here)");
    assert_string_equal(s.rec[3].collapsed, "SEX (\"F\" at record 1, \"_T\" here)");
    /* what the collector keeps per (source, unit, indicator) across pulls */
    assert_string_equal(s.rec[0].unmapped, "SEX=F;");
    assert_string_equal(s.rec[2].unmapped, "SEX=M;");

    memset(&s, 0, sizeof(s));
    assert_int_equal(fc_read_file("sdmx", filtered, "sdmx_attributes.json", &s, err, sizeof(err)),
                     0);
    fc_check_records(&s, w + 3, 1);
    assert_string_equal(s.rec[0].collapsed, "");

    memset(&s, 0, sizeof(s));
    assert_int_equal(fc_read_file("sdmx", compound, "sdmx_attributes.json", &s, err, sizeof(err)),
                     0);
    assert_int_equal(s.n, 4);
    assert_string_equal(s.rec[0].unit, "city");
    assert_string_equal(s.rec[0].indicator, "revenue.F");
    assert_string_equal(s.rec[2].indicator, "revenue.M");
    assert_string_equal(s.rec[3].indicator, "revenue._T");
    assert_string_equal(s.rec[3].collapsed, "");
    /* SEX is in the indicator; REF_AREA, with the unit a constant, is not */
    assert_string_equal(s.rec[3].unmapped, "REF_AREA=p01;");
    /* OBS_STATUS, the observation attribute after DECIMALS, "A" everywhere */
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(s.rec[i].status, "A");
}

static void test_sdmx_observation_status(void **state)
{
    /* OBS_STATUS by position after the value; a null index is no status;
     * a missing value keeps its status; a 17-byte status is a problem */
    static const struct fc_want w[] = {
        {1, "p01", "revenue", "2023-01", 0, 1, 10.5, NULL},
        {2, "p01", "revenue", "2023-02", 0, 1, 11.25, NULL},
        {3, "p01", "revenue", "2023-03", 1, 0, 0, NULL},
        {4, "p02", "revenue", "2023-01", 0, 1, 7.5, NULL},
        {5, "p02", "revenue", "2023-02", 0, 1, 8, NULL},
        {6, "p02", "revenue", "2023-03", 0, 1, 9,
         "status \"provisional valu\": longer than 8 bytes"},
    };
    static const char *const want_status[] = {"A", "p", "M", "E", "", ""};
    static const char *const conf =
        "{\"mapping\": {\"unit_dimension\": \"REF_AREA\", \"indicator_dimension\": "
        "\"INDICATOR\", \"status_attribute\": \"OBS_CONF\", \"status_map\": {\"F\": \"\"}}}";
    static const char *const mapped =
        "{\"mapping\": {\"unit_dimension\": \"REF_AREA\", \"indicator_dimension\": "
        "\"INDICATOR\", \"status_map\": {\"A\": \"\", \"M\": \"m\", "
        "\"provisional value\": \"p\"}}}";
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_file("sdmx", source, "sdmx_status.json", &s, err, sizeof(err)), 0);
    fc_check_records(&s, w, TS_N(w));
    for (size_t i = 0; i < TS_N(want_status); i++)
        assert_string_equal(s.rec[i].status, want_status[i]);

    /* a series attribute stands for its observations; "F" mapped to none */
    memset(&s, 0, sizeof(s));
    assert_int_equal(fc_read_file("sdmx", conf, "sdmx_status.json", &s, err, sizeof(err)), 0);
    assert_int_equal(s.n, 6);
    for (size_t i = 0; i < 6; i++) {
        assert_string_equal(s.rec[i].problem, "");
        assert_string_equal(s.rec[i].status, i < 3 ? "" : "C");
    }

    /* status_map: "A" to none, "M" to "m", the long one to "p" */
    memset(&s, 0, sizeof(s));
    assert_int_equal(fc_read_file("sdmx", mapped, "sdmx_status.json", &s, err, sizeof(err)), 0);
    assert_int_equal(s.n, 6);
    assert_string_equal(s.rec[0].status, "");
    assert_string_equal(s.rec[1].status, "p");
    assert_string_equal(s.rec[2].status, "m");
    assert_int_equal(s.rec[2].missing, 1);
    assert_string_equal(s.rec[3].status, "E");
    assert_string_equal(s.rec[5].status, "p");
    assert_string_equal(s.rec[5].problem, "");
    assert_true(s.rec[5].value_ok);
    assert_true(s.rec[5].value == 9);

    fc_expect_config_error("sdmx",
                           "{\"mapping\": {\"unit_dimension\": \"A\", \"indicator_dimension\": "
                           "\"B\", \"status_map\": {\"P\": \"provisional\"}}}",
                           "mapping.status_map.P: expected a status of 1 to 8");
    fc_expect_config_error("sdmx",
                           "{\"mapping\": {\"unit_dimension\": \"A\", \"indicator_dimension\": "
                           "\"B\", \"status_atribute\": \"X\"}}",
                           "status_atribute");
    fc_expect_config_error("sdmx",
                           "{\"mapping\": {\"unit_dimension\": \"A\", \"indicator_dimension\": "
                           "\"B\", \"status_attribute\": \"\"}}",
                           "mapping.status_attribute: expected an attribute id");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sdmx_v1_series_layout),
        cmocka_unit_test(test_sdmx_v2_data_structures_layout),
        cmocka_unit_test(test_sdmx_flat_observations),
        cmocka_unit_test(test_sdmx_bad_observation_keys_are_problems),
        cmocka_unit_test(test_sdmx_bad_payloads_fail_with_place),
        cmocka_unit_test(test_sdmx_custom_period_dimension),
        cmocka_unit_test(test_sdmx_callback_stops_reading),
        cmocka_unit_test(test_sdmx_mapping_errors_name_the_key),
        cmocka_unit_test(test_sdmx_repeated_series_keys_are_merged),
        cmocka_unit_test(test_sdmx_delete_data_set),
        cmocka_unit_test(test_sdmx_attributes_and_collapsed_dimension),
        cmocka_unit_test(test_sdmx_observation_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
