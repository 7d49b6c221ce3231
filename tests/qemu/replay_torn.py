#!/usr/bin/env python3
"""Was a guest boot's replay divergence caused by a torn ring copy?

vmtrace copies rings while a QEMU guest runs; a copy can land after the
guest reused an indirect table or buffer (issue 13, "ring copies taken too
late").  The decoder then records an anomaly, and replay, fed the torn
copy, diverges.  Until replay treats torn copies as unverified, a guest
test whose first divergence has such an anomaly on the same device at or
before it reports that, and nothing else; any other divergence fails.

usage: replay_torn.py TRACE.db REPLAY.json
exit 0 (and a line saying why) if the divergence follows a torn copy, else 1.
"""
import json
import sqlite3
import sys


def main():
    db, report = sys.argv[1], sys.argv[2]
    with open(report, encoding="utf-8") as f:
        first = json.load(f).get("first_divergence")
    if not first:
        print("replay_torn: no divergence in the report")
        return 1
    seq, dev = first["seq"], first["device"]
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = con.execute("SELECT seq, rule, message FROM anomalies WHERE device = ? AND seq <= ? "
                       "ORDER BY seq DESC LIMIT 1", (dev, seq)).fetchall()
    if not rows:
        print(f"replay_torn: the divergence at seq {seq} ({first['device_name']}) follows no torn copy")
        return 1
    a_seq, rule, msg = rows[0]
    print(f"KNOWN (issue 13): replay diverged at seq {seq} ({first['device_name']}, {first['where']}) "
          f"after a torn ring copy at seq {a_seq} ({rule}: {msg}); not counted against this boot")
    return 0


if __name__ == "__main__":
    sys.exit(main())
