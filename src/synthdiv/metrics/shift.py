"""``shift_report``: how far a generated set is from a real one, as a plain dict.

The paper reports a "distribution distance" without saying which (see
docs/metrics.md); we report a panel. The two sets are compared at equal size:
the larger is subsampled (seeded) to the size of the smaller, since most of
these statistics depend on the sample size. The metrics are the registry's
(metrics.registry), each a ``measure(panel)`` reading :class:`ShiftInputs`. Lexical
parts always run; the embedding parts (Fréchet, MMD, PRDC, MAUVE, classifier AUC)
need an embedder.

The report states its sample sizes (``n_real``, ``n_generated``, and
``samples_compared`` per side) and lists in ``warnings`` each statistic whose
value is not stable at that size (thresholds in :data:`MIN_POINTS`, reasons in
docs/uncertainty.md). A metric whose cost grows with the square of the points
(MMD², PRDC, MAUVE: the registry's ``max_samples``) runs on at most that many
points per side, a subsample drawn with numpy seed ``seed + 7``; the report
states each one's points (``mmd_samples``, ``prdc_samples``, ``mauve_samples``)
and the draw's seed (``subsample_seed``). An MMD permutation p-value at its floor 1/(B+1) is flagged
(``mmd_p_at_floor``) and displayed as "≤ 1/(B+1)" (``mmd2_p_value_text``): no
permutation was as extreme, so the p-value is only bounded, not measured.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from synthdiv.errors import UserError
from synthdiv.metrics import registry
from synthdiv.metrics.choices import DEFAULT_MAUVE_SETTING
from synthdiv.metrics.shift_embedding import p_value_floor_text  # noqa: F401 - the panel's readers import it from here
from synthdiv.metrics.texts import TEXT_FIELD, TextSet


def min_points() -> dict[str, int]:
    """Points per side below which a metric's numbers move too much with the sample to be read alone
    (the registry's ``min_samples``), the strictest first."""
    found = [(m.name, m.min_samples) for m in registry.metrics(registry.SHIFT) if m.min_samples]
    return dict(sorted(found, key=lambda item: (-item[1], item[0])))


MIN_POINTS = min_points()  # mauve, prdc: k-means buckets and k-NN radii swing below 200; classifier AUC below 50
# The capped metrics' subsample is drawn with numpy seed ``seed + SUBSAMPLE_SEED_OFFSET``, apart from the
# equal-size draw's (``seed``); 7 is what MMD²'s subsample has always used, so its numbers stay as they were.
SUBSAMPLE_SEED_OFFSET = 7


def max_points(overrides: Mapping[str, int] | None = None) -> dict[str, int]:
    """Points per side each capped shift metric runs on at most: the registry's ``max_samples``, with
    ``overrides`` (metric name -> cap) over them."""
    caps = {m.name: m.max_samples for m in registry.metrics(registry.SHIFT) if m.max_samples}
    for name, cap in (overrides or {}).items():
        if name not in caps:
            raise ValueError(f"no capped shift metric {name!r}; the capped ones are {', '.join(caps)}")
        if isinstance(cap, bool) or not isinstance(cap, int) or cap < 2:
            raise ValueError(f"the cap of {name} must be a whole number of at least 2 (got {cap!r})")
        caps[name] = cap
    return caps


def equal_size_indices(n_real: int, n_gen: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Indices into each set so both have min(n_real, n_gen) items; the larger is
    subsampled without replacement with ``seed`` and kept in its original order."""
    n = min(n_real, n_gen)
    rng = np.random.default_rng(seed)

    def pick(size: int) -> np.ndarray:
        return np.arange(size) if size == n else np.sort(rng.choice(size, n, replace=False))

    return pick(n_real), pick(n_gen)


def _as_textset(x: TextSet | Sequence[str], name: str) -> TextSet:
    if isinstance(x, TextSet):
        return x
    texts = list(x)
    return TextSet(path=name, texts=texts, fields={TEXT_FIELD: texts})


@dataclass
class ShiftInputs:
    """What a shift metric's ``measure`` reads: both sets at equal size (``ri``, ``gi``), the options,
    and the embeddings (``x`` real, ``y`` generated), made once by the first metric that needs them."""

    real: TextSet
    generated: TextSet
    ri: np.ndarray
    gi: np.ndarray
    tokenizer: str = "regex"
    seed: int = 0
    bootstrap: int = 200
    embedder: str | None = None
    encoder: Any = None
    mmd_permutations: int = 200
    mauve_seeds: Sequence[int] = (0, 1, 2)
    mauve_setting: str = DEFAULT_MAUVE_SETTING
    timings: dict[str, float] = field(default_factory=dict)
    _xy: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def fields(self) -> list[str]:
        """The record fields both sets have (their lengths are compared)."""
        return [f for f in self.real.fields if f in self.generated.fields]

    def field_texts(self, name: str) -> tuple[list[str], list[str]]:
        return [self.real.fields[name][i] for i in self.ri], [self.generated.fields[name][i] for i in self.gi]

    @property
    def real_texts(self) -> list[str]:
        return [self.real.texts[i] for i in self.ri]

    @property
    def gen_texts(self) -> list[str]:
        return [self.generated.texts[i] for i in self.gi]

    @property
    def embedded(self) -> bool:
        return bool(self.embedder or self.encoder)

    def _embeddings(self) -> tuple[np.ndarray, np.ndarray]:
        if self._xy is None:
            from synthdiv.metrics.embed_cache import embed_texts

            t0 = time.perf_counter()
            name = self.embedder or "custom"
            self._xy = (embed_texts(self.real_texts, name, encoder=self.encoder).astype(np.float64),
                        embed_texts(self.gen_texts, name, encoder=self.encoder).astype(np.float64))
            self.timings["embed"] = time.perf_counter() - t0
        return self._xy

    @property
    def subsample_seed(self) -> int:
        return self.seed + SUBSAMPLE_SEED_OFFSET

    def capped(self, points: int) -> ShiftInputs:
        """The panel on at most ``points`` per side: each side's subsample drawn without replacement (real, then
        generated, from one generator seeded ``subsample_seed``), kept in order; the panel itself when it is smaller."""
        n = int(self.ri.size)
        if n <= points:
            return self
        rng = np.random.default_rng(self.subsample_seed)
        xi = np.sort(rng.choice(n, points, replace=False))
        yi = np.sort(rng.choice(n, points, replace=False))
        x, y = self._embeddings()
        return replace(self, ri=self.ri[xi], gi=self.gi[yi], _xy=(x[xi], y[yi]))

    @property
    def x(self) -> np.ndarray:
        return self._embeddings()[0]

    @property
    def y(self) -> np.ndarray:
        return self._embeddings()[1]


def shift_report(
    real: TextSet | Sequence[str],
    generated: TextSet | Sequence[str],
    embedder: str | None = None,
    *,
    encoder=None,
    tokenizer: str = "regex",
    seed: int = 0,
    mmd_permutations: int = 200,
    mauve_seeds: Sequence[int] = (0, 1, 2),
    bootstrap: int = 200,
    mauve_setting: str = DEFAULT_MAUVE_SETTING,
    max_samples: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """The shift panel between ``real`` and ``generated`` (texts or loaded files): every registered shift
    metric, the embedding ones (under ``embedding``) only with an embedder or encoder. ``max_samples``
    (metric name -> points per side) overrides the registry's caps of the capped metrics (:func:`max_points`)."""
    caps = max_points(max_samples)
    real, gen = _as_textset(real, "<real>"), _as_textset(generated, "<generated>")
    if real.task and gen.task and real.task != gen.task:
        raise UserError(
            f"REAL is {real.task} but GENERATED is {gen.task}; compare sets of the same task",
            where=f"{real.path} vs {gen.path}",
        )
    if len(real) < 2 or len(gen) < 2:
        raise UserError("each set needs at least two texts to compare distributions", where=f"{real.path} vs {gen.path}")
    ri, gi = equal_size_indices(len(real), len(gen), seed)
    panel = ShiftInputs(real, gen, ri, gi, tokenizer=tokenizer, seed=seed, bootstrap=bootstrap, embedder=embedder,
                        encoder=encoder, mmd_permutations=mmd_permutations,
                        mauve_seeds=mauve_seeds, mauve_setting=mauve_setting)
    report: dict[str, Any] = {
        "real": {"file": real.path, "samples": len(real)},
        "generated": {"file": gen.path, "samples": len(gen)},
        "samples_compared": int(ri.size),
        "n_real": len(real),
        "n_generated": len(gen),
        "seed": seed,
        "tokenizer": tokenizer,
    }
    for metric in registry.metrics(registry.SHIFT):
        target = report
        if metric.needs == "embeddings":
            if "embedding" not in report:
                report |= {"embedder": embedder, "embedding": _embedding_header(panel)}
            if report["embedding"] is None:
                continue
            target = report["embedding"]
        t0 = time.perf_counter()
        if metric.name in caps:
            points = min(caps[metric.name], int(ri.size))
            target |= metric.run(panel.capped(points)) | {f"{metric.name}_samples": points}
        else:
            target |= metric.run(panel)
        panel.timings[metric.timing or metric.name] = time.perf_counter() - t0
    report.setdefault("embedder", embedder)
    report.setdefault("embedding", None)
    report["warnings"] = sample_size_warnings(int(ri.size), report["embedding"])
    report["timings_s"] = {k: round(v, 4) for k, v in panel.timings.items()}
    return report


def subsampled(points: Mapping[str, Any], compared: int) -> dict[str, int]:
    """The capped metrics that ran on fewer points than were compared: name -> points per side. ``points``
    maps each capped metric's name to its ``{name}_samples`` (absent or None: not run)."""
    out = {}
    for name in max_points():
        n = points.get(name)
        if isinstance(n, (int, float)) and not isinstance(n, bool) and int(n) < compared:
            out[name] = int(n)
    return out


def subsample_text(points: Mapping[str, int], compared: int, seed: Any) -> str:
    """One sentence, e.g. ``MAUVE on 5000 and PRDC on 10000 of the 30000 records per side: seeded subsamples
    (numpy seed 7), since their cost grows with the square of the points``."""
    named = [f"{name.upper()} on {n}" for name, n in points.items()]
    listed = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
    return (f"{listed} of the {compared} records per side: seeded subsamples (numpy seed {seed}), since their cost "
            "grows with the square of the points")


def _embedding_header(panel: ShiftInputs) -> dict[str, Any] | None:
    if not panel.embedded:
        return None
    return {"dimensions": int(panel.x.shape[1]), "subsample_seed": panel.subsample_seed}


def sample_size_warnings(points: int, embedding: dict[str, Any] | None) -> list[str]:
    """One line per statistic of the panel that ``points`` per side cannot pin down."""
    if embedding is None:
        return []
    notes = []
    for key, minimum in min_points().items():
        if points < minimum:
            notes.append(f"{key} on {points} points per side is unstable (needs at least {minimum}); read it with care")
    dims = embedding["dimensions"]
    if points <= dims:
        notes.append(
            f"frechet_distance on {points} points in {dims} dimensions: the covariances are singular "
            f"(rank at most {points - 1}), so the value mostly reflects the sample size; use more than {dims} points"
        )
    return notes


# ----- reading the panel: what each number's direction means, and the one test it has ----------
# Only the MMD² permutation test compares the sets with a null (equal distributions); the other
# statistics are distances or scores without a null reference here, so the verdict rests on it.
VERDICT_LEVEL = 0.95  # the level of the panel's bootstrap intervals (ks_ci95, wasserstein_ci95)
DIRECTIONS = {s.name: s.reading for s in registry.stats(registry.SHIFT) if s.reading}  # what each number's direction means
NO_TEST = ("no verdict without an embedder: the lexical distances have no null reference here "
           "(add --embedder minilm-l6 for the MMD² permutation test)")


def shift_verdict(report: dict[str, Any], level: float = VERDICT_LEVEL) -> str:
    """One line: does the MMD² permutation test reject equal distributions at ``1 - level``?"""
    embedding = report.get("embedding") or {}
    p = embedding.get("mmd2_p_value")
    if p is None:
        return NO_TEST
    alpha = round(1 - level, 12)  # 1 - 0.95 is 0.050000000000000044 in floats
    shown = embedding.get("mmd2_p_value_text") or f"{p:.4f}"
    n = embedding.get("mmd_samples", report["samples_compared"])
    if p < alpha:
        return f"shifted: the MMD² permutation test rejects equal distributions (p {_p_words(shown)} < {alpha:g}, {n} per side)"
    return f"no shift resolved at {n} per side: the MMD² permutation test does not reject equal distributions (p {_p_words(shown)} ≥ {alpha:g})"


def _p_words(text: str) -> str:
    return text if text.startswith("≤") else f"= {text}"
