/*
 * test_sdmx_semantics.c - SDMX semantics end to end (file:// payload ->
 * reader -> collector -> store): a Delete data set ends the current vintage
 * of each listed observation and of a whole series key, keeping history and
 * as-of reads; a value sent again after a delete is current again; series
 * told apart only by a dimension the mapping leaves out are rejects naming
 * that dimension, none stored, within one pull and across pulls.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
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
};

static const char config_fmt[] =
    "{\"database\": \":memory:\","
    " \"units\": [{\"id\": \"city\", \"name\": \"City\"},"
    "  {\"id\": \"p01\", \"name\": \"P1\", \"parent\": \"city\"},"
    "  {\"id\": \"p02\", \"name\": \"P2\", \"parent\": \"city\"}],"
    " \"indicators\": ["
    "  {\"code\": \"revenue\", \"name\": \"Revenue\", \"frequency\": \"M\", \"kind\": \"flow\"},"
    "  {\"code\": \"staff\", \"name\": \"Staff\", \"frequency\": \"Y\", \"kind\": \"stock\"}],"
    " \"sources\": ["
    "  {\"id\": \"ml\", \"url\": \"file://%s/{period}.xml\", \"format\": \"sdmxml\","
    "   \"frequency\": \"M\", \"first_period\": \"2024-01\","
    "   \"mapping\": {\"unit_dimension\": \"REF_AREA\", \"indicator_dimension\": \"INDICATOR\"}},"
    "  {\"id\": \"coll\", \"url\": \"file://%s/coll-{period}.xml\", \"format\": \"sdmxml\","
    "   \"frequency\": \"Y\", \"first_period\": \"2023\","
    "   \"mapping\": {\"unit_dimension\": \"REF_AREA\", \"indicator_dimension\": \"INDICATOR\"}},"
    "  {\"id\": \"js\", \"url\": \"file://%s/js-{period}.json\", \"format\": \"sdmx\","
    "   \"frequency\": \"Y\", \"first_period\": \"2023\","
    "   \"mapping\": {\"unit_dimension\": \"REF_AREA\", \"indicator_dimension\": \"INDICATOR\"}}"
    "]}";

static int setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    char cfgtext[4096], err[512], *errors = NULL;

    ts_tmpdir(c->dir, sizeof(c->dir), "test_sdmx_semantics");
    snprintf(cfgtext, sizeof(cfgtext), config_fmt, c->dir, c->dir, c->dir);
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
    ts_rmtree(c->dir);
    free(c);
    return 0;
}

/* A file under tests/data, whole and NUL-terminated. */
static char *load_data(const char *rel)
{
    char path[512];
    size_t len;
    return ts_read_file(ts_data_path(path, sizeof(path), rel), &len);
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

struct outcome {
    int done;
    char outcome[32];
    char error[256];
    struct store_counts counts;
    long deleted;
};

static void on_pulled(const struct collect_result *r, void *ctx)
{
    struct outcome *o = ctx;
    o->done++;
    snprintf(o->outcome, sizeof(o->outcome), "%s", r->outcome);
    snprintf(o->error, sizeof(o->error), "%s", r->error ? r->error : "");
    o->counts = r->counts;
    o->deleted = r->n_deleted;
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
    /* stored, with or without rejects (the tests count them) */
    if (strcmp(o.outcome, "ok") != 0 && strcmp(o.outcome, "partial") != 0 &&
        strcmp(o.outcome, "rejected") != 0)
        fail_msg("pull %s %s: %s %s", source, period, o.outcome, o.error);
    return o;
}

struct value {
    int n;
    double v;
    int64_t valid_to;
};

static int on_obs(const struct store_obs_row *row, void *ctx)
{
    struct value *val = ctx;
    val->n++;
    val->v = row->value;
    val->valid_to = row->valid_to;
    return 0;
}

/* The value of a key now (as_of 0), as of a time, or (history) every vintage. */
static struct value get(struct ctx *c, const char *unit, const char *period, int64_t as_of,
                        int history)
{
    struct value v = {0};
    struct store_obs_query q = {.unit = unit,
                                .indicator = "revenue",
                                .from = period,
                                .to = period,
                                .as_of = as_of,
                                .history = history};
    assert_int_equal(store_observations(c->st, &q, on_obs, &v), 0);
    return v;
}

static const char replace_xml[] =
    "<message:StructureSpecificData"
    " xmlns:message=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message\">"
    "<message:DataSet action=\"Replace\">"
    "<Series FREQ=\"M\" REF_AREA=\"p01\" INDICATOR=\"revenue\">"
    "<Obs TIME_PERIOD=\"2024-01\" OBS_VALUE=\"10\"/><Obs TIME_PERIOD=\"2024-02\" OBS_VALUE=\"20\"/>"
    "</Series><Series FREQ=\"M\" REF_AREA=\"p02\" INDICATOR=\"revenue\">"
    "<Obs TIME_PERIOD=\"2024-01\" OBS_VALUE=\"5\"/><Obs TIME_PERIOD=\"2024-02\" OBS_VALUE=\"6\"/>"
    "</Series></message:DataSet></message:StructureSpecificData>";

static void test_delete_ends_vintages_and_keeps_history(void **state)
{
    struct ctx *c = *state;
    struct outcome o;
    char *del;
    int64_t before;

    write_file(c, "2024-02.xml", replace_xml);
    o = pull(c, "ml", "2024-02");
    assert_int_equal(o.counts.n_new, 4);
    before = time_now_us();
    usleep(2000);
    /* the test payload: p01 2024-02 and the whole series key p02/revenue */
    del = load_data("payloads/sdmxml_delete.xml");
    write_file(c, "2024-02.xml", del);
    free(del);
    o = pull(c, "ml", "2024-02");
    assert_int_equal(o.deleted, 3);
    assert_int_equal(o.counts.n_new + o.counts.n_revised + o.counts.n_rejected, 0);

    assert_true(get(c, "p01", "2024-01", 0, 0).v == 10); /* not listed: kept */
    assert_int_equal(get(c, "p01", "2024-02", 0, 0).n, 0);
    assert_int_equal(get(c, "p02", "2024-01", 0, 0).n, 0);
    assert_int_equal(get(c, "p02", "2024-02", 0, 0).n, 0);
    /* as of before the delete, everything is still there */
    assert_true(get(c, "p01", "2024-02", before, 0).v == 20);
    assert_true(get(c, "p02", "2024-01", before, 0).v == 5);
    assert_true(get(c, "p02", "2024-02", before, 0).v == 6);
    /* the vintage is ended, not removed */
    struct value h = get(c, "p01", "2024-02", 0, 1);
    assert_int_equal(h.n, 1);
    assert_true(h.valid_to > before);

    /* sent again, the value is current again, as a new key */
    write_file(c, "2024-02.xml", replace_xml);
    o = pull(c, "ml", "2024-02");
    assert_int_equal(o.counts.n_new, 3);
    assert_int_equal(o.counts.n_unchanged, 1);
    assert_true(get(c, "p01", "2024-02", 0, 0).v == 20);
    assert_int_equal(get(c, "p01", "2024-02", 0, 1).n, 2);
}

struct reasons {
    int n;
    char text[8][320];
};

static int on_reject(const struct store_reject_row *row, void *ctx)
{
    struct reasons *r = ctx;
    if (r->n < 8)
        snprintf(r->text[r->n], sizeof(r->text[0]), "%ld: %s", row->position, row->reason);
    r->n++;
    return 0;
}

static void test_collapsed_dimension_is_a_reject_naming_it(void **state)
{
    struct ctx *c = *state;
    struct reasons r = {0};
    struct outcome o;
    char *xml;

    xml = load_data("payloads/sdmxml_collapse.xml");
    write_file(c, "coll-2023.xml", xml);
    free(xml);
    o = pull(c, "coll", "2023");
    /* three values of p01/staff/2023 (SEX F, M, _T): none is "the" value */
    assert_int_equal(o.counts.n_new, 0);
    assert_int_equal(o.counts.n_rejected, 3);
    assert_int_equal(store_rejects(c->st, 0, "coll", on_reject, &r), 0);
    assert_int_equal(r.n, 3);
    assert_string_equal(r.text[0],
                        "1: same unit, indicator and period as record 2, told apart only by SEX "
                        "(\"F\" at record 1, \"M\" here), which the mapping leaves out (put it in "
                        "the indicator, or filter it)");
    assert_string_equal(r.text[1],
                        "2: same unit, indicator and period as record 1, told apart only by SEX "
                        "(\"F\" at record 1, \"M\" here), which the mapping leaves out (put it in "
                        "the indicator, or filter it)");
    assert_non_null(strstr(r.text[2], "3: same unit, indicator and period as record 1, told apart "
                                      "only by SEX (\"F\" at record 1, \"_T\" here)"));
}

/* Measured before: an ILOSTAT SDMX-JSON answer repeating each series key
 * stored 3 of 39 observations, "ok" and no reject. */
static void test_sdmx_json_repeated_keys_all_stored(void **state)
{
    struct ctx *c = *state;
    struct reasons r = {0};
    struct outcome o;
    char *json = load_data("payloads/sdmx_repeated_keys.json");

    write_file(c, "js-2023.json", json);
    free(json);
    o = pull(c, "js", "2023");
    /* 2019..2023 from three copies of series 0:0; 2020 sent again as 99 */
    assert_int_equal(o.counts.n_new, 5);
    assert_int_equal(o.counts.n_rejected, 1);
    assert_int_equal(store_rejects(c->st, 0, "js", on_reject, &r), 0);
    assert_string_equal(r.text[0],
                        "7: observation \"1\" of series 0:0 repeated with another value");
}

/* The current value of p's staff in period (n 0: none). */
static struct value get_staff(struct ctx *c, const char *unit, const char *period)
{
    struct value v = {0};
    struct store_obs_query q = {.unit = unit, .indicator = "staff", .from = period, .to = period};
    assert_int_equal(store_observations(c->st, &q, on_obs, &v), 0);
    return v;
}

/* Two pulls of one source with one mapping (one URL filtered SEX=M, later
 * SEX=F): the second pull's p01 series is another series, not a revision of
 * the first, and is refused naming SEX; p02's series, the same SEX=M again,
 * is revised as usual. Measured before: the F value replaced the M one as a
 * revision, without a word. */
static void test_collapse_across_pulls_is_a_reject_naming_it(void **state)
{
    struct ctx *c = *state;
    struct reasons r = {0};
    struct outcome o;
    char *xml;

    xml = load_data("payloads/sdmxml_sex_m.xml");
    write_file(c, "coll-2023.xml", xml);
    free(xml);
    o = pull(c, "coll", "2023");
    assert_int_equal(o.counts.n_new, 2);
    assert_int_equal(o.counts.n_rejected, 0);
    o = pull(c, "coll", "2023"); /* the same again: nothing new, nothing refused */
    assert_int_equal(o.counts.n_unchanged, 2);
    assert_int_equal(o.counts.n_rejected, 0);

    xml = load_data("payloads/sdmxml_sex_f.xml");
    write_file(c, "coll-2023.xml", xml);
    free(xml);
    o = pull(c, "coll", "2023");
    assert_string_equal(o.outcome, "partial");
    assert_int_equal(o.counts.n_revised, 1);
    assert_int_equal(o.counts.n_rejected, 1);
    assert_int_equal(store_rejects(c->st, 0, "coll", on_reject, &r), 0);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.text[0],
                        "1: same unit and indicator as stored from an earlier pull of source "
                        "\"coll\", told apart only by SEX (\"M\" before, \"F\" here), which the "
                        "mapping leaves out (put it in the indicator, or filter it)");
    assert_true(get_staff(c, "p01", "2023").v == 60); /* M's value, not F's 40 */
    assert_true(get_staff(c, "p02", "2023").v == 36.5);
}

