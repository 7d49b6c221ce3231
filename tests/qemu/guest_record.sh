#!/usr/bin/env bash
# Record a real Linux guest booting under QEMU (TCG) with
# `vmtrace record -- qemu-system-x86_64 ...`, then hold the decoded trace
# against what the guest itself reports on its serial console
# (guest-init.sh) and what QEMU itself logged for the same boot.
#
#   guest_record.sh VMTRACE SOURCE_ROOT KIT_DIR legacy|modern
set -uo pipefail

vmtrace=$(realpath "$1") top=$2 kit=$3 layout=$4
here="$top/tests/qemu"
real_qemu=$(command -v qemu-system-x86_64) || { echo "SKIP: qemu-system-x86_64 is not installed"; exit 77; }
command -v sqlite3 >/dev/null || { echo "FAIL: sqlite3 is needed"; exit 1; }
mkdir -p "$kit"
# Both layouts' tests may start at once: one builds the kit, the other waits.
if ! flock "$kit/.lock" "$top/scripts/guest-kit.sh" "$kit" >kit.log 2>&1; then
	echo "FAIL: cannot build the guest kit in $kit:"
	cat kit.log
	exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir "$work/bin"
cp "$here/tee-qemu.sh" "$work/bin/qemu-system-x86_64"
mapfile -t cmd < <("$here/guest-cmd.sh" --argv "$kit" "$work/guest" "$layout")
echo "recording: vmtrace record -o $work/t.db -- ${cmd[*]}"
PATH="$work/bin:$PATH" REAL_QEMU=$real_qemu TRACE_COPY="$work/qemu-trace.txt" \
	timeout -k 10 600 "$vmtrace" record -o "$work/t.db" -- "${cmd[@]}" </dev/null >"$work/serial.txt" 2>"$work/vmtrace.err"
st=$?
cat "$work/vmtrace.err"
tr -d '\r' <"$work/serial.txt" | grep '^VMTGUEST' >"$work/guest.txt"
sed 's/^/guest: /' "$work/guest.txt"
if [ $st != 0 ]; then
	echo "FAIL: vmtrace record exited $st"
	exit 1
fi
"$vmtrace" info --json "$work/t.db" >"$work/info.json" || { echo "FAIL: vmtrace info --json"; exit 1; }

python3 "$here/guest_checks.py" "$work" "$layout" --qemu-log || exit 1

# The same boot replayed against the built-in emulator: with QEMU's known
# differences declared, the device side must match to the end.
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
	echo "FAIL: vmtrace replay of the $layout boot exited $st:"
	cat "$work/replay.txt"
	cp "$work/t.db" "replay-failed-$layout.db" && echo "the trace is kept as $PWD/replay-failed-$layout.db"
	exit 1
fi
tail -1 "$work/replay.txt"
