#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The district store restored from an older backup (`dansyncd backup`,
# taken beside the running serve) while devices hold queued ops: a device
# whose acked is now ahead of the district's gets one 409 gap and resends
# from the district's acked + 1 (counted in the daemon's log: one gap, a
# bounded number of requests); a device whose
# cursor position was re-used by new ops after the restore (same position,
# another hash) pulls again from 0. Every device ends with exactly the
# district's records, compared record by record, and nothing is lost.
# usage: it_restore.sh DANSYNC DANSYNCD
DANSYNC=$1
DANSYNCD=$2
. "$(dirname "$0")/it_lib.sh"
DB="$TMP/district.db"
start_daemon "$DB"
dev() { # dev NAME COMMUNE
  "$DANSYNC" --db "$TMP/$1.db" init --commune "$2" --server "$URL" \
    --token "$("$DANSYNCD" --db "$DB" enroll --commune "$2")" >/dev/null || bad "init $1"
}
# Every command is time-bounded: a client that loops fails the test fast.
on() { local n=$1; shift; timeout 20 "$DANSYNC" --db "$TMP/$n.db" "$@"; }
work() { # work NAME COUNT
  local i
  for ((i = 0; i < $2; i++)); do
    on "$1" petition add --received-on 2024-05-01 --category land \
      --content "Kiến nghị $i của $1 ($3)" >/dev/null || bad "work $1 $i"
  done
}
sync_all() { local n; for n in A B C; do check_rc "$1: $n syncs" 0 on $n sync --batch 4; done; }
dev A hoa-an
dev B hoa-an
dev C tan-long

# Before the backup: 10 ops each, everyone in step.
for n in A B C; do work $n 10 before; done
sync_all "before"
sync_all "before, again"
# The backup as README says to take it: `dansyncd backup` beside the
# running serve.
check_rc "backup while serve runs" 0 "$DANSYNCD" --db "$DB" backup --out "$TMP/backup.db"
check "the backup holds what serve holds" "$("$DANSYNCD" --db "$DB" digest)" \
  "$("$DANSYNCD" --db "$TMP/backup.db" digest)"
# After the backup: 6 ops each, synced, so B's cursor lies past the backup.
for n in A B C; do work $n 6 after; done
sync_all "after"
sync_all "after, again"
B_CURSOR=$(sqlite3 "$TMP/B.db" "SELECT v FROM meta WHERE k = 'cursor'")
FULL=$(sqlite3 "$DB" 'SELECT coalesce(sum(n), 0) FROM oplog')
check "B's cursor is the end of the log" "$FULL" "$B_CURSOR"

# The district is restored; A meanwhile queued 20 more ops.
check_rc "stop for the restore" 0 stop_daemon
cp "$TMP/backup.db" "$DB"
rm -f "$DB-wal" "$DB-shm"
check "the restored district lost 18 ops" $((FULL - 18)) "$(sqlite3 "$DB" 'SELECT coalesce(sum(n), 0) FROM oplog')"
work A 20 queued
start_daemon "$DB"

# A's first batch starts past the district's acked: one gap, then a resend
# of its 6 lost ops and the 20 queued ones in batches of 4: 7 more requests.
L0=$(wc -l <"$TMP/daemon.log")
check_rc "A syncs after the restore" 0 timeout 15 "$DANSYNC" --db "$TMP/A.db" sync --batch 4 --retries 0
tail -n +$((L0 + 1)) "$TMP/daemon.log" >"$TMP/a.log"
stop_if_failed
# A held the district's signed head at position FULL; the answers show a
# log without it (DESIGN §11): A says so, and reports it in its next
# request, which the district records.
check_grep "A says the district lost its head" "no longer holds position $FULL that it signed" "$TMP/err"
A_NODE=$(sqlite3 "$TMP/A.db" "SELECT lower(hex(v)) FROM meta WHERE k = 'node'")
check "the district logged A's report, once" 1 "$(grep -c "lost_head node=${A_NODE:0:16} cursor=$FULL cursor_hash=" "$TMP/a.log")"
check "A's report was delivered" 0 "$(sqlite3 "$TMP/A.db" "SELECT count(*) FROM meta WHERE k = 'lost_head' AND length(v) = 40")"
check_rc "the report is in the district's sync log" 0 python3 - "$DB" "$FULL" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
# A request body holding the map key "lost_head" followed by its cursor.
bodies = [bytes(r[0]) for r in db.execute("SELECT body FROM synclog")]
sys.exit(0 if any(b"\xa9lost_head" in b for b in bodies) else 1)
PY
check "A got one gap answer" 1 "$(grep -c 'status=409 error=gap' "$TMP/a.log")"
check "A's requests: the gap and 7 batches" 8 "$(grep -c 'sync: accepted\|sync: refused\|accepted node=\|refused node=' "$TMP/a.log")"
check "A's ops are all at the district" 36 "$(sqlite3 "$DB" "SELECT acked FROM node WHERE commune = 'hoa-an' ORDER BY acked DESC LIMIT 1")"
# The log now holds new ops at B's cursor position: another hash there.
check "B's cursor position was re-used" 1 \
  "$(test "$(sqlite3 "$DB" 'SELECT coalesce(sum(n), 0) FROM oplog')" -ge "$B_CURSOR" && echo 1)"
# B pulls from 0 again (A's 20 new ops included) and resends its 6 lost ones.
check_rc "B syncs after the restore" 0 on B sync --batch 4
# B's head position holds another entry now: the district answers B's pull
# from 0 and says so; B reports the head it lost.
check_grep "B says the district lost its head" "no longer holds position $B_CURSOR" "$TMP/err"
B_NODE=$(sqlite3 "$TMP/B.db" "SELECT lower(hex(v)) FROM meta WHERE k = 'node'")
check "the district logged B's report" 1 "$(grep -c "lost_head node=${B_NODE:0:16} cursor=$B_CURSOR " "$TMP/daemon.log")"
check_rc "C syncs after the restore" 0 on C sync --batch 4
# C is alone in its commune and pulls nothing back: the district's answer
# itself says it started the pull over (head_lost, signed).
check_grep "C says the district lost its head" "no longer holds position" "$TMP/err"
sync_all "after the restore"
sync_all "after the restore, again"
check "every op is at the district once" $((FULL + 20)) "$(sqlite3 "$DB" 'SELECT coalesce(sum(n), 0) FROM oplog')"
for n in A B; do same_records "$n = district" "$TMP/$n.db" "$DB" hoa-an; done
same_records "C = district" "$TMP/C.db" "$DB" tan-long
check "B holds every hoa-an record" 52 "$(sqlite3 "$TMP/B.db" "SELECT count(*) FROM rec WHERE commune = 'hoa-an'")"
for n in A B C; do
  check "$n queue empty" '"queued": 0' "$(on $n status --json | grep -o '"queued": [0-9]*')"
done
check_rc "log verify" 0 "$DANSYNCD" --db "$DB" log verify
check_rc "clean stop" 0 stop_daemon
finish
