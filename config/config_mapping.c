/*
 * config_mapping.c - a source's "mapping" (docs/FORMATS.md), checked for the
 * source's format and layout and parsed into struct config_mapping:
 *
 *   json  long: records unit indicator period value; wide: records unit period fields
 *   csv   long: delimiter unit indicator period value; wide: delimiter unit period fields
 *   sdmx, sdmxml, sdmxcsv  unit_dimension | unit {"const"}, indicator_dimension |
 *         indicator ("{DIM}.{DIM}" or {"const"}), [period_dimension] [filter]
 *         [measures]
 *   csv   also: columns (+ indicator) in the wide layout, encoding and the
 *         table options (skip_rows, header_row, header_rows, footnotes, date_period)
 *   xlsx  as csv, with sheet instead of delimiter and encoding
 *   nbs   [unit: {"const": CODE}] [indicator: {"const": CODE}]
 *   all but nbs: status_map; json, csv, xlsx: status (long), value_flags;
 *         sdmx, sdmxml, sdmxcsv: status_attribute
 *
 * A field is a JSON Pointer (json) or a column name (csv), or {"const": "text"}
 * where a constant is allowed (unit, indicator, period; never value). Every
 * format also takes how values are written as text: decimal, thousands,
 * missing, suffixes (struct config_value_opts).
 */
#include "config/config_priv.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The value options every format takes (load_values()). */
#define VALUE_KEYS "decimal", "thousands", "missing", "suffixes"
/* Keys of the text formats and of tables (csv, xlsx): load_encoding(), load_table_opts(). */
#define TEXT_KEYS  "encoding"
#define TABLE_KEYS "skip_rows", "header_row", "header_rows", "footnotes", "date_period"
/* The observation status (load_status()): of the table formats, of SDMX. */
#define STATUS_KEYS      "status", "status_map", "value_flags"
#define SDMX_STATUS_KEYS "status_map", "status_attribute"
/* SDMX: whether the DECIMALS attribute rounds the values (load_status()). */
#define SDMX_VALUE_KEYS "apply_decimals"

static const char *const layout_names[] = {"long", "wide", NULL};
static const char *const json_long_keys[] = {"layout", "records",  "unit",    "indicator", "period",
                                             "value",  VALUE_KEYS, TEXT_KEYS, STATUS_KEYS, NULL};
static const char *const json_wide_keys[] = {"layout",   "records", "unit",      "period", "fields",
                                             VALUE_KEYS, TEXT_KEYS, STATUS_KEYS, NULL};
static const char *const csv_long_keys[] = {"layout",   "delimiter", "unit",     "indicator",
                                            "period",   "value",     VALUE_KEYS, TEXT_KEYS,
                                            TABLE_KEYS, STATUS_KEYS, NULL};
static const char *const csv_wide_keys[] = {"layout",  "delimiter", "unit",      "period",
                                            "fields",  "columns",   "indicator", VALUE_KEYS,
                                            TEXT_KEYS, TABLE_KEYS,  STATUS_KEYS, NULL};
static const char *const xlsx_long_keys[] = {"layout",    "sheet", "unit",     "indicator",
                                             "period",    "value", VALUE_KEYS, TABLE_KEYS,
                                             STATUS_KEYS, NULL};
static const char *const xlsx_wide_keys[] = {"layout",   "sheet",     "unit",      "period",
                                             "fields",   "columns",   "indicator", VALUE_KEYS,
                                             TABLE_KEYS, STATUS_KEYS, NULL};
static const char *const sdmx_keys[] = {"unit_dimension",   "indicator_dimension",
                                        "period_dimension", "unit",
                                        "indicator",        "filter",
                                        "measures",         VALUE_KEYS,
                                        TEXT_KEYS,          SDMX_STATUS_KEYS,
                                        SDMX_VALUE_KEYS,    NULL};
static const char *const sdmxcsv_keys[] = {"unit_dimension",
                                           "indicator_dimension",
                                           "period_dimension",
                                           "unit",
                                           "indicator",
                                           "filter",
                                           "measures",
                                           "delimiter",
                                           VALUE_KEYS,
                                           TEXT_KEYS,
                                           SDMX_STATUS_KEYS,
                                           SDMX_VALUE_KEYS,
                                           NULL};
static const char *const nbs_keys[] = {"unit", "indicator", VALUE_KEYS, TEXT_KEYS, NULL};
static const char *const columns_names[] = {"fields", "indicator", "period", NULL};
static const char *const date_period_names[] = {"year", "half", "quarter", "month", NULL};
static const enum period_freq date_period_freqs[] = {PERIOD_YEAR, PERIOD_HALF, PERIOD_QUARTER,
                                                     PERIOD_MONTH};

/* The encodings a payload may be declared in (collectors/encoding.c reads
 * the same names), then other names for them. */
