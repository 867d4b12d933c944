"""The qualities the paper holds fixed while diversity varies: fluency, self-repetition and length.

The paper (§4) keeps generated data's fluency and distribution "consistent with the real-world data";
this checks that premise. Per record:

* ``loss``: fluency, the mean loss (nats per token) of the record's target tokens under a reference
  causal LM, given its prompt: synthdiv's evaluation (:func:`synthdiv.evaluation.heldout_loss.evaluate`),
  so the tokens and mask are training's. Lower is more fluent to that model;
* ``repetition``: self-repetition, seq-rep-4 (:func:`synthdiv.metrics.repetition.seq_rep`, as the
  ladder reports it): the share of the record's word 4-grams that repeat an earlier 4-gram of the same
  record (records of fewer than four words have none and are left out of the mean);
* ``words``: length in words (lower-cased words, punctuation dropped), of the measured text.

Per set: each mean with its percentile bootstrap interval over records. Against a real set (``--real``
on the command line, the real training set in a sweep): mean(generated) - mean(real) and the two-sided
permutation p-value of each (:mod:`synthdiv.stats.two_sample`); the verdict "differs from real on
fluency" when the loss's p-value is below 0.05. The per-record losses are cached under
``$SYNTHDIV_CACHE/fluency/`` (per reference model and record text), so the real set, compared with
every generated set of a sweep, is scored once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from synthdiv.metrics.choices import FLUENCY, FluencySettings

if TYPE_CHECKING:
    from synthdiv.records import Record

KEY_VERSION = 1
VALUES = ("loss", "repetition", "words")
DIFFERS, SAME = "differs from real on fluency", "no fluency difference from real found"


def record_key(record: Record, settings: FluencySettings) -> str:
    from synthdiv.tasks import target_text

    what = "\0".join(map(str, (KEY_VERSION, settings.reference, settings.max_length, record.task, record.context,
                               record.question or "", record.messages or "", target_text(record))))
    return hashlib.sha256(what.encode("utf-8")).hexdigest()


def record_losses(records: Sequence[Record], settings: FluencySettings = FLUENCY, *, model=None, tokenizer=None) -> np.ndarray:
    """Per record, the mean loss of its target tokens under ``settings.reference`` (or ``model``), float64,
    read from the cache where it is there; the model is loaded only when some record is missing."""
    from synthdiv.metrics.vector_cache import cache_file, cached_vectors

    records = list(records)

    def compute(positions: list[int]) -> np.ndarray:
        from synthdiv.evaluation.heldout_loss import evaluate

        scorer, tok = (model, tokenizer) if model is not None else _load(settings.reference)
        rows = evaluate(scorer, tok, [records[i] for i in positions], batch_size=settings.batch_size,
                        max_length=settings.max_length).per_sample
        return np.array([[row["loss"]] for row in rows])

    if not records:
        return np.zeros(0)
    keys = [record_key(r, settings) for r in records]
    return cached_vectors(cache_file("fluency", settings.reference), keys, compute, what="the fluency cache")[:, 0].astype(np.float64)


def _load(name: str):
    from synthdiv.models.registry import load_causal_lm

    return load_causal_lm(name)


def text_values(texts: Sequence[str]) -> dict[str, list[float]]:
    """Self-repetition (of the records with a 4-gram) and length in words of each text."""
    from synthdiv.metrics.repetition import seq_rep
    from synthdiv.metrics.seed_copy import words

    repetition = [v for v in map(seq_rep, texts) if v is not None]
    return {"repetition": repetition, "words": [float(len(words(t))) for t in texts]}


def per_record(records: Sequence[Record], texts: Sequence[str], settings: FluencySettings = FLUENCY, **model) -> dict[str, list[float]]:
    """The three per-record values (module docstring) of one set."""
    return {"loss": [float(v) for v in record_losses(records, settings, **model)], **text_values(texts)}


def summarise(values: dict[str, list[float]], *, seed: int = 0) -> dict[str, Any]:
    """Each value's mean and its 95 % bootstrap interval over records: ``loss``, ``loss_ci_low`` …"""
    from synthdiv.metrics.ladder import mean_interval

    out: dict[str, Any] = {}
    for name in VALUES:
        out[name], out[f"{name}_ci_low"], out[f"{name}_ci_high"] = mean_interval(values[name], seed=seed)
    return out


def compare_with_real(real: dict[str, list[float]], generated: dict[str, list[float]], *, seed: int = 0) -> dict[str, Any]:
    """Per value, mean(generated) - mean(real) and its permutation p-value; the verdict from the loss."""
    from synthdiv.stats.two_sample import permutation_test

    out: dict[str, Any] = {}
    for name in VALUES:
        if real[name] and generated[name]:
            test = permutation_test(real[name], generated[name], seed=seed)
            out[f"{name}_difference"], out[f"{name}_p_value"] = test.difference, test.p_value
            if name == "loss":
                out["permutations"], out["differs"] = test.permutations, test.differs
    out["verdict"] = DIFFERS if out.get("differs") else SAME
    return out


def measure(panel) -> dict[str, Any]:
    """The registry's ``fluency``: the set's means with intervals, and its comparison with ``panel.real``."""
    settings = panel.fluency
    values = per_record(panel.records, panel.texts, settings)
    result = {"reference": settings.reference, "records": len(panel.records), **summarise(values)}
    if panel.real is not None:
        real = per_record(panel.real.records, panel.real.texts, settings)
        result["real"] = summarise(real)
        result["vs_real"] = compare_with_real(real, values)
    return {"fluency": result}
