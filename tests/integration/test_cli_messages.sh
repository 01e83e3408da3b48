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

# a database on a full filesystem (root only: a tmpfs with 128 KiB to spare)
if [[ $(id -u) == 0 ]]; then
    mnt=$tmp/full
    mkdir "$mnt"
    demo=${PARKSTAT_SRC:?}/examples/demo
    parkstat import --db "$tmp/demo.db" --config "$demo/config.json" "$demo"/data/synthetic_*.csv >/dev/null ||
        fail "demo import"
    size=$(($(stat -c %s "$tmp/demo.db") / 1024 + 128))
    if mount -t tmpfs -o size=${size}k tmpfs "$mnt"; then
        trap 'umount "$mnt" 2>/dev/null || true; lib_cleanup' EXIT
        cp "$tmp/demo.db" "$mnt/"
        run 1 recompute --db "$mnt/demo.db" --config "$demo/config.json" --full
        grep -q "^parkstat recompute: $mnt/demo.db: no space left on its filesystem (" "$tmp/err" ||
            fail "recompute on a full disk: $(cat "$tmp/err")"
        umount "$mnt"
    else
        echo "no tmpfs: the full-disk database case is skipped"
    fi
else
    echo "not root: the full-disk database case is skipped"
fi

# ---- against the API: parkstatd on the same database
url=http://127.0.0.1:$port
"$bin/parkstatd" -c "$tmp/c.json" 2>"$tmp/daemon.err" &
pids+=($!)
wait_for 10 curl -sf "$url/healthz" || fail "daemon did not answer /healthz"

# report without --period: what is missing, the forms, the periods with results
run 2 report dev --url "$url"
err_is "parkstat report: --period is missing: a period such as 2024 (year), 2024-H1 (half), 2024-Q3 (quarter), 2024-07 (month)
parkstat report: index \"dev\" is monthly, with results from 2023-02 to 2024-02"
run 2 report dev --url "$url" --period 2024-02 --indicators revenue,bogus
err_is "parkstat report: --indicators: unknown indicator \"bogus\""
run 2 report dev --url "$url" --period 2024-02 --indicators revenue,taxx --format csv
err_is "parkstat report: --indicators: unknown indicator \"taxx\" (did you mean \"tax\"?)"
[[ ! -s $tmp/out ]] || fail "a bulletin was written despite the error"
run 1 report dev --url "$url" --period 2023-12 --format md
err_is "parkstat report: no results for 2023-12: index \"dev\" is monthly, with results from 2023-02 to 2024-02"
run 2 report dev --url "$url" --period 2024-Q1
err_is "parkstat report: --period 2024-Q1 is quarterly but index \"dev\" is monthly, with results from 2023-02 to 2024-02"
# Markdown: the unit name's HTML escaped; its revenue with 2 decimals
run 0 report dev --url "$url" --period 2024-02 --format md --indicators revenue
grep -qF '| 3 | &lt;b&gt;软件园&lt;/b&gt; &amp; Co (p02) | 0.00 | -100.00 | ▼2 | 100.00 |' "$tmp/out" ||
    fail "md row of p02: $(grep p02 "$tmp/out")"
grep -q '<b>' "$tmp/out" && fail "raw HTML in the Markdown bulletin"
run 1 report dev --url "$url" --period 2024-02 --format md --output /dev/full
err_is "parkstat report: /dev/full: No space left on device"

# series: the table with the indicator's decimals (2 for revenue, 1 for tax),
# CSV with full precision
yoy=$(python3 -c 'print("%.2f" % ((400 / 1512.91999 - 1) * 100))')
run 0 series --url "$url" --unit p01 --indicator revenue --from 2024-02 --to 2024-02 --transform yoy
out_is "unit p01, indicator revenue, yoy
period    value  coverage  flags  status
2024-02  $yoy         1         -"
run 0 series --url "$url" --unit p01 --indicator tax --from 2024-02 --to 2024-02
[[ $(sed -n 3p "$tmp/out") == "2024-02    7.5         1         -" ]] || fail "series tax table: $(cat "$tmp/out")"
run 0 series --url "$url" --unit p01 --indicator tax --from 2024-02 --to 2024-02 --format csv
[[ $(sed -n 2p "$tmp/out") == "2024-02,7.53309265944647,1,," ]] || fail "series csv: $(cat "$tmp/out")"
run 0 series --url "$url" --unit p01 --indicator revenue --from 2023-02 --to 2023-02 --format json
python3 -c 'import json,sys; v = json.load(open(sys.argv[1]))["points"][0]["value"]; assert v == 1512.91999, v' \
    "$tmp/out" || fail "series json: $(cat "$tmp/out")"
