#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the libFuzzer targets with clang, ASan and UBSan, and runs each for
# a bounded time (FUZZ_SECONDS, default 60) on a copy of its checked-in seed
# corpus. Any crash, leak or sanitizer report fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-60}
need=()
for p in clang libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
scripts/setup.sh build-fuzz -DCMAKE_C_COMPILER=clang -DDS_FUZZ=ON \
  -DDS_SANITIZE=address,undefined -DCMAKE_BUILD_TYPE=Debug
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for f in request response merge http tls bundle; do
  mkdir -p "$work/$f"
  cp tests/fuzz/corpus/$f/* "$work/$f/"
  echo "fuzz_$f: ${secs}s"
  rc=0
  ASAN_OPTIONS=detect_leaks=1 "build-fuzz/tests/fuzz_$f" -max_total_time="$secs" \
    -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    "$work/$f" >"$work/$f.log" 2>&1 || rc=$?
  grep -E "stat::number_of_executed_units|ERROR|SUMMARY" "$work/$f.log" || true
  if [ "$rc" -ne 0 ]; then
    tail -40 "$work/$f.log"
    echo "fuzz_$f found a problem (exit $rc)" >&2
    exit 1
  fi
done
echo "fuzz: every target ran ${secs}s without a finding"
