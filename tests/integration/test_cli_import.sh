#!/usr/bin/env bash
# test_cli_import.sh - the real `parkstat` binary on a temporary database: the
# summary line and exit codes of `parkstat import`, and `parkstat observations`
# as of a time before and after a revision, in table, CSV and JSON.
# Needs PARKSTAT_BIN (build dir) and PARKSTAT_SRC (source dir), as ctest sets.
set -euo pipefail
bin=${PARKSTAT_BIN:?}/parkstat
src=${PARKSTAT_SRC:?}
cfg=$src/tests/data/import_config.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db=$tmp/t.db

fail() {
    echo "FAIL: $*" >&2
    for f in "$tmp"/out "$tmp"/err; do [[ -f $f ]] && sed "s|^|  $(basename "$f"): |" "$f" >&2; done
    exit 1
}
# run EXPECTED_STATUS CMD...: runs CMD with stdout/stderr in $tmp/out, $tmp/err.
run() {
    local want=$1 rc=0
    shift
    "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
    [[ $rc == "$want" ]] || fail "exit $rc, expected $want: $*"
}

# --version, --help, unknown commands and options.
run 0 "$bin" --version
grep -qx 'parkstat [0-9]*\.[0-9]*\.[0-9]*' "$tmp/out" || fail "--version"
run 0 "$bin" --help
{ grep -q '^  import ' "$tmp/out" && grep -q '^  observations ' "$tmp/out"; } || fail "--help"
run 2 "$bin" frobnicate
{ grep -q 'unknown command "frobnicate"' "$tmp/err" && grep -q '^usage:' "$tmp/err"; } || fail usage
run 2 "$bin"
run 2 "$bin" import --db "$db" data.csv
grep -q -- '--config is required' "$tmp/err" || fail "import without --config"

# Rejected rows do not fail the import: exit 0, one summary line on stdout.
cp "$src/tests/data/csv/bad_rows.csv" "$tmp/"
(cd "$tmp" && run 0 "$bin" import --db t.db --config "$cfg" bad_rows.csv)
[[ "$(cat "$tmp/out")" == \
   "bad_rows.csv: 21 rows read, 6 stored (6 new, 0 revised, 0 unchanged), 15 rejected, 1 missing" ]] ||
    fail "summary"
grep -qx 'bad_rows.csv:5: unknown indicator "revnue"' "$tmp/err" || fail "reject line"
grep -qx 'bad_rows.csv:14: duplicate of line 2' "$tmp/err" || fail "duplicate line"
[[ $(grep -c "^bad_rows.csv:" "$tmp/err") == 15 ]] || fail "one stderr line per reject"

# A missing file or header column is exit 1; the other files are still imported.
run 1 "$bin" import --db "$db" --config "$cfg" "$tmp/nope.csv"
grep -q "nope.csv: No such file or directory" "$tmp/err" || fail "missing file message"
run 1 "$bin" import --db "$db" --config "$cfg" "$src/tests/data/csv/missing_column.csv" \
    "$src/tests/data/csv/good_bom_crlf.csv"
grep -q 'missing_column.csv:1: missing column "period"' "$tmp/err" || fail "missing column"
# bad_rows.csv stored p1 revenue 2023-01 (10) and 2023-02 (11): both are revised.
grep -q 'good_bom_crlf.csv: 3 rows read, 3 stored (1 new, 2 revised, 0 unchanged), 0 rejected' \
    "$tmp/out" || fail "second file"

# The progress line: on a terminal (script gives a pty) by default, never when
# stderr is a file unless --progress, never with --quiet. It is wiped (ESC[K)
# before the rejects and at the end, so the terminal keeps only messages.
{ printf 'unit,indicator,period,value\n'; for y in $(seq 2001 2200); do for m in 01 02 03 04 05 06 07 08 09 10 11 12; do printf 'p2,revenue,%s-%s,%s\n' "$y" "$m" "$m"; done; done; } >"$tmp/prog.csv"
size=$(stat -c %s "$tmp/prog.csv")
script -qec "$bin import --db $tmp/p1.db --config $cfg $tmp/prog.csv" /dev/null >"$tmp/tty" 2>&1 ||
    fail "import on a pty"
