#!/usr/bin/env bash
# pull.sh - the collector benchmark: one `parkstatd --once` cycle over many HTTP
# sources, beside the two limits it is made of and beside collectd.
#
#   bash bench/pull.sh [BUILD_DIR] [SOURCES] [RECORDS] [RUNS]
#                                       (defaults: build, 2000, 200, 3)
#
# nginx serves SOURCES payloads of RECORDS long-layout JSON records (~16 KB for
# 200; bench/gen_pull_data.sh) on a free 127.0.0.1 port. Then RUNS times, side
# by side, each under /usr/bin/time (wall time, peak RSS):
#   curl     curl --parallel --parallel-max 64 fetching every URL to /dev/null
#            (limit a: the transfers alone);
#   raw      bench_raw_insert on a fresh database with the same records as CSV
#            (limit b: the plain prepared-insert loop of bench/ingest);
#   plain    bench_plain_insert on a fresh database with the same CSV: SQLite
#            alone, one table, one prepared INSERT (bench/scale.sh's reference,
#            issue 15 part 3: a pull at >= 0.7 x its speed, whole process);
#   parkstatd  parkstatd --once on a fresh database: config, schema, fetch,
#            parse, validate, store (goal: wall <= 1.5 x (a + b), every record
#            stored, peak RSS < 100 MB);
#   collectd collectd -T with curl_json reading every record's value of every
#            URL once; values are dropped by a PreCache chain (collectd stores
#            nothing in -T mode: it exits before its write queue drains).
# Once before the runs, collectd is run without the drop chain to count the
# values it dispatched (one "write targets" log line each). Prints per run and
# as the median the ratio plain wall / parkstatd wall (goal >= 0.7); the plain
# loop runs just before parkstatd in odd runs and just after it in even runs.
# Needs bash, awk, coreutils, nginx, curl, GNU time; collectd is optional.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
nsrc=${2:-2000}
nrec=${3:-200}
runs=${4:-3}
raw_bin=$build/bench/bench_raw_insert
plain_bin=$build/bench/bench_plain_insert
daemon_bin=$build/parkstatd
gtime=/usr/bin/time

for b in "$raw_bin" "$plain_bin" "$daemon_bin"; do
    [ -x "$b" ] || { echo "pull.sh: $b missing: cmake --build $build --target parkstatd bench_raw_insert bench_plain_insert" >&2; exit 1; }
done
for t in nginx curl "$gtime"; do
    command -v "$t" >/dev/null || { echo "pull.sh: $t missing (Debian: nginx-light curl time)" >&2; exit 1; }
done
have_collectd=0
[ -x /usr/sbin/collectd ] && [ -e /usr/lib/collectd/curl_json.so ] && have_collectd=1
[ "$have_collectd" = 1 ] || echo "pull.sh: collectd or its curl_json plugin missing: skipping collectd" >&2

