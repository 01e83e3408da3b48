/*
 * hint.h - what the CLI's messages suggest: the nearest known name to a
 * mistyped one ("did you mean"), the name of a period's frequency, and the
 * text of an errno for a file the CLI writes (a full disk said plainly).
 */
#ifndef PARKSTAT_HINT_H
#define PARKSTAT_HINT_H

#include <stddef.h>

#include "common/period.h"

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

#endif
