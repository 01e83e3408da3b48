#!/usr/bin/env bash
# parkstatd as a service, with real processes: systemd's notify protocol on a
# test NOTIFY_SOCKET (READY, STATUS, WATCHDOG, RELOADING, STOPPING), API
# answers checked against hand-computed numbers, bad requests, admin auth, a
# recompute retried after "database busy", run in a child process (by the
# daemon itself once the config file changed), SIGHUP with a broken config, a new
# time zone (refused) and a good config, a real Prometheus scraping /metrics,
# and SIGTERM during a transfer that hangs.
set -euo pipefail
bin=${PARKSTAT_BIN:?}
src=${PARKSTAT_SRC:?}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
with_tmp 30
port=$(free_port)
api="http://127.0.0.1:$port"
# jq-like: py EXPR reads JSON on stdin as d.
py() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# ---- the data: year-to-date revenue, Jan and Feb published together
mkdir -p "$tmp/feeds"
feed() { # period p01-cum p02-cum
    printf '{"data":[{"park":"p01","code":"revenue","month":"%s","value":%s},{"park":"p02","code":"revenue","month":"%s","value":%s}]}\n' \
        "$1" "$2" "$1" "$3" >"$tmp/feeds/$1.json"
}
feed 2023-02 20 10
feed 2023-03 33 16
feed 2024-02 24 12
feed 2024-03 39 18
echo "s3cret-token" >"$tmp/token"

fault_port_file=$tmp/fault.port
python3 "$src/tests/integration/fault_server.py" "$fault_port_file" &
pids+=($!)
wait_for 5 test -f "$fault_port_file" || fail "fault server"
fport=$(cat "$fault_port_file")

write_config() { # extra-unit-json
    cat >"$tmp/parkstat.json" <<EOF
{"server": {"listen": "127.0.0.1:$port", "token_file": "token"},
 "database": "p.db",
 "units": [{"id": "city", "name": "示例市"},
           {"id": "p01", "name": "示例高新区", "parent": "city"},
           {"id": "p02", "name": "示例软件园", "parent": "city"}$1],
 "indicators": [
   {"code": "revenue", "name": "营业收入", "frequency": "M", "kind": "flow", "cumulative": true}],
 "sources": [
   {"id": "monthly", "url": "file://$tmp/feeds/{period}.json", "format": "json",
    "frequency": "M", "first_period": "2023-01", "poll_every": "1h",
    "mapping": {"records": "/data", "unit": "/park", "indicator": "/code",
                "period": "/month", "value": "/value"}},
   {"id": "stuck", "url": "http://127.0.0.1:$fport/hang/{period}", "format": "json",
    "frequency": "Y", "first_period": "2025", "timeout_s": 30, "max_retries": 0,
    "mapping": {"records": "/data", "unit": "/park", "indicator": "/code",
                "period": "/month", "value": "/value"}}]}
EOF
}
write_config ""

# ---- start under a test NOTIFY_SOCKET with a watchdog
python3 "$src/tests/integration/notify_listener.py" "$tmp/notify.sock" "$tmp/notify.log" &
pids+=($!)
wait_for 5 grep -q LISTENING "$tmp/notify.log" || fail "notify listener"
NOTIFY_SOCKET=$tmp/notify.sock WATCHDOG_USEC=400000 \
    "$bin/parkstatd" -c "$tmp/parkstat.json" --grace 1 2>"$tmp/daemon.err" &
daemon=$!
pids+=("$daemon")
wait_for 10 grep -q '^READY=1' "$tmp/notify.log" || fail "no READY=1"
grep -q '^STATUS=' "$tmp/notify.log" || fail "no STATUS="
curl -sf "$api/healthz" >/dev/null || fail "READY=1 came before the API listened"
sleep 0.6
[[ $(grep -c '^WATCHDOG=1' "$tmp/notify.log") -ge 2 ]] || fail "no WATCHDOG=1 at half the interval"

# ---- the pulls land; the API answers with the hand-computed numbers
have_obs() { [[ $(curl -sf "$api/api/v1/observations?indicator=revenue" | py 'len(d["data"])') == 8 ]]; }
wait_for 10 have_obs || fail "observations did not arrive"
[[ $(curl -sf "$api/api/v1/observations?unit=p01&indicator=revenue&from=2024-01&to=2024-12" |
    py '" ".join("%s=%g" % (r["period"], r["value"]) for r in d["data"])') == "2024-02=24 2024-03=39" ]] ||
    fail "observations p01"
