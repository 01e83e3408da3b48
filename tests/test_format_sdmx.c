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
};

struct sink {
    struct got rec[32];
    size_t n;
    size_t stop_after; /* 0: never stop */
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
    raw = format_record_raw(r);
    assert_ptr_equal(format_record_raw(r), raw); /* built once, then cached */
    snprintf(g->raw, sizeof(g->raw), "%s", raw ? raw : "");
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

static const char *const source =
    "{\"format\": \"sdmx\", \"mapping\": {\"unit_dimension\": \"REF_AREA\", "
    "\"indicator_dimension\": \"INDICATOR\"}}";

static void test_sdmx_v1_series_layout(void **state)
{
    static const struct want w[] = {
        {1, "p01", "revenue", "2023-01", 0, 1, 100.5, NULL},
        {2, "p01", "revenue", "2023-02", 0, 1, 1200.25, NULL},
        {3, "p01", "revenue", "2023-Q1", 1, 0, 0, NULL},
        {4, "p02", "tax", "2023-01", 0, 1, 7, NULL},
        {5, "", "", "2023-01", 0, 1, 8,
         "series key \"1:5\": no value 5 for dimension \"INDICATOR\""},
    };
    struct sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(read_file("sdmx", source, "sdmx_v1.json", &s, err, sizeof(err)), 0);
    check_records(&s, w, N(w));
    assert_string_equal(s.rec[1].period_raw, "2023-M02");
    assert_string_equal(s.rec[1].raw,
                        "{\"series\":\"0:0\",\"observation\":\"1\",\"data\":[\"1,200.25\"]}");
}

static void test_sdmx_v2_data_structures_layout(void **state)
{
    /* INDICATOR at dataSet level, TIME_PERIOD at series level */
    static const struct want w[] = {
        {1, "p01", "rd_expense", "2023-Q3", 0, 1, 42.5, NULL},
        {2, "p02", "rd_expense", "2023", 0, 1, 3.5, NULL},
        {3, "p02", "rd_expense", "2023-Q3", 0, 0, 0, "observation \"0\": expected an array"},
    };
    struct sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(read_file("sdmx", source, "sdmx_v2.json", &s, err, sizeof(err)), 0);
    check_records(&s, w, N(w));
}

static void test_sdmx_flat_observations(void **state)
{
    static const struct want w[] = {
        {1, "p01", "revenue", "2023-01", 0, 1, 10, NULL},
        {2, "p02", "revenue", "2023-02", 0, 1, 20.5, NULL},
        {3, "p01", "revenue", "2023-02", 1, 0, 0, NULL},
    };
    struct sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(read_file("sdmx", source, "sdmx_flat.json", &s, err, sizeof(err)), 0);
    check_records(&s, w, N(w));
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
    static const struct want w[] = {
        {1, "", "", "", 0, 1, 1, "key \"0:0\": expected 3 numbers separated by ':'"},
        {2, "", "", "", 0, 1, 2, "key \"0:0:x\": expected 3 numbers"},
        {3, "p01", "", "", 0, 1, 3, "no value 1 for dimension \"INDICATOR\""},
        {4, "p01", "tax", "", 0, 1, 4, "period: not understood: \"2023-Q5\""},
        {5, "p01", "tax", "2023-Q4", 1, 0, 0, NULL}, /* duplicate key: jansson keeps the last */
        {6, "", "", "", 0, 1, 5, "key \"0:0:1:\""},
        {7, "", "", "", 0, 1, 6, "key \"0:0:1234567890\""},
    };
    struct sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(read_str("sdmx", source, payload, &s, err, sizeof(err)), 0);
    check_records(&s, w, N(w));
}

static void test_sdmx_bad_payloads_fail_with_place(void **state)
{
    (void)state;
    expect_bad_payload("sdmx", source, "{\"header\": {}}", "/dataSets: not found");
    expect_bad_payload("sdmx", source, "{\"meta\": {}, \"data\": {\"dataSets\": 1}}",
                       "/data/dataSets: expected an array");
    expect_bad_payload("sdmx", source, "{\"dataSets\": [{\"series\": {}}]}",
                       "dataSets[0]: no structure with dimensions");
    expect_bad_payload("sdmx", source,
                       "{\"structure\": {\"dimensions\": {\"series\": [{\"id\": \"REF_AREA\"}], "
                       "\"observation\": [{\"id\": \"TIME_PERIOD\"}]}}, \"dataSets\": [{}]}",
                       "structure: no dimension \"INDICATOR\"");
    expect_bad_payload("sdmx", source,
                       "{\"structure\": {\"dimensions\": {\"series\": {}}}, \"dataSets\": [{}]}",
                       "structure.dimensions.series: expected an array");
    expect_bad_payload("sdmx", source,
                       "{\"structure\": {\"dimensions\": {\"dataSet\": [{\"id\": \"REF_AREA\", "
                       "\"values\": []}, {\"id\": \"INDICATOR\", \"values\": [{\"id\": \"x\"}]}, "
                       "{\"id\": \"TIME_PERIOD\", \"values\": [{\"id\": \"2023\"}]}]}}, "
                       "\"dataSets\": [{}]}",
                       "dimension \"REF_AREA\" has no value");
    expect_bad_payload(
        "sdmx", source,
        "{\"structure\": {\"dimensions\": {\"observation\": [{\"id\": \"REF_AREA\", "
        "\"values\": [{\"id\": \"a\"}]}, {\"id\": \"INDICATOR\", \"values\": [{\"id\": "
        "\"x\"}]}, {\"id\": \"TIME_PERIOD\", \"values\": [{\"id\": \"2023\"}]}]}}, "
        "\"dataSets\": [{\"series\": []}]}",
        "dataSets[0].series: expected an object");
    expect_bad_payload("sdmx", source, "{\"dataSets\": [", "line 1 column");
}

static void test_sdmx_custom_period_dimension(void **state)
{
    static const struct want w[] = {{1, "p01", "x", "2022", 0, 1, 9, NULL}};
    struct sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(
        read_str("sdmx",
                 "{\"mapping\": {\"unit_dimension\": \"AREA\", \"indicator_dimension\": \"IND\", "
                 "\"period_dimension\": \"YEAR\"}}",
                 "{\"structure\": {\"dimensions\": {\"observation\": ["
                 "{\"id\": \"AREA\", \"values\": [{\"id\": \"p01\"}]},"
                 "{\"id\": \"IND\", \"values\": [{\"id\": \"x\"}]},"
                 "{\"id\": \"YEAR\", \"values\": [{\"id\": \"2022\"}]}]}},"
                 " \"dataSets\": [{\"observations\": {\"0:0:0\": [\"9\"]}}]}",
                 &s, err, sizeof(err)),
        0);
    check_records(&s, w, N(w));
}

static void test_sdmx_callback_stops_reading(void **state)
{
    struct sink s = {.stop_after = 2};
    char err[64] = "";

    (void)state;
    assert_int_equal(read_file("sdmx", source, "sdmx_v1.json", &s, err, sizeof(err)), 7);
    assert_int_equal(s.n, 2);
}

static void test_sdmx_mapping_errors_name_the_key(void **state)
{
    (void)state;
    expect_config_error("sdmx", "{}", "mapping: required");
    expect_config_error("sdmx", "{\"mapping\": {\"unit_dimension\": \"REF_AREA\"}}",
                        "mapping.indicator_dimension: expected a dimension id");
    expect_config_error("sdmx",
                        "{\"mapping\": {\"unit_dimension\": \"\", \"indicator_dimension\": \"I\"}}",
                        "mapping.unit_dimension");
    expect_config_error("sdmx",
                        "{\"mapping\": {\"unit_dimension\": \"U\", \"indicator_dimension\": \"I\", "
                        "\"time\": \"T\"}}",
                        "mapping.time: unknown key");
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
