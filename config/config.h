/*
 * config.h - the parkstat configuration: one JSON file (docs/CONFIG.md).
 *
 * config_load() parses and validates the whole file and reports every problem
 * it finds, each naming its place:
 *   FILE:LINE:COL: message          for JSON syntax errors
 *   FILE: json.path: message        for semantic errors (units[3].parent: ...)
 * A loaded config is immutable; the records it hands out are borrowed and live
 * as long as the config.
 */
#ifndef PARKSTAT_CONFIG_H
#define PARKSTAT_CONFIG_H

#include <stddef.h>

#include "common/period.h"

struct config;

enum config_kind {
    CONFIG_FLOW,  /* sums over time and units (revenue) */
    CONFIG_STOCK, /* period-end value; sums over units (enterprise count) */
    CONFIG_RATE,  /* ratio: rolls up as ratio of sums, never a mean of ratios */
};

struct config_attr {
    const char *key;
    const char *value;
};

struct config_unit {
    const char *id;
    const char *name;                /* UTF-8 */
    const char *parent;              /* NULL for a root */
    long parent_index;               /* index into config_units(), -1 for a root */
    int depth;                       /* 0 for a root */
    const struct config_attr *attrs; /* optional attributes (park type, stage) */
    size_t n_attrs;
};

struct config_indicator {
    const char *code;
    const char *name;
    const char *measure; /* measure unit text, e.g. "亿元"; may be "" */
    enum period_freq freq;
    enum config_kind kind;
    int cumulative;        /* 1: published as year-to-date values */
    int direction;         /* +1 more is better, -1 less is better */
    int decimals;          /* 0 .. 10 */
    const char *formula;   /* derived indicator: SQLite expression over codes, else NULL */
    const char *numerator; /* rate components (ratio of sums), else NULL */
    const char *denominator;
    double scale; /* rate: sum(numerator) / sum(denominator) * scale; 100 when
                     measure is "%", else 1, unless given */
};

/* Which units an index scores, or a source requests one by one ("units"). */
enum config_units_kind {
    CONFIG_UNITS_ALL,         /* absent: every unit */
    CONFIG_UNITS_CHILDREN,    /* "children:ID": the units whose parent is ID */
    CONFIG_UNITS_DESCENDANTS, /* "descendants:ID": every unit below ID */
    CONFIG_UNITS_LIST,        /* an array of unit ids */
};

struct config_units_sel {
    enum config_units_kind kind;
    long anchor;      /* CHILDREN, DESCENDANTS: the unit ID (config_units() index) */
    const long *list; /* LIST: config_units() indices, in the order given */
    size_t n_list;
};

/* A mapped payload field: a JSON Pointer or CSV column name, or a constant;
 * both NULL when the mapping leaves the field out. */
struct config_field {
    const char *path;
    const char *constant;
};

/* One field of a wide layout: the indicator code and where its value is. */
struct config_wide_field {
    const char *indicator;
    const char *path;
};

enum config_layout { CONFIG_LAYOUT_LONG, CONFIG_LAYOUT_WIDE };

/* An SDMX dimension filter: records whose dimension is none of codes are skipped. */
struct config_sdmx_filter {
    const char *dimension;
    const char *const *codes;
    size_t n_codes;
};

/* A unit written after a number ("万", "亿") and the factor it stands for. */
struct config_suffix {
    const char *text;
    double factor; /* finite, > 0 */
};

/*
 * How a source writes numbers as text (mapping "decimal", "thousands",
 * "missing", "suffixes"; docs/FORMATS.md). The config fills in the defaults:
 * decimal '.', thousands ',' (none when decimal is ','), the default missing
 * markers (missing NULL), no suffixes.
 */
struct config_value_opts {
    char decimal;                         /* '.' or ','; 0 is '.' */
    char thousands;                       /* ',', '.', ' ' or '\''; 0: none accepted */
    const char *const *missing;           /* markers meaning "no value"; NULL: the default set */
    size_t n_missing;                     /* markers in missing (a given list may be empty) */
    const struct config_suffix *suffixes; /* units after a number, scaled by their factor */
    size_t n_suffixes;
};

/* A wide table's value columns: named in "fields", or every other column,
 * whose header is the indicator code or the period ("columns"). */
enum config_columns { CONFIG_COLUMNS_FIELDS, CONFIG_COLUMNS_INDICATOR, CONFIG_COLUMNS_PERIOD };

/* A source's "mapping" (docs/FORMATS.md), checked for its format: the one
 * parse of it. The payload readers (collectors/format.h) take it as it is. */
