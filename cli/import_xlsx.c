/*
 * import_xlsx.c - a sheet of an .xlsx workbook (the first unless --sheet
 * names another) as CSV for `parkstat import` (see import_xlsx.h). The rows come from the
 * collectors' streaming sheet reader and go to an unlinked temporary file, so memory stays one row
 * and the import reads the file as any CSV: with the same header, checks,
 * rejects and duplicate handling. Blank lines stand for rows the sheet
 * leaves out, so a message's line is the row Excel shows (a cell holding a
 * line break moves the rows after it by as many lines).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/import_xlsx.h"
#include "collectors/xlsx.h"

int import_xlsx_is(const char *path)
{
    size_t n = strlen(path);

    return n > 5 && strcasecmp(path + n - 5, ".xlsx") == 0;
}

struct to_csv {
    FILE *out;
    long line;    /* lines written */
    size_t width; /* cells of the first row */
};

static void put_cell(FILE *out, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static int on_row(long row, const char *const *cells, size_t n, void *ctx)
{
    struct to_csv *t = ctx;
    size_t width;

    for (; t->line + 1 < row; t->line++)
        fputc('\n', t->out);
    if (!t->width)
        t->width = n;
    width = n > t->width ? n : t->width;
    for (size_t i = 0; i < width; i++) {
        if (i)
            fputc(',', t->out);
        put_cell(t->out, i < n ? cells[i] : "");
    }
    fputc('\n', t->out);
    t->line = row;
    return ferror(t->out) ? -EIO : 0;
}

/* Reads the whole file (a workbook is compressed; its sheets are streamed). */
static char *slurp(const char *path, size_t *len, int *err)
{
    FILE *in = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0;

    *err = 0;
    if (!in) {
        *err = errno;
        return NULL;
    }
    for (;;) {
        if (n == cap) {
            char *p = cap > ((size_t)1 << 32) ? NULL : realloc(buf, cap ? cap * 2 : 1 << 16);
            if (!p) {
                *err = ENOMEM;
                break;
            }
            buf = p;
            cap = cap ? cap * 2 : 1 << 16;
        }
        size_t k = fread(buf + n, 1, cap - n, in);
        n += k;
        if (k == 0) {
            if (ferror(in))
                *err = EIO;
            break;
        }
    }
    fclose(in);
    if (*err) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

/* The sheet number --sheet names: a sheet of that name, else all digits a
 * 1-based position; NULL the first. -ENOENT with the sheets in err. */
static int find_sheet(const struct xlsx *x, const char *sheet, char *err, size_t errsize)
{
    size_t n = xlsx_sheet_count(x), digits = sheet ? strspn(sheet, "0123456789") : 0;
    int rc;

    if (!sheet)
        return 0;
    if ((rc = xlsx_sheet_find(x, sheet, 0, err, errsize)) >= 0 || digits == 0 ||
        sheet[digits] != '\0' || digits > 6)
        return rc;
    long index = strtol(sheet, NULL, 10);
    if (index >= 1 && (size_t)index <= n)
        return (int)index - 1;
    /* name the sheets there are, as for a name */
    size_t o = (size_t)snprintf(err, errsize, "sheet %ld: the workbook has %zu (", index, n);
    for (size_t i = 0; i < n && o < errsize; i++)
        o += (size_t)snprintf(err + o, errsize - o, "%s%s", i ? ", " : "", xlsx_sheet_name(x, i));
    if (o < errsize)
        snprintf(err + o, errsize - o, ")");
    return -ENOENT;
}

FILE *import_xlsx_csv(const char *path, const char *sheet, char *err, size_t errsize)
{
    struct xlsx *x = NULL;
    struct to_csv t = {0};
    size_t len = 0;
    int e, rc, num;
    char *buf = slurp(path, &len, &e);

    if (!buf) {
        snprintf(err, errsize, "%s", strerror(e));
        return NULL;
    }
    if (xlsx_open(&x, buf, len, err, errsize) < 0) {
        free(buf);
        return NULL;
    }
    if ((num = find_sheet(x, sheet, err, errsize)) < 0) {
        rc = num;
    } else if (!(t.out = tmpfile())) {
        snprintf(err, errsize, "temporary file: %s", strerror(errno));
        rc = -1;
    } else {
        rc = xlsx_sheet_rows(x, num, on_row, &t, err, errsize);
        if (rc == -EIO)
            snprintf(err, errsize, "temporary file: write error");
        if (rc == 0 && (fflush(t.out) != 0 || fseek(t.out, 0, SEEK_SET) != 0)) {
            snprintf(err, errsize, "temporary file: %s", strerror(errno));
            rc = -1;
        }
    }
    xlsx_close(&x);
    free(buf);
    if (rc != 0 && t.out) {
        fclose(t.out);
        t.out = NULL;
    }
    return t.out;
}
