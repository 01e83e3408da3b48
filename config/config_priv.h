/*
 * config_priv.h - internals shared by the files of the config module: the
 * config struct, the load context that collects every problem, and the typed
 * getters that read one JSON member and report what is wrong with it. Not for
 * use outside config/.
 */
#ifndef PARKSTAT_CONFIG_PRIV_H
#define PARKSTAT_CONFIG_PRIV_H

#include <jansson.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

/* Room for a json.path such as indices[0].tree[1].children[0].weight. */
#define CFG_PATH_SIZE 256
/* Problems reported before the rest are summarised in one line. */
#define CFG_MAX_ERRORS 100
/* Deepest index tree accepted (dimensions within dimensions). */
#define CFG_MAX_TREE_DEPTH 8

struct config {
    atomic_size_t refs; /* config_ref() and config_free(): freed at 0 */
    json_t *root;       /* kept alive: most strings are borrowed from it */
    char *path;         /* the name given to config_load*() */
    const char *listen;
    unsigned api_threads; /* server.threads; 0: the API's default */
    const char *token_file;
    const char *database;
    const char *timezone;
    const char *log_level;

    struct config_unit *units;
    size_t n_units;
    size_t *unit_order; /* unit indices sorted by id, for config_unit_find() */
    struct config_indicator *indicators;
    size_t n_indicators;
    size_t *indicator_order;
    struct config_source *sources;
    size_t n_sources;
    struct config_index *indices;
    size_t n_indices;
    struct config_check *checks;
    size_t n_checks;

    void **owned; /* further allocations freed with the config */
    size_t n_owned, cap_owned;
};

/* The state of one load: the config being built and the problems found. */
struct cfg_ctx {
    struct config *cfg;
    const char *name; /* file name used in messages */
    const char *dir;  /* folder for relative paths, or NULL */
    char *errors;     /* "NAME: path: message\n" lines */
    size_t err_len, err_cap;
    int n_errors;
    int oom; /* an allocation failed: the load returns -ENOMEM */
    /* A large "units" array read element by element from the text instead
     * of from the tree (config.c): buf[units_start..units_end) is the array,
     * units_text NULL when the tree holds it. */
    const char *units_text;
    size_t units_start, units_end;
    int units_bad; /* an element of units_text did not parse: the load is redone
                      from the whole text's tree (config.c) */
    size_t units_cap;
    char *arena; /* strings copied out of the unit elements */
    size_t arena_left;
};

