#!/usr/bin/env bash
# The arm64 twin of guest_record.sh: record Debian's arm64 kernel booting
# under `qemu-system-aarch64 -M virt` (TCG) with `vmtrace record`, then run
# the same checks (guest_checks.py: the guest's own report, every
# virtio-mmio access QEMU logged, requests decoded, no violation such as a
# false ring-outside-memory) and replay the boot against the built-in
# emulator with QEMU's known differences declared.
#
#   guest_record_arm64.sh VMTRACE SOURCE_ROOT KIT_DIR legacy|modern
#
# The kit (scripts/guest-kit.sh --arch arm64) needs the arm64 architecture
# in apt (scripts/setup.sh test adds it).  Skips (77) only when
# qemu-system-aarch64 is not installed or apt knows no arm64 kernel.
set -uo pipefail

vmtrace=$(realpath "$1") top=$2 kit=$3 layout=$4
here="$top/tests/qemu"
real_qemu=$(command -v qemu-system-aarch64) || { echo "SKIP: qemu-system-aarch64 is not installed (Debian package qemu-system-arm)"; exit 77; }
command -v sqlite3 >/dev/null || { echo "FAIL: sqlite3 is needed"; exit 1; }
if [ ! -s "$kit/vmlinuz" ] && ! apt-cache show linux-image-arm64:arm64 >/dev/null 2>&1; then
	echo "SKIP: apt knows no arm64 kernel (dpkg --add-architecture arm64; apt-get update, or scripts/setup.sh test)"
	exit 77
fi
mkdir -p "$kit"
# Both layouts' tests may start at once: one builds the kit, the other waits.
if ! flock "$kit/.lock" "$top/scripts/guest-kit.sh" --arch arm64 "$kit" >kit.log 2>&1; then
	echo "FAIL: cannot build the arm64 guest kit in $kit:"
	cat kit.log
	exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir "$work/bin"
cp "$here/tee-qemu.sh" "$work/bin/qemu-system-aarch64"
mapfile -t cmd < <("$here/guest-cmd-arm64.sh" --argv "$kit" "$work/guest" "$layout")
echo "recording: vmtrace record -o $work/t.db -- ${cmd[*]}"
start=$SECONDS
PATH="$work/bin:$PATH" REAL_QEMU=$real_qemu TRACE_COPY="$work/qemu-trace.txt" \
	timeout -k 10 300 "$vmtrace" record -o "$work/t.db" -- "${cmd[@]}" </dev/null >"$work/serial.txt" 2>"$work/vmtrace.err"
st=$?
echo "boot and record: $((SECONDS - start)) s"
cat "$work/vmtrace.err"
tr -d '\r' <"$work/serial.txt" | grep '^VMTGUEST' >"$work/guest.txt"
sed 's/^/guest: /' "$work/guest.txt"
if [ $st != 0 ]; then
	echo "FAIL: vmtrace record exited $st"
	exit 1
fi
"$vmtrace" info --json "$work/t.db" >"$work/info.json" || { echo "FAIL: vmtrace info --json"; exit 1; }

# Guest RAM is at 1 GiB on virt: the trace must say so, or no ring lands.
ram_base=$(sqlite3 "$work/t.db" "SELECT value FROM meta WHERE key = 'ram_base'" 2>/dev/null)
echo "ram_base: ${ram_base:-?}"

python3 "$here/guest_checks.py" "$work" "$layout" --qemu-log || exit 1

"$vmtrace" replay -X "$top/samples/qemu-linux-modern.expect" "$work/t.db" >"$work/replay.txt" 2>&1
st=$?
# A divergence that follows a torn ring copy (an anomaly on that device at
# or before it) is issue 13's open limitation: reported, not failed.
if [ $st = 1 ]; then
	"$vmtrace" replay --json -X "$top/samples/qemu-linux-modern.expect" "$work/t.db" >"$work/replay.json" 2>/dev/null
	if python3 "$here/replay_torn.py" "$work/t.db" "$work/replay.json"; then
		sed -n '/^first divergence/,/^$/p' "$work/replay.txt"
		st=0
	fi
fi
if [ $st != 0 ]; then
	echo "FAIL: vmtrace replay of the arm64 $layout boot exited $st:"
	cat "$work/replay.txt"
	cp "$work/t.db" "replay-failed-arm64-$layout.db" && echo "the trace is kept as $PWD/replay-failed-arm64-$layout.db"
	exit 1
fi
tail -1 "$work/replay.txt"
