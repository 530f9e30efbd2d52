#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What a device trusts (DESIGN §11), against the real programs: set-server
# with the address only keeps the pin or CA file (--system-ca drops it); the token
# (a mistyped one, another commune, another district, a cancelled one, read
# from a file and from stdin, forgotten once enrolled, its pin used), the
# district's signature on every answer (stripped, an answer whose acked a
# proxy raised, an older signed answer handed back: exit 5, nothing
# applied), and a captured request replayed after the freshness window
# (409 stale, nothing stored); a man in the middle with its own
# certificate (exit 5 naming both pins, nothing sent but the handshake); a device enrolled after the backup the
# district is restored from re-registers from its enrolment receipt and
# refills it, and an altered receipt is refused; a log export with its tail
# cut, a node's key swapped, stored as text or cut short, its commune
# padded past 255 bytes, its node table behind a view or its head
# re-signed is found by log verify --from and refused by log replay
# --from; key rotate (a backup taken, the
# device follows the new key announced under the old one; an export from
# before it still verifies, but not one the old key signed over a log that
# went its own way, over a changed node table or over an empty log).
# usage: it_trust.sh DANSYNC DANSYNCD
DANSYNC=$1
DANSYNCD=$2
. "$(dirname "$0")/it_lib.sh"
DB="$TMP/district.db"
D() { "$DANSYNCD" --db "$DB" "$@"; }
on() { local n=$1; shift; "$DANSYNC" --db "$TMP/$n.db" "$@"; }
add() { on "$1" petition add --received-on 2024-05-0"$2" --category water --content "Kiến nghị $2" --force >/dev/null || bad "add $1 $2"; }
queued() { on "$1" status --json | grep -o '"queued": [0-9]*'; }
nodes() { sqlite3 "$DB" "SELECT count(*) FROM node"; }
meta() { sqlite3 "$TMP/$1.db" "SELECT count(*) FROM meta WHERE k = '$2'"; }
PROXY=$(dirname "$0")/answerproxy.py

D init >/dev/null || bad "district init"
check_rc "tls init" 0 "$DANSYNCD" tls init --out "$TMP/tls" --host 127.0.0.1
PIN=$("$DANSYNCD" tls pin --cert "$TMP/tls/district.crt")

# --- the token, checked at init ---
TOK=$(D enroll --commune hoa-an --tls-cert "$TMP/tls/district.crt")
check "a token starts dst1-" "dst1-" "${TOK:0:5}"
ID=${TOK:5:8}
D enroll list >"$TMP/list"
check_grep "enroll list shows it by public id" "^$ID  hoa-an" "$TMP/list"
check "enroll list never shows a token" 0 "$(grep -cF -- "${TOK:14:20}" "$TMP/list")"
c=${TOK:40:1}; [ "$c" = A ] && r=B || r=A
check_rc "a mistyped token is refused" 1 on bad init --server https://127.0.0.1:9 --token "${TOK:0:40}$r${TOK:41}"
check_grep "it says the token is not the one printed" "not the one 'dansyncd enroll' printed" "$TMP/err"
check "one sentence" 1 "$(wc -l <"$TMP/err")"
check_rc "a truncated token is refused" 1 on bad init --server https://127.0.0.1:9 --token "${TOK:0:60}"
check_rc "a token of another kind is refused" 1 on bad init --server https://127.0.0.1:9 --token 3f9a0c12ab
check_grep "it says how a token starts" "dst1-" "$TMP/err"
check_rc "a --commune that disagrees is refused" 1 on bad init --commune tan-long --server https://127.0.0.1:9 --token "$TOK"
check_grep "it names both communes" "tan-long disagrees.*hoa-an" "$TMP/err"
check "no store was made" "" "$(ls "$TMP/bad.db" 2>/dev/null)"

