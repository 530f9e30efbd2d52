#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The headline sentences of the two seed reports (issue 18), reproduced by
# `dansyncd report` from records entered through the CLIs and synced:
# Phụng Hiệp, first 5 months of 2024 ("sinh hoạt được 51 cuộc, có 2.174
# người dân tham gia", 221 opinions, 218 settled at the commune, 3
# escalated, 15/15 xã, thị trấn) and Cầu Kè (55 meetings, 1.146 attendees,
# 252 opinions, "đạt 100%", 55 gifts worth 26,5 triệu đồng, "nâng tổng số
# 288 hộ").
# usage: it_report_seed.sh DANSYNC DANSYNCD
DANSYNC=$1
DANSYNCD=$2
. "$(dirname "$0")/it_lib.sh"
export TZ=Asia/Ho_Chi_Minh DANSYNC_LANG=vi
on() { local n=$1; shift; "$DANSYNC" --db "$TMP/$n.db" "$@"; }

# --- Phụng Hiệp: 15 communes, one device each ----------------------------
DB="$TMP/phung-hiep.db"
D() { "$DANSYNCD" --db "$DB" "$@"; }
D init --issuer "ỦY BAN NHÂN DÂN HUYỆN PHỤNG HIỆP" >/dev/null
mapfile -t PH < <(tail -n +2 "$(dirname "$0")/../data/phung-hiep-communes.tsv" | cut -f1)
check "15 communes" 15 "${#PH[@]}"
start_daemon "$DB"
for i in "${!PH[@]}"; do
  on "ph$i" init --commune "${PH[$i]}" --server "$URL" --token "$(D enroll --commune "${PH[$i]}")" >/dev/null
done
# Each commune's device enters its share; the devices work side by side (a
# record that failed to go in shows in the figures below).
ph_dev() { # ph_dev I
  local i=$1 m p n
  # 51 meetings: 3 in each commune and 6 more; 50 x 43 + 24 = 2.174 people.
  for m in $(seq "$i" 15 50); do
    n=43; [ "$m" -eq 50 ] && n=24
    on "ph$i" meeting add --held-on "2024-0$((1 + m % 5))-2$((m % 8))" --attendees $n >/dev/null
  done
  # 221 opinions: 218 answered at the commune, 3 escalated to the district.
  for p in $(seq "$i" 15 220); do
    if [ "$p" -lt 3 ]; then
      on "ph$i" petition add --received-on 2024-03-1$p --category land --content "Kiến nghị số $p" \
        --status escalated --escalated-to "Phòng Tài nguyên và Môi trường" >/dev/null
    else
      on "ph$i" petition add --received-on "2024-0$((1 + p % 5))-1$((p % 9))" --category other \
        --content "Ý kiến số $p" --status answered --response "Đã trả lời tại buổi sinh hoạt" >/dev/null
    fi
  done
}
jobs=()
for i in "${!PH[@]}"; do ph_dev "$i" & jobs+=($!); done
wait "${jobs[@]}" # not a bare wait: the daemon is a child too
for i in "${!PH[@]}"; do on "ph$i" sync >/dev/null || bad "sync ph$i"; done
D report --from 01/01/2024 --to 31/05/2024 >"$TMP/ph.txt"
check_grep "Phụng Hiệp: 15/15, 51 meetings, 2.174 people" \
  "15/15 xã, thị trấn tổ chức sinh hoạt \"nghe dân nói\"; sinh hoạt được 51 cuộc, có 2.174 người dân tham gia" "$TMP/ph.txt"
check_grep "Phụng Hiệp: 221 / 218 / 3" \
  "Tiếp nhận 221 ý kiến, kiến nghị (cùng kỳ năm trước: 0); đã trả lời, giải quyết tại cấp xã 218; cấp huyện trả lời, giải quyết 0; chuyển cấp huyện 3 (đã có kết quả 0); đang xử lý 0 (quá hạn 0)." "$TMP/ph.txt"
check "Phụng Hiệp: the 3 escalations listed with their commune's name" 3 \
  "$(grep -c '^   [0-9]) \(xã\|thị trấn\) .*"Kiến nghị số [0-2]"$' "$TMP/ph.txt")"
check_rc "stop" 0 stop_daemon
DPORT=""

# --- Cầu Kè: its own communes --------------------------------------------
printf 'slug\tname\tkind\ncau-ke\tCầu Kè\tthị trấn\nphong-phu\tPhong Phú\txã\nhoa-an\tHòa Ân\txã\n' >"$TMP/cau-ke.tsv"
DB="$TMP/cau-ke.db"
D init --communes "$TMP/cau-ke.tsv" >/dev/null
D enroll --commune cau-ke >"$TMP/t1"
start_daemon "$DB"
on ck0 init --commune cau-ke --server "$URL" --token "$(cat "$TMP/t1")" >/dev/null
on ck1 init --commune phong-phu --server "$URL" --token "$(D enroll --commune phong-phu)" >/dev/null
ck_dev() { # ck_dev K: device K enters every other record
  local k=$1 m p v n st g
  # 55 meetings: 54 x 21 + 12 = 1.146 people.
  for m in $(seq "$k" 2 54); do
    n=21; [ "$m" -eq 54 ] && n=12
    on "ck$k" meeting add --held-on "2024-0$((1 + m % 6))-0$((1 + m % 9))" --attendees $n >/dev/null
  done
  # 252 opinions, every one answered or resolved at the commune: 100%.
  for p in $(seq "$k" 2 251); do
    st=answered; [ $((p % 4)) -lt 2 ] && st=resolved
    on "ck$k" petition add --received-on "2024-0$((1 + p % 6))-1$((p % 9))" --category other \
      --content "Ý kiến số $p" --status $st >/dev/null
  done
  # 55 gifts: 53 x 480.000 + 2 x 530.000 = 26.500.000 đồng; 233 households
  # visited before the period, so the total since records began is 288.
  for v in $(seq "$k" 2 54); do
    g=480000; [ "$v" -ge 53 ] && g=530000
    on "ck$k" visit add --visited-on "2024-0$((1 + v % 6))-2$((v % 8))" --household "Hộ $v" \
      --situation poor_household --gift-vnd $g >/dev/null
  done
  for v in $(seq "$k" 2 232); do
    on "ck$k" visit add --visited-on "2023-0$((1 + v % 9))-1$((v % 9))" --household "Hộ cũ $v" \
      --situation policy_family --gift-vnd 300000 >/dev/null
  done
}
ck_dev 0 &
j0=$!
ck_dev 1 &
wait $j0 $!
for n in ck0 ck1; do on $n sync >/dev/null || bad "sync $n"; done
D report --from 01/01/2024 --to 30/06/2024 >"$TMP/ck.txt"
check_grep "Cầu Kè: 55 meetings, 1.146 people" "sinh hoạt được 55 cuộc, có 1.146 người dân tham gia" "$TMP/ck.txt"
check_grep "Cầu Kè: 252 opinions" "Tiếp nhận 252 ý kiến, kiến nghị" "$TMP/ck.txt"
check_grep "Cầu Kè: đạt 100%" "Kết quả trả lời, giải quyết đạt 100% " "$TMP/ck.txt"
check_grep "Cầu Kè: 55 gifts, 26,5 triệu, 288 households in all" \
  "trao 55 phần quà, trị giá 26,5 triệu đồng, .* nâng tổng số 288 hộ được thăm hỏi" "$TMP/ck.txt"
check_grep "Cầu Kè: its communes" "2/3 xã, thị trấn tổ chức sinh hoạt" "$TMP/ck.txt"
finish
