"""Set-ups the emulator cannot model (issue 13): `vmtrace replay` never
says "identical" and never exits 0 for them.

- packed virtqueues negotiated (VIRTIO_F_RING_PACKED, bit 34) though the
  device never offered them (packed rings themselves replay: packed.py),
  or a blk device with VIRTIO_BLK_F_MQ (bit 12) negotiated: exit 2 before
  anything is replayed, the message naming the device and the feature (in
  --json too, as {"error": ...}); the bit found through the accepted set
  when the decoder has no negotiated one;
- a device type without a model: listed as "not replayed" with the
  reason, the other devices replay, the result is "incomplete", exit 2
  with the reason on stderr; with a divergence among the others, exit 1;
- empty transports (DeviceID 0): one summary line, nothing left out,
  exit 0; --json keeps one entry per transport.

Each case is a copy of samples/emu-modern.db changed with sqlite3."""

import json

from replay_lib import check, copy, main, require_sample, sql, vm, corrupt_read

PACKED = 1 << 34
BLK_MQ = 1 << 12


def stops(vmtrace, db, label, mention):
    for args in ([], ["--json"], ["-q"]):
        r = vm(vmtrace, "replay", *args, db)
        check(r.rc == 2, f"{label} {args}: expected exit 2: {r.describe()}")
        check(mention in r.err and "cannot replay" in r.err, f"{label} {args}: stderr lacks {mention!r}: {r.err!r}")
        check("identical" not in r.out, f"{label} {args}: says identical: {r.out!r}")
        if args == ["--json"]:
            check(mention in json.loads(r.out)["error"], f"{label}: JSON error lacks the reason: {r.out!r}")


def add_empty(db, n, first_id=10, first_base=0x10000800):
    for k in range(n):
        base = first_base + k * 0x200
        sql(db, "INSERT INTO devices(device, base, name, device_id, type, version, events) "
            "VALUES (?, ?, ?, 0, NULL, 2, 0)", (first_id + k, base, "virtio-mmio@0x%x" % base))


def body(vmtrace, samples, tmp, args):
    modern = require_sample(samples, "emu-modern.db")

    db = copy(modern, tmp, "packed.db")
    sql(db, "UPDATE devices SET features_negotiated = features_negotiated | ? WHERE device = 3", (PACKED,))
    stops(vmtrace, db, "rng with RING_PACKED", "virtio-rng@0x10000600: negotiated VIRTIO_F_RING_PACKED (bit 34)")

    db = copy(modern, tmp, "packed-accepted.db")
    sql(db, "UPDATE devices SET features_negotiated = NULL, features_accepted = features_accepted | ? "
        "WHERE device = 1", (PACKED,))
    stops(vmtrace, db, "net with RING_PACKED accepted", "virtio-net@0x10000200: negotiated VIRTIO_F_RING_PACKED")

    db = copy(modern, tmp, "mq.db")
    sql(db, "UPDATE devices SET features_negotiated = features_negotiated | ? WHERE device = 0", (BLK_MQ,))
    stops(vmtrace, db, "blk with MQ", "virtio-blk@0x10000000: negotiated VIRTIO_BLK_F_MQ (bit 12)")

    # Bit 12 on another type is that type's own feature, not multiqueue.
    db = copy(modern, tmp, "bit12-net.db")
    sql(db, "UPDATE devices SET features_negotiated = features_negotiated | ? WHERE device = 1", (BLK_MQ,))
    r = vm(vmtrace, "replay", "-q", db)
    check(r.rc != 2 or "MQ" not in r.err, f"bit 12 of a net device read as blk MQ: {r.describe()}")

    db = copy(modern, tmp, "scsi.db")
    sql(db, "INSERT INTO devices(device, base, name, device_id, type, version, events) "
        "VALUES (20, 268443648, 'virtio-scsi@0x10002000', 8, 'scsi', 2, 0)")
    r = vm(vmtrace, "replay", db)
    check(r.rc == 2, f"scsi left out: expected exit 2: {r.describe()}")
    check("virtio-scsi@0x10002000     not replayed: the emulator has no SCSI host device model (DeviceID 8)" in r.out,
          f"scsi left out: no 'not replayed' line: {r.out!r}")
    check("[ vmtrace replay: INCOMPLETE; 767 of 767 events replayed, 0 divergences, 1 device not replayed" in r.out,
          f"scsi left out: summary: {r.out!r}")
    check("cannot replay virtio-scsi@0x10002000: the emulator has no SCSI host device model" in r.err,
          f"scsi left out: stderr: {r.err!r}")
    r = vm(vmtrace, "replay", "--json", db)
    j = json.loads(r.out)
    check(r.rc == 2 and j["result"] == "incomplete" and j["not_replayed"] == 1,
          f"scsi left out (--json): {r.describe()}")
    r = vm(vmtrace, "replay", "-q", db)
    check(r.rc == 2 and r.out.startswith(db + ": incomplete, 0 divergences, 1 device not replayed"),
          f"scsi left out (-q): {r.describe()}")

    # A divergence among the replayed devices is the finding: exit 1.
    corrupt_read(db, 2)
    r = vm(vmtrace, "replay", "-q", db)
    check(r.rc == 1 and "diverged" in r.out and "1 device not replayed" in r.out,
          f"scsi left out, a read corrupted: {r.describe()}")
    check("virtio-scsi@0x10002000 was not replayed" in r.err, f"scsi left out, diverged: stderr: {r.err!r}")

    db = copy(modern, tmp, "empty.db")
    add_empty(db, 28)
    r = vm(vmtrace, "replay", db)
    check(r.rc == 0, f"28 empty transports: expected exit 0: {r.describe()}")
    check("  28 empty virtio-mmio transports (DeviceID 0) between 0x10000800 and 0x10003e00: nothing to replay\n" in r.out,
          f"28 empty transports: no summary line: {r.out!r}")
    check("virtio-mmio@" not in r.out, f"28 empty transports: listed one by one: {r.out!r}")
    check("identical" in r.out, f"28 empty transports: {r.out!r}")
    j = json.loads(vm(vmtrace, "replay", "--json", db).out)
    empties = [d for d in j["devices"] if d["model"] is None]
    check(len(empties) == 28 and all(d["not_replayed"].startswith("empty transport") for d in empties)
          and j["not_replayed"] == 0 and j["result"] == "identical", f"28 empty transports (--json): {j['devices']}")


if __name__ == "__main__":
    main(body)
