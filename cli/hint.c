/*
 * hint.c - suggestions for the CLI's messages (hint.h): a capped Levenshtein
 * distance for "did you mean", frequency names.
 */
#include "cli/hint.h"

#include <string.h>
#include <strings.h>

#define HINT_MAX_LEN 64

const char hint_period_forms[] = "2024 (year), 2024-H1 (half), 2024-Q3 (quarter), 2024-07 (month)";

/* Levenshtein distance of a and b; HINT_MAX_LEN + 1 when either is longer. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[HINT_MAX_LEN + 1];

    if (la > HINT_MAX_LEN || lb > HINT_MAX_LEN)
        return HINT_MAX_LEN + 1;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* The nearest name to s; see hint.h. */
const char *hint_nearest(const char *s, const char *const *names, size_t n)
{
    const char *near = NULL;
    size_t best = HINT_MAX_LEN + 1;

    for (size_t i = 0; i < n; i++) {
        size_t d = strcasecmp(s, names[i]) == 0 ? 0 : edit_distance(s, names[i]);
        if (d <= 2 && d < strlen(names[i]) + (d == 0) && d < best) {
            best = d;
            near = names[i];
        }
    }
    return near;
}

/* The frequency's adjective. */
const char *hint_freq_name(enum period_freq f)
{
    switch (f) {
    case PERIOD_MONTH:
        return "monthly";
    case PERIOD_QUARTER:
        return "quarterly";
    case PERIOD_HALF:
        return "half-yearly";
    case PERIOD_YEAR:
        return "yearly";
    }
    return "?";
}
