/*
 * test_collect.c - pulls end to end on a real loop: file:// payloads and a
 * real HTTP server (libmicrohttpd) -> format -> validation -> store.
 */
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <microhttpd.h>
#include <sqlite3.h>
#include <uv.h>

#include "collectors/collect.h"
#include "common/timefmt.h"
#include "compute/compute.h"
#include "config/config.h"
#include "store/bookkeeping.h"
#include "store/observations.h"
#include "store/store.h"
#include "test_support.h"

struct ctx {
    char dir[64];
    struct config *cfg;
    struct store *st;
    uv_loop_t loop;
    struct collect *c;
    struct MHD_Daemon *mhd;
    unsigned short port;
    int hits;
};

/* The HTTP source: /etag.json answers 200 with an ETag, 304 when it matches. */
static const char http_payload[] =
    "{\"data\":[{\"park\":\"p01\",\"code\":\"revenue\",\"month\":\"2024-03\",\"value\":7}]}";

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *data,
                               size_t *size, void **state)
{
    struct ctx *c = cls;
    const char *inm = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-None-Match");
    int match = inm && strcmp(inm, "\"v7\"") == 0;
    struct MHD_Response *r;
    enum MHD_Result ret;
    (void)url, (void)method, (void)version, (void)data, (void)size, (void)state;

    c->hits++;
    r = MHD_create_response_from_buffer(match ? 0 : strlen(http_payload), (void *)http_payload,
                                        MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "ETag", "\"v7\"");
    ret = MHD_queue_response(conn, match ? 304 : 200, r);
    MHD_destroy_response(r);
    return ret;
}

static void write_file(const struct ctx *c, const char *name, const char *text)
{
    char path[128];
    FILE *fp;
    snprintf(path, sizeof(path), "%s/%s", c->dir, name);
    assert_non_null(fp = fopen(path, "w"));
    fputs(text, fp);
    fclose(fp);
}

static void remove_file(const struct ctx *c, const char *name)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", c->dir, name);
    unlink(path);
}

static const char config_fmt[] =
    "{\"database\": \":memory:\","
    " \"units\": [{\"id\": \"city\", \"name\": \"示例市\"},"
    "  {\"id\": \"p01\", \"name\": \"高新区\", \"parent\": \"city\"},"
    "  {\"id\": \"p02\", \"name\": \"软件园\", \"parent\": \"city\"}],"
    " \"indicators\": ["
    "  {\"code\": \"revenue\", \"name\": \"营业收入\", \"frequency\": \"M\", \"kind\": \"flow\","
    "   \"cumulative\": true},"
    "  {\"code\": \"firms\", \"name\": \"企业数\", \"frequency\": \"Q\", \"kind\": \"stock\"}],"
    " \"sources\": ["
    "  {\"id\": \"monthly\", \"url\": \"file://%s/{period}.json\", \"format\": \"json\","
    "   \"frequency\": \"M\", \"release_lag_days\": 15, \"first_period\": \"2024-01\","
    "   \"poll_every\": \"6h\", \"codes\": {\"YYSR\": \"revenue\"}, \"scale\": {\"revenue\": 0.5},"
    "   \"mapping\": {\"records\": \"/data\", \"unit\": \"/park\", \"indicator\": \"/code\","
    "                \"period\": \"/month\", \"value\": \"/value\"}},"
    "  {\"id\": \"per-park\", \"url\": \"file://%s/{unit}-{period}.json\", \"format\": \"json\","
    "   \"frequency\": \"Q\", \"first_period\": \"2024-Q1\", \"units\": \"children:city\","
    "   \"mapping\": {\"records\": \"/data\", \"unit\": \"/park\", \"indicator\": \"/code\","
    "                \"period\": \"/q\", \"value\": \"/value\"}},"
    "  {\"id\": \"http\", \"url\": \"http://127.0.0.1:%u/etag.json\", \"format\": \"json\","
    "   \"frequency\": \"M\", \"first_period\": \"2024-01\","
    "   \"mapping\": {\"records\": \"/data\", \"unit\": \"/park\", \"indicator\": \"/code\","
    "                \"period\": \"/month\", \"value\": \"/value\"}},"
    /* a monthly source whose URL asks for a quarter: no request can start */
    "  {\"id\": \"broken\", \"url\": \"file://%s/{quarter}.json\", \"format\": \"json\","
    "   \"frequency\": \"M\", \"first_period\": \"2024-01\","
    "   \"mapping\": {\"records\": \"/data\", \"unit\": \"/park\", \"indicator\": \"/code\","
    "                \"period\": \"/month\", \"value\": \"/value\"}}],"
    " \"indices\": [{\"id\": \"monitor\", \"name\": \"监测指数\", \"frequency\": \"Q\","
    "   \"units\": \"children:city\","
    "   \"method\": {\"normalise\": \"minmax\"},"
    "   \"tree\": [{\"id\": \"size\", \"weight\": 1,"
    "              \"children\": [{\"indicator\": \"revenue\", \"weight\": 1}]}]}]}";

