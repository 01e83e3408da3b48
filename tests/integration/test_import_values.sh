#!/usr/bin/env bash
# test_import_values.sh - plain `parkstat import` reads values with the
# collectors' one value parser: --decimal, --thousands and --missing as a
# source's mapping says them, so the same CSV bytes imported plain and with
# `--source` (a csv source with the same options) store the same rows; a
# missing marker is counted, never a reject or 0; without the options a
# decimal comma is a reject, never 124. Needs PARKSTAT_BIN and PARKSTAT_SRC.
set -euo pipefail
bin=${PARKSTAT_BIN:?}/parkstat
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
with_tmp 20

cat >"$tmp/parkstat.json" <<'EOF'
{"database": "unused.db",
 "units": [{"id": "city", "name": "City"}, {"id": "p1", "name": "One", "parent": "city"},
           {"id": "p2", "name": "Two", "parent": "city"}],
 "indicators": [{"code": "revenue", "name": "R", "frequency": "M", "kind": "flow"},
                {"code": "firms", "name": "F", "frequency": "Q", "kind": "stock"}],
 "sources": [{"id": "fr", "url": "file:///nowhere/{period}.csv", "format": "csv",
              "frequency": "M", "first_period": "2023-01",
              "mapping": {"unit": "unit", "indicator": "indicator", "period": "period",
                          "value": "value", "decimal": ",", "thousands": ".",
                          "missing": ["-", "n/a"]}}]}
EOF
cat >"$tmp/values.csv" <<'EOF'
unit,indicator,period,value
p1,revenue,2023-01,"1.234,5"
p1,revenue,2023-02,"12,4"
p1,revenue,2023-03,-
p1,revenue,2023-04,n/a
p1,revenue,2023-05,"1,23"
p2,firms,2023-Q1,7
p2,revenue,2023-01,12.5
EOF

current() {
    sqlite3 -batch -noheader "$1" "SELECT u.code, i.code, o.period, o.value FROM observation o
        JOIN unit u ON u.id = o.unit_id JOIN indicator i ON i.id = o.indicator_id
        WHERE o.valid_to IS NULL ORDER BY 1, 2, 3"
}

# plain import with the source's options, and the same bytes read as the source
"$bin" import --db "$tmp/plain.db" --config "$tmp/parkstat.json" --decimal , --thousands . \
    --missing - --missing n/a "$tmp/values.csv" >"$tmp/out" 2>"$tmp/err" ||
    { cat "$tmp/err" >&2; fail "plain import"; }
grep -q 'values.csv: 7 rows read, 6 stored (6 new, 0 revised, 0 unchanged), 1 rejected, 2 missing$' \
    "$tmp/out" || { cat "$tmp/out" "$tmp/err" >&2; fail "plain summary"; }
grep -q 'values.csv:8: value: not a number: "12.5" (' "$tmp/err" ||
    { cat "$tmp/err" >&2; fail "12.5 under decimal comma, thousands dot"; }
"$bin" import --db "$tmp/source.db" --config "$tmp/parkstat.json" --source fr \
    "$tmp/values.csv" >"$tmp/out2" 2>"$tmp/err2" || { cat "$tmp/err2" >&2; fail "--source"; }
# the two missing values are stored as missing (NULL), never 0
want=$'p1|revenue|2023-01|1234.5\np1|revenue|2023-02|12.4\np1|revenue|2023-03|\np1|revenue|2023-04|\np1|revenue|2023-05|1.23\np2|firms|2023-Q1|7.0'
[[ $(current "$tmp/plain.db") == "$want" ]] || fail "plain rows: $(current "$tmp/plain.db")"
[[ $(current "$tmp/source.db") == "$want" ]] || fail "--source rows: $(current "$tmp/source.db")"
grep -q ', 1 rejected, 2 missing$' "$tmp/out2" || { cat "$tmp/out2" >&2; fail "--source summary"; }

# the defaults: decimal point, thousands comma in groups of three, the default markers
"$bin" import --db "$tmp/default.db" --config "$tmp/parkstat.json" "$tmp/values.csv" \
    >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err" >&2; fail "default import"; }
