/*
 * fuzz_format_sdmx.c - libFuzzer harness for the "sdmx" payload reader with a
 * fixed mapping (REF_AREA and INDICATOR); the harness itself is in fuzz_format.h.
 */
#include "fuzz_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_format_one("sdmx",
                           "{\"mapping\": {\"unit_dimension\": \"REF_AREA\", "
                           "\"indicator_dimension\": \"INDICATOR\", \"status_map\": {\"A\": \"\", "
                           "\"provisional value\": \"p\"}}}",
                           "{\"mapping\": {\"unit_dimension\": \"REF_AREA\", "
                           "\"indicator_dimension\": \"INDICATOR\", \"decimal\": \",\", "
                           "\"thousands\": \"'\", \"missing\": [\"NA\"], "
                           "\"suffixes\": {\"k\": 1000}, \"status_attribute\": \"OBS_CONF\"}}",
                           data, size);
}
