/*
 * store.h - the parkstat database: one connection to SQLite in WAL mode, and
 * the transactions its callers group their writes into
 * (docs/ARCHITECTURE.md, "Store").
 *
 * What lives in the database is declared by concept: observations.h (units,
 * indicators and their observed values with every vintage), bookkeeping.h
 * (ingest runs, rejects, pull state, validators, source health), results.h
 * (index results and recompute marks). This header holds what they share.
 *
 * Rules:
 * - One struct store is one connection; use it from one thread at a time
 *   (threads taking turns hold store_lock()).
 * - Every write is all or nothing: each store call that writes is its own
 *   transaction, or nests as a savepoint in the caller's unit of work
 *   (store_begin()) or group (store_group_begin()).
 * - The schema only moves forward (PRAGMA user_version); a database newer
 *   than this build is refused.
 * - Times are microseconds since the Unix epoch (UTC).
 * - Functions return 0 or a negative errno (-EIO for SQLite errors, whose
 *   text store_errmsg() returns).
 */
#ifndef PARKSTAT_STORE_H
#define PARKSTAT_STORE_H

#include <stddef.h>
#include <stdint.h>

struct store;

#define STORE_READONLY 0x1 /* open an existing database read-only */

/* The schema version this build writes (PRAGMA user_version). */
#define STORE_SCHEMA_VERSION 16

/*
 * Opens (creating if needed, unless STORE_READONLY) the database at path, with
 * WAL, foreign keys and a busy timeout, and migrates its schema forward to
 * STORE_SCHEMA_VERSION. A database newer than this build is refused
 * (-EPROTO); a full filesystem is -ENOSPC with a message saying so.
 * ":memory:" works for tests. On error *out is NULL and, when errbuf is not
 * NULL, a message is written there.
 */
int store_open(struct store **out, const char *path, int flags, char *errbuf, size_t errsize);

/* A connection is used by one thread at a time. When threads take turns on
 * one (the daemon's loop and the collector's readers), each holds this lock
 * for every use: a plain mutex, not recursive; no store function takes it. */
void store_lock(struct store *st);
void store_unlock(struct store *st);

/* Closes the connection and sets *sp = NULL. NULL is a harmless no-op. */
void store_close(struct store **sp);

/* WAL pages after which a commit of a connection that defers its
 * checkpoint (store_defer_checkpoint) copies them into the database
 * (SQLite's default threshold: 1000 pages). */
#define STORE_DEFER_CKPT_PAGES 65536

/* On close, leave the WAL to SQLite's automatic checkpoint (in some later
 * commit of another connection, or the next opener's close) instead of
 * checkpointing it, with two fsyncs, and deleting it when this is the last
 * connection — what already happens whenever the daemon holds the database
 * open; and this connection's own commits copy the WAL into the database
 * only once it holds STORE_DEFER_CKPT_PAGES (256 MB of 4 KB pages), not
 * 1000: an incremental recompute at 200 000 units commits about 32 000
 * pages, which the next writer (an import, the daemon) checkpoints. For
 * writers of derived data (a recompute): on power loss they lose at most
 * their last commits, which leave the recompute marks in place, so the next
 * run redoes them. */
void store_defer_checkpoint(struct store *st);

/* The text of the last SQLite error on this connection. */
const char *store_errmsg(const struct store *st);

/* The database's schema version (PRAGMA user_version). */
int store_schema_version(struct store *st);

/*
 * A unit of work: the calls between store_begin() and store_commit() (which
 * rolls back if it fails) or store_rollback() are all or nothing. It is a
 * savepoint, so it nests in a group; on its own it is a transaction.
 * store_ingest() nests in it as a savepoint too. Return 0 or -EIO / -EBUSY.
 */
int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);

/* nowait 1: this connection's statements fail at once with "database is
 * locked" (-EBUSY) instead of waiting the busy timeout (5 s) for another
 * connection's write lock, and neither that nor a full disk is logged; 0
 * restores both. For a thread that must not block and tries again later (the
 * daemon's loop). */
void store_nowait(struct store *st, int nowait);

/*
 * A group: one write transaction (BEGIN IMMEDIATE) around many units of work,
 * committed together by store_group_commit() (rolled back if that fails).
 */
int store_group_begin(struct store *st);
int store_group_commit(struct store *st);

/*
 * A number that changes whenever another connection has committed to the
 * database since this connection last asked (PRAGMA data_version). Cheap: no
 * table is read. Compare successive values of the same connection only.
 */
int store_change_counter(struct store *st, int64_t *out);

/* The database file's pages: their size, how many, and how many are free
 * (left by deleted rows or by a migration that rebuilt a table; later rows
 * reuse them, the file does not shrink). */
struct store_space {
    int64_t page_size, pages, free_pages;
};

/* Fills *sp. Returns 0 or -EIO. */
int store_space(struct store *st, struct store_space *sp);

/*
 * Rewrites the database without its free pages (SQLite's VACUUM, which
 * needs about the database's size again in temporary space and in the WAL)
 * and truncates the WAL. Waits for no one: another connection writing makes
 * it fail with -EBUSY, a full disk with -ENOSPC (the database is then
 * unchanged); -EROFS for a read-only connection.
 */
int store_vacuum(struct store *st);

/* Numbers that change whenever the data the API serves changes: a new run, a
 * run ending, a recompute, a unit or indicator added. */
struct store_data_version {
    int64_t max_run_id, max_run_ended, max_computed_at;
    int64_t n_units, n_indicators;
};

/* Fills *v. Returns 0 or -EIO. */
int store_data_version(struct store *st, struct store_data_version *v);

#endif
