#!/usr/bin/env bash
# Builds the dashboard (web/) into web/dist: installs the locked Node packages
# (echarts, esbuild, playwright-core for the browser test) and bundles them.
# parkstatd serves web/dist (PARKSTAT_WEB_ROOT) or, installed, its copy under
# share/parkstat/web. Needs node and npm (scripts/setup.sh installs them):
# Debian 12's own nodejs 18 is enough, and check-engines.mjs keeps it so (it
# fails when a locked package needs a newer Node.js, even on a machine that has
# one). The versions in package.json are exact; npm ci installs the lock.
set -euo pipefail
cd "$(dirname "$0")/../web"
if ! command -v npm >/dev/null; then
    echo "build-web: npm is missing; run scripts/setup.sh (Debian packages nodejs and npm)" >&2
    exit 1
fi
node check-engines.mjs
# Skip the install when node_modules already matches the lock file.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
    npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
