#!/usr/bin/env python3
"""A real WebSocket echo server on loopback (Python `websockets`) with configurable permessage-deflate.

usage: deflate_server.py PORT [--no-deflate] [--server-no-context-takeover] [--client-no-context-takeover]
                         [--server-max-window-bits N] [--client-max-window-bits N] [--max-payload N] [--once]
Prints "ready" once listening; echoes every message; for each connection prints one JSON line
{"event": "close", "extensions": <response Sec-WebSocket-Extensions>, "code": N, "reason": "..."}.
Exits on SIGTERM, after its first connection with --once, or by itself after 30 s.
"""
import argparse
import asyncio
import json
import signal

from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory


def parse():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--no-deflate", action="store_true")
    parser.add_argument("--server-no-context-takeover", action="store_true")
    parser.add_argument("--client-no-context-takeover", action="store_true")
    parser.add_argument("--server-max-window-bits", type=int)
    parser.add_argument("--client-max-window-bits", type=int)
    parser.add_argument("--max-payload", type=int, default=1 << 20)
    parser.add_argument("--once", action="store_true")
    return parser.parse_args()


async def main():
    options = parse()
    extensions = []
    if not options.no_deflate:
        extensions.append(
            ServerPerMessageDeflateFactory(
                server_no_context_takeover=options.server_no_context_takeover,
                client_no_context_takeover=options.client_no_context_takeover,
                server_max_window_bits=options.server_max_window_bits,
                client_max_window_bits=options.client_max_window_bits,
            )
        )

    async def echo(connection):
        try:
            async for message in connection:
                await connection.send(message)
        except ConnectionClosed:
            pass
        received = connection.protocol.close_rcvd
        print(
            json.dumps(
                {
                    "event": "close",
                    "extensions": connection.response.headers.get("Sec-WebSocket-Extensions"),
                    "code": received.code if received else None,
                    "reason": received.reason if received else None,
                }
            ),
            flush=True,
        )
        if options.once and not stop.done():
            stop.set_result(None)

    # A parent may hand down SIGTERM blocked (Foundation's Process does): unblock it, or SIGTERM never arrives.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, lambda: stop.done() or stop.set_result(None))
    async with serve(
        echo, "127.0.0.1", options.port, compression=None, extensions=extensions, max_size=options.max_payload
    ):
        print("ready", flush=True)
        await asyncio.wait_for(stop, timeout=30)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except asyncio.TimeoutError:
        pass
