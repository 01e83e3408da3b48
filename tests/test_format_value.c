/*
 * test_format_value.c - format_parse_value(), the one parser of values
 * written as text, and the mapping's value options (decimal, thousands,
 * missing, suffixes) through the readers: no silent wrong numbers (#11).
 *
 * The payloads under tests/data/payloads/values*.{csv,json} reproduce what
 * was stored wrongly before: SDMX-CSV's own French-locale example (OBS_VALUE
 * "12,4" with ";") stored as 124, "1,23" as 123, "1e-400" as 0.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "collectors/format.h"
#include "support/format_check.h"

/* One row of a format_parse_value() table: text, result, value or reason. */
struct vrow {
    const char *text;
    int rc;             /* enum format_value */
    double value;       /* when FORMAT_VALUE_OK */
    const char *reason; /* a substring of the reason when FORMAT_VALUE_REJECT */
};

static void check_rows(const struct config_value_opts *o, const struct vrow *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double v = -12345;
        char reason[200];
        int rc =
            format_parse_value(rows[i].text, strlen(rows[i].text), o, &v, reason, sizeof(reason));
        if (rc != rows[i].rc)
            fail_msg("'%s': rc %d, expected %d (%s)", rows[i].text, rc, rows[i].rc, reason);
        if (rc == FORMAT_VALUE_OK && v != rows[i].value)
            fail_msg("'%s': %.17g, expected %.17g", rows[i].text, v, rows[i].value);
        if (rc != FORMAT_VALUE_OK && v != -12345)
            fail_msg("'%s': *out written (%.17g) without a value", rows[i].text, v);
        if (rc == FORMAT_VALUE_REJECT && !strstr(reason, rows[i].reason ? rows[i].reason : "?"))
            fail_msg("'%s': reason '%s' lacks '%s'", rows[i].text, reason, rows[i].reason);
        if (rc != FORMAT_VALUE_REJECT && reason[0])
            fail_msg("'%s': a reason '%s' without a reject", rows[i].text, reason);
    }
}

/* The defaults (NULL options): decimal ".", thousands "," in groups of three. */
static void test_value_defaults(void **state)
{
    static const struct vrow rows[] = {
        {"1,234,567", FORMAT_VALUE_OK, 1234567, NULL},
        {"1,234.5", FORMAT_VALUE_OK, 1234.5, NULL},
        {" 42.5\t", FORMAT_VALUE_OK, 42.5, NULL},
        {"\xC2\xA0"
         "7\xE3\x80\x80",
         FORMAT_VALUE_OK, 7, NULL}, /* no-break, ideographic space */
        {"-2.5e-3", FORMAT_VALUE_OK, -0.0025, NULL},
        {"0e-400", FORMAT_VALUE_OK, 0, NULL}, /* a true zero is no underflow */
        {"12,4", FORMAT_VALUE_REJECT, 0,
         "thousands separator \",\" not followed by groups of three"},
        {"1,23", FORMAT_VALUE_REJECT, 0, "groups of three"},
        {"1,2345", FORMAT_VALUE_REJECT, 0, "groups of three"},
        {"12,345,67", FORMAT_VALUE_REJECT, 0, "groups of three"},
        {"1234,567", FORMAT_VALUE_REJECT, 0, "not between groups of three"},
        {"0,123", FORMAT_VALUE_REJECT, 0, "starts with 0"},
        {"1.234,5", FORMAT_VALUE_REJECT, 0, "\",\" where no separator can be"},
        {"1e400", FORMAT_VALUE_REJECT, 0, "overflow"},
        {"-1e400", FORMAT_VALUE_REJECT, 0, "overflow"},
        {"1e-400", FORMAT_VALUE_REJECT, 0, "underflow"},
        {"1e-310", FORMAT_VALUE_REJECT, 0, "underflow"}, /* subnormal: precision lost */
        {"inf", FORMAT_VALUE_REJECT, 0, "not a finite number"},
        {"-Infinity", FORMAT_VALUE_REJECT, 0, "not a finite number"},
        {"nan", FORMAT_VALUE_REJECT, 0, "not a finite number"},
        {"12.3%", FORMAT_VALUE_REJECT, 0, "text after the number: \"%\""},
        {"1.2\xE4\xBA\xBF", FORMAT_VALUE_REJECT, 0, "text after the number: \"\xE4\xBA\xBF\""},
        {"0x10", FORMAT_VALUE_REJECT, 0, "text after the number"},
        {"1e", FORMAT_VALUE_REJECT, 0, "exponent without digits"},
        {"abc", FORMAT_VALUE_REJECT, 0, "not a number"},
        {"", FORMAT_VALUE_MISSING, 0, NULL},
        {"  ", FORMAT_VALUE_MISSING, 0, NULL},
        {"-", FORMAT_VALUE_MISSING, 0, NULL},
        {"\xE2\x80\x94", FORMAT_VALUE_MISSING, 0, NULL}, /* — */
        {"\xE2\x80\x93", FORMAT_VALUE_MISSING, 0, NULL}, /* – */
        {"NaN", FORMAT_VALUE_MISSING, 0, NULL},
        {":", FORMAT_VALUE_MISSING, 0, NULL},
        {" .. ", FORMAT_VALUE_MISSING, 0, NULL},
        {"\xE2\x80\xA6", FORMAT_VALUE_MISSING, 0, NULL}, /* … */
        {"x", FORMAT_VALUE_MISSING, 0, NULL},
    };

    (void)state;
    check_rows(NULL, rows, TS_N(rows));
    /* the default set is the documented one, in order */
    const char *const *d = format_default_markers();
    assert_string_equal(d[4], "NaN");
    assert_string_equal(d[8], "x");
    assert_null(d[9]);
}

