#!/usr/bin/env bash
# test_import_encoding.sh - `parkstat import --encoding`: Excel's "Unicode
# text" saved as CSV (UTF-16LE with a BOM) and a GBK file are converted and
# imported; an invalid byte refuses the file with its line and column; a
# bad name is a usage error. Needs PARKSTAT_BIN and PARKSTAT_SRC.
set -euo pipefail
bin=${PARKSTAT_BIN:?}/parkstat
src=${PARKSTAT_SRC:?}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
with_tmp 20
cfg=$src/tests/data/import_config.json
db=$tmp/t.db

# UTF-16LE with a BOM (FF FE), CRLF: the bytes written by hand
{
    printf '\xff\xfe'
    printf 'unit,indicator,period,value\r\np1,revenue,2023-01,10.5\r\np2,revenue,2023-01,7\r\n' |
        iconv -f UTF-8 -t UTF-16LE
} >"$tmp/u16.csv"
"$bin" import --quiet --db "$db" --config "$cfg" --encoding utf-16le "$tmp/u16.csv" \
    >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err" >&2; fail "utf-16 import"; }
grep -q 'u16.csv: 2 rows read, 2 stored (2 new' "$tmp/out" || { cat "$tmp/out" >&2; fail "utf-16"; }

# GBK: a note in a fifth column (备注) is carried through; line 3 has an
# invalid byte (0x81 0x20) in column 14, after "p2,revenue,20"
printf 'unit,indicator,period,value,note\np1,revenue,2023-02,11,\xb1\xb8\xd7\xa2\np2,revenue,20\x81\x2023-02,8,\n' \
    >"$tmp/gbk.csv"
rc=0
"$bin" import --quiet --db "$db" --config "$cfg" --encoding gbk "$tmp/gbk.csv" \
    >"$tmp/out" 2>"$tmp/err" || rc=$?
[[ $rc == 1 ]] || fail "gbk with an invalid byte: exit $rc"
grep -q 'gbk.csv: line 3 column 14: invalid GBK byte 0x81' "$tmp/err" ||
    { cat "$tmp/err" >&2; fail "invalid byte message"; }
printf 'unit,indicator,period,value,note\np1,revenue,2023-02,11,\xb1\xb8\xd7\xa2\n' >"$tmp/gbk.csv"
"$bin" import --quiet --db "$db" --config "$cfg" --encoding GBK "$tmp/gbk.csv" \
    >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err" >&2; fail "gbk import"; }
grep -q 'gbk.csv: 1 rows read, 1 stored' "$tmp/out" || { cat "$tmp/out" >&2; fail "gbk"; }

rc=0
"$bin" import --db "$db" --config "$cfg" --encoding latin9 "$tmp/gbk.csv" 2>"$tmp/err" || rc=$?
[[ $rc == 2 ]] || fail "bad name: exit $rc"
grep -q -- '--encoding: expected utf-8, gb18030' "$tmp/err" || fail "bad name message"
echo "ok: import --encoding"
