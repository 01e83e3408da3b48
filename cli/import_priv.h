/*
 * import_priv.h - the state shared by import.c (reading, header, ingest) and
 * import_rows.c (row checks, duplicate keys). Private to cli/.
 */
#ifndef PARKSTAT_IMPORT_PRIV_H
#define PARKSTAT_IMPORT_PRIV_H

#include <stdint.h>
#include <stdio.h>

#include "cli/csvread.h"
#include "cli/import.h"
#include "store/observations.h"
#include "store/store.h"

#define RAW_MAX 1024 /* bytes of a reject's raw text kept */

enum column { COL_UNIT, COL_INDICATOR, COL_PERIOD, COL_VALUE, N_COLUMNS };

/* A key stored by an earlier file of this import. */
struct seen_key {
    int64_t unit;
    int64_t indicator;
    int32_t ord;   /* period ordinal: year * frequency + index - 1 */
    uint32_t file; /* index into import.files */
    long line;
};

struct import {
    struct store *st; /* borrowed */
    const struct config *cfg;
    FILE *msgs; /* borrowed; NULL: silent */
    long max_rejects;
    int64_t *unit_ids;      /* store id of each config unit, by config index */
    int64_t *indicator_ids; /* store id of each config indicator */
    size_t n_units, n_indicators;
    struct seen_key *seen; /* sorted by key */
    size_t n_seen, cap_seen;
    char **files; /* names of the files imported so far */
    size_t n_files, cap_files;
};

struct text {
    char *p;
    size_t len, cap;
};

struct reject {
    long line;
    size_t seq; /* order of detection, to keep the sort stable */
    size_t raw; /* offsets into the text arena */
    size_t reason;
};

/* The state of one file being imported. */
struct file_import {
    struct import *im;
    const char *name;
    int have_header;
    int rc;                /* a header error stops the file */
    size_t col[N_COLUMNS]; /* field index of each required column */
    size_t n_cols;         /* fields in the header */
    struct store_obs *obs; /* good rows */
    long *lines;           /* their lines; 0 marks a duplicate */
    size_t n, cap_obs, cap_lines;
    struct reject *rej;
    size_t n_rej, cap_rej;
    struct text text;
    long n_read;
};

/* Writes s as a quoted, escaped string (at most ~40 bytes of it) into dst,
 * which has room for size >= 200 bytes. */
void import_quote(char *dst, size_t size, const char *s, size_t len);

/* Adds a reject (raw cut to RAW_MAX bytes); 0 or -ENOMEM. */
int import_add_reject(struct file_import *f, long line, const char *raw, size_t raw_len,
                      const char *reason);

/* Checks one data record. Returns 0 for a good row (filled into *o), 1 with
 * the reason in why for a bad one. */
int import_check_row(struct file_import *f, const struct csvread_record *rec, struct store_obs *o,
                     char *why, size_t size);

/* Turns every later row of a key seen before (in this file or an earlier one)
 * into a reject and compacts the good rows; then sorts the rejects by line.
 * 0 or -ENOMEM. */
int import_mark_duplicates(struct file_import *f);

/* Adds the keys this file stored to those later files are checked against. */
int import_remember(struct file_import *f);

#endif
