#!/usr/bin/env python3
"""Write a small pcapng of vmtrace records (docs/export.md) without the C exporter.

A second, independent reading of the format: the encoders below follow the
tables of docs/export.md field by field, so a reviewer can hold the two side
by side.  test_dissector.py imports this module (FIXTURE names what each
frame should decode to); run it alone to get a file for Wireshark:

    python3 mk_pcapng.py out.pcapng
"""
import struct
import sys

# --- the vmtrace record (link type LINKTYPE_USER0) ---

LINKTYPE_USER0 = 147
LINKTYPE_ETHERNET = 1
RECORD_VERSION = 1
HEADER_LENGTH = 32

KIND_MMIO = 1
KIND_INTERRUPT = 2
KIND_STATUS = 3
KIND_VIOLATION = 4
KIND_ANOMALY = 5
KIND_REQUEST = 6
KIND_MARKER = 7

FLAG_SEQ_KNOWN = 1
DEVICE_NONE = -1
DEVTYPE_NONE = 0
QUEUE_NONE = 0xFFFF
U64_NONE = 0xFFFFFFFFFFFFFFFF
U32_NONE = 0xFFFFFFFF

DIR_READ = 0
DIR_WRITE = 1
SEVERITY_WARNING = 1
SEVERITY_ERROR = 2
PHASE_NOTIFY = 1
PHASE_USED = 2
PHASE_INTERRUPT = 3


def string(text):
    """A string: u16 byte count, then that many UTF-8 bytes, no NUL."""
    raw = text.encode("utf-8")
    return struct.pack("<H", len(raw)) + raw


def header(kind, seq=None, device=DEVICE_NONE, devtype=DEVTYPE_NONE, queue=QUEUE_NONE, base=0,
           header_length=HEADER_LENGTH, version=RECORD_VERSION):
    """The 32-byte header; header_length > 32 pads with zeros (a later version's header)."""
    flags = FLAG_SEQ_KNOWN if seq is not None else 0
    fixed = struct.pack("<BBHI", version, kind, header_length, flags)  # offsets 0, 1, 2, 4
    fixed += struct.pack("<Q", seq if seq is not None else 0)          # 8 seq
    fixed += struct.pack("<i", device)                                 # 16 device
    fixed += struct.pack("<H", devtype)                                # 20 virtio device id
    fixed += struct.pack("<H", queue)                                  # 22 queue
    fixed += struct.pack("<Q", base)                                   # 24 base address
    assert len(fixed) == HEADER_LENGTH
    return fixed + bytes(max(0, header_length - HEADER_LENGTH))


def mmio_body(direction, width, offset, value, reg, meaning="", feature_word=U32_NONE):
    return (struct.pack("<B", direction) + struct.pack("<B", width) + struct.pack("<H", offset)
            + struct.pack("<I", feature_word) + struct.pack("<Q", value) + string(reg) + string(meaning))


def interrupt_body(value):
    return struct.pack("<I", value)


def status_body(old, new, kind, names):
    return struct.pack("<I", old) + struct.pack("<I", new) + string(kind) + string(names)


def violation_body(severity, rule, section, message):
    return struct.pack("<B", severity) + string(rule) + string(section) + string(message)


def anomaly_body(name, message):
    return string(name) + string(message)


def request_body(phase, request, kind, op="", length=U32_NONE, sector=-1, status=-1, data_length=0,
                 seq_notify=U64_NONE, seq_used=U64_NONE, seq_irq=U64_NONE,
                 ns_to_used=U64_NONE, ns_to_irq=U64_NONE, data=b""):
    fixed = struct.pack("<B", phase) + struct.pack("<B", 0) + struct.pack("<H", 0)
    fixed += struct.pack("<I", length)
    fixed += struct.pack("<q", request)
    fixed += struct.pack("<q", sector)
    fixed += struct.pack("<i", status)
    fixed += struct.pack("<I", data_length)
    fixed += struct.pack("<QQQ", seq_notify, seq_used, seq_irq)
    fixed += struct.pack("<QQ", ns_to_used, ns_to_irq)
    assert len(fixed) == 72
    return fixed + string(kind) + string(op) + data


def marker_body(text):
    return string(text)


# --- pcapng blocks (little-endian section) ---

def _pad4(raw):
    return raw + bytes(-len(raw) % 4)


def _option(code, value):
    return struct.pack("<HH", code, len(value)) + _pad4(value)


def _options(*opts):
    return b"".join(opts) + struct.pack("<HH", 0, 0) if opts else b""


def _block(block_type, body):
    length = 12 + len(body)
    return struct.pack("<II", block_type, length) + body + struct.pack("<I", length)


def section_header(comment):
    body = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + _options(_option(1, comment.encode()))
    return _block(0x0A0D0D0A, body)


def interface(linktype, name, description):
    opts = _options(_option(2, name.encode()), _option(3, description.encode()),
                    _option(9, bytes([9])))  # if_tsresol 9: nanoseconds
    return _block(1, struct.pack("<HHI", linktype, 0, 0) + opts)


def packet(interface_id, ns, data, orig_len=None):
    """An enhanced packet block; orig_len > len(data): the capture kept only data (a snapshot length)."""
    orig_len = len(data) if orig_len is None else orig_len
    body = struct.pack("<IIIII", interface_id, ns >> 32, ns & 0xFFFFFFFF, len(data), orig_len) + _pad4(data)
    return _block(6, body)


# --- the fixture: one record of each kind, a request's three phases, damaged records ---

