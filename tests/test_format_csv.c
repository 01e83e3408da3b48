/*
 * test_format_csv.c - the "csv" payload reader: header mapping (long and
 * wide), BOM, CRLF, quoted fields spanning lines, line positions, missing
 * markers, malformed rows and unreadable payloads.
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
    "{\"format\": \"csv\", \"mapping\": {\"unit\": \"park_id\", \"indicator\": \"指标代码\", "
    "\"period\": \"期别\", \"value\": \"数值\"}}";

static const char *const wide_source =
    "{\"mapping\": {\"layout\": \"wide\", \"unit\": \"park\", \"period\": \"period\", "
    "\"fields\": {\"revenue\": \"营业收入\", \"tax\": \"tax\"}}}";

static void test_csv_long_sample_with_bom_crlf_and_quotes(void **state)
{
    static const struct fc_want w[] = {
        {2, "p01", "revenue", "2023-01", 0, 1, 1234.5, NULL},
        {3, "p01", "tax", "2023-01", 0, 1, 1234.5, NULL},
        {5, "p02", "revenue", "2023-02", 1, 0, 0, NULL}, /* its note spans lines 5-6 */
        {7, "p02", "tax", "2023-02", 0, 0, 0, "value: not a number: \"abc\""},
        {9, "p03", "revenue", "2023-02", 0, 1, 77, NULL}, /* line 8 ",,,," skipped */
    };
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_file("csv", long_source, "parks_long.csv", &s, err, sizeof(err)), 0);
    fc_check_records(&s, w, TS_N(w));
    assert_string_equal(s.rec[0].raw, "p01,revenue,2023-01,1234.5,");
    assert_string_equal(s.rec[1].raw, "p01,tax,2023-01,\"1,234.5\",\"quoted, with comma\"");
    assert_string_equal(s.rec[2].raw, "p02,revenue,2023-M02,-,\"multi\r\nline note\"");
    assert_string_equal(s.rec[4].raw, "p03,revenue,2023-02,  77 ,\"said \"\"ok\"\"\"");
    assert_string_equal(s.rec[3].period_raw, "202302");
}

static void test_csv_wide_sample(void **state)
{
    static const struct fc_want w[] = {
        {2, "p01", "revenue", "2023-Q1", 0, 1, 1500.25, NULL},
        {2, "p01", "tax", "2023-Q1", 0, 1, 88, NULL},
        {3, "p02", "revenue", "2023-Q1", 1, 0, 0, NULL},
        {3, "p02", "tax", "2023-Q1", 0, 1, 12, NULL},
        {4, "p03", "revenue", "2023-Q2", 0, 1, 2000, NULL},
        {4, "p03", "tax", "2023-Q2", 1, 0, 0, NULL},
    };
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_file("csv", wide_source, "parks_wide.csv", &s, err, sizeof(err)), 0);
    fc_check_records(&s, w, TS_N(w));
}

static void test_csv_constants_delimiter_and_no_final_newline(void **state)
{
    static const struct fc_want w[] = {
        {2, "p07", "revenue", "2023-03", 0, 1, 1234.5, NULL},
        {3, "p07", "tax", "2023-04", 0, 1, -2, NULL},
    };
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(
        fc_read_str("csv",
                    "{\"mapping\": {\"delimiter\": \";\", \"unit\": {\"const\": \"p07\"}, "
                    "\"indicator\": \"code\", \"period\": \"month\", \"value\": \"v\"}}",
                    "code;month;v\nrevenue;2023-03;\"1,234.5\"\ntax;2023-M04;-2", &s, err,
                    sizeof(err)),
        0);
    fc_check_records(&s, w, TS_N(w));
}

/* Without mapping.unit the unit is "": the collector uses the request's unit. */
static void test_csv_unmapped_unit_is_empty(void **state)
{
    static const struct fc_want w[] = {{2, "", "tax", "2023-Q2", 0, 1, 9, NULL}};
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_str("csv",
                                 "{\"mapping\": {\"indicator\": \"i\", \"period\": \"p\", "
                                 "\"value\": \"v\"}}",
                                 "i,p,v\ntax,2023-Q2,9\n", &s, err, sizeof(err)),
                     0);
    fc_check_records(&s, w, TS_N(w));
}

