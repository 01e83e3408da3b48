/*
 * format_json.c - the "json" reader: records found by a declarative mapping
 * of JSON Pointers (RFC 6901).
 *
 * Long layout: one array element per (unit, indicator, period, value).
 * Wide layout: one element per unit, with one member per indicator, mapped by
 * name in "fields". unit, indicator and period may be constants instead.
 *
 * The payload is read as a stream with yajl (no document tree): while the
 * parser walks the record array, the scalars at the mapped pointers of the
 * current element are kept, and the element's records are handed on as soon
 * as it ends. A record's raw text is the element's bytes with the blanks
 * between tokens taken out.
 *
 * The long layout's commonest shape (flat records at the root or at one
 * member of it) is read by a scanner of its own first (json_long.c); when it
 * gives up, yajl reads the payload again, skipping the elements the scanner
 * has handed on, so either way the records and errors are the same.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "collectors/format_priv.h"
#include "collectors/json_long.h"
#include "common/buf.h"

#define JSON_MAX_DEPTH 64 /* path levels tracked; deeper values match no pointer */
#define JSON_MAX_KEY   256

/* A JSON Pointer split into unescaped tokens, and their lengths. */
struct jptr {
    char **tok;
    size_t *len;
    size_t n;
};

struct json_reader {
    const struct config_mapping *m;
    int wide;            /* 1: "layout": "wide" */
    const char *records; /* pointer to the record array ("" = root) */
    /* The pointers the stream is matched against: [0] records, then one per
     * field (FIELD_UNIT ... FIELD_STATUS, then the wide fields in order). */
    struct jptr *ptr;
    size_t nptr;
    int scan; /* 1: the long-layout scanner fits the mapping (spec) */
    struct json_long_spec spec;
};

enum {
    PTR_RECORDS,
    FIELD_UNIT,
    FIELD_INDICATOR,
    FIELD_PERIOD,
    FIELD_VALUE,
    FIELD_STATUS,
    FIELD_WIDE
};

/* Splits pointer text (NULL: matches nothing) into unescaped tokens. */
static int jptr_split(const char *text, struct jptr *p)
{
    p->tok = NULL;
    p->len = NULL;
    p->n = 0;
    if (!text)
        return 0;
    for (const char *c = text; *c; c++)
        p->n += *c == '/';
    if (p->n == 0)
        return 0;
    if (!(p->tok = calloc(p->n, sizeof(char *))) || !(p->len = calloc(p->n, sizeof(size_t))))
        return -ENOMEM;
    const char *at = text;
    for (size_t i = 0; i < p->n; i++) {
        const char *start = at + 1, *end = strchr(start, '/');
        size_t len = end ? (size_t)(end - start) : strlen(start), o = 0;
        char *t = malloc(len + 1);
        if (!(p->tok[i] = t))
            return -ENOMEM;
        for (size_t k = 0; k < len; k++) { /* ~1 is '/', ~0 is '~' */
            if (start[k] == '~' && k + 1 < len && (start[k + 1] == '0' || start[k + 1] == '1'))
                t[o++] = start[++k] == '0' ? '~' : '/';
            else
                t[o++] = start[k];
        }
        t[o] = '\0';
        p->len[i] = o;
        at = start + len;
    }
    return 0;
}

static void jptr_free(struct jptr *p)
{
    for (size_t i = 0; i < p->n && p->tok; i++)
        free(p->tok[i]);
    free(p->tok);
    free(p->len);
}

static void json_fini(void *priv)
{
    struct json_reader *r = priv;
    if (!r)
        return;
    for (size_t i = 0; i < r->nptr; i++)
        jptr_free(&r->ptr[i]);
    free(r->ptr);
    free(r);
}

