/*
 * load.c - the snapshot: stored observations into dense unit x period arrays
 * per indicator (current values or as of a time), period values from
 * year-to-date series (aggregate/ytd), and roll-ups of flows and stocks over
 * the unit hierarchy with coverage (aggregate/rollup). A unit's own reported
 * value wins over the sum of its children; only units without one get the
 * roll-up, so a park that reports keeps its figure and a city is the sum of
 * its parks (unless a hierarchy check says "rolled_up" for the parent). Rates and derived
 * indicators follow in series.c.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate/rollup.h"
#include "aggregate/ytd.h"
#include "common/buf.h"
#include "common/log.h"
#include "compute/compute_priv.h"
#include "formula/formula.h"
#include "store/observations.h"
#include "store/store.h"

/* One observation read from the store, before the year range is known:
 * 16 bytes, so 3.6 M of them stay compact. */
struct rawobs {
    uint32_t unit; /* config unit index */
    uint16_t ind;  /* config indicator index */
    uint16_t pid;  /* distinct period id (struct loader periods) */
    double v;
};

#define LOAD_PSLOTS 1024  /* hash slots of the period text cache (power of 2) */
#define LOAD_PMAX   65535 /* distinct periods a snapshot can hold (uint16_t pid) */

/* A partial load reads the rows of up to this many units touched since the
 * column copy was written rather than merge them into it first: merging one
 * unit reads and rewrites every column it has (at 200 000 units, 120 columns
 * of 3.2 MB for one revised value), a partial load reads a few columns and
 * the units' rows (about 120 each). A full load merges them. */
#define LOAD_DEFER_MERGE 256

/* The distinct period texts seen so far. The walk hands every row its period
 * as text; the few distinct texts are parsed once and found again by their
 * bytes packed into an integer (valid texts are < 8 bytes). */
struct pcache {
    uint64_t key[LOAD_PSLOTS]; /* packed text; 0: empty slot */
    int32_t id[LOAD_PSLOTS];   /* period id, or -1 for text that does not parse */
    struct period *p;          /* by id */
    size_t n, cap;
    uint64_t last_key; /* the previous row's text and id */
    int32_t last_id;
};

/* One column of the column copy, kept as read: config unit indices and
 * values (12 bytes an observation, sized exactly, freed once placed). A
 * column placed as it was read (struct loader, direct) keeps no values:
 * unit and v NULL, n the units placed. */
struct lcol {
    uint32_t *unit;
    double *v;
    size_t n;
    uint16_t ind; /* config indicator index */
    uint16_t pid;
};

struct loader {
    struct compute *c;
    long *unit_of; /* store unit id - unit_base -> config index, -1 (shared by the parts) */
    long *ind_of;  /* store indicator id -> config index, -1 (shared by the parts) */
    size_t nunit_of, nind_of;
    int64_t unit_base;  /* the smallest store unit id of the config's (or subtree's) */
    struct rawobs *obs; /* rows (walked, or after the columns: they override) */
    size_t n, cap;
    struct lcol *cols; /* columns of the column copy */
    size_t ncols, capcols;
    struct pcache pc;
    const struct cmp_months *only; /* NULL: every period */
    /* 1: the series span the months of only (mon0, nmon) before the read,
     * and columns go into them as they are read (place_direct) */
    int direct;
    long mon0;
    size_t nmon;
};

/* The month range of period q: year x 12 + month - 1, first and last. */
static void months_of(struct period q, long *a, long *b)
{
    *a = (long)q.year * 12 + period_first_month(q) - 1;
    *b = (long)q.year * 12 + period_last_month(q) - 1;
}

int cmp_months_want(const struct cmp_months *m, struct period q)
{
    long a, b;
    if (!m)
        return 1;
    months_of(q, &a, &b);
    for (size_t i = 0; i < m->n; i++)
        if (a <= m->hi[i] && m->lo[i] <= b)
            return 1;
    return 0;
}

int cmp_months_add(struct cmp_months *m, struct period from, struct period to)
{
    long a, b, c, d;
    if (BUF_GROW(&m->lo, &m->caplo, m->n + 1, BUF_UNCAPPED) < 0 ||
        BUF_GROW(&m->hi, &m->caphi, m->n + 1, BUF_UNCAPPED) < 0)
        return -ENOMEM;
    months_of(from, &a, &b);
    months_of(to, &c, &d);
    m->lo[m->n] = a;
    m->hi[m->n++] = d;
    return 0;
}

void cmp_months_free(struct cmp_months *m)
{
    free(m->lo);
    free(m->hi);
    memset(m, 0, sizeof(*m));
}

/* store_walk_opts.want_period: columns of a period in the months wanted. */
static int want_text(const char *text, size_t len, void *ctx)
{
    struct period q;
    return period_parse(&q, text, len) < 0 || cmp_months_want(ctx, q);
}

struct period cmp_period_at(const struct compute *c, enum period_freq f, size_t p)
{
    long len = 12 / (long)f, m = c->mon0 + (long)p * len; /* years are >= 1000: m > 0 */
    struct period q = {(int)(m / 12), f, (int)(m % 12 / len) + 1};
    return q;
}

long cmp_period_pos(const struct compute *c, struct period q)
{
    if (!period_valid(q))
        return -1;
    long len = 12 / (long)q.freq, m = (long)q.year * 12 + period_first_month(q) - 1 - c->mon0;
    if (m < 0 || m >= (long)c->nmon || m % len != 0)
        return -1;
    return m / len;
}

int cmp_series_alloc(const struct compute *c, enum period_freq f, struct cseries *out)
{
    size_t n = c->nu * cmp_nper(c, f);
    out->freq = f;
    out->v = calloc(n ? n : 1, sizeof(double)); /* calloc: the analyzer loses the loop below */
    out->cov = calloc(n ? n : 1, sizeof(double));
    out->fl = calloc(n ? n : 1, sizeof(unsigned));
    if (!out->v || !out->cov || !out->fl) {
        cmp_series_free(out);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        out->v[i] = NAN;
        out->cov[i] = 1.0;
    }
    return 0;
}

