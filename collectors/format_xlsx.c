/*
 * format_xlsx.c - the "xlsx" reader: the rows of one sheet of an Excel
 * workbook (collectors/xlsx.c streams them), handed to format_table.c like
 * CSV rows. The sheet is chosen by name ("sheet": "Data1") or position
 * ("sheet": 2; the first by default). A record's position is its sheet row.
 */
#include <errno.h>
#include <stdlib.h>

#include "collectors/format_table.h"
#include "collectors/xlsx.h"

static int xlsx_init_reader(struct format *fmt, char *err, size_t errsize)
{
    if (!fmt->mapping || !fmt->mapping->given) {
        format_err(err, errsize, "mapping: required for format \"xlsx\"");
        return -EINVAL;
    }
    return 0;
}

static void xlsx_fini_reader(void *priv)
{
    (void)priv;
}

static int on_row(long row, const char *const *cells, size_t n, void *ctx)
{
    return format_table_row(ctx, row, cells, n);
}

static int xlsx_read(struct format *fmt, const char *buf, size_t len, format_record_cb cb,
                     void *ctx, char *err, size_t errsize)
{
    const struct config_mapping *m = fmt->mapping;
    struct format_table *t = NULL;
    struct xlsx *x = NULL;
    int rc, sheet;

    if ((rc = xlsx_open(&x, buf, len, err, errsize)) < 0)
        return rc;
    sheet =
        xlsx_sheet_find(x, m->sheet, m->sheet_index > 0 ? (int)m->sheet_index : 1, err, errsize);
    if (sheet < 0) {
        rc = -EBADMSG;
        goto out;
    }
    if ((rc = format_table_new(&t, m, cb, ctx, ',', 1, err, errsize)) < 0) {
        format_err(err, errsize, "out of memory");
        goto out;
    }
    rc = xlsx_sheet_rows(x, sheet, on_row, t, err, errsize);
    if (rc == 0)
        rc = format_table_end(t);
    else if (rc == -ENOMEM)
        format_err(err, errsize, "out of memory");
out:
    format_table_free(&t);
    xlsx_close(&x);
    return rc;
}

const struct format_ops format_xlsx_ops = {
    .name = "xlsx",
    .init = xlsx_init_reader,
    .fini = xlsx_fini_reader,
    .read = xlsx_read,
};
