#!/usr/bin/env bash
# parkstatd --check-config: a good file passes (exit 0); bad files fail
# (exit 1) and stderr names each problem as FILE:LINE:COL (syntax) or
# FILE: json.path: message (semantics). Needs PARKSTAT_BIN and PARKSTAT_SRC.
set -euo pipefail
bin=${PARKSTAT_BIN:?}/parkstatd
data=${PARKSTAT_SRC:?}/tests/data/config
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# want_line FILE TEXT: stderr of the last run has a line containing TEXT.
want_line() { grep -qF -- "$2" "$1" || { cat "$1"; fail "missing: $2"; }; }

"$bin" --check-config "$data/good.json" >"$tmp/out" 2>"$tmp/err" || fail "good.json rejected: $(cat "$tmp/err")"
want_line "$tmp/out" "good.json: ok (7 units, 6 indicators, 1 sources, 1 indices)"

set +e
"$bin" --check-config "$data/bad_syntax.json" 2>"$tmp/err"; rc=$?
set -e
[[ $rc -eq 1 ]] || fail "bad_syntax.json: exit $rc, want 1"
# column 34 counts characters (南京市 is 3), not bytes
want_line "$tmp/err" "$data/bad_syntax.json:3:34: string or '}' expected near '}'"

set +e
"$bin" --check-config "$data/bad_semantic.json" 2>"$tmp/err"; rc=$?
set -e
[[ $rc -eq 1 ]] || fail "bad_semantic.json: exit $rc, want 1"
f="$data/bad_semantic.json"
want_line "$tmp/err" "$f: units[2].id: duplicate id \"p01\" (first at units[1])"
want_line "$tmp/err" "$f: units[2].parent: unknown parent \"nanjing\""
want_line "$tmp/err" "$f: indicators[0]: unknown key \"frequncy\" (did you mean \"frequency\"?)"
want_line "$tmp/err" "$f: indicators[0].frequency: required"
want_line "$tmp/err" "$f: indicators[1].formula: unknown indicator \"rd_expense\""
want_line "$tmp/err" "$f: indices[0].method.base: bad period \"2023-Q5\""
want_line "$tmp/err" "$f: indices[0].tree[0].weight: must be > 0"
[[ $(wc -l <"$tmp/err") -eq 7 ]] || { cat "$tmp/err"; fail "want exactly 7 problems"; }

set +e
"$bin" --check-config "$tmp/missing.json" 2>"$tmp/err"; rc=$?
set -e
[[ $rc -eq 1 ]] || fail "missing file: exit $rc"
want_line "$tmp/err" "$tmp/missing.json: cannot read: No such file or directory"

# -c with an invalid config refuses to start, naming the problems.
set +e
"$bin" -c "$data/bad_semantic.json" 2>"$tmp/err"; rc=$?
set -e
[[ $rc -eq 78 ]] || fail "-c bad_semantic.json: exit $rc, want 78 (EX_CONFIG)"
grep -q "<3>.*bad_semantic.json: indices\[0\].tree\[0\].weight: must be > 0" "$tmp/err" ||
    { cat "$tmp/err"; fail "-c names the problems"; }
"$bin" --version | grep -q '^parkstatd ' || fail "--version"

# The issue's examples: misspelt source keys and a bogus imputation were
# accepted, then the daemon ran with defaults and recompute failed.
cat >"$tmp/typos.json" <<'JSON'
{"units": [{"id": "city", "name": "C"}],
 "indicators": [{"code": "revenue", "name": "R", "frequency": "M", "kind": "flow"}],
 "sources": [{"id": "s", "url": "file:///x/{period}.json", "format": "json", "frequency": "M",
              "first_period": "2021-01", "poll_evry": "1d", "revison_window": 3,
              "max_byte": 1000,
              "mapping": {"unti": "/u", "period": "/p", "indicator": "/i", "value": "/v"}}],
 "indices": [{"id": "ix", "frequency": "Y", "method": {"normalise": "minmax", "impute": "bogus"},
              "tree": [{"indicator": "revenue", "weight": 1}]}]}
JSON
set +e
"$bin" --check-config "$tmp/typos.json" 2>"$tmp/err"; rc=$?
set -e
[[ $rc -eq 1 ]] || fail "typos.json: exit $rc, want 1"
f="$tmp/typos.json"
want_line "$tmp/err" "$f: sources[0]: unknown key \"poll_evry\" (did you mean \"poll_every\"?)"
want_line "$tmp/err" "$f: sources[0]: unknown key \"revison_window\" (did you mean \"revision_window\"?)"
want_line "$tmp/err" "$f: sources[0]: unknown key \"max_byte\" (did you mean \"max_bytes\"?)"
want_line "$tmp/err" "$f: sources[0].mapping: unknown key \"unti\" (did you mean \"unit\"?)"
want_line "$tmp/err" "$f: indices[0].method.impute: bad impute \"bogus\" (expected none, carry or group_mean)"
[[ $(wc -l <"$tmp/err") -eq 5 ]] || { cat "$tmp/err"; fail "want exactly 5 problems"; }

demo=${PARKSTAT_SRC}/examples/demo/config.json
if [[ -f $demo ]]; then
    "$bin" --check-config "$demo" >/dev/null 2>"$tmp/err" || { cat "$tmp/err"; fail "demo config invalid"; }
fi
echo "ok"
