/*
 * format_sdmx_map.c - the SDMX mapping both SDMX readers share (see
 * format_sdmx.h): unit and indicator from components, templates and
 * constants, filters, measures, FREQ, UNIT_MULT / DECIMALS, actions and the
 * collapse check.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "collectors/format_sdmx.h"

static const char *const default_measures[] = {"OBS_VALUE"};

int sdmx_map_init(struct sdmx_map *m, const struct config_mapping *cm, const char *format,
                  char *err, size_t errsize)
{
    memset(m, 0, sizeof(*m));
    if (!cm || !cm->given || !cm->format || strcmp(cm->format, format) != 0 ||
        (!cm->unit_dimension && !cm->unit.constant) ||
        (!cm->indicator_dimension && !cm->indicator_template && !cm->indicator.constant)) {
        format_err(err, errsize,
                   "mapping: required for format \"%s\" (unit_dimension, "
                   "indicator_dimension)",
                   format);
        return -EINVAL;
    }
    m->unit_dim = cm->unit_dimension;
    m->unit_const = cm->unit_dimension ? NULL : cm->unit.constant;
    m->ind_dim = cm->indicator_dimension;
    m->ind_template = cm->indicator_dimension ? NULL : cm->indicator_template;
    m->ind_const = m->ind_dim || m->ind_template ? NULL : cm->indicator.constant;
    m->period_dim = cm->period_dimension ? cm->period_dimension : "TIME_PERIOD";
    m->filters = cm->filters;
    m->n_filters = cm->n_filters;
    m->measures = cm->measures;
    m->n_measures = cm->measures ? cm->n_measures : 1;
    m->freq = cm->freq;
    m->values = &cm->values;
    m->status_attr = cm->status_attribute ? cm->status_attribute : "OBS_STATUS";
    m->cm = cm;
    return 0;
}

/* The measure ids: the mapping's, or {"OBS_VALUE"}. */
static const char *measure_id(const struct sdmx_map *m, size_t i)
{
    return m->measures ? m->measures[i] : default_measures[0];
}

/* 1 when template t has the placeholder {id} (any case). */
static int template_has(const char *t, const char *id)
{
    size_t n = strlen(id);

    for (const char *p = t ? strchr(t, '{') : NULL; p; p = strchr(p + 1, '{')) {
        if (strncasecmp(p + 1, id, n) == 0 && p[1 + n] == '}')
            return 1;
    }
    return 0;
}

int sdmx_map_reads(const struct sdmx_map *m, const char *id)
{
    if ((m->unit_dim && strcasecmp(m->unit_dim, id) == 0) ||
        (m->ind_dim && strcasecmp(m->ind_dim, id) == 0) || strcasecmp(m->period_dim, id) == 0 ||
        (m->status_attr && strcasecmp(m->status_attr, id) == 0) ||
        template_has(m->ind_template, id))
        return 1;
    for (size_t i = 0; i < m->n_filters; i++) {
        /* a filter on one code leaves nothing to tell apart */
        if (strcasecmp(m->filters[i].dimension, id) == 0 && m->filters[i].n_codes == 1)
            return 1;
    }
    for (size_t i = 0; i < m->n_measures; i++) {
        if (strcasecmp(measure_id(m, i), id) == 0)
            return 1;
    }
    return 0;
}

int sdmx_map_filter(const struct sdmx_map *m, sdmx_get_fn get, void *ctx, const char **missing)
{
    for (size_t i = 0; i < m->n_filters; i++) {
        const char *code = get(ctx, m->filters[i].dimension);
        size_t k = 0;
        if (!code) {
            *missing = m->filters[i].dimension;
            return -1;
        }
        while (k < m->filters[i].n_codes && strcmp(m->filters[i].codes[k], code) != 0)
            k++;
        if (k == m->filters[i].n_codes)
            return 0;
    }
    return 1;
}

