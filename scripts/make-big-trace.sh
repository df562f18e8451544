#!/usr/bin/env bash
# Record one large execution trace for load and memory tests (not part of
# the committed corpus).
#
#   bash scripts/make-big-trace.sh [GO_VERSION] [SIZE_MB] [OUTPUT]
#
# GO_VERSION  Go toolchain to record with (default 1.19)
# SIZE_MB     stop tracing once this many MiB were written (default 150)
# OUTPUT      trace path (default /tmp/gotrace-big-GO_VERSION.trace)
#
# The program is corpus/programs/big/bigtrace.go, built with -trimpath.
set -euo pipefail

version=${1:-1.19}
version=${version#go}
size_mb=${2:-150}
out=${3:-/tmp/gotrace-big-$version.trace}

case "$size_mb" in
'' | *[!0-9]*) echo "make-big-trace: SIZE_MB must be a positive integer" >&2; exit 2 ;;
esac

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

. "$(dirname "${BASH_SOURCE[0]}")/go-toolchains.sh"

if ! go=$(find_go "$version"); then
	echo "skipping Go $version: not installed" >&2
	exit 1
fi

export GO111MODULE=off GOFLAGS= GOENV=off GOTOOLCHAIN=local GOPROXY=off
export GOCACHE="${GOCACHE:-/tmp/gotrace-gocache}"
unset GOROOT GOPATH GODEBUG GOMAXPROCS 2>/dev/null || true

work=$(mktemp -d "${TMPDIR:-/tmp}/gotrace-big.XXXXXX")
trap 'rm -rf "$work"' EXIT

(cd "$repo/corpus/programs/big" && "$go" build -trimpath -o "$work/bigtrace" ./bigtrace.go)
mkdir -p "$(dirname "$out")"
echo "recording a ${size_mb} MiB trace with $("$go" version) into $out"
start=$(date +%s%N)
"$work/bigtrace" "$out" "$size_mb"
end=$(date +%s%N)
bytes=$(stat -c %s "$out")
awk -v out="$out" -v b="$bytes" -v ns="$((end - start))" -v h="$(head -c 16 "$out" | tr -d '\000')" \
	'BEGIN { printf "wrote %s: %d bytes (%.1f MiB), header \"%s\", in %.1f s\n", out, b, b / 1048576, h, ns / 1e9 }'
