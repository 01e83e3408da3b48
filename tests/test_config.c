/*
 * test_config.c - config/ and formula/: the good example reads back
 * field by field (defaults included), every kind of mistake is reported with
 * its place and a clear message (table-driven, all problems at once), and
 * formulas are checked and evaluated by SQLite.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "formula/formula.h"
#include "test_support.h"

/* Test JSON is written with ' for " to stay readable; this swaps them back. */
static char *dq(const char *text)
{
    char *s = strdup(text);

    assert_non_null(s);
    for (char *p = s; *p; p++) {
        if (*p == '\'')
            *p = '"';
    }
    return s;
}

static int load_text(const char *text, struct config **cfg, char **errors)
{
    char *json = dq(text);
    int rc = config_load_buffer("t.json", NULL, json, strlen(json), cfg, errors);

    free(json);
    return rc;
}

/* tests/data/config/<name>, in a buffer the next call overwrites. */
static char *data_path(const char *name)
{
    static char path[1024];
    char rel[256];

    return ts_data_path(path, sizeof(path), ts_path(rel, sizeof(rel), "config", name));
}

static struct config *load_good(void)
{
    struct config *cfg = NULL;
    char *errors = NULL;
    int rc = config_load(data_path("good.json"), &cfg, &errors);

    if (rc != 0)
        fprintf(stderr, "%s", errors ? errors : "(no message)\n");
    assert_int_equal(rc, 0);
    assert_null(errors);
    assert_non_null(cfg);
    return cfg;
}

static void test_config_good_scalars_and_paths(void **state)
{
    struct config *cfg = load_good();
    char want[1100];

    (void)state;
    assert_string_equal(config_listen(cfg), "[::1]:9090");
    assert_string_equal(config_timezone(cfg), "Asia/Shanghai");
    assert_string_equal(config_log_level(cfg), "debug");
    assert_string_equal(config_path(cfg), data_path("good.json"));
    /* relative paths resolve against the config file's folder */
    snprintf(want, sizeof(want), "%s", data_path("data/parkstat.db"));
    assert_string_equal(config_database(cfg), want);
    snprintf(want, sizeof(want), "%s", data_path("secrets/token"));
    assert_string_equal(config_token_file(cfg), want);
    config_free(&cfg);
    assert_null(cfg);
    config_free(&cfg); /* harmless */
    config_free(NULL);
}

static void test_config_good_units_hierarchy(void **state)
{
    struct config *cfg = load_good();
    const struct config_unit *u;
    size_t n;

    (void)state;
    u = config_units(cfg, &n);
    assert_int_equal(n, 7);
    /* file order is kept; e001 comes before its parent p01 and city */
    assert_string_equal(u[0].id, "e001");
    assert_string_equal(u[0].name, "南京星河半导体有限公司");
    assert_string_equal(u[0].parent, "p01");
    assert_int_equal(u[0].parent_index, 2);
    assert_int_equal(u[0].depth, 2);
    assert_int_equal(u[0].n_attrs, 2);
    assert_string_equal(config_unit_attr(&u[0], "sector"), "集成电路");
    assert_string_equal(config_unit_attr(&u[0], "stage"), "growth");
    assert_null(config_unit_attr(&u[0], "type"));
    assert_string_equal(u[1].id, "city");
    assert_null(u[1].parent);
    assert_int_equal(u[1].parent_index, -1);
    assert_int_equal(u[1].depth, 0);
    assert_int_equal(u[1].n_attrs, 0);
    assert_int_equal(u[2].depth, 1);
    assert_string_equal(config_unit_attr(&u[2], "type"), "national");
    assert_int_equal(u[5].parent_index, 3);
    assert_int_equal(u[5].depth, 2);
    assert_int_equal(u[6].parent_index, 4);
    config_free(&cfg);
}

static void test_config_find_takes_pointer_and_length(void **state)
{
    struct config *cfg = load_good();
    const char *field = "p03,e003,revenue_ytd";

    (void)state;
    assert_int_equal(config_unit_find(cfg, field, 3), 4);
    assert_int_equal(config_unit_find(cfg, field + 4, 4), 6);
    assert_int_equal(config_unit_find(cfg, "city", 4), 1);
    assert_int_equal(config_unit_find(cfg, "cit", 3), -1);
    assert_int_equal(config_unit_find(cfg, "cityx", 5), -1);
    assert_int_equal(config_unit_find(cfg, "", 0), -1);
    assert_int_equal(config_indicator_find(cfg, field + 9, 7), 0);
    assert_int_equal(config_indicator_find(cfg, "energy_intensity", 16), 5);
    assert_int_equal(config_indicator_find(cfg, "energy_intensity", 6), 3);
    assert_int_equal(config_indicator_find(cfg, "revnue", 6), -1);
    config_free(&cfg);
}

/* FNV-1a (32 bits), written from its definition: the slot a unit id takes in
 * config_unit_find()'s table of 2^k >= 2n slots is fnv1a(id) mod 2^k. */
