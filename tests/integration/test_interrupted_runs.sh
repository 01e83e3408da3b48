#!/usr/bin/env bash
# Runs left open by a crash are closed as `interrupted` at the next start of
# parkstatd or `parkstat import`: an import killed with kill -9 in the middle
# of a large file, and rows whose PID is dead or unknown. A run of a process
# still alive (an import beside the daemon) stays open.
set -euo pipefail
bin=${PARKSTAT_BIN:?}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
with_tmp 20
q() { sqlite3 -batch -noheader "$tmp/p.db" "$1"; }

cat >"$tmp/parkstat.json" <<EOF
{"database": "p.db", "server": {"listen": "127.0.0.1:$(free_port)"},
 "units": [$(for u in $(seq -w 1 10); do printf '{"id": "p%s", "name": "P"},' "$u"; done | sed 's/,$//')],
 "indicators": [{"code": "revenue", "name": "R", "frequency": "M", "kind": "flow"}]}
EOF
printf 'unit,indicator,period,value\np01,revenue,2024-01,100\n' >"$tmp/small.csv"
# 10 units x 12 months x 9000 years = 1,080,000 rows: seconds of work to kill.
awk 'BEGIN { print "unit,indicator,period,value"
    for (y = 1000; y <= 9999; y++) for (m = 1; m <= 12; m++) for (u = 1; u <= 10; u++)
        printf "p%02d,revenue,%04d-%02d,%d\n", u, y, m, y + m }' >"$tmp/big.csv"
import() { "$bin/parkstat" import --db "$tmp/p.db" --config "$tmp/parkstat.json" "$@"; }

import "$tmp/small.csv" >/dev/null 2>"$tmp/daemon.err" || fail "first import"
[[ $(q "SELECT pid IS NOT NULL AND outcome = 'ok' FROM run") == 1 ]] || fail "a run records its PID"

# ---- kill -9 an import while its run is open
"$bin/parkstat" import --db "$tmp/p.db" --config "$tmp/parkstat.json" "$tmp/big.csv" >/dev/null 2>&1 &
victim=$!
pids+=("$victim")
one_open() { [[ $(q "SELECT count(*) FROM run WHERE ended_at IS NULL") == 1 ]]; }
wait_for 60 one_open ||
    fail "the big import's run never showed open"
kill -9 "$victim"
wait "$victim" 2>/dev/null || true
[[ $(q "SELECT count(*) FROM run WHERE ended_at IS NULL AND outcome IS NULL") == 1 ]] ||
    fail "kill -9 did not leave the run open (nothing to test)"

# the next import closes it, naming the dead PID, and runs its own to the end
import "$tmp/small.csv" >/dev/null 2>"$tmp/daemon.err" || fail "import after the kill"
grep -q "1 run(s) left open by a crash closed as interrupted" "$tmp/daemon.err" ||
    fail "import did not say it closed the run"
[[ $(q "SELECT outcome || '|' || (ended_at >= started_at) || '|' || error FROM run
        WHERE source = 'import:big.csv'") == "interrupted|1|interrupted: process $victim ended before the run" ]] ||
    fail "killed import's run: $(q "SELECT * FROM run WHERE source = 'import:big.csv'")"
[[ $(q "SELECT count(*) FROM run WHERE ended_at IS NULL OR outcome IS NULL") == 0 ]] ||
    fail "runs still open after the import"

# ---- parkstatd at its start: a dead PID and an unknown one are closed, a live one stays
sleep 60 &
alive=$!
pids+=("$alive")
true &
dead=$!
wait "$dead"
q "INSERT INTO run(source, started_at, pid) VALUES('import:alive.csv', 1, $alive),
     ('import:dead.csv', 2, $dead), ('import:old.csv', 3, NULL)"
"$bin/parkstatd" --once -c "$tmp/parkstat.json" >/dev/null 2>"$tmp/daemon.err" || fail "--once exit $?"
grep -q "2 run(s) left open by a crash closed as interrupted" "$tmp/daemon.err" ||
    fail "parkstatd did not say it closed 2 runs"
[[ $(q "SELECT source || ':' || coalesce(outcome, 'open') FROM run WHERE started_at <= 3 ORDER BY started_at") == \
    "import:alive.csv:open
import:dead.csv:interrupted
import:old.csv:interrupted" ]] || fail "daemon start: $(q "SELECT source, outcome, pid FROM run")"
kill "$alive"
wait "$alive" 2>/dev/null || true
echo ok
