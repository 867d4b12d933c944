"""Findings: each of the paper's claims that a run's design can test, with a verdict.

A verdict is *supported* when the interval behind it excludes "no effect" in the claimed
direction, *contradicted* when it excludes it in the other direction, and *not resolved at
this run's size* otherwise. A claim the design cannot test (no generated levels for C1, no
mixing ratios for C3 …) is not listed. The evidence is the aggregate rows (seed means with
intervals, :mod:`synthdiv.stats.evidence`) and the trend rows
(:mod:`synthdiv.stats.sweep_trends`). See docs/uncertainty.md.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from typing import Any

from synthdiv.experiments import layout
from synthdiv.stats.formatting import format_interval, is_number
from synthdiv.stats.sweep_trends import LOSS_VS_LEVEL, LOSS_VS_RATIO, LOSS_VS_SIZE, level_index

DELTA, DELTA_LOW, DELTA_HIGH = layout.with_interval(layout.delta("real"))
MATCHED, MATCHED_LOW, MATCHED_HIGH = layout.MATCHED_SCORE, layout.matched("ci_low"), layout.matched("ci_high")

SUPPORTED, CONTRADICTED, UNRESOLVED = "supported", "contradicted", "not resolved at this run's size"

CLAIMS = {
    "C1": "Models trained on more diverse generated data have a lower test loss (§4.2).",
    "C2": "Every generated level is worse than real data of the same size (§4.2).",
    "C3": "At a fixed size, more generated data in the mix raises the test loss (§4.3, Fig. 5).",
    "C4": "At a growing size, adding moderately diverse generated data to scarce real data lowers the test loss, "
          "while very high proportions raise it (§4.3, Figs. 6–7).",
    "C5": "The measured diversity of a growing mix first rises, then falls (§4.3).",
    "C6": "More generated data can be harmful: a larger generated set can have a higher test loss (§4.4).",
}


@dataclass(frozen=True)
class Finding:
    claim: str
    statement: str
    verdict: str
    evidence: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


_num = is_number


def _delta_text(row: dict[str, Any]) -> str:
    return format_interval(row.get(DELTA), row.get(DELTA_LOW), row.get(DELTA_HIGH), signed=True, missing="no interval")


def _sign(lo, hi) -> int:
    """+1 when the interval lies above zero, -1 below, 0 when it covers zero (or is missing)."""
    if not (_num(lo) and _num(hi)):
        return 0
    return 1 if lo > 0 else (-1 if hi < 0 else 0)


def _seeds(rows: list[dict[str, Any]]) -> str:
    counts = sorted({int(r.get("seeds") or 1) for r in rows})
    return f"{counts[0]} seed{'s' if counts[0] != 1 else ''}" if len(counts) == 1 else f"{counts[0]}–{counts[-1]} seeds"


def _trend_text(t: dict[str, Any]) -> str:
    where = " ".join(x for x in (str(t.get("model") or ""), f"level {t['level']}" if t.get("level") else "",
                                 f"n={t['size_asked']:g}" if _num(t.get("size_asked")) else "") if x)
    rho = f"Spearman ρ {t['rho']:+.2f} [{t['ci_low']:+.2f}, {t['ci_high']:+.2f}]" if _num(t.get("rho")) else t["direction"]
    return f"{where}: x {t['x']} → {t['y']}; {rho}".strip()


def _from_trends(claim: str, trends: list[dict[str, Any]], claimed: int) -> Finding | None:
    """A claim about the direction of a trend: ``claimed`` +1 (rises) or -1 (falls)."""
    if not trends:
        return None
    signs = [_sign(t.get("ci_low"), t.get("ci_high")) for t in trends]
    if signs and all(s == claimed for s in signs):
        verdict = SUPPORTED
    elif any(s == -claimed for s in signs):
        verdict = CONTRADICTED
    else:
        verdict = UNRESOLVED
    return Finding(claim, CLAIMS[claim], verdict, "; ".join(_trend_text(t) for t in trends))


def claim_c2(aggregates: list[dict[str, Any]]) -> Finding | None:
    gen = sorted((a for a in aggregates if a.get("role") == "generated"), key=lambda a: (str(a["model"]), level_index(a["level"])))
    gen = [a for a in gen if _num(a.get(DELTA))]
    if not gen:
        return None
    signs = [_sign(a[DELTA_LOW], a[DELTA_HIGH]) for a in gen]
    verdict = SUPPORTED if all(s > 0 for s in signs) else (CONTRADICTED if any(s < 0 for s in signs) else UNRESOLVED)
    parts = [f"{a['dataset']} − real {_delta_text(a)}" for a in gen]
    return Finding("C2", CLAIMS["C2"], verdict, f"test-loss difference, {_seeds(gen)}: " + "; ".join(parts))


def claim_c4(aggregates: list[dict[str, Any]]) -> Finding | None:
    """Per level in variable mode: some ratio below real alone (interval < 0), and the highest ratio
    above that best one (their intervals against real alone do not overlap: a conservative test)."""
    var = [a for a in aggregates if a.get("mode") == "variable" and a.get("role") in ("mix", "generated")
           and _num(a.get(DELTA))]
    if not var:
        return None
    verdicts, parts = [], []
    for key in sorted({(str(a["model"]), a["level"]) for a in var}):
        rows = sorted((a for a in var if (str(a["model"]), a["level"]) == key), key=lambda a: a["ratio"])
        best = min(rows, key=lambda a: a[DELTA])
        top = rows[-1]
        helps = _sign(best[DELTA_LOW], best[DELTA_HIGH]) < 0
        hurts_at_top = top is not best and _num(top[DELTA_LOW]) and top[DELTA_LOW] > best[DELTA_HIGH]
        never_helps = all(_sign(a[DELTA_LOW], a[DELTA_HIGH]) > 0 for a in rows)
        verdicts.append(SUPPORTED if helps and hurts_at_top else (CONTRADICTED if never_helps else UNRESOLVED))
        parts.append(f"{key[1]}: best ratio {best['ratio']:.2f} {_delta_text(best)}, highest {top['ratio']:.2f} {_delta_text(top)}")
    verdict = SUPPORTED if all(v == SUPPORTED for v in verdicts) else (
        CONTRADICTED if all(v == CONTRADICTED for v in verdicts) else UNRESOLVED)
    return Finding("C4", CLAIMS["C4"], verdict, "Δ vs real alone: " + "; ".join(parts))


def claim_c5(datasets: list[dict[str, Any]]) -> Finding | None:
    """Variable-mode mixes of one level: an interior ratio whose size-matched diversity interval lies
    above both ends' is a rise then a fall; an end above every other point contradicts it."""
    rows = [d for d in datasets if d.get("mode") == "variable" and d.get("role") in ("mix", "generated")
            and _num(d.get(MATCHED_LOW))]
    verdicts, parts = [], []
    for level in sorted({d["level"] for d in rows}, key=level_index):
        pts = sorted((d for d in rows if d["level"] == level), key=lambda d: d["ratio"])
        if len(pts) < 3:
            continue
        inner = max(pts[1:-1], key=lambda d: d[MATCHED])
        rises_falls = inner[MATCHED_LOW] > max(pts[0][MATCHED_HIGH], pts[-1][MATCHED_HIGH])
        end_on_top = any(all(e[MATCHED_LOW] > d[MATCHED_HIGH] for d in pts if d is not e) for e in (pts[0], pts[-1]))
        verdicts.append(SUPPORTED if rises_falls else (CONTRADICTED if end_on_top else UNRESOLVED))
        parts.append(f"{level}: " + ", ".join(f"{d['ratio']:.2f} → {d[MATCHED]:.3f} [{d[MATCHED_LOW]:.3f}, {d[MATCHED_HIGH]:.3f}]"
                                             for d in pts))
    if not verdicts:
        return None
    verdict = SUPPORTED if all(v == SUPPORTED for v in verdicts) else (CONTRADICTED if any(v == CONTRADICTED for v in verdicts) else UNRESOLVED)
    return Finding("C5", CLAIMS["C5"], verdict, "size-matched distinct 1–5 sum by ratio: " + "; ".join(parts))


