/*
 * hint.h - what the CLI's messages suggest: the nearest known name to a
 * mistyped one ("did you mean"), the name of a period's frequency, and the
 * text of an errno for a file the CLI writes (a full disk said plainly).
 */
#ifndef PARKSTAT_HINT_H
#define PARKSTAT_HINT_H

#include <stddef.h>
#include <stdio.h>

#include "common/period.h"

struct client;

/*
 * The name among names[0 .. n) nearest to s: equal but for case, or at most 2
 * edits away and fewer edits than it has characters (so "x" suggests no "y").
 * Returns it (borrowed), or NULL when none is near.
 */
const char *hint_nearest(const char *s, const char *const *names, size_t n);

/* "monthly", "quarterly", "half-yearly" or "yearly". */
const char *hint_freq_name(enum period_freq f);

/* Examples of the period forms, for a message: "2024 (year), 2024-H1 ...". */
extern const char hint_period_forms[];

/* The periods an index has results for, from the API's /api/v1/indices. */
struct hint_range {
    char first[PERIOD_TEXT_SIZE], last[PERIOD_TEXT_SIZE]; /* "" when not given */
    int known;                                            /* 1: the index is listed */
};

/* Fills *out for index id. Returns 0, or the client's negative errno. */
int hint_range_load(struct client *c, const char *id, struct hint_range *out);

/* Prints, without a newline, what periods index id has: "index "dev" is
 * monthly, with results from 2024-01 to 2024-02" or "... has no results". */
void hint_range_print(FILE *out, const char *id, const struct hint_range *x);

/*
 * After an empty ranking or index answer for period: prints why to stderr as
 * "parkstat CMD: ...", from /api/v1/indices. Returns -EDOM when the period's
 * frequency is not the index's (a usage error), else -ENODATA.
 */
int hint_no_results(struct client *c, const char *cmd, const char *id, const char *period);

#endif
