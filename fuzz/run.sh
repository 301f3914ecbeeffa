#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (a separate build, never the gcc one) and runs each
# target for SECONDS, seeded from the test fixtures. Exit status non-zero on any crash, leak,
# timeout or sanitizer report. Long run (docs/security.md):  fuzz/run.sh 300
#
#   fuzz/run.sh [--no-build] [SECONDS=300] [BUILD_DIR=build-fuzz] [TARGET...]
#
# SECONDS=0 only configures and builds. --no-build runs the targets already built in BUILD_DIR
# (the test command builds once, then runs the targets two at a time: tests/CMakeLists.txt).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_first=1
if [ "${1:-}" = "--no-build" ]; then build_first=0; shift; fi
seconds=${1:-300}
build=${2:-$root/build-fuzz}
shift $(( $# > 2 ? 2 : $# ))
all=(whatsapp_webhook_fuzz telegram_update_fuzz matrix_transaction_fuzz image_cleaner_fuzz
     config_loader_fuzz open311_form_fuzz oparl_fuzz)
targets=("${@:-${all[@]}}")
cxx=${FUZZ_CXX:-clang++-14}

if [ "$build_first" = 1 ]; then
  cmake -S "$root/fuzz" -B "$build" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    > "$build.configure.log" 2>&1 || { cat "$build.configure.log"; exit 1; }
  cmake --build "$build" -j "${JOBS:-2}" > "$build.build.log" 2>&1 || { tail -40 "$build.build.log"; exit 1; }
fi
# libFuzzer takes -max_total_time=0 as "forever": 0 means build only.
if [ "$seconds" = 0 ]; then echo "fuzz: built ${targets[*]} in $build"; exit 0; fi

seeds() {
  case "$1" in
    whatsapp_webhook_fuzz) ls "$root"/tests/fixtures/whatsapp/*.json ;;
    telegram_update_fuzz) ls "$root"/tests/fixtures/telegram/*.json ;;
    matrix_transaction_fuzz) ls "$root"/tests/fixtures/matrix/*.json ;;
    image_cleaner_fuzz) ls "$root"/tests/fixtures/media/*.jpg "$root"/web/static/*.png 2>/dev/null || true ;;
    config_loader_fuzz) ls "$root"/config/*.json ;;
    open311_form_fuzz) ls "$root"/tests/fixtures/open311/*.form ;;
    oparl_fuzz) ls "$root"/tests/fixtures/oparl/*.json 2>/dev/null || true ;;
  esac
}

status=0
total=0
for t in "${targets[@]}"; do
  corpus="$build/corpus/$t"
  mkdir -p "$corpus" "$build/artifacts"
  for f in $(seeds "$t"); do cp -n "$f" "$corpus/" 2>/dev/null || true; done
  log="$build/$t.log"
  if [ ! -x "$build/$t" ]; then
    echo "fuzz: $t FAILED (not built in $build: run fuzz/run.sh 0 $build first)"
    status=1
    continue
  fi
  if ASAN_OPTIONS=detect_leaks=1 "$build/$t" -max_total_time="$seconds" -timeout=10 \
       -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" \
       "$corpus" > "$log" 2>&1; then
    execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log" | tail -1)
    total=$((total + ${execs:-0}))
    echo "fuzz: $t ok executions=${execs:-?} seconds=$seconds corpus=$(ls "$corpus" | wc -l)"
  else
    echo "fuzz: $t FAILED (log: $log, reproducer in $build/artifacts/)"
    grep -m1 -A30 "ERROR\|==ERROR\|runtime error\|deadly signal" "$log" || tail -40 "$log"
    status=1
  fi
done
echo "fuzz: total executions=$total"
exit $status