static int setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    struct sockaddr_in sa = {.sin_family = AF_INET};
    char cfgtext[8192], err[512], *errors = NULL;

    ts_tmpdir(c->dir, sizeof(c->dir), "test_collect");
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    c->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handler, c,
                              MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_END);
    assert_non_null(c->mhd);
    c->port = MHD_get_daemon_info(c->mhd, MHD_DAEMON_INFO_BIND_PORT)->port;
    snprintf(cfgtext, sizeof(cfgtext), config_fmt, c->dir, c->dir, c->port, c->dir);
    if (config_load_buffer("test.json", c->dir, cfgtext, strlen(cfgtext), &c->cfg, &errors) < 0)
        fail_msg("config: %s", errors);
    free(errors);
    snprintf(cfgtext, sizeof(cfgtext), "%s/test.db", c->dir);
    assert_int_equal(store_open(&c->st, cfgtext, 0, err, sizeof(err)), 0);
    assert_int_equal(compute_sync_config(c->st, c->cfg), 0);
    assert_int_equal(uv_loop_init(&c->loop), 0);
    if (collect_new(&c->c, &c->loop, c->cfg, c->st, NULL, err, sizeof(err)) < 0)
        fail_msg("collect_new: %s", err);
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct ctx *c = *state;
    collect_close(&c->c);
    uv_run(&c->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&c->loop), 0);
    store_close(&c->st);
    config_free(&c->cfg);
    MHD_stop_daemon(c->mhd);
    ts_rmtree(c->dir);
    free(c);
    return 0;
}

struct outcome {
    int done;
    char outcome[32];
    char error[256];
    struct store_counts counts;
    long missing, absent;
};

static void on_pulled(const struct collect_result *r, void *ctx)
{
    struct outcome *o = ctx;
    o->done++;
    snprintf(o->outcome, sizeof(o->outcome), "%s", r->outcome);
    snprintf(o->error, sizeof(o->error), "%s", r->error ? r->error : "");
    o->counts = r->counts;
    o->missing = r->n_missing;
    o->absent = r->n_absent;
}

static struct outcome pull(struct ctx *c, const char *source, const char *period)
{
    struct outcome o = {0};
    struct period p;
    long idx = collect_source_find(c->c, source);
    assert_true(idx >= 0);
    assert_int_equal(period_parse_str(&p, period), 0);
    assert_int_equal(collect_pull(c->c, (size_t)idx, p, on_pulled, &o), 0);
    while (!o.done)
        uv_run(&c->loop, UV_RUN_ONCE);
    assert_int_equal(o.done, 1);
    assert_int_equal(collect_pending(c->c), 0);
    return o;
}

struct value {
    int n;
    double v;
    int missing;
};

static int on_obs(const struct store_obs_row *row, void *ctx)
{
    struct value *val = ctx;
    val->n++;
    val->v = row->value;
    val->missing = row->missing;
    return 0;
}

static struct value current(struct ctx *c, const char *unit, const char *ind, const char *period)
{
    struct value v = {0};
    struct store_obs_query q = {.unit = unit, .indicator = ind, .from = period, .to = period};
    assert_int_equal(store_observations(c->st, &q, on_obs, &v), 0);
    return v;
}

struct reasons {
    int n;
    char text[8][160];
};

static int on_reject(const struct store_reject_row *row, void *ctx)
{
    struct reasons *r = ctx;
    if (r->n < 8)
        snprintf(r->text[r->n], sizeof(r->text[0]), "%ld: %s", row->position, row->reason);
    r->n++;
    return 0;
}

static int has_reason(const struct reasons *r, const char *text)
{
    for (int i = 0; i < r->n && i < 8; i++)
        if (strcmp(r->text[i], text) == 0)
            return 1;
    return 0;
}

