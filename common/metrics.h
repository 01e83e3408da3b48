/*
 * metrics.h - a thread-safe registry of counters, gauges and histograms with
 * labels, rendered in the Prometheus text exposition format 0.0.4.
 *
 * A metric family is registered once (name, type, help, label names, and for
 * histograms the bucket bounds); its series are created on first use, one per
 * distinct tuple of label values. Every call takes the registry's mutex, so the
 * daemon's loop thread and the API's threads may update and render it at once.
 * Families render in registration order, series in order of first use.
 */
#ifndef PARKSTAT_METRICS_H
#define PARKSTAT_METRICS_H

#include <stddef.h>

struct metrics;

enum metrics_type {
    METRICS_COUNTER,
    METRICS_GAUGE,
    METRICS_HISTOGRAM,
};

/* Limits that keep a registry small and a typo from growing it without end. */
#define METRICS_MAX_LABELS  8
#define METRICS_MAX_BUCKETS 32
/* The longest rendering: a scrape larger than this is refused, not sent. */
#define METRICS_MAX_TEXT ((size_t)16 << 20)

/* Creates an empty registry into *out. Returns 0 or -ENOMEM. */
int metrics_new(struct metrics **out);

/* Frees the registry and sets *mp = NULL. NULL is a harmless no-op. */
void metrics_free(struct metrics **mp);

/*
 * Registers family name ([a-zA-Z_:][a-zA-Z0-9_:]*) of type with help text and
 * nlabels label names (copied; at most METRICS_MAX_LABELS). Histograms take
 * nbuckets strictly increasing upper bounds (+Inf is implied; at most
 * METRICS_MAX_BUCKETS); other types pass NULL, 0. Registering an existing name
 * again with the same type and label count is a no-op returning 0; with a
 * different shape it is -EEXIST. Bad names or shapes are -EINVAL.
 */
int metrics_register(struct metrics *m, const char *name, enum metrics_type type, const char *help,
                     const char *const *label_names, size_t nlabels, const double *buckets,
                     size_t nbuckets);

/*
 * Adds v (>= 0) to the counter series of name with the given label values
 * (as many as the family has labels; NULL when it has none). Returns 0,
 * -ENOENT for an unregistered name, -EINVAL for a wrong type or a negative v,
 * -ENOMEM.
 */
int metrics_counter_add(struct metrics *m, const char *name, const char *const *label_values,
                        double v);

/* Sets (or adds v to) a gauge series. Returns as metrics_counter_add(), but v
 * may be negative. */
int metrics_gauge_set(struct metrics *m, const char *name, const char *const *label_values,
                      double v);
int metrics_gauge_add(struct metrics *m, const char *name, const char *const *label_values,
                      double v);

/* Records one observation v in a histogram series. Returns as above. */
int metrics_histogram_observe(struct metrics *m, const char *name, const char *const *label_values,
                              double v);

/*
 * Renders every family into a malloc'd NUL-terminated text (*out, owned by the
 * caller) of *len bytes: "# HELP", "# TYPE" and one line per series (for
 * histograms _bucket lines with cumulative counts and le="...", then _sum and
 * _count). Label values are escaped (\\, \", \n). Returns 0, -E2BIG when the text
 * would exceed METRICS_MAX_TEXT, or -ENOMEM.
 */
int metrics_render(struct metrics *m, char **out, size_t *len);

#endif
