#!/bin/sh
# vmtrace record --emu is deterministic: the same arguments give
# byte-identical traces (run in two directories, so the relative output
# name, part of the recorded command line, is the same), modern and legacy
# and with the ring variants; a different seed gives a different trace.
# With PACKED_GOLDEN (tests/golden/in/emu-packed.vmt), the recording of
# that file is made again with the command in tests/golden/TESTLIST and
# must equal it byte for byte.
# usage: record_determinism.sh VMTRACE [PACKED_GOLDEN]
set -u
# meson passes the binary relative to the build directory; the test runs
# elsewhere.
case $1 in
/*) VMTRACE=$1 ;;
*) VMTRACE=$(pwd)/$1 ;;
esac
T=$(mktemp -d "${TMPDIR:-/tmp}/vmtrace-record-det.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
mkdir "$T/1" "$T/2" || exit 1
fails=0

same() {
	for d in 1 2; do
		(cd "$T/$d" && "$VMTRACE" record -q -f -o A "$@") || {
			echo "FAIL: record $* exited $?" >&2
			fails=$((fails + 1))
			return
		}
	done
	if ! cmp "$T/1/A" "$T/2/A"; then
		echo "FAIL: record $* is not deterministic" >&2
		fails=$((fails + 1))
	fi
}

same --emu blk,net,console,rng
same --emu blk,net,console,rng --legacy
same --emu blk,net,console,rng --no-indirect --no-event-idx
same --emu blk,net,console,rng --packed
same --emu blk,net,console,rng --packed --no-indirect --no-event-idx --workload 'queue:size=4;blk:requests=40'
same --emu rng,net,blk --legacy --seed 42 --flush event --workload 'queue:size=4;net:frames=20'

(cd "$T/1" && "$VMTRACE" record -q -f -o A --emu blk,rng --seed 1 && cp A B &&
	"$VMTRACE" record -q -f -o A --emu blk,rng --seed 2) || { echo "FAIL: seeded runs" >&2; exit 1; }
if cmp -s "$T/1/A" "$T/1/B"; then
	echo "FAIL: --seed does not change the trace" >&2
	fails=$((fails + 1))
fi

if [ $# -ge 2 ]; then
	case $2 in
	/*) golden=$2 ;;
	*) golden=$(pwd)/$2 ;;
	esac
	mkdir -p "$T/3/tests/golden/in"
	(cd "$T/3" && "$VMTRACE" record --emu blk,rng --packed \
		-w 'blk:sectors=2,requests=1;rng:requests=6,bytes=16;queue:size=4' \
		-o tests/golden/in/emu-packed.vmt -q) || { echo "FAIL: packed golden recording" >&2; exit 1; }
	if ! cmp "$T/3/tests/golden/in/emu-packed.vmt" "$golden"; then
		echo "FAIL: tests/golden/in/emu-packed.vmt is not what its command records now (make it again: tests/golden/TESTLIST)" >&2
		fails=$((fails + 1))
	fi
fi

[ "$fails" = 0 ] || exit 1
exit 0