BLK_BASE = 0xFEB00C00
NET_BASE = 0xFEB00E00
T0 = 1_700_000_000_000_000_000
NOTIFY_TO_USED_NS = 35_000
NOTIFY_TO_IRQ_NS = 41_500
REQUEST_DATA = bytes(range(16))


def blk(kind, seq, queue=QUEUE_NONE, **kw):
    return header(kind, seq=seq, device=1, devtype=2, queue=queue, base=BLK_BASE, **kw)


def net(kind, seq, queue=QUEUE_NONE):
    return header(kind, seq=seq, device=0, devtype=1, queue=queue, base=NET_BASE)


def request_phase(phase, seq):
    common = dict(request=12, kind="blk", op="out", length=4096, sector=2048, data_length=4096,
                  seq_notify=40, seq_used=41, seq_irq=42, ns_to_used=NOTIFY_TO_USED_NS, ns_to_irq=NOTIFY_TO_IRQ_NS)
    if phase == PHASE_NOTIFY:
        return blk(KIND_REQUEST, seq, queue=0) + request_body(PHASE_NOTIFY, data=REQUEST_DATA, **common)
    return blk(KIND_REQUEST, seq, queue=0) + request_body(phase, status=0, **common)


# (name, record): frame n (1-based) is FIXTURE[n - 1].  Names are what the test asserts on.
FIXTURE = [
    ("status-write", blk(KIND_MMIO, 10) + mmio_body(DIR_WRITE, 4, 0x070, 0xF, "Status",
                                                    "ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK")),
    ("devfeatures-read-word1", blk(KIND_MMIO, 11) + mmio_body(DIR_READ, 4, 0x010, 0x101, "DeviceFeatures",
                                                              "VERSION_1 RING_RESET", feature_word=1)),
    # word 0 of a net device: CSUM, MAC, MRG_RXBUF, STATUS, EVENT_IDX
    ("drvfeatures-write-net", net(KIND_MMIO, 12) + mmio_body(DIR_WRITE, 4, 0x020,
                                                             (1 << 0) | (1 << 5) | (1 << 15) | (1 << 16) | (1 << 29),
                                                             "DriverFeatures", "", feature_word=0)),
    ("queue-notify", blk(KIND_MMIO, 13, queue=0) + mmio_body(DIR_WRITE, 4, 0x050, 0, "QueueNotify", "queue 0")),
    ("interrupt", blk(KIND_INTERRUPT, 14) + interrupt_body(1)),
    ("status-change", blk(KIND_STATUS, 15) + status_body(0x7, 0xF, "set", "ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK")),
    ("violation-error", blk(KIND_VIOLATION, 16, queue=0)
     + violation_body(SEVERITY_ERROR, "queue-write-while-ready", "Virtio Over MMIO / Virtqueue Configuration",
                      "QueueNum written while QueueReady is 1")),
    ("violation-warning", blk(KIND_VIOLATION, 17) + violation_body(SEVERITY_WARNING, "init-order", "Device Initialization",
                                                                  "DRIVER before ACKNOWLEDGE")),
    ("anomaly", blk(KIND_ANOMALY, 18) + anomaly_body("slow-request", "request 12 took 35 us")),
    ("request-notify", request_phase(PHASE_NOTIFY, 40)),
    ("marker", header(KIND_MARKER) + marker_body("boot done")),
    ("request-used", request_phase(PHASE_USED, 41)),
    ("request-irq", request_phase(PHASE_INTERRUPT, 42)),
    # A later version: a 40-byte header and a byte after the interrupt's value; both skipped.
    ("longer-header", blk(KIND_INTERRUPT, 19, header_length=40) + interrupt_body(2) + b"\xAA"),
    # Values outside the format, in records that are whole: a warning, not malformed.
    ("bad-dir", blk(KIND_MMIO, 21) + mmio_body(2, 4, 0x050, 1, "QueueNotify")),
    ("unknown-kind", header(8, seq=22) + b"\x01\x02"),
    # mmio cut inside its reg string (says 6 bytes, 3 follow).
    ("truncated-mmio", (blk(KIND_MMIO, 20) + mmio_body(DIR_READ, 4, 0x070, 0, "Status"))[:32 + 16 + 2 + 3]),
    ("short-header", bytes([RECORD_VERSION, KIND_MMIO, HEADER_LENGTH, 0, 0])),
    ("bad-header-length", header(KIND_MARKER, header_length=8) + marker_body("x")),
]


def frame_number(name):
    return 1 + [n for n, _ in FIXTURE].index(name)


def pcapng(records, name="virtio-blk@0x%x" % BLK_BASE, description="block"):
    """A pcapng of one USER0 interface carrying records, 1 us apart."""
    out = section_header("vmtrace test fixture (tests/export/lua/mk_pcapng.py)")
    out += interface(LINKTYPE_USER0, name, description)
    for i, record in enumerate(records):
        out += packet(0, T0 + i * 1000, record)
    return out


def pcap(records):
    """The same records in a classic pcap (`vmtrace export --format pcap`): nanosecond magic, link type 147."""
    out = struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, LINKTYPE_USER0)
    for i, record in enumerate(records):
        ns = T0 + i * 1000
        out += struct.pack("<IIII", ns // 1_000_000_000, ns % 1_000_000_000, len(record), len(record)) + record
    return out


def build():
    return pcapng([record for _, record in FIXTURE])


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: mk_pcapng.py OUT.pcapng\n")
        return 2
    with open(argv[1], "wb") as f:
        f.write(build())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
