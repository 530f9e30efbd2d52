#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Sneakernet bundles (DESIGN §12) against the real programs: a commune with
# no network (device a) carries its work to the district by USB stick while
# a second device of the same commune (b) syncs over the network and the
# district edits the same petitions; after every export -> import -> answer
# -> import round a's records equal the district's, merge state and
# conflicts included. Bundles imported twice and out of order, a district
# restored from a backup between rounds, and every kind of bad bundle on
# both sides: refused with one sentence naming the check, nothing changed.
# usage: it_bundle.sh DANSYNC DANSYNCD FILLOPS
DANSYNC=$1
DANSYNCD=$2
FILLOPS=$3
. "$(dirname "$0")/it_lib.sh"
DB="$TMP/district.db"
D() { "$DANSYNCD" --db "$DB" "$@"; }
on() { local n=$1; shift; "$DANSYNC" --db "$TMP/$n.db" "$@"; }
add() { on "$1" petition add --received-on 2024-05-0$(($2 % 9 + 1)) --category water --citizen "Dân $1" --content "Kiến nghị $1 $2" >/dev/null || bad "add $1 $2"; }
# The device's state: digest, queue and acked, pulled ops.
dstate() { echo "$(on "$1" digest) $(on "$1" status --json | grep -o '"queued": [0-9]*\|"acked": [0-9]*' | tr '\n' ' ') $(ops_pulled "$TMP/$1.db")"; }
# The district's: digest, sync log, nodes, quarantine.
zstate() { echo "$(D digest) $(sqlite3 "$DB" 'SELECT count(*) FROM synclog; SELECT count(*) FROM node; SELECT count(*) FROM quarantine' | tr '\n' ' ')"; }
# flip FILE OFFSET: one byte changed in place.
flip() { python3 -c 'import sys; p=sys.argv[1]; o=int(sys.argv[2]); b=bytearray(open(p,"rb").read()); b[o]^=1; open(p,"wb").write(b)' "$1" "$2"; }
# refused_at_district NAME FILE PATTERN [RC]: refused, one sentence, nothing stored, no answer.
refused_at_district() {
  local before
  before=$(zstate)
  rm -f "$TMP/ans.x"
  check_rc "district: $1 refused" "${4:-1}" D bundle import "$2" --answer "$TMP/ans.x"
  check_grep "district: $1 names the check" "$3" "$TMP/err"
  check "district: $1 is one sentence" 1 "$(wc -l <"$TMP/err")"
  check "district: $1 changes nothing" "$before" "$(zstate)"
  check "district: $1 writes no answer" no "$([ -e "$TMP/ans.x" ] && echo yes || echo no)"
}
# refused_on_device NAME DEVICE FILE PATTERN [RC]
refused_on_device() {
  local before
  before=$(dstate "$2")
  check_rc "device: $1 refused" "${5:-1}" on "$2" bundle import "$3"
  check_grep "device: $1 names the check" "$4" "$TMP/err"
  check "device: $1 is one sentence" 1 "$(wc -l <"$TMP/err")"
  check "device: $1 changes nothing" "$before" "$(dstate "$2")"
}
# round: a exports, the district imports, a imports the answer; then a's
# records equal the district's.
N=0
round() {
  N=$((N + 1))
  check_rc "round $N: export" 0 on a bundle export --out "$TMP/e$N"
  check_grep "round $N: status shows it unanswered" "not yet answered" <(on a status)
  check_rc "round $N: district import" 0 D bundle import "$TMP/e$N" --answer "$TMP/r$N"
  check_rc "round $N: device import" 0 on a bundle import "$TMP/r$N"
  check "round $N: a's digest is the district's" "$(D digest --commune hoa-an)" "$(on a digest)"
  same_records "round $N: a's records are the district's" "$TMP/a.db" "$DB" hoa-an
  check "round $N: nothing left queued" '"queued": 0' "$(on a status --json | grep -o '"queued": [0-9]*')"
  check "round $N: status no longer shows a bundle" 0 "$(on a status | grep -c 'not yet answered')"
}

start_daemon "$DB"
on a init --server "$URL" --token "$(D enroll --commune hoa-an --label "no line")" >/dev/null || bad "init a"
on b init --server "$URL" --token "$(D enroll --commune hoa-an)" >/dev/null || bad "init b"

