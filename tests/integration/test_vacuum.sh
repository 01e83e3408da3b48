#!/usr/bin/env bash
# test_vacuum.sh - `parkstat vacuum`: a schema-11 database (the fixture of
# the migration tests, tests/data/store/v11.sql, with 8 000 more units of 100
# months each) migrated to the current schema keeps its old observation
# table's pages free: the migration says how much and names the command;
# `parkstat vacuum` gives them back. Every vintage is the same before and
# after, and the same as the schema-11 database's own rows (counted and summed
# by sqlite3 on it). With the daemon's lock file held, it refuses and touches
# nothing; a missing path is an error, not a new database.
# Needs PARKSTAT_BIN and PARKSTAT_SRC, sqlite3 and flock.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bin=${PARKSTAT_BIN:?}
src=${PARKSTAT_SRC:?}
with_tmp 0
db=$tmp/v11.db

sqlite3 "$db" <"$src/tests/data/store/v11.sql" || fail "the v11 fixture"
sqlite3 "$db" <<'SQL' || fail "the added rows"
PRAGMA foreign_keys=OFF;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 100 UNION ALL SELECT i + 1 FROM n WHERE i < 8099)
INSERT INTO unit(id, code, name, parent_id) SELECT i, 'u' || i, 'Unit ' || i, 1 FROM n;
WITH RECURSIVE m(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM m WHERE j < 99)
INSERT INTO observation(unit_id, indicator_id, period, value, valid_from, valid_to, run_id)
SELECT u.id, 1, printf('%04d-%02d', 2001 + m.j / 12, m.j % 12 + 1), u.id * 0.25 + m.j,
       1000000, NULL, 1
FROM unit u, m WHERE u.id >= 100;
COMMIT;
SQL
# What the schema-11 database holds, by its own SQL: every vintage, and the
# current values' count and sum.
want_rows=$(sqlite3 "$db" 'SELECT count(*) FROM observation')
want_cur=$(sqlite3 "$db" "SELECT count(*) || ' ' || printf('%.4f', total(value))
                         FROM observation WHERE valid_to IS NULL")
[[ $want_rows -eq 800015 ]] || fail "the fixture has $want_rows rows, not 800015"

# 1. the daemon's lock held: refused, naming the PID, and nothing migrated
exec 8>"$db.lock"
flock -n 8 || fail "cannot take $db.lock"
echo 4242 >&8
if "$bin/parkstat" vacuum --db "$db" >"$tmp/out1" 2>"$tmp/err1"; then
    fail "vacuum ran beside a holder of $db.lock"
fi
grep -q "in use by parkstatd (PID 4242" "$tmp/err1" || fail "no 'in use' message: $(cat "$tmp/err1")"
[[ $(sqlite3 "$db" 'PRAGMA user_version') == 11 ]] || fail "the database was touched"
exec 8>&-

# 2. a missing database is an error and is not created
if "$bin/parkstat" vacuum --db "$tmp/none.db" 2>"$tmp/err2"; then fail "vacuum of a missing file"; fi
grep -q "No such file" "$tmp/err2" || fail "missing file: $(cat "$tmp/err2")"
[[ ! -e $tmp/none.db ]] || fail "vacuum created $tmp/none.db"

# 3. migrated by a first open (an import of nothing new), which says what is free
printf 'unit,indicator,period,value\n' >"$tmp/empty.csv"
cat >"$tmp/config.json" <<'JSON'
{"units": [{"id": "city", "name": "City"}, {"id": "p1", "name": "Park one", "parent": "city"},
           {"id": "p2", "name": "Park two", "parent": "city"}],
 "indicators": [{"code": "revenue", "name": "Revenue", "frequency": "M", "kind": "flow"}]}
JSON
"$bin/parkstat" import --quiet --db "$db" --config "$tmp/config.json" "$tmp/empty.csv" \
    2>"$tmp/err3" >/dev/null || fail "the migration: $(cat "$tmp/err3")"
grep -q "free after the migration; \`parkstat vacuum --db $db\`" "$tmp/err3" ||
    fail "the migration did not say what is free: $(cat "$tmp/err3")"
"$bin/parkstat" observations --db "$db" --history --format csv >"$tmp/before.csv" ||
    fail "history before"
free_before=$(sqlite3 "$db" 'PRAGMA freelist_count')
size_before=$(stat -c %s "$db")
(( free_before * 4 > $(sqlite3 "$db" 'PRAGMA page_count') )) ||
    fail "only $free_before pages free after the migration"

# 4. the dry run says so and changes nothing
"$bin/parkstat" vacuum --db "$db" --dry-run >"$tmp/out4" || fail "dry run"
grep -qE "MB, of which [0-9.]+ MB \([0-9]+ %\) free pages" "$tmp/out4" || fail "dry run: $(cat "$tmp/out4")"
[[ $(sqlite3 "$db" 'PRAGMA freelist_count') == "$free_before" ]] || fail "the dry run vacuumed"

# 5. vacuum: no free page left, a smaller file, every vintage the same
"$bin/parkstat" vacuum --db "$db" >"$tmp/out5" 2>"$tmp/err5" || fail "vacuum: $(cat "$tmp/err5")"
grep -qE " MB -> [0-9.]+ MB in " "$tmp/out5" || fail "vacuum said: $(cat "$tmp/out5")"
[[ $(sqlite3 "$db" 'PRAGMA freelist_count') == 0 ]] || fail "free pages left after vacuum"
size_after=$(stat -c %s "$db")
(( size_after * 10 < size_before * 9 )) || fail "the file went from $size_before to $size_after bytes"
[[ $(sqlite3 "$db" 'PRAGMA integrity_check') == ok ]] || fail "integrity check"
"$bin/parkstat" observations --db "$db" --history --format csv >"$tmp/after.csv" ||
    fail "history after"
cmp -s "$tmp/before.csv" "$tmp/after.csv" || fail "the vintages changed: $(diff "$tmp/before.csv" "$tmp/after.csv" | head)"
got_rows=$(($(wc -l <"$tmp/after.csv") - 1))
[[ $got_rows == "$want_rows" ]] || fail "$got_rows vintages, the schema-11 database had $want_rows"
got_cur=$(awk -F, 'NR > 1 && $6 == "" { n++; if ($4 != "") s += $4 } END { printf "%d %.4f", n, s }' "$tmp/after.csv")
[[ $got_cur == "$want_cur" ]] || fail "current values: $got_cur, the schema-11 database: $want_cur"

# 6. again: nothing to give back
"$bin/parkstat" vacuum --db "$db" >"$tmp/out6" || fail "second vacuum"
grep -q "nothing to give back" "$tmp/out6" || fail "second vacuum: $(cat "$tmp/out6")"
echo "ok: vacuum gave back $((size_before - size_after)) bytes of $size_before, $got_rows vintages kept"
