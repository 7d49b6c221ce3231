#!/usr/bin/env python3
"""Hostile text from a trace never reaches the terminal raw.

Markers, device names, the recorder's command line, end reasons and
violation messages holding ESC sequences, U+009B (a C1 CSI, encoded),
a raw 0x9b byte, DEL, invalid UTF-8 and a bidi override are fed through
`dump` (a raw trace written by mk_hostile_vmt), `decode`, and `show`,
`info` and `replay` (that trace decoded, and copies of the samples whose
text rows were rewritten with sqlite3).  Every byte those commands write
to standard output and standard error must be valid UTF-8 holding no C0
control but the newline, no DEL, no C1 control (U+0080-U+009F) and no
bidi embedding/override/isolate control.  Each run must also show the
hostile text in its escaped form somewhere, so the check cannot pass
because the text never reached the output.

usage: hostile_text.py VMTRACE MK_HOSTILE_VMT SOURCE_ROOT
"""
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

HOSTILE = (b"H\x1b[2J\x1b]0;owned\x07 csi\xc2\x9b31m raw\x9b1m del\x7f bad\xff\xfe\xc0\xaf"
           b" bidi\xe2\x80\xaetxt.exe cr\r\b nl\n end")
BIDI = set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A)) | {0x200E, 0x200F, 0x061C}

failures = []


def bad_char(text):
    """The first forbidden character of text as (index, code point), or None."""
    for i, ch in enumerate(text):
        cp = ord(ch)
        if (cp < 0x20 and ch != "\n") or cp == 0x7F or 0x80 <= cp <= 0x9F or cp in BIDI:
            return i, cp
    return None


def check_stream(what, name, data):
    try:
        text = data.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        lo = max(0, e.start - 30)
        failures.append("%s: %s is not valid UTF-8 at byte %d: %r" % (what, name, e.start, data[lo:e.start + 10]))
        return ""
    bad = bad_char(text)
    if bad:
        i, cp = bad
        failures.append("%s: %s holds U+%04X at %d: %r" % (what, name, cp, i, text[max(0, i - 30):i + 10]))
    return text


def run(what, args, evidence=("\\x1b[2J",), ok_status=(0, 1, 2)):
    """Run vmtrace with args; check both streams; want one of evidence in them."""
    p = subprocess.run([VMTRACE] + args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    if p.returncode not in ok_status:
        failures.append("%s: exit status %d (stderr: %r)" % (what, p.returncode, p.stderr[-300:]))
    out = check_stream(what, "stdout", p.stdout)
    err = check_stream(what, "stderr", p.stderr)
    if evidence and not any(ev in out or ev in err for ev in evidence):
        failures.append("%s: none of %r in the output: the hostile text did not reach it (stdout %r...)"
                        % (what, evidence, out[:200]))
    return p


def set_text(db, sql, params=()):
    """Run an UPDATE whose text parameters are bytes stored as TEXT."""
    con = sqlite3.connect(db)
    con.execute(sql, params)
    con.commit()
    con.close()


def hostile_copy(src, dst, first_read_value=None):
    """Copy a sample and put the hostile bytes into its text rows: every
    marker, every device name, the command line, the stop reason, every
    violation message.  first_read_value: make the Status read after the
    first marker answer differently, so replay diverges right there and
    prints its context (the marker and the device name)."""
    shutil.copyfile(src, dst)
    h = sqlite3.Binary(HOSTILE)
    set_text(dst, "UPDATE events SET text = CAST(? AS TEXT) WHERE type IN ('marker', 'violation')", (h,))
    set_text(dst, "UPDATE devices SET name = CAST(? AS TEXT) || device", (h,))
    set_text(dst, "UPDATE meta SET value = CAST(? AS TEXT) WHERE key IN ('raw.command', 'stop_reason')", (h,))
    set_text(dst, "UPDATE violations SET message = CAST(? AS TEXT)", (h,))
    if first_read_value is not None:
        set_text(dst, "UPDATE events SET value = ? WHERE seq = (SELECT min(seq) FROM events "
                 "WHERE type = 'mmio' AND reg = 'Status' AND dir = 'R')", (first_read_value,))


def main():
    global VMTRACE
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    VMTRACE, mk, root = sys.argv[1:]
    tmp = tempfile.mkdtemp(prefix="vmtrace-hostile-")
    try:
        vmt = os.path.join(tmp, "h.vmt")
        subprocess.run([mk, vmt], check=True)
        # The raw trace: dump in every form; the device name and the
        # command line only appear with --header.
        run("dump", ["dump", vmt])
        run("dump --header", ["dump", "--header", vmt])
        run("dump --hex", ["dump", "--hex", vmt])
        run("dump --device", ["dump", "--device", "0x10000000", vmt], evidence=("b\\x1b[2J",))
        # Decoded: its violations, markers and names through show/info.
        db = os.path.join(tmp, "h.db")
        run("decode", ["decode", "-q", "-o", db, vmt], evidence=None)
        if os.path.exists(db):
            run("show (decoded)", ["show", db])
            run("show --violations (decoded)", ["show", "--violations", db], evidence=None)
            run("info (decoded)", ["info", db])
            run("info --json (decoded)", ["info", "--json", db], evidence=None)
            run("replay (decoded)", ["replay", db], evidence=None)
        else:
            failures.append("decode: no trace.db written")
        # The samples with their text rows rewritten.
        for sample in ("emu-modern.db", "emu-legacy.db", "qemu-linux-modern.db"):
            src = os.path.join(root, "samples", sample)
            if not os.path.exists(src):
                continue
            dst = os.path.join(tmp, "h-" + sample)
            hostile_copy(src, dst, first_read_value=0x40)
            run("show " + sample, ["show", dst])
            run("show -n 3 " + sample, ["show", "-n", "3", dst])
            run("info " + sample, ["info", dst])
            run("info --json " + sample, ["info", "--json", dst], evidence=None)
            run("replay " + sample, ["replay", dst])
            run("replay -k " + sample, ["replay", "--keep-going", dst])
            run("replay --json " + sample, ["replay", "--json", dst], evidence=None)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for f in failures:
        print("FAIL " + f)
    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("ok: no control, C1, bidi or invalid UTF-8 byte reached the terminal")
    return 0


if __name__ == "__main__":
    sys.exit(main())
