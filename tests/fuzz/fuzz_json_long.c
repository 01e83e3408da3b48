/*
 * fuzz_json_long.c - libFuzzer harness differential-checking the "json"
 * reader's long-layout scanner (collectors/json_long.c) against its yajl
 * walk: each input is read with yajl alone, with the scanner and yajl after
 * it, and with the scanner alone; the first two must give the same return,
 * message and records (every field, raw text included), and so must the
 * third whenever it did not give up. The input's first byte picks the
 * mapping (records in a member or at the root, a status, the value options)
 * and, every fourth input, a record the callback stops at.
 */
#include <stdint.h>
#include <stdlib.h>

#include "collectors/format.h"
#include "config/config.h"
#include "json_long_diff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const mappings[] = {JLD_MAPPINGS};
#define NMAP (sizeof(mappings) / sizeof(mappings[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct config_mapping *map[NMAP];
    static struct format *fmt[NMAP];
    static struct jld_out yajl, both, scan;
    char err[256];
    size_t i;

    if (size < 1)
        return 0;
    i = data[0] % NMAP;
    if (!map[i] && config_mapping_parse("json", mappings[i], &map[i], err, sizeof(err)) != 0)
        __builtin_trap();
    if (!fmt[i] && format_new(&fmt[i], "json", map[i], err, sizeof(err)) != 0)
        __builtin_trap();
    yajl.stop_at = both.stop_at = scan.stop_at = data[0] / NMAP % 4 == 3 ? 1 + data[0] % 3 : 0;
    jld_read(fmt[i], (const char *)data + 1, size - 1, FORMAT_JSON_YAJL, &yajl);
    jld_read(fmt[i], (const char *)data + 1, size - 1, FORMAT_JSON_AUTO, &both);
    jld_read(fmt[i], (const char *)data + 1, size - 1, FORMAT_JSON_SCANNER, &scan);
    if (!jld_same(&yajl, &both))
        __builtin_trap();
    if (scan.rc != -EAGAIN && !jld_same(&yajl, &scan))
        __builtin_trap();
    return 0;
}
