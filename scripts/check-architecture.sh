#!/bin/sh
# The layering of DESIGN.md §1 and the size rule for the busiest files, checked on the sources:
#   scripts/check-architecture.sh [SOURCE_DIR]
# Exit 1 with every finding listed. Run by ctest as arch.layers and arch.function_length.
#   --layers           includes that point outward (bot/ → storage/webhooks/web/app, flows/ → any
#                      other folder, storage/ or web/ → flows/, anything outside app/ → app/),
#                      and a CMake regex that keeps a file out of its folder's library
#   --function-length  functions longer than 80 lines in the composition root, the engine, the
#                      SQLite store and the inbox
set -u
mode="${1:---all}"
root="${2:-$(dirname "$0")/..}"
cd "$root" || exit 2
status=0

layers() {
  found=$(
    grep -rnE '#include "(storage|webhooks|web|app)/' bot 2>/dev/null
    grep -rnE '#include "' flows 2>/dev/null | grep -vE '#include "flows/'
    grep -rnE '#include "flows/' storage web 2>/dev/null
    grep -rnE '#include "app/' bot flows storage webhooks web config 2>/dev/null
    grep -rnE '#include "(bot|flows|storage|webhooks|web|app)/' config 2>/dev/null
    # A folder library is its folder: no file kept out of it by a regex.
    grep -nE 'EXCLUDE[[:space:]]+REGEX' CMakeLists.txt 2>/dev/null | sed 's|^|CMakeLists.txt:|'
  )
  if [ -n "$found" ]; then
    echo "includes that break the layering of DESIGN.md §1 (dependencies point inward):"
    echo "$found"
    status=1
  fi
}

# A function body starts on a line at column 0 that ends in '{' (not a namespace, type or
# initializer) and ends at the next line that is exactly '}' at column 0 (clang-format layout).
function_length() {
  limit=80
  files=$(find app web/inbox -name '*.cpp' 2>/dev/null; ls bot/conversation/engine.cpp storage/sqlite_store.cpp 2>/dev/null)
  long=$(awk -v limit="$limit" '
    FNR == 1 { inside = 0; cand = 0 }
    !inside && /^[A-Za-z_]/ && !/^(namespace|struct|class|enum|union|extern|template|using|typedef)([ \t{<]|$)/ && !/=[ \t]*\{[ \t]*$/ {
      cand = FNR; name = $0
    }
    !inside && cand && /;[ \t]*$/ { cand = 0 }
    !inside && cand && /\{[ \t]*$/ { inside = 1; start = cand; cand = 0; next }
    inside && /^\}/ {
      inside = 0
      n = FNR - start + 1
      if (n > limit) { printf "%s:%d: %d lines: %s\n", FILENAME, start, n, name }
    }
  ' $files)
  if [ -n "$long" ]; then
    echo "functions longer than $limit lines (split them into named steps):"
    echo "$long"
    status=1
  fi
}

case "$mode" in
  --layers) layers ;;
  --function-length) function_length ;;
  --all) layers; function_length ;;
  *) echo "usage: $0 [--layers|--function-length|--all] [SOURCE_DIR]" >&2; exit 2 ;;
esac
exit $status
