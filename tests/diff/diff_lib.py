"""Shared by the diff tests: running `vmtrace diff` and `vmtrace record`,
and an independent reading of trace.db files (plain SQL, no vmtrace code)
that says what the diff should find.

Every test script is run as `python3 -B SCRIPT VMTRACE SAMPLES_DIR [ARGS]`
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
    vmtest.main(body, "vmtrace-diff-")


# The registers whose written values are ring addresses: compared by the
# ordinal of their first appearance per (queue, register) (docs/diff.md,
# "Events, normalised").
RING_ADDRESS_REGS = {"QueueDescLow", "QueueDescHigh", "QueueDriverLow", "QueueDriverHigh",
                     "QueueDeviceLow", "QueueDeviceHigh", "QueuePFN"}
# Writes that the alignment uses as anchors (docs/diff.md, "Alignment").
ANCHOR_REGS = {"Status", "QueueReady", "QueuePFN"}
DRIVER_OK = 0x4


def diff(vmtrace, a, b, *opts, expect_rc=None):
    """`vmtrace diff --json OPTS A B`: (Run, parsed JSON or None); checks
    the exit status if expect_rc is given."""
    r = vm(vmtrace, "diff", "--json", *opts, a, b)
    if expect_rc is not None:
        check(r.rc == expect_rc, f"expected exit {expect_rc}: {r.describe()}")
    return r, (r.json() if r.rc in (0, 1) else None)


def diff_text(vmtrace, a, b, *opts, expect_rc=None):
    r = vm(vmtrace, "diff", *opts, a, b)
    if expect_rc is not None:
        check(r.rc == expect_rc, f"expected exit {expect_rc}: {r.describe()}")
    return r


# --- the independent reading of a trace.db -------------------------------

def devices(db):
    """[(device, base, name, device_id)] in order of discovery (first seq)."""
    return sql(db, "SELECT d.device, d.base, d.name, d.device_id FROM devices d "
                   "ORDER BY (SELECT min(seq) FROM events e WHERE e.device = d.device), d.device")


def device_by_base(db, base):
    (dev,) = one(db, "SELECT device FROM devices WHERE base = ?", (base,))
    return dev


def register_stream(db, device):
    """The device's normalised events in seq order: [(seq, key)].  key is
    ('mmio', dir, reg, width, value) with ring addresses written replaced
    by ('#', ordinal), ('irq', bits) or ('violation', rule)."""
    rows = sql(db, "SELECT seq, type, reg, dir, width, value FROM events "
                   "WHERE device = ? AND type IN ('mmio', 'irq', 'violation') ORDER BY seq", (device,))
    out, queue_sel, ordinals = [], 0, {}
    for seq, typ, reg, d, width, value in rows:
        if typ == "mmio":
            if d == "W" and reg == "QueueSel":
                queue_sel = value
            if d == "W" and reg in RING_ADDRESS_REGS:
                seen = ordinals.setdefault((queue_sel, reg), {})
                value = ("#", seen.setdefault(value, len(seen) + 1))
            out.append((seq, ("mmio", d, reg, width, value)))
        else:
            out.append((seq, (typ, value)))
    return out


def request_streams(db, device):
    """{queue: [(request row dict, key)]} in request order; key is what
    diff compares: kind, op, sector, length, status, digest."""
    rows = sql(db, "SELECT request, queue, kind, op, sector, length, status, digest, seq_notify, seq_used "
                   "FROM requests WHERE device = ? ORDER BY queue, request", (device,))
    out = {}
    for r in rows:
        d = dict(zip(("request", "queue", "kind", "op", "sector", "length", "status", "digest",
                      "seq_notify", "seq_used"), r))
        out.setdefault(d["queue"], []).append((d, r[2:8]))
    return out


def same_request(x, y):
    """Two request keys are equal: kind, op, sector and length, and the
    status and data digest where both sides know them (a request rebuilt
    from QEMU's report after a torn ring copy has neither)."""
    return x[:4] == y[:4] and all(u is None or v is None or u == v for u, v in zip(x[4:], y[4:]))


def first_difference(xs, ys, equal=lambda x, y: x == y):
    """The first index where the key streams differ (one may end first),
    or None when they are equal."""
    for i in range(min(len(xs), len(ys))):
        if not equal(xs[i][1], ys[i][1]):
            return i
    return None if len(xs) == len(ys) else min(len(xs), len(ys))


def lcs_length(xs, ys):
    """Longest common subsequence of two key lists (dynamic programming
    over the part between the common prefix and suffix)."""
    lo = 0
    while lo < len(xs) and lo < len(ys) and xs[lo] == ys[lo]:
        lo += 1
    hx, hy = len(xs), len(ys)
    while hx > lo and hy > lo and xs[hx - 1] == ys[hy - 1]:
        hx, hy = hx - 1, hy - 1
    a, b = xs[lo:hx], ys[lo:hy]
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return lo + (len(xs) - hx) + prev[-1]


def minimal_edits(xs, ys):
    """Events that any alignment must leave unmatched (removed + inserted,
    a changed event counting once on each side)."""
    kx, ky = [k for _, k in xs], [k for _, k in ys]
    return len(kx) + len(ky) - 2 * lcs_length(kx, ky)


def driver_ok_seq(db, device):
    """The seq of the device's last Status write setting DRIVER_OK."""
    (seq,) = one(db, "SELECT max(seq) FROM events WHERE device = ? AND type = 'mmio' AND reg = 'Status' "
                     "AND dir = 'W' AND (value & ?) != 0", (device, DRIVER_OK))
    return seq


def request_kind(kind, op):
    """The 'kind' of a requests summary row, as the spec's example shows
    it ("blk out"): the request kind and its operation, if any."""
    return f"{kind} {op}" if op else kind


def request_counts(db, device):
    """{(queue, kind): count}, kind as request_kind() says."""
    rows = sql(db, "SELECT queue, kind, op, count(*) FROM requests WHERE device = ? GROUP BY 1, 2, 3", (device,))
    return {(q, request_kind(k, op)): n for q, k, op, n in rows}


def json_device(j, a_base=None, b_base=None):
    """The entry of j['devices'] pairing A's device at a_base with B's at
    b_base (None: that side absent or not checked)."""
    for d in j["devices"]:
        if a_base is not None and (d["a"] is None or d["a"]["base"] != a_base):
            continue
        if b_base is not None and (d["b"] is None or d["b"]["base"] != b_base):
            continue
        return d
    raise Fail(f"no device entry pairs A base {a_base} with B base {b_base}: "
               f"{[(d['a'] and d['a']['base'], d['b'] and d['b']['base'], d['result']) for d in j['devices']]}")


def brief(obj, n=1500):
    return json.dumps(obj)[:n]
