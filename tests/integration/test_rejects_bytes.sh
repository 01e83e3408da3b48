#!/usr/bin/env bash
# Rejects keep their raw bytes and their reason in every API format: a GBK
# payload read without its encoding has a record with the unit 园区 in GBK
# (D4 B0 C7 F8), rejected as an unknown unit. The database holds the bytes;
# /api/v1/rejects serves raw and reason hex-escaped (\xD4...), as JSON and as
# CSV, never null.
set -euo pipefail
bin=${PARKSTAT_BIN:?}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
with_tmp 20
q() { sqlite3 -batch -noheader "$tmp/p.db" "$1"; }

month=$(date -d "$(date +%Y-%m-01) -1 day" +%Y-%m)
port=$(free_port)
api="http://127.0.0.1:$port/api/v1"
mkdir "$tmp/www"
printf 'unit,indicator,period,value\np01,revenue,%s,5\n\xd4\xb0\xc7\xf8,revenue,%s,7\n' \
    "$month" "$month" >"$tmp/www/$month.csv"
cat >"$tmp/parkstat.json" <<EOF
{"database": "p.db", "server": {"listen": "127.0.0.1:$port"},
 "units": [{"id": "p01", "name": "P"}],
 "indicators": [{"code": "revenue", "name": "R", "frequency": "M", "kind": "flow"}],
 "sources": [{"id": "gbk", "url": "file://$tmp/www/{period}.csv", "format": "csv",
              "frequency": "M", "first_period": "$month",
              "mapping": {"unit": "unit", "indicator": "indicator", "period": "period",
                          "value": "value"}}]}
EOF
"$bin/parkstatd" -c "$tmp/parkstat.json" 2>"$tmp/daemon.err" &
pids+=($!)
stored() { [[ $(q "SELECT count(*) FROM reject") == 1 ]]; }
wait_for 20 stored || fail "no reject stored"
[[ $(q "SELECT hex(raw) FROM reject") == "D4B0C7F82C726576656E75652C$(printf %s "$month" | od -An -tx1 | tr -d " \n" | tr a-f A-F)2C37" ]] ||
    fail "raw bytes not kept: $(q "SELECT hex(raw) FROM reject")"

raw="\\xD4\\xB0\\xC7\\xF8,revenue,$month,7"
reason='unknown unit "\xD4\xB0\xC7\xF8"'
# JSON: the exact strings (python reads the escapes JSON puts on backslashes)
curl -sf "$api/rejects" >"$tmp/rejects.json" || fail "rejects json"
got=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))
r=r.get("data", r) if isinstance(r, dict) else r
print(r[0]["raw"]); print(r[0]["reason"])' "$tmp/rejects.json") || fail "rejects json: $(cat "$tmp/rejects.json")"
[[ $got == "$raw"$'\n'"$reason" ]] || fail "json raw/reason: $got"
# CSV: quoted fields, quotes doubled
curl -sf "$api/rejects?format=csv" >"$tmp/rejects.csv" || fail "rejects csv"
want="1,gbk,$month,3,\"$raw\",\"unknown unit \"\"\\xD4\\xB0\\xC7\\xF8\"\"\""
[[ $(sed -n 2p "$tmp/rejects.csv" | tr -d '\r') == "$want" ]] || fail "csv raw/reason: $(cat "$tmp/rejects.csv")"
echo ok
