"""``synthdiv diversity FILE...`` and ``synthdiv shift REAL GENERATED`` (docs/metrics.md)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any, Optional

import typer

from synthdiv.cli.deprecated import Old, old_spellings
from synthdiv.cli.inputs import COLUMN, DATA_HELP, FIELDS, SPLIT, SUBSET, parse_fields, read_options
from synthdiv.cli.metrics_text import NORMALISED, print_diversity, print_shift
from synthdiv.cli.quiet import say
from synthdiv.errors import UserError
from synthdiv.metrics.choices import (
    COMPRESSION_CHOICES,
    DEFAULT_COMPRESSION,
    DEFAULT_MAUVE_SETTING,
    DEFAULT_SMOOTHING,
    DIVERSITY_METRICS,
    FLUENCY,
    GRADIENT,
    MAUVE_SETTINGS,
    SMOOTHINGS,
)
from synthdiv.metrics.matched import MATCHED

JSON = typer.Option(False, "--json", help="Print JSON with stable keys.")
OUT = typer.Option(None, "--out", "-o", help="Also write the JSON to this file.")


def _emit(payload: dict[str, Any], as_json: bool, out: Optional[Path], human) -> None:
    text = json.dumps(payload, indent=2, ensure_ascii=False, allow_nan=False)
    if out is not None:
        from synthdiv.fileio import atomic_write

        with atomic_write(out) as fh:
            fh.write(text + "\n")
    if as_json:
        typer.echo(text)
    else:
        human(payload)


def _collect_warnings(fn, *args, **kwargs):
    """Run fn; print each warning it raised as one 'warning:' line on stderr (above any bar)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn(*args, **kwargs)
    seen = set()
    for w in caught:
        msg = str(w.message).splitlines()[0]
        if msg not in seen and issubclass(w.category, (UserWarning, RuntimeWarning)):
            seen.add(msg)
            say(f"warning: {msg}")
    return result


