"""`vmtrace replay` of packed virtqueues (issue 13), without QEMU.

QEMU traces (make_packed.py: the start of a real packed=on boot, blk and
rng requests): the ring copies are sorted into the driver's part (stored
into the emulator's RAM) and the device's (compared), QEMU's fills
followed, its unreported flushes taken at the end of each batch:

- as recorded: exit 0, identical, every event replayed, no device
  unverified, no buffer byte differing, twice alike; cut right after
  rng's first fill (--until 153: the batch still open at the end is
  flushed, as QEMU did at once): identical;
- a torn copy (a ring-copy-torn anomaly on rng at seq 164): exit 0, rng
  unverified from seq 164 (the others verified);
- a used descriptor in a copy other than the emulated device wrote (rng
  slot 1, length 63 for 64): exit 1, a 'used' divergence at seq 164;
- the copy showing blk's third chain gone: exit 1, 'missing' at QEMU's
  fill (seq 109), slot 2;
- a fill at used_pos 1 in a batch of one: exit 2 naming device_steps row
  seq 162 and the device;
- without reports (completion at the notify): exit 0, identical.

Emulator traces (record --emu blk,rng,net,console --packed): exact,
identical."""

import os

from make_packed import make
from replay_lib import check, identical, main, record, replay

HERE = os.path.dirname(os.path.abspath(__file__))
BASE = os.path.join(HERE, "qemu-packed.db.gz")
RNG = "virtio-rng@0xfeb02c00"


def body(vmtrace, samples, tmp, args):
    expect = ("-X", os.path.join(samples, "qemu-linux-modern.expect"))

    def crafted(variant):
        return make(BASE, os.path.join(tmp, f"packed-{variant}.db"), variant)

    ok = crafted("ok")
    r, j = replay(vmtrace, ok, *expect, expect_rc=0)
    identical(j, "QEMU packed trace")
    check(j["devices_unverified"] == 0 and j["unverified"] == 0 and j["last_seq"] == 180,
          f"QEMU packed trace: expected every device verified, no differing byte, up to seq 180: {r.describe()}")
    r2, j2 = replay(vmtrace, ok, *expect, expect_rc=0)
    for k in ("seconds", "milliseconds"):
        j.pop(k, None)
        j2.pop(k, None)
    check(j == j2, "two replays of the same packed trace differ")
    r, j = replay(vmtrace, ok, *expect, "--until", "153", expect_rc=0)
    identical(j, "QEMU packed trace up to rng's first fill")

    r, j = replay(vmtrace, crafted("torn"), *expect, expect_rc=0)
    unv = {d["name"]: d for d in j["devices"] if d.get("unverified_from") is not None}
    check(j["result"] == "identical" and list(unv) == [RNG] and unv[RNG]["unverified_from"] == 164,
          f"torn copy: expected rng alone unverified from seq 164: {r.describe()}")

    r, j = replay(vmtrace, crafted("used-len"), *expect, expect_rc=1)
    d = j["first_divergence"]
    check(d["seq"] == 164 and d["kind"] == "used" and d["device_name"] == RNG and
          "used descriptor at slot 1 (wrap 1)" in d["where"] and d["expected"] == "id 0 len 63" and
          d["actual"] == "id 0 len 64", f"used length changed: expected a used divergence at seq 164: {d}")

    r, j = replay(vmtrace, crafted("missing"), *expect, expect_rc=1)
    d = j["first_divergence"]
    check(d["seq"] == 109 and d["kind"] == "missing" and "used descriptor at slot 2" in d["where"],
          f"chain never shown: expected a missing divergence at seq 109: {d}")

    r, _ = replay(vmtrace, crafted("pos"), *expect, expect_rc=2)
    check("device_steps row seq 162" in r.err and "used_pos 1: not below the flush's count" in r.err and
          RNG in r.err, f"fill past its batch: expected a refusal naming row 162: {r.describe()}")

    r, j = replay(vmtrace, crafted("noreports"), *expect, expect_rc=0)
    identical(j, "QEMU packed trace without reports")

    emu = record(vmtrace, os.path.join(tmp, "emu-packed.db"), "blk,rng,net,console", "--packed")
    r, j = replay(vmtrace, emu, expect_rc=0)
    identical(j, "emulator packed trace")
    check(j["exact"], f"emulator packed trace not exact: {r.describe()}")
    return 0


if __name__ == "__main__":
    main(body)
