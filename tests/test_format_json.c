/*
 * test_format_json.c - the "json" payload reader: long and wide mappings,
 * constants, RFC 6901 pointers, numbers as strings, missing markers, periods
 * in their accepted forms, bad payloads and malformed records.
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

static const char *const long_source =
    "{\"id\": \"parks\", \"format\": \"json\", \"mapping\": {\"records\": \"/data\", "
    "\"unit\": \"/park\", \"indicator\": \"/code\", \"period\": \"/month\", \"value\": "
    "\"/value\"}}";

static const char *const wide_source =
    "{\"mapping\": {\"layout\": \"wide\", \"records\": \"/parks\", \"unit\": \"/id\", "
    "\"period\": {\"const\": \"2023-Q1\"}, "
    "\"fields\": {\"revenue\": \"/营业收入\", \"tax\": \"/tax\"}}}";

static void test_json_long_sample_records(void **state)
{
    static const struct fc_want w[] = {
        {1, "p01", "revenue", "2023-01", 0, 1, 1234.5, NULL},
        {2, "p01", "tax", "2023-02", 0, 1, 1234.5, NULL},
        {3, "p02", "revenue", "2023-03", 1, 0, 0, NULL},
        {4, "p02", "tax", "2023-01", 1, 0, 0, NULL},
        {5, "p03", "revenue", "2023-01", 0, 1, 12, NULL},
        {6, "p03", "tax", "", 0, 1, 5, "period: not understood: \"2023-13\""},
        {7, "p04", "revenue", "2023-02", 0, 0, 0, "value: not a number: \"n/a\""},
        {8, "5", "export", "2023-03", 0, 1, -0.25, NULL},
    };
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_file("json", long_source, "parks_long.json", &s, err, sizeof(err)), 0);
    fc_check_records(&s, w, TS_N(w));
    assert_string_equal(
        s.rec[0].raw,
        "{\"park\":\"p01\",\"code\":\"revenue\",\"month\":\"2023-01\",\"value\":1234.5}");
    assert_string_equal(s.rec[1].period_raw, "202302");
    assert_string_equal(s.rec[2].period_raw, "2023-M03");
    assert_string_equal(s.rec[7].period_raw, "202303");
}

static void test_json_wide_sample_records(void **state)
{
    static const struct fc_want w[] = {
        {1, "p01", "revenue", "2023-Q1", 0, 1, 1500.25, NULL},
        {1, "p01", "tax", "2023-Q1", 0, 1, 88, NULL},
        {2, "p02", "revenue", "2023-Q1", 1, 0, 0, NULL},
        {2, "p02", "tax", "2023-Q1", 0, 1, 12, NULL},
        {3, "p03", "revenue", "2023-Q1", 1, 0, 0, NULL}, /* member absent */
        {3, "p03", "tax", "2023-Q1", 0, 1, 1000, NULL},
    };
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_file("json", wide_source, "parks_wide.json", &s, err, sizeof(err)), 0);
    fc_check_records(&s, w, TS_N(w));
    assert_string_equal(s.rec[5].raw, "{\"id\":\"p03\",\"tax\":\"1,000\"}");
}

static void test_json_wide_value_problem_stays_with_its_field(void **state)
{
    static const struct fc_want w[] = {
        {1, "p09", "revenue", "2023-Q1", 0, 0, 0, "value: not a number: \"xy\""},
        {1, "p09", "tax", "2023-Q1", 0, 1, 3, NULL},
    };
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(
        fc_read_str("json", wide_source,
                    "{\"parks\": [{\"id\": \"p09\", \"营业收入\": \"xy\", \"tax\": 3}]}", &s, err,
                    sizeof(err)),
        0);
    fc_check_records(&s, w, TS_N(w));
}

