#!/usr/bin/env bash
# bench/api_scale: latency of parkstatd on a national store (bench/scale.sh's
# 200k, say) with a different URI per request: one unit's series
# (bench/api_series.lua) and a ranking page of about 100 (bench/api_rank.lua),
# beside the cached answer of one URI (no SQL, no JSON: the machine's floor).
# wrk --latency, 1 thread, CONNS connections, SECS seconds each; p50 and p99
# per endpoint and round, then their medians, with the load average and the
# daemon's CPU time per answer (from /proc: the figure the machine's load
# changes least).
#
# Given two build directories, their daemons take turns round by round on the
# same copy of the store (so both see the same machine), and the answers of
# a sample of URIs (series, ranking pages, index pages) are compared byte for
# byte first.
#
# Usage: bash bench/api_scale.sh STORE_DIR [BUILD_DIR [BUILD_DIR2]]
#   STORE_DIR holds store.db (and store.db-wal) and config.json, as
#   `SCALE_KEEP=DIR bash bench/scale.sh build 200k` leaves them in DIR/200k.
#   It is only read: the store is copied to WORK (default a new directory
#   under /tmp, removed at the end; an existing WORK with a store.db is
#   reused as it is, and kept).
# Environment: ROUNDS (3), SECS (5), CONNS (4), UNITS (the config's unit
#   count, for bench/api_series.lua), WORK, APART (1: each build serves its
#   own copy of the store, for builds of different schema versions: a newer
#   one migrates its copy, which an older one would refuse).
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
store=${1:?usage: bash bench/api_scale.sh STORE_DIR [BUILD_DIR [BUILD_DIR2]]}
shift
builds=("${@:-build}")
rounds=${ROUNDS:-3}
secs=${SECS:-5}
conns=${CONNS:-4}
[[ -f $store/store.db && -f $store/config.json ]] ||
    { echo "api_scale.sh: $store has no store.db and config.json" >&2; exit 2; }
for b in "${builds[@]}"; do
    [[ -x $b/parkstatd ]] || { echo "api_scale.sh: no $b/parkstatd" >&2; exit 2; }
done
command -v wrk >/dev/null || { echo "api_scale.sh: wrk is not installed" >&2; exit 2; }

own_work=0
if [[ -z ${WORK:-} ]]; then
    WORK=$(mktemp -d)
    own_work=1
fi
mkdir -p "$WORK"
daemon=
cleanup() {
    if [[ -n $daemon ]]; then kill "$daemon" 2>/dev/null || true; wait "$daemon" 2>/dev/null || true; fi
    if ((own_work)); then rm -rf "$WORK"; fi
}
trap cleanup EXIT
copy_store() { # file name in WORK
    [[ -f $WORK/$1 ]] && return 0
    echo "copying $store/store.db to $WORK/$1 ..." >&2
    cp "$store/store.db" "$WORK/$1"
    if [[ -s $store/store.db-wal ]]; then cp "$store/store.db-wal" "$WORK/$1-wal"; fi
}
apart=${APART:-0}
if ((apart)); then
    for b in "${!builds[@]}"; do copy_store "store.$b.db"; done
else
    copy_store store.db
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
apart_builds=()
if ((apart)); then apart_builds=("${!builds[@]}"); fi
units=$(python3 - "$store/config.json" "$WORK/serve.json" "$port" "${apart_builds[@]}" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["database"] = "store.db"
c["sources"] = []
c.setdefault("server", {})["listen"] = "127.0.0.1:" + sys.argv[3]
c["server"].pop("token_file", None)
json.dump(c, open(sys.argv[2], "w"), ensure_ascii=False)
for b in sys.argv[4:]:  # APART: one config per build and its copy
    c["database"] = "store.%s.db" % b
    json.dump(c, open(sys.argv[2].replace("serve", "serve.%s" % b), "w"), ensure_ascii=False)
print(sum(1 for u in c["units"] if u.get("parent")))
EOF
)
units=${UNITS:-$units}
base=http://127.0.0.1:$port
index=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["indices"][0]["id"])' "$store/config.json")

start() { # build dir, its number
    local conf=$WORK/serve.json
    if ((apart)); then conf=$WORK/serve.$2.json; fi
    "$1/parkstatd" -c "$conf" 2>"$WORK/daemon.err" &
    daemon=$!
    for _ in $(seq 300); do
        curl -sf "$base/healthz" >/dev/null && return 0
        kill -0 "$daemon" 2>/dev/null || break
        sleep 0.1
    done
    echo "api_scale.sh: $1/parkstatd did not start:" >&2
    cat "$WORK/daemon.err" >&2
    exit 1
}
stop() {
    kill "$daemon"
    wait "$daemon" 2>/dev/null || true
    daemon=
}

ms() { # wrk's "1.69ms" / "576.94us" / "1.02s" -> milliseconds
    awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 }
        else if (v ~ /ms$/) sub(/ms/, "", v); else if (v ~ /s$/) { sub(/s/, "", v); v *= 1000 }
        printf "%.2f", v }'
}

