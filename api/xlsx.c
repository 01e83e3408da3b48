/*
 * xlsx.c - a list answer as an Excel workbook (?format=xlsx), written by
 * libxlsxwriter: one sheet, a header row in Chinese (the column's code when
 * it has no Chinese name), frozen below the header, an autofilter over the
 * table, and column widths from the display width of the text (a CJK
 * character counts two). Numbers are number cells, never text: integers
 * with the format "0", reals with a format of the indicator's decimals
 * ("0.00") and the full value stored (16 significant digits, more than the
 * JSON's 15); null is an empty cell, never 0.
 *
 * libxlsxwriter writes a file: the workbook goes to an unlinked-on-exit
 * temporary file under $TMPDIR and is read back into the body, refused (413)
 * past the reply cap like any other answer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "api/api_priv.h"
#include "config/config.h"

#define XLSX_MAX_COLS  32
#define XLSX_MAX_WIDTH 60 /* characters: a long text column stays readable */

const char api_xlsx_type[] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/* The Chinese header of each column code the lists use (docs/API.md). */
static const struct {
    const char *code, *label;
} labels[] = {
    {"unit", "单位代码"},
    {"name", "名称"},
    {"code", "代码"},
    {"parent", "上级单位"},
    {"attributes", "属性"},
    {"indicator", "指标代码"},
    {"measure", "计量单位"},
    {"frequency", "频率"},
    {"kind", "类型"},
    {"cumulative", "累计值"},
    {"direction", "方向"},
    {"decimals", "小数位"},
    {"formula", "公式"},
    {"numerator", "分子"},
    {"denominator", "分母"},
    {"scale", "倍数"},
    {"period", "时期"},
    {"value", "数值"},
    {"valid_from", "生效时间"},
    {"valid_to", "失效时间"},
    {"run_id", "运行编号"},
    {"id", "编号"},
    {"first_period", "起始时期"},
    {"last_period", "最新时期"},
    {"units", "单位数"},
    {"rank", "名次"},
    {"score", "得分"},
    {"rank_change", "名次变化"},
    {"flags", "标记"},
    {"coverage", "覆盖率"},
    {"node", "节点"},
    {"source", "数据源"},
    {"status", "状态"},
    {"missing", "缺失"},
    {"position", "位置"},
    {"reason", "原因"},
    {"raw", "原始内容"},
};

static const char *label_of(const char *code)
{
    for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
        if (strcmp(labels[i].code, code) == 0)
            return labels[i].label;
    return code;
}

/* The display width of UTF-8 text: 2 for East Asian wide and fullwidth
 * characters (CJK, Hangul, fullwidth forms), 1 for any other character. */
