/*
 * fuzz_period.c - libFuzzer harness for common/period: arbitrary bytes into
 * period_parse(); whatever parses must be valid and format back to the very
 * same bytes, and the algebra on it (add, prev/next, container, subperiods,
 * cmp, diff) must stay in range and agree with itself.
 */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/period.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const enum period_freq freqs[] = {PERIOD_YEAR, PERIOD_HALF, PERIOD_QUARTER, PERIOD_MONTH};

/* Steps of every size from the input's tail, so large and negative n are tried. */
static int step_from(const uint8_t *data, size_t size)
{
    uint32_t u = 0;
    for (size_t i = 0; i < 4 && i < size; i++)
        u = u << 8 | data[size - 1 - i];
    return (int)u;
}

static void check_nesting(struct period p)
{
    for (size_t i = 0; i < sizeof(freqs) / sizeof(freqs[0]); i++) {
        struct period c, sub[12];
        if (period_container(p, freqs[i], &c) == 0) {
            if (!period_valid(c) || period_first_month(c) > period_first_month(p) ||
                period_last_month(c) < period_last_month(p))
                abort();
        }
        int n = period_subperiods(p, freqs[i], sub, 12);
        if (n > 0 && (period_first_month(sub[0]) != period_first_month(p) ||
                      period_last_month(sub[n - 1]) != period_last_month(p)))
            abort();
    }
}

static void check_steps(struct period p, int n)
{
    struct period q = period_add(p, n);
    if (period_valid(q)) {
        int c = period_cmp(p, q);
        if (period_diff(p, q) != n || (n > 0 && c >= 0) || (n < 0 && c <= 0) || (n == 0 && c))
            abort();
        if (n != INT_MIN && period_diff(q, period_add(q, -n)) != -(long)n)
            abort();
    }
    struct period r = period_next(period_prev(p));
    if (period_valid(r) && period_cmp(r, p) != 0)
        abort();
    (void)period_same_last_year(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct period p;
    char buf[PERIOD_TEXT_SIZE];

    if (period_parse(&p, (const char *)data, size) != 0)
        return 0;
    if (!period_valid(p))
        abort();
    int n = period_format(p, buf, sizeof(buf));
    if (n < 0 || (size_t)n != size || memcmp(buf, data, size) != 0)
        abort();
    if (period_cmp(p, p) != 0)
        abort();
    check_nesting(p);
    check_steps(p, step_from(data, size));
    check_steps(p, (int)(data[0] % 64) - 32);
    check_steps(p, INT_MIN);
    check_steps(p, INT_MAX);
    return 0;
}
