#!/usr/bin/env bash
# The bulletin's status codes on the demo (examples/demo): its data mark
# 2025-12 and 2025-Q4 provisional ("p" in the status column). A quarter's key
# value built from monthly observations carries every distinct status code of
# the observations within the quarter: so each park's key values of 2025-Q4
# (营业收入, 规上工业增加值, 税费: monthly year-to-date) show "p" and the legend
# explains "p = provisional"; 2025-Q3 shows no code and no legend. After a
# status-only revision of p01's revenue of 2025-11 to "e", p01's revenue of
# 2025-Q4 carries "e p" and the legend explains both, each once; the csv and
# xlsx bulletins carry the same codes.
set -euo pipefail
bin=${PARKSTAT_BIN:?}
src=${PARKSTAT_SRC:?}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
with_tmp 20
command -v curl >/dev/null || fail "curl is missing (scripts/setup.sh --test installs it)"
# the data say so: every monthly row of 2025-12 is "p", none of 2025-09 .. 2025-11
[[ $(grep -c ',2025-12,[^,]*,p$' "$src/examples/demo/data/synthetic_monthly.csv") == 150 ]] ||
    fail "the demo's 2025-12 rows are not all provisional"
[[ $(grep -c ',2025-\(09\|10\|11\),[^,]*,.\+$' "$src/examples/demo/data/synthetic_monthly.csv") == 0 ]] ||
    fail "the demo's 2025-09 .. 2025-11 rows carry a status"
demo_daemon feeds
export PARKSTAT_URL=$api

# key value cells of each park row: "| rank | park | score | change | rank change | v | yoy | ..."
check() { # FILE WANT-P01-REVENUE WANT-OTHERS LEGEND
    python3 - "$@" <<'PY'
import sys
path, p01_revenue, others, legend = sys.argv[1:]
text = open(path, encoding="utf-8").read()
rows = [l.split("|")[1:-1] for l in text.splitlines() if l[:3] in {f"| {d}" for d in "123456789"}]
assert len(rows) == 15, f"{len(rows)} park rows"
for cells in rows:
    keys = [c.strip() for c in cells[5::2]]
    assert len(keys) == 3, cells
    for i, v in enumerate(keys):
        num, _, code = v.partition(" ")
        float(num)  # a number first
        want = p01_revenue if "(p01)" in cells[1] and i == 0 else others
        assert code == want, f"{cells[1]} key {i}: {v!r}, want code {want!r}"
lines = [l for l in text.splitlines() if l.startswith("状态 Status")]
assert lines == ([legend] if legend else []), lines
PY
}
"$bin/parkstat" report monitoring --period 2025-Q4 --format md --output "$tmp/q4.md" ||
    fail "report 2025-Q4"
check "$tmp/q4.md" p p "状态 Status: p = 初步数 provisional" || fail "2025-Q4: codes"
"$bin/parkstat" report monitoring --period 2025-Q3 --format md --output "$tmp/q3.md" ||
    fail "report 2025-Q3"
check "$tmp/q3.md" "" "" "" || fail "2025-Q3 carries a code"

# a status-only revision inside the quarter: both codes, in the order of the months
sed -n '1p;/^p01,revenue,2025-11,/s/,$/,e/p' "$src/examples/demo/data/synthetic_monthly.csv" \
    >"$tmp/estimate.csv"
[[ $(wc -l <"$tmp/estimate.csv") == 2 ]] || fail "no p01 revenue 2025-11 row"
"$bin/parkstat" import --db "$tmp/demo.db" --config "$tmp/config.json" "$tmp/estimate.csv" \
    >"$tmp/out" || fail "import estimate"
grep -q '1 revised' "$tmp/out" || fail "the status-only change is not a revision: $(cat "$tmp/out")"
"$bin/parkstat" report monitoring --period 2025-Q4 --format md --output "$tmp/q4e.md" ||
    fail "report 2025-Q4 after the estimate"
check "$tmp/q4e.md" "e p" p "状态 Status: p = 初步数 provisional; e = 估计值 estimated" ||
    fail "2025-Q4 after the estimate: codes"
# parkstat series: the status of the unit's own observation of each month
got=$("$bin/parkstat" series --url "$api" --unit p01 --indicator revenue --from 2025-10 --to 2025-12 \
    --format csv | cut -d, -f1,5)
[[ $got == $'period,status\n2025-10,\n2025-11,e\n2025-12,p' ]] || fail "series status: $got"
# the same codes in the bulletin's csv ({code}_status) and xlsx (指标, 状态)
for f in csv xlsx; do
    "$bin/parkstat" report monitoring --period 2025-Q4 --format $f --output "$tmp/q4e.$f" ||
        fail "report 2025-Q4 --format $f"
done
/usr/bin/python3 - "$tmp/q4e" <<'PY' || fail "2025-Q4 csv/xlsx: codes"
import csv, sys
import openpyxl
base = sys.argv[1]
keys = ("revenue", "industrial_value_added", "tax")
rows = list(csv.DictReader(open(base + ".csv", encoding="utf-8")))
assert len(rows) == 15, len(rows)
want = {(r["unit"], k): "e p" if (r["unit"], k) == ("p01", "revenue") else "p"
        for r in rows for k in keys}
assert {(r["unit"], k): r[k + "_status"] for r in rows for k in keys} == want
ws = openpyxl.load_workbook(base + ".xlsx")["指标"]
assert ws.cell(1, 9).value == "状态", ws.cell(1, 9).value
got = {(ws.cell(i, 1).value, ws.cell(i, 3).value): ws.cell(i, 9).value
       for i in range(2, ws.max_row + 1)}
assert got == want, got
PY
echo "ok"
