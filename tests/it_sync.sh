#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The whole system under the conditions officers meet: 15 commune devices
# push hundreds of ops each, concurrently, through a proxy that drops,
# truncates and delays; the daemon is SIGKILLed and restarted mid-run; its
# store is swapped for an older backup; two devices edit one petition
# offline. Everything goes over TLS, the devices trusting the district's
# certificate by the pin their tokens carry; the proxy forwards (and
# damages) TLS bytes untouched. Each phase ends with every device's commune digest equal to the
# daemon's and exact record counts.
# usage: it_sync.sh DANSYNC DANSYNCD FAULTPROXY [OPS_PER_DEVICE]
DANSYNC=$1
DANSYNCD=$2
FAULTPROXY=$3
N=${4:-${IT_SYNC_OPS:-200}}
. "$(dirname "$0")/it_lib.sh"
DB="$TMP/district.db"
COMMUNES=$(tail -n +2 "$(dirname "$0")/../data/phung-hiep-communes.tsv" | cut -f1)
PPID_=""
WDOG=""
pids=()
# Only this shell's running jobs are killed: a job that ended long ago may
# have left its process id to another test's process.
trap '{ kill -9 $(jobs -pr); wait; } 2>/dev/null; rm -rf "$TMP"' EXIT
# A global time bound: past it the test fails at once (naming the phase)
# instead of hanging until ctest's time-out.
PHASE="setup"
# Over TLS under ASan on a loaded 2-core machine it took 555 s; ctest's own
# time-out (900 s) stays above this bound.
BUDGET=${IT_SYNC_BUDGET:-840}
trap 'echo "FAIL: over the ${BUDGET} s bound, in phase: $PHASE" >&2; FAIL=$((FAIL + 1)); finish; exit 1' USR1
(sleep "$BUDGET"; kill -USR1 $$) >/dev/null 2>&1 &
WDOG=$!

start_proxy() {
  rm -f "$TMP/proxy.port"
  "$FAULTPROXY" --target "127.0.0.1:$DPORT" --port-file "$TMP/proxy.port" "$@" &
  PPID_=$!
  wait_for "the proxy" 10 test -s "$TMP/proxy.port"
  PURL="https://127.0.0.1:$(cat "$TMP/proxy.port")"
}

"$DANSYNCD" tls init --out "$TMP/tls" --host 127.0.0.1 >/dev/null || bad "tls init"
TLS=(--tls-cert "$TMP/tls/district.crt" --tls-key "$TMP/tls/district.key")
tls_daemon() { start_daemon "$DB" "${TLS[@]}"; URL="https://127.0.0.1:$DPORT"; }
tls_daemon
start_proxy --seed 7 --drop 30 --truncate 20 --delay-ms 5

# --- 15 devices record their work offline ---
for c in $COMMUNES; do
  tok=$("$DANSYNCD" --db "$DB" enroll --commune "$c" --tls-cert "$TMP/tls/district.crt")
  "$DANSYNC" --db "$TMP/$c.db" init --commune "$c" --server "$PURL" --token "$tok" >/dev/null ||
    bad "init $c"
