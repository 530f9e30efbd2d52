#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The district's admin commands on a district built through real syncs with
# known counts: the report in all three formats, log verify against a
# tampered byte, replay (whole and --until), a conflict resolved with
# --keep other reaching both devices, a survey voided at the district, and
# the commands' Vietnamese.
# usage: it_admin.sh DANSYNC DANSYNCD
DANSYNC=$1
DANSYNCD=$2
. "$(dirname "$0")/it_lib.sh"
DB="$TMP/district.db"
D() { "$DANSYNCD" --db "$DB" "$@"; }
start_daemon "$DB"
dev() { # dev NAME COMMUNE
  "$DANSYNC" --db "$TMP/$1.db" init --commune "$2" --server "$URL" --token "$(D enroll --commune "$2")" >/dev/null
}
on() { local n=$1; shift; "$DANSYNC" --db "$TMP/$n.db" "$@"; }
dev A hoa-an
dev A2 hoa-an
dev T tan-long
dev X district

# --- hoa-an: 2 meetings (+1 voided), 5 petitions (+1 voided), 3 surveys, 2 visits (+1 voided)
on A meeting add --held-on 2024-03-01 --attendees 40 >/dev/null
on A meeting add --held-on 2024-04-01 --attendees 35 >/dev/null
VM=$(on A meeting add --held-on 2024-04-02 --attendees 100)
on A meeting update "$VM" --voided
P1=$(on A petition add --received-on 2024-03-01 --category electricity --content "Điện chập chờn ấp 1")
P2=$(on A petition add --received-on 2024-03-01 --category rural_transport --content "Đường ấp 2 ngập")
P3=$(on A petition add --received-on 2024-03-02 --category land --content "Tranh chấp ranh đất ông Năm")
P4=$(on A petition add --received-on 2024-03-02 --category water --content "Thiếu nước sạch" --due-on 2024-02-01 --force)
P5=$(on A petition add --received-on 2024-03-03 --category water --content "Giếng khoan hư" --due-on 2099-01-01 --force)
PV=$(on A petition add --received-on 2024-03-03 --category other --content "Nhập nhầm")
on A petition update "$P1" --status answered --response "Điện lực đã xử lý"
on A petition update "$P2" --status resolved --resolved-on 2024-03-10
on A petition update "$P3" --status escalated --escalated-to "Phòng Tài nguyên và Môi trường"
on A petition update "$PV" --voided
for r in 5 4 2; do on A survey add --taken-on 2024-03-05 --service land --overall $r >/dev/null; done
on A visit add --visited-on 2024-03-06 --household "Bà Sáu" --situation elderly_alone --gift-vnd 500000 >/dev/null
on A visit add --visited-on 2024-03-07 --household "Ông Bảy" --situation poor_household --gift-vnd 300000 --volunteers 4 >/dev/null
VV=$(on A visit add --visited-on 2024-03-07 --household "Nhầm" --situation other --gift-vnd 999)
on A visit update "$VV" --voided
# --- tan-long: 1 meeting, 2 petitions (+1 before the period), 1 survey
on T meeting add --held-on 2024-05-01 --attendees 20 >/dev/null
T1=$(on T petition add --received-on 2024-05-02 --category land --content "Cấp sổ đỏ chậm" --status escalated --escalated-to "Văn phòng đăng ký đất đai")
T2=$(on T petition add --received-on 2024-05-03 --category housing --content "Nhà dột" )
on T petition update "$T2" --status resolved
on T petition add --received-on 2023-12-31 --category other --content "Kỳ trước" >/dev/null
on T survey add --taken-on 2024-05-04 --service civil_registration --overall 3 >/dev/null
for n in A T; do check_rc "sync $n" 0 on $n sync; done

# The state as of now, for replay --until.
UNTIL_DIGEST=$(D digest)
UNTIL_MS=$(($(date +%s%3N) + 1))
wait_for "the clock to pass the cut" 2 test "$(date +%s%3N)" -gt "$UNTIL_MS"

