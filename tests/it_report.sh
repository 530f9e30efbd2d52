#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The district report (DESIGN §9, issue 18) on a district built through the
# real CLIs in three moments of time (the clocks of daemon, devices and
# admin commands set with DANSYNC_FAKE_NOW_MS), with every expected figure
# worked out by hand below, asserted in each format.
# usage: it_report.sh DANSYNC DANSYNCD
DANSYNC=$1
DANSYNCD=$2
. "$(dirname "$0")/it_lib.sh"
export TZ=Asia/Ho_Chi_Minh DANSYNC_LANG=vi
DB="$TMP/district.db"
D() { "$DANSYNCD" --db "$DB" "$@"; }
on() { local n=$1; shift; "$DANSYNC" --db "$TMP/$n.db" "$@"; }
at() { # at 'YYYY-MM-DD HH:MM': every process's clock from now on
  export DANSYNC_FAKE_NOW_MS=$(($(date -d "$1" +%s) * 1000))
  [ -n "$DPID" ] && stop_daemon
  start_daemon "$DB"
}
dev() { # dev NAME COMMUNE
  on "$1" init --commune "$2" --server "$URL" --token "$(D enroll --commune "$2")" >/dev/null
}
R() { D report --from 2024-01-01 --to 2024-05-31 "$@"; }

# --- 20/06/2023: last year's period (01/01-31/05/2023) -------------------
at "2023-06-20 10:00"
dev A hoa-an
dev T tan-long
dev X district
check_rc "issuer set" 0 D issuer "ỦY BAN NHÂN DÂN HUYỆN PHỤNG HIỆP"
on A meeting add --held-on 2023-03-10 --attendees 30 >/dev/null
Q1=$(on A petition add --received-on 2023-03-10 --category electricity --content "Điện yếu")
on A petition update "$Q1" --status answered --response "Đã báo điện lực"
on A visit add --visited-on 2023-04-01 --household "Ông Chín" --situation poor_household --gift-vnd 1000000 >/dev/null
on T petition add --received-on 2023-04-02 --category land --content "Đo đạc lại đất" >/dev/null
for n in A T X; do check_rc "sync $n (2023)" 0 on $n sync; done

