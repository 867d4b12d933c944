"""The dataset card (README.md): YAML front matter the Hub and ``datasets`` read, then a body
that carries what no card in this field does: the data's diversity and its shift from real
data, each number with its sample size, and what was not computed and why."""

from __future__ import annotations

import json
from typing import Any

import yaml

from synthdiv.export.panels import diversity_table, generation_table, shift_subsamples, shift_table
from synthdiv.export.provenance import origin_names, real_sources, source_datasets, template_hashes
from synthdiv.export.settings import DEFAULT_CONFIG, ExportSettings, size_category
from synthdiv.export.sources import ExportInput
from synthdiv.tasks import TASKS


def card_metadata(inp: ExportInput, shards: dict[str, list[str]], settings: ExportSettings) -> dict[str, Any]:
    """The front matter: configs with their data files, tags, size, creators, task, sources, licence."""
    records = [r for s in inp.sets for r in s.records]
    has_generated, has_real = any(r.is_generated for r in records), any(not r.is_generated for r in records)
    configs = []
    for i, s in enumerate(inp.sets):
        entry: dict[str, Any] = {"config_name": s.config, "data_files": [{"split": "train", "path": shards[s.config]}]}
        if i == 0 and s.config != DEFAULT_CONFIG and len(inp.sets) > 1:
            entry["default"] = True  # so load_dataset(OUT) works without naming a config
        configs.append(entry)
    tasks = sorted({r.task for r in records})
    meta: dict[str, Any] = {
        "pretty_name": pretty_name(inp),
        "configs": configs,
        "tags": (["synthetic"] if has_generated else []) + ["synthdiv"] + [TASKS[t].hub_tag for t in tasks],
        "size_categories": [size_category(len(records))],
        "language_creators": (["machine-generated"] if has_generated else []) + (["found"] if has_real else []),
        "task_categories": ["text-generation"],
    }
    sources = source_datasets(real_sources(records + (inp.real_records or [])))
    if sources:
        meta["source_datasets"] = sources
    if settings.license:
        meta["license"] = settings.license  # only what the user states: the data's licence is never guessed
    return meta


def pretty_name(inp: ExportInput) -> str:
    if inp.kind == "run":
        return str(inp.spec.get("name") or inp.path.name)
    return inp.path.stem


def render_card(inp: ExportInput, shards: dict[str, list[str]], sample_row: dict[str, Any], settings: ExportSettings,
                repo_id: str | None = None) -> str:
    meta = yaml.safe_dump(card_metadata(inp, shards, settings), sort_keys=False, allow_unicode=True)
    parts = [f"---\n{meta}---\n", f"# {pretty_name(inp)}\n", _summary(inp), _configs_section(inp, repo_id),
             _diversity_section(inp), _shift_section(inp), _generation_section(inp), _sample_section(sample_row, settings.sample_chars),
             _trl_section(repo_id), _sources_section(inp, settings), _not_computed_section(inp)]
    return "\n".join(p for p in parts if p)


def _summary(inp: ExportInput) -> str:
    records = [r for s in inp.sets for r in s.records]
    gen = sum(r.is_generated for r in records)
    tasks = ", ".join(sorted({r.task for r in records}))
    where = f"the run folder `{inp.path.name}`" if inp.kind == "run" else f"the record file `{inp.path.name}`"
    return (f"{len(records)} {tasks} records ({gen} generated, {len(records) - gen} real) in {len(inp.sets)} "
            f"config(s), exported by synthdiv from {where}. This card gives the data's diversity and, where real data "
            "was given, its shift from it; every number is given with the sample size it was computed on.\n")


def _configs_section(inp: ExportInput, repo_id: str | None) -> str:
    rows = "\n".join(f"| {s.config} | {s.label} | {s.kind} | {s.level or '—'} | {len(s.records)} | {s.measured_by} |" for s in inp.sets)
    first = inp.sets[0].config
    where = repo_id or "path/to/this/folder"
    return ("## Configs\n\n| config | set | kind | level | records | metrics |\n|---|---|---|---|---|---|\n" + rows + "\n\n"
            f"```python\nfrom datasets import load_dataset\n\nds = load_dataset({where!r}, {first!r}, split=\"train\")\n```\n")


def _diversity_section(inp: ExportInput) -> str:
    body = diversity_table(inp.sets)
    if body is None:
        return "## Diversity\n\nNot computed: no diversity metric is available for any config (see *Not computed*).\n"
    first = inp.sets[0].metrics
    how = [f"tokenizer `{first['div_tokenizer']}`" if first.get("div_tokenizer") else None,
           f"mode `{first['div_mode']}`" if first.get("div_mode") else None]
    tasks = sorted({r.task for s in inp.sets for r in s.records})
    text = "; ".join(TASKS[t].measured_words for t in tasks)
    return ("## Diversity\n\nMeasured on the text of each record (" + text + ")"
            + (", " + ", ".join(h for h in how if h) if any(how) else "") + ". `n` is the number of records measured. "
            "Distinct-k is unique k-grams over all k-grams; higher is more diverse. A larger set has lower distinct-k "
            "at equal diversity, so compare sets of equal size.\n\n" + body + "\n")


