#!/usr/bin/env bash
# A leaked admin token is rotated by writing the token file anew and sending
# SIGHUP: from the reload on the old token is refused (401) and the new one
# accepted (202). An unreadable token file fails the reload and the running
# token stays in force.
set -euo pipefail
bin=${PARKSTAT_BIN:?}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
with_tmp 20
port=$(free_port)
api="http://127.0.0.1:$port"
code() { curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $1" "$api/api/v1/recompute"; }

echo "old-token" >"$tmp/token"
cat >"$tmp/parkstat.json" <<EOF
{"server": {"listen": "127.0.0.1:$port", "token_file": "token"}, "database": "p.db",
 "units": [{"id": "p01", "name": "P"}],
 "indicators": [{"code": "revenue", "name": "R", "frequency": "M", "kind": "flow"}]}
EOF
"$bin/parkstatd" -c "$tmp/parkstat.json" 2>"$tmp/daemon.err" &
daemon=$!
pids+=("$daemon")
wait_for 10 curl -sf "$api/healthz" || fail "daemon did not start"
[[ $(code old-token) == 202 ]] || fail "old token before the reload: $(code old-token)"
[[ $(code new-token) == 401 ]] || fail "new token before the reload"

# ---- rotate: the old token stops working at the reload
echo "new-token" >"$tmp/token"
kill -HUP "$daemon"
wait_for 10 grep -q "configuration reloaded" "$tmp/daemon.err" || fail "no reload"
[[ $(code old-token) == 401 ]] || fail "old token still accepted after the reload"
[[ $(code new-token) == 202 ]] || fail "new token refused after the reload"

# ---- an unreadable token file: the reload fails, the running token stays
chmod 000 "$tmp/token"
if [[ $(id -u) == 0 ]]; then rm "$tmp/token"; fi # root reads mode 000 files
kill -HUP "$daemon"
wait_for 10 grep -q "reload failed" "$tmp/daemon.err" || fail "reload with no token file did not fail"
grep -q "token.*cannot read the admin token file" "$tmp/daemon.err" || fail "the file is not named"
[[ $(code new-token) == 202 ]] || fail "the running token was dropped by a failed reload"
grep -q -e old-token -e new-token "$tmp/daemon.err" && fail "a token appeared in the log"
kill -TERM "$daemon"
wait "$daemon" || fail "exit status $?"
echo ok
