/*
 * series.c - series of one indicator at a requested frequency, rates and
 * derived indicators, and the growth transforms the API's /series endpoint
 * serves. Conversion to a coarser frequency: flows sum their sub-periods
 * (aggregate/ytd ytd_coarsen; a cumulative monthly flow is taken exactly from
 * its year-to-date values with ytd_coarse_from_cum, so a quarter is right even
 * when January was published together with February), stocks take the
 * period-end value, rates and formulas are recomputed from their converted
 * inputs (a ratio of sums, never a mean of ratios). Derived indicators are
 * evaluated by SQLite (formula/) per unit and period after roll-up and
 * rounded to the indicator's decimals.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate/growth.h"
#include "aggregate/ytd.h"
#include "compute/compute_priv.h"
#include "config/config.h"
#include "formula/formula.h"

#define INHERITED (COMPUTE_FLAG_INCOMPLETE | COMPUTE_FLAG_ROLLED_UP | COMPUTE_FLAG_TWO_MONTHS)

static int series_copy(const struct compute *c, const struct cseries *src, struct cseries *out)
{
    size_t n = c->nu * cmp_nper(c, src->freq);
    int rc = cmp_series_alloc(c, src->freq, out);
    if (rc < 0)
        return rc;
    memcpy(out->v, src->v, n * sizeof(double));
    memcpy(out->cov, src->cov, n * sizeof(double));
    memcpy(out->fl, src->fl, n * sizeof(unsigned));
    return 0;
}

/* Flags and coverage of coarse period p: the union and the minimum of its
 * sub-periods'. */
static void coarse_meta(const struct cseries *src, size_t np_src, size_t u, size_t p, size_t ratio,
                        struct cseries *out, size_t np_out)
{
    unsigned fl = 0;
    double cov = 1.0;
    for (size_t j = 0; j < ratio; j++) {
        size_t at = u * np_src + p * ratio + j;
        fl |= src->fl[at] & INHERITED;
        cov = src->cov[at] < cov ? src->cov[at] : cov;
    }
    out->fl[u * np_out + p] |= fl;
    out->cov[u * np_out + p] = cov;
}

/* The same from year-to-date values: only the year-to-date values at the end
 * of p and of the period before it in the same year enter the value. */
static void cum_meta(const struct cseries *src, size_t np_src, size_t u, size_t p, size_t ratio,
                     struct cseries *out, size_t np_out)
{
    size_t end = u * np_src + (p + 1) * ratio - 1;
    unsigned fl = src->fl[end] & INHERITED;
    double cov = src->cov[end];
    if ((p * ratio) % 12 != 0) {
        fl |= src->fl[end - ratio] & INHERITED;
        cov = src->cov[end - ratio] < cov ? src->cov[end - ratio] : cov;
    }
    out->fl[u * np_out + p] |= fl & ~(unsigned)COMPUTE_FLAG_TWO_MONTHS;
    out->cov[u * np_out + p] = cov;
}

/* Flows and stocks (not derived) to coarser frequency f. */
static int coarsen_plain(struct compute *c, size_t k, enum period_freq f, struct cseries *out)
{
    const struct cseries *src = &c->s[k];
    const struct config_indicator *ind = &c->inds[k];
    size_t nps = cmp_nper(c, src->freq), npo = cmp_nper(c, f), ratio = (size_t)(src->freq / f);
    unsigned *yfl = malloc((nps ? nps : 1) * sizeof(unsigned));
    enum ytd_kind kind = ind->kind == CONFIG_STOCK ? YTD_STOCK : YTD_FLOW;

    if (!yfl)
        return -ENOMEM;
    for (size_t u = 0; u < c->nu; u++) {
        if (c->cum[k] && src->freq == PERIOD_MONTH) {
            for (int y = 0; y < c->nyears; y++)
                ytd_coarse_from_cum(c->cum[k] + u * nps + (size_t)y * 12, 12, f,
                                    out->v + u * npo + (size_t)y * (size_t)f);
        } else {
            for (size_t j = 0; j < nps; j++)
                yfl[j] = src->fl[u * nps + j] & COMPUTE_FLAG_TWO_MONTHS ? YTD_TWO_MONTHS : 0;
            ytd_coarsen(kind, src->freq, f, src->v + u * nps, yfl, nps, out->v + u * npo);
        }
        for (size_t p = 0; p < npo; p++)
            if (c->cum[k] && src->freq == PERIOD_MONTH)
                cum_meta(src, nps, u, p, ratio, out, npo);
            else
                coarse_meta(src, nps, u, p, ratio, out, npo);
    }
    free(yfl);
    return 0;
}

int cmp_series_at(struct compute *c, size_t k, enum period_freq f, struct cseries *out)
{
    const struct config_indicator *ind = &c->inds[k];
    int rc;

    if (f == ind->freq)
        return series_copy(c, &c->s[k], out);
    if (f > ind->freq || ind->freq % f != 0)
        return -EINVAL;
    if ((rc = cmp_series_alloc(c, f, out)) < 0)
        return rc;
    if (ind->formula)
        rc = cmp_derived_eval(c, k, f, out);
    else if (ind->kind == CONFIG_RATE && ind->numerator && ind->denominator)
        rc = 0; /* filled below from the converted components */
    else if (ind->kind != CONFIG_RATE)
        rc = coarsen_plain(c, k, f, out);
    if (rc == 0 && !ind->formula && ind->kind == CONFIG_RATE && ind->numerator &&
        ind->denominator) {
        long kn = config_indicator_find(c->cfg, ind->numerator, strlen(ind->numerator));
        long kd = config_indicator_find(c->cfg, ind->denominator, strlen(ind->denominator));
        struct cseries n = {0}, d = {0};
        if (kn < 0 || kd < 0)
            return 0;
        if ((rc = cmp_series_at(c, (size_t)kn, f, &n)) == 0 &&
            (rc = cmp_series_at(c, (size_t)kd, f, &d)) == 0) {
            size_t total = c->nu * cmp_nper(c, f);
            for (size_t i = 0; i < total; i++) {
                /* rate of sums: sum(numerator) / sum(denominator) x scale */
                out->v[i] = d.v[i] != 0 ? n.v[i] / d.v[i] * ind->scale : NAN;
                out->fl[i] = (n.fl[i] | d.fl[i]) & INHERITED;
                out->cov[i] = n.cov[i] < d.cov[i] ? n.cov[i] : d.cov[i];
            }
        }
        cmp_series_free(&n);
        cmp_series_free(&d);
    }
    if (rc < 0)
        cmp_series_free(out);
    return rc;
}

