"""Golden outputs: run one vmtrace command line from tests/golden/TESTLIST
and compare its exit status, standard output and standard error with the
expected ones kept in tests/golden/out/.

    golden.py VMTRACE SRCROOT NAME...          check these cases (meson test)
    golden.py VMTRACE SRCROOT --all            check every case
    golden.py VMTRACE SRCROOT --regen [NAME...] rewrite the expected outputs
    golden.py VMTRACE SRCROOT --names          print the case names (meson)

Each case runs from the source root (so that paths in the output are the
relative ones of the list), with argv[0] 'vmtrace', standard input
/dev/null, LC_ALL=C and TZ=UTC.  Standard output is compared with
out/OUTPUT, standard error with out/OUTPUT minus '.out' plus '.err' (that
file exists only when the command writes to standard error).  The exit
status must be the one in the list: --regen refuses a case whose status
changed (edit TESTLIST if that change is intended).

The one filter: see normalise().  Nothing else in an output is changed.

Exit status: 0 every case matched (or was rewritten), 1 a case differed
(a unified diff of each difference is printed), 2 bad list or arguments.
"""

import difflib
import json
import os
import re
import shlex
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TESTLIST = os.path.join(HERE, "TESTLIST")
OUTDIR = os.path.join(HERE, "out")
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


class ListError(Exception):
    pass


def read_list():
    """Parse TESTLIST: one case a line, '#' comments, fields
    NAME EXIT INPUT OUTPUT [COMMAND ARGUMENTS...] (shell quoting), INPUT '-'
    for none.  Return a list of dicts in file order."""
    cases, seen = [], {}
    with open(TESTLIST, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            try:
                fields = shlex.split(line, comments=True)
            except ValueError as e:
                raise ListError(f"TESTLIST:{lineno}: {e}")
            if len(fields) < 4:
                raise ListError(f"TESTLIST:{lineno}: wants NAME EXIT INPUT OUTPUT [COMMAND ARGS...]")
            name, status, inp, out = fields[:4]
            if not NAME_RE.match(name):
                raise ListError(f"TESTLIST:{lineno}: bad case name '{name}'")
            if name in seen:
                raise ListError(f"TESTLIST:{lineno}: case '{name}' already on line {seen[name]}")
            seen[name] = lineno
            if not status.isdigit() or int(status) > 255:
                raise ListError(f"TESTLIST:{lineno}: exit status '{status}' is not 0..255")
            if not out.endswith(".out") or "/" in out:
                raise ListError(f"TESTLIST:{lineno}: output '{out}' is not a NAME.out file name")
            argv = fields[4:] + ([] if inp == "-" else [inp])
            cases.append({"name": name, "status": int(status), "input": inp,
                          "out": out, "err": out[:-4] + ".err", "argv": argv,
                          "line": lineno})
    return cases


def check_files(cases):
    """Every file in out/ belongs to a case: an expected output nobody
    checks is an error (like git's t/meson.build for unregistered tests);
    every samples/*.db and *.vmt is the input of a case."""
    known = set()
    for c in cases:
        known.add(c["out"])
        known.add(c["err"])
    stray = sorted(f for f in os.listdir(OUTDIR) if f not in known)
    if stray:
        raise ListError("tests/golden/out/ has files no case in TESTLIST names: " + " ".join(stray))
    # Every sample is the input of some case.
    samples = os.path.join(HERE, "..", "..", "samples")
    inputs = {c["input"] for c in cases}
    missing = sorted(f for f in os.listdir(samples) if f.endswith((".db", ".vmt"))
                     and "samples/" + f not in inputs)
    if missing:
        raise ListError("samples with no golden case in tests/golden/TESTLIST: " + " ".join(missing))


# The one filter.  Only what differs from run to run of the same binary on
# the same input is replaced, each by a fixed placeholder:
#   - replay's wall-clock time in its summary line, '..., 0.01 s ]' -> 'N.NN s ]'
#   - replay --json's "milliseconds":12                  -> "milliseconds":0
#     (a number, so the expected output stays valid JSON)
#   - `vmtrace version`'s first line, which names the commit built
#     ('vmtrace 0.1.0-g1c5baee-dirty' -> 'vmtrace VERSION')
# Anything else that varies between two runs is a bug to fix, not to filter.
ELAPSED = [
    # "..., 0 divergences, 0.01 s ]" and "..., 1 divergence, 0.01 s; stopped at the first ..."
    (re.compile(rb"(, )\d+\.\d\d s( \]|;)"), rb"\g<1>N.NN s\g<2>"),
    (re.compile(rb'("milliseconds":)\d+'), rb"\g<1>0"),
    (re.compile(rb"^vmtrace \d+\.\d+\.\d+[-\w.]*$", re.M), rb"vmtrace VERSION"),
]


def normalise(data):
    for pattern, repl in ELAPSED:
        data = pattern.sub(repl, data)
    return data


def run(vmtrace, srcroot, case):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "TZ": "UTC"}
    # Sanitizer and allocator settings meson passes on stay in force.
    for k, v in os.environ.items():
        if k.endswith("SAN_OPTIONS") or k == "MALLOC_PERTURB_":
            env[k] = v
    try:
        p = subprocess.run(["vmtrace"] + case["argv"], executable=vmtrace, cwd=srcroot, env=env,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=120)
    except subprocess.TimeoutExpired:
        return None, b"", b"(timed out after 120 s)\n"
    return p.returncode, normalise(p.stdout), normalise(p.stderr)


