#!/usr/bin/env bash
# End-to-end tests of the KVM test host (suite 'kvm').
#
#   kvmhost_test.sh truth   KVMHOST VMTRACE CMP CHECK modern|legacy [--ioeventfd]
#       kvmhost runs the guest with --truth; the truth trace decodes to
#       every device at DRIVER_OK with the guest's features, no violation,
#       and the guest's blk, net, console and rng requests.
#   kvmhost_test.sh ioeventfd KVMHOST VMTRACE CMP CHECK modern|legacy
#       the truth traces with and without --ioeventfd hold the same MMIO
#       events (notifies taken from eventfds are placed where they happened).
#   kvmhost_test.sh bpf     KVMHOST VMTRACE CMP CHECK modern|legacy [--ioeventfd]
#       `vmtrace record --bpf -- kvmhost --truth ...`: the BPF trace and the
#       truth agree event for event; it decodes to the same devices and
#       features (and requests, once the BPF trace carries guest memory).
#
# Skips (77) only when /dev/kvm is absent or unusable (kvmhost says why),
# or for 'bpf' when vmtrace lacks the privileges to load its BPF program.
set -uo pipefail

mode=$1 kvmhost=$(realpath "$2") vmtrace=$(realpath "$3") cmp=$(realpath "$4") check=$5 layout=$6
shift 6
extra=("$@")
command -v python3 >/dev/null || { echo "FAIL: python3 is needed"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
layout_arg=()
[ "$layout" = legacy ] && layout_arg=(--legacy)

# host NAME ARGS...: run kvmhost; skip the test if KVM is unusable.
host() {
	local name=$1
	shift
	timeout -k 5 120 "$kvmhost" "${layout_arg[@]}" "$@" 2>"$work/$name.err"
	local st=$?
	cat "$work/$name.err"
	if [ $st = 77 ]; then
		echo "SKIP: $(grep -m1 SKIP "$work/$name.err" | sed 's/^kvmhost: SKIP: //')"
		exit 77
	fi
	if [ $st != 0 ]; then
		echo "FAIL: kvmhost ${layout_arg[*]} $* exited $st"
		exit 1
	fi
}

# MMIO exits kvmhost served (and notifies it took from eventfds), from its summary.
served() {
	sed -n 's/.* \([0-9]*\) MMIO exits.*/\1/p' "$1"
	sed -n 's/.*, \([0-9]*\) QueueNotify via ioeventfd.*/\1/p' "$1"
}

decode_check() { # TRACE.vmt LAYOUT CHECK-ARGS...
	local vmt=$1
	shift
	"$vmtrace" decode -q "$vmt" -o "$vmt.db" || { echo "FAIL: vmtrace decode $vmt"; exit 1; }
	"$vmtrace" info --json "$vmt.db" >"$vmt.json" || { echo "FAIL: vmtrace info --json"; exit 1; }
	python3 "$check" "$vmt.db" "$vmt.json" "$@" || exit 1
}

case $mode in
truth)
	host run --truth "$work/truth.vmt" "${extra[@]}"
	n=$(served "$work/run.err" | awk '{ s += $1 } END { print s }')
	decode_check "$work/truth.vmt" "$layout" --mmio "$n"
	;;
ioeventfd)
	host plain --truth "$work/plain.vmt"
	host efd --truth "$work/efd.vmt" --ioeventfd
	grep -q "[1-9][0-9]* QueueNotify via ioeventfd" "$work/efd.err" ||
		{ echo "FAIL: no QueueNotify came through an ioeventfd"; exit 1; }
	"$cmp" "$work/plain.vmt" "$work/efd.vmt" || { echo "FAIL: the truth traces differ"; exit 1; }
	;;
bpf)
	timeout -k 5 120 "$vmtrace" record --bpf -o "$work/bpf.vmt" -- \
		"$kvmhost" "${layout_arg[@]}" --truth "$work/truth.vmt" "${extra[@]}" 2>"$work/rec.err"
	st=$?
	cat "$work/rec.err"
	case $st in
	0) ;;
	69)
		# Missing privileges skip; a program this kernel refuses is a failure.
		if grep -q "needs the capabilities" "$work/rec.err"; then
			echo "SKIP: $(grep -m1 "needs the capabilities" "$work/rec.err")"
			exit 77
		fi
		echo "FAIL: vmtrace record --bpf could not start (exit 69)"
		exit 1
		;;
	77) echo "SKIP: $(grep -m1 SKIP "$work/rec.err" | sed 's/^kvmhost: SKIP: //')"; exit 77 ;;
	*) echo "FAIL: vmtrace record --bpf -- kvmhost exited $st"; exit 1 ;;
	esac
	"$cmp" "$work/truth.vmt" "$work/bpf.vmt" || { echo "FAIL: the BPF trace and the truth differ"; exit 1; }
	n=$(served "$work/rec.err" | awk '{ s += $1 } END { print s }')
	decode_check "$work/bpf.vmt" "$layout" --requests if-memory --mmio "$n"
	;;
*)
	echo "FAIL: unknown mode '$mode'"
	exit 1
	;;
esac
echo "PASS"
