#!/usr/bin/env bash
# The systemd files as `cmake --install` lays them out: systemd-analyze verify
# is clean and the offline security analysis gives an exposure of 2.0 or less.
set -euo pipefail
bin=${PARKSTAT_BIN:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
command -v systemd-analyze >/dev/null || fail "systemd-analyze is missing (Debian package systemd)"

DESTDIR=$tmp cmake --install "$bin" >/dev/null
unit=$(find "$tmp" -name parkstatd.service)
[[ -n $unit ]] || fail "parkstatd.service not installed"
[[ -f $(dirname "$unit")/../../sysusers.d/parkstat.conf ]] || fail "sysusers file not installed"
[[ -f $(dirname "$unit")/../../tmpfiles.d/parkstat.conf ]] || fail "tmpfiles file not installed"
sbin=$(sed -n 's#^ExecStart=\(.*\)/parkstatd .*#\1#p' "$unit")
[[ -x $tmp$sbin/parkstatd ]] || fail "parkstatd not installed where ExecStart says ($sbin)"

# verify resolves ExecStart= on this machine: point a copy at the staged binary.
sed "s#$sbin/parkstatd#$tmp$sbin/parkstatd#g" "$unit" >"$tmp/parkstatd.service"
out=$(systemd-analyze verify "$tmp/parkstatd.service" 2>&1) || fail "verify: $out"
# Only messages about this unit count (the host's own units may be noisy).
if grep -q 'parkstatd.service' <<<"$out"; then fail "verify: $out"; fi

exposure=$(systemd-analyze security --offline=true "$unit" 2>&1 |
    sed -n 's/.*Overall exposure level for parkstatd.service: \([0-9.]*\).*/\1/p')
[[ -n $exposure ]] || fail "no exposure level"
awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }' || fail "exposure $exposure > 2.0"
{ grep -q '^Type=notify' "$unit" && grep -q '^WatchdogSec=' "$unit" &&
    grep -q "^ExecReload=/bin/kill -HUP \$MAINPID" "$unit"; } || fail "unit basics"
echo "ok: systemd unit verified, exposure $exposure"
