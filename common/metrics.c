/*
 * metrics.c - counters, gauges and histograms with labels behind one mutex,
 * and their rendering in the Prometheus text format 0.0.4.
 *
 * Families and series are singly linked lists: a registry holds a few dozen
 * families with a handful of series each, so a linear search under the lock is
 * cheaper than any index would be to maintain. Numbers render as integers when
 * they are whole, else with the fewest digits (15..17) that read back exactly.
 * The rendering goes into one struct buf (capped at METRICS_MAX_TEXT) whose
 * first failure sticks, so the writers ignore it and metrics_render() checks
 * once at the end.
 */
#include "common/metrics.h"

#include "common/buf.h"

#include <errno.h>
#include <math.h> /* isnan, isinf: macros, no libm */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct series {
    char **values;                 /* one per family label */
    double value;                  /* counter or gauge; histogram: unused */
    double sum;                    /* histogram: sum of observations */
    unsigned long long count;      /* histogram: number of observations */
    unsigned long long *in_bucket; /* histogram: per bucket, not cumulative */
    struct series *next;
};

struct family {
    char *name;
    char *help;
    enum metrics_type type;
    char *labels[METRICS_MAX_LABELS];
    size_t nlabels;
    double buckets[METRICS_MAX_BUCKETS];
    size_t nbuckets;
    struct series *first, *last;
    struct family *next;
};

struct metrics {
    pthread_mutex_t mu;
    struct family *first, *last;
};

/* Writes v as Prometheus reads it: NaN, +Inf, -Inf, whole numbers without a
 * fraction, others with the shortest exact %g precision. */
static void format_value(double v, char *buf, size_t size)
{
    if (isnan(v)) {
        snprintf(buf, size, "NaN");
    } else if (isinf(v)) {
        snprintf(buf, size, v > 0 ? "+Inf" : "-Inf");
    } else if (v > -1e15 && v < 1e15 && v == (double)(long long)v) {
        /* whole numbers; the range check keeps the cast defined (and libm out) */
        snprintf(buf, size, "%.0f", v);
    } else {
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(buf, size, "%.*g", prec, v);
            if (strtod(buf, NULL) == v)
                break;
        }
    }
}

static void text_value(struct buf *t, double v)
{
    char buf[40];
    format_value(v, buf, sizeof(buf));
    buf_addstr(t, buf);
}

/* Label values escape backslash, double quote and newline; help text escapes
 * backslash and newline only (format 0.0.4). */
static void text_escaped(struct buf *t, const char *s, int quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            buf_add(t, "\\\\", 2);
        else if (*s == '\n')
            buf_add(t, "\\n", 2);
        else if (*s == '"' && quote)
            buf_add(t, "\\\"", 2);
        else
            buf_add(t, s, 1);
    }
}

static int valid_name(const char *s, int label)
{
    if (!s || !*s || (s[0] >= '0' && s[0] <= '9'))
        return 0;
    for (; *s; s++) {
        int ok = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
                 *s == '_' || (*s == ':' && !label);
        if (!ok)
            return 0;
    }
    return 1;
}

static void series_free(struct series *s, size_t nlabels)
{
    for (size_t i = 0; i < nlabels; i++)
        free(s->values[i]);
    free(s->values);
    free(s->in_bucket);
    free(s);
}

static void family_free(struct family *f)
{
    struct series *s = f->first;
    while (s) {
        struct series *next = s->next;
        series_free(s, f->nlabels);
        s = next;
    }
    for (size_t i = 0; i < f->nlabels; i++)
        free(f->labels[i]);
    free(f->name);
    free(f->help);
    free(f);
}

/* Creates an empty registry (see metrics.h). */
int metrics_new(struct metrics **out)
{
    struct metrics *m = calloc(1, sizeof(*m));

    *out = NULL;
    if (!m)
        return -ENOMEM;
    if (pthread_mutex_init(&m->mu, NULL) != 0) {
        free(m);
        return -ENOMEM;
    }
    *out = m;
    return 0;
}

/* Frees the registry and every family; NULL is a no-op. */
void metrics_free(struct metrics **mp)
{
    struct metrics *m = mp ? *mp : NULL;
    if (!m)
        return;
    struct family *f = m->first;
    while (f) {
        struct family *next = f->next;
        family_free(f);
        f = next;
    }
    pthread_mutex_destroy(&m->mu);
    free(m);
    *mp = NULL;
}

