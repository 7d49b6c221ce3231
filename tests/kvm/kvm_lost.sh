#!/usr/bin/env bash
# Records the BPF ring buffer has no room for are counted, never silent:
# `vmtrace record --bpf --ring-size 64K -- kvmhost --loop N --truth T`
# with vmtrace stopped (SIGSTOP) for a while in the middle of the loop, so
# the small ring overflows.  Checks: vmtrace exits with kvmhost's status
# 0; the trace holds VMT_EV_LOST events (and a marker saying the ring was
# full) whose counts plus the MMIO events recorded add up exactly to the
# MMIO exits in kvmhost's truth trace; the decoded trace reports the same
# number lost; vmtrace's summary warns.
#
#   kvm_lost.sh VMTRACE KVMHOST
set -uo pipefail
here=$(dirname "$0")
. "$here/lib.sh"

vmtrace=$(realpath "$1") kvmhost=$(realpath "$2")
need_kvm
need_bpf "$vmtrace"
work=$(mktemp -d)
rec=
cleanup() {
	[ -n "$rec" ] && kill -CONT "$rec" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# --no-snapshots: one ring record per access, so lost records are lost accesses.
"$vmtrace" record --bpf --no-snapshots --ring-size 64K -o "$work/l.db" --raw "$work/l.vmt" -- \
	"$kvmhost" --loop 400000 --truth "$work/truth.vmt" 2>"$work/rec.err" &
rec=$!
sleep 0.5
kill -STOP "$rec"
sleep 1.5
kill -CONT "$rec"
wait "$rec"
st=$?
rec=
cat "$work/rec.err"
host_skip_if_77 "$st" "$work/rec.err"
[ "$st" = 0 ] || fail "vmtrace record exited $st"
grep -q "loop: 400000 exits" "$work/rec.err" || fail "kvmhost did not finish its loop"

"$vmtrace" dump "$work/l.vmt" >"$work/l.txt" || fail "vmtrace dump of the capture"
"$vmtrace" dump "$work/truth.vmt" >"$work/truth.txt" || fail "vmtrace dump of the truth"
mmio=$(grep -c ' [RW] [A-Za-z]' "$work/l.txt")
truth=$(grep -c ' [RW] [A-Za-z]' "$work/truth.txt")
lost=$(awk '$6 == "lost" { n += $7 } END { print n + 0 }' "$work/l.txt")
echo "capture: $mmio MMIO events + $lost lost; truth: $truth MMIO exits"
[ "$lost" -gt 0 ] || fail "the ring did not overflow (vmtrace stopped 1.5 s in a 64 KiB ring): nothing to check"
[ $((mmio + lost)) = "$truth" ] || fail "recorded + lost = $((mmio + lost)), kvmhost served $truth"
grep -q 'marker "kvm-bpf: the BPF ring buffer was full' "$work/l.txt" || fail "no marker says the ring was full"
read -r _ footer_lost < <(trace_footer "$vmtrace" "$work/l.vmt")
[ "${footer_lost:-x}" = "$lost" ] || fail "vmtrace dump counts ${footer_lost:-no footer} lost, the events $lost"
grep -q "the BPF ring buffer overflowed: $lost records lost" "$work/rec.err" || fail "vmtrace's summary does not warn"
info_lost=$("$vmtrace" info --json "$work/l.db" | python3 -c 'import json,sys; print(json.load(sys.stdin)["lost"])')
[ "$info_lost" = "$lost" ] || fail "vmtrace info says $info_lost lost, the trace $lost"
echo "PASS"
