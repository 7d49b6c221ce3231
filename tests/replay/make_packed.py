"""Make QEMU trace.dbs with packed virtqueues for tests/replay/packed.py
from tests/replay/qemu-packed.db.gz: the start of a real Linux boot under
QEMU 7.2 with packed=on (tests/qemu/guest_packed.sh, GUEST_PACKED_KEEP),
cut after seq 180 by `make_packed.py --cut FULL.db OUT.db` (then gzip -9):
blk reads three sectors (notify-time ring copies; pop, blk-read and fill
reports), rng answers three 64-byte requests (ring copies taken at the pop,
which QEMU had already answered: the copies show used descriptors whose
fills come later), net and console only probed.  QEMU reports no flush of
a packed ring; replay takes it at the end of each batch.

VARIANT:
  "ok"       as recorded;
  "torn"     a ring-copy-torn anomaly on rng queue 0 at seq 164 (the copy
             of its second request): rng unverified from there, exit 0;
  "used-len" the copy at seq 164 shows rng's second used descriptor (slot
             1) with length 63, not 64: a 'used' divergence at 164, exit 1;
  "missing"  the copy made when the driver offered blk's third request
             (seqs 101 to 105) gone: the emulated device never sees the
             chain and QEMU's fill at seq 109 names it: 'missing', exit 1;
  "pos"      rng's second fill (seq 162) at used_pos 1 in a batch of one:
             the reports contradict themselves, exit 2 naming the row;
  "noreports" device_steps dropped: completion at the notify, exit 0.

    python3 make_packed.py BASE.db.gz OUT.db [VARIANT]
    python3 make_packed.py --cut FULL.db OUT.db
"""

import gzip
import shutil
import sqlite3
import struct
import sys

UNTIL = 180


def cut(full, out):
    shutil.copyfile(full, out)
    con = sqlite3.connect(out)
    for table in ("memory", "violations", "anomalies", "used", "reg_changes", "interrupts", "status_changes",
                  "features", "device_steps", "lost", "events"):
        con.execute(f"DELETE FROM {table} WHERE seq > ?", (UNTIL,))
    con.execute("DELETE FROM chains WHERE seq_avail > ?", (UNTIL,))
    con.execute("DELETE FROM descriptors WHERE chain NOT IN (SELECT chain FROM chains)")
    con.execute("DELETE FROM requests WHERE seq_notify > ? OR seq_used > ? OR chain NOT IN (SELECT chain FROM chains)",
                (UNTIL, UNTIL))
    con.execute("DELETE FROM net_frames WHERE request NOT IN (SELECT request FROM requests)")
    con.execute("DELETE FROM queues WHERE seq_setup > ?", (UNTIL,))
    con.execute("UPDATE queues SET seq_end = NULL, end_reason = NULL WHERE seq_end > ?", (UNTIL,))
    con.execute("UPDATE device_steps SET chain = NULL WHERE chain NOT IN (SELECT chain FROM chains)")
    con.execute("UPDATE used SET chain = NULL WHERE chain NOT IN (SELECT chain FROM chains)")
    con.execute("UPDATE meta SET value = ? WHERE key = 'events'", (str(UNTIL + 1),))
    con.execute("UPDATE meta SET value = 'cut by tests/replay/make_packed.py' WHERE key = 'stop_reason'")
    # The recording's temporary paths say nothing here.
    con.execute("DELETE FROM meta WHERE key IN ('raw.command', 'raw.qemu-command')")
    con.commit()
    con.execute("VACUUM")
    con.close()


def make(base, out, variant="ok"):
    with gzip.open(base, "rb") as src, open(out, "wb") as dst:
        shutil.copyfileobj(src, dst)
    con = sqlite3.connect(out)
    if variant == "torn":
        con.execute("INSERT INTO anomalies(seq, device, queue, rule, message) VALUES (164, 1, 0, 'ring-copy-torn', "
                    "'crafted by tests/replay/make_packed.py')")
    elif variant == "used-len":
        (ring,) = con.execute("SELECT data FROM memory WHERE seq = 164").fetchone()
        ring = bytearray(ring)
        length, ident, flags = struct.unpack_from("<IHH", ring, 16 + 8)
        assert (length, ident, flags) == (64, 0, 0x8080), "tests/replay/qemu-packed.db.gz changed: seq 164"
        struct.pack_into("<I", ring, 16 + 8, 63)
        con.execute("UPDATE memory SET data = ? WHERE seq = 164", (bytes(ring),))
    elif variant == "missing":
        for seq in range(101, 106):
            con.execute("DELETE FROM memory WHERE seq = ?", (seq,))
            con.execute("DELETE FROM events WHERE seq = ?", (seq,))
    elif variant == "pos":
        n = con.execute("UPDATE device_steps SET used_pos = 1 WHERE seq = 162 AND step = 'fill'").rowcount
        assert n == 1, "tests/replay/qemu-packed.db.gz changed: seq 162"
    elif variant == "noreports":
        con.execute("DELETE FROM device_steps")
    elif variant != "ok":
        sys.exit(f"unknown variant {variant!r}")
    con.commit()
    con.close()
    return out


def main():
    args = sys.argv[1:]
    if len(args) == 3 and args[0] == "--cut":
        cut(args[1], args[2])
    elif len(args) in (2, 3) and not args[0].startswith("-"):
        make(args[0], args[1], args[2] if len(args) == 3 else "ok")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
