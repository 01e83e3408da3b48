#!/usr/bin/env bash
# test_sdmx_data.sh - /sdmx/2.1/data against /api/v1 on the real daemon.
#   A store of 4 parks with monthly, quarterly, half-yearly and yearly
#   indicators, a revision and a withdrawn key (a later vintage), then each
#   SDMX format is parsed back (xml.etree, json, csv) and compared with
#   /api/v1/observations for the same query: the same keys, values, periods
#   (2023-S1 for 2023-H1), frequencies, UNIT_MEASURE and DECIMALS of
#   /api/v1/indicators, OBS_STATUS when the store has statuses; key wildcards
#   (A..B+C, all), startPeriod/endPeriod across frequencies, updatedAfter (a
#   Replace and a Delete data set), includeHistory, AllDimensions, detail;
#   404, 406 and 400 answers with SDMX error messages. The Generic messages
#   are validated with xmllint against the SDMX-ML 2.1 schemas when
#   ../shared/sdmx-2.1-schemas and xmllint are there.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bin=${PARKSTAT_BIN:?}
src=${PARKSTAT_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
with_tmp 20

cat >"$tmp/parkstat.json" <<'EOF'
{"database": "p.db",
 "units": [{"id": "city", "name": "City"},
           {"id": "p01", "name": "Park 1", "parent": "city"},
           {"id": "p02", "name": "Park 2", "parent": "city"},
           {"id": "p03", "name": "Park 3", "parent": "city"},
           {"id": "p04", "name": "Park 4", "parent": "city"}],
 "indicators": [
   {"code": "rev", "name": "Revenue", "frequency": "M", "kind": "flow", "measure": "yuan", "decimals": 2},
   {"code": "staff", "name": "Staff", "frequency": "Q", "kind": "stock", "decimals": 0},
   {"code": "hy", "name": "Half-year survey", "frequency": "H", "kind": "stock", "decimals": 1},
   {"code": "yr", "name": "Annual area", "frequency": "Y", "kind": "stock", "measure": "ha", "decimals": 3}]}
EOF
awk 'BEGIN {
    print "unit,indicator,period,value"
    for (p = 1; p <= 4; p++) {
        for (m = 1; m <= 12; m++) printf "p%02d,rev,2023-%02d,%d.25\n", p, m, p * 1000 + m
        for (q = 1; q <= 4; q++) printf "p%02d,staff,2023-Q%d,%d\n", p, q, p * 10 + q
        for (h = 1; h <= 2; h++) printf "p%02d,hy,2023-H%d,%d.5\n", p, h, p * 100 + h
        printf "p%02d,yr,2022,%d.125\np%02d,yr,2023,%d.875\n", p, p, p, p
    }
}' >"$tmp/obs1.csv"
"$bin/parkstat" import --db "$tmp/p.db" --config "$tmp/parkstat.json" "$tmp/obs1.csv" >/dev/null ||
    fail "import 1"
sleep 1.2
between=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ | cut -c1-26)Z
sleep 1.2
printf 'unit,indicator,period,value\np02,rev,2023-03,999.5\np04,rev,2024-01,7\n' >"$tmp/obs2.csv"
"$bin/parkstat" import --db "$tmp/p.db" --config "$tmp/parkstat.json" "$tmp/obs2.csv" >/dev/null ||
    fail "import 2"
# A withdrawn key, as store_delete_obs() leaves it (an SDMX Delete from a
# source): its current vintage ended now, no new one. A status, when the
# store has the column (schema 8).
python3 - "$tmp/p.db" <<'PYEOF'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
now = int(time.time() * 1e6)
n = db.execute("""UPDATE observation SET valid_to = ? WHERE valid_to IS NULL AND period = '2023-Q4'
  AND unit_id = (SELECT id FROM unit WHERE code = 'p03')
  AND indicator_id = (SELECT id FROM indicator WHERE code = 'staff')""", (now,)).rowcount
assert n == 1, n
cols = [r[1] for r in db.execute("PRAGMA table_info(observation)")]
if "status" in cols:
    db.execute("""UPDATE observation SET status = 'p' WHERE valid_to IS NULL AND period = '2023-12'
      AND unit_id = (SELECT id FROM unit WHERE code = 'p01')""")
db.commit()
PYEOF

