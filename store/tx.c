/*
 * tx.c - units of work a caller groups several store calls into.
 *
 * store_begin()..store_commit() is a savepoint: on its own it is a
 * transaction, and inside a group (store_group_begin()..store_group_commit())
 * it nests, so a collector can store many pulls in one commit while each pull
 * stays all or nothing. store_ingest() nests in either as a savepoint too.
 */
#include <errno.h>
#include <string.h>

#include "store/store_priv.h"

static int run(struct store *st, const char *sql)
{
    return sqlite3_exec(st->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : store_fail(st, sql);
}

int store_begin(struct store *st)
{
    return run(st, "SAVEPOINT work");
}

int store_commit(struct store *st)
{
    int rc = run(st, "RELEASE work");
    if (rc < 0)
        store_rollback(st);
    return rc;
}

void store_rollback(struct store *st)
{
    char err[sizeof(st->err)];
    memcpy(err, st->err, sizeof(err)); /* keep the first error's text */
    if (!sqlite3_get_autocommit(st->db) &&
        sqlite3_exec(st->db, "ROLLBACK TO work", NULL, NULL, NULL) == SQLITE_OK)
        sqlite3_exec(st->db, "RELEASE work", NULL, NULL, NULL);
    memcpy(st->err, err, sizeof(err));
}

int store_group_begin(struct store *st)
{
    return store_tx_begin(st);
}

int store_group_commit(struct store *st)
{
    int rc = store_tx_commit(st);
    if (rc < 0)
        store_tx_rollback(st);
    return rc;
}

void store_nowait(struct store *st, int nowait)
{
    st->nowait = nowait;
    sqlite3_busy_timeout(st->db, nowait ? 0 : STORE_BUSY_MS);
}
