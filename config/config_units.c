/*
 * config_units.c - the units[] section: ids, names, attributes, and the
 * hierarchy (parents resolved to indices, depths computed, cycles reported
 * with the loop spelled out).
 */
#include "config/config_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const unit_keys[] = {"id", "name", "parent", "attributes", NULL};

static void load_attrs(struct cfg_ctx *ctx, json_t *obj, const char *path, struct config_unit *u)
{
    char p[CFG_PATH_SIZE];
    struct config_attr *attrs;
    const char *key, *value;
    json_t *map, *v;
    size_t n = 0;

    if (cfg_get_object(ctx, obj, path, "attributes", 0, &map) <= 0)
        return;
    cfg_path_key(p, path, "attributes");
    attrs = cfg_calloc(ctx, json_object_size(map), sizeof(*attrs));
    if (!attrs)
        return;
    json_object_foreach(map, key, v)
    {
        if (cfg_get_string(ctx, map, p, key, 1, &value) > 0)
            attrs[n++] = (struct config_attr){key, value};
    }
    u->attrs = attrs;
    u->n_attrs = n;
}

static void load_unit(struct cfg_ctx *ctx, json_t *obj, const char *path, struct config_unit *u)
{
    char p[CFG_PATH_SIZE];

    u->id = "";
    u->parent_index = -1;
    if (!json_is_object(obj)) {
        cfg_error(ctx, path, "expected object");
        return;
    }
    cfg_check_keys(ctx, obj, path, unit_keys);
    cfg_get_id(ctx, obj, path, "id", 1, &u->id);
    if (cfg_get_string(ctx, obj, path, "name", 1, &u->name) > 0 && u->name[0] == '\0') {
        cfg_path_key(p, path, "name");
        cfg_error(ctx, p, "must not be empty");
    }
    cfg_get_string(ctx, obj, path, "parent", 0, &u->parent);
    load_attrs(ctx, obj, path, u);
}

static void resolve_parents(struct cfg_ctx *ctx)
{
    struct config *cfg = ctx->cfg;
    char p[CFG_PATH_SIZE], q[CFG_PATH_SIZE];

    for (size_t i = 0; i < cfg->n_units; i++) {
        struct config_unit *u = &cfg->units[i];
        if (!u->parent)
            continue;
        cfg_path_index(q, "units", i);
        cfg_path_key(p, q, "parent");
        if (strcmp(u->parent, u->id) == 0) {
            cfg_error(ctx, p, "a unit cannot be its own parent");
            continue;
        }
        u->parent_index = config_unit_find(cfg, u->parent, strlen(u->parent));
        if (u->parent_index < 0)
            cfg_error(ctx, p, "unknown parent \"%.80s\"", u->parent);
    }
}

/* Reports the loop chain[from..n-1], starting at its first unit in file order. */
static void report_cycle(struct cfg_ctx *ctx, const size_t *chain, size_t from, size_t n)
{
    const struct config_unit *units = ctx->cfg->units;
    char text[512], p[CFG_PATH_SIZE], q[CFG_PATH_SIZE];
    size_t start = from, used = 0;

    for (size_t k = from; k < n; k++) {
        if (chain[k] < chain[start])
            start = k;
    }
    for (size_t k = 0; k <= n - from && used < sizeof(text); k++) {
        size_t idx = chain[from + (start - from + k) % (n - from)];
        int w = snprintf(text + used, sizeof(text) - used, "%s%s", k ? " -> " : "", units[idx].id);
        used += w > 0 ? (size_t)w : 0;
    }
    cfg_path_index(q, "units", chain[start]);
    cfg_path_key(p, q, "parent");
    cfg_error(ctx, p, "cycle in unit hierarchy: %s", text);
}

/* Walks up from unit i until a root, a finished unit or a loop; sets depths. */
static void walk_up(struct cfg_ctx *ctx, size_t i, char *state, size_t *chain)
{
    struct config_unit *units = ctx->cfg->units;
    size_t n = 0, loop_at;
    long j = (long)i;
    int depth;

    while (j >= 0 && state[j] == 0) {
        state[j] = 1;
        chain[n++] = (size_t)j;
        j = units[j].parent_index;
    }
    loop_at = n;
    depth = j < 0 ? -1 : units[j].depth;
    if (j >= 0 && state[j] == 1) {
        for (loop_at = 0; chain[loop_at] != (size_t)j; loop_at++)
            ;
        report_cycle(ctx, chain, loop_at, n);
        for (size_t k = loop_at; k < n; k++)
            units[chain[k]].depth = 0;
        depth = 0;
    }
    for (size_t k = loop_at; k-- > 0;)
        units[chain[k]].depth = ++depth;
    for (size_t k = 0; k < n; k++)
        state[chain[k]] = 2;
}

