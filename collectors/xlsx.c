/*
 * xlsx.c - sheets of an .xlsx workbook, streamed row by row (see xlsx.h).
 *
 * An .xlsx file is a zip archive of XML parts: xl/workbook.xml lists the
 * sheets by name and relationship id, xl/_rels/workbook.xml.rels maps the
 * ids to parts (xl/worksheets/sheetN.xml), xl/sharedStrings.xml holds the
 * texts cells refer to by number, xl/styles.xml the number formats that make
 * a number a date. Each part is read with xmlTextReader straight from
 * libzip's decompressing stream. A sheet is read twice: once for its merged
 * ranges (the <mergeCells> element comes after the cells), once for the rows.
 * Element names are matched by local name, so prefixed writers work too.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlreader.h>
#include <zip.h>

#include "collectors/format_priv.h"
#include "collectors/xlsx.h"
#include "collectors/xml_errors.h"
#include "common/buf.h"

/* Most bytes one XML part may inflate to (a zip bomb stops here). */
#define XLSX_MAX_PART ((zip_uint64_t)1 << 30)
/* Most text of the shared strings table, and of one row. */
#define XLSX_MAX_STRINGS ((size_t)512 << 20)
#define XLSX_MAX_ROW     ((size_t)64 << 20)
/* Rows in a sheet (Excel 2007 and later: 1,048,576). */
#define XLSX_ROWS 1048576L
/* Excel's own limit on columns (XFD), and on merged ranges kept. */
#define XLSX_MAX_COLS   16384
#define XLSX_MAX_MERGES 1000000

struct sheet {
    char *name;
    char *rid;  /* relationship id, until resolved */
    char *part; /* zip entry name: "xl/worksheets/sheet1.xml" */
};

struct xlsx {
    zip_t *zip;
    struct sheet *sheets;
    size_t nsheets, csheets;
    char **strings; /* shared strings, each malloc'd */
    size_t nstrings, cstrings;
    size_t strings_bytes;
    unsigned char *date_xf; /* per cellXfs index: 1 when its number format is a date */
    size_t nxf, cxf;
    int date1904;
};

/* One XML part being read from the archive. */
struct part {
    zip_file_t *zf;
    zip_uint64_t bytes;
    int too_big;
    const char *name;
    struct xml_errors xml; /* libxml2's first error, with its line */
};

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
    xmlInitParser();
}

static int part_read(void *ctx, char *buf, int len)
{
    struct part *p = ctx;
    zip_int64_t n;

    if (p->bytes >= XLSX_MAX_PART) {
        p->too_big = 1;
        return -1;
    }
    n = zip_fread(p->zf, buf, (zip_uint64_t)len);
    if (n > 0)
        p->bytes += (zip_uint64_t)n;
    return n < 0 ? -1 : (int)n;
}

static int part_close(void *ctx)
{
    (void)ctx;
    return 0;
}

/* Opens a part of the archive for reading; NULL with a message when absent. */
static xmlTextReaderPtr part_open(struct xlsx *x, struct part *p, const char *name, int required,
                                  char *err, size_t errsize)
{
    xmlTextReaderPtr r;

    memset(p, 0, sizeof(*p));
    p->name = name;
    p->zf = zip_fopen(x->zip, name, 0);
    if (!p->zf) {
        if (required)
            format_err(err, errsize, "%s: not in the workbook", name);
        return NULL;
    }
    r = xmlReaderForIO(part_read, part_close, p, name, NULL,
                       XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!r) {
        zip_fclose(p->zf);
        p->zf = NULL;
        format_err(err, errsize, "%s: cannot start the XML reader", name);
        return NULL;
    }
    xml_errors_begin(&p->xml, r);
    return r;
}

