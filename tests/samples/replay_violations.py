#!/usr/bin/env python3
"""What samples/violations.db must show (samples/README.md says what it holds):

- the decoder finds at least a dozen distinct rules, by both actors
  (driver, device) and of both severities it can report (error, warning),
  and one anomaly;
- `vmtrace replay` replays every rule the driver broke without a
  divergence (the emulator reports the same violations, which the trace
  holds), and diverges first where the recorded rng device answers with a
  used entry the emulator would not write: the first device-side
  violation's request, at the QueueNotify's first device store.

usage: replay_violations.py VMTRACE SOURCE_ROOT
"""
import json
import os
import sqlite3
import subprocess
import sys

failures = []


def check(ok, what):
    if not ok:
        failures.append(what)


def main():
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    vmtrace, root = sys.argv[1], sys.argv[2]
    db = os.path.join(root, "samples", "violations.db")
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    rows = con.execute("SELECT seq, device, rule, severity, actor FROM violations ORDER BY seq").fetchall()
    anomalies = con.execute("SELECT count(*) FROM anomalies").fetchone()[0]
    recorded = con.execute("SELECT count(*) FROM events WHERE type = 'violation'").fetchone()[0]
    con.close()
    rules = {r[2] for r in rows}
    check(len(rules) >= 12, "only %d distinct rules: %s" % (len(rules), sorted(rules)))
    check(len(rows) == len(rules), "a rule reported more than once: %s" % [r[2] for r in rows])
    check({r[4] for r in rows} == {"driver", "device"}, "actors: %s" % sorted({r[4] for r in rows}))
    check({r[3] for r in rows} >= {"error", "warning"}, "severities: %s" % sorted({r[3] for r in rows}))
    check(anomalies == 1, "%d anomalies, wanted 1" % anomalies)
    # Every rule the driver broke is also in the trace as the emulator's
    # own violation event (the one replay matches).
    check(recorded == sum(1 for r in rows if r[4] == "driver"),
          "%d violation events recorded by the emulator, %d driver violations decoded"
          % (recorded, sum(1 for r in rows if r[4] == "driver")))

    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "TZ": "UTC"}
    for key in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "MALLOC_PERTURB_"):
        if key in os.environ:
            env[key] = os.environ[key]
    p = subprocess.run([vmtrace, "replay", "--json", db], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    check(p.returncode == 1, "replay exited %d, wanted 1 (diverged): %s" % (p.returncode, p.stderr.decode(errors="replace")))
    try:
        j = json.loads(p.stdout)
    except ValueError as e:
        failures.append("replay --json printed no JSON: %s" % e)
        j = None
    if j:
        first = j.get("first_divergence") or {}
        last_driver = max(r[0] for r in rows if r[4] == "driver")
        first_device = min(r[0] for r in rows if r[4] == "device")
        check(first.get("device_name") == "virtio-rng@0x10000200", "first divergence on %r" % first.get("device_name"))
        check(last_driver < first.get("seq", -1) <= first_device,
              "first divergence at seq %r, wanted after the last driver violation (%d) and at or before the "
              "first device violation (%d)" % (first.get("seq"), last_driver, first_device))
        check(j.get("divergences") == 1 and j.get("stopped_at_first") is True, "divergences %r" % j.get("divergences"))
    for f in failures:
        sys.stderr.write("FAIL: %s\n" % f)
    if not failures:
        print("violations.db: %d rules, %d anomaly, replay diverges first at seq %d" % (len(rules), anomalies, j["first_divergence"]["seq"]))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
