/*
 * sdmxml_read.c - reads one SDMX-ML file with the "sdmxml" reader alone (no
 * store) and prints the records, their sum and the CPU time: with
 * /usr/bin/time -v, the peak memory of reading a message of a given size
 * (bench/sdmxml_rss.sh). The file is read whole into memory first, as the
 * collector holds a payload, so peak RSS is the file plus the reader.
 *
 *   bench_sdmxml_read FILE
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "collectors/format.h"
#include "config/config.h"

struct tally {
    long n, values;
    double sum;
};

static int on_record(const struct format_record *rec, void *ctx)
{
    struct tally *t = ctx;

    t->n++;
    if (rec->value_ok) {
        t->values++;
        t->sum += rec->value;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const char source[] =
        "{\"mapping\": {\"unit_dimension\": \"REF_AREA\", \"indicator\": \"{INDICATOR}.{SEX}\"}}";
    struct config_mapping *m = NULL;
    struct format *fmt = NULL;
    struct tally t = {0};
    struct timespec a, b;
    char err[512];
    FILE *fp;
    long len;
    char *buf;
    int rc;

    if (argc != 2) {
        fprintf(stderr, "usage: bench_sdmxml_read FILE\n");
        return 2;
    }
    if (!(fp = fopen(argv[1], "rb"))) {
        perror(argv[1]);
        return 1;
    }
    if (fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0) {
        perror(argv[1]);
        fclose(fp);
        return 1;
    }
    rewind(fp);
    if (!(buf = malloc((size_t)len + 1)) || fread(buf, 1, (size_t)len, fp) != (size_t)len) {
        fprintf(stderr, "%s: cannot read\n", argv[1]);
        free(buf);
        fclose(fp);
        return 1;
    }
    fclose(fp);
    if (config_mapping_parse("sdmxml", source, &m, err, sizeof(err)) != 0 ||
        format_new(&fmt, "sdmxml", m, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        rc = 1;
        goto out;
    }
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
    rc = format_read(fmt, buf, (size_t)len, on_record, &t, err, sizeof(err));
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
    if (rc != 0) {
        fprintf(stderr, "read: %s\n", err);
        rc = 1;
        goto out;
    }
    printf("%ld bytes: %ld records, %ld values, sum %.6g, %.2f s CPU\n", len, t.n, t.values, t.sum,
           (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
out:
    format_free(&fmt);
    config_mapping_free(&m);
    free(buf);
    return rc;
}