/* Closes a part; rc is the read loop's result: -1 turns into -EBADMSG with the place. */
static int part_done(xmlTextReaderPtr r, struct part *p, int rc, char *err, size_t errsize)
{
    if (rc == 1)
        rc = 0; /* stopped early on purpose */
    if (rc == -1 || p->too_big) {
        if (p->too_big)
            format_err(err, errsize, "%s: larger than %llu bytes", p->name,
                       (unsigned long long)XLSX_MAX_PART);
        else
            format_err(err, errsize, "%s: %s", p->name,
                       p->xml.msg[0] ? p->xml.msg : "not readable XML");
        rc = -EBADMSG;
    }
    xml_errors_end(&p->xml);
    xmlFreeTextReader(r);
    if (p->zf)
        zip_fclose(p->zf);
    p->zf = NULL;
    return rc;
}

static const char *lname(xmlTextReaderPtr r)
{
    const xmlChar *n = xmlTextReaderConstLocalName(r);
    return n ? (const char *)n : "";
}

/* An attribute by local name, whatever its namespace; malloc'd or NULL. */
static char *attr(xmlTextReaderPtr r, const char *name)
{
    char *v = NULL;

    if (xmlTextReaderMoveToFirstAttribute(r) != 1)
        return NULL;
    do {
        if (strcmp(lname(r), name) == 0) {
            const xmlChar *s = xmlTextReaderConstValue(r);
            v = strdup(s ? (const char *)s : "");
            break;
        }
    } while (xmlTextReaderMoveToNextAttribute(r) == 1);
    xmlTextReaderMoveToElement(r);
    return v;
}

/* An attribute without a namespace prefix (r:id and id differ in rels). */
static char *attr_plain(xmlTextReaderPtr r, const char *name)
{
    xmlChar *v = xmlTextReaderGetAttribute(r, (const xmlChar *)name);
    char *s = v ? strdup((const char *)v) : NULL;

    xmlFree(v);
    return s;
}

static int is_start(xmlTextReaderPtr r, const char *name)
{
    return xmlTextReaderNodeType(r) == XML_READER_TYPE_ELEMENT && strcmp(lname(r), name) == 0;
}

static int is_end(xmlTextReaderPtr r, const char *name)
{
    return xmlTextReaderNodeType(r) == XML_READER_TYPE_END_ELEMENT && strcmp(lname(r), name) == 0;
}

static int is_text(xmlTextReaderPtr r)
{
    int t = xmlTextReaderNodeType(r);
    return t == XML_READER_TYPE_TEXT || t == XML_READER_TYPE_CDATA ||
           t == XML_READER_TYPE_SIGNIFICANT_WHITESPACE || t == XML_READER_TYPE_WHITESPACE;
}

static int add_text(xmlTextReaderPtr r, struct buf *b)
{
    const xmlChar *v = xmlTextReaderConstValue(r);
    return v ? buf_addstr(b, (const char *)v) : 0;
}

/* xl/workbook.xml: the sheets in order, and the date system. */
static int read_workbook(struct xlsx *x, char *err, size_t errsize)
{
    struct part p;
    xmlTextReaderPtr r = part_open(x, &p, "xl/workbook.xml", 1, err, errsize);
    int rc;

    if (!r)
        return -EBADMSG;
    while ((rc = xmlTextReaderRead(r)) == 1) {
        if (is_start(r, "workbookPr")) {
            char *v = attr_plain(r, "date1904");
            x->date1904 = v && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
            free(v);
        } else if (is_start(r, "sheet")) {
            struct sheet s = {attr_plain(r, "name"), attr(r, "id"), NULL};
            if (!s.name || !s.rid || BUF_GROW(&x->sheets, &x->csheets, x->nsheets + 1, 4096) < 0) {
                free(s.name);
                free(s.rid);
                format_err(err, errsize, "xl/workbook.xml: a sheet without name or r:id");
                rc = -2;
                break;
            }
            x->sheets[x->nsheets++] = s;
        }
    }
    rc = part_done(r, &p, rc == -2 ? -EBADMSG : rc, err, errsize);
    if (rc == 0 && x->nsheets == 0) {
        format_err(err, errsize, "xl/workbook.xml: no sheet");
        rc = -EBADMSG;
    }
    return rc;
}

