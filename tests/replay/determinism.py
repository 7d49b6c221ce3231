"""Replaying the same trace twice gives the same JSON, apart from the
"milliseconds" key: for a sample that matches, and for a copy with two
corrupted reads replayed with --keep-going (the divergence reports, their
notes and event context, must be stable too)."""

import json

from replay_lib import check, copy, corrupt_read, main, one, replay, require_sample


def twice(vmtrace, db, *opts):
    outs = []
    for _ in range(2):
        r, j = replay(vmtrace, db, *opts)
        check(r.rc in (0, 1), f"replay failed: {r.describe()}")
        check("milliseconds" in j, f"no milliseconds key in {r.out[:500]}")
        del j["milliseconds"]
        outs.append(j)
    a, b = (json.dumps(o, indent=1, sort_keys=True).splitlines() for o in outs)
    if a != b:
        diff = [f"  1st: {x}\n  2nd: {y}" for x, y in zip(a, b) if x != y][:5]
        check(False, f"{db} {' '.join(opts)}: two replays differ:\n" + "\n".join(diff))
    return outs[0]


def body(vmtrace, samples, tmp, args):
    for name in ("emu-modern.db", "emu-legacy.db"):
        j = twice(vmtrace, require_sample(samples, name))
        check(j["result"] == "identical", f"{name}: {j['result']}")

    db = copy(require_sample(samples, "emu-modern.db"), tmp, "two-bad-reads.db")
    for q in ("reg = 'InterruptStatus'", "reg = 'Status' AND device = 2"):
        (seq,) = one(db, f"SELECT min(seq) FROM events WHERE type = 'mmio' AND dir = 'R' AND {q}")
        corrupt_read(db, seq)
    j = twice(vmtrace, db, "--keep-going")
    check(j["divergences"] == 2, f"two corrupted reads: {j['divergences']} divergences")
    print("deterministic: both samples and a diverging copy")
    return 0


main(body)