grep -aq "prog.csv: 100% $((size / 1000)).[0-9] kB of $((size / 1000)).[0-9] kB, [0-9]* rows/s" "$tmp/tty" ||
    fail "no progress line on a terminal: $(od -c "$tmp/tty" | head)"
grep -aq $'\r\e\[K' "$tmp/tty" || fail "progress line not wiped"
grep -aq 'prog.csv: 2400 rows read, 2400 stored' "$tmp/tty" || fail "summary on a pty"
script -qec "$bin import --quiet --db $tmp/p2.db --config $cfg $tmp/prog.csv" /dev/null >"$tmp/tty" 2>&1 ||
    fail "import --quiet on a pty"
if grep -aq 'rows/s' "$tmp/tty"; then fail "--quiet showed a progress line"; fi
run 0 "$bin" import --db "$tmp/p3.db" --config "$cfg" "$tmp/prog.csv"
[[ ! -s $tmp/err ]] || fail "progress or messages when stderr is not a terminal: $(cat "$tmp/err")"
run 0 "$bin" import --progress --db "$tmp/p4.db" --config "$cfg" "$tmp/prog.csv"
grep -aq 'prog.csv: 100% .* rows/s' "$tmp/err" || fail "--progress without a terminal"

# A revision: as of a time between the imports the old value is seen.
printf 'unit,indicator,period,value\np1,revenue,2024-01,100\np1,revenue,2024-02,200\n' >"$tmp/v1.csv"
printf 'unit,indicator,period,value\np1,revenue,2024-01,120\np1,revenue,2024-02,200\n' >"$tmp/v2.csv"
run 0 "$bin" import --db "$db" --config "$cfg" "$tmp/v1.csv"
sleep 0.01
between=$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)
sleep 0.01
run 0 "$bin" import --db "$db" --config "$cfg" "$tmp/v2.csv"
grep -q 'v2.csv: 2 rows read, 2 stored (0 new, 1 revised, 1 unchanged), 0 rejected' "$tmp/out" ||
    fail "revision summary"

q=(observations --db "$db" --unit p1 --indicator revenue --from 2024-01 --to 2024-01)
run 0 "$bin" "${q[@]}" --as-of "$between" --format csv
[[ $(sed -n 1p "$tmp/out") == "unit,indicator,period,value,valid_from,valid_to,status" ]] || fail "csv header"
sed -n 2p "$tmp/out" | grep -q '^p1,revenue,2024-01,100,20[0-9-]*T[0-9:.]*Z,20[0-9-]*T[0-9:.]*Z,$' ||
    fail "as-of value"
run 0 "$bin" "${q[@]}" --format csv
sed -n 2p "$tmp/out" | grep -q '^p1,revenue,2024-01,120,[^,]*,,$' || fail "current value"
run 0 "$bin" "${q[@]}" --history --format json
[[ $(grep -c '"value":' "$tmp/out") == 2 ]] || fail "history rows"
{ grep -q '"value": 100' "$tmp/out" && grep -q '"value": 120' "$tmp/out" &&
    grep -q '"valid_to": null' "$tmp/out"; } || fail "json"
run 0 "$bin" observations --db "$db" --unit p1 --indicator revenue --from 2024-01 --to 2024-02
[[ $(wc -l <"$tmp/out") == 3 ]] || fail "table rows"
# The value column is right-aligned under its header.
awk 'NR == 1 { end = index($0, "value") + 4 } NR > 1 { if (substr($0, end, 1) != "0") exit 1 }' \
    "$tmp/out" || fail "table alignment"

run 2 "$bin" observations --db "$db" --as-of yesterday
grep -q -- '--as-of: "yesterday"' "$tmp/err" || fail "bad --as-of message"
run 2 "$bin" observations --db "$db" --from 2024-13
run 1 "$bin" observations --db "$tmp/none.db"
echo "ok"
