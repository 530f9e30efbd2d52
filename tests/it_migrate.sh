#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Store formats migrate forward in place, never refused (DESIGN §14). A
# live device's rows (acked, rejected and queued ops) are put into a store
# of format 3 (tests/store_v3.sql, the layout e6b1c58 created); the current
# client opens it, keeps a 0600 copy of the old file beside it, upgrades it
# to the current layout (3 -> 4 -> 5), shows the same queue, and syncs that
# queue intact against the real daemon. A format-3 district store is
# upgraded by serve the same way. A device and a district that the code of
# format 4 wrote (tests/store_v4.sql) upgrade, sync, pull and replay. A
# store of a newer format is refused and left as it was.
# usage: it_migrate.sh DANSYNC DANSYNCD
DANSYNC=$1
DANSYNCD=$2
. "$(dirname "$0")/it_lib.sh"
V3SQL="$(dirname "$0")/store_v3.sql"
V4SQL="$(dirname "$0")/store_v4.sql"
DB="$TMP/district.db"
DEV="$TMP/dev.db"
on() { "$DANSYNC" --db "$DEV" "$@"; }
ver() { sqlite3 "$1" 'PRAGMA user_version'; }
# layout DB: every table, index and view with its SQL, in name order.
layout() { sqlite3 "$1" "SELECT type, name, sql FROM sqlite_schema ORDER BY name"; }
# u32 SQL BLOB BYTE: the SQL for the big-endian u32 at byte BYTE of BLOB.
u32() {
  local e=0 j
  for j in 1 2 3 4 5 6 7 8; do
    e="($e * 16 + instr('0123456789ABCDEF', substr(hex(substr($1, $2 + 1, 4)), $j, 1)) - 1)"
  done
  echo "$e"
}
# The current oplog (a row per request and commune) as rows of one op each,
# the format-3 and format-4 layout: pos, entry, node, commune, rid, off, len.
OPS_V3="WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < 4000)
  SELECT o.pos - o.n + 1 + k.i AS pos, o.entry AS entry, o.node AS node,
  o.commune AS commune, substr(o.rids, 16 * k.i + 1, 16) AS rid,
  $(u32 o.spans '8 * k.i') AS off, $(u32 o.spans '8 * k.i + 4') AS len
  FROM d.oplog o JOIN k ON k.i < o.n"
# to_v3 STORE TABLES...: rebuilds STORE in format 3 with the rows of TABLES.
to_v3() {
  local db=$1 t sql="ATTACH '$1' AS d;"
  shift
  rm -f "$TMP/old.db"
  sqlite3 "$TMP/old.db" <"$V3SQL" >/dev/null || bad "format-3 schema"
  for t in "$@"; do
    case $t in
    search_dirty) sql="$sql INSERT INTO main.$t SELECT id FROM d.$t;" ;;
    oplog) sql="$sql INSERT INTO main.oplog $OPS_V3;" ;;
    *) sql="$sql INSERT INTO main.$t SELECT * FROM d.$t;" ;;
    esac
  done
  sqlite3 "$TMP/old.db" "$sql INSERT INTO main.search(rowid, body) SELECT rowid, body FROM d.search;" ||
    bad "copying rows into format 3"
  chmod 600 "$TMP/old.db"
  rm -f "$db" "$db-wal" "$db-shm"
  mv "$TMP/old.db" "$db"
}
COMMON_TABLES="meta rec conflict search_dirty"
# same_petitions NAME: device and district hold the same petitions, each
# with its whole merge state (the device also holds the meeting the
# district refused, so whole digests differ).
same_petitions() {
  local q="SELECT hex(rid) || ' ' || hex(st) FROM rec WHERE ent = 1 ORDER BY rid"
  check "$1" "$(sqlite3 "$DB" "$q")" "$(sqlite3 "$DEV" "$q")"
}