/* A relationship target as a zip entry name: "worksheets/a.xml" is under xl/. */
static char *target_path(const char *target)
{
    size_t n = strlen(target) + 4;
    char *s = malloc(n);

    if (!s)
        return NULL;
    if (target[0] == '/')
        snprintf(s, n, "%s", target + 1);
    else
        snprintf(s, n, "xl/%s", target);
    return s;
}

/* xl/_rels/workbook.xml.rels: where each sheet, the strings and the styles are. */
static int read_rels(struct xlsx *x, char **strings, char **styles, char *err, size_t errsize)
{
    struct part p;
    xmlTextReaderPtr r = part_open(x, &p, "xl/_rels/workbook.xml.rels", 1, err, errsize);
    int rc;

    if (!r)
        return -EBADMSG;
    while ((rc = xmlTextReaderRead(r)) == 1) {
        char *id, *target, *type;
        size_t tl;
        if (!is_start(r, "Relationship"))
            continue;
        id = attr_plain(r, "Id");
        target = attr_plain(r, "Target");
        type = attr_plain(r, "Type");
        tl = type ? strlen(type) : 0;
        if (id && target && type) {
            for (size_t i = 0; i < x->nsheets; i++) {
                if (!x->sheets[i].part && strcmp(x->sheets[i].rid, id) == 0)
                    x->sheets[i].part = target_path(target);
            }
            if (tl > 14 && strcmp(type + tl - 14, "/sharedStrings") == 0 && !*strings)
                *strings = target_path(target);
            if (tl > 7 && strcmp(type + tl - 7, "/styles") == 0 && !*styles)
                *styles = target_path(target);
        }
        free(id);
        free(target);
        free(type);
    }
    return part_done(r, &p, rc, err, errsize);
}

static int push_string(struct xlsx *x, struct buf *b)
{
    char *s;

    if (b->err)
        return b->err;
    x->strings_bytes += b->len + 1;
    if (x->strings_bytes > XLSX_MAX_STRINGS)
        return -E2BIG;
    if (BUF_GROW(&x->strings, &x->cstrings, x->nstrings + 1, BUF_UNCAPPED) < 0)
        return -ENOMEM;
    if (!(s = buf_take(b, NULL)))
        return -ENOMEM;
    x->strings[x->nstrings++] = s;
    return 0;
}

/* The shared strings: each <si> is a <t> or rich text runs <r><t>; phonetic
 * runs (<rPh>) are not part of the text. */
static int read_strings(struct xlsx *x, const char *name, char *err, size_t errsize)
{
    struct part p;
    xmlTextReaderPtr r;
    struct buf b;
    int rc, in_si = 0, in_t = 0, in_rph = 0, fail = 0;

    if (zip_name_locate(x->zip, name, 0) < 0)
        return 0; /* a workbook of numbers has none */
    if (!(r = part_open(x, &p, name, 1, err, errsize)))
        return -EBADMSG;
    buf_init(&b, XLSX_MAX_STRINGS);
    while ((rc = xmlTextReaderRead(r)) == 1 && !fail) {
        int empty = xmlTextReaderIsEmptyElement(r);
        if (is_start(r, "si")) {
            buf_reset(&b);
            in_si = !empty;
            if (empty)
                fail = push_string(x, &b);
        } else if (is_end(r, "si") && in_si) {
            in_si = 0;
            fail = push_string(x, &b);
        } else if (is_start(r, "rPh")) {
            in_rph = !empty;
        } else if (is_end(r, "rPh")) {
            in_rph = 0;
        } else if (is_start(r, "t")) {
            in_t = !empty;
        } else if (is_end(r, "t")) {
            in_t = 0;
        } else if (in_si && in_t && !in_rph && is_text(r)) {
            fail = add_text(r, &b) < 0 ? b.err : 0;
        }
    }
    buf_free(&b);
    if (fail) {
        part_done(r, &p, 0, err, errsize);
        format_err(err, errsize, "%s: %s", name,
                   fail == -ENOMEM ? "out of memory" : "shared strings too large");
        return fail == -ENOMEM ? -ENOMEM : -EBADMSG;
    }
    return part_done(r, &p, rc, err, errsize);
}

