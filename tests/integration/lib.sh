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
