"""``synthdiv ladder``: does measured diversity rise with the level? (docs/generation.md)

    synthdiv ladder d0.jsonl d3.jsonl d6.jsonl --real real.jsonl

One row per generated file (topics, adherence, seed copying, rejects, two diversities with
intervals) and a verdict per diversity. Thin: read, :func:`synthdiv.metrics.ladder.measure_ladder`,
judge (:mod:`synthdiv.stats.ladder`), print.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from synthdiv.cli.deprecated import Old, old_spellings

# ``--json FILE`` wrote the file; --json now prints to stdout, as on every command, and -o writes it
OLD_JSON_FILE = Old("--json", "--out", applies=lambda value: value.endswith(".json") and not value.startswith("-"))


def _level_set(path: Path):
    from synthdiv.data.records_io import read_records
    from synthdiv.errors import UserError
    from synthdiv.experiments.layout import level_label
    from synthdiv.metrics.ladder import LevelSet

    records = [r for r in read_records(path) if r.is_generated]
    if not records:
        raise UserError("has no generated records (source 'generated' with provenance)", where=str(path))
    levels = {r.provenance.level for r in records}
    level = levels.pop() if len(levels) == 1 else None
    rejects_file = path.with_name(path.stem + ".rejects.jsonl")
    rejects = None
    if rejects_file.is_file():
        rejects = [json.loads(line).get("reason", "") for line in rejects_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    asked = (records[0].provenance.extra.get("level_params") or {}).get("topic_set_size")
    return LevelSet(level_label(level) if level else path.stem, level, records, rejects, asked)


def format_rows(rows) -> list[str]:
    from synthdiv.stats.formatting import format_interval

    header = (f"{'set':<10} {'n':>4} {'|T| asked':>9} {'used':>5} {'seeds':>5} {'temp':>4} {'adherence [95% CI]':>26} {'copy':>5} {'rep-4':>5} {'rejects':>7} "
              f"{'distinct 1-5 [95% CI]':>26} {'Vendi [95% CI]':>28}")
    lines = [header, "-" * len(header)]
    for r in rows:
        adh = format_interval(r.get("adherence"), r.get("adherence_ci_low"), r.get("adherence_ci_high"))
        dist = format_interval(r.get("distinct"), r.get("distinct_ci_low"), r.get("distinct_ci_high"))
        vendi = format_interval(r.get("vendi"), r.get("vendi_ci_low"), r.get("vendi_ci_high"))
        rej = _share(r.get("reject_rate"))
        lines.append(f"{r['set'][:10]:<10} {r['records']:>4} {r.get('topics_asked') or '-':>9} {r['topics_used']:>5} "
                     f"{r.get('seeds_shown', '-'):>5} {_temperature(r):>4} {adh:>26} "
                     f"{r['copy_rate']:>5.0%} {_share(r.get('seq_rep')):>5} {rej:>7} {dist:>26} {vendi:>28}")
    return lines


def _share(value) -> str:
    return "-" if value is None else f"{value:.0%}"


def _temperature(row) -> str:
    return "-" if row.get("temperature") is None else f"{row['temperature']:g}"


def register(app: typer.Typer) -> None:
    @app.command("ladder", cls=old_spellings(OLD_JSON_FILE),
                 help="Check that measured diversity rises with the diversity level, with intervals.")
    def ladder_cmd(
        files: list[Path] = typer.Argument(..., help="Generated record files, one per level."),
        real: Path = typer.Option(None, help="The real records the prompts showed as seeds (for the copy check; default: the embedded corpus)."),
        embedder: str = typer.Option("minilm-l6", help="Embedding model for adherence and Vendi, or 'none' to skip both."),
        draws: int = typer.Option(200, help="Random half-size subsets per set, for the diversity intervals."),
        seed: int = typer.Option(0, help="Seed of the subsets and of the bootstrap."),
        as_json: bool = typer.Option(False, "--json", help="Print the rows and verdicts as JSON."),
        out: Path = typer.Option(None, "--out", "-o", help="Also write the rows and verdicts to this JSON file."),
    ) -> None:
        from synthdiv.fileio import atomic_write
        from synthdiv.metrics.ladder import measure_ladder
        from synthdiv.paths import check_io
        from synthdiv.stats.ladder import format_verdict, verdict

        check_io(inputs={**{f"FILES[{i}]": f for i, f in enumerate(files, 1)}, "--real": real}, outputs={"--out": out})
        sets = [_level_set(p) for p in files]
        if real is not None:
            from synthdiv.data import read_input

            seeds = read_input(real)
        else:
            from synthdiv.data.corpus import load_corpus_stories

            seeds = load_corpus_stories("train")
        from synthdiv.models.registry import embedder_or_none

        embed = None
        if embedder_or_none(embedder) is not None:
            from synthdiv.metrics.embed_cache import embed_texts

            def embed(texts):
                return embed_texts(texts, embedder)

        rows = measure_ladder(sets, {r.id: r for r in seeds}, embed, draws=draws, seed=seed)
        verdicts = [verdict(rows, m) for m in ("distinct", "vendi") if any(r.get(m) is not None for r in rows)]
        payload = {"rows": rows, "verdicts": verdicts}
        if out is not None:
            with atomic_write(out) as fh:
                json.dump(payload, fh, indent=2)
        if as_json:
            typer.echo(json.dumps(payload, indent=2))
            return
        for line in format_rows(rows):
            typer.echo(line)
        size = rows[0]["subset_size"]
        typer.echo(f"diversity on {draws} random subsets of {size} records per set (95 % percentile intervals); "
                   "adherence: rank of each record's own topic among distractor topics (0.5 = chance), records bootstrapped; "
                   "copy: share of records copying a seed; rep-4: mean share of a record's word 4-grams that repeat one earlier in it")
        for v in verdicts:
            typer.echo(format_verdict(v))