done
work() { # work COMMUNE COUNT: COUNT ops, a mix of creations and updates
  local db="$TMP/$1.db" i id="" n=0
  while [ $n -lt "$2" ]; do
    i=$n
    if [ $((i % 10)) -eq 3 ] && [ -n "$id" ]; then
      "$DANSYNC" --db "$db" petition update "$id" --status in_progress >/dev/null
    elif [ $((i % 10)) -eq 7 ]; then
      "$DANSYNC" --db "$db" survey add --taken-on 2024-05-02 --service land --overall $((i % 5 + 1)) >/dev/null
    elif [ $((i % 10)) -eq 9 ]; then
      "$DANSYNC" --db "$db" visit add --visited-on 2024-05-03 --household "Hộ $i" --situation poor_household --gift-vnd 300000 >/dev/null
    else
      id=$("$DANSYNC" --db "$db" petition add --received-on 2024-05-01 --category water \
             --citizen "Người dân $i" --content "Kiến nghị $i của xã $1" --force)
    fi || bad "work $1 op $i"
    n=$((n + 1))
  done
}
waitall() { local p; for p in "$@"; do wait "$p"; done; }
# daemon_alive: the daemon runs; a crash fails the test now, not at the end
# of 200 retries.
daemon_alive() {
  if [ -n "$DPID" ] && ! kill -0 "$DPID" 2>/dev/null; then
    bad "the daemon died ($PHASE): $(tail -n 3 "$TMP/daemon.log")"
    finish
    exit 1
  fi
}
# wait_syncs PID...: waits for the syncs (this shell's jobs, so an id an
# ended one left behind is not watched), checking the daemon every 100 ms.
wait_syncs() {
  while jobs -pr | grep -qFx -f <(printf '%s\n' "$@"); do
    daemon_alive
    sleep 0.1
  done
}
pids=()
for c in $COMMUNES; do work "$c" "$N" & pids+=($!); done
waitall "${pids[@]}"
for c in $COMMUNES; do
  check "$c queued" "\"queued\": $N" "$("$DANSYNC" --db "$TMP/$c.db" status --json | grep -o '"queued": [0-9]*')"
done

sync_all() { # every device syncs concurrently, retrying through the faults
  local pids=() c i=0 rc failed=0
  for c in $COMMUNES; do
    "$DANSYNC" --db "$TMP/$c.db" sync --batch 40 --retries 200 --timeout 10 >/dev/null 2>"$TMP/$c.err" &
    pids+=($!)
  done
  wait_syncs "${pids[@]}"
  for c in $COMMUNES; do
    wait "${pids[$i]}"
    rc=$?
    i=$((i + 1))
    if [ $rc -ne 0 ]; then
      failed=$((failed + 1))
      echo "sync of $c exited $rc: $(tail -n 2 "$TMP/$c.err")" >&2
    fi
  done
  check "every device synced" 0 $failed
}
converged() { # every device's commune digest equals the daemon's
  local c d
  for c in $COMMUNES; do
    d=$("$DANSYNCD" --db "$DB" digest --commune "$c")
    check "$1: $c digest" "$d" "$("$DANSYNC" --db "$TMP/$c.db" digest --commune "$c")"
    same_records "$1: $c records" "$TMP/$c.db" "$DB" "$c"
  done
}
counts() { # exact record counts: nothing lost, nothing doubled
  local per
  per=$(sqlite3 "$TMP/cay-duong.db" "SELECT count(*) FROM rec")
  check "$1: records at the district" $((per * 15)) "$(sqlite3 "$DB" 'SELECT count(*) FROM rec')"
  check "$1: ops at the district" $((N * 15)) "$(sqlite3 "$DB" "SELECT coalesce(sum(n), 0) FROM oplog")"
  # With the count above: each (node, seq) once, so no op stored twice.
  check "$1: no op stored twice" $((N * 15)) "$("$DANSYNCD" --db "$DB" log show --json | sed -n 's/.*"node": "\([0-9a-f]*\)".*"seq": \([0-9]*\),.*/\1 \2/p' | sort -u | wc -l)"
}

# --- phase 1: sync through the faults, with the daemon SIGKILLed midway ---
PHASE="kill -9"
pids=()
for c in $COMMUNES; do
  "$DANSYNC" --db "$TMP/$c.db" sync --batch 10 --retries 200 --timeout 10 >/dev/null 2>>"$TMP/sync.log" &
  pids+=($!)
done
# The kill point: the daemon has merged a third of the ops. The network is
# cut there first, so the syncs cannot finish before the kill.
oplog_at_least() { daemon_alive; test "$(sqlite3 "$DB" 'SELECT coalesce(sum(n), 0) FROM oplog' 2>/dev/null || echo 0)" -ge "$1"; }
wait_for "a third of the ops at the district" 120 oplog_at_least $((N * 5))
kill -USR1 "$PPID_"
running=0
for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && running=$((running + 1)); done
kill9_daemon
check "daemon was killed mid-run: syncs still running" 1 "$(test $running -gt 0 && echo 1)"
tls_daemon
kill -USR2 "$PPID_"
wait_syncs "${pids[@]}"
waitall "${pids[@]}"
sync_all # a second round pulls what others pushed after each first finished
converged "after kill -9"
counts "after kill -9"
check "log intact after kill -9" 0 "$("$DANSYNCD" --db "$DB" log verify >/dev/null; echo $?)"

