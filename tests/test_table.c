/*
 * test_table.c - cli/table: display width of UTF-8 text (a CJK character is
 * two columns, so "示例高新区" is 10) and the exact aligned output of tables
 * holding Chinese park names, right-aligned numbers, empty and control
 * characters; and cli/cmd_api_out: the same rows as table, CSV and JSON.
 */
#include <errno.h>
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/cmd_api_priv.h"
#include "cli/table.h"

/* A memory stream and the text written to it. */
struct capture {
    FILE *f;
    char *text;
    size_t len;
};

static void capture_open(struct capture *c)
{
    c->text = NULL;
    c->len = 0;
    c->f = open_memstream(&c->text, &c->len);
    assert_non_null(c->f);
}

static const char *capture_close(struct capture *c)
{
    assert_int_equal(fclose(c->f), 0);
    return c->text;
}

static int setup(void **state)
{
    (void)state;
    return setlocale(LC_CTYPE, "C.UTF-8") ? 0 : -1;
}

static void test_text_width_counts_cjk_as_two_columns(void **state)
{
    static const struct {
        const char *text;
        size_t width;
    } cases[] = {
        {"", 0},
        {"p01", 3},
        {"示例高新区", 10},
        {"示例软件园 p02", 14},
        {"Zürich", 6}, /* ü: two bytes, one column */
        {"ＡＢ", 4},   /* full-width Latin letters */
        {"亿元/%", 6},
        {"\xff", 1},             /* not UTF-8: one column per byte */
        {"a\xe7\xa4", 3},        /* a truncated character: two bytes */
        {"\xe7\xa4\xba\xff", 3}, /* 示 then a stray byte */
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t got = table_text_width(cases[i].text);
        if (got != cases[i].width)
            fail_msg("case %zu \"%s\": width %zu, want %zu", i, cases[i].text, got, cases[i].width);
    }
}

/* Widths do not depend on the program's locale: the C locale, which counts
 * bytes, gives the same as C.UTF-8. Combining marks take no column, East
 * Asian Wide and Fullwidth two, halfwidth forms one. */
static void test_text_width_in_the_c_locale(void **state)
{
    static const struct {
        const char *text;
        size_t width;
    } cases[] = {
        {"示例高新区", 10},
        {"e\xcc\x81", 1},         /* e + U+0301 COMBINING ACUTE ACCENT */
        {"Cafe\xcc\x81 高新", 9}, /* 4 + 0 + 1 + 4 */
        {"ＡＢ", 4},              /* U+FF21 FULLWIDTH LATIN */
        {"\xef\xbd\xb1", 1},      /* U+FF71 HALFWIDTH KATAKANA A */
        {"한국", 4},              /* Hangul syllables: Wide */
        {"\xe3\x80\x80", 2},      /* U+3000 IDEOGRAPHIC SPACE: Fullwidth */
    };
    (void)state;
    assert_non_null(setlocale(LC_CTYPE, "C"));
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t got = table_text_width(cases[i].text);
        if (got != cases[i].width)
            fail_msg("case %zu \"%s\": width %zu, want %zu", i, cases[i].text, got, cases[i].width);
    }
    assert_non_null(setlocale(LC_CTYPE, "C.UTF-8"));
}

/* The streaming pair pads like table_print: a combining mark takes no column. */
static void test_print_line_pads_by_display_width(void **state)
{
    static const char *const head[] = {"name", "n"};
    static const char *const a[] = {"Cafe\xcc\x81", "1"};
    static const char *const b[] = {"软件园", "22"};
    static const enum table_align aligns[] = {TABLE_LEFT, TABLE_RIGHT};
    size_t widths[2] = {0, 0};
    struct capture c;
    (void)state;

    table_widen(widths, 2, head);
    table_widen(widths, 2, a);
    table_widen(widths, 2, b);
    assert_int_equal(widths[0], 6);
    assert_int_equal(widths[1], 2);
    capture_open(&c);
    assert_int_equal(table_print_line(c.f, 2, widths, aligns, head), 0);
    assert_int_equal(table_print_line(c.f, 2, widths, aligns, a), 0);
    assert_int_equal(table_print_line(c.f, 2, widths, aligns, b), 0);
    assert_string_equal(capture_close(&c), "name     n\n"
                                           "Cafe\xcc\x81     1\n"
                                           "软件园  22\n");
    free(c.text);
}

static void test_table_aligns_chinese_names_by_display_width(void **state)
{
    static const char *const headers[] = {"unit", "name", "score"};
    static const enum table_align aligns[] = {TABLE_LEFT, TABLE_LEFT, TABLE_RIGHT};
    static const char *const rows[][3] = {
        {"p01", "示例高新区", "100.00"}, {"p02", "软件园", "0.00"}, {"p10", "Alpha Park", "50.00"}};
    struct table *t = NULL;
    struct capture c;
    (void)state;

    assert_int_equal(table_new(&t, 3, headers, aligns), 0);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(table_add_row(t, rows[i]), 0);
    assert_int_equal(table_rows(t), 3);
    capture_open(&c);
    assert_int_equal(table_print(t, c.f), 0);
    /* name is 10 columns wide ("示例高新区", "Alpha Park"), score 6 ("100.00") */
    assert_string_equal(capture_close(&c), "unit  name         score\n"
                                           "p01   示例高新区  100.00\n"
                                           "p02   软件园        0.00\n"
                                           "p10   Alpha Park   50.00\n");
    free(c.text);
    table_free(&t);
    assert_null(t);
    table_free(&t); /* NULL: a no-op */
}

