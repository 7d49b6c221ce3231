#!/usr/bin/env bash
# kvmhost's command line and its ends of a run, with tiny hand-assembled
# guests (--guest): exit statuses, the guest's failure report and message
# line (escaped), a halt without a result, a triple fault, a guest that
# never halts (--timeout), SIGTERM (the truth trace is closed), an access
# outside every device window, and /dev/kvm made unusable (77).
#
#   cli_test.sh KVMHOST VMTRACE
set -uo pipefail

kvmhost=$(realpath "$1") vmtrace=$(realpath "$2")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expect STATUS PATTERN ARGS...: kvmhost exits STATUS and stderr matches PATTERN.
expect() {
	local want=$1 pattern=$2
	shift 2
	timeout -k 5 60 "$kvmhost" "$@" >"$work/out" 2>"$work/err"
	local st=$?
	if [ $st = 77 ] && [ "$want" != 77 ]; then
		echo "SKIP: $(sed -n 's/^kvmhost: SKIP: //p' "$work/err" | head -1)"
		exit 77
	fi
	if [ $st != "$want" ]; then
		fail "kvmhost $* exited $st, not $want: $(head -3 "$work/err")"
	elif ! grep -Eq -- "$pattern" "$work/err" "$work/out"; then
		fail "kvmhost $*: no '$pattern' in: $(head -3 "$work/err")"
	else
		echo "ok: kvmhost $* -> $st ($(grep -Eh -m1 -- "$pattern" "$work/err" "$work/out"))"
	fi
}

# image NAME HEX-BYTES: a flat guest image, loaded at 1 MiB in 32-bit mode.
image() { printf "$(echo "$2" | sed 's/\(..\)/\\x\1/g')" >"$work/$1.bin"; }

expect 0 "usage: kvmhost" --help
expect 2 "unexpected argument" extra
expect 2 "usage" --bogus
expect 2 "unknown device 'foo'" --devices blk,foo
expect 2 "--loop wants" --loop 0
expect 2 "--loop wants" --loop 12x
expect 2 "--timeout wants" --timeout -1

# The first run tells whether KVM can be used at all (skips if not).
image pass "31c0e7f4f4"              # xor eax,eax; out 0xf4,eax; hlt
expect 0 "kvmhost: pass" --guest "$work/pass.bin" --truth "$work/pass.vmt"
"$kvmhost" --quiet --guest "$work/pass.bin" >"$work/out" 2>"$work/err"
st=$?
[ $st = 0 ] && [ ! -s "$work/err" ] && [ ! -s "$work/out" ] && echo "ok: --quiet prints nothing" ||
	fail "kvmhost --quiet: exit $st, printed: $(cat "$work/out" "$work/err")"

image fail "b803020001e7f4f4"        # mov eax,0x01000203; out 0xf4,eax; hlt
expect 1 "guest reported failure 0x01000203 \(device 2, step 0x03\)" --guest "$work/fail.bin"
# mov al,'A'; out 0xf5,al; mov al,0x1b; out 0xf5,al; mov al,'\n'; out 0xf5,al; then fail
image log "b041e6f5b01be6f5b00ae6f5b803020001e7f4f4"
expect 1 'kvmhost: guest: A\\x1b$' --guest "$work/log.bin"
image halt "f4"
expect 1 "halted without reporting a result" --guest "$work/halt.bin"
image ud2 "0f0b"
expect 1 "shut down|internal error" --guest "$work/ud2.bin"
image spin "ebfe"                    # jmp $
expect 1 "did not halt within 1 s" --timeout 1 --guest "$work/spin.bin"
image port "b000e6f0f4"              # mov al,0; out 0xf0,al; hlt
expect 1 "unexpected port access: OUT to port 0xf0" --guest "$work/port.bin"
head -c $((3 * 1024 * 1024 + 1)) /dev/zero >"$work/big.bin"
expect 1 "empty or larger than" --guest "$work/big.bin"

