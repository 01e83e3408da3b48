#!/usr/bin/env bash
# scale.sh - parkstat from a city to a nation, measured with one generator
# (bench/compute_gen.py: a root with N units below it, 10 monthly stock
# indicators, 12 months of 2025, about 1 % left out; one min-max index).
#
#   bash bench/scale.sh [BUILD_DIR] [SCALE...]
#
# SCALE is city (15 units), 10k, 50k or 200k (default: city 10k 50k; 200k
# takes about 8 minutes and 5 GB of /tmp on 2 CPUs). Per scale it prints:
#   import        `parkstat import` of the CSV: wall time, peak RSS
#   recompute     `parkstat recompute --full`, first after the import (it
#                 builds the column copy) and once more: wall time, peak RSS
#   incremental   one unit's revised month imported (a one-row CSV), then
#                 `parkstat recompute` without --full: wall time, peak RSS
#   API p99       parkstatd on the store, wrk (1 thread, 4 connections, 5 s)
#                 on a ranking page of 100 (/api/v1/rankings/bench?limit=100)
#                 and on one unit's series (/api/v1/series)
#   bytes/obs     database file size (after a checkpoint) / observations
#   plain loop    bench_plain_insert (bench/plain_insert.c): one prepared
#                 INSERT into (unit, indicator, period, value) with a
#                 composite primary key, one transaction, same CSV, same run;
#                 "ingest" is its wall time / the import's (goal >= 0.7)
# Wall times and peak RSS come from GNU time (/usr/bin/time, Debian "time").
# SCALE_KEEP=DIR keeps the generated data and stores in DIR (reused when
# present) instead of a temporary directory.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
shift || true
scales=("$@")
[ ${#scales[@]} -gt 0 ] || scales=(city 10k 50k)
parkstat=$build/parkstat
parkstatd=$build/parkstatd
plain=$build/bench/bench_plain_insert
for f in "$parkstat" "$parkstatd" "$plain"; do
    [ -x "$f" ] || { echo "scale.sh: $f missing: cmake --build $build" >&2; exit 1; }
done
for t in /usr/bin/time wrk curl sqlite3 python3; do
    command -v "$t" >/dev/null || { echo "scale.sh: needs $t (scripts/setup.sh)" >&2; exit 1; }
done

if [ -n "${SCALE_KEEP:-}" ]; then
    tmp=$SCALE_KEEP
    mkdir -p "$tmp"
else
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/parkstat-bench-scale.XXXXXX")
fi
daemon=
cleanup() {
    if [ -n "$daemon" ]; then kill "$daemon" 2>/dev/null || true; fi
    if [ -z "${SCALE_KEEP:-}" ]; then rm -rf "$tmp"; fi
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# timed OUT CMD...: runs CMD under GNU time; OUT.t gets "seconds peak_kB".
timed() {
    local out=$1
    shift
    /usr/bin/time -f '%e %M' -o "$out.t" "$@" >"$out.out" 2>"$out.err" ||
        { echo "scale.sh: failed: $*" >&2; cat "$out.err" >&2; exit 1; }
}
secs() { awk '{ printf "%.2f", $1 }' "$1.t"; }
mb() { awk '{ printf "%.0f", $2 / 1024 }' "$1.t"; }

# p99 URL: wrk's 99th percentile latency in ms.
p99() {
    wrk -t1 -c4 -d5s --latency "$1" >"$tmp/wrk.out"
    awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 }
         else if (v ~ /ms$/) sub(/ms/, "", v); else if (v ~ /s$/) { sub(/s/, "", v); v *= 1000 }
         printf "%.2f", v }' "$tmp/wrk.out"
}

declare -A units=([city]=15 [10k]=10000 [50k]=50000 [200k]=200000)
rows=()
for s in "${scales[@]}"; do
    n=${units[$s]:-}
    [ -n "$n" ] || { echo "scale.sh: unknown scale $s (city, 10k, 50k, 200k)" >&2; exit 2; }
    d=$tmp/$s
    echo "== $s: $n units x 10 indicators x 12 months" >&2
    [ -s "$d/data.csv" ] || python3 "$src/bench/compute_gen.py" "$d" "$n" 10 M
    nobs=$(($(wc -l <"$d/data.csv") - 1))
    port=$(free_port)
    python3 - "$d/config.json" "$d/serve.json" "$port" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["database"] = "store.db"
c.setdefault("server", {})["listen"] = "127.0.0.1:" + sys.argv[3]
json.dump(c, open(sys.argv[2], "w"))
EOF
    cfg=$d/serve.json db=$d/store.db
    rm -f "$db" "$db-wal" "$db-shm" "$d/plain.db"*

    timed "$d/import" "$parkstat" import --quiet --db "$db" --config "$cfg" "$d/data.csv"
    timed "$d/full1" "$parkstat" recompute --db "$db" --config "$cfg" --full
    timed "$d/full2" "$parkstat" recompute --db "$db" --config "$cfg" --full
    # one unit's month revised: the first unit's first indicator in 2025-03
    printf 'unit,indicator,period,value\nu00000,i00,2025-03,%s\n' 12345.678 >"$d/revise.csv"
    timed "$d/revise" "$parkstat" import --quiet --db "$db" --config "$cfg" "$d/revise.csv"
    timed "$d/incr" "$parkstat" recompute --db "$db" --config "$cfg"
    sqlite3 "$db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
    bytes=$(stat -c %s "$db")

    "$parkstatd" -c "$cfg" 2>"$d/daemon.err" &
    daemon=$!
    t0=$EPOCHREALTIME
    for _ in $(seq 1200); do
        curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
        sleep 0.1
    done
    t1=$EPOCHREALTIME
    listen=$(awk -v a="${t0/,/.}" -v b="${t1/,/.}" 'BEGIN { printf "%.1f", b - a }')
    rank="http://127.0.0.1:$port/api/v1/rankings/bench?limit=100"
    series="http://127.0.0.1:$port/api/v1/series?unit=u00007&indicator=i03"
    for _ in $(seq 600); do # the first answers may wait for the daemon's start-up
        curl -sf -m 60 "$series" >/dev/null && break
        sleep 0.2
    done
    if ! curl -sf "$rank" >/dev/null || ! curl -sf "$series" >/dev/null; then
        echo "scale.sh: parkstatd did not answer:" >&2
        cat "$d/daemon.err" >&2
        exit 1
    fi
    p_rank=$(p99 "$rank")
    p_series=$(p99 "$series")
    drss=$(awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$daemon/status")
    kill "$daemon"
    wait "$daemon" 2>/dev/null || true
    daemon=

    timed "$d/plain" "$plain" "$d/plain.db" "$d/data.csv"
    rm -f "$d/plain.db"*

    echo "   recompute --full (first): $(cat "$d/full1.out")" >&2
    echo "   recompute --full:         $(cat "$d/full2.out")" >&2
    echo "   recompute (incremental):  $(cat "$d/incr.out")" >&2
    echo "   $(cat "$d/plain.out")" >&2
    rows+=("$(printf '%-5s %9d %8s %6s %8s %6s %8s %6s %7s %6s %7s %7s %6s %6s %6.0f %8s %8.0f %6.2f' \
        "$s" "$nobs" "$(secs "$d/import")" "$(mb "$d/import")" \
        "$(secs "$d/full1")" "$(mb "$d/full1")" "$(secs "$d/full2")" "$(mb "$d/full2")" \
        "$(secs "$d/incr")" "$(mb "$d/incr")" "$p_rank" "$p_series" "$listen" "$drss" \
        "$(awk -v b="$bytes" -v n="$nobs" 'BEGIN { print b / n }')" "$(secs "$d/plain")" \
        "$(awk -v n="$nobs" '{ print n / $1 }' "$d/plain.t")" \
        "$(awk -v p="$(secs "$d/plain")" '{ print p / $1 }' "$d/import.t")")")
done

echo "times in s, RSS in MB, p99 in ms; import/recompute: whole process (GNU time)"
printf '%-5s %9s %8s %6s %8s %6s %8s %6s %7s %6s %7s %7s %6s %6s %6s %8s %8s %6s\n' \
    scale obs import rss full1 rss full rss incr rss p99rank p99ser listen drss B/obs plain plain/s ingest
for r in "${rows[@]}"; do echo "$r"; done
