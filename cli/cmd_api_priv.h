/*
 * cmd_api_priv.h - shared by cmd_api.c (options and commands) and
 * cmd_api_out.c (printing the API's JSON rows as a table, CSV or JSON).
 */
#ifndef PARKSTAT_CMD_API_PRIV_H
#define PARKSTAT_CMD_API_PRIV_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

enum api_format { API_FORMAT_TABLE, API_FORMAT_JSON, API_FORMAT_CSV };

enum api_col_kind {
    API_COL_TEXT,   /* left-aligned */
    API_COL_NUMBER, /* right-aligned */
    API_COL_SIGNED, /* right-aligned, with its sign: +2, -1, 0 (rank changes) */
};

/* One printed column: a member of each row object. */
struct api_col {
    const char *key;    /* JSON member; also the CSV header */
    const char *header; /* table header */
    enum api_col_kind kind;
    int decimals; /* table: reals with this many decimals; -1: 15 significant */
};

/*
 * Prints rows (a JSON array of objects) in format f: an aligned table with the
 * columns' headers (null as "-"), CSV with their keys as the header (RFC 4180
 * quoting, LF line ends, null as an empty field, reals with 15 significant
 * digits), or the array itself as indented JSON. Returns 0, -ENOMEM or -EIO.
 */
int api_print_rows(enum api_format f, const json_t *rows, const struct api_col *cols, size_t n_cols,
                   FILE *out);

/* Prints v as indented JSON (reals with 15 significant digits) and a newline.
 * Returns 0 or -EIO. */
int api_print_json(const json_t *v, FILE *out);

/* Options a command may accept beyond the common ones; bit i is param_names[i]. */
enum {
    API_OPT_PERIOD = 1 << 0,
    API_OPT_UNIT = 1 << 1,
    API_OPT_INDICATOR = 1 << 2,
    API_OPT_FROM = 1 << 3,
    API_OPT_TO = 1 << 4,
    API_OPT_AS_OF = 1 << 5,
    API_OPT_HISTORY = 1 << 6,
    API_OPT_SOURCE = 1 << 7,
    API_OPT_LIMIT = 1 << 8,
    API_OPT_TRANSFORM = 1 << 9,
};
#define API_N_PARAMS  10
#define API_PATH_SIZE 4096

/* The query parameter names, by API_OPT_ bit. */
extern const char *const api_param_names[API_N_PARAMS];

/* The parsed command line. */
struct api_opts {
    const char *url, *config, *token_file;
    double timeout_s;
    enum api_format format;
    const char *param[API_N_PARAMS]; /* by API_OPT_ bit; history is "1" when given */
    const char *arg;                 /* the positional ID or SOURCE, or NULL */
};

struct client;
struct api_cmd;

/* A runner: requests and prints; returns 0 or a negative errno (the client's
 * last error says more). */
typedef int (*api_run_fn)(struct client *c, const struct api_cmd *cmd, const struct api_opts *o);

/* One command. */
struct api_cmd {
    const char *name;
    unsigned allowed;  /* API_OPT_ bits */
    const char *arg;   /* name of the one positional argument, or NULL */
    const char *path;  /* endpoint; "%s" stands for the escaped argument */
    const char *usage; /* the command's own options, for its usage text */
    api_run_fn run;
    const struct api_col *cols; /* the printed columns */
    size_t n_cols;
    const char *rows_key; /* data member holding the rows; NULL: data is the rows */
};

/* The runners (cmd_api_run.c). */
int api_run_list(struct client *c, const struct api_cmd *cmd, const struct api_opts *o);
int api_run_object(struct client *c, const struct api_cmd *cmd, const struct api_opts *o);
int api_run_action(struct client *c, const struct api_cmd *cmd, const struct api_opts *o);
int api_run_status(struct client *c, const struct api_cmd *cmd, const struct api_opts *o);

#endif
