/*
 * epoch.c - a cheap "has anything changed?" for readers: SQLite's
 * PRAGMA data_version, which changes whenever another connection commits.
 */
#include <errno.h>

#include "store/store_priv.h"

int store_change_counter(struct store *st, int64_t *out)
{
    static const char sql[] = "PRAGMA data_version";
    sqlite3_stmt *s = store_stmt_cached(st, sql);
    int rc;

    if (!s)
        return -EIO;
    if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        *out = sqlite3_column_int64(s, 0);
        rc = 0;
    } else {
        rc = store_fail(st, "data_version");
    }
    sqlite3_reset(s);
    return rc;
}
