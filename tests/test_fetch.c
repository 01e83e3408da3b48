/*
 * test_fetch.c - collectors/fetch on a real libuv loop against a real HTTP
 * server (libmicrohttpd on 127.0.0.1, thread per connection) and file:// URLs.
 */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <microhttpd.h>
#include <uv.h>

#include "collectors/fetch.h"

struct server {
    struct MHD_Daemon *mhd;
    unsigned short port;
    atomic_int hits_500, hits_flaky, hits_429, active, max_active;
    atomic_int gate_open; /* /gated answers once the test sets it (5 s at most) */
};

static struct server srv;

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *body,
                             const char *hname, const char *hvalue)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    if (hname)
        MHD_add_response_header(r, hname, hvalue);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* The slow drip: one byte every 50 ms, 40 bytes. */
static ssize_t drip(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)cls;
    (void)max;
    if (pos >= 40)
        return MHD_CONTENT_READER_END_OF_STREAM;
    usleep(50000);
    buf[0] = 'x';
    return 1;
}

static enum MHD_Result serve_delay(struct MHD_Connection *c)
{
    int now = atomic_fetch_add(&srv.active, 1) + 1;
    int prev = atomic_load(&srv.max_active);
    while (now > prev && !atomic_compare_exchange_weak(&srv.max_active, &prev, now))
        ;
    usleep(100000);
    atomic_fetch_sub(&srv.active, 1);
    return reply(c, 200, "late", NULL, NULL);
}

/* Holds the request until the test opens the gate; a 503 after 5 s without. */
static enum MHD_Result serve_gated(struct MHD_Connection *c)
{
    int now = atomic_fetch_add(&srv.active, 1) + 1;
    int prev = atomic_load(&srv.max_active);
    while (now > prev && !atomic_compare_exchange_weak(&srv.max_active, &prev, now))
        ;
    for (int ms = 0; ms < 5000 && !atomic_load(&srv.gate_open); ms++)
        usleep(1000);
    int open = atomic_load(&srv.gate_open);
    atomic_fetch_sub(&srv.active, 1);
    return open ? reply(c, 200, "let go", NULL, NULL) : reply(c, 503, "gate shut", NULL, NULL);
}

static enum MHD_Result serve_big(struct MHD_Connection *c)
{
    static char big[200001];
    memset(big, 'b', sizeof(big) - 1);
    return reply(c, 200, big, NULL, NULL);
}

static enum MHD_Result serve_auth(struct MHD_Connection *c)
{
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    const char *ua = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "User-Agent");
    if (!auth || strcmp(auth, "Bearer s3cret") != 0)
        return reply(c, 401, "no", NULL, NULL);
    return reply(c, 200, ua ? ua : "", NULL, NULL);
}

static enum MHD_Result serve_ok(struct MHD_Connection *c)
{
    const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match");
    if (inm && strcmp(inm, "\"v1\"") == 0)
        return reply(c, 304, "", "ETag", "\"v1\"");
    return reply(c, 200, "hello", "ETag", "\"v1\"");
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *data,
                               size_t *size, void **state)
{
    (void)cls, (void)method, (void)version, (void)data, (void)size, (void)state;
    if (strcmp(url, "/ok") == 0)
        return serve_ok(c);
    if (strcmp(url, "/fail500") == 0) {
        atomic_fetch_add(&srv.hits_500, 1);
        return reply(c, 500, "boom", NULL, NULL);
    }
    if (strcmp(url, "/flaky") == 0)
        return atomic_fetch_add(&srv.hits_flaky, 1) < 2 ? reply(c, 503, "later", NULL, NULL)
                                                        : reply(c, 200, "finally", NULL, NULL);
    if (strcmp(url, "/ratelimit") == 0)
        return atomic_fetch_add(&srv.hits_429, 1) == 0
                   ? reply(c, 429, "slow down", "Retry-After", "1")
                   : reply(c, 200, "thanks", NULL, NULL);
    if (strcmp(url, "/forbidden") == 0)
        return reply(c, 403, "no", NULL, NULL);
    if (strcmp(url, "/big") == 0)
        return serve_big(c);
    if (strcmp(url, "/delay") == 0)
        return serve_delay(c);
    if (strcmp(url, "/gated") == 0)
        return serve_gated(c);
    if (strcmp(url, "/auth") == 0)
        return serve_auth(c);
    if (strcmp(url, "/slow") == 0) {
        struct MHD_Response *r = MHD_create_response_from_callback(40, 1, drip, NULL, NULL);
        enum MHD_Result ret = MHD_queue_response(c, 200, r);
        MHD_destroy_response(r);
        return ret;
    }
    return reply(c, 404, "not here", NULL, NULL);
}

