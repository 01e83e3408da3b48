/*
 * test_format_xlsx.c - the "xlsx" reader (collectors/xlsx.c, format_xlsx.c,
 * format_table.c). Workbooks are built here part by part with libzip, so
 * each test says exactly which XML the reader meets: shared and inline
 * strings, numbers stored as text, merged header cells, date serials in
 * both date systems, missing cells and rows.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zip.h>

#include "collectors/xlsx.h"
#include "format_check.h"

#define NS  "xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\""
#define RNS "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\""
#define REL "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"

/* A styles part: xf 0 general, xf 1 a built-in date (14), xf 2 a custom
 * Chinese date format, xf 3 a plain number format (0.0). */
static const char styles[] =
    "<styleSheet " NS "><numFmts count=\"2\"><numFmt numFmtId=\"164\" "
    "formatCode=\"yyyy&quot;年&quot;m&quot;月&quot;\"/><numFmt numFmtId=\"165\" "
    "formatCode=\"0.0;[Red]\\-0.0\"/></numFmts>"
    "<cellStyleXfs count=\"1\"><xf numFmtId=\"14\"/></cellStyleXfs>"
    "<cellXfs count=\"4\"><xf numFmtId=\"0\"/><xf numFmtId=\"14\"/><xf numFmtId=\"164\"/>"
    "<xf numFmtId=\"165\"/></cellXfs></styleSheet>";

/* Builds an .xlsx in memory: sheets named names[i] with XML sheets[i], the
 * shared strings sst (NULL: none) and date1904. Returns malloc'd bytes. */
static char *build(const char *const *names, const char *const *sheets, size_t n, const char *sst,
                   int date1904, size_t *len)
{
    zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, NULL);
    zip_t *z;
    char wb[2048], rels[2048], part[64];
    size_t o = 0, r = 0;
    zip_stat_t st;
    char *out;

    assert_non_null(src);
    zip_source_keep(src);
    assert_non_null(z = zip_open_from_source(src, ZIP_TRUNCATE, NULL));
    o +=
        (size_t)snprintf(wb + o, sizeof(wb) - o, "<workbook " NS " " RNS "><workbookPr%s/><sheets>",
                         date1904 ? " date1904=\"1\"" : "");
    r += (size_t)snprintf(rels + r, sizeof(rels) - r,
                          "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/"
                          "relationships\"><Relationship Id=\"rIdS\" Type=\"" REL
                          "styles\" Target=\"styles.xml\"/>%s",
                          sst ? "<Relationship Id=\"rIdT\" Type=\"" REL
                                "sharedStrings\" Target=\"/xl/sharedStrings.xml\"/>"
                              : "");
    for (size_t i = 0; i < n; i++) {
        zip_source_t *s = zip_source_buffer(z, sheets[i], strlen(sheets[i]), 0);
        o += (size_t)snprintf(wb + o, sizeof(wb) - o,
                              "<sheet name=\"%s\" sheetId=\"%zu\" r:id=\"rId%zu\"/>", names[i],
                              i + 1, i + 1);
        r += (size_t)snprintf(rels + r, sizeof(rels) - r,
                              "<Relationship Id=\"rId%zu\" Type=\"" REL
                              "worksheet\" Target=\"worksheets/s%zu.xml\"/>",
                              i + 1, i + 1);
        snprintf(part, sizeof(part), "xl/worksheets/s%zu.xml", i + 1);
        assert_true(zip_file_add(z, part, s, 0) >= 0);
    }
    snprintf(wb + o, sizeof(wb) - o, "</sheets></workbook>");
    snprintf(rels + r, sizeof(rels) - r, "</Relationships>");
    assert_true(zip_file_add(z, "xl/workbook.xml", zip_source_buffer(z, wb, strlen(wb), 0), 0) >=
                0);
    assert_true(zip_file_add(z, "xl/_rels/workbook.xml.rels",
                             zip_source_buffer(z, rels, strlen(rels), 0), 0) >= 0);
    assert_true(
        zip_file_add(z, "xl/styles.xml", zip_source_buffer(z, styles, strlen(styles), 0), 0) >= 0);
    if (sst)
        assert_true(zip_file_add(z, "xl/sharedStrings.xml",
                                 zip_source_buffer(z, sst, strlen(sst), 0), 0) >= 0);
    assert_int_equal(zip_close(z), 0);
    assert_int_equal(zip_source_stat(src, &st), 0);
    assert_int_equal(zip_source_open(src), 0);
    out = malloc(st.size + 1);
    assert_non_null(out);
    assert_int_equal(zip_source_read(src, out, st.size), (zip_int64_t)st.size);
    zip_source_close(src);
    zip_source_free(src);
    *len = st.size;
    return out;
}

