"""``diversity_report``: every diversity metric of one set of texts, as a plain dict.

Lexical metrics (distinct-n, compression ratio, self-BLEU) always run and share
one tokenisation; the embedding metrics run when an embedder is given. The dict
is what ``synthdiv diversity --json`` prints for a file and what the experiment
runner puts in its results table.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from synthdiv.metrics.compression import DEFAULT_COMPRESSION, compression_ratios
from synthdiv.metrics.distinct import MODES, distinct_n
from synthdiv.metrics.self_bleu import DEFAULT_SMOOTHING, self_bleu
from synthdiv.metrics.texts import TextSet
from synthdiv.metrics.tokenize import tokenize


def resolve_mode(mode: str | None, textset: TextSet) -> str:
    """``auto``/None: the paper's choice, group (Eq. 5) for long-context QA with groups, else corpus (Eq. 6)."""
    if mode in (None, "auto"):
        return "group" if textset.task == "long_context_qa" and textset.groups else "corpus"
    return mode


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
) -> dict[str, Any]:
    """Distinct-1..n and their sum, compression ratio, self-BLEU and (with ``embedder``
    or ``encoder``) the embedding diversity metrics of ``texts``.

    ``compression``: ``zstd`` (ours), ``gzip`` (as the ``diversity`` package) or ``both``;
    ``compression_ratio`` is the first of them, and with ``both`` the gzip one is
    ``compression_ratio_gzip`` (details in ``compression_gzip``)."""
    textset = texts if isinstance(texts, TextSet) else TextSet(path="<texts>", texts=list(texts))
    mode = resolve_mode(mode, textset)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    tok = tokenize(textset.texts, tokenizer)
    timings["tokenize"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    result = distinct_n(n=n, mode=mode, groups=textset.groups, token_ids=tok).to_dict()
    timings["distinct"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    comp, *other_comp = compression_ratios(textset.texts, compression)
    timings["compression"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    sb = self_bleu(token_ids=tok, max_n=self_bleu_n, smoothing=self_bleu_smoothing)
    timings["self_bleu"] = time.perf_counter() - t0

    report: dict[str, Any] = {"file": textset.path, "task": textset.task, **result}
    report["compression_ratio"] = comp.compression_ratio
    report["compression"] = comp.to_dict()
    for extra in other_comp:  # only gzip, after zstd, with compression="both"
        report["compression_ratio_gzip"] = extra.compression_ratio
        report["compression_gzip"] = extra.to_dict()
    report["self_bleu"] = sb.self_bleu
    report["self_bleu_detail"] = sb.to_dict()
    report["embedder"] = embedder
    report["embedding"] = None
    if embedder or encoder:
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


__all__ = ["MODES", "diversity_report", "resolve_mode"]
