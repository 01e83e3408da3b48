#!/usr/bin/env bash
# The bulletin's charts and --format pdf, on the demo (examples/demo): import +
# recompute with the real CLI, parkstatd, then `parkstat report monitoring
# --period 2023-Q3` as HTML and as PDF (headless Chromium). Checks: the line
# chart has eight points whose values are the means of the parks' scores of
# /api/v1/rankings for the eight quarters up to 2023-Q3 (computed here); one
# bar per scored park of the ranking, in its order, with its score and rank
# change; one stacked segment per park and top-level dimension of the
# config's tree with a contribution in /api/v1/indices, each park's segments
# summing to its score's change between the two rankings; the PDF has A4 pages (pdfinfo), a CJK font embedded (pdffonts), and,
# rendered to PNG by pdftoppm, the line's colour in the upper part of page 1
# and one band of the bars' colour per park below it. Without Chromium the
# command says what to install, exits 1 and leaves an existing output as it
# was; so does a Chromium that fails.
set -euo pipefail
bin=${PARKSTAT_BIN:?}
src=${PARKSTAT_SRC:?}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
with_tmp 20
for tool in curl python3 /usr/bin/chromium pdfinfo pdftoppm pdffonts fc-list; do
    command -v "$tool" >/dev/null || fail "$tool is missing (scripts/setup.sh --test installs it)"
done
[[ -n $(fc-list :lang=zh family) ]] || fail "no CJK font (scripts/setup.sh --test installs one)"
mkdir -p "$tmp/out"
demo_daemon feeds

for p in 2021-Q4 2022-Q1 2022-Q2 2022-Q3 2022-Q4 2023-Q1 2023-Q2 2023-Q3; do
    curl -sf "$api/api/v1/rankings/monitoring?period=$p" >"$tmp/ranking-$p.json" ||
        fail "GET rankings $p"
done
curl -sf "$api/api/v1/indices/monitoring?period=2023-Q3" >"$tmp/index.json" || fail "GET index"

export PARKSTAT_URL=$api
mkdir -p "$tmp/tmpdir"
export TMPDIR=$tmp/tmpdir # where the PDF is made: empty again after each
"$bin/parkstat" report monitoring --period 2023-Q3 --output "$tmp/out/b.html" ||
    fail "report --format html"

# ---- the charts in the HTML, against the API
python3 - "$tmp" <<'PY' || fail "the HTML charts differ from the API"
import glob, json, re, sys
tmp = sys.argv[1]
html = open(f"{tmp}/out/b.html", encoding="utf-8").read()
assert "<script" not in html and "http-equiv" not in html, "the page has a script"
assert not re.search(r'(src|href)="', html), "the page links to a file"
svgs = re.findall(r"<svg .*?</svg>", html, re.S)
assert len(svgs) >= 2, f"{len(svgs)} charts"
line, bars = svgs[0], svgs[1]
assert 'class="chart line"' in line and 'class="chart bars"' in bars
assert "Noto Sans CJK" in line and "WenQuanYi" in line and "sans-serif" in line

# eight points: each quarter's mean of the parks' scores, 2 decimals
points = re.findall(r'<circle class="pt" [^>]*><title>([^ ]+) ([-0-9.]+)</title>', line)
want = []
for f in sorted(glob.glob(f"{tmp}/ranking-*.json")):
    d = json.load(open(f))["data"]
    scores = [r["score"] for r in d["ranking"] if r["score"] is not None]
    want.append((d["period"], f"{sum(scores) / len(scores):.2f}"))
assert len(points) == 8, f"{len(points)} points on the line"
assert points == want, f"line {points} != API {want}"
# the points climb left to right, and the higher value is higher on the page
xy = [tuple(map(float, m)) for m in re.findall(r'cx="([0-9.]+)" cy="([0-9.]+)"', line)]
assert all(a[0] < b[0] for a, b in zip(xy, xy[1:])), xy
for (xa, ya), (xb, yb), (_, va), (_, vb) in zip(xy, xy[1:], points, points[1:]):
    assert (float(va) - float(vb)) * (yb - ya) >= 0, f"y of {va} and {vb}: {ya} {yb}"

# one bar per scored park, in the ranking's order, with score and rank change
ranking = json.load(open(f"{tmp}/ranking-2023-Q3.json"))["data"]["ranking"]
rects = re.findall(r'<rect class="bar" [^>]*width="([0-9.]+)"[^>]*><title>(.*?) ([-0-9.]+)</title>',
                   bars)
