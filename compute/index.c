/*
 * index.c - one composite index over every period of its frequency, in
 * COINr's order (Becker et al. 2022, "COINr: An R package for developing
 * composite indicators", JOSS 7(78) 4567): denominate -> impute -> screen ->
 * treat outliers -> normalise -> aggregate, then ranks among siblings.
 * Cross-sectional normalisations (minmax, zscore, efficacy, goalposts, rank,
 * banded) work on the units of one period; fixed_base and chained work on
 * each unit's own series from the base period, so imputation and outlier
 * treatment (cross-sectional by nature) do not apply to them. The missing
 * policy "carry" then fills a still-missing normalised value with the unit's
 * previous period's, and the rest is reweighted (composite.h).
 *
 * A node with derived weights ("weights" in the config) gets its children's
 * weights per period from the normalised values of that period (or once from
 * the period "from"), before "carry"; where the method gives none the
 * configured weights are used and the results flagged WEIGHTS_FALLBACK.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate/impute.h"
#include "aggregate/normalise.h"
#include "aggregate/outlier.h"
#include "aggregate/rank.h"
#include "aggregate/screen.h"
#include "aggregate/weights.h"
#include "aggregate/ytd.h"
#include "common/exec.h"
#include "compute/compute_priv.h"
#include "config/config.h"

/* Working arrays of one run. */
struct work {
    struct compute *c;
    const struct cmp_plan *pl;
    struct cmp_run *run;
    size_t nu, nl, np;
    /* Raw (denominated) values of leaf l, unit u (plan order), period p:
     * X(w, l, u, p). A leaf whose values are its indicator's own series
     * borrows the snapshot's array (rows by config unit: xmap = the plan's
     * units); else its own nu x np copy (xmap NULL). xf: the series flags. */
    const double **xl;
    const unsigned **xf;
    const size_t **xmap;
    double *xown;      /* the own copies, nl x nu x np (used rows only) */
    unsigned *xfown;   /* their flags */
    double *tn;        /* nl x nu x np time-normalised values (fixed_base, chained) */
    int *gid;          /* group_mean imputation: group of each unit, -1 none */
    double *col, *out; /* nu scratch */
    unsigned char *kept;
    double *yc;    /* nl x nu: a period's leaf values leaf by leaf (cross_section) */
    size_t *inner; /* the plan's inner nodes (column < 0), ninner of them */
    size_t ninner;
    double *ranks;          /* ninner x nu: a period's inner scores, then their ranks */
    double *fixedw;         /* nn: weights fixed from a period ("from"), NAN when none */
    unsigned char *fixedok; /* nn: 1 when node j's children got fixed weights */
};

/* Runs of fewer leaf x unit x period cells compute their periods in one
 * part unless the caller says otherwise (compute_opts.split_cells). */
#define SPLIT_CELLS 200000

#define XAT(w, l, u, p) (((w)->xmap[l] ? (w)->xmap[l][u] : (u)) * (w)->np + (p))
#define X(w, l, u, p)   ((w)->xl[l][XAT(w, l, u, p)])
#define XF(w, l, u, p)  ((w)->xf[l][XAT(w, l, u, p)])

/* Indicator k at the run's frequency, on the index's basis: the period's own
 * values, or year-to-date ones (flows cumulated within each year, stocks as
 * they are, rates as the ratio of their components' year-to-date values). */
static int basis_series(struct work *w, size_t k, struct cseries *s)
{
    const struct config_indicator *ind = &w->c->inds[k];
    struct cseries n = {0}, d = {0};
    size_t np = w->np, nu = w->c->nu;
    long kn, kd;
    int rc = cmp_series_at(w->c, k, w->run->freq, s);

    if (rc < 0 || w->pl->ix->basis != CONFIG_BASIS_YTD)
        return rc;
    if (ind->kind != CONFIG_RATE) {
        enum ytd_kind yk = ind->kind == CONFIG_FLOW ? YTD_FLOW : YTD_STOCK;
        for (size_t u = 0; u < nu && rc == 0; u++)
            rc = ytd_cumulate(yk, w->run->freq, s->v + u * np, np, s->v + u * np);
        return rc;
    }
    /* the config refuses a rate without components on a year-to-date basis */
    kn = config_indicator_find(w->c->cfg, ind->numerator, strlen(ind->numerator));
    kd = config_indicator_find(w->c->cfg, ind->denominator, strlen(ind->denominator));
    if (kn < 0 || kd < 0)
        return -EINVAL;
    if ((rc = basis_series(w, (size_t)kn, &n)) == 0 && (rc = basis_series(w, (size_t)kd, &d)) == 0)
        for (size_t i = 0; i < nu * np; i++)
            s->v[i] = d.v[i] != 0 ? n.v[i] / d.v[i] * ind->scale : NAN;
    cmp_series_free(&n);
    cmp_series_free(&d);
    return rc;
}

/* Can leaf lf borrow its indicator's series from the snapshot: its own
 * frequency, period values, no denominator, and no "carry" imputation
 * (impute_carry reads the leaf as one nu x np block)? */
