"""The short Python API: one call per stage, each on the same code as its command, each returning a typed
result with ``.to_dict()``. Data goes in as a path (any form ``synthdiv.read`` reads) or as records; the
metrics also take a list of texts. Nothing heavy is imported until a call needs it.

    import synthdiv

    real = synthdiv.read("my_sft.jsonl")                       # list[Record], whatever the shape
    synthdiv.diversity(real).ngram_diversity_score
    gen = synthdiv.generate(n=100, level="D3", strategy="instruct", real=real, topics="builtin",
                            backend="openai", base_url="http://localhost:8000/v1", model="my-model")
    synthdiv.shift(real, gen).verdict
    train_set = synthdiv.mix(real, gen, ratio=0.5).records
    run = synthdiv.train(train_set, model="smollm2-135m-instruct", out="runs/half")
    a, b = synthdiv.evaluate("smollm2-135m-instruct", "test.jsonl"), synthdiv.evaluate("runs/half", "test.jsonl")
    synthdiv.compare(a, b).verdict
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthdiv.errors import UserError
from synthdiv.records import Record

if TYPE_CHECKING:
    from synthdiv.evaluation.heldout_loss import EvalResult
    from synthdiv.metrics.texts import TextSet
    from synthdiv.mixing.mix import MixResult
    from synthdiv.selection.api import SelectionReport
    from synthdiv.training.recipe import TrainResult

Data = "str | os.PathLike | Sequence[Record]"


# ----- reading ------------------------------------------------------------------
def read(path: str | os.PathLike, *, task: str | None = None, format: str | None = None, columns: dict[str, str] | None = None,
         split: str | None = None, subset: str | None = None, source: str = "real") -> list[Record]:
    """Records of a data file or dataset in any form synthdiv reads (records, text, prompt/completion, chat
    messages, ShareGPT, Alpaca, Story Cloze, ROCStories, NarrativeQA; JSONL, CSV, Parquet, .txt, Hugging Face
    folder or hub id). ``columns``: field -> your column name (``{"text": "content"}``); ``source``: what rows
    without a ``source`` column are (``real`` or ``generated``)."""
    from synthdiv.data.inputs import read_input

    return read_input(path, task=task, fmt=format, columns=columns, split=split, config=subset, source=source)


def _records(data: Any, what: str, **reading: Any) -> list[Record]:
    if isinstance(data, (str, os.PathLike)):
        return read(data, **reading)
    records = list(data)
    if not records or not all(isinstance(r, Record) for r in records):
        raise UserError(f"{what} must be a path or a non-empty list of records")
    return records


def _texts(data: Any, what: str, fields: Sequence[str] | None) -> TextSet:
    """The measured texts of a path, a list of records or a list of strings."""
    from synthdiv.metrics.texts import TextSet, load_texts, text_set

    chosen = tuple(fields) if fields else None
    if isinstance(data, (str, os.PathLike)):
        return load_texts(data, chosen)
    items = list(data)
    if items and all(isinstance(t, str) for t in items):
        return TextSet(path=f"<{what}>", texts=items, fields={"text": items})
    return text_set(_records(items, what), f"<{what}>", chosen)


# ----- measuring ----------------------------------------------------------------
@dataclass(frozen=True)
class Diversity:
    """Every diversity value of one set (``values``, as ``synthdiv diversity --json`` prints it), and with
    ``match_size`` the n-gram diversity score on random subsets of that size with its interval (``matched``)."""

    values: dict[str, Any]
    matched: dict[str, Any] | None = None

    @property
    def ngram_diversity_score(self) -> float:
        """Distinct-1 + … + distinct-n (the paper's Eq. 6 summed over n)."""
        return self.values["ngram_diversity_score"]

    @property
    def distinct(self) -> dict[str, float]:
        return self.values["distinct"]

    @property
    def samples(self) -> int:
        return self.values["samples"]

    def to_dict(self) -> dict[str, Any]:
        return {**self.values, **({"matched": self.matched} if self.matched else {})}


def diversity(data: Any, *, fields: Sequence[str] | None = None, n: int = 5, metrics: Sequence[str] | None = None,
              embedder: str | None = None, tokenizer: str = "regex", mode: str = "auto", match_size: int | None = None,
              draws: int = 200, seed: int = 0) -> Diversity:
    """Diversity of ``data``: distinct-1..n and their sum, compression ratio, self-BLEU (``metrics``: some of
    distinct, compression, self-bleu, embedding; embedding needs ``embedder``). ``fields``: what is measured
    (``["completion"]``, ``["prompt"]`` …; default the task's whole example). Distinct-n falls as a set
    grows, so compare sets of different sizes with ``match_size``: the mean and 95 % interval over ``draws``
    random subsets of that many records."""
    from synthdiv.metrics.panel import diversity_report

    texts = _texts(data, "data", fields)
    values = diversity_report(texts, n=n, mode=mode, tokenizer=tokenizer, embedder=embedder, metrics=metrics)
    matched = None
    if match_size is not None:
        from synthdiv.metrics.matched import matched_diversity

        (matched,) = matched_diversity([texts], match_size, draws=draws, seed=seed, n=n, tokenizer=tokenizer,
                                       mode="sample" if mode == "sample" else "corpus")
    return Diversity(values, matched)


@dataclass(frozen=True)
class Shift:
    """The shift panel between a real and a generated set (``synthdiv shift --json``) and its one-line verdict."""

    report: dict[str, Any]
    verdict: str

    def to_dict(self) -> dict[str, Any]:
        return {**self.report, "verdict": self.verdict}


def shift(real: Any, generated: Any, *, fields: Sequence[str] | None = None, embedder: str | None = None,
          tokenizer: str = "regex", seed: int = 0) -> Shift:
    """How far ``generated`` lies from ``real``, compared at equal size: lengths and n-gram Jensen–Shannon, and
    with ``embedder`` (``minilm-l6``) Fréchet distance, MMD² with a permutation test, precision/recall/density/
    coverage, MAUVE and a classifier two-sample test."""
    from synthdiv.metrics.shift import shift_report, shift_verdict

    report = shift_report(_texts(real, "real", fields), _texts(generated, "generated", fields), embedder=embedder,
                          tokenizer=tokenizer, seed=seed)
    return Shift(report, shift_verdict(report))


# ----- generating ---------------------------------------------------------------
class Generated(list):
    """The generated records (a ``list[Record]``), with the run's ``summary`` (requests, cache hits, rejects,
    tokens, cost) and the files it wrote."""

    def __init__(self, records: list[Record], summary: dict[str, Any]):
        super().__init__(records)
        self.summary = summary

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary, "records": [r.to_dict() for r in self]}