# --- round 1: a's first bundle enrols it (token and key inside the seal) ---
add a 1
add a 2
add b 3
check_rc "b syncs over the network" 0 on b sync
before=$(dstate a)
check_rc "export" 0 on a bundle export --out "$TMP/first"
check "export changes nothing on the device" "$before" "$(dstate a)"
check "the bundle is private" 600 "$(stat -c %a "$TMP/first")"
check "the token does not show through the seal" 0 "$(grep -c "$(sqlite3 "$TMP/a.db" "SELECT v FROM meta WHERE k = 'token'")" "$TMP/first")"
check "citizens' text does not show through the seal" 0 "$(grep -c 'Kiến nghị' "$TMP/first")"
check_rc "export refuses to overwrite" 1 on a bundle export --out "$TMP/first"
check_rc "a second export" 0 on a bundle export --out "$TMP/first.2"
on a status >"$TMP/st"
check_grep "status shows the exported, unanswered bundle" "Bundle: .*exported .* with 2 ops, not yet answered" "$TMP/st"
cp "$TMP/first" "$TMP/e0"
N=0
check_rc "round 1: district import" 0 D bundle import "$TMP/first" --answer "$TMP/r0"
check_grep "the district log names the bundle" "bundle: imported node=" "$TMP/err"
D node list >"$TMP/nodes"
check_grep "node list shows a synced by bundle" "no line \[synced by bundle\]" "$TMP/nodes"
check "node list --json says how" 1 "$(D node list --json | grep -c '"last_sync_by": "bundle"')"
entries=$(sqlite3 "$DB" 'SELECT count(*) FROM synclog')
check_rc "the same bundle again" 0 D bundle import "$TMP/first" --answer "$TMP/r0.again"
check "importing twice stores nothing new" "$entries" "$(sqlite3 "$DB" 'SELECT count(*) FROM synclog')"
check_rc "the second export, imported too" 0 D bundle import "$TMP/first.2" --answer "$TMP/r0.2"
check "it stores nothing new either" "$entries" "$(sqlite3 "$DB" 'SELECT count(*) FROM synclog')"
check_rc "device imports the answer" 0 on a bundle import "$TMP/r0"
check_grep "it says what it applied" "Bundle applied: pushed 2 ops" "$TMP/out"
check "a's digest is the district's" "$(D digest --commune hoa-an)" "$(on a digest)"
check "a pulled b's op" 1 "$(ops_pulled "$TMP/a.db")"
check "a's token is forgotten" 0 "$(sqlite3 "$TMP/a.db" "SELECT count(*) FROM meta WHERE k = 'token'")"
check_rc "the answer to the second export, made later, applies" 0 on a bundle import "$TMP/r0.2"
check "and is harmless" "$(D digest --commune hoa-an)" "$(on a digest)"
before=$(dstate a)
check_rc "an older answer is recognised" 0 on a bundle import "$TMP/r0.again"
check_grep "it says so" "older than an answer already applied" "$TMP/out"
check_rc "the first answer again" 0 on a bundle import "$TMP/r0"
check "stale answers change nothing" "$before" "$(dstate a)"
stop_if_failed

# --- bad bundles at the district ---
add a 4
check_rc "export for the bad-bundle checks" 0 on a bundle export --out "$TMP/good"
size=$(stat -c %s "$TMP/good")
cp "$TMP/good" "$TMP/flip1"; flip "$TMP/flip1" $((size - 40))
refused_at_district "a byte flipped in a frame" "$TMP/flip1" "does not authenticate"
cp "$TMP/good" "$TMP/flip2"; flip "$TMP/flip2" 40
refused_at_district "a byte flipped in the sealed key" "$TMP/flip2" "seal check"
cp "$TMP/good" "$TMP/flip3"; flip "$TMP/flip3" 3
refused_at_district "a byte flipped in the magic line" "$TMP/flip3" "wrong format"
head -c $((size - 7)) "$TMP/good" >"$TMP/cut"
refused_at_district "a truncated bundle" "$TMP/cut" "cut short"
head -c 60 "$TMP/good" >"$TMP/cut2"
refused_at_district "a bundle cut in its header" "$TMP/cut2" "cut short"
: >"$TMP/empty"
refused_at_district "an empty file" "$TMP/empty" "is empty"
mkdir "$TMP/dir"
refused_at_district "a directory" "$TMP/dir" "is a directory"
printf 'petition,content\n1,x\n' >"$TMP/csv"
refused_at_district "a file of another format" "$TMP/csv" "wrong format"
printf 'DANSYNC-BUNDLE 2\nxxxx' >"$TMP/v2"
refused_at_district "a later version" "$TMP/v2" "version check"
refused_at_district "an answer bundle" "$TMP/r0" "kind check"
refused_at_district "a missing file" "$TMP/nothing" "cannot read the bundle"
# Another district: its device's bundle is sealed to another key.
"$DANSYNCD" --db "$TMP/other.db" init >/dev/null || bad "other district"
on x init --server "$URL" --token "$("$DANSYNCD" --db "$TMP/other.db" enroll --commune hoa-an)" >/dev/null || bad "init x"
add x 5
check_rc "x exports for its own district" 0 on x bundle export --out "$TMP/xb"
refused_at_district "a bundle for another district" "$TMP/xb" "recipient check"
# A revoked device.
on r init --server "$URL" --token "$(D enroll --commune hoa-an)" >/dev/null || bad "init r"
add r 6
check_rc "r exports" 0 on r bundle export --out "$TMP/rb1"
check_rc "r's first bundle is imported" 0 D bundle import "$TMP/rb1" --answer "$TMP/ra1"
check_rc "r is revoked" 0 D node revoke "$(sqlite3 "$TMP/r.db" "SELECT lower(hex(v)) FROM meta WHERE k = 'node'")" --yes
add r 7
check_rc "r exports again" 0 on r bundle export --out "$TMP/rb2"
refused_at_district "a revoked device's bundle" "$TMP/rb2" "revoked (device check)" 4
check_rc "the good bundle still imports" 0 D bundle import "$TMP/good" --answer "$TMP/goodans"
stop_if_failed

