/*
 * test_api.c - the HTTP API end to end: real requests with libcurl against
 * api_start() on 127.0.0.1 (port 0) over a temporary database filled through
 * the store API (result rows through store_results_start/send/finish, as
 * the recompute step writes them).
 *
 * Data: units city > p01, p02; indicators rev (M), emp (Q), pat (Y). Run 1 at
 * 2024-01-10: p01 rev 2023-12 = 100.5, p02 rev 2023-12 = 80, p01 emp 2023-Q4
 * = 1200, p01 pat 1990..2019 = year - 1900. Run 2 at 2024-02-10 revises
 * p01 rev 2023-12 to 101.25 and rejects one record. Index "innov": 2023-Q3
 * and 2023-Q4 results and two contributions. Each test gets this afresh
 * (its own database and server), so none depends on another or on order.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "api/api.h"
#include "api/api_priv.h"
#include "common/exec.h"
#include "config/config.h"
#include "common/metrics.h"
#include "common/timefmt.h"
#include "store/bookkeeping.h"
#include "store/checks.h"
#include "store/observations.h"
#include "store/results.h"
#include "store/store.h"
#include "test_support.h"

#define T_JAN10 INT64_C(1704844800000000) /* 2024-01-10T00:00:00Z */
#define T_FEB10 INT64_C(1707523200000000) /* 2024-02-10T00:00:00Z */
#define T_MAR01 INT64_C(1709251200000000) /* 2024-03-01T00:00:00Z */

struct fixture {
    char dir[64];
    char path[96];
    struct store *st;
    struct api *api;
    struct metrics *metrics;
    unsigned port;
    pthread_mutex_t mu; /* guards the hook record and the gate below */
    int n_pull, n_recompute;
    char pull_source[64], pull_period[16];
    pthread_cond_t gate_cv; /* a pull of source "slow" waits in its hook for the test */
    int slow_entered, slow_released;
    struct exec exec;              /* the owner's executor the API runs its workers on */
    int exec_started, exec_waited; /* its tasks, under mu */
};

/* Each test's own: setup() makes it afresh, teardown() removes it. */
static struct fixture fx;

/* ---- the executor: threads, counting what the API starts on it ---- */

static int counting_start(const struct exec *ex, void (*fn)(void *arg), void *arg,
                          struct exec_task **task)
{
    struct exec threads;
    (void)ex;
    exec_threads_init(&threads);
    int rc = exec_start(&threads, fn, arg, task);
    pthread_mutex_lock(&fx.mu);
    fx.exec_started += rc == 0;
    pthread_mutex_unlock(&fx.mu);
    return rc;
}

static void counting_wait(const struct exec *ex, struct exec_task *task)
{
    struct exec threads;
    (void)ex;
    exec_threads_init(&threads);
    exec_wait(&threads, task);
    pthread_mutex_lock(&fx.mu);
    fx.exec_waited++;
    pthread_mutex_unlock(&fx.mu);
}

/* ---- admin hooks ---- */

/* Source "slow" stays in the hook until the test calls slow_release(). */
static int hook_pull(void *ctx, const char *source, const char *period)
{
    struct fixture *f = ctx;
    if (strcmp(source, "slow") == 0) {
        pthread_mutex_lock(&f->mu);
        f->slow_entered = 1;
        pthread_cond_broadcast(&f->gate_cv);
        while (!f->slow_released)
            pthread_cond_wait(&f->gate_cv, &f->mu);
        pthread_mutex_unlock(&f->mu);
    }
    if (strcmp(source, "nope") == 0)
        return -ENOENT;
    pthread_mutex_lock(&f->mu);
    f->n_pull++;
    snprintf(f->pull_source, sizeof(f->pull_source), "%s", source);
    snprintf(f->pull_period, sizeof(f->pull_period), "%s", period ? period : "(null)");
    pthread_mutex_unlock(&f->mu);
    return 0;
}

static int hook_recompute(void *ctx)
{
    struct fixture *f = ctx;
    pthread_mutex_lock(&f->mu);
    f->n_recompute++;
    pthread_mutex_unlock(&f->mu);
    return 0;
}

/* Waits (10 s at most, then fails) until a "slow" pull is in its hook. */
static void slow_wait_entered(void)
{
    struct timespec until;
    int rc = 0;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    pthread_mutex_lock(&fx.mu);
    while (!fx.slow_entered && rc == 0)
        rc = pthread_cond_timedwait(&fx.gate_cv, &fx.mu, &until);
    int entered = fx.slow_entered;
    pthread_mutex_unlock(&fx.mu);
    if (!entered)
        fail_msg("the slow pull never reached its hook");
}

/* Lets the "slow" pull (and any later one) leave its hook. */
static void slow_release(void)
{
    pthread_mutex_lock(&fx.mu);
    fx.slow_released = 1;
    pthread_cond_broadcast(&fx.gate_cv);
    pthread_mutex_unlock(&fx.mu);
}

/* ---- HTTP client ---- */

struct resp {
    long code;
    char *body;
    size_t len;
    char headers[8192];
    size_t hlen;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    struct resp *r = arg;
    char *b = realloc(r->body, r->len + size * n + 1);
    assert_non_null(b);
    memcpy(b + r->len, p, size * n);
    r->len += size * n;
    b[r->len] = '\0';
    r->body = b;
    return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    struct resp *r = arg;
    size_t k = size * n;
    if (r->hlen + k < sizeof(r->headers)) {
        memcpy(r->headers + r->hlen, p, k);
        r->hlen += k;
        r->headers[r->hlen] = '\0';
    }
    return k;
}

/* The value of header name in r (last occurrence), or "" when absent. */
static const char *header(struct resp *r, const char *name, char *buf, size_t size)
{
    size_t nlen = strlen(name);
    buf[0] = '\0';
    for (const char *line = r->headers; line && *line; line = strchr(line, '\n')) {
        if (*line == '\n')
            line++;
        if (strncasecmp(line, name, nlen) == 0 && line[nlen] == ':') {
            const char *v = line + nlen + 1 + strspn(line + nlen + 1, " ");
            snprintf(buf, size, "%.*s", (int)strcspn(v, "\r\n"), v);
        }
    }
    return buf;
}

/* Sends method path with optional extra header lines and Accept-Encoding. */
static void http(const char *method, const char *path, const char *hdr1, const char *hdr2,
                 const char *encoding, struct resp *r)
{
    char url[128 * 1024];
    struct curl_slist *h = NULL;
    CURL *c = curl_easy_init();

    memset(r, 0, sizeof(*r));
    assert_non_null(c);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", fx.port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (strcmp(method, "POST") == 0)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    if (hdr1)
        h = curl_slist_append(h, hdr1);
    if (hdr2)
        h = curl_slist_append(h, hdr2);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (encoding)
        curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, encoding);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK)
        fail_msg("%s %.80s: %s", method, path, curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->code);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (!r->body)
        r->body = calloc(1, 1);
}

static void get(const char *path, struct resp *r)
{
    http("GET", path, NULL, NULL, NULL, r);
}

/* The "data" member of an ok envelope (a new reference). */
static json_t *data_of(struct resp *r)
{
    json_error_t err;
    json_t *root = json_loads(r->body, 0, &err);
    if (!root)
        fail_msg("not JSON (%s): %.200s", err.text, r->body);
    assert_string_equal(json_string_value(json_object_get(root, "status")), "ok");
    json_t *data = json_incref(json_object_get(root, "data"));
    json_decref(root);
    return data;
}

/* ---- fixture ---- */

static void ingest(int64_t run, int64_t now, const char *unit, const char *ind, const char *per,
                   double v)
{
    struct store_obs o = {.unit_id = store_unit_id(fx.st, unit, strlen(unit)),
                          .indicator_id = store_indicator_id(fx.st, ind, strlen(ind)),
                          .value = v};
    assert_int_equal(period_parse_str(&o.period, per), 0);
    assert_int_equal(store_ingest(fx.st, run, now, &o, 1, NULL, 0, NULL), 0);
}

static void seed_observations(void)
{
    struct store_counts counts = {0};
    struct store_reject rej = {7, "p03,rev,2023-12,5", "unknown unit \"p03\""};
    int64_t run1, run2;

    assert_int_equal(store_run_begin(fx.st, "import:a.csv", NULL, T_JAN10, &run1), 0);
    ingest(run1, T_JAN10, "p01", "rev", "2023-12", 100.5);
    ingest(run1, T_JAN10, "p02", "rev", "2023-12", 80);
    ingest(run1, T_JAN10, "p01", "emp", "2023-Q4", 1200);
    for (int y = 1990; y < 2020; y++) {
        char per[8];
        snprintf(per, sizeof(per), "%d", y);
        ingest(run1, T_JAN10, "p01", "pat", per, y - 1900);
    }
    assert_int_equal(store_run_end(fx.st, run1, T_JAN10 + 1000000, "ok", &counts, NULL), 0);
    assert_int_equal(store_run_begin(fx.st, "nbs", "2023-12", T_FEB10, &run2), 0);
    ingest(run2, T_FEB10, "p01", "rev", "2023-12", 101.25);
    assert_int_equal(store_ingest(fx.st, run2, T_FEB10, NULL, 0, &rej, 1, NULL), 0);
    assert_int_equal(store_run_end(fx.st, run2, T_FEB10 + 2000000, "ok", &counts, NULL), 0);

    struct store_health h = {.source = "nbs",
                             .last_attempt = T_FEB10,
                             .last_success = T_FEB10,
                             .last_outcome = "ok",
                             .last_status = 200,
                             .last_duration_s = 1.5,
                             .last_bytes = 2048,
                             .last_counts = {0, 1, 0, 1}};
    assert_int_equal(store_health_record(fx.st, &h), 0);
}

/* Result rows as the recompute step writes them (one results stream):
 * 2023-Q4 with the total, dimension "growth" and, for p01, contributions;
 * 2023-Q3 with the total only. */
static void seed_results(void)
{
    static const char *const nodes[] = {"growth"}, *const leaves[] = {"rev", "emp"};
    static const double n01[] = {70, 1, NAN, 0}, n02[] = {65, 2, NAN, 0}, c01[] = {3.5, -1.25};
    int64_t p01 = store_unit_id(fx.st, "p01", 3), p02 = store_unit_id(fx.st, "p02", 3);
    const struct store_index_layout lay = {"innov", nodes, 1, leaves, 2};
    const struct store_result res[] = {
        {"innov", p01, "2023-Q3", 60, 2, NAN, 0, NULL, 0, NULL, 0},
        {"innov", p02, "2023-Q3", 65, 1, NAN, 0, NULL, 0, NULL, 0},
        {"innov", p01, "2023-Q4", 72.5, 1, 1, 0, n01, 1, c01, 2},
        {"innov", p02, "2023-Q4", 61.25, 2, -1, 2, n02, 1, NULL, 0},
    };
    const struct store_index_weight wts[] = {
        {"innov", "2023-Q4", "growth", "rev", 0.625, 0},
        {"innov", "2023-Q4", "growth", "emp", 0.375, 0},
        {"innov", "2023-Q3", "growth", "rev", 0.5, 1024},
        {"innov", "2023-Q3", "growth", "emp", 0.5, 1024},
    };
    const struct store_results_batch b = {.layouts = &lay,
                                          .nlayouts = 1,
                                          .results = res,
                                          .nresults = 4,
                                          .weights = wts,
                                          .nweights = 4,
                                          .computed_at = T_MAR01};
    struct store_results_stream *s;
    assert_int_equal(store_results_start(fx.st, NULL, &s), 0);
    assert_int_equal(store_results_send(s, &b), 0);
    assert_int_equal(store_results_finish(&s, 1), 0);
}

