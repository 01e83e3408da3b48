#!/usr/bin/env bash
# The dashboard and the bulletin end to end, on the demo data (examples/demo):
# import + recompute with the real CLI, parkstatd serving web/dist and the API,
# the static files over HTTP (types, gzip, ETag/304, traversal refused), the
# page in headless Chromium (tests/browser/dashboard.test.mjs: ranking equals
# the API's, every chart drawn, no console errors; screenshots kept in
# $PARKSTAT_BIN/artifacts), and `parkstat report` md/csv/html checked against
# /api/v1/rankings, /api/v1/indices and /api/v1/indices/ID/sensitivity (also
# through a proxy that refuses the latter: the section left out, a note).
set -euo pipefail
bin=${PARKSTAT_BIN:?}
src=${PARKSTAT_SRC:?}
tmp=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    [[ -n ${KEEP:-} ]] || rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    [[ -f $tmp/daemon.err ]] && tail -n 20 "$tmp/daemon.err" >&2
    exit 1
}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
for tool in node npm /usr/bin/chromium curl python3; do
    command -v "$tool" >/dev/null || fail "$tool is missing (scripts/setup.sh --test installs it)"
done
[[ -f $src/web/dist/index.html && -d $src/web/node_modules/playwright-core ]] ||
    bash "$src/scripts/build-web.sh" || fail "scripts/build-web.sh"
artifacts=$bin/artifacts
mkdir -p "$artifacts" "$tmp/feeds"
port=$(free_port)
api="http://127.0.0.1:$port"

# ---- the demo, with a source the daemon can read (an empty feed folder) and
# one unit name full of HTML metacharacters, for the bulletin's escaping
python3 - "$src/examples/demo/config.json" "$tmp" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
tmp = sys.argv[2]
c["database"] = tmp + "/demo.db"
c["server"]["token_file"] = tmp + "/token"  # parkstatd refuses to start without it
for s in c["sources"]:
    s["url"] = "file://" + tmp + "/feeds/parks-{period}.csv"
    s["mapping"] = {"unit": "unit", "indicator": "indicator", "period": "period", "value": "value"}
    s["first_period"] = "2025-10"
for u in c["units"]:
    if u["id"] == "p13":
        u["name"] = "示例大学科技园 <R&D> \"A\""
# the zone example of the consistency checks (docs/CONFIG.md, "checks")
for code, name in (("hitech_new", "新增高新技术企业"), ("hitech_above", "其中规上"),
                   ("hitech_below", "其中规下")):
    c["indicators"].append({"code": code, "name": name, "measure": "家", "frequency": "Q",
                            "kind": "flow", "decimals": 0})
c["checks"] = [{"id": "zone_total", "rule": "sum", "total": "hitech_new",
                "parts": ["hitech_above", "hitech_below"], "units": "children:city"}]
json.dump(c, open(tmp + "/config.json", "w"), ensure_ascii=False)
PY
echo "dashboard-token" >"$tmp/token"
"$bin/parkstat" import --db "$tmp/demo.db" --config "$tmp/config.json" \
    "$src"/examples/demo/data/synthetic_{monthly,quarterly,yearly}.csv >/dev/null || fail "import"
# p03 reports 25 new high-tech enterprises, 11 above and 15 below the size
# threshold: the import flags it (check zone_total), the dashboard warns
printf 'unit,indicator,period,value\np03,hitech_new,2023-Q3,25\np03,hitech_above,2023-Q3,11\np03,hitech_below,2023-Q3,15\n' \
    >"$tmp/zone.csv"
"$bin/parkstat" import --db "$tmp/demo.db" --config "$tmp/config.json" "$tmp/zone.csv" >/dev/null ||
    fail "import zone.csv"
"$bin/parkstat" recompute --db "$tmp/demo.db" --config "$tmp/config.json" >/dev/null || fail "recompute"

PARKSTAT_WEB_ROOT=$src/web/dist "$bin/parkstatd" -c "$tmp/config.json" --listen "127.0.0.1:$port" \
    2>"$tmp/daemon.err" &
pids+=($!)
wait_for 10 curl -sf "$api/healthz" || fail "parkstatd did not answer"

