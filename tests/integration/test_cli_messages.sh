#!/usr/bin/env bash
# `parkstat` messages a user can act on (issue 14), each with its exit status:
# tables with a header row, padded by display width (Chinese names), values
# with the indicator's decimals; unknown index, unit or indicator named with
# a did-you-mean; a period of the wrong frequency exit 2 with the reason; a
# full disk (/dev/full) said as such with the path.
set -euo pipefail
bin=${PARKSTAT_BIN:?}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
with_tmp 20
parkstat() { "$bin/parkstat" "$@"; }
# run WANT_RC CMD...: runs parkstat, stdout in $tmp/out, stderr in $tmp/err
run() {
    local want=$1 rc=0
    shift
    parkstat "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
    [[ $rc == "$want" ]] || fail "parkstat $*: exit $rc, want $want: $(cat "$tmp/err")"
}
# err_is TEXT: stderr must be TEXT exactly
err_is() { [[ $(cat "$tmp/err") == "$1" ]] || fail "stderr:"$'\n'"$(cat "$tmp/err")"$'\n'"--- want:"$'\n'"$1"; }
out_is() { [[ $(cat "$tmp/out") == "$1" ]] || fail "stdout:"$'\n'"$(cat "$tmp/out")"$'\n'"--- want:"$'\n'"$1"; }

port=$(free_port)
printf 's3cret-token\n' >"$tmp/token"
cat >"$tmp/c.json" <<EOF2
{"database": "p.db",
 "server": {"listen": "127.0.0.1:$port", "token_file": "token"},
 "units": [{"id": "city", "name": "示例市"},
           {"id": "p01", "name": "示例高新区", "parent": "city"},
           {"id": "p02", "name": "<b>软件园</b> & Co", "parent": "city"},
           {"id": "p03", "name": "Science City", "parent": "city"}],
 "indicators": [{"code": "revenue", "name": "营业收入", "measure": "亿元", "frequency": "M",
                 "kind": "flow", "decimals": 2},
                {"code": "tax", "name": "税收", "measure": "亿元", "frequency": "M",
                 "kind": "flow", "decimals": 1}],
 "indices": [{"id": "dev", "name": "发展指数", "frequency": "M", "units": "children:city",
              "method": {"normalise": "minmax", "aggregate": "arithmetic", "missing": "reweight"},
              "tree": [{"id": "scale", "weight": 1,
                        "children": [{"indicator": "revenue", "weight": 1}]}]}]}
EOF2
# 2024-01: 100 300 200 -> minmax 0 100 50; 2024-02: 400 100 250 -> 100 0 50.
# p01's revenue 2023-02 is 1512.91999 (a year before 2024-02's 1626.89)
cat >"$tmp/a.csv" <<EOF2
unit,indicator,period,value
p01,revenue,2023-02,1512.91999
p01,revenue,2024-01,100
p02,revenue,2024-01,300
p03,revenue,2024-01,200
p01,revenue,2024-02,400
p02,revenue,2024-02,100
p03,revenue,2024-02,250
p01,tax,2024-02,7.53309265944647
EOF2
db=$tmp/p.db
parkstat import --db "$db" --config "$tmp/c.json" "$tmp/a.csv" >/dev/null || fail "import"
parkstat recompute --db "$db" --config "$tmp/c.json" --full >/dev/null || fail "recompute"

# ---- ranking --db: a header row, names padded by display width (示例高新区 is
# 10 columns, "<b>软件园</b> & Co" 18), scores with 2 decimals
run 0 ranking --db "$db" --index dev --period 2024-02
out_is "rank  unit  name                 score  change  flags
   1  p01   示例高新区          100.00      +2      0
   2  p03   Science City         50.00       0      0
   3  p02   <b>软件园</b> & Co    0.00      -2      0"
run 1 ranking --db "$db" --index deve --period 2024-02
err_is "parkstat ranking: $db: unknown index \"deve\" (did you mean \"dev\"?)"
run 2 ranking --db "$db" --index dev --period 2024-Q1
err_is "parkstat ranking: --period 2024-Q1 is quarterly but index \"dev\" is monthly (results 2023-02 to 2024-02)"
run 1 ranking --db "$db" --index dev --period 2023-12
err_is "parkstat ranking: index \"dev\" has no results for 2023-12 (results 2023-02 to 2024-02)"
run 1 ranking --db "$db" --index dev --node scal --period 2024-02
err_is "parkstat ranking: index \"dev\", node scal has no results for 2024-02 (results 2023-02 to 2024-02)"
run 2 ranking --db "$db" --index dev --period 2024-13
[[ $(cat "$tmp/err") == *'"2024-13" is not a period'* ]] || fail "bad period: $(cat "$tmp/err")"

# ---- observations --db: the indicator's decimals in a table, full precision in CSV
run 0 observations --db "$db" --unit p01 --from 2023-02 --to 2024-02
[[ $(cut -c1-34 "$tmp/out" | sed 's/ *$//') == "unit  indicator  period     value
p01   revenue    2023-02  1512.92
p01   revenue    2024-01   100.00
p01   revenue    2024-02   400.00
p01   tax        2024-02      7.5" ]] || fail "observations table:"$'\n'"$(cat "$tmp/out")"
run 0 observations --db "$db" --unit p01 --indicator tax --format csv
[[ $(cut -d, -f4 "$tmp/out" | tail -1) == 7.53309265944647 ]] || fail "observations csv: $(cat "$tmp/out")"
run 1 observations --db "$db" --unit p1
err_is "parkstat observations: $db: unknown unit \"p1\" (did you mean \"p01\"?)"
run 1 observations --db "$db" --indicator revenu
err_is "parkstat observations: $db: unknown indicator \"revenu\" (did you mean \"revenue\"?)"

# ---- a full disk: the output's path and the reason, exit 1
for f in table csv json; do
    rc=0
    parkstat observations --db "$db" --format $f >/dev/full 2>"$tmp/err" || rc=$?
    [[ $rc == 1 ]] || fail "observations --format $f to /dev/full: exit $rc"
    err_is "parkstat observations: standard output: No space left on device"
done
rc=0
parkstat ranking --db "$db" --index dev --period 2024-02 >/dev/full 2>"$tmp/err" || rc=$?
[[ $rc == 1 ]] || fail "ranking to /dev/full: exit $rc"
err_is "parkstat ranking: standard output: No space left on device"

echo "ok: parkstat messages"