# --- 31/05/2024: this year's period --------------------------------------
at "2024-05-31 09:00"
# hoa-an: 2 programme meetings (+1 voided), a dialogue, a reception
on A meeting add --held-on 2024-03-01 --attendees 40 >/dev/null
on A meeting add --held-on 2024-04-01 --attendees 35 >/dev/null
VM=$(on A meeting add --held-on 2024-04-02 --attendees 100)
on A meeting update "$VM" --voided
on A meeting add --held-on 2024-04-05 --kind dialogue --attendees 30 >/dev/null
on A meeting add --held-on 2024-04-06 --kind citizen_reception --attendees 12 >/dev/null
P1=$(on A petition add --received-on 2024-03-01 --category electricity --citizen "Nguyễn Văn Một" --content "Điện chập chờn ấp 1")
P2=$(on A petition add --received-on 2024-03-01 --category rural_transport --content "Đường ấp 2 ngập")
P3=$(on A petition add --received-on 2024-03-02 --category land --citizen "Trần Thị Ba" --hamlet "Ấp 3" --content "Tranh chấp ranh đất ông Năm
1. GIẢ MẠO	DÒNG BÁO CÁO")
P4=$(on A petition add --received-on 2024-03-02 --category water --content "Thiếu nước sạch" --due-on 2024-04-01)
P5=$(on A petition add --received-on 2024-03-03 --category water --content "Giếng khoan hư" --due-on 2024-12-31)
PV=$(on A petition add --received-on 2024-03-03 --category other --content "Nhập nhầm")
P6=$(on A petition add --received-on 2024-03-04 --category housing --content "Nhà dột")
P7=$(on A petition add --received-on 2024-03-05 --category environment --content "Rác thải")
on A petition update "$P1" --status answered --response "Điện lực đã xử lý"
on A petition update "$P2" --status resolved --resolved-on 2024-03-10
on A petition update "$P3" --status escalated --escalated-to "Phòng Tài nguyên và Môi trường"
on A petition update "$P5" --status answered --response "Đã sửa"
check_rc "reopen P5" 0 on A petition reopen "$P5"
on A petition update "$PV" --voided
on A survey add --taken-on 2024-03-05 --service land --overall 5 --attitude 5 --timeliness 4 --procedure 3 >/dev/null
on A survey add --taken-on 2024-03-05 --service land --overall 4 --attitude 3 --timeliness 2 --procedure 4 >/dev/null
on A survey add --taken-on 2024-03-05 --service land --overall 2 >/dev/null
# A mistyped form, voided: it counts nowhere (the figures below hold 4).
SV=$(on A survey add --taken-on 2024-03-05 --service land --overall 1 --attitude 1)
check_rc "void the mistyped survey" 0 on A survey update "$SV" --voided
on A visit add --visited-on 2024-03-06 --household "Bà Sáu" --situation elderly_alone --gift-vnd 500000 --volunteers 2 >/dev/null
on A visit add --visited-on 2024-03-07 --household "Ông Bảy" --situation poor_household --gift-vnd 1300000 --volunteers 4 >/dev/null
on A visit add --visited-on 2024-03-08 --household "Bà Tám" --situation policy_family >/dev/null
VV=$(on A visit add --visited-on 2024-03-08 --household "Nhầm" --situation other --gift-vnd 999)
on A visit update "$VV" --voided
# tan-long: 1 meeting, 2 petitions (+1 before the period), 1 survey
on T meeting add --held-on 2024-05-01 --attendees 20 >/dev/null
T1=$(on T petition add --received-on 2024-05-02 --category land --citizen "@SUM(1+1)" --content "=cmd|'/c calc'!A1" --status escalated --escalated-to "Văn phòng đăng ký đất đai")
T2=$(on T petition add --received-on 2024-05-03 --category housing --content "Nhà dột nát")
on T petition update "$T2" --status resolved
on T petition add --received-on 2023-12-31 --category other --content "Kỳ trước" >/dev/null
on T survey add --taken-on 2024-05-04 --service civil_registration --overall 3 --attitude 4 >/dev/null
# The district device writes a record of no commune: quarantined.
on X meeting add --commune atlantis --held-on 2024-05-30 --attendees 5 >/dev/null
for n in A T; do check_rc "sync $n (2024)" 0 on $n sync; done
on X sync >/dev/null 2>&1
check "the district device's op is quarantined" 1 "$(D quarantine list --json | grep -c '"error"')"
# The district answers the escalated P3 and P6 (never escalated).
check_rc "district answers P3" 0 D petition update "$P3" --status answered --response "Đã hòa giải thành"
check_rc "district answers P6" 0 D petition update "$P6" --status answered --response "Huyện hỗ trợ sửa nhà"
check_rc "A pulls" 0 on A sync

# --- 10/06/2024: the report printed then ---------------------------------
at "2024-06-10 16:00"
for f in text json csv html docx; do
  check_rc "report as $f" 0 R --format $f --number 12/BC-UBND --place "Phụng Hiệp" --signer "Lê Văn Ký" --position "CHỦ TỊCH"
  check "report as $f: nothing on stderr" "" "$(cat "$TMP/err")"
  cp "$TMP/out" "$TMP/june.$f"
done

# --- 20/06/2024: P7 resolved at the commune, after the report ------------
at "2024-06-20 08:00"
export TMPDIR="$TMP/tmpdir"
mkdir -p "$TMPDIR"
check_rc "A resolves P7" 0 on A petition update "$P7" --status resolved
check_rc "A syncs" 0 on A sync
for f in text json csv html docx; do
  check_rc "reprint as $f (rebuilt from the log)" 0 R --format $f --number 12/BC-UBND --place "Phụng Hiệp" --signer "Lê Văn Ký" --position "CHỦ TỊCH" --as-of 10/06/2024
  check "reprint as $f: nothing on stderr" "" "$(cat "$TMP/err")"
  cp "$TMP/out" "$TMP/reprint.$f"
  check "reprint as of 10/06 = the report printed then ($f)" "" "$(diff "$TMP/june.$f" "$TMP/reprint.$f")"
done
check "the rebuilt store is removed" "" "$(ls -A "$TMPDIR")"
unset TMPDIR

# --- The figures, worked out by hand --------------------------------------
# Period 01/01-31/05/2024, as of 10/06/2024:
#  programme meetings: hoa-an 40 + 35 (100 voided), tan-long 20 -> 3, 95;
#    communes that met 2/15; dialogue 1 (30), reception 1 (12) apart.
#  petitions received 9 (PV voided; T's 31/12/2023 one outside):
#    escalated P3 T1 = 2, of which answered since 1 (P3, by the district);
#    settled at the district P6 = 1; at the commune P1 P2 T2 = 3;
#    open P4 P5 (reopened) P7 = 3; overdue P4 (due 01/04) = 1;
#    settled share (3 + 1 + 1) / 9 = 55,56%.
#  last year (01/01-31/05/2023): 1 meeting, 30; 2 received, 1 settled: 50%.
#  visits: 3 (1 voided left out), 2 gifts, 1.800.000 = 1,8 triệu, 6
#    volunteers; last year 1, 1, 1 triệu; since records began 4, 3, 2,8.
#  surveys 4: land overall 5 4 2 -> 33,33% 33,33% 0% 33,33%, mean 3,67;
#    district overall 5 4 2 3 -> 25% each, 3,5; attitude 5 3 4 -> mean 4.
# As of 20/06/2024 P7 is settled at the commune: 4 at the commune, 2 open,
# 6 / 9 = 66,67%.
T="$TMP/june.text"
check_grep "issuer" "^ỦY BAN NHÂN DÂN HUYỆN PHỤNG HIỆP$" "$T"
check_grep "number" "^Số: 12/BC-UBND$" "$T"
check_grep "motto" "^Độc lập - Tự do - Hạnh phúc$" "$T"
check_grep "place and date" "^Phụng Hiệp, ngày 10 tháng 06 năm 2024$" "$T"
check_grep "period" "^từ ngày 01/01/2024 đến ngày 31/05/2024$" "$T"
check_grep "as of" "^(số liệu tính đến ngày 10/06/2024)$" "$T"
check_grep "programme meetings" "^1. 2/15 xã, thị trấn tổ chức sinh hoạt \"nghe dân nói\"; sinh hoạt được 3 cuộc, có 95 người dân tham gia (cùng kỳ năm trước: 1 cuộc, 30 người).$" "$T"
check_grep "dialogues and receptions apart" "1 cuộc đối thoại (30 người tham dự), 1 buổi tiếp công dân (12 lượt công dân)" "$T"
check_grep "petitions partitioned" "^1. Tiếp nhận 9 ý kiến, kiến nghị (cùng kỳ năm trước: 2); đã trả lời, giải quyết tại cấp xã 3; cấp huyện trả lời, giải quyết 1; chuyển cấp huyện 2 (đã có kết quả 1); đang xử lý 3 (quá hạn 1).$" "$T"
check_grep "share" "^2. Kết quả trả lời, giải quyết đạt 55,56% (cùng kỳ năm trước: 50%).$" "$T"
check_grep "escalation with commune name, citizen, hamlet" "^   1) xã Hòa An, ngày 02/03/2024, công dân Trần Thị Ba (Ấp 3): \"Tranh chấp ranh đất ông Năm 1. GIẢ MẠO DÒNG BÁO CÁO\"$" "$T"
check "a newline typed in a petition starts no line of the report" 0 "$(grep -c '^1\. GIẢ MẠO' "$T")"
check_grep "escalation's outcome: the district's answer" "Chuyển: Phòng Tài nguyên và Môi trường. Hiện trạng: đã trả lời (cấp huyện). Trả lời: \"Đã hòa giải thành\"" "$T"
check_grep "escalation still waiting" "Chuyển: Văn phòng đăng ký đất đai. Hiện trạng: đã chuyển cấp huyện.$" "$T"
check_grep "categories, most first, ties by label" "^   - nhà ở: 2 (22,22%)$" "$T"
check "category order: most first, ties in Vietnamese order" "đất đai|nhà ở|nước sinh hoạt|điện|giao thông nông thôn|môi trường" \
  "$(sed -n '/^4\. Phân loại/,/^$/p' "$T" | grep '^   - ' | sed 's/^   - \(.*\): .*/\1/' | paste -sd'|')"
check_grep "satisfaction by service" "^     hài lòng chung (3 phiếu): rất hài lòng 33,33%, hài lòng 33,33%, bình thường 0%, chưa hài lòng 33,33%; điểm trung bình 3,67$" "$T"
check_grep "satisfaction district-wide" "^   - toàn huyện, tất cả dịch vụ: 4 phiếu$" "$T"
check_grep "district overall" "^     hài lòng chung (4 phiếu): rất hài lòng 25%, hài lòng 25%, bình thường 25%, chưa hài lòng 25%; điểm trung bình 3,5$" "$T"
check_grep "district attitude" "^     thái độ phục vụ (3 phiếu): rất hài lòng 33,33%, hài lòng 33,33%, bình thường 33,33%, chưa hài lòng 0%; điểm trung bình 4$" "$T"
check_grep "procedure" "thủ tục hành chính (2 phiếu): rất hài lòng 0%, hài lòng 50%, bình thường 50%, chưa hài lòng 0%; điểm trung bình 3,5$" "$T"
check_grep "visits, last year, cumulative" "^Thăm hỏi 3 hộ gia đình khó khăn, trao 2 phần quà, trị giá 1,8 triệu đồng, 6 lượt tình nguyện viên tham gia (cùng kỳ năm trước: 1 hộ, 1 phần quà, 1 triệu đồng). Lũy kế từ khi bắt đầu ghi nhận, nâng tổng số 4 hộ được thăm hỏi, 3 phần quà, trị giá 2,8 triệu đồng.$" "$T"
check_grep "visits by situation" "^   - hộ nghèo: 1 hộ, 1 phần quà, 1,3 triệu đồng, 4 lượt tình nguyện viên$" "$T"
check_grep "hoa-an row" "^    xã Hòa An  *2  *75  *7  *3  *1  *3  *1  *3  31/05/2024 09:00$" "$T"
check_grep "tan-long row" "^    xã Tân Long  *1  *20  *2  *1  *1  *0  *0  *0  31/05/2024 09:00$" "$T"
check_grep "never synced: flagged" "^   \*thị trấn Cây Dương  .*chưa đồng bộ$" "$T"
check "15 communes" 15 "$(grep -c '^   [ *]\(xã\|thị trấn\) ' "$T")"
check_grep "quarantined in the period" "^VI. THAO TÁC BỊ TỪ CHỐI, CÁCH LY TRONG KỲ (1)$" "$T"
check_grep "quarantined op listed" "31/05/2024 09:00, .* (district): bad_op: unknown commune 'atlantis'" "$T"
check_grep "signature block" "CHỦ TỊCH$" "$T"
check_grep "signer" "Lê Văn Ký$" "$T"
check_grep "Nơi nhận" "^Nơi nhận:" "$T"

# Today (20/06): P7 settled at the commune after 10/06.
R >"$TMP/now.txt"
check_grep "as of today: P7 settled" "đã trả lời, giải quyết tại cấp xã 4; cấp huyện trả lời, giải quyết 1; chuyển cấp huyện 2 (đã có kết quả 1); đang xử lý 2 (quá hạn 1)." "$TMP/now.txt"
check_grep "as of today: share" "đạt 66,67%" "$TMP/now.txt"
check_grep "as of today: stated" "(số liệu tính đến ngày 20/06/2024)" "$TMP/now.txt"
check_grep "last sync now" "xã Hòa An .*20/06/2024 08:00$" "$TMP/now.txt"
# The laptop's own report, offline, equals the district's for its commune.
check_rc "dansync report (json)" 0 on A report --from 2024-01-01 --to 2024-05-31 --format json
cp "$TMP/out" "$TMP/laptop.json"
R --commune hoa-an --format json >"$TMP/district-hoa-an.json"
for k in '"period"' '"previous_year"' '"cumulative"' '"categories"' '"escalations"' '"satisfaction"' '"visits_by_situation"'; do
  check "laptop = district for hoa-an: $k" "$(sed -n "/^ $k/,/^ \"/p" "$TMP/district-hoa-an.json" | head -20)" \
    "$(sed -n "/^ $k/,/^ \"/p" "$TMP/laptop.json" | head -20)"