scored = [r for r in ranking if r["score"] is not None]
assert len(rects) == len(scored) == 15, f"{len(rects)} bars, {len(scored)} scored parks"
for (width, name, value), r in zip(rects, scored):
    assert name == r["name"].replace("&", "&amp;"), f"bar {name} != {r['name']}"
    assert value == f"{r['score']:.2f}", f"{name}: {value} != {r['score']}"
widths = [float(w) for w, _, _ in rects]
assert widths == sorted(widths, reverse=True), f"bars not by rank: {widths}"
notes = re.findall(r'<text class="(up|down|same)" [^>]*>([^<]*)</text>', bars)
assert len(notes) == len(ranking), f"{len(notes)} rank changes"
for (cls, text), r in zip(notes, ranking):
    c = r["rank_change"]
    exp = "—" if c is None else "–" if c == 0 else ("▲" if c > 0 else "▼") + str(abs(c))
    assert text == exp, f"{r['unit']}: rank change {text} != {exp}"

# contributions by dimension: the config's tree (read here, not the API's)
assert len(svgs) == 3 and 'class="chart stacks"' in svgs[2], "no chart of the dimensions"
stacks = svgs[2]
index = next(i for i in json.load(open(f"{tmp}/config.json"))["indices"] if i["id"] == "monitoring")
dim_of = {}
def walk(nodes, top):
    for n in nodes:
        t = top or n["id"]
        if "indicator" in n:
            dim_of[n["indicator"]] = t
        walk(n.get("children", []), t)
walk(index["tree"], None)
contribs = json.load(open(f"{tmp}/index.json"))["data"]["contributions"]
pairs = {(c["unit"], dim_of[c["indicator"]]) for c in contribs if c["contribution"] is not None}
segs = re.findall(r'<rect class="seg" ', stacks)
assert len(segs) == len(pairs) > 15, f"{len(segs)} segments, want {len(pairs)}"
names = [n["name"] for n in index["tree"]]
keys = re.findall(r'<rect class="key" [^>]*/><text [^>]*>([^<]*)</text>', stacks)
assert keys == names, f"legend {keys} != {names}"
prev = {r["unit"]: r["score"] for r in json.load(open(f"{tmp}/ranking-2023-Q2.json"))["data"]["ranking"]}
nets = re.findall(r'<text class="val" [^>]*>([-+0-9.]+)</text>', stacks)
want = [r["score"] - prev[r["unit"]] for r in ranking if any(u == r["unit"] for u, _ in pairs)]
assert len(nets) == len(want) == 15, f"{len(nets)} sums, want {len(want)}"
for got, w in zip(nets, want):
    assert abs(float(got) - w) <= 0.0051, f"segments sum to {got}, score change {w:.4f}"
print(f"charts: 8 points, {len(rects)} bars, {len(segs)} segments equal to the API")
PY

# ---- the PDF
"$bin/parkstat" report monitoring --period 2023-Q3 --format pdf -o "$tmp/out/b.pdf" \
    2>"$tmp/pdf.err" || { cat "$tmp/pdf.err" >&2; fail "report --format pdf"; }
[[ $(ls "$tmp/out") == $'b.html\nb.pdf' ]] || fail "files left next to the output: $(ls "$tmp/out")"
[[ -z $(ls -A "$tmp/tmpdir") ]] || fail "temporary files left: $(ls -A "$tmp/tmpdir")"
pdfinfo "$tmp/out/b.pdf" >"$tmp/pdfinfo" || fail "pdfinfo: not a PDF"
pages=$(awk '/^Pages:/ { print $2 }' "$tmp/pdfinfo")
((pages >= 2 && pages <= 6)) || fail "$pages pages"
pdfinfo -f 1 -l "$pages" "$tmp/out/b.pdf" | grep -E '^Page +[0-9]+ size' >"$tmp/sizes"
[[ $(grep -c '594.96 x 841.92 pts (A4)' "$tmp/sizes") == "$pages" ]] ||
    fail "pages not A4: $(cat "$tmp/sizes")"
pdffonts "$tmp/out/b.pdf" >"$tmp/fonts" || fail "pdffonts"
grep -qiE 'wenquanyi|wqy|noto.*cjk|sourcehan' "$tmp/fonts" ||
    fail "no CJK font in the PDF: $(cat "$tmp/fonts")"
# to standard output as well
"$bin/parkstat" report monitoring --period 2023-Q3 --format pdf >"$tmp/stdout.pdf" ||
    fail "report --format pdf to standard output"
[[ $(head -c 5 "$tmp/stdout.pdf") == "%PDF-" ]] || fail "standard output is not a PDF"

