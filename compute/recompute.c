/*
 * recompute.c - materialised index results: a full recompute (every index,
 * every period with data) or an incremental one (the (index, period) pairs
 * marked in the recompute table and the periods that depend on them), written
 * in one transaction (store_results_start .. finish, the writer on the caller's
 * executor): one row per (index, period, unit) with the total, the dimensions and the contributions
 * of the leaves.
 *
 * Dependencies of a marked period t: t itself and t + 1 (its rank change and
 * contributions compare with t); every later period when the index is
 * chained, carries values forward (missing "carry", impute "carry") or when t
 * lies in the base period of a fixed-base index. A config change is detected
 * by an FNV-1a hash of the index's JSON kept in the index_state table; a
 * changed (or never computed) index is recomputed in full. Scores of all
 * periods are computed in memory either way (cheap next to reading and
 * writing); incremental saves the writes. The rows of each period written
 * are rewritten in place (store/results.h: a row whose rank stays is updated
 * where it stands by rowid, unchanged pages are not written), then the rows
 * of units no longer scored there are swept; a full recompute of an unchanged
 * index does the same for every period and prunes the periods without data.
 * An index whose config changed is wiped first (one range delete) and its
 * rows inserted anew.
 *
 * The config is synced into the store (compute_sync_config) only when it names
 * a unit or indicator the store does not know; `parkstat import` syncs it, so
 * renamed units reach the store through an import or the daemon.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/log.h"
#include "compute/compute_priv.h"
#include "config/config.h"
#include "store/observations.h"
#include "store/results.h"
#include "store/store.h"

struct mark {
    char *index_id;
    char *period;
};

/* What one index hands to the writer; kept until the transaction ends,
 * since the writer thread reads it while later rows are computed. */
struct index_out {
    const char **ids;               /* the layout's dimension ids, then its leaf ids */
    size_t *at;                     /* plan node index of each of ids */
    struct store_index_layout lay;  /* its blob layout */
    struct store_result_key *clear; /* (index, period) results and marks to delete */
    size_t nclear, capclear;
    struct store_result_key *refresh; /* marks and weights only: rows rewritten in place */
    size_t nrefresh;
    struct store_result_sweep *sweep; /* per written period: its units */
    size_t nsweep;
    int64_t *unit_ids;              /* the written units' store ids, ascending */
    struct store_index_weight *wts; /* derived weights of the written periods */
    int full;                       /* every period written */
    int in_place;                   /* rows rewritten in place; else every old row wiped */
    const char **written;           /* a full in-place run: the periods written */
    size_t nwritten;
    struct store_result_prune prune;
};

struct writer {
    struct mark *marks;
    size_t nmarks, capmarks;
    size_t nnode_results;            /* unit x node x period results, for the summary */
    size_t ncon;                     /* contributions */
    struct index_out *out;           /* per index */
    struct store_index_hash *hashes; /* per index, sent last */
    const char **head_wipe;          /* the first part's lists */
    struct store_index_layout *head_lay;
    struct store_results_stream *stream;
    int64_t computed_at;
    unsigned char *unit_seen;
    int oom;
};

static int on_mark(const char *index_id, const char *period, void *ctx)
{
    struct writer *w = ctx;
    if (BUF_GROW(&w->marks, &w->capmarks, w->nmarks + 1, BUF_UNCAPPED) < 0)
        return -ENOMEM;
    w->marks[w->nmarks].index_id = strdup(index_id ? index_id : "");
    w->marks[w->nmarks].period = strdup(period ? period : "");
    if (!w->marks[w->nmarks].index_id || !w->marks[w->nmarks].period) {
        free(w->marks[w->nmarks].index_id);
        free(w->marks[w->nmarks].period);
        return -ENOMEM;
    }
    w->nmarks++;
    return 0;
}

