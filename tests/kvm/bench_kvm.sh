#!/usr/bin/env bash
# Benchmark (suite 'bench'): the cost of recording KVM MMIO exits.
# kvmhost's guest reads a device register in a tight loop (--loop N, one
# MMIO exit per read, served in user space); kvmhost reports the loop's
# exits per second.  In one run, interleaved ROUNDS times, medians:
#   untraced          kvmhost --loop N
#   vmtrace --bpf     vmtrace record --bpf -o T.vmt -- kvmhost --loop N
#                     (default options: ring snapshots on, 8 MiB ring)
#   bpftrace          bpftrace -o FILE -e 'tracepoint:kvm:kvm_mmio
#                     /pid == cpid/ { printf(...) }' -c 'kvmhost --loop N'
# Passes if vmtrace keeps at least 0.9x of the untraced rate, is faster
# than bpftrace, and every exit of every vmtrace run is in its trace with
# nothing lost.
#
#   bench_kvm.sh VMTRACE KVMHOST      (N and ROUNDS from the environment)
set -uo pipefail
here=$(dirname "$0")
. "$here/lib.sh"

vmtrace=$(realpath "$1") kvmhost=$(realpath "$2")
N=${N:-200000}
ROUNDS=${ROUNDS:-3}
need_kvm
need_bpf "$vmtrace"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
have_bpftrace=yes
command -v bpftrace >/dev/null || have_bpftrace=no
# bpftrace finds tracepoints through tracefs; where it is not mounted (vmtrace
# itself needs no tracefs), mount it for bpftrace alone, in a private mount
# namespace.
bpftrace=(bpftrace)
if [ ! -d /sys/kernel/tracing/events ] && [ ! -d /sys/kernel/debug/tracing/events ]; then
	bpftrace=(unshare -m sh -c 'mount -t tracefs nodev /sys/kernel/tracing && exec bpftrace "$@"' bpftrace)
fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", a / b }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

run_untraced() {
	"$kvmhost" --loop "$N" 2>"$work/u.err" || { cat "$work/u.err"; host_skip_if_77 $? "$work/u.err"; fail "kvmhost failed"; }
	loop_rate "$work/u.err" >>"$work/untraced.rates"
}

run_vmtrace() {
	local exits mmio events lost
	"$vmtrace" record --bpf -f -o "$work/b.vmt" -- "$kvmhost" --loop "$N" 2>"$work/v.err" ||
		{ cat "$work/v.err"; fail "vmtrace record --bpf -- kvmhost failed"; }
	loop_rate "$work/v.err" >>"$work/vmtrace.rates"
	exits=$(sed -n 's/.* \([0-9]*\) MMIO exits.*/\1/p' "$work/v.err")
	read -r events lost < <(trace_footer "$vmtrace" "$work/b.vmt")
	mmio=$("$vmtrace" dump "$work/b.vmt" | grep -c ' [RW] [A-Za-z]')
	echo "  vmtrace run: $exits exits served, $mmio MMIO events recorded, ${lost:-?} lost"
	[ "${lost:-x}" = 0 ] && [ "$mmio" = "$exits" ] || echo "lost" >>"$work/vmtrace.losses"
}

run_bpftrace() {
	"${bpftrace[@]}" -o "$work/bt.txt" \
		-e 'tracepoint:kvm:kvm_mmio /pid == cpid/ { printf("%d %u %u 0x%llx 0x%llx\n", tid, args->type, args->len, args->gpa, args->val); }' \
		-c "$kvmhost --loop $N" >"$work/bt.out" 2>"$work/bt.err" ||
		{ cat "$work/bt.err"; fail "bpftrace -c kvmhost failed"; }
	loop_rate "$work/bt.err" >>"$work/bpftrace.rates"
	grep -h "Lost [0-9]* events" "$work/bt.out" "$work/bt.err" | sed 's/^/  bpftrace: /'
}

echo "kvm:kvm_mmio capture cost: kvmhost --loop $N (one MMIO exit per loop step), $ROUNDS rounds"
for ((r = 1; r <= ROUNDS; r++)); do
	run_untraced
	run_vmtrace
	[ $have_bpftrace = yes ] && run_bpftrace
	echo "  round $r: untraced $(tail -n1 "$work/untraced.rates"), vmtrace $(tail -n1 "$work/vmtrace.rates")" \
		"$([ $have_bpftrace = yes ] && echo ", bpftrace $(tail -n1 "$work/bpftrace.rates")") exits/s"
done

u=$(median <"$work/untraced.rates")
v=$(median <"$work/vmtrace.rates")
printf '%-34s %9s exits/s\n' "untraced (median)" "$u"
printf '%-34s %9s exits/s  %.2fx\n' "vmtrace record --bpf (median)" "$v" "$(ratio "$v" "$u")"
if [ $have_bpftrace = yes ]; then
	b=$(median <"$work/bpftrace.rates")
	printf '%-34s %9s exits/s  %.2fx\n' "bpftrace printf to a file (median)" "$b" "$(ratio "$b" "$u")"
fi

ok=yes
if [ -e "$work/vmtrace.losses" ]; then
	echo "FAIL: vmtrace lost events or recorded fewer MMIO events than kvmhost served"
	ok=no
fi
if ! awk -v v="$v" -v u="$u" 'BEGIN { exit !(v >= 0.9 * u) }'; then
	echo "FAIL: vmtrace keeps less than 0.9x of the untraced exit rate"
	ok=no
fi
if [ $have_bpftrace = yes ] && [ "$v" -le "$b" ]; then
	echo "FAIL: vmtrace is not faster than bpftrace"
	ok=no
fi
[ $ok = yes ] || exit 1
[ $have_bpftrace = yes ] || skip "bpftrace is not installed (Debian package bpftrace): no comparison with it"
echo "PASS"
