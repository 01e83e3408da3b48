/*
 * cmd_api.c - the `parkstat` commands that query a running parkstatd over its
 * HTTP API (cmd_api.h): the table of commands with their endpoints, options
 * and printed columns, one option parser for all of them (each accepts a
 * subset), and the API's URL from --url, the config's server.listen or
 * http://127.0.0.1:8080. The runners are in cmd_api_run.c, printing in
 * cmd_api_out.c.
 */
#include "cli/cmd_api.h"

#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/checks.h"
#include "cli/client.h"
#include "cli/curl_dl.h"
#include "cli/cmd_api_priv.h"
#include "cli/observations.h"
#include "cli/recompute.h"
#include "common/period.h"
#include "common/timefmt.h"
#include "config/config.h"

#define DEFAULT_URL     "http://127.0.0.1:8080"
#define DEFAULT_TIMEOUT 30.0
#define N_OF(a)         (sizeof(a) / sizeof((a)[0]))

const char *const api_param_names[API_N_PARAMS] = {"period", "unit",     "indicator", "from",
                                                   "to",     "as_of",    "history",   "source",
                                                   "limit",  "transform"};

static const struct api_col source_cols[] = {
    {"source", "source", API_COL_TEXT, -1},
    {"failing", "failing", API_COL_TEXT, -1},
    {"consecutive_failures", "failures", API_COL_NUMBER, -1},
    {"last_outcome", "outcome", API_COL_TEXT, -1},
    {"last_status", "http", API_COL_NUMBER, -1},
    {"n_new", "new", API_COL_NUMBER, -1},
    {"n_revised", "revised", API_COL_NUMBER, -1},
    {"n_unchanged", "unchanged", API_COL_NUMBER, -1},
    {"n_rejected", "rejected", API_COL_NUMBER, -1},
    {"last_attempt", "last_attempt", API_COL_TEXT, -1},
    {"last_success", "last_success", API_COL_TEXT, -1},
    {"last_error", "error", API_COL_TEXT, -1},
};

static const struct api_col run_cols[] = {
    {"id", "id", API_COL_NUMBER, -1},
    {"source", "source", API_COL_TEXT, -1},
    {"period", "period", API_COL_TEXT, -1},
    {"outcome", "outcome", API_COL_TEXT, -1},
    {"n_new", "new", API_COL_NUMBER, -1},
    {"n_revised", "revised", API_COL_NUMBER, -1},
    {"n_unchanged", "unchanged", API_COL_NUMBER, -1},
    {"n_rejected", "rejected", API_COL_NUMBER, -1},
    {"http_status", "http", API_COL_NUMBER, -1},
    {"bytes", "bytes", API_COL_NUMBER, -1},
    {"started_at", "started_at", API_COL_TEXT, -1},
    {"ended_at", "ended_at", API_COL_TEXT, -1},
    {"error", "error", API_COL_TEXT, -1},
};

static const struct api_col reject_cols[] = {
    {"run_id", "run", API_COL_NUMBER, -1},  {"source", "source", API_COL_TEXT, -1},
    {"period", "period", API_COL_TEXT, -1}, {"position", "position", API_COL_NUMBER, -1},
    {"reason", "reason", API_COL_TEXT, -1}, {"raw", "raw", API_COL_TEXT, -1},
};

static const struct api_col check_cols[] = {
    {"check", "check", API_COL_TEXT, -1},
    {"rule", "rule", API_COL_TEXT, -1},
    {"unit", "unit", API_COL_TEXT, -1},
    {"indicator", "indicator", API_COL_TEXT, -1},
    {"period", "period", API_COL_TEXT, -1},
    {"value", "value", API_COL_NUMBER, -1},
    {"expected", "expected", API_COL_NUMBER, -1},
    {"detail", "detail", API_COL_TEXT, -1},
    {"valid_from", "valid_from", API_COL_TEXT, -1},
};

/* The columns of the local `parkstat observations`. */
static const struct api_col obs_cols[] = {
    {"unit", "unit", API_COL_TEXT, -1},
    {"indicator", "indicator", API_COL_TEXT, -1},
    {"period", "period", API_COL_TEXT, -1},
    {"value", "value", API_COL_NUMBER, -1},
    {"valid_from", "valid_from", API_COL_TEXT, -1},
    {"valid_to", "valid_to", API_COL_TEXT, -1},
    {"status", "status", API_COL_TEXT, -1},
};