static int split_all(struct json_reader *r)
{
    const struct config_mapping *m = r->m;
    size_t nwide = r->wide ? m->n_fields : 0;

    r->nptr = FIELD_WIDE + nwide;
    if (!(r->ptr = calloc(r->nptr, sizeof(*r->ptr))))
        return -ENOMEM;
    if (jptr_split(r->records, &r->ptr[PTR_RECORDS]) < 0 ||
        jptr_split(m->unit.path, &r->ptr[FIELD_UNIT]) < 0 ||
        jptr_split(r->wide ? NULL : m->indicator.path, &r->ptr[FIELD_INDICATOR]) < 0 ||
        jptr_split(m->period.path, &r->ptr[FIELD_PERIOD]) < 0 ||
        jptr_split(r->wide ? NULL : m->value.path, &r->ptr[FIELD_VALUE]) < 0 ||
        jptr_split(r->wide ? NULL : m->status.path, &r->ptr[FIELD_STATUS]) < 0)
        return -ENOMEM;
    for (size_t i = 0; i < nwide; i++) /* the wide fields in the mapping's order */
        if (jptr_split(m->fields[i].path, &r->ptr[FIELD_WIDE + i]) < 0)
            return -ENOMEM;
    return 0;
}

/* Does the long-layout scanner fit the mapping? The records at the root or
 * at one member of it, each field absent or one member of the record, no
 * name so long that the walk would not match it. */
static void spec_build(struct json_reader *r)
{
    const struct config_mapping *m = r->m;
    const char *path[JSON_LONG_FIELDS] = {m->unit.path, m->indicator.path, m->period.path,
                                          m->value.path, m->status.path};
    const struct jptr *rp = &r->ptr[PTR_RECORDS];

    if (r->wide || rp->n > 1 || (rp->n == 1 && rp->len[0] >= JSON_MAX_KEY))
        return;
    r->spec.root_array = rp->n == 0;
    if (rp->n == 1) {
        r->spec.records = rp->tok[0];
        r->spec.records_len = rp->len[0];
    }
    for (size_t i = 0; i < JSON_LONG_FIELDS; i++) {
        const struct jptr *p = &r->ptr[FIELD_UNIT + i];
        if (!path[i])
            continue;
        if (p->n != 1 || p->len[0] >= JSON_MAX_KEY)
            return;
        r->spec.key[i] = p->tok[0];
        r->spec.key_len[i] = p->len[0];
    }
    r->scan = 1;
}

static int json_init(struct format *fmt, char *err, size_t errsize)
{
    const struct config_mapping *m = fmt->mapping;
    struct json_reader *r;

    if (!m || !m->given) {
        format_err(err, errsize, "mapping: required for format \"json\"");
        return -EINVAL;
    }
    if (!(r = calloc(1, sizeof(*r)))) {
        format_err(err, errsize, "out of memory");
        return -ENOMEM;
    }
    r->m = m;
    r->wide = m->layout == CONFIG_LAYOUT_WIDE;
    r->records = m->records ? m->records : "";
    if (split_all(r) < 0) {
        format_err(err, errsize, "out of memory");
        json_fini(r);
        return -ENOMEM;
    }
    spec_build(r);
    fmt->priv = r;
    return 0;
}

/* ---- the stream ---- */

enum jtype { J_NONE, J_STRING, J_INTEGER, J_REAL, J_NULL, J_BOOL, J_CONTAINER };

struct jval {
    enum jtype type;
    size_t at, len; /* text in the walk's arena (strings, numbers) */
};

/* The keys of one open object, to find a repeated key: an open-addressing
 * table of entries (offsets into the set's own arena). */
struct keyset {
    size_t *slot; /* entry index + 1, 0: empty; nslot is a power of two */
    size_t nslot;
    struct keyent {
        size_t off, len;
    } * ent;
    size_t n, ecap;
    char *arena;
    size_t used, acap;
};

struct walk {
    const struct json_reader *r;
    yajl_handle h;
    const char *buf;
    size_t len;
    format_record_cb cb;
    void *ctx;
    int rc; /* the callback's non-zero return, or -ENOMEM */
    char err[160];
    /* the path of the value being read: keys of maps, indices of arrays */
    size_t depth;
    int is_array[JSON_MAX_DEPTH];
    long index[JSON_MAX_DEPTH];
    char key[JSON_MAX_DEPTH][JSON_MAX_KEY];
    size_t key_len[JSON_MAX_DEPTH];
    int key_long[JSON_MAX_DEPTH]; /* the key was cut: matches no pointer */
    size_t rec_depth;             /* depth of the record array's elements; 0: not inside */
    int records_seen;             /* the record array was found (1) or a non-array there (-1) */
    size_t last_end;              /* offset after the previous token */
    size_t elem_start;            /* offset of the current element */
    long pos;                     /* 1-based element number */
    long skip;                    /* elements the scanner handed on already */
    struct jval *val;             /* per pointer slot */
    char *arena;
    size_t used, cap;
    struct keyset keys[JSON_MAX_DEPTH]; /* the keys of each open object, by depth */
    /* the last period text read well and its period: a payload's records
     * mostly share one */
    char last_period_text[32];
    struct period last_period;
};

