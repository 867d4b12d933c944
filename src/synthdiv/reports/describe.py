"""What was run, in words: the setup table on top of the page (captions say what their figure
shows and leave the setup to this table).

The spec says what was asked; the tables say what happened. Where the spec is
silent (an older run, a hand-made folder) the tables fill in models, levels and seeds.
"""

from __future__ import annotations

import math
from typing import Any

from synthdiv.generation.strategies import STRATEGIES
from synthdiv.reports.rundir import RunData, sorted_levels
from synthdiv.reports.selection import models_of, seeds_of



def _section(spec: dict[str, Any], name: str) -> dict[str, Any]:
    value = spec.get(name)
    return value if isinstance(value, dict) else {}


def _join(values) -> str:
    return ", ".join(str(v) for v in values)


def generated_levels(run: RunData) -> list[str]:
    levels = _section(run.spec, "generation").get("levels")
    if levels:
        return [str(lv) for lv in levels]
    found = list(run.results["level"])
    if run.datasets is not None:
        found += list(run.datasets["level"])
    return sorted_levels(found)


def models(run: RunData) -> list[str]:
    listed = _section(run.spec, "training").get("models")
    return [str(m) for m in listed] if listed else models_of(run.results)


def seeds(run: RunData) -> list[int]:
    listed = run.spec.get("seeds")
    return [int(s) for s in listed] if listed else seeds_of(run.results)


def n_per_level(run: RunData) -> str | None:
    n = _section(run.spec, "generation").get("n")
    if n:
        return str(n)
    if run.datasets is None:
        return None
    gen = run.datasets[run.datasets["role"] == "generated"]["records"]
    counts = sorted({int(v) for v in gen if not math.isnan(v)})
    return _join(counts) if counts else None


def generator(run: RunData) -> str | None:
    gen = _section(run.spec, "generation")
    if not gen:
        return None
    model, backend, strategy = gen.get("model"), gen.get("backend"), gen.get("strategy")
    text = str(model or "unknown model")
    if backend:
        text += f" via {backend}"
    if strategy:
        text += f" ({STRATEGIES[strategy].title if strategy in STRATEGIES else strategy})"
    return text


def training(run: RunData) -> str | None:
    tr = _section(run.spec, "training")
    parts = []
    if tr.get("epochs") is not None:
        parts.append(f"{tr['epochs']} epoch{'s' if tr['epochs'] != 1 else ''}")
    if tr.get("lr") is not None:
        parts.append(f"lr {tr['lr']:g}" if isinstance(tr["lr"], (int, float)) else f"lr {tr['lr']}")
    if tr.get("lora_r") is not None:
        parts.append(f"LoRA r {tr['lora_r']}")
    return ", ".join(parts) or None


def setup_rows(run: RunData) -> list[tuple[str, str]]:
    """(label, value) pairs for the table at the top of the report."""
    from synthdiv.reports.evidence import real_data_description

    spec = run.spec
    mixing, metrics, report = _section(spec, "mixing"), _section(spec, "metrics"), _section(spec, "report")
    rows = [("experiment", str(spec.get("name") or run.run_dir.name)), ("task", run.task)]
    real = real_data_description(run)
    if real:
        rows.append(("real data", real))
    rows.append(("generator", generator(run) or "none (no generation section)"))
    levels = generated_levels(run)
    loop = _section(spec, "loop") or _section(spec, "generations")  # a run folder written before the section's rename
    if levels or not loop:
        rows.append(("levels", _join(levels) if levels else "none"))
        n = n_per_level(run)
        if n:
            rows.append(("generated per level", n))
    if loop:
        rows.append(("generations (recursive training)",
                     f"{loop.get('count')} after generation 0; scenarios {_join(loop.get('scenarios') or [])}; "
                     f"{loop.get('n')} records per generation at {loop.get('level')}; student {loop.get('model')}"))
    rows.append(("fine-tuned models", _join(models(run)) or (f"{loop.get('model')} (the loop's students)" if loop else "none")))
    rows.append(("seed ids", _join(seeds(run))))
    if training(run):
        rows.append(("training", training(run)))
    if mixing:
        text = f"mode {mixing.get('mode', 'fixed')}"
        if mixing.get("ratios") is not None:
            text += f", ratios {_join(mixing['ratios'])}"
        if mixing.get("sizes") not in (None, [None]):
            text += f", sizes {_join('all' if s is None else s for s in mixing['sizes'])}"
        if mixing.get("sources") not in (None, "all"):
            text += f", sources {_join(mixing['sources'])}"
        rows.append(("mixing", text))
    rows.append(("metrics embedder", str(metrics.get("embedder") or "none")))
    if report.get("embedder"):
        rows.append(("map embedder", str(report["embedder"])))
    rows.append(("evaluated models (rows of results.csv)", str(len(run.results))))
    return rows
