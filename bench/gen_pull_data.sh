#!/usr/bin/env bash
# gen_pull_data.sh - the input of the collector benchmark (bench/pull.sh).
#
#   bash bench/gen_pull_data.sh DIR PORT MONTH [SOURCES] [RECORDS]
#                                             (defaults: 2000 sources, 200 records)
#
# Writes into DIR, deterministically (awk only):
#   www/s/<source>/<MONTH>.json  one payload per source: RECORDS long-layout
#                                records for the source's own enterprise, one per
#                                indicator, ~16 KB for 200 records
#   parkstat.json                a city, SOURCES enterprises (u0001 ...), RECORDS
#                                monthly flow indicators (i001 ...), and SOURCES
#                                sources, each reading
#                                http://127.0.0.1:PORT/s/<source>/{period}.json
#                                with first_period MONTH (one period due each)
#   data.csv                     the same records as unit,indicator,period,value
#                                (for bench_raw_insert), in payload order
#   urls.curl                    a curl config: every URL, output to /dev/null
#   collectd.conf                collectd's curl_json reading every URL once,
#                                every record's value (Key "data/*/value")
set -euo pipefail

dir=${1:?usage: gen_pull_data.sh DIR PORT MONTH [SOURCES] [RECORDS]}
port=${2:?port}
month=${3:?month (YYYY-MM)}
nsrc=${4:-2000}
nrec=${5:-200}
mkdir -p "$dir/www/s"
(cd "$dir/www/s" && seq -f 's%04g' 1 "$nsrc" | xargs mkdir -p)

LC_ALL=C awk -v dir="$dir" -v port="$port" -v month="$month" -v nsrc="$nsrc" -v nrec="$nrec" '
function unit(k) { return sprintf("u%04d", k) }
function ind(j) { return sprintf("i%03d", j) }
function src(k) { return sprintf("s%04d", k) }
function url(k) { return sprintf("http://127.0.0.1:%d/s/%s/%s.json", port, src(k), month) }
BEGIN {
    cfg = dir "/parkstat.json"; csv = dir "/data.csv"
    curlcfg = dir "/urls.curl"; cd = dir "/collectd.conf"
    print "unit,indicator,period,value" > csv

    printf "{\"database\": \"pull.db\", \"timezone\": \"UTC\", \"log_level\": \"warning\",\n" > cfg
    printf " \"units\": [{\"id\": \"city\", \"name\": \"Bench city\"}" > cfg
    for (k = 1; k <= nsrc; k++)
        printf ",\n   {\"id\": \"%s\", \"name\": \"Enterprise %d\", \"parent\": \"city\"}", unit(k), k > cfg
    printf "],\n \"indicators\": [" > cfg
    for (j = 1; j <= nrec; j++)
        printf "%s\n   {\"code\": \"%s\", \"name\": \"Indicator %d\", \"frequency\": \"M\", \"kind\": \"flow\"}", \
            (j > 1 ? "," : ""), ind(j), j > cfg
    printf "],\n \"sources\": [" > cfg
    for (k = 1; k <= nsrc; k++)
        printf "%s\n   {\"id\": \"%s\", \"url\": \"http://127.0.0.1:%d/s/%s/{period}.json\", " \
               "\"format\": \"json\", \"frequency\": \"M\", \"first_period\": \"%s\", " \
               "\"mapping\": {\"records\": \"/data\", \"unit\": \"/unit\", \"indicator\": \"/indicator\", " \
               "\"period\": \"/period\", \"value\": \"/value\"}}", \
            (k > 1 ? "," : ""), src(k), port, src(k), month > cfg
    printf "]}\n" > cfg
    close(cfg)

    print "LoadPlugin curl_json" > cd
    print "<Plugin curl_json>" > cd
    for (k = 1; k <= nsrc; k++) {
        printf "url = \"%s\"\noutput = \"/dev/null\"\n", url(k) > curlcfg
        printf "  <URL \"%s\">\n    Instance \"%s\"\n    <Key \"data/*/value\">\n" \
               "      Type \"gauge\"\n    </Key>\n  </URL>\n", url(k), src(k) > cd

        f = dir "/www/s/" src(k) "/" month ".json"
        printf "{\"source\": \"%s\", \"published\": \"%s-28T09:30:00+08:00\",\n \"data\": [", src(k), month > f
        for (j = 1; j <= nrec; j++) {
            # A deterministic value with 8-9 significant digits.
            v = ((k * 7919 + j * 104729) % 99999989) / 100 + 1
            printf "%s\n  {\"unit\": \"%s\", \"indicator\": \"%s\", \"period\": \"%s\", \"value\": %.2f}", \
                (j > 1 ? "," : ""), unit(k), ind(j), month, v > f
            printf "%s,%s,%s,%.2f\n", unit(k), ind(j), month, v > csv
        }
        printf "]}\n" > f
        close(f)
    }
    print "</Plugin>" > cd
}'
