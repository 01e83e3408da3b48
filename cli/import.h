/*
 * import.h - long-format CSV import (unit,indicator,period,value) into the
 * store, with every bad row kept as a reject with its line and reason.
 *
 * One struct import is one import command: it checks rows against a config,
 * remembers the keys stored by earlier files of the same command (a key given
 * twice is a reject "duplicate of line N" / "duplicate of FILE:N"), and
 * ingests each file as one all-or-nothing transaction in its own run
 * ("import:<basename>"), streaming: memory does not grow with the rows. Also
 * the `parkstat import` command.
 */
#ifndef PARKSTAT_IMPORT_H
#define PARKSTAT_IMPORT_H

#include <stdio.h>

#include "store/observations.h"
#include "store/store.h"

struct config;
struct import;

/* Rejects written to the message stream per file before "... and N more". */
#define IMPORT_MAX_REJECT_LINES 50

struct import_summary {
    long n_read;                /* data records read (header and blank lines excluded) */
    long n_stored;              /* good rows ingested: new + revised + unchanged */
    long n_rejected;            /* rows kept as rejects */
    long n_missing;             /* rows whose value is a missing marker (not stored) */
    struct store_counts counts; /* as returned by store_ingest() */
};

/*
 * Creates an import into st for rows checked against cfg (both borrowed; they
 * must outlive the import). Syncs cfg into st first (compute_sync_config()).
 * Messages (rejects "NAME:LINE: reason", warnings, header errors) go to
 * stderr until import_set_messages() says otherwise. Returns 0 and *out, or a
 * negative errno with *out = NULL.
 */
int import_new(struct import **out, struct store *st, const struct config *cfg);

/* Frees im and sets *imp = NULL. NULL or *imp == NULL is a harmless no-op. */
void import_free(struct import **imp);

/* Sends messages to msgs (NULL: none), at most max_rejects reject lines per file. */
void import_set_messages(struct import *im, FILE *msgs, long max_rejects);

/* Draws a progress line (bytes, rows per second, time left) on out, rewritten
 * in place and wiped before any message and at the end of each file; NULL:
 * none (the default). */
void import_set_progress(struct import *im, FILE *out);

/*
 * Imports the CSV read from in (read to EOF, not closed); name stands for the
 * file in messages and the run's source. The first line of a key given twice
 * is found by reading in again from where it started: when in cannot seek,
 * the reason is "duplicate of an earlier line"; a key of an earlier file is
 * "duplicate of FILE:LINE" when that file was imported by import_file(),
 * else "duplicate of FILE". Fills *sum (may be NULL). Returns 0
 * once the file's rows were stored or rejected (even if all were rejected);
 * -EINVAL when the header is missing or lacks a required column (nothing is
 * stored), -EIO on a read or store error, -ENOMEM.
 */
int import_stream(struct import *im, FILE *in, const char *name, struct import_summary *sum);

/* import_stream() on the file at path (named by path in messages); an
 * unreadable file is its negative errno, reported on the message stream. */
int import_file(struct import *im, const char *path, struct import_summary *sum);

/* `parkstat import`: argv[0] is "import". Returns the process exit status. */
int import_command(int argc, char **argv);

#endif
