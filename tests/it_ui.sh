#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The dashboard (DESIGN §13, issue #19) against the real daemon and real
# devices, through curl: no data without a session, CSRF and roles
# enforced (the district digest unchanged by every refused change), a
# clerk's edit reaching a commune device by sync, a conflict resolved,
# logout and idle expiry, the login slow-down, HTML escaping of what people
# typed, a very long petition, asset paths, unknown communes, figures equal
# to `dansyncd report --format json`, and the same over TLS.
# usage: it_ui.sh DANSYNC DANSYNCD
DANSYNC=$1
DANSYNCD=$2
. "$(dirname "$0")/it_lib.sh"
DB="$TMP/district.db"
"$DANSYNCD" --db "$DB" init >/dev/null || bad "init"
for u in quantri:admin lan:clerk xem:viewer; do
  echo "mat-khau-${u%%:*}" | "$DANSYNCD" --db "$DB" user add "${u%%:*}" --role "${u##*:}" >/dev/null ||
    bad "user add $u"
done
check_rc "a short password is refused" 1 sh -c "echo ngan | '$DANSYNCD' --db '$DB' user add ngan --role viewer"
check_rc "a bad role is refused" 1 sh -c "echo mat-khau-dai | '$DANSYNCD' --db '$DB' user add ai --role boss"
check_rc "a user twice is refused" 1 sh -c "echo mat-khau-dai | '$DANSYNCD' --db '$DB' user add lan --role viewer"
"$DANSYNCD" --db "$DB" user list --json >"$TMP/users.json"
check_grep "user list names the clerk" '"name": "lan", "role": "clerk"' "$TMP/users.json"
check_grep "each user has a district node" "user lan" <("$DANSYNCD" --db "$DB" node list)
check "the store stays private" "600" "$(stat -c %a "$DB")"

# Filtered lists from the figures' facts every time (not only when SQL is
# slow to find the page): the filters below check that path.
DANSYNCD_UI_SQL_MS=0 start_daemon "$DB" --ui-listen 127.0.0.1:0 --ui-port-file "$TMP/ui.port"
wait_for "the dashboard to listen" 10 test -s "$TMP/ui.port"
UI="http://127.0.0.1:$(cat "$TMP/ui.port")"

# A dashboard port already taken: serve goes on serving syncs without it.
"$DANSYNCD" --db "$TMP/other.db" init >/dev/null || bad "init other"
"$DANSYNCD" --db "$TMP/other.db" serve --listen 127.0.0.1:0 --port-file "$TMP/other.port" \
  --ui-listen "127.0.0.1:$(cat "$TMP/ui.port")" 2>"$TMP/other.log" &
OPID=$!
wait_for "the second daemon to listen" 10 test -s "$TMP/other.port"
check "a taken dashboard port does not stop syncs" ok \
  "$(curl -s "http://127.0.0.1:$(cat "$TMP/other.port")/v1/health")"
check_grep "the taken dashboard port is logged" "serving syncs without the dashboard" "$TMP/other.log"
kill -TERM "$OPID"
wait "$OPID" || bad "the second daemon exits 0"

# --- two devices of hòa an with petitions that try to break the page ---
for d in a b; do
  tok=$("$DANSYNCD" --db "$DB" enroll --commune hoa-an)
  "$DANSYNC" --db "$TMP/$d.db" init --commune hoa-an --server "$URL" --token "$tok" >/dev/null || bad "init $d"
