#!/usr/bin/env bash
# Every file of ../shared/real (real agency payloads, not in the tree) through
# the reader its README names, with a mapping written for it: one parkstatd
# --once pull per file, then the stored and rejected counts and three spot
# values with their periods checked against what Python's own parsers make
# of the file (tests/integration/real_corpus.py, one row per file).
# Exit 77 (skipped) when ../shared/real is absent.
set -euo pipefail
bin=${PARKSTAT_BIN:?}
src=${PARKSTAT_SRC:?}
real=${PARKSTAT_REAL_DIR:-$src/../shared/real}
if [[ ! -f $real/README.md ]]; then
    echo "SKIP: $real not found: the real payloads are third-party files kept outside the tree"
    exit 77
fi
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
with_tmp 20

python3 "$src/tests/integration/real_corpus.py" prepare "$real" "$tmp" || fail "prepare"
"$bin/parkstatd" --check-config "$tmp/config.json" >/dev/null 2>"$tmp/daemon.err" ||
    fail "the generated config is refused"
# every source is pulled once, for last year (nothing else is due)
timeout 120 "$bin/parkstatd" --once -c "$tmp/config.json" >"$tmp/once.out" 2>"$tmp/daemon.err" ||
    true
python3 "$src/tests/integration/real_corpus.py" check "$tmp" || fail "stored data differ"
echo "ok: real corpus"
