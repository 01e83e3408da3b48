/*
 * test_format_sdmxml.c - the "sdmxml" payload reader: SDMX-ML 2.1 generic
 * and structure-specific, 3.0 structure-specific with two measures, agency
 * periods with the series' FREQ, UNIT_MULT and DECIMALS, Delete data sets,
 * error messages and footers, the collapse note, filters, constants and
 * templates, and messages that are not SDMX-ML at all.
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
    "{\"format\": \"sdmxml\", \"mapping\": {\"unit_dimension\": \"REF_AREA\", "
    "\"indicator_dimension\": \"INDICATOR\"}}";

static void test_generic21_attributes_and_periods(void **state)
{
    /* DECIMALS 1 then UNIT_MULT 3 (data set): 1.25 -> 1.3 -> 1300; the second
     * series has UNIT_MULT 0 of its own: 7.04 -> 7.0. Dates read with FREQ. */
    static const struct fc_want w[] = {
        {1, "p01", "revenue", "2023-01", 0, 1, 1300, NULL},
        {2, "p01", "revenue", "2023-02", 1, 0, 0, NULL},
        {3, "p01", "revenue", "2023-03", 0, 0, 0, "value: not a number: \"n/a\""},
        {4, "p02", "tax", "2023-Q2", 0, 1, 7.0, NULL},
    };
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_file("sdmxml", source, "sdmxml_generic21.xml", &s, err, sizeof(err)),
                     0);
    fc_check_records(&s, w, TS_N(w));
    assert_string_equal(
        s.rec[0].raw, "{\"series\":{\"FREQ\":\"M\",\"REF_AREA\":\"p01\",\"INDICATOR\":\"revenue\"},"
                      "\"observation\":{\"TIME_PERIOD\":\"2023-01\",\"OBS_VALUE\":\"1.25\"}}");
    assert_int_equal(s.rec[0].action, FORMAT_ACTION_STORE);
}

/* "apply_decimals": false keeps a value as written: a parkstatd's answer
 * carries its indicator's display decimals, not the stored precision. */
static void test_generic21_decimals_not_applied(void **state)
{
    static const char *const keep =
        "{\"format\": \"sdmxml\", \"mapping\": {\"unit_dimension\": \"REF_AREA\", "
        "\"indicator_dimension\": \"INDICATOR\", \"apply_decimals\": false}}";
    static const struct fc_want w[] = {
        {1, "p01", "revenue", "2023-01", 0, 1, 1250, NULL},
        {2, "p01", "revenue", "2023-02", 1, 0, 0, NULL},
        {3, "p01", "revenue", "2023-03", 0, 0, 0, "value: not a number: \"n/a\""},
        {4, "p02", "tax", "2023-Q2", 0, 1, 7.04, NULL},
    };
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_file("sdmxml", keep, "sdmxml_generic21.xml", &s, err, sizeof(err)), 0);
    fc_check_records(&s, w, TS_N(w));
}

static void test_ss21_lower_case_ids_and_weekly_frequency(void **state)
{
    /* the mapping says GEO and NA_ITEM; Eurostat writes geo and na_item */
    static const char *const src =
        "{\"mapping\": {\"unit_dimension\": \"GEO\", \"indicator_dimension\": \"NA_ITEM\"}}";
    static const struct fc_want w[] = {
        {1, "p01", "revenue", "2023-Q1", 0, 1, 10.5, NULL},
        {2, "p01", "revenue", "2023-Q2", 1, 0, 0, NULL},
        {3, "p01", "revenue", "2023-Q3", 0, 1, 12, NULL},
        {4, "p02", "revenue", "", 0, 1, 1, "frequency \"W\" not supported"},
    };
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_file("sdmxml", src, "sdmxml_ss21_lower.xml", &s, err, sizeof(err)), 0);
    fc_check_records(&s, w, TS_N(w));
}

static void test_ss30_two_measures(void **state)
{
    static const char *const src =
        "{\"mapping\": {\"unit_dimension\": \"REF_AREA\", "
        "\"indicator\": \"{INDICATOR}.{MEASURE}\", \"measures\": [\"HEADCOUNT\", \"FTE\"]}}";
    static const struct fc_want w[] = {
        {1, "p01", "staff.HEADCOUNT", "2022", 0, 1, 120, NULL},
        {1, "p01", "staff.FTE", "2022", 0, 1, 110.5, NULL},
        {2, "p01", "staff.HEADCOUNT", "2023", 0, 1, 130, NULL},
        /* FTE left out of an SDMX 3.0 Information (Merge) data set: left as
         * it is, no record (a Replace would delete it) */
    };
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_file("sdmxml", src, "sdmxml_ss30_measures.xml", &s, err, sizeof(err)),
                     0);
    fc_check_records(&s, w, TS_N(w));
}

