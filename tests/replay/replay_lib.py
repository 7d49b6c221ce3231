"""Shared by the replay tests: running `vmtrace replay`, reading and
mutating trace.db copies, and failing with a reason.

Every test script is run as `python3 SCRIPT VMTRACE SAMPLES_DIR [ARGS]`
and exits 0 (pass), 1 (fail, the reason on stderr) or 77 (skip, with a
one-line reason)."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

SKIP = 77


class Fail(Exception):
    """A check failed; the message says what was expected and what came."""


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def main(body):
    """Run body(vmtrace, samples_dir, tmpdir, extra_args) and turn its
    outcome into the exit status."""
    if len(sys.argv) < 3:
        print(f"usage: {sys.argv[0]} VMTRACE SAMPLES_DIR [ARGS]", file=sys.stderr)
        sys.exit(2)
    vmtrace, samples = sys.argv[1], sys.argv[2]
    name = os.path.basename(sys.argv[0])
    with tempfile.TemporaryDirectory(prefix="vmtrace-replay-") as tmp:
        try:
            rc = body(vmtrace, samples, tmp, sys.argv[3:])
        except Fail as e:
            print(f"{name}: FAIL: {e}", file=sys.stderr)
            sys.exit(1)
    sys.exit(rc or 0)


class Run:
    """One finished `vmtrace ARGS` run."""

    def __init__(self, args, proc):
        self.args = args
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def describe(self):
        return (f"`{' '.join(self.args)}` exited {self.rc}\n"
                f"--- stdout ---\n{self.out[-3000:]}--- stderr ---\n{self.err[-3000:]}")

    def json(self):
        try:
            return json.loads(self.out)
        except ValueError as e:
            raise Fail(f"--json output is not one JSON object ({e}): {self.describe()}")


def vm(vmtrace, *args, timeout=120):
    args = [vmtrace] + [str(a) for a in args]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    r = Run(args, proc)
    # Under the sanitizers a report must fail the test even where exit 1
    # is what the test expects.
    for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
        check(marker not in r.err, f"sanitizer report: {r.describe()}")
    check(r.rc >= 0, f"killed by signal {-r.rc}: {r.describe()}")
    return r


def replay(vmtrace, db, *opts, expect_rc=None):
    """`vmtrace replay --json OPTS DB`; checks the exit status if expect_rc
    is given and returns (Run, parsed JSON or None)."""
    r = vm(vmtrace, "replay", "--json", *opts, db)
    if expect_rc is not None:
        check(r.rc == expect_rc, f"expected exit {expect_rc}: {r.describe()}")
    return r, (r.json() if r.rc in (0, 1) else None)


def record(vmtrace, out, devices, *opts):
    """`vmtrace record --emu DEVICES -q -o OUT OPTS`; must succeed."""
    r = vm(vmtrace, "record", "--emu", devices, "-q", "-f", "-o", out, *opts, timeout=300)
    check(r.rc == 0, f"recording failed: {r.describe()}")
    return out


def copy(src, tmp, name):
    dst = os.path.join(tmp, name)
    shutil.copyfile(src, dst)
    return dst


def sql(db, query, params=()):
    """All rows of query on db (a plain connection: changes committed)."""
    con = sqlite3.connect(db)
    try:
        rows = con.execute(query, params).fetchall()
        con.commit()
        return rows
    finally:
        con.close()


def one(db, query, params=()):
    rows = sql(db, query, params)
    check(len(rows) >= 1 and rows[0][0] is not None, f"{db}: no row for: {query} {params}")
    return rows[0]


def require_sample(samples, name):
    path = os.path.join(samples, name)
    check(os.path.exists(path), f"{path} is missing (samples/README.md says how to make it)")
    return path


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