static void add_clear(struct writer *w, struct index_out *o, const char *index_id,
                      const char *period)
{
    if (BUF_GROW(&o->clear, &o->capclear, o->nclear + 1, BUF_UNCAPPED) < 0) {
        w->oom = 1;
        return;
    }
    o->clear[o->nclear++] = (struct store_result_key){index_id, period};
}

/* A period's value reaches every later period: chains, carried values and
 * year-to-date sums (to the year's end; marking all later ones is simpler). */
static int carries(const struct cmp_plan *pl)
{
    return pl->norm == NORM_CHAINED || pl->carry || pl->impute == IMPUTE_CARRY ||
           pl->ix->basis == CONFIG_BASIS_YTD;
}

/* Marks the periods a marked period of index pl touches in want[]. Returns
 * 1 when it marked the period itself (or its container), else 0. */
static int mark_deps(const struct compute *c, const struct cmp_plan *pl, const char *text,
                     unsigned char *want, size_t np)
{
    struct period m, q, base = pl->ix->base;
    if (period_parse_str(&m, text) < 0 || m.freq < pl->ix->freq)
        return 0;
    if (m.freq != pl->ix->freq && period_container(m, pl->ix->freq, &m) < 0)
        return 0;
    long pos = cmp_period_pos(c, m);
    if (pos < 0 || (size_t)pos >= np)
        return 0;
    /* a revised base period rewrites every period (of a chained index too: its
     * seasons start there, or the base's mean rescales the chain) */
    int in_base = (pl->norm == NORM_FIXED_BASE || pl->norm == NORM_CHAINED) && pl->ix->has_base &&
                  period_container(m, base.freq, &q) == 0 && period_cmp(q, base) == 0;
    for (size_t p = in_base ? 0 : (size_t)pos; p < np; p++)
        if (p == (size_t)pos || p == (size_t)pos + 1 || in_base || carries(pl))
            want[p] = 1;
    return 1;
}

/* A sort key: a unit's store id with its plan position. */
struct key {
    int64_t num;
    size_t i;
};

static int key_cmp(const void *a, const void *b)
{
    const struct key *x = a, *y = b;
    return (x->num > y->num) - (x->num < y->num);
}

/* Known units by store id: the rows are then written in primary-key order
 * (index, period, unit), so SQLite appends to neighbouring pages. Returns
 * the number of units with a store id (they come first). */
static size_t sort_units(const struct compute *c, const struct cmp_plan *pl, struct key *units)
{
    size_t n = 0;
    for (size_t u = 0; u < pl->nu; u++)
        if (c->unit_db[pl->units[u]] >= 0)
            units[n++] = (struct key){c->unit_db[pl->units[u]], u};
    qsort(units, n, sizeof(*units), key_cmp);
    return n;
}

/* The layout of plan pl: dimensions (inner nodes but the total), then leaves. */
static int make_layout(const struct cmp_plan *pl, struct index_out *ir)
{
    size_t n = 0;
    ir->ids = malloc((pl->nn ? pl->nn : 1) * sizeof(*ir->ids));
    ir->at = malloc((pl->nn ? pl->nn : 1) * sizeof(*ir->at));
    if (!ir->ids || !ir->at)
        return -ENOMEM;
    for (int leaf = 0; leaf < 2; leaf++)
        for (size_t j = 1; j < pl->nn; j++)
            if ((pl->nodes[j].column >= 0) == leaf) {
                ir->ids[n] = pl->node_id[j];
                ir->at[n++] = j;
            }
    size_t nl = 0;
    for (size_t j = 1; j < pl->nn; j++)
        nl += pl->nodes[j].column >= 0;
    ir->lay = (struct store_index_layout){pl->ix->id, ir->ids, n - nl, ir->ids + (n - nl), nl};
    return 0;
}

/* One result row of unit u (plan order, store id id) in period p into *row;
 * its dimension values and contributions go to vals. */
