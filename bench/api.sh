#!/usr/bin/env bash
# bench/api: wrk with 64 connections on /api/v1/indices/{id}?period=... of
# parkstatd (demo data, city scale), side by side with nginx serving the
# identical bytes as a static file. Reports requests/s, p99 latency, the ratio,
# and the daemon's peak RSS.
# Usage: bash bench/api.sh [BUILD_DIR] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
secs=${2:-10}
src=$PWD
tmp=$(mktemp -d)
chmod 755 "$tmp"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    if [[ -f $tmp/nginx.pid ]]; then kill "$(cat "$tmp/nginx.pid")" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
nport=$(free_port)

# The demo city: import, recompute; the daemon serves it with no sources.
python3 - "$src/examples/demo/config.json" "$tmp/config.json" "$port" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["sources"] = []
c["database"] = "demo.db"
c.setdefault("server", {})["listen"] = "127.0.0.1:" + sys.argv[3]
json.dump(c, open(sys.argv[2], "w"), ensure_ascii=False)
EOF
"$build/parkstat" import --db "$tmp/demo.db" --config "$tmp/config.json" \
    "$src"/examples/demo/data/synthetic_*.csv >/dev/null
"$build/parkstat" recompute --db "$tmp/demo.db" --config "$tmp/config.json" >/dev/null
period=$(sqlite3 "$tmp/demo.db" "SELECT max(period) FROM result WHERE index_id='monitoring'")
path="/api/v1/indices/monitoring?period=$period"

# The demo config names an admin token file; parkstatd refuses to start without it.
head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/token"
"$build/parkstatd" -c "$tmp/config.json" 2>"$tmp/daemon.err" &
daemon=$!
pids+=("$daemon")
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port$path" >"$tmp/same.json" ||
    { echo "api.sh: parkstatd did not answer:" >&2; cat "$tmp/daemon.err" >&2; exit 1; }
bytes=$(wc -c <"$tmp/same.json")

mkdir -p "$tmp/www/api/v1/indices"
cp "$tmp/same.json" "$tmp/www/same.json"
cat >"$tmp/nginx.conf" <<EOF
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    default_type application/json;
    client_body_temp_path $tmp/body; proxy_temp_path $tmp/proxy;
    fastcgi_temp_path $tmp/fastcgi; uwsgi_temp_path $tmp/uwsgi; scgi_temp_path $tmp/scgi;
    server { listen 127.0.0.1:$nport; root $tmp/www; }
}
EOF
nginx -c "$tmp/nginx.conf" -e "$tmp/nginx-error.log"

run_wrk() { # url -> "req/s p99_ms"
    wrk -t2 -c64 -d"${secs}s" --latency "$1" >"$tmp/wrk.out"
    local rps p99
    rps=$(awk '/^Requests\/sec/ {print $2}' "$tmp/wrk.out")
    p99=$(awk '$1 == "99%" {v = $2; if (v ~ /us$/) {sub(/us/, "", v); v /= 1000}
              else if (v ~ /ms$/) sub(/ms/, "", v); else if (v ~ /s$/) {sub(/s/, "", v); v *= 1000}
              print v}' "$tmp/wrk.out")
    echo "$rps $p99"
}
read -r p_rps p_p99 < <(run_wrk "http://127.0.0.1:$port$path")
read -r n_rps n_p99 < <(run_wrk "http://127.0.0.1:$nport/same.json")
rss=$(awk '/VmHWM/ {print $2}' "/proc/$daemon/status")
ratio=$(awk -v a="$p_rps" -v b="$n_rps" 'BEGIN { printf "%.2f", a / b }')

echo "bench/api: $bytes-byte answer of GET $path, wrk -t2 -c64 -d${secs}s"
printf '%-28s %12s %10s\n' "" "requests/s" "p99 (ms)"
printf '%-28s %12.0f %10.2f\n' "parkstatd" "$p_rps" "$p_p99"
printf '%-28s %12.0f %10.2f\n' "nginx (same bytes, static)" "$n_rps" "$n_p99"
echo "ratio parkstatd / nginx: $ratio   (goal >= 0.5, p99 < 5 ms)"
echo "parkstatd peak RSS: $((rss / 1024)) MB   (goal < 50 MB)"