static uint32_t fnv1a(const char *s)
{
    uint32_t h = 2166136261u;

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* Ids that share one slot of the table (and the slot after it) are each
 * found at their own position; unknown ids, also in that slot, are not. */
static void test_config_find_hash_collisions(void **state)
{
    enum { NU = 40, NSLOT = 128, SLOT = 5 };
    char ids[NU][16], unknown[3][24], *json, *errors = NULL;
    size_t nid = 0, nunk = 0, same = 0, len = 0;
    struct config *cfg = NULL;

    (void)state;
    assert_int_equal(fnv1a("a"), 0xe40c292cu); /* the published test vector */
    /* the first 12 ids in SLOT or SLOT + 1 (a probe run), then the next ids;
     * 3 more ids in SLOT stay out of the config */
    for (int k = 0; nid < NU || nunk < 3; k++) {
        char id[16];
        snprintf(id, sizeof(id), "u%d", k);
        uint32_t slot = fnv1a(id) % NSLOT;
        if ((slot == SLOT || slot == SLOT + 1) && same < 12 && nid < NU) {
            same++;
            memcpy(ids[nid++], id, sizeof(id));
        } else if (slot == SLOT && same >= 12 && nunk < 3) {
            memcpy(unknown[nunk++], id, sizeof(id));
        } else if (same >= 12 && nid < NU && slot != SLOT) {
            memcpy(ids[nid++], id, sizeof(id));
        }
    }
    json = malloc(NU * 64 + 512);
    assert_non_null(json);
    len += (size_t)sprintf(json, "{'units': [");
    for (size_t i = 0; i < NU; i++)
        len += (size_t)sprintf(json + len, "%s{'id': '%s', 'name': 'U'}", i ? ", " : "", ids[i]);
    sprintf(json + len, "], 'indicators': [{'code': 'revenue', 'name': 'R', 'frequency': 'M', "
                        "'kind': 'flow'}]}");
    if (load_text(json, &cfg, &errors) != 0)
        fail_msg("%s", errors);
    for (size_t i = 0; i < NU; i++)
        assert_int_equal(config_unit_find(cfg, ids[i], strlen(ids[i])), (long)i);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(config_unit_find(cfg, unknown[i], strlen(unknown[i])), -1);
    /* a prefix, a longer text, an id with a NUL inside */
    assert_int_equal(config_unit_find(cfg, ids[0], strlen(ids[0]) - 1), -1);
    snprintf(unknown[0], sizeof(unknown[0]), "%sx", ids[1]);
    assert_int_equal(config_unit_find(cfg, unknown[0], strlen(unknown[0])), -1);
    assert_int_equal(config_unit_find(cfg, unknown[0], strlen(ids[1])), 1);
    memcpy(unknown[1], ids[2], sizeof(ids[2]));
    assert_int_equal(config_unit_find(cfg, unknown[1], strlen(unknown[1]) + 1), -1);
    assert_int_equal(config_indicator_find(cfg, "revenue", 7), 0);
    assert_int_equal(config_indicator_find(cfg, "revenu", 6), -1);
    config_free(&cfg);
    free(json);
}

static void test_config_good_indicators(void **state)
{
    struct config *cfg = load_good();
    const struct config_indicator *ind;
    size_t n;

    (void)state;
    ind = config_indicators(cfg, &n);
    assert_int_equal(n, 6);
    assert_string_equal(ind[0].code, "revenue");
    assert_string_equal(ind[0].name, "营业收入");
    assert_string_equal(ind[0].measure, "亿元");
    assert_int_equal(ind[0].freq, PERIOD_MONTH);
    assert_int_equal(ind[0].kind, CONFIG_FLOW);
    assert_int_equal(ind[0].cumulative, 1);
    assert_int_equal(ind[0].direction, 1);
    assert_int_equal(ind[0].decimals, 2);
    assert_null(ind[0].formula);
    assert_null(ind[0].numerator);
    /* defaults: not cumulative, direction 1, 2 decimals */
    assert_int_equal(ind[1].freq, PERIOD_QUARTER);
    assert_int_equal(ind[1].cumulative, 0);
    assert_int_equal(ind[1].direction, 1);
    assert_int_equal(ind[1].decimals, 2);
    assert_int_equal(ind[2].kind, CONFIG_STOCK);
    assert_int_equal(ind[2].decimals, 0);
    assert_int_equal(ind[3].direction, -1);
    assert_int_equal(ind[3].decimals, 3);
    assert_int_equal(ind[4].kind, CONFIG_RATE);
    assert_string_equal(ind[4].formula, "rd_expense / revenue * 100");
    assert_string_equal(ind[4].numerator, "rd_expense");
    assert_string_equal(ind[4].denominator, "revenue");
    assert_true(ind[4].scale == 100.0); /* measure "%" */
    assert_true(ind[5].scale == 10.0);  /* given */
    assert_int_equal(ind[5].decimals, 4);
    config_free(&cfg);
}

static void test_config_good_source_and_index(void **state)
{
    struct config *cfg = load_good();
    const struct config_source *s;
    const struct config_index *x;
    const struct config_index_node *t;
    size_t n;

    (void)state;
    s = config_sources(cfg, &n);
    assert_int_equal(n, 1);
    assert_string_equal(s[0].id, "parks-monthly");
    assert_string_equal(s[0].url, "file:///srv/parks/{period}.json");
    assert_string_equal(s[0].format, "json");
    assert_int_equal(s[0].freq, PERIOD_MONTH);
    assert_int_equal(s[0].release_lag_days, 15);
    assert_int_equal(s[0].first_period.year, 2021);
    assert_int_equal(s[0].first_period.freq, PERIOD_MONTH);
    assert_int_equal(s[0].first_period.index, 1);
    assert_int_equal(s[0].poll_every_s, 6 * 3600);
    assert_int_equal(s[0].revision_window, 3);
    assert_true(s[0].timeout_s == 30.0);
    assert_non_null(strstr(s[0].json, "\"mapping\":{\"records\":\"/data\""));

    x = config_indices(cfg, &n);
    assert_int_equal(n, 1);
    assert_string_equal(x[0].id, "monitoring");
    assert_string_equal(x[0].name, "高新区监测发展指数");
    assert_int_equal(x[0].freq, PERIOD_QUARTER);
    assert_int_equal(x[0].normalise, CONFIG_NORM_FIXED_BASE);
    assert_int_equal(x[0].aggregate, CONFIG_AGG_GEOMETRIC);
    assert_int_equal(x[0].missing, CONFIG_MISSING_CARRY);
    assert_int_equal(x[0].has_base, 1);
    assert_int_equal(x[0].base.year, 2021);
    assert_int_equal(x[0].base.freq, PERIOD_YEAR);
    assert_string_equal(x[0].units, "children:city");
    assert_int_equal(x[0].unit_sel.kind, CONFIG_UNITS_CHILDREN);
    assert_string_equal(config_units(cfg, &n)[x[0].unit_sel.anchor].id, "city");
    assert_int_equal(x[0].outlier.on, 1);
    assert_int_equal(x[0].outlier.winmax, 4);
    assert_int_equal(x[0].outlier.limit, CONFIG_LIMIT_STEPS);
    assert_true(isnan(x[0].outlier.skew)); /* not given: the engine's default */
    assert_int_equal(x[0].impute, CONFIG_IMPUTE_NONE);
    assert_int_equal(x[0].n_tree, 2);
    t = x[0].tree;
    assert_string_equal(t[0].id, "innovation");
    assert_null(t[0].indicator);
    assert_string_equal(t[1].name, "green"); /* name defaults to the id */
    assert_int_equal(t[0].n_children, 2);
    assert_string_equal(t[0].children[0].id, "rd_intensity");
    assert_string_equal(t[0].children[0].name, "研发投入强度");
    assert_string_equal(t[0].children[0].indicator, "rd_intensity");
    assert_string_equal(t[0].children[1].id, "scale");
    /* leaf direction: the indicator's (-1) unless given (+1) */
    assert_int_equal(t[1].children[0].direction, -1);
    assert_int_equal(t[1].children[1].direction, 1);
    assert_string_equal(t[1].children[1].name, "能耗总量");
    /* goalposts: the leaf's own, else the default [0, 100] */
    assert_true(t[1].children[1].goalposts[0] == 10 && t[1].children[1].goalposts[1] == 90);
    assert_true(t[1].children[0].goalposts[0] == 0 && t[1].children[0].goalposts[1] == 100);
    assert_int_equal(t[1].children[0].denominator, -1);
    assert_null(t[1].children[0].bands);
    /* 0.6 / (0.6 + 0.4); 2 / (2 + 1); 3 / (1 + 3) */
    assert_float_equal(config_index_node_weight(t, 2, 0), 0.6, 1e-12);
    assert_float_equal(config_index_node_weight(t[0].children, 2, 0), 2.0 / 3.0, 1e-12);
    assert_float_equal(config_index_node_weight(t[1].children, 2, 1), 0.75, 1e-12);
    config_free(&cfg);
}

#define MIN_UNITS "'units': [{'id': 'city', 'name': '南京市'}]"
#define MIN_INDS                                                                                   \
    "'indicators': [{'code': 'revenue', 'name': '营业收入', 'frequency': 'M', 'kind': 'flow'}]"

static void test_config_defaults(void **state)
{
    struct config *cfg = NULL;
    char *errors = NULL;
    const struct config_source *s;
    const struct config_index *x;
    size_t n;
    const char *text =
        "{" MIN_UNITS ", " MIN_INDS ", 'sources': [{'id': 's1', 'url': 'file:///x', "
        "'format': 'csv', 'frequency': 'Q', 'first_period': '2020-Q1', 'mapping': "
        "{'unit': 'u', 'indicator': 'i', 'period': 'p', 'value': 'v'}}], "
        "'indices': [{'id': 'ix', 'frequency': 'M', 'method': {'normalise': 'minmax'}, "
        "'tree': [{'indicator': 'revenue', 'weight': 1}]}]}";

    (void)state;
    assert_int_equal(load_text(text, &cfg, &errors), 0);
    assert_null(errors);
    assert_string_equal(config_listen(cfg), "127.0.0.1:8080");
    assert_string_equal(config_database(cfg), "parkstat.db"); /* dir NULL: as given */
    assert_string_equal(config_timezone(cfg), "Asia/Shanghai");
    assert_string_equal(config_log_level(cfg), "info");
    assert_null(config_token_file(cfg));
    assert_true(config_indicators(cfg, &n)[0].scale == 1.0);
    s = config_sources(cfg, &n);
    assert_int_equal(s[0].poll_every_s, 86400);
    assert_int_equal(s[0].updated_after_margin_s, 600);
    assert_true(s[0].timeout_s == 60.0);
    assert_int_equal(s[0].revision_window, 0);
    assert_int_equal(s[0].release_lag_days, 0);
    x = config_indices(cfg, &n);
    assert_int_equal(x[0].aggregate, CONFIG_AGG_ARITHMETIC);
    assert_int_equal(x[0].missing, CONFIG_MISSING_REWEIGHT);
    assert_int_equal(x[0].has_base, 0);
    assert_null(x[0].units);
    assert_string_equal(x[0].name, "ix");
    config_free(&cfg);
}

/* The options of docs/INDICES.md come out typed, leaves inheriting the method's. */
static void test_config_index_options_typed(void **state)
{
    struct config *cfg = NULL;
    char *errors = NULL;
    const struct config_index *x;
    const struct config_index_node *t;
    size_t n;
    const char *text =
        "{'units': [{'id': 'city', 'name': 'C'}, {'id': 'p1', 'name': 'P', 'parent': 'city', "
        "'attributes': {'stage': 'a'}}], 'indicators': [{'code': 'revenue', 'name': 'R', "
        "'frequency': 'M', 'kind': 'flow'}, {'code': 'staff', 'name': 'S', 'frequency': 'Q', "
        "'kind': 'stock'}], 'indices': [{'id': 'ix', 'frequency': 'Y', 'units': ['p1', 'city'], "
        "'method': {'normalise': 'banded', 'impute': {'method': 'group_mean', 'by': 'stage'}, "
        "'screen': 0.9, 'outlier': true, 'bands': {'breaks': [10, 20], 'points': [0, 50, 100]}}, "
        "'tree': [{'indicator': 'revenue', 'weight': 1, 'denominator': 'staff', "
        "'unacceptable': 3, 'satisfactory': 9}, {'indicator': 'staff', 'weight': 1, "
        "'bands': {'breaks': [5], 'points': [1, 2]}}]}]}";

    (void)state;
    if (load_text(text, &cfg, &errors) != 0)
        fail_msg("%s", errors);
    x = config_indices(cfg, &n);
    assert_int_equal(x[0].normalise, CONFIG_NORM_BANDED);
    assert_int_equal(x[0].impute, CONFIG_IMPUTE_GROUP_MEAN);
    assert_string_equal(x[0].impute_by, "stage");
    assert_float_equal(x[0].screen, 0.9, 0);
    assert_int_equal(x[0].outlier.on, 1);
    assert_int_equal(x[0].outlier.limit, CONFIG_LIMIT_STEPS); /* true: the defaults */
    assert_int_equal(x[0].unit_sel.kind, CONFIG_UNITS_LIST);
    assert_int_equal(x[0].unit_sel.n_list, 2);
    assert_int_equal(x[0].unit_sel.list[0], 1); /* p1 */
    assert_int_equal(x[0].unit_sel.list[1], 0); /* city */
    t = x[0].tree;
    assert_int_equal(t[0].denominator, 1);
    assert_float_equal(t[0].unacceptable, 3, 0);
    assert_float_equal(t[0].satisfactory, 9, 0);
    assert_int_equal(t[0].bands->n_breaks, 2); /* the method's */
    assert_float_equal(t[0].bands->points[2], 100, 0);
    assert_int_equal(t[1].bands->n_breaks, 1); /* its own */
    assert_float_equal(t[1].bands->points[1], 2, 0);
    assert_true(isnan(t[1].unacceptable));
    config_free(&cfg);
}

/* The source options of docs/CONFIG.md and docs/FORMATS.md come out typed. */
static void test_config_source_options_typed(void **state)
{
    struct config *cfg = NULL;
    char *errors = NULL;
    const struct config_source *s;
    size_t n;
    const char *text =
        "{'units': [{'id': 'city', 'name': 'C'}, {'id': 'p1', 'name': 'P', 'parent': 'city'}], "
        "'indicators': [{'code': 'revenue', 'name': 'R', 'frequency': 'M', 'kind': 'flow'}, "
        "{'code': 'tax', 'name': 'T', 'frequency': 'M', 'kind': 'flow'}], "
        "'sources': [{'id': 's', 'url': 'https://h/{unit}/{period}.csv', 'format': 'csv', "
        "'frequency': 'M', 'first_period': '2021-01', 'units': 'children:city', "
        "'jitter_s': 600, 'updated_after_margin_s': 0, 'connect_timeout_s': 2.5, 'max_bytes': "
        "1048576, 'max_retries': 0, "
        "'backoff_s': 0.25, 'ca_file': 'ca.pem', 'auth': {'basic_user': 'u', "
        "'basic_password_file': '/etc/pw'}, 'headers': {'Accept': 'text/csv'}, "
        "'codes': {'A02': 'tax', 'A01': 'revenue'}, 'unit_codes': {'110000': 'p1'}, "
        "'scale': {'tax': 0.1}, 'mapping': {'layout': 'wide', 'delimiter': ';', "
        "'period': {'const': '2023-01'}, 'fields': {'revenue': '营业收入', 'tax': 'T'}}}]}";
    char *json = dq(text);

    (void)state;
    if (config_load_buffer("t.json", "/srv/ps", json, strlen(json), &cfg, &errors) != 0)
        fail_msg("%s", errors);
    free(json);
    s = config_sources(cfg, &n);
    assert_int_equal(s[0].jitter_s, 600);
    assert_int_equal(s[0].updated_after_margin_s, 0); /* given; else 600 */
    assert_float_equal(s[0].connect_timeout_s, 2.5, 0);
    assert_int_equal(s[0].max_bytes, 1048576);
    assert_int_equal(s[0].max_retries, 0);
    assert_float_equal(s[0].backoff_s, 0.25, 0);
    assert_string_equal(s[0].ca_file, "/srv/ps/ca.pem");
    assert_null(s[0].bearer_token_file);
    assert_string_equal(s[0].basic_user, "u");
    assert_string_equal(s[0].basic_password_file, "/etc/pw");
    assert_int_equal(s[0].n_headers, 1);
    assert_string_equal(s[0].headers[0], "Accept: text/csv");
    assert_int_equal(s[0].units.kind, CONFIG_UNITS_CHILDREN);
    assert_int_equal(s[0].units.anchor, 0);
    assert_string_equal(config_code_map(s[0].codes, s[0].n_codes, "A01"), "revenue");
    assert_string_equal(config_code_map(s[0].codes, s[0].n_codes, "A02"), "tax");
    assert_string_equal(config_code_map(s[0].codes, s[0].n_codes, "A03"), "A03");
    assert_string_equal(config_code_map(s[0].unit_codes, s[0].n_unit_codes, "110000"), "p1");
    assert_float_equal(s[0].scale[0], 1, 0);
    assert_float_equal(s[0].scale[1], 0.1, 0);
    assert_int_equal(s[0].mapping.layout, CONFIG_LAYOUT_WIDE);
    assert_int_equal(s[0].mapping.delimiter, ';');
    assert_string_equal(s[0].mapping.period.constant, "2023-01");
    assert_null(s[0].mapping.unit.path);
    assert_int_equal(s[0].mapping.n_fields, 2);
    assert_string_equal(s[0].mapping.fields[0].indicator, "revenue");
    assert_string_equal(s[0].mapping.fields[0].path, "营业收入");
    config_free(&cfg);
}

static void test_config_relative_database_uses_dir(void **state)
{
    struct config *cfg = NULL;
    char *json =
        dq("{'database': 'db/p.db', 'server': {'token_file': '/etc/tok', 'threads': 3}, " MIN_UNITS
           ", " MIN_INDS "}");

    (void)state;
    assert_int_equal(config_load_buffer("x", "/srv/ps", json, strlen(json), &cfg, NULL), 0);
    assert_string_equal(config_database(cfg), "/srv/ps/db/p.db");
    assert_string_equal(config_token_file(cfg), "/etc/tok");
    assert_int_equal(config_api_threads(cfg), 3);
    config_free(&cfg);
    free(json);
}

static void test_config_load_missing_file_names_it(void **state)
{
    struct config *cfg = (struct config *)1;
    char *errors = NULL;

    (void)state;
    assert_int_equal(config_load("/nonexistent/parkstat.json", &cfg, &errors), -ENOENT);
    assert_null(cfg);
    assert_non_null(errors);
    assert_non_null(strstr(errors, "/nonexistent/parkstat.json: cannot read: "));
    free(errors);
}

/* A bad config and the messages (substrings) it must produce. */
struct bad_case {
    const char *what;
    const char *json;
    const char *want[4];
};

#define U(x) "{'units': [" x "], " MIN_INDS "}"
#define I(x) "{" MIN_UNITS ", 'indicators': [" x "]}"
#define REV  "{'code': 'revenue', 'name': 'R', 'frequency': 'M', 'kind': 'flow'}"
#define SRC(x)                                                                                     \
    "{" MIN_UNITS ", " MIN_INDS ", 'sources': [{'id': 's', 'url': 'u', 'format': 'json', "         \
    "'frequency': 'M', 'first_period': '2021-01', 'mapping': {'records': '/data', "                \
    "'period': '/p', 'indicator': '/i', 'value': '/v'}" x "}]}"
#define IDX(method, tree)                                                                          \
    "{" MIN_UNITS ", " MIN_INDS ", 'indices': [{'id': 'x', 'frequency': 'Q', "                     \
    "'method': {'normalise': 'minmax'" method "}, 'tree': [" tree "]}]}"
#define LEAF "{'indicator': 'revenue', 'weight': 1}"

static const struct bad_case bad_cases[] = {
    {"syntax error with line:col",
     "{'units': [\n  {'id': 'a',, }\n]}",
     {"t.json:2:14: string or '}' expected near ','"}},
    {"duplicate key", "{'units': [],\n  'units': 1}", {"t.json:2:9: duplicate object key"}},
    /* units are read element by element (config.c parse()): a comma missing
     * or left over between them keeps jansson's message for the whole text */
    {"units without a comma",
     "{'units': [{'id': 'a', 'name': 'A'} {'id': 'b'}]}",
     {"t.json:1:37: ']' expected near '{'"}},
    {"units with a trailing comma",
     "{'units': [{'id': 'a', 'name': 'A'},]}",
     {"t.json:1:37: unexpected token near ']'"}},
    {"top level not an object", "[1, 2]", {"t.json: top level: expected an object"}},
    {"unknown parent",
     U("{'id': 'a', 'name': 'A', 'parent': 'nanjing'}"),
     {"t.json: units[0].parent: unknown parent \"nanjing\""}},
    {"duplicate unit id",
     U("{'id': 'c', 'name': 'C'}, {'id': 'p01', 'name': 'A', 'parent': 'c'}, "
       "{'id': 'p01', 'name': 'B', 'parent': 'c'}"),
     {"units[2].id: duplicate id \"p01\" (first at units[1])"}},
    {"cycle",
     U("{'id': 'b', 'name': 'B', 'parent': 'c'}, {'id': 'a', 'name': 'A', 'parent': 'b'},"
       "{'id': 'c', 'name': 'C', 'parent': 'a'}, {'id': 'r', 'name': 'R'}"),
     {"units[0].parent: cycle in unit hierarchy: b -> c -> a -> b"}},
    {"self parent",
     U("{'id': 'a', 'name': 'A', 'parent': 'a'}"),
     {"units[0].parent: a unit cannot be its own parent"}},
    {"bad id chars", U("{'id': 'p 01', 'name': 'A'}"), {"units[0].id: bad id \"p 01\""}},
    /* what a unit read without jansson (config_units.c plain_unit) leaves to it */
    {"unit key twice", U("{'id': 'a', 'name': 'A', 'name': 'B'}"), {"duplicate object key"}},
    {"unknown unit key",
     U("{'id': 'a', 'name': 'A', 'parnet': 'a'}"),
     {"units[0]: unknown key \"parnet\" (did you mean \"parent\"?)"}},
    {"unit without a name",
     U("{'id': 'r', 'name': 'R'}, {'id': 'a'}"),
     {"units[1].name: required"}},
    {"id of 65 characters",
     U("{'id': 'a1234567890123456789012345678901234567890123456789012345678901234', 'name': 'A'}"),
     {"units[0].id: bad id"}},
    {"unit not an object", U("{'id': 'r', 'name': 'R'}, 'x'"), {"units[1]: expected object"}},
    {"empty name", U("{'id': 'a', 'name': ''}"), {"units[0].name: must not be empty"}},
    {"wrong type", U("{'id': 'a', 'name': 5}"), {"units[0].name: expected string"}},
    {"attribute not a string",
     U("{'id': 'a', 'name': 'A', 'attributes': {'type': 1}}"),
     {"units[0].attributes.type: expected string"}},
    {"missing units", "{" MIN_INDS "}", {"t.json: units: required"}},
    {"empty units", "{'units': [], " MIN_INDS "}", {"units: must list at least one unit"}},
    {"unknown key",
     I("{'code': 'r', 'name': 'R', 'frequncy': 'M', 'kind': 'flow'}"),
     {"indicators[0]: unknown key \"frequncy\" (did you mean \"frequency\"?)",
      "indicators[0].frequency: required"}},
    {"unknown top key",
     "{'databse': 'x', " MIN_UNITS ", " MIN_INDS "}",
     {"top level: unknown key \"databse\" (did you mean \"database\"?)"}},
    {"bad frequency",
     I("{'code': 'r', 'name': 'R', 'frequency': 'W', 'kind': 'flow'}"),
     {"indicators[0].frequency: bad frequency \"W\" (expected M, Q, H or Y)"}},
    {"bad kind",
     I("{'code': 'r', 'name': 'R', 'frequency': 'M', 'kind': 'level'}"),
     {"indicators[0].kind: bad kind \"level\" (expected flow, stock or rate)"}},
    {"cumulative stock",
     I("{'code': 'r', 'name': 'R', 'frequency': 'M', 'kind': 'stock', 'cumulative': true}"),
     {"indicators[0].cumulative: only a flow can be cumulative"}},
    {"direction 0",
     I("{'code': 'r', 'name': 'R', 'frequency': 'M', 'kind': 'flow', "
       "'direction': 0}"),
     {"indicators[0].direction: must be 1 or -1"}},
    {"decimals 11",
     I("{'code': 'r', 'name': 'R', 'frequency': 'M', 'kind': 'flow', "
       "'decimals': 11}"),
     {"indicators[0].decimals: must be between 0 and 10"}},
    {"bad code",
     I("{'code': 'Revenue', 'name': 'R', 'frequency': 'M', 'kind': 'flow'}"),
     {"indicators[0].code: bad code \"Revenue\""}},
    {"code is SQL keyword",
     I("{'code': 'order', 'name': 'R', 'frequency': 'M', 'kind': 'flow'}"),
     {"indicators[0].code: code \"order\" is an SQL keyword"}},
    {"formula unknown indicator",
     I(REV ", {'code': 'r2', 'name': 'R', 'frequency': 'M', 'kind': 'rate', "
           "'formula': 'revnue * 2'}"),
     {"indicators[1].formula: unknown indicator \"revnue\""}},
    {"formula self reference",
     I(REV ", {'code': 'r2', 'name': 'R', 'frequency': 'M', 'kind': 'rate', "
           "'formula': 'r2 + revenue'}"),
     {"indicators[1].formula: formula refers to the indicator itself"}},
    {"formula cycle",
     I(REV ", {'code': 'a', 'name': 'A', 'frequency': 'M', 'kind': 'rate', 'formula': 'b + 1'},"
           "{'code': 'b', 'name': 'B', 'frequency': 'M', 'kind': 'rate', "
           "'formula': 'revenue / a'}"),
     {"indicators[1].formula: cycle among derived indicators: a -> b -> a"}},
    {"formula subquery",
     I(REV ", {'code': 'r2', 'name': 'R', 'frequency': 'M', 'kind': 'rate', "
           "'formula': 'revenue + (SELECT 1)'}"),
     {"indicators[1].formula: subqueries are not allowed"}},
    {"formula forbidden function",
     I(REV ", {'code': 'r2', 'name': 'R', 'frequency': 'M', 'kind': 'rate', "
           "'formula': 'revenue + length(randomblob(8))'}"),
     {"indicators[1].formula: function \"", "\" is not allowed"}},
    {"formula two statements",
     I(REV ", {'code': 'r2', 'name': 'R', 'frequency': 'M', 'kind': 'rate', "
           "'formula': 'revenue; DROP TABLE t'}"),
     {"indicators[1].formula: only one expression is allowed"}},
    {"rate components",
     I(REV ", {'code': 'r2', 'name': 'R', 'frequency': 'M', 'kind': 'rate', "
           "'numerator': 'revnue'}"),
     {"indicators[1].denominator: required with numerator",
      "indicators[1].numerator: unknown indicator \"revnue\""}},
    {"weight 0",
     IDX("", "{'indicator': 'revenue', 'weight': 0}"),
     {"indices[0].tree[0].weight: must be > 0"}},
    {"weight -1",
     IDX("", "{'id': 'd', 'weight': 1, 'children': [{'indicator': 'revenue', 'weight': -1}]}"),
     {"indices[0].tree[0].children[0].weight: must be > 0"}},
    {"unknown indicator in tree",
     IDX("", "{'indicator': 'revnue', 'weight': 1}"),
     {"indices[0].tree[0].indicator: unknown indicator \"revnue\""}},
    {"bad base period",
     IDX(", 'base': '2023-Q5'", LEAF),
     {"indices[0].method.base: bad period \"2023-Q5\""}},
    {"base finer than index",
     IDX(", 'base': '2023-03'", LEAF),
     {"indices[0].method.base: base period \"2023-03\" is finer than the index frequency Q"}},
    {"fixed_base needs base",
     "{" MIN_UNITS ", " MIN_INDS ", 'indices': [{'id': 'x', 'frequency': 'Q', "
     "'method': {'normalise': 'fixed_base'}, 'tree': [" LEAF "]}]}",
     {"indices[0].method.base: required for normalise \"fixed_base\""}},
    {"duplicate node id",
     IDX("", "{'id': 'd', 'weight': 1, 'children': [" LEAF "]}, {'id': 'd', 'weight': 1, "
             "'children': [{'indicator': 'revenue', 'weight': 1, 'id': 'r2'}]}"),
     {"indices[0].tree[1]: duplicate node id \"d\" (first at indices[0].tree[0])"}},
    {"bad normalise", IDX(", 'normalise': 'x'", LEAF), {"duplicate object key"}},
    {"bogus impute",
     IDX(", 'impute': 'bogus'", LEAF),
     {"t.json: indices[0].method.impute: bad impute \"bogus\" (expected none, carry or "
      "group_mean)"}},
    {"misspelt impute",
     IDX(", 'impute': 'cary'", LEAF),
     {"indices[0].method.impute: bad impute \"cary\" (did you mean \"carry\"?"}},
    {"group_mean without by",
     IDX(", 'impute': {'method': 'group_mean'}", LEAF),
     {"indices[0].method.impute.by: required"}},
    {"group_mean by an attribute no unit has",
     IDX(", 'impute': {'method': 'group_mean', 'by': 'stage'}", LEAF),
     {"indices[0].method.impute.by: no unit has attribute \"stage\""}},
    {"screen beyond 1",
     IDX(", 'screen': 1.5", LEAF),
     {"indices[0].method.screen: expected a share between 0 and 1"}},
    {"outlier limit",
     IDX(", 'outlier': {'limit': 'point'}", LEAF),
     {"indices[0].method.outlier.limit: bad limit \"point\" (did you mean \"points\"?"}},
    {"outlier key",
     IDX(", 'outlier': {'winmx': 5}", LEAF),
     {"indices[0].method.outlier: unknown key \"winmx\" (did you mean \"winmax\"?)"}},
    {"method key",
     IDX(", 'imputes': 'carry'", LEAF),
     {"indices[0].method: unknown key \"imputes\" (did you mean \"impute\"?)"}},
    {"leaf key",
     IDX("", "{'indicator': 'revenue', 'weight': 1, 'denominatr': 'revenue'}"),
     {"indices[0].tree[0]: unknown key \"denominatr\" (did you mean \"denominator\"?)"}},
    {"inner node key",
     IDX("", "{'id': 'd', 'weigth': 1, 'children': [" LEAF "]}"),
     {"indices[0].tree[0]: unknown key \"weigth\" (did you mean \"weight\"?)",
      "indices[0].tree[0].weight: required"}},
    {"unknown denominator",
     IDX("", "{'indicator': 'revenue', 'weight': 1, 'denominator': 'revenu'}"),
     {"indices[0].tree[0].denominator: unknown indicator \"revenu\" (did you mean \"revenue\"?)"}},
    {"goalposts reversed",
     IDX(", 'goalposts': [100, 0]", LEAF),
     {"indices[0].method.goalposts: expected [lo, hi] with hi > lo"}},
    {"banded without bands",
     "{" MIN_UNITS ", " MIN_INDS ", 'indices': [{'id': 'x', 'frequency': 'Q', "
     "'method': {'normalise': 'banded'}, 'tree': [" LEAF "]}]}",
     {"indices[0].tree[0]: banded needs \"bands\" on the leaf or in the method"}},
    {"bands not increasing",
     IDX(", 'bands': {'breaks': [2, 1], 'points': [0, 1, 2]}", LEAF),
     {"indices[0].method.bands.breaks: must be strictly increasing"}},
    {"bands points count",
     IDX(", 'bands': {'breaks': [1, 2], 'points': [0, 1]}", LEAF),
     {"indices[0].method.bands: needs at least one break and one more points than breaks"}},
    {"unknown unit in index units",
     "{" MIN_UNITS ", " MIN_INDS ", 'indices': [{'id': 'x', 'frequency': 'Q', 'units': "
     "'children:cty', 'method': {'normalise': 'minmax'}, 'tree': [" LEAF "]}]}",
     {"indices[0].units: unknown unit \"cty\" (did you mean \"city\"?)"}},
    {"source bad first_period",
     "{" MIN_UNITS ", " MIN_INDS ", 'sources': [{'id': 's', "
     "'url': 'u', 'format': 'json', 'frequency': 'M', "
     "'first_period': '2021-13'}]}",
     {"sources[0].first_period: bad period \"2021-13\""}},
    {"source first_period frequency", SRC(", 'poll_every': '1d'") "", {NULL}},
    {"source unknown format",
     "{" MIN_UNITS ", " MIN_INDS ", 'sources': [{'id': 's', "
     "'url': 'u', 'format': 'xml', 'frequency': 'M', "
     "'first_period': '2021-01'}]}",
     {"sources[0].format: bad format \"xml\" (expected json, csv, sdmx, sdmxml, sdmxcsv, nbs or "
      "xlsx)"}},
    {"sdmxml mapping problems name their JSON path",
     "{" MIN_UNITS ", " MIN_INDS ", 'sources': [{'id': 's', 'url': 'u', 'format': 'sdmxml', "
     "'frequency': 'M', 'first_period': '2021-01', 'mapping': {'unit_dimension': 'GEO', "
     "'indicator': '{NA_ITEM', 'filter': {'SEX': [1]}, 'measures': ['A', 'B'], "
     "'filtre': {}}}]}",
     {"sources[0].mapping: unknown key \"filtre\" (did you mean \"filter\"?)",
      "sources[0].mapping.indicator: expected a template",
      "sources[0].mapping.filter.SEX[0]: expected a code",
      "sources[0].mapping.measures: several measures need {MEASURE} in mapping.indicator"}},
    {"bad poll_every", SRC(", 'poll_every': '5x'"), {"sources[0].poll_every: bad duration \"5x\""}},
    {"bad timeout", SRC(", 'timeout_s': 0"), {"sources[0].timeout_s: must be > 0"}},
    {"misspelt source keys",
     SRC(", 'poll_evry': '1d', 'revison_window': 2, 'max_byte': 10"),
     {"sources[0]: unknown key \"poll_evry\" (did you mean \"poll_every\"?)",
      "sources[0]: unknown key \"revison_window\" (did you mean \"revision_window\"?)",
      "sources[0]: unknown key \"max_byte\" (did you mean \"max_bytes\"?)"}},
    {"misspelt mapping key",
     "{" MIN_UNITS ", " MIN_INDS ", 'sources': [{'id': 's', 'url': 'u', 'format': 'json', "
     "'frequency': 'M', 'first_period': '2021-01', 'mapping': {'unti': '/u', 'period': '/p', "
     "'indicator': '/i', 'value': '/v'}}]}",
     {"sources[0].mapping: unknown key \"unti\" (did you mean \"unit\"?)"}},
    {"code map to an unknown indicator",
     SRC(", 'codes': {'X': 'revenu'}"),
     {"sources[0].codes.X: unknown indicator \"revenu\" (did you mean \"revenue\"?)"}},
    {"bad listen address",
     "{'server': {'listen': '127.0.0.1'}, " MIN_UNITS ", " MIN_INDS "}",
     {"server.listen: bad listen address \"127.0.0.1\""}},
    {"no API threads",
     "{'server': {'threads': 0}, " MIN_UNITS ", " MIN_INDS "}",
     {"server.threads: must be between 1 and 64"}},
    {"bad timezone",
     "{'timezone': '../etc/passwd', " MIN_UNITS ", " MIN_INDS "}",
     {"timezone: bad timezone \"../etc/passwd\""}},
    {"several problems",
     "{'log_level': 'loud', 'units': [{'id': 'a', 'name': 'A', 'parent': 'x'}], "
     "'indicators': [{'code': 'r', 'name': 'R', 'frequency': 'M', 'kind': 'flow', "
     "'decimals': -1}], 'sources': [{'id': 's', 'url': 'u', 'format': 'json', "
     "'frequency': 'Q', 'first_period': '2021-01'}]}",
     {"log_level: bad log_level \"loud\"", "units[0].parent: unknown parent \"x\"",
      "indicators[0].decimals: must be between 0 and 10",
      "sources[0].first_period: \"2021-01\" is not a period of the source's frequency Q"}},
};

/* Unit i of a generated config, written in one of several ways: key order,
 * blanks, an escape or a byte beyond ASCII in the name, a parent or not. */
static size_t put_unit(char *out, size_t i, int form)
{
    static const char *const blanks[] = {"", " ", "\n  ", "\t", " \r\n "};
    const char *b = blanks[(i + (size_t)form) % 5];
    char name[64], parent[32] = "";

    snprintf(name, sizeof(name),
             i % 7 == 3    ? "Unit\\u00e9 %zu"
             : i % 11 == 5 ? "\xe5\x8d\x97 %zu"
             : i % 13 == 1 ? "U,n:i{t}[%zu] -_./"
                           : "Unit %zu",
             i);
    if (i > 0)
        snprintf(parent, sizeof(parent), ",%s\"parent\"%s:%s\"u%zu\"", b, b, b, (i - 1) / 3);
    if (form == 1) /* every element through jansson: one more key it reads */
        return (size_t)sprintf(out, "{\"attributes\": {}, \"id\": \"u%zu\", \"name\": \"%s\"%s}", i,
                               name, parent);
    if (i % 2)
        return (size_t)sprintf(out, "{%s\"name\"%s:%s\"%s\"%s,%s\"id\":\"u%zu\"%s}", b, b, b, name,
                               parent, b, i, b);
    return (size_t)sprintf(out, "{\"id\": \"u%zu\", \"name\": \"%s\"%s%s}", i, name, parent, b);
}

/* Units in the plain form are read without jansson (config_units.c): the
 * same records as jansson's reading of every element. */
static void test_config_plain_units_read_as_jansson_reads_them(void **state)
{
    enum { N = 600 };
    struct config *cfg[2] = {NULL, NULL};
    char *json[2];

    (void)state;
    for (int form = 0; form < 2; form++) {
        char *p = json[form] = malloc(N * 200 + 400);
        char *errors = NULL;
        assert_non_null(p);
        p += sprintf(p, "{\"units\": [");
        for (size_t i = 0; i < N; i++) {
            p += i ? sprintf(p, i % 4 ? ", " : ",\n") : 0;
            p += put_unit(p, i, form);
        }
        sprintf(p, "], \"indicators\": [{\"code\": \"r\", \"name\": \"R\", \"frequency\": \"M\","
                   " \"kind\": \"flow\"}]}");
        if (config_load_buffer("t.json", NULL, json[form], strlen(json[form]), &cfg[form],
                               &errors) != 0)
            fail_msg("form %d: %s", form, errors);
    }
    size_t n0, n1;
    const struct config_unit *a = config_units(cfg[0], &n0), *b = config_units(cfg[1], &n1);
    assert_int_equal(n0, N);
    assert_int_equal(n1, N);
    for (size_t i = 0; i < N; i++) {
        assert_string_equal(a[i].id, b[i].id);
        assert_string_equal(a[i].name, b[i].name);
        assert_true(!a[i].parent == !b[i].parent);
        if (a[i].parent)
            assert_string_equal(a[i].parent, b[i].parent);
        assert_int_equal(a[i].parent_index, b[i].parent_index);
        assert_int_equal(a[i].depth, b[i].depth);
        assert_int_equal(a[i].n_attrs, 0);
        assert_int_equal(b[i].n_attrs, 0);
    }
    assert_string_equal(a[3].name, "Unit\xc3\xa9 3"); /* an escape, through jansson */
    assert_string_equal(a[1].name, "U,n:i{t}[1] -_./");
    assert_string_equal(a[2].name, "Unit 2");
    assert_string_equal(a[599].parent, "u199");
    assert_int_equal(a[599].parent_index, 199);
    assert_int_equal(config_unit_find(cfg[0], "u42", 3), 42);
    for (int form = 0; form < 2; form++) {
        config_free(&cfg[form]);
        free(json[form]);
    }
}

static void test_config_bad_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const struct bad_case *c = &bad_cases[i];
        struct config *cfg = NULL;
        char *errors = NULL;
        int rc;

        if (!c->want[0])
            continue; /* a control row: see test_config_control_rows_load */
        rc = load_text(c->json, &cfg, &errors);
        if (rc != -EINVAL || !errors)
            fail_msg("case \"%s\": rc %d, no errors", c->what, rc);
        assert_null(cfg);
        for (size_t k = 0; k < 4 && c->want[k]; k++) {
            if (!errors || !strstr(errors, c->want[k]))
                fail_msg("case \"%s\": want \"%s\" in:\n%s", c->what, c->want[k], errors);
        }
        free(errors);
    }
}