# observations: the same table through the API as from the database
run 0 observations --db "$db" --unit p01
sed 's/  [0-9T:.-]*Z  -$//' "$tmp/out" >"$tmp/local"
run 0 observations --url "$url" --unit p01
sed 's/  [0-9T:.-]*Z  -$//' "$tmp/out" >"$tmp/api"
grep -q '^p01   revenue    2023-02  1512.92$' "$tmp/api" || fail "observations --url table: $(cat "$tmp/out")"
diff "$tmp/local" "$tmp/api" >&2 || fail "observations tables differ between --db and --url"
# a 404 on series prints the server's message (which names what is unknown)
run 1 series --url "$url" --unit p09 --indicator revenue
[[ $(cat "$tmp/err") == 'error 404: '*'"p09"'* ]] || fail "series 404: $(cat "$tmp/err")"

# ranking and index: a period of another frequency exits 2 with the reason
# (the CLI's or, once the API refuses it with 400, the API's), none 1
run 2 ranking dev --url "$url" --period 2024-Q1
[[ $(cat "$tmp/err") == *2024-Q1* && ! -s $tmp/out ]] || fail "ranking wrong frequency: $(cat "$tmp/err")"
run 1 ranking dev --url "$url" --period 2023-12 --format json
err_is "parkstat ranking: no results for 2023-12: index \"dev\" is monthly, with results from 2023-02 to 2024-02"
run 1 index dev --url "$url" --period 2023-12
err_is "parkstat index: no results for 2023-12: index \"dev\" is monthly, with results from 2023-02 to 2024-02"

# 401: how to give the token
run 1 pull files --url "$url"
err_is "error 401: a valid bearer token is required
parkstat pull: give the admin token with --token-file FILE (or --config FILE whose server.token_file names it)"
echo wrong >"$tmp/wrong"
run 1 recompute --url "$url" --token-file "$tmp/wrong"
err_is "error 401: a valid bearer token is required
parkstat recompute: the token in $tmp/wrong was refused: is it the one in the daemon's server.token_file?"
rc=0
parkstat ranking dev --url "$url" --period 2024-02 >/dev/full 2>"$tmp/err" || rc=$?
[[ $rc == 1 ]] || fail "ranking --url to /dev/full: exit $rc"
err_is "parkstat ranking: standard output: No space left on device"

# ---- the API's own messages, as a server sends them: 400 exits 2, 404 1
cat >"$tmp/fake.py" <<'EOF2'
import http.server, json, sys
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        if self.path in ("/api/v1/indices", "/api/v1/indicators"):
            data = [] if self.path == "/api/v1/indices" else [
                {"code": "revenue", "name": "R", "measure": "", "decimals": 2}]
            body = json.dumps({"status": "ok", "data": data}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if self.path.startswith("/api/v1/rankings/"):
            code, msg = 400, "parameter 'period': 2024-Q1 is quarterly, index \"dev\" is monthly"
        else:
            code, msg = 404, "unknown unit \"p09\""
        body = json.dumps({"status": "error", "error": {"code": code, "message": msg}}).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.serve_forever()
EOF2
python3 "$tmp/fake.py" "$tmp/fake.port" &
pids+=($!)
wait_for 5 test -s "$tmp/fake.port" || fail "fake server"
fake=http://127.0.0.1:$(cat "$tmp/fake.port")
run 2 ranking dev --url "$fake" --period 2024-Q1
err_is "error 400: parameter 'period': 2024-Q1 is quarterly, index \"dev\" is monthly"
run 2 report dev --url "$fake" --period 2024-Q1 --format md
err_is "error 400: parameter 'period': 2024-Q1 is quarterly, index \"dev\" is monthly"
run 1 series --url "$fake" --unit p09 --indicator revenue
err_is 'error 404: unknown unit "p09"'

echo "ok: parkstat messages"
