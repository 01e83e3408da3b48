/*
 * fuzz_xlsx.c - libFuzzer harness for the "xlsx" reader (collectors/xlsx.c,
 * format_xlsx.c, format_table.c). An input whose first byte is even is a
 * whole workbook (the zip archive as received); an odd one is the XML of a
 * sheet, put into an otherwise valid workbook built here with libzip (with
 * shared strings and date styles), so the mutations reach the sheet parser
 * rather than the zip checks. Each is read with a wide mapping (two header
 * rows, notes, dates as months) and, for odd sizes, a long one.
 */
#include <stdlib.h>
#include <string.h>

#include <zip.h>

#include "fuzz_format.h"

#define NS  "xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\""
#define REL "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"

static const char workbook[] =
    "<workbook " NS " xmlns:r=\"" REL "\"><sheets><sheet name=\"Data1\" sheetId=\"1\" "
    "r:id=\"rId1\"/></sheets></workbook>";
static const char rels[] =
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    "<Relationship Id=\"rId1\" Type=\"" REL "worksheet\" Target=\"worksheets/sheet1.xml\"/>"
    "<Relationship Id=\"rId2\" Type=\"" REL "sharedStrings\" Target=\"sharedStrings.xml\"/>"
    "<Relationship Id=\"rId3\" Type=\"" REL "styles\" Target=\"styles.xml\"/></Relationships>";
static const char strings[] = "<sst " NS "><si><t>unit</t></si><si><t>1,234.5</t></si>"
                              "<si><r><t>p</t></r><r><t>01</t></r></si><si><t>注：x</t></si></sst>";
static const char styles[] = "<styleSheet " NS "><numFmts><numFmt numFmtId=\"164\" "
                             "formatCode=\"yyyy&quot;年&quot;m&quot;月&quot;\"/></numFmts>"
                             "<cellXfs><xf numFmtId=\"0\"/><xf numFmtId=\"14\"/>"
                             "<xf numFmtId=\"164\"/></cellXfs></styleSheet>";

static int add(zip_t *z, const char *name, const void *p, size_t n)
{
    zip_source_t *s = zip_source_buffer(z, p, n, 0);

    if (!s || zip_file_add(z, name, s, 0) < 0) {
        zip_source_free(s);
        return -1;
    }
    zip_set_file_compression(z, (zip_uint64_t)zip_name_locate(z, name, 0), ZIP_CM_STORE, 0);
    return 0;
}

/* A workbook whose only sheet is sheet[0..n); malloc'd bytes or NULL. */
static char *wrap(const uint8_t *sheet, size_t n, size_t *len)
{
    zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, NULL);
    zip_stat_t st;
    char *out = NULL;
    zip_t *z;

    if (!src)
        return NULL;
    zip_source_keep(src);
    if (!(z = zip_open_from_source(src, ZIP_TRUNCATE, NULL))) {
        zip_source_free(src);
        return NULL;
    }
    if (add(z, "xl/workbook.xml", workbook, sizeof(workbook) - 1) < 0 ||
        add(z, "xl/_rels/workbook.xml.rels", rels, sizeof(rels) - 1) < 0 ||
        add(z, "xl/sharedStrings.xml", strings, sizeof(strings) - 1) < 0 ||
        add(z, "xl/styles.xml", styles, sizeof(styles) - 1) < 0 ||
        add(z, "xl/worksheets/sheet1.xml", sheet, n) < 0 || zip_close(z) < 0) {
        zip_discard(z);
        zip_source_free(src);
        return NULL;
    }
    if (zip_source_stat(src, &st) == 0 && zip_source_open(src) == 0) {
        if ((out = malloc(st.size ? st.size : 1)) &&
            zip_source_read(src, out, st.size) != (zip_int64_t)st.size) {
            free(out);
            out = NULL;
        }
        zip_source_close(src);
    }
    zip_source_free(src);
    *len = st.size;
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char wide[] =
        "{\"mapping\": {\"layout\": \"wide\", \"columns\": \"indicator\", \"header_rows\": 2, "
        "\"footnotes\": true, \"unit\": \"unit\", \"period\": {\"const\": \"2023-01\"}, "
        "\"date_period\": \"month\", \"value_flags\": true}}";
    static const char longer[] =
        "{\"mapping\": {\"sheet\": \"Data1\", \"header_row\": 2, \"unit\": \"unit\", "
        "\"indicator\": {\"const\": \"x\"}, \"period\": \"p\", \"value\": \"v\", "
        "\"date_period\": \"quarter\", \"value_flags\": true, "
        "\"status_map\": {\"P\": \"p\"}}}";
    size_t len;
    char *book;

    if (size < 1 || !(data[0] & 1))
        return fuzz_format_one("xlsx", wide, longer, data + (size > 0), size - (size > 0));
    if (!(book = wrap(data + 1, size - 1, &len)))
        return 0;
    fuzz_format_one("xlsx", wide, longer, (const uint8_t *)book, len);
    free(book);
    return 0;
}
