#!/usr/bin/env bash
# test_import_xlsx.sh - `parkstat import BOOK.xlsx`: the first sheet of a
# workbook, or the one --sheet names, (written here with Python's zipfile: shared and inline strings, a
# number stored as text, a row left out, a second sheet) imported like a
# long-format CSV, with rejects named by their sheet row; a file that is no
# workbook is refused by name. Needs PARKSTAT_BIN and PARKSTAT_SRC.
set -euo pipefail
bin=${PARKSTAT_BIN:?}/parkstat
src=${PARKSTAT_SRC:?}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
with_tmp 20
cfg=$src/tests/data/import_config.json

python3 - "$tmp/book.xlsx" <<'PY'
import sys, zipfile
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
def s(i): return '<c t="s"><v>%d</v></c>' % i
def t(x): return '<c t="inlineStr"><is><t>%s</t></is></c>' % x
def n(x): return '<c><v>%s</v></c>' % x
rows = {1: s(0) + s(1) + s(2) + s(3),
        2: t("p1") + t("revenue") + t("2023-01") + n("10.5"),
        4: t("p2") + t("revenue") + t("2023-02") + s(4),     # "1234.5" stored as text
        5: t("p1") + t("revenue") + t("2023-13") + n("7"),   # no such month
        6: t("p2") + t("firms") + t("2023-Q1") + n("12")}
sheet = "<worksheet %s><sheetData>%s</sheetData></worksheet>" % (
    NS, "".join('<row r="%d">%s</row>' % (r, c) for r, c in rows.items()))
other = "<worksheet %s><sheetData><row r=\"1\">%s</row><row r=\"2\">%s</row></sheetData></worksheet>" % (
    NS, s(0) + s(1) + s(2) + s(3), t("p1") + t("revenue") + t("2023-03") + n("99.25"))
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("xl/workbook.xml", '<workbook %s xmlns:r="%s"><sheets>'
               '<sheet name="Data" sheetId="1" r:id="rId1"/><sheet name="Notes" sheetId="2" '
               'r:id="rId2"/></sheets></workbook>' % (NS, R))
    z.writestr("xl/_rels/workbook.xml.rels",
               '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
               'relationships"><Relationship Id="rId1" Type="%s/worksheet" '
               'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="%s/worksheet" '
               'Target="worksheets/sheet2.xml"/><Relationship Id="rId3" Type="%s/sharedStrings" '
               'Target="sharedStrings.xml"/></Relationships>' % (R, R, R))
    z.writestr("xl/sharedStrings.xml", "<sst %s>%s</sst>" % (NS, "".join(
        "<si><t>%s</t></si>" % x for x in ["unit", "indicator", "period", "value", "1234.5"])))
    z.writestr("xl/worksheets/sheet1.xml", sheet)
    z.writestr("xl/worksheets/sheet2.xml", other)
PY

db=$tmp/t.db
(cd "$tmp" && "$bin" import --db "$db" --config "$cfg" book.xlsx >out 2>err) || {
    cat "$tmp/err" >&2
    fail "import of book.xlsx"
}
grep -qx 'book.xlsx: 4 rows read, 3 stored (3 new, 0 revised, 0 unchanged), 1 rejected' \
    "$tmp/out" || { cat "$tmp/out" "$tmp/err" >&2; fail "summary"; }
grep -q '^book.xlsx:5: ' "$tmp/err" || { cat "$tmp/err" >&2; fail "reject by sheet row"; }
got=$(sqlite3 "$db" "SELECT u.code || ' ' || o.period || ' ' || o.value FROM observation o
      JOIN unit u ON u.id = o.unit_id JOIN indicator i ON i.id = o.indicator_id
      WHERE i.code = 'revenue' AND o.valid_to IS NULL ORDER BY o.period")
[[ $got == $'p1 2023-01 10.5\np2 2023-02 1234.5' ]] || fail "stored values: $got"

# --sheet by name or position; an unknown one names the sheets there are
"$bin" import --db "$db" --config "$cfg" --sheet Notes "$tmp/book.xlsx" >"$tmp/out" 2>"$tmp/err" ||
    { cat "$tmp/err" >&2; fail "--sheet Notes"; }
grep -q ': 1 rows read, 1 stored (1 new, 0 revised, 0 unchanged), 0 rejected$' "$tmp/out" ||
    { cat "$tmp/out" >&2; fail "--sheet Notes summary"; }
"$bin" import --db "$db" --config "$cfg" --sheet 2 "$tmp/book.xlsx" >"$tmp/out" 2>"$tmp/err" ||
    { cat "$tmp/err" >&2; fail "--sheet 2"; }
grep -q ': 1 rows read, 1 stored (0 new, 0 revised, 1 unchanged), 0 rejected$' "$tmp/out" ||
    { cat "$tmp/out" >&2; fail "--sheet 2 is Notes"; }
got=$(sqlite3 "$db" "SELECT o.value FROM observation o JOIN unit u ON u.id = o.unit_id
      WHERE u.code = 'p1' AND o.period = '2023-03' AND o.valid_to IS NULL")
[[ $got == 99.25 ]] || fail "--sheet Notes stored: $got"
rc=0
"$bin" import --db "$db" --config "$cfg" --sheet Summary "$tmp/book.xlsx" >"$tmp/out" 2>"$tmp/err" || rc=$?
[[ $rc == 1 ]] || fail "--sheet Summary: exit $rc"
grep -qF 'book.xlsx: sheet "Summary": not in the workbook (it has: Data, Notes)' "$tmp/err" ||
    { cat "$tmp/err" >&2; fail "--sheet Summary message"; }
rc=0
"$bin" import --db "$db" --config "$cfg" --sheet 3 "$tmp/book.xlsx" >"$tmp/out" 2>"$tmp/err" || rc=$?
[[ $rc == 1 ]] || fail "--sheet 3: exit $rc"
grep -qF 'book.xlsx: sheet 3: the workbook has 2 (Data, Notes)' "$tmp/err" ||
    { cat "$tmp/err" >&2; fail "--sheet 3 message"; }
rc=0
"$bin" import --db "$db" --config "$cfg" --sheet Data "$src/tests/data/payloads/parks_long.csv" \
    >"$tmp/out" 2>"$tmp/err" || rc=$?
[[ $rc == 2 ]] || fail "--sheet without a workbook: exit $rc"
grep -q -- '--sheet: no .xlsx file given' "$tmp/err" || { cat "$tmp/err" >&2; fail "--sheet csv"; }

# not a workbook: refused by name, exit 1
printf 'unit,indicator,period,value\n' >"$tmp/fake.xlsx"
rc=0
"$bin" import --db "$db" --config "$cfg" "$tmp/fake.xlsx" >"$tmp/out" 2>"$tmp/err" || rc=$?
[[ $rc == 1 ]] || fail "fake.xlsx: exit $rc"
grep -q 'fake.xlsx: not an .xlsx workbook (zip: ' "$tmp/err" || { cat "$tmp/err" >&2; fail "message"; }
echo "ok: import xlsx"
