#!/usr/bin/env bash
# The QEMU command line that boots the arm64 test guest: the twin of
# guest-cmd.sh for `qemu-system-aarch64 -M virt`.
#
#   tests/qemu/guest-cmd-arm64.sh [--exec|--argv] [--timeout SECS] \
#       [--more-devices] KIT_DIR WORK_DIR [legacy|modern] [extra qemu args...]
#
# KIT_DIR is what `scripts/guest-kit.sh --arch arm64` built (vmlinuz, an
# arm64 Image, and initrd.gz, whose /init is guest-init.sh as on x86).
# WORK_DIR receives disk.img and console.out exactly as with guest-cmd.sh;
# the guest's report comes on QEMU's stdout (the PL011, -serial stdio).
#
# The machine: arm `virt` under TCG, one Cortex-A57, 512 MiB of RAM at
# 1 GiB, the same four virtio-mmio devices as on x86 (blk, rng, net on
# QEMU's user-mode network, console on virtio-serial), which `virt` places
# in the top four of its 32 transports (0x0a000000 + 0x200 * n).  legacy
# (QEMU 7.2's default) gives Version 1 devices, modern Version 2 ones.
#
# Output modes as in guest-cmd.sh.
# --more-devices adds the same six device types as guest-cmd.sh
# --more-devices (virtio-scsi with a scsi-hd on WORK_DIR/scsi.img, virtio-9p
# exporting WORK_DIR/share as tag vmt, the balloon, a virtio keyboard,
# virtio-gpu at 640x480, virtio-crypto on the builtin backend),
# vmtguest.more=1 and the QMP socket WORK_DIR/qmp.sock; `virt` places them
# in the transports below the first four.  --vsock SOCKET as in
# guest-cmd.sh.
set -euo pipefail

die() { printf 'guest-cmd-arm64: error: %s\n' "$*" >&2; exit 2; }
usage() { die "usage: $0 [--exec|--argv] [--timeout SECS] [--more-devices [--vsock SOCKET]] KIT_DIR WORK_DIR [legacy|modern] [qemu args...]"; }

mode=print
limit=300
more=
vsock=
while [ $# -gt 0 ]; do
	case $1 in
	--exec) mode='exec'; shift ;;
	--argv) mode='argv'; shift ;;
	--timeout)
		[ $# -ge 2 ] || usage
		limit=$2
		[[ $limit =~ ^[1-9][0-9]*$ ]] || die "--timeout wants whole seconds, not '$limit'"
		shift 2
		;;
	--more-devices) more=1; shift ;;
	--vsock)
		[ $# -ge 2 ] || usage
		vsock=$2
		shift 2
		;;
	--) shift; break ;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $# -ge 2 ] || usage
[ -z "$vsock" ] || [ -n "$more" ] || die "--vsock goes with --more-devices"
kit=$1 work=$2
shift 2
layout=legacy
if [ $# -gt 0 ]; then
	case $1 in
	legacy|modern) layout=$1; shift ;;
	-*) ;;
	*) die "layout must be legacy or modern, not '$1'" ;;
	esac
fi

for f in vmlinuz initrd.gz; do
	[ -s "$kit/$f" ] || die "'$kit/$f' missing (build it with scripts/guest-kit.sh --arch arm64 $kit)"
done
qemu=${QEMU:-qemu-system-aarch64}
command -v "$qemu" >/dev/null 2>&1 || die "'$qemu' not found (install the Debian package qemu-system-arm)"

mkdir -p "$work" || die "cannot create '$work'"
kit=$(cd "$kit" && pwd)
work=$(cd "$work" && pwd)
rm -f "$work/disk.img" "$work/console.out"
truncate -s 8M "$work/disk.img"
: > "$work/console.out"
if [ -n "$more" ]; then
	rm -rf "$work/share" "$work/scsi.img" "$work/qmp.sock"
	mkdir "$work/share" || die "cannot create '$work/share'"
	truncate -s 4M "$work/scsi.img"
fi

# panic=-1 and -no-reboot: a dying /init ends QEMU instead of hanging.
# shellcheck disable=SC2054 # commas inside QEMU option values
cmd=("$qemu"
	-M virt -cpu cortex-a57 -smp 1 -accel tcg -m 512
	-nodefaults -no-user-config -nographic -serial stdio -no-reboot
	-kernel "$kit/vmlinuz" -initrd "$kit/initrd.gz"
	-append "console=ttyAMA0 quiet panic=-1${more:+ vmtguest.more=1}"
	-drive "id=d0,file=$work/disk.img,format=raw,if=none"
	-device virtio-blk-device,drive=d0
	-device virtio-rng-device
	-netdev user,id=n0 -device virtio-net-device,netdev=n0
	-chardev "file,id=c0,path=$work/console.out"
	-device virtio-serial-device -device virtconsole,chardev=c0)
# shellcheck disable=SC2054 # commas inside QEMU option values
[ -n "$more" ] && cmd+=(
	-device virtio-scsi-device,id=scsi0
	-drive "id=s0,file=$work/scsi.img,format=raw,if=none"
	-device scsi-hd,drive=s0,bus=scsi0.0,channel=0,scsi-id=0,lun=0
	-fsdev "local,id=f0,path=$work/share,security_model=none"
	-device virtio-9p-device,fsdev=f0,mount_tag=vmt
	-device virtio-balloon-device
	-device virtio-keyboard-device
	-device virtio-gpu-device,xres=640,yres=480
	-object cryptodev-backend-builtin,id=cr0
	-device virtio-crypto-device,cryptodev=cr0
	-qmp "unix:$work/qmp.sock,server=on,wait=off")
# shellcheck disable=SC2054 # commas inside QEMU option values
[ -n "$more" ] && [ -n "$vsock" ] && cmd+=(
	-chardev "socket,id=vs0,path=$vsock"
	-device vhost-user-vsock-device,chardev=vs0)
[ "$layout" = modern ] && cmd+=(-global virtio-mmio.force-legacy=false)
cmd+=("$@")

case $mode in
print) printf '%q ' "${cmd[@]}" | sed 's/ $//'; echo ;;
argv) printf '%s\n' "${cmd[@]}" ;;
exec) exec timeout -k 5 "$limit" "${cmd[@]}" < /dev/null ;;
esac
