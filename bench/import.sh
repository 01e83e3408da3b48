#!/usr/bin/env bash
# import.sh - peak memory and speed of `parkstat import` on one long CSV.
#
#   bash bench/import.sh [BUILD_DIR] [UNITS] [RUNS]     (defaults: build, 200000, 1)
#
# Writes UNITS units x 10 monthly indicators x 12 months (about 1 % left out:
# 23.76 M rows, 671 MB for 200 000 units) with bench/compute_gen.py in a
# temporary folder, then RUNS times imports it into a fresh database under
# /usr/bin/time -v and prints the wall time, rows/s and peak RSS of each run.
# Goal (issue 11): peak RSS <= 150 MB at 200 000 units. The data is kept in
# $PARKSTAT_BENCH_DIR when that is set (generating it takes a minute).
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
units=${2:-200000}
runs=${3:-1}
bin=$build/parkstat
[[ -x $bin ]] || { echo "import.sh: $bin missing: cmake --build $build" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "import.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

dir=${PARKSTAT_BENCH_DIR:-}
if [[ -z $dir ]]; then
    dir=$(mktemp -d "${TMPDIR:-/tmp}/parkstat-import.XXXXXX")
    trap 'rm -rf "$dir"' EXIT
fi
data=$dir/u$units
if [[ ! -f $data/data.csv ]]; then
    python3 "$src/bench/compute_gen.py" "$data" "$units" 10 M
fi
rows=$(($(wc -l <"$data/data.csv") - 1))
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "data: $rows rows, $(stat -c %s "$data/data.csv") bytes, $units units"
for r in $(seq "$runs"); do
    rm -f "$dir/bench.db" "$dir/bench.db-wal" "$dir/bench.db-shm"
    echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
    /usr/bin/time -v "$bin" import --quiet --db "$dir/bench.db" --config "$data/config.json" \
        "$data/data.csv" >"$dir/out" 2>"$dir/time"
    secs=$(awk -F': ' '/Elapsed/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$dir/time")
    rss=$(awk -F': ' '/Maximum resident/ { print $2 }' "$dir/time")
    awk -v r="$r" -v s="$secs" -v n="$rows" -v k="$rss" \
        'BEGIN { printf "run %d: %.1f s, %.0f rows/s, peak RSS %.1f MB\n", r, s, n / s, k / 1024 }'
    cat "$dir/out"
done
