/*
 * config_json.c - the config loader's tools: the problem list, ownership of
 * allocations, json.path building, typed getters that read one member and
 * say exactly what is wrong with it, unknown-key detection, and the sorted
 * index arrays behind the O(log n) look-ups.
 */
#include "config/config_priv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"

static void append_line(struct cfg_ctx *ctx, const char *line)
{
    size_t len = strlen(line);

    if (BUF_GROW(&ctx->errors, &ctx->err_cap, ctx->err_len + len + 2, BUF_UNCAPPED) < 0) {
        ctx->oom = 1;
        return;
    }
    memcpy(ctx->errors + ctx->err_len, line, len);
    ctx->err_len += len;
    ctx->errors[ctx->err_len++] = '\n';
    ctx->errors[ctx->err_len] = '\0';
}

void cfg_error(struct cfg_ctx *ctx, const char *path, const char *fmt, ...)
{
    char line[1024];
    int n;
    va_list ap;

    if (++ctx->n_errors > CFG_MAX_ERRORS)
        return; /* counted; config_load_buffer() adds "N more problems" */
    /* no name (config_mapping_parse()): the path alone */
    n = ctx->name[0]
            ? snprintf(line, sizeof(line), "%s: %s: ", ctx->name, path[0] ? path : "top level")
            : snprintf(line, sizeof(line), "%s: ", path[0] ? path : "top level");
    if (n < 0 || (size_t)n >= sizeof(line))
        n = 0;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    append_line(ctx, line);
}

void cfg_syntax_error(struct cfg_ctx *ctx, int line, int column, const char *text)
{
    char buf[1024];

    ctx->n_errors++;
    snprintf(buf, sizeof(buf), "%s:%d:%d: %s", ctx->name, line, column, text);
    append_line(ctx, buf);
}

void *cfg_keep(struct cfg_ctx *ctx, void *p)
{
    struct config *cfg = ctx->cfg;

    if (!p) {
        ctx->oom = 1;
        return NULL;
    }
    if (BUF_GROW(&cfg->owned, &cfg->cap_owned, cfg->n_owned + 1, BUF_UNCAPPED) < 0) {
        free(p);
        ctx->oom = 1;
        return NULL;
    }
    cfg->owned[cfg->n_owned++] = p;
    return p;
}

void *cfg_calloc(struct cfg_ctx *ctx, size_t n, size_t size)
{
    return cfg_keep(ctx, calloc(n ? n : 1, size));
}

/* Appends len bytes of s to the path in buf (n bytes so far), cut at
 * CFG_PATH_SIZE - 1 bytes as snprintf() would cut it. */
static void path_put(char *buf, size_t *n, const char *s, size_t len)
{
    size_t room = CFG_PATH_SIZE - 1 - *n;
    if (len > room)
        len = room;
    memcpy(buf + *n, s, len);
    *n += len;
}

/* The paths are built for every key and element read (a national config:
 * millions), so without snprintf(). */
void cfg_path_key(char *buf, const char *base, const char *key)
{
    /* A path longer than CFG_PATH_SIZE is cut; the message stays readable. */
    size_t n = 0;
    path_put(buf, &n, base, strlen(base));
    if (base[0])
        path_put(buf, &n, ".", 1);
    path_put(buf, &n, key, strlen(key));
    buf[n] = '\0';
}

void cfg_path_index(char *buf, const char *base, size_t i)
{
    char digits[24];
    size_t nd = sizeof(digits), n = 0;
    digits[--nd] = ']';
    do {
        digits[--nd] = (char)('0' + i % 10);
        i /= 10;
    } while (i);
    digits[--nd] = '[';
    path_put(buf, &n, base, strlen(base));
    path_put(buf, &n, digits + nd, sizeof(digits) - nd);
    buf[n] = '\0';
}

/* Levenshtein distance, capped: enough to suggest "frequency" for "frequncy". */
size_t cfg_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[33];

    if (la > 32 || lb > 32)
        return 99;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* 1 when a is closer to s than b (b NULL: any a within reach is closer).
 * Within reach: equal but for case, or at most 2 edits and fewer than a has
 * characters (so "x" suggests no "Y"). */
static int closer(const char *s, const char *a, const char *b, size_t *best)
{
    size_t d = strcasecmp(s, a) == 0 ? 0 : cfg_edit_distance(s, a);

    if (d > 2 || d >= strlen(a) + (d == 0) || (b && d >= *best))
        return 0;
    *best = d;
    return 1;
}

