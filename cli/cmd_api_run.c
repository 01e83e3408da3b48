/*
 * cmd_api_run.c - the runners of the API commands, one per kind of answer: a
 * list of rows (sources, runs, rejects, observations), an object with rows
 * (index, ranking, series), an admin action (pull, recompute) and the status
 * summary. Each GETs or POSTs through the client and prints in the chosen
 * format (cmd_api_out.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"
#include "cli/cmd_api_priv.h"
#include "cli/curl_dl.h"
#include "cli/hint.h"

/* Builds the request path: the endpoint with the escaped argument, then the
 * given parameters the command accepts. */
static int build_path(const struct api_cmd *cmd, const struct api_opts *o, char *path)
{
    const struct curl_api *api = curl_dl(NULL, 0);
    char *arg = NULL;
    int rc = 0;

    if (!api)
        return -ENOSYS;
    if (cmd->arg && !(arg = api->easy_escape(NULL, o->arg, 0)))
        return -ENOMEM;
    /* the endpoint's "%s" (if any) becomes the argument */
    const char *slot = strstr(cmd->path, "%s");
    int head = slot ? (int)(slot - cmd->path) : (int)strlen(cmd->path);
    if ((size_t)snprintf(path, API_PATH_SIZE, "%.*s%s%s", head, cmd->path, arg ? arg : "",
                         slot ? slot + 2 : "") >= API_PATH_SIZE)
        rc = -ENAMETOOLONG;
    api->free(arg);
    for (size_t i = 0; rc == 0 && i < API_N_PARAMS; i++)
        if (cmd->allowed & (1u << i))
            rc = client_path_add(path, API_PATH_SIZE, api_param_names[i], o->param[i]);
    return rc;
}

/* GETs the command's endpoint: its data in *data. A command with --limit
 * (runs, rejects) shows one page, the newest; the others every page. */
static int fetch(struct client *c, const struct api_cmd *cmd, const struct api_opts *o,
                 json_t **data)
{
    char path[API_PATH_SIZE];
    int rc = build_path(cmd, o, path);

    if (rc < 0) {
        *data = NULL;
        return rc;
    }
    if (cmd->allowed & API_OPT_LIMIT)
        return client_get_json(c, path, data);
    return client_get_json_all(c, path, data);
}

/* Observation rows for a table: each value as text with its indicator's
 * decimals (from /api/v1/indicators; a value of an indicator the API does
 * not describe keeps its 15 significant digits) and its status after it
 * ("12.30 p"; a missing value "-"), as `parkstat observations --db` shows
 * them. A new reference. */
static json_t *rounded_rows(struct client *c, json_t *rows)
{
    json_t *inds = NULL, *out = json_array(), *row;
    size_t i, k;

    if (!out)
        return NULL;
    if (client_get_json(c, "/api/v1/indicators", &inds) < 0)
        inds = NULL;
    json_array_foreach(rows, i, row)
    {
        const json_t *v = json_object_get(row, "value"), *ind;
        const char *code = json_string_value(json_object_get(row, "indicator"));
        const char *status = json_string_value(json_object_get(row, "status"));
        json_t *copy = json_copy(row);
        char text[96];

        if (!copy || json_array_append_new(out, copy) < 0)
            goto fail;
        if (status && json_is_number(v))
            snprintf(text, sizeof(text), "%.15g %.16s", json_number_value(v), status);
        else if (status)
            snprintf(text, sizeof(text), "- %.16s", status);
        if (status && json_object_set_new(copy, "value", json_string(text)) < 0)
            goto fail;
        if (!json_is_number(v) || !code)
            continue;
        json_array_foreach(inds, k, ind)
        {
            const json_t *dec = json_object_get(ind, "decimals");
            const char *ic = json_string_value(json_object_get(ind, "code"));
            if (ic && strcmp(ic, code) == 0 && json_is_integer(dec) &&
                json_integer_value(dec) >= 0 && json_integer_value(dec) <= 15) {
                int n = snprintf(text, sizeof(text), "%.*f", (int)json_integer_value(dec),
                                 json_number_value(v));
                if (status && n > 0 && (size_t)n < sizeof(text))
                    snprintf(text + n, sizeof(text) - (size_t)n, " %.16s", status);
                if (json_object_set_new(copy, "value", json_string(text)) < 0)
                    goto fail;
                break;
            }
        }
    }
    json_decref(inds);
    return out;
fail:
    json_decref(inds);
    json_decref(out);
    return NULL;
}

