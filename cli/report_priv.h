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
    char status[16];              /* the value's status codes ("p", "e p"), "" when none */
};

/* An indicator's part in the change of a park's score. */
struct report_contrib {
    char *indicator; /* code */
    double delta;    /* its part of the score's change since the previous period */
};

/* A park's rank over the sensitivity analysis' runs (report_sens.c). */
struct report_park_sens {
    struct report_num rank, median, p05, p95; /* nominal rank, median and 5-95 % */
};

struct report_park {
    char *unit, *name;
    struct report_num score, prev_score, rank, rank_change;
    long flags; /* compute flags of the total; non-zero is noted */
    struct report_key keys[REPORT_MAX_KEYS];
    struct report_contrib top[REPORT_TOP];
    size_t ntop;
    struct report_park_sens sens;
};

#define REPORT_SENS_N 4 /* assumptions of the sensitivity analysis */

/* The assumptions' API names: weights, normalisation, aggregation, imputation. */
extern const char *const report_sens_names[REPORT_SENS_N];

/* The index's rank uncertainty (GET /api/v1/indices/{id}/sensitivity). */
struct report_sens {
    int has; /* 0: the API gave none (a note says why) */
    long runs, seed;
    struct report_num mean_shift, first_order[REPORT_SENS_N];
};

/* An indicator's code, name and measure (from /api/v1/indicators). */
struct report_indicator {
    char *code, *name, *measure;
    int decimals;
};

#define REPORT_TREND 8 /* periods of the city index chart */

/* The city index (mean of the parks' total scores) in one period. */
struct report_point {
    char period[PERIOD_TEXT_SIZE];
    struct report_num city;
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
    struct report_sens sens;
    struct report_point trend[REPORT_TREND]; /* oldest first, the bulletin's period last */
    size_t ntrend;                           /* (report_charts.c) */
    char **dims;                             /* the index's top-level dimensions' names */
    size_t ndims;                            /* (0: no chart of them) */
    struct report_num *dim_parts; /* nparks x ndims: each one's part of the park's change */
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

/* Text escaped for Markdown (report_out.c) and for HTML (report_html.c). */
void report_md_text(FILE *out, const char *s);
void report_html_text(FILE *out, const char *s);

/* The rank uncertainty section (report_sens.c): loaded from the API (a
 * failure of the endpoint is a note, not an error; returns 0 or -ENOMEM),
 * then written after the contributors (md, html) or as the CSV's last
 * columns (header, then one park's cells). */
struct client;
int report_sens_load(struct report *r, struct client *c);
void report_sens_md(const struct report *r, FILE *out);
void report_sens_html(const struct report *r, FILE *out);
void report_sens_csv_header(FILE *out);
void report_sens_csv(const struct report *r, const struct report_park *p, FILE *out);

/* The charts (report_charts.c): the city index over the REPORT_TREND
 * periods up to the bulletin's, loaded from the API (a period without results
 * is a gap; another failure a note too; returns 0 or -ENOMEM), and the
 * charts' section of the HTML bulletin (inline SVG). */
int report_charts_load(struct report *r, struct client *c);
void report_charts_html(const struct report *r, FILE *out);

/* The chart of each park's change since the previous period split by the
 * index's top-level dimensions (sums of the API's leaf contributions), after
 * the contributors' table; loaded by report_charts_load() from the `tree` of
 * /api/v1/indices/ID, released by report_charts_free(). */
void report_charts_dims_html(const struct report *r, FILE *out);
void report_charts_free(struct report *r);

/* --format pdf (report_pdf.c): 0 when a Chromium to print with is found,
 * else -ENOENT with a message saying what to install; then the bulletin as
 * HTML printed to A4 PDF into path (NULL: standard output), through a
 * temporary file renamed at the end, so a failure leaves no partial file.
 * Returns 0 or a negative errno, printed. */
int report_pdf_check(void);
int report_write_pdf(const struct report *r, const char *path);

/* Status codes (report_status.c): the name of a code ("初步数 provisional"),
 * or NULL when the code is neither SDMX's nor Eurostat's; and the legend of
 * the codes the parks' key values carry, written under their table (nothing
 * when none does). */
const char *report_status_name(const char *code);
/* The distinct status codes of unit's observations of indicator within
 * period (finer than period: the months of a quarter), space-separated in
 * out, "" when none. Returns 0, -ENOSPC when out is too small, or the
 * client's negative errno. */
struct client;
int report_status_of_period(struct client *c, const char *unit, const char *indicator,
                            const char *period, char *out, size_t size);
void report_status_md(const struct report *r, FILE *out);
void report_status_html(const struct report *r, FILE *out);

/* The data notes (report_checks.c): each consistency check violation of a
 * period within the bulletin's, as a note; an endpoint that fails is a note
 * too. Returns 0 or -ENOMEM. */
int report_checks_load(struct report *r, struct client *c);

#endif
