/*
 * test_format_status_real.c - the observation status the SDMX readers tell
 * on real agency payloads in ../shared/real (not in the tree; without them
 * the test says so and exits 77): every record's unit, indicator, period,
 * missing flag and status, in order, compared with what Python's own
 * parsers (xml.etree, csv) make of the same file
 * (tests/integration/real_corpus.py statuses). The files carry OBS_STATUS
 * per observation (BIS: "A" with a value, "M" without one), per series
 * attribute or as a CSV column; INSEE writes "P" and "SD", ISTAT "e".
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "collectors/format.h"
#include "config/config.h"
#include "test_support.h"

static char real_dir[4096];

/* The BIS derivatives indicator: every dimension but the reporting country. */
#define BIS_IND                                                                                    \
    "\"{FREQ}.{DER_TYPE}.{DER_INSTR}.{DER_RISK}.{DER_SECTOR_CPY}.{DER_CPC}.{DER_SECTOR_UDL}."      \
    "{DER_CURR_LEG1}.{DER_CURR_LEG2}.{DER_ISSUE_MAT}.{DER_RATING}.{DER_EX_METHOD}.{DER_BASIS}\""

/* A file, its reader, the mapping real_corpus.py's ROWS gives it, and how
 * many of its records carry a status and how many are missing with one
 * (counted with grep and Python; real_corpus.py checks every record). */
struct real_file {
    const char *name, *format, *mapping;
    long records, with_status, missing_with_status;
};

static const struct real_file files[] = {
    {"bis_BIS_DER_generic21.xml", "sdmxml",
     "{\"mapping\": {\"unit_dimension\": \"DER_REP_CTY\", \"indicator\": " BIS_IND "}}", 1000, 1000,
     640},
    {"bis_WEBSTATS_DER_sdmxcsv10.csv", "sdmxcsv",
     "{\"mapping\": {\"unit_dimension\": \"DER_REP_CTY\", \"indicator\": " BIS_IND "}}", 1000, 1000,
     640},
    {"bis_BIS_DER_sdmxcsv20.csv", "sdmxcsv",
     "{\"mapping\": {\"unit_dimension\": \"DER_REP_CTY\", \"indicator\": " BIS_IND "}}", 20, 20,
     13},
    {"ecb_exr_M.USD.EUR.SP00.A_generic21.xml", "sdmxml",
     "{\"mapping\": {\"unit_dimension\": \"CURRENCY\", \"indicator\": "
     "\"{FREQ}.{CURRENCY_DENOM}.{EXR_TYPE}.{EXR_SUFFIX}\"}}",
     252, 252, 0},
    {"ecb_exr_ng-ts_ss21_sample.xml", "sdmxml",
     "{\"mapping\": {\"unit_dimension\": \"CURRENCY\", \"indicator\": "
     "\"{CURRENCY_DENOM}.{EXR_TYPE}.{EXR_VAR}\"}}",
     12, 12, 0},
    {"ecb_exr_ss30.xml", "sdmxml",
     "{\"mapping\": {\"unit_dimension\": \"CURRENCY\", \"indicator\": "
     "\"{CURRENCY_DENOM}.{EXR_TYPE}.{EXR_SUFFIX}\"}}",
     116, 116, 0},
    {"insee_CNA-2010-CONSO-SI-A17_generic21.xml", "sdmxml",
     "{\"mapping\": {\"unit_dimension\": \"REF_AREA\", \"indicator\": "
     "\"{SECT-INST}.{OPERATION}.{PRODUIT}.{PRIX}\"}}",
     2, 2, 0},
    {"istat_22_289_DCIS_POPRES1_ss21.xml", "sdmxml",
     "{\"mapping\": {\"unit_dimension\": \"REF_AREA\", \"indicator\": "
     "\"{FREQ}.{DATA_TYPE}.{SEX}.{AGE}.{MARITAL_STATUS}\"}}",
     8, 2, 0},
    {"insee_IPI-2010-A21_generic21.xml", "sdmxml",
     "{\"mapping\": {\"unit\": {\"const\": \"FR\"}, \"indicator\": "
     "\"{FREQ}.{PRODUIT}.{NATURE}\"}}",
     3230, 3230, 0},
};

struct tally {
    FILE *tsv;
    long n, with_status, missing_with_status, problems;
};

static int on_rec(const struct format_record *r, void *ctx)
{
    struct tally *t = ctx;
    char per[PERIOD_TEXT_SIZE] = "";

    t->n++;
    if (r->problem) {
        t->problems++;
        fprintf(stderr, "record %ld: %s\n", r->position, r->problem);
    }
    if (r->period_ok)
        period_format(r->period, per, sizeof(per));
    t->with_status += r->status != NULL;
    t->missing_with_status += r->status && r->missing;
    fprintf(t->tsv, "%s\t%s\t%s\t%d\t%s\n", r->unit, r->indicator, per, r->missing,
            r->status ? r->status : "");
    return 0;
}

static void check_file(const struct real_file *f)
{
    struct config_mapping *m = NULL;
    struct format *fmt = NULL;
    struct tally t = {0};
    char path[4200], tsv[4200], dir[512], cmd[9000], err[512] = "";
    size_t len;
    char *buf;
    int rc;

    snprintf(path, sizeof(path), "%s/%s", real_dir, f->name);
    if (!(buf = ts_read_file(path, &len)))
        fail_msg("cannot read %s: %s", path, strerror(errno));
    if (config_mapping_parse(f->format, f->mapping, &m, err, sizeof(err)) != 0)
        fail_msg("%s: mapping: %s", f->name, err);
    assert_int_equal(format_new(&fmt, f->format, m, err, sizeof(err)), 0);
    ts_tmpdir(dir, sizeof(dir), "status_real");
    ts_path(tsv, sizeof(tsv), dir, "records.tsv");
    assert_non_null(t.tsv = fopen(tsv, "w"));
    rc = format_read(fmt, buf, len, on_rec, &t, err, sizeof(err));
    fclose(t.tsv);
    format_free(&fmt);
    config_mapping_free(&m);
    free(buf);
    if (rc != 0)
        fail_msg("%s: format_read: %d %s", f->name, rc, err);
    fprintf(stderr, "%s: %ld records, %ld with a status (%ld missing)\n", f->name, t.n,
            t.with_status, t.missing_with_status);
    assert_int_equal(t.n, f->records);
    assert_int_equal(t.problems, 0);
    assert_int_equal(t.with_status, f->with_status);
    assert_int_equal(t.missing_with_status, f->missing_with_status);
    snprintf(cmd, sizeof(cmd),
             "/usr/bin/python3 %s/../integration/real_corpus.py statuses '%s' '%s' '%s'",
             getenv("PARKSTAT_TEST_DATA") ? getenv("PARKSTAT_TEST_DATA") : "tests/data", real_dir,
             f->name, tsv);
    rc = system(cmd);
    ts_rmtree(dir);
    assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
}

static void test_real_statuses(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        check_file(&files[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_statuses),
    };
    if (!ts_reference_dir(real_dir, sizeof(real_dir), "../real"))
        return 77;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