static const struct api_col index_cols[] = {
    {"node", "node", API_COL_TEXT, -1},     {"unit", "unit", API_COL_TEXT, -1},
    {"name", "name", API_COL_TEXT, -1},     {"score", "score", API_COL_NUMBER, 2},
    {"rank", "rank", API_COL_NUMBER, -1},   {"rank_change", "change", API_COL_SIGNED, -1},
    {"flags", "flags", API_COL_NUMBER, -1},
};

static const struct api_col ranking_cols[] = {
    {"rank", "rank", API_COL_NUMBER, -1},
    {"unit", "unit", API_COL_TEXT, -1},
    {"name", "name", API_COL_TEXT, -1},
    {"score", "score", API_COL_NUMBER, 2},
    {"rank_change", "change", API_COL_SIGNED, -1},
    {"flags", "flags", API_COL_NUMBER, -1},
};

/* A series' points; status: the code of the unit's own observation of the period. */
static const struct api_col series_cols[] = {
    {"period", "period", API_COL_TEXT, -1},       {"value", "value", API_COL_NUMBER, -1},
    {"coverage", "coverage", API_COL_NUMBER, -1}, {"flags", "flags", API_COL_TEXT, -1},
    {"status", "status", API_COL_TEXT, -1},
};

#define COLS(a) a, N_OF(a)

static const struct api_cmd cmd_status = {"status",       0,    NULL, "/healthz", "",
                                          api_run_status, NULL, 0,    NULL};
static const struct api_cmd cmd_sources = {
    "sources", 0, NULL, "/api/v1/sources", "", api_run_list, COLS(source_cols), NULL};
static const struct api_cmd cmd_runs = {"runs",
                                        API_OPT_SOURCE | API_OPT_LIMIT,
                                        NULL,
                                        "/api/v1/runs",
                                        "[--source S] [--limit N] ",
                                        api_run_list,
                                        COLS(run_cols),
                                        NULL};
static const struct api_cmd cmd_rejects = {"rejects",
                                           API_OPT_SOURCE | API_OPT_PERIOD | API_OPT_LIMIT,
                                           NULL,
                                           "/api/v1/rejects",
                                           "[--source S] [--period P] [--limit N] ",
                                           api_run_list,
                                           COLS(reject_cols),
                                           NULL};
static const struct api_cmd cmd_checks = {"checks",
                                          API_OPT_UNIT | API_OPT_INDICATOR | API_OPT_PERIOD,
                                          NULL,
                                          "/api/v1/checks",
                                          "[--unit U] [--indicator I] [--period P] ",
                                          api_run_list,
                                          COLS(check_cols),
                                          NULL};
static const struct api_cmd cmd_index = {"index",
                                         API_OPT_PERIOD | API_OPT_UNIT,
                                         "ID",
                                         "/api/v1/indices/%s",
                                         "[--period P (default: the latest)] [--unit U] ",
                                         api_run_object,
                                         COLS(index_cols),
                                         "results"};
static const struct api_cmd cmd_ranking = {"ranking",
                                           API_OPT_PERIOD,
                                           "ID",
                                           "/api/v1/rankings/%s",
                                           "[--period P (default: the latest)] ",
                                           api_run_object,
                                           COLS(ranking_cols),
                                           "ranking"};
static const struct api_cmd cmd_series = {"series",
                                          API_OPT_UNIT | API_OPT_INDICATOR | API_OPT_FROM |
                                              API_OPT_TO | API_OPT_TRANSFORM,
                                          NULL,
                                          "/api/v1/series",
                                          "--unit U --indicator I [--from P] [--to P]\n"
                                          "       [--transform value|yoy|pop|ytd_yoy] ",
                                          api_run_object,
                                          COLS(series_cols),
                                          "points"};
static const struct api_cmd cmd_observations = {"observations",
                                                API_OPT_UNIT | API_OPT_INDICATOR | API_OPT_FROM |
                                                    API_OPT_TO | API_OPT_AS_OF | API_OPT_HISTORY,
                                                NULL,
                                                "/api/v1/observations",
                                                "[--unit U] [--indicator I] [--from P] [--to P]\n"
                                                "       [--as-of TIME | --history] ",
                                                api_run_list,
                                                COLS(obs_cols),
                                                NULL};
static const struct api_cmd cmd_pull = {"pull",
                                        API_OPT_PERIOD,
                                        "SOURCE",
                                        "/api/v1/sources/%s/pull",
                                        "[--period P] ",
                                        api_run_action,
                                        NULL,
                                        0,
                                        NULL};