static size_t text_width(const char *s)
{
    size_t w = 0;
    const unsigned char *p = (const unsigned char *)s;

    while (*p) {
        unsigned c = *p;
        size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
        for (size_t k = 1; k < n; k++) {
            if ((p[k] & 0xC0) != 0x80) {
                n = 1;
                break;
            }
            c = (c << 6) | (p[k] & 0x3F);
        }
        if (n > 1)
            c &= n == 2 ? 0x7FF : n == 3 ? 0xFFFF : 0x1FFFFF;
        int wide = (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF) ||
                   (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) ||
                   (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
                   (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1F64F) ||
                   (c >= 0x20000 && c <= 0x3FFFD);
        w += wide ? 2 : 1;
        p += n;
    }
    return w;
}

/* Where a sheet's name and a file's name come from: the endpoint. */
static const struct {
    const char *endpoint, *sheet, *file;
} sheets[] = {
    {"/api/v1/units", "单位", "units"},
    {"/api/v1/indicators", "指标", "indicators"},
    {"/api/v1/observations", "观测值", "observations"},
    {"/api/v1/indices", "指数", "indices"},
    {"/api/v1/indices/{id}", "指数结果", "index"},
    {"/api/v1/rankings/{id}", "排名", "ranking"},
    {"/api/v1/sources", "数据源", "sources"},
    {"/api/v1/runs", "运行记录", "runs"},
    {"/api/v1/series", "序列", "series"},
    {"/api/v1/rejects", "拒收记录", "rejects"},
};

/* The file name (without ".xlsx") of an endpoint's workbook. */
const char *api_xlsx_filename(const char *endpoint)
{
    for (size_t i = 0; endpoint && i < sizeof(sheets) / sizeof(sheets[0]); i++)
        if (strcmp(sheets[i].endpoint, endpoint) == 0)
            return sheets[i].file;
    return "parkstat";
}

static const char *sheet_of(const char *endpoint)
{
    for (size_t i = 0; endpoint && i < sizeof(sheets) / sizeof(sheets[0]); i++)
        if (strcmp(sheets[i].endpoint, endpoint) == 0)
            return sheets[i].sheet;
    return "数据";
}

/* The decimals of a real in column col of row: "value" has its indicator's
 * (the row's "indicator", else the answer's; a growth transform in percent
 * has 2), "score" and "coverage" 2; -1 (the General format) when unknown. */
static int decimals_of(struct api_request *rq, const json_t *data, const json_t *row,
                       const char *col)
{
    if (strcmp(col, "score") == 0 || strcmp(col, "coverage") == 0)
        return 2;
    if (strcmp(col, "value") != 0)
        return -1;
    const char *tr = json_string_value(json_object_get(data, "transform"));
    if (tr && strcmp(tr, "value") != 0)
        return 2;
    const char *ind = json_string_value(json_object_get(row, "indicator"));
    if (!ind)
        ind = json_string_value(json_object_get(data, "indicator"));
    if (!ind)
        return -1;
    int d = -1;
    pthread_mutex_lock(&rq->api->series_mu);
    if (rq->api->cfg) {
        size_t n;
        const struct config_indicator *inds = config_indicators(rq->api->cfg, &n);
        long i = config_indicator_find(rq->api->cfg, ind, strlen(ind));
        if (i >= 0 && (size_t)i < n)
            d = inds[i].decimals;
    }
    pthread_mutex_unlock(&rq->api->series_mu);
    return d;
}

/* The number formats "0", "0.0", ... "0.0000000000" (index: decimals). */
struct formats {
    lxw_format *num[11];
    lxw_format *header;
};

static lxw_format *num_format(lxw_workbook *wb, struct formats *f, int d)
{
    static const char zeros[] = "0.0000000000";
    char text[16];

    if (d < 0)
        return NULL;
    if (d > 10)
        d = 10;
    if (!f->num[d]) {
        snprintf(text, sizeof(text), "%.*s", d ? d + 2 : 1, zeros);
        if ((f->num[d] = workbook_add_format(wb)))
            format_set_num_format(f->num[d], text);
    }
    return f->num[d];
}

/* Writes the sheet. Returns 0 or -EIO (a libxlsxwriter error). */
static int write_sheet(struct api_request *rq, lxw_workbook *wb, const json_t *data,
                       const json_t *rows, const char *const *columns, size_t ncol)
{
    struct formats f;
    memset(&f, 0, sizeof(f));
    size_t width[XLSX_MAX_COLS];
    lxw_worksheet *ws = workbook_add_worksheet(wb, sheet_of(rq->endpoint));
    size_t i;
    const json_t *row;

    if (!ws || !(f.header = workbook_add_format(wb)))
        return -EIO;
    format_set_bold(f.header);
    for (size_t c = 0; c < ncol; c++) {
        const char *label = label_of(columns[c]);
        width[c] = text_width(label) + 2; /* the autofilter's button */
        if (worksheet_write_string(ws, 0, (lxw_col_t)c, label, f.header) != LXW_NO_ERROR)
            return -EIO;
    }
    json_array_foreach(rows, i, row)
    {
        lxw_row_t r = (lxw_row_t)i + 1;
        for (size_t c = 0; c < ncol; c++) {
            const json_t *v = json_object_get(row, columns[c]);
            lxw_error e = LXW_NO_ERROR;
            char num[40];
            size_t w = 0;
            if (json_is_string(v)) {
                e = worksheet_write_string(ws, r, (lxw_col_t)c, json_string_value(v), NULL);
                w = text_width(json_string_value(v));
            } else if (json_is_integer(v)) {
                e = worksheet_write_number(ws, r, (lxw_col_t)c, (double)json_integer_value(v),
                                           num_format(wb, &f, 0));
                w = (size_t)snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
                                     json_integer_value(v));
            } else if (json_is_real(v)) {
                int d = decimals_of(rq, data, row, columns[c]);
                e = worksheet_write_number(ws, r, (lxw_col_t)c, json_real_value(v),
                                           num_format(wb, &f, d));
                w = (size_t)snprintf(num, sizeof(num), "%.*f", d < 0 ? 6 : d, json_real_value(v));
            } else if (json_is_boolean(v)) {
                e = worksheet_write_boolean(ws, r, (lxw_col_t)c, json_is_true(v), NULL);
                w = 5;
            } else if (json_is_object(v) || json_is_array(v)) {
                char *s = json_dumps(v, JSON_COMPACT);
                if (!s)
                    return -ENOMEM;
                e = worksheet_write_string(ws, r, (lxw_col_t)c, s, NULL);
                w = text_width(s);
                free(s);
            } /* null: no cell */
            if (e != LXW_NO_ERROR)
                return -EIO;
            if (w > width[c])
                width[c] = w;
        }
    }
    for (size_t c = 0; c < ncol; c++) {
        size_t w = width[c] > XLSX_MAX_WIDTH ? XLSX_MAX_WIDTH : width[c];
        worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, (double)w + 1, NULL);
    }
    worksheet_freeze_panes(ws, 1, 0);
    worksheet_autofilter(ws, 0, 0, (lxw_row_t)json_array_size(rows), (lxw_col_t)(ncol - 1));
    return 0;
}

