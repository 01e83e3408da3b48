/*
 * format.h - payload readers: turn the bytes a source returned into
 * (unit, indicator, period, value) records.
 *
 * One reader per format (format_json.c, format_csv.c, format_sdmx.c,
 * format_nbs.c) behind one small interface. A reader is built once per source
 * from the source's mapping as the config parsed it (struct config_mapping:
 * config_load() or config_mapping_parse() is the only parser of it) and then
 * reads any number of payloads. Readers know nothing of the store or the config's
 * units: they report what the payload says, in the source's own codes; the
 * collector maps codes, scales values and validates (collectors/collect.c).
 */
#ifndef PARKSTAT_FORMAT_H
#define PARKSTAT_FORMAT_H

#include <stddef.h>

#include "common/period.h"
#include "config/config.h"

struct format;

/* One record as read from a payload. Strings are borrowed for the duration
 * of the callback and are NUL-terminated. */
struct format_record {
    long position;          /* 1-based record number (or line for CSV) in the payload */
    const char *unit;       /* the source's unit code (may be "" when absent) */
    const char *indicator;  /* the source's indicator code */
    const char *period_raw; /* period as written in the payload ("202301", "2023-M01") */
    int period_ok;          /* 1 when period_raw was understood, then period is set */
    struct period period;
    int missing;  /* 1: the payload says "no value" ("", "-", "—", null, hasdata:false) */
    int value_ok; /* 1 when value holds a finite number */
    double value;
    const char *problem;   /* the reader's reason when the record is malformed, else NULL */
    const void *priv_;     /* reserved for the reader: how to build the raw text */
    int action;            /* FORMAT_ACTION_STORE (0), or FORMAT_ACTION_DELETE: the source
                              withdraws the value (SDMX action="Delete"); value is unset */
    int all_periods;       /* a delete of every period of (unit, indicator) (an SDMX series
                              key listed without observations); period is unset */
    const char *collapsed; /* NULL, or the components the mapping leaves out that alone
                              tell this record's series from an earlier one with the same
                              unit and indicator ("DER_BASIS (\"C\" at record 3, \"D\" here)") */
    const char *unmapped;  /* NULL, or the components of the record's series the mapping
                              leaves out, "ID=CODE" texts each ended by '\x1f' (SDMX
                              readers): the collector keeps them per (source, unit,
                              indicator) and refuses a later pull's series that differs in
                              one (store/components.h) */
    const char *status;    /* NULL, or the observation's status as published ("p", "E", ...),
                              after the mapping's status_map; borrowed until the callback
                              returns */
};

/* Longest observation status (bytes, printable ASCII): a longer one is a problem. */
#define FORMAT_STATUS_MAX 8

/* What a record asks for (format_record.action). */
enum format_action {
    FORMAT_ACTION_STORE = 0,
    FORMAT_ACTION_DELETE = 1,
};

/* Called for every record; a non-zero return stops reading and is returned. */
typedef int (*format_record_cb)(const struct format_record *rec, void *ctx);

/*
 * The record's raw text, for the rejects table: the record as compact JSON
 * (SDMX: {"series", "observation", "data"}) or the CSV row re-joined, capped
 * at 1 KiB without splitting UTF-8. Built on the first call only (readers do
 * not spend time on text nobody asks for) and cached for the record.
 *
 * Call it only from inside the format_record_cb, on the record passed to it
 * (or a copy made there): the text lives in the reader's scratch memory,
 * which is valid until the callback returns and is then reused or freed.
 * Returns a borrowed NUL-terminated string, or NULL when the text cannot be
 * built (out of memory) or rec is NULL.
 */
const char *format_record_raw(const struct format_record *rec);

/* What format_parse_value() found. */
enum format_value {
    FORMAT_VALUE_REJECT = -1, /* not a value: the reason says why */
    FORMAT_VALUE_OK = 0,      /* *out holds a finite number */
    FORMAT_VALUE_MISSING = 1, /* a missing marker: "no value", never 0 */
};

/*
 * The one parser of a value written as text, for every reader (and JSON
 * number tokens): len bytes of text, blanks around it ignored, read as opts
 * (the mapping's value options; NULL: the defaults) say:
 *  - a missing marker (the configured ones, else "", "-", "—", "–", "NaN",
 *    ":", "..", "…", "x") is FORMAT_VALUE_MISSING;
 *  - [sign] digits [decimal digits] [e[sign]digits], the decimal separator
 *    opts->decimal, thousands separators opts->thousands only between groups
 *    of three digits ("1,234,567"; "12,4" and "1,23" are refused);
 *  - a configured suffix ("1.2亿" with "亿": 1e8) multiplies the value.
 * Everything else is FORMAT_VALUE_REJECT with the reason in reason (NUL-
 * terminated, may be NULL): other separators, text or units after the
 * number ("12.3%"), inf / nan, overflow ("1e400") and underflow to 0
 * ("1e-400"). *out is set only for FORMAT_VALUE_OK.
 */
int format_parse_value(const char *text, size_t len, const struct config_value_opts *opts,
                       double *out, char *reason, size_t reason_size);

/* The default missing markers (NULL-terminated), for documentation and tests. */
const char *const *format_default_markers(void);

/*
 * Builds a reader for format name ("json", "csv", "sdmx", "sdmxml", "nbs")
 * configured by mapping (a source's parsed mapping; NULL: none, which only
 * "nbs" accepts). mapping is borrowed and must outlive the reader. Returns 0
 * and a new reader in *out (free with format_free()), or -EINVAL with a
 * message in err for an unknown format, a missing mapping or one checked for
 * another format.
 */
int format_new(struct format **out, const char *name, const struct config_mapping *mapping,
               char *err, size_t errsize);

/* Frees a reader and sets *fp = NULL. NULL is a harmless no-op. */
void format_free(struct format **fp);

/*
 * Reads one payload of len bytes. Calls cb for each record. Returns 0 when the
 * payload was read (possibly with zero records), -EBADMSG when it cannot be
 * parsed at all or does not match the mapping (err then says where:
 * "line 3 column 7: ..." or "/returndata/datanodes: expected an array"), or
 * the callback's non-zero return.
 */
int format_read(struct format *fmt, const char *buf, size_t len, format_record_cb cb, void *ctx,
                char *err, size_t errsize);

#endif