static void compute_depths(struct cfg_ctx *ctx)
{
    size_t n = ctx->cfg->n_units;
    char *state = calloc(n, 1);
    size_t *chain = calloc(n, sizeof(*chain));

    if (!state || !chain) {
        ctx->oom = 1;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (state[i] == 0)
            walk_up(ctx, i, state, chain);
    }
out:
    free(state);
    free(chain);
}

/* A copy of s in the config's string arena (blocks of 64 KiB kept by the
 * config); NULL stays NULL. */
static const char *keep_string(struct cfg_ctx *ctx, const char *s)
{
    size_t n = s ? strlen(s) + 1 : 0;
    char *p;

    if (!s)
        return NULL;
    if (n > ctx->arena_left) {
        size_t block = n > 65536 ? n : 65536;
        if (!(ctx->arena = cfg_keep(ctx, malloc(block))))
            return "";
        ctx->arena_left = block;
    }
    p = ctx->arena;
    memcpy(p, s, n);
    ctx->arena += n;
    ctx->arena_left -= n;
    return p;
}

static int load_element(json_t *el, size_t i, void *arg);

/* Room for unit i in the config's units (grown by doubling); 0 or -1 when
 * out of memory. */
static int grow_units(struct cfg_ctx *ctx, size_t i)
{
    struct config *cfg = ctx->cfg;

    if (i == ctx->units_cap) {
        size_t cap = ctx->units_cap ? 2 * ctx->units_cap : 1024;
        struct config_unit *u = realloc(cfg->units, cap * sizeof(*u));
        if (!u) {
            ctx->oom = 1;
            return -1;
        }
        cfg->units = u;
        ctx->units_cap = cap;
    }
    return 0;
}

static size_t skip_blanks(const char *t, size_t end, size_t at)
{
    while (at < end && (t[at] == ' ' || t[at] == '\t' || t[at] == '\n' || t[at] == '\r'))
        at++;
    return at;
}

/* A JSON string at t[at] of printable ASCII without escapes: its bytes are
 * t[*s .. *s + *n); returns the position after it, or 0 when the text there
 * is anything else. */
static size_t plain_string(const char *t, size_t end, size_t at, size_t *s, size_t *n)
{
    size_t i = at + 1;

    if (at >= end || t[at] != '"')
        return 0;
    while (i < end && t[i] != '"') {
        unsigned char c = (unsigned char)t[i];
        if (c < 0x20 || c > 0x7e || c == '\\')
            return 0;
        i++;
    }
    if (i >= end)
        return 0;
    *s = at + 1;
    *n = i - at - 1;
    return i + 1;
}

/* A copy of t[s .. s + n) in the config's string arena (keep_string). */
static const char *keep_bytes(struct cfg_ctx *ctx, const char *t, size_t s, size_t n)
{
    char *p;

    if (n + 1 > ctx->arena_left) {
        size_t block = n + 1 > 65536 ? n + 1 : 65536;
        if (!(ctx->arena = cfg_keep(ctx, malloc(block))))
            return "";
        ctx->arena_left = block;
    }
    p = ctx->arena;
    memcpy(p, t + s, n);
    p[n] = '\0';
    ctx->arena += n + 1;
    ctx->arena_left -= n + 1;
    return p;
}

/*
 * Unit i from the element at t[at] without jansson when it is the plain
 * form {"id": ..., "name": ..., "parent": ...} (parent optional, any order)
 * with a valid id, a name that is not empty and strings of printable ASCII
 * without escapes: what load_element() would keep of it, and no problem to
 * report. Returns the position after the element, or 0 for anything else
 * (the element then goes through jansson and load_unit(), which report).
 */
