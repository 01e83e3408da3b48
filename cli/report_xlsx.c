/*
 * report_xlsx.c - the bulletin as an Excel workbook (libxlsxwriter): the
 * sheets 排名 (ranking with score change and rank change), 指标 (the key
 * indicators of each park with year-on-year growth), 贡献 (the largest
 * contributors to each park's change) and 说明 (the headline and the notes
 * on the data). Headers in Chinese, bold and frozen, with an autofilter;
 * numbers are number cells with the indicator's decimals as their format
 * and the full value stored; a missing number is an empty cell; column
 * widths follow the display width of the text (table_text_width()).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "cli/report_priv.h"
#include "cli/table.h"

#define MAX_COLS  12
#define MAX_WIDTH 60

/* One sheet being written: its column widths and next row. */
struct sheet {
    lxw_worksheet *ws;
    size_t ncol;
    double width[MAX_COLS];
    lxw_row_t row;
    int err;
};

struct book {
    lxw_workbook *wb;
    lxw_format *header, *num[11], *signed2, *signed0;
};

static lxw_format *num_format(struct book *b, int d)
{
    static const char zeros[] = "0.0000000000";
    char text[16];

    if (d < 0)
        d = 0;
    if (d > 10)
        d = 10;
    if (!b->num[d]) {
        snprintf(text, sizeof(text), "%.*s", d ? d + 2 : 1, zeros);
        if ((b->num[d] = workbook_add_format(b->wb)))
            format_set_num_format(b->num[d], text);
    }
    return b->num[d];
}

static void widen(struct sheet *s, lxw_col_t c, size_t w)
{
    if (c < MAX_COLS && (double)w > s->width[c])
        s->width[c] = (double)w;
}

static int sheet_new(struct book *b, struct sheet *s, const char *name, const char *const *headers)
{
    memset(s, 0, sizeof(*s));
    if (!(s->ws = workbook_add_worksheet(b->wb, name)))
        return -EIO;
    for (; headers[s->ncol] && s->ncol < MAX_COLS; s->ncol++) {
        if (worksheet_write_string(s->ws, 0, (lxw_col_t)s->ncol, headers[s->ncol], b->header))
            s->err = -EIO;
        widen(s, (lxw_col_t)s->ncol, table_text_width(headers[s->ncol]) + 2);
    }
    s->row = 1;
    return s->err;
}

static void put_text(struct sheet *s, lxw_col_t c, const char *text)
{
    if (!text || !*text)
        return;
    if (worksheet_write_string(s->ws, s->row, c, text, NULL) != LXW_NO_ERROR)
        s->err = -EIO;
    widen(s, c, table_text_width(text));
}

/* A number cell with format f (shown with d decimals), empty when absent. */
static void put_num(struct sheet *s, lxw_col_t c, struct report_num n, lxw_format *f, int d)
{
    char buf[48];

    if (!n.has)
        return;
    if (worksheet_write_number(s->ws, s->row, c, n.v, f) != LXW_NO_ERROR)
        s->err = -EIO;
    widen(s, c, (size_t)snprintf(buf, sizeof(buf), "%+.*f", d, n.v));
}

/* Sets the widths, freezes the header and puts the autofilter over it. */
static int sheet_end(struct sheet *s)
{
    for (size_t c = 0; c < s->ncol; c++)
        worksheet_set_column(s->ws, (lxw_col_t)c, (lxw_col_t)c,
                             (s->width[c] > MAX_WIDTH ? MAX_WIDTH : s->width[c]) + 1, NULL);
    worksheet_freeze_panes(s->ws, 1, 0);
    if (s->ncol)
        worksheet_autofilter(s->ws, 0, 0, s->row > 1 ? s->row - 1 : 1, (lxw_col_t)(s->ncol - 1));
    return s->err;
}

static int sheet_ranking(const struct report *r, struct book *b)
{
    static const char *const h[] = {"名次",     "单位代码", "园区", "得分", "上期得分",
                                    "得分变化", "名次变化", "标记", NULL};
    struct sheet s;

    if (sheet_new(b, &s, "排名", h) < 0)
        return -EIO;
    for (size_t i = 0; i < r->nparks; i++, s.row++) {
        const struct report_park *p = &r->parks[i];
        struct report_num change = {p->score.v - p->prev_score.v,
                                    p->score.has && p->prev_score.has};
        put_num(&s, 0, p->rank, num_format(b, 0), 0);
        put_text(&s, 1, p->unit);
        put_text(&s, 2, p->name);
        put_num(&s, 3, p->score, num_format(b, 2), 2);
        put_num(&s, 4, p->prev_score, num_format(b, 2), 2);
        put_num(&s, 5, change, b->signed2, 2);
        put_num(&s, 6, p->rank_change, b->signed0, 0);
        put_num(&s, 7, (struct report_num){(double)p->flags, 1}, num_format(b, 0), 0);
    }
    return sheet_end(&s);
}

