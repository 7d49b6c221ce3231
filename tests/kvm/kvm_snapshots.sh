#!/usr/bin/env bash
# Ring snapshots taken in BPF are exact: `vmtrace record --bpf -- kvmhost
# --truth T` in a layout (and with --ioeventfd).  kvmhost's truth carries
# the copies its own emulator makes at the same points (at a QueueNotify:
# descriptor table, the new chains' driver buffers, available ring; at an
# InterruptStatus read whose queue moved: the device-written bytes of the
# used chains, used ring).  Checks: the BPF trace's memory events are,
# one for one and in order, the truth's snapshot events (same address,
# length and bytes); every one is flagged a snapshot and none best-effort
# or truncated; the trace says so in its metadata.  With --ioeventfd,
# the QueueNotify writes in the BPF trace are as many as the eventfds
# counted (none of them exited to kvmhost).
#
#   kvm_snapshots.sh VMTRACE KVMHOST modern|legacy [--ioeventfd]
set -uo pipefail
here=$(dirname "$0")
. "$here/lib.sh"

vmtrace=$(realpath "$1") kvmhost=$(realpath "$2") layout=$3
shift 3
need_kvm
need_bpf "$vmtrace"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
args=()
[ "$layout" = legacy ] && args+=(--legacy)

"$vmtrace" record --bpf -q -o "$work/bpf.vmt" -- "$kvmhost" "${args[@]}" "$@" --truth "$work/truth.vmt" \
	2>"$work/rec.err"
st=$?
cat "$work/rec.err"
host_skip_if_77 "$st" "$work/rec.err"
[ "$st" = 0 ] || fail "vmtrace record --bpf -- kvmhost exited $st"
# With --ioeventfd the kernel's own count of QueueNotify writes is the sum
# of the eventfd counters kvmhost read ("S signals"): BPF must have seen
# exactly that many (and kvmhost none of them as an exit).
if [ "${1:-}" = --ioeventfd ]; then
	signals=$(sed -n 's/.*QueueNotify via ioeventfd (\([0-9]*\) signals).*/\1/p' "$work/rec.err")
	notifies=$("$vmtrace" dump "$work/bpf.vmt" | grep -c ' W QueueNotify ')
	echo "ioeventfd: $signals eventfd signals, $notifies QueueNotify writes in the BPF trace"
	[ -n "$signals" ] && [ "$signals" -gt 0 ] || fail "kvmhost reports no ioeventfd signals"
	[ "$notifies" = "$signals" ] || fail "the BPF trace has $notifies QueueNotify writes, the eventfds $signals"
fi
"$vmtrace" dump --header "$work/bpf.vmt" | grep -q '^# ring-snapshots: exact' ||
	fail "the trace's metadata does not call its snapshots exact"
"$vmtrace" dump --hex "$work/truth.vmt" >"$work/truth.txt" || fail "vmtrace dump of the truth"
"$vmtrace" dump --hex "$work/bpf.vmt" >"$work/bpf.txt" || fail "vmtrace dump of the BPF trace"

python3 - "$work/truth.txt" "$work/bpf.txt" <<'PY'
import re, sys

def mems(path):
    """Memory events of a `vmtrace dump --hex` listing: [gpa, len, flags, bytes]."""
    res, cur = [], None
    for line in open(path):
        m = re.match(r"\s*\d+\s+\S+us\s+\S+\s+\S+\s+\S+\s+mem (0x[0-9a-f]+) len (\d+) (\S+)", line)
        if m:
            cur = [m.group(1), int(m.group(2)), m.group(3).rstrip(":"), ""]
            res.append(cur)
        elif re.match(r"\s*\d+\s+\S+us", line):
            cur = None
        elif cur is not None:
            cur[3] += " ".join(line.split()[1:]) + " "
    return res

truth = [m for m in mems(sys.argv[1]) if m[2].split(",")[0] == "snapshot"]
got = mems(sys.argv[2])
fails = 0
if not truth:
    print("FAIL: the truth holds no snapshot events")
    sys.exit(1)
print(f"truth: {len(truth)} snapshot events; BPF trace: {len(got)} memory events")
if any(not m[3] for m in truth + got):
    print("FAIL: memory events without bytes in the listing (vmtrace dump --hex format changed?)")
    sys.exit(1)
flags = sorted({m[2] for m in got})
if flags != ["snapshot"]:
    print(f"FAIL: memory events flagged {flags}, want only 'snapshot' (exact, whole)")
    fails += 1
for i, (t, g) in enumerate(zip(truth, got)):
    if (t[0], t[1], t[3]) != (g[0], g[1], g[3]):
        print(f"FAIL: memory event {i}: truth {t[0]} len {t[1]}, BPF {g[0]} len {g[1]}"
              + (" (bytes differ)" if (t[0], t[1]) == (g[0], g[1]) else ""))
        fails += 1
        break
if len(truth) != len(got):
    print(f"FAIL: {len(truth)} snapshot events in the truth, {len(got)} in the BPF trace")
    fails += 1
sys.exit(1 if fails else 0)
PY
[ $? = 0 ] || exit 1
echo "PASS"