void cmp_series_free(struct cseries *s)
{
    free(s->v);
    free(s->cov);
    free(s->fl);
    s->v = s->cov = NULL;
    s->fl = NULL;
}

static int keep_obs(struct loader *l, long u, long k, int32_t pid, double v)
{
    if (BUF_GROW(&l->obs, &l->cap, l->n + 1, BUF_UNCAPPED) < 0)
        return -ENOMEM;
    l->obs[l->n++] = (struct rawobs){(uint32_t)u, (uint16_t)k, (uint16_t)pid, v};
    return 0;
}

/* The id of period p: an existing one, else a new one; -2 when out of memory
 * or of ids. */
static int32_t period_intern(struct pcache *pc, struct period p)
{
    for (size_t i = 0; i < pc->n; i++)
        if (period_cmp(pc->p[i], p) == 0)
            return (int32_t)i;
    if (BUF_GROW(&pc->p, &pc->cap, pc->n + 1, LOAD_PMAX) < 0)
        return -2;
    pc->p[pc->n] = p;
    return (int32_t)pc->n++;
}

/* The id of period text not found in the hash table: -1 when it is not a
 * period, -2 when out of memory or of ids. */
static int32_t period_new(struct pcache *pc, const char *text, size_t len)
{
    struct period p;
    if (period_parse(&p, text, len) < 0)
        return -1;
    return period_intern(pc, p);
}

/* The id of period text (len bytes), -1 when it is not a period, -2 when out
 * of memory or of ids. */
static int32_t period_id(struct pcache *pc, const char *text, size_t len)
{
    uint64_t key = 0;
    if (len == 0 || len > 8)
        return period_new(pc, text, len); /* not a canonical text: not cached */
    memcpy(&key, text, len);              /* zero-padded: no valid text ends in NUL bytes */
    if (key == 0)
        return -1; /* NUL bytes only; 0 also marks an empty slot */
    if (key == pc->last_key)
        return pc->last_id;
    size_t h = (size_t)((key * 0x9E3779B97F4A7C15u) >> 54) & (LOAD_PSLOTS - 1);
    while (pc->key[h] && pc->key[h] != key)
        h = (h + 1) & (LOAD_PSLOTS - 1);
    if (!pc->key[h]) {
        if (pc->n + 1 >= LOAD_PSLOTS / 2) /* a full table: parse without caching */
            return period_new(pc, text, len);
        int32_t id = period_new(pc, text, len);
        if (id == -2)
            return id;
        pc->key[h] = key;
        pc->id[h] = id;
    }
    pc->last_key = key;
    pc->last_id = pc->id[h];
    return pc->id[h];
}

/* Appends the observations of part b to a, its period ids mapped to a's. */
static int merge_parts(struct loader *a, const struct loader *b)
{
    int32_t map[LOAD_PSLOTS];
    if (b->pc.n > LOAD_PSLOTS || BUF_GROW(&a->obs, &a->cap, a->n + b->n, BUF_UNCAPPED) < 0)
        return -ENOMEM;
    for (size_t i = 0; i < b->pc.n; i++)
        if ((map[i] = period_intern(&a->pc, b->pc.p[i])) < 0)
            return -ENOMEM;
    for (size_t i = 0; i < b->n; i++) {
        a->obs[a->n] = b->obs[i];
        a->obs[a->n++].pid = (uint16_t)map[b->obs[i].pid];
    }
    return 0;
}

/* The config index of store unit id, or -1. */
static long unit_at(const struct loader *l, int64_t id)
{
    return id >= l->unit_base && (uint64_t)(id - l->unit_base) < l->nunit_of
               ? l->unit_of[id - l->unit_base]
               : -1;
}

static int on_obs(int64_t unit_id, int64_t ind_id, const char *period, size_t len, double value,
                  void *ctx)
{
    struct loader *l = ctx;

    if (ind_id < 0 || (size_t)ind_id >= l->nind_of)
        return 0;
    long u = unit_at(l, unit_id), k = l->ind_of[ind_id];
    if (u < 0 || k < 0)
        return 0;
    int32_t pid = period_id(&l->pc, period, len);
    if (pid == -2)
        return -ENOMEM;
    /* Units and indicators the config no longer names, and values of another
     * frequency than the indicator's, are not part of this config's data. */
    if (pid < 0 || l->pc.p[pid].freq != l->c->inds[k].freq ||
        !cmp_months_want(l->only, l->pc.p[pid]))
        return 0;
    return keep_obs(l, u, k, pid, value);
}

/* A column of indicator k in period pid into its series at once (the
 * loader's direct placement), noted without its values. */
static int column_direct(struct loader *l, size_t k, uint16_t pid, size_t n,
                         const int64_t *unit_ids, const double *values)
{
    struct compute *c = l->c;
    long at = cmp_period_pos(c, l->pc.p[pid]);
    size_t np = cmp_nper(c, c->inds[k].freq), m = 0;

    if (at < 0) /* cannot be: the span holds every month wanted */
        return -EINVAL;
    if (BUF_GROW(&l->cols, &l->capcols, l->ncols + 1, BUF_UNCAPPED) < 0)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        long u = unit_at(l, unit_ids[i]);
        if (u >= 0) {
            c->s[k].v[(size_t)u * np + (size_t)at] = values[i];
            m++;
        }
    }
    l->cols[l->ncols++] = (struct lcol){NULL, NULL, m, (uint16_t)k, pid};
    return 0;
}

/* One column of current values (store_obs_current): one indicator and
 * period, many units. */