start_daemon "$DB" --tls-cert "$TMP/tls/district.crt" --tls-key "$TMP/tls/district.key"
HTTPS="https://127.0.0.1:$DPORT"
printf '%s\n' "$TOK" >"$TMP/tok.txt"
check_rc "init from --token-file, no --commune, no --pin" 0 on a init --server "$HTTPS" --token-file "$TMP/tok.txt"
check "the commune comes from the token" '"commune": "hoa-an"' "$(on a status --json | grep -o '"commune": "[a-z-]*"')"
check "the pin comes from the token" "$PIN" "$(sqlite3 "$TMP/a.db" "SELECT v FROM meta WHERE k = 'pin'")"
check "the token is kept until enrolment" 1 "$(meta a token)"
add a 1
check_rc "a syncs over TLS by the token's pin" 0 on a sync
check "enrolment confirmed: the token is forgotten" 0 "$(meta a token)"
check "the district's key is kept" 1 "$(meta a district_pk)"
check "a used token leaves enroll list" 0 "$(D enroll list | grep -c "^$ID")"
check_rc "init from standard input" 0 on b init --server "$HTTPS" --token - <<<"$(D enroll --commune tan-long --tls-cert "$TMP/tls/district.crt")"
check_rc "b syncs" 0 on b sync

# --- set-server with the address only keeps how the device trusts ---
check_rc "set-server with the URL only" 0 on a set-server "https://localhost:$DPORT"
check "set-server with the URL only keeps the pin" "$PIN" "$(sqlite3 "$TMP/a.db" "SELECT v FROM meta WHERE k = 'pin'")"
add a 7
check_rc "a still syncs by its pin after set-server with the URL only" 0 on a sync
check "a's op got through" '"queued": 0' "$(queued a)"
# A scheme typed in capitals is https all the same (libcurl reads it so).
check_rc "set-server with HTTPS:// in capitals" 0 on a set-server "HTTPS://localhost:$DPORT"
check "HTTPS:// in capitals keeps the pin too" "$PIN" "$(sqlite3 "$TMP/a.db" "SELECT v FROM meta WHERE k = 'pin'")"
add a 8
check_rc "a syncs by its pin after HTTPS:// in capitals" 0 on a sync
check_rc "set-server back to the address in lower case" 0 on a set-server "https://localhost:$DPORT"
check_rc "--system-ca with --pin is refused" 1 on a set-server "$HTTPS" --system-ca --pin "$PIN"
check_grep "it says they do not go together" "system-ca" "$TMP/err"
check "the refused set-server changed nothing" "https://localhost:$DPORT" "$(sqlite3 "$TMP/a.db" "SELECT v FROM meta WHERE k = 'server'")"
check_rc "set-server --system-ca drops the pin" 0 on a set-server "$HTTPS" --system-ca
check "no pin kept" "" "$(sqlite3 "$TMP/a.db" "SELECT v FROM meta WHERE k = 'pin'")"
add a 8
check_rc "a self-signed district by the system store: exit 5" 5 on a sync --retries 0
check_rc "set-server with the district's certificate as CA file" 0 on a set-server "$HTTPS" --cacert "$TMP/tls/district.crt"
check_rc "set-server with the URL only keeps the CA file" 0 on a set-server "$HTTPS"
check "the CA file kept" "$TMP/tls/district.crt" "$(sqlite3 "$TMP/a.db" "SELECT v FROM meta WHERE k = 'cacert'")"
check_rc "a syncs by the kept CA file" 0 on a sync
check_rc "set-server back to the pin" 0 on a set-server "$HTTPS" --pin "$PIN"
check "the CA file dropped for the pin" "" "$(sqlite3 "$TMP/a.db" "SELECT v FROM meta WHERE k = 'cacert'")"