series() { curl -sf "$api/api/v1/series?$1" | py '" ".join("%s=%.4f" % (p["period"], p["value"]) for p in d["data"]["points"] if p["value"] is not None)'; }
# March 2024 = 39 - 24 = 15; March 2023 = 33 - 20 = 13; yoy = 15/13 - 1 = 15.3846 %
[[ $(series "unit=p01&indicator=revenue&from=2024-03&to=2024-03") == "2024-03=15.0000" ]] || fail "series value: $(series "unit=p01&indicator=revenue&from=2024-03&to=2024-03")"
[[ $(series "unit=p01&indicator=revenue&from=2024-03&to=2024-03&transform=yoy") == "2024-03=15.3846" ]] || fail "series yoy"
# year to date: 39 / 33 - 1 = 18.1818 %
[[ $(series "unit=p01&indicator=revenue&from=2024-03&to=2024-03&transform=ytd_yoy") == "2024-03=18.1818" ]] || fail "series ytd_yoy"
# the city is the sum of its parks: 15 + (18 - 12) = 21
[[ $(series "unit=city&indicator=revenue&from=2024-03&to=2024-03") == "2024-03=21.0000" ]] || fail "series city roll-up"

# ---- bad requests: 4xx with a message, never a crash
code() { curl -s -o "$tmp/body" -w '%{http_code}' "$@"; }
{ [[ $(code "$api/api/v1/observations?from=2023-13") == 400 ]] && grep -q "from" "$tmp/body"; } || fail "400 bad period"
[[ $(code "$api/api/v1/indices/nope?period=2024-Q1") == 404 ]] || fail "404 unknown index"
[[ $(code "$api/api/v1/units?x=$(head -c 3000 /dev/zero | tr '\0' a)") == 414 ]] || fail "414"
[[ $(code -X DELETE "$api/api/v1/units") == 405 ]] || fail "405"
[[ $(code -X POST "$api/api/v1/recompute") == 401 ]] || fail "401 without token"
[[ $(code -X POST -H "Authorization: Bearer s3cret-token" "$api/api/v1/recompute") == 202 ]] || fail "202 with token"
grep -q s3cret "$tmp/daemon.err" && fail "the token appeared in the log"

# ---- a recompute that finds the write lock held past its busy timeout tries again
recomputes() { grep -c 'recompute (' "$tmp/daemon.err" || true; }
more_recomputes() { [[ $(recomputes) -gt $1 ]]; }
# The lock is held from a flag file until the daemon has said so (at most 30 s),
# not for a fixed time that a slow machine can outlast.
cat >"$tmp/hold.sh" <<HOLD
touch "$tmp/locked"
for _ in \$(seq 300); do grep -q 'database busy' "$tmp/daemon.err" && exit 0; sleep 0.1; done
HOLD
sqlite3 -bail "$tmp/p.db" ".timeout 10000" "BEGIN IMMEDIATE" ".shell sh $tmp/hold.sh" "COMMIT" \
    >"$tmp/lock.out" 2>&1 &
lockpid=$!
wait_for 10 test -f "$tmp/locked" || fail "could not take the write lock: $(cat "$tmp/lock.out")"
[[ $(code -X POST -H "Authorization: Bearer s3cret-token" "$api/api/v1/recompute") == 202 ]] || fail "202 while locked"
wait_for 30 grep -q "recompute: database busy; again in 2 s" "$tmp/daemon.err" || fail "no retry after busy"
before=$(recomputes)
wait "$lockpid" || fail "the lock holder failed"
wait_for 10 more_recomputes "$before" || fail "recompute not redone after the lock was released"