/* Whether a custom number format code shows a date: y or d (or m without
 * h or s, which would be minutes) outside quotes, escapes and [brackets]. */
static int date_code(const char *code)
{
    int y = 0, d = 0, m = 0, hs = 0;

    for (const char *c = code; *c; c++) {
        if (*c == '"') {
            while (c[1] && c[1] != '"')
                c++;
            if (c[1])
                c++;
        } else if (*c == '\\' && c[1]) {
            c++;
        } else if (*c == '[') {
            while (c[1] && c[1] != ']')
                c++;
        } else if (*c == ';') {
            break; /* the positive section decides */
        } else {
            char l = (char)(*c | 0x20);
            y |= l == 'y' || l == 'e';
            d |= l == 'd';
            m |= l == 'm';
            hs |= l == 'h' || l == 's';
        }
    }
    return y || d || (m && !hs);
}

/* Excel's built-in date formats, with those of Chinese and Japanese locales. */
static int date_builtin(long id)
{
    return (id >= 14 && id <= 22) || (id >= 27 && id <= 36) || (id >= 45 && id <= 47) ||
           (id >= 50 && id <= 58);
}

/* xl/styles.xml: which cell formats (cellXfs) show numbers as dates. */
static int read_styles(struct xlsx *x, const char *name, char *err, size_t errsize)
{
    struct part p;
    xmlTextReaderPtr r;
    long custom[256]; /* custom format ids that are dates */
    size_t ncustom = 0;
    int rc, in_xfs = 0;

    if (zip_name_locate(x->zip, name, 0) < 0)
        return 0; /* no styles: no dates */
    if (!(r = part_open(x, &p, name, 1, err, errsize)))
        return -EBADMSG;
    while ((rc = xmlTextReaderRead(r)) == 1) {
        if (is_start(r, "numFmt")) {
            char *id = attr_plain(r, "numFmtId"), *code = attr_plain(r, "formatCode");
            if (id && code && date_code(code) && ncustom < sizeof(custom) / sizeof(custom[0]))
                custom[ncustom++] = strtol(id, NULL, 10);
            free(id);
            free(code);
        } else if (is_start(r, "cellXfs")) {
            in_xfs = !xmlTextReaderIsEmptyElement(r);
        } else if (is_end(r, "cellXfs")) {
            in_xfs = 0;
        } else if (in_xfs && is_start(r, "xf")) {
            char *id = attr_plain(r, "numFmtId");
            long n = id ? strtol(id, NULL, 10) : 0;
            int date = date_builtin(n);
            free(id);
            for (size_t i = 0; i < ncustom && !date; i++)
                date = custom[i] == n;
            if (BUF_GROW(&x->date_xf, &x->cxf, x->nxf + 1, 1 << 20) < 0) {
                rc = -2;
                break;
            }
            x->date_xf[x->nxf++] = (unsigned char)date;
        }
    }
    if (rc == -2) {
        part_done(r, &p, 0, err, errsize);
        format_err(err, errsize, "%s: too many cell formats", name);
        return -EBADMSG;
    }
    return part_done(r, &p, rc, err, errsize);
}