static void test_json_constant_unit_and_root_records(void **state)
{
    static const struct fc_want w[] = {
        {1, "p01", "revenue", "2024-12", 0, 1, 7, NULL},
        {2, "p01", "", "2024-12", 0, 1, 8, "indicator: no \"/k\" in record"},
        {3, "p01", "", "", 0, 0, 0, "indicator: no \"/k\" in record"}, /* first problem wins */
    };
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(
        fc_read_str("json",
                    "{\"mapping\": {\"records\": \"\", \"unit\": {\"const\": \"p01\"}, "
                    "\"indicator\": \"/k\", \"period\": \"/p\", \"value\": \"/v\"}}",
                    "[{\"k\": \"revenue\", \"p\": \"2024-12\", \"v\": 7},"
                    " {\"p\": \"2024-12\", \"v\": 8}, 42]",
                    &s, err, sizeof(err)),
        0);
    fc_check_records(&s, w, TS_N(w));
    assert_string_equal(s.rec[2].raw, "42");
}

/* Without mapping.unit the unit is "": the collector uses the request's unit. */
static void test_json_unmapped_unit_is_empty(void **state)
{
    static const struct fc_want w[] = {{1, "", "revenue", "2023-06", 0, 1, 2.5, NULL}};
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_str("json",
                                 "{\"mapping\": {\"records\": \"/d\", \"indicator\": \"/i\", "
                                 "\"period\": \"/p\", \"value\": \"/v\"}}",
                                 "{\"d\": [{\"i\": \"revenue\", \"p\": \"2023-06\", \"v\": 2.5}]}",
                                 &s, err, sizeof(err)),
                     0);
    fc_check_records(&s, w, TS_N(w));
}

static void test_json_pointer_escapes_and_indices(void **state)
{
    static const struct {
        const char *pointer;
        json_int_t expect; /* -1: absent */
    } rows[] = {
        {"/a~1b/m~0n/1/x", 5},
        {"/a~1b/m~0n/0", 1},
        {"/a~1b/m~0n/01", -1},
        {"/a~1b/m~0n/2", -1},
        {"/a~1b/m~0n/-", -1},
        {"/a~2b", -1},
        {"/", 9},
        {"a", -1},
        {"/~01", 3},
        {"/a~1b/m~0n/1/x/y", -1},
    };
    json_t *doc = json_loads("{\"a/b\": {\"m~n\": [1, {\"x\": 5}]}, \"\": 9, \"~1\": 3}", 0, NULL);

    (void)state;
    assert_non_null(doc);
    assert_ptr_equal(format_pointer_get(doc, ""), doc);
    for (size_t i = 0; i < TS_N(rows); i++) {
        json_t *v = format_pointer_get(doc, rows[i].pointer);
        if (rows[i].expect < 0 && v)
            fail_msg("%s: expected absent", rows[i].pointer);
        if (rows[i].expect >= 0 && json_integer_value(v) != rows[i].expect)
            fail_msg("%s: expected %lld", rows[i].pointer, (long long)rows[i].expect);
    }
    json_decref(doc);
}

static void test_json_number_forms(void **state)
{
    static const struct {
        const char *text;
        int rc;
        double value;
    } rows[] = {
        {"1,234.5", 0, 1234.5},
        {" 12 ", 0, 12},
        {"-3.5e2", 0, -350},
        {"+7", 0, 7},
        {"1,234,567", 0, 1234567},
        {"0.125", 0, 0.125},
        {"\t-0\n", 0, 0},
        {"", 1, 0},
        {"-", 1, 0},
        {"\xE2\x80\x94", 1, 0},
        {"\xE2\x80\x93", 1, 0},
        {"   ", 1, 0},
        {"abc", -EINVAL, 0},
        {"1,,234", -EINVAL, 0},
        {",5", -EINVAL, 0},
        {"5,", -EINVAL, 0},
        {"inf", -EINVAL, 0},
        {"nan", -EINVAL, 0},
        {"0x10", -EINVAL, 0},
        {"1e", -EINVAL, 0},
        {"12%", -EINVAL, 0},
        {"1 234", -EINVAL, 0},
        {"1e999", -EINVAL, 0},
        {"--1", -EINVAL, 0},
        {".", -EINVAL, 0},
    };

    (void)state;
    for (size_t i = 0; i < TS_N(rows); i++) {
        double v = -1;
        int rc = format_parse_value(rows[i].text, strlen(rows[i].text), NULL, &v, NULL, 0);
        rc = rc == FORMAT_VALUE_REJECT ? -EINVAL : rc; /* the table's codes */
        if (rc != rows[i].rc)
            fail_msg("'%s': rc %d, expected %d", rows[i].text, rc, rows[i].rc);
        if (rc == 0)
            assert_float_equal(v, rows[i].value, 1e-12);
    }
}

