#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Running a district: files nobody else can read (whatever the umask),
# stores and keys others can read refused, outputs never written through a
# symlink or over a file, paths that look like SQLite URIs taken as file
# names, a mistyped --db refused instead of creating an empty district, the
# serve config file, and backups of the live store under load.
# usage: it_ops.sh DANSYNC DANSYNCD
DANSYNC=$(realpath "$1")
DANSYNCD=$(realpath "$2")
. "$(dirname "$0")/it_lib.sh"
umask 022 # what a district's IT officer typically has
DB="$TMP/district.db"
D() { "$DANSYNCD" --db "$DB" "$@"; }
mode() { stat -c %a "$1"; }

# --- a mistyped --db creates nothing ---
for cmd in "report" "node list" "digest" "commune list" "enroll --commune hoa-an" "log verify"; do
  # shellcheck disable=SC2086
  check_rc "missing store: $cmd" 1 "$DANSYNCD" --db "$TMP/typo-distrct.db" $cmd
  check_grep "missing store: $cmd says how to create one" "dansyncd --db $TMP/typo-distrct.db init" "$TMP/err"
done
check_rc "missing store: serve" 1 "$DANSYNCD" --db "$TMP/typo-distrct.db" serve --listen 127.0.0.1:0
check "nothing was created" "" "$(ls "$TMP" | grep typo)"

# --- init, and the files it makes ---
check_rc "init" 0 D init
check_grep "init says what it made" "15 communes" "$TMP/out"
check_rc "init twice is refused" 1 D init
check_grep "init twice says why" "already exists" "$TMP/err"
check "the store is 0600 under umask 022" 600 "$(mode "$DB")"
check_rc "commune list" 0 D commune list
check "commune list: 15 communes" 15 "$(wc -l <"$TMP/out")"
check_grep "commune list names them" "Hòa An" "$TMP/out"
D commune list --json >"$TMP/communes.json"
check "commune list --json" 15 "$(grep -c '"slug"' "$TMP/communes.json")"
check_rc "--version" 0 "$DANSYNCD" --version
check_grep "--version names the program" "^dansyncd [0-9]" "$TMP/out"

start_daemon "$DB"
TOKEN=$(D enroll --commune hoa-an)
"$DANSYNC" --db "$TMP/dev.db" init --commune hoa-an --server "$URL" --token "$TOKEN" >/dev/null || bad "device init"
check "the device store is 0600" 600 "$(mode "$TMP/dev.db")"
for i in 1 2 3; do
  "$DANSYNC" --db "$TMP/dev.db" petition add --received-on 2024-05-01 --category water \
    --citizen "Nguyễn Văn $i" --content "Kiến nghị $i" >/dev/null || bad "petition $i"
done
check_rc "device sync" 0 "$DANSYNC" --db "$TMP/dev.db" sync
for f in "$DB-wal" "$DB-shm" "$TMP/dev.db-wal" "$TMP/dev.db-shm" "$DB.lock"; do
  [ -e "$f" ] && check "$(basename "$f") is 0600" 600 "$(mode "$f")"
done

# --- a second serve on the same store ---
check_rc "a second serve is refused" 1 "$DANSYNCD" --db "$DB" serve --listen 127.0.0.1:0
check_grep "the refusal names the pid" "(pid $DPID)" "$TMP/err"

# --- stores others can read are refused ---
chmod 644 "$TMP/dev.db"
check_rc "a device store readable by others is refused" 1 "$DANSYNC" --db "$TMP/dev.db" status
check_grep "the refusal says how to fix it" "chmod 600" "$TMP/err"
chmod 600 "$TMP/dev.db"
cp -p "$DB" "$TMP/copy.db" 2>/dev/null
chmod 640 "$TMP/copy.db"
check_rc "a district store readable by the group is refused" 1 "$DANSYNCD" --db "$TMP/copy.db" digest
check_grep "it names the file" "copy.db can be read by other users" "$TMP/err"
rm -f "$TMP/copy.db"