static void put_row(struct writer *w, const struct cmp_run *r, const struct index_out *o, size_t p,
                    size_t u, int64_t id, double *vals, double *contrib, struct store_result *row)
{
    const struct cmp_plan *pl = r->pl;
    const struct store_index_layout *lay = &o->lay;
    const double *rank = r->rank + (cmp_slot(r, p) * pl->nu + u) * pl->nn;
    const double *score = r->score + (cmp_slot(r, p) * pl->nu + u) * pl->nn;
    const double *prev = p > 0 ? rank - pl->nu * pl->nn : NULL;
    const double *con = NULL;

    for (size_t i = 0; i < lay->nnodes; i++) {
        size_t j = o->at[i];
        double *v = vals + STORE_NODE_FIELDS * i;
        v[0] = score[j];
        v[1] = rank[j];
        v[2] = prev ? prev[j] - rank[j] : NAN; /* rank change: previous - now */
        v[3] = (double)cmp_result_flags(r, p, u, j);
    }
    if (p > 0 && r->has_data[p - 1] &&
        composite_contrib_scored(pl->nodes, pl->nn, 0, score - pl->nu * pl->nn, score, pl->method,
                                 contrib) == 0) {
        double *cv = vals + STORE_NODE_FIELDS * lay->nnodes;
        for (size_t i = 0; i < lay->nleaves; i++)
            cv[i] = contrib[o->at[lay->nnodes + i]];
        con = cv;
        w->ncon += lay->nleaves;
    }
    *row = (struct store_result){pl->ix->id,
                                 id,
                                 r->ptext[p],
                                 score[0],
                                 rank[0],
                                 prev ? prev[0] - rank[0] : NAN,
                                 cmp_result_flags(r, p, u, 0),
                                 vals,
                                 lay->nnodes,
                                 con,
                                 lay->nleaves};
    w->nnode_results += 1 + lay->nnodes;
}

/* Sends one part of the transaction; a failed send is out of memory. */
static int send(struct writer *w, const struct store_results_batch *b)
{
    struct store_results_batch part = *b;
    part.computed_at = w->computed_at;
    return store_results_send(w->stream, &part);
}

/* Rows per part sent to the writer: a few MB, so the rows computed but not
 * yet written stay small however many units a period has. */
#define PART_ROWS 8192

/* One index on its way to the writer: what cmp_run_each() hands each period to. */
struct emit {
    struct writer *w;
    const struct compute *c;
    struct index_out *o;
    unsigned char *want; /* per period: to write (marked, dependent, or full) */
    struct key *units;   /* the scored units with a store id, by store id */
    size_t nk;
    double *contrib; /* nn scratch */
    size_t n;        /* periods written */
    const struct compute_opts *opts;
    double t0;
};

static double now_s(void);

/* Period p of the run is computed: when it is to be written, its old rows
 * are cleared (incremental) and its rows, in unit id order, go to the writer
 * in blocks of PART_ROWS it frees once written (store_results_send_owned),
 * so SQLite writes them while the next are built. */
