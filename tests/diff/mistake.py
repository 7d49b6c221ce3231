"""One driver mistake injected into a copy of a fresh emulator trace
(SQL on the events table, as tests/replay/mutate_drop.py does): the diff
of the clean trace against the mutated one exits 1, names the device, and
diverges first exactly at the mutated event.

(a) "FEATURES_OK not re-read": the Status read right after the Status
    write that sets FEATURES_OK is deleted: a removed event at its seq.
(b) "QueueReady too early": the QueueReady=1 write of queue 0 and the
    QueueNum write before it swap register, offset and value (the queue
    goes live before its size and rings are set).  QueueReady writes are
    anchors, so the two QueueReady writes align and the accesses between
    QueueNum and QueueReady in A are the first divergence: removed at A's
    QueueNum seq, and the same accesses inserted after B's QueueReady.
Every other device is the same."""

from diff_lib import brief, check, copy, devices, diff, main, one, record, sql
from expect import Streams, check_results

FEATURES_OK = 0x8


def drop(db, seq):
    sql(db, "DELETE FROM events WHERE seq = ?", (seq,))
    sql(db, "DELETE FROM memory WHERE seq = ?", (seq,))


def compare(vmtrace, clean, bad, label):
    pairs = [(Streams(clean, x[0]), Streams(bad, x[0])) for x in devices(clean)]
    r, j = diff(vmtrace, clean, bad, expect_rc=1)
    check_results(j, pairs, label)
    d = [e for e in j["devices"] if e["result"] != "same"]
    check(len(d) == 1, f"{label}: expected one device different: {brief(j['devices'])}")
    return d[0]


FIRSTS = []  # (label, clean, bad, the first divergence without --first)


def same_with_first(vmtrace):
    """--first stops at the same first divergence (docs/diff.md: "stop at
    the first divergence: no segments, no summaries")."""
    for label, clean, bad, fd in FIRSTS:
        r, j = diff(vmtrace, clean, bad, "--first", expect_rc=1)
        d = [e for e in j["devices"] if e["result"] != "same"]
        keys = ("kind", "stream", "seq_a", "seq_b", "a", "b")
        got = d and {k: d[0]["first_divergence"].get(k) for k in keys}
        check(got == {k: fd.get(k) for k in keys},
              f"{label} --first: expected the same first divergence as without it, {[fd.get(k) for k in keys]}, "
              f"got {got}")


def features_ok_not_reread(vmtrace, clean, tmp, device):
    bad = copy(clean, tmp, f"no-reread-{device}.db")
    (write,) = one(bad, "SELECT min(seq) FROM events WHERE device = ? AND type = 'mmio' AND reg = 'Status' "
                        "AND dir = 'W' AND (value & ?) != 0", (device, FEATURES_OK))
    (read,) = one(bad, "SELECT min(seq) FROM events WHERE device = ? AND type = 'mmio' AND seq > ?", (device, write))
    check(one(bad, "SELECT reg, dir FROM events WHERE seq = ?", (read,)) == ("Status", "R"),
          f"the sample changed: the access after the FEATURES_OK write (seq {write}) is not a Status read")
    drop(bad, read)
    label = f"Status read at seq {read} deleted (device {device})"
    d = compare(vmtrace, clean, bad, label)
    fd = d["first_divergence"]
    got = {k: fd.get(k) for k in ("kind", "stream", "seq_a", "seq_b", "a", "b")}
    check(d["a"]["device"] == device, f"{label}: the diff names device {d['a']['name']}")
    check(fd["kind"] == "removed" and fd["stream"] == "registers" and fd["seq_a"] == read and fd["seq_b"] is None,
          f"{label}: expected a removed register access at seq_a {read} (seq_b null), got {got}")
    check("Status" in fd["a"] and fd["b"] is None, f"{label}: expected a = the Status read, b null: {got}")
    segs = [(s["kind"], s.get("a_from"), s.get("a_to"), s.get("b_after")) for s in d["segments"]]
    check(segs == [("removed", read, read, write)],
          f"{label}: expected one segment, removed {read}..{read} after B's seq {write}, got {segs}")
    FIRSTS.append((label, clean, bad, fd))
    print(f"{label}: {d['a']['name']}: {fd['kind']} at seq {fd['seq_a']}: {fd['a']}")


def queue_ready_early(vmtrace, clean, tmp, device):
    bad = copy(clean, tmp, f"ready-early-{device}.db")
    (ready,) = one(bad, "SELECT min(seq) FROM events WHERE device = ? AND type = 'mmio' AND reg = 'QueueReady' "
                        "AND dir = 'W' AND value = 1", (device,))
    (num,) = one(bad, "SELECT max(seq) FROM events WHERE device = ? AND type = 'mmio' AND reg = 'QueueNum' "
                      "AND dir = 'W' AND seq < ?", (device, ready))
    ra = one(bad, "SELECT offset, reg, value FROM events WHERE seq = ?", (ready,))
    na = one(bad, "SELECT offset, reg, value FROM events WHERE seq = ?", (num,))
    sql(bad, "UPDATE events SET offset = ?, reg = ?, value = ? WHERE seq = ?", (*ra, num))
    sql(bad, "UPDATE events SET offset = ?, reg = ?, value = ? WHERE seq = ?", (*na, ready))
    label = f"QueueReady=1 (seq {ready}) swapped with QueueNum (seq {num}) (device {device})"
    d = compare(vmtrace, clean, bad, label)
    fd = d["first_divergence"]
    got = {k: fd.get(k) for k in ("kind", "stream", "seq_a", "seq_b", "a", "b")}
    check(d["a"]["device"] == device, f"{label}: the diff names device {d['a']['name']}")
    check(fd["kind"] == "removed" and fd["stream"] == "registers" and fd["seq_a"] == num,
          f"{label}: expected a removed register access at seq_a {num} (A's QueueNum write; the QueueReady "
          f"writes are anchors and align), got {got}")
    check("QueueNum" in fd["a"], f"{label}: expected a = A's QueueNum write: {got}")
    removed = [seq for seq, _ in Streams(clean, device).registers if num <= seq < ready]
    inserted = [seq for seq, _ in Streams(bad, device).registers if num < seq <= ready]
    segs = [(s["kind"], s.get("a_from"), s.get("a_to"), s.get("events_a"), s.get("b_from"), s.get("b_to"),
             s.get("events_b")) for s in d["segments"]]
    want = [("removed", removed[0], removed[-1], len(removed), None, None, 0),
            ("inserted", None, None, 0, inserted[0], inserted[-1], len(inserted))]
    check(segs == want, f"{label}: expected segments (kind, a_from, a_to, events_a, b_from, b_to, events_b) {want}, "
                        f"got {segs}")
    FIRSTS.append((label, clean, bad, fd))
    print(f"{label}: {d['a']['name']}: {fd['kind']} at seq {fd['seq_a']}: {fd['a']}; segments {segs}")


def body(vmtrace, samples, tmp, args):
    clean = record(vmtrace, f"{tmp}/clean.db", "blk,net,console,rng")
    features_ok_not_reread(vmtrace, clean, tmp, 0)
    features_ok_not_reread(vmtrace, clean, tmp, 2)
    queue_ready_early(vmtrace, clean, tmp, 0)
    queue_ready_early(vmtrace, clean, tmp, 3)
    same_with_first(vmtrace)
    return 0


main(body)