static int read_one(const char *source, const char *sheet, const char *sst, int date1904,
                    struct fc_sink *s, char *err, size_t errsize)
{
    const char *names[] = {"Sheet1"};
    size_t len;
    char *x = build(names, &sheet, 1, sst, date1904, &len);
    int rc = fc_read_buf("xlsx", source, x, len, s, err, errsize);

    free(x);
    return rc;
}

/* Long layout: shared strings (rich text runs joined, phonetic runs left
 * out), inline strings, numbers stored as text, a formula's string result,
 * cells without references, an error value and a boolean as problems. */
static void test_long_cells(void **state)
{
    static const char sst[] =
        "<sst " NS " count=\"6\"><si><t>park</t></si><si><t>code</t></si><si><t>month</t></si>"
        "<si><t>value</t></si><si><r><t>p</t></r><r><t xml:space=\"preserve\">01</t></r>"
        "<rPh><t>ピー</t></rPh></si><si><t>1,234.5</t></si></sst>";
    static const char sheet[] =
        "<worksheet " NS "><sheetData>"
        "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>1</v></c>"
        "<c r=\"C1\" t=\"s\"><v>2</v></c><c r=\"D1\" t=\"s\"><v>3</v></c></row>"
        "<row r=\"3\"><c r=\"A3\" t=\"s\"><v>4</v></c><c r=\"B3\" "
        "t=\"inlineStr\"><is><t>revenue</t>"
        "</is></c><c r=\"C3\" t=\"inlineStr\"><is><t>2023-01</t></is></c><c r=\"D3\" s=\"3\"><v>"
        "1500.25</v></c></row>"
        "<row r=\"4\"><c t=\"s\"><v>4</v></c><c t=\"str\"><f>\"tax\"</f><v>tax</v></c>"
        "<c t=\"inlineStr\"><is><t>202302</t></is></c><c t=\"s\"><v>5</v></c></row>"
        "<row r=\"5\"><c r=\"A5\" t=\"s\"><v>4</v></c><c r=\"B5\" t=\"inlineStr\"><is><t>tax</t>"
        "</is></c><c r=\"C5\" t=\"inlineStr\"><is><t>2023-03</t></is></c><c r=\"D5\" t=\"e\"><v>"
        "#N/A</v></c></row>"
        "<row r=\"6\"><c r=\"A6\" t=\"s\"><v>4</v></c><c r=\"B6\" t=\"inlineStr\"><is><t>tax</t>"
        "</is></c><c r=\"C6\" t=\"inlineStr\"><is><t>2023-04</t></is></c><c r=\"D6\" t=\"b\"><v>"
        "1</v></c></row>"
        "<row r=\"7\"><c r=\"A7\" t=\"s\"><v>4</v></c><c r=\"B7\" t=\"inlineStr\"><is><t>tax</t>"
        "</is></c><c r=\"C7\" t=\"inlineStr\"><is><t>2023-05</t></is></c><c r=\"D7\"/></row>"
        "</sheetData></worksheet>";
    static const struct fc_want want[] = {
        {3, "p01", "revenue", "2023-01", 0, 1, 1500.25, NULL},
        {4, "p01", "tax", "2023-02", 0, 1, 1234.5, NULL},
        {5, "p01", "tax", "2023-03", 0, 0, 0, "not a number: \"#N/A\""},
        {6, "p01", "tax", "2023-04", 0, 0, 0, "not a number: \"TRUE\""},
        {7, "p01", "tax", "2023-05", 1, 0, 0, NULL},
    };
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(read_one("{\"mapping\": {\"unit\": \"park\", \"indicator\": \"code\", "
                              "\"period\": \"month\", \"value\": \"value\"}}",
                              sheet, sst, 0, &s, err, sizeof(err)),
                     0);
    fc_check_records(&s, want, sizeof(want) / sizeof(want[0]));
    assert_string_equal(s.rec[1].raw, "p01,tax,202302,\"1,234.5\"");
}

