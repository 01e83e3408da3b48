/*
 * test_format_xlsx_real.c - the "xlsx" reader on a real workbook: the ABS
 * Time Series Workbook ../shared/real/abs_6202021.xlsx (not in the tree;
 * without it the test says so and exits 77). Sheet Data1 has 10 metadata
 * rows (row 10: Series ID), then one row per quarter, 7 series as columns:
 * 148 rows x 7 = 1036 values (../shared/real/README.md). Every value is
 * then compared with what python3-openpyxl reads from the same file
 * (tests/support/xlsx_openpyxl.py), an independent reader.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "collectors/format.h"
#include "config/config.h"
#include "test_support.h"

static char real_dir[4096];

struct tally {
    FILE *tsv;
    long n, n_values, n_problems;
    char first[16], last[16];
    char ids[8][16];
    size_t n_ids;
};

static int on_rec(const struct format_record *r, void *ctx)
{
    struct tally *t = ctx;
    char per[PERIOD_TEXT_SIZE] = "";
    size_t i;

    t->n++;
    if (r->problem || !r->period_ok || !r->value_ok) {
        t->n_problems++;
        fprintf(stderr, "record at row %ld: %s\n", r->position, r->problem ? r->problem : "?");
        return 0;
    }
    t->n_values++;
    period_format(r->period, per, sizeof(per));
    if (!t->first[0])
        snprintf(t->first, sizeof(t->first), "%s", per);
    snprintf(t->last, sizeof(t->last), "%s", per);
    for (i = 0; i < t->n_ids && strcmp(t->ids[i], r->indicator) != 0; i++)
        ;
    if (i == t->n_ids && t->n_ids < 8)
        snprintf(t->ids[t->n_ids++], sizeof(t->ids[0]), "%s", r->indicator);
    fprintf(t->tsv, "%s\t%s\t%.17g\n", r->indicator, per, r->value);
    assert_string_equal(r->unit, "AUS");
    return 0;
}

static void test_abs_workbook(void **state)
{
    static const char source[] =
        "{\"mapping\": {\"layout\": \"wide\", \"sheet\": \"Data1\", \"header_row\": 10, "
        "\"columns\": \"indicator\", \"unit\": {\"const\": \"AUS\"}, \"period\": \"Series ID\", "
        "\"date_period\": \"quarter\"}}";
    struct config_mapping *m = NULL;
    struct format *fmt = NULL;
    struct tally t = {0};
    char path[4200], tsv[4200], dir[512], cmd[9000], err[512] = "";
    size_t len;
    char *buf;
    int rc;

    (void)state;
    snprintf(path, sizeof(path), "%s/abs_6202021.xlsx", real_dir);
    assert_non_null(buf = ts_read_file(path, &len));
    assert_int_equal(config_mapping_parse("xlsx", source, &m, err, sizeof(err)), 0);
    assert_int_equal(format_new(&fmt, "xlsx", m, err, sizeof(err)), 0);
    ts_tmpdir(dir, sizeof(dir), "xlsx_real");
    ts_path(tsv, sizeof(tsv), dir, "records.tsv");
    assert_non_null(t.tsv = fopen(tsv, "w"));
    rc = format_read(fmt, buf, len, on_rec, &t, err, sizeof(err));
    fclose(t.tsv);
    if (rc != 0)
        fail_msg("format_read: %d %s", rc, err);
    assert_int_equal(t.n, 1036);
    assert_int_equal(t.n_values, 1036);
    assert_int_equal(t.n_problems, 0);
    assert_int_equal(t.n_ids, 7);
    assert_string_equal(t.ids[0], "A84426298K");
    assert_string_equal(t.first, "1984-Q4");
    assert_string_equal(t.last, "2021-Q3");
    snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s/../support/xlsx_openpyxl.py '%s' Data1 10 '%s'",
             getenv("PARKSTAT_TEST_DATA") ? getenv("PARKSTAT_TEST_DATA") : "tests/data", path, tsv);
    rc = system(cmd);
    ts_rmtree(dir);
    format_free(&fmt);
    config_mapping_free(&m);
    free(buf);
    if (WIFEXITED(rc) && WEXITSTATUS(rc) == 77)
        skip();
    assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_abs_workbook),
    };
    if (!ts_reference_dir(real_dir, sizeof(real_dir), "../real"))
        return 77;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