static int on_column(int64_t ind_id, const char *period, size_t len, size_t n,
                     const int64_t *unit_ids, const double *values, void *ctx)
{
    struct loader *l = ctx;

    if (ind_id < 0 || (size_t)ind_id >= l->nind_of || l->ind_of[ind_id] < 0)
        return 0;
    long k = l->ind_of[ind_id];
    int32_t pid = period_id(&l->pc, period, len);
    if (pid == -2)
        return -ENOMEM;
    if (pid < 0 || l->pc.p[pid].freq != l->c->inds[k].freq ||
        !cmp_months_want(l->only, l->pc.p[pid]))
        return 0;
    if (l->direct)
        return column_direct(l, (size_t)k, (uint16_t)pid, n, unit_ids, values);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        m += unit_at(l, unit_ids[i]) >= 0;
    if (BUF_GROW(&l->cols, &l->capcols, l->ncols + 1, BUF_UNCAPPED) < 0)
        return -ENOMEM;
    struct lcol *col = &l->cols[l->ncols];
    *col = (struct lcol){malloc((m ? m : 1) * sizeof(uint32_t)),
                         malloc((m ? m : 1) * sizeof(double)), 0, (uint16_t)k, (uint16_t)pid};
    if (!col->unit || !col->v) {
        free(col->unit);
        free(col->v);
        return -ENOMEM;
    }
    l->ncols++;
    for (size_t i = 0; i < n; i++) {
        long u = unit_at(l, unit_ids[i]);
        if (u >= 0) {
            col->unit[col->n] = (uint32_t)u;
            col->v[col->n++] = values[i];
        }
    }
    return 0;
}

/* The store ids of c's units (contract in compute_priv.h). */
long cmp_unit_ids(struct compute *c, struct store *st)
{
    int64_t *db = realloc(c->unit_db, (c->nu ? c->nu : 1) * sizeof(int64_t));
    long unknown = 0;

    if (!db)
        return -ENOMEM;
    c->unit_db = db;
    for (size_t u = 0; u < c->nu; u++) {
        c->unit_db[u] = store_unit_id(st, c->units[u].id, strlen(c->units[u].id));
        unknown += c->unit_db[u] < 0;
    }
    c->unit_db_set = 1;
    return unknown;
}

/* store id -> config index maps from the store's look-ups. The units' map
 * spans the store ids of c's units only, so a one-unit snapshot's costs
 * what the unit does, not the store's largest unit id. */
static int build_maps(struct loader *l, struct store *st)
{
    struct compute *c = l->c;
    int64_t min_u = INT64_MAX, max_u = -1, max_i = 0;
    long rc;

    if (c->ni > UINT16_MAX) { /* struct rawobs keeps indicator indices in 16 bits */
        log_err("compute: %zu indicators, at most %d fit", c->ni, UINT16_MAX);
        return -EINVAL;
    }
    if (!c->unit_db_set && (rc = cmp_unit_ids(c, st)) < 0)
        return (int)rc;
    for (size_t u = 0; u < c->nu; u++) {
        int64_t id = c->unit_db[u];
        if (id >= 0) {
            min_u = id < min_u ? id : min_u;
            max_u = id > max_u ? id : max_u;
        }
    }
    for (size_t k = 0; k < c->ni; k++) {
        int64_t id = store_indicator_id(st, c->inds[k].code, strlen(c->inds[k].code));
        max_i = id > max_i ? id : max_i;
    }
    l->unit_base = max_u >= 0 ? min_u : 0;
    l->nunit_of = max_u >= 0 ? (size_t)(max_u - min_u) + 1 : 1;
    l->nind_of = (size_t)max_i + 1;
    l->unit_of = malloc(l->nunit_of * sizeof(long));
    l->ind_of = malloc(l->nind_of * sizeof(long));
    if (!l->unit_of || !l->ind_of)
        return -ENOMEM;
    memset(l->unit_of, 0xff, l->nunit_of * sizeof(long));
    memset(l->ind_of, 0xff, l->nind_of * sizeof(long));
    for (size_t u = 0; u < c->nu; u++)
        if (c->unit_db[u] >= 0)
            l->unit_of[c->unit_db[u] - l->unit_base] = (long)u;
    for (size_t k = 0; k < c->ni; k++) {
        int64_t id = store_indicator_id(st, c->inds[k].code, strlen(c->inds[k].code));
        if (id >= 0)
            l->ind_of[id] = (long)k;
    }
    return 0;
}

/* Period values of cumulative indicator k from its year-to-date values. */
static void decumulate(struct compute *c, size_t k)
{
    struct cseries *s = &c->s[k];
    size_t f = (size_t)s->freq, np = cmp_nper(c, s->freq);
    double out[12];
    unsigned fl[12];

    for (size_t u = 0; u < c->nu; u++)
        for (int y = 0; y < c->nyears; y++) {
            const double *cum = c->cum[k] + u * np + (size_t)y * f;
            double *v = s->v + u * np + (size_t)y * f;
            if (ytd_periods(s->freq, cum, f, out, fl) < 0)
                continue;
            for (size_t j = 0; j < f; j++) {
                v[j] = out[j];
                s->fl[u * np + (size_t)y * f + j] |=
                    fl[j] & YTD_TWO_MONTHS ? COMPUTE_FLAG_TWO_MONTHS : 0;
            }
        }
}

/*
 * Rolls up one array (unit x period) of indicator k in place: units without
 * an own value and with children get the sum of their children, with coverage
 * and flags when cov/fl are not NULL. So do the parents of a hierarchy check
 * with precedence "rolled_up" (compute/checks.c), whose own values are kept
 * for that check.
 */