static const char *const encoding_names[] = {"utf-8",    "gb18030",  "gbk",
                                             "utf-16le", "utf-16be", NULL};
static const struct {
    const char *alias, *name;
} encoding_aliases[] = {{"utf8", "utf-8"},      {"gb2312", "gbk"},       {"cp936", "gbk"},
                        {"utf-16", "utf-16le"}, {"utf16le", "utf-16le"}, {"utf16be", "utf-16be"}};

/* "footnotes": true, the notes statistics tables end with. */
static const char *const default_footnotes[] = {
    "\xE6\x95\xB0\xE6\x8D\xAE\xE6\x9D\xA5\xE6\xBA\x90", /* 数据来源 */
    "\xE8\xB5\x84\xE6\x96\x99\xE6\x9D\xA5\xE6\xBA\x90", /* 资料来源 */
    "\xE6\xB3\xA8\xEF\xBC\x9A",                         /* 注： */
    "\xE6\xB3\xA8:",                                    /* 注: */
    "\xE8\xAF\xB4\xE6\x98\x8E\xEF\xBC\x9A",             /* 说明： */
    "Source:",
    "Note:",
};
static const char *const const_keys[] = {"const", NULL};

/* An empty "missing" list: no marker at all (NULL would mean the default set). */
static const char *const no_markers[] = {NULL};

enum field_kind { FIELD_POINTER, FIELD_COLUMN };

/* Reads field key of m (path names m) into *out: a pointer or column, or a
 * constant when allow_const. Returns as the getters. */
static int get_field(struct cfg_ctx *ctx, json_t *m, const char *path, const char *key,
                     int required, enum field_kind kind, int allow_const, struct config_field *out)
{
    const char *what =
        kind == FIELD_POINTER ? "a JSON Pointer (\"\" or \"/a/b\")" : "a column name";
    json_t *v = json_object_get(m, key);
    char p[CFG_PATH_SIZE];
    const char *s;

    cfg_path_key(p, path, key);
    if (!v) {
        if (required)
            cfg_error(ctx, p, "required");
        return 0;
    }
    if (json_is_object(v) && allow_const) {
        cfg_check_keys(ctx, v, p, const_keys);
        if (cfg_get_string(ctx, v, p, "const", 1, &s) <= 0)
            return -1;
        out->constant = s;
        return 1;
    }
    if (!json_is_string(v)) {
        cfg_error(ctx, p, "expected %s%s", what, allow_const ? " or {\"const\": \"text\"}" : "");
        return -1;
    }
    if (cfg_get_string(ctx, m, path, key, 1, &s) <= 0)
        return -1;
    if ((kind == FIELD_POINTER && s[0] != '\0' && s[0] != '/') ||
        (kind == FIELD_COLUMN && s[0] == '\0')) {
        cfg_error(ctx, p, "expected %s%s", what, allow_const ? " or {\"const\": \"text\"}" : "");
        return -1;
    }
    out->path = s;
    return 1;
}

/* "fields": {CODE: pointer or column, ...}, non-empty. */
static void get_wide_fields(struct cfg_ctx *ctx, json_t *m, const char *path, enum field_kind kind,
                            struct config_mapping *out)
{
    struct config_wide_field *fields;
    char p[CFG_PATH_SIZE];
    const char *name;
    json_t *f, *v;
    size_t n = 0;

    if (cfg_get_object(ctx, m, path, "fields", 1, &f) <= 0)
        return;
    cfg_path_key(p, path, "fields");
    if (json_object_size(f) == 0) {
        cfg_error(ctx, p, "expected a non-empty object");
        return;
    }
    if (!(fields = cfg_calloc(ctx, json_object_size(f), sizeof(*fields))))
        return;
    json_object_foreach(f, name, v)
    {
        struct config_field one = {0};
        if (name[0] == '\0') {
            cfg_error(ctx, p, "empty indicator name");
            continue;
        }
        if (get_field(ctx, f, p, name, 1, kind, 0, &one) > 0)
            fields[n++] = (struct config_wide_field){name, one.path};
    }
    out->fields = fields;
    out->n_fields = n;
}

/* csv, sdmxcsv: "delimiter", one character. */
static void get_delimiter(struct cfg_ctx *ctx, json_t *m, const char *path,
                          struct config_mapping *out)
{
    char p[CFG_PATH_SIZE];
    const char *d;

    if (cfg_get_string(ctx, m, path, "delimiter", 0, &d) <= 0)
        return;
    if (strlen(d) != 1 || d[0] == '"' || d[0] == '\r' || d[0] == '\n') {
        cfg_path_key(p, path, "delimiter");
        cfg_error(ctx, p, "expected one character (not a quote or a line break)");
    } else {
        out->delimiter = d[0];
    }
}