# --- bad answers on the device ---
size=$(stat -c %s "$TMP/goodans")
cp "$TMP/goodans" "$TMP/aflip"; flip "$TMP/aflip" $((size - 30))
refused_on_device "a byte flipped" a "$TMP/aflip" "does not authenticate"
head -c $((size - 5)) "$TMP/goodans" >"$TMP/acut"
refused_on_device "a truncated answer" a "$TMP/acut" "cut short"
refused_on_device "an empty file" a "$TMP/empty" "is empty"
refused_on_device "a directory" a "$TMP/dir" "is a directory"
refused_on_device "a file of another format" a "$TMP/csv" "wrong format"
refused_on_device "an export bundle" a "$TMP/good" "kind check"
refused_on_device "an answer sealed to another device" b "$TMP/goodans" "recipient check"
# Signed by the wrong key: a district copy holding another district's key
# (and a device copy sealing to it) answers a, sealed to a's key.
D backup --out "$TMP/wrongkey.db" >/dev/null || bad "backup"
sqlite3 "$TMP/wrongkey.db" "ATTACH '$TMP/other.db' AS o; UPDATE meta SET v = (SELECT v FROM o.meta WHERE k = 'district_sk') WHERE k = 'district_sk'"
sqlite3 "$TMP/a.db" ".backup '$TMP/a2.db'"; chmod 600 "$TMP/a2.db"
sqlite3 "$TMP/a2.db" "ATTACH '$TMP/other.db' AS o; UPDATE meta SET v = (SELECT substr(v, 33) FROM o.meta WHERE k = 'district_sk') WHERE k = 'district_pk'"
check_rc "a copy exports to the other key" 0 on a2 bundle export --out "$TMP/wk"
check_rc "the wrong district answers it" 0 "$DANSYNCD" --db "$TMP/wrongkey.db" bundle import "$TMP/wk" --answer "$TMP/wka"
refused_on_device "an answer signed by the wrong key" a "$TMP/wka" "signature check" 5
# For another device: sealed to a's key (a district copy that gives b's
# node a's key, a copy of b signing with a's key), but naming b.
sqlite3 "$TMP/b.db" ".backup '$TMP/bx.db'"; chmod 600 "$TMP/bx.db"
sqlite3 "$TMP/bx.db" "ATTACH '$TMP/a.db' AS a; UPDATE meta SET v = (SELECT v FROM a.meta WHERE k = 'sk') WHERE k = 'sk'; UPDATE meta SET v = (SELECT v FROM a.meta WHERE k = 'pk') WHERE k = 'pk'"
D backup --out "$TMP/swap.db" >/dev/null || bad "backup"
sqlite3 "$TMP/swap.db" "ATTACH '$TMP/a.db' AS a; UPDATE node SET pubkey = (SELECT v FROM a.meta WHERE k = 'pk') WHERE node = x'$(sqlite3 "$TMP/b.db" "SELECT hex(v) FROM meta WHERE k = 'node'")'"
check_rc "b's copy exports" 0 on bx bundle export --out "$TMP/bxe"
check_rc "the copy of the district answers it" 0 "$DANSYNCD" --db "$TMP/swap.db" bundle import "$TMP/bxe" --answer "$TMP/bxa"
refused_on_device "an answer for another device" a "$TMP/bxa" "device check"
check_rc "the good answer still applies" 0 on a bundle import "$TMP/goodans"
check "and a meets the district" "$(D digest --commune hoa-an)" "$(on a digest)"
stop_if_failed

