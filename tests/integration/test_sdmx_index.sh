#!/usr/bin/env bash
# test_sdmx_index.sh - an index's SDMX flow against /api/v1/indices/{id}:
# the index "park-score" (flow IDX_PARK_SCORE: the id upper-cased, '-' as
# '_') over 5 parks, 2 dimensions and 4 quarters, computed by `parkstat
# recompute`; each period's results of every unit and node (the total's node
# being the index id) equal the API's: score (OBS_VALUE), RANK, RANK_CHANGE,
# FLAGS; key selections on UNIT and NODE; startPeriod; Generic, JSON and CSV
# parsed back; an unknown index is a 404.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bin=${PARKSTAT_BIN:?}
with_tmp 20

cat >"$tmp/parkstat.json" <<'EOF'
{"database": "p.db",
 "units": [{"id": "city", "name": "City"},
   {"id": "p1", "name": "Park 1", "parent": "city"}, {"id": "p2", "name": "Park 2", "parent": "city"},
   {"id": "p3", "name": "Park 3", "parent": "city"}, {"id": "p4", "name": "Park 4", "parent": "city"},
   {"id": "p5", "name": "Park 5", "parent": "city"}],
 "indicators": [{"code": "rev", "name": "Revenue", "frequency": "Q", "kind": "stock"},
                {"code": "jobs", "name": "Jobs", "frequency": "Q", "kind": "stock"},
                {"code": "area", "name": "Area", "frequency": "Q", "kind": "stock"}],
 "indices": [{"id": "park-score", "frequency": "Q", "units": "children:city",
   "method": {"normalise": "minmax", "aggregate": "arithmetic", "missing": "reweight"},
   "tree": [{"id": "econ", "weight": 2, "children": [{"indicator": "rev", "weight": 1}, {"indicator": "jobs", "weight": 1}]},
            {"id": "land", "weight": 1, "children": [{"indicator": "area", "weight": 1}]}]}]}
EOF
awk 'BEGIN {
    print "unit,indicator,period,value"
    for (p = 1; p <= 5; p++)
        for (q = 1; q <= 4; q++) {
            printf "p%d,rev,2023-Q%d,%d\n", p, q, (p * 37 + q * 11) % 50 + 10
            printf "p%d,jobs,2023-Q%d,%d\n", p, q, (p * 13 + q * 7) % 30 + 5
            printf "p%d,area,2023-Q%d,%d\n", p, q, p * 3 + q
        }
}' >"$tmp/obs.csv"
"$bin/parkstat" import --db "$tmp/p.db" --config "$tmp/parkstat.json" "$tmp/obs.csv" >/dev/null ||
    fail "import"
"$bin/parkstat" recompute --db "$tmp/p.db" --config "$tmp/parkstat.json" --full >/dev/null ||
    fail "recompute"

port=$(free_port)
url=http://127.0.0.1:$port
"$bin/parkstatd" -c "$tmp/parkstat.json" --listen "127.0.0.1:$port" 2>"$tmp/daemon.err" &
pids+=("$!")
wait_for 10 curl -sf "$url/healthz" || fail "daemon did not answer /healthz"

python3 - "$url" <<'PYEOF' || fail "index flow checks"
import csv, io, json, sys, urllib.error, urllib.request
import xml.etree.ElementTree as ET
url = sys.argv[1]
M = "{http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message}"
G = "{http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/generic}"

def get(path):
    try:
        with urllib.request.urlopen(url + path) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()

# the API: every period's results, {(unit, node, period): (score, rank, rank_change, flags)}
want = {}
for q in range(1, 5):
    per = "2023-Q%d" % q
    env = json.loads(get("/api/v1/indices/park-score?period=" + per)[1])
    for r in env["data"]["results"]:
        node = r["node"] or "park-score"
        want[(r["unit"], node, per)] = (r["score"], r["rank"], r["rank_change"], r["flags"])
