#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The client's and the district's edges each checked once: sync --wait, the
# progress line on a terminal, a whole but garbled 200 retried, a kept-alive
# connection closed by the server retried, the 4 MiB batch cap, an expired
# token, a store of another format refused untouched, --restamp after a
# transport failure, conflicts resolve --keep VERSION, and dansyncd petition
# update refusing a status downgrade.
# usage: it_edges.sh DANSYNC DANSYNCD FAULTPROXY [SECTION...]  (default: all;
# ctest runs each section as its own test, it_edges_SECTION)
DANSYNC=$1
DANSYNCD=$2
FAULTPROXY=$3
shift 3
SECTIONS=${*:-wait tty garble keepalive cap token format restamp resolve}
. "$(dirname "$0")/it_lib.sh"
DB="$TMP/district.db"
PPID_=""
trap '{ kill -9 $PPID_ $DPID; wait; } 2>/dev/null; rm -rf "$TMP"' EXIT
D() { "$DANSYNCD" --db "$DB" "$@"; }
on() { local n=$1; shift; timeout 60 "$DANSYNC" --db "$TMP/$n.db" "$@"; }
dev() { # dev NAME COMMUNE [SERVER]
  "$DANSYNC" --db "$TMP/$1.db" init --commune "$2" --server "${3:-$URL}" \
    --token "$(D enroll --commune "$2")" >/dev/null || bad "init $1"
}
add() { local i; for ((i = 0; i < $2; i++)); do
  on "$1" petition add --received-on 2024-05-01 --category water --content "Kiến nghị $i của $1" --force >/dev/null || bad "add $1"
done; }
queued() { on "$1" status --json | grep -o '"queued": [0-9]*' | grep -o '[0-9]*$'; }
start_proxy() {
  rm -f "$TMP/proxy.port"
  "$FAULTPROXY" --target "127.0.0.1:$DPORT" --port-file "$TMP/proxy.port" "$@" &
  PPID_=$!
  wait_for "the proxy" 10 test -s "$TMP/proxy.port"
  PURL="http://127.0.0.1:$(cat "$TMP/proxy.port")"
}
stop_proxy() { kill "$PPID_"; wait "$PPID_" 2>/dev/null; PPID_=""; }
start_daemon "$DB"

# --- sync --wait: offline, it retries until the district is back ---
section_wait() {
  dev W hoa-an
  add W 3
  stop_daemon
  on W sync --wait >"$TMP/w.out" 2>"$TMP/w.err" &
  WPID=$!
  wait_for "sync --wait to retry" 20 grep -q "retrying until the server is reached" "$TMP/w.err"
  check "sync --wait is still waiting" 1 "$(kill -0 $WPID 2>/dev/null && echo 1)"
  start_daemon "$DB"
  wait $WPID
  check "sync --wait ends once the district is back" 0 $?
  check "W's queue is empty" 0 "$(queued W)"
  check_grep "W's summary" "pushed 3 ops" "$TMP/w.out"
}

# --- the progress line on a terminal (a pty), one line per batch without ---
section_tty() {
  dev T hoa-an
  add T 4
  script -qec "timeout 30 $DANSYNC --db $TMP/T.db sync --batch 2" /dev/null >"$TMP/tty.out" </dev/null
  check "sync on a terminal" 0 $?
  check_grep "the progress line is redrawn in place" $'\rsync: pushed 2/4 ops, pulled [0-9]* ops, [0-9.]* kB up' "$TMP/tty.out"
  check_grep "and ends with the final counts" $'\rsync: pushed 4/4 ops, pulled [0-9]* ops, [0-9.]* kB up, [0-9.]* kB down *\r*$' "$TMP/tty.out"
  check "no per-batch lines on a terminal" 0 "$(grep -c 'sync: sent' "$TMP/tty.out")"
  add T 4
  check_rc "sync without a terminal" 0 on T sync --batch 2
  check "one line per batch without a terminal" 2 "$(grep -c '^sync: sent 2 ops' "$TMP/err")"
  check "no progress line without a terminal" 0 "$(grep -c $'\r' "$TMP/err")"
}