static void test_delete_data_set(void **state)
{
    static const struct fc_want w[] = {
        {1, "p01", "revenue", "2024-02", 0, 0, 0, NULL},
        {2, "p02", "revenue", "", 0, 0, 0, NULL},
    };
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_file("sdmxml", source, "sdmxml_delete.xml", &s, err, sizeof(err)), 0);
    fc_check_records(&s, w, TS_N(w));
    assert_int_equal(s.rec[0].action, FORMAT_ACTION_DELETE);
    assert_int_equal(s.rec[0].all_periods, 0);
    assert_int_equal(s.rec[1].action, FORMAT_ACTION_DELETE);
    assert_int_equal(s.rec[1].all_periods, 1); /* a series key without observations */
}

static void test_error_message_and_footer_refuse_the_payload(void **state)
{
    char *buf;
    size_t len;
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    buf = fc_load("sdmxml_error.xml", &len);
    assert_int_equal(fc_read_buf("sdmxml", source, buf, len, &s, err, sizeof(err)), -EBADMSG);
    assert_string_equal(err, "error 100: No Results Found");
    free(buf);
    buf = fc_load("sdmxml_footer_error.xml", &len);
    assert_int_equal(fc_read_buf("sdmxml", source, buf, len, &s, err, sizeof(err)), -EBADMSG);
    assert_string_equal(err, "footer: error 510: Response size exceeds service limit");
    free(buf);
    assert_int_equal(s.n, 0);
}

static void test_collapse_note_names_the_dimension(void **state)
{
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_file("sdmxml", source, "sdmxml_collapse.xml", &s, err, sizeof(err)),
                     0);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.rec[0].collapsed, "");
    assert_string_equal(s.rec[1].collapsed, "SEX (\"F\" at record 1, \"M\" here)");
    assert_string_equal(s.rec[2].collapsed, "SEX (\"F\" at record 1, \"_T\" here)");
}

static void test_filter_template_and_const(void **state)
{
    /* a filter on SEX leaves one series; SEX in a template keeps all three */
    static const char *const filtered =
        "{\"mapping\": {\"unit\": {\"const\": \"city\"}, \"indicator_dimension\": \"INDICATOR\","
        " \"filter\": {\"SEX\": \"_T\"}}}";
    static const char *const compound = "{\"mapping\": {\"unit_dimension\": \"REF_AREA\","
                                        " \"indicator\": \"{INDICATOR}.{SEX}\"}}";
    static const char *const both =
        "{\"mapping\": {\"unit_dimension\": \"REF_AREA\", \"indicator\": {\"const\": \"staff\"},"
        " \"filter\": {\"SEX\": [\"F\", \"M\"]}}}";
    static const struct fc_want w1[] = {{3, "city", "staff", "2023", 0, 1, 100, NULL}};
    static const struct fc_want w2[] = {
        {1, "p01", "staff.F", "2023", 0, 1, 40, NULL},
        {2, "p01", "staff.M", "2023", 0, 1, 60, NULL},
        {3, "p01", "staff._T", "2023", 0, 1, 100, NULL},
    };
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_file("sdmxml", filtered, "sdmxml_collapse.xml", &s, err, sizeof(err)),
                     0);
    fc_check_records(&s, w1, TS_N(w1));
    memset(&s, 0, sizeof(s));
    assert_int_equal(fc_read_file("sdmxml", compound, "sdmxml_collapse.xml", &s, err, sizeof(err)),
                     0);
    fc_check_records(&s, w2, TS_N(w2));
    for (size_t i = 0; i < s.n; i++)
        assert_string_equal(s.rec[i].collapsed, "");
    memset(&s, 0, sizeof(s));
    assert_int_equal(fc_read_file("sdmxml", both, "sdmxml_collapse.xml", &s, err, sizeof(err)), 0);
    assert_int_equal(s.n, 2); /* F and M: their SEX stays unmapped, so they collapse */
    assert_string_equal(s.rec[1].collapsed, "SEX (\"F\" at record 1, \"M\" here)");
}

