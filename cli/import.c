/*
 * import.c - checks long-format CSV rows against the config and ingests the
 * good ones as one batch per file (see import.h).
 *
 * Memory per file: a growable array of struct store_obs plus a parallel array
 * of line numbers (no allocation per row), and one text arena for the raw text
 * and reason of each reject. Row checks and duplicate keys: import_rows.c.
 */
#include "cli/import.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/import_priv.h"
#include "common/buf.h"
#include "common/timefmt.h"
#include "compute/compute.h"
#include "config/config.h"
#include "store/bookkeeping.h"
#include "store/observations.h"
#include "store/store.h"

static const char *const column_names[N_COLUMNS] = {"unit", "indicator", "period", "value"};

static void msg(struct file_import *f, long line, const char *text)
{
    if (!f->im->msgs)
        return;
    if (line > 0)
        fprintf(f->im->msgs, "%s:%ld: %s\n", f->name, line, text);
    else
        fprintf(f->im->msgs, "%s: %s\n", f->name, text);
}

/* Maps the header's columns; a missing or repeated required column is fatal. */
static int read_header(struct file_import *f, const struct csvread_record *rec)
{
    char q[200], line[300];
    int found[N_COLUMNS] = {0};

    f->have_header = 1;
    f->n_cols = rec->n_fields;
    if (rec->error) {
        snprintf(line, sizeof(line), "header: %s", rec->error);
        msg(f, rec->line, line);
        return f->rc = -EINVAL;
    }
    for (size_t i = 0; i < rec->n_fields && i < CSVREAD_FIELD_MAX; i++) {
        int k = 0;
        while (k < N_COLUMNS && (strlen(column_names[k]) != rec->len[i] ||
                                 strncasecmp(column_names[k], rec->field[i], rec->len[i]) != 0))
            k++;
        import_quote(q, sizeof(q), rec->field[i], rec->len[i]);
        if (k == N_COLUMNS) {
            snprintf(line, sizeof(line), "warning: column %s ignored", q);
            msg(f, rec->line, line);
        } else if (found[k]++) {
            snprintf(line, sizeof(line), "column %s given twice", q);
            msg(f, rec->line, line);
            f->rc = -EINVAL;
        }
        if (k < N_COLUMNS)
            f->col[k] = i;
    }
    if (rec->n_fields > CSVREAD_FIELD_MAX) {
        snprintf(line, sizeof(line), "warning: the %zu columns after the %dth are ignored",
                 rec->n_fields - CSVREAD_FIELD_MAX, CSVREAD_FIELD_MAX);
        msg(f, rec->line, line);
    }
    for (int k = 0; k < N_COLUMNS; k++) {
        if (!found[k]) {
            snprintf(line, sizeof(line), "missing column \"%s\"", column_names[k]);
            msg(f, rec->line, line);
            f->rc = -EINVAL;
        }
    }
    return f->rc;
}

static int on_record(const struct csvread_record *rec, void *ctx)
{
    struct file_import *f = ctx;
    char why[300], raw[RAW_MAX + 1];
    struct store_obs o = {0};

    if (!f->have_header)
        return read_header(f, rec);
    f->n_read++;
    if (import_check_row(f, rec, &o, why, sizeof(why))) {
        size_t n = csvread_join(rec, raw, sizeof(raw));
        return import_add_reject(f, rec->line, raw, n < sizeof(raw) ? n : sizeof(raw) - 1, why);
    }
    if (BUF_GROW(&f->obs, &f->cap_obs, f->n + 1, BUF_UNCAPPED) < 0 ||
        BUF_GROW(&f->lines, &f->cap_lines, f->n + 1, BUF_UNCAPPED) < 0)
        return -ENOMEM;
    f->obs[f->n] = o;
    f->lines[f->n++] = rec->line;
    return 0;
}

static void print_rejects(struct file_import *f)
{
    size_t shown = 0;

    for (; shown < f->n_rej && (long)shown < f->im->max_rejects; shown++)
        msg(f, f->rej[shown].line, f->text.p + f->rej[shown].reason);
    if (shown < f->n_rej && f->im->msgs)
        fprintf(f->im->msgs, "%s: ... and %zu more rejected rows\n", f->name, f->n_rej - shown);
}

