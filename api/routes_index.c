/*
 * routes_index.c - composite index results: GET /api/v1/indices (the ids in
 * the result table), /api/v1/indices/{id}?period=&unit= (every node's score,
 * rank and flags, and the indicator contributions) and
 * /api/v1/rankings/{id}?period= (units by the rank of their total score).
 * The index answer carries the derived weights its period used
 * (docs/INDICES.md, "Derived weights") and the index's tree in the daemon's
 * config (node, parent, name, configured weight), on every page.
 *
 * Without ?period= the index's latest period is served. An id with no rows in
 * the result table is a 404.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>

#include "api/api_priv.h"
#include "common/period.h"
#include "config/config.h"
#include "store/results.h"
#include "store/store.h"

/* Units per page of an index's results (each with its nodes and
 * contributions), and ranking rows per page: by default and at most. */
#define INDEX_DEFAULT   1000
#define INDEX_MAX       1000
#define RANKING_DEFAULT 1000
#define RANKING_MAX     10000

/* Slots of api.counts a key may take, from its hash on. */
#define COUNT_WAYS 4

static int append(json_t *array, json_t *obj)
{
    return obj && json_array_append_new(array, obj) == 0 ? 0 : -ENOMEM;
}

static int index_row(const struct store_index_row *r, void *ctx)
{
    return api_list_take(ctx,
                         json_pack("{s:o,s:o,s:o,s:I,s:o}", "id", api_json_str(r->index_id),
                                   "first_period", api_json_str(r->first_period), "last_period",
                                   api_json_str(r->last_period), "units", (json_int_t)r->n_units,
                                   "computed_at", api_json_time(r->computed_at)),
                         r->index_id);
}

static int walk_indices(struct store *st, const char *after, long limit, struct api_list_walk *w)
{
    return store_indices_page(st, after, limit, index_row, w);
}

/* GET /api/v1/indices: the indices with results by id, and their period
 * ranges. */
int api_route_indices(struct api_request *rq, const char *arg, struct api_reply *rp)
{
    static const char *const columns[] = {"id",    "first_period", "last_period",
                                          "units", "computed_at",  NULL};
    static const struct api_list list = {"indices",           API_LIST_DEFAULT, API_LIST_MAX,
                                         store_indices_count, walk_indices,     columns};
    (void)arg;
    return api_reply_list(rq, rp, &list);
}

static json_t *nullable_int(int has, long v)
{
    return has ? json_integer(v) : json_null();
}

static int result_row(const struct store_index_result_row *r, void *ctx)
{
    return append(ctx,
                  json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:I,s:o}", "unit", api_json_str(r->unit),
                            "name", api_json_str(r->unit_name), "node", api_json_str(r->node),
                            "score", r->has_score ? json_real(r->score) : json_null(), "rank",
                            nullable_int(r->has_rank, r->rank), "rank_change",
                            nullable_int(r->has_rank_change, r->rank_change), "flags",
                            (json_int_t)r->flags, "computed_at", api_json_time(r->computed_at)));
}

static int contrib_row(const struct store_index_contrib_row *r, void *ctx)
{
    return append(ctx, json_pack("{s:o,s:o,s:o}", "unit", api_json_str(r->unit), "indicator",
                                 api_json_str(r->indicator), "contribution",
                                 r->has_contribution ? json_real(r->contribution) : json_null()));
}

static int weight_row(const struct store_index_weight_row *r, void *ctx)
{
    return append(ctx, json_pack("{s:o,s:o,s:o,s:I}", "node", api_json_str(r->node), "child",
                                 api_json_str(r->child), "weight",
                                 isfinite(r->weight) ? json_real(r->weight) : json_null(), "flags",
                                 (json_int_t)r->flags));
}

/*
 * The common start of both index routes: checks ?period=, answers from the
 * cache of finished answers (or 304) when it can — before any database work —,
 * else answers 404 for an unknown index and picks the latest period when none
 * is given (into latest). Returns 0 to go on, 1 when rp is complete (400, 404,
 * 304, cached), or a negative errno.
 */
static int index_begin(struct api_request *rq, struct api_reply *rp, const char *id,
                       const char **period, char *latest, size_t size)
{
    struct store *st;
    int rc;

    if (api_param_period(rq, rp, "period", period))
        return 1;
    /* An ETag is only ever sent with a 200, so a cached answer or a matching
     * If-None-Match means the index exists. */
    if ((rc = api_reply_etag(rq, rp)) != 0)
        return rc;
    if ((rc = api_store_get(rq, &st)) < 0)
        return rc;
    rc = store_index_latest_period(st, id, latest, size);
    if (rc == -ENOENT) {
        rp->cacheable = 0; /* no ETag on a 404 */
        rp->etag[0] = '\0';
        return api_reply_error(rp, MHD_HTTP_NOT_FOUND, "unknown index \"%.100s\"", id) < 0 ? -ENOMEM
                                                                                           : 1;
    }
    if (rc < 0)
        return rc;
    if (!*period) {
        *period = latest;
        return 0;
    }
    /* A period of another frequency can have no results: say why. */
    struct period want, have;
    if (period_parse_str(&want, *period) == 0 && period_parse_str(&have, latest) == 0 &&
        want.freq != have.freq) {
        rp->cacheable = 0;
        rp->etag[0] = '\0';
        return api_reply_bad(rp,
                             "parameter 'period': index \"%.100s\" has %s periods (latest %s), "
                             "\"%s\" is %s",
                             id, api_freq_name(have.freq), latest, *period,
                             api_freq_name(want.freq));
    }
    return 0;
}