/* A new database, seeded, and a server on it, for each test. */
static int setup(void **state)
{
    char err[256];
    (void)state;

    memset(&fx, 0, sizeof(fx));
    pthread_mutex_init(&fx.mu, NULL);
    pthread_cond_init(&fx.gate_cv, NULL);
    ts_tmpdir(fx.dir, sizeof(fx.dir), "test_api");
    ts_path(fx.path, sizeof(fx.path), fx.dir, "ps.db");
    assert_int_equal(store_open(&fx.st, fx.path, 0, err, sizeof(err)), 0);
    assert_int_equal(store_upsert_unit(fx.st, "city", "City", NULL), 0);
    assert_int_equal(store_upsert_unit(fx.st, "p01", "Park 1", "city"), 0);
    assert_int_equal(store_upsert_unit(fx.st, "p02", "Park 2", "city"), 0);
    assert_int_equal(store_upsert_indicator(fx.st, "rev", "Revenue", "M", "flow"), 0);
    assert_int_equal(store_upsert_indicator(fx.st, "emp", "Employees", "Q", "stock"), 0);
    assert_int_equal(store_upsert_indicator(fx.st, "pat", "Patents", "Y", "flow"), 0);
    seed_observations();
    seed_results();
    assert_int_equal(metrics_new(&fx.metrics), 0);
    fx.exec = (struct exec){counting_start, counting_wait, NULL};
    struct api_options opt = {.listen = "127.0.0.1:0",
                              .db_path = fx.path,
                              .token = "s3cret",
                              .metrics = fx.metrics,
                              .exec = &fx.exec,
                              .pull = hook_pull,
                              .recompute = hook_recompute,
                              .hook_ctx = &fx};
    if (api_start(&fx.api, &opt, err, sizeof(err)) != 0)
        fail_msg("api_start: %s", err);
    fx.port = api_port(fx.api);
    assert_true(fx.port > 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;

    slow_release(); /* a test that failed may have left a pull in the hook */
    api_stop(&fx.api);
    assert_null(fx.api);
    metrics_free(&fx.metrics);
    store_close(&fx.st);
    ts_rmtree(fx.dir);
    pthread_cond_destroy(&fx.gate_cv);
    pthread_mutex_destroy(&fx.mu);
    return 0;
}

static void resp_free(struct resp *r)
{
    free(r->body);
    r->body = NULL;
}

/* ---- tests ---- */

static void test_api_units_envelope_exact(void **state)
{
    struct resp r;
    char ct[128];
    (void)state;

    get("/api/v1/units", &r);
    assert_int_equal(r.code, 200);
    assert_string_equal(header(&r, "Content-Type", ct, sizeof(ct)), "application/json");
    assert_string_equal(
        r.body, "{\"status\":\"ok\",\"data\":["
                "{\"code\":\"city\",\"name\":\"City\",\"parent\":null,\"attributes\":null},"
                "{\"code\":\"p01\",\"name\":\"Park 1\",\"parent\":\"city\",\"attributes\":null},"
                "{\"code\":\"p02\",\"name\":\"Park 2\",\"parent\":\"city\",\"attributes\":null}],"
                "\"page\":{\"limit\":1000,\"total\":3,\"next\":null}}");
    resp_free(&r);
}

static void test_api_indicators_list(void **state)
{
    struct resp r;
    (void)state;

    get("/api/v1/indicators?format=csv", &r);
    assert_int_equal(r.code, 200);
    assert_string_equal(r.body, "code,name,measure,frequency,kind,cumulative,direction,decimals,"
                                "formula,numerator,denominator,scale\r\n"
                                "emp,Employees,,Q,stock,false,1,2,,,,\r\n"
                                "pat,Patents,,Y,flow,false,1,2,,,,\r\n"
                                "rev,Revenue,,M,flow,false,1,2,,,,\r\n");
    resp_free(&r);
}

/* The current value is the revision (101.25 since Feb 10); as of Jan 20 it
 * was 100.5, valid until Feb 10; before Jan 10 nothing was known. */
static void test_api_observations_current_and_as_of(void **state)
{
    static const struct {
        const char *query;
        double value;
        const char *valid_from, *valid_to; /* NULL: current */
    } cases[] = {
        {"", 101.25, "2024-02-10T00:00:00Z", NULL},
        {"&as_of=2024-01-20", 100.5, "2024-01-10T00:00:00Z", "2024-02-10T00:00:00Z"},
        {"&as_of=2024-02-10T00:00:00Z", 101.25, "2024-02-10T00:00:00Z", NULL},
        {"&as_of=2024-01-09", 0, NULL, NULL},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char path[256];
        struct resp r;
        snprintf(path, sizeof(path), "/api/v1/observations?unit=p01&indicator=rev%s",
                 cases[i].query);
        get(path, &r);
        assert_int_equal(r.code, 200);
        json_t *data = data_of(&r);
        if (!cases[i].valid_from) {
            assert_int_equal(json_array_size(data), 0);
        } else {
            assert_int_equal(json_array_size(data), 1);
            json_t *o = json_array_get(data, 0);
            assert_string_equal(json_string_value(json_object_get(o, "period")), "2023-12");
            assert_true(json_real_value(json_object_get(o, "value")) == cases[i].value);
            assert_string_equal(json_string_value(json_object_get(o, "valid_from")),
                                cases[i].valid_from);
            if (cases[i].valid_to)
                assert_string_equal(json_string_value(json_object_get(o, "valid_to")),
                                    cases[i].valid_to);
            else
                assert_true(json_is_null(json_object_get(o, "valid_to")));
        }
        json_decref(data);
        resp_free(&r);
    }
}

static void test_api_observations_history_csv_exact(void **state)
{
    struct resp r;
    char ct[128];
    (void)state;

    get("/api/v1/observations?unit=p01&indicator=rev&history=1&format=csv", &r);
    assert_int_equal(r.code, 200);
    assert_string_equal(header(&r, "Content-Type", ct, sizeof(ct)),
                        "text/csv; charset=utf-8; header=present");
    assert_string_equal(
        r.body, "unit,indicator,period,value,status,missing,valid_from,valid_to,run_id\r\n"
                "p01,rev,2023-12,100.5,,false,2024-01-10T00:00:00Z,2024-02-10T00:00:00Z,1\r\n"
                "p01,rev,2023-12,101.25,,false,2024-02-10T00:00:00Z,,2\r\n");
    resp_free(&r);
}

static void test_api_observations_period_range(void **state)
{
    struct resp r;
    (void)state;

    get("/api/v1/observations?indicator=pat&from=2017&to=2019&format=csv", &r);
    assert_int_equal(r.code, 200);
    assert_string_equal(r.body,
                        "unit,indicator,period,value,status,missing,valid_from,valid_to,run_id\r\n"
                        "p01,pat,2017,117,,false,2024-01-10T00:00:00Z,,1\r\n"
                        "p01,pat,2018,118,,false,2024-01-10T00:00:00Z,,1\r\n"
                        "p01,pat,2019,119,,false,2024-01-10T00:00:00Z,,1\r\n");
    resp_free(&r);
}

static void set_config(void); /* below, with the routes that read the config */

/* One observation of p02's revenue with a status (NULL: none), or missing. */
static void ingest_status(int64_t run, int64_t now, const char *per, double v, const char *status,
                          int missing)
{
    struct store_obs o = {.unit_id = store_unit_id(fx.st, "p02", 3),
                          .indicator_id = store_indicator_id(fx.st, "rev", 3),
                          .value = v,
                          .status = status,
                          .missing = missing};
    assert_int_equal(period_parse_str(&o.period, per), 0);
    assert_int_equal(store_ingest(fx.st, run, now, &o, 1, NULL, 0, NULL), 0);
}

/* The text of member key of o, "null", or "?" for another type. */
static const char *member(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_null(v)     ? "null"
           : json_is_true(v)   ? "true"
           : json_is_false(v)  ? "false"
           : json_is_string(v) ? json_string_value(v)
                               : "?";
}

/* p02's revenue: 2023-10 missing; 2023-11 70 "p" (provisional) on Jan 10,
 * the same value "E" (estimated) on Feb 10; 2023-12 80 (the seed). A missing
 * value is null with "missing": true, never 0, in JSON, CSV and the series;
 * the status-only revision is a vintage of its own. */
static void test_api_missing_and_status(void **state)
{
    struct resp r;
    int64_t run;
    (void)state;

    set_config();
    assert_int_equal(store_run_begin(fx.st, "sdmx", NULL, T_JAN10, &run), 0);
    ingest_status(run, T_JAN10, "2023-10", 0, NULL, 1);
    ingest_status(run, T_JAN10, "2023-11", 70, "p", 0);
    ingest_status(run, T_FEB10, "2023-11", 70, "E", 0);

    get("/api/v1/observations?unit=p02&indicator=rev", &r);
    assert_int_equal(r.code, 200);
    json_t *data = data_of(&r);
    assert_int_equal(json_array_size(data), 3);
    static const char *const want[3][4] = {{"2023-10", "null", "null", "true"},
                                           {"2023-11", "?", "E", "false"},
                                           {"2023-12", "?", "null", "false"}};
    for (size_t i = 0; i < 3; i++) {
        const json_t *o = json_array_get(data, i);
        assert_string_equal(member(o, "period"), want[i][0]);
        assert_string_equal(member(o, "value"), want[i][1]);
        assert_string_equal(member(o, "status"), want[i][2]);
        assert_string_equal(member(o, "missing"), want[i][3]);
    }
    assert_true(json_real_value(json_object_get(json_array_get(data, 1), "value")) == 70);
    json_decref(data);
    resp_free(&r);

    /* as of before the status-only revision: provisional */
    get("/api/v1/observations?unit=p02&indicator=rev&from=2023-11&to=2023-11&as_of=2024-01-20", &r);
    data = data_of(&r);
    assert_int_equal(json_array_size(data), 1);
    assert_string_equal(member(json_array_get(data, 0), "status"), "p");
    json_decref(data);
    resp_free(&r);

    get("/api/v1/observations?unit=p02&indicator=rev&to=2023-11&history=1&format=csv", &r);
    assert_int_equal(r.code, 200);
    assert_string_equal(r.body,
                        "unit,indicator,period,value,status,missing,valid_from,valid_to,run_id\r\n"
                        "p02,rev,2023-10,,,true,2024-01-10T00:00:00Z,,3\r\n"
                        "p02,rev,2023-11,70,p,false,2024-01-10T00:00:00Z,2024-02-10T00:00:00Z,3\r\n"
                        "p02,rev,2023-11,70,E,false,2024-02-10T00:00:00Z,,3\r\n");
    resp_free(&r);

    /* The series: p02's own status and missing value; the city's 2023-11 is
     * rolled up from p02 (70, no status of its own), its 2023-10 has none. */
    get("/api/v1/series?unit=p02&indicator=rev&from=2023-10&to=2023-12&format=csv", &r);
    assert_int_equal(r.code, 200);
    /* (the coverage is not what this test is about) */
    assert_non_null(strstr(r.body, "period,value,status,missing,coverage,flags\r\n"
                                   "2023-10,,,true,"));
    assert_non_null(strstr(r.body, ",missing\r\n2023-11,70,E,false,"));
    assert_non_null(strstr(r.body, "\r\n2023-12,80,,false,"));
    resp_free(&r);
    get("/api/v1/series?unit=city&indicator=rev&from=2023-10&to=2023-11", &r);
    assert_int_equal(r.code, 200);
    data = data_of(&r);
    json_t *pts = json_object_get(data, "points");
    assert_int_equal(json_array_size(pts), 2);
    assert_string_equal(member(json_array_get(pts, 0), "value"), "null");
    assert_string_equal(member(json_array_get(pts, 0), "missing"), "false");
    assert_true(json_real_value(json_object_get(json_array_get(pts, 1), "value")) == 70);
    assert_string_equal(member(json_array_get(pts, 1), "status"), "null");
    json_decref(data);
    resp_free(&r);
}

static void test_api_rejects_csv_quotes_fields(void **state)
{
    struct resp r;
    (void)state;

    get("/api/v1/rejects?source=nbs&period=2023-12&format=csv", &r);
    assert_int_equal(r.code, 200);
    assert_string_equal(r.body,
                        "run_id,source,period,position,raw,reason\r\n"
                        "2,nbs,2023-12,7,\"p03,rev,2023-12,5\",\"unknown unit \"\"p03\"\"\"\r\n");
    resp_free(&r);
    get("/api/v1/rejects?period=2023-11&format=csv", &r);
    assert_string_equal(r.body, "run_id,source,period,position,raw,reason\r\n");
    resp_free(&r);
}

static void test_api_runs_newest_first_with_limit(void **state)
{
    struct resp r;
    (void)state;

    get("/api/v1/runs?limit=1", &r);
    assert_int_equal(r.code, 200);
    json_t *data = data_of(&r);
    assert_int_equal(json_array_size(data), 1);
    json_t *run = json_array_get(data, 0);
    assert_int_equal(json_integer_value(json_object_get(run, "id")), 2);
    assert_string_equal(json_string_value(json_object_get(run, "source")), "nbs");
    assert_string_equal(json_string_value(json_object_get(run, "ended_at")),
                        "2024-02-10T00:00:02Z");
    json_decref(data);
    resp_free(&r);
    get("/api/v1/runs?source=import:a.csv&format=csv", &r);
    assert_int_equal(r.code, 200);
    assert_non_null(strstr(r.body, "\r\n1,import:a.csv,,2024-01-10T00:00:00Z,"
                                   "2024-01-10T00:00:01Z,ok,"));
    assert_null(strstr(r.body, "\r\n2,"));
    resp_free(&r);
}

static void test_api_sources_health(void **state)
{
    struct resp r;
    (void)state;

    get("/api/v1/sources", &r);
    assert_int_equal(r.code, 200);
    json_t *data = data_of(&r);
    assert_int_equal(json_array_size(data), 1);
    json_t *s = json_array_get(data, 0);
    assert_string_equal(json_string_value(json_object_get(s, "source")), "nbs");
    assert_string_equal(json_string_value(json_object_get(s, "last_success")),
                        "2024-02-10T00:00:00Z");
    assert_int_equal(json_integer_value(json_object_get(s, "consecutive_failures")), 0);
    assert_int_equal(json_integer_value(json_object_get(s, "last_bytes")), 2048);
    assert_true(json_real_value(json_object_get(s, "last_duration_s")) == 1.5);
    json_decref(data);
    resp_free(&r);
}

static void test_api_index_results_and_contributions(void **state)
{
    struct resp r;
    (void)state;

    get("/api/v1/indices/innov?unit=p01", &r);
    assert_int_equal(r.code, 200);
    json_t *data = data_of(&r);
    assert_string_equal(json_string_value(json_object_get(data, "period")), "2023-Q4");
    char *s = json_dumps(json_object_get(data, "results"), JSON_COMPACT);
    assert_string_equal(s, "[{\"unit\":\"p01\",\"name\":\"Park 1\",\"node\":\"growth\","
                           "\"score\":70.0,\"rank\":1,\"rank_change\":null,\"flags\":0,"
                           "\"computed_at\":\"2024-03-01T00:00:00Z\"},"
                           "{\"unit\":\"p01\",\"name\":\"Park 1\",\"node\":\"innov\","
                           "\"score\":72.5,\"rank\":1,\"rank_change\":1,\"flags\":0,"
                           "\"computed_at\":\"2024-03-01T00:00:00Z\"}]");
    free(s);
    s = json_dumps(json_object_get(data, "contributions"), JSON_COMPACT);
    assert_string_equal(s, "[{\"unit\":\"p01\",\"indicator\":\"emp\",\"contribution\":-1.25},"
                           "{\"unit\":\"p01\",\"indicator\":\"rev\",\"contribution\":3.5}]");
    free(s);
    /* the derived weights the period used, in tree order */
    s = json_dumps(json_object_get(data, "weights"), JSON_COMPACT);
    assert_string_equal(s, "[{\"node\":\"growth\",\"child\":\"rev\",\"weight\":0.625,\"flags\":0},"
                           "{\"node\":\"growth\",\"child\":\"emp\",\"weight\":0.375,\"flags\":0}]");
    free(s);
    json_decref(data);
    resp_free(&r);

    /* another period, its own weights: here the configured ones (1024) */
    get("/api/v1/indices/innov?period=2023-Q3", &r);
    assert_int_equal(r.code, 200);
    data = data_of(&r);
    s = json_dumps(json_object_get(data, "weights"), JSON_COMPACT);
    assert_string_equal(s,
                        "[{\"node\":\"growth\",\"child\":\"rev\",\"weight\":0.5,\"flags\":1024},"
                        "{\"node\":\"growth\",\"child\":\"emp\",\"weight\":0.5,\"flags\":1024}]");
    free(s);
    json_decref(data);
    resp_free(&r);

    get("/api/v1/indices", &r);
    assert_int_equal(r.code, 200);
    assert_string_equal(r.body, "{\"status\":\"ok\",\"data\":[{\"id\":\"innov\","
                                "\"first_period\":\"2023-Q3\",\"last_period\":\"2023-Q4\","
                                "\"units\":2,\"computed_at\":\"2024-03-01T00:00:00Z\"}],"
                                "\"page\":{\"limit\":1000,\"total\":1,\"next\":null}}");
    resp_free(&r);
}

static void test_api_rankings_csv_and_period(void **state)
{
    struct resp r;
    (void)state;

    get("/api/v1/rankings/innov?format=csv", &r);
    assert_int_equal(r.code, 200);
    assert_string_equal(r.body, "rank,unit,name,score,rank_change,flags\r\n"
                                "1,p01,Park 1,72.5,1,0\r\n"
                                "2,p02,Park 2,61.25,-1,2\r\n");
    resp_free(&r);
    get("/api/v1/rankings/innov?period=2023-Q3&format=csv", &r);
    assert_string_equal(r.body, "rank,unit,name,score,rank_change,flags\r\n"
                                "1,p02,Park 2,65,,0\r\n"
                                "2,p01,Park 1,60,,0\r\n");
    resp_free(&r);
}

/* Table of requests that must fail, with the exact status and message. */
static void test_api_errors_have_status_and_message(void **state)
{
    static const struct {
        const char *method, *path;
        long code;
        const char *message; /* NULL: not checked */
        const char *allow;   /* NULL: no Allow header expected */
    } cases[] = {
        {"GET", "/api/v1/observations?from=2023-13", 400,
         "parameter 'from': bad period \"2023-13\"", NULL},
        {"GET", "/api/v1/observations?to=2023-Q5", 400, "parameter 'to': bad period \"2023-Q5\"",
         NULL},
        {"GET", "/api/v1/observations?as_of=yesterday", 400,
         "parameter 'as_of': bad time \"yesterday\"", NULL},
        {"GET", "/api/v1/observations?from=2023-01&to=2023-Q4", 400,
         "parameters 'from' and 'to': different frequencies", NULL},
        {"GET", "/api/v1/observations?history=2", 400,
         "parameter 'history': expected 0 or 1, not \"2\"", NULL},
        {"GET", "/api/v1/runs?limit=0", 400, "parameter 'limit': expected 1..1000, not \"0\"",
         NULL},
        {"GET", "/api/v1/runs?limit=1001", 400, "parameter 'limit': expected 1..1000, not \"1001\"",
         NULL},
        {"GET", "/api/v1/units?format=xml", 400,
         "parameter 'format': expected \"json\", \"csv\" or \"xlsx\", not \"xml\"", NULL},
        {"GET", "/api/v1/rankings/innov?period=Q4", 400, "parameter 'period': bad period \"Q4\"",
         NULL},
        {"GET", "/api/v1/indices/nope", 404, "unknown index \"nope\"", NULL},
        {"GET", "/api/v1/rankings/nope", 404, "unknown index \"nope\"", NULL},
        {"GET", "/api/v1/nothing", 404, "no such resource: /api/v1/nothing", NULL},
        {"GET", "/api/v1/indices/", 404, NULL, NULL},
        {"GET", "/api/v1/units/extra", 404, NULL, NULL},
        {"DELETE", "/api/v1/units", 405, "method DELETE not allowed; use GET, HEAD", "GET, HEAD"},
        {"POST", "/api/v1/observations", 405, NULL, "GET, HEAD"},
        {"GET", "/api/v1/recompute", 405, "method GET not allowed; use POST", "POST"},
        {"PUT", "/api/v1/sources/nbs/pull", 405, NULL, "POST"},
        /* Bytes that are not UTF-8, and %00, are refused where they are. */
        {"GET", "/api/v1/observations?from=%FF%FE", 400, "parameter 'from': not UTF-8", NULL},
        {"GET", "/api/v1/indices/%C3%28", 400, "path: not UTF-8", NULL},
        {"GET", "/api/v1/rankings/%FF%FE", 400, "path: not UTF-8", NULL},
        {"GET", "/api/v1/rankings/a%00b", 400, "path: encoded NUL (%00) not allowed", NULL},
        {"GET", "/api/v1/observations?as_of=", 400, "parameter 'as_of': bad time \"\"", NULL},
        {"GET", "/api/v1/runs?limit=12abc", 400, NULL, NULL},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct resp r;
        char allow[64];
        http(cases[i].method, cases[i].path, NULL, NULL, NULL, &r);
        if (r.code != cases[i].code)
            fail_msg("%s %s: %ld, want %ld", cases[i].method, cases[i].path, r.code, cases[i].code);
        json_t *root = json_loads(r.body, 0, NULL);
        assert_non_null(root);
        assert_string_equal(json_string_value(json_object_get(root, "status")), "error");
        json_t *e = json_object_get(root, "error");
        assert_int_equal(json_integer_value(json_object_get(e, "code")), cases[i].code);
        if (cases[i].message)
            assert_string_equal(json_string_value(json_object_get(e, "message")), cases[i].message);
        header(&r, "Allow", allow, sizeof(allow));
        assert_string_equal(allow, cases[i].allow ? cases[i].allow : "");
        json_decref(root);
        resp_free(&r);
    }
}

/* A 10 KB request-target is answered 414 with the envelope, and so is one
 * of 100 KB (over MHD's own buffer), never a dropped connection. */
static void test_api_long_uri_is_414(void **state)
{
    static const size_t sizes[] = {2100, (size_t)10 * 1024, (size_t)100 * 1024};
    (void)state;

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        struct resp r;
        char *path = malloc(sizes[i] + 1);
        assert_non_null(path);
        memcpy(path, "/api/v1/units?x=", 16);
        memset(path + 16, 'a', sizes[i] - 16);
        path[sizes[i]] = '\0';
        get(path, &r);
        assert_int_equal(r.code, 414);
        free(path);
        resp_free(&r);
    }
    /* 2048 bytes exactly is still served. */
    struct resp r;
    char path[2049];
    memcpy(path, "/api/v1/observations?unit=", 26);
    memset(path + 26, 'a', 2048 - 26);
    path[2048] = '\0';
    get(path, &r);
    assert_int_equal(r.code, 200);
    resp_free(&r);
}

