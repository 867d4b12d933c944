"""A minimal OpenAI-compatible chat server for the generation benchmarks, run in its own process so
that its work does not count against the client being measured.

It speaks HTTP/1.1 with keep-alive (as httpx's pools do), reads each request whole, and answers
with ``answer(n)`` for the n-th request: at once, or like a replica with ``slots`` decoding slots
of ``latency`` seconds each (at most ``slots`` requests served at a time, the rest queued).
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import socket
from typing import Callable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _reply(text: str) -> bytes:
    body = json.dumps({"choices": [{"index": 0, "message": {"role": "assistant", "content": text}}],
                       "usage": {"prompt_tokens": 100, "completion_tokens": 40}}).encode()
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body


def serve(port: int, ready, answer: Callable[[int], str], slots: int | None = None, latency: float = 0.0) -> None:
    """Serve on 127.0.0.1:``port`` until killed; ``ready`` is set once it listens."""

    async def main() -> None:
        gate = asyncio.Semaphore(slots) if slots else None
        counter = 0

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal counter
            try:
                while True:
                    head = await reader.readuntil(b"\r\n\r\n")
                    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0)
                    await reader.readexactly(length)
                    counter += 1
                    n = counter
                    if gate is not None:
                        async with gate:
                            await asyncio.sleep(latency)
                    writer.write(_reply(answer(n)))
                    await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError):
                writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def start(answer: Callable[[int], str], slots: int | None = None, latency: float = 0.0) -> tuple[mp.Process, str]:
    """(the server's process, its base URL): a daemon process, terminated by the caller."""
    port = free_port()
    ready = mp.Event()
    proc = mp.Process(target=serve, args=(port, ready, answer, slots, latency), daemon=True)
    proc.start()
    ready.wait(10)
    return proc, f"http://127.0.0.1:{port}/v1"
