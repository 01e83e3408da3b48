#!/usr/bin/env bash
# The abuse suite: parkstatd on a 2 M-row store against hostile clients on
# loopback (tests/abuse/abuse.py: attackers from 127.0.0.2 and up, the
# measuring client from 127.0.0.1), then stopped with SIGTERM. Asserts what
# abuse.py asserts (every request answered or closed by a timeout, RSS growth
# < 64 MB, /healthz p99 < 100 ms during the attacks, the documented limits
# equal the code's) and no leak:
#   - in the sanitizer build (PARKSTAT_SANITIZE=ON), LeakSanitizer checks the
#     daemon at exit, after the whole suite (the RSS limit is reported there,
#     not asserted: ASan's allocator keeps freed memory in quarantine);
#   - in the normal build, the daemon runs a second time under valgrind
#     (scripts/setup.sh --test installs it) for the attacks that reach the
#     request code (parameter bombs, headers, bad encodings, unknown
#     parameters, slow and over-limit connections): no definite leak.
# Bounded: ~2-3 minutes on 2 CPUs; every client has a timeout.
set -euo pipefail
bin=${PARKSTAT_BIN:?}
src=${PARKSTAT_SRC:?}
sanitize=${PARKSTAT_SANITIZE:-OFF}
. "$src/tests/integration/lib.sh"
with_tmp 30
here=$src/tests/abuse

command -v python3 >/dev/null || fail "python3 is missing (scripts/setup.sh --test)"
python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.2", 0))' 2>/dev/null ||
    fail "cannot bind 127.0.0.2: the attackers need loopback addresses beyond 127.0.0.1"

# ---- the store: 1 000 enterprises x 20 monthly indicators x 100 months = 2 M rows.
# The first month through `parkstat import` (schema, units, indicators, a run),
# the other 99 by one INSERT ... SELECT in the same table (seconds, not minutes).
t0=$(date +%s)
bash "$src/bench/gen_bench_data.sh" "$tmp" 20000
port=$(free_port)
echo "abuse-test-token" >"$tmp/token"
python3 - "$tmp/bench.json" "$port" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1], encoding="utf-8"))
c["server"] = {"listen": "127.0.0.1:" + sys.argv[2], "token_file": "token"}
c["database"] = "abuse.db"
json.dump(c, open(sys.argv[1], "w", encoding="utf-8"), ensure_ascii=False)
EOF
"$bin/parkstat" import --db "$tmp/abuse.db" --config "$tmp/bench.json" "$tmp/data.csv" \
    >"$tmp/import.out" 2>&1 || fail "import: $(cat "$tmp/import.out")"
rows=$(python3 - "$tmp/abuse.db" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
vf, run = c.execute("SELECT valid_from, run_id FROM observation LIMIT 1").fetchone()
c.execute("""WITH RECURSIVE m(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM m WHERE k < 99)
  INSERT INTO observation(unit_id, indicator_id, period, value, valid_from, valid_to, run_id)
  SELECT u.id, i.id, printf('%04d-%02d', 2021 + k / 12, k % 12 + 1),
         ((u.id * 7919 + i.id * 104729 + k * 1299709) % 1000003) / 100.0, ?, NULL, ?
  FROM unit u, indicator i, m WHERE u.code LIKE 'e%' ORDER BY 1, 2, 3""", (vf, run))
c.execute("INSERT OR IGNORE INTO obs_touched(unit_id) SELECT DISTINCT unit_id FROM observation")
c.commit()
print(c.execute("SELECT count(*) FROM observation WHERE valid_to IS NULL").fetchone()[0])
EOF
)
[[ $rows == 2000000 ]] || fail "the store has $rows current rows, not 2000000"
echo "store: $rows rows in $(($(date +%s) - t0)) s"

# start_daemon [WRAPPER...]: parkstatd on the store, waiting for /healthz.
start_daemon() {
    "$@" "$bin/parkstatd" -c "$tmp/bench.json" 2>"$tmp/daemon.err" &
    daemon=$!
    pids+=("$daemon")
    wait_for 60 curl -sf "http://127.0.0.1:$port/healthz" || fail "parkstatd did not answer /healthz"
}
# stop_daemon: SIGTERM, and its exit status in $rc (the sanitizers' leak report decides it).
stop_daemon() {
    kill -TERM "$daemon"
    rc=0
    wait "$daemon" || rc=$?
}

# ABUSE_PHASES: a subset of the phases (abuse.py --phases), when working on one.
abuse=(python3 "$here/abuse.py" --port "$port" --token abuse-test-token --src "$src" --strict
       --phases "${ABUSE_PHASES:-hold,limits,bombs,crowd,unfiltered}")

# ---- the whole suite against the build under test
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
start_daemon
extra=()
[[ $sanitize == ON ]] && extra+=(--no-rss)
"${abuse[@]}" --pid "$daemon" "${extra[@]}" || fail "abuse.py: see above"
stop_daemon
if grep -E 'LeakSanitizer|AddressSanitizer|runtime error' "$tmp/daemon.err" >&2; then
    fail "the sanitizers found the errors above"
fi
[[ $rc == 0 ]] || fail "parkstatd exited $rc after the suite"
# Thousands of refused requests, each one or two libmicrohttpd messages: at
# most 20 of those a minute reach the log (the suite runs 3-4 minutes).
lines=$(wc -l <"$tmp/daemon.err")
echo "daemon log: $lines lines over the suite"
((lines < 200)) || fail "the daemon logged $lines lines: a flood"

# ---- the request code under valgrind (normal build only: ASan checked it above)
if [[ $sanitize != ON ]]; then
    command -v valgrind >/dev/null || fail "valgrind is missing (scripts/setup.sh --test installs it)"
    start_daemon valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite \
        --show-leak-kinds=definite --error-exitcode=99 --log-file="$tmp/valgrind.log"
    "${abuse[@]}" --pid "$daemon" --phases limits,bombs --rounds 1 --leak-run ||
        fail "abuse.py under valgrind: see above"
    stop_daemon
    if [[ $rc != 0 ]] || grep -q 'definitely lost' "$tmp/valgrind.log"; then
        cat "$tmp/valgrind.log" >&2
        fail "valgrind: parkstatd exited $rc, leaks above"
    fi
    echo "valgrind: no definite leak after the attacks"
fi
echo "ok: abuse suite in $(($(date +%s) - t0)) s"
