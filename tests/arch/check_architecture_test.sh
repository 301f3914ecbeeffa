#!/bin/sh
# scripts/check-architecture.sh must find what it is there to find: a tree with one outward
# include, one CMake regex exclusion and one 81-line function in app/ fails with each named; the
# same tree without them passes.
set -u
script="$1"
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree/bot/conversation" "$tree/app/serve" "$tree/storage" "$tree/web/inbox"
printf '#include "bot/types.hpp"\n' > "$tree/bot/conversation/ok.cpp"
printf 'add_library(bb_bot STATIC ${BOT_SOURCES})\n' > "$tree/CMakeLists.txt"
long_function() {
  echo "int run$1() {"
  i=0
  while [ "$i" -lt "$2" ]; do echo "  ++x;"; i=$((i + 1)); done
  echo "}"
}
long_function Short 78 > "$tree/app/serve/serve.cpp"   # 80 lines with its braces: allowed
"$script" --all "$tree" > "$tree/out" 2>&1 || { echo "a clean tree failed:"; cat "$tree/out"; exit 1; }

printf '#include "storage/sqlite_store.hpp"\n' > "$tree/bot/conversation/bad.cpp"
printf '#include "flows/flow_types.hpp"\n' > "$tree/web/inbox/bad.cpp"
printf 'list(FILTER BOT_SOURCES EXCLUDE REGEX "main\\\\.cpp$")\n' >> "$tree/CMakeLists.txt"
long_function Long 79 >> "$tree/app/serve/serve.cpp"   # 81 lines
if "$script" --all "$tree" > "$tree/out" 2>&1; then echo "the broken tree passed"; exit 1; fi
for finding in 'bot/conversation/bad.cpp:1' 'web/inbox/bad.cpp:1' 'EXCLUDE REGEX' \
               'app/serve/serve.cpp:81: 81 lines'; do
  grep -qF "$finding" "$tree/out" || { echo "not found: $finding"; cat "$tree/out"; exit 1; }
done
echo "ok"