# --- rounds: a by stick, b by network, the district editing the same petitions ---
P1=$(on b petition list --json | grep -o '"id": "[0-9a-f]*"' | head -1 | cut -d'"' -f4)
P2=$(on a petition list --json | grep -o '"id": "[0-9a-f]*"' | sed -n 2p | cut -d'"' -f4)
check "a holds b's petition by stick" 1 "$(on a petition list --json | grep -c "$P1")"
for k in 1 2 3; do
  on a petition update "$P1" --response "a trả lời $k" >/dev/null || bad "a edits $k"
  on b petition update "$P1" --response "b trả lời $k" >/dev/null || bad "b edits $k"
  D petition update "$P2" --response "huyện trả lời $k" >/dev/null || bad "district edits $k"
  add a $((k + 6))
  check_rc "b syncs in round $k" 0 on b sync
  round
  check_rc "b syncs after round $k" 0 on b sync
  check "b's digest is the district's after round $k" "$(D digest --commune hoa-an)" "$(on b digest)"
done
check_grep "the concurrent edits are a conflict" "$P1" <(D conflicts list --json)

# --- out of order, and twice ---
add a 11
check_rc "export E" 0 on a bundle export --out "$TMP/oE"
add a 12
check_rc "export F, which holds E's ops too" 0 on a bundle export --out "$TMP/oF"
check_rc "F imported first" 0 D bundle import "$TMP/oF" --answer "$TMP/oFa"
entries=$(sqlite3 "$DB" 'SELECT count(*) FROM synclog')
check_rc "E imported after F" 0 D bundle import "$TMP/oE" --answer "$TMP/oEa"
check_rc "F imported twice" 0 D bundle import "$TMP/oF" --answer "$TMP/oFa2"
check "E after F and F twice store nothing" "$entries" "$(sqlite3 "$DB" 'SELECT count(*) FROM synclog')"
check_rc "E's answer applied" 0 on a bundle import "$TMP/oEa"
check_rc "F's later answer applied" 0 on a bundle import "$TMP/oFa2"
check_rc "F's first answer is stale" 0 on a bundle import "$TMP/oFa"
check_grep "and recognised as such" "older than an answer already applied" "$TMP/out"
check "a meets the district" "$(D digest --commune hoa-an)" "$(on a digest)"
check "nothing queued" '"queued": 0' "$(on a status --json | grep -o '"queued": [0-9]*')"

# --- a month of work: over the caps, split into requests; pulled in pages ---
"$FILLOPS" "$TMP/a.db" 1200 || bad "fillops 1200"
check_rc "a month's export" 0 on a bundle export --out "$TMP/month"
check_grep "split into requests of 500 (and the pull)" "1200 queued ops in 4 requests" "$TMP/out"
check_rc "the district imports it" 0 D bundle import "$TMP/month" --answer "$TMP/montha"
check_grep "every op merged" "1200 ops merged" "$TMP/out"
check_rc "a applies the answer" 0 on a bundle import "$TMP/montha"
check "a meets the district" "$(D digest --commune hoa-an)" "$(on a digest)"
on c init --server "$URL" --token "$(D enroll --commune hoa-an)" >/dev/null || bad "init c"
check_rc "a new laptop's first bundle" 0 on c bundle export --out "$TMP/cfirst"
check_rc "the district answers it" 0 D bundle import "$TMP/cfirst" --answer "$TMP/cfirsta"
check "the answer holds the commune in pages past the first" 1 "$(grep -c 'answer (1[2-9][0-9][0-9] ops to pull)' "$TMP/out")"
check_rc "c applies it" 0 on c bundle import "$TMP/cfirsta"
check "c holds the whole commune" "$(D digest --commune hoa-an)" "$(on c digest)"

# --- the district restored from a backup between rounds ---
D backup --out "$TMP/backup.db" >/dev/null || bad "backup"
add a 13
add a 14
round
add b 15
check_rc "b syncs before the restore" 0 on b sync
stop_daemon || bad "daemon stops"
rm -f "$DB" "$DB-wal" "$DB-shm"
cp "$TMP/backup.db" "$DB"
start_daemon "$DB"
check_rc "b refills the district" 0 on b sync
check_grep "b says the restored district lost its head" "no longer holds position" "$TMP/err"
add a 16
check_rc "export after the restore" 0 on a bundle export --out "$TMP/rest1"
check_rc "the restored district answers with a gap" 0 D bundle import "$TMP/rest1" --answer "$TMP/rest1a"
check_rc "the device learns the gap" 0 on a bundle import "$TMP/rest1a"
check_grep "and says to export again" "export a new bundle" "$TMP/err"
round
check_rc "b syncs after the refill" 0 on b sync
check "its head is held now: no loss said" 0 "$(grep -c 'no longer holds' "$TMP/err")"
check "b meets the district" "$(D digest --commune hoa-an)" "$(on b digest)"
same_records "a and b hold the same records" "$TMP/a.db" "$TMP/b.db" hoa-an
stop_daemon || bad "daemon stops"
finish