/* sources, runs, rejects, observations: rows of one kind. A table of
 * observations shows each value with its indicator's decimals. */
int api_run_list(struct client *c, const struct api_cmd *cmd, const struct api_opts *o)
{
    json_t *data = NULL, *rows = NULL;
    int rc = fetch(c, cmd, o, &data);

    if (rc == 0 && !json_is_array(data)) {
        rc = -EPROTO;
    } else if (rc == 0) {
        int obs = o->format == API_FORMAT_TABLE && strcmp(cmd->name, "observations") == 0;
        if (obs && !(rows = rounded_rows(c, data)))
            rc = -ENOMEM;
        else /* a table has the status in the value (the last column, "status", left out) */
            rc = api_print_rows(o->format, rows ? rows : data, cmd->cols, cmd->n_cols - (size_t)obs,
                                stdout);
    }
    json_decref(rows);
    json_decref(data);
    return rc;
}

static const struct api_col contrib_cols[] = {
    {"unit", "unit", API_COL_TEXT, -1},
    {"indicator", "indicator", API_COL_TEXT, -1},
    {"contribution", "contribution", API_COL_NUMBER, 4},
};

/* The decimals of indicator code from /api/v1/indicators, or -1 when the
 * API does not say. */
static int indicator_decimals(struct client *c, const char *code)
{
    json_t *list = NULL, *row;
    size_t i;
    int d = -1;

    if (client_get_json(c, "/api/v1/indicators", &list) < 0)
        return -1;
    json_array_foreach(list, i, row)
    {
        const json_t *dec = json_object_get(row, "decimals");
        const char *rc = json_string_value(json_object_get(row, "code"));
        if (rc && strcmp(rc, code) == 0 && json_is_integer(dec) && json_integer_value(dec) >= 0 &&
            json_integer_value(dec) <= 15)
            d = (int)json_integer_value(dec);
    }
    json_decref(list);
    return d;
}

/* index, ranking, series: an object with a heading and rows. JSON prints the
 * whole object, CSV the rows; a table has a heading line first, and a series'
 * values with the indicator's decimals. No rows for a given period is an
 * error saying why (-EDOM: another frequency, -ENODATA: none; printed). */
int api_run_object(struct client *c, const struct api_cmd *cmd, const struct api_opts *o)
{
    json_t *data = NULL, *rows, *contribs;
    struct api_col cols[8];
    int rc = fetch(c, cmd, o, &data);

    if (rc < 0)
        goto out;
    if (cmd->n_cols > sizeof(cols) / sizeof(cols[0])) {
        rc = -EINVAL;
        goto out;
    }
    rows = json_object_get(data, cmd->rows_key);
    if (!json_is_array(rows)) {
        rc = -EPROTO;
        goto out;
    }
    /* an empty ranking or index for a given period: say why (another
     * frequency than the index's, or no results) instead of an empty table */
    if (json_array_size(rows) == 0 && json_object_get(data, "index") && o->param[0] &&
        !o->param[1]) {
        rc = hint_no_results(c, cmd->name, o->arg, o->param[0]);
        goto out;
    }
    if (o->format == API_FORMAT_JSON) {
        rc = api_print_json(data, stdout);
        goto out;
    }
    if (o->format == API_FORMAT_TABLE) {
        if (json_object_get(data, "index"))
            printf("index %s, period %s\n", json_string_value(json_object_get(data, "index")),
                   json_string_value(json_object_get(data, "period")));
        else
            printf("unit %s, indicator %s, %s\n", json_string_value(json_object_get(data, "unit")),
                   json_string_value(json_object_get(data, "indicator")),
                   json_string_value(json_object_get(data, "transform")));
    }
    memcpy(cols, cmd->cols, cmd->n_cols * sizeof(cols[0]));
    if (o->format == API_FORMAT_TABLE && !json_object_get(data, "index"))
        for (size_t i = 0; i < cmd->n_cols; i++)
            if (strcmp(cols[i].key, "value") == 0)
                cols[i].decimals = indicator_decimals(c, o->param[2]); /* API_OPT_INDICATOR */
    rc = api_print_rows(o->format, rows, cols, cmd->n_cols, stdout);
    contribs = json_object_get(data, "contributions");
    if (rc == 0 && o->format == API_FORMAT_TABLE && json_array_size(contribs) > 0) {
        printf("\ncontributions\n");
        rc = api_print_rows(o->format, contribs, contrib_cols, 3, stdout);
    }
out:
    json_decref(data);
    return rc;
}

