#!/usr/bin/env python3
"""A vhost-user virtio-vsock device for the test guest (guest_devices.sh).

  vsock_backend.py SOCKET LOG [GUEST_CID]

QEMU's vhost-vsock-device needs the host's vhost_vsock module
(/dev/vhost-vsock); vhost-user-vsock-device instead hands the device's
rings to a process on a unix socket, and Debian 12 packages no such
process.  This is a small one, enough for the test guest's vsock step: it
listens on SOCKET (QEMU connects: -chardev socket,path=SOCKET), answers the
vhost-user protocol (features VERSION_1 and PROTOCOL_FEATURES, protocol
feature CONFIG for the guest's CID, the memory table, the rings' sizes,
addresses, bases, kick and call eventfds), and plays the host end (CID 2)
of stream connections:
  REQUEST to any port         -> RESPONSE
  RW with payload             -> the bytes kept, CREDIT_UPDATE back
  SHUTDOWN                    -> RST
  CREDIT_REQUEST              -> CREDIT_UPDATE
  anything else addressed to  -> RST
Every packet either way is written to LOG (JSON, one object a line:
dir tx|rx, op, src/dst cid and port, len, the payload as text) when it
happens, so the host test can hold the trace against it.

Guest memory comes from QEMU's memory table (shared file descriptors:
vmtrace's recording gives the guest RAM as a shared memory-backend-file);
every address and length the guest wrote is checked against it, chains are
capped at the queue size, and a broken ring stops the device (logged).
It exits when QEMU closes the socket, or after IDLE_LIMIT seconds without
one.
"""
import array
import json
import mmap
import os
import select
import socket
import struct
import sys

IDLE_LIMIT = 900
HDR = struct.Struct("<QQIIIHHIII")  # struct virtio_vsock_hdr, 44 bytes
HOST_CID = 2
BUF_ALLOC = 65536
OPS = {1: "REQUEST", 2: "RESPONSE", 3: "RST", 4: "SHUTDOWN", 5: "RW", 6: "CREDIT_UPDATE", 7: "CREDIT_REQUEST"}

# vhost-user requests (docs/interop/vhost-user.rst)
GET_FEATURES, SET_FEATURES, SET_OWNER, RESET_OWNER, SET_MEM_TABLE = 1, 2, 3, 4, 5
SET_VRING_NUM, SET_VRING_ADDR, SET_VRING_BASE, GET_VRING_BASE = 8, 9, 10, 11
SET_VRING_KICK, SET_VRING_CALL, SET_VRING_ERR = 12, 13, 14
GET_PROTOCOL_FEATURES, SET_PROTOCOL_FEATURES, GET_QUEUE_NUM, SET_VRING_ENABLE = 15, 16, 17, 18
GET_CONFIG, SET_CONFIG = 24, 25
F_PROTOCOL_FEATURES = 1 << 30
F_VERSION_1 = 1 << 32
PROTOCOL_F_CONFIG = 1 << 9
FLAG_VERSION, FLAG_REPLY, FLAG_NEED_REPLY = 0x1, 0x4, 0x8
MAX_MSG = 4096
N_QUEUES = 3  # rx, tx, event
DESC_F_NEXT, DESC_F_WRITE, DESC_F_INDIRECT = 1, 2, 4


class GuestError(Exception):
    """The guest's rings or buffers broke a rule: the device stops."""


