#!/usr/bin/env python3
"""Check a `vmtrace export --format perfetto` file the way Perfetto's JSON
importer reads it (docs/export-perfetto.md), against counts the caller got
from the read library.

Usage: check_perfetto.py FILE --requests N --events N --violations N
                         [--pids 0,1] [--from SEQ] [--to SEQ]
                         [--vcpus PID:VCPU:N,...]

--vcpus: the register accesses the read library counts per process (pid:
device + 1) and vCPU; each must be on its vCPU's thread (tid = pid * 1000
+ vCPU, vCPUs from 999 on sharing pid * 1000 + 999), named "vCPU N" ("vCPU
999+"), and no register access anywhere else.

Exits 0 when every check holds, 1 with one line per failure otherwise.
Where trace_processor (or trace_processor_shell) is on PATH, it also loads
the file and counts the request slices and flows; otherwise that part is
skipped with a note on stdout.
"""
import argparse
import collections
import json
import re
import shutil
import subprocess
import sys
import tempfile

failures = []


def fail(msg):
    failures.append(msg)


def check_document(doc, raw):
    if not isinstance(doc, dict) or "traceEvents" not in doc:
        fail("not an object with traceEvents")
        return []
    # some trace_processor versions stop at the first key they do not know
    if list(doc)[0] != "traceEvents":
        fail("traceEvents is not the first key: %r" % list(doc))
    if "displayTimeUnit" in doc:
        fail("displayTimeUnit changes how older trace_processors read ts")
    # ts and dur in µs with exactly three decimals (ns precision)
    for m in re.finditer(rb'"(ts|dur)":([^,}]*)', raw):
        if not re.fullmatch(rb"\d+\.\d{3}", m.group(2)):
            fail("%s written as %r" % (m.group(1).decode(), m.group(2)))
            break
    return doc["traceEvents"]


def in_range(seq, a):
    return (a.frm is None or seq >= a.frm) and (a.to is None or seq <= a.to)


