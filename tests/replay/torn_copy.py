"""`vmtrace replay` of a best-effort trace with a torn ring copy (issue 13):
from the device's first anomaly on, the device replays registers only and
the report says so; that is no divergence.

Inputs: samples/qemu-linux-modern.db with the blk device's second request
torn (make_torn.py: an indirect descriptor outside guest RAM, which makes
the emulated blk device fail), and the decoder's anomaly at each place it
can be:

- no anomaly: replay diverges at the next InterruptStatus read (seq 87)
  with the emulator's ring-buffer-outside-memory: the torn bytes latch;
- at the avail ring's copy (82), the QueueNotify (83), the device's queue
  report after it (84: unverified from 83, the access it belongs to):
  exit 0, result identical, the blk device alone unverified from there,
  with the anomaly's seq, queue, rule and message (--json and text: the
  line "virtio-blk@0xfeb02e00: ring contents unverified from seq 82
  (torn copy: anomaly ring-buffer-outside-memory at seq 82); registers
  compared to the end"), the 'queue' events counted as not compared;
- later than the emulator used the bytes (86): exit 0, failure_masked
  (the emulated device's failure does not leak into later reads);
- an anomaly without a queue (no ring copy): diverges as without one;
- a register read of the unverified device changed after the anomaly
  (the Status read at seq 99): exit 1, a read divergence there;
- --registers-only: no device is unverified (the whole replay is);
  --until before the anomaly: none either; --until after it: the device;
- exact traces never: emu-modern.db with an anomaly row on blk's queue 0
  replays identically with no device unverified; the QEMU sample's own
  anomalies (net queue 2, which the emulated net device lacks) leave
  every device verified."""

import os

from make_torn import make
from replay_lib import SKIP, check, copy, corrupt_read, first_div, identical, main, replay, require_sample, sql, vm

BLK = "virtio-blk@0xfeb02e00"
LINE = (f"{BLK}: ring contents unverified from seq 82 (torn copy: anomaly ring-buffer-outside-memory at seq 82); "
        "registers compared to the end")


def unverified(j):
    return {d["name"]: d for d in j["devices"] if d.get("unverified_from") is not None}


