#!/usr/bin/env bash
# A real SDMX client against parkstatd: R's rsdmx (Debian r-cran-rsdmx) reads
# data and structure from the running daemon on the demo data, and what it
# reads equals /api/v1: the data frame of a selection of observations (same
# rows, values, periods), an index's scores and ranks, the dataflows, and the
# codelists' names (units, indicators). SDMX-CSV read by python's csv module
# equals the same observations.
set -euo pipefail
bin=${PARKSTAT_BIN:?}
src=${PARKSTAT_SRC:?}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
with_tmp 20
for tool in curl /usr/bin/python3 Rscript; do
    command -v "$tool" >/dev/null ||
        fail "$tool is missing (scripts/setup.sh --test installs it: r-base-core, r-cran-rsdmx)"
done
Rscript -e 'suppressMessages(library(rsdmx))' >/dev/null 2>&1 ||
    fail "R's rsdmx is missing (scripts/setup.sh --test installs r-cran-rsdmx)"
demo_daemon none

# rsdmx reads everything into CSV files (UTF-8) for the comparison below.
cat >"$tmp/read.R" <<'R'
suppressMessages(library(rsdmx))
args <- commandArgs(trailingOnly = TRUE)
u <- paste0(args[1], "/sdmx/2.1")
out <- args[2]
put <- function(df, name) write.csv(df, file.path(out, name), row.names = FALSE, fileEncoding = "UTF-8")
# Observations: two parks, a monthly and a quarterly indicator, 2023.
obs <- readSDMX(paste0(u, "/data/OBS/p01+p02.revenue+patents.?startPeriod=2023-01&endPeriod=2023-12"))
put(as.data.frame(obs), "obs.csv")
# One index's results in one quarter: every park and node.
idx <- readSDMX(paste0(u, "/data/IDX_MONITORING/all?startPeriod=2023-Q3&endPeriod=2023-Q3"))
put(as.data.frame(idx), "idx.csv")
put(as.data.frame(readSDMX(paste0(u, "/dataflow"))), "flows.csv")
dsd <- readSDMX(paste0(u, "/datastructure/PARKSTAT/DSD_OBS?references=children"))
put(as.data.frame(dsd@codelists, codelistId = "CL_UNIT"), "cl_unit.csv")
put(as.data.frame(dsd@codelists, codelistId = "CL_INDICATOR"), "cl_indicator.csv")
d <- dsd@datastructures@datastructures[[1]]
put(data.frame(dim = sapply(d@Components@Dimensions, function(x) x@conceptRef)), "dims.csv")
cl <- readSDMX(paste0(u, "/codelist/PARKSTAT/CL_NODE_MONITORING"))
put(as.data.frame(cl), "cl_node.csv")
R
# R writes text in the locale's encoding: a bare Debian's is POSIX, where
# 件 would come out as "<U+4EF6>". C.UTF-8 is in every Debian 12 (libc-bin).
LC_ALL=C.UTF-8 Rscript "$tmp/read.R" "$api" "$tmp" >"$tmp/r.out" 2>&1 ||
    fail "rsdmx: $(tail -20 "$tmp/r.out")"
curl -sf "$api/sdmx/2.1/data/OBS/p01+p02.revenue+patents.?startPeriod=2023-01&endPeriod=2023-12&format=sdmx-csv" \
    -o "$tmp/obs.sdmx.csv" || fail "GET SDMX-CSV"
get() { curl -sf "$api$2" -o "$tmp/$1.json" || fail "GET $2"; }
get o_p01r "/api/v1/observations?unit=p01&indicator=revenue&from=2023-01&to=2023-12"
get o_p02r "/api/v1/observations?unit=p02&indicator=revenue&from=2023-01&to=2023-12"
get o_p01p "/api/v1/observations?unit=p01&indicator=patents&from=2023-Q1&to=2023-Q4"
get o_p02p "/api/v1/observations?unit=p02&indicator=patents&from=2023-Q1&to=2023-Q4"
get index "/api/v1/indices/monitoring?period=2023-Q3"
get units "/api/v1/units?limit=10000"
get indicators "/api/v1/indicators?limit=10000"
get indices "/api/v1/indices"

/usr/bin/python3 - "$tmp" "$src/examples/demo/config.json" <<'PY' || fail "rsdmx read something else than /api/v1"
import csv, json, math, sys
tmp, config = sys.argv[1], sys.argv[2]
demo = config.rsplit("/", 1)[0] + "/data"
bad = []
def check(cond, msg):
    if not cond:
        bad.append(msg)
def rows(name):
    with open(f"{tmp}/{name}", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))
def api(name):
    return json.load(open(f"{tmp}/{name}.json"))["data"]

# The observations /api/v1 has for the selection.
want = {}
for name in ("o_p01r", "o_p02r", "o_p01p", "o_p02p"):
    for o in api(name):
        want[(o["unit"], o["indicator"], o["period"])] = o["value"]