/* Stores the good rows and the rejects of one file in one run and batch. */
static int ingest(struct file_import *f, struct import_summary *sum)
{
    struct store *st = f->im->st;
    struct store_reject *rj = NULL;
    struct store_counts counts = {0};
    const char *base = strrchr(f->name, '/');
    char source[300], err[300] = "";
    int64_t run_id;
    int rc;

    if (f->n_rej && !(rj = malloc(f->n_rej * sizeof(*rj))))
        return -ENOMEM;
    for (size_t i = 0; i < f->n_rej; i++)
        rj[i] = (struct store_reject){f->rej[i].line, f->text.p + f->rej[i].raw,
                                      f->text.p + f->rej[i].reason};
    snprintf(source, sizeof(source), "import:%s", base ? base + 1 : f->name);
    rc = store_run_begin(st, source, NULL, time_now_us(), &run_id);
    if (rc == 0) {
        rc = store_ingest(st, run_id, time_now_us(), f->obs, f->n, rj, f->n_rej, &counts);
        if (rc < 0)
            snprintf(err, sizeof(err), "%s", store_errmsg(st));
        counts.n_rejected = (long)f->n_rej;
        int rc_end = store_run_end(st, run_id, time_now_us(),
                                   rc < 0                                ? "failed"
                                   : counts.n_new + counts.n_revised > 0 ? "ok"
                                                                         : "unchanged",
                                   &counts, rc < 0 ? err : NULL);
        if (rc == 0)
            rc = rc_end;
    }
    free(rj);
    if (rc < 0) {
        snprintf(source, sizeof(source), "store: %s", err[0] ? err : store_errmsg(st));
        msg(f, 0, source);
        return rc;
    }
    if (sum) {
        sum->n_stored = (long)f->n;
        sum->n_rejected = (long)f->n_rej;
        sum->counts = counts;
    }
    return 0;
}

int import_stream(struct import *im, FILE *in, const char *name, struct import_summary *sum)
{
    struct file_import f = {.im = im, .name = name};
    int rc;

    if (sum)
        memset(sum, 0, sizeof(*sum));
    rc = csvread_stream(in, on_record, &f);
    if (rc == 0 && !f.have_header) {
        msg(&f, 0, "empty file: no header row");
        rc = -EINVAL;
    }
    if (rc == 0)
        rc = import_mark_duplicates(&f);
    if (sum)
        sum->n_read = f.n_read;
    if (rc == 0) {
        print_rejects(&f);
        rc = ingest(&f, sum);
    }
    if (rc == 0)
        rc = import_remember(&f);
    if (rc == -EIO && f.have_header)
        msg(&f, 0, "read error");
    else if (rc == -ENOMEM)
        msg(&f, 0, "out of memory");
    free(f.obs);
    free(f.lines);
    free(f.rej);
    free(f.text.p);
    return rc;
}

int import_file(struct import *im, const char *path, struct import_summary *sum)
{
    FILE *in = fopen(path, "rb");
    int rc;

    if (!in) {
        rc = -errno;
        if (sum)
            memset(sum, 0, sizeof(*sum));
        if (im->msgs)
            fprintf(im->msgs, "%s: %s\n", path, strerror(-rc));
        return rc;
    }
    rc = import_stream(im, in, path, sum);
    fclose(in);
    return rc;
}

/* Fills the config-index -> store-id maps; every entity must be synced. */
static int map_ids(struct import *im)
{
    const struct config_unit *units = config_units(im->cfg, &im->n_units);
    const struct config_indicator *inds = config_indicators(im->cfg, &im->n_indicators);

    im->unit_ids = calloc(im->n_units + 1, sizeof(*im->unit_ids));
    im->indicator_ids = calloc(im->n_indicators + 1, sizeof(*im->indicator_ids));
    if (!im->unit_ids || !im->indicator_ids)
        return -ENOMEM;
    for (size_t i = 0; i < im->n_units; i++)
        if ((im->unit_ids[i] = store_unit_id(im->st, units[i].id, strlen(units[i].id))) < 0)
            return -ENOENT;
    for (size_t i = 0; i < im->n_indicators; i++) {
        const char *code = inds[i].code;
        if ((im->indicator_ids[i] = store_indicator_id(im->st, code, strlen(code))) < 0)
            return -ENOENT;
    }
    return 0;
}

