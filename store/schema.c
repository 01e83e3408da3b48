/*
 * schema.c - the database schema and its forward migrations.
 *
 * The schema version is PRAGMA user_version. migrations[i] brings version i to
 * i + 1; each runs in its own transaction together with the version bump, so a
 * crash leaves the database at a whole version. A database newer than this
 * build is refused, never downgraded.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "store/store_priv.h"

/*
 * Version 1.
 *
 * unit        the unit hierarchy (parks and their groupings); attributes is a
 *             JSON object of strings or NULL. Rows are never deleted, so the
 *             history of a unit the config dropped stays readable.
 * indicator   what is measured; frequency "M"/"Q"/"H"/"Y", kind
 *             "flow"/"stock"/"rate", formula for derived indicators,
 *             numerator/denominator/scale for rates (roll-up is
 *             sum(numerator) / sum(denominator) * scale).
 * run         one ingest of one source (and period): outcome and counts.
 * observation values with two time axes: period (what the value is about) and
 *             [valid_from, valid_to) in us (when it was the published value).
 *             valid_to IS NULL marks the current value; the partial unique
 *             index obs_current guarantees at most one per key and is the
 *             conflict target of the ingest fast path.
 * reject      records that failed validation, with their raw text.
 * result, contribution
 *             composite index scores and per-indicator contributions
 *             (replaced by version 3).
 * recompute   (index, period) pairs whose results are stale.
 */
static const char migration_1[] =
    "CREATE TABLE unit("
    " id INTEGER PRIMARY KEY,"
    " code TEXT UNIQUE NOT NULL,"
    " name TEXT NOT NULL,"
    " parent_id INTEGER REFERENCES unit(id),"
    " attributes TEXT);"
    "CREATE TABLE indicator("
    " id INTEGER PRIMARY KEY,"
    " code TEXT UNIQUE NOT NULL,"
    " name TEXT NOT NULL,"
    " measure TEXT,"
    " frequency TEXT,"
    " kind TEXT,"
    " cumulative INTEGER NOT NULL DEFAULT 0,"
    " direction INTEGER NOT NULL DEFAULT 1,"
    " decimals INTEGER NOT NULL DEFAULT 2,"
    " formula TEXT,"
    " numerator TEXT,"
    " denominator TEXT,"
    " scale REAL);"
    "CREATE TABLE run("
    " id INTEGER PRIMARY KEY,"
    " source TEXT NOT NULL,"
    " period TEXT,"
    " started_at INTEGER NOT NULL,"
    " ended_at INTEGER,"
    " outcome TEXT,"
    " n_new INTEGER, n_revised INTEGER, n_unchanged INTEGER, n_rejected INTEGER,"
    " http_status INTEGER,"
    " bytes INTEGER,"
    " error TEXT);"
    "CREATE INDEX run_source ON run(source, started_at);"
    "CREATE TABLE observation("
    " unit_id INTEGER NOT NULL REFERENCES unit(id),"
    " indicator_id INTEGER NOT NULL REFERENCES indicator(id),"
    " period TEXT NOT NULL,"
    " value REAL NOT NULL,"
    " valid_from INTEGER NOT NULL,"
    " valid_to INTEGER,"
    " run_id INTEGER REFERENCES run(id),"
    " PRIMARY KEY(unit_id, indicator_id, period, valid_from)) WITHOUT ROWID;"
    "CREATE UNIQUE INDEX obs_current ON observation(unit_id, indicator_id, period)"
    " WHERE valid_to IS NULL;"
    "CREATE TABLE reject("
    " id INTEGER PRIMARY KEY,"
    " run_id INTEGER NOT NULL REFERENCES run(id),"
    " position INTEGER,"
    " raw TEXT,"
    " reason TEXT NOT NULL);"
    "CREATE INDEX reject_run ON reject(run_id);"
    "CREATE TABLE result("
    " index_id TEXT NOT NULL,"
    " node TEXT NOT NULL,"
    " unit_id INTEGER NOT NULL REFERENCES unit(id),"
    " period TEXT NOT NULL,"
    " score REAL,"
    " rank INTEGER,"
    " rank_change INTEGER,"
    " flags INTEGER,"
    " computed_at INTEGER,"
    " PRIMARY KEY(index_id, node, unit_id, period));"
    "CREATE TABLE contribution("
    " index_id TEXT NOT NULL,"
    " unit_id INTEGER NOT NULL REFERENCES unit(id),"
    " period TEXT NOT NULL,"
    " indicator TEXT NOT NULL,"
    " contribution REAL,"
    " PRIMARY KEY(index_id, unit_id, period, indicator));"
    "CREATE TABLE recompute("
    " index_id TEXT NOT NULL,"
    " period TEXT NOT NULL,"
    " PRIMARY KEY(index_id, period));";

