#!/usr/bin/env bash
# Times the raw layer on one trace, in one run: `cat` for scale, the slice and streaming readers
# (examples/rawcount), and `gotrace stats` (time and peak RSS). Prints medians of RUNS runs.
#
#   bash scripts/bench-raw.sh FILE [RUNS]
#
# Make a large trace first with `bash scripts/make-big-trace.sh 1.19 150` (or 1.23, 1.26: modern
# traces are read by the modern readers). The machine is shared:
# read the medians, never one run.
set -euo pipefail
cd "$(dirname "$0")/.."
file=${1:?usage: bench-raw.sh FILE [RUNS]}
runs=${2:-7}

cargo build --release -q -p gotrace-cli && cargo build --release -q -p gotrace --example rawcount
bin=target/release
size=$(stat -c %s "$file")
echo "file: $file ($size bytes), $runs runs each"

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# Wall seconds of a command, one run per line.
seconds() {
  for _ in $(seq "$runs"); do
    /usr/bin/time -f %e "$@" 2>&1 >/dev/null | tail -1
  done
}

cat_s=$(seconds cat "$file" | median)
echo "cat FILE > /dev/null:        median ${cat_s} s"

for mode in slice stream; do
  out=$(for _ in $(seq "$runs"); do "$bin/examples/rawcount" "$mode" "$file"; done)
  events=$(echo "$out" | head -1 | grep -o '[0-9]* events' | cut -d' ' -f1)
  s=$(echo "$out" | awk '{for (i=1;i<=NF;i++) if ($i=="in") print $(i+1)}' | median)
  awk -v m="$mode" -v s="$s" -v b="$size" -v e="$events" 'BEGIN {
    printf "raw %-6s reader:          median %.3f s  %.0f MB/s  %.1f M events/s (%d events)\n", m, s, b/s/1e6, e/s/1e6, e }'
done

stats_s=$(seconds "$bin/gotrace" stats "$file" | median)
rss=$(for _ in $(seq "$runs"); do /usr/bin/time -f %M "$bin/gotrace" stats "$file" 2>&1 >/dev/null | tail -1; done | median)
echo "gotrace stats FILE:          median ${stats_s} s, peak RSS median ${rss} KiB"