static int rollup_array(struct compute *c, size_t k, double *v, double *cov, unsigned *fl)
{
    size_t np = cmp_nper(c, c->inds[k].freq), nu = c->nu;
    int *parent = malloc(nu * sizeof(int));
    double *col = malloc(nu * sizeof(double));
    struct rollup_result *res = malloc(nu * sizeof(*res));
    char *inner = malloc(nu ? nu : 1);
    unsigned char *rolled = NULL; /* parents whose own value gives way */
    int rc = -ENOMEM;

    if (!parent || !col || !res || !inner || cmp_checks_rolled_up(c, k, &rolled) < 0)
        goto out;
    for (size_t p = 0; p < np; p++) {
        int any = 0;
        if (c->partial && c->placed && c->placed[k] && !c->placed[k][p])
            continue; /* nothing placed: every value NaN, a period not read */
        for (size_t u = 0; u < nu; u++)
            any |= !isnan(col[u] = v[u * np + p]);
        if (!any && c->partial)
            continue; /* a period not read: nothing of it is written */
        for (size_t u = 0; u < nu; u++) {
            long pi = c->units[u].parent_index;
            /* A parent that reported its own value is a leaf of this roll-up. */
            parent[u] = pi >= 0 && (isnan(col[pi]) || (rolled && rolled[pi])) ? (int)pi : -1;
        }
        memset(inner, 0, nu);
        for (size_t u = 0; u < nu; u++)
            if (parent[u] >= 0)
                inner[parent[u]] = 1;
        if ((rc = rollup_sum(parent, nu, col, res)) < 0)
            goto out;
        for (size_t u = 0; u < nu; u++) {
            if (!inner[u] || (!isnan(col[u]) && !(rolled && rolled[u])))
                continue;
            if (!isnan(col[u]) && (rc = cmp_checks_keep_own(c, k, u * np + p, col[u])) < 0)
                goto out;
            v[u * np + p] = res[u].value;
            if (cov)
                cov[u * np + p] = res[u].coverage;
            if (fl)
                fl[u * np + p] |= COMPUTE_FLAG_ROLLED_UP |
                                  (res[u].flags & ROLLUP_INCOMPLETE ? COMPUTE_FLAG_INCOMPLETE : 0);
        }
    }
    rc = 0;
out:
    free(parent);
    free(col);
    free(res);
    free(inner);
    free(rolled);
    return rc;
}

/* The series of every indicator, one after the other, each filled from its
 * columns as soon as it exists and the columns freed (so the columns and the
 * series are not held whole at once); then the rows, which override. */
static int place_obs(struct compute *c, struct loader *l)
{
    long *pos = malloc((l->pc.n ? l->pc.n : 1) * sizeof(long));
    if (!pos)
        return -ENOMEM;
    for (size_t i = 0; i < l->pc.n; i++)
        pos[i] = cmp_period_pos(c, l->pc.p[i]);
    for (size_t k = 0; k < c->ni; k++) {
        if (!cmp_wants(c, k))
            continue; /* its series stays empty (v NULL); its rows were not kept */
        int rc = c->s[k].v ? 0 : cmp_series_alloc(c, c->inds[k].freq, &c->s[k]);
        if (rc < 0) {
            free(pos);
            return rc;
        }
        size_t np = cmp_nper(c, c->inds[k].freq);
        if (c->inds[k].cumulative && !c->inds[k].formula) {
            size_t n = c->nu * np;
            if (!(c->cum[k] = malloc((n ? n : 1) * sizeof(double)))) {
                free(pos);
                return -ENOMEM;
            }
            for (size_t i = 0; i < n; i++)
                c->cum[k][i] = NAN;
        }
        double *dst = c->cum[k] ? c->cum[k] : c->s[k].v;
        unsigned char *placed = NULL;
        if (c->placed && !(placed = c->placed[k] = calloc(np ? np : 1, 1))) {
            free(pos);
            return -ENOMEM;
        }
        for (size_t j = 0; j < l->ncols; j++) {
            struct lcol *col = &l->cols[j];
            if (col->ind != k)
                continue;
            size_t at = (size_t)pos[col->pid];
            if (placed && col->n)
                placed[at] = 1;
            for (size_t i = 0; col->unit && i < col->n; i++)
                dst[col->unit[i] * np + at] = col->v[i];
            free(col->unit);
            free(col->v);
            col->unit = NULL;
            col->v = NULL;
        }
    }
    for (size_t i = 0; i < l->n; i++) {
        const struct rawobs *o = &l->obs[i];
        size_t at = o->unit * cmp_nper(c, c->inds[o->ind].freq) + (size_t)pos[o->pid];
        if (c->placed && c->placed[o->ind])
            c->placed[o->ind][pos[o->pid]] = 1;
        if (c->cum[o->ind])
            c->cum[o->ind][at] = o->v;
        else
            c->s[o->ind].v[at] = o->v;
    }
    free(pos);
    return 0;
}

/* Period values, then roll-ups of flows and stocks, then rates and formulas. */
static int prepare_series(struct compute *c)
{
    int rc = 0;
    for (size_t k = 0; k < c->ni && rc == 0; k++) {
        const struct config_indicator *ind = &c->inds[k];
        if (ind->formula || !cmp_wants(c, k))
            continue;
        if (c->cum[k]) {
            /* Sums of year-to-date values are the year-to-date values of the
             * sum, so the roll-up runs on them and the coverage of a period
             * value is that of its year-to-date value. */
            if (!c->no_rollups)
                rc = rollup_array(c, k, c->cum[k], c->s[k].cov, c->s[k].fl);
            decumulate(c, k);
        } else if (ind->kind != CONFIG_RATE && !c->no_rollups) {
            rc = rollup_array(c, k, c->s[k].v, c->s[k].cov, c->s[k].fl);
        }
    }
    for (size_t k = 0; k < c->ni && rc == 0; k++)
        if (cmp_wants(c, k) && !c->inds[k].formula && c->inds[k].kind == CONFIG_RATE &&
            c->inds[k].numerator && c->inds[k].denominator)
            rc = cmp_rate_rollup(c, k);
    return rc ? rc : cmp_derived_all(c);
}