static void test_filter_and_template_name_a_missing_dimension(void **state)
{
    static const char *const src =
        "{\"mapping\": {\"unit_dimension\": \"REF_AREA\", \"indicator\": \"{INDICATOR}.{AGE}\","
        " \"filter\": {\"SEXE\": \"F\"}}}";
    static const struct fc_want w[] = {
        {1, "p01", "", "2023", 0, 1, 40, "filter: no dimension \"SEXE\""},
        {2, "p01", "", "2023", 0, 1, 60, "filter: no dimension \"SEXE\""},
        {3, "p01", "", "2023", 0, 1, 100, "filter: no dimension \"SEXE\""},
    };
    static const char *const src2 =
        "{\"mapping\": {\"unit_dimension\": \"REF_AREA\", \"indicator\": \"{INDICATOR}.{AGE}\"}}";
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_file("sdmxml", src, "sdmxml_collapse.xml", &s, err, sizeof(err)), 0);
    fc_check_records(&s, w, TS_N(w));
    memset(&s, 0, sizeof(s));
    assert_int_equal(fc_read_file("sdmxml", src2, "sdmxml_collapse.xml", &s, err, sizeof(err)), 0);
    assert_string_equal(s.rec[0].problem, "indicator: no dimension \"AGE\"");
}

static void test_not_sdmx_ml(void **state)
{
    (void)state;
    fc_expect_bad_payload("sdmxml", source, "<html><body>Service down</body></html>",
                          "root element <html>: not an SDMX-ML data message");
    fc_expect_bad_payload("sdmxml", source, "{\"data\": []}", "line 1: ");
    fc_expect_bad_payload("sdmxml", source,
                          "<GenericData>\n<DataSet>\n<Series></DataSet></GenericData>", "line 3: ");
    fc_expect_bad_payload("sdmxml", source,
                          "<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY a \"aaaa\">]>\n"
                          "<GenericData/>",
                          "a DOCTYPE is not allowed");
    fc_expect_bad_payload("sdmxml", source,
                          "<StructureSpecificData><DataSet action=\"Remove\"/>"
                          "</StructureSpecificData>",
                          "DataSet action \"Remove\": expected Replace, Append, Merge, "
                          "Information or Delete");
}

static void test_bad_bytes_in_a_skipped_group_are_named(void **state)
{
    /* a <Group> is skipped whole; bytes its declared encoding cannot
     * convert make the skip fail, and the failure says why and where */
    static const char pad[] = "<!-- padding padding padding padding padding -->\n";
    char xml[8192];
    size_t n;

    (void)state;
    n = (size_t)snprintf(xml, sizeof(xml),
                         "<?xml version=\"1.0\" encoding=\"EUC-JP\"?>\n"
                         "<GenericData><DataSet><Group>\n");
    while (n + sizeof(pad) < 6000) {
        memcpy(xml + n, pad, sizeof(pad) - 1);
        n += sizeof(pad) - 1;
    }
    snprintf(xml + n, sizeof(xml) - n, "x\xC6\x11</Group></DataSet></GenericData>\n");
    fc_expect_bad_payload("sdmxml", source, xml, "input conversion failed");
    fc_expect_bad_payload("sdmxml", source, xml, "bytes 0xC6 0x11");
}

static void test_long_codes_are_taken_whole(void **state)
{
    /* a value longer than any fixed buffer: read whole, then refused as
     * too long a number, never cut into another one */
    static const char head[] =
        "<GenericData><DataSet><Series><SeriesKey><Value id=\"REF_AREA\" value=\"p01\"/>"
        "<Value id=\"INDICATOR\" value=\"x\"/></SeriesKey><Obs>"
        "<ObsDimension value=\"2023\"/><ObsValue value=\"";
    static const char tail[] = "\"/></Obs></Series></DataSet></GenericData>";
    char *xml = malloc(sizeof(head) + 2000 + sizeof(tail));
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_non_null(xml);
    memcpy(xml, head, sizeof(head) - 1);
    memset(xml + sizeof(head) - 1, '1', 2000);
    memcpy(xml + sizeof(head) - 1 + 2000, tail, sizeof(tail));
    assert_int_equal(fc_read_str("sdmxml", source, xml, &s, err, sizeof(err)), 0);
    free(xml);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.rec[0].value_ok, 0);
    assert_non_null(strstr(s.rec[0].problem, "value: "));
}