struct config_mapping {
    const char *format; /* the format it was checked for ("json", "csv", ...) */
    int given;          /* 0: the source has no "mapping" (nbs) */
    enum config_layout layout;
    const char *records; /* json: JSON Pointer of the record array ("": the root) */
    struct config_field unit, indicator, period, value;
    const struct config_wide_field *fields; /* wide: in the order given */
    size_t n_fields;
    char delimiter; /* csv: one character, ',' by default */
    const char *unit_dimension, *indicator_dimension, *period_dimension; /* sdmx */
    /* sdmx, sdmxml: unit and indicator may instead be unit.constant,
     * indicator.constant or this template ("{INDICATOR}.{UNIT_MEASURE}") */
    const char *indicator_template;
    const struct config_sdmx_filter *filters; /* "filter", in the order given */
    size_t n_filters;
    const char *const *measures; /* "measures"; NULL: OBS_VALUE only */
    size_t n_measures;
    enum period_freq freq; /* the source's "frequency" (what a date period means); 0: none */
    struct config_value_opts values; /* every format: how values are written as text */
    /* observation status (docs/FORMATS.md, "Observation status") */
    struct config_field status;   /* json, csv, xlsx: "status", the status field */
    const char *status_attribute; /* sdmx, sdmxml, sdmxcsv: "OBS_STATUS" by default */
    int keep_decimals; /* sdmx, sdmxml, sdmxcsv: "apply_decimals": false, values are kept as
                          written, not rounded to their DECIMALS attribute */
    const struct config_code *status_map; /* "status_map", sorted by from; NULL: none */
    size_t n_status_map;
    int value_flags; /* json, csv, xlsx: a value cell may end in flags ("12.3 p", ": c") */

    const char *encoding; /* json, csv, sdmx, nbs: the payload's declared encoding, or NULL */
    /* tables (csv, xlsx) */
    long skip_rows;               /* rows before the header (titles), 0 by default */
    long header_row;              /* 1-based line or sheet row of the header; 0: not given */
    long header_rows;             /* rows the header spans, joined with "/"; 1 by default */
    const char *const *footnotes; /* a row whose first text starts so is a note, dropped */
    size_t n_footnotes;           /* (footnotes may be empty: then none) */
    enum config_columns columns;  /* wide: fields, or every other column */
    enum period_freq date_period; /* a date is the period of this frequency holding it; 0 */
    const char *sheet;            /* xlsx: the sheet by name, or NULL */
    long sheet_index;             /* xlsx: the sheet by 1-based position, 1 by default */
};

/*
 * Parses text, a source object as JSON ({"mapping": {...}, ...}; other members
 * are ignored), for a source of format ("json", "csv", "sdmx", "sdmxml", "nbs") with the
 * checks config_load() makes of a source's "mapping". On success returns 0
 * and *out owns a new mapping (free with config_mapping_free()). On failure
 * returns -EINVAL (or -ENOMEM), *out is NULL and err holds the problems, one
 * per line, each naming its JSON path ("mapping.value: expected a JSON
 * Pointer ..."; a syntax error: "source: ... (line L column C: text)").
 */
int config_mapping_parse(const char *format, const char *text, struct config_mapping **out,
                         char *err, size_t errsize);

/* Frees a mapping made by config_mapping_parse() and sets *mp to NULL. NULL is a no-op. */
void config_mapping_free(struct config_mapping **mp);

/* A payload code and the config's id or code it stands for. */
struct config_code {
    const char *from;
    const char *to;
};

struct config_source {
    const char *id;
    const char *url;    /* with {period} {year} {quarter} {month} {unit} */
    const char *format; /* "json", "csv", "sdmx", "nbs" */
    enum period_freq freq;
    int release_lag_days;
    struct period first_period;
    long poll_every_s;   /* from "poll_every": "30m", "6h", "1d" */
    int revision_window; /* re-pull the last K periods */
    double timeout_s;
    long jitter_s;                 /* 0 .. 86400, default 0 */
    long updated_after_margin_s;   /* {updated_after}: 0 .. 86400, default 600 */
    double connect_timeout_s;      /* 0: the fetcher's default */
    long max_bytes;                /* body limit, 0: the fetcher's default */
    int max_retries;               /* 0 .. 20, default 3 */
    double backoff_s;              /* first backoff cap, 0: the fetcher's default */
    const char *ca_file;           /* resolved like database, or NULL */
    const char *bearer_token_file; /* auth: resolved paths of secrets, or NULL */
    const char *basic_user;
    const char *basic_password_file;
    const char *const *headers; /* "Name: value" lines */
    size_t n_headers;
    struct config_units_sel units;   /* units requested one by one ({unit}) */
    const struct config_code *codes; /* indicator code map, sorted by from */
    size_t n_codes;
    const struct config_code *unit_codes; /* unit code map, sorted by from */
    size_t n_unit_codes;
    const double *scale; /* per config_indicators() index: the factor values are multiplied by */
    struct config_mapping mapping;
    const char *json; /* the whole source object, compact JSON */
};