/* pull, recompute: a POST with the token; prints the acceptance. */
int api_run_action(struct client *c, const struct api_cmd *cmd, const struct api_opts *o)
{
    static const struct api_col cols[] = {{"accepted", "accepted", API_COL_TEXT, -1},
                                          {"action", "action", API_COL_TEXT, -1}};
    char path[API_PATH_SIZE];
    json_t *data = NULL;
    int rc = build_path(cmd, o, path);

    if (rc < 0 || (rc = client_post_json(c, path, &data)) < 0)
        goto out;
    if (o->format == API_FORMAT_TABLE) {
        const char *period = o->param[0]; /* API_OPT_PERIOD */
        printf("%s%s%s accepted%s%s\n", cmd->name, o->arg ? " of " : "", o->arg ? o->arg : "",
               period ? " for period " : "", period ? period : "");
    } else if (o->format == API_FORMAT_JSON) {
        rc = api_print_json(data, stdout);
    } else {
        json_t *rows = json_pack("[O]", data);
        rc = rows ? api_print_rows(o->format, rows, cols, 2, stdout) : -ENOMEM;
        json_decref(rows);
    }
out:
    json_decref(data);
    return rc;
}

/* The status summary as one object: health, sources, failing, newest run. */
static int status_summary(struct client *c, json_t **out)
{
    json_t *sources = NULL, *runs = NULL, *row;
    char *health = NULL;
    size_t len, i, failing = 0;
    int rc;

    *out = NULL;
    if ((rc = client_get_text(c, "/healthz", &health, &len)) < 0 ||
        (rc = client_get_json(c, "/api/v1/sources", &sources)) < 0 ||
        (rc = client_get_json(c, "/api/v1/runs?limit=1", &runs)) < 0)
        goto out;
    health[strcspn(health, "\r\n")] = '\0';
    json_array_foreach(sources, i, row) failing += json_is_true(json_object_get(row, "failing"));
    row = json_array_get(runs, 0);
    *out = json_pack("{s:s,s:s,s:I,s:I,s:O}", "url", client_url(c), "health", health, "sources",
                     (json_int_t)json_array_size(sources), "failing", (json_int_t)failing,
                     "newest_run", row ? row : json_null());
    rc = *out ? 0 : -ENOMEM;
out:
    free(health);
    json_decref(sources);
    json_decref(runs);
    return rc;
}

static const char *str_or(const json_t *obj, const char *key, const char *dflt)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : dflt;
}

static void print_status_text(const json_t *s)
{
    const json_t *run = json_object_get(s, "newest_run");

    printf("%s: %s\n", str_or(s, "url", ""), str_or(s, "health", ""));
    printf("sources: %" JSON_INTEGER_FORMAT " (%" JSON_INTEGER_FORMAT " failing)\n",
           json_integer_value(json_object_get(s, "sources")),
           json_integer_value(json_object_get(s, "failing")));
    if (!json_is_object(run)) {
        printf("newest run: none\n");
        return;
    }
    printf("newest run: %" JSON_INTEGER_FORMAT " %s %s %s, ended %s\n",
           json_integer_value(json_object_get(run, "id")), str_or(run, "source", "-"),
           str_or(run, "period", "-"), str_or(run, "outcome", "-"), str_or(run, "ended_at", "-"));
}

/* status: /healthz, the sources and the newest run. */
int api_run_status(struct client *c, const struct api_cmd *cmd, const struct api_opts *o)
{
    static const struct api_col cols[] = {{"url", "url", API_COL_TEXT, -1},
                                          {"health", "health", API_COL_TEXT, -1},
                                          {"sources", "sources", API_COL_NUMBER, -1},
                                          {"failing", "failing", API_COL_NUMBER, -1},
                                          {"newest_run", "newest_run", API_COL_NUMBER, -1}};
    json_t *s = NULL, *rows = NULL;
    int rc = status_summary(c, &s);
    (void)cmd;

    if (rc < 0)
        goto out;
    if (o->format == API_FORMAT_TABLE) {
        print_status_text(s);
    } else if (o->format == API_FORMAT_JSON) {
        rc = api_print_json(s, stdout);
    } else {
        /* CSV: the newest run by its id */
        json_t *run = json_object_get(s, "newest_run");
        json_object_set(s, "newest_run",
                        json_object_get(run, "id") ? json_object_get(run, "id") : json_null());
        rows = json_pack("[O]", s);
        rc = rows ? api_print_rows(o->format, rows, cols, 5, stdout) : -ENOMEM;
    }
out:
    json_decref(rows);
    json_decref(s);
    return rc;
}
