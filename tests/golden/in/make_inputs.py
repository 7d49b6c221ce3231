"""Make the crafted inputs of golden cases (issue 13) in tests/golden/in/.

virt-2cpu.db: what an arm `virt`-like machine with two vCPUs looks like:

- samples/emu-small.vmt decoded (blk and rng, 162 events), with the rng
  device's events on vCPU 1 and the blk device's on vCPU 0 (show prints a
  cpuN column when there is more than one vCPU);
- 28 empty virtio-mmio transports (DeviceID 0) after them, at 0x10000400
  up to 0x10003a00, each probed the way Linux probes one (MagicValue,
  Version, DeviceID read 0), appended after the last event (info and
  replay sum them up in one line).

packed-rng.db: samples/emu-small.vmt decoded, its rng device marked as
having negotiated VIRTIO_F_RING_PACKED, which it never offered (replay
stops with exit 2).

scsi-left-out.db: samples/emu-small.vmt decoded plus a virtio-scsi device
at 0x10000400 that was probed (MagicValue, Version, DeviceID 8): replay
leaves it out, the result is "incomplete", exit 2.

The files are crafted, not recorded: the emulator has no empty slots and one
vCPU.  1 KiB pages keep it small.

    python3 tests/golden/in/make_inputs.py BUILD/cli/vmtrace
"""

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..")
OUT = os.path.join(HERE, "virt-2cpu.db")
PACKED = 1 << 34
EMPTY = 28
FIRST_EMPTY = 0x10000400
MAGIC = 0x74726976


def decode(vmtrace, tmp, name):
    db = os.path.join(tmp, name)
    subprocess.run([vmtrace, "decode", "-q", os.path.join(ROOT, "samples", "emu-small.vmt"), "-o", db], check=True)
    return db, sqlite3.connect(db)


def probe(con, dev, base, device_id, seq, ts, name):
    """Append a probe of the transport at base (Linux's three reads)."""
    first = seq
    for off, reg, value in ((0, "MagicValue", MAGIC), (4, "Version", 2), (8, "DeviceID", device_id)):
        con.execute("INSERT INTO events(seq, ts_ns, type, device, offset, reg, dir, width, value, vcpu) "
                    "VALUES (?, ?, 'mmio', ?, ?, ?, 'R', 4, ?, 0)", (seq, ts, dev, off, reg, value))
        seq += 1
        ts += 100
    con.execute("INSERT INTO devices(device, base, name, device_id, type, version, first_seq, last_seq, events) "
                "VALUES (?, ?, ?, ?, ?, 2, ?, ?, 3)",
                (dev, base, name % base, device_id, "scsi" if device_id == 8 else None, first, seq - 1))
    return seq, ts


def finish(con, db, seq, out):
    if seq is not None:
        con.execute("UPDATE meta SET value = ? WHERE key = 'events'", (str(seq),))
    con.execute("UPDATE meta SET value = 'crafted by tests/golden/in/make_inputs.py' WHERE key = 'raw.command'")
    con.commit()
    con.execute("PRAGMA page_size = 1024")
    con.execute("VACUUM")
    con.close()
    shutil.copyfile(db, os.path.join(HERE, out))
    print(os.path.join(HERE, out))


def main():
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} VMTRACE")
    vmtrace = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        db, con = decode(vmtrace, tmp, "virt.db")
        con.execute("UPDATE events SET vcpu = 1 WHERE device = 1")
        con.execute("UPDATE events SET vcpu = 1 WHERE device IS NULL AND seq BETWEEN "
                    "(SELECT first_seq FROM devices WHERE device = 1) AND (SELECT last_seq FROM devices WHERE device = 1)")
        (seq, ts) = con.execute("SELECT max(seq) + 1, max(ts_ns) + 100 FROM events").fetchone()
        for k in range(EMPTY):
            seq, ts = probe(con, 2 + k, FIRST_EMPTY + k * 0x200, 0, seq, ts, "virtio-mmio@0x%x")
        finish(con, db, seq, "virt-2cpu.db")

        db, con = decode(vmtrace, tmp, "packed.db")
        con.execute("UPDATE devices SET features_negotiated = features_negotiated | ? WHERE device = 1", (PACKED,))
        finish(con, db, None, "packed-rng.db")

        db, con = decode(vmtrace, tmp, "scsi.db")
        (seq, ts) = con.execute("SELECT max(seq) + 1, max(ts_ns) + 100 FROM events").fetchone()
        seq, ts = probe(con, 2, FIRST_EMPTY, 8, seq, ts, "virtio-scsi@0x%x")
        finish(con, db, seq, "scsi-left-out.db")


if __name__ == "__main__":
    main()
