#!/usr/bin/env bash
# Consistency checks through the CLI: the zone example (a zone reporting a
# revenue of 25 over parks reporting 11 and 15) imported, recomputed and
# listed by `parkstat checks --db` as a hierarchy violation with value 25,
# expected 26 and the vintage of the zone's observation; a corrected total
# (26) clears it at the next recompute. Through parkstatd: `parkstat checks
# --url` lists the same row, /metrics counts it by rule and the bulletin of
# 2024-Q1 shows it as a data note.
# Needs PARKSTAT_BIN and PARKSTAT_SRC.
set -euo pipefail
bin=${PARKSTAT_BIN:?}/parkstat
src=${PARKSTAT_SRC:?}
tmp=$(mktemp -d)
daemon=
cleanup() {
    if [[ -n $daemon ]]; then kill "$daemon" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
db=$tmp/ck.db
sed 's/"t.db"/"ck.db"/' "$src/tests/data/compute/checks.json" >"$tmp/cfg.json"
{
    printf 'unit,indicator,period,value\nzone,revenue,2024-01,25\np1,revenue,2024-01,11\n'
    printf 'p2,revenue,2024-01,15\n'
    # the rest of the quarter, for the bulletin of 2024-Q1
    printf 'p1,revenue,2024-02,10\np1,revenue,2024-03,10\np2,revenue,2024-02,10\np2,revenue,2024-03,10\n'
} >"$tmp/d.csv"

"$bin" import --db "$db" --config "$tmp/cfg.json" "$tmp/d.csv" >/dev/null || fail "import"
"$bin" recompute --db "$db" --config "$tmp/cfg.json" >"$tmp/out" || fail "recompute"
grep -q "^1 consistency check violation(s)" "$tmp/out" || fail "recompute: $(cat "$tmp/out")"

"$bin" checks --db "$db" --format csv >"$tmp/csv" || fail "checks"
vintage=$(sqlite3 "$db" "SELECT strftime('%Y-%m-%dT%H:%M:%S', o.valid_from / 1e6, 'unixepoch')
    FROM observation o JOIN unit u ON u.id = o.unit_id WHERE u.code = 'zone'")
run=$(sqlite3 "$db" "SELECT o.run_id FROM observation o JOIN unit u ON u.id = o.unit_id
    WHERE u.code = 'zone'")
want="zone_parts,hierarchy,zone,revenue,2024-01,25,26,parent is not the sum of its children,flag,$vintage,$run"
[ "$(sed -n 2p "$tmp/csv" | sed 's/\.[0-9]*Z,/,/')" = "$want" ] ||
    fail "row: $(cat "$tmp/csv") want $want"
[ "$(wc -l <"$tmp/csv")" = 2 ] || fail "rows: $(cat "$tmp/csv")"
"$bin" checks --db "$db" --rule sum --format csv | grep -q zone && fail "rule filter"
"$bin" checks --db "$db" --period 2024-13 2>/dev/null && fail "bad period accepted"

# ---- the same through parkstatd
port=$(free_port)
url=http://127.0.0.1:$port
"${PARKSTAT_BIN}/parkstatd" -c "$tmp/cfg.json" --listen "127.0.0.1:$port" 2>"$tmp/daemon.err" &
daemon=$!
for _ in $(seq 100); do
    curl -sf "$url/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done
"$bin" checks --url "$url" --format csv >"$tmp/api.csv" || fail "checks --url"
grep -q '^zone_parts,hierarchy,zone,revenue,2024-01,25,26,' "$tmp/api.csv" ||
    fail "checks --url: $(cat "$tmp/api.csv")"
[ "$(wc -l <"$tmp/api.csv")" = 2 ] || fail "checks --url rows: $(cat "$tmp/api.csv")"
# the bulletin's data notes: the violation of a month within its quarter (Markdown
# escapes the _ of the check id)
"$bin" report ix --url "$url" --period 2024-Q1 --format md >"$tmp/report.md" || fail "report"
grep -qF "data note: zone revenue 2024-01: parent is not the sum of its children (25, expected 26; check zone\\_parts, hierarchy)" \
    "$tmp/report.md" || fail "report: $(cat "$tmp/report.md")"
curl -sf "$url/metrics" | grep -q '^parkstat_check_violations{rule="hierarchy"} 1$' ||
    fail "metrics: $(curl -sf "$url/metrics" | grep check)"
kill -TERM "$daemon"
wait "$daemon" || fail "parkstatd exit $?: $(tail -5 "$tmp/daemon.err")"
daemon=

printf 'unit,indicator,period,value\nzone,revenue,2024-01,26\n' >"$tmp/fix.csv"
"$bin" import --db "$db" --config "$tmp/cfg.json" "$tmp/fix.csv" >/dev/null || fail "import fix"
"$bin" recompute --db "$db" --config "$tmp/cfg.json" >"$tmp/out" || fail "recompute 2"
grep -q "violation" "$tmp/out" && fail "still a violation: $(cat "$tmp/out")"
[ "$("$bin" checks --db "$db" --format csv | wc -l)" = 1 ] || fail "not cleared"
echo "ok"
