#!/usr/bin/env bash
# test_api_paging.sh - paging end to end on the real daemon: N observations
# (default 2500: PARKS=25 parks x 100 months of one indicator) imported, then
#   - curl follows page.next with limit=1000: every row once, in order, the
#     same total on every page, as many pages as the total asks for;
#   - `parkstat observations` (which follows the cursor) prints all N rows;
#   - the daemon's RSS after the walk (printed; RSS_MAX_MB, default 200, is
#     the bound; the issue measured 2.7 GB for one unpaged 2 M-row answer).
# N=2000000 PARKS=20000 makes it the 2 M-row measurement of docs/API.md.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bin=${PARKSTAT_BIN:?}
n=${N:-2500}
with_tmp 20
parkstat() { "$bin/parkstat" "$@"; }

parks=${PARKS:-25}
months=$(((n + parks - 1) / parks))
port=$(free_port)
url=http://127.0.0.1:$port
awk -v parks="$parks" 'BEGIN {
    printf "{\"database\": \"p.db\", \"units\": [{\"id\": \"city\", \"name\": \"City\"}"
    for (p = 1; p <= parks; p++) printf ", {\"id\": \"p%05d\", \"name\": \"Park %d\", \"parent\": \"city\"}", p, p
    printf "], \"indicators\": [{\"code\": \"rev\", \"name\": \"Revenue\", \"frequency\": \"M\", \"kind\": \"flow\"}]}\n"
}' >"$tmp/parkstat.json"
awk -v parks="$parks" -v months="$months" -v n="$n" 'BEGIN {
    print "unit,indicator,period,value"
    rows = 0
    for (p = 1; p <= parks && rows < n; p++)
        for (m = 0; m < months && rows < n; m++) {
            printf "p%05d,rev,%04d-%02d,%d\n", p, 1900 + int(m / 12), m % 12 + 1, p * 100000 + m
            rows++
        }
}' >"$tmp/obs.csv"
parkstat import --db "$tmp/p.db" --config "$tmp/parkstat.json" "$tmp/obs.csv" >/dev/null ||
    fail "import"

"$bin/parkstatd" -c "$tmp/parkstat.json" --listen "127.0.0.1:$port" 2>"$tmp/daemon.err" &
daemon=$!
pids+=("$daemon")
wait_for 10 curl -sf "$url/healthz" || fail "daemon did not answer /healthz"

# ---- curl walks the pages
start=$(date +%s.%N)
python3 - "$url" "$n" >"$tmp/walk.out" <<'PYEOF' || fail "walk: $(cat "$tmp/walk.out")"
import json, sys, urllib.request
url, n = sys.argv[1], int(sys.argv[2])
rows, pages, cursor, totals = [], 0, None, set()
while True:
    q = "/api/v1/observations?limit=1000" + ("&cursor=" + cursor if cursor else "")
    env = json.load(urllib.request.urlopen(url + q))
    page = env["page"]
    assert page["limit"] == 1000 and len(env["data"]) <= 1000, page
    totals.add(page["total"])
    rows += [(r["unit"], r["period"], r["value"]) for r in env["data"]]
    pages += 1
    cursor = page["next"]
    if cursor is None:
        break
assert totals == {n}, totals
assert len(rows) == n and len(set(rows)) == n, (len(rows), len(set(rows)))
assert rows == sorted(rows), "not in unit, period order"
assert all(v == int(u[1:]) * 100000 + (int(p[:4]) - 1900) * 12 + int(p[5:]) - 1 for u, p, v in rows)
assert pages == (n + 999) // 1000, pages
print(pages)
PYEOF
end=$(date +%s.%N)
echo "walked $n rows in $(cat "$tmp/walk.out") pages, $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }') s"

# ---- the CLI follows the cursor: every row
got=$(parkstat observations --url "$url" --format csv | tail -n +2 | wc -l)
[[ $got -eq $n ]] || fail "parkstat observations printed $got rows, want $n"

# ---- a limit past the largest is refused, a page of the largest is served
code=$(curl -s -o /dev/null -w '%{http_code}' "$url/api/v1/observations?limit=10001")
[[ $code == 400 ]] || fail "limit=10001 gave $code"
big=$(curl -s -o "$tmp/big.json" -w '%{http_code} %{size_download}' "$url/api/v1/observations?limit=10000")
echo "a 10000-row page: $big bytes"
[[ $big == 200\ * ]] || fail "limit=10000: $big"

rss=$(awk '/VmRSS/ { print int($2 / 1024) }' "/proc/$daemon/status")
hwm=$(awk '/VmHWM/ { print int($2 / 1024) }' "/proc/$daemon/status")
echo "parkstatd RSS after the walks: $rss MB (peak $hwm MB)"
((hwm <= ${RSS_MAX_MB:-200})) || fail "parkstatd peak RSS $hwm MB over ${RSS_MAX_MB:-200} MB"
echo "ok: paging"
