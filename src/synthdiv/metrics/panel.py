"""``diversity_report``: every diversity metric of one set of texts, as a plain dict.

The metrics are the registry's (metrics.registry): by default the lexical ones (distinct-n,
compression ratio, self-BLEU) run and share one tokenisation, the embedding metrics run when
an embedder is given, and the model-based ones (gradient diversity, fluency) when their model is;
``metrics`` chooses among them (self-BLEU is most of the time on a large file: 10 s of 15.7 s on
4.1M tokens), and the keys of a metric left out are absent. Each metric's
``measure(panel)`` gets a :class:`DiversityInputs`: the texts and the options, and the tokens and
embeddings made once, by the first metric that needs them. The dict is what ``synthdiv diversity
--json`` prints for a file and what the experiment runner puts in its results table.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from synthdiv.errors import UserError
from synthdiv.metrics import registry
from synthdiv.metrics.choices import FLUENCY, GRADIENT
from synthdiv.metrics.compression import DEFAULT_COMPRESSION
from synthdiv.metrics.distinct import MODES
from synthdiv.metrics.self_bleu_score import DEFAULT_SMOOTHING
from synthdiv.metrics.texts import TextSet
from synthdiv.metrics.ngrams.tokenize import tokenize
from synthdiv.tasks import TASKS


@dataclass
class DiversityInputs:
    """What a diversity metric's ``measure`` reads (lm-eval's small interface: one argument)."""

    textset: TextSet
    n: int = 5  # distinct-1..n
    mode: str = "corpus"  # distinct-n counted over: corpus, sample or group
    tokenizer: str = "regex"
    embedder: str | None = None
    encoder: Any = None
    self_bleu_n: int = 4
    compression: str = DEFAULT_COMPRESSION
    self_bleu_smoothing: str = DEFAULT_SMOOTHING
    gradient: Any = None  # metrics.choices.GradientSettings: the proxy model and projection of gradient diversity
    fluency: Any = None  # metrics.choices.FluencySettings: the reference model of fluency
    real: TextSet | None = None  # the real set the model-based metrics compare with (fluency)
    timings: dict[str, float] = field(default_factory=dict)
    _tokens: Any = None
    _vectors: Any = None

    @property
    def texts(self) -> list[str]:
        return self.textset.texts

    @property
    def records(self):
        """The records the model-based metrics read (plain texts: one plain-text record each)."""
        return self.textset.records

    @property
    def tokenised(self) -> bool:
        return self._tokens is not None

    @property
    def tokens(self):
        """The texts as token ids (metrics.ngrams), tokenised once."""
        if self._tokens is None:
            t0 = time.perf_counter()
            self._tokens = tokenize(self.texts, self.tokenizer)
            self.timings["tokenize"] = time.perf_counter() - t0
        return self._tokens

    @property
    def vectors(self):
        """The texts' embeddings (metrics.embed_cache), embedded once."""
        if self._vectors is None:
            from synthdiv.metrics.embed_cache import embed_texts

            t0 = time.perf_counter()
            self._vectors = embed_texts(self.texts, self.embedder or "custom", encoder=self.encoder)
            self.timings["embed"] = time.perf_counter() - t0
        return self._vectors


def resolve_mode(mode: str | None, textset: TextSet) -> str:
    """``auto``/None: the paper's choice, group (Eq. 5) for long-context QA with groups, else corpus (Eq. 6)."""
    if mode in (None, "auto"):
        return "group" if textset.task in TASKS and TASKS[textset.task].grouped and textset.groups else "corpus"
    return mode


