/*
 * sdmx.h - the rows of an SDMX data answer (api/sdmx_*.c) read with a
 * cursor: one prepared statement stepped a row at a time by the caller, so an
 * answer over every observation of a large store is read in constant memory
 * and at the pace its client takes it (docs/API.md, "SDMX").
 *
 * One statement reads everything an answer holds, so the whole answer comes
 * from one snapshot of the database (SQLite keeps the statement's read
 * transaction until the cursor is closed; WAL lets the writer go on).
 *
 * Rows come grouped in data sets (dataset: a number that changes when a new
 * data set starts), then ordered by the series key (unit code, indicator code
 * or node) and period; within a series the periods of one frequency ascend.
 */
#ifndef PARKSTAT_STORE_SDMX_H
#define PARKSTAT_STORE_SDMX_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* Codes a key selects for one dimension: n codes (n 0: every code). */
struct store_sdmx_codes {
    const char *const *codes;
    size_t n;
};

/* Period bounds per frequency ('Y', 'H', 'Q', 'M' at 0 .. 3), inclusive,
 * in the store's text ("2023-H1"); NULL: open. */
#define STORE_SDMX_FREQS "YHQM"

struct store_sdmx_query {
    /* Observations: unit, indicator and frequency ("M", "Q", "H", "Y" as the
     * indicator table holds it). Index results: unit and node (index_id
     * set); the total's node is the index id. */
    const char *index_id; /* NULL: observations */
    struct store_sdmx_codes unit, series, freq;
    const char *lo[4], *hi[4];
    int64_t updated_after; /* us; 0: none */
    int history;           /* every vintage (observations) */
};

enum store_sdmx_action {
    STORE_SDMX_REPLACE, /* values: the current (or a past vintage's) */
    STORE_SDMX_DELETE,  /* keys whose value was withdrawn (no value) */
};

/* One row; strings are borrowed until the next store_sdmx_next(). */
struct store_sdmx_row {
    int64_t dataset; /* changes where a new data set starts */
    enum store_sdmx_action action;
    int64_t valid_from; /* the data set's vintage with history, else 0 */
    const char *unit;
    const char *series; /* indicator code, or the node of an index */
    const char *freq;   /* "M", "Q", "H", "Y"; NULL when unknown */
    const char *period; /* store text: 2023, 2023-H1, 2023-Q3, 2023-07 */
    double value;
    int has_value;                 /* 0: missing (NULL in the store) or deleted */
    const char *status;            /* observation status, NULL: none (or no column) */
    const char *measure;           /* indicator's unit of measure, may be NULL */
    int decimals;                  /* indicator's; -1 for index results */
    long rank, rank_change, flags; /* index results */
    int has_rank, has_rank_change;
};

struct store_sdmx_cursor;

/*
 * Prepares the statement of q on st (which the cursor borrows: one thread at
 * a time, and st outlives the cursor). The values of q are copied: q may go
 * once this returns. A sorted answer (vintages, index results) sets st's
 * temp_store to FILE, so its sort spills to disk: give the cursor a
 * connection of its own. Returns 0 and *out, -EINVAL for a
 * query that cannot be written (too many codes), -ENOMEM or -EIO.
 */
int store_sdmx_open(struct store *st, const struct store_sdmx_query *q,
                    struct store_sdmx_cursor **out);

/* The next row into *row: 1, 0 at the end, or -EIO (-EBUSY when locked). */
int store_sdmx_next(struct store_sdmx_cursor *c, struct store_sdmx_row *row);

/* Finalizes the statement (ending its read transaction) and frees c. */
void store_sdmx_close(struct store_sdmx_cursor **cp);

/* Whether the observation table has the status column (schema 8). */
int store_sdmx_has_status(struct store *st);

#endif