const char *cfg_nearest(const char *s, const char *const *names)
{
    const char *near = NULL;
    size_t best = 99;

    for (size_t i = 0; names[i]; i++)
        if (closer(s, names[i], near, &best))
            near = names[i];
    return near;
}

const char *cfg_nearest_in(const char *s, const void *records, size_t n, size_t stride,
                           size_t key_off)
{
    const char *near = NULL;
    size_t best = 99;

    for (size_t i = 0; i < n; i++) {
        const char *const *k = (const void *)((const char *)records + i * stride + key_off);
        if (*k && closer(s, *k, near, &best))
            near = *k;
    }
    return near;
}

void cfg_check_keys(struct cfg_ctx *ctx, json_t *obj, const char *path, const char *const *allowed)
{
    const char *key;
    json_t *v;

    json_object_foreach(obj, key, v)
    {
        const char *near;
        int known = 0;
        for (size_t i = 0; allowed[i] && !known; i++)
            known = strcmp(key, allowed[i]) == 0;
        if (known)
            continue;
        near = cfg_nearest(key, allowed); /* only unknown keys get a suggestion */
        if (near)
            cfg_error(ctx, path, "unknown key \"%s\" (did you mean \"%s\"?)", key, near);
        else
            cfg_error(ctx, path, "unknown key \"%s\"", key);
    }
}

/* Fetches member key, reporting "required" when absent and required. */
static json_t *member(struct cfg_ctx *ctx, json_t *obj, const char *path, const char *key,
                      int required)
{
    json_t *v = json_object_get(obj, key);

    if (!v && required) {
        char p[CFG_PATH_SIZE];
        cfg_path_key(p, path, key);
        cfg_error(ctx, p, "required");
    }
    return v;
}

static int wrong(struct cfg_ctx *ctx, const char *path, const char *key, const char *what)
{
    char p[CFG_PATH_SIZE];

    cfg_path_key(p, path, key);
    cfg_error(ctx, p, "%s", what);
    return -1;
}

int cfg_get_string(struct cfg_ctx *ctx, json_t *obj, const char *path, const char *key,
                   int required, const char **out)
{
    json_t *v = member(ctx, obj, path, key, required);

    if (!v)
        return 0;
    if (!json_is_string(v))
        return wrong(ctx, path, key, "expected string");
    if (strlen(json_string_value(v)) != json_string_length(v))
        return wrong(ctx, path, key, "must not contain NUL characters");
    *out = json_string_value(v);
    return 1;
}

int cfg_get_int(struct cfg_ctx *ctx, json_t *obj, const char *path, const char *key, int required,
                long min, long max, long *out)
{
    json_t *v = member(ctx, obj, path, key, required);
    char msg[96];

    if (!v)
        return 0;
    if (!json_is_integer(v))
        return wrong(ctx, path, key, "expected integer");
    if (json_integer_value(v) < min || json_integer_value(v) > max) {
        snprintf(msg, sizeof(msg), "must be between %ld and %ld", min, max);
        return wrong(ctx, path, key, msg);
    }
    *out = (long)json_integer_value(v);
    return 1;
}

int cfg_get_number(struct cfg_ctx *ctx, json_t *obj, const char *path, const char *key,
                   int required, double *out)
{
    json_t *v = member(ctx, obj, path, key, required);

    if (!v)
        return 0;
    if (!json_is_number(v))
        return wrong(ctx, path, key, "expected number");
    *out = json_number_value(v);
    return 1;
}

int cfg_get_bool(struct cfg_ctx *ctx, json_t *obj, const char *path, const char *key, int required,
                 int *out)
{
    json_t *v = member(ctx, obj, path, key, required);

    if (!v)
        return 0;
    if (!json_is_boolean(v))
        return wrong(ctx, path, key, "expected true or false");
    *out = json_is_true(v);
    return 1;
}

int cfg_get_freq(struct cfg_ctx *ctx, json_t *obj, const char *path, const char *key, int required,
                 enum period_freq *out)
{
    static const char *const names[] = {"Y", "H", "Q", "M", NULL};
    static const enum period_freq freqs[] = {PERIOD_YEAR, PERIOD_HALF, PERIOD_QUARTER,
                                             PERIOD_MONTH};
    const char *s;
    int r = cfg_get_string(ctx, obj, path, key, required, &s);