/*
 * Version 2: collector bookkeeping.
 *
 * pull_state     per source and period: last attempt and last success (us), and
 *                whether the last attempt found it (partly) unpublished; the
 *                scheduler's persisted memory (like systemd's Persistent=).
 * validator      ETag / Last-Modified of the last response per source, period
 *                and unit ("" for a whole-source request), for conditional GET.
 * source_health  one row per source: last attempt and success, consecutive
 *                failures, last outcome, HTTP status, error, duration, bytes
 *                and record counts.
 */
static const char migration_2[] =
    "CREATE TABLE pull_state("
    " source TEXT NOT NULL,"
    " period TEXT NOT NULL,"
    " last_attempt INTEGER,"
    " last_success INTEGER,"
    " not_published INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(source, period)) WITHOUT ROWID;"
    "CREATE TABLE validator("
    " source TEXT NOT NULL,"
    " period TEXT NOT NULL,"
    " unit TEXT NOT NULL,"
    " etag TEXT,"
    " last_modified TEXT,"
    " PRIMARY KEY(source, period, unit)) WITHOUT ROWID;"
    "CREATE TABLE source_health("
    " source TEXT PRIMARY KEY,"
    " last_attempt INTEGER,"
    " last_success INTEGER,"
    " consecutive_failures INTEGER NOT NULL DEFAULT 0,"
    " last_outcome TEXT,"
    " last_status INTEGER,"
    " last_error TEXT,"
    " last_duration REAL,"
    " last_bytes INTEGER,"
    " n_new INTEGER, n_revised INTEGER, n_unchanged INTEGER, n_rejected INTEGER);"
    "CREATE INDEX run_source_period ON run(source, period);";

/* The columns of table result since version 3 (its key changed in 4). */
#define RESULT_COLUMNS                                                                             \
    " index_id TEXT NOT NULL,"                                                                     \
    " period TEXT NOT NULL,"                                                                       \
    " unit_id INTEGER NOT NULL,"                                                                   \
    " score REAL,"                                                                                 \
    " rank INTEGER,"                                                                               \
    " rank_change INTEGER,"                                                                        \
    " flags INTEGER NOT NULL DEFAULT 0,"                                                           \
    " nodes BLOB,"                                                                                 \
    " contribs BLOB,"                                                                              \
    " computed_at INTEGER,"

/*
 * Version 3: one result row per (index, period, unit) instead of one per node
 * and one per contribution (docs/INDICES.md, "Stored results").
 *
 * result        the total's score, rank, rank change and flags in columns (so
 *               SQL can filter and sort them), the dimensions' score, rank,
 *               rank change and flags in the nodes blob and the contributions
 *               of the leaves in the contribs blob: little-endian IEEE
 *               doubles, NaN for none; a NULL blob holds no rows. Period
 *               before unit in the key: the API reads one period at a time.
 * index_layout  which node or leaf id each blob position holds, per index
 *               (kind 'node': position i is doubles 4i .. 4i + 3 of nodes;
 *               kind 'leaf': double i of contribs).
 * Results are derived data: the old tables are dropped and the config hashes
 * forgotten, so the next recompute of every index is a full one.
 */
