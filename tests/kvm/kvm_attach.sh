#!/usr/bin/env bash
# `vmtrace record --bpf --pid PID`: attach to a kvmhost that is already
# running (its guest in loop mode: reads of device 0's Status register),
# record a while, Ctrl-C (SIGINT) detaches.  Checks: vmtrace exits 0 and
# says it detached; the raw trace is complete (footer, nothing lost); it
# holds the loop's reads with their value (0x0f, DRIVER_OK) and nothing
# else, found through --window since the MagicValue read happened before
# vmtrace attached; the decoded trace is complete; kvmhost kept running
# and still stops on SIGTERM (status 143).  A second attach without
# --window records nothing and says why.
#
#   kvm_attach.sh VMTRACE KVMHOST
set -uo pipefail
here=$(dirname "$0")
. "$here/lib.sh"

vmtrace=$(realpath "$1") kvmhost=$(realpath "$2")
need_kvm
need_bpf "$vmtrace"
work=$(mktemp -d)
host_pid=
cleanup() {
	[ -n "$host_pid" ] && kill -KILL "$host_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

"$kvmhost" --loop 4000000000 --timeout 300 2>"$work/host.err" &
host_pid=$!
# Let it get past the guest's device set-up into the loop.
sleep 1
if ! kill -0 "$host_pid" 2>/dev/null; then
	wait "$host_pid"
	st=$?
	cat "$work/host.err"
	host_skip_if_77 "$st" "$work/host.err"
	fail "kvmhost --loop ended early (status $st)"
fi

# attach NAME ARGS...: record the host until SIGINT after 1 s of recording.
attach() {
	local name=$1 rec st i
	shift
	"$vmtrace" record --bpf --pid "$host_pid" -o "$work/$name.db" --raw "$work/$name.vmt" "$@" \
		2>"$work/$name.err" &
	rec=$!
	for i in $(seq 100); do
		grep -q "recording process" "$work/$name.err" && break
		kill -0 "$rec" 2>/dev/null || break
		sleep 0.1
	done
	sleep 1
	kill -INT "$rec"
	wait "$rec"
	st=$?
	cat "$work/$name.err"
	[ "$st" = 0 ] || fail "vmtrace record --pid $* exited $st after SIGINT (want 0)"
	grep -q "detached from process $host_pid on SIGINT" "$work/$name.err" || fail "vmtrace did not say it detached"
	kill -0 "$host_pid" 2>/dev/null || fail "kvmhost died when vmtrace detached"
}

attach win --window 0x10000000
read -r events lost < <(trace_footer "$vmtrace" "$work/win.vmt")
[ -n "${events:-}" ] || fail "the raw trace has no footer: not closed cleanly"
echo "trace: $events events, $lost lost"
[ "$lost" = 0 ] || fail "$lost events lost"
[ "$events" -ge 1000 ] || fail "only $events events in a second of a tight MMIO loop"
"$vmtrace" dump "$work/win.vmt" >"$work/win.txt" || fail "vmtrace dump"
n_mmio=$(grep -c ' R Status  *4 0x0000000f ' "$work/win.txt")
n_other=$(grep -vc ' R Status  *4 0x0000000f ' "$work/win.txt")
echo "Status reads with DRIVER_OK: $n_mmio, other events: $n_other"
[ "$n_mmio" = "$events" ] || { head -5 "$work/win.txt"; fail "events other than the loop's Status reads"; }
"$vmtrace" info --json "$work/win.db" >"$work/win.json" || fail "vmtrace info --json"
python3 - "$work/win.json" <<'PY' || exit 1
import json, sys
d = json.load(open(sys.argv[1]))
ok = d["complete"] and d["lost"] == 0 and d["source"] == "kvm-bpf" and [x["base"] for x in d["devices"]] == ["0x10000000"]
print(("ok: " if ok else "FAIL: ") + f"decoded: complete={d['complete']} lost={d['lost']} devices={[x['base'] for x in d['devices']]}")
sys.exit(0 if ok else 1)
PY

# Without --window: the loop's window never shows its MagicValue read.
attach nowin
read -r events lost < <(trace_footer "$vmtrace" "$work/nowin.vmt")
[ "${events:-x}" = 0 ] || fail "without --window: $events events recorded (want 0)"
grep -q "no MagicValue read was seen there" "$work/nowin.err" || fail "vmtrace did not say why nothing was kept"

kill -TERM "$host_pid"
wait "$host_pid"
st=$?
host_pid=
[ "$st" = 143 ] || fail "kvmhost exited $st on SIGTERM after the detaches (want 143)"
echo "PASS"
