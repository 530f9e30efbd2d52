#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The real dansync on weak links and against servers it must not trust
# (issue 15): a server that accepts and never answers, --retries counted at
# the proxy, a thin pipe that needs smaller batches, the progress line's
# final figures, proxies from the environment, and TLS pins and CA files
# against openssl s_server with a certificate made here.
# usage: it_weak.sh DANSYNC DANSYNCD FAULTPROXY FILLOPS
DANSYNC=$1
DANSYNCD=$2
FAULTPROXY=$3
FILLOPS=$4
. "$(dirname "$0")/it_lib.sh"
C() { "$DANSYNC" "$@"; }
PPIDS=()
stop_helpers() {
  local p
  for p in "${PPIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  PPIDS=()
}
trap 'stop_helpers; cleanup' EXIT
queued() { C --db "$1" status --json | grep -o '"queued": [0-9]*' | grep -o '[0-9]*$'; }
now_ms() { date +%s%3N; }
# settled N COMMAND...: COMMAND's count once it has reached N (waited for,
# up to 10 s: another process, a proxy or s_server, writes what it counts
# and may not have yet when the client exits), so a check of it for N
# fails on more, and on fewer only after the wait.
at_least() { local n=$1; shift; [ "$("$@")" -ge "$n" ]; }
settled() { wait_for "a count of $1" 10 at_least "$@"; shift; "$@"; }
lines() { wc -l <"$1"; }
posts() { grep -a -c 'POST /v1/sync HTTP/1.1' "$1"; }
# start_proxy NAME args...: sets PPORT.
start_proxy() {
  local name=$1
  shift
  "$FAULTPROXY" --port-file "$TMP/$name.port" "$@" &
  PPIDS+=($!)
  wait_for "the $name proxy to listen" 10 test -s "$TMP/$name.port"
  PPORT=$(cat "$TMP/$name.port")
}

"$DANSYNCD" --db "$TMP/district.db" init >/dev/null || bad "dansyncd init"
start_daemon "$TMP/district.db"
DEV="$TMP/dev.db"
TOKEN=$("$DANSYNCD" --db "$TMP/district.db" enroll --commune hoa-an)
check_rc "init" 0 C --db "$DEV" init --commune hoa-an --server "$URL" --token "$TOKEN"
check_rc "first sync enrols" 0 C --db "$DEV" sync
"$FILLOPS" "$DEV" 40 || bad "fillops 40"
DIGEST=$(C --db "$DEV" digest)

# --- a server that accepts the connection and never answers ---
start_proxy silent --target "127.0.0.1:$DPORT" --silent 1 --log "$TMP/silent.log"
SILENT=$PPORT
check_rc "set-server to the silent one keeps the queue" 0 C --db "$DEV" set-server "http://127.0.0.1:$SILENT"
check "queue kept by set-server" 40 "$(queued "$DEV")"
t0=$(now_ms)
check_rc "silent server: exit 3" 3 C --db "$DEV" sync --retries 0 --timeout 2
t1=$(now_ms)
echo "silent server given up on after $((t1 - t0)) ms (--timeout 2)"
# At least the 2 s; at most 15 s, far from the default 30 s, with room for
# a loaded machine's start-up.
if [ $((t1 - t0)) -ge 1900 ] && [ $((t1 - t0)) -lt 15000 ]; then ok; else
  bad "silent server: took $((t1 - t0)) ms, expected 2 s (less than 15 s)"; fi
check_grep "silent server: says it did not answer" "did not answer within 2 s" "$TMP/err"
check_grep "silent server: offline, nothing lost" "40 ops stay queued" "$TMP/err"
check "silent server: one connection" 1 "$(settled 1 lines "$TMP/silent.log")"
check "silent server: queue intact" 40 "$(queued "$DEV")"
check "silent server: store unchanged" "$DIGEST" "$(C --db "$DEV" digest)"

# --- --retries N makes exactly N + 1 attempts, with and without --wait ---
: >"$TMP/silent.log"
check_rc "--retries 2: exit 3" 3 C --db "$DEV" sync --retries 2 --timeout 1
check "--retries 2: exactly 3 attempts" 3 "$(settled 3 lines "$TMP/silent.log")"
check "--retries 2: two retries announced" 2 "$(grep -c 'retrying' "$TMP/err")"
: >"$TMP/silent.log"
check_rc "--wait --retries 1: exit 3" 3 C --db "$DEV" sync --wait --retries 1 --timeout 1
check "--wait --retries 1: exactly 2 attempts" 2 "$(settled 2 lines "$TMP/silent.log")"

# --- proxies from the environment are honoured (HTTPS_PROXY further down) ---
check_rc "set-server back to the daemon" 0 C --db "$DEV" set-server "$URL"
: >"$TMP/silent.log"
check_rc "http_proxy is used: the silent proxy never answers" 3 env http_proxy="http://127.0.0.1:$SILENT" \
  "$DANSYNC" --db "$DEV" sync --retries 0 --timeout 1
