#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A power cut in the middle of a write, many times: dansync is SIGKILLed at
# random moments while it records changes. After every kill the store must
# pass PRAGMA integrity_check and the outbox invariants: every record has
# its ops and every op its record, and the op sequence has no gap.
# usage: it_powercut.sh DANSYNC ROUNDS DANSYNCD (dansyncd makes the token)
DANSYNC=$1
ROUNDS=${2:-60}
DANSYNCD=$3
. "$(dirname "$0")/it_lib.sh"
export DANSYNC_DB="$TMP/dev.db"
"$DANSYNCD" --db "$TMP/district.db" init >/dev/null || bad "dansyncd init"
"$DANSYNC" init --server http://127.0.0.1:9 \
  --token "$("$DANSYNCD" --db "$TMP/district.db" enroll --commune hoa-an)" >/dev/null
ID=$("$DANSYNC" petition add --received-on 2024-03-15 --category land --content "gốc")
killed=0
for i in $(seq 1 "$ROUNDS"); do
  # A kill after 1..15 ms: before, during or after the transaction.
  delay=$(printf '0.%03d' $((1 + RANDOM % 15)))
  if [ $((i % 2)) -eq 0 ]; then
    timeout -s KILL "$delay" "$DANSYNC" petition add --received-on 2024-03-15 \
      --category water --content "Kiến nghị $i" --citizen "Người $i" >/dev/null 2>&1
  else
    timeout -s KILL "$delay" "$DANSYNC" petition update "$ID" --response "Trả lời $i" >/dev/null 2>&1
  fi
  [ $? -eq 137 ] && killed=$((killed + 1))
  check "round $i: integrity" ok "$(sqlite3 "$DANSYNC_DB" 'PRAGMA integrity_check')"
  check "round $i: every record has an op" 0 \
    "$(sqlite3 "$DANSYNC_DB" 'SELECT count(*) FROM rec WHERE rid NOT IN (SELECT rid FROM outbox)')"
  check "round $i: every op has its record" 0 \
    "$(sqlite3 "$DANSYNC_DB" 'SELECT count(*) FROM outbox WHERE rid NOT IN (SELECT rid FROM rec)')"
  check "round $i: no gap in the ops" 1 \
    "$(sqlite3 "$DANSYNC_DB" 'SELECT coalesce(max(seq), 0) = count(*) FROM outbox')"
  check "round $i: one op per petition created" 1 \
    "$(sqlite3 "$DANSYNC_DB" "SELECT (SELECT count(*) FROM rec) = (SELECT count(*) FROM outbox WHERE instr(op, CAST('response' AS BLOB)) = 0)")"
done
check "the kills hit some commands" 1 "$([ "$killed" -gt 0 ] && echo 1)"
check_rc "the store still works" 0 "$DANSYNC" petition list
echo "killed $killed of $ROUNDS commands"
finish
