#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Planted bugs as a standing check (docs/TESTING.md). Each tests/mutants/
# NAME.patch is one small bug with a "Killed-by:" line naming the tests that
# must catch it. The tree is copied once to a scratch directory and built
# there once; for each mutant the patch is applied, the build is brought up
# to date (only what the patched file touches is rebuilt), the killing tests
# run, and the patch is reverted. Fails if a patch no longer applies, if a
# mutant does not build, or if a mutant survives its tests.
# usage: scripts/mutants.sh [NAME...]   (default: every mutant)
# env: MUTANTS_DIR (scratch, default /tmp/dansync-mutants-<user>-<hash of
#      this checkout's path>, so two checkouts never share one),
#      MUTANT_TIMEOUT (seconds per test, default 240), IT_PULL_OPS (ops
#      each it_pull writer makes, default 150 here: pages of 7 catch a page
#      bug with fewer ops than the suite's three pages of 1,000 need)
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
work=${MUTANTS_DIR:-/tmp/dansync-mutants-$(id -un)-$(printf %s "$src" | cksum | cut -d' ' -f1)}
tmo=${MUTANT_TIMEOUT:-240}
jobs=${MUTANT_JOBS:-2}
export IT_PULL_OPS=${IT_PULL_OPS:-150}
t0=$(date +%s)

if [ $# -gt 0 ]; then
  mutants=()
  for n in "$@"; do mutants+=("tests/mutants/${n%.patch}.patch"); done
else
  mutants=(tests/mutants/*.patch)
fi

# The working tree (tracked and new files, not ignored ones) over the
# scratch copy; unchanged files keep their times, so the build stays warm.
mkdir -p "$work/src"
git ls-files -co --exclude-standard -z |
  tar --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -xf - -C "$work/src"
cd "$work/src"
# A run cut short may have left a mutated object behind a reverted source
# with an older time: every file a mutant patches is rebuilt once.
for m in "${mutants[@]}"; do
  sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$src/$m" | xargs -r touch
done
cmake -S . -B "$work/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
echo "mutants: building the scratch tree in $work"
cmake --build "$work/build" -j"$jobs" >"$work/build.log" 2>&1 ||
  { tail -n 30 "$work/build.log"; echo "mutants: the unmutated tree does not build"; exit 1; }

survived=0 broken=0
for m in "${mutants[@]}"; do
  name=$(basename "$m" .patch)
  what=$(sed -n 's/^Mutant: //p' "$src/$m")
  tests=$(sed -n 's/^Killed-by: //p' "$src/$m")
  if [ -z "$tests" ]; then
    echo "BROKEN $name: no Killed-by line"; broken=$((broken + 1)); continue
  fi
  if ! patch -p1 -s -f --dry-run <"$src/$m" >/dev/null; then
    echo "BROKEN $name: the patch no longer applies"; broken=$((broken + 1)); continue
  fi
  patch -p1 -s -f <"$src/$m"
  m0=$(date +%s)
  if ! cmake --build "$work/build" -j"$jobs" >"$work/build.log" 2>&1; then
    echo "BROKEN $name: does not build"; tail -n 10 "$work/build.log"
    broken=$((broken + 1))
  else
    # The killing tests in the order named (the quickest first), up to
    # the first that fails.
    killer="" missing=""
    for t in $tests; do
      rc=0
      ctest --test-dir "$work/build" -R "^$t\$" --timeout "$tmo" --output-on-failure \
        >"$work/$name.log" 2>&1 || rc=$?
      if ! grep -q "Test *#[0-9]*: $t " "$work/$name.log"; then
        missing=$t
        break
      elif [ $rc -ne 0 ]; then
        killer=$t
        break
      fi
    done
    if [ -n "$missing" ]; then
      echo "BROKEN $name: no test named $missing"; broken=$((broken + 1))
    elif [ -n "$killer" ]; then
      echo "killed $name by $killer in $(($(date +%s) - m0)) s"
    else
      echo "SURVIVED $name ($what): $tests all passed"; survived=$((survived + 1))
    fi
  fi
  patch -p1 -s -f -R <"$src/$m"
done
# Leave the scratch build matching the tree.
cmake --build "$work/build" -j"$jobs" >"$work/build.log" 2>&1 || true
echo "mutants: ${#mutants[@]} run, $survived survived, $broken broken, $(($(date +%s) - t0)) s"
[ $survived -eq 0 ] && [ $broken -eq 0 ]