# --- cancelled tokens and tokens of another district ---
TOKC=$(D enroll --commune hoa-an --tls-cert "$TMP/tls/district.crt")
check_rc "enroll cancel" 0 D enroll cancel "${TOKC:5:8}"
check "a cancelled token leaves enroll list" 0 "$(D enroll list | grep -c "^${TOKC:5:8}")"
check_rc "enroll cancel of an unknown id" 1 D enroll cancel 00000000
check_grep "it says there is none" "no unused enrolment token has id 00000000" "$TMP/err"
check_rc "enroll cancel of a bad id" 1 D enroll cancel xyz
on c init --server "$HTTPS" --token "$TOKC" >/dev/null || bad "init c"
add c 2
N0=$(nodes); DG=$(D digest)
check_rc "a cancelled token is refused" 4 on c sync
check_grep "it says the token is not valid" "enrolment token is not valid" "$TMP/err"
"$DANSYNCD" --db "$TMP/other.db" init >/dev/null || bad "other district"
on x init --server "$HTTPS" --pin "$PIN" --token "$("$DANSYNCD" --db "$TMP/other.db" enroll --commune hoa-an)" >/dev/null || bad "init x"
add x 3
check_rc "a token of another district is refused" 4 on x sync
check "no node was added" "$N0" "$(nodes)"
check "the district's records are unchanged" "$DG" "$(D digest)"
check "c still queues its op" '"queued": 1' "$(queued c)"
stop_daemon || bad "stop"

# --- a man in the middle: TLS terminated with another certificate ---
"$DANSYNCD" tls init --out "$TMP/mitm" --host 127.0.0.1 >/dev/null || bad "mitm cert"
MPIN=$("$DANSYNCD" tls pin --cert "$TMP/mitm/district.crt")
python3 "$(dirname "$0")/mitmtls.py" "$TMP/mitm/district.crt" "$TMP/mitm/district.key" "$TMP/m.port" 2>>"$TMP/proxy.log" &
MITM=$!
wait_for "the man in the middle" 10 test -s "$TMP/m.port"
on a set-server "https://127.0.0.1:$(cat "$TMP/m.port")" --pin "$PIN" >/dev/null || bad "set-server to the mitm"
add a 9
q=$(queued a); before=$(on a digest)
check_rc "the device refuses the man in the middle (exit 5)" 5 on a sync
check_grep "it names the pin expected" "$PIN" "$TMP/err"
check_grep "it names the pin presented" "$MPIN" "$TMP/err"
wait_for "the man in the middle's record" 10 test -s "$TMP/m.port.log"
check "the handshake reached the man in the middle" 1 "$(grep -c . "$TMP/m.port.log" | awk '{print ($1 >= 1)}')"
check "nothing but the handshake left the device" 0 "$(grep -c 'app_bytes=[1-9]' "$TMP/m.port.log")"
check "the ops stay queued" "$q" "$(queued a)"
check "nothing applied" "$before" "$(on a digest)"
kill "$MITM"; wait "$MITM" 2>/dev/null

# --- signed answers: a proxy on the path (plain HTTP on loopback) ---
start_daemon "$DB"
proxy() {
  rm -f "$TMP/p.port"
  python3 "$PROXY" "$1" "$DPORT" "$TMP/p.port" 2>>"$TMP/proxy.log" &
  PPID_=$!
  wait_for "the proxy" 10 test -s "$TMP/p.port"
  PURL="http://127.0.0.1:$(cat "$TMP/p.port")"
}
unproxy() { kill "$PPID_"; wait "$PPID_" 2>/dev/null; }
on s init --server "$URL" --token "$(D enroll --commune phung-hiep)" >/dev/null || bad "init s"
check_rc "s enrols directly" 0 on s sync
for mode in strip acked old; do
  proxy $mode
  on s set-server "$PURL" >/dev/null || bad "set-server $mode"
  [ $mode = old ] && { add s 4; on s sync >/dev/null 2>&1 || bad "old: the first answer is genuine"; }
  add s 5
  before=$(on s digest); q=$(queued s)
  acked=$(sqlite3 "$TMP/s.db" "SELECT v FROM meta WHERE k = 'acked'")
  check_rc "$mode: the answer is refused (exit 5)" 5 on s sync
  check_grep "$mode: it says the answer is not the district's" "signature" "$TMP/err"
  check "$mode: nothing applied" "$before" "$(on s digest)"
  check "$mode: the ops stay queued" "$q" "$(queued s)"
  check "$mode: acked unchanged" "$acked" "$(sqlite3 "$TMP/s.db" "SELECT v FROM meta WHERE k = 'acked'")"
  unproxy
  on s set-server "$URL" >/dev/null || bad "set-server back"
  check_rc "$mode: straight to the district it syncs" 0 on s sync
  check "$mode: digests meet" "$(D digest --commune phung-hiep)" "$(on s digest --commune phung-hiep)"
