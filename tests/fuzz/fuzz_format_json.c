/*
 * fuzz_format_json.c - libFuzzer harness for the "json" payload reader with a
 * fixed mapping (long layout, as in parks_long.json); the harness itself is in fuzz_format.h.
 */
#include "fuzz_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_format_one(
        "json",
        "{\"mapping\": {\"records\": \"/data\", \"unit\": \"/park\", \"indicator\": "
        "\"/code\", \"period\": \"/month\", \"value\": \"/value\", \"status\": \"/status\", "
        "\"status_map\": {\"P\": \"p\"}}}",
        "{\"mapping\": {\"records\": \"/data\", \"unit\": \"/park\", \"indicator\": "
        "\"/code\", \"period\": \"/month\", \"value\": \"/value\", \"decimal\": \",\", "
        "\"thousands\": \".\", \"missing\": [], \"suffixes\": {\"万\": 10000, \"亿\": 1e8}, "
        "\"value_flags\": true}}",
        data, size);
}
