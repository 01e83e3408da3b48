#!/usr/bin/env bash
# Sets up (Debian packages), builds parkstat and runs the service on the
# bundled demo (examples/demo/): a synthetic city of 15 parks, 2021-01 ..
# 2025-12, and 1,000 synthetic enterprises.
#
#   - the parks' monthly reports are published as one CSV file per month
#     (file:// URLs, as a park server would publish them over HTTP);
#   - parkstatd pulls every published month (catch-up), stores it, recomputes
#     the four indices and answers on http://127.0.0.1:8080 (dashboard at /);
#   - the parkstat CLI asks the API; a revised month shows vintages.
#
# Stop with Ctrl-C. PARKSTAT_DEMO_LISTEN=127.0.0.1:PORT picks another address;
# PARKSTAT_DEMO_EXIT=1 stops the service after the tour (for scripts).
set -euo pipefail
cd "$(dirname "$0")/.."
listen=${PARKSTAT_DEMO_LISTEN:-127.0.0.1:8080}
url="http://$listen"

bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPARKSTAT_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)"
bash scripts/build-web.sh # the dashboard at /: without it the demo stops here
export PARKSTAT_WEB_ROOT="$PWD/web/dist"

demo=$PWD/examples/demo
work=$(mktemp -d /tmp/parkstat-demo.XXXXXX)
cli() { build/parkstat "$@" --url "$url"; }

echo "== the parks' monthly reports, one file per month, in $work/feeds"
mkdir -p "$work/feeds"
awk -F, -v dir="$work/feeds" 'NR == 1 { header = $0; next }
    { f = dir "/parks-" $3 ".csv"; if (!(f in seen)) { print header > f; seen[f] = 1 }; print >> f }' \
    "$demo/data/synthetic_monthly.csv"
find "$work/feeds" -mindepth 1 -maxdepth 1 -printf '%f\n' | LC_ALL=C sort | sed -n '1p;$p'

echo "== the configuration: the demo's, reading those files, database in $work"
sed -e "s#file:///var/lib/parkstat/feeds#file://$work/feeds#" \
    -e "s#\"database\": \"demo.db\"#\"database\": \"$work/demo.db\"#" \
    -e "s#\"listen\": \"127.0.0.1:8080\"#\"listen\": \"$listen\"#" \
    "$demo/config.json" >"$work/config.json"
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/token"
build/parkstatd --check-config "$work/config.json"

echo "== quarterly, yearly and enterprise figures arrive as files: parkstat import"
build/parkstat import --db "$work/demo.db" --config "$work/config.json" \
    "$demo"/data/synthetic_quarterly.csv "$demo"/data/synthetic_yearly.csv \
    "$demo"/data/synthetic_enterprises.csv

echo "== parkstatd -c $work/config.json (log: $work/parkstatd.log)"
build/parkstatd -c "$work/config.json" 2>"$work/parkstatd.log" &
daemon=$!
trap 'kill $daemon 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "$url/healthz" >/dev/null && break; sleep 0.1; done
curl -sf "$url/healthz" >/dev/null || { tail "$work/parkstatd.log"; exit 1; }

# Catch-up: every month from 2021-01 to last month is due once.
months=$(( ($(date +%Y) - 2021) * 12 + 10#$(date +%m) - 1 ))
for _ in $(seq 300); do
    runs=$(curl -sf "$url/api/v1/runs?source=parks-monthly&limit=1000&format=csv" | tail -n +2 | wc -l)
    ((runs >= months)) && break
    sleep 0.1
done
# The recompute follows the last stored pull after a short debounce.
for _ in $(seq 300); do
    curl -sf "$url/api/v1/rankings/monitoring?period=2025-Q4" >/dev/null 2>&1 && break
    sleep 0.2
done

echo "== parkstat status / sources"
cli status
cli sources
echo "== 高新区监测发展指数 (base 2021 = 100), 2025-Q4"
cli ranking monitoring --period 2025-Q4
echo "== revenue (营业收入) of the whole city, 2025: year-to-date growth (累计增速, %)"
cli series --unit city --indicator revenue --from 2025-01 --to 2025-12 --transform ytd_yoy
echo "== 企业创新积分 2025: enterprises with at least 75 points, by stage"
build/parkstat ranking --db "$work/demo.db" --index innovation_points --period 2025 \
    --min-score 75 --by stage | awk 'NR > 1 { print $NF }' | sort | uniq -c

echo "== a park server revises November 2025; pull it again (admin API, bearer token)"
before=$(date -u +%Y-%m-%dT%H:%M:%SZ)
sleep 1
awk -F, -v OFS=, 'NR > 1 && $1 == "p01" && $2 == "revenue" { $4 = sprintf("%.2f", $4 * 1.02) } { print }' \
    "$work/feeds/parks-2025-11.csv" >"$work/revised.csv"
mv "$work/revised.csv" "$work/feeds/parks-2025-11.csv"
cli pull parks-monthly --period 2025-11 --token-file "$work/token"
for _ in $(seq 50); do
    [[ $(cli observations --unit p01 --indicator revenue --from 2025-11 --to 2025-11 --history \
        --format csv | tail -n +2 | wc -l) -ge 2 ]] && break
    sleep 0.1
done
cli observations --unit p01 --indicator revenue --from 2025-11 --to 2025-11 --history
echo "-- as known before the revision (--as-of $before):"
cli observations --unit p01 --indicator revenue --from 2025-11 --to 2025-11 --as-of "$before"

cli report monitoring --period 2025-Q4 --format html --output "$work/bulletin-2025-Q4.html"
echo
echo "Dashboard:  $url/"
echo "Bulletin:   $work/bulletin-2025-Q4.html"
echo "API:        $url/api/v1/rankings/monitoring?period=2025-Q4"
if [[ -n ${PARKSTAT_DEMO_EXIT:-} ]]; then
    kill -TERM "$daemon"
    wait "$daemon"
    exit 0
fi
echo "parkstatd is running (Ctrl-C stops it)."
wait "$daemon"