/* A 统计月报 table: a merged title, a two-row header with merged cells
 * (营业收入 over 本月 and 累计), units as rows, a merged note at the end. */
static void test_monthly_report_merged(void **state)
{
    static const char sheet[] =
        "<worksheet " NS "><sheetData>"
        "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>2023年3月各园区主要经济指标</t></is></c>"
        "</row>"
        "<row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>园区</t></is></c><c r=\"B2\" "
        "t=\"inlineStr\"><is><t>营业收入</t></is></c><c r=\"D2\" t=\"inlineStr\"><is><t>税收</t>"
        "</is></c></row>"
        "<row r=\"3\"><c r=\"B3\" t=\"inlineStr\"><is><t>本月</t></is></c><c r=\"C3\" "
        "t=\"inlineStr\"><is><t>累计</t></is></c><c r=\"D3\" t=\"inlineStr\"><is><t>本月</t></is>"
        "</c><c r=\"E3\" t=\"inlineStr\"><is><t>累计</t></is></c></row>"
        "<row r=\"4\"><c r=\"A4\" t=\"inlineStr\"><is><t>p01</t></is></c><c r=\"B4\"><v>12.5</v>"
        "</c><c r=\"C4\"><v>30</v></c><c r=\"D4\" t=\"inlineStr\"><is><t>1,002</t></is></c>"
        "<c r=\"E4\" t=\"inlineStr\"><is><t>—</t></is></c></row>"
        "<row r=\"5\"><c r=\"A5\" t=\"inlineStr\"><is><t>p02</t></is></c><c r=\"B5\"><v>7</v></c>"
        "<c r=\"C5\"><v>1.5E1</v></c><c r=\"D5\"><v>-2</v></c><c r=\"E5\"><v>0</v></c></row>"
        "<row r=\"7\"><c r=\"A7\" t=\"inlineStr\"><is><t>注：本表为快报数。</t></is></c></row>"
        "</sheetData><mergeCells count=\"5\"><mergeCell ref=\"A1:E1\"/><mergeCell ref=\"A2:A3\"/>"
        "<mergeCell ref=\"B2:C2\"/><mergeCell ref=\"D2:E2\"/><mergeCell ref=\"A7:E7\"/>"
        "</mergeCells></worksheet>";
    static const struct fc_want want[] = {
        {4, "p01", "营业收入/本月", "2023-03", 0, 1, 12.5, NULL},
        {4, "p01", "营业收入/累计", "2023-03", 0, 1, 30, NULL},
        {4, "p01", "税收/本月", "2023-03", 0, 1, 1002, NULL},
        {4, "p01", "税收/累计", "2023-03", 1, 0, 0, NULL},
        {5, "p02", "营业收入/本月", "2023-03", 0, 1, 7, NULL},
        {5, "p02", "营业收入/累计", "2023-03", 0, 1, 15, NULL},
        {5, "p02", "税收/本月", "2023-03", 0, 1, -2, NULL},
        {5, "p02", "税收/累计", "2023-03", 0, 1, 0, NULL},
    };
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(read_one("{\"mapping\": {\"layout\": \"wide\", \"columns\": \"indicator\", "
                              "\"skip_rows\": 1, \"header_rows\": 2, \"unit\": \"园区\", "
                              "\"period\": {\"const\": \"2023-03\"}, \"footnotes\": true}}",
                              sheet, NULL, 0, &s, err, sizeof(err)),
                     0);
    fc_check_records(&s, want, sizeof(want) / sizeof(want[0]));
    /* without the note option the note row is data: a unit with no values */
    memset(&s, 0, sizeof(s));
    assert_int_equal(read_one("{\"mapping\": {\"layout\": \"wide\", \"columns\": \"indicator\", "
                              "\"header_row\": 2, \"header_rows\": 2, \"unit\": \"园区\", "
                              "\"period\": {\"const\": \"2023-03\"}}}",
                              sheet, NULL, 0, &s, err, sizeof(err)),
                     0);
    assert_int_equal(s.n, 12);
    assert_string_equal(s.rec[8].unit, "注：本表为快报数。");
}

