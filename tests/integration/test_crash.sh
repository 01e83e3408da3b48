#!/usr/bin/env bash
# kill -9 in the middle of a large ingest, then restart: no partial
# source-period, nothing committed is lost, and the missed pull resumes.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bin=${PARKSTAT_BIN:?}
tmp=$(mktemp -d)
daemon=
cleanup() {
    if [[ -n $daemon ]]; then kill -9 "$daemon" 2>/dev/null || true; fi
    [[ -n ${KEEP:-} ]] || rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
q() { sqlite3 -batch -noheader "$tmp/p.db" "$1"; }

# A small source committed first, then a large one: 2 parks x 12 months x
# 8000 years = 192,000 records (~12 MB) in one source-period.
mkdir -p "$tmp/feeds"
echo '{"data":[{"park":"p01","code":"revenue","month":"2000-01","value":1}]}' >"$tmp/feeds/small.json"
awk 'BEGIN {
    printf "{\"data\":["
    n = 0
    for (y = 1001; y <= 9000; y++)
        for (m = 1; m <= 12; m++)
            for (u = 1; u <= 2; u++)
                printf "%s{\"park\":\"p%02d\",\"code\":\"revenue\",\"month\":\"%04d-%02d\",\"value\":%d}",
                       (n++ ? "," : ""), u, y, m, y * 100 + m
    printf "]}\n"
}' >"$tmp/feeds/big.json"
port=$(free_port)
month=$(date -d "$(date +%Y-%m-01) -1 day" +%Y-%m)
cat >"$tmp/parkstat.json" <<EOF
{"database": "p.db", "log_level": "debug", "server": {"listen": "127.0.0.1:$port"},
 "units": [{"id": "city", "name": "示例市"},
           {"id": "p01", "name": "示例高新区", "parent": "city"},
           {"id": "p02", "name": "示例软件园", "parent": "city"}],
 "indicators": [{"code": "revenue", "name": "营业收入", "frequency": "M", "kind": "flow"}],
 "sources": [
   {"id": "small", "url": "file://$tmp/feeds/small.json", "format": "json", "frequency": "M",
    "first_period": "$month", "mapping": {"records": "/data", "unit": "/park",
    "indicator": "/code", "period": "/month", "value": "/value"}},
   {"id": "big", "url": "file://$tmp/feeds/big.json", "format": "json", "frequency": "M",
    "first_period": "$month", "poll_every": "1s", "mapping": {"records": "/data", "unit": "/park",
    "indicator": "/code", "period": "/month", "value": "/value"}}]}
EOF

# First pass: the big payload is not there yet (not published), the small
# one is stored and committed.
mv "$tmp/feeds/big.json" "$tmp/big.json"
"$bin/parkstatd" --once -c "$tmp/parkstat.json" >/dev/null 2>&1 || true
[[ $(q "SELECT count(*) FROM observation") == 1 ]] || fail "small source committed"
[[ $(q "SELECT outcome FROM run WHERE source='big'") == not_published ]] || fail "big not published"
mv "$tmp/big.json" "$tmp/feeds/big.json"
sleep 1.1 # the big source polls every second

# Kill the daemon while it stores the big payload: it logs (at debug level)
# "storing N records" as the pull's transaction starts writing them.
"$bin/parkstatd" -c "$tmp/parkstat.json" 2>"$tmp/daemon.err" &
daemon=$!
for _ in $(seq 1000); do
    grep -q "source big .*: storing 192000 records" "$tmp/daemon.err" && break
    sleep 0.01
done
# A pull never delays a query: while the loop thread writes the big batch,
# the API (its own threads, read-only connections) answers at once.
query_s=$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$port/api/v1/units")
kill -9 "$daemon"
wait "$daemon" 2>/dev/null || true
daemon=
big=$(q "SELECT count(*) FROM observation o JOIN run r ON r.id = o.run_id WHERE r.source='big'")
[[ $big == 0 || $big == 192000 ]] || fail "a partial source-period: $big of 192000 records"
[[ $(q "SELECT count(*) FROM observation o JOIN run r ON r.id = o.run_id WHERE r.source='small'") == 1 ]] ||
    fail "committed data lost"
[[ $(q "PRAGMA integrity_check") == ok ]] || fail "database damaged"
killed_mid=$([[ $big == 0 ]] && echo yes || echo no)
awk -v t="$query_s" 'BEGIN { exit !(t < 0.2) }' || fail "a query during the ingest took $query_s s"

# Restart: the missed pull is due again and completes.
"$bin/parkstatd" --once -c "$tmp/parkstat.json" >"$tmp/once.out" 2>&1 || true
[[ $(q "SELECT count(*) FROM observation o JOIN run r ON r.id = o.run_id WHERE r.source='big'") == 192000 ]] ||
    { cat "$tmp/once.out"; fail "the missed pull did not resume"; }
[[ $(q "SELECT value FROM observation o JOIN unit u ON u.id=o.unit_id WHERE u.code='p02' AND period='8765-04'") == 876504.0 ]] ||
    fail "a value after restart"
echo "ok: kill -9 during ingest (killed mid-ingest: $killed_mid, a query meanwhile: ${query_s}s), restart resumed the pull"