static const struct api_cmd cmd_recompute = {
    "recompute", 0, NULL, "/api/v1/recompute", "", api_run_action, NULL, 0, NULL};

static const char common_usage[] =
    "Common options:\n"
    "  --url URL          the API (default: server.listen of --config, else " DEFAULT_URL ")\n"
    "  --config FILE      the parkstat configuration (its URL and token file)\n"
    "  --token-file FILE  bearer token for pull and recompute (default: server.token_file)\n"
    "  --format F         table (default), json or csv\n"
    "  --timeout S        seconds per request (default 30)\n"
    "Exit status: 0 ok; 1 the API answered with an error or could not be reached, no\n"
    "results for the --period of ranking or index, or the output could not be written;\n"
    "2 usage, also a period of another frequency than the index's and any parameter the\n"
    "API refused (400).\n";

static void usage(const struct api_cmd *cmd, FILE *out)
{
    fprintf(out, "usage: parkstat %s %s%s%s[common options]\n%s", cmd->name,
            cmd->arg ? cmd->arg : "", cmd->arg ? " " : "", cmd->usage, common_usage);
    if (cmd == &cmd_observations || cmd == &cmd_ranking || cmd == &cmd_recompute)
        fprintf(out, "With --db FILE, the local mode on a database: parkstat %s --db FILE --help\n",
                cmd->name);
}

/*
 * Prints the last error: the API's plainly, else the transport's. Returns the
 * exit status: 2 when the API refused the request as bad (400: a parameter,
 * a period of the wrong frequency), else 1. A 401 says how to give the token.
 */
static int report(const struct api_cmd *cmd, struct client *c, int rc, const char *token)
{
    const struct client_error *e = client_last_error(c);

    if (e->code)
        fprintf(stderr, "error %ld: %s\n", e->code, e->message);
    else if (e->message[0])
        fprintf(stderr, "parkstat %s: %s\n", cmd->name, e->message);
    else
        fprintf(stderr, "parkstat %s: %s\n", cmd->name, strerror(-rc));
    if (e->code == 401 && token)
        fprintf(stderr,
                "parkstat %s: the token in %s was refused: is it the one in the "
                "daemon's server.token_file?\n",
                cmd->name, token);
    else if (e->code == 401)
        fprintf(stderr,
                "parkstat %s: give the admin token with --token-file FILE (or --config "
                "FILE whose server.token_file names it)\n",
                cmd->name);
    return e->code == 400 ? 2 : 1;
}

static int bad_value(const struct api_cmd *cmd, const char *opt, const char *v, const char *what)
{
    fprintf(stderr, "parkstat %s: --%s: \"%s\" is not %s\n", cmd->name, opt, v, what);
    return 2;
}

/* Checks the value of query parameter i. Returns 0 or 2 (usage). */
static int check_param(const struct api_cmd *cmd, size_t i, const char *v, const char *opt)
{
    static const char *const transforms[] = {"value", "yoy", "pop", "ytd_yoy"};
    struct period p;
    int64_t t;
    char *end;

    switch (1u << i) {
    case API_OPT_PERIOD:
    case API_OPT_FROM:
    case API_OPT_TO:
        return period_parse_str(&p, v) < 0 ? bad_value(cmd, opt, v, "a period") : 0;
    case API_OPT_AS_OF:
        return time_parse_iso(v, &t) < 0 ? bad_value(cmd, opt, v, "an ISO 8601 time") : 0;
    case API_OPT_LIMIT:
        return strtol(v, &end, 10) < 1 || *end || !*v ? bad_value(cmd, opt, v, "a count >= 1") : 0;
    case API_OPT_TRANSFORM:
        for (size_t k = 0; k < N_OF(transforms); k++)
            if (strcmp(v, transforms[k]) == 0)
                return 0;
        return bad_value(cmd, opt, v, "value, yoy, pop or ytd_yoy");
    }
    return 0;
}

static int parse_format(const struct api_cmd *cmd, const char *v, enum api_format *f)
{
    static const char *const names[] = {"table", "json", "csv"};
    static const enum api_format formats[] = {API_FORMAT_TABLE, API_FORMAT_JSON, API_FORMAT_CSV};

    for (size_t i = 0; i < N_OF(names); i++) {
        if (strcmp(v, names[i]) == 0) {
            *f = formats[i];
            return 0;
        }
    }
    return bad_value(cmd, "format", v, "table, json or csv");
}

