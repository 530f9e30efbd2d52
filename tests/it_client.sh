#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The real dansync binary, offline: a day of work, a kill in the middle of a
# command, and every kind of bad input leaving the store as it was.
# usage: it_client.sh DANSYNC DANSYNCD
DANSYNC=$1
DANSYNCD=$2
. "$(dirname "$0")/it_lib.sh"
export DANSYNC_DB="$TMP/dev.db"
C() { "$DANSYNC" "$@"; }

# --- init ---
"$DANSYNCD" --db "$TMP/district.db" init >/dev/null || bad "dansyncd init"
TOKEN0=$("$DANSYNCD" --db "$TMP/district.db" enroll --commune hoa-an)
check_rc "init" 0 C init --commune hoa-an --server http://127.0.0.1:9 --token "$TOKEN0"
check_rc "init refuses to overwrite" 1 C init --commune hoa-an --server http://127.0.0.1:9 --token "$TOKEN0"
check_grep "init says why" "refusing to overwrite" "$TMP/err"
check_rc "init needs flags" 2 C --db "$TMP/other.db" init --commune hoa-an
check_rc "bad slug" 1 C --db "$TMP/other.db" init --commune "Hòa An" --server http://x --token "$TOKEN0"
for url in http://10.0.0.2 ftp://10.0.0.2 http://10.0.0.2:70000 https://:8080 "https://[::1"; do
  check_rc "init refuses server $url" 1 C --db "$TMP/other.db" init --commune hoa-an --server "$url" --token "$TOKEN0"
  check_grep "init names the server problem ($url)" "address" "$TMP/err"
done
check "a refused init leaves no store" "" "$(ls "$TMP/other.db" 2>/dev/null)"