# --- outputs: new private files, never through a symlink or over a file ---
echo "precious" >"$TMP/target"
ln -s "$TMP/target" "$TMP/link.db"
check_rc "an export through a symlink is refused" 1 D log export --out "$TMP/link.db"
check "the symlink's target is untouched" precious "$(cat "$TMP/target")"
check_rc "a replay into a symlink is refused" 1 D log replay --from "$DB" --into "$TMP/link.db"
check "the target is still untouched" precious "$(cat "$TMP/target")"
check_rc "a backup onto a symlink is refused" 1 D backup --out "$TMP/link.db"
check "and still untouched" precious "$(cat "$TMP/target")"
check_rc "--force replaces the link itself" 0 D log export --out "$TMP/link.db" --force
check "the link's target is untouched by --force" precious "$(cat "$TMP/target")"
check "the export is a new private file" "600 regular file" "$(stat -c '%a %F' "$TMP/link.db")"
check_rc "an export over an existing file is refused" 1 D log export --out "$TMP/link.db"
(cd "$TMP" && D log export --out 'file:x.db?mode=memory' >/dev/null) || bad "a URI-looking export path"
check "it is a file of that name" 600 "$(mode "$TMP/file:x.db?mode=memory")"
check "it holds the log" 1 "$(sqlite3 "$TMP/file:x.db?mode=memory" 'SELECT count(*) > 0 FROM synclog')"
(cd "$TMP" && "$DANSYNCD" --db 'file:y.db?mode=memory' init >/dev/null) || bad "init with a URI-looking --db"
check "a URI-looking --db is a file" 600 "$(mode "$TMP/file:y.db?mode=memory")"
check_rc "replay output is private" 0 D log replay --from "$DB" --into "$TMP/replay.db"
check "the replayed store is 0600" 600 "$(mode "$TMP/replay.db")"

# --- backups of the live store ---
check_rc "backup while serve runs" 0 D backup --out "$TMP/b1.db"
check "the backup is 0600" 600 "$(mode "$TMP/b1.db")"
check "the backup's printed digest is its digest" "$(awk '/^digest/ {print $2}' "$TMP/out")" \
  "$("$DANSYNCD" --db "$TMP/b1.db" digest)"
check "the backup's digest is the live one" "$(D digest)" "$("$DANSYNCD" --db "$TMP/b1.db" digest)"
check "the backup passes integrity_check" ok "$(sqlite3 "$TMP/b1.db" 'PRAGMA integrity_check')"
check_rc "the backup's log verifies" 0 "$DANSYNCD" --db "$TMP/b1.db" log verify
check_rc "a backup over an existing file is refused" 1 D backup --out "$TMP/b1.db"
check_grep "the refusal names --force" "force" "$TMP/err"

# Backups while 15 devices sync in a loop.
COMMUNES=$(tail -n +2 "$(dirname "$0")/../data/phung-hiep-communes.tsv" | cut -f1)
for c in $COMMUNES; do
  "$DANSYNC" --db "$TMP/$c.db" init --commune "$c" --server "$URL" \
    --token "$(D enroll --commune "$c")" >/dev/null || bad "init $c"
done
loop() { # five rounds of work and sync
  local c=$1 r i
  for ((r = 0; r < 5; r++)); do
    for ((i = 0; i < 10; i++)); do
      "$DANSYNC" --db "$TMP/$c.db" petition add --received-on 2024-05-01 --category water \
        --citizen "Người dân $r-$i" --content "Kiến nghị $r-$i của xã $c" >/dev/null || echo "$c" >>"$TMP/failed"
    done
    "$DANSYNC" --db "$TMP/$c.db" sync --retries 20 >/dev/null 2>&1 || echo "$c" >>"$TMP/failed"
  done
}
pids=()
for c in $COMMUNES; do loop "$c" & pids+=($!); done
backups=0
for n in 2 3 4; do
  if D backup --out "$TMP/b$n.db" >"$TMP/b$n.out" 2>"$TMP/b$n.err"; then
    backups=$((backups + 1))
    check "backup $n under load: its digest is what it printed" \
      "$(awk '/^digest/ {print $2}' "$TMP/b$n.out")" "$("$DANSYNCD" --db "$TMP/b$n.db" digest)"
  else
    bad "backup $n under load: $(cat "$TMP/b$n.err")"
  fi
done
for p in "${pids[@]}"; do wait "$p"; done
check "three backups under load" 3 "$backups"
check "no device failed while backups ran" 0 "$(cat "$TMP/failed" 2>/dev/null | wc -l)"
for c in $COMMUNES; do
  "$DANSYNC" --db "$TMP/$c.db" sync --retries 20 >/dev/null 2>&1 || bad "final sync $c"
done
for c in $COMMUNES; do
  check "$c digest equals the live store's" "$(D digest --commune "$c")" \
    "$("$DANSYNC" --db "$TMP/$c.db" digest --commune "$c")"
