/*
 * fuzz_config.c - config_load_buffer() on arbitrary bytes: it must not crash
 * or leak, and a rejected config must come with at least one message.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct config *cfg = NULL;
    char *errors = NULL;
    int rc = config_load_buffer("fuzz.json", "/tmp", (const char *)data, size, &cfg, &errors);

    if (rc == 0) {
        size_t n;
        const struct config_unit *u = config_units(cfg, &n);
        /* every look-up of a listed id finds its own record */
        for (size_t i = 0; i < n; i++) {
            size_t len = 0;
            while (u[i].id[len])
                len++;
            if (config_unit_find(cfg, u[i].id, len) != (long)i)
                abort();
        }
        if (errors)
            abort();
    } else if (rc == -22 && !errors) {
        abort();
    }
    free(errors);
    config_free(&cfg);
    return 0;
}