def _shift_section(inp: ExportInput) -> str:
    body = shift_table(inp.sets)
    if body is None:
        why = "no real data was given (`--real`)" if inp.real_label is None else "no config has a shift measurement"
        return f"## Shift from real data\n\nNot computed: {why}.\n"
    return (f"## Shift from real data\n\nEach config against {inp.real_label or 'the real data'}, compared at equal size "
            "(the larger side subsampled with a fixed seed): `n` is the number of records per side, `?` where the run "
            "did not record it. Lower is closer to the real data, except precision/recall/density/coverage and MAUVE "
            "(higher is closer) and the classifier AUC (0.5 is indistinguishable).\n\n" + body + "\n"
            + "".join(f"\n{config}: {text}.\n" for config, text in shift_subsamples(inp.sets).items()))


def _generation_section(inp: ExportInput) -> str:
    body, summaries, unrecorded = generation_table(inp.sets)
    strategies = sorted({v for g in summaries.values() for v, _ in g["strategy"]})
    hashes = template_hashes(strategies)
    lines = ["## Generation\n", "From the records' provenance (`provenance` column).\n", body, ""]
    if unrecorded:
        lines.append("Not recorded in any record's provenance: " + ", ".join(unrecorded) + ".\n")
    spec_gen = inp.spec.get("generation") if isinstance(inp.spec.get("generation"), dict) else None
    if spec_gen:
        settings = ", ".join(f"{k}={v}" for k, v in spec_gen.items() if isinstance(v, (str, int, float, bool)))
        lines.append(f"The run's `generation` settings (spec.yaml): {settings}.\n")
    if hashes:
        lines.append("Each generated record keeps `provenance.prompt_hash`, the sha256 of the exact messages sent. The records "
                     "do not name the template file; the built-in templates of this strategy have these sha256 (a generation "
                     "run with `--set prompts_dir=…` used other files):\n")
        lines.extend(f"- `{name}`: `{digest}`" for name, digest in hashes.items())
        lines.append("")
    return "\n".join(lines)


def _sample_section(sample_row: dict[str, Any], max_chars: int) -> str:
    # one column per line, each value on one line: valid JSON that stays short in the card
    text = "{\n" + ",\n".join(f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in sample_row.items()) + "\n}"
    return (f"## Sample row\n\nThe first row of the first config (text fields cut after {max_chars} characters with `…`; "
            f"`provenance` and `meta` are JSON strings in the files, shown decoded).\n\n```json\n{text}\n```\n")


def _trl_section(repo_id: str | None) -> str:
    return ("## Training with TRL\n\nThe `prompt` and `completion` columns are TRL's standard prompt-completion format and "
            "hold exactly the text synthdiv trains and evaluates on (`synthdiv.tasks`). SFTTrainer puts the loss on the "
            "completion only and ignores the other columns.\n\n```python\nfrom datasets import load_dataset\nfrom trl import "
            f"SFTTrainer\n\nds = load_dataset({(repo_id or 'path/to/this/folder')!r}, split=\"train\").select_columns([\"prompt\", "
            "\"completion\"])\ntrainer = SFTTrainer(model=\"HuggingFaceTB/SmolLM2-135M\", train_dataset=ds)\n```\n")


def _sources_section(inp: ExportInput, settings: ExportSettings) -> str:
    records = [r for s in inp.sets for r in s.records]
    lines = ["## Sources and licence\n"]
    for label, recs in (("Real records in this dataset", records), ("Real data the shift is measured against", inp.real_records or [])):
        sources = real_sources(recs)
        if sources:
            files = ", ".join(f"`{n}`" for n in origin_names(recs)) or "not recorded"
            lines.append(f"- {label}: " + ", ".join(f"{name} ({n} records)" for name, n in sources) + f"; files: {files}.")
    if not any(line.startswith("- ") for line in lines):
        lines.append("- No real data was given; the generated records' seed examples are named only by id (`provenance.seed_ids`).")
    if settings.license:
        lines.append(f"- Licence: `{settings.license}`, as stated by the exporter.")
    else:
        lines.append("- Licence: not stated. It depends on the generator model's terms and on the seed and real data's licences, "
                     "so synthdiv does not guess it; give it with `--license`.")
    return "\n".join(lines) + "\n"


def _not_computed_section(inp: ExportInput) -> str:
    lines = [f"- {s.config}: {note}" for s in inp.sets for note in s.notes]
    if not lines:
        return "## Not computed\n\nEvery metric of the panel was computed.\n"
    return "## Not computed, and warnings\n\n" + "\n".join(lines) + "\n"
