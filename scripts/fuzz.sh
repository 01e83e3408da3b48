#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang, ASan + UBSan) and runs each for
# $PARKSTAT_FUZZ_SECONDS seconds (default 60), two at a time, seeded from
# tests/fuzz/corpus/<name>. Any crash, leak or sanitizer report fails the run;
# the log and the crashing input stay in build-fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${PARKSTAT_FUZZ_SECONDS:-60}
jobs=$(nproc)

cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
      -DPARKSTAT_FUZZ=ON >/dev/null
cmake --build build-fuzz -j"$jobs"

run_one() {
    local name=$1 secs=$2
    local work=build-fuzz/corpus-$name
    mkdir -p "$work"
    if [[ -d tests/fuzz/corpus/$name ]]; then
        cp -n tests/fuzz/corpus/"$name"/* "$work"/ 2>/dev/null || true
    fi
    if (cd build-fuzz && "./tests/fuzz/$name" -max_total_time="$secs" -timeout=10 \
            -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$name-" \
            "corpus-$name" >"$name.log" 2>&1); then
        echo "ok: $name ($(grep -m1 -oE 'stat::number_of_executed_units: [0-9]+' \
            "build-fuzz/$name.log" | grep -oE '[0-9]+$') runs in ${secs} s)"
    else
        echo "FAIL: $name (build-fuzz/$name.log)"
        tail -n 40 "build-fuzz/$name.log"
        return 1
    fi
}
export -f run_one

names=()
for fuzzer in build-fuzz/tests/fuzz/fuzz_*; do
    [[ -x "$fuzzer" ]] && names+=("$(basename "$fuzzer")")
done
echo "fuzzing ${#names[@]} harnesses for ${secs} s each, $jobs at a time"
# shellcheck disable=SC2016 # $1 and $2 are the inner bash's arguments
printf '%s\n' "${names[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one "$1" "$2"' _ {} "$secs"