int cmp_rate_rollup(struct compute *c, size_t k)
{
    const struct config_indicator *ind = &c->inds[k];
    long kn = config_indicator_find(c->cfg, ind->numerator, strlen(ind->numerator));
    long kd = config_indicator_find(c->cfg, ind->denominator, strlen(ind->denominator));
    struct cseries n = {0}, d = {0};
    struct cseries *s = &c->s[k];
    size_t np = cmp_nper(c, ind->freq);
    int rc;

    if (kn < 0 || kd < 0)
        return 0;
    if ((rc = cmp_series_at(c, (size_t)kn, ind->freq, &n)) == 0 &&
        (rc = cmp_series_at(c, (size_t)kd, ind->freq, &d)) == 0) {
        for (size_t u = 0; u < c->nu; u++)
            for (size_t p = 0; p < np; p++) {
                size_t i = u * np + p;
                if (!isnan(s->v[i]))
                    continue; /* a reported rate is kept */
                s->v[i] = d.v[i] != 0 ? n.v[i] / d.v[i] * ind->scale : NAN;
                s->fl[i] = (n.fl[i] | d.fl[i]) & INHERITED;
                s->cov[i] = n.cov[i] < d.cov[i] ? n.cov[i] : d.cov[i];
            }
    }
    cmp_series_free(&n);
    cmp_series_free(&d);
    return rc;
}

static double round_to(double x, int decimals)
{
    double m = pow(10.0, decimals);
    return isfinite(x) ? round(x * m) / m : x;
}

/* Inputs of formula f converted to freq; in[i] for formula_ref(f, i). */
static int load_inputs(struct compute *c, struct formula *fm, size_t nr, enum period_freq freq,
                       struct cseries *in)
{
    for (size_t i = 0; i < nr; i++) {
        int rc = cmp_series_at(c, formula_ref(fm, i), freq, &in[i]);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int cmp_derived_eval(struct compute *c, size_t k, enum period_freq f, struct cseries *out)
{
    const struct config_indicator *ind = &c->inds[k];
    struct formula *fm = NULL;
    struct cseries *in = NULL;
    const double **ser = NULL;
    size_t nr = 0, np = cmp_nper(c, f), total = c->nu * np;
    int rc = formula_compile(c->env, ind->formula, &fm, NULL, 0);

    if (rc < 0)
        return rc;
    nr = formula_nrefs(fm);
    in = calloc(nr ? nr : 1, sizeof(*in));
    ser = calloc(nr ? nr : 1, sizeof(*ser));
    if (!in || !ser) {
        rc = -ENOMEM;
        goto out;
    }
    if ((rc = load_inputs(c, fm, nr, f, in)) < 0)
        goto out;
    for (size_t i = 0; i < total; i++) {
        double r, cov = 1.0;
        unsigned fl = 0;
        size_t t = i % np;
        for (size_t j = 0; j < nr; j++) {
            if (t == 0) /* the unit's series, for the time functions */
                ser[j] = in[j].v + i;
            fl |= in[j].fl[i] & INHERITED;
            cov = in[j].cov[i] < cov ? in[j].cov[i] : cov;
        }
        out->v[i] =
            formula_eval_at(fm, ser, np, (int)f, t, &r) == 0 ? round_to(r, ind->decimals) : NAN;
        out->fl[i] = fl;
        out->cov[i] = cov;
    }
out:
    for (size_t j = 0; in && j < nr; j++)
        cmp_series_free(&in[j]);
    free(in);
    free(ser);
    formula_free(&fm);
    return rc;
}

/* Derived indicators in dependency order: one whose inputs are done next. */
int cmp_derived_all(struct compute *c)
{
    char *done = calloc(c->ni ? c->ni : 1, 1);
    size_t left = 0;
    int rc = 0;

    if (!done)
        return -ENOMEM;
    for (size_t k = 0; k < c->ni; k++) {
        done[k] = c->inds[k].formula == NULL || !cmp_wants(c, k);
        left += !done[k];
    }
    while (left > 0 && rc == 0) {
        size_t progress = 0;
        for (size_t k = 0; k < c->ni && rc == 0; k++) {
            size_t *refs = NULL, nrefs = 0, ready = 1;
            if (done[k])
                continue;
            rc = formula_env_check(c->env, c->inds[k].formula, &refs, &nrefs, NULL, 0);
            for (size_t j = 0; rc == 0 && j < nrefs; j++)
                ready &= (size_t)done[refs[j]];
            free(refs);
            if (rc < 0 || !ready)
                continue;
            rc = cmp_derived_eval(c, k, c->inds[k].freq, &c->s[k]);
            done[k] = 1;
            left--;
            progress++;
        }
        if (progress == 0 && rc == 0)
            rc = -EINVAL; /* a cycle: the config loader refuses them */
    }
    free(done);
    return rc;
}
