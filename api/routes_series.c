/*
 * routes_series.c - GET /api/v1/series: period values after year-to-date
 * conversion, roll-up and growth transforms (compute/compute.h).
 *
 * A series is computed from what it needs only: a snapshot of the unit's
 * subtree (its own rows, and for a parent the rows below it that its roll-up
 * sums) built per request (compute_open_unit), over the years the whole store
 * covers, found again from the column copy's keys only after a new run. So
 * one unit's series costs its own rows at any store size, with the numbers of
 * a whole-store snapshot (tests/test_series_unit.c). The config is the
 * daemon's, handed over by api_set_config() at start and on every reload
 * with its children lists (struct api_conf); a query holds a reference to
 * them while it computes, without a lock, so the workers compute series at
 * once.
 *
 * A large parent's subtree is read from the column copy instead of unit by
 * unit (compute_open_unit() chooses by the subtree's size): the columns of
 * the indicator and its inputs (every unit's value, one read per period)
 * and the rows of the units touched since, the same current values, so the
 * root of 200,000 units costs 0.2-0.6 s instead of 5-10 s, with the same
 * bytes (tests/integration/test_series_kept.sh); a small one (a park) reads
 * its units' rows. When the copy is missing or far behind (after an import,
 * until a recompute) the rows are read, seconds for the root. The parent's
 * own rolled-up rows of the indicator and its inputs are then kept
 * (compute_unit_copy(), a few KB) for the data epoch they were read in (the
 * answer cache's: any commit to the store starts a new one). Another
 * transform, frequency or range of the same parent and indicator in that
 * epoch is computed from them by the same code, in milliseconds, with the
 * same numbers. X-Parkstat-Computed says which: "columns", "subtree" (the
 * units' rows) or "kept".
 */
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_priv.h"
#include "compute/compute.h"
#include "compute/unit_copy.h"
#include "config/config.h"
#include "store/observations.h"
#include "store/store.h"

static const struct {
    unsigned bit;
    const char *name;
} flag_names[] = {
    {COMPUTE_FLAG_INCOMPLETE, "incomplete"}, {COMPUTE_FLAG_REWEIGHTED, "reweighted"},
    {COMPUTE_FLAG_CARRIED, "carried"},       {COMPUTE_FLAG_EXCLUDED, "excluded"},
    {COMPUTE_FLAG_MISSING, "missing"},       {COMPUTE_FLAG_IMPUTED, "imputed"},
    {COMPUTE_FLAG_TWO_MONTHS, "two_months"}, {COMPUTE_FLAG_DEGENERATE, "degenerate"},
    {COMPUTE_FLAG_ROLLED_UP, "rolled_up"},   {COMPUTE_FLAG_TREATED, "treated"},
};

static const struct {
    const char *name;
    enum compute_transform tr;
} transforms[] = {
    {"value", COMPUTE_VALUE},
    {"yoy", COMPUTE_YOY},
    {"pop", COMPUTE_POP},
    {"ytd_yoy", COMPUTE_YTD_YOY},
};

void api_conf_put(struct api_conf **cp)
{
    struct api_conf *c = cp ? *cp : NULL;

    if (!c)
        return;
    *cp = NULL;
    if (atomic_fetch_sub(&c->refs, 1) != 1)
        return;
    for (size_t i = 0; i < API_PARENT_KEPT; i++)
        compute_free(&c->kept[i].c);
    pthread_mutex_destroy(&c->kept_mu);
    compute_tree_free(&c->tree);
    config_free(&c->cfg);
    free(c->below);
    free(c);
}

void api_set_config(struct api *a, struct config *cfg)
{
    struct api_conf *conf = calloc(1, sizeof(*conf)), *old_conf;
    struct config *old;

    /* the children lists once per config (a pass over every unit), not under
     * the lock; without them (no memory) each query builds its own */
    if (conf) {
        atomic_init(&conf->refs, 1);
        pthread_mutex_init(&conf->kept_mu, NULL);
        for (size_t i = 0; i < API_PARENT_KEPT; i++)
            conf->kept[i].unit = -1;
        conf->cfg = config_ref(cfg);
        if (compute_tree_new(cfg, &conf->tree) < 0)
            conf->tree = NULL;
        size_t nu = 0;
        const struct config_unit *u = config_units(cfg, &nu);
        /* each unit counts once below each of its ancestors (the config
         * has no cycles and its depths are small) */
        if ((conf->below = calloc(nu ? nu : 1, sizeof(*conf->below))))
            for (size_t i = 0; i < nu; i++)
                for (long p = u[i].parent_index; p >= 0; p = u[p].parent_index)
                    conf->below[p]++;
    }
    pthread_mutex_lock(&a->series_mu);
    old = a->cfg;
    old_conf = a->conf;
    a->cfg = cfg;
    a->conf = conf;
    a->years_run = -1;
    pthread_mutex_unlock(&a->series_mu);
    api_conf_put(&old_conf);
    config_free(&old);
}

