#!/usr/bin/env bash
# Times the modern (Go 1.22+) ordered reader against Go's own tools, in one run: `gotrace dump`
# vs `go tool trace -d=parsed`, `gotrace dump --wire` vs `-d=wire` (runs alternate, ours then
# Go's), and the ordered parse alone: `gotrace validate` vs Go's `internal/trace.Reader` reading
# every event (a program scripts/go-reader.sh builds). For each: the medians of wall time, CPU
# time (user + system) and peak RSS, the throughput in MB/s, and Go's median over ours.
#
#   bash scripts/bench-modern.sh FILE [RUNS] [GO_VERSION]
#
# RUNS        runs of each command (default 3; Go's `-d=parsed` takes minutes on 100 MB)
# GO_VERSION  the Go toolchain whose `go tool trace` to time (default 1.27)
# BASELINE    (environment) another gotrace binary, timed as well (`before` rows)
# PARSE_RUNS  (environment) rounds of the ordered parse alone at the end (default 31; 0: none)
#
# Make a trace first with `bash scripts/make-big-trace.sh 1.27 120 OUT`. The machine is
# shared: read the medians, never one run.
set -euo pipefail
cd "$(dirname "$0")/.."
file=${1:?usage: bench-modern.sh FILE [RUNS] [GO_VERSION]}
runs=${2:-3}
version=${3:-1.27}
version=${version#go}
baseline=${BASELINE:-}

. scripts/go-toolchains.sh
if ! go=$(find_go "$version"); then
	echo "bench-modern: Go $version is not installed" >&2
	exit 1
fi
export GOTOOLCHAIN=local GOFLAGS= GOENV=off
export GOCACHE="${GOCACHE:-${TMPDIR:-/tmp}/gotrace-gocache}"

cargo build --release -q -p gotrace-cli
ours=target/release/gotrace
size=$(stat -c %s "$file")
echo "file: $file ($size bytes), $runs runs each, $("$go" version)"

work=$(mktemp -d "${TMPDIR:-/tmp}/gotrace-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Builds Go's trace tool once, so that `go tool` does not time a build.
"$go" tool trace -h >/dev/null 2>&1 || true
bash scripts/go-reader.sh "$version" "$work/go-reader"

# run NAME CMD...: one run, "wall cpu rss" appended to $work/NAME.
run() {
	local name=$1
	shift
	/usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || {
		echo "bench-modern: $* failed: $(tail -1 "$work/stderr")" >&2
		exit 1
	}
	awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' "$work/time" >>"$work/$name"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# report NAME LABEL: medians of NAME's runs.
report() {
	local wall cpu rss
	wall=$(cut -d' ' -f1 "$work/$1" | median)
	cpu=$(cut -d' ' -f2 "$work/$1" | median)
	rss=$(cut -d' ' -f3 "$work/$1" | median)
	echo "$wall $cpu $rss" >"$work/$1.median"
	awk -v l="$2" -v w="$wall" -v c="$cpu" -v r="$rss" -v b="$size" 'BEGIN {
		printf "%-34s wall %8.2f s (%6.1f MB/s)  cpu %8.2f s (%6.1f MB/s)  rss %7.1f MB\n",
			l, w, b / w / 1e6, c, b / c / 1e6, r / 1024 }'
}

# ratio A B: B's medians over A's.
ratio() {
	paste -d' ' "$work/$1.median" "$work/$2.median" | awk -v l="$2/$1" '{
		printf "%-34s wall %.1fx  cpu %.1fx  rss %.2fx\n", l, $4 / $1, $5 / $2, $6 / $3 }'
}

# One untimed run of ours first: on a machine just booted, the first runs also pay for memory
# the host has not handed the machine yet (a page-zeroing cost in the kernel), not the parse's.
for args in "dump" "dump --wire" "validate"; do
	# shellcheck disable=SC2086
	"$ours" $args "$file" >/dev/null
done

for _ in $(seq "$runs"); do
	run dump "$ours" dump "$file"
	[ -z "$baseline" ] || run dump_before "$baseline" dump "$file"
	run go_parsed "$go" tool trace -d=parsed "$file"
	run wire "$ours" dump --wire "$file"
	[ -z "$baseline" ] || run wire_before "$baseline" dump --wire "$file"
	run go_wire "$go" tool trace -d=wire "$file"
	run validate "$ours" validate "$file"
	[ -z "$baseline" ] || run validate_before "$baseline" validate "$file"
	run go_reader "$work/go-reader" "$file"
done

report dump "gotrace dump"
[ -z "$baseline" ] || report dump_before "gotrace dump (before)"
report go_parsed "go tool trace -d=parsed"
ratio dump go_parsed
report wire "gotrace dump --wire"
[ -z "$baseline" ] || report wire_before "gotrace dump --wire (before)"
report go_wire "go tool trace -d=wire"
ratio wire go_wire
report validate "gotrace validate"
[ -z "$baseline" ] || report validate_before "gotrace validate (before)"
report go_reader "Go's trace.Reader alone"
ratio validate go_reader

# The ordered parse again, alone: PARSE_RUNS rounds of `gotrace validate` then Go's reader, timed
# to the nanosecond (/usr/bin/time's 10 ms steps are 4% of ours). A busy moment of the shared
# machine slows both runs of a round, so the ratio of each round is reported too: its median,
# quartiles (nearest rank) and the rounds at 10x or more.
parse_runs=${PARSE_RUNS:-31}
wall_ns() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1 || return 1
	t1=$(date +%s%N)
	echo $((t1 - t0))
}
# quartiles: "Q1/median/Q3" of the numbers on stdin.
quartiles() {
	sort -g | awk '{ a[NR] = $1 } END {
		printf "%s/%s/%s", a[int((NR + 3) / 4)], a[int((NR + 1) / 2)], a[int((3 * NR + 3) / 4)] }'
}
if [ "$parse_runs" -gt 0 ]; then
	for _ in $(seq "$parse_runs"); do
		a=$(wall_ns "$ours" validate "$file") || { echo "bench-modern: validate failed" >&2; exit 1; }
		b=$(wall_ns "$work/go-reader" "$file") || { echo "bench-modern: Go's reader failed" >&2; exit 1; }
		awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1f %.1f %.3f\n", a / 1e6, b / 1e6, b / a }' >>"$work/rounds"
	done
	echo "ordered parse, $parse_runs rounds (ms, Q1/median/Q3):" \
		"gotrace validate $(cut -d' ' -f1 "$work/rounds" | quartiles)," \
		"Go's reader $(cut -d' ' -f2 "$work/rounds" | quartiles)"
	echo "  Go's over ours per round: $(cut -d' ' -f3 "$work/rounds" | quartiles)," \
		"$(awk '$3 >= 10 { n++ } END { print n + 0 }' "$work/rounds") of $parse_runs rounds at 10x or more"
fi
if [ -n "$baseline" ]; then
	ratio dump dump_before
	ratio wire wire_before
	ratio validate validate_before
fi
