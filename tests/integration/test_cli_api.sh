#!/usr/bin/env bash
# `parkstat` as an API client against the real daemon: a temp database filled
# by `parkstat import` (with one revision) and `parkstat recompute`, then
# parkstatd on a free port with a file:// source (one record, one reject).
# Every API command in every format, with exact numbers and CSV text; an
# unknown index gives "error 404: ..." and exit 1; pull without a token 401,
# with --token-file 202; an unreachable URL names the URL; SIGTERM exits 0.
set -euo pipefail
shopt -s extglob
bin=${PARKSTAT_BIN:?}
tmp=$(mktemp -d)
daemon=
cleanup() {
    if [[ -n $daemon ]]; then kill "$daemon" 2>/dev/null || true; fi
    [[ -n ${KEEP:-} ]] || rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    [[ -f $tmp/daemon.err ]] && tail -20 "$tmp/daemon.err" >&2
    exit 1
}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
parkstat() { "$bin/parkstat" "$@"; }
# expect WANT CMD...: the command's stdout must be WANT exactly
expect() {
    local want=$1 got
    shift
    got=$(parkstat "$@") || fail "parkstat $*: exit $?"
    [[ $got == "$want" ]] || fail "parkstat $*:"$'\n'"$got"$'\n'"--- want:"$'\n'"$want"
}

# The newest released month: what the daemon pulls from the file:// source.
month=$(date -d "$(date +%Y-%m-01) -1 day" +%Y-%m)
port=$(free_port)
url=http://127.0.0.1:$port
mkdir -p "$tmp/www"
cat >"$tmp/www/$month.json" <<EOF2
{"data": [{"park": "p03", "code": "revenue", "month": "$month", "value": 42.5},
          {"park": "p07", "code": "revenue", "month": "$month", "value": 1}]}
EOF2
printf 's3cret-token\n' >"$tmp/token"
cat >"$tmp/parkstat.json" <<EOF2
{"database": "p.db",
 "server": {"listen": "127.0.0.1:$port", "token_file": "token"},
 "units": [{"id": "city", "name": "示例市"},
           {"id": "p01", "name": "示例高新区", "parent": "city"},
           {"id": "p02", "name": "示例软件园", "parent": "city"},
           {"id": "p03", "name": "Science City", "parent": "city"}],
 "indicators": [{"code": "revenue", "name": "营业收入", "measure": "亿元", "frequency": "M",
                 "kind": "flow"}],
 "sources": [{"id": "files", "url": "file://$tmp/www/{period}.json", "format": "json",
              "frequency": "M", "first_period": "$month",
              "mapping": {"records": "/data", "unit": "/park", "indicator": "/code",
                          "period": "/month", "value": "/value"}}],
 "indices": [{"id": "dev", "name": "发展指数", "frequency": "M", "units": "children:city",
              "method": {"normalise": "minmax", "aggregate": "arithmetic", "missing": "reweight"},
              "tree": [{"id": "scale", "weight": 1,
                        "children": [{"indicator": "revenue", "weight": 1}]}]}]}
EOF2
cfg=$tmp/parkstat.json

# ---- the data: 2024-01 and 2024-02, then p01 2024-01 revised 100 -> 150
printf 'unit,indicator,period,value\np01,revenue,2024-01,100\np02,revenue,2024-01,300\np03,revenue,2024-01,200\np01,revenue,2024-02,300\np02,revenue,2024-02,100\np03,revenue,2024-02,200\n' >"$tmp/a.csv"
printf 'unit,indicator,period,value\np01,revenue,2024-01,150\n' >"$tmp/b.csv"
parkstat import --db "$tmp/p.db" --config "$cfg" "$tmp/a.csv" >/dev/null || fail "import a"
sleep 0.05
before=$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)
sleep 0.05
parkstat import --db "$tmp/p.db" --config "$cfg" "$tmp/b.csv" >/dev/null || fail "import b"
parkstat recompute --db "$tmp/p.db" --config "$cfg" --full >/dev/null || fail "local recompute"

# ---- unreachable: exit 1, the message names the URL
set +e
parkstat sources --url "$url" >/dev/null 2>"$tmp/err"
rc=$?
set -e
[[ $rc -eq 1 ]] || fail "unreachable: exit $rc"
grep -q "cannot reach $url/api/v1/sources" "$tmp/err" || fail "unreachable: $(cat "$tmp/err")"

# ---- the daemon
"$bin/parkstatd" -c "$cfg" --listen "127.0.0.1:$port" 2>"$tmp/daemon.err" &
daemon=$!
for _ in $(seq 100); do
    curl -sf "$url/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -sf "$url/healthz" >/dev/null || fail "daemon did not answer /healthz"
