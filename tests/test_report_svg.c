/*
 * test_report_svg.c - cli/report_svg.c: tick ranges, the scale, and the
 * coordinates of each chart's marks computed by hand from the geometry in
 * report_svg.h; a missing value is a gap (no point, no bar, no segment);
 * every text XML-escaped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/report_svg.h"

#define NUM(x) ((struct report_num){(x), 1})
#define NONE   ((struct report_num){0, 0})

/* Occurrences of needle in s. */
static size_t count(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static void test_ticks(void **state)
{
    double lo, hi, step;
    (void)state;
    /* 0 .. 134.83 in at most 5 steps: 10 and 20 need 14 and 7, 50 needs 3 */
    svg_ticks(0, 134.83, 5, &lo, &hi, &step);
    assert_true(lo == 0 && hi == 150 && step == 50);
    /* 99.5 .. 110.5: 1 and 2 too many (11, 7 steps), 5: 95 .. 115 */
    svg_ticks(99.5, 110.5, 5, &lo, &hi, &step);
    assert_true(lo == 95 && hi == 115 && step == 5);
    /* one value, 100: 95 .. 105 around it */
    svg_ticks(100, 100, 5, &lo, &hi, &step);
    assert_true(lo == 95 && hi == 105 && step == 5);
    /* negative: -1 .. 5 with step 1 is 6 steps, 2 gives -2 .. 6 */
    svg_ticks(-1, 5, 5, &lo, &hi, &step);
    assert_true(lo == -2 && hi == 6 && step == 2);
    /* small: 0.012 .. 0.047, raw step 0.007: 0.01 from 0.01 to 0.05 */
    svg_ticks(0.012, 0.047, 5, &lo, &hi, &step);
    assert_float_equal(lo, 0.01, 1e-12);
    assert_float_equal(hi, 0.05, 1e-12);
    assert_float_equal(step, 0.01, 1e-12);
}

static void test_map(void **state)
{
    (void)state;
    assert_float_equal(svg_map((struct svg_scale){0, 10, 100, 200}, 5), 150, 1e-12);
    assert_float_equal(svg_map((struct svg_scale){95, 115, 204, 20}, 105), 112, 1e-12);
    assert_float_equal(svg_map((struct svg_scale){1, 1, 7, 9}, 3), 7, 1e-12);
}

/* The text a chart writes. */
static char *draw(void (*fn)(FILE *, const void *), const void *arg)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    fn(f, arg);
    assert_int_equal(fclose(f), 0);
    return text;
}

static void draw_line(FILE *f, const void *arg)
{
    svg_line(f, arg);
}

static void test_line(void **state)
{
    static const char *const labels[] = {"2023-Q1", "Q<2>&", "2023-Q3", "2023-Q4"};
    const struct report_num v[] = {NUM(100), NONE, NUM(105), NUM(110)};
    struct svg_series s = {"指数 <i>", labels, v, 4, 2, "#c23b22"};
    (void)state;
    char *svg = draw(draw_line, &s);
    /* values 100 .. 110 padded by 0.5: ticks 95 .. 115 by 5; y = 204 - 184 (v - 95) / 20;
     * x = 56 + 544 i / 3 */
    assert_int_equal(count(svg, "<circle class=\"pt\""), 3);
    assert_non_null(strstr(svg, "cx=\"56.00\" cy=\"158.00\""));
    assert_non_null(strstr(svg, "cx=\"418.67\" cy=\"112.00\""));
    assert_non_null(strstr(svg, "cx=\"600.00\" cy=\"66.00\""));
    assert_null(strstr(svg, "cx=\"237.33\"")); /* the missing one: no point */
    /* the line is broken at the gap: a move to the third point, not a line */
    assert_non_null(strstr(svg, "d=\"M56.00,158.00M418.67,112.00L600.00,66.00\""));
    /* y ticks 95, 100, ... 115 with 2 decimals at y 204, 158, 112, 66, 20 */
    assert_int_equal(count(svg, "<line class=\"grid\""), 5);
    assert_non_null(strstr(svg, "y=\"208.00\" text-anchor=\"end\">95.00</text>"));
    assert_non_null(strstr(svg, "y=\"24.00\" text-anchor=\"end\">115.00</text>"));
    /* every period a tick, escaped */
    assert_int_equal(count(svg, "<text class=\"tick\""), 4);
    assert_non_null(strstr(svg, ">Q&lt;2&gt;&amp;</text>"));
    assert_non_null(strstr(svg, "aria-label=\"指数 &lt;i&gt;\""));
    assert_null(strstr(svg, "<i>"));
    assert_non_null(strstr(svg, ">105.00</text>"));
    free(svg);
}

