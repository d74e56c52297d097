#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora from samples/ into OUT/<target>/ (scripts/fuzz.sh runs it).

Each capture is read with tshark's `follow,tcp,raw` (the first streams of each file); the two directions of each
connection are then cut into the per-layer inputs: HTTP heads with what follows them, WebSocket frame streams
(with the parser configuration the handshake negotiated) and the text messages they carry. The TCP target's
seeds are synthetic segment lists in its own input layout. Nothing here is committed: OUT is a scratch directory.
"""
import glob
import hashlib
import os
import struct
import subprocess
import sys
import zlib

MAX_STREAMS = 4


def write(out, target, data):
    directory = os.path.join(out, target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def follow(path):
    """Yields (client bytes, server bytes) of the first TCP streams of a capture."""
    args = ["tshark", "-r", path, "-q"]
    for stream in range(MAX_STREAMS):
        args += ["-z", "follow,tcp,raw,%d" % stream]
    text = subprocess.run(args, capture_output=True, text=True).stdout
    for block in text.split("Follow: tcp,raw")[1:]:
        client, server = bytearray(), bytearray()
        for line in block.splitlines():
            body = line.strip()
            if not body or any(c not in "0123456789abcdef" for c in body):
                continue
            (server if line.startswith("\t") else client).extend(bytes.fromhex(body))
        if client or server:
            yield bytes(client), bytes(server)


def frames(stream):
    """Yields (opcode, fin, rsv1, unmasked payload) of a well-formed frame stream, as far as it goes."""
    i = 0
    while i + 2 <= len(stream):
        b0, b1 = stream[i], stream[i + 1]
        length, i = b1 & 0x7F, i + 2
        if length == 126:
            length, i = struct.unpack(">H", stream[i:i + 2])[0], i + 2
        elif length == 127:
            length, i = struct.unpack(">Q", stream[i:i + 8])[0], i + 8
        mask = None
        if b1 & 0x80:
            mask, i = stream[i:i + 4], i + 4
        payload = stream[i:i + length]
        if len(payload) < length or (mask is not None and len(mask) < 4):
            return
        if mask is not None:
            payload = bytes(b ^ mask[k % 4] for k, b in enumerate(payload))
        i += length
        yield b0 & 0x0F, bool(b0 & 0x80), bool(b0 & 0x40), payload


def messages(stream, deflate):
    """Yields the text messages of a frame stream, inflated when permessage-deflate was negotiated."""
    inflater = zlib.decompressobj(-15)
    parts, compressed, text = [], False, False
    for opcode, fin, rsv1, payload in frames(stream):
        if opcode in (1, 2):
            parts, compressed, text = [payload], rsv1, opcode == 1
        elif opcode == 0:
            parts.append(payload)
        else:
            continue
        if fin and parts:
            data = b"".join(parts)
            if compressed and deflate:
                try:
                    data = inflater.decompress(data + b"\x00\x00\xff\xff")
                except zlib.error:
                    return
            if text:
                yield data
            parts = []


def main():
    samples, out = sys.argv[1], sys.argv[2]
    captures = sorted(glob.glob(os.path.join(samples, "*.pcap")) + glob.glob(os.path.join(samples, "*.pcapng")))
    for path in captures:
        with open(path, "rb") as f:
            data = f.read()
            write(out, "FuzzCaptureReader", data)
            write(out, "FuzzReportSanitizer", data)
        for client, server in follow(path):
            head_end = [s.find(b"\r\n\r\n") for s in (client, server)]
            # FuzzHTTPUpgrade: piece size, client length (LE16), client bytes, server bytes.
            c, s = client[:2048], server[:2048]
            write(out, "FuzzHTTPUpgrade", bytes([255]) + struct.pack("<H", len(c)) + c + s)
            write(out, "FuzzHTTPUpgrade", bytes([7]) + struct.pack("<H", len(c)) + c + s)
            deflate = b"permessage-deflate" in server[:max(head_end[1], 0)]
            connect, challenge = None, None
            for side, (stream, end) in enumerate(zip((client, server), head_end)):
                body = stream[end + 4:] if end >= 0 else stream
                if not body:
                    continue
                # FuzzWebSocketFrames: flags (bit 0 server, bit 1 deflate), piece size, the frame stream.
                flags = side | (2 if deflate else 0)
                write(out, "FuzzWebSocketFrames", bytes([flags, 255]) + body[:4096])
                write(out, "FuzzWebSocketFrames", bytes([flags | 0x08, 30]) + body[1:4096])
                for text in messages(body, deflate):
                    if len(text) <= 8192:
                        write(out, "FuzzGatewayJSON", text)
                    if side == 0 and connect is None and b'"connect"' in text:
                        connect = text
                    if side == 1 and challenge is None and b"connect.challenge" in text:
                        challenge = text
            if connect is not None:
                write(out, "FuzzProofVerify", connect + b"\x00" + (challenge or b""))
    write_tcp_seeds(out)


def write_tcp_seeds(out):
    """A three-way handshake, data both ways, a reordered and a duplicated segment, a loss and FINs."""
    def seg(flags, server, seq, ack, length, window=255, port=0, half=False):
        return struct.pack("<BhhBB", flags | (0x20 if server else 0) | (port << 6), seq, ack,
                           length | (0x80 if half else 0), window)
    SYN, ACK, FIN, RST, PSH = 0x02, 0x10, 0x01, 0x04, 0x08
    handshake = seg(SYN, False, 0, 0, 0) + seg(SYN | ACK, True, 0, 1, 0) + seg(ACK, False, 1, 1, 0)
    data = (seg(PSH | ACK, False, 1, 1, 100) + seg(PSH | ACK, True, 1, 101, 50)
            + seg(PSH | ACK, False, 201, 51, 100) + seg(PSH | ACK, False, 101, 51, 100)
            + seg(PSH | ACK, False, 101, 51, 100) + seg(PSH | ACK, True, 51, 301, 60, half=True)
            + seg(ACK, False, 301, 111, 0) + seg(PSH | ACK, True, 151, 301, 10, window=0)
            + seg(PSH | ACK, False, 301, 111, 1))
    end = seg(FIN | ACK, False, 302, 111, 0) + seg(FIN | ACK, True, 111, 303, 0) + seg(ACK, False, 303, 112, 0)
    for limits in (0xFF, 0x00, 0x55):
        for isn in (b"\x00\x00\x00\x00", b"\xf0\xff\xff\xff"):
            write(out, "FuzzTCPReassembly", bytes([limits]) + isn + handshake + data + end)
    write(out, "FuzzTCPReassembly", b"\xff\x01\x02\x03\x04" + data + seg(RST, True, 151, 0, 0))
    write(out, "FuzzTCPReassembly", b"\x0f\x01\x02\x03\x04" + handshake + data.replace(b"\x00\x00", b"\x01\x00")
          + handshake.replace(b"\x00\x00", b"\x07\x00", 1))


if __name__ == "__main__":
    main()
