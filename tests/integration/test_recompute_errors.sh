#!/usr/bin/env bash
# parkstat recompute reports an error where it arises: a failure inside the
# engine is logged with its own reason and the command says "failed: <errno
# text>", never SQLite's "not an error"; a store (SQLite) failure prints
# SQLite's message. Needs PARKSTAT_BIN.
set -euo pipefail
bin=${PARKSTAT_BIN:?}/parkstat
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
want_line() { grep -qF -- "$2" "$1" || { cat "$1"; fail "missing: $2"; }; }

# 65536 indicators: a valid config, but the engine keeps indicator indices in
# 16 bits (struct rawobs).
python3 - "$tmp/many.json" <<'PY'
import json, sys
inds = [{"code": "i%d" % k, "name": "I", "frequency": "Y", "kind": "flow"} for k in range(65536)]
json.dump({"units": [{"id": "city", "name": "C"}], "indicators": inds}, open(sys.argv[1], "w"))
PY
set +e
"$bin" recompute --db "$tmp/many.db" --config "$tmp/many.json" >/dev/null 2>"$tmp/err"; rc=$?
set -e
[[ $rc -eq 1 ]] || fail "many indicators: exit $rc, want 1"
want_line "$tmp/err" "compute: 65536 indicators, at most 65535 fit"
want_line "$tmp/err" "parkstat recompute: failed: Invalid argument"
! grep -q "not an error" "$tmp/err" || { cat "$tmp/err"; fail "a SQLite message for a non-SQLite error"; }

# A store failure: a trigger refuses every result row.
cat >"$tmp/one.json" <<'JSON'
{"units": [{"id": "city", "name": "C"}, {"id": "p1", "name": "P1", "parent": "city"},
           {"id": "p2", "name": "P2", "parent": "city"}],
 "indicators": [{"code": "revenue", "name": "R", "frequency": "Y", "kind": "flow"}],
 "indices": [{"id": "ix", "frequency": "Y", "units": "children:city",
              "method": {"normalise": "minmax"},
              "tree": [{"indicator": "revenue", "weight": 1}]}]}
JSON
printf 'unit,indicator,period,value\np1,revenue,2023,1\np2,revenue,2023,3\n' >"$tmp/one.csv"
"$bin" import --db "$tmp/one.db" --config "$tmp/one.json" "$tmp/one.csv" >/dev/null || fail "import"
python3 -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute(
    "CREATE TRIGGER no_results BEFORE INSERT ON result "
    "BEGIN SELECT RAISE(ABORT, \x27refused by the test\x27); END")' "$tmp/one.db"
set +e
"$bin" recompute --db "$tmp/one.db" --config "$tmp/one.json" --full >/dev/null 2>"$tmp/err"; rc=$?
set -e
[[ $rc -eq 1 ]] || fail "refused results: exit $rc, want 1"
want_line "$tmp/err" "parkstat recompute: $tmp/one.db: "
want_line "$tmp/err" "refused by the test"
echo "ok"
