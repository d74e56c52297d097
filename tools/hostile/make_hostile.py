#!/usr/bin/env python3
"""Writes the hostile captures of issue 8 into a directory: inputs no honest peer sends, each aimed at one limit of
wssniff (record and header lengths, WebSocket frame lengths, decompression, TCP reassembly, connection tracking,
JSON depth, message size). Deterministic: the same scale gives the same bytes.

    python3 tools/hostile/make_hostile.py OUTDIR [--scale small|full] [--only NAME]...

`small` (the tests) keeps every file under a few MB; `full` (scripts/hostile.sh, docs/reliability.md) uses the sizes
the issue names: 2,000,000 one-byte segments, 100,000 concurrent connections (plus 20,000 more, past the tracking
limit), a 256 MiB deflate bomb. Prints one line per file: name, packets, bytes, what it holds.
"""

import argparse
import base64
import hashlib
import json
import os
import struct
import sys
import zlib

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
GATEWAY_PORT = 42919


class PcapWriter:
    """Classic pcap, microsecond timestamps, Ethernet, little-endian."""

    def __init__(self, path, snaplen=262144):
        self.file = open(path, "wb")
        self.file.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, 1))
        self.packets = 0
        self.time_us = 1_795_000_000 * 1_000_000

    def record(self, frame, caplen=None, origlen=None):
        self.time_us += 10
        caplen = len(frame) if caplen is None else caplen
        origlen = len(frame) if origlen is None else origlen
        self.file.write(struct.pack("<IIII", self.time_us // 1_000_000, self.time_us % 1_000_000, caplen, origlen))
        self.file.write(frame[:caplen])
        self.packets += 1

    def raw(self, data):
        self.file.write(data)

    def close(self):
        self.file.close()


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ipv4_tcp(src, dst, sport, dport, seq, ack, flags, payload=b"", ip_id=0):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags, 65535, 0, 0)
    pseudo = struct.pack("!4s4sBBH", src, dst, 0, 6, len(tcp) + len(payload))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp + payload)) + tcp[18:]
    total = 20 + len(tcp) + len(payload)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, ip_id & 0xFFFF, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return b"\0" * 12 + b"\x08\x00" + ip + tcp + payload


FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


class Flow:
    """One TCP connection between 127.0.0.1:cport and 127.0.0.1:sport (or other addresses), with sequence numbers."""

    def __init__(self, pcap, cport, sport=GATEWAY_PORT, client_ip=b"\x7f\0\0\x01", server_ip=b"\x7f\0\0\x01"):
        self.pcap, self.cport, self.sport = pcap, cport, sport
        self.cip, self.sip = client_ip, server_ip
        self.cseq, self.sseq = 1000, 5000

    def handshake(self):
        self.pcap.record(ipv4_tcp(self.cip, self.sip, self.cport, self.sport, self.cseq, 0, SYN))
        self.pcap.record(ipv4_tcp(self.sip, self.cip, self.sport, self.cport, self.sseq, self.cseq + 1, SYN | ACK))
        self.cseq += 1
        self.sseq += 1
        self.pcap.record(ipv4_tcp(self.cip, self.sip, self.cport, self.sport, self.cseq, self.sseq, ACK))

    def client(self, data, mss=65483, seq=None, advance=True):
        self._send(True, data, mss, seq, advance)

    def server(self, data, mss=65483, seq=None, advance=True):
        self._send(False, data, mss, seq, advance)

    def _send(self, from_client, data, mss, seq, advance):
        start = (self.cseq if from_client else self.sseq) if seq is None else seq
        offset = 0
        while offset < len(data):
            piece = data[offset : offset + mss]
            if from_client:
                frame = ipv4_tcp(self.cip, self.sip, self.cport, self.sport, start + offset, self.sseq, PSH | ACK, piece)
            else:
                frame = ipv4_tcp(self.sip, self.cip, self.sport, self.cport, start + offset, self.cseq, PSH | ACK, piece)
            self.pcap.record(frame)
            offset += len(piece)
        if advance and seq is None:
            if from_client:
                self.cseq += len(data)
            else:
                self.sseq += len(data)

    def fin(self):
        self.pcap.record(ipv4_tcp(self.cip, self.sip, self.cport, self.sport, self.cseq, self.sseq, FIN | ACK))
        self.pcap.record(ipv4_tcp(self.sip, self.cip, self.sport, self.cport, self.sseq, self.cseq + 1, FIN | ACK))
        self.cseq += 1
        self.sseq += 1
        self.pcap.record(ipv4_tcp(self.cip, self.sip, self.cport, self.sport, self.cseq, self.sseq, ACK))


