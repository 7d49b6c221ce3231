"""What `vmtrace diff` should find for a pair of devices, worked out from
the two trace.db files alone (diff_lib's plain SQL reading), and the
checks of a diff's JSON against it.  Shared by workload.py, mistake.py,
options.py and qemu.py."""

from diff_lib import (Fail, brief, check, driver_ok_seq, first_difference, minimal_edits, register_stream,
                      request_counts, request_streams, same_request)


class Streams:
    """One device of one trace: its normalised register stream and its
    request streams per queue."""

    def __init__(self, db, device):
        self.db, self.device = db, device
        self.registers = register_stream(db, device)
        self.requests = request_streams(db, device)


def stream_differences(a, b):
    """{stream name: (index, A's item or None, B's item or None)} for
    each stream whose keys differ; stream names as the JSON's "stream"
    ("registers", "q0 requests")."""
    out = {}
    i = first_difference(a.registers, b.registers)
    if i is not None:
        out["registers"] = (i, a.registers[i] if i < len(a.registers) else None,
                            b.registers[i] if i < len(b.registers) else None)
    for q in sorted(set(a.requests) | set(b.requests)):
        xs, ys = a.requests.get(q, []), b.requests.get(q, [])
        i = first_difference(xs, ys, same_request)
        if i is not None:
            out[f"q{q} requests"] = (i, xs[i] if i < len(xs) else None, ys[i] if i < len(ys) else None)
    return out


def item_seq(stream, item):
    """The seq an item of a stream is reported at: a register event's
    own; a request's notify (several requests may share it)."""
    if item is None:
        return None
    return item[0] if stream == "registers" else item[0]["seq_notify"]


def names_item(stream, item, text):
    """Whether the report's text for one side is that item: a request's
    text starts with "request ID " (seqs cannot tell requests apart)."""
    return stream == "registers" or (text or "").startswith(f"request {item[0]['request']} ")


def describe_difference(stream, diff):
    i, x, y = diff
    show = (lambda it: None if it is None else (it[0], it[1])) if stream == "registers" else \
        (lambda it: None if it is None else (f"request {it[0]['request']} at {it[0]['seq_notify']}", it[1]))
    return f"{stream} #{i}: a {show(x)} b {show(y)}"


def shape(key):
    """What makes two register-stream events one changed event: the same
    type, and for an access the same direction and register."""
    return key[:3] if key[0] == "mmio" else key[:1]


def earliest(diffs):
    """The streams whose first difference comes first (lowest seq of
    either side's item)."""
    def at(s):
        _, x, y = diffs[s]
        return min(v for v in (item_seq(s, x), item_seq(s, y)) if v is not None)
    low = min(at(s) for s in diffs)
    return [s for s in diffs if at(s) == low]


def check_first_divergence(d, a, b, label, want_stream=None, want_kind=None):
    """d (a devices[] entry) diverges first where the streams first
    differ in lockstep: in the stream whose first difference comes first,
    at that stream's exact item on each side the report names (an
    alignment may call it changed, or removed / inserted on one side);
    want_stream / want_kind pin which.  Returns the stream name."""
    diffs = stream_differences(a, b)
    check(diffs, f"{label}: the traces' streams are equal, yet the diff says different: {brief(d)}")
    fd = d.get("first_divergence")
    check(fd is not None, f"{label}: no first_divergence: {brief(d)}")
    got = {k: fd.get(k) for k in ("kind", "stream", "seq_a", "seq_b", "a", "b")}
    expected = "; ".join(describe_difference(s, v) for s, v in diffs.items())
    first = earliest(diffs)
    check(fd["stream"] in first, f"{label}: expected the first divergence in {' or '.join(first)}; the streams "
                                 f"that differ: {expected}; got {got}")
    i, x, y = diffs[fd["stream"]]
    where = describe_difference(fd["stream"], diffs[fd["stream"]])
    kinds = {"changed": (True, True), "removed": (True, False), "inserted": (False, True)}
    check(fd["kind"] in kinds, f"{label}: kind {fd['kind']!r}: {got}")
    has_a, has_b = kinds[fd["kind"]]
    check((fd["seq_a"] is not None) == has_a and (fd["seq_b"] is not None) == has_b,
          f"{label}: a {fd['kind']} event with seq_a {fd['seq_a']} and seq_b {fd['seq_b']}: {got}")
    check((not has_a or x is not None) and (not has_b or y is not None),
          f"{label}: expected the first divergence at {where} (a side that has ended cannot be named), got {got}")
    check((not has_a or (fd["seq_a"] == item_seq(fd["stream"], x) and names_item(fd["stream"], x, fd["a"])))
          and (not has_b or (fd["seq_b"] == item_seq(fd["stream"], y) and names_item(fd["stream"], y, fd["b"]))),
          f"{label}: expected the first divergence at {where}, got {got}")
    if want_kind is not None:
        check(fd["kind"] == want_kind, f"{label}: expected kind {want_kind} at {where}, got {got}")
    elif fd["stream"] == "registers":
        # docs/diff.md, "Alignment" step 3: a changed event is a removed
        # and an inserted one of the same kind (direction and register;
        # interrupts with interrupts ...).
        alike = x is not None and y is not None and shape(x[1]) == shape(y[1])
        check((fd["kind"] == "changed") == alike,
              f"{label}: at {where} the events are {'' if alike else 'not '}of the same kind: expected "
              f"{'changed' if alike else 'removed or inserted'}, got {got}")
    if want_stream is not None:
        check(fd["stream"] == want_stream, f"{label}: expected the first divergence in {want_stream}; the streams "
                                           f"that differ: {expected}; got {got}")
    return fd["stream"]