# The district answers the escalated tan-long petition (as the district node).
check_rc "district answers" 0 D petition update "${T1:0:20}" --status answered --response "Đã cấp sổ"
check_rc "T pulls the answer" 0 on T sync
check "T sees the district's answer" answered \
  "$(on T petition show "$T1" --json | grep -o '"status": \[0, "[a-z_]*"' | head -1 | cut -d'"' -f4)"

# --- the report (the full rules are tests/it_report.sh's): text ---
D report --from 2024-01-01 --to 2024-05-31 >"$TMP/r.txt"
check_grep "meetings and attendees" "sinh hoạt được 3 cuộc, có 95 người dân tham gia" "$TMP/r.txt"
check_grep "communes that met" "2/15 xã, thị trấn tổ chức sinh hoạt" "$TMP/r.txt"
check_grep "petitions" "Tiếp nhận 7 ý kiến, kiến nghị (cùng kỳ năm trước: 0); đã trả lời, giải quyết tại cấp xã 3; cấp huyện trả lời, giải quyết 0; chuyển cấp huyện 2 (đã có kết quả 1); đang xử lý 2 (quá hạn 1)." "$TMP/r.txt"
check_grep "share settled" "đạt 57,14%" "$TMP/r.txt"
check_grep "escalation listed" "xã Hòa An, ngày 02/03/2024: \"Tranh chấp ranh đất ông Năm\"" "$TMP/r.txt"
check_grep "escalation answered by the district" "Hiện trạng: đã trả lời (cấp huyện). Trả lời: \"Đã cấp sổ\"" "$TMP/r.txt"
check_grep "category land" "đất đai: 2" "$TMP/r.txt"
check_grep "satisfaction land" "rất hài lòng 33,33%, hài lòng 33,33%, bình thường 0%, chưa hài lòng 33,33%; điểm trung bình 3,67" "$TMP/r.txt"
check_grep "visits" "Thăm hỏi 2 hộ gia đình khó khăn, trao 2 phần quà, trị giá 0,8 triệu đồng, 4 lượt" "$TMP/r.txt"
check_grep "hoa-an row" "^    xã Hòa An  *2  *75  *5  *2  *1  *2  *1  *2  " "$TMP/r.txt"
check_grep "tan-long row" "^    xã Tân Long  *1  *20  *2  *1  *1  *0  *0  *0  " "$TMP/r.txt"
check_grep "a commune that never synced is flagged" "^   \*xã Thạnh Hòa .*chưa đồng bộ" "$TMP/r.txt"
check "15 communes listed" 15 "$(grep -c '^   [ *]\(xã\|thị trấn\) ' "$TMP/r.txt")"
D report --from 2024-01-01 --to 2024-05-31 --commune tan-long >"$TMP/r1.txt"
check_grep "one commune" "sinh hoạt được 1 cuộc, có 20 người" "$TMP/r1.txt"
check_grep "one commune's petitions" "Tiếp nhận 2 ý kiến, kiến nghị (cùng kỳ năm trước: 0); đã trả lời, giải quyết tại cấp xã 1; cấp huyện trả lời, giải quyết 0; chuyển cấp huyện 1" "$TMP/r1.txt"
check_rc "unknown commune" 1 D report --commune atlantis
check_rc "bad date" 1 D report --from 2024-13-01
check_rc "a period that ends before it starts" 1 D report --from 2024-05-01 --to 2024-04-01