static int borrows(const struct work *w, const struct cmp_leaf *lf)
{
    return w->c->inds[lf->ind].freq == w->run->freq && w->pl->ix->basis != CONFIG_BASIS_YTD &&
           lf->den < 0 && w->pl->impute != IMPUTE_CARRY;
}

/* Raw leaf values at the index frequency for the scored units: borrowed
 * from the snapshot where they are its own series, else copied. */
static int load_leaves(struct work *w)
{
    size_t nown = 0, cells = w->nu * w->np;
    for (size_t l = 0; l < w->nl; l++)
        nown += !borrows(w, &w->pl->leaf[l]);
    w->xl = calloc(w->nl ? w->nl : 1, sizeof(*w->xl));
    w->xf = calloc(w->nl ? w->nl : 1, sizeof(*w->xf));
    w->xmap = calloc(w->nl ? w->nl : 1, sizeof(*w->xmap));
    w->xown = malloc((nown * cells + 1) * sizeof(double));
    w->xfown = malloc((nown * cells + 1) * sizeof(unsigned));
    if (!w->xl || !w->xf || !w->xmap || !w->xown || !w->xfown)
        return -ENOMEM;
    nown = 0;
    for (size_t l = 0; l < w->nl; l++) {
        const struct cmp_leaf *lf = &w->pl->leaf[l];
        struct cseries s = {0}, d = {0};
        if (borrows(w, lf)) {
            w->xl[l] = w->c->s[lf->ind].v;
            w->xf[l] = w->c->s[lf->ind].fl;
            w->xmap[l] = w->pl->units;
            continue;
        }
        double *x = w->xown + nown * cells;
        unsigned *xf = w->xfown + nown * cells;
        nown++;
        w->xl[l] = x;
        w->xf[l] = xf;
        int rc = basis_series(w, lf->ind, &s);
        if (rc == 0 && lf->den >= 0)
            rc = basis_series(w, (size_t)lf->den, &d);
        for (size_t u = 0; rc == 0 && u < w->nu; u++) {
            size_t cu = w->pl->units[u];
            for (size_t p = 0; p < w->np; p++) {
                double v = s.v[cu * w->np + p];
                if (lf->den >= 0) /* denominate: x / denominator */
                    v = d.v[cu * w->np + p] != 0 ? v / d.v[cu * w->np + p] : NAN;
                x[u * w->np + p] = v;
                xf[u * w->np + p] = s.fl[cu * w->np + p];
            }
        }
        cmp_series_free(&s);
        cmp_series_free(&d);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* The mean of the present values of series v (one unit, one leaf) over the
 * base's n sub-periods at positions pos[] ("2021" for a quarterly index:
 * 2021-Q1 .. Q4); NAN when none is present. */
static double base_mean(const double *v, const long *pos, int n)
{
    double sum = 0;
    int cnt = 0;
    for (int i = 0; i < n; i++) {
        if (pos[i] >= 0 && !isnan(v[pos[i]])) {
            sum += v[pos[i]];
            cnt++;
        }
    }
    return cnt ? sum / cnt : NAN;
}

/*
 * Time normalisation of every leaf and unit from the base (docs/INDICES.md).
 * A base of the index's own frequency is one period. A coarser base ("2021" for
 * a quarterly index) is matched like with like by default: each period against
 * the same sub-period of the base (2023-Q3 against 2021-Q3; chained: each
 * quarter chained to the same quarter a year before, 100 in the base's). Only
 * "base_match": "mean" compares with the mean of the base's sub-periods (for a
 * chained index: the chain rescaled so that the base's mean is 100).
 */
static int time_normalise(struct work *w)
{
    struct period sub[12];
    long pos[12];
    int n = period_subperiods(w->pl->ix->base, w->run->freq, sub, 12);
    int same = n > 1 && w->pl->ix->base_match == CONFIG_BASE_SAME_PERIOD;
    double one = 1.0;

    if (n < 0) /* no base at this frequency: every value missing */
        n = 0;
    for (int i = 0; i < n; i++)
        pos[i] = cmp_period_pos(w->c, sub[i]);
    for (size_t l = 0; l < w->nl; l++)
        for (size_t u = 0; u < w->nu; u++) {
            double *tn = w->tn + (l * w->nu + u) * w->np;
            const double *x = &X(w, l, u, 0);
            int dir = w->pl->leaf[l].dir;
            long b0 = n > 0 ? pos[0] : -1;
            for (size_t p = 0; p < w->np; p++)
                tn[p] = NAN;
            if (b0 < 0)
                continue;
            if (w->pl->norm == NORM_CHAINED) {
                /* I_t = I_{t-lag} x_t / x_{t-lag} from 100 at the base; lag 1, or
                 * the base's length (a year) when seasons are chained apart */
                size_t lag = same ? (size_t)n : 1, T = w->np - (size_t)b0;
                if (normalise_chained(x + b0, &one, &dir, 1, T, lag, tn + b0) < 0)
                    return -EINVAL;
                if (!same && n > 1) {
                    /* the chain's mean over the base's sub-periods becomes 100 */
                    double mean = base_mean(tn, pos, n);
                    for (size_t p = (size_t)b0; p < w->np; p++)
                        tn[p] = tn[p] / mean * 100.0;
                }
                continue;
            }
            double bm = same ? NAN : base_mean(x, pos, n);
            for (size_t p = 0; p < w->np; p++) {
                /* fixed base: x_t / x_base x 100 (direction -1: x_base / x_t x 100);
                 * x_base the same sub-period of the base, or the base's mean */
                size_t k = (size_t)(cmp_period_at(w->c, w->run->freq, p).index - 1) % (size_t)n;
                double pair[2] = {same ? (pos[k] >= 0 ? x[pos[k]] : NAN) : bm, x[p]}, res[2];
                if (normalise_fixed_base(pair, 2, 0, dir, res) < 0)
                    return -EINVAL;
                tn[p] = res[1];
            }
        }
    return 0;
}

/* Normalises one compact column of n values; returns 1 for zero spread. */
static int norm_column(const struct cmp_plan *pl, size_t l, const double *in, size_t n, double *out)
{
    const struct cmp_leaf *lf = &pl->leaf[l];
    switch (pl->norm) {
    case NORM_MINMAX:
        return normalise_minmax(in, n, lf->dir, out);
    case NORM_ZSCORE:
        return normalise_zscore(in, n, lf->dir, out);
    case NORM_EFFICACY:
        return normalise_efficacy(in, n, lf->dir, lf->x_s, lf->x_h, out);
    case NORM_GOALPOSTS:
        return normalise_goalposts(in, n, lf->dir, lf->lo, lf->hi, out);
    case NORM_RANK:
        return normalise_rank(in, n, lf->dir, out);
    case NORM_BANDED:
        return normalise_banded(in, n, lf->breaks, lf->points, lf->nb, out);
    default:
        return -EINVAL;
    }
}

/* Group ids of the units for group_mean imputation (distinct attribute values). */
static int group_ids(struct work *w)
{
    const char **label = malloc((w->nu ? w->nu : 1) * sizeof(*label));
    int rc = -ENOMEM;

    if (label && (w->gid = malloc((w->nu ? w->nu : 1) * sizeof(int)))) {
        for (size_t u = 0; u < w->nu; u++)
            label[u] = config_unit_attr(&w->c->units[w->pl->units[u]], w->pl->impute_attr);
        rc = impute_group_ids(label, w->nu, w->gid);
    }
    free(label);
    return rc < 0 ? rc : 0;
}

#define Y(r, p, u, l) ((r)->y[(cmp_slot((r), (p)) * (r)->pl->nu + (u)) * (r)->pl->nl + (l)])
#define UF(r, p, u)   ((r)->uflags[cmp_slot((r), (p)) * (r)->pl->nu + (u)])

/* Leaf l of period p into its column of w->yc, imputed as the plan says
 * (impute.h); the units whose value was filled are flagged IMPUTED (and
 * CARRIED for carry). */
static int impute_leaf(struct work *w, size_t p, size_t l)
{
    unsigned flag = COMPUTE_FLAG_IMPUTED;
    double *col = w->yc + l * w->nu;
    int rc = 0;

    for (size_t u = 0; u < w->nu; u++)
        col[u] = X(w, l, u, p);
    if (w->pl->impute == IMPUTE_GROUP_MEAN) {
        rc = impute_group_mean(col, w->gid, w->nu, col);
    } else if (w->pl->impute == IMPUTE_CARRY) {
        rc = impute_carry(&X(w, l, 0, 0), w->nu, w->np, p, col);
        flag |= COMPUTE_FLAG_CARRIED;
    }
    if (rc < 0 || w->pl->impute == IMPUTE_NONE)
        return rc; /* none: nothing filled */
    for (size_t u = 0; u < w->nu; u++)
        if (isnan(X(w, l, u, p)) && !isnan(col[u]))
            UF(w->run, p, u) |= flag;
    return 0;
}

/* The leaf columns of w->yc into period p's rows of y (unit by unit), in
 * one pass over the rows. */
static void put_columns(struct work *w, size_t p)
{
    for (size_t u = 0; u < w->nu; u++)
        for (size_t l = 0; l < w->nl; l++)
            Y(w->run, p, u, l) = w->yc[l * w->nu + u];
}

/* Screening of period p (screen.h): a unit with less than the plan's share
 * of indicators present is left out of the period (flag EXCLUDED). */
static int screen(struct work *w, size_t p)
{
    if (screen_units(&Y(w->run, p, 0, 0), w->nu, w->nl, w->pl->screen, w->kept) < 0)
        return -EINVAL;
    for (size_t u = 0; u < w->nu; u++) {
        if (w->kept[u])
            continue;
        UF(w->run, p, u) |= COMPUTE_FLAG_EXCLUDED;
        for (size_t l = 0; l < w->nl; l++) {
            Y(w->run, p, u, l) = NAN;
            if (w->yc)
                w->yc[l * w->nu + u] = NAN;
        }
    }
    return 0;
}

/* Compact column l of the kept units out of w->yc (put = 0) or back into
 * it (put = 1). */
static size_t column(struct work *w, size_t l, double *col, int put)
{
    double *yc = w->yc + l * w->nu;
    size_t n = 0;
    for (size_t u = 0; u < w->nu; u++) {
        if (!w->kept[u])
            continue;
        if (put)
            yc[u] = col[n];
        else
            col[n] = yc[u];
        n++;
    }
    return n;
}

static void flag_kept(struct work *w, size_t p, unsigned flag)
{
    for (size_t u = 0; u < w->nu; u++)
        if (w->kept[u])
            UF(w->run, p, u) |= flag;
}

/* Cross-sectional steps for period p: impute, screen, treat, normalise.
 * The leaves are worked on as columns (w->yc) and put into the rows of y
 * once normalised (and before, for screening, which reads the rows): one or
 * two passes over the rows rather than three per leaf. */
static int cross_section(struct work *w, size_t p)
{
    const struct cmp_plan *pl = w->pl;
    int rc = 0;
    for (size_t l = 0; l < w->nl && rc == 0; l++)
        rc = impute_leaf(w, p, l);
    if (rc < 0)
        return rc;
    if (pl->screen == 0) {
        memset(w->kept, 1, w->nu); /* a share of 0 keeps every unit (screen.h) */
    } else {
        put_columns(w, p); /* screening reads the rows */
        if ((rc = screen(w, p)) < 0)
            return rc;
    }
    for (size_t l = 0; l < w->nl; l++) {
        size_t n = column(w, l, w->col, 0);
        if (pl->outlier) {
            struct outlier_result res;
            if (outlier_treat(w->col, n, &pl->oo, w->col, &res) < 0)
                return -EINVAL;
            if (res.treatment != OUTLIER_NONE)
                flag_kept(w, p, COMPUTE_FLAG_TREATED);
        }
        rc = norm_column(pl, l, w->col, n, w->out);
        if (rc < 0)
            return rc;
        if (rc == 1)
            flag_kept(w, p, COMPUTE_FLAG_DEGENERATE);
        column(w, l, w->out, 1);
    }
    put_columns(w, p);
    return 0;
}

/* Time-normalised values of period p into y, then screening. */
static int time_section(struct work *w, size_t p)
{
    for (size_t u = 0; u < w->nu; u++)
        for (size_t l = 0; l < w->nl; l++)
            Y(w->run, p, u, l) = w->tn[(l * w->nu + u) * w->np + p];
    return screen(w, p);
}

/* The children of node j, in plan order, into kids; returns their number. */
static size_t children_of(const struct cmp_plan *pl, size_t j, size_t *kids)
{
    size_t n = 0;
    for (size_t k = j + 1; k < pl->nn; k++)
        if (pl->nodes[k].parent == (int)j)
            kids[n++] = k;
    return n;
}

/* Weights of node j's nk children (leaves, the config checked) from the
 * normalised values of period p (aggregate/weights.h: units with a child
 * missing are left out); 0 or a negative errno (-EDOM: none defined). */
static int derive(struct work *w, size_t p, size_t j, const size_t *kids, size_t nk, double *out)
{
    const struct config_weights *ws = w->pl->wspec[j];
    size_t nu = w->nu;
    double *x;
    int rc;

    if (ws->method == CONFIG_WEIGHTS_AHP) {
        memcpy(out, ws->ahp, nk * sizeof(double));
        return 0;
    }
    if (!(x = malloc(((nu ? nu : 1) * nk + 1) * sizeof(double))))
        return -ENOMEM;
    for (size_t u = 0; u < nu; u++)
        for (size_t k = 0; k < nk; k++)
            x[u * nk + k] = Y(w->run, p, u, (size_t)w->pl->nodes[kids[k]].column);
    switch (ws->method) {
    case CONFIG_WEIGHTS_ENTROPY:
        rc = weights_entropy(x, nu, nk, out);
        break;
    case CONFIG_WEIGHTS_CRITIC:
        rc = weights_critic(x, nu, nk, out);
        break;
    case CONFIG_WEIGHTS_CV:
        rc = weights_cv(x, nu, nk, out);
        break;
    default:
        rc = weights_pca(x, nu, nk, out, NULL);
        break;
    }
    free(x);
    return rc;
}

/*
 * The children's weights of every node with derived weights in period p into
 * run->wt: AHP's, the ones fixed from "from", or this period's. Where the
 * method gives none (-EDOM: too few units, a constant column; -EINVAL: a
 * negative value for entropy) the configured weights, normalised among the
 * siblings, and node j and its ancestors are flagged WEIGHTS_FALLBACK.
 * fixed = 1: the pre-pass over the period "from", into w->fixedw instead.
 */
static int set_weights(struct work *w, size_t p, int fixed)
{
    const struct cmp_plan *pl = w->pl;
    size_t nn = pl->nn, *kids = malloc(nn * sizeof(size_t));
    double *dw = malloc(nn * sizeof(double));
    int rc = 0;

    if (!kids || !dw) {
        rc = -ENOMEM;
        goto out;
    }
    for (size_t j = 0; j < nn && rc == 0; j++) {
        const struct config_weights *ws = pl->wspec[j];
        size_t nk;
        int got;
        if (!ws || (fixed && !(ws->fixed && cmp_period_pos(w->c, ws->from) == (long)p)))
            continue;
        nk = children_of(pl, j, kids);
        if (fixed) {
            if ((got = derive(w, p, j, kids, nk, dw)) == 0)
                for (size_t k = 0; k < nk; k++)
                    w->fixedw[kids[k]] = dw[k];
            w->fixedok[j] = got == 0;
            rc = got == -ENOMEM ? got : 0;
            continue;
        }
        if (ws->fixed) {
            got = w->fixedok[j] ? 0 : -EDOM;
            for (size_t k = 0; k < nk; k++)
                dw[k] = w->fixedw[kids[k]];
        } else {
            got = derive(w, p, j, kids, nk, dw);
        }
        if (got == -ENOMEM) {
            rc = got;
            break;
        }
        if (got < 0) {
            double sum = 0;
            for (size_t k = 0; k < nk; k++)
                sum += pl->nodes[kids[k]].weight;
            for (size_t k = 0; k < nk; k++)
                dw[k] = pl->nodes[kids[k]].weight / sum;
            for (long a = (long)j; a >= 0; a = pl->nodes[a].parent)
                w->run->pflags[p * nn + (size_t)a] |= COMPUTE_FLAG_WEIGHTS_FALLBACK;
        }
        for (size_t k = 0; k < nk; k++)
            w->run->wt[p * nn + kids[k]] = dw[k];
    }
out:
    free(kids);
    free(dw);
    return rc;
}

/* The plan's nodes with period p's derived weights (contract in
 * compute_priv.h). */
struct composite_node *cmp_period_nodes(const struct cmp_run *r, size_t p)
{
    size_t nn = r->pl->nn;
    struct composite_node *nodes = malloc(nn * sizeof(*nodes));

    if (!nodes)
        return NULL;
    memcpy(nodes, r->pl->nodes, nn * sizeof(*nodes));
    for (size_t j = 0; j < nn; j++) {
        double v = r->wt[p * nn + j];
        if (!isnan(v))
            nodes[j].weight = v > 0 ? v : DBL_MIN;
    }
    return nodes;
}

/* The ranks among siblings of every inner node in slot sp: the inner
 * nodes' scores gathered in one pass over the units' rows (nn apart), ranked
 * node by node, put back in one pass. */
static int rank_period(struct work *w, size_t sp)
{
    struct cmp_run *r = w->run;
    size_t nu = w->nu, nn = w->pl->nn, ni = w->ninner;
    const double *score = r->score + sp * nu * nn;
    double *rank = r->rank + sp * nu * nn;
    int rc = 0;

    for (size_t u = 0; u < nu; u++)
        for (size_t k = 0; k < ni; k++)
            w->ranks[k * nu + u] = score[u * nn + w->inner[k]];
    for (size_t k = 0; k < ni && rc == 0; k++) {
        rc = rank_desc(w->ranks + k * nu, w->pl->group, nu, w->out);
        memcpy(w->ranks + k * nu, w->out, nu * sizeof(double));
    }
    for (size_t u = 0; rc == 0 && u < nu; u++)
        for (size_t k = 0; k < ni; k++)
            rank[u * nn + w->inner[k]] = w->ranks[k * nu + u];
    return rc;
}

/* Leaf flags of the inputs, "carry" for missing values, scores and ranks. */
static int score_period(struct work *w, size_t p)
{
    struct cmp_run *r = w->run;
    const struct cmp_plan *pl = w->pl;
    size_t nu = pl->nu, nn = pl->nn;

    unsigned *uf = &UF(r, p, 0);
    for (size_t l = 0; l < w->nl; l++) { /* leaf by leaf: each its own series */
        const unsigned *xf = w->xf[l];
        const size_t *map = w->xmap[l];
        for (size_t u = 0; u < nu; u++)
            uf[u] |= xf[(map ? map[u] : u) * w->np + p] & COMPUTE_FLAG_INCOMPLETE;
    }
    for (size_t u = 0; pl->carry && p > 0 && u < nu; u++)
        for (size_t l = 0; l < w->nl; l++)
            if (isnan(Y(r, p, u, l)) && !isnan(Y(r, p - 1, u, l))) {
                Y(r, p, u, l) = Y(r, p - 1, u, l);
                uf[u] |= COMPUTE_FLAG_CARRIED;
            }
    struct composite_node *nodes = pl->derived ? cmp_period_nodes(r, p) : NULL;
    size_t sp = cmp_slot(r, p);
    int rc =
        pl->derived && !nodes
            ? -ENOMEM
            : composite_scores(nodes ? nodes : pl->nodes, nn, &Y(r, p, 0, 0), nu, w->nl, pl->method,
                               pl->missing, r->score + sp * nu * nn, r->cflags + sp * nu * nn);
    free(nodes);
    return rc < 0 ? rc : rank_period(w, sp);
}

/* Per-period arrays of slots s0 .. s0 + n - 1 to their empty values. */
static void clear_slots(struct cmp_run *r, size_t s0, size_t n)
{
    size_t nu = r->pl->nu, nn = r->pl->nn, nl = r->pl->nl;
    for (size_t i = s0 * nu * nn; i < (s0 + n) * nu * nn; i++)
        r->score[i] = r->rank[i] = NAN;
    memset(r->cflags + s0 * nu * nn, 0, n * nu * nn * sizeof(*r->cflags));
    for (size_t i = s0 * nu * nl; i < (s0 + n) * nu * nl; i++)
        r->y[i] = NAN;
    memset(r->uflags + s0 * nu, 0, n * nu * sizeof(*r->uflags));
}

static int time_based(const struct cmp_plan *pl);

/* The scratch arrays of one thread computing periods: w's own (a half's
 * after a copy of the run's work). -ENOMEM leaves them to scratch_free(). */
static int scratch_new(struct work *w)
{
    size_t nu = w->nu ? w->nu : 1, ni = w->ninner ? w->ninner : 1;
    w->col = malloc(nu * sizeof(double));
    w->out = malloc(nu * sizeof(double));
    w->kept = malloc(nu);
    w->ranks = malloc(ni * nu * sizeof(double));
    w->yc = time_based(w->pl) ? NULL : malloc((w->nl ? w->nl : 1) * nu * sizeof(double));
    if (!w->col || !w->out || !w->kept || !w->ranks || (!w->yc && !time_based(w->pl)))
        return -ENOMEM;
    return 0;
}

static void scratch_free(struct work *w)
{
    free(w->col);
    free(w->out);
    free(w->kept);
    free(w->ranks);
    free(w->yc);
    w->col = w->out = w->ranks = w->yc = NULL;
    w->kept = NULL;
}

/* The plan's inner nodes (those ranked) into w->inner. 0 or -ENOMEM. */
static int inner_nodes(struct work *w)
{
    size_t *inner = malloc((w->pl->nn ? w->pl->nn : 1) * sizeof(size_t));
    if (!inner)
        return -ENOMEM;
    w->ninner = 0;
    for (size_t j = 0; j < w->pl->nn; j++)
        if (w->pl->nodes[j].column < 0)
            inner[w->ninner++] = j;
    w->inner = inner;
    return 0;
}

/* The run's arrays, the per-period ones for run->nslot periods. Their
 * slots are cleared as periods come into them (section(), skip_period()),
 * not here: a slot is first written by the thread that computes it, and the
 * pages of a slot no period reaches are never touched. */
static int alloc_run(struct work *w)
{
    struct cmp_run *r = w->run;
    size_t nu = w->nu ? w->nu : 1, ns = r->nslot ? r->nslot : 1;
    size_t cells = ns * nu, full = cells * (w->pl->nn ? w->pl->nn : 1);
    size_t ys = (w->nl ? w->nl : 1) * cells;

    r->ptext = calloc(w->np ? w->np : 1, PERIOD_TEXT_SIZE);
    r->has_data = calloc(w->np ? w->np : 1, 1);
    r->y = malloc(ys * sizeof(double));
    r->uflags = malloc(cells * sizeof(unsigned));
    r->score = malloc(full * sizeof(double));
    r->cflags = malloc(full * sizeof(unsigned));
    r->rank = malloc(full * sizeof(double));
    if (w->pl->derived) {
        size_t pn = (w->np ? w->np : 1) * w->pl->nn + 1;
        if (!(r->wt = malloc(pn * sizeof(double))) || !(r->pflags = calloc(pn, sizeof(unsigned))))
            return -ENOMEM;
        for (size_t i = 0; i < pn; i++)
            r->wt[i] = NAN;
    }
    if (!r->ptext || !r->has_data || !r->y || !r->uflags || !r->score || !r->cflags || !r->rank ||
        inner_nodes(w) < 0)
        return -ENOMEM;
    return scratch_new(w);
}

static int time_based(const struct cmp_plan *pl)
{
    return pl->norm == NORM_FIXED_BASE || pl->norm == NORM_CHAINED;
}

/* A period of the window not computed: its slot empty. */
static void skip_period(struct cmp_run *run, size_t p)
{
    clear_slots(run, cmp_slot(run, p), 1);
}

/* The normalised values of period p into run->y (its slot cleared first);
 * 0 when it has no data. */
static int section(struct work *w, size_t p)
{
    struct cmp_run *run = w->run;
    skip_period(run, p);
    period_format(cmp_period_at(w->c, run->freq, p), run->ptext[p], PERIOD_TEXT_SIZE);
    for (size_t l = 0; l < w->nl && !run->has_data[p]; l++)
        for (size_t u = 0; u < w->nu && !run->has_data[p]; u++)
            run->has_data[p] = !isnan(X(w, l, u, p));
    if (!run->has_data[p])
        return 0;
    return time_based(w->pl) ? time_section(w, p) : cross_section(w, p);
}

/* Periods [p0, p1) of the run: cross-section (or time section), derived
 * weights and scores. */
static int periods(struct work *w, size_t p0, size_t p1)
{
    int rc = 0;
    for (size_t p = p0; p < p1 && rc == 0; p++) {
        if ((rc = section(w, p)) < 0 || !w->run->has_data[p])
            continue;
        if (w->pl->derived && (rc = set_weights(w, p, 0)) < 0)
            break;
        rc = score_period(w, p);
    }
    return rc;
}

/* Weights fixed from a period ("from"): derived once from that period's
 * normalised values before the periods run. A "from" outside the data or
 * without data leaves them undefined (every period falls back, flagged). */
static int fixed_weights(struct work *w)
{
    const struct cmp_plan *pl = w->pl;
    int rc = 0;

    if (!(w->fixedw = malloc(pl->nn * sizeof(double))) || !(w->fixedok = calloc(pl->nn, 1)))
        return -ENOMEM;
    for (size_t j = 0; j < pl->nn; j++)
        w->fixedw[j] = NAN;
    for (size_t j = 0; j < pl->nn && rc == 0; j++) {
        long p =
            pl->wspec[j] && pl->wspec[j]->fixed ? cmp_period_pos(w->c, pl->wspec[j]->from) : -1;
        if (p < 0 || w->fixedok[j])
            continue;
        if ((rc = section(w, (size_t)p)) == 0 && w->run->has_data[p])
            rc = set_weights(w, (size_t)p, 1);
    }
    return rc;
}

/* The second half of the periods, a task of the caller's executor: its own
 * scratch arrays. */
struct half {
    struct work w;
    size_t p0, p1;
    int rc;
};

static void half_main(void *arg)
{
    struct half *h = arg;
    h->rc = periods(&h->w, h->p0, h->p1);
}

/* Periods [p0, p1); the two halves at once when the periods are
 * independent (no "carry" from the period before), big enough to be worth a
 * task, and the caller gave an executor. */
static int run_periods(struct work *w, size_t p0, size_t p1)
{
    const struct compute_opts *o = &w->c->opts;
    size_t mid = p0 + (p1 - p0) / 2;
    size_t cells = o->split_cells ? o->split_cells : SPLIT_CELLS;
    struct half h = {*w, mid, p1, 0};
    struct exec_task *task = NULL;
    int rc;

    if (!o->ex || w->pl->carry || p1 - p0 < 2 || w->nl * w->nu * (p1 - p0) < cells)
        return periods(w, p0, p1);
    if (scratch_new(&h.w) < 0 || exec_start(o->ex, half_main, &h, &task) < 0) {
        rc = periods(w, p0, p1); /* no task: one after the other */
        goto out;
    }
    rc = periods(w, p0, mid);
    exec_wait(o->ex, task);
    rc = rc ? rc : h.rc;
    w->run->split = 1;
out:
    scratch_free(&h.w);
    return rc;
}

/* Periods held at once by cmp_run_each(): the window's per-period arrays
 * take about CMP_WINDOW_BYTES; at least 2 (the two halves at once). An
 * index with weights fixed from a period keeps every period (that period's
 * values are read by all). */
#define CMP_WINDOW_BYTES ((size_t)64 << 20)

static size_t window_periods(const struct compute *c, const struct cmp_plan *pl, size_t np)
{
    size_t per = (pl->nu ? pl->nu : 1) * (pl->nn * (2 * sizeof(double) + sizeof(unsigned)) +
                                          pl->nl * sizeof(double) + sizeof(unsigned));
    size_t b = (c->opts.window_bytes ? c->opts.window_bytes : CMP_WINDOW_BYTES) / per;
    for (size_t j = 0; j < pl->nn; j++)
        if (pl->wspec[j] && pl->wspec[j]->fixed)
            b = np;
    b = b < 2 ? 2 : b;
    return b < np ? b : (np ? np : 1);
}

/* The run's setup before its periods: arrays, leaves, groups, time
 * normalisation, fixed weights. */
static int run_setup(struct work *w)
{
    const struct cmp_plan *pl = w->pl;
    int rc;
    if ((rc = alloc_run(w)) < 0 || (rc = load_leaves(w)) < 0)
        return rc;
    if (pl->impute == IMPUTE_GROUP_MEAN && (rc = group_ids(w)) < 0)
        return rc;
    if (time_based(pl) && (!(w->tn = malloc((w->nl * w->nu * w->np + 1) * sizeof(double))) ||
                           (rc = time_normalise(w)) < 0))
        return rc ? rc : -ENOMEM;
    if (pl->derived && (rc = fixed_weights(w)) < 0)
        return rc;
    return 0;
}

static void work_free(struct work *w)
{
    free(w->fixedw);
    free(w->fixedok);
    free(w->xl);
    free(w->xf);
    free(w->xmap);
    free(w->xown);
    free(w->xfown);
    free(w->tn);
    free(w->gid);
    free(w->inner);
    scratch_free(w);
}

/* Windowed run (contract in compute_priv.h): blocks of periods; before each
 * block after the first, the previous block's last period moves to slot 0. */
int cmp_run_each(struct compute *c, const struct cmp_plan *pl, struct cmp_run *run,
                 const unsigned char *need, cmp_period_cb cb, void *ctx)
{
    struct work w = {.c = c, .pl = pl, .run = run, .nu = pl->nu, .nl = pl->nl};
    size_t nb;
    int rc;

    memset(run, 0, sizeof(*run));
    run->pl = pl;
    run->freq = pl->ix->freq;
    run->np = w.np = cmp_nper(c, run->freq);
    nb = window_periods(c, pl, w.np);
    run->nslot = nb < w.np ? nb + 1 : nb;
    if ((rc = run_setup(&w)) < 0)
        goto out;
    for (size_t b0 = 0, b1; b0 < w.np && rc == 0; b0 = b1) {
        int active = !need || pl->carry;
        if (!active && run->nslot < w.np && !need[b0]) {
            /* a period not needed before the next needed one: not computed,
             * no slot moves (none of it is read), so the next block starts
             * at a needed period and holds as many of them as fit */
            b1 = b0 + 1;
            rc = cb(run, b0, ctx);
            continue;
        }
        b1 = b0 + nb < w.np ? b0 + nb : w.np;
        if (b0 > 0 && run->nslot < w.np &&
            (b0 - 1 < run->base || b0 - 1 >= run->base + run->nslot)) {
            /* the period before was not computed (skipped above): no
             * needed period reads it */
            run->base = b0 - 1;
            skip_period(run, b0 - 1);
        } else if (b0 > 0 && run->nslot < w.np) {
            size_t last = cmp_slot(run, b0 - 1), nu = pl->nu, nn = pl->nn, nl = pl->nl;
            memmove(run->score, run->score + last * nu * nn, nu * nn * sizeof(double));
            memmove(run->rank, run->rank + last * nu * nn, nu * nn * sizeof(double));
            memmove(run->cflags, run->cflags + last * nu * nn, nu * nn * sizeof(unsigned));
            memmove(run->y, run->y + last * nu * nl, nu * nl * sizeof(double));
            memmove(run->uflags, run->uflags + last * nu, nu * sizeof(unsigned));
            run->base = b0 - 1;
        }
        if (need && !pl->carry) {
            /* the needed periods of the block, each run of them at once */
            for (size_t p = b0, q; p < b1 && rc == 0; p = q) {
                for (q = p; q < b1 && need[q]; q++)
                    ;
                if (q > p)
                    rc = run_periods(&w, p, q);
                else
                    skip_period(run, q++);
            }
            if (rc < 0)
                break;
        } else if ((rc = run_periods(&w, b0, b1)) < 0) {
            break;
        }
        for (size_t p = b0; p < b1 && rc == 0; p++)
            rc = cb(run, p, ctx);
    }
out:
    work_free(&w);
    if (rc < 0)
        cmp_run_free(run);
    return rc;
}

/* Every period of the index (contract in compute_priv.h). */
int cmp_run_index(struct compute *c, const struct cmp_plan *pl, struct cmp_run *run)
{
    struct work w = {.c = c, .pl = pl, .run = run, .nu = pl->nu, .nl = pl->nl};
    int rc;

    memset(run, 0, sizeof(*run));
    run->pl = pl;
    run->freq = pl->ix->freq;
    run->np = w.np = cmp_nper(c, run->freq);
    run->nslot = w.np ? w.np : 1;
    if ((rc = run_setup(&w)) == 0)
        rc = run_periods(&w, 0, w.np);
    work_free(&w);
    if (rc < 0)
        cmp_run_free(run);
    return rc;
}

void cmp_run_free(struct cmp_run *run)
{
    free(run->ptext);
    free(run->has_data);
    free(run->y);
    free(run->uflags);
    free(run->score);
    free(run->cflags);
    free(run->rank);
    free(run->wt);
    free(run->pflags);
    memset(run, 0, sizeof(*run));
}

unsigned cmp_result_flags(const struct cmp_run *run, size_t p, size_t u, size_t j)
{
    size_t nn = run->pl->nn, sp = cmp_slot(run, p);
    unsigned cf = run->cflags[(sp * run->pl->nu + u) * nn + j];
    unsigned f = run->uflags[sp * run->pl->nu + u];
    f |= cf & COMPOSITE_REWEIGHTED ? COMPUTE_FLAG_REWEIGHTED : 0;
    f |= cf & COMPOSITE_EXCLUDED ? COMPUTE_FLAG_EXCLUDED : 0;
    f |= cf & (COMPOSITE_MISSING | COMPOSITE_NONPOSITIVE) ? COMPUTE_FLAG_MISSING : 0;
    f |= isnan(run->score[(sp * run->pl->nu + u) * nn + j]) ? COMPUTE_FLAG_MISSING : 0;
    f |= run->pflags ? run->pflags[p * nn + j] : 0;
    return f;
}