done
EVIL='<script>alert("x")</script> O'"'"'Brien & "Ba"'
P1=$("$DANSYNC" --db "$TMP/a.db" petition add --received-on 2024-05-01 --category electricity \
  --citizen "$EVIL" --hamlet "Ấp <b>1</b>" --content "Đường điện xuống cấp	cần sửa
dòng hai <img src=x onerror=alert(1)>" | head -1 | cut -c1-32)
LONG=$(head -c 3970 /dev/zero | tr '\0' 'x')
P2=$("$DANSYNC" --db "$TMP/a.db" petition add --received-on 2024-05-02 --category water \
  --citizen "Nguyễn Văn Bình" --content "Nước sinh hoạt ${LONG}KETTHUC" | head -1 | cut -c1-32)
"$DANSYNC" --db "$TMP/a.db" meeting add --held-on 2024-05-01 --attendees 40 >/dev/null || bad "meeting"
check_rc "device a syncs" 0 "$DANSYNC" --db "$TMP/a.db" sync
check_rc "device b syncs" 0 "$DANSYNC" --db "$TMP/b.db" sync
check "the ids are whole" "32 32" "${#P1} ${#P2}"

# get PATH [curl args]: the status, the body in $TMP/body.
get() {
  local p=$1
  shift
  curl -s -o "$TMP/body" -w '%{http_code}' "$@" "$UI$p"
}
# login USER PASSWORD JAR: the status of POST /login.
login() {
  curl -s -o "$TMP/body" -D "$TMP/head" -c "$3" -w '%{http_code}' \
    --data-urlencode "user=$1" --data-urlencode "password=$2" "$UI/login"
}
csrf_of() { get /api/me -b "$1" >/dev/null; sed -n 's/.*"csrf": "\([0-9a-f]*\)".*/\1/p' "$TMP/body"; }
digest() { "$DANSYNCD" --db "$DB" digest; }

# --- no session: the login page or 401, never data ---
PAGES="/ /petitions /petitions/$P1 /conflicts /report /report/html /report/csv
/report/docx /devices /users /log /communes/hoa-an /nope"
APIS="/api/overview /api/petitions /api/petitions/$P1 /api/conflicts /api/report
/api/devices /api/users /api/log /api/me /api/communes/hoa-an"
for p in $PAGES; do
  check "GET $p without a session" 401 "$(get "$p")"
  check_grep "GET $p without a session shows the login form" 'action="/login"' "$TMP/body"
  if grep -q "Brien\|Bình\|hoa-an" "$TMP/body"; then bad "GET $p without a session shows data"; else ok; fi
done
for p in $APIS; do
  check "GET $p without a session" 401 "$(get "$p")"
  check_grep "GET $p without a session is a JSON error" '"error": "unauthorized"' "$TMP/body"
done
for p in "/petitions/$P1" /conflicts/resolve /devices/revoke /logout "/api/petitions/$P1"; do
  check "POST $p without a session" 401 "$(get "$p" -d status=answered)"
done
check "a forged cookie is no session" 401 "$(get / -b "ds_session=$(printf '%064d' 0)")"

# --- logging in ---
check "a wrong password" 401 "$(login lan sai-mat-khau "$TMP/jar.x")"
check_grep "a wrong password says so" "Sai tên đăng nhập hoặc mật khẩu" "$TMP/body"
check "an unknown user" 401 "$(login khongco mat-khau-lan "$TMP/jar.x")"
check "the clerk logs in" 303 "$(login lan mat-khau-lan "$TMP/jar.lan")"
check_grep "the cookie is HttpOnly and SameSite=Strict" \
  "Set-Cookie: ds_session=[0-9a-f]\{64\}; Path=/; HttpOnly; SameSite=Strict" "$TMP/head"
check "the viewer logs in" 303 "$(login xem mat-khau-xem "$TMP/jar.xem")"
check "the admin logs in" 303 "$(login quantri mat-khau-quantri "$TMP/jar.adm")"
CSRF=$(csrf_of "$TMP/jar.lan")
check "the clerk has a CSRF token" 64 "${#CSRF}"

# --- every page, as each role, escapes what people typed ---
for jar in lan xem adm; do
  for p in $PAGES "/petitions?q=%1b%5b2J%3Cscript%3E" "/petitions?commune=hoa-an&q=brien"; do
    code=$(get "$p" -b "$TMP/jar.$jar")
    case "$p:$jar" in
      /users:lan | /users:xem) check "$jar: GET $p is refused" 403 "$code" ;;
      /nope:*) check "$jar: GET $p" 404 "$code" ;;
      *) check "$jar: GET $p" 200 "$code" ;;
    esac
    [ "$p" = /report/docx ] && continue # a zip: no markup, binary bytes
    if grep -q '<script>alert\|<img src=x\|<b>1</b>' "$TMP/body"; then
      bad "$jar: $p shows typed markup unescaped"
    else ok; fi
    if grep -q "$(printf '\033')" "$TMP/body"; then bad "$jar: $p echoes a raw control character"; else ok; fi
  done