/* Expands template t into out (SDMX_CODE_MAX + 1 bytes). Returns 0, or -1
 * with a problem. */
static int expand(const char *t, sdmx_get_fn get, void *ctx, const char *measure, char *out,
                  struct format_record *rec, struct format_scratch *s)
{
    size_t n = 0;

    for (const char *p = t; *p; p++) {
        const char *piece = p;
        size_t len = 1;
        if (*p == '{') {
            char id[128];
            const char *end = strchr(p, '}');
            size_t idlen = (size_t)(end - p - 1);
            if (idlen >= sizeof(id)) {
                format_problem(rec, s, "indicator: placeholder too long");
                return -1;
            }
            memcpy(id, p + 1, idlen);
            id[idlen] = '\0';
            piece = strcmp(id, "MEASURE") == 0 ? measure : get(ctx, id);
            if (!piece) {
                format_problem(rec, s, "indicator: no dimension \"%s\"", id);
                return -1;
            }
            len = strlen(piece);
            p = end;
        }
        if (n + len > SDMX_CODE_MAX) {
            format_problem(rec, s, "indicator: code longer than %d bytes", SDMX_CODE_MAX);
            return -1;
        }
        memcpy(out + n, piece, len);
        n += len;
    }
    out[n] = '\0';
    return 0;
}

/* Copies one component's code into out, or sets "what: no dimension". */
static int one_code(const char *dim, const char *constant, sdmx_get_fn get, void *ctx,
                    const char *what, char *out, struct format_record *rec,
                    struct format_scratch *s)
{
    const char *code = constant ? constant : get(ctx, dim);

    if (!code) {
        format_problem(rec, s, "%s: no dimension \"%s\"", what, dim);
        out[0] = '\0';
        return -1;
    }
    if (strlen(code) > SDMX_CODE_MAX) {
        format_problem(rec, s, "%s: code longer than %d bytes", what, SDMX_CODE_MAX);
        out[0] = '\0';
        return -1;
    }
    strcpy(out, code); // NOLINT(clang-analyzer-security.insecureAPI.strcpy): length checked
    return 0;
}

int sdmx_map_codes(const struct sdmx_map *m, sdmx_get_fn get, void *ctx, const char *measure,
                   char *unit, char *indicator, struct format_record *rec, struct format_scratch *s)
{
    int rc = one_code(m->unit_dim, m->unit_const, get, ctx, "unit", unit, rec, s);

    indicator[0] = '\0';
    if (m->ind_template) {
        if (expand(m->ind_template, get, ctx, measure, indicator, rec, s) == 0)
            return rc;
        indicator[0] = '\0';
        return -1;
    }
    return one_code(m->ind_dim, m->ind_const, get, ctx, "indicator", indicator, rec, s) < 0 ? -1
                                                                                            : rc;
}

int sdmx_freq_code(const char *code)
{
    if (!code)
        return 0;
    if (strcmp(code, "A") == 0 || strcmp(code, "Y") == 0)
        return PERIOD_YEAR;
    if (strcmp(code, "S") == 0 || strcmp(code, "A2") == 0)
        return PERIOD_HALF;
    if (strcmp(code, "Q") == 0)
        return PERIOD_QUARTER;
    if (strcmp(code, "M") == 0)
        return PERIOD_MONTH;
    return -1; /* D, W, B, H (hourly), N, and anything unknown */
}

void sdmx_record_period(const struct sdmx_map *m, struct format_record *rec,
                        struct format_scratch *s, const char *text, const char *freq_code)
{
    int f = sdmx_freq_code(freq_code);

    if (f < 0) {
        rec->period_raw = text ? text : "";
        rec->period_ok = 0;
        format_problem(rec, s, "frequency \"%.16s\" not supported (only A, S, Q, M)", freq_code);
        return;
    }
    format_record_period_freq(rec, s, text, f ? (enum period_freq)f : m->freq);
}

