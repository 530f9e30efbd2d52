#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The 15-commune demo: sets everything up, builds, then plays a month of
# "listen to the people" meetings in Phụng Hiệp district. Every commune's
# officer records meetings, petitions, surveys and visits offline; the
# district and Hòa An answer the same escalated petition concurrently; all
# sync while the network drops and comes back; the district prints its
# report and every device's digest is checked against the daemon's.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
B=$PWD/build
OUT=${DEMO_DIR:-$(mktemp -d /tmp/dansync-demo.XXXXXX)}
mkdir -p "$OUT"
DB="$OUT/district.db"
DPID="" PPID_=""
trap '{ [ -n "$PPID_" ] && kill $PPID_; [ -n "$DPID" ] && kill $DPID; } 2>/dev/null || true' EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
D() { "$B/dansyncd" --db "$DB" "$@"; }
C() { local n=$1; shift; "$B/dansync" --db "$OUT/$n.db" "$@"; }
wait_file() { for _ in $(seq 200); do [ -s "$1" ] && return 0; sleep 0.05; done; echo "timed out: $1" >&2; exit 1; }

say "Creating the district store and its TLS certificate"
D init
# The certificate the district signs itself; devices trust it by the pin
# their tokens carry, never by a CA.
D tls init --out "$OUT/tls" --host 127.0.0.1
CRT=$OUT/tls/district.crt
say "District daemon on loopback (TLS), behind a link that drops 2% of packets"
# Started directly (not through D), so $! is the daemon itself.
"$B/dansyncd" --db "$DB" serve --listen 127.0.0.1:0 --port-file "$OUT/daemon.port" \
  --tls-cert "$CRT" --tls-key "$OUT/tls/district.key" 2>"$OUT/daemon.log" &
DPID=$!
wait_file "$OUT/daemon.port"
"$B/tests/faultproxy" --target "127.0.0.1:$(cat "$OUT/daemon.port")" \
  --port-file "$OUT/proxy.port" --seed 2024 --drop 20 --delay-ms 3 &
PPID_=$!
wait_file "$OUT/proxy.port"
# The proxy forwards the TLS bytes untouched.
URL="https://127.0.0.1:$(cat "$OUT/proxy.port")"
echo "daemon $DPID on port $(cat "$OUT/daemon.port"); devices reach it through $URL"

mapfile -t SLUGS < <(tail -n +2 data/phung-hiep-communes.tsv | cut -f1)
mapfile -t NAMES < <(tail -n +2 data/phung-hiep-communes.tsv | cut -f2)
say "Enrolling ${#SLUGS[@]} commune devices and one district device"
# A token carries the commune, the district's key and the certificate's
# pin, so init needs nothing else.
for s in "${SLUGS[@]}"; do
  C "$s" init --server "$URL" --token "$(D enroll --commune "$s" --label "máy xã $s" --tls-cert "$CRT")" >/dev/null
done
TOK=$(D enroll --commune district --label "phòng tiếp dân huyện" --tls-cert "$CRT")
echo "a token, as the district hands it to an officer: $TOK"
C district-officer init --server "$URL" --token "$TOK" >/dev/null
echo "16 one-time tokens issued; each device binds its key on its first sync"

say "A month of work, offline: meetings, petitions, surveys, visits"
CATS=(electricity rural_transport irrigation water agriculture land social_protection health_insurance public_order administrative_procedure housing environment)
TOPICS=("Đường điện ấp %d chập chờn, xin kiểm tra" "Lộ giao thông nông thôn ấp %d xuống cấp" "Kênh thủy lợi ấp %d bị bồi lắng" "Thiếu nước sạch sinh hoạt ở ấp %d" "Giá lúa thấp, xin hỗ trợ giống cho ấp %d" "Tranh chấp ranh đất ở ấp %d" "Xin xét hộ nghèo cho một hộ ở ấp %d" "Thẻ bảo hiểm y tế cấp chậm ở ấp %d" "Trộm vặt về đêm ở ấp %d" "Thủ tục chứng thực còn rườm rà (ấp %d)" "Nhà tạm cần hỗ trợ sửa chữa ở ấp %d" "Rác thải ven kênh ấp %d")
CITIZENS=("Nguyễn Văn An" "Trần Thị Bé" "Lê Văn Cường" "Phạm Thị Dung" "Huỳnh Văn Em" "Võ Thị Giàu" "Đặng Văn Hùng" "Bùi Thị Lan")
RANDOM=2024
work() {
  local s=$1 i m p k id
  for m in 1 2 3; do
    C "$s" meeting add --held-on "2024-0$m-1$m" --hamlet "Ấp $m" --attendees $((30 + RANDOM % 40)) \
      --note "Họp dân tháng $m" >/dev/null
  done
  for i in $(seq 1 14); do
    k=$((RANDOM % ${#CATS[@]}))
    # shellcheck disable=SC2059
    id=$(C "$s" petition add --received-on "2024-0$((1 + i % 5))-0$((1 + i % 9))" --category "${CATS[$k]}" \
          --citizen "${CITIZENS[$((RANDOM % ${#CITIZENS[@]}))]}" --hamlet "Ấp $((1 + i % 4))" \
          --content "$(printf "${TOPICS[$k]}" $((1 + i % 4)))" --due-on "2024-0$((2 + i % 5))-15")
    case $((i % 4)) in
      0) C "$s" petition update "$id" --status answered --response "Xã đã trả lời tại buổi họp" ;;
      1) C "$s" petition update "$id" --status resolved --resolved-on 2024-05-20 ;;
      2) C "$s" petition update "$id" --status in_progress ;;
    esac
  done
  for i in $(seq 1 8); do
    C "$s" survey add --taken-on 2024-05-0$((1 + i % 8)) --service "$(printf '%s\n' civil_registration land social_protection business | sed -n "$((1 + i % 4))p")" \
      --overall $((2 + RANDOM % 4)) --attitude $((3 + RANDOM % 3)) >/dev/null
  done
  for i in 1 2; do
    C "$s" visit add --visited-on "2024-0$((i + 1))-10" --household "Hộ gia đình ${CITIZENS[$((RANDOM % 8))]}" \
      --situation "$(printf '%s\n' policy_family poor_household elderly_alone | sed -n "$((1 + i % 3))p")" \
      --gift-vnd $((500000 * (1 + RANDOM % 3))) --volunteers $((RANDOM % 5)) >/dev/null
  done
}
# Each add confirms itself with its short id on stderr; those lines go to a
# file (a failing add still stops the demo, and its sentence is there too).
for s in "${SLUGS[@]}"; do work "$s" 2>>"$OUT/record.log"; done
echo "$(grep -c "mã ngắn" "$OUT/record.log") records made; their short ids are in $OUT/record.log"
ESC=$(C hoa-an petition add --received-on 2024-03-12 --category land --citizen "Nguyễn Văn Sáu" \
        --content "Đất bị sạt lở do nạo vét kênh, xin huyện xem xét bồi thường" \
        --status escalated --escalated-to "Phòng Tài nguyên và Môi trường huyện" --due-on 2024-04-30)
