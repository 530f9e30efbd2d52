#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The dashboard in headless chromium (tests/browser/ui.test.js) against the
# real daemon, with a commune's device and a conflict to resolve.
# Screenshots and the printed report are kept in OUT_DIR.
# usage: it_browser.sh DANSYNC DANSYNCD OUT_DIR
DANSYNC=$1
DANSYNCD=$2
OUT=$3
. "$(dirname "$0")/it_lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
if [ ! -d "$HERE/browser/node_modules/puppeteer-core" ]; then
  bad "puppeteer-core is not installed: run scripts/setup.sh (npm install in tests/browser)"
  finish
  exit 1
fi
DB="$TMP/district.db"
"$DANSYNCD" --db "$DB" init >/dev/null || bad "init"
echo mat-khau-lan | "$DANSYNCD" --db "$DB" user add lan --role clerk >/dev/null || bad "user add"
start_daemon "$DB" --ui-listen 127.0.0.1:0 --ui-port-file "$TMP/ui.port"
wait_for "the dashboard to listen" 10 test -s "$TMP/ui.port"
for d in a b; do
  "$DANSYNC" --db "$TMP/$d.db" init --commune hoa-an --server "$URL" \
    --token "$("$DANSYNCD" --db "$DB" enroll --commune hoa-an)" >/dev/null || bad "init $d"
done
P1=$("$DANSYNC" --db "$TMP/a.db" petition add --received-on 2024-05-01 --category electricity \
  --citizen "Trần Thị <b>Cúc</b>" --hamlet "Ấp Mỹ Hiệp" \
  --content "Đường điện ấp xuống cấp, mất điện nhiều lần trong tháng." | head -1 | cut -c1-32)
P2=$("$DANSYNC" --db "$TMP/a.db" petition add --received-on 2024-03-12 --category water \
  --citizen "Nguyễn Văn Bình" --hamlet "Ấp Hòa Lợi" \
  --content "Nước sinh hoạt bị đục vào mùa khô; đề nghị kiểm tra trạm cấp nước." | head -1 | cut -c1-32)
"$DANSYNC" --db "$TMP/a.db" petition add --received-on 2024-04-20 --category rural_transport \
  --citizen "Lê Văn Tư" --content "Cầu khỉ ấp Mỹ Hiệp cần thay bằng cầu bê tông." --due-on 2024-06-30 >/dev/null
for m in 01 02 03 04 05; do
  "$DANSYNC" --db "$TMP/a.db" meeting add --held-on 2024-$m-15 --attendees $((30 + 10#$m * 7)) >/dev/null || bad "meeting"
done
"$DANSYNC" --db "$TMP/a.db" sync >/dev/null || bad "sync a"
"$DANSYNC" --db "$TMP/b.db" sync >/dev/null || bad "sync b"
"$DANSYNC" --db "$TMP/a.db" petition update "$P2" --response "Đã báo trạm cấp nước." >/dev/null
"$DANSYNC" --db "$TMP/b.db" petition update "$P2" --response "Hẹn kiểm tra trong tuần." >/dev/null
"$DANSYNC" --db "$TMP/a.db" sync >/dev/null || bad "sync a"
"$DANSYNC" --db "$TMP/b.db" sync >/dev/null || bad "sync b"
mkdir -p "$OUT"
if node "$HERE/browser/ui.test.js" "http://127.0.0.1:$(cat "$TMP/ui.port")" "$OUT" "$P1"; then
  ok
else
  bad "the browser test (screenshots in $OUT)"
fi
check_rc "device a syncs the clerk's edit" 0 "$DANSYNC" --db "$TMP/a.db" sync
"$DANSYNC" --db "$TMP/a.db" petition show "$P1" --json >"$TMP/p1.json"
check_grep "the edit made in the browser reached the device" "Điện lực đã sửa xong" "$TMP/p1.json"
stop_daemon || bad "serve exits 0"
finish