    if (r <= 0)
        return r;
    for (size_t i = 0; names[i]; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = freqs[i];
            return 1;
        }
    }
    char p[CFG_PATH_SIZE];
    cfg_path_key(p, path, key);
    if (cfg_nearest(s, names))
        cfg_error(ctx, p, "bad frequency \"%.40s\" (did you mean \"%s\"? expected M, Q, H or Y)", s,
                  cfg_nearest(s, names));
    else
        cfg_error(ctx, p, "bad frequency \"%.40s\" (expected M, Q, H or Y)", s);
    return -1;
}

int cfg_get_period(struct cfg_ctx *ctx, json_t *obj, const char *path, const char *key,
                   int required, struct period *out)
{
    const char *s;
    int r = cfg_get_string(ctx, obj, path, key, required, &s);

    if (r <= 0)
        return r;
    if (period_parse_str(out, s) == 0)
        return 1;
    char p[CFG_PATH_SIZE];
    cfg_path_key(p, path, key);
    cfg_error(ctx, p, "bad period \"%s\" (expected 2023, 2023-H1, 2023-Q3 or 2023-07)", s);
    return -1;
}

int cfg_get_enum(struct cfg_ctx *ctx, json_t *obj, const char *path, const char *key, int required,
                 const char *const *names, int *out)
{
    char p[CFG_PATH_SIZE], list[256] = "";
    const char *s;
    size_t n = 0, used = 0;
    int r = cfg_get_string(ctx, obj, path, key, required, &s);

    if (r <= 0)
        return r;
    for (; names[n]; n++) {
        if (strcmp(s, names[n]) == 0) {
            *out = (int)n;
            return 1;
        }
    }
    for (size_t i = 0; i < n && used < sizeof(list); i++) {
        const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
        int w = snprintf(list + used, sizeof(list) - used, "%s%s", sep, names[i]);
        used += w > 0 ? (size_t)w : 0;
    }
    cfg_path_key(p, path, key);
    if (cfg_nearest(s, names))
        cfg_error(ctx, p, "bad %s \"%.80s\" (did you mean \"%s\"? expected %s)", key, s,
                  cfg_nearest(s, names), list);
    else
        cfg_error(ctx, p, "bad %s \"%.80s\" (expected %s)", key, s, list);
    return -1;
}

int cfg_valid_id(const char *s)
{
    size_t n = strlen(s);

    return n >= 1 && n <= 64 &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

int cfg_get_id(struct cfg_ctx *ctx, json_t *obj, const char *path, const char *key, int required,
               const char **out)
{
    char p[CFG_PATH_SIZE];
    const char *s;
    int r = cfg_get_string(ctx, obj, path, key, required, &s);

    if (r <= 0)
        return r;
    if (cfg_valid_id(s)) {
        *out = s;
        return 1;
    }
    cfg_path_key(p, path, key);
    cfg_error(ctx, p, "bad id \"%.80s\" (1 to 64 of A-Z a-z 0-9 _ . -)", s);
    return -1;
}

int cfg_get_array(struct cfg_ctx *ctx, json_t *obj, const char *path, const char *key, int required,
                  json_t **out)
{
    json_t *v = member(ctx, obj, path, key, required);

    if (!v)
        return 0;
    if (!json_is_array(v))
        return wrong(ctx, path, key, "expected array");
    *out = v;
    return 1;
}

int cfg_get_object(struct cfg_ctx *ctx, json_t *obj, const char *path, const char *key,
                   int required, json_t **out)
{
    json_t *v = member(ctx, obj, path, key, required);

    if (!v)
        return 0;
    if (!json_is_object(v))
        return wrong(ctx, path, key, "expected object");
    *out = v;
    return 1;
}

const char *cfg_dump(struct cfg_ctx *ctx, json_t *v)
{
    return cfg_keep(ctx, json_dumps(v, JSON_COMPACT));
}

struct sort_item {
    const char *key;
    size_t pos;
};

uint32_t cfg_hash(const char *key, size_t len)
{
    uint32_t h = 2166136261u; /* FNV-1a */

    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)key[i]) * 16777619u;
    return h;
}

size_t cfg_hash_slots(size_t n)
{
    size_t nslot = 16;

    while (nslot < 2 * n)
        nslot *= 2;
    return nslot;
}

static const char *key_at(const void *records, size_t stride, size_t key_off, size_t i);

/* A slot of the table: 0, or 1 + the record's position, and where its key
 * is in the table's own copy of the keys (small and together, so that a
 * look-up reads no cold record). */
struct cfg_slot {
    uint32_t pos1, off;
};

