/*
 * import_rows.c - the checks on each CSV data row: known unit and base
 * indicator, a period of the indicator's frequency, a value as the
 * collectors' one value parser reads it (format_parse_value(): decimal and
 * thousands separators, missing markers, suffixes, as --decimal,
 * --thousands and --missing say); and the row's key for the duplicate
 * checks (import_keys.c).
 */
#include "cli/import_priv.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/format.h"
#include "common/buf.h"
#include "config/config.h"
#include "store/observations.h"

int import_text_add(struct text *t, const char *s, size_t len, size_t *off)
{
    if (BUF_GROW(&t->p, &t->cap, t->len + len + 1, BUF_UNCAPPED) < 0)
        return -ENOMEM;
    memcpy(t->p + t->len, s, len);
    *off = t->len;
    t->len += len;
    t->p[t->len++] = '\0';
    return 0;
}

/* Writes s as a quoted, escaped string (at most ~40 bytes of it) into dst. */
void import_quote(char *dst, size_t size, const char *s, size_t len)
{
    size_t o = 0;

    dst[o++] = '"';
    for (size_t i = 0; i < len && o + 8 < size; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i >= 40 && (c & 0xC0) != 0x80) {
            o += (size_t)snprintf(dst + o, size - o, "...");
            break;
        }
        if (c == '"' || c == '\\')
            o += (size_t)snprintf(dst + o, size - o, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            o += (size_t)snprintf(dst + o, size - o, "\\x%02x", c);
        else
            dst[o++] = (char)c;
    }
    dst[o++] = '"';
    dst[o] = '\0';
}

static const char *freq_name(enum period_freq freq)
{
    switch (freq) {
    case PERIOD_YEAR:
        return "yearly";
    case PERIOD_HALF:
        return "half-yearly";
    case PERIOD_QUARTER:
        return "quarterly";
    case PERIOD_MONTH:
        return "monthly";
    }
    return "?";
}

/* The config index of code[0..len) by find, or -1; the last code found is
 * remembered in last, and a row with the same code costs a compare. */
static long find_cached(struct import_last_code *last, const struct config *cfg,
                        long (*find)(const struct config *, const char *, size_t), const char *code,
                        size_t len)
{
    if (len > 0 && len == last->len && memcmp(code, last->code, len) == 0)
        return last->index;
    long i = find(cfg, code, len);
    if (i >= 0 && len > 0 && len < sizeof(last->code)) {
        memcpy(last->code, code, len);
        last->len = len;
        last->index = i;
    }
    return i;
}

/* Checks the unit and indicator fields; fills the ids or a reason. */
static int check_keys(struct file_import *f, const struct csvread_record *rec, struct store_obs *o,
                      uint32_t *pair, const struct config_indicator **ind, char *why, size_t size)
{
    const struct config_indicator *inds;
    const char *u = rec->field[f->col[COL_UNIT]], *c = rec->field[f->col[COL_INDICATOR]];
    size_t ulen = rec->len[f->col[COL_UNIT]], clen = rec->len[f->col[COL_INDICATOR]];
    char q[200];
    long ui = find_cached(&f->last_unit, f->im->cfg, config_unit_find, u, ulen);
    long ii = find_cached(&f->last_indicator, f->im->cfg, config_indicator_find, c, clen);
    size_t n;

    if (ui < 0) {
        import_quote(q, sizeof(q), u, ulen);
        snprintf(why, size, "unknown unit %s", q);
        return 1;
    }
    if (ii < 0) {
        import_quote(q, sizeof(q), c, clen);
        snprintf(why, size, "unknown indicator %s", q);
        return 1;
    }
    inds = config_indicators(f->im->cfg, &n);
    *ind = &inds[ii];
    if ((*ind)->formula) {
        import_quote(q, sizeof(q), c, clen);
        snprintf(why, size, "derived indicator %s is computed, not imported", q);
        return 1;
    }
    o->unit_id = f->im->unit_ids[ui];
    o->indicator_id = f->im->indicator_ids[ii];
    *pair = (uint32_t)((size_t)ui * f->im->n_indicators + (size_t)ii);
    return 0;
}

/* The optional status column, checked as the readers check a status
 * (format_record_status()): blanks around it dropped, "" none, at most
 * FORMAT_STATUS_MAX bytes of printable ASCII. o->status points into rec.
 * Returns 0, or 1 with the reason. */
static int check_status(struct file_import *f, const struct csvread_record *rec,
                        struct store_obs *o, char *why, size_t size)
{
    const char *s = rec->field[f->col[COL_STATUS]];
    size_t len = rec->len[f->col[COL_STATUS]];
    char q[200];

    while (len > 0 && (*s == ' ' || *s == '\t'))
        s++, len--;
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    o->status = NULL;
    if (len == 0)
        return 0;
    import_quote(q, sizeof(q), s, len);
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e) {
            snprintf(why, size, "status %s: not printable ASCII", q);
            return 1;
        }
    }
    if (len > FORMAT_STATUS_MAX) {
        snprintf(why, size, "status %s: longer than %d bytes", q, FORMAT_STATUS_MAX);
        return 1;
    }
    o->status = s; /* on_record() copies row_status_len bytes: s[len] may be a blank */
    f->row_status_len = len;
    return 0;
}

int import_check_row(struct file_import *f, const struct csvread_record *rec, struct store_obs *o,
                     struct import_key *key, char *why, size_t size)
{
    const struct config_indicator *ind = NULL;
    const char *p = rec->field[f->col[COL_PERIOD]], *v = rec->field[f->col[COL_VALUE]];
    size_t plen = rec->len[f->col[COL_PERIOD]], vlen = rec->len[f->col[COL_VALUE]];
    char q[200], reason[160];
    int rc;

    if (rec->error) {
        snprintf(why, size, "%s", rec->error);
        return 1;
    }
    if (rec->n_fields != f->n_cols) {
        snprintf(why, size, "wrong number of fields: %zu, expected %zu", rec->n_fields, f->n_cols);
        return 1;
    }
    if (check_keys(f, rec, o, &key->pair, &ind, why, size))
        return 1;
    if (period_parse(&o->period, p, plen) < 0) {
        import_quote(q, sizeof(q), p, plen);
        snprintf(why, size, "bad period %s", q);
        return 1;
    }
    if (o->period.freq != ind->freq) {
        import_quote(q, sizeof(q), p, plen);
        snprintf(why, size, "period %s is %s, indicator \"%s\" is %s", q, freq_name(o->period.freq),
                 ind->code, freq_name(ind->freq));
        return 1;
    }
    if (f->has_status && (rc = check_status(f, rec, o, why, size)) != 0)
        return rc;
    rc = format_parse_value(v, vlen, &f->im->values, &o->value, reason, sizeof(reason));
    if (rc == FORMAT_VALUE_REJECT) {
        import_quote(q, sizeof(q), v, vlen);
        snprintf(why, size, "value: not a number: %s (%s)", q, reason);
        return 1;
    }
    key->ord = o->period.year * (int32_t)o->period.freq + o->period.index - 1;
    return rc == FORMAT_VALUE_MISSING ? 2 : 0;
}