# --- a whole 200 that arrives garbled is retried, and stored once ---
section_garble() {
  start_proxy --garble 2
  dev G hoa-an "$PURL"
  add G 5
  check_rc "sync through two garbled answers" 0 on G sync --retries 3
  check "both garbled answers were retried" 2 "$(grep -c 'arrived garbled' "$TMP/err")"
  check "G's queue is empty" 0 "$(queued G)"
  check "G's 5 ops stored once" 5 "$(sqlite3 "$DB" "SELECT acked FROM node n WHERE n.node = (SELECT node FROM synclog ORDER BY seq DESC LIMIT 1)")"
  same_records "G = district" "$TMP/G.db" "$DB" hoa-an
  stop_proxy
}

# --- a kept-alive connection the server closed is retried at once ---
section_keepalive() {
  start_proxy --close-after-answer 1
  dev K hoa-an "$PURL"
  add K 6
  check_rc "sync with each connection closed after its answer" 0 on K sync --batch 2 --retries 0
  check "K's queue is empty" 0 "$(queued K)"
  check "no retry was reported" 0 "$(grep -c retrying "$TMP/err")"
  stop_proxy
}

# --- the 4 MiB batch cap: 200 ops of 24 kB go in more than one request ---
section_cap() {
  dev B tan-long
  BIG=$(printf 'ờ%.0s' $(seq 3990))
  for ((i = 0; i < 200; i++)); do
    on B petition add --received-on 2024-05-01 --category land --content "$i $BIG" \
      --response "$BIG" >/dev/null || bad "big $i"
  done
  L0=$(wc -l <"$TMP/daemon.log")
  check_rc "B syncs 200 big ops" 0 on B sync
  tail -n +$((L0 + 1)) "$TMP/daemon.log" | grep -o 'accepted node=[0-9a-f]* commune=tan-long merged=[0-9]*' |
    grep -o '[0-9]*$' >"$TMP/merged"
  check "200 ops merged" 200 "$(awk '{ s += $1 } END { print s + 0 }' "$TMP/merged")"
  check "in more than one request" 1 "$(test "$(wc -l <"$TMP/merged")" -gt 1 && echo 1)"
  # 4 MiB holds 174 ops of 24,000 bytes and some.
  check "the first request held at most 4 MiB of ops" 1 "$(test "$(head -1 "$TMP/merged")" -le 175 && echo 1)"
  same_records "B = district" "$TMP/B.db" "$DB" tan-long
}

# --- an expired token: refused, nothing lost ---
section_token() {
  tok=$(D enroll --commune hoa-an)
  "$DANSYNC" --db "$TMP/X.db" init --commune hoa-an --server "$URL" --token "$tok" >/dev/null
  add X 2
  sqlite3 -cmd '.timeout 10000' "$DB" "UPDATE token SET expires_ms = 1 WHERE node IS NULL" ||
    bad "could not expire the token"
  check_rc "an expired token is refused" 4 on X sync
  check_grep "the reason" "expired" "$TMP/err"
  check "X's ops stay queued" 2 "$(queued X)"
}

# --- a store of a format too old to upgrade (it_migrate: newer ones) is refused and left untouched ---
section_format() {
  dev O hoa-an
  add O 2
  cp "$TMP/O.db" "$TMP/old.db"
  sqlite3 "$TMP/old.db" "PRAGMA user_version = 2"
  cp "$TMP/old.db" "$TMP/old.copy"
  check_rc "another format is refused" 1 "$DANSYNC" --db "$TMP/old.db" status
  check_grep "the reason" "format version 2; this program reads formats 3 to 5" "$TMP/err"
  check_rc "... by sync too" 1 "$DANSYNC" --db "$TMP/old.db" sync
  check "the store is byte for byte untouched" 1 "$(cmp -s "$TMP/old.db" "$TMP/old.copy" && echo 1)"
  check_rc "the district refuses one too" 1 "$DANSYNCD" --db "$TMP/old.db" digest
  check "still untouched" 1 "$(cmp -s "$TMP/old.db" "$TMP/old.copy" && echo 1)"
  printf 'not a database at all, just text\n' >"$TMP/junk.db"
  cp "$TMP/junk.db" "$TMP/junk.copy"
  check_rc "a file that is not a store is refused" 1 "$DANSYNC" --db "$TMP/junk.db" status
  check "and untouched" 1 "$(cmp -s "$TMP/junk.db" "$TMP/junk.copy" && echo 1)"
}

