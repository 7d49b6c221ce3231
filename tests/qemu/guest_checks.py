"""Checks of a recorded test-guest boot against the guest's own report
(guest-init.sh), shared by the QEMU-trace and BPF recordings.

    python3 guest_checks.py WORK LAYOUT [--qemu-log]

WORK holds guest.txt (the VMTGUEST lines), info.json (vmtrace info --json)
and t.db.  With --qemu-log, WORK/qemu-trace.txt is QEMU's trace output (as vmtrace read it: record --qemu-log)
for the same boot: the MMIO event count must equal its virtio-mmio lines,
and every blk read and write QEMU's virtio-blk logged must be decoded with
the same sector and length.  A guest that ran the heavy-I/O step
(guest-cmd.sh --heavy) must have finished it, with every read it counted
decoded.
Exit status 1 if any check failed."""
import collections
import json
import re
import sqlite3
import sys

PATTERN = b"".join(b"vmtrace blk line %02d 0123456789abcdefghijklmnopqrstuvwxyzABCDEFG\n" % k for k in range(64))
CONSOLE_LINE = b"vmtrace console line\n"



def torn_chains(r, device_id, queue):
    """Chains of the device type's queue whose copy was found torn (flagged
    by the decoder, no request made from them)."""
    return r.q("SELECT count(*) FROM chains c JOIN devices d ON c.device = d.device "
               "WHERE d.device_id = ? AND c.queue = ? AND c.memory = 'torn'", device_id, queue)[0][0]

def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h


class Run:
    def __init__(self, work):
        self.work = work
        self.fails = []
        self.guest = open(f"{work}/guest.txt").read().splitlines()
        self.info = json.load(open(f"{work}/info.json"))
        self.db = sqlite3.connect(f"{work}/t.db")

    def q(self, sql, *args):
        return self.db.execute(sql, args).fetchall()

    def check(self, cond, what):
        print(("ok: " if cond else "FAIL: ") + what)
        if not cond:
            self.fails.append(what)


def guest_steps(r):
    r.check("VMTGUEST done" in r.guest, "the guest ran its workload to the end")
    for step in ("blk write", "blk read", "rng", "net", "console"):
        line = next((l for l in r.guest if l.startswith("VMTGUEST " + step)), "")
        r.check(line.endswith(" ok"), f"the guest's own {step} step succeeded ({line[9:]})")


def devices(r, layout):
    """Each device the guest bound reaches DRIVER_OK, with the features the
    guest says it negotiated."""
    want_version = 1 if layout == "legacy" else 2
    by_base = {d["base"]: d for d in r.info["devices"]}
    guest_devs = [dict(kv.split("=", 1) for kv in l.split()[3:]) for l in r.guest if l.startswith("VMTGUEST dev ")]
    r.check(len(guest_devs) == 4, f"the guest saw 4 virtio devices ({len(guest_devs)})")
    # arm virt has 32 transports: the empty ones (DeviceID 0) are in the
    # trace too, since the guest probed them.
    found = [d for d in r.info["devices"] if d["device_id"] != 0]
    empty = len(r.info["devices"]) - len(found)
    r.check(len(found) == len(guest_devs), f"vmtrace found {len(found)} devices (and {empty} empty transports)")
    for g in guest_devs:
        base = "0x%x" % int(g["base"], 16)
        d = by_base.get(base)
        r.check(d is not None, f"device at {base} ({g['driver']}) is in the trace")
        if not d:
            continue
        r.check(d["device_id"] == int(g["device"], 16), f"{d['name']}: device id {d['device_id']} = guest's {g['device']}")
        r.check(d["version"] == want_version, f"{d['name']}: Version {d['version']} ({layout})")
        guest_features = sum(1 << i for i, c in enumerate(g["features"]) if c == "1")
        r.check(int(d["features_negotiated"], 16) == guest_features,
                f"{d['name']}: negotiated {d['features_negotiated']} = guest's 0x{guest_features:x}")
        r.check("DRIVER_OK" in d["status_reached"].split("|"), f"{d['name']}: reached DRIVER_OK ({d['status_reached']})")


