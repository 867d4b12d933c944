"""Per-record test losses: read them from a file and line two models' rows up by id.

Two layouts hold them, both written by synthdiv:

* the JSONL of ``synthdiv evaluate --per-sample FILE``: one row per test record,
  ``{"id", "loss", "nll", "tokens", "chars", "truncated_tokens"}``;
* an ``eval.json`` of the experiment runner's evaluate stage (or of ``train --test``
  with per-sample rows): one JSON object whose ``per_sample`` list holds those rows.

Only ``id``, ``nll`` (summed NLL of the record's target tokens, nats) and ``tokens``
(their number) are needed: the test loss is sum(nll) / sum(tokens).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass

import numpy as np

from synthdiv.errors import UserError

PER_SAMPLE_KEY = "per_sample"  # the list of rows in an eval.json
REQUIRED_KEYS = ("id", "nll", "tokens")


@dataclass(frozen=True)
class AlignedLosses:
    """Two models' per-record losses on the same records, in A's order."""

    ids: list[str]
    a_nll: np.ndarray
    a_tokens: np.ndarray
    b_nll: np.ndarray
    b_tokens: np.ndarray


def read_loss_rows(path: str | os.PathLike) -> list[dict]:
    """The per-record rows of a ``--per-sample`` JSONL or an ``eval.json``, each checked:
    an id, a finite nll and a positive whole number of tokens."""
    from synthdiv.fileio import read_lines

    lines = list(read_lines(path))
    whole = _as_eval_json(lines, path)
    if whole is not None:
        rows = [(f"{path}: per_sample[{i}]", row) for i, row in enumerate(whole)]
    else:
        rows = [(f"{path}:{lineno}", _parse_line(line, path, lineno)) for lineno, line in lines if line.strip()]
    if not rows:
        raise UserError("no per-record rows; write them with 'synthdiv evaluate --per-sample FILE'", where=str(path))
    return [_checked(row, where) for where, row in rows]


def _as_eval_json(lines: list[tuple[int, str]], path) -> list | None:
    """The ``per_sample`` list when the file is one JSON object that has it, else None."""
    text = "\n".join(line for _, line in lines)
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        return None  # several JSON lines (JSONL), or not JSON at all: the line reader says which
    if isinstance(whole, dict) and PER_SAMPLE_KEY in whole:
        if not isinstance(whole[PER_SAMPLE_KEY], list):
            raise UserError(f"'{PER_SAMPLE_KEY}' must be a list of per-record rows", where=str(path))
        return whole[PER_SAMPLE_KEY]
    if isinstance(whole, dict) and "test_loss" in whole:
        raise UserError(
            f"this eval.json has no '{PER_SAMPLE_KEY}' rows; rerun 'synthdiv evaluate --per-sample FILE' and compare those files",
            where=str(path),
        )
    return None


def _parse_line(line: str, path, lineno: int):
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise UserError(
            f"not JSON ({exc.msg} at column {exc.colno}); expected the JSONL of 'synthdiv evaluate --per-sample' or an eval.json",
            where=f"{path}:{lineno}",
        ) from None


def _checked(row, where: str) -> dict:
    if not isinstance(row, dict):
        raise UserError("a per-record row must be a JSON object with id, nll and tokens", where=where)
    missing = [k for k in REQUIRED_KEYS if k not in row]
    if missing:
        raise UserError(f"row has no {', '.join(repr(k) for k in missing)}; per-record rows need id, nll and tokens", where=where)
    nll, tokens = row["nll"], row["tokens"]
    if isinstance(nll, bool) or not isinstance(nll, (int, float)) or not math.isfinite(nll) or nll < 0:
        raise UserError(f"'nll' must be a finite number, 0 or more: the summed negative log-likelihood of the record's "
                        f"target tokens (got {nll!r})", where=where)
    if isinstance(tokens, bool) or not isinstance(tokens, int) or tokens < 1:
        raise UserError(f"'tokens' must be a positive whole number (got {tokens!r})", where=where)
    return {"id": str(row["id"]), "nll": float(nll), "tokens": tokens}


def align_per_record(a_rows: list[dict], b_rows: list[dict], where_a: str, where_b: str) -> AlignedLosses:
    """Pair A's and B's rows by id. Both sides must hold exactly the same ids, each once:
    a paired comparison on different test records would not be paired at all."""
    a_by_id = _by_id(a_rows, where_a)
    b_by_id = _by_id(b_rows, where_b)
    for rid in a_by_id:
        if rid not in b_by_id:
            raise UserError(f"record id {rid!r} of {where_a} is missing from this file; compare losses on the same test set", where=where_b)
    for rid in b_by_id:
        if rid not in a_by_id:
            raise UserError(f"record id {rid!r} of {where_b} is missing from this file; compare losses on the same test set", where=where_a)
    ids = list(a_by_id)
    a = [a_by_id[i] for i in ids]
    b = [b_by_id[i] for i in ids]
    return AlignedLosses(
        ids=ids,
        a_nll=np.array([r["nll"] for r in a], dtype=np.float64),
        a_tokens=np.array([r["tokens"] for r in a], dtype=np.float64),
        b_nll=np.array([r["nll"] for r in b], dtype=np.float64),
        b_tokens=np.array([r["tokens"] for r in b], dtype=np.float64),
    )


def _by_id(rows: list[dict], where: str) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for row in rows:
        rid = str(row["id"])
        if rid in out:
            raise UserError(f"record id {rid!r} appears twice; each test record must have one loss row", where=where)
        out[rid] = row
    return out