def body(vmtrace, samples, tmp, args):
    sample = os.path.join(samples, "qemu-linux-modern.db")
    if not os.path.exists(sample):
        print("samples/qemu-linux-modern.db is not there")
        return SKIP
    expect = ("-X", os.path.join(samples, "qemu-linux-modern.expect"))

    # The sample itself: anomalies on net queue 2 only, which the model lacks.
    r, j = replay(vmtrace, sample, *expect, expect_rc=0)
    check(j["devices_unverified"] == 0 and not unverified(j), f"qemu-linux-modern.db: {r.describe()}")

    db = make(sample, os.path.join(tmp, "none.db"), "none")
    r, j = replay(vmtrace, db, *expect, expect_rc=1)
    d = first_div(j)
    check(d["seq"] == 87 and d["device_name"] == BLK and "ring-buffer-outside-memory" in (d["note"] or ""),
          f"torn bytes without an anomaly: expected the blk device to fail at seq 87, got {d}")
    print("torn copy without an anomaly: diverges at seq 87 (the emulated blk device failed on it)")

    for at, from_seq, anomaly_seq in (("avail", 82, 82), ("notify", 83, 83), ("queue", 83, 84)):
        db = make(sample, os.path.join(tmp, f"{at}.db"), at)
        r, j = replay(vmtrace, db, *expect, expect_rc=0)
        identical(j, f"anomaly at the {at}")
        u = unverified(j)
        check(list(u) == [BLK] and j["devices_unverified"] == 1, f"anomaly at the {at}: unverified {list(u)}")
        b = u[BLK]
        check(b["unverified_from"] == from_seq and b["torn_copy"]["seq"] == anomaly_seq
              and b["torn_copy"]["queue"] == 0 and b["torn_copy"]["rule"] == "ring-buffer-outside-memory"
              and "outside guest memory" in b["torn_copy"]["message"] and not b["torn_copy"]["failure_masked"],
              f"anomaly at the {at}: {b}")
        # seq 85 (and 84 for "queue") are queue reports; blk's copies after 82 are skipped
        check(j["events_skipped"] >= (2 if at == "queue" else 1), f"anomaly at the {at}: events_skipped {j['events_skipped']}")
        print(f"anomaly at the {at} (seq {anomaly_seq}): exit 0, {BLK} unverified from seq {from_seq}")
    db = os.path.join(tmp, "avail.db")
    r = vm(vmtrace, "replay", *expect, db)
    check(r.rc == 0 and LINE in r.out and "1 device unverified from a torn copy" in r.out.splitlines()[-1],
          f"text report: {r.describe()}")
    r = vm(vmtrace, "replay", "-q", *expect, db)
    check(r.rc == 0 and "identical" in r.out and "1 device unverified from a torn copy" in r.out, f"--quiet: {r.describe()}")

    db = make(sample, os.path.join(tmp, "late.db"), "late")
    r, j = replay(vmtrace, db, *expect, expect_rc=0)
    identical(j, "anomaly after the emulator used the torn bytes")
    b = unverified(j).get(BLK)
    check(b and b["unverified_from"] == 86 and b["torn_copy"]["failure_masked"], f"late anomaly: {b}")
    r = vm(vmtrace, "replay", *expect, db)
    check(r.rc == 0 and "had already failed on ring contents" in r.out, f"late anomaly, text: {r.describe()}")
    print("anomaly after the emulator failed on the torn bytes (seq 86): exit 0, the failure masked")

    db = make(sample, os.path.join(tmp, "noqueue.db"), "noqueue")
    r, j = replay(vmtrace, db, *expect, expect_rc=1)
    check(first_div(j)["seq"] == 87 and j["devices_unverified"] == 0, f"anomaly without a queue: {r.describe()}")
    print("anomaly without a queue: no ring copy, diverges at seq 87")

    # A register read of the unverified device is still compared.
    db = copy(os.path.join(tmp, "avail.db"), tmp, "status.db")
    orig, bad = corrupt_read(db, 99)
    r, j = replay(vmtrace, db, *expect, expect_rc=1)
    d = first_div(j)
    check(d["seq"] == 99 and d["device_name"] == BLK and d["kind"] == "read" and d["expected"] == bad
          and d["actual"] == orig and unverified(j).get(BLK, {}).get("unverified_from") == 82,
          f"Status read changed at seq 99: {r.describe()}")
    print("the unverified device's Status read changed at seq 99: diverges there (exit 1)")
    # and its configuration-change bit (the used-buffer bit is not compared)
    db = copy(os.path.join(tmp, "avail.db"), tmp, "isr.db")
    seq, isr = sql(db, "SELECT seq, value FROM events WHERE device = 0 AND reg = 'InterruptStatus' AND seq > 90 "
                       "ORDER BY seq LIMIT 1")[0]
    sql(db, "UPDATE events SET value = ? WHERE seq = ?", (isr ^ 2, seq))
    r, j = replay(vmtrace, db, *expect, expect_rc=1)
    check(first_div(j)["seq"] == seq and "bit 0 (used buffer) is not" in (first_div(j)["note"] or ""),
          f"InterruptStatus bit 1 changed at seq {seq}: {r.describe()}")
    db = copy(os.path.join(tmp, "avail.db"), tmp, "isr0.db")
    sql(db, "UPDATE events SET value = ? WHERE seq = ?", (isr ^ 1, seq))
    r, j = replay(vmtrace, db, *expect, expect_rc=0)
    print(f"the unverified device's InterruptStatus at seq {seq}: bit 1 compared (exit 1), bit 0 not (exit 0)")

    db = os.path.join(tmp, "avail.db")
    r, j = replay(vmtrace, db, "-r", *expect, expect_rc=0)
    check(j["devices_unverified"] == 0 and j["mode"] == "registers only", f"--registers-only: {r.describe()}")
    r, j = replay(vmtrace, db, "--until", 81, *expect, expect_rc=0)
    check(j["devices_unverified"] == 0, f"--until 81: {r.describe()}")
    r, j = replay(vmtrace, db, "--until", 90, *expect, expect_rc=0)
    check(j["devices_unverified"] == 1, f"--until 90: {r.describe()}")
    print("--registers-only, --until 81: no device unverified; --until 90: blk")

    # Exact traces never take this path.
    db = copy(require_sample(samples, "emu-modern.db"), tmp, "emu-anomaly.db")
    (seq,) = sql(db, "SELECT seq FROM events WHERE device = 0 AND reg = 'QueueNotify' ORDER BY seq LIMIT 1")[0]
    sql(db, "INSERT INTO anomalies(seq, device, queue, rule, message) VALUES (?, 0, 0, 'ring-head-out-of-range', 'x')",
        (seq,))
    r, j = replay(vmtrace, db, expect_rc=0)
    identical(j, "emu-modern.db with an anomaly")
    check(j["devices_unverified"] == 0, f"emu-modern.db with an anomaly: {r.describe()}")
    print("emu-modern.db with an anomaly row: exact, replayed in full")
    return 0


main(body)