def requests(r):
    digest = fnv1a64(PATTERN)
    rows = r.q("SELECT digest, status FROM requests WHERE kind = 'blk' AND op = 'out' AND sector = 2048 AND length = 4096")
    r.check(len(rows) >= 1, f"blk write to sector 2048 of 4096 bytes decoded ({len(rows)})")
    found = any(x[0] == digest for x in rows)
    # The request is there even when its ring copy was torn (decoded from
    # the device's own report then, without data); its data is required
    # unless that copy was found torn.
    torn = r.q("SELECT count(*) FROM chains c JOIN devices d USING (device) WHERE d.device_id = 2 "
               "AND c.memory = 'torn'")[0][0]
    if rows and not found and torn:
        print(f"info: the pattern write's data was not captured: {torn} blk ring cop"
              f"{'y' if torn == 1 else 'ies'} found torn against the device's reports ({rows})")
    else:
        r.check(found, f"blk write of the pattern to sector 2048, digest {digest} ({rows})")
    # What the device wrote is copied when the driver reads InterruptStatus;
    # by then the guest may have reused the buffer (seen once in ~20 boots):
    # the completed read must be there, its data is reported.
    rows = r.q("SELECT digest FROM requests WHERE kind = 'blk' AND op = 'in' AND sector = 2048 AND seq_used IS NOT NULL")
    r.check(len(rows) >= 1, f"blk read back of sector 2048 decoded and completed ({len(rows)})")
    print("info: read-back data captured intact:", any(x[0] == digest for x in rows), rows)
    n, got = r.q("SELECT count(*), coalesce(sum(length), 0) FROM requests "
                 "WHERE kind = 'rng' AND seq_used IS NOT NULL AND length > 0")[0]
    r.check(n >= 1, f"{n} rng requests answered")
    # The guest read 1024 bytes through /dev/hwrng: every request that
    # carried them decoded with its answer.
    rng = next((l for l in r.guest if l.startswith("VMTGUEST rng ")), "")
    want = int(re.search(r"read=(\d+)", rng).group(1)) if "read=" in rng else 0
    # A request whose copy was found torn is not decoded (flagged instead):
    # the device's fill reports still say how many bytes it answered.
    torn_n, torn_bytes = r.q("SELECT count(*), coalesce(sum(s.len), 0) FROM device_steps s "
                             "JOIN chains c ON s.chain = c.chain JOIN devices d ON c.device = d.device "
                             "WHERE d.device_id = 4 AND c.memory = 'torn' AND s.step = 'fill'")[0]
    if torn_n:
        print(f"info: rng: {torn_n} torn copies answered {torn_bytes} bytes (flagged, not decoded)")
    r.check(got + torn_bytes >= want,
            f"rng: {got} bytes answered in decoded requests (+{torn_bytes} in torn copies), the guest read {want}")
    tx = r.q("SELECT count(*) FROM requests q JOIN net_frames f USING (request) "
             "WHERE q.kind = 'net-tx' AND f.ethertype = 2048")[0][0]
    rx = r.q("SELECT count(*) FROM requests q JOIN net_frames f USING (request) "
             "WHERE q.kind = 'net-rx' AND f.ethertype = 2048 AND q.seq_used IS NOT NULL")[0][0]
    # A frame whose copy was found torn is flagged, not decoded.
    torn_tx, torn_rx = torn_chains(r, 1, 1), torn_chains(r, 1, 0)
    excuse = f" (excused: {torn_tx} tx and {torn_rx} rx copies torn)" if torn_tx or torn_rx else ""
    r.check(tx + torn_tx >= 3 and rx + torn_rx >= 3,
            f"IPv4 frames: {tx} sent, {rx} received (the guest pinged 3 times){excuse}")
    # The console driver frees its buffer as soon as the device has taken
    # it, often before a best-effort snapshot: the request must be there,
    # its bytes are reported, not required.
    rows = r.q("SELECT length, data FROM requests WHERE kind = 'console-tx' AND seq_used IS NOT NULL")
    torn_con = torn_chains(r, 3, 1)
    if torn_con and not any(x[0] == len(CONSOLE_LINE) for x in rows):
        print(f"info: console write not decoded: {torn_con} transmitq copies found torn ({[x[0] for x in rows]})")
    else:
        r.check(any(x[0] == len(CONSOLE_LINE) for x in rows),
                f"console write of {len(CONSOLE_LINE)} bytes decoded ({[x[0] for x in rows]})")
    print("info: console bytes captured intact:", any(x[1] is not None and bytes(x[1]) == CONSOLE_LINE for x in rows))


def nothing_lost(r, qemu_log):
    if qemu_log:
        # Every virtio-mmio access QEMU logged is an event in the trace.
        logged = sum(1 for l in open(f"{r.work}/qemu-trace.txt", errors="replace")
                     if l.rstrip().endswith("name 'virtio-mmio'"))
        recorded = r.q("SELECT count(*) FROM events WHERE type = 'mmio'")[0][0]
        r.check(logged == recorded and logged > 0, f"QEMU logged {logged} virtio-mmio accesses, vmtrace recorded {recorded}")
    r.check(r.info["lost"] == 0, f"{r.info['lost']} events lost")
    r.check(r.info["violations"] == 0, f"{r.info['violations']} violations (Linux's drivers follow the spec)")
    for v in r.q("SELECT seq, rule, message FROM violations LIMIT 10"):
        print("   ", v)


