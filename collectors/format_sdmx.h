/*
 * format_sdmx.h - what the two SDMX readers (format_sdmx.c: SDMX-JSON,
 * format_sdmxml.c: SDMX-ML) share: the mapping from an observation's
 * components (dimensions and attributes, found by id) to a record's unit and
 * indicator, dimension filters, measures, the FREQ code, the UNIT_MULT and
 * DECIMALS attributes, data set actions, and the check that no two series
 * meet on one (unit, indicator) while differing in a component the mapping
 * leaves out. Private to collectors/format_sdmx*.c.
 */
#ifndef PARKSTAT_FORMAT_SDMX_H
#define PARKSTAT_FORMAT_SDMX_H

#include <stddef.h>

#include <jansson.h>

#include "collectors/format_priv.h"

/* Longest unit or indicator code a mapping builds (bytes, before the NUL). */
#define SDMX_CODE_MAX 255

/* A source's SDMX mapping (docs/FORMATS.md, "sdmx" and "sdmxml"), as the
 * readers use it. Everything is borrowed from the struct config_mapping. */
struct sdmx_map {
    const char *unit_dim, *unit_const;              /* exactly one set */
    const char *ind_dim, *ind_template, *ind_const; /* exactly one set */
    const char *period_dim;                         /* "TIME_PERIOD" by default */
    const struct config_sdmx_filter *filters;
    size_t n_filters;
    const char *const *measures;            /* NULL: {"OBS_VALUE"} */
    size_t n_measures;                      /* 1 when measures is NULL */
    enum period_freq freq;                  /* the source's frequency, 0 when not given */
    const struct config_value_opts *values; /* how values are written as text */
    const char *status_attr;                /* the status attribute, "OBS_STATUS" by default */
    const struct config_mapping *cm;        /* the whole mapping (its status_map) */
};

/* Gives the code of component id (dimension or attribute, any case) of the
 * observation at hand, or NULL when it has none. */
typedef const char *(*sdmx_get_fn)(void *ctx, const char *id);

/*
 * Takes the mapping config_load() checked for format ("sdmx", "sdmxml").
 * Returns 0, or -EINVAL with a message when cm is missing or was checked
 * for another format.
 */
int sdmx_map_init(struct sdmx_map *m, const struct config_mapping *cm, const char *format,
                  char *err, size_t errsize);

/* 1 when the mapping reads component id (as unit, indicator, period,
 * measure or filter), else 0. Ids compare without regard to case. */
int sdmx_map_reads(const struct sdmx_map *m, const char *id);

/* 1 when the observation passes every filter, 0 when it is to be skipped,
 * -1 when a filtered component is absent (*missing names it). */
int sdmx_map_filter(const struct sdmx_map *m, sdmx_get_fn get, void *ctx, const char **missing);

/*
 * Builds the unit and indicator codes (each SDMX_CODE_MAX + 1 bytes) of the
 * observation for measure (its id, put for {MEASURE}). Returns 0, or -1 with
 * a problem ("no dimension \"REF_AREA\"") set on rec.
 */
int sdmx_map_codes(const struct sdmx_map *m, sdmx_get_fn get, void *ctx, const char *measure,
                   char *unit, char *indicator, struct format_record *rec,
                   struct format_scratch *s);

/* The period frequency of an SDMX FREQ code: A, S, H... see the .c; 0 when
 * code is NULL, -1 for a frequency parkstat does not keep (D, W, B, H, N). */
int sdmx_freq_code(const char *code);

/*
 * Sets the record's period from text, with the frequency freq_code (the
 * observation's FREQ component, may be NULL) or else the source's says.
 */
void sdmx_record_period(const struct sdmx_map *m, struct format_record *rec,
                        struct format_scratch *s, const char *text, const char *freq_code);

/*
 * Applies the DECIMALS (rounds to that many places) and UNIT_MULT (times
 * 10^n) attribute codes, each NULL when absent, to a record with a value.
 * A code that is not a small integer is a problem.
 */
void sdmx_record_attrs(struct format_record *rec, struct format_scratch *s, const char *decimals,
                       const char *unit_mult);

/* 1 when id is an attribute common enough (TITLE, DECIMALS, OBS_STATUS...)
 * to be told from a dimension by name, where a message does not say. */
int sdmx_known_attribute(const char *id);

/* Sets the record's status from the status attribute's code (NULL: none),
 * through the mapping's status_map (format_record_status()). */
void sdmx_record_status(const struct sdmx_map *m, struct format_record *rec,
                        struct format_scratch *s, const char *code);

/* Data set actions (SDMX 2.1 and 3.0). */
enum sdmx_action {
    SDMX_ACTION_STORE,  /* Replace, Append, Merge, Information: values to keep */
    SDMX_ACTION_DELETE, /* Delete: end the current vintage of what is listed */
};

/* Reads an action text; returns the action or -1 when it is none. */
int sdmx_action_parse(const char *text);

/*
 * The collapse check: the first series (or observation) to give a (unit,
 * indicator) pair is remembered with the components the mapping does not
 * read ("ID=CODE" texts joined by '\x1f'); a later one with the same pair
 * and other such components gets a note naming them. Memory grows with the
 * (unit, indicator) pairs a payload has (24 bytes each in a table at most
 * half full; at most max_pairs), not with its observations.
 */
struct sdmx_seen;

/* A new empty check for up to max_pairs pairs (0: 4 Mi), or NULL without
 * memory. */
struct sdmx_seen *sdmx_seen_new(size_t max_pairs);
void sdmx_seen_free(struct sdmx_seen *t);

/*
 * Checks (unit, indicator) with the unmapped components text comps, first
 * seen at record position. Returns 0 when the pair is new or the components
 * are the same; 1 with a note in note (size bytes): "DER_BASIS (\"C\" at
 * record 12, \"D\" here)"; -EOVERFLOW with the reason in note when the
 * payload has more pairs than the check holds; or -ENOMEM. A reader ends the
 * read on an error: a pair it cannot check is never taken on trust.
 */
int sdmx_seen_check(struct sdmx_seen *t, const char *unit, const char *indicator, const char *comps,
                    long position, char *note, size_t size);

/* After -EOVERFLOW: why the check refused the payload; else NULL. */
const char *sdmx_seen_refused(const struct sdmx_seen *t);

#endif
