/*
 * format_priv.h - what the payload readers (format_*.c) share: the reader
 * vtable, the reader object, and helpers for JSON Pointers, numbers,
 * periods and records. Private to collectors/format*.c.
 */
#ifndef PARKSTAT_FORMAT_PRIV_H
#define PARKSTAT_FORMAT_PRIV_H

#include <stddef.h>

#include <jansson.h>

#include "collectors/format.h"

/* Cap on a record's raw text (bytes, before the NUL). */
#define FORMAT_RAW_MAX 1024

/* One reader: how to configure it, read with it and free its state. */
struct format_ops {
    const char *name;
    /* Builds fmt->priv from fmt->mapping (NULL or not given only for readers
     * that need none). Returns 0 or -EINVAL/-ENOMEM with a message in err. */
    int (*init)(struct format *fmt, char *err, size_t errsize);
    /* Frees fmt->priv (may be NULL). */
    void (*fini)(void *priv);
    /* Reads a non-empty payload; same contract as format_read(). */
    int (*read)(struct format *fmt, const char *buf, size_t len, format_record_cb cb, void *ctx,
                char *err, size_t errsize);
};

struct format {
    const struct format_ops *ops;
    const struct config_mapping *mapping; /* borrowed from the caller; may be NULL */
    void *priv;                           /* the reader's own state */
};

extern const struct format_ops format_json_ops;
extern const struct format_ops format_csv_ops;
extern const struct format_ops format_sdmx_ops;
extern const struct format_ops format_sdmxml_ops;
extern const struct format_ops format_sdmxcsv_ops;
extern const struct format_ops format_nbs_ops;
extern const struct format_ops format_xlsx_ops;

/* Per-record scratch space: numbers printed as text and problem messages. */
struct format_scratch {
    char unit[32];
    char indicator[32];
    char period[32];
    char problem[256];
    char status[FORMAT_STATUS_MAX + 1];
};

/* snprintf into err (NULL or errsize 0: nothing). */
void format_err(char *err, size_t errsize, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Resolves an RFC 6901 JSON Pointer ("" is the whole document; "~0" is "~",
 * "~1" is "/") in root. Returns the borrowed value or NULL when absent.
 * Hand-written because jansson has no pointer support.
 */
json_t *format_pointer_get(json_t *root, const char *pointer);

/*
 * Parses a whole payload as JSON (an object or array). Returns 0 and a new
 * reference in *out, or -EBADMSG with "empty payload" or "line L column C:
 * jansson's text" in err. A repeated object key refuses the payload
 * ("duplicate object key"): jansson would silently keep only the last value.
 * (The sdmx reader merges repeats with a parser of its own.)
 */
int format_json_load(const char *buf, size_t len, json_t **out, char *err, size_t errsize);

/*
 * Parses a period as agencies write it (period_parse_agency() without a
 * frequency: "2023", "2023-Q3", "2023M1", "2023Q3", "2023-S1", "2023A",
 * "202301", "2023-01-01/P1M", ...). Returns 0 or -EINVAL.
 */
int format_period_parse(const char *text, struct period *out);

/* Sets rec->problem to a message in s->problem unless a problem is already set. */
void format_problem(struct format_record *rec, struct format_scratch *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sets period_raw, period_ok and period from text (NULL: a problem "period: absent"). */
void format_record_period(struct format_record *rec, struct format_scratch *s, const char *text);

/* The same, with the frequency the source gives its periods (0: unknown),
 * which says what a date (2020-01-01) stands for; daily and weekly periods
 * are a problem "frequency not supported". */
void format_record_period_freq(struct format_record *rec, struct format_scratch *s,
                               const char *text, enum period_freq hint);

/* Sets missing / value_ok / value from text (via format_parse_value() with
 * opts, the mapping's value options; NULL: the defaults), or a problem
 * 'value: not a number: "12,4" (reason)'. */
void format_record_value_text(struct format_record *rec, struct format_scratch *s,
                              const struct config_value_opts *opts, const char *text);

/* format_record_value_text(rec, s, NULL, text) for text[0..len) (NUL-ended)
 * that is a number of the JSON grammar, as a JSON parser checked it: the
 * same value, missing flag and problem, without the general path's checks
 * for blanks, markers, separators and suffixes, which such a text never has. */
void format_record_value_number(struct format_record *rec, struct format_scratch *s,
                                const char *text, size_t len);

/*
 * A table cell or JSON string holding a value: format_record_value_text()
 * with the mapping's value options, and with "value_flags" the letters after
 * the last blank ("12.3 pe", ": c") are the record's status (through
 * format_record_status()), the text before it the value. Without letters
 * after a blank the whole text is the value. cm NULL: the defaults.
 */
void format_record_value_cell(struct format_record *rec, struct format_scratch *s,
                              const struct config_mapping *cm, const char *text);

/* Same from a JSON value: number, string (as text), null (missing). v NULL: a problem. */
void format_record_value_json(struct format_record *rec, struct format_scratch *s,
                              const struct config_value_opts *opts, json_t *v);

/*
 * Sets rec->status from len bytes of text (NULL, or blank: no status), after
 * the mapping's status_map (cm may be NULL). A status that is longer than
 * FORMAT_STATUS_MAX bytes or not printable ASCII is a problem 'status
 * "...": ...'; a map entry to "" means no status.
 */
void format_record_status(struct format_record *rec, struct format_scratch *s,
                          const struct config_mapping *cm, const char *text, size_t len);

/* The length of at most max bytes of s that does not split a UTF-8 sequence. */
size_t format_utf8_cut(const char *s, size_t max);

/*
 * A record's raw text, built only when format_record_raw() asks for it. A
 * reader keeps one in the stack frame that calls the callback (so the text
 * is valid until the callback returns), and points rec->priv_ at it with
 * format_raw_attach(). Records copied from one base record (wide layouts)
 * share it, so an item's text is built at most once.
 */
struct format_raw {
    /* Writes the text for arg into text: at most FORMAT_RAW_MAX bytes, not
     * splitting UTF-8, then a NUL. Returns 0 or -ENOMEM. */
    int (*build)(const void *arg, char *text);
    const void *arg; /* borrowed; must outlive the callback */
    int state;       /* 0: not built yet, 1: text holds it, -1: building failed */
    char text[FORMAT_RAW_MAX + 1];
};

/* Sets up raw to build its text with build(arg) on demand and points
 * rec->priv_ at it. text is left as it is: nothing is written until asked. */
void format_raw_attach(struct format_record *rec, struct format_raw *raw,
                       int (*build)(const void *arg, char *text), const void *arg);

/* A struct format_raw builder: arg is a json_t, dumped as compact JSON and
 * capped at FORMAT_RAW_MAX bytes. Returns 0 or -ENOMEM. */
int format_raw_json(const void *arg, char *text);

#endif