static void test_csv_short_row_is_a_problem_at_its_line(void **state)
{
    static const struct fc_want w[] = {
        {3, "p01", "revenue", "", 0, 0, 0, "no field for column \"期别\" (the row has 2)"},
        {4, "p02", "tax", "2023-01", 0, 1, 3, NULL},
    };
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_str("csv", long_source,
                                 "park_id,指标代码,期别,数值\n\np01,revenue\np02,tax,2023-01,3\n",
                                 &s, err, sizeof(err)),
                     0);
    fc_check_records(&s, w, TS_N(w));
    assert_string_equal(s.rec[0].raw, "p01,revenue");
}

static void test_csv_missing_column_fails(void **state)
{
    (void)state;
    fc_expect_bad_payload("csv", long_source, "park_id,指标代码,期别,value\np01,r,2023,1\n",
                          "header: no column \"数值\"");
    fc_expect_bad_payload("csv", wide_source, "park,period,营业收入\np01,2023,1\n",
                          "header: no column \"tax\"");
}

static void test_csv_unreadable_payloads_fail(void **state)
{
    struct fc_sink s = {0};
    char err[64] = "";

    (void)state;
    fc_expect_bad_payload("csv", long_source, "\xEF\xBB\xBF", "header: no header row");
    fc_expect_bad_payload("csv", long_source, "\r\n\r\n", "header: no header row");
    fc_expect_bad_payload("csv", long_source, "park_id,指标代码,期别,数值\np01,x\"y,2023,1\n",
                          "line 2:");
    fc_expect_bad_payload("csv", long_source, "park_id,指标代码,期别,数值\np01,\"x\"y,2023,1\n",
                          "line 2:");
    fc_expect_bad_payload("csv", long_source, "park_id,指标代码,期别,数值\np01,r,2023,\"1\n\n",
                          "line 3:");
    assert_int_equal(fc_read_str("csv", long_source, "", &s, err, sizeof(err)), -EBADMSG);
    assert_string_equal(err, "empty payload");

    /* a header name longer than any column's (as a payload read in the
     * wrong encoding gives): refused, with the column */
    char *big = malloc(6000);
    assert_non_null(big);
    snprintf(big, 6000, "park_id,%04097d,期别\np01,2023\n", 0);
    fc_expect_bad_payload("csv", long_source, big, "header: column 2: a name over 4096 bytes");
    big[8 + 4096] = ','; /* 4096 bytes are a name, then an empty one */
    fc_expect_bad_payload("csv", long_source, big, "header: no column \"指标代码\"");
    free(big);
}

static void test_csv_header_only_reads_zero_records(void **state)
{
    struct fc_sink s = {0};
    char err[64] = "";

    (void)state;
    assert_int_equal(
        fc_read_str("csv", long_source, "数值,期别,指标代码,park_id\r\n", &s, err, sizeof(err)), 0);
    assert_int_equal(s.n, 0);
}

static void test_csv_callback_stops_reading(void **state)
{
    struct fc_sink s = {.stop_after = 3};
    char err[64] = "";

    (void)state;
    assert_int_equal(fc_read_file("csv", wide_source, "parks_wide.csv", &s, err, sizeof(err)), 7);
    assert_int_equal(s.n, 3);
}

static void test_csv_raw_is_capped(void **state)
{
    char buf[4096];
    struct fc_sink s = {0};
    char err[64] = "";
    int off = snprintf(buf, sizeof(buf), "park_id,指标代码,期别,数值,note\np01,r,2023,1,");

    (void)state;
    for (int i = 0; i < 2000; i++)
        buf[off++] = 'x';
    buf[off++] = '\n';
    buf[off] = '\0';
    assert_int_equal(fc_read_str("csv", long_source, buf, &s, err, sizeof(err)), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(strlen(s.rec[0].raw), FORMAT_RAW_MAX);
    assert_memory_equal(s.rec[0].raw, "p01,r,2023,1,xxx", 16);
}

/* Rows that do not ask get no text built; one that asks after a skipped
 * one gets its own row, not a stale one from the reused scratch. */
static void test_csv_raw_only_when_asked_and_per_row(void **state)
{
    struct fc_sink s = {.raw_mask = 0x5}; /* rows 1 and 3 */
    char err[256] = "";

    (void)state;
    assert_int_equal(
        fc_read_str("csv", long_source,
                    "park_id,指标代码,期别,数值\np01,a,2023-01,1\np02,a,2023-01,2\np03,a,"
                    "2023-01,\"3,000\"\n",
                    &s, err, sizeof(err)),
        0);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.rec[0].raw, "p01,a,2023-01,1");
    assert_string_equal(s.rec[2].raw, "p03,a,2023-01,\"3,000\"");
}

