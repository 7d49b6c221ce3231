#!/usr/bin/env python3
"""Check a decoded trace of the kvmhost guest (tests/kvmhost/guest/).

    check_trace.py DB INFO_JSON modern|legacy [--requests required|if-memory]
                   [--mmio N]

Every device reached ACKNOWLEDGE|DRIVER|(FEATURES_OK)|DRIVER_OK with the
features the guest accepts, queues of 16, no violation, nothing lost; the
guest's requests are there with the bytes it sent (values from kh_abi.h).
With --requests if-memory the request checks run only if the trace holds
guest memory (a capture that takes no ring copies decodes no requests).
--mmio N: the trace holds exactly N MMIO events.  Exit 0 or 1."""
import argparse
import json
import sqlite3
import sys

# kh_abi.h and the guest's feature choices (guest/work_*.c).
MMIO_BASE, STRIDE = 0x10000000, 0x200
BLK_SECTOR = 7
BLK_PATTERN = bytes((i * 7 + 0x5A) & 0xFF for i in range(512))
NET_ETHERTYPE, NET_FRAME_LEN = 0x88B5, 64
CONSOLE_LINE = b"kvmhost guest: hello on port 0\n"
RNG_BYTES = 32
VERSION_1 = 1 << 32
DEVICES = [  # name, device id, features wanted (bits 0..31), queues
    ("blk", 2, (1 << 9) | (1 << 6), 1),
    ("net", 1, (1 << 5) | (1 << 16), 2),
    ("console", 3, 1 << 0, 2),
    ("rng", 4, 0, 1),
]


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("db")
    ap.add_argument("info")
    ap.add_argument("layout", choices=["modern", "legacy"])
    ap.add_argument("--requests", choices=["required", "if-memory"], default="required")
    ap.add_argument("--mmio", type=int)
    a = ap.parse_args()

    fails = []

    def check(cond, what):
        print(("ok: " if cond else "FAIL: ") + what)
        if not cond:
            fails.append(what)

    info = json.load(open(a.info))
    db = sqlite3.connect(a.db)
    q = lambda sql, *args: db.execute(sql, args).fetchall()
    modern = a.layout == "modern"

    check(info["complete"], "the trace was closed cleanly")
    check(info["lost"] == 0, f"{info['lost']} events lost")
    check(info["violations"] == 0, f"{info['violations']} violations")
    for r in q("SELECT seq, rule, message FROM violations LIMIT 10"):
        print("   ", r)
    if a.mmio is not None:
        n = q("SELECT count(*) FROM events WHERE type = 'mmio'")[0][0]
        check(n == a.mmio, f"{n} MMIO events, kvmhost served {a.mmio}")

    devs = info["devices"]
    check(len(devs) == len(DEVICES), f"{len(devs)} devices in the trace")
    want_status = {"ACKNOWLEDGE", "DRIVER", "DRIVER_OK"} | ({"FEATURES_OK"} if modern else set())
    for i, (name, dev_id, want_lo, n_queues) in enumerate(DEVICES):
        base = "0x%x" % (MMIO_BASE + i * STRIDE)
        d = next((d for d in devs if d["base"] == base), None)
        check(d is not None, f"virtio-{name} at {base} is in the trace")
        if d is None:
            continue
        label = f"virtio-{name}@{base}"
        check(d["device_id"] == dev_id, f"{label}: device id {d['device_id']}")
        check(d["version"] == (2 if modern else 1), f"{label}: Version {d['version']} ({a.layout})")
        reached = set(d.get("status_reached", d["status"]).split("|"))
        check(reached == want_status, f"{label}: status reached {'|'.join(sorted(reached))}")
        check(set(d["status"].split("|")) == want_status, f"{label}: final status {d['status']}")
        offered = int(d["features_offered"], 16)
        want = (want_lo & offered) | (VERSION_1 if modern else 0)
        check(int(d["features_negotiated"], 16) == want,
              f"{label}: negotiated {d['features_negotiated']} (want 0x{want:x})")
        sizes = [qq["size"] for qq in d["queues"]]
        check(sizes == [16] * n_queues, f"{label}: queue sizes {sizes}")
        check(d["violations"] == 0, f"{label}: {d['violations']} violations")

    mem = q("SELECT count(*) FROM events WHERE type = 'mem'")[0][0]
    if a.requests == "if-memory" and mem == 0:
        print("note: the trace holds no guest memory, so no requests can be decoded: not checked")
        sys.exit(1 if fails else 0)

    digest = fnv1a64(BLK_PATTERN)
    rows = q("SELECT status, digest FROM requests WHERE kind = 'blk' AND op = 'out' AND sector = ? AND length = 512",
             BLK_SECTOR)
    check(rows == [(0, digest)], f"blk: the pattern written to sector {BLK_SECTOR}, status OK, digest {digest} ({rows})")
    rows = q("SELECT status, digest FROM requests WHERE kind = 'blk' AND op = 'in' AND sector = ? "
             "AND seq_used IS NOT NULL", BLK_SECTOR)
    check(rows == [(0, digest)], f"blk: sector {BLK_SECTOR} read back with the same bytes ({rows})")
    rows = q("SELECT status FROM requests WHERE kind = 'blk' AND op = 'flush'")
    check(rows == [(0,)], f"blk: one flush, status OK ({rows})")

    for kind in ("net-tx", "net-rx"):
        rows = q("SELECT r.length, f.ethertype, r.seq_used IS NOT NULL FROM requests r JOIN net_frames f USING (request) "
                 "WHERE r.kind = ?", kind)
        check(rows == [(NET_FRAME_LEN, NET_ETHERTYPE, 1)], f"{kind}: one {NET_FRAME_LEN}-byte frame of type "
              f"0x{NET_ETHERTYPE:04x}, completed ({rows})")
    rows = q("SELECT DISTINCT digest FROM requests WHERE kind IN ('net-tx', 'net-rx')")
    check(len(rows) == 1, f"net: the frame received is the frame sent ({rows})")

    for kind in ("console-tx", "console-rx"):
        rows = q("SELECT length, data FROM requests WHERE kind = ? AND seq_used IS NOT NULL", kind)
        check(len(rows) == 1 and rows[0][0] == len(CONSOLE_LINE) and bytes(rows[0][1] or b"") == CONSOLE_LINE,
              f"{kind}: the line {CONSOLE_LINE!r} ({[(r[0], r[1] and bytes(r[1])) for r in rows]})")

    rows = q("SELECT length FROM requests WHERE kind = 'rng' AND seq_used IS NOT NULL")
    check(rows == [(RNG_BYTES,)], f"rng: {RNG_BYTES} bytes asked for and answered ({rows})")
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