/* Keys an object may have before its set is hashed: a record's handful are
 * compared one by one, which costs less than hashing each. */
#define KEYSET_LINEAR ((size_t)8)

static uint64_t key_hash(const char *k, size_t len)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */

    for (size_t c = 0; c < len; c++)
        h = (h ^ (unsigned char)k[c]) * 1099511628211ULL;
    return h;
}

/* Puts every entry into a table of nslot slots (a power of two, more than
 * twice the entries). Returns 0 or -ENOMEM. */
static int keyset_rehash(struct keyset *ks, size_t nslot)
{
    if (nslot != ks->nslot) {
        size_t *slot = calloc(nslot, sizeof(*slot));
        if (!slot)
            return -ENOMEM;
        free(ks->slot);
        ks->slot = slot;
        ks->nslot = nslot;
    } else {
        memset(ks->slot, 0, nslot * sizeof(*ks->slot));
    }
    for (size_t e = 0; e < ks->n; e++) {
        size_t i = key_hash(ks->arena + ks->ent[e].off, ks->ent[e].len) & (nslot - 1);
        while (ks->slot[i])
            i = (i + 1) & (nslot - 1);
        ks->slot[i] = e + 1;
    }
    return 0;
}

/* Keeps an entry for key k; returns 1 when the set already held it, 0 when
 * added, -ENOMEM. Up to KEYSET_LINEAR entries the keys are compared one by
 * one; from then on they are found in an open-addressing table. */
static int keyset_add(struct keyset *ks, const char *k, size_t len)
{
    size_t i = 0;

    if (ks->n < KEYSET_LINEAR) {
        for (size_t e = 0; e < ks->n; e++)
            if (ks->ent[e].len == len && memcmp(ks->arena + ks->ent[e].off, k, len) == 0)
                return 1;
    } else {
        size_t want = ks->nslot < 4 * KEYSET_LINEAR ? 4 * KEYSET_LINEAR : ks->nslot;
        while ((ks->n + 1) * 2 > want) /* at most half full */
            want *= 2;
        /* the first key past the linear ones: the table is filled afresh */
        if ((ks->n == KEYSET_LINEAR || want != ks->nslot) && keyset_rehash(ks, want) < 0)
            return -ENOMEM;
        for (i = key_hash(k, len) & (ks->nslot - 1); ks->slot[i]; i = (i + 1) & (ks->nslot - 1)) {
            const struct keyent *e = &ks->ent[ks->slot[i] - 1];
            if (e->len == len && memcmp(ks->arena + e->off, k, len) == 0)
                return 1;
        }
    }
    if (BUF_GROW(&ks->ent, &ks->ecap, ks->n + 1, BUF_UNCAPPED) < 0 ||
        BUF_GROW(&ks->arena, &ks->acap, ks->used + len + 1, BUF_UNCAPPED) < 0)
        return -ENOMEM;
    memcpy(ks->arena + ks->used, k, len);
    ks->ent[ks->n] = (struct keyent){ks->used, len};
    ks->used += len;
    ks->n++;
    if (ks->n > KEYSET_LINEAR)
        ks->slot[i] = ks->n;
    return 0;
}

/* Empties the set for the next object, keeping its memory (the table is
 * filled again when an object has more than KEYSET_LINEAR keys). */
static void keyset_clear(struct keyset *ks)
{
    ks->n = 0;
    ks->used = 0;
}

static void keyset_free(struct keyset *ks)
{
    free(ks->slot);
    free(ks->ent);
    free(ks->arena);
}

