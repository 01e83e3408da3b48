/*
 * test_config_options.c - every documented option (docs/CONFIG.md,
 * docs/FORMATS.md, docs/INDICES.md, docs/SCHEDULE.md) misspelt, and every
 * enumerated value wrong, one at a time, in a config that is otherwise valid
 * and uses every option: each must be reported with its JSON path and a
 * "did you mean" naming the right spelling.
 *
 * Misspellings are generated: a name of 4 or more characters loses its
 * middle character ("poll_every" -> "pollevery"), a shorter one doubles its
 * last ("id" -> "idd"); a short value changes case ("Q" -> "q").
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"

/* Uses every documented option once (single quotes become double). */
static const char full_config[] =
    "{'server': {'listen': '127.0.0.1:8080', 'token_file': 'tok', 'threads': 2},"
    " 'database': 'p.db', 'timezone': 'UTC', 'log_level': 'info',"
    " 'units': [{'id': 'city', 'name': 'C'},"
    "           {'id': 'p1', 'name': 'P1', 'parent': 'city', 'attributes': {'stage': 'a'}}],"
    " 'indicators': [{'code': 'revenue', 'name': 'R', 'measure': 'x', 'frequency': 'M',"
    "                 'kind': 'flow', 'cumulative': true, 'direction': 1, 'decimals': 2},"
    "                {'code': 'staff', 'name': 'S', 'frequency': 'M', 'kind': 'stock'},"
    "                {'code': 'ratio', 'name': 'Q', 'measure': '%', 'frequency': 'M',"
    "                 'kind': 'rate', 'numerator': 'revenue', 'denominator': 'staff',"
    "                 'scale': 100},"
    "                {'code': 'derived', 'name': 'D', 'frequency': 'M', 'kind': 'flow',"
    "                 'formula': 'revenue * 2'}],"
    " 'sources': ["
    "  {'id': 's0', 'url': 'https://h/{unit}/{period}', 'format': 'json', 'frequency': 'M',"
    "   'release_lag_days': 15, 'first_period': '2021-01', 'poll_every': '6h',"
    "   'revision_window': 3, 'timeout_s': 30, 'jitter_s': 60, 'connect_timeout_s': 5,"
    "   'updated_after_margin_s': 60,"
    "   'max_bytes': 1000000, 'max_retries': 2, 'backoff_s': 0.5, 'ca_file': 'ca.pem',"
    "   'auth': {'bearer_token_file': 'tok'}, 'headers': {'Accept': 'a'},"
    "   'units': ['p1'], 'codes': {'A': 'revenue'}, 'unit_codes': {'1': 'p1'},"
    "   'scale': {'revenue': 2},"
    "   'mapping': {'layout': 'long', 'records': '/data', 'unit': {'const': 'p1'},"
    "               'indicator': '/code', 'period': '/month', 'value': '/value',"
    "               'status': '/flag', 'status_map': {'P': 'p'}, 'value_flags': true}},"
    "  {'id': 's1', 'url': 'u', 'format': 'json', 'frequency': 'M', 'first_period': '2021-01',"
    "   'auth': {'basic_user': 'u', 'basic_password_file': 'pw'},"
    "   'mapping': {'layout': 'wide', 'records': '/p', 'unit': '/id', 'period': '/t',"
    "               'fields': {'revenue': '/r'}}},"
    "  {'id': 's2', 'url': 'u', 'format': 'csv', 'frequency': 'M', 'first_period': '2021-01',"
    "   'mapping': {'layout': 'long', 'delimiter': ';', 'unit': 'u', 'indicator': 'i',"
    "               'period': 'p', 'value': 'v', 'decimal': ',', 'thousands': '.',"
    "               'missing': ['-', '..'], 'suffixes': {'\xE4\xB8\x87': 10000}}},"
    "  {'id': 's3', 'url': 'u', 'format': 'csv', 'frequency': 'M', 'first_period': '2021-01',"
    "   'mapping': {'layout': 'wide', 'delimiter': ',', 'unit': 'u', 'period': 'p',"
    "               'fields': {'revenue': 'r'}}},"
    "  {'id': 's4', 'url': 'u', 'format': 'sdmx', 'frequency': 'M', 'first_period': '2021-01',"
    "   'mapping': {'unit_dimension': 'A', 'indicator_dimension': 'B',"
    "               'period_dimension': 'C', 'status_attribute': 'OBS_FLAG',"
    "               'status_map': {'A': ''}, 'apply_decimals': false}},"
    "  {'id': 's5', 'url': 'u', 'format': 'nbs', 'frequency': 'M', 'first_period': '2021-01',"
    "   'mapping': {'unit': {'const': 'p1'}}},"
    "  {'id': 's6', 'url': 'u', 'format': 'csv', 'frequency': 'M', 'first_period': '2021-01',"
    "   'mapping': {'layout': 'wide', 'encoding': 'gb18030', 'skip_rows': 2, 'header_rows': 2,"
    "               'footnotes': true, 'date_period': 'month', 'columns': 'period',"
    "               'unit': 'u', 'indicator': {'const': 'revenue'}}},"
    "  {'id': 's7', 'url': 'u', 'format': 'xlsx', 'frequency': 'M', 'first_period': '2021-01',"
    "   'mapping': {'layout': 'wide', 'sheet': 'Data1', 'header_row': 10,"
    "               'columns': 'indicator', 'unit': {'const': 'p1'}, 'period': 'Series ID',"
    "               'date_period': 'month'}}],"
    " 'indices': [{'id': 'ix', 'name': 'X', 'frequency': 'Q', 'units': 'children:city',"
    "   'method': {'normalise': 'fixed_base', 'base': '2021', 'base_match': 'same_period',"
    "              'basis': 'ytd', 'aggregate': 'arithmetic',"
    "              'missing': 'reweight', 'impute': {'method': 'group_mean', 'by': 'stage'},"
    "              'screen': 0.5, 'outlier': {'winmax': 5, 'skew': 2, 'kurtosis': 3.5,"
    "                                         'limit': 'coinr'},"
    "              'goalposts': [0, 100], 'bands': {'breaks': [1], 'points': [0, 1]}},"
    "   'tree': [{'id': 'dim', 'name': 'Dim', 'weight': 1,"
    "     'weights': {'method': 'ahp', 'matrix': [[1]]}, 'children': ["
    "     {'indicator': 'revenue', 'id': 'rev', 'name': 'Rev', 'weight': 1, 'direction': 1,"
    "      'denominator': 'staff', 'unacceptable': 1, 'satisfactory': 9,"
    "      'goalposts': [0, 10], 'bands': {'breaks': [1], 'points': [0, 1]}}]}]},"
    "  {'id': 'iy', 'frequency': 'Y', 'method': {'normalise': 'minmax', 'impute': 'carry'},"
    "   'weights': {'method': 'cv', 'from': 'each'},"
    "   'tree': [{'indicator': 'revenue', 'weight': 1}]}],"
    " 'checks': ["
    "  {'id': 'c0', 'rule': 'sum', 'action': 'flag', 'units': ['p1'], 'total': 'revenue',"
    "   'parts': ['staff', 'derived'], 'tolerance': 0.5},"
    "  {'id': 'c1', 'rule': 'range', 'indicator': 'staff', 'min': 0, 'max': 1000},"
    "  {'id': 'c2', 'rule': 'growth', 'indicator': 'revenue', 'basis': 'yoy', 'max': 50,"
    "   'outlier': 3.5},"
    "  {'id': 'c3', 'rule': 'hierarchy', 'indicator': 'revenue', 'tolerance': 1,"
    "   'precedence': 'reported'},"
    "  {'id': 'c4', 'rule': 'monotone_ytd', 'indicator': 'revenue', 'tolerance': 0},"
    "  {'id': 'c5', 'rule': 'ratio', 'indicator': 'ratio', 'min': 0, 'max': 100}]}";