static const char migration_3[] =
    "DROP TABLE result;"
    "DROP TABLE contribution;"
    "CREATE TABLE result(" RESULT_COLUMNS " PRIMARY KEY(index_id, period, unit_id)) WITHOUT ROWID;"
    "CREATE TABLE index_layout("
    " index_id TEXT NOT NULL,"
    " kind TEXT NOT NULL CHECK(kind IN ('node', 'leaf')),"
    " pos INTEGER NOT NULL,"
    " id TEXT NOT NULL,"
    " PRIMARY KEY(index_id, kind, pos)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS index_state("
    " index_id TEXT PRIMARY KEY,"
    " config_hash TEXT NOT NULL,"
    " computed_at INTEGER);"
    "DELETE FROM index_state;";

/*
 * Version 4: the column copy of current observations (columns.c).
 *
 * obs_column   per indicator and period: n, the unit ids (ascending) and the
 *              current values as blobs of n little-endian int64 / doubles.
 * obs_touched  units with current values newer than their columns; every
 *              unit that has data now, so the first reader builds the copy.
 * result       the same columns, as a rowid table with a unique key instead
 *              of WITHOUT ROWID: rows of 400+ bytes appended in key order
 *              split pages more cheaply at the end of a rowid table (a full
 *              recompute writes 120 000 of them at the enterprise scale).
 *              Results are derived data: dropped, hashes forgotten.
 */
static const char migration_4[] =
    "CREATE TABLE obs_column("
    " id INTEGER PRIMARY KEY,"
    " indicator_id INTEGER NOT NULL,"
    " period TEXT NOT NULL,"
    " n INTEGER NOT NULL,"
    " units BLOB NOT NULL,"
    " vals BLOB NOT NULL,"
    " UNIQUE(indicator_id, period));"
    "CREATE TABLE obs_touched(unit_id INTEGER PRIMARY KEY);"
    "INSERT INTO obs_touched(unit_id) SELECT DISTINCT unit_id FROM observation;"
    "DROP TABLE result;"
    "CREATE TABLE result(" RESULT_COLUMNS " UNIQUE(index_id, period, unit_id));"
    "DELETE FROM index_state;";

/*
 * Version 5: run.pid, the process that began a run (store_run_begin). A run
 * still open at a start whose process is gone was left by a crash and is
 * closed as 'interrupted' (store_runs_interrupt).
 */
static const char migration_5[] = "ALTER TABLE run ADD COLUMN pid INTEGER;";

/*
 * Version 6: index_weight, the derived weights (docs/INDICES.md, "Derived
 * weights") an index used per period: the weight of child among the children
 * of node, with COMPUTE_FLAG_WEIGHTS_FALLBACK in flags when the method gave
 * none and the configured weight was used. Rows in tree order (rowid).
 */
static const char migration_6[] = "CREATE TABLE index_weight("
                                  " index_id TEXT NOT NULL,"
                                  " period TEXT NOT NULL,"
                                  " node TEXT NOT NULL,"
                                  " child TEXT NOT NULL,"
                                  " weight REAL,"
                                  " flags INTEGER NOT NULL DEFAULT 0,"
                                  " UNIQUE(index_id, period, node, child));";

/*
 * Version 7: check_violation, the findings of the consistency checks
 * (store/checks.h): the check's id and rule, unit and indicator codes,
 * period, the value and what it was held against, the reason, the action and
 * the vintage (valid_from) of the observation; replaced by each recompute.
 */
static const char migration_7[] = "CREATE TABLE check_violation("
                                  " id INTEGER PRIMARY KEY,"
                                  " check_id TEXT NOT NULL,"
                                  " rule TEXT NOT NULL,"
                                  " unit TEXT NOT NULL,"
                                  " indicator TEXT NOT NULL,"
                                  " period TEXT NOT NULL,"
                                  " value REAL,"
                                  " expected REAL,"
                                  " detail TEXT NOT NULL,"
                                  " action TEXT NOT NULL,"
                                  " valid_from INTEGER,"
                                  " found_at INTEGER NOT NULL);";

/*
 * Version 8: check_violation.run_id, the run of the observation a flag is
 * about or the run that refused the record, and an index on (check_id, unit,
 * period): an ingest replaces the flags of the places it evaluated
 * (store/checks.h).
 */
static const char migration_8[] =
    "ALTER TABLE check_violation ADD COLUMN run_id INTEGER;"
    "CREATE INDEX check_violation_place ON check_violation(check_id, unit, period);";

