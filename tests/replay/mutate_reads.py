"""Mutation 1: change the value recorded for one register read in a copy
of a sample; the replay must exit 1 and report exactly that read: its
seq, kind "read", its device, expected == the corrupted value (what the
trace now says) and actual == the original (what the emulator returns).

Config reads: the first read of a blk device's capacity and of a net
device's MAC and MTU configure the replayed device (replay/setup.c,
model_opts), so a corrupted one only replays another disk size or MAC;
the read corrupted here is blk_size (Config+0x14), which configures
nothing."""

from replay_lib import check, copy, corrupt_read, first_div, main, one, replay, require_sample

# (sample, what, WHERE clause on events picking the read, OFFSET among them)
CASES = [
    ("emu-modern.db", "the 3rd Status read", "reg = 'Status'", 2),
    ("emu-modern.db", "the 1st InterruptStatus read", "reg = 'InterruptStatus'", 0),
    ("emu-modern.db", "an InterruptStatus read of the net device", "reg = 'InterruptStatus' AND device = 1", 1),
    ("emu-modern.db", "the blk blk_size read", "reg = 'Config+0x14' AND device = 0", 0),
    ("emu-modern.db", "the 2nd DeviceFeatures read (word 1)", "reg = 'DeviceFeatures'", 1),
    ("emu-modern.db", "the rng DeviceFeatures word 0 read", "reg = 'DeviceFeatures' AND device = 3", 0),
    ("emu-legacy.db", "the 3rd Status read", "reg = 'Status'", 2),
    ("emu-legacy.db", "the 1st InterruptStatus read", "reg = 'InterruptStatus'", 0),
    ("emu-legacy.db", "the blk blk_size read", "reg = 'Config+0x14' AND device = 0", 0),
    ("emu-legacy.db", "the 1st HostFeatures read", "reg = 'HostFeatures'", 0),
]


def body(vmtrace, samples, tmp, args):
    for n, (sample, what, where, offset) in enumerate(CASES):
        db = copy(require_sample(samples, sample), tmp, f"read{n}.db")
        seq, device, reg = one(db, f"SELECT seq, device, reg FROM events WHERE type = 'mmio' AND dir = 'R' "
                                   f"AND {where} ORDER BY seq LIMIT 1 OFFSET {offset}")
        orig, bad = corrupt_read(db, seq)
        label = f"{sample}, {what} (seq {seq}, {reg} 0x{orig:x} -> 0x{bad:x})"

        r, j = replay(vmtrace, db)
        check(r.rc == 1, f"{label}: expected exit 1 (diverged): {r.describe()}")
        d = first_div(j)
        got = {k: d.get(k) for k in ("seq", "device", "kind", "where", "expected", "actual")}
        check(j["result"] == "diverged" and j["divergences"] == 1 and j["stopped_at_first"],
              f"{label}: result {j['result']}, {j['divergences']} divergences, "
              f"stopped_at_first {j['stopped_at_first']}")
        check(d["seq"] == seq and d["kind"] == "read" and d["device"] == device,
              f"{label}: expected a read divergence at seq {seq} on device {device}, got {got}")
        check(d["expected"] == bad and d["actual"] == orig,
              f"{label}: expected expected=0x{bad:x} (recorded) actual=0x{orig:x} (emulator), got {got}")
        check(d["where"].split(" ")[0] == reg, f"{label}: where {d['where']!r} does not name {reg}")
        check(d["events"] and d["events"][-1]["seq"] == seq,
              f"{label}: the events shown do not end at the divergence: {d['events']}")
        check(j["last_seq"] == seq, f"{label}: stopped at seq {j['last_seq']}, not at the divergence")
        print(f"{label}: diverged at seq {d['seq']}, {d['where']}")
    return 0


main(body)