done
get "/petitions/$P1" -b "$TMP/jar.lan" >/dev/null
check_grep "the citizen's name is shown as text" '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; O&#39;Brien &amp; &quot;Ba&quot;' "$TMP/body"
check_grep "the content's tab and newline stay" "$(printf 'xuống cấp\tcần sửa')" "$TMP/body"
get "/petitions?q=%1b%5b2J" -b "$TMP/jar.lan" >/dev/null
check_grep "a control character typed into a filter is shown escaped" 'value="\\x1b\[2J"' "$TMP/body"
check "a very long petition" 200 "$(get "/petitions/$P2" -b "$TMP/jar.xem")"
check_grep "a very long petition is shown whole" "${LONG}KETTHUC" "$TMP/body"
check "the list finds it without diacritics, by prefix" 200 "$(get "/api/petitions?q=nguyen+van+bin" -b "$TMP/jar.xem")"
check_grep "the search found Nguyễn Văn Bình" "\"id\": \"$P2\"" "$TMP/body"
get "/api/petitions?q=dien" -b "$TMP/jar.xem" >/dev/null
check_grep "\"dien\" finds \"điện\"" "\"id\": \"$P1\"" "$TMP/body"
get "/api/petitions?category=water&commune=hoa-an" -b "$TMP/jar.xem" >/dev/null
if grep -q "$P1" "$TMP/body"; then bad "the category filter let another category through"; else ok; fi
check_grep "the category filter finds its petition" "\"id\": \"$P2\"" "$TMP/body"
get "/api/petitions?hamlet=%E1%BA%A4p+%3Cb%3E1%3C%2Fb%3E" -b "$TMP/jar.xem" >/dev/null
check_grep "the hamlet filter finds its petition" "\"id\": \"$P1\"" "$TMP/body"
if grep -q "$P2" "$TMP/body"; then bad "the hamlet filter let another hamlet through"; else ok; fi
check "a filter on a commune without petitions" '{"page": 1, "petitions": [], "more": false}' \
  "$(get "/api/petitions?category=water&commune=bung-tau" -b "$TMP/jar.xem" >/dev/null; tr -d '\n' <"$TMP/body")"

# --- figures and filters follow the store: what a device synced since the
# last page is counted at once (the dashboard keeps the figures' facts only
# while the store is unchanged) ---
received() { # received PATH: the period's received count of an API answer
  get "$1" -b "$TMP/jar.xem" >/dev/null
  grep -o '"received": [0-9]*' "$TMP/body" | head -1 | grep -o '[0-9]*$'
}
R0=$(received "/api/overview?from=2024-01-01&to=2024-12-31")
get "/api/petitions?category=water&overdue=1" -b "$TMP/jar.xem" >/dev/null
P3=$("$DANSYNC" --db "$TMP/b.db" petition add --received-on 2024-06-01 --category water \
  --due-on 2024-06-15 --content "Giếng nước nhiễm phèn" | head -1 | cut -c1-32)
check_rc "device b syncs a new petition" 0 "$DANSYNC" --db "$TMP/b.db" sync
check "the overview counts it at once" "$((R0 + 1))" "$(received "/api/overview?from=2024-01-01&to=2024-12-31")"
check "the commune's overview too" "$((R0 + 1))" "$(received "/api/communes/hoa-an?from=2024-01-01&to=2024-12-31")"
get "/api/petitions?category=water&overdue=1" -b "$TMP/jar.xem" >/dev/null
check_grep "a filtered list shows it at once" "\"id\": \"$P3\"" "$TMP/body"
# The daemon's writer, idle again, takes the synced petition into the search
# index on its own (no CLI search ran); the dashboard's search finds it.
indexed() { [ "$(sqlite3 "$DB" "SELECT count(*) FROM search WHERE search MATCH '$1'")" = 1 ]; }
wait_for "the idle writer to index the synced petition" 20 indexed phen
get "/api/petitions?q=nhiem+phen" -b "$TMP/jar.xem" >/dev/null
check_grep "the dashboard's search finds the synced petition" "\"id\": \"$P3\"" "$TMP/body"
check "a bad status filter" 400 "$(get "/petitions?status=xyz" -b "$TMP/jar.xem")"