static void test_api_admin_needs_bearer_token(void **state)
{
    struct resp r;
    char h[128];
    (void)state;

    http("POST", "/api/v1/recompute", NULL, NULL, NULL, &r);
    assert_int_equal(r.code, 401);
    assert_string_equal(header(&r, "WWW-Authenticate", h, sizeof(h)), "Bearer realm=\"parkstat\"");
    resp_free(&r);
    http("POST", "/api/v1/recompute", "Authorization: Bearer s3creT", NULL, NULL, &r);
    assert_int_equal(r.code, 401);
    resp_free(&r);
    http("POST", "/api/v1/recompute", "Authorization: Bearer s3cret2", NULL, NULL, &r);
    assert_int_equal(r.code, 401);
    resp_free(&r);
    http("POST", "/api/v1/recompute", "Authorization: Basic czNjcmV0", NULL, NULL, &r);
    assert_int_equal(r.code, 401);
    resp_free(&r);
    assert_int_equal(fx.n_recompute, 0);

    http("POST", "/api/v1/recompute", "Authorization: Bearer s3cret", NULL, NULL, &r);
    assert_int_equal(r.code, 202);
    assert_string_equal(
        r.body, "{\"status\":\"ok\",\"data\":{\"accepted\":true,\"action\":\"recompute\"}}");
    resp_free(&r);
    assert_int_equal(fx.n_recompute, 1);
}

