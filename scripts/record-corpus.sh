#!/usr/bin/env bash
# Regenerate the recorded traces of the corpus and the golden outputs of
# `go tool trace -d` for every legacy-format trace and of Go 1.27's
# `go tool trace -d=wire` for every modern one.
#
#   bash scripts/record-corpus.sh                 # record everything, then goldens
#   bash scripts/record-corpus.sh --only-goldens  # goldens only, over the existing traces
#   bash scripts/record-corpus.sh --only-wire-goldens  # the -d=wire goldens only
#   bash scripts/record-corpus.sh --only-parsed-goldens  # the -d=parsed goldens only
#   bash scripts/record-corpus.sh --no-goldens    # record only
#   bash scripts/record-corpus.sh --go 1.19 --go 1.21 --program netio
#                                                 # restrict versions / programs (repeatable)
#
# Recording: each corpus/programs/NAME.go is built with `go build -trimpath`
# by every Go toolchain found (see scripts/go-toolchains.sh) and run once; its output becomes
# corpus/recorded/go1.X/NAME.trace. A missing toolchain is reported and
# skipped; its existing recordings are left alone.
#
# Goldens: for every legacy trace (header "go 1.5 trace" … "go 1.21 trace") in
# corpus/go-testdata/, corpus/recorded/ and corpus/hand-legacy/ (built by
# `python3 scripts/make-damaged.py --hand-legacy`), the stdout of `go tool trace -d`
# is stored gzip-compressed as corpus/golden/<path below corpus>.d.gz and the
# tool version, exit status and stderr (wall-clock log lines removed) as
# corpus/golden/<path below corpus>.d.meta. Go 1.19's tool reads headers up to
# 1.19, Go 1.21's tool reads "go 1.21 trace". For every modern trace
# (corpus/recorded/go1.22 … go1.27), the stdout of Go 1.27's
# `go tool trace -d=wire` goes to corpus/golden/<path>.wire.gz and its version,
# exit status and stderr to corpus/golden/<path>.wire.meta (Go 1.27 is the
# reference for every modern version; without it these goldens are kept), and
# likewise the stdout of `go tool trace -d=parsed` (run with TZ=UTC: Go prints
# wall clocks in local time) to <path>.parsed.gz and <path>.parsed.meta; the
# same -d=parsed goldens are written for the legacy 1.11 - 1.21 traces of
# corpus/go-testdata/, corpus/recorded/go1.19, go1.21 and corpus/hand-legacy/ (Go 1.27 converts
# them to its event model), and for the hand-written traces of
# corpus/hand-modern/ (each NAME.trace is `gotrace text --to-binary NAME.txt`).
# The format is described in corpus/README.md.
set -euo pipefail

ALL_VERSIONS="1.19 1.21 1.22 1.23 1.24 1.26 1.27"

usage() {
	sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
}

only_goldens=0
only_wire=0
only_parsed=0
no_goldens=0
versions=""
programs=""
while [ $# -gt 0 ]; do
	case "$1" in
	--only-goldens) only_goldens=1 ;;
	--only-wire-goldens) only_goldens=1; only_wire=1 ;;
	--only-parsed-goldens) only_goldens=1; only_parsed=1 ;;
	--no-goldens) no_goldens=1 ;;
	--go)
		[ $# -ge 2 ] || { usage >&2; exit 2; }
		versions="$versions ${2#go}"
		shift
		;;
	--program)
		[ $# -ge 2 ] || { usage >&2; exit 2; }
		programs="$programs ${2%.go}"
		shift
		;;
	-h | --help) usage; exit 0 ;;
	*) echo "record-corpus: unknown argument: $1" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
[ -n "$versions" ] || versions="$ALL_VERSIONS"

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
corpus="$repo/corpus"

# A hermetic Go environment: no modules, no proxy, no user go.env, no
# toolchain switching, a build cache outside the repository.
export GO111MODULE=off GOFLAGS= GOENV=off GOTOOLCHAIN=local GOPROXY=off
export GOCACHE="${GOCACHE:-/tmp/gotrace-gocache}"
unset GOROOT GOPATH GODEBUG GOMAXPROCS GOTRACEBACK 2>/dev/null || true

work=$(mktemp -d "${TMPDIR:-/tmp}/gotrace-record.XXXXXX")
trap 'rm -rf "$work"' EXIT

. "$(dirname "${BASH_SOURCE[0]}")/go-toolchains.sh"

# expected_header V: the header text Go V writes.
expected_header() {
	case "$1" in
	1.19 | 1.20) echo "go 1.19 trace" ;;
	1.21) echo "go 1.21 trace" ;;
	1.22) echo "go 1.22 trace" ;;
	1.23 | 1.24 | 1.25) echo "go 1.23 trace" ;;
	1.26 | 1.27) echo "go 1.26 trace" ;;
	*) echo "" ;;
	esac
}

# header_text FILE: the first 16 bytes without the NUL padding.
header_text() {
	head -c 16 "$1" | tr -d '\000'
}