# wait for its first pull of the file:// source
for _ in $(seq 100); do
    [[ $(parkstat runs --url "$url" --source files --format csv | wc -l) -ge 2 ]] && break
    sleep 0.1
done

# ---- status (the URL from --config's server.listen)
out=$(parkstat status --config "$cfg") || fail "status"
[[ $(sed -n 1p <<<"$out") == "$url: ok" ]] || fail "status line 1: $out"
[[ $(sed -n 2p <<<"$out") == "sources: 1 (0 failing)" ]] || fail "status line 2: $out"
[[ $(sed -n 3p <<<"$out") == "newest run: "*" files $month partial, ended "*Z ]] || fail "status line 3: $out"
parkstat status --url "$url" --format json | python3 -c "
import json, sys; s = json.load(sys.stdin)
assert s['health'] == 'ok' and s['sources'] == 1 and s['failing'] == 0, s
assert s['newest_run']['source'] == 'files' and s['newest_run']['n_new'] == 1, s" || fail "status json"
[[ $(parkstat status --url "$url" --format csv | head -1) == "url,health,sources,failing,newest_run" ]] || fail "status csv"

# ---- sources, runs, rejects
[[ $(parkstat sources --url "$url" --format csv | cut -d, -f1-9) == "source,failing,consecutive_failures,last_outcome,last_status,n_new,n_revised,n_unchanged,n_rejected
files,false,0,partial,0,1,0,0,1" ]] || fail "sources csv: $(parkstat sources --url "$url" --format csv)"
parkstat sources --url "$url" | grep -Eq '^files +false +0 +partial +0 +1 +0 +0 +1 ' || fail "sources table"
[[ $(parkstat runs --url "$url" --format csv | cut -d, -f2-8) == "source,period,outcome,n_new,n_revised,n_unchanged,n_rejected
files,$month,partial,1,0,0,1
import:b.csv,,ok,0,1,0,0
import:a.csv,,ok,6,0,0,0" ]] || fail "runs csv: $(parkstat runs --url "$url" --format csv)"
[[ $(parkstat runs --url "$url" --limit 1 --format json | python3 -c 'import json,sys; r=json.load(sys.stdin); print(len(r), r[0]["source"], r[0]["n_rejected"])') == "1 files 1" ]] || fail "runs json"
expect "run_id,source,period,position,reason,raw
3,files,$month,2,\"unknown unit \"\"p07\"\"\",\"{\"\"park\"\":\"\"p07\"\",\"\"code\"\":\"\"revenue\"\",\"\"month\"\":\"\"$month\"\",\"\"value\"\":1}\"" rejects --url "$url" --source files --format csv
parkstat rejects --url "$url" | grep -q 'unknown unit "p07"' || fail "rejects table: $(parkstat rejects --url "$url")"

# ---- observations: current, as of before the revision, every vintage
out=$(parkstat observations --url "$url" --unit p01 --indicator revenue --from 2024-01 --to 2024-02 --format csv | cut -d, -f1-4)
[[ $out == "unit,indicator,period,value
p01,revenue,2024-01,150
p01,revenue,2024-02,300" ]] || fail "observations: $out"
out=$(parkstat observations --url "$url" --unit p01 --from 2024-01 --to 2024-02 --as-of "$before" --format csv | cut -d, -f1-4)
[[ $out == "unit,indicator,period,value
p01,revenue,2024-01,100
p01,revenue,2024-02,300" ]] || fail "observations --as-of: $out"
[[ $(parkstat observations --url "$url" --unit p01 --period 2024-01 2>&1 >/dev/null) == *"--period does not apply"* ]] || fail "usage"
parkstat observations --url "$url" --unit p01 --history | awk 'NR == 1 { ok = $1 == "unit" && $4 == "value" && $6 == "valid_to" }
    NR > 1 { vals = vals " " $4 " " ($6 == "-" ? "current" : "old") } END { exit !(ok && vals == " 100.00 old 150.00 current 300.00 current") }' ||
    fail "observations --history table: $(parkstat observations --url "$url" --unit p01 --history)"
# same rows through the local mode
[[ $(parkstat observations --db "$tmp/p.db" --unit p01 --format csv | cut -d, -f1-4) == $(parkstat observations --url "$url" --unit p01 --format csv | cut -d, -f1-4) ]] || fail "local and API differ"

# ---- ranking and index: minmax over p01 p02 p03
# 2024-01: 150 300 200 -> 0, 100, 33.33; 2024-02: 300 100 200 -> 100, 0, 50
expect "index dev, period 2024-02
rank  unit  name           score  change  flags
   1  p01   示例高新区    100.00      +2      0
   2  p03   Science City   50.00       0      0
   3  p02   示例软件园      0.00      -2      0" ranking dev --url "$url" --period 2024-02
expect "rank,unit,name,score,rank_change,flags
1,p02,示例软件园,100,,0
2,p03,Science City,33.3333333333333,,0
3,p01,示例高新区,0,,0" ranking dev --url "$url" --period 2024-01 --format csv
# without --period the latest: 2024-02, or $month once the daemon's debounced
# recompute after its pull has run
[[ $(parkstat ranking dev --url "$url" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["period"])') == @(2024-02|$month) ]] || fail "ranking json: latest period"
[[ $(parkstat ranking dev --url "$url" --period 2024-02 --format json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["period"], " ".join("%s=%g" % (r["unit"], r["score"]) for r in d["ranking"]))') == "2024-02 p01=100 p03=50 p02=0" ]] || fail "ranking json"
expect "node,unit,name,score,rank,rank_change,flags
dev,p03,Science City,50,2,0,0
scale,p03,Science City,50,2,0,0" index dev --url "$url" --period 2024-02 --unit p03 --format csv
# the contribution as the API sends it, printed with 4 decimals
contrib=$(curl -s "$url/api/v1/indices/dev?period=2024-02&unit=p03" |
    python3 -c 'import json,sys; print("%.4f" % json.load(sys.stdin)["data"]["contributions"][0]["contribution"])')
expect "index dev, period 2024-02
node   unit  name          score  rank  change  flags
dev    p03   Science City  50.00     2       0      0
scale  p03   Science City  50.00     2       0      0

contributions
unit  indicator  contribution
$(printf 'p03   revenue    %12s' "$contrib")" index dev --url "$url" --period 2024-02 --unit p03
[[ $(parkstat index dev --url "$url" --period 2024-02 --format json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["results"]) > 0, d["index"])') == "True dev" ]] || fail "index json"

# ---- errors from the API: plain, exit 1
set +e
parkstat index nope --url "$url" >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
[[ $rc -eq 1 && ! -s $tmp/out ]] || fail "unknown index: exit $rc"
[[ $(cat "$tmp/err") == 'error 404: unknown index "nope"' ]] || fail "unknown index: $(cat "$tmp/err")"
set +e
parkstat ranking dev --url "$url" --period 2024-13 2>"$tmp/err"
rc=$?
set -e
[[ $rc -eq 2 ]] || fail "bad period: exit $rc"

# ---- series (p01 revenue: 150 then 300; pop +100 %)
expect "period,value,coverage,flags,status
2024-01,150,1,,
2024-02,300,1,," series --url "$url" --unit p01 --indicator revenue --from 2024-01 --to 2024-02 --format csv
# the table shows the indicator's decimals (2 by default)
expect "unit p01, indicator revenue, pop
period    value  coverage  flags  status
2024-02  100.00         1         -" series --url "$url" --unit p01 --indicator revenue --from 2024-02 --to 2024-02 --transform pop

# ---- admin actions: 401 without a token, 202 with one; the token never printed
set +e
parkstat pull files --url "$url" >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
[[ $rc -eq 1 ]] || fail "pull without token: exit $rc"
[[ $(head -1 "$tmp/err") == "error 401: a valid bearer token is required" ]] || fail "401: $(cat "$tmp/err")"
grep -q -- "--token-file FILE" "$tmp/err" || fail "401 without a hint: $(cat "$tmp/err")"
expect "pull of files accepted for period $month" pull files --url "$url" --token-file "$tmp/token" --period "$month"
expect "recompute accepted" recompute --config "$cfg"
expect '{
  "accepted": true,
  "action": "recompute"
}' recompute --url "$url" --token-file "$tmp/token" --format json
set +e
parkstat pull nosuch --config "$cfg" 2>"$tmp/err"
rc=$?
set -e
[[ $rc -eq 1 && $(cat "$tmp/err") == 'error 404: unknown source "nosuch"' ]] || fail "pull unknown: $(cat "$tmp/err")"
grep -rq s3cret-token "$tmp/daemon.err" "$tmp/err" "$tmp/out" && fail "token printed"

# ---- stop: SIGTERM, exit 0
kill -TERM "$daemon"
set +e
wait "$daemon"
rc=$?
set -e
daemon=
[[ $rc -eq 0 ]] || fail "parkstatd exited $rc after SIGTERM"
echo "ok: parkstat API commands against parkstatd"
