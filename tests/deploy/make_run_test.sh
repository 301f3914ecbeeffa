#!/bin/sh
# `make run` builds only what it runs: every build command it would issue (make -n) configures
# without tests and benchmarks and builds the one target buergerbox.
set -eu
plan=$(make -n -C "$1" run BUILD_DIR=build-make-run-test)
echo "$plan"
builds=$(echo "$plan" | grep -- '--build' || true)
[ -n "$builds" ] || { echo "FAIL: make run issues no cmake --build" >&2; exit 1; }
if echo "$builds" | grep -v -- '--target buergerbox' >/dev/null; then
  echo "FAIL: a cmake --build without --target buergerbox" >&2; exit 1
fi
configure=$(echo "$plan" | grep -- 'cmake -S')
for flag in -DBUILD_TESTING=OFF -DBB_BENCH=OFF; do
  echo "$configure" | grep -q -- "$flag" || { echo "FAIL: configure lacks $flag" >&2; exit 1; }
done