/* The rows with no expected message are the valid neighbours of bad ones. */
static void test_config_control_rows_load(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        struct config *cfg = NULL;
        char *errors = NULL;

        if (bad_cases[i].want[0])
            continue;
        if (load_text(bad_cases[i].json, &cfg, &errors) != 0)
            fail_msg("case \"%s\": %s", bad_cases[i].what, errors);
        config_free(&cfg);
    }
}

static void test_config_many_problems_are_capped(void **state)
{
    char *json = malloc(200 * 40 + 200), *p = json, *errors = NULL;
    struct config *cfg = NULL;

    (void)state;
    p += sprintf(p, "{\"units\": [");
    for (int i = 0; i < 150; i++)
        p += sprintf(p, "%s{\"id\": \"u%d\", \"name\": \"\"}", i ? "," : "", i);
    sprintf(p, "], \"indicators\": []}");
    assert_int_equal(config_load_buffer("m.json", NULL, json, strlen(json), &cfg, &errors),
                     -EINVAL);
    /* 150 empty names + empty indicators = 151; 100 shown */
    assert_non_null(strstr(errors, "m.json: ...: 51 more problems not shown"));
    assert_non_null(strstr(errors, "units[99].name: must not be empty"));
    assert_null(strstr(errors, "units[100].name"));
    free(errors);
    free(json);
}

