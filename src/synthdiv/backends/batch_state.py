"""What the batch backend has paid for, kept on disk so a killed run resumes instead of paying again.

One JSON file per submitted batch (``<batch_id>.json``): the batch id, its input file id, the
custom ids it holds (a custom id is the response-cache key of its request), which submission of
those requests it is, and whether its results are in. The file is written, atomically, right after
the batch is created and before the first poll: a run killed at any later moment finds it and polls
that batch again instead of submitting its requests a second time.

When a batch ends its output and error lines are saved (``<batch_id>.results.jsonl``) before any
answer is handed to the caller, so a kill between the download and the response cache loses
nothing either. A batch whose every custom id has been handed over is forgotten (its files removed):
from then on its answers live in the response cache.

Nothing secret is written here: the key travels in a request header only.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from synthdiv.errors import UserError
from synthdiv.fileio import atomic_write

# OpenAI's terminal batch states; a batch in any other state is still being worked on
TERMINAL = ("completed", "failed", "expired", "cancelled")


@dataclass
class BatchEntry:
    batch_id: str
    input_file_id: str
    custom_ids: list[str]
    submission: int = 1  # 1: first submission of these requests, 2: first resubmission …
    finished: bool = False  # the batch ended and its results file is saved
    status: str = "validating"
    delivered: list[str] = field(default_factory=list)  # custom ids already handed to the caller


class BatchStore:
    """The batch files in one folder (beside the response cache)."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def entries(self) -> list[BatchEntry]:
        if not self.folder.is_dir():
            return []
        out = []
        for path in sorted(self.folder.glob("*.json")):
            try:
                out.append(BatchEntry(**json.loads(path.read_text(encoding="utf-8"))))
            except (json.JSONDecodeError, UnicodeDecodeError, TypeError) as exc:
                raise UserError(f"a batch state file is unreadable ({type(exc).__name__}); delete it to submit its requests "
                                "again (they are then paid again)", where=str(path)) from None
        return out

    def save(self, entry: BatchEntry) -> None:
        with atomic_write(self.folder / f"{entry.batch_id}.json") as fh:
            json.dump(asdict(entry), fh)

    def save_results(self, entry: BatchEntry, lines: list[dict[str, Any]]) -> None:
        """The batch's output and error lines, then the entry marked finished (in that order:
        a finished entry always has its results on disk)."""
        with atomic_write(self.results_path(entry)) as fh:
            for line in lines:
                fh.write(json.dumps(line, ensure_ascii=False) + "\n")
        entry.finished = True
        self.save(entry)

    def results(self, entry: BatchEntry) -> dict[str, dict[str, Any]]:
        """The saved result lines of a finished batch by custom id (a success wins over an error line)."""
        out: dict[str, dict[str, Any]] = {}
        if not self.results_path(entry).exists():  # deleted by hand: its requests count as unanswered
            return out
        with open(self.results_path(entry), encoding="utf-8") as fh:
            for raw in fh:
                line = json.loads(raw)
                cid = line.get("custom_id")
                if cid is not None and (cid not in out or line_status(line) == 200):
                    out[cid] = line
        return out

    def mark_delivered(self, entry: BatchEntry, custom_ids: set[str]) -> None:
        """Record what was handed over; forget the batch once all of it was."""
        entry.delivered = sorted(set(entry.delivered) | (custom_ids & set(entry.custom_ids)))
        if entry.finished and len(entry.delivered) == len(set(entry.custom_ids)):
            self.forget(entry)
        else:
            self.save(entry)

    def forget(self, entry: BatchEntry) -> None:
        for path in (self.results_path(entry), self.folder / f"{entry.batch_id}.json"):
            path.unlink(missing_ok=True)

    def results_path(self, entry: BatchEntry) -> Path:
        return self.folder / f"{entry.batch_id}.results.jsonl"


def line_status(line: dict[str, Any]) -> int | None:
    """The HTTP status of one result line (None when the request never got an answer)."""
    response = line.get("response")
    return response.get("status_code") if isinstance(response, dict) else None
