# Where the Go toolchains live, for the scripts that source this file: Debian's packages under
# /usr/lib/go-1.X, and the ones scripts/install-go-toolchains.sh unpacks under $GO_EXT.
#
#   . scripts/go-toolchains.sh; go=$(find_go 1.19)

GO_EXT=/opt/goext

# find_go V: print the go command of Go V, or fail if it is not installed.
find_go() {
	local dir
	for dir in "/usr/lib/go-$1" "$GO_EXT/usr/lib/go-$1"; do
		if [ -x "$dir/bin/go" ]; then
			echo "$dir/bin/go"
			return 0
		fi
	done
	return 1
}