/* "encoding": a name from encoding_names or an alias, any case. */
static void load_encoding(struct cfg_ctx *ctx, json_t *m, const char *path,
                          struct config_mapping *out)
{
    char p[CFG_PATH_SIZE];
    const char *s, *near;

    if (cfg_get_string(ctx, m, path, "encoding", 0, &s) <= 0)
        return;
    for (size_t i = 0; encoding_names[i]; i++) {
        if (strcasecmp(s, encoding_names[i]) == 0) {
            out->encoding = encoding_names[i];
            return;
        }
    }
    for (size_t i = 0; i < sizeof(encoding_aliases) / sizeof(encoding_aliases[0]); i++) {
        if (strcasecmp(s, encoding_aliases[i].alias) == 0) {
            out->encoding = encoding_aliases[i].name;
            return;
        }
    }
    cfg_path_key(p, path, "encoding");
    if ((near = cfg_nearest(s, encoding_names)))
        cfg_error(ctx, p,
                  "bad encoding \"%.40s\" (did you mean \"%s\"? expected utf-8, gb18030, gbk, "
                  "utf-16le or utf-16be)",
                  s, near);
    else
        cfg_error(ctx, p,
                  "bad encoding \"%.40s\" (expected utf-8, gb18030, gbk, utf-16le or utf-16be)", s);
}

/* "footnotes": true (the default notes), false, or an array of prefixes. */
static void load_footnotes(struct cfg_ctx *ctx, json_t *m, const char *path,
                           struct config_mapping *out)
{
    json_t *v = json_object_get(m, "footnotes");
    char p[CFG_PATH_SIZE], q[CFG_PATH_SIZE];
    const char **list;
    json_t *e;
    size_t i, n = 0;

    if (!v)
        return;
    cfg_path_key(p, path, "footnotes");
    if (json_is_boolean(v)) {
        out->footnotes = json_is_true(v) ? default_footnotes : NULL;
        out->n_footnotes =
            json_is_true(v) ? sizeof(default_footnotes) / sizeof(default_footnotes[0]) : 0;
        return;
    }
    if (!json_is_array(v)) {
        cfg_error(ctx, p, "expected true, false or an array of texts a note row starts with");
        return;
    }
    if (!(list = cfg_calloc(ctx, json_array_size(v) + 1, sizeof(*list))))
        return;
    json_array_foreach(v, i, e)
    {
        cfg_path_index(q, p, i);
        if (!json_is_string(e) || json_string_value(e)[0] == '\0')
            cfg_error(ctx, q, "expected a non-empty text");
        else
            list[n++] = json_string_value(e);
    }
    out->footnotes = list;
    out->n_footnotes = n;
}

/* csv and xlsx: where the header is, notes, dates as periods. */
static void load_table_opts(struct cfg_ctx *ctx, json_t *m, const char *path,
                            struct config_mapping *out)
{
    char p[CFG_PATH_SIZE];
    int i;

    cfg_get_int(ctx, m, path, "skip_rows", 0, 0, 1000000, &out->skip_rows);
    cfg_get_int(ctx, m, path, "header_row", 0, 1, 10000000, &out->header_row);
    cfg_get_int(ctx, m, path, "header_rows", 0, 1, 10, &out->header_rows);
    if (out->skip_rows > 0 && out->header_row > 0) {
        cfg_path_key(p, path, "header_row");
        cfg_error(ctx, p, "give header_row or skip_rows, not both");
    }
    load_footnotes(ctx, m, path, out);
    if (cfg_get_enum(ctx, m, path, "date_period", 0, date_period_names, &i) > 0)
        out->date_period = date_period_freqs[i];
}

/* "sheet": a name or a 1-based position. */
static void load_sheet(struct cfg_ctx *ctx, json_t *m, const char *path, struct config_mapping *out)
{
    json_t *v = json_object_get(m, "sheet");
    char p[CFG_PATH_SIZE];

    if (!v)
        return;
    if (json_is_integer(v)) {
        cfg_get_int(ctx, m, path, "sheet", 0, 1, 100000, &out->sheet_index);
        return;
    }
    cfg_path_key(p, path, "sheet");
    if (!json_is_string(v) || json_string_value(v)[0] == '\0')
        cfg_error(ctx, p, "expected a sheet name or its position (1 is the first)");
    else
        out->sheet = json_string_value(v);
}

/* A wide table's value columns: "fields", or "columns" with every other
 * column holding values for the indicator or the period its header names. */
