#!/usr/bin/env bash
# Runs the README's two commands on a bare Debian 12, as a new user would:
# debootstraps bookworm (minbase: what a plain debian:12 container has) into a
# folder, unpacks the committed tree there without .git (git archive HEAD),
# with ../shared beside it, and runs inside it, as root:
#   1. bash scripts/test.sh --quick   (or the full test.sh with --full)
#   2. bash scripts/demo.sh           until it serves the dashboard and the API
#      on http://127.0.0.1:$PORT/, then Ctrl-C (SIGINT), as a person would.
# Everything the tree needs must come from its own scripts (setup.sh installs
# Debian's packages, Node.js 18 among them; build-web.sh the npm packages).
# Needs root, debootstrap (installed when missing) and a Debian mirror.
#
# Usage: scripts/check-bare-debian.sh [--full] [--root DIR] [--cache DIR] [--fresh]
#   --full   run every stage of test.sh (ASan, fuzz, lint), not only --quick;
#            PARKSTAT_FUZZ_SECONDS (default here 5) is passed on
#   --root   where the Debian 12 tree goes (default /var/tmp/parkstat-deb12)
#   --cache  keep downloaded .debs there for the next run (debootstrap --cache-dir)
#   --fresh  remove an existing --root first (otherwise it is reused, with the
#            packages a previous run installed: quicker, less bare)
# Slow (minutes: a few hundred MB of packages); not part of .ci/run.
# Ends with "N passed, M failed" over test.sh and the demo; logs in ROOT/logs.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
root=/var/tmp/parkstat-deb12
cache=
fresh=
full=
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
while (($#)); do
    case $1 in
    --full) full=1 ;;
    --root) root=$2; shift ;;
    --cache) cache=$2; shift ;;
    --fresh) fresh=1 ;;
    *) echo "usage: $0 [--full] [--root DIR] [--cache DIR] [--fresh]" >&2; exit 2 ;;
    esac
    shift
done
[[ $(id -u) -eq 0 ]] || { echo "check-bare-debian: needs root (debootstrap, chroot, mount)" >&2; exit 1; }
shared=$src/../shared
[[ -d $shared ]] || { echo "check-bare-debian: $shared is missing (the tests read ../shared)" >&2; exit 1; }
git -C "$src" rev-parse HEAD >/dev/null || { echo "check-bare-debian: $src is not a git tree" >&2; exit 1; }
if ! command -v debootstrap >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

mounted=()
cleanup() {
    # Processes left in the chroot (a daemon after a failure) hold its mounts.
    for p in /proc/[0-9]*; do
        [[ $(readlink "$p/root" 2>/dev/null) == "$root" ]] && kill -9 "${p#/proc/}" 2>/dev/null
    done
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
# Refuses to remove a root that still has something mounted under it.
if [[ -n $fresh && -d $root ]]; then
    if grep -q " $root/" /proc/mounts; then
        echo "check-bare-debian: $root has mounts; not removing it" >&2
        exit 1
    fi
    rm -rf --one-file-system "$root"
fi
t0=$SECONDS
if [[ ! -f $root/etc/debian_version ]]; then
    echo "== debootstrap bookworm (minbase) into $root"
    args=(--variant=minbase)
    [[ -n $cache ]] && { mkdir -p "$cache"; args+=(--cache-dir="$(cd "$cache" && pwd)"); }
    debootstrap "${args[@]}" bookworm "$root" "$mirror" >"$root.debootstrap.log" 2>&1 ||
        { tail -n 20 "$root.debootstrap.log" >&2; exit 1; }
    # The suites a Debian 12 installation or the debian:12 image has.
    cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security} bookworm-security main
EOF
    # Package installs in the chroot start no services on this machine's network.
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
    chmod +x "$root/usr/sbin/policy-rc.d"
    echo "   $((SECONDS - t0)) s"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
# Where this machine reaches the registries through a TLS proxy with its own
# CA (NODE_EXTRA_CA_CERTS), npm in the chroot needs that CA too; nothing else
# of the host goes in.
extra_ca=()
if [[ -n ${NODE_EXTRA_CA_CERTS:-} && -f $NODE_EXTRA_CA_CERTS ]]; then
    cp "$NODE_EXTRA_CA_CERTS" "$root/etc/host-extra-ca.crt"
    extra_ca=(NODE_EXTRA_CA_CERTS=/etc/host-extra-ca.crt)
