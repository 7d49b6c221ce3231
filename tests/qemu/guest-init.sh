#!/bin/sh
# /init of the vmtrace test guest (busybox-static initramfs built by
# scripts/guest-kit.sh; booted by tests/qemu/guest-cmd.sh).
#
# It loads the virtio modules, exercises each virtio-mmio device once and
# reports on the serial console (QEMU's stdout with -serial stdio).  Every
# line meant for a test starts with "VMTGUEST "; the last one is
# "VMTGUEST done", then the guest powers off.  Each step stands alone: a
# device that is not there prints "VMTGUEST <dev> absent" and the script
# carries on.  Nothing here uses "set -e": a failing step must not stop the
# ones after it (and /init exiting would panic the kernel).
#
# Lines printed (fields are key=value, values have no spaces):
#   VMTGUEST begin kernel=<uname -r>
#   VMTGUEST module <name> ok|FAIL|missing
#   VMTGUEST dev <virtioN> device=0x.. vendor=0x.. features=<64 bits>
#            status=0x.. driver=<name> base=0x<mmio base> platform=<name>
#   VMTGUEST blk pattern sha256=<hex of the 4096-byte pattern below>
#   VMTGUEST blk write sector=2048 len=4096 direct=1|0 ok|FAIL
#   VMTGUEST blk read sector=2048 len=4096 direct=1|0 ok|FAIL
#   VMTGUEST rng current=<rng_current> read=1024 ok|FAIL
#   VMTGUEST net ping=<replies>/3 tx=<packets> rx=<packets> ok|FAIL
#   VMTGUEST console wrote=<bytes> ok|FAIL
#   VMTGUEST heavy mb=<N> direct-write=ok|FAIL write=ok|FAIL read=ok|FAIL
#            reads=<I/Os> writes=<I/Os> flushes=<I/Os>
#            (only with vmtguest.heavy=N on the kernel command line: N MiB
#            written with direct I/O, again through the page cache, read
#            back; the counts are the block layer's own, /sys/block/vda/stat,
#            taken last)
#   VMTGUEST rebind <driver> dev=<virtioN> unbind=ok|FAIL bind=ok|FAIL
#            after=ok|FAIL
#            (only with vmtguest.rebind=1: the driver is unbound from its
#            device and bound again -- a reset and a whole new set-up of
#            the transport -- then used again: blk reads the pattern back,
#            rng reads 64 bytes; virtio_blk then virtio_rng)
#   VMTGUEST done
#
# With vmtguest.more=1 on the kernel command line (guest-cmd.sh
# --more-devices) the modules of /lib/modules/more are loaded after the
# others (same "module" lines) and, after the heavy step, before "done":
#   VMTGUEST gpu fb=<fbN> name=<fb name> size=<W>x<H> bpp=<bits>
#            mode=<connector's first mode> connector=<status> write=ok|FAIL
#            (virtio-gpu's fbdev emulation: the blk pattern written at the
#            start of the framebuffer, then a pause for the driver's
#            deferred flush; "gpu absent" without a bound driver, "gpu
#            fb=none" without a framebuffer)
#   VMTGUEST crypto algs=<virtio drivers in /proc/crypto, comma-separated>
#            selftest=<their selftest fields>
#   VMTGUEST crypto driver=<name> len=64 encrypt=ok|FAIL decrypt=ok|FAIL
#            soft=match|differ|none ct=<hex>
#            (bin/vmt-tool alg, tests/guest/vmt_tool.c: one AES-CBC
#            encryption and decryption through virtio_crypto_aes_cbc over
#            AF_ALG; "crypto absent" without a bound driver, "crypto
#            tool=missing" when the kit has no vmt-tool)
#   VMTGUEST vsock cid=2 port=5000 local=<port> connect=ok|FAIL sent=<bytes>
#            (bin/vmt-tool vsock: a stream connection to the host, CID 2,
#            port VSOCK_PORT, VSOCK_LINE written and the connection
#            closed; "vsock absent" without a bound driver, as when the
#            machine has no vsock device)
#   VMTGUEST 9p mount=ok|FAIL write=<bytes> read=ok|FAIL
#            (mount tag vmt, cache=none, at /mnt/9p: file vmt-9p.txt
#            written with 9P_LINE and read back)
#   VMTGUEST scsi write sector=2048 len=4096 ok|FAIL
#   VMTGUEST scsi read sector=2048 len=4096 ok|FAIL
#   VMTGUEST scsi stat reads=<I/Os> writes=<I/Os>
#            (the blk pattern, with direct I/O, on /dev/sda; the counts
#            are /sys/block/sda/stat's)
#   VMTGUEST waiting-input dev=<eventN>
#            (the host sends key events now, then creates the file
#            input-sent in the shared directory)
#   VMTGUEST input events=<n> keys=<code:value,...> host=ok|TIMEOUT
#            (every input_event read from the keyboard's evdev node; keys
#            lists the EV_KEY ones)
#   VMTGUEST waiting-balloon memtotal-kb=<MemTotal>
#            (the host asks for a smaller balloon target now, then
#            creates balloon-sent in the shared directory)
#   VMTGUEST balloon memtotal-kb=<MemTotal> host=ok|TIMEOUT
#            (MemTotal once it stopped falling: the inflated pages are
#            taken out of it)
# The guest's clock jumps ahead whenever it idles (-icount sleep=off), so
# its waits for the host are bounded by a count of looks into the shared
# directory (each one a 9P round trip), not by guest time.
#
# The blk pattern (the host test reproduces it byte for byte): 64 lines of
# 64 bytes, line k (k = 0..63) being
#   printf 'vmtrace blk line %02d 0123456789abcdefghijklmnopqrstuvwxyzABCDEFG\n' k
# i.e. "vmtrace blk line 00 0123…EFG\n" … "vmtrace blk line 63 0123…EFG\n",
# 4096 bytes in all, written to sector 2048 (byte offset 1 MiB) of /dev/vda.
#
# The console line is CONSOLE_LINE below (with its newline), written to
# /dev/hvc0 with output post-processing off, so the host's chardev file gets
# exactly those bytes.

