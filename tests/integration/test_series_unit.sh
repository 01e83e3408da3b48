#!/usr/bin/env bash
# One unit's series as GET /api/v1/series computes it (a snapshot of the
# unit's subtree, compute_open_unit) equals the whole-store snapshot's, for
# every indicator x transform of the demo (31 indicators:
# cumulative flows, quarterly and yearly stocks, rates of sums, formulas) and
# at each coarser frequency, of its 16 parents and every 25th of its 1000
# enterprises (all 1016 units take three minutes a state), in the three states of the column copy the
# store's years are read from: not yet built (the table is walked), fresh
# after a recompute (its keys), and with a revision touched since (its keys
# and the touched units' rows). Each subtree is read both ways: every row of
# its units, and the column copy's columns of the indicator and its inputs
# with the touched units' rows (the latter must be what was read once the
# copy exists: "N from columns"). Before the recompute a park's cumulative
# revenue goes missing (into the copy); the revision adds, not yet in the
# copy, another missing month and a revised one with a status.
# Needs PARKSTAT_BIN and PARKSTAT_SRC.
set -euo pipefail
bin=${PARKSTAT_BIN:?}
demo=${PARKSTAT_SRC:?}/examples/demo
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
db=$tmp/demo.db
# cmp_all STATE COLUMNS: COLUMNS is "none" (no subtree could be read from the
# column copy) or "some"
cmp_all() {
    "$bin/tests/series_unit_cmp" "$demo/config.json" "$db" 25 >"$tmp/cmp" || fail "$1: $(cat "$tmp/cmp")"
    grep -q " identical$" "$tmp/cmp" || fail "$1: $(cat "$tmp/cmp")"
    local n
    n=$(sed -n 's/.*indicators, \([0-9]*\) from columns.*/\1/p' "$tmp/cmp")
    [[ -n $n ]] || fail "$1: no count of column reads in $(cat "$tmp/cmp")"
    if [[ $2 == none ]]; then
        [[ $n == 0 ]] || fail "$1: $n subtrees read from a column copy that does not exist"
    else
        ((n > 0)) || fail "$1: no subtree was read from the column copy"
    fi
    echo "$1: $(cat "$tmp/cmp")"
}
# a missing month of a park's year-to-date revenue, kept in the copy
printf 'unit,indicator,period,value,status\np02,revenue,2025-06,,c\n' >"$tmp/missing.csv"
# after the copy: another missing month and a revised one with a status
printf 'unit,indicator,period,value,status\np06,revenue,2025-07,,c\np05,revenue,2025-09,999.5,p\n' \
    >"$tmp/revise.csv"

"$bin/parkstat" import --db "$db" --config "$demo/config.json" \
    "$demo"/data/synthetic_monthly.csv "$demo"/data/synthetic_quarterly.csv \
    "$demo"/data/synthetic_yearly.csv "$demo"/data/synthetic_enterprises.csv >/dev/null ||
    fail "import"
"$bin/parkstat" import --db "$db" --config "$demo/config.json" "$tmp/missing.csv" >/dev/null ||
    fail "import of the missing month"
[ "$(sqlite3 "$db" "SELECT count(*) FROM observation WHERE value IS NULL AND valid_to IS NULL")" = 1 ] ||
    fail "the missing value was not stored as missing"
[ "$(sqlite3 "$db" 'SELECT count(*) FROM obs_column')" -gt 0 ] || fail "the import built no column copy"
# no copy yet, as in a store filled by pulls: the copy dropped, every unit touched
sqlite3 "$db" 'DELETE FROM obs_column; INSERT OR IGNORE INTO obs_touched(unit_id) SELECT id FROM unit'
cmp_all "no column copy" none
"$bin/parkstat" recompute --db "$db" --config "$demo/config.json" >/dev/null || fail "recompute"
[ "$(sqlite3 "$db" 'SELECT count(*) FROM obs_touched')" = 0 ] || fail "units touched after a recompute"
cmp_all "column copy" some
"$bin/parkstat" import --db "$db" --config "$demo/config.json" "$demo"/data/revision_2025-11.csv \
    "$tmp/revise.csv" >/dev/null || fail "import of the revision"
[ "$(sqlite3 "$db" 'SELECT count(*) FROM obs_touched')" -gt 0 ] || fail "the revision touched no unit"
cmp_all "column copy and touched units" some