static void test_table_last_column_has_no_trailing_blanks(void **state)
{
    static const char *const headers[] = {"id", "error"};
    static const char *const rows[][2] = {{"1", NULL}, {"12", "HTTP 500"}, {"3", "a\tb\r\nc"}};
    struct table *t = NULL;
    struct capture c;
    (void)state;

    assert_int_equal(table_new(&t, 2, headers, NULL), 0);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(table_add_row(t, rows[i]), 0);
    capture_open(&c);
    assert_int_equal(table_print(t, c.f), 0);
    /* NULL prints empty, with no trailing blanks; control characters become blanks, one line per
     * row */
    assert_string_equal(capture_close(&c), "id  error\n"
                                           "1\n"
                                           "12  HTTP 500\n"
                                           "3   a b  c\n");
    free(c.text);
    table_free(&t);
}

static void test_table_many_rows_grow_the_array(void **state)
{
    static const char *const headers[] = {"n"};
    static const enum table_align right[] = {TABLE_RIGHT};
    struct table *t = NULL;
    struct capture c;
    char num[16];
    const char *cell[1] = {num};
    (void)state;

    assert_int_equal(table_new(&t, 1, headers, right), 0);
    for (int i = 1; i <= 100; i++) {
        snprintf(num, sizeof(num), "%d", i * i);
        assert_int_equal(table_add_row(t, cell), 0);
    }
    capture_open(&c);
    assert_int_equal(table_print(t, c.f), 0);
    capture_close(&c);
    /* 101 lines of 5 columns (10000 is the widest) and a newline each */
    assert_int_equal(c.len, 101 * 6);
    assert_memory_equal(c.text, "    n\n    1\n    4\n", 18);
    assert_string_equal(c.text + c.len - 12, " 9801\n10000\n");
    free(c.text);
    table_free(&t);
}

static void test_table_new_rejects_bad_column_counts(void **state)
{
    static const char *const h[] = {"a"};
    struct table *t = (struct table *)h; /* must be reset to NULL */
    (void)state;

    assert_int_equal(table_new(&t, 0, h, NULL), -EINVAL);
    assert_null(t);
    assert_int_equal(table_new(&t, 65, h, NULL), -EINVAL);
}

/* The ranking rows as the API sends them, printed by cmd_api_out. */
static json_t *ranking_rows(void)
{
    json_t *rows = json_loads("[{\"rank\": 1, \"unit\": \"p01\", \"name\": \"示例高新区\", "
                              "\"score\": 100.0, \"rank_change\": 1, \"flags\": 0},"
                              " {\"rank\": 2, \"unit\": \"p03\", \"name\": \"示例科技城, 东区\", "
                              "\"score\": 66.6666666666667, \"rank_change\": -1, \"flags\": 0},"
                              " {\"rank\": null, \"unit\": \"p02\", \"name\": \"软件园\", "
                              "\"score\": null, \"rank_change\": 0, \"flags\": 4}]",
                              0, NULL);
    assert_non_null(rows);
    return rows;
}

static const struct api_col ranking_cols[] = {
    {"rank", "rank", API_COL_NUMBER, -1},
    {"unit", "unit", API_COL_TEXT, -1},
    {"name", "name", API_COL_TEXT, -1},
    {"score", "score", API_COL_NUMBER, 2},
    {"rank_change", "change", API_COL_SIGNED, -1},
    {"flags", "flags", API_COL_NUMBER, -1},
};

/* "示例科技城, 东区" is 16 columns: five CJK, comma, blank, two CJK */
static void test_rows_table_csv_and_json(void **state)
{
    json_t *rows = ranking_rows();
    struct capture c;
    (void)state;

    capture_open(&c);
    assert_int_equal(api_print_rows(API_FORMAT_TABLE, rows, ranking_cols, 6, c.f), 0);
    assert_string_equal(capture_close(&c), "rank  unit  name               score  change  flags\n"
                                           "   1  p01   示例高新区        100.00      +1      0\n"
                                           "   2  p03   示例科技城, 东区   66.67      -1      0\n"
                                           "   -  p02   软件园                 -       0      4\n");
    free(c.text);

    capture_open(&c);
    assert_int_equal(api_print_rows(API_FORMAT_CSV, rows, ranking_cols, 6, c.f), 0);
    assert_string_equal(capture_close(&c), "rank,unit,name,score,rank_change,flags\n"
                                           "1,p01,示例高新区,100,1,0\n"
                                           "2,p03,\"示例科技城, 东区\",66.6666666666667,-1,0\n"
                                           ",p02,软件园,,0,4\n");
    free(c.text);

    capture_open(&c);
    assert_int_equal(api_print_json(json_array_get(rows, 2), c.f), 0);
    assert_string_equal(capture_close(&c), "{\n  \"rank\": null,\n  \"unit\": \"p02\",\n"
                                           "  \"name\": \"软件园\",\n  \"score\": null,\n"
                                           "  \"rank_change\": 0,\n  \"flags\": 4\n}\n");
    free(c.text);
    json_decref(rows);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_width_counts_cjk_as_two_columns),
        cmocka_unit_test(test_text_width_in_the_c_locale),
        cmocka_unit_test(test_print_line_pads_by_display_width),
        cmocka_unit_test(test_table_aligns_chinese_names_by_display_width),
        cmocka_unit_test(test_table_last_column_has_no_trailing_blanks),
        cmocka_unit_test(test_table_many_rows_grow_the_array),
        cmocka_unit_test(test_table_new_rejects_bad_column_counts),
        cmocka_unit_test(test_rows_table_csv_and_json),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
