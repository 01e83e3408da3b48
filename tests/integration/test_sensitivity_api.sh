#!/usr/bin/env bash
# The uncertainty and sensitivity analysis end to end on the demo (examples/
# demo): `parkstat sensitivity --db` and GET /api/v1/indices/{id}/sensitivity
# agree unit by unit; the nominal ranks are the ranks the recompute stored;
# the same seed gives the same answer and another seed another one; the 5-95 %
# interval holds the median; the units come in pages (limit, cursor, total)
# that add up to the whole answer; bad parameters are 400s naming them.
set -euo pipefail
bin=${PARKSTAT_BIN:?}
src=${PARKSTAT_SRC:?}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
with_tmp 20
demo=$src/examples/demo
port=$(free_port)
api="http://127.0.0.1:$port"

python3 - "$demo/config.json" "$tmp" "$port" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["database"] = sys.argv[2] + "/demo.db"
c["server"]["token_file"] = sys.argv[2] + "/token"
c["server"]["listen"] = "127.0.0.1:" + sys.argv[3]
c["sources"] = []
json.dump(c, open(sys.argv[2] + "/config.json", "w"), ensure_ascii=False)
PY
echo token >"$tmp/token"
cfg=$tmp/config.json
"$bin/parkstat" import --db "$tmp/demo.db" --config "$cfg" "$demo"/data/synthetic_*.csv >/dev/null ||
    fail "import"
"$bin/parkstat" recompute --db "$tmp/demo.db" --config "$cfg" >/dev/null || fail "recompute"

sens() { "$bin/parkstat" sensitivity monitoring --period 2025-Q4 --db "$tmp/demo.db" --config "$cfg" "$@"; }
sens --format json >"$tmp/a.json" || fail "sensitivity"
sens --format json >"$tmp/b.json" || fail "sensitivity again"
cmp -s "$tmp/a.json" "$tmp/b.json" || fail "the same seed gave another answer"
sens --format json --seed 2 >"$tmp/c.json" || fail "sensitivity --seed 2"
cmp -s "$tmp/a.json" "$tmp/c.json" && fail "another seed gave the same answer"
sqlite3 -separator ' ' "$tmp/demo.db" "SELECT u.code, r.rank FROM result r JOIN unit u ON u.id = r.unit_id
    WHERE r.index_id = 'monitoring' AND r.period = '2025-Q4'" >"$tmp/stored"

PARKSTAT_WEB_ROOT=$src/web "$bin/parkstatd" -c "$cfg" 2>"$tmp/daemon.err" &
pids+=($!)
wait_for 10 curl -sf "$api/healthz" || fail "parkstatd did not answer"
curl -sf "$api/api/v1/indices/monitoring/sensitivity?period=2025-Q4" >"$tmp/api.json" ||
    fail "GET sensitivity"

python3 - "$tmp" <<'PY' || fail "answers disagree"
import json, sys
t = sys.argv[1]
cli = json.load(open(t + "/a.json"))
api = json.load(open(t + "/api.json"))["data"]
stored = dict(line.split() for line in open(t + "/stored"))
assert len(cli["units"]) == 15 and len(stored) == 15, (len(cli["units"]), len(stored))
assert cli["runs"] == api["runs"] == 1000 and cli["evaluations"] == api["evaluations"]
assert abs(cli["mean_shift"] - api["mean_shift"]) < 1e-12
for k, v in cli["first_order"].items():
    assert (v is None and api["first_order"][k] is None) or abs(v - api["first_order"][k]) < 1e-12, k
by_api = {u["unit"]: u for u in api["units"]}
for u in cli["units"]:
    a = by_api[u["unit"]]
    for f in ("score", "rank", "median", "p05", "p95"):
        assert abs(u[f] - a[f]) < 1e-9, (u["unit"], f, u[f], a[f])
    # the nominal rank is the stored one; the interval holds the median
    assert u["rank"] == float(stored[u["unit"]]), (u["unit"], u["rank"], stored[u["unit"]])
    assert u["p05"] <= u["median"] <= u["p95"], u
# the demo has no imputation: that assumption is not varied
assert cli["first_order"]["imputation"] is None
assert cli["first_order"]["normalisation"] is not None
print("ok: units", len(cli["units"]), "mean shift", round(cli["mean_shift"], 3))
PY

code() { curl -s -o "$tmp/err" -w '%{http_code}' "$api/api/v1/indices/$1"; }
[[ $(code "monitoring/sensitivity?period=2025-Q4&runs=1") == 400 ]] || fail "runs=1 accepted"
grep -q "parameter 'runs'" "$tmp/err" || fail "runs=1: $(cat "$tmp/err")"
[[ $(code "monitoring/sensitivity?period=2025") == 400 ]] || fail "a year for a quarterly index"
[[ $(code "monitoring/sensitivity?period=2025-Q4&fixed=weight") == 400 ]] || fail "fixed=weight"
[[ $(code "monitoring/sensitivity?period=2025-Q4&rnus=5") == 400 ]] || fail "unknown parameter"
grep -q "did you mean 'runs'" "$tmp/err" || fail "no did-you-mean: $(cat "$tmp/err")"
[[ $(code "nosuch/sensitivity?period=2025-Q4") == 404 ]] || fail "unknown index"
[[ $(code "monitoring/sensitivity?period=2025-Q4&fixed=weights,normalisation,aggregation") == 200 ]] ||
    fail "every assumption fixed"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["data"]; assert d["mean_shift"] == 0, d' \
    "$tmp/err" || fail "nothing varied, yet ranks moved"

# ---- paged: 15 units 4 at a time are the unpaged answer's units, in its order,
# each once; every page says the total and the same analysis (first order)
python3 - "$api/api/v1/indices/monitoring/sensitivity?period=2025-Q4" "$tmp/api.json" <<'PY' ||
import json, sys, urllib.request
base, whole = sys.argv[1], json.load(open(sys.argv[2]))
assert whole["page"] == {"limit": 1000, "total": 15, "next": None}, whole["page"]
units, url, pages = [], base + "&limit=4", 0
while url:
    d = json.load(urllib.request.urlopen(url))
    pages += 1
    assert d["page"]["total"] == 15 and d["page"]["limit"] == 4, d["page"]
    assert d["data"]["first_order"] == whole["data"]["first_order"]
    assert len(d["data"]["units"]) == (4 if d["page"]["next"] else 3), d["data"]["units"]
    units += d["data"]["units"]
    url = d["page"]["next"] and base + "&limit=4&cursor=" + d["page"]["next"]
assert pages == 4, pages
assert units == whole["data"]["units"], "pages differ from the whole answer"
PY
    fail "paging"
[[ $(code "monitoring/sensitivity?period=2025-Q4&limit=0") == 400 ]] || fail "limit=0 accepted"
grep -q "parameter 'limit'" "$tmp/err" || fail "limit=0: $(cat "$tmp/err")"
[[ $(code "monitoring/sensitivity?period=2025-Q4&limit=10001") == 400 ]] || fail "limit=10001 accepted"
[[ $(code "monitoring/sensitivity?period=2025-Q4&cursor=xyz") == 400 ]] || fail "a bad cursor accepted"
grep -q "parameter 'cursor'" "$tmp/err" || fail "bad cursor: $(cat "$tmp/err")"
[[ $(code "monitoring/sensitivity?period=2025-Q4&offset=4") == 400 ]] || fail "offset accepted"
grep -q "unknown parameter 'offset'" "$tmp/err" || fail "offset: $(cat "$tmp/err")"
echo "ok: sensitivity CLI = API, nominal ranks = stored ranks, seeded, paged"
