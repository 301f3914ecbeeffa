#!/bin/sh
# The .deb as a city's IT gets it: built by CPack from this build folder, its control data read
# with dpkg-deb -I (dpkg-shlibdeps dependencies, conffiles, maintainer scripts), unpacked with
# dpkg-deb -x into a temporary root, and its binary run from an unrelated working directory with
# the packaged example config pointed into that root: /chat serves its page, CSS and JS, /inbox
# its login page with its CSS. Usage: deb_package_test.sh BUILD_DIR
set -eu
build=$1
work=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$work/serve.log" ] && tail -20 "$work/serve.log" >&2; exit 1; }

(cd "$build" && cpack -G DEB -B "$work/pkg" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log" >&2; fail "cpack"; }
deb=$(ls "$work"/pkg/buergerbox_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || fail "no buergerbox_*.deb in $work/pkg"

# Control data: shlibdeps found the libraries the binary links; conffiles and scripts are in.
dpkg-deb -I "$deb" >"$work/info"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for lib in libc6 libsqlite3 libcurl libssl tzdata; do
  echo "$depends" | grep -q "$lib" || fail "Depends lacks $lib: $depends"
done
for part in conffiles postinst prerm postrm; do
  grep -q " $part\$\| $part " "$work/info" || fail "control archive lacks $part"
done
dpkg-deb --info "$deb" conffiles | grep -qx "/etc/buergerbox/buergerbox.json" || fail "config is no conffile"

# The FHS layout.
root="$work/root"
dpkg-deb -x "$deb" "$root"
for f in usr/bin/buergerbox usr/share/buergerbox/web/chat.html usr/share/buergerbox/web/inbox.css \
         usr/share/buergerbox/categories.json usr/share/buergerbox/texts/de.json \
         etc/buergerbox/buergerbox.json usr/lib/systemd/system/buergerbox.service \
         usr/lib/sysusers.d/buergerbox.conf usr/lib/tmpfiles.d/buergerbox.conf \
         usr/share/doc/buergerbox/README.Debian; do
  [ -e "$root/$f" ] || [ -e "$root/${f#usr/}" ] || fail "missing /$f"
done

# The packaged config with its absolute paths moved into the temporary root; keys as systemd
# credentials.
sed -e "s#\"/usr/share/#\"$root/usr/share/#g" -e "s#\"/var/lib/#\"$root/var/lib/#g" \
  "$root/etc/buergerbox/buergerbox.json" >"$work/buergerbox.json"
grep -q "$root/usr/share/buergerbox/categories.json" "$work/buergerbox.json" || fail "config paths"
mkdir -m 700 "$work/credentials"
printf '%064d\n' 1 >"$work/credentials/privacy.pseudonym_key"
printf '%064d\n' 2 >"$work/credentials/privacy.encryption_key"

mkdir "$work/elsewhere"
cd "$work/elsewhere"
env -i PATH=/usr/bin:/bin CREDENTIALS_DIRECTORY="$work/credentials" BUERGERBOX_SERVER_PORT=0 \
  "$root/usr/bin/buergerbox" serve --config "$work/buergerbox.json" 2>"$work/serve.log" &
pid=$!
port=""
for _ in $(seq 1 200); do
  port=$(sed -n 's/.*event=listening host=[^ ]* port=\([0-9]*\).*/\1/p' "$work/serve.log" | head -1)
  [ -n "$port" ] && break
  kill -0 "$pid" 2>/dev/null || fail "serve exited"
  sleep 0.1
done
[ -n "$port" ] || fail "serve did not start listening"
base="http://127.0.0.1:$port"

get() {  # url file → status
  curl -s -o "$2" -w '%{http_code}' "$base$1"
}
[ "$(get /chat "$work/chat.html")" = 200 ] || fail "/chat"
grep -q '/chat/static/chat.css' "$work/chat.html" || fail "/chat page names no CSS"
[ "$(get /chat/static/chat.css "$work/chat.css")" = 200 ] || fail "/chat/static/chat.css"
cmp -s "$work/chat.css" "$root/usr/share/buergerbox/web/chat.css" || fail "chat.css differs"
[ "$(get /chat/static/chat.js "$work/chat.js")" = 200 ] || fail "/chat/static/chat.js"
cmp -s "$work/chat.js" "$root/usr/share/buergerbox/web/chat.js" || fail "chat.js differs"
status=$(curl -s -L -o "$work/inbox.html" -w '%{http_code}' "$base/inbox")
[ "$status" = 200 ] || fail "/inbox ($status)"
grep -qi 'type="password"' "$work/inbox.html" || fail "/inbox shows no login form"
[ "$(get /inbox/static/inbox.css "$work/inbox.css")" = 200 ] || fail "/inbox/static/inbox.css"
echo "deb: $(basename "$deb") served /chat (page, CSS, JS) and /inbox (login) from $root"
