#!/usr/bin/env bash
# Installs what parkstat needs on Debian 12 (bookworm): compiler, cmake,
# pkg-config, the libraries, and (with --test) the tools the test suite uses.
# As root it runs apt-get; otherwise it prints the exact command to run.
set -euo pipefail

pkgs=(build-essential cmake pkg-config ca-certificates tzdata
      libuv1-dev libcurl4-openssl-dev libjansson-dev libyajl-dev libsqlite3-dev
      libmicrohttpd-dev libsystemd-dev libcsv-dev libroaring-dev zlib1g-dev libzip-dev libxml2-dev
      liblapacke-dev libxlsxwriter-dev nodejs)
command -v npm >/dev/null || pkgs+=(npm)
# llvm: llvm-symbolizer, without which ASan and UBSan reports show bare addresses.
test_pkgs=(libcmocka-dev clang libclang-rt-14-dev clang-format clang-tidy sqlite3 cppcheck shellcheck curl
           python3 python3-openpyxl nginx-light libxml2-utils r-cran-rsdmx
           prometheus wrk systemd python3-numpy chromium fonts-wqy-microhei poppler-utils
           time collectd-core libyajl2 llvm valgrind)

want=("${pkgs[@]}")
if [[ "${1:-}" == "--test" ]]; then
    want+=("${test_pkgs[@]}")
fi

missing=()
for p in "${want[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
    exit 0
fi
cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
    echo "parkstat needs these Debian packages; run as root:" >&2
    echo "  $cmd" >&2
    exit 1
fi
echo "setup: installing ${missing[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
