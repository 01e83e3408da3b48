/*
 * fuzz_format_sdmxml.c - libFuzzer harness for the "sdmxml" payload reader
 * with a mapping that uses every part: a template over two dimensions,
 * a filter and two measures; the harness itself is in fuzz_format.h.
 */
#include "fuzz_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_format_one(
        "sdmxml",
        "{\"frequency\": \"M\", \"mapping\": {\"unit_dimension\": \"REF_AREA\", "
        "\"indicator\": \"{INDICATOR}.{SEX}.{MEASURE}\", "
        "\"filter\": {\"FREQ\": [\"M\", \"Q\", \"A\"]}, "
        "\"measures\": [\"OBS_VALUE\", \"FTE\"], \"status_map\": {\"A\": \"\"}}}",
        "{\"frequency\": \"M\", \"mapping\": {\"unit_dimension\": \"REF_AREA\", "
        "\"indicator_dimension\": \"INDICATOR\", \"decimal\": \",\", "
        "\"thousands\": \" \", \"missing\": [\"NaN\", \":\"], "
        "\"suffixes\": {\"%\": 1}, \"status_attribute\": \"obs_flag\", "
        "\"apply_decimals\": false}}",
        data, size);
}
