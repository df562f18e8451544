#!/usr/bin/env bash
# Builds a program that reads a trace with a Go toolchain's own parser and nothing else: no
# printing of events, so that the benchmarks can time Go's parse alone (`go tool trace -d` spends
# most of its time formatting text). Go's parsers live in `internal/` packages, which only code
# inside the toolchain's tree may import: the program is built in a temporary tree that links
# to every entry of the toolchain's own, plus the program's directory under src/cmd.
#
#   bash scripts/go-reader.sh VERSION OUT
#   OUT FILE    # prints the number of events Go's parser returned; exit 1 with its error
#
# VERSION 1.19 or 1.21: `internal/trace.Parse` (the whole-file legacy parser, Go 1.5 - 1.21).
# VERSION 1.22: `internal/trace/v2.Reader`; 1.23 and later: `internal/trace.Reader` (modern
# traces, and legacy 1.11 - 1.21 traces converted on the fly).
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:?usage: go-reader.sh VERSION OUT}
out=$(realpath -m "${2:?usage: go-reader.sh VERSION OUT}")
version=${version#go}

. scripts/go-toolchains.sh
if ! go=$(find_go "$version"); then
	echo "go-reader: Go $version is not installed" >&2
	exit 1
fi
root=$(dirname "$(dirname "$(realpath "$go")")")

work=$(mktemp -d "${TMPDIR:-/tmp}/gotrace-goreader.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Links, not a copy (the tree is some 300 MB): src/ and src/cmd/ are directories of links, so
# that the program's directory can sit among Go's commands.
link_entries() { # FROM TO [SKIP]
	local entry
	mkdir -p "$2"
	for entry in "$1"/*; do
		[ "$(basename "$entry")" = "${3:-}" ] || ln -s "$(realpath "$entry")" "$2/"
	done
}
link_entries "$root" "$work/go" src
link_entries "$root/src" "$work/go/src" cmd
link_entries "$root/src/cmd" "$work/go/src/cmd"
mkdir "$work/go/src/cmd/gotrace-reader"

case $version in
1.19 | 1.21)
	cat >"$work/go/src/cmd/gotrace-reader/main.go" <<'EOF'
package main

import (
	"bufio"
	"fmt"
	"internal/trace"
	"os"
)

func main() {
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	res, err := trace.Parse(bufio.NewReaderSize(f, 1<<20), "")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(len(res.Events))
}
EOF
	;;
*)
	pkg=internal/trace
	[ "$version" = 1.22 ] && pkg=internal/trace/v2
	sed "s|PKG|$pkg|" >"$work/go/src/cmd/gotrace-reader/main.go" <<'EOF'
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"

	trace "PKG"
)

func main() {
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	r, err := trace.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	n := 0
	for {
		_, err := r.ReadEvent()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		n++
	}
	fmt.Println(n)
}
EOF
	;;
esac

export GOTOOLCHAIN=local GOFLAGS= GOENV=off
export GOCACHE="${GOCACHE:-${TMPDIR:-/tmp}/gotrace-gocache}"
(cd "$work/go/src" && GOROOT="$work/go" "$work/go/bin/go" build -o "$out" cmd/gotrace-reader)
