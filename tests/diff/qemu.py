"""Real Linux boots under QEMU (TCG), recorded with `vmtrace record --`
as tests/qemu/guest_record.sh does: three boots, two modern and one
legacy (about 12 s each here).

- modern against modern (the same command twice): each device's result
  is what the two files say (diff_lib's independent reading); every
  difference is printed with its stream and place; blk and console are
  expected the same (the guest's disk and console work is fixed), rng
  and net may differ (the kernel's entropy reads follow timing; DHCP and
  IPv6 traffic carry random ids and timers).  With
  qemu-boot-to-boot.expect (next to this script) the diff exits 0
  whenever blk and console are the same.
- legacy against modern: exit 1, every device diverges in its set-up
  (register accesses, before DRIVER_OK), and blk's requests align: the
  guest's pattern written at sector 2048 and read back is the same
  request on both sides, with the files' counts in the requests summary
  and no blk requests segment.

Skips (77) only when qemu-system-x86_64 is not installed."""

import os
import shutil
import subprocess
import time

from diff_lib import SKIP, brief, check, devices, diff, first_difference, main, same_request
from expect import (Streams, check_first_divergence, check_request_summary, check_results, describe_difference,
                    stream_differences)

HERE = os.path.dirname(os.path.abspath(__file__))
EXPECT = os.path.join(HERE, "qemu-boot-to-boot.expect")
STABLE = ("block", "console")
PATTERN_SECTOR = 2048  # tests/qemu/guest-cmd.sh: the guest writes its pattern there


