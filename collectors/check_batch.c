/*
 * check_batch.c - consistency checks on a batch before it is stored (see
 * check_batch.h). Each place is evaluated by the pure checks of
 * aggregate/checks.h on arrays of one unit (a parent and its children for a
 * hierarchy) and one period (the periods of a year, two for a growth).
 */
#include "collectors/check_batch.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate/checks.h"
#include "common/buf.h"
#include "config/config.h"
#include "store/observations.h"
#include "store/store.h"

static const char *const rule_names[] = {"sum",       "range",        "growth",
                                         "hierarchy", "monotone_ytd", "ratio"};

/* A store id and its config index, for the look-up by id. */
struct idmap {
    int64_t id;
    long index;
};

/* A batch record's key and its index in the batch. */
struct bkey {
    int64_t unit, ind;
    int year, freq, index;
    size_t at;
};

/* A place to evaluate: check c at config unit u, period p. */
struct place {
    size_t check;
    long unit;
    struct period p;
};

/* A value a comparison reads: from the batch (obs >= 0) or the store. */
struct val {
    double v;
    long obs;
};

/* The violations of one evaluation at its place (at most two: a ratio's
 * range and numerator). */
struct hits {
    size_t want; /* the column of the place */
    struct check_violation hit[2];
    size_t n;
};

struct run {
    struct store *st;
    const struct config *cfg;
    const struct config_unit *units;
    size_t nu;
    const struct config_indicator *inds;
    size_t ni;
    const struct config_check *checks;
    size_t nc;
    int64_t *uid, *iid; /* store id per config index, -1: unknown */
    struct idmap *umap, *imap;
    long *first_child, *next_sibling;
    const struct store_obs *obs;
    struct bkey *keys;     /* sorted */
    unsigned char **masks; /* per check; NULL: every unit */
    struct place *pl;
    size_t npl, cap_pl;
    int skip_refused; /* 1: a refused record reads as not in the batch */
    struct val *vals; /* scratch: the values of one evaluation */
    double *dv;
    size_t cap_vals, cap_dv;
    struct check_batch *out;
};

static int idmap_cmp(const void *a, const void *b)
{
    int64_t x = ((const struct idmap *)a)->id, y = ((const struct idmap *)b)->id;

    return (x > y) - (x < y);
}

/* The config index of store id, or -1. */
static long idmap_find(const struct idmap *m, size_t n, int64_t id)
{
    struct idmap key = {id, -1};
    const struct idmap *hit = n > 0 ? bsearch(&key, m, n, sizeof(*m), idmap_cmp) : NULL;

    return hit ? hit->index : -1;
}

