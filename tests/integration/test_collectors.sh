#!/usr/bin/env bash
# Collectors against real servers: nginx on 127.0.0.1 serving park payloads in
# every format (with ETags and gzip) and a fault server (fault_server.py) that
# misbehaves in every way a park server can. parkstatd --once pulls them all;
# the stored numbers, the recorded errors and the retries are checked.
set -euo pipefail
bin=${PARKSTAT_BIN:?}
src=${PARKSTAT_SRC:?}
tmp=$(mktemp -d)
chmod 755 "$tmp"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    if [[ -f $tmp/nginx.pid ]]; then kill "$(cat "$tmp/nginx.pid")" 2>/dev/null || true; fi
    [[ -n ${KEEP:-} ]] || rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
q() { sqlite3 -batch -noheader "$tmp/p.db" "$1"; }
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The newest released month and quarter (release lag 0): what --once pulls.
month=$(date -d "$(date +%Y-%m-01) -1 day" +%Y-%m)
y=${month%-*}
m=$((10#${month#*-}))
if ((m >= 3)); then quarter="$y-Q$((m / 3))"; else quarter="$((y - 1))-Q4"; fi

# ---- nginx with the payloads
www=$tmp/www
mkdir -p "$www/json" "$www/csv" "$www/sdmx" "$www/nbs"
cat >"$www/json/$month.json" <<EOF
{"data": [{"park": "p01", "code": "revenue", "month": "$month", "value": "1,234.5"},
          {"park": "p02", "code": "revenue", "month": "$month", "value": 2000},
          {"park": "p02", "code": "revenue", "month": "$month", "value": 2001},
          {"park": "p07", "code": "revenue", "month": "$month", "value": 1}]}
EOF
printf '\xef\xbb\xbfpark_id,指标代码,期别,数值\r\np01,exports,%s,"1,000.5"\r\np02,exports,%s,300\r\n' \
    "$month" "$month" >"$www/csv/$month.csv"
cat >"$www/sdmx/$quarter.json" <<EOF
{"meta": {"id": "PARKS"}, "data": {
  "structures": [{"dimensions": {
    "series": [{"id": "REF_AREA", "values": [{"id": "p01"}, {"id": "p02"}]},
               {"id": "INDICATOR", "values": [{"id": "firms"}]}],
    "observation": [{"id": "TIME_PERIOD", "values": [{"id": "$quarter"}]}]}}],
  "dataSets": [{"structure": 0, "series": {"0:0": {"observations": {"0": [120]}},
                                           "1:0": {"observations": {"0": ["80"]}}}}]}}
EOF
nbs_month=${month/-/}
cat >"$www/nbs/$month.json" <<EOF
{"returncode": 200, "returndata": {"datanodes": [
 {"code": "a", "data": {"data": 55.5, "hasdata": true, "strdata": "55.5"},
  "wds": [{"valuecode": "A0101", "wdcode": "zb"}, {"valuecode": "$nbs_month", "wdcode": "sj"},
          {"valuecode": "110000", "wdcode": "reg"}]},
 {"code": "b", "data": {"data": 0, "hasdata": false, "strdata": ""},
  "wds": [{"valuecode": "A0101", "wdcode": "zb"}, {"valuecode": "$nbs_month", "wdcode": "sj"},
          {"valuecode": "120000", "wdcode": "reg"}]}]}}
EOF
nport=$(free_port)
cat >"$tmp/nginx.conf" <<EOF
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log;
events { worker_connections 256; }
http {
    include /etc/nginx/mime.types;
    types { text/csv csv; }
    access_log $tmp/access.log;
    log_format gz '\$request_uri \$status \$gzip_ratio';
    access_log $tmp/gzip.log gz;
    client_body_temp_path $tmp/body; proxy_temp_path $tmp/proxy;
    fastcgi_temp_path $tmp/fastcgi; uwsgi_temp_path $tmp/uwsgi; scgi_temp_path $tmp/scgi;
    server {
        listen 127.0.0.1:$nport;
        root $www;
        etag on;
        gzip on;
        gzip_min_length 0;
        gzip_types application/json text/csv;
    }
}
EOF
nginx -c "$tmp/nginx.conf" -e "$tmp/nginx-error.log" || fail "nginx did not start"

# ---- the fault server
python3 "$src/tests/integration/fault_server.py" "$tmp/fault.port" &
pids+=($!)
for _ in $(seq 50); do [[ -f $tmp/fault.port ]] && break; sleep 0.1; done
fport=$(cat "$tmp/fault.port")

# ---- the configuration
n="http://127.0.0.1:$nport"
f="http://127.0.0.1:$fport"
map='"mapping": {"records": "/data", "unit": "/park", "indicator": "/code", "period": "/month", "value": "/value"}'
src_m() { # id url [extra json]
    printf '{"id": "%s", "url": "%s", "format": "json", "frequency": "M", "first_period": "%s", %s%s}' \
        "$1" "$2" "$month" "$map" "${3:+, $3}"
}
cat >"$tmp/parkstat.json" <<EOF
{"database": "p.db",
 "units": [{"id": "city", "name": "示例市"},
           {"id": "p01", "name": "示例高新区", "parent": "city"},
           {"id": "p02", "name": "示例软件园", "parent": "city"}],
 "indicators": [
   {"code": "revenue", "name": "营业收入", "frequency": "M", "kind": "flow", "cumulative": true},
   {"code": "exports", "name": "出口总额", "frequency": "M", "kind": "flow", "cumulative": true},
   {"code": "tax", "name": "税收", "frequency": "M", "kind": "flow", "cumulative": true},
   {"code": "firms", "name": "高新技术企业数", "frequency": "Q", "kind": "stock"}],
 "sources": [
   $(src_m json "$n/json/{period}.json" '"revision_window": 1, "poll_every": "1s"'),
   {"id": "csv", "url": "$n/csv/{period}.csv", "format": "csv", "frequency": "M",
    "first_period": "$month",
    "mapping": {"unit": "park_id", "indicator": "指标代码", "period": "期别", "value": "数值"}},
   {"id": "sdmx", "url": "$n/sdmx/{period}.json", "format": "sdmx", "frequency": "Q",
    "first_period": "$quarter",
    "mapping": {"unit_dimension": "REF_AREA", "indicator_dimension": "INDICATOR"}},
   {"id": "nbs", "url": "$n/nbs/{period}.json", "format": "nbs", "frequency": "M",
    "first_period": "$month", "codes": {"A0101": "tax"},
    "unit_codes": {"110000": "p01", "120000": "p02"}, "mapping": {}},
   $(src_m missing "$n/json/nothing-{period}.json"),
   $(src_m f500 "$f/500/{period}" '"max_retries": 2, "backoff_s": 0.05'),
   $(src_m f429 "$f/429/{period}" '"max_retries": 1, "backoff_s": 0.05'),
   $(src_m flaky "$f/flaky/{period}" '"max_retries": 3, "backoff_s": 0.05'),
   $(src_m forbidden "$f/403/{period}" '"max_retries": 3'),
   $(src_m drip "$f/drip/{period}" '"timeout_s": 2, "max_retries": 0'),
   $(src_m hang "$f/hang/{period}" '"timeout_s": 1, "max_retries": 1, "backoff_s": 0.05'),
   $(src_m truncated "$f/truncated/{period}" '"max_retries": 0'),
   $(src_m huge "$f/huge/{period}" '"max_bytes": 1048576, "max_retries": 0'),
   $(src_m invalid "$f/invalid/{period}"),
   $(src_m html "$f/html/{period}"),
   $(src_m empty "$f/empty/{period}")
 ]}
EOF
"$bin/parkstatd" --check-config "$tmp/parkstat.json" >/dev/null || fail "config invalid"

# ---- one pass: some sources fail, so the exit status is 1
start=$(date +%s.%N)
set +e
"$bin/parkstatd" --once -c "$tmp/parkstat.json" >"$tmp/once.out" 2>"$tmp/once.err"
status=$?
set -e
took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
[[ $status -eq 1 ]] || { cat "$tmp/once.err"; fail "--once exited $status, expected 1"; }
grep -q 'parkstatd --once: 16 pulls, 9 failed' "$tmp/once.out" || { cat "$tmp/once.out"; fail "summary"; }

# Good sources: the exact numbers.
[[ $(q "SELECT value FROM observation o JOIN unit u ON u.id=o.unit_id JOIN indicator i ON i.id=o.indicator_id WHERE u.code='p01' AND i.code='revenue' AND period='$month'") == 1234.5 ]] || fail "json p01 revenue"
[[ $(q "SELECT value FROM observation o JOIN unit u ON u.id=o.unit_id JOIN indicator i ON i.id=o.indicator_id WHERE u.code='p02' AND i.code='revenue' AND period='$month'") == 2000.0 ]] || fail "json p02 revenue (first of the duplicates)"
[[ $(q "SELECT group_concat(value, ' ') FROM (SELECT value FROM observation o JOIN indicator i ON i.id=o.indicator_id WHERE i.code='exports' ORDER BY o.unit_id)") == "1000.5 300.0" ]] || fail "csv exports"
[[ $(q "SELECT group_concat(value, ' ') FROM (SELECT value FROM observation o JOIN indicator i ON i.id=o.indicator_id WHERE i.code='firms' AND period='$quarter' ORDER BY o.unit_id)") == "120.0 80.0" ]] || fail "sdmx firms"
[[ $(q "SELECT count(*) || ' ' || max(value) FROM observation o JOIN indicator i ON i.id=o.indicator_id WHERE i.code='tax'") == "2 55.5" ]] || fail "nbs tax (hasdata:false and a value)"
[[ $(q "SELECT count(*) FROM observation o JOIN indicator i ON i.id=o.indicator_id WHERE i.code='tax' AND value IS NULL") == 1 ]] || fail "nbs tax: hasdata:false is stored as missing (NULL), not 0"
[[ $(q "SELECT n_new || ' ' || n_rejected FROM run WHERE source='json'") == "2 2" ]] || fail "json counts"
[[ $(q "SELECT group_concat(reason, '|') FROM reject r JOIN run ON run.id=r.run_id WHERE run.source='json'") == *'unknown unit "p07"'* ]] || fail "json reject reason"
[[ $(q "SELECT outcome FROM run WHERE source='missing'") == not_published ]] || fail "404 is not_published"

# Faulty sources: the recorded outcome and error of each.
err() { q "SELECT outcome || ': ' || coalesce(error, '') FROM run WHERE source='$1' ORDER BY id DESC LIMIT 1"; }
[[ $(err f500) == "failed: HTTP 500" ]] || fail "500: $(err f500)"
[[ $(err f429) == "ok: " ]] || fail "429 + Retry-After: $(err f429)"
[[ $(err flaky) == "ok: " ]] || fail "flaky: $(err flaky)"
[[ $(err forbidden) == "failed: HTTP 403" ]] || fail "403 without retry: $(err forbidden)"
[[ $(err drip) == "failed: "*"imed out"* ]] || fail "drip: $(err drip)"
[[ $(err hang) == "failed: "*"imed out"* ]] || fail "hang: $(err hang)"
[[ $(err truncated) == failed:* ]] || fail "truncated: $(err truncated)"
[[ $(err huge) == "failed: body larger than max_bytes (1048576)" ]] || fail "huge: $(err huge)"
[[ $(err invalid) == "failed: payload: line 1 column"* ]] || fail "invalid: $(err invalid)"
[[ $(err html) == "failed: payload: "* ]] || fail "html: $(err html)"
[[ $(err empty) == "failed: payload: empty payload" ]] || fail "empty: $(err empty)"
[[ $(q "SELECT consecutive_failures FROM source_health WHERE source='f500'") == 1 ]] || fail "health"

# Retries as configured, seen from the server's side.
stats=$(curl -s "$f/stats")
hits() { python3 -c "import json,sys; print(json.loads(sys.argv[1]).get(sys.argv[2], 0))" "$stats" "$1"; }
[[ $(hits 500) == 3 ]] || fail "500 retried twice: $stats"
[[ $(hits 429) == 2 ]] || fail "429 retried once: $stats"
[[ $(hits flaky) == 3 ]] || fail "flaky: $stats"
[[ $(hits 403) == 1 ]] || fail "403 not retried: $stats"
[[ $(hits hang) == 2 ]] || fail "hang retried once: $stats"
grep -q "/json/$month.json 200 [0-9]" "$tmp/gzip.log" || fail "nginx did not gzip the JSON"
# Everything ran in parallel: the slowest (drip 2 s, hang 2 x 1 s, 429's 1 s) bound the pass.
awk -v t="$took" 'BEGIN { exit !(t < 8) }' || fail "--once took $took s"

# ---- a second pass: the json source is in its revision window; nginx answers 304
sleep 1.2
set +e
"$bin/parkstatd" --once -c "$tmp/parkstat.json" >"$tmp/once2.out" 2>"$tmp/once2.err"
set -e
[[ $(q "SELECT outcome FROM run WHERE source='json' ORDER BY id DESC LIMIT 1") == unchanged ]] || fail "ETag -> 304 -> unchanged"
[[ $(q "SELECT count(*) FROM run WHERE source='csv'") == 1 ]] || fail "a finished pull is not repeated"
[[ $(q "SELECT count(*) FROM observation") == $(q "SELECT count(*) FROM observation WHERE valid_to IS NULL") ]] || fail "no vintages from unchanged data"
echo "ok: collectors against nginx and the fault server (${took}s)"