port=$(free_port)
url=http://127.0.0.1:$port
"$bin/parkstatd" -c "$tmp/parkstat.json" --listen "127.0.0.1:$port" 2>"$tmp/daemon.err" &
pids+=("$!")
wait_for 10 curl -sf "$url/healthz" || fail "daemon did not answer /healthz"

schemas=$src/../shared/sdmx-2.1-schemas
if [[ ! -f $schemas/SDMXMessage.xsd ]] || ! command -v xmllint >/dev/null; then
    echo "note: no ../shared/sdmx-2.1-schemas or no xmllint: SDMX-ML not validated"
    schemas=
fi

python3 - "$url" "$between" "$tmp" "$schemas" <<'PYEOF' || fail "sdmx checks"
import csv, io, json, os, subprocess, sys, urllib.error, urllib.request
import xml.etree.ElementTree as ET

url, between, tmp, schemas = sys.argv[1:5]
M = "{http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message}"
G = "{http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/generic}"
C = "{http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common}"
FREQ = {"M": "M", "Q": "Q", "H": "S", "Y": "A"}
checked = []

def get(path, accept=None):
    req = urllib.request.Request(url + path, headers={"Accept": accept} if accept else {})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, r.headers.get("Content-Type"), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read()

def api(query):
    rows, cursor = [], None
    while True:
        q = "/api/v1/observations?limit=10000" + query + ("&cursor=" + cursor if cursor else "")
        env = json.loads(get(q)[2])
        rows += env["data"]
        cursor = env["page"]["next"]
        if not cursor:
            return rows

indicators = {i["code"]: i for i in json.loads(get("/api/v1/indicators")[2])["data"]}

def sdmx_period(p):
    return p.replace("-H", "-S")

def expected(rows):
    """{(unit, indicator, freq, period): (value, status)} from API rows."""
    out = {}
    for r in rows:
        f = FREQ[indicators[r["indicator"]]["frequency"]]
        out[(r["unit"], r["indicator"], f, sdmx_period(r["period"]))] = (r["value"], r.get("status"))
    return out

def series_attrs(ind):
    i = indicators[ind]
    a = {"DECIMALS": str(i["decimals"])}
    if i["measure"]:
        a["UNIT_MEASURE"] = i["measure"]
    return a

def status_code(s):
    return s.upper() if s and len(s) == 1 else s

def validate(body, what):
    if not schemas:
        return
    path = os.path.join(tmp, "msg.xml")
    open(path, "wb").write(body)
    r = subprocess.run(["xmllint", "--noout", "--schema", os.path.join(schemas, "SDMXMessage.xsd"), path],
                       capture_output=True, text=True)
    assert r.returncode == 0, (what, r.stderr[-2000:])

# ---- readers: each gives [(action, validFrom, {key: (value, status)}, [series attrs])]

def read_generic(body):
    root = ET.fromstring(body)
    assert root.tag == M + "GenericData", root.tag
    sets = []
    for ds in root.findall(M + "DataSet"):
        obs, sattrs = {}, []
        def one(keyvals, o):
            v = o.find(G + "ObsValue")
            st = None
            for a in o.findall(G + "Attributes/" + G + "Value"):
                if a.get("id") == "OBS_STATUS":
                    st = a.get("value")
            key = (keyvals["UNIT"], keyvals["INDICATOR"], keyvals["FREQ"], keyvals["TIME_PERIOD"])
            assert key not in obs, key
            obs[key] = (None if v is None or v.get("value") == "NaN" else float(v.get("value")), st)
            return key
        for s in ds.findall(G + "Series"):
            k = {v.get("id"): v.get("value") for v in s.findall(G + "SeriesKey/" + G + "Value")}
            at = {v.get("id"): v.get("value") for v in s.findall(G + "Attributes/" + G + "Value")}
            sattrs.append((k["INDICATOR"], at))
            for o in s.findall(G + "Obs"):
                one(dict(k, TIME_PERIOD=o.find(G + "ObsDimension").get("value")), o)
        for o in ds.findall(G + "Obs"):
            k = {v.get("id"): v.get("value") for v in o.findall(G + "ObsKey/" + G + "Value")}
            at = {v.get("id"): v.get("value") for v in o.findall(G + "Attributes/" + G + "Value")}
            sattrs.append((k["INDICATOR"], {a: at[a] for a in at if a != "OBS_STATUS"}))
            one(k, o)
        sets.append((ds.get("action"), ds.get("validFromDate"), obs, sattrs))
    return sets