/*
 * Version 9: series_components, the components a source's mapping leaves
 * out (SDMX dimensions neither unit, indicator, period nor a one-code
 * filter: "SEX=M\x1fUNIT_MEASURE=PS\x1f") of each (unit, indicator) it
 * stored, so that a later pull's series that differs in one is refused
 * rather than taken as a revision (store/components.h).
 */
static const char migration_9[] = "CREATE TABLE series_components("
                                  " source TEXT NOT NULL,"
                                  " unit_id INTEGER NOT NULL REFERENCES unit(id),"
                                  " indicator_id INTEGER NOT NULL REFERENCES indicator(id),"
                                  " components TEXT NOT NULL,"
                                  " PRIMARY KEY(source, unit_id, indicator_id)) WITHOUT ROWID;";

/*
 * Version 10: observations that are missing or carry a status, with every
 * vintage (docs/ARCHITECTURE.md, "Store").
 *
 * observation  rebuilt (SQLite cannot drop NOT NULL in place) with value
 *              nullable, NULL when the source said "no value" (never 0), and
 *              status, the published status code as given ("p", "e", "B";
 *              NULL for none). Every row is copied as it was: the same key,
 *              vintages, run and value, no status. Same WITHOUT ROWID key
 *              and partial unique index obs_current. No table refers to
 *              observation, so the copy, drop and rename keep every foreign
 *              key; the column copy holds the same values and stays valid.
 */
static const char migration_10[] =
    "CREATE TABLE observation_v10("
    " unit_id INTEGER NOT NULL REFERENCES unit(id),"
    " indicator_id INTEGER NOT NULL REFERENCES indicator(id),"
    " period TEXT NOT NULL,"
    " value REAL,"
    " valid_from INTEGER NOT NULL,"
    " valid_to INTEGER,"
    " run_id INTEGER REFERENCES run(id),"
    " status TEXT,"
    " PRIMARY KEY(unit_id, indicator_id, period, valid_from)) WITHOUT ROWID;"
    "INSERT INTO observation_v10(unit_id, indicator_id, period, value, valid_from, valid_to,"
    " run_id) SELECT unit_id, indicator_id, period, value, valid_from, valid_to, run_id"
    " FROM observation ORDER BY unit_id, indicator_id, period, valid_from;"
    "DROP TABLE observation;"
    "ALTER TABLE observation_v10 RENAME TO observation;"
    "CREATE UNIQUE INDEX obs_current ON observation(unit_id, indicator_id, period)"
    " WHERE valid_to IS NULL;";

/*
 * Version 11: index result_rank, the order of a ranking page (rank, unranked
 * last) within an index's period, so a page of 100 reads about 100 rows of
 * the result table instead of every unit's and a sort (200,000 at the
 * national scale). Ties of rank are sorted by unit code among themselves.
 */
static const char migration_11[] =
    "CREATE INDEX result_rank ON result(index_id, period, rank IS NULL, coalesce(rank, 0));";

/*
 * Version 12: observations that cost what they must at ingest (issue 15,
 * docs/ARCHITECTURE.md "Store").
 *
 * observation  rebuilt with the same columns, key and rows, without the
 *              partial unique index obs_current and without foreign keys:
 *              every ingest paid a second B-tree (as large as the table)
 *              and three look-ups per row for them. The rows of one key stay
 *              clustered in key order (unit, indicator, period, valid_from),
 *              the way a series is read: a key never revised has one row, a
 *              revision or withdrawal adds one. The current row of a key
 *              (valid_to IS NULL, at most one) is found on the primary key
 *              by store_ingest, the one writer, which also checks per batch
 *              that its unit, indicator and run exist (units, indicators
 *              and runs are never deleted). Every row is copied as it was.
 */
static const char migration_12[] =
    "CREATE TABLE observation_v12("
    " unit_id INTEGER NOT NULL,"
    " indicator_id INTEGER NOT NULL,"
    " period TEXT NOT NULL,"
    " value REAL,"
    " valid_from INTEGER NOT NULL,"
    " valid_to INTEGER,"
    " run_id INTEGER,"
    " status TEXT,"
    " PRIMARY KEY(unit_id, indicator_id, period, valid_from)) WITHOUT ROWID;"
    "INSERT INTO observation_v12(unit_id, indicator_id, period, value, valid_from, valid_to,"
    " run_id, status) SELECT unit_id, indicator_id, period, value, valid_from, valid_to, run_id,"
    " status FROM observation ORDER BY unit_id, indicator_id, period, valid_from;"
    "DROP TABLE observation;"
    "ALTER TABLE observation_v12 RENAME TO observation;";