# ---- the recompute runs in a child process (the daemon's RSS stays what serving
# needs); after the config file was touched since its load, the child refuses
# and the daemon runs it itself on the configuration it loaded
grep -q '^<6>recompute (.*(child process)$' "$tmp/daemon.err" || fail "recompute not in a child process"
before=$(recomputes)
touch -d '1 minute ago' "$tmp/parkstat.json"
[[ $(code -X POST -H "Authorization: Bearer s3cret-token" "$api/api/v1/recompute") == 202 ]] || fail "202 after touch"
wait_for 10 more_recomputes "$before" || fail "no recompute after the config was touched"
grep -q "parkstat.json changed since it was loaded: running on the loaded configuration in the daemon" \
    "$tmp/daemon.err" || fail "a changed config file was not noticed"
[[ $(grep 'recompute (' "$tmp/daemon.err" | tail -1) != *"(child process)" ]] || fail "the child ran a changed config"
kill -0 "$daemon" || fail "the daemon died"

# ---- SIGHUP: a broken config is reported and the old one stays; a good one switches
cp "$tmp/parkstat.json" "$tmp/good.json"
printf '{"units": [\n  {"id": "x",}\n]}\n' >"$tmp/parkstat.json"
kill -HUP "$daemon"
wait_for 5 grep -q "parkstat.json:2:14:" "$tmp/daemon.err" || fail "broken config not reported with its place"
{ grep -q '^RELOADING=1' "$tmp/notify.log" && grep -q '^MONOTONIC_USEC=' "$tmp/notify.log"; } || fail "RELOADING=1"
[[ $(curl -sf "$api/api/v1/units" | py 'len(d["data"])') == 3 ]] || fail "old config not in force"
# a new time zone takes a restart (TZ is set once, before any thread starts)
write_config ', {"id": "p04", "name": "示例物流园", "parent": "city"}'
sed -i 's/^{"server"/{"timezone": "UTC", "server"/' "$tmp/parkstat.json"
kill -HUP "$daemon"
wait_for 5 grep -q "timezone UTC differs from the running Asia/Shanghai: a new time zone takes a restart" "$tmp/daemon.err" ||
    fail "a new time zone was not refused"
[[ $(curl -sf "$api/api/v1/units" | py 'len(d["data"])') == 3 ]] || fail "a new time zone was applied"
write_config ', {"id": "p03", "name": "示例生物园", "parent": "city"}'
kill -HUP "$daemon"
has_p03() { curl -sf "$api/api/v1/units" | py '[u["code"] for u in d["data"]]' | grep -q p03; }
wait_for 5 has_p03 || fail "good config did not take effect"

# ---- a real Prometheus scrapes /metrics
pport=$(free_port)
cat >"$tmp/prometheus.yml" <<EOF
global: {scrape_interval: 1s}
scrape_configs:
  - job_name: parkstat
    static_configs: [{targets: ["127.0.0.1:$port"]}]
EOF
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/prom" \
    --web.listen-address="127.0.0.1:$pport" >"$tmp/prometheus.log" 2>&1 &
pids+=($!)
promq() { curl -sf "http://127.0.0.1:$pport/api/v1/query" --data-urlencode "query=$1" | py 'd["data"]["result"][0]["value"][1] if d["data"]["result"] else ""'; }
up_is_1() { [[ $(promq 'up{job="parkstat"}') == 1 ]]; }
wait_for 30 up_is_1 || fail "Prometheus: up != 1 ($(tail -n 3 "$tmp/prometheus.log"))"
pulls() { [[ -n $(promq 'sum(parkstat_pulls_total{source="monthly"})') ]]; }
wait_for 10 pulls || fail "Prometheus has no parkstat series"

# ---- SIGTERM while a transfer hangs: exit 0 within the grace period
curl -sf "http://127.0.0.1:$fport/stats" | py 'd.get("hang", 0)' | grep -qv '^0$' || fail "the hanging transfer never started"
start=$(date +%s.%N)
kill -TERM "$daemon"
set +e
wait "$daemon"
status=$?
set -e
took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
[[ $status -eq 0 ]] || fail "exit status $status after SIGTERM"
awk -v t="$took" 'BEGIN { exit !(t < 3) }' || fail "SIGTERM took $took s (grace 1 s)"
grep -q '^STOPPING=1' "$tmp/notify.log" || fail "no STOPPING=1"
echo "ok: service (READY, watchdog, API numbers, 4xx, auth, SIGHUP, Prometheus, SIGTERM in ${took}s)"
