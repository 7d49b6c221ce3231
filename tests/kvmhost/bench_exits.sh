#!/usr/bin/env bash
# MMIO exits per second of the KVM test host in --loop mode (the guest
# reads a Status register N times; every read is a KVM_EXIT_MMIO served in
# user space): untraced, and under `vmtrace record --bpf` when BPF can be
# loaded (the ratio is the recording cost).  Runs alternate, ROUNDS times;
# medians are compared, so load on the machine hits both alike.
#
#   bench_exits.sh KVMHOST VMTRACE [N [ROUNDS]]
set -uo pipefail

kvmhost=$(realpath "$1") vmtrace=$(realpath "$2") n=${3:-300000} rounds=${4:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

rate() { sed -n 's/.* = \([0-9]*\) exits\/s.*/\1/p' "$1"; }
median() { sort -n "$work/$1" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

bpf=1
for i in $(seq "$rounds"); do
	"$kvmhost" --loop "$n" 2>"$work/plain.err"
	st=$?
	[ $st = 77 ] && { echo "SKIP: $(sed -n 's/^kvmhost: SKIP: //p' "$work/plain.err")"; exit 77; }
	[ $st = 0 ] || { echo "kvmhost --loop $n failed:"; cat "$work/plain.err"; exit 1; }
	rate "$work/plain.err" >>"$work/plain"
	if [ $bpf = 1 ]; then
		"$vmtrace" record --bpf -q -o "$work/t.vmt" -- "$kvmhost" --loop "$n" 2>"$work/bpf.err"
		st=$?
		if [ $st = 0 ]; then
			rate "$work/bpf.err" >>"$work/bpf"
		else
			echo "note: vmtrace record --bpf exited $st, traced runs left out: $(grep -m1 -v '^kvmhost' "$work/bpf.err")"
			bpf=0
		fi
	fi
done
plain=$(median plain)
echo "untraced: $plain exits/s (median of $rounds runs of $n Status reads; runs: $(tr '\n' ' ' <"$work/plain"))"
if [ $bpf = 1 ]; then
	traced=$(median bpf)
	echo "vmtrace record --bpf: $traced exits/s (runs: $(tr '\n' ' ' <"$work/bpf"))"
	awk -v a="$traced" -v b="$plain" 'BEGIN { printf "ratio traced/untraced: %.2f\n", a / b }'
fi