/*
 * Version 13: the time of a result is kept per (index, period), no longer per
 * row, so a recompute writes only the rows whose content changed (issue 15,
 * docs/INDICES.md "Stored results").
 *
 * result_period  per index and period: when its results were last computed
 *                (microseconds since the epoch), written once per period a
 *                recompute writes. Filled from the rows' latest time.
 * result.computed_at stays in place, no longer written nor read: dropping it
 * would rebuild every result row (14 M at the national scale).
 */
static const char migration_13[] =
    "CREATE TABLE result_period("
    " index_id TEXT NOT NULL,"
    " period TEXT NOT NULL,"
    " computed_at INTEGER NOT NULL,"
    " PRIMARY KEY(index_id, period)) WITHOUT ROWID;"
    "INSERT INTO result_period(index_id, period, computed_at)"
    " SELECT index_id, period, coalesce(max(computed_at), 0) FROM result"
    " GROUP BY index_id, period;";

/*
 * Version 14: index result_rank covers a ranking page (issue 15 part 5,
 * docs/BENCHMARKS.md "p99 with a different URI per request at 200k"): the
 * same order, then each row's unit id, score, rank, rank change and flags,
 * so a page of 100 reads a few consecutive index pages instead of 100 result
 * rows scattered over the table (one index entry grows by about 20 bytes).
 */
static const char migration_14[] =
    "DROP INDEX result_rank;"
    "CREATE INDEX result_rank ON result(index_id, period, rank IS NULL, coalesce(rank, 0),"
    " unit_id, score, rank, rank_change, flags);";

/*
 * Version 15: index result_rank back to the ranking order alone (version
 * 11's). Covering a ranking page put each row's score in the index, so an
 * incremental recompute after a revision that moves every score of a month
 * (a new maximum of a min-max dimension: 200 000 rows at national scale)
 * moved 200 000 index entries too: 4.0-4.4 s instead of 1.6-2.0 s on a quiet
 * machine, against the goal of 2 s, while the ranking page's p99 stayed under
 * 5 ms without it (docs/BENCHMARKS.md, "The covering rank index undone").
 */
static const char migration_15[] =
    "DROP INDEX result_rank;"
    "CREATE INDEX result_rank ON result(index_id, period, rank IS NULL, coalesce(rank, 0));";

/*
 * Version 16: result_ranking, each (index, period)'s ranking in its own
 * compact form instead of the index result_rank (docs/INDICES.md, "Stored
 * results"; docs/BENCHMARKS.md, "A ranking kept in rank order"). The rows'
 * keys in rank order (unranked last, rank, unit code) cut in chunks of up
 * to STORE_RANKING_CHUNK entries: per chunk its first entry's key and the
 * entries, packed (results.c). A recompute writes a period's chunks once,
 * after its rows, instead of moving an index entry for every row whose rank
 * is new: 2.4 M random inserts at 200 000 units, half of a first full
 * recompute. A ranking page reads one or two chunks and the units' names.
 * The chunks of the results kept are built from their rows in the same
 * transaction (store_results_rankings_build(), apply_one()).
 */
static const char migration_16[] =
    "DROP INDEX result_rank;"
    "CREATE TABLE result_ranking("
    " index_id TEXT NOT NULL,"
    " period TEXT NOT NULL,"
    " unranked INTEGER NOT NULL,"
    " rank INTEGER NOT NULL,"
    " code TEXT NOT NULL,"
    " n INTEGER NOT NULL,"
    " entries BLOB NOT NULL,"
    " PRIMARY KEY(index_id, period, unranked, rank, code)) WITHOUT ROWID;";