int xlsx_open(struct xlsx **out, const char *buf, size_t len, char *err, size_t errsize)
{
    struct xlsx *x;
    zip_source_t *src;
    zip_error_t zerr;
    char *strings = NULL, *styles = NULL;
    int rc;

    *out = NULL;
    pthread_once(&xml_once, xml_init);
    if (!(x = calloc(1, sizeof(*x)))) {
        format_err(err, errsize, "out of memory");
        return -ENOMEM;
    }
    zip_error_init(&zerr);
    src = zip_source_buffer_create(buf, len, 0, &zerr);
    if (src && !(x->zip = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &zerr)))
        zip_source_free(src);
    if (!x->zip) {
        format_err(err, errsize, "not an .xlsx workbook (zip: %s)", zip_error_strerror(&zerr));
        zip_error_fini(&zerr);
        xlsx_close(&x);
        return -EBADMSG;
    }
    zip_error_fini(&zerr);
    if (err && errsize)
        err[0] = '\0';
    if ((rc = read_workbook(x, err, errsize)) < 0 ||
        (rc = read_rels(x, &strings, &styles, err, errsize)) < 0)
        goto out;
    for (size_t i = 0; i < x->nsheets; i++) {
        if (!x->sheets[i].part) {
            format_err(err, errsize, "xl/_rels/workbook.xml.rels: no part for sheet \"%s\"",
                       x->sheets[i].name);
            rc = -EBADMSG;
            goto out;
        }
    }
    if ((rc = read_strings(x, strings ? strings : "xl/sharedStrings.xml", err, errsize)) < 0 ||
        (rc = read_styles(x, styles ? styles : "xl/styles.xml", err, errsize)) < 0)
        goto out;
out:
    free(strings);
    free(styles);
    if (rc < 0)
        xlsx_close(&x);
    *out = x;
    return rc;
}

void xlsx_close(struct xlsx **xp)
{
    struct xlsx *x = xp ? *xp : NULL;

    if (!x)
        return;
    for (size_t i = 0; i < x->nsheets; i++) {
        free(x->sheets[i].name);
        free(x->sheets[i].rid);
        free(x->sheets[i].part);
    }
    free(x->sheets);
    for (size_t i = 0; i < x->nstrings; i++)
        free(x->strings[i]);
    free(x->strings);
    free(x->date_xf);
    if (x->zip)
        zip_discard(x->zip);
    free(x);
    *xp = NULL;
}

size_t xlsx_sheet_count(const struct xlsx *x)
{
    return x->nsheets;
}

const char *xlsx_sheet_name(const struct xlsx *x, size_t i)
{
    return i < x->nsheets ? x->sheets[i].name : NULL;
}

int xlsx_sheet_find(const struct xlsx *x, const char *name, int index, char *err, size_t errsize)
{
    struct buf names;

    for (size_t i = 0; i < x->nsheets; i++) {
        if (name ? strcmp(x->sheets[i].name, name) == 0 : (size_t)index == i + 1)
            return (int)i;
    }
    buf_init(&names, 400);
    for (size_t i = 0; i < x->nsheets; i++)
        buf_printf(&names, "%s%s", i ? ", " : "", x->sheets[i].name);
    if (name)
        format_err(err, errsize, "sheet \"%s\": not in the workbook (it has: %s)", name,
                   names.p ? names.p : "");
    else
        format_err(err, errsize, "sheet %d: the workbook has %zu", index, x->nsheets);
    buf_free(&names);
    return -ENOENT;
}

/* A merged range, 1-based rows, 0-based columns, and its top-left text once read. */
struct merge {
    long r1, r2;
    long c1, c2;
    char *text;
};

/* A cell reference "B12" (column letters only are used), 0-based column or -1. */
static long ref_col(const char *ref, long *row)
{
    long c = 0;
    const char *s = ref;

    for (; *s >= 'A' && *s <= 'Z'; s++) {
        c = c * 26 + (*s - 'A' + 1);
        if (c > XLSX_MAX_COLS)
            return -1;
    }
    if (s == ref)
        return -1;
    if (row) {
        char *end;
        *row = strtol(s, &end, 10);
        if (end == s || *end != '\0' || *row < 1)
            return -1;
    }
    return c - 1;
}