/* Periods as columns: date serials under a date format are days, taken as
 * the month holding them; the 1904 date system shifts serials by 1462. */
static void test_periods_as_date_columns(void **state)
{
    /* 44957 = 2023-01-31, 44985 = 2023-02-28 (1900 system) */
    static const char sheet1900[] =
        "<worksheet " NS "><sheetData>"
        "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>unit</t></is></c><c r=\"B1\" s=\"1\">"
        "<v>44957</v></c><c r=\"C1\" s=\"2\"><v>44985.5</v></c><c r=\"D1\" s=\"3\"><v>44985</v>"
        "</c></row>"
        "<row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>p01</t></is></c><c r=\"B2\"><v>1</v></c>"
        "<c r=\"C2\"><v>2</v></c><c r=\"D2\"><v>3</v></c></row>"
        "</sheetData></worksheet>";
    static const char sheet1904[] =
        "<worksheet " NS "><sheetData>"
        "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>unit</t></is></c><c r=\"B1\" s=\"1\">"
        "<v>43495</v></c></row>"
        "<row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>p01</t></is></c><c r=\"B2\"><v>9</v></c>"
        "</row></sheetData></worksheet>";
    static const char map[] = "{\"mapping\": {\"layout\": \"wide\", \"columns\": \"period\", "
                              "\"unit\": \"unit\", \"indicator\": {\"const\": \"revenue\"}, "
                              "\"date_period\": \"month\"}}";
    static const struct fc_want want[] = {
        {2, "p01", "revenue", "2023-01", 0, 1, 1, NULL},
        {2, "p01", "revenue", "2023-02", 0, 1, 2, NULL},
        /* D1 is a plain number format: 44985 is no period */
        {2, "p01", "revenue", "", 0, 1, 3, "period: not understood: \"44985\""},
    };
    static const struct fc_want want1904[] = {{2, "p01", "revenue", "2023-01", 0, 1, 9, NULL}};
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(read_one(map, sheet1900, NULL, 0, &s, err, sizeof(err)), 0);
    fc_check_records(&s, want, sizeof(want) / sizeof(want[0]));
    assert_string_equal(s.rec[0].period_raw, "2023-01-31");
    memset(&s, 0, sizeof(s));
    /* 43495 in the 1904 system is 43495 + 1462 = 44957 in the 1900 one */
    assert_int_equal(read_one(map, sheet1904, NULL, 1, &s, err, sizeof(err)), 0);
    fc_check_records(&s, want1904, 1);
}

/* A sheet by name or by position; a missing one names those there are. */
static void test_sheet_choice(void **state)
{
    static const char a[] = "<worksheet " NS "><sheetData><row r=\"1\"><c t=\"inlineStr\"><is>"
                            "<t>k</t></is></c><c t=\"inlineStr\"><is><t>v</t></is></c></row>"
                            "<row r=\"2\"><c t=\"inlineStr\"><is><t>a</t></is></c><c><v>1</v>"
                            "</c></row></sheetData></worksheet>";
    static const char b[] = "<worksheet " NS "><sheetData><row r=\"1\"><c t=\"inlineStr\"><is>"
                            "<t>k</t></is></c><c t=\"inlineStr\"><is><t>v</t></is></c></row>"
                            "<row r=\"9\"><c t=\"inlineStr\"><is><t>b</t></is></c><c><v>2</v>"
                            "</c></row></sheetData></worksheet>";
    const char *names[] = {"Index", "Data1"}, *sheets[] = {a, b};
    size_t len;
    char *x = build(names, sheets, 2, NULL, 0, &len);
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(
        fc_read_buf("xlsx",
                    "{\"mapping\": {\"sheet\": \"Data1\", \"unit\": \"k\", \"indicator\": "
                    "{\"const\": \"i\"}, \"period\": {\"const\": \"2023\"}, \"value\": "
                    "\"v\"}}",
                    x, len, &s, err, sizeof(err)),
        0);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.rec[0].unit, "b");
    assert_int_equal(s.rec[0].position, 9);
    memset(&s, 0, sizeof(s));
    assert_int_equal(
        fc_read_buf("xlsx",
                    "{\"mapping\": {\"unit\": \"k\", \"indicator\": {\"const\": \"i\"}, "
                    "\"period\": {\"const\": \"2023\"}, \"value\": \"v\"}}",
                    x, len, &s, err, sizeof(err)),
        0);
    assert_string_equal(s.rec[0].unit, "a");
    assert_int_equal(
        fc_read_buf("xlsx",
                    "{\"mapping\": {\"sheet\": \"Data\", \"unit\": \"k\", \"indicator\": "
                    "{\"const\": \"i\"}, \"period\": {\"const\": \"2023\"}, \"value\": "
                    "\"v\"}}",
                    x, len, &s, err, sizeof(err)),
        -EBADMSG);
    assert_string_equal(err, "sheet \"Data\": not in the workbook (it has: Index, Data1)");
    assert_int_equal(
        fc_read_buf("xlsx",
                    "{\"mapping\": {\"sheet\": 3, \"unit\": \"k\", \"indicator\": "
                    "{\"const\": \"i\"}, \"period\": {\"const\": \"2023\"}, \"value\": "
                    "\"v\"}}",
                    x, len, &s, err, sizeof(err)),
        -EBADMSG);
    assert_string_equal(err, "sheet 3: the workbook has 2");
    free(x);
}