def diversity_cmd(
    files: list[str] = typer.Argument(..., help=DATA_HELP + " A .txt file: one text per line."),
    ngram_order: int = typer.Option(5, "--ngram-order", help="Highest n-gram order n; distinct-1..n and their sum are reported."),
    distinct_over: str = typer.Option("auto", "--distinct-over",
                                      help="What distinct-n counts over: corpus | sample | group | auto (group for long-context QA, else corpus)."),
    tokenizer: str = typer.Option("regex", "--tokenizer",
                                  help="Tokeniser: regex (lower-cased words and punctuation) | whitespace (str.split) | a Hugging Face tokenizer."),
    fields: list[str] = FIELDS,
    split: Optional[str] = SPLIT,
    subset: Optional[str] = SUBSET,
    column: list[str] = COLUMN,
    metrics: Optional[str] = typer.Option(
        None, "--metrics", metavar="NAME[,NAME]",
        help=f"What to compute, e.g. --metrics distinct: some of {', '.join(DIVERSITY_METRICS)} "
             "(default: the first three, embedding with --embedder, gradient with --proxy).",
    ),
    embedder: Optional[str] = typer.Option(
        None, "--embedder", help="Also compute embedding diversity with minilm-l6 | mpnet-base | NAME ('none': lexical only)."),
    proxy: Optional[str] = typer.Option(
        None, "--proxy", metavar="MODEL",
        help=f"Also compute gradient diversity (G-Vendi) under this causal LM (with --metrics gradient alone: {GRADIENT.proxy})."),
    gradient_params: str = typer.Option(
        GRADIENT.params, "--gradient-params", help="Gradient diversity: the gradients of the training's LoRA adapters (lora) or of every parameter (full)."),
    gradient_dim: int = typer.Option(GRADIENT.dim, "--gradient-dim", help="Gradient diversity: the dimension gradients are projected to."),
    reference: Optional[str] = typer.Option(
        None, "--reference", metavar="MODEL",
        help=f"Also compute fluency (target-token loss under this causal LM), self-repetition and length "
             f"(with --metrics fluency alone: {FLUENCY.reference})."),
    real: Optional[str] = typer.Option(
        None, "--real", help="Real records to compare fluency with, giving a verdict per file. " + DATA_HELP),
    as_json: bool = JSON,
    out: Optional[Path] = OUT,
    match_size: bool = typer.Option(
        False, "--match-size", help="Also measure every file at half the smallest file's size: mean and interval over random equal-size subsets."),
    match_draws: int = typer.Option(MATCHED.draws, "--match-draws", help="Random subsets per file for --match-size."),
    compression: str = typer.Option(
        DEFAULT_COMPRESSION, "--compression",
        help="Compressor: zstd (long window, ours) | gzip (as the diversity package computes it, for published numbers) | both.",
    ),
    self_bleu_smoothing: str = typer.Option(
        DEFAULT_SMOOTHING, "--self-bleu-smoothing",
        help="The nltk smoothing of self-BLEU: none (nltk's default, method0) | method1 (Texygen, fast-bleu) | method2.",
    ),
) -> None:
    """Diversity of each file: distinct-1..n, n-gram diversity score, compression ratio, self-BLEU.
    Files given together are a comparison group, printed as one table (a column per file):
    values are also divided by the group's maximum."""
    from synthdiv.metrics.distinct import MODES, DistinctResult, normalise_within_group
    from synthdiv.metrics.choices import FluencySettings, GradientSettings
    from synthdiv.metrics.panel import diversity_report, resolve_metrics
    from synthdiv.metrics.texts import load_texts
    from synthdiv.models.registry import embedder_or_none
    from synthdiv.paths import check_io

    n, mode = ngram_order, distinct_over
    embedder = embedder_or_none(embedder)
    check_io(inputs={**{f"FILES[{i}]": f for i, f in enumerate(files, 1)}, **({"--real": real} if real else {})}, outputs={"--out": out})
    if mode != "auto" and mode not in MODES:
        raise UserError(f"unknown value {mode!r}; use corpus, sample, group or auto", where="--distinct-over")
    _check_choice(compression, COMPRESSION_CHOICES, "--compression")
    _check_choice(self_bleu_smoothing, SMOOTHINGS, "--self-bleu-smoothing")
    field_names = parse_fields(fields)
    if metrics is not None and parse_fields([metrics]) is None:
        raise UserError(f"names no metric; give one or more of {', '.join(DIVERSITY_METRICS)}", where="--metrics")
    models = [name for name, given in (("gradient", proxy is not None), ("fluency", reference is not None)) if given]
    chosen = resolve_metrics(parse_fields([metrics]) if metrics is not None else None, embedder is not None, models)
    gradient = GradientSettings(proxy=proxy or GRADIENT.proxy, params=gradient_params, dim=gradient_dim)
    gradient.check()
    if real is not None and "fluency" not in chosen:
        raise UserError("--real is what fluency is compared with: add --metrics fluency (or --reference MODEL), or drop --real",
                        where="--real")
    reading = read_options(split, subset, column)
    sets = [load_texts(f, field_names, **reading) for f in files]
    real_set = load_texts(real, field_names, **reading) if real is not None else None
    options = dict(n=n, mode=mode, tokenizer=tokenizer, embedder=embedder, compression=compression,
                   self_bleu_smoothing=self_bleu_smoothing, metrics=chosen, gradient=gradient,
                   fluency=FluencySettings(reference=reference or FLUENCY.reference), real=real_set)
    reports = [_collect_warnings(diversity_report, s, **options) for s in sets]
    if match_size:
        _add_matched(reports, sets, n=n, tokenizer=tokenizer, draws=match_draws, mode=mode)
        if "gradient" in chosen:
            _add_matched_gradient(reports, sets, gradient, draws=match_draws)
    if len(reports) == 1:
        payload: dict[str, Any] = reports[0]
    elif "distinct" not in chosen:
        payload = {"files": reports}
    else:
        keys = ("distinct", "ngram_diversity_score", "ngrams", "unique_ngrams", "tokens", "samples", "tokenizer", "mode")
        as_results = {str(i): DistinctResult(**{k: r[k] for k in keys}) for i, r in enumerate(reports)}
        normalised = normalise_within_group(as_results)
        for i, rep in enumerate(reports):
            rep[NORMALISED] = normalised[str(i)]
        payload = {"files": reports}
    _emit(payload, as_json, out, print_diversity)


