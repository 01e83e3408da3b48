#!/usr/bin/env bash
# Federation on loopback: two city daemons and a provincial one that pulls
# them through their SDMX REST data endpoint (format sdmxml, URL with
# {sdmx_period} and {updated_after}). The province holds exactly the cities'
# observations; a revision at a city reaches the province at its next pull as
# a new vintage, and that pull carries only the revised value (updatedAfter:
# nothing unchanged travels); a pull that finds nothing new (404) keeps the
# next one incremental; a value withdrawn at a city is withdrawn at the
# province (a Delete data set); the province ranks the parks of both cities.
set -euo pipefail
bin=${PARKSTAT_BIN:?}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
with_tmp 30
for tool in curl /usr/bin/python3; do
    command -v "$tool" >/dev/null || fail "$tool is missing (scripts/setup.sh --test installs it)"
done
pa=$(free_port)
pb=$(free_port)
pp=$(free_port)
echo "fed-token" >"$tmp/token"

# The cities' data: three months of two indicators for two parks each, with
# values no rounding to the indicators' decimals changes.
python3 - "$tmp" "$pa" "$pb" <<'PY'
import json, sys
tmp, pa, pb = sys.argv[1], sys.argv[2], sys.argv[3]
inds = [{"code": "revenue", "name": "营业收入", "measure": "亿元", "frequency": "M",
         "kind": "flow", "decimals": 2},
        {"code": "employees", "name": "从业人员", "measure": "人", "frequency": "M",
         "kind": "stock", "decimals": 0}]
months = ["2026-08", "2026-09", "2026-10"]
def city(cid, parks, port):
    units = [{"id": cid, "name": cid + "市"}] + [{"id": p, "name": p + "园区", "parent": cid}
                                                for p in parks]
    c = {"database": f"{tmp}/{cid}.db", "server": {"listen": f"127.0.0.1:{port}",
         "token_file": f"{tmp}/token"}, "units": units, "indicators": inds, "sources": []}
    json.dump(c, open(f"{tmp}/{cid}.json", "w"), ensure_ascii=False)
    with open(f"{tmp}/{cid}.csv", "w") as f:
        f.write("unit,indicator,period,value\n")
        for i, p in enumerate(parks):
            for k, m in enumerate(months):
                f.write(f"{p},revenue,{m},{100 + 10 * i + k + 0.25:.2f}\n")
                f.write(f"{p},employees,{m},{1000 + 100 * i + 7 * k}\n")
city("city_a", ["a1", "a2"], pa)
city("city_b", ["b1", "b2"], pb)
units = [{"id": "province", "name": "示例省"},
         {"id": "city_a", "name": "city_a市", "parent": "province"},
         {"id": "city_b", "name": "city_b市", "parent": "province"}]
units += [{"id": p, "name": p + "园区", "parent": c}
          for c, ps in (("city_a", ["a1", "a2"]), ("city_b", ["b1", "b2"])) for p in ps]
def source(cid, port):
    return {"id": "fed-" + cid, "format": "sdmxml", "frequency": "M", "first_period": "2026-08",
            "url": f"http://127.0.0.1:{port}/sdmx/2.1/data/OBS/..M?startPeriod={{sdmx_period}}"
                   "&endPeriod={sdmx_period}&updatedAfter={updated_after}",
            "poll_every": "1d", "revision_window": 3, "updated_after_margin_s": 0,
            "timeout_s": 10, "max_retries": 0,
            "mapping": {"unit_dimension": "UNIT", "indicator_dimension": "INDICATOR",
                        "apply_decimals": False}}
prov = {"database": f"{tmp}/province.db", "server": {"token_file": f"{tmp}/token"},
        "units": units, "indicators": inds, "sources": [source("city_a", pa), source("city_b", pb)],
        "indices": [{"id": "prov", "name": "全省园区活力", "frequency": "M",
                     "method": {"normalise": "minmax", "aggregate": "arithmetic",
                                "missing": "reweight"},
                     "units": ["a1", "a2", "b1", "b2"],
                     "tree": [{"indicator": "revenue", "weight": 0.6},
                              {"indicator": "employees", "weight": 0.4}]}]}
json.dump(prov, open(f"{tmp}/province.json", "w"), ensure_ascii=False)
PY
for c in city_a city_b; do
    "$bin/parkstat" import --db "$tmp/$c.db" --config "$tmp/$c.json" "$tmp/$c.csv" >/dev/null ||
        fail "import $c"
