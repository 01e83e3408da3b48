/*
 * format_check.h - shared helpers of the payload reader tests
 * (test_format_json/csv/sdmx/nbs): a callback that copies every record a
 * reader yields, readers of a string or of a file under tests/data/payloads,
 * and checks of the records, of refused sources and of unreadable payloads.
 * Every helper fails the running cmocka test itself instead of returning.
 */
#ifndef PARKSTAT_TESTS_FORMAT_CHECK_H
#define PARKSTAT_TESTS_FORMAT_CHECK_H

#include <stddef.h>

#include "collectors/format.h"
#include "collectors/format_priv.h"
#include "common/period.h"
#include "test_support.h"

/* A record as the callback saw it, copied. */
struct fc_got {
    long position;
    char unit[64];
    char indicator[64];
    char period[PERIOD_TEXT_SIZE]; /* canonical text, "" when !period_ok */
    char period_raw[32];
    int missing;
    int value_ok;
    double value;
    char problem[256]; /* "" when none */
    int action;        /* FORMAT_ACTION_STORE or FORMAT_ACTION_DELETE */
    int all_periods;
    char collapsed[256]; /* "" when none */
    char unmapped[256];  /* format_record.unmapped, '\x1f' shown as ';'; "" when NULL */
    char status[16];     /* "" when none (a reader never gives an empty status) */
    char raw[FORMAT_RAW_MAX + 1];
    const char *raw_ptr; /* format_record_raw()'s pointer, NULL when not asked */
};

/* Where fc_collect() copies records; zero-initialise, then set the options. */
struct fc_sink {
    struct fc_got rec[32];
    size_t n;
    size_t stop_after; /* 0: never stop */
    unsigned raw_mask; /* 0: every record's raw text; else only record i's when bit i is set */
};

/* An expected record; problem is a substring of the reader's text. */
struct fc_want {
    long position;
    const char *unit;
    const char *indicator;
    const char *period;
    int missing;
    int value_ok;
    double value;
    const char *problem;
};

/* format_record_cb copying r into the struct fc_sink ctx; asks for the raw
 * text as raw_mask says and checks it is cached. Returns 7 once stop_after
 * records are copied, else 0. Fails the test past 32 records. */
int fc_collect(const struct format_record *r, void *ctx);

/* Reads tests/data/payloads/<name> (or $PARKSTAT_TEST_DATA/payloads/<name>)
 * whole; returns a NUL-terminated buffer the caller frees and its length in
 * *len. Fails the test when the file cannot be read. */
char *fc_load(const char *name, size_t *len);

/* Parses source's mapping (config_mapping_parse()) and builds the reader
 * name for it (failing the test if either is refused), reads
 * len bytes of buf into s and frees the reader; returns format_read()'s
 * result, with its message in err. */
int fc_read_buf(const char *name, const char *source, const char *buf, size_t len,
                struct fc_sink *s, char *err, size_t errsize);

/* fc_read_buf() of the NUL-terminated text. */
int fc_read_str(const char *name, const char *source, const char *text, struct fc_sink *s,
                char *err, size_t errsize);

/* fc_read_buf() of the payload file fc_load() finds for file. */
int fc_read_file(const char *name, const char *source, const char *file, struct fc_sink *s,
                 char *err, size_t errsize);

/* Fails the test unless s holds exactly the n records of w: same fields,
 * values within 1e-9 when value_ok, and a problem containing w's (none when
 * w's is NULL). */
void fc_check_records(const struct fc_sink *s, const struct fc_want *w, size_t n);

/* Fails the test unless config_mapping_parse() refuses source with -EINVAL,
 * leaves no mapping, and says something containing text. */
void fc_expect_config_error(const char *name, const char *source, const char *text);

/* Fails the test unless reading text fails with -EBADMSG and a message
 * containing msg. */
void fc_expect_bad_payload(const char *name, const char *source, const char *text, const char *msg);

#endif
