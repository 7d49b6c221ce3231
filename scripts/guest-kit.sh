#!/usr/bin/env bash
# Build the Linux guest used by the real-guest tests.
#
#   scripts/guest-kit.sh [--arch amd64|arm64] OUTDIR
#
# Produces, in OUTDIR:
#   vmlinuz          Debian's current kernel for ARCH (default amd64; the
#                    package that the metapackage linux-image-ARCH depends
#                    on); for arm64 it is an Image that QEMU's -kernel boots
#   modules/         the virtio modules, uncompressed, plus modules/order
#                    (load order, one file name per line), modules/more
#                    (the extra devices' modules, loaded after those when
#                    the guest's command line has vmtguest.more=1) and
#                    modules/wanted (the lists they were unpacked with)
#   initrd.gz        busybox-static initramfs (cpio newc, gzip) whose /init
#                    is tests/qemu/guest-init.sh and which holds modules/
#   kernel.txt       "PACKAGE DEB-FILE" of the kernel in use
#   vmt-tool         tests/guest/vmt_tool.c built for ARCH (static, no C
#                    library), the guest's /bin/vmt-tool (the crypto and
#                    vsock steps)
#   cache/           the downloaded .deb
#
# Cached: the kernel package is resolved again only when apt's package lists
# change, downloaded only when its .deb is not in cache/, unpacked only when
# it differs from the one in use, and initrd.gz is rebuilt only when one of
# its inputs is newer.  When nothing changed it takes well under a second.
# When the package cannot be resolved or downloaded but a complete kit is
# already there, that kit is kept (with a warning).
#
# Needs (Debian packages): apt, dpkg (apt-get, apt-cache, dpkg-deb), tar,
# gzip, cpio, busybox-static; clang and lld (vmt-tool, for either ARCH:
# without them the kit has no vmt-tool, with a warning); xz-utils or zstd
# only if the kernel's modules are compressed.  Downloads with "apt-get
# download"; needs no root.
#
# --arch arm64 (on an amd64 host) needs the arm64 architecture in apt
# (dpkg --add-architecture arm64; apt-get update: scripts/setup.sh test does
# it) and downloads, besides the kernel, busybox-static:arm64 into cache/ and
# takes its busybox from there: installing it would replace the host's.
# The applet links are those of the host's busybox-static (same Debian
# source), since the arm64 binary cannot run here.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
init_src=$top/tests/qemu/guest-init.sh
tool_src=$top/tests/guest/vmt_tool.c
self=$top/scripts/guest-kit.sh
host_busybox=/bin/busybox
arch=amd64
if [ "${1:-}" = --arch ]; then
	arch=${2:-}
	shift 2 || true
fi
case $arch in
amd64) meta=linux-image-amd64 qual='' busybox=$host_busybox ctarget=x86_64-linux-gnu ;;
arm64) meta=linux-image-arm64:arm64 qual=':arm64' busybox= ctarget=aarch64-linux-gnu ;;
*) printf 'guest-kit: error: --arch wants amd64 or arm64, not %s\n' "$arch" >&2; exit 1 ;;
esac
apt_lists=/var/lib/apt/lists

# The virtio modules in load order.  Those the kernel has built in (listed
# in modules.builtin) are skipped; rng-core is built in on Debian 12.
modules=(virtio_ring virtio virtio_mmio virtio_blk rng-core virtio-rng
	failover net_failover virtio_net virtio_console)
# The modules of the extra devices (guest-cmd.sh --more-devices), loaded
# after those above only when the guest's command line has vmtguest.more=1
# (modules/more, same format as modules/order).  On Debian 12 they are all
# modules: virtio-scsi with the SCSI core and disks (sd_mod needs t10-pi,
# whose CRCs come through the crypto API: the generic crypto modules are
# loaded first, as modprobe is not there to fetch them), 9p over virtio
# (9p needs netfs and fscache), the balloon, virtio-input and evdev,
# virtio-gpu with the DRM core, its KMS and shmem helpers and virtio_dma_buf
# (fbdev emulation and fbcon are built in), virtio-crypto with the crypto
# engine, AF_ALG's skcipher sockets for bin/vmt-tool, and virtio-vsock's
# transport with the vsock core.  Their
# dependencies are modinfo's "depends" of Debian 12's amd64 and arm64
# kernels (the package has no modules.dep: depmod makes it on install).
more_modules=(crct10dif_common crct10dif_generic crc-t10dif crc64 crc64_rocksoft_generic
	crc64-rocksoft t10-pi scsi_common scsi_mod sd_mod virtio_scsi
	netfs fscache 9pnet 9pnet_virtio 9p virtio_balloon virtio_input evdev
	drm drm_kms_helper drm_shmem_helper virtio_dma_buf virtio-gpu
	crypto_engine virtio_crypto af_alg algif_skcipher
	vsock vmw_vsock_virtio_transport_common vmw_vsock_virtio_transport)

