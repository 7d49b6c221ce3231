#!/usr/bin/env bash
# Cost of recording a real guest: the test guest's boot-to-poweroff wall
# time under `vmtrace record -- qemu-system-x86_64 ...` against the same
# QEMU command writing the same trace events to a plain file (the target:
# a ratio under 1.10), and against QEMU with no tracing at all (reported).
# The three runs alternate, ROUNDS times, and the medians are compared, so
# load on this shared machine hits all three alike.
#
#   bench_qemu.sh VMTRACE SOURCE_ROOT KIT_DIR [ROUNDS]
set -uo pipefail

vmtrace=$(realpath "$1") top=$2 kit=$3 rounds=${4:-5}
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: qemu-system-x86_64 is not installed"; exit 77; }
mkdir -p "$kit"
flock "$kit/.lock" "$top/scripts/guest-kit.sh" "$kit" >/dev/null || { echo "cannot build the guest kit"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mapfile -t cmd < <("$top/tests/qemu/guest-cmd.sh" --argv "$kit" "$work/guest" legacy)

now() { date +%s%N; }
# run NAME CMD...: time one boot; the guest must finish its workload.
run() {
	local name=$1 t0 t1
	shift
	"$top/tests/qemu/guest-cmd.sh" --argv "$kit" "$work/guest" legacy >/dev/null # fresh disk and console files
	t0=$(now)
	timeout -k 5 600 "$@" </dev/null >"$work/serial.txt" 2>"$work/err.txt"
	local st=$?
	t1=$(now)
	if [ $st != 0 ] || ! grep -q "VMTGUEST done" "$work/serial.txt"; then
		echo "$name: the boot failed (exit $st):"
		tail -5 "$work/err.txt"
		exit 1
	fi
	echo $(((t1 - t0) / 1000000)) >>"$work/$name.ms"
}

median() { sort -n "$work/$1.ms" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

for i in $(seq "$rounds"); do
	rm -f "$work/plain.log" "$work/t.db"
	run plain "${cmd[@]}" -trace memory_region_ops_read -trace "memory_region_ops_write,file=$work/plain.log"
	run vmtrace "$vmtrace" record -q -f -o "$work/t.db" -- "${cmd[@]}"
	run untraced "${cmd[@]}"
	echo "round $i: plain file $(tail -1 "$work/plain.ms") ms, vmtrace $(tail -1 "$work/vmtrace.ms") ms, untraced $(tail -1 "$work/untraced.ms") ms"
done
plain=$(median plain) traced=$(median vmtrace) untraced=$(median untraced)
events=$(sqlite3 "$work/t.db" "SELECT value FROM meta WHERE key = 'events'" 2>/dev/null || echo '?')
lines=$(wc -l <"$work/plain.log")
echo "guest boot to poweroff, median of $rounds (legacy layout, TCG):"
echo "  QEMU tracing to a plain file   $plain ms ($lines trace lines)"
echo "  vmtrace record (incl. decode)  $traced ms ($events events in trace.db)"
echo "  QEMU without tracing           $untraced ms"
ratio=$(awk -v a="$traced" -v b="$plain" 'BEGIN { printf "%.3f", a / b }')
ratio_untraced=$(awk -v a="$traced" -v b="$untraced" 'BEGIN { printf "%.3f", a / b }')
echo "ratio vmtrace / plain trace file: $ratio (target < 1.10)"
echo "ratio vmtrace / untraced QEMU:    $ratio_untraced"
awk -v r="$ratio" 'BEGIN { exit !(r < 1.10) }'