/* Wide layout: the records of one row share one text, built once. */
static void test_csv_wide_raw_shared_by_a_rows_records(void **state)
{
    struct fc_sink s = {.raw_mask = 0xB}; /* p01 revenue and tax, p02 tax */
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_str("csv", wide_source,
                                 "park,period,营业收入,tax\np01,2023-01,1,2\np02,2023-01,3,4\n", &s,
                                 err, sizeof(err)),
                     0);
    assert_int_equal(s.n, 4);
    assert_string_equal(s.rec[0].raw, "p01,2023-01,1,2");
    assert_ptr_equal(s.rec[1].raw_ptr, s.rec[0].raw_ptr);
    assert_string_equal(s.rec[3].raw, "p02,2023-01,3,4");
}

static void test_csv_mapping_errors_name_the_key(void **state)
{
    (void)state;
    fc_expect_config_error("csv", "{}", "mapping: required");
    fc_expect_config_error(
        "csv",
        "{\"mapping\": {\"unit\": \"u\", \"indicator\": \"i\", \"period\": \"p\", "
        "\"value\": \"\"}}",
        "mapping.value: expected a column name");
    fc_expect_config_error(
        "csv",
        "{\"mapping\": {\"unit\": \"u\", \"indicator\": \"i\", \"period\": \"p\", "
        "\"value\": \"v\", \"delimiter\": \";;\"}}",
        "mapping.delimiter");
    fc_expect_config_error(
        "csv",
        "{\"mapping\": {\"layout\": \"wide\", \"unit\": \"u\", \"period\": \"p\", "
        "\"fields\": {\"revenue\": 3}}}",
        "mapping.fields.revenue: expected a column name");
    fc_expect_config_error(
        "csv",
        "{\"mapping\": {\"layout\": \"wide\", \"unit\": \"u\", \"period\": \"p\", "
        "\"value\": \"v\", \"fields\": {\"r\": \"r\"}}}",
        "mapping: unknown key \"value\"");
}

/* Without date_period a date is the period of the source's frequency that
 * starts or ends that day; any other day is a problem (never a guess), and
 * date_period takes the period holding it. The JSON reader does the same. */
static void test_csv_dates_default_to_the_source_frequency(void **state)
{
    static const char *const map =
        "\"mapping\": {\"unit\": \"park\", \"indicator\": \"code\", \"period\": \"day\", "
        "\"value\": \"amount\"";
    static const struct fc_want quarters[] = {
        {2, "p01", "revenue", "2023-Q1", 0, 1, 10.5, NULL},
        {3, "p01", "revenue", "2023-Q2", 0, 1, 11, NULL},
        {4, "p01", "revenue", "", 0, 1, 12,
         "period \"2023-05-15\": not the first or last day of a period of frequency Q"},
        {5, "p01", "revenue", "2023-Q3", 0, 1, 13, NULL},
    };
    static const struct fc_want months[] = {
        {2, "p01", "revenue", "2023-01", 0, 1, 10.5, NULL},
        {3, "p01", "revenue", "2023-06", 0, 1, 11, NULL},
        {4, "p01", "revenue", "2023-05", 0, 1, 12, NULL},
        {5, "p01", "revenue", "2023-Q3", 0, 1, 13, NULL},
    };
    static const struct fc_want unknown[] = {
        {2, "p01", "revenue", "", 0, 1, 10.5,
         "period \"2023-01-01\": a date, and the frequency is not known"},
        {3, "p01", "revenue", "", 0, 1, 11, "a date, and the frequency is not known"},
        {4, "p01", "revenue", "", 0, 1, 12, "a date, and the frequency is not known"},
        {5, "p01", "revenue", "2023-Q3", 0, 1, 13, NULL},
    };
    static const struct fc_want json[] = {
        {1, "p01", "revenue", "2023-03", 0, 1, 4.5, NULL},
        {2, "p01", "revenue", "", 0, 1, 5,
         "period \"2023-03-02\": not the first or last day of a period of frequency M"},
    };
    char src[512], err[256] = "";
    struct fc_sink s = {0};

    (void)state;
    snprintf(src, sizeof(src), "{\"frequency\": \"Q\", %s}}", map);
    assert_int_equal(fc_read_file("csv", src, "dates_quarterly.csv", &s, err, sizeof(err)), 0);
    fc_check_records(&s, quarters, TS_N(quarters));
    snprintf(src, sizeof(src), "{\"frequency\": \"Q\", %s, \"date_period\": \"month\"}}", map);
    memset(&s, 0, sizeof(s));
    assert_int_equal(fc_read_file("csv", src, "dates_quarterly.csv", &s, err, sizeof(err)), 0);
    fc_check_records(&s, months, TS_N(months));
    snprintf(src, sizeof(src), "{%s}}", map);
    memset(&s, 0, sizeof(s));
    assert_int_equal(fc_read_file("csv", src, "dates_quarterly.csv", &s, err, sizeof(err)), 0);
    fc_check_records(&s, unknown, TS_N(unknown));
    memset(&s, 0, sizeof(s));
    assert_int_equal(
        fc_read_str("json",
                    "{\"frequency\": \"M\", \"mapping\": {\"unit\": \"/u\", \"indicator\": "
                    "\"/i\", \"period\": \"/d\", \"value\": \"/v\"}}",
                    "[{\"u\": \"p01\", \"i\": \"revenue\", \"d\": \"2023-03-31\", \"v\": 4.5},"
                    " {\"u\": \"p01\", \"i\": \"revenue\", \"d\": \"2023-03-02\", \"v\": 5}]",
                    &s, err, sizeof(err)),
        0);
    fc_check_records(&s, json, TS_N(json));
}

