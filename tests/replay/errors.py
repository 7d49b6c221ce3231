"""Errors and options of `vmtrace replay`: exit 2 with a message naming
the file for what cannot be replayed, exit 2 for a bad --expect,
--expect-file (missing, a directory, unreadable) or --until; --until N replays events 0..N; --keep-going reports every
divergence."""

import os
import sqlite3

from replay_lib import check, copy, corrupt_read, main, one, replay, require_sample, sql, vm


def cannot(vmtrace, label, args, mention):
    r = vm(vmtrace, "replay", *args)
    check(r.rc == 2, f"{label}: expected exit 2: {r.describe()}")
    check(mention in r.err, f"{label}: the message does not name {mention!r}: {r.err!r}")
    check(r.out == "", f"{label}: nothing belongs on stdout: {r.out!r}")
    r = vm(vmtrace, "replay", "--json", *args)
    check(r.rc == 2, f"{label} (--json): expected exit 2: {r.describe()}")


def body(vmtrace, samples, tmp, args):
    modern = require_sample(samples, "emu-modern.db")

    missing = os.path.join(tmp, "no-such-trace.db")
    cannot(vmtrace, "a nonexistent file", [missing], missing)
    check(not os.path.exists(missing), "replay created the file it was asked to read")

    other = os.path.join(tmp, "other.db")
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t(x)")
    con.execute("INSERT INTO t VALUES (1)")
    con.commit()
    con.close()
    cannot(vmtrace, "an SQLite file that is not a trace.db", [other], other)

    garbage = os.path.join(tmp, "garbage.db")
    with open(garbage, "wb") as f:
        f.write(b"not a database at all\n" * 100)
    cannot(vmtrace, "a file that is not SQLite", [garbage], garbage)

    newer = copy(modern, tmp, "schema2.db")
    con = sqlite3.connect(newer)
    con.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    cannot(vmtrace, "another schema version", [newer], newer)

    cannot(vmtrace, "--expect naming nothing replay compares", ["-x", "NoSuchRegister", modern], "NoSuchRegister")
    cannot(vmtrace, "--expect with nothing before ':'", ["-x", ":all", modern], ":all")
    cannot(vmtrace, "--expect with nothing after ':'", ["-x", "blk:", modern], "blk:")
    cannot(vmtrace, "--expect config+ too far", ["-x", "config+0x1000", modern], "config+0x1000")
    bad_file = os.path.join(tmp, "bad.expect")
    with open(bad_file, "w") as f:
        f.write("# a comment\nDeviceFeatures\nQueueNonsense\n")
    cannot(vmtrace, "an --expect-file with an invalid line", ["-X", bad_file, modern], "QueueNonsense")
    cannot(vmtrace, "a missing --expect-file", ["-X", os.path.join(tmp, "none.expect"), modern], "none.expect")
    cannot(vmtrace, "-X /nonexistent", ["-X", "/nonexistent", modern], "/nonexistent")
    # fopen takes a directory, and reading it looked like an empty file.
    cannot(vmtrace, "-X / (a directory)", ["-X", "/", modern], "'/'")
    cannot(vmtrace, "-X a directory", ["-X", tmp, modern], tmp)
    if os.geteuid() != 0:  # root reads any file
        unreadable = os.path.join(tmp, "unreadable.expect")
        with open(unreadable, "w") as f:
            f.write("DeviceFeatures\n")
        os.chmod(unreadable, 0)
        cannot(vmtrace, "an unreadable --expect-file", ["-X", unreadable, modern], unreadable)
    cannot(vmtrace, "--until not a number", ["-u", "abc", modern], "abc")
    cannot(vmtrace, "--until negative", ["-u", "-1", modern], "-1")

    # A QEMU trace's received frames are fed from its requests rows: one
    # that contradicts the rest of the file is named, not skipped.
    qemu = os.path.join(samples, "qemu-linux-modern.db")
    if os.path.exists(qemu):
        expect = os.path.join(samples, "qemu-linux-modern.expect")
        (req,) = one(qemu, "SELECT min(request) FROM requests WHERE kind = 'net-rx' AND seq_used IS NOT NULL")
        for label, change, mention in (
                ("a received frame of no device", "device = 9", "device 9 is not in the devices table"),
                ("a received frame of length -2", "length = -2", "length -2"),
                ("a received frame with more data than its length", "data = zeroblob(length + 1)", "data is")):
            db = copy(qemu, tmp, "rx.db")
            sql(db, f"UPDATE requests SET {change} WHERE request = ?", (req,))
            cannot(vmtrace, label, ["-X", expect, db], f"requests row request {req}: {mention}")

    # --until N: events 0..N, and nothing past N is compared. N is chosen
    # where no device action is under way (before device 0's first
    # QueueNotify), and 0.
    (notify,) = one(modern, "SELECT min(seq) FROM events WHERE type = 'mmio' AND device = 0 AND reg = 'QueueNotify'")
    (last,) = one(modern, "SELECT max(seq) FROM events")
    for n in (0, notify - 1):
        r, j = replay(vmtrace, modern, "--until", n, expect_rc=0)
        check(j["events_replayed"] == n + 1 and j["events_total"] == n + 1 and j["last_seq"] == n
              and j["divergences"] == 0,
              f"--until {n}: {j['events_replayed']} of {j['events_total']} replayed, last seq {j['last_seq']}, "
              f"{j['divergences']} divergences (expected {n + 1} of {n + 1}, last {n}, none)")
    r, j = replay(vmtrace, modern, "--until", last + 1000, expect_rc=0)
    check(j["events_replayed"] == last + 1, f"--until past the end: {j['events_replayed']} replayed, not {last + 1}")

    # A corrupted read past --until is not looked at.
    db = copy(modern, tmp, "late-bad-read.db")
    (late,) = one(db, "SELECT max(seq) FROM events WHERE type = 'mmio' AND dir = 'R' AND reg = 'InterruptStatus'")
    corrupt_read(db, late)
    replay(vmtrace, db, "--until", late - 1, expect_rc=0)
    replay(vmtrace, db, "--until", late, expect_rc=1)

    # Two corrupted reads: one divergence without --keep-going, both with.
    db = copy(modern, tmp, "two-bad-reads.db")
    seqs = []
    for q in ("reg = 'DeviceFeatures' AND device = 1", "reg = 'InterruptStatus' AND device = 2"):
        (seq,) = one(db, f"SELECT min(seq) FROM events WHERE type = 'mmio' AND dir = 'R' AND {q}")
        corrupt_read(db, seq)
        seqs.append(seq)
    r, j = replay(vmtrace, db, expect_rc=1)
    check(j["divergences"] == 1 and j["stopped_at_first"] and j["first_divergence"]["seq"] == seqs[0],
          f"two corrupted reads, no --keep-going: {j['divergences']} divergences, "
          f"stopped_at_first {j['stopped_at_first']}, first at {j['first_divergence']['seq']} (expected {seqs[0]})")
    r, j = replay(vmtrace, db, "--keep-going", expect_rc=1)
    got = [d["seq"] for d in j["all_divergences"]]
    check(j["divergences"] == 2 and got == seqs and not j["stopped_at_first"]
          and j["events_replayed"] == j["events_total"] and j["first_divergence"]["seq"] == seqs[0],
          f"two corrupted reads at {seqs}, --keep-going: {j['divergences']} divergences at {got}, "
          f"stopped_at_first {j['stopped_at_first']}, {j['events_replayed']} of {j['events_total']} replayed")
    r = vm(vmtrace, "replay", "-q", "-k", db)
    check(r.rc == 1, f"-q -k on two corrupted reads: {r.describe()}")
    print("errors and options: as documented")
    return 0


main(body)