cpu_ticks() { # the daemon's user + system CPU time in clock ticks
    awk '{ print $14 + $15 }' "/proc/$daemon/stat"
}

run_wrk() { # name, then wrk's arguments -> "name p50 p99 req/s cpu_ms errors"
    local name=$1 out t0 t1
    shift
    t0=$(cpu_ticks)
    out=$(wrk -t1 -c"$conns" -d"${secs}s" --latency "$@")
    t1=$(cpu_ticks)
    local p50 p99 rps bad n cpu
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    rps=$(awk '/^Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
    bad=$(awk '/Non-2xx/ {n += $NF} /Socket errors/ {n += 1} END {print n + 0}' <<<"$out")
    n=$(awk '/requests in/ {print $1}' <<<"$out")
    # the daemon's CPU per answer: what the load of the machine does not change
    cpu=$(awk -v t="$((t1 - t0))" -v hz="$(getconf CLK_TCK)" -v n="$n" \
        'BEGIN { printf "%.3f", n ? t * 1000 / hz / n : 0 }')
    echo "$name $(ms "$p50") $(ms "$p99") $rps $cpu $bad"
}

endpoints() { # one round of the three endpoints on the running daemon
    run_wrk series -s "$src/bench/api_series.lua" "$base" -- "$units"
    run_wrk ranking -s "$src/bench/api_rank.lua" "$base"
    run_wrk cached "$base/api/v1/rankings/$index?limit=100"
}

sample() { # the answers of a sample of URIs into directory $1, one file each
    local dir=$1 i=0 n u ind p l
    mkdir -p "$dir"
    get() { i=$((i + 1)); curl -s "$base$1" >"$dir/$i"; }
    for n in 1 7 123 4567 19999 77777 123457 199999; do
        u=$(printf 'u%05d' $((n % units)))
        for ind in i00 i03 i07; do get "/api/v1/series?unit=$u&indicator=$ind"; done
    done
    for p in 2025-01 2025-06 2025-12; do
        for l in 100 137 163; do get "/api/v1/rankings/$index?period=$p&limit=$l"; done
        get "/api/v1/indices/$index?period=$p&limit=50"
    done
    get "/api/v1/observations?unit=u00042&indicator=i01"
    get "/api/v1/observations?unit=u00042&indicator=i01&from=2025-03"
    get "/api/v1/rankings/$index?limit=100&format=csv"
}

if ((${#builds[@]} > 1)); then
    for b in 0 1; do
        start "${builds[$b]}" "$b"
        sample "$WORK/answers.$b"
        stop
    done
    if diff -rq "$WORK/answers.0" "$WORK/answers.1" >/dev/null; then
        echo "answers: $(find "$WORK/answers.0" -type f | wc -l) URIs byte-identical in both builds"
    else
        echo "answers DIFFER between ${builds[0]} and ${builds[1]}:"
        diff -rq "$WORK/answers.0" "$WORK/answers.1" | head
    fi
fi

results=$WORK/results
: >"$results"
echo "store $store ($units units), wrk -t1 -c$conns -d${secs}s --latency, $rounds rounds"
for ((r = 1; r <= rounds; r++)); do
    for b in "${!builds[@]}"; do
        start "${builds[$b]}" "$b"
        # warm: the store's pages into the page cache, the statements prepared
        wrk -t1 -c"$conns" -d2s -s "$src/bench/api_series.lua" "$base" -- "$units" >/dev/null
        wrk -t1 -c"$conns" -d2s -s "$src/bench/api_rank.lua" "$base" >/dev/null
        load=$(cut -d' ' -f1 /proc/loadavg)
        while read -r name p50 p99 rps cpu bad; do
            printf 'round %d %-12s %-8s p50 %7s ms  p99 %7s ms  %6s req/s  CPU %s ms/answer  load %s%s\n' \
                "$r" "${builds[$b]}" "$name" "$p50" "$p99" "$rps" "$cpu" "$load" \
                "$( ((bad)) && echo "  $bad errors")"
            echo "$b $name $p50 $p99 $rps $load $cpu" >>"$results"
        done < <(endpoints)
        stop
    done
done
echo "medians of $rounds rounds:"
for b in "${!builds[@]}"; do
    for name in series ranking cached; do
        awk -v b="$b" -v n="$name" -v label="${builds[$b]}" '
            BEGIN { k = 0 } $1 == b && $2 == n { p50[k] = $3; p99[k] = $4; rps[k] = $5; cpu[k] = $7; ld[k++] = $6 }
            function med(a, m,   i, j, t) { for (i = 0; i < m; i++) for (j = i + 1; j < m; j++)
                if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
                return m % 2 ? a[int(m / 2)] : (a[m / 2 - 1] + a[m / 2]) / 2 }
            END { if (k) printf "%-12s %-8s p50 %7.2f ms  p99 %7.2f ms  %6.0f req/s  CPU %.3f ms/answer  load %.1f\n",
                  label, n, med(p50, k), med(p99, k), med(rps, k), med(cpu, k), med(ld, k) }' "$results"
    done
done
echo "goal: series and ranking p99 < 5 ms (the cached line is the machine's floor)"