# --- phase 2: the network is cut, devices keep working, it comes back ---
PHASE="network cut"
kill -USR1 "$PPID_"
pids=()
for c in $COMMUNES; do work "$c" 10 & pids+=($!); done
waitall "${pids[@]}"
check_rc "offline sync exits 3" 3 "$DANSYNC" --db "$TMP/hoa-an.db" sync --retries 1 --timeout 2
check_grep "offline keeps the queue" "10 ops stay queued" "$TMP/err"
# A backup taken now, while the daemon runs, holds everything before the cut.
check_rc "backup of the live store" 0 "$DANSYNCD" --db "$DB" backup --out "$TMP/backup.db"
kill -USR2 "$PPID_"
N=$((N + 10))
sync_all
sync_all
converged "after the network came back"
counts "after the network came back"
FULL=$("$DANSYNCD" --db "$DB" digest)

# --- phase 3: the district store is restored from the older backup ---
PHASE="restore"
# README's procedure: stop serve, put the backup in place, start serve.
stop_daemon || bad "clean stop before restore"
rm -f "$DB-wal" "$DB-shm"
cp "$TMP/backup.db" "$DB"
check "the restored store is older" 1 "$(test "$("$DANSYNCD" --db "$DB" digest)" != "$FULL" && echo 1)"
tls_daemon
sync_all
sync_all
check "after restore: the district digest is back" "$FULL" "$("$DANSYNCD" --db "$DB" digest)"
converged "after restore"
counts "after restore"

# --- phase 4: two devices of one commune edit the same petition offline ---
PHASE="conflict"
tok=$("$DANSYNCD" --db "$DB" enroll --commune hoa-an --tls-cert "$TMP/tls/district.crt")
A="$TMP/hoa-an.db"
B="$TMP/hoa-an-2.db"
"$DANSYNC" --db "$B" init --commune hoa-an --server "$URL" --token "$tok" >/dev/null
sqlite3 "$A" "UPDATE meta SET v = '$URL' WHERE k = 'server'"
P=$("$DANSYNC" --db "$A" petition add --received-on 2024-05-05 --category land --content "Tranh chấp ranh đất")
check_rc "A syncs" 0 "$DANSYNC" --db "$A" sync
check_rc "B syncs" 0 "$DANSYNC" --db "$B" sync
check_rc "A edits offline" 0 "$DANSYNC" --db "$A" petition update "$P" --response "Xã sẽ đo đạc lại"
check_rc "B edits offline" 0 "$DANSYNC" --db "$B" petition update "$P" --response "Đã hòa giải xong"
for round in 1 2; do
  check_rc "A syncs ($round)" 0 "$DANSYNC" --db "$A" sync
  check_rc "B syncs ($round)" 0 "$DANSYNC" --db "$B" sync
done
D=$("$DANSYNCD" --db "$DB" digest --commune hoa-an 2>&1)
check "conflict: A = district" "$D" "$("$DANSYNC" --db "$A" digest --commune hoa-an)"
check "conflict: B = district" "$D" "$("$DANSYNC" --db "$B" digest --commune hoa-an)"
check "the daemon lists the conflict" 1 "$(sqlite3 "$DB" 'SELECT count(*) FROM conflict')"
# The record and its conflicts (each device's history differs: "mine").
"$DANSYNC" --db "$A" petition show "$P" --json | sed 's/, "history": .*$//' >"$TMP/a.json"
"$DANSYNC" --db "$B" petition show "$P" --json | sed 's/, "history": .*$//' >"$TMP/b.json"
check "both devices show the same record and conflict" "$(cat "$TMP/a.json")" "$(cat "$TMP/b.json")"
check_grep "both values are kept" "Đã hòa giải xong" "$TMP/a.json"
check_grep "both values are kept" "Xã sẽ đo đạc lại" "$TMP/a.json"
stop_daemon || bad "clean stop at the end"
finish