/* The text is len bytes, not a C string: nothing past it is read (ASan). */
static void test_value_reads_only_len_bytes(void **state)
{
    static const char *const texts[] = {"12abc", "1 234,5", "1.2\xE4\xBA\xBF", "NaN"};
    static const int want[] = {FORMAT_VALUE_REJECT, FORMAT_VALUE_REJECT, FORMAT_VALUE_REJECT,
                               FORMAT_VALUE_MISSING};
    char reason[200];
    double v;

    (void)state;
    for (size_t i = 0; i < TS_N(texts); i++) {
        size_t n = strlen(texts[i]);
        char *t = malloc(n); /* no NUL */
        assert_non_null(t);
        memcpy(t, texts[i], n);
        assert_int_equal(format_parse_value(t, n, NULL, &v, reason, sizeof(reason)), want[i]);
        free(t);
    }
    /* a prefix of a longer text is read as the prefix alone */
    assert_int_equal(format_parse_value("12,4", 2, NULL, &v, reason, sizeof(reason)),
                     FORMAT_VALUE_OK);
    assert_true(v == 12);
    assert_int_equal(format_parse_value("12abc", 3, NULL, &v, reason, sizeof(reason)),
                     FORMAT_VALUE_REJECT);
    assert_string_equal(reason,
                        "text after the number: \"a\" (a unit? scale it with \"suffixes\")");
}

/* decimal ",": no thousands separator unless one is configured. */
static void test_value_decimal_comma(void **state)
{
    static const struct vrow none[] = {
        {"12,4", FORMAT_VALUE_OK, 12.4, NULL},
        {"1,23", FORMAT_VALUE_OK, 1.23, NULL},
        {"-0,5", FORMAT_VALUE_OK, -0.5, NULL},
        {"1.234,5", FORMAT_VALUE_REJECT, 0, "\".\" where no separator can be"},
        {"1.5", FORMAT_VALUE_REJECT, 0, "decimal separator: \",\""},
        {"1 234,5", FORMAT_VALUE_REJECT, 0, "text after the number"},
    };
    static const struct vrow dot[] = {
        {"1.234,5", FORMAT_VALUE_OK, 1234.5, NULL},
        {"1.234.567", FORMAT_VALUE_OK, 1234567, NULL},
        {"1.23", FORMAT_VALUE_REJECT, 0, "thousands separator \".\" not followed by groups"},
    };
    static const struct vrow space[] = {
        {"1 234,5", FORMAT_VALUE_OK, 1234.5, NULL},
        {"1\xC2\xA0"
         "234",
         FORMAT_VALUE_OK, 1234, NULL}, /* U+00A0 */
        {"12\xE2\x80\xAF"
         "345,25",
         FORMAT_VALUE_OK, 12345.25, NULL}, /* U+202F */
        {"1 23", FORMAT_VALUE_REJECT, 0, "groups of three"},
    };
    struct config_value_opts o = {.decimal = ','};

    (void)state;
    check_rows(&o, none, TS_N(none));
    o.thousands = '.';
    check_rows(&o, dot, TS_N(dot));
    o.thousands = ' ';
    check_rows(&o, space, TS_N(space));
}