static void test_json_period_forms(void **state)
{
    static const struct {
        const char *text;
        const char *canonical; /* NULL: refused */
    } rows[] = {
        {"2023-01", "2023-01"},
        {"2023-M01", "2023-01"},
        {"202301", "2023-01"},
        {"2023-Q3", "2023-Q3"},
        {"2023", "2023"},
        {"2023-H1", "2023-H1"},
        {"2023-S2", "2023-H2"},
        {" 202312 ", "2023-12"},
        {"2023-m07", "2023-07"},
        {"2023-M13", NULL},
        {"202313", NULL},
        {"202300", NULL},
        {"2023-13", NULL},
        {"23-01", NULL},
        {"2023-Q5", NULL},
        {"0999-01", NULL},
        {"", NULL},
        {"2023-M1", "2023-01"}, /* agencies write 2020M1 (issue 11) */
    };

    (void)state;
    for (size_t i = 0; i < TS_N(rows); i++) {
        struct period p;
        char text[PERIOD_TEXT_SIZE];
        int rc = format_period_parse(rows[i].text, &p);
        if (!rows[i].canonical) {
            if (rc == 0)
                fail_msg("'%s' accepted", rows[i].text);
            continue;
        }
        if (rc != 0)
            fail_msg("'%s' refused", rows[i].text);
        assert_true(period_format(p, text, sizeof(text)) > 0);
        assert_string_equal(text, rows[i].canonical);
    }
}

static void test_json_bad_payloads_fail_with_place(void **state)
{
    (void)state;
    fc_expect_bad_payload("json", long_source, "{\"data\": [", "line 1 column");
    fc_expect_bad_payload("json", long_source, "{\"data\": {}}", "/data: expected an array");
    fc_expect_bad_payload("json", long_source, "{\"rows\": []}", "/data: not found");
    fc_expect_bad_payload("json", long_source, "42", "line 1");
    fc_expect_bad_payload("json", long_source, "{\"data\": []} x", "line 1");
    fc_expect_bad_payload("json", long_source, "\n\n  {\"data\": [1,]}", "line 3 column");
    fc_expect_bad_payload("json", long_source, "{\"data\": [{\"unit\": \"a\\u0000b\"}]}",
                          "line 1 column 30: \\u0000 is not allowed");
    fc_expect_bad_payload("json",
                          "{\"mapping\": {\"unit\": \"/u\", \"indicator\": \"/i\", \"period\": "
                          "\"/p\", \"value\": \"/v\"}}",
                          "{\"u\": 1}", "(root): expected an array");
}

static void test_json_empty_payload(void **state)
{
    struct fc_sink s = {0};
    char err[64] = "";

    (void)state;
    assert_int_equal(fc_read_str("json", long_source, "", &s, err, sizeof(err)), -EBADMSG);
    assert_string_equal(err, "empty payload");
    assert_int_equal(s.n, 0);
}

static void test_json_empty_array_reads_zero_records(void **state)
{
    struct fc_sink s = {0};
    char err[64] = "";

    (void)state;
    assert_int_equal(fc_read_str("json", long_source, "{\"data\": []}", &s, err, sizeof(err)), 0);
    assert_int_equal(s.n, 0);
}