fi
for m in proc sys dev dev/pts dev/shm; do
    mkdir -p "$root/$m"
    case $m in
    proc) mount -t proc proc "$root/proc" ;;
    sys) mount -t sysfs sys "$root/sys" ;;
    dev/shm) mount -t tmpfs -o mode=1777 shm "$root/dev/shm" ;;
    *) mount --bind "/$m" "$root/$m" ;;
    esac
    mounted+=("$root/$m")
done

echo "== the tree as committed ($(git -C "$src" rev-parse --short HEAD)), without .git, in /src/parkstat"
rm -rf "$root/src"
mkdir -p "$root/src/parkstat" "$root/logs"
git -C "$src" archive HEAD | tar -x -C "$root/src/parkstat"
cp -a "$shared" "$root/src/shared"
# A plain container's environment: root's HOME and PATH, no LANG (the POSIX locale).
in_chroot() { chroot "$root" /usr/bin/env -i HOME=/root \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PARKSTAT_FUZZ_SECONDS="${PARKSTAT_FUZZ_SECONDS:-5}" "${extra_ca[@]}" "$@"; }

passed=0
failed=0
test_cmd="bash scripts/test.sh --quick"
[[ -n $full ]] && test_cmd="bash scripts/test.sh"
echo "== chroot: cd /src/parkstat && $test_cmd"
t0=$SECONDS
if in_chroot /bin/bash -c "cd /src/parkstat && $test_cmd" >"$root/logs/test.log" 2>&1; then
    rc=0
else
    rc=$?
fi
echo "   exit $rc after $((SECONDS - t0)) s; log $root/logs/test.log"
grep -E 'tests passed|tests failed out of|^(ok|FAIL)|[0-9]+ passed, [0-9]+ failed' "$root/logs/test.log" | sed 's/^/   /'
((rc == 0)) && passed=$((passed + 1)) || failed=$((failed + 1))

# The demo on the default address unless something here already uses it.
listen=127.0.0.1:8080
if curl -s -o /dev/null --max-time 2 "http://$listen/" 2>/dev/null; then
    listen=127.0.0.1:18080
fi
echo "== chroot: cd /src/parkstat && bash scripts/demo.sh   (PARKSTAT_DEMO_LISTEN=$listen)"
t0=$SECONDS
setsid chroot "$root" /usr/bin/env -i HOME=/root \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin PARKSTAT_DEMO_LISTEN=$listen "${extra_ca[@]}" \
    /bin/bash -c 'cd /src/parkstat && exec bash scripts/demo.sh' >"$root/logs/demo.log" 2>&1 &
demo=$!
ok=
for _ in $(seq 1200); do
    if grep -q 'parkstatd is running' "$root/logs/demo.log"; then ok=1; break; fi
    kill -0 "$demo" 2>/dev/null || break
    sleep 0.5
done
url=http://$listen
if [[ -n $ok ]]; then
    page=$(in_chroot curl -sf "$url/") || ok=
    grep -q '<title>' <<<"$page" || ok=
    ranking=$(in_chroot curl -sf "$url/api/v1/rankings/monitoring?period=2025-Q4") || ok=
    parks=$(grep -o '"unit":"p[0-9]*"' <<<"$ranking" | sort -u | wc -l)
    ((parks == 15)) || ok=
    echo "   serving after $((SECONDS - t0)) s: GET / $(wc -c <<<"$page") bytes, ranking of $parks parks"
fi
kill -INT -- -"$demo" 2>/dev/null || true
for _ in $(seq 50); do kill -0 "$demo" 2>/dev/null || break; sleep 0.2; done
if kill -0 "$demo" 2>/dev/null; then
    echo "   demo.sh did not stop on Ctrl-C" >&2
    ok=
fi
wait "$demo" 2>/dev/null || true
if [[ -n $ok ]]; then
    passed=$((passed + 1))
    echo "   ok: demo served the dashboard and stopped on Ctrl-C; log $root/logs/demo.log"
else
    failed=$((failed + 1))
    echo "   FAIL: demo; log $root/logs/demo.log" >&2
    tail -n 30 "$root/logs/demo.log" >&2
fi
# shellcheck disable=SC2016 # expanded inside the chroot
in_chroot /bin/sh -c 'echo "   Debian $(cat /etc/debian_version), $(node --version 2>&1), npm $(npm --version 2>&1), $(/usr/bin/chromium --version 2>&1)"'
echo "$passed passed, $failed failed"
((failed == 0))