# --- --restamp after a transport failure: sent ops keep their clocks ---
section_restamp() {
  dev R hoa-an
  add R 3
  stop_daemon
  check_rc "R's sync fails in transport" 3 on R sync --retries 0
  add R 2
  sqlite3 "$TMP/R.db" "SELECT seq, hlc FROM outbox WHERE seq <= 3 ORDER BY seq" >"$TMP/sent.before"
  sqlite3 "$TMP/R.db" "SELECT seq, hlc FROM outbox WHERE seq > 3 ORDER BY seq" >"$TMP/unsent.before"
  start_daemon "$DB"
  check_rc "R syncs with --restamp" 0 on R sync --restamp
  check_grep "only the 2 never sent are restamped" "restamped 2 unsent ops" "$TMP/err"
  check "the 3 that may have reached the district keep their clocks" "$(cat "$TMP/sent.before")" \
    "$(sqlite3 "$TMP/R.db" "SELECT seq, hlc FROM outbox WHERE seq <= 3 ORDER BY seq")"
  check "the 2 others have new clocks" 1 "$(test "$(cat "$TMP/unsent.before")" != \
    "$(sqlite3 "$TMP/R.db" "SELECT seq, hlc FROM outbox WHERE seq > 3 ORDER BY seq")" && echo 1)"
  same_records "R = district" "$TMP/R.db" "$DB" hoa-an
}

# --- conflicts resolve --keep VERSION: a three-way conflict ---
section_resolve() {
  for n in C1 C2 C3; do dev $n thanh-hoa; done
  P=$(on C1 petition add --received-on 2024-05-01 --category land --content "Ranh đất")
  for n in C1 C2 C3; do on $n sync >/dev/null || bad "$n syncs"; done
  for n in C1 C2 C3; do on $n petition update "$P" --response "Ý kiến của $n" >/dev/null; done
  for r in 1 2; do for n in C1 C2 C3; do on $n sync >/dev/null || bad "$n syncs ($r)"; done; done
  CID="${P}:response"
  D conflicts show "$CID" --json >"$TMP/c.json"
  check "three values in conflict" 3 "$(grep -c '"version"' "$TMP/c.json")"
  # The value to keep: a loser's, named by its version.
  KEEP=$(grep '"winner": false' "$TMP/c.json" | head -1)
  KV=$(echo "$KEEP" | grep -o '"version": "[^"]*"' | cut -d'"' -f4)
  KVAL=$(echo "$KEEP" | grep -o '"value": "[^"]*"' | cut -d'"' -f4)
  BEFORE=$(D digest)
  check_rc "an unknown version is refused" 1 D conflicts resolve "$CID" --keep "0000000000000001:${KV#*:}"
  check "nothing changed" "$BEFORE" "$(D digest)"
  check_rc "resolve --keep VERSION" 0 D conflicts resolve "$CID" --keep "$KV"
  check "no conflict left" "No conflicts." "$(D conflicts list)"
  for r in 1 2; do for n in C1 C2 C3; do on $n sync >/dev/null || bad "$n syncs after ($r)"; done; done
  for n in C1 C2 C3; do
    check "$n holds the kept value" "$KVAL" \
      "$(on $n petition show "$P" --json | grep -o '"response": "[^"]*"' | head -1 | cut -d'"' -f4)"
    same_records "$n = district" "$TMP/$n.db" "$DB" thanh-hoa
  done

  # --- dansyncd petition update refuses a status downgrade ---
  check_rc "the district answers" 0 D petition update "$P" --status answered
  BEFORE=$(D digest)
  check_rc "a downgrade is refused" 1 D petition update "$P" --status in_progress
  check_grep "the way forward is named" "reopen" "$TMP/err"
  check "nothing changed" "$BEFORE" "$(D digest)"
}

for sec in $SECTIONS; do
  "section_$sec"
done
check_rc "clean stop" 0 stop_daemon
finish
