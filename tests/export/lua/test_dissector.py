#!/usr/bin/env python3
"""export-dissector: tshark with export/wireshark/vmtrace.lua on mk_pcapng.py's records.

    test_dissector.py VMTRACE_LUA

Checks the fields of one record of each kind, the display filters, the links
between a request's notify, used entry and interrupt (both ways, as frame
numbers), the expert infos of violations, anomalies and damaged records, and
that no truncation or flipped byte of a record makes the Lua code fail.
Exit 77 (skip) only if tshark is not installed.
"""
import os
import random
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mk_pcapng as mk  # noqa: E402
from vmtrace_tshark import Tshark, TsharkError  # noqa: E402

PI_ERROR = "8388608"
PI_WARN = "6291456"
PI_NOTE = "4194304"
PI_MALFORMED = "117440512"
PI_PROTOCOL = "150994944"
PI_UNDECODED = "83886080"

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what)


def expect(got, want, what):
    check(got == want, "%s: got %r, want %r" % (what, got, want))


def frame(name):
    return mk.frame_number(name)


def test_fields(ts, path):
    rows = ts.fields(path, ["_ws.col.Protocol", "_ws.col.Info", "vmtrace.kind", "vmtrace.seq", "vmtrace.device",
                            "vmtrace.devtype", "vmtrace.queue", "vmtrace.base", "vmtrace.dir", "vmtrace.width",
                            "vmtrace.offset", "vmtrace.value", "vmtrace.reg", "vmtrace.meaning",
                            "vmtrace.feature_word", "vmtrace.feature", "vmtrace.status.acknowledge",
                            "vmtrace.status.driver_ok", "vmtrace.status.failed", "vmtrace.status.old",
                            "vmtrace.status.new", "vmtrace.status.kind", "vmtrace.interrupt.value",
                            "vmtrace.interrupt.used_buffer", "vmtrace.marker.text", "vmtrace.trailing"])
    expect(len(rows), len(mk.FIXTURE), "frames decoded")
    for n, row in rows.items():
        expect(row["_ws.col.Protocol"], "vmtrace", "Protocol column of frame %d" % n)

    st = rows[frame("status-write")]
    expect(st["_ws.col.Info"], "W Status 0xf ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK", "Status write Info")
    expect((st["vmtrace.kind"], st["vmtrace.seq"], st["vmtrace.device"], st["vmtrace.devtype"]),
           ("1", "10", "1", "2"), "Status write header")
    expect(st["vmtrace.base"], "0x00000000feb00c00", "Status write base")
    expect(st["vmtrace.queue"], "", "queue 0xffff (none) is not shown")
    expect((st["vmtrace.dir"], st["vmtrace.width"], st["vmtrace.offset"], st["vmtrace.reg"]),
           ("W", "4", "0x0070", "Status"), "Status write access")
    expect(st["vmtrace.value"], "0x000000000000000f", "Status write value")
    # 0xf: ACKNOWLEDGE and DRIVER_OK set, FAILED clear; tshark prints booleans as 1/0 (True/False in 4.2)
    check(st["vmtrace.status.acknowledge"] in ("1", "True"), "Status ACKNOWLEDGE bit: %r" % st)
    check(st["vmtrace.status.driver_ok"] in ("1", "True"), "Status DRIVER_OK bit: %r" % st)
    check(st["vmtrace.status.failed"] in ("0", "False"), "Status FAILED bit: %r" % st)

    df = rows[frame("devfeatures-read-word1")]
    expect(df["vmtrace.dir"], "R", "DeviceFeatures dir")
    expect(df["vmtrace.feature_word"], "1", "DeviceFeatures feature word")
    expect(df["vmtrace.feature"], "VERSION_1;RING_RESET", "DeviceFeatures word 1: bits 32 and 40")
    nf = rows[frame("drvfeatures-write-net")]
    expect(nf["vmtrace.feature"], "NET_F_CSUM;NET_F_MAC;NET_F_MRG_RXBUF;NET_F_STATUS;EVENT_IDX",
           "net DriverFeatures word 0")
    expect(nf["_ws.col.Info"], "W DriverFeatures 0x20018021", "Info without a meaning")
    expect(rows[frame("queue-notify")]["vmtrace.queue"], "0", "QueueNotify queue")
    expect(rows[frame("queue-notify")]["vmtrace.feature"], "", "no features on QueueNotify")

    irq = rows[frame("interrupt")]
    expect((irq["vmtrace.interrupt.value"], irq["_ws.col.Info"]), ("0x00000001", "interrupt 0x1 used buffer"),
           "interrupt")
    check(irq["vmtrace.interrupt.used_buffer"] in ("1", "True"), "interrupt used-buffer bit: %r" % irq)
    sc = rows[frame("status-change")]
    expect((sc["vmtrace.status.old"], sc["vmtrace.status.new"], sc["vmtrace.status.kind"]),
           ("0x00000007", "0x0000000f", "set"), "status change")
    expect(sc["_ws.col.Info"], "status set 0x7 -> 0xf ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK", "status Info")
    mark = rows[frame("marker")]
    expect((mark["vmtrace.marker.text"], mark["vmtrace.seq"], mark["vmtrace.device"]), ("boot done", "", ""),
           "marker without seq or device")
    lh = rows[frame("longer-header")]
    expect((lh["vmtrace.interrupt.value"], lh["vmtrace.trailing"]), ("0x00000002", "aa"),
           "40-byte header skipped, trailing byte kept apart")


