/*
 * maint.c - the database file's own upkeep: how much of it is free pages,
 * and giving them back (VACUUM). Rows deleted, or a migration that rebuilds a
 * table (schema 12 copies every observation), leave free pages in the file;
 * later rows reuse them, but the file does not shrink by itself.
 */
#include <errno.h>

#include "store/store_priv.h"

int store_space(struct store *st, struct store_space *sp)
{
    static const char q_size[] = "PRAGMA page_size";
    static const char q_count[] = "PRAGMA page_count";
    static const char q_free[] = "PRAGMA freelist_count";
    int rc;

    if ((rc = store_one_int(st, q_size, "page_size", &sp->page_size)) < 0 ||
        (rc = store_one_int(st, q_count, "page_count", &sp->pages)) < 0 ||
        (rc = store_one_int(st, q_free, "freelist_count", &sp->free_pages)) < 0)
        return rc;
    return 0;
}

int store_vacuum(struct store *st)
{
    if (st->readonly)
        return -EROFS;
    /* The store keeps temporary files in memory (store.c): VACUUM's copy of
     * the whole database would then be held whole. */
    if (sqlite3_exec(st->db, "PRAGMA temp_store=FILE", NULL, NULL, NULL) != SQLITE_OK)
        return store_fail(st, "vacuum");
    if (sqlite3_exec(st->db, "VACUUM", NULL, NULL, NULL) != SQLITE_OK) {
        int full = sqlite3_errcode(st->db) == SQLITE_FULL;
        int rc = store_fail(st, "vacuum");
        sqlite3_exec(st->db, "PRAGMA temp_store=MEMORY", NULL, NULL, NULL);
        return full ? -ENOSPC : rc;
    }
    sqlite3_exec(st->db, "PRAGMA temp_store=MEMORY", NULL, NULL, NULL);
    if (sqlite3_exec(st->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL) != SQLITE_OK)
        return store_fail(st, "checkpoint after vacuum");
    return 0;
}
