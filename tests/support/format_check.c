/*
 * format_check.c - shared helpers of the payload reader tests: see
 * format_check.h for each function's contract.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "format_check.h"
#include "test_support.h"

int fc_collect(const struct format_record *r, void *ctx)
{
    struct fc_sink *s = ctx;
    struct fc_got *g;
    const char *raw;

    assert_true(s->n < sizeof(s->rec) / sizeof(s->rec[0]));
    g = &s->rec[s->n++];
    memset(g, 0, sizeof(*g));
    g->position = r->position;
    snprintf(g->unit, sizeof(g->unit), "%s", r->unit);
    snprintf(g->indicator, sizeof(g->indicator), "%s", r->indicator);
    snprintf(g->period_raw, sizeof(g->period_raw), "%s", r->period_raw);
    if (r->period_ok)
        assert_true(period_format(r->period, g->period, sizeof(g->period)) > 0);
    g->missing = r->missing;
    g->value_ok = r->value_ok;
    g->value = r->value;
    snprintf(g->problem, sizeof(g->problem), "%s", r->problem ? r->problem : "");
    g->action = r->action;
    g->all_periods = r->all_periods;
    snprintf(g->collapsed, sizeof(g->collapsed), "%s", r->collapsed ? r->collapsed : "");
    snprintf(g->unmapped, sizeof(g->unmapped), "%s", r->unmapped ? r->unmapped : "");
    for (char *u = g->unmapped; (u = strchr(u, '\x1f'));)
        *u = ';';
    if (r->status)
        assert_true(r->status[0] != '\0');
    snprintf(g->status, sizeof(g->status), "%s", r->status ? r->status : "");
    /* the collector asks only for rejects: with a mask, so does this */
    if (!s->raw_mask || (s->raw_mask & (1u << (s->n - 1)))) {
        raw = g->raw_ptr = format_record_raw(r);
        assert_ptr_equal(format_record_raw(r), raw); /* built once, then cached */
        snprintf(g->raw, sizeof(g->raw), "%s", raw ? raw : "");
    }
    if (s->stop_after && s->n == s->stop_after)
        return 7;
    return 0;
}

char *fc_load(const char *name, size_t *len)
{
    char rel[256], path[1024];
    char *buf;

    ts_data_path(path, sizeof(path), ts_path(rel, sizeof(rel), "payloads", name));
    if (!(buf = ts_read_file(path, len)))
        fail_msg("cannot read %s: %s", path, strerror(errno));
    return buf;
}

/* Builds a reader for source and reads buf; returns format_read()'s result. */
int fc_read_buf(const char *name, const char *source, const char *buf, size_t len,
                struct fc_sink *s, char *err, size_t errsize)
{
    struct format *fmt = NULL;
    struct config_mapping *m = NULL;
    int rc = config_mapping_parse(name, source, &m, err, errsize);

    if (rc != 0)
        fail_msg("config_mapping_parse: %s", err);
    if (format_new(&fmt, name, m, err, errsize) != 0)
        fail_msg("format_new: %s", err);
    rc = format_read(fmt, buf, len, fc_collect, s, err, errsize);
    format_free(&fmt);
    assert_null(fmt);
    config_mapping_free(&m);
    assert_null(m);
    return rc;
}

int fc_read_str(const char *name, const char *source, const char *text, struct fc_sink *s,
                char *err, size_t errsize)
{
    return fc_read_buf(name, source, text, strlen(text), s, err, errsize);
}

int fc_read_file(const char *name, const char *source, const char *file, struct fc_sink *s,
                 char *err, size_t errsize)
{
    size_t len;
    char *buf = fc_load(file, &len);
    int rc = fc_read_buf(name, source, buf, len, s, err, errsize);

    free(buf);
    return rc;
}

void fc_check_records(const struct fc_sink *s, const struct fc_want *w, size_t n)
{
    assert_int_equal(s->n, n);
    for (size_t i = 0; i < n; i++) {
        const struct fc_got *g = &s->rec[i];
        if (g->position != w[i].position || strcmp(g->unit, w[i].unit) != 0 ||
            strcmp(g->indicator, w[i].indicator) != 0 || strcmp(g->period, w[i].period) != 0 ||
            g->missing != w[i].missing || g->value_ok != w[i].value_ok)
            fail_msg("record %zu: got pos %ld unit '%s' ind '%s' period '%s' missing %d ok %d "
                     "(problem '%s')",
                     i, g->position, g->unit, g->indicator, g->period, g->missing, g->value_ok,
                     g->problem);
        if (w[i].value_ok)
            assert_float_equal(g->value, w[i].value, 1e-9);
        if (!w[i].problem && g->problem[0])
            fail_msg("record %zu: unexpected problem '%s'", i, g->problem);
        if (w[i].problem && !strstr(g->problem, w[i].problem))
            fail_msg("record %zu: problem '%s' lacks '%s'", i, g->problem, w[i].problem);
    }
}

/* Expects config_mapping_parse() to refuse source with a message containing text. */
void fc_expect_config_error(const char *name, const char *source, const char *text)
{
    struct config_mapping *m = NULL;
    char err[512] = "";

    assert_int_equal(config_mapping_parse(name, source, &m, err, sizeof(err)), -EINVAL);
    assert_null(m);
    if (!strstr(err, text))
        fail_msg("error '%s' lacks '%s'", err, text);
}

/* Expects reading text to fail with -EBADMSG and a message containing msg. */
void fc_expect_bad_payload(const char *name, const char *source, const char *text, const char *msg)
{
    struct fc_sink s = {0};
    char err[256] = "";

    assert_int_equal(fc_read_str(name, source, text, &s, err, sizeof(err)), -EBADMSG);
    if (!strstr(err, msg))
        fail_msg("error '%s' lacks '%s'", err, msg);
}