enum { OPT_URL = 256, OPT_CONFIG, OPT_TOKEN, OPT_FORMAT, OPT_TIMEOUT, OPT_PARAM = 512 };

static const struct option long_opts[] = {
    {"url", required_argument, NULL, OPT_URL},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"token-file", required_argument, NULL, OPT_TOKEN},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"period", required_argument, NULL, OPT_PARAM + 0},
    {"unit", required_argument, NULL, OPT_PARAM + 1},
    {"indicator", required_argument, NULL, OPT_PARAM + 2},
    {"from", required_argument, NULL, OPT_PARAM + 3},
    {"to", required_argument, NULL, OPT_PARAM + 4},
    {"as-of", required_argument, NULL, OPT_PARAM + 5},
    {"history", no_argument, NULL, OPT_PARAM + 6},
    {"source", required_argument, NULL, OPT_PARAM + 7},
    {"limit", required_argument, NULL, OPT_PARAM + 8},
    {"transform", required_argument, NULL, OPT_PARAM + 9},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* One option; returns 0, or 2 for a usage error. */
static int take_option(const struct api_cmd *cmd, int c, int index, struct api_opts *o)
{
    char *end;

    switch (c) {
    case OPT_URL:
        o->url = optarg;
        return 0;
    case OPT_CONFIG:
        o->config = optarg;
        return 0;
    case OPT_TOKEN:
        o->token_file = optarg;
        return 0;
    case OPT_FORMAT:
        return parse_format(cmd, optarg, &o->format);
    case OPT_TIMEOUT:
        o->timeout_s = strtod(optarg, &end);
        return *end || !(o->timeout_s > 0) ? bad_value(cmd, "timeout", optarg, "seconds > 0") : 0;
    }
    size_t i = (size_t)(c - OPT_PARAM);
    if (c < OPT_PARAM || i >= API_N_PARAMS)
        return 2;
    if (!(cmd->allowed & (1u << i))) {
        fprintf(stderr, "parkstat %s: --%s does not apply to this command\n", cmd->name,
                long_opts[index].name);
        return 2;
    }
    o->param[i] = optarg ? optarg : "1"; /* --history has no argument */
    return check_param(cmd, i, o->param[i], long_opts[index].name);
}

/* Checks the positional argument and the combinations. Returns 0 or 2. */
static int check_args(const struct api_cmd *cmd, int argc, char **argv, struct api_opts *o)
{
    int want = cmd->arg ? 1 : 0;

    if (argc - optind != want) {
        fprintf(stderr, "parkstat %s: %s\n", cmd->name,
                argc - optind < want ? "missing argument" : "unexpected argument");
        return 2;
    }
    o->arg = want ? argv[optind] : NULL;
    if (cmd == &cmd_series && (!o->param[1] || !o->param[2])) {
        fprintf(stderr, "parkstat series: --unit and --indicator are required\n");
        return 2;
    }
    if (o->param[5] && o->param[6]) {
        fprintf(stderr, "parkstat %s: --as-of and --history exclude each other\n", cmd->name);
        return 2;
    }
    return 0;
}

/* Parses the command line into o. Returns 0, -1 after --help, or 2. */
static int parse(const struct api_cmd *cmd, int argc, char **argv, struct api_opts *o)
{
    int c, index = 0, rc;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", long_opts, &index)) != -1) {
        if (c == 'h') {
            usage(cmd, stdout);
            return -1;
        }
        if (c == '?' || take_option(cmd, c, index, o) != 0) {
            usage(cmd, stderr);
            return 2;
        }
    }
    if ((rc = check_args(cmd, argc, argv, o)) != 0)
        usage(cmd, stderr);
    return rc;
}

/* The URL of a listen address: a wildcard address is reached on loopback. */
static void listen_url(const char *listen, char *url, size_t size)
{
    if (strncmp(listen, "0.0.0.0:", 8) == 0)
        snprintf(url, size, "http://127.0.0.1:%s", listen + 8);
    else if (strncmp(listen, "[::]:", 5) == 0)
        snprintf(url, size, "http://[::1]:%s", listen + 5);
    else
        snprintf(url, size, "http://%s", listen);
}

/* Loads --config when given; sets url. Returns 0, or 1 with the message printed. */
static int resolve(const struct api_cmd *cmd, const struct api_opts *o, struct config **cfg,
                   char *url, size_t size)
{
    char *errors = NULL;
    int rc;

    if (o->config && (rc = config_load(o->config, cfg, &errors)) < 0) {
        if (errors)
            fputs(errors, stderr);
        else
            fprintf(stderr, "parkstat %s: %s: %s\n", cmd->name, o->config, strerror(-rc));
        free(errors);
        return 1;
    }
    if (o->url)
        snprintf(url, size, "%s", o->url);
    else if (*cfg)
        listen_url(config_listen(*cfg), url, size);
    else
        snprintf(url, size, "%s", DEFAULT_URL);
    return 0;
}

