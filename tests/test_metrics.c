/*
 * test_metrics.c - the metrics registry: exact Prometheus text for counters,
 * gauges and histograms with labels, label escaping, registration rules and a
 * two-thread increment smoke test.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/metrics.h"

static int setup(void **state)
{
    struct metrics *m = NULL;
    assert_int_equal(metrics_new(&m), 0);
    *state = m;
    return 0;
}

static int teardown(void **state)
{
    struct metrics *m = *state;
    metrics_free(&m);
    assert_null(m);
    return 0;
}

static void assert_render(struct metrics *m, const char *want)
{
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(metrics_render(m, &text, &len), 0);
    assert_string_equal(text, want);
    assert_int_equal(len, strlen(want));
    free(text);
}

static void test_metrics_counter_with_labels_renders_exact_text(void **state)
{
    struct metrics *m = *state;
    static const char *const labels[] = {"endpoint", "code"};
    static const char *const ok[] = {"/api/v1/units", "200"};
    static const char *const nf[] = {"other", "404"};

    assert_int_equal(metrics_register(m, "api_requests_total", METRICS_COUNTER,
                                      "HTTP requests served.", labels, 2, NULL, 0),
                     0);
    assert_int_equal(metrics_counter_add(m, "api_requests_total", ok, 1), 0);
    assert_int_equal(metrics_counter_add(m, "api_requests_total", nf, 1), 0);
    assert_int_equal(metrics_counter_add(m, "api_requests_total", ok, 2), 0);
    assert_render(m, "# HELP api_requests_total HTTP requests served.\n"
                     "# TYPE api_requests_total counter\n"
                     "api_requests_total{endpoint=\"/api/v1/units\",code=\"200\"} 3\n"
                     "api_requests_total{endpoint=\"other\",code=\"404\"} 1\n");
}

static void test_metrics_gauge_without_labels_and_fractions(void **state)
{
    struct metrics *m = *state;

    assert_int_equal(metrics_register(m, "db_bytes", METRICS_GAUGE, "Size.", NULL, 0, NULL, 0), 0);
    assert_int_equal(metrics_gauge_set(m, "db_bytes", NULL, 4096), 0);
    assert_int_equal(metrics_gauge_add(m, "db_bytes", NULL, -0.25), 0);
    assert_render(m, "# HELP db_bytes Size.\n# TYPE db_bytes gauge\ndb_bytes 4095.75\n");
    assert_int_equal(metrics_gauge_set(m, "db_bytes", NULL, 0.1), 0);
    assert_render(m, "# HELP db_bytes Size.\n# TYPE db_bytes gauge\ndb_bytes 0.1\n");
}

/* Observations 0.05, 0.3, 0.3, 2 into buckets 0.1, 0.5, 1: cumulative counts
 * 1, 3, 3, 4 (+Inf); sum 2.65. */
static void test_metrics_histogram_buckets_sum_count(void **state)
{
    struct metrics *m = *state;
    static const char *const labels[] = {"source"};
    static const char *const nbs[] = {"nbs"};
    static const double buckets[] = {0.1, 0.5, 1};

    assert_int_equal(
        metrics_register(m, "pull_seconds", METRICS_HISTOGRAM, "Pull time.", labels, 1, buckets, 3),
        0);
    assert_int_equal(metrics_histogram_observe(m, "pull_seconds", nbs, 0.05), 0);
    assert_int_equal(metrics_histogram_observe(m, "pull_seconds", nbs, 0.3), 0);
    assert_int_equal(metrics_histogram_observe(m, "pull_seconds", nbs, 0.3), 0);
    assert_int_equal(metrics_histogram_observe(m, "pull_seconds", nbs, 2), 0);
    assert_render(m, "# HELP pull_seconds Pull time.\n"
                     "# TYPE pull_seconds histogram\n"
                     "pull_seconds_bucket{source=\"nbs\",le=\"0.1\"} 1\n"
                     "pull_seconds_bucket{source=\"nbs\",le=\"0.5\"} 3\n"
                     "pull_seconds_bucket{source=\"nbs\",le=\"1\"} 3\n"
                     "pull_seconds_bucket{source=\"nbs\",le=\"+Inf\"} 4\n"
                     "pull_seconds_sum{source=\"nbs\"} 2.65\n"
                     "pull_seconds_count{source=\"nbs\"} 4\n");
}