static void load_wide(struct cfg_ctx *ctx, json_t *m, const char *path, enum field_kind kind,
                      int table, struct config_mapping *out)
{
    char p[CFG_PATH_SIZE];
    int c = 0;

    if (table && cfg_get_enum(ctx, m, path, "columns", 0, columns_names, &c) > 0)
        out->columns = (enum config_columns)c;
    if (out->columns == CONFIG_COLUMNS_FIELDS) {
        get_wide_fields(ctx, m, path, kind, out);
        if (table && json_object_get(m, "indicator")) {
            cfg_path_key(p, path, "indicator");
            cfg_error(ctx, p, "only with \"columns\": \"period\" (fields name the indicators)");
        }
        get_field(ctx, m, path, "period", 1, kind, 1, &out->period);
        return;
    }
    if (json_object_get(m, "fields")) {
        cfg_path_key(p, path, "fields");
        cfg_error(ctx, p, "give fields or columns, not both");
    }
    if (out->columns == CONFIG_COLUMNS_INDICATOR) {
        if (json_object_get(m, "indicator")) {
            cfg_path_key(p, path, "indicator");
            cfg_error(ctx, p,
                      "not with \"columns\": \"indicator\" (the headers are the indicators)");
        }
        get_field(ctx, m, path, "period", 1, kind, 1, &out->period);
        return;
    }
    if (json_object_get(m, "period")) {
        cfg_path_key(p, path, "period");
        cfg_error(ctx, p, "not with \"columns\": \"period\" (the headers are the periods)");
    }
    get_field(ctx, m, path, "indicator", 1, kind, 1, &out->indicator);
}

/* json, csv and xlsx: the long or the wide layout. */
static void load_table(struct cfg_ctx *ctx, json_t *m, const char *path, const char *format,
                       struct config_mapping *out)
{
    int csv = strcmp(format, "csv") == 0, xlsx = strcmp(format, "xlsx") == 0;
    enum field_kind kind = csv || xlsx ? FIELD_COLUMN : FIELD_POINTER;
    int wide, layout;

    if (cfg_get_enum(ctx, m, path, "layout", 0, layout_names, &layout) > 0)
        out->layout = (enum config_layout)layout;
    wide = out->layout == CONFIG_LAYOUT_WIDE;
    if (xlsx)
        cfg_check_keys(ctx, m, path, wide ? xlsx_wide_keys : xlsx_long_keys);
    else if (csv)
        cfg_check_keys(ctx, m, path, wide ? csv_wide_keys : csv_long_keys);
    else
        cfg_check_keys(ctx, m, path, wide ? json_wide_keys : json_long_keys);
    if (!csv && !xlsx) {
        struct config_field rec = {0};
        if (get_field(ctx, m, path, "records", 0, FIELD_POINTER, 0, &rec) > 0)
            out->records = rec.path;
    } else if (csv) {
        get_delimiter(ctx, m, path, out);
    }
    if (!xlsx)
        load_encoding(ctx, m, path, out);
    if (csv || xlsx)
        load_table_opts(ctx, m, path, out);
    if (xlsx)
        load_sheet(ctx, m, path, out);
    /* no unit: the collector uses the unit the request was made for */
    get_field(ctx, m, path, "unit", 0, kind, 1, &out->unit);
    if (wide) {
        load_wide(ctx, m, path, kind, csv || xlsx, out);
        return;
    }
    get_field(ctx, m, path, "period", 1, kind, 1, &out->period);
    get_field(ctx, m, path, "indicator", 1, kind, 1, &out->indicator);
    get_field(ctx, m, path, "value", 1, kind, 0, &out->value);
}

/* A separator option's value by the word for it ("comma" -> ","), for a
 * "did you mean"; NULL when s names none of choices (one character each, or
 * "" for none when allow_none). */
static const char *separator_word(const char *s, const char *choices, int allow_none)
{
    static const struct {
        const char *word;
        const char *sep;
    } words[] = {
        {"comma", ","},        {"point", "."},        {"dot", "."},          {"period", "."},
        {"full_stop", "."},    {"space", " "},        {"blank", " "},        {"apostrophe", "'"},
        {"quote", "'"},        {"none", ""},          {"\xC2\xB7", "."},     /* middle dot */
        {"\xE3\x80\x82", "."}, {"\xEF\xBC\x8C", ","}, {"\xE3\x80\x81", ","}, /* 。，、 */
    };

    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        const char *sep = words[i].sep;
        if (strcasecmp(s, words[i].word) == 0 &&
            (sep[0] ? strchr(choices, sep[0]) != NULL : allow_none))
            return sep;
    }
    return NULL;
}

/* "decimal": one of choices; "thousands": one of choices or "" (none). */
static int get_separator(struct cfg_ctx *ctx, json_t *m, const char *path, const char *key,
                         const char *choices, int allow_none, const char *expected, char *out)
{
    char p[CFG_PATH_SIZE];
    const char *s, *near;
    int r = cfg_get_string(ctx, m, path, key, 0, &s);

    if (r <= 0)
        return r;
    if ((s[0] == '\0' && allow_none) || (s[0] && !s[1] && strchr(choices, s[0]))) {
        *out = s[0];
        return 1;
    }
    cfg_path_key(p, path, key);
    if ((near = separator_word(s, choices, allow_none)))
        cfg_error(ctx, p, "bad %s \"%.40s\" (did you mean \"%s\"? expected %s)", key, s, near,
                  expected);
    else
        cfg_error(ctx, p, "bad %s \"%.40s\" (expected %s)", key, s, expected);
    return -1;
}