def ws_frame(opcode, payload, mask=None, fin=True, rsv1=False, length=None):
    """A frame; `length` overrides the length field (the payload that follows stays what is given)."""
    first = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode
    n = len(payload) if length is None else length
    mask_bit = 0x80 if mask is not None else 0
    if n < 126 and length is None:
        header = bytes([first, mask_bit | n])
    elif n < 65536 and length is None:
        header = bytes([first, mask_bit | 126]) + struct.pack("!H", n)
    else:
        header = bytes([first, mask_bit | 127]) + struct.pack("!Q", n)
    if mask is None:
        return header + payload
    key = struct.pack("!I", mask)
    return header + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def upgrade(flow, key_seed, deflate=False):
    key = base64.b64encode(hashlib.sha256(key_seed.encode()).digest()[:16]).decode()
    accept = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()
    extension = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" if deflate else ""
    flow.client(
        (
            f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{GATEWAY_PORT}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{extension}\r\n"
        ).encode()
    )
    answer = "Sec-WebSocket-Extensions: permessage-deflate\r\n" if deflate else ""
    flow.server(
        (
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Accept: {accept}\r\n{answer}\r\n"
        ).encode()
    )


def challenge(flow, nonce="7c1f1ad2-4a0b-4c2e-9b8e-2f0d6f3b9a11"):
    event = {"type": "event", "event": "connect.challenge", "payload": {"nonce": nonce, "ts": 1795000000000}}
    flow.server(ws_frame(0x1, json.dumps(event, separators=(",", ":")).encode()))


def connect_frame(params_extra=None, raw_params=None):
    params = {
        "minProtocol": 3,
        "maxProtocol": 3,
        "client": {"id": "cli", "version": "2026.3.13", "platform": "linux", "mode": "cli"},
        "role": "operator",
        "scopes": ["operator.read"],
        "auth": {"token": "hostile-secret-token"},
    }
    if params_extra:
        params.update(params_extra)
    params_text = json.dumps(params, separators=(",", ":")) if raw_params is None else raw_params
    return ('{"type":"req","id":"c1","method":"connect","params":' + params_text + "}").encode()


def gateway_start(pcap, port, seed, deflate=False):
    flow = Flow(pcap, port)
    flow.handshake()
    upgrade(flow, seed, deflate)
    challenge(flow)
    return flow


# --- the cases ------------------------------------------------------------------------------------------------


def truncated_records(path, scale):
    """Every record of a gateway handshake cut short (caplen < len) at a different offset: inside the Ethernet, IPv4
    and TCP headers and inside the payload; the file then ends inside a record header."""
    pcap = PcapWriter(path)
    cut = 0
    for port in range(41000, 41000 + (20 if scale == "small" else 200)):
        flow = Flow(pcap, port)
        frames = []
        real = pcap.record
        pcap.record = lambda frame, caplen=None, origlen=None: frames.append(frame)
        flow.handshake()
        upgrade(flow, f"trunc-{port}")
        challenge(flow)
        flow.client(ws_frame(0x1, connect_frame(), mask=0x11223344))
        pcap.record = real
        for frame in frames:
            cut = (cut + 7) % (len(frame) + 1)
            pcap.record(frame, caplen=cut, origlen=len(frame))
    pcap.raw(struct.pack("<II", 1, 2))  # half a record header
    pcap.close()
    return pcap.packets


def truncated_file(path, scale):
    """A good handshake, then the file stops in the middle of a record's data."""
    pcap = PcapWriter(path)
    flow = gateway_start(pcap, 41500, "truncated-file")
    flow.client(ws_frame(0x1, connect_frame(), mask=0x01020304))
    frame = ipv4_tcp(flow.sip, flow.cip, flow.sport, flow.cport, flow.sseq, flow.cseq, PSH | ACK, b"x" * 500)
    pcap.raw(struct.pack("<IIII", 1795000001, 0, len(frame), len(frame)) + frame[:100])
    pcap.close()
    return pcap.packets


