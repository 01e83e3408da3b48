#!/usr/bin/env bash
# Static checks over the project's own files, found with find (so a source
# tarball without .git is checked the same as a clone): every C file, tests/
# and bench/ included, through clang-format (.clang-format), cppcheck and
# clang-tidy (.clang-tidy, on the compile commands of the build tree, default
# build/); every shell script under scripts/ tests/ bench/ .ci/ through
# ShellCheck (.shellcheckrc). Prints how many files each tool checked, then
# "ok: lint" or the findings; exit 1 on any finding, on a missing tool, or when
# a tool was given no files at all.
# Usage: scripts/lint.sh [build-dir]
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
build=${1:-build}
status=0

fail() {
    echo "FAIL: $*"
    status=1
}

for tool in clang-format cppcheck clang-tidy shellcheck; do
    command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/setup.sh --test)"
done
((status == 0)) || exit 1

# Everything under the source root except .git, build trees, npm's
# node_modules, the built dashboard and the fuzzers' corpora and test data.
prune=(-path ./.git -o -path './build*' -o -name node_modules -o -path ./web/dist
       -o -path './tests/fuzz/corpus*' -o -path ./tests/data)
mapfile -t files < <(find . \( "${prune[@]}" \) -prune -o -type f \( -name '*.c' -o -name '*.h' \) \
                         -print | sed 's|^\./||' | LC_ALL=C sort)
mapfile -t sources < <(printf '%s\n' "${files[@]}" | grep '\.c$')
# Shell scripts: *.sh, and files whose first line names a shell.
mapfile -t scripts < <(
    find scripts tests bench .ci \( -path 'tests/fuzz/corpus*' -o -path tests/data \) -prune \
        -o -type f -print 2>/dev/null |
        while IFS= read -r f; do
            if [[ $f == *.sh ]] || head -n 1 "$f" | grep -qE '^#!.*[/ ](ba|da|k)?sh\b'; then
                echo "$f"
            fi
        done | LC_ALL=C sort)
echo "lint: ${#files[@]} C files (${#sources[@]} .c), ${#scripts[@]} shell scripts"
((${#sources[@]} > 0)) || fail "no C source files found"
((${#scripts[@]} > 0)) || fail "no shell scripts found"
((status == 0)) || exit 1

# The module include graph against docs/ARCHITECTURE.md's table: no cycle, no unlisted edge.
python3 scripts/check-deps.py . || status=1
if ! out=$(clang-format --dry-run --Werror "${files[@]}" 2>&1); then
    echo "$out" | head -n 40
    fail "clang-format (run clang-format -i on the files above)"
fi
if ! out=$(cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
        --std=c11 --inline-suppr -I . --suppress=missingIncludeSystem -j"$(nproc)" \
        "${sources[@]}" 2>&1); then
    echo "$out" | head -n 40
    fail "cppcheck"
fi
# The compile commands of the build tree (configuring writes them; the tests'
# own files are in them when the tests are configured). A file not in them, a
# fuzz harness of a build without PARKSTAT_FUZZ, gets its neighbours' flags.
[[ -f $build/compile_commands.json ]] ||
    cmake -S . -B "$build" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null ||
    fail "cmake could not configure $build for clang-tidy"
if [[ -f $build/compile_commands.json ]]; then
    out=$(printf '%s\n' "${sources[@]}" |
        xargs -P "$(nproc)" -n 1 clang-tidy -p "$build" --quiet 2>&1 |
        grep -E '(warning|error):' | sort -u)
    if [[ -n $out ]]; then
        echo "$out" | head -n 60
        fail "clang-tidy"
    fi
fi
if ! out=$(shellcheck "${scripts[@]}" 2>&1); then
    echo "$out" | head -n 60
    fail "shellcheck"
fi
((status == 0)) && echo "ok: lint"
exit $status
