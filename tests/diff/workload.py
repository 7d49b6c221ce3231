"""Two emulator runs that differ in one thing: the diff says which
devices differ and where they part, as worked out from the files alone.

- blk:sectors=32 against 64, and net:frames=8 against 16: exit 1; the
  changed device diverges first at the first item of its streams that
  differs (the register accesses compared in lockstep, ring addresses by
  ordinal; or the first differing request of a queue); the other devices
  are the same; the set-up phase aligned (no register segment before
  DRIVER_OK) and the segments hold about what really differs, not
  everything from the first request on.
- --no-event-idx against the default, and --legacy against modern:
  exit 1, each device diverges in its set-up, and the requests summary
  has the files' counts per queue and kind, equal on both sides for blk
  (the pattern written and read back aligns)."""

from diff_lib import brief, check, devices, diff, main, record
from expect import (Streams, check_first_divergence, check_request_summary, check_results, check_segments_close,
                    check_setup_aligned, stream_differences)

ALL = "blk,net,console,rng"


def pairs_of(a, b):
    da, db_ = devices(a), devices(b)
    check([x[3] for x in da] == [x[3] for x in db_], f"{a} and {b} hold different device types: {da} {db_}")
    return [(Streams(a, x[0]), Streams(b, y[0])) for x, y in zip(da, db_)]


def entry(j, a):
    return next(e for e in j["devices"] if e["a"] is not None and e["a"]["device"] == a.device)


def workload_case(vmtrace, tmp, name, changed, spec_a, spec_b):
    a = record(vmtrace, f"{tmp}/{name}-a.db", ALL, "-w", spec_a)
    b = record(vmtrace, f"{tmp}/{name}-b.db", ALL, "-w", spec_b)
    label = f"{spec_a} vs {spec_b}"
    pairs = pairs_of(a, b)
    differ = [x.device for x, y in pairs if stream_differences(x, y)]
    check(differ == [changed], f"{label}: the recordings should differ in device {changed} only, they differ in "
                               f"{differ} (the emulator's workloads changed?)")
    r, j = diff(vmtrace, a, b, expect_rc=1)
    check_results(j, pairs, label)
    x, y = pairs[changed]
    d = entry(j, x)
    stream = check_first_divergence(d, x, y, label)
    check_setup_aligned(d, x, y, label)
    least, total = check_segments_close(d, x, y, label)
    fd = d["first_divergence"]
    print(f"{label}: {d['a']['name']} first diverges in {stream} ({fd['kind']} at seq {fd['seq_a']}/{fd['seq_b']}: "
          f"{fd['a']!r} / {fd['b']!r}); register segments {total} events, at least {least}; "
          f"{len(d['segments'])} segments")
    return j, pairs


def setup_case(vmtrace, tmp, name, opts_a, opts_b):
    a = record(vmtrace, f"{tmp}/{name}-a.db", ALL, *opts_a)
    b = record(vmtrace, f"{tmp}/{name}-b.db", ALL, *opts_b)
    label = f"{' '.join(opts_a) or 'default'} vs {' '.join(opts_b)}"
    pairs = pairs_of(a, b)
    r, j = diff(vmtrace, a, b, expect_rc=1)
    check_results(j, pairs, label)
    for x, y in pairs:
        d = entry(j, x)
        if d["result"] == "same":
            continue
        stream = check_first_divergence(d, x, y, f"{label} {d['a']['name']}", want_stream="registers")
        fd = d["first_divergence"]
        # Set-up: before this device's DRIVER_OK.
        (ok,) = [s for s, k in x.registers if k[:3] == ("mmio", "W", "Status") and k[4] & 4][:1] or [None]
        check(ok is not None and fd["seq_a"] is not None and fd["seq_a"] < ok,
              f"{label} {d['a']['name']}: expected a divergence in the set-up (before DRIVER_OK at {ok}): {brief(fd)}")
        kinds = [(q, k) for q, k in {(r["queue"], r["kind"]) for r in d["requests"]} if k.startswith("blk")]
        check_request_summary(d, x, y, f"{label} {d['a']['name']}", equal_kinds=kinds)
        print(f"{label}: {d['a']['name']} diverges in {stream} at seq {fd['seq_a']}: {fd['a']!r} / {fd['b']!r}; "
              f"requests {[(r['queue'], r['kind'], r['count_a'], r['count_b']) for r in d['requests']]}")
    blk = entry(j, pairs[0][0])
    check(blk["a"]["type"] == "block" and any(r["kind"] == "blk out" for r in blk["requests"]),
          f"{label}: the blk device's requests summary has no 'blk out' row: {brief(blk)}")
    # The pattern written aligns: the same writes (sector, length, data) on both sides.
    wa = [k for it, k in pairs[0][0].requests[0] if it["op"] == "out"]
    wb = [k for it, k in pairs[0][1].requests[0] if it["op"] == "out"]
    check(wa == wb and wa, f"{label}: the blk writes differ between the recordings: {wa} {wb}")
    check(not any(s["stream"] == "q0 requests" for s in blk["segments"]),
          f"{label}: the blk requests are equal, yet there is a q0 requests segment: {brief(blk['segments'])}")


def body(vmtrace, samples, tmp, args):
    j, pairs = workload_case(vmtrace, tmp, "blk", 0, "blk:sectors=32", "blk:sectors=64")
    d = entry(j, pairs[0][0])
    check(d["first_divergence"]["stream"] == "q0 requests",
          f"blk:sectors 32 vs 64: the register accesses are equal, the requests differ: {brief(d)}")
    setup_case(vmtrace, tmp, "eventidx", [], ["--no-event-idx"])
    setup_case(vmtrace, tmp, "legacy", [], ["--legacy"])
    workload_case(vmtrace, tmp, "net", 1, "net:frames=8", "net:frames=16")
    return 0


main(body)