PATH=/bin
export PATH

BLK_SECTOR=2048
BLK_LEN=4096
CONSOLE_LINE='vmtrace console line'
P9_LINE='vmtrace 9p line'
VSOCK_PORT=5000
VSOCK_LINE='vmtrace vsock line'
MORE_WAIT_LOOKS=20000

say() { echo "VMTGUEST $*"; }

# wait_for PATH: up to about 5 s (guest time) for a device node to appear.
wait_for() {
	n=0
	while [ ! -e "$1" ] && [ $n -lt 50 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	[ -e "$1" ]
}

blk_pattern() {
	k=0
	while [ $k -lt 64 ]; do
		printf 'vmtrace blk line %02d 0123456789abcdefghijklmnopqrstuvwxyzABCDEFG\n' $k
		k=$((k + 1))
	done
}

mount_all() {
	mkdir -p /proc /sys /dev /tmp
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mount -t devtmpfs devtmpfs /dev
}

# Modules in load order, one file name per line (written by guest-kit.sh).
load_modules() {
	[ -r /lib/modules/order ] || { say "module order-file missing"; return; }
	while read -r m; do
		[ -n "$m" ] || continue
		name=${m%.ko}
		if [ ! -e "/lib/modules/$m" ]; then
			say "module $name missing"
		elif insmod "/lib/modules/$m" 2>/dev/null; then
			say "module $name ok"
		else
			say "module $name FAIL"
		fi
	done < /lib/modules/order
}

# mmio_base PLATFORM_NAME: the start of that device's range in /proc/iomem
# (ACPI names the devices LNRO0005:NN, which do not carry the address).
mmio_base() {
	sed -n "s/^ *\([0-9a-f]*\)-[0-9a-f]* : $1\$/0x\1/p" /proc/iomem | head -n 1
}

list_devices() {
	found=0
	for d in /sys/bus/virtio/devices/*; do
		[ -e "$d/device" ] || continue
		found=1
		name=${d##*/}
		real=$(realpath "$d")
		plat=${real%/*}
		plat=${plat##*/}
		status=$(cat "$d/status" 2>/dev/null)
		driver=none
		[ -e "$d/driver" ] && driver=$(basename "$(readlink "$d/driver")")
		base=$(mmio_base "$plat")
		# Device-tree platforms (arm virt) name the device
		# <hex address>.virtio_mmio.
		case ${base:-}/$plat in
		/*.virtio_mmio) base=0x${plat%.virtio_mmio} ;;
		esac
		say "dev $name device=$(cat "$d/device") vendor=$(cat "$d/vendor")" \
			"features=$(cat "$d/features")" \
			"status=${status:-unreadable} driver=$driver" \
			"base=${base:-unknown} platform=$plat"
	done
	[ $found = 1 ] || say "dev none"
}

step_blk() {
	if ! wait_for /dev/vda; then
		say "blk absent"
		return
	fi
	blk_pattern > /tmp/pattern
	say "blk pattern sha256=$(sha256sum < /tmp/pattern | cut -d' ' -f1)"
	blocks=$((BLK_SECTOR * 512 / BLK_LEN))
	# Direct I/O makes both the write and the read reach the device
	# instead of the page cache.  Fall back to write + sync + drop caches
	# if this dd cannot do it.
	direct=1
	if dd if=/tmp/pattern of=/dev/vda bs=$BLK_LEN seek=$blocks count=1 \
		oflag=direct conv=notrunc 2>/dev/null; then
		w=ok
	else
		direct=0
		if dd if=/tmp/pattern of=/dev/vda bs=$BLK_LEN seek=$blocks count=1 \
			conv=notrunc,fsync 2>/dev/null; then
			w=ok
		else
			w=FAIL
		fi
		sync
		echo 3 > /proc/sys/vm/drop_caches
	fi
	say "blk write sector=$BLK_SECTOR len=$BLK_LEN direct=$direct $w"
	rm -f /tmp/back
	if [ $direct = 1 ]; then
		dd if=/dev/vda of=/tmp/back bs=$BLK_LEN skip=$blocks count=1 \
			iflag=direct 2>/dev/null
	else
		dd if=/dev/vda of=/tmp/back bs=$BLK_LEN skip=$blocks count=1 \
			2>/dev/null
	fi
	r=FAIL
	cmp -s /tmp/pattern /tmp/back && r=ok
	say "blk read sector=$BLK_SECTOR len=$BLK_LEN direct=$direct $r"
}

step_rng() {
	cur=$(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)
	case $cur in
	virtio*) ;;
	*)
		say "rng absent current=${cur:-none}"
		return
		;;
	esac
	# Four reads of 256 bytes: the driver reuses its one buffer (one
	# head) for request after request, faster than ring copies come.
	n=$(dd if=/dev/hwrng bs=256 count=4 2>/dev/null | wc -c)
	r=FAIL
	[ "$n" -eq 1024 ] && r=ok
	say "rng current=$cur read=$n $r"
}

# QEMU's user-mode network (slirp): guest 10.0.2.15/24, gateway 10.0.2.2,
# which answers ARP and ICMP echo.
step_net() {
	if [ ! -e /sys/class/net/eth0 ]; then
		say "net absent"
		return
	fi
	ip link set eth0 up
	ip addr add 10.0.2.15/24 dev eth0
	ip route add default via 10.0.2.2
	replies=$(ping -c 3 -W 2 10.0.2.2 2>/dev/null |
		sed -n 's/.* \([0-9]*\) packets received.*/\1/p')
	replies=${replies:-0}
	st=/sys/class/net/eth0/statistics
	r=FAIL
	[ "$replies" -gt 0 ] && r=ok
	say "net ping=$replies/3 tx=$(cat $st/tx_packets) rx=$(cat $st/rx_packets) $r"
}

