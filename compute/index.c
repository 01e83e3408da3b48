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
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate/impute.h"
#include "aggregate/normalise.h"
#include "aggregate/outlier.h"
#include "aggregate/rank.h"
#include "aggregate/screen.h"
#include "common/exec.h"
#include "compute/compute_priv.h"
#include "config/config.h"

/* Working arrays of one run. */
struct work {
    struct compute *c;
    const struct cmp_plan *pl;
    struct cmp_run *run;
    size_t nu, nl, np;
    double *x;         /* nl x nu x np raw (denominated) values */
    unsigned *xfl;     /* nl x nu x np series flags */
    double *tn;        /* nl x nu x np time-normalised values (fixed_base, chained) */
    int *gid;          /* group_mean imputation: group of each unit, -1 none */
    double *col, *out; /* nu scratch */
    unsigned char *kept;
};

/* Runs of fewer leaf x unit x period cells compute their periods in one
 * part unless the caller says otherwise (compute_opts.split_cells). */
#define SPLIT_CELLS 200000

#define X(w, l, u, p) ((w)->x[((l) * (w)->nu + (u)) * (w)->np + (p)])

/* Raw leaf values at the index frequency for the scored units. */
static int load_leaves(struct work *w)
{
    for (size_t l = 0; l < w->nl; l++) {
        const struct cmp_leaf *lf = &w->pl->leaf[l];
        struct cseries s = {0}, d = {0};
        int rc = cmp_series_at(w->c, lf->ind, w->run->freq, &s);
        if (rc == 0 && lf->den >= 0)
            rc = cmp_series_at(w->c, (size_t)lf->den, w->run->freq, &d);
        for (size_t u = 0; rc == 0 && u < w->nu; u++) {
            size_t cu = w->pl->units[u];
            for (size_t p = 0; p < w->np; p++) {
                double v = s.v[cu * w->np + p];
                if (lf->den >= 0) /* denominate: x / denominator */
                    v = d.v[cu * w->np + p] != 0 ? v / d.v[cu * w->np + p] : NAN;
                X(w, l, u, p) = v;
                w->xfl[(l * w->nu + u) * w->np + p] = s.fl[cu * w->np + p];
            }
        }
        cmp_series_free(&s);
        cmp_series_free(&d);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* The base value of unit u, leaf l: the base period's value, or the mean of
 * the present values of its sub-periods when the base is coarser ("2021" for
 * a quarterly index is the mean of 2021-Q1 .. Q4). */
static double base_value(struct work *w, size_t l, size_t u, long *first)
{
    struct period sub[12];
    int n = period_subperiods(w->pl->ix->base, w->run->freq, sub, 12);
    double sum = 0;
    int cnt = 0;
    *first = n > 0 ? cmp_period_pos(w->c, sub[0]) : -1;
    for (int i = 0; i < n; i++) {
        long p = cmp_period_pos(w->c, sub[i]);
        if (p >= 0 && !isnan(X(w, l, u, (size_t)p))) {
            sum += X(w, l, u, (size_t)p);
            cnt++;
        }
    }
    return cnt ? sum / cnt : NAN;
}

static int time_normalise(struct work *w)
{
    for (size_t l = 0; l < w->nl; l++)
        for (size_t u = 0; u < w->nu; u++) {
            long b0;
            double b = base_value(w, l, u, &b0), pair[2], res[2], one = 1.0;
            double *tn = w->tn + (l * w->nu + u) * w->np;
            int dir = w->pl->leaf[l].dir;
            for (size_t p = 0; p < w->np; p++)
                tn[p] = NAN;
            if (b0 < 0)
                continue;
            if (w->pl->norm == NORM_CHAINED) {
                /* I_t = I_{t-1} x_t / x_{t-1} from 100 at the first base sub-period */
                if (normalise_chained(&X(w, l, u, (size_t)b0), &one, &dir, 1, w->np - (size_t)b0,
                                      tn + b0) < 0)
                    return -EINVAL;
                continue;
            }
            for (size_t p = 0; p < w->np; p++) {
                /* fixed base: x_t / x_base x 100 (direction -1: x_base / x_t x 100) */
                pair[0] = b;
                pair[1] = X(w, l, u, p);
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

#define Y(r, p, u, l) ((r)->y[((p) * (r)->pl->nu + (u)) * (r)->pl->nl + (l)])
#define UF(r, p, u)   ((r)->uflags[(p) * (r)->pl->nu + (u)])

/* Leaf l of period p into y, imputed as the plan says (impute.h); the units
 * whose value was filled are flagged IMPUTED (and CARRIED for carry). */
static int impute_leaf(struct work *w, size_t p, size_t l)
{
    unsigned flag = COMPUTE_FLAG_IMPUTED;
    int rc = 0;

    for (size_t u = 0; u < w->nu; u++)
        w->col[u] = X(w, l, u, p);
    if (w->pl->impute == IMPUTE_GROUP_MEAN) {
        rc = impute_group_mean(w->col, w->gid, w->nu, w->col);
    } else if (w->pl->impute == IMPUTE_CARRY) {
        rc = impute_carry(&X(w, l, 0, 0), w->nu, w->np, p, w->col);
        flag |= COMPUTE_FLAG_CARRIED;
    }
    if (rc < 0)
        return rc;
    for (size_t u = 0; u < w->nu; u++) {
        Y(w->run, p, u, l) = w->col[u];
        if (isnan(X(w, l, u, p)) && !isnan(w->col[u]))
            UF(w->run, p, u) |= flag;
    }
    return 0;
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
        for (size_t l = 0; l < w->nl; l++)
            Y(w->run, p, u, l) = NAN;
    }
    return 0;
}

/* Compact column l of the kept units (put = 0) or back into y (put = 1). */
static size_t column(struct work *w, size_t p, size_t l, double *col, int put)
{
    size_t n = 0;
    for (size_t u = 0; u < w->nu; u++) {
        if (!w->kept[u])
            continue;
        if (put)
            Y(w->run, p, u, l) = col[n];
        else
            col[n] = Y(w->run, p, u, l);
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

/* Cross-sectional steps for period p: impute, screen, treat, normalise. */
static int cross_section(struct work *w, size_t p)
{
    const struct cmp_plan *pl = w->pl;
    int rc = 0;
    for (size_t l = 0; l < w->nl && rc == 0; l++)
        rc = impute_leaf(w, p, l);
    if (rc < 0 || (rc = screen(w, p)) < 0)
        return rc;
    for (size_t l = 0; l < w->nl; l++) {
        size_t n = column(w, p, l, w->col, 0);
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
        column(w, p, l, w->out, 1);
    }
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

/* Leaf flags of the inputs, "carry" for missing values, scores and ranks. */
static int score_period(struct work *w, size_t p)
{
    struct cmp_run *r = w->run;
    const struct cmp_plan *pl = w->pl;
    size_t nu = pl->nu, nn = pl->nn;

    for (size_t u = 0; u < nu; u++)
        for (size_t l = 0; l < w->nl; l++) {
            UF(r, p, u) |= w->xfl[(l * nu + u) * w->np + p] & COMPUTE_FLAG_INCOMPLETE;
            if (pl->carry && p > 0 && isnan(Y(r, p, u, l)) && !isnan(Y(r, p - 1, u, l))) {
                Y(r, p, u, l) = Y(r, p - 1, u, l);
                UF(r, p, u) |= COMPUTE_FLAG_CARRIED;
            }
        }
    int rc = composite_scores(pl->nodes, nn, &Y(r, p, 0, 0), nu, w->nl, pl->method, pl->missing,
                              r->score + p * nu * nn, r->cflags + p * nu * nn);
    for (size_t j = 0; rc == 0 && j < nn; j++) {
        if (pl->nodes[j].column >= 0)
            continue;
        for (size_t u = 0; u < nu; u++)
            w->col[u] = r->score[(p * nu + u) * nn + j];
        rc = rank_desc(w->col, pl->group, nu, w->out);
        for (size_t u = 0; u < nu; u++)
            r->rank[(p * nu + u) * nn + j] = w->out[u];
    }
    return rc;
}

static int alloc_run(struct work *w)
{
    struct cmp_run *r = w->run;
    size_t nu = w->nu ? w->nu : 1, cells = w->np * nu, full = cells * w->pl->nn;
    size_t xs = (w->nl ? w->nl : 1) * cells;

    /* at least one element each, so an empty run still gets its arrays */
    if (cells == 0)
        cells = 1;
    if (full == 0)
        full = 1;
    if (xs == 0)
        xs = 1;

    r->ptext = calloc(w->np ? w->np : 1, PERIOD_TEXT_SIZE);
    r->has_data = calloc(w->np ? w->np : 1, 1);
    r->y = malloc(xs * sizeof(double));
    r->uflags = calloc(cells, sizeof(unsigned));
    r->score = malloc(full * sizeof(double));
    r->cflags = calloc(full, sizeof(unsigned));
    r->rank = malloc(full * sizeof(double));
    w->x = malloc(xs * sizeof(double));
    w->xfl = calloc(xs, sizeof(unsigned));
    w->col = malloc(nu * sizeof(double));
    w->out = malloc(nu * sizeof(double));
    w->kept = malloc(nu);
    if (!r->ptext || !r->has_data || !r->y || !r->uflags || !r->score || !r->cflags || !r->rank ||
        !w->x || !w->xfl || !w->col || !w->out || !w->kept)
        return -ENOMEM;
    for (size_t i = 0; i < full; i++)
        r->score[i] = r->rank[i] = NAN;
    for (size_t i = 0; i < xs; i++)
        r->y[i] = NAN;
    return 0;
}

static int time_based(const struct cmp_plan *pl)
{
    return pl->norm == NORM_FIXED_BASE || pl->norm == NORM_CHAINED;
}

/* Periods [p0, p1) of the run: cross-section (or time section) and scores. */
static int periods(struct work *w, size_t p0, size_t p1)
{
    struct cmp_run *run = w->run;
    int rc = 0;
    for (size_t p = p0; p < p1 && rc == 0; p++) {
        period_format(cmp_period_at(w->c, run->freq, p), run->ptext[p], PERIOD_TEXT_SIZE);
        for (size_t i = 0; i < w->nl * w->nu && !run->has_data[p]; i++)
            run->has_data[p] = !isnan(w->x[i * w->np + p]);
        if (!run->has_data[p])
            continue;
        if (time_based(w->pl))
            rc = time_section(w, p);
        else
            rc = cross_section(w, p);
        if (rc == 0)
            rc = score_period(w, p);
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

/* Every period; the two halves at once when the periods are independent (no
 * "carry" from the period before), big enough to be worth a task, and the
 * caller gave an executor. */
static int run_periods(struct work *w)
{
    const struct compute_opts *o = &w->c->opts;
    size_t nu = w->nu ? w->nu : 1, mid = w->np / 2;
    size_t cells = o->split_cells ? o->split_cells : SPLIT_CELLS;
    struct half h = {*w, mid, w->np, 0};
    struct exec_task *task = NULL;
    int rc;

    if (!o->ex || w->pl->carry || w->np < 2 || w->nl * w->nu * w->np < cells)
        return periods(w, 0, w->np);
    h.w.col = malloc(nu * sizeof(double));
    h.w.out = malloc(nu * sizeof(double));
    h.w.kept = malloc(nu);
    if (!h.w.col || !h.w.out || !h.w.kept || exec_start(o->ex, half_main, &h, &task) < 0) {
        rc = periods(w, 0, w->np); /* no task: one after the other */
        goto out;
    }
    rc = periods(w, 0, mid);
    exec_wait(o->ex, task);
    rc = rc ? rc : h.rc;
    w->run->split = 1;
out:
    free(h.w.col);
    free(h.w.out);
    free(h.w.kept);
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
    if ((rc = alloc_run(&w)) < 0 || (rc = load_leaves(&w)) < 0)
        goto out;
    if (pl->impute == IMPUTE_GROUP_MEAN && (rc = group_ids(&w)) < 0)
        goto out;
    if (time_based(pl) && (!(w.tn = malloc((w.nl * w.nu * w.np + 1) * sizeof(double))) ||
                           (rc = time_normalise(&w)) < 0)) {
        rc = rc ? rc : -ENOMEM;
        goto out;
    }
    rc = run_periods(&w);
out:
    free(w.x);
    free(w.xfl);
    free(w.tn);
    free(w.gid);
    free(w.col);
    free(w.out);
    free(w.kept);
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
    memset(run, 0, sizeof(*run));
}

unsigned cmp_result_flags(const struct cmp_run *run, size_t p, size_t u, size_t j)
{
    size_t nn = run->pl->nn;
    unsigned cf = run->cflags[(p * run->pl->nu + u) * nn + j];
    unsigned f = run->uflags[p * run->pl->nu + u];
    f |= cf & COMPOSITE_REWEIGHTED ? COMPUTE_FLAG_REWEIGHTED : 0;
    f |= cf & COMPOSITE_EXCLUDED ? COMPUTE_FLAG_EXCLUDED : 0;
    f |= cf & (COMPOSITE_MISSING | COMPOSITE_NONPOSITIVE) ? COMPUTE_FLAG_MISSING : 0;
    f |= isnan(run->score[(p * run->pl->nu + u) * nn + j]) ? COMPUTE_FLAG_MISSING : 0;
    return f;
}