# --- assets and unknown places ---
check "the stylesheet" 200 "$(get /assets/app.css)"
check "the script" 200 "$(get /assets/app.js)"
check "a path out of the assets" 404 "$(get /assets/../../etc/passwd --path-as-is -b "$TMP/jar.lan")"
check "an encoded path out of the assets" 404 "$(get /assets/%2e%2e/%2e%2e/etc/passwd --path-as-is)"
if grep -q "root:" "$TMP/body"; then bad "an asset path read a file"; else ok; fi
check "an unknown commune" 404 "$(get /communes/khong-co -b "$TMP/jar.xem")"
check "an unknown commune in the API" 404 "$(get /api/communes/khong-co -b "$TMP/jar.xem")"
check "an unknown petition" 404 "$(get /petitions/00000000deadbeef -b "$TMP/jar.xem")"

# --- changes refused change nothing ---
D0=$(digest)
check "POST without a CSRF token" 403 "$(get "/petitions/$P1" -b "$TMP/jar.lan" -d status=answered)"
check "POST with a wrong CSRF token" 403 "$(get "/petitions/$P1" -b "$TMP/jar.lan" -d "csrf=$(printf '%064d' 1)&status=answered")"
check "POST with another session's CSRF token" 403 "$(get "/petitions/$P1" -b "$TMP/jar.lan" -d "csrf=$(csrf_of "$TMP/jar.xem")&status=answered")"
VCSRF=$(csrf_of "$TMP/jar.xem")
check "a viewer's edit" 403 "$(get "/petitions/$P1" -b "$TMP/jar.xem" -d "csrf=$VCSRF&status=answered")"
check "a viewer's resolve" 403 "$(get /conflicts/resolve -b "$TMP/jar.xem" -d "csrf=$VCSRF&id=$P1:response&keep=winner")"
check "a clerk's revoke" 403 "$(get /devices/revoke -b "$TMP/jar.lan" -d "csrf=$CSRF&node=$(printf '%032d' 0)")"
check "a due date that is no date" 400 "$(get "/petitions/$P1" -b "$TMP/jar.lan" -d "csrf=$CSRF&due_on=31/02/2024")"
check_grep "the bad date is named" "Hạn giải quyết" "$TMP/body"
check "the district digest is unchanged by refused changes" "$D0" "$(digest)"

# --- a clerk's edit reaches the device ---
check "the clerk's edit" 303 "$(get "/petitions/$P1" -b "$TMP/jar.lan" \
  --data-urlencode "csrf=$CSRF" --data-urlencode status=answered \
  --data-urlencode "response=Đã báo điện lực <sửa> ngay")"
if [ "$(digest)" != "$D0" ]; then ok; else bad "the clerk's edit changed nothing"; fi
D1=$(digest)
check "a status moving down" 400 "$(get "/petitions/$P1" -b "$TMP/jar.lan" -d "csrf=$CSRF&status=received")"
check "a refused edit changes nothing" "$D1" "$(digest)"
check_rc "device a syncs the edit" 0 "$DANSYNC" --db "$TMP/a.db" sync
"$DANSYNC" --db "$TMP/a.db" petition show "$P1" --json >"$TMP/p1.json"
check_grep "the device sees the new status" "\"answered\"" "$TMP/p1.json"
check_grep "the device sees the response" 'Đã báo điện lực <sửa> ngay' "$TMP/p1.json"
get "/api/petitions/$P1" -b "$TMP/jar.xem" >/dev/null
check_grep "the history names the clerk" '"device": "user lan"' "$TMP/body"
check "the district and the device agree" "$(digest | head -c 64)" \
  "$("$DANSYNCD" --db "$DB" digest --commune hoa-an | head -c 64)"
check "the device's digest equals the district's" "$("$DANSYNCD" --db "$DB" digest --commune hoa-an)" \
  "$("$DANSYNC" --db "$TMP/a.db" digest)"

