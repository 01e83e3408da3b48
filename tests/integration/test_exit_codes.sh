#!/usr/bin/env bash
# parkstatd's error paths end in one line and a distinct sysexits.h code,
# never an abort: invalid configuration 78 (EX_CONFIG), listen address in use
# 69 (EX_UNAVAILABLE), missing token file 72 (EX_OSFILE), unreadable 77
# (EX_NOPERM), a bad web root 66 (EX_NOINPUT), a second daemon on the same
# database 75 (EX_TEMPFAIL, naming the first's PID), a database on a
# read-only filesystem 73 (EX_CANTCREAT) and on a full one 74 (EX_IOERR,
# "disk full" and the path; both root only: a small tmpfs).
set -euo pipefail
bin=${PARKSTAT_BIN:?}
tmp=$(mktemp -d)
pids=()
mnt=
cleanup() {
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    [[ -n $mnt ]] && umount "$mnt" 2>/dev/null
    [[ -n ${KEEP:-} ]] || rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    [[ -f $tmp/err ]] && tail -n 20 "$tmp/err" >&2
    exit 1
}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

config() { # listen db token-file
    cat >"$tmp/c.json" <<EOF
{"server": {"listen": "$1", "token_file": "$3"}, "database": "$2",
 "units": [{"id": "p01", "name": "P"}],
 "indicators": [{"code": "revenue", "name": "R", "frequency": "M", "kind": "flow"}]}
EOF
}
# expect CODE WHAT: runs parkstatd, wants exit CODE, no abort, a message on stderr.
expect() {
    local rc=0
    timeout 20 "$bin/parkstatd" -c "$tmp/c.json" 2>"$tmp/err" || rc=$?
    [[ $rc == "$1" ]] || fail "$2: exit $rc, wanted $1"
    grep -q -e Assertion -e Aborted "$tmp/err" && fail "$2: aborted"
    grep -q '^<3>' "$tmp/err" || fail "$2: no error message"
}
echo tok >"$tmp/token"

echo '{"units": 3' >"$tmp/c.json"
expect 78 "invalid configuration"

# ---- listen address in use: bound first by another process
port_file=$tmp/port
python3 -c 'import socket,sys,time
s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(1)
open(sys.argv[1],"w").write(str(s.getsockname()[1])); time.sleep(60)' "$port_file" &
pids+=($!)
wait_for 5 test -s "$port_file" || fail "port holder"
config "127.0.0.1:$(cat "$port_file")" p.db token
expect 69 "listen address in use"
grep -q "cannot listen on 127.0.0.1:$(cat "$port_file")" "$tmp/err" || fail "the address is not named"

port=$(free_port)
config "127.0.0.1:$port" p.db missing-token
expect 72 "missing token file"
grep -q "missing-token: cannot read the admin token file" "$tmp/err" || fail "token file not named"

# ---- an unreadable token file: a directory (root reads any file), or mode 000
mkdir "$tmp/tokendir"
config "127.0.0.1:$port" p.db tokendir
expect 77 "token file is a directory"
grep -q "tokendir: cannot read the admin token file: Is a directory" "$tmp/err" ||
    fail "unreadable token not named"
if [[ $(id -u) != 0 ]]; then
    cp "$tmp/token" "$tmp/token000"
    chmod 000 "$tmp/token000"
    config "127.0.0.1:$port" p.db token000
    expect 77 "token file mode 000"
    grep -q "token000: cannot read the admin token file: Permission denied" "$tmp/err" ||
        fail "unreadable token not named"
fi

# ---- a bad web root: missing, not a directory, without index.html
config "127.0.0.1:$port" p.db token
PARKSTAT_WEB_ROOT=$tmp/nowhere expect 66 "missing web root"
grep -q "$tmp/nowhere: bad web root (PARKSTAT_WEB_ROOT): No such file" "$tmp/err" ||
    fail "missing web root not named"
PARKSTAT_WEB_ROOT=$tmp/token expect 66 "web root is a file"
grep -q "$tmp/token: bad web root (PARKSTAT_WEB_ROOT): not a directory" "$tmp/err" ||
    fail "file as web root not named"
mkdir "$tmp/web"
PARKSTAT_WEB_ROOT=$tmp/web expect 66 "web root without index.html"
grep -q "$tmp/web: bad web root (PARKSTAT_WEB_ROOT): cannot read index.html" "$tmp/err" ||
    fail "web root without index.html not named"
[[ $(grep -c . "$tmp/err") -le 2 ]] || fail "more than one line for a bad web root"

# ---- a second daemon on the same database is refused, naming the first
config "127.0.0.1:$port" p.db token
"$bin/parkstatd" -c "$tmp/c.json" 2>"$tmp/first.err" &
first=$!
pids+=("$first")
wait_for 10 curl -sf "http://127.0.0.1:$port/healthz" || fail "first daemon"
[[ $(cat "$tmp/p.db.lock") == "$first" ]] || fail "lock file does not hold the PID"
config "127.0.0.1:$(free_port)" p.db token
expect 75 "second daemon"
grep -q "in use by another parkstatd (PID $first" "$tmp/err" || fail "first PID not named"
kill -TERM "$first"
wait "$first" || fail "first daemon exit $?"

# ---- read-only filesystem (needs root for the tmpfs)
if [[ $(id -u) == 0 ]]; then
    mnt=$tmp/ro
    mkdir "$mnt"
    mount -t tmpfs -o size=1m,ro tmpfs "$mnt" || { mnt=; echo "no tmpfs: read-only case skipped"; }
    if [[ -n $mnt ]]; then
        config "127.0.0.1:$(free_port)" "$mnt/p.db" token
        expect 73 "read-only filesystem"
        umount "$mnt"
    fi
    # ---- a full filesystem: the database made first, then the disk filled
    mount -t tmpfs -o size=2m tmpfs "$mnt" || { mnt=; echo "no tmpfs: full-disk case skipped"; }
    if [[ -n $mnt ]]; then
        config "127.0.0.1:$(free_port)" "$mnt/p.db" token
        "$bin/parkstatd" --once -c "$tmp/c.json" >/dev/null 2>&1 || fail "database on the tmpfs"
        dd if=/dev/zero of="$mnt/fill" bs=4k 2>/dev/null || true # until ENOSPC
        expect 74 "full filesystem (existing database)"
        grep -q "^<3>$mnt/p.db: no space left on the filesystem (disk full)" "$tmp/err" ||
            fail "full disk not named as such"
        rm "$mnt"/p.db*
        expect 74 "full filesystem (new database)"
        grep -qi -e "disk full" -e "no space left" "$tmp/err" || fail "full disk (new database)"
        grep -q "$mnt/p.db" "$tmp/err" || fail "full disk: path not named"
    fi
fi
echo ok
