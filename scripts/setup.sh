#!/usr/bin/env bash
# Set up a fresh Debian 12 machine for vmtrace, build it, and run it.
#
#   scripts/setup.sh run    install what is missing, build, record the default
#                           workload on the built-in emulator, decode it, print
#                           a summary
#   scripts/setup.sh test   install what is missing, build (plain, with
#                           ASan/UBSan, and the libFuzzer targets with clang),
#                           run the whole test suite and a minute of each
#                           fuzz target
#   scripts/setup.sh bench  install, build, run the benchmarks
#
# Packages come from Debian's archive through apt-get (as root; sudo is used
# when not root).  Nothing is installed when everything is already present.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

packages=(
	build-essential meson ninja-build pkg-config
	libsqlite3-dev sqlite3
	libncurses-dev libpcap-dev libbpf-dev
	# recording a real guest: QEMU, and the test guest's initramfs
	qemu-system-x86 busybox-static cpio
	# the test guest's AF_ALG and AF_VSOCK client (tests/guest/vmt_tool.c,
	# built for amd64 and arm64 by clang and linked by lld), and the
	# ciphertext it must give, recomputed by openssl
	lld openssl
	# arm/aarch64 `virt` (tests/qemu/record_cli.sh starts it without a kernel)
	qemu-system-arm
	# eBPF capture of KVM exits: the CO-RE program, its skeleton, and the
	# benchmark's common alternative
	clang llvm bpftool bpftrace
	# the fuzz targets: clang's libFuzzer and sanitizer runtimes
	libclang-rt-dev
	# reading exports back (tests/export): tshark and capinfos, with the
	# Lua dissector
	tshark
	# installing like the tools beside it (tests/man, tests/completion,
	# tests/package): man pages from scdoc, rendered by man and groff;
	# bash and zsh completion; the Debian package, built and linted
	scdoc man-db groff-base bash-completion zsh
	debhelper dpkg-dev fakeroot lintian
)

say() { printf '== %s\n' "$*" >&2; }

install_missing() {
	local missing=() p
	for p in "${packages[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	say "installing: ${missing[*]}"
	local sudo=()
	[ "$(id -u)" -eq 0 ] || sudo=(sudo)
	export DEBIAN_FRONTEND=noninteractive
	"${sudo[@]}" apt-get update -qq
	"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The arm64 guest test (tests/qemu/guest_record.sh ... arm64) boots Debian's
# arm64 kernel with an arm64 busybox-static.  scripts/guest-kit.sh --arch
# arm64 downloads both .debs (apt-get download) rather than installing them:
# busybox-static:arm64 would replace the host's busybox-static, and the
# kernel's postinst would build an initramfs for a foreign machine.  apt needs
# the arm64 architecture for that; it is added (with one apt-get update)
# only when missing.
add_arm64() {
	local sudo=()
	[ "$(id -u)" -eq 0 ] || sudo=(sudo)
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		say "adding apt's arm64 architecture (for the arm64 guest kit)"
		"${sudo[@]}" dpkg --add-architecture arm64 ||
			{ echo "setup: dpkg --add-architecture arm64 failed" >&2; exit 1; }
		"${sudo[@]}" apt-get update -qq ||
			{ echo "setup: apt-get update failed after adding arm64" >&2; exit 1; }
	fi
	if ! apt-cache show linux-image-arm64:arm64 busybox-static:arm64 >/dev/null 2>&1; then
		echo "setup: apt knows no linux-image-arm64:arm64 or busybox-static:arm64 (is Debian's archive an apt source? apt-get update?)" >&2
		exit 1
	fi
}

# build DIR [meson options...]: configure once, then build.
build() {
	local dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >/dev/null
	fi
	say "building $dir"
	ninja -C "$dir" >/dev/null
}

cmd=${1:-}
case "$cmd" in
run)
	install_missing
	build build
	say "recording the default workload on the built-in emulator into demo.db (raw trace: demo.vmt)"
	build/cli/vmtrace record --emu blk,net,console,rng -f -o demo.db --raw demo.vmt
	build/cli/vmtrace info demo.db
	say "next: build/cli/vmtrace dump demo.vmt | less    (every event, one per line)"
	say "      build/cli/vmtrace show demo.db | less     (decoded events and violations)"
	say "      build/cli/vmtrace tui demo.db             (the inspector; ? for its keys)"
	say "      build/cli/vmtrace export -o demo.pcapng demo.db   (Wireshark; README: the dissector)"
	say "      sqlite3 demo.db 'SELECT * FROM request_latency'   (docs/schema.md)"
	;;
test)
	install_missing
	build build
	# The emulator, decoder and inspector face untrusted input: their tests
	# also run under AddressSanitizer and UndefinedBehaviorSanitizer (the
	# inspector's hostile files and golden screens among them).
	build build-asan -Db_sanitize=address,undefined -Db_lundef=false
	say "guest kit for the real-guest tests (Debian's kernel, busybox initramfs)"
	scripts/guest-kit.sh build/guest-kit >/dev/null
	add_arm64
	say "arm64 guest kit (Debian's arm64 kernel and busybox-static, for qemu-system-aarch64 -M virt)"
	scripts/guest-kit.sh --arch arm64 build/guest-kit-arm64 >/dev/null
	say "emulator, raw trace, decoder, replay, diff, inspector and export tests under ASan/UBSan"
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		meson test -C build-asan --suite unit --suite decoder --suite replay --suite diff --suite tui --suite export \
		--no-suite qemu --print-errorlogs --num-processes 2
	say "whole test suite"
	meson test -C build --print-errorlogs --num-processes 2
	# The parsers of untrusted input are fuzzed (tests/fuzz): libFuzzer
	# targets built by clang, each run for a seeded minute over its seeds
	# and every input that once broke it.
	CC=clang build build-fuzz -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args=-fsanitize=fuzzer-no-link -Dbpf=disabled -Dtui=disabled -Dpcap=disabled
	say "fuzz targets, a seeded minute each"
	meson test -C build-fuzz --suite fuzz --print-errorlogs --num-processes 2
	;;
bench)
	install_missing
	build build
	scripts/guest-kit.sh build/guest-kit >/dev/null
	meson test -C build --benchmark --print-errorlogs --verbose
	;;
*)
	echo "usage: scripts/setup.sh run|test|bench" >&2
	exit 2
	;;
esac