# --- a conflict, side by side, resolved ---
check_rc "device b pulls" 0 "$DANSYNC" --db "$TMP/b.db" sync
"$DANSYNC" --db "$TMP/a.db" petition update "$P2" --response "Trả lời của A" >/dev/null || bad "update a"
"$DANSYNC" --db "$TMP/b.db" petition update "$P2" --response "Trả lời của B" >/dev/null || bad "update b"
"$DANSYNC" --db "$TMP/a.db" sync >/dev/null
"$DANSYNC" --db "$TMP/b.db" sync >/dev/null
check "the conflicts page" 200 "$(get /conflicts -b "$TMP/jar.xem")"
check_grep "the conflict shows A's value" "Trả lời của A" "$TMP/body"
check_grep "the conflict shows B's value" "Trả lời của B" "$TMP/body"
if grep -q 'action="/conflicts/resolve"' "$TMP/body"; then bad "a viewer is offered resolve"; else ok; fi
get /conflicts -b "$TMP/jar.lan" >/dev/null
KEEP=$(grep -o 'name="keep" value="[0-9a-f:]*"' "$TMP/body" | head -1 | sed 's/.*value="//; s/"//')
check "the clerk resolves" 303 "$(get /conflicts/resolve -b "$TMP/jar.lan" -d "csrf=$CSRF&id=$P2:response&keep=$KEEP")"
check "no conflict is left" "[]" "$(get /api/conflicts -b "$TMP/jar.lan" >/dev/null; tr -d ' \n' <"$TMP/body")"

# --- figures equal the report's ---
get "/api/report?from=2024-01-01&to=2024-12-31" -b "$TMP/jar.xem" >/dev/null
"$DANSYNCD" --db "$DB" report --from 2024-01-01 --to 2024-12-31 --format json >"$TMP/report.json"
if cmp -s "$TMP/body" "$TMP/report.json"; then ok; else bad "the dashboard's figures differ from report --format json"; fi
check "the printable report" 200 "$(get "/report/html?from=2024-01-01&to=2024-12-31" -b "$TMP/jar.xem")"
check_grep "the printable report is the official layout" "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" "$TMP/body"
get "/report/csv?from=2024-01-01&to=2024-12-31" -b "$TMP/jar.xem" -D "$TMP/head" >/dev/null
check_grep "the csv is a download" "Content-Disposition: attachment" "$TMP/head"

# --- devices: an admin revokes ---
NODE_B=$("$DANSYNC" --db "$TMP/b.db" status | grep -o '[0-9a-f]\{32\}' | head -1)
ACSRF=$(csrf_of "$TMP/jar.adm")
check "the admin sees the users" 200 "$(get /api/users -b "$TMP/jar.adm")"
check "the admin revokes a device" 303 "$(get /devices/revoke -b "$TMP/jar.adm" -d "csrf=$ACSRF&node=$NODE_B")"
check_rc "the revoked device is refused" 4 "$DANSYNC" --db "$TMP/b.db" sync

# --- a removed user's session ends at once ---
check "the viewer reads" 200 "$(get / -b "$TMP/jar.xem")"
"$DANSYNCD" --db "$DB" user remove xem >/dev/null || bad "user remove"
check "a removed user's session is refused" 401 "$(get / -b "$TMP/jar.xem")"
check "a removed user's node is revoked" 1 "$(sqlite3 "$DB" "SELECT count(*) FROM node WHERE label = 'user xem' AND revoked_ms > 0")"

# --- logout ---
cp "$TMP/jar.lan" "$TMP/jar.old"
check "logout" 303 "$(get /logout -b "$TMP/jar.lan" -d "csrf=$CSRF")"
check "the cookie after logout" 401 "$(get / -b "$TMP/jar.old")"
check "the API after logout" 401 "$(get /api/me -b "$TMP/jar.old")"

# --- guessing passwords is slowed, the account is not locked ---
n429=0
for i in $(seq 20); do
  c=$(login quantri "doan-sai-$i" "$TMP/jar.g")
  [ "$c" = 429 ] && n429=$((n429 + 1))
done
if [ "$n429" -ge 10 ]; then ok; else bad "20 guesses: only $n429 were slowed"; fi
# The first wait is 1 s, and a loaded machine can let it end between two
# commands. Each wrong guess the daemon hashes once a wait has ended
# doubles the next, so guess on until the daemon asks for 8 s: the checks
# below then fall well inside a wait.
retry_after() { sed -n 's/^Retry-After: \([0-9]*\).*/\1/p' "$TMP/head"; }
long_wait() {
  [ "$(login quantri doan-sai "$TMP/jar.g")" = 429 ] && [ "$(retry_after)" -ge 8 ]
}
wait_for "a wait of 8 s" 60 long_wait
check "the right password waits too while slowed" 429 "$(login quantri mat-khau-quantri "$TMP/jar.g")"
check_grep "the wait is said in Vietnamese" "thử lại sau [0-9] giây" "$TMP/body"
wait_for "the admin to log in after the wait" 30 sh -c \
  "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --data 'user=quantri&password=mat-khau-quantri' '$UI/login')\" = 303 ]"