/* The units are parsed once, element by element, while they are loaded
 * (config.c parse()): a later element that is not JSON discards what the
 * earlier ones and the top level reported, and only jansson's message for
 * the whole text remains, with its line and column. */
static void test_config_unit_syntax_error_after_bad_units(void **state)
{
    static const char json[] = "{\"log_level\": \"loud\", \"units\": [\n"
                               "  {\"id\": \"p 01\", \"name\": \"\"},\n"
                               "  {\"id\": \"b\", \"name\": \"B\"},\n"
                               "  {\"id\": \"c\",, \"name\": \"C\"}\n]}";
    struct config *cfg = NULL;
    char *errors = NULL;

    (void)state;
    assert_int_equal(config_load_buffer("s.json", NULL, json, strlen(json), &cfg, &errors),
                     -EINVAL);
    assert_null(cfg);
    assert_non_null(errors);
    assert_string_equal(errors, "s.json:4:14: string or '}' expected near ','\n");
    free(errors);
    /* the same units without the syntax error: each problem is reported */
    static const char good[] = "{\"log_level\": \"loud\", \"units\": [\n"
                               "  {\"id\": \"p 01\", \"name\": \"\"},\n"
                               "  {\"id\": \"b\", \"name\": \"B\"}\n]}";
    errors = NULL;
    assert_int_equal(config_load_buffer("s.json", NULL, good, strlen(good), &cfg, &errors),
                     -EINVAL);
    assert_non_null(strstr(errors, "s.json: units[0].id: bad id \"p 01\""));
    assert_non_null(strstr(errors, "s.json: units[0].name: must not be empty"));
    assert_non_null(strstr(errors, "log_level"));
    free(errors);
}

