#!/usr/bin/env bash
# --window and --only-windows with a command: kvmhost's four devices
# (0x10000000 + i * 0x200), recorded with --truth.
#   --only-windows --window 0x10000200: the BPF program passes nothing but
#       the net device's window; the trace holds exactly the truth's
#       accesses to it, in order, and no other device.
#   --window 0x10000600: a listed window adds to those found from
#       MagicValue reads; all four devices are there.
#
#   kvm_windows.sh VMTRACE KVMHOST
set -uo pipefail
here=$(dirname "$0")
. "$here/lib.sh"

vmtrace=$(realpath "$1") kvmhost=$(realpath "$2")
need_kvm
need_bpf "$vmtrace"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# accesses FILE BASE: "dir register width value" of BASE's MMIO events.
accesses() {
	"$vmtrace" dump --device "$2" "$1" | awk '$6 ~ /^[RW]$/ { print $6, $7, $8, $9 }'
}

"$vmtrace" record --bpf --only-windows --window 0x10000200 -o "$work/only.vmt" -- \
	"$kvmhost" --truth "$work/truth.vmt" 2>"$work/only.err"
st=$?
cat "$work/only.err"
host_skip_if_77 "$st" "$work/only.err"
[ "$st" = 0 ] || fail "vmtrace record --only-windows exited $st"
accesses "$work/truth.vmt" 0x10000200 >"$work/want.txt"
accesses "$work/only.vmt" 0x10000200 >"$work/got.txt"
[ -s "$work/want.txt" ] || fail "the truth has no accesses to 0x10000200"
if ! diff -u "$work/want.txt" "$work/got.txt" >"$work/diff.txt"; then
	head -20 "$work/diff.txt"
	fail "--only-windows: the net device's accesses differ from the truth"
fi
echo "net device: $(wc -l <"$work/got.txt") accesses, as in the truth"
others=$("$vmtrace" dump "$work/only.vmt" | awk '$6 ~ /^[RW]$/ && $5 != "dev@0x10000200"' | wc -l)
[ "$others" = 0 ] || fail "--only-windows: $others accesses outside the window"

"$vmtrace" record --bpf --window 0x10000600 -o "$work/add.vmt" -- "$kvmhost" 2>"$work/add.err"
st=$?
cat "$work/add.err"
[ "$st" = 0 ] || fail "vmtrace record --window exited $st"
devs=$("$vmtrace" dump "$work/add.vmt" | awk '$6 ~ /^[RW]$/ { print $5 }' | sort -u | tr '\n' ' ')
[ "$devs" = "dev@0x10000000 dev@0x10000200 dev@0x10000400 dev@0x10000600 " ] ||
	fail "--window 0x10000600: devices '$devs' (want all four)"
echo "PASS"
