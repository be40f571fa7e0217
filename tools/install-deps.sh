#!/usr/bin/env bash
# Installs the Debian packages zerotask needs to build and run, and with --tests
# also those only the test suite needs. This is the one place that names them.
# Installs only what is missing: when everything is present it prints nothing and
# touches nothing. Needs root (or sudo) only when something is missing. Tested on
# Debian 12.
#
#   tools/install-deps.sh [--tests]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PACKAGES=(
  cmake
  g++
  make
  pkg-config
  git
  libzmq3-dev
  cppzmq-dev
  nlohmann-json3-dev
  libcli11-dev
  doctest-dev
  libsqlite3-dev
  libcpp-httplib-dev
  # The fuzz targets (tools/fuzz.sh): clang++, libFuzzer's runtime, and
  # llvm-symbolizer for file:line in sanitizer reports.
  clang
  libclang-rt-14-dev
  llvm-14
)
# Only for the test suite (tools/test.sh): the Python examples run against a real
# broker, and the dashboard test drives headless Chromium over its DevTools protocol.
TEST_PACKAGES=(
  python3
  python3-zmq
  python3-websocket
  chromium
)

case "${1:-}" in
  --tests) PACKAGES+=("${TEST_PACKAGES[@]}") ;;
  "") ;;
  *) echo "install-deps: unknown option $1 (usage: tools/install-deps.sh [--tests])" >&2; exit 2 ;;
esac

# Fills `missing` with the packages of PACKAGES that are not installed.
find_missing() {
  missing=()
  local package status
  for package in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
    if [[ "$status" != "installed" ]]; then
      missing+=("$package")
    fi
  done
}

find_missing
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

echo "install-deps: installing missing packages: ${missing[*]}"
if [[ $(id -u) -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "install-deps: missing packages and not root (and no sudo): ${missing[*]}" >&2
  exit 1
fi

# env: sudo does not pass the environment through.
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
find_missing
if [[ ${#missing[@]} -ne 0 ]]; then
  echo "install-deps: still missing after apt-get install: ${missing[*]}" >&2
  exit 1
fi
echo "install-deps: done"