tmp=$(mktemp -d "${TMPDIR:-/tmp}/parkstat-pull.XXXXXX")
chmod 755 "$tmp" # nginx workers read the payloads as an unprivileged user
cleanup() {
    if [ -f "$tmp/nginx.pid" ]; then kill "$(cat "$tmp/nginx.pid")" 2>/dev/null || true; fi
    [ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# timed NAME CMD...: runs CMD under GNU time; appends "wall_s peak_rss_kb" to NAME.times.
timed() {
    local name=$1
    shift
    "$gtime" -f '%e %M' -o "$tmp/$name.t" "$@"
    local rc=$?
    tail -n1 "$tmp/$name.t" >> "$tmp/$name.times"
    return $rc
}
last() { tail -n1 "$tmp/$1.times"; }
# The plain loop on a fresh database (P.db).
run_plain() {
    rm -f "$tmp"/P.db*
    timed plain "$plain_bin" "$tmp/P.db" "$tmp/data.csv" > "$tmp/plain.out" || { cat "$tmp/plain.out"; exit 1; }
}

# The newest released month (release lag 0, the config's zone is UTC): the one
# period due for every source.
month=$(TZ=UTC date -d "$(TZ=UTC date +%Y-%m-01) -1 day" +%Y-%m)

# ---- nginx on a free loopback port: try ports until one binds
mkdir -p "$tmp/www"
port=
for _ in $(seq 20); do
    p=$((20000 + RANDOM % 40000))
    cat > "$tmp/nginx.conf" <<EOF
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log;
events { worker_connections 1024; }
http {
    default_type application/json;
    access_log off;
    keepalive_requests 100000;
    client_body_temp_path $tmp/body; proxy_temp_path $tmp/proxy;
    fastcgi_temp_path $tmp/fastcgi; uwsgi_temp_path $tmp/uwsgi; scgi_temp_path $tmp/scgi;
    server {
        listen 127.0.0.1:$p;
        root $tmp/www;
        sendfile on;
        open_file_cache max=10000;
    }
}
EOF
    if nginx -c "$tmp/nginx.conf" -e "$tmp/nginx-error.log" 2>/dev/null; then
        port=$p
        break
    fi
done
[ -n "$port" ] || { echo "pull.sh: nginx did not start:" >&2; cat "$tmp/nginx-error.log" >&2; exit 1; }

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(uname -sr)"
echo "versions: $(nginx -v 2>&1 | cut -d' ' -f3), $(curl --version | head -n1 | cut -d' ' -f1-2)$([ "$have_collectd" = 1 ] && echo ", collectd $(dpkg-query -W -f='${Version}' collectd-core 2>/dev/null || echo '?')")"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "generating $nsrc sources x $nrec records for $month on port $port in $tmp"
bash "$src/bench/gen_pull_data.sh" "$tmp" "$port" "$month" "$nsrc" "$nrec"
records=$(($(wc -l < "$tmp/data.csv") - 1))
echo "payloads: $(cat "$tmp"/www/s/*/"$month".json | wc -c) bytes in $nsrc files; $records records"
"$daemon_bin" --check-config "$tmp/parkstat.json"

# ---- warm-up and checks: every URL answers 200; collectd reads every value
codes=$(curl -s --no-progress-meter --parallel --parallel-max 64 -K "$tmp/urls.curl" -w '%{http_code}\n' | grep -c '^200$' || true)
[ "$codes" = "$nsrc" ] || { echo "pull.sh: only $codes of $nsrc URLs answered 200" >&2; exit 1; }
if [ "$have_collectd" = 1 ]; then
    /usr/sbin/collectd -T -C "$tmp/collectd.conf" > "$tmp/collectd-count.log" 2>&1 || true
    # Each value written logs "no write targets"; the rest are reported as left in the queue.
    left=$(sed -n 's/.* \([0-9]*\) value lists were left.*/\1/p' "$tmp/collectd-count.log")
    echo "collectd check run: $(($(grep -c 'write targets' "$tmp/collectd-count.log" || true) + ${left:-0}))" \
         "values dispatched (of $records), $(grep -c 'curl_json plugin:' "$tmp/collectd-count.log" || true) curl_json errors"
    { printf 'PreCacheChain "drop"\n<Chain "drop">\n  Target "stop"\n</Chain>\n'
      cat "$tmp/collectd.conf"; } > "$tmp/collectd-drop.conf"
fi

for run in $(seq 1 "$runs"); do
    timed curl curl -s --no-progress-meter --parallel --parallel-max 64 -K "$tmp/urls.curl" -w '%{http_code}\n' > "$tmp/curl.out"
    echo "run $run curl:      $(last curl) (s, KB); $(grep -c '^200$' "$tmp/curl.out") x 200"

    rm -f "$tmp"/B.db*
    timed raw "$raw_bin" "$tmp/B.db" "$tmp/data.csv" > "$tmp/raw.out" || { cat "$tmp/raw.out"; exit 1; }
    sed -n 's/^RAW .*load_s=\([0-9.]*\) total_s=\([0-9.]*\).*/\1 \2/p' "$tmp/raw.out" >> "$tmp/rawin.times"
    echo "run $run raw:       $(last raw) (s, KB); inside: load, parse+load $(last rawin) s;" \
         "$(sqlite3 "$tmp/B.db" 'SELECT count(*) FROM observation') rows"

    # The plain loop and parkstatd side by side, their order alternated.
    [ $((run % 2)) = 1 ] && run_plain
    rm -f "$tmp"/C.db*
    set +e
    timed parkstatd "$daemon_bin" --once -c "$tmp/parkstat.json" --db "$tmp/C.db" \
        > "$tmp/once.out" 2> "$tmp/once.err"
    status=$?
    set -e
    [ $((run % 2)) = 0 ] && run_plain
    stored=$(sqlite3 "$tmp/C.db" 'SELECT count(*) FROM observation')
    echo "$stored" >> "$tmp/stored.times"
    echo "run $run parkstatd: $(last parkstatd) (s, KB); exit $status; $(tail -n1 "$tmp/once.out");" \
         "$stored rows"
    # The failures by message (the per-pull duration taken out).
    [ "$status" = 0 ] || sed -n 's/^<4>source [^ ]* [^ ]*: failed after [0-9.]* s: //p' "$tmp/once.err" |
        sed 's/[0-9][0-9]* ms/N ms/; s/[0-9][0-9]* milliseconds/N milliseconds/' | sort | uniq -c | sort -rn | head -n5
    echo "run $run plain:     $(last plain) (s, KB); $(sqlite3 "$tmp/P.db" 'SELECT count(*) FROM obs') rows"
    ratio=$(awk -v q="$(last plain)" -v d="$(last parkstatd)" \
        'BEGIN { split(q, a, " "); split(d, b, " "); printf "%.3f", (b[1] > 0 ? a[1] / b[1] : 0) }')
    echo "$ratio" >> "$tmp/ratio.times"
    printf 'run %d ratio plain / parkstatd wall: %.2f (goal >= 0.7)\n' "$run" "$ratio"

    if [ "$have_collectd" = 1 ]; then
        timed collectd /usr/sbin/collectd -T -C "$tmp/collectd-drop.conf" > "$tmp/collectd.log" 2>&1 || true
        echo "run $run collectd:  $(last collectd) (s, KB)"
    fi
done

med() { cut -d' ' -f"$2" "$tmp/$1.times" | median; }
a=$(med curl 1)
b=$(med raw 1)
p=$(med parkstatd 1)
echo
echo "median of $runs runs, $nsrc sources x $nrec records ($records):"
printf '  (a) curl --parallel 64 to /dev/null:  %8.2f s  %7d KB\n' "$a" "$(med curl 2)"
printf '  (b) raw insert loop (process):        %8.2f s  %7d KB  (inside: load %.2f s, parse+load %.2f s)\n' \
    "$b" "$(med raw 2)" "$(med rawin 1)" "$(med rawin 2)"
printf '  plain insert loop (process):          %8.2f s  %7d KB\n' "$(med plain 1)" "$(med plain 2)"
printf '  parkstatd --once:                     %8.2f s  %7d KB  (%s rows stored, median)\n' \
    "$p" "$(med parkstatd 2)" "$(median < "$tmp/stored.times")"
printf '  ratio plain / parkstatd wall, median of the runs'"'"' ratios: %.2f (goal >= 0.7; runs: %s)\n' \
    "$(median < "$tmp/ratio.times")" "$(tr '\n' ' ' < "$tmp/ratio.times" | sed 's/ $//')"
[ "$have_collectd" = 1 ] && printf '  collectd -T curl_json (read only):    %8.2f s  %7d KB\n' "$(med collectd 1)" "$(med collectd 2)"
awk -v a="$a" -v b="$b" -v p="$p" 'BEGIN {
    printf "  parkstatd / (a + b): %.2f (goal <= 1.5)\n", p / (a + b)
}'
echo "load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