static void test_api_pull_hook_gets_source_and_period(void **state)
{
    static const char auth[] = "Authorization: Bearer s3cret";
    struct resp r;
    (void)state;

    http("POST", "/api/v1/sources/nbs/pull?period=2024-01", auth, NULL, NULL, &r);
    assert_int_equal(r.code, 202);
    resp_free(&r);
    assert_int_equal(fx.n_pull, 1);
    assert_string_equal(fx.pull_source, "nbs");
    assert_string_equal(fx.pull_period, "2024-01");

    http("POST", "/api/v1/sources/nbs/pull", auth, NULL, NULL, &r);
    assert_int_equal(r.code, 202);
    resp_free(&r);
    assert_int_equal(fx.n_pull, 2);
    assert_string_equal(fx.pull_period, "(null)");

    http("POST", "/api/v1/sources/nope/pull", auth, NULL, NULL, &r);
    assert_int_equal(r.code, 404);
    assert_non_null(strstr(r.body, "unknown source \\\"nope\\\""));
    resp_free(&r);
    http("POST", "/api/v1/sources/nbs/pull?period=2024-1", auth, NULL, NULL, &r);
    assert_int_equal(r.code, 400);
    resp_free(&r);
    http("POST", "/api/v1/sources/nbs/pull", NULL, NULL, NULL, &r);
    assert_int_equal(r.code, 401);
    resp_free(&r);
    assert_int_equal(fx.n_pull, 2);
}

static void test_api_healthz_and_head(void **state)
{
    struct resp r;
    char cl[32];
    (void)state;

    get("/healthz", &r);
    assert_int_equal(r.code, 200);
    assert_string_equal(r.body, "ok\n");
    resp_free(&r);
    http("HEAD", "/api/v1/units", NULL, NULL, NULL, &r);
    assert_int_equal(r.code, 200);
    assert_int_equal(r.len, 0);
    assert_string_not_equal(header(&r, "Content-Length", cl, sizeof(cl)), "");
    resp_free(&r);
}

/* Bodies over 1 KB go gzipped to clients that accept it; curl decodes. */
static void test_api_gzip_round_trip(void **state)
{
    struct resp plain, gz;
    char enc[64], vary[64];
    (void)state;

    http("GET", "/api/v1/observations?indicator=pat", NULL, NULL, NULL, &plain);
    assert_true(plain.len > 1024);
    assert_string_equal(header(&plain, "Content-Encoding", enc, sizeof(enc)), "");
    http("GET", "/api/v1/observations?indicator=pat", NULL, NULL, "gzip", &gz);
    assert_int_equal(gz.code, 200);
    assert_string_equal(header(&gz, "Content-Encoding", enc, sizeof(enc)), "gzip");
    assert_string_equal(header(&gz, "Vary", vary, sizeof(vary)), "Accept-Encoding");
    assert_int_equal(gz.len, plain.len);
    assert_memory_equal(gz.body, plain.body, plain.len);
    json_t *data = data_of(&gz);
    assert_int_equal(json_array_size(data), 30);
    json_decref(data);
    resp_free(&plain);
    resp_free(&gz);

    /* A small body stays plain even when gzip is accepted, also when it comes
     * from the answer cache the second time (regression: the cached plain
     * bytes were sent as gzip); q=0 refuses it. */
    for (int i = 0; i < 2; i++) {
        http("GET", "/api/v1/units", NULL, NULL, "gzip", &gz);
        assert_int_equal(gz.code, 200);
        assert_string_equal(header(&gz, "Content-Encoding", enc, sizeof(enc)), "");
        data = data_of(&gz);
        assert_true(json_array_size(data) > 0);
        json_decref(data);
        resp_free(&gz);
    }
    http("GET", "/api/v1/observations?indicator=pat", "Accept-Encoding: gzip;q=0", NULL, NULL, &gz);
    assert_string_equal(header(&gz, "Content-Encoding", enc, sizeof(enc)), "");
    resp_free(&gz);
}

/* The counter line for endpoint and code in /metrics, or -1. */
static long metric_count(const char *endpoint, const char *code)
{
    char want[256];
    struct resp r;
    long n = -1;

    snprintf(want, sizeof(want), "api_requests_total{endpoint=\"%s\",code=\"%s\"} ", endpoint,
             code);
    get("/metrics", &r);
    assert_int_equal(r.code, 200);
    const char *line = strstr(r.body, want);
    if (line)
        n = strtol(line + strlen(want), NULL, 10);
    assert_non_null(strstr(r.body, "# TYPE parkstat_database_bytes gauge\n"));
    const char *db = strstr(r.body, "\nparkstat_database_bytes ");
    assert_non_null(db);
    assert_true(strtol(db + 25, NULL, 10) > 0);
    resp_free(&r);
    return n;
}

static void test_api_metrics_count_requests(void **state)
{
    struct resp r;
    char ct[128];
    (void)state;

    long before = metric_count("/healthz", "200");
    long nf = metric_count("other", "404");
    for (int i = 0; i < 3; i++) {
        get("/healthz", &r);
        resp_free(&r);
    }
    get("/api/v1/nothing", &r);
    resp_free(&r);
    assert_int_equal(metric_count("/healthz", "200"), (before < 0 ? 0 : before) + 3);
    assert_int_equal(metric_count("other", "404"), (nf < 0 ? 0 : nf) + 1);
    get("/metrics", &r);
    assert_string_equal(header(&r, "Content-Type", ct, sizeof(ct)),
                        "text/plain; version=0.0.4; charset=utf-8");
    assert_non_null(strstr(r.body, "# TYPE api_requests_total counter\n"));
    assert_non_null(strstr(r.body, "api_request_duration_seconds_bucket{endpoint=\"/healthz\","));
    resp_free(&r);
}

static void *slow_pull(void *arg)
{
    struct resp *r = arg;
    http("POST", "/api/v1/sources/slow/pull", "Authorization: Bearer s3cret", NULL, NULL, r);
    return NULL;
}

/* While one request is held in the pull hook, others are answered: each
 * comes back before the held one is let go (a blocked one would fail at
 * curl's 10 s timeout). */
static void test_api_slow_request_does_not_block_others(void **state)
{
    struct resp slow, r;
    pthread_t t;
    (void)state;

    assert_int_equal(pthread_create(&t, NULL, slow_pull, &slow), 0);
    slow_wait_entered();
    for (int i = 0; i < 3; i++) {
        get(i == 0 ? "/healthz" : "/api/v1/units", &r);
        assert_int_equal(r.code, 200);
        resp_free(&r);
    }
    slow_release();
    pthread_join(t, NULL);
    assert_int_equal(slow.code, 202);
    resp_free(&slow);
}

struct pending_get {
    const char *path;
    struct resp r;
    int done; /* under fx.mu */
};

static void *pending_get(void *arg)
{
    struct pending_get *p = arg;
    get(p->path, &p->r);
    pthread_mutex_lock(&fx.mu);
    p->done = 1;
    pthread_cond_broadcast(&fx.gate_cv);
    pthread_mutex_unlock(&fx.mu);
    return NULL;
}

/* With the one query worker held by a slow request, an answer already in
 * the cache comes from MHD's I/O thread while the worker is still held; a
 * query that needs the database is still unanswered a while later and
 * comes once the worker is let go. */