# check_no_paths FILE: fail if FILE mentions a path of this machine.
check_no_paths() {
	local p
	local paths=("$repo" "$work" /work /tmp /root /home /usr/lib/go /opt/goext)
	case "${HOME:-/}" in
	/) ;;
	*) paths+=("$HOME") ;;
	esac
	for p in "${paths[@]}"; do
		if grep -a -q -F -- "$p" "$1"; then
			echo "record-corpus: $1 contains the machine path '$p'" >&2
			return 1
		fi
	done
}

program_list() {
	if [ -n "$programs" ]; then
		echo $programs
	else
		local f
		for f in "$corpus"/programs/*.go; do
			basename "$f" .go
		done
	fi
}

record_version() {
	local v=$1 go name bin out want got
	if ! go=$(find_go "$v"); then
		echo "skipping Go $v: not installed"
		return 0
	fi
	want=$(expected_header "$v")
	echo "== recording with $("$go" version)"
	mkdir -p "$work/go$v" "$corpus/recorded/go$v"
	if [ -z "$programs" ]; then
		rm -f "$corpus/recorded/go$v"/*.trace
	fi
	for name in $(program_list); do
		bin="$work/go$v/$name"
		out="$corpus/recorded/go$v/$name.trace"
		(cd "$corpus/programs" && "$go" build -trimpath -o "$bin" "./$name.go")
		if ! timeout 120 "$bin" "$out.tmp"; then
			echo "record-corpus: $name failed under Go $v" >&2
			rm -f "$out.tmp"
			return 1
		fi
		got=$(header_text "$out.tmp")
		if [ -n "$want" ] && [ "$got" != "$want" ]; then
			echo "record-corpus: $name under Go $v wrote header '$got', expected '$want'" >&2
			return 1
		fi
		check_no_paths "$out.tmp"
		mv "$out.tmp" "$out"
		printf '   %-12s %8d bytes  %s\n' "$name" "$(stat -c %s "$out")" "$got"
	done
}

dummy_binary=""
# make_dummy: a tiny program, handed to `go tool trace` for Go 1.5/1.6 traces,
# which refuses them without a binary (used only to symbolise PCs).
make_dummy() {
	if [ -z "$dummy_binary" ]; then
		local go
		go=$(find_go 1.19)
		mkdir -p "$work/dummy"
		printf 'package main\n\nfunc main() {}\n' >"$work/dummy/main.go"
		(cd "$work/dummy" && "$go" build -trimpath -o "$work/dummy/dummy" ./main.go)
		dummy_binary="$work/dummy/dummy"
	fi
}

# golden FILE: write the golden pair of one legacy trace (FILE below corpus/).
golden() {
	local file=$1 rel hdr minor tool go gov rc dest extra
	rel=${file#"$corpus"/}
	hdr=$(header_text "$file")
	case "$hdr" in
	"go 1."[0-9]" trace" | "go 1."[0-9][0-9]" trace") ;;
	*) echo "   $rel: not a legacy trace header ('$hdr'), no golden"; return 0 ;;
	esac
	minor=${hdr#go 1.}
	minor=${minor% trace}
	if [ "$minor" -le 19 ]; then
		tool=1.19
	elif [ "$minor" -eq 21 ]; then
		tool=1.21
	else
		return 0 # Go 1.22+ layout: goldens come from a later step
	fi
	if ! go=$(find_go "$tool"); then
		echo "skipping golden of $rel: Go $tool not installed"
		return 0
	fi
	gov=$("$go" version | awk '{print $3}')
	dest="$corpus/golden/$rel"
	mkdir -p "$(dirname "$dest")"
	extra=()
	if [ "$minor" -le 6 ]; then
		make_dummy
		extra=("$dummy_binary")
	fi
	rc=0
	(cd "$work" && "$go" tool trace -d ${extra[@]+"${extra[@]}"} "$file") >"$work/stdout" 2>"$work/stderr" || rc=$?
	gzip -n -9 -c "$work/stdout" >"$dest.d.gz"
	{
		echo "go: $gov"
		echo "exit: $rc"
		if [ "$minor" -le 6 ]; then
			echo "binary: dummy"
		fi
		grep -v -E '^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} ' "$work/stderr" || true
	} >"$dest.d.meta"
	check_no_paths "$dest.d.meta"
	printf '   %-50s exit %d, %7d lines\n' "$rel" "$rc" "$(wc -l <"$work/stdout")"
}

# wire_golden FILE [MODE]: write the -d=MODE golden pair (MODE wire, the
# default, or parsed) of one modern trace (FILE below corpus/), with Go 1.27's
# tool.
wire_golden() {
	local file=$1 mode=${2:-wire} rel go gov rc dest
	rel=${file#"$corpus"/}
	if ! go=$(find_go 1.27); then
		echo "skipping $mode golden of $rel: Go 1.27 not installed"
		return 0
	fi
	gov=$("$go" version | awk '{print $3}')
	dest="$corpus/golden/$rel"
	mkdir -p "$(dirname "$dest")"
	rc=0
	(cd "$work" && TZ=UTC "$go" tool trace -d="$mode" "$file") >"$work/stdout" 2>"$work/stderr" || rc=$?
	gzip -n -9 -c "$work/stdout" >"$dest.$mode.gz"
	{
		echo "go: $gov"
		echo "exit: $rc"
		grep -v -E '^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} ' "$work/stderr" || true
	} >"$dest.$mode.meta"
	check_no_paths "$dest.$mode.meta"
	printf '   %-50s exit %d, %7d lines\n' "$rel" "$rc" "$(wc -l <"$work/stdout")"
}

goldens() {
	local f src
	echo "== goldens (go tool trace -d)"
	# Drop goldens whose trace no longer exists.
	if [ -d "$corpus/golden" ]; then
		while IFS= read -r f; do
			src="$corpus/${f#"$corpus/golden/"}"
			src=${src%.d.gz}
			src=${src%.d.meta}
			src=${src%.wire.gz}
			src=${src%.wire.meta}
			src=${src%.parsed.gz}
			src=${src%.parsed.meta}
			if [ ! -e "$src" ]; then
				echo "   removing stale $f"
				rm -f "$f"
			fi
		done < <(find "$corpus/golden" -type f \( -name '*.d.gz' -o -name '*.d.meta' -o -name '*.wire.gz' -o -name '*.wire.meta' -o -name '*.parsed.gz' -o -name '*.parsed.meta' \))
	fi
	for f in "$corpus"/go-testdata/*; do
		[ "$only_wire" -eq 0 ] && [ "$only_parsed" -eq 0 ] || break
		[ -f "$f" ] || continue
		case "$(basename "$f")" in
		LICENSE | README* | *.md) continue ;;
		esac
		golden "$f"
	done
	if [ "$only_wire" -eq 0 ] && [ "$only_parsed" -eq 0 ]; then
		for f in "$corpus"/recorded/go1.19/*.trace "$corpus"/recorded/go1.21/*.trace "$corpus"/hand-legacy/*.trace; do
			[ -e "$f" ] || continue
			golden "$f"
		done
	fi
	if [ "$only_parsed" -eq 0 ]; then
		echo "== goldens (go tool trace -d=wire, Go 1.27)"
		for f in "$corpus"/recorded/go1.2[2-9]/*.trace; do
			[ -e "$f" ] || continue
			wire_golden "$f"
		done
	fi
	if [ "$only_wire" -eq 0 ]; then
		echo "== goldens (go tool trace -d=parsed, Go 1.27)"
		for f in "$corpus"/recorded/go1.2[2-9]/*.trace "$corpus"/hand-modern/*.trace; do
			[ -e "$f" ] || continue
			wire_golden "$f" parsed
		done
		echo "== goldens (go tool trace -d=parsed of legacy 1.11 - 1.21 traces, Go 1.27)"
		for f in "$corpus"/go-testdata/* "$corpus"/recorded/go1.19/*.trace "$corpus"/recorded/go1.21/*.trace "$corpus"/hand-legacy/*.trace; do
			[ -f "$f" ] || continue
			case "$(header_text "$f")" in
			"go 1.1"[1-9]" trace" | "go 1.2"[01]" trace") wire_golden "$f" parsed ;;
			esac
		done
		damaged_parsed_verdicts
	fi
}

# damaged_parsed_verdicts: Go 1.27's `go tool trace -d=parsed` verdict on every
# file of corpus/damaged/ and corpus/altered/ (exit status, first line of stderr:
# the error, or the panic) in the directory's verdicts-parsed.tsv.
damaged_parsed_verdicts() {
	local go f gov rc dir out
	if ! go=$(find_go 1.27); then
		echo "skipping damaged verdicts-parsed.tsv: Go 1.27 not installed"
		return 0
	fi
	gov=$("$go" version | awk '{print $3}')
	for dir in damaged altered; do
		out="$corpus/$dir/verdicts-parsed.tsv"
		printf 'name\tgo\texit\tmessage\n' >"$out.tmp"
		for f in "$corpus/$dir"/*; do
			case "$(basename "$f")" in
			*.tsv | *.tmp | *.py | README*) continue ;;
			esac
			rc=0
			(cd "$work" && TZ=UTC "$go" tool trace -d=parsed "$f") >/dev/null 2>"$work/stderr" || rc=$?
			printf '%s\t%s\t%d\t%s\n' "$(basename "$f")" "$gov" "$rc" "$(head -n 1 "$work/stderr")" >>"$out.tmp"
		done
		check_no_paths "$out.tmp"
		mv "$out.tmp" "$out"
		echo "   $dir/$(basename "$out"): $(($(wc -l <"$out") - 1)) verdicts"
	done
}

if [ "$only_goldens" -eq 0 ]; then
	for v in $versions; do
		record_version "$v"
	done
fi
if [ "$no_goldens" -eq 0 ]; then
	goldens
fi
echo "== corpus size: $(du -sh "$corpus" | cut -f1)"
