/*
 * test_format_nbs.c - the "nbs" payload reader (data.stats.gov.cn easyquery):
 * wds coordinates, NBS period codes, hasdata:false as missing (never 0), the
 * unit from "reg" or the mapping's constant, and returncode errors.
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
    "{\"format\": \"nbs\", \"mapping\": {\"unit\": {\"const\": \"p01\"}}}";

static void test_nbs_month_sample(void **state)
{
    static const struct fc_want w[] = {
        {1, "p01", "A01010101", "2023-02", 0, 1, 5432.1, NULL},
        {2, "p01", "A01010101", "2023-01", 1, 0, 0, NULL},
        {3, "110000", "A01010102", "2023-03", 0, 1, 12.3, NULL}, /* "reg" wins */
    };
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_file("nbs", source, "nbs_month.json", &s, err, sizeof(err)), 0);
    fc_check_records(&s, w, TS_N(w));
    assert_string_equal(s.rec[0].period_raw, "202302");
    assert_non_null(strstr(s.rec[0].raw, "\"code\":\"zb.A01010101_sj.202302\""));
}

/* Monthly releases cover January and February together: February's
 * year-to-date value arrives while January has none. The reader reports
 * exactly that (a value and a missing), not a zero for January. */
static void test_nbs_february_ytd_without_january_is_reported_as_is(void **state)
{
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_file("nbs", source, "nbs_month.json", &s, err, sizeof(err)), 0);
    assert_string_equal(s.rec[1].period, "2023-01");
    assert_int_equal(s.rec[1].missing, 1);
    assert_int_equal(s.rec[1].value_ok, 0);
    assert_string_equal(s.rec[0].period, "2023-02");
    assert_int_equal(s.rec[0].value_ok, 1);
}

static void test_nbs_quarter_and_year_periods(void **state)
{
    static const struct fc_want w[] = {
        {1, "p01", "A010101", "2023-Q1", 0, 1, 284997.0, NULL},
        {2, "p01", "A010101", "2023-Q4", 1, 0, 0, NULL},
        {3, "p01", "A010101", "2022", 0, 1, 1210207.2, NULL},
        {4, "p01", "A010101", "", 0, 1, 1, "period: not understood: \"2023E\""},
    };
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_file("nbs", source, "nbs_quarter.json", &s, err, sizeof(err)), 0);
    fc_check_records(&s, w, TS_N(w));
}

static void test_nbs_malformed_nodes_are_problems(void **state)
{
    static const struct fc_want w[] = {
        {1, "p01", "", "", 0, 1, 1, "wds: not found (and no \"code\")"},
        {2, "p01", "", "2023", 0, 1, 1, "wds: no \"zb\""},
        {3, "p01", "A1", "", 0, 1, 2, "wds: no \"sj\""},
        {4, "p01", "A1", "2023-05", 0, 0, 0, "data: expected an object"},
        {5, "p01", "A1", "2023-05", 0, 1, 4.5, NULL}, /* strdata when data is absent */
        {6, "p01", "A1", "2023-05", 0, 0, 0, "value: not a number: \"xy\""},
    };
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(
        fc_read_str(
            "nbs", source,
            "{\"returncode\": 200, \"returndata\": {\"datanodes\": ["
            "{\"data\": {\"data\": 1, \"hasdata\": true}},"
            "{\"data\": {\"data\": 1, \"hasdata\": true}, \"wds\": [{\"wdcode\": \"sj\", "
            "\"valuecode\": \"2023\"}]},"
            "{\"data\": {\"data\": 2, \"hasdata\": true}, \"wds\": [{\"wdcode\": \"zb\", "
            "\"valuecode\": \"A1\"}]},"
            "{\"data\": 3, \"wds\": [{\"wdcode\": \"zb\", \"valuecode\": \"A1\"}, "
            "{\"wdcode\": \"sj\", \"valuecode\": \"202305\"}]},"
            "{\"data\": {\"hasdata\": true, \"strdata\": \"4.5\"}, \"wds\": [{\"wdcode\": "
            "\"zb\", \"valuecode\": \"A1\"}, {\"wdcode\": \"sj\", \"valuecode\": \"202305\"}]},"
            "{\"data\": {\"strdata\": \"xy\"}, \"wds\": [{\"wdcode\": \"zb\", \"valuecode\": "
            "\"A1\"}, {\"wdcode\": \"sj\", \"valuecode\": \"202305\"}]}]}}",
            &s, err, sizeof(err)),
        0);
    fc_check_records(&s, w, TS_N(w));
}

/* Without "reg" and without mapping.unit the unit is "" (not a problem): the
 * collector then uses the unit the request was made for. */
static void test_nbs_without_reg_or_mapping_unit_gives_empty_unit(void **state)
{
    static const struct fc_want w[] = {
        {1, "", "A01010101", "2023-02", 0, 1, 5432.1, NULL},
        {2, "", "A01010101", "2023-01", 1, 0, 0, NULL},
        {3, "110000", "A01010102", "2023-03", 0, 1, 12.3, NULL},
    };
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(
        fc_read_file("nbs", "{\"format\": \"nbs\"}", "nbs_month.json", &s, err, sizeof(err)), 0);
    fc_check_records(&s, w, TS_N(w));
}

/* dotcount: data.data is rounded to the published decimals, so the stored
 * double is the one strdata's text reads as; a strdata that disagrees with
 * the rounded number, or a dotcount outside 0..15, is a problem. Nodes
 * without "wds" take their coordinates from "code"; "wds" wins when both
 * are there. */
