#!/usr/bin/env python3
"""The host side of the more-devices guest test (guest_devices.sh).

  guest_devices_checks.py drive WORK   while the guest runs: answer its
                                       waiting-input / waiting-balloon lines
                                       over QMP (WORK/guest/qmp.sock)
  guest_devices_checks.py check WORK   afterwards: hold WORK/t.db (and
                                       info.json) against what the guest
                                       reported (WORK/guest.txt) and what
                                       the host sent (WORK/drive.json)

drive: reads the guest's serial output as it grows (WORK/serial.txt), and
  on "VMTGUEST waiting-input" sends KEYS as key down/up events
  (input-send-event), then creates guest/share/input-sent; on
  "VMTGUEST waiting-balloon" asks for a BALLOON_MB MiB balloon target
  (balloon), then creates guest/share/balloon-sent.  It ends on
  "VMTGUEST done", when WORK/record.done appears (the recording ended) or
  when the serial file stops growing for IDLE_LIMIT seconds, writing what
  it sent to WORK/drive.json.

check: exit 0 if every check passed, 1 otherwise; prints one line per
  check and the measured numbers.
"""
import json
import os
import re
import socket
import sqlite3
import sys
import time

# qcode -> Linux key code (include/uapi/linux/input-event-codes.h)
KEYS = [("a", 30), ("b", 48), ("c", 46)]
BALLOON_MB = 224
IDLE_LIMIT = 300
EV_SYN, EV_KEY = 0, 1
BALLOON_PAGE = 4096
P9_LINE = "vmtrace 9p line\n"  # guest-init.sh's P9_LINE and its newline