static const char *const budget_codes[] = {"spent", "budget_adjusted", "revenue"};

static void test_formula_budget_execution_rate(void **state)
{
    struct formula_env *env = NULL;
    struct formula *f = NULL, *g = NULL;
    double v[2] = {169.11, 187.95}, r = 0;
    char err[200];

    (void)state;
    assert_int_equal(formula_env_new(&env, budget_codes, 3, err, sizeof(err)), 0);
    assert_int_equal(formula_compile(env, "spent / budget_adjusted * 100", &f, err, sizeof(err)),
                     0);
    assert_int_equal(formula_nrefs(f), 2);
    assert_int_equal(formula_ref(f, 0), 0);
    assert_int_equal(formula_ref(f, 1), 1);
    assert_int_equal(formula_eval(f, v, &r), 0);
    /* 169.11 / 187.95 * 100 = 89.97605746209097... */
    assert_float_equal(r, 89.976057462091, 1e-9);
    assert_int_equal(
        formula_compile(env, "round(spent / budget_adjusted * 100, 2)", &g, err, sizeof(err)), 0);
    assert_int_equal(formula_eval(g, v, &r), 0);
    assert_float_equal(r, 89.98, 1e-12);
    v[1] = NAN; /* missing input -> missing result */
    assert_int_equal(formula_eval(g, v, &r), -ENODATA);
    v[1] = 0; /* division by zero is NULL in SQLite */
    assert_int_equal(formula_eval(g, v, &r), -ENODATA);
    v[1] = 200; /* the statement is reusable */
    assert_int_equal(formula_eval(f, v, &r), 0);
    assert_float_equal(r, 84.555, 1e-12);
    formula_free(&f);
    formula_free(&g);
    assert_null(g);
    formula_env_free(&env);
    assert_null(env);
}