def read_ss(body):
    root = ET.fromstring(body)
    assert root.tag == M + "StructureSpecificData", root.tag
    SS = "{http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/structurespecific}"
    sets = []
    for ds in root.findall(M + "DataSet"):
        obs, sattrs = {}, []
        def one(a):
            key = (a["UNIT"], a["INDICATOR"], a["FREQ"], a["TIME_PERIOD"])
            v = a.get("OBS_VALUE")
            obs[key] = (None if v in (None, "NaN") else float(v), a.get("OBS_STATUS"))
        for s in ds.findall("Series"):
            sattrs.append((s.get("INDICATOR"), {k: s.get(k) for k in ("UNIT_MEASURE", "DECIMALS") if s.get(k)}))
            for o in s.findall("Obs"):
                one(dict(s.attrib, **o.attrib))
        for o in ds.findall("Obs"):
            sattrs.append((o.get("INDICATOR"), {k: o.get(k) for k in ("UNIT_MEASURE", "DECIMALS") if o.get(k)}))
            one(o.attrib)
        sets.append((ds.get(SS + "action"), ds.get(SS + "validFromDate"), obs, sattrs))
    return sets

def read_json(body, v2):
    msg = json.loads(body)
    data = msg["data"] if v2 else msg
    st = data["structures"][0] if v2 else data["structure"]
    sdims, odims = st["dimensions"]["series"], st["dimensions"]["observation"]
    sattr, oattr = st["attributes"]["series"], st["attributes"]["observation"]
    def val(comp, i):
        return None if i is None else comp["values"][i]["id"]
    sets = []
    for ds in data["dataSets"]:
        obs, sattrs = {}, []
        def one(dims, arr, extra):
            key = (dims["UNIT"], dims["INDICATOR"], dims["FREQ"], dims["TIME_PERIOD"])
            at = {a["id"]: val(a, arr[1 + i]) for i, a in enumerate(oattr)} if len(arr) > 1 else {}
            obs[key] = (arr[0], at.get("OBS_STATUS"))
            if extra:
                sattrs.append((dims["INDICATOR"], {k: v for k, v in at.items() if k != "OBS_STATUS" and v is not None}))
        for skey, s in ds.get("series", {}).items():
            dims = {d["id"]: val(d, int(i)) for d, i in zip(sdims, skey.split(":"))}
            sattrs.append((dims["INDICATOR"], {a["id"]: val(a, i) for a, i in zip(sattr, s.get("attributes", [])) if i is not None}))
            for okey, arr in s.get("observations", {}).items():
                one(dict(dims, TIME_PERIOD=val(odims[0], int(okey))), arr, False)
        for okey, arr in ds.get("observations", {}).items():
            one({d["id"]: val(d, int(i)) for d, i in zip(odims, okey.split(":"))}, arr, True)
        sets.append((ds["action"], ds.get("validFrom"), obs, sattrs))
    return sets

def read_csv(body, v2):
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"), newline="")))
    by_action = {}
    for r in rows:
        if v2:
            assert r["STRUCTURE"] == "dataflow" and r["STRUCTURE_ID"] == "PARKSTAT:OBS(1.0)", r
        else:
            assert r["DATAFLOW"] == "PARKSTAT:OBS(1.0)", r
        act = {"I": "Information", "R": "Replace", "D": "Delete"}[r["ACTION"]] if v2 else "Information"
        obs, sattrs = by_action.setdefault(act, ({}, []))
        key = (r["UNIT"], r["INDICATOR"], r["FREQ"], r["TIME_PERIOD"])
        assert key not in obs, key
        obs[key] = (float(r["OBS_VALUE"]) if r["OBS_VALUE"] else None, r.get("OBS_STATUS") or None)
        sattrs.append((r["INDICATOR"], {k: r[k] for k in ("UNIT_MEASURE", "DECIMALS") if r.get(k)}))
    return [(a, None, o, s) for a, (o, s) in by_action.items()]

FORMATS = {
    "genericdata": ("application/vnd.sdmx.genericdata+xml", read_generic),
    "structurespecificdata": ("application/vnd.sdmx.structurespecificdata+xml", read_ss),
    "sdmx-json": ("application/vnd.sdmx.data+json; version=1.0.0", lambda b: read_json(b, False)),
    "sdmx-json-2.0": ("application/vnd.sdmx.data+json; version=2.0.0", lambda b: read_json(b, True)),
    "sdmx-csv": ("application/vnd.sdmx.data+csv; version=1.0.0", lambda b: read_csv(b, False)),
    "sdmx-csv-2.0": ("application/vnd.sdmx.data+csv; version=2.0.0", lambda b: read_csv(b, True)),
}