static const char *const migrations[STORE_SCHEMA_VERSION] = {
    migration_1,  migration_2,  migration_3,  migration_4,  migration_5,  migration_6,
    migration_7,  migration_8,  migration_9,  migration_10, migration_11, migration_12,
    migration_13, migration_14, migration_15, migration_16,
};

static int read_version(sqlite3 *db, int *version)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        *version = sqlite3_column_int(s, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(s);
    return rc == SQLITE_OK ? 0 : -EIO;
}

/* Applies migration from (to from + 1) in one transaction. The version is read
 * again inside the write lock: another process may have migrated meanwhile. */
static int apply_one(sqlite3 *db, int from, char *errbuf, size_t errsize)
{
    char bump[48];
    int version = -1;
    int rc = -EIO;

    if (from < 0 || from >= STORE_SCHEMA_VERSION)
        return -EINVAL;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        goto out;
    if (read_version(db, &version) < 0)
        goto out;
    if (version != from) {
        rc = 0; /* done by someone else */
        goto out;
    }
    /* PRAGMA takes no bound parameters; the number is ours, not input. */
    snprintf(bump, sizeof(bump), "PRAGMA user_version = %d", from + 1);
    if (sqlite3_exec(db, migrations[from], NULL, NULL, NULL) != SQLITE_OK)
        goto out;
    if (from + 1 == 16 && (rc = store_results_rankings_build(db, errbuf, errsize)) < 0)
        goto out;
    rc = -EIO;
    if (sqlite3_exec(db, bump, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        goto out;
    log_info("store: database schema migrated to version %d", from + 1);
    return 0;
out:
    if (rc < 0 && (sqlite3_errcode(db) == SQLITE_FULL || sqlite3_system_errno(db) == ENOSPC))
        rc = -ENOSPC; /* before the rollback resets the error */
    if (rc == -EIO)
        snprintf(errbuf, errsize, "schema migration %d -> %d failed: %s", from, from + 1,
                 sqlite3_errmsg(db));
    if (!sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* PRAGMA name's one integer, or -1. */
static int64_t pragma_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

/* After a migration: a migration that rebuilt a table leaves the old one's
 * pages free in the file (schema 12: about a gigabyte at 200,000 units), so
 * say how much and how to give it back when it is a fair share of the file. */
static void tell_free_pages(sqlite3 *db)
{
    int64_t size = pragma_int(db, "PRAGMA page_size");
    int64_t pages = pragma_int(db, "PRAGMA page_count");
    int64_t free_pages = pragma_int(db, "PRAGMA freelist_count");
    const char *path = sqlite3_db_filename(db, "main");

    if (size <= 0 || pages <= 0 || free_pages <= 0 || free_pages * size < (16 << 20) ||
        free_pages * 5 < pages)
        return;
    log_warning("store: %s: %.0f MB of the file's %.0f MB are free after the migration; "
                "`parkstat vacuum --db %s` gives them back",
                path && *path ? path : "database", (double)(free_pages * size) / 1e6,
                (double)(pages * size) / 1e6, path && *path ? path : "DB");
}

/* Migrates db forward one version per transaction (contract in store_priv.h). */
int store_schema_migrate(sqlite3 *db, int readonly, char *errbuf, size_t errsize)
{
    int version = -1;

    if (read_version(db, &version) < 0) {
        snprintf(errbuf, errsize, "cannot read schema version: %s", sqlite3_errmsg(db));
        return -EIO;
    }
    if (version > STORE_SCHEMA_VERSION) {
        snprintf(errbuf, errsize,
                 "database schema version %d is newer than this parkstat (supports %d)", version,
                 STORE_SCHEMA_VERSION);
        return -EPROTO;
    }
    if (version < STORE_SCHEMA_VERSION && readonly) {
        snprintf(errbuf, errsize,
                 "database schema version %d needs migration to %d; "
                 "open it read-write once (e.g. run parkstat without read-only)",
                 version, STORE_SCHEMA_VERSION);
        return -EROFS;
    }
    for (int v = version; v < STORE_SCHEMA_VERSION; v++) {
        int rc = apply_one(db, v, errbuf, errsize);
        if (rc < 0)
            return rc;
    }
    if (version > 0 && version < STORE_SCHEMA_VERSION)
        tell_free_pages(db);
    return 0;
}
