#!/bin/sh
# vmtrace record: argument errors (exit 2 with a message and a hint),
# --help, default output name, FILE.old rotation, -f, -q, the summary line,
# --blk-image, and a failing workload (exit 1).
# usage: record_cli.sh VMTRACE
set -u
# meson passes the binary relative to the build directory; the test runs
# elsewhere.
case $1 in
/*) VMTRACE=$1 ;;
*) VMTRACE=$(pwd)/$1 ;;
esac
T=$(mktemp -d "${TMPDIR:-/tmp}/vmtrace-record-cli.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
fails=0

fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

# expect STATUS PATTERN ARGS...: run vmtrace record ARGS, check the exit
# status and that stderr (or stdout for status 0) matches PATTERN.
expect() {
	want=$1 pat=$2
	shift 2
	"$VMTRACE" record "$@" >out.txt 2>err.txt
	got=$?
	[ "$got" = "$want" ] || fail "record $*: exit $got, expected $want: $(cat err.txt)"
	if [ -n "$pat" ] && ! grep -q -e "$pat" out.txt err.txt; then
		fail "record $*: no '$pat' in output: $(cat out.txt err.txt)"
	fi
	if [ "$want" = 2 ] && [ -z "${NOHINT:-}" ] && ! grep -q -e "--help" err.txt; then
		fail "record $*: no hint to --help"
	fi
}

# refused PATTERN ARGS...: exit 2 for a refused output, no --help hint
# (the options were right).
refused() {
	NOHINT=1
	expect 2 "$@"
	NOHINT=
}

expect 2 "nothing to record"
expect 2 "unknown device 'gpu'" --emu blk,gpu
expect 2 "empty" --emu blk,,rng
expect 2 "blk:sectors" --emu blk --workload blk:sectors=0
expect 2 "unknown workload 'disk'" --emu blk --workload disk:sectors=4
expect 2 "unknown key 'speed'" --emu blk -w blk:speed=4
expect 2 "bad --seed 'abc'" --emu blk --seed abc
expect 2 "bad --seed '-1'" --emu blk --seed -1
expect 2 "bad --flush 'sometimes'" --emu blk --flush sometimes
expect 2 "unknown option '--bogus'" --emu blk --bogus
expect 2 "unknown option '-x'" --emu blk -x
expect 2 "needs an argument" --emu blk -o
expect 2 "needs an argument" --emu
expect 2 "not both" --emu blk -- qemu-system-x86_64
expect 2 "--packed needs the Version 2 layout" --emu blk --packed --legacy
expect 2 "--packed needs the Version 2 layout" --emu rng --legacy --packed -o p.vmt
expect 2 "is for the built-in emulator" --packed -- qemu-system-x86_64
expect 2 "is not QEMU" -- /bin/true
expect 2 "is for recording a QEMU command" --emu blk --qemu-log q.log
expect 2 "missing.img': No such file" --emu blk --blk-image "$T/missing.img"
[ ! -e vmtrace.vmt ] && [ ! -e vmtrace.db ] || fail "a failed record left an output behind"

# Garbage that used to be accepted (issue 11): each refused with exit 2.
expect 2 "empty workload" --emu rng -w ''
expect 2 "'rng:': expected" --emu rng -w 'rng:'
expect 2 "';'\\|expected DEVICE" --emu rng -w ';;'
expect 2 "empty KEY=NUMBER" --emu rng -w 'rng:bytes=5,,requests=1'
expect 2 "bad value ' 5'" --emu rng -w 'rng:bytes= 5'
expect 2 "sets blk sizes, but --emu 'rng' has no blk device" --emu rng -w blk:sectors=1
expect 2 "--blk-image is for a blk device" --emu rng --blk-image /nonexistent
expect 2 "bad --seed ' -1'" --emu rng --seed ' -1'
expect 2 "bad --seed '+1'" --emu rng --seed '+1'
refused "name the same file" --emu rng --raw o.db -o o.db
refused "already is the raw trace" --emu rng --raw x.vmt -o y.vmt
refused "empty output file name" --emu rng -o ''
refused "'/dev/full' exists and is not a regular file (a device)" --emu rng -o /dev/full
[ -c /dev/full ] || fail "/dev/full is no longer a device"
mkdir adir
refused "'adir' exists and is not a regular file (a directory)" --emu rng -o adir
[ -d adir ] && [ ! -e adir.old ] || fail "the directory given as output was moved"
[ -z "$(ls -A adir)" ] || fail "something was written into the directory given as output"
left=$(ls | grep -v -e '^out.txt$' -e '^err.txt$' -e '^adir$')
[ -z "$left" ] || fail "refused recordings left files behind: $left"

expect 0 "usage: vmtrace record" --help
for word in --emu --legacy --workload --output --raw --force --seed --blk-image --flush --fsync \
	--no-indirect --no-event-idx --packed --quiet "blk:sectors=N" "queue:size=N" "qemu-system-ARCH" "Exit status"; do
	grep -q -e "$word" out.txt || fail "--help does not mention '$word'"
done
"$VMTRACE" help record >out.txt 2>&1 || fail "vmtrace help record failed"
grep -q "usage: vmtrace record" out.txt || fail "vmtrace help record prints no usage"

# Default output: the decoded vmtrace.db, no raw trace left behind.
expect 0 "" --emu blk,net,console,rng
[ -s vmtrace.db ] || fail "no vmtrace.db written by default"
ls ./*.vmt >/dev/null 2>&1 && fail "a raw trace was left behind: $(ls ./*.vmt)"
grep -q -E '^\[ vmtrace record: [0-9]+ events \(0 lost\), 4 devices, [0-9]+ bytes -> vmtrace\.db \]$' err.txt ||
	fail "summary line missing: $(cat err.txt)"
for dev in virtio-blk@0x10000000 virtio-net@0x10000200 virtio-console@0x10000400 virtio-rng@0x10000600; do
	grep -q "$dev *ok .*ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK" err.txt || fail "summary lacks '$dev ok'"
done
"$VMTRACE" info vmtrace.db >info.txt 2>&1 || fail "vmtrace info cannot read the recorded vmtrace.db"
grep -q "0 violations" info.txt || fail "the recorded vmtrace.db does not decode cleanly: $(cat info.txt)"
# The decoder counts the vCPUs of the register accesses (one here) for
# readers that must not read every access to learn it.
if command -v sqlite3 >/dev/null; then
	n=$(sqlite3 vmtrace.db "SELECT value FROM meta WHERE key = 'mmio_vcpus'")
	[ "$n" = 1 ] || fail "meta mmio_vcpus is '$n', not 1"
fi
# --raw keeps the raw trace next to the decoded one.
expect 0 "raw trace: kept.vmt" --emu rng -o r.db --raw kept.vmt
[ -s kept.vmt ] && [ -s r.db ] || fail "--raw did not keep both files"
"$VMTRACE" dump kept.vmt >/dev/null || fail "the kept raw trace does not dump"
# A name ending in .vmt writes the raw trace only.
expect 0 "" --emu blk -o only.vmt
size=$(wc -c <only.vmt | tr -d ' ')
grep -q " $size bytes -> only.vmt" err.txt || fail "summary byte count is not the file size ($size)"

# Rotation: the previous trace becomes FILE.old, byte for byte.
expect 0 "" --emu rng -o t.vmt
cp t.vmt first.vmt
expect 0 "moved existing 't.vmt' to 't.vmt.old'" --emu rng,blk -o t.vmt
cmp -s first.vmt t.vmt.old || fail "t.vmt.old is not the previous t.vmt"
cmp -s first.vmt t.vmt && fail "t.vmt was not rewritten"
cp t.vmt second.vmt
rm -f t.vmt.old
expect 0 "" --emu rng -o t.vmt -f
[ ! -e t.vmt.old ] || fail "-f still renamed the old output"
cmp -s second.vmt t.vmt && fail "-f did not overwrite t.vmt"

# -q: nothing on stderr.
expect 0 "" --emu blk,net -q -o q.vmt -f
[ ! -s err.txt ] || fail "-q printed: $(cat err.txt)"

# Legacy devices reach ACKNOWLEDGE|DRIVER|DRIVER_OK.
expect 0 "virtio-net@0x10000000 *ok *v1  ACKNOWLEDGE|DRIVER|DRIVER_OK" --emu net --legacy -o l.vmt

# Packed rings: every device negotiates RING_PACKED, every workload is
# verified, and the decoded trace has no violation.
expect 0 "Version 2 machine (packed rings)" --emu blk,net,console,rng --packed -o packed.db
for dev in virtio-blk@0x10000000 virtio-net@0x10000200 virtio-console@0x10000400 virtio-rng@0x10000600; do
	grep -q "$dev *ok .*ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK" err.txt || fail "--packed: summary lacks '$dev ok'"
done
[ "$(grep -c "features:.* RING_PACKED" err.txt)" = 4 ] || fail "--packed: not every device negotiated RING_PACKED"
"$VMTRACE" info packed.db >info.txt 2>&1 || fail "vmtrace info cannot read packed.db"
grep -q "0 violations" info.txt || fail "the packed trace does not decode cleanly: $(cat info.txt)"
expect 0 "" --emu blk,rng -o split.vmt
grep -q "RING_PACKED" err.txt && fail "RING_PACKED negotiated without --packed"
# The decoder reads the packed trace as the same requests (kind, op,
# sector, length, status, data digest) as the split-ring one of the same
# workload, every chain with its used entry.
expect 0 "" --emu blk,net,console,rng -o split.db
python3 - split.db packed.db <<'PY' || fail "the packed trace does not decode to the split trace's requests"
import sqlite3, sys
q = "SELECT device, queue, kind, op, sector, length, status, digest, hex(data) FROM requests ORDER BY request"
a, b = (sqlite3.connect(f).execute(q).fetchall() for f in sys.argv[1:3])
n = [sqlite3.connect(f).execute("SELECT (SELECT count(*) FROM chains), (SELECT count(*) FROM used)").fetchone()
     for f in sys.argv[1:3]]
if not a or a != b or n[0] != n[1]:
    print("split: %d requests, chains/used %s; packed: %d requests, chains/used %s" % (len(a), n[0], len(b), n[1]))
    sys.exit(1)
PY
# Replay: the packed emulator trace replays identically; a used
# descriptor's flags changed in the trace make it diverge (exit 1).
"$VMTRACE" replay -q packed.db >out.txt 2>&1 || fail "replay of packed.db: exit $?: $(cat out.txt)"
grep -q "packed.db: identical, 0 divergences" out.txt || fail "replay of packed.db: $(cat out.txt)"
cp packed.db packed-bad.db
python3 - packed-bad.db <<'PY' || fail "cannot change packed-bad.db"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE memory SET data = X'0280' WHERE seq = (SELECT seq FROM memory WHERE kind = 'device-write' "
           "AND length(data) = 2 AND data = X'8280' ORDER BY seq LIMIT 1 OFFSET 1)")
db.commit()
sys.exit(0 if db.total_changes == 1 else 1)
PY
"$VMTRACE" replay packed-bad.db >out.txt 2>&1
rc=$?
[ "$rc" = 1 ] && grep -q "first divergence at seq" out.txt || fail "replay of a changed packed trace: exit $rc: $(cat out.txt)"

# A blk image file: the workload writes the pattern into it.
dd if=/dev/zero of=disk.img bs=1024 count=1024 2>/dev/null
expect 0 "" --emu blk --blk-image disk.img -o img.vmt
[ "$(od -An -tx1 -N16 disk.img | tr -d ' \n')" != "00000000000000000000000000000000" ] ||
	fail "the blk workload did not write into disk.img"

# An image smaller than the workload: refused before anything runs.
dd if=/dev/zero of=small.img bs=512 count=8 2>/dev/null
expect 2 "blk:sectors=32 is more than the disk's 8 sectors" --emu blk --blk-image small.img -o small.vmt
[ ! -e small.vmt ] || fail "a refused recording left small.vmt"
# The same for the built-in 2048-sector disk (the parser's limit is 8192).
expect 2 "blk:sectors=8192 is more than the disk's 2048 sectors" --emu blk -w blk:sectors=8192
expect 0 "" --emu blk -w blk:sectors=2048 -o max.vmt

# --repeat N: N rounds, each after the first marked and starting with a
# reset of every device; the used buffers add up, the trace decodes without
# a violation and replays identically (the guest memory a round reuses is
# no live ring: every device was reset first).
expect 2 "bad --repeat '0'" --emu blk --repeat 0
expect 2 "bad --repeat '1000001'" --emu blk --repeat 1000001
expect 2 "--repeat is for the built-in emulator" --repeat 2 -- true
expect 0 "" --emu blk,rng -o once.db
once=$(sed -n 's/.*virtio-blk@0x10000000 .*, \([0-9]*\) used buffers.*/\1/p' err.txt)
expect 0 "" --emu blk,rng --repeat 3 -o thrice.db --raw thrice.vmt
thrice=$(sed -n 's/.*virtio-blk@0x10000000 .*, \([0-9]*\) used buffers.*/\1/p' err.txt)
[ -n "$once" ] && [ "$thrice" = $((3 * once)) ] || fail "--repeat 3: $thrice used buffers, not 3 x $once"
"$VMTRACE" dump thrice.vmt >dump.txt 2>&1 || fail "vmtrace dump of thrice.vmt failed"
[ "$(grep -c 'marker "round [23] of 3"' dump.txt)" = 2 ] || fail "--repeat 3: not two round markers"
grep -q "repeat.*3" dump.txt || "$VMTRACE" dump --header thrice.vmt 2>&1 | grep -q "repeat.*3" ||
	fail "--repeat 3: no 'repeat' in the metadata"
"$VMTRACE" info thrice.db >info.txt 2>&1 || fail "vmtrace info cannot read thrice.db"
grep -q "0 violations" info.txt || fail "the repeated trace does not decode cleanly: $(cat info.txt)"
"$VMTRACE" replay -q thrice.db >out.txt 2>&1 || fail "replay of thrice.db: exit $?: $(cat out.txt)"
e1=$(sqlite3 once.db "SELECT value FROM meta WHERE key = 'events'" 2>/dev/null)
e3=$(sqlite3 thrice.db "SELECT value FROM meta WHERE key = 'events'" 2>/dev/null)
if [ -n "$e1" ] && [ -n "$e3" ]; then
	[ "$e3" -gt $((3 * e1 - 100)) ] && [ "$e3" -lt $((3 * e1 + 100)) ] || fail "--repeat 3: $e3 events, once $e1"
fi

# The trace reads back.
"$VMTRACE" dump only.vmt >dump.txt 2>&1 || fail "vmtrace dump of the recording failed"

[ "$fails" = 0 ] || { echo "$fails failure(s)" >&2; exit 1; }
exit 0