/* Broken workbooks are refused with the place. */
static void test_bad_workbooks(void **state)
{
    static const char map[] = "{\"mapping\": {\"unit\": \"k\", \"indicator\": {\"const\": \"i\"}, "
                              "\"period\": {\"const\": \"2023\"}, \"value\": \"v\"}}";
    static const char broken[] = "<worksheet " NS "><sheetData><row r=\"1\"><c><v>1</v></c>\n"
                                 "<row></sheetData></worksheet>";
    static const char bad_sst[] = "<worksheet " NS "><sheetData><row r=\"2\"><c r=\"B2\" t=\"s\">"
                                  "<v>7</v></c></row></sheetData></worksheet>";
    static const char bad_ref[] = "<worksheet " NS "><sheetData><row r=\"2\"><c r=\"ZZZZ2\">"
                                  "<v>7</v></c></row></sheetData></worksheet>";
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(fc_read_str("xlsx", map, "k,v\na,1\n", &s, err, sizeof(err)), -EBADMSG);
    assert_non_null(strstr(err, "not an .xlsx workbook (zip: "));
    assert_int_equal(read_one(map, broken, NULL, 0, &s, err, sizeof(err)), -EBADMSG);
    assert_non_null(strstr(err, "xl/worksheets/s1.xml: line 2: "));
    assert_int_equal(
        read_one(map, bad_sst, "<sst " NS "><si><t>x</t></si></sst>", 0, &s, err, sizeof(err)),
        -EBADMSG);
    assert_string_equal(err, "xl/worksheets/s1.xml: row 2 cell B2: shared string \"7\" of 1");
    assert_int_equal(read_one(map, bad_ref, NULL, 0, &s, err, sizeof(err)), -EBADMSG);
    assert_string_equal(err, "xl/worksheets/s1.xml: row 2: cell reference \"ZZZZ2\"");
    assert_int_equal(s.n, 0);

    /* a row whose shared strings make it more than the 64 MiB a row may
     * hold: 63 cells of 1 MiB (with their NULs), then one of 1 MiB + 100 */
    char *sst = malloc((2 << 20) + 512), *wide = malloc(64 * 32 + 128);
    size_t n;
    assert_true(sst && wide);
    n = (size_t)snprintf(sst, 128, "<sst " NS "><si><t>");
    memset(sst + n, 'x', (1 << 20) - 1);
    n += (1 << 20) - 1;
    n += (size_t)snprintf(sst + n, 64, "</t></si><si><t>");
    memset(sst + n, 'y', (1 << 20) + 100);
    n += (1 << 20) + 100;
    snprintf(sst + n, 64, "</t></si></sst>");
    n = (size_t)snprintf(wide, 128, "<worksheet " NS "><sheetData><row r=\"1\">");
    for (int c = 0; c < 64; c++)
        n += (size_t)snprintf(wide + n, 32, "<c t=\"s\"><v>%d</v></c>", c == 63);
    snprintf(wide + n, 128, "</row></sheetData></worksheet>");
    assert_int_equal(read_one(map, wide, sst, 0, &s, err, sizeof(err)), -EBADMSG);
    assert_string_equal(err, "xl/worksheets/s1.xml: row 1: more than 67108864 bytes of text");
    free(sst);
    free(wide);

    /* bytes the sheet's declared encoding cannot convert: libxml2's reason */
    char *sheet = malloc(9000);
    n = (size_t)snprintf(sheet, 9000,
                         "<?xml version=\"1.0\" encoding=\"EUC-JP\"?>\n<worksheet " NS
                         "><sheetData>\n");
    while (n < 6000)
        n += (size_t)snprintf(sheet + n, 9000 - n,
                              "<row><c t=\"inlineStr\"><is><t>a</t></is>"
                              "</c></row>\n");
    snprintf(sheet + n, 9000 - n,
             "<row><c t=\"inlineStr\"><is><t>\xC6\x11</t></is></c></row>"
             "</sheetData></worksheet>");
    assert_int_equal(read_one(map, sheet, NULL, 0, &s, err, sizeof(err)), -EBADMSG);
    free(sheet);
    if (!strstr(err, "xl/worksheets/s1.xml: line ") ||
        !strstr(err, "input conversion failed due to input error, bytes 0xC6 0x11"))
        fail_msg("%s", err);
}