def judge(aggregates: list[dict[str, Any]], trends: list[dict[str, Any]], datasets: list[dict[str, Any]]) -> list[Finding]:
    """Every claim the run can test, in the paper's order."""
    c6_trends = [t for t in trends if t["trend"] == LOSS_VS_SIZE]
    found = [
        _from_trends("C1", [t for t in trends if t["trend"] == LOSS_VS_LEVEL], claimed=-1),
        claim_c2(aggregates),
        _from_trends("C3", [t for t in trends if t["trend"] == LOSS_VS_RATIO], claimed=+1),
        claim_c4(aggregates),
        claim_c5(datasets),
        _c6(c6_trends),
    ]
    return [f for f in found if f is not None]


def _c6(trends: list[dict[str, Any]]) -> Finding | None:
    """'Can be harmful' holds when any level's loss rises with its size; contradicted when every level's falls."""
    if not trends:
        return None
    signs = [_sign(t.get("ci_low"), t.get("ci_high")) for t in trends]
    verdict = SUPPORTED if any(s > 0 for s in signs) else (CONTRADICTED if all(s < 0 for s in signs) else UNRESOLVED)
    return Finding("C6", CLAIMS["C6"], verdict, "; ".join(_trend_text(t) for t in trends))


def resolution(aggregates: list[dict[str, Any]]) -> float | None:
    """The smallest test-loss difference this test set resolves: the median half-width of the
    paired intervals against real alone (or against the base model when there is no real twin)."""
    for name in layout.REFERENCES:
        low, high = layout.interval(layout.delta(name))
        widths = [(a[high] - a[low]) / 2 for a in aggregates if _num(a.get(low)) and _num(a.get(high))]
        if widths:
            return float(statistics.median(widths))
    return None


def stand_in_caveat(stand_ins: list[str]) -> str | None:
    """What a verdict on a stand-in student (random weights, models.registry.STAND_INS) is worth: nothing."""
    if not stand_ins:
        return None
    return (f"the student{'s' if len(stand_ins) > 1 else ''} {', '.join(stand_ins)} {'are' if len(stand_ins) > 1 else 'is a'} "
            f"stand-in{'s' if len(stand_ins) > 1 else ''} with random weights: these verdicts time the sweep, they do not "
            "test the paper's claims")


def format_findings(findings: list[Finding], resolves: float | None, test_records: int | None, test_tokens: int | None,
                    stand_ins: list[str] | None = None) -> str:
    """The findings as terminal lines."""
    lines = ["Findings (95 % intervals; see docs/uncertainty.md):"]
    if caveat := stand_in_caveat(stand_ins or []):
        lines.append(f"  {caveat}")
    for f in findings:
        lines.append(f"  {f.claim} {f.verdict.upper() if f.verdict != UNRESOLVED else f.verdict}: {f.statement}")
        lines.append(f"     {f.evidence}")
    if not findings:
        lines.append("  none of the paper's claims can be tested by this run's design")
    if resolves is not None:
        lines.append(f"  this test set ({test_records} records, {test_tokens} target tokens) resolves loss differences of about "
                     f"±{resolves:.4f} (median half-width of the paired intervals); smaller ones need a larger test set")
    return "\n".join(lines)

