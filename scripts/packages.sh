#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the two Debian packages (dansync, dansyncd) with CPack, installs
# them with dpkg -i, and checks what a district clerk would meet: the
# programs, the man pages, the unit, the conffile, the dansync user and
# the store's directory; then runs the installed `serve` (after `init`, and
# with `--config` and the installed config, where this dansyncd has them)
# as the dansync user; last, purges both packages (the store's directory must stay). For Debian 12,
# as root (or through sudo); installs what it needs with apt-get. Works in
# a container without systemd as PID 1 (nothing here starts the unit).
# Ends with "N passed, N failed"; exits non-zero on any failure.
# PKG_BUILD: the build directory to use (default build, as scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(pwd)
build="${PKG_BUILD:-build}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

# dpkg-dev: dpkg-shlibdeps; file: CPack's ELF detection for shlibdeps;
# man-db: man -w; systemd: systemd-analyze; curl: the health check.
pkgs=(dpkg-dev file man-db systemd curl adduser)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
    missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "packages: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
    "${missing[@]}" >/dev/null
fi

bash scripts/setup.sh "$build"
out="$src/$build/deb"
rm -rf "$out"
(cd "$build" && cpack -G DEB -B "$out" >/dev/null)
version=$(sed -n 's/^project(dansync VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
client_deb="$out/dansync_${version}-1_$(dpkg --print-architecture).deb"
daemon_deb="$out/dansyncd_${version}-1_$(dpkg --print-architecture).deb"

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }
# check NAME COMMAND...: passes when COMMAND exits 0; shows its output
# when it does not.
check() {
  local name=$1 log
  shift
  if log=$("$@" 2>&1); then
    pass "$name"
  else
    fail "$name"
    printf '%s\n' "$log" | sed 's/^/     /' | head -20
  fi
}

check "both packages built" test -f "$client_deb" -a -f "$daemon_deb"
check "dansyncd depends on its libraries (shlibdeps)" \
  sh -c "dpkg-deb -f '$daemon_deb' Depends | grep -q libuv1"
check "dansyncd.conf is a conffile" \
  sh -c "dpkg-deb --ctrl-tarfile '$daemon_deb' | tar -xOf - ./conffiles |
         grep -qx /etc/dansync/dansyncd.conf"

check "dpkg -i dansync dansyncd" \
  env DEBIAN_FRONTEND=noninteractive $sudo dpkg -i "$client_deb" "$daemon_deb"

check "dansyncd --version" \
  sh -c "/usr/bin/dansyncd --version | grep -qx 'dansyncd $version'"
check "dansync --version" \
  sh -c "/usr/bin/dansync --version | grep -qx 'dansync $version'"
check "man -w dansyncd" \
  sh -c "man -w dansyncd | grep -q '/usr/share/man/man8/dansyncd.8.gz'"
check "man -w dansync" \
  sh -c "man -w dansync | grep -q '/usr/share/man/man1/dansync.1.gz'"
check "man pages have a NAME section (lexgrog)" \
  lexgrog /usr/share/man/man1/dansync.1.gz /usr/share/man/man8/dansyncd.8.gz
check "man dansyncd renders without warnings" \
  sh -c "! MANWIDTH=80 man --warnings -l /usr/share/man/man8/dansyncd.8.gz \
         2>&1 >/dev/null | grep ."
check "man dansync renders without warnings" \
  sh -c "! MANWIDTH=80 man --warnings -l /usr/share/man/man1/dansync.1.gz \
         2>&1 >/dev/null | grep ."
check "systemd-analyze verify /lib/systemd/system/dansyncd.service" \
  systemd-analyze verify /lib/systemd/system/dansyncd.service
exposure=$(systemd-analyze security --offline=yes --no-pager \
  /lib/systemd/system/dansyncd.service 2>/dev/null |
  sed -n 's/.*Overall exposure level for dansyncd.service: \([0-9.]*\).*/\1/p')
echo "     systemd-analyze security: exposure ${exposure:-unknown}"
check "unit exposure is at most 2.0 (systemd-analyze security)" \
  awk -v e="${exposure:-99}" 'BEGIN { exit !(e <= 2.0) }'
check "the dansync system user exists" getent passwd dansync
check "/var/lib/dansync is 0700 dansync:dansync" \
  sh -c "[ \"\$(stat -c '%a %U %G' /var/lib/dansync)\" = '700 dansync dansync' ]"
check "/etc/dansync/dansyncd.conf is installed" test -f /etc/dansync/dansyncd.conf
check "copyright and changelog installed" \
  test -f /usr/share/doc/dansyncd/copyright \
    -a -f /usr/share/doc/dansync/changelog.Debian.gz

# The installed daemon with the installed config, as the service runs it
# (as the dansync user, umask 077), on a throwaway store and a throwaway
# TLS key (the command line wins over the config's paths).
cfg=(--config /etc/dansync/dansyncd.conf)
tmp=$(mktemp -d)
chown dansync:dansync "$tmp"
chmod 0700 "$tmp"
# Runs a command line as the dansync user, with the service's umask.
as_dansync() {
  $sudo setpriv --reuid=dansync --regid=dansync --init-groups \
    sh -c "umask 077; exec $*"
}
check "dansyncd init as the dansync user" \
  as_dansync "/usr/bin/dansyncd --db $tmp/district.db init"
check "dansyncd tls init as the dansync user" \
  as_dansync "/usr/bin/dansyncd tls init --out $tmp/tls --host localhost --host 127.0.0.1"
pin=$(/usr/bin/dansyncd tls pin --cert "$tmp/tls/district.crt")
# Not through as_dansync: a function run with & is a subshell, and $! must
# be dansyncd itself (setpriv and sh exec it) for the SIGTERM below.
$sudo setpriv --reuid=dansync --regid=dansync --init-groups sh -c "umask 077;
  exec /usr/bin/dansyncd --db $tmp/district.db serve ${cfg[*]} \
  --listen 127.0.0.1:0 --port-file $tmp/port \
  --tls-cert $tmp/tls/district.crt --tls-key $tmp/tls/district.key" 2>"$tmp/serve.log" &
serve_pid=$!
trap 'kill -TERM "$serve_pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  [ -s "$tmp/port" ] && break
  sleep 0.1
done
port=$(cat "$tmp/port" 2>/dev/null || true)
check "serve --config as the dansync user answers /v1/health over TLS" \
  sh -c "[ -n '$port' ] && curl -fsS --max-time 5 -k --pinnedpubkey '$pin' \
         https://127.0.0.1:$port/v1/health | grep -q ok"
kill -TERM "$serve_pid" 2>/dev/null || true
serve_rc=0
wait "$serve_pid" || serve_rc=$?
trap - EXIT
check "serve stops on SIGTERM with exit 0" test "$serve_rc" -eq 0
check "the store serve used is 0600" \
  sh -c "[ \"\$(stat -c %a $tmp/district.db)\" = 600 ]"
[ "$failed" -eq 0 ] || sed 's/^/     serve: /' "$tmp/serve.log" | tail -5
rm -rf "$tmp"

check "dpkg --purge dansync dansyncd" \
  $sudo dpkg --purge dansync dansyncd
check "purge removed the programs" \
  sh -c "! test -e /usr/bin/dansyncd && ! test -e /usr/bin/dansync"
check "purge kept the store's directory /var/lib/dansync" \
  test -d /var/lib/dansync

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