static void test_api_cached_answer_while_the_worker_is_busy(void **state)
{
    struct api *one = NULL;
    struct resp slow, r;
    struct pending_get ind = {.path = "/api/v1/indicators"};
    pthread_t t, ti;
    char err[256];
    unsigned port = fx.port;
    (void)state;

    struct api_options opt = {.listen = "127.0.0.1:0",
                              .db_path = fx.path,
                              .token = "s3cret",
                              .threads = 1,
                              .exec = &fx.exec,
                              .pull = hook_pull,
                              .hook_ctx = &fx};
    int started = fx.exec_started, waited = fx.exec_waited;
    if (api_start(&one, &opt, err, sizeof(err)) != 0)
        fail_msg("api_start: %s", err);
    /* The one worker is a task on the owner's executor, not a thread of the API's. */
    assert_int_equal(fx.exec_started, started + 1);
    fx.port = api_port(one);
    get("/api/v1/units", &r); /* now in the cache */
    assert_int_equal(r.code, 200);
    resp_free(&r);

    assert_int_equal(pthread_create(&t, NULL, slow_pull, &slow), 0);
    slow_wait_entered();
    get("/api/v1/units", &r); /* the worker is held: this is the cache's */
    assert_int_equal(r.code, 200);
    resp_free(&r);

    /* The uncached query waits for the worker: 300 ms later it is still
     * pending (a slow machine only makes that more so). */
    assert_int_equal(pthread_create(&ti, NULL, pending_get, &ind), 0);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 300L * 1000 * 1000;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&fx.mu);
    int rc = 0;
    while (!ind.done && rc == 0)
        rc = pthread_cond_timedwait(&fx.gate_cv, &fx.mu, &until);
    int answered_early = ind.done;
    pthread_mutex_unlock(&fx.mu);
    slow_release();
    pthread_join(ti, NULL);
    pthread_join(t, NULL);
    if (answered_early)
        fail_msg("an uncached query was answered while the only worker was held");
    assert_int_equal(ind.r.code, 200);
    resp_free(&ind.r);
    assert_int_equal(slow.code, 202);
    resp_free(&slow);
    fx.port = port;
    api_stop(&one);
    assert_int_equal(fx.exec_waited, waited + 1);
}

/* If-None-Match with the ETag gives 304; a new run changes the ETag. */
static void test_api_etag_304_and_new_ingest_changes_it(void **state)
{
    struct resp r;
    char etag[64], inm[96], again[64];
    int64_t run;
    (void)state;

    get("/api/v1/observations?unit=p02", &r);
    assert_int_equal(r.code, 200);
    header(&r, "ETag", etag, sizeof(etag));
    assert_int_equal(strncmp(etag, "W/\"", 3), 0);
    resp_free(&r);

    snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
    http("GET", "/api/v1/observations?unit=p02", inm, NULL, NULL, &r);
    assert_int_equal(r.code, 304);
    assert_int_equal(r.len, 0);
    assert_string_equal(header(&r, "ETag", again, sizeof(again)), etag);
    resp_free(&r);
    /* The ETag belongs to the URI: another query does not match it. */
    http("GET", "/api/v1/observations?unit=p01", inm, NULL, NULL, &r);
    assert_int_equal(r.code, 200);
    resp_free(&r);

    assert_int_equal(store_run_begin(fx.st, "nbs", "2024-Q1", T_MAR01, &run), 0);
    ingest(run, T_MAR01, "p02", "emp", "2023-Q4", 300);
    http("GET", "/api/v1/observations?unit=p02", inm, NULL, NULL, &r);
    assert_int_equal(r.code, 200);
    assert_string_not_equal(header(&r, "ETag", again, sizeof(again)), etag);
    json_t *data = data_of(&r);
    assert_int_equal(json_array_size(data), 2);
    json_decref(data);
    resp_free(&r);
}

/* api_start() refuses what it cannot serve, with a message; IPv6 listens. */
static void test_api_start_errors_and_ipv6(void **state)
{
    static const struct {
        const char *listen, *db;
        int rc;
        const char *msg_part;
    } cases[] = {
        {"localhost", NULL, -EINVAL, "bad listen address \"localhost\""},
        {"127.0.0.1:99999", NULL, -EINVAL, "bad listen address"},
        {"[::1:80", NULL, -EINVAL, "bad listen address"},
        {"127.0.0.1:0", "/nonexistent/ps.db", -ENOENT, "/nonexistent/ps.db"},
    };
    char err[256], busy[32];
    struct api *a = NULL;
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct api_options opt = {.listen = cases[i].listen,
                                  .db_path = cases[i].db ? cases[i].db : fx.path};
        assert_int_equal(api_start(&a, &opt, err, sizeof(err)), cases[i].rc);
        assert_null(a);
        assert_non_null(strstr(err, cases[i].msg_part));
    }
    snprintf(busy, sizeof(busy), "127.0.0.1:%u", fx.port);
    struct api_options opt = {.listen = busy, .db_path = fx.path};
    assert_int_equal(api_start(&a, &opt, err, sizeof(err)), -EADDRINUSE);
    assert_null(a);

    opt.listen = "[::1]:0";
    if (api_start(&a, &opt, err, sizeof(err)) != 0) {
        print_message("no IPv6 loopback here (%s); skipped\n", err);
        return;
    }
    assert_true(api_port(a) > 0);
    api_stop(&a);
    assert_null(a);
    api_stop(&a); /* NULL: a no-op */
}

/* Every test on its own fixture, so any one can run alone or in any order. */
/* ---- strict parameters (api/params.c) ---- */

/* The error message of a non-2xx envelope (a copy), after checking code. */
static char *error_message(struct resp *r, long code, const char *what)
{
    if (r->code != code)
        fail_msg("%s: %ld, want %ld: %.300s", what, r->code, code, r->body);
    json_t *root = json_loads(r->body, 0, NULL);
    if (!root)
        fail_msg("%s: not JSON: %.200s", what, r->body);
    const char *m = json_string_value(json_object_get(json_object_get(root, "error"), "message"));
    char *copy = strdup(m ? m : "");
    json_decref(root);
    return copy;
}

/* A request to endpoint (its route pattern) with query q, as the route
 * wants it: {id} filled in, POST with the token for the admin routes. */
static void endpoint_request(const char *endpoint, const char *q, struct resp *r)
{
    char path[512], pattern[128];
    const char *id = strstr(endpoint, "/sources/") ? "nbs" : "innov";
    const char *brace = strchr(endpoint, '{');

    if (brace) {
        const char *close = strchr(brace, '}');
        snprintf(pattern, sizeof(pattern), "%.*s%s%s", (int)(brace - endpoint), endpoint,
                 strstr(endpoint, "{file}") ? "app.js" : id, close + 1);
    } else {
        snprintf(pattern, sizeof(pattern), "%s", endpoint);
    }
    snprintf(path, sizeof(path), "%s?%s", pattern, q);
    if (strstr(endpoint, "/pull") || strstr(endpoint, "/recompute"))
        http("POST", path, "Authorization: Bearer s3cret", NULL, NULL, r);
    else
        get(path, r);
}

/* Every endpoint of the table: an unknown name is a 400 naming it and the
 * endpoint; each known name misspelt (its last letter dropped) is a 400 that
 * suggests it. */
static void test_api_unknown_parameters_every_endpoint(void **state)
{
    size_t n;
    const struct api_params *t = api_params_table(&n);
    (void)state;

    assert_true(n >= 16);
    for (size_t i = 0; i < n; i++) {
        struct resp r;
        char want[256], what[160];
        snprintf(what, sizeof(what), "%s ?bogus=1", t[i].endpoint);
        endpoint_request(t[i].endpoint, "bogus=1", &r);
        char *m = error_message(&r, 400, what);
        snprintf(want, sizeof(want), "unknown parameter 'bogus' for %s (it takes ", t[i].endpoint);
        if (strncmp(m, want, strlen(want)) != 0)
            fail_msg("%s: \"%s\", want it to start \"%s\"", what, m, want);
        free(m);
        resp_free(&r);
        for (size_t k = 0; t[i].names[k]; k++) {
            char q[64];
            snprintf(q, sizeof(q), "%.*s=1", (int)strlen(t[i].names[k]) - 1, t[i].names[k]);
            snprintf(what, sizeof(what), "%s ?%s", t[i].endpoint, q);
            endpoint_request(t[i].endpoint, q, &r);
            m = error_message(&r, 400, what);
            snprintf(want, sizeof(want), "unknown parameter '%.*s' for %s (did you mean '%s'?)",
                     (int)strlen(t[i].names[k]) - 1, t[i].names[k], t[i].endpoint, t[i].names[k]);
            if (strcmp(m, want) != 0)
                fail_msg("%s: \"%s\", want \"%s\"", what, m, want);
            free(m);
            resp_free(&r);
        }
    }
}

/* %00, bytes that are not UTF-8, bad escapes and repeated names: 400s that
 * say where, never a truncated value or an unknown-id 404. */
static void test_api_bad_query_text_is_400(void **state)
{
    static const struct {
        const char *path, *message;
    } cases[] = {
        {"/api/v1/observations?unit=p01%00x", "parameter 'unit': encoded NUL (%00) not allowed"},
        {"/api/v1/observations?un%00it=p01",
         "a query parameter's name: encoded NUL (%00) not allowed"},
        {"/api/v1/observations?unit=%FF%FE", "parameter 'unit': not UTF-8"},
        {"/api/v1/observations?unit=%C0%AF", "parameter 'unit': not UTF-8"},       /* overlong */
        {"/api/v1/observations?unit=%ED%A0%80", "parameter 'unit': not UTF-8"},    /* surrogate */
        {"/api/v1/observations?unit=%F4%90%80%80", "parameter 'unit': not UTF-8"}, /* > U+10FFFF */
        {"/api/v1/observations?unit=%E5%9B", "parameter 'unit': not UTF-8"},       /* cut short */
        {"/api/v1/observations?unit=%G1", "parameter 'unit': bad percent escape (want %XX)"},
        {"/api/v1/observations?unit=ab%4", "parameter 'unit': bad percent escape (want %XX)"},
        {"/api/v1/observations?unit=p01&unit=p02", "parameter 'unit' given more than once"},
        {"/api/v1/series?unit=%FF%FE&indicator=rev", "parameter 'unit': not UTF-8"},
        {"/api/v1/indices/innov%00x", "path: encoded NUL (%00) not allowed"},
        {"/api/v1/units%FF", "path: not UTF-8"},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct resp r;
        get(cases[i].path, &r);
        char *m = error_message(&r, 400, cases[i].path);
        if (strcmp(m, cases[i].message) != 0)
            fail_msg("%s: \"%s\", want \"%s\"", cases[i].path, m, cases[i].message);
        free(m);
        resp_free(&r);
    }
    /* Valid UTF-8 (CJK, 4-byte) and + for a space pass the check. */
    struct resp r;
    get("/api/v1/observations?unit=%E5%9B%AD%F0%9F%8C%B3+x", &r);
    assert_int_equal(r.code, 200);
    resp_free(&r);
}

