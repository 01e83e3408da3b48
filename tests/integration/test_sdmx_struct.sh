#!/usr/bin/env bash
# SDMX structure messages end to end, on the demo data (examples/demo):
# parkstatd answers /sdmx/2.1/{dataflow,datastructure,codelist,conceptscheme}
# and every message validates with xmllint against the official SDMX-ML 2.1
# schemas (../shared/sdmx-2.1-schemas); the codelists hold what /api/v1 holds
# (units with their Chinese names and parents, indicators with their measure
# and decimals, the index tree from the configuration); references= adds
# exactly the referenced artefacts; bad queries are the REST API's 400, 404,
# 406 and 501. Without the schemas the rest runs and the test says so and
# exits 77.
set -euo pipefail
bin=${PARKSTAT_BIN:?}
src=${PARKSTAT_SRC:?}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
with_tmp 20
for tool in curl /usr/bin/python3; do
    command -v "$tool" >/dev/null || fail "$tool is missing (scripts/setup.sh --test installs it)"
done
schemas=$src/../shared/sdmx-2.1-schemas
validate=1
if [[ ! -f $schemas/SDMXMessage.xsd ]]; then
    echo "NOTE: $schemas/SDMXMessage.xsd is absent: messages are not validated"
    validate=0
elif ! command -v xmllint >/dev/null; then
    fail "xmllint is missing (scripts/setup.sh --test installs libxml2-utils)"
fi
demo_daemon none

# get NAME QUERY: a structure message into $tmp/NAME.xml, 200, its content
# type, and valid against the schemas.
n=0
get() {
    local name=$1 query=$2
    local code
    code=$(curl -s -D "$tmp/$name.h" -o "$tmp/$name.xml" -w '%{http_code}' "$api/sdmx/2.1/$query")
    [[ $code == 200 ]] || fail "GET /sdmx/2.1/$query: $code $(head -c 300 "$tmp/$name.xml")"
    grep -qi '^content-type: application/vnd.sdmx.structure+xml; version=2.1' "$tmp/$name.h" ||
        fail "$query: $(grep -i '^content-type' "$tmp/$name.h")"
    if ((validate)); then
        xmllint --noout --schema "$schemas/SDMXMessage.xsd" "$tmp/$name.xml" 2>"$tmp/$name.xmllint" ||
            fail "$query does not validate: $(head -5 "$tmp/$name.xmllint")"
    fi
    n=$((n + 1))
}
get flows "dataflow"
get flows_all "dataflow/all/all/latest?references=all"
get obs_desc "dataflow/PARKSTAT/OBS/1.0?references=descendants"
get obs_children "dataflow/PARKSTAT/OBS?references=children"
get dsd_obs "datastructure/PARKSTAT/DSD_OBS?references=children"
get dsd_idx "datastructure/PARKSTAT/DSD_IDX_MONITORING/latest"
get dsd_parents "datastructure/PARKSTAT/DSD_IDX_ANNUAL?references=parents"
get codelists "codelist"
get cl_unit "codelist/PARKSTAT/CL_UNIT/1.0"
get cl_unit_flows "codelist/PARKSTAT/CL_UNIT?references=dataflow"
get cl_unit_parents "codelist/PARKSTAT/CL_UNIT?references=parents"
get cl_ind "codelist/PARKSTAT/CL_INDICATOR"
get cl_items "codelist/PARKSTAT/CL_INDICATOR/1.0/revenue+profit"
get cl_node "codelist/PARKSTAT/CL_NODE_MONITORING"
get cl_two "codelist/PARKSTAT/CL_FREQ+CL_OBS_STATUS"
get stubs "codelist?detail=allstubs"
get refstubs "dataflow/PARKSTAT/OBS?references=all&detail=referencestubs"
get concepts "conceptscheme/PARKSTAT/CS_PARKSTAT"
get siblings "datastructure/PARKSTAT/DSD_OBS?references=parentsandsiblings"
curl -sf "$api/api/v1/units?limit=10000" >"$tmp/units.json" || fail "GET /api/v1/units"
curl -sf "$api/api/v1/indicators?limit=10000" >"$tmp/indicators.json" || fail "GET /api/v1/indicators"
curl -sf "$api/api/v1/indices" >"$tmp/indices.json" || fail "GET /api/v1/indices"

