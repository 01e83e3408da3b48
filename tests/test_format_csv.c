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

/* A record as the callback saw it, copied. */
struct got {
    long position;
    char unit[64];
    char indicator[64];
    char period[PERIOD_TEXT_SIZE]; /* canonical text, "" when !period_ok */
    char period_raw[32];
    int missing;
    int value_ok;
    double value;
    char problem[256]; /* "" when none */
    char raw[FORMAT_RAW_MAX + 1];
    const char *raw_ptr; /* format_record_raw()'s pointer, NULL when not asked */
};

struct sink {
    struct got rec[32];
    size_t n;
    size_t stop_after; /* 0: never stop */
    unsigned raw_mask; /* 0: every record's raw text; else only record i's when bit i is set */
};

/* An expected record; problem is a substring of the reader's text. */
struct want {
    long position;
    const char *unit;
    const char *indicator;
    const char *period;
    int missing;
    int value_ok;
    double value;
    const char *problem;
};

static int collect(const struct format_record *r, void *ctx)
{
    struct sink *s = ctx;
    struct got *g;
    const char *raw;

    assert_true(s->n < sizeof(s->rec) / sizeof(s->rec[0]));
    g = &s->rec[s->n++];
    memset(g, 0, sizeof(*g));
    g->position = r->position;
    snprintf(g->unit, sizeof(g->unit), "%s", r->unit);
    snprintf(g->indicator, sizeof(g->indicator), "%s", r->indicator);
    snprintf(g->period_raw, sizeof(g->period_raw), "%s", r->period_raw);
    if (r->period_ok)
        assert_true(period_format(r->period, g->period, sizeof(g->period)) > 0);
    g->missing = r->missing;
    g->value_ok = r->value_ok;
    g->value = r->value;
    snprintf(g->problem, sizeof(g->problem), "%s", r->problem ? r->problem : "");
    /* the collector asks only for rejects: with a mask, so does this */
    if (!s->raw_mask || (s->raw_mask & (1u << (s->n - 1)))) {
        raw = g->raw_ptr = format_record_raw(r);
        assert_ptr_equal(format_record_raw(r), raw); /* built once, then cached */
        snprintf(g->raw, sizeof(g->raw), "%s", raw ? raw : "");
    }
    if (s->stop_after && s->n == s->stop_after)
        return 7;
    return 0;
}

