/*
 * config_formulas.c - checks derived-indicator formulas: SQLite judges each
 * expression (formula/formula.h) in one in-memory database shared by the whole
 * load; the codes each formula reads then form a graph that must have no
 * self-reference and no cycle.
 */
#include "config/config_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formula/formula.h"

/* The formula graph: edges[i] lists the indicators formula i reads. */
struct graph {
    size_t n;
    size_t **edges;
    size_t *n_edges;
    size_t *to_indicator; /* formula env code index -> indicator index */
};

static void graph_free(struct graph *g)
{
    for (size_t i = 0; g->edges && i < g->n; i++)
        free(g->edges[i]);
    free(g->edges);
    free(g->n_edges);
    free(g->to_indicator);
}

/* One code per distinct valid indicator code, the first of duplicates. */
static const char **distinct_codes(struct cfg_ctx *ctx, struct graph *g, size_t *m)
{
    const struct config *cfg = ctx->cfg;
    const char **codes = calloc(cfg->n_indicators, sizeof(*codes));

    *m = 0;
    if (!codes)
        return NULL;
    for (size_t k = 0; k < cfg->n_indicators; k++) {
        const char *code = cfg->indicators[cfg->indicator_order[k]].code;
        if (code[0] == '\0' || (*m > 0 && strcmp(codes[*m - 1], code) == 0))
            continue;
        g->to_indicator[*m] = cfg->indicator_order[k];
        codes[(*m)++] = code;
    }
    return codes;
}

static void check_one(struct cfg_ctx *ctx, struct formula_env *env, struct graph *g, size_t i)
{
    const struct config_indicator *ind = &ctx->cfg->indicators[i];
    char p[CFG_PATH_SIZE], q[CFG_PATH_SIZE], err[256];
    size_t *refs = NULL, nrefs = 0, kept = 0;
    int rc, self = 0;

    cfg_path_index(q, "indicators", i);
    cfg_path_key(p, q, "formula");
    rc = formula_env_check(env, ind->formula, &refs, &nrefs, err, sizeof(err));
    if (rc == -ENOMEM) {
        ctx->oom = 1;
        return;
    }
    if (rc < 0) {
        cfg_error(ctx, p, "%s", err);
        return;
    }
    for (size_t k = 0; k < nrefs; k++) {
        size_t target = g->to_indicator[refs[k]];
        if (target == i)
            self = 1;
        else
            refs[kept++] = target;
    }
    if (self)
        cfg_error(ctx, p, "formula refers to the indicator itself (\"%s\")", ind->code);
    else if (nrefs == 0)
        cfg_error(ctx, p, "formula refers to no indicator");
    g->edges[i] = refs;
    g->n_edges[i] = kept;
}

/* Reports the loop stack[from..n-1], starting at its first indicator in file order. */
static void report_cycle(struct cfg_ctx *ctx, const size_t *stack, size_t from, size_t n)
{
    const struct config_indicator *inds = ctx->cfg->indicators;
    char text[512], p[CFG_PATH_SIZE], q[CFG_PATH_SIZE];
    size_t start = from, used = 0, len = n - from;

    for (size_t k = from; k < n; k++) {
        if (stack[k] < stack[start])
            start = k;
    }
    for (size_t k = 0; k <= len && used < sizeof(text); k++) {
        size_t idx = stack[from + (start - from + k) % len];
        int w = snprintf(text + used, sizeof(text) - used, "%s%s", k ? " -> " : "", inds[idx].code);
        used += w > 0 ? (size_t)w : 0;
    }
    cfg_path_index(q, "indicators", stack[start]);
    cfg_path_key(p, q, "formula");
    cfg_error(ctx, p, "cycle among derived indicators: %s", text);
}

/* Depth-first search from root without recursion; a grey target closes a loop. */
static void dfs(struct cfg_ctx *ctx, const struct graph *g, size_t root, char *color, size_t *stack,
                size_t *next)
{
    size_t top = 0;

    stack[top] = root;
    next[top++] = 0;
    color[root] = 1;
    while (top > 0) {
        size_t v = stack[top - 1];
        if (next[top - 1] == g->n_edges[v]) {
            color[v] = 2;
            top--;
            continue;
        }
        size_t w = g->edges[v][next[top - 1]++];
        if (color[w] == 1) {
            size_t from = top;
            while (stack[from - 1] != w)
                from--;
            report_cycle(ctx, stack, from - 1, top);
        } else if (color[w] == 0) {
            color[w] = 1;
            stack[top] = w;
            next[top++] = 0;
        }
    }
}

static void find_cycles(struct cfg_ctx *ctx, const struct graph *g)
{
    char *color = calloc(g->n, 1);
    size_t *stack = calloc(g->n, sizeof(*stack));
    size_t *next = calloc(g->n, sizeof(*next));

    if (!color || !stack || !next)
        ctx->oom = 1;
    for (size_t i = 0; !ctx->oom && i < g->n; i++) {
        if (color[i] == 0 && g->n_edges[i] > 0)
            dfs(ctx, g, i, color, stack, next);
    }
    free(color);
    free(stack);
    free(next);
}

void cfg_check_formulas(struct cfg_ctx *ctx)
{
    const struct config *cfg = ctx->cfg;
    struct graph g = {.n = cfg->n_indicators};
    struct formula_env *env = NULL;
    const char **codes = NULL;
    char err[256];
    size_t m;
    int rc, any = 0;

    for (size_t i = 0; i < cfg->n_indicators; i++)
        any |= cfg->indicators[i].formula != NULL;
    if (!any || !cfg->indicator_order)
        return;
    g.edges = calloc(g.n, sizeof(*g.edges));
    g.n_edges = calloc(g.n, sizeof(*g.n_edges));
    g.to_indicator = calloc(g.n, sizeof(*g.to_indicator));
    codes = g.edges && g.n_edges && g.to_indicator ? distinct_codes(ctx, &g, &m) : NULL;
    if (!codes) {
        ctx->oom = 1;
        goto out;
    }
    rc = formula_env_new(&env, codes, m, err, sizeof(err));
    if (rc < 0) {
        if (rc == -ENOMEM)
            ctx->oom = 1;
        else
            cfg_error(ctx, "indicators", "cannot check formulas: %s", err);
        goto out;
    }
    for (size_t i = 0; i < g.n && !ctx->oom; i++) {
        if (cfg->indicators[i].formula)
            check_one(ctx, env, &g, i);
    }
    if (!ctx->oom)
        find_cycles(ctx, &g);
out:
    formula_env_free(&env);
    free(codes);
    graph_free(&g);
}