def fetch(fmt, path, query=""):
    sep = "&" if "?" in path else "?"
    code, ctype, body = get(path + sep + "format=" + fmt + query)
    assert code == 200, (fmt, path, code, body[:300])
    assert ctype.startswith(FORMATS[fmt][0]), (fmt, ctype)
    if fmt == "genericdata":
        validate(body, path + query)
    return FORMATS[fmt][1](body)

def check_attrs(sattrs, what):
    for ind, at in sattrs:
        assert at == series_attrs(ind), (what, ind, at, series_attrs(ind))

def compare(fmt, path, query, want, what):
    sets = fetch(fmt, path, query)
    assert len(sets) == 1 and sets[0][0] == "Information", (what, fmt, [s[:2] for s in sets])
    got = sets[0][2]
    want_c = {k: (v, status_code(s)) for k, (v, s) in want.items()}
    if got != want_c:
        missing = set(want_c) - set(got)
        extra = set(got) - set(want_c)
        diff = [(k, got[k], want_c[k]) for k in set(got) & set(want_c) if got[k] != want_c[k]]
        raise AssertionError((what, fmt, "missing", sorted(missing)[:5], "extra", sorted(extra)[:5], "diff", diff[:5]))
    check_attrs(sets[0][3], (what, fmt))
    checked.append((what, fmt, len(got)))

# ---- everything, every format, both observation levels
current = expected(api(""))
assert len(current) == 4 * 20 + 1 - 1, len(current)   # 80 rows, +1 new, -1 withdrawn
assert ("p01", "hy", "S", "2023-S1") in current and ("p02", "rev", "M", "2023-03") in current
assert current[("p02", "rev", "M", "2023-03")][0] == 999.5
for fmt in FORMATS:
    compare(fmt, "/sdmx/2.1/data/OBS", "", current, "all")
    if not fmt.startswith("sdmx-csv"):
        compare(fmt, "/sdmx/2.1/data/OBS", "&dimensionAtObservation=AllDimensions", current, "flat")
for ref in ("PARKSTAT,OBS", "PARKSTAT,OBS,1.0", "all,OBS,latest"):
    compare("genericdata", "/sdmx/2.1/data/" + ref + "/all/all", "", current, ref)

# ---- key wildcards against the same filters of /api/v1
def subset(units=None, inds=None, freqs=None):
    return {k: v for k, v in current.items()
            if (not units or k[0] in units) and (not inds or k[1] in inds) and (not freqs or k[2] in freqs)}
for key, sel in [("p01+p03.rev.", subset({"p01", "p03"}, {"rev"})),
                 ("..Q", subset(freqs={"Q"})),
                 (".hy+yr.", subset(inds={"hy", "yr"})),
                 ("p02..M+A", subset({"p02"}, freqs={"M", "A"})),
                 ("all", current)]:
    assert sel
    for fmt in ("genericdata", "sdmx-json", "sdmx-csv-2.0"):
        compare(fmt, "/sdmx/2.1/data/OBS/" + key, "", sel, "key " + key)
one = {}
for u in ("p01", "p03"):
    one.update(expected(api("&unit=%s&indicator=rev" % u)))
assert one == subset({"p01", "p03"}, {"rev"}), "API and key disagree"

# ---- periods: a period overlaps [2023-04, 2023-09] whatever its frequency
def months(p):
    y = int(p[:4])
    if len(p) == 4:
        return y * 12, y * 12 + 11
    k, n = p[5], int(p[6:]) if p[5] in "SQ" else int(p[5:])
    if k == "S":
        return y * 12 + 6 * (n - 1), y * 12 + 6 * n - 1
    if k == "Q":
        return y * 12 + 3 * (n - 1), y * 12 + 3 * n - 1
    return y * 12 + int(p[5:]) - 1, y * 12 + int(p[5:]) - 1
