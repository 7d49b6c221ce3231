"""trace.db files whose rows contradict each other (issue 11, item 5): a
memory payload whose length is not events.len, an MMIO width or offset no
access has, a negative or repeated seq, a queue size of -1, a device id the
devices table does not have, ...  Each contradiction is applied with the
sqlite3 shell to a copy of a fresh emulator recording; then

  - `vmtrace replay` exits 2 (cannot replay) naming the file, the table
    and the row, and prints nothing on stdout (--json: exit 2 too);
  - `vmtrace info` and `vmtrace show` exit 0 and print the row they read
    as "damaged row: ..." instead of the bad value ('-3', '0:-1'), with a
    warning on stderr;
  - nothing crashes and no sanitizer reports anything.

Usage: python3 damaged_rows.py VMTRACE"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
failures = []


def fail(msg):
    failures.append(msg)
    print(f"FAIL: {msg}", file=sys.stderr)


class Run:
    def __init__(self, args, proc):
        self.args, self.rc, self.out, self.err = args, proc.returncode, proc.stdout, proc.stderr

    def describe(self):
        return (f"`{' '.join(self.args)}` exited {self.rc}\n--- stdout ---\n{self.out[-2000:]}"
                f"--- stderr ---\n{self.err[-2000:]}")


def vm(vmtrace, *args):
    args = [vmtrace] + [str(a) for a in args]
    proc = subprocess.run(args, capture_output=True, text=True, errors="replace", timeout=300)
    r = Run(args, proc)
    for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
        if marker in r.err:
            fail(f"sanitizer report: {r.describe()}")
    if r.rc < 0 or r.rc >= 128:
        fail(f"crashed: {r.describe()}")
    return r


def sh(db, script):
    """Run SQL on db with the sqlite3 shell."""
    p = subprocess.run(["sqlite3", "-bail", db], input=script, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"sqlite3 {db}: {p.stderr.strip()} (script: {script})")
    return p.stdout


def one(db, query):
    out = sh(db, query).strip().splitlines()
    if not out or out[0] == "":
        raise SystemExit(f"{db}: no row for {query}")
    return out[0]


# Shapes of the bad values when printed as if they were good: an MMIO line
# with a negative width, a queue "index:size" pair with a
# negative part, an "N bytes" count below zero.
GARBAGE = [
    (re.compile(r" [RW] \S+\s+-\d+ 0x"), "an MMIO line printing a negative width"),
    (re.compile(r"\b\d+:-\d+"), "a queue printed as index:-N"),
    (re.compile(r"-\d+ bytes"), "a negative byte count"),
    (re.compile(r"device id -\d"), "a negative device id"),
]


def garbage_free(label, text):
    for pat, what in GARBAGE:
        for line in text.splitlines():
            if "damaged" in line:
                continue
            if pat.search(line):
                fail(f"{label}: {what}: {line!r}")
                break


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    vmtrace = sys.argv[1]
    if shutil.which("sqlite3") is None:
        print("SKIP: the sqlite3 shell is not installed (scripts/setup.sh installs it)")
        return SKIP
    with tempfile.TemporaryDirectory(prefix="vmtrace-rows-") as tmp:
        base = os.path.join(tmp, "base.db")
        r = vm(vmtrace, "record", "--emu", "blk,net,console,rng", "-q", "-o", base)
        if r.rc != 0:
            print(f"recording failed: {r.describe()}", file=sys.stderr)
            return 1
        run_cases(vmtrace, tmp, base)
    if failures:
        print(f"{len(failures)} failure(s)", file=sys.stderr)
        return 1
    print("damaged rows: replay refuses them naming the row; info and show flag them")
    return 0


def run_cases(vmtrace, tmp, base):
    # The intact file: replays identically, nothing flagged.
    r = vm(vmtrace, "replay", "-q", base)
    if r.rc != 0:
        fail(f"the intact recording does not replay: {r.describe()}")
    for cmd in (["info"], ["info", "--json"], ["show"]):
        r = vm(vmtrace, *cmd, base)
        if r.rc != 0 or "damaged" in r.out or r.err:
            fail(f"{' '.join(cmd)} on the intact recording: {r.describe()}")

    store = int(one(base, "SELECT e.seq FROM events e JOIN memory m USING (seq) "
                          "WHERE m.kind = 'driver-write' AND e.len >= 16 ORDER BY e.seq LIMIT 1"))
    dstore = int(one(base, "SELECT e.seq FROM events e JOIN memory m USING (seq) "
                           "WHERE m.kind = 'device-write' ORDER BY e.seq LIMIT 1"))
    slen = int(one(base, f"SELECT len FROM events WHERE seq = {store}"))
    # A register access before the first store, of device 0.
    mmio = int(one(base, f"SELECT max(seq) FROM events WHERE type = 'mmio' AND device = 0 AND seq < {store}"))
    notify = int(one(base, "SELECT min(seq) FROM events WHERE type = 'mmio' AND reg = 'QueueNotify'"))

    # name: (SQL, what replay must name, what info/show must flag or None)
    cases = [
        ("empty-payload", f"UPDATE memory SET data = X'' WHERE seq = {store};",
         [f"events row seq {store}", f"memory payload is 0 bytes, events.len says {slen}"], ("show", "damaged row")),
        ("short-payload", f"UPDATE memory SET data = substr(data, 1, 3) WHERE seq = {store};",
         [f"events row seq {store}", "memory payload is 3 bytes"], ("show", "damaged row")),
        ("long-payload", f"UPDATE memory SET data = zeroblob(length(data) + 1) WHERE seq = {dstore};",
         [f"events row seq {dstore}", "memory payload is"], ("show", "damaged row")),
        ("len-negative", f"UPDATE events SET len = -16 WHERE seq = {store};",
         [f"events row seq {store}", "len -16"], ("show", "damaged row")),
        ("payload-missing", f"DELETE FROM memory WHERE seq = {store};",
         [f"events row seq {store}", "memory row"], None),
        ("payload-null", f"CREATE TABLE m2 AS SELECT * FROM memory; "
                         f"DROP TABLE memory; ALTER TABLE m2 RENAME TO memory; "
                         f"UPDATE memory SET data = NULL WHERE seq = {store};",
         [f"memory row seq {store}", "data"], ("show", "damaged row")),
        ("gpa-mismatch", f"UPDATE memory SET gpa = gpa + 8 WHERE seq = {store};",
         [f"memory row seq {store}", "gpa"], ("show", "damaged row")),
        ("width-3", f"UPDATE events SET width = 3 WHERE seq = {mmio};",
         [f"events row seq {mmio}", "width 3"], None),
        ("width-16", f"UPDATE events SET width = 16 WHERE seq = {mmio};",
         [f"events row seq {mmio}", "width 16"], None),
        ("width-minus-1", f"UPDATE events SET width = -1 WHERE seq = {mmio};",
         [f"events row seq {mmio}", "width -1"], ("show", "damaged row: width -1")),
        ("width-minus-3", f"UPDATE events SET width = -3 WHERE seq = {mmio};",
         [f"events row seq {mmio}", "width -3"], ("show", "damaged row: width -3")),
        ("width-text", f"UPDATE events SET width = 'four' WHERE seq = {mmio};",
         [f"events row seq {mmio}", "width 'four'"], ("show", "damaged row")),
        ("dir-bad", f"UPDATE events SET dir = 'X' WHERE seq = {mmio};",
         [f"events row seq {mmio}", "dir 'X'"], ("show", "damaged row")),
        ("offset-outside", f"UPDATE events SET offset = 4096 WHERE seq = {mmio};",
         [f"events row seq {mmio}", "offset 0x1000"], None),
        ("offset-negative", f"UPDATE events SET offset = -4 WHERE seq = {mmio};",
         [f"events row seq {mmio}", "offset"], None),
        ("value-null", f"UPDATE events SET value = NULL WHERE seq = {mmio};",
         [f"events row seq {mmio}", "value"], ("show", "damaged row")),
        ("seq-negative", f"UPDATE events SET seq = -5 WHERE seq = {mmio};",
         ["events row seq -5", "negative"], None),
        ("seq-text", f"CREATE TABLE e2 AS SELECT * FROM events; DROP TABLE events; "
                     f"ALTER TABLE e2 RENAME TO events; UPDATE events SET seq = 'x' WHERE seq = {mmio};",
         ["events row seq 'x'"], ("show", "damaged row")),
        ("seq-duplicate", f"CREATE TABLE e2 AS SELECT * FROM events; DROP TABLE events; "
                          f"ALTER TABLE e2 RENAME TO events; INSERT INTO events SELECT * FROM events WHERE seq = {mmio};",
         [f"events row seq {mmio}", "twice"], ("show", "damaged row")),
        ("memory-duplicate", f"CREATE TABLE m2 AS SELECT * FROM memory; DROP TABLE memory; "
                             f"ALTER TABLE m2 RENAME TO memory; INSERT INTO memory SELECT * FROM memory WHERE seq = {store};",
         [f"events row seq {store}", "twice"], None),
        ("memory-on-mmio", f"INSERT INTO memory VALUES ({mmio}, 4096, 'driver-write', 1, X'00');",
         [f"memory row seq {mmio}", "mmio"], None),
        ("type-unknown", f"UPDATE events SET type = 'bogus' WHERE seq = {mmio};",
         [f"events row seq {mmio}", "type 'bogus'"], ("show", "damaged row")),
        ("type-lost", f"UPDATE events SET type = 'lost' WHERE seq = {mmio};",
         [f"events row seq {mmio}", "lost"], None),
        ("event-device-unknown", f"UPDATE events SET device = 7 WHERE seq = {mmio};",
         [f"events row seq {mmio}", "device 7", "devices table"], ("show", "damaged row")),
        ("event-device-huge", f"UPDATE events SET device = 100000 WHERE seq = {mmio};",
         [f"events row seq {mmio}", "device 100000"], ("show", "damaged row")),
        ("queue-size-minus-1", "UPDATE queues SET size = -1 WHERE device = 0 AND queue = 0;",
         ["queues row device 0 queue 0 generation", "size -1"], ("info", "damaged row")),
        ("queue-size-text", "UPDATE queues SET size = 'big' WHERE device = 0 AND queue = 0;",
         ["queues row device 0 queue 0 generation", "size 'big'"], ("info", "damaged row")),
        ("queue-index-negative", "UPDATE queues SET queue = -1 WHERE device = 1 AND queue = 1;",
         ["queues row device 1 queue -1"], ("info", "damaged row")),
        ("queue-device-unknown", "UPDATE queues SET device = 9 WHERE device = 0 AND queue = 0;",
         ["queues row device 9", "devices table"], None),
        ("device-id-outside", "UPDATE devices SET device = 300 WHERE device = 3;",
         ["devices row device 300", "0 to 255"], None),
        ("device-base-negative", "UPDATE devices SET base = -512 WHERE device = 1;",
         ["devices row device 1", "base"], None),
        ("device-windows-overlap", "UPDATE devices SET base = (SELECT base FROM devices WHERE device = 0) + 16 "
                                   "WHERE device = 1;",
         ["devices row", "overlap"], None),
        ("device-id-negative", "UPDATE devices SET device_id = -3 WHERE device = 0;",
         ["devices row device 0", "device_id -3"], ("info", "damaged row")),
        ("device-version-negative", "UPDATE devices SET version = -3 WHERE device = 0;",
         ["devices row device 0", "version -3"], ("info", "damaged row")),
        ("device-events-negative", "UPDATE devices SET events = -3 WHERE device = 0;",
         None, ("info", "damaged row")),
        ("device-status-negative", "UPDATE devices SET status = -3 WHERE device = 0;",
         None, ("info", "damaged row")),
        ("meta-ram-size", "UPDATE meta SET value = 'lots' WHERE key = 'ram_size';",
         ["meta row 'ram_size'"], None),
        ("meta-ram-size-negative", "UPDATE meta SET value = '-1' WHERE key = 'ram_size';",
         ["meta row 'ram_size'"], None),
        ("meta-lost-negative", "UPDATE meta SET value = '-5' WHERE key = 'lost';",
         None, ("info", "damaged row")),
        ("meta-lost-escape", "UPDATE meta SET value = char(27) || '[2J' WHERE key = 'lost';",
         None, ("info", "damaged row")),
        ("lost-count-negative", "INSERT INTO lost(seq, count) VALUES (0, -3);",
         ["lost row seq 0", "count -3"], None),
        ("violation-seq-negative", "INSERT INTO violations SELECT -3, 0, 'x', 's', 'error', 'driver', 'm';",
         None, ("info", "damaged row")),
    ]
    for name, script, replay_wants, flag in cases:
        db = os.path.join(tmp, f"{name}.db")
        shutil.copyfile(base, db)
        sh(db, script)
        label = name
        if replay_wants is not None:
            r = vm(vmtrace, "replay", db)
            if r.rc != 2:
                fail(f"{label}: replay: expected exit 2 (cannot replay): {r.describe()}")
            else:
                for w in [f"'{db}'"] + replay_wants:
                    if w not in r.err:
                        fail(f"{label}: replay's message does not name {w!r}: {r.err!r}")
                if r.out:
                    fail(f"{label}: replay printed on stdout: {r.out!r}")
            r = vm(vmtrace, "replay", "--json", db)
            if r.rc != 2:
                fail(f"{label}: replay --json: expected exit 2: {r.describe()}")
            else:
                try:
                    if "error" not in json.loads(r.out):
                        fail(f"{label}: replay --json: no error key: {r.out!r}")
                except ValueError:
                    fail(f"{label}: replay --json: not JSON: {r.out!r}")
        outs = {}
        for cmd in (["info"], ["info", "--json"], ["show"]):
            r = vm(vmtrace, *cmd, db)
            key = " ".join(cmd)
            outs[key] = r
            if r.rc != 0:
                fail(f"{label}: {key}: expected exit 0 (damaged rows flagged): {r.describe()}")
                continue
            if "\x1b" in r.out or "\x1b" in r.err:
                fail(f"{label}: {key}: a raw escape reached the terminal: {r.out[-500:]!r}")
            garbage_free(f"{label}: {key}", r.out)
            if key == "info --json":
                try:
                    j = json.loads(r.out)
                except ValueError:
                    fail(f"{label}: info --json: not JSON: {r.out[-500:]!r}")
                    continue
                bad = [n for n in walk_numbers(j) if n < 0]
                if bad:
                    fail(f"{label}: info --json has negative numbers {bad}")
        if flag:
            cmd, word = flag
            r = outs[cmd]
            if r.rc == 0 and word not in r.out:
                fail(f"{label}: {cmd} does not flag the row ({word!r}): {r.describe()}")
            if r.rc == 0 and "damaged row" not in r.err:
                fail(f"{label}: {cmd} does not warn about damaged rows on stderr: {r.err!r}")
            # info --json does not list violations, so it never reads their seq.
            if cmd == "info" and name != "violation-seq-negative":
                j = outs["info --json"]
                if j.rc == 0 and '"damaged"' not in j.out:
                    fail(f"{label}: info --json has no 'damaged' list: {j.out[-800:]!r}")
        print(f"ok: {label}")


def walk_numbers(v):
    if isinstance(v, bool):
        return
    if isinstance(v, (int, float)):
        yield v
    elif isinstance(v, dict):
        for x in v.values():
            yield from walk_numbers(x)
    elif isinstance(v, list):
        for x in v:
            yield from walk_numbers(x)


if __name__ == "__main__":
    sys.exit(main())