# --- a day of offline work ---
MEETING=$(C meeting add --held-on 2024-03-15 --hamlet "Ấp Long Bình" --attendees 87 --note "Họp dân tháng 3")
check "meeting id is 32 hex" 32 "${#MEETING}"
cats=(electricity rural_transport irrigation water land health_insurance public_order housing)
IDS=()
for i in $(seq 1 20); do
  cat=${cats[$((i % ${#cats[@]}))]}
  id=$(C petition add --received-on 2024-03-15 --category "$cat" --meeting "${MEETING:0:16}" \
         --citizen "Nguyễn Văn Số $i" --content "Kiến nghị số $i về $cat ở ấp Long Bình" \
         --due-on 2024-04-15) || bad "petition add $i"
  IDS+=("$id")
done
C petition add --received-on 2024-03-15 --category electricity --citizen "Trần Thị Điệp" \
  --content "Đường điện ấp 3 chập chờn" >/dev/null || bad "petition add dien"
check_rc "update to in_progress" 0 C petition update "${IDS[0]}" --status in_progress
check_rc "answer" 0 C petition update "${IDS[0]}" --status answered --response "Điện lực đã sửa xong"
check_rc "escalate" 0 C petition update "${IDS[1]}" --status escalated --escalated-to "Phòng Tài nguyên và Môi trường huyện"
check_rc "resolve" 0 C petition update "${IDS[2]}" --status resolved --resolved-on 2024-03-20
check_rc "reopen" 0 C petition reopen "${IDS[2]}"
check_rc "void" 0 C petition update "${IDS[3]}" --voided
for s in 5 4 3; do
  check_rc "survey $s" 0 C survey add --taken-on 2024-03-15 --service land --overall $s --attitude 4
done
check_rc "visit" 0 C visit add --visited-on 2024-03-16 --household "Bà Lê Thị Mười" --situation elderly_alone --gift-vnd 500000 --volunteers 3
check_rc "visit 2" 0 C visit add --visited-on 2024-03-16 --household "Ông Sáu" --situation policy_family --gift-vnd 1000000
# ops: 1 meeting + 21 petitions + 6 updates + 3 surveys + 2 visits = 33
check "outbox length" '"ops": 33' "$(C status --json | grep -o '"ops": [0-9]*')"
check "queued" '"queued": 33' "$(C status --json | grep -o '"queued": [0-9]*')"
check "petitions listed (voided left out)" 20 "$(C petition list --json | grep -c '"id"')"
check "status after reopen" received "$(C petition show "${IDS[2]}" --json | grep -o '"status": \[1, "[a-z_]*"\]' | head -1 | grep -o '[a-z_]*"\]' | tr -d '"]')"
check "answered one" 1 "$(C petition list --status answered --json | grep -c '"id"')"
check "overdue (20 minus answered minus voided)" 18 "$(C petition list --overdue --json | grep -c '"id"')"
check "search ignores diacritics" 1 "$(C petition list --search 'nguyen van so 7' --json | grep -c '"id"')"
check "search folds đ" 1 "$(C petition list --search 'dien' --json | grep -c '"id"')"
check "search folds Đ in names" 1 "$(C petition list --search 'diep' --json | grep -c '"id"')"
C petition show "${IDS[0]}" >"$TMP/show"
check_grep "show has history" "History:" "$TMP/show"
check_grep "show labels status in Vietnamese" "đã trả lời" "$TMP/show"
check_grep "show has the response" "Điện lực đã sửa xong" "$TMP/show"
C petition show "${IDS[0]}" --json >"$TMP/show.json"
check "show --json carries the history" 3 "$(grep -o '"at": "' "$TMP/show.json" | wc -l)"
check_grep "history in json names this device" '"mine": true, "set": {"status": \[0, "answered"\]' "$TMP/show.json"

# --- --help everywhere, with an example ---
for cmd in "init" "status" "digest" "meeting add" "meeting update" "petition add" "petition update" \
           "petition reopen" "petition list" "petition show" "survey add" "visit add" "visit update" "sync"; do
  # shellcheck disable=SC2086
  check_rc "help $cmd" 0 C $cmd --help
  check_grep "help $cmd has an example" "Example" "$TMP/out"
done

# --- bad input: one sentence, exit 1 (value) or 2 (usage), nothing changed ---
DIGEST=$(C digest)
OPS=$(C status --json | grep -o '"ops": [0-9]*')
# Every table, row for row (records with their merge state, the outbox,
# meta, the search index), not only the digest and the op count.
sqlite3 "$DANSYNC_DB" .dump >"$TMP/dump.before"
same_dump() {
  sqlite3 "$DANSYNC_DB" .dump >"$TMP/dump.after"
  if cmp -s "$TMP/dump.before" "$TMP/dump.after"; then ok; else
    bad "$1: the store changed: $(diff "$TMP/dump.before" "$TMP/dump.after" | grep '^[<>]' | head -2 | cut -c1-80 | tr '\n' ' ')"
  fi
}
unchanged() {
  check "$1: digest unchanged" "$DIGEST" "$(C digest)"
  check "$1: outbox unchanged" "$OPS" "$(C status --json | grep -o '"ops": [0-9]*')"
  same_dump "$1"
  check "$1: one line on stderr" 1 "$(wc -l <"$TMP/err")"
}
bad_value() {
  local name=$1
  shift
  check_rc "$name" 1 C "$@"
  unchanged "$name"
}
bad_value "bad date" petition add --received-on 2024-02-30 --category land --content x
check_grep "bad date names field" "received-on" "$TMP/err"
bad_value "unknown category" petition add --received-on 2024-02-03 --category roads --content x
bad_value "negative gift" visit add --visited-on 2024-03-01 --household h --situation other --gift-vnd -5
bad_value "gift not a number" visit add --visited-on 2024-03-01 --household h --situation other --gift-vnd lots
bad_value "invalid UTF-8" petition add --received-on 2024-02-03 --category land --content $'\xc3\x28'
check_grep "invalid UTF-8 said" "UTF-8" "$TMP/err"
bad_value "content over 4000 chars" petition add --received-on 2024-02-03 --category land --content "$(printf 'ễ%.0s' $(seq 4001))"
bad_value "attendees over limit" meeting add --held-on 2024-03-01 --attendees 100001
bad_value "rating out of range" survey add --taken-on 2024-03-01 --service land --overall 6
bad_value "status moves down" petition update "${IDS[0]}" --status in_progress
check_grep "status down points to reopen" "petition reopen" "$TMP/err"
bad_value "unknown id" petition update ffffffffffff --status answered
bad_value "not a hex id" petition show xyz
bad_value "unknown meeting link" petition add --received-on 2024-02-03 --category land --content x --meeting 00000000aaaa
bad_value "empty required" petition add --received-on 2024-02-03 --category land --content ""
bad_usage() {
  local name=$1
  shift
  check_rc "$name" 2 C "$@"
  unchanged "$name"
}
bad_usage "missing required flag" petition add --received-on 2024-02-03 --category land
bad_usage "unknown flag" petition add --received-on 2024-02-03 --category land --content x --colour red
bad_usage "unknown command" petition delete "${IDS[0]}"
bad_usage "a survey's rating cannot change" survey update "${IDS[0]}" --overall 3
bad_usage "update without fields" petition update "${IDS[0]}"
bad_usage "commune cannot change" petition update "${IDS[4]}" --commune hoa-my

# --- ambiguous prefixes list the candidates ---
# Ids start with the time: two made in a row share their first 8 digits
# unless a 65 s boundary fell between them; then the next two do.
A=$(C petition add --received-on 2024-03-15 --category land --content a)
B=$(C petition add --received-on 2024-03-15 --category land --content b)
if [ "${A:0:8}" != "${B:0:8}" ]; then
  A=$B
  B=$(C petition add --received-on 2024-03-15 --category land --content c)
fi
check "two ids share 8 digits" "${A:0:8}" "${B:0:8}"
L=8
while [ "${A:0:$((L + 1))}" = "${B:0:$((L + 1))}" ]; do L=$((L + 1)); done
check_rc "ambiguous prefix" 1 C petition show "${A:0:8}"
check_grep "ambiguous lists candidates" "ambiguous; it matches ${A:0:8}[0-9a-f]\{24\}" "$TMP/err"
check_rc "ambiguous longest shared prefix" 1 C petition show "${A:0:$L}"
check_rc "unique prefix works" 0 C petition show "${A:0:$((L + 1))}"
check_grep "the unique prefix shows A" "${A}" "$TMP/out"

# --- a kill in the middle of a command leaves no half change ---
DIGEST=$(C digest)
OPS=$(C status --json | grep -o '"ops": [0-9]*')
sqlite3 "$DANSYNC_DB" .dump >"$TMP/dump.before"
for fp in after_apply before_commit; do
  DANSYNC_FAILPOINT=$fp C petition add --received-on 2024-03-15 --category land --content "lost $fp" >/dev/null 2>&1
  check "failpoint $fp killed it" 70 $?
  same_dump "failpoint $fp"
  check "failpoint $fp: digest as before" "$DIGEST" "$(C digest)"
  check "failpoint $fp: outbox as before" "$OPS" "$(C status --json | grep -o '"ops": [0-9]*')"
  check "failpoint $fp: integrity" ok "$(sqlite3 "$DANSYNC_DB" 'PRAGMA integrity_check')"
  check "failpoint $fp: every record has its op" 0 \
    "$(sqlite3 "$DANSYNC_DB" 'SELECT count(*) FROM rec WHERE rid NOT IN (SELECT rid FROM outbox)')"
done

# --- sync against a real daemon: digests meet ---
TOKEN=$("$DANSYNCD" --db "$TMP/district.db" enroll --commune hoa-an)
start_daemon "$TMP/district.db"
check_rc "init device 2" 0 C --db "$TMP/dev2.db" init --commune hoa-an --server "$URL" --token "$TOKEN"
sqlite3 "$DANSYNC_DB" "UPDATE meta SET v = '$URL' WHERE k = 'server'"
check_rc "sync" 0 C sync
check_rc "sync device 2" 0 C --db "$TMP/dev2.db" sync
D=$("$DANSYNCD" --db "$TMP/district.db" digest --commune hoa-an)
check "device digest = district digest" "$D" "$(C digest --commune hoa-an)"
check "device 2 digest = district digest" "$D" "$(C --db "$TMP/dev2.db" digest --commune hoa-an)"
check "nothing queued" '"queued": 0' "$(C status --json | grep -o '"queued": [0-9]*')"
# --- the device's clock two hours ahead: refused, kept, restamped ---
AHEAD=$(DANSYNC_FAKE_NOW_MS=+7200000 C petition add --received-on 2024-03-16 --category water --content "Ghi khi đồng hồ sai")
check_rc "sync with a clock 2 h ahead is refused" 4 C sync --retries 0
check_grep "the refusal says how to fix it" "restamp" "$TMP/err"
check "the op stays queued" '"queued": 1' "$(C status --json | grep -o '"queued": [0-9]*')"
check_rc "sync --restamp once the clock is right" 0 C sync --restamp
check "restamped and stored" "$("$DANSYNCD" --db "$TMP/district.db" digest --commune hoa-an)" "$(C digest --commune hoa-an)"
check_rc "the district has it" 0 "$DANSYNCD" --db "$TMP/district.db" petition show "${AHEAD:0:24}"

# --- an op the district refuses is marked, and the queue behind it flows ---
# (an older client could have written it; here the outbox is edited by hand)
BAD=$(C meeting add --held-on 2024-03-20 --attendees 10)
GOOD=$(C petition add --received-on 2024-03-20 --category other --content "sau op hỏng")
sqlite3 "$DANSYNC_DB" "UPDATE outbox SET op = CAST(replace(CAST(op AS TEXT), 'meeting', 'meetinx') AS BLOB) WHERE rid = X'$BAD'"
check_rc "sync with one bad op exits 4 (refused)" 4 C sync
check "the bad op is rejected locally" 1 "$(C status --json | grep -o '"error": "bad_op"' | wc -l)"
check_grep "status names it" "meetinx" <(C status)
check_rc "the op behind it reached the district" 0 "$DANSYNCD" --db "$TMP/district.db" petition show "${GOOD:0:24}"
check "nothing left queued" '"queued": 0' "$(C status --json | grep -o '"queued": [0-9]*')"
check_rc "the district lists it in quarantine" 0 "$DANSYNCD" --db "$TMP/district.db" quarantine list
check_grep "quarantine names the entity" "unknown entity 'meetinx'" "$TMP/out"

check_rc "daemon stops cleanly" 0 stop_daemon
check_rc "sync offline exits 3" 3 C sync --retries 0
check_grep "offline says so" "offline" "$TMP/err"
finish