/* Reads the file at path into rp's body, at most cap bytes. Returns 0,
 * -E2BIG past the cap, or a negative errno. */
static int take_file(struct api_reply *rp, const char *path, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    int rc = 0;

    if (fd < 0)
        return -errno;
    if (fstat(fd, &sb) < 0) {
        rc = -errno;
    } else if ((size_t)sb.st_size > cap) {
        rc = -E2BIG;
    } else {
        char *body = malloc((size_t)sb.st_size + 1);
        size_t got = 0;
        while (body && got < (size_t)sb.st_size) {
            ssize_t n = read(fd, body + got, (size_t)sb.st_size - got);
            if (n <= 0) {
                rc = n < 0 ? -errno : -EIO;
                break;
            }
            got += (size_t)n;
        }
        if (!body) {
            rc = -ENOMEM;
        } else if (rc < 0) {
            free(body);
        } else {
            free(rp->body);
            rp->body = body;
            rp->len = got;
        }
    }
    close(fd);
    return rc;
}

/* The rows as a workbook into rp (see api_priv.h). */
int api_xlsx_rows(struct api_request *rq, struct api_reply *rp, const json_t *data,
                  const json_t *rows, const char *const *columns)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];
    size_t ncol = 0;
    int fd, rc;

    while (columns[ncol])
        ncol++;
    if (ncol == 0 || ncol > XLSX_MAX_COLS)
        return -EINVAL;
    if ((size_t)snprintf(path, sizeof(path), "%s/parkstat-xlsx-XXXXXX",
                         dir && *dir ? dir : "/tmp") >= sizeof(path))
        return -ENAMETOOLONG;
    if ((fd = mkstemp(path)) < 0)
        return -errno;
    close(fd);
    lxw_workbook_options opt = {.constant_memory = 0, .tmpdir = NULL, .use_zip64 = 0};
    lxw_workbook *wb = workbook_new_opt(path, &opt);
    if (!wb) {
        unlink(path);
        return -ENOMEM;
    }
    lxw_doc_properties props = {0};
    props.title = (char *)sheet_of(rq->endpoint);
    props.author = (char *)"parkstat";
    workbook_set_properties(wb, &props);
    rc = write_sheet(rq, wb, data, rows, columns, ncol);
    if (workbook_close(wb) != LXW_NO_ERROR && rc == 0)
        rc = -EIO;
    if (rc == 0)
        rc = take_file(rp, path, rp->cap ? rp->cap : API_MAX_REPLY);
    unlink(path);
    if (rc < 0)
        return rc;
    rp->status = MHD_HTTP_OK;
    rp->content_type = api_xlsx_type;
    return 0;
}
