#!/usr/bin/env python3
"""Rewrites a capture the way real capture setups rewrite them (issue 14), for wssniff's tests.

    python3 tools/rewrite/rewrite_capture.py REWRITE INPUT OUTPUT [--report FILE|-]

Reads pcap (any byte order, micro- or nanosecond) or pcapng (EPB, SPB, the obsolete PB; one link type) with the
link types Ethernet (EN10MB, VLAN-tagged too), Linux cooked (LINUX_SLL, LINUX_SLL2), BSD loopback (NULL, LOOP) and
raw IP, carrying IPv4 or IPv6 (no IP fragments, no IPv6 extension headers). Writes classic pcap with the input's
link type (nanosecond timestamps when the input has sub-microsecond ones). Deterministic: the same input and
rewrite give the same bytes.

Rewrites:
  ack-ahead          each peer ACK is stored ahead of the data it acknowledges: the first record of the other
                     direction whose ACK number covers a data segment is moved just before that segment's record
                     (recursively: an ACK of that record moves before it in turn). Records keep their timestamps, so
                     time goes backwards where a record moved, as with two packet sockets.
  swap               adjacent records of opposite directions of one connection are swapped pairwise, timestamps
                     and all (time goes backwards), as two per-CPU packet sockets store them (`-i any`).
  start-at-connect   each connection starts at the record carrying the first byte of the client's connect request
                     frame: its earlier records (SYN, upgrade, 101, challenge) are dropped. Without a connect, at its
                     first client data frame (text or binary); without one, the connection is kept whole.
  end-before-answer  each connection ends just before the record carrying the first byte of the gateway's answer
                     (below): that record and every later record of the connection are dropped.
  end-inside-record  the file ends inside a record: the record carrying the first byte of the answer that comes last
                     in the file (or, with no answer, the last record) is written with its full captured length in
                     its header but only its bytes up to the middle of the answer frame; nothing after it.
  snaplen-N          every record's captured length is cut to N bytes (original length kept), header snaplen N
                     (the tests use 64, 96, 128 and 200; any N from 1 works).
  duplicate          every record is written three times: as is, again as is (same timestamp, as a second packet
                     socket sees it), and once under other addresses (+1 us), as the bridge sees a container's
                     veth traffic with NAT: client IP -> 172.17.0.1 (fd00:17::1), server IP -> 172.17.0.2
                     (fd00:17::2), client port remapped (40000 up, one per connection); sequence numbers, flags and
                     payload unchanged. The IPv4 header checksum is recomputed; the TCP checksum is updated
                     incrementally (RFC 1624) for the changed words, so a checksum that was right stays right and
                     loopback's partial (offloaded) checksum stays as loopback left it.

What it assumes to find "the connect" and "the answer" (WebSocket awareness kept simple):
  - the input is a clean capture (the samples): records in order, each direction's stream whole or with holes where
    records were lost (framing resumes at the next record after a hole); the client is the side that sent the SYN,
    else the side that sent `GET `, else the higher port;
  - the upgrade is an HTTP request/response ending in CRLF CRLF; a 101 response starts WebSocket framing;
    permessage-deflate is honoured (with or without context takeover) when the 101 names it;
  - the connect is the first client message whose (unmasked, inflated) text contains "method":"connect";
  - the answer is the first server message whose text contains "type":"res" (ok: "ok":true); where the gateway sent
    none, its first close frame.

--report writes a JSON description (to a file, or stdout with `-`): what was changed and, per original connection,
which parts of the handshake (upgrade request and response, connect, answer, the gateway's close) survive whole
and readable in the output. Exit codes: 0 done, 1 unreadable input, 2 bad usage.
"""

import argparse
import json
import re
import struct
import sys
import zlib

FIN, SYN, RST, ACK = 0x01, 0x02, 0x04, 0x10
CONNECT = re.compile(rb'"method"\s*:\s*"connect"')
RES = re.compile(rb'"type"\s*:\s*"res"')
OK_TRUE = re.compile(rb'"ok"\s*:\s*true')
SNAPLENS = (64, 96, 128, 200)
REWRITES = (
    ["ack-ahead", "swap", "start-at-connect", "end-before-answer", "end-inside-record"]
    + ["snaplen-%d" % n for n in SNAPLENS]
    + ["duplicate"]
)