check "http_proxy: the proxy got the connection" 1 "$(settled 1 lines "$TMP/silent.log")"
check_rc "NO_PROXY bypasses it: the daemon is reached" 0 env http_proxy="http://127.0.0.1:$SILENT" \
  NO_PROXY=127.0.0.1 "$DANSYNC" --db "$DEV" sync --retries 0 --timeout 5
check "NO_PROXY: the proxy saw nothing more" 1 "$(wc -l <"$TMP/silent.log")"
check "NO_PROXY: the 40 ops went" 0 "$(queued "$DEV")"

# --- a thin pipe: the batches shrink until they fit, then the queue drains ---
# 2,000 ops (~580 KB) at 16 KB/s with --timeout 3 stand for a 3G link of
# 8 KB/s with the default 30 s; 500-op batches cannot finish in time (10
# retries, not 3: a loaded machine may make a batch that fits miss too).
"$FILLOPS" "$DEV" 2000 || bad "fillops 2000"
check "2,000 ops queued" 2000 "$(queued "$DEV")"
start_proxy thin --target "127.0.0.1:$DPORT" --bw 16384
check_rc "set-server to the thin pipe" 0 C --db "$DEV" set-server "http://127.0.0.1:$PPORT"
t0=$(now_ms)
script -qec "$DANSYNC --db $DEV sync --timeout 3 --retries 10" /dev/null >"$TMP/thin.tty" 2>&1
rc=$?
t1=$(now_ms)
echo "2,000 ops through 16 KB/s in $((t1 - t0)) ms"
check "thin pipe: the sync gets through" 0 "$rc"
tr '\r' '\n' <"$TMP/thin.tty" >"$TMP/thin.txt"
check_grep "thin pipe: batches were halved" "retrying with smaller batches" "$TMP/thin.txt"
echo "thin pipe: $(grep -c 'retrying with smaller batches' "$TMP/thin.txt") rounds timed out and halved their batch"
check "thin pipe: nothing left queued" 0 "$(queued "$DEV")"
check "thin pipe: device digest = district digest" \
  "$("$DANSYNCD" --db "$TMP/district.db" digest --commune hoa-an)" "$(C --db "$DEV" digest --commune hoa-an)"
# The progress line ends at the true figures (it was left at "pushed 0/N").
last=$(grep -o 'sync: pushed [0-9]*/[0-9]* ops, pulled [0-9]* ops' "$TMP/thin.txt" | tail -1)
check "progress line ends at the true figures" "sync: pushed 2000/2000 ops, pulled 0 ops" "$last"
check_grep "the summary agrees" "Synced: pushed 2000 ops" "$TMP/thin.txt"

# --- TLS: pins and CA files against openssl s_server ---
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null || bad "openssl req"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj /CN=other -keyout "$TMP/okey.pem" -out "$TMP/other.pem" 2>/dev/null || bad "openssl req other"
pin_of() {
  echo "sha256//$(openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform der |
    openssl dgst -sha256 -binary | base64)"
}
PIN=$(pin_of "$TMP/cert.pem")
OPIN=$(pin_of "$TMP/other.pem")
check "pins differ" 1 "$([ "$PIN" != "$OPIN" ] && echo 1)"
# s_server prints what the client sends and never answers (its stdin, an
# open fifo, has nothing to say).
mkfifo "$TMP/fifo"
exec 7<>"$TMP/fifo"
openssl s_server -accept 127.0.0.1:0 -cert "$TMP/cert.pem" -key "$TMP/key.pem" \
  -alpn http/1.1 <&7 >"$TMP/tls.out" 2>&1 &
PPIDS+=($!)
wait_for "s_server to listen" 10 grep -q '^ACCEPT' "$TMP/tls.out"
TLSPORT=$(grep -o '^ACCEPT .*' "$TMP/tls.out" | grep -o '[0-9]*$')
TLSURL="https://127.0.0.1:$TLSPORT"
"$FILLOPS" "$DEV" 5 || bad "fillops 5"
DIGEST=$(C --db "$DEV" digest)

check_rc "a pin needs https" 1 C --db "$DEV" set-server "$URL" --pin "$PIN"
check_rc "a malformed pin is refused" 1 C --db "$DEV" set-server "$TLSURL" --pin "sha256//short"
check_grep "the pin's form is named" "sha256//<44 base64" "$TMP/err"
check_rc "pin and cacert together are refused" 1 C --db "$DEV" set-server "$TLSURL" --pin "$PIN" --cacert "$TMP/cert.pem"
check_rc "plain http to another machine is refused" 1 C --db "$DEV" set-server http://192.0.2.1:8080
check_rc "... unless --insecure-http" 0 C --db "$DEV" set-server http://192.0.2.1:8080 --insecure-http

