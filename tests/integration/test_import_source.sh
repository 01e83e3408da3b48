#!/usr/bin/env bash
# One reading path: `parkstat import --source ID FILE` reads FILE with the
# source's reader and mapping and checks it as a pull does, so a file and a
# pull of the same bytes store the same rows. parkstatd --once pulls three
# sources from nginx (json with code maps and scale, csv with a decimal comma
# and thousands dots, nbs without wds) into one database; the same files go
# through `parkstat import --source` into another. The current observations
# and the rejects (position, reason, raw) of the two must be equal.
set -euo pipefail
bin=${PARKSTAT_BIN:?}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
with_tmp 20
command -v nginx >/dev/null || { echo "nginx not installed: skipping"; exit 77; }
chmod 755 "$tmp"

month=$(date -d "$(date +%Y-%m-01) -1 day" +%Y-%m)
www=$tmp/www
mkdir -p "$www/json" "$www/csv" "$www/nbs"
cat >"$www/json/$month.json" <<EOF
{"data": [{"park": "P-1", "code": "YYSR", "month": "$month", "value": "1,234.5"},
          {"park": "P-2", "code": "YYSR", "month": "$month", "value": 2000},
          {"park": "P-2", "code": "YYSR", "month": "$month", "value": 2001},
          {"park": "P-9", "code": "YYSR", "month": "$month", "value": 1},
          {"park": "P-2", "code": "SS", "month": "$month", "value": "—"},
          {"park": "P-1", "code": "CK", "month": "2019-13", "value": 3}]}
EOF
printf 'park;ind;per;val\np01;exports;%s;1.000,5\np02;exports;%s;12,25\np02;tax;%s;1,2,3\n' \
    "$month" "$month" "$month" >"$www/csv/$month.csv"
sj=${month/-/}
cat >"$www/nbs/$month.json" <<EOF
{"returncode": 200, "returndata": {"datanodes": [
 {"code": "zb.A0101_reg.110000_sj.$sj", "data": {"data": 55.549999999, "dotcount": 2, "hasdata": true, "strdata": "55.55"}},
 {"code": "zb.A0101_reg.120000_sj.$sj", "data": {"data": 0, "dotcount": 2, "hasdata": false, "strdata": ""}},
 {"code": "zb.A0101_reg.130000_sj.$sj", "data": {"data": 1, "dotcount": 0, "hasdata": true, "strdata": "1"}}]}}
EOF
nport=$(free_port)
cat >"$tmp/nginx.conf" <<EOF
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $tmp/body; proxy_temp_path $tmp/proxy;
    fastcgi_temp_path $tmp/fastcgi; uwsgi_temp_path $tmp/uwsgi; scgi_temp_path $tmp/scgi;
    server { listen 127.0.0.1:$nport; root $www; }
}
EOF
nginx -c "$tmp/nginx.conf" -e "$tmp/nginx-error.log" || fail "nginx did not start"
stop_nginx() { kill "$(cat "$tmp/nginx.pid")" 2>/dev/null || true; }
trap 'stop_nginx; lib_cleanup' EXIT

n="http://127.0.0.1:$nport"
cat >"$tmp/parkstat.json" <<EOF
{"database": "pull.db",
 "units": [{"id": "city", "name": "City"}, {"id": "p01", "name": "One", "parent": "city"},
           {"id": "p02", "name": "Two", "parent": "city"}],
 "indicators": [
   {"code": "revenue", "name": "R", "frequency": "M", "kind": "flow"},
   {"code": "exports", "name": "E", "frequency": "M", "kind": "flow"},
   {"code": "tax", "name": "T", "frequency": "M", "kind": "flow"}],
 "sources": [
   {"id": "json", "url": "$n/json/{period}.json", "format": "json", "frequency": "M",
    "first_period": "$month", "codes": {"YYSR": "revenue", "CK": "exports", "SS": "tax"},
    "unit_codes": {"P-1": "p01", "P-2": "p02"}, "scale": {"revenue": 0.5},
    "mapping": {"records": "/data", "unit": "/park", "indicator": "/code",
                "period": "/month", "value": "/value"}},
   {"id": "csv", "url": "$n/csv/{period}.csv", "format": "csv", "frequency": "M",
    "first_period": "$month",
    "mapping": {"delimiter": ";", "unit": "park", "indicator": "ind", "period": "per",
                "value": "val", "decimal": ",", "thousands": "."}},
   {"id": "nbs", "url": "$n/nbs/{period}.json", "format": "nbs", "frequency": "M",
    "first_period": "$month", "codes": {"A0101": "tax"},
    "unit_codes": {"110000": "p01", "120000": "p02"}}]}