def blk_as_qemu_saw_it(r):
    """Every read and write QEMU's virtio-blk handled (its own trace) is a
    decoded blk request with the same direction, sector and length."""
    logged = collections.Counter()
    for line in open(f"{r.work}/qemu-trace.txt", errors="replace"):
        m = re.search(r"virtio_blk_handle_(read|write) vdev \S+ req \S+ sector (\d+) nsectors (\d+)", line)
        if m:
            logged[("in" if m[1] == "read" else "out", int(m[2]), int(m[3]) * 512)] += 1
    decoded = collections.Counter(r.q("SELECT op, sector, length FROM requests WHERE kind = 'blk' AND op IN ('in', 'out')"))
    missing, extra = logged - decoded, decoded - logged
    r.check(sum(logged.values()) > 0 and not missing and not extra,
            f"QEMU's virtio-blk handled {sum(logged.values())} reads and writes, vmtrace decoded "
            f"{sum(decoded.values())}: {sum(missing.values())} missing {list(missing)[:3]}, "
            f"{sum(extra.values())} not in QEMU's log {list(extra)[:3]}")
    chains, torn = r.q("SELECT count(*), coalesce(sum(memory = 'torn'), 0) FROM chains c JOIN devices d USING (device) "
                       "WHERE d.device_id = 2")[0]
    reported = r.q("SELECT count(*) FROM requests q JOIN devices d USING (device) WHERE d.device_id = 2 "
                   "AND q.kind = 'blk' AND q.digest IS NULL AND q.op IN ('in', 'out')")[0][0]
    print(f"info: blk ring copies: {chains} chains, {torn} torn; {reported} reads and writes without a "
          f"digest of their data (not copied whole: over the copy budget, or torn)")


def heavy(r):
    line = next((l for l in r.guest if l.startswith("VMTGUEST heavy ")), None)
    if line is None:
        return
    kv = dict(w.split("=", 1) for w in line.split()[2:] if "=" in w)
    r.check(all(kv.get(k) == "ok" for k in ("direct-write", "write", "read")), f"the guest's heavy I/O ran ({line[9:]})")
    ins = r.q("SELECT count(*) FROM requests WHERE kind = 'blk' AND op = 'in'")[0][0]
    outs = r.q("SELECT count(*) FROM requests WHERE kind = 'blk' AND op = 'out'")[0][0]
    flushes = r.q("SELECT count(*) FROM requests WHERE kind = 'blk' AND op = 'flush'")[0][0]
    r.check(ins == int(kv.get("reads", -1)), f"blk reads: the guest's block layer counted {kv.get('reads')}, vmtrace decoded {ins}")
    # The step's fsync flushes through blkdev_issue_flush: an empty write
    # with REQ_PREFLUSH, which the block layer counts as a write I/O *and*
    # a flush I/O, and which reaches the device as VIRTIO_BLK_T_FLUSH only.
    gw, gf = int(kv.get("writes", -1)), int(kv.get("flushes", -1))
    r.check(outs == gw - gf and flushes == gf,
            f"blk writes: the guest's block layer counted {gw} writes of which {gf} empty flush writes, "
            f"vmtrace decoded {outs} writes and {flushes} flushes")


def rebind(r):
    """A driver unbound and bound again (guest-cmd.sh --rebind): the device
    was reset and set up anew (a second queue 0 generation, DRIVER_OK
    twice), and the request made after it decoded (blk: a second read of
    the pattern's sector; rng: a request completed after the new set-up)."""
    for drv, dev_id, kind in (("virtio_blk", 2, "blk"), ("virtio_rng", 4, "rng")):
        line = next((l for l in r.guest if l.startswith(f"VMTGUEST rebind {drv} ")), None)
        if line is None:
            continue
        kv = dict(w.split("=", 1) for w in line.split()[3:] if "=" in w)
        r.check(all(kv.get(k) == "ok" for k in ("unbind", "bind", "after")), f"the guest's rebind of {drv} ({line[9:]})")
        dev = r.q("SELECT device FROM devices WHERE device_id = ?", dev_id)
        if not dev:
            r.check(False, f"a {kind} device in the trace")
            continue
        dev = dev[0][0]
        oks = r.q("SELECT seq FROM status_changes WHERE device = ? AND (new & 4) != 0 AND (old & 4) = 0 ORDER BY seq", dev)
        resets = r.q("SELECT count(*) FROM status_changes WHERE device = ? AND kind = 'reset'", dev)[0][0]
        gens = r.q("SELECT count(*) FROM queues WHERE device = ? AND queue = 0 AND seq_ready IS NOT NULL", dev)[0][0]
        r.check(len(oks) >= 2 and resets >= 1 and gens >= 2,
                f"{kind}: set up again after the rebind (DRIVER_OK {len(oks)} times, {resets} resets, {gens} queue 0 generations)")
        if len(oks) < 2:
            continue
        if kind == "blk":
            after = r.q("SELECT count(*) FROM requests WHERE device = ? AND op = 'in' AND sector = ? AND length = ? "
                        "AND seq_notify > ?", dev, 2048, 4096, oks[-1][0])[0][0]
        else:
            after = r.q("SELECT count(*) FROM requests WHERE device = ? AND seq_used IS NOT NULL AND seq_notify > ?",
                        dev, oks[-1][0])[0][0]
        r.check(after >= 1, f"{kind}: {after} request(s) decoded after the new set-up")


def main(argv):
    work, layout = argv[1], argv[2]
    r = Run(work)
    guest_steps(r)
    devices(r, layout)
    requests(r)
    heavy(r)
    rebind(r)
    nothing_lost(r, "--qemu-log" in argv[3:])
    if "--qemu-log" in argv[3:]:
        blk_as_qemu_saw_it(r)
    return 1 if r.fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
