#!/usr/bin/env bash
# Installs every build, run and test dependency of Bürgerbox from Debian 12 packages (and the npm
# registry for the browser-test driver). Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake pkg-config git ca-certificates
  libcpp-httplib-dev nlohmann-json3-dev libsqlitecpp-dev libsqlite3-dev libssl-dev
  libpq-dev postgresql-15
  libcurl4-openssl-dev libfmt-dev doctest-dev
  dpkg-dev systemd
  libjpeg62-turbo-dev libpng-dev libwebp-dev
  libosmium2-dev libprotozero-dev zlib1g-dev libproj-dev proj-data
  sqlite3 curl libimage-exiftool-perl
  tzdata
  clang-14 libclang-rt-14-dev openssl
  chromium
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# Node.js and npm only drive the browser tests; a machine may already have them from elsewhere.
if ! command -v npm >/dev/null 2>&1; then missing+=(nodejs npm); fi

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=""
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Browser tests drive Debian's chromium with playwright-core (never a browser download).
if [ -f tests/e2e/package.json ] && [ ! -d tests/e2e/node_modules/playwright-core ]; then
  (cd tests/e2e && npm install --no-audit --no-fund --silent)
fi
# Interoperability tests run channel emulators written by others (telegram-test-api).
if [ -f tests/interop/package.json ] && [ ! -d tests/interop/node_modules/telegram-test-api ]; then
  (cd tests/interop && npm install --no-audit --no-fund --silent)
fi
echo "install-deps: ok"
