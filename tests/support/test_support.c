/*
 * test_support.c - helpers shared by every cmocka test: see test_support.h
 * for each function's contract.
 */
#define _XOPEN_SOURCE 700 /* nftw() */

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "test_support.h"

#ifndef TS_TEST_DATA_DIR
#define TS_TEST_DATA_DIR "tests/data"
#endif
#ifndef TS_REFERENCE_DIR
#define TS_REFERENCE_DIR "../shared/reference"
#endif

void ts_tmpdir(char *dir, size_t size, const char *name)
{
    const char *tmp = getenv("TMPDIR");
    int n = snprintf(dir, size, "%s/%s.XXXXXX", tmp && *tmp ? tmp : "/tmp", name);

    if (n < 0 || (size_t)n >= size)
        fail_msg("temporary directory name for %s does not fit in %zu bytes", name, size);
    if (!mkdtemp(dir))
        fail_msg("mkdtemp %s: %s", dir, strerror(errno));
}

/* nftw callback: removes one entry, children before their directory. */
static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return (type == FTW_DP ? rmdir(path) : unlink(path)) == 0 ? 0 : errno;
}

void ts_rmtree(const char *dir)
{
    struct stat st;
    int rc;

    if (lstat(dir, &st) != 0 && errno == ENOENT)
        return;
    rc = nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    if (rc != 0)
        fail_msg("removing %s: %s", dir, strerror(rc > 0 ? rc : errno));
}

char *ts_path(char *out, size_t size, const char *dir, const char *name)
{
    int n = snprintf(out, size, "%s/%s", dir, name);

    if (n < 0 || (size_t)n >= size)
        fail_msg("path %s/%s does not fit in %zu bytes", dir, name, size);
    return out;
}

char *ts_data_path(char *out, size_t size, const char *rel)
{
    const char *dir = getenv("PARKSTAT_TEST_DATA");

    return ts_path(out, size, dir && *dir ? dir : TS_TEST_DATA_DIR, rel);
}

char *ts_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL, *grown;
    size_t n = 0, cap = 0, got;
    int err = 0;

    if (!f)
        return NULL;
    do {
        if (cap - n < 4096) {
            cap = cap ? cap * 2 : 65536;
            if (!(grown = realloc(buf, cap + 1))) {
                err = ENOMEM;
                break;
            }
            buf = grown;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    if (!err && ferror(f))
        err = EIO;
    fclose(f);
    if (err) {
        free(buf);
        errno = err;
        return NULL;
    }
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

char *ts_reference_dir(char *out, size_t size, const char *name)
{
    const char *dir = getenv("PARKSTAT_REFERENCE_DIR");
    struct stat st;

    ts_path(out, size, dir && *dir ? dir : TS_REFERENCE_DIR, name);
    if (stat(out, &st) == 0 && S_ISDIR(st.st_mode))
        return out;
    fprintf(stderr,
            "../shared/reference/%s not found: %s (third-party data is not in the tree; "
            "set PARKSTAT_REFERENCE_DIR or check out ../shared); skipping\n",
            name, out);
    return NULL;
}

/* The first column of sql's first row on a connection of its own (see
 * test_support.h). */
long ts_sql_long(const char *path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *s;
    long n = -1;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    if (sqlite3_step(s) == SQLITE_ROW)
        n = (long)sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return n;
}
