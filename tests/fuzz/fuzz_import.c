/*
 * fuzz_import.c - libFuzzer harness: arbitrary bytes as a CSV file through the
 * whole import path (csvread, row checks, duplicates, store_ingest) into a
 * ":memory:" store, with a small fixed config. Opening a store creates its
 * schema, which costs more than an import, so one store serves 500 inputs
 * before it is replaced (bounding its growth). Checks that every record read
 * is either stored or rejected.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/import.h"
#include "common/log.h"
#include "config/config.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char config_json[] =
    "{\"units\": [{\"id\": \"city\", \"name\": \"C\"},"
    "            {\"id\": \"p1\", \"name\": \"P1\", \"parent\": \"city\"},"
    "            {\"id\": \"p2\", \"name\": \"P2\", \"parent\": \"city\"}],"
    " \"indicators\": ["
    "  {\"code\": \"revenue\", \"name\": \"R\", \"frequency\": \"M\", \"kind\": \"flow\"},"
    "  {\"code\": \"firms\", \"name\": \"F\", \"frequency\": \"Q\", \"kind\": \"stock\"},"
    "  {\"code\": \"rd_int\", \"name\": \"I\", \"frequency\": \"Q\", \"kind\": \"rate\","
    "   \"formula\": \"revenue / firms\"}]}";

/* Loaded once; reachable until exit, so not a leak. */
static struct config *cfg;
static FILE *devnull;
static struct store *st;
static unsigned uses;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct import *im = NULL;
    struct import_summary sum;
    FILE *in;
    int rc;

    if (!cfg) {
        log_set_level(LOG_LEVEL_ERR);
        if (config_load_buffer("fuzz.json", NULL, config_json, strlen(config_json), &cfg, NULL) < 0)
            abort();
        devnull = fopen("/dev/null", "w");
    }
    if (size == 0)
        return 0;
    if (!(in = fmemopen((void *)data, size, "r")))
        return 0;
    if (uses++ % 500 == 0) {
        store_close(&st);
        if (store_open(&st, ":memory:", 0, NULL, 0) < 0)
            abort();
    }
    if (import_new(&im, st, cfg) < 0)
        abort();
    import_set_messages(im, devnull, 5);
    rc = import_stream(im, in, "fuzz.csv", &sum);
    if (rc == 0 && sum.n_read != sum.n_stored + sum.n_rejected)
        abort();
    if (rc == 0 && sum.n_stored != sum.counts.n_new + sum.counts.n_revised + sum.counts.n_unchanged)
        abort();
    import_free(&im);
    fclose(in);
    return 0;
}
