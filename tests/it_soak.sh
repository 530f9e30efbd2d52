#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The soak: 15 commune devices record and sync in a loop through a proxy
# that drops, truncates and delays, while a hostile client on 127.0.0.2
# cycles through its attacks on the daemon itself (idle floods, pipelined
# resets, slowloris heads, unauthenticated large bodies, garbage, half
# requests). At the end the daemon is alive, its resident memory and open
# descriptors are back near where they were before the attacks, and every
# device's commune digest equals the district's.
# usage: it_soak.sh DANSYNC DANSYNCD FAULTPROXY HOSTILE [SECONDS]
DANSYNC=$1
DANSYNCD=$2
FAULTPROXY=$3
HOSTILE=$4
SECS=${5:-${SOAK_SECONDS:-180}}
. "$(dirname "$0")/it_lib.sh"
DB="$TMP/district.db"
COMMUNES=$(tail -n +2 "$(dirname "$0")/../data/phung-hiep-communes.tsv" | cut -f1)
PPID_=""
HPID=""
trap '{ kill -9 $PPID_ $DPID $HPID; wait; } 2>/dev/null; rm -rf "$TMP"' EXIT

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$DPID/status"; }
hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$DPID/status"; }
nfds() { ls "/proc/$DPID/fd" | wc -l; }
metric() { curl -s --noproxy '*' "$URL/metrics" | awk -v m="$1" '$1 == m {print $2}'; }

start_daemon "$DB"
rm -f "$TMP/proxy.port"
"$FAULTPROXY" --target "127.0.0.1:$DPORT" --port-file "$TMP/proxy.port" \
  --seed 11 --drop 20 --truncate 10 --delay-ms 5 &
PPID_=$!
wait_for "the proxy" 10 test -s "$TMP/proxy.port"
PURL="http://127.0.0.1:$(cat "$TMP/proxy.port")"

for c in $COMMUNES; do
  tok=$("$DANSYNCD" --db "$DB" enroll --commune "$c")
  "$DANSYNC" --db "$TMP/$c.db" init --commune "$c" --server "$PURL" --token "$tok" >/dev/null ||
    bad "init $c"
done
work() { # work COMMUNE COUNT
  local db="$TMP/$1.db" i id
  for ((i = 0; i < $2; i++)); do
    id=$("$DANSYNC" --db "$db" petition add --received-on 2024-05-01 --category water \
           --citizen "Người dân $i" --content "Kiến nghị $i của xã $1") || bad "work $1"
    "$DANSYNC" --db "$db" petition update "$id" --status in_progress >/dev/null || bad "update $1"
  done
}
sync_all() { # every device syncs concurrently, retrying through the faults
  local pids=() c i=0 failed=0
  for c in $COMMUNES; do
    "$DANSYNC" --db "$TMP/$c.db" sync --retries 100 --timeout 10 >/dev/null 2>>"$TMP/$c.err" &
    pids+=($!)
  done
  for c in $COMMUNES; do
    wait "${pids[$i]}" || { failed=$((failed + 1)); echo "sync of $c: $(tail -n 1 "$TMP/$c.err")" >&2; }
    i=$((i + 1))
  done
  check "$1: every device synced" 0 $failed
}

# Warm up, so the figures below compare a serving daemon with itself.
for c in $COMMUNES; do work "$c" 3; done
sync_all "warm-up"
# The dashboard's index opens its connection (two files) when the writer
# first idles: counted before and after alike once it has taken the
# warm-up in.
indexed() {
  [ "$(sqlite3 "$DB" "SELECT (SELECT count(*) FROM search_dirty) = 0 AND
    (SELECT CAST(v AS INTEGER) FROM meta WHERE k = 'search_hw') >= (SELECT max(id) FROM rec)")" = 1 ]
}
wait_for "the dashboard's index to take in the warm-up" 30 indexed
rss0=$(rss_kib)
fd0=$(nfds)

# The soak.
"$HOSTILE" "$DPORT" "$SECS" 127.0.0.2 4 >"$TMP/hostile.out" &
HPID=$!
end=$(($(date +%s) + SECS))
device_loop() { # until the end: a little work, then a sync
  local c=$1 rounds=0
  while [ "$(date +%s)" -lt "$end" ]; do
    work "$c" 2
    "$DANSYNC" --db "$TMP/$c.db" sync --retries 100 --timeout 10 >/dev/null 2>>"$TMP/$c.err" ||
      echo "$c" >>"$TMP/failed"
    rounds=$((rounds + 1))
  done
  echo "$rounds" >>"$TMP/rounds"
}
pids=()
for c in $COMMUNES; do device_loop "$c" & pids+=($!); done
for p in "${pids[@]}"; do wait "$p"; done
wait "$HPID"
HPID=""
check "the daemon survived the soak" 0 "$(kill -0 "$DPID" 2>/dev/null; echo $?)"
check "no device's sync failed during the soak" 0 "$(cat "$TMP/failed" 2>/dev/null | wc -l)"
attacks=$(cat "$TMP/hostile.out")
syncs=$(awk '{s += $1} END {print s}' "$TMP/rounds")
check "the hostile client ran" 1 "$([ "${attacks:-0}" -gt 0 ] && echo 1)"

# The attackers' connections reach their deadlines and close.
conns_back() { [ "$(metric dansync_connections)" -le 1 ]; }
wait_for "the attackers' connections to close" 30 conns_back
sync_all "after the soak"
sync_all "second round" # pulls what others pushed after each one's first
for c in $COMMUNES; do
  check "$c digest" "$("$DANSYNCD" --db "$DB" digest --commune "$c")" \
    "$("$DANSYNC" --db "$TMP/$c.db" digest --commune "$c")"
done
check "log intact" 0 "$("$DANSYNCD" --db "$DB" log verify >/dev/null; echo $?)"

# The devices' last connections close, each end in its own time.
wait_for "the devices' connections to close" 30 conns_back
rss1=$(rss_kib)
hwm=$(hwm_kib)
fd1=$(nfds)
echo "soak: ${SECS}s, $attacks attack rounds, $syncs device syncs;" \
  "daemon RSS ${rss0} -> ${rss1} KiB (peak ${hwm}), open fds ${fd0} -> ${fd1}," \
  "evicted $(metric dansync_connections_evicted_total), shed $(metric dansync_connections_shed_total)"
check "open fds back where they were" 1 "$([ "$fd1" -le $((fd0 + 2)) ] && echo 1)"
check "peak RSS within the 64 MiB budget" 1 "$([ "$hwm" -lt 65536 ] && echo 1)"
check "RSS back near where it was" 1 "$([ "$rss1" -le $((rss0 + 16384)) ] && echo 1)"
stop_daemon || bad "the daemon did not stop cleanly"
finish