done

# --- fresh requests: a captured request replayed after the window ---
proxy capture
on s set-server "$PURL" >/dev/null || bad "set-server capture"
add s 6
on s sync --retries 0 >/dev/null 2>&1
unproxy
wait_for "the captured request" 5 test -s "$TMP/p.port.body"
hdrs=(); while IFS= read -r h; do hdrs+=(-H "$h"); done <"$TMP/p.port.hdr"
DG=$(D digest); LS=$(sqlite3 "$DB" "SELECT last_sync_ms FROM node WHERE commune = 'phung-hiep'")
# The replay comes two hours later by the district's clock, past the
# hour's window (every sync above had the whole hour, however slow the
# machine).
stop_daemon || bad "stop"
DANSYNC_FAKE_NOW_MS=+7200000 start_daemon "$DB"
code=$(curl -s -o "$TMP/replay" -w '%{http_code}' --noproxy '*' -H 'Content-Type: application/msgpack' \
  "${hdrs[@]}" --data-binary @"$TMP/p.port.body" "$URL/v1/sync")
check "a replayed request after the window gets 409" 409 "$code"
check "its error is stale" 1 "$(grep -c stale "$TMP/replay")"
check "the replay stored nothing" "$DG" "$(D digest)"
check "the replay did not move last_sync" "$LS" "$(sqlite3 "$DB" "SELECT last_sync_ms FROM node WHERE commune = 'phung-hiep'")"
stop_daemon || bad "stop"
start_daemon "$DB"
on s set-server "$URL" >/dev/null || bad "set-server back"
check_rc "the device, stamping anew, syncs" 0 on s sync
check "digests meet" "$(D digest --commune phung-hiep)" "$(on s digest --commune phung-hiep)"