static int new_snapshot(struct compute **out, const struct config *cfg)
{
    struct compute *c = calloc(1, sizeof(*c));
    const char **codes = NULL;
    char err[256] = "";
    int rc = -ENOMEM;

    if (!c)
        return -ENOMEM;
    *out = c;
    c->cfg = cfg;
    c->units = config_units(cfg, &c->nu);
    c->inds = config_indicators(cfg, &c->ni);
    /* unit_db is sized by build_maps() (or a one-unit copy) for the units
     * the snapshot keeps: a one-unit series does not clear 1.6 MB for
     * 200,000 units. */
    c->s = calloc(c->ni ? c->ni : 1, sizeof(*c->s));
    c->cum = calloc(c->ni ? c->ni : 1, sizeof(double *));
    codes = malloc((c->ni ? c->ni : 1) * sizeof(char *));
    if (!c->s || !c->cum || !codes)
        goto out;
    size_t nformulas = 0;
    for (size_t k = 0; k < c->ni; k++) {
        codes[k] = c->inds[k].code;
        nformulas += c->inds[k].formula != NULL;
    }
    /* The formulas' environment (an SQLite database in memory: about a
     * third of one unit's series) only when the config has formulas: only
     * they use it. */
    rc = nformulas ? formula_env_new(&c->env, codes, c->ni, err, sizeof(err)) : 0;
    if (rc == -EINVAL)
        log_err("compute: the formulas' environment of %zu indicators: %s", c->ni, err);
out:
    free(codes);
    return rc;
}

/* Whole years y0 .. y0 + nyears - 1 held. */
static void span_years(struct compute *c)
{
    c->mon0 = (long)c->y0 * 12;
    c->nmon = (size_t)c->nyears * 12;
}

/* The months of a partial snapshot of period length align: from the first
 * month of the first period used to the last of the last, in whole
 * multiples of align (contract of struct cmp_months). */
static void span_months(struct compute *c, const struct loader *l, const unsigned char *used,
                        long align)
{
    long lo = 0, hi = 0;
    int any = 0;
    for (size_t i = 0; i < l->pc.n; i++) {
        long a, b;
        if (!used[i])
            continue;
        months_of(l->pc.p[i], &a, &b);
        lo = !any || a < lo ? a : lo;
        hi = !any || b > hi ? b : hi;
        any = 1;
    }
    if (!any)
        return; /* no data: nyears and nmon 0 */
    lo -= lo % align;
    hi += align - 1 - hi % align;
    c->mon0 = lo;
    c->nmon = (size_t)(hi - lo + 1);
}

/* The years of the kept observations: those of the periods they use; the
 * months held (whole years, or a partial load's span). */
static int year_range(struct loader *l)
{
    unsigned char *used = calloc(l->pc.n ? l->pc.n : 1, 1);
    int first = 1;
    if (!used)
        return -ENOMEM;
    for (size_t i = 0; i < l->n; i++)
        used[l->obs[i].pid] = 1;
    for (size_t i = 0; i < l->ncols; i++)
        used[l->cols[i].pid] |= l->cols[i].n > 0;
    l->c->y0 = 0;
    l->c->nyears = 0;
    for (size_t i = 0; i < l->pc.n; i++) {
        int y = l->pc.p[i].year;
        if (!used[i])
            continue;
        if (first || y < l->c->y0) {
            l->c->nyears = first ? 1 : l->c->nyears + (l->c->y0 - y);
            l->c->y0 = y;
        }
        if (y >= l->c->y0 + l->c->nyears)
            l->c->nyears = y - l->c->y0 + 1;
        first = 0;
    }
    span_years(l->c);
    if (l->only && l->only->align > 0 && l->only->align < 12)
        span_months(l->c, l, used, l->only->align);
    free(used);
    return 0;
}

/* Frees the placed flags of a partial load (they serve the roll-ups only). */
static void free_placed(struct compute *c)
{
    for (size_t k = 0; c->placed && k < c->ni; k++)
        free(c->placed[k]);
    free(c->placed);
    c->placed = NULL;
}

/* Builds the snapshot (contract in compute.h). */
int compute_open(struct compute **out, struct store *st, const struct config *cfg, int64_t as_of,
                 const struct compute_opts *o)
{
    int rc = cmp_open_empty(out, cfg, o);
    if (rc == 0 && (rc = cmp_load(*out, st, as_of, NULL)) < 0)
        compute_free(out);
    return rc;
}

/* A snapshot without data (contract in compute_priv.h). */
int cmp_open_empty(struct compute **out, const struct config *cfg, const struct compute_opts *o)
{
    struct compute *c = NULL;
    int rc = new_snapshot(&c, cfg);
    if (rc == 0 && o)
        c->opts = *o;
    if (rc < 0)
        compute_free(&c);
    *out = c;
    return rc;
}

/*
 * A partial load cut to whole periods of one frequency (struct cmp_months,
 * align below 12; so no indicator is cumulative) places the columns into
 * the series as they are read, over the months of every wanted period:
 * no copy of the columns is kept (at 200,000 units 2.4 MB each). The
 * periods read then narrow the span (direct_span). Else nothing to do.
 */
static int direct_start(struct loader *l, int64_t as_of)
{
    struct compute *c = l->c;
    const struct cmp_months *m = l->only;
    long lo = 0, hi = 0;
    int rc = 0;

    if (!m || m->n == 0 || m->align <= 0 || m->align >= 12 || as_of || c->opts.walk_table)
        return 0;
    for (size_t i = 0; i < m->n; i++) {
        lo = i == 0 || m->lo[i] < lo ? m->lo[i] : lo;
        hi = i == 0 || m->hi[i] > hi ? m->hi[i] : hi;
    }
    lo -= lo % m->align;
    hi += m->align - 1 - hi % m->align;
    c->mon0 = l->mon0 = lo;
    c->nmon = l->nmon = (size_t)(hi - lo + 1);
    for (size_t k = 0; k < c->ni && rc == 0; k++)
        if (cmp_wants(c, k))
            rc = cmp_series_alloc(c, c->inds[k].freq, &c->s[k]);
    l->direct = rc == 0;
    return rc;
}

/* Back to reading without direct placement (the series go, and the
 * columns noted, values placed in them). */