lo, hi = 2023 * 12 + 3, 2023 * 12 + 8
sel = {k: v for k, v in current.items() if months(k[3])[1] >= lo and months(k[3])[0] <= hi}
assert ("p01", "yr", "A", "2023") in sel and ("p01", "yr", "A", "2022") not in sel
assert ("p01", "hy", "S", "2023-S2") in sel and ("p01", "staff", "Q", "2023-Q1") not in sel
for fmt in ("genericdata", "structurespecificdata", "sdmx-csv"):
    compare(fmt, "/sdmx/2.1/data/OBS", "&startPeriod=2023-Q2&endPeriod=2023-09", sel, "period range")
    compare(fmt, "/sdmx/2.1/data/OBS", "&startPeriod=2023-04-15&endPeriod=2023-S2", {k: v for k, v in current.items() if months(k[3])[1] >= lo and months(k[3])[0] <= 2023 * 12 + 11}, "period range 2")
# the monthly API range agrees
mon = expected(api("&indicator=rev&from=2023-04&to=2023-09"))
assert mon == {k: v for k, v in sel.items() if k[1] == "rev"}

# ---- updatedAfter: the revision and the new key replace, the withdrawn key is deleted
hist = api("&history=1")
from datetime import datetime, timezone
t_between = datetime.strptime(between.rstrip("Z")[:26], "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=timezone.utc)
def iso(t):
    return datetime.fromisoformat(t.replace("Z", "+00:00"))
newer = {k: v for k, v in expected([r for r in hist if r["valid_to"] is None and iso(r["valid_from"]) > t_between]).items()}
assert set(newer) == {("p02", "rev", "M", "2023-03"), ("p04", "rev", "M", "2024-01")}, newer
for fmt in ("genericdata", "structurespecificdata", "sdmx-json", "sdmx-json-2.0", "sdmx-csv-2.0"):
    sets = fetch(fmt, "/sdmx/2.1/data/OBS", "&updatedAfter=" + between)
    acts = {s[0]: s[2] for s in sets}
    assert set(acts) == {"Replace", "Delete"}, (fmt, list(acts))
    assert acts["Replace"] == {k: (v, status_code(s)) for k, (v, s) in newer.items()}, (fmt, acts["Replace"])
    assert acts["Delete"] == {("p03", "staff", "Q", "2023-Q4"): (None, None)}, (fmt, acts["Delete"])
    checked.append(("updatedAfter", fmt, len(acts["Replace"])))
code, _, body = get("/sdmx/2.1/data/OBS?updatedAfter=2999-01-01T00:00:00Z")
assert code == 404 and b'code="100"' in body, (code, body)

# ---- includeHistory: every vintage, a data set per vintage time, and the withdrawal
for fmt in ("genericdata", "sdmx-json"):
    sets = fetch(fmt, "/sdmx/2.1/data/OBS", "&includeHistory=true")
    vint = [s for s in sets if s[0] == "Replace"]
    dele = [s for s in sets if s[0] == "Delete"]
    assert sum(len(s[2]) for s in vint) == len(hist), (fmt, sum(len(s[2]) for s in vint), len(hist))
    assert len(vint) == 2 and all(s[1] for s in vint), [s[:2] for s in vint]
    assert len(dele) == 1 and list(dele[0][2]) == [("p03", "staff", "Q", "2023-Q4")]
    old = [s for s in vint if ("p02", "rev", "M", "2023-03") in s[2]]
    assert sorted(s[2][("p02", "rev", "M", "2023-03")][0] for s in old) == [999.5, 2003.25], [s[:2] for s in old]
    checked.append(("includeHistory", fmt, len(hist)))

# ---- detail
code, _, body = get("/sdmx/2.1/data/OBS?detail=serieskeysonly")
root = ET.fromstring(body)
series = root.findall(".//" + G + "Series")
assert len(series) == len({(k[0], k[1]) for k in current}) and not root.findall(".//" + G + "Obs")
assert not root.findall(".//" + G + "Attributes")
code, _, body = get("/sdmx/2.1/data/OBS?detail=dataonly&format=sdmx-csv")
head = body.decode().split("\r\n")[0]
assert head == "DATAFLOW,UNIT,INDICATOR,FREQ,TIME_PERIOD,OBS_VALUE", head
code, _, body = get("/sdmx/2.1/data/OBS?detail=nodata&format=sdmx-csv")
lines = body.decode().strip().split("\r\n")
assert lines[0] == "DATAFLOW,UNIT,INDICATOR,FREQ,UNIT_MEASURE,DECIMALS", lines[0]
assert len(lines) - 1 == len(series)

# ---- Accept decides without format=; SDMX-ML when nothing is asked
for accept, want in [(None, "application/vnd.sdmx.genericdata+xml"),
                     ("*/*", "application/vnd.sdmx.genericdata+xml"),
                     ("application/xml", "application/vnd.sdmx.genericdata+xml"),
                     ("application/vnd.sdmx.structurespecificdata+xml;version=2.1", "application/vnd.sdmx.structurespecificdata+xml"),
                     ("application/vnd.sdmx.data+json;version=2.0.0", "application/vnd.sdmx.data+json; version=2.0.0"),
                     ("text/html;q=0.9, application/vnd.sdmx.data+csv;version=2.0.0;q=0.5", "application/vnd.sdmx.data+csv; version=2.0.0"),
                     ("application/vnd.sdmx.data+csv;version=1.0.0", "application/vnd.sdmx.data+csv; version=1.0.0")]:
    code, ctype, body = get("/sdmx/2.1/data/OBS/p01.yr.A", accept)
    assert code == 200 and ctype.startswith(want), (accept, code, ctype)

# ---- errors: SDMX error messages with the standard's codes
def sdmx_error(path, status, sdmx_code, accept=None):
    code, ctype, body = get(path, accept)
    assert code == status, (path, code, body[:300])
    if ctype.startswith("application/xml"):
        validate(body, path)
        em = ET.fromstring(body).find(M + "ErrorMessage")
        assert em.get("code") == str(sdmx_code), (path, body)
        return em.find(C + "Text").text
    if "json" in ctype:
        e = json.loads(body)["errors"][0]
        assert e["code"] == sdmx_code, (path, e)
        return e["title"]
    assert body.decode().startswith(str(sdmx_code) + " "), body
    return body.decode()
assert "no results" in sdmx_error("/sdmx/2.1/data/OBS/p99..", 404, 100)
assert "no dataflow" in sdmx_error("/sdmx/2.1/data/NOPE", 404, 100)
assert "no dataflow" in sdmx_error("/sdmx/2.1/data/ECB,OBS", 404, 100)
assert "no dataflow" in sdmx_error("/sdmx/2.1/data/IDX_NOPE/all", 404, 100)
assert "provider" in sdmx_error("/sdmx/2.1/data/OBS/all/ECB", 404, 100)
sdmx_error("/sdmx/2.1/data/OBS/p99..?format=sdmx-json", 404, 100)
sdmx_error("/sdmx/2.1/data/OBS/p99..?format=sdmx-csv", 404, 100)
assert "not served" in sdmx_error("/sdmx/2.1/data/OBS?format=xlsx", 406, 406)
assert "none of \"text/html\" is served" in sdmx_error("/sdmx/2.1/data/OBS", 406, 406, "text/html")
assert "SDMX-CSV 2.0" in sdmx_error("/sdmx/2.1/data/OBS?format=sdmx-csv&updatedAfter=2020-01-01", 406, 406)
assert "2 dimensions, OBS has 3 (UNIT.INDICATOR.FREQ)" in sdmx_error("/sdmx/2.1/data/OBS/p01.rev", 400, 140), "arity"
assert "empty code" in sdmx_error("/sdmx/2.1/data/OBS/p01+.rev.", 400, 140)
assert "bad period" in sdmx_error("/sdmx/2.1/data/OBS?startPeriod=2023-13", 400, 140)
assert "detail" in sdmx_error("/sdmx/2.1/data/OBS?detail=most", 400, 140)
assert "updatedAfter" in sdmx_error("/sdmx/2.1/data/OBS?updatedAfter=yesterday", 400, 140)
assert "includeHistory" in sdmx_error("/sdmx/2.1/data/OBS?includeHistory=yes", 400, 140)
sdmx_error("/sdmx/2.1/data/OBS?dimensionAtObservation=UNIT", 501, 501)
assert "no dimension" in sdmx_error("/sdmx/2.1/data/OBS?dimensionAtObservation=XX", 400, 140)
code, _, body = get("/sdmx/2.1/data/OBS?startperiod=2023")
assert code == 400 and "did you mean 'startPeriod'" in json.loads(body)["error"]["message"], body
print("\n".join("%-22s %-22s %d" % c for c in checked))
PYEOF
echo "ok: SDMX data equals /api/v1 in every format"
