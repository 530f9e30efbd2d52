#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the Debian 12 packages dansync builds and tests with (as root, or
# through sudo), then configures and builds into build/ (or $1).
set -euo pipefail
cd "$(dirname "$0")/.."
pkgs=(build-essential cmake pkg-config libsqlite3-dev libuv1-dev libmsgpack-dev
      libcurl4-openssl-dev libcmocka-dev libsodium-dev libhttp-parser-dev
      libssl-dev openssl libzip-dev sqlite3 curl patch python3 chromium
      poppler-utils fonts-liberation libreoffice-writer-nogui clang-format)
# Node for the browser test's helper: Debian's, unless a node and npm are
# already installed (NodeSource's nodejs carries its own npm and conflicts
# with Debian's npm package).
command -v node >/dev/null && command -v npm >/dev/null || pkgs+=(nodejs npm)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# The dashboard's browser test drives chromium with puppeteer-core (the
# version pinned in tests/browser/package.json; docs/DECISIONS.md).
if [ ! -d tests/browser/node_modules/puppeteer-core ]; then
  (cd tests/browser && npm install --no-audit --no-fund --loglevel=error >/dev/null)
fi
build="${1:-build}"
shift || true
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$build" -j"$(nproc)"