# --- enrolment receipts: the district restored from a backup older than a
# device's enrolment ---
check_rc "backup" 0 D backup --out "$TMP/backup.db"
for n in r:tan-long f:long-thanh; do
  c=${n#*:} n=${n%:*}
  on $n init --server "$URL" --token "$(D enroll --commune $c)" >/dev/null || bad "init $n"
  add $n 7
  check_rc "$n enrols after the backup" 0 on $n sync
  check "$n keeps its receipt" 1 "$(meta $n receipt)"
done
add r 8
check_rc "r syncs again" 0 on r sync
# f's receipt altered to claim another commune.
sqlite3 "$TMP/f.db" "UPDATE meta SET v = 'hoa-an' || substr(v, instr(v, ' ')) WHERE k = 'receipt'"
RN=$(sqlite3 "$TMP/r.db" "SELECT hex(v) FROM meta WHERE k = 'node'")
FN=$(sqlite3 "$TMP/f.db" "SELECT hex(v) FROM meta WHERE k = 'node'")
known() { sqlite3 "$DB" "SELECT count(*) FROM node WHERE hex(node) = '$1'"; }
stop_daemon || bad "stop for the restore"
cp "$TMP/backup.db" "$DB"
rm -f "$DB-wal" "$DB-shm"
check "the restored district does not know r" 0 "$(known "$RN")"
start_daemon "$DB"
add r 9
check_rc "r re-registers from its receipt and refills the district" 0 on r sync
check "the district knows r again" 1 "$(known "$RN")"
check "r's commune is the receipt's" tan-long "$(sqlite3 "$DB" "SELECT commune FROM node WHERE hex(node) = '$RN'")"
check "r and the district meet" "$(D digest --commune tan-long)" "$(on r digest --commune tan-long)"
check "r's three ops are at the district" 3 "$(sqlite3 "$DB" "SELECT acked FROM node WHERE hex(node) = '$RN'")"
RL=$(echo "${RN:0:16}" | tr 'A-F' 'a-f')
check_grep "the district logged the re-registration" "re-registered node=$RL" "$TMP/daemon.log"
DG=$(D digest)
check_rc "an altered receipt is refused" 4 on f sync
check "f is not registered" 0 "$(known "$FN")"
check "nothing of f's was stored" "$DG" "$(D digest)"
stop_daemon || bad "stop"

# --- a log export carries the district's signed head ---
check_rc "log export" 0 D log export --out "$TMP/logx.db"
check_rc "log verify --from the export" 0 D log verify --from "$TMP/logx.db"
check_grep "it is intact" "intact" "$TMP/out"
check_rc "replay from the export" 0 D log replay --from "$TMP/logx.db" --into "$TMP/ok.db"
check "the replay's digest is the district's" "$(D digest)" "$(D --db "$TMP/ok.db" digest)"
tamper() { # tamper NAME SQL: a copy of the export changed by SQL
  cp "$TMP/logx.db" "$TMP/$1.db" && chmod 600 "$TMP/$1.db" && sqlite3 "$TMP/$1.db" "$2"
}
tamper cut "DELETE FROM synclog WHERE seq = (SELECT max(seq) FROM synclog)"
tamper swap "UPDATE node SET pubkey = randomblob(32) WHERE node = (SELECT node FROM synclog ORDER BY seq DESC LIMIT 1)"
tamper resign "UPDATE info SET v = randomblob(64) WHERE k = 'head_sig'"
# 256 more bytes: a length byte that wrapped would hash the old name.
tamper pad "UPDATE node SET commune = commune || hex(zeroblob(128)) WHERE node = (SELECT node FROM synclog ORDER BY seq DESC LIMIT 1)"
# A key stored as text, a key one byte short: rows the signed layout has no
# room for. A view can show the check one table and the replay another.
tamper typed "UPDATE node SET pubkey = CAST(pubkey AS TEXT) WHERE node = (SELECT node FROM synclog ORDER BY seq DESC LIMIT 1)"
tamper short "UPDATE node SET pubkey = substr(pubkey, 1, 31) WHERE node = (SELECT max(node) FROM node)"
tamper view "ALTER TABLE node RENAME TO node_t; CREATE VIEW node AS SELECT * FROM node_t"
# An index the check's ordered scan would read instead of the table; left
# stale, it could show the check rows the table no longer holds.
tamper index "CREATE INDEX ni ON node(node, pubkey, commune)"
for t in cut:"its tail was cut" swap:"a node's key or commune differs" resign:"not signed by this district key" pad:"a node's key or commune differs" typed:"a node's key or commune differs" short:"a node's key or commune differs" view:"has views, triggers or indexes" index:"has views, triggers or indexes"; do
  n=${t%%:*} why=${t#*:}
  check_rc "log verify finds the $n export" 1 D log verify --from "$TMP/$n.db"
  check_grep "$n: it says why" "$why" "$TMP/err"
  check "$n: one sentence" 1 "$(wc -l <"$TMP/err")"
done
for n in cut swap pad typed view index; do
  check_rc "replay refuses the $n export" 1 D log replay --from "$TMP/$n.db" --into "$TMP/r-$n.db"
  check "$n: no store was built" "" "$(ls "$TMP/r-$n.db" 2>/dev/null)"
done

# --- key rotate: a new district key, announced under the old one ---
# The store as it was, old key and all, as a thief of it would hold it.
check_rc "a backup before the rotation" 0 D backup --out "$TMP/old.db"
cp "$TMP/old.db" "$TMP/thief.db" && chmod 600 "$TMP/thief.db"
# A district with an empty log, its export made before a rotation.
check_rc "an empty district" 0 D --db "$TMP/e.db" init
check_rc "exports its empty log" 0 D --db "$TMP/e.db" log export --out "$TMP/ex.db"
check_rc "and rotates its key" 0 D --db "$TMP/e.db" key rotate --out "$TMP/e-rot.db"
check_rc "an empty export under the former key is refused" 1 D --db "$TMP/e.db" log verify --from "$TMP/ex.db"
check_grep "nothing to vouch for" "holds no entry the district's log could vouch for" "$TMP/err"
dpk() { sqlite3 "$DB" "SELECT hex(substr(v, 33)) FROM meta WHERE k = 'district_sk'"; }
spk() { sqlite3 "$TMP/s.db" "SELECT hex(v) FROM meta WHERE k = 'district_pk'"; }
OLD=$(dpk)
check "s trusts the district's key" "$OLD" "$(spk)"
check_rc "key rotate needs --out" 2 D key rotate
check_rc "key rotate" 0 D key rotate --out "$TMP/rotated.db"
check_grep "it took a backup" "Backed up" "$TMP/out"
check "the backup is private" 600 "$(stat -c %a "$TMP/rotated.db")"
check "the key changed" 1 "$([ "$(dpk)" != "$OLD" ] && echo 1)"
check "the old district node is revoked" 1 "$(sqlite3 "$DB" "SELECT count(*) FROM node WHERE commune = 'district' AND revoked_ms IS NOT NULL")"
check_rc "the log still verifies" 0 D log verify
check_rc "an export from before the rotation verifies" 0 D log verify --from "$TMP/logx.db"
check_grep "under a revoked key, in the district's log" "signed by a revoked key of the district" "$TMP/out"
# The old key signs an export whose log goes on where the district's did not.
PO=$(D --db "$TMP/old.db" petition list --json | grep -o '"id": "[0-9a-f]*"' | head -1 | cut -d'"' -f4)
check_rc "the old store takes an edit" 0 D --db "$TMP/old.db" petition update "$PO" --response "không phải của huyện"
check_rc "and exports it under the old key" 0 D --db "$TMP/old.db" log export --out "$TMP/fork.db"
check_rc "log verify refuses the old key's fork" 1 D log verify --from "$TMP/fork.db"
check_grep "it says why" "does not hold its entry" "$TMP/err"
check "one sentence" 1 "$(wc -l <"$TMP/err")"
# The same log, its node table changed: a device moved to another commune.
sqlite3 "$TMP/thief.db" "UPDATE node SET commune = 'tan-long' WHERE commune = 'phung-hiep'"
check_rc "the old key exports a changed node table" 0 D --db "$TMP/thief.db" log export --out "$TMP/nodes.db"
check_rc "log verify refuses it" 1 D log verify --from "$TMP/nodes.db"
check_grep "naming the node" "has no node [0-9a-f]* with that key and commune" "$TMP/err"
start_daemon "$DB"
add s 8
check_rc "s syncs after the rotation" 0 on s sync
check_grep "s says the key was rotated" "key was rotated" "$TMP/err"
check "s now trusts the new key" "$(dpk)" "$(spk)"
add s 9
check_rc "s syncs again with the new key" 0 on s sync
check "s and the district meet" "$(D digest --commune phung-hiep)" "$(on s digest --commune phung-hiep)"
stop_daemon || bad "stop"
# The district's log has gone on past the fork's entry, with other entries.
check_rc "the fork is refused against a log that went on" 1 D log verify --from "$TMP/fork.db"
check_grep "its entry differs" "does not hold its entry" "$TMP/err"
check_rc "the export from before the rotation still verifies" 0 D log verify --from "$TMP/logx.db"
finish