def test_filters(ts, path):
    expect(sorted(ts.fields(path, [], 'vmtrace.dir == "W"')),
           [frame("status-write"), frame("drvfeatures-write-net"), frame("queue-notify")], 'vmtrace.dir == "W"')
    expect(sorted(ts.fields(path, [], 'vmtrace.reg == "Status"')), [frame("status-write")], 'vmtrace.reg == "Status"')
    expect(sorted(ts.fields(path, [], 'vmtrace.feature == "VERSION_1"')), [frame("devfeatures-read-word1")],
           "vmtrace.feature filter")
    expect(sorted(ts.fields(path, [], "vmtrace.request.id == 12")),
           [frame("request-notify"), frame("request-used"), frame("request-irq")], "vmtrace.request.id filter")
    expect(sorted(ts.fields(path, [], "vmtrace.base == 0xfeb00e00")), [frame("drvfeatures-write-net")],
           "vmtrace.base filter")
    expect(sorted(ts.fields(path, [], "vmtrace.violation.error")), [frame("violation-error")],
           "expert filter vmtrace.violation.error")
    expect(sorted(ts.fields(path, [], "vmtrace.malformed")),
           [frame("truncated-mmio"), frame("short-header"), frame("bad-header-length")], "expert filter vmtrace.malformed")


def test_request(ts, path):
    names = ["_ws.col.Info", "vmtrace.request.id", "vmtrace.request.kind", "vmtrace.request.op",
             "vmtrace.request.phase", "vmtrace.request.sector", "vmtrace.request.length", "vmtrace.request.status",
             "vmtrace.request.data", "vmtrace.request.data_length", "vmtrace.request.notify_in",
             "vmtrace.request.used_in", "vmtrace.request.irq_in", "vmtrace.request.time_to_used",
             "vmtrace.request.time_to_irq"]
    rows = ts.fields(path, names)
    n, u, i = frame("request-notify"), frame("request-used"), frame("request-irq")
    notify, used, irq = rows[n], rows[u], rows[i]
    expect(notify["_ws.col.Info"], "request 12 blk out notify sector 2048 len 4096", "notify Info")
    expect((notify["vmtrace.request.id"], notify["vmtrace.request.kind"], notify["vmtrace.request.op"],
            notify["vmtrace.request.phase"], notify["vmtrace.request.sector"], notify["vmtrace.request.length"]),
           ("12", "blk", "out", "1", "2048", "4096"), "notify fields")
    expect(notify["vmtrace.request.status"], "", "status -1 (unknown) is not shown")
    expect(notify["vmtrace.request.data"], mk.REQUEST_DATA.hex(), "notify data")
    expect(notify["vmtrace.request.data_length"], "4096", "data length before the cap")
    expect((used["vmtrace.request.phase"], used["vmtrace.request.status"], used["vmtrace.request.data"]),
           ("2", "0", ""), "used fields")
    expect(used["_ws.col.Info"], "request 12 blk out used status OK after 35.000 us", "used Info")
    expect(irq["vmtrace.request.phase"], "3", "interrupt phase")
    # Linked both ways, as frame numbers.
    expect((notify["vmtrace.request.used_in"], notify["vmtrace.request.irq_in"], notify["vmtrace.request.notify_in"]),
           (str(u), str(i), ""), "notify links")
    expect((used["vmtrace.request.notify_in"], used["vmtrace.request.irq_in"], used["vmtrace.request.used_in"]),
           (str(n), str(i), ""), "used links")
    expect((irq["vmtrace.request.notify_in"], irq["vmtrace.request.used_in"], irq["vmtrace.request.irq_in"]),
           (str(n), str(u), ""), "interrupt links")
    expect((used["vmtrace.request.time_to_used"], used["vmtrace.request.time_to_irq"]),
           ("%.9f" % (mk.NOTIFY_TO_USED_NS / 1e9), "%.9f" % (mk.NOTIFY_TO_IRQ_NS / 1e9)), "times from the record")
    for other in (frame("marker"), frame("status-write")):
        expect(rows[other]["vmtrace.request.notify_in"], "", "no link on frame %d" % other)
    # One pass (no -2) sees only what came before: the used entry links back, the notify not yet forward.
    one = ts.fields(path, ["vmtrace.request.notify_in", "vmtrace.request.used_in"], two_pass=False)
    expect((one[u]["vmtrace.request.notify_in"], one[n]["vmtrace.request.used_in"]), (str(n), ""), "one-pass links")