def generate(*, n: int, level: str = "D3", strategy: str | None = None, task: str | None = None, real: Any = None,
             out: str | os.PathLike | None = None, topics: str | None = None, backend: str | None = None,
             model: str | None = None, base_url: str | None = None, seed: int = 0, level_options: dict[str, Any] | None = None,
             allow_partial: bool = False, **settings: Any) -> Generated:
    """``n`` records at diversity ``level`` (D0 … D6) with ``strategy`` (``topic`` stories, ``instruct``
    instruction pairs, ``paraphrase`` QA; default: the task's), its prompts showing examples from ``real`` (a path or records;
    default the embedded corpus for stories, the shipped instruction pairs for ``instruct``). The same run as
    ``synthdiv generate``: every answer goes through the response cache first, so a rerun (after a crash, or
    with a larger ``n``) pays only for what is missing; ``out`` keeps the records and the rejects file
    (default: a temporary folder, removed after reading). ``topics``: a file, ``"builtin"`` (the paper's
    A.4 list) or None to grow a pool with the model. ``settings``: any other generation setting of
    ``synthdiv generate`` (temperature, top_p, max_tokens, max_attempts, overdraw, price_in, price_out,
    max_cost, api_key_env, concurrency, timeout, batch_size, device, cache_dir, constrain …)."""
    import tempfile

    from synthdiv.generation.config import generation_config
    from synthdiv.generation.runner import check_complete, run_generation, summary_dict

    real_records = None if real is None or isinstance(real, (str, os.PathLike)) else _records(real, "real")
    with tempfile.TemporaryDirectory(prefix="synthdiv-generate-") as tmp:
        target = Path(out) if out is not None else Path(tmp) / "generated.jsonl"
        cfg = generation_config(n=n, level=level, strategy=strategy, task=task, out=target,
                                real=None if real is None or real_records is not None else Path(real), real_records=real_records,
                                topics=topics, backend=backend, model=model, base_url=base_url, seed=seed,
                                level_options=level_options, progress=settings.pop("progress", False), **settings)
        summary = run_generation(cfg)
        check_complete(summary, allow_partial)
        records = read(target)
    result = summary_dict(summary)
    if out is None:
        result.update(out=None, rejects_file=None)
    return Generated(records, result)


