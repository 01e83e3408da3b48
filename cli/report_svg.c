/*
 * report_svg.c - the bulletin's charts as inline SVG (see report_svg.h for
 * the geometry). Plain fprintf of elements: coordinates with 2 decimals,
 * values with the caller's decimals, every text through svg_text().
 */
#include <math.h>
#include <stdio.h>

#include "cli/report_svg.h"

#define W 640.0 /* every chart's width */

/* Line chart: plot area and size. */
#define LINE_H  240.0
#define LINE_X0 56.0
#define LINE_X1 600.0
#define LINE_Y0 204.0 /* bottom (lo) */
#define LINE_Y1 20.0  /* top (hi) */

/* Bars: label column, value axis, row height, margins. */
#define BAR_X0     180.0
#define BAR_X1     520.0
#define BAR_ROW    20.0
#define BAR_HEIGHT 14.0
#define BAR_TOP    8.0
#define BAR_AXIS   28.0

#define TICKS 5

const char *const svg_palette[SVG_PALETTE_SIZE] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2",
                                                   "#59a14f", "#edc948", "#b07aa1", "#9c755f"};

/* v mapped by s (see report_svg.h). */
double svg_map(struct svg_scale s, double v)
{
    if (s.d1 == s.d0)
        return s.r0;
    return s.r0 + (v - s.d0) * (s.r1 - s.r0) / (s.d1 - s.d0);
}

/* A tick range covering [min, max] (see report_svg.h). */
void svg_ticks(double min, double max, int ticks, double *lo, double *hi, double *step)
{
    static const double nice[] = {1, 2, 5};

    if (!isfinite(min) || !isfinite(max)) {
        min = 0;
        max = 1;
    }
    if (!(max > min)) {
        double half = fabs(max) > 0 ? fabs(max) * 0.05 : 0.5;
        min -= half;
        max += half;
    }
    double raw = (max - min) / (ticks > 0 ? ticks : 1);
    double mag = pow(10, floor(log10(raw)));
    for (int e = 0;; e++) {
        int decade = e / 3;
        double s = nice[e % 3] * mag * pow(10, decade);
        double l = floor(min / s + 1e-9) * s, h = ceil(max / s - 1e-9) * s;
        if ((h - l) / s <= ticks + 1e-9 || e > 30) {
            *lo = l;
            *hi = h;
            *step = s;
            return;
        }
    }
}

/* Text with & < > " ' escaped (see report_svg.h). */
void svg_text(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&apos;", out);
            break;
        default:
            fputc(*s, out);
        }
    }
}

/* <svg ...><title>title</title> of a chart w x h. */
static void svg_open(FILE *out, const char *cls, double h, const char *title)
{
    fprintf(out,
            "<svg class=\"chart %s\" viewBox=\"0 0 %.0f "
            "%.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\" aria-label=\"",
            cls, W, h, W, h);
    svg_text(out, title);
    fprintf(out, "\" font-family=\"%s\" font-size=\"11\"><title>", SVG_FONT);
    svg_text(out, title);
    fputs("</title>\n", out);
}

/* The value range of the present values in *min, *max; 0 when none. */
static int range(const struct report_num *v, size_t n, double *min, double *max)
{
    int any = 0;
    for (size_t i = 0; i < n; i++) {
        if (!v[i].has)
            continue;
        if (!any || v[i].v < *min)
            *min = v[i].v;
        if (!any || v[i].v > *max)
            *max = v[i].v;
        any = 1;
    }
    return any;
}