static void test_csv_status_column(void **state)
{
    /* "status": a column, through status_map ("P" is "p", "A" none); an
     * empty cell is no status; a missing value keeps its status */
    static const char *const src =
        "{\"mapping\": {\"unit\": \"park\", \"indicator\": \"code\", \"period\": \"month\", "
        "\"value\": \"amount\", \"status\": \"flag\", \"status_map\": {\"P\": \"p\", \"A\": "
        "\"\"}}}";
    static const struct fc_want w[] = {
        {2, "p01", "revenue", "2024-01", 0, 1, 12.5, NULL},
        {3, "p01", "revenue", "2024-02", 0, 1, 13, NULL},
        {4, "p01", "revenue", "2024-03", 1, 0, 0, NULL},
        {5, "p02", "revenue", "2024-01", 0, 1, 7.25, NULL},
        {6, "p02", "revenue", "2024-02", 0, 1, 8, "status \"provisional\": longer than 8 bytes"},
        {7, "p02", "revenue", "2024-03", 0, 1, 1234.5, NULL},
    };
    static const char *const want[] = {"p", "", "c", "p", "", ""};
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_file("csv", src, "status_column.csv", &s, err, sizeof(err)), 0);
    fc_check_records(&s, w, TS_N(w));
    for (size_t i = 0; i < TS_N(want); i++)
        assert_string_equal(s.rec[i].status, want[i]);
    /* a status column the header lacks refuses the payload like any column */
    fc_expect_bad_payload("csv",
                          "{\"mapping\": {\"unit\": \"park\", \"indicator\": \"code\", \"period\": "
                          "\"month\", \"value\": \"amount\", \"status\": \"OBS_STATUS\"}}",
                          "park,code,month,amount\np01,r,2024-01,1\n",
                          "header: no column \"OBS_STATUS\"");
}