/* Objects of the full config and the keys each documents. */
struct keyed {
    const char *path;
    const char *keys[24];
};

static const struct keyed keyed[] = {
    {"",
     {"server", "database", "timezone", "log_level", "units", "indicators", "sources", "indices",
      "checks"}},
    {"server", {"listen", "token_file", "threads"}},
    {"units[1]", {"id", "name", "parent", "attributes"}},
    {"indicators[0]",
     {"code", "name", "measure", "frequency", "kind", "cumulative", "direction", "decimals"}},
    {"indicators[2]", {"numerator", "denominator", "scale"}},
    {"indicators[3]", {"formula"}},
    {"sources[0]",
     {"id",
      "url",
      "format",
      "frequency",
      "release_lag_days",
      "first_period",
      "poll_every",
      "revision_window",
      "timeout_s",
      "jitter_s",
      "updated_after_margin_s",
      "connect_timeout_s",
      "max_bytes",
      "max_retries",
      "backoff_s",
      "ca_file",
      "auth",
      "headers",
      "units",
      "codes",
      "unit_codes",
      "scale",
      "mapping"}},
    {"sources[0].auth", {"bearer_token_file"}},
    {"sources[1].auth", {"basic_user", "basic_password_file"}},
    {"sources[0].mapping",
     {"layout", "records", "unit", "indicator", "period", "value", "status", "status_map",
      "value_flags"}},
    {"sources[0].mapping.unit", {"const"}},
    {"sources[1].mapping", {"layout", "records", "unit", "period", "fields"}},
    {"sources[2].mapping",
     {"layout", "delimiter", "unit", "indicator", "period", "value", "decimal", "thousands",
      "missing", "suffixes"}},
    {"sources[3].mapping", {"layout", "delimiter", "unit", "period", "fields"}},
    {"sources[4].mapping",
     {"unit_dimension", "indicator_dimension", "period_dimension", "status_attribute", "status_map",
      "apply_decimals"}},
    {"sources[5].mapping", {"unit"}},
    {"sources[6].mapping",
     {"layout", "encoding", "skip_rows", "header_rows", "footnotes", "date_period", "columns",
      "unit", "indicator"}},
    {"sources[7].mapping",
     {"layout", "sheet", "header_row", "columns", "unit", "period", "date_period"}},
    {"indices[0]", {"id", "name", "frequency", "units", "method", "tree"}},
    {"indices[0].method",
     {"normalise", "base", "base_match", "basis", "aggregate", "missing", "impute", "screen",
      "outlier", "goalposts", "bands"}},
    {"indices[0].method.impute", {"method", "by"}},
    {"indices[0].method.outlier", {"winmax", "skew", "kurtosis", "limit"}},
    {"indices[0].method.bands", {"breaks", "points"}},
    {"indices[0].tree[0]", {"id", "name", "weight", "weights", "children"}},
    {"indices[0].tree[0].weights", {"method", "matrix"}},
    {"indices[1]", {"weights"}},
    {"indices[1].weights", {"method", "from"}},
    {"indices[0].tree[0].children[0]",
     {"indicator", "id", "name", "weight", "direction", "denominator", "unacceptable",
      "satisfactory", "goalposts", "bands"}},
    {"checks[0]", {"id", "rule", "action", "units", "total", "parts", "tolerance"}},
    {"checks[1]", {"indicator", "min", "max"}},
    {"checks[2]", {"indicator", "basis", "max", "outlier"}},
    {"checks[3]", {"indicator", "tolerance", "precedence"}},
    {"checks[4]", {"indicator", "tolerance"}},
    {"checks[5]", {"indicator", "min", "max"}},
};