done
check_grep "laptop: the district's answers are the district's" '"received": 7, "escalated": 1, "escalated_settled": 1, "settled_at_district": 1, "settled_at_commune": 3, "open": 2, "overdue": 1' "$TMP/laptop.json"
check_rc "dansync report (text)" 0 on A report --from 01/01/2024 --to 31/05/2024 --signer "Lê Văn Ký"
check_grep "laptop text: its commune by name" "Làm dân tin\", xã Hòa An$" "$TMP/out"
check_grep "laptop text: share" "đạt 71,43%" "$TMP/out"
check_rc "dansync report as html" 0 on A report --from 01/01/2024 --to 31/05/2024 --format html
check_grep "laptop html" "<td>xã Hòa An</td>" "$TMP/out"
check_rc "a laptop's report is as of today" 1 on A report --as-of 2024-06-10
check_rc "the district device has no commune report" 1 on X report
# One commune.
R --commune hoa-an --as-of 2024-06-10 >"$TMP/hoa-an.txt"
check_grep "one commune" "^1. sinh hoạt được 2 cuộc, có 75 người dân tham gia (cùng kỳ năm trước: 1 cuộc, 30 người).$" "$TMP/hoa-an.txt"
check_grep "one commune's petitions" "Tiếp nhận 7 ý kiến, kiến nghị (cùng kỳ năm trước: 1); đã trả lời, giải quyết tại cấp xã 2; cấp huyện trả lời, giải quyết 1; chuyển cấp huyện 1 (đã có kết quả 1); đang xử lý 3 (quá hạn 1)." "$TMP/hoa-an.txt"
check "one commune, one row" 1 "$(grep -c '^   [ *]\(xã\|thị trấn\) ' "$TMP/hoa-an.txt")"
check_rc "as-of before the period's data: a bad date" 1 D report --as-of 2024-02-30
check_rc "unknown format" 1 D report --format pdf