check "the daemon still serves syncs" 0 "$(curl -s -o /dev/null -w '%{http_code}' "$URL/v1/health" | grep -c -v 200)"
stop_daemon || bad "serve exits 0"

# --- idle expiry (shortened for the test) ---
# 6 s: long enough that the login and first read (Argon2id, on a loaded
# machine) fall well inside it, short enough to wait out.
DANSYNCD_UI_IDLE_MS=6000 start_daemon "$DB" --ui-listen 127.0.0.1:0 --ui-port-file "$TMP/ui.port2"
wait_for "the dashboard to listen" 10 test -s "$TMP/ui.port2"
UI="http://127.0.0.1:$(cat "$TMP/ui.port2")"
check "log in again" 303 "$(login lan mat-khau-lan "$TMP/jar.idle")"
check "a fresh session reads" 200 "$(get / -b "$TMP/jar.idle")"
# Every request renews the session, so the wait is on the clock alone.
END=$(($(date +%s%3N) + 6100))
wait_for "6.1 s to pass" 15 sh -c "[ \$(date +%s%3N) -gt $END ]"
check "the session after its idle time" 401 "$(get / -b "$TMP/jar.idle")"
stop_daemon || bad "serve exits 0"

# --- over TLS: the same certificate, a __Host- Secure cookie ---
# Made for the district's LAN name only: the loopback names come with it,
# so a browser on the server itself accepts the dashboard's default address.
"$DANSYNCD" tls init --out "$TMP/tls" --host huyen.lan >/dev/null || bad "tls init"
CERT=$(ls "$TMP"/tls/*.crt "$TMP"/tls/cert.pem 2>/dev/null | head -1)
KEY=$(ls "$TMP"/tls/*.key "$TMP"/tls/key.pem 2>/dev/null | head -1)
openssl x509 -in "$CERT" -noout -ext subjectAltName >"$TMP/san"
for n in "DNS:huyen.lan" "DNS:localhost" "IP Address:127.0.0.1" "IP Address:0:0:0:0:0:0:0:1"; do
  check_grep "the certificate names $n" "$n" "$TMP/san"
done
start_daemon "$DB" --tls-cert "$CERT" --tls-key "$KEY" --ui-listen 127.0.0.1:0 --ui-port-file "$TMP/ui.port3"
wait_for "the dashboard to listen" 10 test -s "$TMP/ui.port3"
UI="https://127.0.0.1:$(cat "$TMP/ui.port3")"
check "login over TLS" 303 "$(curl -s --cacert "$CERT" -o /dev/null -w '%{http_code}' -D "$TMP/head" -c "$TMP/jar.tls" \
  --data 'user=lan&password=mat-khau-lan' "$UI/login")"
check_grep "the TLS cookie is __Host- and Secure" "Set-Cookie: __Host-ds_session=[0-9a-f]\{64\}; Path=/; HttpOnly; SameSite=Strict; Secure" "$TMP/head"
check "a page over TLS" 200 "$(curl -s --cacert "$CERT" -o /dev/null -w '%{http_code}' -b "$TMP/jar.tls" "$UI/")"
check "the dashboard as https://localhost" 200 "$(curl -s --cacert "$CERT" -o /dev/null -w '%{http_code}' \
  --resolve "localhost:$(cat "$TMP/ui.port3"):127.0.0.1" "https://localhost:$(cat "$TMP/ui.port3")/login")"
check "the dashboard as its LAN name" 200 "$(curl -s --cacert "$CERT" -o /dev/null -w '%{http_code}' \
  --resolve "huyen.lan:$(cat "$TMP/ui.port3"):127.0.0.1" "https://huyen.lan:$(cat "$TMP/ui.port3")/login")"
check "plain HTTP on the TLS port fails" 000 "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$(cat "$TMP/ui.port3")/")"
stop_daemon || bad "serve exits 0"

# --- --no-ui ---
rm -f "$TMP/ui.port4"
start_daemon "$DB" --no-ui --ui-listen 127.0.0.1:0 --ui-port-file "$TMP/ui.port4"
if [ -e "$TMP/ui.port4" ]; then bad "--no-ui still served the dashboard"; else ok; fi
stop_daemon || bad "serve exits 0"
finish