static void test_formula_refs_in_first_use_order(void **state)
{
    size_t *refs = NULL, n = 0;
    char err[200];

    (void)state;
    assert_int_equal(formula_check("coalesce(revenue, 0) + iif(spent > revenue, spent, 0)",
                                   budget_codes, 3, &refs, &n, err, sizeof(err)),
                     0);
    assert_int_equal(n, 2);
    assert_int_equal(refs[0], 2);
    assert_int_equal(refs[1], 0);
    free(refs);
}

static void test_formula_rejects(void **state)
{
    static const struct {
        const char *expr, *want;
    } cases[] = {
        {"revnue / 2", "unknown indicator \"revnue\""},
        {"\"revnue\" / 2", "unknown indicator \"revnue\""}, /* not a string literal */
        {"randomblob(4)", "function \"randomblob\" is not allowed"},
        {"load_extension('x')", "function \"load_extension\" is not allowed"},
        {"spent IN (SELECT 1)", "subqueries are not allowed"},
        {"(SELECT spent FROM t)", "subqueries are not allowed"},
        {"spent; DELETE FROM t", "only one expression is allowed"},
        {"1) FROM t; SELECT (1", "only one expression is allowed"},
        {"spent) AS x, (spent", "only one expression is allowed"},
        {"spent) AS result FROM t WHERE (1", "syntax error"},
        {"spent *", "syntax error"},
        {"  ", "empty formula"},
        {"nosuch(spent)", "unknown function \"nosuch\""},
    };
    char err[200];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        err[0] = '\0';
        if (formula_check(cases[i].expr, budget_codes, 3, NULL, NULL, err, sizeof(err)) !=
                -EINVAL ||
            !strstr(err, cases[i].want))
            fail_msg("formula \"%s\": want \"%s\", got \"%s\"", cases[i].expr, cases[i].want, err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_good_scalars_and_paths),
        cmocka_unit_test(test_config_unit_syntax_error_after_bad_units),
        cmocka_unit_test(test_config_good_units_hierarchy),
        cmocka_unit_test(test_config_find_takes_pointer_and_length),
        cmocka_unit_test(test_config_find_hash_collisions),
        cmocka_unit_test(test_config_good_indicators),
        cmocka_unit_test(test_config_good_source_and_index),
        cmocka_unit_test(test_config_defaults),
        cmocka_unit_test(test_config_index_options_typed),
        cmocka_unit_test(test_config_source_options_typed),
        cmocka_unit_test(test_config_relative_database_uses_dir),
        cmocka_unit_test(test_config_load_missing_file_names_it),
        cmocka_unit_test(test_config_bad_cases),
        cmocka_unit_test(test_config_plain_units_read_as_jansson_reads_them),
        cmocka_unit_test(test_config_control_rows_load),
        cmocka_unit_test(test_config_many_problems_are_capped),
        cmocka_unit_test(test_formula_budget_execution_rate),
        cmocka_unit_test(test_formula_refs_in_first_use_order),
        cmocka_unit_test(test_formula_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
