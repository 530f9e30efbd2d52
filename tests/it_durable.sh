#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Durability seen through a seam (tests/syncshim.c, preloaded into the
# daemon): every 200 to a request that stored ops leaves only after a WAL
# sync that ended after the request was read; while WAL syncs fail, the
# daemon answers 503, the device keeps its ops queued, and once syncs work
# again everything is stored exactly once; a SIGTERM while a request is
# being synced still answers it.
# usage: it_durable.sh DANSYNC DANSYNCD SYNCSHIM
DANSYNC=$1
REAL_DANSYNCD=$2
SHIM=$3
. "$(dirname "$0")/it_lib.sh"
DB="$TMP/district.db"
export SYNCSHIM_LOG="$TMP/shim.log" SYNCSHIM_FAIL="$TMP/fail"
# The daemon runs with the seam; the admin commands and the client without.
DANSYNCD="$TMP/dansyncd-shim"
cat >"$DANSYNCD" <<EOS
#!/bin/sh
LD_PRELOAD="$SHIM" ASAN_OPTIONS="\${ASAN_OPTIONS:+\$ASAN_OPTIONS:}verify_asan_link_order=0" exec "$REAL_DANSYNCD" "\$@"
EOS
chmod +x "$DANSYNCD"
D() { "$REAL_DANSYNCD" --db "$DB" "$@"; }
on() { local n=$1; shift; timeout 30 "$DANSYNC" --db "$TMP/$n.db" "$@"; }
queued() { on "$1" status --json | grep -o '"queued": [0-9]*' | grep -o '[0-9]*$'; }
# unsynced_answers FILE: 200s with no WAL sync ended since their request.
unsynced_answers() {
  awk '/^request/ { synced = 0 } /^sync-end/ { synced = 1 }
       /^answer 200/ && !synced { n++ } END { print n + 0 }' "$1"
}
start_daemon "$DB"
"$DANSYNC" --db "$TMP/A.db" init --commune hoa-an --server "$URL" \
  --token "$(D enroll --commune hoa-an)" >/dev/null || bad "init A"
"$DANSYNC" --db "$TMP/B.db" init --commune hoa-an --server "$URL" \
  --token "$(D enroll --commune hoa-an)" >/dev/null || bad "init B"
add() { local i; for ((i = 0; i < $2; i++)); do
  on "$1" petition add --received-on 2024-05-01 --category water --content "Kiến nghị $i" --force >/dev/null || bad "add $1"
done; }

# --- one op a request, one request at a time: each 200 after its sync ---
add A 5
: >"$SYNCSHIM_LOG"
check_rc "A syncs one op a request" 0 on A sync --batch 1
check "the seam saw 5 requests" 5 "$(grep -c '^request' "$SYNCSHIM_LOG")"
check "5 answers 200" 5 "$(grep -c '^answer 200' "$SYNCSHIM_LOG")"
check "no 200 before its WAL sync" 0 "$(unsynced_answers "$SYNCSHIM_LOG")"
check "the WAL was synced for each" 1 "$(test "$(grep -c '^sync-end' "$SYNCSHIM_LOG")" -ge 5 && echo 1)"

# --- WAL syncs fail: 503, nothing acked, the ops stay queued ---
add A 3
touch "$SYNCSHIM_FAIL"
: >"$SYNCSHIM_LOG"
check_rc "A's sync is told the district is unavailable" 3 on A sync --retries 0
check_grep "unavailable" "unavailable" "$TMP/err"
check "the seam failed a WAL sync" 1 "$(test "$(grep -c '^sync-fail' "$SYNCSHIM_LOG")" -ge 1 && echo 1)"
check "no 200 while syncs fail" 0 "$(grep -c '^answer 200' "$SYNCSHIM_LOG")"
check "a 503" 1 "$(test "$(grep -c '^answer 503' "$SYNCSHIM_LOG")" -ge 1 && echo 1)"
check "A's 3 ops stay queued" 3 "$(queued A)"
check_rc "A tries again: still unavailable" 3 on A sync --retries 0
check "still queued" 3 "$(queued A)"
check "no 200 while syncs fail (full syncs)" 0 "$(grep -c '^answer 200' "$SYNCSHIM_LOG")"
check_grep "the daemon says why" "cannot sync the WAL" "$TMP/daemon.log"

# --- syncs work again: everything stored once, every 200 after a sync ---
rm -f "$SYNCSHIM_FAIL"
: >"$SYNCSHIM_LOG"
check_rc "A syncs" 0 on A sync --batch 1
check "A's queue is empty" 0 "$(queued A)"
check "no 200 before its WAL sync (full syncs)" 0 "$(unsynced_answers "$SYNCSHIM_LOG")"
check_rc "B syncs" 0 on B sync
check "8 ops at the district, none twice" 8 "$(sqlite3 "$DB" 'SELECT coalesce(sum(n), 0) FROM oplog')"
same_records "B = district" "$TMP/B.db" "$DB" hoa-an
same_records "A = district" "$TMP/A.db" "$DB" hoa-an

# --- SIGTERM while a request is read and its WAL sync under way ---
# The WAL syncs are held (not slowed by a fixed time) until the daemon has
# taken the signal: nothing here depends on how fast the machine is.
check_rc "stop" 0 stop_daemon
export SYNCSHIM_HOLD="$TMP/hold"
start_daemon "$DB"
touch "$SYNCSHIM_HOLD"
add A 3
: >"$SYNCSHIM_LOG"
on A sync >"$TMP/s.out" 2>"$TMP/s.err" &
SPID=$!
wait_for "the request's WAL sync to start" 20 grep -q '^sync-begin' "$SYNCSHIM_LOG"
check "the answer has not gone out yet" 0 "$(grep -c '^answer' "$SYNCSHIM_LOG")"
took() { [ "$(grep -c 'signal 15: finishing accepted requests' "$TMP/daemon.log")" -gt "$1" ]; }
n=$(grep -c 'signal 15: finishing accepted requests' "$TMP/daemon.log")
kill -TERM "$DPID"
wait_for "the daemon to take SIGTERM" 20 took "$n"
check "still no answer" 0 "$(grep -c '^answer' "$SYNCSHIM_LOG")"
rm "$SYNCSHIM_HOLD"
wait "$DPID"
check "the daemon stops cleanly on SIGTERM" 0 $?
DPID=""
wait $SPID
check "the request read before SIGTERM was answered" 0 $?
check "A's queue is empty" 0 "$(queued A)"
check "its answer left after its sync" 0 "$(unsynced_answers "$SYNCSHIM_LOG")"
check "11 ops at the district" 11 "$(sqlite3 "$DB" 'SELECT coalesce(sum(n), 0) FROM oplog')"
unset SYNCSHIM_HOLD
check_rc "log verify" 0 D log verify
finish