int import_new(struct import **out, struct store *st, const struct config *cfg)
{
    struct import *im = calloc(1, sizeof(*im));
    int rc = -ENOMEM;

    *out = NULL;
    if (!im)
        return rc;
    im->st = st;
    im->cfg = cfg;
    im->msgs = stderr;
    im->max_rejects = IMPORT_MAX_REJECT_LINES;
    if ((rc = compute_sync_config(st, cfg)) < 0 || (rc = map_ids(im)) < 0) {
        import_free(&im);
        return rc;
    }
    *out = im;
    return 0;
}

void import_free(struct import **imp)
{
    struct import *im = imp ? *imp : NULL;

    if (!im)
        return;
    for (size_t i = 0; i < im->n_files; i++)
        free(im->files[i]);
    free(im->files);
    free(im->seen);
    free(im->unit_ids);
    free(im->indicator_ids);
    free(im);
    *imp = NULL;
}

void import_set_messages(struct import *im, FILE *msgs, long max_rejects)
{
    im->msgs = msgs;
    im->max_rejects = max_rejects;
}

static void usage(FILE *out)
{
    fputs("usage: parkstat import [--db FILE] --config FILE DATA.csv...\n"
          "Loads long-format CSV (a header naming unit,indicator,period,value) into the\n"
          "database. Each file is one batch in its own run; bad rows are reported as\n"
          "FILE:LINE: reason and kept as rejects, and never stop the good rows.\n"
          "  -c, --config FILE  configuration: the units and indicators rows are checked\n"
          "                     against (required)\n"
          "  -d, --db FILE      database, created if needed (default: the config's\n"
          "                     \"database\")\n"
          "  -h, --help         this text\n"
          "Exit status: 0 when every file was read, 1 when a file, the config or the\n"
          "database could not be used or a header lacks a column, 2 on usage errors.\n",
          out);
}

/* Imports every file; returns the exit status (0, or 1 if any file failed). */
static int import_all(struct import *im, char **files, int n)
{
    struct import_summary s;
    int status = 0;

    for (int i = 0; i < n; i++) {
        if (import_file(im, files[i], &s) < 0) {
            status = 1;
            continue;
        }
        printf("%s: %ld rows read, %ld stored (%ld new, %ld revised, %ld unchanged), "
               "%ld rejected\n",
               files[i], s.n_read, s.n_stored, s.counts.n_new, s.counts.n_revised,
               s.counts.n_unchanged, s.n_rejected);
        fflush(stdout);
    }
    return status;
}

int import_command(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"config", required_argument, NULL, 'c'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *db = NULL, *cfg_path = NULL;
    struct config *cfg = NULL;
    struct store *st = NULL;
    struct import *im = NULL;
    char *errors = NULL, errbuf[512] = "";
    int c, rc, status = 1;

    optind = 1;
    while ((c = getopt_long(argc, argv, "d:c:h", opts, NULL)) != -1) {
        if (c == 'd')
            db = optarg;
        else if (c == 'c')
            cfg_path = optarg;
        else {
            usage(c == 'h' ? stdout : stderr);
            return c == 'h' ? 0 : 2;
        }
    }
    if (!cfg_path || optind >= argc) {
        fprintf(stderr, "parkstat import: %s\n",
                !cfg_path ? "--config is required" : "no CSV file given");
        usage(stderr);
        return 2;
    }
    if ((rc = config_load(cfg_path, &cfg, &errors)) < 0) {
        if (errors && *errors)
            fprintf(stderr, "%s%s", errors, errors[strlen(errors) - 1] == '\n' ? "" : "\n");
        else
            fprintf(stderr, "%s: %s\n", cfg_path, strerror(-rc));
        goto out;
    }
    if (!db)
        db = config_database(cfg);
    if (store_open(&st, db, 0, errbuf, sizeof(errbuf)) < 0) {
        fprintf(stderr, "parkstat import: %s: %s\n", db, errbuf);
        goto out;
    }
    long closed = 0; /* runs a killed import or daemon left open */
    if (store_runs_interrupt(st, time_now_us(), &closed) == 0 && closed > 0)
        fprintf(stderr, "parkstat import: %ld run(s) left open by a crash closed as interrupted\n",
                closed);
    if ((rc = import_new(&im, st, cfg)) < 0) {
        fprintf(stderr, "parkstat import: %s: cannot store the config's units and indicators: %s\n",
                db, rc == -EIO ? store_errmsg(st) : strerror(-rc));
        goto out;
    }
    status = import_all(im, argv + optind, argc - optind);
out:
    import_free(&im);
    store_close(&st);
    config_free(&cfg);
    free(errors);
    return status;
}