static void test_csv_eurostat_flags_in_value_cells(void **state)
{
    /* Eurostat writes flags after the value in the same cell: "12.3 p",
     * ": c" (missing, confidential). Only with value_flags; "12 3" is never
     * a value with flag "3", "0.5p" is not a flag, "mn" is a suffix. */
    static const char *const src =
        "{\"mapping\": {\"layout\": \"wide\", \"delimiter\": \"\\t\", \"unit\": \"geo\", "
        "\"columns\": \"period\", \"indicator\": {\"const\": \"revenue\"}, \"value_flags\": "
        "true, \"suffixes\": {\"mn\": 1000000}}}";
    static const char *const plain =
        "{\"mapping\": {\"layout\": \"wide\", \"delimiter\": \"\\t\", \"unit\": \"geo\", "
        "\"columns\": \"period\", \"indicator\": {\"const\": \"revenue\"}}}";
    static const struct fc_want w[] = {
        {2, "p01", "revenue", "2021", 0, 1, 12.3, NULL},
        {2, "p01", "revenue", "2022", 1, 0, 0, NULL},
        {2, "p01", "revenue", "2023", 0, 1, 14, NULL},
        {3, "p02", "revenue", "2021", 1, 0, 0, NULL},
        {3, "p02", "revenue", "2022", 0, 1, 7.5, NULL},
        {3, "p02", "revenue", "2023", 0, 1, 8, NULL},
        {4, "p03", "revenue", "2021", 0, 0, 0, "value: not a number: \"12 3\""},
        {4, "p03", "revenue", "2022", 0, 1, 1.5, NULL},
        {4, "p03", "revenue", "2023", 1, 0, 0, NULL},
        {5, "p04", "revenue", "2021", 0, 1, 1234.5, NULL},
        {5, "p04", "revenue", "2022", 0, 0, 0, "value: not a number: \"0.5p\""},
        {5, "p04", "revenue", "2023", 0, 1, 12e6, NULL},
    };
    static const char *const want[] = {"p", "c", "", "", "e", "pe", "", "b", "", "u", "", ""};
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_file("csv", src, "eurostat_flags.tsv", &s, err, sizeof(err)), 0);
    fc_check_records(&s, w, TS_N(w));
    for (size_t i = 0; i < TS_N(want); i++)
        assert_string_equal(s.rec[i].status, want[i]);

    /* off by default: "12.3 p" is text after the number, ": c" not a marker */
    memset(&s, 0, sizeof(s));
    assert_int_equal(fc_read_file("csv", plain, "eurostat_flags.tsv", &s, err, sizeof(err)), 0);
    assert_int_equal(s.n, 12);
    assert_non_null(strstr(s.rec[0].problem, "text after the number: \" p\" (flags? read them with "
                                             "\"value_flags\")"));
    assert_non_null(strstr(s.rec[1].problem, "value: not a number: \": c\""));
    assert_string_equal(s.rec[0].status, "");
    assert_string_equal(s.rec[4].status, "");

    fc_expect_config_error("csv",
                           "{\"mapping\": {\"unit\": \"u\", \"indicator\": \"i\", \"period\": "
                           "\"p\", \"value\": \"v\", \"value_flags\": \"yes\"}}",
                           "mapping.value_flags");
    fc_expect_config_error("csv",
                           "{\"mapping\": {\"unit\": \"u\", \"indicator\": \"i\", \"period\": "
                           "\"p\", \"value\": \"v\", \"value_flag\": true}}",
                           "value_flag");
    fc_expect_config_error("csv",
                           "{\"mapping\": {\"layout\": \"wide\", \"unit\": \"u\", \"period\": "
                           "\"p\", \"fields\": {\"r\": \"r\"}, \"status\": \"s\"}}",
                           "mapping.status: only in the long layout");
    fc_expect_config_error("csv",
                           "{\"mapping\": {\"unit\": \"u\", \"indicator\": \"i\", \"period\": "
                           "\"p\", \"value\": \"v\", \"status\": \"\"}}",
                           "mapping.status: expected a column name");
    fc_expect_config_error("csv",
                           "{\"mapping\": {\"unit\": \"u\", \"indicator\": \"i\", \"period\": "
                           "\"p\", \"value\": \"v\", \"status_map\": {\"x\": \"\\u00e9\"}}}",
                           "mapping.status_map.x: expected a status");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_long_sample_with_bom_crlf_and_quotes),
        cmocka_unit_test(test_csv_wide_sample),
        cmocka_unit_test(test_csv_constants_delimiter_and_no_final_newline),
        cmocka_unit_test(test_csv_unmapped_unit_is_empty),
        cmocka_unit_test(test_csv_short_row_is_a_problem_at_its_line),
        cmocka_unit_test(test_csv_missing_column_fails),
        cmocka_unit_test(test_csv_unreadable_payloads_fail),
        cmocka_unit_test(test_csv_header_only_reads_zero_records),
        cmocka_unit_test(test_csv_callback_stops_reading),
        cmocka_unit_test(test_csv_raw_is_capped),
        cmocka_unit_test(test_csv_raw_only_when_asked_and_per_row),
        cmocka_unit_test(test_csv_wide_raw_shared_by_a_rows_records),
        cmocka_unit_test(test_csv_mapping_errors_name_the_key),
        cmocka_unit_test(test_csv_dates_default_to_the_source_frequency),
        cmocka_unit_test(test_csv_status_column),
        cmocka_unit_test(test_csv_eurostat_flags_in_value_cells),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