step_console() {
	if ! wait_for /dev/hvc0; then
		say "console absent"
		return
	fi
	# Raw output: no \n -> \r\n translation, so the host file holds
	# exactly CONSOLE_LINE and a newline.  hvc resets the terminal
	# settings on the last close, so stty and the write share one open
	# file.  The subshell (not a session leader) keeps hvc0 from becoming
	# init's controlling terminal.
	n=$( (
		exec 3<>/dev/hvc0 || exit 1
		stty raw -echo <&3 2>/dev/null
		printf '%s\n' "$CONSOLE_LINE" >&3 &&
			printf '%s\n' "$CONSOLE_LINE" | wc -c
	) < /dev/null)
	r=FAIL
	[ -n "$n" ] && [ "$n" -gt 0 ] && r=ok
	say "console wrote=${n:-0} $r"
}

# Heavy I/O (vmtguest.heavy=N): many requests in flight at once, indirect
# tables freed and reused quickly -- what makes late ring copies torn.
# Everything lands past the pattern (from 2 MiB on); the disk is sized for
# it by guest-cmd.sh --heavy.
more_wanted() {
	grep -q 'vmtguest\.more=1' /proc/cmdline
}

load_more_modules() {
	[ -r /lib/modules/more ] || { say "module more-file missing"; return; }
	while read -r m; do
		[ -n "$m" ] || continue
		if insmod "/lib/modules/$m" 2>/dev/null; then
			say "module ${m%.ko} ok"
		else
			say "module ${m%.ko} FAIL"
		fi
	done < /lib/modules/more
}