/* Configured markers replace the default set; suffixes scale explicitly. */
static void test_value_markers_and_suffixes(void **state)
{
    static const char *const markers[] = {"n.a.", "-"};
    static const struct config_suffix suffixes[] = {
        {"\xE4\xB8\x87", 1e4}, {"\xE4\xBA\xBF", 1e8}, {"\xE4\xB8\x87\xE4\xBA\xBF", 1e12}};
    static const struct vrow rows[] = {
        {"n.a.", FORMAT_VALUE_MISSING, 0, NULL},
        {"-", FORMAT_VALUE_MISSING, 0, NULL},
        {"", FORMAT_VALUE_REJECT, 0, "empty, and \"\" is not a missing marker"},
        {"NaN", FORMAT_VALUE_REJECT, 0, "not a finite number"},
        {"x", FORMAT_VALUE_REJECT, 0, "not a number"},
        {"1.2\xE4\xBA\xBF", FORMAT_VALUE_OK, 1.2e8, NULL},
        {"35 \xE4\xB8\x87", FORMAT_VALUE_OK, 350000, NULL},
        {"2\xE4\xB8\x87\xE4\xBA\xBF", FORMAT_VALUE_OK, 2e12, NULL}, /* the longest suffix */
        {"\xE4\xBA\xBF", FORMAT_VALUE_REJECT, 0, "not a number"},
        {"1e305\xE4\xBA\xBF", FORMAT_VALUE_REJECT, 0, "overflow after scaling"},
        {"12.3%", FORMAT_VALUE_REJECT, 0, "text after the number: \"%\""},
    };
    struct config_value_opts o = {.decimal = '.',
                                  .thousands = ',',
                                  .missing = markers,
                                  .n_missing = 2,
                                  .suffixes = suffixes,
                                  .n_suffixes = 3};

    (void)state;
    check_rows(&o, rows, TS_N(rows));
}

#define SDMX_CSV_FR                                                                                \
    "{\"mapping\": {\"delimiter\": \";\", \"unit\": \"REF_AREA\", \"indicator\": \"INDICATOR\", "  \
    "\"period\": \"TIME_PERIOD\", \"value\": \"OBS_VALUE\"%s}}"

