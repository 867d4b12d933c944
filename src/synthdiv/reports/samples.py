"""Sample texts: two records of each generated level beside a real training record.

Numbers say how far apart the levels are; a few texts show what that looks like.
Records are drawn from the files datasets.csv names (the same sets as Figs. 3–4) with
the run's first seed, so a rerun shows the same texts; the measured text is shown (story:
context + completion; QA: question + answer), cut at :data:`MAX_CHARS`.
"""

from __future__ import annotations

import numpy as np

from synthdiv.errors import UserError
from synthdiv.reports.generations import TextTable
from synthdiv.reports.plotting import SkipFigure
from synthdiv.reports.rundir import RunData
from synthdiv.reports.selection import measured_sets

SAMPLES = ("Sample texts", "Two texts of each level beside a real one")
PER_LEVEL = 2
MAX_CHARS = 600  # a five-sentence story fits whole; a long answer is cut with an ellipsis


def clip(text: str, limit: int = MAX_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def draw(texts: list[str], k: int, rng: np.random.Generator) -> list[str]:
    """``k`` distinct texts in file order (all of them when there are fewer)."""
    if len(texts) <= k:
        return list(texts)
    return [texts[i] for i in np.sort(rng.choice(len(texts), k, replace=False))]


def samples_table(run: RunData) -> TextTable:
    from synthdiv.metrics.texts import load_texts

    sets = measured_sets(run.datasets) if run.datasets is not None else []
    real = next((s for s in sets if s["role"] == "real"), None)
    levels = [s for s in sets if s["role"] == "generated"]
    if real is None or not levels:
        raise SkipFigure("datasets.csv needs a real row and a generated row with a record file (path)")
    seed = int((run.spec.get("seeds") or [0])[0])
    rng = np.random.default_rng(seed)
    try:
        real_texts = draw(load_texts(real["path"]).texts, len(levels), rng)
    except UserError as exc:
        raise SkipFigure(f"the real record file cannot be read: {exc}") from None
    rows, notes = [], []
    for i, s in enumerate(levels):
        try:
            picked = draw(load_texts(s["path"]).texts, PER_LEVEL, rng)
        except UserError as exc:
            notes.append(f"{s['dataset']}: {exc}")
            continue
        picked += ["—"] * (PER_LEVEL - len(picked))
        rows.append([s["dataset"], *(clip(t) for t in picked), clip(real_texts[i % len(real_texts)])])
    if not rows:
        raise SkipFigure(f"no generated record file could be read ({'; '.join(notes)})")
    note = (f"Drawn at random with seed {seed} from each level's records and from the real training set (a different "
            f"real record per row); texts over {MAX_CHARS} characters are cut at '…'."
            + (f" Left out: {'; '.join(notes)}." if notes else ""))
    headers = ["level", *(f"generated {k + 1}" for k in range(PER_LEVEL)), "a real training record"]
    return TextTable("samples_levels", *SAMPLES, note, headers, rows)