/* The line chart (see report_svg.h). */
void svg_line(FILE *out, const struct svg_series *s)
{
    double min = 0, max = 1, lo, hi, step;
    int any = range(s->v, s->n, &min, &max), pen = 0;
    double pad = (max - min) * 0.05; /* no point on the frame */

    svg_ticks(min - pad, max + pad, TICKS, &lo, &hi, &step);
    struct svg_scale ys = {lo, hi, LINE_Y0, LINE_Y1};
    struct svg_scale xs = {0, s->n > 1 ? (double)(s->n - 1) : 0, LINE_X0, LINE_X1};
    svg_open(out, "line", LINE_H, s->title);
    for (int k = 0; lo + k * step <= hi + step * 1e-6; k++) {
        double v = lo + k * step, y = svg_map(ys, v);
        fprintf(out,
                "<line class=\"grid\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" "
                "stroke=\"#ddd\"/><text x=\"%.2f\" y=\"%.2f\" text-anchor=\"end\">%.*f</text>\n",
                LINE_X0, y, LINE_X1, y, LINE_X0 - 6, y + 4, s->decimals, v);
    }
    fprintf(out,
            "<path class=\"axis\" d=\"M%.2f,%.2fV%.2fH%.2f\" fill=\"none\" stroke=\"#333\"/>\n",
            LINE_X0, LINE_Y1, LINE_Y0, LINE_X1);
    for (size_t i = 0; i < s->n; i++) {
        double x = s->n > 1 ? svg_map(xs, (double)i) : (LINE_X0 + LINE_X1) / 2;
        fprintf(out,
                "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#333\"/>"
                "<text class=\"tick\" x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">",
                x, LINE_Y0, x, LINE_Y0 + 4, x, LINE_Y0 + 18);
        svg_text(out, s->labels[i]);
        fputs("</text>\n", out);
    }
    fprintf(out, "<path class=\"line\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" d=\"",
            s->color);
    for (size_t i = 0; i < s->n; i++) {
        double x = s->n > 1 ? svg_map(xs, (double)i) : (LINE_X0 + LINE_X1) / 2;
        if (s->v[i].has)
            fprintf(out, "%c%.2f,%.2f", pen ? 'L' : 'M', x, svg_map(ys, s->v[i].v));
        pen = s->v[i].has;
    }
    fputs("\"/>\n", out);
    for (size_t i = 0; i < s->n; i++) {
        if (!s->v[i].has)
            continue;
        double x = s->n > 1 ? svg_map(xs, (double)i) : (LINE_X0 + LINE_X1) / 2;
        double y = svg_map(ys, s->v[i].v);
        fprintf(out, "<circle class=\"pt\" cx=\"%.2f\" cy=\"%.2f\" r=\"3.5\" fill=\"%s\"><title>",
                x, y, s->color);
        svg_text(out, s->labels[i]);
        fprintf(out,
                " %.*f</title></circle><text class=\"val\" x=\"%.2f\" y=\"%.2f\" "
                "text-anchor=\"middle\" font-size=\"10\">%.*f</text>\n",
                s->decimals, s->v[i].v, x, y - 8, s->decimals, s->v[i].v);
    }
    if (!any)
        fprintf(out, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">无数据 no data</text>\n",
                (LINE_X0 + LINE_X1) / 2, (LINE_Y0 + LINE_Y1) / 2);
    fputs("</svg>\n", out);
}

/* The value axis of bars or stacks from lo to hi: vertical grid lines from
 * top to bottom, tick labels under them, the zero line darker. */
static void value_axis(FILE *out, struct svg_scale xs, double step, double top, double bottom,
                       int decimals)
{
    for (int k = 0; xs.d0 + k * step <= xs.d1 + step * 1e-6; k++) {
        double v = xs.d0 + k * step, x = svg_map(xs, v);
        if (fabs(v) < step * 1e-6)
            v = 0; /* no "-0.00" */
        fprintf(out,
                "<line class=\"grid\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" "
                "stroke=\"%s\"/><text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">%.*f</text>\n",
                x, top, x, bottom, v == 0 ? "#333" : "#ddd", x, bottom + 16, decimals, v);
    }
}

/* A row's label at the left of row y0. */
static void row_label(FILE *out, double y0, const char *label)
{
    fprintf(out, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"end\">", BAR_X0 - 6, y0 + 14);
    svg_text(out, label);
    fputs("</text>", out);
}