static void test_metrics_histogram_boundary_is_inclusive(void **state)
{
    struct metrics *m = *state;
    static const double buckets[] = {1, 2};

    assert_int_equal(metrics_register(m, "h", METRICS_HISTOGRAM, "", NULL, 0, buckets, 2), 0);
    assert_int_equal(metrics_histogram_observe(m, "h", NULL, 1), 0); /* le="1" holds 1 */
    assert_render(m, "# HELP h \n# TYPE h histogram\n"
                     "h_bucket{le=\"1\"} 1\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"+Inf\"} 1\n"
                     "h_sum 1\nh_count 1\n");
}

static void test_metrics_label_and_help_escaping(void **state)
{
    struct metrics *m = *state;
    static const char *const labels[] = {"path"};
    static const char *const v[] = {"a\\b\"c\nd"};

    assert_int_equal(metrics_register(m, "esc_total", METRICS_COUNTER, "back\\slash\nnew \"q\"",
                                      labels, 1, NULL, 0),
                     0);
    assert_int_equal(metrics_counter_add(m, "esc_total", v, 1), 0);
    assert_render(m, "# HELP esc_total back\\\\slash\\nnew \"q\"\n"
                     "# TYPE esc_total counter\n"
                     "esc_total{path=\"a\\\\b\\\"c\\nd\"} 1\n");
}

static void test_metrics_registration_rules(void **state)
{
    struct metrics *m = *state;
    static const char *const one[] = {"a"};
    static const char *const le[] = {"le"};
    static const char *const bad[] = {"a-b"};
    static const double unsorted[] = {1, 0.5};

    assert_int_equal(metrics_register(m, "x_total", METRICS_COUNTER, "", one, 1, NULL, 0), 0);
    assert_int_equal(metrics_register(m, "x_total", METRICS_COUNTER, "", one, 1, NULL, 0), 0);
    assert_int_equal(metrics_register(m, "x_total", METRICS_GAUGE, "", one, 1, NULL, 0), -EEXIST);
    assert_int_equal(metrics_register(m, "9x", METRICS_GAUGE, "", NULL, 0, NULL, 0), -EINVAL);
    assert_int_equal(metrics_register(m, "y", METRICS_GAUGE, "", le, 1, NULL, 0), -EINVAL);
    assert_int_equal(metrics_register(m, "y", METRICS_GAUGE, "", bad, 1, NULL, 0), -EINVAL);
    assert_int_equal(metrics_register(m, "h", METRICS_HISTOGRAM, "", NULL, 0, unsorted, 2),
                     -EINVAL);
    assert_int_equal(metrics_counter_add(m, "nope", NULL, 1), -ENOENT);
    assert_int_equal(metrics_counter_add(m, "x_total", one, -1), -EINVAL);
    assert_int_equal(metrics_gauge_set(m, "x_total", one, 1), -EINVAL);
}

static void test_metrics_empty_registry_renders_empty_text(void **state)
{
    assert_render(*state, "");
}

enum { N_INCREMENTS = 100000 };

static void *incrementer(void *arg)
{
    static const char *const v[] = {"t"};
    for (int i = 0; i < N_INCREMENTS; i++)
        metrics_counter_add(arg, "n_total", v, 1);
    return NULL;
}

static void test_metrics_two_threads_count_exactly(void **state)
{
    struct metrics *m = *state;
    static const char *const labels[] = {"k"};
    pthread_t a, b;

    assert_int_equal(metrics_register(m, "n_total", METRICS_COUNTER, "n", labels, 1, NULL, 0), 0);
    assert_int_equal(pthread_create(&a, NULL, incrementer, m), 0);
    assert_int_equal(pthread_create(&b, NULL, incrementer, m), 0);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    assert_render(m, "# HELP n_total n\n# TYPE n_total counter\nn_total{k=\"t\"} 200000\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_metrics_counter_with_labels_renders_exact_text, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_metrics_gauge_without_labels_and_fractions, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_metrics_histogram_buckets_sum_count, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics_histogram_boundary_is_inclusive, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_metrics_label_and_help_escaping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics_registration_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics_empty_registry_renders_empty_text, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_metrics_two_threads_count_exactly, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