def absurd_record_length(path, scale):
    """A record header claiming 2 GiB of captured data after a good connection start."""
    pcap = PcapWriter(path)
    flow = gateway_start(pcap, 41600, "absurd-record")
    pcap.raw(struct.pack("<IIII", 1795000001, 0, 0x7FFFFFFF, 0x7FFFFFFF) + b"\0" * 64)
    pcap.close()
    return pcap.packets


def absurd_header_lengths(path, scale):
    """IPv4 and TCP headers whose length fields lie: total length 65535 on a 60-byte packet, IHL 15 on a short one,
    TCP data offset 15, total length shorter than the header, a fragment at offset 65528 with 100 bytes."""
    pcap = PcapWriter(path)
    base = ipv4_tcp(b"\x7f\0\0\x01", b"\x7f\0\0\x01", 41700, GATEWAY_PORT, 1, 0, SYN)
    variants = []
    b = bytearray(base)
    b[16:18] = struct.pack("!H", 65535)
    variants.append(bytes(b))
    b = bytearray(base)
    b[14] = 0x4F
    variants.append(bytes(b))
    b = bytearray(base)
    b[14 + 20 + 12] = 0xF0
    variants.append(bytes(b))
    b = bytearray(base)
    b[16:18] = struct.pack("!H", 10)
    variants.append(bytes(b))
    b = bytearray(base + b"y" * 100)
    b[16:18] = struct.pack("!H", 20 + 20 + 100)
    b[20:22] = struct.pack("!H", 0x2000 | 8191)  # more fragments, offset 8191 * 8 = 65528
    variants.append(bytes(b))
    variants.append(b"\0" * 12 + b"\x86\xdd" + b"\x60" + b"\0" * 3 + struct.pack("!H", 65535) + b"\x06\x40" + b"\0" * 32)
    for _ in range(5 if scale == "small" else 5000):
        for variant in variants:
            pcap.record(variant)
    pcap.close()
    return pcap.packets


def frame_lengths(path, scale):
    """Client frames announcing 2^63, 2^64 - 1 and 2^63 - 1 payload bytes, one gateway connection each; and a server
    frame of 2^62 bytes on a plain (non-gateway) port."""
    pcap = PcapWriter(path)
    for index, length in enumerate([1 << 63, (1 << 64) - 1, (1 << 63) - 1]):
        flow = gateway_start(pcap, 41800 + index, f"len-{index}")
        flow.client(ws_frame(0x1, b"x" * 1000, mask=0x0A0B0C0D, length=length))
        flow.fin()
    flow = Flow(pcap, 41810, sport=8080)
    flow.handshake()
    upgrade(flow, "len-plain")
    flow.server(ws_frame(0x2, b"y" * 2000, length=1 << 62))
    pcap.close()
    return pcap.packets


def deflate_bomb(path, scale):
    """permessage-deflate, then a server message of zeros that inflates to 256 MiB (16 MiB in small): far past the
    16 MiB decompression limit."""
    pcap = PcapWriter(path)
    flow = gateway_start(pcap, 41900, "bomb", deflate=True)
    size = (256 if scale == "full" else 32) << 20
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = b"\0" * (1 << 20)
    body = b"".join(compressor.compress(chunk) for _ in range(size >> 20)) + compressor.flush(zlib.Z_SYNC_FLUSH)
    assert body.endswith(b"\x00\x00\xff\xff")
    flow.server(ws_frame(0x2, body[:-4], rsv1=True))
    flow.fin()
    pcap.close()
    return pcap.packets


def tiny_segments(path, scale):
    """One gateway connection whose connect request arrives one byte per TCP segment: 2,000,000 segments in full
    (a 1.9 MiB binary message after the connect), 100,000 in small."""
    pcap = PcapWriter(path)
    flow = gateway_start(pcap, 42000, "tiny")
    count = 2_000_000 if scale == "full" else 100_000
    data = ws_frame(0x1, connect_frame(), mask=0x55667788)
    data += ws_frame(0x2, b"z" * (count - len(data) - 14), mask=0x01010101)
    data = data[:count]
    for index in range(len(data)):
        frame = ipv4_tcp(flow.cip, flow.sip, flow.cport, flow.sport, flow.cseq + index, flow.sseq, ACK, data[index : index + 1])
        pcap.record(frame)
    flow.cseq += len(data)
    flow.fin()
    pcap.close()
    return pcap.packets