/* Members with enumerated values and every value they take. */
struct enumerated {
    const char *path; /* the object */
    const char *key;
    const char *values[10];
};

static const struct enumerated enums[] = {
    {"", "log_level", {"err", "warning", "notice", "info", "debug"}},
    {"indicators[0]", "frequency", {"M", "Q", "H", "Y"}},
    {"indicators[0]", "kind", {"flow", "stock", "rate"}},
    {"sources[0]", "format", {"json", "csv", "sdmx", "nbs", "xlsx"}},
    {"sources[0]", "frequency", {"M", "Q", "H", "Y"}},
    {"sources[0].mapping", "layout", {"long", "wide"}},
    {"sources[2].mapping", "layout", {"long", "wide"}},
    {"sources[6].mapping", "encoding", {"utf-8", "gb18030", "gbk", "utf-16le", "utf-16be"}},
    {"sources[6].mapping", "columns", {"fields", "indicator", "period"}},
    {"sources[6].mapping", "date_period", {"year", "half", "quarter", "month"}},
    {"indices[0]", "frequency", {"M", "Q", "H", "Y"}},
    {"indices[0].method",
     "normalise",
     {"fixed_base", "chained", "minmax", "zscore", "efficacy", "goalposts", "rank", "banded"}},
    {"indices[0].method", "base_match", {"same_period", "mean"}},
    {"indices[0].method", "basis", {"level", "ytd"}},
    {"indices[0].method", "aggregate", {"arithmetic", "geometric"}},
    {"indices[0].method", "missing", {"reweight", "carry", "exclude"}},
    {"indices[1].method", "impute", {"none", "carry"}},
    {"indices[0].method.impute", "method", {"none", "carry", "group_mean"}},
    {"indices[0].method.outlier", "limit", {"coinr", "steps", "points"}},
    {"indices[1].weights", "method", {"entropy", "critic", "cv", "pca", "ahp"}},
    {"checks[0]", "rule", {"sum", "range", "growth", "hierarchy", "monotone_ytd", "ratio"}},
    {"checks[0]", "action", {"flag", "reject"}},
    {"checks[2]", "basis", {"yoy", "pop"}},
    {"checks[3]", "precedence", {"reported", "rolled_up"}},
};

