/*
 * fuzz_format_nbs.c - libFuzzer harness for the "nbs" payload reader with a
 * fixed mapping (unit constant p01); the harness itself is in fuzz_format.h.
 */
#include "fuzz_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_format_one("nbs", "{\"mapping\": {\"unit\": {\"const\": \"p01\"}}}", data, size);
}