/* The id a map (codes or unit_codes) gives payload code, or code itself. O(log n). */
const char *config_code_map(const struct config_code *map, size_t n, const char *code);

enum config_normalise {
    CONFIG_NORM_FIXED_BASE,
    CONFIG_NORM_CHAINED,
    CONFIG_NORM_MINMAX,
    CONFIG_NORM_ZSCORE,
    CONFIG_NORM_EFFICACY,
    CONFIG_NORM_GOALPOSTS,
    CONFIG_NORM_RANK,
    CONFIG_NORM_BANDED,
};

enum config_aggregate { CONFIG_AGG_ARITHMETIC, CONFIG_AGG_GEOMETRIC };
/* method.base_match: how a base coarser than the index frequency is compared. */
enum config_base_match {
    CONFIG_BASE_SAME_PERIOD, /* x_t against the same quarter/month of the base (default) */
    CONFIG_BASE_MEAN,        /* against the mean of the base's sub-periods (opt-in) */
};
/* method.basis: the values compared. */
enum config_basis {
    CONFIG_BASIS_LEVEL, /* the period's own value (default) */
    CONFIG_BASIS_YTD,   /* cumulative from the year's start to the period's end */
};
enum config_missing { CONFIG_MISSING_REWEIGHT, CONFIG_MISSING_CARRY, CONFIG_MISSING_EXCLUDE };
enum config_impute { CONFIG_IMPUTE_NONE, CONFIG_IMPUTE_CARRY, CONFIG_IMPUTE_GROUP_MEAN };
/* How outlier.winmax is counted (aggregate/outlier.h). */
enum config_outlier_limit { CONFIG_LIMIT_COINR, CONFIG_LIMIT_STEPS, CONFIG_LIMIT_POINTS };

/* banded normalisation: x < breaks[0] -> points[0] ... x >= breaks[n-1] -> points[n]. */
struct config_bands {
    const double *breaks; /* n_breaks, strictly increasing */
    const double *points; /* n_breaks + 1 */
    size_t n_breaks;
};

/* method.outlier (docs/INDICES.md). */
struct config_outlier {
    int on;                          /* true or an object */
    int winmax;                      /* 0: not given (the engine's default) */
    double skew, kurtosis;           /* NAN: not given */
    enum config_outlier_limit limit; /* true: steps; an object: coinr unless given */
};

/* A node of an index tree: an inner node (dimension) or a leaf (indicator). */
/* Derived weights of a node's children (docs/INDICES.md, "Derived weights"). */
enum config_weights_method {
    CONFIG_WEIGHTS_ENTROPY,
    CONFIG_WEIGHTS_CRITIC,
    CONFIG_WEIGHTS_CV,
    CONFIG_WEIGHTS_PCA,
    CONFIG_WEIGHTS_AHP,
};

struct config_weights {
    enum config_weights_method method;
    int fixed;          /* data methods: 1 from period `from`, 0 recomputed each period */
    struct period from; /* fixed: the period (of the index's frequency) they come from */
    const double *ahp;  /* ahp: the children's weights (principal eigenvector), else NULL */
    double cr;          /* ahp: Saaty's consistency ratio (< 0.1) */
};

struct config_index_node {
    const char *id; /* leaf: the indicator code */
    const char *name;
    double weight;         /* > 0, as given; see config_index_node_weight() */
    const char *indicator; /* leaf: indicator code; inner node: NULL */
    int direction;         /* leaf: +1/-1, defaults to the indicator's */
    const struct config_index_node *children;
    size_t n_children;
    /* leaf options, the method's where the leaf gives none */
    long denominator;                     /* config_indicators() index to divide by, or -1 */
    double unacceptable;                  /* efficacy x_s; NAN: the observed worst */
    double satisfactory;                  /* efficacy x_h; NAN: the observed best */
    double goalposts[2];                  /* [lo, hi], hi > lo; default [0, 100] */
    const struct config_bands *bands;     /* NULL when none (refused for banded) */
    const struct config_weights *weights; /* inner node: derived child weights, or NULL */
};

struct config_index {
    const char *id;
    const char *name;
    enum period_freq freq;
    enum config_normalise normalise;
    enum config_aggregate aggregate;
    enum config_missing missing;
    int has_base;
    struct period base; /* base period (fixed_base, chained) */
    enum config_base_match base_match;
    enum config_basis basis;
    enum config_impute impute;
    const char *impute_by; /* group_mean: the unit attribute, else NULL */
    double screen;         /* minimum share of present indicators, 0 .. 1; 0: off */
    struct config_outlier outlier;
    const char *units;                    /* "children:ID", "descendants:ID" or NULL */
    struct config_units_sel unit_sel;     /* the scored units, resolved */
    const struct config_index_node *tree; /* the top level dimensions */
    size_t n_tree;
    const struct config_weights *weights; /* derived weights of the top level, or NULL */
    const char *json; /* the whole index object, compact JSON: its hash marks changes */
};

