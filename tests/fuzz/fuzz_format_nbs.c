/*
 * fuzz_format_nbs.c - libFuzzer harness for the "nbs" payload reader with a
 * fixed mapping (unit constant p01; then also an indicator constant); the harness itself is in
 * fuzz_format.h.
 */
#include "fuzz_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_format_one("nbs", "{\"mapping\": {\"unit\": {\"const\": \"p01\"}}}",
                           "{\"mapping\": {\"unit\": {\"const\": \"p01\"}, \"indicator\": "
                           "{\"const\": \"x\"}, \"missing\": "
                           "[\"--\", \"\"], \"suffixes\": {\"亿\": 100000000}}}",
                           data, size);
}
