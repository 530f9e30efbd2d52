#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Pulls of many pages: three devices of one commune write 700 ops each, so
# a fresh fourth device pulls 2,100 ops in five pages at the default
# limit (the daemon's log shows 500, 500, 500, 500, 100), and a fifth in
# 300 pages of 7. Every device then holds exactly the
# district's records of its commune, compared record by record (each
# record's whole merge state), and exactly the ops the others wrote.
# usage: it_pull.sh DANSYNC DANSYNCD [OPS_PER_DEVICE]  (or $IT_PULL_OPS; the
# sanitized pass writes fewer: the pages of 500 are the plain pass's)
DANSYNC=$1
DANSYNCD=$2
N=${3:-${IT_PULL_OPS:-700}}
. "$(dirname "$0")/it_lib.sh"
DB="$TMP/district.db"
start_daemon "$DB"
dev() { # dev NAME COMMUNE
  "$DANSYNC" --db "$TMP/$1.db" init --commune "$2" --server "$URL" \
    --token "$("$DANSYNCD" --db "$DB" enroll --commune "$2")" >/dev/null || bad "init $1"
}
on() { local n=$1; shift; "$DANSYNC" --db "$TMP/$n.db" "$@"; }
work() { # work NAME COUNT: COUNT ops, creations and updates of them
  local i id=""
  for ((i = 0; i < $2; i++)); do
    if [ $((i % 4)) -eq 3 ]; then
      on "$1" petition update "$id" --response "Trả lời $i của $1" >/dev/null
    else
      id=$(on "$1" petition add --received-on 2024-05-01 --category water \
             --citizen "Người dân $i" --content "Kiến nghị $i của $1")
    fi || bad "work $1 op $i"
  done
}
for n in A B C E F; do dev $n hoa-an; done
dev D tan-long
work A "$N" & p1=$!
work B "$N" & p2=$!
work C "$N" & p3=$!
work D 30
wait $p1 $p2 $p3
TOTAL=$((3 * N))
# pages LIMIT: the page sizes a fresh device's pull of TOTAL ops must see.
pages() {
  local left=$TOTAL
  while [ $left -gt "$1" ]; do echo "$1"; left=$((left - $1)); done
  echo $left
}
# pulled_since LINE: the pulled= of each answer the daemon logged after LINE.
pulled_since() {
  tail -n +$(($1 + 1)) "$TMP/daemon.log" | grep -o 'accepted node=.* pulled=[0-9]*' | grep -o '[0-9]*$'
}

# Pushes, each pulling what the ones before pushed (B: two pages, C: three).
for n in A B C D; do check_rc "$n syncs" 0 on $n sync; done
check "ops at the district" $((TOTAL + 30)) "$(sqlite3 "$DB" 'SELECT coalesce(sum(n), 0) FROM oplog')"
check "B pulled A's ops" "$N" "$(ops_pulled "$TMP/B.db")"
check "C pulled A's and B's ops" $((2 * N)) "$(ops_pulled "$TMP/C.db")"

# A fresh device: every op of its commune, in pages of the default 500.
L0=$(wc -l <"$TMP/daemon.log")
check_rc "E syncs (default pages)" 0 on E sync
check "E's pages" "$(pages 500)" "$(pulled_since "$L0")"
check_grep "E pulled everything" "pulled $TOTAL," "$TMP/out"
check "E's inbox: each op once" "$TOTAL" "$(ops_pulled "$TMP/E.db")"
same_records "E = district (default pages)" "$TMP/E.db" "$DB" hoa-an
# Another, in pages of 7 ops: 300 pages, and a last one short.
L0=$(wc -l <"$TMP/daemon.log")
check_rc "F syncs (pages of 7)" 0 on F sync --pull-limit 7
check "F's pages" "$(pages 7)" "$(pulled_since "$L0")"
check_grep "F pulled everything" "pulled $TOTAL," "$TMP/out"
check "F's inbox: each op once" "$TOTAL" "$(ops_pulled "$TMP/F.db")"
same_records "F = district (pages of 7)" "$TMP/F.db" "$DB" hoa-an
# The writers catch up on each other, in pages of 13 and of 1000 (the
# most --pull-limit takes).
check_rc "A syncs (pages of 13)" 0 on A sync --pull-limit 13
check_rc "B syncs (pages of 1000)" 0 on B sync --pull-limit 1000
check_rc "C syncs (pages of 1)" 0 on C sync --pull-limit 1
for n in A B C; do
  check "$n's inbox: the others' ops" $((2 * N)) "$(ops_pulled "$TMP/$n.db")"
  same_records "$n = district" "$TMP/$n.db" "$DB" hoa-an
done
# Another commune's device pulls nothing of hoa-an's.
check_rc "D syncs" 0 on D sync --pull-limit 3
check "D pulled nothing of hoa-an" 0 "$(ops_pulled "$TMP/D.db")"
same_records "D = district" "$TMP/D.db" "$DB" tan-long
# A second round moves nothing: the cursors are at the end.
for n in A B C E F; do
  check_rc "$n syncs again" 0 on $n sync --pull-limit 5
  check_grep "$n: nothing more" "pulled 0," "$TMP/out"
done
for n in A B C E F; do
  check "$n digest = district" "$("$DANSYNCD" --db "$DB" digest --commune hoa-an)" \
    "$(on $n digest --commune hoa-an)"
done
check_rc "clean stop" 0 stop_daemon
finish
