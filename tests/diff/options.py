"""The options of `vmtrace diff` (docs/diff.md, "The report"), on
emulator recordings and copies changed with SQL:

- -x REG / -X FILE: a trace whose VendorID reads (or one DeviceFeatures
  read) differ: exit 1 without the declaration, 0 with it, the
  declaration listed with what it covered; a DEVICE: prefix limits it; a
  declaration naming no device is warned about;
- --context K: K events before the divergence on each side, then the
  divergent event (at: true), the device's own events in seq order;
  out-of-range K is an error;
- --first: the same first divergence, no segments, no summaries;
- --device (name, base, type): only that device and its match;
- --map: two blk devices paired crosswise follow the map;
- --json: the documented keys; -q: one summary line;
- errors exit 2 naming the file (missing, not a trace.db, a directory),
  one argument, bad --map or --device; a report that cannot be written
  (stdout /dev/full) exits 2."""

import os

from diff_lib import brief, check, copy, devices, diff, diff_text, main, one, record, sql, vm
from expect import Streams, check_first_divergence, check_results


def streams(a, b, pairs=None):
    da, db_ = devices(a), devices(b)
    if pairs is None:
        pairs = list(zip([x[0] for x in da], [y[0] for y in db_]))
    return [(Streams(a, x), Streams(b, y)) for x, y in pairs]


def declarations(vmtrace, tmp, a):
    vendor = copy(a, tmp, "vendor.db")
    # Bit 8 flipped (SQLite has no XOR operator).
    sql(vendor, "UPDATE events SET value = (value | 0x100) - (value & 0x100) WHERE type = 'mmio' AND reg = 'VendorID'")
    sql(vendor, "UPDATE devices SET vendor_id = (vendor_id | 0x100) - (vendor_id & 0x100)")
    pairs = streams(a, vendor)
    r, j = diff(vmtrace, a, vendor, expect_rc=1)
    check_results(j, pairs, "VendorID changed")
    for x, y in pairs:
        d = next(e for e in j["devices"] if e["a"]["device"] == x.device)
        check_first_divergence(d, x, y, f"VendorID changed, {d['a']['name']}", want_stream="registers",
                               want_kind="changed")
    (na,) = one(a, "SELECT count(*) FROM events WHERE type = 'mmio' AND reg = 'VendorID'")
    (nb,) = one(vendor, "SELECT count(*) FROM events WHERE type = 'mmio' AND reg = 'VendorID'")
    r, j = diff(vmtrace, a, vendor, "-x", "VendorID", expect_rc=0)
    check(j["result"] == "same" and j["devices_different"] == 0, f"-x VendorID: not same: {brief(j)}")
    dec = j["declared"]
    check(len(dec) == 1 and dec[0]["declaration"] == "VendorID" and dec[0]["origin"] == "--expect",
          f"-x VendorID: declared should list it with origin --expect: {dec}")
    check(dec[0]["covered"] in (na + nb, na), f"-x VendorID: covered {dec[0]['covered']}; the files hold {na} and "
                                               f"{nb} VendorID reads")
    print(f"-x VendorID: exit 0, covered {dec[0]['covered']} ({na} + {nb} reads in the files)")
    f = os.path.join(tmp, "decl.expect")
    with open(f, "w") as fh:
        fh.write("# the vendor was changed on purpose\n\nVendorID\n")
    r, j = diff(vmtrace, a, vendor, "-X", f, expect_rc=0)
    check(len(j["declared"]) == 1 and j["declared"][0]["declaration"] == "VendorID",
          f"-X FILE: declared should list VendorID: {j['declared']}")
    # A declaration for another device leaves these differences in.
    diff(vmtrace, a, vendor, "-x", "blk:VendorID", expect_rc=1)
    # One that names no device of either trace is warned about (a typo).
    r = vm(vmtrace, "diff", "-x", "gpu:VendorID", "-x", "VendorID", a, vendor)
    check(r.rc == 0 and "gpu" in r.err, f"-x gpu:VendorID (no gpu device): expected exit 0 and a warning naming "
                                         f"it: {r.describe()}")

    feat = copy(a, tmp, "features.db")
    (seq,) = one(feat, "SELECT min(seq) FROM events WHERE device = 0 AND type = 'mmio' AND reg = 'DeviceFeatures' "
                       "AND dir = 'R'")
    sql(feat, "UPDATE events SET value = value | 0x80000 WHERE seq = ?", (seq,))
    pairs = streams(a, feat)
    r, j = diff(vmtrace, a, feat, expect_rc=1)
    check_results(j, pairs, "a DeviceFeatures read changed")
    d = next(e for e in j["devices"] if e["result"] != "same")
    check_first_divergence(d, pairs[0][0], pairs[0][1], "a DeviceFeatures read changed", want_stream="registers",
                           want_kind="changed")
    check(d["first_divergence"]["seq_a"] == seq, f"DeviceFeatures changed at seq {seq}: {brief(d)}")
    for decl, rc in (("DeviceFeatures", 0), ("blk:DeviceFeatures", 0), ("0x10000000:DeviceFeatures", 0),
                     ("net:DeviceFeatures", 1), ("DriverFeatures", 1)):
        diff(vmtrace, a, feat, "-x", decl, expect_rc=rc)
    print(f"-x DeviceFeatures: exit 0 (the read at seq {seq} changed); blk: and the base too; net: and "
          f"DriverFeatures leave it (exit 1)")
    return feat


