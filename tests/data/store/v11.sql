-- A database written by parkstat's store at schema version 11 (main dd182eb),
-- for the migration test 11 -> 12 (tests/test_store_status.c): store_ingest()
-- and store_delete_obs() of main's libps_store, with fixed clocks, then
-- `sqlite3 v11.db .dump` (which leaves out user_version: set at the end).
--   t=1000000 (run 1) p1 revenue 2023-01 10, 2023-02 11, 2023-03 missing;
--                     p2 revenue 2023-01 20 status p; p1 firms 2023-Q1 3;
--                     p2 firms 2023-Q1 5; p1 gdp 2023 100
--   t=2000000 (run 2) p1 revenue 2023-01 10.5 (revised), 2023-02 11 (unchanged),
--                     2023-03 12 (missing -> value); p2 revenue 2023-01 20 no
--                     status (a status-only revision); p1 firms 2023-Q2 4 (new)
--   t=3000000         withdrawn: p2 firms 2023-Q1; every period of p1 gdp
--   t=4000000 (run 3) p1 revenue 2023-01 10.5 status e; p1 gdp 2023 101 (again
--                     after its withdrawal); p1 revenue 2023-03 missing again
--   t=4000000 (run 4) p2 revenue 2023-01 21
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE unit( id INTEGER PRIMARY KEY, code TEXT UNIQUE NOT NULL, name TEXT NOT NULL, parent_id INTEGER REFERENCES unit(id), attributes TEXT);
INSERT INTO unit VALUES(1,'city','City',NULL,NULL);
INSERT INTO unit VALUES(2,'p1','Park one',1,NULL);
INSERT INTO unit VALUES(3,'p2','Park two',1,NULL);
CREATE TABLE indicator( id INTEGER PRIMARY KEY, code TEXT UNIQUE NOT NULL, name TEXT NOT NULL, measure TEXT, frequency TEXT, kind TEXT, cumulative INTEGER NOT NULL DEFAULT 0, direction INTEGER NOT NULL DEFAULT 1, decimals INTEGER NOT NULL DEFAULT 2, formula TEXT, numerator TEXT, denominator TEXT, scale REAL);
INSERT INTO indicator VALUES(1,'revenue','Revenue',NULL,'M','flow',0,1,2,NULL,NULL,NULL,NULL);
INSERT INTO indicator VALUES(2,'firms','Enterprises',NULL,'Q','stock',0,1,2,NULL,NULL,NULL,NULL);
INSERT INTO indicator VALUES(3,'gdp','GDP',NULL,'Y','flow',0,1,2,NULL,NULL,NULL,NULL);
CREATE TABLE run( id INTEGER PRIMARY KEY, source TEXT NOT NULL, period TEXT, started_at INTEGER NOT NULL, ended_at INTEGER, outcome TEXT, n_new INTEGER, n_revised INTEGER, n_unchanged INTEGER, n_rejected INTEGER, http_status INTEGER, bytes INTEGER, error TEXT, pid INTEGER);
INSERT INTO run VALUES(1,'import:a.csv',NULL,1000000,1000010,'ok',7,0,0,0,NULL,NULL,NULL,25209);
INSERT INTO run VALUES(2,'import:b.csv',NULL,2000000,2000010,'ok',1,3,1,0,NULL,NULL,NULL,25209);
INSERT INTO run VALUES(3,'import:c.csv',NULL,4000000,4000010,'ok',1,2,0,0,NULL,NULL,NULL,25209);
INSERT INTO run VALUES(4,'import:e.csv',NULL,4000000,4000010,'ok',0,1,0,0,NULL,NULL,NULL,25209);
CREATE TABLE reject( id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES run(id), position INTEGER, raw TEXT, reason TEXT NOT NULL);
CREATE TABLE recompute( index_id TEXT NOT NULL, period TEXT NOT NULL, PRIMARY KEY(index_id, period));
CREATE TABLE pull_state( source TEXT NOT NULL, period TEXT NOT NULL, last_attempt INTEGER, last_success INTEGER, not_published INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(source, period)) WITHOUT ROWID;
CREATE TABLE validator( source TEXT NOT NULL, period TEXT NOT NULL, unit TEXT NOT NULL, etag TEXT, last_modified TEXT, PRIMARY KEY(source, period, unit)) WITHOUT ROWID;
CREATE TABLE source_health( source TEXT PRIMARY KEY, last_attempt INTEGER, last_success INTEGER, consecutive_failures INTEGER NOT NULL DEFAULT 0, last_outcome TEXT, last_status INTEGER, last_error TEXT, last_duration REAL, last_bytes INTEGER, n_new INTEGER, n_revised INTEGER, n_unchanged INTEGER, n_rejected INTEGER);
CREATE TABLE index_layout( index_id TEXT NOT NULL, kind TEXT NOT NULL CHECK(kind IN ('node', 'leaf')), pos INTEGER NOT NULL, id TEXT NOT NULL, PRIMARY KEY(index_id, kind, pos)) WITHOUT ROWID;
CREATE TABLE index_state( index_id TEXT PRIMARY KEY, config_hash TEXT NOT NULL, computed_at INTEGER);
CREATE TABLE obs_column( id INTEGER PRIMARY KEY, indicator_id INTEGER NOT NULL, period TEXT NOT NULL, n INTEGER NOT NULL, units BLOB NOT NULL, vals BLOB NOT NULL, UNIQUE(indicator_id, period));
CREATE TABLE obs_touched(unit_id INTEGER PRIMARY KEY);
INSERT INTO obs_touched VALUES(2);
INSERT INTO obs_touched VALUES(3);
CREATE TABLE result( index_id TEXT NOT NULL, period TEXT NOT NULL, unit_id INTEGER NOT NULL, score REAL, rank INTEGER, rank_change INTEGER, flags INTEGER NOT NULL DEFAULT 0, nodes BLOB, contribs BLOB, computed_at INTEGER, UNIQUE(index_id, period, unit_id));
CREATE TABLE index_weight( index_id TEXT NOT NULL, period TEXT NOT NULL, node TEXT NOT NULL, child TEXT NOT NULL, weight REAL, flags INTEGER NOT NULL DEFAULT 0, UNIQUE(index_id, period, node, child));
CREATE TABLE check_violation( id INTEGER PRIMARY KEY, check_id TEXT NOT NULL, rule TEXT NOT NULL, unit TEXT NOT NULL, indicator TEXT NOT NULL, period TEXT NOT NULL, value REAL, expected REAL, detail TEXT NOT NULL, action TEXT NOT NULL, valid_from INTEGER, found_at INTEGER NOT NULL, run_id INTEGER);
CREATE TABLE series_components( source TEXT NOT NULL, unit_id INTEGER NOT NULL REFERENCES unit(id), indicator_id INTEGER NOT NULL REFERENCES indicator(id), components TEXT NOT NULL, PRIMARY KEY(source, unit_id, indicator_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS "observation"( unit_id INTEGER NOT NULL REFERENCES unit(id), indicator_id INTEGER NOT NULL REFERENCES indicator(id), period TEXT NOT NULL, value REAL, valid_from INTEGER NOT NULL, valid_to INTEGER, run_id INTEGER REFERENCES run(id), status TEXT, PRIMARY KEY(unit_id, indicator_id, period, valid_from)) WITHOUT ROWID;
INSERT INTO observation VALUES(2,1,'2023-01',10.0,1000000,2000000,1,NULL);
INSERT INTO observation VALUES(2,1,'2023-01',10.499999999999999999,2000000,4000000,2,NULL);
INSERT INTO observation VALUES(2,1,'2023-01',10.499999999999999999,4000000,NULL,3,'e');
INSERT INTO observation VALUES(2,1,'2023-02',11.0,1000000,NULL,1,NULL);
INSERT INTO observation VALUES(2,1,'2023-03',NULL,1000000,2000000,1,NULL);
INSERT INTO observation VALUES(2,1,'2023-03',12.0,2000000,4000000,2,NULL);
INSERT INTO observation VALUES(2,1,'2023-03',NULL,4000000,NULL,3,NULL);
INSERT INTO observation VALUES(2,2,'2023-Q1',3.0,1000000,NULL,1,NULL);
INSERT INTO observation VALUES(2,2,'2023-Q2',4.0,2000000,NULL,2,NULL);
INSERT INTO observation VALUES(2,3,'2023',100.0,1000000,3000000,1,NULL);
INSERT INTO observation VALUES(2,3,'2023',101.0,4000000,NULL,3,NULL);
INSERT INTO observation VALUES(3,1,'2023-01',20.0,1000000,2000000,1,'p');
INSERT INTO observation VALUES(3,1,'2023-01',20.0,2000000,4000000,2,NULL);
INSERT INTO observation VALUES(3,1,'2023-01',21.0,4000000,NULL,4,NULL);
INSERT INTO observation VALUES(3,2,'2023-Q1',5.0,1000000,3000000,1,NULL);
CREATE INDEX run_source ON run(source, started_at);
CREATE INDEX reject_run ON reject(run_id);
CREATE INDEX run_source_period ON run(source, period);
CREATE INDEX check_violation_place ON check_violation(check_id, unit, period);
CREATE UNIQUE INDEX obs_current ON observation(unit_id, indicator_id, period) WHERE valid_to IS NULL;
CREATE INDEX result_rank ON result(index_id, period, rank IS NULL, coalesce(rank, 0));
COMMIT;
PRAGMA user_version = 11;