# host_wait FILE: look for FILE in the shared directory up to
# MORE_WAIT_LOOKS times; prints ok or TIMEOUT.
host_wait() {
	n=0
	while [ ! -e "/mnt/9p/$1" ] && [ $n -lt $MORE_WAIT_LOOKS ]; do
		n=$((n + 1))
	done
	if [ -e "/mnt/9p/$1" ]; then echo ok; else echo TIMEOUT; fi
}

step_9p() {
	mkdir -p /mnt/9p
	m=FAIL
	mount -t 9p -o trans=virtio,version=9p2000.L,cache=none vmt /mnt/9p 2>/dev/null && m=ok
	if [ $m != ok ]; then
		say "9p mount=FAIL write=0 read=FAIL"
		return 1
	fi
	printf '%s\n' "$P9_LINE" > /mnt/9p/vmt-9p.txt
	n=$(wc -c < /mnt/9p/vmt-9p.txt)
	r=FAIL
	[ "$(cat /mnt/9p/vmt-9p.txt)" = "$P9_LINE" ] && r=ok
	say "9p mount=ok write=${n:-0} read=$r"
}

step_scsi() {
	if ! wait_for /dev/sda; then
		say "scsi absent"
		return
	fi
	blk_pattern > /tmp/pattern
	blocks=$((BLK_SECTOR * 512 / BLK_LEN))
	w=FAIL r=FAIL
	dd if=/tmp/pattern of=/dev/sda bs=$BLK_LEN seek=$blocks count=1 oflag=direct conv=notrunc 2>/dev/null && w=ok
	say "scsi write sector=$BLK_SECTOR len=$BLK_LEN $w"
	rm -f /tmp/back
	dd if=/dev/sda of=/tmp/back bs=$BLK_LEN skip=$blocks count=1 iflag=direct 2>/dev/null
	cmp -s /tmp/pattern /tmp/back && r=ok
	say "scsi read sector=$BLK_SECTOR len=$BLK_LEN $r"
	# shellcheck disable=SC2046 # the fields, split on purpose
	set -- $(cat /sys/block/sda/stat)
	say "scsi stat reads=$1 writes=$5"
}

# The virtio keyboard's evdev node, by its input device's name.
input_node() {
	for e in /sys/class/input/event*; do
		[ -e "$e/device/name" ] || continue
		case $(cat "$e/device/name") in
		*[Vv]irtio*) echo "${e##*/}"; return ;;
		esac
	done
}