# An MMIO read outside every device window reads 0 and is in the truth
# trace (base 0): mov eax,[0x20000000]; out 0xf4,eax; hlt
image outside "a100000020e7f4f4"
expect 0 "1 MMIO exits \(1 reads" --guest "$work/outside.bin" --truth "$work/outside.vmt"
"$vmtrace" dump "$work/outside.vmt" | grep -q "R .* 4 0x00000000" || fail "the outside read is not in the truth trace"

# A hostile driver: rings outside RAM and misaligned, notifies of absent
# queues, with ioeventfds.  The devices report violations, nothing
# crashes (this runs under ASan too), and eventfd signals that no queue
# accounts for become a marker.
le32() { printf '%02x%02x%02x%02x' $(($1 & 255)) $((($1 >> 8) & 255)) $((($1 >> 16) & 255)) $((($1 >> 24) & 255)); }
wr() { echo -n "c705$(le32 $((0x10000000 + $1)))$(le32 $2)"; } # mov dword [0x10000000 + off], imm32
rd() { echo -n "a1$(le32 $((0x10000000 + $1)))"; }              # mov eax, [0x10000000 + off]
image hostile "$(wr 0x70 0)$(wr 0x70 1)$(wr 0x70 3)$(wr 0x24 1)$(wr 0x20 1)$(wr 0x70 11)$(wr 0x30 0)\
$(wr 0x38 16)$(wr 0x80 0xfffff000)$(wr 0x90 0x03fffffe)$(wr 0xa0 0x7fffffff)$(wr 0x44 1)$(wr 0x70 15)\
$(wr 0x50 0)$(rd 0x60)$(wr 0x50 7)$(wr 0x50 0xffffffff)$(rd 0x60)31c0e7f4f4"
expect 0 "pass: .* [1-9][0-9]* violation" --guest "$work/hostile.bin" --truth "$work/hostile.vmt"
for layout in "" --legacy; do
	expect 0 "pass: .* [1-9][0-9]* violation" $layout --ioeventfd --guest "$work/hostile.bin" --truth "$work/hostile.vmt"
	"$vmtrace" dump "$work/hostile.vmt" | grep -q 'marker "ioeventfd at 0x10000050: 2 QueueNotify write(s) but 0 queue(s)' ||
		fail "no marker for eventfd signals without new buffers ($layout)"
done

# SIGTERM: the run stops within a second or two, the truth trace is closed.
"$kvmhost" --guest "$work/spin.bin" --truth "$work/term.vmt" 2>"$work/err" &
pid=$!
sleep 0.5
kill -TERM $pid
wait $pid
st=$?
if [ $st != 143 ]; then
	fail "kvmhost stopped by SIGTERM exited $st, not 143"
elif ! "$vmtrace" dump --header "$work/term.vmt" | grep -q '^# end: .*"stopped by signal 15"'; then
	fail "the truth trace of a SIGTERM'd run is not closed: $("$vmtrace" dump --header "$work/term.vmt" 2>&1 | tail -1)"
else
	echo "ok: SIGTERM -> 143, truth trace closed ('stopped by signal 15')"
fi

# /dev/kvm unusable: bind /dev/null over it in a private mount namespace.
if command -v unshare >/dev/null && unshare --mount true 2>/dev/null; then
	unshare --mount sh -c 'mount --bind /dev/null /dev/kvm && exec "$0" --guest "$1"' \
		"$kvmhost" "$work/pass.bin" >"$work/out" 2>"$work/err"
	st=$?
	if [ $st = 77 ] && [ "$(wc -l <"$work/err")" = 1 ] && grep -q "^kvmhost: SKIP: " "$work/err"; then
		echo "ok: unusable /dev/kvm -> 77 ($(cat "$work/err"))"
	else
		fail "unusable /dev/kvm: exit $st, stderr: $(cat "$work/err")"
	fi
else
	echo "note: cannot unshare a mount namespace here; the 77 path is not tested"
fi

[ $fails = 0 ] && echo PASS || { echo "$fails check(s) failed"; exit 1; }
