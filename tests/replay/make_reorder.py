"""Make a QEMU trace.db whose blk device completes two requests out of order
and says so in its own reports (device_steps), from
samples/qemu-linux-modern.db (a real Linux boot under QEMU, decoded before
reports existed), cut after the blk device's third request (seq 99).

Seqs are multiplied by 8 to make room for the 'queue' events.  The second
request (notified at old seq 83) is not completed before the third (old
seq 93): its used ring copy, InterruptStatus read and ACK (old 86 to 88)
go; the third request gets descriptor 1 (a copy of descriptor 0, its
indirect table) and avail ring slot 2.  The device reports pop, fill and
flush for each request; the third is filled at used_pos 0 and the second
at used_pos 1, published by one flush of 2, and the used ring copy (old
96) shows ring[1] = id 1, ring[2] = id 0: completion order differs from
notify order, as QEMU's asynchronous blk I/O does.

VARIANT changes the reports to break them (replay must refuse, naming the
row): "ok" (none), "noreports" (device_steps dropped: replay completes at
the notify and diverges at the used ring), "fill-no-pop" (the third
request's fill names a token never popped), "pos-past" (used_pos 5000),
"count" (the flush says 1 entry for 2 fills); and to show what following
them means: "noflush" (no flush: the entries are never published, the
InterruptStatus read after them differs), "unknown-chain" (the device
also pops, fills and flushes a third element the avail ring never
showed: a missing divergence at the flush).

    python3 make_reorder.py SAMPLE.db OUT.db [VARIANT]
"""

import shutil
import sqlite3
import struct
import sys

UNTIL = 99
SCALE = 8
T0, TA, TB, TC = 0x7F0000001000, 0x7F0000002000, 0x7F0000003000, 0x7F0000004000
STEPS = {"pop": 1, "fill": 2, "flush": 3, "blk-read": 4, "scsi-cmd": 6}

SCHEMA = """CREATE TABLE device_steps (
  seq INTEGER PRIMARY KEY REFERENCES events(seq), device INTEGER, queue INTEGER NOT NULL, step TEXT NOT NULL,
  token INTEGER, in_num INTEGER, out_num INTEGER, len INTEGER, used_pos INTEGER, count INTEGER,
  sector INTEGER, sectors INTEGER, chain INTEGER, verdict TEXT)"""


def seq_columns(con):
    for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
        for row in con.execute(f"PRAGMA table_info({table})").fetchall():
            col = row[1]
            if col == "seq" or col.startswith("seq_"):
                yield table, col


def step(con, seq, name, token=None, length=None, pos=None, count=None):
    (ts,) = con.execute("SELECT ts_ns FROM events WHERE seq < ? ORDER BY seq DESC LIMIT 1", (seq,)).fetchone()
    con.execute("INSERT INTO events(seq, ts_ns, type, device, value, addr) VALUES (?, ?, 'queue', 0, ?, 0)",
                (seq, ts, STEPS[name]))
    # blk-read: sector and count; scsi-cmd: the CDB's opcode (READ(10))
    # and the LUN in the same columns.
    sector, sectors = {"blk-read": (8, 8), "scsi-cmd": (0x28, 0)}.get(name, (None, None))
    con.execute("INSERT INTO device_steps(seq, device, queue, step, token, in_num, out_num, len, used_pos, count, "
                "sector, sectors) VALUES (?, 0, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (seq, name, token, 2 if name == "pop" else None, 1 if name == "pop" else None, length, pos, count,
                 sector, sectors))


