#!/usr/bin/env bash
# test_series_kept.sh - a parent's series read from the column copy
# (X-Parkstat-Computed: columns) and answered again from its kept roll-up
# (kept) is byte for byte the answer computed from every row of its subtree
# by a daemon that kept nothing, on a copy of the store without the column
# copy (subtree): the demo's root "city", a cumulative flow, a quarterly
# stock, rates of formulas, growth transforms and conversions to quarters
# and years. After a revision (a new data epoch: revised and missing values,
# a status of the city's own, none of it in the column copy yet) the series
# is read from the columns and the touched units' rows again, with the
# revised values, and kept again from then on.
# Needs PARKSTAT_BIN and PARKSTAT_SRC.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bin=${PARKSTAT_BIN:?}
src=${PARKSTAT_SRC:?}
with_tmp 20
demo_daemon none

# get URI OUT: the answer's body into OUT; prints its X-Parkstat-Computed.
get() {
    curl -sf -D "$tmp/head" -o "$2" "$api$1" || fail "GET $1"
    tr -d '\r' <"$tmp/head" | awk -F': ' 'tolower($1) == "x-parkstat-computed" { print $2 }'
}
# fresh URI OUT: the answer of a daemon just started on a copy of the store
# (one daemon per store).
mkdir -p "$tmp/fresh"
sed "s|$tmp/demo.db|$tmp/fresh/demo.db|" "$tmp/config.json" >"$tmp/fresh/config.json"
fresh() {
    local port2 pid how
    port2=$(free_port)
    rm -f "$tmp/fresh/demo.db"*
    sqlite3 "$tmp/demo.db" ".backup '$tmp/fresh/demo.db'" || fail "copy of the store"
    # without the column copy: every unit's rows are read
    sqlite3 "$tmp/fresh/demo.db" "DELETE FROM obs_column;
        INSERT OR IGNORE INTO obs_touched(unit_id) SELECT id FROM unit" || fail "dropping the copy"
    "$bin/parkstatd" -c "$tmp/fresh/config.json" --listen "127.0.0.1:$port2" \
        2>>"$tmp/daemon2.err" &
    pid=$!
    pids+=("$pid")
    wait_for 10 curl -sf "http://127.0.0.1:$port2/healthz" || fail "a second parkstatd"
    curl -sf -D "$tmp/head2" -o "$2" "http://127.0.0.1:$port2$1" || fail "fresh GET $1"
    how=$(tr -d '\r' <"$tmp/head2" | awk -F': ' 'tolower($1) == "x-parkstat-computed" { print $2 }')
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    [[ $how == subtree ]] || fail "a fresh daemon answered $1 from '$how', not its subtree's rows"
}

s="/api/v1/series?unit=city"
# per indicator: the first URI reads the subtree, the others use what it kept
groups=(
    "revenue: &transform=yoy &transform=pop&from=2000-Q1 &transform=ytd_yoy&from=2000"
    "employees: &transform=yoy &from=2000"
    "profit_margin: &transform=pop &from=2000-Q1"
    "rd_intensity: &transform=yoy&from=2000"
)
n=0
for g in "${groups[@]}"; do
    ind=${g%%:*}
    how=$(get "$s&indicator=$ind" "$tmp/first")
    [[ $how == columns ]] || fail "$ind: the first answer came from '$how', not the columns"
    fresh "$s&indicator=$ind" "$tmp/sub"
    cmp -s "$tmp/first" "$tmp/sub" || fail "$ind: the columns' answer differs from the rows':
$(diff <(python3 -m json.tool "$tmp/first") <(python3 -m json.tool "$tmp/sub") | head -20)"
    for v in ${g#*:}; do
        uri="$s&indicator=$ind$v"
        how=$(get "$uri" "$tmp/kept")
        [[ $how == kept ]] || fail "$uri: answered from '$how', not the kept roll-up"
        fresh "$uri" "$tmp/sub"
        cmp -s "$tmp/kept" "$tmp/sub" || fail "$uri: the kept answer differs from the subtree's:
$(diff <(python3 -m json.tool "$tmp/kept") <(python3 -m json.tool "$tmp/sub") | head -20)"
        grep -q '"value": *[0-9-]' "$tmp/kept" || fail "$uri: no value in $(head -c 300 "$tmp/kept")"
        n=$((n + 1))
    done
done
echo "$n kept answers and ${#groups[@]} from the columns identical to the subtree's rows'"

# a revision: a new epoch, so the columns again, with the revised month, the
# touched units' rows over the columns: a missing month of a park (the
# city's is then incomplete) and the city's own employees with a status
uri="$s&indicator=revenue&transform=yoy"
get "$uri" "$tmp/before" >/dev/null
"$bin/parkstat" import --db "$tmp/demo.db" --config "$tmp/config.json" \
    "$src/examples/demo/data/revision_2025-11.csv" >/dev/null || fail "import of the revision"
printf 'unit,indicator,period,value,status\np06,revenue,2025-07,,c\ncity,employees,2025-Q3,4321,p\n' \
    >"$tmp/more.csv"
"$bin/parkstat" import --db "$tmp/demo.db" --config "$tmp/config.json" "$tmp/more.csv" \
    >/dev/null || fail "import of a missing month and a status"
[ "$(sqlite3 "$tmp/demo.db" 'SELECT count(*) FROM obs_touched')" -gt 0 ] ||
    fail "the revision touched no unit"
how=$(get "$uri" "$tmp/after")
[[ $how == columns ]] || fail "after the revision: answered from '$how', not the columns"
cmp -s "$tmp/before" "$tmp/after" && fail "the revision did not change the root's revenue"
fresh "$uri" "$tmp/sub"
cmp -s "$tmp/after" "$tmp/sub" || fail "after the revision: differs from a fresh daemon's"
uri="$s&indicator=revenue&from=2025-Q1"
how=$(get "$uri" "$tmp/kept")
[[ $how == kept ]] || fail "after the revision: $uri answered from '$how', not kept again"
fresh "$uri" "$tmp/sub"
cmp -s "$tmp/kept" "$tmp/sub" || fail "after the revision: $uri differs from the subtree's"
for uri in "$s&indicator=revenue&from=2025-07&to=2025-07" \
    "$s&indicator=employees&from=2025-Q3&to=2025-Q3"; do
    how=$(get "$uri" "$tmp/one")
    [[ $how == columns || $how == kept ]] || fail "$uri: answered from '$how'"
    fresh "$uri" "$tmp/sub"
    cmp -s "$tmp/one" "$tmp/sub" || fail "after the revision: $uri differs from the rows':
$(cat "$tmp/one") $(cat "$tmp/sub")"
done
# independent of either path: the city's revenue of July lacks p06's, its
# employees of Q3 are its own, with the status given
get "$s&indicator=revenue&from=2025-07&to=2025-07" "$tmp/one" >/dev/null
python3 - "$tmp/one" <<'PY' || fail "July's revenue: $(cat "$tmp/one")"
import json, sys
p = json.load(open(sys.argv[1]))["data"]["points"][0]
assert p["period"] == "2025-07" and "incomplete" in p["flags"] and p["coverage"] < 1, p
PY
get "$s&indicator=employees&from=2025-Q3&to=2025-Q3" "$tmp/one" >/dev/null
python3 - "$tmp/one" <<'PY' || fail "Q3's employees: $(cat "$tmp/one")"
import json, sys
p = json.load(open(sys.argv[1]))["data"]["points"][0]
assert p["period"] == "2025-Q3" and p["value"] == 4321 and p["status"] == "p", p
PY
echo "after a revision: the columns and touched rows, then kept again, identical to a fresh daemon's"
