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
  "VMTGUEST waiting-balloon" asks for a balloon target BALLOON_SHRINK_MB
  MiB below the guest's RAM (query-balloon's actual before, so either
  machine's RAM size), then creates guest/share/balloon-sent.  It ends on
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
BALLOON_SHRINK_MB = 32
IDLE_LIMIT = 300
EV_SYN, EV_KEY = 0, 1
BALLOON_PFNS_MAX = 256  # VIRTIO_BALLOON_ARRAY_PFNS_MAX: PFNs one inflate request carries at most
BALLOON_PAGE = 4096
P9_LINE = "vmtrace 9p line\n"  # guest-init.sh's P9_LINE and its newline
# tests/guest/vmt_tool.c's KEY, IV and PLAIN (AES-128-CBC, no padding)
ALG_KEY = b"vmtrace key 1234"
ALG_IV = b"vmtrace iv  5678"
ALG_PLAIN = b"vmtrace crypto line 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH"
GPU_PATTERN_BYTES = 4096  # guest-init.sh's gpu step writes the blk pattern
VSOCK_LINE = "vmtrace vsock line"  # guest-init.sh's VSOCK_LINE (no newline)


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
    sent = {"keys": [], "balloon_mb": None, "balloon_before": None, "balloon_actual": None, "errors": []}
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
                before = qmp.cmd("query-balloon").get("actual")
                if not isinstance(before, int) or before <= BALLOON_SHRINK_MB << 20:
                    raise RuntimeError("query-balloon's actual %r before the balloon" % (before,))
                sent["balloon_before"] = before
                sent["balloon_mb"] = (before >> 20) - BALLOON_SHRINK_MB
                qmp.cmd("balloon", value=before - (BALLOON_SHRINK_MB << 20))
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
    want_types = {"0x0008": "scsi", "0x0009": "9p", "0x0005": "balloon", "0x0012": "input",
                  "0x0010": "gpu", "0x0014": "crypto", "0x0013": "vsock"}
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

    type_ids = {"scsi": 8, "9p": 9, "balloon": 5, "input": 18, "gpu": 16, "crypto": 20, "vsock": 19}

    def dev_of(name):
        return [r[0] for r in q("SELECT device FROM devices WHERE device_id = ?", type_ids[name])]

    # --- scsi: READ/WRITE with LUN, counts against the guest's block stat.
    scsi = dev_of("scsi")
    if scsi:
        ds = scsi[0]
        w = g.get("scsi", [])
        stat = [x for x in w if "reads" in x]
        # QEMU's fill report: the bytes the device wrote for the chain.
        sel = ("SELECT r.op, r.sector, r.length, c.memory, r.seq_used, s.len FROM requests r "
               "LEFT JOIN chains c USING (chain) LEFT JOIN device_steps s ON s.chain = r.chain AND s.step = 'fill' "
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
        # chain copied in its place; when Linux reused an indirect table
        # of the same shape, only QEMU's fill length tells: a READ of N
        # bytes fills the response and N bytes, another command less):
        # the guest's count must lie between the untorn used ones whose
        # fill fits and all decoded plus the torn copies.
        if stat:
            for what, rows, n in (("READ", rd, int(stat[0]["reads"])), ("WRITE", wr, int(stat[0]["writes"]))):
                used = [r for r in rows if r[3] != "torn" and r[4] is not None]
                clean = [r for r in used if what == "WRITE" or r[5] is None or r[5] >= (r[2] or 0)]
                c.ok(len(clean) <= n <= len(rows) + torn, "scsi %ss decoded %d (%d used, on untorn copies, %d of them "
                     "with QEMU's fill too short for it: another command's copied late; %d copies torn), "
                     "guest's sda %d" % (what, len(rows), len(used), len(used) - len(clean), torn, n))
        c.ok(no_op == 0, "every scsi request has its command decoded")
        # QEMU's SCSI layer reports the LBA and length it parsed
        # (scsi-lba, scsi-xfer steps): every READ/WRITE decoded from a copy
        # must have both, agreeing (or, for a copy that came after its pop
        # was judged, no-copy: then checked against the LBA only), the LBA
        # its sector.
        lbas = q("SELECT count(*) FROM device_steps WHERE device = ? AND step = 'scsi-lba'", ds)[0][0]
        rows = q("SELECT r.sector, l.sector, l.verdict, x.verdict FROM requests r "
                 "LEFT JOIN device_steps l ON l.chain = r.chain AND l.step = 'scsi-lba' "
                 "LEFT JOIN device_steps x ON x.chain = r.chain AND x.step = 'scsi-xfer' "
                 "WHERE r.device = ? AND r.kind = 'scsi' AND (r.op LIKE 'READ(%' OR r.op LIKE 'WRITE(%')", ds)
        confirmed = [r for r in rows if r[0] == r[1] and r[2] == r[3] and r[2] in ("agrees", "no-copy")]
        print("scsi: %d scsi-lba reports; %d of %d decoded READ/WRITE confirmed by QEMU's LBA and length" %
              (lbas, len(confirmed), len(rows)))
        c.ok(lbas > 0 and len(confirmed) == len(rows),
             "every decoded scsi READ/WRITE has QEMU's LBA (its sector) and length agreeing")

    # --- 9p: message types, the file write.
    p9 = dev_of("9p")
    if p9:
        dp = p9[0]
        rows = q("SELECT r.op, c.memory FROM requests r LEFT JOIN chains c USING (chain) "
                 "WHERE r.device = ? AND r.kind = '9p'", dp)
        types = {}
        unheld = 0
        for (op, mem) in rows:
            # A copy that holds the message only in part says nothing of it
            # (no op): honest, counted apart rather than as a type lost.
            if op is None and mem in ("partial", "missing"):
                unheld += 1
                continue
            t = (op or "(none)").split()[0]
            types[t] = types.get(t, 0) + 1
        if unheld:
            print("9p: %d requests whose copy holds the message only in part (no op)" % unheld)
        print("9p: decoded %d requests: %s" % (len(rows), ", ".join("%s %d" % kv for kv in sorted(types.items()))))
        # A message sent once (Tversion, the Twrite) whose copy was found
        # torn is flagged, not decoded: excused by a torn copy.
        torn9 = q("SELECT count(*) FROM chains WHERE device = ? AND memory = 'torn'", dp)[0][0]
        for t in ("Tversion", "Tattach", "Twalk", "Twrite", "Tclunk"):
            c.ok(types.get(t, 0) > 0 or torn9 > 0,
                 "9p %s decoded%s" % (t, "" if types.get(t, 0) else " (excused: %d copies torn)" % torn9))
        c.ok(types.get("Tlcreate", 0) + types.get("Tlopen", 0) > 0 or torn9 > 0, "9p Tlcreate or Tlopen decoded")
        line = g.get("9p", [{}])[0]
        c.ok(line.get("read") == "ok", "guest's 9p write and read back ok")
        n = int(line.get("write", "0") or 0)
        writes = q("SELECT op, CAST(data AS TEXT) FROM requests WHERE device = ? AND op LIKE 'Twrite%'", dp)
        if not writes and torn9:
            print("9p: the guest's Twrite not decoded (excused: %d copies torn)" % torn9)
        else:
            c.ok(any(re.search(r"count %d\b" % n, op or "") for op, _ in writes),
                 "9p Twrite of the guest's %d bytes decoded" % n)
            c.ok(any(data == P9_LINE for _, data in writes), "9p Twrite data is the guest's line")
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
        for (op, _mem) in rows:
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
        # used entry, the chain was torn, or the reply buffer was copied
        # after the guest reused it ("-> ?": measured above), but not all
        # of them late.
        late_first = 0
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
            why = "torn or used entry of another element"
            if " -> ? " in op and not excused:
                late_first += 1
                excused, why = True, "reply copied late"
            c.ok(("-> " + want) in op or excused,
                 "9p %s answered: %s%s" % (t, op, " (excused: %s)" % why if excused else ""))
        c.ok(late_first < 4, "9p: of the mount's first 4 messages, %d replies copied late" % late_first)
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
        # registers again (its interrupt handler still running, EVENT_IDX
        # suppressing the next interrupt) is copied after QEMU's flush
        # (capture/qemu/qemu_source.c): every one is in the trace, and the
        # decoded events are what QMP sent, in order.
        fills = q("SELECT count(*) FROM device_steps WHERE device = ? AND queue = 0 AND step = 'fill'", di)[0][0]
        guest_n = int(line.get("events", "-1"))
        print("input: QEMU filled %d eventq buffers, the guest read %d events, %d decoded (%d used entries not in "
              "the trace)" % (fills, guest_n, n_events, fills - len(ops)))
        c.ok(fills == guest_n, "input: QEMU's fills %d = events the guest read %d" % (fills, guest_n))
        # A buffer whose copy was found torn is flagged, not decoded: it
        # excuses one missing event, and the rest keep QMP's order.
        torn = q("SELECT count(*) FROM chains c JOIN used u ON u.chain = c.chain WHERE c.device = ? AND c.queue = 0 "
                 "AND c.memory = 'torn'", di)[0][0]
        if torn:
            it = iter(sent["keys"])
            c.ok(len(ops) + torn >= fills and all(k in it for k in evs),
                 "input: the eventq buffers QEMU filled are in the trace (%d of %d, excused: %d copies torn), their "
                 "events in QMP's order" % (len(ops), fills, torn))
        else:
            c.ok(len(ops) == fills,
                 "input: every eventq buffer QEMU filled is in the trace (%d of %d)" % (len(ops), fills))
            c.ok(evs == sent["keys"], "input: decoded key events are all QMP sent, in order")
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
        # An inflate request whose copy was found torn is flagged, not
        # decoded: it hides at most one array of PFNs (Linux sends at most
        # 256 a request), so the count is checked with that allowance.
        torn = q("SELECT count(*) FROM chains WHERE device = ? AND queue = 0 AND memory = 'torn'", db_)[0][0]
        if torn:
            c.ok(0 < pages <= drop_pages <= pages + torn * BALLOON_PFNS_MAX,
                 "balloon: inflated pages decoded %d, guest's MemTotal drop %d (excused: %d inflate copies torn)" %
                 (pages, drop_pages, torn))
        else:
            c.ok(pages > 0 and pages == drop_pages, "balloon: inflated pages decoded %d = guest's MemTotal drop %d" %
                 (pages, drop_pages))
        actual = sent.get("balloon_actual")
        ram = sent.get("balloon_before")
        if isinstance(actual, int) and actual > 0 and isinstance(ram, int):
            inflated = drop_pages if torn else pages
            c.ok(ram - inflated * BALLOON_PAGE == actual,
                 "balloon: %d MiB - inflated = QEMU's actual %d MiB" % (ram >> 20, actual >> 20))

    check_gpu(c, g, q, dev_of)
    check_crypto(c, g, q, dev_of, work)
    check_vsock(c, g, q, dev_of, work)

    viol = q("SELECT d.name, v.rule, count(*) FROM violations v JOIN devices d USING (device) GROUP BY 1, 2")
    print("violations: %s" % (viol or "none"))
    anom = q("SELECT d.name, a.rule, count(*) FROM anomalies a JOIN devices d USING (device) GROUP BY 1, 2")
    print("anomalies: %s" % (anom or "none"))
    c.ok(not any(r == "request-malformed" for _, r, _ in viol), "no request-malformed violation")
    print("%s: %d check(s) failed" % ("FAIL" if c.failed else "PASS", c.failed))
    return 1 if c.failed else 0


def popped_vs_decoded(c, q, dev, name):
    """Per queue: every element QEMU popped is a decoded request or a
    chain found torn (flagged, nothing decoded from it)."""
    for qu, pops in q("SELECT queue, count(*) FROM device_steps WHERE device = ? AND step = 'pop' "
                      "GROUP BY 1", dev):
        reqs = q("SELECT count(*) FROM requests WHERE device = ? AND queue = ?", dev, qu)[0][0]
        torn = q("SELECT count(*) FROM chains WHERE device = ? AND queue = ? AND memory = 'torn'", dev, qu)[0][0]
        flagged = q("SELECT count(DISTINCT a.seq) FROM anomalies a WHERE a.device = ? AND a.rule = 'ring-copy-torn'",
                    dev)[0][0]
        c.ok(reqs + torn == pops, "%s queue %d: QEMU popped %d elements = %d requests decoded + %d copies torn "
             "(flagged: %d ring-copy-torn anomalies on the device)" % (name, qu, pops, reqs, torn, flagged))
        if torn:
            c.ok(flagged > 0, "%s queue %d: the torn copies are flagged as ring-copy-torn" % (name, qu))


def check_gpu(c, g, q, dev_of):
    """virtio-gpu: the driver's set-up and the fbdev writes, decoded."""
    gpu = dev_of("gpu")
    line = g.get("gpu", [{}])[0]
    if not gpu:
        return
    dg = gpu[0]
    rows = q("SELECT r.op, r.status, r.seq_used, r.kind, r.seq_notify FROM requests r WHERE r.device = ? "
             "ORDER BY r.request", dg)
    # Anomalies at a request's notify or used entry: its copy is known bad
    # (e.g. device-used-len-too-long: QEMU wrote more than the copied
    # chain could take, an indirect table Linux had reused).
    flagged_seqs = {a[0] for a in q("SELECT seq FROM anomalies WHERE device = ?", dg)}
    by = {}
    for op, st, used, kind, _ in rows:
        t = (op or "(none)").split()[0]
        by.setdefault(t, []).append((op or "", st, used))
    print("gpu: decoded %d requests: %s; guest: %s" % (len(rows), ", ".join(
        "%s %d" % (k, len(v)) for k, v in sorted(by.items())), " ".join(line.get("_", [])) or "no gpu line"))
    c.ok(line.get("write") == "ok", "gpu: the guest's framebuffer %s (%s) was written" %
         (line.get("fb"), line.get("name")))
    m = re.match(r"(\d+)x(\d+)$", line.get("size", ""))
    if not c.ok(m is not None, "gpu: the guest's framebuffer size %s" % line.get("size")):
        return
    w, h = int(m.group(1)), int(m.group(2))
    bpp = int(line.get("bpp", "32") or 32)
    # The fbdev emulation flushes the lines the written pages touched.
    lines = -(-GPU_PATTERN_BYTES // (w * bpp // 8))

    def matching(t, pattern):
        return [(op, st, used) for op, st, used in by.get(t, []) if re.search(pattern, op)]

    # A response is the device's (resp, status 0), or not in the trace: the
    # buffer copied after the guest reused it ("-> ? ... copied late"), or
    # the used entry in no copy (the guest touched the device no more).
    torn = q("SELECT count(*) FROM chains WHERE device = ? AND memory = 'torn'", dg)[0][0]

    # Nothing is decoded from a copy found torn (flagged): a command never
    # decoded is excused when the device has torn copies.
    def answered(t, pattern, resp, what):
        rows = matching(t, pattern)
        ok = [r for r in rows if r[0].endswith("-> " + resp) and r[1] == 0]
        late = [r for r in rows if " -> ? " in r[0]]
        unused = [r for r in rows if r[2] is None]
        c.ok((rows or torn) and len(ok) + len(late) + len(unused) == len(rows),
             "gpu: %s decoded %d times: %d -> %s, %d responses copied late, %d used entries in no copy%s" %
             (what, len(rows), len(ok), resp, len(late), len(unused),
              " (excused: %d copies torn)" % torn if not rows else ""))

    answered("GET_DISPLAY_INFO", r"^GET_DISPLAY_INFO", "OK_DISPLAY_INFO", "GET_DISPLAY_INFO")
    answered("RESOURCE_CREATE_2D", r" %dx%d\b" % (w, h), "OK_NODATA",
             "RESOURCE_CREATE_2D %dx%d (the guest's framebuffer)" % (w, h))
    answered("RESOURCE_ATTACH_BACKING", r"entries [1-9]", "OK_NODATA", "RESOURCE_ATTACH_BACKING")
    answered("SET_SCANOUT", r"scanout 0 res [1-9]\d* rect %dx%d\+0\+0" % (w, h), "OK_NODATA",
             "SET_SCANOUT of scanout 0 to the resource, %dx%d" % (w, h))
    for t in ("TRANSFER_TO_HOST_2D", "RESOURCE_FLUSH"):
        answered(t, r"rect %dx%d\+0\+0" % (w, lines), "OK_NODATA", "%s of the %d lines the guest's %d bytes "
                 "cover (rect %dx%d+0+0)" % (t, lines, GPU_PATTERN_BYTES, w, lines))
    used = [r for r in rows if r[2] is not None]
    answers = [r for r in used if r[3] == "gpu-cursor" or " -> " in (r[0] or "")]
    late = [r for r in answers if " -> ? " in (r[0] or "")]
    oks = [r for r in answers if r[1] == 0]
    bad = [r for r in answers if r[1] != 0 and r[3] == "gpu-ctrl" and r not in late]
    unflagged = [r[0] for r in bad if r[2] not in flagged_seqs and r[4] not in flagged_seqs]
    print("gpu: %d commands used in the trace: %d responses OK_*, %d copied late, %d other" %
          (len(used), len(oks), len(late), len(bad)))
    c.ok(len(answers) == len(used), "gpu: every used command has its response decoded or said copied late "
         "(%d of %d)" % (len(answers), len(used)))
    c.ok(len(oks) > 0 and not unflagged, "gpu: every response is OK_* or copied late, but on copies flagged as "
         "anomalies (%d: %s)%s" % (len(bad), [r[0] for r in bad[:3]],
                                   "; not flagged: %s" % unflagged[:3] if unflagged else ""))
    c.ok(by.get("(none)") is None, "gpu: every command has its type named")
    popped_vs_decoded(c, q, dg, "gpu")


def check_crypto(c, g, q, dev_of, work):
    """virtio-crypto: vmt-tool alg's cipher requests, and the sessions."""
    cr = dev_of("crypto")
    if not cr:
        return
    dc = cr[0]
    lines = g.get("crypto", [])
    algs = next((x for x in lines if "algs" in x), {})
    run = next((x for x in lines if "encrypt" in x or "bind" in x), {})
    print("crypto: guest: %s" % "; ".join(" ".join(x["_"]) for x in lines))
    c.ok("virtio_crypto_aes_cbc" in algs.get("algs", "").split(","),
         "crypto: the guest registered virtio_crypto_aes_cbc (%s)" % algs.get("algs"))
    c.ok(run.get("encrypt") == "ok" and run.get("decrypt") == "ok",
         "crypto: vmt-tool alg's encryption and decryption through virtio_crypto_aes_cbc ok")
    want = None
    try:
        import subprocess
        want = subprocess.run(["openssl", "enc", "-aes-128-cbc", "-nopad", "-K", ALG_KEY.hex(), "-iv", ALG_IV.hex()],
                              input=ALG_PLAIN, capture_output=True, check=True).stdout.hex()
    except (OSError, subprocess.CalledProcessError):
        pass
    if want:
        c.ok(run.get("ct") == want, "crypto: the device's ciphertext is AES-128-CBC's (openssl: %s...)" % want[:16])
    else:
        c.ok(run.get("soft") == "match", "crypto: the device's ciphertext equals the kernel's aes-generic "
             "(no openssl here)")
    rows = q("SELECT r.queue, r.kind, r.op, r.status, r.length, r.seq_used FROM requests r WHERE r.device = ? "
             "ORDER BY r.request", dc)
    ctrl = [r for r in rows if r[1] == "crypto-ctrl"]
    data = [r for r in rows if r[1] == "crypto-data"]
    kinds = {}
    for r in rows:
        k = re.sub(r" (session|queue|iv|src|dst) \d+", "", (r[2] or "(none)").replace("-> session", "-> SESSION"))
        kinds[k] = kinds.get(k, 0) + 1
    print("crypto: decoded %d control and %d data requests: %s" % (len(ctrl), len(data), ", ".join(
        "%s %d" % kv for kv in sorted(kinds.items()))))
    c.ok(any(re.match(r"CREATE_SESSION CIPHER AES_CBC queue \d+ -> session \d+$", r[2] or "") for r in ctrl),
         "crypto: CREATE_SESSION CIPHER AES_CBC answered with a session id")
    # vmt-tool alg runs after the self-tests the guest reported as done: its
    # two requests are the last cipher requests, an encryption and a
    # decryption of 64 bytes, each answered OK; nothing is decoded from a
    # copy found torn (flagged), so with torn copies on the data queues
    # the last one decoded must be one of them.
    ciph = [r for r in data if (r[2] or "").startswith("CIPHER_")]
    last = [re.sub(r" session \d+", "", r[2] or "") for r in ciph[-2:]]
    ours = ["CIPHER_ENCRYPT iv 16 src 64 dst 64 -> OK", "CIPHER_DECRYPT iv 16 src 64 dst 64 -> OK"]
    dtorn = q("SELECT count(*) FROM chains c WHERE c.device = ? AND c.memory = 'torn' AND c.queue IN "
              "(SELECT DISTINCT queue FROM requests WHERE device = ? AND kind = 'crypto-data')", dc, dc)[0][0]
    c.ok(last == ours or (dtorn > 0 and last[-1:] and last[-1] in ours),
         "crypto: vmt-tool alg's requests decoded: %s%s" % (last or "none", " (%d data copies torn)" % dtorn
                                                            if last != ours else ""))
    c.ok(len(ciph) >= 1 and ciph[-1][4] == 64, "crypto: their length is vmt-tool alg's 64 bytes")
    c.ok(all(r[5] is not None and " -> " in (r[2] or "") for r in data),
         "crypto: every data request used and its status decoded")
    c.ok("(none)" not in kinds, "crypto: every request has its op named")
    # Linux busy-polls the control queue (no register access until its
    # next request) and reuses the buffer with the status preset to ERR:
    # an answer still as the driver left it is "not in the copy"
    # (req_crypto.c), and any other ERR in a best-effort copy is "ERR?"
    # (maybe a preset; no status).  The guest logs every failed session
    # ("Create session failed"): a plain ERR (an exact copy) needs one.
    errs = sum(1 for r in ctrl if (r[2] or "").endswith("-> ERR"))
    maybe = sum(1 for r in ctrl if "-> ERR? " in (r[2] or ""))
    unseen = sum(1 for r in ctrl if "answer not in the copy" in (r[2] or ""))
    answered = sum(1 for r in ctrl if re.search(r"-> (session \d+|OK)$", r[2] or ""))
    try:
        kernel_failed = sum(1 for line in open(os.path.join(work, "serial.txt"), encoding="latin-1")
                            if "session failed" in line)
    except OSError:
        kernel_failed = -1
    print("crypto: control answers: %d decoded (session id or OK), %d not in the copy (shown as '?'), %d ERR in a "
          "best-effort copy (shown as 'ERR?': maybe the driver's preset), %d read as ERR; the guest's kernel logged "
          "%d failed sessions" % (answered, unseen, maybe, errs, kernel_failed))
    c.ok(errs == 0 or errs <= kernel_failed,
         "crypto: no control answer claims ERR beyond the guest's failed sessions (%d, %d)" % (errs, kernel_failed))
    popped_vs_decoded(c, q, dc, "crypto")


def check_vsock(c, g, q, dev_of, work):
    """virtio-vsock: the guest's connection, packet by packet, against
    what the vhost-user backend (vsock_backend.py) logged."""
    vs = dev_of("vsock")
    if not vs:
        return
    dv = vs[0]
    line = g.get("vsock", [{}])[0]
    print("vsock: guest: %s" % " ".join(line.get("_", [])))
    c.ok(line.get("connect") == "ok" and line.get("sent") == str(len(VSOCK_LINE)),
         "vsock: the guest connected to the host and sent its %d bytes" % len(VSOCK_LINE))
    log = []
    for raw in open(os.path.join(work, "vsock.json"), encoding="utf-8"):
        try:
            log.append(json.loads(raw))
        except ValueError:
            c.ok(False, "vsock: backend log line %r" % raw[:80])
    errors = [r["error"] for r in log if "error" in r]
    c.ok(not errors, "vsock: the backend found the guest's rings sound (%s)" % (errors[:2] or "no error"))

    def text(r):
        return "%s %d:%d -> %d:%d" % (r["op"], r["src_cid"], r["src_port"], r["dst_cid"], r["dst_port"])

    for kind, d in (("vsock-tx", "tx"), ("vsock-rx", "rx")):
        want = [(text(r), r["len"], r["data"]) for r in log if r.get("dir") == d]
        # rx buffers the guest posted and the device never filled are
        # requests without an op: only the used ones carry packets.
        got = [(op, ln or 0, (data or b"").decode("latin-1")) for op, ln, data in
               q("SELECT r.op, r.length, r.data FROM requests r WHERE r.device = ? AND r.kind = ? "
                 "AND (r.kind = 'vsock-tx' OR r.seq_used IS NOT NULL) ORDER BY coalesce(r.seq_used, r.seq_notify), "
                 "r.request", dv, kind)]
        print("vsock: %s decoded %s; the backend logged %s" % (kind, [x[0] for x in got], [x[0] for x in want]))
        # QEMU hands a vhost-user device's notifies to the backend through
        # an eventfd, past its own register handler: no trace line, so no
        # ring copy at the notify, and QEMU reports no pop or fill.  A copy
        # taken after the guest reused a buffer shows a later packet there
        # (found only by this comparison: measured, not failed).
        late = [i for i, x in enumerate(got) if i < len(want) and x != want[i] and x in want[i + 1:]]
        # A header no driver sends, in such a copy, is flagged (anomaly
        # request-malformed) and left without an op.
        flagged = [i for i, x in enumerate(got) if x[0] is None]
        wrong = [i for i, x in enumerate(got)
                 if i >= len(want) or (x != want[i] and i not in late and i not in flagged)]
        c.ok(len(got) == len(want) and not wrong,
             "vsock: %s packets decoded = the backend's (op, cid:port both ends, length, payload): %d of %d, "
             "%d copied late (a later packet in the buffer), %d flagged%s" %
             (kind, len(got) - len(late) - len(flagged), len(want), len(late), len(flagged),
              "; wrong: %s" % [got[i] for i in wrong[:3]] if wrong else ""))
    c.ok(any(r.get("op") == "RW" and r.get("data") == VSOCK_LINE for r in log if r.get("dir") == "tx"),
         "vsock: the host received the guest's line")


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("drive", "check"):
        sys.stderr.write("usage: guest_devices_checks.py drive|check WORK\n")
        return 2
    return drive(sys.argv[2]) if sys.argv[1] == "drive" else check(sys.argv[2])


if __name__ == "__main__":
    sys.exit(main())
