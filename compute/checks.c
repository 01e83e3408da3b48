/*
 * checks.c - the config's consistency checks over a snapshot: each rule's
 * series handed to the pure checks of aggregate/checks.h, the violations
 * stored (store/checks.h) in place of the previous recompute's.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate/checks.h"
#include "common/log.h"
#include "compute/compute_priv.h"
#include "store/checks.h"

static const char *const rule_names[] = {"sum",       "range",        "growth",
                                         "hierarchy", "monotone_ytd", "ratio"};

/* The violations found so far, with their period texts. */
struct found {
    const struct compute *c;
    const struct config_check *ck;
    size_t ind;            /* the indicator reported */
    enum period_freq freq; /* of the checked series */
    struct store_violation *v;
    char (*ptext)[PERIOD_TEXT_SIZE];
    size_t n, cap;
    size_t *by_rule; /* COMPUTE_CHECK_RULES counts */
};

static int on_violation(const struct check_violation *cv, void *arg)
{
    struct found *f = arg;

    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 64;
        struct store_violation *v = realloc(f->v, cap * sizeof(*v));
        char(*pt)[PERIOD_TEXT_SIZE];

        if (!v)
            return -ENOMEM;
        f->v = v;
        pt = realloc(f->ptext, cap * sizeof(*pt));
        if (!pt)
            return -ENOMEM;
        f->ptext = pt;
        f->cap = cap;
    }
    period_format(cmp_period_at(f->c, f->freq, cv->period), f->ptext[f->n], PERIOD_TEXT_SIZE);
    f->v[f->n] = (struct store_violation){
        .check = f->ck->id,
        .rule = rule_names[f->ck->rule],
        .unit = f->c->units[cv->unit].id,
        .indicator = f->c->inds[f->ind].code,
        .value = cv->value,
        .expected = cv->expected,
        .detail = cv->what,
        .action = "flag",
    };
    f->by_rule[f->ck->rule]++;
    f->n++;
    return 0;
}

/* 1 when config unit g is below (or, with self, is) config unit anchor. */
static int below(const struct config_unit *all, size_t g, long anchor)
{
    for (long p = all[g].parent_index; p >= 0; p = all[p].parent_index)
        if (p == anchor)
            return 1;
    return 0;
}

/* The units a check covers as a mask (NULL: every unit); *mask malloc'd. */
static int unit_mask(const struct compute *c, const struct config_units_sel *sel,
                     unsigned char **mask)
{
    unsigned char *m;

    *mask = NULL;
    if (sel->kind == CONFIG_UNITS_ALL)
        return 0;
    size_t nall;
    const struct config_unit *all = config_units(c->cfg, &nall);
    if (!(m = calloc(c->nu ? c->nu : 1, 1)))
        return -ENOMEM;
    /* by config index: a subtree snapshot holds some units only */
    for (size_t u = 0; u < c->nu; u++) {
        size_t g = cmp_cfg_unit(c, u);
        if (sel->kind == CONFIG_UNITS_CHILDREN)
            m[u] = all[g].parent_index == sel->anchor;
        else if (sel->kind == CONFIG_UNITS_DESCENDANTS)
            m[u] = below(all, g, sel->anchor);
        else if (sel->kind == CONFIG_UNITS_LIST && c->cfg_of)
            for (size_t i = 0; i < sel->n_list; i++)
                m[u] |= sel->list[i] == (long)g;
    }
    if (sel->kind == CONFIG_UNITS_LIST && !c->cfg_of)
        for (size_t i = 0; i < sel->n_list; i++)
            if (sel->list[i] >= 0 && (size_t)sel->list[i] < c->nu)
                m[sel->list[i]] = 1;
    *mask = m;
    return 0;
}

static int run_sum(struct compute *c, const struct config_check *ck, const unsigned char *mask,
                   size_t np, struct found *f)
{
    const double **parts = calloc(ck->n_parts ? ck->n_parts : 1, sizeof(*parts));
    int rc;

    if (!parts)
        return -ENOMEM;
    for (size_t i = 0; i < ck->n_parts; i++)
        parts[i] = c->s[ck->parts[i]].v;
    rc = check_sum(c->s[ck->indicator].v, parts, ck->n_parts, c->nu, np, ck->tolerance, mask,
                   on_violation, f);
    free(parts);
    return rc;
}

/* Parent rows and own-value marks of indicator k for check_hierarchy. With
 * precedence "rolled_up" the parents' own values, which the roll-up replaced
 * (c->own), are held against the sum of their children in the rolled-up
 * array: the year-to-date one of a cumulative indicator. */
static int run_hierarchy(struct compute *c, size_t k, const struct config_check *ck,
                         const unsigned char *mask, size_t np, struct found *f)
{
    size_t n = c->nu * np;
    long *parent = malloc((c->nu ? c->nu : 1) * sizeof(*parent));
    unsigned char *own = malloc(n > 0 ? n : 1);
    double *v = NULL;
    int rc = -ENOMEM;

    if (!parent || !own)
        goto out;
    for (size_t u = 0; u < c->nu; u++)
        parent[u] = c->units[u].parent_index;
    for (size_t i = 0; i < n; i++)
        own[i] = !(c->s[k].fl[i] & COMPUTE_FLAG_ROLLED_UP);
    if (ck->precedence == CONFIG_PRECEDENCE_ROLLED_UP) {
        const double *base = c->cum && c->cum[k] ? c->cum[k] : c->s[k].v;
        if (!(v = malloc((n > 0 ? n : 1) * sizeof(*v))))
            goto out;
        memcpy(v, base, n * sizeof(*v));
        for (size_t j = 0; j < c->n_own; j++)
            if (c->own[j].k == k && c->own[j].i < n) {
                v[c->own[j].i] = c->own[j].v;
                own[c->own[j].i] = 1;
            }
    }
    rc = check_hierarchy(v ? v : c->s[k].v, own, parent, c->nu, np, ck->tolerance, mask,
                         on_violation, f);
out:
    free(parent);
    free(own);
    free(v);
    return rc;
}