assert len(want) == 5 * 3 * 4, len(want)
assert {k[1] for k in want} == {"park-score", "econ", "land"}, {k[1] for k in want}

def read_generic(body):
    got = {}
    for s in ET.fromstring(body).iter(G + "Series"):
        k = {v.get("id"): v.get("value") for v in s.findall(G + "SeriesKey/" + G + "Value")}
        for o in s.findall(G + "Obs"):
            a = {v.get("id"): int(v.get("value")) for v in o.findall(G + "Attributes/" + G + "Value")}
            v = o.find(G + "ObsValue").get("value")
            got[(k["UNIT"], k["NODE"], o.find(G + "ObsDimension").get("value"))] = (
                None if v == "NaN" else float(v), a.get("RANK"), a.get("RANK_CHANGE"), a.get("FLAGS"))
    return got

def read_json(body):
    m = json.loads(body)
    st = m["structure"]
    sd, od = st["dimensions"]["series"], st["dimensions"]["observation"][0]
    oa = st["attributes"]["observation"]
    got = {}
    for key, s in m["dataSets"][0]["series"].items():
        k = {d["id"]: d["values"][int(i)]["id"] for d, i in zip(sd, key.split(":"))}
        for t, arr in s["observations"].items():
            a = {x["id"]: (None if i is None else int(x["values"][i]["id"])) for x, i in zip(oa, arr[1:])}
            got[(k["UNIT"], k["NODE"], od["values"][int(t)]["id"])] = (arr[0], a["RANK"], a["RANK_CHANGE"], a["FLAGS"])
    return got

def read_csv(body):
    got = {}
    for r in csv.DictReader(io.StringIO(body.decode())):
        assert r["DATAFLOW"] == "PARKSTAT:IDX_PARK_SCORE(1.0)", r
        i = lambda x: int(x) if x else None
        got[(r["UNIT"], r["NODE"], r["TIME_PERIOD"])] = (
            float(r["OBS_VALUE"]) if r["OBS_VALUE"] else None, i(r["RANK"]), i(r["RANK_CHANGE"]), i(r["FLAGS"]))
    return got

def same(got, exp, what):
    assert set(got) == set(exp), (what, sorted(set(got) ^ set(exp))[:5])
    for k in exp:
        g, e = got[k], exp[k]
        assert (g[0] is None) == (e[0] is None) and (g[0] is None or abs(g[0] - e[0]) < 1e-9 * max(1, abs(e[0]))), (what, k, g, e)
        assert g[1:] == e[1:], (what, k, g, e)

for fmt, reader in (("genericdata", read_generic), ("sdmx-json", read_json), ("sdmx-csv", read_csv)):
    code, body = get("/sdmx/2.1/data/IDX_PARK_SCORE?format=" + fmt)
    assert code == 200, (fmt, code, body[:300])
    same(reader(body), want, fmt)
    code, body = get("/sdmx/2.1/data/PARKSTAT,IDX_PARK_SCORE,1.0/p2+p4.park-score?startPeriod=2023-Q3&format=" + fmt)
    assert code == 200, (fmt, code, body[:300])
    same(reader(body), {k: v for k, v in want.items() if k[0] in ("p2", "p4") and k[1] == "park-score" and k[2] >= "2023-Q3"}, fmt + " key")
code, body = get("/sdmx/2.1/data/IDX_PARK_SCORE/.land?startPeriod=2023-07&endPeriod=2023-07")
same(read_generic(body), {k: v for k, v in want.items() if k[1] == "land" and k[2] == "2023-Q3"}, "node, month in Q3")
assert get("/sdmx/2.1/data/IDX_PARK_SCORE/p1.econ.Q")[0] == 400
assert get("/sdmx/2.1/data/IDX_NOPE")[0] == 404
assert get("/sdmx/2.1/data/IDX_PARK_SCORE/p9.")[0] == 404
print("index flow: %d results equal /api/v1/indices in 3 formats" % len(want))
PYEOF
echo "ok: index flow"
