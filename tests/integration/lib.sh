# shellcheck shell=bash
# lib.sh - helpers the integration tests share; sourced, not run.

# free_port: a TCP port free on 127.0.0.1 right now.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_for SECONDS COMMAND...: retries the command every 0.1 s; 0 once it succeeds.
wait_for() {
    local n=$(($1 * 10))
    shift
    for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
    return 1
}

# with_tmp LINES: a temporary folder $tmp (kept when KEEP is set), the
# background processes listed in pids killed at exit, and fail MESSAGE, which
# prints the message and the last LINES lines of $tmp/daemon.err, exit 1.
# (fail is defined here, when called, so tests with a fail of their own keep it.)
with_tmp() {
    tmp=$(mktemp -d)
    pids=()
    fail_lines=$1
    trap lib_cleanup EXIT
    # shellcheck disable=SC2317 # called by the test that called with_tmp
    fail() {
        echo "FAIL: $*" >&2
        [[ -f $tmp/daemon.err ]] && tail -n "$fail_lines" "$tmp/daemon.err" >&2
        exit 1
    }
}
lib_cleanup() {
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    [[ -n ${KEEP:-} ]] || rm -rf "$tmp"
}

# demo_daemon SOURCES: the demo (examples/demo) served by parkstatd. Its
# config goes to $tmp/config.json with the database $tmp/demo.db and the
# token file $tmp/token; its data files are imported and recomputed; then
# parkstatd listens on $port, $api is its URL and $tmp/daemon.err its log.
# SOURCES "none" drops the demo's sources; "feeds" points them at the empty
# folder $tmp/feeds (file://, long CSV, from 2025-10), so the pulls that fall
# due find nothing and change no value. Needs $bin, $src and with_tmp.
# shellcheck disable=SC2154 # bin and src are the sourcing test's
demo_daemon() {
    mkdir -p "$tmp/feeds"
    port=$(free_port)
    api="http://127.0.0.1:$port"
    python3 - "$src/examples/demo/config.json" "$tmp" "$1" <<'PY' || fail "demo config"
import json, sys
path, tmp, sources = sys.argv[1:]
c = json.load(open(path))
c["database"] = tmp + "/demo.db"
c["server"]["token_file"] = tmp + "/token"
if sources == "none":
    c["sources"] = []
elif sources == "feeds":
    for s in c["sources"]:
        s["url"] = "file://" + tmp + "/feeds/parks-{period}.csv"
        s["mapping"] = {"unit": "unit", "indicator": "indicator", "period": "period",
                        "value": "value"}
        s["first_period"] = "2025-10"
else:
    sys.exit("demo_daemon: SOURCES is none or feeds, not " + sources)
json.dump(c, open(tmp + "/config.json", "w"), ensure_ascii=False)
PY
    echo "demo-token" >"$tmp/token"
    "$bin/parkstat" import --db "$tmp/demo.db" --config "$tmp/config.json" \
        "$src"/examples/demo/data/synthetic_{monthly,quarterly,yearly}.csv >/dev/null ||
        fail "import"
    "$bin/parkstat" recompute --db "$tmp/demo.db" --config "$tmp/config.json" >/dev/null ||
        fail "recompute"
    "$bin/parkstatd" -c "$tmp/config.json" --listen "127.0.0.1:$port" 2>"$tmp/daemon.err" &
    pids+=($!)
    wait_for 10 curl -sf "$api/healthz" || fail "parkstatd did not answer"
}