/usr/bin/python3 - "$tmp" "$src/examples/demo/config.json" <<'PY' || fail "a structure message is wrong"
import json, re, sys
import xml.etree.ElementTree as ET

tmp, config = sys.argv[1], sys.argv[2]
NS = {"mes": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message",
      "str": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure",
      "com": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common"}
LANG = "{http://www.w3.org/XML/1998/namespace}lang"
TYPES = {"Dataflow": "dataflow", "DataStructure": "datastructure", "Codelist": "codelist",
         "ConceptScheme": "conceptscheme"}
bad = []

def check(cond, msg):
    if not cond:
        bad.append(msg)

def load(name):
    return ET.parse(f"{tmp}/{name}.xml").getroot()

def arts(name):
    """{(type, id): element} of a message's maintainable artefacts."""
    out = {}
    for el in load(name).find("mes:Structures", NS).iter():
        tag = el.tag.split("}")[-1]
        if tag in TYPES and el.get("agencyID") is not None:
            check(el.get("agencyID") == "PARKSTAT" and el.get("version") == "1.0",
                  f"{name}: {tag} {el.get('id')} agency/version {el.get('agencyID')} {el.get('version')}")
            out[(TYPES[tag], el.get("id"))] = el
    return out

def name_of(el, lang):
    for n in el.findall("com:Name", NS):
        if n.get(LANG) == lang:
            return n.text
    return None

def codes(el):
    out = {}
    for c in el.findall("str:Code", NS):
        p = c.find("str:Parent/Ref", NS)
        out[c.get("id")] = (name_of(c, "zh"), p.get("id") if p is not None else None, c)
    return out

cfg = json.load(open(config))
indices = sorted(i["id"] for i in json.load(open(f"{tmp}/indices.json"))["data"])
check(indices == ["annual", "monitoring", "vitality"], f"indices with results {indices}")
flows = {f"IDX_{i.upper()}" for i in indices} | {"OBS"}
DSDS = {"DSD_" + f if f != "OBS" else "DSD_OBS" for f in flows}
NODE_CLS = {"CL_NODE_" + i.upper() for i in indices}
FIXED_CLS = {"CL_UNIT", "CL_INDICATOR", "CL_FREQ", "CL_OBS_STATUS"}

def ids(name, kind=None):
    return {i for (k, i) in arts(name) if kind is None or k == kind}

def kinds(name):
    return {(k, i) for (k, i) in arts(name)}

# Which artefacts each query gives: what the references rules say, by hand.
check(ids("flows") == flows, f"dataflow: {ids('flows')}")
everything = ({("dataflow", f) for f in flows} | {("datastructure", d) for d in DSDS} |
              {("codelist", c) for c in FIXED_CLS | NODE_CLS} | {("conceptscheme", "CS_PARKSTAT")})
check(kinds("flows_all") == everything, f"dataflow?references=all: {kinds('flows_all') ^ everything}")
obs_tree = {("dataflow", "OBS"), ("datastructure", "DSD_OBS"), ("conceptscheme", "CS_PARKSTAT")} | \
    {("codelist", c) for c in FIXED_CLS}
check(kinds("obs_desc") == obs_tree, f"OBS descendants: {kinds('obs_desc')}")
check(kinds("obs_children") == {("dataflow", "OBS"), ("datastructure", "DSD_OBS")},
      f"OBS children: {kinds('obs_children')}")
check(kinds("dsd_obs") == obs_tree - {("dataflow", "OBS")}, f"DSD_OBS children: {kinds('dsd_obs')}")
check(kinds("dsd_idx") == {("datastructure", "DSD_IDX_MONITORING")}, f"DSD_IDX_MONITORING: {kinds('dsd_idx')}")
check(kinds("dsd_parents") == {("datastructure", "DSD_IDX_ANNUAL"), ("dataflow", "IDX_ANNUAL")},
      f"DSD_IDX_ANNUAL parents: {kinds('dsd_parents')}")
check(ids("codelists") == FIXED_CLS | NODE_CLS, f"codelist: {ids('codelists')}")
check(kinds("cl_unit_flows") == {("codelist", "CL_UNIT")} | {("dataflow", f) for f in flows},
      f"CL_UNIT?references=dataflow: {kinds('cl_unit_flows')}")
check(kinds("cl_unit_parents") == {("codelist", "CL_UNIT")} | {("datastructure", d) for d in DSDS},
      f"CL_UNIT?references=parents: {kinds('cl_unit_parents')}")
check(kinds("siblings") == {("dataflow", "OBS"), ("datastructure", "DSD_OBS")},
      f"DSD_OBS parentsandsiblings: {kinds('siblings')}")
check(ids("cl_two") == {"CL_FREQ", "CL_OBS_STATUS"}, f"CL_FREQ+CL_OBS_STATUS: {ids('cl_two')}")

# Stubs: no codes, an external reference with its URL.
for (k, i), el in arts("stubs").items():
    check(el.get("isExternalReference") == "true" and not el.findall("str:Code", NS) and
          el.get("structureURL", "").endswith(f"/sdmx/2.1/codelist/PARKSTAT/{i}/1.0"),
          f"stub {i}: {el.attrib}")
check(ids("stubs") == FIXED_CLS | NODE_CLS, "allstubs: every codelist")
for (k, i), el in arts("refstubs").items():
    stub = el.get("isExternalReference") == "true"
    check(stub == (i != "OBS"), f"referencestubs: {i} stub={stub}")

# CL_UNIT: every unit of /api/v1/units, Chinese name, parent.
units = {u["code"]: (u["name"], u["parent"]) for u in json.load(open(f"{tmp}/units.json"))["data"]}
cl = codes(arts("cl_unit")[("codelist", "CL_UNIT")])
check(len(units) == 1016, f"{len(units)} units")
check({k: v[:2] for k, v in cl.items()} == units, "CL_UNIT differs from /api/v1/units")
check(cl["p01"][:2] == ("示例高新技术产业开发区", "city") and cl["city"][1] is None,
      f"CL_UNIT p01 {cl['p01'][:2]}, city {cl['city'][:2]}")

# CL_INDICATOR: names, unit of measure and decimals from the configuration.
cl = codes(arts("cl_ind")[("codelist", "CL_INDICATOR")])
conf = {i["code"]: i for i in cfg["indicators"]}
check(set(cl) == set(conf), f"CL_INDICATOR codes {set(cl) ^ set(conf)}")
for code, (zh, parent, el) in cl.items():
    ann = {a.find("com:AnnotationType", NS).text: a for a in el.findall("com:Annotations/com:Annotation", NS)}
    c = conf.get(code, {})
    check(zh == c.get("name"), f"{code}: name {zh}")
    measure = ann["UNIT_MEASURE"].find("com:AnnotationText", NS).text if "UNIT_MEASURE" in ann else ""
    check(measure == c.get("measure", ""), f"{code}: measure {measure!r}")
    check(ann["DECIMALS"].find("com:AnnotationTitle", NS).text == str(c.get("decimals", 2)),
          f"{code}: decimals")
    check(ann["FREQ"].find("com:AnnotationTitle", NS).text == {"Y": "A", "H": "S"}.get(
        c.get("frequency"), c.get("frequency")), f"{code}: frequency")
check(cl["revenue"][0] == "营业收入", "revenue is 营业收入")
cl = codes(arts("cl_items")[("codelist", "CL_INDICATOR")])
check(set(cl) == {"revenue", "profit"}, f"items revenue+profit: {set(cl)}")

# CL_NODE_MONITORING: the total (the index id) and the configured dimensions below it.
mon = next(i for i in cfg["indices"] if i["id"] == "monitoring")
cl = codes(arts("cl_node")[("codelist", "CL_NODE_MONITORING")])
want = {"monitoring": (mon["name"], None)}
for d in mon["tree"]:
    want[d["id"]] = (d["name"], "monitoring")
check({k: v[:2] for k, v in cl.items()} == want, f"CL_NODE_MONITORING {cl.keys()}")

# The structure of OBS: dimensions in key order, their codelists, attributes.
dsd = arts("dsd_obs")[("datastructure", "DSD_OBS")]
dims = [(d.get("id"), d.get("position"), (d.find("str:LocalRepresentation/str:Enumeration/Ref", NS).get("id")
         if d.tag.endswith("}Dimension") else None))
        for d in dsd.find("str:DataStructureComponents/str:DimensionList", NS)]
check(dims == [("UNIT", "1", "CL_UNIT"), ("INDICATOR", "2", "CL_INDICATOR"), ("FREQ", "3", "CL_FREQ"),
               ("TIME_PERIOD", "4", None)], f"DSD_OBS dimensions {dims}")
attrs = {a.get("id"): [r.get("id") for r in a.findall("str:AttributeRelationship/*/Ref", NS)]
         for a in dsd.findall("str:DataStructureComponents/str:AttributeList/str:Attribute", NS)}
check(attrs == {"OBS_STATUS": ["OBS_VALUE"], "UNIT_MEASURE": ["UNIT", "INDICATOR", "FREQ"],
                "DECIMALS": ["UNIT", "INDICATOR", "FREQ"]}, f"DSD_OBS attributes {attrs}")
dsd = arts("dsd_idx")[("datastructure", "DSD_IDX_MONITORING")]
dims = [d.get("id") for d in dsd.find("str:DataStructureComponents/str:DimensionList", NS)]
check(dims == ["UNIT", "NODE", "TIME_PERIOD"], f"DSD_IDX_MONITORING dimensions {dims}")
node_cl = dsd.find("str:DataStructureComponents/str:DimensionList/str:Dimension[@id='NODE']"
                   "/str:LocalRepresentation/str:Enumeration/Ref", NS).get("id")
check(node_cl == "CL_NODE_MONITORING", f"NODE codelist {node_cl}")

# The concepts every structure names are in the scheme.
cs = arts("concepts")[("conceptscheme", "CS_PARKSTAT")]
have = {c.get("id") for c in cs.findall("str:Concept", NS)}
used = {r.get("id") for r in load("flows_all").iter("Ref") if r.get("class") == "Concept"}
check(used and used <= have, f"concepts used but absent: {used - have}")

if bad:
    print("\n".join(bad[:30]), file=sys.stderr)
    sys.exit(1)
PY

# StructureSpecific data against SDMXMessage.xsd plus the schema of its own
# structure (/sdmx/2.1/schema/...), by series and flat; an unknown unit code
# or a bad value fails it.
if ((validate)); then
    mkdir -p "$tmp/xsd"
    ln -s "$schemas"/*.xsd "$tmp/xsd/"
    ss() {
        local dsd=$1 data=$2 dao=$3
        local code ns
        code=$(curl -s -o "$tmp/xsd/dsd.xsd" -w '%{http_code}' \
            "$api/sdmx/2.1/schema/datastructure/PARKSTAT/$dsd/1.0?dimensionAtObservation=$dao")
        [[ $code == 200 ]] || fail "schema of $dsd ($dao): $code $(head -c 300 "$tmp/xsd/dsd.xsd")"
        curl -sf -o "$tmp/xsd/msg.xml" "$api/sdmx/2.1/data/$data&format=structurespecificdata" ||
            fail "GET StructureSpecific $data"
        ns=$(grep -o 'urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure=[^"]*' "$tmp/xsd/msg.xml" | head -1)
        [[ $ns == *"DataStructure=PARKSTAT:$dsd(1.0):ObsLevelDim:$dao" ]] || fail "$data: namespace $ns"
        printf '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:parkstat:test">%s%s</xs:schema>\n' \
            '<xs:import namespace="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message" schemaLocation="SDMXMessage.xsd"/>' \
            "<xs:import namespace=\"$ns\" schemaLocation=\"dsd.xsd\"/>" >"$tmp/xsd/both.xsd"
        xmllint --noout --schema "$tmp/xsd/both.xsd" "$tmp/xsd/msg.xml" 2>"$tmp/xsd/err" ||
            fail "StructureSpecific $data does not validate: $(head -3 "$tmp/xsd/err")"
        n=$((n + 1))
    }
    ss DSD_OBS "OBS/p01+p02.revenue+patents.?startPeriod=2023-01&endPeriod=2023-12" TIME_PERIOD
    ss DSD_OBS "OBS/p03..?startPeriod=2023&endPeriod=2023&dimensionAtObservation=AllDimensions" AllDimensions
    ss DSD_IDX_MONITORING "IDX_MONITORING/all?startPeriod=2023-Q3&endPeriod=2023-Q3" TIME_PERIOD
    ss DSD_IDX_VITALITY "IDX_VITALITY/p01.?startPeriod=2023-01&endPeriod=2023-06&dimensionAtObservation=AllDimensions" AllDimensions
    grep -q 'OBS_VALUE=' "$tmp/xsd/msg.xml" || fail "an empty StructureSpecific message"
    sed -e '0,/UNIT="p01"/s//UNIT="nosuchpark"/' "$tmp/xsd/msg.xml" >"$tmp/xsd/bad.xml"
    ! xmllint --noout --schema "$tmp/xsd/both.xsd" "$tmp/xsd/bad.xml" 2>"$tmp/xsd/err" ||
        fail "an unknown unit code validates"
    grep -q "nosuchpark" "$tmp/xsd/err" || fail "xmllint: $(head -3 "$tmp/xsd/err")"
fi

# status QUERY [ACCEPT]: the HTTP status of a query.
status() {
    curl -s -o "$tmp/err.json" -w '%{http_code}' ${2:+-H "Accept: $2"} "$api/sdmx/2.1/$1"
}
expect() {
    local want=$1 query=$2 text=$3 accept=${4:-}
    local got
    got=$(status "$query" "$accept")
    [[ $got == "$want" ]] || fail "$query: $got, not $want: $(cat "$tmp/err.json")"
    grep -qF -- "$text" "$tmp/err.json" || fail "$query: no \"$text\" in $(cat "$tmp/err.json")"
}
expect 404 "dataflow/ECB" 'no results'
expect 404 "dataflow/PARKSTAT/NOPE" 'no results'
expect 404 "codelist/PARKSTAT/CL_UNIT/2.0" 'version \"2.0\"'
expect 400 "dataflow?references=kids" "parameter 'references'"
expect 400 "dataflow?detail=most" "parameter 'detail'"
expect 400 "dataflow?refrences=all" "did you mean 'references'"
expect 400 "dataflow/a/b/c/d" 'at most 3 parts'
expect 501 "dataflow?detail=referencepartial" 'not implemented'
expect 404 "schema/datastructure/PARKSTAT/DSD_NOPE/1.0" 'no results'
expect 501 "schema/datastructure/PARKSTAT/DSD_OBS/1.0?dimensionAtObservation=UNIT" 'not implemented'
expect 400 "schema/codelist/PARKSTAT/CL_UNIT/1.0" 'context'
expect 400 "schema/datastructure/PARKSTAT" 'want /sdmx/2.1/schema'
# also after the same URI was answered (structure messages are not cached)
expect 406 "codelist/PARKSTAT/CL_FREQ+CL_OBS_STATUS" 'Accept' 'application/json'
# An XML Accept header is served.
[[ $(status "codelist/PARKSTAT/CL_FREQ" "application/vnd.sdmx.structure+xml;version=2.1") == 200 ]] ||
    fail "Accept: application/vnd.sdmx.structure+xml is not served"
if ((!validate)); then
    echo "SKIP: $n structure messages checked but not validated (no $schemas)"
    exit 77
fi
echo "ok: $n structure messages valid SDMX-ML 2.1 and equal to /api/v1"
