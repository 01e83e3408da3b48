#!/usr/bin/env bash
# Sets up (Debian packages), builds and runs every test:
#   1. the normal build: cmocka unit tests and integration tests (ctest);
#   2. the same tests built with clang, ASan + UBSan (ctest);
#   3. the libFuzzer harnesses, each for $PARKSTAT_FUZZ_SECONDS (default 60) s;
#   4. lint: clang-format, cppcheck, clang-tidy and shellcheck stay quiet.
# Ends with one line "N passed, M failed" over all three stages, followed by
# ", K skipped" when ctest skipped tests (exit 77: data not found, say).
# Usage: scripts/test.sh [--quick]   (--quick: stage 1 only)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
jobs=$(nproc)
logs=$(mktemp -d)
status=0

bash scripts/setup.sh --test || exit 1

echo "== build (RelWithDebInfo) and test"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null &&
    cmake --build build -j"$jobs" || exit 1
bash scripts/build-web.sh || status=1 # web/dist for the dashboard test
ctest --test-dir build --output-on-failure -j"$jobs" 2>&1 | tee "$logs/ctest.log" || status=1

if [[ "${1:-}" != "--quick" ]]; then
    echo "== ASan + UBSan build (clang) and test"
    cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
          -DPARKSTAT_SANITIZE=ON >/dev/null &&
        cmake --build build-asan -j"$jobs" || exit 1
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
        ctest --test-dir build-asan --output-on-failure -j"$jobs" 2>&1 |
        tee "$logs/ctest-asan.log" || status=1

    echo "== fuzz harnesses"
    bash scripts/fuzz.sh 2>&1 | tee "$logs/fuzz.log" || status=1

    echo "== lint: clang-format, cppcheck, clang-tidy, shellcheck"
    bash scripts/lint.sh build 2>&1 | tee "$logs/lint.log" || status=1
fi

# One closing line over every stage.
passed=0
failed=0
skipped=0
for f in "$logs"/ctest*.log; do
    line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$f" | tail -n 1)
    total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
    bad=$(sed -E 's/.*passed, ([0-9]+) tests failed.*/\1/' <<<"$line")
    [[ -n $total ]] || { status=1; continue; }
    skip=$(grep -c -- '\*\*\*Skipped' "$f")
    passed=$((passed + total - bad - skip))
    failed=$((failed + bad))
    skipped=$((skipped + skip))
done
if [[ -f $logs/lint.log ]]; then
    if grep -q '^ok: lint' "$logs/lint.log"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
fi
if [[ -f $logs/fuzz.log ]]; then
    passed=$((passed + $(grep -c '^ok: fuzz_' "$logs/fuzz.log")))
    failed=$((failed + $(grep -c '^FAIL: fuzz_' "$logs/fuzz.log")))
fi
rm -rf "$logs"
((failed == 0)) || status=1
echo "$passed passed, $failed failed$( ((skipped == 0)) || echo ", $skipped skipped")"
exit $status
