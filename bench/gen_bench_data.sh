#!/usr/bin/env bash
# gen_bench_data.sh - writes the input of the ingest benchmark (bench/ingest.sh):
#   OUT/bench.json  a config: a city, 10 parks, 1000 enterprises, 20 monthly flows
#   OUT/data.csv    N observations, long format unit,indicator,period,value:
#                   1000 enterprises x 20 indicators x ceil(N / 20000) months from 2021-01,
#                   month by month, cut at N rows.
# Deterministic (values are a hash of the key, no RNG), awk only (no Python on CI).
#
#   bash bench/gen_bench_data.sh OUT [N]      (N defaults to 1000000)
set -euo pipefail

out=${1:?usage: gen_bench_data.sh OUT [N]}
n=${2:-1000000}
units=1000
inds=20
mkdir -p "$out"

awk -v units="$units" -v inds="$inds" 'BEGIN {
    print "{"
    print "  \"database\": \"bench.db\","
    print "  \"units\": ["
    print "    {\"id\": \"city\", \"name\": \"基准测试市\"},"
    for (p = 1; p <= 10; p++)
        printf "    {\"id\": \"b%02d\", \"name\": \"园区%02d\", \"parent\": \"city\"},\n", p, p
    for (u = 1; u <= units; u++)
        printf "    {\"id\": \"e%05d\", \"name\": \"企业%05d\", \"parent\": \"b%02d\"}%s\n",
               u, u, (u - 1) % 10 + 1, u < units ? "," : ""
    print "  ],"
    print "  \"indicators\": ["
    for (i = 1; i <= inds; i++)
        printf "    {\"code\": \"m%02d\", \"name\": \"指标%02d\", \"measure\": \"万元\", " \
               "\"frequency\": \"M\", \"kind\": \"flow\"}%s\n", i, i, i < inds ? "," : ""
    print "  ]"
    print "}"
}' > "$out/bench.json"

awk -v units="$units" -v inds="$inds" -v n="$n" 'BEGIN {
    print "unit,indicator,period,value"
    rows = 0
    for (m = 0; rows < n; m++) {
        period = sprintf("%04d-%02d", 2021 + int(m / 12), m % 12 + 1)
        for (u = 1; u <= units && rows < n; u++)
            for (i = 1; i <= inds && rows < n; i++) {
                v = (u * 7919 + i * 104729 + m * 1299709) % 1000003
                printf "e%05d,m%02d,%s,%.2f\n", u, i, period, v / 100
                rows++
            }
    }
}' > "$out/data.csv"