def read_expected(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return b""


def text(data):
    return data.decode("utf-8", "backslashreplace").splitlines(keepends=True)


def show_diff(label, expected, actual):
    """Print a unified diff; for one-line JSON also one of the indented form,
    where the changed key is easy to see."""
    lines = list(difflib.unified_diff(text(expected), text(actual),
                                      "expected/" + label, "actual/" + label))
    for l in lines:
        sys.stdout.write(l if l.endswith("\n") else l + "\n\\ No newline at end of file\n")
    try:
        a, b = json.loads(expected), json.loads(actual)
    except ValueError:
        return
    pa = json.dumps(a, indent=1).splitlines(keepends=True)
    pb = json.dumps(b, indent=1).splitlines(keepends=True)
    print("the same difference in the JSON, indented:")
    sys.stdout.writelines(difflib.unified_diff(pa, pb, "expected", "actual", n=2))


def command_line(case):
    return "vmtrace " + " ".join(shlex.quote(a) for a in case["argv"])


def check(vmtrace, srcroot, case):
    status, out, err = run(vmtrace, srcroot, case)
    exp_out = read_expected(os.path.join(OUTDIR, case["out"]))
    exp_err = read_expected(os.path.join(OUTDIR, case["err"]))
    ok = True
    if status != case["status"]:
        print(f"{case['name']}: exit status {status}, expected {case['status']}")
        ok = False
    if out != exp_out:
        print(f"{case['name']}: standard output differs from tests/golden/out/{case['out']}")
        show_diff(case["out"], exp_out, out)
        ok = False
    if err != exp_err:
        print(f"{case['name']}: standard error differs from tests/golden/out/{case['err']}")
        show_diff(case["err"], exp_err, err)
        ok = False
    print(f"{'ok' if ok else 'FAIL'}: {case['name']}: {command_line(case)} (from the source root)")
    if not ok:
        print("if the new output is intended: tests/golden/regen.sh BUILD_DIR "
              f"{case['name']}, then read the diff (git diff tests/golden/)")
    return ok


def regen(vmtrace, srcroot, case):
    status, out, err = run(vmtrace, srcroot, case)
    if status != case["status"]:
        print(f"{case['name']}: exit status {status}, the list says {case['status']}: "
              f"not rewritten (fix the command or the EXIT column of TESTLIST:{case['line']})")
        sys.stdout.write(err.decode("utf-8", "backslashreplace"))
        return False
    changed = False
    for fname, data in ((case["out"], out), (case["err"], err)):
        path = os.path.join(OUTDIR, fname)
        old = read_expected(path) if os.path.exists(path) else None
        if fname == case["err"] and not data:
            if old is not None:
                os.unlink(path)
                changed = True
            continue
        if old != data:
            with open(path, "wb") as f:
                f.write(data)
            changed = True
    if changed:
        print(f"rewritten: {case['name']}")
    return True


def main(argv):
    if len(argv) < 3:
        print(__doc__)
        return 2
    vmtrace, srcroot, rest = os.path.abspath(argv[0]), argv[1], argv[2:]
    try:
        cases = read_list()
    except (ListError, OSError) as e:
        print(f"golden: {e}", file=sys.stderr)
        return 2
    if rest == ["--names"]:
        try:
            check_files(cases)
        except ListError as e:
            print(f"golden: {e}", file=sys.stderr)
            return 2
        print(" ".join(c["name"] for c in cases))
        return 0
    by_name = {c["name"]: c for c in cases}
    do_regen = bool(rest) and rest[0] == "--regen"
    if do_regen:
        rest = rest[1:]
    if rest in (["--all"], []) and (do_regen or rest == ["--all"]):
        chosen = cases
    else:
        unknown = [n for n in rest if n not in by_name]
        if unknown or not rest:
            print(f"golden: no such case: {' '.join(unknown) or '(none named)'}", file=sys.stderr)
            return 2
        chosen = [by_name[n] for n in rest]
    if not os.access(vmtrace, os.X_OK):
        print(f"golden: '{vmtrace}' is not an executable vmtrace", file=sys.stderr)
        return 2
    os.makedirs(OUTDIR, exist_ok=True)
    results = [(regen if do_regen else check)(vmtrace, srcroot, c) for c in chosen]
    if do_regen:
        try:
            check_files(cases)
        except ListError as e:
            print(f"golden: {e} (delete them)", file=sys.stderr)
            return 1
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