done
stop_daemon || bad "clean stop"

# --- serve --config ---
cat >"$TMP/bad1.conf" <<'EOF'
# a comment
listen = 127.0.0.1:0
max-connz = 10
EOF
check_rc "an unknown setting is refused" 1 D serve --config "$TMP/bad1.conf"
check_grep "it names the line" "bad1.conf:3: unknown setting 'max-connz'" "$TMP/err"
printf 'head-timeout = 10s\nmax-conns = lots\n' >"$TMP/bad2.conf"
check_rc "a bad value is refused" 1 D serve --config "$TMP/bad2.conf"
check_grep "it names the line and the rule" "bad2.conf:2: max-conns must be a number" "$TMP/err"
printf 'max-conns = 10\n\nmax-conns = 20\n' >"$TMP/bad3.conf"
check_rc "a duplicate is refused" 1 D serve --config "$TMP/bad3.conf"
check_grep "it names both lines" "bad3.conf:3: max-conns is already set on line 1" "$TMP/err"
printf 'listen 127.0.0.1:0\n' >"$TMP/bad4.conf"
check_rc "a line without = is refused" 1 D serve --config "$TMP/bad4.conf"
check_rc "a missing config is refused" 1 D serve --config "$TMP/nope.conf"
printf 'listen = 256.0.0.1:0\nmax-conns = 8\n  # indented comment\nhead-timeout = 5s\n' >"$TMP/good.conf"
check_rc "the config's listen fails alone" 1 D serve --config "$TMP/good.conf"
# The command line wins over the config.
start_daemon "$DB" --config "$TMP/good.conf"
check "serve runs with a config, the command line winning" ok "$(curl -s --noproxy '*' "$URL/v1/health")"
stop_daemon || bad "clean stop"

# --- the real client against the real daemon over TLS, pinned ---
check_rc "tls init" 0 "$DANSYNCD" tls init --out "$TMP/tls" --host localhost --host 127.0.0.1
PIN=$("$DANSYNCD" tls pin --cert "$TMP/tls/district.crt")
check "the pin's form" "sha256//" "${PIN:0:8}"
check "the TLS key is 0600" 600 "$(mode "$TMP/tls/district.key")"
start_daemon "$DB" --tls-cert "$TMP/tls/district.crt" --tls-key "$TMP/tls/district.key"
HTTPS="https://127.0.0.1:$DPORT"
"$DANSYNC" --db "$TMP/tls-dev.db" init --commune tan-long --server "$HTTPS" --pin "$PIN" \
  --token "$(D enroll --commune tan-long)" >/dev/null || bad "init over https"
"$DANSYNC" --db "$TMP/tls-dev.db" petition add --received-on 2024-05-01 --category water \
  --citizen "Lê Thị Tư" --content "Kiến nghị qua TLS" >/dev/null || bad "petition over tls"
check_rc "sync over TLS with the district's pin" 0 "$DANSYNC" --db "$TMP/tls-dev.db" sync
check "the device and the district agree" "$(D digest --commune tan-long)" \
  "$("$DANSYNC" --db "$TMP/tls-dev.db" digest --commune tan-long)"
"$DANSYNC" --db "$TMP/tls-dev.db" petition add --received-on 2024-05-02 --category water \
  --citizen "Lê Thị Tư" --content "Kiến nghị thứ hai" >/dev/null || bad "second petition"
check_rc "set-server with a wrong pin" 0 "$DANSYNC" --db "$TMP/tls-dev.db" set-server "$HTTPS" \
  --pin "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
check_rc "a wrong pin is an identity failure (exit 5)" 5 "$DANSYNC" --db "$TMP/tls-dev.db" sync
check_grep "it names the pins" "sha256//AAAA" "$TMP/err"
check "nothing reached the district" 1 "$("$DANSYNC" --db "$TMP/tls-dev.db" status --json | grep -c '"queued": 1')"
check_rc "back to the right pin" 0 "$DANSYNC" --db "$TMP/tls-dev.db" set-server "$HTTPS" --pin "$PIN"
check_rc "and it syncs" 0 "$DANSYNC" --db "$TMP/tls-dev.db" sync
check "agreed again" "$(D digest --commune tan-long)" \
  "$("$DANSYNC" --db "$TMP/tls-dev.db" digest --commune tan-long)"
stop_daemon || bad "clean stop"
finish
