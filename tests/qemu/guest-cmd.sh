#!/usr/bin/env bash
# The QEMU command line that boots the test guest: one definition for tests
# and benchmarks.
#
#   tests/qemu/guest-cmd.sh [--arch x86_64|arm64] [--exec|--argv] \
#       [--timeout SECS] [--heavy MB] [--rebind] [--more-devices [--vsock S]] \
#       KIT_DIR WORK_DIR [legacy|modern] [extra qemu args...]
#
# KIT_DIR is what scripts/guest-kit.sh built (vmlinuz, initrd.gz; for arm64
# `guest-kit.sh --arch arm64`, vmlinuz an arm64 Image).  WORK_DIR
# receives the guest's files, created afresh on every call:
#   disk.img      8 MiB raw image behind virtio-blk (all zeros before the
#                 boot; the guest writes its pattern at sector 2048)
#   console.out   what the guest wrote to /dev/hvc0 (virtconsole)
# The guest's report ("VMTGUEST ..." lines, see guest-init.sh) comes on
# QEMU's stdout (-serial stdio).
#
# The machine, under TCG: x86_64 (the default) is microvm, with -icount
# shift=auto,sleep=off to keep the guest's clock calibration from hanging;
# arm64 is `virt` with one Cortex-A57 and 512 MiB of RAM at 1 GiB, which
# places the devices in the top of its 32 transports (0x0a000000 +
# 0x200 * n).  Four virtio-mmio devices on both (blk, rng, net on QEMU's
# user-mode network, console on virtio-serial).  legacy (the default;
# what QEMU 7.2 presents) gives Version 1 devices, modern Version 2 ones.
#
# Output modes:
#   (default)  print the command as one shell-quoted line (for eval)
#   --argv     print one argument per line
#   --exec     run it, stdin from /dev/null, under timeout(1) (default
#              300 s; --timeout changes it); the exit status is QEMU's
#              (124 when the time limit hit)
# --heavy MB makes the guest also write MB MiB twice and read them back
# (guest-init.sh's heavy step) on a disk MB + 8 MiB large.
# --rebind makes the guest unbind its blk and rng drivers and bind them
# again after the other steps (guest-init.sh's rebind step).
# --more-devices adds six device types (and vmtguest.more=1 on the kernel
# command line, which runs guest-init.sh's steps for them) and a QMP socket:
#   virtio-scsi-device with a scsi-hd on WORK_DIR/scsi.img (4 MiB, zeros)
#   virtio-9p-device exporting WORK_DIR/share (emptied) as mount tag vmt
#   virtio-balloon-device
#   virtio-keyboard-device
#   virtio-gpu-device, one 640x480 display (no window: -nographic)
#   virtio-crypto-device on QEMU's built-in cryptodev backend (software)
# --vsock SOCKET (with --more-devices) adds vhost-user-vsock-device (the
# backend listening on SOCKET gives the guest CID: tests/qemu/vsock_backend.py,
# started first).  vhost-user needs the guest RAM in shared memory:
# `vmtrace record` gives it (a shared memory-backend-file); run alone, the
# command needs that added.
#   -qmp unix:WORK_DIR/qmp.sock (server, not waiting for a client)
set -euo pipefail

die() { printf 'guest-cmd: error: %s\n' "$*" >&2; exit 2; }
usage() { die "usage: $0 [--arch x86_64|arm64] [--exec|--argv] [--timeout SECS] [--heavy MB] [--rebind] [--more-devices [--vsock SOCKET]] KIT_DIR WORK_DIR [legacy|modern] [qemu args...]"; }

arch=x86_64
mode=print
limit=300
heavy=
more=
vsock=
rebind=
while [ $# -gt 0 ]; do
	case $1 in
	--arch)
		[ $# -ge 2 ] || usage
		arch=$2
		case $arch in x86_64|arm64) ;; *) die "--arch wants x86_64 or arm64, not '$arch'" ;; esac
		shift 2
		;;
	--exec) mode='exec'; shift ;;
	--argv) mode='argv'; shift ;;
	--timeout)
		[ $# -ge 2 ] || usage
		limit=$2
		[[ $limit =~ ^[1-9][0-9]*$ ]] || die "--timeout wants whole seconds, not '$limit'"
		shift 2
		;;
	--heavy)
		[ $# -ge 2 ] || usage
		heavy=$2
		[[ $heavy =~ ^[1-9][0-9]*$ ]] || die "--heavy wants whole MiB, not '$heavy'"
		shift 2
		;;
	--more-devices) more=1; shift ;;
	--vsock)
		[ $# -ge 2 ] || usage
		vsock=$2
		shift 2
		;;
	--rebind) rebind=1; shift ;;
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

# What differs between the two machines.
extra_append=
if [ "$arch" = arm64 ]; then
	kit_arg="--arch arm64 " qemu=${QEMU:-qemu-system-aarch64} package=qemu-system-arm console=ttyAMA0
	machine=(-M virt -cpu cortex-a57 -smp 1 -accel tcg -m 512)
else
	kit_arg= qemu=${QEMU:-qemu-system-x86_64} package=qemu-system-x86 console=ttyS0
	machine=(-M microvm,acpi=on,pit=on,pic=on,rtc=on -accel tcg -m 256)
	extra_append=" lpj=4000000 tsc=reliable no_timer_check"
fi
for f in vmlinuz initrd.gz; do
	[ -s "$kit/$f" ] || die "'$kit/$f' missing (build it with scripts/guest-kit.sh $kit_arg$kit)"
done
command -v "$qemu" >/dev/null 2>&1 || die "'$qemu' not found (install the Debian package $package)"

mkdir -p "$work" || die "cannot create '$work'"
kit=$(cd "$kit" && pwd)
work=$(cd "$work" && pwd)
rm -f "$work/disk.img" "$work/console.out"
truncate -s $((8 + ${heavy:-0}))M "$work/disk.img"
: > "$work/console.out"
if [ -n "$more" ]; then
	rm -rf "$work/share" "$work/scsi.img" "$work/qmp.sock"
	mkdir "$work/share" || die "cannot create '$work/share'"
	truncate -s 4M "$work/scsi.img"
fi

# panic=-1: if /init dies the kernel reboots at once, and -no-reboot turns
# that into QEMU exiting instead of a hang.
# shellcheck disable=SC2054 # commas inside QEMU option values
cmd=("$qemu" "${machine[@]}"
	-nodefaults -no-user-config -nographic -serial stdio -no-reboot
	-kernel "$kit/vmlinuz" -initrd "$kit/initrd.gz"
	-append "console=$console quiet$extra_append panic=-1${heavy:+ vmtguest.heavy=$heavy}${more:+ vmtguest.more=1}${rebind:+ vmtguest.rebind=1}")
[ "$arch" = x86_64 ] && cmd+=(-icount shift=auto,sleep=off)
# shellcheck disable=SC2054 # commas inside QEMU option values
cmd+=(
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