static char *load(const char *name, size_t *len)
{
    const char *dir = getenv("PARKSTAT_TEST_DATA");
    char path[1024];
    FILE *f;
    char *buf;
    long n;

    snprintf(path, sizeof(path), "%s/payloads/%s", dir ? dir : "tests/data", name);
    f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s (set PARKSTAT_TEST_DATA)", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Builds a reader for source and reads buf; returns format_read()'s result. */
static int read_buf(const char *name, const char *source, const char *buf, size_t len,
                    struct sink *s, char *err, size_t errsize)
{
    struct format *fmt = NULL;
    int rc = format_new(&fmt, name, source, err, errsize);

    if (rc != 0)
        fail_msg("format_new: %s", err);
    rc = format_read(fmt, buf, len, collect, s, err, errsize);
    format_free(&fmt);
    assert_null(fmt);
    return rc;
}

static int read_str(const char *name, const char *source, const char *text, struct sink *s,
                    char *err, size_t errsize)
{
    return read_buf(name, source, text, strlen(text), s, err, errsize);
}

static int read_file(const char *name, const char *source, const char *file, struct sink *s,
                     char *err, size_t errsize)
{
    size_t len;
    char *buf = load(file, &len);
    int rc = read_buf(name, source, buf, len, s, err, errsize);

    free(buf);
    return rc;
}

static void check_records(const struct sink *s, const struct want *w, size_t n)
{
    assert_int_equal(s->n, n);
    for (size_t i = 0; i < n; i++) {
        const struct got *g = &s->rec[i];
        if (g->position != w[i].position || strcmp(g->unit, w[i].unit) != 0 ||
            strcmp(g->indicator, w[i].indicator) != 0 || strcmp(g->period, w[i].period) != 0 ||
            g->missing != w[i].missing || g->value_ok != w[i].value_ok)
            fail_msg("record %zu: got pos %ld unit '%s' ind '%s' period '%s' missing %d ok %d "
                     "(problem '%s')",
                     i, g->position, g->unit, g->indicator, g->period, g->missing, g->value_ok,
                     g->problem);
        if (w[i].value_ok)
            assert_float_equal(g->value, w[i].value, 1e-9);
        if (!w[i].problem && g->problem[0])
            fail_msg("record %zu: unexpected problem '%s'", i, g->problem);
        if (w[i].problem && !strstr(g->problem, w[i].problem))
            fail_msg("record %zu: problem '%s' lacks '%s'", i, g->problem, w[i].problem);
    }
}

/* Expects format_new() to refuse source with a message containing text. */
static void expect_config_error(const char *name, const char *source, const char *text)
{
    struct format *fmt = NULL;
    char err[256] = "";

    assert_int_equal(format_new(&fmt, name, source, err, sizeof(err)), -EINVAL);
    assert_null(fmt);
    if (!strstr(err, text))
        fail_msg("error '%s' lacks '%s'", err, text);
}

/* Expects reading text to fail with -EBADMSG and a message containing msg. */
static void expect_bad_payload(const char *name, const char *source, const char *text,
                               const char *msg)
{
    struct sink s = {0};
    char err[256] = "";

    assert_int_equal(read_str(name, source, text, &s, err, sizeof(err)), -EBADMSG);
    if (!strstr(err, msg))
        fail_msg("error '%s' lacks '%s'", err, msg);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const long_source =
    "{\"format\": \"csv\", \"mapping\": {\"unit\": \"park_id\", \"indicator\": \"指标代码\", "
    "\"period\": \"期别\", \"value\": \"数值\"}}";

static const char *const wide_source =
    "{\"mapping\": {\"layout\": \"wide\", \"unit\": \"park\", \"period\": \"period\", "
    "\"fields\": {\"revenue\": \"营业收入\", \"tax\": \"tax\"}}}";

static void test_csv_long_sample_with_bom_crlf_and_quotes(void **state)
{
    static const struct want w[] = {
        {2, "p01", "revenue", "2023-01", 0, 1, 1234.5, NULL},
        {3, "p01", "tax", "2023-01", 0, 1, 1234.5, NULL},
        {5, "p02", "revenue", "2023-02", 1, 0, 0, NULL}, /* its note spans lines 5-6 */
        {7, "p02", "tax", "2023-02", 0, 0, 0, "value: not a number: \"abc\""},
        {9, "p03", "revenue", "2023-02", 0, 1, 77, NULL}, /* line 8 ",,,," skipped */
    };
    struct sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(read_file("csv", long_source, "parks_long.csv", &s, err, sizeof(err)), 0);
    check_records(&s, w, N(w));
    assert_string_equal(s.rec[0].raw, "p01,revenue,2023-01,1234.5,");
    assert_string_equal(s.rec[1].raw, "p01,tax,2023-01,\"1,234.5\",\"quoted, with comma\"");
    assert_string_equal(s.rec[2].raw, "p02,revenue,2023-M02,-,\"multi\r\nline note\"");
    assert_string_equal(s.rec[4].raw, "p03,revenue,2023-02,  77 ,\"said \"\"ok\"\"\"");
    assert_string_equal(s.rec[3].period_raw, "202302");
}

static void test_csv_wide_sample(void **state)
{
    static const struct want w[] = {
        {2, "p01", "revenue", "2023-Q1", 0, 1, 1500.25, NULL},
        {2, "p01", "tax", "2023-Q1", 0, 1, 88, NULL},
        {3, "p02", "revenue", "2023-Q1", 1, 0, 0, NULL},
        {3, "p02", "tax", "2023-Q1", 0, 1, 12, NULL},
        {4, "p03", "revenue", "2023-Q2", 0, 1, 2000, NULL},
        {4, "p03", "tax", "2023-Q2", 1, 0, 0, NULL},
    };
    struct sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(read_file("csv", wide_source, "parks_wide.csv", &s, err, sizeof(err)), 0);
    check_records(&s, w, N(w));
}

static void test_csv_constants_delimiter_and_no_final_newline(void **state)
{
    static const struct want w[] = {
        {2, "p07", "revenue", "2023-03", 0, 1, 1234.5, NULL},
        {3, "p07", "tax", "2023-04", 0, 1, -2, NULL},
    };
    struct sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(
        read_str("csv",
                 "{\"mapping\": {\"delimiter\": \";\", \"unit\": {\"const\": \"p07\"}, "
                 "\"indicator\": \"code\", \"period\": \"month\", \"value\": \"v\"}}",
                 "code;month;v\nrevenue;2023-03;\"1,234.5\"\ntax;2023-M04;-2", &s, err,
                 sizeof(err)),
        0);
    check_records(&s, w, N(w));
}

/* Without mapping.unit the unit is "": the collector uses the request's unit. */
static void test_csv_unmapped_unit_is_empty(void **state)
{
    static const struct want w[] = {{2, "", "tax", "2023-Q2", 0, 1, 9, NULL}};
    struct sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(read_str("csv",
                              "{\"mapping\": {\"indicator\": \"i\", \"period\": \"p\", "
                              "\"value\": \"v\"}}",
                              "i,p,v\ntax,2023-Q2,9\n", &s, err, sizeof(err)),
                     0);
    check_records(&s, w, N(w));
}

static void test_csv_short_row_is_a_problem_at_its_line(void **state)
{
    static const struct want w[] = {
        {3, "p01", "revenue", "", 0, 0, 0, "no field for column \"期别\" (the row has 2)"},
        {4, "p02", "tax", "2023-01", 0, 1, 3, NULL},
    };
    struct sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(read_str("csv", long_source,
                              "park_id,指标代码,期别,数值\n\np01,revenue\np02,tax,2023-01,3\n", &s,
                              err, sizeof(err)),
                     0);
    check_records(&s, w, N(w));
    assert_string_equal(s.rec[0].raw, "p01,revenue");
}

static void test_csv_missing_column_fails(void **state)
{
    (void)state;
    expect_bad_payload("csv", long_source, "park_id,指标代码,期别,value\np01,r,2023,1\n",
                       "header: no column \"数值\"");
    expect_bad_payload("csv", wide_source, "park,period,营业收入\np01,2023,1\n",
                       "header: no column \"tax\"");
}

static void test_csv_unreadable_payloads_fail(void **state)
{
    struct sink s = {0};
    char err[64] = "";

    (void)state;
    expect_bad_payload("csv", long_source, "\xEF\xBB\xBF", "header: no header row");
    expect_bad_payload("csv", long_source, "\r\n\r\n", "header: no header row");
    expect_bad_payload("csv", long_source, "park_id,指标代码,期别,数值\np01,x\"y,2023,1\n",
                       "line 2:");
    expect_bad_payload("csv", long_source, "park_id,指标代码,期别,数值\np01,\"x\"y,2023,1\n",
                       "line 2:");
    expect_bad_payload("csv", long_source, "park_id,指标代码,期别,数值\np01,r,2023,\"1\n\n",
                       "line 3:");
    assert_int_equal(read_str("csv", long_source, "", &s, err, sizeof(err)), -EBADMSG);
    assert_string_equal(err, "empty payload");
}

static void test_csv_header_only_reads_zero_records(void **state)
{
    struct sink s = {0};
    char err[64] = "";

    (void)state;
    assert_int_equal(
        read_str("csv", long_source, "数值,期别,指标代码,park_id\r\n", &s, err, sizeof(err)), 0);
    assert_int_equal(s.n, 0);
}

static void test_csv_callback_stops_reading(void **state)
{
    struct sink s = {.stop_after = 3};
    char err[64] = "";

    (void)state;
    assert_int_equal(read_file("csv", wide_source, "parks_wide.csv", &s, err, sizeof(err)), 7);
    assert_int_equal(s.n, 3);
}

static void test_csv_raw_is_capped(void **state)
{
    char buf[4096];
    struct sink s = {0};
    char err[64] = "";
    int off = snprintf(buf, sizeof(buf), "park_id,指标代码,期别,数值,note\np01,r,2023,1,");

    (void)state;
    for (int i = 0; i < 2000; i++)
        buf[off++] = 'x';
    strcpy(buf + off, "\n");
    assert_int_equal(read_str("csv", long_source, buf, &s, err, sizeof(err)), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(strlen(s.rec[0].raw), FORMAT_RAW_MAX);
    assert_memory_equal(s.rec[0].raw, "p01,r,2023,1,xxx", 16);
}

/* Rows that do not ask get no text built; one that asks after a skipped
 * one gets its own row, not a stale one from the reused scratch. */
static void test_csv_raw_only_when_asked_and_per_row(void **state)
{
    struct sink s = {.raw_mask = 0x5}; /* rows 1 and 3 */
    char err[256] = "";

    (void)state;
    assert_int_equal(read_str("csv", long_source,
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
    struct sink s = {.raw_mask = 0xB}; /* p01 revenue and tax, p02 tax */
    char err[256] = "";

    (void)state;
    assert_int_equal(read_str("csv", wide_source,
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
    expect_config_error("csv", "{}", "mapping: required");
    expect_config_error("csv",
                        "{\"mapping\": {\"unit\": \"u\", \"indicator\": \"i\", \"period\": \"p\", "
                        "\"value\": \"\"}}",
                        "mapping.value: expected a column name");
    expect_config_error("csv",
                        "{\"mapping\": {\"unit\": \"u\", \"indicator\": \"i\", \"period\": \"p\", "
                        "\"value\": \"v\", \"delimiter\": \";;\"}}",
                        "mapping.delimiter");
    expect_config_error("csv",
                        "{\"mapping\": {\"layout\": \"wide\", \"unit\": \"u\", \"period\": \"p\", "
                        "\"fields\": {\"revenue\": 3}}}",
                        "mapping.fields.revenue: expected a column name");
    expect_config_error("csv",
                        "{\"mapping\": {\"layout\": \"wide\", \"unit\": \"u\", \"period\": \"p\", "
                        "\"value\": \"v\", \"fields\": {\"r\": \"r\"}}}",
                        "mapping.value: unknown key");
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