/* Replaces single quotes by double quotes (a malloc'd copy). */
static char *dq(const char *s)
{
    char *out = strdup(s);
    for (char *p = out; *p; p++)
        if (*p == '\'')
            *p = '"';
    return out;
}

/* The object at a path such as "sources[0].mapping" ("" is the root). */
static json_t *at(json_t *root, const char *path)
{
    char buf[128], *save = NULL, *tok;
    json_t *v = root;

    snprintf(buf, sizeof(buf), "%s", path);
    for (tok = strtok_r(buf, ".", &save); tok && v; tok = strtok_r(NULL, ".", &save)) {
        char *br = strchr(tok, '[');
        if (br)
            *br = '\0';
        v = json_object_get(v, tok);
        for (; br && v; br = strchr(br + 1, '['))
            v = json_array_get(v, strtoul(br + 1, NULL, 10));
    }
    if (!v)
        fail_msg("no object at %s", path);
    return v;
}

/* The misspelling of name (see the file comment) into out. */
static void misspell(const char *name, char *out, size_t size)
{
    size_t n = strlen(name);

    if (n >= 4)
        snprintf(out, size, "%.*s%s", (int)(n / 2), name, name + n / 2 + 1);
    else if (n == 1)
        snprintf(out, size, "%c", name[0] >= 'a' ? name[0] - 32 : name[0] + 32);
    else
        snprintf(out, size, "%s%c", name, name[n - 1]);
}

/* Loads the JSON of root; returns the problems text (malloc'd) or NULL. */
static char *problems(json_t *root)
{
    char *text = json_dumps(root, JSON_COMPACT), *errors = NULL;
    struct config *cfg = NULL;

    assert_non_null(text);
    if (config_load_buffer("t.json", "/srv", text, strlen(text), &cfg, &errors) == 0)
        config_free(&cfg);
    free(text);
    return errors;
}

static json_t *load_full(void)
{
    char *text = dq(full_config);
    json_error_t jerr;
    json_t *root = json_loads(text, JSON_PRESERVE_ORDER, &jerr);

    free(text);
    if (!root)
        fail_msg("full config: %s", jerr.text);
    return root;
}

/* The full config itself is valid: every problem below comes from the change. */
static void test_full_config_loads(void **state)
{
    json_t *root = load_full();
    char *errors = problems(root);

    (void)state;
    if (errors)
        fail_msg("%s", errors);
    json_decref(root);
}