/* SDMX 3.0 replaces whole observations: a Replace data set's observation
 * without its measure deletes the stored value (its vintage ends, history
 * kept); a Merge data set's leaves it as it is; observations a message does
 * not list are not touched (the standard has no bulk replace). */
static void test_sdmx30_replace_deletes_an_omitted_measure(void **state)
{
    struct ctx *c = *state;
    struct outcome o;
    char *xml;
    int64_t before;

    write_file(c, "2024-02.xml", replace_xml);
    o = pull(c, "ml", "2024-02");
    assert_int_equal(o.counts.n_new, 4);
    before = time_now_us();
    usleep(2000);
    xml = load_data("payloads/sdmxml_replace30.xml");
    write_file(c, "2024-02.xml", xml);
    free(xml);
    o = pull(c, "ml", "2024-02");
    assert_int_equal(o.deleted, 1);          /* p01 2024-02, its measure left out */
    assert_int_equal(o.counts.n_revised, 2); /* p01 2024-01: 10 -> 11.5, p02 2024-01: 5 -> NaN */
    assert_int_equal(o.counts.n_new, 1);     /* p02 2024-03 */
    assert_int_equal(o.counts.n_rejected, 0);
    assert_true(get(c, "p01", "2024-01", 0, 0).v == 11.5);
    assert_int_equal(get(c, "p01", "2024-02", 0, 0).n, 0);
    assert_true(get(c, "p01", "2024-02", before, 0).v == 20);
    assert_true(isnan(get(c, "p02", "2024-01", 0, 0).v)); /* NaN: stored as missing, not 0 */
    assert_true(get(c, "p02", "2024-02", 0, 0).v == 6);   /* Merge without a value: kept */
    assert_true(get(c, "p02", "2024-03", 0, 0).v == 7.25);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_delete_ends_vintages_and_keeps_history, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_collapsed_dimension_is_a_reject_naming_it, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sdmx_json_repeated_keys_all_stored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sdmx30_replace_deletes_an_omitted_measure, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_collapse_across_pulls_is_a_reject_naming_it, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