def segment_events(d, stream):
    return sum((s.get("events_a") or 0) + (s.get("events_b") or 0) for s in d["segments"] if s["stream"] == stream)


def check_segments_close(d, a, b, label, slack=1.5):
    """The register segments hold at least what any alignment leaves
    unmatched and not much more: one extra access does not make
    everything after it differ."""
    least = minimal_edits(a.registers, b.registers)
    total = segment_events(d, "registers")
    check(least <= total <= slack * least + 4,
          f"{label}: the register segments hold {total} events; the least any alignment leaves is {least} "
          f"(of {len(a.registers)} + {len(b.registers)}): {brief(d['segments'])}")
    return least, total


def check_setup_aligned(d, a, b, label):
    """No register segment reaches back before either side's DRIVER_OK:
    the set-up phases aligned, only the data phase differs."""
    ok_a, ok_b = driver_ok_seq(a.db, a.device), driver_ok_seq(b.db, b.device)
    for s in d["segments"]:
        if s["stream"] != "registers":
            continue
        lo_a = s["a_from"] if s.get("a_from") is not None else s.get("a_after")
        lo_b = s["b_from"] if s.get("b_from") is not None else s.get("b_after")
        check((lo_a is None or lo_a >= ok_a) and (lo_b is None or lo_b >= ok_b),
              f"{label}: segment {s} reaches into the set-up (DRIVER_OK at seq {ok_a} in A, {ok_b} in B)")


def check_request_summary(d, a, b, label, equal_kinds=()):
    """The requests summary has, per queue and kind, the counts the
    requests tables hold; kinds in equal_kinds ((queue, kind) pairs) must
    have the same count on both sides."""
    ca, cb = request_counts(a.db, a.device), request_counts(b.db, b.device)
    rows = {(r["queue"], r["kind"]): r for r in d["requests"]}
    for key in sorted(set(ca) | set(cb), key=str):
        r = rows.get(key)
        check(r is not None, f"{label}: no requests summary row for queue {key[0]} kind {key[1]!r}; rows: "
                             f"{sorted(rows, key=str)}")
        check(r["count_a"] == ca.get(key, 0) and r["count_b"] == cb.get(key, 0),
              f"{label}: queue {key[0]} {key[1]}: the files hold {ca.get(key, 0)} and {cb.get(key, 0)} "
              f"requests, the summary says {r['count_a']} and {r['count_b']}")
    for key in equal_kinds:
        check(ca.get(key, 0) == cb.get(key, 0) and ca.get(key, 0) > 0,
              f"{label}: queue {key[0]} {key[1]}: {ca.get(key, 0)} requests in A, {cb.get(key, 0)} in B")


def expected_result(a, b):
    return "different" if stream_differences(a, b) else "same"


def check_results(j, pairs, label):
    """pairs: [(Streams A, Streams B)] matched by type and order; each
    device entry's result is what the streams say."""
    for a, b in pairs:
        d = None
        for e in j["devices"]:
            if e["a"] is not None and e["a"]["device"] == a.device and e["b"] is not None \
                    and e["b"]["device"] == b.device:
                d = e
        if d is None:
            raise Fail(f"{label}: no entry pairs device {a.device} of A with device {b.device} of B: "
                       f"{brief(j['devices'])}")
        want = expected_result(a, b)
        check(d["result"] == want, f"{label}: {d['a']['name']}: expected {want} "
                                   f"({'; '.join(describe_difference(s, v) for s, v in stream_differences(a, b).items())}),"
                                   f" got {d['result']}: {brief(d)}")
    n = sum(1 for a, b in pairs if expected_result(a, b) == "different")
    check(j["devices_different"] == n and j["result"] == ("different" if n else "same"),
          f"{label}: {n} devices differ, the diff says {j['devices_different']} ({j['result']})")