static size_t plain_unit(struct cfg_ctx *ctx, const char *t, size_t end, size_t at, size_t i)
{
    size_t ks, kn, vs[3], vn[3];
    int have[3] = {0, 0, 0};
    char id[65];

    if (at >= end || t[at] != '{')
        return 0;
    at = skip_blanks(t, end, at + 1);
    for (;;) {
        int k;
        if (!(at = plain_string(t, end, at, &ks, &kn)))
            return 0;
        k = kn == 2 && !memcmp(t + ks, "id", 2)       ? 0
            : kn == 4 && !memcmp(t + ks, "name", 4)   ? 1
            : kn == 6 && !memcmp(t + ks, "parent", 6) ? 2
                                                      : -1;
        if (k < 0 || have[k])
            return 0; /* another key, or a key twice */
        at = skip_blanks(t, end, at);
        if (at >= end || t[at] != ':')
            return 0;
        at = skip_blanks(t, end, at + 1);
        if (!(at = plain_string(t, end, at, &vs[k], &vn[k])))
            return 0;
        have[k] = 1;
        at = skip_blanks(t, end, at);
        if (at < end && t[at] == '}')
            break;
        if (at >= end || t[at] != ',')
            return 0;
        at = skip_blanks(t, end, at + 1);
    }
    if (!have[0] || !have[1] || vn[1] == 0 || vn[0] >= sizeof(id))
        return 0;
    memcpy(id, t + vs[0], vn[0]);
    id[vn[0]] = '\0';
    if (!cfg_valid_id(id) || grow_units(ctx, i) < 0)
        return 0;
    struct config_unit *u = &ctx->cfg->units[i];
    memset(u, 0, sizeof(*u));
    u->parent_index = -1;
    u->id = keep_bytes(ctx, t, vs[0], vn[0]);
    u->name = keep_bytes(ctx, t, vs[1], vn[1]);
    u->parent = have[2] ? keep_bytes(ctx, t, vs[2], vn[2]) : NULL;
    return at + 1;
}

long cfg_units_text_each(const char *t, size_t start, size_t end,
                         int (*each)(json_t *el, size_t i, void *arg), void *arg)
{
    size_t at = start + 1, n = 0;

    end--; /* the ']' */
    for (;;) {
        json_error_t jerr;
        json_t *el;
        at = skip_blanks(t, end, at);
        if (n > 0 && at < end) {
            if (t[at] != ',')
                return -1;
            at = skip_blanks(t, end, at + 1);
            if (at >= end)
                return -1; /* a ',' before the ']' */
        }
        if (at >= end)
            return (long)n;
        if (each == load_element) {
            size_t next = plain_unit(arg, t, end, at, n);
            if (((struct cfg_ctx *)arg)->oom)
                return -1;
            if (next) {
                at = next;
                n++;
                continue;
            }
        }
        el = json_loadb(t + at, end - at, JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, &jerr);
        if (!el)
            return -1;
        int rc = each ? each(el, n, arg) : 0;
        json_decref(el);
        if (rc < 0)
            return -1;
        n++;
        at += jerr.position;
    }
}

/* Loads element i into the config's units (grown as needed), copying its
 * strings into the arena. 0 or -1 when out of memory. */
static int load_element(json_t *el, size_t i, void *arg)
{
    struct cfg_ctx *ctx = arg;
    struct config *cfg = ctx->cfg;
    char p[CFG_PATH_SIZE];

    if (grow_units(ctx, i) < 0)
        return -1;
    struct config_unit *u = &cfg->units[i];
    memset(u, 0, sizeof(*u));
    cfg_path_index(p, "units", i);
    load_unit(ctx, el, p, u);
    u->id = keep_string(ctx, u->id);
    u->name = keep_string(ctx, u->name);
    u->parent = keep_string(ctx, u->parent);
    for (size_t k = 0; k < u->n_attrs; k++) {
        struct config_attr *a = (struct config_attr *)&u->attrs[k];
        a->key = keep_string(ctx, a->key);
        a->value = keep_string(ctx, a->value);
    }
    return 0;
}

