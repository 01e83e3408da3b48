#!/usr/bin/env bash
# Sets up (Debian packages), builds parkstat and runs it on the bundled demo:
# 15 parks of a synthetic city, 2021-01 .. 2025-12, and 1,000 synthetic enterprises
# (examples/demo/): import, a revision, queries, and the composite indices.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPARKSTAT_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)"
bash scripts/build-web.sh && export PARKSTAT_WEB_ROOT="$PWD/web/dist"  # the dashboard at /

demo=examples/demo
db=$(mktemp -d)/demo.db
echo "== check the configuration"
build/parkstatd --check-config "$demo/config.json"

echo "== import the synthetic park statistics into $db"
build/parkstat import --db "$db" --config "$demo/config.json" "$demo"/data/synthetic_*.csv
before=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ | sed -E 's/([0-9]{6})[0-9]{3}Z$/\1Z/')
sleep 1

echo "== import a revision (a later vintage of some 2025 figures)"
build/parkstat import --db "$db" --config "$demo/config.json" "$demo"/data/revision_*.csv

echo "== revenue of park p01, 2025 (current vintage)"
build/parkstat observations --db "$db" --unit p01 --indicator revenue --from 2025-01 --to 2025-12
echo "== the same as known before the revision (--as-of $before)"
build/parkstat observations --db "$db" --unit p01 --indicator revenue --from 2025-01 --to 2025-12 \
    --as-of "$before"

echo "== recompute the composite indices (4 indices, 15 parks, 1,000 enterprises)"
build/parkstat recompute --db "$db" --config "$demo/config.json"
echo "== 高新区监测发展指数 (base 2021 = 100), 2025-Q4: top 5 (rank, park, score, rank change, flags)"
build/parkstat ranking --db "$db" --index monitoring --period 2025-Q4 --limit 5
echo "== 企业创新积分 2025: enterprises with at least 75 points, by stage"
build/parkstat ranking --db "$db" --index innovation_points --period 2025 --min-score 75 --by stage |
    awk '{ print $NF }' | sort | uniq -c