/* SDMX-CSV's French-locale example: "12,4" is never 124. */
static void test_csv_french_locale(void **state)
{
    static const struct fc_want by_default[] = {
        {2, "p01", "revenue", "2023-01", 0, 0, 0, "\"12,4\" (thousands separator \",\" not"},
        {3, "p01", "tax", "2023-01", 0, 0, 0, "\"1,23\" (thousands separator"},
        {4, "p02", "revenue", "2023-01", 0, 0, 0, "\"1 234,5\" (text after the number"},
        {5, "p02", "tax", "2023-01", 0, 0, 0, "\"1.234,5\""},
        {6, "p03", "revenue", "2023-01", 1, 0, 0, NULL},
    };
    static const struct fc_want comma[] = {
        {2, "p01", "revenue", "2023-01", 0, 1, 12.4, NULL},
        {3, "p01", "tax", "2023-01", 0, 1, 1.23, NULL},
        {4, "p02", "revenue", "2023-01", 0, 0, 0, "text after the number"},
        {5, "p02", "tax", "2023-01", 0, 0, 0, "\".\" where no separator can be"},
        {6, "p03", "revenue", "2023-01", 1, 0, 0, NULL},
    };
    static const struct fc_want comma_space[] = {
        {2, "p01", "revenue", "2023-01", 0, 1, 12.4, NULL},
        {3, "p01", "tax", "2023-01", 0, 1, 1.23, NULL},
        {4, "p02", "revenue", "2023-01", 0, 1, 1234.5, NULL},
        {5, "p02", "tax", "2023-01", 0, 0, 0, "\".\" where no separator can be"},
        {6, "p03", "revenue", "2023-01", 1, 0, 0, NULL},
    };
    char source[512], err[256] = "";
    struct fc_sink s = {0};

    (void)state;
    snprintf(source, sizeof(source), SDMX_CSV_FR, "");
    assert_int_equal(fc_read_file("csv", source, "values_fr.csv", &s, err, sizeof(err)), 0);
    fc_check_records(&s, by_default, TS_N(by_default));
    memset(&s, 0, sizeof(s));
    snprintf(source, sizeof(source), SDMX_CSV_FR, ", \"decimal\": \",\"");
    assert_int_equal(fc_read_file("csv", source, "values_fr.csv", &s, err, sizeof(err)), 0);
    fc_check_records(&s, comma, TS_N(comma));
    memset(&s, 0, sizeof(s));
    snprintf(source, sizeof(source), SDMX_CSV_FR, ", \"decimal\": \",\", \"thousands\": \" \"");
    assert_int_equal(fc_read_file("csv", source, "values_fr.csv", &s, err, sizeof(err)), 0);
    fc_check_records(&s, comma_space, TS_N(comma_space));
}

#define SILENT_SOURCE                                                                              \
    "{\"mapping\": {\"unit\": \"unit\", \"indicator\": \"indicator\", \"period\": \"period\", "    \
    "\"value\": \"value\"%s}}"

/* Every silent case of #11 in one CSV: rejects with reasons, missing
 * markers as missing (never 0), and the good rows around them kept. */
static void test_csv_silent_cases(void **state)
{
    static const struct fc_want by_default[] = {
        {2, "p01", "revenue", "2023-01", 0, 1, 1234567, NULL},
        {3, "p01", "tax", "2023-01", 0, 0, 0, "\"12,4\" (thousands separator"},
        {4, "p02", "revenue", "2023-01", 0, 0, 0, "\"1,23\" (thousands separator"},
        {5, "p02", "tax", "2023-01", 0, 0, 0, "\"1e400\" (overflow"},
        {6, "p03", "revenue", "2023-01", 0, 0, 0, "\"1e-400\" (underflow"},
        {7, "p03", "tax", "2023-01", 0, 0, 0, "\"inf\" (not a finite number)"},
        {8, "p04", "revenue", "2023-01", 0, 0, 0, "\"12.3%\" (text after the number: \"%\""},
        {9, "p04", "tax", "2023-01", 0, 0, 0, "(text after the number: \"\xE4\xBA\xBF\""},
        {10, "p05", "revenue", "2023-01", 0, 0, 0, "(text after the number: \"\xE4\xB8\x87\""},
        {11, "p05", "tax", "2023-01", 1, 0, 0, NULL},
        {12, "p06", "revenue", "2023-01", 1, 0, 0, NULL},
        {13, "p06", "tax", "2023-01", 1, 0, 0, NULL},
        {14, "p07", "revenue", "2023-01", 1, 0, 0, NULL},
        {15, "p07", "tax", "2023-01", 1, 0, 0, NULL},
        {16, "p08", "revenue", "2023-01", 1, 0, 0, NULL},
        {17, "p08", "tax", "2023-01", 1, 0, 0, NULL},
        {18, "p09", "revenue", "2023-01", 1, 0, 0, NULL},
        {19, "p09", "tax", "2023-01", 0, 1, 0, NULL},
        {20, "p10", "revenue", "2023-01", 0, 1, 42.5, NULL},
    };
    char source[512], err[256] = "";
    struct fc_sink s = {0};

    (void)state;
    snprintf(source, sizeof(source), SILENT_SOURCE, "");
    assert_int_equal(fc_read_file("csv", source, "values_silent.csv", &s, err, sizeof(err)), 0);
    fc_check_records(&s, by_default, TS_N(by_default));
    for (size_t i = 0; i < s.n; i++) /* a missing value is never a number, never 0 */
        assert_false(s.rec[i].missing && (s.rec[i].value_ok || s.rec[i].value != 0));
}