static void test_json_record_field_of_wrong_type_is_a_problem(void **state)
{
    static const struct fc_want w[] = {
        {1, "", "revenue", "2023-01", 0, 1, 1, "unit at \"/park\": expected a string"},
        {2, "p01", "revenue", "2023-01", 0, 0, 0, "value: expected a number"},
        {3, "p01", "revenue", "2023-01", 0, 0, 0, "value: no \"/value\" in record"},
        {4, "p01", "revenue", "", 0, 1, 2, "period at \"/month\": expected a string"},
    };
    struct fc_sink s = {0};
    char err[64] = "";

    (void)state;
    assert_int_equal(
        fc_read_str(
            "json", long_source,
            "{\"data\": ["
            "{\"park\": [1], \"code\": \"revenue\", \"month\": \"2023-01\", \"value\": 1},"
            "{\"park\": \"p01\", \"code\": \"revenue\", \"month\": \"2023-01\", \"value\": {}},"
            "{\"park\": \"p01\", \"code\": \"revenue\", \"month\": \"2023-01\"},"
            "{\"park\": \"p01\", \"code\": \"revenue\", \"month\": 2023.5, \"value\": 2}]}",
            &s, err, sizeof(err)),
        0);
    fc_check_records(&s, w, TS_N(w));
}

static void test_json_raw_is_capped(void **state)
{
    size_t n = 5000;
    char *big = malloc(n + 200);
    struct fc_sink s = {0};
    char err[64] = "";
    int off;

    (void)state;
    assert_non_null(big);
    off = snprintf(big, n + 200,
                   "{\"data\": [{\"park\": \"p01\", \"code\": \"c\", \"month\": "
                   "\"2023\", \"value\": 1, \"note\": \"");
    static const char yuan[3] = {'\xE5', '\x9B', '\xAD'}; /* 园: the cap must not split it */
    for (size_t i = 0; i < n / 3; i++, off += 3)
        memcpy(big + off, yuan, sizeof(yuan));
    snprintf(big + off, n + 200 - (size_t)off, "\"}]}");
    assert_int_equal(fc_read_str("json", long_source, big, &s, err, sizeof(err)), 0);
    assert_int_equal(s.n, 1);
    assert_true(strlen(s.rec[0].raw) <= FORMAT_RAW_MAX);
    assert_true(strlen(s.rec[0].raw) > FORMAT_RAW_MAX - 4);
    assert_int_equal((strlen(s.rec[0].raw) - strlen("{\"park\":\"p01\",\"code\":\"c\",\"month\":"
                                                    "\"2023\",\"value\":1,\"note\":\"")) %
                         3,
                     0);
    free(big);
}

/* Records that do not ask get no text built; one that asks after a skipped
 * one gets its own text, not a stale one from the reused scratch. */
static void test_json_raw_only_when_asked_and_per_record(void **state)
{
    struct fc_sink s = {.raw_mask = 0x5}; /* records 1 and 3 */
    char err[256] = "";

    (void)state;
    assert_int_equal(
        fc_read_str("json", long_source,
                    "{\"data\": [{\"park\": \"p01\", \"code\": \"a\", \"month\": \"2023-01\", "
                    "\"value\": 1},"
                    "{\"park\": \"p02\", \"code\": \"a\", \"month\": \"2023-01\", \"value\": 2.5},"
                    "{\"park\": \"p03\", \"code\": \"a\", \"month\": \"2023-01\", \"value\": 3}]}",
                    &s, err, sizeof(err)),
        0);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.rec[0].raw,
                        "{\"park\":\"p01\",\"code\":\"a\",\"month\":\"2023-01\",\"value\":1}");
    assert_string_equal(s.rec[2].raw,
                        "{\"park\":\"p03\",\"code\":\"a\",\"month\":\"2023-01\",\"value\":3}");
}

