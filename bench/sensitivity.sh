#!/usr/bin/env bash
# sensitivity.sh - the Monte Carlo uncertainty and sensitivity analysis of the
# demo's city index (15 parks, 24 indicators in 6 dimensions), timed:
#
#   bash bench/sensitivity.sh [BUILD_DIR] [RUNS] [REPEATS]   (defaults: build, 1000, 5)
#
# Imports examples/demo into a temporary database, recomputes, then REPEATS
# times `parkstat sensitivity monitoring --period 2025-Q4 --runs RUNS` (all four
# assumptions varied) under /usr/bin/time; prints the analysis's own time (the
# tool reports it), the whole process's wall time and peak RSS, as medians.
# Goal (issue 12): 1,000 replications in <= 1 s.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
runs=${2:-1000}
repeats=${3:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cfg=$src/examples/demo/config.json
"$build/parkstat" import --db "$tmp/d.db" --config "$cfg" "$src"/examples/demo/data/synthetic_*.csv >/dev/null
"$build/parkstat" recompute --db "$tmp/d.db" --config "$cfg" >/dev/null
for _ in $(seq "$repeats"); do
    /usr/bin/time -f '%e %M' -o "$tmp/time" "$build/parkstat" sensitivity monitoring --period 2025-Q4 \
        --runs "$runs" --db "$tmp/d.db" --config "$cfg" >"$tmp/out"
    analysis=$(sed -nE 's/.* evaluations in ([0-9.]+) s.*/\1/p' "$tmp/out")
    evals=$(sed -nE 's/.* ([0-9]+) evaluations in .*/\1/p' "$tmp/out")
    echo "$analysis $(cat "$tmp/time") $evals"
done | sort -n | awk -v runs="$runs" -v n="$repeats" '
    { a[NR] = $1; w[NR] = $2; r[NR] = $3; e = $4 }
    END { m = int((n + 1) / 2)
          printf "median of %d: %d runs (%d evaluations): analysis %.3f s, process %.2f s, peak RSS %d KB\n",
                 n, runs, e, a[m], w[m], r[m]
          printf "goal: %d replications <= 1 s: %s\n", runs, a[m] <= 1 ? "met" : "NOT met" }'