static int emit_period(const struct cmp_run *r, size_t p, void *ctx)
{
    struct emit *e = ctx;
    struct writer *w = e->w;
    struct index_out *o = e->o;
    const struct cmp_plan *pl = r->pl;
    size_t nk = e->nk, stride, head;
    int rc = 0;

    if (e->want[p] && !r->has_data[p] && o->in_place) {
        /* a period written before that has no data now: its rows go */
        add_clear(w, o, pl->ix->id, r->ptext[p]); /* room reserved: no move */
        if (w->oom || (rc = send(w, &(struct store_results_batch){.clear = o->clear + o->nclear - 1,
                                                                  .nclear = 1})) < 0)
            return w->oom ? -ENOMEM : rc;
    }
    e->want[p] = e->want[p] && r->has_data[p];
    if (!e->want[p])
        return 0;
    if (o->in_place) {
        /* its rows are rewritten in place, its weights and marks deleted */
        struct store_result_key *k = &o->refresh[o->nrefresh++]; /* room reserved */
        *k = (struct store_result_key){pl->ix->id, r->ptext[p]};
        if ((rc = send(w, &(struct store_results_batch){.refresh = k, .nrefresh = 1})) < 0)
            return rc;
    }
    stride = STORE_NODE_FIELDS * o->lay.nnodes + o->lay.nleaves;
    for (size_t v0 = 0; v0 < nk && rc == 0; v0 += PART_ROWS) {
        size_t m = nk - v0 < PART_ROWS ? nk - v0 : PART_ROWS;
        /* one block: the rows, then their values (8-byte aligned) */
        head = (m * sizeof(struct store_result) + sizeof(double) - 1) / sizeof(double);
        double *block = malloc((head + m * stride + 1) * sizeof(double));
        if (!block)
            return -ENOMEM;
        struct store_result *res = (struct store_result *)(void *)block;
        double *vals = block + head;
        for (size_t v = 0; v < m; v++) {
            const struct key *k = &e->units[v0 + v];
            put_row(w, r, o, p, k->i, k->num, vals + v * stride, e->contrib, &res[v]);
            w->unit_seen[pl->units[k->i]] = 1;
        }
        struct store_results_batch part = {.results = res, .nresults = m, .in_place = o->in_place};
        part.computed_at = w->computed_at;
        rc = store_results_send_owned(w->stream, &part, block);
    }
    if (rc == 0 && o->written)
        o->written[o->nwritten++] = r->ptext[p];
    if (rc == 0 && o->in_place) {
        /* units that had rows here but are no longer scored lose them */
        struct store_result_sweep *sw = &o->sweep[o->nsweep++]; /* room reserved */
        *sw = (struct store_result_sweep){pl->ix->id, r->ptext[p], o->unit_ids, nk};
        rc = send(w, &(struct store_results_batch){.sweep = sw, .nsweep = 1});
    }
    if (rc < 0)
        return rc;
    e->n++;
    if (e->opts && e->opts->progress) {
        struct compute_progress pr = {"index", pl->ix->id, r->ptext[p],
                                      p + 1,   r->np,      now_s() - e->t0};
        e->opts->progress(&pr, e->opts->progress_ctx);
    }
    return 0;
}

/* The derived weights of the written periods (docs/INDICES.md), one row per
 * node with derived weights and child, sent after the rows. */
static int put_weights(struct writer *w, const struct cmp_run *r, struct index_out *o,
                       const unsigned char *want)
{
    const struct cmp_plan *pl = r->pl;
    size_t n = 0;

    if (!r->wt)
        return 0;
    if (!(o->wts = malloc((r->np * pl->nn + 1) * sizeof(*o->wts))))
        return -ENOMEM;
    for (size_t p = 0; p < r->np; p++)
        for (size_t j = 1; want[p] && j < pl->nn; j++) {
            double v = r->wt[p * pl->nn + j];
            size_t par = (size_t)pl->nodes[j].parent;
            if (isnan(v))
                continue;
            o->wts[n++] = (struct store_index_weight){
                pl->ix->id,
                r->ptext[p],
                pl->node_id[par],
                pl->node_id[j],
                v,
                r->pflags[p * pl->nn + par] & COMPUTE_FLAG_WEIGHTS_FALLBACK};
        }
    return n ? send(w, &(struct store_results_batch){.weights = o->wts, .nweights = n}) : 0;
}

/* Which periods of index pl to write (want; has_data is checked as each is
 * computed): all (full) or the marked ones and their dependents; the marks
 * are cleared. */
