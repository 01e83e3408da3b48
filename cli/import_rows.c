/*
 * import_rows.c - the checks on each CSV data row, and duplicate keys.
 *
 * Duplicates are found after reading by sorting an index of the good rows by
 * (unit, indicator, period, line): in a run of equal keys the first row wins
 * and the later ones become rejects "duplicate of line N". Keys stored by
 * earlier files of the same import are looked up with bsearch.
 */
#include "cli/import_priv.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "config/config.h"
#include "store/observations.h"

/* Appends len bytes and a NUL to the arena; *off receives their offset. */
static int text_add(struct text *t, const char *s, size_t len, size_t *off)
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

int import_add_reject(struct file_import *f, long line, const char *raw, size_t raw_len,
                      const char *reason)
{
    struct reject *r;

    if (BUF_GROW(&f->rej, &f->cap_rej, f->n_rej + 1, BUF_UNCAPPED) < 0)
        return -ENOMEM;
    r = &f->rej[f->n_rej];
    r->line = line;
    r->seq = f->n_rej;
    if (raw_len > RAW_MAX)
        raw_len = RAW_MAX;
    if (text_add(&f->text, raw, raw_len, &r->raw) < 0 ||
        text_add(&f->text, reason, strlen(reason), &r->reason) < 0)
        return -ENOMEM;
    f->n_rej++;
    return 0;
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

/* A plain decimal with optional sign, fraction and exponent; nothing else. */
static int parse_value(const char *s, size_t len, double *out)
{
    size_t i = 0, digits = 0, exp_digits = 0;

    if (i < len && (s[i] == '+' || s[i] == '-'))
        i++;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
        digits++;
    if (i < len && s[i] == '.')
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
            digits++;
    if (!digits)
        return -EINVAL;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
            exp_digits++;
        if (!exp_digits)
            return -EINVAL;
    }
    if (i != len)
        return -EINVAL;
    /* The field is NUL-terminated right after len, so strtod stops there. */
    *out = strtod(s, NULL);
    return isfinite(*out) ? 0 : -ERANGE;
}

/* Checks the unit and indicator fields; fills the ids or a reason. */
static int check_keys(struct file_import *f, const struct csvread_record *rec, struct store_obs *o,
                      const struct config_indicator **ind, char *why, size_t size)
{
    const struct config_indicator *inds;
    const char *u = rec->field[f->col[COL_UNIT]], *c = rec->field[f->col[COL_INDICATOR]];
    size_t ulen = rec->len[f->col[COL_UNIT]], clen = rec->len[f->col[COL_INDICATOR]];
    char q[200];
    long ui = config_unit_find(f->im->cfg, u, ulen);
    long ii = config_indicator_find(f->im->cfg, c, clen);
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
    return 0;
}

/* Checks one data record. Returns 0 for a good row (filled into *o), 1 with
 * the reason in why for a bad one. */
int import_check_row(struct file_import *f, const struct csvread_record *rec, struct store_obs *o,
                     char *why, size_t size)
{
    const struct config_indicator *ind = NULL;
    const char *p = rec->field[f->col[COL_PERIOD]], *v = rec->field[f->col[COL_VALUE]];
    size_t plen = rec->len[f->col[COL_PERIOD]], vlen = rec->len[f->col[COL_VALUE]];
    char q[200];
    int rc;

    if (rec->error) {
        snprintf(why, size, "%s", rec->error);
        return 1;
    }
    if (rec->n_fields != f->n_cols) {
        snprintf(why, size, "wrong number of fields: %zu, expected %zu", rec->n_fields, f->n_cols);
        return 1;
    }
    if (check_keys(f, rec, o, &ind, why, size))
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
    if (vlen == 0) {
        snprintf(why, size, "empty value");
        return 1;
    }
    if ((rc = parse_value(v, vlen, &o->value)) < 0) {
        import_quote(q, sizeof(q), v, vlen);
        snprintf(why, size, rc == -ERANGE ? "value %s out of range" : "non-numeric value %s", q);
        return 1;
    }
    return 0;
}

/* An index entry of a good row, sorted to find duplicate keys. */
struct key {
    int64_t unit;
    int64_t indicator;
    int32_t ord;
    uint32_t idx; /* index into file_import.obs */
};

static int32_t ordinal(struct period p)
{
    return p.year * (int32_t)p.freq + p.index - 1;
}

#define CMP3(a, b, f)                                                                              \
    do {                                                                                           \
        if ((a)->f != (b)->f)                                                                      \
            return (a)->f < (b)->f ? -1 : 1;                                                       \
    } while (0)

static int key_cmp(const void *pa, const void *pb)
{
    const struct key *a = pa, *b = pb;
    CMP3(a, b, unit);
    CMP3(a, b, indicator);
    CMP3(a, b, ord);
    CMP3(a, b, idx);
    return 0;
}

static int seen_cmp(const void *pa, const void *pb)
{
    const struct seen_key *a = pa, *b = pb;
    CMP3(a, b, unit);
    CMP3(a, b, indicator);
    CMP3(a, b, ord);
    return 0;
}