# ----- mixing and selecting -------------------------------------------------------
def mix(real: Any, generated: Any, *, ratio: float, mode: str = "fixed", size: int | None = None, seed: int = 0) -> MixResult:
    """Real and generated records at mixing ratio |gen| / (|gen| + |real|) (paper Eq. 7): ``fixed`` keeps the
    total at ``size`` (default: the real set's), ``variable`` keeps ``size`` real records and adds generated ones.
    Generated rows without a ``source`` column count as generated."""
    from synthdiv.data.records_io import check_unique_ids
    from synthdiv.mixing import mix as mix_records

    real_records = _records(real, "real")
    gen = read(generated, source="generated") if isinstance(generated, (str, os.PathLike)) else _records(generated, "generated")
    check_unique_ids(real_records + gen, "real and generated")
    return mix_records(real_records, gen, ratio, mode=mode, size=size, seed=seed)


def select(pool: Any, n: int, *, strategy: str = "random", real: Any = None, fields: Sequence[str] | None = None,
           seed: int = 0, weight: float | None = None, embedder: str | None = None) -> SelectionReport:
    """``n`` records of a generated ``pool``: ``random``, ``dedup``, ``diverse``, ``matched`` (least shift to
    ``real``) or ``matched-diverse`` (``weight`` between them); each keeps its provenance."""
    from synthdiv.selection.api import select_records
    from synthdiv.selection.settings import SelectionSettings

    knobs = {k: v for k, v in {"weight": weight, "embedder": embedder}.items() if v is not None}
    return select_records(_records(pool, "pool"), n, strategy, real=None if real is None else _records(real, "real"),
                          settings=SelectionSettings(seed=seed, **knobs), fields=tuple(fields) if fields else None)


# ----- training and evaluating -----------------------------------------------------
def train(data: Any, *, model: str, out: str | os.PathLike, resume: bool = True, **config: Any) -> TrainResult:
    """Fine-tune ``model`` (registry name, hub id or folder) with LoRA on ``data`` into ``out``, as ``synthdiv
    train`` does; ``config``: any :class:`synthdiv.training.TrainConfig` field (epochs, lr, lora_r, batch_size,
    max_length, precision …). A rerun resumes from the last checkpoint in ``out``."""
    from synthdiv.training.config import TrainConfig
    from synthdiv.training.recipe import train as run_training

    config.setdefault("progress", False)
    return run_training(_records(data, "data"), TrainConfig(model=model, **config), out, resume=resume)


@dataclass(frozen=True)
class Evaluation:
    """A model's test loss on a test set, with its 95 % interval over the test records (``result``: every
    field of ``synthdiv evaluate --json``, ``per_sample``: the per-record losses ``compare`` pairs)."""

    model: str
    result: EvalResult
    ci_low: float | None
    ci_high: float | None
    base_test_loss: float | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def test_loss(self) -> float:
        return self.result.test_loss

    @property
    def per_sample(self) -> list[dict]:
        return self.result.per_sample

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, **self.info, **self.result.to_dict(), "ci_low": self.ci_low, "ci_high": self.ci_high,
                **({"base_test_loss": self.base_test_loss} if self.base_test_loss is not None else {})}


def evaluate(model: str, test: Any, *, batch_size: int = 8, max_length: int | None = None, base: bool = True) -> Evaluation:
    """Test loss of ``model`` (an adapter folder from ``train``, a registry name, hub id or model folder) on the
    target tokens of ``test``: summed NLL / target tokens, independent of the batch size. For an adapter,
    ``base`` also scores its base model on the same records."""
    from synthdiv.evaluation.heldout_loss import evaluate_model
    from synthdiv.stats.uncertainty import loss_interval

    result, base_loss, info = evaluate_model(model, _records(test, "test"), batch_size=batch_size, max_length=max_length, base=base)
    rows = result.per_sample
    ci = loss_interval([r["nll"] for r in rows], [r["tokens"] for r in rows]) if len(rows) >= 2 else None
    return Evaluation(model, result, ci and ci.ci_low, ci and ci.ci_high, base_loss, info)


@dataclass(frozen=True)
class Comparison:
    """B − A test loss on the records both were scored on, with its paired bootstrap interval and p-value."""

    values: dict[str, Any]

    @property
    def delta(self) -> float:
        return self.values["delta"]

    @property
    def verdict(self) -> str:
        return self.values["verdict"]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.values)


def compare(a: Any, b: Any, *, resamples: int | None = None, seed: int | None = None, confidence: float | None = None) -> Comparison:
    """Is B's test loss really different from A's? ``a`` and ``b``: :class:`Evaluation` results, or per-record
    loss files (``synthdiv evaluate --per-sample``, an ``eval.json``)."""
    from synthdiv.stats.comparison import compare_rows, rows_of

    options = {k: v for k, v in {"resamples": resamples, "seed": seed, "level": confidence}.items() if v is not None}
    return Comparison(compare_rows(rows_of(a, "A"), rows_of(b, "B"), **options))
