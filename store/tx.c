/*
 * tx.c - transactions a caller groups several store calls into (a pull: its
 * run, its batch, its bookkeeping); store_ingest() nests in one as a
 * savepoint.
 */
#include <errno.h>

#include "store/store_priv.h"

int store_begin(struct store *st)
{
    return store_tx_begin(st);
}

int store_commit(struct store *st)
{
    int rc = store_tx_commit(st);
    if (rc < 0)
        store_tx_rollback(st);
    return rc;
}

void store_rollback(struct store *st)
{
    store_tx_rollback(st);
}
