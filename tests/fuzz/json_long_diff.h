/*
 * json_long_diff.h - reads one payload with the "json" reader in each of its
 * ways (collectors/json_long.h: yajl only, the scanner with yajl after it,
 * the scanner alone) into a text of every record's every field, so that
 * tests/test_json_long.c and the fuzz harness fuzz_json_long.c can compare
 * them byte for byte. Static functions: include it once per program.
 */
#ifndef PARKSTAT_JSON_LONG_DIFF_H
#define PARKSTAT_JSON_LONG_DIFF_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/format.h"
#include "collectors/json_long.h"
#include "common/period.h"

/* The mappings both programs read payloads with, in an array initialiser:
 * bench/gen_pull_data.sh's; tests/data/payloads/parks_long.json's with a
 * status; the records at the root with a constant unit; a source's value
 * options. */
#define JLD_MAPPINGS                                                                               \
    "{\"mapping\": {\"records\": \"/data\", \"unit\": \"/unit\", \"indicator\": \"/indicator\", "  \
    "\"period\": \"/period\", \"value\": \"/value\"}}",                                            \
        "{\"mapping\": {\"records\": \"/data\", \"unit\": \"/park\", \"indicator\": \"/code\", "   \
        "\"period\": \"/month\", \"value\": \"/value\", \"status\": \"/status\", "                 \
        "\"status_map\": {\"P\": \"p\"}}}",                                                        \
        "{\"mapping\": {\"records\": \"\", \"unit\": {\"const\": \"p01\"}, \"indicator\": "        \
        "\"/k\", "                                                                                 \
        "\"period\": \"/p\", \"value\": \"/v\"}}",                                                 \
        "{\"mapping\": {\"records\": \"/data\", \"unit\": \"/park\", \"indicator\": \"/code\", "   \
        "\"period\": \"/month\", \"value\": \"/value\", \"decimal\": \",\", \"thousands\": "       \
        "\".\", "                                                                                  \
        "\"missing\": [\"n/a\"], \"suffixes\": {\"万\": 10000}, \"value_flags\": true}}"

/* What one read gave: its return, its message and its records as text. */
struct jld_out {
    int rc;
    char err[256];
    char *text;
    size_t len, cap;
    long n;       /* records */
    long stop_at; /* the callback stops (returns 7) at this record; 0: never */
    int failed;   /* out of memory while writing the text */
};

static void jld_put(struct jld_out *o, const char *s)
{
    size_t n = strlen(s);

    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 4096;
        while (o->len + n + 1 > cap)
            cap *= 2;
        char *t = realloc(o->text, cap);
        if (!t) {
            o->failed = 1;
            return;
        }
        o->text = t;
        o->cap = cap;
    }
    memcpy(o->text + o->len, s, n + 1);
    o->len += n;
}

/* Every field of the record, the raw text too (built on demand). */
static int jld_record(const struct format_record *r, void *ctx)
{
    struct jld_out *o = ctx;
    char line[512], period[PERIOD_TEXT_SIZE] = "";
    const char *raw = format_record_raw(r);

    if (r->period_ok)
        period_format(r->period, period, sizeof(period));
    snprintf(line, sizeof(line), "%ld|%s|%s|%s|%d|%s|%d|%d|%a|%s|%s|%d|%d|", r->position, r->unit,
             r->indicator, r->period_raw ? r->period_raw : "(null)", r->period_ok, period,
             r->missing, r->value_ok, r->value_ok ? r->value : 0.0, r->problem ? r->problem : "-",
             r->status ? r->status : "-", r->action, r->all_periods);
    jld_put(o, line);
    jld_put(o, raw ? raw : "(no raw)");
    jld_put(o, "\n");
    o->n++;
    return o->stop_at && o->n == o->stop_at ? 7 : 0;
}

static void jld_read(struct format *fmt, const char *buf, size_t len, enum format_json_how how,
                     struct jld_out *o)
{
    o->err[0] = '\0';
    o->len = 0;
    o->n = 0;
    o->failed = 0;
    jld_put(o, "");
    o->rc = format_json_read_how(fmt, buf, len, jld_record, o, o->err, sizeof(o->err), how);
}

/* 1 when a and b gave the same return, message and records. */
static int jld_same(const struct jld_out *a, const struct jld_out *b)
{
    return !a->failed && !b->failed && a->rc == b->rc && strcmp(a->err, b->err) == 0 &&
           a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
}

#endif