static void direct_stop(struct loader *l)
{
    for (size_t k = 0; l->direct && k < l->c->ni; k++)
        cmp_series_free(&l->c->s[k]);
    if (l->direct)
        l->ncols = 0;
    l->direct = 0;
}

/* The series placed directly, from the months they were made for to the
 * span of the periods read (year_range: the same or within): 0 or -ENOMEM. */
static int direct_span(struct loader *l)
{
    struct compute *c = l->c;
    if (!l->direct || (c->mon0 == l->mon0 && c->nmon == l->nmon))
        return 0;
    if (c->nmon && (c->mon0 < l->mon0 || c->mon0 + (long)c->nmon > l->mon0 + (long)l->nmon))
        return -EINVAL; /* cannot be: the periods read lie in the months wanted */
    for (size_t k = 0; k < c->ni; k++) {
        struct cseries *s = &c->s[k], n = {0};
        size_t len = 12 / (size_t)s->freq, np = l->nmon / len, np2 = cmp_nper(c, s->freq);
        size_t shift = c->nmon ? (size_t)(c->mon0 - l->mon0) / len : 0;
        if (!s->v)
            continue;
        if (cmp_series_alloc(c, s->freq, &n) < 0)
            return -ENOMEM;
        for (size_t u = 0; u < c->nu; u++)
            for (size_t p = 0; p < np2 && p + shift < np; p++)
                n.v[u * np2 + p] = s->v[u * np + p + shift];
        cmp_series_free(s); /* nothing but values placed yet: coverage 1, no flags */
        *s = n;
    }
    return 0;
}

/* Loads the observations into c (contract in compute_priv.h). */
int cmp_load(struct compute *c, struct store *st, int64_t as_of, const struct cmp_months *only)
{
    struct loader l = {0}, l2 = {0};
    struct store_walk_opts wo = {0};
    int rc;

    l.c = c;
    l.only = only;
    c->partial = only != NULL;
    if ((rc = build_maps(&l, st)) < 0)
        goto out;
    if ((rc = direct_start(&l, as_of)) < 0)
        goto out;
    wo = (struct store_walk_opts){.ex = c->opts.ex,
                                  .split_pages = c->opts.walk_split_pages,
                                  .want_period = only ? want_text : NULL,
                                  .want_ctx = (void *)only,
                                  .defer_merge = only ? LOAD_DEFER_MERGE : 0};
    /* Current values from the column copy; as of a time, or when the copy
     * is far behind, two halves of the units read at once, then one list.
     * Rows after the columns replace them (place_obs: the last one wins). */
    rc = as_of || c->opts.walk_table ? -EAGAIN : store_obs_current(st, &wo, on_column, on_obs, &l);
    if (rc == 0) {
        c->load_parts = 0;
    } else if (rc == -EAGAIN) {
        direct_stop(&l); /* rows only: placed after the read */
        l2 = l;
        l2.obs = NULL;
        l2.n = l2.cap = 0;
        l2.cols = NULL;
        l2.ncols = l2.capcols = 0;
        void *parts[2] = {&l, &l2};
        if ((rc = store_obs_walk_split(st, as_of, &wo, on_obs, parts)) < 0)
            goto out;
        c->load_parts = rc;
        if ((rc = merge_parts(&l, &l2)) < 0)
            goto out;
    } else {
        goto out;
    }
    /* a partial read notes where it placed values: the roll-ups skip the
     * periods not read without scanning them */
    if (c->partial && !(c->placed = calloc(c->ni ? c->ni : 1, sizeof(*c->placed)))) {
        rc = -ENOMEM;
        goto out;
    }
    if ((rc = year_range(&l)) < 0 || (rc = direct_span(&l)) < 0 || (rc = place_obs(c, &l)) < 0 ||
        (rc = prepare_series(c)) < 0)
        goto out;
out:
    free_placed(c);
    free(l.unit_of);
    free(l.ind_of);
    free(l.obs);
    for (size_t i = 0; i < l.ncols; i++) {
        free(l.cols[i].unit);
        free(l.cols[i].v);
    }
    free(l.cols);
    free(l.pc.p);
    free(l2.obs);
    free(l2.pc.p);
    return rc;
}

/* Years seen by compute_years(): those of the periods a snapshot keeps. */
struct years_walk {
    struct loader l;
    int any, y0, y1;
};

static void years_take(struct years_walk *w, long k, const char *period, size_t len)
{
    struct period p;
    if (k < 0 || period_parse(&p, period, len) < 0 || p.freq != w->l.c->inds[k].freq)
        return;
    if (!w->any || p.year < w->y0)
        w->y0 = p.year;
    if (!w->any || p.year > w->y1)
        w->y1 = p.year;
    w->any = 1;
}

static int years_column(int64_t ind_id, const char *period, size_t len, void *ctx)
{
    struct years_walk *w = ctx;
    if (ind_id >= 0 && (size_t)ind_id < w->l.nind_of)
        years_take(w, w->l.ind_of[ind_id], period, len);
    return 0;
}

static int years_row(int64_t unit_id, int64_t ind_id, const char *period, size_t len, double value,
                     void *ctx)
{
    struct years_walk *w = ctx;
    (void)value;
    if (ind_id >= 0 && (size_t)ind_id < w->l.nind_of && unit_at(&w->l, unit_id) >= 0)
        years_take(w, w->l.ind_of[ind_id], period, len);
    return 0;
}

/* The years of a whole-store snapshot (contract in compute.h). */
int compute_years(struct store *st, const struct config *cfg, struct compute_years *out)
{
    struct years_walk w = {0};
    int rc = cmp_open_empty(&w.l.c, cfg, NULL);

    *out = (struct compute_years){0, 0};
    if (rc == 0 && (rc = build_maps(&w.l, st)) == 0) {
        rc = store_obs_periods(st, years_column, years_row, &w);
        if (rc == -EAGAIN) {
            w.any = 0;
            rc = store_obs_walk_ids(st, 0, years_row, &w);
        }
    }
    if (rc == 0 && w.any)
        *out = (struct compute_years){w.y0, w.y1 - w.y0 + 1};
    free(w.l.unit_of);
    free(w.l.ind_of);
    compute_free(&w.l.c);
    return rc;
}

