#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Sets everything up, builds, and runs the whole test suite: once as a plain
# build and once under AddressSanitizer and UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
# The soak (it_soak) runs SOAK_SECONDS: 150 here and in CI, 180 by default
# when run alone; it runs in the plain pass only, as does it_browser (the
# dashboard in chromium: the daemon's paths are those it_ui runs under ASan).
SOAK_SECONDS=${SOAK_SECONDS:-150} ctest --test-dir build --output-on-failure -j2
scripts/setup.sh build-asan -DSANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
# The sanitized pass syncs 100 ops per device instead of 200, and it_pull
# writes 3 x 200 ops instead of 3 x 700 (two default pages, not five; small
# pages still many): ASan makes every command several times slower, and
# the paths are the same.
IT_SYNC_OPS=100 IT_PULL_OPS=200 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j2 -E 'it_soak|it_browser'
