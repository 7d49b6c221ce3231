#!/bin/sh
# Rewrite the expected outputs in tests/golden/out/ with what BUILD_DIR's
# vmtrace prints now: every case, or only the NAMEs given.  Then read the
# change as a user would (git diff tests/golden/) before committing it.
#
#   tests/golden/regen.sh BUILD_DIR [NAME...]
set -eu
if [ $# -lt 1 ]; then
	echo "usage: $0 BUILD_DIR [NAME...]" >&2
	exit 2
fi
build=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
srcroot=$(cd "$here/../.." && pwd)
case $build in
/*) exe=$build/cli/vmtrace ;;
*) exe=$(pwd)/$build/cli/vmtrace ;;
esac
ninja -C "$build" cli/vmtrace >/dev/null
exec python3 -B "$here/golden.py" "$exe" "$srcroot" --regen "$@"