# --- json and csv: the same figures ---
D report --from 2024-01-01 --to 2024-05-31 --format json >"$TMP/r.json"
check_grep "json period" '"period": {"meetings": 3, "attendees": 95, .*"received": 7, "escalated": 2, "escalated_settled": 1, "settled_at_district": 0, "settled_at_commune": 3, "open": 2, "overdue": 1, "visits": 2, "gifts": 2, "gift_vnd": 800000, "volunteers": 4, "surveys": 4, "settled_pct": 57.14}' "$TMP/r.json"
check_grep "json stale" '"commune": "thanh-hoa", .*"last_sync": null, "stale": true' "$TMP/r.json"
check "json escalations" 2 "$(grep -c '"agency"' "$TMP/r.json")"
D report --from 2024-01-01 --to 2024-05-31 --format csv | tr -d '\r' >"$TMP/r.csv"
for row in "Trong kỳ,toàn huyện,Số cuộc sinh hoạt,3" "Trong kỳ,toàn huyện,\"Ý kiến, kiến nghị tiếp nhận\",7" \
           "Trong kỳ,toàn huyện,Quá hạn,1" "Trong kỳ,toàn huyện,Giá trị quà (đồng),800000" \
           "\"Theo xã, thị trấn\",xã Hòa An,Số người tham gia,75"; do
  check_grep "csv $row" "^$row\$" "$TMP/r.csv"
done

# --- surveys at the district: listed, one voided as the district node ---
D survey list --commune hoa-an --json >"$TMP/s.json"
check "hoa-an's 3 surveys listed" 3 "$(grep -c '"id"' "$TMP/s.json")"
check "tan-long's survey is not hoa-an's" 0 "$(grep -c '"tan-long"' "$TMP/s.json")"
SV=$(grep '"overall": "2"' "$TMP/s.json" | grep -o '"id": "[^"]*"' | cut -d'"' -f4)
check "the survey rated 2 is found" 32 "${#SV}"
check_rc "survey list in Vietnamese" 0 env DANSYNC_LANG=vi "$DANSYNCD" --db "$DB" survey list
check_grep "its heading is Vietnamese" "^mã  *ngày  *xã  *dịch vụ  *chung$" "$TMP/out"
check_grep "it shows the short id" "^${SV: -8}  2024-03-05  hoa-an  *đất đai  *2$" "$TMP/out"
BEFORE=$(D digest)
check_rc "an unknown survey cannot be voided" 1 env DANSYNC_LANG=vi "$DANSYNCD" --db "$DB" survey void 00000000
check_grep "said in Vietnamese" "không" "$TMP/err"
check "nothing changed" "$BEFORE" "$(D digest)"
check_rc "a petition is not a survey" 1 D survey void "$P1"
check "still nothing changed" "$BEFORE" "$(D digest)"
check_rc "the district voids it" 0 env DANSYNC_LANG=vi "$DANSYNCD" --db "$DB" survey void "${SV: -8}"
check_grep "it says so in Vietnamese" "Đã hủy phiếu khảo sát ${SV: -8}" "$TMP/out"
check "the district lists 2 of hoa-an's" 2 "$(D survey list --commune hoa-an --json | grep -c '"id"')"
check_rc "A pulls the void" 0 on A sync
check "A no longer lists it" 0 "$(on A survey list --json | grep -c "$SV")"
check "A lists the other two" 2 "$(on A survey list --json | grep -c '"id"')"
D report --from 2024-01-01 --to 2024-05-31 --format json >"$TMP/r2.json"
check_grep "the report leaves it out" '"surveys": 3, ' "$TMP/r2.json"