start_daemon "$DB"
TOKEN=$("$DANSYNCD" --db "$DB" enroll --commune hoa-an)
check_rc "init" 0 on init --commune hoa-an --server "$URL" --token "$TOKEN"
check "a new device store has the current format" 5 "$(ver "$DEV")"
check "a new device store has no district table" 0 \
  "$(sqlite3 "$DEV" "SELECT count(*) FROM sqlite_schema WHERE name IN ('commune','token','node','synclog','oplog','quarantine')")"
check "a new district store has no device table" 0 \
  "$(sqlite3 "$DB" "SELECT count(*) FROM sqlite_schema WHERE name IN ('outbox','inbox')")"
layout "$DEV" >"$TMP/layout.new"

# Acked: three petitions. Rejected: a meeting the district refuses (its
# bytes edited as in it_client.sh). Queued: a new petition and an update.
for i in 1 2 3; do
  on petition add --received-on 2024-05-0$i --category water --content "Kiến nghị $i" >/dev/null || bad "add $i"
done
BAD=$(on meeting add --held-on 2024-05-04 --attendees 12)
GOOD=$(on petition add --received-on 2024-05-04 --category other --content "sau op hỏng")
sqlite3 "$DEV" "UPDATE outbox SET op = CAST(replace(CAST(op AS TEXT), 'meeting', 'meetinx') AS BLOB) WHERE rid = X'$BAD'"
check_rc "first sync (the district rejects one op: exit 4)" 4 on sync
NEW=$(on petition add --received-on 2024-05-05 --category land --content "Chưa gửi: đất đai")
check_rc "update queued" 0 on petition update "${GOOD:0:24}" --response "Đã trả lời khi chưa có mạng"
on status --json >"$TMP/status.before"
check_grep "two ops queued before" '"queued": 2' "$TMP/status.before"
check_grep "one op rejected before" '"error": "bad_op"' "$TMP/status.before"
DIGEST=$(on digest)
OUTBOX=$(sqlite3 "$DEV" 'SELECT seq, hex(op), error FROM outbox ORDER BY seq')
stop_if_failed

# The same device, in format 3.
to_v3 "$DEV" $COMMON_TABLES outbox inbox
check "the device store is format 3" 3 "$(ver "$DEV")"
check "format 3 has the district's tables" 6 \
  "$(sqlite3 "$DEV" "SELECT count(*) FROM sqlite_schema WHERE name IN ('commune','token','node','synclog','oplog','quarantine')")"
check_rc "status opens the format-3 store" 0 on status --json
check "status is as before the downgrade" "$(cat "$TMP/status.before")" "$(cat "$TMP/out")"
check "upgraded in place" 5 "$(ver "$DEV")"
check "the old file is kept beside it" 3 "$(ver "$DEV.v3")"
check "the copy is private" 600 "$(stat -c %a "$DEV.v3")"
check "the copy holds the old queue" "$OUTBOX" "$(sqlite3 "$DEV.v3" 'SELECT seq, hex(op), error FROM outbox ORDER BY seq')"
check "the upgraded store is private" 600 "$(stat -c %a "$DEV")"
check "the upgraded layout is a new device's" "$(cat "$TMP/layout.new")" "$(layout "$DEV")"
check "the outbox is intact" "$OUTBOX" "$(sqlite3 "$DEV" 'SELECT seq, hex(op), error FROM outbox ORDER BY seq')"
check "the records are intact" "$DIGEST" "$(on digest)"
check_rc "search works on the upgraded store" 0 on petition list --search "đất đai"
check_grep "search finds the queued petition" "${NEW: -8}" "$TMP/out"
check_rc "a second open" 0 on status
check "no second copy" "" "$(ls "$TMP" | grep -F 'dev.db.v4')"

