#!/usr/bin/env bash
# test_web_api.sh - the dashboard's API client (web/src/api.js) follows the
# API's paging to the last page (tests/browser/api_paging.test.mjs, node's
# test runner with a stub fetch). Without node it says so and exits 77.
set -euo pipefail
src=${PARKSTAT_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
if ! command -v node >/dev/null; then
    echo "SKIP: node is not installed"
    exit 77
fi
node --test "$src/tests/browser/api_paging.test.mjs"