/*
 * The number of units with results of index id in period into *n: counted
 * (an index range of every unit's entry: 200,000 at the national scale) once
 * per data epoch and kept in a small table (COUNT_WAYS slots from the key's
 * hash), so the first page
 * of a ranking costs its rows only. Returns 0 or a negative errno.
 */
static int units_total(struct api_request *rq, struct store *st, uint64_t epoch, const char *id,
                       const char *period, long *n)
{
    struct api *a = rq->api;
    char key[sizeof(a->counts[0].key)];
    size_t li = strlen(id), lp = strlen(period);
    int rc;

    if (li + lp + 2 > sizeof(key)) /* too long to keep: counted each time */
        return store_index_units_count(st, id, period, n);
    memcpy(key, id, li + 1);
    memcpy(key + li + 1, period, lp + 1);
    size_t nslot = sizeof(a->counts) / sizeof(a->counts[0]);
    size_t h = api_fnv1a(0xcbf29ce484222325ULL, key, li + lp + 1) % nslot;
    struct api_count *c = NULL;
    pthread_mutex_lock(&a->count_mu);
    for (size_t i = 0; i < COUNT_WAYS && !c; i++) { /* this key's, of this epoch */
        struct api_count *e = &a->counts[(h + i) % nslot];
        if (e->used && e->epoch == epoch && memcmp(e->key, key, li + lp + 2) == 0)
            c = e;
    }
    if (c)
        *n = c->n;
    pthread_mutex_unlock(&a->count_mu);
    if (c || (rc = store_index_units_count(st, id, period, n)) < 0)
        return c ? 0 : rc;
    pthread_mutex_lock(&a->count_mu);
    c = &a->counts[h];
    for (size_t i = 0; i < COUNT_WAYS; i++) { /* a free or stale slot, else the first */
        struct api_count *e = &a->counts[(h + i) % nslot];
        if (!e->used || e->epoch != epoch || memcmp(e->key, key, li + lp + 2) == 0) {
            c = e;
            break;
        }
    }
    c->used = 1;
    c->epoch = epoch;
    memcpy(c->key, key, li + lp + 2);
    c->n = *n;
    pthread_mutex_unlock(&a->count_mu);
    return 0;
}

/* The units of one page of an index's results: only their keys. */
static int page_unit(const struct store_index_result_row *r, void *ctx)
{
    struct api_page *pg = ctx;
    if (api_page_full(pg))
        return 1;
    api_page_took(pg, &r->unit, 1);
    return 0;
}

/* The nodes of a tree level and those under them, depth first: node, its
 * parent, name and configured weight among its siblings (summing to 1). */
static int tree_rows(json_t *rows, const struct config_index_node *nodes, size_t n,
                     const char *parent)
{
    for (size_t i = 0; i < n; i++) {
        const struct config_index_node *nd = &nodes[i];
        if (append(rows, json_pack("{s:o,s:s,s:o,s:f}", "node", api_json_str(nd->id), "parent",
                                   parent, "name", api_json_str(nd->name), "weight",
                                   config_index_node_weight(nodes, n, i))) < 0 ||
            (nd->id && tree_rows(rows, nd->children, nd->n_children, nd->id) < 0))
            return -ENOMEM;
    }
    return 0;
}

/* The tree of index id in the daemon's config into rows (none when the
 * config has no such index). */
static int index_tree(struct api *a, const char *id, json_t *rows)
{
    const struct config_index *ix = NULL;
    size_t n = 0;
    int rc = 0;

    pthread_mutex_lock(&a->series_mu);
    if (a->cfg)
        ix = config_indices(a->cfg, &n);
    for (size_t i = 0; ix && i < n; i++)
        if (strcmp(ix[i].id, id) == 0) {
            rc = tree_rows(rows, ix[i].tree, ix[i].n_tree, id);
            break;
        }
    pthread_mutex_unlock(&a->series_mu);
    return rc;
}

/* GET /api/v1/indices/{id}?period=&unit=: scores of every node with ranks and
 * flags, and the contributions, of a page of units (by code): the page's
 * units first (one query on the period's result rows), then the results and
 * contributions of the units in (cursor, last unit]. CSV carries the result
 * rows. */