done
# {updated_after} is to the second, rounded down: the province's first pulls
# start in a later second than the cities' values, or they would come again.
sleep 1.1
"$bin/parkstatd" --check-config "$tmp/province.json" >"$tmp/check.out" 2>&1 ||
    fail "province config: $(cat "$tmp/check.out")"
"$bin/parkstatd" -c "$tmp/city_a.json" 2>"$tmp/city_a.err" &
pids+=($!)
"$bin/parkstatd" -c "$tmp/city_b.json" 2>"$tmp/city_b.err" &
pids+=($!)
wait_for 10 curl -sf "http://127.0.0.1:$pa/healthz" || fail "city_a did not answer"
wait_for 10 curl -sf "http://127.0.0.1:$pb/healthz" || fail "city_b did not answer"
prov="http://127.0.0.1:$pp"
"$bin/parkstatd" -c "$tmp/province.json" --listen "127.0.0.1:$pp" 2>"$tmp/daemon.err" &
pids+=($!)
wait_for 10 curl -sf "$prov/healthz" || fail "the province did not answer"

# runs SOURCE: the province's runs of a source (newest first), as CSV rows.
runs() { curl -sf "$prov/api/v1/runs?source=$1&format=csv" | tail -n +2; }
# The catch-up: every month from 2026-08 to last month, from both cities.
months=$(python3 -c 'import datetime as d; t = d.date.today(); print((t.year - 2026) * 12 + t.month - 8)')
for _ in $(seq 300); do
    na=$(runs fed-city_a | wc -l)
    nb=$(runs fed-city_b | wc -l)
    ((na >= months && nb >= months)) && break
    sleep 0.1
done
((na >= months && nb >= months)) || fail "catch-up: $na and $nb runs, want $months each"

# obs BASE [QUERY]: observations as sorted "unit indicator period value" lines.
obs() {
    curl -sf "$1/api/v1/observations?limit=10000${2:-}" |
        python3 -c 'import json, sys
for o in json.load(sys.stdin)["data"]:
    print(o["unit"], o["indicator"], o["period"], repr(o["value"]))' | sort
}
{ obs "http://127.0.0.1:$pa"; obs "http://127.0.0.1:$pb"; } | sort >"$tmp/cities.txt"
obs "$prov" >"$tmp/province.txt"
[[ $(wc -l <"$tmp/cities.txt") == 24 ]] || fail "the cities hold $(wc -l <"$tmp/cities.txt") observations, not 24"
diff "$tmp/cities.txt" "$tmp/province.txt" >"$tmp/diff.txt" ||
    fail "the province differs from its cities: $(head "$tmp/diff.txt")"

# pull SOURCE PERIOD: asks the province to pull now and waits for the new
# run; prints it as "outcome n_new n_revised n_unchanged".
pull() {
    local before
    before=$(runs "$1" | wc -l)
    curl -sf -X POST -H "Authorization: Bearer fed-token" \
        "$prov/api/v1/sources/$1/pull?period=$2" >/dev/null || fail "POST pull $1 $2"
    for _ in $(seq 100); do
        (($(runs "$1" | wc -l) > before)) && break
        sleep 0.1
    done
    curl -sf "$prov/api/v1/runs?source=$1&limit=1" | python3 -c 'import json, sys
r = json.load(sys.stdin)["data"][0]
print(r["period"], r["outcome"], r["n_new"], r["n_revised"], r["n_unchanged"])'
}

# Nothing changed at city_b: its endpoint has no results after the last pull.
got=$(pull fed-city_b 2026-10)
[[ $got == "2026-10 not_published 0 0 0" ]] || fail "an unchanged city: $got"

# Revisions: a1's revenue at city_a, b2's employees at city_b (after the 404).
# More decimals than revenue's 2: the province keeps them (apply_decimals false).
printf 'unit,indicator,period,value\na1,revenue,2026-10,123.4567\n' >"$tmp/rev_a.csv"
printf 'unit,indicator,period,value\nb2,employees,2026-10,1500\n' >"$tmp/rev_b.csv"
"$bin/parkstat" import --db "$tmp/city_a.db" --config "$tmp/city_a.json" "$tmp/rev_a.csv" \
    >/dev/null || fail "revise at city_a"
"$bin/parkstat" import --db "$tmp/city_b.db" --config "$tmp/city_b.json" "$tmp/rev_b.csv" \
    >/dev/null || fail "revise at city_b"