static void test_every_key_misspelt(void **state)
{
    size_t checked = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(keyed) / sizeof(keyed[0]); i++) {
        for (size_t k = 0; keyed[i].keys[k]; k++) {
            const char *key = keyed[i].keys[k];
            json_t *root = load_full(), *obj = at(root, keyed[i].path), *v;
            char bad[64], want[256], *errors;

            misspell(key, bad, sizeof(bad));
            v = json_incref(json_object_get(obj, key));
            assert_non_null(v);
            json_object_del(obj, key);
            json_object_set_new(obj, bad, v);
            errors = problems(root);
            snprintf(want, sizeof(want), "t.json: %s: unknown key \"%s\" (did you mean \"%s\"?)",
                     keyed[i].path[0] ? keyed[i].path : "top level", bad, key);
            if (!errors || !strstr(errors, want))
                fail_msg("want \"%s\" in:\n%s", want, errors ? errors : "(loaded)");
            free(errors);
            json_decref(root);
            checked++;
        }
    }
    assert_int_equal(checked, 174);
}

static void test_every_enumerated_value_wrong(void **state)
{
    size_t checked = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(enums) / sizeof(enums[0]); i++) {
        const struct enumerated *e = &enums[i];
        for (size_t k = 0; e->values[k]; k++) {
            json_t *root = load_full();
            char bad[64], want[256], *errors;

            misspell(e->values[k], bad, sizeof(bad));
            json_object_set_new(at(root, e->path), e->key, json_string(bad));
            errors = problems(root);
            snprintf(want, sizeof(want), "t.json: %s%s%s: bad %s \"%s\" (did you mean \"%s\"?",
                     e->path, e->path[0] ? "." : "", e->key, e->key, bad, e->values[k]);
            if (!errors || !strstr(errors, want))
                fail_msg("want \"%s\" in:\n%s", want, errors ? errors : "(loaded)");
            free(errors);
            json_decref(root);
            checked++;
        }
    }
    assert_int_equal(checked, 83);
}

/* The separators are single characters: a word for one gets the character
 * as its "did you mean" ("comma" -> ","). */
static void test_separator_words_suggest_the_character(void **state)
{
    static const struct {
        const char *key, *bad, *want;
    } rows[] = {
        {"decimal", "comma", "\",\""},        {"decimal", "Point", "\".\""},
        {"decimal", "\xEF\xBC\x8C", "\",\""}, {"thousands", "space", "\" \""},
        {"thousands", "none", "\"\""},        {"thousands", "apostrophe", "\"'\""},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        json_t *root = load_full();
        json_t *m = at(root, "sources[2].mapping");
        char want[256], *errors;

        /* thousands "." would clash with a decimal "."; keep them apart */
        json_object_set_new(m, "decimal", json_string(","));
        json_object_set_new(m, "thousands", json_string("."));
        json_object_set_new(m, rows[i].key, json_string(rows[i].bad));
        errors = problems(root);
        snprintf(want, sizeof(want),
                 "t.json: sources[2].mapping.%s: bad %s \"%s\" (did you mean %s?", rows[i].key,
                 rows[i].key, rows[i].bad, rows[i].want);
        if (!errors || !strstr(errors, want))
            fail_msg("want \"%s\" in:\n%s", want, errors ? errors : "(loaded)");
        free(errors);
        json_decref(root);
    }
}

/*
 * Derived weights: an AHP matrix is n x n over the node's children,
 * reciprocal and consistent; the circulant matrix below (1, 9, 1/9 in each
 * row) has lambda_max = 1 + 9 + 1/9 = 10.1111 (its eigenvector is uniform),
 * CI = (10.1111 - 3) / 2 = 3.5556, CR = CI / RI(3) = 3.5556 / 0.58 = 6.1303.
 * The data methods refuse a dimension among the children.
 */
