#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The field client as a commune officer uses it, in Vietnamese (issue #17):
# short ids everywhere, every entity listed, shown and updated, dates and
# choices typed the way officers write them, plausibility refusals that
# change nothing (store byte-identical) unless --force, aligned lists within
# 100 characters, typed control characters escaped on a terminal and intact
# in --json, status naming what is unsynced and what the last sync brought,
# and a mistyped token replaced before the first sync without losing work.
# usage: it_cli.sh DANSYNC DANSYNCD
DANSYNC=$1
DANSYNCD=$2
export DANSYNC_LANG=vi
. "$(dirname "$0")/it_lib.sh"
DB="$TMP/district.db"
D() { "$DANSYNCD" --db "$DB" "$@"; }
start_daemon "$DB"
export DANSYNC_DB="$TMP/a.db"
C() { "$DANSYNC" "$@"; }
# A mistyped token is refused by init (its checksum); a device given a
# token the district then cancelled has nothing synced yet.
GOOD_TOKEN=$(D enroll --commune hoa-an)
BAD_TOKEN=$(D enroll --commune hoa-an)
check_rc "init with a mistyped token" 1 C init --server "$URL" --token "${GOOD_TOKEN}x"
check_grep "the mistyped token, in Vietnamese" "mã đăng ký khác với mã 'dansyncd enroll' đã in" "$TMP/err"
check_rc "init with no token at all" 1 C init --server "$URL" --token "hello"
check_grep "a token must start with dst1-" "phải bắt đầu bằng dst1-" "$TMP/err"
check "a mistyped token makes no store" no "$(test -e "$DANSYNC_DB" && echo yes || echo no)"
BAD_ID=${BAD_TOKEN#dst1-}
BAD_ID=${BAD_ID%%-*}
check_rc "cancel the second token" 0 D enroll cancel "$BAD_ID"
check_rc "init with a cancelled token" 0 C init --commune hoa-an --server "$URL" --token "$BAD_TOKEN"
check_grep "init speaks Vietnamese" "Đã tạo" "$TMP/out"

# --- language ---
check_rc "unknown command" 2 env -u DANSYNC_LANG LANG=C "$DANSYNC" metting list
check_grep "Vietnamese under LANG=C" "không có lệnh 'metting'" "$TMP/err"
check_rc "unknown command, English" 2 env -u DANSYNC_LANG LANG=en_US.UTF-8 "$DANSYNC" metting list
check_grep "English under LANG=en_US" "unknown command 'metting'" "$TMP/err"
check_rc "DANSYNC_LANG=en wins" 2 env DANSYNC_LANG=en LANG=vi_VN.UTF-8 "$DANSYNC" metting list
check_grep "English with DANSYNC_LANG=en" "unknown command" "$TMP/err"
check_rc "help in Vietnamese" 0 C --help
check_grep "help headings" "Các lệnh:" "$TMP/out"

# --- a meeting: add prints both ids, then list/show/update by short id ---
check_rc "meeting add, D/M/YYYY" 0 C meeting add --held-on 5/3/2024 --hamlet "Ấp Long Bình" --attendees 40 --kind "đối thoại"
M=$(cat "$TMP/out")
MS=${M: -8}
check "add prints the 32-digit id" 32 "${#M}"
check_grep "add names the short id" "mã ngắn $MS" "$TMP/err"
check_rc "meeting list" 0 C meeting list
check_grep "meeting list shows the short id" "^$MS  2024-03-05  đối thoại" "$TMP/out"
check_rc "meeting update by short id" 0 C meeting update "$MS" --attendees 45
check_rc "meeting show by short id" 0 C meeting show "$MS"
check_grep "meeting show has the new count" "attendees *45" "$TMP/out"
check_rc "meeting show by a 6-digit end" 0 C meeting show "${MS:2}"
check_rc "meeting show --json" 0 C meeting show "$MS" --json
check_grep "json has the kind slug" '"kind": "dialogue"' "$TMP/out"

# --- petitions typed the officers' way ---
check_rc "petition add, label without diacritics" 0 C petition add --received-on 13/9/2023 --category dien --citizen "Nguyễn Văn An" --hamlet "Ấp Long Bình" --content "Đường điện ấp chập chờn" --meeting "$MS"
P1=$(cat "$TMP/out")
check_rc "status by Vietnamese label" 0 C petition update "${P1: -8}" --status "đang xử lý"
check_grep "status stored as its slug" '"status": \[0, "in_progress"\]' <(C petition show "$P1" --json)
check_rc "escalated-to on add" 0 C petition add --received-on 2024-05-02 --category "đất đai" --content "Cấp sổ đỏ chậm" --escalated-to "Phòng LĐ-TB&XH"
P2=$(cat "$TMP/out")
check_grep "escalated-to moves the status" '"status": \[0, "escalated"\]' <(C petition show "$P2" --json)
check_rc "list --status escalated" 0 C petition list --status "đã chuyển cấp trên"
check_grep "the escalated petition is listed" "^${P2: -8}" "$TMP/out"
check_rc "search by a word prefix, no diacritics" 0 C petition list --search nguye
check_grep "prefix search finds Nguyễn" "^${P1: -8}" "$TMP/out"
check_rc "filter by meeting short id" 0 C petition list --meeting "$MS"
check "one petition of that meeting" 1 "$(grep -c '^[0-9a-f]\{8\}  ' "$TMP/out")"
check_rc "filter by period" 0 C petition list --from 1/1/2024 --to 31/12/2024
check "one petition in 2024" 1 "$(grep -c '^[0-9a-f]\{8\}  ' "$TMP/out")"
check_rc "open ones" 0 C petition list --open
check "both are open" 2 "$(grep -c '^[0-9a-f]\{8\}  ' "$TMP/out")"
check_rc "reversed period" 1 C petition list --from 2024-12-31 --to 2024-01-01

# --- surveys and visits: list, show, update ---
check_rc "survey add" 0 C survey add --taken-on 2024-03-05 --service "ho tich" --overall 4
S=$(cat "$TMP/out")
check_rc "survey list" 0 C survey list
check_grep "survey list shows its label" "^${S: -8}  2024-03-05  hộ tịch" "$TMP/out"
check_rc "survey show" 0 C survey show "${S: -8}"
check_rc "visit add" 0 C visit add --visited-on 2024-03-06 --household "Bà Sáu" --situation "nguoi gia neo don" --gift-vnd 500000
V=$(cat "$TMP/out")
check_rc "visit update" 0 C visit update "${V: -8}" --volunteers 3
check_rc "visit list" 0 C visit list
check_grep "visit list" "^${V: -8}  2024-03-06  người già neo đơn" "$TMP/out"
check_rc "visit show" 0 C visit show "${V: -8}"
check_grep "visit show has the update" "volunteers *3" "$TMP/out"

# --- refusals leave the store byte-identical ---
snapshot() { sqlite3 "$DANSYNC_DB" .dump >"$TMP/dump.before"; DIGEST=$(C digest); }
refused() { # refused NAME EXIT ARGS...: exits EXIT, one sentence, store as it was
  local name=$1 want=$2
  shift 2
  check_rc "$name" "$want" C "$@"
  check "$name: one line on stderr" 1 "$(wc -l <"$TMP/err")"
  check "$name: digest unchanged" "$DIGEST" "$(C digest)"
  sqlite3 "$DANSYNC_DB" .dump >"$TMP/dump.after"
  if cmp -s "$TMP/dump.before" "$TMP/dump.after"; then ok; else bad "$name: the store changed"; fi
}
snapshot
refused "a date in the future" 1 petition add --received-on 2204-06-28 --category land --content x
check_grep "future date names the flag" "received-on 2204-06-28" "$TMP/err"
refused "due too far ahead" 1 petition add --received-on 2024-06-01 --category land --content x --due-on 2099-01-01
refused "resolved before received" 1 petition update "${P1: -8}" --resolved-on 2023-01-01
check_grep "names received_on" "2023-09-13" "$TMP/err"
refused "due before received" 1 petition add --received-on 2024-06-01 --category land --content x --due-on 2024-05-01
refused "blank content" 1 petition add --received-on 2024-06-01 --category land --content "   "
refused "an absurd gift" 1 visit add --visited-on 2024-03-06 --household "Ông Bảy" --situation other --gift-vnd 5000000000000
refused "an identical duplicate" 1 petition add --received-on 13/9/2023 --category electricity --citizen "Nguyễn Văn An" --content "Đường điện ấp chập chờn"
check_grep "the duplicate is named" "${P1: -8}" "$TMP/err"
refused "a control character" 1 petition add --received-on 2024-06-01 --category land --content $'a\x1b[2Jb'
refused "a bad category" 1 petition add --received-on 2024-06-01 --category "điệnn" --content x
check_grep "every choice listed, none cut" "civil_servant_attitude (thái độ phục vụ của công chức)" "$TMP/err"
check_grep "the last choice listed" "other (khác)$" "$TMP/err"
refused "a bad date" 1 petition add --received-on 31/2/2024 --category land --content x
refused "an extra word" 2 meeting add --held-on 2024-03-01 --attendees 45 người
check_grep "the extra word is named" "'người'" "$TMP/err"
refused "an unknown flag" 2 petition update "${P1: -8}" --statu answered
check_grep "the flag is named" "\-\-statu" "$TMP/err"
refused "a survey cannot change" 2 survey update "${S: -8}" --overall 3
refused "an unknown short id" 1 petition show 00000000
refused "a status going down" 1 petition update "${P1: -8}" --status received
check_grep "said in Vietnamese, naming the status" "kiến nghị đã ở trạng thái đang xử lý; trạng thái chỉ đi lên" "$TMP/err"
# A wrong survey form is voided and entered again (DESIGN §3): lists hide it.
check_rc "a second survey" 0 C survey add --taken-on 2024-03-05 --service "dat dai" --overall 2
S2=$(cat "$TMP/out")
check_rc "survey update --help" 0 C survey update --help
check_grep "survey update's usage names --voided" "survey update ID --voided" "$TMP/out"
check_rc "void the wrong form" 0 C survey update "${S2: -8}" --voided
check_rc "survey list" 0 C survey list
check "the voided survey is not listed" 0 "$(grep -c "^${S2: -8}" "$TMP/out")"
check_grep "the other one still is" "^${S: -8}" "$TMP/out"
check_rc "survey show of the voided form" 0 C survey show "${S2: -8}" --json
check_grep "show says it is voided" '"voided": true' "$TMP/out"
check_rc "void it twice: harmless" 0 C survey update "${S2: -8}" --voided
snapshot
check_rc "--force for a real exception" 0 C petition add --received-on 2024-06-01 --category land --content "Hạn xử lý dài" --due-on 2030-01-01 --force
check_rc "petition update --help lists the field flags" 0 C petition update --help
check_grep "update help lists --due-on" "\[--due-on DATE\]" "$TMP/out"
check_grep "update help lists --voided" "\[--voided\]" "$TMP/out"

# --- lists fit 100 characters; newlines and long text ---
check_rc "a long two-line petition" 0 C petition add --received-on 2024-06-02 --category other --content "Dòng một
$(printf 'ễ%.0s' $(seq 300))"
check_rc "petition list" 0 C petition list
longest() { python3 -c 'import sys; print(max(len(l.rstrip("\n")) for l in open(sys.argv[1], encoding="utf-8")))' "$1"; }
check "the longest line is 100 characters" 100 "$(longest "$TMP/out")"
check_grep "newline shown as ⏎" "Dòng một⏎ễễ" "$TMP/out"
check_grep "cut with …" "ễ…$" "$TMP/out"
check "every byte valid UTF-8" 0 "$(iconv -f UTF-8 -t UTF-8 "$TMP/out" >/dev/null 2>&1; echo $?)"
check_rc "status" 0 C status
check_grep "status lists an unsynced record" "^  ${P2: -8}  kiến nghị" "$TMP/out"
check_grep "a survey's service by its label" "^  ${S: -8}  phiếu khảo sát  2024-03-05 hộ tịch$" "$TMP/out"
check_grep "status labels line up" "^Đồng bộ cuối:  chưa bao giờ$" "$TMP/out"

# --- a cancelled token: sync refused, reenroll keeps the work ---
check_rc "sync with the bad token is refused" 4 C sync
check_grep "the refusal explained in Vietnamese" "huyện không nhận ra máy này" "$TMP/err"
check_grep "the queue is kept, in Vietnamese" "thay đổi vẫn nằm trong hàng đợi" "$TMP/err"
check_rc "reenroll with the right token" 0 C reenroll --token "$GOOD_TOKEN"
check_rc "sync now" 0 C sync
check_grep "sync's summary in Vietnamese" "^Đã đồng bộ: gửi [0-9]* thay đổi, nhận [0-9]*, xung đột 0, bị từ chối 0" "$TMP/out"
check_grep "each round in Vietnamese" "^đồng bộ: đã gửi [0-9]* thay đổi, huyện đã nhận đến số" "$TMP/err"
check "everything reached the district" "$(D digest --commune hoa-an)" "$(C digest --commune hoa-an)"
check_rc "the district's log of the voided survey" 0 D log show --rid "$S2"
check_grep "the district took the voiding" "voided" "$TMP/out"
check "and no quarantined op" 0 "$(sqlite3 "$DB" "SELECT count(*) FROM quarantine")"
check_rc "reenroll after a sync is refused" 1 C reenroll --token "$GOOD_TOKEN"

# --- typed control characters from elsewhere: escaped on a terminal ---
# (an older client, or a hand-edited outbox, can still send them; the
# district stores what a device sent, so the screens must be safe)
INJ=$'\x1b]0;pwned\x07\x1b[2J\r'
check_rc "a placeholder petition" 0 C petition add --received-on 2024-06-03 --category other --content "XXXXXXXXXXXXXXX"
PI=$(cat "$TMP/out")
sqlite3 "$DANSYNC_DB" "UPDATE outbox SET op = CAST(replace(CAST(op AS TEXT), 'XXXXXXXXXXXXXXX', char(27) || ']0;pwned' || char(7) || char(27) || '[2J' || char(13)) AS BLOB) WHERE rid = X'$PI'"
check_rc "the injected op syncs" 0 C sync
"$DANSYNC" --db "$TMP/b.db" init --commune hoa-an --server "$URL" --token "$(D enroll --commune hoa-an)" >/dev/null
check_rc "a second device pulls it" 0 "$DANSYNC" --db "$TMP/b.db" sync
check_rc "status shows what the sync brought" 0 "$DANSYNC" --db "$TMP/b.db" status
check_grep "the pulled petition is named" "^  ${PI: -8}  kiến nghị" "$TMP/out"
raw() { grep -c $'\x1b\|\x07\|\r' "$1"; }
for cmd in "petition list" "petition show ${PI: -8}" "status"; do
  check_rc "$cmd on the second device" 0 "$DANSYNC" --db "$TMP/b.db" $cmd
  check "$cmd: no raw control bytes" 0 "$(raw "$TMP/out")"
done
check_rc "petition show on the second device" 0 "$DANSYNC" --db "$TMP/b.db" petition show "${PI: -8}"
check_grep "ESC shown escaped" '\\x1b\]0;pwned\\x07\\x1b\[2J\\x0d' "$TMP/out"
check_rc "petition show --json" 0 "$DANSYNC" --db "$TMP/b.db" petition show "${PI: -8}" --json
check_grep "intact (JSON-escaped) in --json" '\\u001b]0;pwned\\u0007\\u001b\[2J\\u000d' "$TMP/out"
for cmd in "petition list" "petition show $PI"; do
  check_rc "dansyncd $cmd" 0 D $cmd
  check "dansyncd $cmd: no raw control bytes" 0 "$(raw "$TMP/out")"
done
check_rc "dansyncd log show --rid" 0 D log show --rid "$PI"
check "log show: no raw control bytes" 0 "$(raw "$TMP/out")"
check_grep "log show: the officer's time and the receive time" "(tạo lúc, theo đồng hồ của cán bộ)  nhận lúc " "$TMP/out"

# --- the district side ---
B() { "$DANSYNC" --db "$TMP/b.db" "$@"; }
check_rc "a second device pulls everything" 0 B sync
# Two devices move one status concurrently: not a conflict (DESIGN §4).
check_rc "A: answered" 0 C petition update "${P1: -8}" --status answered --response "Đã sửa"
check_rc "B: resolved" 0 B petition update "${P1: -8}" --status resolved --resolved-on 2024-06-01
check_rc "A syncs" 0 C sync
check_rc "B syncs" 0 B sync
check_rc "conflicts list" 0 D conflicts list
check_grep "concurrent statuses are no conflict" "Không có xung đột nào." "$TMP/out"
check_rc "petition show has no conflict" 0 D petition show "$P1" --json
check_grep "no conflicts in show" '"conflicts": \[\]' "$TMP/out"
D digest >"$TMP/dd.before"
for cmd in "log show --commune hoa-ann" "petition list --commune hoa-ann" "conflicts list --commune hoa-ann" "report --commune hoa-ann" "digest --commune hoa-ann" "report --from 2024-12-31 --to 2024-01-01"; do
  check_rc "dansyncd $cmd is refused" 1 D $cmd
  check "dansyncd $cmd: one sentence" 1 "$(wc -l <"$TMP/err")"
done
check_rc "an unknown commune" 1 D petition list --commune hoa-ann
check_grep "the unknown commune is named" "'hoa-ann' không phải một xã" "$TMP/err"
NODE=$(B status --json | grep -o '"node": "[0-9a-f]*"' | cut -d'"' -f4)
check_rc "node revoke without --yes" 1 D node revoke "${NODE:0:12}"
check_grep "revoke says what the district holds" "huyện đã nhận các thay đổi 1\.\.[0-9]* của nó" "$TMP/err"
check "nothing was revoked" "" "$(sqlite3 "$DB" "SELECT revoked_ms FROM node WHERE hex(node) = upper('$NODE')")"
check "refusals left the district's digest" "$(cat "$TMP/dd.before")" "$(D digest)"
check_rc "petition reopen at the district, by short id" 0 D petition reopen "${P1: -8}"
check_rc "A pulls the reopening" 0 C sync
check_grep "A sees it received again, generation 1" '"status": \[1, "received"\]' <(C petition show "$P1" --json)
check_rc "node revoke --yes" 0 D node revoke "${NODE:0:12}" --yes
check_rc "the revoked device is refused" 4 B sync
stop_daemon
# A store that cannot be read is an error, never an empty list (a copy of
# A's store with a survey view of another shape, and one without an inbox).
broken() { sqlite3 "$DANSYNC_DB" ".backup '$TMP/$1.db'" && chmod 600 "$TMP/$1.db" && sqlite3 "$TMP/$1.db" "$2"; }
broken v "DROP VIEW survey; CREATE VIEW survey AS SELECT rid, commune FROM rec WHERE ent = 2"
check_rc "survey list of an unreadable view" 1 C --db "$TMP/v.db" survey list
check_grep "it says so" "không đọc được kho dữ liệu" "$TMP/err"
check "and lists nothing" 0 "$(wc -c <"$TMP/out")"
broken i "DROP TABLE inbox"
check_rc "sync with an unreadable inbox" 1 C --db "$TMP/i.db" sync
check_grep "sync says so before sending" "không đọc được kho dữ liệu" "$TMP/err"
check_rc "a change made offline" 0 C visit add --visited-on 2024-03-07 --household "Ông Tư" --situation other
check_rc "sync without the district" 3 C sync --retries 0 --timeout 5
check_grep "offline, in Vietnamese" "không có mạng: không liên lạc được máy chủ của huyện tại $URL" "$TMP/err"
check_grep "nothing is lost, in Vietnamese" "1 thay đổi vẫn nằm trong hàng đợi, không mất gì" "$TMP/err"
check_grep "and why, in Vietnamese" "(máy chủ không nhận kết nối: máy chủ tắt, sai cổng, hoặc không có mạng)" "$TMP/err"
check_rc "a bundle without its file" 2 C bundle import
check_grep "bundle usage in Vietnamese" "cần tệp gói trả lời FILE" "$TMP/err"
finish
