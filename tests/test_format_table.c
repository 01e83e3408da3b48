/*
 * test_format_table.c - text tables as offices publish them, read by the
 * "csv" reader through format_table.c and the encoding layer: a GB18030
 * file with title and note rows, Excel's "Unicode text" (UTF-16LE with a
 * BOM, tabs), a GBK 统计月报 table with periods as columns, and the places
 * reported for invalid bytes. The fixtures are in tests/data/payloads.
 */
#include <errno.h>
#include <string.h>

#include "format_check.h"

#define GB_MAP(extra)                                                                                      \
    "{\"mapping\": {\"unit\": \"园区代码\", \"indicator\": \"指标代码\", \"period\": \"期别\", " \
    "\"value\": \"数值\"" extra "}}"

/* GB18030 with two title rows, a blank line and two note rows. */
static void test_gb18030_titles_and_notes(void **state)
{
    static const struct fc_want want[] = {
        {4, "p01", "revenue", "2023-01", 0, 1, 1234.5, NULL},
        {5, "p02", "revenue", "2023-01", 1, 0, 0, NULL},
        {7, "p01", "税收", "2023-02", 0, 1, 88, NULL},
        {8, "p03", "营业收入", "", 0, 1, 12, "period: not understood: \"2023-13\""},
    };
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_file("csv",
                                  GB_MAP(", \"encoding\": \"gb18030\", \"skip_rows\": 2, "
                                         "\"footnotes\": true"),
                                  "parks_gb18030.csv", &s, err, sizeof(err)),
                     0);
    fc_check_records(&s, want, sizeof(want) / sizeof(want[0]));
    /* the reject's raw text survives as UTF-8 */
    assert_string_equal(s.rec[3].raw, "p03,营业收入,2023-13,12");
    /* the header by its line instead of a count of rows: the same records */
    memset(&s, 0, sizeof(s));
    assert_int_equal(fc_read_file("csv",
                                  GB_MAP(", \"encoding\": \"GB18030\", \"header_row\": 3, "
                                         "\"footnotes\": [\"数据来源\", \"注：\"]"),
                                  "parks_gb18030.csv", &s, err, sizeof(err)),
                     0);
    fc_check_records(&s, want, sizeof(want) / sizeof(want[0]));
    /* without the note option the notes are rows, each with its problem */
    memset(&s, 0, sizeof(s));
    assert_int_equal(fc_read_file("csv", GB_MAP(", \"encoding\": \"gb18030\", \"skip_rows\": 2"),
                                  "parks_gb18030.csv", &s, err, sizeof(err)),
                     0);
    assert_int_equal(s.n, 6);
    assert_int_equal(s.rec[4].position, 9);
    assert_non_null(strstr(s.rec[4].problem, "no field for column"));
}

/* The same bytes read as something else are refused with the place. */
static void test_wrong_encoding_refused(void **state)
{
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    /* UTF-8 declared: 年 (GB18030 C4 EA) after "2023" on line 1 */
    assert_int_equal(fc_read_file("csv", GB_MAP(", \"encoding\": \"utf-8\", \"skip_rows\": 2"),
                                  "parks_gb18030.csv", &s, err, sizeof(err)),
                     -EBADMSG);
    assert_string_equal(err, "line 1 column 5: invalid UTF-8 byte 0xC4");
    assert_int_equal(s.n, 0);
    /* nothing declared: the header's GB18030 bytes match no column name */
    assert_int_equal(fc_read_file("csv", GB_MAP(", \"skip_rows\": 2"), "parks_gb18030.csv", &s, err,
                                  sizeof(err)),
                     -EBADMSG);
    assert_string_equal(err, "header: no column \"园区代码\"");
    /* an invalid byte in a data row: the payload is refused, nothing read */
    assert_int_equal(fc_read_str("csv",
                                 "{\"mapping\": {\"unit\": \"u\", \"indicator\": \"i\", "
                                 "\"period\": \"p\", \"value\": \"v\", \"encoding\": \"gbk\"}}",
                                 "u,i,p,v\np01,x\x81\x20,2023-01,1\n", &s, err, sizeof(err)),
                     -EBADMSG);
    assert_string_equal(err, "line 2 column 6: invalid GBK byte 0x81");
    assert_int_equal(s.n, 0);
}

/* Excel's "Unicode text": UTF-16LE with a BOM and tabs, nothing declared. */
static void test_utf16_unicode_text(void **state)
{
    static const struct fc_want want[] = {
        {2, "p01", "revenue", "2023-01", 0, 1, 1500.25, NULL},
        {2, "p01", "tax", "2023-01", 0, 1, 88, NULL},
        {3, "p02", "revenue", "2023-01", 1, 0, 0, NULL},
        {3, "p02", "tax", "2023-01", 0, 1, 1000, NULL},
    };
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_file("csv",
                                  "{\"mapping\": {\"layout\": \"wide\", \"delimiter\": \"\\t\", "
                                  "\"unit\": \"园区\", \"period\": \"期别\", \"fields\": "
                                  "{\"revenue\": \"营业收入\", \"tax\": \"税收\"}}}",
                                  "parks_utf16.txt", &s, err, sizeof(err)),
                     0);
    fc_check_records(&s, want, sizeof(want) / sizeof(want[0]));
}