/* The same payload with explicit suffixes and markers. */
static void test_csv_suffixes_and_markers(void **state)
{
    char source[512], err[256] = "";
    struct fc_sink s = {0};

    (void)state;
    snprintf(source, sizeof(source), SILENT_SOURCE,
             ", \"suffixes\": {\"\xE4\xB8\x87\": 10000, \"\xE4\xBA\xBF\": 100000000, \"%\": 1}, "
             "\"missing\": [\"-\", \"\"]");
    assert_int_equal(fc_read_file("csv", source, "values_silent.csv", &s, err, sizeof(err)), 0);
    assert_int_equal(s.n, 19);
    /* lines 8 to 10: 12.3% as written, 1.2亿 and 35万 scaled */
    assert_true(s.rec[6].value_ok && s.rec[6].value == 12.3);
    assert_true(s.rec[7].value_ok && s.rec[7].value == 1.2e8);
    assert_true(s.rec[8].value_ok && s.rec[8].value == 350000);
    /* NaN and ":" are no longer markers: rejects; "-" and "" still are */
    assert_non_null(strstr(s.rec[9].problem, "\"NaN\" (not a finite number)"));
    assert_true(s.rec[10].missing && !s.rec[10].problem[0]);
    assert_non_null(strstr(s.rec[11].problem, "\"\xE2\x80\x94\" (not a number)"));
    assert_non_null(strstr(s.rec[15].problem, "\":\" (not a number)"));
    assert_true(s.rec[16].missing);
    assert_true(s.rec[18].value_ok && s.rec[18].value == 42.5);
}

#define VALUES_JSON_SOURCE                                                                         \
    "{\"mapping\": {\"records\": \"/data\", \"unit\": \"/u\", \"indicator\": \"/i\", "             \
    "\"period\": \"/p\", \"value\": \"/v\"%s}}"

/* JSON numbers go through the same parser: 1e400 and 1e-400 are rejects. */
static void test_json_number_tokens_and_strings(void **state)
{
    static const struct fc_want w[] = {
        {1, "p01", "revenue", "2023-01", 0, 0, 0, "\"1e400\" (overflow"},
        {2, "p01", "tax", "2023-01", 0, 0, 0, "\"1e-400\" (underflow"},
        {3, "p02", "revenue", "2023-01", 0, 0, 0,
         "digits (decimal separator: \".\")) at /data/2/v"},
        {4, "p02", "tax", "2023-01", 0, 1, 1234, NULL},
        {5, "p03", "revenue", "2023-01", 0, 1, -0.0025, NULL},
        {6, "p03", "tax", "2023-01", 1, 0, 0, NULL},
        {7, "p04", "revenue", "2023-01", 0, 0, 0, "text after the number"},
    };
    static const struct fc_want comma[] = {
        {1, "p01", "revenue", "2023-01", 0, 0, 0, "(overflow"}, /* a number token: '.' */
        {2, "p01", "tax", "2023-01", 0, 0, 0, "(underflow"},
        {3, "p02", "revenue", "2023-01", 0, 1, 12.4, NULL},
        {4, "p02", "tax", "2023-01", 0, 1, 1.234, NULL},
        {5, "p03", "revenue", "2023-01", 0, 1, -0.0025, NULL},
        {6, "p03", "tax", "2023-01", 1, 0, 0, NULL},
        {7, "p04", "revenue", "2023-01", 0, 0, 0, "\"1.2\xE4\xBA\xBF\" (\".\" where no separator"},
    };
    char source[512], err[256] = "";
    struct fc_sink s = {0};

    (void)state;
    snprintf(source, sizeof(source), VALUES_JSON_SOURCE, "");
    assert_int_equal(fc_read_file("json", source, "values.json", &s, err, sizeof(err)), 0);
    fc_check_records(&s, w, TS_N(w));
    memset(&s, 0, sizeof(s));
    snprintf(source, sizeof(source), VALUES_JSON_SOURCE,
             ", \"decimal\": \",\", \"suffixes\": {\"\xE4\xBA\xBF\": 1e8}");
    assert_int_equal(fc_read_file("json", source, "values.json", &s, err, sizeof(err)), 0);
    fc_check_records(&s, comma, TS_N(comma));
}