# Only the revised value travels: not one unchanged value.
got=$(pull fed-city_a 2026-10)
[[ $got == "2026-10 ok 0 1 0" ]] || fail "the revision at city_a: $got, want 0 new, 1 revised, 0 unchanged"
got=$(pull fed-city_b 2026-10)
[[ $got == "2026-10 ok 0 1 0" ]] || fail "the revision at city_b: $got, want 0 new, 1 revised, 0 unchanged"

# The province keeps both vintages; the current one is the city's revision.
curl -sf "$prov/api/v1/observations?unit=a1&indicator=revenue&from=2026-10&to=2026-10&history=1" |
    python3 -c 'import json, sys
v = json.load(sys.stdin)["data"]
assert [o["value"] for o in v] == [102.25, 123.4567], v
assert v[0]["valid_to"] is not None and v[1]["valid_to"] is None, v' ||
    fail "the province's vintages of a1 revenue 2026-10"
{ obs "http://127.0.0.1:$pa"; obs "http://127.0.0.1:$pb"; } | sort >"$tmp/cities.txt"
obs "$prov" >"$tmp/province.txt"
diff "$tmp/cities.txt" "$tmp/province.txt" >"$tmp/diff.txt" ||
    fail "after the revisions the province differs: $(head "$tmp/diff.txt")"

# A value withdrawn at city_a (its current vintage ended, as an SDMX Delete
# from a source of the city's leaves it) is withdrawn at the province too:
# updatedAfter carries it in a Delete data set.
python3 - "$tmp/city_a.db" <<'PY' || fail "withdraw at city_a"
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=10)
n = db.execute("""UPDATE observation SET valid_to = ? WHERE valid_to IS NULL AND period = '2026-09'
  AND unit_id = (SELECT id FROM unit WHERE code = 'a2')
  AND indicator_id = (SELECT id FROM indicator WHERE code = 'employees')""",
               (int(time.time() * 1e6),)).rowcount
db.commit()
assert n == 1, n
PY
got=$(pull fed-city_a 2026-09)
[[ $got == "2026-09 ok 0 0 0" ]] || fail "the withdrawal at city_a: $got"
[[ $(curl -sf "$prov/api/v1/runs?source=fed-city_a&limit=1" | python3 -c 'import json, sys
print(json.load(sys.stdin)["data"][0].get("error") or "")') == "" ]] || fail "the withdrawal's run has an error"
{ obs "http://127.0.0.1:$pa"; obs "http://127.0.0.1:$pb"; } | sort >"$tmp/cities.txt"
obs "$prov" >"$tmp/province.txt"
[[ $(wc -l <"$tmp/province.txt") == 23 ]] || fail "after the withdrawal the province holds $(wc -l <"$tmp/province.txt") values, not 23"
diff "$tmp/cities.txt" "$tmp/province.txt" >"$tmp/diff.txt" ||
    fail "after the withdrawal the province differs: $(head "$tmp/diff.txt")"

# The province's index covers the parks of both cities, with both revisions
# (its recompute follows the pulls after a short debounce).
cat >"$tmp/rank.py" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["data"]["ranking"]
assert sorted(x["unit"] for x in r) == ["a1", "a2", "b1", "b2"], r
# minmax over the four parks, 0.6 revenue + 0.4 employees, 2026-10:
rev = {"a1": 123.4567, "a2": 112.25, "b1": 102.25, "b2": 112.25}
emp = {"a1": 1014, "a2": 1114, "b1": 1014, "b2": 1500}
mm = lambda d, u: (d[u] - min(d.values())) / (max(d.values()) - min(d.values())) * 100
want = {u: 0.6 * mm(rev, u) + 0.4 * mm(emp, u) for u in rev}
for x in r:
    assert abs(x["score"] - want[x["unit"]]) < 1e-6, (x, want)
# ranks are among the parks of one city (siblings)
rank = {x["unit"]: x["rank"] for x in r}
assert rank == {"a1": 1, "a2": 2, "b2": 1, "b1": 2}, rank
PY
for _ in $(seq 100); do
    curl -sf "$prov/api/v1/rankings/prov?period=2026-10" >"$tmp/rank.json" 2>/dev/null &&
        python3 "$tmp/rank.py" "$tmp/rank.json" 2>/dev/null && break
    sleep 0.2
done
python3 "$tmp/rank.py" "$tmp/rank.json" || fail "the province's ranking: $(cat "$tmp/rank.json")"
echo "ok: the province holds its cities' $(wc -l <"$tmp/province.txt") observations; revisions arrive alone"
