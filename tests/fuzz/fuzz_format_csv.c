/*
 * fuzz_format_csv.c - libFuzzer harness for the "csv" payload reader with a
 * fixed mapping (long layout, as in parks_long.csv); the harness itself is in fuzz_format.h.
 */
#include "fuzz_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_format_one("csv",
                           "{\"mapping\": {\"unit\": \"park_id\", \"indicator\": \"指标代码\", "
                           "\"period\": \"期别\", \"value\": \"数值\", \"value_flags\": true, "
                           "\"status_map\": {\"P\": \"p\", \"A\": \"\"}}}",
                           "{\"mapping\": {\"unit\": \"park_id\", \"indicator\": \"指标代码\", "
                           "\"period\": \"期别\", \"value\": \"数值\", \"decimal\": \",\", "
                           "\"thousands\": \" \", \"missing\": [\"n/a\", \"\"], "
                           "\"suffixes\": {\"万\": 10000, \"亿\": 100000000, \"%\": 1}, "
                           "\"status\": \"状态\", \"value_flags\": true}}",
                           data, size);
}
