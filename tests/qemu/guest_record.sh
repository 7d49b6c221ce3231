#!/usr/bin/env bash
# Record a real Linux guest booting under QEMU (TCG) with
# `vmtrace record -- qemu-system-x86_64 ...`, then hold the decoded trace
# against what the guest itself reports on its serial console
# (guest-init.sh) and what QEMU itself logged for the same boot.
#
#   guest_record.sh VMTRACE SOURCE_ROOT KIT_DIR legacy|modern
set -uo pipefail

vmtrace=$(realpath "$1") top=$2 kit=$3 layout=$4
here="$top/tests/qemu"
real_qemu=$(command -v qemu-system-x86_64) || { echo "SKIP: qemu-system-x86_64 is not installed"; exit 77; }
command -v sqlite3 >/dev/null || { echo "FAIL: sqlite3 is needed"; exit 1; }
mkdir -p "$kit"
# Both layouts' tests may start at once: one builds the kit, the other waits.
if ! flock "$kit/.lock" "$top/scripts/guest-kit.sh" "$kit" >kit.log 2>&1; then
	echo "FAIL: cannot build the guest kit in $kit:"
	cat kit.log
	exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir "$work/bin"
cp "$here/tee-qemu.sh" "$work/bin/qemu-system-x86_64"
mapfile -t cmd < <("$here/guest-cmd.sh" --argv "$kit" "$work/guest" "$layout")
echo "recording: vmtrace record -o $work/t.db -- ${cmd[*]}"
PATH="$work/bin:$PATH" REAL_QEMU=$real_qemu TRACE_COPY="$work/qemu-trace.txt" \
	timeout -k 10 600 "$vmtrace" record -o "$work/t.db" -- "${cmd[@]}" </dev/null >"$work/serial.txt" 2>"$work/vmtrace.err"
st=$?
cat "$work/vmtrace.err"
tr -d '\r' <"$work/serial.txt" | grep '^VMTGUEST' >"$work/guest.txt"
sed 's/^/guest: /' "$work/guest.txt"
if [ $st != 0 ]; then
	echo "FAIL: vmtrace record exited $st"
	exit 1
fi
"$vmtrace" info --json "$work/t.db" >"$work/info.json" || { echo "FAIL: vmtrace info --json"; exit 1; }

python3 - "$work" "$layout" <<'PY'
import json, re, sqlite3, sys

work, layout = sys.argv[1], sys.argv[2]
fails = []
def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        fails.append(what)

guest = open(f"{work}/guest.txt").read().splitlines()
info = json.load(open(f"{work}/info.json"))
db = sqlite3.connect(f"{work}/t.db")
q = lambda sql, *a: db.execute(sql, a).fetchall()

check("VMTGUEST done" in guest, "the guest ran its workload to the end")
for step in ("blk write", "blk read", "rng", "net", "console"):
    line = next((l for l in guest if l.startswith("VMTGUEST " + step)), "")
    check(line.endswith(" ok"), f"the guest's own {step} step succeeded ({line[9:]})")

# Devices: each one the guest bound reaches DRIVER_OK, with the features the
# guest says it negotiated.
want_version = 1 if layout == "legacy" else 2
by_base = {d["base"]: d for d in info["devices"]}
guest_devs = [dict(kv.split("=", 1) for kv in l.split()[3:]) for l in guest if l.startswith("VMTGUEST dev ")]
check(len(guest_devs) == 4, f"the guest saw 4 virtio devices ({len(guest_devs)})")
check(len(info["devices"]) == len(guest_devs), f"vmtrace found {len(info['devices'])} devices")
for g in guest_devs:
    base = "0x%x" % int(g["base"], 16)
    d = by_base.get(base)
    check(d is not None, f"device at {base} ({g['driver']}) is in the trace")
    if not d:
        continue
    check(d["device_id"] == int(g["device"], 16), f"{d['name']}: device id {d['device_id']} = guest's {g['device']}")
    check(d["version"] == want_version, f"{d['name']}: Version {d['version']} ({layout})")
    bits = g["features"]
    guest_features = sum(1 << i for i, c in enumerate(bits) if c == "1")
    check(int(d["features_negotiated"], 16) == guest_features,
          f"{d['name']}: negotiated {d['features_negotiated']} = guest's 0x{guest_features:x}")
    reached = q("SELECT coalesce(max(new & 4), 0) FROM status_changes s JOIN devices v USING (device) WHERE v.base = ?",
                int(base, 16))[0][0]
    check(reached == 4, f"{d['name']}: reached DRIVER_OK")

# blk: the guest's pattern, written at sector 2048, as a decoded request.
pattern = b"".join(b"vmtrace blk line %02d 0123456789abcdefghijklmnopqrstuvwxyzABCDEFG\n" % k for k in range(64))
h = 0xcbf29ce484222325
for b in pattern:
    h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
rows = q("SELECT digest, status FROM requests WHERE kind = 'blk' AND op = 'out' AND sector = 2048 AND length = 4096")
check(any(r[0] == "%016x" % h for r in rows), f"blk write of the pattern to sector 2048, digest {h:016x} ({rows})")
rows = q("SELECT digest FROM requests WHERE kind = 'blk' AND op = 'in' AND sector = 2048 AND seq_used IS NOT NULL")
check(any(r[0] == "%016x" % h for r in rows), f"blk read back of sector 2048 carries the same data ({rows})")

# rng, net, console requests.
n = q("SELECT count(*) FROM requests WHERE kind = 'rng' AND seq_used IS NOT NULL AND length > 0")[0][0]
check(n >= 1, f"{n} rng requests answered")
tx = q("SELECT count(*) FROM requests r JOIN net_frames f USING (request) WHERE r.kind = 'net-tx' AND f.ethertype = 2048")[0][0]
rx = q("SELECT count(*) FROM requests r JOIN net_frames f USING (request) WHERE r.kind = 'net-rx' AND f.ethertype = 2048 AND r.seq_used IS NOT NULL")[0][0]
check(tx >= 3 and rx >= 3, f"IPv4 frames: {tx} sent, {rx} received (the guest pinged 3 times)")
# The console driver frees its buffer as soon as QEMU has taken it, often
# before vmtrace's snapshot: the request must be there, its bytes are
# best-effort (reported, not required).
line = b"vmtrace console line\n"
rows = q("SELECT length, data FROM requests WHERE kind = 'console-tx' AND seq_used IS NOT NULL")
check(any(r[0] == len(line) for r in rows), f"console write of {len(line)} bytes decoded ({[r[0] for r in rows]})")
print("info: console bytes captured intact:", any(r[1] is not None and bytes(r[1]) == line for r in rows))

# Nothing lost: every virtio-mmio access QEMU logged is an event in the trace.
logged = sum(1 for l in open(f"{work}/qemu-trace.txt", errors="replace") if l.rstrip().endswith("name 'virtio-mmio'"))
recorded = q("SELECT count(*) FROM events WHERE type = 'mmio'")[0][0]
check(logged == recorded and logged > 0, f"QEMU logged {logged} virtio-mmio accesses, vmtrace recorded {recorded}")
check(info["lost"] == 0, f"{info['lost']} events lost")
check(info["violations"] == 0, f"{info['violations']} violations (Linux's drivers follow the spec)")
if info["violations"]:
    for r in q("SELECT seq, rule, message FROM violations LIMIT 10"):
        print("   ", r)
sys.exit(1 if fails else 0)
PY