/* checks[]: consistency rules (docs/CONFIG.md, "checks"). */
enum config_check_rule {
    CONFIG_CHECK_SUM,          /* parts add up to the total within tolerance */
    CONFIG_CHECK_RANGE,        /* value within [min, max] */
    CONFIG_CHECK_GROWTH,       /* |growth| <= max, and not an outlier among the units */
    CONFIG_CHECK_HIERARCHY,    /* a parent's own value = the sum of its children's */
    CONFIG_CHECK_MONOTONE_YTD, /* a year-to-date value never falls within a year */
    CONFIG_CHECK_RATIO,        /* a rate within [min, max], numerator <= denominator */
};
enum config_check_action { CONFIG_CHECK_FLAG, CONFIG_CHECK_REJECT };
enum config_check_basis { CONFIG_CHECK_YOY, CONFIG_CHECK_POP };
enum config_precedence { CONFIG_PRECEDENCE_REPORTED, CONFIG_PRECEDENCE_ROLLED_UP };

struct config_check {
    const char *id;
    enum config_check_rule rule;
    enum config_check_action action; /* only flag is accepted for now */
    struct config_units_sel units;   /* the units checked (hierarchy: the parents) */
    const char *units_text;          /* as given, or NULL */
    long indicator;                  /* config_indicators() index (sum: the total) */
    const long *parts;               /* sum: config_indicators() indices */
    size_t n_parts;
    double tolerance;                  /* sum, hierarchy, monotone_ytd: absolute, >= 0 */
    double min, max;                   /* range, ratio bounds (NAN: none); growth: max |%| */
    enum config_check_basis basis;     /* growth: yoy (default) or pop */
    double outlier;                    /* growth: robust z-score bound, NAN: off */
    enum config_precedence precedence; /* hierarchy */
    const char *json;                  /* the rule object, compact JSON */
};

/*
 * Loads and validates the file at path. On success returns 0 and *out owns a
 * new config (free with config_free()); *errors is set to NULL. On failure
 * returns -EINVAL (invalid) or a negative errno (unreadable file), *out is
 * NULL and *errors holds every problem, one per line, malloc'd for the caller
 * to free(). errors may be NULL when the caller does not want the text.
 */
int config_load(const char *path, struct config **out, char **errors);

/*
 * As config_load(), on len bytes of JSON in memory; name stands for the file
 * in messages and relative paths ("database") resolve against dir (may be NULL
 * for the current directory).
 */
int config_load_buffer(const char *name, const char *dir, const char *buf, size_t len,
                       struct config **out, char **errors);

/* Drops one reference to cfg (config_ref()) and sets *cfgp to NULL; the last
 * frees it. NULL or *cfgp == NULL is a harmless no-op. */
void config_free(struct config **cfgp);

/* One more reference to cfg, which is never changed after its load, so any
 * thread may read it while it holds a reference (the daemon's loop and its API
 * share one config instead of parsing the file twice). Returns cfg. */
struct config *config_ref(struct config *cfg);

/* Scalar settings. Paths are absolute or relative to the config file's folder. */
const char *config_listen(const struct config *cfg);     /* "127.0.0.1:8080" */
const char *config_token_file(const struct config *cfg); /* NULL when not set */
unsigned config_api_threads(const struct config *cfg);   /* server.threads; 0: default */
const char *config_database(const struct config *cfg);
const char *config_timezone(const struct config *cfg);  /* "Asia/Shanghai" */
const char *config_log_level(const struct config *cfg); /* "info" */
const char *config_path(const struct config *cfg);      /* the file it was loaded from */

/* The entity tables, in file order; the array is borrowed. */
const struct config_unit *config_units(const struct config *cfg, size_t *n);
const struct config_indicator *config_indicators(const struct config *cfg, size_t *n);
const struct config_source *config_sources(const struct config *cfg, size_t *n);
const struct config_index *config_indices(const struct config *cfg, size_t *n);
const struct config_check *config_checks(const struct config *cfg, size_t *n);

/* Look-ups by id or code: index into the table, or -1 when unknown. O(1): a
 * hash table built once with the config. */
long config_unit_find(const struct config *cfg, const char *id, size_t len);
long config_indicator_find(const struct config *cfg, const char *code, size_t len);

/* The value of attribute key of a unit, or NULL. */
const char *config_unit_attr(const struct config_unit *unit, const char *key);

/* A node's weight divided by the sum of its siblings' weights (sums to 1). */
double config_index_node_weight(const struct config_index_node *siblings, size_t n, size_t i);

#endif
