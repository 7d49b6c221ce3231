"""`vmtrace replay --registers-only`: only register accesses are replayed
and compared.

- the emulator samples replay identically in this mode (violations.db
  too: its devices' failures on hostile rings are taken over where a read
  shows them), and the QEMU sample with its declarations (while it is
  there), also without its memory rows and RAM layout;
- a copy of emu-modern.db without memory rows and ram_base/ram_size: the
  normal mode refuses it (exit 2, a message naming --registers-only), with
  the memory events kept or removed; registers-only replays it identically;
- a changed Status read and a changed config read diverge in this mode at
  that seq (kind "read", expected the changed value, actual the original);
- --json says the mode ("registers only"; "full" without the option) and
  counts the events not compared; the summary line says it too."""

import os

from replay_lib import check, copy, corrupt_read, first_div, identical, main, one, replay, require_sample, sql, vm


def strip_memory(db, keep_events):
    sql(db, "DELETE FROM memory")
    if not keep_events:
        sql(db, "DELETE FROM events WHERE type = 'mem'")
    sql(db, "DELETE FROM meta WHERE key IN ('ram_base', 'ram_size')")


def body(vmtrace, samples, tmp, args):
    for name in ("emu-modern.db", "emu-legacy.db"):
        db = require_sample(samples, name)
        r, j = replay(vmtrace, db, "--registers-only", expect_rc=0)
        identical(j, f"{name} --registers-only")
        check(j["mode"] == "registers only" and j["events_skipped"] > 0,
              f"{name}: mode {j['mode']!r}, events_skipped {j['events_skipped']}")
        r, j = replay(vmtrace, db, expect_rc=0)
        check(j["mode"] == "full" and j["events_skipped"] == 0, f"{name} without the option: mode {j['mode']!r}")
        r = vm(vmtrace, "replay", "-r", db)
        check(r.rc == 0 and "identical (registers only);" in r.out.splitlines()[-1],
              f"{name}: the summary line does not say the mode: {r.describe()}")
        print(f"{name}: identical in registers-only mode")
    # violations.db: the blk device fails on a hostile ring, the rng device
    # too; the reads that show it take the failure over.
    db = require_sample(samples, "violations.db")
    r, j = replay(vmtrace, db, "-r", expect_rc=0)
    identical(j, "violations.db --registers-only")
    check(j["failures_taken_over"] >= 1, f"violations.db: failures_taken_over {j['failures_taken_over']}")
    print(f"violations.db: identical in registers-only mode, {j['failures_taken_over']} failure(s) taken over")
    qemu = os.path.join(samples, "qemu-linux-modern.db")
    if os.path.exists(qemu):
        r, j = replay(vmtrace, qemu, "-r", "-X", os.path.join(samples, "qemu-linux-modern.expect"), expect_rc=0)
        identical(j, "qemu-linux-modern.db --registers-only")
        print("qemu-linux-modern.db: identical in registers-only mode")
        # Without ring contents or RAM layout (a machine vmtrace cannot place):
        # RAM is made to hold the rings the queues table records.
        db = copy(qemu, tmp, "qemu-nomem.db")
        strip_memory(db, False)
        r = vm(vmtrace, "replay", "-X", os.path.join(samples, "qemu-linux-modern.expect"), db)
        check(r.rc == 2 and "--registers-only" in r.err, f"qemu-linux-modern without memory: {r.describe()}")
        r, j = replay(vmtrace, db, "-r", "-X", os.path.join(samples, "qemu-linux-modern.expect"), expect_rc=0)
        # (events_total counts the deleted memory events' seqs too)
        check(j["result"] == "identical" and j["divergences"] == 0 and j["last_seq"] == j["events_total"] - 1,
              f"qemu-linux-modern without memory, --registers-only: {r.describe()}")
        print("qemu-linux-modern.db without memory rows and RAM layout: identical in registers-only mode")

    for keep in (True, False):
        what = "memory rows removed" + (", memory events kept" if keep else ", memory events removed")
        db = copy(require_sample(samples, "emu-modern.db"), tmp, f"nomem{int(keep)}.db")
        strip_memory(db, keep)
        r = vm(vmtrace, "replay", db)
        check(r.rc == 2, f"{what}: the normal mode should refuse (exit 2): {r.describe()}")
        check("no memory rows" in r.err and "--registers-only" in r.err,
              f"{what}: the message does not say why or suggest --registers-only: {r.describe()}")
        r, j = replay(vmtrace, db, "--registers-only", expect_rc=0)
        check(j["result"] == "identical" and j["divergences"] == 0, f"{what}: registers-only: {r.describe()}")
        print(f"{what}: normal mode refuses, registers-only identical")

    cases = [("the 3rd Status read", "reg = 'Status'", 2),
             ("the blk blk_size read", "reg = 'Config+0x14' AND device = 0", 0),
             ("a net InterruptStatus read (bit 1 changed)", "reg = 'InterruptStatus' AND device = 1", 1)]
    for n, (what, where, offset) in enumerate(cases):
        db = copy(require_sample(samples, "emu-modern.db"), tmp, f"read{n}.db")
        strip_memory(db, False)
        seq, device, reg = one(db, f"SELECT seq, device, reg FROM events WHERE type = 'mmio' AND dir = 'R' "
                                   f"AND {where} ORDER BY seq LIMIT 1 OFFSET {offset}")
        if reg == "InterruptStatus":
            (orig,) = one(db, "SELECT value FROM events WHERE seq = ?", (seq,))
            bad = orig ^ 0x2
            sql(db, "UPDATE events SET value = ? WHERE seq = ?", (bad, seq))
        else:
            orig, bad = corrupt_read(db, seq)
        r, j = replay(vmtrace, db, "-r", expect_rc=1)
        d = first_div(j)
        got = {k: d.get(k) for k in ("seq", "device", "kind", "where", "expected", "actual")}
        check(j["mode"] == "registers only" and d["seq"] == seq and d["kind"] == "read" and d["device"] == device
              and d["expected"] == bad and d["where"].split(" ")[0] == reg
              # InterruptStatus: the emulator never has bit 0 in this mode
              and (d["actual"] == orig if reg != "InterruptStatus" else d["actual"] & 2 == orig & 2),
              f"{what} (seq {seq}): expected a read divergence there, 0x{bad:x} recorded, 0x{orig:x} emulated; "
              f"got {got}")
        print(f"{what}: diverged at seq {seq} in registers-only mode")
    # Bit 0 (used buffer) of InterruptStatus is not compared in this mode.
    db = copy(require_sample(samples, "emu-modern.db"), tmp, "bit0.db")
    (seq,) = one(db, "SELECT seq FROM events WHERE type = 'mmio' AND dir = 'R' AND reg = 'InterruptStatus' "
                     "AND value = 1 ORDER BY seq LIMIT 1")
    sql(db, "UPDATE events SET value = 0 WHERE seq = ?", (seq,))
    r, j = replay(vmtrace, db, "-r", expect_rc=0)
    print("InterruptStatus bit 0 changed: not compared in registers-only mode")
    return 0


main(body)
