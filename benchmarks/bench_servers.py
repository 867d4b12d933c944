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
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _chat_server import start  # noqa: E402 - after the path setup


def once_upon(n: int) -> str:
    return "Once upon a time."


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
    servers = [start(once_upon, slots=args.slots, latency=args.latency) for _ in range(2)]
    procs, urls = [p for p, _ in servers], [u for _, u in servers]
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