# --- json --------------------------------------------------------------
J="$TMP/june.json"
check_grep "json period" '"period": {"meetings": 3, "attendees": 95, "dialogues": 1, "dialogue_attendees": 30, "receptions": 1, "reception_attendees": 12, "received": 9, "escalated": 2, "escalated_settled": 1, "settled_at_district": 1, "settled_at_commune": 3, "open": 3, "overdue": 1, "visits": 3, "gifts": 2, "gift_vnd": 1800000, "volunteers": 6, "surveys": 4, "settled_pct": 55.56}' "$J"
check_grep "json previous year" '"previous_year": {"from": "2023-01-01", "to": "2023-05-31", "figures": {"meetings": 1, "attendees": 30, .*"received": 2, .*"settled_at_commune": 1, "open": 1, .*"gift_vnd": 1000000, .*"settled_pct": 50.00}}' "$J"
check_grep "json cumulative" '"cumulative": {"visits": 4, "gifts": 3, "gift_vnd": 2800000, "volunteers": 6}' "$J"
check_grep "json communes met" '"communes_met": 2, "communes_total": 15' "$J"
check_grep "json escalation" '"commune": "xã Hòa An", "received_on": "2024-03-02", "citizen": "Trần Thị Ba", "hamlet": "Ấp 3", "content": "Tranh chấp ranh đất ông Năm\\n1. GIẢ MẠO\\tDÒNG BÁO CÁO", "agency": "Phòng Tài nguyên và Môi trường", "status": "answered", "response": "Đã hòa giải thành", "resolved_on": null, "settled": true, "settled_by": "district"}' "$J"
check_grep "json satisfaction" '"service": null, "label": "toàn huyện, tất cả dịch vụ", "forms": 4, "overall": {"count": 4, "5": 1, "4": 1, "3": 1, "le2": 1, "mean": 3.50}, "attitude": {"count": 3, "5": 1, "4": 1, "3": 1, "le2": 0, "mean": 4.00}' "$J"
check_grep "json commune" '"commune": "hoa-an", "name": "xã Hòa An", "last_sync": "2024-05-31T02:00:00Z", "stale": false, "figures": {"meetings": 2, "attendees": 75, .*"received": 7, "escalated": 1, "escalated_settled": 1, "settled_at_district": 1, "settled_at_commune": 2, "open": 3, "overdue": 1, "visits": 3' "$J"
check_grep "json quarantined" '"error": "bad_op", "message": "unknown commune '"'"'atlantis'"'"'"' "$J"
check_rc "json parses" 0 python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$J"

