"""A trace against itself, and two recordings of the same emulator run
(the emulator is deterministic: same arguments, same file), are the same:
exit 0, result "same", every device compared and none different, each
device's event counts those of the file; --quiet prints one line."""

import re

from diff_lib import brief, check, devices, diff, diff_text, main, record, register_stream, require_sample, sql


def untimed(line):
    """The summary line without its elapsed time ("; 0.01 s ]")."""
    return re.sub(r"[0-9]+\.[0-9]+ s\b", "N.NN s", line)


def same(vmtrace, a, b, label):
    r, j = diff(vmtrace, a, b, expect_rc=0)
    check(j["result"] == "same" and j["devices_different"] == 0,
          f"{label}: expected result same, 0 devices different: {brief(j)}")
    devs = devices(a)
    check(j["devices_compared"] == len(devs),
          f"{label}: {len(devs)} devices in {a}, devices_compared {j['devices_compared']}")
    (events,) = sql(a, "SELECT count(*) FROM events")[0]
    check(j["a"]["events"] == events and j["b"]["events"] == sql(b, "SELECT count(*) FROM events")[0][0],
          f"{label}: events a {j['a']['events']} b {j['b']['events']}, the files hold {events}")
    by_base = {d["a"]["base"]: d for d in j["devices"] if d["a"] is not None}
    for dev, base, name, _ in devs:
        d = by_base.get(base)
        check(d is not None, f"{label}: no entry for {name}: {brief(j)}")
        check(d["result"] == "same" and d["first_divergence"] is None and not d["segments"],
              f"{label}: {name} not the same: {brief(d)}")
        check(d["b"] is not None and d["b"]["base"] == base, f"{label}: {name} paired with {d['b']}")
        n = len(register_stream(a, dev))
        check(d["events_a"] == d["events_b"] and d["events_a"] >= n,
              f"{label}: {name}: events_a {d['events_a']} events_b {d['events_b']}; "
              f"it has {n} register accesses, interrupts and violations")
    print(f"{label}: same, {len(devs)} devices, {events} events")

    q = diff_text(vmtrace, a, b, "-q", expect_rc=0)
    lines = q.out.splitlines()
    # docs/diff.md: "a summary line: `same`, or `different: N of M devices`"
    check(len(lines) == 1 and "same" in lines[0] and "different" not in lines[0],
          f"{label}: --quiet should print the one summary line 'same': {q.describe()}")
    check(q.err == "", f"{label}: --quiet wrote to stderr: {q.describe()}")
    t = diff_text(vmtrace, a, b, expect_rc=0)
    check([untimed(x) for x in t.out.splitlines()[-1:]] == [untimed(x) for x in lines], f"{label}: the text report's last line is not the --quiet line "
                                            f"{lines}: {t.describe()}")


def body(vmtrace, samples, tmp, args):
    for s in ("emu-modern.db", "emu-legacy.db", "qemu-linux-modern.db"):
        p = require_sample(samples, s)
        same(vmtrace, p, p, s)
    for layout in ([], ["--legacy"]):
        a = record(vmtrace, f"{tmp}/a.db", "blk,net,console,rng", *layout)
        b = record(vmtrace, f"{tmp}/b.db", "blk,net,console,rng", *layout)
        same(vmtrace, a, b, "two fresh recordings" + (" (legacy)" if layout else ""))
    return 0


main(body)
