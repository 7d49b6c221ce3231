#!/usr/bin/env bash
# Boot the test guest N times under `vmtrace record` in turn over five
# set-ups (legacy and modern, 1 and 2 vCPUs, drivers unbound and bound
# again, and every fifth boot moving 32 MiB through its disk), replay each
# trace with QEMU's differences declared, and count the outcomes: how far
# issue 13's "20 of 20 boots replay" holds on this machine.  Heavy boots
# also print the guest's own blk read and write counts beside the decoded
# ones.  A measurement (meson test --benchmark),
# not a unit test: it prints one line per boot and a summary, and exits 1
# if any boot failed to record or replay.
#
#   boot_replay_loop.sh VMTRACE SOURCE_ROOT KIT_DIR [N]   (N default 20)
set -uo pipefail

vmtrace=$(realpath "$1") top=$2 kit=$3 n=${4:-20}
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: qemu-system-x86_64 is not installed"; exit 77; }
mkdir -p "$kit"
flock "$kit/.lock" "$top/scripts/guest-kit.sh" "$kit" >/dev/null 2>&1 || { echo "FAIL: cannot build the guest kit"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

ok=0 unverified=0 bad=0 torn=0 chains=0
for i in $(seq 1 "$n"); do
	# opts: guest-cmd.sh's options; extra: QEMU's
	case $(( (i - 1) % 5 )) in
	0) layout=legacy opts=() extra=() what="legacy 1 vCPU" ;;
	1) layout=modern opts=() extra=(-smp 2) what="modern 2 vCPUs" ;;
	2) layout=legacy opts=(--rebind) extra=(-smp 2) what="legacy 2 vCPUs rebind" ;;
	3) layout=modern opts=(--rebind) extra=() what="modern 1 vCPU rebind" ;;
	4) layout=legacy opts=(--heavy 32) extra=() what="legacy heavy-I/O" ;;
	esac
	rm -rf "$work/g" "$work/t.db"
	mkdir -p "$work/g"
	mapfile -t cmd < <("$top/tests/qemu/guest-cmd.sh" --argv "${opts[@]}" "$kit" "$work/g" "$layout" "${extra[@]}")
	start=$SECONDS
	if ! timeout -k 10 600 "$vmtrace" record -q -o "$work/t.db" -- "${cmd[@]}" </dev/null >"$work/serial.txt" 2>"$work/err.txt"; then
		echo "boot $i ($what): record FAILED: $(tail -2 "$work/err.txt")"
		bad=$((bad + 1))
		continue
	fi
	"$vmtrace" replay -X "$top/samples/qemu-linux-modern.expect" "$work/t.db" >"$work/replay.txt" 2>&1
	st=$?
	c=$(sqlite3 "$work/t.db" "SELECT count(*), coalesce(sum(memory = 'torn'), 0) FROM chains")
	chains=$((chains + ${c%|*})) torn=$((torn + ${c#*|}))
	verdict=$(tail -1 "$work/replay.txt")
	echo "boot $i ($what, $((SECONDS - start)) s): replay exit $st, chains ${c%|*}, torn ${c#*|}: $verdict"
	heavy=$(tr -d '\r' <"$work/serial.txt" | grep -m1 '^VMTGUEST heavy ')
	if [ -n "$heavy" ]; then
		d=$(sqlite3 -separator ' ' "$work/t.db" "SELECT 'reads=' || coalesce(sum(op = 'in'), 0), 'writes=' || coalesce(sum(op = 'out'), 0), 'flushes=' || coalesce(sum(op = 'flush'), 0) FROM requests WHERE kind = 'blk'")
		echo "  heavy I/O: the guest counted reads=${heavy#*reads=} (an fsync's empty flush write counts as a write and a flush); vmtrace decoded $d"
	fi
	if ! tr -d '\r' <"$work/serial.txt" | grep -q '^VMTGUEST done'; then
		echo "  FAILED: the guest did not finish its steps"
		bad=$((bad + 1))
	elif [ $st != 0 ]; then
		bad=$((bad + 1))
		sed -n '/^first divergence/,/^$/p' "$work/replay.txt"
	elif grep -q "unverified" <<<"$verdict"; then
		unverified=$((unverified + 1))
	else
		ok=$((ok + 1))
	fi
done
echo "summary: $n boots: $ok replayed identical, $unverified identical with a device unverified after a torn copy, $bad failed; ring copies: $chains chains, $torn torn"
[ $bad = 0 ]
