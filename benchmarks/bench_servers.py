"""Several generation servers: requests/s against two servers vs one, at the same per-server concurrency.

Each fake server runs in its own process and behaves like a replica with ``--slots`` decoding
slots (llama.cpp's ``--parallel``, a vLLM batch): at most that many requests are served at once,
each takes ``--latency`` seconds, the rest wait in its queue. The backend sends ``--slots``
requests at a time to each server (``concurrency`` is per server), so one server gives at most
slots / latency requests/s and two servers twice that; the ratio shows how close the routing
comes to it. Runs alternate one server / two servers, ``--repeat`` times each.

Run: .venv/bin/python benchmarks/bench_servers.py [--requests 2000] [--slots 8] [--latency 0.05] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import socket
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def _serve(port: int, ready, slots: int, latency: float) -> None:
    """A keep-alive HTTP/1.1 server answering chat completions after ``latency`` s, ``slots`` at a time."""

    async def main() -> None:
        gate = asyncio.Semaphore(slots)
        body = json.dumps({"choices": [{"index": 0, "message": {"role": "assistant", "content": "Once upon a time."}}],
                           "usage": {"prompt_tokens": 20, "completion_tokens": 5}}).encode()
        reply = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while True:
                    head = await reader.readuntil(b"\r\n\r\n")
                    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0)
                    await reader.readexactly(length)
                    async with gate:
                        await asyncio.sleep(latency)
                    writer.write(reply)
                    await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError):
                writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rate(urls: list[str], n: int, slots: int) -> tuple[float, dict]:
    """Requests/s of one ``generate`` call of ``n`` requests, and the per-server counts."""
    from synthdiv.backends import ChatRequest, SamplingParams, get_backend

    backend = get_backend("openai", model="bench", base_url=urls if len(urls) > 1 else urls[0], concurrency=slots, timeout=60)
    requests = [ChatRequest([{"role": "user", "content": f"Tell story {i}."}], first_sample=i) for i in range(n)]
    start = time.perf_counter()
    comps = backend.generate(requests, SamplingParams(seed=0, max_tokens=16))
    seconds = time.perf_counter() - start
    assert all(c.ok for c in comps), [c.error for c in comps if not c.ok][:3]
    return n / seconds, backend.stats.servers


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--slots", type=int, default=8, help="requests each server serves at once (= the backend's concurrency)")
    ap.add_argument("--latency", type=float, default=0.05, help="seconds each request takes on a server")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    ports = [_free_port(), _free_port()]
    procs = []
    for port in ports:
        ready = mp.Event()
        proc = mp.Process(target=_serve, args=(port, ready, args.slots, args.latency), daemon=True)
        proc.start()
        ready.wait(10)
        procs.append(proc)
    urls = [f"http://127.0.0.1:{port}/v1" for port in ports]
    one, two = [], []
    try:
        rate(urls, 2 * args.slots, args.slots)  # warm-up: imports, first connections
        for rep in range(args.repeat):
            one.append(rate(urls[:1], args.requests, args.slots)[0])
            r, counts = rate(urls, args.requests, args.slots)
            two.append(r)
            print(f"rep {rep}: one server {one[-1]:.0f} requests/s, two servers {two[-1]:.0f} requests/s "
                  f"({two[-1] / one[-1]:.2f}x); answered per server: {[c['answered'] for c in counts.values()]}", flush=True)
    finally:
        for proc in procs:
            proc.terminate()
    ceiling = args.slots / args.latency
    print(f"requests={args.requests} slots={args.slots} latency={args.latency}s: ceiling {ceiling:.0f} requests/s per server")
    print(f"one server: median {statistics.median(one):.0f} requests/s ({statistics.median(one) / ceiling:.0%} of its ceiling)")
    print(f"two servers: median {statistics.median(two):.0f} requests/s; ratio of medians {statistics.median(two) / statistics.median(one):.2f}x, "
          f"per repetition {', '.join(f'{t / o:.2f}x' for o, t in zip(one, two))}")


if __name__ == "__main__":
    main()