step_input() {
	ev=$(input_node)
	[ -n "$ev" ] && wait_for "/dev/input/$ev"
	if [ -z "$ev" ] || [ ! -e "/dev/input/$ev" ]; then
		say "input absent"
		return
	fi
	cat "/dev/input/$ev" > /tmp/ev &
	pid=$!
	sleep 0.2
	say "waiting-input dev=$ev"
	h=$(host_wait input-sent)
	# Events the host sent before its file appeared are in the node by
	# now; a few more looks let cat take them.
	n=0
	while [ $n -lt 20 ]; do n=$((n + 1)); [ -e /mnt/9p/input-sent ]; done
	kill $pid 2>/dev/null
	wait $pid 2>/dev/null
	# struct input_event on x86-64: 16 bytes of time, le16 type, le16 code,
	# le32 value: 12 16-bit words.
	set -- $(od -An -v -t u2 /tmp/ev)
	events=0 keys=
	while [ $# -ge 12 ]; do
		events=$((events + 1))
		if [ "$9" = 1 ]; then
			keys="$keys${keys:+,}${10}:$((${11} + ${12} * 65536))"
		fi
		shift 12
	done
	say "input events=$events keys=${keys:-none} host=$h"
}

memtotal() {
	sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo
}

step_balloon() {
	if [ ! -d /sys/bus/virtio/drivers/virtio_balloon ] ||
		[ -z "$(ls /sys/bus/virtio/drivers/virtio_balloon | grep virtio)" ]; then
		say "balloon absent"
		return
	fi
	say "waiting-balloon memtotal-kb=$(memtotal)"
	h=$(host_wait balloon-sent)
	# The driver inflates in batches from a work queue: wait until
	# MemTotal holds still over a few looks.
	last=$(memtotal) same=0 n=0
	while [ $same -lt 50 ] && [ $n -lt $MORE_WAIT_LOOKS ]; do
		[ -e /mnt/9p/balloon-sent ]
		cur=$(memtotal)
		if [ "$cur" = "$last" ]; then same=$((same + 1)); else same=0 last=$cur; fi
		n=$((n + 1))
	done
	say "balloon memtotal-kb=$last host=$h"
}

# bound DRIVER: has the virtio driver DRIVER a device?
bound() {
	for link in /sys/bus/virtio/drivers/$1/virtio*; do
		[ -e "$link" ] && return 0
	done
	return 1
}

# virtio-gpu: the driver's own set-up (display info, a 2D resource with
# its backing, the scanout) happens at probe; its fbdev emulation then
# turns writes to /dev/fb0 into TRANSFER_TO_HOST_2D and RESOURCE_FLUSH
# (deferred, about 50 ms later).
step_gpu() {
	if ! bound virtio_gpu; then
		say "gpu absent"
		return
	fi
	if ! wait_for /dev/fb0; then
		say "gpu fb=none"
		return
	fi
	g=/sys/class/graphics/fb0
	# No blinking cursor on the framebuffer console: it would flush the
	# screen on every blink while the guest waits for the host.
	echo 0 > /sys/class/graphics/fbcon/cursor_blink 2>/dev/null
	mode=none status=none
	for c in /sys/class/drm/card*-*; do
		[ -e "$c/status" ] || continue
		status=$(cat "$c/status")
		mode=$(head -n 1 "$c/modes" 2>/dev/null)
		break
	done
	blk_pattern > /tmp/pattern
	w=FAIL
	dd if=/tmp/pattern of=/dev/fb0 bs=4096 count=1 conv=notrunc 2>/dev/null && w=ok
	sleep 0.5
	size=$(cat $g/virtual_size 2>/dev/null)
	say "gpu fb=fb0 name=$(cat $g/name 2>/dev/null | tr ' ' _) size=$(echo "$size" | tr , x)" \
		"bpp=$(cat $g/bits_per_pixel 2>/dev/null) mode=${mode:-none} connector=$status write=$w"
}

# virtio-crypto: the kernel registers the device's algorithms (and may
# self-test them: more sessions and requests); vmt-tool alg makes one real
# cipher request each way through virtio_crypto_aes_cbc.
step_crypto() {
	if ! bound virtio_crypto; then
		say "crypto absent"
		return
	fi
	algs=$(sed -n 's/^driver *: \(virtio.*\)/\1/p' /proc/crypto | tr '\n' , | sed 's/,$//')
	tests=$(awk '/^driver/ { d = $3 } /^selftest/ && d ~ /^virtio/ { printf "%s%s", sep, $3; sep = "," }' /proc/crypto)
	say "crypto algs=${algs:-none} selftest=${tests:-none}"
	if [ ! -x /bin/vmt-tool ]; then
		say "crypto tool=missing"
		return
	fi
	/bin/vmt-tool alg virtio_crypto_aes_cbc
}

# virtio-vsock: one stream connection to the host end (the test's
# vhost-user backend, tests/qemu/vsock_backend.py): REQUEST, RW, SHUTDOWN
# sent, RESPONSE, CREDIT_UPDATE, RST received.
step_vsock() {
	if ! bound vmw_vsock_virtio_transport; then
		say "vsock absent"
		return
	fi
	if [ ! -x /bin/vmt-tool ]; then
		say "vsock tool=missing"
		return
	fi
	/bin/vmt-tool vsock 2 $VSOCK_PORT "$VSOCK_LINE"
	# The host's RST for the close arrives in the background.
	sleep 0.2
}

step_more() {
	more_wanted || return
	step_gpu
	step_crypto
	step_vsock
	if step_9p; then
		step_scsi
		step_input
		step_balloon
		umount /mnt/9p
	else
		step_scsi
		say "input absent"
		say "balloon absent"
	fi
}

# rebind_driver DRIVER: the virtio device DRIVER is bound to, unbound and
# bound again through sysfs; prints that device's name ("" if none).
rebind_driver() {
	drv=/sys/bus/virtio/drivers/$1
	for link in "$drv"/virtio*; do
		[ -e "$link" ] || continue
		dev=${link##*/}
		u=FAIL b=FAIL
		echo "$dev" > "$drv/unbind" 2>/dev/null && u=ok
		echo "$dev" > "$drv/bind" 2>/dev/null && b=ok
		echo "$dev $u $b"
		return
	done
}

# Unbind and rebind (vmtguest.rebind=1): what a driver developer does
# between two tries of a module; the device sees a reset and a new set-up.
step_rebind() {
	grep -q 'vmtguest\.rebind=1' /proc/cmdline || return
	# shellcheck disable=SC2046 # the fields, split on purpose
	set -- $(rebind_driver virtio_blk)
	if [ $# = 3 ]; then
		after=FAIL
		if wait_for /dev/vda; then
			blocks=$((BLK_SECTOR * 512 / BLK_LEN))
			rm -f /tmp/back
			dd if=/dev/vda of=/tmp/back bs=$BLK_LEN skip=$blocks count=1 iflag=direct 2>/dev/null
			cmp -s /tmp/pattern /tmp/back && after=ok
		fi
		say "rebind virtio_blk dev=$1 unbind=$2 bind=$3 after=$after"
	else
		say "rebind virtio_blk absent"
	fi
	# shellcheck disable=SC2046 # the fields, split on purpose
	set -- $(rebind_driver virtio_rng)
	if [ $# = 3 ]; then
		after=FAIL
		n=$(dd if=/dev/hwrng bs=64 count=1 2>/dev/null | wc -c)
		[ "$n" -eq 64 ] && after=ok
		say "rebind virtio_rng dev=$1 unbind=$2 bind=$3 after=$after"
	else
		say "rebind virtio_rng absent"
	fi
}

step_heavy() {
	mb=$(sed -n 's/.*vmtguest\.heavy=\([0-9][0-9]*\).*/\1/p' /proc/cmdline)
	[ -n "$mb" ] || return
	[ -e /dev/vda ] || { say "heavy absent"; return; }
	dw=FAIL w=FAIL r=FAIL
	dd if=/dev/zero of=/dev/vda bs=64k seek=32 count=$((mb * 16)) oflag=direct conv=notrunc 2>/dev/null && dw=ok
	dd if=/dev/zero of=/dev/vda bs=1M seek=2 count=$mb conv=notrunc,fsync 2>/dev/null && w=ok
	echo 3 > /proc/sys/vm/drop_caches
	dd if=/dev/vda of=/dev/null bs=128k skip=16 count=$((mb * 8)) 2>/dev/null && r=ok
	sync
	# shellcheck disable=SC2046 # the fields, split on purpose
	set -- $(cat /sys/block/vda/stat)
	say "heavy mb=$mb direct-write=$dw write=$w read=$r reads=$1 writes=$5 flushes=${16:-0}"
}

mount_all
say "begin kernel=$(uname -r)"
load_modules
more_wanted && load_more_modules
list_devices
step_blk
step_rng
step_net
step_console
step_heavy
step_rebind
step_more
sync
say "done"
poweroff -f
# Not reached when power-off works; otherwise leave through a panic, which
# the kernel turns into a reboot (panic=-1), which QEMU turns into an exit
# (-no-reboot).
sleep 2
exit 1