def check_events(events, a):
    per_track = collections.defaultdict(list)
    begins, ends, instants_n = {}, {}, []
    flows_out, flows_in = {}, {}
    counters = collections.defaultdict(list)
    named, used_pids = set(), set()
    thread_names, tid_pid, used_threads = {}, {}, set()
    track_ts = {}
    registers = collections.Counter()
    n_x = n_findings = n_global = n_status = 0
    allowed_pids = set(int(p) for p in a.pids.split(",")) if a.pids else None

    for i, e in enumerate(events):
        ph = e.get("ph")
        if ph not in ("M", "X", "i", "b", "e", "n", "C"):
            fail("event %d: phase %r" % (i, ph))
            continue
        if not isinstance(e.get("pid"), int) or not isinstance(e.get("tid"), int):
            fail("event %d: pid/tid not integers" % i)
            continue
        if not isinstance(e.get("name"), str):
            fail("event %d: no name" % i)
        if ph == "M":
            if e["name"] == "process_name":
                named.add(e["pid"])
            elif e["name"] == "thread_name":
                key = (e["pid"], e["tid"])
                if key in thread_names:
                    fail("event %d: thread %s named twice" % (i, key))
                thread_names[key] = e.get("args", {}).get("name")
            continue
        if not isinstance(e.get("ts"), (int, float)) or e["ts"] < 0:
            fail("event %d: ts %r" % (i, e.get("ts")))
            continue
        if e["pid"] != 0:
            used_pids.add(e["pid"])
            used_threads.add((e["pid"], e["tid"]))
        # Perfetto keys threads by tid alone: one tid, one process
        if tid_pid.setdefault(e["tid"], e["pid"]) != e["pid"]:
            fail("event %d: tid %d in pids %d and %d" % (i, e["tid"], tid_pid[e["tid"]], e["pid"]))
        # each thread's slices and instants in time order in the file
        if ph in ("X", "i"):
            track = (e["pid"], e["tid"])
            if track in track_ts and e["ts"] < track_ts[track][0]:
                fail("thread %s: event %d (%s) at %r after event %d at %r" %
                     (track, i, e["name"], e["ts"], track_ts[track][1], track_ts[track][0]))
            track_ts[track] = (e["ts"], i)
        if allowed_pids is not None and e["pid"] not in allowed_pids:
            fail("event %d: pid %d outside %s" % (i, e["pid"], a.pids))
        args = e.get("args", {})
        seq = args.get("seq")
        if seq is not None and not in_range(seq, a):
            fail("event %d (%s): seq %d outside the range" % (i, e["name"], seq))
        if ("flow_out" in e or "flow_in" in e) and ph not in ("b", "n", "X"):
            fail("event %d: a flow on phase %s (Perfetto binds flows on b, n, X)" % (i, ph))
        if ph == "X":
            n_x += 1
            if not isinstance(e.get("dur"), (int, float)) or e["dur"] < 0:
                fail("event %d: dur %r" % (i, e.get("dur")))
            per_track[(e["pid"], e["tid"])].append((e["ts"], e.get("dur", 0), i))
            if e.get("cat") == "register":
                registers[(e["pid"], e["tid"])] += 1
        elif ph == "i":
            scope = e.get("s")
            if scope not in ("g", "t"):
                fail("event %d: instant scope %r" % (i, scope))
            cat = e.get("cat")
            if cat in ("violation", "anomaly"):
                n_findings += 1
                for k in ("rule", "message", "severity"):
                    if not isinstance(args.get(k), str):
                        fail("event %d: violation without %s" % (i, k))
                if cat == "violation" and not isinstance(args.get("section"), str):
                    fail("event %d: violation without section" % i)
            elif cat == "status":
                n_status += 1
            elif cat in ("marker", "lost"):
                n_global += 1
                if scope != "g":
                    fail("event %d: a %s that is not global" % (i, cat))
        elif ph in ("b", "e", "n"):
            if e.get("cat") != "request" or not isinstance(e.get("id"), str):
                fail("event %d: async event without cat request and a string id" % i)
                continue
            key = (e["pid"], e["cat"], e["id"])
            if ph == "b":
                if key in begins:
                    fail("event %d: id %s begun twice" % (i, e["id"]))
                begins[key] = (i, e)
                sn = args.get("seq_notify")
                if sn is not None and not in_range(sn, a):
                    fail("event %d: request notified at %d, outside the range" % (i, sn))
                if e.get("flow_out"):
                    flows_out[e.get("bind_id")] = e
            elif ph == "e":
                if key in ends:
                    fail("event %d: id %s ended twice" % (i, e["id"]))
                ends[key] = (i, e)
            else:
                instants_n.append((key, i, e))
                if e.get("flow_in"):
                    if e.get("bind_id") in flows_in:
                        fail("event %d: flow %s ends twice" % (i, e.get("bind_id")))
                    flows_in[e.get("bind_id")] = e
        elif ph == "C":
            vals = list(args.values())
            if len(vals) != 1 or not isinstance(vals[0], int) or vals[0] < 0:
                fail("event %d: counter args %r" % (i, args))
                continue
            counters[(e["pid"], e["name"])].append((e["ts"], i, vals[0]))

    # every b has its e (same cat, id and name), after it
    for key, (i, b) in begins.items():
        if key not in ends:
            fail("request %s (event %d) has no e" % (key[2], i))
            continue
        j, e = ends[key]
        if e["name"] != b["name"] or e["ts"] < b["ts"] or j < i:
            fail("request %s: e %r at %r does not close b %r at %r" % (key[2], e["name"], e["ts"], b["name"], b["ts"]))
    for key in ends:
        if key not in begins:
            fail("e of %s without its b" % (key[2],))
    for key, i, n in instants_n:
        if key not in begins:
            fail("event %d: n of %s without its request" % (i, key[2]))
    # each flow from a request to its interrupt ends once, not before it starts
    for bid, b in flows_out.items():
        n = flows_in.get(bid)
        if n is None:
            fail("flow %s from request %s ends nowhere" % (bid, b["id"]))
        elif n["ts"] < b["ts"]:
            fail("flow %s ends before it starts" % bid)
    for bid in flows_in:
        if bid not in flows_out:
            fail("flow %s ends but never starts" % bid)

    # X slices of a track: in time order in the file, and never overlapping
    for track, xs in per_track.items():
        for (t0, d0, i0), (t1, d1, i1) in zip(xs, xs[1:]):
            if t1 < t0:
                fail("track %s: event %d at %r after event %d at %r" % (track, i1, t1, i0, t0))
                break
            if t0 + d0 > t1 + 1e-9:
                fail("track %s: event %d overlaps event %d" % (track, i0, i1))
                break

    # counters: the requests in flight at the end are the requests never completed
    never = collections.Counter()
    for key, (i, b) in begins.items():
        if b.get("args", {}).get("completed") is False:
            never[(key[0], b["args"].get("queue_name"))] += 1
    for (pid, name), series in counters.items():
        series.sort()
        if series[-1][2] != never[(pid, name)]:
            fail("counter %s of pid %d ends at %d, %d requests never completed" %
                 (name, pid, series[-1][2], never[(pid, name)]))

    for pid in used_pids:
        if pid not in named:
            fail("pid %d has events but no process_name" % pid)
    for track in sorted(used_threads):
        if not thread_names.get(track):
            fail("thread %s has events but no thread_name" % (track,))

    if a.vcpus is not None:
        want = collections.Counter()
        for item in filter(None, a.vcpus.split(",")):
            pid, vcpu, n = (int(x) for x in item.split(":"))
            tid = pid * 1000 + min(vcpu, 999)
            want[(pid, tid)] += n
            label = "vCPU %d" % vcpu if vcpu < 999 else "vCPU 999+"
            if thread_names.get((pid, tid)) != label:
                fail("thread %s is named %r, not %r" % ((pid, tid), thread_names.get((pid, tid)), label))
        for track in sorted(set(registers) | set(want)):
            if registers[track] != want[track]:
                fail("thread %s: %d register accesses, the read library has %d" %
                     (track, registers[track], want[track]))

    if len(begins) != a.requests:
        fail("%d request slices, the read library has %d requests" % (len(begins), a.requests))
    if n_findings != a.violations:
        fail("%d violation and anomaly instants, the read library has %d" % (n_findings, a.violations))
    if n_x + n_status + n_global != a.events:
        fail("%d X + %d status + %d marker/lost events, the read library has %d" %
             (n_x, n_status, n_global, a.events))
    return len(begins), len(flows_out)