def make(sample, out, variant="ok"):
    shutil.copyfile(sample, out)
    con = sqlite3.connect(out)
    for table in ("memory", "violations", "anomalies", "used", "reg_changes", "interrupts", "status_changes",
                  "features", "events"):
        con.execute(f"DELETE FROM {table} WHERE seq > ?", (UNTIL,))
    con.execute("DELETE FROM chains WHERE seq_avail > ?", (UNTIL,))
    con.execute("DELETE FROM descriptors WHERE chain NOT IN (SELECT chain FROM chains)")
    con.execute("DELETE FROM requests WHERE seq_notify > ? OR seq_used > ? OR chain NOT IN (SELECT chain FROM chains)",
                (UNTIL, UNTIL))
    con.execute("DELETE FROM net_frames WHERE request NOT IN (SELECT request FROM requests)")
    # The second request stays in flight over the third's notify.
    for seq in (86, 87, 88):
        con.execute("DELETE FROM memory WHERE seq = ?", (seq,))
        con.execute("DELETE FROM events WHERE seq = ?", (seq,))
    # The third request takes descriptor 1 and avail slot 2.
    (desc,) = con.execute("SELECT data FROM memory WHERE seq = 89").fetchone()
    desc = bytearray(desc)
    desc[16:32] = desc[0:16]
    con.execute("UPDATE memory SET data = ? WHERE seq = 89", (bytes(desc),))
    (avail,) = con.execute("SELECT data FROM memory WHERE seq = 92").fetchone()
    avail = bytearray(avail)
    assert struct.unpack_from("<H", avail, 2)[0] == 3, "samples/qemu-linux-modern.db changed: seq 92"
    struct.pack_into("<H", avail, 4 + 2 * 2, 1)
    con.execute("UPDATE memory SET data = ? WHERE seq = 92", (bytes(avail),))
    # Completed third first: ring[1] = id 1, ring[2] = id 0.
    (used,) = con.execute("SELECT data FROM memory WHERE seq = 96").fetchone()
    used = bytearray(used)
    assert struct.unpack_from("<H", used, 2)[0] == 3, "samples/qemu-linux-modern.db changed: seq 96"
    struct.pack_into("<II", used, 4 + 8 * 1, 1, 4097)
    struct.pack_into("<II", used, 4 + 8 * 2, 0, 4097)
    con.execute("UPDATE memory SET data = ? WHERE seq = 96", (bytes(used),))
    for table, col in list(seq_columns(con)):
        # Through negative values: seq is a primary key.
        con.execute(f"UPDATE {table} SET {col} = -1 - {col} WHERE {col} IS NOT NULL")
        con.execute(f"UPDATE {table} SET {col} = (-1 - {col}) * {SCALE} WHERE {col} IS NOT NULL")
    if variant != "noreports":
        con.execute(SCHEMA)
        s = 73 * SCALE
        step(con, s + 1, "pop", T0)
        step(con, s + 2, "fill", T0, length=4097, pos=0)
        step(con, s + 3, "flush", count=1)
        s = 83 * SCALE
        step(con, s + 1, "pop", TA)
        step(con, s + 2, "blk-read", TA)
        if variant == "scsi-on-blk":
            # A hostile file: a scsi command report on a blk device.
            step(con, s + 3, "scsi-cmd", TA)
        s = 93 * SCALE
        step(con, s + 1, "pop", TB)
        if variant == "unknown-chain":
            step(con, s + 2, "pop", TC)
        step(con, s + 3, "fill", 0xDEAD if variant == "fill-no-pop" else TB, length=4097,
             pos=5000 if variant == "pos-past" else 0)
        step(con, s + 4, "fill", TA, length=4097, pos=1)
        if variant == "unknown-chain":
            step(con, s + 5, "fill", TC, length=4097, pos=2)
        if variant != "noflush":
            step(con, s + 6, "flush", count={"count": 1, "unknown-chain": 3}.get(variant, 2))
    con.execute("UPDATE meta SET value = ? WHERE key = 'events'", (str(UNTIL * SCALE + 1),))
    con.execute("UPDATE meta SET value = 'crafted by tests/replay/make_reorder.py' WHERE key = 'raw.command'")
    con.commit()
    con.execute("VACUUM")
    con.close()
    return out


def main():
    args = sys.argv[1:]
    if len(args) not in (2, 3):
        sys.exit(__doc__)
    make(args[0], args[1], args[2] if len(args) == 3 else "ok")


if __name__ == "__main__":
    main()