/* Wide layout: the records of one item share one text, built once. */
static void test_json_wide_raw_shared_by_an_items_records(void **state)
{
    struct fc_sink s = {.raw_mask = 0xB}; /* p01 revenue and tax, p02 tax */
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_str("json", wide_source,
                                 "{\"parks\": [{\"id\": \"p01\", \"营业收入\": 1, \"tax\": 2},"
                                 " {\"id\": \"p02\", \"营业收入\": 3, \"tax\": 4}]}",
                                 &s, err, sizeof(err)),
                     0);
    assert_int_equal(s.n, 4);
    assert_string_equal(s.rec[0].raw, "{\"id\":\"p01\",\"营业收入\":1,\"tax\":2}");
    assert_ptr_equal(s.rec[1].raw_ptr, s.rec[0].raw_ptr);
    assert_string_equal(s.rec[3].raw, "{\"id\":\"p02\",\"营业收入\":3,\"tax\":4}");
}

static void test_json_callback_stops_reading(void **state)
{
    struct fc_sink s = {.stop_after = 2};
    char err[64] = "";

    (void)state;
    assert_int_equal(fc_read_file("json", long_source, "parks_long.json", &s, err, sizeof(err)), 7);
    assert_int_equal(s.n, 2);
}

static void test_json_mapping_errors_name_the_key(void **state)
{
    (void)state;
    fc_expect_config_error("xml", "{}", "unknown format \"xml\"");
    fc_expect_config_error("json", "{\"id\": \"x\"}", "mapping: required");
    fc_expect_config_error("json", "{\"mapping\": 3}", "mapping: expected object");
    fc_expect_config_error("json", "not json", "source: expected a JSON object");
    fc_expect_config_error("json",
                           "{\"mapping\": {\"unit\": \"/u\", \"indicator\": \"/i\", \"period\": "
                           "\"/p\", \"value\": \"value\"}}",
                           "mapping.value: expected a JSON Pointer");
    fc_expect_config_error("json",
                           "{\"mapping\": {\"unit\": \"/u\", \"indicator\": \"/i\", \"period\": "
                           "\"/p\", \"value\": {\"const\": \"1\"}}}",
                           "mapping.value: expected a JSON Pointer");
    fc_expect_config_error("json",
                           "{\"mapping\": {\"unit\": \"/u\", \"indicator\": \"/i\", \"period\": "
                           "\"/p\", \"value\": \"/v\", \"valeu\": \"/v\"}}",
                           "mapping: unknown key \"valeu\" (did you mean \"value\"?)");
    fc_expect_config_error(
        "json", "{\"mapping\": {\"unit\": \"/u\", \"period\": \"/p\", \"value\": \"/v\"}}",
        "mapping.indicator: required");
    fc_expect_config_error(
        "json", "{\"mapping\": {\"layout\": \"wide\", \"unit\": \"/u\", \"period\": \"/p\"}}",
        "mapping.fields: required");
    fc_expect_config_error("json",
                           "{\"mapping\": {\"layout\": \"wide\", \"unit\": \"/u\", \"period\": "
                           "\"/p\", \"fields\": {\"revenue\": \"rev\"}}}",
                           "mapping.fields.revenue: expected a JSON Pointer");
    fc_expect_config_error("json", "{\"mapping\": {\"layout\": \"tall\"}}", "mapping.layout");
    fc_expect_config_error("json",
                           "{\"mapping\": {\"layout\": \"wide\", \"unit\": \"/u\", \"period\": "
                           "\"/p\", \"fields\": {}}}",
                           "mapping.fields: expected a non-empty object");
}