/* The children of every config unit: those of unit u are
 * child[first[u] .. first[u + 1]), in config order. */
struct compute_tree {
    size_t n;
    size_t *first; /* n + 1 */
    size_t *child; /* n */
};

/* The children lists of cfg's units (contract in compute.h). */
int compute_tree_new(const struct config *cfg, struct compute_tree **out)
{
    struct compute_tree *t = calloc(1, sizeof(*t));
    const struct config_unit *all = config_units(cfg, t ? &t->n : &(size_t){0});
    size_t *at = NULL;

    *out = NULL;
    if (!t || !(t->first = calloc(t->n + 1, sizeof(size_t))) ||
        !(t->child = malloc((t->n ? t->n : 1) * sizeof(size_t))) ||
        !(at = malloc((t->n ? t->n : 1) * sizeof(size_t)))) {
        free(at);
        compute_tree_free(&t);
        return -ENOMEM;
    }
    for (size_t u = 0; u < t->n; u++)
        if (all[u].parent_index >= 0)
            t->first[all[u].parent_index + 1]++;
    for (size_t u = 0; u < t->n; u++) {
        t->first[u + 1] += t->first[u];
        at[u] = t->first[u];
    }
    for (size_t u = 0; u < t->n; u++)
        if (all[u].parent_index >= 0)
            t->child[at[all[u].parent_index]++] = u;
    free(at);
    *out = t;
    return 0;
}

void compute_tree_free(struct compute_tree **tp)
{
    struct compute_tree *t = tp ? *tp : NULL;
    if (!t)
        return;
    free(t->first);
    free(t->child);
    free(t);
    *tp = NULL;
}

static int by_index(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

/* The position of config unit g in the subtree list cfg_of[0..m) (the root
 * first, then ascending), or -1. */
static long sub_pos(const long *cfg_of, size_t m, long g)
{
    if (m == 0)
        return -1;
    if (cfg_of[0] == g)
        return 0;
    const long *hit = bsearch(&g, cfg_of + 1, m - 1, sizeof(long), by_index);
    return hit ? hit - cfg_of : -1;
}

/*
 * Narrows c to the subtree of config unit r: the unit first, then the units
 * below it in config order, so roll-ups add in the order a whole-store
 * snapshot does (contract of struct compute in compute_priv.h).
 */
static int subtree(struct compute *c, const struct compute_tree *t, long r)
{
    const struct config_unit *all = c->units;
    size_t m = 1, cap = 16;
    long *list = malloc(cap * sizeof(long));

    if (!list)
        return -ENOMEM;
    list[0] = r;
    for (size_t i = 0; i < m; i++) { /* breadth first */
        size_t u = (size_t)list[i];
        for (size_t j = t->first[u]; j < t->first[u + 1]; j++) {
            if (m == cap) {
                long *grown = realloc(list, 2 * cap * sizeof(long));
                if (!grown) {
                    free(list);
                    return -ENOMEM;
                }
                list = grown;
                cap *= 2;
            }
            list[m++] = (long)t->child[j];
        }
    }
    qsort(list + 1, m - 1, sizeof(long), by_index);
    c->cfg_of = list;
    c->sub_units = malloc(m * sizeof(*c->sub_units));
    if (!c->sub_units)
        return -ENOMEM;
    for (size_t i = 0; i < m; i++) {
        c->sub_units[i] = all[list[i]];
        c->sub_units[i].parent_index = i ? sub_pos(list, m, all[list[i]].parent_index) : -1;
    }
    c->units = c->sub_units;
    c->nu = m;
    return 0;
}

/* Marks indicator k and, recursively, the indicators it is computed from
 * (a rate's numerator and denominator, a formula's references). */
static int want_with_inputs(struct compute *c, size_t k)
{
    const struct config_indicator *ind = &c->inds[k];
    int rc = 0;

    if (c->want[k])
        return 0;
    c->want[k] = 1;
    if (ind->kind == CONFIG_RATE && ind->numerator && ind->denominator) {
        long kn = config_indicator_find(c->cfg, ind->numerator, strlen(ind->numerator));
        long kd = config_indicator_find(c->cfg, ind->denominator, strlen(ind->denominator));
        if (kn >= 0 && (rc = want_with_inputs(c, (size_t)kn)) < 0)
            return rc;
        if (kd >= 0 && (rc = want_with_inputs(c, (size_t)kd)) < 0)
            return rc;
    }
    if (ind->formula && c->env) {
        size_t *refs = NULL, nrefs = 0;
        rc = formula_env_check(c->env, ind->formula, &refs, &nrefs, NULL, 0);
        for (size_t j = 0; rc == 0 && j < nrefs; j++)
            rc = want_with_inputs(c, refs[j]);
        free(refs);
    }
    return rc;
}

/*
 * Column entries (one unit's value in a column of the column copy) that
 * cost as much as one row read unit by unit from the observation table
 * (measured at 200,000 units, docs/BENCHMARKS.md "A parent's series from
 * the column copy"): the columns hold every unit of the store, the rows
 * every indicator of the subtree's units only.
 */
#define UNIT_COL_PER_ROW 16

/* 1 when reading the wanted indicators' columns (every unit of the store,
 * nall) costs less than every row of c's subtree units. */
static int cheaper_by_columns(const struct compute *c, size_t nall)
{
    size_t nwant = 0;
    for (size_t k = 0; k < c->ni; k++)
        nwant += cmp_wants(c, k) != 0;
    /* both over the same periods, which cancel */
    return (double)c->nu * (double)c->ni * UNIT_COL_PER_ROW >= (double)nwant * (double)nall;
}

static int by_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Reads the current values of l's subtree (its units' database ids
 * ids[0..nids), ascending) into l: the wanted indicators' columns and the
 * touched units' rows when how asks for them (or they are cheaper), else
 * every row of each unit; *used says which was read. */
