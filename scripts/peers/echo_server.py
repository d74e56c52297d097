#!/usr/bin/env python3
"""A real WebSocket echo server on loopback (Python `websockets`), for making test traffic.

usage: echo_server.py PORT [--no-deflate]
Prints "ready" on stdout once listening; echoes every message; exits on SIGTERM or after 60 s.
"""
import asyncio
import signal
import sys

from websockets.asyncio.server import serve


async def echo(connection):
    async for message in connection:
        await connection.send(message)


async def main():
    port = int(sys.argv[1])
    compression = None if "--no-deflate" in sys.argv else "deflate"
    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    async with serve(echo, "127.0.0.1", port, compression=compression):
        print("ready", flush=True)
        await asyncio.wait_for(stop, timeout=60)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except asyncio.TimeoutError:
        pass