int api_route_index(struct api_request *rq, const char *id, struct api_reply *rp)
{
    static const char *const columns[] = {"unit",        "name",  "node",        "score", "rank",
                                          "rank_change", "flags", "computed_at", NULL};
    char latest[PERIOD_TEXT_SIZE], last[API_CURSOR_MAX];
    const char *period;
    const char *unit = api_param(rq, "unit");
    struct api_page pg;
    struct store *st;
    int rc;

    if (api_page_params(rq, rp, &pg, "index", 1, INDEX_DEFAULT, INDEX_MAX))
        return 0;
    if ((rc = index_begin(rq, rp, id, &period, latest, sizeof(latest))) != 0)
        return rc < 0 ? rc : 0;
    struct store_index_query q = {id, period, unit, pg.nkey ? pg.key[0] : NULL, NULL};
    if ((rc = api_store_get(rq, &st)) < 0)
        return rc;
    if (!unit) {
        if (pg.total < 0 && (rc = units_total(rq, st, rp->epoch, id, period, &pg.total)) < 0)
            return rc;
        if ((rc = store_index_units_page(st, id, period, q.after_unit, pg.limit + 1, page_unit,
                                         &pg)) < 0)
            return rc;
        /* rc 1 (the page is full) is overwritten below */
        /* the units up to the page's last (none: an empty page) */
        snprintf(last, sizeof(last), "%s", pg.last_len ? pg.last : "");
        q.last_unit = last;
    }
    json_t *results = json_array(), *contribs = json_array(), *weights = json_array();
    json_t *tree = json_array();
    json_t *data = json_pack("{s:s,s:s,s:O,s:O,s:O,s:O}", "index", id, "period", period, "results",
                             results, "contributions", contribs, "weights", weights, "tree", tree);
    if (!data || index_tree(rq->api, id, tree) < 0)
        rc = -ENOMEM;
    else if ((rc = store_index_weights(st, id, period, weight_row, weights)) == 0 &&
             (pg.n > 0 || unit))
        if ((rc = store_index_results_q(st, &q, 0, result_row, results)) == 0)
            rc = store_index_contributions_q(st, &q, contrib_row, contribs);
    if (unit) /* one unit: one page, of it or of nothing */
        pg.total = json_array_size(results) > 0;
    if (rc == 0) {
        rc = api_reply_page(rq, rp, data, results, columns, &pg);
        data = NULL;
    }
    json_decref(data);
    json_decref(results);
    json_decref(contribs);
    json_decref(weights);
    json_decref(tree);
    return rc;
}

struct ranking_walk {
    json_t *rows;
    struct api_page pg;
};

static int ranking_row(const struct store_index_result_row *r, void *ctx)
{
    struct ranking_walk *w = ctx;
    char rank[24];

    if (api_page_full(&w->pg))
        return 1;
    if (append(w->rows,
               json_pack("{s:o,s:o,s:o,s:o,s:o,s:I}", "rank", nullable_int(r->has_rank, r->rank),
                         "unit", api_json_str(r->unit), "name", api_json_str(r->unit_name), "score",
                         r->has_score ? json_real(r->score) : json_null(), "rank_change",
                         nullable_int(r->has_rank_change, r->rank_change), "flags",
                         (json_int_t)r->flags)) < 0)
        return -ENOMEM;
    snprintf(rank, sizeof(rank), "%ld", r->has_rank ? r->rank : 0);
    const char *const key[] = {r->has_rank ? "0" : "1", rank, r->unit};
    api_page_took(&w->pg, key, 3);
    return 0;
}

/* GET /api/v1/rankings/{id}?period=: units by the rank of the total score,
 * one page by a keyset query on (unranked, rank, unit). */
int api_route_ranking(struct api_request *rq, const char *id, struct api_reply *rp)
{
    static const char *const columns[] = {"rank",        "unit",  "name", "score",
                                          "rank_change", "flags", NULL};
    char latest[PERIOD_TEXT_SIZE];
    const char *period;
    struct ranking_walk w;
    struct store_rank_key after = {0};
    struct store *st;
    int rc;

    if (api_page_params(rq, rp, &w.pg, "ranking", 3, RANKING_DEFAULT, RANKING_MAX))
        return 0;
    if (w.pg.nkey) {
        char *end;
        after.unranked = strcmp(w.pg.key[0], "1") == 0;
        after.rank = strtol(w.pg.key[1], &end, 10);
        after.unit = w.pg.key[2];
        if (*end || !*w.pg.key[1] || (!after.unranked && strcmp(w.pg.key[0], "0") != 0))
            return api_reply_bad(rp, "parameter 'cursor': not a cursor of this list"), 0;
    }
    if ((rc = index_begin(rq, rp, id, &period, latest, sizeof(latest))) != 0)
        return rc < 0 ? rc : 0;
    if ((rc = api_store_get(rq, &st)) < 0 ||
        (w.pg.total < 0 && (rc = units_total(rq, st, rp->epoch, id, period, &w.pg.total)) < 0))
        return rc;
    w.rows = json_array();
    json_t *data = json_pack("{s:s,s:s,s:O}", "index", id, "period", period, "ranking", w.rows);
    if (!data)
        rc = -ENOMEM;
    else
        rc = store_index_ranking_page(st, id, period, w.pg.nkey ? &after : NULL, w.pg.limit + 1,
                                      ranking_row, &w);
    if (rc >= 0) {
        rc = api_reply_page(rq, rp, data, w.rows, columns, &w.pg);
        data = NULL;
    }
    json_decref(data);
    json_decref(w.rows);
    return rc;
}
