#!/usr/bin/env bash
# Record a real Linux guest booting under QEMU (TCG) with
# `vmtrace record -- qemu-system-ARCH ...`, then hold the decoded trace
# against what the guest itself reports on its serial console
# (guest-init.sh) and QEMU's own trace of the same boot (its virtio-blk
# reports; record --qemu-log keeps it)
# (guest_checks.py), and replay the boot against the built-in emulator
# with QEMU's known differences declared.
#
#   guest_record.sh VMTRACE SOURCE_ROOT KIT_DIR legacy|modern [x86_64|arm64]
#
# GUEST_HEAVY=MB (x86_64) makes the guest also move MB MiB through its
# disk (guest-cmd.sh --heavy): many blk requests in flight at once.
# GUEST_REBIND=1 (x86_64) makes it unbind and rebind its blk and rng
# drivers (guest-cmd.sh --rebind).  GUEST_DEVICE_PROPS (below) sets QEMU
# properties on every virtio device.
#
# x86_64 (the default) boots the host's kernel on microvm (guest-cmd.sh);
# arm64 boots Debian's arm64 kernel on `virt` (guest-cmd.sh --arch arm64; its kit
# needs apt's arm64 architecture, which scripts/setup.sh test adds).  Skips
# (77) only when the QEMU binary or, for arm64, any arm64 kernel is absent.
set -uo pipefail

vmtrace=$(realpath "$1") top=$2 kit=$3 layout=$4 arch=${5:-x86_64}
here="$top/tests/qemu"
case $arch in
x86_64)
	qemu=qemu-system-x86_64 package=qemu-system-x86 kit_args=() what=$layout ;;
arm64)
	qemu=qemu-system-aarch64 package=qemu-system-arm kit_args=(--arch arm64)
	what="arm64 $layout" ;;
*)
	echo "FAIL: unknown guest architecture '$arch'"; exit 1 ;;
esac
real_qemu=$(command -v $qemu) || { echo "SKIP: $qemu is not installed (Debian package $package)"; exit 77; }
if [ "$arch" = arm64 ] && [ ! -s "$kit/vmlinuz" ] && ! apt-cache show linux-image-arm64:arm64 >/dev/null 2>&1; then
	echo "SKIP: apt knows no arm64 kernel (dpkg --add-architecture arm64; apt-get update, or scripts/setup.sh test)"
	exit 77
fi
command -v sqlite3 >/dev/null || { echo "FAIL: sqlite3 is needed"; exit 1; }
mkdir -p "$kit"
# Both layouts' tests may start at once: one builds the kit, the other waits.
if ! flock "$kit/.lock" "$top/scripts/guest-kit.sh" "${kit_args[@]}" "$kit" >kit.log 2>&1; then
	echo "FAIL: cannot build the $arch guest kit in $kit:"
	cat kit.log
	exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

heavy_args=()
if [ -n "${GUEST_HEAVY:-}" ]; then
	[ "$arch" = x86_64 ] || { echo "FAIL: GUEST_HEAVY is for the x86_64 guest"; exit 1; }
	heavy_args=(--heavy "$GUEST_HEAVY")
	what="$what heavy-I/O"
fi
# GUEST_REBIND=1 (x86_64): the guest unbinds and rebinds its blk and rng
# drivers (guest-cmd.sh --rebind): resets and second set-ups to decode and
# replay.
if [ -n "${GUEST_REBIND:-}" ]; then
	[ "$arch" = x86_64 ] || { echo "FAIL: GUEST_REBIND is for the x86_64 guest"; exit 1; }
	heavy_args+=(--rebind)
	what="$what rebind"
fi
mapfile -t cmd < <("$here/guest-cmd.sh" --argv "${kit_args[@]}" "${heavy_args[@]}" "$kit" "$work/guest" "$layout")
# GUEST_DEVICE_PROPS=P,Q (x86_64): QEMU properties added to each virtio
# device, e.g. event_idx=off,indirect_desc=off (a driver kicking at every
# buffer, chains without indirect tables).
if [ -n "${GUEST_DEVICE_PROPS:-}" ]; then
	for i in "${!cmd[@]}"; do
		case ${cmd[$i]} in
		virtio-*-device | virtio-*-device,*) cmd[$i]="${cmd[$i]},$GUEST_DEVICE_PROPS" ;;
		esac
	done
	what="$what $GUEST_DEVICE_PROPS"
fi
echo "recording: vmtrace record -o $work/t.db -- ${cmd[*]}"
start=$SECONDS
# QEMU writes its trace straight into vmtrace's pipe, as for a user (a
# wrapper between them, such as a tee, would keep vmtrace from holding QEMU
# while it copies rings); --qemu-log keeps what vmtrace read.
timeout -k 10 600 "$vmtrace" record -o "$work/t.db" --qemu-log "$work/qemu-trace.txt" -- "${cmd[@]}" \
	</dev/null >"$work/serial.txt" 2>"$work/vmtrace.err"
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
# Where the trace says guest RAM is (1 GiB on arm virt): no ring lands without it.
echo "ram_base: $(sqlite3 "$work/t.db" "SELECT value FROM meta WHERE key = 'ram_base'" 2>/dev/null)"

python3 "$here/guest_checks.py" "$work" "$layout" --qemu-log || exit 1

# The same boot replayed against the built-in emulator: with QEMU's known
# differences declared, the device side must match to the end.  A device
# whose ring copy the decoder found torn is replayed registers-only from
# there (unverified, not diverged); replay_torn.py holds every such device
# to an anomaly the trace has.
"$vmtrace" replay -X "$top/samples/qemu-linux-modern.expect" "$work/t.db" >"$work/replay.txt" 2>&1
st=$?
if [ $st = 0 ]; then
	"$vmtrace" replay --json -X "$top/samples/qemu-linux-modern.expect" "$work/t.db" >"$work/replay.json" 2>&1 || st=1
	python3 "$here/replay_torn.py" "$work/t.db" "$work/replay.json" || st=1
fi
if [ $st != 0 ]; then
	echo "FAIL: vmtrace replay of the $what boot exited $st:"
	cat "$work/replay.txt"
	keep="replay-failed-${what// /-}.db"
	cp "$work/t.db" "$keep" && echo "the trace is kept as $PWD/$keep"
	exit 1
fi
tail -1 "$work/replay.txt"