static void test_weights_errors(void **state)
{
    static const struct {
        const char *weights, *tree, *want;
    } rows[] = {
        {"{'method': 'ahp', 'matrix': [[1, 9, 0.111111111111], [0.111111111111, 1, 9],"
         " [9, 0.111111111111, 1]]}",
         NULL,
         "t.json: indices[1].weights.matrix: inconsistent judgements: consistency ratio 6.1303"
         " >= 0.1"},
        {"{'method': 'ahp', 'matrix': [[1, 2], [0.5, 1]]}", NULL,
         "t.json: indices[1].weights.matrix: expected a 3 x 3 matrix over the node's 3"
         " children"},
        {"{'method': 'ahp', 'matrix': [[1, 2, 4], [0.5, 1, 2], [0.25, 0.4, 1]]}", NULL,
         "t.json: indices[1].weights.matrix[2][1]: not reciprocal: 0.4, but [1][2] is 2"
         " (want 0.5)"},
        {"{'method': 'ahp', 'matrix': [[1, 2, 4], [0.5, 1, 2], [0.25, 0.5, 1]], 'from': 'each'}",
         NULL, "t.json: indices[1].weights.from: only for the data methods"},
        {"{'method': 'cv', 'matrix': [[1]]}", "[{'indicator': 'revenue'}]",
         "t.json: indices[1].weights.matrix: only for method \"ahp\""},
        {"{'method': 'pca', 'from': '2023-Q1'}", "[{'indicator': 'revenue'}]",
         "t.json: indices[1].weights.from: period \"2023-Q1\" is not of the index frequency Y"},
        {"{'method': 'entropy'}",
         "[{'indicator': 'revenue'}, {'id': 'd', 'children': [{'indicator': 'staff'}]}]",
         "t.json: indices[1].weights: method \"entropy\" derives weights from indicator values,"
         " but child \"d\" is a dimension"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        json_t *root = load_full(), *ix = at(root, "indices[1]");
        char *w = dq(rows[i].weights);
        char *t = dq(rows[i].tree ? rows[i].tree
                                  : "[{'indicator': 'revenue'}, {'indicator': 'staff'},"
                                    " {'indicator': 'ratio'}]");
        char *errors;

        json_object_set_new(ix, "weights", json_loads(w, 0, NULL));
        json_object_set_new(ix, "tree", json_loads(t, 0, NULL));
        errors = problems(root);
        if (!errors || !strstr(errors, rows[i].want))
            fail_msg("want \"%s\" in:\n%s", rows[i].want, errors ? errors : "(loaded)");
        free(errors);
        free(w);
        free(t);
        json_decref(root);
    }
}

/* A consistent AHP matrix loads; its weights are the eigenvector 4:2:1. */
static void test_weights_ahp_loads(void **state)
{
    json_t *root = load_full(), *ix = at(root, "indices[1]");
    char *w = dq("{'method': 'ahp', 'matrix': [[1, 2, 4], [0.5, 1, 2], [0.25, 0.5, 1]]}");
    char *t = dq("[{'indicator': 'revenue', 'weight': 1}, {'indicator': 'staff', 'weight': 1},"
                 " {'indicator': 'ratio', 'weight': 1}]");
    char *text, *errors = NULL;
    struct config *cfg = NULL;
    const struct config_index *idx;
    size_t n;

    (void)state;
    json_object_set_new(ix, "weights", json_loads(w, 0, NULL));
    json_object_set_new(ix, "tree", json_loads(t, 0, NULL));
    text = json_dumps(root, JSON_COMPACT);
    if (config_load_buffer("t.json", "/srv", text, strlen(text), &cfg, &errors) != 0)
        fail_msg("%s", errors);
    idx = config_indices(cfg, &n);
    assert_int_equal(n, 2);
    idx = strcmp(idx[0].id, "iy") == 0 ? &idx[0] : &idx[1];
    assert_non_null(idx->weights);
    assert_int_equal(idx->weights->method, CONFIG_WEIGHTS_AHP);
    assert_float_equal(idx->weights->ahp[0], 4.0 / 7, 1e-9);
    assert_float_equal(idx->weights->ahp[1], 2.0 / 7, 1e-9);
    assert_float_equal(idx->weights->ahp[2], 1.0 / 7, 1e-9);
    assert_float_equal(idx->weights->cr, 0, 1e-9);
    config_free(&cfg);
    free(text);
    free(w);
    free(t);
    json_decref(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_config_loads),
        cmocka_unit_test(test_every_key_misspelt),
        cmocka_unit_test(test_every_enumerated_value_wrong),
        cmocka_unit_test(test_separator_words_suggest_the_character),
        cmocka_unit_test(test_weights_errors),
        cmocka_unit_test(test_weights_ahp_loads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
