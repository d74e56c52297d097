#!/usr/bin/env python3
"""A real WebSocket client on loopback (Python `websockets`) with configurable permessage-deflate, for live tests.

usage: deflate_client.py PORT [--no-deflate] [--server-no-context-takeover] [--client-no-context-takeover]
                         [--server-max-window-bits N] [--client-max-window-bits N] [--result FILE]
The same sequence as fragment_client.js, waiting for each echo: a plain text; a fragmented text with a ping after
its first frame (websockets ends a fragmented message with an empty final continuation frame, so 3 parts make 4
frames); a binary message; a 40 KB compressible text; five short similar texts; then close 1000 "bye".
Prints one JSON line: the response's Sec-WebSocket-Extensions, the parameters websockets agreed to, every message
sent (with its frame count) and received, pongs, and the close. Exits by itself within 10 s.
"""
import argparse
import asyncio
import base64
import json
import sys

from websockets.asyncio.client import connect
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory, PerMessageDeflate


def parse():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--no-deflate", action="store_true")
    parser.add_argument("--server-no-context-takeover", action="store_true")
    parser.add_argument("--client-no-context-takeover", action="store_true")
    parser.add_argument("--server-max-window-bits", type=int)
    parser.add_argument("--client-max-window-bits", type=int)
    parser.add_argument("--result", help="write the JSON line to this file instead of stdout")
    return parser.parse_args()


def encode(data):
    if isinstance(data, str):
        return {"type": "text", "text": data}
    return {"type": "binary", "base64": base64.b64encode(data).decode()}


async def main():
    options = parse()
    extensions = []
    if not options.no_deflate:
        extensions.append(
            ClientPerMessageDeflateFactory(
                server_no_context_takeover=options.server_no_context_takeover,
                client_no_context_takeover=options.client_no_context_takeover,
                server_max_window_bits=options.server_max_window_bits,
                client_max_window_bits=options.client_max_window_bits or True,
            )
        )
    large = "".join(f"line {i}: the quick brown fox jumps over the lazy dog\n" for i in range(800))[:40000]
    result = {"extensions": None, "params": None, "sent": [], "received": [], "pongs": [], "close": None}
    async with connect(
        f"ws://127.0.0.1:{options.port}/live", compression=None, extensions=extensions, max_size=1 << 20
    ) as ws:
        result["extensions"] = ws.response.headers.get("Sec-WebSocket-Extensions")
        for extension in ws.protocol.extensions:
            if isinstance(extension, PerMessageDeflate):
                result["params"] = {
                    "server_no_context_takeover": extension.remote_no_context_takeover,
                    "client_no_context_takeover": extension.local_no_context_takeover,
                    "server_max_window_bits": extension.remote_max_window_bits,
                    "client_max_window_bits": extension.local_max_window_bits,
                }

        async def exchange(message, frames=1, ping=None):
            result["sent"].append({**encode(message), "frames": frames, "pingAfterFirstFrame": ping})
            result["received"].append(encode(await ws.recv()))

        await ws.send("plain text from python websockets")
        await exchange("plain text from python websockets")

        parts = ["first fragment / ", "second fragment / ", "third and last fragment"]

        pong = []

        async def fragments():
            yield parts[0]
            pong.append(await ws.ping("mid"))
            for part in parts[1:]:
                yield part

        await ws.send(fragments())
        await exchange("".join(parts), frames=len(parts) + 1, ping="mid")
        await asyncio.wait_for(pong[0], 3)
        result["pongs"].append("mid")

        for message in [bytes([0, 1, 2, 3, 127, 128, 254, 255]), large] + [
            f"short message {i}: context takeover" for i in range(1, 6)
        ]:
            await ws.send(message)
            await exchange(message)
        await ws.close(1000, "bye")
    received = ws.protocol.close_rcvd
    result["close"] = {"code": received.code, "reason": received.reason} if received else None
    if options.result:
        with open(options.result, "w") as file:
            file.write(json.dumps(result) + "\n")
    else:
        print(json.dumps(result), flush=True)
    return 0 if received and received.code == 1000 else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(asyncio.wait_for(main(), 10)))
