"""Traces recorded now with `vmtrace record --emu` replay identically:
several device mixes (one of each, repeats, another order), both register
layouts, the default and a bigger workload, without indirect descriptors
and event index, and another seed."""

import os

from replay_lib import check, identical, main, record, replay

BIG = "blk:sectors=512,requests=64;net:frames=256;rng:requests=64"

CASES = [
    ("blk", []),
    ("net", []),
    ("console", []),
    ("rng", ["--seed", "7"]),
    ("blk,blk,net,net", []),
    ("rng,console,net,blk", []),
    ("blk,net,console,rng", ["-w", BIG]),
    ("blk,net,console,rng", ["--no-indirect", "--no-event-idx", "-w", "queue:size=8"]),
]


def body(vmtrace, samples, tmp, args):
    n = 0
    for devices, opts in CASES:
        for layout in ([], ["--legacy"]):
            what = f"record --emu {devices} {' '.join(layout + opts)}".strip()
            db = record(vmtrace, os.path.join(tmp, f"fresh{n}.db"), devices, *layout, *opts)
            n += 1
            r, j = replay(vmtrace, db)
            check(r.rc == 0, f"{what}: expected exit 0: {r.describe()}")
            identical(j, what)
            check(j["exact"] and j["source"] == "emu", f"{what}: source {j['source']}, exact {j['exact']}")
            print(f"{what}: identical, {j['events_total']} events")
    return 0


main(body)