# --- the admin commands speak Vietnamese by default ---
check_rc "help" 0 env -u DANSYNC_LANG LANG=C "$DANSYNCD" --help
check_grep "help in Vietnamese" "^Các lệnh:" "$TMP/out"
check_rc "node revoke without --yes" 1 env -u DANSYNC_LANG LANG=C "$DANSYNCD" --db "$DB" node revoke 00000000
check_grep "refusal in Vietnamese" "chưa thu hồi gì: thêm --yes" "$TMP/err"
check_rc "node list" 0 env -u DANSYNC_LANG LANG=C "$DANSYNCD" --db "$DB" node list
check_grep "node list heading in Vietnamese" "^nút  *xã  *đăng ký lúc  *đồng bộ cuối  *đã nhận  *nhãn$" "$TMP/out"
check_rc "log verify" 0 env -u DANSYNC_LANG LANG=C "$DANSYNCD" --db "$DB" log verify
check_grep "log verify in Vietnamese" "Nhật ký đồng bộ nguyên vẹn" "$TMP/out"
check_rc "unknown commune" 1 env -u DANSYNC_LANG LANG=C "$DANSYNCD" --db "$DB" petition list --commune atlantis
check_grep "unknown commune in Vietnamese" "'atlantis' không phải một xã của huyện này" "$TMP/err"
check_rc "English on request" 1 env DANSYNC_LANG=en "$DANSYNCD" --db "$DB" petition list --commune atlantis
check_grep "unknown commune in English" "'atlantis' is not a commune of this district" "$TMP/err"

