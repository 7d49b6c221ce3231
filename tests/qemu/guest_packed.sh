#!/usr/bin/env bash
# A modern x86 guest whose virtio-blk, virtio-rng and virtio-net devices
# offer packed virtqueues (QEMU's packed=on), recorded with
# `vmtrace record --qemu-log`, then held to what the guest and QEMU did:
#   - the Linux driver negotiated VIRTIO_F_RING_PACKED on each of them;
#   - no violations (no false ring-areas-overlap from split-ring sizes);
#   - chains decoded on every packed device, used entries matched to them;
#   - every blk read and write QEMU handled (its own virtio_blk_handle_*
#     lines) decoded with the same sector, as many as QEMU's;
#   - rng requests answered (a used entry with a length);
#   - `vmtrace replay` (QEMU's known differences declared) replays the
#     packed rings to the end: exit 0, no divergence; a device whose ring
#     copy the decoder found torn replays registers only from there
#     (unverified), held by replay_torn.py to an anomaly the trace has.
#
#   [GUEST_HEAVY=MB] guest_packed.sh VMTRACE SOURCE_ROOT KIT_DIR
#
# Skips (77) when qemu-system-x86_64 is absent.
set -uo pipefail

vmtrace=$(realpath "$1") top=$2 kit=$3
here="$top/tests/qemu"
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: qemu-system-x86_64 is not installed"; exit 77; }
command -v sqlite3 >/dev/null || { echo "FAIL: sqlite3 is needed"; exit 1; }
mkdir -p "$kit"
if ! flock "$kit/.lock" "$top/scripts/guest-kit.sh" "$kit" >kit.log 2>&1; then
	echo "FAIL: cannot build the guest kit in $kit:"
	cat kit.log
	exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# GUEST_HEAVY=MB: the guest also moves MB MiB through its disk (many laps
# of the blk ring, many requests in flight).
heavy_args=()
[ -n "${GUEST_HEAVY:-}" ] && heavy_args=(--heavy "$GUEST_HEAVY")
mapfile -t cmd < <("$here/guest-cmd.sh" --argv "${heavy_args[@]}" "$kit" "$work/guest" modern)
for i in "${!cmd[@]}"; do
	case ${cmd[$i]} in
	virtio-blk-device,* | virtio-rng-device | virtio-rng-device,* | virtio-net-device,*)
		cmd[$i]="${cmd[$i]},packed=on" ;;
	esac
done
echo "recording: vmtrace record --qemu-log $work/qemu-trace.txt -o $work/t.db -- ${cmd[*]}"
start=$SECONDS
timeout -k 10 600 "$vmtrace" record --qemu-log "$work/qemu-trace.txt" -o "$work/t.db" -- "${cmd[@]}" \
	</dev/null >"$work/serial.txt" 2>"$work/vmtrace.err"
st=$?
echo "boot and record: $((SECONDS - start)) s"
cat "$work/vmtrace.err"
tr -d '\r' <"$work/serial.txt" | grep '^VMTGUEST' | sed 's/^/guest: /'
[ $st = 0 ] || { echo "FAIL: vmtrace record exited $st"; exit 1; }

expect=("-X" "$top/samples/qemu-linux-modern.expect")
"$vmtrace" replay "${expect[@]}" "$work/t.db" >"$work/replay.txt" 2>&1
rst=$?
echo "replay exit $rst: $(tail -1 "$work/replay.txt")"
if [ $rst = 0 ]; then
	"$vmtrace" replay --json "${expect[@]}" "$work/t.db" >"$work/replay.json" 2>&1 || rst=1
	python3 "$here/replay_torn.py" "$work/t.db" "$work/replay.json" || rst=1
fi
[ $rst = 0 ] || sed -n '/first divergence/,/^$/p' "$work/replay.txt" | head -30
if [ "${GUEST_PACKED_KEEP:-}" ]; then
	cp "$work/t.db" "$work/qemu-trace.txt" "$GUEST_PACKED_KEEP/" && echo "kept in $GUEST_PACKED_KEEP"
fi
python3 - "$work" "$rst" <<'EOF'
import re, sqlite3, sys
work, rst = sys.argv[1], int(sys.argv[2])
db = sqlite3.connect(f"{work}/t.db")
fails = []
def q(sql, *a):
    return db.execute(sql, a).fetchall()
PACKED = 1 << 34
devs = {name: (dev, neg or 0) for dev, name, neg in q("SELECT device, type, features_negotiated FROM devices")}
for t in ("block", "entropy", "network"):
    if t not in devs:
        fails.append(f"no {t} device")
        continue
    dev, neg = devs[t]
    chains = q("SELECT count(*) FROM chains WHERE device = ?", dev)[0][0]
    used = q("SELECT count(*) FROM used WHERE device = ? AND chain IS NOT NULL", dev)[0][0]
    reqs = q("SELECT count(*) FROM requests WHERE device = ?", dev)[0][0]
    print(f"{t}: RING_PACKED {'negotiated' if neg & PACKED else 'NOT negotiated'}, {chains} chains, {used} used entries matched, {reqs} requests")
    if not neg & PACKED:
        fails.append(f"{t}: RING_PACKED not negotiated")
    if chains == 0 or used == 0:
        fails.append(f"{t}: no chains or used entries decoded")
viol = q("SELECT rule, message FROM violations")
for rule, msg in viol[:10]:
    print(f"violation: {rule}: {msg}")
if viol:
    fails.append(f"{len(viol)} violations")
anom = q("SELECT rule, count(*) FROM anomalies GROUP BY rule")
print("anomalies:", dict(anom))
# blk: QEMU's own handle_read/_write lines against the decoded requests.
qemu = []
for line in open(f"{work}/qemu-trace.txt", errors="replace"):
    m = re.search(r"virtio_blk_handle_(read|write) vdev \S+ req \S+ sector (\d+) nsectors (\d+)", line)
    if m:
        qemu.append(("in" if m[1] == "read" else "out", int(m[2])))
if "block" in devs:
    dec = q("SELECT op, sector FROM requests WHERE device = ? AND op IN ('in', 'out')", devs["block"][0])
    print(f"blk: QEMU handled {len(qemu)} reads/writes, {len(dec)} decoded")
    if len(qemu) == 0 or sorted(qemu) != sorted(dec):
        miss = set(qemu) - set(dec)
        fails.append(f"blk: decoded reads/writes differ from QEMU's ({len(dec)} vs {len(qemu)}; e.g. missing {sorted(miss)[:5]})")
if "entropy" in devs:
    rng = q("SELECT count(*), count(seq_used) FROM requests WHERE device = ?", devs["entropy"][0])[0]
    print(f"rng: {rng[0]} requests, {rng[1]} answered")
    if rng[1] == 0:
        fails.append("rng: no request answered")
if rst != 0:
    fails.append(f"replay exited {rst} (or replay_torn.py found a device unverified without its anomaly)")
for f in fails:
    print("FAIL:", f)
sys.exit(1 if fails else 0)
EOF