class Qmp:
    """A minimal QMP client on a unix socket: one command at a time."""

    def __init__(self, path, tries=200):
        last = None
        for _ in range(tries):
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError as e:
                last = e
                self.sock.close()
                time.sleep(0.1)
        else:
            raise RuntimeError("cannot connect to QMP at %s: %s" % (path, last))
        self.sock.settimeout(30)
        self.buf = b""
        greeting = self._read()
        if "QMP" not in greeting:
            raise RuntimeError("no QMP greeting: %r" % greeting)
        self.cmd("qmp_capabilities")

    def _read(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise RuntimeError("QMP connection closed")
            self.buf += data
            if len(self.buf) > (1 << 20):
                raise RuntimeError("QMP line longer than 1 MiB")
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def cmd(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            r = self._read()
            if "event" in r:
                continue
            if "error" in r:
                raise RuntimeError("QMP %s: %s" % (name, r["error"]))
            return r.get("return")


def drive(work):
    serial = os.path.join(work, "serial.txt")
    share = os.path.join(work, "guest", "share")
    sent = {"keys": [], "balloon_mb": None, "balloon_actual": None, "errors": []}
    qmp = None
    seen = 0
    idle_since = time.monotonic()
    done = set()
    while True:
        try:
            with open(serial, "rb") as f:
                f.seek(seen)
                data = f.read()
        except FileNotFoundError:
            data = b""
        if data:
            seen += len(data)
            idle_since = time.monotonic()
        text = open(serial, "rb").read().decode("latin-1") if os.path.exists(serial) else ""
        try:
            if "VMTGUEST waiting-input" in text and "input" not in done:
                done.add("input")
                qmp = qmp or Qmp(os.path.join(work, "guest", "qmp.sock"))
                for name, code in KEYS:
                    for down in (True, False):
                        qmp.cmd("input-send-event", events=[
                            {"type": "key", "data": {"down": down, "key": {"type": "qcode", "data": name}}}])
                        sent["keys"].append([code, 1 if down else 0])
                open(os.path.join(share, "input-sent"), "w").close()
            if "VMTGUEST waiting-balloon" in text and "balloon" not in done:
                done.add("balloon")
                qmp = qmp or Qmp(os.path.join(work, "guest", "qmp.sock"))
                qmp.cmd("balloon", value=BALLOON_MB << 20)
                sent["balloon_mb"] = BALLOON_MB
                open(os.path.join(share, "balloon-sent"), "w").close()
                # The guest's balloon driver works in the background: ask
                # where it got once the guest said it stopped moving.
        except (RuntimeError, OSError) as e:
            sent["errors"].append(str(e))
        if "VMTGUEST balloon memtotal" in text and qmp and sent["balloon_actual"] is None:
            # Only informative (checked when answered): the guest goes on
            # to power off, and QEMU may be gone before it is asked.
            try:
                sent["balloon_actual"] = qmp.cmd("query-balloon").get("actual")
            except (RuntimeError, OSError) as e:
                sent["balloon_query"] = str(e)
                sent["balloon_actual"] = -1
        if ("VMTGUEST done" in text or os.path.exists(os.path.join(work, "record.done")) or
                time.monotonic() - idle_since > IDLE_LIMIT):
            break
        time.sleep(0.05)
    with open(os.path.join(work, "drive.json"), "w") as f:
        json.dump(sent, f)
    return 0


def guest_lines(work):
    """The guest's VMTGUEST lines as {word: [fields dict, ...]}."""
    out = {}
    for line in open(os.path.join(work, "guest.txt"), encoding="latin-1"):
        parts = line.split()
        if len(parts) < 2 or parts[0] != "VMTGUEST":
            continue
        fields = {"_": parts[2:]}
        for p in parts[2:]:
            if "=" in p:
                k, v = p.split("=", 1)
                fields[k] = v
        out.setdefault(parts[1], []).append(fields)
    return out


class Checks:
    def __init__(self):
        self.failed = 0

    def ok(self, cond, what):
        print("%s: %s" % ("ok" if cond else "FAIL", what))
        if not cond:
            self.failed += 1
        return cond


def check(work):
    c = Checks()
    g = guest_lines(work)
    sent = json.load(open(os.path.join(work, "drive.json")))
    info = json.load(open(os.path.join(work, "info.json")))
    db = sqlite3.connect(os.path.join(work, "t.db"))
    c.ok(not sent["errors"], "host's QMP commands: %s" % ("; ".join(sent["errors"]) or "all answered"))

    # Every device named by its type, features equal to the guest's sysfs.
    devs = info.get("devices", [])
    by_base = {}
    for d in devs:
        by_base[int(str(d.get("base")), 0)] = d
    want_types = {"0x0008": "scsi", "0x0009": "9p", "0x0005": "balloon", "0x0012": "input"}
    guest_devs = g.get("dev", [])
    for gd in guest_devs:
        try:
            base = int(gd.get("base", ""), 0)
        except ValueError:
            c.ok(False, "guest device %s has no base" % gd.get("_"))
            continue
        d = by_base.get(base)
        if not c.ok(d is not None, "guest device %s at 0x%x is in the trace" % (gd["_"][0], base)):
            continue
        dev_id = int(gd.get("device", "0"), 16)
        c.ok(int(d.get("device_id", -1)) == dev_id,
             "device at 0x%x: type %s (trace %s, guest 0x%x)" % (base, d.get("type"), d.get("device_id"), dev_id))
        feats = gd.get("features", "")
        guest_f = sum(1 << i for i, ch in enumerate(feats) if ch == "1")
        neg = d.get("features_negotiated")
        c.ok(neg is not None and int(neg, 16) == guest_f, "device at 0x%x (%s): negotiated %s = guest sysfs 0x%x" %
             (base, d.get("type"), neg, guest_f))
        c.ok("DRIVER_OK" in (d.get("status_reached") or "").split("|"),
             "device at 0x%x (%s): reached DRIVER_OK" % (base, d.get("type")))
    for did, name in want_types.items():
        c.ok(any(gd.get("device") == did and gd.get("driver") != "none" for gd in guest_devs),
             "guest bound a driver to its %s device" % name)
        named = [d for d in devs if d.get("device_id") == int(did, 16)]
        c.ok(bool(named) and all(d.get("type") for d in named),
             "trace names the %s device by its type: %s" % (name, ", ".join("%s (%s)" % (d.get("name"), d.get("type"))
                                                                     for d in named) or "none"))

    def q(sql, *args):
        return db.execute(sql, args).fetchall()

    type_ids = {"scsi": 8, "9p": 9, "balloon": 5, "input": 18}

    def dev_of(name):
        return [r[0] for r in q("SELECT device FROM devices WHERE device_id = ?", type_ids[name])]

    # --- scsi: READ/WRITE with LUN, counts against the guest's block stat.
    scsi = dev_of("scsi")
    if scsi:
        ds = scsi[0]
        w = g.get("scsi", [])
        stat = [x for x in w if "reads" in x]
        sel = ("SELECT r.op, r.sector, r.length, c.memory, r.seq_used FROM requests r LEFT JOIN chains c USING (chain) "
               "WHERE r.device = ? AND r.kind = 'scsi' AND r.op LIKE ?")
        wr = q(sel, ds, "WRITE%")
        rd = q(sel, ds, "READ(%")
        torn = q("SELECT count(*) FROM chains WHERE device = ? AND memory = 'torn'", ds)[0][0]
        other = {}
        for (op,) in q("SELECT op FROM requests WHERE device = ? AND kind = 'scsi' "
                       "AND op NOT LIKE 'READ(%' AND op NOT LIKE 'WRITE%'", ds):
            name = re.sub(r" (target|lun) .*", "", op) + (" (BAD_TARGET)" if "BAD_TARGET" in op else "")
            other[name] = other.get(name, 0) + 1
        other = ", ".join("%s %d" % kv for kv in sorted(other.items()))
        no_op = q("SELECT count(*) FROM requests WHERE device = ? AND kind = 'scsi' AND op IS NULL", ds)[0][0]
        print("scsi: decoded %d READ, %d WRITE, no op %d; other commands: %s; guest's sda: %s; %d chains torn" %
              (len(rd), len(wr), no_op, other, " ".join(stat[0]["_"][1:]) if stat else "no stat", torn))
        c.ok(any(x["_"][-1] == "ok" for x in w if x["_"] and x["_"][0] == "write"), "guest's scsi write ok")
        c.ok(any(x["_"][-1] == "ok" for x in w if x["_"] and x["_"][0] == "read"), "guest's scsi read ok")
        c.ok(any(r[1] == 2048 and r[2] == 4096 and "lun 0" in r[0] for r in wr),
             "scsi pattern write decoded: WRITE at sector 2048, 4096 bytes, lun 0")
        c.ok(any(r[1] == 2048 and r[2] == 4096 for r in rd), "scsi pattern read decoded: READ at sector 2048, 4096 bytes")
        # A copy taken late may carry another command's CDB (found torn
        # when its bytes disagree with what the device took: nothing is
        # decoded from it; never used when its used entry went to the
        # chain copied in its place): the guest's count must lie between
        # the untorn used ones and all decoded plus the torn copies.
        if stat:
            for what, rows, n in (("READ", rd, int(stat[0]["reads"])), ("WRITE", wr, int(stat[0]["writes"]))):
                clean = sum(1 for r in rows if r[3] != "torn" and r[4] is not None)
                c.ok(clean <= n <= len(rows) + torn, "scsi %ss decoded %d (%d used, on untorn copies; %d copies torn), "
                     "guest's sda %d" % (what, len(rows), clean, torn, n))
        c.ok(no_op == 0, "every scsi request has its command decoded")

    # --- 9p: message types, the file write.
    p9 = dev_of("9p")
    if p9:
        dp = p9[0]
        rows = q("SELECT op FROM requests WHERE device = ? AND kind = '9p'", dp)
        types = {}
        for (op,) in rows:
            t = (op or "(none)").split()[0]
            types[t] = types.get(t, 0) + 1
        print("9p: decoded %d requests: %s" % (len(rows), ", ".join("%s %d" % kv for kv in sorted(types.items()))))
        for t in ("Tversion", "Tattach", "Twalk", "Twrite", "Tclunk"):
            c.ok(types.get(t, 0) > 0, "9p %s decoded" % t)
        c.ok(types.get("Tlcreate", 0) + types.get("Tlopen", 0) > 0, "9p Tlcreate or Tlopen decoded")
        line = g.get("9p", [{}])[0]
        c.ok(line.get("read") == "ok", "guest's 9p write and read back ok")
        n = int(line.get("write", "0") or 0)
        c.ok(any(re.search(r"count %d\b" % n, op or "") for (op,) in q(
            "SELECT op FROM requests WHERE device = ? AND op LIKE 'Twrite%'", dp)),
            "9p Twrite of the guest's %d bytes decoded" % n)
        c.ok(any(r[0] == P9_LINE for r in q("SELECT CAST(data AS TEXT) FROM requests WHERE device = ? "
                                             "AND op LIKE 'Twrite%'", dp)),
             "9p Twrite data is the guest's line")
        # A used entry of a best-effort copy can be another element's (a
        # head the driver reused before its used entry was copied): QEMU's
        # own fill report says what the device wrote for each chain.
        fills = q("SELECT r.op, u.len, s.len FROM requests r JOIN used u ON u.chain = r.chain "
                  "JOIN device_steps s ON s.chain = r.chain AND s.step = 'fill' WHERE r.device = ?", dp)
        differ = sum(1 for f in fills if f[1] != f[2])
        noreply = sum(1 for f in fills if f[1] == f[2] and (" -> " not in (f[0] or "") or " -> ?" in f[0]))
        unused = q("SELECT count(*) FROM requests WHERE device = ? AND seq_used IS NULL", dp)[0][0]
        torn = q("SELECT count(*) FROM chains WHERE device = ? AND memory = 'torn'", dp)[0][0]
        pops = q("SELECT count(*) FROM device_steps WHERE device = ? AND step = 'pop'", dp)[0][0]
        print("9p: QEMU popped %d elements, %d requests decoded" % (pops, len(rows)))
        print("9p: %d used entries matched with QEMU's fill reports, %d of them with another length (the used "
              "entry of another element); %d requests never used; %d chains torn" % (len(fills), differ, unused, torn))
        # The reply is read from a best-effort copy of the buffer, which can
        # be taken after the guest freed it (and the allocator zeroed it
        # for the next request): a missing reply is measured, not failed.
        print("9p: %d requests whose used length agrees with QEMU's have no reply decoded (reply bytes copied too "
              "late)" % noreply)
        c.ok(len(fills) > 0, "9p: QEMU's fill reports matched with chains")
        replied = late = 0
        wrong = []
        for (op,) in rows:
            if not op or " -> " not in op:
                continue
            t, r = op.split(" -> ", 1)
            if r.startswith("? "):
                late += 1
                continue
            replied += 1
            tt, rt = t.split()[0], r.split()[0]
            if rt != "Rlerror" and rt != "R" + tt[1:]:
                wrong.append(op)
        c.ok(replied > 0 and not wrong, "9p: %d replies decoded, each of its T-message's type or Rlerror%s; "
             "%d buffers held another message (copied late)" % (replied, " (not: %s)" % wrong[:3] if wrong else "", late))
        # The mount's first messages, before the guest polls the share:
        # their replies must be there unless QEMU's fill disagrees with the
        # used entry or the chain was torn.
        for t, want in (("Tversion", "Rversion msize"), ("Tattach", "Rattach"), ("Tlcreate", "Rlcreate"),
                        ("Twrite", "Rwrite count %d" % n)):
            got = q("SELECT r.op, c.memory, u.len, s.len FROM requests r JOIN chains c USING (chain) "
                    "LEFT JOIN used u ON u.chain = r.chain LEFT JOIN device_steps s ON s.chain = r.chain "
                    "AND s.step = 'fill' WHERE r.device = ? AND r.op LIKE ? || '%' ORDER BY r.request LIMIT 1", dp, t)
            if not got:
                # Nothing is decoded from a copy found torn.
                c.ok(torn > 0, "9p %s decoded%s" % (t, " (excused: %d copies torn)" % torn if torn else ""))
                continue
            op, mem, ulen, flen = got[0]
            excused = mem == "torn" or ulen != flen
            c.ok(("-> " + want) in op or excused,
                 "9p %s answered: %s%s" % (t, op, " (excused: torn or used entry of another element)" if excused else ""))
        c.ok(types.get("(none)", 0) == 0, "every 9p request has its message type (%d without)" % types.get("(none)", 0))

    # --- input: the events QMP sent, as the device wrote them.
    inp = dev_of("input")
    if inp:
        di = inp[0]
        ops = [r[0] or "" for r in q("SELECT r.op FROM requests r JOIN used u ON u.chain = r.chain "
                                      "WHERE r.device = ? AND r.kind = 'input-event' ORDER BY u.seq, u.used_idx", di)]
        evs = []
        for op in ops:
            for part in op.split(", "):
                m = re.match(r"EV_KEY (\d+) (-?\d+)$", part)
                if m:
                    evs.append([int(m.group(1)), int(m.group(2))])
        n_events = sum(len(op.split(", ")) for op in ops if op)
        line = g.get("input", [{}])[0]
        print("input: decoded %d events in %d buffers, keys %s; host sent %s; guest read %s events, keys %s" %
              (n_events, len(ops), evs, sent["keys"], line.get("events"), line.get("keys")))
        guest_keys = [[int(a), int(b)] for a, b in (k.split(":") for k in line.get("keys", "none").split(",")
                                                     if ":" in k)]
        c.ok(guest_keys == sent["keys"], "input: the guest read the keys QMP sent")
        # QEMU's own fill reports say how many eventq buffers it filled.
        # A used entry the guest consumed without touching the device's
        # registers again (its interrupt handler still running) is in no
        # ring copy: the trace never shows it.  Those are measured; what
        # was decoded must be what QMP sent, in order.
        fills = q("SELECT count(*) FROM device_steps WHERE device = ? AND queue = 0 AND step = 'fill'", di)[0][0]
        guest_n = int(line.get("events", "-1"))
        print("input: QEMU filled %d eventq buffers, the guest read %d events, %d decoded (%d used entries not in "
              "the trace)" % (fills, guest_n, n_events, fills - len(ops)))
        c.ok(fills == guest_n, "input: QEMU's fills %d = events the guest read %d" % (fills, guest_n))
        c.ok(len(evs) > 0 and evs == sent["keys"][:len(evs)], "input: decoded key events are what QMP sent, in order")
        c.ok(n_events == len(ops) <= fills, "input: one event per used buffer, no more than QEMU filled")

    # --- balloon: inflated pages against the target and MemTotal.
    bal = dev_of("balloon")
    if bal:
        db_ = bal[0]
        rows = q("SELECT op FROM requests WHERE device = ? AND kind = 'balloon-inflate'", db_)
        pages = 0
        for (op,) in rows:
            m = re.match(r"(\d+) pages?$", op or "")
            c.ok(m is not None, "balloon-inflate op '%s' names its pages" % op) if not m else None
            if m:
                pages += int(m.group(1))
        defl = q("SELECT count(*) FROM requests WHERE device = ? AND kind = 'balloon-deflate'", db_)[0][0]
        before = int(g.get("waiting-balloon", [{}])[0].get("memtotal-kb", "0"))
        after = int(g.get("balloon", [{}])[0].get("memtotal-kb", "0"))
        drop_pages = (before - after) * 1024 // BALLOON_PAGE
        print("balloon: %d inflate requests, %d pages (%d MiB); %d deflate; guest MemTotal %d -> %d kB (%d pages); "
              "QMP actual %s" % (len(rows), pages, pages * BALLOON_PAGE >> 20, defl, before, after, drop_pages,
                                 sent.get("balloon_actual")))
        c.ok(pages > 0 and pages == drop_pages, "balloon: inflated pages decoded %d = guest's MemTotal drop %d" %
             (pages, drop_pages))
        actual = sent.get("balloon_actual")
        if isinstance(actual, int) and actual > 0:
            c.ok((256 << 20) - pages * BALLOON_PAGE == actual,
                 "balloon: 256 MiB - inflated = QEMU's actual %d MiB" % (actual >> 20))

    viol = q("SELECT d.name, v.rule, count(*) FROM violations v JOIN devices d USING (device) GROUP BY 1, 2")
    print("violations: %s" % (viol or "none"))
    anom = q("SELECT d.name, a.rule, count(*) FROM anomalies a JOIN devices d USING (device) GROUP BY 1, 2")
    print("anomalies: %s" % (anom or "none"))
    c.ok(not any(r == "request-malformed" for _, r, _ in viol), "no request-malformed violation")
    print("%s: %d check(s) failed" % ("FAIL" if c.failed else "PASS", c.failed))
    return 1 if c.failed else 0


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("drive", "check"):
        sys.stderr.write("usage: guest_devices_checks.py drive|check WORK\n")
        return 2
    return drive(sys.argv[2]) if sys.argv[1] == "drive" else check(sys.argv[2])


if __name__ == "__main__":
    sys.exit(main())
