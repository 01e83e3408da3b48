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
    "{\"format\": \"nbs\", \"mapping\": {\"unit\": {\"const\": \"p01\"}}}";

static void test_nbs_month_sample(void **state)
{
    static const struct want w[] = {
        {1, "p01", "A01010101", "2023-02", 0, 1, 5432.1, NULL},
        {2, "p01", "A01010101", "2023-01", 1, 0, 0, NULL},
        {3, "110000", "A01010102", "2023-03", 0, 1, 12.3, NULL}, /* "reg" wins */
    };
    struct sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(read_file("nbs", source, "nbs_month.json", &s, err, sizeof(err)), 0);
    check_records(&s, w, N(w));
    assert_string_equal(s.rec[0].period_raw, "202302");
    assert_non_null(strstr(s.rec[0].raw, "\"code\":\"zb.A01010101_sj.202302\""));
}

/* Monthly releases cover January and February together: February's
 * year-to-date value arrives while January has none. The reader reports
 * exactly that (a value and a missing), not a zero for January. */
static void test_nbs_february_ytd_without_january_is_reported_as_is(void **state)
{
    struct sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(read_file("nbs", source, "nbs_month.json", &s, err, sizeof(err)), 0);
    assert_string_equal(s.rec[1].period, "2023-01");
    assert_int_equal(s.rec[1].missing, 1);
    assert_int_equal(s.rec[1].value_ok, 0);
    assert_string_equal(s.rec[0].period, "2023-02");
    assert_int_equal(s.rec[0].value_ok, 1);
}

static void test_nbs_quarter_and_year_periods(void **state)
{
    static const struct want w[] = {
        {1, "p01", "A010101", "2023-Q1", 0, 1, 284997.0, NULL},
        {2, "p01", "A010101", "2023-Q4", 1, 0, 0, NULL},
        {3, "p01", "A010101", "2022", 0, 1, 1210207.2, NULL},
        {4, "p01", "A010101", "", 0, 1, 1, "period: not understood: \"2023E\""},
    };
    struct sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(read_file("nbs", source, "nbs_quarter.json", &s, err, sizeof(err)), 0);
    check_records(&s, w, N(w));
}

static void test_nbs_malformed_nodes_are_problems(void **state)
{
    static const struct want w[] = {
        {1, "p01", "", "", 0, 1, 1, "wds: expected an array"},
        {2, "p01", "", "2023", 0, 1, 1, "wds: no \"zb\""},
        {3, "p01", "A1", "", 0, 1, 2, "wds: no \"sj\""},
        {4, "p01", "A1", "2023-05", 0, 0, 0, "data: expected an object"},
        {5, "p01", "A1", "2023-05", 0, 1, 4.5, NULL}, /* strdata when data is absent */
        {6, "p01", "A1", "2023-05", 0, 0, 0, "value: not a number: \"x\""},
    };
    struct sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(
        read_str(
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
            "{\"data\": {\"strdata\": \"x\"}, \"wds\": [{\"wdcode\": \"zb\", \"valuecode\": "
            "\"A1\"}, {\"wdcode\": \"sj\", \"valuecode\": \"202305\"}]}]}}",
            &s, err, sizeof(err)),
        0);
    check_records(&s, w, N(w));
}

/* Without "reg" and without mapping.unit the unit is "" (not a problem): the
 * collector then uses the unit the request was made for. */
static void test_nbs_without_reg_or_mapping_unit_gives_empty_unit(void **state)
{
    static const struct want w[] = {
        {1, "", "A01010101", "2023-02", 0, 1, 5432.1, NULL},
        {2, "", "A01010101", "2023-01", 1, 0, 0, NULL},
        {3, "110000", "A01010102", "2023-03", 0, 1, 12.3, NULL},
    };
    struct sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(
        read_file("nbs", "{\"format\": \"nbs\"}", "nbs_month.json", &s, err, sizeof(err)), 0);
    check_records(&s, w, N(w));
}

static void test_nbs_bad_payloads_fail(void **state)
{
    (void)state;
    expect_bad_payload("nbs", source, "{\"returncode\": 501, \"returndata\": \"参数错误\"}",
                       "returncode 501: 参数错误");
    expect_bad_payload("nbs", source, "{\"returncode\": 400, \"returndata\": {}}",
                       "returncode 400");
    expect_bad_payload("nbs", source, "{\"returndata\": {\"datanodes\": []}}",
                       "/returncode: not found");
    expect_bad_payload("nbs", source, "{\"returncode\": \"200\"}",
                       "/returncode: expected an integer");
    expect_bad_payload("nbs", source, "{\"returncode\": 200, \"returndata\": {}}",
                       "/returndata/datanodes: not found");
    expect_bad_payload("nbs", source, "{\"returncode\": 200, \"returndata\": {\"datanodes\": {}}}",
                       "/returndata/datanodes: expected an array");
    expect_bad_payload("nbs", source, "<html>busy</html>", "line 1 column 1");
}

static void test_nbs_callback_stops_reading(void **state)
{
    struct sink s = {.stop_after = 1};
    char err[64] = "";

    (void)state;
    assert_int_equal(read_file("nbs", source, "nbs_quarter.json", &s, err, sizeof(err)), 7);
    assert_int_equal(s.n, 1);
}

static void test_nbs_mapping_errors_name_the_key(void **state)
{
    (void)state;
    expect_config_error("nbs", "{\"mapping\": {\"unit\": \"p01\"}}",
                        "mapping.unit: expected {\"const\"");
    expect_config_error("nbs", "{\"mapping\": {\"region\": {\"const\": \"p01\"}}}",
                        "mapping.region: unknown key");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nbs_month_sample),
        cmocka_unit_test(test_nbs_february_ytd_without_january_is_reported_as_is),
        cmocka_unit_test(test_nbs_quarter_and_year_periods),
        cmocka_unit_test(test_nbs_malformed_nodes_are_problems),
        cmocka_unit_test(test_nbs_without_reg_or_mapping_unit_gives_empty_unit),
        cmocka_unit_test(test_nbs_bad_payloads_fail),
        cmocka_unit_test(test_nbs_callback_stops_reading),
        cmocka_unit_test(test_nbs_mapping_errors_name_the_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