/* A small integer attribute code in lo..hi; returns 0 or -1. */
static int small_int(const char *text, int lo, int hi, int *out)
{
    char *end;
    long v = strtol(text, &end, 10);

    if (end == text || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

void sdmx_record_attrs(struct format_record *rec, struct format_scratch *s, const char *decimals,
                       const char *unit_mult)
{
    int d, u;

    if (!rec->value_ok)
        return;
    if (decimals && *decimals) {
        if (small_int(decimals, 0, 15, &d) < 0) {
            format_problem(rec, s, "DECIMALS \"%.16s\": expected 0 to 15", decimals);
            return;
        }
        double f = pow(10, d);
        double r = round(rec->value * f) / f;
        if (isfinite(r))
            rec->value = r;
    }
    if (unit_mult && *unit_mult) {
        if (small_int(unit_mult, -30, 30, &u) < 0) {
            format_problem(rec, s, "UNIT_MULT \"%.16s\": expected -30 to 30", unit_mult);
            return;
        }
        /* powers of ten up to 10^22 are exact doubles: one rounding, and
         * dividing keeps 1.5 with UNIT_MULT -1 at 0.15 */
        rec->value = u >= 0 ? rec->value * pow(10, u) : rec->value / pow(10, -u);
        if (!isfinite(rec->value)) {
            rec->value_ok = 0;
            format_problem(rec, s, "value times UNIT_MULT %d is not a finite number", u);
        }
    }
}

void sdmx_record_status(const struct sdmx_map *m, struct format_record *rec,
                        struct format_scratch *s, const char *code)
{
    format_record_status(rec, s, m->cm, code, code ? strlen(code) : 0);
}

int sdmx_action_parse(const char *text)
{
    static const char *const store[] = {"Replace", "Append", "Merge", "Information", NULL};

    if (!text || strcmp(text, "Delete") == 0)
        return text ? SDMX_ACTION_DELETE : -1;
    for (size_t i = 0; store[i]; i++) {
        if (strcmp(text, store[i]) == 0)
            return SDMX_ACTION_STORE;
    }
    return -1;
}

/* Attributes (in the SDMX sense) common enough to tell from dimensions when a
 * StructureSpecific message gives both as XML attributes of <Series>. */
int sdmx_known_attribute(const char *id)
{
    static const char *const ids[] = {
        "TITLE",
        "TITLE_COMPL",
        "DECIMALS",
        "UNIT_MULT",
        "UNIT",
        "COLLECTION",
        "TIME_FORMAT",
        "SOURCE_AGENCY",
        "OBS_STATUS",
        "OBS_CONF",
        "OBS_COM",
        "OBS_FLAG",
        "OBS_PRE_BREAK",
        "COMMENT",
        "COMMENT_OBS",
        "COMMENT_TS",
        "BREAKS",
        "COMPILATION",
        "COVERAGE",
        "AVAILABILITY",
        "CONF_STATUS",
        "CONF_STATUS_OBS",
        "COLL_METHOD",
        "TIME_PER_COLLECT",
        "DOM_SER_IDS",
        "PUBL_ECB",
        "PUBL_MU",
        "PUBL_PUBLIC",
        "UNIT_INDEX_BASE",
        "NAT_TITLE",
        "SOURCE_PUB",
        "EMBARGO_DATE",
        "BASE_PER",
        "LAST_UPDATE",
        "IDBANK",
        "DATASOURCE",
        "REF_PERIOD_DETAIL",
        "UNIT_MEASURE_DETAIL",
        "NOTE",
        "FOOTNOTE",
    };

    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        if (strcasecmp(ids[i], id) == 0)
            return 1;
    }
    return 0;
}

/* ---- The collapse check ---- */

/*
 * Each (unit, indicator) pair is kept as 24 bytes: a 64-bit hash of the pair,
 * one of the components its first record left out, and that record's
 * position. Two pairs or two texts that share a hash are taken as the same
 * (a chance of about n^2 / 2^65 in a payload of n pairs): at worst a good
 * record is noted as collapsed, which is refused loudly, never stored wrong.
 * The texts themselves are kept once each, up to SEEN_TEXTS of them, to name
 * the component that differs.
 */
struct seen_entry {
    uint64_t key;   /* 0: the slot is free */
    uint64_t comps; /* hash of the first one's unmapped components */
    long position;
};

struct seen_text {
    uint64_t hash; /* 0: the slot is free */
    char *text;
};

struct sdmx_seen {
    struct seen_entry *slot;
    size_t cap, n, max; /* cap a power of two */
    struct seen_text *texts;
    size_t tcap, tn;
    char refused[96]; /* why the payload has more pairs than max, or "" */
};

/* Pairs a payload may have by default; more is refused (bounded memory:
 * 8 M slots of 24 bytes at the most). */
#define SEEN_MAX ((size_t)1 << 22)
/* Distinct components texts kept to be named. */
#define SEEN_TEXTS ((size_t)4096)

struct sdmx_seen *sdmx_seen_new(size_t max_pairs)
{
    struct sdmx_seen *t = calloc(1, sizeof(struct sdmx_seen));

    if (t)
        t->max = max_pairs ? max_pairs : SEEN_MAX;
    return t;
}

void sdmx_seen_free(struct sdmx_seen *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->tcap; i++)
        free(t->texts[i].text);
    free(t->texts);
    free(t->slot);
    free(t);
}