pdftoppm -r 72 -f 1 -l 2 -png "$tmp/out/b.pdf" "$tmp/page" || fail "pdftoppm"
mkdir -p "$PARKSTAT_BIN/artifacts"
cp "$tmp/out/b.pdf" "$tmp"/page-*.png "$PARKSTAT_BIN/artifacts/" 2>/dev/null || true
python3 - "$tmp" 15 <<'PY' || fail "the charts are not on the rendered page"
import struct, sys, zlib
tmp, nbars = sys.argv[1], int(sys.argv[2])

def png(path):
    """(width, height, rows of RGB bytes) of an 8-bit RGB PNG without interlace."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype == 2 and interlace == 0, (depth, ctype, interlace)
        elif kind == b"IDAT":
            idat += body
    raw, stride, rows, prev, i = zlib.decompress(idat), w * 3, [], bytearray(w * 3), 0
    for _ in range(h):
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - 3] if x >= 3 else 0
            b, c = prev[x], prev[x - 3] if x >= 3 else 0
            if f == 1: line[x] = (line[x] + a) & 255
            elif f == 2: line[x] = (line[x] + b) & 255
            elif f == 3: line[x] = (line[x] + ((a + b) >> 1)) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, rows

def near(px, rgb, tol=14):
    return all(abs(p - q) <= tol for p, q in zip(px, rgb))

LINE, BAR = (0xd9, 0x48, 0x0f), (0x2f, 0x6e, 0xa8)
w, h, rows = png(f"{tmp}/page-1.png")
# A4 at 72 dpi: 595 x 842
assert (w, h) == (595, 842), (w, h)
def hits(rows, rgb):
    return [(x, y) for y, r in enumerate(rows) for x in range(0, len(r) // 3)
            if near(r[3 * x:3 * x + 3], rgb)]
line = hits(rows, LINE)
assert len(line) > 100, f"{len(line)} pixels of the line's colour"
ly = [y for _, y in line]
assert 0.1 * h < min(ly) and max(ly) < 0.6 * h, f"line at y {min(ly)}..{max(ly)}"
bars = hits(rows, BAR)
if len(bars) < 1000:  # the bars' figure went to page 2
    w, h, rows = png(f"{tmp}/page-2.png")
    bars, ly = hits(rows, BAR), [0]
assert len(bars) > 1000, f"{len(bars)} pixels of the bars' colour"
# one horizontal band of the colour per bar, below the line
ys = sorted({y for _, y in bars})
bands = 1 + sum(1 for a, b in zip(ys, ys[1:]) if b > a + 1)
assert bands == nbars, f"{bands} bands of the bars' colour, want {nbars}"
assert min(ys) > max(ly), "bars above the line chart"
xs = [x for x, _ in bars]
assert 0.05 * w < min(xs) and max(xs) < 0.95 * w, f"bars at x {min(xs)}..{max(xs)}"
print(f"page: {len(line)} line pixels, {bands} bars")
PY

# ---- no Chromium: says what to install, exit 1, no output
echo "old" >"$tmp/out/keep.pdf"
set +e
PATH=/nonexistent "$bin/parkstat" report monitoring --period 2023-Q3 --format pdf \
    -o "$tmp/out/keep.pdf" 2>"$tmp/none.err"
rc=$?
set -e
[[ $rc == 1 ]] || fail "without chromium: exit $rc"
grep -q 'apt-get install chromium' "$tmp/none.err" || fail "without chromium: $(cat "$tmp/none.err")"
[[ $(cat "$tmp/out/keep.pdf") == old ]] || fail "without chromium: the output was touched"
# a Chromium that writes half a file and fails: the output is as it was
cat >"$tmp/bad-chromium" <<'SH'
#!/bin/sh
for a; do case $a in --print-to-pdf=*) printf '%%PDF-1.4 half' >"${a#--print-to-pdf=}" ;; esac; done
echo "bad-chromium: crashed" >&2
exit 3
SH
chmod +x "$tmp/bad-chromium"
set +e
PARKSTAT_CHROMIUM=$tmp/bad-chromium "$bin/parkstat" report monitoring --period 2023-Q3 \
    --format pdf -o "$tmp/out/keep.pdf" 2>"$tmp/bad.err"
rc=$?
set -e
[[ $rc == 1 ]] || fail "failing chromium: exit $rc"
grep -qF 'exit status 3): bad-chromium: crashed' "$tmp/bad.err" ||
    fail "failing chromium: $(cat "$tmp/bad.err")"
[[ $(cat "$tmp/out/keep.pdf") == old ]] || fail "failing chromium: the output was touched"
[[ $(ls "$tmp/out") == $'b.html\nb.pdf\nkeep.pdf' ]] || fail "files left: $(ls "$tmp/out")"
[[ -z $(ls -A "$tmp/tmpdir") ]] || fail "temporary files left: $(ls -A "$tmp/tmpdir")"
echo "ok"
