#!/usr/bin/env python3
"""samples/violations.vmt and samples/violations.db are what their generator
makes: run mk_violations and `vmtrace decode` in a temporary directory with
the commands of samples/README.md and compare the files byte for byte with
the committed ones.

usage: check_violations.py MK_VIOLATIONS VMTRACE SOURCE_ROOT
"""
import os
import subprocess
import sys
import tempfile


def run(argv, cwd):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "TZ": "UTC"}
    for key in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "MALLOC_PERTURB_"):
        if key in os.environ:
            env[key] = os.environ[key]
    p = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        sys.stderr.write("'%s' exited %d:\n%s%s" % (" ".join(argv), p.returncode,
                                                  p.stdout.decode(errors="replace"),
                                                  p.stderr.decode(errors="replace")))
        sys.exit(1)


def first_difference(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


def main():
    if len(sys.argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    mk, vmtrace, root = (os.path.abspath(a) for a in sys.argv[1:4])
    failed = False
    with tempfile.TemporaryDirectory(prefix="vmt-violations-") as tmp:
        # The same relative paths as in samples/README.md, from a copy of
        # the tree's layout, so nothing path-dependent can differ.
        os.mkdir(os.path.join(tmp, "samples"))
        run([mk, "samples/violations.vmt"], tmp)
        run([vmtrace, "decode", "-o", "samples/violations.db", "samples/violations.vmt"], tmp)
        for name in ("violations.vmt", "violations.db"):
            with open(os.path.join(tmp, "samples", name), "rb") as f:
                made = f.read()
            with open(os.path.join(root, "samples", name), "rb") as f:
                kept = f.read()
            if made != kept:
                failed = True
                sys.stderr.write("samples/%s differs from what its commands make now (%d bytes made, %d kept, "
                                 "first difference at byte %d); samples/README.md says how to make it again\n"
                                 % (name, len(made), len(kept), first_difference(made, kept)))
        # Running the generator twice gives the same bytes.
        run([mk, "samples/again.vmt"], tmp)
        with open(os.path.join(tmp, "samples", "violations.vmt"), "rb") as f:
            one = f.read()
        with open(os.path.join(tmp, "samples", "again.vmt"), "rb") as f:
            two = f.read()
        if one != two:
            failed = True
            sys.stderr.write("mk_violations made different bytes on a second run\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