/* Does the path from depth `from` to the current depth equal p's tokens?
 * Lengths first: a record's keys mostly differ in length from the other
 * fields' tokens, so a value costs about one memcmp() per key. */
static int path_is(const struct walk *w, size_t from, const struct jptr *p)
{
    if (w->depth - from != p->n)
        return 0;
    for (size_t i = 0; i < p->n; i++) {
        size_t d = from + i + 1, len;
        char num[24];
        if (d >= JSON_MAX_DEPTH || w->key_long[d])
            return 0;
        const char *k = w->key[d];
        if (w->is_array[d - 1]) {
            int n = snprintf(num, sizeof(num), "%ld", w->index[d]);
            k = num;
            len = (size_t)n;
        } else {
            len = w->key_len[d];
        }
        if (len != p->len[i] || memcmp(k, p->tok[i], len) != 0)
            return 0;
    }
    return 1;
}

static size_t skip_between(const char *b, size_t at, size_t len)
{
    while (at < len && (b[at] == ' ' || b[at] == '\t' || b[at] == '\r' || b[at] == '\n' ||
                        b[at] == ',' || b[at] == ':'))
        at++;
    return at;
}

/* A record's raw text: the element's bytes, blanks between tokens removed. */
struct raw_span {
    const char *b;
    size_t from, to;
};

static int raw_span_build(const void *arg, char *text)
{
    const struct raw_span *s = arg;
    size_t o = 0, i = s->from;
    int in_str = 0;

    for (; i < s->to && o < FORMAT_RAW_MAX; i++) {
        char c = s->b[i];
        if (in_str) {
            if (c == '\\' && i + 1 < s->to && o + 1 < FORMAT_RAW_MAX) {
                text[o++] = c;
                c = s->b[++i];
            } else if (c == '"') {
                in_str = 0;
            }
        } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            continue;
        } else if (c == '"') {
            in_str = 1;
        }
        text[o++] = c;
    }
    /* Cut at the cap inside a UTF-8 sequence: drop the sequence's start. */
    if (i < s->to && ((unsigned char)s->b[i] & 0xC0) == 0x80) {
        while (o > 0 && ((unsigned char)text[o - 1] & 0xC0) == 0x80)
            o--;
        if (o > 0)
            o--;
    }
    text[o] = '\0';
    return 0;
}

/* The text of a code field (string or integer), or NULL with a problem. */
static const char *field_text(const struct walk *w, size_t slot, const struct config_field *f,
                              const char *name, struct format_record *rec, struct format_scratch *s)
{
    const struct jval *v = &w->val[slot];
    if (!f->path)
        return f->constant ? f->constant : ""; /* a constant, or an unmapped unit */
    if (v->type == J_STRING || v->type == J_INTEGER)
        return w->arena + v->at;
    if (v->type != J_NONE)
        format_problem(rec, s, "%s at \"%.80s\": expected a string or an integer", name, f->path);
    else
        format_problem(rec, s, "%s: no \"%.80s\" in record", name, f->path);
    return NULL;
}

static void value_of(const struct walk *w, size_t slot, struct format_record *rec,
                     struct format_scratch *s)
{
    const struct jval *v = &w->val[slot];
    const char *text = w->arena ? w->arena + v->at : ""; /* a kept value is in the arena */
    const struct config_mapping *m = w->r->m;
    const char *had = rec->problem;

    rec->missing = rec->value_ok = 0;
    rec->value = 0;
    switch (v->type) {
    case J_NULL:
        rec->missing = 1;
        break;
    case J_INTEGER:
    case J_REAL: /* a JSON number: '.' decimal whatever the mapping says; 1e400 is refused */
        format_record_value_number(rec, s, text, v->len);
        break;
    case J_STRING:
        format_record_value_cell(rec, s, w->r->m, text);
        break;
    default:
        format_problem(rec, s, "value: expected a number, a string or null");
    }
    if (!had && rec->problem == s->problem) { /* the value's own problem: say where it is */
        size_t n = strlen(s->problem);
        const char *path = slot == FIELD_VALUE ? m->value.path : m->fields[slot - FIELD_WIDE].path;
        snprintf(s->problem + n, sizeof(s->problem) - n, " at %s/%ld%s", w->r->records, w->pos - 1,
                 path);
    }
}