/* A json value's problem ends with the value's JSON Pointer, wide fields too. */
static void test_json_value_problem_names_its_pointer(void **state)
{
    static const struct fc_want w[] = {
        {1, "p1", "revenue", "2023", 0, 1, 5, NULL},
        {1, "p1", "tax", "2023", 0, 0, 0, "\"1,23\" (thousands separator \",\" not followed"},
        {2, "p2", "revenue", "2023", 0, 0, 0, "with \"suffixes\")) at /parks/1/r"},
        {2, "p2", "tax", "2023", 1, 0, 0, NULL},
    };
    struct fc_sink s = {0};
    char err[256] = "";

    (void)state;
    assert_int_equal(
        fc_read_str("json",
                    "{\"mapping\": {\"layout\": \"wide\", \"records\": \"/parks\", \"unit\": "
                    "\"/id\", \"period\": {\"const\": \"2023\"}, \"fields\": {\"revenue\": "
                    "\"/r\", \"tax\": \"/t~1x\"}}}",
                    "{\"parks\": [{\"id\": \"p1\", \"r\": 5, \"t/x\": \"1,23\"}, {\"id\": \"p2\", "
                    "\"r\": \"7%\"}]}",
                    &s, err, sizeof(err)),
        0);
    fc_check_records(&s, w, TS_N(w));
    assert_non_null(strstr(s.rec[1].problem, " at /parks/0/t~1x"));
}

/* JSON number tokens read as strtod() reads the token (the general value
 * parser's result), and its refusals: overflow, underflow (a subnormal
 * too), more than 126 characters. */
static void test_json_number_token_values(void **state)
{
    char source[512], err[256] = "", payload[2048], big[140];
    static const char *const v[] = {"0",           "-0.0",    "1E3",    "2.5e-3",
                                    "12345678.91", "1e-310",  "0e-400", "1.7976931348623157e308",
                                    "1.8e308",     "-5e-324", "1e+2",   "BIG100",
                                    "BIG130"};
    static const struct fc_want w[] = {
        {1, "a", "r", "2023-01", 0, 1, 0, NULL},
        {2, "a", "r", "2023-01", 0, 1, 0, NULL},
        {3, "a", "r", "2023-01", 0, 1, 1000, NULL},
        {4, "a", "r", "2023-01", 0, 1, 0.0025, NULL},
        {5, "a", "r", "2023-01", 0, 1, 12345678.91, NULL},
        {6, "a", "r", "2023-01", 0, 0, 0, "\"1e-310\" (underflow"},
        {7, "a", "r", "2023-01", 0, 1, 0, NULL},
        {8, "a", "r", "2023-01", 0, 1, 1.7976931348623157e308, NULL},
        {9, "a", "r", "2023-01", 0, 0, 0, "\"1.8e308\" (overflow"},
        {10, "a", "r", "2023-01", 0, 0, 0, "\"-5e-324\" (underflow"},
        {11, "a", "r", "2023-01", 0, 1, 100, NULL},
        {12, "a", "r", "2023-01", 0, 1, 1e99, NULL},
        {13, "a", "r", "2023-01", 0, 0, 0, "(longer than 126 characters)"},
    };
    size_t o = 0;
    struct fc_sink s = {0};

    (void)state;
    snprintf(source, sizeof(source), VALUES_JSON_SOURCE, "");
    o += (size_t)snprintf(payload, sizeof(payload), "{\"data\": [");
    for (size_t i = 0; i < sizeof(v) / sizeof(*v); i++) {
        const char *t = v[i];
        if (strncmp(t, "BIG", 3) == 0) { /* 1 and 99 or 129 zeros */
            size_t n = (size_t)atoi(t + 3);
            memset(big, '0', n);
            big[0] = '1';
            big[n] = '\0';
            t = big;
        }
        o += (size_t)snprintf(payload + o, sizeof(payload) - o,
                              "%s{\"u\": \"a\", \"i\": \"r\", \"p\": \"2023-01\", \"v\": %s}",
                              i ? ", " : "", t);
    }
    snprintf(payload + o, sizeof(payload) - o, "]}");
    assert_int_equal(fc_read_str("json", source, payload, &s, err, sizeof(err)), 0);
    fc_check_records(&s, w, TS_N(w));
    assert_true(s.rec[1].value == 0 && signbit(s.rec[1].value)); /* -0.0 as written */
    assert_true(s.rec[4].value == 12345678.91);                  /* exactly, not within 1e-9 */
    assert_true(s.rec[11].value == 1e99);
}

