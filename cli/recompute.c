/*
 * recompute.c - `parkstat recompute --db DB --config CONFIG [--full]`: runs
 * compute_recompute() offline on a local database and prints one summary
 * line (indices, periods, units, rows, time). A database on a full disk is
 * said as such, with its path.
 */
#include "cli/recompute.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/exec.h"
#include "compute/compute.h"
#include "config/config.h"
#include "store/store.h"

static void usage(FILE *out)
{
    fputs("usage: parkstat recompute --db DB --config CONFIG [--full] [--progress|--quiet]\n"
          "  Recomputes the composite indices of CONFIG from the observations in DB.\n"
          "  --full          every index and period (default: the marked ones, or all of\n"
          "                  an index whose configuration changed or that was never computed)\n"
          "  -p, --progress  show the progress line even when stderr is not a terminal\n"
          "  -q, --quiet     no progress line (shown by default on a terminal)\n",
          out);
}

/* The progress line on stderr: one line, rewritten at most 5 times a second. */
struct progress {
    FILE *out;
    double last; /* seconds of the last drawing */
    double index_t0;
    const char *index;
    int shown;
};

static void progress_clear(struct progress *pg)
{
    if (pg->shown) {
        fputs("\r\033[K", pg->out);
        fflush(pg->out);
        pg->shown = 0;
    }
}

/* Draws "recompute bench: 5 of 12 periods (2025-05), 0:07 left" over the
 * previous line; the time left from this index's pace so far. */
static void progress_draw(const struct compute_progress *pr, void *ctx)
{
    struct progress *pg = ctx;
    char left[32] = "";

    if (strcmp(pr->phase, "index") == 0 && pr->index != pg->index) {
        pg->index = pr->index;
        pg->index_t0 = pr->seconds;
    }
    if (pr->seconds - pg->last < 0.2 && pg->shown && strcmp(pr->phase, "index") == 0 &&
        pr->done < pr->total)
        return;
    pg->last = pr->seconds;
    if (strcmp(pr->phase, "load") == 0) {
        fputs("\rrecompute: reading observations\033[K", pg->out);
    } else if (strcmp(pr->phase, "commit") == 0) {
        fprintf(pg->out, "\rrecompute: committing, %.0f s so far\033[K", pr->seconds);
    } else {
        double spent = pr->seconds - pg->index_t0;
        if (pr->done > 0 && pr->done < pr->total) {
            long rest = (long)(spent / (double)pr->done * (double)(pr->total - pr->done) + 0.5);
            snprintf(left, sizeof(left), ", %ld:%02ld left", rest / 60, rest % 60);
        }
        fprintf(pg->out, "\rrecompute %s: %zu of %zu periods (%s)%s\033[K", pr->index, pr->done,
                pr->total, pr->period ? pr->period : "", left);
    }
    fflush(pg->out);
    pg->shown = 1;
}

static int parse(int argc, char **argv, const char **db, const char **cfgpath, int *full,
                 int *progress)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"config", required_argument, NULL, 'c'},
                                         {"full", no_argument, NULL, 'F'},
                                         {"progress", no_argument, NULL, 'p'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "d:c:Fpqh", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            *db = optarg;
            break;
        case 'c':
            *cfgpath = optarg;
            break;
        case 'F':
            *full = 1;
            break;
        case 'p':
        case 'q':
            *progress = ch == 'p';
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!*db || !*cfgpath || optind != argc) {
        usage(stderr);
        return 2;
    }
    return -1;
}

int recompute_command(int argc, char **argv)
{
    const char *db = NULL, *cfgpath = NULL;
    struct config *cfg = NULL;
    struct store *st = NULL;
    struct compute_summary sum;
    struct exec ex;
    char *errors = NULL, errbuf[256];
    struct progress pg = {stderr, 0, 0, NULL, 0};
    int full = 0, progress = isatty(STDERR_FILENO);
    int status = parse(argc, argv, &db, &cfgpath, &full, &progress), rc;

    if (status >= 0)
        return status;
    status = 1;
    if (config_load(cfgpath, &cfg, &errors) < 0) {
        fprintf(stderr, "%s", errors ? errors : "parkstat recompute: cannot load config\n");
        goto out;
    }
    if (store_open(&st, db, 0, errbuf, sizeof(errbuf)) < 0) {
        fprintf(stderr, "parkstat recompute: %s: %s\n", db, errbuf);
        goto out;
    }
    store_defer_checkpoint(st); /* results are derived data (store.h) */
    exec_threads_init(&ex);     /* this command's helper threads */
    rc = compute_recompute(st, cfg, full,
                           &(struct compute_opts){.ex = &ex,
                                                  .progress = progress ? progress_draw : NULL,
                                                  .progress_ctx = &pg},
                           &sum);
    progress_clear(&pg);
    if (rc < 0) {
        /* only -EIO comes with the store's (SQLite's) message; compute logs
         * its own failures where they arise */
        if (rc == -ENOSPC || (rc == -EIO && strstr(store_errmsg(st), "disk is full")))
            fprintf(stderr,
                    "parkstat recompute: %s: no space left on its filesystem (%s): free space "
                    "there and run recompute again\n",
                    db, rc == -EIO ? store_errmsg(st) : strerror(-rc));
        else if (rc == -EIO)
            fprintf(stderr, "parkstat recompute: %s: %s\n", db, store_errmsg(st));
        else
            fprintf(stderr, "parkstat recompute: failed: %s\n", strerror(-rc));
        goto out;
    }
    printf("recomputed %zu indices, %zu periods, %zu units: %zu results, %zu contributions "
           "in %.3f s (%s; load %.3f s, compute %.3f s, write %.3f s)\n",
           sum.indices, sum.periods, sum.units, sum.results, sum.contribs, sum.seconds,
           sum.full ? "full" : "incremental", sum.load_s, sum.seconds - sum.load_s - sum.write_s,
           sum.write_s);
    size_t nv = 0;
    for (size_t i = 0; i < COMPUTE_CHECK_RULES; i++)
        nv += sum.violations[i];
    if (nv)
        printf("%zu consistency check violation(s): parkstat checks --db %s\n", nv, db);
    status = 0;
out:
    free(errors);
    store_close(&st);
    config_free(&cfg);
    return status;
}
