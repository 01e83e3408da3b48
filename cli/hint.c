/*
 * hint.c - suggestions for the CLI's messages (hint.h): a capped Levenshtein
 * distance for "did you mean", frequency names, the periods an index has
 * results for (asked of the API).
 */
#include "cli/hint.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <strings.h>

#include "cli/client.h"

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

/* The index's periods from /api/v1/indices. */
int hint_range_load(struct client *c, const char *id, struct hint_range *out)
{
    json_t *data = NULL, *row;
    size_t i;
    int rc = client_get_json(c, "/api/v1/indices", &data);

    memset(out, 0, sizeof(*out));
    if (rc < 0)
        return rc;
    json_array_foreach(data, i, row)
    {
        const char *rid = json_string_value(json_object_get(row, "id"));
        const char *first = json_string_value(json_object_get(row, "first_period"));
        const char *last = json_string_value(json_object_get(row, "last_period"));
        if (rid && strcmp(rid, id) == 0) {
            out->known = 1;
            snprintf(out->first, sizeof(out->first), "%s", first ? first : "");
            snprintf(out->last, sizeof(out->last), "%s", last ? last : "");
        }
    }
    json_decref(data);
    return 0;
}

/* What periods the index has. */
void hint_range_print(FILE *out, const char *id, const struct hint_range *x)
{
    struct period p;

    if (!x->known)
        fprintf(out, "index \"%s\" has no results", id);
    else if (period_parse_str(&p, x->first) == 0)
        fprintf(out, "index \"%s\" is %s, with results from %s to %s", id, hint_freq_name(p.freq),
                x->first, x->last);
    else
        fprintf(out, "index \"%s\" has results from %s to %s", id, x->first, x->last);
}

/* Why an answer for period is empty. */
int hint_no_results(struct client *c, const char *cmd, const char *id, const char *period)
{
    struct hint_range range;
    struct period want, first;
    int loaded = hint_range_load(c, id, &range) == 0;

    if (loaded && range.known && period_parse_str(&want, period) == 0 &&
        period_parse_str(&first, range.first) == 0 && first.freq != want.freq) {
        fprintf(stderr, "parkstat %s: --period %s is %s but ", cmd, period,
                hint_freq_name(want.freq));
        hint_range_print(stderr, id, &range);
        fputc('\n', stderr);
        return -EDOM;
    }
    fprintf(stderr, "parkstat %s: no results for %s", cmd, period);
    if (loaded) {
        fputs(": ", stderr);
        hint_range_print(stderr, id, &range);
    }
    fputc('\n', stderr);
    return -ENODATA;
}
