#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang, ASan + UBSan) and runs each for
# $PARKSTAT_FUZZ_SECONDS seconds (default 60), two at a time, seeded from
# tests/fuzz/corpus/<name> and, for the payload readers, the agencies' files
# of up to 64 KiB in $PARKSTAT_REAL (default ../shared/real; said when
# absent). Any crash, leak or sanitizer report fails the run; the log and the
# crashing input stay in build-fuzz/.
# Usage: scripts/fuzz.sh [HARNESS...]   (default: every fuzz_* harness)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${PARKSTAT_FUZZ_SECONDS:-60}
jobs=$(nproc)
real=${PARKSTAT_REAL:-../shared/real}
if [[ -d $real ]]; then
    real=$(cd "$real" && pwd)
else
    echo "fuzz: no $real: seeded from tests/fuzz/corpus only"
    real=
fi
export real

cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
      -DPARKSTAT_FUZZ=ON >/dev/null
cmake --build build-fuzz -j"$jobs"

# The real payloads each reader's harness starts from, as globs in $real.
real_seeds() {
    case $1 in
    fuzz_format_sdmxml) echo '*_generic21.xml *_ss21*.xml *_ss30.xml' ;;
    fuzz_format_sdmxcsv) echo '*sdmxcsv*.csv' ;;
    fuzz_format_nbs | fuzz_json_long) echo 'nbs_*.json' ;;
    fuzz_xlsx) echo '*.xlsx' ;;
    esac
}
export -f real_seeds

run_one() {
    local name=$1 secs=$2
    local work=build-fuzz/corpus-$name
    mkdir -p "$work"
    if [[ -d tests/fuzz/corpus/$name ]]; then
        cp -n tests/fuzz/corpus/"$name"/* "$work"/ 2>/dev/null || true
    fi
    if [[ -n $real ]]; then
        local glob globs
        read -ra globs <<<"$(real_seeds "$name")"
        for glob in "${globs[@]}"; do
            find "$real" -maxdepth 1 -name "$glob" -size -65k -exec cp -n {} "$work"/ \;
        done
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

names=("$@")
if ((${#names[@]} == 0)); then
    for fuzzer in build-fuzz/tests/fuzz/fuzz_*; do
        [[ -x "$fuzzer" ]] && names+=("$(basename "$fuzzer")")
    done
fi
echo "fuzzing ${#names[@]} harnesses for ${secs} s each, $jobs at a time"
# shellcheck disable=SC2016 # $1 and $2 are the inner bash's arguments
printf '%s\n' "${names[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one "$1" "$2"' _ {} "$secs"
