/*
 * test_report_out.c - cli/report_out.c and report_html.c: text from the API
 * (a unit name holding HTML and Markdown) escaped in Markdown and HTML, kept
 * as is in CSV; values with the key indicator's decimals in Markdown and
 * HTML, full precision in CSV.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/report_priv.h"

static char name[] = "<b>软件园</b> & Co_1 *new*";
static char unit[] = "p02";
static char code[] = "revenue";
static char ind_name[] = "营业收入<script>";
static char measure[] = "亿元";
static char note[] = "p02 revenue: <img src=x>";
static char *notes[] = {note};
static char index_id[] = "dev";
static char url[] = "http://127.0.0.1:8080";

/* One park, one key indicator of 2 decimals, one note. */
static void fill(struct report *r, struct report_park *p)
{
    memset(r, 0, sizeof(*r));
    memset(p, 0, sizeof(*p));
    r->index = index_id;
    snprintf(r->period, sizeof(r->period), "2024-02");
    snprintf(r->generated, sizeof(r->generated), "2026-01-01T00:00:00Z");
    r->source_url = url;
    r->keys[0] = (struct report_indicator){code, ind_name, measure, 2};
    r->nkeys = 1;
    p->unit = unit;
    p->name = name;
    p->score = (struct report_num){49.91681363, 1};
    p->rank = (struct report_num){1, 1};
    p->keys[0].value = (struct report_num){1512.91999999999, 1};
    p->keys[0].yoy = (struct report_num){7.53309265944647, 1};
    r->parks = p;
    r->nparks = 1;
    r->notes = notes;
    r->nnotes = 1;
    r->city = p->score;
}

/* The text a renderer writes. */
static char *render(int (*write)(const struct report *, FILE *), const struct report *r)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    assert_non_null(f);
    assert_int_equal(write(r, f), 0);
    assert_int_equal(fclose(f), 0);
    return text;
}

static void test_markdown_escapes_html_and_markdown(void **state)
{
    struct report r;
    struct report_park p;
    (void)state;

    fill(&r, &p);
    char *md = render(report_write_md, &r);
    assert_null(strchr(md, '<'));
    assert_non_null(
        strstr(md, "| 1 | &lt;b&gt;软件园&lt;/b&gt; &amp; Co\\_1 \\*new\\* (p02) | 49.92 |"));
    assert_non_null(strstr(md, "营业收入&lt;script&gt; (亿元)"));
    assert_non_null(strstr(md, "- p02 revenue: &lt;img src=x&gt;\n"));
    /* the value with the indicator's 2 decimals, growth with 1 */
    assert_non_null(strstr(md, "| 1512.92 | 7.5 |"));
    free(md);
}

static void test_html_escapes_names_and_notes(void **state)
{
    struct report r;
    struct report_park p;
    (void)state;

    fill(&r, &p);
    char *html = render(report_write_html, &r);
    assert_null(strstr(html, "<b>软件园"));
    assert_null(strstr(html, "<script>"));
    assert_null(strstr(html, "<img"));
    assert_non_null(strstr(html, "&lt;b&gt;软件园&lt;/b&gt; &amp; Co_1 *new*"));
    assert_non_null(strstr(html, "<td>1512.92</td>"));
    free(html);
}

static void test_csv_keeps_text_and_full_precision(void **state)
{
    struct report r;
    struct report_park p;
    (void)state;

    fill(&r, &p);
    char *csv = render(report_write_csv, &r);
    assert_non_null(strstr(csv, ",p02,<b>软件园</b> & Co_1 *new*,49.91681363,"));
    assert_non_null(strstr(csv, ",1512.91999999999,7.53309265944647,false,"));
    free(csv);
}

/* Three parks whose revenue carries "p", "p" and "Q&", an unknown code:
 * each value shows its code, the legend names each code once, in the order
 * shown, escaped; a report without codes has no legend. */
static void test_status_codes_and_their_legend(void **state)
{
    struct report r;
    struct report_park p[3];
    static const char *const codes[] = {"p", "p", "Q&"};
    (void)state;

    fill(&r, &p[0]);
    char *md = render(report_write_md, &r);
    assert_null(strstr(md, "Status"));
    free(md);
    for (int i = 0; i < 3; i++) {
        p[i] = p[0];
        p[i].keys[0].value.v = 10 + i;
        snprintf(p[i].keys[0].status, sizeof(p[i].keys[0].status), "%s", codes[i]);
    }
    r.parks = p;
    r.nparks = 3;
    md = render(report_write_md, &r);
    assert_non_null(strstr(md, "| 10.00 p | 7.5 |"));
    assert_non_null(strstr(md, "| 12.00 Q&amp; | 7.5 |"));
    assert_non_null(strstr(md, "\n状态 Status: p = 初步数 provisional; Q&amp;\n\n"));
    free(md);
    char *html = render(report_write_html, &r);
    assert_non_null(strstr(html, "<td>11.00 p</td>"));
    assert_non_null(strstr(
        html, "<p class=\"status\">状态 Status: <b>p</b> = 初步数 provisional；<b>Q&amp;</b></p>"));
    free(html);
    assert_string_equal(report_status_name("E"), "估计值 estimated");
    assert_string_equal(report_status_name("e"), "估计值 estimated");
    assert_string_equal(report_status_name("B"), "序列中断 break in series");
    assert_null(report_status_name("x"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_markdown_escapes_html_and_markdown),
        cmocka_unit_test(test_html_escapes_names_and_notes),
        cmocka_unit_test(test_csv_keeps_text_and_full_precision),
        cmocka_unit_test(test_status_codes_and_their_legend),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