/* FNV-1a over a, a 0x1f byte and b (b may be NULL), then mixed (MurmurHash3's
 * finalizer) so that the low bits index the tables; never 0. */
static uint64_t seen_hash(const char *a, const char *b)
{
    uint64_t h = 1469598103934665603ULL;

    for (const char *p = a; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    if (b) {
        h = (h ^ 0x1f) * 1099511628211ULL;
        for (const char *p = b; *p; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h ? h : 1;
}

static int seen_grow(struct sdmx_seen *t)
{
    size_t cap = t->cap ? t->cap * 2 : 64;
    struct seen_entry *slot = calloc(cap, sizeof(*slot));

    if (!slot)
        return -ENOMEM;
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->slot[i].key)
            continue;
        size_t k = (size_t)t->slot[i].key & (cap - 1);
        while (slot[k].key)
            k = (k + 1) & (cap - 1);
        slot[k] = t->slot[i];
    }
    free(t->slot);
    t->slot = slot;
    t->cap = cap;
    return 0;
}

/* The text of hash h if kept, else NULL. */
static const char *text_of(const struct sdmx_seen *t, uint64_t h)
{
    if (!t->tcap)
        return NULL;
    for (size_t k = (size_t)h & (t->tcap - 1); t->texts[k].hash; k = (k + 1) & (t->tcap - 1)) {
        if (t->texts[k].hash == h)
            return t->texts[k].text;
    }
    return NULL;
}

/* Keeps text (hash h) to be named later, while fewer than SEEN_TEXTS are
 * kept; 0, or -ENOMEM. */
static int text_keep(struct sdmx_seen *t, uint64_t h, const char *text)
{
    size_t k;

    if (t->tn >= SEEN_TEXTS || text_of(t, h))
        return 0;
    if (!t->tcap) {
        if (!(t->texts = calloc(2 * SEEN_TEXTS, sizeof(*t->texts))))
            return -ENOMEM;
        t->tcap = 2 * SEEN_TEXTS;
    }
    for (k = (size_t)h & (t->tcap - 1); t->texts[k].hash; k = (k + 1) & (t->tcap - 1))
        ;
    if (!(t->texts[k].text = strdup(text)))
        return -ENOMEM;
    t->texts[k].hash = h;
    t->tn++;
    return 0;
}

/* The code of id in a components text ("ID=CODE\x1f..."), as a pointer and
 * length, or NULL. */
static const char *comp_code(const char *comps, const char *id, size_t *len)
{
    size_t n = strlen(id);

    for (const char *p = comps; p && *p;) {
        const char *end = strchr(p, '\x1f');
        size_t plen = end ? (size_t)(end - p) : strlen(p);
        if (plen > n && strncmp(p, id, n) == 0 && p[n] == '=') {
            *len = plen - n - 1;
            return p + n + 1;
        }
        p = end ? end + 1 : NULL;
    }
    return NULL;
}

/* Writes the first component whose code differs between a and b. */
static void describe(const char *a, const char *b, long position, char *note, size_t size)
{
    /* walk both texts' ids: b first (this record), then the ones only a has */
    for (int pass = 0; pass < 2; pass++) {
        const char *walk = pass == 0 ? b : a, *other = pass == 0 ? a : b;
        for (const char *p = walk; p && *p;) {
            const char *end = strchr(p, '\x1f'), *eq = strchr(p, '=');
            size_t plen = end ? (size_t)(end - p) : strlen(p);
            char id[128];
            size_t idlen = eq && (size_t)(eq - p) < plen ? (size_t)(eq - p) : plen;
            size_t olen = 0;
            const char *oc;
            snprintf(id, sizeof(id), "%.*s", (int)idlen, p);
            oc = comp_code(other, id, &olen);
            const char *mine = p + idlen + (idlen < plen);
            size_t mlen = plen - idlen - (idlen < plen);
            if (!oc || olen != mlen || memcmp(oc, mine, mlen) != 0) {
                const char *first = pass == 0 ? oc : mine, *here = pass == 0 ? mine : oc;
                size_t flen = pass == 0 ? olen : mlen, hlen = pass == 0 ? mlen : olen;
                snprintf(note, size, "%s (\"%.*s\" at record %ld, \"%.*s\" here)", id,
                         first ? (int)(flen > 40 ? 40 : flen) : 0, first ? first : "", position,
                         here ? (int)(hlen > 40 ? 40 : hlen) : 0, here ? here : "");
                return;
            }
            p = end ? end + 1 : NULL;
        }
    }
    snprintf(note, size, "(components in another order than at record %ld)", position);
}

/* The slot of key: its entry, or the free slot where it goes. */
static struct seen_entry *seen_slot(const struct sdmx_seen *t, uint64_t key)
{
    size_t k = (size_t)key & (t->cap - 1);

    while (t->slot[k].key && t->slot[k].key != key)
        k = (k + 1) & (t->cap - 1);
    return &t->slot[k];
}

const char *sdmx_seen_refused(const struct sdmx_seen *t)
{
    return t && t->refused[0] ? t->refused : NULL;
}

int sdmx_seen_check(struct sdmx_seen *t, const char *unit, const char *indicator, const char *comps,
                    long position, char *note, size_t size)
{
    uint64_t key = seen_hash(unit, indicator), ch = seen_hash(comps, NULL);
    struct seen_entry *e;

    if (!t->cap && seen_grow(t) < 0)
        return -ENOMEM;
    e = seen_slot(t, key);
    if (e->key) {
        const char *first;
        if (e->comps == ch)
            return 0;
        if ((first = text_of(t, e->comps)))
            describe(first, comps, e->position, note, size);
        else
            snprintf(note, size, "(components other than at record %ld)", e->position);
        return 1;
    }
    if (t->n >= t->max) {
        snprintf(t->refused, sizeof(t->refused),
                 "more than %zu (unit, indicator) pairs in one payload", t->max);
        snprintf(note, size, "%s", t->refused);
        return -EOVERFLOW;
    }
    if (t->n + 1 > t->cap / 2) {
        if (seen_grow(t) < 0)
            return -ENOMEM;
        e = seen_slot(t, key);
    }
    if (text_keep(t, ch, comps) < 0)
        return -ENOMEM;
    *e = (struct seen_entry){key, ch, position};
    t->n++;
    return 0;
}