static const char march[] =
    "{\"data\":["
    "{\"park\":\"p01\",\"code\":\"YYSR\",\"month\":\"2024-03\",\"value\":21},"
    "{\"park\":\"p02\",\"code\":\"revenue\",\"month\":\"2024-03\",\"value\":\"40\"},"
    "{\"park\":\"p99\",\"code\":\"revenue\",\"month\":\"2024-03\",\"value\":1},"
    "{\"park\":\"p01\",\"code\":\"firms\",\"month\":\"2024-03\",\"value\":5},"
    "{\"park\":\"p02\",\"code\":\"revenue\",\"month\":\"2024-03\",\"value\":41},"
    "{\"park\":\"p01\",\"code\":\"tax\",\"month\":\"2024-03\",\"value\":3},"
    "{\"park\":\"p01\",\"code\":\"revenue\",\"month\":\"2024-02\",\"value\":\"-\"}]}";

static void test_pull_validates_maps_scales_and_stores(void **state)
{
    struct ctx *c = *state;
    struct reasons r = {0};
    struct outcome o;

    write_file(c, "2024-03.json", march);
    o = pull(c, "monthly", "2024-03");
    assert_string_equal(o.outcome, "partial"); /* stored, with rejects */
    assert_int_equal(o.counts.n_new, 3);       /* two values and one missing */
    assert_int_equal(o.counts.n_rejected, 4);
    assert_int_equal(o.missing, 1);
    assert_true(current(c, "p01", "revenue", "2024-03").v == 10.5); /* 21 x scale 0.5 */
    assert_true(current(c, "p02", "revenue", "2024-03").v == 20.0); /* first of the duplicates */
    /* "-" is stored as missing (NULL), never 0 */
    struct value feb = current(c, "p01", "revenue", "2024-02");
    assert_int_equal(feb.n, 1);
    assert_int_equal(feb.missing, 1);
    assert_true(isnan(feb.v));
    assert_int_equal(store_rejects(c->st, 0, "monthly", on_reject, &r), 0);
    assert_int_equal(r.n, 4);
    assert_true(has_reason(&r, "3: unknown unit \"p99\""));
    assert_true(has_reason(&r, "4: period 2024-03 is not of firms's frequency Q"));
    assert_true(has_reason(&r, "5: duplicate of record 2"));
    assert_true(has_reason(&r, "6: unknown indicator \"tax\""));
}

static void test_repull_unchanged_revised_and_absent(void **state)
{
    struct ctx *c = *state;
    struct outcome o;

    write_file(c, "2024-03.json", march);
    o = pull(c, "monthly", "2024-03");
    assert_int_equal(o.counts.n_new, 3);
    o = pull(c, "monthly", "2024-03");
    assert_string_equal(o.outcome, "partial"); /* the same 4 records rejected again */
    assert_int_equal(o.counts.n_new, 0);
    assert_int_equal(o.counts.n_unchanged, 3); /* the missing value too */
    assert_int_equal(o.absent, 0);

    /* A revision of p01 and no p02 at all: p02 is kept, and the run says so
     * (and the missing 2024-02). */
    write_file(c, "2024-03.json",
               "{\"data\":[{\"park\":\"p01\",\"code\":\"revenue\","
               "\"month\":\"2024-03\",\"value\":22}]}");
    o = pull(c, "monthly", "2024-03");
    assert_int_equal(o.counts.n_revised, 1);
    assert_int_equal(o.absent, 2);
    assert_true(current(c, "p01", "revenue", "2024-03").v == 11.0);
    assert_true(current(c, "p02", "revenue", "2024-03").v == 20.0);
}

struct health {
    long failures;
    char outcome[32];
    char error[128];
};

static int on_health(const struct store_health *h, void *ctx)
{
    struct health *out = ctx;
    if (strcmp(h->source, "monthly") == 0) {
        out->failures = h->consecutive_failures;
        snprintf(out->outcome, sizeof(out->outcome), "%s", h->last_outcome);
        snprintf(out->error, sizeof(out->error), "%s", h->last_error ? h->last_error : "");
    }
    return 0;
}