/* format_new() takes a parsed mapping only for the format it was checked for. */
static void test_format_new_checks_the_mapping_it_is_given(void **state)
{
    struct config_mapping *m = NULL;
    struct format *fmt = NULL;
    char err[256] = "";

    (void)state;
    assert_int_equal(config_mapping_parse("csv",
                                          "{\"mapping\": {\"unit\": \"u\", \"indicator\": \"i\", "
                                          "\"period\": \"p\", \"value\": \"v\"}}",
                                          &m, err, sizeof(err)),
                     0);
    assert_int_equal(format_new(&fmt, "json", m, err, sizeof(err)), -EINVAL);
    assert_null(fmt);
    assert_non_null(strstr(err, "mapping: checked for format \"csv\", not \"json\""));
    assert_int_equal(format_new(&fmt, "csv", NULL, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "mapping: required for format \"csv\""));
    assert_int_equal(format_new(&fmt, "xml", m, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "unknown format \"xml\""));
    assert_int_equal(format_new(&fmt, "csv", m, err, sizeof(err)), 0);
    format_free(&fmt);
    config_mapping_free(&m);
    assert_null(m);
    config_mapping_free(&m); /* NULL: a no-op */
}

static void test_json_status_field_and_value_flags(void **state)
{
    /* "status": a field (a string; null or absent: none); value_flags reads
     * flags in string values; a status field wins over a flag */
    static const char *const src =
        "{\"mapping\": {\"records\": \"/data\", \"unit\": \"/park\", \"indicator\": \"/code\", "
        "\"period\": \"/month\", \"value\": \"/v\", \"status\": \"/s\", \"value_flags\": true}}";
    static const struct fc_want w[] = {
        {1, "p01", "revenue", "2024-01", 0, 1, 12.5, NULL},
        {2, "p01", "revenue", "2024-02", 0, 1, 13.5, NULL},
        {3, "p01", "revenue", "2024-03", 1, 0, 0, NULL},
        {4, "p02", "revenue", "2024-01", 1, 0, 0, NULL},
        {5, "p02", "revenue", "2024-02", 0, 1, 8, "status at \"/s\": expected a string or null"},
        {6, "p02", "revenue", "2024-03", 0, 1, 9.25, NULL},
        {7, "p03", "revenue", "2024-01", 0, 1, 1,
         "status \"estimated\": longer than 8 bytes at /data/6/s"},
    };
    static const char *const want[] = {"p", "e", "c", "c", "", "E", ""};
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_file("json", src, "status_field.json", &s, err, sizeof(err)), 0);
    fc_check_records(&s, w, TS_N(w));
    for (size_t i = 0; i < TS_N(want); i++)
        assert_string_equal(s.rec[i].status, want[i]);
    fc_expect_config_error("json",
                           "{\"mapping\": {\"unit\": \"/u\", \"indicator\": \"/i\", \"period\": "
                           "\"/p\", \"value\": \"/v\", \"status\": \"s\"}}",
                           "mapping.status: expected a JSON Pointer");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_long_sample_records),
        cmocka_unit_test(test_json_wide_sample_records),
        cmocka_unit_test(test_json_wide_value_problem_stays_with_its_field),
        cmocka_unit_test(test_json_constant_unit_and_root_records),
        cmocka_unit_test(test_json_unmapped_unit_is_empty),
        cmocka_unit_test(test_json_pointer_escapes_and_indices),
        cmocka_unit_test(test_json_number_forms),
        cmocka_unit_test(test_json_period_forms),
        cmocka_unit_test(test_json_bad_payloads_fail_with_place),
        cmocka_unit_test(test_json_empty_payload),
        cmocka_unit_test(test_json_empty_array_reads_zero_records),
        cmocka_unit_test(test_json_record_field_of_wrong_type_is_a_problem),
        cmocka_unit_test(test_json_raw_is_capped),
        cmocka_unit_test(test_json_raw_only_when_asked_and_per_record),
        cmocka_unit_test(test_json_wide_raw_shared_by_an_items_records),
        cmocka_unit_test(test_json_callback_stops_reading),
        cmocka_unit_test(test_json_mapping_errors_name_the_key),
        cmocka_unit_test(test_format_new_checks_the_mapping_it_is_given),
        cmocka_unit_test(test_json_status_field_and_value_flags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