/* The status field (long layout): a string; null or absent is none; an
 * empty string leaves a status from value_flags as it is. */
static void status_of(const struct walk *w, struct format_record *rec, struct format_scratch *s)
{
    const struct jval *v = &w->val[FIELD_STATUS];
    const char *path = w->r->m->status.path, *had;

    if (!path || v->type == J_NONE || v->type == J_NULL || (v->type == J_STRING && v->len == 0))
        return;
    if (v->type != J_STRING) {
        format_problem(rec, s, "status at \"%.80s\": expected a string or null", path);
        return;
    }
    had = rec->problem;
    format_record_status(rec, s, w->r->m, w->arena + v->at, v->len);
    if (!had && rec->problem == s->problem) { /* say where the status is */
        size_t n = strlen(s->problem);
        snprintf(s->problem + n, sizeof(s->problem) - n, " at %s/%ld%s", w->r->records, w->pos - 1,
                 path);
    }
}

/* The element has ended: its records to the callback. */
static int emit(struct walk *w, size_t end)
{
    const struct json_reader *r = w->r;
    const struct config_mapping *m = r->m;
    struct format_scratch s;
    struct format_raw raw;
    struct raw_span span = {w->buf, w->elem_start, end};
    struct format_record base = {.position = w->pos};
    const char *text;
    int rc = 0;

    if (w->pos <= w->skip)
        return 0;
    format_raw_attach(&base, &raw, raw_span_build, &span);
    text = field_text(w, FIELD_UNIT, &m->unit, "unit", &base, &s);
    base.unit = text ? text : "";
    if (!r->wide) {
        text = field_text(w, FIELD_INDICATOR, &m->indicator, "indicator", &base, &s);
        base.indicator = text ? text : "";
    }
    text = field_text(w, FIELD_PERIOD, &m->period, "period", &base, &s);
    if (text && w->last_period_text[0] && strcmp(text, w->last_period_text) == 0) {
        base.period_raw = text;
        base.period = w->last_period;
        base.period_ok = 1;
    } else {
        format_record_period_freq(&base, &s, text, m->freq);
        size_t n = base.period_ok && text ? strlen(text) : sizeof(w->last_period_text);
        if (n < sizeof(w->last_period_text)) {
            memcpy(w->last_period_text, text, n + 1);
            w->last_period = base.period;
        }
    }
    if (!r->wide) {
        if (w->val[FIELD_VALUE].type != J_NONE)
            value_of(w, FIELD_VALUE, &base, &s);
        else
            format_problem(&base, &s, "value: no \"%.80s\" in record", m->value.path);
        status_of(w, &base, &s);
        return w->cb(&base, w->ctx);
    }
    /* One record per mapped indicator; a member the unit's object lacks is "missing". */
    for (size_t i = FIELD_WIDE; i < r->nptr && rc == 0; i++) {
        struct format_record rec = base;
        rec.indicator = m->fields[i - FIELD_WIDE].indicator;
        if (w->val[i].type != J_NONE)
            value_of(w, i, &rec, &s);
        else
            rec.missing = 1;
        rc = w->cb(&rec, w->ctx);
    }
    return rc;
}

/* Keeps text for pointer slot i (NUL-terminated in the arena). */
static int keep(struct walk *w, size_t i, enum jtype type, const char *text, size_t len)
{
    /* The arena holds one element's values, so the payload's cap bounds it. */
    if (BUF_GROW(&w->arena, &w->cap, w->used + len + 1, BUF_UNCAPPED) < 0) {
        w->rc = -ENOMEM;
        return 0;
    }
    memcpy(w->arena + w->used, text, len);
    w->arena[w->used + len] = '\0';
    w->val[i] = (struct jval){type, w->used, len};
    w->used += len + 1;
    return 1;
}

/* Offset after the token just read. */
static size_t here(const struct walk *w)
{
    return yajl_get_bytes_consumed(w->h);
}

/* A value begins at the current path: an element starts, or (inside one) a
 * mapped pointer may match. Scalars pass their type and text. Returns 0 to
 * stop the parse. */
