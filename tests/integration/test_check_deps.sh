#!/usr/bin/env bash
# scripts/check-deps.py: passes on the real tree; on a tiny fixture tree it
# passes when the table is true and fails (exit 1, naming FILE:LINE) on an
# unlisted edge, on a cycle, on a private header used across modules and on a
# listed edge no include makes. Needs PARKSTAT_SRC.
# shellcheck disable=SC2016  # the backquotes in the table rows are Markdown
set -euo pipefail
src=${PARKSTAT_SRC:?}
check=$src/scripts/check-deps.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# The real tree: acyclic and as the table says.
python3 "$check" "$src" >"$tmp/out" || { cat "$tmp/out"; fail "the real tree does not pass"; }
grep -qE '^ok: deps: [0-9]+ files, [0-9]+ edges, acyclic$' "$tmp/out" || fail "no summary: $(cat "$tmp/out")"
n=$(sed -E 's/^ok: deps: ([0-9]+) files.*/\1/' "$tmp/out")
((n >= 100)) || fail "only $n files found in the real tree"

# fixture DIR ROW...: DIR/docs/ARCHITECTURE.md with the given table rows.
fixture() {
    local dir=$1
    shift
    mkdir -p "$dir/docs" "$dir/base" "$dir/mid" "$dir/top"
    {
        echo "# Architecture"
        echo
        echo "| library | folder | depends on | public headers | what |"
        echo "|---|---|---|---|---|"
        printf '%s\n' "$@"
        echo
    } >"$dir/docs/ARCHITECTURE.md"
    printf '#include <stdio.h>\n' >"$dir/base/base.h"
    printf '#include "base/base_priv.h"\n' >"$dir/base/base.c"
    printf '\n' >"$dir/base/base_priv.h"
    printf '#include "base/base.h"\n' >"$dir/mid/mid.h"
    printf '#include "mid/mid.h"\n#include "base/base.h"\n' >"$dir/mid/mid.c"
    printf '/* top */\n#include "mid/mid.h"\n' >"$dir/top/top.c"
}
base='| `ps_base` | `base/` | libc | `base.h` | the bottom |'
mid='| `ps_mid` | `mid/` | ps_base, SQLite | `mid.h` | the middle |'
top='| `ps_top` | `top/` | ps_mid | — | the program |'

# run DIR: exit code into rc, output into $tmp/out.
run() {
    set +e
    python3 "$check" "$1" >"$tmp/out" 2>&1
    rc=$?
    set -e
}
want() { grep -qF -- "$1" "$tmp/out" || { cat "$tmp/out"; fail "missing: $1"; }; }

fixture "$tmp/good" "$base" "$mid" "$top"
run "$tmp/good"
[[ $rc -eq 0 ]] || { cat "$tmp/out"; fail "good fixture: exit $rc"; }
want "ok: deps: 6 files, 2 edges, acyclic"

# top/top.c includes base/ directly: an edge the table does not list.
fixture "$tmp/unlisted" "$base" "$mid" "$top"
printf '#include "base/base.h"\n' >>"$tmp/unlisted/top/top.c"
run "$tmp/unlisted"
[[ $rc -eq 1 ]] || fail "unlisted edge: exit $rc, want 1"
want "top/top.c:3: ps_top -> ps_base is not listed in the 'depends on' column of docs/ARCHITECTURE.md"
want "FAIL: deps: 1 problem(s)"

# base/ includes mid/: a cycle, even when the table lists both edges.
fixture "$tmp/cycle" '| `ps_base` | `base/` | ps_mid | `base.h` | x |' "$mid" "$top"
printf '#include "mid/mid.h"\n' >>"$tmp/cycle/base/base.c"
run "$tmp/cycle"
[[ $rc -eq 1 ]] || fail "cycle: exit $rc, want 1"
want "cycle ps_base -> ps_mid -> ps_base (includes at base/base.c:2, mid/mid.c:2)"

# mid/ reaches into base/'s private header.
fixture "$tmp/private" "$base" "$mid" "$top"
printf '#include "base/base_priv.h"\n' >>"$tmp/private/mid/mid.c"
run "$tmp/private"
[[ $rc -eq 1 ]] || fail "private header: exit $rc, want 1"
want "mid/mid.c:3: includes base/base_priv.h, which is not a public header of ps_base"

# The table lists top -> base, which no include makes: the table is stale.
fixture "$tmp/stale" "$base" "$mid" '| `ps_top` | `top/` | ps_mid, ps_base | — | x |'
run "$tmp/stale"
[[ $rc -eq 1 ]] || fail "stale table: exit $rc, want 1"
want "docs/ARCHITECTURE.md: ps_top lists ps_base but no file of top/ includes a header of base/"

# A folder that is no module of the table.
fixture "$tmp/stray" "$base" "$mid" "$top"
mkdir -p "$tmp/stray/extra"
printf '#include "extra/x.h"\n' >>"$tmp/stray/mid/mid.c"
run "$tmp/stray"
[[ $rc -eq 1 ]] || fail "unknown folder: exit $rc, want 1"
want "mid/mid.c:3: includes extra/, which is no module of the table"
echo "ok: check-deps"
