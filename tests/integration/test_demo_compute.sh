#!/usr/bin/env bash
# The demo (examples/demo) imports and recomputes cleanly, and the monitoring
# index compares like with like: with fixed base "2021" and the default
# base_match "same_period", every quarter is compared with the same quarter of
# 2021, so every park scores exactly 100 in each 2021 quarter, and the seasons
# of the demo's flows (Q4 well above Q1) do not show in the index: within each
# later year, a park's Q4 stays within 10 points of its Q1 (against the mean of
# 2021's quarters the same data puts Q4 35-50 points above Q1).
# Needs PARKSTAT_BIN and PARKSTAT_SRC.
set -euo pipefail
bin=${PARKSTAT_BIN:?}/parkstat
demo=${PARKSTAT_SRC:?}/examples/demo
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
db=$tmp/demo.db

"$bin" import --db "$db" --config "$demo/config.json" "$demo"/data/synthetic_*.csv >/dev/null ||
    fail "import"
"$bin" recompute --db "$db" --config "$demo/config.json" >"$tmp/out" || fail "recompute"
grep -q "recomputed 4 indices" "$tmp/out" || fail "summary: $(cat "$tmp/out")"

# Total scores of the monitoring index, read from the store (score is NULL when missing).
scores() {
    sqlite3 -separator ' ' "$db" "SELECT u.code, r.period, printf('%.6f', r.score) FROM result r
        JOIN unit u ON u.id = r.unit_id WHERE r.index_id = 'monitoring' AND $1"
}
scores "r.period LIKE '2021-Q%'" >"$tmp/base"
[ "$(wc -l <"$tmp/base")" = 60 ] || fail "2021: want 15 parks x 4 quarters, got $(wc -l <"$tmp/base")"
awk '($3 - 100)^2 > 1e-12 { print; bad = 1 } END { exit bad }' "$tmp/base" ||
    fail "a 2021 quarter of the monitoring index is not 100"
scores "r.period GLOB '202[2-5]-Q[14]'" | awk '
    { split($2, p, "-Q"); s[$1 " " p[1], p[2]] = $3 }
    END { n = 0
          for (k in s) { split(k, kk, SUBSEP); if (kk[2] != 1) continue
              d = s[kk[1], 4] - s[kk[1], 1]; n++
              if (d > 10 || d < -10) { print kk[1], "Q4 - Q1 =", d; bad = 1 } }
          if (n != 60) { print "pairs:", n; bad = 1 }
          exit bad }' || fail "the monitoring index shows the seasons (Q4 far from Q1)"
[ "$("$bin" ranking --db "$db" --index monitoring --period 2025-Q4 | wc -l)" = 16 ] ||
    fail "monitoring 2025-Q4 does not rank 15 parks"
[ "$("$bin" ranking --db "$db" --index innovation_points --period 2025 | wc -l)" = 1001 ] ||
    fail "innovation_points 2025 does not score 1,000 enterprises"
echo "ok: demo recompute, monitoring same-quarter base 2021 = 100, no seasons"