# The queue syncs intact: the two queued ops reach the district, the
# rejected one stays rejected, nothing is sent twice.
check_rc "sync after the upgrade" 0 on sync
check_grep "two ops sent" "pushed 2 ops" "$TMP/out"
on status --json >"$TMP/status.after"
check_grep "nothing queued after" '"queued": 0' "$TMP/status.after"
check "the rejected op stays rejected" 1 "$(grep -o '"error": "bad_op"' "$TMP/status.after" | wc -l)"
check_rc "the district has the queued petition" 0 "$DANSYNCD" --db "$DB" petition show "${NEW:0:24}"
"$DANSYNCD" --db "$DB" petition show "${GOOD:0:24}" >"$TMP/out"
check_grep "the queued update reached the district" "Đã trả lời khi chưa có mạng" "$TMP/out"
check "each op merged once at the district" 6 "$(sqlite3 "$DB" 'SELECT sum(n) FROM oplog')"
same_petitions "device = district"

# A format-3 district store: serve upgrades it and goes on syncing.
check_rc "daemon stops" 0 stop_daemon
D_DIGEST=$("$DANSYNCD" --db "$DB" digest)
layout "$DB" >"$TMP/layout.district"
# ops STORE: the ops of STORE's oplog, one a line.
ops() { sqlite3 "$1" "ATTACH '$1' AS d; SELECT pos, entry, hex(node), commune, hex(rid), off, len FROM ($OPS_V3) ORDER BY pos"; }
ops_v4() { sqlite3 "$1" 'SELECT pos, entry, hex(node), commune, hex(rid), off, len FROM oplog ORDER BY pos'; }
OPS=$(ops "$DB")
check "the district's log holds six ops" 6 "$(echo "$OPS" | grep -c .)"
to_v3 "$DB" $COMMON_TABLES commune token node synclog oplog quarantine
check "the district store is format 3" 3 "$(ver "$DB")"
check "the format-3 oplog holds each op" "$OPS" "$(ops_v4 "$DB")"
start_daemon "$DB" # on the same port: the device's server address holds
check "serve upgraded the district store" 5 "$(ver "$DB")"
check "the district's old file is kept" 3 "$(ver "$DB.v3")"
check "the upgraded layout is a new district's" "$(cat "$TMP/layout.district")" "$(layout "$DB")"
check "the district's records are intact" "$D_DIGEST" "$("$DANSYNCD" --db "$DB" digest)"
check "the district's ops are where they were" "$OPS" "$(ops "$DB")"
check_rc "log verify passes after the upgrade" 0 "$DANSYNCD" --db "$DB" log verify
on petition add --received-on 2024-05-06 --category water --content "Sau nâng cấp" >/dev/null
check_rc "sync with the upgraded district" 0 on sync
same_petitions "device = upgraded district"
check_rc "daemon stops again" 0 stop_daemon