int cmp_checks_rolled_up(const struct compute *c, size_t k, unsigned char **mask)
{
    const struct config_check *checks;
    size_t n;

    *mask = NULL;
    checks = config_checks(c->cfg, &n);
    for (size_t i = 0; i < n; i++) {
        const struct config_check *ck = &checks[i];
        unsigned char *m;
        int rc;

        if (ck->rule != CONFIG_CHECK_HIERARCHY || ck->precedence != CONFIG_PRECEDENCE_ROLLED_UP ||
            ck->indicator != (long)k)
            continue;
        if ((rc = unit_mask(c, &ck->units, &m)) < 0)
            return rc;
        if (!*mask && !(*mask = calloc(c->nu ? c->nu : 1, 1))) {
            free(m);
            return -ENOMEM;
        }
        for (size_t u = 0; u < c->nu; u++)
            (*mask)[u] |= !m || m[u];
        free(m);
    }
    return 0;
}

int cmp_checks_keep_own(struct compute *c, size_t k, size_t i, double v)
{
    if (c->n_own == c->cap_own) {
        size_t cap = c->cap_own ? c->cap_own * 2 : 64;
        struct cmp_own *o = realloc(c->own, cap * sizeof(*o));
        if (!o)
            return -ENOMEM;
        c->own = o;
        c->cap_own = cap;
    }
    c->own[c->n_own++] = (struct cmp_own){k, i, v};
    return 0;
}

static int run_ratio(struct compute *c, size_t k, const struct config_check *ck,
                     const unsigned char *mask, size_t np, struct found *f)
{
    const struct config_indicator *ind = &c->inds[k];
    const double *num = NULL, *den = NULL;
    long a, b;

    if (ind->numerator && ind->denominator) {
        a = config_indicator_find(c->cfg, ind->numerator, strlen(ind->numerator));
        b = config_indicator_find(c->cfg, ind->denominator, strlen(ind->denominator));
        if (a >= 0 && b >= 0 && c->s[a].freq == c->s[k].freq && c->s[b].freq == c->s[k].freq) {
            num = c->s[a].v;
            den = c->s[b].v;
        }
    }
    return check_ratio(c->s[k].v, num, den, c->nu, np, ck->min, ck->max, mask, on_violation, f);
}

/* Evaluates one check into f. */
static int run_check(struct compute *c, const struct config_check *ck, struct found *f)
{
    size_t k, np;
    enum period_freq freq;
    unsigned char *mask;
    int rc;

    if (ck->indicator < 0 || (size_t)ck->indicator >= c->ni)
        return 0;
    k = (size_t)ck->indicator;
    freq = c->s[k].freq;
    if ((np = cmp_nper(c, freq)) == 0)
        return 0;
    if ((rc = unit_mask(c, &ck->units, &mask)) < 0)
        return rc;
    f->ck = ck;
    f->ind = k;
    f->freq = freq;
    switch (ck->rule) {
    case CONFIG_CHECK_SUM:
        rc = run_sum(c, ck, mask, np, f);
        break;
    case CONFIG_CHECK_RANGE:
        rc = check_range(c->s[k].v, c->nu, np, isnan(ck->min) ? -INFINITY : ck->min,
                         isnan(ck->max) ? INFINITY : ck->max, mask, on_violation, f);
        break;
    case CONFIG_CHECK_GROWTH:
        rc = check_growth(c->s[k].v, c->nu, np, ck->basis == CONFIG_CHECK_YOY ? (size_t)freq : 1,
                          ck->max, ck->outlier, mask, on_violation, f);
        break;
    case CONFIG_CHECK_HIERARCHY:
        rc = run_hierarchy(c, k, ck, mask, np, f);
        break;
    case CONFIG_CHECK_MONOTONE_YTD:
        rc = c->cum && c->cum[k] ? check_monotone_ytd(c->cum[k], c->nu, np, (size_t)freq,
                                                      ck->tolerance, mask, on_violation, f)
                                 : 0;
        break;
    case CONFIG_CHECK_RATIO:
        rc = run_ratio(c, k, ck, mask, np, f);
        break;
    }
    free(mask);
    return rc;
}

int cmp_checks_run(struct compute *c, struct store *st, int64_t found_at, size_t *by_rule)
{
    struct found f = {.c = c, .by_rule = by_rule};
    const struct config_check *checks;
    size_t n;
    int rc = 0;

    checks = config_checks(c->cfg, &n);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = run_check(c, &checks[i], &f);
    for (size_t i = 0; i < f.n; i++)
        f.v[i].period = f.ptext[i];
    if (rc == 0)
        rc = store_checks_replace(st, f.v, f.n, found_at);
    if (rc < 0)
        log_err("compute: consistency checks: %s", strerror(-rc));
    else if (f.n)
        log_notice("compute: %zu consistency check violation(s)", f.n);
    free(f.v);
    free(f.ptext);
    return rc;
}