def trace_processor(path, requests, flows):
    tp = shutil.which("trace_processor_shell") or shutil.which("trace_processor")
    if not tp:
        print("note: trace_processor not installed: not loaded by Perfetto's importer")
        return
    with tempfile.NamedTemporaryFile("w", suffix=".sql") as q:
        q.write("SELECT (SELECT count(*) FROM slice WHERE category = 'request' AND name != 'irq') AS r, "
                "(SELECT count(*) FROM flow) AS f;\n")
        q.flush()
        out = subprocess.run([tp, "-q", q.name, path], capture_output=True, text=True, timeout=300)
    nums = re.findall(r"^\s*\"?(\d+)\"?\s*,\s*\"?(\d+)\"?\s*$", out.stdout, re.M)
    if out.returncode != 0 or not nums:
        fail("trace_processor failed (%d): %s" % (out.returncode, (out.stderr or out.stdout).strip()[:300]))
        return
    r, f = (int(x) for x in nums[-1])
    if r != requests or f != flows:
        fail("trace_processor reads %d request slices and %d flows, the file has %d and %d" % (r, f, requests, flows))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--requests", type=int, required=True)
    ap.add_argument("--events", type=int, required=True)
    ap.add_argument("--violations", type=int, required=True)
    ap.add_argument("--pids")
    ap.add_argument("--from", dest="frm", type=int)
    ap.add_argument("--to", type=int)
    ap.add_argument("--vcpus")
    a = ap.parse_args()
    with open(a.file, "rb") as f:
        raw = f.read()
    try:
        doc = json.loads(raw.decode("utf-8"), object_pairs_hook=collections.OrderedDict)
    except (UnicodeDecodeError, ValueError) as e:
        print("%s: not JSON: %s" % (a.file, e))
        return 1
    try:
        # a lone surrogate (\ud800) parses in Python but is no Unicode text
        json.dumps(doc, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as e:
        fail("a string that is not Unicode text: %s" % e)
    events = check_document(doc, raw)
    requests, flows = check_events(events, a)
    if not failures:
        trace_processor(a.file, requests, flows)
    for m in failures:
        print("%s: %s" % (a.file, m))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