/* Objects with more keys than are compared one by one: a repeat is found
 * wherever it is, and the keys of one object are no repeats in the next. */
static void test_json_repeated_key_in_large_objects(void **state)
{
    char source[512], err[256] = "", payload[4096], want[64];
    struct fc_sink s = {0};

    (void)state;
    snprintf(source, sizeof(source), VALUES_JSON_SOURCE, "");
    /* two records with the same 30 extra keys each: no repeat */
    size_t o = (size_t)snprintf(payload, sizeof(payload), "{\"data\": [");
    for (int r = 0; r < 2; r++) {
        o += (size_t)snprintf(payload + o, sizeof(payload) - o,
                              "%s{\"u\": \"a\", \"i\": \"r\", \"p\": \"2023-0%d\", \"v\": %d",
                              r ? ", " : "", r + 1, r);
        for (int k = 0; k < 30; k++)
            o += (size_t)snprintf(payload + o, sizeof(payload) - o, ", \"k%d\": %d", k, k);
        o += (size_t)snprintf(payload + o, sizeof(payload) - o, "}");
    }
    snprintf(payload + o, sizeof(payload) - o, "]}");
    assert_int_equal(fc_read_str("json", source, payload, &s, err, sizeof(err)), 0);
    assert_int_equal(s.n, 2);
    /* the second record repeats one of its keys: the 3rd, 8th, 9th or 20th */
    for (int at = 0; at < 4; at++) {
        static const int nkeys[] = {3, 8, 9, 20};
        int n = nkeys[at];
        o = (size_t)snprintf(payload, sizeof(payload), "{\"data\": [{\"u\": \"a\"");
        for (int k = 0; k < 30; k++)
            o += (size_t)snprintf(payload + o, sizeof(payload) - o, ", \"k%d\": %d", k, k);
        o += (size_t)snprintf(payload + o, sizeof(payload) - o, "}, {\"u\": \"a\"");
        for (int k = 1; k < n; k++)
            o += (size_t)snprintf(payload + o, sizeof(payload) - o, ", \"k%d\": %d", k, k);
        snprintf(payload + o, sizeof(payload) - o, ", \"k%d\": 0}]}", n / 2);
        snprintf(want, sizeof(want), "/data/1/k%d: repeated key", n / 2);
        fc_expect_bad_payload("json", source, payload, want);
    }
}