def test_experts(ts, path):
    rows = ts.fields(path, ["_ws.expert.severity", "_ws.expert.group", "_ws.expert.message",
                            "vmtrace.violation.rule", "vmtrace.violation.section", "vmtrace.violation.message",
                            "vmtrace.violation.severity", "vmtrace.anomaly.name", "_ws.col.Info"])
    err = rows[frame("violation-error")]
    expect((err["_ws.expert.severity"], err["_ws.expert.group"]), (PI_ERROR, PI_PROTOCOL), "error violation expert")
    expect((err["vmtrace.violation.rule"], err["vmtrace.violation.severity"]), ("queue-write-while-ready", "2"),
           "violation rule")
    expect(err["vmtrace.violation.section"], "Virtio Over MMIO / Virtqueue Configuration", "violation section")
    expect(err["vmtrace.violation.message"], "QueueNum written while QueueReady is 1", "violation message")
    expect(err["_ws.col.Info"], "VIOLATION queue-write-while-ready: QueueNum written while QueueReady is 1",
           "violation Info")
    check("queue-write-while-ready" in err["_ws.expert.message"], "expert message names the rule: %r" % err)
    warn = rows[frame("violation-warning")]
    expect((warn["_ws.expert.severity"], warn["_ws.expert.group"]), (PI_WARN, PI_PROTOCOL), "warning violation expert")
    anomaly = rows[frame("anomaly")]
    expect((anomaly["_ws.expert.severity"], anomaly["vmtrace.anomaly.name"]), (PI_WARN, "slow-request"),
           "anomaly expert")
    bad_dir = rows[frame("bad-dir")]
    expect((bad_dir["_ws.expert.severity"], bad_dir["_ws.expert.group"]), (PI_WARN, PI_PROTOCOL),
           "dir 2: a value outside the format")
    expect(bad_dir["_ws.col.Info"], "?2 QueueNotify 0x1", "dir 2 Info")
    unknown = rows[frame("unknown-kind")]
    expect((unknown["_ws.expert.severity"], unknown["_ws.expert.group"], unknown["_ws.col.Info"]),
           (PI_NOTE, PI_UNDECODED, "kind 8"), "unknown kind: noted, not malformed")
    damaged = {frame("truncated-mmio"), frame("short-header"), frame("bad-header-length")}
    for n, row in rows.items():
        if n in damaged:
            expect((row["_ws.expert.severity"], row["_ws.expert.group"]), (PI_ERROR, PI_MALFORMED),
                   "frame %d reported malformed" % n)
            check("malformed" in row["_ws.col.Info"], "frame %d Info says malformed: %r" % (n, row["_ws.col.Info"]))
        else:
            check(PI_MALFORMED not in row["_ws.expert.group"], "frame %d not malformed: %r" % (n, row))
    summary = ts.run(path, "-q", "-z", "expert")
    check("Malformed" in summary and "mmio record truncated: reg needs 6 bytes" in summary,
          "-z expert lists the truncated record: " + summary)