static struct family *find_family(const struct metrics *m, const char *name)
{
    for (struct family *f = m->first; f; f = f->next)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

static int check_shape(enum metrics_type type, const char *const *label_names, size_t nlabels,
                       const double *buckets, size_t nbuckets)
{
    if (nlabels > METRICS_MAX_LABELS || (nlabels && !label_names))
        return -EINVAL;
    for (size_t i = 0; i < nlabels; i++)
        if (!valid_name(label_names[i], 1) || strcmp(label_names[i], "le") == 0)
            return -EINVAL;
    if (type != METRICS_HISTOGRAM)
        return nbuckets == 0 ? 0 : -EINVAL;
    if (nbuckets == 0 || nbuckets > METRICS_MAX_BUCKETS || !buckets)
        return -EINVAL;
    for (size_t i = 0; i < nbuckets; i++)
        if (isnan(buckets[i]) || (i > 0 && buckets[i] <= buckets[i - 1]))
            return -EINVAL;
    return 0;
}

static struct family *family_new(const char *name, enum metrics_type type, const char *help,
                                 const char *const *label_names, size_t nlabels,
                                 const double *buckets, size_t nbuckets)
{
    struct family *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->type = type;
    f->name = strdup(name);
    f->help = strdup(help ? help : "");
    int ok = f->name && f->help;
    for (size_t i = 0; i < nlabels; i++) {
        f->labels[i] = strdup(label_names[i]);
        f->nlabels = i + 1;
        ok = ok && f->labels[i];
    }
    if (nbuckets)
        memcpy(f->buckets, buckets, nbuckets * sizeof(*buckets));
    f->nbuckets = nbuckets;
    if (!ok) {
        family_free(f);
        return NULL;
    }
    return f;
}

/* Registers a family, or checks an existing one's shape (see metrics.h). */
int metrics_register(struct metrics *m, const char *name, enum metrics_type type, const char *help,
                     const char *const *label_names, size_t nlabels, const double *buckets,
                     size_t nbuckets)
{
    int rc;

    if (!valid_name(name, 0) || type > METRICS_HISTOGRAM)
        return -EINVAL;
    if ((rc = check_shape(type, label_names, nlabels, buckets, nbuckets)) < 0)
        return rc;
    pthread_mutex_lock(&m->mu);
    struct family *f = find_family(m, name);
    if (f) {
        rc = f->type == type && f->nlabels == nlabels ? 0 : -EEXIST;
    } else if (!(f = family_new(name, type, help, label_names, nlabels, buckets, nbuckets))) {
        rc = -ENOMEM;
    } else {
        if (m->last)
            m->last->next = f;
        else
            m->first = f;
        m->last = f;
        rc = 0;
    }
    pthread_mutex_unlock(&m->mu);
    return rc;
}

static struct series *series_new(const struct family *f, const char *const *values)
{
    struct series *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->values = calloc(f->nlabels ? f->nlabels : 1, sizeof(*s->values));
    int ok = s->values != NULL;
    for (size_t i = 0; ok && i < f->nlabels; i++)
        ok = (s->values[i] = strdup(values[i] ? values[i] : "")) != NULL;
    if (ok && f->type == METRICS_HISTOGRAM)
        ok = (s->in_bucket = calloc(f->nbuckets + 1, sizeof(*s->in_bucket))) != NULL;
    if (!ok) {
        if (s->values)
            series_free(s, f->nlabels);
        else
            free(s);
        return NULL;
    }
    return s;
}

/* The series of f with these label values, created on first use; NULL when
 * out of memory. Called with the lock held. */
static struct series *find_series(struct family *f, const char *const *values)
{
    struct series *s;
    for (s = f->first; s; s = s->next) {
        size_t i = 0;
        while (i < f->nlabels && strcmp(s->values[i], values[i] ? values[i] : "") == 0)
            i++;
        if (i == f->nlabels)
            return s;
    }
    if (!(s = series_new(f, values)))
        return NULL;
    if (f->last)
        f->last->next = s;
    else
        f->first = s;
    f->last = s;
    return s;
}

enum op { OP_ADD, OP_SET, OP_OBSERVE };

static int update(struct metrics *m, const char *name, enum metrics_type type,
                  const char *const *values, double v, enum op op)
{
    int rc = 0;

    pthread_mutex_lock(&m->mu);
    struct family *f = find_family(m, name);
    struct series *s = NULL;
    if (!f)
        rc = -ENOENT;
    else if (f->type != type || (f->nlabels && !values))
        rc = -EINVAL;
    else if (!(s = find_series(f, values)))
        rc = -ENOMEM;
    else if (op == OP_ADD)
        s->value += v;
    else if (op == OP_SET)
        s->value = v;
    else {
        size_t b = 0;
        while (b < f->nbuckets && v > f->buckets[b])
            b++;
        s->in_bucket[b]++; /* b == nbuckets is the +Inf bucket */
        s->sum += v;
        s->count++;
    }
    pthread_mutex_unlock(&m->mu);
    return rc;
}

/* Adds v >= 0 to a counter series (see metrics.h). */
int metrics_counter_add(struct metrics *m, const char *name, const char *const *label_values,
                        double v)
{
    if (!(v >= 0))
        return -EINVAL;
    return update(m, name, METRICS_COUNTER, label_values, v, OP_ADD);
}

/* Sets a gauge series to v (see metrics.h). */
int metrics_gauge_set(struct metrics *m, const char *name, const char *const *label_values,
                      double v)
{
    return update(m, name, METRICS_GAUGE, label_values, v, OP_SET);
}

/* Adds v (any sign) to a gauge series (see metrics.h). */
int metrics_gauge_add(struct metrics *m, const char *name, const char *const *label_values,
                      double v)
{
    return update(m, name, METRICS_GAUGE, label_values, v, OP_ADD);
}

/* Counts v into a histogram series (see metrics.h). */
int metrics_histogram_observe(struct metrics *m, const char *name, const char *const *label_values,
                              double v)
{
    return update(m, name, METRICS_HISTOGRAM, label_values, v, OP_OBSERVE);
}

/* name{l1="v1",l2="v2",le="x"} with le omitted when NULL; no braces when
 * there is no label at all. */
static void text_series_name(struct buf *t, const struct family *f, const struct series *s,
                             const char *suffix, const char *le)
{
    buf_addstr(t, f->name);
    buf_addstr(t, suffix);
    if (f->nlabels == 0 && !le)
        return;
    buf_add(t, "{", 1);
    for (size_t i = 0; i < f->nlabels; i++) {
        if (i)
            buf_add(t, ",", 1);
        buf_addstr(t, f->labels[i]);
        buf_add(t, "=\"", 2);
        text_escaped(t, s->values[i], 1);
        buf_add(t, "\"", 1);
    }
    if (le) {
        buf_addstr(t, f->nlabels ? ",le=\"" : "le=\"");
        buf_addstr(t, le);
        buf_add(t, "\"", 1);
    }
    buf_add(t, "}", 1);
}

static void render_histogram(struct buf *t, const struct family *f, const struct series *s)
{
    unsigned long long cumulative = 0;
    char le[40];

    for (size_t b = 0; b <= f->nbuckets; b++) {
        cumulative += s->in_bucket[b];
        if (b < f->nbuckets)
            format_value(f->buckets[b], le, sizeof(le));
        else
            snprintf(le, sizeof(le), "+Inf");
        text_series_name(t, f, s, "_bucket", le);
        buf_add(t, " ", 1);
        text_value(t, (double)cumulative);
        buf_add(t, "\n", 1);
    }
    text_series_name(t, f, s, "_sum", NULL);
    buf_add(t, " ", 1);
    text_value(t, s->sum);
    buf_add(t, "\n", 1);
    text_series_name(t, f, s, "_count", NULL);
    buf_add(t, " ", 1);
    text_value(t, (double)s->count);
    buf_add(t, "\n", 1);
}

static void render_family(struct buf *t, const struct family *f)
{
    static const char *const type_names[] = {"counter", "gauge", "histogram"};

    buf_addstr(t, "# HELP ");
    buf_addstr(t, f->name);
    buf_add(t, " ", 1);
    text_escaped(t, f->help, 0);
    buf_addstr(t, "\n# TYPE ");
    buf_addstr(t, f->name);
    buf_add(t, " ", 1);
    buf_addstr(t, type_names[f->type]);
    buf_add(t, "\n", 1);
    for (const struct series *s = f->first; s; s = s->next) {
        if (f->type == METRICS_HISTOGRAM) {
            render_histogram(t, f, s);
            continue;
        }
        text_series_name(t, f, s, "", NULL);
        buf_add(t, " ", 1);
        text_value(t, s->value);
        buf_add(t, "\n", 1);
    }
}

/* Renders the registry as Prometheus text (see metrics.h). */
int metrics_render(struct metrics *m, char **out, size_t *len)
{
    struct buf t;
    int rc;

    *out = NULL;
    *len = 0;
    buf_init(&t, METRICS_MAX_TEXT);
    pthread_mutex_lock(&m->mu);
    for (const struct family *f = m->first; f; f = f->next)
        render_family(&t, f);
    pthread_mutex_unlock(&m->mu);
    if ((rc = t.err) < 0 || !(*out = buf_take(&t, len))) /* an empty registry is "" */
        rc = rc < 0 ? rc : -ENOMEM;
    buf_free(&t);
    return rc;
}