/* Zeroes the server's counters, so each test sees only its own requests. */
static int reset_counters(void **state)
{
    (void)state;
    atomic_store(&srv.hits_500, 0);
    atomic_store(&srv.hits_flaky, 0);
    atomic_store(&srv.hits_429, 0);
    atomic_store(&srv.active, 0);
    atomic_store(&srv.max_active, 0);
    atomic_store(&srv.gate_open, 0);
    return 0;
}

static int server_start(void **state)
{
    struct sockaddr_in sa = {0};
    (void)state;
    memset(&srv, 0, sizeof(srv));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    srv.mhd =
        MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL,
                         NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_END);
    if (!srv.mhd)
        return -1;
    srv.port = MHD_get_daemon_info(srv.mhd, MHD_DAEMON_INFO_BIND_PORT)->port;
    return 0;
}

static int server_stop(void **state)
{
    (void)state;
    MHD_stop_daemon(srv.mhd);
    return 0;
}

/* One finished transfer, copied out of the callback. */
struct got {
    int done;
    enum fetch_outcome outcome;
    long status;
    int attempts;
    double duration_s;
    char body[256];
    char etag[64];
    char error[256];
};

static void on_done(const struct fetch_result *res, void *ctx)
{
    struct got *g = ctx;
    g->done++;
    g->outcome = res->outcome;
    g->status = res->http_status;
    g->attempts = res->attempts;
    g->duration_s = res->duration_s;
    snprintf(g->body, sizeof(g->body), "%.*s", (int)(res->len < 255 ? res->len : 255), res->body);
    snprintf(g->etag, sizeof(g->etag), "%s", res->etag ? res->etag : "");
    snprintf(g->error, sizeof(g->error), "%s", res->error ? res->error : "");
}

static void url_for(char *buf, size_t size, const char *path)
{
    snprintf(buf, size, "http://127.0.0.1:%u%s", srv.port, path);
}

/* Runs one request to completion on a fresh loop and closes everything. */
static void fetch_one(struct fetch_request *req, struct got *g)
{
    uv_loop_t loop;
    struct fetch *f;

    memset(g, 0, sizeof(*g));
    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(fetch_new(&f, &loop, NULL), 0);
    assert_int_equal(fetch_start(f, req, on_done, g), 0);
    assert_int_equal(g->done, 0); /* never called from inside fetch_start */
    while (!g->done)
        uv_run(&loop, UV_RUN_ONCE);
    assert_int_equal(fetch_pending(f), 0);
    fetch_close(&f);
    assert_null(f);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    assert_int_equal(g->done, 1);
}

static void test_fetch_ok_then_not_modified_with_etag(void **state)
{
    char url[128];
    struct fetch_request req = {0};
    struct got g;
    (void)state;

    url_for(url, sizeof(url), "/ok");
    req.url = url;
    fetch_one(&req, &g);
    assert_int_equal(g.outcome, FETCH_OK);
    assert_int_equal(g.status, 200);
    assert_string_equal(g.body, "hello");
    assert_string_equal(g.etag, "\"v1\"");
    assert_int_equal(g.attempts, 1);

    req.etag = "\"v1\"";
    fetch_one(&req, &g);
    assert_int_equal(g.outcome, FETCH_NOT_MODIFIED);
    assert_int_equal(g.status, 304);
}

static void test_fetch_404_is_not_published(void **state)
{
    char url[128];
    struct fetch_request req = {.max_retries = 3, .backoff_base_ms = 10};
    struct got g;
    (void)state;

    url_for(url, sizeof(url), "/2099-01.json");
    req.url = url;
    fetch_one(&req, &g);
    assert_int_equal(g.outcome, FETCH_NOT_PUBLISHED);
    assert_int_equal(g.status, 404);
    assert_int_equal(g.attempts, 1); /* 404 is an answer, not a fault: no retry */
}

