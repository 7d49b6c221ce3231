"""Shared by the replay tests: running `vmtrace replay`, reading and
mutating trace.db copies, and failing with a reason.

Every test script is run as `python3 SCRIPT VMTRACE SAMPLES_DIR [ARGS]`
and exits 0 (pass), 1 (fail, the reason on stderr) or 77 (skip, with a
one-line reason)."""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pylib"))
import vmtest  # noqa: E402
from vmtest import (SKIP, Fail, Run, check, copy, one, record, require_sample, sql,  # noqa: E402,F401
                    vm)


def main(body):
    vmtest.main(body, "vmtrace-replay-")


def replay(vmtrace, db, *opts, expect_rc=None):
    """`vmtrace replay --json OPTS DB`; checks the exit status if expect_rc
    is given and returns (Run, parsed JSON or None)."""
    r = vm(vmtrace, "replay", "--json", *opts, db)
    if expect_rc is not None:
        check(r.rc == expect_rc, f"expected exit {expect_rc}: {r.describe()}")
    return r, (r.json() if r.rc in (0, 1) else None)


def corrupt_read(db, seq):
    """Flip a bit of the value recorded for the register read at seq.
    Returns (original, corrupted)."""
    (orig,) = one(db, "SELECT value FROM events WHERE seq = ? AND type = 'mmio' AND dir = 'R'", (seq,))
    # Any change of a read value must be noticed; flip bit 4.
    bad = orig ^ 0x10
    sql(db, "UPDATE events SET value = ? WHERE seq = ?", (bad, seq))
    return orig, bad


def first_div(j):
    d = j.get("first_divergence")
    check(d is not None, f"no first_divergence in {json.dumps(j)[:2000]}")
    return d


def identical(j, what):
    check(j["result"] == "identical" and j["divergences"] == 0,
          f"{what}: expected identical, got {j['result']} with {j['divergences']} divergence(s); "
          f"first: {json.dumps(j.get('first_divergence'))}")
    check(j["events_replayed"] == j["events_total"] and j["events_total"] > 0,
          f"{what}: {j['events_replayed']} of {j['events_total']} events replayed")
