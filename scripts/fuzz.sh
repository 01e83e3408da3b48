#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang, ASan + UBSan) and runs each for
# $PARKSTAT_FUZZ_SECONDS seconds (default 60), seeded from tests/fuzz/corpus/<name>.
# Any crash, leak or sanitizer report fails the run; the crashing input is kept
# in build-fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${PARKSTAT_FUZZ_SECONDS:-60}

cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
      -DPARKSTAT_FUZZ=ON >/dev/null
cmake --build build-fuzz -j"$(nproc)"

status=0
for fuzzer in build-fuzz/tests/fuzz/fuzz_*; do
    [[ -x "$fuzzer" ]] || continue
    name=$(basename "$fuzzer")
    work=build-fuzz/corpus-$name
    mkdir -p "$work"
    if [[ -d tests/fuzz/corpus/$name ]]; then
        cp -n tests/fuzz/corpus/"$name"/* "$work"/ 2>/dev/null || true
    fi
    echo "-- $name: ${secs}s"
    if ! (cd build-fuzz && "./tests/fuzz/$name" -max_total_time="$secs" -timeout=10 \
              -rss_limit_mb=2048 -print_final_stats=1 "corpus-$name" \
              >"$name.log" 2>&1); then
        echo "FAIL: $name (see build-fuzz/$name.log)"
        tail -n 40 "build-fuzz/$name.log"
        status=1
    else
        grep -E '^stat::number_of_executed_units' "build-fuzz/$name.log" || true
        echo "ok: $name"
    fi
done
exit $status
