#!/usr/bin/env bash
# A pull that fails because another process holds the database's write lock
# (sqlite3 BEGIN IMMEDIATE, longer than the busy timeout) is a failure
# everywhere: /metrics counts it at once, and once the lock is gone its run
# and its source health say failed with "database is locked" (they were
# shown healthy before: the failure had nowhere to be written).
set -euo pipefail
bin=${PARKSTAT_BIN:?}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
with_tmp 20
json() { python3 -c "import json,sys; d=json.load(sys.stdin)['data']; print($1)"; }

month=$(date -d "$(date +%Y-%m-01) -1 day" +%Y-%m)
port=$(free_port)
api="http://127.0.0.1:$port"
mkdir "$tmp/www"
echo "{\"data\": [{\"park\": \"p01\", \"code\": \"revenue\", \"month\": \"$month\", \"value\": 5}]}" \
    >"$tmp/www/$month.json"
echo tok >"$tmp/token"
cat >"$tmp/parkstat.json" <<EOF
{"database": "p.db", "server": {"listen": "127.0.0.1:$port", "token_file": "token"},
 "units": [{"id": "p01", "name": "P"}],
 "indicators": [{"code": "revenue", "name": "R", "frequency": "M", "kind": "flow"}],
 "sources": [{"id": "files", "url": "file://$tmp/www/{period}.json", "format": "json",
              "frequency": "M", "first_period": "$month",
              "mapping": {"records": "/data", "unit": "/park", "indicator": "/code",
                          "period": "/month", "value": "/value"}}]}
EOF
"$bin/parkstatd" -c "$tmp/parkstat.json" 2>"$tmp/daemon.err" &
pids+=($!)
healthy() { [[ $(curl -sf "$api/api/v1/sources" | json 'd[0]["last_outcome"]') == ok ]]; }
wait_for 20 healthy || fail "first pull"

# ---- another process takes the write lock and keeps it until told
python3 - "$tmp/p.db" "$tmp/locked" "$tmp/release" <<'EOF' &
import os, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
deadline = time.time() + 60
while not os.path.exists(sys.argv[3]) and time.time() < deadline:
    time.sleep(0.05)
db.execute("ROLLBACK")
EOF
pids+=($!)
wait_for 10 test -e "$tmp/locked" || fail "lock holder"
[[ $(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer tok" \
    "$api/api/v1/sources/files/pull?period=$month") == 202 ]] || fail "pull request"
wait_for 30 grep -q "source files $month: failed after" "$tmp/daemon.err" || fail "the pull did not fail"
grep -q "source files $month: failed after .*database is locked" "$tmp/daemon.err" ||
    fail "failure not named: $(grep failed "$tmp/daemon.err")"
counted() { curl -sf "$api/metrics" | grep -qx 'parkstat_pulls_total{source="files",outcome="failed"} 1'; }
wait_for 5 counted || fail "/metrics: $(curl -s "$api/metrics" | grep pulls_total)"
touch "$tmp/release"

# ---- once the lock is gone, runs and health say failed
failing() { [[ $(curl -sf "$api/api/v1/sources" | json 'd[0]["failing"]') == True ]]; }
wait_for 10 failing || fail "health after the lock: $(curl -s "$api/api/v1/sources")"
got=$(curl -sf "$api/api/v1/sources" |
    json '"|".join(str(d[0][k]) for k in ("last_outcome", "consecutive_failures"))')
[[ $got == "failed|1" ]] || fail "health: $got"
curl -sf "$api/api/v1/sources" | json 'd[0]["last_error"]' | grep -q "database is locked" ||
    fail "health error: $(curl -s "$api/api/v1/sources")"
got=$(curl -sf "$api/api/v1/runs?limit=1" | json '"|".join(str(d[0][k]) for k in ("period", "outcome"))')
[[ $got == "$month|failed" ]] || fail "newest run: $got"
curl -sf "$api/api/v1/runs?limit=1" | json 'd[0]["error"]' | grep -q "database is locked" ||
    fail "run error: $(curl -s "$api/api/v1/runs?limit=1")"
echo ok