static int value(struct walk *w, enum jtype type, const char *text, size_t len, int opens)
{
    size_t end = here(w);
    int ok = 1;

    if (!w->rec_depth && path_is(w, 0, &w->r->ptr[PTR_RECORDS]) && !w->records_seen) {
        w->records_seen = -1; /* there, but not an array (start_array says otherwise) */
    } else if (w->rec_depth && w->depth == w->rec_depth) {
        w->pos++;
        w->elem_start = skip_between(w->buf, w->last_end, w->len);
        w->used = 0;
        for (size_t i = 0; i < w->r->nptr; i++)
            w->val[i].type = J_NONE;
    }
    if (w->rec_depth && w->depth >= w->rec_depth)
        for (size_t i = FIELD_UNIT; i < w->r->nptr && ok; i++)
            if (path_is(w, w->rec_depth, &w->r->ptr[i]))
                ok = opens ? (w->val[i].type = J_CONTAINER, 1) : keep(w, i, type, text, len);
    if (ok && !opens && w->rec_depth && w->depth == w->rec_depth && (w->rc = emit(w, end)) != 0)
        ok = 0;
    w->last_end = end;
    return ok;
}

/* After a value at the current depth: the next array index. */
static void next(struct walk *w)
{
    if (w->depth > 0 && w->depth < JSON_MAX_DEPTH && w->is_array[w->depth - 1])
        w->index[w->depth]++;
}

static int scalar(void *ctx, enum jtype type, const char *text, size_t len)
{
    struct walk *w = ctx;
    int ok = value(w, type, text, len, 0);
    next(w);
    return ok;
}

static int on_null(void *ctx)
{
    return scalar(ctx, J_NULL, "", 0);
}

static int on_bool(void *ctx, int b)
{
    return scalar(ctx, J_BOOL, b ? "true" : "false", b ? 4 : 5);
}

static int on_number(void *ctx, const char *s, size_t len)
{
    return scalar(
        ctx, memchr(s, '.', len) || memchr(s, 'e', len) || memchr(s, 'E', len) ? J_REAL : J_INTEGER,
        s, len);
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
    struct walk *w = ctx;
    if (memchr(s, '\0', len)) {
        snprintf(w->err, sizeof(w->err), "\\u0000 is not allowed in a string");
        return 0;
    }
    return scalar(ctx, J_STRING, (const char *)s, len);
}

static int open_level(struct walk *w, int is_array)
{
    if (!value(w, J_CONTAINER, NULL, 0, 1))
        return 0;
    if (is_array && !w->rec_depth && path_is(w, 0, &w->r->ptr[PTR_RECORDS]) &&
        w->records_seen <= 0) {
        w->records_seen = 1;
        w->rec_depth = w->depth + 1;
        w->pos = 0;
    }
    w->depth++;
    if (w->depth < JSON_MAX_DEPTH) {
        w->is_array[w->depth - 1] = is_array;
        w->index[w->depth] = 0;
        w->key[w->depth][0] = '\0';
        w->key_len[w->depth] = 0;
        w->key_long[w->depth] = 0;
        if (!is_array)
            keyset_clear(&w->keys[w->depth]);
    }
    return 1;
}

static int close_level(struct walk *w)
{
    size_t end = here(w);
    if (w->rec_depth && w->depth == w->rec_depth) /* the record array ends */
        w->rec_depth = 0;
    w->depth--;
    w->last_end = end;
    if (w->rec_depth && w->depth == w->rec_depth && (w->rc = emit(w, end)) != 0)
        return 0;
    next(w);
    return 1;
}

static int on_start_map(void *ctx)
{
    return open_level(ctx, 0);
}

static int on_start_array(void *ctx)
{
    return open_level(ctx, 1);
}

static int on_end(void *ctx)
{
    return close_level(ctx);
}

/* Appends token t[0..n) to the JSON Pointer in out (escaping ~ and /). */
static size_t pointer_append(char *out, size_t o, size_t size, const char *t, size_t n)
{
    if (o + 1 < size)
        out[o++] = '/';
    for (size_t i = 0; i < n && o + 2 < size; i++) {
        if (t[i] == '~' || t[i] == '/') {
            out[o++] = '~';
            out[o++] = t[i] == '~' ? '0' : '1';
        } else {
            out[o++] = t[i];
        }
    }
    out[o < size ? o : size - 1] = '\0';
    return o;
}

