/*
 * fuzz_format_sdmxcsv.c - libFuzzer harness for the "sdmxcsv" payload reader
 * with a template over two columns and a filter; the harness itself is in
 * fuzz_format.h.
 */
#include "fuzz_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_format_one("sdmxcsv",
                           "{\"frequency\": \"Q\", \"mapping\": {\"unit_dimension\": \"REF_AREA\", "
                           "\"indicator\": \"{INDICATOR}.{SEX}\", \"filter\": {\"FREQ\": [\"Q\", "
                           "\"M\"]}, \"status_map\": {\"A\": \"\"}}}",
                           "{\"mapping\": {\"unit_dimension\": \"REF_AREA\", "
                           "\"indicator_dimension\": \"INDICATOR\", \"delimiter\": \";\", "
                           "\"decimal\": \",\", \"measures\": [\"OBS_VALUE\"], "
                           "\"status_attribute\": \"OBS_FLAG\"}}",
                           data, size);
}