# ... which are the demo files' rows for it (an independent count).
src_rows = {}
for name in ("synthetic_monthly.csv", "synthetic_quarterly.csv"):
    with open(f"{demo}/{name}", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if (r["unit"] in ("p01", "p02") and r["indicator"] in ("revenue", "patents")
                    and r["period"].startswith("2023")):
                src_rows[(r["unit"], r["indicator"], r["period"])] = float(r["value"])
check(len(want) >= 20 and want == src_rows,
      f"/api/v1 has {len(want)} observations for the selection, the demo files {len(src_rows)}")
check(all(v is not None for v in want.values()), "a missing value in the selection")
meta = {i["code"]: i for i in api("indicators")}

# rsdmx's data frame: one row per observation, the same values and periods.
df = rows("obs.csv")
got = {}
for r in df:
    key = (r["UNIT"], r["INDICATOR"], r["obsTime"])
    check(key not in got, f"rsdmx: {key} twice")
    got[key] = float(r["obsValue"])
    ind = meta[r["INDICATOR"]]
    check(r["FREQ"] == {"M": "M", "Q": "Q"}[ind["frequency"]], f"rsdmx: FREQ {r['FREQ']} of {key}")
    check(r["UNIT_MEASURE"] == ind["measure"], f"rsdmx: UNIT_MEASURE {r['UNIT_MEASURE']} of {key}")
    check(int(r["DECIMALS"]) == ind["decimals"], f"rsdmx: DECIMALS {r['DECIMALS']} of {key}")
check(set(got) == set(want), f"rsdmx rows differ: {sorted(set(got) ^ set(want))[:6]}")
for k in set(got) & set(want):
    check(got[k] == want[k], f"rsdmx {k}: {got[k]} != {want[k]}")

# SDMX-CSV by a plain CSV reader: the same.
sc = rows("obs.sdmx.csv")
check(sc and "DATAFLOW" in sc[0] and "OBS_VALUE" in sc[0], f"SDMX-CSV columns {list(sc[0]) if sc else []}")
got = {}
for r in sc:
    check(r["DATAFLOW"] == "PARKSTAT:OBS(1.0)", f"SDMX-CSV DATAFLOW {r['DATAFLOW']}")
    got[(r["UNIT"], r["INDICATOR"], r["TIME_PERIOD"])] = float(r["OBS_VALUE"])
check(got == want, f"SDMX-CSV differs: {sorted(set(got.items()) ^ set(want.items()))[:6]}")

# The index: every park's score and rank per node, as /api/v1/indices.
idx = {}
for r in api("index")["results"]:
    node = r["node"] or "monitoring"
    idx[(r["unit"], node)] = (r["score"], r["rank"])
df = rows("idx.csv")
got = {}
for r in df:
    check(r["obsTime"] == "2023-Q3", f"index period {r['obsTime']}")
    score = None if r["obsValue"] in ("", "NA", "NaN") else float(r["obsValue"])
    rank = None if r.get("RANK", "NA") in ("", "NA") else int(r["RANK"])
    got[(r["UNIT"], r["NODE"])] = (score, rank)
check(len(idx) > 15 and set(got) == set(idx), f"index rows differ: {sorted(set(got) ^ set(idx))[:6]}")
for k in set(got) & set(idx):
    s1, r1 = got[k]
    s2, r2 = idx[k]
    check(r1 == r2 and (s1 is None) == (s2 is None) and (s1 is None or abs(s1 - s2) <= 1e-9 * max(1, abs(s2))),
          f"index {k}: rsdmx {got[k]}, /api/v1 {idx[k]}")

# Structure: the flows, and the codelists' names as /api/v1 has them.
flows = {r["id"] for r in rows("flows.csv")}
want_flows = {"OBS"} | {"IDX_" + i["id"].upper() for i in api("indices")}
check(flows == want_flows, f"dataflows {flows}, want {want_flows}")
check([r["dim"] for r in rows("dims.csv")] == ["UNIT", "INDICATOR", "FREQ"], "DSD_OBS dimensions")
units = {u["code"]: u["name"] for u in api("units")}
cl = {r["id"]: r["label.zh"] for r in rows("cl_unit.csv")}
check(len(units) == 1016 and cl == units, f"CL_UNIT names differ: {len(cl)} codes, {len(units)} units")
inds = {i["code"]: i["name"] for i in api("indicators")}
cl = {r["id"]: r["label.zh"] for r in rows("cl_indicator.csv")}
check(cl == inds, "CL_INDICATOR names differ from /api/v1/indicators")
mon = next(i for i in json.load(open(config))["indices"] if i["id"] == "monitoring")
cl = {r["id"]: r["label.zh"] for r in rows("cl_node.csv")}
want_nodes = {"monitoring": mon["name"]} | {d["id"]: d["name"] for d in mon["tree"]}
check(cl == want_nodes, f"CL_NODE_MONITORING {cl}")
if bad:
    print("\n".join(bad[:30]), file=sys.stderr)
    sys.exit(1)
PY
echo "ok: rsdmx and a CSV reader read what /api/v1 serves"
