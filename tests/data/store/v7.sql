-- A database written by parkstat at schema version 7 (commit d888953), for the
-- migration test (tests/test_store_status.c): `parkstat import` of three files
-- with tests/data/import_config.json, then `sqlite3 v7.db .dump` (which leaves
-- out user_version: set at the end).
--   a.csv  p1 revenue 2023-01 12.5, 2023-02 0.1; p2 revenue 2023-01 7;
--          p2 firms 2023-Q1 1500; p1 firms 2023-Q1 3
--   b.csv  p1 revenue 2023-01 12.75, 2023-02 0.1; p2 revenue 2023-01 0;
--          p2 firms 2023-Q2 1490
--   c.csv  p1 revenue 2023-01 13; p2 revenue 2023-01 -4.25
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE unit( id INTEGER PRIMARY KEY, code TEXT UNIQUE NOT NULL, name TEXT NOT NULL, parent_id INTEGER REFERENCES unit(id), attributes TEXT);
INSERT INTO unit VALUES(1,'city','City',NULL,NULL);
INSERT INTO unit VALUES(2,'p1','Park one',1,NULL);
INSERT INTO unit VALUES(3,'p2','Park two',1,NULL);
CREATE TABLE indicator( id INTEGER PRIMARY KEY, code TEXT UNIQUE NOT NULL, name TEXT NOT NULL, measure TEXT, frequency TEXT, kind TEXT, cumulative INTEGER NOT NULL DEFAULT 0, direction INTEGER NOT NULL DEFAULT 1, decimals INTEGER NOT NULL DEFAULT 2, formula TEXT, numerator TEXT, denominator TEXT, scale REAL);
INSERT INTO indicator VALUES(1,'revenue','Revenue','CNY 100M','M','flow',1,1,2,NULL,NULL,NULL,1.0);
INSERT INTO indicator VALUES(2,'firms','Enterprises','','Q','stock',0,1,0,NULL,NULL,NULL,1.0);
INSERT INTO indicator VALUES(3,'rd_int','R&D intensity','','Q','rate',0,1,2,'revenue / firms',NULL,NULL,1.0);
CREATE TABLE run( id INTEGER PRIMARY KEY, source TEXT NOT NULL, period TEXT, started_at INTEGER NOT NULL, ended_at INTEGER, outcome TEXT, n_new INTEGER, n_revised INTEGER, n_unchanged INTEGER, n_rejected INTEGER, http_status INTEGER, bytes INTEGER, error TEXT, pid INTEGER);
INSERT INTO run VALUES(1,'import:a.csv',NULL,1796216960626263,1796216960626487,'ok',5,0,0,0,NULL,NULL,NULL,6451);
INSERT INTO run VALUES(2,'import:b.csv',NULL,1796216960729903,1796216960730184,'ok',1,2,1,0,NULL,NULL,NULL,6494);
INSERT INTO run VALUES(3,'import:c.csv',NULL,1796216960829018,1796216960829305,'ok',0,2,0,0,NULL,NULL,NULL,6505);
CREATE TABLE observation( unit_id INTEGER NOT NULL REFERENCES unit(id), indicator_id INTEGER NOT NULL REFERENCES indicator(id), period TEXT NOT NULL, value REAL NOT NULL, valid_from INTEGER NOT NULL, valid_to INTEGER, run_id INTEGER REFERENCES run(id), PRIMARY KEY(unit_id, indicator_id, period, valid_from)) WITHOUT ROWID;
INSERT INTO observation VALUES(2,1,'2023-01',12.5,1796216960626407,1796216960730043,1);
INSERT INTO observation VALUES(2,1,'2023-01',12.749999999999999999,1796216960730043,1796216960829156,2);
INSERT INTO observation VALUES(2,1,'2023-01',13.0,1796216960829156,NULL,3);
INSERT INTO observation VALUES(2,1,'2023-02',0.10000000000000000555,1796216960626407,NULL,1);
INSERT INTO observation VALUES(2,2,'2023-Q1',3.0,1796216960626407,NULL,1);
INSERT INTO observation VALUES(3,1,'2023-01',7.0,1796216960626407,1796216960730043,1);
INSERT INTO observation VALUES(3,1,'2023-01',0.0,1796216960730043,1796216960829156,2);
INSERT INTO observation VALUES(3,1,'2023-01',-4.25,1796216960829156,NULL,3);
INSERT INTO observation VALUES(3,2,'2023-Q1',1500.0,1796216960626407,NULL,1);
INSERT INTO observation VALUES(3,2,'2023-Q2',1490.0,1796216960730043,NULL,2);
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
CREATE TABLE check_violation( id INTEGER PRIMARY KEY, check_id TEXT NOT NULL, rule TEXT NOT NULL, unit TEXT NOT NULL, indicator TEXT NOT NULL, period TEXT NOT NULL, value REAL, expected REAL, detail TEXT NOT NULL, action TEXT NOT NULL, valid_from INTEGER, found_at INTEGER NOT NULL);
CREATE INDEX run_source ON run(source, started_at);
CREATE UNIQUE INDEX obs_current ON observation(unit_id, indicator_id, period) WHERE valid_to IS NULL;
CREATE INDEX reject_run ON reject(run_id);
CREATE INDEX run_source_period ON run(source, period);
COMMIT;
PRAGMA user_version = 7;