/* The observation status: a "status" column (inline strings), and flags
 * written in a value cell stored as text ("12.3 p", ": c") with value_flags;
 * a number cell has no flags. */
#define IS(ref, text) "<c r=\"" ref "\" t=\"inlineStr\"><is><t>" text "</t></is></c>"
static void test_status_column_and_flags(void **state)
{
    static const char sheet[] =
        "<worksheet " NS "><sheetData>"
        "<row r=\"1\">" IS("A1", "park") IS("B1", "month") IS("C1", "value") IS(
            "D1",
            "status") "</row>"
                      "<row r=\"2\">" IS("A2", "p01")
                          IS("B2", "2024-01") "<c r=\"C2\"><v>12.5</v></c>" IS(
                              "D2",
                              "p") "</row>"
                                   "<row r=\"3\">" IS("A3", "p01") IS("B3", "2024-02") IS(
                                       "C3",
                                       "13.25 e") "</row>"
                                                  "<row r=\"4\">" IS("A4", "p01") IS(
                                                      "B4", "2024-03") IS("C4", ": c")
                                                      IS("D4",
                                                         "") "</row>"
                                                             "<row r=\"5\">" IS("A5", "p02") IS(
                                                                 "B5", "2024-01") IS("C5", "7 p")
                                                                 IS("D5",
                                                                    "E") "</row>"
                                                                         "</sheetData></worksheet>";
    static const struct fc_want want[] = {
        {2, "p01", "rev", "2024-01", 0, 1, 12.5, NULL},
        {3, "p01", "rev", "2024-02", 0, 1, 13.25, NULL},
        {4, "p01", "rev", "2024-03", 1, 0, 0, NULL},
        {5, "p02", "rev", "2024-01", 0, 1, 7, NULL},
    };
    static const char *const status[] = {"p", "e", "c", "E"};
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(read_one("{\"mapping\": {\"unit\": \"park\", \"indicator\": {\"const\": "
                              "\"rev\"}, \"period\": \"month\", \"value\": \"value\", \"status\": "
                              "\"status\", \"value_flags\": true}}",
                              sheet, NULL, 0, &s, err, sizeof(err)),
                     0);
    fc_check_records(&s, want, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < sizeof(status) / sizeof(status[0]); i++)
        assert_string_equal(s.rec[i].status, status[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_long_cells),
        cmocka_unit_test(test_monthly_report_merged),
        cmocka_unit_test(test_periods_as_date_columns),
        cmocka_unit_test(test_sheet_choice),
        cmocka_unit_test(test_bad_workbooks),
        cmocka_unit_test(test_status_column_and_flags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