/* "missing": an array of marker strings (may be empty: no marker). */
static void get_missing(struct cfg_ctx *ctx, json_t *m, const char *path,
                        struct config_value_opts *out)
{
    char p[CFG_PATH_SIZE], q[CFG_PATH_SIZE];
    const char **list;
    json_t *arr, *v;
    size_t i, n = 0;

    if (cfg_get_array(ctx, m, path, "missing", 0, &arr) <= 0)
        return;
    cfg_path_key(p, path, "missing");
    if (json_array_size(arr) == 0) {
        out->missing = no_markers;
        out->n_missing = 0;
        return;
    }
    if (!(list = cfg_calloc(ctx, json_array_size(arr), sizeof(*list))))
        return;
    json_array_foreach(arr, i, v)
    {
        cfg_path_index(q, p, i);
        if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
            cfg_error(ctx, q, "expected a string (a marker such as \"-\" or \"..\")");
            continue;
        }
        if (json_string_length(v) > 32) {
            cfg_error(ctx, q, "a marker is at most 32 bytes");
            continue;
        }
        list[n++] = json_string_value(v);
    }
    out->missing = list;
    out->n_missing = n;
}

/* "suffixes": {"万": 10000, "亿": 100000000}: text after a number and its factor. */
static void get_suffixes(struct cfg_ctx *ctx, json_t *m, const char *path,
                         struct config_value_opts *out)
{
    char p[CFG_PATH_SIZE], q[CFG_PATH_SIZE];
    struct config_suffix *list;
    const char *text;
    json_t *obj, *v;
    size_t n = 0;

    if (cfg_get_object(ctx, m, path, "suffixes", 0, &obj) <= 0 || json_object_size(obj) == 0)
        return;
    cfg_path_key(p, path, "suffixes");
    if (!(list = cfg_calloc(ctx, json_object_size(obj), sizeof(*list))))
        return;
    json_object_foreach(obj, text, v)
    {
        double f;
        cfg_path_key(q, p, text);
        if (text[0] == '\0' || strlen(text) > 32 || strpbrk(text, "0123456789+-.,") ||
            strspn(text, " \t") == strlen(text)) {
            cfg_error(ctx, q,
                      "a suffix is 1 to 32 bytes of text without digits, signs or separators");
            continue;
        }
        if (cfg_get_number(ctx, obj, p, text, 1, &f) <= 0)
            continue;
        if (!(f > 0) || !isfinite(f)) {
            cfg_error(ctx, q, "expected a factor > 0 (\"万\": 10000)");
            continue;
        }
        list[n++] = (struct config_suffix){text, f};
    }
    out->suffixes = list;
    out->n_suffixes = n;
}

/* The value options of any format: decimal, thousands, missing, suffixes. */
static void load_values(struct cfg_ctx *ctx, json_t *m, const char *path,
                        struct config_value_opts *out)
{
    char p[CFG_PATH_SIZE];
    char dec = '.', th = ',';
    int th_given;

    get_separator(ctx, m, path, "decimal", ".,", 0, "\".\" or \",\"", &dec);
    if (dec == ',')
        th = 0; /* "1.234" under decimal "," is refused unless thousands says "." */
    th_given = get_separator(ctx, m, path, "thousands", ",. '", 1,
                             "\",\", \".\", \" \", \"'\" or \"\" for none", &th);
    if (th_given > 0 && th == dec) {
        cfg_path_key(p, path, "thousands");
        cfg_error(ctx, p, "must differ from decimal (\"%c\")", dec);
    }
    out->decimal = dec;
    out->thousands = th;
    get_missing(ctx, m, path, out);
    get_suffixes(ctx, m, path, out);
}

/* 1 when s is an observation status parkstat keeps: "" (none) or 1 to
 * FORMAT_STATUS_MAX (8) bytes of printable ASCII. */
static int status_ok(const char *s)
{
    size_t n = strlen(s);

    if (n > 8)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            return 0;
    }
    return 1;
}

static int status_code_cmp(const void *a, const void *b)
{
    return strcmp(((const struct config_code *)a)->from, ((const struct config_code *)b)->from);
}

/*
 * The observation status: "status_map" {"P": "p", "A": ""} (every format
 * but nbs); "status" (a field or column: json, csv, xlsx long layouts);
 * "value_flags" (json, csv, xlsx); "status_attribute" (SDMX formats).
 */