static void test_mapping_errors_name_the_key(void **state)
{
    (void)state;
    fc_expect_config_error("sdmxml", "{\"mapping\": {\"indicator_dimension\": \"I\"}}",
                           "mapping: unit_dimension (or unit {\"const\"}) required");
    fc_expect_config_error("sdmxml",
                           "{\"mapping\": {\"unit_dimension\": \"R\", \"indicator\": \"{A\"}}",
                           "mapping.indicator: expected a template");
    fc_expect_config_error("sdmxml",
                           "{\"mapping\": {\"unit_dimension\": \"R\", \"indicator_dimension\": "
                           "\"I\", \"filter\": {\"SEX\": []}}}",
                           "mapping.filter.SEX: expected a code or a non-empty list of codes");
    fc_expect_config_error("sdmxml",
                           "{\"mapping\": {\"unit_dimension\": \"R\", \"indicator_dimension\": "
                           "\"I\", \"measures\": [\"A\", \"B\"]}}",
                           "mapping.measures: several measures need {MEASURE}");
}

static void test_observation_status(void **state)
{
    /* generic: the observation's OBS_STATUS, else the series'; a status on a
     * missing value; "é" is not ASCII; "" is no status */
    static const struct fc_want wg[] = {
        {1, "p01", "revenue", "2021", 0, 1, 100.5, NULL},
        {2, "p01", "revenue", "2022", 0, 1, 101.25, NULL},
        {3, "p01", "revenue", "2023", 1, 0, 0, NULL},
        {4, "p02", "revenue", "2021", 0, 1, 7, NULL},
        {5, "p02", "revenue", "2022", 0, 1, 8, "status \"\xC3\xA9\": not printable ASCII"},
        {6, "p02", "revenue", "2023", 0, 1, 9.5, NULL},
    };
    static const char *const sg[] = {"p", "E", "M", "A", "", ""};
    /* structure-specific 2.1: OBS_STATUS on Obs; OBS_FLAG ignored unless asked */
    static const struct fc_want ws[] = {
        {1, "p01", "revenue", "2023-Q1", 0, 1, 10.5, NULL},
        {2, "p01", "revenue", "2023-Q2", 1, 0, 0, NULL},
        {3, "p01", "revenue", "2023-Q3", 0, 1, 12, NULL},
        {4, "p01", "revenue", "2023-Q4", 0, 1, 13.75,
         "status \"TOOLONGSTATUS\": longer than 8 bytes"},
    };
    static const char *const ss[] = {"p", "c", "", ""};
    static const char *const flag =
        "{\"mapping\": {\"unit_dimension\": \"REF_AREA\", \"indicator_dimension\": "
        "\"INDICATOR\", \"status_attribute\": \"obs_flag\"}}";
    static const char *const mapped =
        "{\"mapping\": {\"unit_dimension\": \"REF_AREA\", \"indicator_dimension\": "
        "\"INDICATOR\", \"status_map\": {\"F\": \"\", \"P\": \"p\"}}}";
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(
        fc_read_file("sdmxml", source, "sdmxml_status_generic.xml", &s, err, sizeof(err)), 0);
    fc_check_records(&s, wg, TS_N(wg));
    for (size_t i = 0; i < TS_N(sg); i++)
        assert_string_equal(s.rec[i].status, sg[i]);

    memset(&s, 0, sizeof(s));
    assert_int_equal(fc_read_file("sdmxml", source, "sdmxml_status_ss.xml", &s, err, sizeof(err)),
                     0);
    fc_check_records(&s, ws, TS_N(ws));
    for (size_t i = 0; i < TS_N(ss); i++)
        assert_string_equal(s.rec[i].status, ss[i]);
    assert_string_equal(s.rec[0].collapsed, "");

    /* status_attribute, any case: Eurostat's OBS_FLAG */
    memset(&s, 0, sizeof(s));
    assert_int_equal(fc_read_file("sdmxml", flag, "sdmxml_status_ss.xml", &s, err, sizeof(err)), 0);
    assert_int_equal(s.n, 4);
    assert_string_equal(s.rec[0].status, "pe");
    assert_string_equal(s.rec[1].status, "c");
    assert_int_equal(s.rec[1].missing, 1);
    assert_string_equal(s.rec[2].status, "e");
    assert_string_equal(s.rec[3].status, "");
    assert_string_equal(s.rec[3].problem, "");

    /* 3.0: the series' status for an observation without one; status_map */
    memset(&s, 0, sizeof(s));
    assert_int_equal(fc_read_file("sdmxml", source, "sdmxml_status_ss30.xml", &s, err, sizeof(err)),
                     0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.rec[0].status, "F");
    assert_true(s.rec[0].value == 1500);
    assert_string_equal(s.rec[1].status, "P");
    assert_true(s.rec[1].value == 1620.5);
    memset(&s, 0, sizeof(s));
    assert_int_equal(fc_read_file("sdmxml", mapped, "sdmxml_status_ss30.xml", &s, err, sizeof(err)),
                     0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.rec[0].status, "");
    assert_string_equal(s.rec[1].status, "p");
}