grep -q ': 7 rows read, 3 stored (3 new, 0 revised, 0 unchanged), 4 rejected, 1 missing$' \
    "$tmp/out" || { cat "$tmp/out" "$tmp/err" >&2; fail "default summary"; }
grep -q 'values.csv:3: value: not a number: "12,4" (' "$tmp/err" ||
    { cat "$tmp/err" >&2; fail "12,4 is a reject, never 124"; }
grep -q 'values.csv:5: value: not a number: "n/a"' "$tmp/err" ||
    { cat "$tmp/err" >&2; fail "n/a is no default marker"; }
[[ $(current "$tmp/default.db") == $'p1|revenue|2023-03|\np2|firms|2023-Q1|7.0\np2|revenue|2023-01|12.5' ]] ||
    fail "default rows: $(current "$tmp/default.db")"

# an optional status column, checked as the readers check a status: stored
# with each vintage; a status-only change is a revision
printf 'unit,indicator,period,value,status\np1,revenue,2023-06,5.5,p\np1,revenue,2023-07,,\np2,firms,2023-Q2,8, e \np2,firms,2023-Q3,9,TOOLONGSTATUS\n' \
    >"$tmp/status.csv"
"$bin" import --db "$tmp/status.db" --config "$tmp/parkstat.json" "$tmp/status.csv" \
    >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err" >&2; fail "status import"; }
grep -q ': 4 rows read, 3 stored (3 new, 0 revised, 0 unchanged), 1 rejected, 1 missing$' \
    "$tmp/out" || { cat "$tmp/out" "$tmp/err" >&2; fail "status summary"; }
grep -q 'status.csv:5: status "TOOLONGSTATUS": longer than 8 bytes' "$tmp/err" ||
    { cat "$tmp/err" >&2; fail "a long status is a reject"; }
got=$(sqlite3 -batch -noheader "$tmp/status.db" "SELECT period, quote(value), quote(status)
      FROM observation WHERE valid_to IS NULL ORDER BY period")
[[ $got == $'2023-06|5.5|\'p\'\n2023-07|NULL|NULL\n2023-Q2|8.0|\'e\'' ]] || fail "status rows: $got"
sed -i 's/5.5,p/5.5,A/' "$tmp/status.csv"
"$bin" import --db "$tmp/status.db" --config "$tmp/parkstat.json" "$tmp/status.csv" \
    >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err" >&2; fail "status import 2"; }
grep -q ': 4 rows read, 3 stored (0 new, 1 revised, 2 unchanged), 1 rejected, 1 missing$' \
    "$tmp/out" || { cat "$tmp/out" "$tmp/err" >&2; fail "a status-only change is a revision"; }

# bad options: usage errors naming the option
rc=0
"$bin" import --db "$tmp/x.db" --config "$tmp/parkstat.json" --decimal x "$tmp/values.csv" \
    >/dev/null 2>"$tmp/err" || rc=$?
[[ $rc == 2 ]] || fail "--decimal x: exit $rc"
grep -q -- '--decimal: bad decimal "x" (expected "." or ",")' "$tmp/err" ||
    { cat "$tmp/err" >&2; fail "--decimal x message"; }
rc=0
"$bin" import --db "$tmp/x.db" --config "$tmp/parkstat.json" --decimal , --thousands , \
    "$tmp/values.csv" >/dev/null 2>"$tmp/err" || rc=$?
[[ $rc == 2 ]] || fail "--thousands , with --decimal ,: exit $rc"
grep -q -- '--thousands: must differ from decimal' "$tmp/err" || { cat "$tmp/err" >&2; fail "same"; }
rc=0
"$bin" import --db "$tmp/x.db" --config "$tmp/parkstat.json" --source fr --missing - \
    "$tmp/values.csv" >/dev/null 2>"$tmp/err" || rc=$?
[[ $rc == 2 ]] || fail "--missing with --source: exit $rc"
echo "ok: import values"