static int sheet_indicators(const struct report *r, struct book *b)
{
    static const char *const h[] = {"单位代码", "园区",        "指标代码",   "指标", "计量单位",
                                    "数值",     "同比增长(%)", "数据不完整", "状态", NULL};
    struct sheet s;

    if (sheet_new(b, &s, "指标", h) < 0)
        return -EIO;
    for (size_t i = 0; i < r->nparks; i++) {
        const struct report_park *p = &r->parks[i];
        for (size_t k = 0; k < r->nkeys; k++, s.row++) {
            const struct report_indicator *ind = &r->keys[k];
            put_text(&s, 0, p->unit);
            put_text(&s, 1, p->name);
            put_text(&s, 2, ind->code);
            put_text(&s, 3, ind->name);
            put_text(&s, 4, ind->measure);
            put_num(&s, 5, p->keys[k].value, num_format(b, ind->decimals), ind->decimals);
            put_num(&s, 6, p->keys[k].yoy, num_format(b, 1), 1);
            if (p->keys[k].incomplete)
                put_text(&s, 7, "是");
            if (p->keys[k].status[0]) /* its status codes ("p"), docs/API.md */
                put_text(&s, 8, p->keys[k].status);
        }
    }
    return sheet_end(&s);
}

static int sheet_contributions(const struct report *r, struct book *b)
{
    static const char *const h[] = {"单位代码", "园区",     "顺位", "指标代码",
                                    "指标",     "得分贡献", NULL};
    struct sheet s;

    if (sheet_new(b, &s, "贡献", h) < 0)
        return -EIO;
    for (size_t i = 0; i < r->nparks; i++) {
        const struct report_park *p = &r->parks[i];
        for (size_t k = 0; k < p->ntop; k++, s.row++) {
            put_text(&s, 0, p->unit);
            put_text(&s, 1, p->name);
            put_num(&s, 2, (struct report_num){(double)(k + 1), 1}, num_format(b, 0), 0);
            put_text(&s, 3, p->top[k].indicator);
            put_text(&s, 4, report_indicator_name(r, p->top[k].indicator));
            put_num(&s, 5, (struct report_num){p->top[k].delta, 1}, b->signed2, 2);
        }
    }
    return sheet_end(&s);
}

static int sheet_notes(const struct report *r, struct book *b)
{
    static const char *const h[] = {"项目", "内容", NULL};
    struct sheet s;

    if (sheet_new(b, &s, "说明", h) < 0)
        return -EIO;
    const char *const text[][2] = {{"指数", r->index},
                                   {"时期", r->period},
                                   {"上期", r->prev},
                                   {"生成时间", r->generated},
                                   {"数据来源", r->source_url}};
    for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++, s.row++) {
        put_text(&s, 0, text[i][0]);
        put_text(&s, 1, text[i][1]);
    }
    put_text(&s, 0, "全市指数（园区平均）");
    put_num(&s, 1, r->city, num_format(b, 2), 2);
    s.row++;
    put_text(&s, 0, "全市指数（上期）");
    put_num(&s, 1, r->city_prev, num_format(b, 2), 2);
    s.row++;
    for (size_t i = 0; i < r->nnotes; i++, s.row++) {
        put_text(&s, 0, "数据说明");
        put_text(&s, 1, r->notes[i]);
    }
    if (!r->nnotes) {
        put_text(&s, 0, "数据说明");
        put_text(&s, 1, "数据完整");
        s.row++;
    }
    return sheet_end(&s);
}

/* Copies the file at path to out. Returns 0 or -EIO. */
static int copy_file(const char *path, FILE *out)
{
    FILE *in = fopen(path, "rb");
    char buf[65536];
    size_t n;
    int rc = 0;

    if (!in)
        return -EIO;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        if (fwrite(buf, 1, n, out) != n) {
            rc = -EIO;
            break;
        }
    if (ferror(in))
        rc = -EIO;
    fclose(in);
    return rc;
}

/* The bulletin as a workbook (see report_priv.h). */
int report_write_xlsx(const struct report *r, FILE *out)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];
    struct book b = {0};
    int fd, rc;

    if ((size_t)snprintf(path, sizeof(path), "%s/parkstat-report-XXXXXX",
                         dir && *dir ? dir : "/tmp") >= sizeof(path) ||
        (fd = mkstemp(path)) < 0)
        return -EIO;
    close(fd);
    if (!(b.wb = workbook_new(path))) {
        unlink(path);
        return -EIO;
    }
    rc = -EIO;
    if ((b.header = workbook_add_format(b.wb)) && (b.signed2 = workbook_add_format(b.wb)) &&
        (b.signed0 = workbook_add_format(b.wb))) {
        format_set_bold(b.header);
        format_set_num_format(b.signed2, "+0.00;-0.00;0.00");
        format_set_num_format(b.signed0, "+0;-0;0");
        rc = 0;
    }
    if (rc == 0)
        rc = sheet_ranking(r, &b);
    if (rc == 0)
        rc = sheet_indicators(r, &b);
    if (rc == 0)
        rc = sheet_contributions(r, &b);
    if (rc == 0)
        rc = sheet_notes(r, &b);
    if (workbook_close(b.wb) != LXW_NO_ERROR)
        rc = -EIO;
    if (rc == 0)
        rc = copy_file(path, out);
    unlink(path);
    return rc < 0 || ferror(out) ? -EIO : 0;
}
