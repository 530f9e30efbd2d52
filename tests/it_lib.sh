# SPDX-License-Identifier: MIT
# Shared helpers for the shell integration tests: assertions that count, a
# real daemon on a loopback port, and waits on conditions (never bare sleeps).
set -u
# libcurl honours proxy variables (as it should on a government network);
# the tests talk to loopback and must not be sent through one.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY \
  no_proxy NO_PROXY
# The client speaks Vietnamese by default (DESIGN §8); these tests match
# its English words unless a test chooses otherwise (it_cli.sh does).
export DANSYNC_LANG=${DANSYNC_LANG:-en}
PASS=0
FAIL=0
TMP=$(mktemp -d /tmp/dansync-it.XXXXXX)
DPID=""
cleanup() {
  [ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

ok() { PASS=$((PASS + 1)); }
bad() { FAIL=$((FAIL + 1)); echo "FAIL: $*" >&2; }
# check NAME EXPECTED ACTUAL
check() { if [ "$2" = "$3" ]; then ok; else bad "$1: expected [$2], got [$3]"; fi; }
# check_rc NAME EXPECTED_RC command...
check_rc() {
  local name=$1 want=$2 rc
  shift 2
  "$@" >"$TMP/out" 2>"$TMP/err"
  rc=$?
  if [ "$rc" = "$want" ]; then ok; else
    bad "$name: exit $rc, expected $want; stderr: $(head -c 300 "$TMP/err")"
  fi
}
# check_grep NAME PATTERN FILE
check_grep() { if grep -q -- "$2" "$3"; then ok; else bad "$1: no [$2] in $(head -c 300 "$3")"; fi; }
finish() {
  echo "$PASS passed, $FAIL failed"
  [ "$FAIL" -eq 0 ]
}

# wait_for DESCRIPTION SECONDS command...: polls the command every 50 ms.
wait_for() {
  local what=$1 secs=$2 i
  shift 2
  for ((i = 0; i < secs * 20; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  bad "timed out waiting for $what"
  return 1
}

# start_daemon DB [args...]: sets DPID and URL.
start_daemon() {
  local db=$1
  shift
  [ -e "$db" ] || "$DANSYNCD" --db "$db" init >/dev/null || bad "dansyncd init $db"
  rm -f "$db.port"
  # A restart keeps its port (devices know it), which would put the
  # dashboard on its fixed default, 8081, where two tests could meet.
  local ui=(--ui-listen 127.0.0.1:0)
  case " $* " in *" --ui-listen "* | *" --no-ui "*) ui=() ;; esac
  "$DANSYNCD" --db "$db" serve --listen 127.0.0.1:${DPORT:-0} --port-file "$db.port" "${ui[@]}" "$@" \
    2>>"$TMP/daemon.log" &
  DPID=$!
  wait_for "the daemon to listen" 10 test -s "$db.port"
  DPORT=$(cat "$db.port")
  URL="http://127.0.0.1:$DPORT"
}
stop_daemon() {
  local rc
  kill -TERM "$DPID"
  wait "$DPID"
  rc=$?
  DPID=""
  return $rc
}
kill9_daemon() {
  kill -9 "$DPID"
  wait "$DPID" 2>/dev/null
  DPID=""
}

# same_records NAME DB_A DB_B COMMUNE: the two stores hold the same records
# of COMMUNE, record by record: each rid with its full merge state (every
# write of every field, not only the winners), so a record missing, extra,
# or one op short on either side is named, not only a digest mismatch.
same_records() {
  local q="SELECT hex(rid) || ' ' || hex(st) FROM rec WHERE commune = '$4' ORDER BY rid"
  sqlite3 "$2" "$q" >"$TMP/recs.a"
  sqlite3 "$3" "$q" >"$TMP/recs.b"
  if [ ! -s "$TMP/recs.a" ]; then
    bad "$1: no records of $4 in $2"
  elif cmp -s "$TMP/recs.a" "$TMP/recs.b"; then
    ok
  else
    bad "$1: $(wc -l <"$TMP/recs.a") vs $(wc -l <"$TMP/recs.b") records of $4;" \
      "first difference: $(diff "$TMP/recs.a" "$TMP/recs.b" | grep '^[<>]' | head -2 | cut -c1-40 | tr '\n' ' ')"
  fi
}
# ops_pulled DB: how many ops a device has pulled (its inbox), each once.
ops_pulled() { sqlite3 "$1" 'SELECT count(*) FROM inbox'; }
# stop_if_failed: ends the test at once when a check has failed, where the
# steps after it would only wait out their time bounds (a looping client).
stop_if_failed() { [ "$FAIL" -eq 0 ] || { finish; exit 1; }; }
