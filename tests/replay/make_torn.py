"""Make a QEMU trace.db with a torn ring copy (issue 13), from
samples/qemu-linux-modern.db (a real Linux boot under QEMU).

The blk device's second request (the batch of seq 79 to 83: descriptor
table, indirect table, request header, avail ring, then QueueNotify at
seq 83) gets a torn indirect table: its second descriptor, the 4096-byte
data buffer, points at 0x7fff00000000, outside the guest's 256 MiB, as
a copy taken after the guest reused the table can show.  Fed those bytes,
the emulated blk device fails (ring-buffer-outside-memory,
DEVICE_NEEDS_RESET) and replay diverged at the next InterruptStatus read.

The decoder, which walks the chain when the avail ring's copy (seq 82)
shows it, records an anomaly there; the file gets that row (where, in
ANOMALY_AT):

- "avail": seq 82, the avail ring's copy (where the decoder finds it);
- "notify": seq 83, the QueueNotify write;
- "queue": seq 84 (the 4096-byte device-written buffer copy of the
  answer) becomes the device's own report of the pop (a 'queue' event)
  and the anomaly is there, after the access it belongs to;
- "late": seq 86, the used ring's copy after the notify (later than the
  decoder puts it: the emulated device has failed on the torn bytes by
  then, which replay must keep out of later comparisons);
- "noqueue": seq 82 with no queue (an anomaly of no ring: not a torn
  copy, replay diverges as without one);
- "none": no anomaly row (the torn bytes alone: replay diverges).

Every case also turns seq 85 (the request's 1-byte status copy) into a
'queue' event (the device's fill report), which replay passes over.

    python3 make_torn.py SAMPLE.db OUT.db [ANOMALY_AT] [--until SEQ]

--until keeps the events up to SEQ only (a small file for a golden case).
"""

import shutil
import sqlite3
import struct
import sys

INDIRECT_SEQ = 80      # the indirect table's copy (3 descriptors)
AVAIL_SEQ = 82
NOTIFY_SEQ = 83
POP_SEQ = 84
FILL_SEQ = 85
USED_SEQ = 86
TORN_ADDR = 0x7FFF00000000
RULE = "ring-buffer-outside-memory"
MESSAGE = ("chain at head 0: indirect descriptor 1 buffer [0x7fff00000000, +4096) lies outside guest memory "
           "(crafted: a torn copy)")


def queue_event(con, seq, step):
    """seq becomes the blk device's report of a step on queue 0 (value:
    enum vmt_queue_step; 1 pop, 2 fill)."""
    con.execute("DELETE FROM memory WHERE seq = ?", (seq,))
    con.execute("UPDATE events SET type = 'queue', device = 0, offset = NULL, reg = NULL, dir = NULL, "
                "width = NULL, value = ?, addr = 0, len = NULL, text = NULL WHERE seq = ?", (step, seq))


def make(sample, out, anomaly_at="avail", until=None):
    shutil.copyfile(sample, out)
    con = sqlite3.connect(out)
    (data,) = con.execute("SELECT data FROM memory WHERE seq = ?", (INDIRECT_SEQ,)).fetchone()
    table = bytearray(data)
    addr, length, flags, nxt = struct.unpack_from("<QIHH", table, 16)
    assert length == 4096 and flags == 3, "samples/qemu-linux-modern.db changed: seq 80 is not the expected table"
    struct.pack_into("<Q", table, 16, TORN_ADDR)
    con.execute("UPDATE memory SET data = ? WHERE seq = ?", (bytes(table), INDIRECT_SEQ))
    queue_event(con, FILL_SEQ, 2)
    con.execute("DELETE FROM anomalies")
    if anomaly_at == "queue":
        queue_event(con, POP_SEQ, 1)
    at = {"avail": AVAIL_SEQ, "notify": NOTIFY_SEQ, "queue": POP_SEQ, "late": USED_SEQ,
          "noqueue": AVAIL_SEQ}.get(anomaly_at)
    if at is not None:
        con.execute("INSERT INTO anomalies(seq, device, queue, rule, message) VALUES (?, 0, ?, ?, ?)",
                    (at, None if anomaly_at == "noqueue" else 0, RULE, MESSAGE))
    if until is not None:
        # What the decoder found after the cut goes too (replay reads the
        # requests, for received frames; the rest keeps the file small).
        for table_name in ("memory", "violations", "anomalies", "used", "reg_changes", "interrupts",
                           "status_changes", "features", "events"):
            con.execute(f"DELETE FROM {table_name} WHERE seq > ?", (until,))
        con.execute("DELETE FROM chains WHERE seq_avail > ?", (until,))
        con.execute("DELETE FROM descriptors WHERE chain NOT IN (SELECT chain FROM chains)")
        con.execute("DELETE FROM requests WHERE seq_notify > ? OR seq_used > ? OR chain NOT IN (SELECT chain FROM chains)",
                    (until, until))
        con.execute("DELETE FROM net_frames WHERE request NOT IN (SELECT request FROM requests)")
        con.execute("UPDATE meta SET value = ? WHERE key = 'events'", (str(until + 1),))
    con.execute("UPDATE meta SET value = 'crafted by tests/replay/make_torn.py' WHERE key = 'raw.command'")
    con.commit()
    if until is not None:
        con.execute("PRAGMA page_size = 1024")
        con.execute("VACUUM")
    con.close()
    return out


def main():
    args = sys.argv[1:]
    until = None
    if "--until" in args:
        i = args.index("--until")
        until = int(args[i + 1])
        del args[i:i + 2]
    if len(args) not in (2, 3):
        sys.exit(__doc__)
    make(args[0], args[1], args[2] if len(args) == 3 else "avail", until)


if __name__ == "__main__":
    main()
