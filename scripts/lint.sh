#!/usr/bin/env bash
# Static checks over every C file the project tracks: clang-format (the
# repository's .clang-format), cppcheck, and clang-tidy (.clang-tidy, on the
# compile commands of build/). Prints "ok: lint" or the findings; exit 1 on any.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
status=0
mapfile -t files < <(git ls-files '*.c' '*.h' | grep -v '^tests/')
mapfile -t sources < <(printf '%s\n' "${files[@]}" | grep '\.c$')

if ! out=$(clang-format --dry-run --Werror "${files[@]}" 2>&1); then
    echo "$out" | head -n 40
    echo "FAIL: clang-format (run clang-format -i on the files above)"
    status=1
fi
if ! out=$(cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
        --std=c11 --inline-suppr -I . --suppress=missingIncludeSystem -j"$(nproc)" \
        "${sources[@]}" 2>&1); then
    echo "$out" | head -n 40
    echo "FAIL: cppcheck"
    status=1
fi
[[ -f $build/compile_commands.json ]] ||
    cmake -S . -B "$build" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
if ! out=$(printf '%s\n' "${sources[@]}" |
        xargs -P "$(nproc)" -n 8 clang-tidy -p "$build" --quiet 2>&1 |
        grep -E '(warning|error):' | sort -u); then
    : # grep found nothing: clean
elif [[ -n $out ]]; then
    echo "$out" | head -n 60
    echo "FAIL: clang-tidy"
    status=1
fi
((status == 0)) && echo "ok: lint"
exit $status
