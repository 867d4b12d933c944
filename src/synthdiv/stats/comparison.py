"""Is B's test loss really different from A's? The paired bootstrap of B − A over the test records both were
scored on (docs/uncertainty.md): what ``synthdiv compare`` prints and ``synthdiv.compare`` returns. numpy only."""

from __future__ import annotations

from typing import Any

from synthdiv.stats.bootstrap_settings import DEFAULTS, check_settings
from synthdiv.stats.uncertainty import HIGHER, LOWER, UNRESOLVED  # noqa: F401 (the verdicts, re-exported)


def compare_files(a: str, b: str, *, resamples: int = DEFAULTS.resamples, seed: int = DEFAULTS.seed, level: float = DEFAULTS.level) -> dict:
    """The paired difference of two per-record loss files, as the JSON ``compare`` prints."""
    from synthdiv.evaluation.per_record import read_loss_rows

    check_settings(resamples, level, seed)  # before reading: a bad option fails at once
    return compare_rows(read_loss_rows(a), read_loss_rows(b), a, b, resamples=resamples, seed=seed, level=level)


def compare_rows(a_rows: list[dict], b_rows: list[dict], a: str = "A", b: str = "B", *, resamples: int = DEFAULTS.resamples,
                 seed: int = DEFAULTS.seed, level: float = DEFAULTS.level) -> dict:
    """The paired difference of two models' per-record rows (id, nll, tokens), paired by id."""
    from synthdiv.evaluation.per_record import align_per_record
    from synthdiv.stats.uncertainty import paired_difference, paired_verdict

    check_settings(resamples, level, seed)
    aligned = align_per_record(a_rows, b_rows, a, b)
    d = paired_difference(aligned.a_nll, aligned.a_tokens, aligned.b_nll, aligned.b_tokens, resamples=resamples, seed=seed, level=level)
    return {
        "a": a, "b": b,
        "delta": d.delta, "ci_low": d.ci_low, "ci_high": d.ci_high, "level": d.level,
        "p_value": d.p_value, "p_at_floor": d.p_at_floor,
        "pairs": d.pairs, "resamples": d.resamples, "seed": d.seed,
        "a_loss": d.a_loss, "b_loss": d.b_loss,
        "tokens": int(aligned.a_tokens.sum()), "a_tokens": int(aligned.a_tokens.sum()), "b_tokens": int(aligned.b_tokens.sum()),
        "verdict": paired_verdict(d),
    }  # fmt: skip


def rows_of(side: Any, name: str) -> list[dict]:
    """Per-record rows of one side: a loss file (path) or anything with ``per_sample`` rows (an evaluation)."""
    import os

    from synthdiv.errors import UserError
    from synthdiv.evaluation.per_record import read_loss_rows

    if isinstance(side, (str, os.PathLike)):
        return read_loss_rows(side)
    rows = getattr(side, "per_sample", None)
    if not rows:
        raise UserError(f"{name} has no per-record losses; give an evaluation result or a file from 'synthdiv evaluate --per-sample'")
    return [{"id": r["id"], "nll": r["nll"], "tokens": r["tokens"]} for r in rows]


def format_p(p_value: float, resamples: int, at_floor: bool) -> str:
    return f"p ≤ 1/{resamples + 1} (no resample as extreme)" if at_floor else f"p = {p_value:.4f}"