/* docs/API.md's "Parameters" table lists exactly the names of the code's. */
static void test_api_parameters_documented(void **state)
{
    char path[512], line[1024];
    const char *data = getenv("PARKSTAT_TEST_DATA");
    size_t n, found = 0;
    const struct api_params *t = api_params_table(&n);
    (void)state;

    snprintf(path, sizeof(path), "%s/../../docs/API.md", data ? data : "tests/data");
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot read %s", path);
    int in_table = 0;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "## Parameters", 13) == 0) {
            in_table = 1;
            continue;
        }
        if (in_table && strncmp(line, "## ", 3) == 0)
            break;
        if (!in_table || strncmp(line, "| `", 3) != 0)
            continue;
        /* | `endpoint` | `a`, `b` | */
        char *ep = line + 3, *end = strchr(ep, '`');
        assert_non_null(end);
        *end = '\0';
        size_t i;
        for (i = 0; i < n && strcmp(t[i].endpoint, ep) != 0; i++)
            ;
        if (i == n)
            fail_msg("API.md lists %s, which the code does not have", ep);
        found++;
        char *cell = strchr(end + 1, '|');
        assert_non_null(cell);
        size_t k = 0;
        for (char *q = strchr(cell + 1, '`'); q && *q != '\n'; q = strchr(q + 1, '`')) {
            char *qe = strchr(q + 1, '`');
            assert_non_null(qe);
            *qe = '\0';
            if (!t[i].names[k] || strcmp(t[i].names[k], q + 1) != 0)
                fail_msg("API.md: %s parameter %zu is %s, the code's %s", ep, k, q + 1,
                         t[i].names[k] ? t[i].names[k] : "(none)");
            k++;
            q = qe;
        }
        if (t[i].names[k])
            fail_msg("API.md: %s lacks parameter %s", ep, t[i].names[k]);
    }
    fclose(f);
    assert_int_equal(found, n);
}

/* A ranking or index of a quarterly index asked for a month or a year: a
 * 400 that says why, not an empty 200. */
static void test_api_wrong_frequency_period_is_400(void **state)
{
    static const struct {
        const char *path, *message;
    } cases[] = {
        {"/api/v1/rankings/innov?period=2023-12",
         "parameter 'period': index \"innov\" has quarterly periods (latest 2023-Q4), "
         "\"2023-12\" is monthly"},
        {"/api/v1/indices/innov?period=2023",
         "parameter 'period': index \"innov\" has quarterly periods (latest 2023-Q4), "
         "\"2023\" is yearly"},
        {"/api/v1/rankings/innov?period=2023-H2",
         "parameter 'period': index \"innov\" has quarterly periods (latest 2023-Q4), "
         "\"2023-H2\" is half-yearly"},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct resp r;
        get(cases[i].path, &r);
        char *m = error_message(&r, 400, cases[i].path);
        assert_string_equal(m, cases[i].message);
        free(m);
        resp_free(&r);
    }
    struct resp r;
    get("/api/v1/rankings/innov?period=2023-Q3", &r);
    assert_int_equal(r.code, 200);
    resp_free(&r);
}

/* The test data's definitions as a configuration, with source nbs (monthly
 * from 2020-01), for the routes that read the config. */
static void set_config(void)
{
    static const char text[] =
        "{\"database\": \"x.db\","
        " \"units\": [{\"id\": \"city\", \"name\": \"City\"},"
        "  {\"id\": \"p01\", \"name\": \"Park 1\", \"parent\": \"city\"},"
        "  {\"id\": \"p02\", \"name\": \"Park 2\", \"parent\": \"city\"}],"
        " \"indicators\": ["
        "  {\"code\": \"rev\", \"name\": \"Revenue\", \"frequency\": \"M\", \"kind\": \"flow\"},"
        "  {\"code\": \"emp\", \"name\": \"Employees\", \"frequency\": \"Q\", \"kind\": \"stock\"},"
        "  {\"code\": \"pat\", \"name\": \"Patents\", \"frequency\": \"Y\", \"kind\": \"flow\"}],"
        " \"sources\": [{\"id\": \"nbs\", \"url\": \"file:///x/{period}.json\", \"format\": "
        "\"json\", \"frequency\": \"M\", \"first_period\": \"2020-01\", \"poll_every\": \"6h\","
        "  \"mapping\": {\"records\": \"/data\", \"unit\": \"/u\", \"indicator\": \"/i\","
        "   \"period\": \"/p\", \"value\": \"/v\"}}]}";
    struct config *cfg = NULL;
    char *errors = NULL;
    if (config_load_buffer("test.json", fx.dir, text, strlen(text), &cfg, &errors) != 0)
        fail_msg("config: %s", errors ? errors : "?");
    free(errors);
    api_set_config(fx.api, cfg);
}

/* A pull of a period the source cannot have: 400 with the reason, and the
 * daemon's hook never called; a good one goes through. */
static void test_api_pull_period_validated(void **state)
{
    char next_year[32], far[32], want[256];
    time_t now = time(NULL);
    struct tm tm;
    (void)state;

    set_config();
    gmtime_r(&now, &tm);
    snprintf(next_year, sizeof(next_year), "%04d-%02d", tm.tm_year + 1901, tm.tm_mon + 1);
    snprintf(far, sizeof(far), "%04d-%02d", tm.tm_year + 1902, tm.tm_mon + 1);
    const struct {
        const char *period;
        long code;
        const char *message; /* NULL: below */
    } cases[] = {
        {"2023-Q4", 400,
         "parameter 'period': source \"nbs\" is monthly (periods like 2020-01), \"2023-Q4\" is "
         "quarterly"},
        {"2023", 400,
         "parameter 'period': source \"nbs\" is monthly (periods like 2020-01), \"2023\" is "
         "yearly"},
        {"2019-12", 400, NULL},
        {far, 400, NULL},
        {"1990-01", 400, NULL},
        {"2020-01", 202, NULL},
        {next_year, 202, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char path[128];
        struct resp r;
        snprintf(path, sizeof(path), "/api/v1/sources/nbs/pull?period=%s", cases[i].period);
        http("POST", path, "Authorization: Bearer s3cret", NULL, NULL, &r);
        char *m = error_message(&r, cases[i].code, path);
        if (cases[i].code == 400) {
            snprintf(want, sizeof(want),
                     "parameter 'period': \"%s\" is outside 2020-01 .. %s (source \"nbs\" from "
                     "its first_period to one year from now)",
                     cases[i].period, next_year);
            assert_string_equal(m, cases[i].message ? cases[i].message : want);
        }
        free(m);
        resp_free(&r);
    }
    pthread_mutex_lock(&fx.mu);
    assert_int_equal(fx.n_pull, 2);
    pthread_mutex_unlock(&fx.mu);
    /* A source the configuration does not have: 404 without the hook. */
    struct resp r;
    http("POST", "/api/v1/sources/other/pull?period=2023-01", "Authorization: Bearer s3cret", NULL,
         NULL, &r);
    char *m = error_message(&r, 404, "pull other");
    assert_string_equal(m, "unknown source \"other\"");
    free(m);
    resp_free(&r);
}

/* A series 404 says which of unit and indicator is unknown. */
static void test_api_series_404_names_the_unknown(void **state)
{
    static const struct {
        const char *path, *message;
    } cases[] = {
        {"/api/v1/series?unit=p09&indicator=rev",
         "unknown unit \"p09\" (indicator \"rev\" is known)"},
        {"/api/v1/series?unit=p01&indicator=rve",
         "unknown indicator \"rve\" (unit \"p01\" is known)"},
        {"/api/v1/series?unit=p09&indicator=rve",
         "unknown unit \"p09\" and unknown indicator \"rve\""},
    };
    (void)state;

    set_config();
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct resp r;
        get(cases[i].path, &r);
        char *m = error_message(&r, 404, cases[i].path);
        assert_string_equal(m, cases[i].message);
        free(m);
        resp_free(&r);
    }
    struct resp r;
    get("/api/v1/series?unit=p01&indicator=rev", &r);
    assert_int_equal(r.code, 200);
    resp_free(&r);
}

/* The test data's definitions with two more parents: "big" with
 * API_BIG_SUBTREE units below it ("mid" and the API_BIG_SUBTREE - 1 units
 * below "mid"), and "mid" with one fewer. */
static void set_big_config(void)
{
    struct config *cfg = NULL;
    char *errors = NULL, *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    fputs("{\"database\": \"x.db\", \"units\": [{\"id\": \"city\", \"name\": \"City\"},"
          " {\"id\": \"p01\", \"name\": \"Park 1\", \"parent\": \"city\"},"
          " {\"id\": \"p02\", \"name\": \"Park 2\", \"parent\": \"city\"},"
          " {\"id\": \"big\", \"name\": \"Big\"},"
          " {\"id\": \"mid\", \"name\": \"Mid\", \"parent\": \"big\"}",
          f);
    for (int i = 0; i < API_BIG_SUBTREE - 1; i++)
        fprintf(f, ", {\"id\": \"m%d\", \"name\": \"M %d\", \"parent\": \"mid\"}", i, i);
    fputs("], \"indicators\": [{\"code\": \"rev\", \"name\": \"Revenue\", \"frequency\": \"M\","
          " \"kind\": \"flow\"}]}",
          f);
    assert_int_equal(fclose(f), 0);
    if (config_load_buffer("big.json", fx.dir, text, len, &cfg, &errors) != 0)
        fail_msg("config: %s", errors ? errors : "?");
    free(errors);
    free(text);
    api_set_config(fx.api, cfg);
}

/* The series of a parent of API_BIG_SUBTREE units or more is computed one at
 * a time: while another is (parent_mu held), it is a 503 naming the parent
 * and its count, at once, and not cached; a smaller parent, and a big one's
 * series kept from an earlier answer, are answered meanwhile. */
static void test_api_series_big_parents_one_at_a_time(void **state)
{
    char want[256], how[64];
    struct resp r;
    (void)state;

    set_big_config();
    pthread_mutex_lock(&fx.api->parent_mu);
    get("/api/v1/series?unit=big&indicator=rev", &r);
    char *m = error_message(&r, 503, "big while another is computed");
    snprintf(want, sizeof(want),
             "unit \"big\" has %d units below it and another series of such a parent is being "
             "computed: ask again in a few seconds",
             API_BIG_SUBTREE);
    assert_string_equal(m, want);
    free(m);
    resp_free(&r);
    get("/api/v1/series?unit=mid&indicator=rev", &r); /* one unit fewer below it */
    assert_int_equal(r.code, 200);
    resp_free(&r);
    get("/api/v1/series?unit=city&indicator=rev", &r);
    assert_int_equal(r.code, 200);
    resp_free(&r);
    pthread_mutex_unlock(&fx.api->parent_mu);
    get("/api/v1/series?unit=big&indicator=rev", &r); /* the 503 was not cached */
    assert_int_equal(r.code, 200);
    resp_free(&r);
    /* its rows are kept: another transform needs no subtree, so no turn */
    pthread_mutex_lock(&fx.api->parent_mu);
    get("/api/v1/series?unit=big&indicator=rev&transform=yoy", &r);
    pthread_mutex_unlock(&fx.api->parent_mu);
    assert_int_equal(r.code, 200);
    assert_string_equal(header(&r, "X-Parkstat-Computed", how, sizeof(how)), "kept");
    resp_free(&r);
}

/* ---- paging (params.c, reply.c) ---- */