# --- a conflict, resolved with --keep other ---
check_rc "A2 pulls" 0 on A2 sync
on A petition update "$P5" --response "Xã khoan giếng mới" >/dev/null
on A2 petition update "$P5" --response "Chờ kinh phí huyện" >/dev/null
for r in 1 2; do on A sync >/dev/null; on A2 sync >/dev/null; done
D conflicts list --json >"$TMP/c.json"
check "one conflict listed" 1 "$(grep -c '"id"' "$TMP/c.json")"
CID=$(grep -o '"id": "[^"]*"' "$TMP/c.json" | cut -d'"' -f4)
WIN=$(D conflicts show "$CID" --json | grep '"winner": true' | grep -o '"value": "[^"]*"' | cut -d'"' -f4)
case "$WIN" in "Xã khoan giếng mới") OTHER="Chờ kinh phí huyện" ;; *) OTHER="Xã khoan giếng mới" ;; esac
check_rc "resolve --keep other" 0 D conflicts resolve "$CID" --keep other
check "no conflict left" "No conflicts." "$(D conflicts list)"
for n in A A2; do on $n sync >/dev/null; done
for n in A A2; do
  check "$n holds the other value" "$OTHER" \
    "$(on $n petition show "$P5" --json | grep -o '"response": "[^"]*"' | head -1 | cut -d'"' -f4)"
  check "$n digest = district" "$(D digest --commune hoa-an)" "$(on $n digest --commune hoa-an)"
done

# --- log show: the history of one petition ---
D log show --rid "$P5" >"$TMP/h.txt"
check "history of P5: create, two edits, the resolution" 4 "$(grep -c "(made, officer's clock)  received" "$TMP/h.txt")"
check_grep "history names the district" "district (admin commands)" "$TMP/h.txt"
check "log show --commune" 0 "$(D log show --commune tan-long --json | grep -c '"commune": "hoa-an"')"

# --- verify, replay ---
check_rc "log verify" 0 D log verify
LIVE=$(D digest)
check_rc "replay from the live store" 0 D log replay --from "$DB" --into "$TMP/r1.db"
check_grep "replay prints the digest" "digest $LIVE" "$TMP/out"
check_grep "replay says it matches the live store" "matches the live store" "$TMP/out"
check "replayed digest = live" "$LIVE" "$("$DANSYNCD" --db "$TMP/r1.db" digest)"
check_rc "export" 0 D log export --out "$TMP/export.db"
check_rc "replay from the export" 0 D log replay --from "$TMP/export.db" --into "$TMP/r2.db"
check "replayed from export = live" "$LIVE" "$("$DANSYNCD" --db "$TMP/r2.db" digest)"
check_rc "replay --until" 0 D log replay --from "$DB" --into "$TMP/r3.db" --until "$UNTIL_MS"
check "replay --until = the digest at that time" "$UNTIL_DIGEST" "$("$DANSYNCD" --db "$TMP/r3.db" digest)"
check_rc "replay refuses to overwrite" 1 D log replay --from "$DB" --into "$TMP/r1.db"
cp "$TMP/export.db" "$TMP/ex port?%23#.db"
check_rc "replay from a path SQLite would read as a URI" 0 D log replay --from "$TMP/ex port?%23#.db" --into "$TMP/r4.db"
check "... is the export's" "$LIVE" "$("$DANSYNCD" --db "$TMP/r4.db" digest)"
# "file:ex.db" is a file name: its unsigned head is checked, not ex.db's.
cp "$TMP/export.db" "$TMP/ex.db"
cp "$TMP/export.db" "$TMP/file:ex.db"
sqlite3 "$TMP/file:ex.db" "UPDATE info SET v = zeroblob(64) WHERE k = 'head_sig'"
in_tmp() { (cd "$TMP" && "$@"); }
check_rc "replay checks the file it replays (file:ex.db)" 1 in_tmp D log replay --from file:ex.db --into "$TMP/r6.db"
check_grep "... whose head is not signed" "not signed" "$TMP/err"
check "... and builds nothing" "" "$(ls "$TMP/r6.db" 2>/dev/null)"
# Replay only reads its source: another writer (serve) may hold the store.
# hold_writer DB: a sqlite3 holds DB's write lock until release_writer. It
# waits for the lock (the daemon may be writing when it asks) and says when
# it has it; if it cannot get it, it exits and the wait fails.
mkfifo "$TMP/lock.fifo"
hold_writer() {
  rm -f "$TMP/lock.out"
  exec 8<>"$TMP/lock.fifo"
  sqlite3 "$1" <&8 >"$TMP/lock.out" 2>&1 &
  LOCKER=$!
  printf '.bail on\n.timeout 30000\nBEGIN IMMEDIATE;\nSELECT %s;\n' "'held'" >&8
  wait_for "another writer to hold $1" 40 grep -qx held "$TMP/lock.out"
}
release_writer() {
  printf 'ROLLBACK;\n.quit\n' >&8
  wait "$LOCKER"
  exec 8>&-
}
hold_writer "$DB"
sqlite3 "$DB" "BEGIN IMMEDIATE; ROLLBACK" >"$TMP/out" 2>"$TMP/err"
check_grep "... and no one else can write to it" "database is locked" "$TMP/err"
check_rc "replay while another writer holds the live store" 0 D log replay --from "$DB" --into "$TMP/r5.db"
check "... is the live store's" "$LIVE" "$("$DANSYNCD" --db "$TMP/r5.db" digest)"
release_writer
check_rc "clean stop" 0 stop_daemon
# A store made before the sync log's head index gets it on its first open;
# while another program writes to it, the open says so and changes nothing.
cp "$DB" "$TMP/noidx.db"
sqlite3 "$TMP/noidx.db" "DROP INDEX synclog_head"
hold_writer "$TMP/noidx.db"
check_rc "opening a store without the head index while another program writes" 1 "$DANSYNCD" --db "$TMP/noidx.db" digest
check_grep "... says another program is writing to it" "another program is writing to it" "$TMP/err"
release_writer
heads() { sqlite3 "$1" "SELECT count(*) FROM sqlite_schema WHERE name = 'synclog_head'"; }
check "... and adds nothing" 0 "$(heads "$TMP/noidx.db")"
check "once it is free, the open adds the index" "$LIVE" "$("$DANSYNCD" --db "$TMP/noidx.db" digest)"
check "... synclog_head" 1 "$(heads "$TMP/noidx.db")"
# One byte of entry 2 changes, in a copy of the store.
cp "$DB" "$TMP/tampered.db"
sqlite3 "$TMP/tampered.db" "UPDATE synclog SET body = CAST(substr(body, 1, 20) || X'00' || substr(body, 22) AS BLOB) WHERE seq = 2"
check_rc "verify finds the tampered entry" 1 "$DANSYNCD" --db "$TMP/tampered.db" log verify
check_grep "verify names entry 2" "entry 2 " "$TMP/err"
finish
