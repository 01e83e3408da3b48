#!/usr/bin/env bash
# The database deleted under a running parkstatd: /healthz turns 503 naming
# the reason, systemd hears it as STATUS= (and the watchdog keeps being fed:
# a restart would open a new empty database), and a recompute requested
# afterwards creates no new file there.
set -euo pipefail
bin=${PARKSTAT_BIN:?}
src=${PARKSTAT_SRC:?}
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
python3 "$src/tests/integration/notify_listener.py" "$tmp/notify.sock" "$tmp/notify.log" &
pids+=($!)
wait_for 5 grep -q LISTENING "$tmp/notify.log" || fail "notify listener"
NOTIFY_SOCKET=$tmp/notify.sock WATCHDOG_USEC=400000 \
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
grep -qx "STATUS=database $tmp/p.db was deleted under the daemon: writes stopped, restart" \
    "$tmp/notify.log" || fail "systemd did not hear STATUS=: $(grep STATUS= "$tmp/notify.log")"
# the watchdog goes on after the loss (every 0.2 s): more pings 1 s later
n=$(grep -c '^WATCHDOG=1' "$tmp/notify.log")
sleep 1
(($(grep -c '^WATCHDOG=1' "$tmp/notify.log") > n)) || fail "the watchdog stopped after the loss"
echo ok