C hoa-an status | sed -n '1,5p'

say "First sync over the flaky link (some communes are still in the field)"
for s in "${SLUGS[@]:0:10}" district-officer; do
  C "$s" sync --retries 20 --timeout 10 >/dev/null 2>>"$OUT/sync.log" &
done
wait $(jobs -p | grep -v -e "^$DPID\$" -e "^$PPID_\$") 2>/dev/null || true
C hoa-an sync --retries 20 >/dev/null 2>>"$OUT/sync.log"
C district-officer sync --retries 20 >/dev/null 2>>"$OUT/sync.log"
echo "district now holds $(sqlite3 "$DB" 'SELECT count(*) FROM rec') records from $(sqlite3 "$DB" "SELECT count(DISTINCT commune) FROM rec") communes"

say "Hòa An and the district answer the escalated petition at the same time, both offline"
C district-officer petition update "${ESC:0:20}" --status answered --response "Huyện đã khảo sát, sẽ hỗ trợ kè chống sạt lở"
C hoa-an petition update "${ESC:0:20}" --response "Xã đã lập biên bản, chờ huyện"

say "The network goes down"
kill -USR1 "$PPID_"
set +e
C tan-long sync --retries 1 --timeout 3
echo "(exit $? — offline, the queue is kept)"
set -e
C tan-long status | grep "Chưa đồng bộ"

say "The network comes back; every device syncs (retrying through drops)"
kill -USR2 "$PPID_"
for round in 1 2; do
  for s in "${SLUGS[@]}" district-officer; do
    C "$s" sync --retries 30 --timeout 10 >/dev/null 2>>"$OUT/sync.log" &
  done
  wait $(jobs -p | grep -v -e "^$DPID\$" -e "^$PPID_\$") 2>/dev/null || true
done
grep -c retrying "$OUT/sync.log" | xargs printf "(%s retries after dropped connections)\n"
D node list | head -5
echo "... ($(D node list --json | grep -c '"node"') nodes: 16 devices and the district's own)"

say "Conflicts the district should review"
D conflicts list
CID=$(D conflicts list --json | grep -o '"id": "[^"]*"' | head -1 | cut -d'"' -f4)
[ -n "$CID" ] && D conflicts show "$CID"

say "District report, January to May 2024"
D report --from 2024-01-01 --to 2024-05-31

say "Every device's digest against the district's"
bad=0
printf '%-16s %-66s %s\n' device digest equal
for i in "${!SLUGS[@]}"; do
  s=${SLUGS[$i]}
  want=$(D digest --commune "$s")
  got=$(C "$s" digest --commune "$s")
  ok=yes; [ "$want" = "$got" ] || { ok=NO; bad=1; }
  printf '%-16s %-66s %s\n' "$s" "$got" "$ok"
done
want=$(D digest); got=$(C district-officer digest); ok=yes; [ "$want" = "$got" ] || { ok=NO; bad=1; }
printf '%-16s %-66s %s\n' district "$got" "$ok"
D log verify
kill -TERM "$DPID"; wait "$DPID"; DPID=""
echo "daemon stopped cleanly; the demo's files are in $OUT"
[ "$bad" -eq 0 ] && echo "All 16 devices converged with the district." || { echo "DIGEST MISMATCH" >&2; exit 1; }
