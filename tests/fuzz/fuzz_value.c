/*
 * fuzz_value.c - libFuzzer harness for format_parse_value(), the parser of
 * values written as text. The input's first byte picks the options (decimal,
 * thousands, configured markers and suffixes or the defaults), the rest is
 * the text. Traps when a value is not finite, when a reject gives no
 * reason, when *out is written without a value, or when an accepted value
 * printed back and parsed again under the defaults is another number.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "collectors/format.h"
#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const markers[] = {"n/a", "--", ""};
    static const struct config_suffix suffixes[] = {
        {"\xE4\xB8\x87", 1e4}, {"\xE4\xBA\xBF", 1e8}, {"%", 1}, {"k", 1e3}};
    static const char thousands[] = {',', '.', ' ', '\'', 0};
    struct config_value_opts o = {0};
    char reason[256], again[64];
    double v = -0.5, w = -0.5;
    int rc;

    if (size == 0)
        return 0;
    o.decimal = data[0] & 1 ? ',' : '.';
    o.thousands = thousands[(data[0] >> 1) % sizeof(thousands)];
    if (o.thousands == o.decimal)
        o.thousands = 0;
    if (data[0] & 0x10) {
        o.missing = markers;
        o.n_missing = 3;
    }
    if (data[0] & 0x20) {
        o.suffixes = suffixes;
        o.n_suffixes = 4;
    }
    rc = format_parse_value((const char *)data + 1, size - 1, data[0] & 0x40 ? NULL : &o, &v,
                            reason, sizeof(reason));
    if (rc == FORMAT_VALUE_OK && !isfinite(v))
        __builtin_trap();
    if (rc != FORMAT_VALUE_OK && v != -0.5)
        __builtin_trap(); /* *out only for a value */
    if (rc == FORMAT_VALUE_REJECT && (!reason[0] || !memchr(reason, '\0', sizeof(reason))))
        __builtin_trap();
    if (rc != FORMAT_VALUE_OK && rc != FORMAT_VALUE_MISSING && rc != FORMAT_VALUE_REJECT)
        __builtin_trap();
    if (rc == FORMAT_VALUE_OK) {
        int n = snprintf(again, sizeof(again), "%.17g", v);
        if (format_parse_value(again, (size_t)n, NULL, &w, NULL, 0) != FORMAT_VALUE_OK || w != v)
            __builtin_trap(); /* what was accepted is a number a double holds */
    }
    return 0;
}