# --- csv: BOM, Vietnamese headers, formulas neutralised ------------------
C="$TMP/june.csv"
check "csv starts with the UTF-8 BOM" "efbbbf" "$(head -c 3 "$C" | od -An -tx1 | tr -d ' \n')"
tr -d '\r' <"$C" | sed '1s/^\xef\xbb\xbf//' >"$TMP/c.csv"
check "csv header" 'Phần,"Xã, thị trấn",Chỉ tiêu,Giá trị' "$(head -1 "$TMP/c.csv")"
for row in "Trong kỳ,toàn huyện,Số cuộc sinh hoạt,3" "Trong kỳ,toàn huyện,Số người tham gia,95" \
  "Trong kỳ,toàn huyện,Số cuộc đối thoại,1" "Trong kỳ,toàn huyện,\"Ý kiến, kiến nghị tiếp nhận\",9" \
  "Trong kỳ,toàn huyện,Chuyển cấp huyện,2" "Trong kỳ,toàn huyện,\"Cấp huyện trả lời, giải quyết\",1" \
  "Trong kỳ,toàn huyện,\"Trả lời, giải quyết tại cấp xã\",3" "Trong kỳ,toàn huyện,Đang xử lý,3" \
  "Trong kỳ,toàn huyện,Quá hạn,1" "Trong kỳ,toàn huyện,Tỷ lệ giải quyết,\"55,56%\"" \
  "Trong kỳ,toàn huyện,Giá trị quà (đồng),1800000" "Trong kỳ,toàn huyện,\"Số xã, thị trấn có sinh hoạt\",2" \
  "Cùng kỳ năm trước,toàn huyện,Số cuộc sinh hoạt,1" "Cùng kỳ năm trước,toàn huyện,Tỷ lệ giải quyết,50%" \
  "Lũy kế,toàn huyện,Hộ được thăm hỏi,4" "Lĩnh vực,toàn huyện,nhà ở,2" \
  "Hài lòng: hài lòng chung,\"toàn huyện, tất cả dịch vụ\",Điểm trung bình,\"3,5\"" \
  "Chuyển cấp huyện 1,xã Hòa An,Cơ quan,Phòng Tài nguyên và Môi trường" \
  "Chuyển cấp huyện 2,xã Tân Long,Nội dung,\"'=cmd|'/c calc'!A1\"" \
  "Chuyển cấp huyện 2,xã Tân Long,Công dân,\"'@SUM(1+1)\"" \
  "\"Theo xã, thị trấn\",xã Hòa An,Quá hạn,1" "\"Theo xã, thị trấn\",xã Tân Long,Chuyển cấp huyện,1" \
  "Thao tác bị cách ly 1,district,Lỗi,bad_op"; do
  check_grep "csv $row" "^$row\$" "$TMP/c.csv"
