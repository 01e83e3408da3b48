/*
 * report_svg.h - the bulletin's charts as inline SVG (no scripts, no files to
 * fetch): a line chart of a series over periods, horizontal bars with a
 * label each, and diverging stacked bars. Every text is XML-escaped; a
 * missing value is a gap (no point, no bar, no segment), never drawn as 0.
 *
 * Geometry, in SVG user units (px at 96 dpi), so a test can compute the
 * coordinates by hand:
 * - line chart: 640 x 240, plot area x 56 .. 600, y 20 .. 204; point i of n at
 *   x = 56 + 544 i / (n - 1) (the middle, 328, when n = 1); the y axis spans
 *   svg_ticks(min - 5 %, max + 5 % of the values' range) = lo .. hi, and
 *   y = 204 - 184 (v - lo) / (hi - lo).
 * - bars and stacks: 640 wide, one row of 20 per bar from y = 8 (bar 14 high
 *   at row + 3), the value axis from x = 180 to 520 over svg_ticks() of the
 *   values and 0, then 28 for the axis labels.
 */
#ifndef PARKSTAT_REPORT_SVG_H
#define PARKSTAT_REPORT_SVG_H

#include <stddef.h>
#include <stdio.h>

#include "cli/report_priv.h"

#define SVG_FONT                                                                                   \
    "'Noto Sans CJK SC','Noto Sans SC','WenQuanYi Zen Hei','WenQuanYi Micro Hei',sans-serif"

/* A linear map of the domain [d0, d1] onto the range [r0, r1]. */
struct svg_scale {
    double d0, d1, r0, r1;
};

/* v mapped by s (r0 when the domain is empty). */
double svg_map(struct svg_scale s, double v);

/* A tick range covering [min, max]: *lo and *hi multiples of *step, which is
 * 1, 2 or 5 times a power of ten, the smallest giving at most `ticks`
 * intervals. A single value gets a range of one step around it. */
void svg_ticks(double min, double max, int ticks, double *lo, double *hi, double *step);

/* s with & < > " ' as XML entities. */
void svg_text(FILE *out, const char *s);

/* A series over periods (labels[i] the period of v[i]). */
struct svg_series {
    const char *title; /* the chart's accessible name and <title> */
    const char *const *labels;
    const struct report_num *v;
    size_t n;
    int decimals; /* of the values shown */
    const char *color;
};

/* A line chart of s: one circle (class "pt") per value present, the line
 * broken where a value is missing, ticks and labels on both axes. */
void svg_line(FILE *out, const struct svg_series *s);

/* One horizontal bar: its label, value and a note written after it (the
 * rank change, "▲2"; NULL for none) in the class note_class (up, down). */
struct svg_bar {
    const char *label;
    struct report_num value;
    const char *note, *note_class;
};

/* Horizontal bars (class "bar"), top to bottom in the order given. */
void svg_bars(FILE *out, const char *title, const struct svg_bar *bars, size_t n, int decimals,
              const char *color);

/* One row of stacked parts: positive parts stack right of 0, negative left,
 * in the order of the parts; a missing part is left out. */
struct svg_stack {
    const char *label;
    const struct report_num *parts; /* nparts */
};

/* Diverging stacked bars (segments of class "seg"), one row per stack, with a
 * legend of the parts' names in the colors of svg_palette. */
void svg_stacks(FILE *out, const char *title, const char *const *names, size_t nparts,
                const struct svg_stack *rows, size_t n, int decimals);

#define SVG_PALETTE_SIZE 8
extern const char *const svg_palette[SVG_PALETTE_SIZE];

#endif