/* Reading one sheet. */
struct sheet_read {
    struct xlsx *x;
    const char *part;
    xlsx_row_cb cb;
    void *ctx;
    struct merge *merges;
    size_t nmerges, cmerges;
    size_t next_merge; /* merges sorted by r1: the first not yet active */
    struct buf text;   /* the row's cell texts, each NUL-terminated */
    size_t *off;       /* per column: offset in text + 1, 0 when empty */
    size_t coff;
    const char **cells;
    size_t ccells;
    long ncols; /* columns used in the row */
    long row;
    char *err;
    size_t errsize;
};

static int merge_cmp(const void *a, const void *b)
{
    const struct merge *m = a, *n = b;
    return m->r1 < n->r1 ? -1 : m->r1 > n->r1;
}

/* Pass 1: the merged ranges (<mergeCell ref="A1:C2"/>), sorted by first row. */
static int read_merges(struct sheet_read *s)
{
    struct part p;
    xmlTextReaderPtr r = part_open(s->x, &p, s->part, 1, s->err, s->errsize);
    int rc;

    if (!r)
        return -EBADMSG;
    while ((rc = xmlTextReaderRead(r)) == 1) {
        char *ref, *colon;
        struct merge m = {0};
        if (is_start(r, "sheetData") && !xmlTextReaderIsEmptyElement(r)) {
            if ((rc = xmlTextReaderNext(r)) != 1)
                break;
        }
        if (!is_start(r, "mergeCell") || !(ref = attr_plain(r, "ref")))
            continue;
        colon = strchr(ref, ':');
        if (colon)
            *colon = '\0';
        m.c1 = ref_col(ref, &m.r1);
        m.c2 = colon ? ref_col(colon + 1, &m.r2) : -1;
        free(ref);
        if (m.c1 < 0 || m.c2 < m.c1 || m.r2 < m.r1 || s->nmerges >= XLSX_MAX_MERGES)
            continue; /* not a range: nothing to repeat */
        if (BUF_GROW(&s->merges, &s->cmerges, s->nmerges + 1, BUF_UNCAPPED) < 0) {
            part_done(r, &p, 0, s->err, s->errsize);
            format_err(s->err, s->errsize, "out of memory");
            return -ENOMEM;
        }
        s->merges[s->nmerges++] = m;
    }
    rc = part_done(r, &p, rc, s->err, s->errsize);
    if (s->nmerges > 1)
        qsort(s->merges, s->nmerges, sizeof(*s->merges), merge_cmp);
    return rc;
}

