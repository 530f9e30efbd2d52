#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Store formats migrate forward in place, never refused (DESIGN §14). A
# live device's rows (acked, rejected and queued ops) are put into a store
# of format 3 (tests/store_v3.sql, the layout e6b1c58 created); the current
# client opens it, keeps a 0600 copy of the old file beside it, upgrades it
# to the current layout, shows the same queue, and syncs that queue intact
# against the real daemon. A format-3 district store is upgraded by serve
# the same way; a store of a newer format is refused and left as it was.
# usage: it_migrate.sh DANSYNC DANSYNCD
DANSYNC=$1
DANSYNCD=$2
. "$(dirname "$0")/it_lib.sh"
V3SQL="$(dirname "$0")/store_v3.sql"
DB="$TMP/district.db"
DEV="$TMP/dev.db"
on() { "$DANSYNC" --db "$DEV" "$@"; }
ver() { sqlite3 "$1" 'PRAGMA user_version'; }
# layout DB: every table, index and view with its SQL, in name order.
layout() { sqlite3 "$1" "SELECT type, name, sql FROM sqlite_schema ORDER BY name"; }
# to_v3 STORE TABLES...: rebuilds STORE in format 3 with the rows of TABLES.
to_v3() {
  local db=$1 t sql="ATTACH '$1' AS d;"
  shift
  rm -f "$TMP/old.db"
  sqlite3 "$TMP/old.db" <"$V3SQL" >/dev/null || bad "format-3 schema"
  for t in "$@"; do sql="$sql INSERT INTO main.$t SELECT * FROM d.$t;"; done
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
check "a new device store has the current format" 4 "$(ver "$DEV")"
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
check "upgraded in place" 4 "$(ver "$DEV")"
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
check "each op merged once at the district" 6 "$(sqlite3 "$DB" 'SELECT count(*) FROM oplog')"
same_petitions "device = district"

# A format-3 district store: serve upgrades it and goes on syncing.
check_rc "daemon stops" 0 stop_daemon
D_DIGEST=$("$DANSYNCD" --db "$DB" digest)
layout "$DB" >"$TMP/layout.district"
to_v3 "$DB" $COMMON_TABLES commune token node synclog oplog quarantine
check "the district store is format 3" 3 "$(ver "$DB")"
start_daemon "$DB" # on the same port: the device's server address holds
check "serve upgraded the district store" 4 "$(ver "$DB")"
check "the district's old file is kept" 3 "$(ver "$DB.v3")"
check "the upgraded layout is a new district's" "$(cat "$TMP/layout.district")" "$(layout "$DB")"
check "the district's records are intact" "$D_DIGEST" "$("$DANSYNCD" --db "$DB" digest)"
check_rc "log verify passes after the upgrade" 0 "$DANSYNCD" --db "$DB" log verify
on petition add --received-on 2024-05-06 --category water --content "Sau nâng cấp" >/dev/null
check_rc "sync with the upgraded district" 0 on sync
same_petitions "device = upgraded district"
check_rc "daemon stops again" 0 stop_daemon

# A store of a newer format is refused with a sentence, and left alone.
cp "$DEV" "$TMP/newer.db"
chmod 600 "$TMP/newer.db"
sqlite3 "$TMP/newer.db" 'PRAGMA user_version = 9'
SUM=$(sha256sum <"$TMP/newer.db")
check_rc "a newer format is refused" 1 "$DANSYNC" --db "$TMP/newer.db" status
check_grep "the refusal names the format" "format version 9; this program reads formats 3 to 4" "$TMP/err"
check "the newer store is untouched" "$SUM" "$(sha256sum <"$TMP/newer.db")"
check "no copy of the newer store" "" "$(ls "$TMP" | grep -F 'newer.db.v')"
finish