say() { printf 'guest-kit: %s\n' "$*"; }
warn() { printf 'guest-kit: warning: %s\n' "$*" >&2; }
die() { printf 'guest-kit: error: %s\n' "$*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 [--arch amd64|arm64] OUTDIR"
out=$1
mkdir -p "$out/cache" || die "cannot create '$out/cache'"
out=$(cd "$out" && pwd)

tmp=
cleanup() { [ -z "$tmp" ] || rm -rf "$tmp"; }
trap cleanup EXIT

need_cmd() {
	command -v "$1" >/dev/null 2>&1 || die "'$1' not found (install the Debian package $2)"
}

kit_complete() {
	[ -s "$out/vmlinuz" ] && [ -s "$out/modules/order" ] && [ -s "$out/kernel.txt" ]
}

# The module lists a kit was unpacked with (modules/wanted): a kit made
# with other lists is unpacked again.
wanted_list() { printf '%s\n' "${modules[*]}" "${more_modules[*]}"; }

# --- 1. which kernel package ------------------------------------------------
# resolved.txt holds "PACKAGE DEB-FILE SIZE SHA256"; it stays valid until a
# file in apt's lists directory is newer (apt-get update ran).
resolved=$out/resolved.txt

resolve_kernel() {
	local deps pkg uri
	deps=$(apt-cache depends "$meta" 2>&1) ||
		{ printf '%s\n' "$deps" >&2; return 1; }
	pkg=$(printf '%s\n' "$deps" |
		sed -n "s/^ *Depends: \(linux-image-[0-9][^ ]*-$arch\)\($qual\)\{0,1\}\$/\1$qual/p" | head -n 1)
	[ -n "$pkg" ] || {
		printf '%s\n' "$deps" >&2
		warn "'$meta' depends on no linux-image-*-$arch package"
		return 1
	}
	uri=$(apt-get download --print-uris "$pkg" 2>&1) ||
		{ printf '%s\n' "$uri" >&2; return 1; }
	# 'URI' FILE SIZE SHA256:HEX
	printf '%s\n' "$uri" | awk -v pkg="$pkg" \
		'$2 ~ /\.deb$/ { sub(/^SHA256:/, "", $4); print pkg, $2, $3, $4; found = 1 }
		 END { exit !found }' > "$resolved.new" ||
		{ printf '%s\n' "$uri" >&2; return 1; }
	mv "$resolved.new" "$resolved"
}

if [ -s "$resolved" ] && [ -z "$(find "$apt_lists" -maxdepth 1 -newer "$resolved" -print -quit 2>/dev/null)" ]; then
	read -r pkg deb size sha < "$resolved"
	say "kernel package $pkg ($deb, resolved before)"
else
	need_cmd apt-cache apt
	need_cmd apt-get apt
	if resolve_kernel; then
		read -r pkg deb size sha < "$resolved"
		say "kernel package $pkg ($deb)"
	elif kit_complete; then
		read -r pkg deb < "$out/kernel.txt"
		warn "cannot resolve '$meta' with apt-cache/apt-get (apt-get update needed?); keeping the kernel in use, $deb"
		size='' sha=''
	else
		die "cannot resolve '$meta' to a kernel package with apt-cache/apt-get (run 'apt-get update' as root?)"
	fi
fi

# --- 2. download --------------------------------------------------------
debpath=$out/cache/$deb
# A partial file (an interrupted download) does not count as cached.
if [ -s "$debpath" ] && { [ -z "${size:-}" ] || [ "$(stat -c %s "$debpath")" = "$size" ]; }; then
	say "download: $deb already in cache"
else
	need_cmd apt-get apt
	say "download: apt-get download $pkg"
	rm -f "$debpath"
	# apt falls back to downloading as root (with a warning) when its
	# sandbox user cannot write here; the log is shown only on failure.
	if ! log=$(cd "$out/cache" && apt-get download "$pkg" 2>&1) || [ ! -s "$debpath" ]; then
		printf '%s\n' "$log" >&2
		rm -f "$debpath"
		if kit_complete; then
			read -r pkg deb < "$out/kernel.txt"
			debpath=$out/cache/$deb
			warn "apt-get download $pkg failed; keeping the kernel in use, $deb"
		else
			die "apt-get download $pkg failed (no network or apt source for Debian's archive?)"
		fi
	elif [ -n "${sha:-}" ]; then
		need_cmd sha256sum coreutils
		got=$(sha256sum < "$debpath" | cut -d' ' -f1)
		if [ "$got" != "$sha" ]; then
			rm -f "$debpath"
			die "$deb: SHA256 $got, apt expected $sha"
		fi
	fi
fi

# --- 3. unpack vmlinuz and the modules -----------------------------------
# ko_uncompress SRC DST: copy a module, uncompressing .ko.xz/.ko.zst/.ko.gz
# (busybox insmod loads only plain .ko files).
ko_uncompress() {
	case $1 in
	*.ko) cp "$1" "$2" ;;
	*.ko.xz) need_cmd xz xz-utils; xz -dc "$1" > "$2" ;;
	*.ko.zst) need_cmd zstd zstd; zstd -q -dc "$1" > "$2" ;;
	*.ko.gz) gzip -dc "$1" > "$2" ;;
	*) die "unknown module format '$1'" ;;
	esac
}

