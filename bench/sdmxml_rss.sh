#!/usr/bin/env bash
# Peak memory of the SDMX-ML reader on generated StructureSpecific messages of
# about 20 MB and 200 MB (monthly series, four dimensions, one attribute per
# observation; 200 MB once with ten times the series, once with ten times the
# observations per series): /usr/bin/time -v's maximum resident set size of
# bench_sdmxml_read, which holds the whole file (as the collector holds a
# payload) plus what the reader needs. The reader's own share is the peak
# minus the file size, and must not grow with the file.
#
#   bash bench/sdmxml_rss.sh [BUILD_DIR]    (default build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
exe=$build/bench/bench_sdmxml_read
[[ -x $exe ]] || { echo "build $exe first (cmake --build $build)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# gen FILE SERIES MONTHS: SERIES series of MONTHS months each (63 bytes an observation)
gen() {
    python3 - "$1" "$2" "$3" <<'PY'
import sys
path, nseries, months = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(path, "w") as f:
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<message:StructureSpecificData xmlns:message="http://www.sdmx.org/resources/'
            'sdmxml/schemas/v2_1/message" xmlns:ss="http://www.sdmx.org/resources/sdmxml/'
            'schemas/v2_1/data/structurespecific">\n<message:Header><message:ID>BENCH'
            '</message:ID></message:Header>\n<message:DataSet ss:structureRef="B">\n')
    for s in range(nseries):
        f.write(f'<Series FREQ="M" REF_AREA="u{s % 1000:04d}" INDICATOR="i{s // 1000:03d}" '
                f'SEX="{"FMT"[s % 3]}" UNIT_MULT="0">\n')
        f.write("".join(f'<Obs TIME_PERIOD="{2010 + m // 12}-{m % 12 + 1:02d}" '
                        f'OBS_VALUE="{(s * 131 + m * 17) % 100000 / 100:.2f}" '
                        f'OBS_STATUS="A"/>\n' for m in range(months)))
        f.write("</Series>\n")
    f.write("</message:DataSet>\n</message:StructureSpecificData>\n")
PY
}

for shape in "2700 120" "27000 120" "2700 1200"; do
    read -r n months <<<"$shape"
    gen "$tmp/m.xml" "$n" "$months"
    echo "$n series x $months months:"
    size=$(stat -c %s "$tmp/m.xml")
    out=$(/usr/bin/time -v "$exe" "$tmp/m.xml" 2>"$tmp/time")
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tmp/time")
    echo "$out"
    echo "  file $((size / 1024)) KiB, peak RSS $rss KiB, reader $((rss - size / 1024)) KiB"
done
