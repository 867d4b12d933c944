"""Is the diversity ladder a ladder? The verdict on its rows (:func:`synthdiv.metrics.ladder.measure_ladder`).

:func:`verdict` says whether a diversity rises with the level (point estimates in level order) and names
every adjacent pair of levels whose intervals overlap: two levels this run does not tell apart.
:func:`ladder_verdicts` gives one verdict per generator, seed and diversity of a sweep's ladder.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from synthdiv.generation.levels import LEVELS

LABELS = {"distinct": "size-matched distinct 1-5 sum", "vendi": "Vendi (q=1, MiniLM)"}


def verdict(rows: Sequence[dict[str, Any]], metric: str) -> dict[str, Any]:
    """Whether ``metric`` rises with the level (point estimates in level order), and the
    adjacent pairs whose intervals overlap (not separated by this run)."""
    ordered = sorted((r for r in rows if r.get(metric) is not None and r.get("level") in LEVELS), key=lambda r: LEVELS.index(r["level"]))
    values = [r[metric] for r in ordered]
    levels = [r["level"] for r in ordered]
    repeated = sorted({lv for lv in levels if levels.count(lv) > 1}, key=LEVELS.index)
    monotone = len(values) >= 2 and not repeated and all(b > a for a, b in zip(values, values[1:]))
    overlapping = [(a["level"], b["level"]) for a, b in zip(ordered, ordered[1:])
                   if a.get(f"{metric}_ci_high") is not None and b.get(f"{metric}_ci_low") is not None
                   and b[f"{metric}_ci_low"] <= a[f"{metric}_ci_high"]]
    return {"metric": metric, "levels": levels, "values": values, "monotone": monotone, "not_separated": overlapping,
            "repeated": repeated}


def format_verdict(v: dict[str, Any]) -> str:
    if v["metric"] == "fluency":
        return _format_fluency(v)
    name = LABELS.get(v["metric"], v["metric"])
    if v.get("repeated"):  # two sets of one level: their order says nothing about the level
        twice = " and ".join(v["repeated"])
        return (f"ladder, {name}: no verdict: {twice} {'is' if len(v['repeated']) == 1 else 'are'} given twice; a ladder needs "
                "one set per level, two levels at least")
    if len(v["levels"]) < 2:
        return f"ladder, {name}: fewer than two levels, no verdict"
    order = " < ".join(v["levels"]) if v["monotone"] else "not monotone in level"
    pairs = "; ".join(f"{a} and {b} are not separated" for a, b in v["not_separated"])
    head = f"ladder, {name}: {'rises with level' if v['monotone'] else 'does NOT rise with level'} ({order})"
    return f"{head}; {pairs}" if pairs else f"{head}; every adjacent pair separated (95 % intervals)"


def ladder_verdicts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One verdict per generator and seed of a sweep's ladder rows, for each diversity they hold."""
    out = []
    for key in sorted({(r["seed"], r["model"]) for r in rows}, key=str):
        group = [r for r in rows if (r["seed"], r["model"]) == key]
        for metric in ("distinct", "vendi"):
            if any(r.get(metric) is not None for r in group):
                out.append({"seed": key[0], "model": key[1], **verdict(group, metric)})
        if any(r.get("fluency_vs_real") for r in group):
            out.append({"seed": key[0], "model": key[1], **fluency_verdict(group)})
    return out


def fluency_verdict(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Which levels differ from the real set on fluency (metrics.fluency: a permutation test per level)."""
    from synthdiv.metrics.fluency import DIFFERS

    measured = [r for r in rows if r.get("fluency_vs_real")]
    return {"metric": "fluency", "levels": [r["level"] for r in measured],
            "differs": [r["level"] for r in measured if r["fluency_vs_real"] == DIFFERS],
            "p_values": [r.get("fluency_p_vs_real") for r in measured]}


def _format_fluency(v: dict[str, Any]) -> str:
    """Which levels differ from real on fluency (the ladder rows' permutation tests)."""
    if not v["differs"]:
        return f"ladder, fluency: no level differs from real on fluency ({', '.join(v['levels'])}; permutation tests, p ≥ 0.05)"
    same = [lv for lv in v["levels"] if lv not in v["differs"]]
    tail = f"; {', '.join(same)} {'does' if len(same) == 1 else 'do'} not" if same else ""
    return (f"ladder, fluency: {', '.join(v['differs'])} {'differs' if len(v['differs']) == 1 else 'differ'} from real on fluency"
            f"{tail} (permutation tests, p < 0.05): the levels differ in more than diversity")


def format_ladder(verdicts: list[dict[str, Any]]) -> list[str]:
    return [f"{format_verdict(v)} (generator {v['model']}, seed {v['seed']})" for v in verdicts]
