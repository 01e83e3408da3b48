/*
 * test_import.c - the CSV importer (cli/import.c, cli/csvread.c) on an
 * in-memory store with tests/data/import_config.json: good rows stored with
 * exact values, every reject reason with its line, header errors, re-imports
 * that revise or change nothing, and line numbers across read chunks.
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

#include "cli/import.h"
#include "config/config.h"
#include "store/bookkeeping.h"
#include "store/observations.h"
#include "store/store.h"
#include "test_support.h"

struct fixture {
    struct config *cfg;
    struct store *st;
    char *msgs; /* messages of the last import */
};

struct obs {
    char unit[16], indicator[16], period[8];
    double value;
    int64_t valid_to;
};

struct rej {
    long position;
    char raw[128], reason[128];
};

#define MAX_ROWS 64

struct rows {
    size_t n;
    struct obs o[MAX_ROWS];
};

struct rejects {
    size_t n;
    struct rej r[MAX_ROWS];
};

/* tests/data/<name>, in a buffer the next call overwrites. */
static char *data_path(const char *name)
{
    static char path[4096];
    return ts_data_path(path, sizeof(path), name);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    char *errors = NULL, errbuf[256];

    assert_non_null(f);
    if (config_load(data_path("import_config.json"), &f->cfg, &errors) < 0)
        fail_msg("config: %s", errors ? errors : "?");
    assert_int_equal(store_open(&f->st, ":memory:", 0, errbuf, sizeof(errbuf)), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    store_close(&f->st);
    config_free(&f->cfg);
    free(f->msgs);
    free(f);
    return 0;
}

/* Imports the files of one command (name/text pairs, NULL-terminated) into
 * f's store; returns the last file's rc and fills sums[i]. */
static int import_texts(struct fixture *f, struct import_summary *sums, ...)
{
    struct import *im = NULL;
    size_t len = 0;
    FILE *msgs;
    va_list ap;
    const char *name;
    int rc = 0, i = 0;

    free(f->msgs);
    f->msgs = NULL;
    msgs = open_memstream(&f->msgs, &len);
    assert_non_null(msgs);
    assert_int_equal(import_new(&im, f->st, f->cfg), 0);
    import_set_messages(im, msgs, 100);
    va_start(ap, sums);
    while ((name = va_arg(ap, const char *))) {
        const char *text = va_arg(ap, const char *);
        FILE *in = fmemopen((void *)text, strlen(text), "r");
        if (!*text)
            in = fopen("/dev/null", "r"); /* fmemopen refuses size 0 */
        assert_non_null(in);
        rc = import_stream(im, in, name, &sums[i++]);
        fclose(in);
    }
    va_end(ap);
    import_free(&im);
    fclose(msgs);
    return rc;
}

/* Writes the files of one command (name/text pairs, NULL-terminated) into a
 * temporary folder and imports them by path with import_file(); returns the
 * last file's rc and fills sums[i]. The folder's path goes to dir. */
static int import_as_files(struct fixture *f, char *dir, size_t dirsize,
                           struct import_summary *sums, ...)
{
    struct import *im = NULL;
    size_t len = 0;
    FILE *msgs;
    va_list ap;
    const char *name;
    char path[4200];
    int rc = 0, i = 0;

    ts_tmpdir(dir, dirsize, "import");
    free(f->msgs);
    f->msgs = NULL;
    msgs = open_memstream(&f->msgs, &len);
    assert_non_null(msgs);
    assert_int_equal(import_new(&im, f->st, f->cfg), 0);
    import_set_messages(im, msgs, 100);
    va_start(ap, sums);
    while ((name = va_arg(ap, const char *))) {
        const char *text = va_arg(ap, const char *);
        FILE *out;
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        assert_non_null(out = fopen(path, "w"));
        fputs(text, out);
        fclose(out);
        rc = import_file(im, path, &sums[i++]);
    }
    va_end(ap);
    import_free(&im);
    fclose(msgs);
    return rc;
}

static int import_path(struct fixture *f, const char *path, struct import_summary *sum)
{
    struct import *im = NULL;
    size_t len = 0;
    FILE *msgs;
    int rc;

    free(f->msgs);
    f->msgs = NULL;
    msgs = open_memstream(&f->msgs, &len);
    assert_int_equal(import_new(&im, f->st, f->cfg), 0);
    import_set_messages(im, msgs, 100);
    rc = import_file(im, path, sum);
    import_free(&im);
    fclose(msgs);
    return rc;
}

static int collect_obs(const struct store_obs_row *row, void *ctx)
{
    struct rows *r = ctx;
    struct obs *o;

    assert_true(r->n < MAX_ROWS);
    o = &r->o[r->n++];
    snprintf(o->unit, sizeof(o->unit), "%s", row->unit);
    snprintf(o->indicator, sizeof(o->indicator), "%s", row->indicator);
    snprintf(o->period, sizeof(o->period), "%s", row->period);
    o->value = row->value;
    o->valid_to = row->valid_to;
    return 0;
}

static int collect_rej(const struct store_reject_row *row, void *ctx)
{
    struct rejects *r = ctx;
    struct rej *x;

    assert_true(r->n < MAX_ROWS);
    x = &r->r[r->n++];
    x->position = row->position;
    snprintf(x->raw, sizeof(x->raw), "%s", row->raw ? row->raw : "");
    snprintf(x->reason, sizeof(x->reason), "%s", row->reason);
    return 0;
}

static void query(struct fixture *f, int history, struct rows *out)
{
    struct store_obs_query q = {.history = history};
    out->n = 0;
    assert_int_equal(store_observations(f->st, &q, collect_obs, out), 0);
}

static void assert_obs(const struct obs *o, const char *unit, const char *ind, const char *per,
                       double value)
{
    assert_string_equal(o->unit, unit);
    assert_string_equal(o->indicator, ind);
    assert_string_equal(o->period, per);
    assert_true(o->value == value);
}

static void test_import_bom_crlf_quotes_reordered_columns(void **state)
{
    struct fixture *f = *state;
    struct import_summary s;
    struct rows r;

    assert_int_equal(import_path(f, data_path("csv/good_bom_crlf.csv"), &s), 0);
    assert_int_equal(s.n_read, 3);
    assert_int_equal(s.n_stored, 3);
    assert_int_equal(s.counts.n_new, 3);
    assert_int_equal(s.n_rejected, 0);
    assert_non_null(strstr(f->msgs, ":1: warning: column \"note\" ignored\n"));
    query(f, 0, &r);
    assert_int_equal(r.n, 3);
    /* Ordered by unit, indicator, period; "12.5" was quoted, 0.1 is exact. */
    assert_obs(&r.o[0], "p1", "revenue", "2023-01", 12.5);
    assert_obs(&r.o[1], "p1", "revenue", "2023-02", 0.1);
    assert_obs(&r.o[2], "p2", "firms", "2023-Q1", 1500);
    assert_int_equal(r.o[0].valid_to, 0);
}

/* Each bad row of tests/data/csv/bad_rows.csv: its line, reason and raw text. */
static const struct {
    long line;
    const char *reason;
    const char *raw;
} bad_rows[] = {
    {4, "unknown unit \"nowhere\"", "nowhere,revenue,2023-01,1"},
    {5, "unknown indicator \"revnue\"", "p1,revnue,2023-01,1"},
    {6, "derived indicator \"rd_int\" is computed, not imported", "p1,rd_int,2023-Q1,1"},
    {7, "bad period \"2023-13\"", "p1,revenue,2023-13,1"},
    {8, "period \"2023-Q1\" is quarterly, indicator \"revenue\" is monthly",
     "p1,revenue,2023-Q1,1"},
    {9,
     "value: not a number: \"12x\" (text after the number: \"x\" (a unit? scale it with "
     "\"suffixes\"))",
     "p1,revenue,2023-03,12x"},
    /* line 10, an empty value, is missing: counted, not a reject */
    {11, "value: not a number: \"inf\" (not a finite number)", "p1,revenue,2023-05,inf"},
    {12, "value: not a number: \"nan\" (not a finite number)", "p1,revenue,2023-06,nan"},
    {13, "wrong number of fields: 3, expected 4", "p1,revenue,2023-07"},
    {14, "duplicate of line 2", "p1,revenue,2023-01,99"},
    {15, "unknown unit \"p1,x\"", "p1,x,revenue,2023-08,1"},
    {17, "value: not a number: \"1e999\" (overflow: beyond the range of a double (1.8e308))",
     "p1,revenue,2023-09,1e999"},
    /* lines 18 and 19, "1,234" and " 5", are read as a pull reads them: 1234 and 5 */
    {20, "unknown indicator \"revenue\\\"\"", "p2,revenue\",2023-01,1"},
    {21, "unknown unit \"multi\\x0aline\"", "multi\nline,revenue,2023-01,1"},
    {23, "malformed quoting", "p1,revenue,2023-12"},
};

static void test_import_rejects_each_bad_row_with_its_line(void **state)
{
    struct fixture *f = *state;
    size_t n = sizeof(bad_rows) / sizeof(bad_rows[0]);
    struct import_summary s;
    struct rejects rj = {0};
    struct rows r;
    char line[256];

    assert_int_equal(import_path(f, data_path("csv/bad_rows.csv"), &s), 0);
    assert_int_equal(s.n_read, 21);
    assert_int_equal(s.n_stored, 6); /* with the missing value of line 10 */
    assert_int_equal(s.n_missing, 1);
    assert_int_equal(s.n_rejected, (long)n);
    assert_int_equal(store_rejects(f->st, 0, NULL, collect_rej, &rj), 0);
    assert_int_equal(rj.n, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(rj.r[i].position, bad_rows[i].line);
        assert_string_equal(rj.r[i].reason, bad_rows[i].reason);
        assert_string_equal(rj.r[i].raw, bad_rows[i].raw);
        snprintf(line, sizeof(line), "bad_rows.csv:%ld: %s\n", bad_rows[i].line,
                 bad_rows[i].reason);
        assert_non_null(strstr(f->msgs, line));
    }
    query(f, 0, &r);
    assert_int_equal(r.n, 6);
    assert_obs(&r.o[0], "p1", "revenue", "2023-01", 10); /* the first of the duplicates */
    assert_obs(&r.o[1], "p1", "revenue", "2023-02", 11);
    assert_string_equal(r.o[2].period, "2023-04"); /* "": stored as missing, never 0 */
    assert_true(isnan(r.o[2].value));
    assert_obs(&r.o[3], "p1", "revenue", "2023-10", 1234);
    assert_obs(&r.o[4], "p1", "revenue", "2023-11", 5);
    assert_obs(&r.o[5], "p2", "firms", "2023-Q4", -350);
}

static void test_import_missing_column_is_an_error(void **state)
{
    struct fixture *f = *state;
    struct import_summary s;
    struct rows r;
    long rows, current;

    assert_int_equal(import_path(f, data_path("csv/missing_column.csv"), &s), -EINVAL);
    assert_non_null(strstr(f->msgs, "missing_column.csv:1: missing column \"period\"\n"));
    query(f, 1, &r);
    assert_int_equal(r.n, 0);
    assert_int_equal(store_count_observations(f->st, &rows, &current), 0);
    assert_int_equal(rows, 0);
}

static void test_import_header_errors(void **state)
{
    struct fixture *f = *state;
    struct import_summary s[1];

    assert_int_equal(import_texts(f, s, "empty.csv", "", (const char *)NULL), -EINVAL);
    assert_string_equal(f->msgs, "empty.csv: empty file: no header row\n");
    assert_int_equal(
        import_texts(f, s, "twice.csv", "unit,Unit,indicator,period,value\n", (const char *)NULL),
        -EINVAL);
    assert_string_equal(f->msgs, "twice.csv:1: column \"Unit\" given twice\n");
    assert_int_equal(
        import_texts(f, s, "blank.csv", "\n\r\n\nunit,indicator,period\n", (const char *)NULL),
        -EINVAL);
    assert_string_equal(f->msgs, "blank.csv:4: missing column \"value\"\n");
    /* A header alone is a file with no rows, not an error. */
    assert_int_equal(import_texts(f, s, "h.csv", "value,period,indicator,unit", (const char *)NULL),
                     0);
    assert_int_equal(s[0].n_read, 0);
    assert_int_equal(s[0].n_stored, 0);
}

static const char *const base_csv = "unit,indicator,period,value\n"
                                    "p1,revenue,2023-01,10\n"
                                    "p1,revenue,2023-02,20\n"
                                    "p2,firms,2023-Q1,7\n";

static void test_import_reimport_adds_nothing_and_change_revises(void **state)
{
    struct fixture *f = *state;
    struct import_summary s[1];
    struct rows r;

    assert_int_equal(import_texts(f, s, "a.csv", base_csv, (const char *)NULL), 0);
    assert_int_equal(s[0].counts.n_new, 3);
    assert_int_equal(import_texts(f, s, "a.csv", base_csv, (const char *)NULL), 0);
    assert_int_equal(s[0].n_stored, 3);
    assert_int_equal(s[0].counts.n_new, 0);
    assert_int_equal(s[0].counts.n_revised, 0);
    assert_int_equal(s[0].counts.n_unchanged, 3);
    assert_int_equal(import_texts(f, s, "b.csv",
                                  "unit,indicator,period,value\n"
                                  "p1,revenue,2023-01,10\n"
                                  "p1,revenue,2023-02,21.25\n",
                                  (const char *)NULL),
                     0);
    assert_int_equal(s[0].counts.n_new, 0);
    assert_int_equal(s[0].counts.n_revised, 1);
    assert_int_equal(s[0].counts.n_unchanged, 1);
    query(f, 1, &r);
    assert_int_equal(r.n, 4);
    assert_obs(&r.o[1], "p1", "revenue", "2023-02", 20);
    assert_true(r.o[1].valid_to > 0);
    assert_obs(&r.o[2], "p1", "revenue", "2023-02", 21.25);
    assert_int_equal(r.o[2].valid_to, 0);
}

static void test_import_duplicate_in_an_earlier_file_of_the_command(void **state)
{
    struct fixture *f = *state;
    struct import_summary s[2];
    struct rejects rj = {0};
    char dir[4096], want[4200];

    assert_int_equal(import_as_files(f, dir, sizeof(dir), s, "a.csv", base_csv, "b.csv",
                                     "unit,indicator,period,value\n"
                                     "p2,revenue,2023-02,5\n"
                                     "p2,firms,2023-Q1,8\n",
                                     (const char *)NULL),
                     0);
    assert_int_equal(s[1].n_read, 2);
    assert_int_equal(s[1].n_stored, 1);
    assert_int_equal(s[1].n_rejected, 1);
    assert_int_equal(store_rejects(f->st, 0, NULL, collect_rej, &rj), 0);
    assert_int_equal(rj.n, 1);
    assert_int_equal(rj.r[0].position, 3);
    snprintf(want, sizeof(want), "duplicate of %s/a.csv:4", dir);
    assert_string_equal(rj.r[0].reason, want);
    assert_string_equal(rj.r[0].raw, "p2,firms,2023-Q1,8");
    ts_rmtree(dir);
}

/* An earlier file that was a stream cannot be read again: the reason names
 * the file without a line. */
static void test_import_duplicate_in_an_earlier_stream(void **state)
{
    struct fixture *f = *state;
    struct import_summary s[2];
    struct rejects rj = {0};

    assert_int_equal(import_texts(f, s, "dir/a.csv", base_csv, "b.csv",
                                  "unit,indicator,period,value\n"
                                  "p2,firms,2023-Q1,8\n",
                                  (const char *)NULL),
                     0);
    assert_int_equal(store_rejects(f->st, 0, NULL, collect_rej, &rj), 0);
    assert_int_equal(rj.n, 1);
    assert_int_equal(rj.r[0].position, 2);
    assert_string_equal(rj.r[0].reason, "duplicate of dir/a.csv");
}

/* 80 000 rows are stored in two chunks of IMPORT_CHUNK_ROWS and one more:
 * a key repeated after its chunk was stored is still a duplicate, with the
 * line of its first occurrence, and the first value stays. Read from a pipe
 * (which cannot be read twice) the reason has no line. */
static void test_import_duplicates_across_chunks(void **state)
{
    struct fixture *f = *state;
    struct import_summary s[1];
    struct rejects rj = {0};
    struct rows r;
    size_t cap = 1 << 22, len = 0;
    char *text = malloc(cap), dir[4096], path[4200], cmd[4300], err[256];
    struct store_obs_query q = {0};
    long rows, current;
    struct import *im = NULL;
    FILE *in, *out;

    assert_non_null(text);
    len += (size_t)sprintf(text + len, "unit,indicator,period,value\n");
    for (int u = 1; u <= 2; u++)
        for (int y = 2000; y < 2000 + 40000 / 12 + 1; y++)
            for (int m = 1; m <= 12; m++)
                len += (size_t)sprintf(text + len, "p%d,revenue,%d-%02d,%d\n", u, y, m, m);
    /* line 2 is p1 2000-01; line 1 + 40008 + 5 is p2 2000-05 */
    len += (size_t)sprintf(text + len, "p1,revenue,2000-01,99\np2,revenue,2000-05,98\n");
    assert_int_equal(import_texts(f, s, "big.csv", text, (const char *)NULL), 0);
    assert_int_equal(s[0].n_read, 2 * 40008 + 2);
    assert_int_equal(s[0].n_stored, 2 * 40008);
    assert_int_equal(s[0].n_rejected, 2);
    assert_int_equal(s[0].counts.n_new, 2 * 40008);
    assert_int_equal(store_rejects(f->st, 0, NULL, collect_rej, &rj), 0);
    assert_int_equal(rj.n, 2);
    assert_int_equal(rj.r[0].position, 2 + 2 * 40008);
    assert_string_equal(rj.r[0].reason, "duplicate of line 2");
    assert_string_equal(rj.r[0].raw, "p1,revenue,2000-01,99");
    assert_int_equal(rj.r[1].position, 3 + 2 * 40008);
    assert_string_equal(rj.r[1].reason, "duplicate of line 40014");
    q.unit = "p1", q.indicator = "revenue", q.from = "2000-01", q.to = "2000-01";
    r.n = 0;
    assert_int_equal(store_observations(f->st, &q, collect_obs, &r), 0);
    assert_int_equal(r.n, 1);
    assert_obs(&r.o[0], "p1", "revenue", "2000-01", 1); /* the first value stays */
    assert_int_equal(store_count_observations(f->st, &rows, &current), 0);
    assert_int_equal(rows, 2 * 40008);

    /* the same bytes through a pipe, into a new store */
    ts_tmpdir(dir, sizeof(dir), "import-pipe");
    snprintf(path, sizeof(path), "%s/big.csv", dir);
    assert_non_null(out = fopen(path, "w"));
    fwrite(text, 1, len, out);
    fclose(out);
    snprintf(cmd, sizeof(cmd), "cat '%s'", path);
    store_close(&f->st);
    assert_int_equal(store_open(&f->st, ":memory:", 0, err, sizeof(err)), 0);
    assert_int_equal(import_new(&im, f->st, f->cfg), 0);
    import_set_messages(im, NULL, 0);
    assert_non_null(in = popen(cmd, "r"));
    assert_int_equal(import_stream(im, in, "pipe.csv", s), 0);
    pclose(in);
    import_free(&im);
    assert_int_equal(s[0].n_stored, 2 * 40008);
    memset(&rj, 0, sizeof(rj));
    assert_int_equal(store_rejects(f->st, 0, NULL, collect_rej, &rj), 0);
    assert_int_equal(rj.n, 2);
    assert_string_equal(rj.r[0].reason, "duplicate of an earlier line");
    ts_rmtree(dir);
    free(text);
}

static void test_import_unterminated_quote_at_end(void **state)
{
    struct fixture *f = *state;
    struct import_summary s[1];

    assert_int_equal(import_texts(f, s, "q.csv",
                                  "unit,indicator,period,value\r\n"
                                  "p1,revenue,2023-01,1\r\n"
                                  "p1,revenue,2023-02,\"2\r\n"
                                  "p1,revenue,2023-03,3\r\n",
                                  (const char *)NULL),
                     0);
    assert_int_equal(s[0].n_read, 2);
    assert_int_equal(s[0].n_stored, 1);
    assert_string_equal(f->msgs, "q.csv:3: unterminated quoted field\n");
}

/* Records are fed in 64 KiB chunks: line numbers must hold across them. */
static void test_import_line_numbers_across_chunks(void **state)
{
    struct fixture *f = *state;
    struct import_summary s[1];
    struct rejects rj = {0};
    size_t cap = 1 << 21, len = 0;
    char *text = malloc(cap);

    assert_non_null(text);
    len += (size_t)sprintf(text + len, "unit,indicator,period,value\r\n");
    for (int y = 2000; y < 2400; y++)
        for (int m = 1; m <= 12; m++)
            len += (size_t)sprintf(text + len, "%s,revenue,%d-%02d,%d.5\r\n",
                                   y == 2300 && m == 7 ? "px" : "p1", y, m, m);
    assert_int_equal(import_texts(f, s, "big.csv", text, (const char *)NULL), 0);
    assert_int_equal(s[0].n_read, 4800);
    assert_int_equal(s[0].n_stored, 4799);
    assert_int_equal(store_rejects(f->st, 0, NULL, collect_rej, &rj), 0);
    assert_int_equal(rj.n, 1);
    /* header + 300 years * 12 + 7 months */
    assert_int_equal(rj.r[0].position, 1 + 300 * 12 + 7);
    assert_string_equal(rj.r[0].raw, "px,revenue,2300-07,7.5");
    free(text);
}

/* A record over CSVREAD_RECORD_MAX (here an unclosed quote swallowing the
 * file) is one reject; reading resumes at the next line. */
static void test_import_overlong_record_resumes_at_next_line(void **state)
{
    struct fixture *f = *state;
    struct import_summary s[1];
    struct rejects rj = {0};
    struct rows r;
    size_t len = 0;
    char *text = malloc(200000);

    assert_non_null(text);
    len += (size_t)sprintf(text + len, "unit,indicator,period,value\np1,revenue,2023-01,\"");
    memset(text + len, 'x', 100000);
    len += 100000;
    sprintf(text + len, "\np1,revenue,2023-02,2\n");
    assert_int_equal(import_texts(f, s, "long.csv", text, (const char *)NULL), 0);
    assert_int_equal(s[0].n_read, 2);
    assert_int_equal(s[0].n_rejected, 1);
    assert_int_equal(store_rejects(f->st, 0, NULL, collect_rej, &rj), 0);
    assert_int_equal(rj.r[0].position, 2);
    assert_string_equal(rj.r[0].reason, "record longer than 65536 bytes");
    query(f, 0, &r);
    assert_int_equal(r.n, 1);
    assert_obs(&r.o[0], "p1", "revenue", "2023-02", 2);
    free(text);
}

/* store_ingest_part(), the import's chunk writer, only works inside a unit
 * of work, and what it stored goes with that unit's rollback. */
static void test_ingest_part_needs_and_follows_a_unit_of_work(void **state)
{
    struct fixture *f = *state;
    struct import_summary s[1];
    struct store_counts c = {0};
    struct store_obs o = {0};
    long rows, current;

    assert_int_equal(import_texts(f, s, "a.csv", base_csv, (const char *)NULL), 0);
    o.unit_id = store_unit_id(f->st, "p1", 2);
    o.indicator_id = store_indicator_id(f->st, "revenue", 7);
    assert_int_equal(period_parse_str(&o.period, "2024-05"), 0);
    o.value = 5;
    assert_int_equal(store_ingest_part(f->st, 0, 1, &o, 1, NULL, 0, &c), -EINVAL);
    assert_int_equal(store_begin(f->st), 0);
    assert_int_equal(store_ingest_part(f->st, 0, 1, &o, 1, NULL, 0, &c), 0);
    assert_int_equal(c.n_new, 1);
    store_rollback(f->st);
    assert_int_equal(store_count_observations(f->st, &rows, &current), 0);
    assert_int_equal(rows, 3); /* base_csv's rows only */
}

static void test_import_unreadable_file(void **state)
{
    struct fixture *f = *state;
    struct import_summary s;

    assert_int_equal(import_path(f, "/nonexistent/x.csv", &s), -ENOENT);
    assert_string_equal(f->msgs, "/nonexistent/x.csv: No such file or directory\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_import_bom_crlf_quotes_reordered_columns, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_import_rejects_each_bad_row_with_its_line, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_import_missing_column_is_an_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_header_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_reimport_adds_nothing_and_change_revises, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_import_duplicate_in_an_earlier_file_of_the_command,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_duplicate_in_an_earlier_stream, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_import_duplicates_across_chunks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_unterminated_quote_at_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_line_numbers_across_chunks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_overlong_record_resumes_at_next_line, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ingest_part_needs_and_follows_a_unit_of_work, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_import_unreadable_file, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