done
check "no csv cell starts a formula" 0 "$(grep -c '\(^\|,\)[=+@-]' "$TMP/c.csv")"
check_grep "a typed newline stays inside its quoted cell" '^Chuyển cấp huyện 1,xã Hòa An,Nội dung,"Tranh chấp ranh đất ông Năm$' "$TMP/c.csv"
check "csv: every row has 4 cells" "ok" "$(python3 -c '
import csv,sys
rows=list(csv.reader(open(sys.argv[1],encoding="utf-8-sig",newline="")))
print("ok" if all(len(r)==4 for r in rows) and len(rows)>100 else "bad")' "$C")"

# --- html: one self-contained page ---------------------------------------
H="$TMP/june.html"
check "html: no external resource" 0 "$(grep -c '\(src\|href\)=\|@import\|url(' "$H")"
check_grep "html: charts as inline svg" "<svg xmlns=\"http://www.w3.org/2000/svg\"" "$H"
check_grep "html: A4" "@page{size:A4" "$H"
check_grep "html: motto" "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" "$H"
check_grep "html: meetings" "sinh hoạt được 3 cuộc, có 95 người dân tham gia (cùng kỳ năm trước: 1 cuộc, 30 người)" "$H"
check_grep "html: petitions" "Tiếp nhận 9 ý kiến, kiến nghị (cùng kỳ năm trước: 2); đã trả lời, giải quyết tại cấp xã 3; cấp huyện trả lời, giải quyết 1; chuyển cấp huyện 2 (đã có kết quả 1); đang xử lý 3 (quá hạn 1)." "$H"
check_grep "html: share" "đạt 55,56%" "$H"
check_grep "html: visits" "trao 2 phần quà, trị giá 1,8 triệu đồng" "$H"
check_grep "html: typed text escaped" "<td>=cmd|&#39;/c calc&#39;!A1</td>" "$H"
check_grep "html: commune row" "<tr><td>xã Hòa An</td><td class=\"n\">2</td><td class=\"n\">75</td><td class=\"n\">7</td><td class=\"n\">3</td><td class=\"n\">1</td><td class=\"n\">3</td><td class=\"n\">1</td>" "$H"
check_grep "html: signer" "Lê Văn Ký" "$H"


