"""``diversity_report``: every diversity metric of one set of texts, as a plain dict.

By default the lexical metrics (distinct-n, compression ratio, self-BLEU) run and
share one tokenisation, and the embedding metrics run when an embedder is given;
``metrics`` chooses among them (self-BLEU is most of the time on a large file: 10 s
of 15.7 s on 4.1M tokens), and the keys of a metric left out are absent. The dict
is what ``synthdiv diversity --json`` prints for a file and what the experiment
runner puts in its results table.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from synthdiv.errors import UserError
from synthdiv.metrics.choices import DIVERSITY_METRICS, LEXICAL_METRICS
from synthdiv.metrics.compression import DEFAULT_COMPRESSION, compression_ratios
from synthdiv.metrics.distinct import MODES, distinct_n
from synthdiv.metrics.self_bleu_score import DEFAULT_SMOOTHING, self_bleu
from synthdiv.metrics.texts import TextSet
from synthdiv.metrics.ngrams.tokenize import tokenize
from synthdiv.tasks import TASKS


def resolve_mode(mode: str | None, textset: TextSet) -> str:
    """``auto``/None: the paper's choice, group (Eq. 5) for long-context QA with groups, else corpus (Eq. 6)."""
    if mode in (None, "auto"):
        return "group" if textset.task in TASKS and TASKS[textset.task].grouped and textset.groups else "corpus"
    return mode


def resolve_metrics(metrics: Sequence[str] | None, embedder: bool) -> tuple[str, ...]:
    """The metrics to compute: None is the lexical ones (and embedding with an embedder)."""
    if metrics is None:
        return LEXICAL_METRICS + (("embedding",) if embedder else ())
    chosen = tuple(dict.fromkeys(metrics))
    unknown = [m for m in chosen if m not in DIVERSITY_METRICS]
    if unknown or not chosen:
        raise UserError(f"unknown metric {', '.join(map(repr, unknown)) or 'list (empty)'}; use some of {', '.join(DIVERSITY_METRICS)}, "
                        "e.g. --metrics distinct,compression", where="--metrics")
    if "embedding" in chosen and not embedder:
        raise UserError("embedding needs an embedding model: add --embedder minilm-l6 (or another name)", where="--metrics")
    if embedder and "embedding" not in chosen:
        raise UserError("--embedder is given but embedding is not among the metrics: add embedding, or drop --embedder", where="--metrics")
    return chosen


def diversity_report(
    texts: TextSet | Sequence[str],
    n: int = 5,
    mode: str | None = "auto",
    tokenizer: str = "regex",
    embedder: str | None = None,
    encoder=None,
    self_bleu_n: int = 4,
    compression: str = DEFAULT_COMPRESSION,
    self_bleu_smoothing: str = DEFAULT_SMOOTHING,
    metrics: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Distinct-1..n and their sum, compression ratio, self-BLEU and (with ``embedder``
    or ``encoder``) the embedding diversity metrics of ``texts``; ``metrics`` (names of
    :data:`~synthdiv.metrics.choices.DIVERSITY_METRICS`) computes only those.

    ``compression``: ``zstd`` (ours), ``gzip`` (as the ``diversity`` package) or ``both``;
    ``compression_ratio`` is the first of them, and with ``both`` the gzip one is
    ``compression_ratio_gzip`` (details in ``compression_gzip``)."""
    textset = texts if isinstance(texts, TextSet) else TextSet(path="<texts>", texts=list(texts))
    chosen = resolve_metrics(metrics, bool(embedder or encoder))
    mode = resolve_mode(mode, textset)
    timings: dict[str, float] = {}
    report: dict[str, Any] = {"file": textset.path, "task": textset.task}
    if "distinct" in chosen or "self-bleu" in chosen:
        t0 = time.perf_counter()
        tok = tokenize(textset.texts, tokenizer)
        timings["tokenize"] = time.perf_counter() - t0

    if "distinct" in chosen:  # its result also carries samples, tokens, tokenizer and mode
        t0 = time.perf_counter()
        report |= distinct_n(n=n, mode=mode, groups=textset.groups, token_ids=tok).to_dict()
        timings["distinct"] = time.perf_counter() - t0
    else:
        report["samples"] = len(textset.texts)
        if "self-bleu" in chosen:
            report |= {"tokens": int(tok.ids.size), "tokenizer": tokenizer}

    if "compression" in chosen:
        t0 = time.perf_counter()
        comp, *other_comp = compression_ratios(textset.texts, compression)
        timings["compression"] = time.perf_counter() - t0
        report["compression_ratio"] = comp.compression_ratio
        report["compression"] = comp.to_dict()
        for extra in other_comp:  # only gzip, after zstd, with compression="both"
            report["compression_ratio_gzip"] = extra.compression_ratio
            report["compression_gzip"] = extra.to_dict()

    if "self-bleu" in chosen:
        t0 = time.perf_counter()
        sb = self_bleu(token_ids=tok, max_n=self_bleu_n, smoothing=self_bleu_smoothing)
        timings["self_bleu"] = time.perf_counter() - t0
        report["self_bleu"] = sb.self_bleu
        report["self_bleu_detail"] = sb.to_dict()
    report["embedder"] = embedder
    report["embedding"] = None
    if "embedding" in chosen:
        from synthdiv.metrics.embed_cache import embed_texts
        from synthdiv.metrics.embedding import embedding_diversity

        t0 = time.perf_counter()
        vectors = embed_texts(textset.texts, embedder or "custom", encoder=encoder)
        timings["embed"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        report["embedding"] = embedding_diversity(vectors)
        timings["embedding_metrics"] = time.perf_counter() - t0
    report["timings_s"] = {k: round(v, 4) for k, v in timings.items()}
    return report


__all__ = ["MODES", "diversity_report", "resolve_metrics", "resolve_mode"]
