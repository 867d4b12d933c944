"""``export``: a record file or a run folder as TRL training files or a Hugging Face dataset
folder with a diversity card, optionally pushed to the Hub. Every check runs before anything
is read at length or written, so a mistake costs one line and leaves no file behind."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from synthdiv.errors import UserError
from synthdiv.export.settings import DEFAULTS, HF, ExportSettings, check_format


def export(
    source: str | os.PathLike,
    fmt: str,
    out: str | os.PathLike,
    *,
    real: str | os.PathLike | None = None,
    push_to_hub: str | None = None,
    settings: ExportSettings = DEFAULTS,
) -> dict[str, Any]:
    """Export ``source`` (a record file or a run folder) to ``out`` in ``fmt``; returns a summary."""
    from synthdiv.export.sources import check_input, is_run_folder, load_file, load_run
    from synthdiv.export.staging import check_output

    fmt = check_format(fmt)
    source, out = Path(source), Path(out)
    token = _hub_checks(push_to_hub, fmt)
    check_input(source)
    run = is_run_folder(source)
    if real is not None:
        if run:
            raise UserError("a run folder brings its own real data and measured shift; drop --real", where="--real")
        check_input(Path(real))
    check_output(out, folder=fmt == HF or run, overwrite=settings.overwrite, inputs={"SOURCE": source, "--real": real})

    measure = fmt == HF  # only the dataset card shows metrics
    if run:
        inp = load_run(source, settings.embedder_name, settings.seed, measure=measure, shift_caps=settings.shift_caps)
    else:
        inp = load_file(source, _path(real), settings.embedder_name, measure=measure, shift_caps=settings.shift_caps)
    _write(inp, fmt, out, settings, push_to_hub, run)
    url = None
    if push_to_hub:
        from synthdiv.export.hub import push_folder

        url = push_folder(out, push_to_hub, token, private=settings.private, timeout=settings.hub_timeout)
    return {"out": str(out), "format": fmt, "records": inp.records, "configs": {s.config: len(s.records) for s in inp.sets},
            "notes": {s.config: s.notes for s in inp.sets if s.notes}, "subsamples": _subsamples(inp, fmt), "url": url}


def _subsamples(inp, fmt: str) -> dict[str, str]:
    """Per config, the card's sentence on the shift metrics measured on a subsample (points per side, seed)."""
    if fmt != HF:
        return {}
    from synthdiv.export.panels import shift_subsamples

    return shift_subsamples(inp.sets)


def _hub_checks(push_to_hub: str | None, fmt: str) -> str | None:
    if not push_to_hub:
        return None
    from synthdiv.export.hub import check_repo_id, hub_token

    if fmt != HF:
        raise UserError("--push-to-hub uploads a dataset folder with its card; use it with --format hf", where="--push-to-hub")
    check_repo_id(push_to_hub)
    return hub_token()


def _path(value: str | os.PathLike | None) -> Path | None:
    return None if value is None else Path(value)


def _write(inp, fmt: str, out: Path, settings: ExportSettings, repo_id: str | None, run: bool) -> None:
    from synthdiv.export.staging import staged_folder
    from synthdiv.export.trl import write_trl_jsonl

    if fmt == HF:
        from synthdiv.export.hf_folder import write_hf_folder

        with staged_folder(out) as tmp:
            write_hf_folder(inp, tmp, settings, repo_id)
    elif run:  # a run's sets as one TRL file per config
        with staged_folder(out) as tmp:
            for s in inp.sets:
                write_trl_jsonl(s.records, tmp / f"{s.config}.jsonl", fmt)
    else:
        write_trl_jsonl(inp.sets[0].records, out, fmt)