static void test_bad_payloads_fail_store_nothing_and_count_failures(void **state)
{
    struct ctx *c = *state;
    struct health h = {0};
    struct outcome o;
    long rows, cur;

    write_file(c, "2024-03.json", "{\"data\": [");
    o = pull(c, "monthly", "2024-03");
    assert_string_equal(o.outcome, "failed");
    assert_non_null(strstr(o.error, "payload: "));
    write_file(c, "2024-03.json", "");
    o = pull(c, "monthly", "2024-03");
    assert_string_equal(o.outcome, "failed");
    assert_string_equal(o.error, "payload: empty payload");
    assert_int_equal(store_count_observations(c->st, &rows, &cur), 0);
    assert_int_equal(rows, 0);
    assert_int_equal(store_health_list(c->st, on_health, &h), 0);
    assert_int_equal(h.failures, 2);
    assert_string_equal(h.outcome, "failed");

    write_file(c, "2024-03.json", march);
    o = pull(c, "monthly", "2024-03");
    assert_string_equal(o.outcome, "partial");
    assert_int_equal(store_health_list(c->st, on_health, &h), 0);
    assert_int_equal(h.failures, 0);
}

/* A payload whose every record is rejected stores nothing and is a failure
 * of the source ("rejected", not "ok"); a good one afterwards is "ok" and
 * ends the failures. */
static void test_all_rejected_is_a_failure(void **state)
{
    struct ctx *c = *state;
    struct health h = {0};
    struct outcome o;
    long rows, cur;

    write_file(c, "2024-03.json",
               "{\"data\":[{\"park\":\"p98\",\"code\":\"revenue\",\"month\":\"2024-03\","
               "\"value\":1},{\"park\":\"p01\",\"code\":\"revenue\",\"month\":\"2024-03\","
               "\"value\":\"n/a\"},{\"park\":\"p01\",\"code\":\"tax\",\"month\":\"2024-03\","
               "\"value\":2}]}");
    o = pull(c, "monthly", "2024-03");
    assert_string_equal(o.outcome, "rejected");
    assert_string_equal(o.error, "all 3 records rejected");
    assert_int_equal(o.counts.n_rejected, 3);
    assert_int_equal(o.counts.n_new + o.counts.n_revised + o.counts.n_unchanged, 0);
    assert_int_equal(store_count_observations(c->st, &rows, &cur), 0);
    assert_int_equal(rows, 0);
    o = pull(c, "monthly", "2024-03");
    assert_string_equal(o.outcome, "rejected");
    assert_int_equal(store_health_list(c->st, on_health, &h), 0);
    assert_int_equal(h.failures, 2);
    assert_string_equal(h.outcome, "rejected");
    assert_string_equal(h.error, "all 3 records rejected");

    write_file(c, "2024-03.json",
               "{\"data\":[{\"park\":\"p01\",\"code\":\"revenue\",\"month\":\"2024-03\","
               "\"value\":4}]}");
    o = pull(c, "monthly", "2024-03");
    assert_string_equal(o.outcome, "ok");
    assert_int_equal(o.counts.n_new, 1);
    assert_int_equal(store_health_list(c->st, on_health, &h), 0);
    assert_int_equal(h.failures, 0);
    assert_string_equal(h.outcome, "ok");
}

static void test_not_published_then_due_and_caught_up(void **state)
{
    struct ctx *c = *state;
    struct period due[16];
    char text[PERIOD_TEXT_SIZE];
    int64_t now;
    struct outcome o;
    long idx = collect_source_find(c->c, "monthly");
    int n;

    /* 2024-04-20 00:00 +08:00: 2024-01 .. 2024-03 are released (lag 15). */
    assert_int_equal(time_parse_iso("2024-04-20T00:00:00+08:00", &now), 0);
    now /= 1000000;
    n = collect_due(c->c, (size_t)idx, now, 8 * 3600L, due, 16);
    assert_int_equal(n, 3);
    period_format(due[0], text, sizeof(text));
    assert_string_equal(text, "2024-01");

    remove_file(c, "2024-03.json");
    o = pull(c, "monthly", "2024-03");
    assert_string_equal(o.outcome, "not_published");
    write_file(c, "2024-01.json", "{\"data\":[]}");
    o = pull(c, "monthly", "2024-01");
    assert_string_equal(o.outcome, "ok");
    /* At the real time of these pulls: 2024-01 is done and 2024-03 rests
     * until its poll interval has passed; every other month since 2024-01 is
     * due (catch-up), oldest first, 16 at a time. */
    n = collect_due(c->c, (size_t)idx, time_now_us() / 1000000, 8 * 3600L, due, 16);
    assert_int_equal(n, 16);
    period_format(due[0], text, sizeof(text));
    assert_string_equal(text, "2024-02");
    period_format(due[1], text, sizeof(text));
    assert_string_equal(text, "2024-04");
}

