#!/usr/bin/env bash
# Installs the Go toolchains gotrace is tested against, from Debian's own packages.
#
#   Go 1.19 (bookworm), 1.21, 1.22, 1.23 (bookworm-backports): apt packages, /usr/lib/go-1.X
#   Go 1.24 (trixie), 1.26, 1.27 (sid): .deb files unpacked under /opt/goext, no system change
#
# The archive address is taken from this machine's own apt sources; no host is named here.
# Needs root. Installs what it can; says plainly what it could not. It fails only when a
# required toolchain (1.19, 1.21, 1.22, 1.23, 1.24) is missing afterwards.
set -u

SRC=/etc/apt/sources.list.d/debian.sources
. "$(dirname "${BASH_SOURCE[0]}")/go-toolchains.sh"
EXT=$GO_EXT
REQUIRED="1.19 1.21 1.22 1.23 1.24"
OPTIONAL="1.26 1.27"


missing() { local m=""; for v in "$@"; do find_go "$v" >/dev/null || m="$m $v"; done; echo "$m"; }

if [ -z "$(missing $REQUIRED $OPTIONAL)" ]; then
  echo "install-go-toolchains: all toolchains present"
else
  if [ ! -r "$SRC" ]; then
    echo "install-go-toolchains: $SRC not found; cannot derive the Debian archive" >&2
  else
    first() { awk 'BEGIN{RS="";ORS="\n\n"} NR==1' "$SRC"; }
    if [ -n "$(missing 1.19 1.21 1.22 1.23)" ]; then
      first | sed 's/^Suites:.*/Suites: bookworm-backports/' > /etc/apt/sources.list.d/backports.sources
      apt-get update -qq || echo "install-go-toolchains: apt-get update failed" >&2
      apt-get install -y -qq golang-1.19-go golang-1.21-go golang-1.22-go golang-1.23-go >/dev/null ||
        echo "install-go-toolchains: apt-get install of 1.19-1.23 failed" >&2
    fi
    newer=$(missing 1.24 1.26 1.27)
    if [ -n "$newer" ]; then
      tmp=$(mktemp -d); chmod 755 "$tmp"
      first | sed 's/^Suites:.*/Suites: trixie sid/' > "$tmp/newer.sources"
      mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/debs"
      o="-o Dir::Etc::SourceList=$tmp/newer.sources -o Dir::Etc::SourceParts=/dev/null"
      o="$o -o Dir::State::Lists=$tmp/lists -o Dir::Cache=$tmp/cache"
      apt-get $o update -qq || echo "install-go-toolchains: update of trixie/sid lists failed" >&2
      for v in $newer; do
        if (cd "$tmp/debs" && apt-get $o download -qq "golang-$v-go" "golang-$v-src" >/dev/null 2>&1); then
          for f in "$tmp"/debs/golang-"$v"-*.deb; do dpkg -x "$f" "$EXT"; done
        else
          echo "install-go-toolchains: golang-$v is not in the archive now" >&2
        fi
      done
      rm -rf "$tmp"
    fi
  fi
fi

for v in $REQUIRED $OPTIONAL; do
  if b=$(find_go "$v"); then echo "  go $v: $b"; else echo "  go $v: not installed"; fi
done
m=$(missing $REQUIRED)
if [ -n "$m" ]; then
  echo "install-go-toolchains: required toolchain(s) missing:$m" >&2
  exit 1
fi
m=$(missing $OPTIONAL)
[ -n "$m" ] && echo "install-go-toolchains: optional toolchain(s) not available:$m (tests that need them skip)"
exit 0
