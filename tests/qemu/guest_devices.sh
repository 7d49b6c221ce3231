#!/usr/bin/env bash
# Record a real Linux guest with seven more device types than the usual
# boot -- virtio-scsi (a scsi-hd), virtio-9p, the balloon, a virtio
# keyboard, virtio-gpu, virtio-crypto, virtio-vsock (guest-cmd.sh
# --more-devices --vsock) -- doing real I/O on each (guest-init.sh's
# vmtguest.more=1 steps), while the host drives the keyboard and the
# balloon over QMP when the guest says it is waiting; then hold the decoded
# trace against what the guest reported, what the host sent and what the
# vsock backend logged (guest_devices_checks.py).
#
#   guest_devices.sh VMTRACE SOURCE_ROOT KIT_DIR [legacy|modern] [x86|arm64]
#
# modern is the default and what meson runs: Linux's virtio-input driver
# refuses a device without VERSION_1 (status FAILED on a legacy boot), so
# the keyboard checks fail there by design.
#
# arm64 boots Debian's arm64 kernel under qemu-system-aarch64 -M virt
# (guest-cmd.sh --arch arm64 --more-devices; KIT_DIR built by guest-kit.sh --arch
# arm64) with the same devices and checks.
#
# QEMU's vhost-vsock-device needs the host's vhost_vsock (/dev/vhost-vsock,
# absent here) and vhost-user-vsock-device a backend process, which Debian
# 12 does not package: tests/qemu/vsock_backend.py is one (the host end of
# the guest's connection, logging every packet to WORK/vsock.json).
#
# VMTRACE is the vmtrace binary.  Skips (77) only when the QEMU system
# emulator is not installed.  KEEP=DIR copies the work directory (trace,
# serial output, checks) to DIR.
set -uo pipefail

vmtrace=$(realpath "$1") top=$2 kit=$3 layout=${4:-modern} arch=${5:-x86}
here="$top/tests/qemu"
case $arch in
x86) qemu=qemu-system-x86_64 qpkg=qemu-system-x86 kit_arch=() ;;
arm64) qemu=qemu-system-aarch64 qpkg=qemu-system-arm kit_arch=(--arch arm64) ;;
*) echo "FAIL: architecture must be x86 or arm64, not '$arch'"; exit 1 ;;
esac
command -v "$qemu" >/dev/null ||
	{ echo "SKIP: $qemu is not installed (Debian package $qpkg)"; exit 77; }
command -v python3 >/dev/null || { echo "FAIL: python3 is needed"; exit 1; }
mkdir -p "$kit"
if ! flock "$kit/.lock" "$top/scripts/guest-kit.sh" "${kit_arch[@]}" "$kit" >kit.log 2>&1; then
	echo "FAIL: cannot build the guest kit in $kit:"
	cat kit.log
	exit 1
fi
# A short path: the QMP socket's path must fit in sun_path.
work=$(mktemp -d /tmp/vmt-dev.XXXXXX)
drv='' vsb=''
cleanup() {
	[ -z "$drv" ] || kill "$drv" 2>/dev/null
	[ -z "$vsb" ] || kill "$vsb" 2>/dev/null
	[ -z "${KEEP:-}" ] || { mkdir -p "$KEEP" && cp -r "$work/." "$KEEP/"; }
	rm -rf "$work"
}
trap cleanup EXIT

# The vsock device's backend listens before QEMU starts.
: >"$work/vsock.json"
python3 "$here/vsock_backend.py" "$work/vsock.sock" "$work/vsock.json" 2>"$work/vsock.err" &
vsb=$!
for _ in $(seq 100); do
	[ -S "$work/vsock.sock" ] && break
	sleep 0.1
done
[ -S "$work/vsock.sock" ] || { echo "FAIL: the vsock backend did not listen"; cat "$work/vsock.err"; exit 1; }
mapfile -t cmd < <("$here/guest-cmd.sh" --argv "${kit_arch[@]}" --more-devices --vsock "$work/vsock.sock" "$kit" "$work/guest" "$layout")
[ ${#cmd[@]} -gt 0 ] || { echo "FAIL: guest-cmd.sh printed no command"; exit 1; }
echo "recording: vmtrace record -o $work/t.db -- ${cmd[*]}"
: >"$work/serial.txt"
python3 "$here/guest_devices_checks.py" drive "$work" >"$work/drive.log" 2>&1 &
drv=$!
start=$SECONDS
timeout -k 10 800 "$vmtrace" record -o "$work/t.db" -- "${cmd[@]}" </dev/null >"$work/serial.txt" 2>"$work/vmtrace.err"
st=$?
echo "boot and record: $((SECONDS - start)) s"
: >"$work/record.done"
wait "$drv"
dst=$?
drv=
# QEMU's exit closed the backend's socket: it ends at once (else it is
# stopped, and fails).
for _ in $(seq 100); do
	kill -0 "$vsb" 2>/dev/null || break
	sleep 0.1
done
kill "$vsb" 2>/dev/null
wait "$vsb"
vst=$?
vsb=
cat "$work/vmtrace.err" "$work/drive.log"
tr -d '\r' <"$work/serial.txt" | grep '^VMTGUEST' >"$work/guest.txt"
sed 's/^/guest: /' "$work/guest.txt"
if [ $st != 0 ]; then
	echo "FAIL: vmtrace record exited $st"
	exit 1
fi
[ $dst = 0 ] || { echo "FAIL: the QMP driver exited $dst"; exit 1; }
[ $vst = 0 ] || { echo "FAIL: the vsock backend exited $vst"; cat "$work/vsock.err"; exit 1; }
grep -q '^VMTGUEST done' "$work/guest.txt" || { echo "FAIL: the guest did not finish"; exit 1; }
"$vmtrace" info --json "$work/t.db" >"$work/info.json" || { echo "FAIL: vmtrace info --json"; exit 1; }
"$vmtrace" info "$work/t.db" | sed 's/^/info: /'
python3 "$here/guest_devices_checks.py" check "$work"