/* Parses, connects, runs the command; returns the exit status. */
static int run_api(const struct api_cmd *cmd, int argc, char **argv)
{
    struct api_opts o = {.timeout_s = DEFAULT_TIMEOUT};
    struct config *cfg = NULL;
    struct client *c = NULL;
    const char *token;
    char url[1024];
    int status, rc;

    /* display width of Chinese names in tables needs a UTF-8 LC_CTYPE */
    setlocale(LC_CTYPE, "C.UTF-8");
    if ((status = parse(cmd, argc, argv, &o)) != 0)
        return status < 0 ? 0 : status;
    if ((status = resolve(cmd, &o, &cfg, url, sizeof(url))) != 0)
        goto out;
    status = 1;
    if ((rc = client_new(&c, url, o.timeout_s)) < 0) {
        char why[256] = "";
        if (rc == -ENOSYS)
            curl_dl(why, sizeof(why));
        fprintf(stderr, "parkstat %s: %s: %s\n", cmd->name, url, why[0] ? why : strerror(-rc));
        goto out;
    }
    token = o.token_file ? o.token_file : cfg ? config_token_file(cfg) : NULL;
    if (cmd->run != api_run_action)
        token = NULL;
    if (token && (rc = client_set_token_file(c, token)) < 0) {
        status = report(cmd, c, rc, NULL);
        goto out;
    }
    if ((rc = cmd->run(c, cmd, &o)) < 0 && !ferror(stdout)) {
        /* -EDOM and -ENODATA: the runner said why (hint_no_results) */
        status = rc == -EDOM ? 2 : rc == -ENODATA ? 1 : report(cmd, c, rc, token);
        goto out;
    }
    if (ferror(stdout) || fflush(stdout) != 0) {
        fprintf(stderr, "parkstat %s: standard output: %s\n", cmd->name,
                strerror(errno ? errno : EIO));
        goto out;
    }
    status = 0;
out:
    client_free(&c);
    config_free(&cfg);
    return status;
}

/* Is --db among the options (the local mode of a command)? */
static int has_db(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--db") == 0 || strncmp(argv[i], "--db=", 5) == 0)
            return 1;
    return 0;
}

/* `parkstat status`. */
int api_status_command(int argc, char **argv)
{
    return run_api(&cmd_status, argc, argv);
}

/* `parkstat sources`. */
int api_sources_command(int argc, char **argv)
{
    return run_api(&cmd_sources, argc, argv);
}

/* `parkstat runs`. */
int api_runs_command(int argc, char **argv)
{
    return run_api(&cmd_runs, argc, argv);
}

/* `parkstat rejects`. */
int api_rejects_command(int argc, char **argv)
{
    return run_api(&cmd_rejects, argc, argv);
}

/* `parkstat checks`, or the local mode with --db. */
int api_checks_command(int argc, char **argv)
{
    return has_db(argc, argv) ? checks_command(argc, argv) : run_api(&cmd_checks, argc, argv);
}

/* `parkstat index ID`. */
int api_index_command(int argc, char **argv)
{
    return run_api(&cmd_index, argc, argv);
}

/* `parkstat series`. */
int api_series_command(int argc, char **argv)
{
    return run_api(&cmd_series, argc, argv);
}

/* `parkstat pull SOURCE`. */
int api_pull_command(int argc, char **argv)
{
    return run_api(&cmd_pull, argc, argv);
}

/* `parkstat ranking ID`, or the local mode with --db. */
int api_ranking_command(int argc, char **argv)
{
    return has_db(argc, argv) ? ranking_command(argc, argv) : run_api(&cmd_ranking, argc, argv);
}

/* `parkstat observations`, or the local mode with --db. */
int api_observations_command(int argc, char **argv)
{
    return has_db(argc, argv) ? observations_command(argc, argv)
                              : run_api(&cmd_observations, argc, argv);
}

/* `parkstat recompute`, or the local mode with --db. */
int api_recompute_command(int argc, char **argv)
{
    return has_db(argc, argv) ? recompute_command(argc, argv) : run_api(&cmd_recompute, argc, argv);
}
