"""Shared by the Python tests of vmtrace (tests/replay, tests/diff):
running `vmtrace`, recording on the built-in emulator, reading and
changing trace.db copies with plain SQL, and failing with a reason.

A test script is run as `python3 -B SCRIPT VMTRACE SAMPLES_DIR [ARGS]`
and exits 0 (pass), 1 (fail, the reason on stderr) or 77 (skip, with a
one-line reason).  Its folder's lib imports this one:

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "pylib"))
    from vmtest import *  # noqa: F401,F403
"""

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


def main(body, prefix="vmtrace-test-"):
    """Run body(vmtrace, samples_dir, tmpdir, extra_args) and turn its
    outcome into the exit status."""
    if len(sys.argv) < 3:
        print(f"usage: {sys.argv[0]} VMTRACE SAMPLES_DIR [ARGS]", file=sys.stderr)
        sys.exit(2)
    vmtrace, samples = sys.argv[1], sys.argv[2]
    name = os.path.basename(sys.argv[0])
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
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
        self.out = proc.stdout if proc.stdout is not None else ""
        self.err = proc.stderr

    def describe(self):
        return (f"`{' '.join(self.args)}` exited {self.rc}\n"
                f"--- stdout ---\n{self.out[-4000:]}--- stderr ---\n{self.err[-3000:]}")

    def json(self):
        try:
            return json.loads(self.out)
        except ValueError as e:
            raise Fail(f"--json output is not one JSON object ({e}): {self.describe()}")


def vm(vmtrace, *args, timeout=300, stdout=subprocess.PIPE):
    """`vmtrace ARGS`, finished: a Run.  A sanitizer report or a signal
    fails the test, whatever the exit status a test expects."""
    args = [vmtrace] + [str(a) for a in args]
    proc = subprocess.run(args, stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=timeout)
    r = Run(args, proc)
    for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
        check(marker not in r.err, f"sanitizer report: {r.describe()}")
    check(r.rc >= 0, f"killed by signal {-r.rc}: {r.describe()}")
    return r


def record(vmtrace, out, devices, *opts):
    """`vmtrace record --emu DEVICES -q -f -o OUT OPTS`; must succeed."""
    r = vm(vmtrace, "record", "--emu", devices, "-q", "-f", "-o", out, *opts)
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
