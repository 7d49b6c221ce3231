"""Golden replay: samples/NAME.db replays with no divergence, every event
replayed, declarations taken from samples/NAME.expect when it exists.

    golden.py VMTRACE SAMPLES_DIR NAME [--skip-if-missing]

A schema change makes the samples unreadable and this test fail:
regenerate them with the commands in samples/README.md."""

import os

from replay_lib import SKIP, check, identical, main, one, replay, vm


def body(vmtrace, samples, tmp, args):
    name = args[0]
    db = os.path.join(samples, name + ".db")
    expect = os.path.join(samples, name + ".expect")
    if not os.path.exists(db):
        if "--skip-if-missing" in args:
            print(f"skip: {db} not provided yet (see samples/README.md)")
            return SKIP
        check(False, f"{db} is missing (samples/README.md says how to make it)")
    opts = ["--expect-file", expect] if os.path.exists(expect) else []

    r, j = replay(vmtrace, db, *opts)
    check(r.rc == 0, f"expected exit 0 (identical): {r.describe()}")
    identical(j, db)
    # The replay saw the whole file: events_total is the trace's own count.
    (last,) = one(db, "SELECT max(seq) FROM events")
    check(j["events_total"] == last + 1 and j["last_seq"] == last,
          f"{db}: replay says {j['events_total']} events ending at {j['last_seq']}, "
          f"the file has seq 0..{last}")
    (source,) = one(db, "SELECT value FROM meta WHERE key = 'source'")
    check(j["source"] == source, f"{db}: source {j['source']!r}, meta says {source!r}")
    check(j["exact"] == (source == "emu"), f"{db}: exact={j['exact']} for a {source} trace")
    check(all(d["model"] for d in j["devices"]) if source == "emu" else any(d["model"] for d in j["devices"]),
          f"{db}: devices without a model: {j['devices']}")
    if source == "emu":
        check(j["declared"] == 0 and j["unverified"] == 0,
              f"{db}: an emulator trace needs no declarations: declared={j['declared']} "
              f"unverified={j['unverified']}")

    # The human-readable form says the same.
    r = vm(vmtrace, "replay", "-q", *opts, db)
    check(r.rc == 0 and "identical" in r.out + r.err, f"without --json: {r.describe()}")
    print(f"{name}: identical, {j['events_replayed']} events, {j['declared']} declared, "
          f"{j['unverified']} unverified, {j['milliseconds']} ms")
    return 0


main(body)
