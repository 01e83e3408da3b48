#!/usr/bin/env bash
# The database deleted under a running parkstatd: /healthz turns 503 naming
# the reason, and a recompute requested afterwards creates no new file there.
set -euo pipefail
bin=${PARKSTAT_BIN:?}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
with_tmp 20
port=$(free_port)
api="http://127.0.0.1:$port"
echo tok >"$tmp/token"
cat >"$tmp/c.json" <<EOF
{"server": {"listen": "127.0.0.1:$port", "token_file": "token"}, "database": "p.db",
 "units": [{"id": "p01", "name": "P"}],
 "indicators": [{"code": "revenue", "name": "R", "frequency": "M", "kind": "flow"}]}
EOF
"$bin/parkstatd" -c "$tmp/c.json" 2>"$tmp/daemon.err" &
pids+=($!)
wait_for 10 curl -sf "$api/healthz" || fail "daemon did not start"
rm "$tmp/p.db" "$tmp/p.db-wal" "$tmp/p.db-shm" 2>/dev/null || true
unhealthy() { [[ $(curl -s -o "$tmp/body" -w '%{http_code}' "$api/healthz") == 503 ]]; }
wait_for 10 unhealthy || fail "/healthz did not turn 503"
grep -q "p.db was deleted under the daemon" "$tmp/body" || fail "reason: $(cat "$tmp/body")"
[[ $(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer tok" "$api/api/v1/recompute") == 202 ]] || fail "recompute request"
sleep 1 # the recompute debounce; its absence is what is checked
[[ -e $tmp/p.db ]] && fail "a new database was created at the path"
grep -q "^<3>database .*p.db was deleted" "$tmp/daemon.err" || fail "not logged"
echo ok
