#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Checks that every C file is laid out as .clang-format says (Debian 12's
# clang-format 14); `scripts/format.sh --fix` rewrites them in place.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || scripts/setup.sh build >/dev/null
mapfile -t files < <(git ls-files '*.c' '*.h')
if [ "${1:-}" = --fix ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
if ! clang-format --dry-run --Werror "${files[@]}" 2>/tmp/format.$$; then
  head -n 40 /tmp/format.$$
  rm -f /tmp/format.$$
  echo "format: the files above differ from .clang-format's layout; run scripts/format.sh --fix"
  exit 1
fi
rm -f /tmp/format.$$
echo "format: ${#files[@]} files as .clang-format lays them out"