/* Records "NAME: path: message". */
void cfg_error(struct cfg_ctx *ctx, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records "NAME:LINE:COL: message" for a JSON syntax error. */
void cfg_syntax_error(struct cfg_ctx *ctx, int line, int column, const char *text);

/* Hands p to the config, freed by config_free(). Returns p, or NULL (p freed,
 * ctx->oom set) when the list cannot grow. p may be NULL (sets ctx->oom). */
void *cfg_keep(struct cfg_ctx *ctx, void *p);

/* calloc(n, size) kept by the config; NULL only on failure (ctx->oom set). */
void *cfg_calloc(struct cfg_ctx *ctx, size_t n, size_t size);

/* Writes "base.key" (or "key" when base is empty) into buf. */
void cfg_path_key(char *buf, const char *base, const char *key);

/* Writes "base[i]" into buf. */
void cfg_path_index(char *buf, const char *base, size_t i);

/* Levenshtein distance of a and b; 99 when either is longer than 32 bytes. */
size_t cfg_edit_distance(const char *a, const char *b);

/*
 * The name of names (NULL-terminated) closest to s, within 2 edits or equal
 * but for case, for a "did you mean"; NULL when none is that close.
 */
const char *cfg_nearest(const char *s, const char *const *names);

/* As cfg_nearest(), over n records whose name is the const char * at byte
 * offset key_off of each stride-sized record (indicator codes, unit ids). */
const char *cfg_nearest_in(const char *s, const void *records, size_t n, size_t stride,
                           size_t key_off);

/*
 * Reports every member of obj whose key is not in the NULL-terminated list
 * allowed, as 'unknown key "frequncy"' with a suggestion when one is close.
 */
void cfg_check_keys(struct cfg_ctx *ctx, json_t *obj, const char *path, const char *const *allowed);

/*
 * Typed getters for member key of obj (path names obj). Each returns 1 and
 * sets *out when the member is present and valid; 0 when it is absent (and
 * reports "required" when required); -1 when it is present but wrong
 * (reported). *out is untouched unless 1 is returned.
 */
int cfg_get_string(struct cfg_ctx *ctx, json_t *obj, const char *path, const char *key,
                   int required, const char **out);
int cfg_get_int(struct cfg_ctx *ctx, json_t *obj, const char *path, const char *key, int required,
                long min, long max, long *out);
int cfg_get_number(struct cfg_ctx *ctx, json_t *obj, const char *path, const char *key,
                   int required, double *out);
int cfg_get_bool(struct cfg_ctx *ctx, json_t *obj, const char *path, const char *key, int required,
                 int *out);
int cfg_get_freq(struct cfg_ctx *ctx, json_t *obj, const char *path, const char *key, int required,
                 enum period_freq *out);
int cfg_get_period(struct cfg_ctx *ctx, json_t *obj, const char *path, const char *key,
                   int required, struct period *out);
/* A string that must be one of the NULL-terminated names; *out is its index. */
int cfg_get_enum(struct cfg_ctx *ctx, json_t *obj, const char *path, const char *key, int required,
                 const char *const *names, int *out);
/* Reads "units" of obj: absent (ALL), "children:ID", "descendants:ID" (when
 * descendants) or an array of known unit ids; *text is the string form or
 * NULL. Returns as the getters. */
int cfg_get_units_sel(struct cfg_ctx *ctx, json_t *obj, const char *path, int descendants,
                      struct config_units_sel *out, const char **text);
/* A string id matching [A-Za-z0-9_.-]{1,64}. */
int cfg_get_id(struct cfg_ctx *ctx, json_t *obj, const char *path, const char *key, int required,
               const char **out);
/* A member that must be an array (or object when want_object); *out borrowed. */
int cfg_get_array(struct cfg_ctx *ctx, json_t *obj, const char *path, const char *key, int required,
                  json_t **out);
int cfg_get_object(struct cfg_ctx *ctx, json_t *obj, const char *path, const char *key,
                   int required, json_t **out);

/* 1 when s matches [A-Za-z0-9_.-]{1,64}. */
int cfg_valid_id(const char *s);

/* The compact JSON text of v, kept by the config; NULL on failure. */
const char *cfg_dump(struct cfg_ctx *ctx, json_t *v);

/*
 * Sorts the indices 0..n-1 of the records (whose key is the const char *
 * at byte offset key_off within each stride-sized record) by key, ties by
 * position; reports 'duplicate id "x" (first at what[i])' at what[j] for a
 * repeat. Returns the kept order array (NULL on failure or when n == 0).
 */
size_t *cfg_sort_unique(struct cfg_ctx *ctx, const void *records, size_t n, size_t stride,
                        size_t key_off, const char *what, const char *field);

/*
 * The position of the record whose key is key[0..len) (no NUL needed), or
 * -1 when absent: a look-up in the hash table cfg_sort_unique() keeps after
 * the n indices of its order array (order[n] = its slot count, then the
 * slots: 1 + position or 0 for empty, and the offset of a copy of the key;
 * then the keys; FNV-1a, linear probing), built once per parsed config and
 * shared by every thread reading it.
 */
long cfg_find(const void *records, const size_t *order, size_t n, size_t stride, size_t key_off,
              const char *key, size_t len);

/* FNV-1a of key[0..len), and the table size for n keys (a power of two
 * >= 2n, at least 16): the slot of a key is cfg_hash() & (slots - 1). */
uint32_t cfg_hash(const char *key, size_t len);
size_t cfg_hash_slots(size_t n);

/*
 * Walks the JSON array text t[start..end) (brackets included) one element
 * at a time, calling each(element, index, arg) when each is not NULL (the
 * element is freed after the call). Returns the number of elements, or -1
 * at the first element jansson refuses, a missing or extra ',', or when
 * each returns < 0. (config_units.c)
 */
long cfg_units_text_each(const char *t, size_t start, size_t end,
                         int (*each)(json_t *el, size_t i, void *arg), void *arg);

/* The sections, each reading its array from the root into ctx->cfg (the
 * units from ctx->units_text when set). */
void cfg_load_units(struct cfg_ctx *ctx, json_t *root);
void cfg_load_indicators(struct cfg_ctx *ctx, json_t *root);
void cfg_check_formulas(struct cfg_ctx *ctx);
void cfg_load_sources(struct cfg_ctx *ctx, json_t *root);

/* The source formats, NULL-terminated (config_sources.c). */
extern const char *const cfg_format_names[];

/* A source's "mapping" for its format (config_mapping.c). */
void cfg_load_mapping(struct cfg_ctx *ctx, json_t *src, const char *path, const char *format,
                      struct config_mapping *out);

/* A relative path joined to the config file's folder; absolute paths and
 * ":memory:" as given. */
const char *cfg_resolve_path(struct cfg_ctx *ctx, const char *p);
void cfg_load_indices(struct cfg_ctx *ctx, json_t *root);
/* The consistency checks (config_checks.c), after units and indicators. */
void cfg_load_checks(struct cfg_ctx *ctx, json_t *root);

/* Method options every leaf of an index inherits unless it gives its own. */
struct cfg_method_opts {
    double goalposts[2];
    const struct config_bands *bands;
};

/* The keys of an index's "method" object into idx (config_index_opts.c);
 * the inheritable ones into *mo. */
void cfg_load_method(struct cfg_ctx *ctx, json_t *obj, const char *path, struct config_index *idx,
                     struct cfg_method_opts *mo);
/* The option keys of a leaf (denominator, efficacy, goalposts, bands). */
void cfg_load_leaf_opts(struct cfg_ctx *ctx, json_t *obj, const char *path,
                        const struct config_index *idx, const struct cfg_method_opts *mo,
                        struct config_index_node *node);
/* "weights" of obj (an inner node, or the index for its top level) over the
 * n children already loaded; NULL into *out when absent (config_index_opts.c). */
void cfg_load_weights(struct cfg_ctx *ctx, json_t *obj, const char *path,
                      const struct config_index *idx, const struct config_index_node *children,
                      size_t n, const struct config_weights **out);

#endif
