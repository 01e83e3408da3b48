/*
 * format_read.c - times the payload readers alone (no fetch, no store): one
 * JSON payload shaped like bench/gen_pull_data.sh's (200 long-layout records,
 * ~16.6 KB) read REPEAT times by the "json" reader, against json_loadb() of
 * the same bytes as the floor. The callback sums the values and, every
 * RAW_EVERY-th record (0: never), asks for the record's raw text the way the
 * collector does for a reject.
 *
 *   bench_format_read [REPEAT [RUNS [RAW_EVERY]]]   (defaults 2000 5 0)
 *
 * Prints CPU seconds per run (CLOCK_PROCESS_CPUTIME_ID) and the median.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "collectors/format.h"

#define NREC 200

struct tally {
    double sum;
    size_t raw_bytes;
    long every;
    long seen;
};

static int on_record(const struct format_record *rec, void *ctx)
{
    struct tally *t = ctx;
    const char *raw;

    t->sum += rec->value;
    if (t->every > 0 && ++t->seen % t->every == 0 && (raw = format_record_raw(rec)))
        t->raw_bytes += strlen(raw);
    return 0;
}

/* The payload of source 1 as gen_pull_data.sh writes it (month 2026-10). */
static char *make_payload(size_t *len)
{
    size_t cap = (size_t)64 * 1024, n = 0;
    char *buf = malloc(cap);

    if (!buf)
        return NULL;
    n += (size_t)snprintf(buf + n, cap - n,
                          "{\"source\": \"s0001\", \"published\": \"2026-10-28T09:30:00+08:00\",\n"
                          " \"data\": [");
    for (int j = 1; j <= NREC; j++) {
        double v = (double)((7919L + j * 104729L) % 99999989L) / 100 + 1;
        n += (size_t)snprintf(buf + n, cap - n,
                              "%s\n  {\"unit\": \"u0001\", \"indicator\": \"i%03d\", "
                              "\"period\": \"2026-10\", \"value\": %.2f}",
                              j > 1 ? "," : "", j, v);
    }
    n += (size_t)snprintf(buf + n, cap - n, "]}\n");
    *len = n;
    return buf;
}

static double cpu_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    long repeat = argc > 1 ? atol(argv[1]) : 2000;
    int runs = argc > 2 ? atoi(argv[2]) : 5;
    struct tally t = {.every = argc > 3 ? atol(argv[3]) : 0};
    double reader[32], load[32];
    struct config_mapping *m = NULL;
    struct format *fmt = NULL;
    char err[256];
    size_t len;
    char *payload = make_payload(&len);

    if (!payload || repeat < 1 || runs < 1 || runs > 32 ||
        config_mapping_parse("json",
                             "{\"mapping\": {\"records\": \"/data\", \"unit\": \"/unit\", "
                             "\"indicator\": \"/indicator\", \"period\": \"/period\", "
                             "\"value\": \"/value\"}}",
                             &m, err, sizeof(err)) < 0 ||
        format_new(&fmt, "json", m, err, sizeof(err)) < 0) {
        fprintf(stderr, "usage: bench_format_read [REPEAT [RUNS (1..32) [RAW_EVERY]]]\n");
        return 2;
    }
    for (int r = 0; r < runs; r++) {
        double t0 = cpu_now();
        for (long i = 0; i < repeat; i++) {
            if (format_read(fmt, payload, len, on_record, &t, err, sizeof(err)) != 0) {
                fprintf(stderr, "read: %s\n", err);
                return 1;
            }
        }
        double t1 = cpu_now();
        for (long i = 0; i < repeat; i++)
            json_decref(json_loadb(payload, len, 0, NULL));
        reader[r] = t1 - t0;
        load[r] = cpu_now() - t1;
        printf("run %d: format_read %.3f s, json_loadb alone %.3f s\n", r + 1, reader[r], load[r]);
    }
    printf("payload %zu bytes, %d records, x %ld; raw text every %ld: %zu bytes\n", len, NREC,
           repeat, t.every, t.raw_bytes);
    printf("median: format_read %.3f s, json_loadb alone %.3f s, reader beyond parse %.3f s\n",
           median(reader, runs), median(load, runs), median(reader, runs) - median(load, runs));
    format_free(&fmt);
    config_mapping_free(&m);
    free(payload);
    return t.sum > 0 ? 0 : 1;
}
