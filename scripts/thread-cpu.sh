#!/bin/sh
# CPU used by each named thread of a running process over an interval (no profiler overhead):
#   scripts/thread-cpu.sh PID [SECONDS=5]
# Prints "percent-of-one-core  thread-name  (threads)" per name, busiest first. Thread names are
# set by Bürgerbox (bb-db-writer, bb-db-checkpoint, bb-flow-N, bb-http, bb-outbox-<channel>, bb-send-<channel>, ...).
set -eu
pid="$1"; seconds="${2:-5}"
hz=$(getconf CLK_TCK)
snapshot() {
  for t in /proc/"$pid"/task/*; do
    # comm may hold spaces; utime and stime are fields 14 and 15 of stat after the ")".
    name=$(cat "$t/comm" 2>/dev/null) || continue
    ticks=$(sed 's/.*) //' "$t/stat" 2>/dev/null | awk '{print $12 + $13}') || continue
    echo "${t##*/} $ticks $name"
  done
}
before=$(snapshot)
sleep "$seconds"
after=$(snapshot)
printf '%s\n--\n%s\n' "$before" "$after" | awk -v hz="$hz" -v s="$seconds" '
  $0 == "--" { part = 2; next }
  part != 2 { start[$1] = $2; next }
  { name = $3; for (i = 4; i <= NF; i++) name = name " " $i
    sub(/[0-9]+$/, "N", name)
    used[name] += $2 - ($1 in start ? start[$1] : 0); count[name]++ }
  END { for (n in used) printf "%6.1f%%  %s  (%d)\n", 100 * used[n] / hz / s, n, count[n] }' |
  sort -rn
