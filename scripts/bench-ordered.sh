#!/usr/bin/env bash
# Times the ordered parse of a legacy trace (Go 1.5 - 1.21) against Go's own tool, in one run:
# `gotrace dump` against Go 1.19's `go tool trace -d`, and the ordered parse alone in whole mode
# (`gotrace validate`) and in bounded mode (`gotrace stats --ordered`), against Go's parsers
# alone (programs scripts/go-reader.sh builds: no text printed). Rounds alternate between
# the commands, so that the load of a shared machine falls on all of them alike; medians of wall
# time, CPU time (user + sys) and peak RSS, from /usr/bin/time.
#
#   bash scripts/bench-ordered.sh FILE [RUNS] [GO_RUNS] [GO_VERSION]
#
# RUNS       rounds of our commands (default 5)
# GO_RUNS    rounds that also run Go's tool (default 3: it takes about a minute on 40 MB)
# GO_VERSION the Go toolchain whose `go tool trace -d` is timed (default 1.19; 0 skips it)
# GO_READERS (environment) the toolchains whose parser alone is timed in the Go rounds (default
#            "1.19 1.23": Go 1.19's `internal/trace.Parse`, and Go 1.23's reader, which converts
#            1.11 - 1.21 traces; "" times none)
#
# Make a large trace first with `bash scripts/make-big-trace.sh 1.19 40`. Read the medians,
# never one run.
set -euo pipefail
cd "$(dirname "$0")/.."
file=${1:?usage: bench-ordered.sh FILE [RUNS] [GO_RUNS] [GO_VERSION]}
runs=${2:-5}
go_runs=${3:-3}
go_version=${4:-1.19}
go_readers=${GO_READERS-1.19 1.23}

. "$(dirname "${BASH_SOURCE[0]}")/go-toolchains.sh"

go=
if [ "$go_version" != 0 ]; then
	if ! go=$(find_go "$go_version"); then
		echo "bench-ordered: Go $go_version not installed: its tool is not timed" >&2
		go=
	fi
fi

cargo build --release -q -p gotrace-cli
bin=target/release/gotrace
size=$(stat -c %s "$file")
events=$("$bin" stats --ordered --json "$file" | grep -o '"events":[0-9]*' | cut -d: -f2)
echo "file: $file ($size bytes, $events ordered events), $runs rounds ($go_runs with Go $go_version)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

readers=()
for v in $go_readers; do
	bash scripts/go-reader.sh "$v" "$tmp/go-reader-$v"
	readers+=("$v")
done

# run NAME CMD...: one timed run, its "wall cpu rss_kib" appended to $tmp/NAME.
run() {
	local name=$1
	shift
	/usr/bin/time -f '%e %U %S %M' -o "$tmp/t" "$@" >/dev/null 2>"$tmp/err" || {
		echo "bench-ordered: $name failed:" >&2
		cat "$tmp/err" >&2
		exit 1
	}
	awk '{printf "%s %.2f %s\n", $1, $2 + $3, $4}' "$tmp/t" >>"$tmp/$name"
}

# One untimed round of ours first: on a machine just booted, the first runs also pay for
# memory the host has not handed the machine yet (a page-zeroing cost in the kernel several
# times the parse), which is not the parse's.
for cmd in "dump" "validate" "stats --ordered"; do
	# shellcheck disable=SC2086
	"$bin" $cmd "$file" >/dev/null
done

for r in $(seq "$runs"); do
	run dump "$bin" dump "$file"
	run validate "$bin" validate "$file"
	run bounded "$bin" stats --ordered "$file"
	if [ -n "$go" ] && [ "$r" -le "$go_runs" ]; then
		run go "$go" tool trace -d "$file"
	fi
	if [ "$r" -le "$go_runs" ]; then
		for v in "${readers[@]}"; do
			run "reader-$v" "$tmp/go-reader-$v" "$file"
		done
	fi
done

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
# col NAME K: the median of column K of NAME's runs.
col() { awk -v k="$2" '{print $k}' "$tmp/$1" | median; }

printf '%-34s %9s %9s %10s %9s %12s\n' command "wall s" "CPU s" "RSS MiB" "MB/s CPU" "events/s CPU"
report() {
	local name=$1 label=$2 wall cpu rss
	wall=$(col "$name" 1)
	cpu=$(col "$name" 2)
	rss=$(col "$name" 3)
	awk -v l="$label" -v w="$wall" -v c="$cpu" -v r="$rss" -v b="$size" -v e="$events" 'BEGIN {
		printf "%-34s %9.2f %9.2f %10.1f %9.1f %12.3g\n", l, w, c, r / 1024, b / c / 1e6, e / c }'
}
report dump "gotrace dump"
report validate "gotrace validate (whole)"
report bounded "gotrace stats --ordered (bounded)"
if [ -s "$tmp/go" ]; then
	report go "go $go_version tool trace -d"
	awk -v gw="$(col go 1)" -v gc="$(col go 2)" -v w="$(col dump 1)" -v c="$(col dump 2)" 'BEGIN {
		printf "go tool trace -d / gotrace dump: %.1fx wall, %.1fx CPU\n", gw / w, gc / c }'
fi
# ratios NAME LABEL: NAME's medians over those of our whole and bounded parses.
ratios() {
	awk -v l="$2" -v gw="$(col "$1" 1)" -v gc="$(col "$1" 2)" \
		-v w="$(col validate 1)" -v c="$(col validate 2)" -v bw="$(col bounded 1)" -v bc="$(col bounded 2)" 'BEGIN {
		printf "%s / gotrace validate: %.1fx wall, %.1fx CPU; / stats --ordered: %.1fx wall, %.1fx CPU\n",
			l, gw / w, gc / c, gw / bw, gc / bc }'
}
for v in "${readers[@]}"; do
	report "reader-$v" "go $v parser alone"
	ratios "reader-$v" "go $v parser"
done
