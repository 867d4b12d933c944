"""Several OpenAI-compatible servers behind one backend (replicas of one model: vLLM, llama.cpp, TGI).

Each server takes up to ``concurrency`` requests at a time; a request goes to the server with the
fewest in flight, so a faster replica, which frees its slots sooner, gets more of the work. A server
that drops a connection or refuses one is set aside for a while (doubling with each failure in a
row, up to ``backoff_max``), and the request that failed is retried at once on another server, within
the same retry budget; when the set-aside time is over the server is tried again, so a restarted
replica rejoins the run. With every server set aside, requests go to them anyway and the usual
backoff paces the retries. Which server answers changes nothing that is cached or written: the
response cache key holds the model, never a URL (:meth:`Backend.cache_identity`).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from synthdiv.errors import UserError


def server_urls(base_url: str | list[str] | tuple[str, ...] | None, default: str) -> list[str]:
    """The servers' URLs, without trailing slashes, each once, in the order given."""
    given = [base_url] if isinstance(base_url, str) else list(base_url or [])
    urls: list[str] = []
    for url in given or [default]:
        if not isinstance(url, str) or not url.strip():
            raise UserError(f"a server URL must be text such as http://localhost:8000/v1 (got {url!r})", where="--base-url")
        url = url.strip().rstrip("/")
        if url in urls:
            raise UserError(f"{url} is given twice; list each server once", where="--base-url")
        urls.append(url)
    return urls


def as_base_url(values: list[str] | tuple[str, ...] | None) -> str | list[str] | None:
    """A repeatable --base-url as a setting: None, one URL, or the list of several."""
    values = list(values or [])
    return None if not values else values[0] if len(values) == 1 else values


@dataclass
class Server:
    """One server: its connection pools and what it did this call."""

    url: str
    index: int
    clients: list[Any]  # httpx.AsyncClient shards (several small pools: see openai_compat)
    shard_load: list[int] = field(default_factory=list)
    in_flight: int = 0
    answered: int = 0
    failed: int = 0  # failed attempts (the request was then retried, here or elsewhere, or given up)
    strikes: int = 0  # connection failures in a row
    away_until: float = 0.0  # monotonic time until which no new request is sent here

    def away(self, now: float) -> bool:
        return now < self.away_until


class ServerPool:
    """Routes each attempt of a request to a server: the least busy one that is not set aside."""

    def __init__(self, urls: list[str], per_server: int, make_clients: Callable[[str], list[Any]], backoff_base: float,
                 backoff_max: float, remembered: dict[str, tuple[int, float]] | None = None):
        self.servers = [Server(url, i, clients := make_clients(url), [0] * len(clients)) for i, url in enumerate(urls)]
        for server in self.servers:  # a server set aside in the backend's last call stays aside in this one
            server.strikes, server.away_until = (remembered or {}).get(server.url, (0, 0.0))
        self.per_server = per_server
        self.backoff_base, self.backoff_max = backoff_base, backoff_max
        self._changed = asyncio.Condition()

    async def acquire(self, avoid: Server | None = None) -> tuple[Server, int]:
        """A server with a free slot and the index of its least busy connection pool: among the servers
        not set aside, the least busy; for a retry, not the one that just failed while another is there."""
        async with self._changed:
            while True:
                now = time.monotonic()
                present = [s for s in self.servers if not s.away(now)] or self.servers  # all away: try them anyway
                # a retry waits for another server rather than go back to the one that just failed
                others = [s for s in present if s is not avoid] or present
                free = [s for s in others if s.in_flight < self.per_server]
                if free:
                    server = min(free, key=lambda s: (s.in_flight, s.index))
                    shard = server.shard_load.index(min(server.shard_load))
                    server.in_flight += 1
                    server.shard_load[shard] += 1
                    return server, shard
                # every present server is full: wait for a slot, or for a set-aside server's time to end
                back = [s.away_until - now for s in self.servers if s.away(now)]
                try:
                    await asyncio.wait_for(self._changed.wait(), timeout=max(0.01, min(back)) if back else None)
                except asyncio.TimeoutError:
                    pass

    async def release(self, server: Server, shard: int) -> None:
        async with self._changed:
            server.in_flight -= 1
            server.shard_load[shard] -= 1
            # one waiter per freed slot: any waiter may take any free slot, and waking all of thousands
            # of queued requests on every answer costs more than the answers (quadratic in the queue)
            self._changed.notify(1)

    def succeeded(self, server: Server) -> None:
        server.answered += 1
        server.strikes = 0
        server.away_until = 0.0

    def failed(self, server: Server, unreachable: bool) -> None:
        """Count a failed attempt; a server that dropped or refused the connection is set aside."""
        server.failed += 1
        if unreachable:
            server.strikes += 1
            pause = min(self.backoff_max, self.backoff_base * 2 ** (server.strikes - 1))
            server.away_until = time.monotonic() + pause

    def another_is_present(self, server: Server) -> bool:
        """Whether a retry can go to another server now (then it need not wait out the backoff)."""
        now = time.monotonic()
        return any(s is not server and not s.away(now) for s in self.servers)

    def health(self) -> dict[str, tuple[int, float]]:
        """What the next call starts from: each server's failures in a row and set-aside time."""
        return {s.url: (s.strikes, s.away_until) for s in self.servers}

    def counts(self) -> dict[str, dict[str, int]]:
        return {s.url: {"answered": s.answered, "failed": s.failed} for s in self.servers}

    async def aclose(self) -> None:
        for server in self.servers:
            for client in server.clients:
                await client.aclose()


def add_counts(total: dict[str, dict[str, int]], more: dict[str, dict[str, int]]) -> None:
    """Add one call's per-server counts to the backend's running totals."""
    for url, counts in more.items():
        into = total.setdefault(url, {"answered": 0, "failed": 0})
        for key, value in counts.items():
            into[key] = into.get(key, 0) + value


def describe_counts(counts: dict[str, dict[str, int]]) -> str:
    """'http://a/v1 answered 61 (2 failed attempts), http://b/v1 answered 59': the summary's servers line."""
    parts = []
    for url, c in counts.items():
        failed = f" ({c['failed']} failed attempt{'s' if c['failed'] != 1 else ''})" if c.get("failed") else ""
        parts.append(f"{url} answered {c.get('answered', 0)}{failed}")
    return ", ".join(parts)