/* The JSON Pointer of member k of the object being read, into out. */
static void member_pointer(const struct walk *w, const char *k, size_t len, char *out, size_t size)
{
    size_t o = 0;

    out[0] = '\0';
    for (size_t d = 1; d < w->depth && d < JSON_MAX_DEPTH; d++) {
        char num[24];
        if (w->is_array[d - 1]) {
            int n = snprintf(num, sizeof(num), "%ld", w->index[d]);
            o = pointer_append(out, o, size, num, (size_t)n);
        } else if (w->key_long[d]) {
            o = pointer_append(out, o, size, "...", 3);
        } else {
            o = pointer_append(out, o, size, w->key[d], strlen(w->key[d]));
        }
    }
    pointer_append(out, o, size, k, format_utf8_cut(k, len < 64 ? len : 64));
}

/* A member's key: kept for pointer matching, and a repeat refuses the payload
 * (which of the two values counts cannot be known). Objects deeper than
 * JSON_MAX_DEPTH are not checked: nothing there matches a mapped pointer. */
static int on_key(void *ctx, const unsigned char *k, size_t len)
{
    struct walk *w = ctx;
    char ptr[112];
    int dup;

    w->last_end = here(w);
    if (w->depth >= JSON_MAX_DEPTH)
        return 1;
    if ((dup = keyset_add(&w->keys[w->depth], (const char *)k, len)) != 0) {
        if (dup < 0) {
            w->rc = -ENOMEM;
            return 0;
        }
        member_pointer(w, (const char *)k, len, ptr, sizeof(ptr));
        snprintf(w->err, sizeof(w->err),
                 "%s: repeated key (a payload with a repeated key is refused)", ptr);
        return 0;
    }
    w->key_long[w->depth] = len >= JSON_MAX_KEY || memchr(k, '\0', len) != NULL;
    if (!w->key_long[w->depth]) {
        memcpy(w->key[w->depth], k, len);
        w->key[w->depth][len] = '\0';
        w->key_len[w->depth] = len;
    }
    return 1;
}

static const yajl_callbacks callbacks = {
    .yajl_null = on_null,
    .yajl_boolean = on_bool,
    .yajl_number = on_number,
    .yajl_string = on_string,
    .yajl_start_map = on_start_map,
    .yajl_map_key = on_key,
    .yajl_end_map = on_end,
    .yajl_start_array = on_start_array,
    .yajl_end_array = on_end,
};