class Memory:
    def __init__(self):
        self.regions = []  # (gpa, size, uva, mmap)

    def set(self, regions, fds):
        for r in self.regions:
            r[3].close()
        self.regions = []
        for (gpa, size, uva, off), fd in zip(regions, fds):
            m = mmap.mmap(fd, size + off, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
            os.close(fd)
            self.regions.append((gpa, size, uva, off, m))

    def _find(self, addr, n, by_uva):
        for gpa, size, uva, off, m in self.regions:
            base = uva if by_uva else gpa
            if base <= addr and addr + n <= base + size:
                return m, off + addr - base
        raise GuestError("%s 0x%x+%d outside guest memory" % ("address" if by_uva else "buffer", addr, n))

    def uva_to_gpa(self, uva, n):
        for gpa, size, u, off, m in self.regions:
            if u <= uva and uva + n <= u + size:
                return gpa + uva - u
        raise GuestError("ring address 0x%x+%d outside guest memory" % (uva, n))

    def read(self, gpa, n):
        m, o = self._find(gpa, n, False)
        return m[o:o + n]

    def write(self, gpa, data):
        m, o = self._find(gpa, len(data), False)
        m[o:o + len(data)] = data


class Queue:
    def __init__(self):
        self.num = 0
        self.desc = self.avail = self.used = None  # guest-physical
        self.last_avail = 0
        self.used_idx = 0
        self.kick = self.call = None
        self.enabled = False
        self.started = False

    def ready(self):
        return self.enabled and self.started and self.num and self.desc is not None


class Device:
    def __init__(self, log, cid):
        self.mem = Memory()
        self.q = [Queue() for _ in range(N_QUEUES)]
        self.log = log
        self.cid = cid
        self.features = 0
        self.pending_rx = []  # packets (bytes) waiting for rx buffers
        self.fwd = {}  # (guest port, host port) -> bytes received
        self.broken = None

    def note(self, direction, hdr, payload):
        src_cid, dst_cid, src_port, dst_port, ln, typ, op, flags, buf_alloc, fwd_cnt = hdr
        rec = {"dir": direction, "op": OPS.get(op, "op %d" % op), "src_cid": src_cid, "dst_cid": dst_cid,
               "src_port": src_port, "dst_port": dst_port, "len": ln, "type": typ, "flags": flags,
               "data": payload.decode("latin-1")}
        self.log.write(json.dumps(rec) + "\n")
        self.log.flush()

    # --- rings -------------------------------------------------------------
    def chain(self, q, head):
        """The descriptors of the chain at head: [(gpa, len, writable)]."""
        segs = []
        table, size, i, hops = q.desc, q.num, head, 0
        while True:
            if i >= size:
                raise GuestError("descriptor %d past the table of %d" % (i, size))
            addr, ln, flags, nxt = struct.unpack("<QIHH", self.mem.read(table + 16 * i, 16))
            hops += 1
            if hops > q.num:
                raise GuestError("chain at head %d longer than the queue" % head)
            if flags & DESC_F_INDIRECT:
                if table != q.desc or ln % 16 or ln == 0:
                    raise GuestError("bad indirect descriptor at head %d" % head)
                table, size, i = addr, ln // 16, 0
                continue
            segs.append((addr, ln, bool(flags & DESC_F_WRITE)))
            if not flags & DESC_F_NEXT:
                return segs
            i = nxt

    def pop(self, q):
        """The next available head, or None."""
        idx = struct.unpack("<H", self.mem.read(q.avail + 2, 2))[0]
        if idx == q.last_avail:
            return None
        head = struct.unpack("<H", self.mem.read(q.avail + 4 + 2 * (q.last_avail % q.num), 2))[0]
        q.last_avail = (q.last_avail + 1) & 0xffff
        return head

    def push(self, q, head, ln):
        slot = q.used_idx % q.num
        self.mem.write(q.used + 4 + 8 * slot, struct.pack("<II", head, ln))
        q.used_idx = (q.used_idx + 1) & 0xffff
        self.mem.write(q.used + 2, struct.pack("<H", q.used_idx))

    def signal(self, q):
        if q.call is not None:
            os.write(q.call, struct.pack("<Q", 1))

    # --- vsock ---------------------------------------------------------------
    def reply(self, hdr, op, payload=b""):
        src_cid, src_port, dst_port = hdr[0], hdr[2], hdr[3]
        got = self.fwd.get((src_port, dst_port), 0)
        h = (HOST_CID, src_cid, dst_port, src_port, len(payload), 1, op, 0, BUF_ALLOC, got)
        self.note("rx", h, payload)
        self.pending_rx.append(HDR.pack(*h) + payload)

    def handle_tx(self, data):
        if len(data) < HDR.size:
            raise GuestError("tx packet of %d bytes, shorter than its header" % len(data))
        hdr = HDR.unpack_from(data)
        payload = data[HDR.size:HDR.size + hdr[4]]
        self.note("tx", hdr, payload)
        op, key = hdr[6], (hdr[2], hdr[3])
        if hdr[1] != HOST_CID:
            self.reply(hdr, 3)
        elif op == 1:
            self.fwd[key] = 0
            self.reply(hdr, 2)
        elif op == 5 and key in self.fwd:
            self.fwd[key] += len(payload)
            self.reply(hdr, 6)
        elif op == 7 and key in self.fwd:
            self.reply(hdr, 6)
        elif op == 4 and key in self.fwd:
            self.reply(hdr, 3)
            del self.fwd[key]
        elif op not in (3, 6):
            self.reply(hdr, 3)

    def run_tx(self):
        q = self.q[1]
        if not q.ready():
            return
        done = False
        while True:
            head = self.pop(q)
            if head is None:
                break
            data = b"".join(self.mem.read(a, min(n, 1 << 16)) for a, n, w in self.chain(q, head) if not w)
            self.handle_tx(data)
            self.push(q, head, 0)
            done = True
        if done:
            self.signal(q)

    def run_rx(self):
        q = self.q[0]
        if not q.ready():
            return
        done = False
        while self.pending_rx:
            head = self.pop(q)
            if head is None:
                break
            pkt = self.pending_rx.pop(0)
            left, off = pkt, 0
            for a, n, w in self.chain(q, head):
                if not w or not left:
                    continue
                part = left[:n]
                self.mem.write(a, part)
                left = left[len(part):]
                off += len(part)
            if left:
                raise GuestError("rx buffer at head %d holds %d of a %d-byte packet" % (head, off, len(pkt)))
            self.push(q, head, off)
            done = True
        if done:
            self.signal(q)

    def kicked(self):
        if self.broken:
            return
        try:
            self.run_tx()
            self.run_rx()
        except (GuestError, struct.error) as e:
            self.broken = str(e)
            self.log.write(json.dumps({"error": self.broken}) + "\n")
            self.log.flush()

    # --- vhost-user ------------------------------------------------------------
    def message(self, req, payload, fds):
        """Returns the reply payload, or None for none."""
        if req == GET_FEATURES:
            return struct.pack("<Q", F_VERSION_1 | F_PROTOCOL_FEATURES)
        if req == GET_PROTOCOL_FEATURES:
            return struct.pack("<Q", PROTOCOL_F_CONFIG)
        if req in (SET_FEATURES, SET_PROTOCOL_FEATURES):
            if req == SET_FEATURES:
                self.features = struct.unpack_from("<Q", payload)[0]
            return None
        if req in (SET_OWNER, RESET_OWNER, SET_VRING_ERR, SET_CONFIG):
            for fd in fds:
                os.close(fd)
            return None
        if req == GET_QUEUE_NUM:
            return struct.pack("<Q", N_QUEUES)
        if req == SET_MEM_TABLE:
            n = struct.unpack_from("<I", payload)[0]
            if n > 8 or len(payload) < 8 + 32 * n or len(fds) != n:
                raise RuntimeError("bad memory table: %d regions, %d fds" % (n, len(fds)))
            regions = [struct.unpack_from("<QQQQ", payload, 8 + 32 * i) for i in range(n)]
            self.mem.set(regions, fds)
            return None
        if req == GET_CONFIG:
            off, size, flags = struct.unpack_from("<III", payload)
            cfg = struct.pack("<Q", self.cid).ljust(max(size + off, 8), b"\0")[off:off + size]
            return struct.pack("<III", off, size, flags) + cfg
        index = struct.unpack_from("<I", payload)[0] & 0xff if len(payload) >= 4 else 0
        if index >= N_QUEUES:
            raise RuntimeError("vring %d of %d" % (index, N_QUEUES))
        q = self.q[index]
        if req == SET_VRING_NUM:
            q.num = struct.unpack_from("<II", payload)[1]
            if q.num == 0 or q.num > 32768:
                raise RuntimeError("vring %d size %d" % (index, q.num))
        elif req == SET_VRING_ADDR:
            _, flags, desc, used, avail, log = struct.unpack_from("<IIQQQQ", payload)
            q.desc = self.mem.uva_to_gpa(desc, 16 * q.num)
            q.used = self.mem.uva_to_gpa(used, 4 + 8 * q.num)
            q.avail = self.mem.uva_to_gpa(avail, 4 + 2 * q.num)
        elif req == SET_VRING_BASE:
            q.last_avail = struct.unpack_from("<II", payload)[1] & 0xffff
            q.used_idx = q.last_avail
        elif req == GET_VRING_BASE:
            q.started = False
            return struct.pack("<II", index, q.last_avail)
        elif req in (SET_VRING_KICK, SET_VRING_CALL):
            v = struct.unpack_from("<Q", payload)[0]
            fd = fds[0] if fds and not v & 0x100 else None
            if req == SET_VRING_KICK:
                if q.kick is not None:
                    os.close(q.kick)
                q.kick, q.started = fd, True
            else:
                if q.call is not None:
                    os.close(q.call)
                q.call = fd
        elif req == SET_VRING_ENABLE:
            q.enabled = struct.unpack_from("<II", payload)[1] != 0
        else:
            raise RuntimeError("vhost-user request %d not handled" % req)
        if not self.features & F_PROTOCOL_FEATURES:
            q.enabled = True
        return None


def recv_msg(conn):
    """(request, flags, payload, fds), or None when QEMU closed."""
    fds = array.array("i")
    data, anc, _, _ = conn.recvmsg(12, socket.CMSG_SPACE(8 * fds.itemsize))
    if not data:
        return None
    if len(data) < 12:
        raise RuntimeError("short vhost-user header")
    for level, typ, cdata in anc:
        if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
            fds.frombytes(cdata[:len(cdata) - len(cdata) % fds.itemsize])
    req, flags, size = struct.unpack("<III", data)
    if size > MAX_MSG:
        raise RuntimeError("vhost-user message of %d bytes" % size)
    payload = b""
    while len(payload) < size:
        part = conn.recv(size - len(payload))
        if not part:
            return None
        payload += part
    return req, flags, payload, list(fds)


def main():
    if len(sys.argv) not in (3, 4):
        sys.stderr.write("usage: vsock_backend.py SOCKET LOG [GUEST_CID]\n")
        return 2
    path, log_path = sys.argv[1], sys.argv[2]
    cid = int(sys.argv[3]) if len(sys.argv) == 4 else 3
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if os.path.exists(path):
        os.unlink(path)
    srv.bind(path)
    srv.listen(1)
    srv.settimeout(IDLE_LIMIT)
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        return 1
    log = open(log_path, "a")
    dev = Device(log, cid)
    while True:
        fds = [conn] + [q.kick for q in dev.q if q.kick is not None]
        r, _, _ = select.select(fds, [], [], IDLE_LIMIT)
        if not r:
            break
        kicked = False
        for f in r:
            if f is conn:
                m = recv_msg(conn)
                if m is None:
                    log.close()
                    return 0
                req, flags, payload, mfds = m
                try:
                    out = dev.message(req, payload, mfds)
                except (RuntimeError, GuestError, struct.error, OSError) as e:
                    log.write(json.dumps({"error": "vhost-user: %s" % e}) + "\n")
                    log.flush()
                    return 1
                if out is not None:
                    conn.sendall(struct.pack("<III", req, FLAG_VERSION | FLAG_REPLY, len(out)) + out)
                elif flags & FLAG_NEED_REPLY:
                    conn.sendall(struct.pack("<IIIQ", req, FLAG_VERSION | FLAG_REPLY, 8, 0))
                kicked = True  # a vring may have started: look at the rings
            else:
                try:
                    os.read(f, 8)
                except BlockingIOError:
                    pass
                kicked = True
        if kicked:
            dev.kicked()
    log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