# in_list WORD LIST...: is WORD among LIST?
in_list() {
	local w=$1 x
	shift
	for x in "$@"; do
		[ "$x" = "$w" ] && return 0
	done
	return 1
}

unpack_kernel() {
	local root=$tmp/root m f name kver list pats=()
	need_cmd dpkg-deb dpkg
	need_cmd tar tar
	mkdir -p "$root" "$tmp/modules"
	# Only the files needed (like dpkg -x, without writing the whole
	# 400 MB tree).  A '*' in a tar pattern also matches '/'.  tar fails
	# on a pattern that matches nothing (a built-in module): what is
	# really missing is found below.
	for m in "${modules[@]}" "${more_modules[@]}"; do
		pats+=("*/$m.ko" "*/$m.ko.*")
	done
	dpkg-deb --fsys-tarfile "$debpath" |
		tar -x -C "$root" --wildcards './boot/vmlinuz-*' \
			'*/modules.builtin' "${pats[@]}" 2>/dev/null || true
	f=$(find "$root/boot" -name 'vmlinuz-*' 2>/dev/null | head -n 1)
	[ -n "$f" ] || die "$deb holds no /boot/vmlinuz-*"
	kver=${f##*/vmlinuz-}
	cp "$f" "$tmp/vmlinuz"
	: > "$tmp/modules/order"
	: > "$tmp/modules/more"
	for m in "${modules[@]}" "${more_modules[@]}"; do
		list=order
		in_list "$m" "${more_modules[@]}" && list=more
		f=$(find "$root/lib/modules/$kver" -type f \
			\( -name "$m.ko" -o -name "$m.ko.*" \) 2>/dev/null | head -n 1)
		if [ -z "$f" ]; then
			name=${m//-/_}
			if grep -qE "/($m|$name)\.ko" "$root/lib/modules/$kver/modules.builtin" 2>/dev/null; then
				say "module $m is built in"
				continue
			fi
			# The extra devices' modules are wanted by one test only
			# (x86-64): a kernel without one still makes a kit.
			if [ "$list" = more ]; then
				warn "$deb has no module $m (neither a .ko file nor in modules.builtin); the more-devices guest will miss it"
				continue
			fi
			die "$deb has no module $m (neither a .ko file nor in modules.builtin)"
		fi
		ko_uncompress "$f" "$tmp/modules/$m.ko"
		echo "$m.ko" >> "$tmp/modules/$list"
	done
	wanted_list > "$tmp/modules/wanted"
	rm -rf "$out/modules.old"
	[ ! -e "$out/modules" ] || mv "$out/modules" "$out/modules.old"
	mv "$tmp/modules" "$out/modules"
	mv "$tmp/vmlinuz" "$out/vmlinuz"
	rm -rf "$out/modules.old" "$root"
	say "unpacked kernel $kver: vmlinuz, $(wc -l < "$out/modules/order") modules, $(wc -l < "$out/modules/more") more"
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmt-guest-kit.XXXXXX")
if kit_complete && [ "$(cat "$out/kernel.txt")" = "$pkg $deb" ] &&
	[ "$(cat "$out/modules/wanted" 2>/dev/null)" = "$(wanted_list)" ]; then
	say "kernel: $deb already unpacked"
else
	say "unpack: $deb"
	unpack_kernel
	echo "$pkg $deb" > "$out/kernel.txt"
fi

# --- 4. a foreign busybox (arm64): busybox-static:ARCH's /bin/busybox -------
# Downloaded into cache/ (not installed: it would replace the host's) and
# unpacked to OUTDIR/busybox when the .deb changes.
fetch_busybox() {
	local bpkg=busybox-static$qual uri bdeb
	need_cmd apt-get apt
	need_cmd dpkg-deb dpkg
	if ! uri=$(apt-get download --print-uris "$bpkg" 2>&1) ||
		! bdeb=$(printf '%s\n' "$uri" | awk '$2 ~ /\.deb$/ { print $2; exit }') || [ -z "$bdeb" ]; then
		printf '%s\n' "$uri" >&2
		[ -s "$out/busybox" ] && { warn "cannot resolve $bpkg; keeping $out/busybox"; return 0; }
		die "cannot resolve $bpkg (dpkg --add-architecture ${qual#:}; apt-get update, as root)"
	fi
	if [ ! -s "$out/cache/$bdeb" ]; then
		say "download: apt-get download $bpkg"
		if ! log=$(cd "$out/cache" && apt-get download "$bpkg" 2>&1) || [ ! -s "$out/cache/$bdeb" ]; then
			printf '%s\n' "$log" >&2
			rm -f "$out/cache/$bdeb"
			die "apt-get download $bpkg failed"
		fi
	fi
	if [ ! -s "$out/busybox" ] || [ "$out/cache/$bdeb" -nt "$out/busybox" ]; then
		mkdir -p "$tmp/bb"
		dpkg-deb --fsys-tarfile "$out/cache/$bdeb" | tar -x -C "$tmp/bb" ./bin/busybox ||
			die "$bdeb holds no /bin/busybox"
		mv "$tmp/bb/bin/busybox" "$out/busybox"
		# Unpacking time, not the package's: newer than the .deb, and
		# newer than an initrd.gz built from an older busybox.
		touch "$out/busybox"
		say "busybox: $bdeb"
	fi
}
if [ -z "$busybox" ]; then
	# Resolved again only when apt's lists changed since it was unpacked.
	if [ ! -s "$out/busybox" ] ||
		[ -n "$(find "$apt_lists" -maxdepth 1 -newer "$out/busybox" -print -quit 2>/dev/null)" ]; then
		fetch_busybox
	fi
	busybox=$out/busybox
fi

# --- 5. vmt-tool: the crypto and vsock steps' client, built for ARCH --------
# clang cross-compiles it for either ARCH without a C library for it
# (vmt_tool.c makes its own system calls); lld links it statically.
build_tool() {
	if ! command -v clang >/dev/null 2>&1 || ! command -v ld.lld >/dev/null 2>&1; then
		warn "clang or ld.lld not found (Debian packages clang, lld): no vmt-tool, the guest's crypto and vsock steps will say so"
		rm -f "$out/vmt-tool"
		return 0
	fi
	clang --target="$ctarget" -O2 -static -nostdlib -ffreestanding -fno-stack-protector \
		-fno-pic -fuse-ld=lld -Wall -Wextra -Werror -o "$out/vmt-tool.new" "$tool_src" ||
		die "cannot build $tool_src for $ctarget"
	mv "$out/vmt-tool.new" "$out/vmt-tool"
	say "vmt-tool: built for $ctarget"
}
if [ ! -s "$out/vmt-tool" ] || [ "$tool_src" -nt "$out/vmt-tool" ] || [ "$self" -nt "$out/vmt-tool" ]; then
	build_tool
fi

# --- 6. initramfs ------------------------------------------------------------
build_initrd() {
	local r=$tmp/initramfs a
	need_cmd cpio cpio
	need_cmd gzip gzip
	[ -x "$host_busybox" ] || die "$host_busybox not found (install the Debian package busybox-static)"
	[ -s "$busybox" ] || die "$busybox not found"
	# The initramfs has no C library: busybox must be the static build.
	dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed' ||
		die "busybox-static is not installed (apt-get install busybox-static); $host_busybox may need a C library"
	mkdir -p "$r/bin" "$r/dev" "$r/proc" "$r/sys" "$r/tmp" "$r/lib/modules" "$r/etc"
	cp "$busybox" "$r/bin/busybox"
	chmod 755 "$r/bin/busybox"
	for a in $("$host_busybox" --list); do
		[ "$a" = busybox ] || ln -s busybox "$r/bin/$a"
	done
	cp "$init_src" "$r/init"
	chmod 755 "$r/init"
	cp "$out/modules/"* "$r/lib/modules/"
	[ ! -s "$out/vmt-tool" ] || install -m 755 "$out/vmt-tool" "$r/bin/vmt-tool"
	# Same inputs, same bytes: fixed times, sorted names, no gzip name/time.
	find "$r" -exec touch -h -d @0 {} +
	(cd "$r" && find . -mindepth 1 | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --reproducible --quiet) | gzip -9 -n > "$out/initrd.gz.new"
	mv "$out/initrd.gz.new" "$out/initrd.gz"
}

[ -r "$init_src" ] || die "$init_src not found"
stale=
if [ ! -s "$out/initrd.gz" ]; then
	stale="absent"
else
	for f in "$init_src" "$self" "$out/modules/order" "$busybox" "$out/vmt-tool"; do
		if [ "$f" -nt "$out/initrd.gz" ]; then
			stale="${f##*/} is newer"
			break
		fi
	done
fi
if [ -n "$stale" ]; then
	say "initrd: building ($stale)"
	build_initrd
	say "initrd: $(wc -c < "$out/initrd.gz") bytes"
else
	say "initrd: up to date"
fi
say "ready: $out"