def declared_kinds(vmtrace, tmp, a):
    """Each kind of declaration leaves out what docs/diff.md's table says,
    and no more: a copy changed in one way differs (exit 1) and is the
    same (exit 0) with the declaration that covers the change, and still
    differs with one that does not."""
    status = copy(a, tmp, "status.db")
    sql(status, "UPDATE requests SET status = 1 WHERE request = (SELECT min(request) FROM requests WHERE device = 0)")
    digest = copy(a, tmp, "digest.db")
    sql(digest, "UPDATE requests SET digest = '0123456789abcdef' "
                "WHERE request = (SELECT min(request) FROM requests WHERE device = 0)")
    irq = copy(a, tmp, "irq.db")
    sql(irq, "UPDATE events SET value = 3 WHERE seq = (SELECT min(seq) FROM events WHERE type = 'irq' AND device = 0)")
    size = record(vmtrace, f"{tmp}/size32.db", "blk,net,console,rng", "-w", "queue:size=32")
    cases = (
        (status, ["used", "queue0", "blk:all"], ["buffers", "interrupts", "net:used", "queue1"]),
        (digest, ["buffers", "queue0", "blk:buffers"], ["used", "console:buffers"]),
        (irq, ["interrupts", "blk:interrupts", "all"], ["used", "rng:interrupts"]),
        # Every queue asked for 32 entries, not 64: QueueNum's values.
        (size, ["QueueNum"], ["QueueNumMax"]),
    )
    for b, covering, others in cases:
        name = os.path.basename(b)
        r, j = diff(vmtrace, a, b, expect_rc=1)
        check_results(j, streams(a, b), f"{name} (no declaration)")
        for decl in covering:
            r, j = diff(vmtrace, a, b, "-x", decl)
            check(r.rc == 0, f"{name} -x {decl}: expected exit 0 (the declaration covers what changed): "
                             f"{brief(j and [(d['a']['name'], d['result'], d['first_divergence']) for d in j['devices']], 2500)}"
                             f" {r.err}")
            if decl.endswith("all"):
                check(any(d["result"] == "declared" for d in j["devices"]),
                      f"{name} -x {decl}: expected a device declared: {brief(j['devices'])}")
        for decl in others:
            diff(vmtrace, a, b, "-x", decl, expect_rc=1)
    print(f"declarations: used, buffers, interrupts, queue0, all, a register: cover what they say")