/* GETs path and returns its envelope (a new reference), checking 200. */
static json_t *get_envelope(const char *path)
{
    struct resp r;
    get(path, &r);
    if (r.code != 200)
        fail_msg("%s: %ld: %.300s", path, r.code, r.body);
    json_t *root = json_loads(r.body, 0, NULL);
    if (!root)
        fail_msg("%s: not JSON", path);
    resp_free(&r);
    return root;
}

/*
 * Walks list path (with a query) page by page with ?limit=limit, following
 * page.next, and returns every row of the array member key (NULL: data
 * itself) in one array; *pages gets the number of pages. Checks on every page:
 * at most limit rows, the same total, and next null exactly on the last.
 */
static json_t *walk_pages(const char *path, const char *key, long limit, long *total, size_t *pages)
{
    json_t *all = json_array();
    char url[2048];
    char *cursor = NULL;

    *pages = 0;
    *total = -1;
    for (;;) {
        snprintf(url, sizeof(url), "%s%slimit=%ld%s%s", path, strchr(path, '?') ? "&" : "?", limit,
                 cursor ? "&cursor=" : "", cursor ? cursor : "");
        json_t *env = get_envelope(url);
        json_t *data = json_object_get(env, "data");
        json_t *rows = key ? json_object_get(data, key) : data;
        json_t *page = json_object_get(env, "page");
        assert_true(json_is_array(rows));
        /* index results page by unit, every other list by row */
        size_t n = 0, i;
        json_t *row;
        const char *prev = "";
        json_array_foreach(rows, i, row)
        {
            const char *u = json_string_value(json_object_get(row, "unit"));
            int by_unit = key && strcmp(key, "ranking") != 0;
            if (!by_unit || strcmp(u, prev) != 0)
                n++;
            prev = by_unit ? u : "";
        }
        if (n > (size_t)limit)
            fail_msg("%s: %zu rows (or units) for limit %ld", url, n, limit);
        assert_int_equal(json_integer_value(json_object_get(page, "limit")), limit);
        long t = (long)json_integer_value(json_object_get(page, "total"));
        if (*total >= 0 && t != *total)
            fail_msg("%s: total %ld on page %zu, %ld before", url, t, *pages + 1, *total);
        *total = t;
        json_array_extend(all, rows);
        ++*pages;
        free(cursor);
        cursor = NULL;
        json_t *next = json_object_get(page, "next");
        if (json_is_string(next))
            cursor = strdup(json_string_value(next));
        else
            assert_true(json_is_null(next));
        json_decref(env);
        if (!cursor)
            break;
        if (*pages > 10000)
            fail_msg("%s: no end of pages", path);
    }
    return all;
}

/* 120 more yearly values of p02 (1900 .. 2019) and 25 rejects in a run of
 * source "bulk", for the paging tests. */
static void seed_many(void)
{
    struct store_obs obs[120];
    struct store_reject rej[25];
    char raw[25][32];
    struct store_counts counts = {0};
    int64_t run;

    for (int y = 0; y < 120; y++) {
        obs[y] = (struct store_obs){.unit_id = store_unit_id(fx.st, "p02", 3),
                                    .indicator_id = store_indicator_id(fx.st, "pat", 3),
                                    .value = y};
        char per[8];
        snprintf(per, sizeof(per), "%d", 1900 + y);
        assert_int_equal(period_parse_str(&obs[y].period, per), 0);
    }
    for (int i = 0; i < 25; i++) {
        snprintf(raw[i], sizeof(raw[i]), "row %d", i);
        /* positions repeat (i / 2): the reject id breaks the tie */
        rej[i] = (struct store_reject){i / 2, raw[i], "bad value"};
    }
    assert_int_equal(store_run_begin(fx.st, "bulk", "2023-12", T_MAR01, &run), 0);
    assert_int_equal(store_ingest(fx.st, run, T_MAR01, obs, 120, rej, 25, NULL), 0);
    assert_int_equal(store_run_end(fx.st, run, T_MAR01 + 1000000, "ok", &counts, NULL), 0);
}

/* The rows of one unpaged answer of path (limit = the largest). */
static json_t *all_rows(const char *path, const char *key, long max)
{
    long total;
    size_t pages;
    json_t *rows = walk_pages(path, key, max, &total, &pages);
    assert_int_equal(pages, 1);
    /* index results page by unit: total counts units, not rows */
    if (!key || strcmp(key, "ranking") == 0)
        assert_int_equal(total, (long)json_array_size(rows));
    return rows;
}

/* Every list walked by cursor, in small pages: every row exactly once, in
 * the order of the single large page, with the same total on every page and
 * as many pages as the total asks for. */
/* Three stored violations: the zone example on p01's revised rev 2023-12
 * (its vintage is run 2's, 2024-02-10), a computed rate without one, and a
 * range violation of p02. */
static void seed_checks(void)
{
    const struct store_violation v[] = {
        {.check = "city_parts",
         .rule = "hierarchy",
         .unit = "p01",
         .indicator = "rev",
         .period = "2023-12",
         .value = 25,
         .expected = 26,
         .detail = "parent is not the sum",
         .action = "flag"},
        {.check = "share",
         .rule = "ratio",
         .unit = "p02",
         .indicator = "rev",
         .period = "2023-11",
         .value = 120,
         .expected = 100,
         .detail = "above max",
         .action = "flag"},
        {.check = "rev_range",
         .rule = "range",
         .unit = "p02",
         .indicator = "rev",
         .period = "2023-12",
         .value = 80,
         .expected = 50,
         .detail = "above max",
         .action = "flag"},
    };
    assert_int_equal(store_checks_replace(fx.st, v, 3, T_MAR01), 0);
}

/* /api/v1/checks: the rows with their vintage, filters, pages; /metrics
 * counts them by rule. */
static void test_api_checks_list_and_metrics(void **state)
{
    struct resp r;
    json_t *rows, *row;
    long total;
    size_t pages;
    (void)state;

    seed_checks();
    get("/api/v1/checks", &r);
    assert_int_equal(r.code, 200);
    rows = data_of(&r);
    assert_int_equal(json_array_size(rows), 3);
    row = json_array_get(rows, 0);
    assert_string_equal(json_string_value(json_object_get(row, "check")), "city_parts");
    assert_string_equal(json_string_value(json_object_get(row, "rule")), "hierarchy");
    assert_string_equal(json_string_value(json_object_get(row, "unit")), "p01");
    assert_string_equal(json_string_value(json_object_get(row, "period")), "2023-12");
    assert_true(json_real_value(json_object_get(row, "value")) == 25);
    assert_true(json_real_value(json_object_get(row, "expected")) == 26);
    assert_string_equal(json_string_value(json_object_get(row, "valid_from")),
                        "2024-02-10T00:00:00Z");
    assert_string_equal(json_string_value(json_object_get(row, "found_at")),
                        "2024-03-01T00:00:00Z");
    /* p02 has no rev 2023-11: no vintage */
    assert_true(json_is_null(json_object_get(json_array_get(rows, 1), "valid_from")));
    json_decref(rows);
    resp_free(&r);

    get("/api/v1/checks?unit=p02&rule=range", &r);
    rows = data_of(&r);
    assert_int_equal(json_array_size(rows), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "check")),
                        "rev_range");
    json_decref(rows);
    resp_free(&r);

    rows = walk_pages("/api/v1/checks?unit=p02", NULL, 1, &total, &pages);
    assert_int_equal(total, 2);
    assert_int_equal(pages, 2);
    assert_int_equal(json_array_size(rows), 2);
    json_decref(rows);

    get("/api/v1/checks?period=2023-13", &r);
    assert_int_equal(r.code, 400);
    resp_free(&r);
    get("/api/v1/checks?cursor=zz", &r);
    assert_int_equal(r.code, 400);
    resp_free(&r);

    get("/metrics", &r);
    assert_non_null(strstr(r.body, "# TYPE parkstat_check_violations gauge\n"));
    assert_non_null(strstr(r.body, "parkstat_check_violations{rule=\"hierarchy\"} 1\n"));
    assert_non_null(strstr(r.body, "parkstat_check_violations{rule=\"range\"} 1\n"));
    assert_non_null(strstr(r.body, "parkstat_check_violations{rule=\"sum\"} 0\n"));
    resp_free(&r);
}

static void test_api_paging_round_trip_every_list(void **state)
{
    static const struct {
        const char *path, *key;
        long limit, max;
    } lists[] = {
        {"/api/v1/observations", NULL, 7, 10000},
        {"/api/v1/observations?history=1", NULL, 1, 10000},
        {"/api/v1/observations?unit=p02&from=1950&to=2000", NULL, 10, 10000},
        {"/api/v1/observations?as_of=2024-01-20", NULL, 9, 10000},
        {"/api/v1/units", NULL, 1, 10000},
        {"/api/v1/indicators", NULL, 2, 10000},
        {"/api/v1/indices", NULL, 1, 10000},
        {"/api/v1/sources", NULL, 1, 10000},
        {"/api/v1/runs", NULL, 1, 1000},
        {"/api/v1/runs?source=nbs", NULL, 1, 1000},
        {"/api/v1/rejects", NULL, 4, 10000},
        {"/api/v1/rejects?source=bulk&period=2023-12", NULL, 3, 10000},
        {"/api/v1/rankings/innov?period=2023-Q4", "ranking", 1, 10000},
        {"/api/v1/rankings/innov?period=2023-Q3", "ranking", 1, 10000},
        {"/api/v1/indices/innov?period=2023-Q4", "results", 1, 1000},
        {"/api/v1/indices/innov?period=2023-Q4", "contributions", 1, 1000},
    };
    (void)state;

    seed_many();
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        long total;
        size_t pages;
        json_t *whole = all_rows(lists[i].path, lists[i].key, lists[i].max);
        json_t *paged = walk_pages(lists[i].path, lists[i].key, lists[i].limit, &total, &pages);
        if (!json_equal(whole, paged)) {
            char *a = json_dumps(whole, JSON_COMPACT), *b = json_dumps(paged, JSON_COMPACT);
            fail_msg("%s by %ld: rows differ:\n%.600s\n%.600s", lists[i].path, lists[i].limit, a,
                     b);
        }
        /* pages of index results are by unit; elsewhere rows by limit */
        if (!lists[i].key || strcmp(lists[i].key, "ranking") == 0) {
            assert_int_equal(total, (long)json_array_size(whole));
            size_t want = (size_t)(total + lists[i].limit - 1) / (size_t)lists[i].limit;
            if (pages != (want ? want : 1))
                fail_msg("%s by %ld: %zu pages for %ld rows", lists[i].path, lists[i].limit, pages,
                         total);
        }
        json_decref(whole);
        json_decref(paged);
    }
}