# ---- static files
code_type() { curl -s -o /dev/null -w '%{http_code} %{content_type}' "$@"; }
[[ $(code_type "$api/") == "200 text/html; charset=utf-8" ]] || fail "GET / $(code_type "$api/")"
[[ $(code_type "$api/assets/app.js") == "200 text/javascript; charset=utf-8" ]] || fail "app.js"
[[ $(code_type "$api/assets/app.css") == "200 text/css; charset=utf-8" ]] || fail "app.css"
curl -s -H 'Accept-Encoding: gzip' -D "$tmp/h" -o "$tmp/app.js.gz" "$api/assets/app.js"
grep -qi '^content-encoding: gzip' "$tmp/h" || fail "app.js not gzipped"
gunzip -c "$tmp/app.js.gz" | cmp -s - "$src/web/dist/assets/app.js" || fail "gzipped app.js differs"
etag=$(grep -i '^etag:' "$tmp/h" | cut -d' ' -f2 | tr -d '\r')
[[ $(code_type -H "If-None-Match: $etag" "$api/assets/app.js") == 304* ]] || fail "no 304 for $etag"
[[ $(code_type -I "$api/") == 200* ]] || fail "HEAD /"
for bad in /assets/../index.html /assets/..%2findex.html /assets/%2e%2e%2f%2e%2e%2fconfig.json \
    /assets/.hidden /assets/missing.js /index.html /assets/; do
    got=$(curl -s --path-as-is -o /dev/null -w '%{http_code}' "$api$bad")
    [[ $got == 404 ]] || fail "GET $bad gave $got, want 404"
done
# An encoded NUL or bytes that are not UTF-8 in the path: 400 (docs/API.md, Parameters).
for bad in "/assets/a%00b" "/assets/%FF%FE.js"; do
    got=$(curl -s --path-as-is -o /dev/null -w '%{http_code}' "$api$bad")
    [[ $got == 400 ]] || fail "GET $bad gave $got, want 400"
done
grep -rqE 'https?://' "$src/web/dist/index.html" && fail "index.html loads something external"

# ---- the page in Chromium
PARKSTAT_URL=$api PARKSTAT_WEB_DIR=$src/web PARKSTAT_ARTIFACTS=$artifacts \
    node --test "$src/tests/browser/dashboard.test.mjs" >"$tmp/browser.log" 2>&1 ||
    { cat "$tmp/browser.log" >&2; fail "browser test"; }

# ---- the bulletin against the API
period=2023-Q3
for f in md csv html; do
    PARKSTAT_URL=$api "$bin/parkstat" report monitoring --period $period --format $f \
        --output "$artifacts/bulletin-$period.$f" || fail "report --format $f"
done
curl -sf "$api/api/v1/rankings/monitoring?period=$period" >"$tmp/ranking.json"
curl -sf "$api/api/v1/rankings/monitoring?period=2023-Q2" >"$tmp/prev.json"
curl -sf "$api/api/v1/indices/monitoring?period=$period" >"$tmp/index.json"
curl -sf "$api/api/v1/indices/monitoring/sensitivity?period=$period" >"$tmp/sens.json"
python3 - "$tmp" "$artifacts/bulletin-$period" <<'PY' || fail "bulletin differs from the API"
import csv, json, math, re, sys
tmp, base = sys.argv[1], sys.argv[2]
ranking = json.load(open(tmp + "/ranking.json"))["data"]["ranking"]
prev = {r["unit"]: r["score"] for r in json.load(open(tmp + "/prev.json"))["data"]["ranking"]}
contribs = json.load(open(tmp + "/index.json"))["data"]["contributions"]
rows = list(csv.DictReader(open(base + ".csv", newline="", encoding="utf-8")))
assert [r["unit"] for r in rows] == [r["unit"] for r in ranking], "order"
for got, want in zip(rows, ranking):
    u = want["unit"]
    assert float(got["score"]) == want["score"], (u, got["score"], want["score"])
    assert int(got["rank"]) == want["rank"], u
    assert int(got["rank_change"]) == want["rank_change"], u
    assert got["name"] == want["name"], u
    assert abs(float(got["score_change"]) - (want["score"] - prev[u])) < 1e-9, u
    mine = sorted((c for c in contribs if c["unit"] == u and c["contribution"] is not None),
                  key=lambda c: -abs(c["contribution"]))
    # the API's contributions split the change exactly
    assert abs(sum(c["contribution"] for c in mine) - (want["score"] - prev[u])) < 1e-6, u
    assert [got["contributor%d" % k] for k in (1, 2, 3)] == [c["indicator"] for c in mine[:3]], u
md = open(base + ".md", encoding="utf-8").read()
city = sum(r["score"] for r in ranking) / len(ranking)
assert "**%.2f**" % city in md, "city headline %.2f" % city
for r in ranking:
    line = next(l for l in md.splitlines() if "(%s) |" % r["unit"] in l)
    cells = [c.strip() for c in line.strip("|").split(" | ")]
    assert cells[0] == str(r["rank"]) and cells[2] == "%.2f" % r["score"], line