def context(vmtrace, a, feat):
    x, y = streams(a, feat)[0]
    r, j = diff(vmtrace, a, feat, expect_rc=1)
    at = j["devices"][0]["first_divergence"]["seq_a"]
    before = [s for s, _ in x.registers if s < at]
    for k in (None, 0, 1, 5, 100):
        opts = [] if k is None else ["--context", k]
        want_k = 3 if k is None else k
        r, j = diff(vmtrace, a, feat, *opts, expect_rc=1)
        fd = j["devices"][0]["first_divergence"]
        for side, seq_at in (("events_a", fd["seq_a"]), ("events_b", fd["seq_b"])):
            ev = fd[side]
            want = before[max(0, len(before) - want_k):] + [seq_at]
            got = [e["seq"] for e in ev]
            check(got == want, f"--context {k}: {side} seqs {got}, expected the device's {want_k} events before "
                               f"{seq_at} and it: {want}")
            check([e["at"] for e in ev] == [False] * (len(want) - 1) + [True] and all(e["text"] for e in ev),
                  f"--context {k}: {side}: only the last event is 'at', every event has a text: {ev}")
    # A divergence in a request stream: the requests before it in that
    # queue, each line naming its request.
    late = copy(a, os.path.dirname(feat), "late-digest.db")
    (req, notify) = one(late, "SELECT max(request), max(seq_notify) FROM requests WHERE device = 0 AND queue = 0 "
                              "AND digest IS NOT NULL")
    sql(late, "UPDATE requests SET digest = '0123456789abcdef' WHERE request = ?", (req,))
    (x, y), = streams(a, late, [(0, 0)])
    ids = [it["request"] for it, _ in x.requests[0]]
    pos = ids.index(req)
    for k in (0, 3):
        r, j = diff(vmtrace, a, late, "--context", k, "--device", "blk", expect_rc=1)
        d = j["devices"][0]
        check_first_divergence(d, x, y, f"request {req}'s data changed", want_stream="q0 requests",
                               want_kind="changed")
        ev = d["first_divergence"]["events_a"]
        want = ids[max(0, pos - k):pos + 1]
        got = [e["text"].split("request ")[1].split()[0] if "request " in e["text"] else e["text"] for e in ev]
        check(got == [str(i) for i in want] and ev[-1]["at"] and ev[-1]["seq"] == notify,
              f"--context {k} before request {req}: expected requests {want}, got {[e['text'] for e in ev]}")
    for bad in ("101", "-1", "x"):
        r = vm(vmtrace, "diff", "--context", bad, a, feat)
        check(r.rc == 2 and "context" in r.err, f"--context {bad}: expected exit 2 and a message: {r.describe()}")
    print(f"--context: 0, 1, 3 (default), 5, 100 events before seq {at}; 101, -1, x refused")


def first_and_device(vmtrace, a, tmp):
    vendor = os.path.join(tmp, "vendor.db")
    r, full = diff(vmtrace, a, vendor, expect_rc=1)
    r, j = diff(vmtrace, a, vendor, "--first", expect_rc=1)
    for d, f in zip(j["devices"], full["devices"]):
        check(d["first_divergence"]["seq_a"] == f["first_divergence"]["seq_a"],
              f"--first: a different first divergence: {brief(d)}")
        check(d["segments"] == [] and d["requests"] == [] and d["negotiated"] == [] and d["violations"] == [],
              f"--first: expected no segments and no summaries: {brief(d)}")
    devs = devices(a)
    for dev, base, name, _ in devs:
        kind = name.split("@")[0].replace("virtio-", "")
        for sel in (name, hex(base), kind):
            r, j = diff(vmtrace, a, vendor, "--device", sel, expect_rc=1)
            check(j["devices_compared"] == 1 and len(j["devices"]) == 1 and j["devices"][0]["a"]["name"] == name
                  and j["devices"][0]["b"]["base"] == base,
                  f"--device {sel}: expected {name} and its match only: {brief(j)}")
    r = vm(vmtrace, "diff", "--device", "gpu", a, vendor)
    check(r.rc == 2 and "gpu" in r.err, f"--device gpu (none in the trace): expected exit 2 naming it: {r.describe()}")
    print(f"--first: no segments, no summaries; --device by name, base and type for {len(devs)} devices")


