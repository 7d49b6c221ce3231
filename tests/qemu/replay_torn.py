#!/usr/bin/env python3
"""Was a guest boot's replay divergence caused by a torn ring copy?

vmtrace copies rings while a QEMU guest runs; a copy can land after the
guest reused an indirect table or buffer (issue 13, "ring copies taken too
late").  The decoder then records an anomaly, and replay, fed the torn
copy, has its emulated device break the same rule and diverges.  Until
replay treats torn copies as unverified, a guest test whose first
divergence is explained that way (the divergence names the rule the
emulator reported, and the decoder recorded an anomaly of that rule on
that device at or before it) reports it; any other divergence fails.

usage: replay_torn.py TRACE.db REPLAY.json
exit 0 (and a line saying why) if the divergence follows a torn copy, else 1.
"""
import json
import re
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
    m = re.search(r"the emulator reported at seq (\d+): ([a-z0-9-]+)", first.get("note") or "")
    if not m:
        print(f"replay_torn: the divergence at seq {seq} ({first['device_name']}) is not a rule the emulator broke")
        return 1
    emu_seq, emu_rule = int(m.group(1)), m.group(2)
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = con.execute("SELECT seq, rule, message FROM anomalies WHERE device = ? AND rule = ? AND seq <= ? "
                       "ORDER BY seq DESC LIMIT 1", (dev, emu_rule, emu_seq)).fetchall()
    if not rows:
        print(f"replay_torn: the divergence at seq {seq} ({first['device_name']}, {emu_rule} at seq {emu_seq}) "
              "follows no torn copy of that rule")
        return 1
    a_seq, rule, msg = rows[0]
    print(f"KNOWN (issue 13): replay diverged at seq {seq} ({first['device_name']}, {first['where']}) "
          f"after a torn ring copy at seq {a_seq} ({rule}: {msg}); not counted against this boot")
    return 0


if __name__ == "__main__":
    sys.exit(main())