static void choose_periods(struct writer *w, struct index_out *o, const struct compute *c,
                           const struct cmp_plan *pl, size_t np, unsigned char *want)
{
    for (size_t i = 0; i < w->nmarks; i++)
        if (strcmp(w->marks[i].index_id, pl->ix->id) == 0) {
            /* a mark on a period written below goes with its refresh (the
             * mark's text may name a shorter period: deleted here too) */
            if (!o->in_place || !mark_deps(c, pl, w->marks[i].period, want, np))
                add_clear(w, o, pl->ix->id, w->marks[i].period);
            else /* room reserved by run_index */
                o->refresh[o->nrefresh++] =
                    (struct store_result_key){pl->ix->id, w->marks[i].period};
        }
    for (size_t p = 0; p < np; p++)
        want[p] = o->full || want[p];
}

/* Has index pl's config changed since its results were written (or was it
 * never computed)? */
static int config_changed(struct store *st, const struct cmp_plan *pl)
{
    char old[32];
    return store_index_hash_get(st, pl->ix->id, old, sizeof(old)) != 0 ||
           strcmp(old, pl->hash) != 0;
}

/* Plans index k and decides full or incremental (reads the store). */
static int plan_index(struct writer *w, struct store *st, struct compute *c, size_t k, int full,
                      struct cmp_plan **plp)
{
    size_t ni;
    const struct config_index *ix = &config_indices(c->cfg, &ni)[k];
    int rc = cmp_plan_new(c, ix, plp);

    if (rc < 0) {
        log_err("compute: index \"%s\": out of memory", ix->id);
        return rc;
    }
    /* a changed config may change the layout, units and periods: its rows
     * are wiped and written anew; else they are rewritten in place, every
     * period when asked (full), and the periods no longer written pruned */
    w->out[k].in_place = !config_changed(st, *plp);
    w->out[k].full = full || !w->out[k].in_place;
    return make_layout(*plp, &w->out[k]);
}

/* Runs index k and sends its cleared keys and rows period by period (the
 * store is the writer thread's meanwhile). */
static int run_index(struct writer *w, struct compute *c, const struct cmp_plan *pl,
                     struct index_out *o, struct cmp_run *run, struct compute_summary *sum,
                     double t0)
{
    size_t np = cmp_nper(c, pl->ix->freq);
    struct emit e = {w, c, o, NULL, NULL, 0, NULL, 0, &c->opts, t0};
    unsigned char *need = NULL;
    int rc;

    e.want = calloc(np ? np : 1, 1);
    e.contrib = malloc(pl->nn * sizeof(double));
    e.units = malloc((pl->nu ? pl->nu : 1) * sizeof(*e.units));
    /* room for every clear, refresh and sweep of the index, so sent parts
     * never move */
    if (!e.want || !e.contrib || !e.units ||
        BUF_GROW(&o->clear, &o->capclear, w->nmarks + np + 1, BUF_UNCAPPED) < 0 ||
        !(o->refresh = malloc((w->nmarks + np + 1) * sizeof(*o->refresh))) ||
        !(o->sweep = malloc((np + 1) * sizeof(*o->sweep))) ||
        !(o->unit_ids = malloc((pl->nu ? pl->nu : 1) * sizeof(*o->unit_ids))) ||
        (o->full && o->in_place && !(o->written = malloc((np + 1) * sizeof(*o->written))))) {
        rc = -ENOMEM;
        goto out;
    }
    e.nk = sort_units(c, pl, e.units);
    for (size_t i = 0; i < e.nk; i++)
        o->unit_ids[i] = e.units[i].num;
    choose_periods(w, o, c, pl, np, e.want);
    if (w->oom) {
        rc = -ENOMEM;
        goto out;
    }
    if ((o->nclear || o->nrefresh) &&
        (rc = send(w, &(struct store_results_batch){.clear = o->clear,
                                                    .nclear = o->nclear,
                                                    .refresh = o->refresh,
                                                    .nrefresh = o->nrefresh})) < 0)
        goto out;
    /* a partial read: only the periods written and those they compare with
     * are computed (partial_months read exactly these) */
    if (c->partial && !(need = calloc(np ? np : 1, 1))) {
        rc = -ENOMEM;
        goto out;
    }
    for (size_t p = 0; need && p < np; p++)
        need[p] = e.want[p] || (p + 1 < np && e.want[p + 1]);
    if ((rc = cmp_run_each(c, pl, run, need, emit_period, &e)) < 0) {
        log_err("compute: index \"%s\": %s", pl->ix->id, strerror(-rc));
        goto out;
    }
    /* the periods' arrays are done with; the period texts stay for the writer */
    free(run->y);
    free(run->uflags);
    free(run->score);
    free(run->cflags);
    free(run->rank);
    run->y = run->score = run->rank = NULL;
    run->uflags = run->cflags = NULL;
    if ((rc = put_weights(w, run, o, e.want)) < 0)
        goto out;
    if (o->written) {
        /* the periods that had rows and have no data now lose them */
        o->prune = (struct store_result_prune){pl->ix->id, o->written, o->nwritten};
        if ((rc = send(w, &(struct store_results_batch){.prune = &o->prune, .nprune = 1})) < 0)
            goto out;
    }
    sum->indices += e.n > 0 || o->full;
    sum->split += run->split;
    sum->periods += e.n;
    sum->full |= o->full;
out:
    free(need);
    free(e.want);
    free(e.contrib);
    free(e.units);
    return rc;
}

