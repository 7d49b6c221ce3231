"""`vmtrace replay` following the recorded device's own reports (issue 13):
QEMU completes blk requests out of order (asynchronous I/O), the emulator
in order at the notify.  In a best-effort trace with reports
(device_steps) the emulated device holds each used entry until the
recorded device's fill of the same element (matched by pop order) and
publishes it at the flush, at used_idx + used_pos.

Input: make_reorder.py (samples/qemu-linux-modern.db cut at seq 99, seqs
times 8): the blk device's second and third requests in flight at once,
completed third first (ring[1] id 1, ring[2] id 0), one flush of 2.

- with the reports: exit 0, identical, every event replayed (the ring
  copy at seq 768 matches), twice alike;
- without them (device_steps dropped: today's behaviour for traces
  without reports): exit 1, a 'used' divergence at seq 768, ring[1]
  expected id 1, emulator id 0;
- no flush: the entries stay held and the InterruptStatus read at seq 776
  differs (expected 0x1, emulator 0x0): the interrupt comes at the flush;
- the device uses an element the avail ring copy never showed: a
  'missing' divergence at the flush (seq 750);
- contradicting reports refuse (exit 2) naming the device_steps row: a
  fill of a token never popped (seq 747), used_pos past the ring (747), a
  flush count other than the fills since the last flush (750);
- emulator traces keep the exact path: emu-modern.db replays identically."""

import os

from make_reorder import make
from replay_lib import SKIP, check, identical, main, replay, require_sample


def result(j, what):
    check(j["result"] == "identical" and j["divergences"] == 0,
          f"{what}: expected identical, got {j['result']} with {j['divergences']} divergence(s); "
          f"first: {j.get('first_divergence')}")


def body(vmtrace, samples, tmp, args):
    sample = os.path.join(samples, "qemu-linux-modern.db")
    if not os.path.exists(sample):
        print("samples/qemu-linux-modern.db is not there")
        return SKIP
    expect = ("-X", os.path.join(samples, "qemu-linux-modern.expect"))

    def crafted(variant):
        return make(sample, os.path.join(tmp, f"reorder-{variant}.db"), variant)

    ok = crafted("ok")
    r, j = replay(vmtrace, ok, *expect, expect_rc=0)
    result(j, "reports followed")
    check(j["last_seq"] == 792, f"replayed up to seq {j['last_seq']}, not 792: {r.describe()}")
    r2, j2 = replay(vmtrace, ok, *expect, expect_rc=0)
    for k in ("seconds", "milliseconds"):
        j.pop(k, None)
        j2.pop(k, None)
    check(j == j2, "two replays of the same trace differ")

    # A request's own report the emulated device does not need (a scsi
    # command's, here on a blk device: only a hostile file has it) is
    # passed over like blk-read, not refused.
    r, j = replay(vmtrace, crafted("scsi-on-blk"), *expect, expect_rc=0)
    result(j, "a scsi-cmd report on a blk device")

    r, j = replay(vmtrace, crafted("noreports"), *expect, expect_rc=1)
    d = j["first_divergence"]
    check(d["seq"] == 768 and d["kind"] == "used" and "ring[1]" in d["where"] and
          d["expected"] == "id 1 len 4097" and d["actual"] == "id 0 len 4097",
          f"without reports: expected a used divergence at seq 768, ring[1] id 1 / id 0: {d}")

    r, j = replay(vmtrace, crafted("noflush"), *expect, expect_rc=1)
    d = j["first_divergence"]
    check(d["seq"] == 776 and d["kind"] == "read" and "InterruptStatus" in d["where"],
          f"no flush: expected the InterruptStatus read at seq 776 to differ: {d}")

    r, j = replay(vmtrace, crafted("unknown-chain"), *expect, expect_rc=1)
    d = j["first_divergence"]
    check(d["seq"] == 750 and d["kind"] == "missing" and "used ring of queue 0" in d["where"],
          f"an element the emulator never took: expected a missing divergence at seq 750: {d}")

    for variant, seq, why in (("fill-no-pop", 747, "token 0xdead was not popped"),
                              ("pos-past", 747, "used_pos 5000 lies past the ring of 1024"),
                              ("count", 750, "flush of 1 entries, 2 filled since the last flush")):
        r, _ = replay(vmtrace, crafted(variant), *expect, expect_rc=2)
        check(f"device_steps row seq {seq}" in r.err and why in r.err and "virtio-blk@0xfeb02e00" in r.err,
              f"{variant}: expected a refusal naming device_steps row seq {seq} ({why}): {r.describe()}")

    r, j = replay(vmtrace, require_sample(samples, "emu-modern.db"), expect_rc=0)
    identical(j, "emu-modern.db")
    return 0


if __name__ == "__main__":
    main(body)
