/*
 * cmd_api.h - the `parkstat` commands that ask a running parkstatd over its
 * HTTP API (docs/API.md): status, sources, runs, rejects, index, ranking,
 * series, observations, pull, recompute. Each prints a table, JSON or CSV
 * (--format) and returns the exit status: 0 ok, 1 when the API answered with
 * an error or could not be reached (the message says which, and names the
 * URL), 2 on usage errors.
 *
 * observations, ranking and recompute keep their local mode: with --db they
 * run observations_command(), ranking_command() or recompute_command().
 */
#ifndef PARKSTAT_CMD_API_H
#define PARKSTAT_CMD_API_H

/* Each runs its command; argv[0] is the command's name. */
int api_status_command(int argc, char **argv);
int api_sources_command(int argc, char **argv);
int api_runs_command(int argc, char **argv);
int api_rejects_command(int argc, char **argv);
int api_checks_command(int argc, char **argv);
int api_index_command(int argc, char **argv);
int api_ranking_command(int argc, char **argv);
int api_series_command(int argc, char **argv);
int api_observations_command(int argc, char **argv);
int api_pull_command(int argc, char **argv);
int api_recompute_command(int argc, char **argv);

#endif