/* "incomplete|two_months": the flags as text, for JSON and CSV alike. */
static json_t *flags_text(unsigned flags)
{
    char buf[256] = "";
    size_t len = 0;
    for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++) {
        int n;
        if (!(flags & flag_names[i].bit))
            continue;
        n = snprintf(buf + len, sizeof(buf) - len, "%s%s", len ? "|" : "", flag_names[i].name);
        if (n > 0 && (size_t)n < sizeof(buf) - len)
            len += (size_t)n;
    }
    return json_string(buf);
}

/* A point; status and missing are filled in by own_row() below. */
static int point_row(const struct compute_point *pt, void *ctx)
{
    json_t *row =
        json_pack("{s:s,s:o,s:n,s:b,s:o,s:o,s:b}", "period", pt->period, "value",
                  isnan(pt->value) ? json_null() : json_real(pt->value), "status", "missing", 0,
                  "coverage", isnan(pt->coverage) ? json_null() : json_real(pt->coverage), "flags",
                  flags_text(pt->flags), "rolled_up_", (pt->flags & COMPUTE_FLAG_ROLLED_UP) != 0);
    return row && json_array_append_new(ctx, row) == 0 ? 0 : -ENOMEM;
}

/* The unit's own observations, walked beside the points (both ascend by
 * period text). */
struct own_walk {
    json_t *points;
    size_t at;
};

/* store_obs_cb: a point of the observation's period gets its status (unless
 * the value is rolled up from the children: not this observation's) and
 * "missing": true when the source said "no value" and the point has none. */
static int own_row(const struct store_obs_row *r, void *ctx)
{
    struct own_walk *w = ctx;

    for (; w->at < json_array_size(w->points); w->at++) {
        json_t *pt = json_array_get(w->points, w->at);
        const char *per = json_string_value(json_object_get(pt, "period"));
        int c = per ? strcmp(per, r->period) : -1;
        if (c > 0)
            return 0;
        if (c < 0)
            continue;
        if (json_is_true(json_object_get(pt, "rolled_up_")))
            return 0;
        if ((r->status && json_object_set_new(pt, "status", json_string(r->status)) < 0) ||
            (r->missing && json_is_null(json_object_get(pt, "value")) &&
             json_object_set_new(pt, "missing", json_true()) < 0))
            return -ENOMEM;
        return 0;
    }
    return 1; /* past the last point */
}

/* Status and missingness of unit's own observations of ind on points; then
 * drops the points' working member. Returns 0 or a negative errno. */
static int own_status(struct store *st, const char *unit, const char *ind, json_t *points)
{
    struct store_obs_query q = {.unit = unit, .indicator = ind};
    struct own_walk w = {points, 0};
    int rc = store_observations(st, &q, own_row, &w);

    for (size_t i = 0; i < json_array_size(points); i++)
        json_object_del(json_array_get(points, i), "rolled_up_");
    return rc < 0 ? rc : 0;
}

int api_series_years(struct api *a, struct store *st, struct compute_years *y)
{
    int64_t run;
    int rc;

    if ((rc = store_obs_generation(st, &run)) < 0)
        return rc;
    if (a->years_run != run) {
        if ((rc = compute_years(st, a->cfg, &a->years)) < 0)
            return rc;
        a->years_run = run;
    }
    *y = a->years;
    return 0;
}

/* What a series is asked for and computed from. */
struct series_ask {
    const char *unit, *ind, *from, *to;
    enum compute_transform tr;
    long ui, ki;                   /* config indices */
    uint64_t epoch;                /* the data epoch of the answer */
    const struct compute_years *y; /* the store's years */
};

