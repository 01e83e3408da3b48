#!/usr/bin/env bash
# Sets up (Debian packages), builds and runs every test:
#   1. the normal build: cmocka unit tests and integration tests (ctest);
#   2. the same tests built with ASan + UBSan (ctest);
#   3. the libFuzzer harnesses, each for $PARKSTAT_FUZZ_SECONDS (default 60) s,
#      seeded from tests/fuzz/corpus/.
# Usage: scripts/test.sh [--quick]   (--quick skips the sanitizer and fuzz stages)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

bash scripts/setup.sh --test

echo "== build (RelWithDebInfo) and test"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"

if [[ "${1:-}" == "--quick" ]]; then
    exit 0
fi

echo "== ASan + UBSan build and test"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
      -DPARKSTAT_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j"$jobs"

echo "== fuzz harnesses"
bash scripts/fuzz.sh