static void load_status(struct cfg_ctx *ctx, json_t *m, const char *path, const char *format,
                        struct config_mapping *out)
{
    char p[CFG_PATH_SIZE], q[CFG_PATH_SIZE];
    int table =
        strcmp(format, "json") == 0 || strcmp(format, "csv") == 0 || strcmp(format, "xlsx") == 0;
    struct config_code *map;
    const char *from, *to;
    json_t *obj, *v;
    size_t n = 0;

    if (table) {
        enum field_kind kind = strcmp(format, "json") == 0 ? FIELD_POINTER : FIELD_COLUMN;
        if (out->layout == CONFIG_LAYOUT_LONG) {
            get_field(ctx, m, path, "status", 0, kind, 0, &out->status);
        } else if (json_object_get(m, "status")) {
            cfg_path_key(p, path, "status");
            cfg_error(ctx, p,
                      "only in the long layout (a wide table's flags go in its value cells: "
                      "\"value_flags\": true)");
        }
        cfg_get_bool(ctx, m, path, "value_flags", 0, &out->value_flags);
    } else {
        int apply = 1;
        cfg_get_bool(ctx, m, path, "apply_decimals", 0, &apply);
        out->keep_decimals = !apply;
    }
    if (!table && cfg_get_string(ctx, m, path, "status_attribute", 0, &from) > 0) {
        cfg_path_key(p, path, "status_attribute");
        if (from[0] == '\0')
            cfg_error(ctx, p, "expected an attribute id (OBS_STATUS by default)");
        else
            out->status_attribute = from;
    }
    if (cfg_get_object(ctx, m, path, "status_map", 0, &obj) <= 0 || json_object_size(obj) == 0)
        return;
    cfg_path_key(p, path, "status_map");
    if (!(map = cfg_calloc(ctx, json_object_size(obj), sizeof(*map))))
        return;
    json_object_foreach(obj, from, v)
    {
        cfg_path_key(q, p, from);
        if (from[0] == '\0') {
            cfg_error(ctx, q, "expected a status as published (not empty)");
            continue;
        }
        if (cfg_get_string(ctx, obj, p, from, 1, &to) <= 0)
            continue;
        if (!status_ok(to)) {
            cfg_error(ctx, q,
                      "expected a status of 1 to 8 printable ASCII characters, or \"\" for none");
            continue;
        }
        map[n++] = (struct config_code){from, to};
    }
    qsort(map, n, sizeof(*map), status_code_cmp);
    out->status_map = map;
    out->n_status_map = n;
}

/* A dimension id: a non-empty string. */
static void get_dimension(struct cfg_ctx *ctx, json_t *m, const char *path, const char *key,
                          int required, const char **out)
{
    char p[CFG_PATH_SIZE];

    if (cfg_get_string(ctx, m, path, key, required, out) > 0 && (*out)[0] == '\0') {
        cfg_path_key(p, path, key);
        cfg_error(ctx, p, "expected a dimension id");
    }
}

/* 1 when t is text with {ID} placeholders: at least one, balanced, ids non-empty. */
static int template_ok(const char *t)
{
    int placeholders = 0;

    for (const char *p = t; *p; p++) {
        if (*p == '}')
            return 0;
        if (*p != '{')
            continue;
        const char *end = strchr(p + 1, '}');
        if (!end || end == p + 1 || memchr(p + 1, '{', (size_t)(end - p - 1)))
            return 0;
        placeholders++;
        p = end;
    }
    return placeholders > 0;
}

/* "filter": {"DIM": "code" | ["code", ...], ...}. */
static void get_sdmx_filter(struct cfg_ctx *ctx, json_t *m, const char *path,
                            struct config_mapping *out)
{
    struct config_sdmx_filter *f;
    char p[CFG_PATH_SIZE], q[CFG_PATH_SIZE], r[CFG_PATH_SIZE];
    const char *dim;
    json_t *obj, *v;
    size_t n = 0;

    if (cfg_get_object(ctx, m, path, "filter", 0, &obj) <= 0)
        return;
    cfg_path_key(p, path, "filter");
    if (json_object_size(obj) == 0) {
        cfg_error(ctx, p, "expected {\"DIMENSION\": \"code\" or [\"code\", ...]}");
        return;
    }
    if (!(f = cfg_calloc(ctx, json_object_size(obj), sizeof(*f))))
        return;
    json_object_foreach(obj, dim, v)
    {
        size_t k = json_is_array(v) ? json_array_size(v) : 1;
        const char **codes;
        cfg_path_key(q, p, dim);
        if ((!json_is_string(v) && !json_is_array(v)) || k == 0 || dim[0] == '\0') {
            cfg_error(ctx, q, "expected a code or a non-empty list of codes");
            continue;
        }
        if (!(codes = cfg_calloc(ctx, k, sizeof(*codes))))
            return;
        for (size_t i = 0; i < k; i++) {
            json_t *c = json_is_array(v) ? json_array_get(v, i) : v;
            cfg_path_index(r, q, i);
            if (!json_is_string(c))
                cfg_error(ctx, json_is_array(v) ? r : q, "expected a code");
            else
                codes[i] = json_string_value(c);
        }
        f[n++] = (struct config_sdmx_filter){dim, codes, k};
    }
    out->filters = f;
    out->n_filters = n;
}

