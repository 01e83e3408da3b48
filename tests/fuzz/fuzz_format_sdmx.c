/*
 * fuzz_format_sdmx.c - libFuzzer harness for the "sdmx" payload reader with a
 * fixed mapping (REF_AREA and INDICATOR). Every record's strings are read in full so that
 * ASan sees any dangling or unterminated one.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "collectors/format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t sink;

static int touch(const struct format_record *rec, void *ctx)
{
    const char *raw;

    (void)ctx;
    sink += strlen(rec->unit) + strlen(rec->indicator) + strlen(rec->period_raw);
    raw = format_record_raw(rec);
    sink += raw ? strlen(raw) : 0;
    if (format_record_raw(rec) != raw)
        __builtin_trap(); /* built once, then cached */
    sink += rec->problem ? strlen(rec->problem) : 0;
    if (rec->period_ok && !period_valid(rec->period))
        __builtin_trap();
    if (rec->value_ok && rec->missing)
        __builtin_trap();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct format *fmt;
    char err[256];

    if (!fmt && format_new(&fmt, "sdmx",
                           "{\"mapping\": {\"unit_dimension\": \"REF_AREA\", "
                           "\"indicator_dimension\": \"INDICATOR\"}}",
                           err, sizeof(err)) != 0)
        __builtin_trap();
    err[0] = '\0';
    if (format_read(fmt, (const char *)data, size, touch, NULL, err, sizeof(err)) < 0 && !err[0])
        __builtin_trap(); /* a failure always says why */
    return 0;
}
