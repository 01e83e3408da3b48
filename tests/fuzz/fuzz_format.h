/*
 * fuzz_format.h - the libFuzzer harness shared by fuzz_format_<name>.c: a
 * mapping parsed and a reader built once for a fixed format and source, then
 * fed each input.
 * Every record's strings are read in full so that ASan sees any dangling or
 * unterminated one; an impossible record or a failure without a message
 * traps. Each harness is its own executable, so the functions are static:
 * include this once, then define LLVMFuzzerTestOneInput with
 * fuzz_format_one().
 */
#ifndef PARKSTAT_FUZZ_FORMAT_H
#define PARKSTAT_FUZZ_FORMAT_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "collectors/format.h"
#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t fuzz_sink;

static int fuzz_touch(const struct format_record *rec, void *ctx)
{
    const char *raw;

    (void)ctx;
    fuzz_sink += strlen(rec->unit) + strlen(rec->indicator) + strlen(rec->period_raw);
    raw = format_record_raw(rec);
    fuzz_sink += raw ? strlen(raw) : 0;
    if (format_record_raw(rec) != raw)
        __builtin_trap(); /* built once, then cached */
    fuzz_sink += rec->problem ? strlen(rec->problem) : 0;
    if (rec->period_ok && !period_valid(rec->period))
        __builtin_trap();
    if (rec->value_ok && rec->missing)
        __builtin_trap();
    if (rec->value_ok && !isfinite(rec->value))
        __builtin_trap(); /* no inf, no nan is ever a value */
    if (rec->missing && rec->value != 0)
        __builtin_trap(); /* missing is never a number */
    if (!rec->value_ok && !rec->missing && !rec->problem && rec->action != FORMAT_ACTION_DELETE)
        __builtin_trap(); /* neither a value nor missing: the reason must be said */
    if (rec->action == FORMAT_ACTION_DELETE && (rec->value_ok || rec->missing))
        __builtin_trap(); /* a withdrawal carries no value */
    if (rec->status) {
        size_t n = strlen(rec->status);
        if (n == 0 || n > FORMAT_STATUS_MAX)
            __builtin_trap(); /* a status is 1 to 8 bytes, else NULL */
        for (size_t i = 0; i < n; i++) {
            if ((unsigned char)rec->status[i] < 0x20 || (unsigned char)rec->status[i] > 0x7e)
                __builtin_trap(); /* of printable ASCII */
        }
    }
    return 0;
}

/* Reads data with the reader name for source, or for variant (the same
 * mapping with the value options: decimal, thousands, missing, suffixes)
 * when variant is not NULL and size is odd, so both are reached without
 * taking a byte from the input. Each mapping (config_mapping_parse()) and
 * reader is built on first use and kept for the process; returns 0 as
 * libFuzzer expects. */
static int fuzz_format_one(const char *name, const char *source, const char *variant,
                           const uint8_t *data, size_t size)
{
    static struct config_mapping *m[2];
    static struct format *fmt[2];
    int v = variant && (size & 1);
    char err[256];

    if (!m[v] && config_mapping_parse(name, v ? variant : source, &m[v], err, sizeof(err)) != 0)
        __builtin_trap();
    if (!fmt[v] && format_new(&fmt[v], name, m[v], err, sizeof(err)) != 0)
        __builtin_trap();
    err[0] = '\0';
    if (format_read(fmt[v], (const char *)data, size, fuzz_touch, NULL, err, sizeof(err)) < 0 &&
        !err[0])
        __builtin_trap(); /* a failure always says why */
    return 0;
}

#endif