/* "measures": ["OBS_VALUE", ...], non-empty ids. */
static void get_sdmx_measures(struct cfg_ctx *ctx, json_t *m, const char *path,
                              struct config_mapping *out)
{
    char p[CFG_PATH_SIZE], q[CFG_PATH_SIZE];
    const char **ids;
    json_t *a;

    if (cfg_get_array(ctx, m, path, "measures", 0, &a) <= 0)
        return;
    cfg_path_key(p, path, "measures");
    if (json_array_size(a) == 0) {
        cfg_error(ctx, p, "expected a non-empty list of measure ids");
        return;
    }
    if (!(ids = cfg_calloc(ctx, json_array_size(a), sizeof(*ids))))
        return;
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *id = json_array_get(a, i);
        cfg_path_index(q, p, i);
        if (!json_is_string(id) || json_string_length(id) == 0)
            cfg_error(ctx, q, "expected a measure id");
        else
            ids[i] = json_string_value(id);
    }
    out->measures = ids;
    out->n_measures = json_array_size(a);
    if (out->n_measures > 1 &&
        !(out->indicator_template && strstr(out->indicator_template, "{MEASURE}")))
        cfg_error(ctx, p, "several measures need {MEASURE} in mapping.indicator");
}

/* sdmx and sdmxml: the unit and indicator from dimensions, a template or
 * constants; the period dimension; filters and measures. */
static void load_sdmx(struct cfg_ctx *ctx, json_t *m, const char *p, struct config_mapping *out)
{
    char q[CFG_PATH_SIZE];
    json_t *ind = json_object_get(m, "indicator");

    cfg_check_keys(ctx, m, p, strcmp(out->format, "sdmxcsv") == 0 ? sdmxcsv_keys : sdmx_keys);
    if (strcmp(out->format, "sdmxcsv") == 0)
        get_delimiter(ctx, m, p, out);
    get_dimension(ctx, m, p, "unit_dimension", 0, &out->unit_dimension);
    get_dimension(ctx, m, p, "indicator_dimension", 0, &out->indicator_dimension);
    get_dimension(ctx, m, p, "period_dimension", 0, &out->period_dimension);
    if (json_is_object(json_object_get(m, "unit")) || json_object_get(m, "unit")) {
        cfg_path_key(q, p, "unit");
        if (!json_is_object(json_object_get(m, "unit")))
            cfg_error(ctx, q, "expected {\"const\": \"unit code\"}");
        else
            get_field(ctx, m, p, "unit", 0, FIELD_POINTER, 1, &out->unit);
    }
    cfg_path_key(q, p, "indicator");
    if (json_is_string(ind)) {
        if (template_ok(json_string_value(ind)))
            out->indicator_template = json_string_value(ind);
        else
            cfg_error(ctx, q,
                      "expected a template \"{DIMENSION}.{DIMENSION}\" or {\"const\": "
                      "\"indicator code\"}");
    } else if (ind) {
        get_field(ctx, m, p, "indicator", 0, FIELD_POINTER, 1, &out->indicator);
    }
    if (!out->unit_dimension == !out->unit.constant)
        cfg_error(ctx, p, "%s",
                  out->unit_dimension ? "unit_dimension and unit both given"
                                      : "unit_dimension (or unit {\"const\"}) "
                                        "required");
    if (!out->indicator_dimension == !ind)
        cfg_error(ctx, p, "%s",
                  out->indicator_dimension ? "indicator_dimension and indicator both given"
                                           : "indicator_dimension (or indicator) required");
    get_sdmx_filter(ctx, m, p, out);
    get_sdmx_measures(ctx, m, p, out);
}

/* nbs: "unit" or "indicator" is only ever {"const": "code"}. */
static void get_nbs_const(struct cfg_ctx *ctx, json_t *m, const char *path, const char *key,
                          struct config_field *out)
{
    char q[CFG_PATH_SIZE];

    if (json_object_get(m, key) && !json_is_object(json_object_get(m, key))) {
        cfg_path_key(q, path, key);
        cfg_error(ctx, q, "expected {\"const\": \"%s code\"}", key);
    } else {
        get_field(ctx, m, path, key, 0, FIELD_POINTER, 1, out);
    }
}

void cfg_load_mapping(struct cfg_ctx *ctx, json_t *src, const char *path, const char *format,
                      struct config_mapping *out)
{
    char p[CFG_PATH_SIZE];
    json_t *m = NULL, *freq;
    int r;