static void test_fetch_500_retries_then_fails(void **state)
{
    char url[128];
    struct fetch_request req = {.max_retries = 2, .backoff_base_ms = 10};
    struct got g;
    (void)state;

    url_for(url, sizeof(url), "/fail500");
    req.url = url;
    fetch_one(&req, &g);
    assert_int_equal(g.outcome, FETCH_FAILED);
    assert_int_equal(g.status, 500);
    assert_int_equal(g.attempts, 3);
    assert_int_equal(atomic_load(&srv.hits_500), 3);
    assert_string_equal(g.error, "HTTP 500");
}

static void test_fetch_503_twice_then_ok(void **state)
{
    char url[128];
    struct fetch_request req = {.max_retries = 3, .backoff_base_ms = 10};
    struct got g;
    (void)state;

    url_for(url, sizeof(url), "/flaky");
    req.url = url;
    fetch_one(&req, &g);
    assert_int_equal(g.outcome, FETCH_OK);
    assert_int_equal(g.attempts, 3);
    assert_string_equal(g.body, "finally");
}

static void test_fetch_429_honours_retry_after(void **state)
{
    char url[128];
    struct fetch_request req = {.max_retries = 1, .backoff_base_ms = 10};
    struct got g;
    (void)state;

    url_for(url, sizeof(url), "/ratelimit");
    req.url = url;
    fetch_one(&req, &g);
    assert_int_equal(g.outcome, FETCH_OK);
    assert_int_equal(g.attempts, 2);
    assert_true(g.duration_s >= 0.95); /* Retry-After: 1, not the 10 ms backoff */
    assert_string_equal(g.body, "thanks");
}

static void test_fetch_403_fails_without_retry(void **state)
{
    char url[128];
    struct fetch_request req = {.max_retries = 3, .backoff_base_ms = 10};
    struct got g;
    (void)state;

    url_for(url, sizeof(url), "/forbidden");
    req.url = url;
    fetch_one(&req, &g);
    assert_int_equal(g.outcome, FETCH_FAILED);
    assert_int_equal(g.status, 403);
    assert_int_equal(g.attempts, 1);
}

static void test_fetch_body_over_limit_is_aborted(void **state)
{
    char url[128];
    struct fetch_request req = {.max_bytes = 65536, .max_retries = 2};
    struct got g;
    (void)state;

    url_for(url, sizeof(url), "/big");
    req.url = url;
    fetch_one(&req, &g);
    assert_int_equal(g.outcome, FETCH_FAILED);
    assert_non_null(strstr(g.error, "max_bytes (65536)"));
    assert_int_equal(g.attempts, 1);
}

static void test_fetch_slow_drip_times_out(void **state)
{
    char url[128];
    struct fetch_request req = {.timeout_ms = 300};
    struct got g;
    (void)state;

    url_for(url, sizeof(url), "/slow");
    req.url = url;
    fetch_one(&req, &g);
    assert_int_equal(g.outcome, FETCH_FAILED);
    assert_non_null(strstr(g.error, "imed out")); /* the whole drip would have been ok */
}

static void test_fetch_bearer_token_and_user_agent(void **state)
{
    char url[128], expect[64];
    struct fetch_request req = {.bearer_token = "s3cret"};
    struct got g;
    (void)state;

    url_for(url, sizeof(url), "/auth");
    req.url = url;
    fetch_one(&req, &g);
    assert_int_equal(g.outcome, FETCH_OK);
    snprintf(expect, sizeof(expect), "parkstat/%s", PARKSTAT_VERSION);
    assert_string_equal(g.body, expect);

    req.bearer_token = "wrong";
    fetch_one(&req, &g);
    assert_int_equal(g.outcome, FETCH_FAILED);
    assert_int_equal(g.status, 401);
}

/* Runs req to completion on f (a fetcher kept across requests). */
static void fetch_on(uv_loop_t *loop, struct fetch *f, struct fetch_request *req, struct got *g)
{
    memset(g, 0, sizeof(*g));
    assert_int_equal(fetch_start(f, req, on_done, g), 0);
    while (!g->done)
        uv_run(loop, UV_RUN_ONCE);
    assert_int_equal(g->done, 1);
}