static void test_nbs_dotcount_and_code_coordinates(void **state)
{
    static const struct fc_want w[] = {
        {1, "p01", "A020101", "2024-12", 0, 1, 6.2, NULL},
        {2, "110000", "A01010101", "2024-Q2", 0, 1, 103.85, NULL},
        {3, "p01", "A020101", "2024-11", 1, 0, 0, NULL},
        {4, "p01", "A020101", "2024-10", 0, 0, 0,
         "data.data 5.2999999999999998 and strdata \"5.2\""},
        {5, "110000", "", "2024-09", 0, 1, 1, "code: no \"zb.\" (indicator) in \"reg.110000_sj"},
        {6, "p01", "A020101", "2024-08", 0, 0, 0, "data.dotcount: 20 is not 0..15"},
        {7, "p01", "A020101", "", 0, 1, 7, "code: no \"sj.\" (period)"},
        {8, "p01", "A020101", "2024-07", 0, 1, 1234.5, NULL},
        {9, "p01", "A02_01.X", "2024-06", 0, 1, 2.5, NULL},
    };
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_file("nbs", source, "nbs_codes.json", &s, err, sizeof(err)), 0);
    fc_check_records(&s, w, TS_N(w));
    /* exactly the doubles of the published text, not merely close */
    assert_true(s.rec[0].value == strtod("6.2", NULL));
    assert_true(s.rec[0].value != 6.1999999999999993);
    assert_true(s.rec[1].value == strtod("103.85", NULL));
    assert_string_equal(s.rec[1].period_raw, "2024B");
}

/* mapping.indicator {"const"}: a query for one indicator maps without a
 * code map; a node without zb takes the constant, and a node whose zb is not
 * the payload's first one is a problem (never stored under the constant). */
static void test_nbs_indicator_constant(void **state)
{
    static const struct fc_want w[] = {
        {1, "p01", "output", "2024-03", 0, 1, 102.5, NULL},
        {2, "p01", "output", "2024-02", 0, 1, 99.8, NULL},
        {3, "p01", "output", "2024-01", 0, 1, 7.25,
         "zb \"A020102\" differs from \"A020101\" at node 1, and the mapping's indicator "
         "{\"const\"} stands for one indicator"},
        {4, "p01", "output", "2023-12", 0, 1, 101.3, NULL},
    };
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_file("nbs",
                                  "{\"mapping\": {\"unit\": {\"const\": \"p01\"}, "
                                  "\"indicator\": {\"const\": \"output\"}}}",
                                  "nbs_one_indicator.json", &s, err, sizeof(err)),
                     0);
    fc_check_records(&s, w, TS_N(w));
    fc_expect_config_error("nbs", "{\"mapping\": {\"indicator\": \"A020101\"}}",
                           "mapping.indicator: expected {\"const\": \"indicator code\"}");
    fc_expect_config_error("nbs", "{\"mapping\": {\"indicator\": {\"cnst\": \"x\"}}}",
                           "mapping.indicator");
}

static void test_nbs_bad_payloads_fail(void **state)
{
    (void)state;
    fc_expect_bad_payload("nbs", source, "{\"returncode\": 501, \"returndata\": \"参数错误\"}",
                          "returncode 501: 参数错误");
    fc_expect_bad_payload("nbs", source, "{\"returncode\": 400, \"returndata\": {}}",
                          "returncode 400");
    fc_expect_bad_payload("nbs", source, "{\"returndata\": {\"datanodes\": []}}",
                          "/returncode: not found");
    fc_expect_bad_payload("nbs", source, "{\"returncode\": \"200\"}",
                          "/returncode: expected an integer");
    fc_expect_bad_payload("nbs", source, "{\"returncode\": 200, \"returndata\": {}}",
                          "/returndata/datanodes: not found");
    fc_expect_bad_payload("nbs", source,
                          "{\"returncode\": 200, \"returndata\": {\"datanodes\": {}}}",
                          "/returndata/datanodes: expected an array");
    fc_expect_bad_payload("nbs", source, "<html>busy</html>", "line 1 column 1");
}

static void test_nbs_callback_stops_reading(void **state)
{
    struct fc_sink s = {.stop_after = 1};
    char err[64] = "";

    (void)state;
    assert_int_equal(fc_read_file("nbs", source, "nbs_quarter.json", &s, err, sizeof(err)), 7);
    assert_int_equal(s.n, 1);
}

static void test_nbs_mapping_errors_name_the_key(void **state)
{
    (void)state;
    fc_expect_config_error("nbs", "{\"mapping\": {\"unit\": \"p01\"}}",
                           "mapping.unit: expected {\"const\"");
    fc_expect_config_error("nbs", "{\"mapping\": {\"region\": {\"const\": \"p01\"}}}",
                           "mapping: unknown key \"region\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nbs_month_sample),
        cmocka_unit_test(test_nbs_february_ytd_without_january_is_reported_as_is),
        cmocka_unit_test(test_nbs_quarter_and_year_periods),
        cmocka_unit_test(test_nbs_malformed_nodes_are_problems),
        cmocka_unit_test(test_nbs_without_reg_or_mapping_unit_gives_empty_unit),
        cmocka_unit_test(test_nbs_dotcount_and_code_coordinates),
        cmocka_unit_test(test_nbs_indicator_constant),
        cmocka_unit_test(test_nbs_bad_payloads_fail),
        cmocka_unit_test(test_nbs_callback_stops_reading),
        cmocka_unit_test(test_nbs_mapping_errors_name_the_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