/* The table after order[0..n): order[n] = nslot, the slots, the keys. */
static struct cfg_slot *hash_slots(const size_t *order, size_t n)
{
    return (struct cfg_slot *)(order + n + 1);
}

/* Bytes of the keys of n records, each with its NUL. */
static size_t keys_size(const void *records, size_t n, size_t stride, size_t key_off)
{
    size_t size = 0;

    for (size_t i = 0; i < n; i++)
        size += strlen(key_at(records, stride, key_off, i)) + 1;
    return size;
}

/* Puts every record into the open-addressing table after order[0..n)
 * (linear probing, at most half full); of equal keys the first in sorted
 * order is found, as the duplicates are reported anyway. */
static void hash_fill(size_t *order, size_t n, size_t nslot, const void *records, size_t stride,
                      size_t key_off)
{
    struct cfg_slot *slot = hash_slots(order, n);
    char *keys = (char *)(slot + nslot);
    size_t used = 0;

    order[n] = nslot;
    for (size_t i = 0; i < n; i++) {
        const char *key = key_at(records, stride, key_off, order[i]);
        size_t len = strlen(key), at = cfg_hash(key, len) & (nslot - 1);
        int dup = 0;

        for (; slot[at].pos1; at = (at + 1) & (nslot - 1))
            dup |= strcmp(keys + slot[at].off, key) == 0;
        if (dup)
            continue;
        memcpy(keys + used, key, len + 1);
        slot[at] = (struct cfg_slot){(uint32_t)order[i] + 1, (uint32_t)used};
        used += len + 1;
    }
}

static int sort_item_cmp(const void *a, const void *b)
{
    const struct sort_item *x = a, *y = b;
    int c = strcmp(x->key, y->key);

    if (c != 0)
        return c;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static const char *key_at(const void *records, size_t stride, size_t key_off, size_t i)
{
    const char *const *k = (const void *)((const char *)records + i * stride + key_off);
    return *k ? *k : "";
}

size_t *cfg_sort_unique(struct cfg_ctx *ctx, const void *records, size_t n, size_t stride,
                        size_t key_off, const char *what, const char *field)
{
    struct sort_item *items = calloc(n ? n : 1, sizeof(*items));
    size_t nslot = cfg_hash_slots(n);
    /* order[0..n), then nslot, the hash table's slots and keys (cfg_find()) */
    size_t *order = cfg_calloc(ctx, 1,
                               (n + 1) * sizeof(*order) + nslot * sizeof(struct cfg_slot) +
                                   keys_size(records, n, stride, key_off));
    char p[CFG_PATH_SIZE], q[CFG_PATH_SIZE];

    if (!items || !order) {
        ctx->oom = 1;
        free(items);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        items[i] = (struct sort_item){key_at(records, stride, key_off, i), i};
    qsort(items, n, sizeof(*items), sort_item_cmp);
    for (size_t i = 0, first = 0; i < n; i++) {
        order[i] = items[i].pos;
        if (i == 0 || strcmp(items[i].key, items[first].key) != 0) {
            first = i;
            continue;
        }
        if (items[i].key[0] == '\0')
            continue; /* a missing or bad id, reported already */
        cfg_path_index(q, what, items[i].pos);
        cfg_path_key(p, q, field);
        cfg_path_index(q, what, items[first].pos);
        cfg_error(ctx, p, "duplicate %s \"%s\" (first at %s)", field, items[i].key, q);
    }
    free(items);
    hash_fill(order, n, nslot, records, stride, key_off);
    return order;
}

long cfg_find(const void *records, const size_t *order, size_t n, size_t stride, size_t key_off,
              const char *key, size_t len)
{
    const struct cfg_slot *slot;
    const char *keys;
    size_t nslot;

    (void)records; /* the table holds its own copy of the keys */
    (void)stride;
    (void)key_off;
    /* No record's key holds a NUL: a key with one is none of them (and
     * strncmp() below then compares all of key's len bytes). */
    if (!order || !key || n == 0 || memchr(key, '\0', len))
        return -1;
    nslot = order[n];
    slot = hash_slots(order, n);
    keys = (const char *)(slot + nslot);
    for (size_t at = cfg_hash(key, len) & (nslot - 1); slot[at].pos1; at = (at + 1) & (nslot - 1)) {
        const char *k = keys + slot[at].off;
        if (strncmp(k, key, len) == 0 && k[len] == '\0')
            return (long)slot[at].pos1 - 1;
    }
    return -1;
}