def _check_choice(value: str, choices: tuple[str, ...], where: str) -> None:
    if value not in choices:
        raise UserError(f"unknown value {value!r}; use {', '.join(choices)}", where=where)


def _add_matched(reports: list[dict[str, Any]], sets, *, n: int, tokenizer: str, draws: int, mode: str) -> None:
    """Each report gets ``matched``: its n-gram diversity score at half the smallest file's size.
    Sample mode stays sample mode; the others are matched in corpus mode (Eq. 6), since a
    random subset of records would split the groups of group mode."""
    from synthdiv.metrics.matched import matched_diversity

    matched_mode = "sample" if mode == "sample" else "corpus"
    matched = _collect_warnings(matched_diversity, sets, n=n, tokenizer=tokenizer, draws=draws, mode=matched_mode)
    for rep, m in zip(reports, matched):
        rep["matched"] = m


def _add_matched_gradient(reports: list[dict[str, Any]], sets, settings, *, draws: int) -> None:
    """Each report's ``gradient`` gets ``matched``: G-Vendi at half the smallest file's size, with its interval
    over random subsets (the gradients come from the cache the reports just filled)."""
    from synthdiv.metrics.gradient import gradient_vectors, matched_g_vendi

    vectors = [gradient_vectors(s.records, settings) for s in sets]
    for rep, m in zip(reports, matched_g_vendi(vectors, draws=draws)):
        rep["gradient"]["matched"] = m


def shift_cmd(
    real: str = typer.Argument(..., help="The real set. " + DATA_HELP),
    generated: str = typer.Argument(..., help="The generated set, in any of the same forms."),
    embedder: Optional[str] = typer.Option(
        None, "--embedder", help="Embedding model: minilm-l6 | mpnet-base | NAME ('none': lexical only); adds Fréchet, MMD, PRDC, MAUVE, classifier AUC."),
    tokenizer: str = typer.Option("regex", "--tokenizer", help="Tokeniser for lengths and n-gram JS."),
    fields: list[str] = FIELDS,
    split: Optional[str] = SPLIT,
    subset: Optional[str] = SUBSET,
    column: list[str] = COLUMN,
    seed: int = typer.Option(0, "--seed", help="Seed for equal-size subsampling, bootstrap, permutations and k-means."),
    as_json: bool = JSON,
    out: Optional[Path] = OUT,
    mauve_setting: str = typer.Option(
        DEFAULT_MAUVE_SETTING, "--mauve",
        help="MAUVE setting: synthdiv (k-means++ for seeds 0, 1, 2: mean and sd) | mauve-text (compute_mauve's defaults: its k-means, 5 restarts, seed 25).",
    ),
) -> None:
    """Distribution shift between a real and a generated set, compared at equal size."""
    from synthdiv.metrics.shift import shift_report, shift_verdict
    from synthdiv.metrics.texts import load_texts
    from synthdiv.models.registry import embedder_or_none
    from synthdiv.paths import check_io

    embedder = embedder_or_none(embedder)
    check_io(inputs={"REAL": real, "GENERATED": generated}, outputs={"--out": out})
    if seed < 0:
        raise UserError(f"must be 0 or more (got {seed})", where="--seed")
    _check_choice(mauve_setting, MAUVE_SETTINGS, "--mauve")
    field_names = parse_fields(fields)
    reading = read_options(split, subset, column)
    real_set, gen_set = load_texts(real, field_names, **reading), load_texts(generated, field_names, **reading)
    mauve_options = _mauve_options(mauve_setting)
    payload = _collect_warnings(shift_report, real_set, gen_set, embedder=embedder, tokenizer=tokenizer, seed=seed, **mauve_options)
    payload["verdict"] = shift_verdict(payload)  # the reading, for --json too
    _emit(payload, as_json, out, print_shift)


def _mauve_options(setting: str) -> dict[str, Any]:
    """shift_report's MAUVE arguments for a setting: its name and its own seeds."""
    from synthdiv.metrics.mauve_score import SETTINGS

    return {"mauve_setting": setting, "mauve_seeds": SETTINGS[setting].seeds}


def register(app: typer.Typer) -> None:
    app.command("diversity", cls=old_spellings(Old("--n", "--ngram-order"), Old("--mode", "--distinct-over")))(diversity_cmd)
    app.command("shift")(shift_cmd)
