"""The ``measure`` stage: the diversity panel of a set and its shift from the real training set (synthdiv.metrics)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthdiv.experiments.kinds import StageKind, data_file, write_json
from synthdiv.experiments.params import WHEN_SET, StageParams
from synthdiv.metrics.choices import GRADIENT

if TYPE_CHECKING:
    from synthdiv.experiments.context import RunContext
    from synthdiv.experiments.graph import Node


@dataclass(frozen=True, eq=False)
class MeasureParams(StageParams):
    n: int
    tokenizer: str
    embedder: str | None
    shift: bool
    seed: int
    proxy: str | None = field(default=None, metadata=WHEN_SET)  # gradient diversity under this model (None: not measured)
    gradient_params: str = field(default=GRADIENT.params, metadata=WHEN_SET)
    gradient_dim: int = field(default=GRADIENT.dim, metadata=WHEN_SET)
    reference: str | None = field(default=None, metadata=WHEN_SET)  # fluency under this model (None: not measured)

    @classmethod
    def of(cls, metrics, seed: int, shift: bool | None = None) -> MeasureParams:
        """From the spec's ``metrics`` section (its fields are this class's, checked here)."""
        values = metrics.model_dump()
        return cls(**{**values, "shift": values["shift"] if shift is None else shift, "seed": seed})


def run_measure(node: Node, folder: Path, deps: dict[str, Path], ctx: RunContext) -> dict[str, Any]:
    from synthdiv.metrics.choices import FluencySettings, GradientSettings
    from synthdiv.metrics.panel import diversity_report, resolve_metrics
    from synthdiv.metrics.shift import shift_report
    from synthdiv.metrics.texts import load_texts

    p = node.params
    data = node.deps["data"]
    texts = load_texts(str(data_file(data, deps["data"])))
    real_file = deps["reference"] / "train.jsonl" if "reference" in deps else None  # the real training set
    # one LoRA initialisation and one projection (GRADIENT.seed) for every set, whatever the sweep's seed:
    # gradient diversities of two sets are comparable only in one space
    gradient = GradientSettings(proxy=p.proxy or GRADIENT.proxy, params=p.gradient_params, dim=p.gradient_dim)
    models = [name for name, given in (("gradient", p.proxy), ("fluency", p.reference)) if given]
    chosen = resolve_metrics(None, p.embedder is not None, models)
    real = load_texts(str(real_file)) if real_file is not None else None
    result: dict[str, Any] = {"diversity": diversity_report(
        texts, n=p.n, tokenizer=p.tokenizer, embedder=p.embedder, metrics=chosen, gradient=gradient,
        fluency=FluencySettings(reference=p.reference) if p.reference else None, real=real if p.reference else None)}
    if p.shift and real is not None:
        result["shift"] = shift_report(real, texts, embedder=p.embedder, tokenizer=p.tokenizer, seed=p.seed)
    write_json(folder / "metrics.json", result)
    return {"samples": len(texts), "ngram_diversity_score": result["diversity"].get("ngram_diversity_score")}


KIND = StageKind("measure", MeasureParams, run_measure, history=(
    (1, "the first keyed version"),
))  # proxy, gradient_params, gradient_dim, reference: keyed only when set, so the stages measured before them keep their keys