static void test_per_unit_source_and_partial_publication(void **state)
{
    struct ctx *c = *state;
    struct outcome o;

    write_file(c, "p01-2024-Q1.json",
               "{\"data\":[{\"park\":\"p01\",\"code\":\"firms\","
               "\"q\":\"2024-Q1\",\"value\":120}]}");
    o = pull(c, "per-park", "2024-Q1");
    assert_string_equal(o.outcome, "ok"); /* p02 not published yet: stored what is there */
    assert_int_equal(o.counts.n_new, 1);
    assert_true(current(c, "p01", "firms", "2024-Q1").v == 120.0);
    write_file(c, "p02-2024-Q1.json",
               "{\"data\":[{\"park\":\"p02\",\"code\":\"firms\","
               "\"q\":\"2024-Q1\",\"value\":80}]}");
    o = pull(c, "per-park", "2024-Q1");
    assert_int_equal(o.counts.n_new, 1);
    assert_int_equal(o.counts.n_unchanged, 1);
}

static void test_http_etag_gives_unchanged(void **state)
{
    struct ctx *c = *state;
    struct outcome o = pull(c, "http", "2024-03");
    assert_string_equal(o.outcome, "ok");
    assert_int_equal(o.counts.n_new, 1);
    o = pull(c, "http", "2024-03");
    assert_string_equal(o.outcome, "unchanged"); /* If-None-Match "v7" -> 304 */
    assert_int_equal(c->hits, 2);
    assert_true(current(c, "p01", "revenue", "2024-03").v == 7.0);
}

static void test_ingest_marks_index_periods_for_recompute(void **state)
{
    struct ctx *c = *state;
    sqlite3 *db;
    sqlite3_stmt *q;
    char path[128];

    write_file(c, "2024-03.json", march);
    pull(c, "monthly", "2024-03");
    snprintf(path, sizeof(path), "%s/test.db", c->dir);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT group_concat(index_id || ' ' || period)"
                                        " FROM recompute",
                                        -1, &q, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(q, 0), "monitor 2024-Q1");
    sqlite3_finalize(q);
    sqlite3_close(db);
}

/* A pull none of whose requests can start is still reported after
 * collect_pull() returns, on a later loop iteration, as failed. */
static void test_pull_that_cannot_start_reports_after_returning(void **state)
{
    struct ctx *c = *state;
    struct outcome o = {0}, o2 = {0};
    struct period p;
    long idx = collect_source_find(c->c, "broken");

    assert_true(idx >= 0);
    assert_int_equal(period_parse_str(&p, "2024-03"), 0);
    assert_int_equal(collect_pull(c->c, (size_t)idx, p, on_pulled, &o), 0);
    assert_int_equal(collect_pull(c->c, (size_t)idx, p, on_pulled, &o2), 0);
    assert_int_equal(o.done + o2.done, 0); /* not from inside collect_pull() */
    assert_int_equal(collect_pending(c->c), 2);
    uv_run(&c->loop, UV_RUN_NOWAIT); /* one iteration: idle, then the commit check */
    assert_int_equal(o.done, 1);
    assert_int_equal(o2.done, 1);
    assert_string_equal(o.outcome, "failed");
    assert_string_equal(o.error, "cannot build or start the request");
    assert_int_equal(collect_pending(c->c), 0);
}

/* Closing the collector reports a pull that never started, once, as
 * cancelled (as it does the pulls in flight). */
static void test_close_reports_a_pull_that_never_started(void **state)
{
    struct ctx *c = *state;
    struct outcome o = {0};
    struct period p;

    assert_int_equal(period_parse_str(&p, "2024-03"), 0);
    assert_int_equal(
        collect_pull(c->c, (size_t)collect_source_find(c->c, "broken"), p, on_pulled, &o), 0);
    assert_int_equal(o.done, 0);
    collect_close(&c->c);
    assert_int_equal(o.done, 1);
    assert_string_equal(o.outcome, "cancelled");
    uv_run(&c->loop, UV_RUN_DEFAULT);
    assert_int_equal(o.done, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pull_validates_maps_scales_and_stores, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_repull_unchanged_revised_and_absent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_payloads_fail_store_nothing_and_count_failures,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_all_rejected_is_a_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_published_then_due_and_caught_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_per_unit_source_and_partial_publication, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_http_etag_gives_unchanged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pull_that_cannot_start_reports_after_returning, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_close_reports_a_pull_that_never_started, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ingest_marks_index_periods_for_recompute, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
