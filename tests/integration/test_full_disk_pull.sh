#!/usr/bin/env bash
# A pull that fails because the database's filesystem is full (a 2 MB tmpfs,
# root only: skipped otherwise) is a failure everywhere: its run and source
# health say "disk is full" once space is back, and the daemon's retries
# while the disk stays full do not log a line every second.
set -euo pipefail
bin=${PARKSTAT_BIN:?}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[[ $(id -u) == 0 ]] || { echo "skip: needs root for a tmpfs"; exit 77; }
with_tmp 20
mnt=$tmp/disk
mkdir "$mnt"
mount -t tmpfs -o size=2m tmpfs "$mnt" || { echo "skip: tmpfs not permitted"; exit 77; }
trap 'lib_cleanup_mnt' EXIT
lib_cleanup_mnt() {
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    sleep 0.2
    umount "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
    [[ -n ${KEEP:-} ]] || rm -rf "$tmp"
}
json() { python3 -c "import json,sys; d=json.load(sys.stdin)['data']; print($1)"; }

month=$(date -d "$(date +%Y-%m-01) -1 day" +%Y-%m)
port=$(free_port)
api="http://127.0.0.1:$port"
mkdir "$tmp/www"
echo "{\"data\": [{\"park\": \"p01\", \"code\": \"revenue\", \"month\": \"$month\", \"value\": 5}]}" \
    >"$tmp/www/$month.json"
echo tok >"$tmp/token"
cat >"$tmp/parkstat.json" <<EOF
{"database": "disk/p.db", "server": {"listen": "127.0.0.1:$port", "token_file": "token"},
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


# ---- the disk fills up, the payload changes, a pull is asked for
dd if=/dev/zero of="$mnt/fill" bs=4k 2>/dev/null || true # until ENOSPC
echo "{\"data\": [{\"park\": \"p01\", \"code\": \"revenue\", \"month\": \"$month\", \"value\": 6}]}" \
    >"$tmp/www/$month.json"
[[ $(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer tok" \
    "$api/api/v1/sources/files/pull?period=$month") == 202 ]] || fail "pull request"
wait_for 20 grep -q "source files $month: failed after .*disk is full" "$tmp/daemon.err" ||
    fail "the pull did not fail on the full disk: $(tail -3 "$tmp/daemon.err")"
sleep 3 # the daemon retries every second meanwhile
n=$(grep -c "disk is full" "$tmp/daemon.err")
((n <= 6)) || fail "$n lines about the full disk in 3 s: the retries are logged"
rm "$mnt/fill"

# ---- space is back: runs and health say failed, with the reason
failing() { [[ $(curl -sf "$api/api/v1/sources" | json 'd[0]["failing"]') == True ]]; }
wait_for 10 failing || fail "health after space came back: $(curl -s "$api/api/v1/sources")"
curl -sf "$api/api/v1/sources" | json 'd[0]["last_error"]' | grep -q "disk is full" ||
    fail "health error: $(curl -s "$api/api/v1/sources")"
got=$(curl -sf "$api/api/v1/runs?limit=1" | json '"|".join(str(d[0][k]) for k in ("period", "outcome"))')
[[ $got == "$month|failed" ]] || fail "newest run: $got"
echo ok
