"""Mutation 2: drop a driver action from a copy of a sample; the replay
must exit 1 and name the first event where the device's behaviour
changes.

Dropping device 0's first QueueReady write (modern) or QueuePFN write
(legacy) leaves queue 0 not live. Nothing the driver does next depends
on it (config reads, the DRIVER_OK Status write) until its first
QueueNotify of queue 0: the recorded device then stores into the used
ring, while the replayed device refuses the notification, which the
emulator reports as a violation of the rule notify-unknown-queue. So
the first divergence is at the first device-side event (a device store
into guest memory or an interrupt of device 0) recorded after that
QueueNotify, of kind "violation" (the emulator did something the
recording does not have), on device 0.

Dropping the driver's last store of queue 0's available-ring idx before
that QueueNotify makes the device see one buffer fewer: it must diverge
on device 0 while handling that notification, before the driver's next
register access to the device."""

from replay_lib import check, copy, first_div, main, one, replay, require_sample, sql


def drop(db, seq):
    sql(db, "DELETE FROM events WHERE seq = ?", (seq,))
    sql(db, "DELETE FROM memory WHERE seq = ?", (seq,))


def queue_setup_dropped(vmtrace, db, sample, reg):
    (dropped,) = one(db, "SELECT min(seq) FROM events WHERE type = 'mmio' AND device = 0 "
                         "AND reg = ? AND dir = 'W' AND value != 0", (reg,))
    drop(db, dropped)
    # Computed from the trace, independently of the replay.
    (notify,) = one(db, "SELECT min(seq) FROM events WHERE type = 'mmio' AND device = 0 "
                        "AND reg = 'QueueNotify' AND dir = 'W' AND value = 0 AND seq > ?", (dropped,))
    (between,) = one(db, "SELECT count(*) FROM events WHERE type = 'mmio' AND device = 0 "
                         "AND reg IN ('QueueNotify', 'QueueReady', 'QueuePFN', 'QueueSel') "
                         "AND seq > ? AND seq < ?", (dropped, notify))
    check(between == 0, f"{sample}: the sample changed: queue registers touched between the dropped "
                        f"{reg} write (seq {dropped}) and the QueueNotify (seq {notify})")
    (first_dev,) = one(db, "SELECT min(e.seq) FROM events e LEFT JOIN memory m ON m.seq = e.seq "
                           "WHERE e.seq > ? AND ((e.type = 'mem' AND m.kind = 'device-write') "
                           "OR (e.type = 'irq' AND e.device = 0))", (notify,))
    label = f"{sample} without the {reg} write at seq {dropped}"

    r, j = replay(vmtrace, db)
    check(r.rc == 1, f"{label}: expected exit 1 (diverged): {r.describe()}")
    d = first_div(j)
    got = {k: d.get(k) for k in ("seq", "device", "kind", "where", "note")}
    check(d["seq"] == first_dev and d["kind"] == "violation" and d["device"] == 0,
          f"{label}: expected a violation divergence on device 0 at seq {first_dev} (the first device "
          f"action after the QueueNotify at seq {notify}), got {got}")
    check("notify-unknown-queue" in d["where"], f"{label}: expected rule notify-unknown-queue, got {got}")
    print(f"{label}: diverged at seq {d['seq']} (QueueNotify at {notify}): {d['where']}")


def avail_idx_dropped(vmtrace, db, sample):
    (lo,) = one(db, "SELECT value FROM events WHERE type = 'mmio' AND device = 0 AND reg = 'QueueDriverLow' "
                    "AND dir = 'W' ORDER BY seq LIMIT 1")
    (hi,) = one(db, "SELECT value FROM events WHERE type = 'mmio' AND device = 0 AND reg = 'QueueDriverHigh' "
                    "AND dir = 'W' ORDER BY seq LIMIT 1")
    idx_addr = (hi << 32 | lo) + 2  # struct virtq_avail { le16 flags; le16 idx; ... }
    (notify,) = one(db, "SELECT min(seq) FROM events WHERE type = 'mmio' AND device = 0 "
                        "AND reg = 'QueueNotify' AND dir = 'W'")
    (store,) = one(db, "SELECT max(e.seq) FROM events e JOIN memory m ON m.seq = e.seq "
                       "WHERE e.type = 'mem' AND m.kind = 'driver-write' AND e.addr = ? AND e.len = 2 "
                       "AND e.seq < ?", (idx_addr, notify))
    (next_access,) = one(db, "SELECT min(seq) FROM events WHERE type = 'mmio' AND device = 0 AND seq > ?",
                         (notify,))
    drop(db, store)
    label = f"{sample} without the avail idx store at seq {store} (0x{idx_addr:x})"

    r, j = replay(vmtrace, db)
    check(r.rc == 1, f"{label}: expected exit 1 (diverged): {r.describe()}")
    d = first_div(j)
    got = {k: d.get(k) for k in ("seq", "device", "kind", "where", "expected", "actual")}
    check(d["device"] == 0 and notify < d["seq"] < next_access,
          f"{label}: expected a divergence on device 0 while it handles the QueueNotify at seq {notify} "
          f"(before seq {next_access}), got {got}")
    print(f"{label}: diverged at seq {d['seq']}: {d['kind']} {d['where']}")


def body(vmtrace, samples, tmp, args):
    queue_setup_dropped(vmtrace, copy(require_sample(samples, "emu-modern.db"), tmp, "noready.db"),
                        "emu-modern.db", "QueueReady")
    queue_setup_dropped(vmtrace, copy(require_sample(samples, "emu-legacy.db"), tmp, "nopfn.db"),
                        "emu-legacy.db", "QueuePFN")
    avail_idx_dropped(vmtrace, copy(require_sample(samples, "emu-modern.db"), tmp, "noidx.db"),
                      "emu-modern.db")
    return 0


main(body)