static int reject_cmp(const void *pa, const void *pb)
{
    const struct reject *a = pa, *b = pb;
    CMP3(a, b, line);
    CMP3(a, b, seq);
    return 0;
}

/* The text of a good row, rebuilt for a duplicate's reject record. */
static size_t row_text(const struct file_import *f, const struct store_obs *o, char *buf,
                       size_t size)
{
    const struct import *im = f->im;
    size_t nu, ni;
    const struct config_unit *units = config_units(im->cfg, &nu);
    const struct config_indicator *inds = config_indicators(im->cfg, &ni);
    const char *unit = "?", *ind = "?";
    char per[PERIOD_TEXT_SIZE] = "?", val[40];
    int n;

    for (size_t i = 0; i < im->n_units; i++)
        if (im->unit_ids[i] == o->unit_id)
            unit = units[i].id;
    for (size_t i = 0; i < im->n_indicators; i++)
        if (im->indicator_ids[i] == o->indicator_id)
            ind = inds[i].code;
    period_format(o->period, per, sizeof(per));
    /* The shortest of 15 or 17 significant digits that reads back exactly. */
    snprintf(val, sizeof(val), "%.15g", o->value);
    if (strtod(val, NULL) != o->value)
        snprintf(val, sizeof(val), "%.17g", o->value);
    n = snprintf(buf, size, "%s,%s,%s,%s", unit, ind, per, val);
    return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

static int reject_row(struct file_import *f, size_t idx, const char *why)
{
    char raw[RAW_MAX];
    size_t n = row_text(f, &f->obs[idx], raw, sizeof(raw));
    long line = f->lines[idx];

    f->lines[idx] = 0;
    return import_add_reject(f, line, raw, n, why);
}

/* Rejects row idx when an earlier file of this import stored its key. */
static int check_seen(struct file_import *f, size_t idx)
{
    const struct import *im = f->im;
    const struct store_obs *o = &f->obs[idx];
    struct seen_key probe = {o->unit_id, o->indicator_id, ordinal(o->period), 0, 0};
    const struct seen_key *hit;
    char why[300];

    if (!im->n_seen)
        return 0;
    hit = bsearch(&probe, im->seen, im->n_seen, sizeof(*im->seen), seen_cmp);
    if (!hit)
        return 0;
    snprintf(why, sizeof(why), "duplicate of %s:%ld", im->files[hit->file], hit->line);
    return reject_row(f, idx, why);
}

/* Turns every later row of a repeated key into a reject, then compacts. */
int import_mark_duplicates(struct file_import *f)
{
    struct key *keys;
    long first_line = 0;
    char why[64];
    size_t i, j;
    int rc = 0;

    if (f->n == 0)
        return 0;
    if (!(keys = malloc(f->n * sizeof(*keys))))
        return -ENOMEM;
    for (i = 0; i < f->n; i++)
        keys[i] = (struct key){f->obs[i].unit_id, f->obs[i].indicator_id, ordinal(f->obs[i].period),
                               (uint32_t)i};
    qsort(keys, f->n, sizeof(*keys), key_cmp);
    for (i = 0; i < f->n && rc == 0; i++) {
        if (i > 0 && keys[i].unit == keys[i - 1].unit &&
            keys[i].indicator == keys[i - 1].indicator && keys[i].ord == keys[i - 1].ord) {
            snprintf(why, sizeof(why), "duplicate of line %ld", first_line);
            rc = reject_row(f, keys[i].idx, why);
            continue;
        }
        first_line = f->lines[keys[i].idx];
        rc = check_seen(f, keys[i].idx);
    }
    free(keys);
    for (i = j = 0; i < f->n; i++) {
        if (f->lines[i]) {
            f->obs[j] = f->obs[i];
            f->lines[j++] = f->lines[i];
        }
    }
    f->n = j;
    if (f->n_rej)
        qsort(f->rej, f->n_rej, sizeof(*f->rej), reject_cmp);
    return rc;
}

/* Adds the keys this file stored to those later files are checked against. */
int import_remember(struct file_import *f)
{
    struct import *im = f->im;
    char *name = strdup(f->name);

    if (!name || BUF_GROW(&im->files, &im->cap_files, im->n_files + 1, BUF_UNCAPPED) < 0 ||
        BUF_GROW(&im->seen, &im->cap_seen, im->n_seen + f->n, BUF_UNCAPPED) < 0) {
        free(name);
        return -ENOMEM;
    }
    for (size_t i = 0; i < f->n; i++)
        im->seen[im->n_seen++] =
            (struct seen_key){f->obs[i].unit_id, f->obs[i].indicator_id, ordinal(f->obs[i].period),
                              (uint32_t)im->n_files, f->lines[i]};
    im->files[im->n_files++] = name;
    if (im->n_seen)
        qsort(im->seen, im->n_seen, sizeof(*im->seen), seen_cmp);
    return 0;
}