void cfg_load_units(struct cfg_ctx *ctx, json_t *root)
{
    struct config *cfg = ctx->cfg;
    char p[CFG_PATH_SIZE];
    json_t *arr;
    size_t n;

    if (ctx->units_text) {
        long got = cfg_units_text_each(ctx->units_text, ctx->units_start, ctx->units_end,
                                       load_element, ctx);
        /* the array is kept with the config like any other allocation */
        if (cfg->units && !cfg_keep(ctx, cfg->units))
            cfg->units = NULL;
        if (got < 0 && !ctx->oom) {
            ctx->units_bad = 1; /* not JSON: the whole text is parsed again */
            return;
        }
        if (got == 0)
            cfg_error(ctx, "units", "must list at least one unit");
        if (got <= 0 || !cfg->units)
            return;
        n = (size_t)got;
        cfg->n_units = n;
        goto loaded;
    }
    if (cfg_get_array(ctx, root, "", "units", 1, &arr) <= 0)
        return;
    n = json_array_size(arr);
    if (n == 0) {
        cfg_error(ctx, "units", "must list at least one unit");
        return;
    }
    cfg->units = cfg_calloc(ctx, n, sizeof(*cfg->units));
    if (!cfg->units)
        return;
    cfg->n_units = n;
    for (size_t i = 0; i < n; i++) {
        cfg_path_index(p, "units", i);
        load_unit(ctx, json_array_get(arr, i), p, &cfg->units[i]);
    }
loaded:
    cfg->unit_order = cfg_sort_unique(ctx, cfg->units, n, sizeof(*cfg->units),
                                      offsetof(struct config_unit, id), "units", "id");
    if (!cfg->unit_order)
        return;
    resolve_parents(ctx);
    compute_depths(ctx);
}

/* The unit named id (len bytes) as an index, or -1 after reporting it at path. */
static long known_unit(struct cfg_ctx *ctx, const char *path, const char *id, size_t len)
{
    struct config *cfg = ctx->cfg;
    long k = config_unit_find(cfg, id, len);
    const char *near;

    if (k >= 0)
        return k;
    near = len == strlen(id) ? cfg_nearest_in(id, cfg->units, cfg->n_units, sizeof(*cfg->units),
                                              offsetof(struct config_unit, id))
                             : NULL;
    if (near)
        cfg_error(ctx, path, "unknown unit \"%.80s\" (did you mean \"%s\"?)", id, near);
    else
        cfg_error(ctx, path, "unknown unit \"%.80s\"", id);
    return -1;
}

int cfg_get_units_sel(struct cfg_ctx *ctx, json_t *obj, const char *path, int descendants,
                      struct config_units_sel *out, const char **text)
{
    json_t *v = json_object_get(obj, "units"), *u;
    char p[CFG_PATH_SIZE], q[CFG_PATH_SIZE];
    const char *s, *id = NULL;
    long *list, k;
    size_t i, n = 0;
    int bad = 0;

    *out = (struct config_units_sel){CONFIG_UNITS_ALL, -1, NULL, 0};
    *text = NULL;
    cfg_path_key(p, path, "units");
    if (!v)
        return 0;
    if (json_is_array(v)) {
        if (!(list = cfg_calloc(ctx, json_array_size(v), sizeof(*list))))
            return -1;
        json_array_foreach(v, i, u)
        {
            cfg_path_index(q, p, i);
            if (!json_is_string(u)) {
                cfg_error(ctx, q, "expected string");
                bad = 1;
            } else if ((k = known_unit(ctx, q, json_string_value(u), json_string_length(u))) < 0) {
                bad = 1;
            } else {
                list[n++] = k;
            }
        }
        if (n == 0 && !bad) {
            cfg_error(ctx, p, "must list at least one unit");
            bad = 1;
        }
        if (bad)
            return -1;
        *out = (struct config_units_sel){CONFIG_UNITS_LIST, -1, list, n};
        return 1;
    }
    if (cfg_get_string(ctx, obj, path, "units", 0, &s) <= 0)
        return -1;
    if (strncmp(s, "children:", 9) == 0) {
        id = s + 9;
        out->kind = CONFIG_UNITS_CHILDREN;
    } else if (descendants && strncmp(s, "descendants:", 12) == 0) {
        id = s + 12;
        out->kind = CONFIG_UNITS_DESCENDANTS;
    }
    if (!id) {
        cfg_error(ctx, p, "bad units \"%.80s\" (expected \"children:ID\", %san array of unit ids)",
                  s, descendants ? "\"descendants:ID\" or " : "");
        out->kind = CONFIG_UNITS_ALL;
        return -1;
    }
    if ((out->anchor = known_unit(ctx, p, id, strlen(id))) < 0) {
        out->kind = CONFIG_UNITS_ALL;
        return -1;
    }
    *text = s;
    return 1;
}