static int bkey_cmp(const void *a, const void *b)
{
    const struct bkey *x = a, *y = b;

    if (x->unit != y->unit)
        return x->unit < y->unit ? -1 : 1;
    if (x->ind != y->ind)
        return x->ind < y->ind ? -1 : 1;
    if (x->year != y->year)
        return x->year < y->year ? -1 : 1;
    if (x->freq != y->freq)
        return x->freq < y->freq ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

static int place_cmp(const void *a, const void *b)
{
    const struct place *x = a, *y = b;

    if (x->check != y->check)
        return x->check < y->check ? -1 : 1;
    if (x->unit != y->unit)
        return x->unit < y->unit ? -1 : 1;
    return period_cmp(x->p, y->p);
}

/* The value of config unit u, indicator k at p: the batch's (NAN when the
 * batch says it is missing; the stored one when refused and skip_refused),
 * else the stored one, else NAN. 0 or -EIO. */
static int value_at(struct run *r, long u, long k, struct period p, struct val *out)
{
    struct bkey key;
    const struct bkey *hit;

    out->v = NAN;
    out->obs = -1;
    if (u < 0 || k < 0 || r->uid[u] < 0 || r->iid[k] < 0 || !period_valid(p))
        return 0;
    key = (struct bkey){r->uid[u], r->iid[k], p.year, (int)p.freq, p.index, 0};
    hit = r->out->n > 0 ? bsearch(&key, r->keys, r->out->n, sizeof(key), bkey_cmp) : NULL;
    if (hit && r->obs[hit->at].missing)
        return 0; /* the batch says "no value": missing, whatever is stored */
    if (hit && !(r->skip_refused && r->out->refused[hit->at])) {
        out->v = r->obs[hit->at].value;
        out->obs = (long)hit->at;
        return 0;
    }
    return store_checks_current(r->st, r->uid[u], r->iid[k], p, &out->v);
}

/* The units check ck covers as a mask (NULL: every unit). */
static int unit_mask(const struct run *r, const struct config_units_sel *sel, unsigned char **mask)
{
    unsigned char *m;

    *mask = NULL;
    if (sel->kind == CONFIG_UNITS_ALL)
        return 0;
    if (!(m = calloc(r->nu ? r->nu : 1, 1)))
        return -ENOMEM;
    for (size_t u = 0; u < r->nu; u++) {
        if (sel->kind == CONFIG_UNITS_CHILDREN)
            m[u] = r->units[u].parent_index == sel->anchor;
        else if (sel->kind == CONFIG_UNITS_DESCENDANTS)
            for (long p = r->units[u].parent_index; p >= 0 && !m[u]; p = r->units[p].parent_index)
                m[u] = p == sel->anchor;
    }
    if (sel->kind == CONFIG_UNITS_LIST)
        for (size_t i = 0; i < sel->n_list; i++)
            if (sel->list[i] >= 0 && (size_t)sel->list[i] < r->nu)
                m[sel->list[i]] = 1;
    *mask = m;
    return 0;
}

static int covers(const struct run *r, size_t c, long u)
{
    return u >= 0 && (!r->masks[c] || r->masks[c][u]);
}

static int add_place(struct run *r, size_t c, long u, struct period p)
{
    if (!covers(r, c, u) || !period_valid(p))
        return 0;
    if (BUF_GROW(&r->pl, &r->cap_pl, r->npl + 1, BUF_UNCAPPED) < 0)
        return -ENOMEM;
    r->pl[r->npl++] = (struct place){c, u, p};
    return 0;
}

/* Indicator k's rate components, when both are of its frequency. */
static void rate_parts(const struct run *r, long k, long *num, long *den)
{
    const struct config_indicator *ind = &r->inds[k];

    *num = *den = -1;
    if (!ind->numerator || !ind->denominator)
        return;
    *num = config_indicator_find(r->cfg, ind->numerator, strlen(ind->numerator));
    *den = config_indicator_find(r->cfg, ind->denominator, strlen(ind->denominator));
    if (*num < 0 || *den < 0 || r->inds[*num].freq != ind->freq || r->inds[*den].freq != ind->freq)
        *num = *den = -1;
}

/* The places of check c that record (unit u, indicator k, period p) touches. */
static int places_of(struct run *r, size_t c, long u, long k, struct period p)
{
    const struct config_check *ck = &r->checks[c];
    long total = ck->indicator, num, den;
    int rc = 0, touches = k == total;

    if (total < 0)
        return 0;
    switch (ck->rule) {
    case CONFIG_CHECK_SUM:
        for (size_t i = 0; i < ck->n_parts; i++)
            touches |= ck->parts[i] == k;
        return touches && p.freq == r->inds[total].freq ? add_place(r, c, u, p) : 0;
    case CONFIG_CHECK_RANGE:
        return touches ? add_place(r, c, u, p) : 0;
    case CONFIG_CHECK_GROWTH:
        if (!touches || isnan(ck->max))
            return 0; /* an outlier needs every unit: the recompute's */
        if (ck->basis == CONFIG_CHECK_YOY)
            return (rc = add_place(r, c, u, p)) < 0 ? rc
                                                    : add_place(r, c, u, period_add(p, p.freq));
        return (rc = add_place(r, c, u, p)) < 0 ? rc : add_place(r, c, u, period_next(p));
    case CONFIG_CHECK_HIERARCHY:
        if (!touches)
            return 0;
        if (r->first_child[u] >= 0 && (rc = add_place(r, c, u, p)) < 0)
            return rc;
        return r->units[u].parent_index >= 0 ? add_place(r, c, r->units[u].parent_index, p) : 0;
    case CONFIG_CHECK_MONOTONE_YTD:
        for (struct period q = p; touches && rc == 0 && q.year == p.year; q = period_next(q))
            rc = add_place(r, c, u, q);
        return rc;
    case CONFIG_CHECK_RATIO:
        rate_parts(r, total, &num, &den);
        touches |= (num >= 0 && k == num) || (den >= 0 && k == den);
        return touches && p.freq == r->inds[total].freq ? add_place(r, c, u, p) : 0;
    }
    return 0;
}

static int take_hit(const struct check_violation *cv, void *arg)
{
    struct hits *h = arg;

    if (cv->period == h->want && h->n < 2)
        h->hit[h->n++] = *cv;
    return 0;
}

/* Room for n values in the scratch arrays. */
static int scratch(struct run *r, size_t n)
{
    if (BUF_GROW(&r->vals, &r->cap_vals, n, BUF_UNCAPPED) < 0 ||
        BUF_GROW(&r->dv, &r->cap_dv, n, BUF_UNCAPPED) < 0)
        return -ENOMEM;
    return 0;
}

/* Appends printf text to buf (size), cut at its end. */
static void append(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void append(char *buf, size_t size, const char *fmt, ...)
{
    size_t len = strlen(buf);
    va_list ap;

    if (len + 1 >= size)
        return;
    va_start(ap, fmt);
    // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized)
    vsnprintf(buf + len, size - len, fmt, ap);
    va_end(ap);
}

/* "a != b + c + ... (tolerance t)" of vals[0] against vals[1..n). */
static void sum_text(char *buf, size_t size, const struct val *v, size_t n, double tol)
{
    append(buf, size, "%.15g != ", v[0].v);
    for (size_t i = 1; i < n; i++)
        append(buf, size, "%s%.15g", i > 1 ? " + " : "", v[i].v);
    append(buf, size, " (tolerance %.15g)", tol);
}

/*
 * One evaluation's outcome: the violations (h), the values read (r->vals,
 * vals[0] the checked one), whether every value it needs was there
 * (*complete), and the reason text of each hit.
 */
struct eval {
    struct hits h;
    size_t nvals;
    int complete;
    char why[2][512];
};

static int eval_sum(struct run *r, const struct config_check *ck, const struct place *pl,
                    struct eval *e)
{
    size_t np = ck->n_parts;
    const double **parts;
    int rc;

    if ((rc = scratch(r, np + 1)) < 0 ||
        (rc = value_at(r, pl->unit, ck->indicator, pl->p, &r->vals[0])) < 0)
        return rc;
    for (size_t i = 0; i < np && rc == 0; i++)
        rc = value_at(r, pl->unit, ck->parts[i], pl->p, &r->vals[i + 1]);
    if (rc < 0)
        return rc;
    if (!(parts = malloc((np ? np : 1) * sizeof(*parts))))
        return -ENOMEM;
    e->nvals = np + 1;
    e->complete = 1;
    for (size_t i = 0; i < e->nvals; i++) {
        r->dv[i] = r->vals[i].v;
        e->complete &= !isnan(r->dv[i]);
    }
    for (size_t i = 0; i < np; i++)
        parts[i] = &r->dv[i + 1];
    rc = check_sum(&r->dv[0], parts, np, 1, 1, ck->tolerance, NULL, take_hit, &e->h);
    free(parts);
    if (e->h.n)
        sum_text(e->why[0], sizeof(e->why[0]), r->vals, e->nvals, ck->tolerance);
    return rc;
}

static int eval_hierarchy(struct run *r, const struct config_check *ck, const struct place *pl,
                          struct eval *e)
{
    size_t n = 1;
    long *parent;
    unsigned char *mask;
    int rc;

    for (long c = r->first_child[pl->unit]; c >= 0; c = r->next_sibling[c])
        n++;
    if ((rc = scratch(r, n)) < 0)
        return rc;
    parent = malloc(n * sizeof(*parent));
    mask = calloc(n, 1);
    if (!parent || !mask) {
        rc = -ENOMEM;
        goto out;
    }
    rc = value_at(r, pl->unit, ck->indicator, pl->p, &r->vals[0]);
    parent[0] = -1;
    mask[0] = 1;
    n = 1;
    for (long c = r->first_child[pl->unit]; c >= 0 && rc == 0; c = r->next_sibling[c]) {
        parent[n] = 0;
        rc = value_at(r, c, ck->indicator, pl->p, &r->vals[n++]);
    }
    if (rc < 0)
        goto out;
    e->nvals = n;
    e->complete = 1;
    for (size_t i = 0; i < n; i++) {
        r->dv[i] = r->vals[i].v;
        e->complete &= !isnan(r->dv[i]);
    }
    rc = check_hierarchy(r->dv, NULL, parent, n, 1, ck->tolerance, mask, take_hit, &e->h);
    if (e->h.n)
        sum_text(e->why[0], sizeof(e->why[0]), r->vals, n, ck->tolerance);
out:
    free(parent);
    free(mask);
    return rc;
}

static int eval_growth(struct run *r, const struct config_check *ck, const struct place *pl,
                       struct eval *e)
{
    int yoy = ck->basis == CONFIG_CHECK_YOY;
    struct period q = yoy ? period_same_last_year(pl->p) : period_prev(pl->p);
    int rc;

    if ((rc = scratch(r, 2)) < 0 ||
        (rc = value_at(r, pl->unit, ck->indicator, pl->p, &r->vals[0])) < 0 ||
        (rc = value_at(r, pl->unit, ck->indicator, q, &r->vals[1])) < 0)
        return rc;
    e->nvals = 2;
    e->complete = !isnan(r->vals[0].v) && !isnan(r->vals[1].v);
    r->dv[0] = r->vals[1].v; /* the earlier value first */
    r->dv[1] = r->vals[0].v;
    e->h.want = 1;
    rc = check_growth(r->dv, 1, 2, 1, ck->max, NAN, NULL, take_hit, &e->h);
    if (e->h.n)
        snprintf(e->why[0], sizeof(e->why[0]),
                 "%.15g against %.15g %s: growth %+.1f%% beyond %.15g%%", r->vals[0].v,
                 r->vals[1].v, yoy ? "a year earlier" : "the period before",
                 (r->vals[0].v / r->vals[1].v - 1) * 100, ck->max);
    return rc;
}

static int eval_monotone(struct run *r, const struct config_check *ck, const struct place *pl,
                         struct eval *e)
{
    size_t n = (size_t)pl->p.index, last = 0;
    struct period q = {pl->p.year, pl->p.freq, 1};
    int rc;

    if ((rc = scratch(r, n > 2 ? n : 2)) < 0)
        return rc;
    r->vals[1] = (struct val){NAN, -1};
    /* vals[0]: the place's value; vals[1]: the last earlier one of the year */
    for (size_t i = 0; i < n && rc == 0; i++, q = period_next(q)) {
        struct val v;
        rc = value_at(r, pl->unit, ck->indicator, q, &v);
        r->dv[i] = v.v;
        if (i + 1 == n)
            r->vals[0] = v;
        else if (!isnan(v.v))
            r->vals[1] = v, last = i + 1;
    }
    if (rc < 0)
        return rc;
    e->nvals = last ? 2 : 1;
    e->complete = last && !isnan(r->vals[0].v);
    e->h.want = n - 1;
    rc = check_monotone_ytd(r->dv, 1, n, n, ck->tolerance, NULL, take_hit, &e->h);
    if (e->h.n)
        snprintf(e->why[0], sizeof(e->why[0]),
                 "year-to-date %.15g falls below %.15g earlier in the year (tolerance %.15g)",
                 r->vals[0].v, r->vals[1].v, ck->tolerance);
    return rc;
}

static int eval_ratio(struct run *r, const struct config_check *ck, const struct place *pl,
                      struct eval *e)
{
    long num, den;
    int rc;

    rate_parts(r, ck->indicator, &num, &den);
    if ((rc = scratch(r, 3)) < 0 ||
        (rc = value_at(r, pl->unit, ck->indicator, pl->p, &r->vals[0])) < 0 ||
        (rc = value_at(r, pl->unit, num, pl->p, &r->vals[1])) < 0 ||
        (rc = value_at(r, pl->unit, den, pl->p, &r->vals[2])) < 0)
        return rc;
    e->nvals = num >= 0 ? 3 : 1;
    e->complete =
        !isnan(r->vals[0].v) && (num < 0 || (!isnan(r->vals[1].v) && !isnan(r->vals[2].v)));
    for (size_t i = 0; i < 3; i++)
        r->dv[i] = r->vals[i].v;
    rc = check_ratio(&r->dv[0], num >= 0 ? &r->dv[1] : NULL, num >= 0 ? &r->dv[2] : NULL, 1, 1,
                     ck->min, ck->max, NULL, take_hit, &e->h);
    for (size_t i = 0; i < e->h.n; i++) {
        const struct check_violation *cv = &e->h.hit[i];
        if (strncmp(cv->what, "numerator", 9) == 0)
            snprintf(e->why[i], sizeof(e->why[i]), "numerator %.15g above denominator %.15g",
                     cv->value, cv->expected);
        else
            snprintf(e->why[i], sizeof(e->why[i]), "%.15g %s %.15g", cv->value, cv->what,
                     cv->expected);
    }
    return rc;
}

static int evaluate(struct run *r, const struct place *pl, struct eval *e)
{
    const struct config_check *ck = &r->checks[pl->check];
    int rc = 0;

    memset(e, 0, sizeof(*e));
    switch (ck->rule) {
    case CONFIG_CHECK_SUM:
        rc = eval_sum(r, ck, pl, e);
        break;
    case CONFIG_CHECK_RANGE:
        if ((rc = scratch(r, 1)) < 0 ||
            (rc = value_at(r, pl->unit, ck->indicator, pl->p, &r->vals[0])) < 0)
            return rc;
        e->nvals = 1;
        e->complete = !isnan(r->vals[0].v);
        r->dv[0] = r->vals[0].v;
        rc = check_range(r->dv, 1, 1, isnan(ck->min) ? -INFINITY : ck->min,
                         isnan(ck->max) ? INFINITY : ck->max, NULL, take_hit, &e->h);
        if (e->h.n)
            snprintf(e->why[0], sizeof(e->why[0]), "%.15g %s %.15g", e->h.hit[0].value,
                     e->h.hit[0].what, e->h.hit[0].expected);
        break;
    case CONFIG_CHECK_GROWTH:
        rc = eval_growth(r, ck, pl, e);
        break;
    case CONFIG_CHECK_HIERARCHY:
        rc = eval_hierarchy(r, ck, pl, e);
        break;
    case CONFIG_CHECK_MONOTONE_YTD:
        rc = eval_monotone(r, ck, pl, e);
        break;
    case CONFIG_CHECK_RATIO:
        rc = eval_ratio(r, ck, pl, e);
        break;
    }
    return rc;
}

/* Adds violation cv of the check at place pl, done with action. */
static int add_violation(struct run *r, const struct place *pl, const struct check_violation *cv,
                         const char *action)
{
    struct check_batch *o = r->out;
    const struct config_check *ck = &r->checks[pl->check];

    if (BUF_GROW(&o->v, &o->cap_v, o->nv + 1, BUF_UNCAPPED) < 0 ||
        BUF_GROW(&o->vperiod, &o->cap_vperiod, o->nv + 1, BUF_UNCAPPED) < 0)
        return -ENOMEM;
    period_format(pl->p, o->vperiod[o->nv], PERIOD_TEXT_SIZE);
    o->v[o->nv++] = (struct store_violation){
        .check = ck->id,
        .rule = rule_names[ck->rule],
        .unit = r->units[pl->unit].id,
        .indicator = r->inds[ck->indicator].code,
        .value = cv->value,
        .expected = cv->expected,
        .detail = cv->what,
        .action = action,
        .valid_from = -1,
        .run_id = -1,
    };
    return 0;
}

/* Adds the place as one whose earlier flags are replaced. */
static int add_site(struct run *r, const struct place *pl)
{
    struct check_batch *o = r->out;
    const struct config_check *ck = &r->checks[pl->check];

    if (BUF_GROW(&o->site, &o->cap_site, o->nsite + 1, BUF_UNCAPPED) < 0 ||
        BUF_GROW(&o->speriod, &o->cap_speriod, o->nsite + 1, BUF_UNCAPPED) < 0)
        return -ENOMEM;
    period_format(pl->p, o->speriod[o->nsite], PERIOD_TEXT_SIZE);
    o->site[o->nsite++] = (struct store_check_site){
        .check = ck->id,
        .unit = r->units[pl->unit].id,
        /* a growth check's outliers are the recompute's: only its max is redone */
        .detail = ck->rule == CONFIG_CHECK_GROWTH ? "growth above max" : NULL,
    };
    return 0;
}

/* Gives batch record at the reason "check ID: why" (appended to one it has). */
static int refuse(struct run *r, long at, const char *check, const char *why)
{
    struct check_batch *o = r->out;
    char *old = o->refused[at], *s;
    size_t len = (old ? strlen(old) + 2 : 0) + strlen(check) + strlen(why) + 9;

    if (!(s = malloc(len)))
        return -ENOMEM;
    snprintf(s, len, "%s%scheck %s: %s", old ? old : "", old ? "; " : "", check, why);
    if (!old) {
        const struct store_obs *ob = &r->obs[at];
        long u = idmap_find(r->umap, r->nu, ob->unit_id);
        long k = idmap_find(r->imap, r->ni, ob->indicator_id);
        char per[PERIOD_TEXT_SIZE] = "", raw[256];

        period_format(ob->period, per, sizeof(per));
        snprintf(raw, sizeof(raw), "%s,%s,%s,%.15g", u >= 0 ? r->units[u].id : "?",
                 k >= 0 ? r->inds[k].code : "?", per, ob->value);
        if (!(o->raw[at] = strdup(raw))) {
            free(s);
            return -ENOMEM;
        }
        o->n_refused++;
    }
    free(old);
    o->refused[at] = s;
    return 0;
}

/* A "reject" check's violations at pl refuse the batch's records they are
 * about: the checked value's, else the values it was held against. */
static int reject_place(struct run *r, const struct place *pl)
{
    const struct config_check *ck = &r->checks[pl->check];
    struct eval e;
    int rc = evaluate(r, pl, &e);

    for (size_t i = 0; i < e.h.n && rc == 0; i++) {
        int any = 0;
        struct val own = r->vals[0];
        /* a ratio's numerator above its denominator is about those two */
        int ratio_parts = ck->rule == CONFIG_CHECK_RATIO && strncmp(e.h.hit[i].what, "num", 3) == 0;

        if (own.obs >= 0 && !ratio_parts) {
            rc = refuse(r, own.obs, ck->id, e.why[i]);
            any = 1;
        } else {
            for (size_t j = 1; j < e.nvals && rc == 0; j++)
                if (r->vals[j].obs >= 0)
                    rc = refuse(r, r->vals[j].obs, ck->id, e.why[i]), any = 1;
        }
        if (any && rc == 0)
            rc = add_violation(r, pl, &e.h.hit[i], "reject");
    }
    return rc;
}

/* The flags at pl, over the batch without its refused records. */
static int flag_place(struct run *r, const struct place *pl)
{
    struct eval e;
    int rc = evaluate(r, pl, &e);

    if (rc == 0 && e.complete)
        rc = add_site(r, pl);
    for (size_t i = 0; i < e.h.n && rc == 0; i++)
        rc = add_violation(r, pl, &e.h.hit[i], "flag");
    return rc;
}

/* Store ids and their reverse maps, children lists, masks, sorted keys. */
static int prepare(struct run *r)
{
    if (!(r->uid = malloc((r->nu ? r->nu : 1) * sizeof(*r->uid))) ||
        !(r->iid = malloc((r->ni ? r->ni : 1) * sizeof(*r->iid))) ||
        !(r->umap = malloc((r->nu ? r->nu : 1) * sizeof(*r->umap))) ||
        !(r->imap = malloc((r->ni ? r->ni : 1) * sizeof(*r->imap))) ||
        !(r->first_child = malloc((r->nu ? r->nu : 1) * sizeof(long))) ||
        !(r->next_sibling = malloc((r->nu ? r->nu : 1) * sizeof(long))) ||
        !(r->masks = calloc(r->nc, sizeof(*r->masks))) ||
        !(r->keys = malloc((r->out->n ? r->out->n : 1) * sizeof(*r->keys))))
        return -ENOMEM;
    for (size_t u = 0; u < r->nu; u++) {
        r->uid[u] = store_unit_id(r->st, r->units[u].id, strlen(r->units[u].id));
        r->umap[u] = (struct idmap){r->uid[u], (long)u};
        r->first_child[u] = r->next_sibling[u] = -1;
    }
    for (size_t u = r->nu; u-- > 0;) { /* children in config order */
        long p = r->units[u].parent_index;
        if (p >= 0 && (size_t)p < r->nu) {
            r->next_sibling[u] = r->first_child[p];
            r->first_child[p] = (long)u;
        }
    }
    for (size_t k = 0; k < r->ni; k++) {
        r->iid[k] = store_indicator_id(r->st, r->inds[k].code, strlen(r->inds[k].code));
        r->imap[k] = (struct idmap){r->iid[k], (long)k};
    }
    if (r->nu > 0)
        qsort(r->umap, r->nu, sizeof(*r->umap), idmap_cmp);
    if (r->ni > 0)
        qsort(r->imap, r->ni, sizeof(*r->imap), idmap_cmp);
    for (size_t c = 0; c < r->nc; c++)
        if (unit_mask(r, &r->checks[c].units, &r->masks[c]) < 0)
            return -ENOMEM;
    for (size_t i = 0; i < r->out->n; i++) {
        const struct store_obs *o = &r->obs[i];
        r->keys[i] = (struct bkey){o->unit_id,          o->indicator_id, o->period.year,
                                   (int)o->period.freq, o->period.index, i};
    }
    if (r->out->n > 0)
        qsort(r->keys, r->out->n, sizeof(*r->keys), bkey_cmp);
    return 0;
}

static void run_free(struct run *r)
{
    for (size_t c = 0; r->masks && c < r->nc; c++)
        free(r->masks[c]);
    free(r->masks);
    free(r->uid);
    free(r->iid);
    free(r->umap);
    free(r->imap);
    free(r->first_child);
    free(r->next_sibling);
    free(r->keys);
    free(r->pl);
    free(r->vals);
    free(r->dv);
}

/* The places the batch touches, sorted, each once. */
static int find_places(struct run *r)
{
    size_t m = 0;

    for (size_t i = 0; i < r->out->n; i++) {
        const struct store_obs *o = &r->obs[i];
        long u = idmap_find(r->umap, r->nu, o->unit_id);
        long k = idmap_find(r->imap, r->ni, o->indicator_id);

        if (u < 0 || k < 0 || o->missing || isnan(o->value))
            continue;
        for (size_t c = 0; c < r->nc; c++) {
            int rc = places_of(r, c, u, k, o->period);
            if (rc < 0)
                return rc;
        }
    }
    if (r->npl > 0)
        qsort(r->pl, r->npl, sizeof(*r->pl), place_cmp);
    for (size_t i = 0; i < r->npl; i++)
        if (m == 0 || place_cmp(&r->pl[m - 1], &r->pl[i]) != 0)
            r->pl[m++] = r->pl[i];
    r->npl = m;
    return 0;
}

int check_batch_run(struct store *st, const struct config *cfg, const struct store_obs *obs,
                    size_t n, struct check_batch *out)
{
    struct run r = {.st = st, .cfg = cfg, .obs = obs, .out = out};
    int rc;

    memset(out, 0, sizeof(*out));
    r.checks = config_checks(cfg, &r.nc);
    if (r.nc == 0 || n == 0)
        return 0;
    r.units = config_units(cfg, &r.nu);
    r.inds = config_indicators(cfg, &r.ni);
    out->n = n;
    if (!(out->refused = calloc(n, sizeof(*out->refused))) ||
        !(out->raw = calloc(n, sizeof(*out->raw))))
        rc = -ENOMEM;
    else if ((rc = prepare(&r)) == 0)
        rc = find_places(&r);
    /* the "reject" checks over the whole batch, then the flags without what
     * they refused */
    for (size_t i = 0; i < r.npl && rc == 0; i++)
        if (r.checks[r.pl[i].check].action == CONFIG_CHECK_REJECT)
            rc = reject_place(&r, &r.pl[i]);
    r.skip_refused = 1;
    for (size_t i = 0; i < r.npl && rc == 0; i++)
        rc = flag_place(&r, &r.pl[i]);
    run_free(&r);
    if (rc < 0) {
        check_batch_free(out);
        return rc;
    }
    for (size_t i = 0; i < out->nv; i++)
        out->v[i].period = out->vperiod[i];
    for (size_t i = 0; i < out->nsite; i++)
        out->site[i].period = out->speriod[i];
    return 0;
}

int check_batch_store(struct store *st, const struct check_batch *cb, int64_t run_id,
                      int64_t found_at)
{
    if (cb->nv == 0 && cb->nsite == 0)
        return 0;
    return store_checks_update(st, cb->site, cb->nsite, cb->v, cb->nv, run_id, found_at);
}

void check_batch_free(struct check_batch *cb)
{
    for (size_t i = 0; i < cb->n; i++) {
        if (cb->refused)
            free(cb->refused[i]);
        if (cb->raw)
            free(cb->raw[i]);
    }
    free(cb->refused);
    free(cb->raw);
    free(cb->v);
    free(cb->vperiod);
    free(cb->site);
    free(cb->speriod);
    memset(cb, 0, sizeof(*cb));
}