def mapping(vmtrace, tmp):
    a = record(vmtrace, f"{tmp}/blk2.db", "blk,blk")
    b = copy(a, tmp, "blk2-other.db")
    # Device 1 of B wrote (and read back) other data at sector 0.
    sql(b, "UPDATE requests SET digest = '0123456789abcdef' WHERE device = 1 AND sector = 0 AND op IN ('in', 'out')")
    b0, b1 = 0x10000000, 0x10000200
    r, j = diff(vmtrace, a, b, expect_rc=1)
    check_results(j, streams(a, b, [(0, 0), (1, 1)]), "blk,blk, default pairing")
    for maps in ([f"{b0:#x}={b1:#x}"], [f"{b0:#x}={b1:#x}", f"{b1:#x}={b0:#x}"], [f"{b1:#x}={b0:#x}"]):
        opts = [o for m in maps for o in ("--map", m)]
        r, j = diff(vmtrace, a, b, *opts, expect_rc=1)
        check_results(j, streams(a, b, [(0, 1), (1, 0)]), f"blk,blk {' '.join(opts)}")
        d = [(e["a"]["base"], e["b"]["base"], e["result"]) for e in j["devices"]]
        check(sorted(d) == [(b0, b1, "different"), (b1, b0, "same")], f"{' '.join(opts)}: pairs {d}")
    r, j = diff(vmtrace, a, b, "--map", f"{b0:#x}={b0:#x}", expect_rc=1)
    check_results(j, streams(a, b, [(0, 0), (1, 1)]), "--map to the default pairing")
    for bad in ("0x10000000", "0x10000000=", "=0x10000000", "0x10000000=zz", "0x12340000=0x10000000",
                "0x10000000=0x12340000"):
        r = vm(vmtrace, "diff", "--map", bad, a, b)
        check(r.rc == 2 and "map" in r.err.lower(), f"--map {bad}: expected exit 2 and a message: {r.describe()}")
    print("--map: crosswise pairs follow the map; 6 bad maps refused")


def one_side(vmtrace, tmp):
    """A device on one side only makes the traces different and is
    reported as such, on either side."""
    both = record(vmtrace, f"{tmp}/blk-net.db", "blk,net")
    blk = record(vmtrace, f"{tmp}/blk.db", "blk")
    for a, b, side in ((both, blk, "only in a"), (blk, both, "only in b")):
        r, j = diff(vmtrace, a, b, expect_rc=1)
        got = [(d["a"] and d["a"]["name"], d["b"] and d["b"]["name"], d["result"]) for d in j["devices"]]
        net = (None, "virtio-net@0x10000200") if side == "only in b" else ("virtio-net@0x10000200", None)
        want = [("virtio-blk@0x10000000", "virtio-blk@0x10000000", "same"), (*net, side)]
        check(sorted(got, key=str) == sorted(want, key=str) and j["devices_different"] == 1,
              f"blk,net against blk: expected {want}, 1 different: {got}, {j['devices_different']}")
    print("a device on one side only: 'only in a' / 'only in b', exit 1")


def errors(vmtrace, a, tmp):
    text = os.path.join(tmp, "notes.txt")
    with open(text, "w") as fh:
        fh.write("not a trace\n" * 100)
    empty = os.path.join(tmp, "empty.db")
    open(empty, "w").close()
    directory = os.path.join(tmp, "adir")
    os.mkdir(directory)
    missing = os.path.join(tmp, "missing.db")
    for bad in (missing, text, empty, directory):
        for args in ((a, bad), (bad, a)):
            r = vm(vmtrace, "diff", *args)
            check(r.rc == 2 and bad in r.err and r.out == "",
                  f"diff {args[0]} {args[1]}: expected exit 2, a message naming {bad}, nothing on stdout: "
                  f"{r.describe()}")
    # A row that contradicts the file, and a decode cut short: exit 2, the
    # file (and the row) named.
    damaged = copy(a, tmp, "damaged.db")
    sql(damaged, "UPDATE events SET width = -3 WHERE seq = 5")
    cut = copy(a, tmp, "cut.db")
    sql(cut, "DELETE FROM meta WHERE key = 'events'")
    for bad, also in ((damaged, "5"), (cut, "")):
        for args in ((a, bad), (bad, a)):
            r = vm(vmtrace, "diff", *args)
            check(r.rc == 2 and os.path.basename(bad) in r.err and also in r.err and r.out == "",
                  f"diff {args[0]} {args[1]}: expected exit 2, a message naming {bad} {also}: {r.describe()}")
    for args in ([a], [], [a, a, a], ["--bogus", a, a]):
        r = vm(vmtrace, "diff", *args)
        check(r.rc == 2 and r.err, f"diff {' '.join(args)}: expected exit 2 and a message: {r.describe()}")
    r = vm(vmtrace, "diff", "--help")
    check(r.rc == 0 and "diff" in r.out, f"diff --help: {r.describe()}")
    # A report that cannot be written is an error (2), not "different".
    for other, opts in ((a, []), (a, ["--json"]), (os.path.join(tmp, "vendor.db"), []),
                        (os.path.join(tmp, "vendor.db"), ["--json"]), (a, ["-q"])):
        with open("/dev/full", "w") as full:
            r = vm(vmtrace, "diff", *opts, a, other, stdout=full)
        check(r.rc == 2 and r.err, f"diff {' '.join(opts)} > /dev/full: expected exit 2 and a message: {r.describe()}")
    print("errors: missing, text, empty, directory (as A and as B), argument counts, /dev/full: exit 2")


