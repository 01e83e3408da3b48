/*
 * import_priv.h - the state shared by import.c (reading, header, chunks,
 * ingest), import_rows.c (row checks) and import_keys.c (the sets of keys
 * that find duplicates). Private to cli/.
 */
#ifndef PARKSTAT_IMPORT_PRIV_H
#define PARKSTAT_IMPORT_PRIV_H

#include <stdint.h>
#include <stdio.h>

#include "cli/csvread.h"
#include "cli/import.h"
#include "collectors/format.h"
#include "config/config.h"
#include "store/observations.h"
#include "store/store.h"

#define RAW_MAX 1024 /* bytes of a reject's raw text kept */

/* Good rows held before they are stored: memory does not grow with the file. */
#define IMPORT_CHUNK_ROWS 65536

/* The required columns, then the optional ones. */
enum column {
    COL_UNIT,
    COL_INDICATOR,
    COL_PERIOD,
    COL_VALUE,
    N_COLUMNS,
    COL_STATUS = N_COLUMNS,
    N_ALL_COLUMNS
};

/* A key (unit, indicator, period) in 64 bits: the period's ordinal
 * (year * frequency + index - 1) above the (unit, indicator) pair's number,
 * config unit index * indicators + config indicator index. */
struct import_key {
    int32_t ord;
    uint32_t pair;
};

/* A set of keys: per period ordinal, a compressed bitmap of pairs
 * (import_keys.c, on CRoaring). 24 M keys of 12 months take about 3 MB. */
struct keyset;

/* A new empty set, or NULL when out of memory. */
struct keyset *keyset_new(void);

/* Frees ks and sets *ksp = NULL; NULL is a no-op. */
void keyset_free(struct keyset **ksp);

/* Adds k: 1 when it was new, 0 when it was there already, -ENOMEM. */
int keyset_add(struct keyset *ks, struct import_key k);

/* 1 when k is in ks, else 0. */
int keyset_has(const struct keyset *ks, struct import_key k);

/* An earlier file of this import: its name, the keys it stored, and whether
 * name is a path that can be read again to find a key's line. */
struct import_file {
    char *name;
    struct keyset *keys;
    int reopen;
};

struct import {
    struct store *st; /* borrowed */
    const struct config *cfg;
    FILE *msgs; /* borrowed; NULL: silent */
    long max_rejects;
    int64_t *unit_ids;      /* store id of each config unit, by config index */
    int64_t *indicator_ids; /* store id of each config indicator */
    size_t n_units, n_indicators;
    struct import_file *files; /* the files imported so far */
    size_t n_files, cap_files;
    int reopen;           /* the file being read can be opened again by its name */
    const char *encoding; /* --encoding: CSV files converted from it; NULL: as they are */
    const char *sheet;    /* --sheet: the sheet of .xlsx files; NULL: the first */
    struct config_value_opts values; /* how values are written (--decimal, ...) */
    /* progress line */
    FILE *progress; /* NULL: none */
    int progress_shown;
    int64_t progress_last_us, progress_start_us;
    long long progress_total; /* bytes of the file, 0 when unknown */
};

struct text {
    char *p;
    size_t len, cap;
};

struct reject {
    long line;
    size_t raw; /* offsets into the text arena */
    size_t reason;
};

/* A duplicate waiting for the line of its first occurrence. */
struct dup {
    struct import_key key;
    long line;  /* the duplicate's line */
    size_t raw; /* offset into the dups' text arena */
    long file;  /* index of the earlier file holding the key, -1: this file */
    long first; /* line of the first occurrence once found, else 0 */
};

/* The state of one file being imported. */
struct file_import {
    struct import *im;
    const char *name;
    FILE *in;
    int quiet; /* no messages (a second reading for duplicates) */
    int have_header;
    int rc;                    /* a header error stops the file */
    size_t col[N_ALL_COLUMNS]; /* field index of each column (optional ones: when has_) */
    int has_status;            /* the header has a "status" column */
    char (*status)[FORMAT_STATUS_MAX + 1]; /* the chunk's status codes, by obs index */
    size_t row_status_len;                 /* bytes of the row's status (import_check_row()) */
    size_t n_cols;                         /* fields in the header */
    int64_t run_id;                        /* 0 until the header was read and the run begun */
    struct store_obs *obs;                 /* good rows of the chunk, IMPORT_CHUNK_ROWS */
    long *line;                            /* the line of each, for a consistency check's reject */
    size_t n;
    struct reject *rej; /* rejects of the chunk */
    size_t n_rej, cap_rej;
    struct text text;
    struct dup *dups; /* duplicates of the whole file */
    size_t n_dups, cap_dups;
    struct text dup_text;
    struct keyset *keys; /* keys stored by this file */
    struct store_counts counts;
    long n_read, n_stored, n_rejected, n_shown, n_missing;
    /* the last row's unit and indicator codes and their config indexes
     * (rows of one series come together: one look-up per run, not per row) */
    struct import_last_code {
        char code[64];
        size_t len; /* 0: none yet */
        long index;
    } last_unit, last_indicator;
};

/* Writes s as a quoted, escaped string (at most ~40 bytes of it) into dst,
 * which has room for size >= 200 bytes. */
void import_quote(char *dst, size_t size, const char *s, size_t len);

/* Appends len bytes and a NUL to the arena; *off receives their offset.
 * 0 or -ENOMEM. */
int import_text_add(struct text *t, const char *s, size_t len, size_t *off);

/* Checks one data record. Returns 0 for a good row (filled into *o, its key
 * into *key; o->status points into rec for on_record() to copy), 2 for a row
 * whose value is a missing marker (its key and status set; no value), 1 with
 * the reason in why for a bad one. */
int import_check_row(struct file_import *f, const struct csvread_record *rec, struct store_obs *o,
                     struct import_key *key, char *why, size_t size);

#endif