/* The series from the parent's rows kept in this epoch (conf->kept): 1 and
 * *rc when they were there, else 0. */
static int kept_series(struct api_conf *conf, const struct series_ask *q, json_t *points, int *rc)
{
    int hit = 0;

    pthread_mutex_lock(&conf->kept_mu);
    for (size_t i = 0; i < API_PARENT_KEPT && !hit; i++) {
        const struct api_kept *k = &conf->kept[i];
        if (!k->c || k->unit != q->ui || k->ind != q->ki || k->epoch != q->epoch ||
            k->y0 != q->y->y0 || k->nyears != q->y->nyears)
            continue;
        *rc = compute_snapshot_series(k->c, q->unit, q->ind, q->from, q->to, q->tr, point_row,
                                      points);
        hit = 1;
    }
    pthread_mutex_unlock(&conf->kept_mu);
    return hit;
}

/* Keeps *cp (the parent's rows) for q's parent and indicator in q's epoch,
 * in place of the same key's or the oldest slot's; takes *cp. */
static void kept_put(struct api_conf *conf, const struct series_ask *q, struct compute **cp)
{
    struct compute *old = NULL;
    size_t at = API_PARENT_KEPT;

    pthread_mutex_lock(&conf->kept_mu);
    for (size_t i = 0; i < API_PARENT_KEPT && at == API_PARENT_KEPT; i++)
        if (conf->kept[i].unit == q->ui && conf->kept[i].ind == q->ki)
            at = i;
    if (at == API_PARENT_KEPT) {
        at = conf->kept_next;
        conf->kept_next = (conf->kept_next + 1) % API_PARENT_KEPT;
    }
    old = conf->kept[at].c;
    conf->kept[at] = (struct api_kept){q->ui, q->ki, q->epoch, q->y->y0, q->y->nyears, *cp};
    *cp = NULL;
    pthread_mutex_unlock(&conf->kept_mu);
    compute_free(&old);
}

/* unit's series of ind from a snapshot of its subtree (no lock held: conf is
 * a reference of the caller's); a parent's own rows are then kept. */
static int unit_series(struct api_conf *conf, struct store *st, const struct series_ask *q,
                       int parent, json_t *points, const char **how)
{
    struct compute *c = NULL, *copy = NULL;
    enum compute_unit_read used = COMPUTE_READ_ROWS;
    int rc;

    if ((rc = compute_open_unit_by(&c, st, conf->cfg, conf->tree, q->unit, q->ind, q->y, NULL,
                                   COMPUTE_READ_AUTO, &used)) == 0)
        rc = compute_snapshot_series(c, q->unit, q->ind, q->from, q->to, q->tr, point_row, points);
    *how = used == COMPUTE_READ_COLUMNS ? "columns" : "subtree";
    /* without memory for the copy the answer stands; only the next one is slow */
    if (rc == 0 && parent && compute_unit_copy(c, q->unit, &copy) == 0)
        kept_put(conf, q, &copy);
    compute_free(&c);
    return rc;
}

static int parse_transform(struct api_request *rq, struct api_reply *rp, enum compute_transform *tr,
                           const char **name)
{
    const char *t = api_param(rq, "transform");
    *tr = COMPUTE_VALUE;
    *name = "value";
    if (!t)
        return 0;
    for (size_t i = 0; i < sizeof(transforms) / sizeof(transforms[0]); i++) {
        if (strcmp(t, transforms[i].name) == 0) {
            *tr = transforms[i].tr;
            *name = transforms[i].name;
            return 0;
        }
    }
    return api_reply_bad(rp,
                         "parameter 'transform': expected value, yoy, pop or ytd_yoy, not "
                         "\"%.32s\"",
                         t);
}

