#!/usr/bin/env python3
"""Check vmtrace.lua on a real export: every record read whole, links both ways.

    check_export.py VMTRACE_LUA FILE.pcapng|FILE.pcap [--db TRACE.db]
    check_export.py VMTRACE_LUA --vmtrace VMTRACE_EXE TRACE.db...   (exports each first)

Every frame of link type USER0 must be a vmtrace record the dissector reads
without a Lua error, a malformed record or a value outside the format; every
mmio record has its direction, register and value; a request's notify, used
entry and interrupt records name each other's frames.  With --db (and for
each TRACE.db exported), the counts of violation, anomaly, status and
QueueNotify records, and of requests with a notify, used or interrupt
record, are compared with the trace's tables (docs/export.md: each is a
record).  Exit 77 if tshark is missing.
"""
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vmtrace_tshark import Tshark, TsharkError  # noqa: E402

WTAP_ENCAP_USER0 = "45"
KINDS = {"1": "mmio", "2": "interrupt", "3": "status", "4": "violation", "5": "anomaly", "6": "request",
         "7": "marker"}
PHASE_LINK = {"1": "vmtrace.request.notify_in", "2": "vmtrace.request.used_in", "3": "vmtrace.request.irq_in"}
FIELDS = ["frame.encap_type", "_ws.col.Protocol", "_ws.lua.error", "_ws.malformed", "vmtrace.malformed",
          "vmtrace.bad_value", "vmtrace.version.unknown", "vmtrace.kind.unknown", "vmtrace.kind", "vmtrace.device",
          "vmtrace.dir", "vmtrace.reg", "vmtrace.value", "vmtrace.request.id", "vmtrace.request.phase",
          "vmtrace.request.notify_in", "vmtrace.request.used_in", "vmtrace.request.irq_in"]


def check_file(ts, path, db=None):
    """Problems found in one export, as text; also prints a count of records by kind."""
    problems = []
    rows = ts.fields(path, FIELDS)
    records = {n: r for n, r in rows.items() if r["frame.encap_type"] == WTAP_ENCAP_USER0}
    if not records:
        problems.append("no USER0 frames")
    kinds = {}
    requests = {}  # (device, request id) -> {phase: frame}
    for n, r in records.items():
        where = "%s frame %d" % (os.path.basename(path), n)
        if r["_ws.col.Protocol"] != "vmtrace":
            problems.append("%s: not dissected as vmtrace (%r)" % (where, r["_ws.col.Protocol"]))
        for bad in ("_ws.lua.error", "_ws.malformed", "vmtrace.malformed", "vmtrace.bad_value",
                    "vmtrace.version.unknown", "vmtrace.kind.unknown"):
            if r[bad]:
                problems.append("%s: %s" % (where, bad))
        kind = KINDS.get(r["vmtrace.kind"], r["vmtrace.kind"])
        kinds[kind] = kinds.get(kind, 0) + 1
        if kind == "mmio" and not (r["vmtrace.dir"] in ("R", "W") and r["vmtrace.reg"] and r["vmtrace.value"]):
            problems.append("%s: mmio without dir, reg or value: %r" % (where, r))
        if kind == "request":
            phases = requests.setdefault((r["vmtrace.device"], r["vmtrace.request.id"]), {})
            if r["vmtrace.request.phase"] in phases:
                problems.append("%s: request %s phase %s also in frame %d" % (
                    where, r["vmtrace.request.id"], r["vmtrace.request.phase"], phases[r["vmtrace.request.phase"]]))
            phases.setdefault(r["vmtrace.request.phase"], n)
    for (device, request), phases in requests.items():
        for phase, n in phases.items():
            for other, m in phases.items():
                got = records[n][PHASE_LINK[other]]
                want = "" if other == phase else str(m)
                if got != want:
                    problems.append("%s frame %d: request %s (device %s) %s is %r, want %r" % (
                        os.path.basename(path), n, request, device, PHASE_LINK[other], got, want))
    print("%s: %d records (%s), %d requests" % (os.path.basename(path), len(records),
                                                ", ".join("%d %s" % (c, k) for k, c in sorted(kinds.items())),
                                                len(requests)))
    if db:
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
        for kind, table in (("violation", "violations"), ("anomaly", "anomalies"), ("status", "status_changes")):
            want = con.execute("SELECT count(*) FROM %s" % table).fetchone()[0]
            if kinds.get(kind, 0) != want:
                problems.append("%s: %d %s records, %s has %d rows in %s" % (
                    os.path.basename(path), kinds.get(kind, 0), kind, os.path.basename(db), want, table))
        # QueueNotify writes, and requests with each of their events
        got = sum(1 for r in records.values() if r["vmtrace.reg"] == "QueueNotify")
        want = con.execute("SELECT count(*) FROM events WHERE type = 'mmio' AND reg = 'QueueNotify'").fetchone()[0]
        if got != want:
            problems.append("%s: %d QueueNotify records, %s has %d" % (os.path.basename(path), got,
                                                                    os.path.basename(db), want))
        for phase, col in (("1", "seq_notify"), ("2", "seq_used"), ("3", "seq_irq")):
            got = sum(1 for ph in requests.values() if phase in ph)
            want = con.execute("SELECT count(*) FROM requests WHERE %s IS NOT NULL" % col).fetchone()[0]
            if got != want:
                problems.append("%s: %d requests with a %s record, %s has %d" % (
                    os.path.basename(path), got, col, os.path.basename(db), want))
        con.close()
    return problems


def main(argv):
    args = argv[1:]
    if len(args) < 2:
        sys.stderr.write(__doc__)
        return 2
    tshark = shutil.which("tshark")
    if not tshark:
        print("SKIP: tshark is not installed")
        return 77
    lua, rest = args[0], args[1:]
    problems = []
    with tempfile.TemporaryDirectory(prefix="vmtrace-check-export-") as tmp:
        try:
            ts = Tshark(tshark, lua, tmp)
            if rest[0] == "--vmtrace":
                vmtrace, dbs = rest[1], rest[2:]
                for db in dbs:
                    out = os.path.join(tmp, os.path.basename(db) + ".pcapng")
                    p = subprocess.run([vmtrace, "export", "-o", out, db], stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, text=True)
                    if p.returncode != 0:
                        problems.append("vmtrace export %s: exit status %d: %s" % (db, p.returncode, p.stderr))
                        continue
                    problems += check_file(ts, out, db)
            else:
                db = rest[2] if len(rest) == 3 and rest[1] == "--db" else None
                problems += check_file(ts, rest[0], db)
        except TsharkError as err:
            problems.append(str(err))
    for p in problems[:40]:
        print("FAIL: " + p)
    if len(problems) > 40:
        print("... %d more" % (len(problems) - 40))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
