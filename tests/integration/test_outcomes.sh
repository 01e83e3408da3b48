#!/usr/bin/env bash
# Run outcomes end to end: parkstatd pulls three file:// sources - one whose
# records are all good ("ok"), one with a reject ("partial") and one whose
# every record is rejected ("rejected"). The runs table, source health,
# /metrics and `parkstat status` must all count the last as a failure.
set -euo pipefail
bin=${PARKSTAT_BIN:?}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
with_tmp 20
q() { sqlite3 -batch -noheader "$tmp/p.db" "$1"; }

month=$(date -d "$(date +%Y-%m-01) -1 day" +%Y-%m)
port=$(free_port)
url=http://127.0.0.1:$port
mkdir -p "$tmp/good" "$tmp/mixed" "$tmp/bad"
rec() { # park code value
    printf '{"park": "%s", "code": "%s", "month": "%s", "value": %s}' "$1" "$2" "$month" "$3"
}
printf '{"data": [%s]}\n' "$(rec p01 revenue 10)" >"$tmp/good/$month.json"
printf '{"data": [%s, %s]}\n' "$(rec p02 revenue 20)" "$(rec p09 revenue 1)" >"$tmp/mixed/$month.json"
# every record rejected: an unknown unit, a value that is not a number, an unknown indicator
printf '{"data": [%s, %s, %s]}\n' "$(rec p09 revenue 1)" "$(rec p01 revenue '"n/a"')" \
    "$(rec p01 tax 2)" >"$tmp/bad/$month.json"
src() { # id
    printf '{"id": "%s", "url": "file://%s/%s/{period}.json", "format": "json", "frequency": "M", "first_period": "%s", "mapping": {"records": "/data", "unit": "/park", "indicator": "/code", "period": "/month", "value": "/value"}}' \
        "$1" "$tmp" "$1" "$month"
}
printf '{"database": "p.db", "server": {"listen": "127.0.0.1:%s"},
 "units": [{"id": "city", "name": "City"}, {"id": "p01", "name": "One", "parent": "city"},
           {"id": "p02", "name": "Two", "parent": "city"}],
 "indicators": [{"code": "revenue", "name": "Revenue", "frequency": "M", "kind": "flow"}],
 "sources": [%s, %s, %s]}\n' "$port" "$(src good)" "$(src mixed)" "$(src bad)" >"$tmp/parkstat.json"

"$bin/parkstatd" -c "$tmp/parkstat.json" 2>"$tmp/daemon.err" &
pids+=($!)
wait_for 10 curl -sf "$url/healthz" || fail "daemon did not answer /healthz"
ended() { [[ $(q "SELECT count(*) FROM run WHERE ended_at IS NOT NULL") -ge 3 ]]; }
wait_for 10 ended || fail "no runs"

# ---- the runs table and source health
[[ $(q "SELECT group_concat(source || ' ' || outcome || ' ' || n_new || ' ' || n_rejected || ' ' || coalesce(error, '-'), '|') FROM (SELECT * FROM run ORDER BY source)") == \
    "bad rejected 0 3 all 3 records rejected|good ok 1 0 -|mixed partial 1 1 -" ]] ||
    fail "runs: $(q "SELECT * FROM run")"
[[ $(q "SELECT count(*) FROM reject r JOIN run ON run.id = r.run_id WHERE run.source = 'bad'") == 3 ]] || fail "bad's rejects kept"
[[ $(q "SELECT group_concat(source || ' ' || consecutive_failures, '|') FROM (SELECT * FROM source_health ORDER BY source)") == \
    "bad 1|good 0|mixed 0" ]] || fail "health: $(q "SELECT * FROM source_health")"

# ---- /metrics
curl -sf "$url/metrics" >"$tmp/metrics" || fail "/metrics"
grep -qx 'parkstat_pulls_total{source="bad",outcome="rejected"} 1' "$tmp/metrics" ||
    fail "metrics rejected: $(grep pulls_total "$tmp/metrics")"
grep -qx 'parkstat_pulls_total{source="mixed",outcome="partial"} 1' "$tmp/metrics" || fail "metrics partial"
grep -qx 'parkstat_pulls_total{source="good",outcome="ok"} 1' "$tmp/metrics" || fail "metrics ok"
grep -qx 'parkstat_pull_failures_total{source="bad"} 1' "$tmp/metrics" ||
    fail "metrics failures: $(grep failures "$tmp/metrics")"
if grep -Eq 'parkstat_pull_failures_total\{source="(good|mixed)"\}' "$tmp/metrics"; then
    fail "good sources counted as failures"
fi
if grep -q 'parkstat_last_success_timestamp_seconds{source="bad"}' "$tmp/metrics"; then
    fail "bad has a last success"
fi
grep -q 'parkstat_last_success_timestamp_seconds{source="mixed"}' "$tmp/metrics" || fail "mixed succeeded"

# ---- parkstat status and sources
out=$("$bin/parkstat" status --url "$url") || fail "status"
[[ $(sed -n 2p <<<"$out") == "sources: 3 (1 failing)" ]] || fail "status: $out"
[[ $("$bin/parkstat" sources --url "$url" --format csv | cut -d, -f1-4 | sort) == \
    "bad,true,1,rejected
good,false,0,ok
mixed,false,0,partial
source,failing,consecutive_failures,last_outcome" ]] ||
    fail "sources: $("$bin/parkstat" sources --url "$url" --format csv)"
echo "ok: run outcomes ok, partial and rejected in runs, health, /metrics and status"