/* The totals are the store's own counts, not the pages' sums. */
static void test_api_paging_totals_are_the_store_counts(void **state)
{
    long rows, current, total;
    size_t pages;
    (void)state;

    seed_many();
    assert_int_equal(store_count_observations(fx.st, &rows, &current), 0);
    /* 1 + 1 + 1 + 30 (p01) + 120 (p02): 153 keys, plus p01 rev's old vintage */
    assert_int_equal(current, 153);
    assert_int_equal(rows, 154);
    json_decref(walk_pages("/api/v1/observations", NULL, 50, &total, &pages));
    assert_int_equal(total, current);
    assert_int_equal(pages, 4);
    json_decref(walk_pages("/api/v1/observations?history=1", NULL, 100, &total, &pages));
    assert_int_equal(total, rows);
    json_decref(walk_pages("/api/v1/observations?unit=p02&indicator=pat&from=1950", NULL, 1000,
                           &total, &pages));
    assert_int_equal(total, 70); /* 1950 .. 2019 */
    json_decref(walk_pages("/api/v1/rejects", NULL, 10, &total, &pages));
    assert_int_equal(total, 26); /* one of run 2, 25 of bulk */
    json_decref(walk_pages("/api/v1/rejects?period=2023-12&source=nbs", NULL, 10, &total, &pages));
    assert_int_equal(total, 1);
    json_decref(walk_pages("/api/v1/runs", NULL, 1, &total, &pages));
    assert_int_equal(total, 3);
}

/* limit past its largest value, 0, or not a number; a cursor that is not one,
 * or one of another list: 400s naming the parameter. */
static void test_api_paging_limits_and_bad_cursors(void **state)
{
    static const struct {
        const char *path, *message;
    } cases[] = {
        {"/api/v1/observations?limit=10001", "parameter 'limit': expected 1..10000, not \"10001\""},
        {"/api/v1/observations?limit=0", "parameter 'limit': expected 1..10000, not \"0\""},
        {"/api/v1/units?limit=-1", "parameter 'limit': expected 1..10000, not \"-1\""},
        {"/api/v1/indices/innov?limit=1001", "parameter 'limit': expected 1..1000, not \"1001\""},
        {"/api/v1/rankings/innov?limit=10001",
         "parameter 'limit': expected 1..10000, not \"10001\""},
        {"/api/v1/runs?limit=1001", "parameter 'limit': expected 1..1000, not \"1001\""},
        {"/api/v1/rejects?limit=x", "parameter 'limit': expected 1..10000, not \"x\""},
        {"/api/v1/observations?cursor=", NULL},
        {"/api/v1/observations?cursor=!!!", NULL},
        {"/api/v1/observations?cursor=AAAA", NULL},
        {"/api/v1/runs?cursor=cnVucwAzADEAMQAx", NULL}, /* runs 3 1 1 1: a key field too many */
        {"/api/v1/runs?cursor=cnVucwAzAHgAMQ", NULL},   /* runs 3 x 1: not a number */
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct resp r;
        get(cases[i].path, &r);
        char *m = error_message(&r, 400, cases[i].path);
        if (cases[i].message)
            assert_string_equal(m, cases[i].message);
        else if (strncmp(m, "parameter 'cursor': not a cursor of this list", 45) != 0)
            fail_msg("%s: \"%s\"", cases[i].path, m);
        free(m);
        resp_free(&r);
    }
    /* A units cursor is not an indicators cursor. */
    json_t *env = get_envelope("/api/v1/units?limit=1");
    const char *next = json_string_value(json_object_get(json_object_get(env, "page"), "next"));
    char path[256];
    struct resp r;
    assert_non_null(next);
    snprintf(path, sizeof(path), "/api/v1/indicators?cursor=%s", next);
    get(path, &r);
    free(error_message(&r, 400, path));
    resp_free(&r);
    snprintf(path, sizeof(path), "/api/v1/units?cursor=%s", next);
    get(path, &r);
    assert_int_equal(r.code, 200);
    resp_free(&r);
    json_decref(env);
}

/* format=xlsx: a zip (the workbook) of the xlsx type with its file name,
 * not gzipped, with the page's headers; the same from the cache. The cells
 * are checked with openpyxl in tests/integration/test_xlsx_out.sh. */
static void test_api_xlsx_answer(void **state)
{
    char buf[256];
    (void)state;

    seed_many();
    for (int pass = 0; pass < 2; pass++) {
        struct resp r;
        http("GET", "/api/v1/observations?format=xlsx&limit=40", NULL, NULL, "gzip", &r);
        assert_int_equal(r.code, 200);
        assert_true(r.len > 4 && memcmp(r.body, "PK\x03\x04", 4) == 0);
        assert_string_equal(header(&r, "Content-Type", buf, sizeof(buf)),
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        assert_string_equal(header(&r, "Content-Disposition", buf, sizeof(buf)),
                            "attachment; filename=\"observations.xlsx\"");
        assert_string_equal(header(&r, "X-Total-Count", buf, sizeof(buf)), "153");
        assert_string_equal(header(&r, "Content-Encoding", buf, sizeof(buf)), "");
        resp_free(&r);
    }
}

/* CSV pages carry the total and the next cursor in headers, also when the
 * answer comes from the cache; following them reads every row once. */
static void test_api_paging_csv_headers(void **state)
{
    char total[32], next[512], path[768];
    size_t lines = 0;
    (void)state;

    seed_many();
    snprintf(path, sizeof(path), "/api/v1/observations?format=csv&limit=40");
    for (int round = 0; round < 100; round++) {
        struct resp r, again;
        get(path, &r);
        assert_int_equal(r.code, 200);
        get(path, &again); /* the cache's copy */
        assert_string_equal(r.body, again.body);
        assert_string_equal(header(&r, "X-Total-Count", total, sizeof(total)), "153");
        header(&again, "X-Total-Count", total, sizeof(total));
        assert_string_equal(total, "153");
        char next2[512];
        header(&r, "X-Next-Cursor", next, sizeof(next));
        assert_string_equal(header(&again, "X-Next-Cursor", next2, sizeof(next2)), next);
        for (const char *p = strchr(r.body, '\n'); p; p = strchr(p + 1, '\n'))
            lines++;
        lines--; /* the header row */
        resp_free(&r);
        resp_free(&again);
        if (!next[0])
            break;
        snprintf(path, sizeof(path), "/api/v1/observations?format=csv&limit=40&cursor=%s", next);
    }
    assert_int_equal(lines, 153);
}

/* An answer over the server's cap is a 413 that says what to do, never a
 * 500 or a cut answer; a smaller page of the same list is served. */
static void test_api_too_large_answer_is_413(void **state)
{
    char err[256];
    (void)state;

    api_stop(&fx.api);
    struct api_options opt = {.listen = "127.0.0.1:0", .db_path = fx.path, .max_reply = 600};
    if (api_start(&fx.api, &opt, err, sizeof(err)) != 0)
        fail_msg("api_start: %s", err);
    fx.port = api_port(fx.api);
    static const char *const paths[] = {"/api/v1/observations", "/api/v1/observations?format=csv",
                                        "/api/v1/observations?format=xlsx", "/api/v1/indicators"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        struct resp r;
        get(paths[i], &r);
        char *m = error_message(&r, 413, paths[i]);
        assert_string_equal(m, "answer over 600 bytes: ask for fewer rows (limit) or narrow the "
                               "query");
        free(m);
        resp_free(&r);
    }
    struct resp r;
    get("/api/v1/observations?limit=2", &r);
    assert_int_equal(r.code, 200);
    assert_true(r.len <= 600);
    resp_free(&r);
}

/* SDMX-JSON holds its codes for the structure: past the cap's worth of
 * units it is a 413 with an SDMX error message; SDMX-ML and SDMX-CSV are
 * streamed, so the cap of buffered answers does not hold them back. */
static void test_api_sdmx_json_too_large_is_413(void **state)
{
    char err[256];
    (void)state;

    api_stop(&fx.api);
    struct api_options opt = {.listen = "127.0.0.1:0", .db_path = fx.path, .max_reply = 64};
    if (api_start(&fx.api, &opt, err, sizeof(err)) != 0)
        fail_msg("api_start: %s", err);
    fx.port = api_port(fx.api);
    struct resp r;
    get("/sdmx/2.1/data/OBS?format=sdmx-json-2.0", &r);
    assert_int_equal(r.code, 413);
    json_t *root = json_loads(r.body, 0, NULL);
    assert_non_null(root);
    json_t *e = json_array_get(json_object_get(root, "errors"), 0);
    assert_int_equal(json_integer_value(json_object_get(e, "code")), 130);
    assert_non_null(strstr(json_string_value(json_object_get(e, "title")), "name the units"));
    json_decref(root);
    resp_free(&r);
    get("/sdmx/2.1/data/OBS/p01.rev.M?format=sdmx-json", &r);
    assert_int_equal(r.code, 200);
    assert_non_null(strstr(r.body, "\"observations\":{\"0\":[101.25,null]}"));
    resp_free(&r);
    static const char *const streamed[] = {"/sdmx/2.1/data/OBS",
                                           "/sdmx/2.1/data/OBS?format=sdmx-csv"};
    for (size_t i = 0; i < 2; i++) {
        get(streamed[i], &r);
        assert_int_equal(r.code, 200);
        assert_true(r.len > (size_t)64 * 10);
        assert_non_null(strstr(r.body, "2023-12"));
        resp_free(&r);
    }
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

/* test_api [PATTERN]: the tests whose names match PATTERN (cmocka's
 * wildcards), all without one. */
int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        T(test_api_units_envelope_exact),
        T(test_api_indicators_list),
        T(test_api_observations_current_and_as_of),
        T(test_api_observations_history_csv_exact),
        T(test_api_observations_period_range),
        T(test_api_missing_and_status),
        T(test_api_rejects_csv_quotes_fields),
        T(test_api_runs_newest_first_with_limit),
        T(test_api_sources_health),
        T(test_api_index_results_and_contributions),
        T(test_api_rankings_csv_and_period),
        T(test_api_xlsx_answer),
        T(test_api_errors_have_status_and_message),
        T(test_api_long_uri_is_414),
        T(test_api_admin_needs_bearer_token),
        T(test_api_pull_hook_gets_source_and_period),
        T(test_api_healthz_and_head),
        T(test_api_gzip_round_trip),
        T(test_api_metrics_count_requests),
        T(test_api_checks_list_and_metrics),
        T(test_api_slow_request_does_not_block_others),
        T(test_api_cached_answer_while_the_worker_is_busy),
        T(test_api_start_errors_and_ipv6),
        T(test_api_sdmx_json_too_large_is_413),
        T(test_api_etag_304_and_new_ingest_changes_it),
        T(test_api_unknown_parameters_every_endpoint),
        T(test_api_bad_query_text_is_400),
        T(test_api_parameters_documented),
        T(test_api_wrong_frequency_period_is_400),
        T(test_api_pull_period_validated),
        T(test_api_series_404_names_the_unknown),
        T(test_api_series_big_parents_one_at_a_time),
        T(test_api_paging_round_trip_every_list),
        T(test_api_paging_totals_are_the_store_counts),
        T(test_api_paging_limits_and_bad_cursors),
        T(test_api_paging_csv_headers),
        T(test_api_too_large_answer_is_413),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return failed;
}
