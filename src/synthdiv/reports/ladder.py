"""The report's ladder table: per generated level, the topics, adherence, seed copying, rejects
and the two diversities with their intervals (ladder.csv), and the verdicts (findings.json)."""

from __future__ import annotations

from synthdiv.experiments import layout
from synthdiv.reports.evidence import read_findings
from synthdiv.reports.generations import TextTable
from synthdiv.reports.rundir import RunData
from synthdiv.stats.formatting import format_interval, is_number

LADDER = ("Ladder", "Does measured diversity rise with the level?")
# the diversities first after the set and its recipe: the table is wide, and they are what it is read for
HEADERS = ["set", "records", "|T| asked", "|T| reached", "topics used", "seed stories shown", "temperature", "distinct 1-5 ↑ [95 % CI]",
           "Vendi ↑ [95 % CI]", "adherence ↑ [95 % CI]", "self-repetition ↓ [95 % CI]", "seed copies ↓", "rejects", "generator seed"]


FLUENCY_HEADERS = ["fluency loss ↓ [95 % CI]", "fluency p vs real"]


def _p(v) -> str:
    x = _float(v)
    return f"{x:.3g}" if is_number(x) else "–"


def _interval(row, name: str) -> str:
    return format_interval(*(_float(row.get(c)) for c in layout.with_interval(name)), missing="–")


def _float(v):
    try:
        return float(v) if v not in (None, "") else None
    except ValueError:
        return None


def _share(v) -> str:
    x = _float(v)
    return f"{x:.0%}" if is_number(x) else "–"


def ladder_table(run: RunData) -> TextTable:
    path = run.run_dir / layout.csv_name(layout.LADDER)
    import csv

    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    body = [[r["set"], r["records"], r.get("topics_asked") or "–", r.get("topic_set_reached") or "–", r.get("topics_used") or "–",
             r.get("seeds_shown") or "–", r.get("temperature") or "–", _interval(r, "distinct"), _interval(r, "vendi"),
             _interval(r, "adherence"), _interval(r, "seq_rep"), _share(r.get("copy_rate")), _share(r.get("reject_rate")),
             r.get("seed", "")] for r in rows]
    headers = HEADERS
    if any(r.get("fluency") for r in rows):  # a run with metrics.reference: is fluency held fixed across the levels?
        headers = [*HEADERS[:-1], *FLUENCY_HEADERS, HEADERS[-1]]
        body = [[*line[:-1], _interval(r, "fluency"), _p(r.get("fluency_p_vs_real")), line[-1]] for line, r in zip(body, rows)]
    size = rows[0].get("subset_size") if rows else None
    draws = rows[0].get("draws") if rows else None
    from synthdiv.stats.ladder import format_verdict

    verdicts = [format_verdict(v) for v in (read_findings(run) or {}).get("ladder", [])]
    note = (f"Diversity on {draws} random subsets of {size} records per set (half the smallest set), 95 % percentile "
            "intervals over the subsets; adherence: the rank of each record's own topic among distractor topics "
            "(1 = closest, 0.5 = chance), records bootstrapped; seed copies: share of records with a 10-word run or "
            "ROUGE-L ≥ 0.6 in common with a seed its prompt showed; self-repetition: seq-rep-4, the share of a story's "
            "word 4-grams that repeat one earlier in it (0 for a story that never repeats; human stories score near 0), "
            "records bootstrapped; rejects: share of answers rejected "
            "(docs/generation.md). " + " ".join(f"{v}." for v in verdicts))
    if headers is not HEADERS:
        note += (" Fluency: mean target-token loss under the reference model (nats), records bootstrapped; vs real: the "
                 "two-sided permutation p-value of its difference from the real training set (below 0.05: differs).")
    return TextTable("table_ladder", *LADDER, note, headers, body)