# Rendered as a person sees it: headless Chromium prints the page to a PDF
# (A4) and a PNG; the PDF's text holds the figures.
CH=(chromium --headless --no-sandbox --disable-gpu --user-data-dir="$TMP/chromium" --no-pdf-header-footer)
check_rc "chromium prints the page to PDF" 0 "${CH[@]}" --print-to-pdf="$TMP/june.pdf" "file://$H"
check_rc "chromium takes a screenshot" 0 "${CH[@]}" --hide-scrollbars --window-size=900,1400 --screenshot="$TMP/june.png" "file://$H"
check "the screenshot is a PNG" "89504e47" "$(head -c 4 "$TMP/june.png" | od -An -tx1 | tr -d ' \n')"
check_grep "the PDF is A4" "/MediaBox \[0 0 594.9[0-9]* 841.9[0-9]*\]" <(strings "$TMP/june.pdf")
pdftotext "$TMP/june.pdf" - | tr '\n' ' ' | tr -s ' ' >"$TMP/june.pdf.txt"
for s in "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" "Độc lập - Tự do - Hạnh phúc" "Phụng Hiệp, ngày 10 tháng 06 năm 2024" \
  "sinh hoạt được 3 cuộc, có 95 người dân tham gia" "Tiếp nhận 9 ý kiến, kiến nghị" "chuyển cấp huyện 2 (đã có kết quả 1)" \
  "đạt 55,56%" "trị giá 1,8 triệu đồng" "nâng tổng số 4 hộ" "Lê Văn Ký" "Nơi nhận:"; do
  check_grep "pdf text: $s" "$s" "$TMP/june.pdf.txt"
done

# --- docx: a Word document LibreOffice opens -------------------------------
X="$TMP/june.docx"
check "docx is a zip" "504b0304" "$(head -c 4 "$X" | od -An -tx1 | tr -d ' \n')"
check "docx parts" "[Content_Types].xml _rels/.rels word/_rels/document.xml.rels word/document.xml word/styles.xml" \
  "$(python3 -c 'import zipfile,sys; print(" ".join(sorted(zipfile.ZipFile(sys.argv[1]).namelist())))' "$X")"
check_rc "docx: document.xml is well-formed XML" 0 python3 -c 'import zipfile,sys,xml.dom.minidom as m; m.parseString(zipfile.ZipFile(sys.argv[1]).read("word/document.xml"))' "$X"
check_rc "libreoffice converts the docx to PDF" 0 soffice -env:UserInstallation="file://$TMP/lo" --headless \
  --convert-to pdf --outdir "$TMP/lo-out" "$X"
# Justified lines make pdftotext split words at odd places: compare without
# spaces.
pdftotext "$TMP/lo-out/june.pdf" - | tr -d ' \n' >"$TMP/docx.txt"
for s in "ỦY BAN NHÂN DÂN HUYỆN PHỤNG HIỆP" "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" "Độc lập - Tự do - Hạnh phúc" \
  "Số: 12/BC-UBND" "Phụng Hiệp, ngày 10 tháng 06 năm 2024" "(số liệu tính đến ngày 10/06/2024)" \
  "sinh hoạt được 3 cuộc, có 95 người dân tham gia (cùng kỳ năm trước: 1 cuộc, 30 người)" \
  "1 cuộc đối thoại (30 người tham dự), 1 buổi tiếp công dân (12 lượt công dân)" \
  "Tiếp nhận 9 ý kiến, kiến nghị (cùng kỳ năm trước: 2); đã trả lời, giải quyết tại cấp xã 3; cấp huyện trả lời, giải quyết 1; chuyển cấp huyện 2 (đã có kết quả 1); đang xử lý 3 (quá hạn 1)." \
  "đạt 55,56% (cùng kỳ năm trước: 50%)" "Phòng Tài nguyên và Môi trường" "=cmd|'/c calc'!A1" \
  "trao 2 phần quà, trị giá 1,8 triệu đồng, 6 lượt tình nguyện viên" "nâng tổng số 4 hộ được thăm hỏi" \
  "- đất đai: 2 (22,22%)" "unknown commune 'atlantis'" "Nơi nhận:" "CHỦ TỊCH" "Lê Văn Ký"; do
  check_grep "docx pdf text: $s" "$(printf '%s' "$s" | tr -d ' ')" "$TMP/docx.txt"
done

finish
