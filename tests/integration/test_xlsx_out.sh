#!/usr/bin/env bash
# Excel workbooks end to end, on the demo data (examples/demo): import +
# recompute with the real CLI, parkstatd, then ?format=xlsx of observations,
# series and rankings and `parkstat report --format xlsx`, each read back with
# python3-openpyxl: Chinese header row, frozen below it, an autofilter, every
# number a number cell equal to the API's JSON value, number formats of the
# indicator's decimals, missing values as empty cells, the report's ranking
# equal to /api/v1/rankings.
set -euo pipefail
bin=${PARKSTAT_BIN:?}
src=${PARKSTAT_SRC:?}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
with_tmp 20
for tool in curl /usr/bin/python3; do
    command -v "$tool" >/dev/null || fail "$tool is missing (scripts/setup.sh --test installs it)"
done
/usr/bin/python3 -c 'import openpyxl' 2>/dev/null ||
    fail "python3-openpyxl is missing (scripts/setup.sh --test installs it)"
demo_daemon feeds

# name query: the JSON answer and the workbook of one list.
fetch() {
    local name=$1 query=$2
    curl -sf "$api$query" >"$tmp/$name.json" || fail "GET $query"
    local sep='?'
    [[ $query == *'?'* ]] && sep='&'
    curl -sf -D "$tmp/$name.h" -o "$tmp/$name.xlsx" "$api$query${sep}format=xlsx" ||
        fail "GET $query${sep}format=xlsx"
    grep -qi '^content-type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' \
        "$tmp/$name.h" || fail "$name: content type $(grep -i '^content-type' "$tmp/$name.h")"
    grep -qi '^content-disposition: attachment; filename=".*\.xlsx"' "$tmp/$name.h" ||
        fail "$name: no Content-Disposition"
}
fetch observations "/api/v1/observations?unit=p01&from=2023-01&to=2023-12&limit=500"
fetch observations_q "/api/v1/observations?unit=p02&indicator=patents"
fetch series "/api/v1/series?unit=p03&indicator=revenue&transform=yoy"
fetch ranking "/api/v1/rankings/monitoring?period=2023-Q3"
# a bad format names the values
got=$(curl -s -o "$tmp/bad.json" -w '%{http_code}' "$api/api/v1/units?format=xls")
[[ $got == 400 ]] || fail "format=xls gave $got"
grep -q 'xlsx' "$tmp/bad.json" || fail "format=xls: $(cat "$tmp/bad.json")"

PARKSTAT_URL=$api "$bin/parkstat" report monitoring --period 2023-Q3 --format xlsx \
    --output "$tmp/report.xlsx" || fail "report --format xlsx"
PARKSTAT_URL=$api "$bin/parkstat" report monitoring --period 2023-Q3 --format csv \
    --output "$tmp/report.csv" || fail "report --format csv"

/usr/bin/python3 - "$tmp" "$src/examples/demo/config.json" <<'PY' || fail "a workbook differs from the API"
import csv, json, math, sys
import openpyxl

tmp, config = sys.argv[1], sys.argv[2]
decimals = {i["code"]: i.get("decimals", 2) for i in json.load(open(config))["indicators"]}
fmt = lambda d: "0" if d == 0 else "0." + "0" * d
LABELS = {"unit": "单位代码", "indicator": "指标代码", "period": "时期", "value": "数值",
          "valid_from": "生效时间", "valid_to": "失效时间", "run_id": "运行编号",
          "coverage": "覆盖率", "flags": "标记", "rank": "名次", "name": "名称",
          "score": "得分", "rank_change": "名次变化", "status": "状态", "missing": "缺失"}
checked = {"numbers": 0, "empty": 0}

def same(x, j, where):
    # The cell keeps 16 significant digits (libxlsxwriter's %.16G), the JSON
    # 15: both are the stored double rounded, so they differ by at most half a
    # unit of the JSON's last digit plus half of the cell's.
    assert isinstance(x, (int, float)) and not isinstance(x, bool), f"{where}: {x!r} not a number"
    if j == 0 or x == j:
        assert x == j, f"{where}: {x!r} != {j!r}"
    else:
        ulp15 = 10.0 ** (math.floor(math.log10(abs(j))) - 14)
        assert abs(x - j) <= 0.55 * ulp15, f"{where}: {x!r} != {j!r}"
    checked["numbers"] += 1

def sheet(name, columns, rows, number_format):
    wb = openpyxl.load_workbook(f"{tmp}/{name}.xlsx")
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    assert header == [LABELS[c] for c in columns], f"{name}: header {header}"
    assert ws.freeze_panes == "A2", f"{name}: frozen at {ws.freeze_panes}"
    assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), f"{name}: no autofilter"
    assert ws.max_row == len(rows) + 1, f"{name}: {ws.max_row - 1} rows, API {len(rows)}"
    for c, col in enumerate(columns):
        w = ws.column_dimensions[openpyxl.utils.get_column_letter(c + 1)].width
        assert w and w >= 2 * len(LABELS[col]), f"{name}: column {col} width {w}"
    for r, row in enumerate(rows, start=2):
        for c, col in enumerate(columns, start=1):
            cell, v = ws.cell(r, c), row[col]
            where = f"{name}!{cell.coordinate} ({col})"
            if v is None:
                assert cell.value is None, f"{where}: {cell.value!r}, want empty"
                checked["empty"] += 1
            elif isinstance(v, bool):
                assert cell.value is v, f"{where}: {cell.value!r} != {v!r}"
            elif isinstance(v, (int, float)):
                same(cell.value, v, where)
                want = number_format(row, col, v)
                assert cell.number_format == want, f"{where}: format {cell.number_format} != {want}"
            else:  # an empty text is an empty cell
                assert cell.value == (v if v != "" else None), f"{where}: {cell.value!r} != {v!r}"

