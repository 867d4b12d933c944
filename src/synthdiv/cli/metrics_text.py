"""What ``synthdiv diversity`` and ``synthdiv shift`` print for a person (``--json`` prints the dicts).

diversity: one file as a list of its metrics; several files as one table, a column per file.
shift: the results (each with its interval, or why there is none, and which way is "more
shifted"), then the settings they were computed with, then a one-line verdict and the warnings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from synthdiv.metrics.choices import DEFAULT_SMOOTHING

NORMALISED = "normalised"
NOT_RESAMPLED = "no interval: not resampled"
EXACT = "no intervals: the whole-file values are exact, not estimates; --match-size adds intervals at equal size"
EXACT_MATCHED = "no intervals on the whole-file values: they are exact, not estimates; the matched rows give the spread of their draws"
GROUPED = ("group mode: the ngram_diversity_score interval resamples the groups (other contexts of the same source); "
           "the other values are exact for these groups")


def closing_line(rep: dict[str, Any]) -> str:
    if rep.get("ngram_diversity_score_ci_low") is not None:
        return GROUPED
    return EXACT_MATCHED if rep.get("matched") else EXACT


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
    if "distinct" in rep:
        orders = list(rep["distinct"])
        label = "sum over groups" if rep["mode"] == "group" else "distinct"
        for k in orders:
            line = f"  distinct-{k}: {fmt(rep['distinct'][k])} ({label}; {rep['unique_ngrams'][k]} unique of {rep['ngrams'][k]})"
            if rep.get("distinct_mean"):
                line += f", mean over {rep['groups']} groups {fmt(rep['distinct_mean'][k])}"
            typer.echo(line)
        line = f"  ngram_diversity_score (distinct-1..{orders[-1]} summed): {fmt(rep['ngram_diversity_score'])}"
        if rep.get("ngram_diversity_score_ci_low") is not None:
            line += (f", 95% interval [{fmt(rep['ngram_diversity_score_ci_low'])}, {fmt(rep['ngram_diversity_score_ci_high'])}]"
                     f" (bootstrap over the {rep['groups']} groups)")
        typer.echo(line)
    if rep.get("matched"):
        m = rep["matched"]
        typer.echo(
            f"  matched at {m['size']} samples ({m['mode']}, {m['draws']} draws): ngram_diversity_score "
            f"{fmt(m['ngram_diversity_score'])}, {100 * m['level']:g}% of draws in [{fmt(m['ci_low'])}, {fmt(m['ci_high'])}]"
        )
    if "compression" in rep:
        comp = rep["compression"]
        typer.echo(f"  compression_ratio: {fmt(rep['compression_ratio'])} ({comp['compressor']}, level {comp['level']})")
    if "compression_gzip" in rep:
        gz = rep["compression_gzip"]
        typer.echo(f"  compression_ratio_gzip: {fmt(rep['compression_ratio_gzip'])} ({gz['compressor']}, level {gz['level']})")
    if "self_bleu_detail" in rep:
        detail = rep["self_bleu_detail"]
        smoothing = "" if detail["smoothing"] == DEFAULT_SMOOTHING else f" (smoothing {detail['smoothing']})"
        typer.echo(f"  self_bleu-{detail['max_n']}: {fmt(rep['self_bleu'])}{smoothing}")
    for key, value in (rep.get("embedding") or {}).items():
        typer.echo(f"  {key}: {value if isinstance(value, dict) else fmt(value)}")
    typer.echo(f"  {closing_line(rep)}")


def diversity_rows(reports: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """(label, one cell per file) for every metric the files have, in the order of the one-file view."""
    first = reports[0]
    rows: list[tuple[str, list[str]]] = [("samples", [str(r["samples"]) for r in reports])]

    def add(label: str, get) -> None:
        rows.append((label, [fmt(get(r)) for r in reports]))

    if "tokens" in first:
        add("tokens", lambda r: r["tokens"])
    if "distinct" in first:
        suffix = " (sum over groups)" if first["mode"] == "group" else ""
        for k in first["distinct"]:
            add(f"distinct-{k}{suffix}", lambda r, k=k: r["distinct"][k])
        add("ngram_diversity_score", lambda r: r["ngram_diversity_score"])
        if first.get("ngram_diversity_score_ci_low") is not None:
            rows.append(("  95% interval (bootstrap over groups)",
                         [f"[{fmt(r.get('ngram_diversity_score_ci_low'))}, {fmt(r.get('ngram_diversity_score_ci_high'))}]" for r in reports]))
        if NORMALISED in first:
            for k in first[NORMALISED]:
                name = "ngram_diversity_score" if k == "ngram_diversity_score" else f"distinct-{k}"
                add(f"{name} / group max", lambda r, k=k: r[NORMALISED][k])
    if first.get("matched"):
        add(f"matched at {first['matched']['size']}: ngram_diversity_score", lambda r: r["matched"]["ngram_diversity_score"])
        rows.append((f"  {100 * first['matched']['level']:g}% of draws in",
                     [f"[{fmt(r['matched']['ci_low'])}, {fmt(r['matched']['ci_high'])}]" for r in reports]))
    if "compression_ratio" in first:
        add("compression_ratio", lambda r: r["compression_ratio"])
    if "compression_ratio_gzip" in first:
        add("compression_ratio_gzip", lambda r: r["compression_ratio_gzip"])
    if "self_bleu" in first:
        add(f"self_bleu-{first['self_bleu_detail']['max_n']}", lambda r: r["self_bleu"])
    for key, value in (first.get("embedding") or {}).items():
        if isinstance(value, dict):
            for q in value:
                add(f"{key}[{q}]", lambda r, key=key, q=q: (r["embedding"][key] or {}).get(q))
        else:
            add(key, lambda r, key=key: r["embedding"][key])
    return rows


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
    from synthdiv.metrics.shift import DIRECTIONS

    rows = shift_result_rows(payload, DIRECTIONS)
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


def shift_result_rows(payload: dict[str, Any], directions: dict[str, str]) -> list[tuple[str, str, str, str]]:
    """(label, value, interval or why none, direction) for each number of the panel."""
    rows = []
    for field, s in payload["lengths"].items():
        level = "95% CI"
        for key, name, digits in (("ks", "KS", 4), ("wasserstein", "Wasserstein-1 (tokens)", 3)):
            ci = s.get(f"{key}_ci95")
            interval = f"{level} [{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]" if ci else "no interval: bootstrap off"
            rows.append((f"length[{field}] {name}", f"{s[key]:.{digits}f}", interval, directions[key]))
        rows.append((f"length[{field}] mean tokens", f"{s['real']['mean']:.2f} vs {s['generated']['mean']:.2f}",
                     "sd " + " vs ".join("null" if side["sd"] is None else f"{side['sd']:.2f}" for side in (s["real"], s["generated"])),
                     "real vs generated"))
    for n, value in payload["ngram_js"].items():
        rows.append((f"{n}-gram JS (bits)", fmt(value), "no interval: exact counts, not resampled", directions["ngram_js"]))
    emb = payload.get("embedding")
    if emb:
        rows.append(("frechet_distance", fmt(emb.get("frechet_distance")), NOT_RESAMPLED, directions["frechet_distance"]))
        rows.append(("mmd2", fmt(emb.get("mmd2")), _mmd_p(emb), directions["mmd2"]))
        for key in ("precision", "recall", "density", "coverage"):
            rows.append((key, fmt(emb.get(key)), NOT_RESAMPLED, directions[key]))
        seeds = ", ".join(str(s) for s in emb.get("mauve_seeds") or [])
        spread = f"± {emb['mauve_sd']:.4f} sd over k-means seeds {seeds}" if emb.get("mauve_sd") is not None else f"no sd: one k-means seed ({seeds})"
        rows.append(("mauve", fmt(emb.get("mauve")), spread, directions["mauve"]))
        auc_sd = emb.get("classifier_auc_sd")
        rows.append(("classifier_auc", fmt(emb.get("classifier_auc")),
                     f"± {auc_sd:.4f} sd over {emb.get('classifier_folds')} folds" if auc_sd is not None else "no sd: too few points",
                     directions["classifier_auc"]))
    return rows


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
        lines.append(f"PRDC k = {emb.get('prdc_k')}; MAUVE {emb.get('mauve_buckets')} buckets; classifier {emb.get('classifier_folds')}-fold")
    return lines


def _bootstrap(payload: dict[str, Any]) -> str:
    counts = {s.get("bootstrap") for s in payload["lengths"].values()}
    return ", ".join(str(c) for c in sorted(counts, key=str) if c is not None) or "no"