static void draw_line_empty(FILE *f, const void *arg)
{
    (void)arg;
    static const char *const labels[] = {"2023-Q1", "2023-Q2"};
    const struct report_num v[] = {NONE, NONE};
    struct svg_series s = {"x", labels, v, 2, 2, "#000"};
    svg_line(f, &s);
}

static void test_line_empty(void **state)
{
    (void)state;
    char *svg = draw(draw_line_empty, NULL);
    assert_int_equal(count(svg, "<circle"), 0);
    assert_non_null(strstr(svg, "d=\"\""));
    assert_non_null(strstr(svg, "no data"));
    free(svg);
}

static void draw_bars(FILE *f, const void *arg)
{
    (void)arg;
    const struct svg_bar bars[] = {{"园区 A&B", NUM(120.74), "▲2", "up"},
                                   {"<none>", NONE, "–", "same"},
                                   {"C", NUM(-10), "▼1", "down"}};
    svg_bars(f, "t", bars, 3, 2, "#2f6ea8");
}

static void test_bars(void **state)
{
    (void)state;
    char *svg = draw(draw_bars, NULL);
    /* -10 .. 120.74 with 0: ticks -50 .. 150 by 50 onto 180 .. 520, 1.7 px a unit,
     * 0 at 265; rows from 8, 20 each, bars at row + 3 */
    assert_int_equal(count(svg, "<rect class=\"bar\""), 2);
    assert_non_null(strstr(svg, "x=\"265.00\" y=\"11.00\" width=\"205.26\" height=\"14.00\""));
    assert_non_null(strstr(svg, "x=\"248.00\" y=\"51.00\" width=\"17.00\" height=\"14.00\""));
    assert_non_null(strstr(svg, ">120.74</text>"));
    assert_non_null(strstr(svg, ">-10.00</text>"));
    /* the missing score: a dash, no bar, no 0 */
    assert_non_null(strstr(svg, "<text x=\"269.00\" y=\"42.00\">—</text>"));
    assert_null(strstr(svg, ">0.00</text><text"));
    /* the notes, classed, escaped labels */
    assert_non_null(strstr(svg, "class=\"up\" x=\"632.00\" y=\"22.00\" text-anchor=\"end\">▲2<"));
    assert_non_null(strstr(svg, "class=\"down\""));
    assert_non_null(strstr(svg, ">园区 A&amp;B</text>"));
    assert_non_null(strstr(svg, ">&lt;none&gt;</text>"));
    /* 0 is the darker grid line; height 8 + 3 x 20 + 28 */
    assert_non_null(
        strstr(svg, "x1=\"265.00\" y1=\"8.00\" x2=\"265.00\" y2=\"68.00\" stroke=\"#333\""));
    assert_non_null(strstr(svg, "viewBox=\"0 0 640 96\""));
    free(svg);
}

static void draw_stacks(FILE *f, const void *arg)
{
    (void)arg;
    static const char *const names[] = {"创新", "产业", "开放", "绿色"};
    const struct report_num a[] = {NUM(2), NUM(-1), NONE, NUM(3)};
    const struct report_num b[] = {NONE, NONE, NONE, NONE};
    const struct svg_stack rows[] = {{"A", a}, {"B", b}};
    svg_stacks(f, "s", names, 4, rows, 2, 2);
}

static void test_stacks(void **state)
{
    (void)state;
    char *svg = draw(draw_stacks, NULL);
    /* positives 2 + 3 = 5, negatives -1: ticks -2 .. 6 by 2, 42.5 px a unit, 0 at
     * 265; one legend row, so the rows start at 28 */
    assert_int_equal(count(svg, "<rect class=\"seg\""), 3);
    assert_non_null(strstr(svg, "x=\"265.00\" y=\"31.00\" width=\"85.00\""));  /* 0 .. 2 */
    assert_non_null(strstr(svg, "x=\"222.50\" y=\"31.00\" width=\"42.50\""));  /* -1 .. 0 */
    assert_non_null(strstr(svg, "x=\"350.00\" y=\"31.00\" width=\"127.50\"")); /* 2 .. 5 */
    assert_non_null(strstr(svg, "fill=\"#4e79a7\"><title>A 创新 +2.00</title>"));
    assert_non_null(strstr(svg, ">+4.00</text>")); /* the net sum */
    /* row B has nothing: a dash, no segment */
    assert_non_null(strstr(svg, "<text x=\"269.00\" y=\"62.00\">—</text>"));
    assert_int_equal(count(svg, "<rect class=\"key\""), 4);
    free(svg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ticks), cmocka_unit_test(test_map),
        cmocka_unit_test(test_line),  cmocka_unit_test(test_line_empty),
        cmocka_unit_test(test_bars),  cmocka_unit_test(test_stacks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