    *out = (struct config_mapping){.format = format,
                                   .layout = CONFIG_LAYOUT_LONG,
                                   .records = "",
                                   .delimiter = ',',
                                   .period_dimension = "TIME_PERIOD",
                                   .values = {.decimal = '.', .thousands = ','},
                                   .header_rows = 1,
                                   .sheet_index = 1};
    /* what a date given as a period means, for every format (the source's
     * "frequency" is checked by config_sources.c) */
    freq = json_object_get(src, "frequency");
    if (json_is_string(freq) && json_string_length(freq) == 1)
        out->freq = period_freq_from_char(json_string_value(freq)[0]);
    r = cfg_get_object(ctx, src, path, "mapping", strcmp(format, "nbs") != 0 && format[0], &m);
    if (r <= 0)
        return;
    out->given = 1;
    cfg_path_key(p, path, "mapping");
    if (strcmp(format, "json") == 0 || strcmp(format, "csv") == 0 || strcmp(format, "xlsx") == 0) {
        load_table(ctx, m, p, format, out);
    } else if (strncmp(format, "sdmx", 4) == 0) {
        load_sdmx(ctx, m, p, out);
        if (strcmp(format, "sdmxml") != 0) {
            load_encoding(ctx, m, p, out);
        } else if (json_object_get(m, "encoding")) {
            char q[CFG_PATH_SIZE];
            cfg_path_key(q, p, "encoding");
            cfg_error(ctx, q, "not for sdmxml: the XML declaration names the encoding");
        }
    } else if (strcmp(format, "nbs") == 0) {
        cfg_check_keys(ctx, m, p, nbs_keys);
        get_nbs_const(ctx, m, p, "unit", &out->unit);
        get_nbs_const(ctx, m, p, "indicator", &out->indicator);
        load_encoding(ctx, m, p, out);
    }
    load_values(ctx, m, p, &out->values);
    if (strcmp(format, "nbs") != 0)
        load_status(ctx, m, p, format, out);
}

/* A mapping parsed on its own: the mapping first (what the caller holds),
 * then the config whose root and owned list keep its strings and arrays. */
struct mapping_owner {
    struct config_mapping m;
    struct config cfg;
};

/* Frees what owner's config holds, then owner. */
static void owner_free(struct mapping_owner *o)
{
    for (size_t i = 0; i < o->cfg.n_owned; i++)
        free(o->cfg.owned[i]);
    free(o->cfg.owned);
    json_decref(o->cfg.root);
    free(o);
}

int config_mapping_parse(const char *format, const char *text, struct config_mapping **out,
                         char *err, size_t errsize)
{
    struct mapping_owner *o = calloc(1, sizeof(*o));
    struct cfg_ctx ctx = {.name = "", .cfg = o ? &o->cfg : NULL};
    json_error_t jerr;
    size_t i = 0;
    int rc = -EINVAL;

    *out = NULL;
    if (err && errsize)
        err[0] = '\0';
    if (!o) {
        if (err && errsize)
            snprintf(err, errsize, "out of memory");
        return -ENOMEM;
    }
    while (format && cfg_format_names[i] && strcmp(cfg_format_names[i], format) != 0)
        i++;
    if (!format || !cfg_format_names[i]) {
        cfg_error(&ctx, "format", "unknown format \"%.40s\"", format ? format : "(null)");
    } else if (!(o->cfg.root = json_loads(text ? text : "", JSON_REJECT_DUPLICATES, &jerr))) {
        cfg_error(&ctx, "source", "expected a JSON object (line %d column %d: %s)", jerr.line,
                  jerr.column, jerr.text);
    } else if (!json_is_object(o->cfg.root)) {
        cfg_error(&ctx, "source", "expected a JSON object");
    } else {
        cfg_load_mapping(&ctx, o->cfg.root, "", format, &o->m);
    }
    if (ctx.oom)
        rc = -ENOMEM;
    else if (ctx.n_errors == 0)
        rc = 0;
    if (err && errsize && rc < 0) {
        size_t n = ctx.errors ? strlen(ctx.errors) : 0;
        while (n > 0 && ctx.errors[n - 1] == '\n')
            n--; /* the last line's newline */
        if (n == 0)
            snprintf(err, errsize, "out of memory");
        else
            snprintf(err, errsize, "%.*s", (int)n, ctx.errors);
    }
    free(ctx.errors);
    if (rc < 0) {
        owner_free(o);
        return rc;
    }
    *out = &o->m;
    return 0;
}

void config_mapping_free(struct config_mapping **mp)
{
    if (!mp || !*mp)
        return;
    /* m is the owner's first member: the owner starts where it does */
    owner_free((struct mapping_owner *)(void *)*mp);
    *mp = NULL;
}
