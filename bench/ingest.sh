#!/usr/bin/env bash
# ingest.sh - the ingest benchmark: `parkstat import` against a raw SQLite loop.
#
#   bash bench/ingest.sh [BUILD_DIR] [N]      (defaults: build, 1000000)
#
# Generates N observations (1000 enterprises x 20 monthly indicators x N/20000
# months, bench/gen_bench_data.sh) in a temporary folder, then three times, side by
# side on fresh databases:
#   import  `parkstat import --db A.db --config bench.json data.csv`, wall time of
#           the whole process (config load, schema, parse, validation, ingest);
#   raw     bench_raw_insert B.db data.csv: the same rows through one prepared
#           INSERT in one transaction (bench/raw_insert.c); it reports its load
#           time (the transaction) and its total (parse + load).
# Prints the medians in obs/s and the ratios import / raw (goal: >= 0.6).
# Needs bash, awk, coreutils; sqlite3 (CLI) is used to count rows when present.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
n=${2:-1000000}
runs=3
raw_bin=$build/bench/bench_raw_insert
import_bin=$build/parkstat

[ -x "$raw_bin" ] || { echo "ingest.sh: $raw_bin missing: cmake --build $build --target bench_raw_insert" >&2; exit 1; }
have_import=1
[ -x "$import_bin" ] || { echo "ingest.sh: $import_bin missing: measuring the raw loop only" >&2; have_import=0; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/parkstat-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

now() { date +%s.%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.0f", n / t }'; }
count_rows() {
    if command -v sqlite3 >/dev/null; then sqlite3 "$1" 'SELECT count(*) FROM observation'; else echo "?"; fi
}

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(uname -sr)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "generating $n observations in $tmp"
bash "$src/bench/gen_bench_data.sh" "$tmp" "$n"
rows=$(($(wc -l < "$tmp/data.csv") - 1))
echo "data.csv: $rows rows, $(du -h "$tmp/data.csv" | cut -f1)"

: > "$tmp/import.times"; : > "$tmp/raw.load"; : > "$tmp/raw.total"
for run in $(seq 1 "$runs"); do
    if [ "$have_import" = 1 ]; then
        rm -f "$tmp"/A.db*
        t0=$(now)
        "$import_bin" import --db "$tmp/A.db" --config "$tmp/bench.json" "$tmp/data.csv" \
            > "$tmp/import.out" 2>&1 || { cat "$tmp/import.out" >&2; exit 1; }
        t1=$(now)
        t=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')
        echo "$t" >> "$tmp/import.times"
        stored=$(count_rows "$tmp/A.db")
        echo "run $run import: $t s, $(rate "$rows" "$t") obs/s, $stored rows in A.db;" \
             "parkstat said: $(grep -m1 'rows read' "$tmp/import.out" || tail -n1 "$tmp/import.out")"
    fi
    rm -f "$tmp"/B.db*
    "$raw_bin" "$tmp/B.db" "$tmp/data.csv" > "$tmp/raw.out" || exit 1
    load=$(sed -n 's/^RAW .*load_s=\([0-9.]*\).*/\1/p' "$tmp/raw.out")
    total=$(sed -n 's/^RAW .*total_s=\([0-9.]*\).*/\1/p' "$tmp/raw.out")
    echo "$load" >> "$tmp/raw.load"; echo "$total" >> "$tmp/raw.total"
    [ "$run" = 1 ] && sed -n 's/^SQLite /SQLite library /p' "$tmp/raw.out"
    echo "run $run raw:    load $load s ($(rate "$rows" "$load") obs/s), total $total s" \
         "($(rate "$rows" "$total") obs/s), $(count_rows "$tmp/B.db") rows in B.db"
    if [ "$have_import" = 1 ]; then
        echo "run $run ratio import / raw parse+load: $(awk -v i="$t" -v r="$total" 'BEGIN { printf "%.2f", r / i }')"
    fi
done

raw_load=$(median < "$tmp/raw.load")
raw_total=$(median < "$tmp/raw.total")
echo
echo "median of $runs runs, $rows observations:"
echo "  raw loop, load only (1 transaction):  $(rate "$rows" "$raw_load") obs/s  ($raw_load s)"
echo "  raw loop, parse + load:               $(rate "$rows" "$raw_total") obs/s  ($raw_total s)"
if [ "$have_import" = 1 ]; then
    imp=$(median < "$tmp/import.times")
    echo "  parkstat import (whole process):      $(rate "$rows" "$imp") obs/s  ($imp s)"
    awk -v i="$imp" -v l="$raw_load" -v t="$raw_total" 'BEGIN {
        printf "  ratio import / raw parse+load:  %.2f (goal >= 0.6)\n", t / i
        printf "  ratio import / raw load only:   %.2f\n", l / i
    }'
fi
echo "load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