class InputError(Exception):
    pass


class Record:
    """One capture record: timestamp in ns, captured bytes, original length, link type, and its TCP facts."""

    __slots__ = ("ts", "data", "orig_len", "link", "tcp", "index")

    def __init__(self, ts, data, orig_len, link, index):
        self.ts, self.data, self.orig_len, self.link, self.index = ts, data, orig_len, link, index
        self.tcp = parse_tcp(link, data)


# ----------------------------------------------------------------------------------------------------------------
# Reading


def read_capture(path):
    """Returns (records, sub-microsecond timestamps seen)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 4:
        raise InputError("%s: too short to be a capture" % path)
    if data[:4] == b"\x0a\x0d\x0d\x0a":
        return read_pcapng(data, path)
    return read_pcap(data, path)


def read_pcap(data, path):
    magics = {
        b"\xd4\xc3\xb2\xa1": ("<", 1000),
        b"\xa1\xb2\xc3\xd4": (">", 1000),
        b"\x4d\x3c\xb2\xa1": ("<", 1),
        b"\xa1\xb2\x3c\x4d": (">", 1),
    }
    if data[:4] not in magics or len(data) < 24:
        raise InputError("%s: not a pcap or pcapng file" % path)
    order, scale = magics[data[:4]]
    link = struct.unpack(order + "I", data[20:24])[0] & 0xFFFF
    records, offset, fine = [], 24, False
    while offset + 16 <= len(data):
        sec, frac, caplen, orig = struct.unpack(order + "IIII", data[offset : offset + 16])
        offset += 16
        body = data[offset : offset + caplen]
        offset += caplen
        if len(body) < caplen:
            raise InputError("%s: the file ends inside record %d" % (path, len(records) + 1))
        fine = fine or (scale == 1 and frac % 1000 != 0)
        records.append(Record(sec * 1_000_000_000 + frac * scale, body, orig, link, len(records)))
    return records, fine


def read_pcapng(data, path):
    records, interfaces, order, offset, fine = [], [], "<", 0, False
    while offset + 12 <= len(data):
        block_type = struct.unpack(order + "I", data[offset : offset + 4])[0]
        if block_type == 0x0A0D0D0A:
            magic = data[offset + 8 : offset + 12]
            order = "<" if magic == b"\x4d\x3c\x2b\x1a" else ">"
            interfaces = []
        length = struct.unpack(order + "I", data[offset + 4 : offset + 8])[0]
        if length < 12 or offset + length > len(data):
            raise InputError("%s: pcapng block at byte %d is cut or malformed" % (path, offset))
        body = data[offset + 8 : offset + length - 4]
        offset += length
        if block_type == 1:
            link = struct.unpack(order + "H", body[0:2])[0]
            interfaces.append([link, 1000, struct.unpack(order + "I", body[4:8])[0]])
            opt = 8
            while opt + 4 <= len(body):
                code, olen = struct.unpack(order + "HH", body[opt : opt + 4])
                if code == 0:
                    break
                if code == 9 and olen >= 1:
                    resol = body[opt + 4]
                    units = 2 ** (resol & 0x7F) if resol & 0x80 else 10 ** resol
                    interfaces[-1][1] = ("pow", units)
                opt += 4 + (olen + 3) // 4 * 4
        elif block_type in (6, 2):
            if block_type == 6:
                iface, hi, lo, caplen, orig = struct.unpack(order + "IIIII", body[0:20])
            else:
                iface, _, hi, lo, caplen, orig = struct.unpack(order + "HHIIII", body[0:20])
            if iface >= len(interfaces):
                raise InputError("%s: packet on undeclared interface %d" % (path, iface))
            link, resol, _ = interfaces[iface]
            stamp = (hi << 32) | lo
            if resol == 1000:
                ts = stamp * 1000
            else:
                units = resol[1]
                ts = stamp * 1_000_000_000 // units
                fine = fine or ts % 1000 != 0
            records.append(Record(ts, body[20 : 20 + caplen], orig, link, len(records)))
        elif block_type == 3:
            if not interfaces:
                raise InputError("%s: simple packet block without an interface" % path)
            orig = struct.unpack(order + "I", body[0:4])[0]
            link, _, snap = interfaces[0]
            caplen = min(orig, snap) if snap else orig
            ts = records[-1].ts if records else 0
            records.append(Record(ts, body[4 : 4 + caplen], orig, link, len(records)))
    links = {r.link for r in records}
    if len(links) > 1:
        raise InputError("%s: several link types (%s); one is supported" % (path, sorted(links)))
    return records, fine


# ----------------------------------------------------------------------------------------------------------------
# Link, IP, TCP


class Tcp:
    __slots__ = ("ip_off", "v6", "src", "dst", "sport", "dport", "seq", "ack", "flags", "payload_off", "length")


def ip_offset(link, data):
    """Where the IP header starts in a record of this link type, or None when it carries no IP."""
    if link == 1:  # EN10MB
        if len(data) < 14:
            return None
        off, ethertype = 14, struct.unpack("!H", data[12:14])[0]
        while ethertype in (0x8100, 0x88A8) and len(data) >= off + 4:
            ethertype = struct.unpack("!H", data[off + 2 : off + 4])[0]
            off += 4
        return off if ethertype in (0x0800, 0x86DD) else None
    if link == 113:  # LINUX_SLL
        return 16 if len(data) >= 16 and struct.unpack("!H", data[14:16])[0] in (0x0800, 0x86DD) else None
    if link == 276:  # LINUX_SLL2
        return 20 if len(data) >= 20 and struct.unpack("!H", data[0:2])[0] in (0x0800, 0x86DD) else None
    if link in (0, 108):  # NULL (host order), LOOP (network order)
        return 4 if len(data) >= 4 else None
    if link in (12, 14, 101, 228, 229):  # raw IP
        return 0
    return None


def parse_tcp(link, data):
    off = ip_offset(link, data)
    if off is None or len(data) < off + 20:
        return None
    version = data[off] >> 4
    t = Tcp()
    t.ip_off = off
    if version == 4:
        ihl = (data[off] & 0x0F) * 4
        total, frag, proto = struct.unpack("!H", data[off + 2 : off + 4])[0], data[off + 6 : off + 8], data[off + 9]
        if proto != 6 or ihl < 20 or struct.unpack("!H", frag)[0] & 0x3FFF:
            return None
        t.v6, t.src, t.dst = False, data[off + 12 : off + 16], data[off + 16 : off + 20]
        tcp_off, ip_payload = off + ihl, total - ihl
    elif version == 6:
        if len(data) < off + 40 or data[off + 6] != 6:
            return None
        t.v6, t.src, t.dst = True, data[off + 8 : off + 24], data[off + 24 : off + 40]
        tcp_off, ip_payload = off + 40, struct.unpack("!H", data[off + 4 : off + 6])[0]
    else:
        return None
    if len(data) < tcp_off + 14:
        return None
    t.sport, t.dport, t.seq, t.ack = struct.unpack("!HHII", data[tcp_off : tcp_off + 12])
    doff = (data[tcp_off + 12] >> 4) * 4
    t.flags = data[tcp_off + 13]
    t.payload_off = tcp_off + doff
    t.length = max(0, ip_payload - doff)
    return t


def endpoint(t, source=True):
    return (t.src, t.sport) if source else (t.dst, t.dport)


def conn_key(t):
    return tuple(sorted([(t.src, t.sport), (t.dst, t.dport)]))


def seq_geq(a, b):
    return ((a - b) & 0xFFFFFFFF) < 0x80000000


def show_ip(raw):
    if len(raw) == 4:
        return ".".join(str(b) for b in raw)
    return ":".join("%x" % struct.unpack("!H", raw[i : i + 2])[0] for i in range(0, 16, 2))


# ----------------------------------------------------------------------------------------------------------------
# Streams, HTTP upgrade, WebSocket frames and messages


class Direction:
    """One direction's stream, rebuilt from the captured payloads; offsets are relative to `base` (a sequence
    number)."""

    def __init__(self, segments, syn_seq):
        # segments: (seq, payload bytes, record index) in file order.
        if syn_seq is not None:
            self.base = (syn_seq + 1) & 0xFFFFFFFF
        elif segments:
            first = segments[0][0]
            self.base = min(((s - first + 0x80000000) & 0xFFFFFFFF) for s, _, _ in segments)
            self.base = (first + self.base - 0x80000000) & 0xFFFFFFFF
        else:
            self.base = 0
        self.segments = [(self.rel(s), p, i) for s, p, i in segments]
        size = max([r + len(p) for r, p, _ in self.segments if r >= 0] + [0])
        self.buf = bytearray(size)
        self.have = bytearray(size)
        for rel, payload, _ in self.segments:
            lo = max(0, -rel)
            if lo >= len(payload):
                continue
            if self.have.find(1, rel + lo, rel + len(payload)) < 0:
                # Nothing there yet (the usual case): one slice.
                self.buf[rel + lo : rel + len(payload)] = payload[lo:]
                self.have[rel + lo : rel + len(payload)] = b"\x01" * (len(payload) - lo)
                continue
            for k in range(lo, len(payload)):
                if not self.have[rel + k]:  # a retransmission: the first bytes win
                    self.buf[rel + k] = payload[k]
                    self.have[rel + k] = 1
        contiguous = self.have.find(0)
        self.contiguous = size if contiguous < 0 else contiguous

    def rel(self, seq):
        r = (seq - self.base) & 0xFFFFFFFF
        return r - 0x100000000 if r >= 0x80000000 else r

    def owner(self, offset):
        """The first record, in file order, that carries the stream byte at `offset`."""
        found = [i for rel, p, i in self.segments if rel <= offset < rel + len(p)]
        return min(found) if found else None


def http_head_end(buf, limit):
    end = bytes(buf[:limit]).find(b"\r\n\r\n")
    return None if end < 0 else end + 4


def parse_frames(direction, start):
    """Frames from `start` on: dicts with start, end, fin, rsv1, opcode, payload, and `resync` on the first frame
    after a hole in the stream (parsing resumes at the next captured segment, as where a record was lost)."""
    frames, buf, have = [], direction.buf, direction.have
    pos, resync = start, False
    while pos < len(buf):
        limit = have.find(0, pos)
        limit = len(buf) if limit < 0 else limit
        while pos + 2 <= limit:
            b0, b1 = buf[pos], buf[pos + 1]
            length, head = b1 & 0x7F, 2
            if length == 126:
                if pos + 4 > limit:
                    break
                length, head = struct.unpack("!H", buf[pos + 2 : pos + 4])[0], 4
            elif length == 127:
                if pos + 10 > limit:
                    break
                length, head = struct.unpack("!Q", buf[pos + 2 : pos + 10])[0], 10
            masked = bool(b1 & 0x80)
            key = bytes(buf[pos + head : pos + head + 4]) if masked else b""
            head += 4 if masked else 0
            if pos + head + length > limit:
                break
            payload = bytes(buf[pos + head : pos + head + length])
            if masked and length:
                stream = (key * (length // 4 + 1))[:length]
                payload = (int.from_bytes(payload, "big") ^ int.from_bytes(stream, "big")).to_bytes(length, "big")
            frames.append(
                {
                    "start": pos,
                    "end": pos + head + length,
                    "fin": bool(b0 & 0x80),
                    "rsv1": bool(b0 & 0x40),
                    "opcode": b0 & 0x0F,
                    "payload": payload,
                    "resync": resync,
                }
            )
            resync = False
            pos += head + length
        # A hole (or a frame cut by one): resume at the first captured segment that starts after it.
        starts = [rel for rel, _, _ in direction.segments if rel > pos and rel >= limit]
        if not starts:
            break
        pos, resync = min(starts), True
        if not have[pos]:
            break
    return frames


def messages(frames, inflate, no_context_takeover):
    """Data messages (fragments joined, inflated where compressed) and control frames, in stream order."""
    out, current = [], None
    inflater = zlib.decompressobj(-15)
    for frame in frames:
        if frame["resync"]:
            current, inflater = None, zlib.decompressobj(-15)
        if frame["opcode"] >= 8:
            out.append({"start": frame["start"], "end": frame["end"], "opcode": frame["opcode"],
                        "compressed": False, "wire": frame["payload"], "text": frame["payload"]})
            continue
        if frame["opcode"] != 0 or current is None:
            current = {"start": frame["start"], "end": frame["end"], "opcode": frame["opcode"],
                       "compressed": inflate and frame["rsv1"], "wire": b""}
        current["wire"] += frame["payload"]
        current["end"] = frame["end"]
        if frame["fin"]:
            current["text"] = current["wire"]
            if current["compressed"]:
                if no_context_takeover:
                    inflater = zlib.decompressobj(-15)
                try:
                    current["text"] = inflater.decompress(current["wire"] + b"\x00\x00\xff\xff")
                except zlib.error:
                    current["text"] = None
                    inflater = zlib.decompressobj(-15)
                try:
                    fresh = zlib.decompressobj(-15).decompress(current["wire"] + b"\x00\x00\xff\xff")
                except zlib.error:
                    fresh = None
                current["freshInflates"] = fresh is not None and fresh == current["text"]
            out.append(current)
            current = None
    return out


class Connection:
    """One TCP connection of the input, with the landmarks of its gateway handshake (stream offsets)."""

    def __init__(self, key, records):
        self.key, self.records = key, records
        first = records[0].tcp
        syn = next((r.tcp for r in records if r.tcp.flags & SYN and not r.tcp.flags & ACK), None)
        get = next((r.tcp for r in records if r.data[r.tcp.payload_off : r.tcp.payload_off + 4] == b"GET "), None)
        if syn is not None:
            client = endpoint(syn)
        elif get is not None:
            client = endpoint(get)
        else:
            a, b = endpoint(first), endpoint(first, False)
            client = a if a[1] > b[1] else b
        self.client = client
        self.server = key[0] if key[1] == client else key[1]
        self.dirs = {}
        for side in ("client", "server"):
            sender = self.client if side == "client" else self.server
            own = [r for r in records if endpoint(r.tcp) == sender]
            syn_seq = next((r.tcp.seq for r in own if r.tcp.flags & SYN), None)
            segments = [
                (r.tcp.seq, r.data[r.tcp.payload_off : r.tcp.payload_off + r.tcp.length], r.index)
                for r in own
                if r.tcp.length > 0
            ]
            self.dirs[side] = Direction(segments, syn_seq)
        self.find_landmarks()

    def find_landmarks(self):
        c, s = self.dirs["client"], self.dirs["server"]
        self.request = self.response = None
        self.connect = self.first_client = self.answer = self.close = None
        self.answer_kind, self.deflate = None, False
        self.client_messages, self.server_messages = [], []
        req_end = http_head_end(c.buf, c.contiguous) if bytes(c.buf[:4]) == b"GET " else None
        resp_end = http_head_end(s.buf, s.contiguous) if bytes(s.buf[:5]) == b"HTTP/" else None
        if req_end is None or resp_end is None:
            return
        self.request, self.response = (0, req_end), (0, resp_end)
        head = bytes(s.buf[:resp_end]).lower()
        if b" 101" not in head.split(b"\r\n")[0]:
            return
        ext = re.search(rb"sec-websocket-extensions:([^\r]*)", head)
        self.deflate = bool(ext and b"permessage-deflate" in ext.group(1))
        client_nct = bool(ext and b"client_no_context_takeover" in ext.group(1))
        server_nct = bool(ext and b"server_no_context_takeover" in ext.group(1))
        self.client_messages = messages(parse_frames(c, req_end), self.deflate, client_nct)
        self.server_messages = messages(parse_frames(s, resp_end), self.deflate, server_nct)
        self.first_client = next((m for m in self.client_messages if m["opcode"] in (1, 2)), None)
        self.connect = next(
            (m for m in self.client_messages if m["opcode"] == 1 and m["text"] and CONNECT.search(m["text"])), None
        )
        res = next(
            (m for m in self.server_messages if m["opcode"] == 1 and m["text"] and RES.search(m["text"])), None
        )
        self.close = next((m for m in self.server_messages if m["opcode"] == 8), None)
        if res is not None:
            self.answer = res
            self.answer_kind = "res-ok" if OK_TRUE.search(res["text"]) else "res-error"
        elif self.close is not None:
            self.answer, self.answer_kind = self.close, "close"

    def record_of(self, side, message):
        return None if message is None else self.dirs[side].owner(message["start"])


def connections_of(records):
    groups = {}
    for r in records:
        if r.tcp is not None:
            groups.setdefault(conn_key(r.tcp), []).append(r)
    return [Connection(k, rs) for k, rs in groups.items()]


# ----------------------------------------------------------------------------------------------------------------
# Rewrites: each returns (output records as (record, bytes to write or None for all), snaplen or None, changes)


def ack_ahead(records, conns):
    assigned = {}  # data record index -> ACK records to store just before it
    moved = set()
    for conn in conns:
        for data in conn.records:
            t = data.tcp
            if t.length == 0:
                continue
            end = (t.seq + t.length) & 0xFFFFFFFF
            sender = endpoint(t)
            acker = next(
                (
                    r
                    for r in conn.records
                    if endpoint(r.tcp) != sender and r.tcp.flags & ACK and seq_geq(r.tcp.ack, end)
                ),
                None,
            )
            if acker is None or acker.index < data.index or acker.index in moved:
                continue
            moved.add(acker.index)
            assigned.setdefault(data.index, []).append(acker)
    out, emitted = [], set()

    def emit(record):
        for ahead in assigned.get(record.index, []):
            emit(ahead)
        if record.index not in emitted:
            emitted.add(record.index)
            out.append((record, None))

    for r in records:
        if r.index in moved:
            continue
        emit(r)
    return out, None, len(moved)


def swap(records, conns):
    out, i, swaps = [], 0, 0
    while i < len(records):
        a = records[i]
        b = records[i + 1] if i + 1 < len(records) else None
        if (
            b is not None
            and a.tcp is not None
            and b.tcp is not None
            and conn_key(a.tcp) == conn_key(b.tcp)
            and endpoint(a.tcp) != endpoint(b.tcp)
        ):
            out += [(b, None), (a, None)]
            swaps += 1
            i += 2
        else:
            out.append((a, None))
            i += 1
    return out, None, swaps


def start_at_connect(records, conns):
    drop = set()
    for conn in conns:
        start = conn.record_of("client", conn.connect or conn.first_client)
        if start is not None:
            drop.update(r.index for r in conn.records if r.index < start)
    return [(r, None) for r in records if r.index not in drop], None, len(drop)


def end_before_answer(records, conns):
    drop = set()
    for conn in conns:
        stop = conn.record_of("server", conn.answer)
        if stop is not None:
            drop.update(r.index for r in conn.records if r.index >= stop)
    return [(r, None) for r in records if r.index not in drop], None, len(drop)


def end_inside_record(records, conns):
    if not records:
        raise InputError("the capture has no record to end inside")
    cuts = []
    for conn in conns:
        at = conn.record_of("server", conn.answer)
        if at is not None:
            record = records[at]
            rel = conn.dirs["server"].rel(record.tcp.seq)
            frame_start = record.tcp.payload_off + conn.answer["start"] - rel
            frame_bytes = min(len(record.data), record.tcp.payload_off + record.tcp.length) - frame_start
            cuts.append((at, frame_start + max(1, frame_bytes // 2)))
    if cuts:
        at, keep = max(cuts)
    else:
        at, keep = len(records) - 1, max(1, len(records[-1].data) // 2)
    keep = min(keep, len(records[at].data) - 1)
    return [(r, None) for r in records[:at]] + [(records[at], keep)], None, 1


def snaplen(records, conns, n):
    cut = sum(1 for r in records if len(r.data) > n)
    return [(r, n) for r in records], n, cut


def duplicate(records, conns):
    ports, out = {}, []
    clients = {conn.key: conn.client for conn in conns}
    for r in records:
        out += [(r, None), (r, None)]
        if r.tcp is not None:
            client = clients[conn_key(r.tcp)]
            if client not in ports:
                ports[client] = 40000 + len(ports)
            out.append((nat_copy(r, endpoint(r.tcp) == client, ports[client]), None))
    return out, None, len(records) * 2


def fold(total):
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def words(raw):
    return [struct.unpack("!H", raw[i : i + 2])[0] for i in range(0, len(raw), 2)]


def nat_copy(record, from_client, port):
    t = record.tcp
    data = bytearray(record.data)
    client_ip = bytes([0xFD, 0, 0, 0x17] + [0] * 11 + [1]) if t.v6 else bytes([172, 17, 0, 1])
    server_ip = client_ip[:-1] + bytes([2])
    new_src, new_dst = (client_ip, server_ip) if from_client else (server_ip, client_ip)
    off, alen = t.ip_off, 16 if t.v6 else 4
    src_at, dst_at = (off + 8, off + 24) if t.v6 else (off + 12, off + 16)
    tcp_off = off + (40 if t.v6 else (data[off] & 0x0F) * 4)
    port_at = tcp_off if from_client else tcp_off + 2
    old = bytes(data[src_at : src_at + alen]) + bytes(data[dst_at : dst_at + alen]) + bytes(data[port_at : port_at + 2])
    new = new_src + new_dst + struct.pack("!H", port)
    data[src_at : src_at + alen] = new_src
    data[dst_at : dst_at + alen] = new_dst
    data[port_at : port_at + 2] = struct.pack("!H", port)
    if not t.v6:
        data[off + 10 : off + 12] = b"\0\0"
        total = fold(sum(words(bytes(data[off : tcp_off]))))
        data[off + 10 : off + 12] = struct.pack("!H", ~total & 0xFFFF)
    if len(data) >= tcp_off + 18:
        # RFC 1624, eqn. 3: HC' = ~(~HC + ~m + m') for each changed 16-bit word m -> m'.
        check = struct.unpack("!H", data[tcp_off + 16 : tcp_off + 18])[0]
        total = ~check & 0xFFFF
        for m, m2 in zip(words(old), words(new)):
            total = fold(total + (~m & 0xFFFF) + m2)
        data[tcp_off + 16 : tcp_off + 18] = struct.pack("!H", ~total & 0xFFFF)
    copy = Record(record.ts + 1000, bytes(data), record.orig_len, record.link, record.index)
    return copy


# ----------------------------------------------------------------------------------------------------------------
# Writing and the report


def write_pcap(path, out, link, snap, nanos):
    largest = max([len(r.data) for r, _ in out] + [0])
    header_snap = snap if snap is not None else max(262144, largest)
    magic, divisor = (0xA1B23C4D, 1) if nanos else (0xA1B2C3D4, 1000)
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", magic, 2, 4, 0, 0, header_snap, link))
        for record, limit in out:
            body = record.data
            caplen = len(body)
            if snap is not None:
                body = body[:snap]
                caplen = len(body)
            elif limit is not None:
                body = body[:limit]  # the file ends inside this record: its header keeps the full length
            sec, frac = divmod(record.ts, 1_000_000_000)
            f.write(struct.pack("<IIII", sec, frac // divisor, caplen, record.orig_len))
            f.write(body)


def survival(conn, out, snap):
    """Which landmarks of `conn` survive whole in the written records (stream offsets of the original)."""
    have = {"client": [], "server": []}
    for record, limit in out:
        t = record.tcp
        if t is None or conn_key(t) != conn.key or t.length == 0:
            continue
        written = len(record.data)
        if snap is not None:
            written = min(written, snap)
        elif limit is not None:
            written = min(written, limit)
        captured = max(0, min(written, t.payload_off + t.length) - t.payload_off)
        side = "client" if endpoint(t) == conn.client else "server"
        rel = conn.dirs[side].rel(t.seq)
        have[side].append((rel, rel + captured))

    def whole(side, span):
        if span is None:
            return None
        lo, hi = span
        for a, b in sorted(have[side]):
            if a <= lo < b:
                lo = b
            if lo >= hi:
                return True
        return lo >= hi

    def readable(side, message, earlier):
        """Whole, and decodable from what the output holds (an inflate context needs the earlier messages)."""
        if message is None:
            return None
        if not whole(side, (message["start"], message["end"])):
            return False
        if not message["compressed"]:
            return message["text"] is not None
        if message.get("freshInflates"):
            return True
        before = [m for m in earlier if m["compressed"] and m["start"] < message["start"]]
        return message["text"] is not None and all(whole(side, (m["start"], m["end"])) for m in before)

    def describe(side, message, earlier):
        if message is None:
            return None
        record = conn.record_of(side, message)
        return {
            "record": record + 1,
            "opcode": message["opcode"],
            "compressed": message["compressed"],
            "whole": whole(side, (message["start"], message["end"])),
            "readable": readable(side, message, earlier),
        }

    def span_whole(side, span):
        return None if span is None else whole(side, span)

    close_reason = None
    if conn.close is not None and len(conn.close["wire"]) >= 2:
        close_reason = conn.close["wire"][2:].decode("utf-8", "replace")
    anything_cut = any(
        whole(side, (max(0, rel), rel + len(payload))) is False
        for side in ("client", "server")
        for rel, payload, _ in conn.dirs[side].segments
        if rel + len(payload) > max(0, rel)
    )
    return {
        "client": {"ip": show_ip(conn.client[0]), "port": conn.client[1]},
        "server": {"ip": show_ip(conn.server[0]), "port": conn.server[1]},
        "deflate": conn.deflate,
        "upgradeRequestWhole": span_whole("client", conn.request),
        "upgradeResponseWhole": span_whole("server", conn.response),
        "connect": describe("client", conn.connect, conn.client_messages),
        "firstClientMessage": describe("client", conn.first_client, conn.client_messages),
        "answerKind": conn.answer_kind,
        "answer": describe("server", conn.answer, conn.server_messages),
        "close": None
        if conn.close is None
        else dict(
            describe("server", conn.close, conn.server_messages),
            code=struct.unpack("!H", conn.close["wire"][:2])[0] if len(conn.close["wire"]) >= 2 else None,
            reason=close_reason,
        ),
        "streamsWhole": not anything_cut,
        "holes": {side: conn.dirs[side].have.count(0) for side in ("client", "server")},
    }


def rewrite_name(text):
    if text in REWRITES or re.fullmatch(r"snaplen-[1-9][0-9]{0,5}", text):
        return text
    raise argparse.ArgumentTypeError("unknown rewrite %r (one of %s, or snaplen-N)" % (text, ", ".join(REWRITES)))


def main(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="\n\n".join(__doc__.split("\n\n")[1:]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("rewrite", type=rewrite_name, metavar="REWRITE", help=" | ".join(REWRITES) + " (any N)")
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--report", metavar="FILE", help="write the JSON report there (- for stdout)")
    args = parser.parse_args(argv)
    try:
        records, fine = read_capture(args.input)
    except (OSError, InputError) as error:
        print("rewrite_capture: %s" % error, file=sys.stderr)
        return 1
    link = records[0].link if records else 1
    conns = connections_of(records)
    name = args.rewrite
    try:
        if name.startswith("snaplen-"):
            out, snap, changed = snaplen(records, conns, int(name.split("-")[1]))
        else:
            rewrite = {
                "ack-ahead": ack_ahead,
                "swap": swap,
                "start-at-connect": start_at_connect,
                "end-before-answer": end_before_answer,
                "end-inside-record": end_inside_record,
                "duplicate": duplicate,
            }[name]
            out, snap, changed = rewrite(records, conns)
    except InputError as error:
        print("rewrite_capture: %s" % error, file=sys.stderr)
        return 1
    try:
        write_pcap(args.output, out, link, snap, fine)
    except OSError as error:
        print("rewrite_capture: %s" % error, file=sys.stderr)
        return 1
    if args.report:
        report = {
            "rewrite": name,
            "input": args.input,
            "recordsIn": len(records),
            "recordsOut": len(out),
            "changed": changed,
            "snaplen": snap,
            "endsInsideRecord": name == "end-inside-record",
            "connections": [survival(c, out, snap) for c in conns],
        }
        text = json.dumps(report, indent=1, sort_keys=True)
        if args.report == "-":
            print(text)
        else:
            with open(args.report, "w") as f:
                f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
