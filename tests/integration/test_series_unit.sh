#!/usr/bin/env bash
# One unit's series as GET /api/v1/series computes it (a snapshot of the
# unit's subtree, compute_open_unit) equals the whole-store snapshot's, for
# every indicator x transform of the demo (31 indicators:
# cumulative flows, quarterly and yearly stocks, rates of sums, formulas) and
# at each coarser frequency, of its 16 parents and every 25th of its 1000
# enterprises (all 1016 units take three minutes a state), in the three states of the column copy the
# store's years are read from: not yet built (the table is walked), fresh
# after a recompute (its keys), and with a revision touched since (its keys
# and the touched units' rows).
# Needs PARKSTAT_BIN and PARKSTAT_SRC.
set -euo pipefail
bin=${PARKSTAT_BIN:?}
demo=${PARKSTAT_SRC:?}/examples/demo
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
db=$tmp/demo.db
cmp_all() {
    "$bin/tests/series_unit_cmp" "$demo/config.json" "$db" 25 >"$tmp/cmp" || fail "$1: $(cat "$tmp/cmp")"
    grep -q " identical$" "$tmp/cmp" || fail "$1: $(cat "$tmp/cmp")"
    echo "$1: $(cat "$tmp/cmp")"
}

"$bin/parkstat" import --db "$db" --config "$demo/config.json" \
    "$demo"/data/synthetic_monthly.csv "$demo"/data/synthetic_quarterly.csv \
    "$demo"/data/synthetic_yearly.csv "$demo"/data/synthetic_enterprises.csv >/dev/null ||
    fail "import"
[ "$(sqlite3 "$db" 'SELECT count(*) FROM obs_column')" = 0 ] || fail "the column copy exists before a recompute"
cmp_all "no column copy"
"$bin/parkstat" recompute --db "$db" --config "$demo/config.json" >/dev/null || fail "recompute"
[ "$(sqlite3 "$db" 'SELECT count(*) FROM obs_touched')" = 0 ] || fail "units touched after a recompute"
cmp_all "column copy"
"$bin/parkstat" import --db "$db" --config "$demo/config.json" "$demo"/data/revision_2025-11.csv \
    >/dev/null || fail "import of the revision"
[ "$(sqlite3 "$db" 'SELECT count(*) FROM obs_touched')" -gt 0 ] || fail "the revision touched no unit"
cmp_all "column copy and touched units"