html = open(base + ".html", encoding="utf-8").read()
assert "@page" in html and "size:A4" in html
assert not re.search(r"<(script|link|img)\b", html) and "src=" not in html, "self-contained"
assert "&lt;R&amp;D&gt; &quot;A&quot;" in html and "<R&D>" not in html, "escaped"
for r in ranking:
    assert ('data-unit="%s"><td>%d</td>' % (r["unit"], r["rank"])) in html, r["unit"]
    assert ("<td>%.2f</td>" % r["score"]) in html, r["unit"]
# the rank uncertainty section: each park's nominal rank, median and 5-95 %
# interval and the first-order indices equal the sensitivity endpoint's
sens = json.load(open(tmp + "/sens.json"))["data"]
by_unit = {u["unit"]: u for u in sens["units"]}
assert sorted(by_unit) == sorted(r["unit"] for r in ranking), "sensitivity units"
names = ("weights", "normalisation", "aggregation", "imputation")
assert any(sens["first_order"][k] is not None for k in names), sens["first_order"]
moved = 0
def rank_text(v):
    return "%.0f" % v if v == int(v) else "%.2f" % v
for got in rows:
    s = by_unit[got["unit"]]
    moved += s["p05"] != s["p95"]
    for f in ("rank", "median", "p05", "p95"):
        col = "rank_nominal" if f == "rank" else "rank_" + f
        assert abs(float(got[col]) - s[f]) < 1e-9, (got["unit"], col, got[col], s[f])
    assert int(got["rank_nominal"]) == int(got["rank"]), got["unit"]
    for k in names:
        want, cell = sens["first_order"][k], got["first_order_" + k]
        assert (cell == "") if want is None else abs(float(cell) - want) < 1e-12, (k, cell, want)
assert moved > 0, "no interval wider than a rank: the check would not see a swap"
sec = md[md.index("## 排名不确定性 Rank uncertainty"):md.index("## 数据说明")]
for r in ranking:
    s = by_unit[r["unit"]]
    line = next(l for l in sec.splitlines() if "(%s) |" % r["unit"] in l)
    cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
    assert cells[1:] == [rank_text(s[f]) for f in ("rank", "median", "p05", "p95")], line
    want = "<tr data-sens=\"%s\"><td class=\"t\">" % r["unit"]
    row = html[html.index(want):].split("</tr>")[0]
    cells = re.findall(r"<td>([^<]*)</td>", row)
    assert cells == [rank_text(s[f]) for f in ("rank", "median", "p05", "p95")], row
for k in names:
    v = sens["first_order"][k]
    text = "—" if v is None else "%.3f" % v
    assert re.search(r"\| [^|]*%s \| %s \|" % (k, re.escape(text)), sec), (k, text)
    assert ('<tr data-assumption="%s"><td class="t">' % k) in html, k
    row = html[html.index('<tr data-assumption="%s">' % k):].split("</tr>")[0]
    assert row.endswith("<td>%s</td>" % text), row
assert "&lt;R&amp;D&gt; &quot;A&quot;" in html.split("data-sens=\"p13\"")[1].split("</tr>")[0]
print("bulletin: %d parks match the API, rank uncertainty included" % len(rows))
PY
# ---- the bulletin when the sensitivity endpoint refuses (a 404: no data, or a
# 400: too large an analysis): a proxy passes every other request to the daemon
pport=$(free_port)
cat >"$tmp/proxy.py" <<'PY'
import http.server, sys, urllib.error, urllib.request
api = sys.argv[1]
class Proxy(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if "/sensitivity" in self.path:
            code, body = 404, b'{"status":"error","error":{"code":404,"message":"no data here"}}'
        else:
            try:
                code, body = 200, urllib.request.urlopen(api + self.path).read()
            except urllib.error.HTTPError as e:
                code, body = e.code, e.read()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[2])), Proxy).serve_forever()
PY
python3 "$tmp/proxy.py" "$api" "$pport" &
pids+=($!)
wait_for 10 curl -sf "http://127.0.0.1:$pport/healthz" || fail "the proxy did not answer"
for f in md csv; do
    PARKSTAT_URL=http://127.0.0.1:$pport "$bin/parkstat" report monitoring --period $period \
        --format $f --output "$tmp/nosens.$f" || fail "report --format $f without sensitivity"
done
grep -q "排名不确定性" "$tmp/nosens.md" && fail "an uncertainty section without an answer"
grep -qx -- "- rank uncertainty not available: no data here" "$tmp/nosens.md" ||
    fail "no note on the missing uncertainty: $(grep -- '^- ' "$tmp/nosens.md")"
python3 - "$tmp/nosens.csv" <<'PY' || fail "bulletin csv without sensitivity"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
assert len(rows) == 15 and all(r["score"] != "" for r in rows), len(rows)
assert all(r["rank_median"] == r["rank_p95"] == r["first_order_weights"] == "" for r in rows)
PY
echo "ok: dashboard and bulletin (artifacts in $artifacts)"