DOC_KEYS = {"a", "b", "result", "devices_compared", "devices_different", "declared", "devices"}
SIDE_KEYS = {"trace", "source", "events"}
DEVICE_KEYS = {"a", "b", "result", "events_a", "events_b", "first_divergence", "segments", "negotiated", "requests",
               "violations"}
DEV_SIDE_KEYS = {"device", "name", "base", "type"}
FIRST_KEYS = {"kind", "stream", "seq_a", "seq_b", "a", "b", "events_a", "events_b", "state_a", "state_b"}
STATE_KEYS = {"status", "features", "queues"}
SEGMENT_KEYS = {"kind", "stream", "events_a", "events_b"}
REQUEST_KEYS = {"queue", "kind", "count_a", "count_b", "p50_ns_a", "p50_ns_b", "p99_ns_a", "p99_ns_b"}


def missing(obj, keys, what):
    check(isinstance(obj, dict) and keys <= set(obj), f"{what}: keys {sorted(keys - set(obj or {}))} missing: "
                                                     f"{brief(obj, 600)}")


def json_shape(vmtrace, a, tmp):
    vendor = os.path.join(tmp, "vendor.db")
    r, j = diff(vmtrace, a, vendor, expect_rc=1)
    check(r.out.count("\n") <= 1, f"--json: expected one object on one line, got {r.out.count(chr(10))} lines")
    missing(j, DOC_KEYS, "top level")
    (src,) = one(a, "SELECT value FROM meta WHERE key = 'source'")
    (na,) = one(a, "SELECT count(*) FROM events")
    for side, path in (("a", a), ("b", vendor)):
        missing(j[side], SIDE_KEYS, side)
        check(j[side]["trace"] == path and j[side]["source"] == src and j[side]["events"] == na,
              f"{side}: expected trace {path}, source {src}, events {na}: {j[side]}")
    for d in j["devices"]:
        missing(d, DEVICE_KEYS, "device")
        for side in ("a", "b"):
            missing(d[side], DEV_SIDE_KEYS, f"device {side}")
        (n,) = one(a, "SELECT name FROM devices WHERE device = ?", (d["a"]["device"],))
        check(d["a"]["name"] == n, f"device {d['a']['device']} is {n}: {d['a']}")
        fd = d["first_divergence"]
        missing(fd, FIRST_KEYS, "first_divergence")
        for side in ("state_a", "state_b"):
            missing(fd[side], STATE_KEYS, side)
            for q in fd[side]["queues"]:
                missing(q, {"queue", "size", "ready"}, f"{side} queue")
        for e in fd["events_a"] + fd["events_b"]:
            missing(e, {"seq", "text", "at"}, "context event")
        for s in d["segments"]:
            missing(s, SEGMENT_KEYS, "segment")
            check(s["kind"] in ("changed", "removed", "inserted"), f"segment kind {s['kind']}")
        for q in d["requests"]:
            missing(q, REQUEST_KEYS, "requests row")
    # Quiet: the summary line only.
    q = diff_text(vmtrace, a, vendor, "-q", expect_rc=1)
    n = len(devices(a))
    # docs/diff.md says `different: N of M devices`; vmtrace prints it
    # inside its usual bracket: "[ vmtrace diff: DIFFERENT, 4 of 4 devices; 0.02 s ]".
    lines = q.out.splitlines()
    check(len(lines) == 1 and "different" in lines[0].lower() and f" {n} of {n} devices" in lines[0],
          f"-q: expected the one line 'different: {n} of {n} devices': {q.describe()}")
    print("--json: the documented keys, one line; -q: one line")


def body(vmtrace, samples, tmp, args):
    a = record(vmtrace, f"{tmp}/a.db", "blk,net,console,rng")
    feat = declarations(vmtrace, tmp, a)
    context(vmtrace, a, feat)
    first_and_device(vmtrace, a, tmp)
    mapping(vmtrace, tmp)
    one_side(vmtrace, tmp)
    errors(vmtrace, a, tmp)
    json_shape(vmtrace, a, tmp)
    declared_kinds(vmtrace, tmp, a)
    return 0


main(body)
