"""What ``synthdiv diversity`` and ``synthdiv shift`` print for a person (``--json`` prints the dicts).

diversity: one file as a list of its metrics; several files as one table, a column per file.
shift: the results (each with its interval, or why there is none, and which way is "more
shifted"), then the settings they were computed with, then a one-line verdict and the warnings.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from synthdiv.metrics import registry
from synthdiv.metrics.choices import DEFAULT_SMOOTHING

NORMALISED = "normalised"
NOT_RESAMPLED = "no interval: not resampled"
EXACT = "no intervals: the whole-file values are exact, not estimates; --match-size adds intervals at equal size"
EXACT_MATCHED = "no intervals on the whole-file values: they are exact, not estimates; the matched rows give the spread of their draws"
FLUENCY_INTERVALS = "fluency, self-repetition and length are means over records, with bootstrap intervals over records"
GROUPED = ("group mode: the ngram_diversity_score interval resamples the groups (other contexts of the same source); "
           "the other values are exact for these groups")


def closing_line(rep: dict[str, Any]) -> str:
    if rep.get("ngram_diversity_score_ci_low") is not None:
        line = GROUPED
    else:
        line = EXACT_MATCHED if rep.get("matched") else EXACT
    return line + (f"; {FLUENCY_INTERVALS}" if rep.get("fluency") else "")


def fmt(v) -> str:
    return "null" if v is None else (f"{v:.4f}" if isinstance(v, float) else str(v))


# ----- diversity -------------------------------------------------------------------------------
def print_diversity(payload: dict[str, Any]) -> None:
    if "files" in payload:
        print_diversity_table(payload["files"])
    else:
        print_one_file(payload)


def print_one_file(rep: dict[str, Any]) -> None:
    head = f"{rep['file']}: {rep['samples']} samples"
    if "tokens" in rep:
        head += f", {rep['tokens']} tokens" + (f", mode {rep['mode']}" if "mode" in rep else "") + f", tokenizer {rep['tokenizer']}"
    typer.echo(head)
    for metric in registry.metrics(registry.DIVERSITY):
        for line in _FILE_LINES.get(metric.name, _stat_lines)(rep, metric):
            typer.echo(f"  {line}")
    typer.echo(f"  {closing_line(rep)}")


def value_at(rep: dict[str, Any], key: str) -> Any:
    """The number at a stat's dotted key in a panel's output (None where it is not)."""
    node: Any = rep
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _members(rep: dict[str, Any], stat) -> list[dict[str, Any]]:
    """The family values a report has for ``stat`` (distinct orders, record fields), or [{}] for one number."""
    if "{" not in stat.key:
        return [{}]
    family = value_at(rep, stat.key.split(".{")[0]) or {}
    name = "n" if "{n}" in stat.key else "field"
    return [{name: int(k) if name == "n" else k} for k in family]


def _stat_lines(rep: dict[str, Any], metric) -> list[str]:
    """A metric without lines of its own: each of its numbers by its label (registry), where the report has it."""
    out = []
    for stat in metric.stats:
        for values in _members(rep, stat):
            value = value_at(rep, stat.key.format(**values))
            if value is not None and (not stat.derived or stat.bounds):
                out.append(f"{stat.text('label', **values)}: {fmt(value)}{_bounds(rep, stat)}")
    return out


def _bounds(rep: dict[str, Any], stat) -> str:
    """A number's interval beside it (a size-matched draw's spread), where the stat declares one."""
    if not stat.bounds or value_at(rep, stat.bounds[0]) is None:
        return ""
    return f", 95% interval [{fmt(value_at(rep, stat.bounds[0]))}, {fmt(value_at(rep, stat.bounds[1]))}]"


def _distinct_lines(rep: dict[str, Any], metric) -> list[str]:
    if "distinct" not in rep:
        return []
    orders = list(rep["distinct"])
    label = "sum over groups" if rep["mode"] == "group" else "distinct"
    out = []
    for k in orders:
        line = f"distinct-{k}: {fmt(rep['distinct'][k])} ({label}; {rep['unique_ngrams'][k]} unique of {rep['ngrams'][k]})"
        if rep.get("distinct_mean"):
            line += f", mean over {rep['groups']} groups {fmt(rep['distinct_mean'][k])}"
        out.append(line)
    line = f"ngram_diversity_score (distinct-1..{orders[-1]} summed): {fmt(rep['ngram_diversity_score'])}"
    if rep.get("ngram_diversity_score_ci_low") is not None:
        line += (f", 95% interval [{fmt(rep['ngram_diversity_score_ci_low'])}, {fmt(rep['ngram_diversity_score_ci_high'])}]"
                 f" (bootstrap over the {rep['groups']} groups)")
    out.append(line)
    if rep.get("matched"):
        m = rep["matched"]
        out.append(f"matched at {m['size']} samples ({m['mode']}, {m['draws']} draws): ngram_diversity_score "
                   f"{fmt(m['ngram_diversity_score'])}, {100 * m['level']:g}% of draws in [{fmt(m['ci_low'])}, {fmt(m['ci_high'])}]")
    return out


def _compression_lines(rep: dict[str, Any], metric) -> list[str]:
    return [f"{ratio}: {fmt(rep[ratio])} ({rep[detail]['compressor']}, level {rep[detail]['level']})"
            for ratio, detail in (("compression_ratio", "compression"), ("compression_ratio_gzip", "compression_gzip")) if detail in rep]


def _self_bleu_lines(rep: dict[str, Any], metric) -> list[str]:
    if "self_bleu_detail" not in rep:
        return []
    detail = rep["self_bleu_detail"]
    smoothing = "" if detail["smoothing"] == DEFAULT_SMOOTHING else f" (smoothing {detail['smoothing']})"
    return [f"self_bleu-{detail['max_n']}: {fmt(rep['self_bleu'])}{smoothing}"]


def _embedding_lines(rep: dict[str, Any], metric) -> list[str]:
    return [f"{key}: {value if isinstance(value, dict) else fmt(value)}" for key, value in (rep.get("embedding") or {}).items()]


def _fluency_lines(rep: dict[str, Any], metric) -> list[str]:
    """Fluency's numbers with their intervals, then the comparison with the real set where there is one."""
    out = _stat_lines(rep, metric)
    vs = (rep.get("fluency") or {}).get("vs_real")
    if vs:
        out.append(f"vs real: {vs['verdict']} (loss {_signed(vs.get('loss_difference'))} nats, permutation p = "
                   f"{fmt(vs.get('loss_p_value'))}; self-repetition p = {fmt(vs.get('repetition_p_value'))}, "
                   f"length p = {fmt(vs.get('words_p_value'))})")
    return out