def conflicting_overlaps(path, scale):
    """A connect request whose segments arrive after a hole, then again at the same sequence numbers with different
    bytes (another role), then the hole is filled: the first bytes held win, the conflict is counted."""
    pcap = PcapWriter(path)
    flow = gateway_start(pcap, 42100, "overlap")
    first = ws_frame(0x1, connect_frame(), mask=0x01020304)
    other = ws_frame(0x1, connect_frame({"role": "node"}), mask=0x01020304)
    flow.client(first[100:], mss=64, seq=flow.cseq + 100)
    flow.client(other[100:], mss=64, seq=flow.cseq + 100)
    flow.client(first[:100], mss=100, seq=flow.cseq)
    flow.cseq += len(first)
    flow.fin()
    pcap.close()
    return pcap.packets


def many_connections(path, scale):
    """100,000 gateway connections open at once (5,000 in small), each through its challenge, then 20% more that
    push the oldest out of the connection table; none closes."""
    pcap = PcapWriter(path)
    count = 120_000 if scale == "full" else 6_000
    for index in range(count):
        client_ip = bytes([127, 1 + index // 60000, (index // 250) % 240, 1 + index % 250])
        flow = Flow(pcap, 20000 + index % 40000, client_ip=client_ip)
        flow.handshake()
        upgrade(flow, f"many-{index}")
        challenge(flow, nonce=f"{index:08d}-0000-4000-8000-000000000000")
    pcap.close()
    return pcap.packets


def never_closing(path, scale):
    """Connections that complete the handshake and keep chatting, and the capture ends with all of them open."""
    pcap = PcapWriter(path)
    flows = [gateway_start(pcap, 42300 + index, f"open-{index}") for index in range(50)]
    for flow in flows:
        flow.client(ws_frame(0x1, connect_frame(), mask=0x0F0F0F0F))
    for round_ in range(20 if scale == "small" else 2000):
        for flow in flows:
            flow.server(ws_frame(0x1, b'{"type":"event","event":"tick","payload":{"ts":%d}}' % round_))
    pcap.close()
    return pcap.packets


def deep_json(path, scale):
    """A connect request whose params nest arrays 10,000 deep (the JSON parser's limit is 512)."""
    pcap = PcapWriter(path)
    flow = gateway_start(pcap, 42400, "deep")
    deep = "[" * 10_000 + "]" * 10_000
    flow.client(ws_frame(0x1, connect_frame(raw_params='{"minProtocol":3,"maxProtocol":3,"deep":' + deep + "}"), mask=0x0A0A0A0A))
    flow.fin()
    pcap.close()
    return pcap.packets


def big_connect(path, scale):
    """A 60 KiB connect request (under the gateway's 64 KiB pre-connect limit) and a 70 KiB one (over it)."""
    pcap = PcapWriter(path)
    for index, size in enumerate([60 << 10, 70 << 10]):
        flow = gateway_start(pcap, 42500 + index, f"big-{index}")
        frame = connect_frame({"userAgent": ""})
        frame = connect_frame({"userAgent": "u" * (size - len(frame))})
        assert len(frame) == size
        flow.client(ws_frame(0x1, frame, mask=0x01020304))
        flow.fin()
    pcap.close()
    return pcap.packets


CASES = {
    "truncated-records": truncated_records,
    "truncated-file": truncated_file,
    "absurd-record-length": absurd_record_length,
    "absurd-header-lengths": absurd_header_lengths,
    "frame-lengths": frame_lengths,
    "deflate-bomb": deflate_bomb,
    "tiny-segments": tiny_segments,
    "conflicting-overlaps": conflicting_overlaps,
    "many-connections": many_connections,
    "never-closing": never_closing,
    "deep-json": deep_json,
    "big-connect": big_connect,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("outdir")
    parser.add_argument("--scale", choices=["small", "full"], default="small")
    parser.add_argument("--only", action="append", choices=sorted(CASES))
    args = parser.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    for name, make in CASES.items():
        if args.only and name not in args.only:
            continue
        path = os.path.join(args.outdir, name + ".pcap")
        packets = make(path, args.scale)
        doc = " ".join((make.__doc__ or "").split())
        print(f"{name}\t{packets}\t{os.path.getsize(path)}\t{doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