EOF
"$bin/parkstatd" --check-config "$tmp/parkstat.json" >/dev/null 2>"$tmp/daemon.err" ||
    fail "config: $(cat "$tmp/daemon.err")"

# ---- the pulls
"$bin/parkstatd" --once -c "$tmp/parkstat.json" >"$tmp/once.out" 2>"$tmp/daemon.err" || true
grep -q 'parkstatd --once: 3 pulls, 0 failed' "$tmp/once.out" || fail "pulls: $(cat "$tmp/once.out")"

# ---- the same bytes as files
cp "$www/json/$month.json" "$tmp/a.json"
cp "$www/csv/$month.csv" "$tmp/b.csv"
cp "$www/nbs/$month.json" "$tmp/c.json"
imp() { "$bin/parkstat" import --db "$tmp/file.db" --config "$tmp/parkstat.json" "$@"; }
imp --source json "$tmp/a.json" >"$tmp/out" 2>"$tmp/err" || fail "import json: $(cat "$tmp/err")"
grep -qx "$tmp/a.json: partial, 6 records: 3 new, 0 revised, 0 unchanged, 3 rejected, 1 missing" \
    "$tmp/out" || fail "json summary: $(cat "$tmp/out")"
grep -q "a.json:4: unknown unit \"P-9\"" "$tmp/err" || fail "json reject message: $(cat "$tmp/err")"
imp --source csv "$tmp/b.csv" >/dev/null 2>&1 || fail "import csv"
imp --source nbs "$tmp/c.json" >/dev/null 2>&1 || fail "import nbs"

# ---- equal rows and rejects
rows() {
    sqlite3 -batch -noheader "$1" "SELECT u.code, i.code, o.period, o.value FROM observation o
        JOIN unit u ON u.id = o.unit_id JOIN indicator i ON i.id = o.indicator_id
        WHERE o.valid_to IS NULL ORDER BY 1, 2, 3"
}
rejects() {
    sqlite3 -batch -noheader "$1" "SELECT r.position, r.reason, r.raw FROM reject r
        ORDER BY r.reason, r.position"
}
[[ -n $(rows "$tmp/pull.db") ]] || fail "the pulls stored nothing"
[[ $(rows "$tmp/file.db") == "$(rows "$tmp/pull.db")" ]] ||
    fail "rows differ:"$'\n'"pull: $(rows "$tmp/pull.db")"$'\n'"file: $(rows "$tmp/file.db")"
[[ $(rejects "$tmp/file.db") == "$(rejects "$tmp/pull.db")" ]] ||
    fail "rejects differ:"$'\n'"pull: $(rejects "$tmp/pull.db")"$'\n'"file: $(rejects "$tmp/file.db")"
# the numbers themselves, worked out by hand from the payloads
[[ $(rows "$tmp/file.db") == "p01|exports|$month|1000.5
p01|revenue|$month|617.25
p01|tax|$month|55.55
p02|exports|$month|12.25
p02|revenue|$month|1000.0
p02|tax|$month|" ]] || fail "values: $(rows "$tmp/file.db")"
# the missing value (json "—", then NBS hasdata:false: unchanged) is NULL, never 0
[[ $(sqlite3 "$tmp/file.db" "SELECT count(*) FROM observation WHERE value IS NULL") == 1 ]] ||
    fail "missing values: $(sqlite3 "$tmp/file.db" "SELECT * FROM observation WHERE value IS NULL")"
[[ $(sqlite3 "$tmp/file.db" "SELECT group_concat(source || ':' || outcome, ' ') FROM (SELECT * FROM run ORDER BY id)") == \
    "import:a.json:partial import:b.csv:partial import:c.json:partial" ]] ||
    fail "runs: $(sqlite3 "$tmp/file.db" "SELECT * FROM run")"

# ---- an unknown source is a usage error naming it
set +e
imp --source nope "$tmp/a.json" >/dev/null 2>"$tmp/err"
rc=$?
set -e
[[ $rc == 2 ]] || fail "unknown source: exit $rc"
grep -q 'unknown source "nope"' "$tmp/err" || fail "unknown source message: $(cat "$tmp/err")"
echo "ok: a file and a pull of the same bytes store the same rows"