/* Syncs the config into the store unless the store has every unit and
 * indicator of it (an import synced it), which spares compute_sync_config()
 * and its write transaction. The units' store ids are looked up once, into
 * snapshot c (for its load). 0 or a negative errno. */
static int sync_unless_known(struct store *st, struct compute *c)
{
    long unknown = cmp_unit_ids(c, st);
    int rc;

    if (unknown < 0)
        return (int)unknown;
    for (size_t i = 0; i < c->ni && unknown == 0; i++)
        unknown = store_indicator_id(st, c->inds[i].code, strlen(c->inds[i].code)) < 0;
    if (unknown == 0)
        return 0;
    if ((rc = compute_sync_config(st, c->cfg)) < 0)
        return rc;
    unknown = cmp_unit_ids(c, st); /* the ids of the units just defined */
    return unknown < 0 ? (int)unknown : 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void writer_free(struct writer *w, size_t ni)
{
    for (size_t i = 0; i < w->nmarks; i++) {
        free(w->marks[i].index_id);
        free(w->marks[i].period);
    }
    for (size_t i = 0; w->out && i < ni; i++) {
        free(w->out[i].ids);
        free(w->out[i].at);
        free(w->out[i].clear);
        free(w->out[i].refresh);
        free(w->out[i].sweep);
        free(w->out[i].unit_ids);
        free(w->out[i].written);
        free(w->out[i].wts);
    }
    free(w->marks);
    free(w->out);
    free(w->hashes);
    free(w->head_wipe);
    free(w->head_lay);
    free(w->unit_seen);
}

/* The first part: every index recomputed in full wiped, every layout. */
static int send_head(struct writer *w, size_t ni)
{
    const char **wipe = calloc(ni ? ni : 1, sizeof(*wipe));
    struct store_index_layout *lay = calloc(ni ? ni : 1, sizeof(*lay));
    size_t nwipe = 0;
    int rc = -ENOMEM;

    if (wipe && lay) {
        for (size_t k = 0; k < ni; k++) {
            if (!w->out[k].in_place)
                wipe[nwipe++] = w->out[k].lay.index_id;
            lay[k] = w->out[k].lay;
        }
        rc = send(w, &(struct store_results_batch){
                         .wipe = wipe, .nwipe = nwipe, .layouts = lay, .nlayouts = ni});
    }
    /* the part keeps these pointers: freed with the writer's lists */
    w->head_wipe = wipe;
    w->head_lay = lay;
    return rc;
}

/* Does index pl need other periods than a marked one, the one before and
 * the one after: chains, carried values, time normalisation from a base,
 * weights fixed from a period? */
static int reads_far(const struct cmp_plan *pl)
{
    if (carries(pl) || pl->norm == NORM_FIXED_BASE || pl->norm == NORM_CHAINED)
        return 1;
    for (size_t j = 0; j < pl->nn; j++)
        if (pl->wspec[j] && pl->wspec[j]->fixed)
            return 1;
    return 0;
}

/* The period length in months a partial snapshot may be cut to
 * (struct cmp_months): that of the one frequency of every indicator and
 * index when there is one and no indicator is cumulative, else 12 (whole
 * years: year-to-date values and frequency conversions work by year). */
static int span_align(const struct compute *c, struct cmp_plan *const *plans, size_t ni)
{
    enum period_freq f = ni ? plans[0]->ix->freq : PERIOD_YEAR;
    for (size_t k = 0; k < c->ni; k++)
        if (c->inds[k].cumulative || c->inds[k].freq != f)
            return 12;
    for (size_t k = 0; k < ni; k++)
        if (plans[k]->ix->freq != f)
            return 12;
    return 12 / (int)f;
}

/* 1 when some index scores a unit that has children (its value may be a
 * roll-up), or when that is not known (out of memory). */
static int scores_parent(const struct compute *c, struct cmp_plan *const *plans, size_t ni)
{
    unsigned char *parent = calloc(c->nu ? c->nu : 1, 1);
    int any = 0;

    if (!parent)
        return 1;
    for (size_t u = 0; u < c->nu; u++)
        if (c->units[u].parent_index >= 0)
            parent[c->units[u].parent_index] = 1;
    for (size_t k = 0; k < ni && !any; k++)
        for (size_t i = 0; i < plans[k]->nu && !any; i++)
            any = parent[plans[k]->units[i]];
    free(parent);
    return any;
}

/*
 * The months an incremental recompute reads (docs/INDICES.md, "Recompute"):
 * for each marked period of an index, it, the period before (the rank change
 * and contributions of the marked one compare with it) and the period after
 * (written too: its rank change and contributions compare with the marked
 * one), each with every observation of any frequency inside it. Everything
 * when an index is recomputed in full or reads further (reads_far), when a
 * derived indicator's formula may read other periods, or when the config
 * has consistency checks (they replace every stored violation). Returns 1
 * with *m filled, 0 (read everything) or -ENOMEM.
 */
static int partial_months(const struct writer *w, const struct compute *c,
                          struct cmp_plan *const *plans, size_t ni, struct cmp_months *m)
{
    size_t n;
    config_checks(c->cfg, &n);
    if (n)
        return 0;
    for (size_t k = 0; k < c->ni; k++)
        if (c->inds[k].formula)
            return 0;
    for (size_t k = 0; k < ni; k++) {
        const struct cmp_plan *pl = plans[k];
        if (w->out[k].full)
            return 0;
        for (size_t i = 0; i < w->nmarks; i++) {
            struct period q;
            if (strcmp(w->marks[i].index_id, pl->ix->id) != 0)
                continue;
            if (reads_far(pl))
                return 0;
            if (period_parse_str(&q, w->marks[i].period) < 0 || q.freq < pl->ix->freq)
                continue; /* mark_deps wants nothing of it either */
            if (q.freq != pl->ix->freq && period_container(q, pl->ix->freq, &q) < 0)
                continue;
            struct period a = period_prev(q), b = period_next(q);
            if (cmp_months_add(m, period_valid(a) ? a : q, period_valid(b) ? b : q) < 0)
                return -ENOMEM;
        }
    }
    m->align = span_align(c, plans, ni);
    return 1;
}

/* Full or incremental recompute (contract in compute.h). Reading and
 * planning use st; then the writer owns it (store_results_start: a task of
 * o->ex, or the caller's thread) and writes each period's rows while the
 * next are built. */
int compute_recompute(struct store *st, const struct config *cfg, int full,
                      const struct compute_opts *o, struct compute_summary *sum)
{
    struct compute_summary s = {0};
    struct writer w = {0};
    struct compute *c = NULL;
    struct cmp_plan **plans = NULL;
    struct cmp_run *runs = NULL;
    struct cmp_months only = {0};
    size_t ni;
    double t0 = now_s();
    int rc;

    config_indices(cfg, &ni);
    if (o && o->progress)
        o->progress(&(struct compute_progress){"load", NULL, NULL, 0, 0, 0}, o->progress_ctx);
    if ((rc = cmp_open_empty(&c, cfg, o)) < 0 || (rc = sync_unless_known(st, c)) < 0 ||
        (rc = store_recompute_marks(st, on_mark, &w)) < 0)
        goto out;
    plans = calloc(ni ? ni : 1, sizeof(struct cmp_plan *));
    runs = calloc(ni ? ni : 1, sizeof(*runs));
    w.out = calloc(ni ? ni : 1, sizeof(*w.out));
    w.hashes = calloc(ni ? ni : 1, sizeof(*w.hashes));
    w.unit_seen = calloc(c->nu ? c->nu : 1, 1);
    w.computed_at = (int64_t)time(NULL) * 1000000;
    if (!plans || !runs || !w.out || !w.hashes || !w.unit_seen) {
        rc = -ENOMEM;
        goto out;
    }
    rc = 0; /* every index planned before the data are read and the writer starts */
    for (size_t k = 0; k < ni && rc == 0; k++)
        rc = plan_index(&w, st, c, k, full, &plans[k]);
    if (rc < 0 || (rc = partial_months(&w, c, plans, ni, &only)) < 0)
        goto out;
    s.partial = rc;
    /* a partial run has no checks and no formulas: only the indices read
     * the values, and only those of the units they score */
    c->no_rollups = s.partial && !scores_parent(c, plans, ni);
    if ((rc = cmp_load(c, st, 0, s.partial ? &only : NULL)) < 0)
        goto out;
    s.load_s = now_s() - t0;
    s.load_parts = c->load_parts;
    s.months = c->nmon;
    if (rc < 0 || (rc = store_results_start(st, c->opts.ex, &w.stream)) < 0)
        goto out;
    if (s.partial) /* few periods: the next computes while the writer writes one */
        store_results_queue(w.stream, c->nu / PART_ROWS + 2);
    rc = send_head(&w, ni);
    for (size_t k = 0; k < ni && rc == 0; k++) {
        rc = run_index(&w, c, plans[k], &w.out[k], &runs[k], &s, t0);
        w.hashes[k] = (struct store_index_hash){plans[k]->ix->id, plans[k]->hash};
    }
    if (rc == 0)
        rc = send(&w, &(struct store_results_batch){.hashes = w.hashes, .nhashes = ni});
    double tw = now_s();
    if (rc == 0 && c->opts.progress)
        c->opts.progress(&(struct compute_progress){"commit", NULL, NULL, 0, 0, tw - t0},
                         c->opts.progress_ctx);
    int wrc = store_results_finish(&w.stream, rc == 0);
    rc = rc < 0 ? rc : wrc;
    if (rc < 0)
        goto out;
    s.write_s = now_s() - tw;
    if ((rc = cmp_checks_run(c, st, w.computed_at, s.violations)) < 0)
        goto out;
    for (size_t u = 0; u < c->nu; u++)
        s.units += w.unit_seen[u];
    s.results = w.nnode_results;
    s.contribs = w.ncon;
    s.seconds = now_s() - t0;
out:
    store_results_finish(&w.stream, 0); /* a no-op after the one above */
    for (size_t k = 0; k < ni; k++) {
        if (runs)
            cmp_run_free(&runs[k]);
        if (plans)
            cmp_plan_free(&plans[k]);
    }
    free(plans);
    free(runs);
    cmp_months_free(&only);
    writer_free(&w, ni);
    compute_free(&c);
    if (sum)
        *sum = s;
    return rc;
}