/* A GBK 统计月报 table: units as rows, months as columns, a total row, a note. */
static void test_monthly_report_periods_as_columns(void **state)
{
    static const struct fc_want want[] = {
        {3, "p01", "revenue", "2023-01", 0, 1, 100, NULL},
        {3, "p01", "revenue", "2023-02", 0, 1, 1100.5, NULL},
        {3, "p01", "revenue", "2023-03", 1, 0, 0, NULL},
        {4, "p02", "revenue", "2023-01", 0, 1, 90, NULL},
        {4, "p02", "revenue", "2023-02", 0, 1, 95, NULL},
        {4, "p02", "revenue", "2023-03", 1, 0, 0, NULL},
        {5, "合计", "revenue", "2023-01", 0, 1, 190, NULL},
        {5, "合计", "revenue", "2023-02", 0, 1, 1195.5, NULL},
        {5, "合计", "revenue", "2023-03", 1, 0, 0, NULL},
    };
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_file("csv",
                                  "{\"mapping\": {\"layout\": \"wide\", \"columns\": \"period\", "
                                  "\"encoding\": \"gbk\", \"skip_rows\": 1, \"footnotes\": true, "
                                  "\"unit\": \"园区\", \"indicator\": {\"const\": \"revenue\"}}}",
                                  "monthly_report_gbk.csv", &s, err, sizeof(err)),
                     0);
    fc_check_records(&s, want, sizeof(want) / sizeof(want[0]));
    assert_string_equal(s.rec[6].raw, "合计,190,\"1,195.5\",");
}

/* Indicators as columns; a short CSV row is a problem, not a missing value. */
static void test_indicator_columns_short_row(void **state)
{
    static const struct fc_want want[] = {
        {2, "p01", "revenue", "2023-01", 0, 1, 1, NULL},
        {2, "p01", "tax", "2023-01", 0, 1, 2, NULL},
        {3, "p02", "revenue", "2023-01", 0, 1, 3, NULL},
        {3, "p02", "tax", "2023-01", 0, 0, 0, "no field for column \"tax\" (the row has 3)"},
    };
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_str("csv",
                                 "{\"mapping\": {\"layout\": \"wide\", \"columns\": "
                                 "\"indicator\", \"unit\": \"unit\", \"period\": \"month\"}}",
                                 "unit,month,revenue,tax\np01,2023-01,1,2\np02,2023-01,3\n", &s,
                                 err, sizeof(err)),
                     0);
    fc_check_records(&s, want, sizeof(want) / sizeof(want[0]));
    /* every row skipped: no header */
    assert_int_equal(fc_read_str("csv",
                                 "{\"mapping\": {\"layout\": \"wide\", \"columns\": "
                                 "\"indicator\", \"unit\": \"unit\", \"period\": \"month\", "
                                 "\"skip_rows\": 5}}",
                                 "unit,month,revenue,tax\np01,2023-01,1,2\n", &s, err, sizeof(err)),
                     -EBADMSG);
    assert_string_equal(err, "header: no header row");
}

/* The mapping's table options are checked where they are. */
static void test_options_checked(void **state)
{
    (void)state;
    fc_expect_config_error("csv",
                           "{\"mapping\": {\"unit\": \"u\", \"indicator\": \"i\", \"period\": "
                           "\"p\", \"value\": \"v\", \"encoding\": \"big5\"}}",
                           "mapping.encoding: bad encoding \"big5\" (expected utf-8, gb18030, "
                           "gbk, utf-16le or utf-16be)");
    fc_expect_config_error("csv",
                           "{\"mapping\": {\"unit\": \"u\", \"indicator\": \"i\", \"period\": "
                           "\"p\", \"value\": \"v\", \"skip_rows\": 1, \"header_row\": 2}}",
                           "mapping.header_row: give header_row or skip_rows, not both");
    fc_expect_config_error("csv",
                           "{\"mapping\": {\"layout\": \"wide\", \"unit\": \"u\", \"period\": "
                           "\"p\", \"columns\": \"indicator\", \"fields\": {\"a\": \"b\"}}}",
                           "mapping.fields: give fields or columns, not both");
    fc_expect_config_error("csv",
                           "{\"mapping\": {\"layout\": \"wide\", \"unit\": \"u\", \"period\": "
                           "\"p\", \"columns\": \"period\", \"indicator\": \"i\"}}",
                           "mapping.period: not with \"columns\": \"period\"");
    fc_expect_config_error("csv",
                           "{\"mapping\": {\"unit\": \"u\", \"indicator\": \"i\", \"period\": "
                           "\"p\", \"value\": \"v\", \"footnotes\": [\"\"]}}",
                           "mapping.footnotes[0]: expected a non-empty text");
    fc_expect_config_error("xlsx",
                           "{\"mapping\": {\"unit\": \"u\", \"indicator\": \"i\", \"period\": "
                           "\"p\", \"value\": \"v\", \"encoding\": \"gbk\"}}",
                           "mapping: unknown key \"encoding\"");
    fc_expect_config_error("xlsx",
                           "{\"mapping\": {\"unit\": \"u\", \"indicator\": \"i\", \"period\": "
                           "\"p\", \"value\": \"v\", \"sheet\": 0}}",
                           "mapping.sheet: ");
    fc_expect_config_error("json",
                           "{\"mapping\": {\"unit\": \"/u\", \"indicator\": \"/i\", \"period\": "
                           "\"/p\", \"value\": \"/v\", \"skip_rows\": 1}}",
                           "mapping: unknown key \"skip_rows\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gb18030_titles_and_notes),
        cmocka_unit_test(test_wrong_encoding_refused),
        cmocka_unit_test(test_utf16_unicode_text),
        cmocka_unit_test(test_monthly_report_periods_as_columns),
        cmocka_unit_test(test_indicator_columns_short_row),
        cmocka_unit_test(test_options_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