# --- Format 4: a device and its district as the code of format 4 wrote
# them (tests/store_v4.sql): A's queue of two, its rejected meeting, and a
# second device's answer to A's first petition that A has not pulled. ---
part() { awk -v p="-- @$1" '$0 == p { f = 1; next } /^-- @/ { f = 0 } f' "$V4SQL"; }
D4="$TMP/d4.db"
A4="$TMP/a4.db"
P1=01a2367ee6997508852be487ad1e519e
GOOD4=01a2367ee85576f6906495a8a348a43a
NEW4=01a2367eea317d8d970678001384b18d
part device | sqlite3 "$A4" >/dev/null || bad "loading the format-4 device"
part district | sqlite3 "$D4" >/dev/null || bad "loading the format-4 district"
chmod 600 "$A4" "$D4"
check "the fixture's device is format 4" 4 "$(ver "$A4")"
check "the fixture's district is format 4" 4 "$(ver "$D4")"
OUTBOX4=$(sqlite3 "$A4" 'SELECT seq, hex(op), error FROM outbox ORDER BY seq')
OPS4=$(ops_v4 "$D4")
check "the format-4 district logged five ops" 5 "$(echo "$OPS4" | grep -c .)"
DPORT=0 start_daemon "$D4"
check "serve upgraded the format-4 district" 5 "$(ver "$D4")"
check "the format-4 district's old file is kept" 4 "$(ver "$D4.v4")"
check "the upgraded layout is a new district's" "$(cat "$TMP/layout.district")" "$(layout "$D4")"
check "the format-4 district's ops are where they were" "$OPS4" "$(ops "$D4")"
check_rc "log verify passes on the upgraded format-4 district" 0 "$DANSYNCD" --db "$D4" log verify
check_rc "the format-4 device takes the test's server" 0 "$DANSYNC" --db "$A4" set-server "$URL"
check "the device is upgraded" 5 "$(ver "$A4")"
check "the device's old file is kept" 4 "$(ver "$A4.v4")"
check "the device's copy is private" 600 "$(stat -c %a "$A4.v4")"
check "the device's layout is a new device's" "$(cat "$TMP/layout.new")" "$(layout "$A4")"
check "the device's outbox is intact" "$OUTBOX4" "$(sqlite3 "$A4" 'SELECT seq, hex(op), error FROM outbox ORDER BY seq')"
"$DANSYNC" --db "$A4" status --json >"$TMP/status4"
check_grep "two ops queued" '"queued": 2' "$TMP/status4"
check_grep "one op rejected" '"error": "bad_op"' "$TMP/status4"
check_rc "the hamlet is searched after the upgrade" 0 "$DANSYNC" --db "$A4" petition list --search "tân long"
check_grep "search by hamlet finds the petition" "${P1: -8}" "$TMP/out"
check_rc "the format-4 device syncs" 0 "$DANSYNC" --db "$A4" sync
check_grep "its two queued ops sent" "2 ops" "$TMP/out"
"$DANSYNC" --db "$A4" petition show "${P1:0:24}" >"$TMP/out"
check_grep "the answer it had not pulled arrived" "Xã đã tiếp nhận" "$TMP/out"
"$DANSYNC" --db "$A4" status --json >"$TMP/status4"
check_grep "nothing queued after" '"queued": 0' "$TMP/status4"
check "the rejected op stays rejected" 1 "$(grep -o '"error": "bad_op"' "$TMP/status4" | wc -l)"
"$DANSYNCD" --db "$D4" petition show "${GOOD4:0:24}" >"$TMP/out"
check_grep "the queued update reached the district" "Đã trả lời khi chưa có mạng" "$TMP/out"
check_rc "the queued petition reached the district" 0 "$DANSYNCD" --db "$D4" petition show "${NEW4:0:24}"
check "seven ops at the district" 7 "$(sqlite3 "$D4" 'SELECT sum(n) FROM oplog')"
"$DANSYNCD" --db "$D4" log show --rid "$P1" >"$TMP/out"
check "the first petition's history: created, answered" 2 "$(grep -c "(made, officer's clock)" "$TMP/out")"
check_rc "the device pulls nothing more" 0 "$DANSYNC" --db "$A4" sync
check_grep "nothing more pulled" "pulled 0" "$TMP/out"
check "device = upgraded format-4 district" \
  "$(sqlite3 "$D4" "SELECT hex(rid) || ' ' || hex(st) FROM rec WHERE ent = 1 ORDER BY rid")" \
  "$(sqlite3 "$A4" "SELECT hex(rid) || ' ' || hex(st) FROM rec WHERE ent = 1 ORDER BY rid")"
check_rc "the daemon stops" 0 stop_daemon
check_rc "the upgraded log replays" 0 "$DANSYNCD" --db "$D4" log replay --from "$D4" --into "$TMP/r4.db"
check_grep "the replay's digest is the live store's" "matches the live store" "$TMP/out"

# A store of a newer format is refused with a sentence, and left alone.
cp "$DEV" "$TMP/newer.db"
chmod 600 "$TMP/newer.db"
sqlite3 "$TMP/newer.db" 'PRAGMA user_version = 9'
SUM=$(sha256sum <"$TMP/newer.db")
check_rc "a newer format is refused" 1 "$DANSYNC" --db "$TMP/newer.db" status
check_grep "the refusal names the format" "format version 9; this program reads formats 3 to 5" "$TMP/err"
check "the newer store is untouched" "$SUM" "$(sha256sum <"$TMP/newer.db")"
check "no copy of the newer store" "" "$(ls "$TMP" | grep -F 'newer.db.v')"
finish
