"""NarrativeQA as long_context_qa records.

Two layouts are read:

* the official repository layout: ``documents.csv``, ``qaps.csv`` and
  ``third_party/wikipedia/summaries.csv`` (full stories, when downloaded, in
  ``tmp/<document_id>.content``);
* the Hugging Face ``deepmind/narrativeqa`` schema (``document`` with
  ``summary.text`` and ``text``, ``question.text``, ``answers[].text``), from a
  saved dataset folder, a JSONL file of such rows, or the hub id.

The long context is the Wikipedia summary by default (as the paper's sizes
suggest, and because full stories run to tens of thousands of words); with
``context="story"`` the full story is used where it is present and the summary
elsewhere, and each record says which it got in ``meta.context_kind``.
``target`` is the first reference answer; the second is kept in ``meta``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from synthdiv.data.csvutil import read_csv_rows, require_columns, require_value
from synthdiv.data.loaders import json_rows
from synthdiv.errors import UserError
from synthdiv.records import Provenance, Record, content_id, dedupe_ids

CONTEXTS = ("summary", "story")


def load_narrativeqa(path: str | os.PathLike, *, context: str = "summary", sets: tuple[str, ...] | None = None) -> list[Record]:
    """Records from either layout (see the module docstring); ``sets`` keeps only those
    splits of the official ``set`` column (train, valid, test)."""
    if context not in CONTEXTS:
        raise UserError(f"unknown context kind {context!r}; use 'summary' or 'story'")
    text = str(path)
    p = Path(text)
    if p.is_dir() and (p / "qaps.csv").exists():
        records = _load_official(p, context)
    elif p.is_dir() and not (p / "dataset_info.json").exists() and not (p / "dataset_dict.json").exists():
        raise UserError("folder has no qaps.csv (official layout) and is not a saved dataset", where=text)
    else:
        records = _load_hf_schema(text, context)
    if sets:
        records = [r for r in records if r.meta.get("set") in sets]
        if not records:
            raise UserError(f"no QA pairs in sets {', '.join(sets)}", where=text)
    return dedupe_ids(records)


def _load_official(folder: Path, context: str) -> list[Record]:
    summaries_path = folder / "third_party" / "wikipedia" / "summaries.csv"
    header, rows = read_csv_rows(summaries_path)
    require_columns(summaries_path, header, ("document_id", "summary"), "NarrativeQA summaries")
    summaries = {require_value(r, "document_id", f"{summaries_path}:{n}"): require_value(r, "summary", f"{summaries_path}:{n}") for n, r in rows}

    titles: dict[str, dict[str, str]] = {}
    docs_path = folder / "documents.csv"
    if docs_path.exists():
        header, rows = read_csv_rows(docs_path)
        require_columns(docs_path, header, ("document_id",), "NarrativeQA documents")
        titles = {r["document_id"].strip(): {"title": r.get("wiki_title", ""), "kind": r.get("kind", "")} for _, r in rows}

    qaps_path = folder / "qaps.csv"
    header, rows = read_csv_rows(qaps_path)
    require_columns(qaps_path, header, ("document_id", "question", "answer1"), "NarrativeQA QA pairs")
    records = []
    for rowno, row in rows:
        where = f"{qaps_path}:{rowno}"
        doc_id = require_value(row, "document_id", where)
        if doc_id not in summaries:
            raise UserError(f"document {doc_id} has no summary in {summaries_path}; add it or drop its QA pairs", where=where)
        long_context, kind = _context_for(folder, doc_id, summaries[doc_id], context)
        meta = {"answer2": row.get("answer2", "").strip(), "set": row.get("set", "").strip(), "context_kind": kind}
        meta.update({k: v for k, v in titles.get(doc_id, {}).items() if v})
        records.append(
            _qa_record(doc_id, long_context, require_value(row, "question", where), require_value(row, "answer1", where),
                       origin=str(folder), row=rowno, meta=meta)
        )
    if not records:
        raise UserError("qaps.csv has no QA pairs", where=str(qaps_path))
    return records


def _context_for(folder: Path, doc_id: str, summary: str, context: str) -> tuple[str, str]:
    if context == "story":
        story = folder / "tmp" / f"{doc_id}.content"
        if story.exists():
            return story.read_text(encoding="utf-8", errors="replace"), "story"
    return summary, "summary"


def _qa_record(doc_id: str, long_context: str, question: str, answer: str, *, origin: str, row: int, meta: dict[str, Any]) -> Record:
    rid = content_id("long_context_qa", doc_id, question, answer)
    return Record(
        id=rid,
        task="long_context_qa",
        context=long_context,
        question=question,
        target=answer,
        group=doc_id,
        provenance=Provenance(dataset="narrativeqa", origin=origin, row=row),
        meta=meta,
    )


def _load_hf_schema(source: str, context: str) -> list[Record]:
    rows = _hf_rows(source)
    records = []
    for i, row in enumerate(rows, 1):
        where = f"{source}:{i}"
        try:
            doc = row["document"]
            doc_id = str(doc["id"])
            summary = doc["summary"]["text"]
            question = row["question"]["text"]
            answers = [a["text"] for a in row["answers"]]
        except (KeyError, TypeError, IndexError):
            raise UserError(
                "row is not in the deepmind/narrativeqa schema (document.id, document.summary.text, question.text, answers[].text)",
                where=where,
            ) from None
        if not answers or not str(answers[0]).strip():
            raise UserError("row has no answer text", where=where)
        story = doc.get("text") if context == "story" else None
        long_context, kind = (story, "story") if story else (summary, "summary")
        meta = {"answer2": answers[1] if len(answers) > 1 else "", "set": row.get("split", ""), "context_kind": kind}
        title = (doc.get("summary") or {}).get("title")
        if title:
            meta["title"] = title
        records.append(_qa_record(doc_id, long_context, question.strip(), str(answers[0]).strip(), origin=source, row=i, meta=meta))
    if not records:
        raise UserError("no QA pairs found", where=source)
    return records


def _hf_rows(source: str) -> list[dict[str, Any]]:
    """Rows of a JSONL file in the HF schema, a saved dataset folder, or the hub."""
    if source.endswith((".jsonl", ".json")):
        return [row for _, row in json_rows(source)]
    from synthdiv.data.hf import load_hf

    if not Path(source).exists() and "/" not in source.removeprefix("hf:"):
        raise UserError("NarrativeQA input not found; give the official folder, a JSONL file or a hub id", where=source)
    hub = source if Path(source).exists() else source.removeprefix("hf:")
    return list(load_hf(hub, split="validation" if not Path(source).exists() else None))