/* "line L column C" of byte offset at. */
static void where(const char *buf, size_t at, char *out, size_t size)
{
    int line = 1, col = 1;
    for (size_t i = 0; i < at; i++) {
        if (buf[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    snprintf(out, size, "line %d column %d", line, col);
}

/* A parse error as "line L column C: message". */
static void parse_error(struct walk *w, char *err, size_t errsize)
{
    char at[48];
    size_t off = here(w);
    where(w->buf, off < w->len ? off : w->len, at, sizeof(at));
    if (w->err[0]) {
        format_err(err, errsize, "%s: %s", at, w->err);
        return;
    }
    unsigned char *msg = yajl_get_error(w->h, 0, (const unsigned char *)w->buf, w->len);
    const char *text = msg ? (const char *)msg : "invalid JSON";
    if (strncmp(text, "parse error: ", 13) == 0)
        text += 13;
    format_err(err, errsize, "%s: %.*s", at, (int)strcspn(text, "\n"), text);
    if (msg)
        yajl_free_error(w->h, msg);
}

/* An element the scanner read: its fields kept as the walk keeps them, then
 * its records handed on by the walk's own emit(). */
static int scanned(void *ctx, long pos, size_t from, size_t to, const struct json_long_field *f)
{
    static const enum jtype type[] = {
        [JSON_LONG_NONE] = J_NONE, [JSON_LONG_STRING] = J_STRING, [JSON_LONG_INTEGER] = J_INTEGER,
        [JSON_LONG_REAL] = J_REAL, [JSON_LONG_NULL] = J_NULL,     [JSON_LONG_BOOL] = J_BOOL,
    };
    struct walk *w = ctx;

    w->pos = pos;
    w->elem_start = from;
    w->used = 0;
    for (size_t i = 0; i < w->r->nptr; i++)
        w->val[i].type = J_NONE;
    for (size_t i = 0; i < JSON_LONG_FIELDS; i++)
        if (f[i].type != JSON_LONG_NONE &&
            !keep(w, FIELD_UNIT + i, type[f[i].type], f[i].text, f[i].len))
            return w->rc; /* -ENOMEM */
    return w->rc = emit(w, to);
}

int format_json_read_how(struct format *fmt, const char *buf, size_t len, format_record_cb cb,
                         void *ctx, char *err, size_t errsize, enum format_json_how how)
{
    const struct json_reader *r = fmt->priv;
    struct walk *w;
    size_t first = skip_between(buf, 0, len);
    int rc = 0;

    if (len == 0) {
        format_err(err, errsize, "empty payload");
        return -EBADMSG;
    }
    if (first >= len || (buf[first] != '{' && buf[first] != '[')) {
        char at[48];
        where(buf, first, at, sizeof(at));
        format_err(err, errsize, "%s: '[' or '{' expected", at);
        return -EBADMSG;
    }
    if (!(w = calloc(1, sizeof(*w))) || !(w->val = calloc(r->nptr, sizeof(*w->val)))) {
        free(w);
        format_err(err, errsize, "out of memory");
        return -ENOMEM;
    }
    w->r = r; /* the rest is zero: no second pass over the walk's 20 KB */
    w->buf = buf;
    w->len = len;
    w->cb = cb;
    w->ctx = ctx;
    if (how != FORMAT_JSON_YAJL && r->scan) {
        long emitted;
        int cb_rc, gave_up = json_long_scan(&r->spec, buf, len, scanned, w, &emitted, &cb_rc);
        if (gave_up < 0)
            w->rc = gave_up;
        if (gave_up <= 0 || w->rc) {
            rc = w->rc; /* read whole, stopped by the callback, or out of memory */
            if (rc == -ENOMEM)
                format_err(err, errsize, "out of memory");
            goto out;
        }
        w->pos = 0; /* yajl reads it again; the elements handed on are skipped */
        w->skip = emitted;
    }
    if (how == FORMAT_JSON_SCANNER) {
        format_err(err, errsize, "the scanner gave up after %ld elements", w->skip);
        rc = -EAGAIN;
        goto out;
    }
    if (!(w->h = yajl_alloc(&callbacks, NULL, w))) {
        format_err(err, errsize, "out of memory");
        rc = -ENOMEM;
        goto out;
    }
    if (yajl_parse(w->h, (const unsigned char *)buf, len) != yajl_status_ok ||
        yajl_complete_parse(w->h) != yajl_status_ok) {
        if (w->rc) {
            rc = w->rc; /* the callback stopped it, or out of memory */
            if (rc == -ENOMEM)
                format_err(err, errsize, "out of memory");
        } else {
            parse_error(w, err, errsize);
            rc = -EBADMSG;
        }
    } else if (w->records_seen <= 0) {
        format_err(err, errsize, "%s: %s", r->records[0] ? r->records : "(root)",
                   w->records_seen < 0 ? "expected an array" : "not found");
        rc = -EBADMSG;
    }
out:
    if (w->h)
        yajl_free(w->h);
    for (size_t d = 0; d < JSON_MAX_DEPTH; d++)
        keyset_free(&w->keys[d]);
    free(w->val);
    free(w->arena);
    free(w);
    return rc;
}

static int json_read(struct format *fmt, const char *buf, size_t len, format_record_cb cb,
                     void *ctx, char *err, size_t errsize)
{
    return format_json_read_how(fmt, buf, len, cb, ctx, err, errsize, FORMAT_JSON_AUTO);
}

const struct format_ops format_json_ops = {
    .name = "json",
    .init = json_init,
    .fini = json_fini,
    .read = json_read,
};