/* One fetcher, one request after the other: each takes the easy handle the
 * one before gave back (reset), and nothing of that one's request stays on
 * it: no bearer token, no If-None-Match header. */
static void test_fetch_reused_handle_keeps_nothing(void **state)
{
    char auth[128], ok[128];
    struct fetch_request req = {0};
    struct got g;
    uv_loop_t loop;
    struct fetch *f;
    (void)state;

    url_for(auth, sizeof(auth), "/auth");
    url_for(ok, sizeof(ok), "/ok");
    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(fetch_new(&f, &loop, NULL), 0);
    req = (struct fetch_request){.url = auth, .bearer_token = "s3cret"};
    fetch_on(&loop, f, &req, &g);
    assert_int_equal(g.status, 200);
    req = (struct fetch_request){.url = auth};
    fetch_on(&loop, f, &req, &g);
    assert_int_equal(g.outcome, FETCH_FAILED);
    assert_int_equal(g.status, 401);
    req = (struct fetch_request){.url = ok, .etag = "\"v1\""};
    fetch_on(&loop, f, &req, &g);
    assert_int_equal(g.outcome, FETCH_NOT_MODIFIED);
    req = (struct fetch_request){.url = ok};
    fetch_on(&loop, f, &req, &g);
    assert_int_equal(g.outcome, FETCH_OK);
    assert_string_equal(g.body, "hello");
    fetch_close(&f);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_fetch_file_url_and_missing_file(void **state)
{
    char path[] = "/tmp/parkstat-fetch-XXXXXX", url[128];
    struct fetch_request req = {0};
    struct got g;
    int fd = mkstemp(path);
    (void)state;

    assert_true(fd >= 0);
    assert_int_equal(write(fd, "unit,value\n", 11), 11);
    close(fd);
    snprintf(url, sizeof(url), "file://%s", path);
    req.url = url;
    fetch_one(&req, &g);
    assert_int_equal(g.outcome, FETCH_OK);
    assert_string_equal(g.body, "unit,value\n");
    unlink(path);
    fetch_one(&req, &g);
    assert_int_equal(g.outcome, FETCH_NOT_PUBLISHED);
}

/* The loop never waits on a transfer, and the per-host cap holds: the
 * server holds the 4 transfers the cap lets in and lets them go only after
 * a 10 ms timer on the loop has fired 3 times while it held all 4 (a loop
 * stalled in a transfer would never fire it, and the held transfers would
 * end in 503 after 5 s). The server never sees more than 4 at once. */
struct ticker {
    uv_timer_t timer;
    int ticks_while_held;
};

static void on_tick(uv_timer_t *h)
{
    struct ticker *tk = (struct ticker *)h;
    if (atomic_load(&srv.active) == 4 && ++tk->ticks_while_held == 3)
        atomic_store(&srv.gate_open, 1);
}

static void test_fetch_caps_and_loop_never_stalls(void **state)
{
    uv_loop_t loop;
    struct fetch *f;
    struct fetch_limits lim = {.max_connections = 8, .max_host_connections = 4};
    struct fetch_request req = {0};
    struct got g[16];
    struct ticker tk = {0};
    char url[128];
    int done;
    (void)state;

    url_for(url, sizeof(url), "/gated");
    req.url = url;
    memset(g, 0, sizeof(g));
    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(fetch_new(&f, &loop, &lim), 0);
    uv_timer_init(&loop, &tk.timer);
    uv_timer_start(&tk.timer, on_tick, 10, 10);
    for (int i = 0; i < 16; i++)
        assert_int_equal(fetch_start(f, &req, on_done, &g[i]), 0);
    do {
        uv_run(&loop, UV_RUN_ONCE);
        done = 0;
        for (int i = 0; i < 16; i++)
            done += g[i].done;
    } while (done < 16);
    for (int i = 0; i < 16; i++) {
        assert_int_equal(g[i].outcome, FETCH_OK);
        assert_string_equal(g[i].body, "let go");
    }
    assert_int_equal(atomic_load(&srv.max_active), 4);
    assert_true(tk.ticks_while_held >= 3);
    uv_close((uv_handle_t *)&tk.timer, NULL);
    fetch_close(&f);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* 24 transfers of 100 ms through 2 connections take 1.2 s, but each has a
 * 500 ms timeout: they only pass because a transfer's clock starts when it
 * gets a place, not while it waits in the queue. */
static void test_fetch_queue_keeps_timeouts_for_the_transfer(void **state)
{
    uv_loop_t loop;
    struct fetch *f;
    struct fetch_limits lim = {.max_connections = 2, .max_host_connections = 2};
    struct fetch_request req = {.timeout_ms = 500};
    struct got g[24];
    char url[128];
    int done;
    (void)state;

    url_for(url, sizeof(url), "/delay");
    req.url = url;
    memset(g, 0, sizeof(g));
    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(fetch_new(&f, &loop, &lim), 0);
    for (int i = 0; i < 24; i++)
        assert_int_equal(fetch_start(f, &req, on_done, &g[i]), 0);
    assert_int_equal(fetch_pending(f), 24);
    do {
        uv_run(&loop, UV_RUN_ONCE);
        done = 0;
        for (int i = 0; i < 24; i++)
            done += g[i].done;
    } while (done < 24);
    for (int i = 0; i < 24; i++)
        assert_int_equal(g[i].outcome, FETCH_OK);
    assert_true(atomic_load(&srv.max_active) <= 2);
    fetch_close(&f);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* Held, nothing starts; released, everything queued is fetched. */
static void test_fetch_hold_keeps_transfers_queued(void **state)
{
    uv_loop_t loop;
    struct fetch *f;
    struct fetch_request req = {.timeout_ms = 5000};
    struct got g[4];
    char url[128];
    int done = 0;
    (void)state;

    url_for(url, sizeof(url), "/ok");
    req.url = url;
    memset(g, 0, sizeof(g));
    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(fetch_new(&f, &loop, NULL), 0);
    fetch_hold(f, 1);
    for (int i = 0; i < 4; i++)
        assert_int_equal(fetch_start(f, &req, on_done, &g[i]), 0);
    for (int i = 0; i < 20; i++) /* 200 ms of loop: nothing may finish */
        uv_run(&loop, UV_RUN_NOWAIT), usleep(10 * 1000);
    for (int i = 0; i < 4; i++)
        assert_int_equal(g[i].done, 0);
    assert_int_equal(fetch_pending(f), 4);
    fetch_hold(f, 0);
    while (done < 4) {
        uv_run(&loop, UV_RUN_ONCE);
        done = 0;
        for (int i = 0; i < 4; i++)
            done += g[i].done;
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal(g[i].outcome, FETCH_OK);
    fetch_close(&f);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_fetch_close_cancels_pending(void **state)
{
    uv_loop_t loop;
    struct fetch *f;
    struct fetch_request req = {0};
    struct got g[3];
    char url[128];
    (void)state;

    url_for(url, sizeof(url), "/slow");
    req.url = url;
    memset(g, 0, sizeof(g));
    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(fetch_new(&f, &loop, NULL), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(fetch_start(f, &req, on_done, &g[i]), 0);
    uv_run(&loop, UV_RUN_NOWAIT);
    fetch_close(&f);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(g[i].done, 1);
        assert_int_equal(g[i].outcome, FETCH_CANCELLED);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* One server for all tests (it keeps nothing but the counters, reset per test). */
#define T(fn) cmocka_unit_test_setup(fn, reset_counters)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_fetch_ok_then_not_modified_with_etag),
        T(test_fetch_404_is_not_published),
        T(test_fetch_500_retries_then_fails),
        T(test_fetch_503_twice_then_ok),
        T(test_fetch_429_honours_retry_after),
        T(test_fetch_403_fails_without_retry),
        T(test_fetch_body_over_limit_is_aborted),
        T(test_fetch_slow_drip_times_out),
        T(test_fetch_bearer_token_and_user_agent),
        T(test_fetch_reused_handle_keeps_nothing),
        T(test_fetch_file_url_and_missing_file),
        T(test_fetch_caps_and_loop_never_stalls),
        T(test_fetch_queue_keeps_timeouts_for_the_transfer),
        T(test_fetch_hold_keeps_transfers_queued),
        T(test_fetch_close_cancels_pending),
    };
    return cmocka_run_group_tests(tests, server_start, server_stop);
}