def _signed(v) -> str:
    return "null" if v is None else f"{v:+.4f}"


def _fluency_rows(reports: list[dict[str, Any]], metric) -> list[tuple[str, list[str]]]:
    rows = _stat_rows(reports, metric)
    if any((r.get("fluency") or {}).get("vs_real") for r in reports):
        rows.append(("fluency vs real: p (permutation)", _cells(reports, lambda r: value_at(r, "fluency.vs_real.loss_p_value"))))
        rows.append(("  verdict", [("differs" if value_at(r, "fluency.vs_real.differs") else "no difference found")
                                   if value_at(r, "fluency.vs_real") else "—" for r in reports]))
    return rows


# the built-in metrics' own lines (their details: unique counts, the compressor, the smoothing); a metric
# added to the registry without lines here is shown by its labels (_stat_lines)
_FILE_LINES: dict[str, Callable[[dict[str, Any], Any], list[str]]] = {
    "distinct": _distinct_lines, "compression": _compression_lines, "self-bleu": _self_bleu_lines, "embedding": _embedding_lines,
    "fluency": _fluency_lines,
}


def diversity_rows(reports: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """(label, one cell per file) for every metric the files have, in the order of the one-file view."""
    first = reports[0]
    rows: list[tuple[str, list[str]]] = [("samples", [str(r["samples"]) for r in reports])]
    if "tokens" in first:
        rows.append(("tokens", [fmt(r["tokens"]) for r in reports]))
    for metric in registry.metrics(registry.DIVERSITY):
        rows += _TABLE_ROWS.get(metric.name, _stat_rows)(reports, metric)
    return rows


def _cells(reports: list[dict[str, Any]], get) -> list[str]:
    return [fmt(get(r)) for r in reports]


def _stat_rows(reports: list[dict[str, Any]], metric) -> list[tuple[str, list[str]]]:
    """A metric without rows of its own: a row per number of it the first file has, by its label."""
    rows = []
    for stat in metric.stats:
        for values in _members(reports[0], stat):
            key = stat.key.format(**values)
            if value_at(reports[0], key) is not None and (not stat.derived or stat.bounds):
                rows.append((stat.text("label", **values), _cells(reports, lambda r, key=key: value_at(r, key))))
                if stat.bounds:
                    rows.append(("  95% interval", [_bounds(r, stat).removeprefix(", 95% interval ") for r in reports]))
    return rows


def _distinct_rows(reports: list[dict[str, Any]], metric) -> list[tuple[str, list[str]]]:
    first, rows = reports[0], []
    if "distinct" not in first:
        return rows
    suffix = " (sum over groups)" if first["mode"] == "group" else ""
    for k in first["distinct"]:
        rows.append((f"distinct-{k}{suffix}", _cells(reports, lambda r, k=k: r["distinct"][k])))
    rows.append(("ngram_diversity_score", _cells(reports, lambda r: r["ngram_diversity_score"])))
    if first.get("ngram_diversity_score_ci_low") is not None:
        rows.append(("  95% interval (bootstrap over groups)",
                     [f"[{fmt(r.get('ngram_diversity_score_ci_low'))}, {fmt(r.get('ngram_diversity_score_ci_high'))}]" for r in reports]))
    if NORMALISED in first:
        for k in first[NORMALISED]:
            name = "ngram_diversity_score" if k == "ngram_diversity_score" else f"distinct-{k}"
            rows.append((f"{name} / group max", _cells(reports, lambda r, k=k: r[NORMALISED][k])))
    if first.get("matched"):
        rows.append((f"matched at {first['matched']['size']}: ngram_diversity_score",
                     _cells(reports, lambda r: r["matched"]["ngram_diversity_score"])))
        rows.append((f"  {100 * first['matched']['level']:g}% of draws in",
                     [f"[{fmt(r['matched']['ci_low'])}, {fmt(r['matched']['ci_high'])}]" for r in reports]))
    return rows


def _compression_rows(reports: list[dict[str, Any]], metric) -> list[tuple[str, list[str]]]:
    return [(key, _cells(reports, lambda r, key=key: r[key])) for key in ("compression_ratio", "compression_ratio_gzip")
            if key in reports[0]]


def _self_bleu_rows(reports: list[dict[str, Any]], metric) -> list[tuple[str, list[str]]]:
    first = reports[0]
    if "self_bleu" not in first:
        return []
    return [(f"self_bleu-{first['self_bleu_detail']['max_n']}", _cells(reports, lambda r: r["self_bleu"]))]


def _embedding_rows(reports: list[dict[str, Any]], metric) -> list[tuple[str, list[str]]]:
    rows = []
    for key, value in (reports[0].get("embedding") or {}).items():
        if isinstance(value, dict):
            for q in value:
                rows.append((f"{key}[{q}]", _cells(reports, lambda r, key=key, q=q: (r["embedding"][key] or {}).get(q))))
        else:
            rows.append((key, _cells(reports, lambda r, key=key: r["embedding"][key])))
    return rows


_TABLE_ROWS: dict[str, Callable[[list[dict[str, Any]], Any], list[tuple[str, list[str]]]]] = {
    "distinct": _distinct_rows, "compression": _compression_rows, "self-bleu": _self_bleu_rows, "embedding": _embedding_rows,
    "fluency": _fluency_rows,
}


def print_diversity_table(reports: list[dict[str, Any]]) -> None:
    """Several files side by side: a row per metric, a column per file."""
    names = column_names([r["file"] for r in reports])
    rows = diversity_rows(reports)
    label_width = max(len(label) for label, _ in rows)
    widths = [max(len(name), *(len(cells[i]) for _, cells in rows)) for i, name in enumerate(names)]
    typer.echo(" " * label_width + "".join(f"  {name:>{w}}" for name, w in zip(names, widths)))
    for label, cells in rows:
        typer.echo(f"{label:<{label_width}}" + "".join(f"  {cell:>{w}}" for cell, w in zip(cells, widths)))
    typer.echo(_table_settings(reports))
    if any(len(n) < len(r["file"]) for n, r in zip(names, reports)):
        typer.echo("files: " + ", ".join(f"{n} = {r['file']}" for n, r in zip(names, reports)))
    typer.echo(closing_line(reports[0]))


def column_names(paths: list[str]) -> list[str]:
    """The file names when they tell the files apart, else the paths as given."""
    names = [Path(p).name for p in paths]
    return names if len(set(names)) == len(names) else list(paths)


def _table_settings(reports: list[dict[str, Any]]) -> str:
    r = reports[0]
    parts = []
    if "mode" in r:
        parts.append(f"mode {r['mode']}")
    if "tokenizer" in r:
        parts.append(f"tokenizer {r['tokenizer']}")
    for key in ("compression", "compression_gzip"):
        if key in r:
            parts.append(f"{key} {r[key]['compressor']}, level {r[key]['level']}")
    if "self_bleu_detail" in r:
        parts.append(f"self-BLEU smoothing {r['self_bleu_detail']['smoothing']}")
    if r.get("embedder"):
        parts.append(f"embedder {r['embedder']}")
    return "settings: " + ", ".join(parts) if parts else ""


# ----- shift -----------------------------------------------------------------------------------
def print_shift(payload: dict[str, Any]) -> None:
    rows = shift_result_rows(payload)
    width = max(len(label) for label, *_ in rows)
    vwidth = max(len(value) for _, value, _, _ in rows)
    iwidth = max(len(interval) for *_, interval, _ in rows)
    typer.echo(f"results: {payload['real']['file']} (real) vs {payload['generated']['file']} (generated)")
    for label, value, interval, direction in rows:
        typer.echo(f"  {label:<{width}}  {value:>{vwidth}}  {interval:<{iwidth}}  {direction}")
    typer.echo("settings:")
    for line in shift_settings(payload):
        typer.echo(f"  {line}")
    typer.echo(f"verdict: {payload['verdict']}")
    for note in payload.get("warnings", []):
        typer.echo(f"warning: {note}")


def shift_result_rows(payload: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(label, value, interval or why none, direction) for each number of the panel, in the registry's order
    (a record field's lengths together, then the n-gram JS, then the embedding panel)."""
    rows = []
    for metric in registry.metrics(registry.SHIFT):
        if metric.name == "lengths":
            rows += _length_rows(payload, metric)
            continue
        for stat in metric.stats:
            if not stat.row:
                continue
            for values in _members(payload, stat):
                value = value_at(payload, stat.key.format(**values))
                if value is None and stat.key.startswith("embedding.") and not payload.get("embedding"):
                    continue
                rows.append((stat.text("cli_name", **values), fmt(value), _interval_text(payload, stat), stat.reading))
    return rows


def _length_rows(payload: dict[str, Any], metric) -> list[tuple[str, str, str, str]]:
    """Per record field: KS and Wasserstein-1 with their bootstrap intervals, then both sides' mean length."""
    rows = []
    for field, s in payload["lengths"].items():
        for stat, digits in zip(metric.stats, (4, 3), strict=True):
            ci = s.get(f"{stat.name}_ci95")
            interval = f"95% CI [{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]" if ci else "no interval: bootstrap off"
            rows.append((stat.text("cli_name", field=field), f"{s[stat.name]:.{digits}f}", interval, stat.reading))
        rows.append((f"length[{field}] mean tokens", f"{s['real']['mean']:.2f} vs {s['generated']['mean']:.2f}",
                     "sd " + " vs ".join("null" if side["sd"] is None else f"{side['sd']:.2f}" for side in (s["real"], s["generated"])),
                     "real vs generated"))
    return rows


def _interval_text(payload: dict[str, Any], stat) -> str:
    """Where a number's uncertainty comes from, or why it has none (the registry's ``interval``)."""
    emb = payload.get("embedding") or {}
    if stat.interval == registry.PERMUTATION:
        return _mmd_p(emb)
    if stat.interval == registry.SD:
        return _SPREADS.get(stat.name, _sd)(payload, stat)
    if stat.interval == registry.EXACT:
        return "no interval: exact counts, not resampled"
    return NOT_RESAMPLED


def _sd(payload: dict[str, Any], stat) -> str:
    sd = value_at(payload, stat.spread or "")
    return f"± {sd:.4f} sd" if sd is not None else "no sd"


def _mauve_sd(payload: dict[str, Any], stat) -> str:
    emb = payload["embedding"]
    seeds = ", ".join(str(s) for s in emb.get("mauve_seeds") or [])
    return f"± {emb['mauve_sd']:.4f} sd over k-means seeds {seeds}" if emb.get("mauve_sd") is not None else f"no sd: one k-means seed ({seeds})"


def _auc_sd(payload: dict[str, Any], stat) -> str:
    emb = payload["embedding"]
    sd = emb.get("classifier_auc_sd")
    return f"± {sd:.4f} sd over {emb.get('classifier_folds')} folds" if sd is not None else "no sd: too few points"


_SPREADS = {"mauve": _mauve_sd, "classifier_auc": _auc_sd}  # what the sd is over, in words


def _mmd_p(emb: dict[str, Any]) -> str:
    """The permutation p-value; at its floor 1/(B+1) it is only bounded, and the text says so."""
    text = emb.get("mmd2_p_value_text") or fmt(emb.get("mmd2_p_value"))
    if emb.get("mmd_p_at_floor"):
        return f"permutation p {text} (floor of {emb.get('mmd_permutations')} permutations)"
    return f"permutation p = {text}"


def shift_settings(payload: dict[str, Any]) -> list[str]:
    """How the results were computed: sizes, seed, tokenizer, the embedding panel's parameters."""
    lines = [
        f"compared at {payload['samples_compared']} per side (real {payload['real']['samples']}, generated "
        f"{payload['generated']['samples']}; the larger subsampled with seed {payload['seed']})",
        f"tokenizer {payload['tokenizer']}; length intervals from {_bootstrap(payload)} bootstrap resamples",
    ]
    emb = payload.get("embedding")
    if emb:
        lines.append(f"embedder {payload.get('embedder') or 'custom'} ({emb.get('dimensions')} dimensions)")
        bandwidth = emb.get("mmd_bandwidth")
        lines.append(f"MMD² on {emb.get('mmd_samples')} per side, RBF bandwidth {fmt(bandwidth)} (median distance), "
                     f"{emb.get('mmd_permutations')} permutations")
        lines.append(f"PRDC k = {emb.get('prdc_k')} on {emb.get('prdc_samples')} per side; MAUVE {emb.get('mauve_buckets')} buckets "
                     f"on {emb.get('mauve_samples')} per side; classifier {emb.get('classifier_folds')}-fold")
        lines.extend(_subsamples(payload["samples_compared"], emb))
    return lines


def _subsamples(compared: int, emb: dict[str, Any]) -> list[str]:
    from synthdiv.metrics.shift import max_points, subsample_text, subsampled

    points = subsampled({name: emb.get(f"{name}_samples") for name in max_points()}, compared)
    return [subsample_text(points, compared, emb.get("subsample_seed"))] if points else []


def _bootstrap(payload: dict[str, Any]) -> str:
    counts = {s.get("bootstrap") for s in payload["lengths"].values()}
    return ", ".join(str(c) for c in sorted(counts, key=str) if c is not None) or "no"
