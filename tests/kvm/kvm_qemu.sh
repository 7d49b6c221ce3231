#!/usr/bin/env bash
# `vmtrace record --bpf -- qemu-system-x86_64 -accel kvm ...`: the test
# guest of tests/qemu (Linux, busybox, blk/rng/net/console workload) under
# QEMU with KVM, recorded through BPF, checked against the guest's own
# report.  QEMU runs unchanged: its default virtio-mmio ioeventfds stay
# on, so QueueNotify writes complete in the kernel and only BPF sees them.
#
# Whether this /dev/kvm can boot Linux at all is found out, not assumed:
# the same command first boots untraced for up to PROBE_S seconds; if the
# guest's first line ("VMTGUEST begin", printed by its /init) does not
# come, the test skips (77) and says what was seen.  (On machines whose
# /dev/kvm is a software hypervisor an unmodified Linux cannot boot.)
#
#   kvm_qemu.sh VMTRACE SOURCE_ROOT KIT_DIR legacy|modern
set -uo pipefail
here=$(dirname "$0")
. "$here/lib.sh"

PROBE_S=${PROBE_S:-30}
vmtrace=$(realpath "$1") top=$2 kit=$3 layout=$4
need_kvm
need_bpf "$vmtrace"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed"
command -v sqlite3 >/dev/null || fail "sqlite3 is needed"
mkdir -p "$kit"
work=$(mktemp -d)
probe=
cleanup() {
	[ -n "$probe" ] && kill -KILL "$probe" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
# The kit is shared with tests/qemu: one builds it, the others wait.
if ! flock "$kit/.lock" "$top/scripts/guest-kit.sh" "$kit" >"$work/kit.log" 2>&1; then
	cat "$work/kit.log"
	fail "cannot build the guest kit in $kit"
fi

# The tests/qemu command line, with KVM instead of TCG (-icount is TCG's).
mapfile -t tcg < <("$top/tests/qemu/guest-cmd.sh" --argv "$kit" "$work/guest" "$layout")
cmd=()
for ((i = 0; i < ${#tcg[@]}; i++)); do
	case ${tcg[i]} in
	-icount) i=$((i + 1)) ;;
	-accel) cmd+=(-accel kvm); i=$((i + 1)) ;;
	*) cmd+=("${tcg[i]}") ;;
	esac
done

# Probe: does Linux get as far as its /init under this KVM?
"${cmd[@]}" </dev/null >"$work/probe.out" 2>"$work/probe.err" &
probe=$!
booted=no
for ((t = 0; t < PROBE_S * 10; t++)); do
	if grep -q '^VMTGUEST begin' "$work/probe.out"; then
		booted=yes
		break
	fi
	kill -0 "$probe" 2>/dev/null || break
	sleep 0.1
done
kill -KILL "$probe" 2>/dev/null
wait "$probe" 2>/dev/null
probe=
if [ $booted = no ]; then
	seen=$(tr -d '\r' <"$work/probe.out" | tr -s '\n' ' ' | cut -c1-80)
	qerr=$(grep -v 'terminating on signal\|host doesn.t support requested feature' "$work/probe.err" | tail -n1 | cut -c1-100)
	skip "QEMU -accel kvm did not boot Linux here: no guest output in ${PROBE_S} s (serial: '${seen}'${qerr:+, QEMU: '$qerr'}); this /dev/kvm cannot run an unmodified Linux"
fi

echo "recording: vmtrace record --bpf -o $work/t.db -- ${cmd[*]}"
timeout -k 10 300 "$vmtrace" record --bpf -o "$work/t.db" -- "${cmd[@]}" </dev/null >"$work/serial.txt" 2>"$work/rec.err"
st=$?
cat "$work/rec.err"
tr -d '\r' <"$work/serial.txt" | grep '^VMTGUEST' >"$work/guest.txt"
sed 's/^/guest: /' "$work/guest.txt"
[ "$st" = 0 ] || fail "vmtrace record --bpf -- qemu exited $st"
"$vmtrace" info --json "$work/t.db" >"$work/info.json" || fail "vmtrace info --json"

python3 - "$work" "$layout" "$top/tests/qemu" <<'PY'
import sys

work, layout = sys.argv[1], sys.argv[2]
sys.path.insert(0, sys.argv[3])
import guest_checks

r = guest_checks.Run(work)
check, q, info = r.check, r.q, r.info
guest_checks.guest_steps(r)
guest_checks.devices(r, layout)
guest_checks.requests(r)
guest_checks.nothing_lost(r, False)
check(info["source"] == "kvm-bpf", f"source {info['source']}")
check(info["complete"], "the trace was closed cleanly")
check(info["lost"] == 0, f"{info['lost']} events lost")
want_version = 2 if layout == "modern" else 1
types = sorted(d["type"] for d in info["devices"])
check(types == sorted(["block", "entropy", "network", "console"]), f"devices {types}")
for d in info["devices"]:
    check("DRIVER_OK" in d["status_reached"].split("|"), f"{d['name']}: reached DRIVER_OK ({d['status_reached']})")
    check(d["version"] == want_version, f"{d['name']}: Version {d['version']}")
    check(int(d["features_negotiated"], 16) != 0 or d["type"] == "entropy", f"{d['name']}: features {d['features_negotiated']}")
for kind in ("blk", "rng", "net-tx", "console-tx"):
    n = q("SELECT count(*) FROM requests WHERE kind = ? AND seq_used IS NOT NULL", kind)[0][0]
    check(n > 0, f"{n} completed {kind} requests decoded from the ring snapshots")
notifies = q("SELECT count(*) FROM events WHERE type = 'mmio' AND reg = 'QueueNotify'")[0][0]
check(notifies > 0, f"{notifies} QueueNotify writes (QEMU's ioeventfds take them in the kernel)")
sys.exit(1 if r.fails else 0)
PY
st=$?
[ $st = 0 ] || exit 1
echo "PASS"
