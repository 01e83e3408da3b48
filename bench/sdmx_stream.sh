#!/usr/bin/env bash
# sdmx_stream.sh - the national-scale SDMX answer of issue 13 (part 7):
# UNITS x IND x MONTHS observations (default 200,000 units x 10 indicators x
# 12 months = 24,000,000 rows, the shape of bench/compute_gen.py's 200k-unit
# store), imported with `parkstat import`, then parkstatd answers
#   /sdmx/2.1/data/OBS in each of FORMATS (default sdmx-csv genericdata) over
#   every row, read by curl as fast as it goes, while a slow client
#   (curl --limit-rate 1M) reads another SDMX-ML answer over every row and
#   /healthz and /api/v1/observations?unit=... are asked every 0.2 s.
# Prints per format: rows (SDMX-CSV), bytes, seconds, MB/s, the daemon's RSS
# before and its peak while sending (sampled every 0.1 s), and the slowest
# request beside. docs/BENCHMARKS.md, "SDMX data streaming", holds a run.
#
#   bash bench/sdmx_stream.sh [BUILD_DIR]     (UNITS=, IND=, MONTHS=, FORMATS=)
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
units=${UNITS:-200000}
ind=${IND:-10}
months=${MONTHS:-12}
formats=${FORMATS:-sdmx-csv genericdata}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/parkstat-bench-sdmx.XXXXXX")
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT
now() { echo "$EPOCHREALTIME"; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

awk -v units="$units" -v ind="$ind" 'BEGIN {
    printf "{\"database\": \"bench.db\", \"units\": [{\"id\": \"all\", \"name\": \"All\"}"
    for (u = 0; u < units; u++) printf ", {\"id\": \"u%06d\", \"name\": \"Unit %d\", \"parent\": \"all\"}", u, u
    printf "], \"indicators\": ["
    for (l = 0; l < ind; l++) printf "%s{\"code\": \"i%02d\", \"name\": \"Indicator %d\", \"frequency\": \"M\", \"kind\": \"stock\", \"measure\": \"t\"}", l ? ", " : "", l, l
    printf "]}\n"
}' >"$tmp/config.json"
t0=$(now)
awk -v units="$units" -v ind="$ind" -v months="$months" 'BEGIN {
    print "unit,indicator,period,value"
    for (u = 0; u < units; u++)
        for (l = 0; l < ind; l++)
            for (m = 1; m <= months; m++)
                printf "u%06d,i%02d,2025-%02d,%d.%02d\n", u, l, m, 50 + u % 1000 + l, m
}' >"$tmp/data.csv"
t1=$(now)
"$build/parkstat" import --db "$tmp/bench.db" --config "$tmp/config.json" "$tmp/data.csv" >/dev/null
t2=$(now)
rm -f "$tmp/data.csv"
rows=$((units * ind * months))
echo "store: $rows rows ($units units x $ind indicators x $months months), generated in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }') s, imported in $(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.0f", b - a }') s, $(du -m "$tmp/bench.db" | cut -f1) MB"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
"$build/parkstatd" -c "$tmp/config.json" --listen "127.0.0.1:$port" 2>"$tmp/daemon.err" &
daemon=$!
pids+=("$daemon")
for _ in $(seq 100); do curl -sf "$url/healthz" >/dev/null && break; sleep 0.1; done
curl -sf "$url/sdmx/2.1/data/OBS/u000001..?format=sdmx-csv" >/dev/null
curl -sf "$url/api/v1/observations?limit=5" >/dev/null

for fmt in $formats; do
    base=$(rss_kb "$daemon")
    # the slow client: an SDMX-ML answer over every row at 1 MB/s
    curl -s --limit-rate 1M -o /dev/null "$url/sdmx/2.1/data/OBS" &
    slow=$!
    pids+=("$slow")
    (
        peak=0
        while :; do
            r=$(rss_kb "$daemon")
            ((r > peak)) && peak=$r && echo "$peak" >"$tmp/peak"
            sleep 0.1
        done
    ) &
    sampler=$!
    pids+=("$sampler")
    (
        worst=0
        while :; do
            for p in /healthz "/api/v1/observations?unit=u000042&limit=5"; do
                t=$(curl -s -o /dev/null -w '%{time_total}' "$url$p")
                worst=$(awk -v a="$worst" -v b="$t" 'BEGIN { print (b > a ? b : a) }')
            done
            echo "$worst" >"$tmp/worst"
            sleep 0.2
        done
    ) &
    prober=$!
    pids+=("$prober")
    ts=$(now)
    if [[ $fmt == sdmx-csv ]]; then
        got=$(curl -s "$url/sdmx/2.1/data/OBS?format=$fmt" | tee >(wc -c >"$tmp/bytes") | tail -n +2 | wc -l)
    else
        curl -s -o /dev/null -w '%{size_download}' "$url/sdmx/2.1/data/OBS?format=$fmt" >"$tmp/bytes"
        got=-
    fi
    te=$(now)
    sleep 0.3
    kill "$sampler" "$prober" "$slow" 2>/dev/null || true
    wait "$sampler" "$prober" "$slow" 2>/dev/null || true
    bytes=$(cat "$tmp/bytes")
    awk -v f="$fmt" -v rows="$got" -v b="$bytes" -v a="$ts" -v e="$te" -v base="$base" \
        -v peak="$(cat "$tmp/peak")" -v worst="$(cat "$tmp/worst" 2>/dev/null || echo -)" 'BEGIN {
        printf "%-22s rows %s, %.0f MB in %.1f s (%.0f MB/s); RSS %.1f MB before, peak %.1f MB (+%.1f MB); slowest request beside %s s\n",
            f, rows, b / 1e6, e - a, b / 1e6 / (e - a), base / 1024, peak / 1024, (peak - base) / 1024, worst
    }'
    if [[ $got != - && $got != "$rows" ]]; then
        echo "sdmx_stream.sh: $fmt gave $got rows, want $rows" >&2
        exit 1
    fi
done