/* Days since 1970-01-01 to a civil date (H. Hinnant's days_from_civil, inverted). */
static void civil(long z, int *y, int *m, int *d)
{
    long era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

/* A date serial as "YYYY-MM-DD"; 0 when it is no day (a time, Excel's 1900-02-29). */
static int serial_date(const char *v, int date1904, char *out, size_t size)
{
    char *end;
    double s = strtod(v, &end);
    long days;
    int y, m, d;

    if (end == v || *end != '\0' || !isfinite(s) || s < 1 || s > 2958465)
        return 0;
    days = (long)floor(s);
    if (date1904)
        days += 1462;
    else if (days == 60)
        return 0; /* 1900-02-29, which Excel counts and the calendar has not */
    else if (days < 60)
        days++;
    civil(days - 25569, &y, &m, &d); /* 25569: serial of 1970-01-01 */
    snprintf(out, size, "%04d-%02d-%02d", y, m, d);
    return 1;
}

/* The row's text is over its cap (or out of memory): -EBADMSG with the row,
 * or -ENOMEM. */
static int text_fail(struct sheet_read *s)
{
    if (s->text.err == -ENOMEM)
        return -ENOMEM;
    format_err(s->err, s->errsize, "%s: row %ld: more than %zu bytes of text", s->part, s->row,
               XLSX_MAX_ROW);
    return -EBADMSG;
}

/* Ends a cell: its value text in s->text[start..] becomes the cell's text. */
static int end_cell(struct sheet_read *s, long col, const char *type, long style, size_t start)
{
    const char *v = s->text.p ? s->text.p + start : "";
    char day[16];
    const char *put = NULL;
    char colname[8];
    long c = col + 1;
    size_t k = sizeof(colname) - 1;

    colname[k] = '\0';
    while (c > 0 && k > 0) {
        colname[--k] = (char)('A' + (c - 1) % 26);
        c = (c - 1) / 26;
    }
    if (s->text.err)
        return text_fail(s);
    if (type && strcmp(type, "s") == 0) {
        char *end;
        long i = strtol(v, &end, 10);
        if (end == v || *end || i < 0 || (size_t)i >= s->x->nstrings) {
            format_err(s->err, s->errsize, "%s: row %ld cell %s%ld: shared string \"%.20s\" of %zu",
                       s->part, s->row, colname + k, s->row, v, s->x->nstrings);
            return -EBADMSG;
        }
        put = s->x->strings[i];
    } else if (type && strcmp(type, "b") == 0) {
        put = strcmp(v, "1") == 0 ? "TRUE" : strcmp(v, "0") == 0 ? "FALSE" : NULL;
    } else if ((!type || strcmp(type, "n") == 0) && style >= 0 && (size_t)style < s->x->nxf &&
               s->x->date_xf[style] && serial_date(v, s->x->date1904, day, sizeof(day))) {
        put = day;
    }
    if (put) { /* replace the value text by put */
        s->text.len = start;
        if (buf_addstr(&s->text, put) < 0)
            return text_fail(s);
    }
    if (buf_add(&s->text, "", 1) < 0) /* the NUL between cells */
        return text_fail(s);
    if (col >= (long)s->coff) {
        size_t old = s->coff;
        if (BUF_GROW(&s->off, &s->coff, (size_t)col + 1, XLSX_MAX_COLS) < 0)
            return -ENOMEM;
        memset(s->off + old, 0, (s->coff - old) * sizeof(*s->off));
    }
    s->off[col] = start + 1;
    if (col + 1 > s->ncols)
        s->ncols = col + 1;
    return 0;
}

/* Fills the row's empty cells in merged ranges and calls back. */
static int end_row(struct sheet_read *s)
{
    size_t active = 0;
    long ncols = s->ncols;
    int rc;

    /* activate the ranges starting at or before this row */
    while (s->next_merge < s->nmerges && s->merges[s->next_merge].r1 <= s->row)
        s->next_merge++;
    for (size_t i = 0; i < s->next_merge; i++) {
        struct merge *m = &s->merges[i];
        if (m->r2 < s->row || m->r1 > s->row)
            continue;
        active++;
        if (m->r1 == s->row && !m->text && m->c1 < s->ncols && s->off[m->c1]) {
            if (!(m->text = strdup(s->text.p + s->off[m->c1] - 1)))
                return -ENOMEM;
        }
        if (m->c2 + 1 > ncols)
            ncols = m->c2 + 1;
    }
    if (BUF_GROW(&s->cells, &s->ccells, (size_t)ncols + 1, XLSX_MAX_COLS + 1) < 0)
        return -ENOMEM;
    for (long c = 0; c < ncols; c++)
        s->cells[c] = c < s->ncols && s->off[c] ? s->text.p + s->off[c] - 1 : "";
    for (size_t i = 0; active && i < s->next_merge; i++) {
        struct merge *m = &s->merges[i];
        if (m->r2 < s->row || m->r1 > s->row || !m->text)
            continue;
        for (long c = m->c1; c <= m->c2; c++) {
            if (s->cells[c][0] == '\0')
                s->cells[c] = m->text;
        }
    }
    rc = ncols > 0 ? s->cb(s->row, s->cells, (size_t)ncols, s->ctx) : 0;
    buf_reset(&s->text);
    if (s->ncols > 0)
        memset(s->off, 0, (size_t)s->ncols * sizeof(*s->off));
    s->ncols = 0;
    return rc;
}

/* Pass 2: the rows. */
static int read_rows(struct sheet_read *s)
{
    struct part p;
    xmlTextReaderPtr r = part_open(s->x, &p, s->part, 1, s->err, s->errsize);
    char *type = NULL;
    long col = -1, style = -1;
    size_t start = 0;
    int rc, in_row = 0, in_cell = 0, in_value = 0, in_rph = 0, fail = 0;

    if (!r)
        return -EBADMSG;
    s->row = 0;
    while (!fail && (rc = xmlTextReaderRead(r)) == 1) {
        int empty = xmlTextReaderIsEmptyElement(r);
        if (is_start(r, "row")) {
            char *rv = attr_plain(r, "r");
            long n = rv ? strtol(rv, NULL, 10) : s->row + 1;
            free(rv);
            s->row = n > s->row ? n : s->row + 1;
            if (s->row > XLSX_ROWS) { /* Excel's last row; also keeps row + 1 defined */
                format_err(s->err, s->errsize, "%s: row %ld: beyond Excel's %ld rows", s->part,
                           s->row, XLSX_ROWS);
                fail = -EBADMSG;
            }
            col = -1;
            in_row = !empty;
        } else if (is_end(r, "row") && in_row) {
            in_row = 0;
            fail = end_row(s);
        } else if (in_row && is_start(r, "c")) {
            char *ref = attr_plain(r, "r"), *st = attr_plain(r, "s");
            long c = ref ? ref_col(ref, NULL) : col + 1;
            free(type);
            type = attr_plain(r, "t");
            style = st ? strtol(st, NULL, 10) : -1;
            if (c < 0 || c >= XLSX_MAX_COLS) {
                format_err(s->err, s->errsize, "%s: row %ld: cell reference \"%.20s\"", s->part,
                           s->row, ref ? ref : "");
                fail = -EBADMSG;
            }
            free(ref);
            free(st);
            col = c;
            in_cell = !empty;
            start = s->text.len;
        } else if (in_cell && is_end(r, "c")) {
            in_cell = 0;
            if (s->text.len > start || (type && strcmp(type, "inlineStr") == 0))
                fail = end_cell(s, col, type, style, start);
        } else if (in_cell && (is_start(r, "v") || is_start(r, "t"))) {
            in_value = !empty;
        } else if (in_cell && (is_end(r, "v") || is_end(r, "t"))) {
            in_value = 0;
        } else if (in_cell && is_start(r, "rPh")) {
            in_rph = !empty;
        } else if (in_cell && is_end(r, "rPh")) {
            in_rph = 0;
        } else if (in_value && !in_rph && is_text(r)) {
            if (add_text(r, &s->text) < 0 || s->text.len > XLSX_MAX_ROW)
                fail = text_fail(s);
        } else if (is_end(r, "sheetData")) {
            break;
        }
    }
    free(type);
    if (fail) {
        part_done(r, &p, 0, s->err, s->errsize);
        if (fail == -ENOMEM)
            format_err(s->err, s->errsize, "out of memory");
        return fail;
    }
    return part_done(r, &p, rc, s->err, s->errsize);
}

int xlsx_sheet_rows(struct xlsx *x, int sheet, xlsx_row_cb cb, void *ctx, char *err, size_t errsize)
{
    struct sheet_read s = {.x = x, .cb = cb, .ctx = ctx, .err = err, .errsize = errsize};
    int rc;

    if (sheet < 0 || (size_t)sheet >= x->nsheets) {
        format_err(err, errsize, "sheet %d: the workbook has %zu", sheet + 1, x->nsheets);
        return -ENOENT;
    }
    s.part = x->sheets[sheet].part;
    buf_init(&s.text, XLSX_MAX_ROW + 64);
    rc = read_merges(&s);
    if (rc == 0)
        rc = read_rows(&s);
    for (size_t i = 0; i < s.nmerges; i++)
        free(s.merges[i].text);
    free(s.merges);
    free(s.off);
    free(s.cells);
    buf_free(&s.text);
    return rc;
}
