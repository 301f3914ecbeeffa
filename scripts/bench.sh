#!/bin/sh
# Runs one benchmark (or all) on a Release build:
#   scripts/bench.sh ingest|ingest-pg|e2e|broadcast|inbox|connections|gazetteer|all [options]
# See docs/performance.md. BENCH_BUILD_DIR overrides the build folder (default build-bench).
set -eu
cd "$(dirname "$0")/.."
BUILD="${BENCH_BUILD_DIR:-build-bench}"
if [ $# -lt 1 ]; then
  echo "usage: scripts/bench.sh ingest|ingest-pg|e2e|broadcast|inbox|connections|gazetteer|all [bb_bench options]" >&2
  exit 2
fi
name="$1"; shift
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF -DBB_BENCH=ON >/dev/null
cmake --build "$BUILD" -j "$(nproc)" --target bb_bench buergerbox
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p')"
if [ "$name" = all ]; then
  status=0
  for b in ingest ingest-pg e2e broadcast inbox connections gazetteer; do
    "./$BUILD/bb_bench" "$b" "$@" || status=1
  done
  exit $status
fi
exec "./$BUILD/bb_bench" "$name" "$@"
