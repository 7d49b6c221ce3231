#!/usr/bin/env python3
"""Check a guest boot's replay report against the trace's anomalies.

vmtrace copies rings while a QEMU guest runs; a copy can land after the
guest reused an indirect table or buffer (issue 13).  The decoder then
records an anomaly, and replay treats the device as unverified from there
(registers only for that device, docs/replay.md "Torn copies"): that is
no divergence, and replay exits 0.  This script holds the report to that:

- the report has no divergence (a divergence is never excused any more:
  the torn copies it used to follow now leave the device unverified);
- every device the report calls unverified names an anomaly that the
  trace holds on that device and queue, at that seq, with that rule, and
  is unverified from that seq or before it (from the access before a
  queue report);
- a device of a model replay has, with an anomaly on queue 0 (every model
  has it), is unverified (replay did not overlook it).

usage: replay_torn.py TRACE.db REPLAY.json
exit 0 (a line per unverified device) if all holds, else 1 with the reason.
"""
import json
import sqlite3
import sys


def main():
    db, report = sys.argv[1], sys.argv[2]
    with open(report, encoding="utf-8") as f:
        j = json.load(f)
    if j.get("divergences") or j.get("first_divergence"):
        d = j.get("first_divergence") or {}
        print(f"replay_torn: the replay diverged ({j.get('divergences')} divergence(s), the first at seq "
              f"{d.get('seq')}: {d.get('device_name')} {d.get('kind')} {d.get('where')})")
        return 1
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    ok = True
    unverified = 0
    for dev in j.get("devices", []):
        torn = dev.get("torn_copy")
        name = dev.get("name")
        if torn is None:
            if dev.get("model") and j.get("mode") == "full" and not j.get("stopped_at_first"):
                rows = con.execute("SELECT min(seq) FROM anomalies WHERE device = ? AND queue = 0 AND seq <= ?",
                                   (dev["device"], j["last_seq"])).fetchone()
                if rows and rows[0] is not None:
                    print(f"replay_torn: {name} has an anomaly on queue 0 at seq {rows[0]}, "
                          "but the report does not call it unverified")
                    ok = False
            continue
        unverified += 1
        row = con.execute("SELECT seq, queue, rule, message FROM anomalies WHERE device = ? AND queue = ? AND seq = ? "
                          "AND rule = ? LIMIT 1", (dev["device"], torn["queue"], torn["seq"], torn["rule"])).fetchone()
        if not row:
            print(f"replay_torn: {name} is unverified from seq {dev['unverified_from']} for an anomaly "
                  f"{torn['rule']} at seq {torn['seq']} (queue {torn['queue']}) the trace does not hold")
            ok = False
            continue
        if dev["unverified_from"] > torn["seq"]:
            print(f"replay_torn: {name} is unverified from seq {dev['unverified_from']}, after its anomaly "
                  f"at seq {torn['seq']}")
            ok = False
            continue
        print(f"unverified (issue 13, torn copy): {name} from seq {dev['unverified_from']} "
              f"({torn['rule']} at seq {torn['seq']}, queue {torn['queue']}: {row[3]}); registers compared"
              + ("; its failure on the torn bytes masked" if torn.get("failure_masked") else ""))
    if ok and not unverified:
        print("replay_torn: no device unverified")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