/* The bars (see report_svg.h). */
void svg_bars(FILE *out, const char *title, const struct svg_bar *bars, size_t n, int decimals,
              const char *color)
{
    double min = 0, max = 0, lo, hi, step;

    for (size_t i = 0; i < n; i++)
        if (bars[i].value.has) {
            min = fmin(min, bars[i].value.v);
            max = fmax(max, bars[i].value.v);
        }
    svg_ticks(min, max, TICKS, &lo, &hi, &step);
    struct svg_scale xs = {lo, hi, BAR_X0, BAR_X1};
    double bottom = BAR_TOP + BAR_ROW * (double)n, x0 = svg_map(xs, 0);
    svg_open(out, "bars", bottom + BAR_AXIS, title);
    value_axis(out, xs, step, BAR_TOP, bottom, decimals);
    for (size_t i = 0; i < n; i++) {
        const struct svg_bar *b = &bars[i];
        double y0 = BAR_TOP + BAR_ROW * (double)i;
        row_label(out, y0, b->label);
        if (b->value.has) {
            double x1 = svg_map(xs, b->value.v);
            fprintf(out,
                    "<rect class=\"bar\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
                    "fill=\"%s\"><title>",
                    fmin(x0, x1), y0 + 3, fabs(x1 - x0), BAR_HEIGHT, color);
            svg_text(out, b->label);
            fprintf(out,
                    " %.*f</title></rect><text class=\"val\" x=\"%.2f\" y=\"%.2f\" "
                    "text-anchor=\"%s\">%.*f</text>",
                    decimals, b->value.v, x1 >= x0 ? x1 + 4 : x1 - 4, y0 + 14,
                    x1 >= x0 ? "start" : "end", decimals, b->value.v);
        } else {
            fprintf(out, "<text x=\"%.2f\" y=\"%.2f\">—</text>", x0 + 4, y0 + 14);
        }
        if (b->note) {
            fprintf(out, "<text class=\"%s\" x=\"%.2f\" y=\"%.2f\" text-anchor=\"end\">",
                    b->note_class ? b->note_class : "", W - 8, y0 + 14);
            svg_text(out, b->note);
            fputs("</text>", out);
        }
        fputc('\n', out);
    }
    fputs("</svg>\n", out);
}

#define LEGEND_PER_ROW 5

/* The stacked bars (see report_svg.h). */
void svg_stacks(FILE *out, const char *title, const char *const *names, size_t nparts,
                const struct svg_stack *rows, size_t n, int decimals)
{
    double min = 0, max = 0, lo, hi, step;
    size_t legend_rows = (nparts + LEGEND_PER_ROW - 1) / LEGEND_PER_ROW;

    for (size_t i = 0; i < n; i++) {
        double pos = 0, neg = 0;
        for (size_t k = 0; k < nparts; k++)
            if (rows[i].parts[k].has)
                *(rows[i].parts[k].v >= 0 ? &pos : &neg) += rows[i].parts[k].v;
        min = fmin(min, neg);
        max = fmax(max, pos);
    }
    svg_ticks(min, max, TICKS, &lo, &hi, &step);
    struct svg_scale xs = {lo, hi, BAR_X0, BAR_X1};
    double top = BAR_TOP + BAR_ROW * (double)legend_rows;
    double bottom = top + BAR_ROW * (double)n;
    svg_open(out, "stacks", bottom + BAR_AXIS, title);
    for (size_t k = 0; k < nparts; k++) {
        double x = 8 + 126.0 * (double)(k % LEGEND_PER_ROW);
        size_t row = k / LEGEND_PER_ROW;
        double y = BAR_TOP + BAR_ROW * (double)row;
        fprintf(out,
                "<rect class=\"key\" x=\"%.2f\" y=\"%.2f\" width=\"10\" height=\"10\" "
                "fill=\"%s\"/><text x=\"%.2f\" y=\"%.2f\">",
                x, y + 2, svg_palette[k % SVG_PALETTE_SIZE], x + 14, y + 11);
        svg_text(out, names[k]);
        fputs("</text>\n", out);
    }
    value_axis(out, xs, step, top, bottom, decimals);
    for (size_t i = 0; i < n; i++) {
        double y0 = top + BAR_ROW * (double)i, pos = 0, neg = 0;
        int any = 0;
        row_label(out, y0, rows[i].label);
        for (size_t k = 0; k < nparts; k++) {
            const struct report_num *p = &rows[i].parts[k];
            if (!p->has)
                continue;
            double a = p->v >= 0 ? pos : neg + p->v, b = p->v >= 0 ? pos + p->v : neg;
            *(p->v >= 0 ? &pos : &neg) += p->v;
            any = 1;
            fprintf(out,
                    "<rect class=\"seg\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
                    "fill=\"%s\"><title>",
                    svg_map(xs, a), y0 + 3, svg_map(xs, b) - svg_map(xs, a), BAR_HEIGHT,
                    svg_palette[k % SVG_PALETTE_SIZE]);
            svg_text(out, rows[i].label);
            fputc(' ', out);
            svg_text(out, names[k]);
            fprintf(out, " %+.*f</title></rect>", decimals, p->v);
        }
        if (any)
            fprintf(out, "<text class=\"val\" x=\"%.2f\" y=\"%.2f\">%+.*f</text>",
                    svg_map(xs, pos) + 4, y0 + 14, decimals, pos + neg);
        else
            fprintf(out, "<text x=\"%.2f\" y=\"%.2f\">—</text>", svg_map(xs, 0) + 4, y0 + 14);
        fputc('\n', out);
    }
    fputs("</svg>\n", out);
}