def test_pcap(ts, tmp):
    """`--format pcap` carries the same records: one link type for the file."""
    path = os.path.join(tmp, "fixture.pcap")
    with open(path, "wb") as f:
        f.write(mk.pcap([record for _, record in mk.FIXTURE]))
    rows = ts.fields(path, ["vmtrace.reg", "vmtrace.request.used_in"])
    expect(rows[frame("status-write")]["vmtrace.reg"], "Status", "pcap: Status write")
    expect(rows[frame("request-notify")]["vmtrace.request.used_in"], str(frame("request-used")), "pcap: links")


def test_snapped(ts, tmp):
    """A record cut by a snapshot length (captured < original length) is malformed, never a Lua error."""
    record = dict(mk.FIXTURE)["request-notify"]
    path = os.path.join(tmp, "snapped.pcapng")
    with open(path, "wb") as f:
        f.write(mk.section_header("snapped") + mk.interface(mk.LINKTYPE_USER0, "virtio-blk", "block")
                + mk.packet(0, mk.T0, record[:60], orig_len=len(record))
                + mk.packet(0, mk.T0 + 1, record[:20], orig_len=len(record)))
    rows = ts.fields(path, ["_ws.expert.group", "_ws.lua.error", "vmtrace.kind"])
    for n in (1, 2):
        expect((rows[n]["_ws.expert.group"], rows[n]["_ws.lua.error"]), (PI_MALFORMED, ""),
               "snapped record %d" % n)
    expect(rows[1]["vmtrace.kind"], "6", "snapped record keeps its header")


def complete_length(name, record):
    """How long a prefix of record must be to hold every field: the rest is optional (data, later fields)."""
    if name == "request-notify":
        return len(record) - len(mk.REQUEST_DATA)
    if name == "longer-header":
        return len(record) - 1
    return len(record)


def test_hostile(ts, tmp):
    """Every prefix of each record, and records with flipped bytes: never a Lua error, prefixes malformed."""
    records, want_malformed = [], []
    for name, record in mk.FIXTURE:
        if name in ("truncated-mmio", "short-header", "bad-header-length", "unknown-kind"):
            continue
        for cut in range(len(record) + 1):
            records.append(record[:cut])
            want_malformed.append(cut < complete_length(name, record))
    rng = random.Random(20261205)
    flipped = 0
    for _ in range(400):
        name, record = rng.choice(mk.FIXTURE)
        raw = bytearray(record)
        for _ in range(rng.randint(1, 4)):
            if raw:
                raw[rng.randrange(len(raw))] = rng.randrange(256)
        records.append(bytes(raw))
        want_malformed.append(None)  # either way; only no Lua error
        flipped += 1
    path = os.path.join(tmp, "hostile.pcapng")
    with open(path, "wb") as f:
        f.write(mk.pcapng(records))
    rows = ts.fields(path, ["_ws.col.Protocol", "_ws.expert.group", "_ws.lua.error"])
    expect(len(rows), len(records), "hostile frames decoded")
    wrong = []
    for n, row in rows.items():
        want = want_malformed[n - 1]
        if row["_ws.lua.error"] or row["_ws.col.Protocol"] != "vmtrace":
            wrong.append("frame %d: Lua error or no vmtrace: %r" % (n, row))
        elif want is not None and (PI_MALFORMED in row["_ws.expert.group"]) != want:
            wrong.append("frame %d (%d bytes): malformed %s, want %s" % (n, len(records[n - 1]),
                                                                         not want, want))
    check(not wrong, "hostile records (%d prefixes, %d flipped): %s" % (len(records) - flipped, flipped,
                                                                       "; ".join(wrong[:5])))
    lua_errors = sorted(ts.fields(path, [], "_ws.lua.error"))
    check(not lua_errors, "%d frames with a Lua error, first %s" % (len(lua_errors), lua_errors[:10]))


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: test_dissector.py VMTRACE_LUA\n")
        return 2
    tshark = shutil.which("tshark")
    if not tshark:
        print("SKIP: tshark is not installed")
        return 77
    with tempfile.TemporaryDirectory(prefix="vmtrace-dissector-") as tmp:
        path = os.path.join(tmp, "fixture.pcapng")
        with open(path, "wb") as f:
            f.write(mk.build())
        try:
            ts = Tshark(tshark, argv[1], tmp)
            test_fields(ts, path)
            test_filters(ts, path)
            test_request(ts, path)
            test_experts(ts, path)
            test_pcap(ts, tmp)
            test_snapped(ts, tmp)
            test_hostile(ts, tmp)
        except TsharkError as err:
            check(False, str(err))
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("ok: fields, filters, request links, experts, pcap, snapped and hostile records")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
