/*
 * test_support.h - helpers every cmocka test links (tests/support/): a
 * tolerance check of doubles, temporary directories that are removed whole,
 * paths under the test data folder, whole-file reads, and the third-party
 * reference data that is not in the tree. Helpers that cannot go on fail the
 * running cmocka test themselves instead of returning an error.
 */
#ifndef PARKSTAT_TESTS_TEST_SUPPORT_H
#define PARKSTAT_TESTS_TEST_SUPPORT_H

/* cmocka.h needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>

/* Fails the test unless |a - b| <= eps, printing both doubles in full
 * (cmocka's assert_float_equal compares floats). */
#define assert_near(a, b, eps)                                                                     \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(fabs(a_ - b_) <= (eps)))                                                             \
            fail_msg("%.15g != %.15g (+- %g)", a_, b_, (double)(eps));                             \
    } while (0)

/* Exit status of a test program that cannot run here: ctest reports it as
 * skipped (SKIP_RETURN_CODE in tests/CMakeLists.txt). */
#define TS_SKIP 77

/* Number of elements of an array. */
#define TS_N(a) (sizeof(a) / sizeof((a)[0]))

/* Makes a new empty directory "$TMPDIR/<name>.XXXXXX" (TMPDIR defaults to
 * /tmp) and writes its path into dir. Fails the test when it cannot. */
void ts_tmpdir(char *dir, size_t size, const char *name);

/* Removes dir and everything under it, following no symbolic link. Fails
 * the test when something cannot be removed; a missing dir is no error. */
void ts_rmtree(const char *dir);

/* Writes "<dir>/<name>" into out and returns out. Fails the test when it
 * does not fit. */
char *ts_path(char *out, size_t size, const char *dir, const char *name);

/* Writes the path of rel under the test data folder into out and returns out:
 * $PARKSTAT_TEST_DATA when set, else the source tree's tests/data. Fails the
 * test when it does not fit. */
char *ts_data_path(char *out, size_t size, const char *rel);

/* Reads the file at path whole into a NUL-terminated buffer the caller
 * frees; its length goes into *len when len is not NULL. Returns NULL with
 * errno set when the file cannot be read. */
char *ts_read_file(const char *path, size_t *len);

/* Writes the folder of the third-party reference data set name into out and
 * returns out: $PARKSTAT_REFERENCE_DIR/<name> when that is set, else
 * ../shared/reference/<name> next to the source tree (such data is not
 * committed). When the folder is absent, says so on stderr and returns NULL;
 * the caller then exits TS_SKIP. Fails the test when the path does not fit. */
char *ts_reference_dir(char *out, size_t size, const char *name);

/* The first column of sql's first row as a long (-1 when it returns no row),
 * read on a connection of its own to the SQLite database at path. Fails the
 * test when the statement cannot run. */
long ts_sql_long(const char *path, const char *sql);

#endif