def obs_format(row, col, v):
    return fmt(decimals[row["indicator"]]) if col == "value" else "0"

obs_cols = ["unit", "indicator", "period", "value", "status", "missing", "valid_from", "valid_to",
            "run_id"]
for name in ("observations", "observations_q"):
    rows = json.load(open(f"{tmp}/{name}.json"))["data"]
    assert len(rows) > 10, f"{name}: only {len(rows)} rows"
    sheet(name, obs_cols, rows, obs_format)
# the demo has indicators of 0 and 2 decimals: both formats must have been checked
obs = json.load(open(f"{tmp}/observations.json"))["data"]
assert {decimals[r["indicator"]] for r in obs} >= {0, 2}

series = json.load(open(f"{tmp}/series.json"))["data"]["points"]
assert any(p["value"] is None for p in series), "series: no missing yoy to check"
sheet("series", ["period", "value", "status", "missing", "coverage", "flags"], series,
      lambda row, col, v: "0.00")

ranking = json.load(open(f"{tmp}/ranking.json"))["data"]["ranking"]
sheet("ranking", ["rank", "unit", "name", "score", "rank_change", "flags"], ranking,
      lambda row, col, v: "0.00" if col == "score" else "0")

# the bulletin: its ranking sheet against /api/v1/rankings
wb = openpyxl.load_workbook(f"{tmp}/report.xlsx")
assert wb.sheetnames == ["排名", "指标", "贡献", "说明"], wb.sheetnames
ws = wb["排名"]
assert [c.value for c in ws[1]] == ["名次", "单位代码", "园区", "得分", "上期得分", "得分变化",
                                    "名次变化", "标记"], [c.value for c in ws[1]]
for s in wb.worksheets:
    assert s.freeze_panes == "A2", f"report {s.title}: frozen at {s.freeze_panes}"
assert ws.max_row == len(ranking) + 1, f"report: {ws.max_row - 1} parks, API {len(ranking)}"
for r, want in enumerate(ranking, start=2):
    got = [ws.cell(r, c).value for c in range(1, 9)]
    where = f"report 排名 row {r}"
    assert got[1] == want["unit"] and got[2] == want["name"], f"{where}: {got}"
    for c, key in ((0, "rank"), (3, "score"), (6, "rank_change"), (7, "flags")):
        if want[key] is None:
            assert got[c] is None, f"{where} {key}: {got[c]!r}, want empty"
            checked["empty"] += 1
        else:
            same(got[c], want[key], f"{where} {key}")
    assert ws.cell(r, 4).number_format == "0.00" and ws.cell(r, 1).number_format == "0"
    assert ws.cell(r, 7).number_format == "+0;-0;0"
# the other sheets against the bulletin's CSV (the same model, numbers at 15 digits)
rows = list(csv.DictReader(open(f"{tmp}/report.csv", encoding="utf-8")))
ind = wb["指标"]
assert [c.value for c in ind[1]][:7] == ["单位代码", "园区", "指标代码", "指标", "计量单位", "数值",
                                        "同比增长(%)"]
r = 2
for row in rows:
    for code in ("revenue", "industrial_value_added", "tax"):
        assert ind.cell(r, 1).value == row["unit"] and ind.cell(r, 3).value == code
        for c, key in ((6, f"{code}_value"), (7, f"{code}_yoy_pct")):
            cell = ind.cell(r, c)
            if row[key] == "":
                assert cell.value is None, f"report 指标!{cell.coordinate}: want empty"
                checked["empty"] += 1
            else:
                same(cell.value, float(row[key]), f"report 指标!{cell.coordinate}")
        assert ind.cell(r, 6).number_format == fmt(decimals[code])
        r += 1
assert ind.max_row == r - 1, f"report 指标: {ind.max_row} rows"
con = wb["贡献"]
n = 2
for row in rows:
    for k in (1, 2, 3):
        if row[f"contributor{k}"] == "":
            continue
        assert con.cell(n, 1).value == row["unit"] and con.cell(n, 3).value == k
        assert con.cell(n, 4).value == row[f"contributor{k}"]
        same(con.cell(n, 6).value, float(row[f"contributor{k}_change"]), f"report 贡献 row {n}")
        n += 1
assert con.max_row == n - 1 and n > 2, f"report 贡献: {con.max_row} rows"
print(f"xlsx: {checked['numbers']} numbers equal to the API, {checked['empty']} empty cells")
PY
echo "ok"
