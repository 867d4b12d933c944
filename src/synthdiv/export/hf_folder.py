"""A Hugging Face dataset folder: ``data/<config>/train-0000K-of-0000N.parquet`` shards and a
README.md dataset card. ``datasets.load_dataset(FOLDER)`` loads it, and ``load_dataset(FOLDER, "D3")``
one config, offline; the same folder is what ``--push-to-hub`` uploads.

Each row is a record in the columns of synthdiv's own Parquet files (nested ``provenance`` and
``meta`` as JSON strings, so ``synthdiv`` commands read the shards back as records), plus
``level`` and the TRL ``prompt`` / ``completion`` text from :mod:`synthdiv.tasks`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from synthdiv.errors import UserError
from synthdiv.export.settings import ExportSettings
from synthdiv.export.sources import ExportInput
from synthdiv.records import Record
from synthdiv.tasks import prompt_text, target_text

CARD = "README.md"


def row_of(record: Record, columns: tuple[str, ...] | None = None) -> dict[str, Any]:
    """``record`` as a row; ``columns``: the record columns of its whole config (a ``messages`` column for
    every row once one record is a conversation, so the shards share one schema)."""
    from synthdiv.data.records_io import _flat, columns_of  # the record-file column layout, defined once there

    flat = _flat(record, columns or columns_of([record]))
    row = {"id": record.id, "task": record.task, "source": record.source, "level": record.provenance.level,
           "prompt": prompt_text(record), "completion": target_text(record)}
    row.update({k: v for k, v in flat.items() if k not in row})
    return row


def shard_paths(config: str, rows: int, shard_rows: int) -> list[str]:
    """Paths (relative to the folder) of a config's shards, in the Hub's naming."""
    count = max(1, -(-rows // shard_rows))
    return [f"data/{config}/train-{i:05d}-of-{count:05d}.parquet" for i in range(count)]


def write_shards(folder: Path, config: str, records: list[Record], shard_rows: int) -> list[str]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - depends on the install
        raise UserError("--format hf needs pyarrow: pip install 'synthdiv[data]'") from None
    # one table for the config, cut into shards: every shard has the same schema (a column that is
    # null in one shard and a string in another would not load as one split)
    from synthdiv.data.records_io import columns_of

    columns = columns_of(records)
    table = pa.Table.from_pylist([row_of(r, columns) for r in records])
    paths = shard_paths(config, len(records), shard_rows)
    for i, rel in enumerate(paths):
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table.slice(i * shard_rows, shard_rows), folder / rel)
    return paths


def sample_row(record: Record, max_chars: int) -> dict[str, Any]:
    """A row for the card: long strings cut so the card stays readable, the JSON columns decoded."""
    from synthdiv.data.records_io import NESTED

    def cut(v: Any) -> Any:
        return v[:max_chars] + "…" if isinstance(v, str) and len(v) > max_chars else v

    return {k: (json.loads(v) if k in NESTED else cut(v)) for k, v in row_of(record).items()}


def write_hf_folder(inp: ExportInput, folder: Path, settings: ExportSettings, repo_id: str | None = None) -> dict[str, list[str]]:
    """Write every config's shards and the card into ``folder`` (a staged, empty folder)."""
    from synthdiv.export.card import render_card
    from synthdiv.fileio import atomic_write

    shards = {s.config: write_shards(folder, s.config, s.records, settings.shard_rows) for s in inp.sets}
    sample = sample_row(inp.sets[0].records[0], settings.sample_chars)
    with atomic_write(folder / CARD) as fh:
        fh.write(render_card(inp, shards, sample, settings, repo_id))
    return shards