check_rc "an IPv6 address with a pin is taken" 0 C --db "$DEV" set-server "https://[::1]:$TLSPORT" --pin "$PIN"
check "status shows the pin" "\"trust\": \"pinned key $PIN\"" "$(C --db "$DEV" status --json | grep -o '"trust": "[^"]*"')"
# Wrong pin: exit 5, both pins named, nothing sent.
check_rc "set-server with the wrong pin" 0 C --db "$DEV" set-server "$TLSURL" --pin "$OPIN"
check_rc "wrong pin: exit 5" 5 C --db "$DEV" sync --retries 3 --timeout 5
echo "wrong pin said: $(cat "$TMP/err")"
check_grep "wrong pin: names the presented and the expected pin" \
  "server at $TLSURL presented the key $PIN, not the pinned $OPIN, so nothing was sent" "$TMP/err"
check "wrong pin: one line on stderr" 1 "$(wc -l <"$TMP/err")"
check "wrong pin: not retried" 0 "$(grep -c retrying "$TMP/err")"
check "wrong pin: nothing reached the server" 0 "$(grep -a -c 'POST' "$TMP/tls.out")"
check "wrong pin: queue intact" 5 "$(queued "$DEV")"
check "wrong pin: store unchanged" "$DIGEST" "$(C --db "$DEV" digest)"

# No pin, no CA file: the system store does not know a self-signed key.
check_rc "set-server --system-ca (the wrong pin dropped)" 0 C --db "$DEV" set-server "$TLSURL" --system-ca
check_rc "self-signed without a pin: exit 5" 5 C --db "$DEV" sync --retries 0 --timeout 5
check_grep "self-signed: says it could not be verified" "could not be verified" "$TMP/err"
# A CA file that did not sign it.
check_rc "set-server with another CA" 0 C --db "$DEV" set-server "$TLSURL" --cacert "$TMP/other.pem"
check_rc "wrong CA: exit 5" 5 C --db "$DEV" sync --retries 0 --timeout 5
check_grep "wrong CA: names the file" "other.pem" "$TMP/err"
check "no CA failure sent anything" 0 "$(grep -a -c 'POST' "$TMP/tls.out")"

# Right pin: the handshake succeeds and the request goes through TLS; this
# server never answers, so the sync ends offline (exit 3) after --timeout.
# s_server takes one connection at a time, and never answers: each sync
# below waits out its time-out, which must also cover s_server finishing
# with the connection before (5 s, not 2, on a loaded machine).
check_rc "set-server with the right pin" 0 C --db "$DEV" set-server "$TLSURL" --pin "$PIN"
check_rc "right pin: exit 3 (s_server never answers)" 3 C --db "$DEV" sync --retries 0 --timeout 5
check_grep "right pin: an offline message, not an identity one" "offline" "$TMP/err"
check "right pin: the request arrived inside TLS" 1 "$(settled 1 posts "$TMP/tls.out")"
check "right pin: ALPN offers http/1.1 only (DESIGN §11)" \
  "ALPN protocols advertised by the client: http/1.1" "$(grep -a 'advertised by the client' "$TMP/tls.out" | sort -u)"
# The CA file that did sign it (the certificate is its own CA), host checked.
check_rc "set-server with the right CA" 0 C --db "$DEV" set-server "$TLSURL" --cacert "$TMP/cert.pem"
check_rc "right CA: exit 3 (s_server never answers)" 3 C --db "$DEV" sync --retries 0 --timeout 5
check "right CA: the request arrived inside TLS" 2 "$(settled 2 posts "$TMP/tls.out")"
# HTTPS_PROXY: the connection goes to the proxy (which never answers).
: >"$TMP/silent.log"
check_rc "HTTPS_PROXY is used" 3 env HTTPS_PROXY="http://127.0.0.1:$SILENT" \
  "$DANSYNC" --db "$DEV" sync --retries 0 --timeout 1
check "HTTPS_PROXY: the proxy got the connection" 1 "$(settled 1 lines "$TMP/silent.log")"
check "HTTPS_PROXY: nothing went around it" 2 "$(grep -a -c 'POST /v1/sync HTTP/1.1' "$TMP/tls.out")"
# A certificate its CA signed, for another name: exit 5.
openssl s_server -accept 127.0.0.1:0 -cert "$TMP/other.pem" -key "$TMP/okey.pem" \
  <&7 >"$TMP/tls2.out" 2>&1 &
PPIDS+=($!)
wait_for "the second s_server to listen" 10 grep -q '^ACCEPT' "$TMP/tls2.out"
TLSPORT2=$(grep -o '^ACCEPT .*' "$TMP/tls2.out" | grep -o '[0-9]*$')
check_rc "set-server to a certificate for 'other'" 0 C --db "$DEV" set-server "https://127.0.0.1:$TLSPORT2" --cacert "$TMP/other.pem"
check_rc "wrong host name: exit 5" 5 C --db "$DEV" sync --retries 0 --timeout 2
check_grep "wrong host name: says so" "could not be verified" "$TMP/err"
check "wrong host name: nothing sent" 0 "$(grep -a -c 'POST' "$TMP/tls2.out")"
check "queue intact after every refusal" 5 "$(queued "$DEV")"
check "store unchanged after every refusal" "$DIGEST" "$(C --db "$DEV" digest)"
finish