static int read_subtree(struct loader *l, struct store *st, const int64_t *ids, size_t nids,
                        enum compute_unit_read how, enum compute_unit_read *used)
{
    size_t nall = 0, nind = 0;
    int rc = -EAGAIN;

    config_units(l->c->cfg, &nall);
    if (how == COMPUTE_READ_COLUMNS ||
        (how == COMPUTE_READ_AUTO && cheaper_by_columns(l->c, nall))) {
        int64_t *ind_ids = malloc((l->nind_of ? l->nind_of : 1) * sizeof(int64_t));
        if (!ind_ids)
            return -ENOMEM;
        for (size_t i = 0; i < l->nind_of; i++)
            if (l->ind_of[i] >= 0)
                ind_ids[nind++] = (int64_t)i;
        rc = store_obs_current_of(st, ind_ids, nind, ids, nids, on_column, on_obs, l);
        free(ind_ids);
        if (rc == -EAGAIN) { /* nothing kept yet: the copy is read before the rows */
            for (size_t i = 0; i < l->ncols; i++) {
                free(l->cols[i].unit);
                free(l->cols[i].v);
            }
            l->ncols = 0;
            l->n = 0;
        }
    }
    *used = rc == -EAGAIN ? COMPUTE_READ_ROWS : COMPUTE_READ_COLUMNS;
    return rc == -EAGAIN ? store_obs_units(st, ids, nids, on_obs, l) : rc;
}

/* One unit's subtree (contract in compute.h). */
int compute_open_unit(struct compute **out, struct store *st, const struct config *cfg,
                      const struct compute_tree *tree, const char *unit, const char *ind,
                      const struct compute_years *y, const struct compute_opts *o)
{
    return compute_open_unit_by(out, st, cfg, tree, unit, ind, y, o, COMPUTE_READ_AUTO, NULL);
}

/* One unit's subtree, read as asked (contract in compute.h). */
int compute_open_unit_by(struct compute **out, struct store *st, const struct config *cfg,
                         const struct compute_tree *tree, const char *unit, const char *ind,
                         const struct compute_years *y, const struct compute_opts *o,
                         enum compute_unit_read how, enum compute_unit_read *used)
{
    struct compute_tree *own = NULL;
    struct loader l = {0};
    enum compute_unit_read got = COMPUTE_READ_ROWS;
    int64_t *ids = NULL;
    size_t nids = 0;
    long r = config_unit_find(cfg, unit, strlen(unit));
    int rc = r < 0 ? -ENOENT : cmp_open_empty(out, cfg, o);

    if (used)
        *used = COMPUTE_READ_ROWS;
    if (rc < 0)
        return rc;
    l.c = *out;
    if (!tree && (rc = compute_tree_new(cfg, &own)) < 0)
        goto out;
    if ((rc = subtree(l.c, tree ? tree : own, r)) < 0 || (rc = build_maps(&l, st)) < 0)
        goto out;
    if (ind) { /* only the indicator and its inputs: rows of the others are not kept */
        long k = config_indicator_find(cfg, ind, strlen(ind));
        if (k < 0) {
            rc = -ENOENT;
            goto out;
        }
        if (!(l.c->want = calloc(l.c->ni ? l.c->ni : 1, 1))) {
            rc = -ENOMEM;
            goto out;
        }
        if ((rc = want_with_inputs(l.c, (size_t)k)) < 0)
            goto out;
        for (size_t i = 0; i < l.nind_of; i++)
            if (l.ind_of[i] >= 0 && !l.c->want[l.ind_of[i]])
                l.ind_of[i] = -1;
    }
    if (!(ids = malloc(l.c->nu * sizeof(int64_t)))) {
        rc = -ENOMEM;
        goto out;
    }
    for (size_t u = 0; u < l.c->nu; u++)
        if (l.c->unit_db[u] >= 0)
            ids[nids++] = l.c->unit_db[u];
    qsort(ids, nids, sizeof(*ids), by_id);
    if ((rc = read_subtree(&l, st, ids, nids, how, &got)) < 0 || (rc = year_range(&l)) < 0)
        goto out;
    /* the whole store's years, and the subtree's own should they reach beyond */
    if (y->nyears > 0) {
        struct compute *c = l.c;
        int end = c->nyears ? c->y0 + c->nyears : y->y0 + y->nyears;
        if (y->y0 + y->nyears > end)
            end = y->y0 + y->nyears;
        if (!c->nyears || y->y0 < c->y0)
            c->y0 = y->y0;
        c->nyears = end - c->y0;
        span_years(c);
    }
    rc = place_obs(l.c, &l);
    if (rc == 0)
        rc = prepare_series(l.c);
    if (rc == 0 && used)
        *used = got;
out:
    compute_tree_free(&own);
    free(ids);
    free(l.unit_of);
    free(l.ind_of);
    free(l.obs);
    for (size_t i = 0; i < l.ncols; i++) {
        free(l.cols[i].unit);
        free(l.cols[i].v);
    }
    free(l.cols);
    free(l.pc.p);
    if (rc < 0)
        compute_free(out);
    return rc;
}

void compute_free(struct compute **cp)
{
    struct compute *c = cp ? *cp : NULL;
    if (!c)
        return;
    for (size_t k = 0; k < c->ni; k++) {
        if (c->s)
            cmp_series_free(&c->s[k]);
        if (c->cum)
            free(c->cum[k]);
    }
    free_placed(c);
    formula_env_free(&c->env);
    free(c->own);
    free(c->s);
    free(c->cum);
    free(c->unit_db);
    free(c->sub_units);
    free(c->cfg_of);
    free(c->want);
    free(c);
    *cp = NULL;
}