/* SDMX 3.0 replaces whole observations: in a Replace data set a measure
 * left out is a delete of that period, NaN is missing; in a Merge data set a
 * measure left out is no record at all. The same layout in SDMX 2.1 reads a
 * left-out measure as missing. */
static void test_sdmxml_30_replace_and_merge_of_an_omitted_measure(void **state)
{
    static const struct fc_want w[] = {
        {1, "p01", "revenue", "2024-01", 0, 1, 11.5, NULL},
        {2, "p01", "revenue", "2024-02", 0, 0, 0, NULL}, /* deleted */
        {3, "p02", "revenue", "2024-01", 1, 0, 0, NULL}, /* NaN: missing */
        {5, "p02", "revenue", "2024-03", 0, 1, 7.25, NULL},
    };
    struct fc_sink s = {0};
    char err[256] = "", *xml, *v21;
    size_t len;

    (void)state;
    assert_int_equal(fc_read_file("sdmxml", source, "sdmxml_replace30.xml", &s, err, sizeof(err)),
                     0);
    fc_check_records(&s, w, TS_N(w));
    assert_int_equal(s.rec[0].action, FORMAT_ACTION_STORE);
    assert_int_equal(s.rec[1].action, FORMAT_ACTION_DELETE);
    assert_int_equal(s.rec[1].all_periods, 0);
    assert_int_equal(s.rec[2].action, FORMAT_ACTION_STORE);
    assert_int_equal(s.rec[3].action, FORMAT_ACTION_STORE);
    /* the same message as SDMX 2.1: left out is missing, in both data sets */
    xml = fc_load("sdmxml_replace30.xml", &len);
    while ((v21 = strstr(xml, "v3_0")))
        v21[1] = '2', v21[3] = '1'; /* "v3_0" -> "v2_1" */
    memset(&s, 0, sizeof(s));
    assert_int_equal(fc_read_str("sdmxml", source, xml, &s, err, sizeof(err)), 0);
    free(xml);
    assert_int_equal(s.n, 5);
    assert_int_equal(s.rec[1].missing, 1);
    assert_int_equal(s.rec[1].action, FORMAT_ACTION_STORE);
    assert_int_equal(s.rec[3].missing, 1);
    assert_string_equal(s.rec[3].period, "2024-02");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generic21_attributes_and_periods),
        cmocka_unit_test(test_generic21_decimals_not_applied),
        cmocka_unit_test(test_ss21_lower_case_ids_and_weekly_frequency),
        cmocka_unit_test(test_observation_status),
        cmocka_unit_test(test_ss30_two_measures),
        cmocka_unit_test(test_delete_data_set),
        cmocka_unit_test(test_error_message_and_footer_refuse_the_payload),
        cmocka_unit_test(test_collapse_note_names_the_dimension),
        cmocka_unit_test(test_filter_template_and_const),
        cmocka_unit_test(test_filter_and_template_name_a_missing_dimension),
        cmocka_unit_test(test_not_sdmx_ml),
        cmocka_unit_test(test_bad_bytes_in_a_skipped_group_are_named),
        cmocka_unit_test(test_long_codes_are_taken_whole),
        cmocka_unit_test(test_mapping_errors_name_the_key),
        cmocka_unit_test(test_sdmxml_30_replace_and_merge_of_an_omitted_measure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