/* A repeated key refuses a json payload, naming its JSON Pointer. */
static void test_json_repeated_key_refuses_the_payload(void **state)
{
    char source[512], err[256] = "";
    struct fc_sink s = {0};

    (void)state;
    snprintf(source, sizeof(source), VALUES_JSON_SOURCE, "");
    assert_int_equal(fc_read_file("json", source, "values_dup_key.json", &s, err, sizeof(err)),
                     -EBADMSG);
    if (!strstr(err, "line 3 column") || !strstr(err, "/data/1/v: repeated key"))
        fail_msg("err: %s", err);
    fc_expect_bad_payload("json", source, "{\"data\": [], \"data\": []}", "/data: repeated key");
    fc_expect_bad_payload("json", source,
                          "{\"data\": [{\"u\": \"a\", \"w\": {\"a/b\": 1, \"a/b\": 2}}]}",
                          "/data/0/w/a~1b: repeated key");
    /* the same key in two objects is no repeat */
    memset(&s, 0, sizeof(s));
    assert_int_equal(fc_read_str("json", source,
                                 "{\"data\": [{\"u\": \"a\", \"i\": \"r\", \"p\": \"2023\", \"v\": "
                                 "1}, {\"u\": \"a\", \"i\": \"r\", \"p\": \"2024\", \"v\": 2}]}",
                                 &s, err, sizeof(err)),
                     0);
    assert_int_equal(s.n, 2);
}

/* The nbs reader (jansson) refuses a repeated key instead of keeping the last. */
static void test_nbs_repeated_key_refuses_the_payload(void **state)
{
    (void)state;
    fc_expect_bad_payload("nbs", "{}",
                          "{\"returncode\": 200, \"returndata\": {\"datanodes\": [], "
                          "\"datanodes\": []}}",
                          "duplicate object key");
}

/* The value options are checked like every option, with their JSON path. */
static void test_value_option_errors(void **state)
{
    (void)state;
    fc_expect_config_error("csv",
                           "{\"mapping\": {\"unit\": \"u\", \"indicator\": \"i\", "
                           "\"period\": \"p\", \"value\": \"v\", \"decimal\": \"comma\"}}",
                           "mapping.decimal: bad decimal \"comma\" (did you mean \",\"?");
    fc_expect_config_error("json",
                           "{\"mapping\": {\"unit\": \"/u\", \"indicator\": \"/i\", \"period\": "
                           "\"/p\", \"value\": \"/v\", \"thousands\": \";\"}}",
                           "mapping.thousands: bad thousands \";\" (expected");
    fc_expect_config_error("csv",
                           "{\"mapping\": {\"unit\": \"u\", \"indicator\": \"i\", "
                           "\"period\": \"p\", \"value\": \"v\", \"decimal\": \",\", "
                           "\"thousands\": \",\"}}",
                           "mapping.thousands: must differ from decimal");
    fc_expect_config_error("sdmx",
                           "{\"mapping\": {\"unit_dimension\": \"U\", \"indicator_dimension\": "
                           "\"I\", \"missing\": [\"-\", 0]}}",
                           "mapping.missing[1]: expected a string");
    fc_expect_config_error("nbs", "{\"mapping\": {\"suffixes\": {\"\xE4\xB8\x87\": 0}}}",
                           "mapping.suffixes.\xE4\xB8\x87: expected a factor > 0");
    fc_expect_config_error("nbs", "{\"mapping\": {\"suffixes\": {\"k1\": 1000}}}",
                           "mapping.suffixes.k1: a suffix is");
    fc_expect_config_error("nbs", "{\"mapping\": {\"sufixes\": {}}}",
                           "mapping: unknown key \"sufixes\" (did you mean \"suffixes\"?)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_value_defaults),
        cmocka_unit_test(test_value_reads_only_len_bytes),
        cmocka_unit_test(test_value_decimal_comma),
        cmocka_unit_test(test_value_markers_and_suffixes),
        cmocka_unit_test(test_csv_french_locale),
        cmocka_unit_test(test_csv_silent_cases),
        cmocka_unit_test(test_csv_suffixes_and_markers),
        cmocka_unit_test(test_json_number_tokens_and_strings),
        cmocka_unit_test(test_json_value_problem_names_its_pointer),
        cmocka_unit_test(test_json_repeated_key_refuses_the_payload),
        cmocka_unit_test(test_json_number_token_values),
        cmocka_unit_test(test_json_repeated_key_in_large_objects),
        cmocka_unit_test(test_nbs_repeated_key_refuses_the_payload),
        cmocka_unit_test(test_value_option_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