int api_route_series(struct api_request *rq, const char *arg, struct api_reply *rp)
{
    static const char *const columns[] = {"period",   "value", "status", "missing",
                                          "coverage", "flags", NULL};
    const char *unit = api_param(rq, "unit"), *ind = api_param(rq, "indicator");
    const char *from, *to, *trname;
    enum compute_transform tr;
    struct store *st;
    json_t *points;
    int rc;
    (void)arg;

    if (!unit || !ind)
        return api_reply_bad(rp, "parameters 'unit' and 'indicator' are required"), 0;
    if (api_param_period(rq, rp, "from", &from) || api_param_period(rq, rp, "to", &to) ||
        parse_transform(rq, rp, &tr, &trname))
        return 0;
    if ((rc = api_reply_etag(rq, rp)) != 0)
        return rc < 0 ? rc : 0;
    if ((rc = api_store_get(rq, &st)) < 0 || !(points = json_array()))
        return rc < 0 ? rc : -ENOMEM;
    /* one read transaction for the answer's dozen statements: one snapshot,
     * and one lock taken instead of one per statement */
    int tx = store_begin(st) == 0;
    int no_unit = 0, no_ind = 0;
    struct api_conf *conf = NULL;
    struct compute_years y;
    size_t nbelow = 0;
    pthread_mutex_lock(&rq->api->series_mu);
    if (!rq->api->conf) {
        rc = -EAGAIN;
    } else {
        /* Which of the two is unknown, for the 404. */
        no_unit = config_unit_find(rq->api->cfg, unit, strlen(unit)) < 0;
        no_ind = config_indicator_find(rq->api->cfg, ind, strlen(ind)) < 0;
        if (no_unit || no_ind)
            rc = -ENOENT;
        else if ((rc = api_series_years(rq->api, st, &y)) == 0) {
            conf = rq->api->conf;
            atomic_fetch_add(&conf->refs, 1);
        }
    }
    pthread_mutex_unlock(&rq->api->series_mu);
    if (conf) {
        /* A parent's series holds its subtree's values (the root's: every
         * unit's, about 180 MB at 200,000 units): those of large subtrees one
         * at a time, so the daemon's memory is bounded by one of them, not by
         * how many are asked at once; a second one meanwhile is a 503 rather
         * than a query worker held waiting (tests/test_api.c). */
        struct series_ask q = {unit,
                               ind,
                               from,
                               to,
                               tr,
                               config_unit_find(conf->cfg, unit, strlen(unit)),
                               config_indicator_find(conf->cfg, ind, strlen(ind)),
                               rp->epoch,
                               &y};
        nbelow = q.ui >= 0 && conf->below ? conf->below[q.ui] : 0;
        int big = nbelow >= API_BIG_SUBTREE;
        if (nbelow > 0 && kept_series(conf, &q, points, &rc)) {
            rp->computed = "kept";
        } else if (big && pthread_mutex_trylock(&rq->api->parent_mu) != 0) {
            rc = -EBUSY;
        } else {
            rc = unit_series(conf, st, &q, nbelow > 0, points, &rp->computed);
            if (big)
                pthread_mutex_unlock(&rq->api->parent_mu);
        }
    }
    api_conf_put(&conf);
    if (rc == -ENOENT || rc == -EINVAL || rc == -EAGAIN || rc == -EBUSY) {
        if (tx)
            (void)store_commit(st);
        json_decref(points);
        rp->cacheable = 0;
        rp->etag[0] = '\0';
        if (rc == -EAGAIN)
            return api_reply_error(rp, 503, "no configuration loaded");
        if (rc == -EBUSY)
            return api_reply_error(rp, 503,
                                   "unit \"%.64s\" has %zu units below it and another series of "
                                   "such a parent is being computed: ask again in a few seconds",
                                   unit, nbelow);
        if (rc == -EINVAL)
            return api_reply_bad(rp, "parameters 'from'/'to' do not fit indicator \"%.64s\"", ind),
                   0;
        if (no_unit && no_ind)
            return api_reply_error(
                rp, 404, "unknown unit \"%.64s\" and unknown indicator \"%.64s\"", unit, ind);
        if (no_ind)
            return api_reply_error(rp, 404, "unknown indicator \"%.64s\" (unit \"%.64s\" is known)",
                                   ind, unit);
        return api_reply_error(rp, 404, "unknown unit \"%.64s\" (indicator \"%.64s\" is known)",
                               unit, ind);
    }
    if (rc == 0)
        rc = own_status(st, unit, ind, points);
    if (tx)
        (void)store_commit(st);
    if (rc < 0) {
        json_decref(points);
        return rc;
    }
    return api_reply_rows(rq, rp,
                          json_pack("{s:s,s:s,s:s,s:O}", "unit", unit, "indicator", ind,
                                    "transform", trname, "points", points),
                          points, columns) == 0
               ? (json_decref(points), 0)
               : (json_decref(points), -ENOMEM);
}
