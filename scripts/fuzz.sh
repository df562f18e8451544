#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 30), seeded from the corpus (write_read: from
# fuzz/seeds/write_read) and the committed regressions, and stops at the first crash (the
# crashing input lands in fuzz/artifacts/TARGET/: minimise it with `cargo fuzz tmin`, then commit
# it under fuzz/regressions/TARGET/, where `cargo test` replays it).
#
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]
#
# cargo-fuzz needs nightly features; RUSTC_BOOTSTRAP=1 enables them on the stable toolchain.
# Optimised, with debug assertions (-a): an arithmetic overflow panics as in `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs=${1:-30}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(RUSTC_BOOTSTRAP=1 cargo fuzz list)
export RUSTC_BOOTSTRAP=1

seed() { # target -> seed directory (prefix for raw_incremental and modern_raw: the first 4 bytes pick chunk sizes)
  local t=$1 dir=corpus/$1
  mkdir -p "$dir"
  local sources=(../corpus/go-testdata/*_good ../corpus/go-testdata/*_unordered
                 ../corpus/recorded/go1.19/*.trace ../corpus/recorded/go1.21/*.trace ../corpus/hand-legacy/*
                 ../corpus/damaged/* ../corpus/altered/*)
  if [ "$t" = modern_raw ] || [ "$t" = modern_parse ]; then  # modern traces (Go 1.22+): the recorded ones
    sources=(../corpus/recorded/go1.2[2-9]/*.trace ../corpus/damaged-modern/* ../corpus/altered-modern/*)
  elif [ "$t" = write_read ]; then  # not a trace: calls of the writers (fuzz/seeds/write_read)
    sources=(seeds/write_read/*)
  fi
  for f in "${sources[@]}" regressions/"$t"/*; do
    [ -f "$f" ] || continue
    case $f in *.tsv) continue ;; esac
    n=$(echo "$f" | sed 's|^\.\./||; s|/|_|g')
    if { [ "$t" = raw_incremental ] || [ "$t" = modern_raw ]; } && [[ $f != regressions/* ]]; then
      { printf '\001\007\003\100'; cat "$f"; } > "$dir/$n"
    elif { [ "$t" = legacy_parse ] || [ "$t" = modern_parse ]; } && [[ $f != regressions/* ]]; then
      { printf '\100'; cat "$f"; } > "$dir/$n"
    else
      cp "$f" "$dir/$n"
    fi
  done
  echo "$dir"
}

cargo fuzz build -O -a
for t in "${targets[@]}"; do
  dir=$(seed "$t")
  echo "-- $t: $(ls "$dir" | wc -l) seeds, $secs s"
  log=$(mktemp)
  status=0
  cargo fuzz run -O -a "$t" "$dir" -- -max_len=16384 -max_total_time="$secs" -print_final_stats=1 >"$log" 2>&1 || status=$?
  grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb)|^#[0-9]+.*DONE|ERROR|panicked|Test unit written" "$log" || true
  if [ "$status" -ne 0 ]; then
    tail -40 "$log"
    echo "fuzz target $t failed"
    exit 1
  fi
  rm -f "$log"
done