def resolve_metrics(metrics: Sequence[str] | None, embedder: bool, models: Sequence[str] = ()) -> tuple[str, ...]:
    """The metrics to compute: None is the registry's defaults (the embedding ones with an embedder), with
    ``models``: the model-based metrics whose model option was given (``gradient`` for ``--proxy``)."""
    known = registry.metrics(registry.DIVERSITY)
    if metrics is None:
        return tuple(m.name for m in known if m.default and (embedder or m.needs != "embeddings")) + tuple(models)
    names = [m.name for m in known]
    chosen = tuple(dict.fromkeys(metrics))
    unknown = [m for m in chosen if m not in names]
    if unknown or not chosen:
        raise UserError(f"unknown metric {', '.join(map(repr, unknown)) or 'list (empty)'}; use some of {', '.join(names)}, "
                        "e.g. --metrics distinct,compression", where="--metrics")
    needing = [m.name for m in known if m.needs == "embeddings"]
    if any(m in needing for m in chosen) and not embedder:
        raise UserError(f"{', '.join(m for m in chosen if m in needing)} needs an embedding model: add --embedder minilm-l6 "
                        "(or another name)", where="--metrics")
    if embedder and not any(m in needing for m in chosen):
        raise UserError(f"--embedder is given but {' or '.join(needing)} is not among the metrics: add {' or '.join(needing)}, "
                        "or drop --embedder", where="--metrics")
    for name in models:
        if name not in chosen:
            option = registry.METRICS[name].option
            raise UserError(f"{option} is given but {name} is not among the metrics: add {name}, or drop {option}", where="--metrics")
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
    gradient=None,
    fluency=None,
    real: TextSet | None = None,
) -> dict[str, Any]:
    """Distinct-1..n and their sum, compression ratio, self-BLEU and (with ``embedder``
    or ``encoder``) the embedding diversity metrics of ``texts``; ``metrics`` (names of the
    registry's diversity metrics) computes only those.

    ``compression``: ``zstd`` (ours), ``gzip`` (as the ``diversity`` package) or ``both``;
    ``compression_ratio`` is the first of them, and with ``both`` the gzip one is
    ``compression_ratio_gzip`` (details in ``compression_gzip``). ``gradient``: the
    :class:`~synthdiv.metrics.choices.GradientSettings` of gradient diversity, ``fluency`` the
    :class:`~synthdiv.metrics.choices.FluencySettings` of fluency (default: theirs); ``real``: the real
    set fluency is compared with."""
    textset = texts if isinstance(texts, TextSet) else TextSet(path="<texts>", texts=list(texts))
    chosen = resolve_metrics(metrics, bool(embedder or encoder))
    panel = DiversityInputs(textset, n=n, mode=resolve_mode(mode, textset), tokenizer=tokenizer, embedder=embedder,
                            encoder=encoder, self_bleu_n=self_bleu_n, compression=compression,
                            self_bleu_smoothing=self_bleu_smoothing, gradient=gradient or GRADIENT, fluency=fluency or FLUENCY, real=real)
    running = {m.name for m in registry.metrics(registry.DIVERSITY) if m.name in chosen}
    report: dict[str, Any] = {"file": textset.path, "task": textset.task}
    if any(registry.METRICS[m].needs == "tokens" for m in running):
        panel.tokens  # noqa: B018 - tokenised once, before the metrics that share it
    if not any(registry.METRICS[m].counts for m in running):  # the set's counts, when no metric states them
        report["samples"] = len(textset.texts)
        if panel.tokenised:
            report |= {"tokens": int(panel.tokens.ids.size), "tokenizer": tokenizer}
    for metric in registry.metrics(registry.DIVERSITY):
        if metric.needs == "embeddings" and "embedding" not in report:
            report |= {"embedder": embedder, "embedding": None}
        if metric.name not in running:
            continue
        if metric.needs == "embeddings":
            panel.vectors  # noqa: B018 - embedded (and timed) apart from the metric
        t0 = time.perf_counter()
        report |= metric.run(panel)
        panel.timings[metric.timing or metric.name] = time.perf_counter() - t0
    report.setdefault("embedder", embedder)
    report.setdefault("embedding", None)
    report["timings_s"] = {k: round(v, 4) for k, v in panel.timings.items()}
    return report


__all__ = ["MODES", "DiversityInputs", "diversity_report", "resolve_metrics", "resolve_mode"]
