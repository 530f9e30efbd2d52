#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# log verify against every column of a sync log entry: each change, made in
# a copy of a district built through real syncs, is named by the entry and
# the reason (received time, hash, node, signature, body, a missing entry,
# an entry from a node the district does not know, the chain rewritten).
# usage: it_tamper.sh DANSYNC DANSYNCD
DANSYNC=$1
DANSYNCD=$2
. "$(dirname "$0")/it_lib.sh"
DB="$TMP/district.db"
start_daemon "$DB"
dev() {
  "$DANSYNC" --db "$TMP/$1.db" init --commune "$2" --server "$URL" \
    --token "$("$DANSYNCD" --db "$DB" enroll --commune "$2")" >/dev/null || bad "init $1"
}
on() { local n=$1; shift; "$DANSYNC" --db "$TMP/$n.db" "$@"; }
dev A hoa-an
dev B tan-long
# Entries 1-3 from A, 4-6 from B, 7 from A: one batch each.
for n in A A A B B B A; do
  on $n petition add --received-on 2024-05-01 --category water --content "Kiến nghị của $n" --force >/dev/null
  check_rc "$n syncs" 0 on $n sync
done
check_rc "clean stop" 0 stop_daemon
check "seven entries" 7 "$(sqlite3 "$DB" 'SELECT count(*) FROM synclog')"
check_rc "the untouched log verifies" 0 "$DANSYNCD" --db "$DB" log verify
check_grep "intact" "intact: 7 entries" "$TMP/out"

# tamper NAME SQL ENTRY REASON: SQL on a copy; verify exits 1 naming ENTRY.
tamper() {
  cp "$DB" "$TMP/t.db"
  sqlite3 "$TMP/t.db" "$2" || bad "$1: the SQL failed"
  check_rc "$1: verify fails" 1 "$DANSYNCD" --db "$TMP/t.db" log verify
  check_grep "$1: names entry $3" "entry $3 $4" "$TMP/err"
}
tamper "received time" "UPDATE synclog SET received_ms = received_ms + 1 WHERE seq = 3" 3 "does not match its hash"
tamper "hash" "UPDATE synclog SET hash = zeroblob(32) WHERE seq = 5" 5 "does not match its hash"
tamper "hash of the next entry's chain" \
  "UPDATE synclog SET hash = (SELECT hash FROM synclog WHERE seq = 2) WHERE seq = 3" 3 "does not match its hash"
tamper "node (another enrolled one)" \
  "UPDATE synclog SET node = (SELECT node FROM synclog WHERE seq = 4) WHERE seq = 2" 2 "does not match its hash"
tamper "signature" "UPDATE synclog SET sig = (SELECT sig FROM synclog WHERE seq = 1) WHERE seq = 2" 2 "does not match its hash"
tamper "body" "UPDATE synclog SET body = CAST(substr(body, 1, 30) || X'00' || substr(body, 32) AS BLOB) WHERE seq = 6" 6 "does not match its hash"
tamper "a missing entry" "DELETE FROM synclog WHERE seq = 4" 4 "is missing"
tamper "entries swapped" "UPDATE synclog SET seq = -seq WHERE seq IN (5, 6); UPDATE synclog SET seq = 11 + seq WHERE seq < 0" 5 "does not match its hash"
# B's node unknown to the district: its first entry is named, with the node.
BNODE=$(sqlite3 "$DB" "SELECT lower(hex(node)) FROM synclog WHERE seq = 4")
tamper "unknown node" "DELETE FROM node WHERE node = (SELECT node FROM synclog WHERE seq = 4)" 4 "is from unknown node $BNODE"
# B's key replaced by A's: the chain holds, only the signature can tell.
tamper "another node's key" \
  "UPDATE node SET pubkey = (SELECT pubkey FROM node n JOIN synclog l ON l.node = n.node WHERE l.seq = 1) WHERE node = (SELECT node FROM synclog WHERE seq = 4)" \
  4 "has a signature that does not verify"
finish
