"""A durable response cache: SQLite in WAL mode, one row per (prompt, sample index).

Answers are committed in small batches: an answer is committed at once when the
last commit is ``COMMIT_SECONDS`` old (a backend that answers a few prompts a second
commits every answer), otherwise with the next one that is, at ``COMMIT_ROWS``
waiting answers, before any read, and when the backend's call returns. A run killed
at any moment (kill -9 included) therefore loses at most the answers of the last
``COMMIT_SECONDS``: the rerun finds every other answer here and sends no request for
it. One commit per answer cost the dummy backend about 0.25 ms a record, more than
its answer. The key is a sha256 of the backend, the model, the
exact messages, the sampling parameters and the sample index; an API key never
enters it (backends do not expose their key in ``cache_identity``). Runs that
build the same prompt share the answer.

WAL with ``synchronous=NORMAL``: a committed transaction survives a killed
process (the WAL is in the OS page cache); only a power loss may drop the last
few commits, which then costs a repeated request, never a corrupt file.

SQLite's failures name no file: :meth:`ResponseCache._guard` turns a full disk or a
read-only database into an ``OSError`` naming the database (one ``error:`` line in the
CLI, docs/errors.md) and a corrupt database into a :class:`UserError` saying what to do.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from synthdiv.sqlite_files import sqlite_failures

COMMIT_SECONDS = 0.01  # an answer waits at most this long after the last commit (see the module's note)
COMMIT_ROWS = 256

SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    backend TEXT NOT NULL,
    model TEXT NOT NULL,
    text TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    created REAL NOT NULL
)
"""


def canonical_json(value: Any) -> str:
    """The one JSON form hashed for prompts and cache keys (same as records.prompt_hash)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


class KeyMaker:
    """Cache keys for one backend identity and one set of parameters.

    A key is the sha256 of the canonical JSON of {id, messages, params, sample}:
    everything that decides an answer. The JSON is assembled from parts (keys in
    sorted order, the same string ``json.dumps(..., sort_keys=True)`` gives) so the
    fixed parts are serialised once and the messages are serialised once for both
    the prompt hash and the key."""

    def __init__(self, identity: dict[str, Any], params: dict[str, Any]):
        self._head = f'{{"id":{canonical_json(identity)},"messages":'
        self._mid = f',"params":{canonical_json(params)},"sample":'

    def key(self, messages_json: str, sample: int) -> str:
        blob = f"{self._head}{messages_json}{self._mid}{int(sample)}}}"
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def cache_key(identity: dict[str, Any], messages: list[dict[str, str]], params: dict[str, Any], sample: int) -> str:
    """The cache key of one (messages, sample) under ``identity`` and ``params``."""
    return KeyMaker(identity, params).key(canonical_json(messages), sample)


class ResponseCache:
    """Get and put answers by key. Safe to share between threads of one process and
    between processes (SQLite locking); writes are committed in batches (the module's note)."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / "responses.sqlite"
        self._lock = threading.Lock()
        self._pending: list[tuple] = []  # answers put and not yet committed
        self._committed = float("-inf")  # time.monotonic() of the last commit
        with self._guard():
            self._db = sqlite3.connect(self.path, timeout=60, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(SCHEMA)

    def _guard(self):
        """SQLite errors as the failures they are, naming the database file (synthdiv.sqlite_files)."""
        return sqlite_failures(self.path, what="the response cache database",
                               fix="delete it (its answers are then requested again), or pass --cache-dir FOLDER or --set cache=false")

    def get(self, key: str) -> tuple[str, int, int] | None:
        """(text, prompt_tokens, completion_tokens) or None."""
        with self._lock, self._guard():
            self._commit()
            row = self._db.execute(
                "SELECT text, prompt_tokens, completion_tokens FROM responses WHERE key = ?", (key,)
            ).fetchone()
        return None if row is None else (row[0], row[1], row[2])

    def get_many(self, keys: list[str]) -> dict[str, tuple[str, int, int]]:
        """All cached answers among ``keys`` (one query per 500 keys)."""
        found: dict[str, tuple[str, int, int]] = {}
        with self._lock, self._guard():
            self._commit()
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT key, text, prompt_tokens, completion_tokens FROM responses WHERE key IN ({marks})", chunk
                )
                for key, text, pt, ct in rows:
                    found[key] = (text, pt, ct)
        return found

    def put(self, key: str, backend: str, model: str, text: str, prompt_tokens: int, completion_tokens: int) -> None:
        """Store one answer: committed now when the last commit is ``COMMIT_SECONDS`` old, else with the next batch."""
        with self._lock, self._guard():
            self._pending.append((key, backend, model, text, int(prompt_tokens), int(completion_tokens), time.time()))
            if len(self._pending) >= COMMIT_ROWS or time.monotonic() - self._committed >= COMMIT_SECONDS:
                self._commit()

    def flush(self) -> None:
        """Commit the answers put so far (the engine calls it when a backend call returns)."""
        with self._lock, self._guard():
            self._commit()

    def _commit(self) -> None:
        """One transaction of the waiting answers (the caller holds the lock and the guard). A failed
        commit drops them: they were never stored, and a rerun asks for them again."""
        rows, self._pending = self._pending, []
        if not rows:
            return
        self._db.execute("BEGIN")
        try:
            self._db.executemany("INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                try:
                    self._db.execute("ROLLBACK")
                except sqlite3.Error:
                    pass  # the first failure is the one to report
            raise
        self._committed = time.monotonic()

    def __len__(self) -> int:
        with self._lock, self._guard():
            self._commit()
            return self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    def close(self) -> None:
        """Commit what waits, then close (closed even when that commit fails)."""
        with self._lock:
            try:
                with self._guard():
                    self._commit()
            finally:
                self._db.close()


class NullCache:
    """The cache turned off (``--set cache=false``): nothing is found, nothing kept."""

    path = None

    def get(self, key: str):
        return None

    def get_many(self, keys: list[str]) -> dict:
        return {}

    def put(self, *args, **kwargs) -> None:
        pass

    def flush(self) -> None:
        pass

    def __len__(self) -> int:
        return 0

    def close(self) -> None:
        pass