def boot(vmtrace, top, kit, tmp, name, layout):
    work = os.path.join(tmp, name)
    cmd = subprocess.run([os.path.join(top, "tests/qemu/guest-cmd.sh"), "--argv", kit, work, layout],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    db = os.path.join(tmp, name + ".db")
    start = time.monotonic()
    with open(os.path.join(tmp, name + ".serial"), "w") as serial:
        proc = subprocess.run(["timeout", "-k", "10", "600", vmtrace, "record", "-q", "-f", "-o", db, "--"] + cmd,
                              stdin=subprocess.DEVNULL, stdout=serial, stderr=subprocess.PIPE, text=True)
    check(proc.returncode == 0, f"recording the {layout} boot exited {proc.returncode}: {proc.stderr[-2000:]}")
    with open(os.path.join(tmp, name + ".serial"), errors="replace") as fh:
        check("VMTGUEST" in fh.read(), f"the {layout} guest printed no VMTGUEST report")
    print(f"{name}: {layout} boot recorded in {time.monotonic() - start:.0f} s")
    return db


def pairs_of(a, b):
    da, db_ = devices(a), devices(b)
    check([x[3] for x in da] == [x[3] for x in db_], f"the boots found different devices: {da} {db_}")
    return [(Streams(a, x[0]), Streams(b, y[0])) for x, y in zip(da, db_)]


def boot_to_boot(vmtrace, a, b):
    pairs = pairs_of(a, b)
    r, j = diff(vmtrace, a, b)
    check(r.rc in (0, 1), f"diff of two boots: {r.describe()}")
    check_results(j, pairs, "two modern boots")
    unstable = []
    for x, y in pairs:
        d = next(e for e in j["devices"] if e["a"]["device"] == x.device)
        if d["result"] == "same":
            print(f"boot to boot: {d['a']['name']}: same")
            continue
        fd = d["first_divergence"]
        check_first_divergence(d, x, y, f"two modern boots, {d['a']['name']}")
        print(f"boot to boot: {d['a']['name']} ({d['a']['type']}) differs: first {fd['kind']} in {fd['stream']} at "
              f"seq {fd['seq_a']}/{fd['seq_b']}: {fd['a']!r} / {fd['b']!r}")
        for s, v in stream_differences(x, y).items():
            print(f"    {describe_difference(s, v)}")
        for s in d["segments"]:
            print(f"    segment {s['kind']} {s['stream']}: a {s.get('a_from')}..{s.get('a_to')} ({s['events_a']}) "
                  f"b {s.get('b_from')}..{s.get('b_to')} ({s['events_b']})")
        print(f"    requests {[(q['queue'], q['kind'], q['count_a'], q['count_b']) for q in d['requests']]}")
        unstable.append(d["a"]["type"])
    r, j = diff(vmtrace, a, b, "-X", EXPECT)
    want = 1 if any(t in STABLE for t in unstable) else 0
    check(r.rc == want, f"two modern boots with {os.path.basename(EXPECT)}: expected exit {want} (differing: "
                        f"{unstable}): {r.describe()}")
    print(f"boot to boot with {os.path.basename(EXPECT)}: exit {r.rc}; declared "
          f"{[(x['declaration'], x['covered']) for x in j['declared']]}")
    check(not any(t in STABLE for t in unstable), f"two boots of the same command differ in {unstable}")


def legacy_modern(vmtrace, legacy, modern):
    pairs = pairs_of(legacy, modern)
    r, j = diff(vmtrace, legacy, modern, expect_rc=1)
    check_results(j, pairs, "legacy vs modern boot")
    for x, y in pairs:
        d = next(e for e in j["devices"] if e["a"]["device"] == x.device)
        label = f"legacy vs modern, {d['a']['name']}"
        check(d["result"] == "different", f"{label}: the layouts differ, yet: {brief(d)}")
        check_first_divergence(d, x, y, label, want_stream="registers")
        fd = d["first_divergence"]
        ok = min(s for s, k in x.registers if k[:3] == ("mmio", "W", "Status") and k[4] & 4)
        check(fd["seq_a"] < ok, f"{label}: expected a divergence in the set-up (before DRIVER_OK at {ok}): "
                                f"{brief(fd)}")
        print(f"{label}: {fd['kind']} at seq {fd['seq_a']}/{fd['seq_b']}: {fd['a']!r} / {fd['b']!r}")
        if d["a"]["type"] != "block":
            continue
        keys = {(q, k) for q, k in ((r_["queue"], r_["kind"]) for r_ in d["requests"])}
        check_request_summary(d, x, y, label, equal_kinds=sorted(keys))
        wa = [k for it, k in x.requests.get(0, []) if it["op"] == "out" and it["sector"] == PATTERN_SECTOR]
        wb = [k for it, k in y.requests.get(0, []) if it["op"] == "out" and it["sector"] == PATTERN_SECTOR]
        check(len(wa) == 1 and len(wb) == 1 and same_request(wa[0], wb[0]), f"{label}: the pattern write at sector {PATTERN_SECTOR}: {wa} / {wb}")
        if first_difference(x.requests.get(0, []), y.requests.get(0, []), same_request) is None:
            check(not any(s["stream"] == "q0 requests" for s in d["segments"]),
                  f"{label}: the blk requests are equal, yet: {brief(d['segments'])}")
        print(f"{label}: requests {[(q['queue'], q['kind'], q['count_a'], q['count_b']) for q in d['requests']]}")


def body(vmtrace, samples, tmp, args):
    top, kit = os.path.dirname(os.path.abspath(samples)), args[0]
    if shutil.which("qemu-system-x86_64") is None:
        print("SKIP: qemu-system-x86_64 is not installed (Debian package qemu-system-x86)")
        return SKIP
    vmtrace = os.path.abspath(vmtrace)
    os.makedirs(kit, exist_ok=True)
    with open(os.path.join(kit, ".lock"), "a") as lock:
        k = subprocess.run(["flock", lock.name, os.path.join(top, "scripts/guest-kit.sh"), kit],
                           capture_output=True, text=True)
    check(k.returncode == 0, f"cannot build the guest kit in {kit}: {k.stdout[-2000:]}{k.stderr[-2000:]}")
    start = time.monotonic()
    m1 = boot(vmtrace, top, kit, tmp, "modern-1", "modern")
    m2 = boot(vmtrace, top, kit, tmp, "modern-2", "modern")
    l1 = boot(vmtrace, top, kit, tmp, "legacy-1", "legacy")
    boot_to_boot(vmtrace, m1, m2)
    legacy_modern(vmtrace, l1, m1)
    print(f"qemu.py: {time.monotonic() - start:.0f} s for the boots and the diffs")
    return 0


main(body)
