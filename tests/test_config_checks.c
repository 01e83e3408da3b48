/*
 * test_config_checks.c - the checks[] section: what a rule loads into, and
 * each rule's refusals, named by JSON path.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"

/* Units, indicators (single quotes become double), then the checks. */
static const char head[] =
    "{'units': [{'id': 'zone', 'name': 'Z'}, {'id': 'p1', 'name': 'P1', 'parent': 'zone'},"
    "           {'id': 'p2', 'name': 'P2', 'parent': 'zone'}],"
    " 'indicators': [{'code': 'revenue', 'name': 'R', 'frequency': 'M', 'kind': 'flow',"
    "                 'cumulative': true},"
    "                {'code': 'sales', 'name': 'S', 'frequency': 'M', 'kind': 'flow'},"
    "                {'code': 'other', 'name': 'O', 'frequency': 'M', 'kind': 'flow'},"
    "                {'code': 'staff', 'name': 'T', 'frequency': 'Q', 'kind': 'stock'},"
    "                {'code': 'share', 'name': 'H', 'measure': '%', 'frequency': 'M',"
    "                 'kind': 'rate', 'numerator': 'sales', 'denominator': 'revenue'}],"
    " 'checks': ";

/* Loads head + checks + "}"; returns the problems (malloc'd) or NULL and *out. */
static char *load(const char *checks, struct config **out)
{
    size_t n = strlen(head) + strlen(checks) + 2;
    char *text = malloc(n), *errors = NULL;

    assert_non_null(text);
    snprintf(text, n, "%s%s}", head, checks);
    for (char *p = text; *p; p++)
        if (*p == '\'')
            *p = '"';
    *out = NULL;
    if (config_load_buffer("t.json", "/srv", text, strlen(text), out, &errors) != 0)
        *out = NULL;
    free(text);
    return errors;
}

static void test_rules_load(void **state)
{
    struct config *cfg;
    const struct config_check *ck;
    size_t n;
    char *errors =
        load("[{'id': 'zone_sum', 'rule': 'sum', 'total': 'revenue', 'parts': ['sales', 'other'],"
             "  'tolerance': 0.5, 'units': ['zone']},"
             " {'id': 'g', 'rule': 'growth', 'indicator': 'staff', 'basis': 'pop', 'max': 30},"
             " {'id': 'r', 'rule': 'ratio', 'indicator': 'share'},"
             " {'id': 'h', 'rule': 'hierarchy', 'indicator': 'sales'}]",
             &cfg);

    (void)state;
    if (errors)
        fail_msg("%s", errors);
    ck = config_checks(cfg, &n);
    assert_int_equal(n, 4);
    assert_string_equal(ck[0].id, "zone_sum");
    assert_int_equal(ck[0].rule, CONFIG_CHECK_SUM);
    assert_int_equal(ck[0].action, CONFIG_CHECK_FLAG);
    assert_int_equal(ck[0].indicator, 0);
    assert_int_equal(ck[0].n_parts, 2);
    assert_int_equal(ck[0].parts[0], 1);
    assert_int_equal(ck[0].parts[1], 2);
    assert_true(ck[0].tolerance == 0.5);
    assert_int_equal(ck[0].units.kind, CONFIG_UNITS_LIST);
    assert_int_equal(ck[1].basis, CONFIG_CHECK_POP);
    assert_true(ck[1].max == 30 && isnan(ck[1].outlier));
    /* ratio bounds default to [0, 100] */
    assert_true(ck[2].min == 0 && ck[2].max == 100);
    assert_int_equal(ck[3].precedence, CONFIG_PRECEDENCE_REPORTED);
    config_free(&cfg);
}

static void test_rule_errors(void **state)
{
    static const struct {
        const char *checks, *want;
    } rows[] = {
        {"[{'id': 'a', 'rule': 'range', 'indicator': 'revenu', 'max': 1}]",
         "t.json: checks[0].indicator: unknown indicator \"revenu\" (did you mean \"revenue\"?)"},
        {"[{'id': 'a', 'rule': 'sum', 'total': 'revenue', 'parts': ['sales', 'stafff']}]",
         "t.json: checks[0].parts[1]: unknown indicator \"stafff\" (did you mean \"staff\"?)"},
        {"[{'id': 'a', 'rule': 'sum', 'total': 'revenue', 'parts': ['sales', 'staff']}]",
         "t.json: checks[0].parts[1]: indicator \"staff\" is not of the total's frequency"},
        {"[{'id': 'a', 'rule': 'sum', 'total': 'revenue', 'parts': ['sales']}]",
         "t.json: checks[0].parts: expected at least two indicator codes"},
        {"[{'id': 'a', 'rule': 'sum', 'total': 'revenue', 'parts': ['sales', 'other'],"
         "  'max': 3}]",
         "t.json: checks[0]: unknown key \"max\""},
        {"[{'id': 'a', 'rule': 'range', 'indicator': 'revenue'}]",
         "t.json: checks[0]: a range check needs \"min\" or \"max\""},
        {"[{'id': 'a', 'rule': 'range', 'indicator': 'revenue', 'min': 5, 'max': 1}]",
         "t.json: checks[0].max: must be >= min (5)"},
        {"[{'id': 'a', 'rule': 'growth', 'indicator': 'revenue'}]",
         "t.json: checks[0]: a growth check needs \"max\" or \"outlier\""},
        {"[{'id': 'a', 'rule': 'growth', 'indicator': 'revenue', 'max': -1}]",
         "t.json: checks[0].max: must be a finite number > 0"},
        {"[{'id': 'a', 'rule': 'monotone_ytd', 'indicator': 'sales'}]",
         "t.json: checks[0].indicator: indicator \"sales\" is not cumulative"},
        {"[{'id': 'a', 'rule': 'hierarchy', 'indicator': 'share'}]",
         "t.json: checks[0].indicator: indicator \"share\" is a rate"},
        {"[{'id': 'a', 'rule': 'ratio', 'indicator': 'sales'}]",
         "t.json: checks[0].indicator: indicator \"sales\" is not a rate"},
        {"[{'id': 'a', 'rule': 'hierarchy', 'indicator': 'sales', 'tolerance': -1}]",
         "t.json: checks[0].tolerance: must be a finite number >= 0"},
        {"[{'id': 'a', 'rule': 'range', 'indicator': 'sales', 'max': 1, 'action': 'refuse'}]",
         "t.json: checks[0].action"},
        {"[{'id': 'a', 'rule': 'range', 'indicator': 'sales', 'max': 1, 'units': ['p3']}]",
         "t.json: checks[0].units"},
        {"[{'id': 'a', 'rule': 'range', 'indicator': 'sales', 'max': 1},"
         " {'id': 'a', 'rule': 'range', 'indicator': 'sales', 'min': 1}]",
         "t.json: checks[1].id: duplicate"},
        {"[{'rule': 'range', 'indicator': 'sales', 'max': 1}]", "t.json: checks[0].id: required"},
        {"{'rule': 'range'}", "t.json: checks: expected array"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct config *cfg;
        char *errors = load(rows[i].checks, &cfg);

        if (!errors || !strstr(errors, rows[i].want))
            fail_msg("row %zu: want \"%s\" in:\n%s", i, rows[i].want, errors ? errors : "(loaded)");
        assert_null(cfg);
        free(errors);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules_load),
        cmocka_unit_test(test_rule_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
