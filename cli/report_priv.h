/*
 * report_priv.h - the bulletin's model, shared by report.c (which fills it
 * from the API) and report_out.c / report_html.c (which render it). Strings
 * are malloc'd and owned by the model; report_free() releases everything.
 */
#ifndef PARKSTAT_REPORT_PRIV_H
#define PARKSTAT_REPORT_PRIV_H

#include <stddef.h>
#include <stdio.h>

#include "common/period.h"

#define REPORT_MAX_KEYS 8 /* key indicators shown per park */
#define REPORT_TOP      3 /* largest contributors to a park's change */

/* A number that may be absent (the API's null). */
struct report_num {
    double v;
    int has;
};

/* One key indicator of one park: value and growth over a year earlier. */
struct report_key {
    struct report_num value, yoy; /* yoy in percent */
    int incomplete;               /* coverage < 1 or flagged incomplete/missing */
};

/* An indicator's part in the change of a park's score. */
struct report_contrib {
    char *indicator; /* code */
    double delta;    /* its part of the score's change since the previous period */
};

struct report_park {
    char *unit, *name;
    struct report_num score, prev_score, rank, rank_change;
    long flags; /* compute flags of the total; non-zero is noted */
    struct report_key keys[REPORT_MAX_KEYS];
    struct report_contrib top[REPORT_TOP];
    size_t ntop;
};

/* An indicator's code, name and measure (from /api/v1/indicators). */
struct report_indicator {
    char *code, *name, *measure;
    int decimals;
};

struct report {
    char *index;
    char period[PERIOD_TEXT_SIZE], prev[PERIOD_TEXT_SIZE]; /* prev: "" when none */
    struct report_num city, city_prev;                     /* mean of the parks' total scores */
    struct report_indicator keys[REPORT_MAX_KEYS];
    size_t nkeys;
    struct report_indicator *indicators; /* every indicator, for names */
    size_t nindicators;
    struct report_park *parks; /* by rank, unranked last (the API's order) */
    size_t nparks;
    char **notes; /* notes on incomplete data */
    size_t nnotes, cap_notes;
    char generated[40]; /* ISO time of the report */
    char *source_url;   /* the API it was read from */
};

/* Releases everything r holds (r itself is not freed). NULL is a no-op. */
void report_free(struct report *r);

/* The name of an indicator code (the code itself when unknown); borrowed. */
const char *report_indicator_name(const struct report *r, const char *code);

/* Appends a formatted note. Returns 0 or -ENOMEM. */
int report_note(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Renderers: write the bulletin to out. Return 0 or -EIO. */
int report_write_md(const struct report *r, FILE *out);
int report_write_csv(const struct report *r, FILE *out);
int report_write_html(const struct report *r, FILE *out);
int report_write_xlsx(const struct report *r, FILE *out); /* report_xlsx.c */

#endif
