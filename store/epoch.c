/*
 * epoch.c - a cheap "has anything changed?" for readers: SQLite's
 * PRAGMA data_version, which changes whenever another connection commits.
 */

#include "store/store_priv.h"

int store_change_counter(struct store *st, int64_t *out)
{
    static const char sql[] = "PRAGMA data_version";
    return store_one_int(st, sql, "data_version", out);
}
